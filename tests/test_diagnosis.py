"""A failing check says where to look even when the mistake is in no catalog (issue 18, part 2).

Each implementation below is a natural mistake of notebooks 06-09 that no `Mistake` of the checks names. The
check must still lead with a diagnosis: the earlier exercise of the learner's to fix first, the raw error as
a sentence about the learner's line, the shape of the difference (a factor, swapped axes, a shift, only some
positions, an argument off by one), or the first submodule whose input or output departs from the
reference's. A message that only reports "`x` differs from the reference at index ..." is a bare mismatch.
"""
import inspect
import math
import re

import pytest
import torch
import torch.nn.functional as F
import unseen_slips
from torch import nn

from course_lib import solutions as S
from course_lib.checks import EXERCISES
from course_lib.checks._difference import difference_shape
from course_lib.checks._localise import localise

# -- the learner's code: natural mistakes -------------------------------------------------------------------------


# notebook 06 ------------------------------------------------------------------------------------------------------
def rnn_flops_one_step_short(T, d_model):
    return (T - 1) * 4 * d_model * d_model  # the loop "for t in range(1, T)" counted


def attention_flops_projections_once(T, d_model):
    return 2 * T * d_model * d_model + 4 * T * T * d_model  # the four projections counted as one


def attention_scaling_the_weights(q, k, v, causal=False):
    T, Tk, d = q.size(-2), k.size(-2), q.size(-1)
    scores = q @ k.transpose(-2, -1)
    if causal:
        scores = scores.masked_fill(~torch.ones(T, Tk, dtype=torch.bool).tril(), float("-inf"))
    return torch.softmax(scores, dim=-1) / math.sqrt(d) @ v  # the weights scaled instead of the scores


def attention_keys_not_transposed_back(q, k, v, causal=False):
    scores = q @ k.mT / math.sqrt(q.size(-1))
    if causal:
        scores = scores.masked_fill(~torch.ones(q.size(-2), k.size(-2), dtype=torch.bool).tril(), float("-inf"))
    out = torch.softmax(scores, dim=-1) @ v
    return out.transpose(-2, -1).reshape(out.shape)  # a transpose "to be safe", reshaped back


# notebook 07 ------------------------------------------------------------------------------------------------------
def layer_norm_std_without_keepdim(x, gamma, beta, eps=1e-5):
    mean = x.mean(-1, keepdim=True)
    var = x.var(-1, unbiased=False)  # keepdim forgotten
    return (x - mean) / torch.sqrt(var + eps) * gamma + beta


def layer_norm_reciprocal_in_place(x, gamma, beta, eps=1e-5):
    mean = x.mean(-1, keepdim=True)
    std = torch.sqrt(x.var(-1, keepdim=True, unbiased=False) + eps)
    return (x - mean) * std.reciprocal_() * gamma + beta


def noam_lr_off_by_one(step, d_model, warmup):
    step = step + 1  # steps counted from 0 in the training loop, "fixed" here
    return d_model ** -0.5 * min(step ** -0.5, step * warmup ** -1.5)


def noam_lr_one_over_d_model(step, d_model, warmup):
    return d_model ** -1 * min(step ** -0.5, step * warmup ** -1.5)


def smoothing_neg_in_place(logits, target, smoothing, ignore_index=None):
    logp = torch.log_softmax(logits, dim=-1)
    logp.neg_()
    keep = torch.ones_like(target, dtype=torch.bool) if ignore_index is None else target != ignore_index
    nll = logp.gather(-1, target.masked_fill(~keep, 0)[:, None]).squeeze(-1)
    loss = (1 - smoothing) * nll + smoothing * logp.mean(-1)
    return loss[keep].sum() / keep.sum()


class FeedForwardReluAfterSecond(S.FeedForward):
    def forward(self, x):
        return torch.relu(self.linear2(self.dropout(self.linear1(x))))


class FeedForwardWrongWiring(S.FeedForward):
    def forward(self, x):
        return self.linear2(self.dropout(torch.relu(self.linear1(x)))) + self.linear1.bias.sum() * 0 + 0.1


class EncoderLayerForgotIndex(S.EncoderLayer):
    def forward(self, x, mask=None):
        if self.norm_first:
            h = self.norm1(x)
            x = x + self.dropout1(self.self_attn(h, h, h, mask))  # [0] forgotten
            return x + self.dropout2(self.linear2(self.dropout(torch.relu(self.linear1(self.norm2(x))))))
        x = self.norm1(x + self.dropout1(self.self_attn(x, x, x, mask)))
        return self.norm2(x + self.dropout2(self.linear2(self.dropout(torch.relu(self.linear1(x))))))


class EncoderLayerKeysUnnormalised(S.EncoderLayer):
    def forward(self, x, mask=None):
        if self.norm_first:
            h = self.norm1(x)
            x = x + self.dropout1(self.self_attn(h, x, x, mask)[0])  # keys and values from x, not norm1(x)
            return x + self.dropout2(self.linear2(self.dropout(torch.relu(self.linear1(self.norm2(x))))))
        return super().forward(x, mask)


class EncoderLayerOneNorm(S.EncoderLayer):
    def forward(self, x, mask=None):
        if self.norm_first:
            return super().forward(x, mask)
        x = self.norm1(x + self.dropout1(self.self_attn(x, x, x, mask)[0]))
        return self.norm1(x + self.dropout2(self.linear2(self.dropout(torch.relu(self.linear1(x))))))  # norm1 again


