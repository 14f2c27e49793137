"""Notebook 06's experiments: depth and work of a recurrence and of attention, counted and timed.

Every function takes the learner's pieces (`graph_depth`, `attention_all_positions`, the FLOP formulas) as
arguments; the notebook passes them through `yours_or_reference`. Everything runs on the CPU in seconds;
the timings run on `num_threads` threads (two by default: the machine the course is written for).
"""
import math
import time
import unicodedata

import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.flop_counter import FlopCounterMode

from ..i18n import tr
from ..train import shrink, threads
from . import claims


def _width(text):
    """The columns `text` takes in a fixed-width font: two for a Chinese character, one for the rest."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _right(text, width):
    """`text` right-aligned in `width` columns (as f"{text:>{width}}" for Latin text)."""
    return " " * max(width - _width(text), 0) + text


def _centre(text, width):
    """`text` centred in `width` columns (as f"{text:^{width}}" for Latin text)."""
    pad = max(width - _width(text), 0)
    return " " * (pad // 2) + text + " " * (pad - pad // 2)


def _mode(mode):
    """A timing mode as the learner reads it; "forward" and "forward+backward" stay the keys of the results."""
    return {"forward": tr("forward"), "forward+backward": tr("forward+backward")}.get(mode, mode)


def _layer(name):
    """A layer's name as the learner reads it; "RNN", "LSTM" and "attention" stay the keys of the results."""
    return tr("attention") if name == "attention" else name


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


def work_claims(rnn_flops, attention_flops, lengths, d_model, whose):
    """The sentences of section 1, from the formulas that ran (`whose`: 'your formulas' or 'the reference's')."""
    out = []
    for T in lengths:
        ratio = attention_flops(T, d_model) / rnn_flops(T, d_model)
        out.append(claims.Claim(tr("T = {T:>4}: attention does {ratio:4.1f}x the RNN's work", T=T, ratio=ratio),
                                "reported", {"T": T, "ratio": ratio}))
    T_all = range(1, 8 * d_model + 1)
    least = min(attention_flops(T, d_model) / rnn_flops(T, d_model) for T in T_all)
    quadratic = next((T for T in T_all if 4 * T * T * d_model >= 4 * T * d_model ** 2), None)
    text = tr("With {whose}, attention does at least {least:.1f}x the RNN's work at every length up to {longest}: its "
              "four projections alone cost 8·T·D², twice the RNN's 4·T·D². Its T² terms (scores and mixing, 4·T²·D) "
              "add as much again as the whole RNN from T = {quadratic} = D on, so the gap grows with T.", whose=whose,
              least=least, longest=8 * d_model, quadratic=quadratic)
    out.append(claims.Claim(text, "attention does more work" if least > 1 else "not more work",
                            {"least ratio": least, "quadratic from": quadratic}))
    return out


# -- (3) wall time -------------------------------------------------------------------------------------------
TIME_LENGTHS = shrink((16, 32, 64, 128, 256, 512), (16, 64, 256))  # the notebook's lengths, section 4
FUSED_LENGTHS = shrink((64, 256, 512), (64, 256))  # section 7
TRAIN_LENGTHS = shrink((32, 128, 512), (32, 128))  # section 7, training throughput
LAYERS = ("RNN", "LSTM", "attention")


def devices():
    """The devices this machine can time on: the CPU always, the first GPU where torch sees one."""
    return ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


def device_name(device):
    """'CPU, 2 threads' or the GPU's name: what the notebook prints beside each number."""
    if device == "cpu":
        return tr("CPU ({count} threads)", count=torch.get_num_threads())
    return f"GPU ({torch.cuda.get_device_name(0)})"  # no words to translate


def _sync(device):
    return torch.cuda.synchronize if device == "cuda" else None


