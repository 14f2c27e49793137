"""Notebook 06: no recurrence, all positions at once; depth and work of a recurrence and of attention, measured."""
from author import code, exercise, locked_code, markdown, notebook

from course_lib.solutions import parallelism as ref

INTRO = r"""# 06 · Parallelism: no recurrence, all positions at once

**What you build:** the cost formulas `rnn_flops` and `attention_flops`, `graph_depth` (the longest chain of
operations in an autograd graph), and `attention_all_positions`, which replaces a loop over query positions
by one batched computation.
**What you measure:** the work of each layer (your formulas against PyTorch's `FlopCounterMode` on real
layers) and its depth (counted on real autograd graphs); the wall time of an RNN, an LSTM and a self-attention
layer on this machine, with their spread and the machine's load, and a simple model fitted to them (with its
error); how the gradient from one position reaches
another; what a fused attention kernel buys.
**Time:** about 60 minutes.

The paper that introduced the Transformer says that self-attention "connects all positions with a constant
number of sequentially executed operations, whereas a recurrent layer requires O(n) sequential operations",
and that it costs more work per layer once the sequence is longer than the width. That is two claims in one:

* **depth**: how many operations must wait for each other. An RNN cannot compute step `t` before step
  `t - 1`: its depth grows with `T`. Attention computes every position from the inputs in a fixed number
  of steps;
* **work**: how many operations there are in all. An RNN does `T` steps of `D²` work; attention compares
  every position with every other, `T²` pairs of `D` work.

Which one wins on a real machine depends on how many operations the machine can do *at the same time*. We
measure both halves separately, then put them together. Notebook 01 timed an RNN against `T` and saw a fixed
cost per step; here the recurrence meets attention.

**Timing on a laptop.** A wall time depends on what else the machine is doing. So every time in this notebook
is the **median of several runs, printed with its range**: the middle half of the runs (from the fastest
quarter to the slowest quarter, so that one interrupted run does not count), beside the load: how many cores
other programs kept busy meanwhile. Two times count as different only when their ranges do not overlap and
their medians differ by at least 20 %; otherwise the notebook says the comparison is inconclusive on this
machine, and why. These thresholds live in one place, `course_lib/experiments/claims.py`, with their reasons.
On a busy machine your conclusions may differ from a neighbour's; what the notebook prints is still what your
numbers show.

**Shapes and symbols used in this notebook**

| symbol | meaning |
|---|---|
| `B` | batch size |
| `T` | sequence length (number of positions) |
| `D` | model width, `d_model`; the hidden state of the RNN has width `D` too |
| `d` | width of the queries and keys given to an attention function |
| FLOP | one floating-point operation; a multiply-add counts as 2 |
| depth | the number of operations on the longest chain in which each waits for the one before |

Run the set-up cell first. Every exercise is followed by a check cell: it answers in well under two seconds
with a green line, or with a message that names the mistake it recognises."""

SETUP = """# Set-up: imports, the course's checks, fixed seeds.
import inspect
import math
import os

import matplotlib.pyplot as plt
import torch

from course_lib.checks import check_attention_all_positions, check_attention_flops, check_graph_depth, check_rnn_flops
from course_lib.experiments import (
    claims,  # thresholds and timing with its spread
    yours_or_reference,  # your code if it passes its check, else the reference
)
from course_lib.experiments import parallelism as experiments
from course_lib.experiments.sequence_models import gradient_to_first_step  # notebook 01's measurement
from course_lib.handouts import attention_one_query_at_a_time  # handed out: the loop you will replace

torch.manual_seed(0)
GRADING = "NBGRADER_EXECUTION" in os.environ  # the grader shrinks the experiments, not the exercises
REPEATS = 2 if GRADING else None  # None: 5 runs per timing on an idle machine, 9 on a busy one"""

