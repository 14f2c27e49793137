"""Harness code of the checks that is no solution of any exercise: custom ways of calling an implementation
(`invoke`s), kinds of exercise that add checks of their own (`_check_more`), the graph recipes of notebook 06.

It imports nothing of `course_lib.solutions`, so it ships in the student environment too (see
`course_lib/checks/_recorded.py`), where the same code runs against recorded reference results. Whatever a
check here needs from the reference it reads from `exercise.reference` through the framework's runs, or from
a plain attribute the recording keeps (`AllAtOnceExercise.reference_ops`).
"""
import copy
import math
import time

import torch
from torch import nn

from ..i18n import tr
from ._errors import translated_error
from ._standins import Watched
from .framework import (
    Case,
    Exercise,
    ModuleExercise,
    ReferenceUsed,
    Said,
    as_outputs,
    clone_args,
    describe_case,
    on_case,
    randn,
    seeded,
)

# -- notebook 04: where multi-head attention's dropout sits ------------------------------------------------
# The names of the catalog mistakes `AttentionDropoutExercise` recognises (course_lib/checks/multi_head_attention.py
# lists them, with their hints, in its catalog).
DROPOUT_AFTER_W_O = "dropout applied to the output after w_o instead of to the attention weights"
DROPOUT_BEFORE_W_O = "dropout applied to the merged heads before w_o instead of to the attention weights"
DROPOUT_NOT_READ = ("dropout applied to the returned weights only: the output is computed from the weights before "
                    "dropout")


def _dropped(got, plain, p, tol=1e-4):
    """Whether every entry of `got` is 0 or `plain / (1 - p)`, and some that `plain` holds are 0: what dropout
    with probability p does to `plain`, whatever entries it draws."""
    kept = (got - plain / (1 - p)).abs() <= tol * (1 + plain.abs())
    zero = got.abs() <= tol
    return bool((kept | zero).all()) and bool((zero & ~kept).any())


