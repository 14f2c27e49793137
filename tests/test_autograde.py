"""End to end through `python -m autograde`: release, grade a class of honest, buggy, broken and cheating
submissions in one batch, export; every submission gets exactly the score it deserves."""

import csv
import hashlib
import json

import nbformat
import pytest
from commandline import autograde

from autograde.engine.notebook import BEGIN_HIDDEN, BEGIN_SOLUTION, grade_meta
from autograde.steps import demo
from autograde.steps.demo import solutions_of, student_notebook

NB = "03_self_attention"
POINTS = {"softmax": 2, "scaled_dot_product_attention": 4, "causal_mask": 1, "padding_mask": 1}
FULL = sum(POINTS.values())


def hand_in(folder, student, content):
    return demo.hand_in(folder, student, NB, content)


def _after(nb, grade_id):
    """The index just after a cell, to insert a student's own cell there."""
    return next(i for i, c in enumerate(nb.cells) if grade_meta(c).get("grade_id") == grade_id) + 1


def _retype(nb, grade_id):
    for cell in nb.cells:
        if grade_meta(cell).get("grade_id") == grade_id:
            cell.cell_type = "markdown"
            cell.pop("outputs", None)
            cell.pop("execution_count", None)


def _duplicate_and_reorder(nb):
    """Duplicate the set-up cell at the end and swap two demo cells: ids stay unique, nbgrader cells stay."""
    nb.cells.append(nbformat.from_dict(json.loads(json.dumps(nb.cells[1]))))
    nb.cells[-1].id = "duplicate-setup"
    demos = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and not grade_meta(c)]
    nb.cells[demos[0]], nb.cells[demos[1]] = nb.cells[demos[1]], nb.cells[demos[0]]


SNOOP = """import glob, json, os
tried = {{}}
def attempt(name, action):
    try:
        action()
        tried[name] = "done"
    except Exception as error:
        tried[name] = type(error).__name__
attempt("read_gradebook", lambda: open("{course}/gradebook.db", "rb").read(16))
attempt("read_source_notebook", lambda: open("{course}/source/03_self_attention/03_self_attention.ipynb").read(16))
attempt("read_repo_notebook", lambda: open("{repo}/notebooks/03_self_attention.ipynb").read(16))
attempt("read_other_submission", lambda: open("{subs}/correct/03_self_attention/03_self_attention.ipynb").read(16))
attempt("delete_other_submission", lambda: os.remove("{subs}/empty/03_self_attention/03_self_attention.ipynb"))
attempt("write_course", lambda: open("{course}/planted.txt", "w").write("x"))
attempt("write_elsewhere", lambda: open("{repo}/planted.txt", "w").write("x"))
def kill_parent():
    if os.getppid() <= 1:  # in its own PID namespace the kernel has no parent it can see
        raise PermissionError("no parent to kill")
    os.kill(os.getppid(), 9)
attempt("kill_parent", kill_parent)
attempt("write_own_copy", lambda: open("scratch.txt", "w").write("x"))
print("SNOOP" + json.dumps(tried))"""


