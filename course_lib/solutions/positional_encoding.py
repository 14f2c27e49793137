"""Notebook 05: positions for attention, which alone is blind to order: sinusoidal, learned and rotary.

Notebook 08 hands out `sinusoidal_positional_encoding`, so its code lives in
`course_lib.handouts.positional_encoding`.
"""
import torch
from torch import nn

from ..handouts.positional_encoding import sinusoidal_positional_encoding

__all__ = ["sinusoidal_positional_encoding", "LearnedPositionalEmbedding", "apply_rope"]


class LearnedPositionalEmbedding(nn.Module):
    """Learn one vector per position and add it to the token vectors."""

    def __init__(self, max_len, d_model):
        super().__init__()
        self.embedding = nn.Embedding(max_len, d_model)  # row p is the vector of position p

    def forward(self, x):
        """Add the vectors of positions 0..T-1 to x of shape (B, T, d_model)."""
        B, T, D = x.shape
        positions = torch.arange(T, device=x.device)  # (T,)
        return x + self.embedding(positions)  # (B, T, D) + (T, D) -> (B, T, D)


def apply_rope(x, positions=None):
    """Rotate each feature pair (2i, 2i+1) of every row of x by its position times the pair's frequency."""
    T, D = x.shape[-2:]
    if positions is None:
        positions = torch.arange(T, device=x.device)  # (T,)
    two_i = torch.arange(0, D, 2, dtype=x.dtype, device=x.device)  # (D/2,)
    angle = positions.to(x.dtype)[:, None] / 10000 ** (two_i / D)  # (T, 1) / (D/2,) -> (T, D/2)
    cos, sin = torch.cos(angle), torch.sin(angle)  # (T, D/2) each
    x1, x2 = x[..., 0::2], x[..., 1::2]  # (..., T, D/2): the first and the second feature of each pair
    rotated = torch.stack([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1)  # (..., T, D/2, 2)
    return rotated.flatten(-2)  # (..., T, D): each rotated pair back in its place
