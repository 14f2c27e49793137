"""Checks for notebook 09: CausalSelfAttention (with a key-value cache), GPT, sample_next_token, generate,
language_model_loss and train_step.

The cache's format is the learner's choice, so the attention and GPT checks compare outputs only: each
case runs the module twice, once on the whole sequence and once on a prefix followed by the remaining
tokens fed in with the returned cache (one at a time, or in chunks), and compares both with the reference.
"""
import math

import torch
import torch.nn.functional as F
from torch import nn

from ..solutions import gpt as ref
from ..solutions.multi_head_attention import merge_heads, split_heads
from ..solutions.self_attention import scaled_dot_product_attention
from ..solutions.training_deep_stacks import FeedForward
from ..train import threads
from ._harness import CachedModuleExercise, GenerateExercise, generator_invoke, train_step_invoke
from ._standins import StandInGPT
from .framework import Case, Exercise, Mistake, randn, seeded

GIVEN = (split_heads, merge_heads, scaled_dot_product_attention, FeedForward)


# -- variants of the attention, to name the known mistakes ----------------------------------------------------
def _mask_right(T, T_all):
    return torch.ones(T, T_all, dtype=torch.bool).tril(diagonal=T_all - T)


MASKS = {
    "right": _mask_right,
    "none": lambda T, T_all: torch.ones(T, T_all, dtype=torch.bool),
    "sees the next": lambda T, T_all: torch.ones(T, T_all, dtype=torch.bool).tril(diagonal=T_all - T + 1),
    "hides itself": lambda T, T_all: torch.ones(T, T_all, dtype=torch.bool).tril(diagonal=T_all - T - 1),
    "top-left": lambda T, T_all: torch.ones(T, T_all, dtype=torch.bool).tril(),
    "new tokens only": lambda T, T_all: torch.ones(T, T, dtype=torch.bool).tril(),
}


class _AttentionVariant(nn.Module):
    """Causal self-attention with one thing changed."""

    def __init__(self, d_model, num_heads, dropout=0.0, mask="right", cat_dim=2, keep_cache="all",
                 scale="d_head"):
        super().__init__()
        self.num_heads, self.mask, self.cat_dim, self.keep_cache, self.scale = \
            num_heads, mask, cat_dim, keep_cache, scale
        self.w_q, self.w_k, self.w_v, self.w_o = (nn.Linear(d_model, d_model) for _ in range(4))
        self.dropout = nn.Dropout(dropout)

    def forward(self, x, cache=None):
        T = x.size(1)
        q, k, v = (split_heads(w(x), self.num_heads) for w in (self.w_q, self.w_k, self.w_v))
        new = (k, v)
        if cache is not None:
            k = torch.cat([cache[0], k], dim=self.cat_dim)
            v = torch.cat([cache[1], v], dim=self.cat_dim)
        T_all = k.size(2)
        scores = q @ k.transpose(-2, -1) / {"d_head": math.sqrt(q.size(-1)), "none": 1.0}[self.scale]
        scores = scores.masked_fill(~MASKS[self.mask](T, T_all), float("-inf"))
        out = merge_heads(torch.softmax(scores, dim=-1) @ v)
        return self.dropout(self.w_o(out)), new if self.keep_cache == "new" else (k, v)


def _attention(**change):
    return lambda d_model, num_heads, dropout=0.0: _AttentionVariant(d_model, num_heads, dropout, **change)