class AttentionDropoutExercise(ModuleExercise):
    """MultiHeadAttention: its dropout must act on the attention weights, as nn.MultiheadAttention's does, not
    merely somewhere in train().

    Once the eval() cases and the train()/eval() check pass, the case with the most attention weights among those
    whose heads are at least as wide as its keys are many (d_head >= Tk) runs in train(), with whatever dropout
    draws. The check knows w_o and w_v (it injected them), so from the output it can solve for what w_o read (the
    merged heads) and then, head by head, for the weights each head's output is made of (a head's output is
    weights @ v, and v has independent rows when d_head >= Tk). Dropout on the attention weights leaves each of
    them 0 or its eval() value / (1 - p). So any way of writing it passes (nn.Dropout under any name, F.dropout, a
    loop over heads, PyTorch's fused attention with dropout_p, the weights returned dropped or not), and each other
    placement leaves a trace of its own, named by the catalog (`_placement`).
    """

    def _check_more(self, student, cases, strict):
        problem = super()._check_more(student, cases, strict)
        if problem or not self.takes_dropout:
            return problem
        usable = [c for c in cases if c.init["d_model"] // c.init["num_heads"] >= c.args[1].size(1)]
        case = max(usable, key=lambda c: c.args[0].size(0) * c.init["num_heads"] * c.args[0].size(1)
                   * c.args[1].size(1))
        where = describe_case(case, self.arg_names)
        try:
            noisy = self._execute(student, "train", case, strict)
        except ReferenceUsed:
            raise
        except Exception as error:  # noqa: BLE001 - any error of the learner's code is reported
            return tr("raised {error} in train() mode: {message}", error=type(error).__name__,
                      message=error) + on_case(where)
        want, _ = self._run(self.reference, case)
        if len(noisy) != len(want) or any(type(g) is not torch.Tensor or g.shape != w.shape  # noqa: E721
                                          for g, w in zip(noisy, want)):
            return self._compare(noisy, want, where)
        said = self._placement(noisy, want, case)
        return Said(said + on_case(where), mistake=getattr(said, "mistake", None)) if said else None

    def _placement(self, noisy, want, case):
        """None when the train() outputs `noisy` are those of dropout on the attention weights (`want`: the eval()
        outputs); else the catalog mistake they show (`_named`), or what can be said of them."""
        p, h = case.init["dropout"], case.init["num_heads"]
        w = case.weights
        out, weights = (t.detach().double() for t in want)
        got, got_weights = (t.detach().double() for t in noisy)
        value = case.args[2].double()
        v = (value @ w["w_v.weight"].double().T + w["w_v.bias"].double()).unflatten(-1, (h, -1)).transpose(1, 2)
        w_o, b_o = w["w_o.weight"].double(), w["w_o.bias"].double()

        def merged(y):  # (B, Tq, D) outputs of w_o -> what w_o read: the heads side by side
            return torch.linalg.solve(w_o, (y - b_o).mT).mT

        heads = merged(got).unflatten(-1, (h, -1)).transpose(1, 2)  # (B, h, Tq, d_head)
        used = torch.linalg.lstsq(v.mT, heads.mT).solution.mT  # (B, h, Tq, Tk): heads = used @ v, solved for
        exact = bool(((used @ v - heads).abs() <= 1e-3 * (1 + heads.abs())).all())  # float32, solved twice
        if exact and _dropped(used, weights, p, tol=1e-3):
            close = (got_weights - weights).abs().max() <= 1e-4 or (got_weights - used).abs().max() <= 1e-3
            return None if close else tr("in train() the weights your module returns are neither the attention "
                                         "weights nor the dropped weights its output reads: return the weights the "
                                         "output is computed from.")
        if _dropped(got, out, p):
            return self._named(DROPOUT_AFTER_W_O)
        if _dropped(merged(got), merged(out), p, tol=1e-3):
            return self._named(DROPOUT_BEFORE_W_O)
        if exact and (used - weights).abs().max() <= 1e-3 and (got_weights - weights).abs().max() > 1e-4:
            return self._named(DROPOUT_NOT_READ)
        return tr("in train() with dropout={p} your output is not what dropout on the attention weights gives. Drop "
                  "the attention weights (B, h, Tq, Tk) themselves, as nn.MultiheadAttention does: weights = "
                  "self.dropout(weights), then out = weights @ v, then merge the heads and apply w_o.", p=p)


# -- notebook 05: the learned positional embedding ----------------------------------------------------------
def learned_invoke(impl, case):
    """Build the module with the case's table size, copy the table into `embedding`, call forward(x)."""
    table, x = case.args
    max_len, d_model = table.shape
    module = impl(max_len, d_model)
    embedding = getattr(module, "embedding", None)
    if not isinstance(embedding, nn.Embedding):
        raise translated_error(AttributeError, "the module needs an nn.Embedding member named `embedding` "
                               "(self.embedding = nn.Embedding(max_len, d_model)), so its weights can be checked")
    if tuple(embedding.weight.shape) != (max_len, d_model):
        raise translated_error(ValueError, "self.embedding.weight has shape {got}, expected (max_len, d_model) = "
                               "{want}: one row per position", got=tuple(embedding.weight.shape),
                               want=(max_len, d_model))
    with torch.no_grad():
        embedding.weight.copy_(table)  # the same weights as the reference, so initialisation cannot matter
    case.built = module  # its parameters' gradients are compared too
    return module(x)


# -- notebook 06: FLOP counts, graph depth, attention at all positions ------------------------------------
def count_invoke(impl, case):
    """Call a counting function and hand its answer to the framework as an int64 tensor."""
    result = impl(*case.args, **case.kwargs)
    if isinstance(result, bool) or not isinstance(result, int):
        raise translated_error(TypeError, "it should return a Python int (a number of FLOPs), got {type} {value}: "
                               "keep to integer arithmetic (* and +, or // if you divide)", type=type(result).__name__,
                               value=repr(result))
    return torch.tensor(result, dtype=torch.int64)


class Graph:
    """A recipe for an autograd graph the check builds afresh for every call (described in messages)."""

    def __init__(self, kind, T=1, seed=0):
        self.kind, self.T, self.seed = kind, T, seed

    def __repr__(self):
        if self.kind == "a leaf":
            return tr("a leaf tensor (requires_grad=True)")
        if self.T > 1:
            return tr("the output of {graph} over T={T}", graph=self._kind_words(), T=self.T)
        return tr("the output of {graph}", graph=self._kind_words())

    def _kind_words(self):
        """The recipe's kind as the learner reads it (the kind itself stays English: it is recorded data)."""
        words = {"a diamond": tr("a diamond"), "an RNN": tr("an RNN"), "an LSTM cell loop": tr("an LSTM cell loop"),
                 "attention": tr("attention"), "a constant bias added": tr("a constant bias added")}
        return words.get(self.kind, self.kind)

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
        raise translated_error(TypeError, "it should return a Python int (a number of operations), got {type} "
                               "{value}", type=type(result).__name__, value=repr(result))
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
        limit = max(0.1, min(50 * yardstick, 0.5))  # a memoised walk takes about a millisecond
        seconds = math.inf
        for _ in range(2):  # the best of two where the first is near the limit: a busy machine can pause one run
            start = time.perf_counter()
            self._call(student, Case("LSTM, 7 steps", (graph,)), strict)
            seconds = min(seconds, time.perf_counter() - start)
            if seconds <= limit or seconds > 4 * limit:  # clearly within, or clearly a walk of every path
                break
        if seconds > limit:
            return tr("the values are right, but {graph} took your function {seconds:.2f} s (one visit of every "
                      "node: {yardstick:.1f} ms): it seems to walk every path separately, and a recurrence's graph "
                      "has exponentially many. Remember each node's depth in a dict once it is known (memoise), so "
                      "every node is visited once.", graph=graph, seconds=seconds, yardstick=yardstick * 1e3)
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
            return tr("the values are right, but over T=40 positions your output's autograd graph has {ops} "
                      "operations (the batched reference: {want}): it still goes through the positions one at a "
                      "time. Compute every query's scores with one product q @ k.transpose(-2, -1) and mask the "
                      "future with a (T, T) boolean matrix.", ops=ops, want=want)
        return None


# -- notebook 07: noam_lr ---------------------------------------------------------------------------------
def as_number(result):
    """A learning rate as a float64 tensor of shape (), so the framework can compare it; else TypeError."""
    if isinstance(result, torch.Tensor) and result.numel() == 1:
        return result.detach().to(torch.float64).reshape(())
    if isinstance(result, (int, float)) and not isinstance(result, bool):
        return torch.tensor(float(result), dtype=torch.float64)
    raise translated_error(TypeError, "noam_lr should return a float, got {type}", type=type(result).__name__)


def number_invoke(impl, case):
    return as_number(impl(*case.args, **case.kwargs))


# -- notebooks 07 and 08: where dropout sits ----------------------------------------------------------------
class _FixedDropout:
    """F.dropout whose masks come from `torch.rand` with a generator of its own: the k-th call of a run draws
    the k-th mask. Its draws are the same on every CPU (torch's Bernoulli sampler is not: it takes MKL's path on
    Intel processors only), so the reference's train() outputs recorded on one machine (the student environment)
    still meet the learner's on another."""

    def __init__(self, seed):
        self.generator = torch.Generator().manual_seed(seed)

    def __call__(self, input, p=0.5, training=True, inplace=False):
        if not training or p == 0:
            return input
        keep = (torch.rand(input.shape, generator=self.generator) >= p).to(input.dtype) / (1 - p)
        return input.mul_(keep) if inplace else input * keep


class DropoutPlacementExercise(ModuleExercise):
    """A module whose dropout must sit where the exercise says, not merely act in train().

    A case whose kwargs hold `train_seed` runs the module built in train() with the same dropout masks as the
    reference's: F.dropout (which nn.Dropout calls) and torch.dropout are replaced, for that call only, by a
    `_FixedDropout` seeded so, and the global RNG is seeded too (inside a fork). The learner's module and the
    reference then drop the same entries exactly when they apply dropout to the same tensors in the same order,
    so a misplaced dropout shows as a value difference, named by the catalog. Every other case runs in eval().
    """

    _train_case_failed = False  # whether the case that failed last ran in train()

    def _check_case(self, student, case, strict):
        self._train_case_failed = "train_seed" in case.kwargs  # read by `_diagnose` when this case fails
        return super()._check_case(student, case, strict)

    def _diagnose(self, student, cases):
        """A failure in eval() is named by the mistakes that behave alike in eval(): a learner's slip may handle
        dropout otherwise than the catalog's. A failure in train() only (eval() is right) is named on every case,
        so the dropout mistakes (which are right in eval()) are told apart."""
        if not self._train_case_failed:
            cases = [case for case in cases if "train_seed" not in case.kwargs]
        return super()._diagnose(student, cases)

    def _invoke(self, impl, case):
        kwargs = dict(case.kwargs)
        seed = kwargs.pop("train_seed", None)
        if seed is None:
            return super()._invoke(impl, case)
        module = case.built = self.build(impl, case, train=True)
        functional, fixed = torch.nn.functional, _FixedDropout(seed)
        replaced = {(functional, "dropout"): functional.dropout, (torch, "dropout"): torch.dropout}
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            try:
                functional.dropout = torch.dropout = fixed
                return getattr(module, self.method)(*case.args, **kwargs)
            finally:
                for (where, name), original in replaced.items():
                    setattr(where, name, original)


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

    def _local_buffers(self, impl, case, strict=False):
        """What the learner's module keeps of its positional table: its buffers' names, and the type of `pe`."""
        module = self._local_build(impl, case, strict)
        return {"buffers": [name for name, _ in module.named_buffers()],
                "pe": type(getattr(module, "pe", None)).__name__}

    def _check_more(self, student, cases, strict):
        problem = self._positional_table(student, cases[0], strict)
        if problem:
            return problem
        self._forward_only = True  # the train()/eval() check compares forward alone
        try:
            return super()._check_more(student, cases, strict)
        finally:
            self._forward_only = False

    def _positional_table(self, student, case, strict):
        """The contract keeps the sinusoidal table as a buffer named `pe` (the graded cell asserts it too)."""
        try:
            kept = self._execute(student, "buffers", case, strict)
        except ReferenceUsed:
            raise
        except Exception as error:  # noqa: BLE001 - the cases above built it; say what failed now
            return tr("raised {error} while its buffers were read: {message}", error=type(error).__name__,
                      message=error)
        if "pe" in kept["buffers"]:
            return None
        what = tr("no attribute `pe`") if kept["pe"] == "NoneType" else \
            tr("`pe` as a plain attribute ({type})", type=kept["pe"])
        return tr("the values are right, but the positional table is not a buffer named `pe` (your module has "
                  "{what}; buffers: {buffers}). Register it in __init__: self.register_buffer(\"pe\", "
                  "sinusoidal_positional_encoding(max_len, d_model)): a buffer moves with model.to(device) and belongs "
                  "to the module, and it is not a parameter, so nothing trains it.", what=what,
                  buffers=kept["buffers"] or tr("none"))


# -- notebook 08: exercises that take a model -----------------------------------------------------------------
def model_invoke(impl, case):
    """Call with a copy of the case's fixed model whose parameters require gradients (kept as `case.built`, so
    the gradient check covers them): the model is an argument, and the loss must reach its parameters."""
    model, *rest = case.args
    trainable = copy.deepcopy(model).requires_grad_(True)
    case.built = trainable
    return impl(trainable, *rest, **case.kwargs)


NO_GRADIENT = ("no gradient reaches the model's parameters (your loss is detached from its inputs): is the loss "
               "computed under torch.no_grad() or turned into a number with .item()? The values are right, but "
               "training calls loss.backward(), which needs "
               "the tensor F.cross_entropy returns, still attached to the model's graph.")  # printed through tr


class ModelLossExercise(Exercise):
    """A loss of a model passed in (seq2seq_loss): the model's parameters are gradient leaves (`model_invoke`),
    and a loss that no gradient can leave is named as such (torch.no_grad(), .item())."""

    def _attribute_problem(self, out_name, got, want):
        if type(got) in (float, int):
            return tr(NO_GRADIENT) + tr(" (yours returned a Python {type}, {value}: return the tensor itself, without "
                                        ".item() or float())", type=type(got).__name__, value=repr(got))
        return super()._attribute_problem(out_name, got, want)

    def _check_gradients(self, student, case, strict):
        got, grads = self._run_backward(student, case, strict)
        if not isinstance(got, BaseException) and got and type(got[0]) is torch.Tensor:  # noqa: E721
            reached = [g for label, g in grads.items()
                       if label.startswith("parameter ") and g is not None and bool(g.ne(0).any())]
            if not got[0].requires_grad or not reached:
                return tr(NO_GRADIENT) + on_case(describe_case(case, self.arg_names))
        return super()._check_gradients(student, case, strict)


# -- notebook 08: greedy decoding, and the masks that reach decode -----------------------------------------------
# The names of the catalog mistakes `GreedyExercise` recognises (course_lib/checks/transformer.py lists them, with
# their hints, in greedy_decode's catalog).
MASK_INVERTED = "an inverted causal mask passed to decode (True taken as blocked)"
MASK_HIDES_PAST = "a tgt_mask that hides tokens decoded so far"


class GreedyExercise(Exercise):
    """greedy_decode: the tokens, and what reaches the model's decode.

    decode is always causal (it builds causal_mask(T) itself and combines a tgt_mask with it by &), so greedy
    decoding needs no tgt_mask, and one it passes may only hide padding. A mask that hides real tokens from a
    position changes what every later position reads, but not always the argmax of the last one: right tokens are
    not enough. So each case also runs on a `Watched` copy of its stand-in Transformer, which writes down the
    tokens and the tgt_mask of every decode call, and a mask that hides part of its own past from a row still
    being decoded is named: as the diagnosis when the tokens differ (`_diagnose`), and as a failure of its own
    when they match (`_check_more`).
    """

    def _local_decoded(self, impl, case, strict=False):
        """{"calls": how many decode calls, "hiding": [call, positions, rows, all] for each call whose tgt_mask
        hides part of their own past from `rows` (every row not yet finished; `all`: the whole of it)}. Plain data,
        made where the learner's code runs (the grader's worker too)."""
        watched = Watched(case.args[0])
        copy_ = Case(case.label, (watched, *clone_args(case.args[1:])), clone_args(case.kwargs), case.init,
                     case.weights)
        try:
            self._call(impl, copy_, strict)
        except ReferenceUsed:
            raise
        except Exception:  # noqa: BLE001 - the calls made before the error still tell; the error is reported apart
            pass
        eos_id = case.args[4] if len(case.args) > 4 else case.kwargs.get("eos_id")
        hiding = []
        for call, (tokens, mask) in enumerate(watched.decoded, 1):
            if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool:
                continue  # none (the contract's way), or a mask decode itself refuses
            B, T = tokens.shape
            causal = torch.ones(T, T, dtype=torch.bool).tril()  # (T, T): what decode lets position t read
            try:
                allowed = (torch.ones(B, 1, T, T, dtype=torch.bool) & causal & mask).reshape(B, -1, T, T)
            except RuntimeError:
                continue  # a mask of another shape: decode raised on it, and that error is reported
            hidden = causal & ~allowed  # (B, h or 1, T, T): past positions the mask takes away
            done = (tokens[:, 1:] == eos_id).any(1) if eos_id is not None else torch.zeros(B, dtype=torch.bool)
            rows = [r for r in range(B) if not done[r] and bool(hidden[r].any())]  # a finished row only repeats eos
            if rows:
                hiding.append([call, T, rows, all(bool(hidden[r].eq(causal).all()) for r in rows)])
        return {"calls": len(watched.decoded), "hiding": hiding}

    def _mask_problem(self, student, cases, strict):
        """(the catalog mistake a tgt_mask passed to decode shows, with where it was seen; the case it was seen on),
        or (None, None)."""
        for case in cases:
            try:
                seen = self._execute(student, "decoded", case, strict)
            except ReferenceUsed:
                raise
            except Exception:  # noqa: BLE001 - a run that fails says so through the values
                continue
            if isinstance(seen, dict) and seen.get("hiding"):
                inverted = all(everything for *_, everything in seen["hiding"])  # all of every row's past, always
                call, positions, rows, _ = next(h for h in seen["hiding"] if h[3] == inverted)
                said = self._named(MASK_INVERTED if inverted else MASK_HIDES_PAST)
                return Said(tr("{diagnosis} At decode call {call} of {calls} (T={positions}), your tgt_mask hides from "
                               "rows {rows} some of the tokens they have decoded so far.", diagnosis=said, call=call,
                               calls=seen["calls"], positions=positions, rows=", ".join(map(str, rows))),
                            mistake=said.mistake), case
        return None, None

    def _diagnose(self, student, cases):
        said, _ = self._mask_problem(student, cases, False)
        return said or super()._diagnose(student, cases)

    def _check_more(self, student, cases, strict):
        said, case = self._mask_problem(student, cases, strict)
        return Said(said + on_case(describe_case(case, self.arg_names)), mistake=said.mistake) if said else None


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
            return tr("raised {error} in train() mode: {message}", error=type(error).__name__,
                      message=error) + on_case(where)
        return self._judge_modes(noisy, plain, case, where)


def generator_invoke(impl, case):
    """Call with a fresh generator seeded from the case, so the learner and the reference draw alike (and
    with the global RNG seeded too, inside a fork, so that a call that ignores the generator is reproducible)."""
    kwargs = dict(case.kwargs)
    seed = kwargs.pop("seed")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed + 1)
        return impl(*case.args, **kwargs, generator=torch.Generator().manual_seed(seed))


