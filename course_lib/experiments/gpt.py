"""Notebook 09's experiments: a character-level GPT trained on the course's generated sentences and on a real text
(Shakespeare), the heads that read a verb's subject, and what the key-value cache changes (the same tokens, less
work per token, memory per token).

Every function takes the model, the class or the generate function to run, so the notebook passes the
learner's own (see `yours_or_reference`).
"""
import collections
import re
import time
from dataclasses import dataclass

import torch

from ..i18n import tr
from ..text import grammar, shakespeare
from ..train import History, progress, threads


# -- the data: characters of the generated sentences ----------------------------------------------------------
class CharVocab:
    """Characters <-> token ids, built from a text."""

    def __init__(self, text):
        self.chars = sorted(set(text))
        self.index = {c: i for i, c in enumerate(self.chars)}

    def __len__(self):
        return len(self.chars)

    def encode(self, text):
        """A string as a 1-D long tensor of token ids."""
        return torch.tensor([self.index[c] for c in text], dtype=torch.long)

    def decode(self, ids):
        """Token ids (a list or 1-D tensor) back to a string."""
        return "".join(self.chars[int(i)] for i in ids)


@dataclass
class LMConfig:
    """The character model and its training; sized to learn the grammar's words in about 20 s on one core."""

    sentences: int = 3000  # about 100 kB of text, more than the model sees in training
    context: int = 48  # max_len: a sentence is about 35 characters, so the model sees one or two
    d_model: int = 48
    num_heads: int = 4  # heads of width 12
    num_layers: int = 2
    d_ff: int = 192  # 4 x d_model, as in GPT
    batch: int = 32
    steps: int = 300
    lr: float = 4e-3  # Adam; a tiny model trains fast at a high rate
    time_budget: float = 30.0  # seconds: stop early on a very slow machine


def corpus(config=LMConfig(), seed=0):
    """The training text, its vocabulary and its tokens."""
    text = grammar.text(config.sentences, seed=seed)
    vocab = CharVocab(text)
    return text, vocab, vocab.encode(text)


def train_with_steps(model, train_step, data, context, batch, steps, lr, time_budget, desc, seed=0):
    """Train `model` with Adam by calling `train_step(model, optimizer, idx)` (the learner's, or the reference) on
    random windows of `context` tokens of `data`; return a History (losses, steps, seconds, why it stopped)."""
    torch.manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(seed)
    history, start = History(), time.perf_counter()
    with threads(1):  # tiny matrices: one thread is faster on a busy two-core machine (course_lib.train.threads)
        for step in progress(range(steps), desc=desc):
            starts = torch.randint(0, len(data) - context, (batch,), generator=gen).tolist()
            idx = torch.stack([data[s:s + context] for s in starts])  # (B, context): input and targets in one
            history.losses.append(float(train_step(model, optimizer, idx)))
            history.steps, history.seconds = step + 1, time.perf_counter() - start
            if history.seconds >= time_budget:
                history.stopped = "time budget"
                break
    model.eval()
    return history


def train_language_model(model_class, config=LMConfig(), seed=0, steps=None, train_step=None):
    """Build `model_class` (a GPT) for the corpus and train it on next-character prediction with `train_step`;
    return (model, vocab, History)."""
    from . import reference

    _, vocab, data = corpus(config, seed)
    torch.manual_seed(seed)
    model = model_class(len(vocab), config.context, config.d_model, config.num_heads, config.num_layers,
                        config.d_ff)
    history = train_with_steps(model, train_step or reference("train_step"), data, config.context, config.batch,
                               steps or config.steps, config.lr, config.time_budget,
                               tr("training the character GPT"), seed)
    return model, vocab, history


