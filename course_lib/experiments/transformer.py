"""Notebook 08's experiments: the whole Transformer trained on a digit task in seconds, an LSTM encoder-decoder
beside it on the same budget (and whether it was still learning when that ran out), accuracy as sequences grow,
and the trained model's cross-attention maps.

The models are built from the classes passed in (the learner's, once they pass their checks); left out (None),
they are the references, looked up when the experiment runs. `causal_mask` is notebook 03's, handed out.
"""
import math
from dataclasses import dataclass, replace

import torch
import torch.nn.functional as F
from torch import nn

from ..data import BOS, EOS, PAD, VOCAB, seq2seq_batch, to_text
from ..handouts.self_attention import causal_mask
from ..i18n import tr
from ..train import fit, shrink, threads
from . import reference
from .training_deep_stacks import still_falling


@dataclass
class Setup:
    """One training run: the task, the models' sizes, the optimiser and the budget."""

    task: str = "reverse"  # "copy", "reverse" or "sort" (course_lib.data): reverse needs position t to read T-1-t
    length: int = 10  # digits per sequence; targets are BOS + length digits + EOS
    d_model: int = 64  # the Transformer's width: small enough for a CPU, wide enough for 10 positions
    num_heads: int = 4  # heads of width 16
    num_layers: int = 1  # one encoder and one decoder layer suffice for this task, and train twice as fast as two
    d_ff: int = 128  # the feed-forward block widens by 2x (4x in the paper; not needed for this task)
    norm_first: bool = True  # pre-LN (notebook 07): stable at a learning rate this high without warm-up
    lstm_hidden: int = 64  # two LSTM layers of width 64 each side: about 1.6x the Transformer's parameters
    batch: int = 64
    lr: float = 5e-3  # high for Adam, fine with pre-LN, gradient clipping and small embeddings (see below)
    steps: int = 3000  # an upper bound; the time budget or the target usually stops training first
    time_budget: float = 15.0  # seconds of training per model
    target: float = 0.99  # exact-sequence accuracy (greedy decoding, held-out data) that stops training
    check_every: int = 50  # steps between accuracy checks (each decodes `check_size` held-out sequences)
    check_size: int = 200
    num_threads: int = 1  # measured in the notebook: one thread beats two at this width on two cores
    seed: int = 0


def batches(setup: Setup, seed: int):
    """A function step -> (src, tgt) of fresh random training sequences, seeded so runs repeat."""
    gen = torch.Generator().manual_seed(seed)
    return lambda step: seq2seq_batch(setup.task, setup.batch, setup.length, gen)


def held_out(setup: Setup, n: int, seed: int = 12345):
    """n held-out sequences (src, tgt), from a seed the training stream never uses."""
    return seq2seq_batch(setup.task, n, setup.length, torch.Generator().manual_seed(seed))


def build_transformer(setup: Setup, transformer_cls=None, seed=0):
    """A Transformer of the setup's sizes on the shared vocabulary, seeded."""
    transformer_cls = transformer_cls or reference("Transformer")
    torch.manual_seed(seed)
    model = transformer_cls(VOCAB, VOCAB, setup.d_model, setup.num_heads, setup.num_layers, setup.d_ff,
                            setup.length + 2, 0.0, setup.norm_first)
    for embed in (model.src_embed, model.tgt_embed):  # std 1/sqrt(D): times sqrt(D), about as large as the
        nn.init.normal_(embed.weight, std=setup.d_model ** -0.5)  # positions, instead of 8x larger
    return model


class LSTMSeq2Seq(nn.Module):
    """An LSTM encoder-decoder without attention: the whole source must pass through one state (h, c).

    It has the Transformer's `encode`, `decode`, `out` and `forward`, so the same `greedy_decode` and
    `seq2seq_loss` drive it.
    """

    def __init__(self, vocab, hidden, num_layers=2):
        super().__init__()
        self.src_embed = nn.Embedding(vocab, hidden)
        self.tgt_embed = nn.Embedding(vocab, hidden)
        self.encoder = nn.LSTM(hidden, hidden, num_layers, batch_first=True)
        self.decoder = nn.LSTM(hidden, hidden, num_layers, batch_first=True)
        self.out = nn.Linear(hidden, vocab)

    def encode(self, src, src_mask=None):
        """src (B, S) -> the final state (h, c), each (layers, B, H): all the decoder will know of the source."""
        _, state = self.encoder(self.src_embed(src))
        return state

    def decode(self, tgt, memory, tgt_mask=None, memory_mask=None):
        """tgt (B, T) -> (B, T, H), starting from the encoder's final state."""
        out, _ = self.decoder(self.tgt_embed(tgt), memory)
        return out

    def forward(self, src, tgt, src_mask=None, tgt_mask=None):
        return self.out(self.decode(tgt, self.encode(src)))  # (B, T, vocab)


