"""Built in notebook 04: splitting features into heads, merging them back, and multi-head attention.

Handed out by notebooks 05, 07 and 08 (`MultiHeadAttention`) and notebook 09 (`split_heads`, `merge_heads`).
"""
from torch import nn

from .self_attention import scaled_dot_product_attention

__all__ = ["split_heads", "merge_heads", "MultiHeadAttention"]


def split_heads(x, num_heads):
    """Cut each position's features into num_heads consecutive slices and give every head its own axis."""
    B, T, D = x.shape
    x = x.view(B, T, num_heads, D // num_heads)  # (B, T, h·d) -> (B, T, h, d): head i gets i·d..(i+1)·d-1
    return x.transpose(1, 2)  # (B, T, h, d) -> (B, h, T, d)


def merge_heads(x):
    """Put the heads' slices side by side again, undoing split_heads."""
    B, h, T, d = x.shape
    x = x.transpose(1, 2)  # (B, h, T, d) -> (B, T, h, d)
    return x.reshape(B, T, h * d)  # (B, T, h, d) -> (B, T, h·d); reshape, as x is no longer contiguous


class MultiHeadAttention(nn.Module):
    """Run num_heads scaled dot-product attentions side by side, each on its own slice of the features."""

    def __init__(self, d_model, num_heads, dropout=0.0):
        """Project queries, keys and values for all heads at once, and mix the heads' outputs with w_o."""
        super().__init__()
        assert d_model % num_heads == 0, "d_model must split evenly into num_heads heads"
        self.num_heads = num_heads
        self.w_q = nn.Linear(d_model, d_model)  # every head's query projection, side by side
        self.w_k = nn.Linear(d_model, d_model)  # every head's key projection
        self.w_v = nn.Linear(d_model, d_model)  # every head's value projection
        self.w_o = nn.Linear(d_model, d_model)  # reads all heads' outputs together
        self.dropout = nn.Dropout(dropout)

    def forward(self, query, key, value, mask=None):
        """Let every query position attend to the key positions, once per head; return output and weights."""
        q = split_heads(self.w_q(query), self.num_heads)  # (B, Tq, D) -> (B, h, Tq, d)
        k = split_heads(self.w_k(key), self.num_heads)  # (B, Tk, D) -> (B, h, Tk, d)
        v = split_heads(self.w_v(value), self.num_heads)  # (B, Tk, D) -> (B, h, Tk, d)
        out, weights = scaled_dot_product_attention(q, k, v, mask)  # (B, h, Tq, d), (B, h, Tq, Tk)
        if self.training and self.dropout.p > 0:  # drop attention links, as nn.MultiheadAttention does
            weights = self.dropout(weights)
            out = weights @ v  # (B, h, Tq, Tk) x (B, h, Tk, d) -> (B, h, Tq, d)
        out = merge_heads(out)  # (B, h, Tq, d) -> (B, Tq, D)
        return self.w_o(out), weights  # (B, Tq, D), (B, h, Tq, Tk)
