"""Notebook 05: attention alone is blind to order; sinusoidal, learned and (optional) rotary positions."""
from author import code, exercise, locked_code, markdown, notebook

from course_lib.solutions import positional_encoding as ref

INTRO = r"""# 05 · Positional encoding: attention alone is blind to order

**What you build:** `sinusoidal_positional_encoding`, `LearnedPositionalEmbedding`, and, as an optional
extension, rotary embeddings `apply_rope`.
**What you measure:** that self-attention without positions is *permutation-equivariant* (shuffle the
input and the output comes out shuffled the same way) and that adding positions breaks it; that the
sinusoidal code of position `p + k` is one fixed matrix times the code of `p`; that the dot product of two
codes depends only on their distance; and that a small attention model cannot tell which of two tokens comes
first without positions, and can with them.
**Time:** about 50 minutes, and 20 more for the optional extension.

Notebook 03 built attention from matrix products over all positions at once: no recurrence, any two
positions one step apart. The price is hidden in the same formula. Nothing in `softmax(q kᵀ / √d_k) v` says
*where* a query or a key sits in the sequence: position 3 and position 30 are treated alike. "dog bites man"
and "man bites dog" hold the same words, and to attention they are the same set. This notebook measures that
blindness, then gives the model the positions back.

**Shapes and symbols used in this notebook**

| symbol | meaning |
|---|---|
| `B` | batch size |
| `T` | sequence length |
| `D` or `d_model` | width of a token vector (even here) |
| `max_len` | number of positions a table holds |
| `p`, `q` | positions, counted from 0 |
| `i` | pair index: dimensions `2i` and `2i+1` form pair `i`, `i = 0 .. D/2 - 1` |
| `k` | a shift or distance between positions |

Run the set-up cell first. Every exercise is followed by a check cell: it answers in well under two seconds
with a green line, or with a message that names the mistake it recognises.
"""

SETUP = """# Set-up: imports, the course's checks, fixed seeds.
import math
import os

import matplotlib.pyplot as plt
import torch
from torch import nn

from course_lib.checks import (
    check_apply_rope,
    check_learned_positional_embedding,
    check_sinusoidal_positional_encoding,
)
from course_lib.experiments import positional_encoding as experiments
from course_lib.experiments import yours_or_reference  # your code if it passes its check, else the reference
from course_lib.handouts import MultiHeadAttention  # notebook 04's module, given (or paste in yours)

torch.manual_seed(0)
GRADING = "NBGRADER_EXECUTION" in os.environ  # the grader shrinks the experiments, not the exercises"""

BLIND_WHY = r"""## 1. Measured: shuffle the input, the output shuffles the same way

Take a self-attention layer and an input `x` of `T` token vectors. Reorder the tokens with a permutation
`perm`. The queries, keys and values are computed token by token, so they are reordered the same way; the
score matrix `q kᵀ` has its rows *and* its columns reordered; the softmax of each row does not care in which
order the row's entries come; and each output is a weighted average of values that does not care in which
order they are summed. So

$$\mathrm{attn}(x[\mathrm{perm}]) = \mathrm{attn}(x)[\mathrm{perm}]:$$

self-attention is **permutation-equivariant**. Each token gets the same output wherever it stands; only the
rows move. Pool the outputs into one vector (a mean, say, to classify the sentence) and the order is gone
entirely. We check the claim on notebook 04's `MultiHeadAttention`, weights drawn at random: if it holds, the
greatest difference is at the level of float32 rounding (about 1e-7), not exactly zero, because the sums are
taken in another order."""

