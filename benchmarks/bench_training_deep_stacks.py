"""Notebook 07's numbers for `make bench`: check times, gradient flow through depth, and the warm-up sweep.

`bench()` returns a Markdown section; run this file alone to print it.
"""
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

NAMES = ("layer_norm", "FeedForward", "EncoderLayer", "noam_lr", "label_smoothed_cross_entropy")


def _median_seconds(fn, repeats=3):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _check_times():
    """Per exercise: the check on the reference, and on its slowest-to-diagnose known mistake (seconds)."""
    import course_lib.solutions as solutions
    from course_lib.checks import EXERCISES

    rows = []
    for name in NAMES:
        ex = EXERCISES[name]

        def failing(impl):
            def run():
                try:
                    ex.check(impl, quiet=True)
                except AssertionError:
                    pass
            return run

        passing = _median_seconds(lambda: ex.check(getattr(solutions, name), quiet=True))
        worst = max((_median_seconds(failing(m.impl), 1) for m in ex.mistakes), default=0.0)
        rows.append((name, len(ex.mistakes), passing, worst))
    return rows


def bench() -> str:
    """Measure and return the Markdown section for benchmarks/RESULTS.md."""
    from course_lib.experiments import training_deep_stacks as E

    lines = ["## Notebook 07: training deep stacks", ""]
    lines += ["Checks (median seconds, one thread):", "",
              "| exercise | known mistakes | check, reference | slowest diagnosis |", "|---|---:|---:|---:|"]
    for name, mistakes, passing, worst in _check_times():
        lines.append(f"| `{name}` | {mistakes} | {passing:.3f} | {worst:.3f} |")

    lines += ["", "Gradient norm of the last layer's parameters over the first layer's, at initialisation (reversal "
              "task, D = 32, 4 heads, d_ff = 64, mean of 3 seeds):", "",
              "| layers | " + " | ".join(E.PLACEMENTS) + " |", "|---:|" + "---:|" * len(E.PLACEMENTS)]
    for depth in (6, 12, 24):
        config = E.StackConfig(depth=depth)
        ratios = []
        for placement in E.PLACEMENTS:
            norms = E.layer_gradient_norms(config, placement)
            ratios.append(norms[-1] / norms[0])
        lines.append(f"| {depth} | " + " | ".join(f"{r:.2f}" for r in ratios) + " |")

    scales = E.activation_scales(depth=24)
    lines += ["", "RMS of the residual stream after 24 residual feed-forward blocks (input rms "
              f"{scales['input']:.2f}): no norm {scales['no norm'][-1]:.2f}, pre-LN {scales['pre-LN'][-1]:.2f}, "
              f"post-LN {scales['post-LN'][-1]:.2f}."]

    lrs = [2e-3, 5e-3, 1e-2, 2e-2]
    start = time.perf_counter()
    finals, _ = E.learning_rate_sweep(E.StackConfig(depth=12), lrs, steps=80, warmup=20)
    seconds = time.perf_counter() - start
    lines += ["", f"12-layer post-LN stack, 80 Adam steps, final training loss (mean of the last 10 steps; ln 10 = "
              f"2.30 is a model that ignores the order); {2 * len(lrs)} runs in {seconds:.1f} s:", "",
              "| peak lr | warm-up (20 steps) | no warm-up |", "|---:|---:|---:|"]
    for lr in lrs:
        lines.append(f"| {lr:g} | {finals['warm-up'][lr]:.3f} | {finals['no warm-up'][lr]:.3f} |")
    fails = {k: E.failing_lr(v, 2.2) for k, v in finals.items()}
    lines += ["", f"Smallest peak learning rate that fails (final loss > 2.2): with warm-up {fails['warm-up']}, "
              f"without {fails['no warm-up']}.", ""]
    other = {seed: E.learning_rate_sweep(E.StackConfig(depth=12), [5e-3], steps=80, warmup=20, seed=seed)[0]
             for seed in (1, 2)}
    lines += ["At 0.005 with other seeds (warm-up / no warm-up): " + "; ".join(
        f"seed {seed}: {f['warm-up'][5e-3]:.3f} / {f['no warm-up'][5e-3]:.3f}" for seed, f in other.items()) + ".", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    print(bench())
