"""Notebook 04's experiments: byte-pair encoding on the shipped text, tied against separate query and key
projections on "copy the previous token", per-head attention maps on a two-relation toy task, and the cost of heads.

The attention is a parameter: the notebook passes the learner's `MultiHeadAttention` once it passes its check
(`yours_or_reference`); left out (None), it is the reference, looked up when the experiment runs.
"""
from collections import Counter
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

from ..data import two_relation_batch  # noqa: F401 - the task lives in course_lib.data
from ..handouts.self_attention import causal_mask
from ..i18n import tr
from ..train import fit
from . import reference


# -- byte-pair encoding: merge the most frequent adjacent pair, again and again ------------------------------
def merge_pair(tokens, pair):
    """`tokens` (a list of strings) with every non-overlapping occurrence of `pair`, left to right, made one token."""
    a, b = pair
    out, i = [], 0
    while i < len(tokens):
        if i + 1 < len(tokens) and tokens[i] == a and tokens[i + 1] == b:
            out.append(a + b)
            i += 2
        else:
            out.append(tokens[i])
            i += 1
    return out


def train_bpe(text, num_merges):
    """Byte-pair encoding on characters: start from the characters of `text`, merge the most frequent adjacent
    pair into a new token, `num_merges` times. Returns the merges in order, as (left, right, count) with the
    count of the pair when it was merged (ties go to the pair that sorts last, so the result is reproducible)."""
    tokens = list(text)
    merges = []
    for _ in range(num_merges):
        pairs = Counter(zip(tokens, tokens[1:]))
        if not pairs:
            break
        (a, b), count = max(pairs.items(), key=lambda item: (item[1], item[0]))
        merges.append((a, b, count))
        tokens = merge_pair(tokens, (a, b))
    return merges


def bpe_tokens(text, merges):
    """`text` cut into tokens by applying the learned merges in the order they were learned."""
    tokens = list(text)
    for a, b, _ in merges:
        tokens = merge_pair(tokens, (a, b))
    return tokens


# -- tied or separate query and key projections: "copy the previous token" -----------------------------------
@dataclass
class CopyConfig:
    """Sizes of the previous-token task and its one-layer, one-head model; a few seconds of training."""

    vocab: int = 10  # tokens 0..9: chance is 10 %
    length: int = 8  # positions 0..7; the target at t is the token at t-1 (t >= 1)
    d_model: int = 32  # room for a token and a position
    steps: int = 80  # Adam steps: the separate models are at 100 % by then (seeds 0 and 1)
    batch: int = 64
    lr: float = 1e-2
    sharpness: float = 10.0  # with equal_norms, the score of two rows pointing the same way


class PreviousTokenModel(nn.Module):
    """Token and learned position embeddings, one causal single-head attention, a linear read-out.

    `tied`: the key projection is the query projection (one matrix W, so S = X W Wᵀ Xᵀ). `equal_norms`: the rows
    of q and k are scaled to the same length before the dot product (s_ij = sharpness · cos(q_i, k_j)). No bias
    and no residual path: what a position predicts it has read through attention.
    """

    def __init__(self, config: CopyConfig, tied: bool, equal_norms: bool = False):
        super().__init__()
        c = self.config = config
        self.tied, self.equal_norms = tied, equal_norms
        self.embed = nn.Embedding(c.vocab, c.d_model)
        self.position = nn.Embedding(c.length, c.d_model)
        self.w_q = nn.Linear(c.d_model, c.d_model, bias=False)
        self.w_k = self.w_q if tied else nn.Linear(c.d_model, c.d_model, bias=False)  # tied: the same module
        self.w_v = nn.Linear(c.d_model, c.d_model, bias=False)
        self.read = nn.Linear(c.d_model, c.vocab)

    def forward(self, tokens):
        """Logits (B, T, vocab), attention weights (B, T, T) and scores (B, T, T)."""
        B, T = tokens.shape
        x = self.embed(tokens) + self.position(torch.arange(T))  # (B, T, D)
        q, k, v = self.w_q(x), self.w_k(x), self.w_v(x)  # (B, T, D) each
        if self.equal_norms:
            scores = self.config.sharpness * F.normalize(q, dim=-1) @ F.normalize(k, dim=-1).transpose(-2, -1)
        else:
            scores = q @ k.transpose(-2, -1) / q.size(-1) ** 0.5  # (B, T, T)
        weights = scores.masked_fill(~causal_mask(T), float("-inf")).softmax(dim=-1)  # (B, T, T)
        return self.read(weights @ v), weights, scores


