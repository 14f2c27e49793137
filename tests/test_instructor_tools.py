"""What an instructor reads after grading: the report, the feedback pages and the CSV say what to act on."""
import csv

import nbformat
import pytest
from commandline import autograde

from autograde.engine.log import ExerciseResult, Outcome, write_log
from autograde.engine.notebook import grade_meta
from autograde.steps import demo
from autograde.steps.demo import student_notebook

NB = "03_self_attention"


def _result(exercise, passed, mistake="", points=1.0):
    return ExerciseResult(f"test_{exercise}", exercise, points if passed else 0.0, points, passed,
                          "" if passed else f"{exercise}: looks like {mistake}. hint", mistake)


def _log(course_dir):
    """A small class: two honest mistakes of the same kind, one unattempted exercise, a rejection, a tamperer."""
    outcomes = [
        Outcome("ada", NB, "graded", 8, 8, exercises=[_result("softmax", True), _result("causal_mask", True)]),
        Outcome("bob", NB, "graded", 1, 8, exercises=[
            _result("softmax", False, "no 1/sqrt(d_k) scaling"), _result("causal_mask", False, "not attempted")]),
        Outcome("cy", NB, "graded", 3, 8, exercises=[
            _result("softmax", False, "no 1/sqrt(d_k) scaling"), _result("causal_mask", True)],
            notes=["edited the read-only cell test_softmax (restored for grading: the edit earns nothing)"]),
        Outcome("dee", NB, "rejected", 0, 8, message="the file is empty"),
        Outcome("eve", NB, "graded", 0, 8, exercises=[
            _result("softmax", False, "not attempted"), _result("causal_mask", False, "not attempted")]),
    ]
    write_log(course_dir, outcomes)
    return outcomes


def test_report_keeps_misconceptions_apart_from_unattempted_work(tmp_path):
    _log(tmp_path)
    autograde("report", "--course-dir", tmp_path)
    report = (tmp_path / "report" / "report.md").read_text()
    softmax = next(line for line in report.splitlines() if line.startswith("| `softmax`"))
    assert "| 1 / 4 | 2 | 1 |" in softmax and "no 1/sqrt(d_k) scaling (2)" in softmax
    assert "not attempted (" not in report, "'not attempted' has its own column, never shown as a misconception"


def test_report_names_the_students_to_look_at_and_why(tmp_path):
    _log(tmp_path)
    autograde("report", "--course-dir", tmp_path)
    report = (tmp_path / "report" / "report.md").read_text()
    look = report.split("### Students to look at")[1]
    assert ("`cy`: below half marks; wrong: softmax (no 1/sqrt(d_k) scaling); edited the read-only cell "
            "test_softmax") in look, "the learning problem first, then the tampering"
    assert "`dee`: rejected: the file is empty" in look
    assert "`bob`: below half marks; wrong: softmax (no 1/sqrt(d_k) scaling)" in look
    assert "`ada`" not in look and "`eve`" not in look, "full marks, or nothing attempted, needs no second look"


def test_a_grader_fault_is_never_the_students_fault_in_feedback(tmp_path):
    write_log(tmp_path, [Outcome("ada", NB, "grader_fault", 0, 8, message="Kernel died before replying")])
    autograde("feedback", "--course-dir", tmp_path)
    page = (tmp_path / "feedback" / "ada" / f"{NB}.html").read_text()
    assert "nothing is wrong with your file" in page and "Hand in the notebook file itself" not in page


@pytest.fixture(scope="module")
def graded(tmp_path_factory, release):
    """Notebook 03 graded for a student who solved it and one who edited a read-only cell and left stubs."""
    root = tmp_path_factory.mktemp("instructor")
    subs = root / "subs"
    course_dir, released, good = release(root / "course", NB)
    demo.hand_in(subs, "ada", NB, student_notebook(released, good))
    tampered = nbformat.from_dict(nbformat.reads(nbformat.writes(released), as_version=4))
    next(c for c in tampered.cells if grade_meta(c).get("grade_id") == "test_softmax").source += "\n# mine"
    demo.hand_in(subs, "bob", NB, tampered)
    result = autograde("grade", subs, "--course-dir", course_dir, "--no-progress")
    return course_dir, subs, result, released, good