def _attention_mistakes(wrap):
    """The attention's mistakes, as `wrap(**change)` builds them (the attention itself, or a whole GPT)."""
    return [
        Mistake("no causal mask", wrap(mask="none"),
                "without the mask every position reads the tokens after it, which it must predict: mask the "
                "scores with a lower-triangular (T, T) mask of True on and below the diagonal."),
        Mistake("the mask off by one (each position also sees the next one)", wrap(mask="sees the next"),
                "position i may see keys 0 .. i, itself included and nothing after: .tril() (diagonal 0) "
                "for a square mask."),
        Mistake("the mask off by one (each position hides itself)", wrap(mask="hides itself"),
                "position i sees itself too: .tril() with diagonal 0, not -1 (row 0 would see nothing)."),
        Mistake("the causal mask aligned to the top left when there is a cache", wrap(mask="top-left"),
                "with T_past cached positions the new query i sits at position T_past + i: its mask row "
                "allows keys 0 .. T_past + i. torch.ones(T, T_all).tril(diagonal=T_all - T) does it."),
        Mistake("the causal mask built for the new tokens only, (T, T) instead of (T, T_past + T)",
                wrap(mask="new tokens only"),
                "the scores are (B, h, T, T_past + T) once the cached keys are in: build the mask for that "
                "rectangle, torch.ones(T, T_all).tril(diagonal=T_all - T)."),
        Mistake("the cache concatenated on the wrong axis", wrap(cat_dim=1),
                "keys and values are (B, h, T, d): the positions are axis 2, so torch.cat([past_k, k], dim=2)."),
        Mistake("only the new keys and values returned as the cache", wrap(keep_cache="new"),
                "return the concatenated (k, v), the cached positions and the new ones, so that the next "
                "call sees them all."),
        Mistake("scores not divided by sqrt(d_head)", wrap(scale="none"),
                "divide q @ k^T by sqrt(d) (d = d_model // num_heads), or use scaled_dot_product_attention "
                "from notebook 03, which does."),
    ]


def _attention_cases(seed):
    g = seeded(seed)
    D, h = 12, 3  # d_head = 4; T, B and D all differ

    def case(label, B, T, prefix, chunk, num_heads=h):
        return Case(label, (randn(g, B, T, D),), {"prefix": prefix, "chunk": chunk},
                    init={"d_model": D, "num_heads": num_heads})

    return [
        case("B=2, T=7: prefix 3, then one token at a time", 2, 7, 3, 1),
        case("B=2, T=7: prefix 2, then chunks of 3 and 2", 2, 7, 2, 3),
        case("batch 1, T=5: prefix 2, then one at a time", 1, 5, 2, 1),
        case("B=3, T=6: prefix 4, then a chunk of 2", 3, 6, 4, 2),
        case("two heads of width 6, T=5: prefix 2, one at a time", 2, 5, 2, 1, num_heads=2),
    ]


ATTENTION = CachedModuleExercise(
    "CausalSelfAttention", ref.CausalSelfAttention, _attention_cases, arg_names=["x"],
    outputs=["output without a cache", "output with a cache"], given=GIVEN,
    members="four nn.Linear(d_model, d_model) members with bias named w_q, w_k, w_v, w_o, as in notebook 04",
    mistakes=_attention_mistakes(_attention),
)


# -- GPT ------------------------------------------------------------------------------------------------------
class _BlockVariant(nn.Module):
    def __init__(self, d_model, num_heads, d_ff, dropout, attention, norm="pre"):
        super().__init__()
        self.norm = norm
        self.ln_1 = nn.LayerNorm(d_model)
        self.attn = attention(d_model, num_heads, dropout)
        self.ln_2 = nn.LayerNorm(d_model)
        self.mlp = FeedForward(d_model, d_ff, dropout)

    def forward(self, x, cache=None):
        if self.norm == "post":
            attended, cache = self.attn(x, cache)
            x = self.ln_1(x + attended)
            return self.ln_2(x + self.mlp(x)), cache
        attended, cache = self.attn(self.ln_1(x), cache)
        x = x + attended
        return x + self.mlp(self.ln_2(x)), cache


class _GPTVariant(nn.Module):
    """A GPT with one thing changed, its attention or its blocks or how it counts positions."""

    def __init__(self, vocab_size, max_len, d_model, num_heads, num_layers, d_ff, dropout=0.0,
                 attention=None, norm="pre", positions="counted on", final_norm=True):
        super().__init__()
        attention = attention or _attention()
        self.positions, self.final_norm = positions, final_norm
        self.tok_embed = nn.Embedding(vocab_size, d_model)
        self.pos_embed = nn.Embedding(max_len, d_model)
        self.dropout = nn.Dropout(dropout)
        self.blocks = nn.ModuleList([_BlockVariant(d_model, num_heads, d_ff, dropout, attention, norm)
                                     for _ in range(num_layers)])
        self.ln_f = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab_size)

    def forward(self, idx, cache=None):
        T = idx.size(1)
        past = 0 if cache is None or self.positions == "restarted" else cache[0][0].size(2)
        x = self.tok_embed(idx)
        if self.positions != "none":
            x = x + self.pos_embed(torch.arange(past, past + T))
        x = self.dropout(x)
        new_cache = []
        for i, block in enumerate(self.blocks):
            x, layer_cache = block(x, None if cache is None else cache[i])
            new_cache.append(layer_cache)
        return self.head(self.ln_f(x) if self.final_norm else x), new_cache


