"""The course folder's roster (`roster.csv`): each student's name, platform and late flag, as the learning
platform's download said. `collect` writes it; `feedback`, `report` and `export` read the names from it."""

import csv
from pathlib import Path

ROSTER = "roster.csv"  # in the course folder: student id, name, platform, late flag, as the downloads said
ROSTER_COLUMNS = ["student_id", "name", "assignment", "platform", "platform_late"]


def read_roster(course_dir):
    """(student, assignment) -> {'name', 'platform', 'platform_late'} from the course folder's roster."""
    path = Path(course_dir) / ROSTER
    if not path.exists():
        return {}
    with open(path, newline="") as f:
        return {(r["student_id"], r["assignment"]): r for r in csv.DictReader(f)}


def write_roster(course_dir, found):
    """Add or replace the roster's rows for what was collected now (the rows of others are kept)."""
    rows = read_roster(course_dir)
    for (student, assignment), facts in found.items():
        rows[(student, assignment)] = {"student_id": student, "assignment": assignment,
                                       "name": facts.get("name") or "", "platform": facts.get("platform", ""),
                                       "platform_late": "LATE" if facts.get("late") else ""}
    Path(course_dir).mkdir(parents=True, exist_ok=True)
    with open(Path(course_dir) / ROSTER, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=ROSTER_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows[k] for k in sorted(rows))


def names(course_dir):
    """student id -> the name the platform gave (from the roster); empty when none was collected."""
    return {student: row["name"] for (student, _), row in read_roster(course_dir).items() if row.get("name")}