BLIND_CODE = """# Measured: attention applied to a shuffled sequence vs the shuffled attention output.
torch.manual_seed(0)
B, T, D = 1, 10, 16
attn = MultiHeadAttention(D, num_heads=4)  # notebook 04's module; any self-attention layer shows the same
self_attend = lambda x: attn(x, x, x)[0]  # noqa: E731 - self-attention: queries, keys and values from x


def shuffle_gaps(x, perm, pe=0.0):
    \"\"\"Greatest |attn(x[perm] + pe) - attn(x + pe)[perm]| per position (T,): tokens move, pe stays.\"\"\"
    with torch.no_grad():
        return (self_attend(x[:, perm] + pe) - self_attend(x + pe)[:, perm]).abs().amax(dim=(0, 2))


x = torch.randn(B, T, D)  # (B, T, D): ten token vectors, no position information
perm = torch.randperm(T)
gaps_without = shuffle_gaps(x, perm)
print("the permutation:", perm.tolist())
print(f"greatest |attn(x[perm]) - attn(x)[perm]| without positions: {gaps_without.max():.1e}")
with torch.no_grad():
    pooled_gap = (self_attend(x[:, perm]).mean(dim=1) - self_attend(x).mean(dim=1)).abs().max()
print(f"mean-pooled outputs, shuffled vs original:                   {pooled_gap:.1e}")"""

SINUSOIDAL_WHY = r"""## 2. The sinusoidal positional encoding

The Transformer paper ("Attention is all you need", section 3.5) adds to each token vector a fixed vector
that depends only on its position `p`:

$$\mathrm{PE}[p, 2i] = \sin\!\left(\frac{p}{10000^{2i/d}}\right), \qquad
\mathrm{PE}[p, 2i+1] = \cos\!\left(\frac{p}{10000^{2i/d}}\right), \qquad i = 0, \dots, d/2 - 1.$$

Read it pair by pair. Dimensions `2i` and `2i+1` hold the sine and cosine of one angle, $p\,\omega_i$, with
the frequency $\omega_i = 10000^{-2i/d}$: a point on a circle that turns by $\omega_i$ radians per position,
like the hand of a clock. Pair 0 turns by 1 radian per position (it repeats every $2\pi \approx 6.3$
positions), and each next pair turns more slowly, down to almost $1/10000$ radian per position for the last
one (a wavelength approaching $10000 \cdot 2\pi \approx 63{,}000$ positions). Fast hands tell neighbours
apart, slow hands tell where in a long sequence we are, much as the digits of a binary counter flip at
different rates.

The exponent belongs to the **pair**, not to the dimension: dimension `2i+1` uses $2i/d$, exactly like its
neighbour `2i`. Positions count from 0, so `PE[0]` is `[0, 1, 0, 1, ...]`.

Why sines and cosines rather than, say, `p / max_len`? Every entry stays in `[-1, 1]` whatever the length,
the table needs no training and exists for any length, and moving by `k` positions turns every pair by a
fixed angle: section 3 measures that this makes `PE[p + k]` a fixed linear function of `PE[p]`."""

SINUSOIDAL_TEXT = r"""`max_len` and `d_model` are ints, `d_model` even. Return a `(max_len, d_model)` tensor
of dtype `torch.float32`: row `p` is the code of position `p`, for `p = 0 .. max_len - 1`. Sines in the even
columns, cosines in the odd ones, interleaved. Use torch (not NumPy, which gives float64); a loop is fine but
the vectorised version is a few lines."""

SINUSOIDAL_HINT = r"""Build a column of positions, `(max_len, 1)`, and a row of exponents `2i/d` from
`torch.arange(0, d_model, 2) / d_model`, `(d_model/2,)`; dividing one by `10000 **` the other broadcasts to
the angles, `(max_len, d_model/2)`. Then `pe[:, 0::2] = torch.sin(angle)` and
`pe[:, 1::2] = torch.cos(angle)` on a `torch.zeros(max_len, d_model)`. (The exp form
`torch.exp(two_i * -(math.log(10000.0) / d_model))` gives the same frequencies; mind its minus sign.)"""

SINUSOIDAL_DEMO = """# Row p is position p: PE[0] = [0, 1, 0, 1, ...]; pair 0 turns by 1 radian per step.
sinusoidal = yours_or_reference("sinusoidal_positional_encoding", sinusoidal_positional_encoding)
torch.set_printoptions(precision=3, sci_mode=False)
print(sinusoidal(4, 6))
torch.set_printoptions(profile="default")"""

