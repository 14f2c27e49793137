"""validate, submit and collect: a student's check before handing in, and an instructor's intake."""
import zipfile

import nbformat
import pytest
from commandline import autograde

from autograde.steps import demo

NB = "03_self_attention"


@pytest.fixture(scope="module")
def released(tmp_path_factory, repo, released_course):
    course_dir = released_course(tmp_path_factory.mktemp("course") / "course", NB)
    rel = nbformat.read(course_dir / "release" / NB / f"{NB}.ipynb", as_version=4)
    good = demo.solutions_of(nbformat.read(repo / "notebooks" / f"{NB}.ipynb", as_version=4))
    return rel, good


@pytest.mark.parametrize("command", ["release", "lab", "validate", "submit", "collect", "grade", "feedback",
                                     "report", "export", "progress"])
def test_every_subcommand_has_help(command):
    result = autograde(command, "--help", check=False)
    assert result.returncode == 0 and "usage:" in result.stdout and len(result.stdout) > 150


def test_validate_needs_only_the_students_file_and_names_what_fails(released, tmp_path):
    rel, good = released
    nb = demo.student_notebook(rel, {**good, "causal_mask": good["causal_mask"].replace(".tril()", ".triu(1)")})
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "test_padding_mask":
            cell.source = "assert True"
    path = tmp_path / "mine.ipynb"  # no course folder anywhere near it
    nbformat.write(nb, path)
    result = autograde("validate", path, cwd=tmp_path, check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "pass  softmax" in result.stdout and "FAIL  causal_mask" in result.stdout
    assert "an inverted mask" in result.stdout
    assert "edited the read-only cell test_padding_mask" in result.stdout


def test_submit_writes_a_zip_that_collect_lays_out(released, tmp_path):
    rel, good = released
    path = tmp_path / "whatever-name.ipynb"
    nbformat.write(demo.student_notebook(rel, good), path)
    result = autograde("submit", path, "--student", "ada.l", "--out", tmp_path, check=False)
    assert result.returncode == 0, result.stderr
    handed = tmp_path / f"ada.l__{NB}.zip"
    assert handed.exists() and f"hand-in file: {handed}" in result.stdout

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    handed.rename(inbox / handed.name)
    (inbox / "bob.zip").write_bytes(b"not a zip at all")
    (inbox / "carol").mkdir()
    nbformat.write(rel, inbox / "carol" / f"{NB}.ipynb")
    (inbox / "dan").mkdir()
    (inbox / "dan" / "notes.txt").write_text("forgot the notebook")
    with zipfile.ZipFile(inbox / "eve.zip", "w") as z:  # a hostile archive: a path that climbs out
        z.writestr(f"../../{NB}.ipynb", nbformat.writes(rel))
    result = autograde("collect", inbox, "--into", tmp_path / "subs", check=False)
    assert result.returncode == 1 and "entries left out" in result.stderr, "what was left out sets the exit status"
    laid_out = sorted(p.relative_to(tmp_path / "subs").as_posix() for p in (tmp_path / "subs").rglob("*.ipynb"))
    assert laid_out == [f"{s}/{NB}/{NB}.ipynb" for s in ("ada.l", "carol", "eve")]
    assert "bob.zip: not a readable zip file" in result.stdout and "dan: no notebook inside" in result.stdout
    assert not (tmp_path.parent / f"{NB}.ipynb").exists()


def test_submit_refuses_a_bad_student_id(released, tmp_path):
    rel, _ = released
    path = tmp_path / "n.ipynb"
    nbformat.write(rel, path)
    result = autograde("submit", path, "--student", "../x", check=False)
    assert result.returncode != 0 and "is not a student id" in result.stderr


def _platform_download(rel, tmp_path):
    """One class as three learning platforms hand it out, zipped the way their 'download all' does."""
    text = nbformat.writes(rel)
    canvas = tmp_path / "submissions.zip"
    with zipfile.ZipFile(canvas, "w") as z:
        z.writestr(f"smithjohn_12345_67890_{NB}.ipynb", text)
        z.writestr(f"doejane_LATE_23456_78901_{NB}-1.ipynb", text)
    moodle = tmp_path / "moodle"
    (moodle / "Ada Lovelace_345678_assignsubmission_file_").mkdir(parents=True)
    (moodle / "Ada Lovelace_345678_assignsubmission_file_" / "my work.ipynb").write_text(text)
    blackboard = tmp_path / "gradebook_HW3.zip"
    with zipfile.ZipFile(blackboard, "w") as z:
        z.writestr(f"HW3_bgates_attempt_2026-11-20-10-03-12_{NB}.ipynb", text)
        z.writestr("HW3_bgates_attempt_2026-11-20-10-03-12.txt", "Name: B Gates")
    return canvas, moodle, blackboard


def test_collect_reads_canvas_moodle_and_blackboard_downloads_and_records_the_time(released, tmp_path):
    rel, _ = released
    canvas, moodle, blackboard = _platform_download(rel, tmp_path)
    subs = tmp_path / "subs"
    for source in (canvas, moodle, blackboard):
        autograde("collect", source, "--into", subs, check=False)
    laid_out = sorted(p.relative_to(subs).parts[0] for p in subs.rglob("*.ipynb"))
    assert laid_out == ["12345", "23456", "345678", "bgates"]
    assert (subs / "bgates" / NB / "timestamp.txt").read_text().startswith("2026-11-20 10:03:12")


def test_collect_lists_what_it_leaves_out_and_says_so_in_its_exit_status(released, tmp_path):
    rel, _ = released
    _, _, blackboard = _platform_download(rel, tmp_path)
    result = autograde("collect", blackboard, "--into", tmp_path / "subs", check=False)
    assert result.returncode == 1
    assert "HW3_bgates_attempt_2026-11-20-10-03-12.txt: not a notebook" in result.stdout


def test_collect_names_a_learners_progress_record_and_leaves_it_out_without_failing(released, tmp_path):
    """A folder handed in whole holds the record the checks keep beside the notebook (course_lib.progress): it is
    the learner's, not part of the work; collect says it left it out, and that is no error."""
    rel, _ = released
    folder = tmp_path / "inbox" / "ada" / NB
    folder.mkdir(parents=True)
    (folder / f"{NB}.ipynb").write_text(nbformat.writes(rel))
    (folder / ".course-progress.json").write_text('{"format": 1, "checks": {}, "predictions": {}}')
    result = autograde("collect", tmp_path / "inbox", "--into", tmp_path / "subs", check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"ada/{NB}/.course-progress.json: the learner's progress record (course_lib.progress): not collected" \
        in result.stdout
    assert (tmp_path / "subs" / "ada" / NB / f"{NB}.ipynb").exists()
    assert not (tmp_path / "subs" / "ada" / NB / ".course-progress.json").exists()


def test_submit_and_collect_share_one_student_id_rule(released, tmp_path):
    from autograde.steps.collect import valid_student_id

    rel, _ = released
    inbox = tmp_path / "inbox"
    (inbox / "ada lovelace").mkdir(parents=True)
    nbformat.write(rel, inbox / "ada lovelace" / f"{NB}.ipynb")
    result = autograde("collect", inbox, "--into", tmp_path / "subs", check=False)
    assert result.returncode == 1 and not (tmp_path / "subs").exists()
    assert "ada lovelace: the folder's name is not a student id" in result.stdout
    assert not valid_student_id("ada lovelace") and valid_student_id("ada.l")
    assert "is not a student id" in autograde("submit", inbox / "ada lovelace" / f"{NB}.ipynb", "--student",
                                              "ada lovelace", check=False).stderr


def test_validate_restores_edited_and_deleted_read_only_cells_as_the_grader_does(released, tmp_path):
    """The trap: every graded cell edited to `assert True`, two stubs and a wrong softmax said '4 of 4 pass'."""
    rel, good = released
    wrong = good["softmax"].replace("- x.amax(dim=dim, keepdim=True)", "")
    nb = demo.student_notebook(rel, {"softmax": wrong, "scaled_dot_product_attention": good[
        "scaled_dot_product_attention"]})
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade", False):
            cell.source = "assert True"
    nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "check_causal_mask"]
    path = tmp_path / "mine.ipynb"
    nbformat.write(nb, path)
    result = autograde("validate", path, cwd=tmp_path, check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 of 4 exercises pass" in result.stdout
    assert "validate restored it, as the grader will" in result.stdout
    assert "deleted the read-only cell check_causal_mask" in result.stdout
