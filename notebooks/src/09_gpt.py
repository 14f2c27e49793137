"""Notebook 09: a decoder-only language model, sampling, and the key-value cache that makes generation fast."""
import inspect

from author import code, exercise, locked_code, markdown, notebook

from course_lib.solutions import gpt as ref

INTRO = r"""# 09 · GPT: a decoder-only language model, sampling, and the key-value cache

**What you build:** `CausalSelfAttention` with a key-value cache, `GPT`, `sample_next_token`, `generate`.
**What you measure:** that a small character-level GPT learns to write the sentences of a toy grammar in
about twenty seconds of CPU training; that generating with the cache gives exactly the tokens of generating
without it, greedy or sampled; how the work per token grows with the position with and without the cache,
and what the cache costs in memory.
**Time:** about 75 minutes.

Notebook 08 built the whole encoder-decoder Transformer: an encoder reads a source sentence, a decoder writes
the target one token at a time. A **language model** keeps only the decoder, without the cross-attention:
there is no source, only the text so far, and the model predicts the next token. That is GPT. Training is
cheap, because one causal forward pass predicts the next token at *every* position at once (notebook 06's
argument). Generation is not: the text grows one token at a time, and a naive loop runs the whole growing
sequence through the model again for each new token. The **key-value cache** removes that repetition.

**Shapes and symbols used in this notebook**

| symbol | meaning |
|---|---|
| `B` | batch size |
| `T` | number of new positions in a call; `T_past` positions already in the cache, `T_all = T_past + T` |
| `D` | model width, `d_model` |
| `h` | number of heads, `num_heads`; `d = D / h` the width of one head |
| `V` | vocabulary size, `vocab_size` (here: characters) |
| `L` | `max_len`, the most positions the model has embeddings for |

Run the set-up cell first. Every exercise is followed by a check cell: it answers in well under two seconds
with a green line, or with a message that names the mistake it recognises."""

SETUP = """# Set-up: imports, the course's checks, the pieces of earlier notebooks, fixed seeds.
import os

import matplotlib.pyplot as plt
import torch
from torch import nn

from course_lib.checks import (
    check_causal_self_attention,
    check_generate,
    check_gpt,
    check_sample_next_token,
)
from course_lib.experiments import (
    claims,  # the thresholds every printed conclusion uses
    yours_or_reference,  # your code if it passes its check, else the reference
)
from course_lib.experiments import gpt as experiments
from course_lib.handouts import (  # given: pieces you built in earlier notebooks
    FeedForward,  # notebook 07's position-wise network
    merge_heads,  # notebook 04
    scaled_dot_product_attention,  # notebook 03
    split_heads,  # notebook 04
)

torch.manual_seed(0)
GRADING = "NBGRADER_EXECUTION" in os.environ  # the grader shrinks the experiments, not the exercises"""

CACHE_WHY = r"""## 1. Causal self-attention that remembers its keys and values

**Why a cache.** To generate, the model is called on the text so far, `(B, T)`, reads the logits at the last
position, picks a token, appends it, and is called again on `(B, T + 1)`. With a causal mask, nothing at
positions `0 .. T-1` depends on the new token: their queries, keys and values are exactly what they were in
the previous call. The only new work is the new token's query, key and value, and its attention over all the
keys so far. So each attention layer keeps the keys and values it has computed, `(B, h, T_past, d)` each, and
a call with only the new tokens

1. projects the new tokens: `q`, `k`, `v` of shape `(B, h, T, d)`;
2. puts the new keys and values after the cached ones **along the position axis**:
   `k = torch.cat([past_k, k], dim=2)`, now `(B, h, T_all, d)`, and the same for `v`;
3. attends from the `T` new queries to all `T_all` keys: the scores are `(B, h, T, T_all)`;
4. returns the output `(B, T, D)` and the new cache `(k, v)`.

**The mask with a cache.** New query `i` sits at position `T_past + i`. It may see keys `0 .. T_past + i`:
all the cached ones, and the new ones up to itself. In the `(T, T_all)` rectangle that is the lower triangle
aligned to the **bottom right**:

```
T_past = 3, T = 2:        keys 0 1 2 3 4
  query at position 3:         1 1 1 1 0
  query at position 4:         1 1 1 1 1
```

`torch.ones(T, T_all, dtype=torch.bool).tril(diagonal=T_all - T)` builds it; with no cache (`T_all = T`) it is
the usual causal mask of notebook 03. With one new token (`T = 1`) the row is all True."""