BROKEN_WHY = r"""### Measured: with positions added, the shuffle no longer commutes

Add the table to the tokens *before* attention, `x + PE[:T]`, and shuffle the tokens: each token now arrives
with the code of its new position, so the layer sees a different input, not a reordered one. The same test as
in section 1, with the same layer, input and permutation. Here and in section 3 the table is yours, or the
reference's while yours does not pass its check (the cell above said which).

A freshly initialised layer attends almost uniformly (its largest weights are not far above 1/T), so every
output is close to the same average and the outputs of different tokens differ only a little. Read the gap
against that spread and against the rounding-level gap of section 1; training sharpens attention and widens both."""

BROKEN_CODE = """# Section 1's layer, input and permutation, with your table added after the shuffle.
pe = sinusoidal(T, D)  # (T, D)
gaps_with = shuffle_gaps(x, perm, pe)  # (T,)
with torch.no_grad():
    token_spread = self_attend(x + pe).std(dim=1).mean()  # how much the outputs of different tokens differ
print(f"greatest |attn(x[perm] + PE) - attn(x + PE)[perm]| with positions:    {gaps_with.max():.2f}")
print(f"greatest |attn(x[perm]) - attn(x)[perm]|           without positions: {gaps_without.max():.1e}")
print(f"for scale: the outputs of different tokens differ by a standard deviation of {token_spread:.2f}")
fig = experiments.plot_permutation_gaps(gaps_without, gaps_with)
plt.show()"""

WHAT_WHY = r"""## 3. Measured: what the sinusoids encode

### The table

Each column is one hand of the clock: the first columns oscillate fast down the positions, the last ones
barely move. Every row is different, which is all a model needs to tell positions apart."""

HEATMAP_CODE = """pe = sinusoidal(100, 64)  # (max_len, D) = (100, 64), your function
fig = experiments.plot_encoding(pe)
plt.show()"""

SHIFT_WHY = r"""### A shift by `k` is one fixed matrix

The angle-addition formulas, for one pair with frequency $\omega$:

$$\sin(\omega(p+k)) = \sin(\omega p)\cos(\omega k) + \cos(\omega p)\sin(\omega k), \qquad
\cos(\omega(p+k)) = \cos(\omega p)\cos(\omega k) - \sin(\omega p)\sin(\omega k).$$

The pair at `p + k` is the pair at `p` turned by the angle $\omega k$, and that angle does not depend on `p`.
Writing the codes as row vectors, $\mathrm{PE}[p+k] = \mathrm{PE}[p]\, M_k$ with $M_k$ block-diagonal, one
$2\times 2$ block
$\begin{pmatrix}\cos\omega_i k & -\sin\omega_i k\\ \sin\omega_i k & \cos\omega_i k\end{pmatrix}$
per pair. A linear layer can therefore learn "look `k` positions back" once, for every position: this is the
reason the paper gives for choosing sinusoids. We build $M_k$ from the formula and test it on every `p` at
once."""

SHIFT_CODE = """def shift_matrix(k, d_model):
    \"\"\"The (d_model, d_model) matrix M_k with PE[p + k] = PE[p] @ M_k for every p: a turn per pair.\"\"\"
    M = torch.zeros(d_model, d_model, dtype=torch.float64)
    for i in range(d_model // 2):
        theta = k / 10000 ** (2 * i / d_model)  # how far pair i turns in k steps
        c, s = math.cos(theta), math.sin(theta)
        M[2 * i: 2 * i + 2, 2 * i: 2 * i + 2] = torch.tensor([[c, -s], [s, c]], dtype=torch.float64)
    return M


max_len, d_model = 100, 64
table = sinusoidal(max_len, d_model)  # (max_len, D), your table
pe = table.double()
shifts = list(range(1, 10 if GRADING else 80))
errors = []
for k in shifts:
    predicted = pe[:-k] @ shift_matrix(k, d_model)  # (max_len - k, D) x (D, D): every p at once
    errors.append((predicted - pe[k:]).abs().max().item())
print(f"greatest |PE[p] @ M_k - PE[p + k]| over all p and all k = 1..{shifts[-1]}: {max(errors):.1e}")
print(f"greatest |PE[p] @ M_5 - PE[p + 5]|: {errors[4]:.1e};  and |PE[p] - PE[p + 5]|: "
      f"{(pe[:-5] - pe[5:]).abs().max().item():.2f} (the codes themselves differ a lot)")
spacing = torch.finfo(torch.float32).eps * 2 ** math.floor(math.log2(max_len - 1))  # float32 step near 99
fig = experiments.plot_shift(shift_matrix(5, 16), 5, shifts, errors, rounding=spacing)
plt.show()"""

