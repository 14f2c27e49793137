"""Checks for notebook 06: rnn_flops, attention_flops, graph_depth and attention_all_positions."""
import math

import torch

from ..solutions import parallelism as ref
from ._harness import AllAtOnceExercise, DepthExercise, Graph, count_invoke, depth_invoke
from .framework import Case, Exercise, Mistake, randn, seeded


# -- counting FLOPs: functions of Python ints that return a Python int (`count_invoke`) ------------------
def _flop_cases(seed):
    g = seeded(seed)
    if seed != 0:  # hidden tests: no (T, d_model) of seed 0's, which a learner can read in the recordings
        def pick(*choices):
            return choices[int(torch.randint(0, len(choices), (), generator=g))]

        sizes = [(pick(*range(8, 16)), pick(*range(6, 12))), (1, pick(2, 3, 6, 7, 8)), (pick(2, 3, 4, 5, 7, 8), 1),
                 (pick(*range(101, 200)), pick(48, 96)), (pick(2, 4, 5), pick(*range(41, 61))),
                 (pick(*range(41, 61)), pick(*range(41, 61)))]
        return [Case(f"T={T}, d_model={D}", (T, D)) for T, D in sizes]
    T, D = (int(n) for n in torch.randint(20, 40, (2,), generator=g))
    return [
        Case("T=7, d_model=12", (7, 12)),
        Case("T=1, d_model=5 (one position)", (1, 5)),
        Case("T=6, d_model=1", (6, 1)),
        Case("T=100, d_model=64", (100, 64)),
        Case("T=3, d_model=40 (wider than long)", (3, 40)),
        Case(f"T={T}, d_model={D + 1}", (T, D + 1)),
    ]


RNN_FLOPS = Exercise(
    "rnn_flops", ref.rnn_flops, _flop_cases, arg_names=["T", "d_model"], invoke=count_invoke, gradients=False,
    mistakes=[
        Mistake("multiply-adds counted once (the factor 2 forgotten)", lambda T, d_model: 2 * T * d_model ** 2,
                "FlopCounterMode counts a multiply and an add as 2 FLOPs: a (1, D) x (D, D) product costs 2·D²."),
        Mistake("one matrix product per step (x_t @ W_xh or h @ W_hh forgotten)",
                lambda T, d_model: 2 * T * d_model ** 2,
                "each step multiplies the input by W_xh AND the previous state by W_hh: two (D, D) products."),
        Mistake("the cost of one step only (not multiplied by T)", lambda T, d_model: 4 * d_model ** 2,
                "a layer reads all T positions, one step each: multiply the cost of a step by T."),
        Mistake("an LSTM counted (four gates)", lambda T, d_model: 16 * T * d_model ** 2,
                "a plain RNN has one W_xh and one W_hh of shape (D, D); an LSTM's four gates make it 4 times more."),
        Mistake("quadratic in T, as attention is", lambda T, d_model: 4 * T * T * d_model,
                "a recurrence does the same work at every step whatever the length: T·D², not T²·D."),
        Mistake("multiply-adds counted as T·D (a vector, not a matrix)", lambda T, d_model: 4 * T * d_model,
                "x_t @ W_xh is a (1, D) row times a (D, D) matrix: D outputs of D multiply-adds each, D²."),
    ],
)


ATTENTION_FLOPS = Exercise(
    "attention_flops", ref.attention_flops, _flop_cases, arg_names=["T", "d_model"], invoke=count_invoke,
    gradients=False,
    mistakes=[
        Mistake("multiply-adds counted once (the factor 2 forgotten)",
                lambda T, d_model: 4 * T * d_model ** 2 + 2 * T * T * d_model,
                "FlopCounterMode counts a multiply and an add as 2 FLOPs: (T, D) x (D, D) costs 2·T·D²."),
        Mistake("the four projections left out", lambda T, d_model: 4 * T * T * d_model,
                "w_q, w_k, w_v and w_o are (T, D) x (D, D) products: 4 · 2·T·D² on top of the T² terms."),
        Mistake("the output projection w_o forgotten", lambda T, d_model: 6 * T * d_model ** 2 + 4 * T * T * d_model,
                "there are four projections: w_q, w_k, w_v, and w_o after the heads are merged."),
        Mistake("weights @ v forgotten (only q @ k^T counted)",
                lambda T, d_model: 8 * T * d_model ** 2 + 2 * T * T * d_model,
                "the (T, T) weights multiply the (T, D) values too: another 2·T²·D."),
        Mistake("the scores counted as T·D² (linear in T)",
                lambda T, d_model: 8 * T * d_model ** 2 + 4 * T * d_model ** 2,
                "q @ k^T is (T, D) x (D, T): T·T scores of D multiply-adds each, T²·D, and the same for weights @ v."),
        Mistake("multiplied by the number of heads or by D again (T²·D²)",
                lambda T, d_model: 8 * T * d_model ** 2 + 4 * T * T * d_model ** 2,
                "h heads of width d = D / h cost h · T²·d = T²·D: heads do not add work."),
    ],
)