ATTN_TEXT = """`__init__(d_model, num_heads, dropout=0.0)`: as notebook 04's `MultiHeadAttention`, four
`nn.Linear(d_model, d_model)` (with bias) named **`w_q`, `w_k`, `w_v`, `w_o`**, and an `nn.Dropout(dropout)`
applied to the output (after `w_o`).

`forward(x, cache=None)`: `x` `(B, T, D)` holds the **new** positions; `cache` is `None` or the `(k, v)` this
module returned last time, each `(B, h, T_past, d)`. Return `(output, (k, v))`: output `(B, T, D)`, and the
keys and values of **all** `T_all` positions, each `(B, h, T_all, d)` (the GPT below reads `T_past` from
`k.size(2)`).

Use `split_heads`, `merge_heads` (notebook 04) and `scaled_dot_product_attention` (notebook 03), imported in the
set-up cell. The check runs your module twice on each input: on the whole sequence at once, and on a prefix
followed by the remaining positions fed in with the cache (one at a time, or in chunks); both must match."""

ATTN_HINT = """```python
if cache is not None:
    k = torch.cat([cache[0], k], dim=2)  # (B, h, T_past + T, d)
```
then build the `(T, T_all)` mask with `.tril(diagonal=T_all - T)` and pass it to
`scaled_dot_product_attention(q, k, v, mask)`, which broadcasts it over `B` and `h`."""

BLOCK_WHY = r"""## 2. The block and the model

A GPT block is notebook 07's **pre-LN** layer without cross-attention: normalise, attend, add; normalise,
feed-forward, add. The attention's cache passes through. This block is given, built on **your**
`CausalSelfAttention` and notebook 07's `FeedForward`; its member names (`ln_1`, `attn`, `ln_2`, `mlp`) are the
names the GPT check expects."""

GPT_WHY = r"""The model around the blocks:

* `tok_embed = nn.Embedding(vocab_size, D)` and `pos_embed = nn.Embedding(max_len, D)`, a **learned** position
  embedding (notebook 05); their sum enters the first block;
* `blocks`, an `nn.ModuleList` of `num_layers` `Block`s;
* `ln_f`, a final `nn.LayerNorm(D)`: with pre-LN blocks the residual stream itself is never normalised, so it
  is normalised once before the head;
* `head = nn.Linear(D, vocab_size)`: a score (logit) for every token of the vocabulary, at every position.

With a cache, the new tokens are at positions `T_past, T_past + 1, ...`, not `0, 1, ...`: the position
embedding must count on from the cache's length.

**No `sqrt(D)` here.** Notebook 08's Transformer multiplied its token embeddings by `sqrt(d_model)` before adding
a fixed sinusoidal table, whose entries lie between -1 and 1. This GPT, like GPT-2, does not: its position
embedding is *learned*, an `nn.Embedding` initialised like the token embedding, so the two start at the same
scale and training sets their balance. Scaling only the tokens by `sqrt(D)` would make them start `sqrt(D)` times
louder than the positions, the imbalance notebook 08 had to undo by hand."""

