"""Notebook 08: the whole encoder-decoder Transformer, trained on a digit task in seconds, an LSTM beside it."""
from author import code, exercise, locked_code, markdown, notebook

from course_lib.solutions import transformer as ref

INTRO = r"""# 08 · The Transformer: the whole encoder-decoder, trained in seconds

**What you build:** `DecoderLayer`, the full `Transformer` (`encode`, `decode`, `forward`), its training loss
`seq2seq_loss`, and `greedy_decode`.
**What you measure:** that your decoder layer and your stacks compute what `torch.nn.TransformerDecoderLayer`
and `torch.nn.Transformer` compute with the same weights; that the model learns to reverse digit sequences
to 99 % exact-sequence accuracy in seconds on a laptop CPU; that an LSTM encoder-decoder given the same
seconds falls behind as the sequences grow; and what the trained cross-attention looks at.
**Time:** about 90 minutes.

Every piece is here already. Notebook 03 gave attention and its masks, 04 several heads, 05 positions,
07 the encoder layer: attention and a feed-forward block, each inside a residual connection and a layer norm.
This notebook adds the last piece, the **decoder**, and assembles the model of "Attention is all you need":

* the **encoder** reads the whole source at once: embeddings plus positions, then a stack of encoder layers.
  Its output, one vector per source token, is called the **memory**;
* the **decoder** writes the target one token at a time. Each decoder layer lets the target read its own
  past (masked, causal self-attention), then the source (**cross-attention**: queries from the target, keys
  and values from the memory), then thinks per position (the feed-forward block);
* a linear layer turns each decoder vector into scores (logits) over the target vocabulary.

Notebook 01 left us with an LSTM encoder-decoder that must squeeze the whole source into one state vector.
Cross-attention removes that bottleneck: every output position looks straight at every source position.
At the end we measure what that buys.

**Shapes used in this notebook**

| symbol | meaning |
|---|---|
| `B` | batch size |
| `S` | source length (encoder side) |
| `T` | target length (decoder side) |
| `D` | model width, `d_model` |
| `h` | number of heads; `d = D / h` the width of one head |
| `V` | vocabulary size (`src_vocab`, `tgt_vocab`) |

Masks follow the course's convention: a boolean mask is `True` where attention is **allowed**, and it
broadcasts against the scores `(B, h, T_query, T_key)`.

Run the set-up cell first. Every exercise is followed by a check cell: it answers in well under two seconds
with a green line, or with a message that names the mistake it recognises."""

SETUP = """# Set-up: imports, the course's checks, the pieces you built in earlier notebooks, fixed seeds.
import math
import os
from dataclasses import replace

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch import nn

from course_lib.checks import check_decoder_layer, check_greedy_decode, check_seq2seq_loss, check_transformer
from course_lib.data import BOS, EOS, VOCAB, seq2seq_batch, to_text
from course_lib.experiments import (
    claims,  # the thresholds every printed conclusion uses
    yours_or_reference,  # your code if it passes its check, else the reference
)
from course_lib.experiments import transformer as experiments
from course_lib.handouts import (
    EncoderLayer,  # you built it in notebook 07
    MultiHeadAttention,  # notebook 04
    causal_mask,  # notebook 03
    padding_mask,  # notebook 03
    sinusoidal_positional_encoding,  # notebook 05
)

torch.manual_seed(0)
GRADING = "NBGRADER_EXECUTION" in os.environ  # the grader shrinks the experiments, not the exercises"""