# -- the class ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def graded_class(tmp_path_factory, repo, release):
    root = tmp_path_factory.mktemp("class")
    subs = root / "submissions"
    course_dir, released, good = release(root / "course", NB)
    unscaled = good["scaled_dot_product_attention"].replace(" / math.sqrt(d_k)", "")
    assert unscaled != good["scaled_dot_product_attention"]

    def delete_softmax_test(nb):
        nb.cells = [c for c in nb.cells if grade_meta(c).get("grade_id") != "test_softmax"]

    def empty_the_sdpa_test(nb):
        for c in nb.cells:
            if grade_meta(c).get("grade_id") == "test_scaled_dot_product_attention":
                c.source = "assert True"

    warning_softmax = good["softmax"].replace(
        '    """', '    import warnings; warnings.warn("a harmless warning on stderr")\n    """', 1
    )
    warning_softmax = "import warnings\n" + good["softmax"].replace(
        "    shifted =", "    warnings.warn('a harmless warning on stderr')\n    shifted ="
    )
    patch_checks = (
        "import course_lib.checks as c, course_lib.checks.self_attention as m\n"
        "c.check_scaled_dot_product_attention = lambda f: None\n"
        "m.check_scaled_dot_product_attention = lambda f: None\n"
        "m.SDPA.check = lambda *a, **k: True\n"
        "import course_lib.checks.framework as fw; fw.close = lambda *a, **k: True"
    )
    class_ = {
        "correct": student_notebook(released, good),
        "empty": student_notebook(released, {}),
        "unscaled": student_notebook(released, {**good, "scaled_dot_product_attention": unscaled}),
        "warns": student_notebook(released, {**good, "softmax": warning_softmax}),
        "imports_reference": student_notebook(
            released,
            {**good, "scaled_dot_product_attention": "from course_lib.solutions import scaled_dot_product_attention"},
        ),
        "wraps_reference": student_notebook(
            released,
            {
                **good,
                "causal_mask": (
                    "import course_lib.solutions as ref\n\ndef causal_mask(T):\n    return ref.causal_mask(T)"
                ),
            },
        ),
        "patches_checks": student_notebook(
            released, {**good, "scaled_dot_product_attention": unscaled}, extra_cells=[(2, patch_checks)]
        ),
        "edits_test": student_notebook(
            released, {**good, "scaled_dot_product_attention": unscaled}, edit=empty_the_sdpa_test
        ),
        "deletes_test": student_notebook(released, good, edit=delete_softmax_test),
        "raises": student_notebook(
            released, {**good, "padding_mask": "def padding_mask(lengths, max_len):\n    return 1 / 0"}
        ),
        "malformed": b'{"cells": [ this is not json',
        "empty_file": b"",
        "not_a_notebook": b'{"hello": "world"}',
        "dies": student_notebook(
            released,
            good,
            extra_cells=[(_after(released, "test_scaled_dot_product_attention"), "import os\nos._exit(1)")],
        ),
        "loops": student_notebook(
            released, good, extra_cells=[(_after(released, "test_softmax"), "while True:\n    pass")]
        ),
        "floods": student_notebook(
            released, good, extra_cells=[(_after(released, "test_softmax"), "print('x' * 30_000_000)")]
        ),
        "memory_bomb": student_notebook(
            released, good, extra_cells=[(_after(released, "test_softmax"), "hog = bytearray(12 * 2**30)")]
        ),
        "patches_torch": student_notebook(
            released,
            {**good, "scaled_dot_product_attention": unscaled},
            extra_cells=[(2, "import torch\ntorch.allclose = lambda *a, **k: True")],
        ),
        "retypes_test": student_notebook(
            released,
            {**good, "padding_mask": "def padding_mask(lengths, max_len):\n    return None"},
            edit=lambda nb: _retype(nb, "test_padding_mask"),
        ),
        "shuffles": student_notebook(released, good, edit=_duplicate_and_reorder),
        "segfaults": student_notebook(
            released, good, extra_cells=[(_after(released, "test_causal_mask"), "import ctypes\nctypes.string_at(0)")]
        ),
        "snoops": student_notebook(
            released,
            good,
            extra_cells=[(_after(released, "test_softmax"), SNOOP.format(course=course_dir, subs=subs, repo=repo))],
        ),
    }
    hashes = {}
    for student, content in class_.items():
        path = hand_in(subs, student, content)
        hashes[path] = hashlib.sha256(path.read_bytes()).hexdigest()
    run = autograde(
        "grade",
        subs,
        "--course-dir",
        course_dir,
        "--jobs",
        "2",
        "--no-progress",
        # The endless loop burns a core until the cell timeout: 15 s, ten times what 03's slowest cell needs under
        # load (the shrunk experiments, 1.6 s at load 12; benchmarks/RESULTS.md)
        "--timeout",
        "15",
        "--memory-limit",
        "4G",
        # Every cell runs: the catalog's attacks sit in cells of their own (os._exit, the snoop, the flood), which
        # `--experiments skip` (the default) would not run, no grade depending on them (tests/test_pool.py).
        "--experiments",
        "shrunk",
    )
    csv_path = root / "grades.csv"
    autograde("export", "--course-dir", course_dir, "--csv", csv_path)
    with open(csv_path) as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f)}
    log = json.loads((course_dir / "grade_log.json").read_text())
    return {
        "rows": rows,
        "hashes": hashes,
        "stdout": run.stdout,
        "course_dir": course_dir,
        "subs": subs,
        "log": log,
        "root": root,
    }


