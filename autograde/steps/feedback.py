"""Feedback: one HTML page per student and assignment, from the grade log.

Per exercise it says what passed, what failed and the check's message. It is written from the grade log,
never from the graded notebook's test cells, so no hidden test can leak: neither its source (which nbgrader's
own feedback shows) nor its lines quoted in a traceback (which survive nbgrader's ClearHiddenTests).
"""

import functools
import html
from pathlib import Path

from autograde.engine.log import read_log
from autograde.gradebook import course, roster
from course_lib.i18n import tr_in

STYLE = """body{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #ddd;padding:.4rem;text-align:left;vertical-align:top}
.pass{color:#17692e;font-weight:600}.fail{color:#a4161a;font-weight:600}pre{white-space:pre-wrap;margin:0;font-size:.85rem}
.note{background:#fff4d6;padding:.5rem .8rem;border-left:4px solid #e0a800;margin:.3rem 0}"""


# What the notebook's experiment cells (training runs, sweeps, plots: no grade depends on them) did while it was
# graded (`grade --experiments`), said on every graded page.
EXPERIMENTS = {
    "skip": "Experiments: not run while grading (--experiments skip): only the cells a grade needs ran; your "
            "experiment cells cost and earn nothing here, and a crash in one costs nothing.",
    "shrunk": "Experiments: run while grading, shrunk to a few steps (--experiments shrunk); no grade depends on "
              "them, and a crash in one costs nothing.",
    "full": "Experiments: run while grading at full size (--experiments full); no grade depends on them, and a "
            "crash in one costs nothing.",
}


def page(entry, name=""):
    """The HTML feedback for one grade-log entry (`name`: the student's name, shown beside the id), in the language
    of the notebook the student handed in (`entry.language`)."""
    e = html.escape
    t = functools.partial(tr_in, getattr(entry, "language", "en") or "en")
    title = f"{entry.assignment} \u2014 {entry.student}" + (f" ({name})" if name else "")
    parts = [
        f"<!doctype html><html lang='{'zh-CN' if t.args[0] == 'zh' else 'en'}'><head><meta charset='utf-8'>"
        f"<title>{e(title)}</title><style>{STYLE}</style></head><body><h1>{e(title)}</h1>"
    ]
    if entry.status not in ("graded", "rejected"):  # a grader fault: nothing the student did, no score yet
        parts.append("<p>" + t(
            "Your submission has not been graded yet: the grader had a problem of its own while running it "
            "(nothing is wrong with your file, and no score was recorded). Your instructor has been told and "
            "will grade it again.") + "</p>")
    elif entry.status != "graded":
        parts.append(
            "<p class='fail'>" + t("Your submission could not be graded: {why}", why=e(entry.message)) + "</p><p>"
            + t("Score: 0 / {max}. Hand in the notebook file itself (.ipynb), as saved by Jupyter.",
                max=f"{entry.max_score:g}") + "</p>"
        )
    else:
        parts += [_score(entry, t), *_exercise_table(entry, t)]
        if entry.experiments in EXPERIMENTS:
            parts.append(f"<p><small>{t(EXPERIMENTS[entry.experiments])}</small></p>")
    for note in entry.notes:
        parts.append(f"<p class='note'>{e(t(note))}</p>")
    parts.append("<p><small>" + t(
        "Failed exercises show the message of the check that failed. Run the check cell below "
        "each exercise in your notebook to see it again while you fix it.") + "</small></p></body></html>")
    return "\n".join(parts)


def _score(entry, t):
    """The score of a graded entry, with what a late penalty took off and why."""
    if not entry.late_penalty:
        return "<p><b>" + t("Score: {score} / {max}", score=f"{entry.score:g}", max=f"{entry.max_score:g}") + "</b></p>"
    late = next((n for n in entry.notes if is_late_note(n)), "handed in after the due date")
    return ("<p><b>" + t("Score: {score} / {max}", score=f"{entry.final_score:g}", max=f"{entry.max_score:g}")
            + "</b> (" + t("{earned} earned, {off} off: {why}", earned=f"{entry.score:g}",
                           off=f"{entry.late_penalty:g}", why=html.escape(late)) + ")</p>")


def _exercise_table(entry, t):
    """The table of exercises: points, and for a failed one the check's message (and the piece to fix first)."""
    e = html.escape
    rows = [f"<table><tr><th>{t('exercise')}</th><th>{t('points')}</th><th>{t('result')}</th></tr>"]
    for r in entry.exercises:
        first = ("<p>" + t("This fails because {piece}, which it builds on, fails: fix {piece} first.",
                           piece=f"<code>{e(r.builds_on)}</code>") + "</p>" if getattr(r, "builds_on", "") else "")
        verdict = (
            f"<span class='pass'>{t('passed')}</span>"
            if r.passed
            else f"<span class='fail'>{t('failed')}</span>{first}<pre>{e(r.message or t('no message'))}</pre>"
        )
        rows.append(
            f"<tr><td><code>{e(r.exercise)}</code></td><td>{r.points:g} / {r.max_points:g}</td>"
            f"<td>{verdict}</td></tr>"
        )
    return rows + ["</table>"]


def is_late_note(note):
    """Whether a grade-log note is about lateness (the report lists those apart from learning problems)."""
    return (note.startswith("handed in ") and "after the due date" in note) or "as if handed in on time" in note


def write_feedback(course_dir=course.DEFAULT_COURSE_DIR, students=None, names=False):
    """Write course/feedback/<student>/<assignment>.html for every graded or rejected submission; with `names`,
    the name the learning platform gave (the roster `collect` wrote) beside the id."""
    known = roster.names(course_dir) if names else {}
    log = read_log(course_dir)
    if not log:
        raise SystemExit(f"error: nothing graded yet in {course_dir}: run `python -m autograde grade` first")
    written = []
    for entry in log.values():
        if students and entry.student not in students:
            continue
        path = Path(course_dir) / "feedback" / entry.student / f"{entry.assignment}.html"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(page(entry, known.get(entry.student, "")))
        written.append(path)
    return written