GPT_TEXT = """`__init__(vocab_size, max_len, d_model, num_heads, num_layers, d_ff, dropout=0.0)`: the members
**`tok_embed`, `pos_embed`, `blocks`, `ln_f`, `head`** as above (keep `max_len` as `self.max_len`), and an
`nn.Dropout(dropout)` on the embeddings' sum. Build the blocks with the given `Block(d_model, num_heads, d_ff,
dropout)`: the check gives your model its own weights by name (`blocks.0.ln_1.weight`,
`blocks.0.attn.w_q.weight`, `blocks.0.mlp.linear1.weight`, ..., `head.bias`).

`forward(idx, cache=None)`: `idx` `(B, T)` long; `cache` `None` or the list this model returned, one `(k, v)`
per layer. Return `(logits, cache)`: logits `(B, T, vocab_size)` and the new list of every layer's `(k, v)`.
The check compares logits only (the cache's format is yours), computed in one call and in several calls
that pass the cache along."""

GPT_HINT = """```python
past = 0 if cache is None else cache[0][0].size(2)  # positions already cached
positions = torch.arange(past, past + T)  # (T,)
```
then loop over `self.blocks` with `x, layer_cache = block(x, None if cache is None else cache[i])`."""

GPT_DEMO = """# The shapes, and the cache doing its job: logits of the last 3 positions computed two ways.
torch.manual_seed(0)
model = yours_or_reference("GPT", GPT)(vocab_size=10, max_len=16, d_model=16, num_heads=2, num_layers=2, d_ff=32).eval()
idx = torch.randint(0, 10, (2, 8))  # (B, T)
with torch.no_grad():
    logits, cache = model(idx)  # the whole sequence
    logits_prefix, cache_prefix = model(idx[:, :5])  # the first 5 positions...
    logits_rest, cache_rest = model(idx[:, 5:], cache_prefix)  # ...then the last 3, with the cache
print("logits", tuple(logits.shape), "| cache:", len(cache), "layers of (k, v), k", tuple(cache[0][0].shape))
print("after the prefix the cache holds", cache_prefix[0][0].size(2), "positions; after the rest",
      cache_rest[0][0].size(2))
print(f"greatest difference, last 3 positions: {(logits[:, 5:] - logits_rest).abs().max().item():.1e}")"""

SAMPLE_WHY = r"""## 3. From logits to a token

The head gives logits `(B, V)` for the next token. Three ways to pick one:

* **greedy**: the argmax. Deterministic, and prone to loops ("the the the");
* **sampling** from `softmax(logits / temperature)`. The **temperature** divides the *logits*, before the
  softmax: below 1 it sharpens the distribution towards the argmax (at 0, it *is* the argmax), above 1 it
  flattens it towards uniform. Dividing the probabilities after the softmax changes nothing, since the
  sampler normalises them again;
* **top-k**: keep only the `k` largest logits (set the others to `-inf`) and sample among them, so that a
  long tail of unlikely tokens cannot be drawn.

To make sampling reproducible, every draw goes through a `torch.Generator` passed in by the caller."""

SAMPLE_TEXT = """`logits` `(B, V)`; return `(B,)` long, one token per row.

* `temperature == 0`: return the argmax of each row (no sampling);
* otherwise divide the logits by `temperature`; if `top_k` is given, set every logit below the `k`-th largest
  of its row to `-inf` (ties with the `k`-th are kept); take the softmax over the vocabulary;
* draw with **`torch.multinomial(probs, 1, generator=generator)`**, exactly this call, so that with the same
  generator seed your tokens equal the reference's.

The check compares your tokens with the reference's on seeded generators, 64 rows at a time."""

SAMPLE_HINT = """`torch.topk(logits, k, dim=-1).values[:, -1:]` is the `k`-th largest logit of each row, shape `(B, 1)`;
`logits.masked_fill(logits < kth, float("-inf"))` keeps the `k` largest. `torch.multinomial` returns `(B, 1)`:
`.squeeze(-1)`."""

