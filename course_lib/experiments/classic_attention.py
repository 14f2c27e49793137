"""Notebook 02's experiment: a GRU encoder-decoder that reverses digit sequences, with and without attention.

The attention is a parameter: the notebook passes the learner's `additive_attention` once it passes its check
(`yours_or_reference`); left out (None), it is the reference, looked up when the model is built.
"""
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..data import reversal_batch  # noqa: F401 - the task lives in course_lib.data
from ..i18n import tr
from ..train import fit, threads
from . import reference

BOS = 10  # the decoder's start token; digits are 0..9


@dataclass
class Seq2SeqConfig:
    """Sizes of the toy encoder-decoder; small enough to train in seconds on a laptop CPU."""

    vocab: int = 10  # the digits 0..9; the decoder also reads BOS
    d_embed: int = 16  # a digit needs few features
    d_hidden: int = 64  # encoder and decoder state width; the bottleneck vector has this width
    d_attn: int = 32  # A, the width of the additive score's hidden layer
    attention: bool = True  # False: the decoder sees only the encoder's last state (the bottleneck)


class Seq2Seq(nn.Module):
    """A GRU encoder and a GRU decoder that reads, at each output step, one context vector of the source.

    `attention` is an `additive_attention(query, keys, values, W_q, W_k, v, mask=None)`: the learner's or the
    reference (when None).
    """

    def __init__(self, config: Seq2SeqConfig, attention=None):
        super().__init__()
        self.config = c = config
        self.attention = attention or reference("additive_attention")
        self.src_embed = nn.Embedding(c.vocab, c.d_embed)
        self.encoder = nn.GRU(c.d_embed, c.d_hidden // 2, batch_first=True, bidirectional=True)
        self.tgt_embed = nn.Embedding(c.vocab + 1, c.d_embed)
        self.decoder = nn.GRUCell(c.d_embed + c.d_hidden, c.d_hidden)
        self.W_q = nn.Parameter(torch.randn(c.d_hidden, c.d_attn) / c.d_hidden ** 0.5)
        self.W_k = nn.Parameter(torch.randn(c.d_hidden, c.d_attn) / c.d_hidden ** 0.5)
        self.v = nn.Parameter(torch.randn(c.d_attn) / c.d_attn ** 0.5)
        self.out = nn.Linear(2 * c.d_hidden, c.vocab)

    def encode(self, src):
        """Encoder states (B, T, H), each read in both directions, and a summary of the source (B, H)."""
        states, last = self.encoder(self.src_embed(src))  # (B, T, E) -> (B, T, H), (2, B, H/2)
        return states, torch.cat([last[0], last[1]], dim=-1)  # forward's last state, backward's last state

    def step(self, token, s, states, last):
        """One decoder step: logits (B, vocab), new state (B, H), attention weights (B, T) or None."""
        if self.config.attention:
            # query: the decoder's state (B, H); keys and values: the encoder's states (B, T, H)
            context, weights = self.attention(s, states, states, self.W_q, self.W_k, self.v)
            # context (B, H), weights (B, T)
        else:
            context, weights = last, None  # the same fixed vector at every step
        s = self.decoder(torch.cat([self.tgt_embed(token), context], dim=-1), s)  # (B, E + H) -> (B, H)
        return self.out(torch.cat([s, context], dim=-1)), s, weights  # (B, 2H) -> (B, vocab)

    def start(self, last):
        """The decoder's first state: the encoder's summary without attention, a blank slate with it."""
        return torch.zeros_like(last) if self.config.attention else last

    def forward(self, src, tgt):
        """Teacher-forced logits (B, T_out, vocab) and attention weights (B, T_out, T) or None."""
        states, last = self.encode(src)
        bos = torch.full_like(tgt[:, :1], BOS)
        tokens = torch.cat([bos, tgt[:, :-1]], dim=1)  # (B, T_out): the decoder reads BOS, y_0, y_1, ...
        s, all_logits, all_weights = self.start(last), [], []
        for i in range(tgt.size(1)):
            logits, s, weights = self.step(tokens[:, i], s, states, last)
            all_logits.append(logits)
            all_weights.append(weights)
        weights = torch.stack(all_weights, dim=1) if self.config.attention else None
        return torch.stack(all_logits, dim=1), weights

    @torch.no_grad()
    def generate(self, src, length):
        """Greedy decoding: predictions (B, length) and attention weights (B, length, T) or None."""
        states, last = self.encode(src)
        token, s, preds, all_weights = torch.full_like(src[:, 0], BOS), self.start(last), [], []
        for _ in range(length):
            logits, s, weights = self.step(token, s, states, last)
            token = logits.argmax(dim=-1)
            preds.append(token)
            all_weights.append(weights)
        weights = torch.stack(all_weights, dim=1) if self.config.attention else None
        return torch.stack(preds, dim=1), weights


def train_reversal(config, length=12, steps=600, batch=64, lr=1e-2, seed=0, desc=None, attention=None):
    """Train a Seq2Seq (with the given `additive_attention`) on digit reversal; return the model and its losses."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    model = Seq2Seq(config, attention)

    def loss_fn(model, pair):
        src, tgt = pair
        logits, _ = model(src, tgt)  # (B, T, vocab)
        return F.cross_entropy(logits.reshape(-1, config.vocab), tgt.reshape(-1))

    history = fit(model, lambda step: reversal_batch(batch, length, gen), loss_fn, steps=steps, lr=lr, clip=1.0,
                  desc=desc or (tr("with attention") if config.attention else tr("without attention")))
    return model, history.losses


@dataclass
class ReversalScore:
    """What a trained model does on fresh sequences."""

    token_accuracy: float  # share of output digits right
    sequence_accuracy: float  # share of sequences reversed without a single error
    step_accuracy: torch.Tensor  # (T_out,) share right at each output step
    mean_weights: torch.Tensor | None = None  # (T_out, T) attention averaged over the test sequences
    mass_on_source: float | None = None  # mean weight on the source position output step i copies, T - 1 - i
    mass_near_source: float | None = None  # the same, counting that position and its two neighbours
    peak_on_source: float | None = None  # share of output steps whose largest weight is on that position


def evaluate_reversal(model, length=12, n=1000, seed=1):
    """Greedy-decode n fresh sequences; accuracy and how much attention lands on the right source digit."""
    src, tgt = reversal_batch(n, length, torch.Generator().manual_seed(seed))
    model.eval()
    with threads(1):
        preds, weights = model.generate(src, length)
    model.train()
    right = preds == tgt  # (n, T_out)
    score = ReversalScore(right.float().mean().item(), right.all(dim=1).float().mean().item(),
                          right.float().mean(dim=0))
    if weights is not None:
        steps = torch.arange(length)
        source = length - 1 - steps  # output step i copies source position T - 1 - i
        score.mean_weights = weights.mean(dim=0)  # (n, T_out, T) -> (T_out, T)
        score.mass_on_source = weights[:, steps, source].mean().item()
        near = (torch.arange(length)[None, :] - source[:, None]).abs() <= 1  # (T_out, T)
        score.mass_near_source = (weights * near).sum(dim=-1).mean().item()
        score.peak_on_source = (weights.argmax(dim=-1) == source).float().mean().item()
    return score


def alignment_figure(mean_weights, example=None, title=None):
    """Heat maps of attention weights: output step (rows) against source position (columns).

    `title` is the average's (None: "Learned alignment, averaged over test sequences"). `example` is an
    optional (src, out, weights) triple of one sequence: its source digits, the digits the model wrote and its
    weights (T_out, T), drawn beside the average with the digits on the axes.
    """
    import matplotlib.pyplot as plt

    if title is None:
        title = tr("Learned alignment, averaged over test sequences")
    panels = [(mean_weights, title, None)]
    if example is not None:
        src, out, weights = example
        panels.append((weights, tr("One test sequence"), (src, out)))
    fig, axes = plt.subplots(1, len(panels), figsize=(4.6 * len(panels), 4.0), squeeze=False)
    for ax, (w, name, digits) in zip(axes[0], panels):
        T_out, T = w.shape
        image = ax.imshow(w.detach().numpy(), cmap="viridis", vmin=0.0, vmax=1.0)
        ax.set(title=name, xlabel=tr("source position (encoder state)"), ylabel=tr("output step (decoder)"),
               xticks=range(T), yticks=range(T_out))
        if digits is not None:
            src, out = digits
            ax.set_xticklabels([f"{j}\n{d}" for j, d in enumerate(src.tolist())])
            ax.set_yticklabels([f"{i}: {d}" for i, d in enumerate(out.tolist())])
            ax.set(xlabel=tr("source position (its digit below)"), ylabel=tr("output step: digit written"))
        fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label=tr("attention weight"))
    fig.tight_layout()
    return fig
