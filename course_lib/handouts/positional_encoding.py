"""Built in notebook 05: the sinusoidal positional encoding.

Handed out by notebook 08 (`sinusoidal_positional_encoding`).
"""
import torch

__all__ = ["sinusoidal_positional_encoding"]


def sinusoidal_positional_encoding(max_len, d_model):
    """Give each position a vector of sines and cosines whose frequencies fall geometrically, pair by pair."""
    position = torch.arange(max_len, dtype=torch.float32)[:, None]  # (max_len, 1): 0, 1, ..., max_len - 1
    two_i = torch.arange(0, d_model, 2, dtype=torch.float32)  # (d_model/2,): 0, 2, 4, ..., one per pair
    angle = position / 10000 ** (two_i / d_model)  # (max_len, 1) / (d_model/2,) -> (max_len, d_model/2)
    pe = torch.zeros(max_len, d_model)  # (max_len, d_model)
    pe[:, 0::2] = torch.sin(angle)  # even dimensions 2i
    pe[:, 1::2] = torch.cos(angle)  # odd dimensions 2i + 1: the same frequency as their even neighbour
    return pe
