"""Notebook 04's experiments: per-head attention maps on a two-relation toy task, and the cost of heads.

The attention is a parameter: the notebook passes the learner's `MultiHeadAttention` once it passes its check
(`yours_or_reference`); left out (None), it is the reference, looked up when the experiment runs.
"""
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
