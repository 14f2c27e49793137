"""Notebook 09's benchmark: how much faster generation is with the key-value cache, by generated length.

`bench()` returns a Markdown section for benchmarks/RESULTS.md; about 10 s on a laptop CPU.
"""
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def bench(lengths=(32, 128, 512), d_model=64, num_layers=2):
    """Total greedy generation time for each length, with and without the cache, on one CPU thread."""
    import torch

    from course_lib.experiments.gpt import cache_memory, time_per_token
    from course_lib.solutions import GPT

    torch.manual_seed(0)
    longest = max(lengths)
    model = GPT(27, longest + 1, d_model, 4, num_layers, 4 * d_model).eval()
    cached = time_per_token(model, longest, use_cache=True, repeats=2)
    uncached = time_per_token(model, longest, use_cache=False, repeats=2)
    _, per_position = cache_memory(model, 16)
    lines = [
        "## Notebook 09: generation with and without the key-value cache",
        "",
        f"GPT with D = {d_model}, {num_layers} layers, 4 heads, batch 1, greedy, one CPU thread, best of 2 runs "
        f"per token ({platform.processor() or platform.machine()}, torch {torch.__version__}). "
        f"Cache: {per_position:.0f} bytes per position.",
        "",
        "| new tokens | with cache | without cache | speed-up | last token, with / without |",
        "|---:|---:|---:|---:|---:|",
    ]
    for n in lengths:
        c, u = sum(cached[:n]), sum(uncached[:n])
        lines.append(f"| {n} | {c * 1e3:.1f} ms | {u * 1e3:.1f} ms | {u / c:.1f}x | "
                     f"{cached[n - 1] * 1e3:.2f} / {uncached[n - 1] * 1e3:.2f} ms |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(bench())
