"""The grading records: a submission, one exercise's result, one submission's outcome, and the grade log.

`grade` writes the log; `feedback`, `report`, `export` and `demo` read it through `read_log` and never
import the grader. The log is JSON (`grade_log.json` in the course folder), one entry per
`<assignment>/<student>`; `read_log` gives back typed `Outcome`s.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

LOG_NAME = "grade_log.json"
GRADED, REJECTED = "graded", "rejected"
# The grader, not the submission, failed: the kernel or the sandbox could not start, the limits are too
# tight, or the canary (the instructor's own notebook) did not earn full marks. Such an outcome never replaces
# an earlier grade, is never the student's fault, and makes `grade` exit non-zero with what to change.
GRADER_FAULT = "grader_fault"


@dataclass(frozen=True)
class Submission:
    """One notebook handed in: whose, for which assignment, and where the file lies (only ever read)."""

    student: str
    assignment: str
    path: str
    handed_in_as: str = ""  # the assignment it was handed in as, when graded as another (--grade-as-found)


@dataclass(frozen=True)
class ExerciseResult:
    """What one graded cell of an executed notebook says."""

    grade_id: str  # the graded cell's id, `test_<snake_name>`
    exercise: str  # the exercise's contract name, `MultiHeadAttention`
    points: float
    max_points: float
    passed: bool
    message: str = ""  # the check's message (never a traceback: it would quote hidden tests)
    mistake: str = ""  # the named mistake, "not attempted", or "" when none was recognised
    builds_on: str = ""  # the exercise of the same submission it builds on that fails: fix that one first


@dataclass
class Outcome:
    """What happened to one submission: status is 'graded', 'rejected' (the submission is at fault, with the
    reason in `message`) or 'grader_fault' (the grader is at fault: `message` says what to change)."""

    student: str
    assignment: str
    status: str
    score: float = 0.0
    max_score: float = 0.0
    message: str = ""
    exercises: list = field(default_factory=list)  # ExerciseResult per graded cell
    notes: list = field(default_factory=list)  # tampering and incidents, in plain words
    digest: str = ""  # the graded file and its grading conditions: an unchanged resubmission is not run again
    submitted_at: str = ""  # UTC, ISO 8601: the time `collect` (or nbgrader) recorded beside the notebook
    late_penalty: float = 0.0  # points nbgrader's late-submission plugin takes off `score` (export subtracts it)
    late_rules: str = ""  # the due date and penalty rules the lateness was computed under
    experiments: str = ""  # what the experiment cells did when it was graded: skip, shrunk or full (engine.cells)
    language: str = "en"  # the language of the notebook handed in (en, zh): its feedback page speaks it

    @property
    def final_score(self) -> float:
        """The score after the late penalty (never below 0), as nbgrader's own export counts it."""
        return max(0.0, self.score - self.late_penalty)

    @property
    def key(self) -> str:
        return f"{self.assignment}/{self.student}"

    @classmethod
    def from_dict(cls, data: dict) -> Outcome:
        known = {f.name for f in fields(cls)}
        outcome = cls(**{k: v for k, v in data.items() if k in known})
        outcome.exercises = [r if isinstance(r, ExerciseResult) else ExerciseResult(**r) for r in outcome.exercises]
        return outcome


def write_log(course_dir, outcomes):
    """Add or replace the outcomes' entries in the course's grade log; a grader fault never replaces an
    earlier grade (the earlier entry stays, with a note)."""
    path = Path(course_dir) / LOG_NAME
    log = json.loads(path.read_text()) if path.exists() else {}
    for o in outcomes:
        earlier = log.get(o.key)
        if o.status == GRADER_FAULT and earlier and earlier.get("status") != GRADER_FAULT:
            note = f"a later re-grading failed on the grader's side and changed nothing: {o.message}"
            earlier["notes"] = [n for n in earlier.get("notes", []) if not n.startswith("a later re-grading")] + [note]
            continue
        log[o.key] = asdict(o)
    path.write_text(json.dumps(log, indent=1, sort_keys=True))


def read_log(course_dir) -> dict[str, Outcome]:
    """Every outcome of the grade log by `<assignment>/<student>`; empty when nothing was graded."""
    path = Path(course_dir) / LOG_NAME
    if not path.exists():
        return {}
    return {key: Outcome.from_dict(entry) for key, entry in json.loads(path.read_text()).items()}
