"""nbgrader's own tools on the course folder agree with the kit: its configuration file, formgrader, nbgrader's
feedback, due dates and late penalties, and an `nbgrader autograde` that refuses instead of grading wrongly."""
import csv
import json
import socket
import subprocess
import sys
import time
import urllib.request

import nbformat
import pytest
from commandline import autograde

from autograde.steps import demo
from autograde.steps.demo import student_notebook

NB = "03_self_attention"
DUE = "2026-12-01 17:00:00 UTC"


def nbgrader(*args, cwd):
    """Run nbgrader's own command line from the course folder, as an instructor would."""
    return subprocess.run([sys.executable, "-m", "nbgrader", *args], capture_output=True, text=True, cwd=cwd)


@pytest.fixture(scope="module")
def course(tmp_path_factory, release):
    """Notebook 03 released; ada hands in a full solution 90 minutes late, bob on time; the due date set with
    nbgrader's own `db` command, a zero-if-late penalty in the course's nbgrader_config.py; graded by the kit."""
    root = tmp_path_factory.mktemp("nbgrader")
    course_dir, released, answers = release(root / "course", NB)
    good = student_notebook(released, answers)
    for student, when in (("ada", "2026-12-01 18:30:00.000000 UTC"), ("bob", "2026-12-01 09:00:00.000000 UTC")):
        demo.hand_in(course_dir / "submissions", student, NB, good)
        (course_dir / "submissions" / student / NB / "timestamp.txt").write_text(when)
    db = nbgrader("db", "assignment", "add", NB, "--duedate", DUE, cwd=course_dir)
    assert db.returncode == 0, db.stderr
    with open(course_dir / "nbgrader_config.py", "a") as f:
        f.write('c.LateSubmissionPlugin.penalty_method = "zero"\n')
    graded = autograde("grade", course_dir / "submissions", "--course-dir", course_dir, "--no-progress")
    return course_dir, graded, db


def test_nbgrader_commands_find_the_course_configuration(course):
    """The trap: no nbgrader_config.py, so every nbgrader command warned and knew nothing of the course."""
    course_dir, _, db = course
    assert "No nbgrader_config.py" not in db.stderr
    listed = nbgrader("db", "assignment", "list", cwd=course_dir)
    assert f"{NB} (due: 2026-12-01 17:00:00)" in listed.stdout and "No nbgrader_config.py" not in listed.stderr


def test_lateness_is_recorded_and_the_chosen_penalty_applied(course, tmp_path):
    course_dir, graded, _ = course
    ada = graded.stdout[graded.stdout.index(" ada "):]
    assert ada.split("\n")[0].split()[1] == "0", "the table shows the score after the penalty"
    assert "handed in 1 h 30 min after the due date; late penalty 8 point(s)" in ada
    autograde("export", "--course-dir", course_dir, "--csv", tmp_path / "g.csv")
    with open(tmp_path / "g.csv") as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f)}
    assert (rows["ada"]["score"], rows["ada"]["late_penalty"], rows["ada"]["submitted_at"]) == \
        ("0", "8", "2026-12-01T18:30:00")
    assert (rows["bob"]["score"], rows["bob"]["late_penalty"]) == ("8", "0")
    autograde("feedback", "--course-dir", course_dir)
    page = (course_dir / "feedback" / "ada" / f"{NB}.html").read_text()
    assert "Score: 0 / 8</b> (8 earned, 8 off: handed in 1 h 30 min after the due date" in page


def test_nbgrader_feedback_never_shows_the_hidden_tests(course):
    """The trap: `nbgrader generate_feedback` published the hidden-test regions and their seeds."""
    from autograde.engine.notebook import grade_meta

    course_dir = course[0]
    # The kit's graded notebooks hold only what the kernel ran; nbgrader's own pipeline restores each test
    # cell from the gradebook, hidden region and seed included: ada's is made so, to prove it never shows.
    path = course_dir / "autograded" / "ada" / NB / f"{NB}.ipynb"
    source = {grade_meta(c).get("grade_id"): c.source for c in
              nbformat.read(course_dir / "source" / NB / f"{NB}.ipynb", as_version=4).cells}
    autograded = nbformat.read(path, as_version=4)
    for cell in autograded.cells:
        if grade_meta(cell).get("grade") and grade_meta(cell).get("grade_id") in source:
            cell.source = source[grade_meta(cell)["grade_id"]]
    nbformat.write(autograded, path)
    assert "### BEGIN HIDDEN TESTS" in path.read_text() and "hidden_test(" in path.read_text()
    result = nbgrader("generate_feedback", NB, "--force", cwd=course_dir)
    assert result.returncode == 0, result.stderr
    for student in ("ada", "bob"):
        page = (course_dir / "feedback" / student / NB / f"{NB}.html").read_text()
        # the kit's own page (autograde.steps.nbgrader_feedback.KitFeedback)
        assert "Score:" in page and "<table>" in page
        for secret in ("HIDDEN TESTS", "hidden_test(", "seed="):
            assert secret not in page, f"{secret!r} in {student}'s nbgrader feedback"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url, token):
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_formgrader_sees_the_submissions_their_times_and_grades(course):
    """The trap: formgrader showed 0 submissions (the kit's submissions/ is not nbgrader's submitted/)."""
    course_dir, token, port = course[0], "formgrader-test", _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "server", "--no-browser", f"--port={port}", f"--ServerApp.token={token}",
         "--allow-root"], cwd=course_dir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        base, deadline = f"http://127.0.0.1:{port}/formgrader/api", time.monotonic() + 60
        while True:
            try:
                assignments = _get(f"{base}/assignments", token)
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "jupyter server did not start"
                time.sleep(0.5)
        submissions = {s["student"]: s for s in _get(f"{base}/submissions/{NB}", token)}
    finally:
        server.terminate()
        server.wait(timeout=30)
    (assignment,) = assignments
    assert (assignment["name"], assignment["num_submissions"], assignment["max_score"]) == (NB, 2, 8.0)
    assert assignment["display_duedate"] == DUE
    assert {s: (v["autograded"], v["score"], v["timestamp"]) for s, v in submissions.items()} == {
        "ada": (True, 8.0, "2026-12-01T18:30:00"), "bob": (True, 8.0, "2026-12-01T09:00:00")}


