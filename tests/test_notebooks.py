"""Notebook hygiene, one source for solution code, and every notebook running top to bottom."""

import inspect
import time

import nbformat
import pytest

import course_lib.solutions as solutions
from autograde.engine.notebook import (
    BEGIN_HIDDEN,
    BEGIN_SOLUTION,
    END_HIDDEN,
    END_SOLUTION,
    grade_meta,
    is_graded_test,
    is_solution,
    strip_markers,
)
from autograde.gradebook import course

STEMS = course.assignments()


def load(stem):
    return nbformat.read(course.NOTEBOOKS / f"{stem}.ipynb", as_version=4)


def test_there_are_notebooks():
    assert "03_self_attention" in STEMS


@pytest.mark.parametrize("stem", STEMS)
def test_outputs_are_stripped(stem):
    for cell in load(stem).cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{stem}: cell {cell.id} has outputs"


@pytest.mark.parametrize("stem", STEMS)
def test_nbgrader_metadata_is_valid_and_grade_ids_unique(stem):
    nb = load(stem)
    nbformat.validate(nb)
    ids = [grade_meta(c)["grade_id"] for c in nb.cells if grade_meta(c)]
    assert len(ids) == len(set(ids)), f"{stem}: duplicate grade_ids"
    for cell in nb.cells:
        meta = grade_meta(cell)
        if not meta:
            continue
        assert meta["schema_version"] == 3
        if meta["grade"]:
            assert meta["locked"] and meta["points"] > 0 and cell.cell_type == "code"
        if meta["solution"]:
            assert not meta["locked"]


@pytest.mark.parametrize("stem", STEMS)
def test_every_exercise_is_followed_by_its_check_and_a_graded_test(stem):
    cells = load(stem).cells
    exercises = [i for i, c in enumerate(cells) if is_solution(c) and c.cell_type == "code"]
    assert exercises, f"{stem} has no exercise"
    for i in exercises:
        name = grade_meta(cells[i])["grade_id"]
        check, graded = cells[i + 1], cells[i + 2]
        assert grade_meta(check).get("locked") and "check_" in check.source, f"{stem}/{name}: no check cell after it"
        assert is_graded_test(graded), f"{stem}/{name}: no graded test cell after its check"
        assert f"({name})" in check.source and f", {name}," in graded.source


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("stem", STEMS)
def test_every_exercise_hints_in_stages_with_two_before_the_code(stem, language):
    """Issue 32: each exercise's header holds its hints in stages, each behind its own click, in the order a
    learner opens them: the idea, the shapes and steps, then the code; the first two hold no code."""
    from autograde.engine import hints

    folder = course.NOTEBOOKS if language == "en" else course.NOTEBOOKS / language
    cells = nbformat.read(folder / f"{stem}.ipynb", as_version=4).cells
    for i, cell in enumerate(cells):
        if not (is_solution(cell) and cell.cell_type == "code"):
            continue
        name, header = grade_meta(cell)["grade_id"], cells[i - 1]
        assert header.cell_type == "markdown" and f"`{name}`" in header.source, f"{stem}/{name}: no header before it"
        assert hints.stages_in(header.source) == list(hints.STAGES), (
            f"{language}/{stem}/{name}: its hints are {hints.stages_in(header.source) or 'one block'}, not "
            f"{', '.join(hints.STAGES)}: write hint=stages(idea=bi(...), shapes=bi(...), code=bi(...))")
        for block in hints.BLOCK.finditer(header.source):
            if block["stage"] != "code":
                assert "```" not in block[0] and "torch." not in block[0], (
                    f"{language}/{stem}/{name}: its {block['stage']} hint holds code; code goes in the last stage")
        assert "<details>" not in header.source, f"{language}/{stem}/{name}: a hint block outside the stages"


@pytest.mark.parametrize("stem", STEMS)
def test_graded_cells_hold_hidden_tests_and_end_in_assert(stem):
    for cell in load(stem).cells:
        if is_graded_test(cell):
            assert BEGIN_HIDDEN in cell.source and END_HIDDEN in cell.source
            visible = cell.source.split(BEGIN_HIDDEN)[0] + cell.source.split(END_HIDDEN)[1]
            for version in (cell.source, visible):
                last = [line for line in version.splitlines() if line.strip()][-1]
                assert last.startswith("assert "), (
                    f"{stem}/{cell.id} ends in {last!r}: nbgrader reads a value as partial credit"
                )


@pytest.mark.parametrize("stem", STEMS)
def test_solution_cells_are_the_reference_code(stem):
    """One source for solution code: the notebook's solution region is course_lib.solutions' code."""
    for cell in load(stem).cells:
        if is_solution(cell) and cell.cell_type == "code":
            name = grade_meta(cell)["grade_id"]
            reference = inspect.getsource(getattr(solutions, name)).rstrip("\n")
            assert strip_markers(cell.source, BEGIN_SOLUTION, END_SOLUTION) == reference, (
                f"{stem}: the solution cell of {name} drifted from course_lib.solutions; run `make notebooks`"
            )


@pytest.mark.parametrize("stem", STEMS)
def test_committed_notebook_equals_a_fresh_build(stem):
    import build

    fresh = build.build(stem)
    committed = load(stem)
    assert [(c.cell_type, c.source, c.metadata) for c in committed.cells] == [
        (c.cell_type, c.source, c.metadata) for c in fresh.cells
    ], f"notebooks/{stem}.ipynb differs from notebooks/src/{stem}.py; run `make notebooks`"


@pytest.mark.parametrize("stem", STEMS)
def test_notebook_runs_top_to_bottom_with_solutions(stem, tmp_path, monkeypatch):
    """Run with the solutions, no grading shrink: no error, no stderr, within the one-minute budget. The kernel
    has torch's own thread count, as a learner's has (the rest of the suite runs one thread: conftest.py)."""
    from nbclient import NotebookClient

    from autograde.engine.pool import ONE_THREAD

    for name in ONE_THREAD:
        monkeypatch.delenv(name, raising=False)
    nb = load(stem)
    start = time.perf_counter()
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    seconds = time.perf_counter() - start
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            assert out.output_type != "error", f"{stem}: {out.get('ename')}: {out.get('evalue')}"
            assert not (out.output_type == "stream" and out.name == "stderr"), (
                f"{stem} wrote to stderr: {out.text[:300]}"
            )
    print(f"{stem}: {seconds:.1f} s")