class GenerateExercise(Exercise):
    """generate: right tokens are not enough, the cache must be used as `use_cache` says. Once every case's
    tokens match, each case runs again on a `Watched` copy of its stand-in GPT, which writes down every call
    (how many positions it got, whether a cache came with them and whether that cache is the one the previous
    call returned), and the calls are judged (`_judge_calls`)."""

    def _local_calls(self, impl, case, strict=False):
        """The calls the learner's generate makes of the case's model: [positions, with a cache, its cache]."""
        watched = Watched(case.args[0])
        copy_ = Case(case.label, (watched, *clone_args(case.args[1:])), clone_args(case.kwargs), case.init,
                     case.weights)
        self._call(impl, copy_, strict)
        return [list(call) for call in watched.calls]

    def _check_more(self, student, cases, strict):
        for case in cases:
            try:
                calls = self._execute(student, "calls", case, strict)
            except ReferenceUsed:
                raise
            except Exception as error:  # noqa: BLE001 - the same call passed above; say what failed now
                return tr("raised {error} on a model that counts its calls: {message}", error=type(error).__name__,
                          message=error)
            problem = self._judge_calls(calls, case)
            if problem:
                return problem + on_case(describe_case(case, self.arg_names))
        return None

    @staticmethod
    def _judge_calls(calls, case):
        """What is wrong with how generate called the model, or None. With use_cache=False no call gets a
        cache. With use_cache=True every call after the first gets the cache the previous call returned, and
        each position goes through the model once: the prompt (at once or in pieces), then one new token per
        step (at most T + max_new_tokens positions in all)."""
        _, idx, new = case.args[:3]
        T, use_cache = idx.size(1), case.kwargs.get("use_cache", True)
        fed = sum(n for n, _, _ in calls)
        if not use_cache:
            if any(with_cache for _, with_cache, _ in calls):
                return tr("with use_cache=False your generate still passes a cache to the model: use_cache=False "
                          "means the whole sequence, model(idx), at every step, without a cache (the slow path the "
                          "notebook times against the cached one).")
            return None
        if new <= 1 or not calls:
            return None
        uncached = [i for i, (_, with_cache, _) in enumerate(calls) if i > 0 and not with_cache]
        if len(uncached) == len(calls) - 1:
            return tr("with use_cache=True your generate never passes a cache back to the model: it called the model "
                      "{calls} times on {fed} positions in all, where {needed} would do (each step runs the whole "
                      "sequence again, or the cache the model returns is dropped). Keep what the model returns and "
                      "feed only the newest token with it: logits, cache = model(idx[:, -1:], cache).",
                      calls=len(calls), fed=fed, needed=T + new - 1)
        if uncached:
            return tr("with use_cache=True your generate calls the model without a cache at call {call} of {calls}: "
                      "after the first call, every call gets the cache the previous call returned.",
                      call=uncached[0] + 1, calls=len(calls))
        stale = [i for i, (_, _, previous) in enumerate(calls) if i > 0 and not previous]
        if stale:
            return tr("with use_cache=True your generate passes the model a cache other than the one the previous "
                      "call returned (call {call} of {calls}): keep the returned cache, logits, cache = model(..., "
                      "cache), and pass that one on.", call=stale[0] + 1, calls=len(calls))
        if fed > T + new:
            return tr("with use_cache=True your generate feeds the model {fed} positions in all, where {needed} would "
                      "do: with the cache, each call gets only the tokens the cache does not hold yet (the newest "
                      "one).", fed=fed, needed=T + new - 1)
        return None