def samples(model, vocab, generate, n=4, length=45, temperature=0.8, seed=0):
    """n samples of `length` characters, each started from a newline, with a seeded generator."""
    start = vocab.encode("\n").repeat(n, 1)  # (n, 1)
    length = min(length, model.max_len - 1)
    with threads(1):
        out = generate(model.eval(), start, length, temperature=temperature,
                       generator=torch.Generator().manual_seed(seed))
    return [vocab.decode(row[1:]) for row in out]


def grammatical_share(lines):
    """The share of complete sentences (ended by a newline) in the samples that follow the grammar."""
    sentences = [s for line in lines for s in line.split("\n")[:-1] if s.strip()]
    if not sentences:
        return 0.0, 0
    return sum(grammar.is_sentence(s) for s in sentences) / len(sentences), len(sentences)


# -- the cache: same tokens, less work ------------------------------------------------------------------------
def same_tokens(model, generate, prompt, new_tokens, temperature=1.0, top_k=None, seed=0):
    """Generate with and without the cache, the same generator seed for both; return both token tensors."""
    runs = {}
    with threads(1):
        for use_cache in (True, False):
            runs[use_cache] = generate(model.eval(), prompt, new_tokens, temperature=temperature, top_k=top_k,
                                       use_cache=use_cache, generator=torch.Generator().manual_seed(seed))
    return runs[True], runs[False]


def time_per_token(model, new_tokens, use_cache, batch=1, repeats=3, seed=0):
    """Seconds spent on each generated token (the model call and the pick), by position; the best of repeats."""
    vocab = model.head.out_features
    best = None
    with threads(1), torch.no_grad():
        for r in range(repeats):
            gen = torch.Generator().manual_seed(seed)
            idx = torch.randint(0, vocab, (batch, 1), generator=gen)
            cache, times = None, []
            for _ in range(new_tokens):
                start = time.perf_counter()
                if use_cache:
                    logits, cache = model(idx if cache is None else idx[:, -1:], cache)
                else:
                    logits, _ = model(idx)
                token = logits[:, -1].argmax(-1, keepdim=True)
                times.append(time.perf_counter() - start)
                idx = torch.cat([idx, token], dim=1)
            best = times if best is None else [min(a, b) for a, b in zip(best, times)]
    return best


