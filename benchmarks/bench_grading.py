"""Grading a class: seconds per submission with and without the warm pool, where they go, memory, projection.

    python benchmarks/bench_grading.py [PER_NOTEBOOK] [--jobs 1,2] [--pool warm,cold] [--experiments skip]

A sample of PER_NOTEBOOK (default 6) submissions of each of the nine notebooks, mixed: half honest (the
solutions in place), a third buggy (one exercise left as handed out, another wrong), the rest hostile (imports
the reference, patches the checks from a cell of its own). Each configuration grades the class once untimed
(the canaries and the worker packages, which every later grading of the course reuses), then again with
--force, timed: canaries excluded. While it runs, the proportional memory (PSS) of each grading job (a worker
process and everything it started) and of the whole grader is sampled. Every figure is written beside the
machine's load (os.getloadavg): on a shared machine the seconds are an upper bound.
"""
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
CLASS = (300, 9)  # students x notebooks of the projection


def make_sample(subs, course_dir, per_notebook):
    """PER_NOTEBOOK submissions of each notebook: honest, buggy and hostile; returns how many of each."""
    import nbformat

    from autograde.gradebook.course import assignments
    from autograde.steps.demo import hand_in, solutions_of, student_notebook

    kinds = {"honest": 0, "buggy": 0, "hostile": 0}
    for stem in assignments():
        released = nbformat.read(course_dir / "release" / stem / f"{stem}.ipynb", as_version=4)
        good = solutions_of(nbformat.read(REPO / "notebooks" / f"{stem}.ipynb", as_version=4))
        names = list(good)
        for k in range(per_notebook):
            kind = "honest" if k < (per_notebook + 1) // 2 else "buggy" if k < per_notebook - per_notebook // 6 else \
                "hostile"
            answers, extra = dict(good), []
            if kind == "buggy":  # the first exercise as handed out; the last one raising
                answers.pop(names[0])
                answers[names[-1]] = good[names[-1]] + f"\n\n{names[-1]} = None  # broken on purpose"
            elif kind == "hostile":  # the reference in place of the first exercise; the checks patched
                answers[names[0]] = f"from course_lib.solutions import {names[0]}"
                extra = [(2, "import course_lib.checks.framework as fw\nfw.close = lambda *a, **k: True")]
            hand_in(subs, f"{kind}{k:02d}", stem, student_notebook(released, answers, extra_cells=extra))
            kinds[kind] += 1
    return kinds


