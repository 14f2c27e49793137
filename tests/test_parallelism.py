"""Notebook 06: the cost formulas against FlopCounterMode, graph_depth on real graphs, batched attention
against the loop, checks that accept correct variants and name slips, and the experiments' claims."""
import math

import pytest
import torch
from checking import VERIFY, assert_rejected
from torch import nn
from torch.nn import functional as F

from course_lib.checks import (
    check_attention_all_positions,
    check_attention_flops,
    check_graph_depth,
    check_rnn_flops,
)
from course_lib.experiments import parallelism as E
from course_lib.solutions import parallelism as S


# -- the references are right ------------------------------------------------------------------------------
@pytest.mark.parametrize("T,D", [(1, 4), (7, 12), (33, 20)])
def test_flop_formulas_equal_flop_counter_mode_on_real_layers(T, D):
    assert S.rnn_flops(T, D) == E.counted_flops(E.Recurrence("rnn", D), T, D)
    assert S.attention_flops(T, D) == E.counted_flops(E.SelfAttentionLayer(D, S.attention_all_positions), T, D)


def test_graph_depth_counts_operations_on_the_longest_chain():
    x = torch.ones(3, requires_grad=True)
    assert S.graph_depth(x) == 0
    assert S.graph_depth((x * 2).exp()) == 2
    a = x * 2
    assert S.graph_depth(a + a.exp().sin()) == 4  # the longer of the two branches, then the addition


def test_graph_depth_handles_graphs_deeper_than_the_recursion_limit():
    h = torch.zeros(1, requires_grad=True)
    for _ in range(3000):
        h = torch.tanh(h + 1)
    assert S.graph_depth(h) == 6000


@pytest.mark.parametrize("causal", [False, True])
def test_batched_attention_equals_the_loop_and_torch(causal):
    g = torch.Generator().manual_seed(0)
    q, k, v = torch.randn(2, 9, 4, generator=g), torch.randn(2, 9, 4, generator=g), torch.randn(2, 9, 3, generator=g)
    out = S.attention_all_positions(q, k, v, causal)
    torch.testing.assert_close(out, S.attention_one_query_at_a_time(q, k, v, causal))
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v, is_causal=causal))


# -- correct, written differently: must pass the public and the hidden checks ----------------------------------
def rnn_flops_per_product(T, d_model):
    product = 2 * 1 * d_model * d_model  # (1, D) x (D, D)
    return sum(2 * product for _ in range(T))


def attention_flops_by_shapes(T, d_model):
    def matmul(m, n, p):
        return 2 * m * n * p
    return 4 * matmul(T, d_model, d_model) + matmul(T, d_model, T) + matmul(T, T, d_model)


def graph_depth_recursive(output):
    memo = {}

    def depth(node):
        if node not in memo:
            inputs = [n for n, _ in node.next_functions if n is not None and not hasattr(n, "variable")]
            memo[node] = 1 + max((depth(n) for n in inputs), default=0)
        return memo[node]
    return 0 if output.grad_fn is None else depth(output.grad_fn)


