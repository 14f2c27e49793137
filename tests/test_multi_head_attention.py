"""Notebook 04: the reference equals nn.MultiheadAttention, the checks accept correct code written differently
and name the mistakes of student-style buggy code (written here independently of the check's catalog), and the
experiments measure an effect in the claimed direction."""
import math

import pytest
import torch
import torch.nn.functional as F
from checking import VERIFY, assert_rejected
from torch import nn

from course_lib import solutions as S
from course_lib.checks import check_merge_heads, check_multi_head_attention, check_split_heads
from course_lib.experiments import multi_head_attention as E


# -- the reference against PyTorch --------------------------------------------------------------------------
def torch_twin(ours):
    """nn.MultiheadAttention(batch_first=True) holding the weights of our module."""
    D = ours.w_q.in_features
    theirs = nn.MultiheadAttention(D, ours.num_heads, batch_first=True).eval()
    with torch.no_grad():
        theirs.in_proj_weight.copy_(torch.cat([ours.w_q.weight, ours.w_k.weight, ours.w_v.weight]))
        theirs.in_proj_bias.copy_(torch.cat([ours.w_q.bias, ours.w_k.bias, ours.w_v.bias]))
        theirs.out_proj.weight.copy_(ours.w_o.weight)
        theirs.out_proj.bias.copy_(ours.w_o.bias)
    return theirs


@pytest.mark.parametrize("kind", ["self, no mask", "cross, padding", "self, causal", "cross, per-head mask"])
def test_reference_equals_torch_multihead_attention(kind):
    """Same weights, same inputs: the same output and per-head weights (PyTorch's bool masks are inverted)."""
    torch.manual_seed(3)
    B, Tq, Tk, D, h = 3, 4, 6, 20, 5
    ours = S.MultiHeadAttention(D, h).eval()
    theirs = torch_twin(ours)
    x, memory = torch.randn(B, Tq, D), torch.randn(B, Tk, D)
    if kind == "self, no mask":
        args, mine, pytorch = (x, x, x), {}, {}
    elif kind == "cross, padding":
        real = S.padding_mask(torch.tensor([6, 2, 1]), Tk)  # (B, Tk), True at real keys
        args, pytorch = (x, memory, memory), {"key_padding_mask": ~real}
        mine = {"mask": real[:, None, None, :]}
    elif kind == "self, causal":
        causal = S.causal_mask(Tq)
        args, mine, pytorch = (x, x, x), {"mask": causal}, {"attn_mask": ~causal}
    else:
        allowed = torch.rand(B, h, Tq, Tk) < 0.6
        allowed[..., 0] = True  # no row entirely blocked
        args, mine = (x, memory, memory), {"mask": allowed}
        pytorch = {"attn_mask": ~allowed.reshape(B * h, Tq, Tk)}  # PyTorch takes (B·h, Tq, Tk)
    with torch.no_grad():
        out, weights = ours(*args, **mine)
        out_t, weights_t = theirs(*args, **pytorch, average_attn_weights=False)
    assert weights.shape == (B, h, Tq, args[1].size(1))
    torch.testing.assert_close(out, out_t)
    torch.testing.assert_close(weights, weights_t)


def test_split_and_merge_equal_chunk_and_cat():
    x = torch.randn(2, 5, 12)
    heads = S.split_heads(x, 3)
    torch.testing.assert_close(heads, torch.stack(x.chunk(3, dim=-1), dim=1), rtol=0, atol=0)
    torch.testing.assert_close(S.merge_heads(heads), torch.cat(heads.unbind(1), dim=-1), rtol=0, atol=0)


