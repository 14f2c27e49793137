"""Notebook 09: the reference GPT and its cache, sampling, generation; checks accept other correct code and
name learners' slips; the experiments measure what the notebook claims."""
import math
import re
import runpy

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import course_lib
import course_lib.solutions as S
from course_lib.checks import check_causal_self_attention, check_generate, check_gpt, check_sample_next_token
from course_lib.experiments import gpt as E
from course_lib.text import grammar

VERIFY = runpy.run_path(course_lib.__path__[0] + "/checks/_trusted.py")["verify"]


def tiny_gpt(seed=0, **sizes):
    torch.manual_seed(seed)
    args = {"vocab_size": 11, "max_len": 20, "d_model": 16, "num_heads": 2, "num_layers": 2, "d_ff": 24, **sizes}
    return S.GPT(**args).eval()


# -- the reference ------------------------------------------------------------------------------------------
def test_cached_logits_equal_full_logits_chunk_by_chunk():
    model = tiny_gpt()
    idx = torch.randint(0, 11, (3, 12))
    with torch.no_grad():
        full, cache = model(idx)
        out, c = model(idx[:, :4])
        pieces = [out]
        for start, size in ((4, 1), (5, 3), (8, 4)):
            out, c = model(idx[:, start:start + size], c)
            pieces.append(out)
    torch.testing.assert_close(torch.cat(pieces, dim=1), full)
    assert len(cache) == 2 and cache[0][0].shape == (3, 2, 12, 8), "(k, v) per layer, each (B, h, T, d)"


def test_attention_is_causal():
    model = tiny_gpt()
    idx = torch.randint(0, 11, (2, 10))
    changed = idx.clone()
    changed[:, 6:] = (changed[:, 6:] + 1) % 11
    with torch.no_grad():
        a, _ = model(idx)
        b, _ = model(changed)
    torch.testing.assert_close(a[:, :6], b[:, :6])
    assert not torch.allclose(a[:, 6:], b[:, 6:])


def test_causal_self_attention_equals_torch_sdpa_with_is_causal():
    torch.manual_seed(0)
    attn = S.CausalSelfAttention(12, 3).eval()
    x = torch.randn(2, 7, 12)
    out, (k, v) = attn(x)
    q = S.split_heads(attn.w_q(x), 3)
    expected = attn.w_o(S.merge_heads(F.scaled_dot_product_attention(q, k, v, is_causal=True)))
    torch.testing.assert_close(out, expected)


def test_members_follow_the_contract():
    model = tiny_gpt()
    assert isinstance(model.tok_embed, nn.Embedding) and isinstance(model.pos_embed, nn.Embedding)
    assert isinstance(model.blocks, nn.ModuleList) and isinstance(model.ln_f, nn.LayerNorm)
    assert isinstance(model.head, nn.Linear)


def test_sampling_temperature_zero_is_argmax_and_top_k_keeps_k():
    logits = torch.randn(200, 9)
    assert torch.equal(S.sample_next_token(logits, temperature=0), logits.argmax(-1))  # one argmax, same tensor
    tokens = S.sample_next_token(logits, top_k=3, generator=torch.Generator().manual_seed(0))
    top3 = logits.topk(3, dim=-1).indices
    assert (top3 == tokens[:, None]).any(-1).all()
    assert S.sample_next_token(logits, top_k=1).equal(logits.argmax(-1))


def test_sampling_is_reproducible_with_a_generator():
    logits = torch.randn(50, 6)
    a = S.sample_next_token(logits, generator=torch.Generator().manual_seed(5))
    b = S.sample_next_token(logits, generator=torch.Generator().manual_seed(5))
    assert a.dtype == torch.long and a.shape == (50,) and torch.equal(a, b)  # integer tokens: exact


