"""A real class's mess (issue 20): one grading run of a small class that holds many cases, read by many tests.

The class, all of 03 (whose canary is the cheapest): a softmax that is wrong (a cascade into
scaled_dot_product_attention); a causal_mask that loops forever; 08's notebook handed in as 03; a folder named
with a person's name; an empty folder; a stray checkpoint beside a notebook; a notebook over the size limit.
Graded once, with a short cell limit (long enough for the set-up cell's imports on a busy machine).
"""
import csv
import json
import shlex
import sys

import nbformat
import pytest
from commandline import autograde

from autograde.engine.notebook import grade_meta
from autograde.steps import demo
from autograde.steps.demo import solutions_of, student_notebook

# One worker runs them all, and the class is graded once per session: a module-scoped fixture would be graded
# again each time the worker comes back to this module from another one.
pytestmark = pytest.mark.xdist_group("grading_mess")

A03, A04, A08 = "03_self_attention", "04_multi_head_attention", "08_transformer"
CELL_TIMEOUT = 20


def _released(course_dir, assignment):
    return nbformat.read(course_dir / "release" / assignment / f"{assignment}.ipynb", as_version=4)


def _good(repo, assignment):
    return solutions_of(nbformat.read(repo / "notebooks" / f"{assignment}.ipynb", as_version=4))


def _looping(source):
    """The function with an endless loop before its body's last line. The loop sleeps between turns: the grader
    cannot tell it from a busy loop (both run until the cell timeout, three times: the check, the graded test and
    the hidden verdict), and the suite's two cores are not spent on a minute of `pass`. test_autograde's
    `loops` keeps a busy loop."""
    lines = source.splitlines()
    return "\n".join(lines[:-1] + ["    import time", "    while True:  # forgot to stop", "        time.sleep(0.05)",
                                     lines[-1]])


def _broken_softmax(good):
    return good["softmax"].replace("return exps / exps.sum(dim=dim, keepdim=True)", "return exps")


@pytest.fixture(scope="session")
def mess(tmp_path_factory, repo, released_course):
    """The class graded once; every test reads the same results."""
    root = tmp_path_factory.mktemp("mess")
    course_dir, subs = root / "course", root / "subs"
    released_course(course_dir, A03, A08)
    r03, r08 = _released(course_dir, A03), _released(course_dir, A08)
    g03, g08 = _good(repo, A03), _good(repo, A08)
    demo.hand_in(subs, "cas", A03, student_notebook(r03, {**g03, "softmax": _broken_softmax(g03)}))
    demo.hand_in(subs, "loopy", A03, student_notebook(r03, {**g03, "causal_mask": _looping(g03["causal_mask"])}))
    demo.hand_in(subs, "wrongnb", A03, student_notebook(r08, g08))  # 08's notebook, handed in as 03
    demo.hand_in(subs, "swapped", A04, student_notebook(r03, g03))  # 03's, handed in as 04 (cheap to grade as 03)
    demo.hand_in(subs, "John Smith", A03, student_notebook(r03, g03))  # a name, not a student id
    for student in ("cas", "loopy"):  # the time collect records beside a notebook (for due dates)
        (subs / student / A03 / "timestamp.txt").write_text("2026-11-20 10:03:12.000000 UTC")
    (subs / "empty").mkdir()
    (subs / "cas" / A03 / "checkpoint.pt").write_bytes(b"\0" * (2 * 2**20))
    big = demo.hand_in(subs, "huge", A03, student_notebook(r03, g03))
    data = json.loads(big.read_text())
    data["cells"][0].setdefault("attachments", {})["blob.png"] = {"image/png": "A" * (51 * 2**20)}
    big.write_text(json.dumps(data))
    # --memory-limit 0: the memory cap has its own tests (test_autograde's memory bomb); here it only adds a
    # way for a busy shared machine to fail the canary
    result = autograde("grade", subs, "--course-dir", course_dir, "--no-progress", "--jobs", "2",
                       "--cell-timeout", CELL_TIMEOUT, "--memory-limit", "0", check=False)
    log = json.loads((course_dir / "grade_log.json").read_text())
    return {"root": root, "course_dir": course_dir, "subs": subs, "result": result, "log": log,
            "r03": r03, "r08": r08, "g03": g03, "g08": g08}


def _entry(mess, assignment, student):
    return mess["log"][f"{assignment}/{student}"]


def _exercise(entry, name):
    return next(r for r in entry["exercises"] if r["exercise"] == name)