def test_nbgrader_autograde_refuses_and_touches_nothing(course):
    """nbgrader alone would score the visible asserts only (the hidden verdicts are the kit's), and with --force
    it first deletes the graded notebook: it must refuse before that, and say which command grades."""
    course_dir = course[0]
    graded = course_dir / "autograded" / "bob" / NB / f"{NB}.ipynb"
    before = graded.read_bytes()
    result = nbgrader("autograde", NB, "--student", "bob", "--force", cwd=course_dir)
    assert result.returncode != 0 and "python -m autograde grade" in result.stderr
    assert graded.read_bytes() == before


def test_formgraders_autograde_button_refuses_and_the_next_grading_repairs(course, monkeypatch):
    """Formgrader grades through nbgrader's API with the configuration it read at start: refused too; what
    nbgrader removed on the way is put back by the kit's next `grade`, though the submission did not change."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.apps.baseapp import NbGrader
    from nbgrader.coursedir import CourseDirectory

    course_dir = course[0]
    monkeypatch.chdir(course_dir)  # formgrader reads nbgrader_config.py from the folder Jupyter runs in
    loader = NbGrader()
    loader.load_config_file()
    api = NbGraderAPI(CourseDirectory(config=loader.config), config=loader.config)
    result = api.autograde(NB, "bob", force=True, create=True)
    assert not result["success"] and "python -m autograde grade" in result["log"]
    graded = course_dir / "autograded" / "bob" / NB / f"{NB}.ipynb"
    # Relative paths, from the course folder (they once sent the workers looking in their own scratch folder).
    autograde("grade", "submissions", "--course-dir", ".", "--no-progress", "--student", "bob", cwd=course_dir)
    assert graded.exists()


@pytest.mark.parametrize("first", ["autograde", "nbgrader.api"])
def test_a_new_gradebook_records_the_migration_alembic_heads_names(tmp_path, first):
    """The kit answers nbgrader's `get_alembic_version` in-process (autograde/__init__.py): the same revision as
    nbgrader's own `alembic heads`, whichever of the two is imported first, and a new gradebook records it."""
    code = (f"import {first}, autograde, nbgrader.api as a, sqlite3\n"
            "from autograde.gradebook import db; db.alembic_on_path()\n"
            f"a.Gradebook('sqlite:///{tmp_path}/g.db').close()\n"
            f"row = sqlite3.connect('{tmp_path}/g.db').execute('select version_num from alembic_version').fetchall()\n"
            "print(a.get_alembic_version(), a.get_alembic_version.nbgrader_way(), row[0][0])")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    ours, nbgraders, recorded = result.stdout.split()
    assert ours == nbgraders == recorded and len(ours) == 12, result.stderr


def test_nbformat_validates_as_before_with_the_relaxed_validator_compiled_once():
    """autograde/__init__.py keeps nbformat's relaxed validator (nbconvert asks for it after each preprocessor)
    instead of compiling it on every call: the same verdicts, in the same order of calls, as nbformat alone."""
    code = """
import sys, json, nbformat
if sys.argv[1] == "kit":
    import autograde
    import nbformat.validator as v
    assert v.get_validator.nbformat_way
nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
extra = nbformat.from_dict(json.loads(json.dumps(nb)))
extra.cells[0]["surprise"] = 1
broken = nbformat.from_dict(json.loads(json.dumps(nb)))
broken.cells[0]["source"] = 42
verdicts = []
for what, relax in [(extra, False), (extra, True), (extra, True), (broken, True), (extra, False), (nb, True)]:
    try:
        nbformat.validate(what, relax_add_props=relax)
        verdicts.append("valid")
    except nbformat.ValidationError:
        verdicts.append("invalid")
print(verdicts)
"""
    runs = [subprocess.run([sys.executable, "-c", code, how], capture_output=True, text=True)
            for how in ("kit", "alone")]
    assert runs[0].returncode == 0 and runs[0].stdout == runs[1].stdout, (runs[0].stderr, runs[1].stderr)
    assert runs[0].stdout.strip() == "['invalid', 'valid', 'valid', 'invalid', 'valid', 'valid']"


def test_a_course_folder_written_before_the_grader_moved_into_packages_still_configures_nbgrader(tmp_path):
    """Its nbgrader_config.py imports `autograde.course`, which is now `autograde.gradebook.course`: the kit puts
    today's line in its place when it reads the file, and the file configures nbgrader as a new one does."""
    from autograde.gradebook import config_file

    old = config_file.TEXT.replace("from autograde.gradebook.course import", "from autograde.course import")
    assert old != config_file.TEXT
    config_file.path(tmp_path).write_text(old + '\nc.LateSubmissionPlugin.penalty_method = "zero"\n')
    settings = config_file.read(tmp_path)
    assert "from autograde.gradebook.course import configure_nbgrader" in config_file.path(tmp_path).read_text()
    assert settings.LateSubmissionPlugin.penalty_method == "zero"  # the instructor's own line kept and read
    assert settings.CourseDirectory.submitted_directory == config_file.SUBMISSIONS
