"""Notebook 06's experiments: depth and work of a recurrence and of attention, counted and timed.

Every function takes the learner's pieces (`graph_depth`, `attention_all_positions`, the FLOP formulas) as
arguments; the notebook passes them through `yours_or_reference`. Everything runs on the CPU in seconds;
the timings run on `num_threads` threads (two by default: the machine the course is written for).
"""
import math
import time

import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.flop_counter import FlopCounterMode

from ..train import fit, threads


class SelfAttentionLayer(nn.Module):
    """One self-attention layer of width d_model: project, attend with `attention`, project out."""

    def __init__(self, d_model, attention):
        super().__init__()
        self.attention = attention  # attention(q, k, v, causal) -> (B, T, D): yours, or a fused kernel
        self.w_q, self.w_k, self.w_v, self.w_o = (nn.Linear(d_model, d_model) for _ in range(4))

    def forward(self, x, causal=False):
        return self.w_o(self.attention(self.w_q(x), self.w_k(x), self.w_v(x), causal))  # (B, T, D)


def fused_attention(q, k, v, causal=False):
    """PyTorch's fused kernel, F.scaled_dot_product_attention, with the signature of attention_all_positions."""
    return F.scaled_dot_product_attention(q, k, v, is_causal=causal)


class Recurrence(nn.Module):
    """nn.RNN or nn.LSTM of width d_model, returning only its outputs (B, T, D)."""

    def __init__(self, kind, d_model):
        super().__init__()
        self.rnn = (nn.RNN if kind == "rnn" else nn.LSTM)(d_model, d_model, batch_first=True)

    def forward(self, x, causal=True):
        return self.rnn(x)[0]  # (B, T, D)


def _lstm_cell_loop(d_model):
    """An LSTM run step by step with nn.LSTMCell, so that its autograd graph shows every step
    (nn.LSTM on the CPU is one fused kernel, a single node of the graph)."""
    cell = nn.LSTMCell(d_model, d_model)

    def run(x):
        B, T, D = x.shape
        h = c = x.new_zeros(B, D)
        outputs = []
        for t in range(T):
            h, c = cell(x[:, t], (h, c))  # (B, D), ((B, D), (B, D)) -> (B, D), (B, D)
            outputs.append(h)
        return torch.stack(outputs, dim=1)  # (B, T, D)
    return run


# -- (1) depth, counted on autograd graphs -------------------------------------------------------------------
def depth_table(graph_depth, attention, lengths, d_model=16, seed=0):
    """For each length T: the depth of each layer's graph, and of the path from position 0 to position T-1.

    The weights do not require gradients, so the graph holds only what depends on the inputs. "layer" depth:
    every position requires gradients; "path": only position 0 does, and we read the output at T-1.
    """
    torch.manual_seed(seed)
    layers = {
        "RNN": Recurrence("rnn", d_model).requires_grad_(False),
        "LSTM": _lstm_cell_loop(d_model),
        "attention": SelfAttentionLayer(d_model, attention).requires_grad_(False),
    }
    rows = []
    with threads(1):
        for T in lengths:
            row = {"T": T}
            for name, layer in layers.items():
                call = (lambda x, layer=layer: layer(x, causal=True)) if name == "attention" else layer
                x = torch.randn(1, T, d_model, requires_grad=True)  # (B, T, D)
                with torch.enable_grad():
                    row[f"{name} layer"] = graph_depth(call(x))
                    first = torch.randn(1, 1, d_model, requires_grad=True)  # only position 0 is a leaf
                    rest = torch.randn(1, T - 1, d_model)  # the others are constants
                    row[f"{name} path"] = graph_depth(call(torch.cat([first, rest], dim=1))[:, -1])
            rows.append(row)
    return rows


def ops_per_step(rows, name):
    """The slope and intercept of the depth of `name`'s layer against T (least squares): depth = a·T + b."""
    T = torch.tensor([float(r["T"]) for r in rows])
    depth = torch.tensor([float(r[f"{name} layer"]) for r in rows])
    a = float(((T - T.mean()) * (depth - depth.mean())).sum() / ((T - T.mean()) ** 2).sum())
    return a, float(depth.mean() - a * T.mean())


# -- (2) work, counted by FlopCounterMode --------------------------------------------------------------------
def counted_flops(layer, T, d_model):
    """FLOPs that FlopCounterMode counts in one forward pass of `layer` on one sequence of length T."""
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        layer(torch.randn(1, T, d_model))
    return counter.get_total_flops()


def work_table(rnn_flops, attention_flops, attention, lengths, d_model=64, seed=0):
    """Formulas against FlopCounterMode on real layers, and the memory that grows with T in each layer."""
    torch.manual_seed(seed)
    rnn, layer = Recurrence("rnn", d_model), SelfAttentionLayer(d_model, attention)
    rows = []
    for T in lengths:
        rows.append({
            "T": T,
            "RNN formula": rnn_flops(T, d_model), "RNN counted": counted_flops(rnn, T, d_model),
            "attention formula": attention_flops(T, d_model),
            "attention counted": counted_flops(layer, T, d_model),
            "RNN states (bytes)": T * d_model * 4,  # the T hidden states kept for the backward pass, float32
            "attention scores (bytes)": T * T * 4,  # the (T, T) weights of one head, float32
        })
    return rows