def build_lstm(setup: Setup, seed=0):
    torch.manual_seed(seed)
    return LSTMSeq2Seq(VOCAB, setup.lstm_hidden)


@torch.no_grad()
def accuracy(model, src, tgt, decode=None, chunk=500):
    """Exact-sequence and per-token accuracy of greedy decoding, and the teacher-forced per-token accuracy."""
    decode = decode or reference("greedy_decode")
    was_training = model.training
    model.eval()
    exact = token = forced = 0.0
    with threads(1):  # tiny matrices: one thread is faster, above all on a busy machine
        for i in range(0, src.size(0), chunk):
            s, t = src[i:i + chunk], tgt[i:i + chunk]
            out = decode(model, s, t.size(1), BOS, EOS)  # (n, L <= T)
            out = F.pad(out, (0, t.size(1) - out.size(1)), value=PAD)  # (n, T): too short is wrong, not a crash
            right = out[:, 1:] == t[:, 1:]  # (n, T-1), BOS excluded
            exact += right.all(dim=1).float().sum().item()
            token += right.float().mean(dim=1).sum().item()
            logits = model(s, t[:, :-1])  # teacher forcing: the true previous tokens as input
            forced += (logits.argmax(-1) == t[:, 1:]).float().mean(dim=1).sum().item()
    model.train(was_training)
    n = src.size(0)
    return {"exact": exact / n, "token": token / n, "teacher-forced token": forced / n}


def train(model, setup: Setup, decode=None, loss_fn=None, desc=None, stop_at_target=True):
    """Train with Adam until `setup.target` exact accuracy on held-out data, the time budget, or the steps.

    Returns the `History` with `accuracies`: (step, seconds, exact accuracy) at every check.
    """
    loss_fn = loss_fn or reference("seq2seq_loss")
    check_src, check_tgt = held_out(setup, setup.check_size, seed=999)
    checks = []

    def reached(m):
        acc = accuracy(m, check_src, check_tgt, decode)["exact"]
        checks.append(acc)
        return stop_at_target and acc >= setup.target

    history = fit(model, batches(setup, setup.seed), lambda m, b: loss_fn(m, *b), steps=setup.steps, lr=setup.lr,
                  time_budget=setup.time_budget, until=reached, check_every=setup.check_every, desc=desc,
                  num_threads=setup.num_threads, seed=setup.seed, clip=1.0)
    history.accuracies = [((i + 1) * setup.check_every, acc) for i, acc in enumerate(checks)]
    return history


def steps_per_second(model, setup: Setup, steps=20, num_threads=1, loss_fn=None):
    """Training steps per second of `model` on the setup's batches, on `num_threads` threads."""
    import time

    loss_fn = loss_fn or reference("seq2seq_loss")
    batch = batches(setup, 0)
    optimiser = torch.optim.Adam(model.parameters(), lr=setup.lr)
    with threads(num_threads):
        for i in range(steps + 3):
            if i == 3:  # the first steps warm up the allocator
                start = time.perf_counter()
            loss = loss_fn(model, *batch(i))
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    return steps / (time.perf_counter() - start)


def parameters(model):
    return sum(p.numel() for p in model.parameters())