# -- notebook 09: the training step ---------------------------------------------------------------------------
class TrainableStandIn(nn.Module):
    """A copy of a case's `StandInGPT` whose parameters require gradients, and whose train() differs from its
    eval() as dropout makes a model's differ, but reproducibly: in train() its logits are multiplied by a fixed
    mask of 0 and 2 (seeded), so a loss computed in eval() shows in the numbers. It counts the backward passes
    that reach its read-out (`backward_passes`)."""

    def __init__(self, model, seed=0):
        super().__init__()
        self.model = copy.deepcopy(model).requires_grad_(True)
        g = torch.Generator().manual_seed(seed)
        V, L = model.sizes["vocab_size"], model.sizes["max_len"]
        self.register_buffer("train_mask", (torch.rand(L, V, generator=g) < 0.5).float() * 2)  # (L, V)
        self.backward_passes = 0
        self.model.head.weight.register_hook(self._count)

    def _count(self, grad):
        self.backward_passes += 1

    def forward(self, idx, cache=None):
        logits, cache = self.model(idx, cache)  # (B, T, V)
        if self.training:
            start = 0 if cache is None else cache["length"] - idx.size(1)
            logits = logits * self.train_mask[start:start + idx.size(1)]  # (B, T, V) * (T, V)
        return logits, cache

    def __repr__(self):
        return repr(self.model)


