"""Notebook 05: the references agree with independent implementations of their formulas, the checks
accept correct code written differently and name the mistakes of student-style buggy code (written here,
independently of the check's catalog), and the experiments show the effects the notebook claims."""
import math

import numpy as np
import pytest
import torch
from checking import assert_rejected
from torch import nn

from course_lib import solutions as S
from course_lib.checks import (
    check_apply_rope,
    check_learned_positional_embedding,
    check_sinusoidal_positional_encoding,
)
from course_lib.experiments import positional_encoding as E


# -- the references against independent implementations ------------------------------------------------------
def loop_table(max_len, d_model):
    """PE written entry by entry from the formula, in Python floats."""
    pe = [[0.0] * d_model for _ in range(max_len)]
    for p in range(max_len):
        for i in range(d_model // 2):
            angle = p / 10000 ** (2 * i / d_model)
            pe[p][2 * i], pe[p][2 * i + 1] = math.sin(angle), math.cos(angle)
    return torch.tensor(pe, dtype=torch.float64)


@pytest.mark.parametrize("max_len,d_model", [(1, 2), (7, 6), (12, 10), (50, 16), (128, 64)])
def test_sinusoidal_reference_equals_a_loop_over_the_formula(max_len, d_model):
    pe = S.sinusoidal_positional_encoding(max_len, d_model)
    assert pe.shape == (max_len, d_model) and pe.dtype == torch.float32
    torch.testing.assert_close(pe.double(), loop_table(max_len, d_model), rtol=0, atol=5e-5)


def test_sinusoidal_shift_is_one_block_rotation_for_every_position():
    d = 32
    pe = loop_table(60, d)
    for k in (1, 5, 17):
        blocks = []
        for i in range(d // 2):
            theta = k * 10000 ** (-2 * i / d)
            c, s = math.cos(theta), math.sin(theta)
            blocks.append(torch.tensor([[c, -s], [s, c]], dtype=torch.float64))
        torch.testing.assert_close(pe[:-k] @ torch.block_diag(*blocks), pe[k:], rtol=0, atol=1e-12)


def test_learned_embedding_adds_rows_of_its_table():
    module = S.LearnedPositionalEmbedding(9, 4)
    x = torch.randn(3, 6, 4)
    expected = torch.stack([x[b] + module.embedding.weight[:6] for b in range(3)])
    torch.testing.assert_close(module(x), expected)
    assert isinstance(module.embedding, nn.Embedding) and module.embedding.weight.shape == (9, 4)


def rope_complex(x, positions=None):
    """RoPE with complex numbers: pair (2i, 2i+1) is the number x_2i + j·x_2i+1, times e^(j·p·w_i)."""
    T, D = x.shape[-2:]
    positions = torch.arange(T) if positions is None else positions
    angle = positions.double()[:, None] * 10000 ** (-torch.arange(0, D, 2, dtype=torch.float64) / D)
    z = torch.view_as_complex(x.double().reshape(*x.shape[:-1], D // 2, 2).contiguous())
    return torch.view_as_real(z * torch.polar(torch.ones_like(angle), angle)).flatten(-2).to(x.dtype)


@pytest.mark.parametrize("shape", [(2, 5, 8), (2, 3, 7, 6), (1, 1, 2)])
def test_rope_reference_equals_complex_multiplication(shape):
    x = torch.randn(*shape)
    torch.testing.assert_close(S.apply_rope(x), rope_complex(x))
    positions = torch.arange(20, 20 + shape[-2])
    torch.testing.assert_close(S.apply_rope(x, positions), rope_complex(x, positions))


def test_rope_scores_depend_only_on_the_distance():
    q, k = torch.randn(1, 16, dtype=torch.float64), torch.randn(1, 16, dtype=torch.float64)

    def score(m, n):
        return (S.apply_rope(q, torch.tensor([m])) @ S.apply_rope(k, torch.tensor([n])).T).item()

    assert all(abs(score(m, m + 4) - score(0, 4)) < 1e-9 for m in range(0, 300, 7))


# -- correct, written differently: must pass --------------------------------------------------------------
def pe_exp_log(max_len, d_model):
    position = torch.arange(0, max_len).unsqueeze(1).float()
    div_term = torch.exp(torch.arange(0, d_model, 2).float() * -(math.log(10000.0) / d_model))
    pe = torch.zeros(max_len, d_model)
    pe[:, 0::2] = torch.sin(position * div_term)
    pe[:, 1::2] = torch.cos(position * div_term)
    return pe


def pe_torch_pow(max_len, d_model):
    i = torch.arange(d_model // 2)
    freq = torch.pow(torch.tensor(10000.0), -2 * i / d_model)  # (D/2,)
    angle = torch.outer(torch.arange(max_len, dtype=torch.float32), freq)  # (T, D/2)
    return torch.stack([angle.sin(), angle.cos()], dim=-1).reshape(max_len, d_model)


def pe_float64_then_cast(max_len, d_model):
    p = torch.arange(max_len, dtype=torch.float64)[:, None]
    j = torch.arange(d_model, dtype=torch.float64)
    angle = p / 10000 ** ((j - j % 2) / d_model)  # (T, D): the exponent of dimension j is that of its pair
    return torch.where(j % 2 == 0, torch.sin(angle), torch.cos(angle)).float()


def pe_numpy_loops(max_len, d_model):
    pe = np.zeros((max_len, d_model))
    for pos in range(max_len):
        for i in range(0, d_model, 2):
            pe[pos, i] = np.sin(pos / (10000 ** (i / d_model)))
            pe[pos, i + 1] = np.cos(pos / (10000 ** (i / d_model)))
    return torch.from_numpy(pe).float()


@pytest.mark.parametrize("impl", [pe_exp_log, pe_torch_pow, pe_float64_then_cast, pe_numpy_loops])
@pytest.mark.parametrize("seed", [0, 1, 5021])
def test_sinusoidal_written_differently_passes(impl, seed):
    check_sinusoidal_positional_encoding(impl, seed=seed)


class LearnedWithWeightSlice(nn.Module):
    def __init__(self, max_len, d_model):
        super().__init__()
        self.embedding = nn.Embedding(max_len, d_model)

    def forward(self, x):
        return x + self.embedding.weight[: x.shape[1]].unsqueeze(0)


class LearnedWithExpandedIndices(nn.Module):
    def __init__(self, max_len, d_model):
        super().__init__()
        self.embedding = nn.Embedding(max_len, d_model)
        self.register_buffer("ids", torch.arange(max_len), persistent=False)

    def forward(self, x):
        ids = self.ids[: x.size(1)].expand(x.size(0), -1)  # (B, T)
        return self.embedding(ids) + x


@pytest.mark.parametrize("impl", [LearnedWithWeightSlice, LearnedWithExpandedIndices])
def test_learned_written_differently_passes(impl):
    check_learned_positional_embedding(impl, seed=3)


def rope_rotate_every_two(x, positions=None):
    """The 'rotate every two' form: x·cos + rot(x)·sin with cos and sin repeated per pair."""
    T, D = x.shape[-2:]
    positions = torch.arange(T) if positions is None else positions
    inv_freq = 1.0 / (10000 ** (torch.arange(0, D, 2).to(x.dtype) / D))
    angle = torch.einsum("t,f->tf", positions.to(x.dtype), inv_freq).repeat_interleave(2, dim=-1)  # (T, D)
    rotated = torch.stack([-x[..., 1::2], x[..., 0::2]], dim=-1).flatten(-2)  # (-x2, x1) per pair
    return x * angle.cos() + rotated * angle.sin()


def rope_matrix(x, positions=None):
    """One block-diagonal rotation matrix per position, applied with a matmul."""
    T, D = x.shape[-2:]
    positions = torch.arange(T) if positions is None else positions
    out = torch.empty_like(x)
    for t in range(T):
        blocks = []
        for i in range(D // 2):
            a = float(positions[t]) / 10000 ** (2 * i / D)
            c, s = math.cos(a), math.sin(a)
            blocks.append(torch.tensor([[c, s], [-s, c]], dtype=x.dtype))
        out[..., t, :] = x[..., t, :] @ torch.block_diag(*blocks)  # row vector times R^T
    return out


@pytest.mark.parametrize("impl", [rope_rotate_every_two, rope_matrix, rope_complex])
@pytest.mark.parametrize("seed", [0, 5519])
def test_rope_written_differently_passes(impl, seed):
    check_apply_rope(impl, seed=seed)


# -- buggy, student-style: must fail and name the mistake -------------------------------------------------
def pe_template(max_len, d_model, base=10000.0, sign=-1.0, start=0, interleave=True, swap=False,
                per_dim=False, pair_index=False):
    position = torch.arange(start, start + max_len, dtype=torch.float32).unsqueeze(1)
    if per_dim:
        exps = torch.arange(d_model, dtype=torch.float32) / d_model
        angles = position * base ** (sign * exps)
        pe = torch.zeros(max_len, d_model)
        pe[:, 0::2] = torch.sin(angles[:, 0::2])
        pe[:, 1::2] = torch.cos(angles[:, 1::2])
        return pe
    two_i = torch.arange(0, d_model, 2, dtype=torch.float32)
    exps = (two_i / 2 if pair_index else two_i) / d_model
    div = torch.exp(sign * exps * math.log(base))
    s, c = torch.sin(position * div), torch.cos(position * div)
    if swap:
        s, c = c, s
    if not interleave:
        return torch.cat([s, c], dim=1)
    pe = torch.zeros(max_len, d_model)
    pe[:, 0::2], pe[:, 1::2] = s, c
    return pe


def pe_sign_pow_form(max_len, d_model):
    pos = torch.arange(max_len).float()[:, None]
    return torch.stack([torch.sin(pos * 10000 ** (torch.arange(0, d_model, 2) / d_model)),
                        torch.cos(pos * 10000 ** (torch.arange(0, d_model, 2) / d_model))], -1).flatten(1)


def pe_log10(max_len, d_model):
    position = torch.arange(max_len).unsqueeze(1)
    div_term = torch.exp(torch.arange(0, d_model, 2) * -(math.log10(10000.0) / d_model))
    pe = torch.zeros(max_len, d_model)
    pe[:, 0::2] = torch.sin(position * div_term)
    pe[:, 1::2] = torch.cos(position * div_term)
    return pe


def pe_numpy_float64(max_len, d_model):
    pos = np.arange(max_len)[:, None]
    angle = pos / np.power(10000, np.arange(0, d_model, 2) / d_model)
    pe = np.zeros((max_len, d_model))
    pe[:, 0::2], pe[:, 1::2] = np.sin(angle), np.cos(angle)
    return torch.from_numpy(pe)


def pe_with_batch_dim(max_len, d_model):
    return pe_template(max_len, d_model).unsqueeze(0)


def pe_integer_division(max_len, d_model):
    pe = torch.zeros(max_len, d_model)
    for pos in range(max_len):
        for i in range(0, d_model, 2):
            pe[pos, i] = math.sin(pos / 10000 ** (i // d_model))
            pe[pos, i + 1] = math.cos(pos / 10000 ** (i // d_model))
    return pe


SINUSOIDAL_BUGS = [
    (lambda L, d: pe_template(L, d, swap=True), "sin and cos swapped"),
    (lambda L, d: pe_template(L, d, per_dim=True), "exponent taken per dimension"),
    (lambda L, d: pe_template(L, d, interleave=False), "concatenated in halves"),
    (lambda L, d: pe_template(L, d, start=1), "positions counted from 1"),
    (lambda L, d: pe_template(L, d, base=1000.0), "base 1000"),
    (lambda L, d: pe_template(L, d, sign=1.0), "the exponent's sign"),
    (pe_sign_pow_form, "the exponent's sign"),
    (lambda L, d: pe_template(L, d, pair_index=True), "pair index i in the exponent"),
    (pe_log10, "log10"),
    (pe_numpy_float64, "a float64 table"),
    (pe_with_batch_dim, "a leading batch dimension"),
    (lambda L, d: pe_template(L, d).T, "the transposed table"),
    (pe_integer_division, "integer division"),
]


@pytest.mark.parametrize("impl,name", SINUSOIDAL_BUGS, ids=[n for _, n in SINUSOIDAL_BUGS])
@pytest.mark.parametrize("seed", [0, 5021])
def test_sinusoidal_bug_is_named(impl, name, seed):
    assert_rejected(check_sinusoidal_positional_encoding, impl, seed=seed, names=("looks like", name))


class LearnedBase(nn.Module):
    def __init__(self, max_len, d_model):
        super().__init__()
        self.embedding = nn.Embedding(max_len, d_model)


class LearnedWholeTable(LearnedBase):
    def forward(self, x):
        return self.embedding.weight + x


class LearnedFromOne(LearnedBase):
    def forward(self, x):
        T = x.shape[1]
        return x + self.embedding(torch.arange(1, T + 1))


class LearnedConcatenated(LearnedBase):
    def forward(self, x):
        B, T, _ = x.shape
        return torch.cat((x, self.embedding(torch.arange(T)).unsqueeze(0).repeat(B, 1, 1)), dim=2)


class LearnedBatchAxis(LearnedBase):
    def forward(self, x):
        return x + self.embedding(torch.arange(len(x)))


class LearnedReturnsPositions(LearnedBase):
    def forward(self, x):
        return self.embedding(torch.arange(x.size(1)))


class LearnedInPlace(LearnedBase):
    def forward(self, x):
        x += self.embedding(torch.arange(x.size(1)))
        return x


class LearnedWrongMemberName(nn.Module):
    def __init__(self, max_len, d_model):
        super().__init__()
        self.pos = nn.Embedding(max_len, d_model)

    def forward(self, x):
        return x + self.pos(torch.arange(x.size(1)))


@pytest.mark.parametrize("impl,message", [
    (LearnedFromOne, "positions counted from 1"),
    (LearnedConcatenated, "concatenated"),
    (LearnedBatchAxis, "batch axis"),
    (LearnedReturnsPositions, "without x"),
    (LearnedInPlace, "wrote into its input `x`"),
    (LearnedWrongMemberName, "member named `embedding`"),
])
def test_learned_bug_is_named(impl, message):
    assert_rejected(check_learned_positional_embedding, impl, names=message)


class LearnedWholeTableFirst(LearnedBase):
    def forward(self, x):
        return x + self.embedding.weight


def test_learned_whole_table_is_named():
    assert_rejected(check_learned_positional_embedding, LearnedWholeTableFirst, names="the whole table added")


def test_learned_whole_table_other_order_is_rejected():
    """Written weight + x, the broadcasting error reads unlike the catalog's: rejected, though not named."""
    assert_rejected(check_learned_positional_embedding, LearnedWholeTable, names="size of tensor")


def rope_template(x, positions=None, halves=False, sign=1.0, cat_out=False, ignore_positions=False,
                  first=0):
    T, D = x.shape[-2:]
    if positions is None or ignore_positions:
        positions = torch.arange(first, first + T)
    inv_freq = 1.0 / 10000 ** (torch.arange(0, D, 2, dtype=torch.float32) / D)
    angle = positions.float()[:, None] * inv_freq  # (T, D/2)
    cos, sin = angle.cos().to(x.dtype), (sign * angle.sin()).to(x.dtype)
    if halves:
        x1, x2 = x[..., : D // 2], x[..., D // 2:]
        return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], dim=-1)
    x1, x2 = x[..., ::2], x[..., 1::2]
    a, b = x1 * cos - x2 * sin, x1 * sin + x2 * cos
    if cat_out:
        return torch.cat([a, b], dim=-1)
    return torch.stack([a, b], dim=-1).flatten(-2)


ROPE_BUGS = [
    (lambda x, positions=None: rope_template(x, positions, halves=True), "rotate_half"),
    (lambda x, positions=None: rope_template(x, positions, sign=-1.0), "the other way"),
    (lambda x, positions=None: rope_template(x, positions, cat_out=True), "written back in halves"),
    (lambda x, positions=None: rope_template(x, positions, ignore_positions=True), "`positions` ignored"),
    (lambda x, positions=None: rope_template(x, positions, first=1), "positions counted from 1"),
]


@pytest.mark.parametrize("impl,name", ROPE_BUGS, ids=[n for _, n in ROPE_BUGS])
def test_rope_bug_is_named(impl, name):
    assert_rejected(check_apply_rope, impl, names=("looks like", name))


# -- the experiments: the effects have the claimed direction ----------------------------------------------
def test_self_attention_is_permutation_equivariant_until_positions_are_added():
    torch.manual_seed(0)
    attn = E.self_attention_layer(16, 4)
    x, perm = torch.randn(2, 9, 16), torch.randperm(9)
    pe = S.sinusoidal_positional_encoding(9, 16)
    with torch.no_grad():
        without = (attn(x[:, perm], x[:, perm], x[:, perm])[0] - attn(x, x, x)[0][:, perm]).abs().max()
        y, y_perm = x + pe, x[:, perm] + pe
        with_pe = (attn(y_perm, y_perm, y_perm)[0] - attn(y, y, y)[0][:, perm]).abs().max()
    assert without < 1e-5 and with_pe > 1e-2


def test_order_task_labels_say_which_marker_comes_first():
    tokens, labels = E.order_task(50, 7, 9, torch.Generator().manual_seed(0))
    for row, label in zip(tokens, labels):
        first, second = (row == E.FIRST).nonzero().item(), (row == E.SECOND).nonzero().item()
        assert label.item() == int(first < second)
    assert 0.2 < labels.float().mean() < 0.8


def test_order_task_needs_positions():
    """A short run: chance without positions, clearly above chance with the sinusoidal table."""
    without, _ = E.train_order_task(nn.Identity(), "none", steps=60, T=8, seed=0, n_test=500)
    table = E.AddFixedTable(S.sinusoidal_positional_encoding(8, 32))
    with_pe, history = E.train_order_task(table, "sinusoidal", steps=60, T=8, seed=0, n_test=500)
    assert abs(without - 0.5) < 0.08 and with_pe > 0.8 and len(history) == 60
