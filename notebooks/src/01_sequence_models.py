"""Notebook 01: the RNN and the LSTM read a sequence one step at a time; we measure what that costs."""
from author import code, exercise, locked_code, markdown, notebook

from course_lib.solutions import sequence_models as ref

INTRO = """# 01 · Sequence models: reading one step at a time

**What you build:** `rnn_cell`, `rnn_forward`, `lstm_cell`.
**What you measure:** (a) the time to read a sequence against its length, with one thread and with several;
(b) how much gradient reaches the first step from a loss `t` steps later, for an RNN and an LSTM;
(c) whether an RNN and an LSTM can learn to recall a symbol seen `k` steps earlier.
**Time:** about 60 minutes.

Text, audio, prices: many inputs are sequences, and their length varies. A **recurrent** network reads such a
sequence the way you read this sentence: one element after the other, carrying a summary of what it has read
so far, the **hidden state** `h`. At every step the same small network combines the new input with the old
state into a new state. The design is compact and handles any length, and it has two costs, which this
notebook measures: step `t` cannot start before step `t - 1` is done, and what was read long ago has to
survive many steps to influence anything.

**Shapes used in this notebook**

| symbol | meaning |
|---|---|
| `B` | batch size (sequences read side by side) |
| `T` | sequence length (steps) |
| `D` | width of one input vector `x_t` |
| `H` | width of the hidden state `h_t` (and of the LSTM's cell state `c_t`) |

Inputs are batch first: a batch of sequences is `x` of shape `(B, T, D)`, and `x[:, t]` is step `t` of every
sequence, shape `(B, D)`.

Run the set-up cell first. Every exercise is followed by a check cell: it answers in well under two seconds
with a green line, or with a message that names the mistake it recognises.
"""

SETUP = """# Set-up: imports, the course's checks and experiments, fixed seeds.
import math
import os

import matplotlib.pyplot as plt
import torch
from torch import nn

from course_lib.checks import check_lstm_cell, check_rnn_cell, check_rnn_forward
from course_lib.experiments import sequence_models as experiments
from course_lib.experiments import yours_or_reference  # your code if it passes its check, else the reference

torch.manual_seed(0)
GRADING = "NBGRADER_EXECUTION" in os.environ  # the grader shrinks the experiments; the exercises stay the same"""

RNN_CELL_WHY = """## 1. The RNN cell: one step

At step `t` the cell reads the input `x_t` and the previous state `h_{t-1}` and returns the new state:

$$h_t = \\tanh(x_t W_{xh} + h_{t-1} W_{hh} + b_h)$$

* `x_t W_xh` brings in the new input, `h_{t-1} W_hh` what was read before; the same weights serve every step.
* `tanh` squashes the sum into `(-1, 1)`: the state stays bounded however long the sequence, and two steps
  are not just one bigger linear map.

**A note on layouts.** This course writes weights so that the formula reads left to right, `x @ W` with `W`
of shape `(D, H)`. PyTorch's `nn.RNNCell` stores `weight_ih` as `(H, D)` and computes `x @ weight_ih.T`, and
it has two biases, `bias_ih` and `bias_hh`, which are simply added. The demo below converts one into the other."""

RNN_CELL_TEXT = """`x_t` `(B, D)`, `h_prev` `(B, H)`, `W_xh` `(D, H)`, `W_hh` `(H, H)`, `b_h` `(H,)`. Return `h_t`, shape `(B, H)`.
Do not write into the inputs."""

RNN_CELL_HINT = """`x_t @ W_xh` is `(B, D) x (D, H) -> (B, H)` and `h_prev @ W_hh` is `(B, H) x (H, H) -> (B, H)`; `b_h` of shape
`(H,)` broadcasts over the batch. `W_hh` is square, so `h_prev @ W_hh.T` would run without an error and be wrong."""

RNN_CELL_DEMO = """# Yours against nn.RNNCell with the same weights (PyTorch stores them transposed, with two biases).
cell = yours_or_reference("rnn_cell", rnn_cell)
torch.manual_seed(1)
torch_cell = nn.RNNCell(input_size=3, hidden_size=5)
W_xh, W_hh = torch_cell.weight_ih.T.detach(), torch_cell.weight_hh.T.detach()  # (3, 5), (5, 5)
b_h = (torch_cell.bias_ih + torch_cell.bias_hh).detach()  # (5,)
x_t, h_prev = torch.randn(2, 3), torch.randn(2, 5)  # (B, D), (B, H)
with torch.no_grad():
    difference = (cell(x_t, h_prev, W_xh, W_hh, b_h) - torch_cell(x_t, h_prev)).abs().max().item()
print("greatest difference from nn.RNNCell:", difference)"""

