"""Notebook 07's experiments: gradient flow through a deep stack, activation scale through depth, warm-up.

Every experiment takes the pieces it measures as arguments (the learner's `EncoderLayer`, `layer_norm` and
`noam_lr` in the notebook, through `yours_or_reference`); left out (None), they are the references, looked up
when the experiment runs. Plot helpers return the figure.
"""
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..data import VOCAB, digits
from ..i18n import tr
from ..train import fit, shrink, threads
from . import claims, reference

PLACEMENTS = ("post-LN", "pre-LN", "post-LN, no residuals")


def _shown(name):
    """A stack's or a schedule's name as a figure shows it; the names themselves stay the keys of the results."""
    return {"post-LN, no residuals": tr("post-LN, no residuals"), "no norm": tr("no norm"), "input": tr("input"),
            "warm-up": tr("warm-up"), "no warm-up": tr("no warm-up")}.get(name, name)


@dataclass
class StackConfig:
    """A deep encoder on a toy task: small enough that 12 layers train in a few seconds on one CPU core."""

    depth: int = 12  # deep enough for post-LN's troubles to show
    d_model: int = 32  # tiny widths: the effects are about depth, not width
    num_heads: int = 4
    d_ff: int = 64
    length: int = 8  # digits per sequence
    batch: int = 32


class NoResidual(nn.Module):
    """An encoder layer's own members (the contract's self_attn, linear1, linear2, norm1, norm2), run as
    post-LN without the residual connections: x = norm1(attend(x)); x = norm2(feed_forward(x))."""

    def __init__(self, layer):
        super().__init__()
        self.layer = layer

    def forward(self, x, mask=None):
        m = self.layer
        x = m.norm1(m.self_attn(x, x, x, mask)[0])  # (B, T, D)
        return m.norm2(m.linear2(torch.relu(m.linear1(x))))  # (B, T, D) -> (B, T, d_ff) -> (B, T, D)


class ReverseEncoder(nn.Module):
    """Token and position embeddings, a stack of encoder layers, a read-out: outputs the input reversed."""

    def __init__(self, config: StackConfig, placement="post-LN", layer_cls=None):
        super().__init__()
        c = config
        layer_cls = layer_cls or reference("EncoderLayer")
        self.embed = nn.Embedding(VOCAB, c.d_model)
        self.position = nn.Embedding(c.length, c.d_model)
        norm_first = placement == "pre-LN"
        layers = [layer_cls(c.d_model, c.num_heads, c.d_ff, 0.0, norm_first) for _ in range(c.depth)]
        if placement == "post-LN, no residuals":
            layers = [NoResidual(layer) for layer in layers]
        self.layers = nn.ModuleList(layers)
        self.final_norm = nn.LayerNorm(c.d_model) if norm_first else nn.Identity()  # pre-LN ends with a norm
        self.out = nn.Linear(c.d_model, VOCAB)

    def forward(self, tokens):
        """tokens (B, T) -> logits (B, T, VOCAB)."""
        x = self.embed(tokens) + self.position(torch.arange(tokens.size(1)))  # (B, T, D)
        for layer in self.layers:
            x = layer(x)  # (B, T, D)
        return self.out(self.final_norm(x))  # (B, T, VOCAB)


def reverse_batch(config: StackConfig, gen):
    """Random digit sequences (B, T) and their reversals, the per-position targets."""
    src = digits(config.batch, config.length, gen)
    return src, src.flip(1)


def task_loss(model, batch):
    src, tgt = batch
    return F.cross_entropy(model(src).flatten(0, 1), tgt.flatten())


# -- gradient flow ----------------------------------------------------------------------------------------
def layer_gradient_norms(config: StackConfig, placement="post-LN", layer_cls=None, seeds=(0, 1, 2)):
    """The norm of the loss's gradient with respect to each layer's parameters, at initialisation.

    One batch of the reversal task per seed; the norms are averaged over the seeds. Returns a list, layer 1
    (next to the input) first.
    """
    totals = torch.zeros(config.depth)
    with threads(1):
        for seed in seeds:
            torch.manual_seed(seed)
            model = ReverseEncoder(config, placement, layer_cls)
            loss = task_loss(model, reverse_batch(config, torch.Generator().manual_seed(seed)))
            loss.backward()
            for i, layer in enumerate(model.layers):
                grads = [p.grad.flatten() for p in layer.parameters() if p.grad is not None]
                totals[i] += torch.cat(grads).norm() if grads else 0.0
    return (totals / len(seeds)).tolist()


