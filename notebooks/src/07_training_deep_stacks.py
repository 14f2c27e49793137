"""Notebook 07: what makes a deep stack trainable: layer norm, the feed-forward block, residual connections,
warm-up and label smoothing."""
from author import code, exercise, locked_code, markdown, notebook

from course_lib.solutions import training_deep_stacks as ref

INTRO = r"""# 07 · Training deep stacks: residuals, layer norm, feed-forward, warm-up

**What you build:** `layer_norm`, `FeedForward`, `EncoderLayer` (both placements of the norm), the warm-up
schedule `noam_lr` and `label_smoothed_cross_entropy`.
**What you measure:** that your encoder layer computes what `torch.nn.TransformerEncoderLayer` computes; what
layer norm does to the scale of the activations through depth; how the gradient reaching each layer of a
12-layer stack depends on the residual connections and on where the norm sits; how a deep post-LN stack
trains with and without warm-up, over several seeds, and at which learning rate each stops learning.
**Time:** about 75 minutes.

Notebooks 03 to 05 built one attention layer. The Transformer stacks many: 6 in the 2017 paper, dozens in
today's language models. Stacking is where training gets hard. A signal that passes through 12 layers is
multiplied by 12 Jacobians on the way back; if each one shrinks it a little, the first layers learn nothing,
and if each one grows it a little, the updates blow up. The Transformer's answer is a handful of small
pieces, each of which this notebook builds and then measures:

* **layer norm** keeps every position's feature vector at a fixed scale;
* the **feed-forward block** gives each position some computation of its own, between two attentions;
* **residual connections** (`x + sublayer(x)`) give the gradient a path around every sublayer;
* **warm-up** starts the learning rate small while the freshly initialised stack is fragile;
* **label smoothing** keeps the model from chasing infinitely confident predictions.

**Shapes and symbols used in this notebook**

| symbol | meaning |
|---|---|
| `B` | batch size |
| `T` | sequence length |
| `D` or `d_model` | model width: the size of every position's vector between sublayers |
| `h` | number of attention heads, `num_heads` |
| `d_ff` | width of the feed-forward block's hidden layer (4·`D` in the paper) |
| `N`, `K` | number of scored positions and number of classes (for the loss) |
| `L` | number of layers in a stack |

Run the set-up cell first. Every exercise is followed by a check cell: it answers in well under two seconds
with a green line, or with a message that names the mistake it recognises."""

SETUP = """# Set-up: imports, the course's checks, notebook 04's attention, fixed seeds.
import math
import os

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch import nn

from course_lib.checks import (
    check_encoder_layer,
    check_feed_forward,
    check_label_smoothed_cross_entropy,
    check_layer_norm,
    check_noam_lr,
)
from course_lib.experiments import (
    claims,  # the thresholds every printed conclusion uses
    yours_or_reference,  # your code if it passes its check, else the reference
)
from course_lib.experiments import training_deep_stacks as experiments
from course_lib.handouts import MultiHeadAttention  # you built it in notebook 04

torch.manual_seed(0)
GRADING = "NBGRADER_EXECUTION" in os.environ  # the grader shrinks the experiments, not the exercises"""

LN_WHY = r"""## 1. Layer norm

A layer's output is a sum of many products; its scale depends on the scale of its input and of its weights,
and in a stack these scales multiply. **Layer normalisation** (Ba, Kiros and Hinton, 2016) resets the scale
at every step: for each position on its own, it takes the `D` features, subtracts their mean and divides by
their standard deviation, so that the vector has mean 0 and variance 1. Two learned vectors of size `D`
then give the layer back the freedom to choose a scale and an offset per feature:

$$\mathrm{LN}(x) = \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}}\,\gamma + \beta,\qquad
\mu = \frac1D\sum_{j} x_j,\quad \sigma^2 = \frac1D\sum_j (x_j - \mu)^2 .$$

Three details matter, and the check knows the slips people make with each:

* the statistics are over the **last** dimension, the features of one position: each token is normalised
  on its own, whatever the batch or the sequence holds (batch norm, by contrast, averages over the batch);
* the variance is the **biased** one, divided by `D`, not `D - 1` (that is what `nn.LayerNorm` computes;
  `torch.var` divides by `D - 1` unless told `unbiased=False`);
* `ϵ` (1e-5) goes **inside** the square root: it keeps the division finite when all features are equal."""