# -- (3) wall time -------------------------------------------------------------------------------------------
def time_layers(attention, lengths, d_model=64, repeats=3, num_threads=2, seed=0):
    """Best-of-`repeats` seconds of an RNN, an LSTM and a self-attention layer on one sequence of each length.

    Returns {layer: {"forward": [...], "forward+backward": [...]}}. Lengths and layers are timed in turns,
    so a moment when the machine is busy slows one run of each rather than every run of one.
    """
    torch.manual_seed(seed)
    layers = {"RNN": Recurrence("rnn", d_model), "LSTM": Recurrence("lstm", d_model),
              "attention": SelfAttentionLayer(d_model, attention)}
    inputs = [torch.randn(1, T, d_model) for T in lengths]
    times = {name: {"forward": [math.inf] * len(lengths), "forward+backward": [math.inf] * len(lengths)}
             for name in layers}

    def forward(layer, x):
        with torch.no_grad():
            layer(x, causal=True)

    def forward_backward(layer, x):
        layer(x, causal=True).sum().backward()

    with threads(num_threads):
        for round_ in range(repeats + 1):  # round 0 warms up the thread pool and the allocator
            for i, x in enumerate(inputs):
                for name, layer in layers.items():
                    for mode, run in (("forward", forward), ("forward+backward", forward_backward)):
                        start = time.perf_counter()
                        run(layer, x)
                        seconds = time.perf_counter() - start
                        if round_ > 0:
                            times[name][mode][i] = min(times[name][mode][i], seconds)
    return times


def crossover(lengths, slow_later, fast_later):
    """The length (interpolated on log axes) from which `slow_later` stays slower than `fast_later` up to the
    longest length measured, or None if it is not slower at the longest; a noisy early crossing is skipped."""
    ratio = [s / f for s, f in zip(slow_later, fast_later)]
    if ratio[-1] <= 1:
        return None
    i = len(ratio) - 1
    while i > 0 and ratio[i - 1] > 1:
        i -= 1
    if i == 0:
        return lengths[0]
    f = math.log(1 / ratio[i - 1]) / math.log(ratio[i] / ratio[i - 1])  # where the ratio crosses 1
    return math.exp(math.log(lengths[i - 1]) + f * math.log(lengths[i] / lengths[i - 1]))


def plot_wall_time(lengths, times):
    """Seconds per sequence against T, forward and forward+backward, one line per layer; returns the figure."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
    for ax, mode in zip(axes, ("forward", "forward+backward")):
        for name, style in (("RNN", "o-"), ("LSTM", "s-"), ("attention", "^-")):
            ax.plot(lengths, [s * 1e3 for s in times[name][mode]], style, label=name)
        ax.set(xscale="log", yscale="log", xlabel="sequence length T", title=mode)
        ax.set_xticks(lengths, [str(T) for T in lengths])
    axes[0].set_ylabel("time per sequence (ms)")
    axes[0].legend()
    fig.tight_layout()
    return fig


# -- (4) the model: time = work / cores + depth x step latency -----------------------------------------------
def fit_cost_model(work, depth, seconds, cores=2):
    """Fit seconds ≈ overhead + work / (cores · flops_per_core) + depth · latency, in relative error.

    `work`, `depth`, `seconds` are lists over measurements (any layers). The three coefficients are kept
    non-negative: among the subsets of them, the best fit whose coefficients are all >= 0 is taken.
    """
    X = torch.tensor([[1.0, w, d] for w, d in zip(work, depth)], dtype=torch.float64)
    y = torch.tensor(seconds, dtype=torch.float64)
    Xr, yr = X / y[:, None], torch.ones_like(y)  # relative errors: every measurement counts alike
    best = None
    for keep in ([0, 1, 2], [1, 2], [0, 1], [0, 2], [1], [2]):
        sol = torch.linalg.lstsq(Xr[:, keep], yr[:, None]).solution[:, 0]
        if (sol < 0).any():
            continue
        coef = torch.zeros(3, dtype=torch.float64)
        coef[keep] = sol
        error = float(((Xr @ coef - yr) ** 2).mean())
        if best is None or error < best[0]:
            best = (error, coef)
    error, (overhead, per_flop, latency) = best
    return {"overhead": float(overhead), "flops per core": 1 / (float(per_flop) * cores) if per_flop > 0 else math.inf,
            "latency": float(latency), "relative error": math.sqrt(error)}


def predict(model, work, depth, cores):
    """Seconds the fitted model predicts for a layer of this work and depth on `cores` cores."""
    return model["overhead"] + work / (cores * model["flops per core"]) + depth * model["latency"]


def plot_cost_model(model, lengths, rnn_work, attention_work, rnn_depth, attention_depth, measured,
                    cores=(2, 64, 10_000)):
    """The fitted model's time for the RNN and the attention layer against T, one panel per number of cores;
    the measured forward times on the first panel. Returns the figure."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(cores), figsize=(12, 3.6), sharey=True)
    for ax, p in zip(axes, cores):
        for name, work, depth, style in (("RNN", rnn_work, rnn_depth, "-"),
                                         ("attention", attention_work, attention_depth, "--")):
            ax.plot(lengths, [predict(model, work(T), depth(T), p) * 1e3 for T in lengths], style,
                    label=f"{name}, model")
            if p == cores[0]:
                ax.plot(measured["T"], [s * 1e3 for s in measured[name]], "o" if name == "RNN" else "^",
                        color=ax.lines[-1].get_color(), label=f"{name}, measured")
        ax.set(xscale="log", yscale="log", xlabel="sequence length T", title=f"{p:,} cores")
    axes[0].set_ylabel("forward time per sequence (ms)")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    return fig


