"""Notebook 08: the whole encoder-decoder Transformer: the decoder layer, the model, its training loss and
greedy decoding."""
import math

import torch
import torch.nn.functional as F
from torch import nn

from .multi_head_attention import MultiHeadAttention
from .positional_encoding import sinusoidal_positional_encoding
from .self_attention import causal_mask
from .training_deep_stacks import EncoderLayer

__all__ = ["DecoderLayer", "Transformer", "seq2seq_loss", "greedy_decode"]


class DecoderLayer(nn.Module):
    """Masked self-attention, cross-attention to the encoder's memory, then a feed-forward block; each wrapped
    in a residual connection and a layer norm."""

    def __init__(self, d_model, num_heads, d_ff, dropout=0.0, norm_first=False):
        """The members and dropouts of torch.nn.TransformerDecoderLayer, under the course's names."""
        super().__init__()
        self.self_attn = MultiHeadAttention(d_model, num_heads, dropout)  # the target reads its own past
        self.cross_attn = MultiHeadAttention(d_model, num_heads, dropout)  # the target reads the source
        self.linear1 = nn.Linear(d_model, d_ff)  # the feed-forward block, widening
        self.linear2 = nn.Linear(d_ff, d_model)  # and narrowing back
        self.norm1 = nn.LayerNorm(d_model)  # around the self-attention
        self.norm2 = nn.LayerNorm(d_model)  # around the cross-attention
        self.norm3 = nn.LayerNorm(d_model)  # around the feed-forward block
        self.dropout = nn.Dropout(dropout)  # inside the feed-forward block, after the ReLU
        self.dropout1 = nn.Dropout(dropout)  # on each sublayer's output, before its residual sum
        self.dropout2 = nn.Dropout(dropout)
        self.dropout3 = nn.Dropout(dropout)
        self.norm_first = norm_first  # False: post-LN (the 2017 paper); True: pre-LN

    def forward(self, x, memory, tgt_mask=None, memory_mask=None):
        """x (B, T, D), memory (B, S, D) -> (B, T, D); tgt_mask broadcasts against (B, h, T, T), memory_mask
        against (B, h, T, S)."""
        if self.norm_first:  # pre-LN: normalise each sublayer's input, keep the residual path clean
            h = self.norm1(x)
            x = x + self.dropout1(self.self_attn(h, h, h, tgt_mask)[0])  # queries, keys, values: the target
            h = self.norm2(x)
            x = x + self.dropout2(self.cross_attn(h, memory, memory, memory_mask)[0])  # keys, values: memory
            h = self.norm3(x)
            x = x + self.dropout3(self.linear2(self.dropout(torch.relu(self.linear1(h)))))
        else:  # post-LN: normalise after each residual sum
            x = self.norm1(x + self.dropout1(self.self_attn(x, x, x, tgt_mask)[0]))
            x = self.norm2(x + self.dropout2(self.cross_attn(x, memory, memory, memory_mask)[0]))
            x = self.norm3(x + self.dropout3(self.linear2(self.dropout(torch.relu(self.linear1(x))))))
        return x


