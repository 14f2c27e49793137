"""The progress view (course_lib/progress.py, `python -m autograde progress`): the record the checks keep in the
learner's working folder, the figure and the text drawn from it, and what never happens to the record (handed in,
written while grading, written where the folder is read-only, breaking a check)."""
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
from checking import assert_rejected

import course_lib
from autograde.engine.student_env import own_exercises
from autograde.gradebook import course
from autograde.steps import demo
from course_lib import progress
from course_lib.checks import EXERCISES, check_causal_mask, check_softmax
from course_lib.i18n import speaking, tr_in
from course_lib.solutions.self_attention import causal_mask, softmax

REPO = Path(__file__).resolve().parents[1]
NB = "03_self_attention"


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """A learner's working folder as the current folder, with the record on (the suite turns it off elsewhere)."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.delenv("COURSE_PROGRESS", raising=False)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    return work


def _record(where):
    return json.loads((Path(where) / progress.RECORD).read_text(encoding="utf-8"))


def _learner_env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in ("COURSE_PROGRESS", "NBGRADER_EXECUTION")}
    return {**env, **extra}


def _mistaken_mask():
    """A catalog mistake of causal_mask and its implementation: 'a mask without its diagonal'."""
    mistake = next(m for m in EXERCISES["causal_mask"].mistakes if m.name == "a mask without its diagonal")
    return mistake.name, mistake.impl


def _texts(fig):
    return "\n".join(t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text") and callable(a.get_text)))


# -- written by the checks --------------------------------------------------------------------------------------
def test_a_check_records_a_pass_then_a_failure_with_the_english_name_of_the_mistake_named(folder):
    check_causal_mask(causal_mask)
    entry = _record(folder)["checks"]["causal_mask"]
    assert entry["passed"] is True and entry["mistake"] is None and entry["tries"] == 1

    name, buggy = _mistaken_mask()
    with speaking("zh"):  # a Chinese notebook: the message is Chinese, the record keeps the English name
        error = assert_rejected(check_causal_mask, buggy)
    assert error.mistake == name and name not in str(error), "the test needs a check that names the mistake in zh"
    entry = _record(folder)["checks"]["causal_mask"]
    assert entry == {**entry, "passed": False, "mistake": name, "tries": 2}
    assert progress.notebook_of("causal_mask") == NB


def test_a_failure_that_names_no_mistake_is_recorded_without_one(folder):
    error = assert_rejected(check_softmax, lambda x, dim=-1: x * 0 + 1.0 / x.shape[dim])  # uniform: no catalog mistake
    assert error.mistake is None
    assert _record(folder)["checks"]["softmax"] == {**_record(folder)["checks"]["softmax"], "passed": False,
                                                    "mistake": None}


def test_an_exercise_not_begun_stays_not_tried(folder):
    def stub(T):
        raise NotImplementedError

    error = assert_rejected(check_causal_mask, stub)
    assert error.not_implemented
    assert not (folder / progress.RECORD).exists()
    states = {n: state for _, cells, *_ in progress.summary()["notebooks"] for n, state, _ in cells}
    assert states["causal_mask"] == "untried"


def test_predictions_are_recorded_per_notebook(folder):
    progress.record_prediction("scaling", True, NB)
    progress.record_prediction("gradient", False, NB)
    progress.record_prediction("gradient", True, NB)  # answered on a second run
    progress.record_prediction("depth", False, "06_parallelism")
    assert _record(folder)["predictions"] == {NB: {"scaling": True, "gradient": True},
                                              "06_parallelism": {"depth": False}}
    s = progress.summary()
    assert (s["answered"], s["asked"]) == (2, 3)


# -- read by progress() and by the command --------------------------------------------------------------------------
def test_progress_draws_every_exercise_of_every_notebook_from_the_record(folder):
    check_softmax(softmax)
    name, buggy = _mistaken_mask()
    assert_rejected(check_causal_mask, buggy)
    progress.record_prediction("scaling", True, NB)
    progress.record_prediction("gradient", False, NB)

    fig = course_lib.progress()  # the package-level call a notebook makes
    from matplotlib.figure import Figure

    assert isinstance(fig, Figure)
    texts = _texts(fig)
    total = len(EXERCISES)
    assert f"Your progress: 1 of {total} exercises passed, 1 failed; 1 of 2 predictions answered" in texts
    assert name in texts and "1 of 2 answered" in texts
    for exercise in EXERCISES:  # every exercise of the nine notebooks has its cell
        assert exercise.replace("_", "") in texts.replace("\n", "").replace("_", ""), exercise
    s = progress.summary()
    assert [stem for stem, *_ in s["notebooks"]] == course.assignments()
    states = {n: (state, m) for _, cells, *_ in s["notebooks"] for n, state, m in cells}
    assert states["softmax"] == ("passed", None) and states["causal_mask"] == ("failed", name)
    assert sum(state == "untried" for state, _ in states.values()) == total - 2


def test_the_package_level_call_and_the_module_are_one_object():
    assert course_lib.progress is sys.modules["course_lib.progress"] and callable(course_lib.progress)
    from course_lib.progress import record_check, record_prediction

    assert course_lib.progress.record_check is record_check and course_lib.progress.record_prediction is \
        record_prediction


def test_the_course_table_is_the_one_the_grader_reads():
    """Each notebook's exercises as autograde.engine.student_env.own_exercises finds them, in the course's order."""
    assert [(stem, list(names)) for stem, names in progress.course_table()] == [
        (a, own_exercises(a)) for a in course.assignments()]
    listed = [n for _, names in progress.course_table() for n in names]
    assert sorted(listed) == sorted(EXERCISES)


def test_the_record_survives_a_fresh_process_and_the_command_reads_it(folder, tmp_path):
    name, _ = _mistaken_mask()
    check_softmax(softmax)
    # a "kernel restart": another process runs a check in the same folder, on top of this one's record
    code = ("import torch\nfrom course_lib.checks import EXERCISES, check_causal_mask\n"
            f"m = next(m for m in EXERCISES['causal_mask'].mistakes if m.name == {name!r})\n"
            "try:\n    check_causal_mask(m.impl)\nexcept AssertionError:\n    pass\n")
    subprocess.run([sys.executable, "-c", code], cwd=folder, env=_learner_env(), check=True, capture_output=True)
    checks = _record(folder)["checks"]
    assert checks["softmax"]["passed"] and checks["causal_mask"]["mistake"] == name

    out = tmp_path / "mine.png"
    result = subprocess.run([sys.executable, "-m", "autograde", "progress", str(folder), "--out", str(out),
                             "--lang", "en"], capture_output=True, text=True, env=_learner_env(), cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert f"1 of {len(EXERCISES)} exercises passed, 1 failed" in result.stdout
    assert f"figure: {out}" in result.stdout and out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"\u2718 causal_mask ({name})" in result.stdout and "\u2714 softmax" in result.stdout
    for stem in course.assignments():
        assert stem in result.stdout

    result = subprocess.run([sys.executable, "-m", "autograde", "progress"], capture_output=True, text=True,
                            env=_learner_env(), cwd=folder)  # the default: this folder, its PNG saved here
    assert result.returncode == 0 and (folder / "course-progress.png").exists(), result.stderr


def test_the_command_speaks_chinese(folder):
    name, buggy = _mistaken_mask()
    assert_rejected(check_causal_mask, buggy)
    result = subprocess.run([sys.executable, "-m", "autograde", "progress", "--lang", "zh"], capture_output=True,
                            text=True, env=_learner_env(), cwd=folder)
    assert result.returncode == 0, result.stderr
    assert f"{len(EXERCISES)} 个练习中已通过 0 个，未通过 1 个" in result.stdout
    assert tr_in("zh", name) in result.stdout and "图：" in result.stdout


def test_the_figures_labels_in_both_languages(folder):
    name, buggy = _mistaken_mask()
    assert_rejected(check_causal_mask, buggy)
    progress.record_prediction("scaling", False, NB)
    english = _texts(progress.progress(language="en"))
    chinese = _texts(progress.progress(language="zh"))
    pairs = [("Your progress: ", "你的进度："), ("not tried", "尚未尝试"), ("Self-attention", "自注意力"),
             ("failed (the mistake last named beneath)", "未通过（下方是最近一次指出的错误）"),
             ("0 of 1 answered", "1 个中已回答 0 个"), ("predictions", "预测"), (name, tr_in("zh", name))]
    for en, zh in pairs:
        assert en in english and en not in chinese, en
        assert zh in chinese, zh
    assert progress.language() == "en", "the figure's language does not stay behind"


# -- what never happens ---------------------------------------------------------------------------------------------
def test_a_read_only_folder_records_nothing_and_the_check_still_answers(folder, monkeypatch, capsys):
    folder.chmod(0o555)
    try:
        if os.access(folder, os.W_OK):  # root writes anyway: make the write fail as a read-only folder would
            def refuse(*args, **kwargs):
                raise PermissionError(13, "Permission denied")

            monkeypatch.setattr(progress.tempfile, "mkstemp", refuse)
        check_causal_mask(causal_mask)
        assert "\u2714 causal_mask" in capsys.readouterr().out
        name, buggy = _mistaken_mask()
        assert assert_rejected(check_causal_mask, buggy).mistake == name
        progress.record_prediction("scaling", True, NB)
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o755)


def test_nothing_is_recorded_while_a_notebook_is_graded_or_validated(folder, monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    check_causal_mask(causal_mask)
    progress.record_prediction("scaling", True, NB)
    assert list(folder.iterdir()) == []
    monkeypatch.delenv("NBGRADER_EXECUTION")
    check_causal_mask(causal_mask)
    assert [p.name for p in folder.iterdir()] == [progress.RECORD]


def test_a_damaged_record_is_replaced_and_never_left_half_written(folder):
    (folder / progress.RECORD).write_text('{"checks": {"softmax": ')  # cut off mid-write by something else
    check_causal_mask(causal_mask)
    assert set(_record(folder)["checks"]) == {"causal_mask"}
    (folder / progress.RECORD).write_text('["not", "a", "record"]')
    check_causal_mask(causal_mask)
    assert _record(folder)["checks"]["causal_mask"]["tries"] == 1
    assert [p.name for p in folder.iterdir()] == [progress.RECORD], "no temporary file left behind"


def test_submit_hands_in_the_notebook_alone(folder, release, tmp_path):
    """A learner runs the student notebook in their folder (the checks record there), then submits it."""
    _, rel, good = release(tmp_path / "course", NB)
    path = folder / f"{NB}.ipynb"
    nbformat.write(demo.student_notebook(rel, good), path)
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    previous = os.environ.pop("COURSE_PROGRESS", None)
    try:
        NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                       resources={"metadata": {"path": str(folder)}}).execute()
    finally:
        if previous is not None:
            os.environ["COURSE_PROGRESS"] = previous
    recorded = _record(folder)["checks"]
    assert {n for n, e in recorded.items() if e["passed"]} >= set(own_exercises(NB)), recorded
    before = (folder / progress.RECORD).read_bytes()

    out = tmp_path / "out"
    out.mkdir()
    result = subprocess.run([sys.executable, "-m", "autograde", "submit", str(path), "--student", "ada",
                             "--out", str(out)], capture_output=True, text=True, env=_learner_env(), cwd=folder)
    assert result.returncode == 0, result.stdout + result.stderr
    with zipfile.ZipFile(out / f"ada__{NB}.zip") as z:
        assert z.namelist() == [f"{NB}.ipynb"]
        assert progress.RECORD.encode() not in z.read(f"{NB}.ipynb")
    assert (folder / progress.RECORD).read_bytes() == before, "validate's run records nothing in the folder"


def test_nbgraders_exchange_submit_leaves_the_record_behind(tmp_path):
    """With the students' hub configuration, `nbgrader submit` (which copies the assignment folder) skips it."""
    from nbgrader.utils import ignore_patterns
    from traitlets.config import Config

    from autograde.steps.exchange import write_student_hub_config

    config = write_student_hub_config(tmp_path / "hub", tmp_path / "exchange") / "nbgrader_config.py"
    c = Config()
    exec(config.read_text(), {"get_config": lambda: c})
    ignore = ignore_patterns(exclude=c.CourseDirectory.ignore)
    names = [f"{NB}.ipynb", progress.RECORD, f"{progress.RECORD}.abc123.partial", progress.FIGURE, "notes.txt"]
    assert set(ignore(str(tmp_path), names)) == {progress.RECORD, f"{progress.RECORD}.abc123.partial", progress.FIGURE}