def _pss(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _children():
    tree = {}
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                tree.setdefault(ppid, []).append(int(pid))
            except (OSError, ValueError, IndexError):
                pass
    return tree


def _subtree(tree, root):
    out, stack = [], [root]
    while stack:
        pid = stack.pop()
        out.append(pid)
        stack += tree.get(pid, [])
    return out


class MemorySampler(threading.Thread):
    """Peak PSS of the grader (the command and all it started) and of its largest job (a worker's subtree)."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.stop, self.whole, self.job = pid, threading.Event(), 0, 0

    def run(self):
        while not self.stop.wait(0.5):
            tree = _children()
            self.whole = max(self.whole, sum(map(_pss, _subtree(tree, self.pid))))
            for job in tree.get(self.pid, []):  # the pool's workers (and the resource tracker, small)
                self.job = max(self.job, sum(map(_pss, _subtree(tree, job))))


def grade(subs, course_dir, jobs, warm, experiments, force, timings=None):
    env = {**os.environ}
    env.setdefault("AUTOGRADE_ALLOW_NETWORK", "1")  # the kit's own sample class: graded even where no network namespace
    if timings:
        env["AUTOGRADE_TIMINGS"] = str(timings)
    command = [sys.executable, "-m", "autograde", "grade", str(subs), "--course-dir", str(course_dir), "--jobs",
               str(jobs), "--no-progress", "--experiments", experiments, *([] if warm else ["--no-warm"]),
               *(["--force"] if force else [])]
    load = os.getloadavg()[0]
    start = time.perf_counter()
    proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = MemorySampler(proc.pid)
    sampler.start()
    out, err = proc.communicate()
    seconds = time.perf_counter() - start
    sampler.stop.set()
    sampler.join()
    scores = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 5 and parts[3] == "/":
            scores[(parts[0], parts[1])] = (parts[2], parts[5] if len(parts) > 5 else "")
    return {"seconds": seconds, "load": (load + os.getloadavg()[0]) / 2, "rc": proc.returncode, "scores": scores,
            "job_pss": sampler.job, "whole_pss": sampler.whole, "stderr": err[-2000:]}


def one_submission(root, warm, experiments):
    """One honest submission of 03 through the whole command on a fresh course folder (release untimed)."""
    from autograde.steps.demo import hand_in

    course_dir = root / f"single-{'warm' if warm else 'cold'}"
    subprocess.run([sys.executable, "-m", "autograde", "release", "03_self_attention", "--course-dir",
                    str(course_dir)], check=True, cwd=REPO, stdout=subprocess.DEVNULL)
    subs = root / "single-subs"
    if not subs.exists():
        hand_in(subs, "student", "03_self_attention", (REPO / "notebooks" / "03_self_attention.ipynb").read_bytes())
    return grade(subs, course_dir, 1, warm, experiments, False)


def split(path):
    rows = [json.loads(line) for line in Path(path).read_text().splitlines()] if Path(path).exists() else []
    keys = ("total", "startup", "cells", "verdicts", "bookkeeping")
    return {k: sum(r[k] for r in rows) / max(1, len(rows)) for k in keys}, len(rows)


def bench(per_notebook=6, jobs=(1, 2), pools=("warm", "cold"), experiments="skip"):
    title = "Grading a class: warm pool vs cold start"
    lines = [f"## {title} (`benchmarks/bench_grading.py`, --experiments {experiments})", ""]
    with tempfile.TemporaryDirectory() as root:
        root = Path(root)
        ref = root / "released"
        subprocess.run([sys.executable, "-m", "autograde", "release", "--course-dir", str(ref)], check=True,
                       cwd=REPO, stdout=subprocess.DEVNULL)
        subs = root / "subs"
        kinds = make_sample(subs, ref, per_notebook)
        n = sum(kinds.values())
        lines += [f"Sample: {n} submissions, {per_notebook} of each of the nine notebooks ({kinds['honest']} honest, "
                  f"{kinds['buggy']} buggy, {kinds['hostile']} hostile); the canaries graded first, untimed. "
                  f"Load average while each ran in brackets (2 cores: a load above 2 means other work shared them).",
                  "",
                  "| pool | jobs | seconds | s / submission | start-up | student's cells | verdicts | bookkeeping "
                  "| peak PSS one job | peak PSS grader | projected 300 x 9 | load |",
                  "|---|---|---|---|---|---|---|---|---|---|---|---|"]
        results = {}
        for pool in pools:
            course_dir = root / f"course-{pool}"
            subprocess.run(["cp", "-r", str(ref), str(course_dir)], check=True)
            grade(subs, course_dir, max(jobs), pool == "warm", experiments, False)  # canaries, worker packages
            for j in jobs:
                timings = root / f"timings-{pool}-{j}.jsonl"
                r = grade(subs, course_dir, j, pool == "warm", experiments, True, timings)
                (avg, counted) = split(timings)
                per = r["seconds"] / max(1, counted)  # per submission graded (a grader fault is not timed)
                results[(pool, j)] = r
                lines.append(
                    f"| {pool} | {j} | {r['seconds']:.0f} | {per:.2f} | {avg['startup']:.2f} | {avg['cells']:.2f} | "
                    f"{avg['verdicts']:.2f} | {avg['bookkeeping']:.2f} | {r['job_pss'] / 2**20:.0f} MiB | "
                    f"{r['whole_pss'] / 2**20:.0f} MiB | {per * CLASS[0] * CLASS[1] / 3600:.2f} h | "
                    f"{r['load']:.1f} |")
                if counted < n:
                    faults = sorted({a for (a, _), (_, status) in r["scores"].items() if status.startswith("grader")})
                    lines.append(f"|  | {n - counted} of {n} not graded (grader fault: {', '.join(faults)}) |")
        lines += ["", "The split is per submission, measured inside a job (so at --jobs 2 the two jobs' seconds "
                  "overlap): start-up = the kernel's start until it answers; student's cells = the cells run; "
                  "verdicts = the hidden tests decided in the grader (waiting for the worker included); "
                  "bookkeeping = the rest of nbgrader's autograde (copies, sanitizing, the scratch gradebook)."]
        same = [results[k]["scores"] for k in results]
        if len(same) > 1:
            lines += ["", "Scores identical across every run above: "
                      + ("yes" if all(s == same[0] for s in same) else "NO: " + str(
                          [k for k in same[0] if any(s.get(k) != same[0][k] for s in same)][:10]))]
        singles = [(p, one_submission(root, p == "warm", experiments)) for p in pools]
        lines += ["", "One honest submission of 03 through the whole command on a fresh course folder (canary, "
                  "worker package, templates included): " + "; ".join(
                      f"{p} {r['seconds']:.1f} s (load {r['load']:.1f})" for p, r in singles)]
    return "\n".join(lines) + "\n"


def main(argv):
    per = int(argv[0]) if argv and argv[0].isdigit() else 6
    opts = dict(zip(argv[1::2], argv[2::2])) if not (argv and argv[0].isdigit()) else dict(zip(argv[1::2],
                                                                                              argv[2::2]))
    jobs = tuple(int(j) for j in opts.get("--jobs", "1,2").split(","))
    pools = tuple(opts.get("--pool", "warm,cold").split(","))
    print(bench(per, jobs, pools, opts.get("--experiments", "skip")))


if __name__ == "__main__":
    main(sys.argv[1:])
