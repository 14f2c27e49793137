"""Notebook 04: multi-head attention, several attentions side by side, each on its own slice of the features."""
from author import code, exercise, locked_code, markdown, notebook

from course_lib.solutions import multi_head_attention as ref

INTRO = """# 04 · Multi-head attention: several heads look at different aspects

**What you build:** `split_heads`, `merge_heads`, `MultiHeadAttention`.
**What you measure:** that your module computes exactly what `torch.nn.MultiheadAttention` computes; that the
heads of a small trained model attend to different positions; what several heads cost compared with one.
**Time:** about 60 minutes.

In notebook 03 every query produced **one** set of weights over the keys, one softmax, and read **one**
weighted average of the values. That is a limit. A word may need its verb, which is near, and the subject of
the sentence, which is far; one softmax has to split its weight between them, and the average it reads blurs
the two together.

Multi-head attention runs several attentions side by side. The projected queries, keys and values of width
`D` are cut into `h` slices of width `d = D / h`; each slice (a **head**) does its own scaled dot-product
attention, with its own weights over the keys; the heads' outputs are put side by side again and mixed by one
more linear map, `w_o`. The work is the same as one attention of width `D`; what changes is that there are
`h` softmaxes per query instead of one.

**Shapes used in this notebook**

| symbol | meaning |
|---|---|
| `B` | batch size |
| `T` | sequence length; `Tq`, `Tk` the number of queries and of keys (both `T` in self-attention) |
| `D` | model width, `d_model` |
| `h` | number of heads, `num_heads` |
| `d` | width of one head, `d_head = D / h` |

Run the set-up cell first. Every exercise is followed by a check cell: it answers in well under two seconds
with a green line, or with a message that names the mistake it recognises."""

SETUP = """# Set-up: imports, the course's checks, your attention from notebook 03, fixed seeds.
import os

import matplotlib.pyplot as plt
import torch
from torch import nn

from course_lib.checks import check_merge_heads, check_multi_head_attention, check_split_heads
from course_lib.experiments import yours_or_reference  # your code if it passes its check, else the reference
from course_lib.experiments.multi_head_attention import (
    ToyConfig,
    attention_costs,
    evaluate_two_relations,
    plot_head_maps,
    train_two_relations,
)
from course_lib.handouts import scaled_dot_product_attention  # you built it in notebook 03

torch.manual_seed(0)
GRADING = "NBGRADER_EXECUTION" in os.environ  # the grader shrinks the experiments, not the exercises"""

SPLIT_WHY = """## 1. Splitting the features into heads

We never build `h` separate query projections. One `nn.Linear(D, D)` computes all heads' queries at once:
its output, of width `D = h·d`, holds head 0's query in features `0 .. d-1`, head 1's in `d .. 2d-1`, and so
on. The same goes for keys and values. To let every head attend on its own, give the heads their own axis:

`(B, T, h·d)` → view as `(B, T, h, d)` → transpose to `(B, h, T, d)`.

Now the head axis sits with the batch axis, and `scaled_dot_product_attention` from notebook 03, which
accepts any leading dimensions, runs all heads at once: `(B, h, Tq, d) x (B, h, d, Tk) -> (B, h, Tq, Tk)`.

The transpose is the step people skip. `x.reshape(B, h, T, d)` has the right shape, but its "head 0" holds
the first `T·d` numbers of the sequence, that is the whole feature vectors of the first few positions: the
heads would mix positions, and attention would be computed between pieces of different tokens."""

SPLIT_TEXT = """`x` has shape `(B, T, h·d)`, `num_heads` is `h` (it divides the last dimension). Return shape `(B, h, T, d)`,
where head `i` holds features `i·d .. (i+1)·d - 1` of every position: `result[b, i, t] == x[b, t, i*d:(i+1)*d]`."""

SPLIT_HINT = """`x.view(B, T, num_heads, d)` cuts the last axis into consecutive slices; `.transpose(1, 2)` then swaps the `T`
and `h` axes."""

MERGE_TEXT = """The inverse of `split_heads`: `x` has shape `(B, h, T, d)`; return `(B, T, h·d)` with head `i`'s features back in
positions `i·d .. (i+1)·d - 1`, so that `merge_heads(split_heads(x, h))` equals `x`."""