# notebook 08 ------------------------------------------------------------------------------------------------------
class DecoderLayerBase(S.DecoderLayer):
    """The reference layer, its three sublayers written out so that each mistake changes one line."""

    def sublayers(self, x, memory, tgt_mask, memory_mask):
        raise NotImplementedError

    def forward(self, x, memory, tgt_mask=None, memory_mask=None):
        return self.sublayers(x, memory, tgt_mask, memory_mask)

    def ff(self, h):
        return self.dropout3(self.linear2(self.dropout(torch.relu(self.linear1(h)))))


class DecoderLayerQueriesFromMemory(DecoderLayerBase):
    def sublayers(self, x, memory, tgt_mask, memory_mask):
        if self.norm_first:
            return S.DecoderLayer.forward(self, x, memory, tgt_mask, memory_mask)
        x = self.norm1(x + self.dropout1(self.self_attn(x, x, x, tgt_mask)[0]))
        x = self.norm2(x + self.dropout2(self.cross_attn(memory, x, x, memory_mask)[0]))  # queries from the memory
        return self.norm3(x + self.ff(x))


class DecoderLayerNoCrossResidual(DecoderLayerBase):
    def sublayers(self, x, memory, tgt_mask, memory_mask):
        if self.norm_first:
            h = self.norm1(x)
            x = x + self.dropout1(self.self_attn(h, h, h, tgt_mask)[0])
            h = self.norm2(x)
            x = self.dropout2(self.cross_attn(h, memory, memory, memory_mask)[0])  # the residual skipped
            return x + self.ff(self.norm3(x))
        x = self.norm1(x + self.dropout1(self.self_attn(x, x, x, tgt_mask)[0]))
        x = self.norm2(self.dropout2(self.cross_attn(x, memory, memory, memory_mask)[0]))
        return self.norm3(x + self.ff(x))


class DecoderLayerValuesFromTarget(DecoderLayerBase):
    def sublayers(self, x, memory, tgt_mask, memory_mask):
        if self.norm_first:
            return S.DecoderLayer.forward(self, x, memory, tgt_mask, memory_mask)
        x = self.norm1(x + self.dropout1(self.self_attn(x, x, x, tgt_mask)[0]))
        x = self.norm2(x + self.dropout2(self.cross_attn(x, memory, x, memory_mask)[0]))  # values from x
        return self.norm3(x + self.ff(x))


class DecoderLayerNorm2ForFeedForward(DecoderLayerBase):
    def sublayers(self, x, memory, tgt_mask, memory_mask):
        if self.norm_first:
            return S.DecoderLayer.forward(self, x, memory, tgt_mask, memory_mask)
        x = self.norm1(x + self.dropout1(self.self_attn(x, x, x, tgt_mask)[0]))
        x = self.norm2(x + self.dropout2(self.cross_attn(x, memory, memory, memory_mask)[0]))
        return self.norm2(x + self.ff(x))  # norm2 copied down


class DecoderLayerSelfAttentionOnMemoryMask(DecoderLayerBase):
    def sublayers(self, x, memory, tgt_mask, memory_mask):
        h = self.norm1(x) if self.norm_first else x
        a = self.self_attn(h, h, h, memory_mask)[0]  # the memory's mask on the target's self-attention
        x = x + a if self.norm_first else self.norm1(x + a)
        return self._rest(x, memory, memory_mask)

    def _rest(self, x, memory, memory_mask):
        if self.norm_first:
            h = self.norm2(x)
            x = x + self.cross_attn(h, memory, memory, memory_mask)[0]
            return x + self.ff(self.norm3(x))
        x = self.norm2(x + self.cross_attn(x, memory, memory, memory_mask)[0])
        return self.norm3(x + self.ff(x))


class TransformerDecoderFedSource(S.Transformer):
    def forward(self, src, tgt, src_mask=None, tgt_mask=None):
        memory = self.encode(src, src_mask)
        return self.out(self.decode(src, memory, tgt_mask, src_mask))  # src where tgt belongs


class TransformerPositionsScaled(S.Transformer):
    def _embed(self, embed, tokens):
        return self.dropout((embed(tokens) + self.pe[:tokens.size(1)]) * math.sqrt(self.d_model))

    def encode(self, src, src_mask=None):
        x = self._embed(self.src_embed, src)
        for layer in self.encoder_layers:
            x = layer(x, src_mask)
        return self.enc_norm(x)

    def decode(self, tgt, memory, tgt_mask=None, memory_mask=None):
        T = tgt.size(1)
        mask = S.causal_mask(T) if tgt_mask is None else S.causal_mask(T) & tgt_mask
        x = self._embed(self.tgt_embed, tgt)
        for layer in self.decoder_layers:
            x = layer(x, memory, mask, memory_mask)
        return self.dec_norm(x)


class TransformerNormInsideLoop(S.Transformer):
    def encode(self, src, src_mask=None):
        x = self.dropout(self.src_embed(src) * math.sqrt(self.d_model) + self.pe[:src.size(1)])
        for layer in self.encoder_layers:
            x = self.enc_norm(layer(x, src_mask))  # the final norm after every layer
        return x


