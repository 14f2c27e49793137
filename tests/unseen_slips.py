"""Two slips the outputs of a check's cases do not show (issue 29), written once: tests/test_diagnosis.py checks
that the full package names them, and tests/test_student_env.py runs this file's source in the student
environment, which must name them word for word the same.

- a greedy_decode whose tgt_mask hides tokens it decoded (a window of 5: the tokens are right on every case);
- a MultiHeadAttention that drops its output after w_o (right in eval()).
The checks see what reaches decode, and solve for the weights the output was made of."""
import math

import torch
from torch import nn


def greedy_decode_sliding_window(model, src, max_len, bos_id, eos_id=None, src_mask=None):
    """Each position reads only the last 5 tokens: a window passed as tgt_mask. Right tokens on every case."""
    with torch.no_grad():
        memory = model.encode(src, src_mask)
        ys = torch.full((src.size(0), 1), bos_id, dtype=torch.long)
        done = torch.zeros(src.size(0), dtype=torch.bool)
        while ys.size(1) < max_len:
            T = ys.size(1)
            window = torch.ones(T, T, dtype=torch.bool).tril().triu(-4)
            nxt = model.out(model.decode(ys, memory, window, src_mask))[:, -1].argmax(-1)
            if eos_id is not None:
                nxt = nxt.masked_fill(done, eos_id)
                done = done | (nxt == eos_id)
            ys = torch.cat([ys, nxt[:, None]], 1)
            if eos_id is not None and bool(done.all()):
                break
        return ys


class MultiHeadAttentionDroppingItsOutput(nn.Module):
    def __init__(self, d_model, num_heads, dropout=0.0):
        super().__init__()
        self.num_heads = num_heads
        self.w_q, self.w_k, self.w_v, self.w_o = (nn.Linear(d_model, d_model) for _ in range(4))
        self.drop = nn.Dropout(dropout)

    def forward(self, query, key, value, mask=None):
        B, Tq, D = query.shape
        q, k, v = (w(x).view(B, x.size(1), self.num_heads, -1).transpose(1, 2)
                   for w, x in ((self.w_q, query), (self.w_k, key), (self.w_v, value)))
        scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
        if mask is not None:
            scores = scores.masked_fill(~mask, float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        return self.drop(self.w_o((weights @ v).transpose(1, 2).reshape(B, Tq, D))), weights
