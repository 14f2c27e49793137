"""Every check, whatever its notebook: the reference passes, every known mistake fails and is named,
and an implementation that writes into its inputs or returns the wrong shape is told so."""
import re
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import course_lib.solutions as solutions
from course_lib.checks import EXERCISES
from course_lib.checks.framework import snake_case_check_name

CATALOG = [(name, m) for name, ex in EXERCISES.items() for m in ex.mistakes]


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_reference_passes_its_check(name, capsys):
    EXERCISES[name].check(getattr(solutions, name))
    line = capsys.readouterr().out.strip()
    assert line.startswith("\u2714") and "\n" not in line, "a check prints one short line on success"


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_check_function_is_exported_under_its_contract_name(name):
    import course_lib.checks as checks

    assert callable(getattr(checks, snake_case_check_name(name)))


@pytest.mark.parametrize("name,mistake", CATALOG, ids=[f"{n}:{m.name}" for n, m in CATALOG])
def test_known_mistake_is_rejected_and_named(name, mistake):
    with pytest.raises(AssertionError) as failure:
        EXERCISES[name].check(mistake.impl, quiet=True)
    assert mistake.name in str(failure.value), f"the message should name the mistake:\n{failure.value}"


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_not_implemented_stub_is_reported_as_such(name):
    def stub(*args, **kwargs):
        raise NotImplementedError()

    with pytest.raises(AssertionError, match="not implemented yet"):
        EXERCISES[name].check(stub, quiet=True)


def test_writing_into_an_input_fails():
    def softmax_in_place(x, dim=-1):
        x -= x.amax(dim=dim, keepdim=True)
        x.exp_()
        return x / x.sum(dim=dim, keepdim=True)

    with pytest.raises(AssertionError, match="wrote into its input `x`"):
        EXERCISES["softmax"].check(softmax_in_place, quiet=True)


def test_a_tensor_subclass_is_not_accepted_as_output():
    class Always(torch.Tensor):
        pass

    def sneaky(x, dim=-1):
        return solutions.softmax(x, dim).as_subclass(Always)

    with pytest.raises(AssertionError, match="should be a torch.Tensor"):
        EXERCISES["softmax"].check(sneaky, quiet=True)


def _detached(output):
    if isinstance(output, torch.Tensor):
        return output.detach()
    if isinstance(output, (tuple, list)):
        return type(output)(_detached(o) for o in output)
    return output


def _differentiable(ex):
    """Whether the reference's outputs carry gradients back to an input or a parameter on the first case."""
    _, grads = ex._run_backward(ex.reference, ex.cases(0)[0])
    return any(g is not None for g in grads.values())


DIFFERENTIABLE = sorted(n for n, ex in EXERCISES.items() if ex.gradients and _differentiable(ex))
MODULES_WITH_DROPOUT = sorted(n for n, ex in EXERCISES.items() if getattr(ex, "takes_dropout", False))


def _variant(name, change):
    """The reference with its outputs passed through `change`: a function wrapper, or a subclass for a class."""
    ref = getattr(solutions, name)
    if isinstance(ref, type):
        method = getattr(EXERCISES[name], "method", "forward")
        return type(f"Changed{name}", (ref,), {method: lambda self, *a, **k: change(getattr(ref, method)(self, *a, **k),
                                                                                    self)})
    return lambda *a, **k: change(ref(*a, **k), None)


def test_there_are_differentiable_exercises_and_modules_with_dropout():
    assert {"softmax", "MultiHeadAttention", "rnn_forward"} <= set(DIFFERENTIABLE)
    assert "MultiHeadAttention" in MODULES_WITH_DROPOUT


@pytest.mark.parametrize("name", DIFFERENTIABLE)
def test_right_values_without_gradients_are_rejected_as_detached(name):
    """`.detach()`, `torch.no_grad()` or `.data` give the right numbers but nothing could train."""
    with pytest.raises(AssertionError, match="detached from its inputs"):
        EXERCISES[name].check(_variant(name, lambda out, module: _detached(out)), quiet=True)


