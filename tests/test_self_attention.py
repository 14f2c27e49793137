"""Notebook 03: the reference agrees with PyTorch, and the checks accept correct code written differently
and name the mistakes of student-style buggy code (written here independently of the check's catalog)."""
import math

import pytest
import torch
import torch.nn.functional as F
from checking import assert_rejected

from course_lib import solutions as S
from course_lib.checks import (
    check_causal_mask,
    check_padding_mask,
    check_scaled_dot_product_attention,
    check_softmax,
)


# -- the reference against PyTorch --------------------------------------------------------------------------
@pytest.mark.parametrize("shape,dim", [((3, 5), -1), ((4, 6), 0), ((2, 3, 5), 1)])
def test_softmax_equals_torch(shape, dim):
    x = torch.randn(*shape) * 30
    torch.testing.assert_close(S.softmax(x, dim), torch.softmax(x, dim))


@pytest.mark.parametrize("mask_kind", ["none", "causal", "padding"])
def test_attention_equals_torch_sdpa(mask_kind):
    g = torch.Generator().manual_seed(1)
    q, k, v = (torch.randn(2, 3, 6, 8, generator=g) for _ in range(3))
    mask = {"none": None, "causal": S.causal_mask(6),
            "padding": S.padding_mask(torch.tensor([6, 3]), 6)[:, None, None, :]}[mask_kind]
    out, weights = S.scaled_dot_product_attention(q, k, v, mask)
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v, attn_mask=mask))
    torch.testing.assert_close(weights.sum(-1), torch.ones(2, 3, 6))


def test_masks_follow_the_course_convention():
    assert S.causal_mask(3).tolist() == [[True, False, False], [True, True, False], [True, True, True]]
    assert S.padding_mask(torch.tensor([2, 0]), 3).tolist() == [[True, True, False], [False, False, False]]


# -- correct, written differently: must pass --------------------------------------------------------------
def softmax_float64(x, dim=-1):
    x64 = x.double()
    e = torch.exp(x64 - x64.max(dim=dim, keepdim=True).values)
    return (e / e.sum(dim=dim, keepdim=True)).to(x.dtype)


def softmax_logsumexp(x, dim=-1):
    return torch.exp(x - torch.logsumexp(x, dim=dim, keepdim=True))


def sdpa_einsum_minus_1e9(q, k, v, mask=None):
    scores = torch.einsum("...qd,...kd->...qk", q, k) / q.shape[-1] ** 0.5
    if mask is not None:
        scores = torch.where(mask, scores, torch.tensor(-1e9, dtype=scores.dtype))
    weights = torch.softmax(scores, dim=-1)
    return torch.einsum("...qk,...kv->...qv", weights, v), weights


def sdpa_scale_queries_first(q, k, v, mask=None):
    q = q * (1.0 / math.sqrt(q.size(-1)))
    scores = torch.matmul(q, k.mT)
    if mask is not None:
        scores = scores + torch.zeros_like(scores).masked_fill(mask.logical_not(), float("-inf"))
    weights = F.softmax(scores, dim=-1)
    return torch.matmul(weights, v), weights


def causal_by_comparison(T):
    i = torch.arange(T)
    return i[:, None] >= i[None, :]


def causal_by_loop(T):
    m = torch.zeros(T, T, dtype=torch.bool)
    for row in range(T):
        m[row, : row + 1] = True
    return m


def padding_by_loop(lengths, max_len):
    return torch.stack([torch.arange(max_len) < int(n) for n in lengths])


@pytest.mark.parametrize("check,impl", [
    (check_softmax, softmax_float64),
    (check_softmax, softmax_logsumexp),
    (check_scaled_dot_product_attention, sdpa_einsum_minus_1e9),
    (check_scaled_dot_product_attention, sdpa_scale_queries_first),
    (check_causal_mask, causal_by_comparison),
    (check_causal_mask, causal_by_loop),
    (check_padding_mask, padding_by_loop),
])
def test_correct_code_written_differently_passes(check, impl, capsys):
    check(impl)
    assert "\u2714" in capsys.readouterr().out


# -- student-style mistakes: must fail, naming the mistake ----------------------------------------------------
def softmax_overflowing(x, dim=-1):
    return x.exp() / x.exp().sum(dim, keepdim=True)