MERGE_HINT = """Transpose back to `(B, T, h, d)`, then flatten the last two axes. After a transpose the tensor is no longer
contiguous in memory, so `.view(...)` refuses; `.reshape(...)` (or `.contiguous().view(...)`) works."""

SPLIT_DEMO = """# Features numbered 0..11 at two positions, cut into 3 heads of width 4.
split = yours_or_reference("split_heads", split_heads)
merge = yours_or_reference("merge_heads", merge_heads)
x = torch.arange(24.0).view(1, 2, 12)  # (B=1, T=2, D=12): position 0 holds 0..11, position 1 holds 12..23
heads = split(x, 3)  # (1, 3, 2, 4)
for i in range(3):
    print(f"head {i}:", heads[0, i].tolist())
print("merge_heads(split_heads(x)) == x:", torch.equal(merge(heads), x))"""

MHA_WHY = """## 2. Multi-head attention

With the two helpers the module is short:

1. project: `q = w_q(query)`, `k = w_k(key)`, `v = w_v(value)`, each `nn.Linear(D, D)`;
2. split each into heads: `(B, T, D) -> (B, h, T, d)`;
3. attend in every head at once with `scaled_dot_product_attention(q, k, v, mask)`: output `(B, h, Tq, d)`,
   weights `(B, h, Tq, Tk)`; the scores are divided by $\\sqrt{d}$, the width of a head;
4. merge the heads: `(B, h, Tq, d) -> (B, Tq, D)`;
5. mix them with the output projection: `w_o(merged)`.

`query` and `key`/`value` may be different sequences (**cross-attention**, as when a decoder reads an
encoder): `Tq` and `Tk` then differ. In self-attention the same tensor is passed three times.

**Masks.** The mask follows the course's convention, `True` where attention is allowed, and it is passed on
unchanged: it broadcasts against the weights `(B, h, Tq, Tk)`. A padding mask of shape `(B, 1, 1, Tk)` hides
the same keys from every head and query; a causal mask `(Tq, Tk)` works as it is.

**Dropout** (notebook 07 trains deep stacks with it; notebooks 08 and 09 build the Transformer and GPT on this
module) drops attention weights at random, as
`nn.MultiheadAttention` does; in `eval()` mode it does nothing, and the check runs your module in `eval()`."""

MHA_TEXT = """`__init__(d_model, num_heads, dropout=0.0)`: call `super().__init__()`; keep `num_heads`; create four
`nn.Linear(d_model, d_model)` (with bias, the default) named **`w_q`, `w_k`, `w_v`, `w_o`**, and an
`nn.Dropout(dropout)`.

`forward(query, key, value, mask=None)`: `query` `(B, Tq, D)`, `key` and `value` `(B, Tk, D)`; return
`(output, weights)` with `output` `(B, Tq, D)` and `weights` `(B, h, Tq, Tk)`, every head's own map (not averaged).

Use your `split_heads` and `merge_heads` from above (their checks should pass first: a slip there shows up
here too) and `scaled_dot_product_attention`, imported in the set-up cell (it is notebook 03's). The check
builds `MultiHeadAttention(12, 3)`, loads its own weights into `w_q`, `w_k`, `w_v`, `w_o` (so the names
matter, and your initialisation does not), calls `eval()` and compares."""

MHA_HINT = """```python
q = split_heads(self.w_q(query), self.num_heads)  # (B, Tq, D) -> (B, h, Tq, d)
```
and the same for `k` and `v`. `scaled_dot_product_attention` already divides by `sqrt(d)`: do not scale again.
For dropout: `if self.training and self.dropout.p > 0:` drop `weights` and recompute `out = weights @ v`."""

MHA_DEMO = """# Self-attention and cross-attention with your module: the shapes.
Attention = yours_or_reference("MultiHeadAttention", MultiHeadAttention)
torch.manual_seed(0)
mha = Attention(d_model=12, num_heads=3).eval()
x = torch.randn(2, 5, 12)  # (B, T, D)
memory = torch.randn(2, 7, 12)  # (B, Tk, D): another sequence, e.g. an encoder's output
out, weights = mha(x, x, x)
print("self-attention:  output", tuple(out.shape), "weights", tuple(weights.shape))
out, weights = mha(x, memory, memory)
print("cross-attention: output", tuple(out.shape), "weights", tuple(weights.shape))"""