def copy_batch(batch, config, gen):
    """Random tokens (B, T); the target at t is the token at t-1."""
    return torch.randint(0, config.vocab, (batch, config.length), generator=gen)


def _copy_loss(model, tokens):
    logits, _, _ = model(tokens)
    return F.cross_entropy(logits[:, 1:].flatten(0, 1), tokens[:, :-1].flatten())  # predict t-1 at t, t >= 1


def train_previous_token(config: CopyConfig, tied: bool, equal_norms: bool = False, seed=0):
    """Train one model with Adam from `seed`; same data, same steps whatever `tied` and `equal_norms` are."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    model = PreviousTokenModel(config, tied, equal_norms)
    label = tr("tied") if tied else tr("separate")
    history = fit(model, lambda step: copy_batch(config.batch, config, gen), _copy_loss, steps=config.steps,
                  lr=config.lr, desc=label)
    return model, history.losses


@torch.no_grad()
def evaluate_previous_token(model, n=512, seed=1):
    """Accuracy at t >= 1, the mean weight on t-1 and on t itself, and what Cauchy–Schwarz says of the rows.

    `row norms` is the mean length of the query rows x_t W_q per position (T,). `beats self` counts the queries
    whose score on t-1 is higher than on t; `longer before` is the share of those where the row at t-1 is longer
    than the row at t, which must be 1 for a tied model (s_{t,t-1} <= |z_{t-1}| |z_t| and s_tt = |z_t|²).
    """
    c = model.config
    model.eval()
    tokens = copy_batch(n, c, torch.Generator().manual_seed(seed))
    logits, weights, scores = model(tokens)  # (n, T, V), (n, T, T), (n, T, T)
    model.train()
    t = torch.arange(1, c.length)
    rows = model.w_q(model.embed(tokens) + model.position(torch.arange(c.length))).norm(dim=-1)  # (n, T)
    beats = scores[:, t, t - 1] > scores[:, t, t]  # (n, T-1)
    longer = rows[:, t - 1] > rows[:, t]  # (n, T-1)
    right = (logits[:, 1:].argmax(-1) == tokens[:, :-1]).float()  # (n, T-1): positions 1..T-1
    return {
        "accuracy": right.mean().item(),
        "accuracy by position": right.mean(0),  # (T-1,): positions 1..T-1
        "weight on previous": weights[:, t, t - 1].mean().item(),
        "weight on self": weights[:, t, t].mean().item(),
        "row norms": rows.mean(0),
        "beats self": int(beats.sum()),
        "queries": beats.numel(),
        "longer before": (longer & beats).sum().item() / max(int(beats.sum()), 1),
        "tokens": tokens[0],
        "weights": weights[0],  # (T, T): the map of one example
    }


def plot_previous_token(results):
    """Row lengths per position of the free models, and the attention maps of the equal-length ones; the figure.

    `results` maps (equal_norms, tied) to `evaluate_previous_token`'s dict."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(13, 3.9), layout="constrained")
    for tied, style in ((True, "o-"), (False, "s--")):
        norms = results[(False, tied)]["row norms"]
        axes[0].plot(range(len(norms)), norms, style, label=tr("tied W_q = W_k") if tied else tr("separate W_q, W_k"))
    axes[0].set(xlabel=tr("position t"), ylabel=tr("mean length of the row x_t W_q"),
                title=tr("Free rows: how long is each position's row?"), ylim=(0, None))
    axes[0].legend()
    for ax, tied in zip(axes[1:], (True, False)):
        r = results[(True, tied)]
        T = r["weights"].size(-1)
        image = ax.imshow(r["weights"], vmin=0, vmax=1, cmap="viridis")
        ax.set(title=tr("Equal-length rows, {which}: accuracy {accuracy:.0%}",
                        which=tr("tied") if tied else tr("separate"), accuracy=r["accuracy"]),
               xlabel=tr("key position"), ylabel=tr("query position"), xticks=range(T), yticks=range(T))
        ax.title.set_fontsize(10)
    fig.colorbar(image, ax=axes[1:].tolist(), label=tr("attention weight"), shrink=0.8)
    return fig