def test_dropout_acts_on_the_weights_only_while_training():
    torch.manual_seed(0)
    mha = S.MultiHeadAttention(8, 2, dropout=0.5)
    x = torch.randn(2, 5, 8)
    mha.eval()
    out_eval, w_eval = mha(x, x, x)
    torch.testing.assert_close(w_eval.sum(-1), torch.ones(2, 2, 5))
    mha.train()
    out, w = mha(x, x, x)
    assert (w == 0).any(), "some attention links are dropped while training"
    v = S.split_heads(mha.w_v(x), 2)
    torch.testing.assert_close(out, mha.w_o(S.merge_heads(w @ v)))  # the output reads the dropped weights


def test_the_check_leaves_the_global_rng_alone():
    torch.manual_seed(11)
    before = torch.random.get_rng_state()
    check_multi_head_attention(S.MultiHeadAttention)
    assert torch.equal(before, torch.random.get_rng_state())  # generator state is bytes: exact


# -- correct, written differently: must pass --------------------------------------------------------------
def split_chunk_stack(x, num_heads):
    return torch.stack(x.chunk(num_heads, dim=-1), dim=1)


def split_loop(x, num_heads):
    d = x.shape[-1] // num_heads
    return torch.stack([x[..., i * d:(i + 1) * d] for i in range(num_heads)], dim=1)


def split_unflatten_permute(x, num_heads):
    return x.unflatten(-1, (num_heads, -1)).permute(0, 2, 1, 3).contiguous()


def merge_cat(x):
    return torch.cat(x.unbind(dim=1), dim=-1)


def merge_permute_contiguous_view(x):
    B, h, T, d = x.shape
    return x.permute(0, 2, 1, 3).contiguous().view(B, T, h * d)


def merge_einsum_flatten(x):
    return torch.einsum("bhtd->bthd", x).flatten(2)


@pytest.mark.parametrize("impl", [S.split_heads, split_chunk_stack, split_loop, split_unflatten_permute])
def test_split_heads_written_differently_passes(impl):
    check_split_heads(impl)


@pytest.mark.parametrize("impl", [merge_cat, merge_permute_contiguous_view, merge_einsum_flatten])
def test_merge_heads_written_differently_passes(impl):
    check_merge_heads(impl)


class MhaAsInNotebook(nn.Module):
    """What a learner writes: own split/merge, notebook 03's attention handed out by the notebook."""

    def __init__(self, d_model, num_heads, dropout=0.0):
        super().__init__()
        self.num_heads = num_heads
        self.w_q, self.w_k, self.w_v, self.w_o = (nn.Linear(d_model, d_model) for _ in range(4))
        self.dropout = nn.Dropout(dropout)

    def split(self, x):
        return split_chunk_stack(x, self.num_heads)

    def forward(self, query, key, value, mask=None):
        q, k, v = self.split(self.w_q(query)), self.split(self.w_k(key)), self.split(self.w_v(value))
        out, weights = S.scaled_dot_product_attention(q, k, v, mask)
        if self.training:
            weights = self.dropout(weights)
            out = weights @ v
        return self.w_o(merge_cat(out)), weights


class MhaEinsumFloat64(nn.Module):
    """Einsum with an explicit head axis, computed in float64, masked with -1e9."""

    def __init__(self, d_model, num_heads, dropout=0.0):
        super().__init__()
        self.h = num_heads
        self.w_q = nn.Linear(d_model, d_model)
        self.w_k = nn.Linear(d_model, d_model)
        self.w_v = nn.Linear(d_model, d_model)
        self.w_o = nn.Linear(d_model, d_model)
        self.p = dropout

    def forward(self, query, key, value, mask=None):
        q = self.w_q(query).double().unflatten(-1, (self.h, -1))  # (B, Tq, h, d)
        k = self.w_k(key).double().unflatten(-1, (self.h, -1))
        v = self.w_v(value).double().unflatten(-1, (self.h, -1))
        scores = torch.einsum("bqhd,bkhd->bhqk", q, k) / math.sqrt(q.shape[-1])
        if mask is not None:
            scores = scores.masked_fill(~mask, -1e9)
        weights = F.dropout(scores.softmax(dim=-1), self.p, training=self.training)
        out = torch.einsum("bhqk,bkhd->bqhd", weights, v).flatten(2)
        return self.w_o(out.float()), weights.float()


