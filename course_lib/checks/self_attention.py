"""Checks for notebook 03: softmax, scaled dot-product attention, causal and padding masks."""
import math
import warnings

import torch

from ..solutions import self_attention as ref
from .framework import Case, Exercise, Mistake, masking_mistakes, randn, seeded


# -- softmax ------------------------------------------------------------------------------------------------
def _softmax_cases(seed):
    g = seeded(seed)
    very_different = torch.stack([randn(g, 6) + 1000.0, randn(g, 6) - 1000.0])  # rows 2000 apart
    return [
        Case("rows, default dim", (randn(g, 3, 5),)),
        Case("square scores", (randn(g, 4, 4),), {"dim": -1}),
        Case("softmax over dim 0", (randn(g, 4, 6),), {"dim": 0}),
        Case("middle dimension", (randn(g, 2, 3, 5),), {"dim": 1}),
        Case("huge scores", (randn(g, 2, 7, scale=1000.0),), {"dim": -1}),
        Case("rows of very different size", (very_different,), {"dim": -1}),
        Case("length 1", (randn(g, 3, 1),), {"dim": -1}),
        Case("float64", (randn(g, 2, 3, 4, dtype=torch.float64),), {"dim": -1}),
    ]


def _softmax_no_max(x, dim=-1):
    e = torch.exp(x)
    return e / e.sum(dim=dim, keepdim=True)


def _softmax_last_axis(x, dim=-1):
    return ref.softmax(x, dim=-1)


def _softmax_global_max(x, dim=-1):
    e = torch.exp(x - x.max())
    return e / e.sum(dim=dim, keepdim=True)


def _softmax_max_no_keepdim(x, dim=-1):
    e = torch.exp(x - x.amax(dim=dim))
    return e / e.sum(dim=dim, keepdim=True)


def _softmax_sum_no_keepdim(x, dim=-1):
    e = torch.exp(x - x.amax(dim=dim, keepdim=True))
    return e / e.sum(dim=dim)


def _softmax_log(x, dim=-1):
    return torch.log(ref.softmax(x, dim=dim))


SOFTMAX = Exercise(
    "softmax", ref.softmax, _softmax_cases, arg_names=["x"],
    mistakes=[
        Mistake("exp() of the raw scores (the max is not subtracted first)", _softmax_no_max,
                "exp(1000) overflows to inf and inf/inf is NaN: subtract x.amax(dim, keepdim=True) first; "
                "softmax does not change when every score in a row moves by the same amount."),
        Mistake("a softmax that ignores `dim`", _softmax_last_axis,
                "use the `dim` argument in both the max and the sum, not a fixed -1."),
        Mistake("the global max subtracted instead of the max along `dim`", _softmax_global_max,
                "one max for the whole tensor underflows rows whose scores are far below it (0/0 = NaN): "
                "take the max along `dim` with keepdim=True."),
        Mistake("a max taken without keepdim=True", _softmax_max_no_keepdim,
                "x.amax(dim) drops that dimension, so it broadcasts along the wrong axis: "
                "use x.amax(dim=dim, keepdim=True)."),
        Mistake("a sum taken without keepdim=True", _softmax_sum_no_keepdim,
                "e.sum(dim) drops that dimension, so it broadcasts along the wrong axis: "
                "use e.sum(dim=dim, keepdim=True)."),
        Mistake("log-probabilities (a log_softmax)", _softmax_log,
                "return the probabilities themselves: they are positive and sum to 1 along `dim`."),
    ],
)



# -- scaled dot-product attention -------------------------------------------------------------------------
def _one_allowed_per_row(g, tq, tk):
    """A mask that blocks every key of a row but one (chosen at random)."""
    keep = torch.randint(0, tk, (tq,), generator=g)
    return torch.nn.functional.one_hot(keep, tk).bool()  # (Tq, Tk)


