"""Notebook 09: the reference GPT and its cache, sampling, generation; checks accept other correct code and
name learners' slips; the experiments measure what the notebook claims."""
import math

import pytest
import torch
import torch.nn.functional as F
from checking import VERIFY, assert_rejected
from torch import nn

import course_lib.solutions as S
from course_lib.checks import check_causal_self_attention, check_generate, check_gpt, check_sample_next_token
from course_lib.experiments import gpt as E
from course_lib.text import grammar


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
    assert_rejected(VERIFY, "generate", generate_preallocated, seed=9311, names="runs the reference solution")


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
    assert_rejected(check_causal_self_attention, impl, names=name)


class GptRestartsPositions(GptOwnLength):
    def forward(self, idx, cache=None):
        x = self.drop(self.tok_embed(idx) + self.pos_embed(torch.arange(idx.size(1))))
        layers = []
        for i, block in enumerate(self.blocks):
            x, c = block(x, None if cache is None else cache["layers"][i])
            layers.append(c)
        return self.head(self.ln_f(x)), {"layers": layers}


def test_gpt_positions_restarted_are_named():
    assert_rejected(check_gpt, GptRestartsPositions, names="positions restarted at 0 with a cache")


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
    assert_rejected(check_sample_next_token, impl, names=name)


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


# -- the loss and the training step (issue 31, part 5) --------------------------------------------------------
from course_lib.checks import EXERCISES as E_checks  # noqa: E402
from course_lib.checks import check_language_model_loss, check_train_step  # noqa: E402


def test_language_model_loss_scores_position_t_against_token_t_plus_1():
    torch.manual_seed(0)
    logits, idx = torch.randn(3, 6, 7), torch.randint(0, 7, (3, 6))
    by_hand = torch.stack([-logits[b, t].log_softmax(-1)[idx[b, t + 1]] for b in range(3) for t in range(5)]).mean()
    torch.testing.assert_close(S.language_model_loss(logits, idx), by_hand)
    uniform = S.language_model_loss(torch.zeros(2, 4, 5), torch.zeros(2, 4, dtype=torch.long))
    assert abs(uniform.item() - math.log(5)) < 1e-6


def test_train_step_returns_a_float_trains_and_leaves_the_model_in_train_mode():
    model = tiny_gpt()  # in eval()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    idx = torch.randint(0, 11, (4, 12), generator=torch.Generator().manual_seed(0))
    losses = [S.train_step(model, optimizer, idx) for _ in range(30)]
    assert all(type(loss) is float for loss in losses) and model.training
    assert losses[-1] < 0.5 * losses[0]  # one batch, learned by heart


def loss_transposed(logits, idx):
    return F.cross_entropy(logits[:, :-1].transpose(1, 2), idx[:, 1:])  # (B, V, T-1) against (B, T-1)


def loss_by_hand_float64(logits, idx):
    logp = logits[:, :-1].double().log_softmax(dim=-1)
    return -logp.gather(-1, idx[:, 1:].unsqueeze(-1)).mean().float()


def loss_flatten(logits, idx):
    return F.cross_entropy(logits[:, :-1].flatten(0, 1), idx[:, 1:].flatten())


def loss_view(logits, idx):
    B, T, V = logits.shape
    return F.cross_entropy(logits[:, :T - 1].contiguous().view(B * (T - 1), V), idx[:, 1:].contiguous().view(-1))


def step_zero_first_none_false(model, optimizer, idx):
    optimizer.zero_grad(set_to_none=False)
    model.train()
    loss = loss_transposed(model(idx)[0], idx)  # the learner's own loss (the hidden check refuses the reference's)
    loss.backward()
    optimizer.step()
    return float(loss.detach())


def step_model_zero_grad_after_step(model, optimizer, idx):
    model.train(True)
    logits, _ = model(idx)
    loss = loss_by_hand_float64(logits, idx)
    loss.backward()
    optimizer.step()
    model.zero_grad()  # zeroed after the step: the next step starts clean too
    return loss.detach().item()


@pytest.mark.parametrize("impl", [loss_transposed, loss_by_hand_float64, loss_flatten, loss_view])
def test_language_model_loss_written_differently_passes_public_and_hidden_checks(impl):
    check_language_model_loss(impl)
    assert VERIFY("language_model_loss", impl, seed=9419)


