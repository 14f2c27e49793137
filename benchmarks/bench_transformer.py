"""`make bench`, notebook 08: seconds to 99 % exact-sequence accuracy on the reversal task, the LSTM
encoder-decoder on the same budget, and training steps per second on one thread against two."""
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def bench() -> str:
    """A Markdown section with the numbers measured in this run (about a minute on a laptop)."""
    import torch

    from course_lib.experiments import transformer as E

    setup = E.Setup()
    speed = []
    for threads in (1, 2):
        t = E.steps_per_second(E.build_transformer(setup), setup, steps=20, num_threads=threads)
        lstm = E.steps_per_second(E.build_lstm(setup), setup, steps=20, num_threads=threads)
        speed.append((threads, t, lstm))
    start = time.perf_counter()
    rows = [E.run_length(setup, length, test_size=500) for length in (10, 15)]
    total = time.perf_counter() - start
    lines = [
        "## Notebook 08: the Transformer against an LSTM encoder-decoder (reverse digit sequences)",
        "",
        f"Width {setup.d_model}, {setup.num_heads} heads, {setup.num_layers} layer(s) each side, batch "
        f"{setup.batch}, Adam lr {setup.lr}; the Transformer trains until {setup.target:.0%} exact-sequence "
        f"accuracy on {setup.check_size} held-out sequences (checked every {setup.check_every} steps) or "
        f"{setup.time_budget:.0f} s; the LSTM trains for as many seconds. Test: 500 other held-out sequences, "
        f"greedy decoding. torch {torch.__version__}, {torch.get_num_threads()} threads available.",
        "",
        "| length | model | parameters | steps | seconds | stopped by | exact-sequence acc. | token acc. |",
        "|---:|---|---:|---:|---:|---|---:|---:|",
    ]
    for row in rows:
        for name in ("Transformer", "LSTM"):
            r = row[name]
            lines.append(f"| {row['length']} | {name} | {r['parameters']:,} | {r['steps']} | {r['seconds']:.1f} | "
                         f"{r['stopped']} | {r['exact']:.1%} | {r['token']:.1%} |")
    lines += ["", "| threads | Transformer steps/s | LSTM steps/s |", "|---:|---:|---:|"]
    lines += [f"| {n} | {t:.1f} | {lstm:.1f} |" for n, t, lstm in speed]
    lines += ["", f"Training and testing took {total:.0f} s in all.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    print(bench())
