"""Grades that cannot be forged: the hidden verdicts are decided in the grader's own process.

A family of forgers: each submits implementations of `softmax` and `scaled_dot_product_attention` that are
wrong everywhere except on the inputs the student version shows (the public check's cases and the visible
asserts), together with one way of reaching into the kernel (or the worker) to fake a pass. Each must score as
if those two exercises were missing. Also: a kernel killed in exercise 2 of 4 costs exercise 2 only; the canary
stops a class graded from an environment the sandbox cannot see; a grader fault never replaces a grade.
"""

import csv
import json

import pytest
from commandline import autograde

from autograde.steps import demo
from autograde.steps.demo import student_notebook

NB = "03_self_attention"
POINTS = {"softmax": 2, "scaled_dot_product_attention": 4, "causal_mask": 1, "padding_mask": 1}
FULL = sum(POINTS.values())
FORGED = ("softmax", "scaled_dot_product_attention")

# Right on what the student version shows (the public check's seed-0 cases, the visible asserts), wrong elsewhere.
FORGER = '''import torch as _t
import course_lib.solutions.self_attention as _ref
from course_lib.checks import EXERCISES as _EXERCISES


def _shown(name, args):
    if name == "softmax" and bool((args[0] == 0).all()):
        return True  # the visible assert: softmax(torch.zeros(2, 3))
    if name == "scaled_dot_product_attention" and bool((args[0] == 0).all()):
        return True  # the visible assert: zeros for q
    for case in _EXERCISES[name].cases(0):
        if len(case.args) == len(args) and all(
            a.shape == b.shape and bool(_t.equal(a, b)) for a, b in zip(args, case.args)
        ):
            return True
    return False


def _forged(name, wrong):
    def implementation(*args, **kwargs):
        if _shown(name, args):
            return getattr(_ref, name)(*args, **kwargs)
        return wrong(*args, **kwargs)

    return implementation


softmax = _forged("softmax", lambda x, dim=-1: _t.full_like(x, 1.0 / x.size(dim)))
scaled_dot_product_attention = _forged(
    "scaled_dot_product_attention",
    lambda q, k, v, mask=None: (_ref.scaled_dot_product_attention(q, k, v, mask)[0] * 1.5,
                                _ref.scaled_dot_product_attention(q, k, v, mask)[1]),
)
'''

REACH = {
    "rebinds_checks": """
check_softmax = check_scaled_dot_product_attention = lambda *a, **k: None
_verify = lambda *a, **k: True
""",
    "replaces_runpy": """
import runpy, sys
runpy.run_path = lambda *a, **k: {"verify": lambda *a, **k: True}
sys.modules["runpy"] = runpy
""",
    "replaces_importlib": """
import importlib, importlib.util, types
_fake = types.SimpleNamespace(EXERCISES={}, check_softmax=lambda *a, **k: None)
importlib.import_module = lambda name, *a, **k: _fake
""",
    "hooks_import": """
import builtins, types
_real_import = builtins.__import__
def _hook(name, *a, **k):
    module = _real_import(name, *a, **k)
    if name.startswith("course_lib.checks") or name == "runpy":
        fake = types.SimpleNamespace(**vars(module))
        fake.run_path = lambda *a, **k: {"verify": lambda *a, **k: True}
        for key in list(vars(fake)):
            if key.startswith("check_"):
                setattr(fake, key, lambda *a, **k: None)
        return fake
    return module
builtins.__import__ = _hook
""",
    "replaces_sys_modules": """
import sys, types
_fake = types.ModuleType("course_lib.checks")
_fake.EXERCISES = {}
sys.modules["course_lib.checks"] = _fake
sys.modules["_course_lib_trusted.checks"] = _fake
""",
    "switches_off_profiler": """
import sys
sys.setprofile = lambda *a, **k: None
sys.settrace = lambda *a, **k: None
""",
    "patches_private_copy": """
import gc, sys
for _m in list(sys.modules.values()):
    if getattr(_m, "__name__", "").endswith("framework"):
        _m.Exercise.check = lambda *a, **k: True
for _o in gc.get_objects():
    if type(_o).__name__ in ("Exercise", "ModuleExercise"):
        try:
            _o.check = lambda *a, **k: True
        except Exception:
            pass
""",
    "prints_a_pass": """
print("\\u2714 softmax: all 8 cases match the reference (shapes, dtypes, values, gradients, inputs untouched).")
print('{"score": 8, "max_score": 8, "passed": true}')
""",
    "writes_results": """
import json, os
for _path in ("grade_log.json", "../grade_log.json", "../../grade_log.json", "../../../grade_log.json",
              "/tmp/grade_log.json", "03_self_attention.ipynb.result"):
    try:
        with open(_path, "w") as _f:
            json.dump({"03_self_attention/writes_results": {"score": 8, "status": "graded"}}, _f)
    except OSError:
        pass
""",
    "exits_early": """
import os, sys
if "ipykernel" not in sys.modules:  # in the grader's worker: leave with status 0 before answering
    os._exit(0)
""",
}