RNN_FORWARD_WHY = """## 2. The RNN over a sequence: a loop that cannot be skipped

To read a whole sequence, start from an initial state `h0` (often zeros) and apply the cell at every step,
feeding each new state into the next step. Collect the states: `outputs[:, t]` is the state after reading
`x[:, t]`, and the last one, `h_last`, summarises the whole sequence.

Look at the loop you are about to write: step `t` needs `h` from step `t - 1`. Within one step, the `B`
sequences of the batch and the `H` units can be computed in parallel, but the `T` steps must run one after
the other. Section 4 measures what that means for the time to read a sequence."""

RNN_FORWARD_TEXT = """`x` `(B, T, D)`, `h0` `(B, H)`, and the cell's weights. Return `(outputs, h_last)`: `outputs` `(B, T, H)` holds
the state after each step, `h_last` `(B, H)` the state after the last step. Use your `rnn_cell`."""

RNN_FORWARD_HINT = """Loop `for t in range(T)` and take `x[:, t]` (shape `(B, D)`); `for x_t in x` would walk the batch instead.
Collect the states in a list and `torch.stack(states, dim=1)`: the default `dim=0` gives `(T, B, H)`."""

RNN_FORWARD_DEMO = """# Yours against nn.RNN (batch_first=True), which runs the same loop in C++.
forward = yours_or_reference("rnn_forward", rnn_forward)
torch.manual_seed(2)
torch_rnn = nn.RNN(input_size=3, hidden_size=5, batch_first=True)
W_xh, W_hh = torch_rnn.weight_ih_l0.T.detach(), torch_rnn.weight_hh_l0.T.detach()  # (3, 5), (5, 5)
b_h = (torch_rnn.bias_ih_l0 + torch_rnn.bias_hh_l0).detach()  # (5,)
x, h0 = torch.randn(2, 7, 3), torch.randn(2, 5)  # (B, T, D), (B, H)
outputs, h_last = forward(x, h0, W_xh, W_hh, b_h)
with torch.no_grad():
    torch_outputs, torch_h_last = torch_rnn(x, h0[None])  # nn.RNN wants h0 as (layers, B, H)
print("outputs", tuple(outputs.shape), "h_last", tuple(h_last.shape))
print("greatest difference from nn.RNN:", (outputs - torch_outputs).abs().max().item(),
      (h_last - torch_h_last[0]).abs().max().item())"""

LSTM_WHY = """## 3. The LSTM cell: a memory with gates

In the RNN everything the network remembers passes through `tanh(... h W_hh ...)` at every step. The LSTM
(Hochreiter and Schmidhuber, 1997) adds a second state, the **cell** `c`, that is changed only by
multiplying it element-wise by a gate and adding to it. Four blocks are computed from one product:

$$[\\,i\\;|\\;f\\;|\\;g\\;|\\;o\\,] = x_t W_{ih} + h_{t-1} W_{hh} + b \\qquad \\text{(4 blocks of } H \\text{ columns, in this order)}$$

| block | activation | role |
|---|---|---|
| `i` input gate | sigmoid | how much of the new content to write |
| `f` forget gate | sigmoid | how much of the old cell to keep |
| `g` candidate | tanh | the new content, between -1 and 1 |
| `o` output gate | sigmoid | how much of the cell to show |

$$c_t = f \\odot c_{t-1} + i \\odot g \\qquad h_t = o \\odot \\tanh(c_t)$$

From one step to the next the cell is only multiplied by `f`. When the forget gate is near 1 the cell carries
information, and gradient, almost unchanged across many steps; section 5 measures that path.
The order `i, f, g, o` is PyTorch's (`nn.LSTMCell` stores `weight_ih` as `(4H, D)`, the four blocks stacked
in that order); other libraries use other orders, so weights do not transfer without reordering."""

LSTM_TEXT = """`x_t` `(B, D)`, `h_prev` `(B, H)`, `c_prev` `(B, H)`, `W_ih` `(D, 4H)`, `W_hh` `(H, 4H)`, `b` `(4H,)`.
Return `(h_t, c_t)`, both `(B, H)`. Columns `0:H` of the gate pre-activations are `i`, `H:2H` are `f`, `2H:3H`
are `g`, `3H:4H` are `o`."""

