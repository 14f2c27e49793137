"""Checks for notebook 04: CharTokenizer, split_heads, merge_heads and MultiHeadAttention."""
import math

import torch
from torch import nn

from ..solutions import multi_head_attention as ref
from ..solutions.self_attention import scaled_dot_product_attention
from ._harness import (
    DROPOUT_AFTER_W_O,
    DROPOUT_BEFORE_W_O,
    DROPOUT_NOT_READ,
    TOKENIZER_OUTPUTS,
    UNSORTED,
    AttentionDropoutExercise,
    TokenizerExercise,
    tokenizer_invoke,
)
from .framework import Case, Exercise, Mistake, randn, seeded

# -- CharTokenizer ----------------------------------------------------------------------------------------
_STRANGERS = "§¤¶€Ж"  # outside every text below, and in no natural error message


def _tokenizer_cases(seed):
    """(text, s, ids, unknown): a text to build the tokenizer on, a string of its characters to encode, ids to
    decode, and a string with one character outside the text. Hidden tests (seed != 0) draw other texts."""
    g = seeded(seed)

    def draw(pool, n):
        return "".join(pool[int(i)] for i in torch.randint(0, len(pool), (n,), generator=g))

    def case(label, text, n=6):
        vocab = "".join(sorted(set(text)))
        s = draw(vocab, n)
        ids = [int(i) for i in torch.randint(0, len(vocab), (n,), generator=g)]
        stranger = next(ch for ch in _STRANGERS[int(torch.randint(0, 5, (), generator=g)):] + _STRANGERS
                        if ch not in text)
        unknown = draw(vocab, 1) + stranger + draw(vocab, 1)
        return Case(label, (text, s, ids, unknown))

    words = ["to", "be", "or", "not", "that", "is", "the", "question", "whether", "tis", "nobler", "in", "mind"]
    hidden = seed != 0
    sentence = " ".join(words[int(i)] for i in torch.randint(0, len(words), (6,), generator=g)) if hidden else \
        "to be or not to be"
    unsorted = draw("qwertyuiopzxcvbnm", 12) if hidden else "hello world"
    mixed_pool = "Call me Ishmael.\nChapter 1, 2! (A-Z) ?;'"
    mixed = draw(mixed_pool, 30) if hidden else "Call me Ishmael.\nChapter 1, 2!"
    repeated = draw("bcxyz", 1) * (3 + seed % 4) if hidden else "aaaa"
    short = draw("defghijk", 5) if hidden else "abc"
    chinese_pool = "词元分析器把文字变成数字，再回。éü"
    chinese = draw(chinese_pool, 14) if hidden else "词元分析器把文字变成数字。café"
    return [
        case("a short sentence", sentence),
        case("first appearance differs from sorted order", unsorted),
        case("capitals, digits, punctuation and a newline", mixed, n=9),
        case("one character repeated", repeated, n=3),
        case("non-ASCII characters", chinese),
        Case("empty strings to encode and decode", (short, "", [], short[0] + _STRANGERS[seed % 5] + short[-1])),
        case("a longer text, 300 characters", draw("abcdefghijklmnopqrstuvwxyzABCDEFGHIJ .,;\n", 300), n=40),
    ]


class _TokenizerVariant:
    """CharTokenizer with one thing changed, to build the known mistakes."""

    order, first_id, joiner, unknown, size, encoded_as, decoded_as = "sorted", 0, "", "raise", "distinct", "list", "str"

    def __init__(self, text):
        chars = {"sorted": sorted(set(text)), "first seen": list(dict.fromkeys(text)),
                 "reversed": sorted(set(text), reverse=True)}[self.order]
        self.chars = chars
        self.ids = {ch: i + self.first_id for i, ch in enumerate(chars)}
        self.vocab_size = {"distinct": len(chars), "text length": len(text), "one more": len(chars) + 1}[self.size]

    def encode(self, s):
        ids = []
        for ch in s:
            if ch in self.ids:
                ids.append(self.ids[ch])
            elif self.unknown == "raise":
                raise ValueError(f"character {ch!r} is not in the vocabulary")
            elif self.unknown == "unnamed":
                raise ValueError("a character is not in the vocabulary")
            elif self.unknown == "key error":
                ids.append(self.ids[ch])
            elif self.unknown in (0, -1):
                ids.append(self.unknown)
        if self.encoded_as == "tensor":
            return torch.tensor(ids)
        return "".join(str(i) for i in ids) if self.encoded_as == "str" else ids

    def decode(self, ids):
        chars = [self.chars[i - self.first_id] for i in ids]
        return chars if self.decoded_as == "list" else self.joiner.join(chars)


