"""Notebook 06's loop: attention computed one query position after the other, as a recurrence would.

Not an exercise: notebook 06 hands it out as the loop the learner replaces with `attention_all_positions`.
"""
import math

import torch

__all__ = ["attention_one_query_at_a_time"]


def attention_one_query_at_a_time(q, k, v, causal=False):
    """Attention computed as a recurrence would: one query position after the other (handed out)."""
    B, T, d = q.shape
    outputs = []
    for t in range(T):
        keys = t + 1 if causal else k.size(1)  # a causal query sees the keys 0..t only
        scores = q[:, t:t + 1] @ k[:, :keys].transpose(1, 2) / math.sqrt(d)  # (B, 1, d) x (B, d, keys) -> (B, 1, keys)
        weights = torch.softmax(scores, dim=-1)  # (B, 1, keys)
        outputs.append(weights @ v[:, :keys])  # (B, 1, keys) x (B, keys, d_v) -> (B, 1, d_v)
    return torch.cat(outputs, dim=1)  # T x (B, 1, d_v) -> (B, T, d_v)
