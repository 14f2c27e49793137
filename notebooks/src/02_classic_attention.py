"""Notebook 02: encoder-decoder attention (Bahdanau's additive attention), measured on a toy task, then set
beside self-attention."""
from author import code, exercise, locked_code, markdown, notebook

from course_lib.solutions import classic_attention as ref

INTRO = """# 02 · Classic attention: a decoder that looks back at the source

**What you build:** `additive_attention`, the attention of Bahdanau, Cho and Bengio (2015).
**What you measure:** a small GRU encoder-decoder that reverses 12-digit sequences, trained with and without
attention: its accuracy, which output steps fail without attention, and the alignment it learns (a heat map
and the share of attention that lands on the right source digit).
**Time:** about 40 minutes, of which under a minute of training.

Notebook 01 showed that a recurrent network reads a sequence one step at a time and that what it read long
ago fades. This notebook shows what that does to a *translation* model, an encoder-decoder, and the fix that
started the road to the Transformer: attention.

**Shapes used in this notebook**

| symbol | meaning |
|---|---|
| `B` | batch size |
| `T` | source length: number of encoder states |
| `Dq` | width of the query (the decoder's state) |
| `Dk`, `Dv` | width of a key, of a value (both are encoder states in a translation model) |
| `A` | width of the hidden layer of the additive score |
| `H` | hidden width of the toy encoder and decoder |

Run the set-up cell first. The exercise is followed by a check cell: it answers in well under two seconds
with a green line, or with a message that names the mistake it recognises.
"""

SETUP = """# Set-up: imports, the course's checks, fixed seeds.
import os

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F

from course_lib.checks import check_additive_attention
from course_lib.experiments import classic_attention as lab
from course_lib.experiments import yours_or_reference  # your code if it passes its check, else the reference

torch.manual_seed(0)
GRADING = "NBGRADER_EXECUTION" in os.environ  # the grader shrinks the experiments, not the exercise"""

BOTTLENECK_WHY = """## 1. The bottleneck: a whole source squeezed into one vector

The first neural translation models (Sutskever, Vinyals and Le, 2014; Cho et al., 2014) are two recurrent
networks. The **encoder** reads the source $x_1 \\dots x_T$ and keeps its states $h_1 \\dots h_T$; the
**decoder** then writes the output one token at a time from its own state $s_i$. The only thing that passes
from one to the other is **one fixed vector**, the encoder's last state $h_T$ (the "summary").

That vector has the same width whether the source has 5 words or 50. Everything the decoder will ever know
about the source must fit in it, and the encoder must decide what to keep before it knows what the decoder
will need. Cho et al. (2014) measured the consequence: translation quality of these models falls steeply as
sentences get longer.

**Bahdanau's fix (2015): keep every encoder state and let the decoder choose.** At each output step $i$ the
decoder, in state $s_{i-1}$, scores every encoder state $h_t$ with a small network, the *alignment model*:

$$e_{i,t} = v^\\top \\tanh\\left(s_{i-1} W_q + h_t W_k\\right), \\qquad
\\alpha_{i,t} = \\frac{\\exp(e_{i,t})}{\\sum_{t'} \\exp(e_{i,t'})}, \\qquad c_i = \\sum_t \\alpha_{i,t}\\, h_t .$$

The weights $\\alpha_{i,\\cdot}$ sum to 1 over the source positions, and the **context** $c_i$ is their
weighted average of the encoder states: a fresh summary for every output step, focused where the decoder
looks. The decoder reads $c_i$ alongside its previous output. Every step is differentiable, so the model learns
*where to look* from the translation loss alone; nobody tells it the alignment.

In the vocabulary of the rest of the course: the decoder state is the **query**, the encoder states are the
**keys** (what is scored) and the **values** (what is averaged). In a translation model keys and values are
the same states; the function below keeps them apart, as attention does from notebook 03 on."""

ADDITIVE_TEXT = """Inputs, one query per batch row:

* `query` `(B, Dq)`: the decoder's state; `keys` `(B, T, Dk)` and `values` `(B, T, Dv)`: the encoder's states;
* `W_q` `(Dq, A)`, `W_k` `(Dk, A)`, `v` `(A,)`: the alignment model's parameters;
* `mask` `(B, T)` bool or `None`: **`True` where attention is allowed** (the course's convention); a padded
  source position is `False` and must get weight exactly 0.

Compute `score_t = v · tanh(query @ W_q + keys_t @ W_k)` for every `t` at once, mask, softmax over the
source positions, and return `(context, weights)`: `context` `(B, Dv)`, `weights` `(B, T)`.
Use `torch.softmax`; do not write into the inputs."""