# -- graph_depth: the learner's function walks autograd graphs built by the check -------------------------
def _depth_cases(seed):
    g = seeded(seed)
    steps, cell_steps, positions = (4, 3, 6) if seed == 0 else (  # hidden tests: lengths none of seed 0's
        int(torch.randint(5, 10, (), generator=g)), int(torch.randint(4, 6, (), generator=g)),
        int(torch.randint(7, 10, (), generator=g)))
    return [
        Case(f"RNN, {steps} steps", (Graph("an RNN", steps, seed),)),
        Case("RNN, 1 step", (Graph("an RNN", 1, seed),)),
        Case("two paths of 2 and 3 operations", (Graph("a diamond", 1, seed),)),
        Case(f"LSTM cell, {cell_steps} steps, parameters that require gradients",
             (Graph("an LSTM cell loop", cell_steps, seed),)),
        Case(f"self-attention over {positions} positions", (Graph("attention", positions, seed),)),
        Case("a constant among the inputs (None in next_functions)", (Graph("a constant bias added", 2, seed),)),
        Case("a leaf: no operation produced it", (Graph("a leaf", 3, seed),)),
    ]


def _walk(output, combine=max, count_leaves=False, per_node=1, follow=None):
    """A memoised walk of the graph: the variants of graph_depth the mistakes are made of."""
    memo = {}

    def depth(node):
        if node not in memo:
            inputs = [n for n, _ in node.next_functions if n is not None]
            if not count_leaves:
                inputs = [n for n in inputs if type(n).__name__ != "AccumulateGrad"]
            if follow is not None:
                inputs = follow(node, inputs)
            memo[node] = per_node + combine((depth(n) for n in inputs), default=0)
        return memo[node]

    if output.grad_fn is None:
        return 0
    return depth(output.grad_fn)


def _depth_with_leaves(output):
    return _walk(output, count_leaves=True)


def _depth_shortest(output):
    return _walk(output, combine=min)


def _depth_edges(output):
    return max(_walk(output) - 1, 0)


def _depth_first_input_only(output):
    return _walk(output, follow=lambda node, inputs: inputs[:1])