TORCH_WHY = """## 3. Measured: the same function as `torch.nn.MultiheadAttention`

PyTorch's module keeps the three input projections in one matrix, `in_proj_weight` of shape `(3D, D)`:
the query rows first, then the key rows, then the value rows; `out_proj` is our `w_o`. It splits the heads
the same way (head `i` takes features `i·d .. (i+1)·d - 1`). So with the same weights the two modules should
agree to rounding error. The module measured here, and in sections 4 and 5, is yours, or the reference while
yours does not pass its check (the cell says which).

One trap: PyTorch's **boolean** masks mean the opposite of ours. For `key_padding_mask` and `attn_mask`,
`True` means "do not attend". We pass `~mask`. And `average_attn_weights=False` asks for every head's map,
`(B, h, Tq, Tk)`, instead of their average."""

TORCH_CODE = """Attention = yours_or_reference("MultiHeadAttention", MultiHeadAttention)
torch.manual_seed(0)
D, h = 16, 4
ours = Attention(D, h).eval()
theirs = nn.MultiheadAttention(D, h, batch_first=True).eval()
with torch.no_grad():  # give PyTorch's module our weights
    theirs.in_proj_weight.copy_(torch.cat([ours.w_q.weight, ours.w_k.weight, ours.w_v.weight]))  # (3D, D)
    theirs.in_proj_bias.copy_(torch.cat([ours.w_q.bias, ours.w_k.bias, ours.w_v.bias]))  # (3D,)
    theirs.out_proj.weight.copy_(ours.w_o.weight)
    theirs.out_proj.bias.copy_(ours.w_o.bias)

query, memory = torch.randn(3, 4, D), torch.randn(3, 6, D)  # (B, Tq, D), (B, Tk, D)
real = torch.arange(6)[None, :] < torch.tensor([6, 3, 1])[:, None]  # (B, Tk): True at real keys, ours
with torch.no_grad():
    out_ours, w_ours = ours(query, memory, memory, mask=real[:, None, None, :])  # mask (B, 1, 1, Tk)
    out_theirs, w_theirs = theirs(query, memory, memory, key_padding_mask=~real,  # True = ignore, PyTorch's
                                  average_attn_weights=False)
agreement = {"padding": ((out_ours - out_theirs).abs().max().item(), (w_ours - w_theirs).abs().max().item())}
print("cross-attention with padding: output", tuple(out_ours.shape), "weights", tuple(w_ours.shape))
print(f"  greatest difference, output:  {agreement['padding'][0]:.2e}")
print(f"  greatest difference, weights: {agreement['padding'][1]:.2e}")

causal = torch.ones(4, 4, dtype=torch.bool).tril()  # (T, T), True = may attend, ours
with torch.no_grad():
    out_ours, w_ours = ours(query, query, query, mask=causal)
    out_theirs, w_theirs = theirs(query, query, query, attn_mask=~causal, average_attn_weights=False)
agreement["causal"] = ((out_ours - out_theirs).abs().max().item(), (w_ours - w_theirs).abs().max().item())
print("causal self-attention:")
print(f"  greatest difference, output:  {agreement['causal'][0]:.2e}")
print(f"  greatest difference, weights: {agreement['causal'][1]:.2e}")"""

HEADS_WHY = """## 4. Measured: heads look at different things

The claim is that several heads let one layer gather several kinds of information at once. We test it on a
toy task built so that **two different relations** matter. The input is a sequence of 8 random tokens
(0..9). At every position `t` the model must output two things:

* the token one step to the left, at `t-1`;
* the token at the first position, `0`.

The model is as small as it can be: token and position embeddings, **one** causal multi-head attention, and
two linear read-outs; the attention is the `Attention` of section 3 (yours, or the reference). There is no
residual path, so whatever a position outputs it has read through attention. We train it twice, with 2 heads
and with 1 head of the same width `D = 32` (the same number of parameters), for 300 Adam steps each
(`course_lib.train.fit`).

For every head we then look at where its largest weight falls, over 512 test sequences and the query
positions `t ≥ 2` (where `t-1` and `0` are different keys)."""