WORK_WHY = r"""## 1. Work: count the FLOPs of one layer

We count what dominates: the matrix products. A product `(m, n) x (n, p)` computes `m·p` outputs of `n`
multiply-adds each: `2·m·n·p` FLOPs, counting a multiply-add as **2 FLOPs**. Additions of biases, `tanh`, the
softmax are small next to the products, and we leave them out.

PyTorch can count for us, and we will use it to check your formulas on real layers. `FlopCounterMode` (from
`torch.utils.flop_counter`) is a context manager: it watches every operation PyTorch runs inside its `with`
block and adds up the FLOPs of the matrix products, with the same conventions as above:

```python
counter = FlopCounterMode(display=False)
with counter:
    torch.randn(3, 4) @ torch.randn(4, 5)  # (3, 4) x (4, 5)
counter.get_total_flops()  # 2·3·4·5 = 120
```

**The RNN layer** of notebook 01, with input and hidden widths both `D`, reads one position per step:
`h_t = tanh(x_t @ W_xh + h_prev @ W_hh + b_h)`, with `W_xh` and `W_hh` both `(D, D)`. Count it for **one
sequence** (`B = 1`), so `x_t` and `h_prev` are `(1, D)`.

**The self-attention layer** of notebooks 03 and 04, for one sequence `x` of shape `(T, D)`:
`q, k, v = w_q(x), w_k(x), w_v(x)` (each `(T, D) x (D, D)`), then `q @ kᵀ` and `weights @ v`, then `w_o`.
Splitting `D` into `h` heads of width `D / h` changes none of these totals (notebook 04 measured it), so
count one head of width `D`."""

RNN_TEXT = """`T` and `d_model` are Python ints. Return the FLOPs (an `int`) of one RNN layer's forward pass over one
sequence of `T` positions: the two matrix products of every step, 2 FLOPs per multiply-add."""

RNN_HINT = """One step is two `(1, D) x (D, D)` products: `2 · 2·D²` FLOPs. There are `T` steps."""

ATT_TEXT = """Return the FLOPs (an `int`) of one self-attention layer's forward pass over one sequence of `T` positions:
the four projections `w_q`, `w_k`, `w_v`, `w_o`, the scores `q @ kᵀ` and the mixing `weights @ v`, 2 FLOPs
per multiply-add."""

ATT_HINT = """Four `(T, D) x (D, D)` products, then `(T, D) x (D, T)` for the scores and `(T, T) x (T, D)` for the
mixing. Write each term on its own line with a comment: it is easier to check, and to read later."""

WORK_MEASURE = r"""### Measured: your formulas against `FlopCounterMode`, and the memory that grows with `T`

`FlopCounterMode` watches every operation PyTorch runs inside its `with` block and adds up the FLOPs of the
matrix products. We run an `nn.RNN(D, D)` and a self-attention layer (four `nn.Linear(D, D)` around your
`attention_all_positions` from exercise 4, or the reference until yours passes) on one sequence of each
length, width `D = 64`, and compare with your formulas.

Memory grows with `T` too. To compute gradients, the RNN keeps its `T` hidden states, `T·D` numbers;
attention keeps the `T x T` weights of every head, `T²` numbers, besides states of size `T·D` like the RNN's."""

WORK_CODE = """rnn_flops_ = yours_or_reference("rnn_flops", rnn_flops)
attention_flops_ = yours_or_reference("attention_flops", attention_flops)
attention = yours_or_reference("attention_all_positions", attention_all_positions)  # sections 1-7 use it
D = 64
work = experiments.work_table(rnn_flops_, attention_flops_, attention, lengths=(16, 64, 256), d_model=D)
print(f"{'T':>5} | {'RNN: formula':>13} {'counted':>12} | {'attention: formula':>18} {'counted':>12} |"
      f" {'RNN states':>10} {'scores (1 head)':>15}")
for r in work:
    print(f"{r['T']:>5} | {r['RNN formula']:>13,} {r['RNN counted']:>12,} | {r['attention formula']:>18,} "
          f"{r['attention counted']:>12,} | {r['RNN states (bytes)'] / 1024:>7.0f} KiB "
          f"{r['attention scores (bytes)'] / 1024:>11.0f} KiB")"""

