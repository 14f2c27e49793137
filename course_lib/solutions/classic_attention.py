"""Notebook 02: encoder-decoder attention with an additive score (Bahdanau, Cho and Bengio, 2015)."""
import torch

__all__ = ["additive_attention"]


def additive_attention(query, keys, values, W_q, W_k, v, mask=None):
    """Score each encoder state against one decoder query with a small tanh network and average the values."""
    q = query @ W_q  # (B, Dq) x (Dq, A) -> (B, A)
    k = keys @ W_k  # (B, T, Dk) x (Dk, A) -> (B, T, A)
    scores = torch.tanh(q[:, None, :] + k) @ v  # (B, 1, A) + (B, T, A) -> (B, T, A); x (A,) -> (B, T)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))  # True means "may attend": block the rest
    weights = torch.softmax(scores, dim=-1)  # (B, T): each row sums to 1 over the source positions
    context = (weights[:, None, :] @ values).squeeze(1)  # (B, 1, T) x (B, T, Dv) -> (B, 1, Dv) -> (B, Dv)
    return context, weights