# -- 1. an endless loop ------------------------------------------------------------------------------------------
def test_an_endless_loop_is_named_as_a_timeout_and_the_cells_after_it_do_not_wait(mess):
    entry = _entry(mess, A03, "loopy")
    assert entry["status"] == "graded", entry
    mask = _exercise(entry, "causal_mask")
    assert not mask["passed"]
    assert mask["message"] == f"cell `check_causal_mask` ran past {CELL_TIMEOUT} s (an endless loop?)"
    assert _exercise(entry, "padding_mask")["passed"], "the exercise after the loop is decided by the hidden tests"
    assert "KeyboardInterrupt" not in json.dumps(entry)
    note = next(n for n in entry["notes"] if "ran past" in n)
    assert "the cells after it were not run" in note
    # the table shows it too
    assert f"cell `check_causal_mask` ran past {CELL_TIMEOUT} s (an endless loop?)" in mess["result"].stdout
    executed = nbformat.read(mess["course_dir"] / "autograded" / "loopy" / A03 / f"{A03}.ipynb", as_version=4)
    ids = [grade_meta(c).get("grade_id") for c in executed.cells]
    after = [c for c in executed.cells[ids.index("check_causal_mask") + 1:] if c.cell_type == "code"]
    assert after and not any(o.get("ename") == "KeyboardInterrupt" for c in after for o in c.outputs)
    assert all(c.outputs and c.outputs[0].get("evalue", "").startswith("not run: cell `check_causal_mask` ran past")
               for c in after if not grade_meta(c).get("grade")), "no cell after the loop waited for the limit again"


def test_the_looping_student_is_one_to_look_at_and_the_export_and_feedback_say_timeout(mess, tmp_path):
    course_dir = mess["course_dir"]
    autograde("report", "--course-dir", course_dir)
    look = (course_dir / "report" / "report.md").read_text().split("### Students to look at")[1]
    assert "`loopy`" in look and "ran past" in look.split("`loopy`")[1].splitlines()[0]
    autograde("feedback", "--course-dir", course_dir, "--student", "loopy")
    page = (course_dir / "feedback" / "loopy" / f"{A03}.html").read_text()
    assert f"cell `check_causal_mask` ran past {CELL_TIMEOUT} s (an endless loop?)" in page
    autograde("export", "--course-dir", course_dir, "--csv", tmp_path / "g.csv")
    with open(tmp_path / "g.csv") as f:
        row = next(r for r in csv.DictReader(f) if r["student_id"] == "loopy")
    assert "ran past" in row["notes"] and "KeyboardInterrupt" not in json.dumps(row)


# -- 2. another assignment's notebook ------------------------------------------------------------------------
def test_another_assignments_notebook_is_named_and_never_called_tampering(mess):
    entry = _entry(mess, A03, "wrongnb")
    assert entry["status"] == "rejected"
    assert entry["message"].startswith(f"this is {A08}'s notebook, handed in as {A03}: not graded as {A03}")
    assert not any("read-only" in n for n in entry["notes"]) and "jsonschema" not in entry["message"]
    assert f"this is {A08}'s notebook, handed in as {A03}" in mess["result"].stdout


def test_the_remedy_for_another_assignments_notebook_grades_it_as_what_it_is_when_followed(mess):
    """The printed command, run as printed: 03's notebook handed in as 04 is graded as 03, no tampering alleged."""
    message = _entry(mess, A04, "swapped")["message"]
    assert message.startswith(f"this is {A03}'s notebook, handed in as {A04}: not graded as {A04}")
    command = _remedy(message)
    assert "--grade-as-found" in command
    result = _follow(command + f" --memory-limit 0 --cell-timeout {CELL_TIMEOUT}")  # the fixture's limits
    log = json.loads((mess["course_dir"] / "grade_log.json").read_text())
    entry = log[f"{A03}/swapped"]
    assert entry["status"] == "graded" and entry["score"] == entry["max_score"], result.stdout + result.stderr
    assert entry["notes"][0] == f"graded as {A03}, the notebook it is, though handed in as {A04} (--grade-as-found)"
    assert not any("read-only" in n for n in entry["notes"])