LSTM_HINT = """`i, f, g, o = gates.chunk(4, dim=-1)` cuts the `(B, 4H)` pre-activations into four consecutive `(B, H)`
blocks. Three of them go through `torch.sigmoid`, `g` through `torch.tanh`. Then the two formulas above, with `*`
(element-wise)."""

LSTM_DEMO = """# Yours against nn.LSTMCell with the same weights.
cell = yours_or_reference("lstm_cell", lstm_cell)
torch.manual_seed(3)
torch_lstm = nn.LSTMCell(input_size=3, hidden_size=5)
W_ih, W_hh = torch_lstm.weight_ih.T.detach(), torch_lstm.weight_hh.T.detach()  # (3, 20), (5, 20)
b = (torch_lstm.bias_ih + torch_lstm.bias_hh).detach()  # (20,)
x_t, h_prev, c_prev = torch.randn(2, 3), torch.randn(2, 5), torch.randn(2, 5)  # (B, D), (B, H), (B, H)
h_t, c_t = cell(x_t, h_prev, c_prev, W_ih, W_hh, b)
with torch.no_grad():
    torch_h, torch_c = torch_lstm(x_t, (h_prev, c_prev))
print("greatest difference from nn.LSTMCell:", (h_t - torch_h).abs().max().item(),
      (c_t - torch_c).abs().max().item())"""

TIME_WHY = """## 4. Measured: the time to read a sequence grows with its length, whatever the cores

The claim: an RNN must run its `T` steps one after the other, so the time to read **one** sequence grows in
proportion to `T`, and more cores do not shorten it: each step is a product of a `(1, H)` state with an
`(H, H)` matrix, far too little work to share out, and the next step cannot start early.

We time `nn.RNN` (its loop runs in C++, so this is the recurrence itself, not Python's overhead) on one
sequence (`B = 1`, `D = 32`, `H = 64`) of several lengths, with one thread and with every thread PyTorch
has here, best of several runs. The plot has logarithmic axes: time proportional to `T` (a fixed cost per
step) is a straight line parallel to the dashed one."""

TIME_CODE = """lengths = [32, 64] if GRADING else [32, 64, 128, 256, 512, 1024]
thread_counts = sorted({1, torch.get_num_threads()})
times = {n: experiments.time_per_sequence(lengths, n, repeats=3 if GRADING else 10) for n in thread_counts}
print(f"{'T':>6} | " + " | ".join(f"{n} thread(s): ms, us per step" for n in thread_counts))
for i, T in enumerate(lengths):  # a constant cost per step means time proportional to T
    print(f"{T:>6} | " + " | ".join(f"{times[n][i] * 1e3:>9.3f} {times[n][i] / T * 1e6:>12.2f}      "
                                     for n in thread_counts))"""

TIME_PLOT = """fig = experiments.plot_time_vs_length(lengths, times)
plt.show()"""

GRAD_WHY = """## 5. Measured: the gradient from a distant loss fades

To learn that an output at step `t` depends on the input at step 0, the gradient of the loss at step `t` has
to travel back through `t` steps. In the RNN each step back multiplies it by `W_hh` and by the slope of
`tanh` (at most 1). If those factors shrink it, it shrinks **geometrically**: a straight line going down on
a log scale. In the LSTM the cell path multiplies it by the forget gate `f` instead.

For each `t` we take a fixed random read-out of `h_t` as the loss and measure the norm of its gradient with
respect to the input `x_0`, at random initialisation (`H = 64`, 16 sequences). The recurrence is **yours**:
your `rnn_forward`, and a loop of your `lstm_cell` (or the references while yours do not pass their checks;
the cell says which), given the initial weights of PyTorch's modules. Four models:

* `nn.RNN` with PyTorch's initialisation;
* `nn.LSTM` with PyTorch's initialisation: the forget-gate bias is near 0, so `f` starts near 0.5;
* `nn.LSTM` with the forget-gate bias set to 1 (`f` near 0.73), the usual recommendation (Gers et al., 2000;
  Jozefowicz et al., 2015);
* `nn.LSTM` with the forget-gate bias set to 3 (`f` near 0.95), the model used in section 6."""