WORK_SUMMARY = """agree = all(r["RNN formula"] == r["RNN counted"] and r["attention formula"] == r["attention counted"] for r in work)
ran = {"rnn_flops": rnn_flops_ is rnn_flops, "attention_flops": attention_flops_ is attention_flops}  # yours ran?
whose = ("your formulas" if all(ran.values()) else
         "the formulas that ran (" + ", ".join(f"{n}: {'yours' if mine else 'the reference'}" for n, mine in ran.items()) + ")")
print(f"{whose[0].upper() + whose[1:]} {'equal' if agree else 'DIFFER FROM'} what FlopCounterMode counts on the real layers.")
for claim in experiments.work_claims(rnn_flops_, attention_flops_, [r["T"] for r in work], D, whose):
    print(claim)
for r in work:
    print(f"T = {r['T']:>4}: attention stores {r['attention scores (bytes)'] / r['RNN states (bytes)']:5.2f}x as many "
          "numbers per head for its weights as the RNN keeps in states")"""

DEPTH_WHY = r"""## 2. Depth: the longest chain of operations that wait for each other

Work says how much there is to do. **Depth** says how much of it must be done one thing after another, however
many processors there are. Operations that do not depend on each other can run at the same time; a chain of
operations, each needing the result of the one before, cannot.

PyTorch records this dependency structure for us. Every tensor computed from tensors that require gradients
has a `grad_fn`: the node of the **autograd graph** that will compute its gradient. `node.next_functions` is a
tuple of `(node, index)` pairs, one per input of the operation: the nodes that produced the inputs.

* an input that needs no gradient (a constant) appears as `(None, 0)`;
* a leaf tensor (created by you with `requires_grad=True`) appears as an `AccumulateGrad` node: it only stores
  the gradient; it is not an operation;
* a leaf itself has `grad_fn` `None`.

```python
x = torch.ones(3, requires_grad=True)
y = (x * 2).exp()
y.grad_fn                 # <ExpBackward0>
y.grad_fn.next_functions  # ((<MulBackward0>, 0),)
y.grad_fn.next_functions[0][0].next_functions  # ((<AccumulateGrad>, 0), (None, 0)): x, and the constant 2
```

The **depth** of a tensor is the number of operations on the longest chain from the leaves to it: `y` above
has depth 2. An operation can start only once **all** its inputs are ready, so its depth is 1 plus the
**largest** depth among its inputs."""

DEPTH_TEXT = """`output` is a tensor. Return (an `int`) the number of operations on the longest chain of its autograd graph:
0 for a leaf (`output.grad_fn is None`); otherwise count the nodes from `output.grad_fn` down, skipping
`None` entries and `AccumulateGrad` nodes.

The graph of a recurrence has **exponentially many paths** (an LSTM's state reaches the next step along
several of them): remember the depth of every node you have finished in a dict, so that every node is
computed once. A recursive function works for the sizes used here; the reference uses an explicit stack, which
also works for graphs thousands of operations deep."""

DEPTH_HINT = """```python
memo = {}
def depth(node):
    if node not in memo:
        inputs = [n for n, _ in node.next_functions if n is not None and type(n).__name__ != "AccumulateGrad"]
        memo[node] = 1 + max((depth(n) for n in inputs), default=0)
    return memo[node]
```"""

DEPTH_MEASURE = r"""### Measured: depth of a recurrence and of attention, on their real graphs

For each length `T` we build three layers of width 16 whose weights do not require gradients, so the graph
holds only what depends on the input, and count with your `graph_depth`:

* **layer**: the depth of the whole output, every position of the input requiring gradients;
* **path**: the longest chain from the input at position 0 to the output at position `T - 1` (only
  position 0 requires gradients; we read the last position's output).

The RNN is `nn.RNN`; the LSTM runs `nn.LSTMCell` step by step (on the CPU `nn.LSTM` is one fused kernel, a
single node of the graph, which hides its steps); the attention layer is causal self-attention with four
projections, built on your `attention_all_positions`."""