LN_TEXT = """`x` has shape `(..., D)`: any number of leading dimensions. `gamma` and `beta` have shape `(D,)`. Return a
tensor of the shape of `x`: every vector `x[..., :]` normalised to mean 0 and (biased) variance 1 over its
`D` features, then multiplied by `gamma` and shifted by `beta`. Use the `eps` you are given."""

LN_HINT = """`x.mean(dim=-1, keepdim=True)` and `x.var(dim=-1, keepdim=True, unbiased=False)` keep a dimension of size 1,
so they broadcast against `x`. Then `(x - mean) / torch.sqrt(var + eps) * gamma + beta`."""

LN_DEMO = """# Your layer_norm against PyTorch's, on a batch of token vectors far from mean 0 and variance 1.
norm = yours_or_reference("layer_norm", layer_norm)
torch.manual_seed(0)
x = 3 * torch.randn(2, 4, 8) + 5  # (B, T, D)
gamma, beta = torch.ones(8), torch.zeros(8)
y = norm(x, gamma, beta)
print("per-position mean of the output (first sequence):", [round(v, 4) for v in y[0].mean(-1).tolist()])
print("per-position std of the output (first sequence): ", [round(v, 4) for v in y[0].std(-1, unbiased=False).tolist()])
print(f"greatest difference from F.layer_norm: {(y - F.layer_norm(x, (8,), gamma, beta)).abs().max().item():.1e}")"""

SCALE_WHY = r"""### Measured: the scale of the activations through depth

Now that both placements of the norm are defined, here is what the norm buys in a residual stack. To see the
norm alone, we leave attention out: 24 of **your** `FeedForward` blocks (exercise 2), PyTorch's default
initialisation, and a batch of random vectors `(B, T, D) = (16, 8, 64)` with rms 1, pushed through them three
ways, with the same weights:

* **no norm**: `x = x + ffn(x)`;
* **post-LN** (the table above, feed-forward sublayer only): `x = layer_norm(x + ffn(x))`;
* **pre-LN**: `x = x + ffn(layer_norm(x))`.

We print the root-mean-square of the residual stream `x` after each block. Your `layer_norm` and `FeedForward`
run (each if it passes its check)."""

SCALE_CODE = """norm = yours_or_reference("layer_norm", layer_norm)
ffn_cls = yours_or_reference("FeedForward", FeedForward)
depth = 6 if GRADING else 24
scales = experiments.activation_scales(depth=depth, d_model=64, d_ff=128, norm=norm, ffn_cls=ffn_cls)
print(f"{'after block':>11} | {'no norm':>8} | {'pre-LN':>8} | {'post-LN':>8}")
for i in sorted({0, 1, 3, 7, 11, 15, depth - 1} & set(range(depth))):
    print(f"{i + 1:>11} | {scales['no norm'][i]:>8.3f} | {scales['pre-LN'][i]:>8.3f} | {scales['post-LN'][i]:>8.3f}")
fig = experiments.plot_activation_scales(scales)
plt.show()"""

SCALE_SUMMARY = """# The interpretation, computed from the measurements above.
growth = {name: scales[name][-1] / scales["input"] for name in ("no norm", "pre-LN", "post-LN")}
per_block = growth["no norm"] ** (1 / depth)
print(f"Without a norm the residual stream grew {growth['no norm']:.2f}x over {depth} blocks, about "
      f"{per_block:.3f}x per block: a geometric growth, which compounds with depth.")
if growth["pre-LN"] < growth["no norm"]:
    print(f"Pre-LN normalises only what enters each block, so the stream still grows, but more slowly: "
          f"{growth['pre-LN']:.2f}x (each block adds an output of bounded size to it).")
else:
    print(f"Pre-LN did not slow the growth here ({growth['pre-LN']:.2f}x against {growth['no norm']:.2f}x).")
low, high = min(scales["post-LN"]), max(scales["post-LN"])
where = f"at {low:.3f}" if high - low < 5e-4 else f"between {low:.3f} and {high:.3f}"
print(f"Post-LN resets the scale after every block: the stream's rms stays {where} (the norm's gamma is 1), "
      "whatever the depth.")"""