@pytest.mark.parametrize("name", MODULES_WITH_DROPOUT)
def test_dropout_left_on_in_eval_is_named(name):
    def always_drop(out, module):
        first = out[0] if isinstance(out, tuple) else out
        dropped = torch.nn.functional.dropout(first, 0.25, training=True)
        return (dropped, *out[1:]) if isinstance(out, tuple) else dropped

    with pytest.raises(AssertionError, match=r"dropout applied in eval\(\)"):
        EXERCISES[name].check(_variant(name, always_drop), quiet=True)


@pytest.mark.parametrize("name", MODULES_WITH_DROPOUT)
def test_dropout_never_applied_in_train_is_named(name):
    ref = getattr(solutions, name)
    NoDropout = type(f"NoDropout{name}", (ref,), {"__init__": lambda self, *a: ref.__init__(
        self, *[0.0 if p == "dropout" else v for p, v in zip(list(EXERCISES[name].cases(0)[0].init), a)])})
    with pytest.raises(AssertionError, match="dropout is never applied"):
        EXERCISES[name].check(NoDropout, quiet=True)


# -- a ✔ means right: code that is wrong in the ways learners write it fails, with its reason named ---------------
# (issue 18, part 1). Each wrong implementation below is written as a learner would write it, not taken from
# the catalog; each correct one is written differently from the reference and must pass.

def _rejected(name, impl, *phrases, seed=0):
    """The check of `name` fails `impl` with a message holding every phrase; the message, for more asserts."""
    with pytest.raises(AssertionError) as failure:
        EXERCISES[name].check(impl, seed=seed, quiet=True)
    message = str(failure.value)
    for phrase in phrases:
        assert phrase in message, f"the message should say {phrase!r}:\n{message}"
    return message


def _accepted(name, impl, seed=0):
    assert EXERCISES[name].check(impl, seed=seed, quiet=True)


def loss_under_no_grad(model, src, tgt, src_mask=None, pad_id=None):
    with torch.no_grad():
        logits = model(src, tgt[:, :-1], src_mask)
        return F.cross_entropy(logits.reshape(-1, logits.size(-1)), tgt[:, 1:].reshape(-1),
                               ignore_index=-100 if pad_id is None else pad_id)


def loss_as_a_number(model, src, tgt, src_mask=None, pad_id=None):
    logits = model(src, tgt[:, :-1], src_mask)
    loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), tgt[:, 1:].reshape(-1),
                           ignore_index=-100 if pad_id is None else pad_id)
    return loss.item()


def loss_on_b_v_t(model, src, tgt, src_mask=None, pad_id=None):
    """cross_entropy takes the classes on axis 1: (B, V, T) logits against (B, T) targets."""
    logits = model(src, tgt[:, :-1], src_mask)  # (B, T-1, V)
    return F.cross_entropy(logits.transpose(1, 2), tgt[:, 1:], ignore_index=-100 if pad_id is None else pad_id)


@pytest.mark.parametrize("impl", [loss_under_no_grad, loss_as_a_number])
def test_a_loss_no_gradient_can_leave_is_named(impl):
    """seq2seq_loss under torch.no_grad() or through .item(): right numbers, but the model passed in cannot learn."""
    _rejected("seq2seq_loss", impl, "no gradient reaches the model's parameters", "torch.no_grad()", ".item()")


def test_cross_entropy_on_b_v_t_is_accepted():
    _accepted("seq2seq_loss", loss_on_b_v_t)


def _sample(logits, temperature, top_k, generator):
    return solutions.sample_next_token(logits, temperature, top_k, generator)


def generate_without_cache(model, idx, max_new_tokens, temperature=1.0, top_k=None, use_cache=True, generator=None):
    """The whole sequence through the model at every step, whatever use_cache says."""
    with torch.no_grad():
        for _ in range(max_new_tokens):
            logits, _ = model(idx)
            idx = torch.cat([idx, _sample(logits[:, -1], temperature, top_k, generator)[:, None]], dim=1)
    return idx