SHIFT_NOTE = r"""Is the remaining error the formula's or the arithmetic's? The same test on a table built in float64 from
the formula tells, and so do two float32 spacings: that of the angles near the largest one (99 radians), and
that of the entries themselves, between -1 and 1."""

SHIFT_ROUNDING = """angle = torch.arange(max_len, dtype=torch.float64)[:, None] * 10000 ** (
    -torch.arange(0, d_model, 2, dtype=torch.float64) / d_model)  # (max_len, D/2)
exact = torch.stack([angle.sin(), angle.cos()], dim=-1).flatten(-2)  # (max_len, D), float64, interleaved
exact_error = max((exact[:-k] @ shift_matrix(k, d_model) - exact[k:]).abs().max().item() for k in shifts)
entry_spacing = torch.finfo(torch.float32).eps  # float32 spacing of numbers between 0.5 and 1
print(f"your {str(table.dtype).replace('torch.', '')} table: {max(errors):.1e};  a float64 table: {exact_error:.1e}")
print(f"float32 spacing of an angle near {max_len - 1} radians: {spacing:.1e};  of an entry near 1: {entry_spacing:.1e}")
cause = ("the angles were computed in float32, and their rounding is what remains" if max(errors) > 4 * entry_spacing
         else "the angles were computed in higher precision; only the entries' own rounding remains")
print(f"So the error is the table's rounding, not the formula's ({exact_error:.0e} in float64): {cause}.")"""

DOT_WHY = r"""### Dot products depend only on the distance

Attention compares vectors by dot products, so it is worth asking what the dot product of two codes says.
Pair by pair, $\sin a \sin b + \cos a \cos b = \cos(a - b)$, so

$$\mathrm{PE}[p] \cdot \mathrm{PE}[q] = \sum_{i} \cos\big(\omega_i\,(p - q)\big):$$

a function of the distance $p - q$ alone, largest ($d/2$) at distance 0 and smaller, not monotonically, as
the distance grows. On the left, the matrix of all dot products: constant along every diagonal. On the right,
the dot product against the distance `k`, started from three different positions: the curves coincide."""

DOT_CODE = """pe = sinusoidal(100, 64)  # (max_len, D)
gram = pe @ pe.T  # (max_len, D) x (D, max_len) -> (max_len, max_len)
omega = 10000 ** (-torch.arange(0, 64, 2) / 64)  # (D/2,) the frequencies
distance = torch.arange(100)[:, None] - torch.arange(100)[None, :]  # (max_len, max_len): p - q
formula = torch.cos(distance[..., None] * omega).sum(dim=-1)  # sum_i cos(omega_i (p - q))
print(f"PE[0]·PE[0] = {gram[0, 0]:.2f} (= d/2),  PE[0]·PE[1] = {gram[0, 1]:.2f},  "
      f"PE[0]·PE[50] = {gram[0, 50]:.2f}")
print(f"greatest |PE[p]·PE[q] - sum_i cos(omega_i (p - q))| over all p, q: "
      f"{(gram - formula).abs().max():.1e}")
diagonal_spread = max((gram.diagonal(k) - gram[0, k]).abs().max().item() for k in range(100))
print(f"greatest spread of PE[p]·PE[p+k] across p, for any k: {diagonal_spread:.1e}")
fig = experiments.plot_similarity(pe)
plt.show()"""

