"""End to end through `python -m autograde`: release, grade a class of honest, buggy, broken and cheating
submissions in one batch, export; every submission gets exactly the score it deserves."""
import csv
import hashlib
import json
import subprocess
import sys

import nbformat
import pytest

from autograde.notebook import BEGIN_HIDDEN, BEGIN_SOLUTION, END_SOLUTION, grade_meta, strip_markers

NB = "03_self_attention"
POINTS = {"softmax": 2, "scaled_dot_product_attention": 4, "causal_mask": 1, "padding_mask": 1}
FULL = sum(POINTS.values())


def autograde(*args, check=True):
    """Run the command line as an instructor would; return the completed process."""
    result = subprocess.run([sys.executable, "-m", "autograde", *map(str, args)], capture_output=True, text=True)
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


# -- factories -----------------------------------------------------------------------------------------------
def solutions_of(source_nb):
    """The complete solution of each exercise, as a student who got it right would write it."""
    return {grade_meta(c)["grade_id"]: strip_markers(c.source, BEGIN_SOLUTION, END_SOLUTION)
            for c in source_nb.cells if grade_meta(c).get("solution")}


def student_notebook(released, answers, extra_cells=(), edit=None):
    """A copy of the released notebook with `answers` (grade_id -> source) typed into the solution cells.

    `extra_cells` are (index, source) code cells the student added; `edit(nb)` changes anything else.
    """
    nb = nbformat.from_dict(json.loads(json.dumps(released)))
    for cell in nb.cells:
        gid = grade_meta(cell).get("grade_id")
        if gid in answers:
            cell.source = answers[gid]
    for index, source in sorted(extra_cells, reverse=True):
        nb.cells.insert(index, nbformat.v4.new_code_cell(source))
    if edit:
        edit(nb)
    return nb


def hand_in(folder, student, content):
    path = folder / student / NB / f"{NB}.ipynb"
    path.parent.mkdir(parents=True)
    if isinstance(content, (bytes, str)):
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    else:
        nbformat.write(content, str(path))
    return path


# -- the class ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def graded_class(tmp_path_factory, repo):
    root = tmp_path_factory.mktemp("class")
    course_dir, subs = root / "course", root / "submissions"
    autograde("release", NB, "--course-dir", course_dir)
    released = nbformat.read(course_dir / "release" / NB / f"{NB}.ipynb", as_version=4)
    good = solutions_of(nbformat.read(repo / "notebooks" / f"{NB}.ipynb", as_version=4))
    unscaled = good["scaled_dot_product_attention"].replace(" / math.sqrt(d_k)", "")
    assert unscaled != good["scaled_dot_product_attention"]

    def delete_softmax_test(nb):
        nb.cells = [c for c in nb.cells if grade_meta(c).get("grade_id") != "test_softmax"]

    def empty_the_sdpa_test(nb):
        for c in nb.cells:
            if grade_meta(c).get("grade_id") == "test_scaled_dot_product_attention":
                c.source = "assert True"

    warning_softmax = good["softmax"].replace(
        '    """', '    import warnings; warnings.warn("a harmless warning on stderr")\n    """', 1)
    warning_softmax = "import warnings\n" + good["softmax"].replace(
        "    shifted =", "    warnings.warn('a harmless warning on stderr')\n    shifted =")
    patch_checks = ("import course_lib.checks as c, course_lib.checks.self_attention as m\n"
                    "c.check_scaled_dot_product_attention = lambda f: None\n"
                    "m.check_scaled_dot_product_attention = lambda f: None\n"
                    "m.SDPA.check = lambda *a, **k: True\n"
                    "import course_lib.checks.framework as fw; fw.close = lambda *a, **k: True")
    class_ = {
        "correct": student_notebook(released, good),
        "empty": student_notebook(released, {}),
        "unscaled": student_notebook(released, {**good, "scaled_dot_product_attention": unscaled}),
        "warns": student_notebook(released, {**good, "softmax": warning_softmax}),
        "imports_reference": student_notebook(released, {
            **good, "scaled_dot_product_attention": "from course_lib.solutions import scaled_dot_product_attention"}),
        "wraps_reference": student_notebook(released, {
            **good, "causal_mask": "import course_lib.solutions as ref\n\ndef causal_mask(T):\n    return ref.causal_mask(T)"}),
        "patches_checks": student_notebook(released, {**good, "scaled_dot_product_attention": unscaled},
                                           extra_cells=[(2, patch_checks)]),
        "edits_test": student_notebook(released, {**good, "scaled_dot_product_attention": unscaled},
                                       edit=empty_the_sdpa_test),
        "deletes_test": student_notebook(released, good, edit=delete_softmax_test),
        "raises": student_notebook(released, {**good, "padding_mask": "def padding_mask(lengths, max_len):\n    return 1 / 0"}),
        "malformed": b'{"cells": [ this is not json',
        "empty_file": b"",
    }
    hashes = {}
    for student, content in class_.items():
        path = hand_in(subs, student, content)
        hashes[path] = hashlib.sha256(path.read_bytes()).hexdigest()
    run = autograde("grade", subs, "--course-dir", course_dir, "--jobs", "2", "--no-progress")
    csv_path = root / "grades.csv"
    autograde("export", "--course-dir", course_dir, "--csv", csv_path)
    with open(csv_path) as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f)}
    return {"rows": rows, "hashes": hashes, "stdout": run.stdout, "course_dir": course_dir}


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