def _gpt(**change):
    def build(vocab_size, max_len, d_model, num_heads, num_layers, d_ff, dropout=0.0):
        return _GPTVariant(vocab_size, max_len, d_model, num_heads, num_layers, d_ff, dropout, **change)
    return build


def _gpt_cases(seed):
    g = seeded(seed)
    V, L = 11, 9  # vocab_size, max_len

    def case(label, B, T, prefix, chunk, d_model=12, num_heads=3, num_layers=2, d_ff=20):
        idx = torch.randint(0, V, (B, T), generator=g)
        init = {"vocab_size": V, "max_len": L, "d_model": d_model, "num_heads": num_heads,
                "num_layers": num_layers, "d_ff": d_ff}
        return Case(label, (idx,), {"prefix": prefix, "chunk": chunk}, init=init)

    return [
        case("B=2, T=7: prefix 3, then one token at a time", 2, 7, 3, 1),
        case("B=2, T=9 (max_len): prefix 2, then chunks of 3", 2, 9, 2, 3),
        case("batch 1, T=5: prefix 2, then one at a time", 1, 5, 2, 1),
        case("one layer, two heads of width 8, T=6: prefix 4, then a chunk of 2", 3, 6, 4, 2,
             d_model=16, num_heads=2, num_layers=1),
    ]


GPT = CachedModuleExercise(
    "GPT", ref.GPT, _gpt_cases, arg_names=["idx"], outputs=["logits without a cache", "logits with a cache"],
    given=GIVEN, rtol=1e-4, atol=1e-4,
    members=("the members tok_embed, pos_embed, blocks (each with ln_1, attn.w_q/w_k/w_v/w_o, ln_2, "
             "mlp.linear1/linear2), ln_f and head"),
    mistakes=[
        Mistake("positions restarted at 0 with a cache", _gpt(positions="restarted"),
                "with a cache of T_past positions the new tokens sit at positions T_past, T_past + 1, ...: "
                "read T_past from the cache (cache[0][0].size(2)) and use torch.arange(T_past, T_past + T)."),
        Mistake("no position embedding", _gpt(positions="none"),
                "add self.pos_embed(positions) to the token embeddings: without it attention is blind "
                "to order (notebook 05)."),
        Mistake("post-LN blocks (norm after the residual sum)", _gpt(norm="post"),
                "GPT's blocks are pre-LN: x = x + attn(ln_1(x)), then x = x + mlp(ln_2(x))."),
        Mistake("no final layer norm ln_f before the head", _gpt(final_norm=False),
                "pre-LN blocks leave the residual stream un-normalised: logits = self.head(self.ln_f(x))."),
        *_attention_mistakes(lambda **change: _gpt(attention=_attention(**change))),
    ],
)


# -- sample_next_token ----------------------------------------------------------------------------------------
# Tokens are compared exactly, so no case may sit where rounding could flip one. The reference's ops and the
# learner's may differ in the last bits (another order of operations, another BLAS: about 1e-6 on these
# logits). Every case keeps a margin far above that, asserted when the case is built (`decision_margin`):
# greedy, the two largest logits differ by more than MARGIN; sampled, the winner of torch.multinomial's race
# (it takes the argmax of probs / q, q drawn from Exp(1) with the generator) beats the runner-up by more than
# MARGIN relatively.
MARGIN = 1e-3