DECODER_WHY = r"""## 1. The decoder layer

The encoder layer of notebook 07 has two sublayers; the decoder layer has three, in this order:

1. **masked self-attention** over the target, `self_attn(x, x, x, tgt_mask)`: position `t` reads the target
   tokens `0..t` only. During training the decoder sees the whole target at once (that is what makes training
   parallel), so the mask is what stops position `t` from reading the token it has to predict;
2. **cross-attention**, `cross_attn(x, memory, memory, memory_mask)`: the queries come from the decoder's
   states `x` `(B, T, D)`, the keys and values from the encoder's output `memory` `(B, S, D)`. The weights are
   `(B, h, T, S)`: for every target position, a distribution over the source positions. `memory_mask` hides the
   source's padding;
3. the **feed-forward block**, `linear2(dropout(relu(linear1(x))))`, on each position alone.

Each sublayer sits in a residual connection with its own layer norm (`norm1`, `norm2`, `norm3`), placed as in
notebook 07: **post-LN** (`norm_first=False`, the 2017 paper) normalises after the sum,
`x = norm(x + sublayer(x))`; **pre-LN** (`norm_first=True`) normalises the sublayer's input,
`x = x + sublayer(norm(x))`. Dropout is applied to each sublayer's output before the sum (`dropout1`,
`dropout2`, `dropout3`) and inside the feed-forward block (`dropout`), as `torch.nn.TransformerDecoderLayer`
does; the attention modules drop attention weights themselves."""

DECODER_TEXT = r"""`__init__(d_model, num_heads, d_ff, dropout=0.0, norm_first=False)`: two `MultiHeadAttention(d_model,
num_heads, dropout)` named **`self_attn`** and **`cross_attn`**, **`linear1`** `(d_model -> d_ff)`, **`linear2`**
`(d_ff -> d_model)`, three `nn.LayerNorm(d_model)` **`norm1`, `norm2`, `norm3`**, and four `nn.Dropout(dropout)`
(`dropout` inside the feed-forward block, `dropout1..3` on the sublayers' outputs).

`forward(x, memory, tgt_mask=None, memory_mask=None)`: `x` `(B, T, D)`, `memory` `(B, S, D)`; `tgt_mask`
broadcasts against `(B, h, T, T)` (the caller passes the causal mask), `memory_mask` against `(B, h, T, S)`.
Return `(B, T, D)`.

The check loads its own weights into your members (so the names matter), tries both norm placements, and
compares with the reference in `eval()` and `train()` modes."""

DECODER_HINT = r"""Post-LN, in three lines:
```python
x = self.norm1(x + self.dropout1(self.self_attn(x, x, x, tgt_mask)[0]))
x = self.norm2(x + self.dropout2(self.cross_attn(x, memory, memory, memory_mask)[0]))
x = self.norm3(x + self.dropout3(self.linear2(self.dropout(torch.relu(self.linear1(x))))))
```
`MultiHeadAttention` returns `(output, weights)`: keep `[0]`. For pre-LN, normalise first: `h = self.norm1(x)`,
`x = x + self.dropout1(self.self_attn(h, h, h, tgt_mask)[0])`, and so on; in cross-attention only the query
is normalised, the memory is used as it is."""

DECODER_TORCH = """# Measured: the same function as torch.nn.TransformerDecoderLayer, both norm placements.
torch.manual_seed(0)
D, h, d_ff = 16, 4, 24
x, memory = torch.randn(3, 5, D), torch.randn(3, 7, D)  # (B, T, D), (B, S, D)
real = padding_mask(torch.tensor([7, 4, 1]), 7)  # (B, S): True at real source tokens
DecoderLayerClass = yours_or_reference("DecoderLayer", DecoderLayer)
for norm_first in (False, True):
    ours = DecoderLayerClass(D, h, d_ff, norm_first=norm_first).eval()
    theirs = nn.TransformerDecoderLayer(D, h, d_ff, dropout=0.0, batch_first=True, norm_first=norm_first).eval()
    with torch.no_grad():  # give PyTorch's layer our weights
        for mine, its in ((ours.self_attn, theirs.self_attn), (ours.cross_attn, theirs.multihead_attn)):
            its.in_proj_weight.copy_(torch.cat([mine.w_q.weight, mine.w_k.weight, mine.w_v.weight]))  # (3D, D)
            its.in_proj_bias.copy_(torch.cat([mine.w_q.bias, mine.w_k.bias, mine.w_v.bias]))
            its.out_proj.load_state_dict(mine.w_o.state_dict())
        for name in ("linear1", "linear2", "norm1", "norm2", "norm3"):
            getattr(theirs, name).load_state_dict(getattr(ours, name).state_dict())
        out_ours = ours(x, memory, causal_mask(5), real[:, None, None, :])  # masks: True = may attend
        out_theirs = theirs(x, memory, tgt_mask=~causal_mask(5), memory_key_padding_mask=~real)  # True = may NOT
    difference = (out_ours - out_theirs).abs().max().item()
    print(f"norm_first={norm_first!s:<5}: output {tuple(out_ours.shape)}, greatest difference {difference:.1e}")"""