def time_layers(attention, lengths, d_model=64, repeats=None, num_threads=2, seed=0, device="cpu", budget=8.0):
    """Repeated seconds of an RNN, an LSTM and a self-attention layer on one sequence of each length.

    Returns ({layer: {"forward": [Timing per length], "forward+backward": [...]}}, Load). Lengths and layers
    are timed in turns, round after round, so a moment when the machine is busy slows one run of each rather
    than every run of one. `repeats` None: `claims.repeats_for` the load measured just before (more runs on a
    busy machine); after `budget` seconds no new round starts (but at least claims.MIN_ROUNDS run). On the GPU
    the clock waits for the queued kernels (torch.cuda.synchronize).
    """
    torch.manual_seed(seed)
    layers = {"RNN": Recurrence("rnn", d_model), "LSTM": Recurrence("lstm", d_model),
              "attention": SelfAttentionLayer(d_model, attention)}
    layers = {name: layer.to(device) for name, layer in layers.items()}
    inputs = [torch.randn(1, T, d_model, device=device) for T in lengths]
    repeats = repeats or claims.repeats_for(claims.measure_load())
    samples = {name: {mode: [[] for _ in lengths] for mode in ("forward", "forward+backward")} for name in layers}
    sync = _sync(device)

    def forward(layer, x):
        with torch.no_grad():
            layer(x, causal=True)

    def forward_backward(layer, x):
        layer(x, causal=True).sum().backward()

    with threads(num_threads), claims.watch_load() as load:
        begin = time.perf_counter()
        for round_ in range(repeats + 1):  # round 0 warms up the thread pool and the allocator
            if round_ > claims.MIN_ROUNDS and time.perf_counter() - begin > budget:
                break
            for i, x in enumerate(inputs):
                for name, layer in layers.items():
                    for mode, run in (("forward", forward), ("forward+backward", forward_backward)):
                        if sync:
                            sync()
                        start = time.perf_counter()
                        run(layer, x)
                        if sync:
                            sync()
                        seconds = time.perf_counter() - start
                        if round_ > 0:
                            samples[name][mode][i].append(seconds)
    times = {name: {mode: [claims.Timing(s) for s in per_length] for mode, per_length in modes.items()}
             for name, modes in samples.items()}
    return times, load


def medians(timings):
    """The medians of a list of `Timing`s, in seconds."""
    return [t.median for t in timings]


def verdicts_by_length(lengths, times, mode, rnn):
    """For each length: is attention 'faster', 'slower' or 'inconclusive' against `rnn` in this mode?"""
    return [(T, claims.compare(a, r)) for T, a, r in zip(lengths, times["attention"][mode], times[rnn][mode])]


def _spans(pairs):
    """[(16, 'faster'), (32, 'faster'), (64, 'slower')] -> 'faster at T = 16-32, slower at T = 64'."""
    parts, start = [], 0
    for i in range(1, len(pairs) + 1):
        if i == len(pairs) or pairs[i][1] != pairs[start][1]:
            lo, hi = pairs[start][0], pairs[i - 1][0]
            where = f"T = {lo}" if lo == hi else f"T = {lo}-{hi}"
            parts.append(_verdict_at(pairs[start][1], where))
            start = i
    return tr(", ").join(parts)


def _verdict_at(verdict, where):
    """'faster at T = 16-32': a verdict of claims.compare and the lengths it holds for."""
    if verdict == "faster":
        return tr("faster at {where}", where=where)
    if verdict == "slower":
        return tr("slower at {where}", where=where)
    if verdict == "inconclusive":
        return tr("inconclusive at {where}", where=where)
    return f"{verdict} at {where}"


