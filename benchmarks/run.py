"""`make bench`: how fast the checks answer and the grader grades; writes benchmarks/RESULTS.md.

Every number is a median over repeats measured in this one run, on this machine; compare ratios, not
absolute values, across machines.
"""
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
OUT = REPO / "benchmarks" / "RESULTS.md"


def median_time(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_checks(repeats=5):
    """Per exercise: the check on the reference, and on its slowest-to-diagnose known mistake."""
    import course_lib.solutions as solutions
    from course_lib.checks import EXERCISES

    rows = []
    for name, ex in EXERCISES.items():
        passing = median_time(lambda: ex.check(getattr(solutions, name), quiet=True), repeats)

        def failing(m):
            def run():
                try:
                    ex.check(m.impl, quiet=True)
                except AssertionError:
                    pass
            return run

        worst = max((median_time(failing(m), 3) for m in ex.mistakes), default=0.0)
        rows.append((name, len(ex.mistakes), passing, worst))
    return rows


def bench_import_nbformat(repeats=5):
    """Seconds to `import nbformat` in a fresh interpreter, as nbgrader ships and as the grader runs it."""
    def run(code):
        return lambda: subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)
    plain = median_time(run("import nbformat"), repeats)
    ours = median_time(run("import autograde, nbformat"), repeats)
    bare = median_time(run("pass"), repeats)
    return plain - bare, ours - bare


def bench_kernel_breakdown(stem, repeats=3):
    """Kernel start, the set-up cell (imports) and the rest of the notebook, as the grader runs them."""
    import nbformat
    from nbclient import NotebookClient

    from autograde.engine import sandbox

    results = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as work:
            sandbox.install_kernelspec(Path(work) / "jupyter", hide=[], memory_limit=4 * 2**30)
            nb = nbformat.read(REPO / "notebooks" / f"{stem}.ipynb", as_version=4)
            os.environ["NBGRADER_EXECUTION"] = "autograde"
            client = NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                                    resources={"metadata": {"path": work}})
            start = time.perf_counter()
            with client.setup_kernel():
                client.wait_for_reply(client.kc.kernel_info())
                started = time.perf_counter()
                code = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
                client.execute_cell(code[0][1], code[0][0])
                imported = time.perf_counter()
                for i, cell in code[1:]:
                    client.execute_cell(cell, i)
                done = time.perf_counter()
            os.environ.pop("NBGRADER_EXECUTION")
            os.environ.pop("JUPYTER_PATH", None)
            results.append((started - start, imported - started, done - imported))
    return [statistics.median(r[i] for r in results) for i in range(3)]


def bench_notebook_run(stem, grading):
    """Seconds to run a source notebook top to bottom with its solutions (kernel start included)."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(REPO / "notebooks" / f"{stem}.ipynb", as_version=4)
    env = {**os.environ, "NBGRADER_EXECUTION": "autograde"} if grading else None
    with tempfile.TemporaryDirectory() as work:
        client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": work}})
        start = time.perf_counter()
        if env:
            os.environ["NBGRADER_EXECUTION"] = "autograde"
        try:
            client.execute()
        finally:
            os.environ.pop("NBGRADER_EXECUTION", None)
        return time.perf_counter() - start


def make_class(subs, stem, n):
    """n honest submissions of one notebook (the source notebook: hidden tests are restored anyway)."""
    for k in range(n):
        target = subs / f"student{k:02d}" / stem / f"{stem}.ipynb"
        target.parent.mkdir(parents=True)
        shutil.copy(REPO / "notebooks" / f"{stem}.ipynb", target)


def grade_seconds(subs, course_dir, jobs, force=False):
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "autograde", "grade", str(subs), "--course-dir", str(course_dir),
                    "--jobs", str(jobs), "--no-progress", *(["--force"] if force else [])],
                   check=True, cwd=REPO, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def bench_throughput(stem, n):
    with tempfile.TemporaryDirectory() as root:
        root = Path(root)
        subprocess.run([sys.executable, "-m", "autograde", "release", stem, "--course-dir", str(root / "c")],
                       check=True, cwd=REPO, stdout=subprocess.DEVNULL)
        make_class(root / "subs", stem, n)
        # Once untimed: the canary and the worker's package, which every later grading of the course reuses;
        # then both timed runs grade every submission again (--force), as the first grading of a class would.
        grade_seconds(root / "subs", root / "c", 1)
        one = grade_seconds(root / "subs", root / "c", 1, force=True)
        two = grade_seconds(root / "subs", root / "c", 2, force=True)
    return one, two


def bench_single_submissions():
    """One submission of each notebook through `python -m autograde grade`, whole command wall time."""
    from autograde.gradebook.course import assignments

    rows = []
    with tempfile.TemporaryDirectory() as root:
        root = Path(root)
        subprocess.run([sys.executable, "-m", "autograde", "release", "--course-dir", str(root / "c")],
                       check=True, cwd=REPO, stdout=subprocess.DEVNULL)
        for stem in assignments():
            subs = root / f"subs-{stem}"
            make_class(subs, stem, 1)
            rows.append((stem, grade_seconds(subs, root / "c", 1)))
    return rows


def notebook_benchmarks():
    """The claims of notebooks 06-09, measured by each `benchmarks/bench_<topic>.py`'s `bench()`, in course order."""
    import importlib.util

    from autograde.gradebook.course import assignments

    lines = []
    for stem in assignments():
        path = REPO / "benchmarks" / f"bench_{stem[3:]}.py"  # 06_parallelism -> bench_parallelism.py
        if not path.exists():
            continue
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        lines += [module.bench().rstrip(), ""]
    return lines


