"""Checks for notebook 02: additive (Bahdanau) attention of one decoder query over the encoder's states."""
import torch

from ..solutions import classic_attention as ref
from .framework import Case, Exercise, Mistake, masking_mistakes, randn, seeded

Dq, Dk, Dv, A = 3, 4, 6, 7  # all different, so a swapped weight or keys used as values shows in the shapes


def _inputs(g, B, T, a=A, dtype=torch.float32):
    """query, keys, values, W_q, W_k, v for a batch of B queries over T encoder states."""
    return (randn(g, B, Dq, dtype=dtype), randn(g, B, T, Dk, dtype=dtype), randn(g, B, T, Dv, dtype=dtype),
            randn(g, Dq, a, dtype=dtype), randn(g, Dk, a, dtype=dtype), randn(g, a, dtype=dtype))


def _padding(lengths, T):
    """(B, T) bool, True at the first lengths[b] positions of row b."""
    return torch.arange(T)[None, :] < torch.as_tensor(lengths)[:, None]


def _scattered(g, T, keep):
    """One (T,) bool row with `keep` allowed positions chosen at random (not a prefix)."""
    row = torch.zeros(T, dtype=torch.bool)
    row[torch.randperm(T, generator=g)[:keep]] = True
    return row


def _cases(seed):
    g = seeded(seed)
    B, T = 2, 5
    only_one = torch.stack([_scattered(g, T, 1), _scattered(g, T, 3)])  # row 0 may see a single position
    return [
        Case("no mask", _inputs(g, B, T)),
        Case("padding mask", _inputs(g, B, T),
             {"mask": _padding([T, int(torch.randint(2, T, (1,), generator=g))], T)}),
        Case("a row with one allowed position", _inputs(g, B, T), {"mask": only_one}),
        Case("batch 1", _inputs(g, 1, T), {"mask": _scattered(g, T, 4)[None, :]}),
        Case("batch 1, length 1", _inputs(g, 1, 1), {"mask": torch.ones(1, 1, dtype=torch.bool)}),
        Case("batch = length = 4 (a missing time axis broadcasts without an error)", _inputs(g, 4, 4),
             {"mask": _padding([4, 1, 3, 2], 4)}),
        Case("longer source, wider attention (T = 9, A = 16)", _inputs(g, 3, 9, a=16)),
        Case("float64", _inputs(g, B, T, dtype=torch.float64), {"mask": _padding([T, 3], T)}),
    ]


def _additive(query, keys, values, W_q, W_k, v, mask=None, *, fill=float("-inf"), softmax_dim=-1,
              invert=False, mask_after=False, tanh="inside", swap=False, time_axis=True, normalise=True,
              context="weighted sum"):
    """Additive attention with one thing changed, to build the known mistakes."""
    q = query @ (W_k if swap else W_q)  # swapped weights raise here when Dq != Dk
    k = keys @ (W_q if swap else W_k)
    hidden = (q[:, None, :] if time_axis else q) + k
    if tanh == "inside":
        scores = torch.tanh(hidden) @ v
    elif tanh == "after":
        scores = torch.tanh(hidden @ v)
    else:
        scores = hidden @ v
    if mask is not None and invert:
        mask = ~mask
    if mask is not None and not mask_after:
        scores = scores.masked_fill(~mask, fill)
    weights = torch.softmax(scores, dim=softmax_dim) if normalise else scores
    if mask is not None and mask_after:
        weights = weights * mask
    if context == "weighted sum":
        out = (weights[:, None, :] @ values).squeeze(1)
    elif context == "keys":
        out = (weights[:, None, :] @ keys).squeeze(1)
    elif context == "mean":
        out = (weights[:, :, None] * values).mean(dim=1)
    elif context == "no axis":
        out = weights @ values
    else:  # "squeeze()"
        out = (weights[:, None, :] @ values).squeeze()
    return out, weights


def _variant(**change):
    def mistake(query, keys, values, W_q, W_k, v, mask=None):
        return _additive(query, keys, values, W_q, W_k, v, mask, **change)
    return mistake


ADDITIVE = Exercise(
    "additive_attention", ref.additive_attention, _cases,
    arg_names=["query", "keys", "values", "W_q", "W_k", "v"], outputs=["context", "weights"],
    mistakes=[
        Mistake("W_q and W_k swapped", _variant(swap=True),
                "the query (width Dq) goes through W_q (Dq, A) and the keys (width Dk) through W_k (Dk, A)."),
        Mistake("the projected query added without a time axis", _variant(time_axis=False),
                "query @ W_q is (B, A) and keys @ W_k is (B, T, A): (B, A) broadcasts as (1, B, A), which "
                "pairs query b with time step b (or fails). Add the axis: (query @ W_q)[:, None, :]."),
        Mistake("a softmax over the batch axis (dim=0)", _variant(softmax_dim=0),
                "each query's weights over the T source positions must sum to 1: softmax over dim=-1."),
        Mistake("no softmax (the raw scores used as weights)", _variant(normalise=False),
                "turn the scores into weights with torch.softmax(scores, dim=-1): positive, summing to 1."),
        Mistake("no tanh (the score is linear in query and key)", _variant(tanh="none"),
                "score_t = v . tanh(query @ W_q + keys_t @ W_k): tanh of the sum, then the dot with v."),
        Mistake("tanh applied after the dot with v", _variant(tanh="after"),
                "tanh goes on the (B, T, A) hidden layer, before the dot with v; the scores themselves are "
                "not squashed."),
        *masking_mistakes(
            ignored=lambda query, keys, values, W_q, W_k, v, mask=None: _additive(
                query, keys, values, W_q, W_k, v, None),
            inverted=_variant(invert=True), after_softmax=_variant(mask_after=True), zero_fill=_variant(fill=0.0)),
        Mistake("the context computed from the keys instead of the values", _variant(context="keys"),
                "the keys decide the weights; the context averages the values: weights x values, "
                "width Dv."),
        Mistake("the context averaged over T (a mean instead of the weighted sum)", _variant(context="mean"),
                "the weights already sum to 1, so the weighted average is a sum: "
                "(weights[:, :, None] * values).sum(dim=1), not .mean(dim=1)."),
        Mistake("weights @ values without an extra axis (a (B, B, Dv) context)", _variant(context="no axis"),
                "(B, T) @ (B, T, Dv) multiplies every row of weights with every batch's values: use "
                "(weights[:, None, :] @ values).squeeze(1), shape (B, 1, T) x (B, T, Dv) -> (B, Dv)."),
        Mistake("a .squeeze() without a dim (it also drops the batch axis when B = 1)",
                _variant(context="squeeze()"),
                "squeeze only the axis you added: .squeeze(1)."),
    ],
)