def _tokenizer_variant(**change):
    return type("CharTokenizer", (_TokenizerVariant,), change)


TOKENIZER = TokenizerExercise(
    "CharTokenizer", ref.CharTokenizer, _tokenizer_cases, arg_names=["text", "s", "ids", "unknown"],
    outputs=TOKENIZER_OUTPUTS, invoke=tokenizer_invoke, gradients=False,
    mistakes=[
        Mistake("the vocabulary in order of first appearance, not sorted", _tokenizer_variant(order="first seen"),
                "the contract fixes the order so that two tokenizers built on the same characters agree: "
                "chars = sorted(set(text)), and id i is chars[i]."),
        Mistake(UNSORTED, _tokenizer_variant(order="reversed"),
                "a set's order changes from run to run (and sorted(..., reverse=True) is another order): "
                "chars = sorted(set(text)), ids 0, 1, 2, ... in that order."),
        Mistake("ids starting at 1 instead of 0", _tokenizer_variant(first_id=1),
                "id i is the position of the character in the sorted vocabulary, from 0 to vocab_size - 1: "
                "an nn.Embedding(vocab_size, d) has rows 0 .. vocab_size - 1 and no row vocab_size."),
        Mistake("decode joins the characters with spaces", _tokenizer_variant(joiner=" "),
                "each id is one character, spaces included: join them with ''.join(...), so that "
                "decode(encode(s)) == s."),
        Mistake("a character outside the vocabulary dropped instead of raising ValueError",
                _tokenizer_variant(unknown="drop"),
                "dropping it silently changes the text: raise ValueError(f'character {ch!r} is not in the "
                "vocabulary')."),
        Mistake("a character outside the vocabulary mapped to 0 instead of raising ValueError",
                _tokenizer_variant(unknown=0),
                "0 is the id of a real character (the first of the sorted vocabulary): raise ValueError naming "
                "the character instead."),
        Mistake("a character outside the vocabulary mapped to -1 (str.find) instead of raising ValueError",
                _tokenizer_variant(unknown=-1),
                "str.find returns -1 for a character it does not find, and -1 indexes the last row of a table: "
                "check for -1 and raise ValueError naming the character (str.index raises by itself)."),
        Mistake("a ValueError that does not name the character", _tokenizer_variant(unknown="unnamed"),
                "say which character it is, so that the learner sees what to remove: "
                "raise ValueError(f'character {ch!r} is not in the vocabulary')."),
        Mistake("a KeyError from the dict look-up instead of a ValueError", _tokenizer_variant(unknown="key error"),
                "the contract asks for ValueError: test `if ch not in self.ids:` and raise ValueError naming ch "
                "(or catch the KeyError and raise ValueError from it)."),
        Mistake("vocab_size = len(text): every character counted, repeats too", _tokenizer_variant(size="text length"),
                "the vocabulary holds each distinct character once: vocab_size = len(set(text)), the number of ids."),
        Mistake("vocab_size one more than the number of distinct characters", _tokenizer_variant(size="one more"),
                "this tokenizer reserves no id (no padding, no unknown): vocab_size = len(sorted(set(text)))."),
        Mistake("encode returns a tensor instead of a list of ints", _tokenizer_variant(encoded_as="tensor"),
                "return a plain list, [self.ids[ch] for ch in s]; the caller makes a tensor when it needs one "
                "(torch.tensor(ids))."),
        Mistake("encode returns a string instead of a list of ints", _tokenizer_variant(encoded_as="str"),
                "return the ids themselves in a list, [self.ids[ch] for ch in s], not their digits joined."),
        Mistake("decode returns a list of characters instead of a string", _tokenizer_variant(decoded_as="list"),
                "join them into one string: ''.join(self.chars[i] for i in ids)."),
    ],
)