def plot_gradient_norms(norms, title=None):
    """One line per placement: gradient norm against layer index (log scale); returns the figure.

    `title` None: "Gradient norm per layer at initialisation"."""
    import matplotlib.pyplot as plt

    if title is None:
        title = tr("Gradient norm per layer at initialisation")
    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    for (label, values), style in zip(norms.items(), ("o-", "s-", "^--", "v:")):
        ax.plot(range(1, len(values) + 1), values, style, label=_shown(label))
    ax.set(yscale="log", xlabel=tr("layer (1 = next to the input)"),
           ylabel=tr("gradient norm of the layer's parameters"), title=title)
    ax.legend()
    fig.tight_layout()
    return fig


# -- activation scale -------------------------------------------------------------------------------------
def activation_scales(depth=24, d_model=64, d_ff=128, norm=None, batch=16, length=8, seed=0, ffn_cls=None):
    """Root-mean-square of the residual stream after each of `depth` residual feed-forward blocks.

    Three stacks with the same weights: no normalisation (x = x + ffn(x)), post-LN (x = norm(x + ffn(x)))
    and pre-LN (x = x + ffn(norm(x))), `norm` being a layer_norm(x, gamma, beta) with gamma 1 and beta 0
    (the reference when None). The blocks are `ffn_cls(d_model, d_ff)` (a FeedForward: the learner's in the
    notebook) or, when None, the same two linear layers around a ReLU. Returns {stack: [rms after block 1, ...,
    after block depth]}, and the input's rms under "input".
    """
    norm = norm or reference("layer_norm")
    torch.manual_seed(seed)
    if ffn_cls is None:
        blocks = [nn.Sequential(nn.Linear(d_model, d_ff), nn.ReLU(), nn.Linear(d_ff, d_model)) for _ in range(depth)]
    else:  # the same initialisation: linear1 then linear2, each nn.Linear's default
        blocks = [ffn_cls(d_model, d_ff).eval() for _ in range(depth)]
    gamma, beta = torch.ones(d_model), torch.zeros(d_model)
    x0 = torch.randn(batch, length, d_model, generator=torch.Generator().manual_seed(seed))  # (B, T, D)
    rms = {"no norm": [], "post-LN": [], "pre-LN": []}
    with torch.no_grad(), threads(1):
        x = {name: x0 for name in rms}
        for ffn in blocks:
            x["no norm"] = x["no norm"] + ffn(x["no norm"])
            x["post-LN"] = norm(x["post-LN"] + ffn(x["post-LN"]), gamma, beta)
            x["pre-LN"] = x["pre-LN"] + ffn(norm(x["pre-LN"], gamma, beta))
            for name in rms:
                rms[name].append(x[name].pow(2).mean().sqrt().item())
    return {"input": x0.pow(2).mean().sqrt().item(), **rms}