def generate_dropping_the_cache(model, idx, max_new_tokens, temperature=1.0, top_k=None, use_cache=True,
                                generator=None):
    """Asks for the cache and throws it away: `cache = None` each step, so the next call starts over."""
    with torch.no_grad():
        for _ in range(max_new_tokens):
            cache = None
            logits, cache = model(idx, cache)
            idx = torch.cat([idx, _sample(logits[:, -1], temperature, top_k, generator)[:, None]], dim=1)
    return idx


def generate_ignoring_use_cache(model, idx, max_new_tokens, temperature=1.0, top_k=None, use_cache=True,
                                generator=None):
    """Always the cached path, even with use_cache=False."""
    cache, step = None, idx
    with torch.no_grad():
        for _ in range(max_new_tokens):
            logits, cache = model(step, cache)
            step = _sample(logits[:, -1], temperature, top_k, generator)[:, None]
            idx = torch.cat([idx, step], dim=1)
    return idx


def generate_prompt_one_token_at_a_time(model, idx, max_new_tokens, temperature=1.0, top_k=None, use_cache=True,
                                        generator=None):
    """Correct, written otherwise: the prompt enters the cache one token at a time (matrices of other shapes)."""
    with torch.no_grad():
        if not use_cache:
            for _ in range(max_new_tokens):
                logits = model(idx)[0][:, -1]
                idx = torch.cat([idx, _sample(logits, temperature, top_k, generator)[:, None]], dim=1)
            return idx
        cache, logits = None, None
        for t in range(idx.size(1)):
            logits, cache = model(idx[:, t:t + 1], cache)
        for step in range(max_new_tokens):
            token = _sample(logits[:, -1], temperature, top_k, generator)[:, None]
            idx = torch.cat([idx, token], dim=1)
            if step < max_new_tokens - 1:
                logits, cache = model(token, cache)
    return idx


@pytest.mark.parametrize("impl,phrase", [
    (generate_without_cache, "never passes a cache back to the model"),
    (generate_dropping_the_cache, "never passes a cache back to the model"),
    (generate_ignoring_use_cache, "with use_cache=False your generate still passes a cache"),
])
def test_a_generate_that_does_not_use_the_cache_as_told_is_named(impl, phrase):
    """Right tokens from a generate that never uses the cache, or always does, are not a ✔."""
    _rejected("generate", impl, phrase)


def test_a_generate_feeding_the_prompt_one_token_at_a_time_is_accepted():
    _accepted("generate", generate_prompt_one_token_at_a_time)
    for seed in (1, 9311):  # and on the hidden tests' cases
        _accepted("generate", generate_prompt_one_token_at_a_time, seed=seed)


class FeedForwardDroppingItsOutput(nn.Module):
    def __init__(self, d_model, d_ff, dropout=0.0):
        super().__init__()
        self.linear1, self.linear2 = nn.Linear(d_model, d_ff), nn.Linear(d_ff, d_model)
        self.drop = nn.Dropout(dropout)

    def forward(self, x):
        return self.drop(self.linear2(torch.relu(self.linear1(x))))


class FeedForwardDroppingItsInput(FeedForwardDroppingItsOutput):
    def forward(self, x):
        return self.linear2(torch.relu(self.linear1(self.drop(x))))


class FeedForwardWithFunctionalDropout(nn.Module):
    """Correct, written otherwise: F.dropout with self.training, no nn.Dropout member."""

    def __init__(self, d_model, d_ff, dropout=0.0):
        super().__init__()
        self.linear1, self.linear2, self.p = nn.Linear(d_model, d_ff), nn.Linear(d_ff, d_model), dropout

    def forward(self, x):
        return self.linear2(F.dropout(F.relu(self.linear1(x)), self.p, self.training))


class FeedForwardDroppingBeforeTheReLU(FeedForwardDroppingItsOutput):
    """Dropout between linear1 and the ReLU: relu(m·h/(1-p)) = m·relu(h)/(1-p) for a mask m of 0s and 1s, the
    same function as the reference's, so it must pass (it is not a misplacement, whatever it looks like)."""

    def forward(self, x):
        return self.linear2(torch.relu(self.drop(self.linear1(x))))