FFN_WHY = r"""## 2. The feed-forward block

Attention moves information *between* positions: each output is a weighted average of values. It does
little computation on what it gathered: the average is linear in the values. The Transformer gives every
position a small two-layer network of its own, the same for all positions (a 1×1 convolution, in other
words), between one attention and the next:

$$\mathrm{FFN}(x) = W_2\,\mathrm{ReLU}(W_1 x + b_1) + b_2,$$

widening from `D` to `d_ff` (2048 = 4·512 in the paper) and narrowing back. The ReLU is what makes the block
more than one linear map. Most of a Transformer's parameters sit in these blocks: 8·`D`² per layer against
4·`D`² for the attention's four projections."""

FFN_TEXT = """`__init__(d_model, d_ff, dropout=0.0)`: two `nn.Linear` members named **`linear1`** (`d_model -> d_ff`) and
**`linear2`** (`d_ff -> d_model`), with bias, and an `nn.Dropout(dropout)`.

`forward(x)`: `x` has shape `(..., d_model)`; return `linear2(dropout(relu(linear1(x))))`, of the same shape.
The check loads its own weights into `linear1` and `linear2` (so the names matter), runs in `eval()`, then
checks that dropout acts in `train()`."""

FFN_HINT = """`nn.Linear` acts on the last dimension whatever the leading ones, so `(B, T, D)` needs no reshaping.
Dropout goes after the ReLU, on the hidden layer of width `d_ff`."""

ENC_WHY = r"""## 3. The encoder layer: residual connections, and where the norm goes

An encoder layer is two sublayers: self-attention (notebook 04's `MultiHeadAttention`), then the
feed-forward block. Each is wrapped in a **residual connection**: the sublayer computes a *change* that is
added to its input, `x + sublayer(x)`. The derivative of `x + f(x)` with respect to `x` is `I + f'(x)`:
whatever `f` does to the gradient, the identity passes it through unchanged, so the lowest layer hears the
loss as clearly as the highest.

Where does the layer norm go? Two answers are in use, and torch's `TransformerEncoderLayer` offers both with
its `norm_first` flag:

| | `norm_first=False`: **post-LN** (the 2017 paper) | `norm_first=True`: **pre-LN** (GPT-2 and later) |
|---|---|---|
| attention | `x = norm1(x + attend(x))` | `x = x + attend(norm1(x))` |
| feed-forward | `x = norm2(x + ffn(x))` | `x = x + ffn(norm2(x))` |

In post-LN the norm sits on the residual path itself: every layer's output is normalised, and the gradient
must pass through 2·`L` norms on its way down. In pre-LN the residual path from the output to the input is a
clean sum, never normalised; each sublayer reads a normalised copy of it. (A pre-LN stack therefore needs one
final norm after its last layer, which the model adds, not the layer.)

The layer uses dropout in three places, as torch's does: inside the feed-forward block after the ReLU
(`self.dropout`), and on each sublayer's output just before it is added to the residual (`self.dropout1`,
`self.dropout2`); `MultiHeadAttention` drops attention weights itself."""