class MhaPerHeadLoop(nn.Module):
    """One head at a time, each with its slice of the weights, and PyTorch's fused attention."""

    def __init__(self, d_model, num_heads, dropout=0.0):
        super().__init__()
        self.h, self.d, self.p = num_heads, d_model // num_heads, dropout
        self.w_q, self.w_k, self.w_v, self.w_o = (nn.Linear(d_model, d_model) for _ in range(4))

    def forward(self, query, key, value, mask=None):
        outs, maps = [], []
        for i in range(self.h):
            rows = slice(i * self.d, (i + 1) * self.d)
            q = F.linear(query, self.w_q.weight[rows], self.w_q.bias[rows])
            k = F.linear(key, self.w_k.weight[rows], self.w_k.bias[rows])
            v = F.linear(value, self.w_v.weight[rows], self.w_v.bias[rows])
            B, Tq, Tk = query.size(0), query.size(1), key.size(1)
            m = None if mask is None else mask.broadcast_to(B, self.h, Tq, Tk)[:, i]
            outs.append(F.scaled_dot_product_attention(q, k, v, attn_mask=m, dropout_p=self.p * self.training))
            scores = q @ k.transpose(1, 2) / math.sqrt(self.d)
            maps.append((scores if m is None else scores.masked_fill(~m, -math.inf)).softmax(-1))
        return self.w_o(torch.cat(outs, dim=-1)), torch.stack(maps, dim=1)


class MhaFusedProjection(nn.Module):
    """The three input projections as one matrix product, as nn.MultiheadAttention computes them."""

    def __init__(self, d_model, num_heads, dropout=0.0):
        super().__init__()
        self.h = num_heads
        self.w_q, self.w_k, self.w_v, self.w_o = (nn.Linear(d_model, d_model) for _ in range(4))
        self.attn_dropout = nn.Dropout(dropout)

    def forward(self, query, key, value, mask=None):
        W = torch.cat([self.w_q.weight, self.w_k.weight, self.w_v.weight])
        b = torch.cat([self.w_q.bias, self.w_k.bias, self.w_v.bias])
        Wq, Wk, Wv = W.chunk(3)
        bq, bk, bv = b.chunk(3)
        q = split_loop(F.linear(query, Wq, bq), self.h)
        k = split_loop(F.linear(key, Wk, bk), self.h)
        v = split_loop(F.linear(value, Wv, bv), self.h)
        scores = q @ k.transpose(-2, -1) * q.shape[-1] ** -0.5
        if mask is not None:
            scores = torch.where(mask, scores, torch.finfo(scores.dtype).min)
        weights = self.attn_dropout(torch.softmax(scores, dim=-1))
        return self.w_o(merge_permute_contiguous_view(weights @ v)), weights


class MhaOwnDropoutMask(MhaAsInNotebook):
    """Dropout by hand: its own Bernoulli mask on the weights, a member named otherwise, the weights returned as
    they were before dropout (the output reads the dropped ones)."""

    def __init__(self, d_model, num_heads, dropout=0.0):
        super().__init__(d_model, num_heads)
        del self.dropout
        self.keep = 1 - dropout

    def forward(self, query, key, value, mask=None):
        q, k, v = self.split(self.w_q(query)), self.split(self.w_k(key)), self.split(self.w_v(value))
        out, weights = S.scaled_dot_product_attention(q, k, v, mask)
        if self.training and self.keep < 1:
            out = (weights * torch.bernoulli(torch.full_like(weights, self.keep)) / self.keep) @ v
        return self.w_o(merge_cat(out)), weights


@pytest.mark.parametrize("impl", [MhaAsInNotebook, MhaEinsumFloat64, MhaPerHeadLoop, MhaFusedProjection,
                                  MhaOwnDropoutMask])
