"""Notebook 05's experiments: figures of what the sinusoids encode, and an order-dependent toy task.

The positional encodings under test come from the caller (the learner's own code in the notebook); the
self-attention is notebook 04's `MultiHeadAttention`, handed out from `course_lib.handouts`. Plot helpers
return the figure.
"""
import torch
import torch.nn.functional as F
from torch import nn

from ..data import FIRST, SECOND, order_task  # noqa: F401 - the task lives in course_lib.data
from ..handouts.multi_head_attention import MultiHeadAttention
from ..i18n import tr
from ..train import fit, threads


def self_attention_layer(d_model, num_heads):
    """A multi-head self-attention layer, called as attn(x, x, x) and returning (output, weights)."""
    # notebook 04's module; nn.MultiheadAttention(d_model, num_heads, batch_first=True) is called the same way
    return MultiHeadAttention(d_model, num_heads)


# -- the toy task (course_lib.data.order_task): which of two marked tokens comes first? ----------------------
class AddFixedTable(nn.Module):
    """Add rows 0..T-1 of a fixed (max_len, d_model) table, such as the sinusoidal one, to x (B, T, D)."""

    def __init__(self, table):
        super().__init__()
        self.register_buffer("table", table)

    def forward(self, x):
        return x + self.table[: x.size(1)]  # (B, T, D) + (T, D)


class OrderClassifier(nn.Module):
    """Token embedding, positions, one block of self-attention and feed-forward, mean pool, read-out."""

    def __init__(self, vocab, d_model, positions, num_heads=2):
        super().__init__()
        self.tokens = nn.Embedding(vocab, d_model)
        self.positions = positions  # nn.Identity() for none, or a module that adds position vectors
        self.attn = self_attention_layer(d_model, num_heads)
        self.ff = nn.Sequential(nn.Linear(d_model, 2 * d_model), nn.ReLU(), nn.Linear(2 * d_model, d_model))
        self.out = nn.Linear(d_model, 2)

    def forward(self, tokens):
        x = self.positions(self.tokens(tokens))  # (B, T) -> (B, T, D)
        x = x + self.attn(x, x, x)[0]  # (B, T, D)
        x = x + self.ff(x)  # (B, T, D)
        return self.out(x.mean(dim=1))  # (B, D) -> (B, 2): the mean over positions forgets their order


def train_order_task(positions, name, steps=200, T=12, vocab=10, d_model=32, batch=128, lr=3e-3, seed=0,
                     n_test=2000):
    """Train an OrderClassifier with the given positions module; return its test accuracy and its history
    (the accuracy on each training batch)."""
    torch.manual_seed(seed)
    model = OrderClassifier(vocab, d_model, positions)
    data = torch.Generator().manual_seed(seed)
    history = []

    def loss_fn(model, batch):
        tokens, labels = batch
        logits = model(tokens)  # (batch, 2)
        history.append((logits.argmax(-1) == labels).float().mean().item())
        return F.cross_entropy(logits, labels)

    # fresh data every step: nothing to memorise
    fit(model, lambda step: order_task(batch, T, vocab, data), loss_fn, steps=steps, lr=lr, desc=name)
    tokens, labels = order_task(n_test, T, vocab, torch.Generator().manual_seed(10_000 + seed))  # unseen
    with threads(1), torch.no_grad():
        accuracy = (model(tokens).argmax(-1) == labels).float().mean().item()
    return accuracy, history


# -- figures ----------------------------------------------------------------------------------------------
def _plt():
    import matplotlib.pyplot as plt

    return plt


