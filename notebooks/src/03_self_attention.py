"""Notebook 03: scaled dot-product self-attention, its masks, and why the scores are divided by sqrt(d_k)."""
from author import code, exercise, locked_code, markdown, notebook

from course_lib.solutions import self_attention as ref

INTRO = """# 03 · Self-attention: a soft dictionary look-up

**What you build:** `softmax`, `scaled_dot_product_attention`, `causal_mask`, `padding_mask`.
**What you measure:** how the softmax saturates as the width `d_k` grows, with and without the `1/sqrt(d_k)`
scaling, and what that does to the gradients.
**Time:** about 60 minutes.

Notebooks 01 and 02 showed the price of recurrence: a sequence is read one step at a time, and what was read
long ago fades. Self-attention removes the recurrence. Every position asks a question (a **query**), every
position advertises what it holds (a **key**) and what it would hand over (a **value**). A position's output
is an average of all the values, weighted by how well its query matches each key. Where do the three come
from? Each is a learned linear projection of the same input token, `q = x W_q`, `k = x W_k`, `v = x W_v`;
notebook 04 builds those projections. Here `q`, `k` and `v` are simply given tensors. All positions do this at
once, and any two positions are one step apart.

Think of a Python `dict`: a query either equals a key or it does not, and you get one value back. Attention is
the *soft* version: every key matches a little, the matches are turned into weights that sum to 1 (that is
the softmax), and you get the weighted average of the values.

**Shapes used in this notebook**

| symbol | meaning |
|---|---|
| `B` | batch size |
| `Tq`, `Tk` | number of queries, number of keys (both `T` in self-attention) |
| `d_k` | width of a query or a key |
| `d_v` | width of a value |
| `...` | any number of extra batch dimensions (heads, in notebook 04) |

Run the set-up cell first. Every exercise is followed by a check cell: it answers in well under two seconds
with a green line, or with a message that names the mistake it recognises.
"""

SETUP = """# Set-up: imports, the course's checks, fixed seeds.
import math
import os

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F

from course_lib.checks import (
    check_causal_mask,
    check_padding_mask,
    check_scaled_dot_product_attention,
    check_softmax,
)
from course_lib.experiments import yours_or_reference  # your code if it passes its check, else the reference

torch.manual_seed(0)
GRADING = "NBGRADER_EXECUTION" in os.environ  # the grader shrinks the experiments; the exercises stay the same"""

SOFTMAX_WHY = """## 1. Softmax: from scores to weights

A query is compared with every key by a dot product, which gives a **score**: any real number. To average the
values we need **weights**: non-negative and summing to 1. The softmax does that:

$$\\mathrm{softmax}(x)_i = \\frac{e^{x_i}}{\\sum_j e^{x_j}}$$

Written literally it breaks: `torch.exp(torch.tensor(1000.))` is `inf`, and `inf / inf` is `NaN`. The way out
uses one fact: adding the same number to every score of a row does not change the softmax, because the factor
$e^c$ cancels between numerator and denominator. So subtract the row's maximum first; the largest exponent
is then $e^0 = 1$ and nothing overflows."""

SOFTMAX_TEXT = """`x` has any shape; the result has the **same shape**, and sums to 1 along `dim`.
For `x` of shape `(B, Tq, Tk)` and `dim=-1`, each of the `B·Tq` rows becomes a distribution over the `Tk` keys.
Use only `torch.exp`, `amax`/`max` and `sum` (not `torch.softmax`): the point is to see why it is stable."""

SOFTMAX_HINT = """`m = x.amax(dim=dim, keepdim=True)` keeps the reduced dimension with size 1, so `x - m`
broadcasts along the right axis. Do the same for the sum."""

SOFTMAX_DEMO = """# The literal formula against yours, on scores of a size that dot products of wide vectors reach.
stable_softmax = yours_or_reference("softmax", softmax)
x = torch.tensor([[1000.0, 999.0, 998.0]])  # (1, 3)
naive = torch.exp(x) / torch.exp(x).sum(dim=-1, keepdim=True)
print("literal formula:", naive)
print("stable:         ", stable_softmax(x))"""

