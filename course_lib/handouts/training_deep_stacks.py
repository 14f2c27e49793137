"""Built in notebook 07: the position-wise feed-forward block and the encoder layer.

Handed out by notebook 08 (`EncoderLayer`) and notebook 09 (`FeedForward`).
"""
import torch
from torch import nn

from .multi_head_attention import MultiHeadAttention

__all__ = ["FeedForward", "EncoderLayer"]


class FeedForward(nn.Module):
    """The same two-layer network applied to every position on its own: widen, ReLU, narrow."""

    def __init__(self, d_model, d_ff, dropout=0.0):
        """Widen d_model -> d_ff, then narrow back to d_model; dropout after the ReLU."""
        super().__init__()
        self.linear1 = nn.Linear(d_model, d_ff)
        self.linear2 = nn.Linear(d_ff, d_model)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        """(B, T, d_model) -> (B, T, d_ff) -> (B, T, d_model), each position alone."""
        return self.linear2(self.dropout(torch.relu(self.linear1(x))))


class EncoderLayer(nn.Module):
    """Self-attention, then a feed-forward block, each wrapped in a residual connection and a layer norm."""

    def __init__(self, d_model, num_heads, d_ff, dropout=0.0, norm_first=False):
        """The members and dropouts of torch.nn.TransformerEncoderLayer, under the course's names."""
        super().__init__()
        self.self_attn = MultiHeadAttention(d_model, num_heads, dropout)
        self.linear1 = nn.Linear(d_model, d_ff)  # the feed-forward block, widening
        self.linear2 = nn.Linear(d_ff, d_model)  # and narrowing back
        self.norm1 = nn.LayerNorm(d_model)  # around the self-attention
        self.norm2 = nn.LayerNorm(d_model)  # around the feed-forward block
        self.dropout = nn.Dropout(dropout)  # inside the feed-forward block, after the ReLU
        self.dropout1 = nn.Dropout(dropout)  # on the self-attention's output, before the residual sum
        self.dropout2 = nn.Dropout(dropout)  # on the feed-forward block's output, before the residual sum
        self.norm_first = norm_first  # False: post-LN (the 2017 paper); True: pre-LN (GPT-2 and later)

    def _attend(self, x, mask):
        """The self-attention sublayer: (B, T, D) -> (B, T, D)."""
        return self.dropout1(self.self_attn(x, x, x, mask)[0])

    def _feed_forward(self, x):
        """The feed-forward sublayer: (B, T, D) -> (B, T, d_ff) -> (B, T, D)."""
        return self.dropout2(self.linear2(self.dropout(torch.relu(self.linear1(x)))))

    def forward(self, x, mask=None):
        """(B, T, D) -> (B, T, D); mask (True = may attend) broadcasts against the scores (B, h, T, T)."""
        if self.norm_first:  # pre-LN: normalise the sublayer's input, keep the residual path clean
            x = x + self._attend(self.norm1(x), mask)
            x = x + self._feed_forward(self.norm2(x))
        else:  # post-LN: normalise after each residual sum
            x = self.norm1(x + self._attend(x, mask))
            x = self.norm2(x + self._feed_forward(x))
        return x