def decision_margin(logits, temperature, top_k, generator):
    """(tokens, margin) of sampling from logits (B, V) as the reference does with `generator` (which this
    advances as torch.multinomial would): the smallest gap, over the rows, between the chosen token and the next
    best (logits at temperature 0; relative, of probs / q, when sampling)."""
    if temperature == 0:
        top = torch.topk(logits, 2, dim=-1).values if logits.size(-1) > 1 else torch.cat([logits, logits - 1], -1)
        return logits.argmax(dim=-1), float((top[:, 0] - top[:, 1]).min())
    scaled = logits / temperature
    if top_k is not None:
        kth = torch.topk(scaled, min(top_k, scaled.size(-1)), dim=-1).values[:, -1:]
        scaled = scaled.masked_fill(scaled < kth, float("-inf"))
    probs = torch.softmax(scaled, dim=-1)
    race = probs / torch.empty_like(probs).exponential_(1, generator=generator)  # what multinomial compares
    top = torch.topk(race, 2, dim=-1).values
    return race.argmax(dim=-1), float(((top[:, 0] - top[:, 1]) / top[:, 0]).min())


def _sample_margin(logits, temperature, top_k, seed):
    tokens, margin = decision_margin(logits, temperature, top_k, torch.Generator().manual_seed(seed))
    drawn = ref.sample_next_token(logits, temperature, top_k, torch.Generator().manual_seed(seed))
    assert bool(_equal_tokens(tokens, drawn)), "decision_margin must replay torch.multinomial's draws"
    return margin


def _equal_tokens(a, b):
    return a.shape == b.shape and bool((a == b).all())  # integer tokens: exact


@threads(1)  # tiny tensors: extra threads only wait for a busy core
def _sample_cases(seed):
    g = seeded(seed)
    B, V = 64, 7  # many rows, so a wrong distribution shows in the tokens drawn

    def case(label, temperature, top_k, rows=B, vocab=V, scale=2.0):
        for _ in range(100):  # draw again until no row is within rounding of another decision
            logits = randn(g, rows, vocab, scale=scale)
            s = int(torch.randint(0, 2**31 - 1, (1,), generator=g))
            if _sample_margin(logits, temperature, top_k, s) > MARGIN:
                return Case(label, (logits,), {"temperature": temperature, "top_k": top_k, "seed": s})
        raise AssertionError(f"sample_next_token: no case '{label}' with a margin above {MARGIN}")

    return [
        case("temperature 1, B=64, vocab 7", 1.0, None),
        case("temperature 0 (greedy)", 0.0, None),
        case("temperature 0.5", 0.5, None),
        case("temperature 3", 3.0, None),
        case("top_k 3 at temperature 2", 2.0, 3),
        case("top_k 5, vocab 9, temperature 4", 4.0, 5, vocab=9),
        case("one row", 1.0, None, rows=1),
    ]


def _sample_variant(temperature="before softmax", k_shift=0, source="probabilities", greedy=True,
                    use_generator=True):
    def sample(logits, temperature_=1.0, top_k=None, generator=None):
        t = temperature_
        if t == 0 and greedy:
            return logits.argmax(dim=-1)
        if temperature == "before softmax":
            logits = logits / t
        if top_k is not None:
            k = min(top_k + k_shift, logits.size(-1))
            kth = torch.topk(logits, k, dim=-1).values[:, -1:]
            logits = logits.masked_fill(logits < kth, float("-inf"))
        probs = torch.softmax(logits, dim=-1)
        if temperature == "after softmax":
            probs = probs / t
        weights = probs if source == "probabilities" else logits
        return torch.multinomial(weights, 1, generator=generator if use_generator else None).squeeze(-1)

    def wrapper(logits, temperature=1.0, top_k=None, generator=None):
        return sample(logits, temperature, top_k, generator)

    return wrapper