@pytest.mark.parametrize("temperature,top_k", [(0.0, None), (1.0, None), (0.7, 4)])
def test_generate_with_and_without_cache_gives_the_same_tokens(temperature, top_k):
    # The cached and the uncached loop multiply matrices of other shapes, so their logits agree only to rounding.
    # In float64 that rounding is about 1e-15: a token flips only if two logits (or a sampled draw and a
    # cumulative probability) lie within 1e-13 of each other, which has a probability under 1e-10 per token
    # here. So the tokens are compared exactly, in float64, and the logits within a stated tolerance.
    model = tiny_gpt().double()
    prompt = torch.randint(0, 11, (3, 4), generator=torch.Generator().manual_seed(0))
    runs = [S.generate(model, prompt, 14, temperature, top_k, use_cache=c, generator=torch.Generator().manual_seed(1))
            for c in (True, False)]
    assert runs[0].shape == (3, 18) and torch.equal(runs[0], runs[1])  # long tokens: exact
    assert torch.equal(runs[0][:, :4], prompt)  # integer tokens: exact


# -- correct, written differently: must pass ----------------------------------------------------------------
class AttentionTorchSdpa(nn.Module):
    """PyTorch's fused attention, a float mask, the cache kept as (B, T, D) tensors before the heads split."""

    def __init__(self, d_model, num_heads, dropout=0.0):
        super().__init__()
        self.h = num_heads
        self.w_q, self.w_k, self.w_v, self.w_o = (nn.Linear(d_model, d_model) for _ in range(4))
        self.drop = nn.Dropout(dropout)

    def forward(self, x, cache=None):
        k, v = self.w_k(x), self.w_v(x)
        if cache is not None:
            k, v = torch.cat([cache[0], k], 1), torch.cat([cache[1], v], 1)
        T, T_all = x.size(1), k.size(1)
        bias = torch.zeros(T, T_all).masked_fill(
            torch.arange(T_all)[None, :] > torch.arange(T_all - T, T_all)[:, None], float("-inf"))
        heads = lambda t: t.unflatten(-1, (self.h, -1)).transpose(1, 2)  # noqa: E731
        out = F.scaled_dot_product_attention(heads(self.w_q(x)), heads(k), heads(v), attn_mask=bias)
        return self.drop(self.w_o(out.transpose(1, 2).flatten(2))), (k, v)


class BlockOf(nn.Module):
    def __init__(self, attention, d_model, num_heads, d_ff, dropout):
        super().__init__()
        self.ln_1, self.ln_2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.attn = attention(d_model, num_heads, dropout)
        self.mlp = S.FeedForward(d_model, d_ff, dropout)

    def forward(self, x, cache=None):
        a, cache = self.attn(self.ln_1(x), cache)
        x = x + a
        return x + self.mlp(self.ln_2(x)), cache


class GptOwnLength(nn.Module):
    """Counts the cached positions from its own cache format (dicts), blocks built on the fused attention."""

    def __init__(self, vocab_size, max_len, d_model, num_heads, num_layers, d_ff, dropout=0.0):
        super().__init__()
        self.max_len = max_len
        self.tok_embed, self.pos_embed = nn.Embedding(vocab_size, d_model), nn.Embedding(max_len, d_model)
        self.blocks = nn.ModuleList(BlockOf(AttentionTorchSdpa, d_model, num_heads, d_ff, dropout)
                                    for _ in range(num_layers))
        self.ln_f, self.head = nn.LayerNorm(d_model), nn.Linear(d_model, vocab_size)
        self.drop = nn.Dropout(dropout)

    def forward(self, idx, cache=None):
        past = 0 if cache is None else cache["length"]
        x = self.drop(self.tok_embed(idx) + self.pos_embed.weight[past:past + idx.size(1)])
        layers = []
        for i, block in enumerate(self.blocks):
            x, c = block(x, None if cache is None else cache["layers"][i])
            layers.append(c)
        return self.head(self.ln_f(x)), {"length": past + idx.size(1), "layers": layers}


