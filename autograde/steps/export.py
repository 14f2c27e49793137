"""Export: one CSV row per student and assignment, scores from the gradebook, status and notes from the log.

Columns: assignment, student_id, score (after any late penalty, as nbgrader's own export counts it), max_score,
status (graded, rejected, missing, or a grader fault), message (why it was not graded), notes (tampering, lateness
and incidents the instructor should see), late_penalty (points taken off), submitted_at (UTC); with
`per_exercise`, one more column per exercise of the assignment(s), `<exercise> points`. Numbers are written
the same way everywhere: at most two decimals, no trailing zeros.
"""
import csv

from autograde.engine.log import read_log
from autograde.gradebook import course, db, roster

COLUMNS = ["assignment", "student_id", "score", "max_score", "status", "message", "notes", "late_penalty",
           "submitted_at"]


def number(x):
    """2, 2.5, 2.33: one format for every score in the CSV."""
    return f"{round(float(x), 2):g}"


def rows(course_dir=course.DEFAULT_COURSE_DIR, assignments=None, per_exercise=False):
    """Every (assignment, student) pair of the gradebook; a student with no gradeable submission scores 0."""
    from nbgrader.api import Gradebook, MissingEntry  # about 2 s: not imported by `--help`, which imports this module

    db_url = db.url(course_dir)  # the sqlite file, or the server --db or the course's nbgrader_config.py names
    if not db.gradebook_exists(db_url):
        raise SystemExit(f"error: no gradebook in {course_dir}: release and grade first")
    log = read_log(course_dir)
    out = []
    with Gradebook(db_url, course_id=course.COURSE_ID) as gb:
        known = sorted(a.name for a in gb.assignments)
        unknown = sorted(set(assignments or ()) - set(known))
        if unknown:
            raise SystemExit(f"error: no assignment named {', '.join(unknown)} in the gradebook; "
                             f"known: {', '.join(known)}")
        for assignment in sorted(gb.assignments, key=lambda a: a.name):
            if assignments and assignment.name not in assignments:
                continue
            for student in sorted(gb.students, key=lambda s: s.id):
                entry = log.get(f"{assignment.name}/{student.id}") or _misfiled(log, student.id, known)
                row = {"assignment": assignment.name, "student_id": student.id,
                       "notes": " | ".join(entry.notes) if entry else ""}
                try:
                    sub = gb.find_submission(assignment.name, student.id)
                    penalty = float(sub.late_submission_penalty or 0)
                    row.update(score=number(max(0.0, sub.score - penalty)), max_score=number(sub.max_score),
                               status="graded", message="", late_penalty=number(penalty),
                               submitted_at=sub.timestamp.isoformat() if sub.timestamp else "")
                except MissingEntry:
                    row.update(score=number(0), max_score=number(assignment.max_score), late_penalty="",
                               submitted_at="",
                               status=entry.status if entry else "missing",
                               message=entry.message if entry else "no submission")
                if per_exercise:
                    for r in entry.exercises if entry and row["status"] == "graded" else ():
                        row[f"{r.exercise} points"] = number(r.points)
                out.append(row)
    return out


def _misfiled(log, student, known):
    """A rejected hand-in of `student` under a name that is no assignment (a misspelt folder), so the export
    says what happened instead of "no submission"."""
    return next((e for e in log.values() if e.student == student and e.assignment not in known
                 and e.status == "rejected"), None)


def export_csv(path, course_dir=course.DEFAULT_COURSE_DIR, assignments=None, per_exercise=False, names=False):
    """Write the rows to `path` (per-exercise columns after the fixed ones, in order of appearance); with
    `names`, a `name` column after the id: the name the learning platform gave (`collect`'s roster)."""
    table = rows(course_dir, assignments, per_exercise)
    if names:
        known = roster.names(course_dir)
        table = [{"assignment": r["assignment"], "student_id": r["student_id"], "name": known.get(r["student_id"], ""),
                  **r} for r in table]
    extra = []
    for row in table:
        extra += [k for k in row if k not in COLUMNS and k not in extra]
    with open(path, "w", newline="") as f:
        fixed = COLUMNS[:2] + ["name"] + COLUMNS[2:] if names else COLUMNS
        writer = csv.DictWriter(f, fieldnames=fixed + [k for k in extra if k != "name"], restval="")
        writer.writeheader()
        writer.writerows(table)
    return table
