"""What a graded notebook says, per exercise, and what a submission changed that it should not have."""

import functools
import re
from dataclasses import replace

from autograde.engine.log import ExerciseResult
from autograde.engine.notebook import grade_meta, is_graded_test
from course_lib.i18n import catalog, notebook_language, tr_in
from course_lib.names import snake_case

MISTAKE = re.compile(r"looks like (.+?)\. ")
TIMED_OUT = "ran past the time limit (an endless loop?)"
BLAMED = re.compile(r"uses your (\w+)(?: \([^)]*\))?, which does not pass its check yet")


@functools.lru_cache(maxsize=None)
def builds_on():
    """Which exercise builds on which, within one notebook (`course_lib.checks.framework.builds_on`, read from the
    checks): when both fail, the dependent one is counted under the piece it builds on. The checks say it in their
    message too, where they can ("your X uses your Y, which does not pass its check yet"); this is the grader's
    fallback when the message does not say."""
    # Imported here: the checks bring torch and every notebook's checks (about 4.7 s measured with -X importtime),
    # which the grader's main process does not load; only a failure that may build on another needs them.
    from course_lib.checks.framework import builds_on as read_from_the_checks

    return read_from_the_checks()


def exercise_name(grade_id, names=()):
    """`test_scaled_dot_product_attention` -> `scaled_dot_product_attention`; class exercises get their name.
    `names`: the exercise names to look among first (a notebook's solution cells); then the course's checks."""
    snake = grade_id.removeprefix("test_")
    found = next((n for n in names if snake_case(n) == snake), None)
    if found:
        return found
    # Imported here: the checks bring torch and every notebook's checks (about 4.7 s measured with -X importtime),
    # which the grader's main process does not load; only a name its notebook does not hold needs them.
    from course_lib.checks import EXERCISES

    return next((n for n in EXERCISES if snake_case(n) == snake), snake)


# The sentences the grader reads a record from, as the checks write them (course_lib/checks/framework.py), in
# English: a Chinese message is read back into them first (`in_english`), so the log, the export and the report
# count a mistake under one name whatever the language the student's notebook spoke.
LOOKS_LIKE = ("looks like {mistake}. {hint}",
              "looks like {first} or {second} (these give the same outputs here). {hints}",
              "looks like {first} or {second} or {third} (these give the same outputs here). {hints}")
USES = ("your {name} uses your {piece} ({where}), which does not pass its check yet: fix that first.",
        "your {name} uses your {piece}, which does not pass its check yet: fix that first.")
NOT_IMPLEMENTED = ("not implemented yet: it calls `{function}`, which still raises NotImplementedError; finish that "
                   "exercise first (or use torch's version for now)",
                   "not implemented yet (it raises NotImplementedError): replace the `raise NotImplementedError()` "
                   "line with your code")
_LAST = {"hint", "hints", "where"}  # fields that run to the end of what is read back (never mapped to English)


@functools.lru_cache(maxsize=None)
def _reader(language, template):
    """A regular expression that reads `template`'s text in `language`, a group per field; None when that
    language has no text of its own for it."""
    text = tr_in(language, template)
    if text == template:
        return None
    pattern = re.escape(text)
    for name in re.findall(r"\{(\w+)\}", text):
        group = r"(?P<%s>.*)" % name if name in _LAST else r"(?P<%s>.+?)" % name
        pattern = pattern.replace(re.escape("{%s}" % name), group, 1).replace(re.escape("{%s}" % name),
                                                                               "(?P=%s)" % name)
    return re.compile(pattern, re.S)


@functools.lru_cache(maxsize=None)
def _english_names(language):
    """Each text of `language`'s catalog -> the English it translates."""
    return {other: english for english, other in catalog(language).items()}


def in_english(message, language):
    """The parts of a check's message the grader reads (a named mistake, the piece it uses, not implemented), as
    English sentences; the message itself when it is English already or none of them is in it."""
    if language == "en":
        return message
    back = _english_names(language)
    found = []
    for template in LOOKS_LIKE + USES + NOT_IMPLEMENTED:
        reader = _reader(language, template)
        match = reader.search(message) if reader else None
        if match:
            fields = {k: (v if k in _LAST else back.get(v, v)) for k, v in match.groupdict().items()}
            found.append(template.format(**fields))
    return " ".join(found) + " " if found else message


def exercise_results(nb):
    """One ExerciseResult per graded cell of an executed notebook: points, whether it passed, the message.

    The message is the error's name and text only, never its traceback, which would quote hidden test lines.
    """
    # Imported here: nbgrader takes seconds to import (-X importtime), and `report` reads this module without it.
    from nbgrader.utils import determine_grade

    results = []
    language = notebook_language(nb)
    names = [grade_meta(c).get("grade_id", "") for c in nb.cells if grade_meta(c).get("solution")]
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
                if error.get("ename") in ("AssertionError", "CellTimeoutError")
                else f"{error.get('ename')}: {error.get('evalue', '')}"
            )
        english = in_english(message, language)
        found = MISTAKE.search(english + " ")
        mistake = found.group(1) if found else ("not attempted" if "not implemented yet" in english else "")
        if errors and errors[0].get("ename") == "CellTimeoutError":
            mistake = TIMED_OUT
        results.append(
            ExerciseResult(
                grade_id=grade_meta(cell)["grade_id"],
                exercise=exercise_name(grade_meta(cell)["grade_id"], names),
                points=points or 0.0,
                max_points=max_points,
                passed=points == max_points,
                message=message.strip()[:2000],
                mistake=mistake,
            )
        )
    # The table the grading job wrote into the notebook (`worker.Worker.run`): read from the checks there, where
    # they are loaded anyway, so the grader's main process never imports them for it
    return with_dependencies(results, language, nb.metadata.get("autograde", {}).get("builds_on"))


def with_dependencies(results, language="en", table=None):
    """The results, each failure that comes from a failing piece it builds on (`BLAMED` in its message, else
    `builds_on()` and that piece's own result in the same submission) marked `builds_on`, and its mistake counted
    under that piece's: "through softmax: <softmax's mistake>". `table`: `builds_on()`'s, when the caller has it."""
    by_name = {r.exercise: r for r in results}
    out = []
    for r in results:
        if not r.passed and r.mistake not in ("not attempted", TIMED_OUT):
            said = BLAMED.search(in_english(r.message, language))
            pieces = [said.group(1)] if said else [d for d in (builds_on() if table is None else table).get(
                r.exercise, ()) if d in by_name and not by_name[d].passed]
            piece = next((by_name[p] for p in pieces if p in by_name), None)
            own_mistake = r.mistake and not said
            if piece is not None and not own_mistake:
                r = replace(r, builds_on=piece.exercise,
                            mistake=f"through {piece.exercise}: {piece.mistake or 'its own failure'}")
        out.append(r)
    return out


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