def test_collect_names_another_assignments_notebook(mess, tmp_path):
    inbox = tmp_path / "inbox" / "wrongnb"
    inbox.mkdir(parents=True)
    nbformat.write(student_notebook(mess["r08"], mess["g08"]), inbox / f"{A03}.ipynb")
    result = autograde("collect", inbox.parent, "--into", tmp_path / "subs", "--course-dir", tmp_path / "c")
    assert f"this is {A08}'s notebook, handed in as {A03}; filed as handed in (wrongnb/{A03}/)" in result.stdout
    assert (tmp_path / "subs" / "wrongnb" / A03 / f"{A03}.ipynb").exists()


# -- 3. every remedy printed works when followed literally ------------------------------------------------------
def _remedy(text):
    """The first command quoted in backticks in a message."""
    return text.split("`")[1]


def _follow(command, cwd=None):
    """Run a printed `python -m autograde ...` or `mv ...` command as the instructor would."""
    import subprocess

    argv = shlex.split(command)
    if argv[:3] == ["python", "-m", "autograde"]:
        argv[0] = sys.executable
    return subprocess.run(argv, capture_output=True, text=True, cwd=cwd)


def test_the_remedy_for_a_folder_named_with_a_name_makes_it_a_student_not_an_assignment(mess):
    line = next(line_ for line_ in mess["result"].stdout.splitlines() if line_.startswith("left out  John Smith"))
    command = _remedy(line)
    assert command.startswith("mv "), line
    assert _follow(command).returncode == 0
    assert (mess["subs"] / "John_Smith" / A03 / f"{A03}.ipynb").exists()
    assert not (mess["subs"] / A03).exists(), "the assignment's folder never becomes a student"


def test_collect_never_makes_an_assignment_folder_a_student(mess, tmp_path):
    inbox = tmp_path / "inbox"
    demo.hand_in(inbox, "John Smith", A03, student_notebook(mess["r03"], mess["g03"]))
    result = autograde("collect", inbox, "--into", tmp_path / "subs", "--course-dir", tmp_path / "c", check=False)
    assert not (tmp_path / "subs" / A03).exists()
    line = next(line_ for line_ in result.stdout.splitlines() if "John Smith" in line_)
    assert _follow(_remedy(line)).returncode == 0
    again = autograde("collect", inbox, "--into", tmp_path / "subs", "--course-dir", tmp_path / "c")
    assert (tmp_path / "subs" / "John_Smith" / A03 / f"{A03}.ipynb").exists(), again.stdout


def test_the_remedy_for_a_zip_at_the_top_lays_it_out_for_grading(mess, tmp_path):
    import zipfile

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    with zipfile.ZipFile(inbox / f"zed__{A03}.zip", "w") as z:
        z.writestr(f"{A03}.ipynb", nbformat.writes(student_notebook(mess["r03"], mess["g03"])))
    result = autograde("grade", inbox, "--course-dir", mess["course_dir"], "--no-progress", check=False)
    line = next(line_ for line_ in result.stdout.splitlines() if line_.startswith(f"left out  zed__{A03}.zip"))
    command = _remedy(line)
    assert _follow(command).returncode == 0, command
    laid = inbox.parent / "inbox-collected"
    assert f"then grade {laid}" in line
    assert (laid / "zed" / A03 / f"{A03}.ipynb").exists()


# -- 4. grade lists everything it leaves out ---------------------------------------------------------------------
def test_grade_lists_empty_folders_and_stray_files(mess):
    out = mess["result"].stdout
    assert "left out  empty: an empty folder; nothing to grade" in out
    assert f"left out  cas/{A03}/checkpoint.pt: not a notebook (2 MB); not graded" in out
    assert mess["result"].returncode == 1


# -- 7. a notebook over the size limit -----------------------------------------------------------------------------
def test_a_notebook_over_the_size_limit_gets_a_row_with_how_to_shrink_it(mess, tmp_path):
    entry = _entry(mess, A03, "huge")
    assert entry["status"] == "rejected" and "over the 50 MB limit: clear its outputs" in entry["message"]
    assert "remove embedded data" in entry["message"]
    autograde("export", "--course-dir", mess["course_dir"], "--csv", tmp_path / "g.csv")
    with open(tmp_path / "g.csv") as f:
        row = next(r for r in csv.DictReader(f) if r["student_id"] == "huge")
    assert row["status"] == "rejected" and "clear its outputs" in row["message"]