# -- the toy task: copy the previous token and the first token ----------------------------------------------
@dataclass
class ToyConfig:
    """Sizes of the two-relation task and its one-layer model; small enough to train in seconds."""

    vocab: int = 10  # tokens 0..9
    length: int = 8  # positions 0..7: long enough that "one to the left" and "the first" differ
    d_model: int = 32  # room for a token and a position in each head's slice
    num_heads: int = 2  # one head per relation, if the heads divide the work
    steps: int = 300  # Adam steps; the 2-head model is near 100 % after about 200
    batch: int = 128
    lr: float = 1e-2


class TwoRelationModel(nn.Module):
    """Token and position embeddings, one causal multi-head attention, two linear read-outs.

    There is no residual path: whatever a position predicts it must have read through attention.
    """

    def __init__(self, config: ToyConfig, attention_cls=None):
        super().__init__()
        c = self.config = config
        attention_cls = attention_cls or reference("MultiHeadAttention")
        self.embed = nn.Embedding(c.vocab, c.d_model)
        self.position = nn.Embedding(c.length, c.d_model)  # learned, so a query can ask for "position t-1"
        self.attn = attention_cls(c.d_model, c.num_heads)
        self.read_previous = nn.Linear(c.d_model, c.vocab)
        self.read_first = nn.Linear(c.d_model, c.vocab)

    def forward(self, tokens):
        """Logits for both targets (B, T, vocab) each, and the attention weights (B, h, T, T)."""
        B, T = tokens.shape
        x = self.embed(tokens) + self.position(torch.arange(T))  # (B, T, D)
        out, weights = self.attn(x, x, x, mask=causal_mask(T))  # (B, T, D), (B, h, T, T)
        return self.read_previous(out), self.read_first(out), weights