# notebook 09 ------------------------------------------------------------------------------------------------------
class AttentionBase(nn.Module):
    def __init__(self, d_model, num_heads, dropout=0.0):
        super().__init__()
        self.num_heads = num_heads
        self.w_q, self.w_k, self.w_v, self.w_o = (nn.Linear(d_model, d_model) for _ in range(4))
        self.dropout = nn.Dropout(dropout)

    def heads(self, x):
        B, T, D = x.shape
        return (w(x).view(B, T, self.num_heads, D // self.num_heads).transpose(1, 2)
                for w in (self.w_q, self.w_k, self.w_v))

    def attend(self, q, k, v, scale=None):
        T, T_all = q.size(2), k.size(2)
        mask = torch.ones(T, T_all, dtype=torch.bool).tril(diagonal=T_all - T)
        scores = (q @ k.transpose(-2, -1) / (scale or math.sqrt(q.size(-1)))).masked_fill(~mask, float("-inf"))
        return torch.softmax(scores, dim=-1) @ v

    def merge(self, out):
        B, h, T, d = out.shape
        return self.dropout(self.w_o(out.transpose(1, 2).reshape(B, T, h * d)))


class AttentionOnlyKeysCached(AttentionBase):
    def forward(self, x, cache=None):
        q, k, v = self.heads(x)
        if cache is not None:
            k = torch.cat([cache, k], dim=2)  # the values are not cached
        return self.merge(self.attend(q, k, v)), k


class AttentionMergeWithoutTranspose(AttentionBase):
    def forward(self, x, cache=None):
        q, k, v = self.heads(x)
        if cache is not None:
            k, v = torch.cat([cache[0], k], 2), torch.cat([cache[1], v], 2)
        out = self.attend(q, k, v)
        B, h, T, d = out.shape
        return self.dropout(self.w_o(out.reshape(B, T, h * d))), (k, v)  # no transpose before the reshape


class AttentionScaledByModelWidth(AttentionBase):
    def forward(self, x, cache=None):
        q, k, v = self.heads(x)
        if cache is not None:
            k, v = torch.cat([cache[0], k], 2), torch.cat([cache[1], v], 2)
        return self.merge(self.attend(q, k, v, scale=math.sqrt(x.size(-1)))), (k, v)  # sqrt(D), not sqrt(d)


class CausalSelfAttention(AttentionBase):
    """The learner's attention with the mask aligned to the top left: wrong once there is a cache."""

    def forward(self, x, cache=None):
        q, k, v = self.heads(x)
        if cache is not None:
            k, v = torch.cat([cache[0], k], 2), torch.cat([cache[1], v], 2)
        T, T_all = q.size(2), k.size(2)
        scores = (q @ k.transpose(-2, -1) / math.sqrt(q.size(-1)))
        scores = scores.masked_fill(~torch.ones(T, T_all, dtype=torch.bool).tril(), float("-inf"))
        return self.merge(torch.softmax(scores, dim=-1) @ v), (k, v)


class GPTBase(S.GPT):
    def blocks_on(self, x, cache):
        new = []
        for i, block in enumerate(self.blocks):
            x, c = block(x, None if cache is None else cache[i])
            new.append(c)
        return x, new

    def embed(self, idx, past):
        return self.tok_embed(idx) + self.pos_embed(torch.arange(past, past + idx.size(1)))

    def forward(self, idx, cache=None):
        past = 0 if cache is None else cache[0][0].size(2)
        x, new = self.blocks_on(self.dropout(self.embed(idx, past)), cache)
        return self.head(self.ln_f(x)), new


class GPTCacheNeverPassed(GPTBase):
    def blocks_on(self, x, cache):
        new = []
        for block in self.blocks:
            x, c = block(x)  # the layer's cache never passed
            new.append(c)
        return x, new

    def forward(self, idx, cache=None):
        past = 0 if cache is None else cache[0][0].size(2)
        x, new = self.blocks_on(self.dropout(self.embed(idx, past)), cache)
        if cache is not None:  # keep the cache growing, as the learner does
            new = [(torch.cat([c[0], n[0]], 2), torch.cat([c[1], n[1]], 2)) for c, n in zip(cache, new)]
        return self.head(self.ln_f(x)), new


class GPTEmbeddingScaled(GPTBase):
    def embed(self, idx, past):
        return self.tok_embed(idx) * math.sqrt(self.tok_embed.embedding_dim) + \
            self.pos_embed(torch.arange(past, past + idx.size(1)))


class GPTPastFromHeads(GPTBase):
    def forward(self, idx, cache=None):
        past = 0 if cache is None else cache[0][0].size(1)  # axis 1 is the heads
        x, new = self.blocks_on(self.dropout(self.embed(idx, past)), cache)
        return self.head(self.ln_f(x)), new


class Block(nn.Module):
    """The learner's block, around the learner's CausalSelfAttention."""

    def __init__(self, d_model, num_heads, d_ff, dropout=0.0, attention=None, mlp_reads_stream=False):
        super().__init__()
        self.ln_1 = nn.LayerNorm(d_model)
        self.attn = (attention or CausalSelfAttention)(d_model, num_heads, dropout)
        self.ln_2 = nn.LayerNorm(d_model)
        self.mlp = S.FeedForward(d_model, d_ff, dropout)
        self.mlp_reads_stream = mlp_reads_stream

    def forward(self, x, cache=None):
        a, cache = self.attn(self.ln_1(x), cache)
        x = x + a
        return x + self.mlp(x if self.mlp_reads_stream else self.ln_2(x)), cache


def _gpt_with_blocks(**block):
    class GPT(GPTBase):
        def __init__(self, vocab_size, max_len, d_model, num_heads, num_layers, d_ff, dropout=0.0):
            super().__init__(vocab_size, max_len, d_model, num_heads, num_layers, d_ff, dropout)
            self.blocks = nn.ModuleList([Block(d_model, num_heads, d_ff, dropout, **block)
                                         for _ in range(num_layers)])
    return GPT


GPTWithLearnersAttention = _gpt_with_blocks()
GPTMlpReadsStream = _gpt_with_blocks(attention=S.CausalSelfAttention, mlp_reads_stream=True)


class GPTNormAfterHead(GPTBase):
    def forward(self, idx, cache=None):
        past = 0 if cache is None else cache[0][0].size(2)
        x, new = self.blocks_on(self.dropout(self.embed(idx, past)), cache)
        return self.ln_f(self.head(x)), new  # the final norm after the read-out


def seq2seq_loss_not_flattened(model, src, tgt, src_mask=None, pad_id=None):
    logits = model(src, tgt[:, :-1], src_mask)
    return F.cross_entropy(logits, tgt[:, 1:], ignore_index=-100 if pad_id is None else pad_id)  # (B, T, V) as is


def generate_token_not_unsqueezed(model, idx, max_new_tokens, temperature=1.0, top_k=None, use_cache=True,
                                  generator=None):
    cache = None
    with torch.no_grad():
        for _ in range(max_new_tokens):
            logits, cache = model(idx if cache is None or not use_cache else idx[:, -1:], cache if use_cache else None)
            token = S.sample_next_token(logits[:, -1, :], temperature, top_k, generator)
            idx = torch.cat([idx, token], dim=1)  # (B,) appended to (B, T): [:, None] forgotten
    return idx


# the wrong-exercise cases: a later exercise that uses a failing earlier one of the learner's -------------------------
def softmax(x, dim=-1):  # the learner's softmax, over the wrong axis
    e = torch.exp(x - x.amax(dim=0, keepdim=True))
    return e / e.sum(dim=0, keepdim=True)


def scaled_dot_product_attention(q, k, v, mask=None):  # right, but built on the learner's softmax
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = softmax(scores, dim=-1)
    return weights @ v, weights


def sdpa_weights_normalised_in_place(q, k, v, mask=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    w = torch.exp(scores - scores.amax(-1, keepdim=True))
    w /= w.sum(-1, keepdim=True)
    return w @ v, w


class DecoderLayer(S.DecoderLayer):  # the learner's decoder layer, with no residual around the cross-attention
    def forward(self, x, memory, tgt_mask=None, memory_mask=None):
        return DecoderLayerNoCrossResidual.sublayers(self, x, memory, tgt_mask, memory_mask)

    ff = DecoderLayerBase.ff


class TransformerOnLearnersDecoder(S.Transformer):  # right, but built on the learner's DecoderLayer
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        d_model, num_heads, num_layers, d_ff = args[2], args[3], args[4], args[5]
        dropout = kwargs.get("dropout", args[7] if len(args) > 7 else 0.0)
        norm_first = kwargs.get("norm_first", args[8] if len(args) > 8 else False)
        self.decoder_layers = nn.ModuleList([DecoderLayer(d_model, num_heads, d_ff, dropout, norm_first)
                                             for _ in range(num_layers)])


def sample_next_token(logits, temperature=1.0, top_k=None, generator=None):  # the learner's, temperature ignored
    if temperature == 0:
        return logits.argmax(-1)
    return torch.multinomial(torch.softmax(logits, -1), 1, generator=generator).squeeze(-1)


def generate(model, idx, max_new_tokens, temperature=1.0, top_k=None, use_cache=True, generator=None):
    cache = None  # right, but built on the learner's sample_next_token
    with torch.no_grad():
        for _ in range(max_new_tokens):
            if use_cache:
                logits, cache = model(idx if cache is None else idx[:, -1:], cache)
            else:
                logits, _ = model(idx)
            idx = torch.cat([idx, sample_next_token(logits[:, -1], temperature, top_k, generator)[:, None]], 1)
    return idx


# -- the issue's list, then the further mistakes: (id, exercise, implementation, what the message must say) -----------
ISSUE = [
    ("cross-attention queries from the memory", "DecoderLayer", DecoderLayerQueriesFromMemory,
     r"line \d+ of your `DecoderLayerQueriesFromMemory.sublayers`.*cross_attn\(memory"),
    ("decoder fed src", "Transformer", TransformerDecoderFedSource,
     r"line \d+ .*`return self.out\(self.decode\(src.*embedding .*another vocabulary"),
    ("only k cached", "CausalSelfAttention", AttentionOnlyKeysCached, r"line \d+ .*attend"),
    ("a forgotten [0] after attention", "EncoderLayer", EncoderLayerForgotIndex, r"returns \(output, weights\)"),
    ("residual around cross-attention skipped", "DecoderLayer", DecoderLayerNoCrossResidual,
     r"`cross_attn`.*agree.*input of `norm2`"),
    ("GPT cache never passed to its blocks", "GPT", GPTCacheNeverPassed,
     r"`blocks\[0\]` \(on its third call\) gets no `cache`"),
    ("noam_lr off by one step", "noam_lr", noam_lr_off_by_one, r"`step` \+ 1"),
    ("ReLU after the second linear only", "FeedForward", FeedForwardReluAfterSecond,
     r"`linear1` agrees.*input of `linear2`"),
    ("GPT embeddings scaled by sqrt(D)", "GPT", GPTEmbeddingScaled, r"`tok_embed`, `pos_embed` agree.*blocks\[0\]"),
    ("w /= ... in place", "scaled_dot_product_attention", sdpa_weights_normalised_in_place,
     r"`w /= w.sum\(-1, keepdim=True\)`: .*in place"),
    ("std.reciprocal_()", "layer_norm", layer_norm_reciprocal_in_place, r"reciprocal_\(\).*in place"),
    ("logp.neg_()", "label_smoothed_cross_entropy", smoothing_neg_in_place, r"`logp.neg_\(\)`.*in place"),
]
BLAME = [
    ("Transformer on the learner's failing DecoderLayer", "Transformer", TransformerOnLearnersDecoder,
     "DecoderLayer"),
    ("GPT on the learner's failing CausalSelfAttention", "GPT", GPTWithLearnersAttention, "CausalSelfAttention"),
    ("scaled_dot_product_attention on the learner's failing softmax", "scaled_dot_product_attention",
     scaled_dot_product_attention, "softmax"),
    ("generate on the learner's failing sample_next_token", "generate", generate, "sample_next_token"),
]
FURTHER = [
    ("rnn_flops over T - 1 steps", "rnn_flops", rnn_flops_one_step_short, r"`T` - 1"),
    ("attention_flops: four projections counted as one", "attention_flops", attention_flops_projections_once, None),
    ("attention_all_positions scales the weights", "attention_all_positions", attention_scaling_the_weights,
     r"times 0\.5 everywhere"),
    ("attention_all_positions transposes and reshapes back", "attention_all_positions",
     attention_keys_not_transposed_back, r"wrong layout"),
    ("layer_norm variance without keepdim", "layer_norm", layer_norm_std_without_keepdim,
     r"line \d+ .*\(x is .*dimension"),
    ("noam_lr with 1/d_model", "noam_lr", noam_lr_one_over_d_model, r"sqrt\(512\)"),
    ("FeedForward with a constant added", "FeedForward", FeedForwardWrongWiring, r"plus 0\.1"),
    ("EncoderLayer pre-LN keys from the raw stream", "EncoderLayer", EncoderLayerKeysUnnormalised,
     r"input of `self_attn`.*`key`"),
    ("EncoderLayer post-LN norm1 used twice", "EncoderLayer", EncoderLayerOneNorm, r"never calls `norm2`"),
    ("DecoderLayer values from the target", "DecoderLayer", DecoderLayerValuesFromTarget,
     r"line \d+ .*cross_attn\(x, memory, x"),
    ("DecoderLayer post-LN norm2 for the feed-forward", "DecoderLayer", DecoderLayerNorm2ForFeedForward,
     r"never calls `norm3`"),
    ("DecoderLayer self-attention masked with the memory mask", "DecoderLayer", DecoderLayerSelfAttentionOnMemoryMask,
     r"line \d+|input of `self_attn`"),
    ("Transformer positions scaled with the embeddings", "Transformer", TransformerPositionsScaled,
     r"`src_embed` agrees.*input of `encoder_layers\[0\]`"),
    ("Transformer final norm inside the loop", "Transformer", TransformerNormInsideLoop,
     r"input of `encoder_layers\[1\]`|`enc_norm`"),
    ("CausalSelfAttention heads merged without a transpose", "CausalSelfAttention", AttentionMergeWithoutTranspose,
     r"`w_q`, `w_k`, `w_v` agree.*input of `w_o`"),
    ("CausalSelfAttention scaled by sqrt(d_model)", "CausalSelfAttention", AttentionScaledByModelWidth,
     r"`w_q`, `w_k`, `w_v` agree.*input of `w_o`"),
    ("GPT past length read from the heads axis", "GPT", GPTPastFromHeads, r"input of `pos_embed`"),
    ("GPT block's feed-forward reads the stream, not ln_2", "GPT", GPTMlpReadsStream,
     r"input of `blocks\[0\]\.mlp`"),
    ("generate appends (B,) to (B, T)", "generate", generate_token_not_unsqueezed, r"line \d+ .*torch.cat"),
    ("GPT's final norm after the head", "GPT", GPTNormAfterHead, r"line \d+ .*`return self.ln_f\(self.head"),
    ("seq2seq_loss on (B, T, V) logits", "seq2seq_loss", seq2seq_loss_not_flattened, r"line \d+ .*cross_entropy"),
]


def failure(exercise, impl):
    with pytest.raises(AssertionError) as raised:
        EXERCISES[exercise].check(impl, quiet=True)
    return raised.value


BARE = re.compile(r"^[\w ]+: (`[^`]*` (differs from the reference|has shape)|raised [A-Za-z]+:|returned \d)")


def useful(message: str) -> bool:
    """Whether a message leads with a diagnosis, not with the bare mismatch or the raw error."""
    return not BARE.match(message)


@pytest.mark.parametrize("what,exercise,impl,says", ISSUE, ids=[c[0] for c in ISSUE])
def test_the_issues_unnamed_mistakes_get_a_diagnosis(what, exercise, impl, says):
    message = str(failure(exercise, impl))
    assert useful(message) and re.search(says, message, re.S), message


@pytest.mark.parametrize("what,exercise,impl,dependency", BLAME, ids=[c[0] for c in BLAME])
def test_a_failing_dependency_is_blamed_and_named(what, exercise, impl, dependency):
    error = failure(exercise, impl)
    assert str(error).startswith(f"{exercise}: your {exercise} uses your {dependency}"), str(error)
    assert "fix that first" in str(error)
    assert error.blamed == dependency, "the grader counts the failure under the piece to fix"
    assert "looks like the causal mask" not in str(error).split("\n")[0]


def test_the_blame_survives_the_notebooks_check_function():
    from course_lib.checks import check_gpt

    with pytest.raises(AssertionError) as raised:
        check_gpt(GPTWithLearnersAttention)
    assert raised.value.blamed == "CausalSelfAttention" and raised.value.exercise == "GPT"


def test_at_least_90_percent_of_the_further_mistakes_get_a_localised_or_shaped_diagnosis():
    assert len(FURTHER) >= 20
    results = {what: str(failure(exercise, impl)) for what, exercise, impl, _ in FURTHER}
    diagnosed = [what for what, message in results.items() if useful(message)]
    share = len(diagnosed) / len(FURTHER)
    bare = {what: results[what][:300] for what in results if what not in diagnosed}
    assert share >= 0.9, f"{len(diagnosed)}/{len(FURTHER)} diagnosed; bare: {bare}"
    for what, exercise, impl, says in FURTHER:
        if says and what in diagnosed:
            assert re.search(says, results[what], re.S), f"{what}: {results[what]}"


def test_diagnosis_hides_the_framework_frames():
    error = failure("label_smoothed_cross_entropy", smoothing_neg_in_place)
    assert "course_lib/checks/framework.py" not in str(error)
    assert "Traceback" not in str(error)


def test_a_failing_check_shows_the_notebook_its_message_and_no_framework_frame(tmp_path, monkeypatch):
    """Issue 29 (item 4): IPython draws a check's AssertionError through its `_render_traceback_`, so the notebook
    shows `AssertionError: <message>` and no frame of framework.py; the error's `ename` and `evalue` (what nbgrader
    and the grader read) are those of a plain AssertionError with the same message. With COURSE_DEBUG=1 a developer
    sees every frame, the framework's included."""
    import nbformat
    from nbclient import NotebookClient

    from course_lib.checks import check_softmax

    monkeypatch.delenv("COURSE_DEBUG", raising=False)
    learner = ("def softmax(x, dim=-1):\n    e = (x - x.amax(-1, keepdim=True)).exp()  # always the last axis\n"
               "    return e / e.sum(-1, keepdim=True)\n")
    cells = ["from course_lib.checks import check_softmax\n" + learner, "check_softmax(softmax)",
             "import os\nos.environ['COURSE_DEBUG'] = '1'\ncheck_softmax(softmax)"]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    namespace = {}
    exec(learner, namespace)
    with pytest.raises(AssertionError) as raised:
        check_softmax(namespace["softmax"])
    message = str(raised.value)
    assert "looks like a softmax that ignores `dim`" in message and "\n" in message  # a diagnosis, on lines
    shown, debug = ([o for o in cell.outputs if o.output_type == "error"][0] for cell in nb.cells[1:])

    def plain(output):
        return re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(output.traceback))

    assert (shown.ename, shown.evalue) == (debug.ename, debug.evalue) == ("AssertionError", message)
    assert plain(shown) == f"AssertionError: {message}"
    assert "framework.py" not in plain(shown) and "Traceback" not in plain(shown)
    assert "course_lib/checks/framework.py" in plain(debug) and message in plain(debug)


# -- the parts on their own ----------------------------------------------------------------------------------------
def test_difference_shape_names_a_factor_a_transpose_a_shift_and_some_positions():
    g = torch.Generator().manual_seed(0)
    want = torch.randn(2, 5, 4, generator=g)
    assert "sqrt(64)" in difference_shape(want * 0.125, want, 1e-4, 1e-5)
    square = torch.randn(3, 4, 4, generator=g)
    assert "axes 1 and 2 swapped" in difference_shape(square.transpose(1, 2), square, 1e-4, 1e-5)
    shifted = torch.cat([want[:, :1], want[:, :-1]], dim=1)
    assert "shifted by one along axis 1" in difference_shape(shifted, want, 1e-4, 1e-5)
    last = want.clone()
    last[:, -1] += 1
    assert "only at index 4 of axis 1" in difference_shape(last, want, 1e-4, 1e-5)
    padded = want.clone()
    padded[1, 3:] = 0
    mask = torch.tensor([[True] * 5, [True] * 3 + [False] * 2])[:, :, None]
    assert "only where the mask blocks" in difference_shape(padded, want, 1e-4, 1e-5, [mask])
    assert difference_shape(torch.randn(2, 5, 4, generator=g), want, 1e-4, 1e-5) is None  # unrelated: no pattern


def test_localise_names_the_first_departing_part():
    x = torch.ones(2, 3)

    def call(path, parent, out, *args):
        return {"path": path, "parent": parent, "names": ["x"] * len(args), "args": list(args), "out": [out]}

    ref = [call("", -1, x * 4, x), call("a", 0, x * 2, x), call("b", 0, x * 3, x * 2)]
    combined = [call("", -1, x * 5, x), call("a", 0, x * 2, x), call("b", 0, x * 3, x * 2)]
    said = localise(combined, ref, "your M")
    assert "`a`, `b` agree" in said and "output of `your M`" in said
    fed = [call("", -1, x * 5, x), call("a", 0, x * 2, x), call("b", 0, x * 3, x)]
    assert "`a` agrees with the reference; the input of `b` differs" in localise(fed, ref, "your M")


# -- correct code written differently still passes ----------------------------------------------------------------
class AttentionWithTorchsKernel(AttentionBase):
    def forward(self, x, cache=None):
        q, k, v = self.heads(x)
        if cache is not None:
            k, v = torch.cat([cache[0], k], 2), torch.cat([cache[1], v], 2)
        T, T_all = q.size(2), k.size(2)
        mask = torch.ones(T, T_all, dtype=torch.bool).tril(diagonal=T_all - T)
        return self.merge(F.scaled_dot_product_attention(q, k, v, attn_mask=mask)), torch.stack([k, v])


def noam_lr_written_out(step, d_model, warmup):
    return min(1 / math.sqrt(step), step / warmup ** 1.5) / math.sqrt(d_model)


def attention_in_float64_with_einsum(q, k, v, mask=None):
    scores = torch.einsum("...qd,...kd->...qk", q.double(), k.double()) / math.sqrt(q.size(-1))
    if mask is not None:
        scores = scores.masked_fill(~mask, -1e9)
    weights = torch.softmax(scores, dim=-1)
    return (weights @ v.double()).to(q.dtype), weights.to(q.dtype)


class FeedForwardWithFunctionalDropout(nn.Module):
    def __init__(self, d_model, d_ff, dropout=0.0):
        super().__init__()
        self.linear1, self.linear2, self.p = nn.Linear(d_model, d_ff), nn.Linear(d_ff, d_model), dropout

    def forward(self, x):
        return self.linear2(F.dropout(F.relu(self.linear1(x)), self.p, self.training))


@pytest.mark.parametrize("exercise,impl", [
    ("CausalSelfAttention", AttentionWithTorchsKernel),
    ("noam_lr", noam_lr_written_out),
    ("scaled_dot_product_attention", attention_in_float64_with_einsum),
    ("FeedForward", FeedForwardWithFunctionalDropout),
], ids=["torch's attention kernel, a stacked cache", "noam written out", "einsum in float64, -1e9",
        "functional dropout"])
def test_correct_code_written_differently_still_passes(exercise, impl):
    assert EXERCISES[exercise].check(impl, quiet=True)


# -- the same diagnosis in the student environment and in the grader's worker ------------------------------------
# Learner code that imports nothing of the course (the grader's worker runs it with the tripwire armed, and the
# student environment holds no solutions): run from this text in every process alike.
PROBE_SOURCE = '''
import inspect
import math
import torch
from torch import nn


class FeedForwardReluAfterSecond(nn.Module):
    def __init__(self, d_model, d_ff, dropout=0.0):
        super().__init__()
        self.linear1, self.linear2 = nn.Linear(d_model, d_ff), nn.Linear(d_ff, d_model)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        return torch.relu(self.linear2(self.dropout(self.linear1(x))))


def noam_lr_off_by_one(step, d_model, warmup):
    step = step + 1
    return d_model ** -0.5 * min(step ** -0.5, step * warmup ** -1.5)


def layer_norm_reciprocal_in_place(x, gamma, beta, eps=1e-5):
    std = torch.sqrt(x.var(-1, keepdim=True, unbiased=False) + eps)
    return (x - x.mean(-1, keepdim=True)) * std.reciprocal_() * gamma + beta


class Attention(nn.Module):
    top_left = False
    scale_by_width = False

    def __init__(self, d_model, num_heads, dropout=0.0):
        super().__init__()
        self.num_heads = num_heads
        self.w_q, self.w_k, self.w_v, self.w_o = (nn.Linear(d_model, d_model) for _ in range(4))
        self.dropout = nn.Dropout(dropout)

    def forward(self, x, cache=None):
        B, T, D = x.shape
        q, k, v = (w(x).view(B, T, self.num_heads, -1).transpose(1, 2) for w in (self.w_q, self.w_k, self.w_v))
        if cache is not None:
            k, v = torch.cat([cache[0], k], 2), torch.cat([cache[1], v], 2)
        T_all = k.size(2)
        mask = torch.ones(T, T_all, dtype=torch.bool).tril(diagonal=0 if self.top_left else T_all - T)
        scores = q @ k.transpose(-2, -1) / math.sqrt(D if self.scale_by_width else q.size(-1))
        out = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=-1) @ v
        return self.dropout(self.w_o(out.transpose(1, 2).reshape(B, T, D))), (k, v)


class AttentionScaledByModelWidth(Attention):
    scale_by_width = True


class CausalSelfAttention(Attention):
    top_left = True


class FeedForward(nn.Module):
    def __init__(self, d_model, d_ff, dropout=0.0):
        super().__init__()
        self.linear1, self.linear2 = nn.Linear(d_model, d_ff), nn.Linear(d_ff, d_model)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        return self.linear2(self.dropout(torch.relu(self.linear1(x))))


class Block(nn.Module):
    def __init__(self, d_model, num_heads, d_ff, dropout, attention):
        super().__init__()
        self.ln_1, self.attn = nn.LayerNorm(d_model), attention(d_model, num_heads, dropout)
        self.ln_2, self.mlp = nn.LayerNorm(d_model), FeedForward(d_model, d_ff, dropout)

    def forward(self, x, cache=None):
        a, cache = self.attn(self.ln_1(x), cache)
        x = x + a
        return x + self.mlp(self.ln_2(x)), cache


class GPTBase(nn.Module):
    attention = Attention
    pass_cache = True

    def __init__(self, vocab_size, max_len, d_model, num_heads, num_layers, d_ff, dropout=0.0):
        super().__init__()
        self.tok_embed, self.pos_embed = nn.Embedding(vocab_size, d_model), nn.Embedding(max_len, d_model)
        self.dropout = nn.Dropout(dropout)
        self.blocks = nn.ModuleList([Block(d_model, num_heads, d_ff, dropout, self.attention)
                                     for _ in range(num_layers)])
        self.ln_f, self.head = nn.LayerNorm(d_model), nn.Linear(d_model, vocab_size)

    def forward(self, idx, cache=None):
        past = 0 if cache is None else cache[0][0].size(2)
        x = self.dropout(self.tok_embed(idx) + self.pos_embed(torch.arange(past, past + idx.size(1))))
        new = []
        for i, block in enumerate(self.blocks):
            if self.pass_cache:
                x, c = block(x, None if cache is None else cache[i])
            else:
                x, c = block(x)
                if cache is not None:
                    c = (torch.cat([cache[i][0], c[0]], 2), torch.cat([cache[i][1], c[1]], 2))
            new.append(c)
        return self.head(self.ln_f(x)), new


class GPTCacheNeverPassed(GPTBase):
    pass_cache = False


class GPTOnLearnersAttention(GPTBase):
    attention = CausalSelfAttention


PROBES = {
    "localised": ("FeedForward", "FeedForwardReluAfterSecond"),
    "off by one": ("noam_lr", "noam_lr_off_by_one"),
    "in place": ("layer_norm", "layer_norm_reciprocal_in_place"),
    "attention localised": ("CausalSelfAttention", "AttentionScaledByModelWidth"),
    "cache not passed": ("GPT", "GPTCacheNeverPassed"),
    "blamed": ("GPT", "GPTOnLearnersAttention"),
    "mask hides the past, tokens right": ("greedy_decode", "greedy_decode_sliding_window"),
    "dropout after w_o": ("MultiHeadAttention", "MultiHeadAttentionDroppingItsOutput"),
}
'''.lstrip()  # the worker's cell transformer drops leading blank lines: keep line numbers alike
PROBE_SOURCE += "\n\n" + inspect.getsource(unseen_slips)  # two slips tests/test_student_env.py runs too


def probe_messages(exercises, source, strict=False):
    """{probe: message} of the checks `exercises` on the learner code `source` (run as the file <probe>)."""
    namespace = {"__name__": "probe"}
    exec(compile(source, "<probe>", "exec"), namespace)
    found = {}
    for probe, (exercise, name) in namespace["PROBES"].items():
        try:
            exercises[exercise].check(namespace[name], quiet=True, strict=strict)
            found[probe] = None
        except AssertionError as error:
            found[probe] = [str(error), getattr(error, "blamed", None)]
    return found


def test_probe_mistakes_are_diagnosed_here():
    found = probe_messages(EXERCISES, PROBE_SOURCE)
    assert "`linear1` agrees with the reference; the input of `linear2` differs" in found["localised"][0]
    assert "`step` + 1" in found["off by one"][0]
    assert "line " in found["in place"][0] and "in place" in found["in place"][0]
    assert "input of `w_o`" in found["attention localised"][0]
    assert "gets no `cache`" in found["cache not passed"][0]
    assert found["blamed"][1] == "CausalSelfAttention"
    assert "looks like a tgt_mask that hides tokens decoded so far" in found["mask hides the past, tokens right"][0]
    assert "looks like dropout applied to the output after w_o" in found["dropout after w_o"][0]


class _WorkerSession:
    """The grader's side of a worker, in this process: `course_lib.checks._trusted.serve` on a thread."""

    def __init__(self, source):
        import json
        import queue
        import threading

        from course_lib.checks import _trusted

        self.requests, self.replies = queue.Queue(), queue.Queue()
        session = self

        class Replies:
            buffer = ""

            def write(self, text):
                self.buffer += text

            def flush(self):
                for line in self.buffer.splitlines():
                    session.replies.put(json.loads(line))
                self.buffer = ""

        def lines():
            while (item := self.requests.get()) is not None:
                yield item

        threading.Thread(target=_trusted.serve, args=(lines(), Replies()), daemon=True).start()
        self.request({"op": "exec", "source": source, "label": "<probe>"})

    def request(self, payload):
        import json

        self.requests.put(json.dumps(payload))
        reply = self.replies.get(timeout=120)
        return reply["result"]

    def close(self):
        self.requests.put(None)


def test_the_graders_worker_gives_the_same_diagnosis():
    """The grader runs the learner's code in a worker and the check in its own process (`Remote`): the traces,
    the blame and the error sentence travel as plain data and the message is the one the notebook shows."""
    from autograde.engine.verdict import RemoteImplementation

    session = _WorkerSession(PROBE_SOURCE)
    try:
        local = probe_messages(EXERCISES, PROBE_SOURCE, strict=True)
        namespace = {"__name__": "probe"}
        exec(compile(PROBE_SOURCE, "<probe>", "exec"), namespace)
        for probe, (exercise, name) in namespace["PROBES"].items():
            with pytest.raises(AssertionError) as raised:
                EXERCISES[exercise].check(RemoteImplementation(session, name), quiet=True, strict=True)
            assert [str(raised.value), getattr(raised.value, "blamed", None)] == local[probe], probe
    finally:
        session.close()


@pytest.fixture(scope="module")
def student_env(tmp_path_factory):
    from autograde.engine.student_env import build_student_env

    out = tmp_path_factory.mktemp("student-env")
    build_student_env(out, through=None)
    return out


def test_the_student_environment_gives_the_same_diagnosis(student_env):
    """Its checks replay recordings of the reference, the traces of its parts and its results with an argument
    moved by one included: each probe's message is the full package's, word for word."""
    import inspect
    import json
    import os
    import subprocess
    import sys
    import textwrap
    from pathlib import Path

    torch_site = str(Path(torch.__file__).parent.parent)
    script = textwrap.dedent(f"""
        import sys
        sys.path[:] = [{str(student_env)!r}] + [p for p in sys.path if 'site-packages' not in p] + [{torch_site!r}]
        import json
        import course_lib.checks as checks
        from course_lib.checks._recorded import Recorded
        assert "course_lib.solutions" not in sys.modules
        assert all(isinstance(ex.reference, Recorded) for ex in checks.EXERCISES.values())
        PROBE_SOURCE = {PROBE_SOURCE!r}
    """) + textwrap.dedent(inspect.getsource(probe_messages)) + \
        "\nprint(json.dumps(probe_messages(checks.EXERCISES, PROBE_SOURCE)))\n"
    result = subprocess.run([sys.executable, "-I", "-S", "-c", script], capture_output=True, text=True,
                            timeout=600, cwd=student_env,
                            env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    assert result.returncode == 0, result.stderr[-4000:]
    there = json.loads(result.stdout.strip().splitlines()[-1])
    here = probe_messages(EXERCISES, PROBE_SOURCE)
    assert set(there) == set(here)
    for probe in here:
        assert there[probe] == here[probe], f"{probe}:\n{there[probe]}\n!=\n{here[probe]}"
