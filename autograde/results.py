"""What a graded notebook says, per exercise, and what a submission changed that it should not have."""

import re

from .log import ExerciseResult
from .notebook import grade_meta, is_graded_test

MISTAKE = re.compile(r"looks like (.+?)\. ")


def exercise_name(grade_id):
    """`test_scaled_dot_product_attention` -> `scaled_dot_product_attention`; class exercises get their name."""
    from course_lib.checks import EXERCISES
    from course_lib.checks.framework import snake_case_check_name

    snake = grade_id.removeprefix("test_")
    return next((n for n in EXERCISES if snake_case_check_name(n) == f"check_{snake}"), snake)


def exercise_results(nb):
    """One ExerciseResult per graded cell of an executed notebook: points, whether it passed, the message.

    The message is the error's name and text only, never its traceback, which would quote hidden test lines.
    """
    from nbgrader.utils import determine_grade

    results = []
    for cell in nb.cells:
        if not is_graded_test(cell):
            continue
        points, max_points = determine_grade(cell)
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        message = ""
        if errors:
            error = errors[0]
            message = (
                error.get("evalue", "")
                if error.get("ename") == "AssertionError"
                else f"{error.get('ename')}: {error.get('evalue', '')}"
            )
        found = MISTAKE.search(message + " ")
        mistake = found.group(1) if found else ("not attempted" if "not implemented yet" in message else "")
        results.append(
            ExerciseResult(
                grade_id=grade_meta(cell)["grade_id"],
                exercise=exercise_name(grade_meta(cell)["grade_id"]),
                points=points or 0.0,
                max_points=max_points,
                passed=points == max_points,
                message=message.strip()[:2000],
                mistake=mistake,
            )
        )
    return results


def tampering(submitted, released):
    """Plain-word notes on read-only cells a submission deleted, retyped or edited (all restored for grading).

    Compared with the released notebook itself, not with nbgrader's checksums: those cover the hidden tests,
    so nbgrader reports every test cell with hidden tests as changed for every student.
    """
    cells = {grade_meta(c).get("grade_id"): c for c in submitted.get("cells", []) if grade_meta(c).get("grade_id")}
    notes = []
    for cell in released.cells:
        meta = grade_meta(cell)
        if not (meta.get("locked") or meta.get("grade")):
            continue
        gid, mine = meta["grade_id"], cells.get(meta["grade_id"])
        if mine is None:
            notes.append(f"deleted the read-only cell {gid} (restored for grading)")
        elif mine.get("cell_type") != cell.cell_type:
            notes.append(f"changed the read-only cell {gid} into a {mine.get('cell_type')} cell (restored for grading)")
        elif _text(mine.get("source", "")) != cell.source:
            notes.append(f"edited the read-only cell {gid} (restored for grading: the edit earns nothing)")
    return notes


def _text(source):
    return "".join(source) if isinstance(source, list) else source