def test_the_terminal_table_shows_tampering(graded):
    result = graded[2]
    assert "note: edited the read-only cell test_softmax" in result.stdout


def test_export_one_assignment_with_a_column_per_exercise_and_the_notes(graded, tmp_path):
    course_dir = graded[0]
    autograde("export", "--course-dir", course_dir, "--csv", tmp_path / "g.csv", "--assignment", NB, "--per-exercise")
    with open(tmp_path / "g.csv") as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f)}
    assert rows["ada"]["score"] == "8" and rows["ada"]["softmax points"] == "2"
    assert rows["bob"]["scaled_dot_product_attention points"] == "0"
    assert "edited the read-only cell test_softmax" in rows["bob"]["notes"]
    wrong = autograde("export", "--course-dir", course_dir, "--csv", tmp_path / "x.csv", "--assignment", "99_nope",
                      check=False)
    assert wrong.returncode != 0 and "no assignment named 99_nope" in wrong.stderr


def test_feedback_and_report_are_refreshed_when_a_resubmission_is_graded(graded, tmp_path):
    course_dir, subs, _, released, good = graded
    autograde("feedback", "--course-dir", course_dir)
    autograde("report", "--course-dir", course_dir)
    page = course_dir / "feedback" / "bob" / f"{NB}.html"
    assert "Score: 0 / 8" in page.read_text()
    demo.hand_in(tmp_path / "again", "bob", NB, student_notebook(released, good))
    result = autograde("grade", tmp_path / "again", "--course-dir", course_dir, "--no-progress")
    assert "refreshed feedback pages and the class report" in result.stdout
    assert "Score: 8 / 8" in page.read_text()


def test_a_misspelt_assignment_folder_is_named_in_the_export_not_called_no_submission(graded, tmp_path):
    course_dir, _, _, released, good = graded
    folder = tmp_path / "subs" / "cy" / "03_self_atention"
    folder.mkdir(parents=True)
    nbformat.write(student_notebook(released, good), folder / "03_self_atention.ipynb")
    autograde("grade", tmp_path / "subs", "--course-dir", course_dir, "--no-progress", check=False)
    autograde("export", "--course-dir", course_dir, "--csv", tmp_path / "g.csv")
    with open(tmp_path / "g.csv") as f:
        row = next(r for r in csv.DictReader(f) if r["student_id"] == "cy")
    assert row["status"] == "rejected" and "no assignment named '03_self_atention'" in row["message"]


def test_grade_names_everything_it_does_not_grade_and_says_so_in_its_exit_status(graded, tmp_path):
    """The trap: a downloads folder with zips and flat folders graded one nested folder, silently, status 0."""
    course_dir, _, _, released, good = graded
    inbox = tmp_path / "downloads"
    demo.hand_in(inbox, "ada", NB, student_notebook(released, good))  # laid out: graded
    (inbox / "bob__03_self_attention.zip").write_bytes(b"PK")  # a zip: collect first
    (inbox / "cy").mkdir()
    nbformat.write(student_notebook(released, good), inbox / "cy" / f"{NB}.ipynb")  # flat: graded too
    (inbox / "cy" / "notes.txt").write_text("my notes")
    (inbox / "dee ee").mkdir()
    result = autograde("grade", inbox, "--course-dir", course_dir, "--no-progress", check=False)
    assert result.returncode == 1 and "3 entries of" in result.stderr, result.stdout + result.stderr
    assert "bob__03_self_attention.zip: a zip file at the top of the folder names no student" in result.stdout
    assert "cy/notes.txt: belongs to no assignment" in result.stdout
    assert "dee ee: not a student id" in result.stdout
    graded_students = [line.split()[1] for line in result.stdout.splitlines() if line.startswith(NB)]
    assert graded_students == ["ada", "cy"]


