"""Export: one CSV row per student and assignment, read from the gradebook."""
import csv
from pathlib import Path

from . import course

COLUMNS = ["assignment", "student_id", "score", "max_score", "status", "message"]


def rows(course_dir=course.DEFAULT_COURSE_DIR):
    """Every (assignment, student) pair of the gradebook; a student with no gradeable submission scores 0."""
    from nbgrader.api import Gradebook, MissingEntry

    db = Path(course_dir) / "gradebook.db"
    if not db.exists():
        raise SystemExit(f"error: no gradebook in {course_dir}: release and grade first")
    from .log import read_log

    log = read_log(course_dir)
    out = []
    with Gradebook(f"sqlite:///{db.resolve()}", course_id=course.COURSE_ID) as gb:
        for assignment in sorted(gb.assignments, key=lambda a: a.name):
            for student in sorted(gb.students, key=lambda s: s.id):
                try:
                    sub = gb.find_submission(assignment.name, student.id)
                    out.append({"assignment": assignment.name, "student_id": student.id,
                                "score": round(sub.score, 2), "max_score": round(sub.max_score, 2),
                                "status": "graded", "message": ""})
                except MissingEntry:
                    entry = log.get(f"{assignment.name}/{student.id}")
                    out.append({"assignment": assignment.name, "student_id": student.id, "score": 0,
                                "max_score": round(assignment.max_score, 2),
                                "status": entry.status if entry else "missing",
                                "message": entry.message if entry else "no submission"})
    return out


def export_csv(path, course_dir=course.DEFAULT_COURSE_DIR):
    table = rows(course_dir)
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(table)
    return table