GRAD_CODE = """T_grad = 20 if GRADING else 100
forward = yours_or_reference("rnn_forward", rnn_forward)
cell = yours_or_reference("lstm_cell", lstm_cell)
models = {  # label: (kind, forget-gate bias; None keeps PyTorch's initialisation)
    "RNN": ("rnn", None),
    "LSTM, PyTorch init (f ~ 0.5)": ("lstm", None),
    "LSTM, forget bias 1 (f ~ 0.73)": ("lstm", 1.0),
    "LSTM, forget bias 3 (f ~ 0.95)": ("lstm", 3.0),
}
curves = {label: experiments.gradient_to_first_step(kind, T_grad, forget_bias=bias, seed=0,
                                                   rnn_forward=forward, lstm_cell=cell)
          for label, (kind, bias) in models.items()}
steps_shown = [t for t in (0, 10, 20, 50, 99) if t < T_grad]
print(f"{'gradient norm at x_0, loss at step t':>36} | " + " | ".join(f"t={t:<6}" for t in steps_shown))
for label, norms in curves.items():
    print(f"{label:>36} | " + " | ".join(f"{norms[t]:.1e}" for t in steps_shown))"""

GRAD_PLOT = """fig = experiments.plot_gradient_norms(curves)
plt.show()"""

TASK_WHY = """## 6. Measured: recall a symbol seen `k` steps ago

A gradient at initialisation is a forecast; whether the model can *learn* a long dependency is the real test.
The task: a sequence of `k` random symbols (8 possible, one-hot); after reading all of them, name the
**first** one. The answer depends only on a symbol `k` steps back, and every symbol after it is noise to
ignore. Chance is 1/8.

For each `k` we train a small `nn.RNN` and a small `nn.LSTM` (hidden size 32, forget-gate bias 3, section 5)
with the same budget (`course_lib.train.fit`): Adam, learning rate 3e-3, batches of 64 fresh sequences, at most
600 steps (training stops early once 20 batches in a row are answered perfectly), and measure the accuracy on
1000 new sequences. These two are PyTorch's `nn.RNN` and `nn.LSTM`, whose loops run in C++: a Python loop of
your cells computes the same thing (the demos above compared them), only more slowly."""

TASK_SAMPLE = """# Two sequences of the task for k = 6: the answer is the first symbol.
x, y = experiments.recall_batch(2, 6, torch.Generator().manual_seed(0))  # x (2, 6, 8) one-hot, y (2,)
print("symbols:", x.argmax(dim=-1).tolist(), " answers:", y.tolist())"""

TASK_CODE = """ks = [4, 8] if GRADING else [4, 8, 16, 32, 64, 128]
recall_steps = 30 if GRADING else 600
accuracy = experiments.accuracy_vs_k(ks, recall_steps, seed=0)
print(f"{'k':>4} | {'RNN':>6} | {'LSTM':>6}")
for i, k in enumerate(ks):
    print(f"{k:>4} | {accuracy['rnn'][i]:>6.3f} | {accuracy['lstm'][i]:>6.3f}")"""

TASK_PLOT = """fig = experiments.plot_accuracy_vs_k(ks, accuracy)
plt.show()"""

MEASURED = """# What was measured, read from the numbers above.
one = times[1]  # seconds per sequence with one thread, one per length
per_step = [seconds / T * 1e6 for seconds, T in zip(one, lengths)]
print(f"(a) Time: with one thread a step cost {min(per_step):.1f} to {max(per_step):.1f} microseconds at every "
      f"length; {lengths[-1] // lengths[0]} times longer sequences took {one[-1] / one[0]:.0f} times as long.")
if len(times) > 1:
    most = max(times)
    speedup = [a / b for a, b in zip(one, times[most])]
    print(f"    {most} threads were at best {max(speedup):.1f} times as fast as one (at worst {min(speedup):.1f}): "
          + ("extra cores do not shorten the loop." if max(speedup) < 1.5 else "some speed-up here."))
far = T_grad - 1
fading = {label: norms[far] / norms[0] for label, norms in curves.items()}
print(f"(b) Gradient: from a loss {far} steps away, the gradient reaching x_0 is, relative to the one at t = 0:")
for label, ratio in fading.items():
    print(f"    {label:<32} {ratio:.0e}")
print(f"    The forget gate decides: with bias 3 the distant gradient is {fading['LSTM, forget bias 3 (f ~ 0.95)']:.2g} "
      f"times the near one, with PyTorch's init {fading['LSTM, PyTorch init (f ~ 0.5)']:.0e}, for the RNN "
      f"{fading['RNN']:.0e}.")
solved = {kind: [k for k, a in zip(ks, accs) if a > 0.9] for kind, accs in accuracy.items()}
reach = {kind: (f"up to k = {max(found)}" if found else "at no k") for kind, found in solved.items()}
print(f"(c) Recall: above 90% accuracy the RNN got {reach['rnn']}, the LSTM {reach['lstm']} (of k = {ks}); "
      f"at the longest k, {accuracy['rnn'][-1]:.2f} and {accuracy['lstm'][-1]:.2f} (chance {1 / 8:.2f})."
      + (" A token run under grading: too short to learn." if GRADING else ""))"""

