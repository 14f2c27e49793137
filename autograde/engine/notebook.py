"""Build and read nbgrader notebooks: cell factories (as in nbgrader's own tests) and cell queries."""
import ast
import functools
import hashlib
import inspect
import json
import textwrap
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograde.gradebook import course

SCHEMA_VERSION = 3
# The course's own kernel, which `make` registers (Makefile's KERNEL_NAME and KERNEL_DISPLAY) for every Jupyter
# front end of the user, so that VS Code or a system Jupyter runs the course's Python, not any "Python 3".
KERNELSPEC = {"display_name": "Transformers course (Python 3)", "language": "python", "name": "transformers-course"}
BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"


def _nbgrader(grade_id, *, solution=False, grade=False, locked=False, points=None):
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": SCHEMA_VERSION,
            "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def markdown(source):
    """A markdown cell of prose, free for anyone to edit."""
    return new_markdown_cell(source)


def code(source):
    """A plain code cell (a demo or an experiment), neither graded nor locked."""
    return new_code_cell(source)


def locked_code(source, grade_id):
    """A read-only code cell (set-up, a public check): the grader restores it if a student edits it."""
    return new_code_cell(source, metadata=_nbgrader(grade_id, locked=True))


def solution_code(source, grade_id):
    """A cell the student completes; the region between the solution markers is replaced by a stub."""
    return new_code_cell(source, metadata=_nbgrader(grade_id, solution=True))


def test_code(source, grade_id, points):
    """A graded, read-only test cell; hidden tests sit between the hidden-test markers."""
    return new_code_cell(source, metadata=_nbgrader(grade_id, grade=True, locked=True, points=points))


def notebook(cells, title=None):
    """A notebook of cells with the course's Python kernel; a list among the cells (an exercise's four
    cells) is spliced in where it stands."""
    flat = []
    for cell in cells:
        flat.extend(cell if isinstance(cell, list) else [cell])
    nb = new_notebook(cells=flat)
    for index, cell in enumerate(nb.cells):
        cell.id = f"cell-{index:03d}"  # stable ids: a rebuilt notebook equals the committed one
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    if title:
        nb.metadata["title"] = title
    return nb


def write(nb, path):
    nbformat.write(nb, str(path))


def fingerprint(source):
    """A short hash of a cell's source, as stamped on read-only cells at release."""
    return hashlib.sha256(source.encode()).hexdigest()[:16]


def grade_meta(cell):
    """The nbgrader metadata of a cell, or an empty dict."""
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def is_solution(cell):
    return bool(grade_meta(cell).get("solution"))


def is_graded_test(cell):
    return cell.get("cell_type") == "code" and bool(grade_meta(cell).get("grade"))


def strip_markers(source, begin, end):
    """The source with the marker lines removed and the region kept."""
    return "\n".join(line for line in source.splitlines() if line.strip() not in (begin, end))


def solution_source(obj):
    """The source of a reference function or class with each body (after its docstring) inside markers.

    Removing the marker lines gives back `inspect.getsource(obj)` exactly; the drift test relies on it.
    """
    lines = textwrap.dedent(inspect.getsource(obj)).splitlines()
    tree = ast.parse("\n".join(lines))
    top = tree.body[0]
    functions = [top] if isinstance(top, ast.FunctionDef) else [
        node for node in top.body if isinstance(node, ast.FunctionDef)]
    inserts = []  # (line index, marker line), applied bottom-up
    for fn in functions:
        body = fn.body
        if (body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str) and len(body) > 1):
            body = body[1:]  # keep the docstring visible to the student
        indent = " " * body[0].col_offset
        inserts.append((body[0].lineno - 1, indent + BEGIN_SOLUTION))
        inserts.append((fn.body[-1].end_lineno, indent + END_SOLUTION))
    for index, marker in sorted(inserts, reverse=True):
        lines.insert(index, marker)
    return "\n".join(lines)


MAX_NOTEBOOK_BYTES = 50 * 2**20  # a larger file is not graded: its outputs or embedded data make it so big
SHRINK = ("clear its outputs (Jupyter: Kernel > Restart Kernel and Clear Outputs of All Cells, then save) and "
          "remove embedded data (pasted images, attachments, arrays written into cells), then hand it in again")


def too_large(size):
    """The reason a notebook of `size` bytes is not graded, with how to shrink it; None when it is small enough."""
    if size <= MAX_NOTEBOOK_BYTES:
        return None
    return f"the notebook is {size / 2**20:.0f} MB, over the {MAX_NOTEBOOK_BYTES >> 20} MB limit: {SHRINK}"


@functools.lru_cache(maxsize=None)
def assignment_grade_ids():
    """assignment -> the grade ids of its source notebook's cells ('setup', which every notebook has, left out)."""
    found = {}
    for assignment in course.assignments():
        data = json.loads((course.NOTEBOOKS / f"{assignment}.ipynb").read_text())
        found[assignment] = frozenset(
            grade_meta(c)["grade_id"] for c in data["cells"] if grade_meta(c).get("grade_id") not in (None, "setup"))
    return found


def recognise(data):
    """The assignment whose notebook `data` (a notebook's JSON) is, by its cells' grade ids: the assignment
    with the largest share of its own grade ids present, if that share is at least half; else None (a notebook
    that is recognisably no assignment's, such as a fresh one the student typed the code into)."""
    cells = data.get("cells", []) if isinstance(data, dict) else []
    ids = {grade_meta(c).get("grade_id") for c in cells if isinstance(c, dict)}
    shares = {a: len(ids & own) / len(own) for a, own in assignment_grade_ids().items() if own}
    best = max(shares, key=shares.get, default=None)
    return best if best is not None and shares[best] >= 0.5 else None


def inspect_notebook(path):
    """None when the file is a readable notebook, else the reason in plain words."""
    try:
        large = too_large(Path(path).stat().st_size)
        if large:
            return large
        raw = Path(path).read_bytes()
    except OSError as error:
        return f"cannot read the file: {error.strerror}"
    if not raw.strip():
        return "the file is empty"
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        return f"the file is not a notebook: it is not valid JSON ({error})"
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list) or data.get("nbformat") != 4:
        return "the file is JSON but not a Jupyter notebook (version 4, with a list of cells)"
    return None
