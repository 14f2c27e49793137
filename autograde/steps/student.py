"""For students: `validate` a notebook as the grader will run it, and `submit` it as a hand-in file."""

import functools
import os
import tempfile
import unicodedata
import zipfile
from contextlib import contextmanager
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from autograde.engine.notebook import fingerprint, grade_meta, inspect_notebook
from autograde.engine.results import exercise_results
from autograde.steps.collect import valid_student_id
from course_lib import progress
from course_lib.i18n import language as current
from course_lib.i18n import notebook_language, speaking, tr_in


def assignment_of(nb, path):
    """The assignment a notebook belongs to: stamped at release, else its file name's stem."""
    return nb.metadata.get("autograde", {}).get("assignment") or Path(path).stem


def edited_cells(nb):
    """grade_ids of read-only cells whose source no longer matches the fingerprint stamped at release."""
    return [
        grade_meta(c)["grade_id"]
        for c in nb.cells
        if "sha256" in c.metadata.get("autograde", {}) and fingerprint(c.source) != c.metadata["autograde"]["sha256"]
    ]


def restore_read_only(nb):
    """Put back, in place, every read-only cell a learner edited, deleted or retyped, from the copies stamped
    at release, as the grader does from its gradebook; return what was restored, in plain words."""
    notes = []
    for kept in nb.metadata.get("autograde", {}).get("read_only", []):
        gid = kept["grade_id"]
        at = next((i for i, c in enumerate(nb.cells) if grade_meta(c).get("grade_id") == gid), None)
        cell = nb.cells[at] if at is not None else None
        if cell is not None and cell.cell_type == "code" and cell.source == kept["source"]:
            continue
        if cell is not None and cell.cell_type == "code":
            cell.source = kept["source"]
            notes.append(f"you edited the read-only cell {gid}; validate restored it, as the grader will, so the "
                         f"edit earns nothing")
            continue
        if cell is not None:
            del nb.cells[at]
        fresh = nbformat.v4.new_code_cell(kept["source"], metadata={"nbgrader": {"grade_id": gid, "locked": True}})
        after = next((i for i, c in enumerate(nb.cells) if grade_meta(c).get("grade_id") == kept["after"]), -1)
        nb.cells.insert(after + 1, fresh)
        notes.append(f"you {'retyped' if cell is not None else 'deleted'} the read-only cell {gid}; validate put it "
                     f"back, as the grader will")
    return notes


@contextmanager
def _environment(**values):
    """Set environment variables for the block (the kernel inherits them), then restore them."""
    before = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in before.items():
            os.environ.pop(k) if v is None else os.environ.update({k: v})


def validate(path, timeout=120, quiet=False):
    """Run a copy of the notebook with the public checks, as the grader will; return (passed, report lines)."""
    problem = inspect_notebook(path)
    if problem:
        raise SystemExit(f"error: {path}: {problem}")
    nb = nbformat.read(str(path), as_version=4)
    lines = [f"{assignment_of(nb, path)}: {Path(path).name}"]
    restored = restore_read_only(nb)
    if not nb.metadata.get("autograde", {}).get("read_only"):  # released before the copies were stamped
        restored = [f"you edited the read-only cell {gid}; the grader restores it, so the edit earns nothing"
                    for gid in edited_cells(nb)]
    with tempfile.TemporaryDirectory() as work, _environment(NBGRADER_EXECUTION="validate"):
        # NBGRADER_EXECUTION shrinks the experiments, as when grading
        NotebookClient(
            nb,
            timeout=timeout,
            kernel_name="python3",
            allow_errors=True,
            interrupt_on_timeout=True,
            resources={"metadata": {"path": work}},
        ).execute()
    results = exercise_results(nb)
    t = functools.partial(tr_in, notebook_language(nb))  # the language of the notebook handed in
    for r in results:
        mark = t("pass") if r.passed else t("FAIL")
        lines.append(f"  {_padded(mark, max(_width(t('pass')), _width(t('FAIL'))))}  {r.exercise:<34} "
                     f"{r.points:g} / {r.max_points:g}")
        if not r.passed:
            lines += ["          " + line for line in r.message.splitlines()[:6]]
    for note in restored:
        lines.append(f"  {t('note')}: {note}")
    passed = all(r.passed for r in results)
    lines.append(
        t("{passed} of {total} exercises pass the public checks", passed=sum(r.passed for r in results),
          total=len(results))
        + ("" if passed else t("; the hidden tests run only when your notebook is graded"))
    )
    if not quiet:
        print("\n".join(lines))
    return passed, lines


def _width(text):
    """The terminal columns `text` takes: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _padded(text, columns):
    return text + " " * max(0, columns - _width(text))


def submit(path, student, out_dir=".", timeout=120):
    """Validate, then write `<student>__<assignment>.zip` holding the notebook; return the zip's path."""
    if not valid_student_id(student):
        raise SystemExit(f"error: {student!r} is not a student id: use letters, digits, '.', '_' or '-'")
    if not Path(out_dir).is_dir():
        what = "is a file, not a folder" if Path(out_dir).exists() else "does not exist: create it first"
        raise SystemExit(f"error: --out {out_dir} {what} (without --out, the zip is written here)")
    validate(path, timeout)
    assignment = assignment_of(nbformat.read(str(path), as_version=4), path)
    target = Path(out_dir) / f"{student}__{assignment}.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(path, f"{assignment}.ipynb")
    t = functools.partial(tr_in, notebook_language(nbformat.read(str(path), as_version=4)))
    print("\n" + t("hand-in file: {path}", path=target.resolve()) + "\n"
          + t("upload this file where your instructor collects the assignment."))
    return target


def show_progress(folder=".", out=None, language=None):
    """`python -m autograde progress [FOLDER]`: save the progress figure of the record the checks keep in FOLDER
    (course_lib.progress) as a PNG, print its path and the record as text; return the PNG's path."""
    folder = Path(folder)
    if not folder.is_dir():
        raise SystemExit(f"error: {folder} is not a folder: name the folder your notebooks run in (default: here)")
    out = Path(out) if out is not None else folder / progress.FIGURE
    with speaking(language or current()):
        figure = progress.figure(folder)
        try:
            figure.savefig(out, dpi=100, facecolor="white")
        except OSError as error:
            raise SystemExit(f"error: cannot write {out}: {error.strerror or error}; choose another place with --out")
        print(progress.text(folder))
        print(progress.tr("figure: {path}", path=out.resolve()))
    return out