DEPTH_CODE = """graph_depth_ = yours_or_reference("graph_depth", graph_depth)
lengths = (1, 2, 4, 8) if GRADING else (1, 2, 4, 8, 16, 32)
depths = experiments.depth_table(graph_depth_, attention, lengths)
names = ("RNN", "LSTM", "attention")
print(f"{'T':>4} | " + " | ".join(f"{n + ': layer':>16} {'path':>5}" for n in names))
for r in depths:
    print(f"{r['T']:>4} | " + " | ".join(f"{r[n + ' layer']:>16} {r[n + ' path']:>5}" for n in names))"""

DEPTH_SUMMARY = """slopes = {n: experiments.ops_per_step(depths, n) for n in names}
for n, (per_step, rest) in slopes.items():
    print(f"{n:>9}: depth = {per_step:.1f} x T + {rest:.1f}")
attention_depths = sorted({r["attention layer"] for r in depths})
constant = len(attention_depths) == 1
print(f"Each RNN step adds {slopes['RNN'][0]:.0f} dependent operations (a product, an addition, tanh) and each LSTM "
      f"step {slopes['LSTM'][0]:.0f}; attention's depth "
      + (f"stays {attention_depths[0]} whatever T" if constant else f"varies between {attention_depths[0]} and "
         f"{attention_depths[-1]}: look at your graph")
      + f", and the path from the first position to the last is {depths[-1]['attention path']} operations long "
      f"at T = {depths[-1]['T']}, against {depths[-1]['RNN path']} through the RNN.")"""

LOOP_WHY = r"""## 3. All positions at once

Depth is not the whole story. Here is the same attention written as a recurrence would be, one query position
after the other (it is handed out; `causal=True` lets query `t` see the keys `0 .. t` only). Its queries do not
wait for each other, so its graph is hardly deeper than the batched one: the depth of section 2 does not tell
them apart. What differs is the **number of operations**: the loop runs a few small operations *per query*,
`T` times as many as one batched computation, and Python launches each of them after the one before. Exercise
4 removes the loop; the cell after it counts the operations (the nodes of the autograd graph, as
`graph_depth` walks them) and times both."""

LOOP_CODE = """print(inspect.getsource(attention_one_query_at_a_time))"""

ALL_TEXT = """`q` `(..., T, d)`, `k` `(..., Tk, d)`, `v` `(..., Tk, d_v)`: any leading dimensions. Return `(..., T, d_v)`,
the same values as `attention_one_query_at_a_time(q, k, v, causal)` for 3-D inputs, with **no loop**: one
product for all the scores, a `(T, Tk)` boolean mask for `causal=True` (query `t` sees keys `0 .. t`), one
softmax, one product with `v`. The check also counts the operations of your output's autograd graph: a loop
over positions gives right values, but is not this exercise."""

ALL_HINT = """`scores = q @ k.transpose(-2, -1) / math.sqrt(d)` gives `(..., T, Tk)`. For the causal case,
`torch.ones(T, Tk, dtype=torch.bool).tril()` is True where key `j <= t`; `scores.masked_fill(~allowed,
float("-inf"))` hides the rest. Then `torch.softmax(scores, dim=-1) @ v`. Import `math` in the cell if you use it."""

LOOP_DEMO = """# The batched version equals the loop; count the operations of each graph, and time both.
loop = experiments.loop_versus_batched(attention, attention_one_query_at_a_time, graph_depth_, T=256,
                                       repeats=REPEATS)
print(f"q, k, v: (B, T, d) = (2, {loop['T']}, 16); greatest difference {loop['difference']:.1e}")
print(f"depth of the output: batched {loop['depth']['batched']} | loop {loop['depth']['loop']}")
print(f"operations in the graph: batched {loop['operations']['batched']} | loop {loop['operations']['loop']}")
print(loop["claim"])
print(f"Load: {loop['load']}.")"""