SAMPLE = Exercise(
    "sample_next_token", ref.sample_next_token, _sample_cases, arg_names=["logits"], outputs=["tokens"],
    invoke=generator_invoke, gradients=False,
    mistakes=[
        Mistake("temperature applied after the softmax", _sample_variant(temperature="after softmax"),
                "divide the logits by the temperature, then take the softmax: dividing the probabilities "
                "changes nothing once torch.multinomial normalises them."),
        Mistake("temperature ignored", _sample_variant(temperature="ignored"),
                "logits = logits / temperature before the softmax: below 1 it sharpens, above 1 it flattens."),
        Mistake("top-k keeping k-1 tokens", _sample_variant(k_shift=-1),
                "torch.topk(logits, k).values[:, -1:] is the k-th largest logit: keep the logits >= it."),
        Mistake("top-k keeping k+1 tokens", _sample_variant(k_shift=1),
                "keep exactly the k largest logits: compare with torch.topk(logits, k).values[:, -1:]."),
        Mistake("sampling from the logits instead of the probabilities", _sample_variant(source="logits"),
                "torch.multinomial wants non-negative weights: sample from torch.softmax(logits, dim=-1)."),
        Mistake("temperature 0 not treated as greedy (argmax)", _sample_variant(greedy=False),
                "dividing by a temperature of 0 gives inf and NaN: return logits.argmax(dim=-1) when "
                "temperature == 0."),
        Mistake("the generator not passed to torch.multinomial", _sample_variant(use_generator=False),
                "torch.multinomial(probs, 1, generator=generator): without it the draws come from the global "
                "RNG and cannot be reproduced."),
    ],
)


# -- generate -------------------------------------------------------------------------------------------------
def _generate_margin(model, idx, new, temperature, top_k, seed):
    """The smallest decision margin (see MARGIN) over every step of the reference's generate on this case,
    replayed without the cache; checks that the replay draws the reference's tokens."""
    g = torch.Generator().manual_seed(seed)
    margin, seq = float("inf"), idx
    with torch.no_grad():
        for _ in range(new):
            logits, _ = model(seq)
            token, m = decision_margin(logits[:, -1, :], temperature, top_k, g)
            margin, seq = min(margin, m), torch.cat([seq, token[:, None]], dim=1)
    want = ref.generate(model, idx, new, temperature, top_k, True, torch.Generator().manual_seed(seed))
    assert _equal_tokens(seq, want), "the margin's replay must draw the reference's tokens"
    return margin


@threads(1)  # tiny tensors: extra threads only wait for a busy core
def _generate_cases(seed):
    g = seeded(seed)
    # a fixed stand-in GPT (causal running means, no attention: no solution inside, see `_standins.py`), so
    # that the student environment can carry it as its weights
    model = StandInGPT(vocab_size=13, max_len=16, d_model=16, num_layers=2, g=g)

    def case(label, B, T, new, temperature, top_k, use_cache):
        for _ in range(100):  # draw again until no step is within rounding of another token (MARGIN)
            idx = torch.randint(0, 13, (B, T), generator=g)
            s = int(torch.randint(0, 2**31 - 1, (1,), generator=g))
            if new == 0 or _generate_margin(model, idx, new, temperature, top_k, s) > MARGIN:
                return Case(label, (model, idx, new),
                            {"temperature": temperature, "top_k": top_k, "use_cache": use_cache, "seed": s})
        raise AssertionError(f"generate: no case '{label}' with a margin above {MARGIN}")

    return [
        case("greedy, with the cache, B=2, prompt 3, 6 new", 2, 3, 6, 0.0, None, True),
        case("greedy, without the cache", 2, 3, 6, 0.0, None, False),
        case("sampled, with the cache, B=3, prompt 4, 8 new", 3, 4, 8, 1.0, None, True),
        case("sampled, without the cache", 3, 4, 8, 1.0, None, False),
        case("top_k 4, temperature 1.5, with the cache", 4, 2, 7, 1.5, 4, True),
        case("batch 1, prompt 1, 15 new (up to max_len)", 1, 1, 15, 1.0, None, True),
        case("no new tokens", 2, 5, 0, 1.0, None, True),
    ]


def _generate_variant(feed="last", keep_cache=True, read="last", append="end", count=0):
    def generate(model, idx, max_new_tokens, temperature=1.0, top_k=None, use_cache=True, generator=None):
        cache = None
        with torch.no_grad():
            for i in range(max_new_tokens + count):
                if use_cache:
                    step = idx if i == 0 or feed == "all" else idx[:, -1:]
                    logits, new_cache = model(step, cache)
                    cache = new_cache if keep_cache else None
                else:
                    logits, _ = model(idx)
                row = logits[:, -1, :] if read == "last" else logits[:, 0, :]
                token = ref.sample_next_token(row, temperature, top_k, generator)[:, None]
                idx = torch.cat([idx, token] if append == "end" else [token, idx], dim=1)
        return idx
    return generate


