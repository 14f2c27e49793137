"""Notebook 03: scaled dot-product self-attention and its masks.

Later notebooks hand all four pieces out, so their code lives in `course_lib.handouts.self_attention`.
"""
from ..handouts.self_attention import causal_mask, padding_mask, scaled_dot_product_attention, softmax

__all__ = ["softmax", "scaled_dot_product_attention", "causal_mask", "padding_mask"]