TIME_WHY = r"""## 4. Wall time on this machine

Now we time the three layers, width `D = 64`, on **one sequence** (`B = 1`), on two threads: an `nn.RNN`,
an `nn.LSTM` (PyTorch's fused CPU kernels) and the self-attention layer (four projections around your
attention, causal), forward only and forward plus backward. If other work keeps the machine busy, the cell
uses one thread instead of two and says why: threads that wait for each other on a busy machine measure the
scheduler, not the layer. Each time is the median of 5 runs (9 when other
work keeps the machine busy, within a time budget), printed with its range, and the load is printed beside the table. The lengths
and layers are timed in turns, round after round, so that a busy moment slows one run of each rather than all
runs of one.

The course needs no GPU: these times are from the CPU. Where the machine has one, section 8 repeats the
timings there and says so."""

TIME_CODE = """lengths = experiments.TIME_LENGTHS
P, why = claims.choose_threads(2)[:2]  # two threads, or one if other work keeps the machine busy
cpu = f"CPU, {P} thread{'s' if P > 1 else ''}"
print(f"Timing on {why}.")
times, load = experiments.time_layers(attention, lengths, d_model=D, repeats=REPEATS, num_threads=P)
print(experiments.time_table(lengths, times, cpu))
print(f"Load: {load}.")
fig = experiments.plot_wall_time(lengths, times, cpu)
plt.show()"""

TIME_SUMMARY = """# Each sentence is chosen by the medians and ranges above (thresholds in course_lib/experiments/claims.py).
time_claims = experiments.wall_time_claims(lengths, times, load, lambda T: attention_flops_(T, D))
for claim in time_claims:
    print(claim)
if load.busy:
    print(f"Warning: {load}. Other work shares the cores, so these times may differ from an idle machine's; "
          "run this cell again when the machine is quieter to compare.")"""

GPU_WHY = r"""## 8. The same layers on a GPU, if this machine has one

Nothing in this course needs a GPU. If PyTorch sees one (`torch.cuda.is_available()`), the cell below repeats
the timings of sections 4 and 7 on it, with the clock waiting for the GPU to finish (`torch.cuda.synchronize`),
and labels every number with its device. Thousands of arithmetic units make the work term small: section 5's
model predicts that the recurrence's chain of steps then dominates."""

GPU_CODE = """if torch.cuda.is_available() and not GRADING:
    gpu = experiments.device_name("cuda")
    gpu_times, gpu_load = experiments.time_layers(attention, lengths, d_model=D, device="cuda")
    print(experiments.time_table(lengths, gpu_times, gpu))
    print(f"Load on the CPU that drives it: {gpu_load}.")
    for claim in experiments.wall_time_claims(lengths, gpu_times, gpu_load, lambda T: attention_flops_(T, D))[:4]:
        print(f"{gpu}: {claim}")
    gpu_fused, _ = experiments.time_fused(attention, fused_lengths, device="cuda")
    for claim in experiments.fused_claims(fused_lengths, gpu_fused, gpu_load):
        print(f"{gpu}: {claim}")
else:
    print("No GPU here" + (" (or grading)" if GRADING else "") + f": every time in this notebook was measured on "
          f"the {cpu}.")"""

MODEL_WHY = r"""## 5. A model of the times: work / cores + depth × step latency

Two things limit a layer. Its **work**, spread over `P` cores that each do `f` FLOPs a second, takes
`work / (P·f)` seconds at best. Its **depth**, the chain of operations that must wait for each other, takes
`depth × L` seconds however many cores there are, where `L` is the **latency** of one dependent operation
(starting a kernel, reading its input, writing its output). So

$$\text{time} \approx \text{overhead} + \frac{\text{work}}{P \cdot f} + \text{depth} \times L.$$

We fit `overhead`, `f` and `L` to the median forward times just measured (`P` = the threads they used), with the work from your formulas
and the depth from your graph counts of section 2 (extended to longer `T` with the fitted line
`depth = a·T + b`). Then we ask the model what happens with 64 cores (a large CPU server) and with 10,000
(the order of a GPU's arithmetic units). Those two panels are the model's extrapolation, **not** measurements."""