SAMPLE_DEMO = """# What temperature and top-k do to one distribution over 5 tokens: shares of 2000 draws.
logits = torch.tensor([[2.0, 1.0, 0.5, 0.0, -1.0]]).repeat(2000, 1)  # (2000, 5): the same row 2000 times
sample = yours_or_reference("sample_next_token", sample_next_token)
for temperature, top_k in ((0.0, None), (0.5, None), (1.0, None), (2.0, None), (1.0, 2)):
    tokens = sample(logits, temperature, top_k, generator=torch.Generator().manual_seed(0))
    shares = torch.bincount(tokens, minlength=5) / len(tokens)
    print(f"temperature {temperature}, top_k {top_k}: " + " ".join(f"{s:.2f}" for s in shares.tolist()))"""

GENERATE_WHY = r"""## 4. Generation

`generate` extends a prompt `idx` `(B, T)` by `max_new_tokens` tokens. Without the cache, every step runs the
whole sequence so far and reads the logits of the last position. With the cache, the first step runs the
whole prompt and keeps the cache; every later step runs only the newest token, `idx[:, -1:]`, with the cache.
Both ways compute the same logits (up to float rounding), so with the same generator they pick the same
tokens. The whole sequence must fit in the model's `max_len` positions."""

GENERATE_TEXT = """Loop `max_new_tokens` times: get the logits (with or without the cache, as `use_cache` says), pick the
next token with **your** `sample_next_token(logits[:, -1, :], temperature, top_k, generator)`, append it:
`torch.cat([idx, next_token[:, None]], dim=1)`. Return `(B, T + max_new_tokens)` long. Run under
`torch.no_grad()` (nothing is trained here); do not change the model's mode (the caller calls `.eval()`).

The check drives a small seeded GPT of the course with greedy, sampled and top-k settings, with and without
the cache, and compares your tokens with the reference's."""

GENERATE_HINT = """```python
if use_cache:
    logits, cache = model(idx if cache is None else idx[:, -1:], cache)
else:
    logits, _ = model(idx)
```"""

TRAIN_WHY = r"""## 5. Measured: a character-level GPT learns to write

No text is downloaded. `course_lib.text.grammar` *generates* the training text: sentences of a small seeded
grammar, `the [adjective] noun verb the [adjective] noun [adverb] .`, with a few dozen words and the verb
agreeing with its subject ("the cat sees", "the cats see"). The course writes it, so there is no licence to
name. The model reads it **character by character** (a vocabulary of 27 characters) and knows nothing of
words: spelling, word order and agreement all have to be learned from next-character prediction.

We train your `GPT` (`D = 48`, 4 heads, 2 layers, context 48 characters) with Adam for a few hundred steps on
random 48-character windows, and look at samples before and after. `grammar.is_sentence` tells whether a
generated line follows the grammar."""

TRAIN_CODE = """text, vocab, _ = experiments.corpus()
print(f"{len(text):,} characters, {len(vocab)} distinct; the first lines:")
print(text[:150])
GPTClass = yours_or_reference("GPT", GPT)
generate_fn = yours_or_reference("generate", generate)
config = experiments.LMConfig(steps=5 if GRADING else 300)
untrained, _, _ = experiments.train_language_model(GPTClass, config, steps=1)  # one step: still random
before = experiments.samples(untrained, vocab, generate_fn, n=32)  # 32 samples, to count sentences
print("Samples before training (temperature 0.8), 3 of 32:")
for line in before[:3]:
    print("   ", repr(line))"""

TRAIN_RUN = """model, vocab, history = experiments.train_language_model(GPTClass, config)
print(f"{history.steps} steps in {history.seconds:.1f} s ({history.stopped}); loss {history.losses[0]:.2f} -> "
      f"{sum(history.losses[-20:]) / len(history.losses[-20:]):.2f} nats per character (mean of the last 20 steps)")
fig = experiments.plot_loss(history)
plt.show()
after = experiments.samples(model, vocab, generate_fn, n=32)
print("Samples after training (temperature 0.8), 6 of 32:")
for line in after[:6]:
    print("   ", repr(line))"""

