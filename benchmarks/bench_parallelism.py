"""Notebook 06's numbers for `make bench`: wall time of an RNN, an LSTM and self-attention against T (16 to
1024, width 64, one sequence, two threads), medians with the middle half of the runs and the load beside them,
who is faster at each length (thresholds of course_lib.experiments.claims), and the fitted model
time = overhead + work / (cores · f) + depth × L, with its predictions for 2, 64 and 10,000 cores."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def bench(lengths=(16, 32, 64, 128, 256, 512, 1024), d_model=64, repeats=5) -> str:
    """A Markdown section with the wall-time sweep and the fitted model (about 20-60 s)."""
    from course_lib.experiments import parallelism as E
    from course_lib.solutions import attention_all_positions, attention_flops, graph_depth, rnn_flops

    depths = E.depth_table(graph_depth, attention_all_positions, (1, 2, 4, 8, 16, 32))
    rnn_a, rnn_b = E.ops_per_step(depths, "RNN")
    att_a, att_b = E.ops_per_step(depths, "attention")
    times, load = E.time_layers(attention_all_positions, lengths, d_model=d_model, repeats=repeats, num_threads=2,
                                budget=60.0)
    names = ("RNN", "LSTM", "attention")
    lines = ["## Notebook 06: RNN, LSTM and self-attention against sequence length", "",
             f"One sequence (B = 1), width D = {d_model}, two threads, median of {repeats} runs with the middle half "
             f"of the runs; milliseconds. Load: {load}.", "",
             "| T | RNN fwd | LSTM fwd | attention fwd | RNN fwd+bwd | LSTM fwd+bwd | attention fwd+bwd |",
             "|---:|---:|---:|---:|---:|---:|---:|"]
    for i, T in enumerate(lengths):
        cells = [times[n][m][i].ms().replace(" ms", "") for m in ("forward", "forward+backward") for n in names]
        lines.append(f"| {T} | " + " | ".join(cells) + " |")
    lines.append("")
    for claim in E.wall_time_claims(lengths, times, load, lambda T: attention_flops(T, d_model)):
        lines.append(f"- {claim.text.strip()}")
    model = E.fit_cost_model(
        [rnn_flops(T, d_model) for T in lengths] + [attention_flops(T, d_model) for T in lengths],
        [rnn_a * T + rnn_b for T in lengths] + [att_a * T + att_b for T in lengths],
        E.medians(times["RNN"]["forward"]) + E.medians(times["attention"]["forward"]), cores=2)
    lines += ["", f"Fitted to the forward times (RNN and attention): overhead {model['overhead'] * 1e6:.0f} µs, "
              f"f = {model['flops per core'] / 1e9:.1f} GFLOP/s per core, step latency L = "
              f"{model['latency'] * 1e6:.2f} µs per dependent operation ({rnn_a:.0f} per RNN step), "
              f"relative error {model['relative error']:.0%}.", "",
              "| cores | model: attention slower than the RNN from |", "|---:|---:|"]
    for cores in (2, 64, 10_000):
        cross = next((T for T in sorted({int(8 * 1.02 ** i) for i in range(600)})
                      if E.predict(model, attention_flops(T, d_model), att_a * T + att_b, cores)
                      > E.predict(model, rnn_flops(T, d_model), rnn_a * T + rnn_b, cores)), None)
        lines.append(f"| {cores:,} | {'T = ' + format(cross, ',') if cross else 'never below 10⁶'} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(bench())
