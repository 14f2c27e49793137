"""Notebook 02: the additive-attention reference against a loop written from the formula, its check against
correct code written differently and against buggy code written the way learners write it, and the
experiment's measured effect."""
import pytest
import torch
from checking import assert_rejected
from threadcount import assert_restores_the_thread_count

from course_lib.checks import check_additive_attention
from course_lib.checks.classic_attention import ADDITIVE
from course_lib.experiments import classic_attention as lab
from course_lib.solutions import additive_attention


# -- (a) the reference is the formula ----------------------------------------------------------------------
def loop_additive_attention(query, keys, values, W_q, W_k, v, mask=None):
    """score_t = v . tanh(query @ W_q + keys_t @ W_k), one row and one position at a time, in float64."""
    B, T, _ = keys.shape
    context = torch.zeros(B, values.shape[-1], dtype=torch.float64)
    weights = torch.zeros(B, T, dtype=torch.float64)
    for b in range(B):
        allowed = [t for t in range(T) if mask is None or bool(mask[b, t])]
        scores = {}
        for t in allowed:
            hidden = [sum(float(query[b, i]) * float(W_q[i, a]) for i in range(W_q.shape[0]))
                      + sum(float(keys[b, t, j]) * float(W_k[j, a]) for j in range(W_k.shape[0]))
                      for a in range(v.shape[0])]
            scores[t] = sum(float(v[a]) * torch.tanh(torch.tensor(h, dtype=torch.float64)) for a, h in
                            enumerate(hidden))
        top = max(scores.values())
        total = sum(torch.exp(s - top) for s in scores.values())
        for t in allowed:
            weights[b, t] = torch.exp(scores[t] - top) / total
            context[b] += weights[b, t] * values[b, t].double()
    return context, weights


@pytest.mark.parametrize("case", ADDITIVE.make_cases(0), ids=lambda c: c.label)
def test_reference_equals_a_loop_over_the_formula(case):
    context, weights = additive_attention(*case.args, **case.kwargs)
    want_context, want_weights = loop_additive_attention(*case.args, **case.kwargs)
    torch.testing.assert_close(weights.double(), want_weights, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(context.double(), want_context, rtol=1e-4, atol=1e-5)


def test_weights_are_a_distribution_that_ignores_blocked_positions():
    g = torch.Generator().manual_seed(3)
    B, T, Dq, Dk, Dv, A = 3, 7, 3, 4, 6, 5
    mask = torch.rand(B, T, generator=g) < 0.5
    mask[:, 0] = True  # at least one allowed position per row
    args = (torch.randn(B, Dq, generator=g), torch.randn(B, T, Dk, generator=g),
            torch.randn(B, T, Dv, generator=g), torch.randn(Dq, A, generator=g),
            torch.randn(Dk, A, generator=g), torch.randn(A, generator=g))
    context, weights = additive_attention(*args, mask=mask)
    torch.testing.assert_close(weights.sum(dim=-1), torch.ones(B))
    assert bool((weights[~mask] == 0).all()), "a blocked position must get weight exactly 0"
    changed = args[2].clone()
    changed[~mask] = 1e6  # what sits at a blocked position cannot reach the context
    torch.testing.assert_close(additive_attention(*args[:2], changed, *args[3:], mask=mask)[0], context)


# -- (b) correct code written differently passes -----------------------------------------------------------
def einsum_version(query, keys, values, W_q, W_k, v, mask=None):
    q = torch.einsum("bd,da->ba", query, W_q)
    hidden = torch.tanh(q[:, None] + torch.einsum("btd,da->bta", keys, W_k))
    scores = torch.einsum("bta,a->bt", hidden, v)
    if mask is not None:
        scores = torch.where(mask, scores, torch.tensor(float("-inf"), dtype=scores.dtype))
    weights = scores.softmax(dim=1)
    return torch.einsum("bt,btd->bd", weights, values), weights


def minus_1e9_version(query, keys, values, W_q, W_k, v, mask=None):
    scores = (torch.tanh((query @ W_q).unsqueeze(1) + keys @ W_k) * v).sum(-1)
    if mask is not None:
        scores = scores.masked_fill(mask == 0, -1e9)
    weights = torch.nn.functional.softmax(scores, dim=-1)
    return (weights.unsqueeze(-1) * values).sum(dim=1), weights


def float64_inside_version(query, keys, values, W_q, W_k, v, mask=None):
    dtype = query.dtype
    q, k, vals, wq, wk, vv = (t.double() for t in (query, keys, values, W_q, W_k, v))
    scores = torch.tanh(q[:, None, :] @ wq + k @ wk) @ vv
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.exp(scores - scores.max(dim=-1, keepdim=True).values)
    weights = weights / weights.sum(dim=-1, keepdim=True)
    return torch.bmm(weights[:, None], vals)[:, 0].to(dtype), weights.to(dtype)


def renormalised_after_softmax_version(query, keys, values, W_q, W_k, v, mask=None):
    weights = torch.softmax(torch.tanh((query @ W_q)[:, None] + keys @ W_k) @ v, dim=-1)
    if mask is not None:
        weights = weights * mask
        weights = weights / weights.sum(dim=-1, keepdim=True)  # mask after, but renormalised: still correct
    return (weights[:, None] @ values).squeeze(1), weights


def per_position_version(query, keys, values, W_q, W_k, v, mask=None):
    q = query @ W_q  # (B, A)
    scores = torch.stack([torch.tanh(q + keys[:, t] @ W_k) @ v for t in range(keys.shape[1])], dim=1)
    if mask is not None:
        scores = scores.masked_fill(~mask, -torch.inf)
    weights = torch.softmax(scores, dim=-1)
    return sum(weights[:, t, None] * values[:, t] for t in range(values.shape[1])), weights


@pytest.mark.parametrize("impl", [einsum_version, minus_1e9_version, float64_inside_version,
                                  renormalised_after_softmax_version, per_position_version])
def test_correct_implementations_written_differently_pass(impl, capsys):
    check_additive_attention(impl)
    assert capsys.readouterr().out.startswith("\u2714")


@pytest.mark.parametrize("seed", [1, 2024, 31337])
def test_reference_passes_the_hidden_seeds(seed):
    ADDITIVE.check(additive_attention, seed=seed, quiet=True)


# -- (c) buggy code written as a learner would is rejected, and the message names the mistake -----------
def softmax_over_batch(query, keys, values, W_q, W_k, v, mask=None):
    scores = torch.tanh((query @ W_q)[:, None, :] + keys @ W_k) @ v
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=0)
    return (weights[:, None, :] @ values).squeeze(1), weights