def sample_gumbel_free(logits, temperature=1.0, top_k=None, generator=None):
    """Sorts instead of topk, softmax in float64."""
    if temperature == 0:
        return torch.max(logits, dim=-1).indices
    scaled = logits / temperature
    if top_k:
        kth = scaled.sort(dim=-1, descending=True).values[:, top_k - 1:top_k]
        scaled = torch.where(scaled >= kth, scaled, torch.tensor(float("-inf")))
    probs = scaled.double().softmax(-1).float()
    return torch.multinomial(probs, 1, generator=generator)[:, 0]


def generate_preallocated(model, idx, max_new_tokens, temperature=1.0, top_k=None, use_cache=True, generator=None):
    B, T = idx.shape
    out = torch.empty(B, T + max_new_tokens, dtype=torch.long)
    out[:, :T] = idx
    cache, fed = None, 0
    with torch.no_grad():
        for t in range(T, T + max_new_tokens):
            if use_cache:
                logits, cache = model(out[:, fed:t], cache)
                fed = t
            else:
                logits, _ = model(out[:, :t])
            out[:, t] = S.sample_next_token(logits[:, -1], temperature, top_k, generator)
    return out


def test_attention_written_differently_passes_public_and_hidden_checks():
    check_causal_self_attention(AttentionTorchSdpa)
    assert VERIFY("CausalSelfAttention", AttentionTorchSdpa, seed=9011)


def test_gpt_with_its_own_cache_format_passes_public_and_hidden_checks():
    check_gpt(GptOwnLength)
    assert VERIFY("GPT", GptOwnLength, seed=9127)


def test_sampling_and_generation_written_differently_pass():
    check_sample_next_token(sample_gumbel_free)
    assert VERIFY("sample_next_token", sample_gumbel_free, seed=9203)
    check_generate(generate_preallocated)


def test_hidden_generate_check_refuses_the_reference_sampler():
    with pytest.raises(AssertionError, match="runs the reference solution"):
        VERIFY("generate", generate_preallocated, seed=9311)


# -- learners' slips: must fail and be named ------------------------------------------------------------------
class SlipAttention(AttentionTorchSdpa):
    slip = None

    def forward(self, x, cache=None):
        q, k, v = (t.unflatten(-1, (self.h, -1)).transpose(1, 2) for t in (self.w_q(x), self.w_k(x), self.w_v(x)))
        if cache is not None:
            dim = -1 if self.slip == "cat features" else 2
            k, v = torch.cat([cache[0], k], dim), torch.cat([cache[1], v], dim)
        T, T_all = x.size(1), k.size(2)
        mask = {"no mask": torch.ones(T, T_all, dtype=torch.bool),
                "peek": torch.ones(T, T_all, dtype=torch.bool).tril(T_all - T + 1),
                "top left": torch.ones(T, T_all, dtype=torch.bool).tril(),
                "square": S.causal_mask(T)}.get(self.slip, torch.ones(T, T_all, dtype=torch.bool).tril(T_all - T))
        out, _ = S.scaled_dot_product_attention(q, k, v, mask)
        return self.drop(self.w_o(S.merge_heads(out))), (k, v)


@pytest.mark.parametrize("slip,name", [
    ("no mask", "no causal mask"),
    ("peek", "the mask off by one"),
    ("top left", "aligned to the top left"),
    ("square", "built for the new tokens only"),
    ("cat features", "cache concatenated on the wrong axis"),
])
def test_attention_slips_are_named(slip, name):
    impl = type(f"Slip_{slip.replace(' ', '_')}", (SlipAttention,), {"slip": slip})
    with pytest.raises(AssertionError, match=re.escape(name)):
        check_causal_self_attention(impl)