ADDITIVE_HINT = """`query @ W_q` is `(B, A)` and `keys @ W_k` is `(B, T, A)`: give the first a time axis,
`(query @ W_q)[:, None, :]`, so that it broadcasts over the `T` positions. `tensor_of_shape_B_T_A @ v` gives
`(B, T)`. `scores.masked_fill(~mask, float("-inf"))` blocks the positions where the mask is False. For the
context, `(weights[:, None, :] @ values).squeeze(1)`: `(B, 1, T) x (B, T, Dv) -> (B, Dv)`."""

ADDITIVE_DEMO = """# One decoder query over 4 encoder states; the last source position is padding.
additive = yours_or_reference("additive_attention", additive_attention)
g = torch.Generator().manual_seed(0)
query, states = torch.randn(1, 3, generator=g), torch.randn(1, 4, 3, generator=g)  # (B, Dq), (B, T, Dk)
W_q, W_k, v = torch.randn(3, 5, generator=g), torch.randn(3, 5, generator=g), torch.randn(5, generator=g)
mask = torch.tensor([[True, True, True, False]])  # (B, T): position 3 is padding
context, weights = additive(query, states, states, W_q, W_k, v, mask=mask)
print("weights:", weights.numpy().round(3), " sum:", weights.sum().item())
print("context:", context.numpy().round(3), " = weights @ states:",
      (weights @ states[0]).numpy().round(3))"""

EXPERIMENT_WHY = """## 3. Measured: reversing digits with and without attention

**The task.** The source is 12 random digits, the target the same digits in reverse order:
`3 1 4 1 5 9 2 6 5 3 5 8` → `8 5 3 5 6 2 9 5 1 4 1 3`. About 40 bits of information, and output step `i` needs
source position `T - 1 - i`: the first output needs the last input, the last output the first input.

**Three pieces of machinery, before they are used.**

* A **GRU** (`nn.GRU`) is a recurrent network like notebook 01's LSTM: gates decide what to keep, but there is
  no separate cell state. A **bidirectional** GRU runs two of them over the source, one from left to right and
  one from right to left, and puts their states side by side: the state at position `t` describes digit `t`
  together with what comes before it *and* after it.
* **Teacher forcing**: while training, the decoder reads the *correct* previous digit at every step, not the
  one it predicted, so every step learns from the start even while early guesses are wrong.
* **Greedy decoding**: at test time there is no correct previous digit to read, so the decoder picks its most
  likely digit at each step (`argmax`) and reads that one at the next step.

**Two models, the same everywhere else** (`course_lib/experiments/classic_attention.py`, trained on the CPU):

* both encode with a bidirectional GRU (`H = 64`: 32 features per direction), so each encoder state $h_t$
  describes digit `t` and its surroundings, as in Bahdanau et al.;
* **without attention**, the decoder GRU starts from the encoder's summary (the last state of each direction)
  and reads that same vector at every step: the bottleneck;
* **with attention**, the decoder starts from zeros and reads, at every step, the context computed by **your**
  `additive_attention` (or the course's reference while yours does not pass its check; the cell says which),
  with `A = 32`, its state as the query and the encoder states as keys and values. Everything it learns about
  the source has to come through your function, gradients included.

Both train for 600 steps of 64 fresh sequences with teacher forcing (`course_lib.train.fit`: Adam, learning
rate 0.01, gradient norm clipped at 1), then decode 1,000 unseen sequences greedily."""

TRAIN_CODE = """LENGTH = 12
STEPS = 5 if GRADING else 600  # the grader only checks that the cells run
N_TEST = 50 if GRADING else 1000
additive = yours_or_reference("additive_attention", additive_attention)

models, scores = {}, {}
for attention in (False, True):
    name = "with attention" if attention else "without attention"
    models[name], _ = lab.train_reversal(lab.Seq2SeqConfig(attention=attention), length=LENGTH, steps=STEPS,
                                         seed=0, desc=name, attention=additive)
    scores[name] = lab.evaluate_reversal(models[name], length=LENGTH, n=N_TEST, seed=1)

print(f"{'model':<18} | {'digits right':>12} | {'sequences right':>15}")
for name, s in scores.items():
    print(f"{name:<18} | {s.token_accuracy:>12.1%} | {s.sequence_accuracy:>15.1%}")"""