HEADS_CODE = """steps = 5 if GRADING else 300  # a few seconds on a laptop CPU; a token run while grading
results, losses = {}, {}
for num_heads in (2, 1):
    config = ToyConfig(num_heads=num_heads, steps=steps)  # d_model = 32 either way
    model, losses[num_heads] = train_two_relations(config, attention_cls=Attention, seed=0)
    label = f"{num_heads} head{'s' if num_heads > 1 else ''}"
    results[label] = evaluate_two_relations(model, n=512, seed=1)

print(f"{'model':<8} {'test loss':>9} {'acc. t-1':>9} {'acc. first':>10} | head: share of queries whose "
      "largest weight is on t-1 / on 0, mean weight on t-1 / on 0")
for label, r in results.items():
    heads = "; ".join(f"head {x['head']}: {x['top is previous']:.0%} / {x['top is first']:.0%}, "
                      f"{x['weight on previous']:.2f} / {x['weight on first']:.2f}" for x in r["heads"])
    print(f"{label:<8} {r['loss']:>9.1e} {r['accuracy previous']:>9.1%} {r['accuracy first']:>10.1%} | {heads}")"""

HEADS_PLOT = """tokens = results["2 heads"]["tokens"].tolist()
fig = plot_head_maps(results, title=f"Attention weights on one test sequence, tokens {tokens}")
plt.show()

fig, ax = plt.subplots(figsize=(6, 3.2))
for num_heads, style in ((2, "-"), (1, "--")):
    ax.plot(losses[num_heads], style, label=f"{num_heads} head{'s' if num_heads > 1 else ''}, d_model = 32")
ax.set(yscale="log", xlabel="training step", ylabel="loss (sum of two cross-entropies, nats)",
       title="Training loss on the two-relation task")
ax.legend()
fig.tight_layout()
plt.show()"""

COST_WHY = """## 5. Measured: what several heads cost

Splitting `D` into `h` heads changes none of the matrices: `w_q`, `w_k`, `w_v`, `w_o` are `D x D` whatever
`h` is. The scores of one head cost `Tq·Tk·d` multiply-adds, and `h` heads cost `h·Tq·Tk·d = Tq·Tk·D`, as
much as one wide head. What grows with `h` is the number of softmaxes (one per head per query) and the size
of the attention maps, `B·h·Tq·Tk` numbers to store.

That is the claim; here we count instead of reasoning. `attention_costs` builds the module (section 3's
`Attention`, yours or the reference) for each `h`,
counts its parameters, runs one forward pass under PyTorch's `FlopCounterMode` (which counts the FLOPs of
every matrix product, 2 per multiply-add) and reads the sizes of the attention maps it returns."""

COST_CODE = """length, heads = (16, (1, 2)) if GRADING else (128, (1, 2, 4, 8))
rows = attention_costs(d_model=64, length=length, batch=8, heads=heads, attention_cls=Attention)  # one pass each
columns = ["heads", "d_head", "parameters", "projection FLOPs", "attention FLOPs", "softmax rows",
           "attention-map entries"]
print(" | ".join(f"{c:>21}" if i > 1 else f"{c:>6}" for i, c in enumerate(columns)))
for row in rows:
    print(" | ".join(f"{row[c]:>21,}" if i > 1 else f"{row[c]:>6}" for i, c in enumerate(columns)))
D = 64
print(f"\\n4·D² + 4·D = {4 * D * D + 4 * D:,} parameters for D = {D}")"""