LEARNED_WHY = r"""## 4. A learned positional embedding

The other common choice, used by BERT and GPT-2, is to *learn* the position vectors: a table
`nn.Embedding(max_len, d_model)` whose row `p` is trained with the rest of the model and added to the token
vector at position `p`. The model decides what positions mean; the price is `max_len · d_model` more
parameters and no vector at all for a position beyond `max_len` (a sinusoidal code exists for any `p`)."""

LEARNED_TEXT = r"""`LearnedPositionalEmbedding(max_len, d_model)` is an `nn.Module` with one member,
`self.embedding = nn.Embedding(max_len, d_model)` (the check copies its own weights into it, so the
initialisation does not matter, but the name does). `forward(x)` takes `x` of shape `(B, T, d_model)`,
`T <= max_len`, and returns `x` plus the vectors of positions `0 .. T-1`, shape `(B, T, d_model)`.
Do not write into `x`."""

LEARNED_HINT = r"""`__init__` starts with `super().__init__()`, then creates the member.
In `forward`, `self.embedding(torch.arange(T, device=x.device))` is `(T, d_model)`; adding it to
`(B, T, d_model)` broadcasts over the batch. `T` is `x.size(1)`, not `x.size(0)`."""

ORDER_WHY = r"""## 5. Measured: an order task, without positions and with yours

A task that only order can solve: each sequence of 12 tokens holds two marker tokens, `FIRST` and
`SECOND` (ids 0 and 1), among random fillers; the label says whether `FIRST` comes before `SECOND`. Both
orders hold the same tokens, so a model that sees a set of tokens can do no better than chance (50%).

The model: token embedding, then the positions (nothing, your sinusoidal table, or your learned embedding;
each yours, or the reference while yours does not pass its check, and the cell says which),
one block of self-attention (notebook 04's `MultiHeadAttention`) and a feed-forward layer with residual
connections, a mean over the positions, and a linear read-out to two classes. Each variant trains for 200
steps of Adam (`course_lib.train.fit`) on fresh random batches of 128 and is tested on 2000 unseen sequences."""

ORDER_CODE = """steps = 15 if GRADING else 200  # a few seconds; while grading, only a check that it runs
T, d_model = 12, 32
sinusoidal = yours_or_reference("sinusoidal_positional_encoding", sinusoidal_positional_encoding)
Learned = yours_or_reference("LearnedPositionalEmbedding", LearnedPositionalEmbedding)
whose = lambda mine, yours: "yours" if mine is yours else "reference"  # noqa: E731
torch.manual_seed(0)
variants = {
    "no positions": nn.Identity(),
    f"sinusoidal ({whose(sinusoidal, sinusoidal_positional_encoding)})":
        experiments.AddFixedTable(sinusoidal(T, d_model)),
    f"learned ({whose(Learned, LearnedPositionalEmbedding)})": Learned(T, d_model),
}
accuracies, histories = {}, {}
for name, positions in variants.items():
    accuracies[name], histories[name] = experiments.train_order_task(positions, name, steps=steps, T=T,
                                                                     d_model=d_model, seed=0)
for name, accuracy in accuracies.items():
    print(f"{name:<20} test accuracy {accuracy:.1%}")
fig = experiments.plot_training(histories, accuracies)
plt.show()"""

