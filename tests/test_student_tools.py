"""validate, submit and collect: a student's check before handing in, and an instructor's intake."""
import zipfile

import nbformat
import pytest
from commandline import autograde

from autograde import demo

NB = "03_self_attention"


@pytest.fixture(scope="module")
def released(tmp_path_factory, repo):
    course_dir = tmp_path_factory.mktemp("course")
    autograde("release", NB, "--course-dir", course_dir)
    rel = nbformat.read(course_dir / "release" / NB / f"{NB}.ipynb", as_version=4)
    good = demo.solutions_of(nbformat.read(repo / "notebooks" / f"{NB}.ipynb", as_version=4))
    return rel, good


@pytest.mark.parametrize("command", ["release", "lab", "validate", "submit", "collect", "grade", "feedback",
                                     "report", "export"])
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
    assert result.returncode == 0, result.stderr
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