# -- where the record is read from ------------------------------------------------------------------------------------
def test_a_notebook_in_its_own_assignment_folder_sees_the_whole_course(folder, monkeypatch):
    """nbgrader's exchange gives each assignment a folder: a notebook in one sees the records of all."""
    for stem, exercise, passed in ((NB, "softmax", True), ("01_sequence_models", "rnn_cell", False)):
        (folder / stem).mkdir()
        monkeypatch.chdir(folder / stem)
        progress.record_check(exercise, passed, None if passed else "some mistake")
    s = progress.summary()  # from 01_sequence_models/, the last folder entered
    states = {n: state for _, cells, *_ in s["notebooks"] for n, state, _ in cells}
    assert states["softmax"] == "passed" and states["rnn_cell"] == "failed" and s["passed"] == 1


def test_shown_once_in_a_notebook(folder):
    """In a kernel, progress() shows the figure once, also as a cell's last value; kept in a name, it is shown
    where the name is evaluated, and the Chinese figure comes without a missing-glyph warning."""
    from nbclient import NotebookClient

    check_causal_mask(causal_mask)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import course_lib\ncourse_lib.progress()"),
                nbformat.v4.new_code_cell("fig = course_lib.progress(language='zh')"),
                nbformat.v4.new_code_cell("fig")]
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(folder)}}).execute()
    outputs = [[(o.output_type, sorted(o.get("data", {}))) for o in cell.outputs] for cell in nb.cells]
    assert outputs == [[("display_data", ["image/png"])]] * 3, outputs


def test_the_student_environment_keeps_the_record_and_lists_later_notebooks(tmp_path):
    from autograde.engine.student_env import build_student_env

    build_student_env(tmp_path / "env", through="02_classic_attention")
    work = tmp_path / "work"
    work.mkdir()
    code = ("import torch\nfrom course_lib.checks import check_rnn_cell\n"
            "check_rnn_cell(lambda x, h, W_xh, W_hh, b: torch.tanh(x @ W_xh + h @ W_hh + b))\n"
            "import course_lib\nprint(course_lib.progress.text())\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=work, capture_output=True, text=True,
                            env=_learner_env(PYTHONPATH=str(tmp_path / "env")))
    assert result.returncode == 0, result.stderr
    assert _record(work)["checks"]["rnn_cell"]["passed"] is True
    for stem in course.assignments():
        assert stem in result.stdout
    assert "\u2714 rnn_cell" in result.stdout and "multi_head_attention" in result.stdout