def _sdpa_cases(seed):
    g = seeded(seed)
    B, Tq, Tk, dk, dv = 2, 3, 5, 4, 6  # all different, so a wrong transpose or scale shows
    lengths = torch.tensor([5, 2])
    padding = (torch.arange(Tk)[None, :] < lengths[:, None])[:, None, :]  # (B, 1, Tk)
    T = 6
    return [
        Case("no mask", (randn(g, B, Tq, dk), randn(g, B, Tk, dk), randn(g, B, Tk, dv))),
        Case("padding mask (B, 1, Tk)", (randn(g, B, Tq, dk), randn(g, B, Tk, dk), randn(g, B, Tk, dv)),
             {"mask": padding}),
        Case("causal self-attention", (randn(g, B, T, dk), randn(g, B, T, dk), randn(g, B, T, dv)),
             {"mask": torch.ones(T, T, dtype=torch.bool).tril()}),
        Case("one allowed key per row", (randn(g, B, Tq, dk), randn(g, B, Tk, dk), randn(g, B, Tk, dv)),
             {"mask": _one_allowed_per_row(g, Tq, Tk)}),
        Case("extra batch dims (2, 3, ...)", (randn(g, 2, 3, Tq, dk), randn(g, 2, 3, Tk, dk),
                                               randn(g, 2, 3, Tk, dv)),
             {"mask": padding[:, None]}),
        Case("batch 1, length 1", (randn(g, 1, 1, dk), randn(g, 1, 1, dk), randn(g, 1, 1, dv))),
        Case("wide heads d_k = 64", (randn(g, B, Tq, 64), randn(g, B, Tk, 64), randn(g, B, Tk, dv))),
        Case("float64", (randn(g, B, Tq, dk, dtype=torch.float64), randn(g, B, Tk, dk, dtype=torch.float64),
                         randn(g, B, Tk, dv, dtype=torch.float64))),
    ]


def _attention(q, k, v, mask=None, scale=None, fill=float("-inf"), softmax_dim=-1, invert=False,
               mask_after=False, transpose=lambda k: k.transpose(-2, -1)):
    """Scaled dot-product attention with one thing changed, to build the known mistakes."""
    scale = math.sqrt(q.size(-1)) if scale is None else scale(q, k, v)
    scores = q @ transpose(k) / scale
    if mask is not None and invert:
        mask = ~mask
    if mask is not None and not mask_after:
        scores = scores.masked_fill(~mask, fill)
    weights = torch.softmax(scores, dim=softmax_dim)
    if mask is not None and mask_after:
        weights = weights * mask
    return weights @ v, weights


def _sdpa_variant(**change):
    return lambda q, k, v, mask=None: _attention(q, k, v, mask, **change)


