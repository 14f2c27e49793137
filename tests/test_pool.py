"""Warm processes (`autograde.engine.pool`) and only the cells a grade needs (`autograde.engine.cells`).

One small class of 03 is graded once forked from warm templates and once cold, one job each, so that every
submission of a run goes through the same worker process, the same kernel template and the same hidden-test
worker template: a polluter first (it sets a global, patches a module, seeds and advances the random
generators, fills a cache, leaves a thread and a process running, writes a file, sets an environment
variable), then victims that look for each of those traces in their kernel and, through their score, in the
grader's worker. The polluter looks for them too, after making them: that proves each probe can see what it
looks for, so a victim that sees nothing means nothing leaked.
"""

import ast
import json
import os
from pathlib import Path

import nbformat
import pytest
from commandline import autograde

from autograde.engine import cells
from autograde.engine.log import read_log
from autograde.engine.notebook import grade_meta
from autograde.steps import demo

NB = "03_self_attention"
FULL = 8
KINDS = ["global", "patch", "torch-seed", "python-seed", "numpy-seed", "cache", "thread", "process", "file", "env"]

PROBE = '''
def _pool_leaks():
    import builtins, json, os, random, sys, threading
    import numpy, torch
    found = []
    if getattr(builtins, "POOL_LEAK_GLOBAL", False):
        found.append("global")
    if getattr(torch.nn.functional, "_pool_leak", False):
        found.append("patch")
    if torch.initial_seed() == 4242:
        found.append("torch-seed")
    if random.getstate()[1][:4] == random.Random(4242).getstate()[1][:4]:
        found.append("python-seed")
    if numpy.random.get_state()[1][0] == numpy.random.RandomState(4242).get_state()[1][0]:
        found.append("numpy-seed")
    if "pool_leak_cache" in sys.modules:
        found.append("cache")
    if any(t.name == "pool-leak-thread" for t in threading.enumerate()):
        found.append("thread")
    for pid in os.listdir("/proc"):
        try:
            if pid.isdigit() and b"4242.5" in open(f"/proc/{pid}/cmdline", "rb").read():
                found.append("process")
                break
        except OSError:
            pass
    if os.path.exists("/tmp/pool-leak-file"):
        found.append("file")
    if os.environ.get("POOL_LEAK_ENV"):
        found.append("env")
    worker = "course_lib.checks._trusted" in sys.modules and sys.flags.isolated
    if worker and "course_lib.solutions" in sys.modules:
        found.append("solutions-in-worker")
    # (the set-up cell seeds torch; Python's and numpy's generators are left as the process started them)
    seed = f"{random.getrandbits(62)}-{numpy.random.randint(2**31)}"
    print("LEAKS" + json.dumps(found, separators=(",", ":")), "SEED" + seed)
    return found
'''

POLLUTE = '''
import builtins, random, subprocess, sys, threading, time, types
import numpy, torch
builtins.POOL_LEAK_GLOBAL = True
torch.nn.functional._pool_leak = True
torch.manual_seed(4242); torch.rand(100)
random.seed(4242)
numpy.random.seed(4242)
sys.modules["pool_leak_cache"] = types.ModuleType("pool_leak_cache")
threading.Thread(target=time.sleep, args=(600,), name="pool-leak-thread", daemon=True).start()
subprocess.Popen(["sleep", "4242.5"], start_new_session=True); time.sleep(0.5)
open("/tmp/pool-leak-file", "w").write("left behind")
import os; os.environ["POOL_LEAK_ENV"] = "1"
'''

BROKEN_IF_LEAKED = '''
if _found:  # what a leak does to a grade: this softmax is wrong
    def softmax(x, dim=-1):
        return x
'''


def _softmax(good, pollute):
    return (POLLUTE if pollute else "") + PROBE + "_found = _pool_leaks()\n" + good["softmax"] + BROKEN_IF_LEAKED