SDPA_WHY = """## 2. Scaled dot-product attention

Given queries `q`, keys `k` and values `v`:

1. scores: `q @ k.transpose(-2, -1)`, shape `(..., Tq, d_k) x (..., d_k, Tk) -> (..., Tq, Tk)`;
2. divide by $\\sqrt{d_k}$ (section 4 measures why);
3. where the mask is `False`, set the score to `-inf`, so its weight becomes exactly 0;
4. softmax over the **keys** (the last axis): each query's weights sum to 1;
5. output: `weights @ v`, shape `(..., Tq, Tk) x (..., Tk, d_v) -> (..., Tq, d_v)`.

**Why divide by $\\sqrt{d_k}$?** If the entries of a query and a key are independent with mean 0 and variance
1, their dot product is a sum of `d_k` such products: its variance is `d_k`, its standard deviation
$\\sqrt{d_k}$. Wider heads give larger scores, the softmax puts almost all the weight on one key, and its
gradient vanishes. Dividing by $\\sqrt{d_k}$ keeps the scores at standard deviation 1 whatever the width.

**The mask convention of this course:** a boolean mask is **`True` where attention is allowed**, as for
`torch.nn.functional.scaled_dot_product_attention`. It broadcasts against the scores `(..., Tq, Tk)`: a
padding mask of shape `(B, 1, Tk)` blocks the same keys for every query."""

SDPA_TEXT = """`q` `(..., Tq, d_k)`, `k` `(..., Tk, d_k)`, `v` `(..., Tk, d_v)`, optional boolean `mask` broadcastable to
`(..., Tq, Tk)`. Return `(output, weights)`: `output` `(..., Tq, d_v)`, `weights` `(..., Tq, Tk)`.
Use your `softmax` (or `torch.softmax`, if yours is not finished). Do not write into the inputs."""

SDPA_HINT = """`k.transpose(-2, -1)` swaps the last two axes whatever the number of batch dimensions
(`k.T` and `k.transpose(1, 2)` do not). `scores.masked_fill(~mask, float("-inf"))` fills where the mask is False."""

SDPA_COMPARE = """# Yours against PyTorch's fused kernel, with a causal mask (True = may attend, the same convention).
attend = yours_or_reference("scaled_dot_product_attention", scaled_dot_product_attention)
q, k, v = torch.randn(2, 5, 8), torch.randn(2, 5, 8), torch.randn(2, 5, 3)  # (B, T, d_k), (B, T, d_k), (B, T, d_v)
allowed = torch.ones(5, 5, dtype=torch.bool).tril()
ours, weights = attend(q, k, v, mask=allowed)
theirs = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed)
print("output", tuple(ours.shape), "weights", tuple(weights.shape))
print("greatest difference from F.scaled_dot_product_attention:", (ours - theirs).abs().max().item())"""

MASKS_WHY = """## 3. Masks: what a position may not see

Two situations need a mask.

* **Causal (look-ahead) mask.** A language model predicts token `t+1` from tokens `0..t`. If position `t` could
  attend to position `t+1` it would read the answer. Query `i` may attend to keys `0..i`: the mask is `True`
  on and below the diagonal.
* **Padding mask.** Sequences in a batch have different lengths and are padded to the longest. The padding
  is not data: no query should attend to it. For lengths `[3, 1]` and `max_len = 4` the mask is
  `[[T, T, T, F], [T, F, F, F]]`, shape `(B, max_len)`; add an axis, `mask[:, None, :]`, to broadcast it
  against scores of shape `(B, Tq, Tk)`.

Masks combine with `&`: a decoder uses `causal & padding`."""

CAUSAL_TEXT = """Return a `(T, T)` tensor of dtype `torch.bool`, `True` on and below the diagonal: row `i` (query `i`) may
see columns `0..i` (keys `0..i`)."""

CAUSAL_HINT = """`torch.ones(T, T, dtype=torch.bool).tril()` keeps the lower triangle, diagonal included."""

PADDING_TEXT = """`lengths` is a `(B,)` integer tensor, `max_len` an int at least `lengths.max()`. Return a `(B, max_len)` bool
tensor, `True` at positions `0..lengths[b]-1` of row `b` (the real tokens)."""

PADDING_HINT = """Compare `torch.arange(max_len)` of shape `(1, max_len)` with `lengths` of shape `(B, 1)`: broadcasting
gives `(B, max_len)`."""