ENC_TEXT = """`__init__(d_model, num_heads, d_ff, dropout=0.0, norm_first=False)`: the members **`self_attn`** (a
`MultiHeadAttention(d_model, num_heads, dropout)`, notebook 04's, imported in the set-up cell), **`linear1`**,
**`linear2`** (the feed-forward block, as in exercise 2), **`norm1`**, **`norm2`** (`nn.LayerNorm(d_model)`), the
dropouts, and `norm_first`. These names are torch's, and they are what the check loads its weights into.

`forward(x, mask=None)`: `x` has shape `(B, T, D)`; `mask` (True = may attend) broadcasts against the scores
`(B, h, T, T)` and is passed on to the self-attention unchanged. Return `(B, T, D)`, computed as in the table
above for the `norm_first` you were given. The check runs both placements, with a padding mask `(B, 1, 1, T)`
and a causal mask `(T, T)`."""

ENC_HINT = """```python
def forward(self, x, mask=None):
    if self.norm_first:
        x = x + self._attend(self.norm1(x), mask)
        ...
```
with `_attend(x, mask)` returning `self.dropout1(self.self_attn(x, x, x, mask)[0])` (the attention returns
`(output, weights)`)."""

TORCH_WHY = r"""### Measured: the same function as `torch.nn.TransformerEncoderLayer`

PyTorch's layer has the same members under the same names, except that its attention keeps the three input
projections in one matrix, `in_proj_weight` `(3D, D)`, and calls `w_o` `out_proj` (as in notebook 04). We copy
the weights of your layer into torch's, for both placements, and compare on a batch with a padding mask and
with a causal mask. Remember that torch's boolean masks mean the opposite of ours: `True` is *blocked*
there, so we pass `~mask`."""

TORCH_CODE = """Layer = yours_or_reference("EncoderLayer", EncoderLayer)


def torch_copy(ours):
    \"\"\"A torch.nn.TransformerEncoderLayer holding the weights of `ours`.\"\"\"
    D = ours.linear1.in_features
    theirs = nn.TransformerEncoderLayer(D, ours.self_attn.num_heads, ours.linear1.out_features, dropout=0.0,
                                        batch_first=True, norm_first=ours.norm_first)
    a = ours.self_attn
    with torch.no_grad():
        theirs.self_attn.in_proj_weight.copy_(torch.cat([a.w_q.weight, a.w_k.weight, a.w_v.weight]))  # (3D, D)
        theirs.self_attn.in_proj_bias.copy_(torch.cat([a.w_q.bias, a.w_k.bias, a.w_v.bias]))  # (3D,)
        theirs.self_attn.out_proj.weight.copy_(a.w_o.weight)
        theirs.self_attn.out_proj.bias.copy_(a.w_o.bias)
        for name in ("linear1", "linear2", "norm1", "norm2"):
            for p_theirs, p_ours in zip(getattr(theirs, name).parameters(), getattr(ours, name).parameters()):
                p_theirs.copy_(p_ours)
    return theirs.eval()


torch.manual_seed(0)
x = torch.randn(3, 6, 16)  # (B, T, D)
real = torch.arange(6)[None, :] < torch.tensor([6, 4, 1])[:, None]  # (B, T): True at real tokens
causal = torch.ones(6, 6, dtype=torch.bool).tril()  # (T, T): True = may attend
torch_difference = 0.0  # the greatest difference over both placements and both masks
for norm_first in (False, True):
    ours = Layer(16, 4, 32, 0.0, norm_first).eval()
    theirs = torch_copy(ours)
    with torch.no_grad():
        padded = (ours(x, real[:, None, None, :]) - theirs(x, src_key_padding_mask=~real)).abs()
        causal_diff = (ours(x, causal) - theirs(x, src_mask=~causal)).abs()
    torch_difference = max(torch_difference, padded[real].max().item(), causal_diff.max().item())
    name = "pre-LN " if norm_first else "post-LN"
    print(f"{name}: greatest difference with a padding mask {padded[real].max().item():.1e} (real positions), "
          f"with a causal mask {causal_diff.max().item():.1e}")"""

