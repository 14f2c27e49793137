"""Checks for notebook 05: the sinusoidal encoding, the learned positional embedding, rotary embeddings."""
import math

import torch

from ..solutions import positional_encoding as ref
from ._harness import learned_invoke
from .framework import Case, Exercise, Mistake, randn, seeded


# -- the sinusoidal encoding ------------------------------------------------------------------------------
def _sinusoidal_cases(seed):
    g = seeded(seed)
    d_model = 2 * int(torch.randint(2, 5, (), generator=g))  # 4, 6 or 8
    # Sizes stay moderate on purpose: with the exponent's sign wrong the angles reach (max_len - 1) ·
    # 10000^((d - 2)/d), and beyond about a thousand radians float32 rounding alone makes sin() differ by more
    # than the tolerance between two ways of writing that same mistake, which then could not be recognised.
    longest = 2 + int(1200 / 10000 ** ((d_model - 2) / d_model))  # 14 for d_model 4, 4 for 6, 3 for 8
    max_len = int(torch.randint(2, longest, (), generator=g))
    if seed != 0:  # hidden tests: sizes none of seed 0's (a table hard-coded for those must fail)
        return _sinusoidal_hidden_cases(g)
    return [
        Case("one position, one pair", (1, 2)),
        Case("one position, d_model 8", (1, 8)),
        Case("d_model 2: a single pair", (9, 2)),
        Case("d_model 6, not a power of 2", (3, 6)),
        Case("d_model 10, not a power of 2", (2, 10)),
        Case("square table", (4, 4)),
        Case("long table", (40, 2)),
        Case("more positions than dimensions", (12, 4)),
        Case(f"random size ({max_len}, {d_model})", (max_len, d_model)),
    ]


def _sinusoidal_hidden_cases(g):
    """The same situations as seed 0's cases with other sizes. Seed 0's sizes are fixed but for its random one,
    (2 .. 13, 4), (2 .. 3, 6) or (2, 8): every size here avoids all of those by construction."""
    def draw(*choices):
        return choices[int(torch.randint(0, len(choices), (), generator=g))]

    def pick(low, high):
        return int(torch.randint(low, high + 1, (), generator=g))

    return [
        Case("one position, d_model 4 or 6", (1, draw(4, 6))),
        Case("one position, d_model 12", (1, 12)),
        Case("d_model 2: a single pair", (draw(*[n for n in range(2, 31) if n != 9]), 2)),
        Case("d_model 6, not a power of 2", (draw(4, 5), 6)),
        Case("d_model 10, not a power of 2", (1, 10)),
        Case("square table", (6, 6)),
        Case("long table", (pick(41, 60), 2)),
        Case("more positions than dimensions", (pick(14, 16), 4)),
        Case("random size, d_model 8", (3, 8)),
    ]