@pytest.mark.parametrize("impl", [step_zero_first_none_false, step_model_zero_grad_after_step])
def test_train_step_written_differently_passes_public_and_hidden_checks(impl):
    check_train_step(impl)
    assert VERIFY("train_step", impl, seed=9521)


def loss_unshifted(logits, idx):
    return F.cross_entropy(logits.transpose(1, 2), idx)


def loss_backwards(logits, idx):
    return F.cross_entropy(logits[:, 1:].transpose(1, 2), idx[:, :-1])


def loss_summed(logits, idx):
    return F.cross_entropy(logits[:, :-1].transpose(1, 2), idx[:, 1:], reduction="sum")


def loss_per_sequence(logits, idx):
    per_token = F.cross_entropy(logits[:, :-1].transpose(1, 2), idx[:, 1:], reduction="none")  # (B, T-1)
    return per_token.sum(dim=1).mean()


def loss_classes_on_axis_2(logits, idx):
    return F.cross_entropy(logits[:, :-1], idx[:, 1:])


def loss_item(logits, idx):
    return loss_transposed(logits, idx).item()


@pytest.mark.parametrize("impl,name", [
    (loss_unshifted, "targets not shifted"),
    (loss_backwards, "targets shifted the wrong way"),
    (loss_summed, "the loss summed instead of averaged"),
    (loss_per_sequence, "averaged over the batch only"),
    (loss_classes_on_axis_2, "reads axis 1 as the classes"),
    (loss_item, "should be a torch.Tensor"),
])
def test_language_model_loss_slips_are_named(impl, name):
    assert_rejected(check_language_model_loss, impl, names=name)
    assert_rejected(VERIFY, "language_model_loss", impl, seed=9419, names=name)


def make_step(train=True, zero="first", backward=True, step=True, as_float=True):
    def train_step(model, optimizer, idx):
        if zero == "first":
            optimizer.zero_grad()
        if train:
            model.train()
        logits, _ = model(idx)
        loss = loss_transposed(logits, idx)
        if backward:
            loss.backward()
        if zero == "after backward":
            optimizer.zero_grad()
        if step:
            optimizer.step()
        return loss.item() if as_float else loss
    return train_step


@pytest.mark.parametrize("impl,name", [
    (make_step(zero="never"), "the gradients never zeroed"),
    (make_step(zero="after backward"), "the gradients zeroed after backward"),
    (make_step(backward=False), "loss.backward() missing"),
    (make_step(step=False), "optimizer.step() missing"),
    (make_step(train=False), "the model left in eval() mode"),
    (make_step(as_float=False), "the loss returned as a tensor"),
])
def test_train_step_slips_are_named(impl, name):
    assert_rejected(check_train_step, impl, names=name)
    assert_rejected(VERIFY, "train_step", impl, seed=9521, names=name)


def test_a_train_step_on_a_failing_loss_of_the_learner_names_the_loss():
    namespace = {"F": F, "torch": torch}
    exec("def language_model_loss(logits, idx):\n"  # the learner's, unshifted
         "    return F.cross_entropy(logits.transpose(1, 2), idx)\n"
         "def train_step(model, optimizer, idx):\n"
         "    model.train()\n"
         "    loss = language_model_loss(model(idx)[0], idx)\n"
         "    optimizer.zero_grad()\n"
         "    loss.backward()\n"
         "    optimizer.step()\n"
         "    return loss.item()\n", namespace)
    failure = assert_rejected(check_train_step, namespace["train_step"], names="language_model_loss")
    assert failure.blamed == "language_model_loss"


# -- the real text and the heads (issue 31, parts 3 and 4) ----------------------------------------------------
def test_words_of_the_text_and_the_random_baseline():
    text = E.text_corpus()[0]
    known = set(E.words_of(text))
    assert {"thou", "question", "hamlet"} <= known and "a" not in known  # 3 letters and more, lower case
    share, n = E.word_share(["To be, or not to be: that is the question"], known)
    assert n == 4 and share == 1.0  # not, that, the, question; "To", "be", "or", "is" are too short
    noise = E.random_characters(text, 20_000, seed=0)
    assert len(noise) == 20_000 and set(noise) <= set(text) and noise == E.random_characters(text, 20_000, seed=0)
    assert E.word_share([noise], known)[0] < 0.05  # random letters rarely spell a word of 3+ letters


