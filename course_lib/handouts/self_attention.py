"""Built in notebook 03: scaled dot-product attention, the softmax it calls, and its masks.

Handed out by notebook 04 (`scaled_dot_product_attention`), notebook 08 (`causal_mask`, `padding_mask`) and
notebook 09 (`scaled_dot_product_attention`); `softmax` comes with them, as the attention calls it.
"""
import math

import torch

__all__ = ["softmax", "scaled_dot_product_attention", "causal_mask", "padding_mask"]


def softmax(x, dim=-1):
    """Turn scores into probabilities along `dim`, safely for very large scores."""
    shifted = x - x.amax(dim=dim, keepdim=True)  # the largest score becomes 0, so exp() cannot overflow
    exps = torch.exp(shifted)
    return exps / exps.sum(dim=dim, keepdim=True)


def scaled_dot_product_attention(q, k, v, mask=None):
    """Let every query read a weighted average of the values, weighted by how well it matches each key."""
    d_k = q.size(-1)
    scores = q @ k.transpose(-2, -1) / math.sqrt(d_k)  # (..., Tq, d_k) x (..., d_k, Tk) -> (..., Tq, Tk)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))  # True means "may attend": block the rest
    weights = softmax(scores, dim=-1)  # each query's weights over the keys sum to 1
    output = weights @ v  # (..., Tq, Tk) x (..., Tk, d_v) -> (..., Tq, d_v)
    return output, weights


def causal_mask(T):
    """Allow each position to attend to itself and to the positions before it."""
    return torch.ones(T, T, dtype=torch.bool).tril()  # (T, T), True on and below the diagonal


def padding_mask(lengths, max_len):
    """Mark the real tokens of each sequence True and its padding False."""
    positions = torch.arange(max_len, device=lengths.device)  # (max_len,)
    return positions[None, :] < lengths[:, None]  # (1, max_len) < (B, 1) -> (B, max_len)
