"""Notebook 04: multi-head attention, several scaled dot-product attentions side by side.

Later notebooks hand all three pieces out, so their code lives in `course_lib.handouts.multi_head_attention`.
"""
from ..handouts.multi_head_attention import MultiHeadAttention, merge_heads, split_heads

__all__ = ["split_heads", "merge_heads", "MultiHeadAttention"]