MODEL_CODE = """rnn_depth = lambda T: slopes["RNN"][0] * T + slopes["RNN"][1]  # noqa: E731 - fitted in section 2
attention_depth = lambda T: slopes["attention"][0] * T + slopes["attention"][1]  # noqa: E731
fitted = experiments.fit_cost_model(
    work=[rnn_flops_(T, D) for T in lengths] + [attention_flops_(T, D) for T in lengths],
    depth=[rnn_depth(T) for T in lengths] + [attention_depth(T) for T in lengths],
    seconds=experiments.medians(times["RNN"]["forward"]) + experiments.medians(times["attention"]["forward"]),
    cores=P)
print(f"overhead {fitted['overhead'] * 1e6:.0f} µs, f = {fitted['flops per core'] / 1e9:.1f} GFLOP/s per core, "
      f"L = {fitted['latency'] * 1e6:.2f} µs per dependent operation (relative error of the fit "
      f"{fitted['relative error']:.0%})")
fit_claim = experiments.fit_claim(fitted, load)
print(fit_claim)
model_lengths = [2 ** i for i in range(4, 15)]
measured = {"T": lengths, "RNN": experiments.medians(times["RNN"]["forward"]),
            "attention": experiments.medians(times["attention"]["forward"])}
fig = experiments.plot_cost_model(fitted, model_lengths, lambda T: rnn_flops_(T, D), lambda T: attention_flops_(T, D),
                                  rnn_depth, attention_depth, measured, cores=(P, 64, 10_000))
plt.show()"""

MODEL_SUMMARY = """def model_crossover(cores):
    for T in sorted({int(8 * 1.02 ** i) for i in range(600)}):  # T from 8 to about a million, 2 % apart
        rnn = experiments.predict(fitted, rnn_flops_(T, D), rnn_depth(T), cores)
        if experiments.predict(fitted, attention_flops_(T, D), attention_depth(T), cores) > rnn:
            return T
    return None


print(f"One RNN step costs about {slopes['RNN'][0] * fitted['latency'] * 1e6:.1f} µs of latency in the fitted model, "
      f"{slopes['RNN'][0]:.0f} dependent operations of {fitted['latency'] * 1e6:.2f} µs.")
crossovers = {cores: model_crossover(cores) for cores in (P, 64, 10_000)}
for cores, T_cross in crossovers.items():
    where = f"from T = {T_cross:,}" if T_cross else "at no length below a million"
    print(f"{cores:>6,} core{'s' if cores > 1 else ''}: the model has attention slower than the RNN {where}")
model_claim = experiments.crossover_claims(crossovers)
print(model_claim)"""

GRAD_WHY = r"""## 6. Gradients along the sequence

Depth matters for learning too. Notebook 01 measured the gradient that reaches the input at step 0 from the
loss at step `t`: through a recurrence it shrinks about exponentially with `t`, one Jacobian per step. In a
self-attention layer every output is one attention step away from every input it may see. We repeat notebook
01's measurement (same widths, random initialisation, a fixed random read-out) for an RNN, an LSTM and one
causal attention layer built on your `attention_all_positions`, and compare the falls in orders of magnitude
(the slopes of the log plot)."""

GRAD_CODE = """T = 32 if GRADING else 64
curves = {
    "RNN": gradient_to_first_step("rnn", T),
    "LSTM": gradient_to_first_step("lstm", T),
    "self-attention (causal)": experiments.attention_gradient_to_first_step(attention, T),
}
fig, ax = plt.subplots(figsize=(6.5, 3.8))
for label, norms in curves.items():
    ax.plot(range(T), norms, label=label)
ax.set(yscale="log", xlabel="distance t (positions between the input and the loss)",
       ylabel="||d loss_t / d x_0|| (mean over batch)", title="Gradient reaching position 0 from the loss at t")
ax.legend()
fig.tight_layout()
plt.show()"""