STEP_PLOT_CODE = """# Which output steps fail? Output step i copies source position T - 1 - i.
fig, ax = plt.subplots(figsize=(6.5, 3.5))
for (name, s), style in zip(scores.items(), ("o-", "s--")):
    ax.plot(range(LENGTH), s.step_accuracy.numpy(), style, label=name)
ax.axhline(0.1, color="grey", lw=0.8, ls=":", label="chance (1 digit in 10)")
ax.set(xlabel="output step i (copies source position T - 1 - i)", ylabel="share of digits right",
       title=f"Accuracy by output step, reversing {LENGTH} digits", ylim=(0, 1.05), xticks=range(LENGTH))
ax.legend()
fig.tight_layout()
plt.show()"""

ALIGN_WHY = """### The learned alignment

For reversal the right alignment is known: output step `i` should read source position `T - 1 - i`, the
anti-diagonal. The model was never told so. Below, the attention weights of the trained model: on the left
averaged over the 1,000 test sequences, on the right for one sequence, with its digits on the axes."""

ALIGN_CODE = """with_attention = scores["with attention"]
src, tgt = lab.reversal_batch(1, LENGTH, torch.Generator().manual_seed(7))
preds, weights = models["with attention"].generate(src, LENGTH)  # (1, T_out), (1, T_out, T)
fig = lab.alignment_figure(with_attention.mean_weights, example=(src[0], preds[0], weights[0]))
plt.show()

print(f"attention weight on the right source position (T - 1 - i), mean: {with_attention.mass_on_source:.2f}")
print(f"  on it or a neighbour (i.e. within one position):            {with_attention.mass_near_source:.2f}")
print(f"output steps whose largest weight is on the right position:   {with_attention.peak_on_source:.0%}")
print(f"(uniform attention would put 1/{LENGTH} = {1 / LENGTH:.2f} on it)")"""

MEASURED = """# What was measured, read from the numbers above.
without, with_attention = scores["without attention"], scores["with attention"]
by_step = without.step_accuracy  # (T_out,)
best, worst = int(by_step.argmax()), int(by_step.argmin())
whose = "your" if additive is additive_attention else "the reference"
print(f"Without attention the decoder got {without.token_accuracy:.0%} of the digits right and reversed "
      f"{without.sequence_accuracy:.0%} of the sequences without an error. It was best at output step {best} "
      f"({by_step[best]:.0%}, source digit {LENGTH - 1 - best}) and worst at step {worst} ({by_step[worst]:.0%}, "
      f"source digit {LENGTH - 1 - worst}).")
print(f"With {whose} additive attention and no summary at all, the same budget gave "
      f"{with_attention.token_accuracy:.0%} of the digits and {with_attention.sequence_accuracy:.0%} of the "
      f"sequences.")
print(f"Its alignment: on average {with_attention.mass_on_source:.2f} of a step's attention lies on exactly the "
      f"source digit it copies (uniform attention: {1 / LENGTH:.2f}), {with_attention.mass_near_source:.2f} on it "
      f"or a neighbour, and for {with_attention.peak_on_source:.0%} of the output steps the most-attended position "
      f"is the right one. What is left goes mostly to neighbours: a bidirectional state also describes the "
      f"digits beside it.")
gain = with_attention.token_accuracy - without.token_accuracy
print(f"Attention {'removed' if gain > 0.1 else 'did not remove'} the bottleneck here: "
      f"{gain:+.0%} of the digits" + (" (a token run under grading, too short to tell)" if GRADING else "") + "."
      " Other seeds move these numbers by a few points (try seed=1 in lab.train_reversal).")"""

CONTRAST_WHY = """## 4. Classic attention and self-attention

Attention removed the bottleneck, but not the recurrence. Look at where the query comes from: the decoder
state $s_{i-1}$, which exists only once the decoder has produced output $i-1$. So the decoder still calls
attention **once per output step, one step after another**, with **one query** `(B, Dq)` each time; and the
encoder that made the keys is still a recurrent network that reads the source one step at a time.

Self-attention (notebook 03) turns attention on the sequence itself: every position of **one** sequence is a
query, a key and a value, and all `T` queries are answered **at once**, in a matrix product:

| | classic (encoder-decoder) attention | self-attention |
|---|---|---|
| who asks | the decoder, at one output step | every position of the sequence |
| query | one vector per sequence, `(B, Dq)` | one per position, `(B, T, d)` |
| keys, values | another sequence: the encoder's states `(B, T, Dk)` | the same sequence `(B, T, d)` |
| score | additive, $v^\\top \\tanh(q W_q + k W_k)$: a small network | dot product $q \\cdot k / \\sqrt{d}$: one matrix product |
| weights | `(B, T)` per call | `(B, T, T)` in one call |
| what stays sequential | the decoder: query $i$ needs output $i-1$; the RNN encoder | nothing within a layer |

The code below runs both on the same 6-position sequence and prints the shapes."""

