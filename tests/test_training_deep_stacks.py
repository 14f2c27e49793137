"""Notebook 07: the references equal PyTorch's modules and losses, the checks accept correct code written
differently and name the slips learners make, and the experiments measure what the notebook claims."""
import math

import pytest
import torch
import torch.nn.functional as F
from checking import VERIFY, assert_rejected
from torch import nn

from course_lib.checks import (
    check_encoder_layer,
    check_feed_forward,
    check_label_smoothed_cross_entropy,
    check_layer_norm,
    check_noam_lr,
)
from course_lib.experiments import training_deep_stacks as E
from course_lib.solutions import MultiHeadAttention
from course_lib.solutions import training_deep_stacks as S


# -- the references equal PyTorch -------------------------------------------------------------------------
def torch_layer_with_weights_of(ours):
    D, h, d_ff = ours.linear1.in_features, ours.self_attn.num_heads, ours.linear1.out_features
    theirs = nn.TransformerEncoderLayer(D, h, d_ff, dropout=0.0, batch_first=True, norm_first=ours.norm_first)
    a = ours.self_attn
    with torch.no_grad():
        theirs.self_attn.in_proj_weight.copy_(torch.cat([a.w_q.weight, a.w_k.weight, a.w_v.weight]))
        theirs.self_attn.in_proj_bias.copy_(torch.cat([a.w_q.bias, a.w_k.bias, a.w_v.bias]))
        theirs.self_attn.out_proj.weight.copy_(a.w_o.weight)
        theirs.self_attn.out_proj.bias.copy_(a.w_o.bias)
        for name in ("linear1", "linear2", "norm1", "norm2"):
            getattr(theirs, name).load_state_dict(getattr(ours, name).state_dict())
    return theirs.eval()


@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_layer_equals_torch_transformer_encoder_layer(norm_first):
    torch.manual_seed(0)
    ours = S.EncoderLayer(16, 4, 24, 0.0, norm_first).eval()
    with torch.no_grad():  # gains and biases away from 1 and 0, so a swapped norm would show
        for norm in (ours.norm1, ours.norm2):
            norm.weight.add_(0.3 * torch.randn(16))
            norm.bias.add_(0.3 * torch.randn(16))
    theirs = torch_layer_with_weights_of(ours)
    x = torch.randn(3, 7, 16)
    real = torch.arange(7)[None, :] < torch.tensor([7, 4, 1])[:, None]  # (B, T)
    causal = torch.ones(7, 7, dtype=torch.bool).tril()
    with torch.no_grad():
        torch.testing.assert_close(ours(x), theirs(x))
        padded_ours, padded_theirs = ours(x, real[:, None, None, :]), theirs(x, src_key_padding_mask=~real)
        torch.testing.assert_close(padded_ours[real], padded_theirs[real])  # torch's fast path zeroes padding
        torch.testing.assert_close(ours(x, causal), theirs(x, src_mask=~causal))
    # and in training mode (no fast path), with gradients
    theirs.train()
    ours.train()
    torch.testing.assert_close(ours(x, real[:, None, None, :]), theirs(x, src_key_padding_mask=~real))


@pytest.mark.parametrize("smoothing", [0.0, 0.1, 0.35, 1.0])
@pytest.mark.parametrize("ignore_index", [None, -100, 2])
def test_label_smoothing_equals_f_cross_entropy(smoothing, ignore_index):
    g = torch.Generator().manual_seed(1)
    logits = torch.randn(9, 5, generator=g) * 3
    target = torch.randint(0, 5, (9,), generator=g)
    if ignore_index is not None:
        target[[0, 4, 5]] = ignore_index
    ours = S.label_smoothed_cross_entropy(logits, target, smoothing, ignore_index=ignore_index)
    theirs = F.cross_entropy(logits, target, label_smoothing=smoothing,
                             ignore_index=-100 if ignore_index is None else ignore_index)
    torch.testing.assert_close(ours, theirs)