class WatchedSGD(torch.optim.SGD):
    """Plain SGD that writes down, at each step(), how much gradient it finds (the sum of |grad|, 0 for none)."""

    def __init__(self, params, lr):
        super().__init__(params, lr=lr)
        self.seen = []

    def step(self, closure=None):
        grads = [p.grad for group in self.param_groups for p in group["params"] if p.grad is not None]
        self.seen.append(float(sum(g.abs().sum() for g in grads)) if grads else 0.0)
        return super().step(closure)


def train_step_invoke(impl, case):
    """Two calls of train_step on a copy of the case's stand-in model (left in eval(), as after sampling), with
    a watched SGD, on the two batches of `case.args[1]` (2, B, T). Returns, per call: the loss it returned, the
    optimizer steps it made, the gradient step() found, the backward passes; and the parameters at the end."""
    stand_in, batches = case.args
    model = TrainableStandIn(stand_in, seed=case.kwargs.get("seed", 0)).eval()
    optimizer = WatchedSGD(model.parameters(), lr=case.kwargs.get("lr", 0.5))
    losses, steps, seen, passes = [], [], [], []
    for idx in batches:
        before_steps, before_passes = len(optimizer.seen), model.backward_passes
        loss = impl(model, optimizer, idx)
        if type(loss) is not float:
            raise translated_error(TypeError, "train_step returned {type}, not a Python float: return loss.item(), "
                                   "the number (a tensor would keep the whole graph of the step alive)",
                                   type=type(loss).__name__)
        losses.append(loss)
        steps.append(len(optimizer.seen) - before_steps)
        seen.append(optimizer.seen[-1] if len(optimizer.seen) > before_steps else 0.0)
        passes.append(model.backward_passes - before_passes)
    parameters = torch.cat([p.detach().reshape(-1) for p in model.model.parameters()])
    return (torch.tensor(losses, dtype=torch.float64), torch.tensor(steps), torch.tensor(seen, dtype=torch.float64),
            torch.tensor(passes), parameters)