GRAD_WHY = r"""### Measured: the gradient that reaches each layer

Now the claim about residual connections. We stack 12 encoder layers (`D` = 32, 4 heads, `d_ff` = 64) between
token and position embeddings and a read-out, put one batch of a toy task through it (reverse a sequence of
8 digits), and measure, right at initialisation, the norm of the loss's gradient with respect to each
layer's parameters: how loudly each layer hears the loss. Three stacks, all built from your `EncoderLayer`:

* **post-LN**, the paper's layer;
* **pre-LN**, the same layer with `norm_first=True` (and a final norm before the read-out);
* **post-LN without residuals**: the same members, but `x = norm1(attend(x))`, `x = norm2(ffn(x))`: no
  path around the sublayers.

Each number is the average over 3 random initialisations."""

GRAD_CODE = """Layer = yours_or_reference("EncoderLayer", EncoderLayer)
config = experiments.StackConfig(depth=12, d_model=32, num_heads=4, d_ff=64)
seeds = (0,) if GRADING else (0, 1, 2)
norms = {p: experiments.layer_gradient_norms(config, p, Layer, seeds) for p in experiments.PLACEMENTS}
print(f"{'layer':>5} | " + " | ".join(f"{p:>21}" for p in norms))
for i in range(config.depth):
    print(f"{i + 1:>5} | " + " | ".join(f"{norms[p][i]:>21.3f}" for p in norms))
fig = experiments.plot_gradient_norms(norms)
plt.show()"""

GRAD_SUMMARY = """# The interpretation, computed from the measurements above (thresholds: course_lib/experiments/claims.py).
ratio = {p: n[-1] / n[0] for p, n in norms.items()}  # last layer's gradient over the first layer's
spread = {p: max(n) / min(n) for p, n in norms.items()}
for p in norms:
    print(f"{p:>21}: the last layer's gradient is {ratio[p]:.2f}x the first layer's; "
          f"largest over smallest across the 12 layers {spread[p]:.2f}x")
no_res, post, pre = ratio["post-LN, no residuals"], ratio["post-LN"], ratio["pre-LN"]
evenly = (f"every layer gets about the same gradient (within {claims.EVEN_SPREAD}x)"
          if spread["pre-LN"] < claims.EVEN_SPREAD else
          f"the layers stay within {spread['pre-LN']:.1f}x of each other")
direction = "shrinks" if no_res > 1 else "grows"
print(f"Without residual connections the gradient {direction} on its way down: the last layer's gradient is "
      f"{no_res:.1f}x the first layer's. With them (post-LN) that factor is {post:.2f}, and with the norm moved off "
      f"the residual path (pre-LN) it is {pre:.2f}: {evenly}.")"""

NOAM_WHY = r"""## 4. Warm-up: the learning-rate schedule

Adam divides each update by a running estimate of the gradient's size. In the first steps that estimate
rests on a handful of gradients, and a freshly initialised deep stack (post-LN especially: its gradients near
the output are the largest, as measured above) can take a few large, badly aimed steps from which it never
recovers. The paper's remedy is a **warm-up**: the learning rate grows linearly from almost 0 for `warmup`
steps, then decays as one over the square root of the step:

$$\mathrm{lr}(s) = D^{-0.5}\cdot\min\left(s^{-0.5},\; s\cdot \mathrm{warmup}^{-1.5}\right),\qquad s = 1, 2, \dots$$

The two branches meet at `s = warmup`, the peak. The factor `D^-0.5` gives wider models smaller steps. The
paper used `D` = 512 and `warmup` = 4000; it calls this schedule "Noam" after one of its authors."""

NOAM_TEXT = """`step` (an int ≥ 1), `d_model`, `warmup`: return the learning rate as a Python float."""

NOAM_HINT = """`d_model ** -0.5 * min(step ** -0.5, step * warmup ** -1.5)`. The smaller of the two branches is the ramp
while `step < warmup`, and the decay after."""