def mask_ignored(query, keys, values, W_q, W_k, v, mask=None):
    weights = torch.softmax(torch.tanh((query @ W_q)[:, None, :] + keys @ W_k) @ v, dim=-1)
    return torch.einsum("bt,btv->bv", weights, values), weights


def mask_inverted(query, keys, values, W_q, W_k, v, mask=None):
    scores = torch.tanh((query @ W_q)[:, None, :] + keys @ W_k) @ v
    if mask is not None:
        scores = scores.masked_fill(mask, float("-inf"))
    weights = scores.softmax(-1)
    return (weights.unsqueeze(-1) * values).sum(1), weights


def mask_after_softmax(query, keys, values, W_q, W_k, v, mask=None):
    weights = torch.softmax(torch.tanh((query @ W_q)[:, None, :] + keys @ W_k) @ v, dim=-1)
    if mask is not None:
        weights = weights.masked_fill(~mask, 0.0)
    return (weights.unsqueeze(-1) * values).sum(1), weights


def masked_to_zero(query, keys, values, W_q, W_k, v, mask=None):
    scores = torch.tanh((query @ W_q)[:, None, :] + keys @ W_k) @ v
    if mask is not None:
        scores = scores * mask  # blocked scores become 0, not -inf
    weights = scores.softmax(-1)
    return (weights.unsqueeze(-1) * values).sum(1), weights


def no_tanh(query, keys, values, W_q, W_k, v, mask=None):
    scores = ((query @ W_q)[:, None, :] + keys @ W_k) @ v
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = scores.softmax(-1)
    return (weights.unsqueeze(-1) * values).sum(1), weights


def tanh_after_v(query, keys, values, W_q, W_k, v, mask=None):
    scores = torch.tanh(((query @ W_q)[:, None, :] + keys @ W_k) @ v)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = scores.softmax(-1)
    return (weights.unsqueeze(-1) * values).sum(1), weights


def swapped_weights(query, keys, values, W_q, W_k, v, mask=None):
    q = query @ W_k
    k = keys @ W_q
    scores = torch.tanh(q[:, None, :] + k) @ v
    weights = scores.softmax(-1)
    return (weights.unsqueeze(-1) * values).sum(1), weights


def no_time_axis(query, keys, values, W_q, W_k, v, mask=None):
    scores = torch.tanh(query @ W_q + keys @ W_k) @ v  # (B, A) + (B, T, A)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = scores.softmax(-1)
    return (weights.unsqueeze(-1) * values).sum(1), weights


def context_from_keys(query, keys, values, W_q, W_k, v, mask=None):
    scores = torch.tanh((query @ W_q)[:, None, :] + keys @ W_k) @ v
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = scores.softmax(-1)
    return (weights.unsqueeze(-1) * keys).sum(1), weights


