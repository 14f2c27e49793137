"""Notebook 01's experiments: an RNN's time per sequence, gradients that fade with distance, and a recall task.

Everything here runs on the CPU in seconds. The models are small, so they run on one thread (`threads(1)`),
which is also the fastest for them; only the timing experiment varies the number of threads. The gradient
experiment runs the learner's `rnn_forward` and `lstm_cell` (passed in) with the initial weights of `nn.RNN`
and `nn.LSTM`; left out, `nn.RNN` and `nn.LSTM` themselves run, the same recurrence (notebook 06 repeats the
measurement that way, so no reference solution is needed).
"""
import time

import torch
from torch import nn

from ..data import RECALL_VOCAB as VOCAB  # symbols of the recall task: chance level is 1/8
from ..data import recall_batch  # noqa: F401 - the task, with the experiment that uses it
from ..i18n import tr
from ..train import fit, progress, threads


def open_forget_gate(lstm, bias):
    """Set an nn.LSTM's or nn.LSTMCell's forget-gate bias, so that f = sigmoid(bias) at the start."""
    with torch.no_grad():
        for name, param in lstm.named_parameters():
            if name.startswith("bias"):
                H = param.shape[0] // 4
                param[H:2 * H] = bias / 2  # bias_ih and bias_hh are added: together they give `bias`


# -- (a) time per sequence ----------------------------------------------------------------------------------
def time_per_sequence(lengths, num_threads, input_size=32, hidden=64, repeats=5, seed=0):
    """Seconds an nn.RNN needs to read one sequence of each length (best of `repeats`), on `num_threads`.

    The lengths are timed in turns, one run of each per round, so a moment when the machine is busy with
    something else slows one run of every length rather than every run of one length.
    """
    torch.manual_seed(seed)
    rnn = nn.RNN(input_size, hidden, batch_first=True)
    inputs = [torch.randn(1, T, input_size) for T in lengths]  # one sequence each: (B=1, T, D)
    best = [float("inf")] * len(lengths)
    with threads(num_threads), torch.no_grad():
        for x in inputs * 2:  # warm-up: the thread pool and the allocator settle in
            rnn(x)
        for _ in range(repeats):
            for i, x in enumerate(inputs):
                start = time.perf_counter()
                rnn(x)
                best[i] = min(best[i], time.perf_counter() - start)
    return best


def plot_time_vs_length(lengths, times):
    """Time per sequence against its length on log-log axes, one line per number of threads; returns the figure.

    A dashed line of slope 1 marks "proportional to T": a fixed cost per step.
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.8))
    for n, seconds in times.items():
        label = tr("{count} threads", count=n) if n > 1 else tr("{count} thread", count=n)
        ax.plot(lengths, [s * 1e3 for s in seconds], "o-", label=label)
    first = times[min(times)]
    per_step = sorted(s / T for s, T in zip(first, lengths))[len(lengths) // 2]  # the median cost of a step
    ax.plot(lengths, [per_step * T * 1e3 for T in lengths], "k--", lw=0.8, label=tr("proportional to T"))
    ax.set(xscale="log", yscale="log", xlabel=tr("sequence length T (steps)"), ylabel=tr("time per sequence (ms)"),
           title=tr("nn.RNN: time to read one sequence"))
    ax.set_xticks(lengths, [str(T) for T in lengths])
    ax.legend()
    fig.tight_layout()
    return fig


# -- (b) gradient reaching the first step -------------------------------------------------------------------
def course_weights(module):
    """(W_x, W_h, b) in this course's layout from a PyTorch nn.RNN or nn.LSTM: (D, H·), (H, H·), one bias."""
    p = dict(module.named_parameters())
    return (p["weight_ih_l0"].T.detach(), p["weight_hh_l0"].T.detach(),
            (p["bias_ih_l0"] + p["bias_hh_l0"]).detach())


def run_lstm(lstm_cell, x, W_ih, W_hh, b):
    """Loop an `lstm_cell` over x (B, T, D) from zero states; the hidden states (B, T, H)."""
    B, H = x.shape[0], W_hh.shape[0]
    h, c = x.new_zeros(B, H), x.new_zeros(B, H)
    outputs = []
    for t in range(x.shape[1]):
        h, c = lstm_cell(x[:, t], h, c, W_ih, W_hh, b)  # (B, H) each
        outputs.append(h)
    return torch.stack(outputs, dim=1)  # T x (B, H) -> (B, T, H)


