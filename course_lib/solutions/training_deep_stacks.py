"""Notebook 07: what makes a deep stack trainable: layer norm, the feed-forward block, residual
connections around both sublayers, learning-rate warm-up, and label smoothing."""
import torch
from torch import nn

from .multi_head_attention import MultiHeadAttention

__all__ = ["layer_norm", "FeedForward", "EncoderLayer", "noam_lr", "label_smoothed_cross_entropy"]


def layer_norm(x, gamma, beta, eps=1e-5):
    """Normalise each position's features to mean 0 and variance 1, then scale by gamma and shift by beta."""
    mean = x.mean(dim=-1, keepdim=True)  # (..., D) -> (..., 1)
    var = x.var(dim=-1, keepdim=True, unbiased=False)  # (..., 1): the biased variance, as nn.LayerNorm
    return (x - mean) / torch.sqrt(var + eps) * gamma + beta  # (..., D)


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


def noam_lr(step, d_model, warmup):
    """The learning rate of "Attention is all you need": linear warm-up, then decay as 1/sqrt(step)."""
    return d_model ** -0.5 * min(step ** -0.5, step * warmup ** -1.5)


def label_smoothed_cross_entropy(logits, target, smoothing, ignore_index=None):
    """Cross-entropy against a target that keeps 1 - smoothing on the true class and spreads smoothing
    evenly over all K classes; positions whose target is ignore_index count for nothing."""
    logp = torch.log_softmax(logits, dim=-1)  # (N, K)
    keep = torch.ones_like(target, dtype=torch.bool) if ignore_index is None else target != ignore_index  # (N,)
    true_class = target.masked_fill(~keep, 0)  # any valid index where ignored; those rows are dropped below
    nll = -logp.gather(-1, true_class[:, None]).squeeze(-1)  # (N,): -log p of the true class
    spread = -logp.mean(dim=-1)  # (N,): -log p averaged over all K classes
    loss = (1 - smoothing) * nll + smoothing * spread  # (N,)
    return loss[keep].sum() / keep.sum()  # the mean over the positions that count