MODEL_WHY = r"""## 2. The whole model

`Transformer(src_vocab, tgt_vocab, d_model, num_heads, num_layers, d_ff, max_len, dropout=0.0, norm_first=False)`
puts the pieces together. What each part does, and the decisions this course made where the paper leaves room:

* **Embeddings.** `src_embed` and `tgt_embed` (`nn.Embedding`) turn tokens into vectors of width `D`. As in the
  paper, the embeddings are **multiplied by `sqrt(d_model)`** before the positions are added.
* **Positions.** The sinusoidal table of notebook 05, `sinusoidal_positional_encoding(max_len, d_model)`,
  added to the scaled embeddings: `x = embed(tokens) * sqrt(D) + pe[:T]`. The table is fixed, so it is stored
  with `self.register_buffer("pe", table, persistent=False)`: it moves with the model (`.to(device)`) but is
  not a parameter, and no optimiser changes it. Then dropout.
* **Stacks.** `encoder_layers` and `decoder_layers` are `nn.ModuleList`s of `num_layers` `EncoderLayer`s
  (notebook 07, handed out in the set-up cell) and of your `DecoderLayer`s.
* **Final norms.** After the last encoder layer, `enc_norm`; after the last decoder layer, `dec_norm`
  (both `nn.LayerNorm(d_model)`). A pre-LN stack needs them: its residual path is never normalised, so without a
  final norm the read-out would see a sum of unnormalised sublayer outputs. `torch.nn.Transformer` applies them
  whatever the norm placement, and so do we, so that both compute the same function.
* **Read-out.** `out`, an `nn.Linear(d_model, tgt_vocab)`: logits over the target vocabulary.

**Masks, decided once.**
* `encode(src, src_mask=None) -> memory (B, S, D)`: `src_mask` (e.g. the source's padding, `(B, 1, 1, S)`)
  is passed to every encoder layer.
* `decode(tgt, memory, tgt_mask=None, memory_mask=None) -> (B, T, D)` is **always causal**: it builds
  `causal_mask(T)` itself. `tgt_mask`, when given, is an *extra* mask (e.g. the target's padding, `(B, 1, 1, T)`)
  combined with it: `causal_mask(T) & tgt_mask`. `memory_mask` goes to every cross-attention.
* `forward(src, tgt, src_mask=None, tgt_mask=None) -> logits (B, T, tgt_vocab)` is
  `out(decode(tgt, encode(src, src_mask), tgt_mask, src_mask))`: the source's mask is also the memory's mask,
  since the memory has one vector per source token."""

MODEL_TEXT = r"""Members: **`src_embed`**, **`tgt_embed`**, a buffer **`pe`**, an `nn.Dropout(dropout)`, **`encoder_layers`**,
**`decoder_layers`** (`nn.ModuleList`), **`enc_norm`**, **`dec_norm`**, **`out`**; keep `d_model` as an attribute.
Methods `encode`, `decode`, `forward` as described above. Every layer gets `d_model, num_heads, d_ff, dropout,
norm_first`.

The check builds your model with two layers each side (and one), loads its own weights, and compares
`forward`, and also `encode` and `decode` called on their own (greedy decoding calls those two)."""

