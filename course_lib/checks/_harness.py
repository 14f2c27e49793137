"""Harness code of the checks that is no solution of any exercise: custom ways of calling an implementation
(`invoke`s), kinds of exercise that add checks of their own (`_check_more`), the graph recipes of notebook 06.

It imports nothing of `course_lib.solutions`, so it ships in the student environment too (see
`course_lib/checks/_recorded.py`), where the same code runs against recorded reference results. Whatever a
check here needs from the reference it reads from `exercise.reference` through the framework's runs, or from
a plain attribute the recording keeps (`AllAtOnceExercise.reference_ops`).
"""
import math
import time

import torch
from torch import nn

from .framework import (
    Case,
    Exercise,
    ModuleExercise,
    ReferenceUsed,
    as_outputs,
    clone_args,
    describe_case,
    randn,
    seeded,
)


# -- notebook 05: the learned positional embedding ----------------------------------------------------------
def learned_invoke(impl, case):
    """Build the module with the case's table size, copy the table into `embedding`, call forward(x)."""
    table, x = case.args
    max_len, d_model = table.shape
    module = impl(max_len, d_model)
    embedding = getattr(module, "embedding", None)
    if not isinstance(embedding, nn.Embedding):
        raise AttributeError("the module needs an nn.Embedding member named `embedding` (self.embedding = "
                             "nn.Embedding(max_len, d_model)), so its weights can be checked")
    if tuple(embedding.weight.shape) != (max_len, d_model):
        raise ValueError(f"self.embedding.weight has shape {tuple(embedding.weight.shape)}, expected "
                         f"(max_len, d_model) = {(max_len, d_model)}: one row per position")
    with torch.no_grad():
        embedding.weight.copy_(table)  # the same weights as the reference, so initialisation cannot matter
    case.built = module  # its parameters' gradients are compared too
    return module(x)


# -- notebook 06: FLOP counts, graph depth, attention at all positions ------------------------------------
def count_invoke(impl, case):
    """Call a counting function and hand its answer to the framework as an int64 tensor."""
    result = impl(*case.args, **case.kwargs)
    if isinstance(result, bool) or not isinstance(result, int):
        raise TypeError(f"it should return a Python int (a number of FLOPs), got {type(result).__name__} "
                        f"{result!r}: keep to integer arithmetic (* and +, or // if you divide)")
    return torch.tensor(result, dtype=torch.int64)


class Graph:
    """A recipe for an autograd graph the check builds afresh for every call (described in messages)."""

    def __init__(self, kind, T=1, seed=0):
        self.kind, self.T, self.seed = kind, T, seed

    def __repr__(self):
        if self.kind == "a leaf":
            return "a leaf tensor (requires_grad=True)"
        return f"the output of {self.kind}" + (f" over T={self.T}" if self.T > 1 else "")

    def _record(self):
        """Plain data that rebuilds this recipe (`_replay`), for the student environment's recordings."""
        return {"kind": self.kind, "T": self.T, "seed": self.seed}

    @classmethod
    def _replay(cls, data):
        return cls(data["kind"], data["T"], data["seed"])

    def build(self):
        """The output tensor, its graph built from inputs that require gradients."""
        g = seeded(self.seed)
        D = 5
        x = randn(g, 2, self.T, D).requires_grad_(True)  # (B, T, D)
        W, U = randn(g, D, D, scale=0.4), randn(g, D, D, scale=0.4)  # constants: no gradient, no leaf
        if self.kind == "a leaf":
            return x
        if self.kind == "a diamond":  # two paths from x, of 2 and 3 operations
            a = x * 2
            return a + a.exp().sin()
        if self.kind == "an RNN":
            h = torch.zeros(2, D)
            for t in range(self.T):
                h = torch.tanh(x[:, t] @ W + h @ U)  # (B, D)
            return h
        if self.kind == "an LSTM cell loop":
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(self.seed)
                cell = nn.LSTMCell(D, D)  # parameters require gradients: leaves of the graph
            h = c = torch.zeros(2, D)
            for t in range(self.T):
                h, c = cell(x[:, t], (h, c))
            return h
        if self.kind == "attention":  # written out here: the reference must not run inside the learner's call
            weights = torch.softmax((x @ W) @ (x @ U).transpose(1, 2) / math.sqrt(D), dim=-1)  # (B, T, T)
            return weights @ x  # (B, T, D)
        if self.kind == "a constant bias added":  # next_functions holds None for the constant
            return torch.addmm(torch.ones(D), x[:, 0], W).relu()
        raise ValueError(self.kind)


def depth_invoke(impl, case):
    result = impl(case.args[0].build())
    if isinstance(result, bool) or not isinstance(result, int):
        raise TypeError(f"it should return a Python int (a number of operations), got "
                        f"{type(result).__name__} {result!r}")
    return torch.tensor(result, dtype=torch.int64)