def main():
    from autograde.engine import sandbox
    from autograde.gradebook.course import assignments

    lines = ["# Benchmark results", "",
             f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
             f"{platform.platform()}; sandbox {'on' if sandbox.available() else 'off (not root or not Linux)'}.",
             f"Measured {time.strftime('%Y-%m-%d %H:%M')} by `make bench`; medians of repeats in this one run.", ""]

    rows = bench_checks()
    lines += ["## Checks: answer time (budget 2 s)", "",
              "| exercise | known mistakes | reference passes (s) | slowest mistake named (s) |", "|---|---|---|---|"]
    lines += [f"| `{n}` | {k} | {p:.3f} | {w:.3f} |" for n, k, p, w in rows]
    lines += ["", f"{sum(k for _, k, _, _ in rows)} known mistakes across {len(rows)} exercises; "
              f"slowest answer {max(max(p, w) for _, _, p, w in rows):.3f} s.", ""]

    from bench_student_env import bench as bench_student_env

    lines += [bench_student_env().rstrip(), ""]

    plain, ours = bench_import_nbformat()
    lines += ["## Start-up: `import nbformat`", "",
              f"As installed: {plain:.2f} s; in the grader's processes (without rfc3987_syntax's grammar): "
              f"{ours:.2f} s ({plain / max(ours, 1e-9):.1f}x faster).", ""]

    lines += ["## Notebooks top to bottom with solutions (budget: 60 s each on two cores)", "",
              "| notebook | full experiments (s) | shrunk, as when grading (s) |", "|---|---|---|"]
    for stem in assignments():
        lines.append(f"| {stem} | {bench_notebook_run(stem, False):.1f} | {bench_notebook_run(stem, True):.1f} |")
    lines += [""]

    lines += ["## One submission, split (grading kernel, `NBGRADER_EXECUTION=autograde`)", "",
              "| notebook | kernel start (s) | set-up cell: imports (s) | rest of the notebook (s) | total (s) |",
              "|---|---|---|---|---|"]
    for stem in assignments():
        start, imports, rest = bench_kernel_breakdown(stem)
        lines.append(f"| {stem} | {start:.2f} | {imports:.2f} | {rest:.2f} | {start + imports + rest:.2f} |")
    lines += ["", "## One submission through `python -m autograde grade` (whole command, budget 15 s)", "",
              "| notebook | seconds |", "|---|---|"]
    lines += [f"| {stem} | {s:.1f} |" for stem, s in bench_single_submissions()]

    n = 8
    one, two = bench_throughput("03_self_attention", n)
    lines += ["", f"## Throughput: {n} submissions of 03_self_attention", "",
              "| jobs | seconds | seconds per submission | submissions per minute |", "|---|---|---|---|",
              f"| 1 | {one:.1f} | {one / n:.2f} | {60 * n / one:.1f} |",
              f"| 2 | {two:.1f} | {two / n:.2f} | {60 * n / two:.1f} |",
              "", f"--jobs 2 is {one / two:.2f}x the throughput of --jobs 1.", ""]
    from bench_grading import bench as bench_grading  # a class of 54 mixed submissions, warm pool vs cold

    lines += [bench_grading().rstrip(), ""]
    from bench_cluster import bench as bench_cluster  # the same class through a Dask LocalCluster and the pool

    lines += [bench_cluster().rstrip(), ""]
    lines += notebook_benchmarks()
    OUT.write_text("\n".join(lines))
    print("\n".join(lines))
    print(json.dumps({"written": str(OUT)}))


if __name__ == "__main__":
    main()