def wall_time_claims(lengths, times, load, attention_work):
    """The sentences of section 4, each chosen by the numbers (see course_lib.experiments.claims).

    Returns a list of `claims.Claim`: who is faster at which lengths, and how the time grew against the work.
    """
    out = []
    for mode in ("forward", "forward+backward"):
        for rnn in ("RNN", "LSTM"):
            pairs = verdicts_by_length(lengths, times, mode, rnn)
            text = tr("{mode}: attention against the {rnn}: {spans}", mode=_right(_mode(mode), 16), rnn=rnn,
                      spans=_spans(pairs))
            kinds = {v for _, v in pairs}
            if "faster" in kinds and "slower" in kinds:
                last_fast = max(T for T, v in pairs if v == "faster")
                first_slow = min(T for T, v in pairs if v == "slower" and T > last_fast) if any(
                    v == "slower" and T > last_fast for T, v in pairs) else None
                if first_slow:
                    text += tr("; the lines cross between T = {before} and T = {after} on this machine",
                               before=last_fast, after=first_slow)
            elif kinds == {"inconclusive"}:
                text += tr(" ({why})", why=claims.why_inconclusive(load))
            out.append(claims.Claim(text, "by length", {"mode": mode, "rnn": rnn, "pairs": pairs,
                                                         "attention": times["attention"][mode],
                                                         "other": times[rnn][mode]}))
    work_growth = attention_work(lengths[-1]) / attention_work(lengths[0])
    for name in LAYERS:
        first, last = times[name]["forward"][0], times[name]["forward"][-1]
        growth, low, high = claims.ratio_range(last, first)
        if high < work_growth / claims.TREND_RATIO:
            verdict = "less"
        elif low > work_growth / claims.TREND_RATIO:
            verdict = "as much"
        else:
            verdict = "inconclusive"
        if name == "attention":
            text = tr("From T = {first} to {last} attention's forward time grew {growth:.1f}x (range "
                      "{low:.1f}-{high:.1f}x) while its work grew {work:.0f}x: ", first=lengths[0], last=lengths[-1],
                      growth=growth, low=low, high=high, work=work_growth)
            if verdict == "less":
                text += tr("it grew far less than the work: most of the time at short lengths is not arithmetic but "
                           "fixed costs and waiting.")
            elif verdict == "as much":
                text += tr("it grew about as much as the work: the time follows the work: this machine is busy "
                           "computing at these lengths.")
            else:
                text += tr("whether it follows the work is inconclusive here: {why}.",
                           why=claims.why_inconclusive(load))
        else:
            text = tr("The {name}'s forward time grew {growth:.1f}x (range {low:.1f}-{high:.1f}x) over the same "
                      "lengths, {longer}x longer.", name=name, growth=growth, low=low, high=high,
                      longer=lengths[-1] // lengths[0])
            verdict = "reported"
        out.append(claims.Claim(text, verdict, {"growth": (growth, low, high), "work growth": work_growth,
                                                "layer": name}))
    return out


def time_table(lengths, times, device_label):
    """The section-4 table as text: median (range) in ms per layer, forward and forward+backward."""
    lines = [tr("on the {device}: median of the runs, in ms, and the middle half of the runs", device=device_label)]
    for mode in ("forward", "forward+backward"):
        lines.append(tr("{mode}:", mode=_mode(mode)))
        lines.append(f"{'T':>5} | " + " | ".join(_centre(_layer(n), 22) for n in LAYERS))
        for i, T in enumerate(lengths):
            lines.append(f"{T:>5} | " + " | ".join(f"{times[n][mode][i].ms():^22}" for n in LAYERS))
    return "\n".join(lines)


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


def plot_wall_time(lengths, times, device_label="CPU"):
    """Median seconds per sequence against T, with the range of the runs as error bars, forward and
    forward+backward, one line per layer; returns the figure."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
    for ax, mode in zip(axes, ("forward", "forward+backward")):
        for name, style in (("RNN", "o-"), ("LSTM", "s-"), ("attention", "^-")):
            t = times[name][mode]
            mid = [x.median * 1e3 for x in t]
            err = [[m - x.low * 1e3 for m, x in zip(mid, t)], [x.high * 1e3 - m for m, x in zip(mid, t)]]
            ax.errorbar(lengths, mid, yerr=err, fmt=style, capsize=3, label=_layer(name))
        ax.set(xscale="log", yscale="log", xlabel=tr("sequence length T"),
               title=tr("{mode}, {device}", mode=_mode(mode), device=device_label))
        ax.set_xticks(lengths, [str(T) for T in lengths])
        ax.minorticks_off()
    axes[0].set_ylabel(tr("time per sequence (ms): median, range"))
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


def fit_claim(model, load):
    """Whether the fitted model explains the times: only within claims.GOOD_FIT of relative error."""
    error = model["relative error"]
    if claims.fit_is_good(error):
        text = tr("The model explains these times within {error:.0%} (relative rms error, at most {limit:.0%} counts "
                  "as a good fit here).", error=error, limit=claims.GOOD_FIT)
        verdict = "good"
    else:
        text = tr("The model fits these times poorly: {error:.0%} relative rms error, above the {limit:.0%} this "
                  "notebook accepts, so read its extrapolations below as rough. ", error=error, limit=claims.GOOD_FIT)
        text += (tr("Other work used {other:.1f} of {cores} cores while the times were taken, and adds time that no "
                    "model of the layer can predict.", other=load.other_cores, cores=load.cores) if load.busy else
                 tr("Something besides work and depth costs time here (caches, memory allocation)."))
        verdict = "poor"
    return claims.Claim(text, verdict, {"relative error": error})


def crossover_claims(crossovers):
    """The model's crossover lengths for growing numbers of cores, and whether more cores favour attention.

    `crossovers` is {cores: T or None}, None meaning beyond every length tried (attention wins throughout).
    """
    order = sorted(crossovers)
    value = [math.inf if crossovers[c] is None else crossovers[c] for c in order]
    grows = all(b >= a for a, b in zip(value, value[1:])) and value[-1] > value[0]
    if grows:
        text = tr("In the model, more cores shrink only the work term; the recurrence's T x L of latency never "
                  "shrinks, so the more parallel the machine, the longer the sequences on which attention wins.")
    else:
        text = tr("Here the fitted model does not move the crossover to longer sequences as cores are added (its "
                  "latency term is too small to matter on this machine's numbers), so it cannot show the argument; see "
                  "the fit's error above.")
    return claims.Claim(text, "more cores favour attention" if grows else "no trend",
                        {"crossovers": crossovers})


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
                    label=tr("{name}, model", name=_layer(name)))
            if p == cores[0]:
                ax.plot(measured["T"], [s * 1e3 for s in measured[name]], "o" if name == "RNN" else "^",
                        color=ax.lines[-1].get_color(), label=tr("{name}, measured", name=_layer(name)))
        ax.set(xscale="log", yscale="log", xlabel=tr("sequence length T"),
               title=tr("{cores:,} cores", cores=p) if p > 1 else tr("{cores:,} core", cores=p))
    axes[0].set_ylabel(tr("forward time per sequence (ms)"))
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


def gradient_claims(curves, far):
    """How the gradient falls with distance through each layer, compared in orders of magnitude."""
    fall = {label: norms[1] / norms[far] for label, norms in curves.items()}
    att = "self-attention (causal)"
    out = []
    speed = claims.decay_speed(fall["RNN"], fall[att])
    text = tr("Over {positions} more positions the gradient through attention falls {attention:.0f}x, through the RNN "
              "{rnn:.0e}x: ", positions=far - 1, attention=fall[att], rnn=fall["RNN"])
    text += (tr("every key is a single attention step from every query (the fall through attention comes from query t "
                "sharing its weight among t + 1 keys), while the recurrence multiplies one Jacobian per step.")
             if speed == "faster" else tr("no clear difference here."))
    out.append(claims.Claim(text, speed, {"falls": fall, "pair": ("RNN", att)}))
    speed = claims.decay_speed(fall["LSTM"], fall["RNN"])
    numbers = {"lstm": math.log10(fall["LSTM"]), "rnn": math.log10(fall["RNN"]), "positions": far - 1,
               "same": claims.SAME_DECAY}
    if speed == "alike":
        text = tr("At random initialisation the gradient through the LSTM falls about as fast as through the RNN: "
                  "{lstm:.1f} against {rnn:.1f} orders of magnitude over {positions} positions (they differ when one "
                  "is {same:.2f}x the other and at least one order apart).", **numbers)
        text += tr(" An untrained LSTM's forget gates sit near 0.5, so its cell state fades too; the LSTM's advantage "
                   "comes once training opens those gates.")
    elif speed == "faster":
        text = tr("At random initialisation the gradient through the LSTM falls faster than through the RNN: "
                  "{lstm:.1f} against {rnn:.1f} orders of magnitude over {positions} positions (they differ when one "
                  "is {same:.2f}x the other and at least one order apart).", **numbers)
    else:
        text = tr("At random initialisation the gradient through the LSTM falls more slowly than through the RNN: "
                  "{lstm:.1f} against {rnn:.1f} orders of magnitude over {positions} positions (they differ when one "
                  "is {same:.2f}x the other and at least one order apart).", **numbers)
    out.append(claims.Claim(text, speed, {"falls": fall, "pair": ("LSTM", "RNN")}))
    return out


# -- (6) what a fused kernel buys --------------------------------------------------------------------------------
def time_fused(attention, lengths, num_heads=4, d_head=16, repeats=None, num_threads=2, seed=0, device="cpu",
               budget=5.0):
    """Repeated seconds, forward and backward, of `attention` and of F.scaled_dot_product_attention (causal).

    Returns ({"yours": [Timing per length], "fused": [...]}, Load)."""
    torch.manual_seed(seed)
    repeats = repeats or claims.repeats_for(claims.measure_load())
    samples = {"yours": [[] for _ in lengths], "fused": [[] for _ in lengths]}
    qkv = [torch.randn(3, 1, num_heads, T, d_head, device=device) for T in lengths]  # q, k, v: (3, B, h, T, d)
    sync = _sync(device)
    with threads(num_threads), claims.watch_load() as load:
        begin = time.perf_counter()
        for round_ in range(repeats + 1):
            if round_ > claims.MIN_ROUNDS and time.perf_counter() - begin > budget:
                break
            for i, stacked in enumerate(qkv):
                for name, fn in (("yours", attention), ("fused", fused_attention)):
                    q, k, v = stacked.clone().requires_grad_(True)
                    if sync:
                        sync()
                    start = time.perf_counter()
                    fn(q, k, v, True).sum().backward()
                    if sync:
                        sync()
                    if round_ > 0:
                        samples[name][i].append(time.perf_counter() - start)
    return {name: [claims.Timing(x) for x in per_length] for name, per_length in samples.items()}, load


def fused_claims(lengths, fused, load):
    """Per length: is the fused kernel faster than the four separate operations, beyond the noise?"""
    out = []
    for T, yours, theirs in zip(lengths, fused["yours"], fused["fused"]):
        verdict = claims.compare(theirs, yours)
        ratio, low, high = claims.ratio_range(yours, theirs)
        text = tr("T = {T:>4}: yours {yours}, fused {fused}: ", T=T, yours=yours.ms(), fused=theirs.ms())
        if verdict == "faster":
            text += tr("the fused kernel is {ratio:.1f}x faster (range {low:.1f}-{high:.1f}x)", ratio=ratio, low=low,
                       high=high)
        elif verdict == "slower":
            text += tr("the fused kernel is slower here ({times:.1f}x your time)", times=1 / ratio)
        else:
            text += tr("no clear difference ({ratio:.1f}x, range {low:.1f}-{high:.1f}x: {why})", ratio=ratio, low=low,
                       high=high, why=claims.why_inconclusive(load))
        out.append(claims.Claim(text, verdict, {"T": T, "fused": theirs, "yours": yours}))
    return out


class _Tagger(nn.Module):
    """Embed tokens, run one sequence layer, read out a token per position: the smallest trainable model."""

    def __init__(self, layer, vocab, d_model):
        super().__init__()
        self.embed, self.layer, self.head = nn.Embedding(vocab, d_model), layer, nn.Linear(d_model, vocab)

    def forward(self, tokens):
        return self.head(self.layer(self.embed(tokens), causal=True))  # (B, T) -> (B, T, D) -> (B, T, vocab)


def training_throughput(attention, lengths, d_model=64, batch=8, repeats=None, num_threads=2, vocab=16, seed=0,
                        budget=1.5):
    """Seconds of one training step (forward, backward, Adam step) for an LSTM layer and an attention layer.

    The task is to output the previous token (any task does: only the speed is measured). Every model takes
    one warm-up step, then `repeats` timed steps (fewer once `budget` seconds are spent on one model and
    length, never under claims.MIN_ROUNDS). Returns ({"LSTM": [Timing per length], "attention": [...]},
    Load); tokens per second are batch * T / seconds.
    """
    repeats = repeats or claims.repeats_for(claims.measure_load())
    result = {"LSTM": [], "attention": []}
    with threads(num_threads), claims.watch_load() as load:
        for T in lengths:
            data = torch.Generator().manual_seed(seed)
            tokens = torch.randint(0, vocab, (batch, T), generator=data)  # one batch, reused: (B, T)
            for name in result:
                torch.manual_seed(seed)
                layer = Recurrence("lstm", d_model) if name == "LSTM" else SelfAttentionLayer(d_model, attention)
                model = _Tagger(layer, vocab, d_model)
                optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

                def step():
                    logits = model(tokens)  # (B, T, vocab)
                    loss = F.cross_entropy(logits[:, 1:].reshape(-1, vocab), tokens[:, :-1].reshape(-1))
                    optimizer.zero_grad()
                    loss.backward()
                    optimizer.step()

                result[name].append(claims.time_runs(step, repeats, budget=budget))
    return result, load


def throughput_claims(lengths, steps, load, batch=8):
    """Attention's training throughput relative to the LSTM's at each length, and its trend, by the numbers."""
    ratios = [claims.ratio_range(lstm, att) for lstm, att in zip(steps["LSTM"], steps["attention"])]
    rows = [claims.Claim(tr("T = {T:>4}: LSTM {lstm:>9,.0f} tokens/s, attention {attention:>9,.0f} tokens/s: "
                            "attention {ratio:.1f}x (range {low:.1f}-{high:.1f}x)", T=T, lstm=batch * T / lstm.median,
                            attention=batch * T / att.median, ratio=r, low=lo, high=hi),
                         "reported", {"T": T, "ratio": (r, lo, hi)})
            for T, lstm, att, (r, lo, hi) in zip(lengths, steps["LSTM"], steps["attention"], ratios)]
    (r0, lo0, hi0), (r1, lo1, hi1) = ratios[0], ratios[-1]
    direction = claims.trend(r0, r1, (lo0, hi0), (lo1, hi1))
    text = tr("Attention's throughput relative to the LSTM goes from {first:.1f}x at T = {first_T} to {last:.1f}x at "
              "T = {last_T}: ", first=r0, first_T=lengths[0], last=r1, last_T=lengths[-1])
    if direction == "falls":
        text += tr("its advantage falls as T grows here: a batch of 8 gives each LSTM step 8 sequences of independent "
                   "work, while attention's work grows as T².")
    elif direction == "grows":
        text += tr("its advantage grows with T here: the LSTM's steps, one after the other, cost more the longer the "
                   "sequence.")
    elif load.busy:
        text += tr("no clear trend (a change counts from {ratio}x with the ranges apart; {why}).",
                   ratio=claims.TREND_RATIO, why=claims.why_inconclusive(load))
    else:
        text += tr("no clear trend (a change counts from {ratio}x with the ranges apart).", ratio=claims.TREND_RATIO)
    return rows, claims.Claim(text, direction, {"first": ratios[0], "last": ratios[-1]})


# -- (7) a loop over the queries against one batched computation -------------------------------------------------
def graph_size(output):
    """The number of operations in the autograd graph of `output` (AccumulateGrad nodes not counted)."""
    seen, stack = set(), [output.grad_fn] if output.grad_fn is not None else []
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        stack.extend(n for n, _ in node.next_functions if n is not None and type(n).__name__ != "AccumulateGrad")
    return len(seen)


def loop_versus_batched(attention, loop, graph_depth, T=256, d=16, batch=2, repeats=None, seed=0):
    """The batched attention against the handed-out loop over queries: values, depth, number of operations, time.

    Returns a dict with the greatest difference, both graphs' depth and size, both `Timing`s and the Load.
    """
    torch.manual_seed(seed)
    q, k, v = (torch.randn(batch, T, d, requires_grad=True) for _ in range(3))  # (B, T, d)
    batched, looped = attention(q, k, v, True), loop(q, k, v, True)
    result = {"difference": (batched - looped).abs().max().item(), "T": T,
              "depth": {"batched": graph_depth(batched), "loop": graph_depth(looped)},
              "operations": {"batched": graph_size(batched), "loop": graph_size(looped)}}
    repeats = repeats or claims.repeats_for(claims.measure_load())
    with torch.no_grad(), threads(1), claims.watch_load() as load:
        result["batched"] = claims.time_runs(lambda: attention(q, k, v, True), repeats, budget=1.0)
        result["loop"] = claims.time_runs(lambda: loop(q, k, v, True), repeats, budget=2.0)
    result["load"] = load
    verdict = claims.compare(result["batched"], result["loop"])
    ratio, low, high = claims.ratio_range(result["loop"], result["batched"])
    text = tr("batched {batched}, loop over the {T} queries {loop}: ", batched=result["batched"].ms(), T=T,
              loop=result["loop"].ms())
    if verdict == "faster":
        text += tr("the loop takes {ratio:.0f}x the time (range {low:.0f}-{high:.0f}x): it runs {loop_operations} "
                   "operations, one after another from Python, where the batched version runs {batched_operations}.",
                   ratio=ratio, low=low, high=high, loop_operations=result["operations"]["loop"],
                   batched_operations=result["operations"]["batched"])
    elif verdict == "slower":
        text += tr("the loop is faster here, against the count of operations.")
    else:
        text += tr("no clear difference ({why}).", why=claims.why_inconclusive(load))
    result["claim"] = claims.Claim(text, verdict, {"batched": result["batched"], "loop": result["loop"]})
    return result