# -- 5. cascades: a piece that fails is named in the exercises built on it ----------------------------------
def test_a_failing_piece_is_named_in_the_exercise_that_builds_on_it(mess):
    entry = _entry(mess, A03, "cas")
    softmax, sdpa = _exercise(entry, "softmax"), _exercise(entry, "scaled_dot_product_attention")
    assert not softmax["passed"] and not sdpa["passed"]
    assert sdpa["builds_on"] == "softmax" and sdpa["mistake"].startswith("through softmax: ")
    autograde("feedback", "--course-dir", mess["course_dir"], "--student", "cas")
    page = (mess["course_dir"] / "feedback" / "cas" / f"{A03}.html").read_text()
    assert "This fails because <code>softmax</code>, which it builds on, fails" in page
    autograde("report", "--course-dir", mess["course_dir"])
    report = (mess["course_dir"] / "report" / "report.md").read_text()
    row = next(line for line in report.splitlines() if line.startswith("| `scaled_dot_product_attention`"))
    assert "through softmax: " in row and "unrecognised" not in row, row


def test_the_dependency_table_blames_only_a_piece_that_fails_in_the_same_submission():
    from autograde.engine.log import ExerciseResult
    from autograde.engine.results import with_dependencies

    def result(name, passed, mistake="", message="wrong"):
        return ExerciseResult(f"test_{name}", name, float(passed), 1.0, passed, "" if passed else message, mistake)

    ok = with_dependencies([result("softmax", True), result("scaled_dot_product_attention", False)])
    assert ok[1].builds_on == "" and ok[1].mistake == "", "softmax passes: sdpa's failure is its own"
    own = with_dependencies([result("softmax", False, "no max subtracted"),
                             result("scaled_dot_product_attention", False, "no 1/sqrt(d_k) scaling")])
    assert own[1].builds_on == "", "a mistake of its own, named by its check, stays its own"
    said = with_dependencies([result("DecoderLayer", False, "post-LN where pre-LN"),
                              result("Transformer", False, message="Transformer: your Transformer uses your "
                                     "DecoderLayer (decoder_layers[0]), which does not pass its check yet: fix that "
                                     "first.")])
    assert said[1].builds_on == "DecoderLayer" and said[1].mistake == "through DecoderLayer: post-LN where pre-LN"


# -- 9. names and platform facts ---------------------------------------------------------------------------------
def test_collect_keeps_names_and_the_late_flag_and_says_what_it_replaced(mess, tmp_path):
    from autograde.steps.collect import read_roster

    text = nbformat.writes(student_notebook(mess["r03"], mess["g03"]))
    inbox = tmp_path / "canvas"
    inbox.mkdir()
    (inbox / f"smithjohn_LATE_12345_67890_{A03}.ipynb").write_text(text)
    moodle = inbox / "Ada Lovelace_23456_assignsubmission_file_"
    moodle.mkdir()
    (moodle / f"{A03}.ipynb").write_text(text)
    course_dir, subs = tmp_path / "course", tmp_path / "subs"
    first = autograde("collect", inbox, "--into", subs, "--course-dir", course_dir)
    assert "replaced" not in first.stdout
    roster = read_roster(course_dir)
    assert roster[("12345", A03)]["name"] == "smithjohn" and roster[("12345", A03)]["platform_late"] == "LATE"
    assert roster[("23456", A03)]["name"] == "Ada Lovelace" and roster[("23456", A03)]["platform_late"] == ""
    (moodle / f"{A03}.ipynb").write_text(text.replace("Allow each position", "Let each position"))
    again = autograde("collect", inbox, "--into", subs, "--course-dir", course_dir)
    assert f"replaced {subs / '23456' / A03 / f'{A03}.ipynb'} collected before (a resubmission)" in again.stdout
    assert f"replaced {subs / '12345' / A03 / f'{A03}.ipynb'} (the same file)" in again.stdout


def test_report_feedback_and_export_show_names_when_asked(mess, tmp_path):
    from autograde.steps.collect import write_roster

    course_dir = mess["course_dir"]
    write_roster(course_dir, {("cas", A03): {"name": "Cas Smith", "platform": "Moodle"}})
    autograde("report", "--course-dir", course_dir, "--names")
    assert "`cas` (Cas Smith)" in (course_dir / "report" / "report.md").read_text()
    autograde("feedback", "--course-dir", course_dir, "--student", "cas", "--names")
    assert "cas (Cas Smith)" in (course_dir / "feedback" / "cas" / f"{A03}.html").read_text()
    autograde("export", "--course-dir", course_dir, "--csv", tmp_path / "g.csv", "--names")
    with open(tmp_path / "g.csv") as f:
        rows = list(csv.DictReader(f))
    assert next(r for r in rows if r["student_id"] == "cas")["name"] == "Cas Smith"
    autograde("report", "--course-dir", course_dir)
    assert "(Cas Smith)" not in (course_dir / "report" / "report.md").read_text(), "names only with --names"