GRAD_SUMMARY = """far = T - 1
for label, norms in curves.items():
    print(f"{label:>24}: gradient at distance 1 {norms[1]:.1e}, at distance {far} {norms[far]:.1e} "
          f"({norms[1] / norms[far]:.1e}x smaller)")
gradient_claims = experiments.gradient_claims(curves, far)
for claim in gradient_claims:
    print(claim)"""

FUSED_WHY = r"""## 7. What a fused kernel buys

Your `attention_all_positions` runs four operations, each a separate kernel: the product, the mask, the
softmax, the product; between them, the `T x T` scores are written to memory and read back.
`torch.nn.functional.scaled_dot_product_attention` does the same computation in one **fused** kernel, which
works through the keys in blocks and never stores the whole `T x T` matrix. We time both, forward and backward,
with 4 heads of width 16, causal; then the training speed (tokens per second: forward, backward, Adam step) of
a small model built on an LSTM layer and on a self-attention layer, batch 8, as the length grows. Medians
and ranges, as in section 4. (On a GPU the fused kernel matters more, as memory traffic dominates there;
section 8 measures it where there is one.)"""

FUSED_CODE = """fused_lengths, train_lengths = experiments.FUSED_LENGTHS, experiments.TRAIN_LENGTHS
fused, fused_load = experiments.time_fused(attention, fused_lengths, repeats=REPEATS, num_threads=P)
print(f"Forward and backward, 4 heads of width 16, causal, on the {cpu}:")
fused_claims = experiments.fused_claims(fused_lengths, fused, fused_load)
for T, claim in zip(fused_lengths, fused_claims):
    print(f"{claim}; your scores of 4 heads take {4 * T * T * 4 / 2 ** 20:.2f} MiB")
print(f"Load: {fused_load}.")
steps, train_load = experiments.training_throughput(attention, train_lengths, repeats=REPEATS, num_threads=P)
print(f"Training steps (batch 8), on the {cpu}:")
rows, trend_claim = experiments.throughput_claims(train_lengths, steps, train_load)
for row in rows:
    print(row)
print(f"Load: {train_load}.")"""

FUSED_SUMMARY = """faster = [c for c in fused_claims if c.verdict == "faster"]
if faster:
    best = max(faster, key=lambda c: c.evidence["yours"].median / c.evidence["fused"].median)
    print(f"The fused kernel is faster, beyond the noise, at {len(faster)} of {len(fused_claims)} lengths, up to "
          f"{best.evidence['yours'].median / best.evidence['fused'].median:.1f}x at T = {best.evidence['T']}, "
          "with the same result.")
else:
    print("The fused kernel is not faster beyond the noise at any length here (see the ranges above).")
print(trend_claim)"""

SUMMARY = r"""## Summary

* **Work.** An RNN layer costs `4·T·D²` FLOPs, a self-attention layer `8·T·D² + 4·T²·D`, as `FlopCounterMode`
  counts them on the real layers. Attention's `T x T` weights also cost `T²` numbers of memory per head. Per
  layer, attention does *more* work, and more so the longer the sequence.
* **Depth.** Counted on real autograd graphs, a recurrence adds a fixed number of dependent operations per
  step, so its depth and the path between the first and the last position grow with `T`; attention's depth is
  the same at every length. A loop over the queries keeps that depth but multiplies the number of operations.
* **Wall time** depends on the machine, and on what else it is doing. The model
  `overhead + work / (P·f) + depth × L` says why more cores favour attention: they shrink only the work term,
  and the recurrence's `T` steps of latency remain. That, and not fewer FLOPs, is why attention trains faster
  on GPUs. What *your* machine showed is printed below, from the numbers measured above.

**Next:** notebook 07 stacks attention layers into a deep network and makes it trainable: residual
connections, layer norm, the feed-forward block and warm-up."""

