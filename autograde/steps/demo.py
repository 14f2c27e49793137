"""`make demo`: the instructor's first five minutes. A small class of honest, buggy and broken submissions of
notebook 03 is written, graded in parallel, fed back, reported and exported, end to end."""

import json
import shutil
import sys
from pathlib import Path

import nbformat

from autograde.engine.notebook import BEGIN_SOLUTION, END_SOLUTION, grade_meta, strip_markers
from autograde.gradebook import course
from autograde.steps.export import export_csv
from autograde.steps.feedback import write_feedback
from autograde.steps.grade import grade
from autograde.steps.release import release
from autograde.steps.report import write_report

ASSIGNMENT = "03_self_attention"


# -- factories (the tests build their hostile class with these too) ----------------------------------------
def solutions_of(source_nb):
    """The complete solution of each exercise, as a student who got it right would write it."""
    return {
        grade_meta(c)["grade_id"]: strip_markers(c.source, BEGIN_SOLUTION, END_SOLUTION)
        for c in source_nb.cells
        if grade_meta(c).get("solution")
    }


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


def hand_in(folder, student, assignment, content):
    """Write one submission as `<folder>/<student>/<assignment>/<assignment>.ipynb`; return its path."""
    path = Path(folder) / student / assignment / f"{assignment}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        nbformat.write(content, str(path))
    return path


def demo_class(released, source):
    """student id -> submission: what a real class hands in."""
    good = solutions_of(source)
    sdpa = good["scaled_dot_product_attention"]
    return {
        "ada": student_notebook(released, good),
        "grace": student_notebook(released, good),
        "alan": student_notebook(
            released, {**good, "scaled_dot_product_attention": sdpa.replace(" / math.sqrt(d_k)", "")}
        ),
        "barbara": student_notebook(released, {**good, "scaled_dot_product_attention": sdpa.replace("~mask", "mask")}),
        "edsger": student_notebook(
            released, {**good, "softmax": good["softmax"].replace("x - x.amax(dim=dim, keepdim=True)", "x")}
        ),
        "donald": student_notebook(
            released, {**good, "causal_mask": good["causal_mask"].replace(".tril()", ".triu(1)")}
        ),
        "john": student_notebook(released, {"softmax": good["softmax"]}),
        "margaret": student_notebook(released, good, extra_cells=[(3, "while True:\n    pass  # forgot to stop")]),
        "ken": b'{"cells": [ "this is not a notebook',
    }


def main(course_dir=course.DEFAULT_COURSE_DIR / "demo"):
    course_dir = Path(course_dir)
    shutil.rmtree(course_dir, ignore_errors=True)
    released_path = release([ASSIGNMENT], course_dir, quiet=True)[ASSIGNMENT]
    released = nbformat.read(str(released_path), as_version=4)
    source = nbformat.read(str(course.NOTEBOOKS / f"{ASSIGNMENT}.ipynb"), as_version=4)
    subs = course_dir / "submissions"
    for student, content in demo_class(released, source).items():
        hand_in(subs, student, ASSIGNMENT, content)
    print(
        f"released {ASSIGNMENT}; grading {len(list(subs.iterdir()))} sample submissions with 2 jobs "
        f"(one loops forever: it is stopped after the 20 s cell timeout)\n",
        flush=True,
    )
    # the kit's own sample class, no stranger's code: it grades where no network namespace can be had too
    outcomes = grade(subs, course_dir, jobs=2, timeout=20, allow_network=True)
    print(f"\n{'student':<10} {'score':>8}  what happened")
    for o in outcomes:
        failed = [f"{r.exercise}: {r.mistake or 'failed'}" for r in o.exercises if not r.passed]
        what = o.message if o.status != "graded" else ("; ".join(failed) or "all exercises pass")
        print(f"{o.student:<10} {o.score:>4g} / {o.max_score:<3g} {what}")
    write_feedback(course_dir)
    report = write_report(course_dir)
    export_csv(course_dir / "grades.csv", course_dir)
    print(f"\nfeedback pages: {course_dir / 'feedback'}/<student>/{ASSIGNMENT}.html")
    print(f"class report:   {report}")
    print(f"grades (CSV):   {course_dir / 'grades.csv'}")


if __name__ == "__main__":
    main(*sys.argv[1:])
