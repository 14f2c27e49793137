"""Notebook 04: from text to token ids (`CharTokenizer`), then multi-head attention, several scaled dot-product
attentions side by side.

Later notebooks hand the attention pieces out, so their code lives in `course_lib.handouts.multi_head_attention`.
"""
from ..handouts.multi_head_attention import MultiHeadAttention, merge_heads, split_heads

__all__ = ["CharTokenizer", "split_heads", "merge_heads", "MultiHeadAttention"]


class CharTokenizer:
    """Characters to integer ids and back; the vocabulary is the sorted set of the text's characters."""

    def __init__(self, text):
        self.chars = sorted(set(text))  # the vocabulary: id i stands for the character chars[i]
        self.vocab_size = len(self.chars)
        self.ids = {ch: i for i, ch in enumerate(self.chars)}  # character -> id

    def encode(self, s):
        """The ids of the characters of `s`, a list of ints; a character outside the vocabulary is a ValueError."""
        for ch in s:
            if ch not in self.ids:
                raise ValueError(f"character {ch!r} is not in the vocabulary")
        return [self.ids[ch] for ch in s]

    def decode(self, ids):
        """The string whose characters have the ids `ids`."""
        return "".join(self.chars[i] for i in ids)