def loss_at_end(losses):
    """How a training run's loss ended: ("still falling" | "levelled off" | "too short", drop, window).

    `drop` is the mean loss of the last `window` steps below that of the `window` steps before, the window a
    quarter of the run (at least 20 steps); "still falling" when it exceeds claims.STILL_FALLING, "too short"
    (drop None) under 2 * 20 steps. A quarter of the run, not 20 steps: at the Transformer's stopping time the
    LSTM's loss falls slowly but steadily (measured at 10 digits: 0.05 nats in about 35 steps around step 264),
    so the mean of 20 steps against the 20 before reads it as flat, though it then went from 20 % to 99 % of the
    check sequences exactly right in another 1,200 steps.
    """
    window = max(20, len(losses) // 4)
    if len(losses) < 2 * window:
        return "too short", None, window
    drop = sum(losses[-2 * window:-window]) / window - sum(losses[-window:]) / window
    return ("still falling" if still_falling(losses, window) else "levelled off"), drop, window


def run_length(setup: Setup, length=None, transformer_cls=None, decode=None, loss_fn=None, test_size=1000):
    """At one length: the Transformer trained to the target (or the time budget), then the LSTM for the same
    seconds (at least one); both tested on `test_size` held-out sequences. Returns {"length", name: results}.

    The same seconds is a race, not a test of what each model can finally learn: each result says how its loss
    ended (`loss_at_end`), so a sentence can say whether the LSTM was stopped while it was still learning."""
    s = replace(setup, length=length or setup.length)
    test_src, test_tgt = held_out(s, test_size)
    row = {"length": s.length}
    for name in ("Transformer", "LSTM"):
        if name == "Transformer":
            model = build_transformer(s, transformer_cls, s.seed)
        else:
            model = build_lstm(s, s.seed)
            s = replace(s, time_budget=max(row["Transformer"]["seconds"], 1.0))  # the same seconds
        history = train(model, s, decode, loss_fn, desc=tr("{name}, length {length}", name=name, length=s.length))
        end, drop, window = loss_at_end(history.losses)
        row[name] = {"model": model, "history": history, "parameters": parameters(model), "steps": history.steps,
                     "seconds": history.seconds, "stopped": history.stopped, "loss at the end": end,
                     "loss drop at the end": drop, "loss window": window, **accuracy(model, test_src, test_tgt, decode)}
    return row


@torch.no_grad()
def cross_attention_maps(model, src, decode=None):
    """The decoded output for one source (1, S) and every decoder layer's cross-attention weights (h, T, S).

    The weights are caught from each layer's `cross_attn` with a forward hook while the model re-reads its own
    greedy output, so any module with the contract's members works.
    """
    decode = decode or reference("greedy_decode")
    model.eval()
    out = decode(model, src, src.size(1) + 2, BOS)  # (1, T): no end token, so always S + 2 tokens
    maps = []
    hooks = [layer.cross_attn.register_forward_hook(lambda mod, args, result: maps.append(result[1][0]))
             for layer in model.decoder_layers]
    try:
        model(src, out[:, :-1])
    finally:
        for hook in hooks:
            hook.remove()
    return out[0], maps  # (T,), [ (h, T-1, S) per layer ]


def plot_cross_attention(src, out, maps, title=None):
    """Heat maps of every layer's cross-attention, averaged over heads and per head; returns the figure."""
    import matplotlib.pyplot as plt

    src_labels = to_text(src).split()
    out_labels = to_text(out[1:]).split()  # row t reads decoder input t and predicts output token t+1
    panels = [(tr("layer {i}, mean of heads", i=i), m.mean(0)) for i, m in enumerate(maps)]
    panels += [(tr("layer {i}, head {h}", i=len(maps) - 1, h=h), maps[-1][h]) for h in range(maps[-1].size(0))]
    fig, axes = plt.subplots(1, len(panels), figsize=(2.9 * len(panels) + 1, 3.6), layout="constrained",
                             squeeze=False)
    if title:
        fig.suptitle(title)
    for ax, (label, weights) in zip(axes[0], panels):
        image = ax.imshow(weights, vmin=0, vmax=1, cmap="viridis")
        ax.set_title(label, fontsize=9)
        ax.set_xticks(range(len(src_labels)), src_labels, fontsize=7)
        ax.set_yticks(range(len(out_labels)), out_labels, fontsize=7)
        ax.set_xlabel(tr("source token (key)"), fontsize=8)
    axes[0][0].set_ylabel(tr("token being predicted (query)"), fontsize=8)
    fig.colorbar(image, ax=axes[0].tolist(), label=tr("weight"), shrink=0.8)
    return fig


def plot_lengths(rows, title=None):
    """Exact-sequence accuracy against length, one line per model, and held-out accuracy during training at
    each length; returns the figure."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 3.6), layout="constrained")
    lengths = [r["length"] for r in rows]
    for name, style in (("Transformer", "o-"), ("LSTM", "s--")):
        axes[0].plot(lengths, [100 * r[name]["exact"] for r in rows], style, label=name)
    axes[0].set(xlabel=tr("sequence length (digits)"), ylabel=tr("exact-sequence accuracy (%)"), ylim=(-3, 103),
                xticks=lengths, title=tr("After the same seconds of training"))
    axes[0].legend()
    for r, color in zip(rows, ("C2", "C0", "C3", "C4")):
        for name, style in (("Transformer", "-"), ("LSTM", "--")):
            h = r[name]["history"]
            seconds = [h.seconds * step / max(h.steps, 1) for step, _ in h.accuracies]  # steps -> seconds
            axes[1].plot(seconds, [100 * a for _, a in h.accuracies], style, color=color,
                         label=tr("{name}, length {length}", name=name, length=r["length"]))
    axes[1].set(xlabel=tr("training time (s)"), ylabel=tr("held-out exact accuracy (%)"), ylim=(-3, 103),
                title=tr("During training (checked every few steps)"))
    axes[1].legend(fontsize=7)
    if title:
        fig.suptitle(title)
    return fig


def torch_twin(model):
    """torch.nn.Transformer (batch_first) holding the encoder and decoder stacks' weights of our `model`."""
    enc, dec = model.encoder_layers, model.decoder_layers
    layer = enc[0]
    D, h, d_ff = model.d_model, layer.self_attn.num_heads, layer.linear1.out_features
    options = {"dropout": 0.0, "batch_first": True, "norm_first": layer.norm_first}
    encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(D, h, d_ff, **options), len(enc), nn.LayerNorm(D),
                                    enable_nested_tensor=False)  # the nested-tensor fast path only warns here
    twin = nn.Transformer(D, h, num_decoder_layers=len(dec), dim_feedforward=d_ff, custom_encoder=encoder,
                          **options).eval()

    def copy_attention(ours, theirs):
        theirs.in_proj_weight.copy_(torch.cat([ours.w_q.weight, ours.w_k.weight, ours.w_v.weight]))  # (3D, D)
        theirs.in_proj_bias.copy_(torch.cat([ours.w_q.bias, ours.w_k.bias, ours.w_v.bias]))
        theirs.out_proj.load_state_dict(ours.w_o.state_dict())

    with torch.no_grad():
        for ours, theirs in zip(enc, twin.encoder.layers):
            copy_attention(ours.self_attn, theirs.self_attn)
            for name in ("linear1", "linear2", "norm1", "norm2"):
                getattr(theirs, name).load_state_dict(getattr(ours, name).state_dict())
        for ours, theirs in zip(dec, twin.decoder.layers):
            copy_attention(ours.self_attn, theirs.self_attn)
            copy_attention(ours.cross_attn, theirs.multihead_attn)
            for name in ("linear1", "linear2", "norm1", "norm2", "norm3"):
                getattr(theirs, name).load_state_dict(getattr(ours, name).state_dict())
        twin.encoder.norm.load_state_dict(model.enc_norm.state_dict())
        twin.decoder.norm.load_state_dict(model.dec_norm.state_dict())
    return twin