MEASURED = """# What was measured, read from the numbers above.
worst = max(max(pair) for pair in agreement.values())
print(f"Same function as PyTorch: with the weights copied over, the two modules differ by at most {worst:.1e} "
      f"in outputs and per-head weights, padding mask and causal mask alike: "
      + ("float32 rounding." if worst < 1e-5 else "more than rounding, so something differs."))
two, one = results["2 heads"], results["1 head"]
specialists = [max(x["top is previous"], x["top is first"]) for x in two["heads"]]
print(f"Heads divide the work: after {steps} steps the 2-head model is right on {two['accuracy previous']:.1%} / "
      f"{two['accuracy first']:.1%} of the positions (t-1 / first), test loss {two['loss']:.1e}; its heads put "
      f"their largest weight on one relation for {specialists[0]:.0%} and {specialists[1]:.0%} of the queries "
      f"(head 0 on t-1: {two['heads'][0]['top is previous']:.0%}, head 1 on t-1: {two['heads'][1]['top is previous']:.0%}).")
print(f"The 1-head model has one softmax per query: mean weight {one['heads'][0]['weight on previous']:.2f} on t-1 "
      f"and {one['heads'][0]['weight on first']:.2f} on 0; it is right on {one['accuracy previous']:.1%} / "
      f"{one['accuracy first']:.1%}, test loss {one['loss']:.1e}, "
      f"{one['loss'] / two['loss']:.0f} times the 2-head model's.")
same = len({(r["parameters"], r["projection FLOPs"], r["attention FLOPs"]) for r in rows}) == 1
print(f"Cost: for h = {rows[0]['heads']} to {rows[-1]['heads']}, parameters {rows[0]['parameters']:,} and FLOPs "
      f"{rows[0]['projection FLOPs'] + rows[0]['attention FLOPs']:,} " + ("for every h" if same else "(they vary!)")
      + f"; softmax rows {rows[0]['softmax rows']:,} to {rows[-1]['softmax rows']:,} and attention-map entries "
      f"{rows[0]['attention-map entries']:,} to {rows[-1]['attention-map entries']:,}: the memory and softmax work "
      f"of h distributions per query.")"""

SUMMARY = """## Summary

* `split_heads` is a `view` plus a `transpose`; `merge_heads` is a `transpose` plus a `reshape`. The transpose
  keeps every head's slice made of whole positions.
* `MultiHeadAttention` projects once for all heads, attends in every head at once with notebook 03's
  function, merges, and mixes the heads with `w_o`. It equals `torch.nn.MultiheadAttention` given the same
  weights; only the meaning of a boolean mask is inverted there.
* Heads cost the same parameters and FLOPs as one head of the same width. They buy `h` separate
  distributions per query, so one layer can read from several places at once, as the toy model's two heads did.

**Next:** notebook 05 shows that attention, heads or not, is blind to the order of its inputs, and fixes it."""


def build():
    return notebook([
        markdown(INTRO),
        locked_code(SETUP, "setup"),
        markdown(SPLIT_WHY),
        *exercise(1, ref.split_heads, points=2, seed=4211, difficulty=2, importance=4, minutes=10,
                  text=SPLIT_TEXT, hint=SPLIT_HINT, signature="def split_heads(x, num_heads) -> torch.Tensor",
                  final_assert="assert split_heads(torch.arange(4.0).view(1, 1, 4), 2).tolist() == "
                               "[[[[0.0, 1.0]], [[2.0, 3.0]]]], \"head i takes features i*d .. (i+1)*d - 1\""),
        *exercise(2, ref.merge_heads, points=2, seed=4327, difficulty=2, importance=4, minutes=10,
                  text=MERGE_TEXT, hint=MERGE_HINT, signature="def merge_heads(x) -> torch.Tensor",
                  final_assert="assert merge_heads(torch.arange(4.0).view(1, 2, 1, 2)).tolist() == "
                               "[[[0.0, 1.0, 2.0, 3.0]]], \"head i's features go back to i*d .. (i+1)*d - 1\""),
        code(SPLIT_DEMO),
        markdown(MHA_WHY),
        *exercise(3, ref.MultiHeadAttention, points=4, seed=4409, difficulty=3, importance=5, minutes=25,
                  text=MHA_TEXT, hint=MHA_HINT,
                  signature="class MultiHeadAttention(nn.Module):\n"
                            "    def __init__(self, d_model, num_heads, dropout=0.0): ...\n"
                            "    def forward(self, query, key, value, mask=None) -> tuple[torch.Tensor, torch.Tensor]: ...",
                  final_assert="assert MultiHeadAttention(8, 2)(torch.zeros(1, 3, 8), torch.zeros(1, 5, 8), "
                               "torch.zeros(1, 5, 8))[1].shape == (1, 2, 3, 5), \"weights have shape (B, h, Tq, Tk)\""),
        code(MHA_DEMO),
        markdown(TORCH_WHY),
        code(TORCH_CODE),
        markdown(HEADS_WHY),
        code(HEADS_CODE),
        code(HEADS_PLOT),
        markdown(COST_WHY),
        code(COST_CODE),
        code(MEASURED),
        markdown(SUMMARY),
    ], title="04 Multi-head attention")
