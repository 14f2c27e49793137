"""Notebook 09's experiments: a character-level GPT trained on the course's generated sentences, and what the
key-value cache changes (the same tokens, less work per token, memory per token).

Every function takes the model, the class or the generate function to run, so the notebook passes the
learner's own (see `yours_or_reference`).
"""
import time
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..i18n import tr
from ..text import grammar
from ..train import fit, threads


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


def train_language_model(model_class, config=LMConfig(), seed=0, steps=None):
    """Build `model_class` (a GPT) for the corpus and train it on next-character prediction; return
    (model, vocab, History)."""
    _, vocab, data = corpus(config, seed)
    torch.manual_seed(seed)
    model = model_class(len(vocab), config.context, config.d_model, config.num_heads, config.num_layers,
                        config.d_ff)
    gen = torch.Generator().manual_seed(seed)
    L = config.context

    def batch(step):
        starts = torch.randint(0, len(data) - L - 1, (config.batch,), generator=gen)
        x = torch.stack([data[s:s + L] for s in starts.tolist()])  # (B, L)
        y = torch.stack([data[s + 1:s + L + 1] for s in starts.tolist()])  # (B, L): the next characters
        return x, y

    def loss_fn(model, xy):
        x, y = xy
        logits, _ = model(x)  # (B, L, vocab)
        return F.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1))

    history = fit(model, batch, loss_fn, steps=steps or config.steps, lr=config.lr,
                  time_budget=config.time_budget, desc=tr("training the character GPT"), seed=seed)
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


class CallRecorder(torch.nn.Module):
    """A model wrapped so that every call is timed and its input length noted, while `generate` drives it.

    `generate` (the learner's) sees the same model: the same attributes (`max_len`, `head`, ...), the same
    outputs. Afterwards `calls` holds (positions fed, seconds) per call, so the experiment can time each token
    of *that* generate and see whether it fed only the new token with the cache.
    """

    def __init__(self, model):
        super().__init__()
        self.model = model
        self.calls = []

    def __getattr__(self, name):
        try:
            return super().__getattr__(name)
        except AttributeError:
            return getattr(self._modules["model"], name)

    def forward(self, idx, cache=None):
        start = time.perf_counter()
        out = self.model(idx, cache)
        self.calls.append((idx.size(1), time.perf_counter() - start))
        return out


def generate_per_token(model, generate, new_tokens, use_cache, repeats=3, seed=0):
    """Run `generate` (greedy, one sequence of one random start token) `repeats` times and time each model call.

    Returns {"seconds": [median seconds of call i], "fed": [positions fed to call i], "total": Timing of whole
    generate calls}. The call times cover the model's forward; `total` covers everything `generate` does.
    """
    from .claims import Timing

    vocab = model.head.out_features
    recorder = CallRecorder(model.eval())
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
