"""Notebook 07: what makes a deep stack trainable: layer norm, the feed-forward block, residual
connections around both sublayers, learning-rate warm-up, and label smoothing.

Later notebooks hand out `FeedForward` and `EncoderLayer`, so their code lives in
`course_lib.handouts.training_deep_stacks`.
"""
import torch

from ..handouts.training_deep_stacks import EncoderLayer, FeedForward

__all__ = ["layer_norm", "FeedForward", "EncoderLayer", "noam_lr", "label_smoothed_cross_entropy"]


def layer_norm(x, gamma, beta, eps=1e-5):
    """Normalise each position's features to mean 0 and variance 1, then scale by gamma and shift by beta."""
    mean = x.mean(dim=-1, keepdim=True)  # (..., D) -> (..., 1)
    var = x.var(dim=-1, keepdim=True, unbiased=False)  # (..., 1): the biased variance, as nn.LayerNorm
    return (x - mean) / torch.sqrt(var + eps) * gamma + beta  # (..., D)


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