EXPECTED = {
    "correct": FULL,
    "empty": 0,
    "unscaled": FULL - POINTS["scaled_dot_product_attention"],
    "warns": FULL,  # a warning printed to stderr inside a test costs nothing
    "imports_reference": FULL - POINTS["scaled_dot_product_attention"],
    "wraps_reference": FULL - POINTS["causal_mask"],
    "patches_checks": FULL - POINTS["scaled_dot_product_attention"],
    "edits_test": FULL - POINTS["scaled_dot_product_attention"],  # the test cell comes back from the gradebook
    "deletes_test": FULL,  # the deleted test cell comes back too, and passes
    "raises": FULL - POINTS["padding_mask"],
    "malformed": 0,
    "empty_file": 0,
    "not_a_notebook": 0,
    "dies": FULL,  # the kernel is restarted, the cells before re-run without the one that killed it, and on it goes
    "loops": FULL,  # the loop is stopped at the cell timeout; the notebook goes on
    "floods": FULL,
    "memory_bomb": FULL,  # MemoryError in its own cell only
    # replacing torch in the kernel changes nothing the grader decides: the verdicts are computed in its own process
    "patches_torch": FULL - POINTS["scaled_dot_product_attention"],
    "retypes_test": FULL - POINTS["padding_mask"],
    "shuffles": FULL,
    "segfaults": FULL,  # the crashed kernel is restarted: the crash costs only the cell that caused it
    "snoops": FULL,
}


@pytest.mark.parametrize("student", sorted(EXPECTED))
def test_each_submission_gets_the_score_it_deserves(graded_class, student):
    row = graded_class["rows"][student]
    assert float(row["score"]) == EXPECTED[student], (student, row)
    assert float(row["max_score"]) == FULL


def test_export_has_the_required_columns(graded_class):
    row = next(iter(graded_class["rows"].values()))
    assert {"assignment", "student_id", "score", "max_score"} <= set(row)
    assert {r["assignment"] for r in graded_class["rows"].values()} == {NB}


def test_unreadable_files_are_reported_in_plain_words(graded_class):
    rows = graded_class["rows"]
    assert rows["malformed"]["status"] == "rejected" and "not valid JSON" in rows["malformed"]["message"]
    assert "empty" in rows["empty_file"]["message"]
    assert "malformed" in graded_class["stdout"] and "not valid JSON" in graded_class["stdout"]


def test_handed_in_files_are_never_modified(graded_class):
    for path, digest in graded_class["hashes"].items():
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, path


def test_released_version_has_no_solution_and_no_hidden_test(graded_class, repo):
    released = (graded_class["course_dir"] / "release" / NB / f"{NB}.ipynb").read_text()
    assert BEGIN_SOLUTION not in released and BEGIN_HIDDEN not in released and "_verify" not in released
    assert "exps / exps.sum(dim=dim, keepdim=True)" not in released  # a line of the reference body
    assert released.count("raise NotImplementedError()") == len(POINTS)


def test_unknown_assignment_is_a_plain_error(tmp_path):
    result = autograde("release", "99_nope", "--course-dir", tmp_path, check=False)
    assert result.returncode != 0 and "no assignment named 99_nope" in result.stderr


