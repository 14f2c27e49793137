"""Notebook 09: a decoder-only language model (GPT) with a key-value cache, sampling and generation, and the
language-modelling loss and training step that train it."""
import torch
import torch.nn.functional as F
from torch import nn

from .multi_head_attention import merge_heads, split_heads
from .self_attention import scaled_dot_product_attention
from .training_deep_stacks import FeedForward

__all__ = ["CausalSelfAttention", "Block", "GPT", "sample_next_token", "generate", "language_model_loss", "train_step"]


class CausalSelfAttention(nn.Module):
    """Multi-head self-attention in which each position sees itself and the positions before it, cache included."""

    def __init__(self, d_model, num_heads, dropout=0.0):
        """Four nn.Linear(d_model, d_model) as in notebook 04, and dropout on the output."""
        super().__init__()
        self.num_heads = num_heads
        self.w_q = nn.Linear(d_model, d_model)
        self.w_k = nn.Linear(d_model, d_model)
        self.w_v = nn.Linear(d_model, d_model)
        self.w_o = nn.Linear(d_model, d_model)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x, cache=None):
        """Attend from the new positions x to the cached ones and to themselves; return output and (k, v)."""
        T = x.size(1)
        q = split_heads(self.w_q(x), self.num_heads)  # (B, T, D) -> (B, h, T, d)
        k = split_heads(self.w_k(x), self.num_heads)  # (B, T, D) -> (B, h, T, d)
        v = split_heads(self.w_v(x), self.num_heads)  # (B, T, D) -> (B, h, T, d)
        if cache is not None:
            past_k, past_v = cache  # each (B, h, T_past, d)
            k = torch.cat([past_k, k], dim=2)  # (B, h, T_past + T, d): the keys of every position so far
            v = torch.cat([past_v, v], dim=2)  # (B, h, T_past + T, d)
        T_all = k.size(2)
        # new query i sits at position T_all - T + i: it may see keys 0 .. T_all - T + i
        mask = torch.ones(T, T_all, dtype=torch.bool, device=x.device).tril(diagonal=T_all - T)  # (T, T_all)
        out, _ = scaled_dot_product_attention(q, k, v, mask)  # (B, h, T, d)
        return self.dropout(self.w_o(merge_heads(out))), (k, v)  # (B, T, D), each (B, h, T_all, d)


class Block(nn.Module):
    """A pre-LN decoder block: x + attention(norm(x)), then x + feed-forward(norm(x))."""

    def __init__(self, d_model, num_heads, d_ff, dropout=0.0):
        """Two layer norms, causal self-attention and notebook 07's FeedForward."""
        super().__init__()
        self.ln_1 = nn.LayerNorm(d_model)
        self.attn = CausalSelfAttention(d_model, num_heads, dropout)
        self.ln_2 = nn.LayerNorm(d_model)
        self.mlp = FeedForward(d_model, d_ff, dropout)

    def forward(self, x, cache=None):
        """(B, T, D) -> (B, T, D), passing this layer's key-value cache through the attention."""
        attended, cache = self.attn(self.ln_1(x), cache)
        x = x + attended
        x = x + self.mlp(self.ln_2(x))
        return x, cache


class GPT(nn.Module):
    """A decoder-only Transformer: token and position embeddings, pre-LN blocks, a final norm, a linear head."""

    def __init__(self, vocab_size, max_len, d_model, num_heads, num_layers, d_ff, dropout=0.0):
        """Embeddings for max_len positions, num_layers blocks, and a head that scores every token."""
        super().__init__()
        self.max_len = max_len
        self.tok_embed = nn.Embedding(vocab_size, d_model)
        self.pos_embed = nn.Embedding(max_len, d_model)
        self.dropout = nn.Dropout(dropout)
        self.blocks = nn.ModuleList([Block(d_model, num_heads, d_ff, dropout) for _ in range(num_layers)])
        self.ln_f = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab_size)

    def forward(self, idx, cache=None):
        """Logits for the next token at every position of idx (B, T), and every layer's keys and values."""
        T = idx.size(1)
        past = 0 if cache is None else cache[0][0].size(2)  # how many positions the cache already holds
        positions = torch.arange(past, past + T, device=idx.device)  # (T,): counted on from the cache
        x = self.dropout(self.tok_embed(idx) + self.pos_embed(positions))  # (B, T, D) + (T, D) -> (B, T, D)
        new_cache = []
        for i, block in enumerate(self.blocks):
            x, layer_cache = block(x, None if cache is None else cache[i])
            new_cache.append(layer_cache)  # (k, v), each (B, h, past + T, d)
        return self.head(self.ln_f(x)), new_cache  # (B, T, vocab_size), one (k, v) per layer


def sample_next_token(logits, temperature=1.0, top_k=None, generator=None):
    """Pick one token per row of logits (B, vocab): argmax at temperature 0, else sample the top_k."""
    if temperature == 0:
        return logits.argmax(dim=-1)  # (B,)
    logits = logits / temperature  # sharper below 1, flatter above
    if top_k is not None:
        kth = torch.topk(logits, min(top_k, logits.size(-1)), dim=-1).values[:, -1:]  # (B, 1): the k-th largest
        logits = logits.masked_fill(logits < kth, float("-inf"))  # keep the k largest
    probs = torch.softmax(logits, dim=-1)  # (B, vocab)
    return torch.multinomial(probs, 1, generator=generator).squeeze(-1)  # (B, 1) -> (B,)


def generate(model, idx, max_new_tokens, temperature=1.0, top_k=None, use_cache=True, generator=None):
    """Extend idx (B, T) by max_new_tokens tokens, one at a time, feeding each one back in."""
    cache = None
    with torch.no_grad():
        for _ in range(max_new_tokens):
            if use_cache:  # the whole prompt once, then only the newest token with the cache
                logits, cache = model(idx if cache is None else idx[:, -1:], cache)
            else:  # the whole sequence again at every step
                logits, _ = model(idx)
            next_token = sample_next_token(logits[:, -1, :], temperature, top_k, generator)  # (B,)
            idx = torch.cat([idx, next_token[:, None]], dim=1)  # (B, T + 1)
    return idx


def language_model_loss(logits, idx):
    """Mean cross-entropy of the predictions at positions 0..T-2 against the tokens at 1..T-1."""
    V = logits.size(-1)
    predictions = logits[:, :-1, :]  # (B, T-1, V): position t predicts the token at t + 1
    targets = idx[:, 1:]  # (B, T-1): the tokens those positions should predict
    return F.cross_entropy(predictions.reshape(-1, V), targets.reshape(-1))  # mean over all B·(T-1) predictions


def train_step(model, optimizer, idx):
    """One step of training on a batch idx (B, T): forward, loss, zero the gradients, backward, step."""
    model.train()  # dropout on (a caller may have left the model in eval() to sample)
    logits, _ = model(idx)  # (B, T, V); the cache is not needed to train
    loss = language_model_loss(logits, idx)
    optimizer.zero_grad()  # else this step's gradients add to the last step's
    loss.backward()
    optimizer.step()
    return loss.item()  # a Python float: the graph is no longer needed