# -- 10. the report's chart fits its longest exercise name -------------------------------------------------------
def test_the_exercise_chart_keeps_title_and_legend_clear_with_the_longest_exercise_name():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from autograde.steps.report import ExerciseStats, exercise_chart
    from course_lib.checks import EXERCISES

    longest = max(EXERCISES, key=len)
    rows = [(longest, ExerciseStats(1, 1, 3, 1)), ("softmax", ExerciseStats(1, 4, 1, 0))]
    fig = exercise_chart(plt, "09_gpt", rows)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    whole = fig.bbox
    title = fig._suptitle.get_window_extent(renderer)
    assert whole.x0 <= title.x0 and title.x1 <= whole.x1 and title.y1 <= whole.y1, "the title is not cut off"
    ax = fig.axes[0]
    legend = ax.get_legend().get_window_extent(renderer)
    bars = [p.get_window_extent(renderer) for p in ax.patches if p.get_width() > 0]
    assert bars and not any(legend.overlaps(b) for b in bars), "the legend covers no bar"
    labels = [t.get_window_extent(renderer) for t in ax.get_yticklabels() if t.get_text()]
    assert all(whole.x0 <= b.x0 for b in labels), "the longest name is not cut off"
    plt.close(fig)


# -- 10. nbgrader's own feedback writes the kit's page, with no path of the grading machine --------------------
def test_nbgrader_generate_feedback_writes_the_kits_page_without_machine_paths(mess, repo):
    import subprocess

    course_dir = mess["course_dir"]
    done = subprocess.run([sys.executable, "-m", "nbgrader", "generate_feedback", A03, "--student", "cas"],
                          cwd=course_dir, capture_output=True, text=True)
    pages = list((course_dir / "feedback" / "cas").rglob("*.html"))
    nbgrader_page = [p for p in pages if p.parent.name == A03]
    assert nbgrader_page, done.stdout + done.stderr
    text = nbgrader_page[0].read_text()
    assert "This fails because <code>softmax</code>" in text and "Score:" in text, "the kit's own page"
    for path in (str(repo), str(course_dir), sys.prefix, "/tmp/"):
        assert path not in text, path
    assert "### BEGIN HIDDEN" not in text and "_verify(" not in text


# -- 8. a student environment built through an earlier notebook -------------------------------------------------
@pytest.fixture(scope="session")
def env03(tmp_path_factory):
    out = tmp_path_factory.mktemp("env") / "through03"
    autograde("student-env", out, "--through", A03)
    return out


def _in_env(env, code):
    import subprocess

    return subprocess.run([sys.executable, "-I", "-c", f"import sys; sys.path[:0] = [{str(env)!r}]\n{code}"],
                          capture_output=True, text=True, cwd=env)


def test_a_later_notebooks_check_says_which_environment_it_needs(env03):
    said = _in_env(env03, "from course_lib.checks import check_decoder_layer\ncheck_decoder_layer(None)")
    message = f"this course_lib was built through {A03}; {A08} needs the environment for 08: ask your instructor"
    assert f"AssertionError: {message}" in said.stderr, said.stderr
    setup = _in_env(env03, "from course_lib.experiments import transformer")
    assert message in setup.stderr and "NameError" not in setup.stderr
    own = _in_env(env03, "from course_lib.checks import check_softmax; print(check_softmax.__name__)")
    assert own.stdout.strip() == "check_softmax", own.stderr


def test_the_student_environments_help_shows_only_the_student_commands(env03):
    said = _in_env(env03, "import runpy, sys; sys.argv = ['autograde', '--help']\n"
                          "runpy.run_module('autograde', run_name='__main__')")
    assert "validate" in said.stdout and "submit" in said.stdout, said.stderr
    for command in ("release", "grade", "student-env", "collect", "export"):
        assert f"    {command} " not in said.stdout, command