def train_two_relations(config: ToyConfig, attention_cls=None, seed=0):
    """Train the toy model (built on `attention_cls`) with Adam; return the model and the loss of every step."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    model = TwoRelationModel(config, attention_cls)

    def loss_fn(model, batch):
        tokens, previous, first = batch
        logits_prev, logits_first, _ = model(tokens)
        return (F.cross_entropy(logits_prev[:, 1:].flatten(0, 1), previous[:, 1:].flatten())
                + F.cross_entropy(logits_first.flatten(0, 1), first.flatten()))

    history = fit(model, lambda step: two_relation_batch(config.batch, config.length, config.vocab, gen), loss_fn,
                  steps=config.steps, lr=config.lr, desc=tr("{count} head(s)", count=config.num_heads))
    return model, history.losses


@torch.no_grad()
def evaluate_two_relations(model, n=512, seed=1):
    """Test loss, accuracy on each relation, and per head where its largest weight falls (queries t >= 2)."""
    c = model.config
    model.eval()
    tokens, previous, first = two_relation_batch(n, c.length, c.vocab, torch.Generator().manual_seed(seed))
    logits_prev, logits_first, weights = model(tokens)  # weights (n, h, T, T)
    model.train()
    T = c.length
    queries = torch.arange(2, T)  # from t = 2 on, "one to the left" and "the first" are different keys
    w = weights[:, :, queries, :]  # (n, h, T-2, T)
    top = w.argmax(dim=-1)  # (n, h, T-2): the key each head weighs most
    heads = []
    for i in range(w.size(1)):
        heads.append({
            "head": i,
            "top is previous": (top[:, i] == queries - 1).float().mean().item(),
            "top is first": (top[:, i] == 0).float().mean().item(),
            "weight on previous": w[:, i, torch.arange(T - 2), queries - 1].mean().item(),
            "weight on first": w[:, i, :, 0].mean().item(),
        })
    loss = (F.cross_entropy(logits_prev[:, 1:].flatten(0, 1), previous[:, 1:].flatten())
            + F.cross_entropy(logits_first.flatten(0, 1), first.flatten()))  # the training loss, on new data
    return {
        "loss": loss.item(),
        "accuracy previous": (logits_prev[:, 1:].argmax(-1) == previous[:, 1:]).float().mean().item(),
        "accuracy first": (logits_first.argmax(-1) == first).float().mean().item(),
        "heads": heads,
        "tokens": tokens[0],
        "weights": weights[0],  # (h, T, T): the maps of one example
    }


def plot_head_maps(results, title=None):
    """Heat maps of every head's attention on one example, models side by side; returns the figure."""
    import matplotlib.pyplot as plt

    panels = [(label, i, r) for label, r in results.items() for i in range(r["weights"].size(0))]
    fig, axes = plt.subplots(1, len(panels), figsize=(3.3 * len(panels) + 1, 4.4), layout="constrained",
                             squeeze=False)
    if title:
        fig.suptitle(title)
    for ax, (label, i, r) in zip(axes[0], panels):
        T = r["weights"].size(-1)
        image = ax.imshow(r["weights"][i], vmin=0, vmax=1, cmap="viridis")
        head = r["heads"][i]
        ax.set(title=tr("{label}: head {i}\nlargest weight on t-1: {previous:.0%}, on 0: {first:.0%}", label=label,
                        i=i, previous=head["top is previous"], first=head["top is first"]),
               xlabel=tr("key position"), ylabel=tr("query position"), xticks=range(T), yticks=range(T))
        ax.title.set_fontsize(9)
    fig.colorbar(image, ax=axes[0].tolist(), label=tr("attention weight"), shrink=0.8)
    return fig


# -- the cost of heads ------------------------------------------------------------------------------------
def attention_costs(d_model=64, length=128, batch=8, heads=(1, 2, 4, 8), attention_cls=None):
    """Parameters, counted matmul FLOPs and softmax sizes of one forward pass, per number of heads."""
    attention_cls = attention_cls or reference("MultiHeadAttention")
    rows = []
    x = torch.randn(batch, length, d_model, generator=torch.Generator().manual_seed(0))
    for h in heads:
        torch.manual_seed(0)
        module = attention_cls(d_model, h).eval()
        counter = FlopCounterMode(display=False)
        with torch.no_grad(), counter:
            _, weights = module(x, x, x)
        flops = counter.get_flop_counts()
        projections = sum(sum(flops.get(f"{type(module).__name__}.{m}", {}).values())
                          for m in ("w_q", "w_k", "w_v", "w_o"))
        rows.append({
            "heads": h,
            "d_head": d_model // h,
            "parameters": sum(p.numel() for p in module.parameters()),
            "projection FLOPs": projections,
            "attention FLOPs": counter.get_total_flops() - projections,  # q k^T and weights v
            "softmax rows": weights.shape[:-1].numel(),
            "attention-map entries": weights.numel(),
        })
    return rows


def shipped_text():
    """The course's real text, `course_lib.text.shakespeare()`, imported when first asked for (a set-up cell that
    imports `course_lib.text` itself stopped the grader's hidden-test worker, 2026-12-07)."""
    from ..text import shakespeare

    return shakespeare()