# -- notebook 04: CharTokenizer -----------------------------------------------------------------------------
# What `tokenizer_invoke` reports of encoding a string with a character outside the vocabulary (the output
# `unknown character`): a code of one entry, or the ids encode returned (at least two: the string has known
# characters around the unknown one).
UNKNOWN_NAMED, UNKNOWN_NOT_NAMED, UNKNOWN_OTHER_ERROR, UNKNOWN_NOT_A_LIST = -1, -2, -3, -4
TOKENIZER_OUTPUTS = ["vocab_size", "encode(s)", "decode(ids)", "unknown character"]
UNSORTED = "the vocabulary in another order than sorted (list(set(text)) has no fixed order)"


def _int_list(value, call):
    """`value` as an int64 tensor when it is a list of Python ints, else a TypeError that says what it is."""
    if isinstance(value, torch.Tensor):
        raise translated_error(TypeError, "{call} returned a torch.Tensor, not a list of ints: return a plain Python "
                               "list (ids.tolist(), or build it with a list comprehension)", call=call)
    if isinstance(value, str):
        raise translated_error(TypeError, "{call} returned a string, not a list of ints: return [id of each "
                               "character], e.g. [3, 0, 7]", call=call)
    if type(value) is not list or any(isinstance(i, bool) or not isinstance(i, int) for i in value):
        raise translated_error(TypeError, "{call} should return a list of Python ints, got {type}", call=call,
                               type=type(value).__name__)
    return torch.tensor([int(i) for i in value], dtype=torch.int64)