def test_layer_norm_equals_nn_layer_norm():
    x = torch.randn(2, 3, 4, 10) * 4 + 2
    ln = nn.LayerNorm(10)
    with torch.no_grad():
        ln.weight.normal_()
        ln.bias.normal_()
    torch.testing.assert_close(S.layer_norm(x, ln.weight, ln.bias), ln(x))
    torch.testing.assert_close(S.layer_norm(x, ln.weight, ln.bias, eps=0.5), F.layer_norm(x, (10,), ln.weight,
                                                                                          ln.bias, eps=0.5))


def test_noam_lr_ramps_to_its_peak_at_warmup_then_decays():
    lrs = [S.noam_lr(s, 512, 100) for s in range(1, 401)]
    assert max(range(400), key=lambda i: lrs[i]) == 99  # step 100
    assert lrs[99] == pytest.approx(512 ** -0.5 * 100 ** -0.5)
    assert all(a < b for a, b in zip(lrs[:99], lrs[1:100])) and all(a > b for a, b in zip(lrs[99:], lrs[100:]))
    assert lrs[399] == pytest.approx(lrs[99] / 2)  # 1/sqrt(step): four times the steps, half the rate


# -- correct, written differently: must pass --------------------------------------------------------------
def ln_var_mean(x, gamma, beta, eps=1e-5):
    var, mean = torch.var_mean(x, dim=-1, keepdim=True, unbiased=False)
    return (x - mean) / (var + eps).sqrt() * gamma + beta


def ln_float64_rsqrt(x, gamma, beta, eps=1e-5):
    x64 = x.double()
    centred = x64 - x64.mean(-1, keepdim=True)
    y = centred * torch.rsqrt(centred.pow(2).mean(-1, keepdim=True) + eps)
    return (y * gamma.double() + beta.double()).to(x.dtype)


def ln_functional(x, gamma, beta, eps=1e-5):
    return F.layer_norm(x, x.shape[-1:], gamma, beta, eps)


def ln_einsum_std(x, gamma, beta, eps=1e-5):
    D = x.shape[-1]
    mean = torch.einsum("...d->...", x)[..., None] / D
    var = torch.einsum("...d,...d->...", x - mean, x - mean)[..., None] / D
    return torch.addcmul(beta, (x - mean) / torch.sqrt(var + eps), gamma)


@pytest.mark.parametrize("impl", [ln_var_mean, ln_float64_rsqrt, ln_functional, ln_einsum_std])
def test_layer_norm_written_differently_passes_public_and_hidden_checks(impl):
    check_layer_norm(impl)
    assert VERIFY("layer_norm", impl, seed=7101)


class FeedForwardFunctional(nn.Module):
    """F.linear on the members' weights, F.dropout with the module's mode, clamp for the ReLU."""

    def __init__(self, d_model, d_ff, dropout=0.0):
        super().__init__()
        self.linear1, self.linear2, self.p = nn.Linear(d_model, d_ff), nn.Linear(d_ff, d_model), dropout

    def forward(self, x):
        hidden = F.linear(x, self.linear1.weight, self.linear1.bias).clamp(min=0)
        return F.linear(F.dropout(hidden, self.p, self.training), self.linear2.weight, self.linear2.bias)


class FeedForwardEinsum(nn.Module):
    def __init__(self, d_model, d_ff, dropout=0.0):
        super().__init__()
        self.linear1 = nn.Linear(d_model, d_ff)
        self.linear2 = nn.Linear(d_ff, d_model)
        self.drop = nn.Dropout(dropout)

    def forward(self, x):
        h = torch.einsum("...d,fd->...f", x, self.linear1.weight) + self.linear1.bias
        return self.linear2(self.drop(F.relu(h)))


@pytest.mark.parametrize("impl", [FeedForwardFunctional, FeedForwardEinsum])
def test_feed_forward_written_differently_passes_public_and_hidden_checks(impl):
    check_feed_forward(impl)
    assert VERIFY("FeedForward", impl, seed=7203)