def softmax_fixed_axis(x, dim=-1):
    e = (x - x.max(-1, keepdim=True)[0]).exp()
    return e / e.sum(-1, keepdim=True)


def sdpa_unscaled(q, k, v, mask=None):
    scores = q @ k.transpose(-2, -1)
    if mask is not None:
        scores = scores.masked_fill(mask == 0, -1e9)
    w = scores.softmax(-1)
    return w @ v, w


def sdpa_pytorch_mask_meaning(q, k, v, mask=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(mask, float("-inf"))
    w = scores.softmax(-1)
    return w @ v, w


def sdpa_mask_after_softmax(q, k, v, mask=None):
    w = (q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])).softmax(-1)
    if mask is not None:
        w = w.masked_fill(~mask, 0.0)
    return w @ v, w


def sdpa_wrong_axis(q, k, v, mask=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    w = scores.softmax(-2)
    return w @ v, w


def causal_triu(T):
    return torch.triu(torch.ones(T, T), diagonal=1).bool()


def padding_inclusive(lengths, max_len):
    return torch.arange(max_len).unsqueeze(0) <= lengths.unsqueeze(1)


def sdpa_dot_T(q, k, v, mask=None):
    scores = q @ k.T / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    w = scores.softmax(-1)
    return w @ v, w


def sdpa_transpose_1_2(q, k, v, mask=None):
    scores = torch.matmul(q, k.transpose(1, 2)) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(mask == 0, float("-inf"))
    w = torch.softmax(scores, dim=-1)
    return w @ v, w


def padding_without_new_axis(lengths, max_len):
    return torch.arange(max_len) < lengths


@pytest.mark.parametrize("check,impl,named", [
    pytest.param(check_scaled_dot_product_attention, sdpa_dot_T, "`k.T`",
                 marks=pytest.mark.filterwarnings("ignore:The use of `x.T`:UserWarning")),
    (check_scaled_dot_product_attention, sdpa_transpose_1_2, "`k.transpose(1, 2)`"),
    (check_padding_mask, padding_without_new_axis, "without `lengths[:, None]`"),
    (check_softmax, softmax_overflowing, "the max is not subtracted"),
    (check_softmax, softmax_fixed_axis, "ignores `dim`"),
    (check_scaled_dot_product_attention, sdpa_unscaled, "no 1/sqrt(d_k) scaling"),
    (check_scaled_dot_product_attention, sdpa_pytorch_mask_meaning, "inverted mask"),
    (check_scaled_dot_product_attention, sdpa_mask_after_softmax, "mask applied after the softmax"),
    (check_scaled_dot_product_attention, sdpa_wrong_axis, "softmax over the queries"),
    (check_causal_mask, causal_triu, "inverted mask"),
    (check_padding_mask, padding_inclusive, "off-by-one"),
])
def test_student_style_mistake_is_named(check, impl, named):
    assert_rejected(check, impl, names=named)


def test_unknown_mistake_reports_where_and_how_much():
    def sdpa_off_by_a_little(q, k, v, mask=None):
        out, w = S.scaled_dot_product_attention(q, k, v, mask)
        return out + 0.01, w

    assert_rejected(check_scaled_dot_product_attention, sdpa_off_by_a_little,
                    names=("`output` differs", "greatest difference", "case 'no mask'"))


def test_wrong_shape_is_reported_before_values():
    def sdpa_returns_transposed_weights(q, k, v, mask=None):
        out, w = S.scaled_dot_product_attention(q, k, v, mask)
        return out, w.transpose(-2, -1)

    assert_rejected(check_scaled_dot_product_attention, sdpa_returns_transposed_weights,
                    names="`weights` has shape (2, 5, 3), expected (2, 3, 5)")


def test_an_exception_names_the_case():
    def sdpa_breaks_on_4d(q, k, v, mask=None):
        scores = q @ k.transpose(1, 2) / math.sqrt(q.size(-1))
        if mask is not None:
            scores = scores.masked_fill(~mask, float("-inf"))
        w = scores.softmax(-1)
        return w @ v, w

    assert_rejected(check_scaled_dot_product_attention, sdpa_breaks_on_4d, names="extra batch dims")