def _table(max_len, d_model, base=10000.0, start=0, exponent=None, combine="interleave", sign=-1.0,
           with_position=True):
    """The sinusoidal table with one thing changed, in float64 (the variants cast it to float32)."""
    p = torch.arange(start, start + max_len, dtype=torch.float64)[:, None]  # (max_len, 1)
    if not with_position:
        p = torch.ones_like(p)
    i = torch.arange(d_model // 2, dtype=torch.float64)  # (d/2,) pair index
    exps = (2 * i / d_model) if exponent is None else exponent(i, d_model)
    if isinstance(exps, tuple):  # a separate exponent for the even and the odd dimensions
        even, odd = (p * base ** (sign * e) for e in exps)
    else:
        even = odd = p * base ** (sign * exps)
    if combine == "interleave":
        pe = torch.stack([torch.sin(even), torch.cos(odd)], dim=-1).flatten(-2)
    elif combine == "swap":
        pe = torch.stack([torch.cos(even), torch.sin(odd)], dim=-1).flatten(-2)
    else:  # halves
        pe = torch.cat([torch.sin(even), torch.cos(odd)], dim=-1)
    return pe


def _variant(**change):
    def impl(max_len, d_model):
        return _table(max_len, d_model, **change).float()
    return impl


SINUSOIDAL = Exercise(
    "sinusoidal_positional_encoding", ref.sinusoidal_positional_encoding, _sinusoidal_cases,
    arg_names=["max_len", "d_model"], rtol=1e-4, atol=1e-3,
    mistakes=[
        Mistake("sin and cos swapped (cos on the even dimensions)", _variant(combine="swap"),
                "PE[p, 2i] = sin(...) on the even dimensions 0, 2, 4, ... and PE[p, 2i+1] = cos(...) on "
                "the odd ones: position 0 is [0, 1, 0, 1, ...]."),
        Mistake("sines and cosines concatenated in halves ([sin..., cos...]) instead of interleaved",
                _variant(combine="halves"),
                "put the sines in the even columns and the cosines in the odd ones: pe[:, 0::2] = sin, "
                "pe[:, 1::2] = cos (not torch.cat([sin, cos], dim=-1))."),
        Mistake("the exponent taken per dimension (10000^(j/d) with j the dimension index) "
                "instead of per pair",
                _variant(exponent=lambda i, d: (2 * i / d, (2 * i + 1) / d)),
                "both dimensions of a pair share one frequency: dimension 2i+1 uses the exponent 2i/d, "
                "like dimension 2i. Take the exponents from torch.arange(0, d_model, 2) and use them for "
                "sin and cos."),
        Mistake("the pair index i in the exponent instead of 2i (10000^(i/d))",
                _variant(exponent=lambda i, d: i / d),
                "the exponent is 2i/d, i = 0 .. d/2 - 1, so it runs from 0 to almost 1: "
                "torch.arange(0, d_model, 2) / d_model gives 2i/d directly."),
        Mistake("the exponent doubled (2·(2i)/d)", _variant(exponent=lambda i, d: 4 * i / d),
                "torch.arange(0, d_model, 2) already holds 2i: divide it by d_model without multiplying "
                "by 2 again."),
        Mistake("the angle multiplied by 10000^(2i/d) instead of divided (the exponent's sign)",
                _variant(sign=1.0),
                "the angle is p / 10000^(2i/d) = p · 10000^(-2i/d): frequencies fall from 1 to about "
                "1/10000. In the exp form the exponent needs its minus sign: "
                "torch.exp(two_i * -(math.log(10000.0) / d_model))."),
        Mistake("base 1000 instead of 10000", _variant(base=1000.0),
                "the base of the paper is 10000 (1e4): its longest wavelength is 10000·2π positions."),
        Mistake("the natural log and log10 mixed up (base e^4 instead of 10000)",
                _variant(base=math.exp(4.0)),
                "in the exp form, 10000^(-2i/d) = exp(-2i · ln(10000) / d): use math.log(10000.0), the "
                "natural log, not math.log10 (which gives 4)."),
        Mistake("an exponent that is always 0 (integer division 2i // d)",
                _variant(exponent=lambda i, d: 0 * i),
                "2i // d is 0 for every pair, so all pairs get the frequency 1: use true division, 2i / d."),
        Mistake("positions counted from 1 instead of 0", _variant(start=1),
                "the first row is position 0, so PE[0] = [0, 1, 0, 1, ...]: use torch.arange(max_len)."),
        Mistake("the same vector for every position (the angle misses the position p)",
                _variant(with_position=False),
                "the angle of row p is p / 10000^(2i/d): multiply by the position, a (max_len, 1) column."),
        Mistake("the transposed table (d_model, max_len)",
                lambda max_len, d_model: ref.sinusoidal_positional_encoding(max_len, d_model).T,
                "one row per position: the shape is (max_len, d_model)."),
        Mistake("a leading batch dimension (1, max_len, d_model)",
                lambda max_len, d_model: ref.sinusoidal_positional_encoding(max_len, d_model)[None],
                "return the table itself, (max_len, d_model); whoever adds it to a batch broadcasts it."),
        Mistake("a float64 table", lambda max_len, d_model: _table(max_len, d_model),
                "return float32, the dtype of the model's activations: build it with dtype=torch.float32 "
                "or end with .float() (NumPy and math give float64)."),
    ],
)



# -- the learned positional embedding ----------------------------------------------------------------------
def _learned_cases(seed):
    g = seeded(seed)

    def case(label, max_len, d_model, B, T):
        return Case(label, (randn(g, max_len, d_model), randn(g, B, T, d_model)))  # (max_len, D), (B, T, D)

    return [
        case("shorter than max_len", 10, 6, 2, 4),
        case("exactly max_len", 5, 6, 3, 5),
        case("batch 1, length 1", 7, 4, 1, 1),
        case("batch 3, length 2", 9, 8, 3, 2),
        case("batch equal to length", 6, 5, 4, 4),
    ]


class _LearnedNoInput(ref.LearnedPositionalEmbedding):
    def forward(self, x):
        return self.embedding(torch.arange(x.size(1)))


class _LearnedWholeTable(ref.LearnedPositionalEmbedding):
    def forward(self, x):
        return x + self.embedding.weight


class _LearnedFromOne(ref.LearnedPositionalEmbedding):
    def forward(self, x):
        return x + self.embedding(torch.arange(1, x.size(1) + 1))


class _LearnedBatchAxis(ref.LearnedPositionalEmbedding):
    def forward(self, x):
        return x + self.embedding(torch.arange(x.size(0)))


class _LearnedConcatenated(ref.LearnedPositionalEmbedding):
    def forward(self, x):
        B, T, D = x.shape
        return torch.cat([x, self.embedding(torch.arange(T)).expand(B, T, D)], dim=-1)


class _LearnedScaled(ref.LearnedPositionalEmbedding):
    def forward(self, x):
        return x * math.sqrt(x.size(-1)) + self.embedding(torch.arange(x.size(1)))


LEARNED = Exercise(
    "LearnedPositionalEmbedding", ref.LearnedPositionalEmbedding, _learned_cases,
    arg_names=["embedding.weight", "x"], invoke=learned_invoke,
    mistakes=[
        Mistake("the position vectors returned without x", _LearnedNoInput,
                "return x + self.embedding(positions): the positions are added to the tokens, not put in "
                "place of them."),
        Mistake("the whole table added (all max_len rows, not the first T)", _LearnedWholeTable,
                "a sequence of length T = x.size(1) needs the rows 0..T-1: self.embedding(torch.arange(T))."),
        Mistake("positions counted from 1 instead of 0", _LearnedFromOne,
                "torch.arange(T) gives 0..T-1; rows 1..T run out of the table at T = max_len."),
        Mistake("the positions taken from the batch axis (x.size(0) instead of x.size(1))", _LearnedBatchAxis,
                "x is (B, T, d_model): the length is x.size(1) (or B, T, D = x.shape)."),
        Mistake("positions concatenated to x instead of added", _LearnedConcatenated,
                "the output keeps the width d_model: add, x + self.embedding(positions)."),
        Mistake("x scaled by sqrt(d_model) before the positions are added", _LearnedScaled,
                "the Transformer scales its token embeddings by sqrt(d_model), but that belongs to the token "
                "embedding: this module only adds the position vectors to x as it is."),
    ],
)



# -- rotary embeddings ------------------------------------------------------------------------------------
def _rope_cases(seed):
    g = seeded(seed)
    offset = int(torch.randint(3, 20, (), generator=g))
    return [
        Case("(B, T, D), default positions", (randn(g, 2, 5, 8),)),
        Case("extra batch dims (B, h, T, D)", (randn(g, 2, 3, 7, 6),)),
        Case("length 1, one pair", (randn(g, 1, 1, 2),)),
        Case(f"positions {offset}.. (as with a KV cache)", (randn(g, 2, 4, 10),),
             {"positions": torch.arange(offset, offset + 4)}),
        Case("positions in any order", (randn(g, 1, 5, 4),), {"positions": torch.tensor([3, 0, 7, 7, 1])}),
        Case("float64", (randn(g, 2, 6, 12, dtype=torch.float64),)),
    ]


def _rope(x, positions=None, start=0, pairing="interleave", direction=1.0, exponent=None, output="interleave",
          use_positions=True):
    """Rotary embedding with one thing changed, to build the known mistakes."""
    T, D = x.shape[-2:]
    if positions is None or not use_positions:
        positions = torch.arange(start, start + T)  # the default positions, counted from `start`
    p = positions.to(torch.float64)[:, None]  # (T, 1)
    i = torch.arange(D // 2, dtype=torch.float64)
    angle = p / 10000 ** ((2 * i / D) if exponent is None else exponent(i, D))  # (T, D/2)
    cos, sin = torch.cos(angle).to(x.dtype), (direction * torch.sin(angle)).to(x.dtype)
    if pairing == "interleave":
        x1, x2 = x[..., 0::2], x[..., 1::2]
    else:  # halves: the rotate_half convention of GPT-NeoX and of Hugging Face's LLaMA
        x1, x2 = x[..., : D // 2], x[..., D // 2:]
    r1, r2 = x1 * cos - x2 * sin, x1 * sin + x2 * cos
    if pairing == "interleave" and output == "interleave":
        return torch.stack([r1, r2], dim=-1).flatten(-2)  # each pair back in its place
    return torch.cat([r1, r2], dim=-1)  # written back in halves


def _rope_variant(**change):
    return lambda x, positions=None: _rope(x, positions, **change)


def _rope_added(x, positions=None):
    T, D = x.shape[-2:]
    if positions is None:
        positions = torch.arange(T)
    table = ref.sinusoidal_positional_encoding(int(positions.max()) + 1, D).to(x.dtype)
    return x + table[positions]


ROPE = Exercise(
    "apply_rope", ref.apply_rope, _rope_cases, arg_names=["x"],
    mistakes=[
        Mistake("features paired in halves (i, i + D/2), the rotate_half convention",
                _rope_variant(pairing="halves"),
                "GPT-NeoX and Hugging Face's LLaMA pair feature i with i + D/2; this course pairs neighbours "
                "(2i, 2i+1), as the RoFormer paper, Meta's LLaMA code and the sinusoidal table do: "
                "x1, x2 = x[..., 0::2], x[..., 1::2]."),
        Mistake("the rotated pairs written back in halves ([x1'..., x2'...]) instead of interleaved",
                _rope_variant(output="halves"),
                "put each pair back where it came from: torch.stack([r1, r2], dim=-1).flatten(-2), "
                "not torch.cat([r1, r2], dim=-1)."),
        Mistake("a rotation the other way (the sign of sin flipped)", _rope_variant(direction=-1.0),
                "rotate by +angle: x1' = x1·cos - x2·sin, x2' = x1·sin + x2·cos."),
        Mistake("`positions` ignored (always 0..T-1)", _rope_variant(use_positions=False),
                "use the positions given; only when positions is None fall back to torch.arange(T)."),
        Mistake("positions counted from 1 instead of 0", _rope_variant(start=1),
                "the default positions are torch.arange(T): row 0 is not rotated."),
        Mistake("the pair index i in the exponent instead of 2i (10000^(i/D))",
                _rope_variant(exponent=lambda i, d: i / d),
                "the pair (2i, 2i+1) turns at the frequency 10000^(-2i/D), as in the sinusoidal table."),
        Mistake("the sinusoidal table added instead of a rotation", _rope_added,
                "rotary embeddings rotate each pair by its angle; they do not add anything to x."),
    ],
)