class EncoderOwnPieces(nn.Module):
    """A learner's layer: its own layer norm function, its own feed-forward code, F.dropout, a loop over the
    two sublayers."""

    def __init__(self, d_model, num_heads, d_ff, dropout=0.0, norm_first=False):
        super().__init__()
        self.self_attn = MultiHeadAttention(d_model, num_heads, dropout)
        self.linear1 = nn.Linear(d_model, d_ff)
        self.linear2 = nn.Linear(d_ff, d_model)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.p, self.norm_first = dropout, norm_first

    def ffn(self, x):
        return self.linear2(F.dropout(torch.relu(self.linear1(x)), self.p, self.training))

    def forward(self, x, mask=None):
        sublayers = [(lambda y: self.self_attn(y, y, y, mask)[0], self.norm1), (self.ffn, self.norm2)]
        for sublayer, norm in sublayers:
            norm_of = lambda y, n=norm: ln_var_mean(y, n.weight, n.bias, n.eps)  # noqa: E731
            if self.norm_first:
                x = x + F.dropout(sublayer(norm_of(x)), self.p, self.training)
            else:
                x = norm_of(x + F.dropout(sublayer(x), self.p, self.training))
        return x


class EncoderTwoClasses(nn.Module):
    """Pre-LN and post-LN as two forward methods chosen in __init__, a mask made into -inf by the attention."""

    def __init__(self, d_model, num_heads, d_ff, dropout=0.0, norm_first=False):
        super().__init__()
        self.self_attn = MultiHeadAttention(d_model, num_heads, dropout)
        self.linear1, self.linear2 = nn.Linear(d_model, d_ff), nn.Linear(d_ff, d_model)
        self.norm1, self.norm2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.drop_ff, self.drop_a, self.drop_f = nn.Dropout(dropout), nn.Dropout(dropout), nn.Dropout(dropout)
        self.norm_first = norm_first
        self._run = self._pre if norm_first else self._post

    def _sa(self, x, mask):
        return self.drop_a(self.self_attn(x, x, x, mask=mask)[0])

    def _ff(self, x):
        return self.drop_f(self.linear2(self.drop_ff(F.relu(self.linear1(x)))))

    def _pre(self, x, mask):
        h = x + self._sa(self.norm1(x), mask)
        return h + self._ff(self.norm2(h))

    def _post(self, x, mask):
        h = self.norm1(x + self._sa(x, mask))
        return self.norm2(h + self._ff(h))

    def forward(self, x, mask=None):
        return self._run(x, mask)


@pytest.mark.parametrize("impl", [EncoderOwnPieces, EncoderTwoClasses])
def test_encoder_layer_written_differently_passes_public_and_hidden_checks(impl):
    check_encoder_layer(impl)
    assert VERIFY("EncoderLayer", impl, seed=7307)


def noam_tensor(step, d_model, warmup):
    s = torch.tensor(float(step), dtype=torch.float64)
    return torch.rsqrt(torch.tensor(float(d_model))) * torch.minimum(s.rsqrt(), s * warmup ** -1.5)


def noam_branches(step, d_model, warmup):
    if step < warmup:
        return step * warmup ** -1.5 / math.sqrt(d_model)
    return 1 / math.sqrt(step * d_model)


@pytest.mark.parametrize("impl", [noam_tensor, noam_branches])
def test_noam_lr_written_differently_passes_public_and_hidden_checks(impl):
    check_noam_lr(impl)
    assert VERIFY("noam_lr", impl, seed=7411)


def smoothing_as_kl(logits, target, smoothing, ignore_index=None):
    K = logits.shape[-1]
    keep = target != ignore_index if ignore_index is not None else torch.ones_like(target, dtype=torch.bool)
    q = torch.full_like(logits, smoothing / K)
    q[keep.nonzero().squeeze(-1), target[keep]] += 1 - smoothing
    logp = F.log_softmax(logits, dim=-1)
    entropy = torch.special.xlogy(q, q).sum(-1)  # KL(q || p) = sum q log q - sum q log p
    kl = F.kl_div(logp, q, reduction="none").sum(-1)
    return (kl - entropy)[keep].mean()


