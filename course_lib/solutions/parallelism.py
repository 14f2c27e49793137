"""Notebook 06: what a recurrence and an attention layer cost, in work and in sequential depth.

Notebook 06 hands out `attention_one_query_at_a_time` (the loop the learner replaces), so its code lives in
`course_lib.handouts.parallelism`.
"""
import math

import torch

from ..handouts.parallelism import attention_one_query_at_a_time

__all__ = ["rnn_flops", "attention_flops", "graph_depth", "attention_one_query_at_a_time",
           "attention_all_positions"]


def rnn_flops(T, d_model):
    """FLOPs of one RNN layer reading T steps of width d_model (2 per multiply-add, matrix products only)."""
    per_step = 2 * d_model * d_model + 2 * d_model * d_model  # x_t @ W_xh and h_prev @ W_hh: (1, D) x (D, D) each
    return T * per_step  # T steps, one after the other


def attention_flops(T, d_model):
    """FLOPs of one self-attention layer over T positions (2 per multiply-add, matrix products only)."""
    projections = 4 * 2 * T * d_model * d_model  # w_q, w_k, w_v, w_o: (T, D) x (D, D) each
    scores = 2 * T * T * d_model  # q @ k^T over all heads: (T, d) x (d, T) per head, h·d = D
    mixing = 2 * T * T * d_model  # weights @ v over all heads: (T, T) x (T, d) per head
    return projections + scores + mixing


def graph_depth(output):
    """The number of operations on the longest chain of the autograd graph that produced `output`."""
    if output.grad_fn is None:
        return 0  # a leaf: no operation produced it
    depth = {}  # backward node -> operations on the longest chain from a leaf up to and including it
    stack = [(output.grad_fn, False)]
    while stack:  # an explicit stack: a recurrence over T steps makes chains far deeper than Python's recursion
        node, inputs_done = stack.pop()
        if node in depth:
            continue
        inputs = [n for n, _ in node.next_functions if n is not None and type(n).__name__ != "AccumulateGrad"]
        if inputs_done:
            depth[node] = 1 + max((depth[n] for n in inputs), default=0)
        else:
            stack.append((node, True))
            stack.extend((n, False) for n in inputs if n not in depth)
    return depth[output.grad_fn]


def attention_all_positions(q, k, v, causal=False):
    """The same attention for every query position at once: one matrix product instead of a loop."""
    T, Tk, d = q.size(-2), k.size(-2), q.size(-1)
    scores = q @ k.transpose(-2, -1) / math.sqrt(d)  # (..., T, d) x (..., d, Tk) -> (..., T, Tk)
    if causal:
        allowed = torch.ones(T, Tk, dtype=torch.bool, device=q.device).tril()  # (T, Tk): key j <= query t
        scores = scores.masked_fill(~allowed, float("-inf"))
    weights = torch.softmax(scores, dim=-1)  # every row a distribution over the keys: (..., T, Tk)
    return weights @ v  # (..., T, Tk) x (..., Tk, d_v) -> (..., T, d_v)