MASK_DEMO = """# A causal mask and a padding mask combined, as a decoder uses them.
causal = yours_or_reference("causal_mask", causal_mask)
padding = yours_or_reference("padding_mask", padding_mask)
lengths = torch.tensor([4, 2])  # (B,)
combined = causal(4)[None, :, :] & padding(lengths, 4)[:, None, :]  # (1, T, T) & (B, 1, T) -> (B, T, T)
print(combined.int())"""

MEASURE_WHY = """## 4. Measured: the softmax saturates without the scaling

The claim: without dividing by $\\sqrt{d_k}$, the scores grow like $\\sqrt{d_k}$, the softmax becomes nearly
one-hot, and the gradient that flows back through it shrinks. We measure it instead of taking it on trust.

The softmax in this measurement is yours (or the reference while yours does not pass its check; the cell
says which). For each width `d_k` we draw 512 queries and 16 keys with independent standard-normal entries and compute,
with and without the scaling:

* the standard deviation of the scores;
* the largest attention weight of each query, averaged (1/16 = 0.0625 is uniform, 1.0 is one-hot);
* the norm of the gradient of a random linear read-out of the weights with respect to the scores."""

MEASURE_CODE = """stable_softmax = yours_or_reference("softmax", softmax)


def saturation(d_k, scaled, n_queries=512, n_keys=16, seed=0):
    \"\"\"Score std, mean largest weight and mean gradient norm through the softmax, for one width.\"\"\"
    g = torch.Generator().manual_seed(seed)
    q = torch.randn(n_queries, d_k, generator=g)  # (Nq, d_k)
    k = torch.randn(n_keys, d_k, generator=g)  # (Nk, d_k)
    scores = q @ k.T / (math.sqrt(d_k) if scaled else 1.0)  # (Nq, Nk)
    scores.requires_grad_(True)
    weights = stable_softmax(scores, dim=-1)  # (Nq, Nk)
    readout = torch.randn(n_queries, n_keys, generator=g)  # a random downstream use of the weights
    (weights * readout).sum().backward()
    return scores.std().item(), weights.max(dim=-1).values.mean().item(), scores.grad.norm(dim=-1).mean().item()


widths = [2, 8, 32, 128, 512] if GRADING else [2, 8, 32, 128, 512, 2048]
results = {scaled: [saturation(d, scaled) for d in widths] for scaled in (False, True)}
print(f"{'d_k':>5} | {'score std':>21} | {'largest weight':>21} | {'gradient norm':>21}")
print(f"{'':>5} | {'unscaled':>10} {'scaled':>10} | {'unscaled':>10} {'scaled':>10} | {'unscaled':>10} {'scaled':>10}")
for i, d in enumerate(widths):
    u, s = results[False][i], results[True][i]
    print(f"{d:>5} | {u[0]:>10.2f} {s[0]:>10.2f} | {u[1]:>10.3f} {s[1]:>10.3f} | {u[2]:>10.4f} {s[2]:>10.4f}")"""

PLOT_CODE = """fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
for scaled, style in ((False, "o-"), (True, "s--")):
    label = "scores / sqrt(d_k)" if scaled else "raw scores"
    axes[0].plot(widths, [r[1] for r in results[scaled]], style, label=label)
    axes[1].plot(widths, [r[2] for r in results[scaled]], style, label=label)
axes[0].axhline(1 / 16, color="grey", lw=0.8, ls=":", label="uniform (1/16)")
axes[0].set(xscale="log", xlabel="d_k (width of queries and keys)", ylabel="mean largest weight",
            title="Softmax saturation vs width", ylim=(0, 1.05))
axes[1].set(xscale="log", yscale="log", xlabel="d_k (width of queries and keys)",
            ylabel="mean gradient norm w.r.t. scores", title="Gradient through the softmax")
for ax in axes:
    ax.legend()
fig.tight_layout()
plt.show()"""