def smoothing_full_target(logits, target, smoothing, ignore_index=None):
    K = logits.shape[-1]
    rows = torch.arange(len(target)) if ignore_index is None else (target != ignore_index).nonzero().squeeze(-1)
    q = torch.full((len(rows), K), smoothing / K, dtype=logits.dtype)
    q[torch.arange(len(rows)), target[rows]] += 1 - smoothing
    return -(q * torch.log_softmax(logits[rows].double(), -1).to(logits.dtype)).sum(-1).mean()


def smoothing_via_torch(logits, target, smoothing, ignore_index=None):
    return F.cross_entropy(logits, target, label_smoothing=smoothing,
                           ignore_index=-100 if ignore_index is None else ignore_index)


@pytest.mark.parametrize("impl", [smoothing_as_kl, smoothing_full_target,
                                  smoothing_via_torch])
def test_label_smoothing_written_differently_passes_public_and_hidden_checks(impl):
    check_label_smoothed_cross_entropy(impl)
    assert VERIFY("label_smoothed_cross_entropy", impl, seed=7523)


# -- the hidden checks refuse the reference ---------------------------------------------------------------
def test_hidden_check_rejects_a_layer_that_calls_the_reference_layer_norm():
    class UsesReferenceNorm(EncoderOwnPieces):
        def forward(self, x, mask=None):
            x = S.layer_norm(x + self.self_attn(x, x, x, mask)[0], self.norm1.weight, self.norm1.bias)
            return S.layer_norm(x + self.ffn(x), self.norm2.weight, self.norm2.bias)

    assert_rejected(VERIFY, "EncoderLayer", UsesReferenceNorm, seed=7307, names="runs the reference solution")


def test_members_with_other_names_get_a_plain_message():
    class TorchNames(nn.Module):
        def __init__(self, d_model, num_heads, d_ff, dropout=0.0, norm_first=False):
            super().__init__()
            self.attn = MultiHeadAttention(d_model, num_heads, dropout)
            self.ff = S.FeedForward(d_model, d_ff, dropout)
            self.ln1, self.ln2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)

    assert_rejected(check_encoder_layer, TorchNames, match=r"self_attn \(a MultiHeadAttention\).*missing")


# -- student-style mistakes, written their own way: must fail and be named -----------------------------------
def ln_torch_var(x, gamma, beta, eps=1e-5):
    return (x - x.mean(-1, keepdim=True)) / torch.sqrt(torch.var(x, -1, keepdim=True) + eps) * gamma + beta


def ln_std_plus_eps(x, gamma, beta, eps=1e-5):
    return (x - x.mean(-1, keepdim=True)) / (x.std(-1, keepdim=True, unbiased=False) + eps) * gamma + beta


def ln_batch_dim(x, gamma, beta, eps=1e-5):
    var, mean = torch.var_mean(x, dim=0, keepdim=True, unbiased=False)
    return (x - mean) / torch.sqrt(var + eps) * gamma + beta


def ln_no_gamma(x, gamma, beta, eps=1e-5):
    return F.layer_norm(x, x.shape[-1:], None, beta, eps)


def ln_no_beta(x, gamma, beta, eps=1e-5):
    return F.layer_norm(x, x.shape[-1:], gamma, None, eps)


@pytest.mark.parametrize("impl,name", [
    (ln_torch_var, "unbiased variance"),
    (ln_std_plus_eps, "epsilon outside the sqrt"),
    (ln_batch_dim, "wrong dimension"),
    (ln_no_gamma, "gamma missing"),
    (ln_no_beta, "beta missing"),
])
def test_layer_norm_mistakes_are_named(impl, name):
    assert_rejected(check_layer_norm, impl, names=name)