ROPE_WHY = r"""## 6. Optional extension: rotary position embeddings (RoPE)

*This section is optional. Its graded cell is worth 1 point of the notebook's 5; the rest of the notebook
does not depend on it.*

Section 3 showed that a shift by `k` turns every pair of the sinusoidal code by the angle $\omega_i k$.
Rotary embeddings (Su et al., "RoFormer", 2021; used by LLaMA and most recent language models) use that
rotation directly. Instead of *adding* a code to the token vectors, they *rotate* the queries and the keys:
pair `i` of a vector at position `p` is turned by the angle $p\,\omega_i$, with the same
$\omega_i = 10000^{-2i/d}$:

$$\begin{pmatrix} x'_{2i} \\ x'_{2i+1} \end{pmatrix} =
\begin{pmatrix} \cos p\omega_i & -\sin p\omega_i \\ \sin p\omega_i & \cos p\omega_i \end{pmatrix}
\begin{pmatrix} x_{2i} \\ x_{2i+1} \end{pmatrix}.$$

A rotation by $m\omega$ on the query and by $n\omega$ on the key leave a dot product that depends on the
angle between them, $(n - m)\omega$: the attention score sees only the *relative* position, by construction,
and the values are left alone. You apply it to `q` and `k` (inside each head) just before the scores."""

ROPE_TEXT = r"""`x` has shape `(..., T, D)` with `D` even (for example `(B, h, T, d)` inside attention);
`positions` is an optional integer tensor of shape `(T,)`, the position of each row (default
`torch.arange(T)`; a KV cache, in notebook 09, passes later positions). Return a tensor of the shape and
dtype of `x` in which features `2i` and `2i+1` of row `t` are rotated by the angle
`positions[t] / 10000^(2i/D)`. Pairs are neighbours `(2i, 2i+1)`, as in the RoFormer paper and the
sinusoidal table (GPT-NeoX and LLaMA's code pair `i` with `i + D/2` instead; the check names that convention
if you use it). Do not write into `x`."""

ROPE_HINT = r"""Angles `(T, D/2)` as in your sinusoidal table (compute them in `x.dtype`);
`x1, x2 = x[..., 0::2], x[..., 1::2]` are `(..., T, D/2)`; the rotated pair is `x1·cos - x2·sin` and
`x1·sin + x2·cos`;
`torch.stack([a, b], dim=-1).flatten(-2)` interleaves them back into `(..., T, D)`."""

ROPE_DEMO = """# Measured: after the rotation, a query-key score depends only on the distance n - m.
rope = yours_or_reference("apply_rope", apply_rope)
g = torch.Generator().manual_seed(0)
q, k = torch.randn(1, 16, generator=g), torch.randn(1, 16, generator=g)  # one query and one key, (1, D)


def rotary_score(m, n):
    \"\"\"The dot product of q rotated to position m and k rotated to position n.\"\"\"
    return (rope(q, torch.tensor([m])) @ rope(k, torch.tensor([n])).T).item()


for m, n in [(0, 3), (10, 13), (250, 253), (5, 0), (105, 100)]:
    print(f"query at {m:>3}, key at {n:>3} (distance {n - m:>2}): score {rotary_score(m, n):+.4f}")
gap = max(abs(rotary_score(m, m + 3) - rotary_score(0, 3)) for m in range(200))
print(f"greatest |score(m, m + 3) - score(0, 3)| over m = 0..199: {gap:.1e}")
print(f"norm of k before and after rotating it to position 40: {k.norm():.4f}, "
      f"{rope(k, torch.tensor([40])).norm():.4f}")"""

MEASURED = """# What was measured, read from the numbers above.
print(f"Blind to order: shuffling the input of a random MultiHeadAttention changed its output by at most "
      f"{gaps_without.max():.0e} beyond the same shuffle (float32 rounding), the mean-pooled output by "
      f"{pooled_gap:.0e}. With the sinusoidal table added the same test gave {gaps_with.max():.2f}, "
      f"{gaps_with.max() / gaps_without.max():.0e} times more, against a spread of {token_spread:.2f} between "
      f"the outputs of different tokens.")
print(f"A shift is one matrix: PE[p] @ M_k matched PE[p + k] to {max(errors):.0e} for every p and every k from 1 "
      f"to {shifts[-1]} ({exact_error:.0e} for a float64 table), while the codes themselves differ by up to "
      f"{(pe[:-5] - pe[5:]).abs().max().item():.2f} five positions apart.")
print(f"Dot products depend only on the distance: PE[p]·PE[p+k] varied across p by at most {diagonal_spread:.0e}; "
      f"it is {gram[0, 0]:.1f} at distance 0, {gram[0, 1]:.1f} at 1 and {gram[0, 50]:.1f} at 50.")
order = ", ".join(f"{name} {accuracy:.1%}" for name, accuracy in accuracies.items())
print(f"The order task, after {steps} steps: {order} (chance is 50%)."
      + (" A token run under grading: too short to learn." if GRADING else ""))
print(f"Rotary embeddings: the score of a rotated query and key stayed the same to {gap:.0e} at distance 3, "
      f"and the rotation kept the norm of k ({k.norm():.4f}).")"""