def test_a_canary_that_passed_is_not_run_again_under_the_same_conditions(graded):
    """Re-grading resubmissions costs no second canary; a change of limits or code would run it again."""
    import json

    from autograde.gradebook.course import DEFAULT_CELL_TIMEOUT
    from autograde.steps.grade import CANARY_LOG, DEFAULT_MEMORY_LIMIT, _hidden_from_kernels, canary_key

    course_dir, subs = graded[0], graded[1]
    passed = json.loads((course_dir / CANARY_LOG).read_text())
    hidden = _hidden_from_kernels(course_dir, subs)
    key = passed[NB].split("/")[0]  # grade adds "/<experiments>" (skip by default)
    assert key == canary_key(course_dir, NB, hidden, DEFAULT_MEMORY_LIMIT, DEFAULT_CELL_TIMEOUT)
    assert key != canary_key(course_dir, NB, hidden, DEFAULT_MEMORY_LIMIT // 2, DEFAULT_CELL_TIMEOUT)
    assert key != canary_key(course_dir, NB, hidden, DEFAULT_MEMORY_LIMIT, DEFAULT_CELL_TIMEOUT,
                             submission_timeout=60), "the notebook's time budget is a condition too"


def test_regrading_keeps_unchanged_submissions_unless_forced(graded, tmp_path):
    course_dir, _, _, released, good = graded
    demo.hand_in(tmp_path / "inbox", "fay", NB, student_notebook(released, good))
    first = autograde("grade", tmp_path / "inbox", "--course-dir", course_dir, "--no-progress")
    again = autograde("grade", tmp_path / "inbox", "--course-dir", course_dir, "--no-progress")
    forced = autograde("grade", tmp_path / "inbox", "--course-dir", course_dir, "--no-progress", "--force")
    assert "unchanged" not in first.stdout and "unchanged" not in forced.stdout
    assert "1 submission(s) unchanged since they were graded kept their grades" in again.stdout
    for run in (first, again, forced):
        assert "fay" in run.stdout and "8 / 8" in run.stdout


def test_defaults_are_relative_to_the_current_folder_and_collect_takes_a_course_dir(graded, tmp_path):
    """The trap: defaults pointed into the repository whatever the current folder."""
    _, _, _, released, _ = graded
    inbox = tmp_path / "inbox"
    (inbox / "ada").mkdir(parents=True)
    nbformat.write(released, inbox / "ada" / f"{NB}.ipynb")
    autograde("collect", inbox, cwd=tmp_path)
    assert (tmp_path / "course" / "submissions" / "ada" / NB / f"{NB}.ipynb").exists()
    autograde("collect", inbox, "--course-dir", tmp_path / "term2", cwd=tmp_path)
    assert (tmp_path / "term2" / "submissions" / "ada" / NB / f"{NB}.ipynb").exists()
    assert "in the current folder" in autograde("grade", "--help").stdout


def test_a_worker_package_that_cannot_be_built_is_a_grader_fault(graded, tmp_path, released_course):
    """The package the hidden-test worker runs on is built by the grader (in its grading jobs): its failure is
    never a student's zero. Here its folder cannot be made: a file stands where the folder goes."""
    from autograde.steps import grade as grading

    _, _, _, released, good = graded
    course_dir = tmp_path / "course"
    released_course(course_dir, NB)
    demo.hand_in(tmp_path / "subs", "ada", NB, student_notebook(released, good))
    (course_dir / grading.GRADING_ENVS).write_text("not a folder")
    outcomes = grading.grade(tmp_path / "subs", course_dir, progress=False)
    (outcome,) = outcomes
    assert outcome.status == "grader_fault" and "could not build the package its worker runs" in outcome.message
    report = grading.grader_fault_report(outcomes)
    assert "course folder is writable" in report and ("FileExistsError" in report or "NotADirectoryError" in report)
    assert not (course_dir / "canary.json").exists(), "the canary did not pass without its package"