def plot_permutation_gaps(gaps_without, gaps_with):
    """Bar chart of the per-position gap |attn(x[perm]) - attn(x)[perm]|, without and with positions."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 3))
    positions = torch.arange(len(gaps_without))
    ax.bar(positions - 0.2, gaps_without, width=0.4, label=tr("no positions"))
    ax.bar(positions + 0.2, gaps_with, width=0.4, label=tr("sinusoidal positions added"))
    ax.set(yscale="log", ylim=(1e-9, 10), xlabel=tr("position in the shuffled sequence"),
           ylabel=tr("greatest |difference|"), title=tr("attn(shuffled x) vs shuffled attn(x)"))
    ax.legend(loc="upper left", ncol=2)
    fig.tight_layout()
    return fig


def plot_encoding(pe):
    """Heat map of the table: positions down, dimensions across."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 4))
    image = ax.imshow(pe, aspect="auto", cmap="RdBu_r", vmin=-1, vmax=1, interpolation="nearest")
    fig.colorbar(image, ax=ax, label="PE[p, j]")
    ax.set(xlabel=tr("dimension j (pairs of sin, cos; frequency falls to the right)"), ylabel=tr("position p"),
           title=tr("Sinusoidal positional encoding, {positions} positions x {dimensions} dimensions",
                    positions=pe.shape[0], dimensions=pe.shape[1]))
    fig.tight_layout()
    return fig


def plot_similarity(pe, starts=(0, 20, 50)):
    """Dot products PE[p]·PE[q] as a heat map, and PE[p]·PE[p+k] against the distance k for a few p."""
    plt = _plt()
    gram = pe @ pe.T  # (max_len, D) x (D, max_len) -> (max_len, max_len)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    image = axes[0].imshow(gram, cmap="viridis", interpolation="nearest")
    fig.colorbar(image, ax=axes[0], label="PE[p] · PE[q]")
    axes[0].set(xlabel=tr("position q"), ylabel=tr("position p"), title=tr("Dot products between positions"))
    longest = pe.shape[0] - max(starts)
    for p, style in zip(starts, ("-", "--", ":")):
        ks = torch.arange(longest)
        axes[1].plot(ks, gram[p, p + ks], style, lw=2, label=tr("from p = {p}", p=p))
    axes[1].set(xlabel=tr("distance k (positions)"), ylabel="PE[p] · PE[p + k]",
                title=tr("It depends only on the distance k"))
    axes[1].legend()
    fig.tight_layout()
    return fig


def plot_shift(M, k, ks, errors, rounding=None):
    """The block-diagonal matrix M_k, and the greatest |PE[p] @ M_k - PE[p + k]| over all p, for each k."""
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    image = axes[0].imshow(M, cmap="RdBu_r", vmin=-1, vmax=1, interpolation="nearest")
    fig.colorbar(image, ax=axes[0])
    axes[0].set(xlabel=tr("column"), ylabel=tr("row"),
                title=tr("M_k for k = {k}, d_model = {d_model}: a rotation per pair", k=k, d_model=M.shape[0]))
    axes[1].plot(ks, errors, "o-", ms=3, label=tr("your float32 table"))
    if rounding is not None:
        axes[1].axhline(rounding, color="grey", ls=":", label=tr("float32 spacing at the largest angle"))
    axes[1].legend()
    axes[1].set(yscale="log", ylim=(1e-8, 1), xlabel=tr("shift k (positions)"),
                ylabel=tr("greatest |PE[p] @ M_k - PE[p+k]| over p"),
                title=tr("One matrix per shift, the same for every p"))
    fig.tight_layout()
    return fig


def plot_training(histories, accuracies, window=10):
    """Training accuracy (moving average) of each variant, with its final test accuracy in the legend."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 3.5))
    for name, history in histories.items():
        h = torch.tensor(history)
        smooth = h.unfold(0, window, 1).mean(dim=1) if len(h) >= window else h
        ax.plot(torch.arange(len(smooth)) + (len(h) - len(smooth)), smooth,
                label=tr("{name}: test accuracy {accuracy:.1%}", name=name, accuracy=accuracies[name]))
    ax.axhline(0.5, color="grey", ls=":", lw=1, label=tr("chance"))
    ax.set(xlabel=tr("training step"), ylabel=tr("batch accuracy ({window}-step mean)", window=window),
           ylim=(0.3, 1.02), title=tr("Which marker comes first? One attention block, three kinds of positions"))
    ax.legend()
    fig.tight_layout()
    return fig