# -- split_heads ------------------------------------------------------------------------------------------
def _split_cases(seed):
    g = seeded(seed)
    return [
        Case("B=2, T=5, h=3 heads of width 4", (randn(g, 2, 5, 12), 3)),
        Case("features numbered 0..11, h=4", (torch.arange(24.0).reshape(1, 2, 12) + 24 * seed, 4)),  # hidden
        # tests (seed != 0) number them from another start: no case equals one the recordings show
        Case("batch 1, length 1", (randn(g, 1, 1, 12), 3)),
        Case("one head", (randn(g, 2, 3, 8), 1)),
        Case("one feature per head (h = D)", (randn(g, 2, 3, 6), 6)),
        Case("B=3, T=4, h=2 heads of width 5", (randn(g, 3, 4, 10), 2)),
        Case("float64", (randn(g, 2, 3, 12, dtype=torch.float64), 4)),
    ]


def _split_no_transpose(x, num_heads):
    B, T, D = x.shape
    return x.reshape(B, num_heads, T, D // num_heads)


def _split_interleaved(x, num_heads):
    B, T, D = x.shape
    return x.reshape(B, T, D // num_heads, num_heads).permute(0, 3, 1, 2)


def _split_time_before_heads(x, num_heads):
    B, T, D = x.shape
    return x.reshape(B, T, num_heads, D // num_heads)


def _split_heads_as_width(x, num_heads):
    B, T, D = x.shape
    return x.reshape(B, T, D // num_heads, num_heads).transpose(1, 2)


def _split_slices_transposed(x, num_heads):
    B, T, D = x.shape
    return x.reshape(B, T, num_heads, D // num_heads).permute(0, 2, 3, 1)


SPLIT = Exercise(
    "split_heads", ref.split_heads, _split_cases, arg_names=["x", "num_heads"],
    mistakes=[
        Mistake("heads split with a reshape but no transpose", _split_no_transpose,
                "x.reshape(B, h, T, d) has the right shape but mixes positions into the heads: "
                "reshape to (B, T, h, d) first, then .transpose(1, 2)."),
        Mistake("heads interleaved (feature j goes to head j % h)", _split_interleaved,
                "head i takes the consecutive features i·d .. (i+1)·d - 1: view as (B, T, h, d), "
                "not (B, T, d, h)."),
        Mistake("the heads axis left after the time axis: shape (B, T, h, d)", _split_time_before_heads,
                "after x.view(B, T, h, d), swap the T and h axes with .transpose(1, 2)."),
        Mistake("num_heads used as the width of a head", _split_heads_as_width,
                "num_heads is the number of slices; each slice is d = D // num_heads wide."),
        Mistake("each head's slice transposed: shape (B, h, d, T)", _split_slices_transposed,
                "the result is (B, h, T, d): one (T, d) block per head, positions along the rows."),
    ],
)



# -- merge_heads ------------------------------------------------------------------------------------------
def _merge_cases(seed):
    g = seeded(seed)
    return [
        Case("B=2, h=3 heads, T=5, d=4", (randn(g, 2, 3, 5, 4),)),
        Case("numbered entries, h=2, T=3, d=2", (torch.arange(12.0).reshape(1, 2, 3, 2) + 12 * seed,)),  # hidden
        # tests (seed != 0) number them from another start: no case equals one the recordings show
        Case("batch 1, length 1", (randn(g, 1, 3, 1, 4),)),
        Case("one head", (randn(g, 2, 1, 3, 8),)),
        Case("heads of width 1", (randn(g, 2, 6, 3, 1),)),
        Case("B=3, h=2, T=4, d=5", (randn(g, 3, 2, 4, 5),)),
        Case("float64", (randn(g, 2, 4, 3, 3, dtype=torch.float64),)),
    ]


def _merge_no_transpose(x):
    B, h, T, d = x.shape
    return x.reshape(B, T, h * d)


def _merge_view(x):
    B, h, T, d = x.shape
    return x.transpose(1, 2).view(B, T, h * d)


def _merge_not_flattened(x):
    return x.transpose(1, 2)


def _merge_interleaved(x):
    B, h, T, d = x.shape
    return x.permute(0, 2, 3, 1).reshape(B, T, d * h)


def _merge_along_time(x):
    B, h, T, d = x.shape
    return x.reshape(B, h * T, d)


MERGE = Exercise(
    "merge_heads", ref.merge_heads, _merge_cases, arg_names=["x"],
    mistakes=[
        Mistake("heads merged with a reshape but no transpose", _merge_no_transpose,
                "x.reshape(B, T, h·d) straight from (B, h, T, d) mixes positions: .transpose(1, 2) to "
                "(B, T, h, d) first, then reshape."),
        Mistake(".view() on the transposed tensor", _merge_view,
                "after .transpose(1, 2) the tensor is not contiguous, so .view() fails: use .reshape(...) "
                "or .contiguous().view(...)."),
        Mistake("the heads transposed but not flattened: shape (B, T, h, d)", _merge_not_flattened,
                "finish with .reshape(B, T, h * d): each position gets one vector of width h·d."),
        Mistake("heads interleaved (feature j taken from head j % h)", _merge_interleaved,
                "head i's features go back to the consecutive positions i·d .. (i+1)·d - 1: transpose to "
                "(B, T, h, d) and flatten the last two axes, in that order."),
        Mistake("heads stacked along the time axis: shape (B, h·T, d)", _merge_along_time,
                "the heads go side by side in the feature axis: the result is (B, T, h·d)."),
    ],
)



# -- MultiHeadAttention -----------------------------------------------------------------------------------
def _mha_cases(seed):
    g = seeded(seed)
    D, h = 12, 3  # d_head = 4: D, h, d, Tq and Tk all differ, so a wrong axis or scale shows

    def heads(num_heads=h, **mask):
        return {"kwargs": mask, "init": {"d_model": D, "num_heads": num_heads}}

    def cross(B, Tq, Tk):
        return randn(g, B, Tq, D), randn(g, B, Tk, D), randn(g, B, Tk, D)

    x, y, z, w = randn(g, 2, 5, D), randn(g, 2, 6, D), randn(g, 1, 1, D), randn(g, 2, 4, D)
    padding = (torch.arange(5)[None, :] < torch.tensor([5, 2])[:, None])[:, None, None, :]  # (B, 1, 1, Tk)
    one_allowed = nn.functional.one_hot(torch.randint(0, 5, (2, 3), generator=g), 5).bool()  # (B, Tq, Tk)
    per_head = (torch.rand(2, h, 3, 5, generator=g) < 0.5) | one_allowed[:, None]  # (B, h, Tq, Tk)
    causal = torch.ones(6, 6, dtype=torch.bool).tril()  # (T, T)
    return [
        Case("self-attention, B=2, T=5", (x, x, x), **heads()),
        Case("cross-attention, Tq=3, Tk=5", cross(2, 3, 5), **heads(mask=None)),
        Case("cross-attention, padding mask (B, 1, 1, Tk)", cross(2, 3, 5), **heads(mask=padding)),
        Case("causal self-attention, mask (T, T)", (y, y, y), **heads(mask=causal)),
        Case("one allowed key per row, mask (B, 1, Tq, Tk)", cross(2, 3, 5),
             **heads(mask=one_allowed[:, None])),
        Case("a different mask per head (B, h, Tq, Tk)", cross(2, 3, 5), **heads(mask=per_head)),
        Case("batch 1, length 1", (z, z, z), **heads()),
        Case("batch 1, one query, Tk=4, last key padded", cross(1, 1, 4),
             **heads(mask=torch.tensor([True, True, True, False]).view(1, 1, 1, 4))),
        Case("two heads of width 6", (w, w, w), **heads(num_heads=2)),
    ]


def _split(x, h):
    return ref.split_heads(x, h)


def _merge(x):
    return ref.merge_heads(x)


class _MhaVariant(nn.Module):
    """Multi-head attention with one thing changed, to build the known mistakes."""

    def __init__(self, d_model, num_heads, dropout=0.0, split=_split, merge=_merge, scale="d_head",
                 mask_use="as given", inputs="query, key, value", projections="w_q, w_k, w_v", output_projection=True,
                 average_heads=False, bias=True, transpose=lambda k: k.transpose(-2, -1), drop="weights"):
        super().__init__()
        self.dropout, self.drop = nn.Dropout(dropout), drop  # drop: what dropout acts on in train()
        self.transpose = transpose
        self.num_heads, self.split, self.merge = num_heads, split, merge
        self.scale, self.mask_use, self.inputs, self.projections = scale, mask_use, inputs, projections
        self.output_projection, self.average_heads = output_projection, average_heads
        self.w_q, self.w_k, self.w_v, self.w_o = (nn.Linear(d_model, d_model, bias=bias) for _ in range(4))

    def forward(self, query, key, value, mask=None):
        h = self.num_heads
        if self.inputs == "key, query, value":
            query, key = key, query
        elif self.inputs == "query, query, query":
            key = value = query
        project_v = {"w_q, w_k, w_v": self.w_v, "w_q, w_k, none": nn.Identity(), "w_q, w_k, w_k": self.w_k}
        q = self.split(self.w_q(query), h)
        k = self.split(self.w_k(key), h)
        v = self.split(project_v[self.projections](value), h)
        d_head, d_model = q.size(-1), query.size(-1)
        scale = {"d_head": math.sqrt(d_head), "d_model": math.sqrt(d_model), "twice": d_head}[self.scale]
        scores = q @ self.transpose(k) / scale
        if mask is not None and self.mask_use != "ignored":
            mask = {"as given": mask, "inverted": ~mask, "extra axis": mask.unsqueeze(1)}[self.mask_use]
            scores = scores.masked_fill(~mask, float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        attended = weights @ v
        if self.drop in ("weights", "returned weights"):
            weights = self.dropout(weights)
            attended = weights @ v if self.drop == "weights" else attended
        out = self.merge(attended)
        if self.drop == "merged heads":
            out = self.dropout(out)
        if self.output_projection:
            out = self.w_o(out)
        if self.drop == "output":
            out = self.dropout(out)
        return out, weights.mean(dim=1) if self.average_heads else weights


def _mha_variant(**change):
    return lambda d_model, num_heads, dropout=0.0: _MhaVariant(d_model, num_heads, dropout, **change)


MHA = AttentionDropoutExercise(
    "MultiHeadAttention", ref.MultiHeadAttention, _mha_cases, arg_names=["query", "key", "value"],
    outputs=["output", "weights"], given=(scaled_dot_product_attention,),
    members="exactly four nn.Linear(d_model, d_model) members with bias named w_q, w_k, w_v, w_o",
    mistakes=[
        Mistake("heads split with a reshape but no transpose", _mha_variant(split=_split_no_transpose),
                "run check_split_heads on your split_heads: reshape to (B, T, h, d), then .transpose(1, 2)."),
        Mistake("heads split and merged with reshapes but no transposes",
                _mha_variant(split=_split_no_transpose, merge=_merge_no_transpose),
                "the pair undo each other, but in between each 'head' holds a mix of positions: "
                "split with .view(B, T, h, d).transpose(1, 2), merge with "
                ".transpose(1, 2).reshape(B, T, h·d)."),
        Mistake("heads merged without a transpose", _mha_variant(merge=_merge_no_transpose),
                "run check_merge_heads on your merge_heads: .transpose(1, 2) back to (B, T, h, d), "
                "then reshape."),
        Mistake("heads merged with .view() on the transposed tensor", _mha_variant(merge=_merge_view),
                "run check_merge_heads on your merge_heads: after .transpose(1, 2) use .reshape(...), "
                "not .view(...)."),
        Mistake("heads interleaved (feature j goes to head j % h)",
                _mha_variant(split=_split_interleaved, merge=_merge_interleaved),
                "head i takes the consecutive features i·d .. (i+1)·d - 1, so the weights of w_q, w_k, w_v "
                "and w_o line up with the heads as in nn.MultiheadAttention."),
        Mistake("the keys transposed with `k.T` or `k.transpose(1, 2)` inside your own attention",
                _mha_variant(transpose=lambda k: k.transpose(1, 2)),
                "after split_heads the keys are (B, h, Tk, d): `k.transpose(1, 2)` swaps heads and positions, "
                "`k.T` reverses all four axes. Use k.transpose(-2, -1), or call "
                "scaled_dot_product_attention(q, k, v, mask) from the set-up cell."),
        Mistake("the output projection w_o not applied", _mha_variant(output_projection=False),
                "after merging the heads, return self.w_o(merged): it is what mixes the heads' outputs."),
        Mistake("scores divided by sqrt(d_model) instead of sqrt(d_head)", _mha_variant(scale="d_model"),
                "each head's queries and keys are d_head = d_model // num_heads wide; "
                "scaled_dot_product_attention on the split heads already divides by the right sqrt."),
        Mistake("scores scaled twice (divided by d_head)", _mha_variant(scale="twice"),
                "scaled_dot_product_attention already divides by sqrt(d_head): "
                "do not scale q or k yourself."),
        Mistake("weights averaged over the heads: shape (B, Tq, Tk)", _mha_variant(average_heads=True),
                "return every head's map, shape (B, h, Tq, Tk), as they come out of "
                "scaled_dot_product_attention "
                "(nn.MultiheadAttention averages them by default; this course keeps them apart)."),
        Mistake("the mask ignored", _mha_variant(mask_use="ignored"),
                "pass `mask` on to scaled_dot_product_attention(q, k, v, mask)."),
        Mistake("an inverted mask (True taken as blocked)", _mha_variant(mask_use="inverted"),
                "in this course True means 'may attend' (nn.MultiheadAttention's boolean masks mean the "
                "opposite): pass the mask on unchanged."),
        Mistake("the mask given an extra head axis (mask.unsqueeze(1))", _mha_variant(mask_use="extra axis"),
                "the mask already broadcasts against (B, h, Tq, Tk): a (B, 1, 1, Tk) padding mask or a "
                "(Tq, Tk) causal mask works as it is. Pass it on unchanged."),
        Mistake("the query and key projections swapped (w_q applied to the key)",
                _mha_variant(inputs="key, query, value"),
                "queries come from `query` through w_q, keys from `key` through w_k."),
        Mistake("keys and values computed from the query (right only for self-attention)",
                _mha_variant(inputs="query, query, query"),
                "use the `key` and `value` arguments: in cross-attention they are another sequence, "
                "of another length Tk."),
        Mistake("the value not projected (w_v not applied)", _mha_variant(projections="w_q, w_k, none"),
                "v = split_heads(self.w_v(value), num_heads): every input goes through its own projection."),
        Mistake("the values projected with w_k", _mha_variant(projections="w_q, w_k, w_k"),
                "a copy-paste slip: values go through self.w_v."),
        Mistake("projections without bias", _mha_variant(bias=False),
                "nn.Linear(d_model, d_model) has a bias by default: keep it "
                "(nn.MultiheadAttention has one too)."),
        # where dropout sits: right in eval(), told apart in train() by AttentionDropoutExercise
        Mistake(DROPOUT_AFTER_W_O, _mha_variant(drop="output"),
                "nn.MultiheadAttention drops attention links, not output features: in train(), weights = "
                "self.dropout(weights), then out = weights @ v, and w_o reads the merged heads as usual. The "
                "dropout on the attention's output belongs to the layer that uses it (dropout1 in notebook 07's "
                "encoder layer)."),
        Mistake(DROPOUT_BEFORE_W_O, _mha_variant(drop="merged heads"),
                "drop the attention weights (B, h, Tq, Tk) themselves: weights = self.dropout(weights), then "
                "out = weights @ v, then merge the heads and apply w_o."),
        Mistake(DROPOUT_NOT_READ, _mha_variant(drop="returned weights"),
                "after weights = self.dropout(weights), compute the output again from them: out = weights @ v "
                "(the output must read the dropped weights)."),
    ],
)