GENERATE = GenerateExercise(
    "generate", ref.generate, _generate_cases, arg_names=["model", "idx", "max_new_tokens"], outputs=["tokens"],
    invoke=generator_invoke, gradients=False,
    mistakes=[
        Mistake("the whole sequence fed again together with the cache", _generate_variant(feed="all"),
                "once the cache holds the prompt, feed only the newest token, idx[:, -1:], with the cache."),
        Mistake("only the newest token fed, without the cache", _generate_variant(keep_cache=False),
                "logits, cache = model(idx[:, -1:], cache): keep the returned cache and pass it back, or "
                "the model sees one token and nothing before it."),
        Mistake("the next token sampled from the first position's logits", _generate_variant(read="first"),
                "the prediction for the next token is at the last position: logits[:, -1, :]."),
        Mistake("the new token put at the front of the sequence", _generate_variant(append="front"),
                "append it at the end: torch.cat([idx, next_token[:, None]], dim=1)."),
        Mistake("one token too many generated", _generate_variant(count=1),
                "loop max_new_tokens times: the result has T + max_new_tokens tokens."),
    ],
)


# -- language_model_loss --------------------------------------------------------------------------------------
def _loss_cases(seed):
    g = seeded(seed)

    def case(label, B, T, V):
        return Case(label, (randn(g, B, T, V, scale=2.0), torch.randint(0, V, (B, T), generator=g)))

    return [
        case("B=3, T=5, V=7", 3, 5, 7),
        case("batch 1, T=6, V=4", 1, 6, 4),
        case("T=2: one prediction per row, B=4, V=9", 4, 2, 9),
        case("B=2, T=8, V=11", 2, 8, 11),
    ]


def _flat(logits, idx):
    return logits.reshape(-1, logits.size(-1)), idx.reshape(-1)


def _loss_unshifted(logits, idx):
    return F.cross_entropy(*_flat(logits, idx))


def _loss_shifted_back(logits, idx):
    return F.cross_entropy(*_flat(logits[:, 1:], idx[:, :-1]))


def _loss_summed(logits, idx):
    return F.cross_entropy(*_flat(logits[:, :-1], idx[:, 1:]), reduction="sum")


def _loss_batch_mean_only(logits, idx):
    B = logits.size(0)
    return F.cross_entropy(*_flat(logits[:, :-1], idx[:, 1:]), reduction="none").reshape(B, -1).sum(1).mean()


def _loss_on_b_t_v(logits, idx):
    return F.cross_entropy(logits[:, :-1], idx[:, 1:])  # (B, T-1, V): F.cross_entropy reads axis 1 as the classes


def _loss_softmax_over_positions(logits, idx):
    logp = torch.log_softmax(logits[:, :-1], dim=1)  # over the positions, not the vocabulary
    return -logp.gather(-1, idx[:, 1:, None]).mean()


def _loss_no_log(logits, idx):
    probs = torch.softmax(logits[:, :-1], dim=-1)
    return -probs.gather(-1, idx[:, 1:, None]).mean()


LOSS = Exercise(
    "language_model_loss", ref.language_model_loss, _loss_cases, arg_names=["logits", "idx"], outputs=["loss"],
    mistakes=[
        Mistake("targets not shifted (each position scored on its own token)", _loss_unshifted,
                "position t must predict the NEXT token: score logits[:, :-1] against idx[:, 1:]. Scored on its own "
                "token, the model only learns to copy its input."),
        Mistake("targets shifted the wrong way (each position scored on the token before it)", _loss_shifted_back,
                "the prediction at position t is for the token at t + 1: logits[:, :-1] against idx[:, 1:], not "
                "logits[:, 1:] against idx[:, :-1]."),
        Mistake("the loss summed instead of averaged", _loss_summed,
                "take the mean over all B·(T-1) predictions (F.cross_entropy's default reduction): a sum grows "
                "with the batch and the length, and so would the step the optimizer takes."),
        Mistake("the loss averaged over the batch only (summed over the positions)", _loss_batch_mean_only,
                "average over every prediction, B·(T-1) of them, not only over the B rows: flatten (B, T-1, V) to "
                "(B·(T-1), V) and let F.cross_entropy take the mean."),
        Mistake("(B, T, V) logits passed to F.cross_entropy, which reads axis 1 as the classes", _loss_on_b_t_v,
                "F.cross_entropy wants the classes on axis 1: flatten to (B·(T-1), V) and (B·(T-1),) with reshape, "
                "or pass logits.transpose(1, 2), (B, V, T-1)."),
        Mistake("the softmax taken over the positions instead of the vocabulary", _loss_softmax_over_positions,
                "log_softmax over the last axis, the vocabulary (dim=-1): each position's V scores make one "
                "distribution over the next token."),
        Mistake("probabilities used where log-probabilities belong", _loss_no_log,
                "cross-entropy is the mean of -log p(next token): use log_softmax (or F.cross_entropy), not softmax."),
    ],
)