def context_mean(query, keys, values, W_q, W_k, v, mask=None):
    scores = torch.tanh((query @ W_q)[:, None, :] + keys @ W_k) @ v
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = scores.softmax(-1)
    return (weights.unsqueeze(-1) * values).mean(1), weights


def plain_matmul_context(query, keys, values, W_q, W_k, v, mask=None):
    scores = torch.tanh((query @ W_q)[:, None, :] + keys @ W_k) @ v
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = scores.softmax(-1)
    return torch.matmul(weights, values), weights


def squeeze_everything(query, keys, values, W_q, W_k, v, mask=None):
    scores = torch.tanh((query @ W_q)[:, None, :] + keys @ W_k) @ v
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = scores.softmax(-1)
    return torch.bmm(weights.unsqueeze(1), values).squeeze(), weights


def no_softmax(query, keys, values, W_q, W_k, v, mask=None):
    scores = torch.tanh((query @ W_q)[:, None, :] + keys @ W_k) @ v
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return (scores.unsqueeze(-1) * values).sum(1), scores


BUGGY = [
    (softmax_over_batch, "softmax over the batch axis"),
    (mask_ignored, "the mask ignored"),
    (mask_inverted, "an inverted mask"),
    (mask_after_softmax, "the mask applied after the softmax"),
    (masked_to_zero, "masked scores set to 0 instead of -inf"),
    (no_tanh, "no tanh"),
    (tanh_after_v, "tanh applied after the dot with v"),
    (swapped_weights, "W_q and W_k swapped"),
    (no_time_axis, "without a time axis"),
    (context_from_keys, "from the keys instead of the values"),
    (context_mean, "a mean instead of the weighted sum"),
    (plain_matmul_context, "weights @ values without an extra axis"),
    (squeeze_everything, ".squeeze() without a dim"),
    (no_softmax, "no softmax"),
]


@pytest.mark.parametrize("impl,name", BUGGY, ids=[b[0].__name__ for b in BUGGY])
def test_a_learners_bug_is_rejected_and_named(impl, name):
    message = str(assert_rejected(check_additive_attention, impl))
    assert "looks like" in message and name in message.split(". ")[0], message


def test_writing_into_the_values_is_reported():
    def zeroes_values(query, keys, values, W_q, W_k, v, mask=None):
        context, weights = einsum_version(query, keys, values, W_q, W_k, v, mask)
        values.zero_()  # tidies up after itself, in the caller's tensor
        return context, weights

    assert_rejected(check_additive_attention, zeroes_values, names="wrote into its input `values`")


# -- (d) the experiment measures what the notebook says ----------------------------------------------------
@pytest.fixture(scope="module")
def short_run():
    """Both models after 100 training steps on 8-digit reversal (about two seconds on a CPU)."""
    scores = {}
    for attention in (False, True):
        config = lab.Seq2SeqConfig(attention=attention)
        model, losses = lab.train_reversal(config, length=8, steps=100, seed=0)
        scores[attention] = (lab.evaluate_reversal(model, length=8, n=300, seed=1), losses)
    return scores


def test_attention_beats_the_bottleneck(short_run):
    with_attention, without = short_run[True][0], short_run[False][0]
    assert with_attention.token_accuracy > without.token_accuracy + 0.15, (with_attention, without)
    assert without.mean_weights is None and with_attention.mean_weights.shape == (8, 8)


def test_attention_learns_the_anti_diagonal(short_run):
    score = short_run[True][0]
    torch.testing.assert_close(score.mean_weights.sum(dim=-1), torch.ones(8))
    assert score.mass_on_source > 2 / 8, "the right source position should get twice the uniform weight"
    anti = score.mean_weights.flip(1).diagonal().mean()  # the mean weight on the anti-diagonal
    assert anti > score.mean_weights.diagonal().mean() + 0.1


def test_training_lowers_the_loss_and_restores_threads(short_run):
    for _, losses in short_run.values():
        assert sum(losses[-10:]) < sum(losses[:10])
    assert_restores_the_thread_count(lab.threads)


def test_alignment_figure_has_labelled_axes():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    weights = torch.softmax(torch.randn(4, 4), dim=-1)
    digits = torch.tensor([1, 2, 3, 4])
    fig = lab.alignment_figure(weights, example=(digits, digits.flip(0), weights))
    try:
        axes = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
        assert len(axes) == 2
        for ax in axes:
            assert ax.get_title()
            assert "source position" in ax.get_xlabel() and "output step" in ax.get_ylabel()
    finally:
        plt.close(fig)