def test_each_case_of_the_catalog_is_reported_in_plain_words(graded_class):
    log = graded_class["log"]
    entry = lambda s: log[f"{NB}/{s}"]  # noqa: E731
    assert any("kernel died" in n and "restarted" in n for n in entry("dies")["notes"])
    assert any("edited the read-only cell test_scaled_dot_product_attention" in n for n in entry("edits_test")["notes"])
    assert any("deleted the read-only cell test_softmax" in n for n in entry("deletes_test")["notes"])
    assert any(
        "changed the read-only cell test_padding_mask into a markdown cell" in n for n in entry("retypes_test")["notes"]
    )
    assert entry("correct")["notes"] == [], "an honest submission is not reported for tampering"
    sdpa = next(r for r in entry("imports_reference")["exercises"] if r["exercise"] == "scaled_dot_product_attention")
    # The grader's worker has no reference solutions to import: the import itself fails there, and says why.
    assert "without the course's reference solutions" in sdpa["message"] and sdpa["points"] == 0
    unscaled = next(r for r in entry("unscaled")["exercises"] if r["exercise"] == "scaled_dot_product_attention")
    assert unscaled["mistake"] == "no 1/sqrt(d_k) scaling"
    patched = next(r for r in entry("patches_torch")["exercises"] if r["exercise"] == "scaled_dot_product_attention")
    assert patched["mistake"] == "no 1/sqrt(d_k) scaling"


def test_huge_output_is_capped_in_the_stored_notebook(graded_class):
    stored = graded_class["course_dir"] / "autograded" / "floods" / NB / f"{NB}.ipynb"
    assert stored.stat().st_size < 2_000_000


@pytest.mark.skipif(not __import__("autograde.engine.sandbox").engine.sandbox.available(),
                    reason="the sandbox needs Linux and root")
def test_the_sandbox_keeps_a_kernel_inside_its_own_working_copy(graded_class, repo):
    stored = nbformat.read(graded_class["course_dir"] / "autograded" / "snoops" / NB / f"{NB}.ipynb", as_version=4)
    text = "".join(o.get("text", "") for c in stored.cells if c.cell_type == "code" for o in c.outputs)
    tried = json.loads(text.split("SNOOP", 1)[1].splitlines()[0])
    assert tried["write_own_copy"] == "done"
    for name in (
        "read_gradebook",
        "read_source_notebook",
        "read_repo_notebook",
        "read_other_submission",
        "delete_other_submission",
        "kill_parent",
    ):
        assert tried[name] != "done", (name, tried)
    # A write outside the working copy never reaches the real folder. Where that folder lies under /tmp
    # (pytest's folders, a clone in /tmp), the kernel sees /tmp as its own private, empty tmpfs: the write
    # lands there and vanishes with the kernel. Elsewhere the file system is read-only and the write fails.
    for name, folder in (("write_course", graded_class["course_dir"]), ("write_elsewhere", repo)):
        assert not (folder / "planted.txt").exists(), name
        if not str(folder.resolve()).startswith("/tmp/"):
            assert tried[name] != "done", (name, tried)


def test_regrading_is_idempotent_and_sequential_equals_parallel(graded_class):
    """Grade a part of the class again, one job, in the same course folder: the same scores, no new rows."""
    subset = ["correct", "unscaled", "dies", "patches_checks"]
    args = [a for s in subset for a in ("--student", s)]
    autograde(
        "grade",
        graded_class["subs"],
        "--course-dir",
        graded_class["course_dir"],
        "--jobs",
        "1",
        "--no-progress",
        "--timeout",
        "15",
        "--experiments",
        "shrunk",
        *args,
    )
    csv_path = graded_class["root"] / "again.csv"
    autograde("export", "--course-dir", graded_class["course_dir"], "--csv", csv_path)
    with open(csv_path) as f:
        again = {r["student_id"]: r for r in csv.DictReader(f)}
    assert len(again) == len(graded_class["rows"])
    for s in subset:
        assert again[s]["score"] == graded_class["rows"][s]["score"], s


def test_feedback_never_shows_a_hidden_test(graded_class):
    autograde("feedback", "--course-dir", graded_class["course_dir"])
    pages = list((graded_class["course_dir"] / "feedback").rglob("*.html"))
    assert len(pages) == len(EXPECTED)
    for page in pages:
        text = page.read_text()
        assert "_verify" not in text and "_trusted" not in text and "BEGIN HIDDEN" not in text and "seed=" not in text
    unscaled = (graded_class["course_dir"] / "feedback" / "unscaled" / f"{NB}.html").read_text()
    assert "no 1/sqrt(d_k) scaling" in unscaled and "Score: 4 / 8" in unscaled
    assert "(--experiments shrunk)" in unscaled, "the page says what the experiment cells did"