MODEL_HINT = r"""```python
x = self.dropout(self.src_embed(src) * math.sqrt(self.d_model) + self.pe[:S])  # (B, S, D)
for layer in self.encoder_layers:
    x = layer(x, src_mask)
return self.enc_norm(x)
```
`decode` is the same with `tgt_embed`, the mask `causal_mask(T)` (combined with `tgt_mask` by `&` when one is
given), `layer(x, memory, mask, memory_mask)` and `dec_norm`. `self.pe[:T]` has shape `(T, D)` and broadcasts
over the batch."""

MODEL_DEMO = """# The shapes through your model, and the same function as torch.nn.Transformer.
torch.manual_seed(0)
TransformerClass = yours_or_reference("Transformer", Transformer)
model = TransformerClass(src_vocab=VOCAB, tgt_vocab=VOCAB, d_model=32, num_heads=4, num_layers=2, d_ff=64,
                         max_len=12).eval()
src, tgt = seq2seq_batch("reverse", 3, 6, torch.Generator().manual_seed(0))  # (B, S), (B, S + 2)
with torch.no_grad():
    memory = model.encode(src)
    states = model.decode(tgt, memory)
    logits = model(src, tgt)
print(f"src {tuple(src.shape)} -> memory {tuple(memory.shape)};  tgt {tuple(tgt.shape)} -> decoder states "
      f"{tuple(states.shape)} -> logits {tuple(logits.shape)}")
print("buffers (not trained):", [name for name, _ in model.named_buffers()])
print(f"parameters: {sum(p.numel() for p in model.parameters()):,}")
for norm_first in (False, True):
    torch.manual_seed(1)
    stacks = TransformerClass(VOCAB, VOCAB, 32, 4, 2, 64, 12, norm_first=norm_first)
    difference = experiments.compare_with_torch(stacks, src, tgt, src_lengths=torch.tensor([6, 3, 1]))
    print(f"norm_first={norm_first!s:<5}: greatest difference from nn.Transformer's decoder output {difference:.1e}")"""

LOSS_WHY = r"""## 3. Training with teacher forcing: the loss

The task data of this course (`course_lib.data`) gives a source `src` `(B, S)` and a target
`tgt = BOS, answer..., EOS` `(B, T)`. During training the decoder does not read its own guesses: it reads the
**true** previous tokens (**teacher forcing**), and the causal mask lets all positions train at once:

| decoder input `tgt[:, :-1]` | `BOS` | `a₁` | `a₂` | … | `a_n` |
|---|---|---|---|---|---|
| **target `tgt[:, 1:]`** | `a₁` | `a₂` | `a₃` | … | `EOS` |

Input position `t` holds token `t`; its target is token `t + 1`. Forgetting the shift (scoring position `t`
against token `t`) is the classic off-by-one: with the causal mask, position `t` sees token `t`, so the model
learns to copy its input, the loss goes to zero, and the model predicts nothing."""

LOSS_TEXT = r"""Return the mean cross-entropy of `model(src, tgt[:, :-1], src_mask)` against `tgt[:, 1:]`. When `pad_id` is
given, positions whose **target** is `pad_id` count for nothing. Return a scalar tensor.

`F.cross_entropy` wants logits `(N, V)` and targets `(N,)`: flatten the batch and time axes."""

LOSS_HINT = r"""```python
logits = model(src, tgt[:, :-1], src_mask)  # (B, T-1, V)
F.cross_entropy(logits.flatten(0, 1), tgt[:, 1:].flatten(), ignore_index=...)
```
`ignore_index` must be an int: use `pad_id`, or `-100` (F.cross_entropy's default, no real token) when
`pad_id` is None."""