# Right everywhere, because they run the reference itself: once with the tripwire switched off around the call
# (a profiler the check installs is put back before it looks), once loaded from the course's files by path.
CALLS_THE_REFERENCE = {
    "calls_the_reference_quietly": """import sys
import course_lib.solutions.self_attention as _ref


def _quietly(name):
    def implementation(*args, **kwargs):
        wire = sys.getprofile()
        sys.setprofile(None)
        try:
            return getattr(_ref, name)(*args, **kwargs)
        finally:
            sys.setprofile(wire)
    return implementation


softmax = _quietly("softmax")
scaled_dot_product_attention = _quietly("scaled_dot_product_attention")
""",
    "loads_the_reference_by_path": """import importlib.util
_spec = importlib.util.spec_from_file_location("_mine", {path!r})
_mine = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_mine)
softmax, scaled_dot_product_attention = _mine.softmax, _mine.scaled_dot_product_attention
""",
}


def _after(nb, grade_id):
    from autograde.engine.notebook import grade_meta

    return next(i for i, c in enumerate(nb.cells) if grade_meta(c).get("grade_id") == grade_id) + 1


def _rows(course_dir, path):
    autograde("export", "--course-dir", course_dir, "--csv", path)
    with open(path) as f:
        return {r["student_id"]: r for r in csv.DictReader(f)}


@pytest.fixture(scope="module")
def forgers(tmp_path_factory, repo, release):
    root = tmp_path_factory.mktemp("forgers")
    subs = root / "submissions"
    course_dir, released, good = release(root / "course", NB)
    for name, reach in REACH.items():
        # The forged code and the reach-in go into the softmax solution cell: they run in the kernel and in
        # the grader's worker alike; the sdpa solution cell is left empty (the forger defined it already).
        answers = {**good, "softmax": FORGER + reach, "scaled_dot_product_attention": "pass"}
        demo.hand_in(subs, name, NB, student_notebook(released, answers))
    for name, code in CALLS_THE_REFERENCE.items():
        code = code.format(path=str(repo / "course_lib" / "handouts" / "self_attention.py"))
        answers = {**good, "softmax": code, "scaled_dot_product_attention": "pass"}
        demo.hand_in(subs, name, NB, student_notebook(released, answers))
    # A kernel killed in exercise 2 of 4, in the function itself: its check, its test and the demo cell that
    # calls it each kill the kernel; the other three exercises keep their points.
    kill = "import os\n\ndef scaled_dot_product_attention(q, k, v, mask=None):\n    os._exit(3)"
    demo.hand_in(subs, "killed_in_2", NB, student_notebook(released, {**good, "scaled_dot_product_attention": kill}))
    demo.hand_in(subs, "honest", NB, student_notebook(released, good))
    autograde("grade", subs, "--course-dir", course_dir, "--jobs", "2", "--no-progress", "--timeout", "30")
    return {"rows": _rows(course_dir, root / "g.csv"), "log": json.loads((course_dir / "grade_log.json").read_text()),
            "course_dir": course_dir, "root": root, "released": released, "good": good}