def _depth_all_nodes(output):
    seen, stack = set(), [output.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or node in seen or type(node).__name__ == "AccumulateGrad":
            continue
        seen.add(node)
        stack.extend(n for n, _ in node.next_functions)
    return len(seen)


def _depth_none_followed(output):
    def depth(node):
        inputs = [n for n, _ in node.next_functions if type(n).__name__ != "AccumulateGrad"]
        return 1 + max((depth(n) for n in inputs), default=0)  # None.next_functions raises AttributeError
    return depth(output.grad_fn) if output.grad_fn is not None else 0


GRAPH_DEPTH = DepthExercise(
    "graph_depth", ref.graph_depth, _depth_cases, arg_names=["output"], invoke=depth_invoke, gradients=False,
    mistakes=[
        Mistake("AccumulateGrad nodes counted as operations", _depth_with_leaves,
                "AccumulateGrad only stores a leaf's gradient: skip it (type(node).__name__ == 'AccumulateGrad'); "
                "a leaf has depth 0."),
        Mistake("the shortest chain instead of the longest", _depth_shortest,
                "an operation can start only once ALL its inputs are ready: take the max over the inputs, "
                "not the min."),
        Mistake("edges counted instead of operations (one too few)", _depth_edges,
                "count the operations on the chain, the output's own grad_fn included: x * 2 has depth 1."),
        Mistake("only the first input of each operation followed", _depth_first_input_only,
                "an operation has several inputs (node.next_functions is a tuple of (node, index) pairs): "
                "take the longest chain over all of them."),
        Mistake("every operation of the graph counted, not the longest chain", _depth_all_nodes,
                "independent operations can run at the same time: the depth is the length of the longest "
                "chain of operations that wait for each other, not their number."),
        Mistake("None entries of next_functions followed (inputs that need no gradient)", _depth_none_followed,
                "next_functions holds (None, 0) for an input that needs no gradient, such as a constant: skip it."),
    ],
)


# -- attention_all_positions ------------------------------------------------------------------------------
def _attention_cases(seed):
    g = seeded(seed)
    return [
        Case("B=2, T=5, d=4, d_v=3", (randn(g, 2, 5, 4), randn(g, 2, 5, 4), randn(g, 2, 5, 3))),
        Case("causal, B=2, T=6, d=4, d_v=3", (randn(g, 2, 6, 4), randn(g, 2, 6, 4), randn(g, 2, 6, 3)),
             {"causal": True}),
        Case("batch 1, length 1", (randn(g, 1, 1, 4), randn(g, 1, 1, 4), randn(g, 1, 1, 2))),
        Case("causal, batch 1, length 1", (randn(g, 1, 1, 4), randn(g, 1, 1, 4), randn(g, 1, 1, 2)),
             {"causal": True}),
        Case("large scores, d=16", (randn(g, 2, 3, 16, scale=3.0), randn(g, 2, 3, 16, scale=3.0),
                                    randn(g, 2, 3, 5))),
        Case("causal, extra head axis (B, h, T, d)", (randn(g, 2, 3, 4, 6), randn(g, 2, 3, 4, 6),
                                                    randn(g, 2, 3, 4, 5)), {"causal": True}),
        Case("float64, causal", (randn(g, 2, 7, 3, dtype=torch.float64), randn(g, 2, 7, 3, dtype=torch.float64),
                                 randn(g, 2, 7, 2, dtype=torch.float64)), {"causal": True}),
    ]


def _attention(q, k, v, causal, scale="sqrt", dim=-1, diagonal=0, fill=-math.inf):
    """Batched attention with one thing changed, to build the known mistakes."""
    d, T, Tk = q.size(-1), q.size(-2), k.size(-2)
    scores = q @ k.transpose(-2, -1) / {"sqrt": math.sqrt(d), "none": 1.0, "d": d}[scale]
    if causal:
        allowed = torch.ones(T, Tk, dtype=torch.bool).tril(diagonal)
        scores = scores.masked_fill(~allowed, fill)
    return torch.softmax(scores, dim=dim) @ v


ATTENTION_ALL = AllAtOnceExercise(
    "attention_all_positions", ref.attention_all_positions, _attention_cases, arg_names=["q", "k", "v"],
    mistakes=[
        Mistake("the causal flag ignored", lambda q, k, v, causal=False: _attention(q, k, v, False),
                "with causal=True query t may only see keys 0..t: mask the scores above the diagonal with -inf."),
        Mistake("the causal mask shifted by one (a query sees the next key)",
                lambda q, k, v, causal=False: _attention(q, k, v, causal, diagonal=1),
                "torch.ones(T, T).tril() keeps the diagonal and everything below: key t is allowed for query t, "
                "key t + 1 is not."),
        Mistake("the causal mask excludes the query's own position",
                lambda q, k, v, causal=False: _attention(q, k, v, causal, diagonal=-1),
                "query t sees keys 0..t, its own position included (the loop slices k[:, :t + 1])."),
        Mistake("masked scores set to 0 instead of -inf",
                lambda q, k, v, causal=False: _attention(q, k, v, causal, fill=0.0),
                "a score of 0 still gets weight exp(0) after the softmax: fill with float('-inf')."),
        Mistake("no 1/sqrt(d) scaling", lambda q, k, v, causal=False: _attention(q, k, v, causal, scale="none"),
                "the loop divides the scores by math.sqrt(d), d = q.size(-1): do the same."),
        Mistake("scores divided by d instead of sqrt(d)",
                lambda q, k, v, causal=False: _attention(q, k, v, causal, scale="d"),
                "divide by math.sqrt(d), not by d."),
        Mistake("softmax over the queries (dim=-2)", lambda q, k, v, causal=False: _attention(q, k, v, causal, dim=-2),
                "each query's weights over the keys sum to 1: softmax over the last axis, the keys."),
    ],
)