GREEDY_WHY = r"""## 4. Greedy decoding

At test time there is no target to read: the model must feed itself. **Greedy decoding** starts from `BOS`,
runs the decoder on what it has so far, appends the most likely next token (the argmax of the last position's
logits), and repeats. The encoder runs once; only the decoder runs at every step.

Feeding the ground truth here instead of the model's own output (as in training) would measure something
else: how well the model predicts one token given a perfect past. Below we measure both, to see the gap.

This is the simple version: every step re-reads the whole prefix, `O(T²)` decoder work for `T` tokens.
Notebook 09 caches the keys and values to avoid that."""

GREEDY_TEXT = r"""`model` has the contract's `encode`, `decode` and `out`; `src` `(B, S)`; `src_mask` is the source's mask (pass it to
`encode`, and as `memory_mask` to `decode`). Return `(B, L)` long, `L <= max_len`, starting with `bos_id`.

When `eos_id` is given: once a sequence has produced `eos_id`, append `eos_id` to it at every later step; stop
as soon as **every** sequence has produced it (so `L` may be shorter than `max_len`). Decorate with
`@torch.no_grad()`: decoding trains nothing. The check drives a small fixed model of its own."""

GREEDY_HINT = r"""```python
memory = model.encode(src, src_mask)
ys = torch.full((B, 1), bos_id, dtype=torch.long)
while ys.size(1) < max_len:
    logits = model.out(model.decode(ys, memory, memory_mask=src_mask))  # (B, L, V)
    next_token = logits[:, -1].argmax(dim=-1)  # (B,)
    ...
    ys = torch.cat([ys, next_token[:, None]], dim=1)
```
Keep a boolean `done` `(B,)`: `next_token.masked_fill(done, eos_id)`, then `done |= next_token == eos_id`."""

TRAIN_WHY = r"""## 5. Measured: reversing digits, trained in seconds

**The task.** The source is 10 random digits; the target is the same digits in reverse order, between `BOS`
and `EOS`. Reversal needs exactly what attention offers: output digit `t` must read source digit `9 - t`, far
away for the first and last outputs.

**The model.** `experiments.Setup` holds every size and says why: width 64, 4 heads, one encoder and one
decoder layer, `d_ff` 128, pre-LN, Adam at a learning rate of 5e-3 with gradient clipping, batches of 64 fresh
random sequences (there is no fixed training set, so no overfitting to it). Training runs on one thread:
at this width the work per step is too small to share between cores, and a second thread mostly waits for
the first. Every 50 steps it decodes 200 **check** sequences greedily and **stops when 99 % of them are exactly
right**, or after 15 seconds. The score reported afterwards comes from 500 other **test** sequences, which
training never looked at, not even to decide when to stop: the two sets can disagree by a point or so, so a
model stopped at 99 % on the check set may score 98.8 % on the test set.

**Embeddings and their scale.** The model multiplies its embeddings by `sqrt(64) = 8`. `nn.Embedding` starts
its rows with entries of standard deviation 1, so the token vectors would start 8 times larger than the
positions (entries between -1 and 1), and the model would first have to learn to shrink them before it could
see where a digit is. The paper's embeddings start small; this experiment does the same: after building your
`Transformer`, it re-initialises `src_embed` and `tgt_embed` with standard deviation `1/sqrt(64)`, so that scaled
embeddings and positions start at the same size. (Without it the same
model took several times longer here.)

**The LSTM beside it.** `LSTMSeq2Seq` is notebook 01's recurrent network as an encoder-decoder with about as
many parameters: two LSTM layers of width 64 read the source; their final state is all the decoder, two more
LSTM layers, knows of it. It has the same `encode`, `decode` and `out`, so your `seq2seq_loss` trains it and
your `greedy_decode` decodes it. It trains for as many seconds as the Transformer did (and stops early too,
should it reach 99 % first).

The cell below uses your classes and functions where they pass their checks (the `Transformer` built from your
`DecoderLayer`), and says which ran."""