NOAM_PLOT = """noam = yours_or_reference("noam_lr", noam_lr)
steps = range(1, 20001)
fig, ax = plt.subplots(figsize=(6.5, 3.2))
for d_model, warmup in ((512, 4000), (512, 8000), (256, 4000)):
    ax.plot(steps, [noam(s, d_model, warmup) for s in steps], label=f"d_model {d_model}, warmup {warmup}")
ax.set(xlabel="step", ylabel="learning rate", title="The schedule of 'Attention is all you need'")
ax.legend()
fig.tight_layout()
plt.show()
print(f"peak for d_model 512, warmup 4000: {noam(4000, 512, 4000):.2e} at step 4000")"""

WARM_WHY = r"""### Measured: a deep post-LN stack with and without warm-up

We train the 12-layer post-LN stack of section 3 (your `EncoderLayer`) on the reversal task with Adam, 80
steps, at three peak learning rates, and repeat every run with **3 seeds** (each seed changes the initial
weights and the batches): a conclusion must hold for every seed shown, not for one lucky run. Two schedules
with the same peak and the same decay:

* **warm-up**: your `noam_lr`, rescaled so that its peak (at step 20) is the chosen learning rate;
* **no warm-up**: the peak from the first step, then the same `1/sqrt(step)` decay after step 20.

The model predicts one of **13 tokens** at every position: the 10 digits and the 3 markers of
`course_lib.data` (`PAD`, `BOS`, `EOS`), which share the vocabulary with the digits. Guessing uniformly over them
costs ln 13 ≈ 2.56 nats, the loss at the start. A model that has learned nothing about the order, but predicts
the digits' frequencies, reaches ln 10 ≈ 2.30. We call a run *failed* when its final loss (the mean of its
last 10 steps) is above **2.2**, drawn as the red line on both plots (`claims.FAILED_LOSS`). A run above the
line whose curve is still falling has not learned *yet*, within these 80 steps; the cell says so."""

WARM_CODE = """Layer = yours_or_reference("EncoderLayer", EncoderLayer)
noam = yours_or_reference("noam_lr", noam_lr)
config = experiments.StackConfig(depth=12, d_model=32, num_heads=4, d_ff=64)
lrs, seeds = experiments.WARMUP_LRS, experiments.WARMUP_SEEDS
steps, warmup = experiments.WARMUP_STEPS, experiments.WARMUP_WARMUP  # about 30 s on a laptop CPU
runs = experiments.warmup_experiment(config, lrs, seeds, Layer, noam, steps, warmup)
print(f"final training loss, {len(seeds)} seeds: " + ", ".join(str(s) for s in seeds))
print(f"{'peak lr':>8} | {'warm-up':>20} | {'no warm-up':>20}")
for lr in lrs:
    cells = [", ".join(f"{runs[s][0][label][lr]:.2f}" for s in seeds) for label in ("warm-up", "no warm-up")]
    print(f"{lr:>8g} | {cells[0]:>20} | {cells[1]:>20}")
shown = 5e-3 if 5e-3 in lrs else lrs[0]
fig = experiments.plot_warmup(runs, shown, title=f"12-layer post-LN stack, peak learning rate {shown:g}")
plt.show()"""

WARM_SUMMARY = """# The interpretation, computed from the measurements above: each sentence holds for every seed shown.
warm_rows, warm_claim = experiments.warmup_claims(runs, steps, warmup)
for row in warm_rows:
    print(row)
print(warm_claim)"""

LS_WHY = r"""## 5. Label smoothing

Cross-entropy against a one-hot target is lowest when the model gives the right class probability 1, which
a softmax only reaches as the logits go to infinity. The model keeps pushing its logits apart long after its
answers are right. **Label smoothing** (Szegedy et al., 2016; the Transformer used 0.1) trains against a
softer target: `1 - ε` on the true class, plus `ε` spread evenly over **all** `K` classes (the true one
included, as `F.cross_entropy(..., label_smoothing=ε)` defines it):

$$\mathrm{loss} = (1-\varepsilon)\,\bigl(-\log p_y\bigr) + \varepsilon\,\frac1K\sum_{k=1}^{K}\bigl(-\log p_k\bigr).$$

Now the best prediction is no longer infinitely confident. In sequence tasks some positions are padding:
their target is `ignore_index`, and they count for nothing, neither in the sum nor in the number of
positions the mean divides by."""