# -- train_step -----------------------------------------------------------------------------------------------
class _Steps:
    """Variants of train_step with one thing changed."""

    @staticmethod
    def build(train=True, zero="before backward", backward=True, step=True, returns="float", order="backward, step"):
        def train_step(model, optimizer, idx):
            if train:
                model.train()
            logits, _ = model(idx)
            loss = ref.language_model_loss(logits, idx)
            if zero == "before backward":
                optimizer.zero_grad()
            if order == "step, backward":
                if step:
                    optimizer.step()
                loss.backward()
            else:
                if backward:
                    loss.backward()
                if zero == "after backward":
                    optimizer.zero_grad()
                if step:
                    optimizer.step()
            return loss.item() if returns == "float" else loss.detach() if returns == "tensor" else loss
        return train_step


def _step_cases(seed):
    g = seeded(seed)

    def case(label, B, T, V, d_model, num_layers, lr=0.5):
        model = StandInGPT(vocab_size=V, max_len=T, d_model=d_model, num_layers=num_layers, g=g)
        batches = torch.randint(0, V, (2, B, T), generator=g)  # two batches, one per call
        return Case(label, (model, batches), {"lr": lr, "seed": int(torch.randint(0, 2**31 - 1, (1,), generator=g))})

    return [
        case("two steps, B=3, T=6, vocab 7", 3, 6, 7, 8, 1),
        case("two steps, batch 1, T=5, vocab 5, two layers", 1, 5, 5, 6, 2),
        case("two steps, B=4, T=2 (one prediction per row), vocab 9", 4, 2, 9, 8, 1),
    ]


TRAIN_STEP = Exercise(
    "train_step", ref.train_step, _step_cases, arg_names=["model", "idx (two batches, one per call)"],
    outputs=["losses returned", "optimizer steps per call", "gradient found by optimizer.step()",
             "backward passes per call", "parameters after the two calls"],
    invoke=train_step_invoke, gradients=False, rtol=1e-4, atol=1e-6,
    mistakes=[
        Mistake("the gradients never zeroed (they add up over the steps)", _Steps.build(zero="never"),
                "PyTorch adds each backward's gradients to .grad: call optimizer.zero_grad() before "
                "loss.backward() in every step, or the second step moves by the sum of both steps' gradients."),
        Mistake("the gradients zeroed after backward (step() finds none)", _Steps.build(zero="after backward"),
                "zero the gradients before loss.backward(), not between backward and step: step() then finds "
                "the gradients zeroed and the parameters do not move."),
        Mistake("loss.backward() missing", _Steps.build(backward=False),
                "without loss.backward() no gradient is computed and step() has nothing to apply: "
                "zero_grad, backward, step."),
        Mistake("optimizer.step() missing", _Steps.build(step=False),
                "backward only computes the gradients; optimizer.step() is what moves the parameters."),
        Mistake("optimizer.step() called before loss.backward()", _Steps.build(order="step, backward"),
                "step() applies the gradients .grad holds at that moment: compute them first, zero_grad, "
                "backward, then step."),
        Mistake("the model left in eval() mode", _Steps.build(train=False),
                "call model.train() at the start of the step: a model left in eval() (as after sampling) trains "
                "without its dropout."),
        Mistake("the loss returned as a tensor, not a Python float", _Steps.build(returns="tensor"),
                "return loss.item(): a float to print and plot, which keeps no graph alive."),
    ],
)