TRAIN_CODE = """TransformerClass = yours_or_reference("Transformer", Transformer)  # built from your DecoderLayer
loss_fn = yours_or_reference("seq2seq_loss", seq2seq_loss)
decode = yours_or_reference("greedy_decode", greedy_decode)

setup = experiments.Setup()  # reverse 10 digits; print(setup) to see every size
if GRADING:
    setup = experiments.grading_setup(setup)
test_size = 20 if GRADING else 500
main = experiments.run_length(setup, transformer_cls=TransformerClass, decode=decode, loss_fn=loss_fn,
                              test_size=test_size)

print(f"task: {setup.task} {setup.length} digits; {test_size} held-out test sequences, greedy decoding")
print(f"{'model':<12} {'parameters':>10} {'steps':>6} {'seconds':>8} {'stopped by':>22} {'exact':>7} {'tokens':>7}"
      f" {'tokens, teacher-forced':>23}   (exact, tokens: on the {test_size} test sequences)")
STOPPED = {"target reached": f"99% of {setup.check_size} check", "time budget": "time budget", "steps": "steps"}
for name in ("Transformer", "LSTM"):
    r = main[name]
    print(f"{name:<12} {r['parameters']:>10,} {r['steps']:>6} {r['seconds']:>8.1f} {STOPPED[r['stopped']]:>22} "
          f"{r['exact']:>7.1%} {r['token']:>7.1%} {r['teacher-forced token']:>23.1%}")"""

EXAMPLES_CODE = """# A few held-out examples, decoded greedily by both models.
src, tgt = seq2seq_batch("reverse", 3, setup.length, torch.Generator().manual_seed(2024))
for name in ("Transformer", "LSTM"):
    out = decode(main[name]["model"].eval(), src, tgt.size(1), BOS, EOS)
    print(name)
    for i in range(len(src)):
        mark = "right" if torch.equal(out[i], tgt[i]) else "WRONG"
        print(f"  {to_text(src[i]):<20} -> {to_text(out[i])}   ({mark})")"""

TRAIN_SUMMARY = """t, lstm = main["Transformer"], main["LSTM"]
why = {"target reached": f"when {setup.target:.0%} of the {setup.check_size} check sequences were right",
       "time budget": f"at the time budget, before {setup.target:.0%} of the check sequences were right",
       "steps": "after its last step"}[t["stopped"]]
print(f"The Transformer stopped after {t['seconds']:.1f} s ({t['steps']} steps), {why}; on the {test_size} test "
      f"sequences it gets {t['exact']:.1%} exactly right. The LSTM, given the same {lstm['seconds']:.1f} s, gets "
      f"{lstm['exact']:.1%}.")
print(f"Per token the LSTM is right {lstm['token']:.1%} of the time when it feeds itself, and {lstm['teacher-forced token']:.1%} "
      f"when it is fed the true previous tokens (teacher forcing): one early slip derails what follows, so scoring "
      f"with the ground truth as input would flatter it. For the Transformer the two are "
      f"{t['token']:.1%} and {t['teacher-forced token']:.1%}.")
rates = {name: r["steps"] / max(r["seconds"], 1e-9) for name, r in (("LSTM", lstm), ("Transformer", t))}
if rates["LSTM"] * claims.MIN_RATIO <= rates["Transformer"]:
    pace = "the recurrence, step after step, costs it training time as well."
elif rates["Transformer"] * claims.MIN_RATIO <= rates["LSTM"]:
    pace = "the LSTM is faster per step here; what it lacks is a way to look back at the source."
else:
    pace = (f"within {claims.MIN_RATIO}x of each other, too close to call from one run on this machine; what the "
            "LSTM lacks is a way to look back at the source.")
print(f"The LSTM did {rates['LSTM']:.0f} steps per second, the Transformer {rates['Transformer']:.0f}: " + pace)"""