class StudentEncoder(EncoderTwoClasses):
    """A learner's layer with switches for the slips people make; each test turns on one."""

    slip = None

    def _ff(self, x):
        hidden = self.linear1(x) if self.slip == "no activation" else F.relu(self.linear1(x))
        return self.drop_f(self.linear2(self.drop_ff(hidden)))

    def forward(self, x, mask=None):
        s = self.slip
        if s == "ignore mask":
            mask = None
        if s == "norm_first ignored":
            return self._post(x, mask)
        if s == "norm in branch" and not self.norm_first:
            h = x + self.norm1(self._sa(x, mask))
            return h + self.norm2(self._ff(h))
        if s == "residual after norm" and self.norm_first:
            x = self.norm1(x)
            x = x + self._sa(x, mask)
            x = self.norm2(x)
            return x + self._ff(x)
        if s == "no residual":
            if self.norm_first:
                h = self._sa(self.norm1(x), mask)
                return self._ff(self.norm2(h))
            h = self.norm1(self._sa(x, mask))
            return self.norm2(self._ff(h))
        return super().forward(x, mask)


@pytest.mark.parametrize("slip,name", [
    ("norm in branch", "the norm inside the residual branch in post-LN"),
    ("residual after norm", "the residual added after the norm in pre-LN"),
    ("norm_first ignored", "norm_first ignored"),
    ("no residual", "both residual connections missing"),
    ("ignore mask", "the mask ignored"),
    ("no activation", "the FFN's activation missing"),
])
def test_encoder_layer_mistakes_are_named(slip, name):
    impl = type(f"Student_{slip.replace(' ', '_')}", (StudentEncoder,), {"slip": slip})
    assert_rejected(check_encoder_layer, impl, names=name)


def test_the_student_switchboard_without_a_slip_passes():
    check_encoder_layer(StudentEncoder)


def noam_max(step, d_model, warmup):
    return max(step ** -0.5, step / warmup ** 1.5) / math.sqrt(d_model)


def noam_no_factor(step, d_model, warmup):
    return min(1 / math.sqrt(step), step * warmup ** -1.5)


@pytest.mark.parametrize("impl,name", [(noam_max, "min replaced by max"), (noam_no_factor, "d_model factor missing")])
def test_noam_lr_mistakes_are_named(impl, name):
    assert_rejected(check_noam_lr, impl, names=name)


def noam_returns_a_string(step, d_model, warmup):
    return f"{S.noam_lr(step, d_model, warmup):.3e}"


def test_noam_lr_that_returns_no_number_is_told_so():
    assert_rejected(check_noam_lr, noam_returns_a_string, names="should return a float, got str")


def smoothing_k_minus_1(logits, target, smoothing, ignore_index=None):
    K = logits.shape[-1]
    q = torch.full_like(logits, smoothing / (K - 1)).scatter(-1, target[:, None].clamp(min=0), 1 - smoothing)
    keep = torch.ones_like(target, dtype=torch.bool) if ignore_index is None else target != ignore_index
    return -(q * logits.log_softmax(-1)).sum(-1)[keep].mean()


def smoothing_mean_over_all(logits, target, smoothing, ignore_index=None):
    K = logits.shape[-1]
    keep = torch.ones_like(target, dtype=torch.bool) if ignore_index is None else target != ignore_index
    q = torch.full_like(logits, smoothing / K).scatter_add(
        -1, target[:, None].clamp(min=0), torch.full((len(target), 1), 1 - smoothing, dtype=logits.dtype))
    return (-(q * logits.log_softmax(-1)).sum(-1) * keep).mean()


@pytest.mark.parametrize("impl,name", [
    (smoothing_k_minus_1, "smoothing spread over K-1 classes"),
    (smoothing_mean_over_all, "ignored targets counted in the mean"),
])
def test_label_smoothing_mistakes_are_named(impl, name):
    assert_rejected(check_label_smoothed_cross_entropy, impl, names=name)


def test_the_checks_leave_the_global_rng_alone():
    torch.manual_seed(11)
    before = torch.random.get_rng_state()
    check_encoder_layer(S.EncoderLayer)
    check_feed_forward(S.FeedForward)
    assert torch.equal(before, torch.random.get_rng_state())  # generator state is bytes: exact


