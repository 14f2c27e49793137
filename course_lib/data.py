"""The course's synthetic tasks, generated on the fly from a seed: no downloads, any size.

Sequence-to-sequence tasks share one vocabulary: PAD = 0, BOS = 1, EOS = 2, and the digits 0..9 as the
tokens 3..12 (`DIGIT0 + d`). A target is `BOS, answer..., EOS`; the decoder reads `tgt[:, :-1]` and learns
to predict `tgt[:, 1:]` (the shift by one is the off-by-one every seq2seq model must get right).
"""
import torch

PAD, BOS, EOS, DIGIT0 = 0, 1, 2, 3
VOCAB = DIGIT0 + 10  # 13 tokens


def digits(n, length, gen, low=0, high=10):
    """n random digit sequences (n, length), as tokens DIGIT0 + d."""
    return DIGIT0 + torch.randint(low, high, (n, length), generator=gen)


def seq2seq_batch(task, n, length, gen):
    """A batch of a sequence task: src (n, length) and tgt (n, length + 2) = BOS, answer, EOS.

    `task` is "copy", "reverse" or "sort" (the digits in increasing order).
    """
    src = digits(n, length, gen)
    answer = {"copy": lambda s: s, "reverse": lambda s: s.flip(1), "sort": lambda s: s.sort(dim=1).values}[task](src)
    bos = torch.full((n, 1), BOS, dtype=torch.long)
    eos = torch.full((n, 1), EOS, dtype=torch.long)
    return src, torch.cat([bos, answer, eos], dim=1)


def to_text(tokens):
    """A token sequence as a readable string: digits as digits, specials by name."""
    names = {PAD: "_", BOS: "<s>", EOS: "</s>"}
    return " ".join(names.get(int(t), str(int(t) - DIGIT0)) for t in tokens)