LENGTH_WHY = r"""## 6. Measured: as the sequences grow

The LSTM's decoder knows the source only through one final state of fixed size; the Transformer's decoder looks
at every source position at every step. The longer the sequence, the more that state has to hold. We repeat the
comparison at 5 and at 15 digits (the same recipe: the Transformer until 99 % or 15 s, the LSTM for as many
seconds) and put them beside the run above."""

LENGTH_CODE = """lengths = (5,) if GRADING else (5, 15)
quick = replace(setup, check_size=min(setup.check_size, 100))  # the 99 % stop checked on 100 sequences here
rows = sorted([main] + [experiments.run_length(quick, length, TransformerClass, decode, loss_fn,
                                                test_size=20 if GRADING else 200) for length in lengths],
              key=lambda r: r["length"])
print(f"{'length':>6} | {'Transformer: exact':>18} {'seconds':>8} | {'LSTM: exact':>11} {'tokens':>7}")
for r in rows:
    t, lstm = r["Transformer"], r["LSTM"]
    print(f"{r['length']:>6} | {t['exact']:>18.1%} {t['seconds']:>8.1f} | {lstm['exact']:>11.1%} {lstm['token']:>7.1%}")
fig = experiments.plot_lengths(rows, title="Reversing digits: Transformer and LSTM on the same time budget")
plt.show()"""

LENGTH_SUMMARY = """gaps = [(r["length"], r["Transformer"]["exact"] - r["LSTM"]["exact"]) for r in rows]
worst_lstm = min(rows, key=lambda r: r["LSTM"]["exact"])
print("Transformer minus LSTM, exact-sequence accuracy: "
      + ", ".join(f"{gap:+.1%} at length {length}" for length, gap in gaps) + ".")
change = gaps[-1][1] - gaps[0][1]
points = f"{claims.ACCURACY_POINTS * 100:.0f} percentage points"
trend = ("grows" if change >= claims.ACCURACY_POINTS else "shrinks" if change <= -claims.ACCURACY_POINTS
         else f"stays within {points}")
print(f"From length {gaps[0][0]} to {gaps[-1][0]} the gap {trend} ({change:+.1%}; a change counts from "
      f"{points}, about two standard errors of a difference between accuracies measured on 200 sequences). "
      f"At {worst_lstm['length']} digits the LSTM gets {worst_lstm['LSTM']['exact']:.1%} of the sequences right "
      f"(and {worst_lstm['LSTM']['token']:.1%} of the digits), while the Transformer gets "
      f"{worst_lstm['Transformer']['exact']:.1%} in {worst_lstm['Transformer']['seconds']:.1f} s.")"""


MAPS_WHY = r"""## 7. Measured: what the cross-attention looks at

For one held-out source, we decode greedily with the trained Transformer, then run it once more on its own
output and catch the weights of every decoder layer's `cross_attn` (a forward hook: your `MultiHeadAttention`
returns them). Each row is one decoder position (labelled with the token it predicts), each column one source
digit. If the model reverses by looking up the right digit, the weights should sit on the **anti-diagonal**:
output digit `t` reading source digit `9 - t`."""

MAPS_CODE = """model = main["Transformer"]["model"]
src, _ = seq2seq_batch("reverse", 1, setup.length, torch.Generator().manual_seed(7))
out, maps = experiments.cross_attention_maps(model, src, decode)  # maps: per layer (h, T-1, S)
fig = experiments.plot_cross_attention(src[0], out, maps, title=f"Cross-attention, source {to_text(src[0])}")
plt.show()"""