def tokenizer_invoke(impl, case):
    """Build the learner's tokenizer on the case's text and read, as int64 tensors: `vocab_size`, `encode(s)`,
    `decode(ids)` (its characters' code points), and what `encode` does with a string holding one character
    outside the vocabulary (`UNKNOWN_*`, or the ids it returned)."""
    text, s, ids, unknown = case.args
    tokenizer = impl(text)
    size = tokenizer.vocab_size
    if callable(size):
        raise translated_error(TypeError, "vocab_size is a method: make it a number, an attribute set in __init__ "
                               "(self.vocab_size = ...) or a @property")
    if isinstance(size, bool) or not isinstance(size, int):
        raise translated_error(TypeError, "vocab_size should be a Python int (the number of distinct characters), "
                               "got {type}", type=type(size).__name__)
    encoded = _int_list(tokenizer.encode(s), "encode(s)")
    decoded = tokenizer.decode(list(ids))
    if not isinstance(decoded, str):
        raise translated_error(TypeError, "decode(ids) should return a str, got {type}: join the characters with "
                               "''.join(...)", type=type(decoded).__name__)
    stranger = next(ch for ch in unknown if ch not in text)
    try:
        returned = tokenizer.encode(unknown)
    except NotImplementedError:
        raise
    except ValueError as error:
        outcome = torch.tensor([UNKNOWN_NAMED if stranger in str(error) else UNKNOWN_NOT_NAMED])
    except Exception:  # noqa: BLE001 - another kind of error: what the check reports
        outcome = torch.tensor([UNKNOWN_OTHER_ERROR])
    else:
        try:
            outcome = _int_list(returned, "encode")
        except TypeError:
            outcome = torch.tensor([UNKNOWN_NOT_A_LIST])
    return (torch.tensor(size, dtype=torch.int64), encoded,
            torch.tensor([ord(ch) for ch in decoded], dtype=torch.int64), outcome)