def test_agreement_items_point_at_the_subject_and_the_verb():
    for text, (v0, v1), (first, last) in E.agreement_items(50):
        noun, stem = text[first:last + 1], text[v0:v1 + 1]
        assert noun in grammar.NOUNS or noun in {grammar.plural(n) for n in grammar.NOUNS}
        assert stem in grammar.VERBS  # the stem, before any agreement ending
        singular = noun in grammar.NOUNS
        assert text[v1 + 1] == (grammar.singular(stem)[len(stem)] if singular else " ")


def test_attention_weights_are_the_weights_the_model_uses():
    model = tiny_gpt()
    idx = torch.randint(0, 11, (2, 9), generator=torch.Generator().manual_seed(1))
    maps = E.attention_weights(model, idx, num_heads=2)
    assert len(maps) == 2 and maps[0].shape == (2, 2, 9, 9)
    torch.testing.assert_close(maps[0].sum(-1), torch.ones(2, 2, 9))
    assert (maps[0].triu(1) == 0).all()  # causal
    x = model.blocks[0].ln_1(model.tok_embed(idx) + model.pos_embed(torch.arange(9)))
    attn = model.blocks[0].attn
    with torch.no_grad():
        out, _ = attn(x)
        v = S.split_heads(attn.w_v(x), 2)
        torch.testing.assert_close(attn.w_o(S.merge_heads(maps[0] @ v)), out)


def test_subject_weights_and_chance():
    model, vocab = tiny_gpt(vocab_size=27, max_len=48), E.corpus(E.LMConfig(sentences=200))[1]
    items = E.agreement_items(20)
    weights, chance = E.subject_weights(model, vocab, items, num_heads=2)
    assert weights.shape == (2, 2, 20) and chance.shape == (20,)
    assert ((weights >= 0) & (weights <= 1)).all() and ((chance > 0) & (chance < 1)).all()
    text, (v0, v1), (first, last) = items[0]
    want = sum((last - first + 1) / (q + 1) for q in range(v0, v1 + 1)) / (v1 - v0 + 1)
    assert abs(chance[0].item() - want) < 1e-6
    assert 0.0 <= E.agreement_accuracy(model, vocab, items) <= 1.0


def test_training_on_the_real_text_runs_the_given_train_step():
    calls = []

    def counting_step(model, optimizer, idx):
        calls.append(tuple(idx.shape))
        return S.train_step(model, optimizer, idx)

    config = E.TextConfig(context=16, d_model=16, d_ff=32, batch=4, steps=3)
    model, vocab, history = E.train_on_text(S.GPT, counting_step, config)
    assert calls == [(4, 16)] * 3 and history.steps == 3 and len(vocab) == 73 and not model.training


def test_the_graders_worker_grades_the_loss_and_the_step_as_the_notebook_does():
    """The grader runs the learner's code in its worker (`Remote`): the stand-in model, the two batches and the
    watched optimizer's record travel as plain data; the verdicts and the named mistake are the ones seen here."""
    from test_diagnosis import _WorkerSession

    from autograde.engine.verdict import RemoteImplementation

    source = ("import torch.nn.functional as F\n"
              "def language_model_loss(logits, idx):\n"
              "    return F.cross_entropy(logits[:, :-1].transpose(1, 2), idx[:, 1:])\n"
              "def train_step(model, optimizer, idx):\n"
              "    model.train()\n"
              "    loss = language_model_loss(model(idx)[0], idx)\n"
              "    loss.backward()\n"  # never zeroed
              "    optimizer.step()\n"
              "    return loss.item()\n")
    session = _WorkerSession(source)
    try:
        assert E_checks["language_model_loss"].check(RemoteImplementation(session, "language_model_loss"),
                                                     seed=9419, quiet=True, strict=True)
        assert_rejected(E_checks["train_step"].check, RemoteImplementation(session, "train_step"), seed=9521,
                        quiet=True, strict=True, names="the gradients never zeroed")
    finally:
        session.close()