# -- 6. due dates: re-applied without running a notebook; lateness in its own section (runs last: it sets one) ----
def test_a_due_date_set_later_is_applied_without_running_notebooks_and_listed_apart(mess, monkeypatch):
    """Graded in this process, under the conditions the class was graded under (the canary's key in the course
    folder): on a tree whose course code others edit meanwhile, a changed course_lib would rightly grade again."""
    import subprocess

    from autograde.cli import changed_rows
    from autograde.engine.log import Submission, read_log
    from autograde.steps import grade as grading

    course_dir, subs = mess["course_dir"], mess["subs"]
    key = json.loads((course_dir / grading.CANARY_LOG).read_text())[A03]
    earlier = read_log(course_dir)
    for student in ("cas", "loopy"):
        sub = Submission(student, A03, str(subs / student / A03 / f"{A03}.ipynb"))
        if grading._digest(sub, key) != earlier[f"{A03}/{student}"].digest:
            pytest.skip("the course code changed since the class was graded (a shared working tree)")
    monkeypatch.setattr(grading, "canary_key", lambda *args, **kwargs: key.split("/")[0])  # grade adds "/skip"
    subprocess.run([sys.executable, "-m", "nbgrader", "db", "assignment", "add", A03, "--duedate",
                    "2020-01-01 00:00:00 UTC"], cwd=course_dir, check=True, capture_output=True)
    with open(course_dir / "nbgrader_config.py", "a") as f:
        f.write('\nc.LateSubmissionPlugin.penalty_method = "zero"\n')
    kept = {s: (course_dir / "autograded" / s / A03 / f"{A03}.ipynb").read_text() for s in ("cas", "loopy")}
    monkeypatch.setattr(grading, "open_backend", None)  # nothing may run a notebook: opening workers would fail
    outcomes = grading.grade(subs, course_dir, students=["cas", "loopy"], progress=False, timeout=CELL_TIMEOUT,
                             memory_limit=0)
    assert len(outcomes.unchanged) == 2 and {o.student for o in outcomes} == {"cas", "loopy"}
    log = read_log(course_dir)
    for student in kept:
        entry = log[f"{A03}/{student}"]
        assert any(n.startswith("handed in ") and "after the due date" in n for n in entry.notes), entry.notes
        assert entry.late_penalty == entry.score > 0 and entry.final_score == 0
        assert kept[student] == (course_dir / "autograded" / student / A03 / f"{A03}.ipynb").read_text()
    marks = changed_rows(earlier, outcomes)
    assert marks[f"{A03}/loopy"] == f"  (changed: was {earlier[f'{A03}/loopy'].score:g}, graded)"
    autograde("report", "--course-dir", course_dir)
    report = (course_dir / "report" / "report.md").read_text()
    section = report.split("### Handed in late")[1]
    assert "`cas`: handed in" in section and "`loopy`: handed in" in section
    look = report.split("### Students to look at")[1].split("###")[0]
    assert "after the due date" not in look
    first = look.strip().splitlines()[0]
    assert "below half marks" in first or "ran past" in first, "learning problems come first"


def test_an_exercise_built_on_a_piece_that_looped_is_not_run_again_by_the_grader(repo):
    """The loop of softmax would loop again in scaled_dot_product_attention's hidden test: named, not waited for."""
    from nbformat.v4 import new_output

    from autograde.engine.verdict import judge

    class NoRun:
        timeout, notes = 100, []

        def request(self, payload):
            raise AssertionError(f"the grader ran the student's code: {payload}")

        def close(self):
            pass

    source = nbformat.read(repo / "notebooks" / f"{A03}.ipynb", as_version=4)
    executed = nbformat.from_dict(json.loads(json.dumps(source)))
    looped = "cell `check_softmax` ran past 5 s (an endless loop?)"
    executed.metadata["autograde"] = {"timed_out": {"test": "test_softmax", "message": looped}}
    for cell in executed.cells:
        gid = grade_meta(cell).get("grade_id", "")
        if grade_meta(cell).get("grade"):
            cell.outputs = ([new_output("error", ename="NotRun", evalue=f"not run: {looped}", traceback=[])]
                            if gid in ("test_softmax", "test_scaled_dot_product_attention") else
                            [new_output("error", ename="AssertionError", evalue="its own failure", traceback=[])])
    judge(executed, source, NoRun())
    said = {grade_meta(c)["grade_id"]: c.outputs[0] for c in executed.cells if grade_meta(c).get("grade")}
    assert said["test_softmax"]["ename"] == "CellTimeoutError" and said["test_softmax"]["evalue"] == looped
    assert said["test_scaled_dot_product_attention"]["evalue"] == (
        f"scaled_dot_product_attention: not run by the grader: it builds on your softmax, where {looped}; "
        f"fix that first")