@pytest.fixture(scope="module")
def runs(tmp_path_factory, release):
    """The same class graded warm and cold (one job each); per run: the log and the executed notebooks. The cold
    run grades the class again in the same course folder (`--force`, as an instructor regrades): the canary that
    passed in the warm run under the same conditions is not graded twice."""
    root = tmp_path_factory.mktemp("pool")
    course_dir, released, good = release(root / "course", NB)
    unscaled = good["scaled_dot_product_attention"].replace(" / math.sqrt(d_k)", "")
    crash = "raise RuntimeError('an experiment that crashes')"
    helper_cell = "def _my_helper(T):\n    return torch.ones(T, T, dtype=torch.bool).tril()"
    class_ = {  # graded in this order, one after the other, in one worker process
        "a_polluter": demo.student_notebook(released, {**good, "softmax": _softmax(good, True)}),
        "b_victim": demo.student_notebook(released, {**good, "softmax": _softmax(good, False)}),
        "c_victim": demo.student_notebook(released, {**good, "softmax": _softmax(good, False)},
                                          extra_cells=[(len(released.cells), crash)]),
        "d_unscaled": demo.student_notebook(released, {**good, "scaled_dot_product_attention": unscaled}),
        "e_helper_cell": demo.student_notebook(
            released, {**good, "causal_mask": "def causal_mask(T):\n    return _my_helper(T)"},
            extra_cells=[(3, helper_cell)]),
        "f_imports_reference": demo.student_notebook(
            released, {**good, "padding_mask": "from course_lib.solutions import padding_mask"}),
    }
    for student, nb in class_.items():
        demo.hand_in(root / "subs", student, NB, nb)
    results = {}
    for run, flags in (("warm", []), ("cold", ["--no-warm", "--force"])):
        autograde("grade", root / "subs", "--course-dir", course_dir, "--jobs", "1", "--no-progress", *flags)
        log = read_log(course_dir)
        executed = {s: nbformat.read(course_dir / "autograded" / s / NB / f"{NB}.ipynb", as_version=4)
                    for s in class_}
        results[run] = {"log": log, "nb": executed}
    return results


def _score(run, student):
    return run["log"][f"{NB}/{student}"].score


def _printed(nb, grade_id, marker):
    for cell in nb.cells:
        if grade_meta(cell).get("grade_id") == grade_id:
            text = "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream")
            for line in text.splitlines():
                for word in line.split():
                    if word.startswith(marker):
                        return word[len(marker):]
    raise AssertionError(f"{marker} not printed by {grade_id}")


@pytest.mark.parametrize("kind", KINDS)
def test_the_polluter_sees_its_own_traces_so_each_probe_works(runs, kind):
    assert kind in json.loads(_printed(runs["warm"]["nb"]["a_polluter"], "softmax", "LEAKS"))


@pytest.mark.parametrize("kind", KINDS)
def test_nothing_the_polluter_left_reaches_the_next_submissions_kernel(runs, kind):
    for victim in ("b_victim", "c_victim"):
        assert kind not in json.loads(_printed(runs["warm"]["nb"][victim], "softmax", "LEAKS")), victim


def test_nothing_reaches_the_next_submissions_hidden_test_worker(runs):
    """The victims' softmax is wrong if their worker saw any trace (or course_lib.solutions): full marks say
    it saw none; the polluter's own worker saw its traces and lost softmax (2 points) and the attention that
    uses it (4 points): the probe works there too."""
    warm = runs["warm"]
    assert _score(warm, "a_polluter") == FULL - 2 - 4
    assert _score(warm, "b_victim") == FULL
    assert _score(warm, "c_victim") == FULL


def test_no_process_outlives_the_grading():
    from autograde.engine import sandbox

    if not sandbox.available():
        pytest.skip("unconfined kernels (no PID namespace): a process a student detaches may outlive the kernel")
    left = []
    for pid in os.listdir("/proc"):
        try:
            if pid.isdigit() and b"4242.5" in Path(f"/proc/{pid}/cmdline").read_bytes():
                left.append(pid)
        except OSError:
            pass
    assert not left


def test_forked_kernels_get_fresh_random_generators(runs):
    seeds = {v: _printed(runs["warm"]["nb"][v], "softmax", "SEED") for v in ("b_victim", "c_victim")}
    assert seeds["b_victim"] != seeds["c_victim"]


def test_scores_are_the_same_warm_and_cold(runs):
    warm, cold = runs["warm"]["log"], runs["cold"]["log"]
    assert {k: (o.status, o.score) for k, o in warm.items()} == {k: (o.status, o.score) for k, o in cold.items()}
    assert _score(runs["warm"], "d_unscaled") == FULL - 4
    assert _score(runs["warm"], "f_imports_reference") == FULL - 1


def test_the_warm_run_forks_every_kernel_and_worker_and_the_cold_run_none(runs):
    """A template that cannot start costs only speed (the process starts cold): this is what says it started."""
    for run, forked in (("warm", ["kernel", "worker"]), ("cold", [])):
        for student, nb in runs[run]["nb"].items():
            assert nb.metadata["autograde"]["forked"] == forked, (run, student)


