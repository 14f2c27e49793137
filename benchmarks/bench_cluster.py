"""Throughput on a Dask LocalCluster beside the local process pool: the same honest submissions of one notebook,
graded by `python -m autograde grade --jobs N` and by `--dask local:N` (whole command, cluster start included)."""

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _grade(subs, course_dir, *how):
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "autograde", "grade", str(subs), "--course-dir", str(course_dir),
                    "--no-progress", *how], check=True, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env={"AUTOGRADE_ALLOW_NETWORK": "1", **os.environ})  # the kit's own sample class
    return time.perf_counter() - start


def bench(stem="03_self_attention", n=24, workers=2):
    """Markdown: seconds and submissions per minute for the process pool and the LocalCluster, same class."""
    n = int(os.environ.get("BENCH_CLUSTER_N", n))
    with tempfile.TemporaryDirectory() as root:
        root = Path(root)
        for k in range(n):
            target = root / "subs" / f"student{k:02d}" / stem / f"{stem}.ipynb"
            target.parent.mkdir(parents=True)
            shutil.copy(REPO / "notebooks" / f"{stem}.ipynb", target)
        course_dir = root / "c"
        # Once untimed: release, the canary and the worker's package, which both timed runs reuse; then each
        # timed run grades every submission again (--force).
        _grade(root / "subs", course_dir, "--jobs", str(workers))
        pool = _grade(root / "subs", course_dir, "--jobs", str(workers), "--force")
        dask = _grade(root / "subs", course_dir, "--dask", f"local:{workers}", "--force")
    return "\n".join([
        f"## Throughput: {n} submissions of {stem}, the process pool beside a Dask LocalCluster", "",
        "| grader | seconds | seconds per submission | submissions per minute |", "|---|---|---|---|",
        f"| `--jobs {workers}` (process pool) | {pool:.1f} | {pool / n:.2f} | {60 * n / pool:.1f} |",
        f"| `--dask local:{workers}` (LocalCluster, {workers} worker processes) | {dask:.1f} | {dask / n:.2f} | "
        f"{60 * n / dask:.1f} |",
        "", f"The LocalCluster gives {pool / dask:.2f}x the process pool's throughput on this machine (whole "
        f"command, the cluster's start included); a real cluster adds machines, not speed per worker.", ""])


if __name__ == "__main__":
    print(bench())