TRAIN_SUMMARY = """share_before, n_before = experiments.grammatical_share(before)
share_after, n_after = experiments.grammatical_share(after)
uniform = torch.log(torch.tensor(float(len(vocab)))).item()
final = sum(history.losses[-20:]) / len(history.losses[-20:])
print(f"Before training the loss is {history.losses[0]:.2f} nats, about log({len(vocab)}) = {uniform:.2f}: "
      f"a uniform guess over the characters. The untrained samples are random characters: cut at their newlines "
      f"they give {n_before} lines, of which {share_before:.0%} follow the grammar.")
print(f"After {history.steps} steps ({history.seconds:.0f} s) the loss is {final:.2f} nats per character, "
      f"{uniform / final:.1f}x lower, and {share_after:.0%} of the {n_after} complete sentences sampled follow "
      "the grammar exactly (every word spelled right, in order, the verb agreeing with its subject), "
      "learned from characters alone.")"""

CACHE_MEASURE_WHY = r"""## 6. Measured: the cache gives the same tokens, for less work

**The same tokens.** We generate from the trained model twice, with and without the cache, greedy and then
sampled with the same generator seed, and compare the token sequences."""

SAME_CODE = """prompt = vocab.encode("\\nthe ").repeat(4, 1)  # (B=4, 5)
new = model.max_len - prompt.size(1)  # fill the context
results, first_rows = {}, {}
for label, temperature, top_k in (("greedy", 0.0, None), ("sampled, temperature 1", 1.0, None),
                                  ("sampled, top-k 5", 1.0, 5)):
    cached, uncached = experiments.same_tokens(model, generate_fn, prompt, new, temperature, top_k, seed=3)
    results[label], first_rows[label] = torch.equal(cached, uncached), cached[0]  # token ids: exact comparison
    print(f"{label:<24} identical: {results[label]}   first row: {vocab.decode(cached[0])!r}")

# Did the generate that ran use the cache? Watch what it feeds the model.
recorder = experiments.CallRecorder(model)
generate_fn(recorder, prompt, 6, temperature=0.0, use_cache=True)
fed = [positions for positions, _ in recorder.calls]
cache_used = experiments.uses_cache(fed)
whose = "your generate" if generate_fn is generate else "the reference generate"
print(f"With use_cache=True, {whose} fed the model {fed} positions in its {len(fed)} calls: "
      + ("the prompt once, then only the new token, so the cache did the rest." if cache_used else
         "more than the new token after the first call, so it does not use the cache, and 'identical' above "
         "compares two runs without one."))

if torch.equal(first_rows["sampled, temperature 1"], first_rows["sampled, top-k 5"]):
    with torch.no_grad():
        probs = torch.softmax(model(first_rows["sampled, temperature 1"][None, :-1])[0][0], dim=-1)  # (T, V)
    tail = 1 - probs.topk(5, dim=-1).values.sum(-1)  # (T,): probability outside the 5 likeliest characters
    print(f"The first rows at temperature 1 and with top-k 5 are the same: the same generator seed draws the same "
          f"random numbers, and along this row the characters outside the top 5 hold {tail.mean():.1%} of the "
          f"probability on average (at most {tail.max():.1%}), so cutting them off changed no draw here.")"""

TIME_WHY = r"""**The work per token.** Without the cache, the token at position `t` costs a forward pass over all `t`
positions: the projections and feed-forward networks cost `t·D²` multiply-adds per layer, the attention
`t²·D` (every position against every earlier one). With the cache it costs one position: `D²` for the
projections, and `t·D` for one query against `t` cached keys. So per token the work grows like `t` (and
eventually `t²`) without the cache, and stays nearly flat with it; over `n` generated tokens the totals are
about `n²` against `n`.

We time each generated token of a wider model (`D = 64`, 2 layers, 256 positions, untrained: the time does
not depend on the weights), built with your `GPT`, one sequence, greedy, generated by **the `generate` that
ran above** (yours if it passes its check). To time each token without changing your code, the model is
wrapped in a recorder that notes each call's input length and duration while your loop drives it; every
time is the median of 3 runs, printed with the load of the machine."""