def plot_activation_scales(scales):
    """The residual stream's rms against depth, one line per stack (log scale); returns the figure."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    for name, style in (("no norm", "o-"), ("pre-LN", "s-"), ("post-LN", "^-")):
        ax.plot(range(1, len(scales[name]) + 1), scales[name], style, label=_shown(name))
    ax.axhline(scales["input"], color="grey", lw=0.8, ls="--", label=_shown("input"))
    ax.set(yscale="log", xlabel=tr("residual blocks applied"), ylabel=tr("rms of the residual stream"),
           title=tr("Activation scale through depth"))
    ax.legend()
    fig.tight_layout()
    return fig


# -- warm-up ----------------------------------------------------------------------------------------------
def warmup_schedule(warmup, d_model, noam=None, use_warmup=True):
    """A multiplier of the peak learning rate for `fit` (which calls it with step 0, 1, ...).

    With warm-up: noam(step) / noam(warmup), a linear ramp to 1 at step == warmup, then 1/sqrt decay.
    Without: the same decay, but the peak from the first step on. `noam` is a noam_lr (the reference when None).
    """
    noam = noam or reference("noam_lr")
    peak = noam(warmup, d_model, warmup)

    def schedule(step):
        step = step + 1  # noam_lr counts steps from 1
        if use_warmup:
            return noam(step, d_model, warmup) / peak
        return min(1.0, (warmup / step) ** 0.5)
    return schedule


def train_with_schedule(config: StackConfig, lr, use_warmup, layer_cls=None, noam=None, steps=150,
                        warmup=50, placement="post-LN", seed=0, desc=None):
    """Train the reversal encoder with Adam at peak learning rate `lr`; return the `History`."""
    torch.manual_seed(seed)
    model = ReverseEncoder(config, placement, layer_cls)
    gen = torch.Generator().manual_seed(seed + 1)
    adam = torch.optim.Adam(model.parameters(), lr=lr, fused=True)  # one kernel for all parameters: 5x faster
    return fit(model, lambda step: reverse_batch(config, gen), task_loss, steps=steps, optimizer=adam,
               schedule=warmup_schedule(warmup, config.d_model, noam, use_warmup), desc=desc)


def final_loss(history, last=10):
    """The mean loss of the last steps; inf when a loss was not finite (the run diverged)."""
    tail = torch.tensor(history.losses[-last:])
    return float(tail.mean()) if bool(torch.isfinite(tail).all()) else float("inf")


WARMUP_LRS = shrink((2e-3, 5e-3, 2e-2), (5e-3,))  # the notebook's peak learning rates
WARMUP_SEEDS = shrink((0, 1, 2), (0,))  # each run repeated with these seeds (initialisation and batches)
WARMUP_STEPS, WARMUP_WARMUP = shrink((80, 20), (4, 2))  # steps of training, steps of warm-up


def learning_rate_sweep(config: StackConfig, lrs, layer_cls=None, noam=None, steps=150, warmup=50,
                        placement="post-LN", seed=0):
    """Final training loss for each peak learning rate, with and without warm-up.

    Returns {"warm-up": {lr: loss}, "no warm-up": {lr: loss}} and the loss curves of every run.
    """
    finals, curves = {"warm-up": {}, "no warm-up": {}}, {}
    for label, use_warmup in (("warm-up", True), ("no warm-up", False)):
        for lr in lrs:
            history = train_with_schedule(config, lr, use_warmup, layer_cls, noam, steps, warmup, placement, seed)
            finals[label][lr] = final_loss(history)
            curves[(label, lr)] = history.losses
    return finals, curves


def warmup_experiment(config: StackConfig, lrs=WARMUP_LRS, seeds=WARMUP_SEEDS, layer_cls=None, noam=None,
                      steps=WARMUP_STEPS, warmup=WARMUP_WARMUP):
    """The sweep of `learning_rate_sweep` for every seed: {seed: (finals, curves)}."""
    return {seed: learning_rate_sweep(config, lrs, layer_cls, noam, steps, warmup, seed=seed) for seed in seeds}


def still_falling(curve, window=20):
    """Whether a loss curve was still going down at its end: its last `window` steps' mean is below the mean of
    the `window` before by more than claims.STILL_FALLING."""
    if len(curve) < 2 * window:
        return False
    last, before = curve[-window:], curve[-2 * window:-window]
    return sum(before) / window - sum(last) / window > claims.STILL_FALLING


def _outcome(losses, threshold):
    below = [loss < threshold for loss in losses]
    return "learns" if all(below) else "fails" if not any(below) else "mixed"


def warmup_claims(runs, steps, warmup, threshold=claims.FAILED_LOSS, gap=claims.LOSS_GAP):
    """Sentences about warm-up, each true for every seed shown (`runs` from `warmup_experiment`).

    Per peak learning rate: whether each schedule learns (final loss below `threshold`) for all seeds, none, or
    some; which schedule ends lower for every seed, by at least `gap` nats; whether a failed run was still
    falling at its last step. Then the conclusion, from the learning rates where the schedules differ.
    """
    seeds = sorted(runs)
    lrs = sorted(next(iter(runs.values()))[0]["warm-up"])
    rows, separating, better_without = [], [], []
    for lr in lrs:
        with_w = [runs[s][0]["warm-up"][lr] for s in seeds]
        without = [runs[s][0]["no warm-up"][lr] for s in seeds]
        outcome = {"warm-up": _outcome(with_w, threshold), "no warm-up": _outcome(without, threshold)}
        falling = {label: sum(still_falling(runs[s][1][(label, lr)]) for s in seeds
                              if not runs[s][0][label][lr] < threshold) for label in outcome}
        if all(w + gap <= n for w, n in zip(with_w, without)):
            lower = "warm-up"
        elif all(n + gap <= w for w, n in zip(with_w, without)):
            lower = "no warm-up"
        else:
            lower = "neither"

        def describe(label, losses):
            values = tr(", ").join(f"{x:.2f}" for x in losses)
            if outcome[label] == "learns":
                text = tr("learns for every seed ({losses})", losses=values)
            elif outcome[label] == "fails":
                text = tr("fails for every seed ({losses})", losses=values)
            else:
                text = tr("learns for {learned} of {seeds} seeds ({losses})",
                          learned=sum(x < threshold for x in losses), seeds=len(losses), losses=values)
            if falling[label] > 1:
                text += tr(", {count} failed runs still falling at step {steps}: not learned yet within {steps} steps, "
                           "rather than stuck", count=falling[label], steps=steps)
            elif falling[label]:
                text += tr(", {count} failed run still falling at step {steps}: not learned yet within {steps} steps, "
                           "rather than stuck", count=falling[label], steps=steps)
            return text

        text = tr("peak {lr:g}: with warm-up it {with_warmup}; without, it {without}", lr=lr,
                  with_warmup=describe("warm-up", with_w), without=describe("no warm-up", without))
        if lower == "no warm-up":
            text += tr(". Here no warm-up ends lower for every seed: at a peak this safe, the {warmup} warm-up steps "
                       "only train at a smaller learning rate", warmup=warmup)
        elif lower == "warm-up":
            text += tr(". Warm-up ends lower for every seed")
        else:
            pairs = list(zip(with_w, without))
            wins = sum(w + gap <= n for w, n in pairs), sum(n + gap <= w for w, n in pairs)
            text += tr(". Neither ends lower for every seed (by {gap} nats or more: warm-up for {warm}, no warm-up "
                       "for {cold} of {seeds})", gap=gap, warm=wins[0], cold=wins[1], seeds=len(seeds))
        rows.append(claims.Claim(text + tr("."), lower, {"lr": lr, "warm-up": with_w, "no warm-up": without,
                                                       "outcome": outcome, "still falling": falling}))
        if outcome["warm-up"] == "learns" and outcome["no warm-up"] == "fails":
            separating.append(lr)
        if lower == "no warm-up":
            better_without.append(lr)
    if separating:
        text = tr("Warm-up decides it at a peak learning rate of {lrs}: with it the stack learns for all {seeds} "
                  "seeds, without it for none, within {steps} steps.",
                  lrs=tr(", ").join(f"{lr:g}" for lr in separating), seeds=len(seeds), steps=steps)
        verdict = "warm-up helps"
    else:
        text = tr("No peak learning rate tried separates the schedules for all {seeds} seeds (learns with warm-up and "
                  "fails without it for every seed).", seeds=len(seeds))
        verdict = "no separation"
    if better_without:
        text += tr(" At {lrs} the run without warm-up does better: warm-up is a price paid at low learning rates for "
                   "safety at high ones.", lrs=tr(", ").join(f"{lr:g}" for lr in better_without))
    return rows, claims.Claim(text, verdict, {"separating": separating, "better without": better_without,
                                               "seeds": seeds})


def failing_lr(finals, threshold):
    """The smallest learning rate whose final loss is above `threshold` (or not finite), else None."""
    bad = [lr for lr, loss in sorted(finals.items()) if not loss < threshold]
    return bad[0] if bad else None


def plot_warmup(runs, lr, threshold=claims.FAILED_LOSS, title=None):
    """Left: the loss curves at one peak learning rate, every seed, with and without warm-up; right: the final
    loss of every run against the peak learning rate. The failure line is drawn on both. Returns the figure."""
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8))
    seeds = sorted(runs)
    lrs = sorted(runs[seeds[0]][0]["warm-up"])
    for label, style, color in (("warm-up", "-", "C0"), ("no warm-up", "--", "C1")):
        for i, seed in enumerate(seeds):
            left.plot(runs[seed][1][(label, lr)], style, color=color, lw=1, alpha=0.8,
                      label=_shown(label) if i == 0 else None)
            right.plot(lrs, [min(runs[seed][0][label][x], 10.0) for x in lrs], "o" + style, color=color,
                       alpha=0.8, label=_shown(label) if i == 0 else None)
    for ax in (left, right):
        ax.axhline(threshold, color="red", lw=0.8, ls=":", label=tr("failure line ({threshold})", threshold=threshold))
    left.set(xlabel=tr("training step"), ylabel=tr("training loss (nats)"),
             title=title or tr("peak learning rate {lr:g}, {seeds} seeds", lr=lr, seeds=len(seeds)))
    right.set(xscale="log", xlabel=tr("peak learning rate"), ylabel=tr("final training loss (capped at 10)"),
              title=tr("Final loss, {seeds} seeds per point", seeds=len(seeds)))
    right.set_xticks(lrs, [f"{x:g}" for x in lrs])
    right.minorticks_off()
    left.legend(fontsize=8)
    right.legend(fontsize=8)
    fig.tight_layout()
    return fig