# -- (5) gradients along the sequence ------------------------------------------------------------------------
def attention_gradient_to_first_step(attention, T, input_size=8, hidden=64, batch=16, seed=0):
    """For t = 0..T-1, the norm of d(loss at t)/d(input at 0) through one causal self-attention layer.

    The same set-up as notebook 01's `gradient_to_first_step`: width `hidden`, inputs of width `input_size`,
    a fixed random read-out of the output at t, averaged over a batch, at random initialisation.
    """
    torch.manual_seed(seed)
    w_q, w_k, w_v = (nn.Linear(input_size, hidden) for _ in range(3))
    x = torch.randn(batch, T, input_size, requires_grad=True)  # (B, T, D)
    readout = torch.randn(hidden)  # (H,)
    norms = []
    with threads(1):
        outputs = attention(w_q(x), w_k(x), w_v(x), True)  # (B, T, H)
        for t in range(T):
            loss = (outputs[:, t] @ readout).sum()  # (B, H) x (H,) -> (B,), summed
            (grad,) = torch.autograd.grad(loss, x, retain_graph=True)  # (B, T, D)
            norms.append(grad[:, 0].norm(dim=-1).mean().item())
    return norms


# -- (6) what a fused kernel buys --------------------------------------------------------------------------------
def time_fused(attention, lengths, num_heads=4, d_head=16, repeats=3, num_threads=2, seed=0):
    """Best-of seconds, forward and backward, of `attention` and of F.scaled_dot_product_attention (causal)."""
    torch.manual_seed(seed)
    result = {"yours": [math.inf] * len(lengths), "fused": [math.inf] * len(lengths)}
    qkv = [torch.randn(3, 1, num_heads, T, d_head) for T in lengths]  # q, k, v stacked: (3, B, h, T, d)
    with threads(num_threads):
        for round_ in range(repeats + 1):
            for i, stacked in enumerate(qkv):
                for name, fn in (("yours", attention), ("fused", fused_attention)):
                    q, k, v = stacked.clone().requires_grad_(True)
                    start = time.perf_counter()
                    fn(q, k, v, True).sum().backward()
                    seconds = time.perf_counter() - start
                    if round_ > 0:
                        result[name][i] = min(result[name][i], seconds)
    return result


class _Tagger(nn.Module):
    """Embed tokens, run one sequence layer, read out a token per position: the smallest trainable model."""

    def __init__(self, layer, vocab, d_model):
        super().__init__()
        self.embed, self.layer, self.head = nn.Embedding(vocab, d_model), layer, nn.Linear(d_model, vocab)

    def forward(self, tokens):
        return self.head(self.layer(self.embed(tokens), causal=True))  # (B, T) -> (B, T, D) -> (B, T, vocab)


def training_throughput(attention, lengths, d_model=64, batch=8, repeats=3, num_threads=2, vocab=16, seed=0):
    """Tokens per second of training (forward, backward, Adam step) for an LSTM layer and an attention layer.

    The task is to output the previous token (any task does: only the speed is measured). Every model
    takes one warm-up step, then `repeats` single steps; the fastest counts. Returns {"LSTM": [...],
    "attention": [...]}, one number per length.
    """
    result = {"LSTM": [], "attention": []}
    for T in lengths:
        data = torch.Generator().manual_seed(seed)
        tokens = torch.randint(0, vocab, (batch, T), generator=data)  # one batch, reused: (B, T)

        def loss_fn(model, tokens):
            logits = model(tokens)  # (B, T, vocab)
            return F.cross_entropy(logits[:, 1:].reshape(-1, vocab), tokens[:, :-1].reshape(-1))

        for name in result:
            torch.manual_seed(seed)
            layer = Recurrence("lstm", d_model) if name == "LSTM" else SelfAttentionLayer(d_model, attention)
            model = _Tagger(layer, vocab, d_model)
            optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
            fit(model, lambda step: tokens, loss_fn, steps=1, optimizer=optimizer, num_threads=num_threads)
            best = min(fit(model, lambda step: tokens, loss_fn, steps=1, optimizer=optimizer,
                           num_threads=num_threads).seconds for _ in range(repeats))
            result[name].append(batch * T / best)
    return result