def test_multi_head_attention_written_differently_passes_public_and_hidden_checks(impl):
    check_multi_head_attention(impl)
    assert VERIFY("MultiHeadAttention", impl, seed=4409)


def test_hidden_check_rejects_a_module_built_on_the_reference_pieces():
    class UsesReferenceSplit(MhaAsInNotebook):
        def split(self, x):
            return S.split_heads(x, self.num_heads)

    assert_rejected(VERIFY, "MultiHeadAttention", UsesReferenceSplit, seed=4409, names="runs the reference solution")


def test_members_with_other_names_get_a_plain_message():
    class ProjNames(MhaAsInNotebook):
        def __init__(self, d_model, num_heads, dropout=0.0):
            nn.Module.__init__(self)
            self.num_heads = num_heads
            self.q_proj, self.w_k, self.w_v, self.w_o = (nn.Linear(d_model, d_model) for _ in range(4))

    expected = r"named w_q, w_k, w_v, w_o.*missing \['w_q.weight', 'w_q.bias'\]"
    assert_rejected(check_multi_head_attention, ProjNames, match=expected)


# -- student-style mistakes: must fail and be named -------------------------------------------------------
def split_view_no_transpose(x, num_heads):
    B, T, D = x.shape
    return x.view(B, num_heads, T, D // num_heads)


def split_interleaved(x, num_heads):
    B, T, D = x.shape
    return x.view(B, T, -1, num_heads).permute(0, 3, 1, 2)


def split_forgot_transpose(x, num_heads):
    B, T, D = x.shape
    return x.view(B, T, num_heads, -1)


def merge_view_no_transpose(x):
    B, h, T, d = x.shape
    return x.contiguous().view(B, T, -1)


def merge_view_after_transpose(x):
    return x.transpose(1, 2).view(x.shape[0], x.shape[2], -1)


def merge_interleaved(x):
    return torch.stack(x.unbind(1), dim=-1).flatten(2)


@pytest.mark.parametrize("impl,name", [
    (split_view_no_transpose, "reshape but no transpose"),
    (split_interleaved, "interleaved"),
    (split_forgot_transpose, "heads axis left after the time axis"),
])
def test_split_heads_mistakes_are_named(impl, name):
    assert_rejected(check_split_heads, impl, names=name)


@pytest.mark.parametrize("impl,name", [
    (merge_view_no_transpose, "reshape but no transpose"),
    (merge_view_after_transpose, ".view() on the transposed tensor"),
    (merge_interleaved, "interleaved"),
])
def test_merge_heads_mistakes_are_named(impl, name):
    assert_rejected(check_merge_heads, impl, names=name)


class Student(nn.Module):
    """A learner's module with switches for the slips people make; each test turns on one."""

    slip = None

    def __init__(self, d_model, num_heads, dropout=0.0):
        super().__init__()
        bias = self.slip != "no bias"
        self.d_model, self.num_heads = d_model, num_heads
        self.w_q = nn.Linear(d_model, d_model, bias=bias)
        self.w_k = nn.Linear(d_model, d_model, bias=bias)
        self.w_v = nn.Linear(d_model, d_model, bias=bias)
        self.w_o = nn.Linear(d_model, d_model, bias=bias)
        self.dropout = nn.Dropout(dropout)

    def split(self, x):
        if self.slip == "split no transpose":
            return split_view_no_transpose(x, self.num_heads)
        if self.slip == "reshapes both ways":
            return split_view_no_transpose(x, self.num_heads)
        if self.slip == "interleaved":
            return split_interleaved(x, self.num_heads)
        return split_chunk_stack(x, self.num_heads)

    def merge(self, x):
        if self.slip in ("merge no transpose", "reshapes both ways"):
            return merge_view_no_transpose(x)
        if self.slip == "interleaved":
            return merge_interleaved(x)
        B, h, T, d = x.shape  # as the notebook writes it: a 5-D tensor fails here
        return x.transpose(1, 2).reshape(B, T, h * d)

    def forward(self, query, key, value, mask=None):
        s = self.slip
        q = self.w_q(key if s == "swap q k" else query)
        k = self.w_k(query if s == "swap q k" else key)
        v = value if s == "raw value" else self.w_v(value)
        q, k, v = self.split(q), self.split(k), self.split(v)
        if s in ("sqrt d_model", "k.transpose(1, 2)"):
            keys = k.transpose(1, 2) if s == "k.transpose(1, 2)" else k.transpose(-2, -1)
            scores = q @ keys / math.sqrt(self.d_model if s == "sqrt d_model" else q.shape[-1])
            if mask is not None:
                scores = scores.masked_fill(~mask, float("-inf"))
            weights = scores.softmax(-1)
            out = weights @ v
        else:
            if s == "scaled twice":
                q = q / math.sqrt(q.shape[-1])
            if mask is not None:
                changed = {"ignore mask": None, "invert mask": ~mask, "unsqueeze mask": mask.unsqueeze(1)}
                mask = changed.get(s, mask)
            out, weights = S.scaled_dot_product_attention(q, k, v, mask)
        if (self.training or s == "dropout in eval") and s not in ("dropout after w_o", "dropout before w_o"):
            weights = F.dropout(weights, self.dropout.p) if s == "dropout in eval" else self.dropout(weights)
            out = out if s == "dropout not read" else weights @ v
        if s == "detached weights":
            weights = weights.detach()
        out = self.merge(out)
        if s == "dropout before w_o":
            out = self.dropout(out)
        if s != "no w_o":
            out = self.w_o(out)
        if s == "dropout after w_o":
            out = self.dropout(out)
        return out, weights.mean(1) if s == "average heads" else weights


@pytest.mark.parametrize("slip,name", [
    ("split no transpose", "heads split with a reshape but no transpose"),
    ("reshapes both ways", "heads split and merged with reshapes but no transposes"),
    ("merge no transpose", "heads merged without a transpose"),
    ("interleaved", "heads interleaved"),
    ("no w_o", "output projection w_o not applied"),
    ("sqrt d_model", "sqrt(d_model) instead of sqrt(d_head)"),
    ("k.transpose(1, 2)", "`k.T` or `k.transpose(1, 2)` inside your own attention"),
    ("scaled twice", "scaled twice"),
    ("average heads", "averaged over the heads"),
    ("ignore mask", "mask ignored"),
    ("invert mask", "inverted mask"),
    ("unsqueeze mask", "extra head axis"),
    ("swap q k", "query and key projections swapped"),
    ("raw value", "value not projected"),
    ("no bias", "without bias"),
    ("dropout in eval", "dropout applied in eval()"),
    ("dropout after w_o", "dropout applied to the output after w_o instead of to the attention weights"),
    ("dropout before w_o", "dropout applied to the merged heads before w_o"),
    ("dropout not read", "the output is computed from the weights before dropout"),
    ("detached weights", "`weights` is detached from its inputs"),
])
def test_multi_head_attention_mistakes_are_named(slip, name):
    impl = type(f"Student_{slip.replace(' ', '_')}", (Student,), {"slip": slip})
    assert_rejected(check_multi_head_attention, impl, names=name)


def test_the_student_switchboard_without_a_slip_passes():
    check_multi_head_attention(Student)


# -- the experiments measure the claimed effect -----------------------------------------------------------
def test_two_heads_divide_the_two_relations_between_them():
    model, _ = E.train_two_relations(E.ToyConfig(num_heads=2, steps=150), seed=0)
    result = E.evaluate_two_relations(model, n=256)
    assert result["accuracy previous"] > 0.95 and result["accuracy first"] > 0.95
    heads = result["heads"]
    assert max(h["top is previous"] for h in heads) > 0.9, "one head reads the token one step to the left"
    assert max(h["top is first"] for h in heads) > 0.9, "another head reads the first token"
    assert {max(heads, key=lambda h: h["top is previous"])["head"],
            max(heads, key=lambda h: h["top is first"])["head"]} == {0, 1}, "and they are different heads"
    one_head, _ = E.train_two_relations(E.ToyConfig(num_heads=1, steps=150), seed=0)
    one_head_loss = E.evaluate_two_relations(one_head, n=256)["loss"]
    assert one_head_loss > 10 * result["loss"], "one head of the same width does worse"


def test_heads_cost_the_same_parameters_and_flops_but_more_softmax_rows():
    rows = E.attention_costs(d_model=16, length=8, batch=2, heads=(1, 2, 4))
    D = 16
    assert {r["parameters"] for r in rows} == {4 * D * D + 4 * D}
    assert len({r["projection FLOPs"] for r in rows}) == 1 and len({r["attention FLOPs"] for r in rows}) == 1
    assert [r["softmax rows"] for r in rows] == [2 * 8 * h for h in (1, 2, 4)]


# -- CharTokenizer: correct variants pass, student-style slips are named --------------------------------------
from course_lib import set_language  # noqa: E402
from course_lib.checks import EXERCISES, check_char_tokenizer  # noqa: E402

TOKENIZER_SEEDS = (0, 1, 4103)  # the public cases, another seed, and the graded cell's hidden seed


class TokenizerDictBased:
    def __init__(self, text):
        self.itos = sorted(set(text))
        self.stoi = {c: i for i, c in enumerate(self.itos)}
        self.vocab_size = len(self.itos)

    def encode(self, s):
        try:
            return [self.stoi[c] for c in s]
        except KeyError as missing:
            raise ValueError(f"unknown character {missing.args[0]!r}") from None

    def decode(self, ids):
        return "".join(self.itos[i] for i in ids)


class TokenizerListIndex:
    """list.index raises ValueError("'§' is not in list") by itself: that names the character."""

    def __init__(self, text):
        self.vocab = list(sorted(set(text)))

    @property
    def vocab_size(self):
        return len(self.vocab)

    def encode(self, s):
        return [self.vocab.index(c) for c in s]

    def decode(self, ids):
        return "".join(map(self.vocab.__getitem__, ids))


class TokenizerStrFind:
    def __init__(self, text):
        self.alphabet = "".join(sorted(set(text)))
        self.vocab_size = len(self.alphabet)

    def encode(self, s):
        ids = []
        for c in s:
            i = self.alphabet.find(c)
            if i < 0:
                raise ValueError("cannot encode " + c)
            ids.append(i)
        return ids

    def decode(self, ids):
        out = ""
        for i in ids:
            out += self.alphabet[i]
        return out


class TokenizerEnumerate:
    def __init__(self, text):
        pairs = list(enumerate(sorted(set(text))))
        self.id_of = {ch: i for i, ch in pairs}
        self.char_of = dict(pairs)
        self.vocab_size = len(pairs)

    def encode(self, s):
        bad = [c for c in s if c not in self.id_of]
        if bad:
            raise ValueError(f"characters outside the vocabulary: {bad}")
        return list(map(self.id_of.get, s))

    def decode(self, ids):
        return "".join(self.char_of[int(i)] for i in ids)


@pytest.mark.parametrize("impl", [S.CharTokenizer, TokenizerDictBased, TokenizerListIndex, TokenizerStrFind,
                                  TokenizerEnumerate])
def test_char_tokenizer_written_differently_passes_public_and_hidden_checks(impl):
    for seed in TOKENIZER_SEEDS:
        assert EXERCISES["CharTokenizer"].check(impl, seed=seed, quiet=True)
    check_char_tokenizer(impl)


def test_char_tokenizer_round_trip_and_contract():
    text = "To be, or not to be,--that is the question:\n"
    tok = S.CharTokenizer(text)
    assert tok.vocab_size == len(set(text)) and isinstance(tok.vocab_size, int)
    assert tok.decode(tok.encode(text)) == text and tok.encode("") == [] and tok.decode([]) == ""
    assert tok.encode("\n ") == [0, 1]  # sorted: the newline, then the space, first
    with pytest.raises(ValueError, match="'z'"):
        tok.encode("to z")


def _tokenizer(base=S.CharTokenizer, **methods):
    return type("CharTokenizer", (base,), methods)


def _first_seen_init(self, text):
    self.chars = list(dict.fromkeys(text))
    self.vocab_size = len(self.chars)
    self.ids = {c: i for i, c in enumerate(self.chars)}


def _set_order_init(self, text):
    self.chars = sorted(set(text), key=lambda c: (c.lower(), c))  # case-insensitive: another order
    self.vocab_size = len(self.chars)
    self.ids = {c: i for i, c in enumerate(self.chars)}


def _from_one_init(self, text):
    self.chars = sorted(set(text))
    self.vocab_size = len(self.chars)
    self.ids = {c: i + 1 for i, c in enumerate(self.chars)}


def _from_one_decode(self, ids):
    return "".join(self.chars[i - 1] for i in ids)


def _length_init(self, text):
    S.CharTokenizer.__init__(self, text)
    self.vocab_size = len(text)


def _skip_unknown(self, s):
    return [self.ids[c] for c in s if c in self.ids]


def _zero_unknown(self, s):
    return [self.ids.get(c, 0) for c in s]


def _find_unchecked(self, s):
    alphabet = "".join(self.chars)
    return [alphabet.find(c) for c in s]


def _vague_error(self, s):
    if any(c not in self.ids for c in s):
        raise ValueError("unknown character in input")
    return [self.ids[c] for c in s]


def _key_error(self, s):
    return [self.ids[c] for c in s]


@pytest.mark.parametrize("impl,name", [
    (_tokenizer(__init__=_first_seen_init), "order of first appearance"),
    (_tokenizer(__init__=_set_order_init), "another order than sorted"),
    (_tokenizer(__init__=_from_one_init, decode=_from_one_decode), "ids starting at 1"),
    (_tokenizer(decode=lambda self, ids: " ".join(self.chars[i] for i in ids)), "joins the characters with spaces"),
    (_tokenizer(encode=_skip_unknown), "dropped instead of raising ValueError"),
    (_tokenizer(encode=_zero_unknown), "mapped to 0 instead of raising ValueError"),
    (_tokenizer(encode=_find_unchecked), "mapped to -1 (str.find)"),
    (_tokenizer(encode=_vague_error), "does not name the character"),
    (_tokenizer(encode=_key_error), "a KeyError from the dict look-up"),
    (_tokenizer(__init__=_length_init), "vocab_size = len(text)"),
    (_tokenizer(encode=lambda self, s: torch.tensor([self.ids[c] for c in s])), "encode returns a tensor"),
    (_tokenizer(encode=lambda self, s: " ".join(str(self.ids[c]) for c in s)), "encode returns a string"),
    (_tokenizer(decode=lambda self, ids: [self.chars[i] for i in ids]), "decode returns a list of characters"),
])
def test_char_tokenizer_mistakes_are_named(impl, name):
    for seed in (0, 4103):
        assert_rejected(EXERCISES["CharTokenizer"].check, impl, seed=seed, quiet=True, names=name)


def test_a_tokenizer_in_set_order_is_named_whatever_order_the_set_has():
    """list(set(text)) gives an order that changes with PYTHONHASHSEED: the check names it by its relabelling."""
    class SetOrder:
        def __init__(self, text):
            self.chars = list(set(text))
            self.chars = self.chars[1:] + self.chars[:1]  # never the sorted order, whatever the hash seed
            self.vocab_size = len(self.chars)

        def encode(self, s):
            return [self.chars.index(c) for c in s]

        def decode(self, ids):
            return "".join(self.chars[i] for i in ids)

    assert_rejected(check_char_tokenizer, SetOrder, names="list(set(text)) has no fixed order")


def test_char_tokenizer_message_in_chinese_says_what_came_back():
    set_language("zh")
    try:
        assert_rejected(check_char_tokenizer, _tokenizer(decode=lambda self, ids: " ".join(self.chars[i] for i in ids)),
                        names=("decode 用空格把字符连接起来", "返回了"))
    finally:
        set_language("en")


# -- the experiments of sections 1 and 2 ------------------------------------------------------------------------
def test_bpe_merges_the_most_frequent_pair_first_and_shortens_the_text():
    merges = E.train_bpe("abab cab", 2)
    assert merges[0] == ("a", "b", 3)  # "ab" three times, the most frequent pair
    assert merges[1] == ("c", "ab", 1)  # then four pairs once each: the tie goes to the pair that sorts last
    assert E.bpe_tokens("abab cabx", merges) == ["ab", "ab", " ", "cab", "x"]
    assert E.merge_pair(list("aaa"), ("a", "a")) == ["aa", "a"]  # left to right, no overlap
    from course_lib.text import shakespeare

    text = shakespeare()
    learned = E.train_bpe(text[:5000], 10)
    held_out = text[300_000:302_000]
    assert "".join(E.bpe_tokens(held_out, learned)) == held_out  # cutting loses nothing
    assert len(E.bpe_tokens(held_out, learned)) < 0.9 * len(held_out)


def test_an_embedding_is_a_one_hot_product_and_a_row_look_up():
    torch.manual_seed(0)
    W = torch.randn(11, 5)
    ids = torch.randint(0, 11, (2, 7))
    embedding = nn.Embedding.from_pretrained(W)
    # Exact by construction, in any summation order: each output is 1.0 * w (exact) plus products with 0.0 (exact
    # zeros), and w + 0.0 == w; nn.Embedding is the same row look-up
    assert torch.equal(F.one_hot(ids, 11).float() @ W, W[ids]) and torch.equal(embedding(ids), W[ids])


@pytest.mark.parametrize("equal_norms", [False, True])
def test_tied_projections_obey_cauchy_schwarz(equal_norms):
    """Whatever the training, a tied model scores t-1 above t only where the row at t-1 is longer; with rows of
    equal length, never. A separate model is bound by neither."""
    config = E.CopyConfig(steps=15)
    tied, _ = E.train_previous_token(config, tied=True, equal_norms=equal_norms, seed=0)
    assert tied.w_q is tied.w_k
    r = E.evaluate_previous_token(tied, n=64)
    if equal_norms:
        assert r["beats self"] == 0 and r["weight on self"] >= r["weight on previous"]
    elif r["beats self"]:
        assert r["longer before"] == 1.0


def test_separate_projections_learn_to_copy_the_previous_token_and_tied_equal_rows_cannot():
    config = E.CopyConfig()  # the notebook's budget
    separate, _ = E.train_previous_token(config, tied=False, equal_norms=True, seed=0)
    tied, _ = E.train_previous_token(config, tied=True, equal_norms=True, seed=0)
    assert E.evaluate_previous_token(separate)["accuracy"] > 0.95
    assert E.evaluate_previous_token(tied)["accuracy"] < 0.5


def test_ids_that_are_code_points_are_not_called_another_order():
    """ord(c) as the id is consistent, but no relabelling of 0 .. V-1: the check must not name the vocabulary order."""
    Ords = _tokenizer(encode=lambda self, s: [ord(c) for c in s])
    failure = assert_rejected(check_char_tokenizer, Ords, names="`encode(s)` returned")
    assert "another order than sorted" not in str(failure)