def test_feed_forward_dropout_in_the_wrong_place_is_named():
    _rejected("FeedForward", FeedForwardDroppingItsOutput, "dropout on the output (after linear2)")
    _rejected("FeedForward", FeedForwardDroppingItsInput, "dropout on the input (before linear1)")


@pytest.mark.parametrize("impl", [FeedForwardWithFunctionalDropout, FeedForwardDroppingBeforeTheReLU])
def test_feed_forward_dropout_written_otherwise_is_accepted(impl):
    _accepted("FeedForward", impl)


def _encoder_layer(ff_output_dropout=True, on_the_sum=False, functional=False):
    """An EncoderLayer as a learner writes it, with one dropout choice."""
    from course_lib.solutions import MultiHeadAttention

    class Layer(nn.Module):
        def __init__(self, d_model, num_heads, d_ff, dropout=0.0, norm_first=False):
            super().__init__()
            self.self_attn = MultiHeadAttention(d_model, num_heads, dropout)
            self.linear1, self.linear2 = nn.Linear(d_model, d_ff), nn.Linear(d_ff, d_model)
            self.norm1, self.norm2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)
            self.p, self.norm_first = dropout, norm_first

        def drop(self, x):
            return F.dropout(x, self.p, self.training) if functional else nn.functional.dropout(x, self.p,
                                                                                                 self.training)

        def attend(self, x, mask):
            out = self.self_attn(x, x, x, mask)[0]
            return out if on_the_sum else self.drop(out)

        def ff(self, x):
            out = self.linear2(self.drop(torch.relu(self.linear1(x))))
            return self.drop(out) if ff_output_dropout and not on_the_sum else out

        def forward(self, x, mask=None):
            keep = self.drop if on_the_sum else (lambda t: t)
            if self.norm_first:
                x = keep(x + self.attend(self.norm1(x), mask))
                return keep(x + self.ff(self.norm2(x)))
            x = self.norm1(keep(x + self.attend(x, mask)))
            return self.norm2(keep(x + self.ff(x)))
    return Layer


def test_encoder_layer_dropout_in_the_wrong_place_is_named():
    _rejected("EncoderLayer", _encoder_layer(ff_output_dropout=False),
              "no dropout on the feed-forward sublayer's output")
    _rejected("EncoderLayer", _encoder_layer(on_the_sum=True), "dropout on the residual sum")
    _accepted("EncoderLayer", _encoder_layer(functional=True))  # F.dropout(x, p, self.training): right


class DecoderLayerWithoutTheInnerDropout(solutions.DecoderLayer):
    def forward(self, x, memory, tgt_mask=None, memory_mask=None):
        ff = lambda h: self.dropout3(self.linear2(torch.relu(self.linear1(h))))  # noqa: E731 - no dropout inside
        if self.norm_first:
            h = self.norm1(x)
            x = x + self.dropout1(self.self_attn(h, h, h, tgt_mask)[0])
            h = self.norm2(x)
            x = x + self.dropout2(self.cross_attn(h, memory, memory, memory_mask)[0])
            return x + ff(self.norm3(x))
        x = self.norm1(x + self.dropout1(self.self_attn(x, x, x, tgt_mask)[0]))
        x = self.norm2(x + self.dropout2(self.cross_attn(x, memory, memory, memory_mask)[0]))
        return self.norm3(x + ff(x))


def test_decoder_layer_without_the_feed_forward_dropout_is_named():
    _rejected("DecoderLayer", DecoderLayerWithoutTheInnerDropout, "no dropout inside the feed-forward block")