CONTRAST_CODE = """g = torch.Generator().manual_seed(0)
B, T, d, A = 2, 6, 8, 5
x = torch.randn(B, T, d, generator=g)  # one sequence of T positions per batch row (an encoder's states)
W_q, W_k, v = torch.randn(d, A, generator=g), torch.randn(d, A, generator=g), torch.randn(A, generator=g)

# Classic: a decoder asks with ONE query per call; to answer T queries it calls T times, one after another.
query = torch.randn(B, d, generator=g)  # (B, Dq): the decoder's state at one output step
context, weights = additive(query, x, x, W_q, W_k, v)  # yours, or the reference (section 3 said which)
print(f"classic:        query {tuple(query.shape)} over keys {tuple(x.shape)}"
      f" -> context {tuple(context.shape)}, weights {tuple(weights.shape)}  (one call per output step)")

# Self-attention: every position of x is a query, answered in one call.
Wq, Wk, Wv = (torch.randn(d, d, generator=g) / d**0.5 for _ in range(3))
q, k, vals = x @ Wq, x @ Wk, x @ Wv  # (B, T, d) each
out = F.scaled_dot_product_attention(q, k, vals)  # (B, T, d)
self_weights = torch.softmax(q @ k.transpose(-2, -1) / d**0.5, dim=-1)  # (B, T, d) x (B, d, T) -> (B, T, T)
print(f"self-attention: queries {tuple(q.shape)} over keys {tuple(k.shape)}"
      f" -> output {tuple(out.shape)}, weights {tuple(self_weights.shape)}  (one call for all positions)")

# Additive scores could serve as self-attention too, one query at a time: the score is not the difference.
rows = [additive(x[:, t], x, x, W_q, W_k, v)[1] for t in range(T)]  # T calls, each (B, T)
print(f"additive scores, one position at a time: {T} calls -> weights "
      f"{tuple(torch.stack(rows, dim=1).shape)}")"""

SUMMARY = """## Summary

* An encoder-decoder without attention passes the whole source through **one fixed vector**: the more there
  is to remember, the more it loses; the accuracy by output step above shows which digits it lost.
* **Additive attention** scores every encoder state against the decoder's state with $v^\\top\\tanh(qW_q +
  kW_k)$, turns the scores into weights with a softmax (masked positions get $-\\infty$, so weight 0), and
  hands the decoder a fresh weighted average at every step. The alignment is learned from the task alone.
* The query of classic attention is the decoder's state at one step, `(B, Dq)`; attention is called once per
  output step, and the recurrence stays. **Self-attention** makes every position of one sequence a query,
  `(B, T, d)`, and answers all of them in one matrix product.

**Next:** notebook 03 builds that matrix product, scaled dot-product self-attention, and its masks."""


def build():
    return notebook([
        markdown(INTRO),
        locked_code(SETUP, "setup"),
        markdown(BOTTLENECK_WHY),
        markdown("## 2. Additive attention"),
        *exercise(1, ref.additive_attention, points=3, seed=2024, difficulty=2, importance=4, minutes=20,
                  text=ADDITIVE_TEXT, hint=ADDITIVE_HINT,
                  signature="def additive_attention(query, keys, values, W_q, W_k, v, mask=None)"
                            " -> tuple[torch.Tensor, torch.Tensor]",
                  final_assert="assert torch.allclose(additive_attention(torch.zeros(1, 3), torch.zeros(1, 4, 2), "
                               "torch.eye(4)[None], torch.ones(3, 5), torch.ones(2, 5), torch.ones(5))[1], "
                               "torch.full((1, 4), 0.25)), \"equal scores must give equal weights over the positions\""),
        code(ADDITIVE_DEMO),
        markdown(EXPERIMENT_WHY),
        code(TRAIN_CODE),
        code(STEP_PLOT_CODE),
        markdown(ALIGN_WHY),
        code(ALIGN_CODE),
        code(MEASURED),
        markdown(CONTRAST_WHY),
        code(CONTRAST_CODE),
        markdown(SUMMARY),
    ], title="02 Classic attention")