LS_TEXT = """`logits` `(N, K)`, `target` `(N,)` of class indices, `smoothing` a float in `[0, 1]`. Return the mean loss over
the positions whose target is not `ignore_index` (all of them when `ignore_index` is None), a scalar tensor
equal to `F.cross_entropy(logits, target, label_smoothing=smoothing, ignore_index=...)`."""

LS_HINT = """`logp = torch.log_softmax(logits, dim=-1)`; `-logp.gather(-1, target[:, None])` is the true class's term and
`-logp.mean(dim=-1)` the uniform one. Positions with `target == ignore_index` must not index `gather` with an
invalid class: replace their target by 0 first (`masked_fill`), then drop their loss."""

LS_DEMO = """loss_fn = yours_or_reference("label_smoothed_cross_entropy", label_smoothed_cross_entropy)
torch.manual_seed(0)
logits, target = torch.randn(6, 5), torch.tensor([1, 0, 4, 0, 2, 3])  # class 0 plays the padding token
for eps, ignore in ((0.0, None), (0.1, None), (0.1, 0)):
    ours = loss_fn(logits, target, eps, ignore_index=ignore)
    theirs = F.cross_entropy(logits, target, label_smoothing=eps, ignore_index=-100 if ignore is None else ignore)
    print(f"smoothing {eps}, ignore_index {ignore}: the function above {ours.item():.5f}, "
          f"F.cross_entropy {theirs.item():.5f}")

# The best confidence: logits (c, 0, ..., 0) with the true class first, for a growing margin c (float64).
K, margins = 10, torch.linspace(0, 20, 401, dtype=torch.float64)
best_margin = {}
for eps in (0.0, 0.1):
    logits = F.pad(margins[:, None], (0, K - 1))  # (401, K): margin c, then K - 1 zeros
    losses = torch.stack([loss_fn(row[None], torch.tensor([0]), eps) for row in logits])  # one position each
    best = best_margin[eps] = margins[losses.argmin()].item()
    p_true = torch.softmax(logits[losses.argmin()], -1)[0].item()
    if best == margins[-1].item():
        where = "at the end of the range: it keeps falling as the margin grows"
    else:
        where = f"at margin {best:.2f} (p of the true class {p_true:.3f}); beyond it the loss rises again"
    print(f"smoothing {eps}: loss at margin 5 {losses[100].item():.4f}, at 20 {losses[-1].item():.2e}; lowest {where}")"""

RECAP = """# What was measured, computed from the cells above.
print(f"Layer norm: over {depth} residual blocks of the FeedForward that ran, the stream's rms grew "
      f"{growth['no norm']:.2f}x without a norm and {growth['pre-LN']:.2f}x with pre-LN; with post-LN it stayed "
      f"at {scales['post-LN'][-1]:.2f}.")
print(f"The EncoderLayer that ran and torch.nn.TransformerEncoderLayer, same weights, both placements: greatest "
      f"difference {torch_difference:.1e}.")
print(f"Gradient at initialisation, last layer over first, {config.depth} layers: "
      f"{ratio['post-LN, no residuals']:.1f}x without residuals, {ratio['post-LN']:.2f}x post-LN, "
      f"{ratio['pre-LN']:.2f}x pre-LN.")
print(f"Warm-up, 12-layer post-LN stack, {len(seeds)} seeds: {warm_claim}")
plain = ("still falls at margin 20, the end of the range" if best_margin[0.0] == 20.0
         else f"is lowest at margin {best_margin[0.0]:.2f}")
print(f"Label smoothing 0.1: the loss is lowest at margin {best_margin[0.1]:.2f}; without smoothing it {plain}.")"""