def generate_per_token(model, generate, new_tokens, use_cache, repeats=3, seed=0):
    """Run `generate` (greedy, one sequence of one random start token) `repeats` times and time each model call.

    Returns {"seconds": [median seconds of call i], "fed": [positions fed to call i], "total": Timing of whole
    generate calls}. The call times cover the model's forward; `total` covers everything `generate` does.
    """
    from .claims import Timing

    vocab = model.head.out_features
    recorder = call_recorder(model.eval())
    per_call, totals = [], []
    with threads(1):
        for _ in range(repeats):
            recorder.calls = []
            start_idx = torch.randint(0, vocab, (1, 1), generator=torch.Generator().manual_seed(seed))
            start = time.perf_counter()
            generate(recorder, start_idx, new_tokens, temperature=0.0, use_cache=use_cache)
            totals.append(time.perf_counter() - start)
            per_call.append(list(recorder.calls))
    n = min(len(c) for c in per_call)
    seconds = [sorted(run[i][1] for run in per_call)[len(per_call) // 2] for i in range(n)]
    return {"seconds": seconds, "fed": [per_call[0][i][0] for i in range(n)], "total": Timing(totals)}


def call_recorder(model):
    """`model` wrapped so that every call is timed and its input length noted, while a generate drives it: the course's
    one call recorder (`course_lib.checks._standins.CallRecorder`, which the checks of generate watch calls with).
    The generate sees the same model: the same attributes (`max_len`, `head`, ...), the same outputs. Afterwards
    `calls` holds (positions fed, seconds) per call."""
    from ..checks._standins import CallRecorder  # here: course_lib.checks imports the reference solutions, which no
    # experiment module imports when it is imported (tests/test_handouts.py)

    return CallRecorder(model, clock=time.perf_counter)


def __getattr__(name):
    """`CallRecorder`: the notebook's `experiments.CallRecorder(model)` is `call_recorder(model)`."""
    if name == "CallRecorder":
        return call_recorder
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def uses_cache(fed):
    """Whether a generate fed only one new position per call after the first (what the cache allows)."""
    return len(fed) > 1 and all(f == 1 for f in fed[1:])


def cache_memory(model, length, batch=1):
    """Bytes the cache holds after `length` positions, and per position per sequence (keys and values)."""
    idx = torch.zeros(batch, length, dtype=torch.long)
    with torch.no_grad():
        _, cache = model.eval()(idx)
    tensors = [t for layer in cache for t in layer]
    total = sum(t.numel() * t.element_size() for t in tensors)
    return total, total / (length * batch)


def speedup_table(model, lengths):
    """Total generation time with and without the cache for each number of new tokens, and the ratio."""
    rows = []
    for n in lengths:
        cached = sum(time_per_token(model, n, True, repeats=2))
        uncached = sum(time_per_token(model, n, False, repeats=2))
        rows.append({"new tokens": n, "with cache (s)": cached, "without cache (s)": uncached,
                     "speed-up": uncached / cached})
    return rows


def plot_time_per_token(cached, uncached):
    """Time per generated token against its position, with and without the cache; returns the figure."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 3.4))
    positions = range(1, len(cached) + 1)
    ax.plot(positions, [t * 1e3 for t in uncached], label=tr("without cache: the whole prefix again"))
    ax.plot(positions, [t * 1e3 for t in cached], label=tr("with cache: only the new token"))
    ax.set(xlabel=tr("position of the generated token"), ylabel=tr("milliseconds for this token"),
           title=tr("Work per generated token"))
    ax.legend()
    fig.tight_layout()
    return fig


def plot_loss(history):
    """The training loss per step; returns the figure."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.2))
    ax.plot(history.losses)
    ax.set(xlabel=tr("training step"), ylabel=tr("cross-entropy (nats per character)"),
           title=tr("Training the character GPT on the generated sentences"))
    fig.tight_layout()
    return fig


# -- a real text: Shakespeare, character by character ---------------------------------------------------------
REAL_WORDS = 0.75  # the samples "are mainly words of the text" when three in four of their words of 3+ letters are
# (the 600-step model of 09 writes about half: 50% is where its share lies, so the claim it prints must not sit there)
ABOVE_CHANCE = 3.0  # ... and "far more than chance" when that share is at least 3x the random characters' share
MIN_LETTERS = 3  # words of 1 or 2 letters are counted out: random letters make "a", "I", "o", "t" too often


@dataclass
class TextConfig(LMConfig):
    """The same character GPT (`LMConfig`'s sizes: a window of 48 characters holds a line of verse, about 40),
    trained on `course_lib.text.shakespeare()` instead of generated sentences (`sentences` is unused); sized to
    run in about 20 s on one core."""

    steps: int = 600
    lr: float = 6e-3  # Adam; a tiny model trains fast at a high rate
    time_budget: float = 20.0  # seconds: stop early on a slow or busy machine (the notebook's 60 s in all)


def text_corpus():
    """The real text, its character vocabulary and its tokens."""
    text = shakespeare()
    vocab = CharVocab(text)
    return text, vocab, vocab.encode(text)


def train_on_text(model_class, train_step, config=TextConfig(), seed=0, steps=None):
    """Build `model_class` (a GPT) for the real text and train it with `train_step`; return (model, vocab, History)."""
    _, vocab, data = text_corpus()
    torch.manual_seed(seed)
    model = model_class(len(vocab), config.context, config.d_model, config.num_heads, config.num_layers,
                        config.d_ff)
    history = train_with_steps(model, train_step, data, config.context, config.batch, steps or config.steps,
                               config.lr, config.time_budget, tr("training the character GPT on Shakespeare"), seed)
    return model, vocab, history


def words_of(text, min_letters=MIN_LETTERS):
    """The words of a text: lower-case runs of letters, of at least `min_letters` letters."""
    return [w for w in re.findall(r"[a-z]+", text.lower()) if len(w) >= min_letters]


def word_share(samples, known):
    """(share of the samples' words that are in `known`, how many words were counted)."""
    words = words_of("\n".join(samples))
    return (sum(w in known for w in words) / len(words) if words else 0.0), len(words)


def random_characters(text, n, seed=0):
    """n characters drawn independently with the frequencies they have in `text`: the baseline with no model."""
    counts = collections.Counter(text)
    chars = sorted(counts)
    weights = torch.tensor([counts[c] for c in chars], dtype=torch.float)
    drawn = torch.multinomial(weights, n, replacement=True, generator=torch.Generator().manual_seed(seed))
    return "".join(chars[i] for i in drawn.tolist())


# -- what the heads attend to ---------------------------------------------------------------------------------
def attention_weights(model, idx, num_heads):
    """Every layer's attention weights on idx (B, T): a list of (B, h, T, T), one per block, recomputed from what
    each block's `attn` receives and its `w_q`, `w_k` (the contract's members), with the causal mask."""
    seen = []
    hooks = [block.attn.register_forward_hook(lambda module, args, out: seen.append((module, args[0])))
             for block in model.blocks]
    try:
        with torch.no_grad():
            model.eval()(idx)
    finally:
        for hook in hooks:
            hook.remove()
    maps = []
    with torch.no_grad():
        for attn, x in seen:  # x: (B, T, D), the normalised input of this block's attention
            B, T, D = x.shape
            d = D // num_heads
            q = attn.w_q(x).view(B, T, num_heads, d).transpose(1, 2)  # (B, h, T, d)
            k = attn.w_k(x).view(B, T, num_heads, d).transpose(1, 2)  # (B, h, T, d)
            scores = q @ k.transpose(-2, -1) / d ** 0.5  # (B, h, T, T)
            causal = torch.ones(T, T, dtype=torch.bool).tril()
            maps.append(torch.softmax(scores.masked_fill(~causal, float("-inf")), dim=-1))
    return maps


def agreement_items(n, seed=1, context=48):
    """n sentences of the grammar (a seed the training text did not use), each as the model reads it (a newline,
    then the sentence, cut to `context` characters), with the span of the verb up to the last letter of its stem
    (where the model must choose "sees" or "see") and the span of the subject noun ("cat", "cats", "children").

    Returns a list of (text, (first, last) character of the verb, (first, last) character of the subject)."""
    import random

    rng = random.Random(seed)
    items = []
    while len(items) < n:
        words = grammar.sentence(rng).split()
        noun = 2 if words[1] in grammar.ADJECTIVES else 1
        line = "\n" + " ".join(words)
        noun_start = 1 + len(" ".join(words[:noun])) + 1  # after the newline, the words before it and a space
        noun_end = noun_start + len(words[noun]) - 1
        verb = words[noun + 1]
        stem = verb if verb in grammar.VERBS else next(v for v in grammar.VERBS if grammar.singular(v) == verb)
        verb_start = noun_end + 2
        decide = verb_start + len(stem) - 1  # the stem's last letter: next comes the ending, or a space
        if decide < context:
            items.append((line[:context], (verb_start, decide), (noun_start, noun_end)))
    return items


def subject_weights(model, vocab, items, num_heads):
    """(layers, heads, items): the attention weight each head puts on the subject noun's characters, averaged over
    the verb's characters as queries; and (items,) the chance share: the subject's length over the positions
    visible from each of those characters, averaged the same way."""
    T = max(len(text) for text, _, _ in items)
    idx = torch.stack([vocab.encode(text + " " * (T - len(text))) for text, _, _ in items])  # (N, T)
    maps = attention_weights(model, idx, num_heads)  # each (N, h, T, T)
    weights = torch.zeros(len(maps), num_heads, len(items))
    chance = torch.zeros(len(items))
    for i, (_, (v0, v1), (first, last)) in enumerate(items):
        queries = torch.arange(v0, v1 + 1)  # the verb's characters
        for layer, m in enumerate(maps):
            weights[layer, :, i] = m[i, :, v0:v1 + 1, first:last + 1].sum(-1).mean(-1)  # (h,)
        chance[i] = ((last - first + 1) / (queries + 1).float()).mean()  # positions 0..q are visible from q
    return weights, chance


def plot_subject_heads(weights, chance, best):
    """Mean weight on the subject per head (bars) against chance (a line); the chosen head's bar marked."""
    import matplotlib.pyplot as plt

    layers, heads, _ = weights.shape
    means = weights.mean(-1).flatten()  # (layers·heads,)
    fig, ax = plt.subplots(figsize=(6.5, 3.2))
    colours = ["tab:orange" if i == best[0] * heads + best[1] else "tab:blue" for i in range(layers * heads)]
    ax.bar(range(layers * heads), means, color=colours)
    ax.axhline(float(chance.mean()), color="black", linestyle="--",
               label=tr("chance: the subject's share of the visible characters"))
    ax.set_xticks(range(layers * heads), [tr("L{layer} H{head}", layer=i + 1, head=h + 1)
                                          for i in range(layers) for h in range(heads)])
    ax.set(ylabel=tr("weight on the subject"), title=tr("From the verb to its subject: each head's weight"),
           ylim=(0, 1.35 * float(means.max().clamp(min=chance.mean()))))  # room above the bars for the legend
    ax.legend(loc="upper right")
    fig.tight_layout()
    return fig


def plot_attention_map(weights, chars, title):
    """One head's attention map (T, T) with the characters as tick labels; returns the figure."""
    import matplotlib.pyplot as plt

    labels = ["\u2423" if c == " " else "\u21b5" if c == "\n" else c for c in chars]  # visible space and newline
    fig, ax = plt.subplots(figsize=(7, 6.4))
    ax.imshow(weights, cmap="viridis", vmin=0)
    ax.set_xticks(range(len(labels)), labels, fontsize=7)
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    ax.set(xlabel=tr("key: the character attended to"), ylabel=tr("query: the character attending"), title=title)
    fig.tight_layout()
    return fig


SUBJECT_RATIO = 2.0  # a head "reads the subject" when its weight there is at least 2x what spreading evenly puts


def agreement_accuracy(model, vocab, items):
    """The share of items where the model, at the last letter of the verb's stem, gives the right ending a higher
    probability than the wrong one: the singular's next letter ("s" of "sees", "e" of "watches") after a singular
    subject, a space after a plural one."""
    T = max(len(text) for text, _, _ in items)
    idx = torch.stack([vocab.encode(text + " " * (T - len(text))) for text, _, _ in items])  # (N, T)
    with torch.no_grad():
        logits, _ = model.eval()(idx)  # (N, T, V)
    right = 0
    for i, (text, (v0, v1), (first, last)) in enumerate(items):
        stem, noun = text[v0:v1 + 1], text[first:last + 1]
        ending = grammar.singular(stem)[len(stem)]  # the letter after the stem in the singular form
        singular = noun in grammar.NOUNS
        p = logits[i, v1]
        ending_wins = bool(p[vocab.index[ending]] > p[vocab.index[" "]])
        right += ending_wins == singular
    return right / len(items)


def mean_lookback(weights):
    """(h, T, T) attention weights -> (h,): how many positions back each head looks, on average over the queries."""
    T = weights.size(-1)
    distance = (torch.arange(T)[:, None] - torch.arange(T)[None, :]).clamp(min=0).float()  # (T, T): q - k
    return (weights * distance).sum(-1).mean(-1)  # (h,)