def graph_nodes(output):
    """How many operations built `output` (the size of its autograd graph): one visit per node."""
    seen, stack = set(), [output.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        stack.extend(n for n, _ in node.next_functions)
    return len(seen)


class DepthExercise(Exercise):
    """graph_depth, plus a guard against walking every path of a recurrence's graph one by one.

    The yardstick is one visit of every node of the graph (`graph_nodes`), what a memoised walk costs.
    """

    def _check_more(self, student, cases, strict):
        graph = Graph("an LSTM cell loop", 7, seed=1)
        yardstick = math.inf
        for _ in range(3):  # the best of three: a garbage collection can pause one run
            output = graph.build()
            start = time.perf_counter()
            graph_nodes(output)
            yardstick = min(yardstick, time.perf_counter() - start)
        start = time.perf_counter()
        self._call(student, Case("LSTM, 7 steps", (graph,)), strict)
        seconds = time.perf_counter() - start
        if seconds > max(0.1, min(50 * yardstick, 0.5)):  # a memoised walk takes about a millisecond
            return (f"the values are right, but {graph} took your function {seconds:.2f} s (one visit of "
                    f"every node: {yardstick * 1e3:.1f} ms): it seems to walk every path separately, and a "
                    f"recurrence's graph has exponentially many. Remember each node's depth in a dict once "
                    f"it is known (memoise), so every node is visited once.")
        return None


class AllAtOnceExercise(Exercise):
    """attention_all_positions: right values from a loop over the positions are not the exercise, so the
    output's autograd graph is counted too, against the batched reference's (`reference_ops`, counted on the
    first check and kept by the student environment's recording)."""

    reference_ops = None

    def _reference_ops(self, q, k, v):
        if self.reference_ops is None:
            self.reference_ops = graph_nodes(self.reference(q, k, v, causal=True))
        return self.reference_ops

    def _check_more(self, student, cases, strict):
        g = seeded(5)
        q, k, v = (randn(g, 1, 40, 4).requires_grad_(True) for _ in range(3))
        try:
            out = self._call(student, Case("T=40", (q, k, v), {"causal": True}), strict)
        except Exception:  # noqa: BLE001 - the cases above already ran it; a failure here is not this check's
            return None
        if not isinstance(out, torch.Tensor) or out.grad_fn is None:
            return None
        ops, want = graph_nodes(out), self._reference_ops(q, k, v)
        if ops > 4 * want + 8:
            return ("the values are right, but over T=40 positions your output's autograd graph has "
                    f"{ops} operations (the batched reference: {want}): it still goes through the positions "
                    "one at a time. Compute every query's scores with one product q @ k.transpose(-2, -1) "
                    "and mask the future with a (T, T) boolean matrix.")
        return None


# -- notebook 07: noam_lr ---------------------------------------------------------------------------------
def as_number(result):
    """A learning rate as a float64 tensor of shape (), so the framework can compare it; else TypeError."""
    if isinstance(result, torch.Tensor) and result.numel() == 1:
        return result.detach().to(torch.float64).reshape(())
    if isinstance(result, (int, float)) and not isinstance(result, bool):
        return torch.tensor(float(result), dtype=torch.float64)
    raise TypeError(f"noam_lr should return a float, got {type(result).__name__}")


def number_invoke(impl, case):
    return as_number(impl(*case.args, **case.kwargs))


# -- notebook 08: the Transformer -------------------------------------------------------------------------
class TransformerExercise(ModuleExercise):
    """Calls forward, and also encode and decode on their own: greedy decoding uses those two."""

    _forward_only = False

    def _invoke(self, impl, case):
        module = case.built = self.build(impl, case)
        src, tgt = case.args
        src_mask, tgt_mask = case.kwargs.get("src_mask"), case.kwargs.get("tgt_mask")
        logits = module(src, tgt, **case.kwargs)
        memory = module.encode(src, src_mask)
        return logits, memory, module.decode(tgt, memory, tgt_mask, src_mask)

    def _run(self, impl, case, strict=False):
        """The outputs of a run; in the train()/eval() check only the logits, as forward gives them there. The
        run itself is the usual one, so a recorded reference (student environment) answers it too."""
        got, copy = super()._run(impl, case, strict)
        if self._forward_only and isinstance(got, tuple):
            got = got[:1]
        return got, copy

    def _check_more(self, student, cases, strict):
        self._forward_only = True  # the train()/eval() check compares forward alone
        try:
            return super()._check_more(student, cases, strict)
        finally:
            self._forward_only = False


# -- notebook 09: the key-value cache, sampling -----------------------------------------------------------
class CachedModuleExercise(ModuleExercise):
    """A module with a key-value cache: each case runs it without the cache, then prefix + cache, in eval()
    (and once in train() for dropout). `case.kwargs` holds `prefix` (positions fed first) and `chunk`
    (how many tokens each later call gets); neither is passed to forward."""

    def _two_ways(self, module, case):
        x, prefix, chunk = case.args[0], case.kwargs["prefix"], case.kwargs["chunk"]
        full, _ = module(x)
        out, cache = module(x[:, :prefix])
        pieces = [out]
        for start in range(prefix, x.size(1), chunk):
            out, cache = module(x[:, start:start + chunk], cache)
            pieces.append(out)
        return full, torch.cat(pieces, dim=1)

    def _invoke(self, impl, case):
        module = case.built = self.build(impl, case)
        return self._two_ways(module, case)

    def _check_more(self, student, cases, strict):
        """Dropout must act in train() and nothing else may change with the mode."""
        case = cases[0]
        where = describe_case(case, self.arg_names)
        copy = Case(case.label, clone_args(case.args), clone_args(case.kwargs), case.init, case.weights)
        try:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(0)
                noisy = as_outputs(self._two_ways(self.build(student, copy, train=True), copy), 2)
                quiet = self.build(student, copy, train=True, init={**case.init, "dropout": 0.0})
                plain = as_outputs(self._two_ways(quiet, copy), 2)
        except ReferenceUsed:
            raise
        except Exception as error:  # noqa: BLE001 - any error of the learner's code is reported
            return f"raised {type(error).__name__} in train() mode: {error}\n  on {where}"
        return self._judge_modes(noisy, plain, case, where)


def generator_invoke(impl, case):
    """Call with a fresh generator seeded from the case, so the learner and the reference draw alike (and
    with the global RNG seeded too, inside a fork, so that a call that ignores the generator is reproducible)."""
    kwargs = dict(case.kwargs)
    seed = kwargs.pop("seed")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed + 1)
        return impl(*case.args, **kwargs, generator=torch.Generator().manual_seed(seed))