class Transformer(nn.Module):
    """The encoder-decoder Transformer: embeddings scaled by sqrt(d_model) plus sinusoidal positions, a stack of
    encoder layers, a stack of decoder layers reading the encoder's output, a final layer norm on each stack
    (as torch.nn.Transformer), and a linear read-out to the target vocabulary."""

    def __init__(self, src_vocab, tgt_vocab, d_model, num_heads, num_layers, d_ff, max_len, dropout=0.0,
                 norm_first=False):
        """Embeddings, num_layers encoder and decoder layers, the final norms and the read-out."""
        super().__init__()
        self.d_model = d_model
        self.src_embed = nn.Embedding(src_vocab, d_model)
        self.tgt_embed = nn.Embedding(tgt_vocab, d_model)
        pe = sinusoidal_positional_encoding(max_len, d_model)  # (max_len, D): fixed, so a buffer
        self.register_buffer("pe", pe, persistent=False)
        self.dropout = nn.Dropout(dropout)  # on embeddings plus positions, as in the 2017 paper
        self.encoder_layers = nn.ModuleList(
            [EncoderLayer(d_model, num_heads, d_ff, dropout, norm_first) for _ in range(num_layers)])
        self.decoder_layers = nn.ModuleList(
            [DecoderLayer(d_model, num_heads, d_ff, dropout, norm_first) for _ in range(num_layers)])
        self.enc_norm = nn.LayerNorm(d_model)  # after the last encoder layer
        self.dec_norm = nn.LayerNorm(d_model)  # after the last decoder layer
        self.out = nn.Linear(d_model, tgt_vocab)  # (B, T, D) -> (B, T, tgt_vocab) logits

    def encode(self, src, src_mask=None):
        """src (B, S) tokens -> memory (B, S, D); src_mask (e.g. (B, 1, 1, S), True at real tokens)."""
        S = src.size(1)
        x = self.dropout(self.src_embed(src) * math.sqrt(self.d_model) + self.pe[:S])  # (B, S, D)
        for layer in self.encoder_layers:
            x = layer(x, src_mask)
        return self.enc_norm(x)

    def decode(self, tgt, memory, tgt_mask=None, memory_mask=None):
        """tgt (B, T) tokens, memory (B, S, D) -> (B, T, D). Always causal: tgt_mask, if given, is combined with
        the causal mask; memory_mask (e.g. the source's padding, (B, 1, 1, S)) limits the cross-attention."""
        T = tgt.size(1)
        mask = causal_mask(T).to(tgt.device)  # (T, T): position t reads positions 0..t
        if tgt_mask is not None:
            mask = mask & tgt_mask  # broadcasts to (T, T) or (B, 1, T, T)
        x = self.dropout(self.tgt_embed(tgt) * math.sqrt(self.d_model) + self.pe[:T])  # (B, T, D)
        for layer in self.decoder_layers:
            x = layer(x, memory, mask, memory_mask)
        return self.dec_norm(x)

    def forward(self, src, tgt, src_mask=None, tgt_mask=None):
        """Logits (B, T, tgt_vocab) for the next token at every target position; src_mask also masks the
        cross-attention's keys (it is the memory mask)."""
        memory = self.encode(src, src_mask)  # (B, S, D)
        return self.out(self.decode(tgt, memory, tgt_mask, src_mask))  # (B, T, tgt_vocab)


def seq2seq_loss(model, src, tgt, src_mask=None, pad_id=None):
    """Teacher forcing: the decoder reads tgt[:, :-1] and is scored on predicting tgt[:, 1:], each position's
    next token; positions whose target is pad_id count for nothing."""
    decoder_input, target = tgt[:, :-1], tgt[:, 1:]  # (B, T-1) each: input t, answer t+1
    logits = model(src, decoder_input, src_mask)  # (B, T-1, V)
    ignore = -100 if pad_id is None else pad_id  # -100: F.cross_entropy's "ignore nothing real"
    return F.cross_entropy(logits.flatten(0, 1), target.flatten(), ignore_index=ignore)  # (B·(T-1), V)


@torch.no_grad()
def greedy_decode(model, src, max_len, bos_id, eos_id=None, src_mask=None):
    """Encode once, then grow the output one token at a time, each the argmax of the last position's logits;
    a sequence that produced eos_id repeats it, and decoding stops when all have (or at max_len tokens)."""
    memory = model.encode(src, src_mask)  # (B, S, D): the source is read once
    ys = torch.full((src.size(0), 1), bos_id, dtype=torch.long, device=src.device)  # (B, 1)
    done = torch.zeros(src.size(0), dtype=torch.bool, device=src.device)  # (B,)
    while ys.size(1) < max_len:
        logits = model.out(model.decode(ys, memory, memory_mask=src_mask))  # (B, L, V)
        next_token = logits[:, -1].argmax(dim=-1)  # (B,): the prediction after the last token
        if eos_id is not None:
            next_token = next_token.masked_fill(done, eos_id)  # finished sequences stay finished
            done = done | (next_token == eos_id)
        ys = torch.cat([ys, next_token[:, None]], dim=1)  # (B, L + 1)
        if eos_id is not None and bool(done.all()):
            break
    return ys