SUMMARY = r"""## Summary

* Self-attention is permutation-equivariant: without positions it sees a set, not a sequence.
* `sinusoidal_positional_encoding` gives position `p` the sines and cosines of `p·ω_i`,
  `ω_i = 10000^(-2i/d)`, interleaved; it needs no training and exists for any length, a shift by `k` is a
  fixed rotation of each pair, and dot products of codes depend only on distance.
* `LearnedPositionalEmbedding` learns a vector per position instead (compare the two on the toy task in
  the printout above); it has nothing to offer beyond `max_len`.
* Rotary embeddings rotate queries and keys rather than adding a code, so scores see relative positions
  only.

**Next:** notebook 06 measures what the lack of recurrence buys: all positions computed at once."""


def build():
    return notebook([
        markdown(INTRO),
        locked_code(SETUP, "setup"),
        markdown(BLIND_WHY),
        code(BLIND_CODE),
        markdown(SINUSOIDAL_WHY),
        *exercise(1, ref.sinusoidal_positional_encoding, points=3, seed=5021, difficulty=2, importance=5,
                  minutes=20, text=SINUSOIDAL_TEXT, hint=SINUSOIDAL_HINT,
                  signature="def sinusoidal_positional_encoding(max_len, d_model) -> torch.Tensor",
                  final_assert="assert torch.allclose(sinusoidal_positional_encoding(2, 2), "
                               "torch.tensor([[0.0, 1.0], [math.sin(1.0), math.cos(1.0)]])), "
                               "\"with d_model = 2, PE[p] = [sin(p), cos(p)]\""),
        code(SINUSOIDAL_DEMO),
        markdown(BROKEN_WHY),
        code(BROKEN_CODE),
        markdown(WHAT_WHY),
        code(HEATMAP_CODE),
        markdown(SHIFT_WHY),
        code(SHIFT_CODE),
        markdown(SHIFT_NOTE),
        code(SHIFT_ROUNDING),
        markdown(DOT_WHY),
        code(DOT_CODE),
        markdown(LEARNED_WHY),
        *exercise(2, ref.LearnedPositionalEmbedding, points=1, seed=5307, difficulty=1, importance=3, minutes=10,
                  text=LEARNED_TEXT, hint=LEARNED_HINT,
                  signature="class LearnedPositionalEmbedding(nn.Module):\n"
                            "    def __init__(self, max_len, d_model): ...\n"
                            "    def forward(self, x) -> torch.Tensor: ...",
                  final_assert="_module = LearnedPositionalEmbedding(4, 3)\n"
                               "assert torch.equal(_module(torch.zeros(1, 4, 3))[0], _module.embedding.weight), "
                               "\"on a zero input the output is the table itself\""),
        markdown(ORDER_WHY),
        code(ORDER_CODE),
        markdown(ROPE_WHY),
        *exercise(3, ref.apply_rope, points=1, seed=5519, difficulty=3, importance=3, minutes=20,
                  text=ROPE_TEXT, hint=ROPE_HINT, signature="def apply_rope(x, positions=None) -> torch.Tensor",
                  final_assert="assert torch.allclose(apply_rope(torch.ones(1, 1, 4)), torch.ones(1, 1, 4)), "
                               "\"position 0 is not rotated\""),
        code(ROPE_DEMO),
        code(MEASURED),
        markdown(SUMMARY),
    ], title="05 Positional encoding")