SUMMARY = """## Summary

* `layer_norm` normalises every position's feature vector on its own, over the last dimension, with the biased
  variance and `ϵ` inside the square root; `gamma` and `beta` give back a learned scale and offset. In a stack
  it fixes the scale of the residual stream (post-LN) or of what enters each block (pre-LN).
* `FeedForward` is a two-layer network applied to every position alone: widen, ReLU, narrow.
* `EncoderLayer` wraps self-attention and the feed-forward block in residual connections and layer norms, in
  either placement; with the same weights it is torch's `TransformerEncoderLayer`. The residual connections
  carry the gradient down a deep stack; moving the norm off the residual path (pre-LN) evens it out across
  the layers.
* `noam_lr` ramps the learning rate up for `warmup` steps, then decays it as `1/sqrt(step)`. The warm-up keeps a
  freshly initialised post-LN stack from taking large early steps; the warm-up cell says, for every seed shown,
  at which peak learning rates that decided whether the stack learned, and where it only cost time.
* `label_smoothed_cross_entropy` trains against a target with `ε` spread over all classes, so the best
  prediction is confident but finite.

The cell below gathers the numbers behind each claim, as the cells above measured them with your code.

**Next:** notebook 08 stacks your `EncoderLayer` with a decoder into the whole encoder-decoder Transformer and
trains it on a toy task."""


def build():
    return notebook([
        markdown(INTRO),
        locked_code(SETUP, "setup"),
        markdown(LN_WHY),
        *exercise(1, ref.layer_norm, points=2, seed=7101, difficulty=2, importance=5, minutes=10,
                  text=LN_TEXT, hint=LN_HINT,
                  final_assert="assert torch.allclose(layer_norm(torch.tensor([[1.0, 3.0]]), torch.ones(2), "
                               "torch.zeros(2)), torch.tensor([[-1.0, 1.0]]), atol=1e-3), "
                               "\"each vector: mean 0, variance 1\""),
        code(LN_DEMO),
        markdown(FFN_WHY),
        *exercise(2, ref.FeedForward, points=2, seed=7203, difficulty=1, importance=4, minutes=5,
                  text=FFN_TEXT, hint=FFN_HINT,
                  final_assert="assert FeedForward(8, 32)(torch.zeros(2, 3, 8)).shape == (2, 3, 8), "
                               "\"the block maps (B, T, D) to (B, T, D)\""),
        markdown(ENC_WHY),
        *exercise(3, ref.EncoderLayer, points=4, seed=7307, difficulty=3, importance=5, minutes=20,
                  text=ENC_TEXT, hint=ENC_HINT,
                  final_assert="assert EncoderLayer(8, 2, 16, norm_first=True)(torch.zeros(2, 3, 8)).shape == "
                               "(2, 3, 8), \"the layer maps (B, T, D) to (B, T, D)\""),
        markdown(TORCH_WHY),
        code(TORCH_CODE),
        markdown(SCALE_WHY),
        code(SCALE_CODE),
        code(SCALE_SUMMARY),
        markdown(GRAD_WHY),
        code(GRAD_CODE),
        code(GRAD_SUMMARY),
        markdown(NOAM_WHY),
        *exercise(4, ref.noam_lr, points=2, seed=7411, difficulty=1, importance=3, minutes=5,
                  text=NOAM_TEXT, hint=NOAM_HINT,
                  final_assert="assert abs(noam_lr(4000, 512, 4000) - 512 ** -0.5 * 4000 ** -0.5) < 1e-12, "
                               "\"the peak is at step == warmup\""),
        code(NOAM_PLOT),
        markdown(WARM_WHY),
        code(WARM_CODE),
        code(WARM_SUMMARY),
        markdown(LS_WHY),
        *exercise(5, ref.label_smoothed_cross_entropy, points=3, seed=7523, difficulty=3, importance=3,
                  minutes=15, text=LS_TEXT, hint=LS_HINT,
                  final_assert="assert abs(label_smoothed_cross_entropy(torch.zeros(2, 4), torch.tensor([0, 3]), "
                               "0.1).item() - math.log(4)) < 1e-5, \"uniform logits cost log K\""),
        code(LS_DEMO),
        markdown(SUMMARY),
        code(RECAP),
    ], title="07 Training deep stacks")
