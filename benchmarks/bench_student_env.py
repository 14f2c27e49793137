"""The student environment (`python -m autograde student-env`): how long it takes to build, how big it is, and
how fast its replayed checks answer (budget 2 s, as in the full package), measured in a Python that cannot
import the full course_lib."""
import json
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import torch

import course_lib

PACKAGE = Path(course_lib.__file__).parent
TORCH_SITE = str(Path(torch.__file__).parent.parent)

PROBE = """
import importlib, importlib.util, json, statistics, sys, time
spec = importlib.util.spec_from_file_location("full_copy", {init!r}, submodule_search_locations=[{package!r}])
full_copy = importlib.util.module_from_spec(spec)
sys.modules["full_copy"] = full_copy
spec.loader.exec_module(full_copy)  # only the implementations handed to the checks come from the full package
full = importlib.import_module("full_copy.checks").EXERCISES
solutions = importlib.import_module("full_copy.solutions")
import course_lib.checks as checks
assert "course_lib.solutions" not in sys.modules

def seconds(exercise, impl, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        try:
            exercise.check(impl, quiet=True)
        except AssertionError:
            pass
        times.append(time.perf_counter() - start)
    return statistics.median(times)

rows = {{}}
for name, exercise in checks.EXERCISES.items():
    passing = seconds(exercise, getattr(solutions, name), 3)
    worst = max((seconds(exercise, m.impl, 1) for m in full[name].mistakes), default=0.0)
    rows[name] = [len(full[name].mistakes), passing, worst]
print(json.dumps(rows))
"""


def bench() -> str:
    from autograde.engine.student_env import build_student_env

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "env"
        start = time.perf_counter()
        build_student_env(out)
        build = time.perf_counter() - start
        files = [p for p in out.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
        size = sum(p.stat().st_size for p in files)
        recordings = sum(p.stat().st_size for p in files if p.suffix == ".pt")
        prelude = (f"import sys\nsys.path[:] = [{str(out)!r}] + [p for p in sys.path if 'site-packages' not in p]"
                   f" + [{TORCH_SITE!r}]\n")
        probe = PROBE.format(init=str(PACKAGE / "__init__.py"), package=str(PACKAGE))
        result = subprocess.run([sys.executable, "-I", "-S", "-c", prelude + textwrap.dedent(probe)],
                                capture_output=True, text=True, cwd=out, timeout=900)
        if result.returncode:
            raise RuntimeError(result.stderr[-2000:])
        rows = json.loads(result.stdout.strip().splitlines()[-1])
    lines = [
        "## Student environment: replayed checks (budget 2 s)", "",
        f"`python -m autograde student-env OUT` (all nine notebooks): built in {build:.1f} s; {len(files)} files, "
        f"{size / 2**20:.1f} MiB, of which {recordings / 2**20:.1f} MiB of recordings. Each check below ran in a "
        f"Python that cannot import the full course_lib (`-I -S`, torch's folder only), on the reference "
        f"(median of 3) and on every catalog mistake (the slowest).", "",
        "| exercise | mistakes | reference passes (s) | slowest mistake named (s) |", "|---|---:|---:|---:|",
    ]
    for name, (count, passing, worst) in rows.items():
        lines.append(f"| `{name}` | {count} | {passing:.3f} | {worst:.3f} |")
    slowest = max(max(p, w) for _, p, w in rows.values())
    lines += ["", f"Slowest answer: {slowest:.3f} s; median reference pass "
              f"{statistics.median(p for _, p, _ in rows.values()):.3f} s.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    print(bench())