def graph_depth_topological(output):
    if output.grad_fn is None:
        return 0
    order, seen, stack = [], set(), [(output.grad_fn, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if node in seen:
            continue
        seen.add(node)
        stack.append((node, True))
        for n, _ in node.next_functions:
            if n is not None and type(n).__name__ != "AccumulateGrad" and n not in seen:
                stack.append((n, False))
    depth = {}
    for node in order:  # inputs before the nodes that use them
        inputs = [n for n, _ in node.next_functions if n in depth]
        depth[node] = 1 + max((depth[n] for n in inputs), default=0)
    return depth[output.grad_fn]


def attention_einsum_float64(q, k, v, causal=False):
    scores = torch.einsum("...td,...sd->...ts", q.double(), k.double()) * q.size(-1) ** -0.5
    if causal:
        T, Tk = scores.shape[-2:]
        future = torch.arange(Tk)[None, :] > torch.arange(T)[:, None]
        scores = scores.masked_fill(future, -1e9)
    return torch.einsum("...ts,...sd->...td", scores.softmax(-1), v.double()).to(v.dtype)


def attention_fused(q, k, v, causal=False):
    return F.scaled_dot_product_attention(q, k, v, is_causal=causal)


@pytest.mark.parametrize("impl,name,seed", [
    (rnn_flops_per_product, "rnn_flops", 6101),
    (attention_flops_by_shapes, "attention_flops", 6203),
    (graph_depth_recursive, "graph_depth", 6307),
    (graph_depth_topological, "graph_depth", 6307),
    (attention_einsum_float64, "attention_all_positions", 6409),
    (attention_fused, "attention_all_positions", 6409),
])
def test_correct_variants_pass_public_and_hidden_checks(impl, name, seed):
    check = {"rnn_flops": check_rnn_flops, "attention_flops": check_attention_flops,
             "graph_depth": check_graph_depth, "attention_all_positions": check_attention_all_positions}[name]
    check(impl)
    assert VERIFY(name, impl, seed=seed)


# -- student-style slips: must fail and be named ---------------------------------------------------------------
def test_a_float_answer_is_refused_plainly():
    assert_rejected(check_rnn_flops, lambda T, d_model: 4.0 * T * d_model ** 2, names="should return a Python int")


def test_attention_flops_without_the_factor_two_is_named():
    assert_rejected(check_attention_flops, lambda T, d: 4 * T * d * d + 2 * T * T * d, names="factor 2 forgotten")


def test_unmemoised_walk_is_told_to_memoise():
    def naive(output):
        def depth(node):
            inputs = [n for n, _ in node.next_functions if n is not None and type(n).__name__ != "AccumulateGrad"]
            return 1 + max((depth(n) for n in inputs), default=0)
        return 0 if output.grad_fn is None else depth(output.grad_fn)

    assert_rejected(check_graph_depth, naive, names="memoise")


def test_counting_accumulate_grad_is_named():
    def with_leaves(output):
        memo = {}

        def depth(node):
            if node not in memo:
                memo[node] = 1 + max((depth(n) for n, _ in node.next_functions if n is not None), default=0)
            return memo[node]
        return 0 if output.grad_fn is None else depth(output.grad_fn)

    assert_rejected(check_graph_depth, with_leaves, names="AccumulateGrad nodes counted")


def test_a_loop_over_the_queries_is_refused_though_its_values_are_right():
    def loop(q, k, v, causal=False):
        d = q.size(-1)
        outs = []
        for t in range(q.size(-2)):
            keys = t + 1 if causal else k.size(-2)
            w = torch.softmax(q[..., t:t + 1, :] @ k[..., :keys, :].transpose(-2, -1) / math.sqrt(d), dim=-1)
            outs.append(w @ v[..., :keys, :])
        return torch.cat(outs, dim=-2)

    assert_rejected(check_attention_all_positions, loop, names="one at a time")


@pytest.mark.parametrize("diagonal,name", [(1, "shifted by one"), (-1, "excludes the query's own position")])
def test_causal_mask_off_by_one_is_named(diagonal, name):
    def attention(q, k, v, causal=False):
        scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
        if causal:
            T = q.size(-2)
            scores = scores.masked_fill(~torch.ones(T, T, dtype=torch.bool).tril(diagonal), float("-inf"))
        return scores.softmax(-1) @ v

    assert_rejected(check_attention_all_positions, attention, names=name)


def test_hidden_check_refuses_the_handed_out_loop():
    def uses_loop(q, k, v, causal=False):
        return S.attention_one_query_at_a_time(q, k, v, causal)

    assert_rejected(VERIFY, "attention_all_positions", uses_loop, seed=6409)


# -- the experiments measure the claims ------------------------------------------------------------------------
def test_recurrence_depth_grows_with_length_and_attention_depth_does_not():
    rows = E.depth_table(S.graph_depth, S.attention_all_positions, (2, 4, 8))
    assert E.ops_per_step(rows, "RNN")[0] == pytest.approx(3.0)
    assert E.ops_per_step(rows, "LSTM")[0] > 3
    assert len({r["attention layer"] for r in rows}) == 1 and len({r["attention path"] for r in rows}) == 1
    assert rows[-1]["RNN path"] > rows[0]["RNN path"]


def test_work_table_formulas_match_the_counter():
    for r in E.work_table(S.rnn_flops, S.attention_flops, S.attention_all_positions, (8, 32), d_model=16):
        assert r["RNN formula"] == r["RNN counted"] and r["attention formula"] == r["attention counted"]


def test_cost_model_recovers_known_coefficients():
    work = [1e6 * i for i in range(1, 6)] * 2
    depth = [10 * i for i in range(1, 6)] + [5] * 5
    seconds = [1e-4 + w / (2 * 1e9) + d * 2e-6 for w, d in zip(work, depth)]
    model = E.fit_cost_model(work, depth, seconds, cores=2)
    assert model["flops per core"] == pytest.approx(1e9, rel=1e-6)
    assert model["latency"] == pytest.approx(2e-6, rel=1e-6)
    assert E.predict(model, 1e6, 10, 2) == pytest.approx(seconds[0])


def test_crossover_interpolates_where_the_ratio_passes_one():
    assert E.crossover([10, 100], [1.0, 4.0], [2.0, 2.0]) == pytest.approx(10 * 10 ** 0.5)
    assert E.crossover([10, 100], [1.0, 1.0], [2.0, 2.0]) is None
    assert E.crossover([10, 20, 40, 80], [3.0, 1.0, 1.0, 4.0], [2.0, 2.0, 2.0, 2.0]) == pytest.approx(40 * 2 ** 0.5)


def test_gradient_through_attention_fades_far_less_than_through_an_rnn():
    from course_lib.experiments.sequence_models import gradient_to_first_step

    att = E.attention_gradient_to_first_step(S.attention_all_positions, 32)
    rnn = gradient_to_first_step("rnn", 32)
    assert att[1] / att[-1] < 100 < rnn[1] / rnn[-1]


def test_timing_functions_return_repeated_timings_per_length_and_the_load():
    from course_lib.experiments import claims

    times, load = E.time_layers(S.attention_all_positions, (4, 8), d_model=8, repeats=3)
    assert isinstance(load, claims.Load)
    assert all(len(v) == 2 and all(len(t.samples) == 3 and t.median > 0 for t in v)
               for modes in times.values() for v in modes.values())
    fused, _ = E.time_fused(S.attention_all_positions, (8,), repeats=2)
    assert fused["yours"][0].median > 0 and fused["fused"][0].median > 0
    steps, _ = E.training_throughput(S.attention_all_positions, (8,), d_model=8, batch=2, repeats=2)
    assert steps["LSTM"][0].median > 0 and steps["attention"][0].median > 0


def test_graph_size_counts_the_loops_operations_per_query():
    q = k = v = torch.randn(1, 8, 4, requires_grad=True)
    batched = E.graph_size(S.attention_all_positions(q, k, v, True))
    looped = E.graph_size(S.attention_one_query_at_a_time(q, k, v, True))
    assert looped >= 4 * 8 > batched  # a few operations in all, against a few per query (T = 8)


def test_self_attention_layer_is_an_nn_module_with_four_projections():
    layer = E.SelfAttentionLayer(8, S.attention_all_positions)
    assert sum(isinstance(m, nn.Linear) for m in layer.children()) == 4
    assert layer(torch.randn(2, 5, 8), causal=True).shape == (2, 5, 8)