class TransformerWithAPlainPe(solutions.Transformer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        table = self.pe
        del self._buffers["pe"]
        self.pe = table  # a plain attribute: the same numbers, not a buffer


def test_the_positional_table_as_a_plain_attribute_is_named():
    """The public check and the graded cell agree: `pe` must be a buffer."""
    _rejected("Transformer", TransformerWithAPlainPe, "not a buffer named `pe`", "register_buffer")


class CausalSelfAttentionWithTorchSDPA(nn.Module):
    """Correct, written otherwise: F.scaled_dot_product_attention with an explicit boolean mask."""

    def __init__(self, d_model, num_heads, dropout=0.0):
        super().__init__()
        self.h, self.p = num_heads, dropout
        self.w_q, self.w_k, self.w_v, self.w_o = (nn.Linear(d_model, d_model) for _ in range(4))

    def forward(self, x, cache=None):
        B, T, D = x.shape
        q, k, v = (w(x).view(B, T, self.h, D // self.h).transpose(1, 2) for w in (self.w_q, self.w_k, self.w_v))
        if cache is not None:
            k, v = torch.cat([cache[0], k], dim=2), torch.cat([cache[1], v], dim=2)
        T_all = k.size(2)
        mask = torch.ones(T, T_all, dtype=torch.bool).tril(diagonal=T_all - T)  # (T, T_all)
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=self.p if self.training else 0.0)
        return self.w_o(out.transpose(1, 2).reshape(B, T, D)), (k, v)


def test_torch_scaled_dot_product_attention_with_an_explicit_mask_is_accepted():
    _accepted("CausalSelfAttention", CausalSelfAttentionWithTorchSDPA)


def test_the_stand_in_decoder_is_as_discriminating_as_a_two_layer_transformer():
    """A mask that changes what the earlier positions read, and leaves the last row whole, changes the last
    position's output of a real two-layer Transformer: it must change the stand-in's too (greedy_decode and
    seq2seq_loss are checked on it), else a wrong mask passes unseen."""
    model = EXERCISES["greedy_decode"].cases(0)[0].args[0]
    g = torch.Generator().manual_seed(3)
    src, tgt = torch.randint(1, 11, (2, 5), generator=g), torch.randint(1, 9, (2, 6), generator=g)
    earlier_only = torch.ones(6, 6, dtype=torch.bool).tril()
    earlier_only[1:-1, 0] = False  # rows 1 .. T-2 may not read the first token; the last row reads everything
    torch.manual_seed(0)
    real = solutions.Transformer(11, 9, 12, 3, 2, 20, 8).eval()
    for m in (real, model):
        with torch.no_grad():
            memory = m.encode(src)
            last = m.decode(tgt, memory)[:, -1]
            changed = m.decode(tgt, memory, tgt_mask=earlier_only)[:, -1]
        assert (last - changed).abs().max() > 1e-3, f"{m!r}: the last position ignores the earlier rows' mask"


def _notebook_seeds():
    """{exercise: the seed its graded cell's hidden test uses}, read from the notebook sources."""
    seeds = {}
    for path in sorted((Path(__file__).resolve().parents[1] / "notebooks" / "src").glob("[0-9]*.py")):
        for name, seed in re.findall(r"exercise\(\d+, ref\.(\w+), points=\d+, seed=(\d+)", path.read_text()):
            seeds[name] = int(seed)
    return seeds


HIDDEN_SEEDS = _notebook_seeds()


def _fingerprint(value, sizes_only=False):
    """What a hard-coded answer could be keyed on: the values of a case's inputs (or their sizes only)."""
    if isinstance(value, torch.Tensor):
        values = () if sizes_only else (tuple(value.flatten().tolist()),)
        return ("tensor", tuple(value.shape), str(value.dtype)) + values
    if isinstance(value, (list, tuple)):
        return tuple(_fingerprint(v, sizes_only) for v in value)
    if isinstance(value, dict):
        return tuple((k, _fingerprint(v, sizes_only)) for k, v in value.items() if k != "seed")
    if hasattr(value, "_record"):
        return ("object", repr(value._record()))
    return value


def _size_keyed(exercise):
    """Whether an exercise's outputs are determined by sizes alone: every input a number or an integer tensor."""
    return all(not case.init and case.weights is None and all(
        type(v) in (int, float, bool) or v is None or isinstance(v, torch.Tensor) and not v.is_floating_point()
        for v in (*case.args, *case.kwargs.values())) for case in exercise.cases(0))


def test_every_graded_exercise_has_a_hidden_seed():
    assert set(HIDDEN_SEEDS) == set(EXERCISES), set(EXERCISES) ^ set(HIDDEN_SEEDS)
    assert {"causal_mask", "padding_mask", "sinusoidal_positional_encoding", "noam_lr"} <= {
        n for n, ex in EXERCISES.items() if _size_keyed(ex)}


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_hidden_cases_are_none_of_the_public_ones(name):
    """A learner reads the public cases (seed 0) in the student environment's recordings: the hidden tests
    (the graded cells' seeds, and a few more) must hold none of them, and where the answer depends on sizes
    alone (a mask, a table, a learning rate, a FLOP count), none of their sizes."""
    exercise = EXERCISES[name]
    public = exercise.cases(0)
    sizes_only = _size_keyed(exercise)
    seen = {_fingerprint((c.args, c.kwargs, c.init, c.weights)) for c in public}
    seen_sizes = {_fingerprint((c.args, c.kwargs), sizes_only=True) for c in public}
    for seed in (HIDDEN_SEEDS[name], 1, 2, 3):
        for case in exercise.cases(seed):
            assert _fingerprint((case.args, case.kwargs, case.init, case.weights)) not in seen, \
                f"seed {seed}: case '{case.label}' is a public case"
            if sizes_only:
                assert _fingerprint((case.args, case.kwargs), sizes_only=True) not in seen_sizes, \
                    f"seed {seed}: case '{case.label}' has the sizes of a public case"


def _hard_coded(name):
    """An implementation that answers the public cases from a table of the reference's outputs, keyed by the
    inputs, and raises on anything else: what a learner could build from the recordings."""
    exercise = EXERCISES[name]
    reference = getattr(solutions, name)
    table = {_fingerprint((c.args, c.kwargs)): reference(*c.args, **c.kwargs) for c in exercise.cases(0)}

    def impl(*args, **kwargs):
        key = _fingerprint((args, kwargs))
        if key not in table:
            raise ValueError("not one of the public cases")
        return table[key]
    return impl


HARD_CODABLE = sorted(n for n, ex in EXERCISES.items() if _size_keyed(ex) and not isinstance(getattr(solutions, n),
                                                                                            type))


@pytest.mark.parametrize("name", HARD_CODABLE)
def test_a_table_of_the_public_answers_fails_the_hidden_tests(name):
    """causal_mask hard-coded for the sizes the recordings show passes the public check, not the hidden one."""
    impl = _hard_coded(name)
    _accepted(name, impl)  # the table is right where it answers
    _rejected(name, impl, seed=HIDDEN_SEEDS[name])


def test_sampled_tokens_keep_a_margin_rounding_cannot_cross():
    """Tokens are compared exactly, so every case keeps its decisions more than 1e-3 apart (greedy: logits;
    sampled: the relative gap in torch.multinomial's race), far above float32 rounding (about 1e-6 here); the
    margin's replay draws the reference's own tokens, so it measures the decisions the check compares."""
    from course_lib.checks import gpt, transformer

    assert gpt.MARGIN >= 1e-3 and transformer.MARGIN >= 1e-3
    g = torch.Generator().manual_seed(5)
    logits = torch.randn(6, 9, generator=g)
    for temperature, top_k in ((0.0, None), (1.0, None), (0.7, 3)):
        tokens, margin = gpt.decision_margin(logits, temperature, top_k, torch.Generator().manual_seed(4))
        drawn = solutions.sample_next_token(logits, temperature, top_k, torch.Generator().manual_seed(4))
        assert torch.equal(tokens, drawn) and margin > 0  # integer tokens: exact
    for seed in (0, 1, HIDDEN_SEEDS["generate"]):  # the margins are asserted while the cases are built
        for case in EXERCISES["generate"].cases(seed):
            model, idx, new = case.args
            if new:
                assert gpt._generate_margin(model, idx, new, case.kwargs["temperature"], case.kwargs["top_k"],
                                            case.kwargs["seed"]) > gpt.MARGIN
    for seed in (0, HIDDEN_SEEDS["greedy_decode"]):
        model, src = EXERCISES["greedy_decode"].cases(seed)[0].args[:2]
        assert transformer._greedy_margin(model, src, 8, 1) > transformer.MARGIN