TIME_CODE = """torch.manual_seed(0)
n_tokens = 24 if GRADING else 256
wide = GPTClass(len(vocab), n_tokens + 1, 64, 4, 2, 256).eval()
with claims.watch_load() as load:
    cached_run = experiments.generate_per_token(wide, generate_fn, n_tokens, use_cache=True, repeats=3)
    uncached_run = experiments.generate_per_token(wide, generate_fn, n_tokens, use_cache=False, repeats=3)
cached_times, uncached_times = cached_run["seconds"], uncached_run["seconds"]
wide_cache_used = experiments.uses_cache(cached_run["fed"])
print(f"{whose} with use_cache=True fed {cached_run['fed'][:4]}... positions per call: "
      + ("one new token each time." if wide_cache_used else "NOT only the new token: these times are without a cache."))
fig = experiments.plot_time_per_token(cached_times, uncached_times)
plt.show()
print(f"{'new tokens':>10} | {'with cache':>10} | {'without':>10} | speed-up   (model calls, medians of 3 runs)")
speedups = {}
for n in sorted({n_tokens // 16, n_tokens // 4, n_tokens}):
    with_cache, without = sum(cached_times[:n]), sum(uncached_times[:n])
    speedups[n] = without / with_cache
    print(f"{n:>10} | {with_cache * 1e3:>7.1f} ms | {without * 1e3:>7.1f} ms | {speedups[n]:.1f}x")
whole = claims.compare(cached_run["total"], uncached_run["total"])
print(f"The whole generate call for {n_tokens} tokens: with the cache {cached_run['total'].ms(1)}, without "
      f"{uncached_run['total'].ms(1)} (median and middle half of 3 runs): with the cache it is "
      + {"faster": "faster", "slower": "slower", "inconclusive": "not clearly different"}[whole] + ".")
print(f"Load: {load}.")"""

MEMORY_WHY = r"""**The memory.** The cache holds a key and a value vector of width `D` per layer, per position, per
sequence: `2 · num_layers · D` numbers, 4 bytes each in float32. It grows linearly with the text, and for a
large model it is what limits how many sequences fit in memory at once."""

MEMORY_CODE = """total, per_position = experiments.cache_memory(wide, length=n_tokens)
formula = 2 * len(wide.blocks) * 64 * 4
print(f"cache after {n_tokens} positions: {total / 1024:.0f} KiB, {per_position:.0f} bytes per position "
      f"(2 x {len(wide.blocks)} layers x 64 x 4 bytes = {formula})")
first, last = sum(uncached_times[:8]) / sum(cached_times[:8]), uncached_times[-1] / cached_times[-1]
print(f"Summary: with and without the cache the tokens were identical in "
      f"{sum(results.values())} of {len(results)} settings (greedy and sampled with the same generator), with "
      + ("a generate that uses the cache." if cache_used else "a generate that does NOT use the cache."))
counts = sorted(speedups)
growth = claims.trend(speedups[counts[0]], speedups[counts[-1]])
print(f"Without the cache the last token took {uncached_times[-1] * 1e3:.2f} ms against "
      f"{uncached_times[0] * 1e3:.2f} ms for the first; with it {cached_times[-1] * 1e3:.2f} ms against "
      f"{cached_times[0] * 1e3:.2f} ms. At position {n_tokens} the cache is {last:.1f}x faster per token "
      f"(and {first:.1f}x over the first 8 tokens). The total speed-up "
      + {"grows": "grows with the length", "falls": "falls with the length",
         "flat": f"changes by less than {claims.TREND_RATIO}x"}[growth] + ": "
      + ", ".join(f"{s:.1f}x for {n}" for n, s in speedups.items()) + " tokens.")
print(f"The price: {per_position:.0f} bytes of cache per position and sequence, growing linearly with the text.")"""