# -- the experiments measure the claimed effects ------------------------------------------------------------
def test_residuals_carry_the_gradient_down_a_12_layer_stack():
    config = E.StackConfig(depth=12)
    norms = {p: E.layer_gradient_norms(config, p, seeds=(0, 1)) for p in E.PLACEMENTS}
    ratio = {p: n[-1] / n[0] for p, n in norms.items()}
    assert ratio["post-LN, no residuals"] > 4, "without residuals the first layer hears the loss far more faintly"
    assert ratio["post-LN"] < 2 and 0.5 < ratio["pre-LN"] < 1.5
    assert max(norms["pre-LN"]) / min(norms["pre-LN"]) < max(norms["post-LN"]) / min(norms["post-LN"])


def test_layer_norm_pins_the_scale_of_the_residual_stream():
    scales = E.activation_scales(depth=24)
    assert all(abs(s - 1) < 1e-3 for s in scales["post-LN"])
    assert scales["no norm"][-1] > scales["pre-LN"][-1] > scales["input"] * 1.2


def test_the_experiment_runs_the_learners_layer_norm():
    calls = []

    def counting(x, gamma, beta, eps=1e-5):
        calls.append(x.shape)
        return S.layer_norm(x, gamma, beta, eps)

    E.activation_scales(depth=3, norm=counting)
    assert len(calls) == 6  # post-LN and pre-LN, once per block each


def test_warmup_lets_the_post_ln_stack_learn_where_it_otherwise_gets_stuck():
    config = E.StackConfig(depth=12)
    finals, curves = E.learning_rate_sweep(config, [5e-3], steps=80, warmup=20)
    assert finals["warm-up"][5e-3] < 1.0 and finals["no warm-up"][5e-3] > 2.2
    assert E.failing_lr(finals["no warm-up"], 2.2) == 5e-3 and E.failing_lr(finals["warm-up"], 2.2) is None
    assert len(curves[("warm-up", 5e-3)]) == 80


def test_the_warmup_schedule_peaks_at_one_at_step_warmup():
    warm = E.warmup_schedule(20, 32)
    cold = E.warmup_schedule(20, 32, use_warmup=False)
    assert warm(19) == pytest.approx(1.0) and cold(0) == 1.0 and cold(19) == 1.0
    assert warm(0) == pytest.approx(1 / 20) and warm(79) == pytest.approx(cold(79)) == pytest.approx(0.5)


def test_the_experiments_build_and_train_the_learners_layer_and_schedule():
    built = []

    class Counted(S.EncoderLayer):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            built.append(self)

    def counting_noam(step, d_model, warmup):
        counting_noam.calls += 1
        return S.noam_lr(step, d_model, warmup)

    counting_noam.calls = 0
    config = E.StackConfig(depth=3, batch=4)
    E.layer_gradient_norms(config, "post-LN, no residuals", Counted, seeds=(0,))
    assert len(built) == 3 and all(layer.linear1.weight.grad is not None for layer in built)
    E.learning_rate_sweep(config, [1e-3], Counted, counting_noam, steps=3, warmup=2)
    assert len(built) == 3 + 2 * 3 and counting_noam.calls >= 3


class FeedForwardSlip(nn.Module):
    slip = None

    def __init__(self, d_model, d_ff, dropout=0.0):
        super().__init__()
        self.linear1, self.linear2, self.drop = nn.Linear(d_model, d_ff), nn.Linear(d_ff, d_model), nn.Dropout(dropout)

    def forward(self, x):
        h = self.linear1(x)
        h = h if self.slip == "no activation" else F.relu(h)
        y = self.linear2(self.drop(h))
        return x + y if self.slip == "residual" else y


@pytest.mark.parametrize("slip,name", [("no activation", "the activation missing"),
                                       ("residual", "the residual added inside the block")])
def test_feed_forward_mistakes_are_named(slip, name):
    impl = type(f"FeedForward_{slip.replace(' ', '_')}", (FeedForwardSlip,), {"slip": slip})
    assert_rejected(check_feed_forward, impl, names=name)


def test_dropout_left_on_in_eval_is_named():
    class AlwaysDropping(FeedForwardSlip):
        def forward(self, x):
            return self.linear2(F.dropout(F.relu(self.linear1(x)), self.drop.p, training=True))

    assert_rejected(check_feed_forward, AlwaysDropping, names="dropout applied in eval()")