def test_report_names_the_most_failed_exercise_and_its_mistake(graded_class):
    autograde("report", "--course-dir", graded_class["course_dir"])
    report = (graded_class["course_dir"] / "report" / "report.md").read_text()
    first_row = next(line for line in report.splitlines() if line.startswith("| `"))
    assert "`scaled_dot_product_attention`" in first_row
    for plot in (f"{NB}_scores.png", f"{NB}_exercises.png"):
        assert (graded_class["course_dir"] / "report" / plot).stat().st_size > 1000


def test_every_notebook_grades_full_with_solutions_and_zero_with_stubs(tmp_path, repo, released_course):
    """Each assignment's student version releases, and grades as it should through the command line, in English
    and in Chinese (`release --lang zh` writes both; the Chinese solved notebooks earn full marks too)."""
    from autograde.gradebook.course import assignments

    subs = tmp_path / "subs"
    course_dir = released_course(tmp_path / "course", lang="zh")
    for stem in assignments():
        released = nbformat.read(course_dir / "release" / stem / f"{stem}.ipynb", as_version=4)
        good = solutions_of(nbformat.read(repo / "notebooks" / f"{stem}.ipynb", as_version=4))
        demo.hand_in(subs, "solved", stem, student_notebook(released, good))
        demo.hand_in(subs, "stubs", stem, released)
        chinese = nbformat.read(course_dir / "release-zh" / stem / f"{stem}.ipynb", as_version=4)
        demo.hand_in(subs, "solved-zh", stem, student_notebook(chinese, good))
    # One job: each of the nine assignments then starts one hidden-test worker template, not one per job
    # (graded_class and test_regrading_is_idempotent_and_sequential_equals_parallel grade with two)
    autograde("grade", subs, "--course-dir", course_dir, "--jobs", "1", "--no-progress")
    autograde("export", "--course-dir", course_dir, "--csv", tmp_path / "g.csv")
    with open(tmp_path / "g.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 3 * len(assignments())
    for row in rows:
        expected = float(row["max_score"]) if row["student_id"].startswith("solved") else 0.0
        assert float(row["max_score"]) > 0 and float(row["score"]) == expected, row


def test_a_broken_resubmission_replaces_the_earlier_score(tmp_path, release):
    course_dir, released, good = release(tmp_path / "course", NB)
    demo.hand_in(tmp_path / "first", "ada", NB, student_notebook(released, good))
    demo.hand_in(tmp_path / "second", "ada", NB, b"{ broken")
    for folder, score, status in (("first", FULL, "graded"), ("second", 0, "rejected")):
        autograde("grade", tmp_path / folder, "--course-dir", course_dir, "--no-progress")
        autograde("export", "--course-dir", course_dir, "--csv", tmp_path / "g.csv")
        with open(tmp_path / "g.csv") as f:
            (row,) = list(csv.DictReader(f))
        assert (float(row["score"]), row["status"]) == (score, status)


def test_the_grader_names_exercises_as_the_checks_do():
    """autograde.engine.results.snake_case (the grader's main process, without torch) is the checks' own."""
    from autograde.engine.results import exercise_name
    from autograde.engine.results import snake_case as graders
    from course_lib.checks import EXERCISES
    from course_lib.checks.framework import snake_case

    for name in [*EXERCISES, "GPTBlock", "already_snake", "RNNCell2D"]:
        assert graders(name) == snake_case(name), name
    for name in EXERCISES:
        assert exercise_name(f"test_{snake_case(name)}") == name == exercise_name(f"test_{snake_case(name)}", [name])


def test_feedback_says_what_the_experiment_cells_did():
    from autograde.engine.log import Outcome
    from autograde.steps.feedback import page

    for mode in ("skip", "shrunk", "full"):
        html = page(Outcome("ada", NB, "graded", 8, 8, experiments=mode))
        assert f"(--experiments {mode})" in html
    assert "--experiments" not in page(Outcome("ada", NB, "graded", 8, 8))  # graded before the field existed
    assert "--experiments" not in page(Outcome("ada", NB, "rejected", 0, 8, message="not JSON"))