def _reversed_axes(k):
    """`k.T`: on a tensor of more than 2 dimensions it reverses all of them (torch warns; quiet here)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return k.T


SDPA = Exercise(
    "scaled_dot_product_attention", ref.scaled_dot_product_attention, _sdpa_cases,
    arg_names=["q", "k", "v"], outputs=["output", "weights"],
    mistakes=[
        Mistake("`k.T` used to transpose the keys", _sdpa_variant(transpose=_reversed_axes),
                "on a 3-D or 4-D tensor `.T` reverses every axis, batch included: use k.transpose(-2, -1) "
                "(or k.mT), which swaps only the last two."),
        Mistake("`k.transpose(1, 2)`, which swaps the wrong axes once there are extra batch dimensions",
                _sdpa_variant(transpose=lambda k: k.transpose(1, 2)),
                "count axes from the end: k.transpose(-2, -1) swaps Tk and d_k whatever the number of batch "
                "dimensions (heads, in notebook 04)."),
        Mistake("no 1/sqrt(d_k) scaling", _sdpa_variant(scale=lambda q, k, v: 1.0),
                "divide the scores by math.sqrt(d_k): dot products of d_k-dimensional vectors grow like "
                "sqrt(d_k), which saturates the softmax."),
        Mistake("scores divided by d_k instead of sqrt(d_k)", _sdpa_variant(scale=lambda q, k, v: q.size(-1)),
                "divide by math.sqrt(d_k), the standard deviation of a dot product of unit-variance vectors."),
        Mistake("scores divided by sqrt(d_v) instead of sqrt(d_k)",
                _sdpa_variant(scale=lambda q, k, v: math.sqrt(v.size(-1))),
                "the scale comes from the width of the queries and keys, q.size(-1), not of the values."),
        Mistake("a softmax over the queries (dim=-2) instead of the keys", _sdpa_variant(softmax_dim=-2),
                "each query's weights over the keys must sum to 1: softmax over the last axis."),
        *masking_mistakes(ignored=lambda q, k, v, mask=None: _attention(q, k, v, None),
                          inverted=_sdpa_variant(invert=True), after_softmax=_sdpa_variant(mask_after=True),
                          zero_fill=_sdpa_variant(fill=0.0)),
    ],
)



# -- masks ------------------------------------------------------------------------------------------------
# Hidden tests (the graded cells' other seeds) must not be passable by a mask hard-coded for the sizes the public
# seed shows (the student environment's recordings hold them): every other seed draws its sizes away from them.
PUBLIC_LENGTHS = (1, 4, 7)


def _causal_cases(seed):
    if seed == 0:
        return [Case(f"T = {T}", (T,)) for T in PUBLIC_LENGTHS]
    g = seeded(seed)

    def draw(*choices):
        return choices[int(torch.randint(0, len(choices), (), generator=g))]

    sizes = (draw(2, 3), draw(5, 6), draw(*range(8, 17)))  # short, medium, long: none of PUBLIC_LENGTHS
    return [Case(f"T = {T}", (T,)) for T in sizes]


CAUSAL = Exercise(
    "causal_mask", ref.causal_mask, _causal_cases, arg_names=["T"],
    mistakes=[
        Mistake("an inverted mask (True above the diagonal, as nn.Transformer's masks)",
                lambda T: torch.ones(T, T, dtype=torch.bool).triu(1),
                "in this course True means 'may attend': True on and below the diagonal."),
        Mistake("a mask without its diagonal", lambda T: torch.ones(T, T, dtype=torch.bool).tril(-1),
                "a position may attend to itself: keep the diagonal True (tril(), not tril(-1))."),
        Mistake("the transposed mask (True on and above the diagonal)",
                lambda T: torch.ones(T, T, dtype=torch.bool).triu(),
                "row i is query i; it may see keys 0..i, so the True entries are below the diagonal."),
        Mistake("a float mask", lambda T: torch.ones(T, T).tril(), "return dtype torch.bool."),
        Mistake("an additive float mask (0 and -inf)",
                lambda T: torch.zeros(T, T).masked_fill(~torch.ones(T, T, dtype=torch.bool).tril(), -math.inf),
                "this course's masks are boolean, True where attention is allowed."),
    ],
)



def _padding_cases(seed):
    g = seeded(seed)
    if seed == 0:
        return [
            Case("three sequences", (torch.tensor([3, 1, 5]), 5)),
            Case("extra padding at the end", (torch.tensor([2, 4]), 7)),
            Case("batch 1", (torch.tensor([2]), 4)),
            Case("length 1", (torch.tensor([1, 1]), 1)),
            Case("an empty sequence", (torch.tensor([0, 3, 2]), 3)),
            Case("random lengths", (torch.randint(1, 9, (6,), generator=g), 9)),
        ]

    def lengths(B, low, high):  # B lengths in low..high, the longest equal to high
        drawn = torch.randint(low, high + 1, (B,), generator=g)
        drawn[int(torch.randint(0, B, (), generator=g))] = high
        return drawn

    # other seeds: (batch, max_len) pairs none of seed 0's, max_len 2, 6, 8 or 10..12 (seed 0: 1, 3, 4, 5, 7, 9)
    empty = lengths(4, 1, 6)
    empty[int(torch.randint(0, 4, (), generator=g))] = 0
    return [
        Case("three sequences", (lengths(3, 1, 6), 6)),
        Case("extra padding at the end", (lengths(2, 1, 5), 8)),
        Case("batch 1", (lengths(1, 1, 2), 2)),
        Case("length 1", (torch.ones(3, dtype=torch.long), 1)),
        Case("an empty sequence", (empty, 6)),
        Case("random lengths", (torch.randint(1, 11, (5,), generator=g), int(torch.randint(10, 13, (), generator=g)))),
    ]


PADDING = Exercise(
    "padding_mask", ref.padding_mask, _padding_cases, arg_names=["lengths", "max_len"],
    mistakes=[
        *[Mistake("positions compared with `lengths` without `lengths[:, None]`", impl,
                  "`torch.arange(max_len) < lengths` lines the two up on one axis (an error, or a wrong shape): "
                  "compare torch.arange(max_len)[None, :] (1, max_len) with lengths[:, None] (B, 1), which "
                  "broadcasts to (B, max_len).")
          for impl in (lambda lengths, max_len: torch.arange(max_len) < lengths,
                       lambda lengths, max_len: torch.arange(max_len)[None, :] < lengths)],
        Mistake("an inverted mask (True at the padding)",
                lambda lengths, max_len: ~ref.padding_mask(lengths, max_len),
                "True marks the real tokens, the ones attention may look at."),
        Mistake("an off-by-one (<= instead of <)",
                lambda lengths, max_len: torch.arange(max_len)[None, :] <= lengths[:, None],
                "positions are counted from 0, so a sequence of length n has real tokens at 0..n-1."),
        Mistake("a transposed mask (max_len, B)",
                lambda lengths, max_len: ref.padding_mask(lengths, max_len).T,
                "one row per sequence: the shape is (B, max_len)."),
        Mistake("an integer mask", lambda lengths, max_len: ref.padding_mask(lengths, max_len).long(),
                "return dtype torch.bool."),
        Mistake("a float mask", lambda lengths, max_len: ref.padding_mask(lengths, max_len).float(),
                "return dtype torch.bool."),
    ],
)