SUMMARY = """## Summary

* `rnn_cell` is one step, `tanh(x_t W_xh + h_prev W_hh + b_h)`; `rnn_forward` loops it over the sequence,
  carrying the state; `lstm_cell` adds a cell state changed only through gates (order `i, f, g, o`).
* Recurrence costs **time**: the `T` steps of one sequence run one after the other, so the time grows with
  `T` and extra cores do not help.
* Recurrence costs **memory of the past**: information and gradient between two positions `k` steps apart
  travel through `k` steps, fading on the way. Gates slow the fading; they do not shorten the path.

A better design needs two things: **computation that is parallel over positions**, so that all steps of a
sequence are computed at once, and **a short path between any two positions**, so that step 0 can reach step
127 in one hop instead of 127. Attention provides both.

**Next:** notebook 02 lets a decoder look back at every encoder state directly, with attention."""


def build():
    return notebook([
        markdown(INTRO),
        locked_code(SETUP, "setup"),
        markdown(RNN_CELL_WHY),
        *exercise(1, ref.rnn_cell, points=1, seed=4217, difficulty=1, importance=4, minutes=10,
                  text=RNN_CELL_TEXT, hint=RNN_CELL_HINT,
                  signature="def rnn_cell(x_t, h_prev, W_xh, W_hh, b_h) -> torch.Tensor",
                  final_assert="assert torch.allclose(rnn_cell(torch.ones(1, 2), torch.zeros(1, 3), torch.ones(2, 3), "
                               "torch.eye(3), torch.zeros(3)), torch.full((1, 3), math.tanh(2.0))), "
                               "\"each unit gets 1 + 1 = 2 from the input, squashed: tanh(2)\""),
        code(RNN_CELL_DEMO),
        markdown(RNN_FORWARD_WHY),
        *exercise(2, ref.rnn_forward, points=2, seed=8093, difficulty=2, importance=5, minutes=15,
                  text=RNN_FORWARD_TEXT, hint=RNN_FORWARD_HINT,
                  signature="def rnn_forward(x, h0, W_xh, W_hh, b_h) -> tuple[torch.Tensor, torch.Tensor]",
                  final_assert="assert rnn_forward(torch.zeros(2, 4, 3), torch.zeros(2, 5), torch.zeros(3, 5), "
                               "torch.zeros(5, 5), torch.zeros(5))[0].shape == (2, 4, 5), "
                               "\"outputs must have shape (B, T, H)\""),
        code(RNN_FORWARD_DEMO),
        markdown(LSTM_WHY),
        *exercise(3, ref.lstm_cell, points=3, seed=6151, difficulty=3, importance=5, minutes=20,
                  text=LSTM_TEXT, hint=LSTM_HINT,
                  signature="def lstm_cell(x_t, h_prev, c_prev, W_ih, W_hh, b) -> tuple[torch.Tensor, torch.Tensor]",
                  final_assert="assert torch.allclose(lstm_cell(torch.zeros(1, 2), torch.zeros(1, 3), torch.ones(1, 3), "
                               "torch.zeros(2, 12), torch.zeros(3, 12), torch.zeros(12))[1], torch.full((1, 3), 0.5)), "
                               "\"with every pre-activation 0, each gate is 0.5 and g is 0, so c_t = 0.5 * c_prev\""),
        code(LSTM_DEMO),
        markdown(TIME_WHY),
        code(TIME_CODE),
        code(TIME_PLOT),
        markdown(GRAD_WHY),
        code(GRAD_CODE),
        code(GRAD_PLOT),
        markdown(TASK_WHY),
        code(TASK_SAMPLE),
        code(TASK_CODE),
        code(TASK_PLOT),
        code(MEASURED),
        markdown(SUMMARY),
    ], title="01 Sequence models")