class TokenizerExercise(Exercise):
    """CharTokenizer: a class that is no nn.Module, with outputs that are a number, lists and strings; compared
    as int64 tensors (`tokenizer_invoke`) and reported in words: the list, the string, what happened."""

    def _compare(self, got, want, where):
        for out_name, g, w in zip(self.outputs, got, want):
            if g.shape == w.shape and bool((g == w).all()):
                continue
            if out_name == "vocab_size":
                said = tr("`vocab_size` is {got}, expected {want}", got=int(g), want=int(w))
            elif out_name == "encode(s)":
                said = tr("`encode(s)` returned {got}, expected {want}", got=g.tolist(), want=w.tolist())
            elif out_name == "decode(ids)":
                said = tr("`decode(ids)` returned {got!r}, expected {want!r}", got="".join(map(chr, g.tolist())),
                          want="".join(map(chr, w.tolist())))
            else:
                said = self._unknown_words(g)
            return said + on_case(where)
        return None

    @staticmethod
    def _unknown_words(got):
        code = int(got[0]) if got.numel() == 1 and int(got[0]) < 0 else None
        if code == UNKNOWN_NOT_NAMED:
            return tr("`encode(unknown)` raised ValueError, but its message does not name the character outside the "
                      "vocabulary")
        if code == UNKNOWN_OTHER_ERROR:
            return tr("`encode(unknown)` raised another exception than ValueError for the character outside the "
                      "vocabulary")
        if code == UNKNOWN_NOT_A_LIST:
            return tr("`encode(unknown)` returned something else than a list of ints instead of raising ValueError "
                      "for the character outside the vocabulary")
        return tr("`encode(unknown)` returned {got} instead of raising ValueError for the character outside the "
                  "vocabulary", got=got.tolist())

    def _shape_words(self, got, want, case):
        return []  # `_compare` already says what differs, in words

    def _diagnose(self, student, cases):
        found = super()._diagnose(student, cases)
        if found or not any(m.name == UNSORTED for m in self.mistakes):
            return found
        runs = [(self._run(student, case)[0], self._run(self.reference, case)[0]) for case in cases]
        mapping = {}  # the reference's id -> the learner's, per case: a consistent relabelling of the vocabulary?
        for i, (got, want) in enumerate(runs):
            if isinstance(got, BaseException) or isinstance(want, BaseException) or got[1].shape != want[1].shape \
                    or int(got[0]) != int(want[0]):
                return None
            for mine, right in zip(got[1].tolist(), want[1].tolist()):
                if not 0 <= mine < int(want[0]) or mapping.setdefault((i, right), mine) != mine:
                    return None  # an id outside 0 .. V-1, or one character given two ids: not a relabelling
        relabelled = any(mine != right for (_, right), mine in mapping.items())
        return self._named(UNSORTED) if relabelled else None