def gradient_to_first_step(kind, T, input_size=8, hidden=64, batch=16, forget_bias=None, seed=0,
                           rnn_forward=None, lstm_cell=None):
    """For t = 0..T-1, the norm of d(loss at step t)/d(input at step 0), averaged over a batch, at random init.

    The loss at step t is a fixed random read-out of the hidden state h_t. `kind` is "rnn" (run by
    `rnn_forward`) or "lstm" (a loop of `lstm_cell`), with the initial weights of nn.RNN or nn.LSTM, which
    run themselves when no `rnn_forward` or `lstm_cell` is given; `forget_bias` (LSTM only) replaces PyTorch's
    initial forget-gate bias.
    """
    torch.manual_seed(seed)
    model = nn.RNN(input_size, hidden, batch_first=True) if kind == "rnn" else nn.LSTM(input_size, hidden,
                                                                                      batch_first=True)
    if forget_bias is not None:
        open_forget_gate(model, forget_bias)
    weights = course_weights(model)
    x = torch.randn(batch, T, input_size, requires_grad=True)  # (B, T, D)
    readout = torch.randn(hidden)  # (H,)
    norms = []
    with threads(1):
        if kind == "rnn" and rnn_forward is not None:
            outputs, _ = rnn_forward(x, torch.zeros(batch, hidden), *weights)  # (B, T, H)
        elif kind == "lstm" and lstm_cell is not None:
            outputs = run_lstm(lstm_cell, x, *weights)  # (B, T, H)
        else:  # PyTorch's module, from zero states: the same recurrence with the same weights
            outputs, _ = model(x)  # (B, T, H)
        for t in range(T):
            loss = (outputs[:, t] @ readout).sum()  # (B, H) x (H,) -> (B,), summed
            (grad,) = torch.autograd.grad(loss, x, retain_graph=True)  # (B, T, D)
            norms.append(grad[:, 0].norm(dim=-1).mean().item())  # what reaches the input at step 0
    return norms


def plot_gradient_norms(curves):
    """Gradient norm at step 0 against the step t of the loss, log scale; `curves` maps label -> norms."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    for label, norms in curves.items():
        ax.plot(range(len(norms)), norms, label=label)
    ax.set(yscale="log", xlabel=tr("distance t (steps between the input and the loss)"),
           ylabel=tr("||d loss_t / d x_0|| (mean over batch)"),
           title=tr("Gradient reaching step 0 from the loss at step t"))
    ax.legend()
    fig.tight_layout()
    return fig


# -- (c) recall the first token -----------------------------------------------------------------------------
class Recaller(nn.Module):
    """An nn.RNN or nn.LSTM that reads the sequence; a linear layer reads its last state out as a symbol."""

    def __init__(self, kind, hidden=32, forget_bias=3.0):
        super().__init__()
        rnn = nn.RNN if kind == "rnn" else nn.LSTM
        self.rnn = rnn(VOCAB, hidden, batch_first=True)
        if kind == "lstm" and forget_bias is not None:
            open_forget_gate(self.rnn, forget_bias)
        self.head = nn.Linear(hidden, VOCAB)

    def forward(self, x):
        outputs, _ = self.rnn(x)  # (B, k, VOCAB) -> (B, k, H)
        return self.head(outputs[:, -1])  # the state after the last symbol: (B, H) -> (B, VOCAB)


def train_recall(kind, k, steps, hidden=32, lr=3e-3, batch=64, forget_bias=3.0, seed=0, patience=20):
    """Train a Recaller on sequences of length k; return its accuracy on 1000 fresh sequences.

    Training stops early once `patience` batches in a row are answered without a single error.
    """
    torch.manual_seed(seed)
    data = torch.Generator().manual_seed(seed)
    model = Recaller(kind, hidden, forget_bias)
    perfect = [0]  # batches in a row without an error

    def loss_fn(model, batch):
        x, y = batch
        logits = model(x)  # (B, VOCAB)
        perfect[0] = perfect[0] + 1 if bool((logits.argmax(dim=-1) == y).all()) else 0
        return nn.functional.cross_entropy(logits, y)

    fit(model, lambda step: recall_batch(batch, k, data), loss_fn, steps=steps, lr=lr, clip=1.0,
        until=lambda model: perfect[0] >= patience, check_every=1, desc=f"{kind}, k={k}")
    with threads(1), torch.no_grad():
        x, y = recall_batch(1000, k, torch.Generator().manual_seed(10_000 + seed))
        return (model(x).argmax(dim=-1) == y).float().mean().item()


def accuracy_vs_k(ks, steps, kinds=("rnn", "lstm"), **kwargs):
    """Accuracy of each kind of model on the recall task for each k (one progress bar over the runs)."""
    results = {kind: [] for kind in kinds}
    for k, kind in progress([(k, kind) for k in ks for kind in kinds], desc=tr("recall task")):
        results[kind].append(train_recall(kind, k, steps, **kwargs))
    return results


def plot_accuracy_vs_k(ks, results):
    """Accuracy against the distance k, one line per model, chance level dotted; returns the figure."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.8))
    for kind, accuracies in results.items():
        ax.plot(ks, accuracies, "o-", label={"rnn": "nn.RNN", "lstm": "nn.LSTM"}.get(kind, kind))
    ax.axhline(1 / VOCAB, color="grey", lw=0.8, ls=":", label=tr("chance (1/{vocab})", vocab=VOCAB))
    ax.set(xscale="log", xlabel=tr("k (steps between the symbol and the question)"), ylabel=tr("test accuracy"),
           title=tr("Recall the first of k symbols"), ylim=(0, 1.05))
    ax.set_xticks(ks, [str(k) for k in ks])
    ax.legend()
    fig.tight_layout()
    return fig