MEASURED = """# What was measured, read from `results` above.
narrow, wide = results[False][0], results[False][-1]  # (score std, largest weight, gradient norm)
scaled = results[True]
print(f"Without the scaling the score standard deviation grew from {narrow[0]:.1f} at d_k = {widths[0]} to "
      f"{wide[0]:.1f} at d_k = {widths[-1]} (sqrt(d_k) = {math.sqrt(widths[-1]):.1f}); the mean largest weight "
      f"climbed from {narrow[1]:.2f} to {wide[1]:.2f} (1/16 = {1 / 16:.3f} is uniform, 1 is one-hot), and the "
      f"gradient reaching the scores fell {narrow[2] / wide[2]:.0f}-fold, from {narrow[2]:.3f} to {wide[2]:.3f}.")
print(f"With the scaling, at every width from {widths[0]} to {widths[-1]}: score std "
      f"{min(r[0] for r in scaled):.2f} to {max(r[0] for r in scaled):.2f}, largest weight "
      f"{min(r[1] for r in scaled):.2f} to {max(r[1] for r in scaled):.2f}, gradient "
      f"{min(r[2] for r in scaled):.3f} to {max(r[2] for r in scaled):.3f}.")
kept = min(r[2] for r in scaled) / max(r[2] for r in scaled)
print(f"So the scaling keeps the gradient within a factor {1 / kept:.1f} across widths, where the raw scores "
      f"lose a factor {narrow[2] / wide[2]:.0f}: it is what lets attention with wide heads keep learning.")"""

MEASURE_SUMMARY = """## Summary

* `softmax` subtracts the maximum along `dim` first: same result, no overflow.
* `scaled_dot_product_attention` compares every query with every key in one matrix product, masks, normalises
  over the keys and averages the values: no recurrence, and any two positions are one step apart.
* Boolean masks in this course are `True` where attention is allowed; causal and padding masks combine with `&`.
* Dividing by $\\sqrt{d_k}$ keeps the softmax out of saturation, measured above.

**Next:** notebook 04 runs several attentions side by side, each on its own slice of the features."""


def build():
    return notebook([
        markdown(INTRO),
        locked_code(SETUP, "setup"),
        markdown(SOFTMAX_WHY),
        *exercise(1, ref.softmax, points=2, seed=7031, difficulty=1, importance=4, minutes=10,
                  text=SOFTMAX_TEXT, hint=SOFTMAX_HINT, signature="def softmax(x, dim=-1) -> torch.Tensor",
                  final_assert='assert torch.allclose(softmax(torch.zeros(2, 3)), torch.full((2, 3), 1 / 3)), '
                               '"equal scores must give equal weights"'),
        code(SOFTMAX_DEMO),
        markdown(SDPA_WHY),
        *exercise(2, ref.scaled_dot_product_attention, points=4, seed=5113, difficulty=2, importance=5, minutes=20,
                  text=SDPA_TEXT, hint=SDPA_HINT,
                  signature="def scaled_dot_product_attention(q, k, v, mask=None) -> tuple[torch.Tensor, torch.Tensor]",
                  final_assert="assert scaled_dot_product_attention(torch.zeros(1, 2, 3), torch.zeros(1, 4, 3), "
                               "torch.ones(1, 4, 5))[0].shape == (1, 2, 5), \"output must have shape (..., Tq, d_v)\""),
        code(SDPA_COMPARE),
        markdown(MASKS_WHY),
        *exercise(3, ref.causal_mask, points=1, seed=311, difficulty=1, importance=4, minutes=5,
                  text=CAUSAL_TEXT, hint=CAUSAL_HINT, signature="def causal_mask(T) -> torch.Tensor",
                  final_assert="assert causal_mask(2).tolist() == [[True, False], [True, True]], "
                               "\"row i may see columns 0..i\""),
        *exercise(4, ref.padding_mask, points=1, seed=977, difficulty=1, importance=4, minutes=10,
                  text=PADDING_TEXT, hint=PADDING_HINT, signature="def padding_mask(lengths, max_len) -> torch.Tensor",
                  final_assert="assert padding_mask(torch.tensor([1, 2]), 3).tolist() == "
                               "[[True, False, False], [True, True, False]], \"True marks the real tokens\""),
        code(MASK_DEMO),
        markdown(MEASURE_WHY),
        code(MEASURE_CODE),
        code(PLOT_CODE),
        code(MEASURED),
        markdown(MEASURE_SUMMARY),
    ], title="03 Self-attention")