@torch.no_grad()
def compare_with_torch(model, src, tgt, src_lengths):
    """Greatest difference between our decoder states and nn.Transformer's on the same embedded inputs."""
    model.eval()
    twin = torch_twin(model)
    S, T = src.size(1), tgt.size(1)
    real = torch.arange(S)[None, :] < src_lengths[:, None]  # (B, S) True at real source tokens
    ours = model.decode(tgt, model.encode(src, real[:, None, None, :]), memory_mask=real[:, None, None, :])
    scale = math.sqrt(model.d_model)
    src_x = model.src_embed(src) * scale + model.pe[:S]  # (B, S, D): the same inputs for both stacks
    tgt_x = model.tgt_embed(tgt) * scale + model.pe[:T]  # (B, T, D)
    causal = ~causal_mask(T)  # PyTorch's boolean masks mean "may NOT attend"
    theirs = twin(src_x, tgt_x, tgt_mask=causal, src_key_padding_mask=~real, memory_key_padding_mask=~real)
    return (ours - theirs).abs().max().item()


def mirror_weight(maps, length):
    """Per layer, the mean cross-attention weight (over heads and output positions) on the source position
    that reversing copies from: output digit t reads source digit length-1-t."""
    t = torch.arange(length)
    return [m.mean(0)[t, length - 1 - t].mean().item() for m in maps]  # (T-1, S) -> the mirrored diagonal


def grading_setup(setup: Setup) -> Setup:
    """The setup shrunk for autograding: a few steps, a fraction of a second."""
    return replace(setup, steps=shrink(setup.steps, 5), time_budget=shrink(setup.time_budget, 0.5),
                   check_size=shrink(setup.check_size, 20), check_every=shrink(setup.check_every, 5))