RECAP = """# What this machine showed, printed from the measurements above (thresholds: course_lib/experiments/claims.py).
print(f"Work: {whose} {'match' if agree else 'do NOT match'} FlopCounterMode; attention did "
      f"{work[0]['attention counted'] / work[0]['RNN counted']:.1f}x to {work[-1]['attention counted'] / work[-1]['RNN counted']:.1f}x "
      "the RNN's work.")
print(f"Depth at T = {depths[-1]['T']}: RNN {depths[-1]['RNN layer']}, LSTM {depths[-1]['LSTM layer']}, attention "
      f"{depths[-1]['attention layer']} operations.")
loop_words = {"faster": "the batched version was faster", "slower": "the loop was faster",
              "inconclusive": "no clear difference in time"}[loop["claim"].verdict]
print(f"Loop over queries against one batched computation: {loop_words} ({loop['operations']['loop']} against "
      f"{loop['operations']['batched']} operations).")
print(f"Wall time on the {cpu} ({load}):")
for claim in time_claims[:4]:
    print("  " + claim.text.strip())
print("Cost model: " + fit_claim.text)
print("Gradients: " + gradient_claims[0].text)
print("Training throughput: " + trend_claim.text)"""


def build():
    return notebook([
        markdown(INTRO),
        locked_code(SETUP, "setup"),
        markdown(WORK_WHY),
        *exercise(1, ref.rnn_flops, points=1, seed=6101, difficulty=1, importance=3, minutes=5,
                  text=RNN_TEXT, hint=RNN_HINT,
                  final_assert='assert rnn_flops(10, 3) == 360, "10 steps of two (1, 3) x (3, 3) products, 2 FLOPs '
                               'per multiply-add"'),
        *exercise(2, ref.attention_flops, points=2, seed=6203, difficulty=2, importance=4, minutes=10,
                  text=ATT_TEXT, hint=ATT_HINT,
                  final_assert='assert attention_flops(2, 3) == 192, "four projections 8·T·D², scores and mixing '
                               '4·T²·D"'),
        markdown(DEPTH_WHY),
        *exercise(3, ref.graph_depth, points=3, seed=6307, difficulty=3, importance=4, minutes=20,
                  text=DEPTH_TEXT, hint=DEPTH_HINT,
                  final_assert='assert graph_depth((torch.ones(2, requires_grad=True) * 2).exp()) == 2, '
                               '"two operations, one after the other"'),
        markdown(LOOP_WHY),
        code(LOOP_CODE),
        *exercise(4, ref.attention_all_positions, points=3, seed=6409, difficulty=2, importance=5, minutes=15,
                  text=ALL_TEXT, hint=ALL_HINT,
                  final_assert='assert attention_all_positions(torch.zeros(1, 3, 2), torch.zeros(1, 3, 2), '
                               'torch.arange(3.0).view(1, 3, 1), causal=True)[0, :, 0].tolist() == [0.0, 0.5, 1.0], '
                               '"query t averages the values 0..t"'),
        markdown(WORK_MEASURE),
        code(WORK_CODE),
        code(WORK_SUMMARY),
        markdown(DEPTH_MEASURE),
        code(DEPTH_CODE),
        code(DEPTH_SUMMARY),
        code(LOOP_DEMO),
        markdown(TIME_WHY),
        code(TIME_CODE),
        code(TIME_SUMMARY),
        markdown(MODEL_WHY),
        code(MODEL_CODE),
        code(MODEL_SUMMARY),
        markdown(GRAD_WHY),
        code(GRAD_CODE),
        code(GRAD_SUMMARY),
        markdown(FUSED_WHY),
        code(FUSED_CODE),
        code(FUSED_SUMMARY),
        markdown(GPU_WHY),
        code(GPU_CODE),
        markdown(SUMMARY),
        code(RECAP),
    ], title="06 Parallelism")