MAPS_SUMMARY = """mirror = experiments.mirror_weight(maps, setup.length)
heads = maps[-1][:, torch.arange(setup.length), setup.length - 1 - torch.arange(setup.length)].mean(-1)  # (h,)
print(f"Averaged over heads and output digits, the last decoder layer puts {mirror[-1]:.0%} of each query's "
      f"cross-attention on the mirrored source digit (uniform attention would put {1 / setup.length:.0%} there).")
print("Per head: " + ", ".join(f"head {i} {w:.0%}" for i, w in enumerate(heads.tolist())) + ": "
      + (f"every head puts more than {claims.HEAD_READS:.0%} on the digit it has to copy." if heads.min() > claims.HEAD_READS else
         "some heads read the mirrored digit, others spread their weight elsewhere (the row that predicts EOS, "
         "or a neighbour), and the read-out combines them."))"""

SUMMARY = """## Summary

* A **decoder layer** is an encoder layer with one more sublayer: masked self-attention over the target, then
  cross-attention (queries from the target, keys and values from the encoder's memory), then the feed-forward
  block; each with its residual connection and norm. With the same weights it computes what
  `torch.nn.TransformerDecoderLayer` computes, post-LN and pre-LN alike.
* The **Transformer** scales its embeddings by `sqrt(d_model)`, adds a fixed sinusoidal table (a buffer), runs
  the encoder stack once and the decoder stack per target, ends each stack with a layer norm and reads out
  logits. `decode` is always causal; the source's mask is also the memory's mask.
* **Training** uses teacher forcing: the decoder reads `tgt[:, :-1]` and is scored on `tgt[:, 1:]`.
  **Decoding** has no target: it feeds the model its own output, one token at a time.
* Measured above, on your machine: how far the model got at reversing digit sequences in seconds on a CPU,
  where the LSTM encoder-decoder on the same budget stood at each length, and how much of the cross-attention
  sits on the digit that the task needs. The cells above print each of these from their numbers.

**Next:** notebook 09 keeps only the decoder (no encoder, no cross-attention), trains it as a language model,
and makes decoding fast with a cache of keys and values."""


def build():
    return notebook([
        markdown(INTRO),
        locked_code(SETUP, "setup"),
        markdown(DECODER_WHY),
        exercise(1, ref.DecoderLayer, points=4, seed=8101, difficulty=3, importance=5, minutes=20,
                 text=DECODER_TEXT, hint=DECODER_HINT,
                 final_assert="assert DecoderLayer(8, 2, 16)(torch.zeros(1, 3, 8), torch.zeros(1, 5, 8)).shape == "
                              "(1, 3, 8), \"the output has the target's shape (B, T, D)\""),
        code(DECODER_TORCH),
        markdown(MODEL_WHY),
        exercise(2, ref.Transformer, points=5, seed=8202, difficulty=3, importance=5, minutes=25,
                 text=MODEL_TEXT, hint=MODEL_HINT,
                 final_assert="assert \"pe\" in dict(Transformer(5, 7, 8, 2, 1, 16, 4).named_buffers()), "
                              "\"the positional table is a buffer named pe\""),
        code(MODEL_DEMO),
        markdown(LOSS_WHY),
        exercise(3, ref.seq2seq_loss, points=2, seed=8303, difficulty=2, importance=4, minutes=10,
                 text=LOSS_TEXT, hint=LOSS_HINT,
                 final_assert="assert seq2seq_loss.__name__ == \"seq2seq_loss\", \"keep the function's name\""),
        markdown(GREEDY_WHY),
        exercise(4, ref.greedy_decode, points=3, seed=8411, difficulty=3, importance=4, minutes=15,
                 text=GREEDY_TEXT, hint=GREEDY_HINT,
                 final_assert="assert greedy_decode.__name__ == \"greedy_decode\", \"keep the function's name\""),
        markdown(TRAIN_WHY),
        code(TRAIN_CODE),
        code(EXAMPLES_CODE),
        code(TRAIN_SUMMARY),
        markdown(LENGTH_WHY),
        code(LENGTH_CODE),
        code(LENGTH_SUMMARY),
        markdown(MAPS_WHY),
        code(MAPS_CODE),
        code(MAPS_SUMMARY),
        markdown(SUMMARY),
    ], title="08 The Transformer")