SUMMARY = """## Summary

* A GPT is a stack of pre-LN decoder blocks with **causal** self-attention and no cross-attention, between a
  token-plus-position embedding and a linear head. Trained on next-token prediction, one forward pass gives a
  loss at every position at once.
* Generation is sequential. Because of the causal mask, earlier positions never change when a token is
  appended, so each layer **caches** its keys and values (concatenated along the position axis) and each new
  token costs one position's work instead of the whole prefix's. The mask for the new queries is the lower
  triangle aligned to the bottom right of the `(T, T_past + T)` scores, and the positions count on from the
  cache's length.
* Sampling turns logits into tokens: temperature divides the logits before the softmax (0 means argmax), top-k
  keeps the `k` largest, and a `torch.Generator` makes the draws reproducible, so cached and uncached
  generation can be compared token for token.
* The cells above printed what your machine measured, with the `generate` that ran: whether cached and
  uncached tokens were identical, whether that `generate` fed only the new token, how the speed-up changed with
  the length, and a cache that costs `2 · num_layers · D` numbers per position.

This is the last notebook: from an RNN reading one step at a time (01) to a language model writing one token
at a time, but computing everything it has already read only once."""


def build():
    return notebook([
        markdown(INTRO),
        locked_code(SETUP, "setup"),
        markdown(CACHE_WHY),
        exercise(1, ref.CausalSelfAttention, points=4, seed=9011, difficulty=3, importance=5, minutes=25,
                 text=ATTN_TEXT, hint=ATTN_HINT,
                 final_assert="assert CausalSelfAttention(8, 2)(torch.zeros(1, 3, 8))[0].shape == (1, 3, 8), "
                              "\"output (B, T, D)\""),
        markdown(BLOCK_WHY),
        code("# Given: a pre-LN GPT block on your CausalSelfAttention (the course's reference code).\n"
             + inspect.getsource(ref.Block).rstrip("\n")),
        markdown(GPT_WHY),
        exercise(2, ref.GPT, points=4, seed=9127, difficulty=3, importance=5, minutes=20,
                 text=GPT_TEXT, hint=GPT_HINT,
                 final_assert="assert GPT(5, 8, 8, 2, 1, 16)(torch.zeros(2, 3, dtype=torch.long))[0].shape == "
                              "(2, 3, 5), \"logits (B, T, vocab_size)\""),
        code(GPT_DEMO),
        markdown(SAMPLE_WHY),
        exercise(3, ref.sample_next_token, points=3, seed=9203, difficulty=2, importance=4, minutes=15,
                 text=SAMPLE_TEXT, hint=SAMPLE_HINT,
                 final_assert="assert sample_next_token(torch.tensor([[0.0, 3.0, 1.0]]), temperature=0).tolist() "
                              "== [1], \"temperature 0 picks the argmax\""),
        code(SAMPLE_DEMO),
        markdown(GENERATE_WHY),
        exercise(4, ref.generate, points=3, seed=9311, difficulty=2, importance=4, minutes=15,
                 text=GENERATE_TEXT, hint=GENERATE_HINT,
                 final_assert="assert generate(GPT(5, 8, 8, 2, 1, 16).eval(), torch.zeros(1, 2, dtype=torch.long), "
                              "3, temperature=0).shape == (1, 5), \"T + max_new_tokens tokens\""),
        markdown(TRAIN_WHY),
        code(TRAIN_CODE),
        code(TRAIN_RUN),
        code(TRAIN_SUMMARY),
        markdown(CACHE_MEASURE_WHY),
        code(SAME_CODE),
        markdown(TIME_WHY),
        code(TIME_CODE),
        markdown(MEMORY_WHY),
        code(MEMORY_CODE),
        markdown(SUMMARY),
    ], title="09 GPT")