class GptRestartsPositions(GptOwnLength):
    def forward(self, idx, cache=None):
        x = self.drop(self.tok_embed(idx) + self.pos_embed(torch.arange(idx.size(1))))
        layers = []
        for i, block in enumerate(self.blocks):
            x, c = block(x, None if cache is None else cache["layers"][i])
            layers.append(c)
        return self.head(self.ln_f(x)), {"layers": layers}


def test_gpt_positions_restarted_are_named():
    with pytest.raises(AssertionError, match="positions restarted at 0 with a cache"):
        check_gpt(GptRestartsPositions)


def sample_after_softmax(logits, temperature=1.0, top_k=None, generator=None):
    if temperature == 0:
        return logits.argmax(-1)
    if top_k:
        logits = logits.masked_fill(logits < logits.topk(top_k).values[:, -1:], float("-inf"))
    probs = logits.softmax(-1) / temperature
    return torch.multinomial(probs, 1, generator=generator).squeeze(1)


def sample_from_logits(logits, temperature=1.0, top_k=None, generator=None):
    if temperature == 0:
        return logits.argmax(-1)
    logits = logits / temperature
    if top_k:
        logits = logits.masked_fill(logits < logits.topk(top_k).values[:, -1:], float("-inf"))
    return torch.multinomial(logits, 1, generator=generator).squeeze(1)


def sample_top_k_plus_one(logits, temperature=1.0, top_k=None, generator=None):
    if temperature == 0:
        return logits.argmax(-1)
    logits = logits / temperature
    if top_k:
        kth = logits.topk(top_k + 1).values[:, -1:]
        logits = logits.masked_fill(logits < kth, -1e9)
    return torch.multinomial(logits.softmax(-1), 1, generator=generator).squeeze(1)


@pytest.mark.parametrize("impl,name", [
    (sample_after_softmax, "temperature applied after the softmax"),
    (sample_from_logits, "sampling from the logits instead of the probabilities"),
    (sample_top_k_plus_one, "top-k keeping k+1 tokens"),
])
def test_sampling_slips_are_named(impl, name):
    with pytest.raises(AssertionError, match=re.escape(name)):
        check_sample_next_token(impl)


# -- text and experiments ---------------------------------------------------------------------------------
def test_the_grammar_is_reproducible_and_recognised():
    text = grammar.text(200, seed=4)
    assert text == grammar.text(200, seed=4) and text != grammar.text(200, seed=5)
    assert all(grammar.is_sentence(line) for line in text.splitlines())
    assert not grammar.is_sentence("the cats sees the dog .")
    assert not grammar.is_sentence("the cat see the dog .")


def test_a_short_training_lowers_the_loss():
    config = E.LMConfig(sentences=300, steps=40, context=24, d_model=32, d_ff=64)
    model, vocab, history = E.train_language_model(S.GPT, config)
    assert history.losses[-1] < 0.75 * history.losses[0]
    assert len(E.samples(model, vocab, S.generate, n=2, length=10)) == 2


def test_cache_does_less_work_for_long_generation_and_its_memory_per_position_is_as_computed():
    """What the cache saves is counted in FLOPs, which no busy machine changes; how much faster that is lives in
    make bench. The timing helper is only asked to measure: one number per generated token."""
    from torch.utils.flop_counter import FlopCounterMode

    model = tiny_gpt(max_len=130, d_model=32, num_heads=4)
    flops = {}
    for use_cache in (True, False):
        with FlopCounterMode(display=False) as counter:
            S.generate(model, torch.zeros(1, 1, dtype=torch.long), 64, temperature=0, use_cache=use_cache)
        flops[use_cache] = counter.get_total_flops()
    assert flops[False] > 10 * flops[True] > 0, flops  # the whole prefix again at each of 64 steps
    times = E.time_per_token(model, 16, True, repeats=1)
    assert len(times) == 16 and all(math.isfinite(s) and s > 0 for s in times)
    total, per_position = E.cache_memory(model, 10)
    assert per_position == 2 * 2 * 32 * 4 and total == 10 * per_position