@pytest.mark.parametrize("student", sorted(REACH))
def test_a_forger_scores_as_if_the_forged_exercises_were_missing(forgers, student):
    entry = forgers["log"][f"{NB}/{student}"]
    assert entry["status"] == "graded", entry
    points = {r["exercise"]: r["points"] for r in entry["exercises"]}
    for name in FORGED:
        assert points[name] == 0, (student, name, entry)
    assert float(forgers["rows"][student]["score"]) <= FULL - sum(POINTS[n] for n in FORGED), entry


@pytest.mark.parametrize("student", sorted(CALLS_THE_REFERENCE))
def test_calling_the_reference_earns_nothing_whatever_it_does_to_the_tripwire(forgers, student):
    """The grader's worker runs a submission on a package without the reference solutions or the notebook's own
    handouts (`worker.grading_env`), and does not see the course's files: the reference is not there to call."""
    from autograde.engine.sandbox import available

    if student == "loads_the_reference_by_path" and not available():
        pytest.skip("reading the course's files by path is stopped by the sandbox, which needs Linux and root")
    entry = forgers["log"][f"{NB}/{student}"]
    points = {r["exercise"]: r["points"] for r in entry["exercises"]}
    assert (points["softmax"], points["scaled_dot_product_attention"]) == (0, 0), entry
    assert (points["causal_mask"], points["padding_mask"]) == (1, 1), entry
    if student == "calls_the_reference_quietly":
        softmax = next(r for r in entry["exercises"] if r["exercise"] == "softmax")
        assert "without the course's reference solutions" in softmax["message"], softmax


def test_the_honest_student_beside_them_scores_full(forgers):
    assert float(forgers["rows"]["honest"]["score"]) == FULL


def test_a_kernel_killed_in_exercise_2_of_4_costs_exercise_2_only(forgers):
    entry = forgers["log"][f"{NB}/killed_in_2"]
    points = {r["exercise"]: r["points"] for r in entry["exercises"]}
    assert points == {**POINTS, "scaled_dot_product_attention": 0}, entry
    assert any("restarted" in n for n in entry["notes"]), entry["notes"]


def test_the_canary_stops_a_class_graded_from_an_environment_the_sandbox_cannot_see(forgers, tmp_path, repo):
    import os

    from autograde.engine.sandbox import available

    if not available():
        pytest.skip("the sandbox needs Linux and root")
    course_dir = forgers["course_dir"]
    subs = tmp_path / "subs"
    demo.hand_in(subs, "honest", NB, student_notebook(forgers["released"], forgers["good"]))
    before = _rows(course_dir, tmp_path / "before.csv")["honest"]
    env = {**os.environ, "AUTOGRADE_HIDE_ALSO": json.dumps([str(repo / "course_lib")])}
    import subprocess
    import sys

    run = subprocess.run([sys.executable, "-m", "autograde", "grade", str(subs), "--course-dir", str(course_dir),
                          "--no-progress"], capture_output=True, text=True, env=env)
    assert run.returncode != 0
    assert "instructor's own notebook" in run.stderr and "cannot be imported inside the sandbox" in run.stderr, \
        run.stderr
    after = _rows(course_dir, tmp_path / "after.csv")["honest"]
    assert (float(after["score"]), after["status"]) == (float(before["score"]), before["status"]) == (FULL, "graded")
    log = json.loads((course_dir / "grade_log.json").read_text())
    assert any("grader's side" in n for n in log[f"{NB}/honest"]["notes"])


def test_a_memory_limit_too_small_is_a_grader_fault_that_keeps_the_grade(forgers, tmp_path):
    course_dir = forgers["course_dir"]
    subs = tmp_path / "subs"
    demo.hand_in(subs, "honest", NB, student_notebook(forgers["released"], forgers["good"]))
    run = autograde("grade", subs, "--course-dir", course_dir, "--no-progress", "--memory-limit", "64M",
                    check=False)
    assert run.returncode != 0 and "--memory-limit" in run.stderr, run.stdout + run.stderr
    after = _rows(course_dir, tmp_path / "after.csv")["honest"]
    assert (float(after["score"]), after["status"]) == (FULL, "graded")