def test_a_crashing_experiment_costs_nothing_and_is_not_run_under_skip(runs):
    nb = runs["warm"]["nb"]["c_victim"]
    assert _score(runs["warm"], "c_victim") == FULL
    last = nb.cells[-1]
    assert "an experiment that crashes" in last.source
    assert [o.get("output_type") for o in last.outputs] == ["stream"]
    assert "not run while grading" in last.outputs[0].text
    assert nb.metadata["autograde"]["experiments"] == "skip"


def test_a_students_own_helper_cell_runs_because_a_graded_cell_needs_it(runs):
    """The kernel runs the plain cell the solution calls: the public check passes. (The grader's worker runs
    the solution cells only, so the hidden test cannot find the helper: a limitation of the worker, not of
    the skip; a helper belongs in the solution cell.)"""
    nb = runs["warm"]["nb"]["e_helper_cell"]
    helper = next(c for c in nb.cells if c.cell_type == "code" and "_my_helper(T):" in c.source and not grade_meta(c))
    assert not any("not run while grading" in o.get("text", "") for o in helper.outputs)
    check = next(c for c in nb.cells if grade_meta(c).get("grade_id") == "check_causal_mask")
    assert check.outputs and not [o for o in check.outputs if o.get("output_type") == "error"]


# -- which cells a graded run needs (no kernel) --------------------------------------------------------------
def _cells(*sources, graded=()):
    out = []
    for i, source in enumerate(sources):
        cell = nbformat.v4.new_code_cell(source)
        if i in graded:
            cell.metadata["nbgrader"] = {"grade_id": f"g{i}", "solution": True}
        out.append(cell)
    return out


def test_needed_keeps_what_a_graded_cell_reads_and_drops_the_rest():
    nb = _cells("x = 1", "def helper():\n    return x", "plot(results)", "def f(a):\n    return helper() + a",
                "y = f(2)", graded=(3,))
    assert cells.needed(nb) == {0, 1, 3}


def test_a_functions_own_parameters_and_locals_are_not_globals():
    assert cells.reads(ast.parse("def f(x, T=3):\n    n = x + T\n    return g(n)")) == {"g"}


def test_a_cell_that_changes_an_object_in_place_counts_as_binding_it():
    nb = _cells("import torch", "setup = make()", "setup.length = 5", "torch.manual_seed(0)", "check(setup)",
                graded=(4,))
    assert {1, 2} <= cells.needed(nb)


def test_every_source_notebook_keeps_its_given_classes_and_skips_its_experiments(repo):
    """The design the skip relies on: set-up, exercises, checks and tests bind what the graded cells read;
    a given class (09's Block) is kept; the experiments are not. (The canary grading of all nine notebooks
    under skip, in tests/test_autograde.py, is the proof that every graded cell passes.)"""
    skipped = {}
    for path in sorted((repo / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        keep = cells.needed(nb.cells)
        plain = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and not grade_meta(c)]
        skipped[path.stem] = [i for i in plain if i not in keep]
        assert skipped[path.stem], f"{path.stem}: no experiment cell skipped"
    block = next(i for i, c in enumerate(nbformat.read(repo / "notebooks" / "09_gpt.ipynb", as_version=4).cells)
                 if c.source.lstrip().startswith("# Given: a pre-LN GPT block"))
    assert block not in skipped["09_gpt"]


def test_the_jobs_take_the_class_in_runs_of_assignments():
    """`grade._by_job`: every submission once; dealt so that job k of n tends to take the k-th run of the sorted
    class (its own assignments, so its own hidden-test worker templates); one job: sorted by assignment."""
    from autograde.engine.log import Submission
    from autograde.steps.grade import _by_job

    class_ = [Submission(f"s{i}", a, "") for a in ("03_x", "01_x", "02_x", "04_x") for i in range(3)]
    for jobs in (1, 2, 3, 5, 20):
        dealt = _by_job(class_, jobs)
        assert sorted(dealt, key=repr) == sorted(class_, key=repr)
        n = min(jobs, len(class_))
        taken = [[s.assignment for s in dealt[k::n]] for k in range(n)]  # what each job takes if they keep pace
        assert [a for run in taken for a in run] == sorted(s.assignment for s in class_)
    assert _by_job([], 2) == []
