"""Grade: autograde every submission of a folder laid out `<student_id>/<assignment>/<notebook>.ipynb`.

The pipeline, one named step each:
1. `discover`  finds the submissions and rejects, in plain words, what is not laid out as expected;
2. `inspect_notebook` rejects a file that is not a readable notebook (it never reaches a kernel);
3. `execute`   runs nbgrader's autograde on a copy, in a worker process with its own scratch course folder
               and gradebook, so sqlite is never written by two processes at once;
4. `record`    saves the executed notebook's scores into the main gradebook, in the main process only.
Handed-in files are only ever read: each is copied before anything touches it.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import warnings
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from pathlib import Path

from . import course, notebook
from .log import Outcome, Submission, write_log
from .release import ensure_released
from .results import exercise_results, tampering

DEFAULT_MEMORY_LIMIT = 4 * 2**30  # bytes of address space per student kernel


# -- 1. discover -------------------------------------------------------------------------------------------
def discover(folder, known_assignments, students=None):
    """The submissions under `folder`, and Outcomes for what cannot be graded as laid out."""
    folder = Path(folder)
    if not folder.is_dir():
        raise SystemExit(
            f"error: {folder} is not a folder of submissions (expected <student_id>/<assignment>/<notebook>.ipynb)"
        )
    found, rejected = [], []
    for student_dir in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        student = student_dir.name
        if students and student not in students:
            continue
        for assignment_dir in sorted(p for p in student_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
            assignment = assignment_dir.name
            if assignment not in known_assignments:
                rejected.append(Outcome(student, assignment, "rejected", message=f"no assignment named {assignment!r}"))
                continue
            notebooks = sorted(p for p in assignment_dir.glob("*.ipynb") if not p.name.startswith("."))
            exact = [p for p in notebooks if p.stem == assignment]
            if exact or len(notebooks) == 1:
                found.append(Submission(student, assignment, str((exact or notebooks)[0])))
            else:
                what = (
                    "no .ipynb file"
                    if not notebooks
                    else f"{len(notebooks)} notebooks and none named {assignment}.ipynb"
                )
                rejected.append(Outcome(student, assignment, "rejected", message=f"{what} in {assignment_dir}"))
    return found, rejected


# -- 2. inspect --------------------------------------------------------------------------------------------
inspect_notebook = notebook.inspect_notebook  # rejects a file that is not a readable notebook


# -- 3. execute (in a worker process) -----------------------------------------------------------------------
_scratch = None


def _start_worker(course_dir, hide, memory_limit):
    """Give this worker a scratch course folder (the released sources, a copy of the gradebook) and a
    grading kernel: the student's code runs confined by `autograde.sandbox` (see its docstring)."""
    global _scratch
    from . import sandbox

    _scratch = Path(tempfile.mkdtemp(prefix="worker-", dir=Path(course_dir) / ".scratch"))
    for part in ("source", "release"):
        shutil.copytree(Path(course_dir) / part, _scratch / part)
    shutil.copy2(Path(course_dir) / "gradebook.db", _scratch / "gradebook.db")
    sandbox.install_kernelspec(_scratch / "jupyter", hide=hide, memory_limit=memory_limit)


def execute(submission: Submission, timeout: int):
    """Autograde one submission in the scratch course folder; return the executed notebook's text or an error."""
    api = course.api(_scratch, timeout)
    staged = _scratch / "submitted" / submission.student / submission.assignment
    shutil.rmtree(staged, ignore_errors=True)
    staged.mkdir(parents=True)
    # A copy: the file handed in is only ever read.
    shutil.copyfile(submission.path, staged / f"{submission.assignment}.ipynb")
    result = api.autograde(submission.assignment, submission.student, force=True, create=True)
    executed = _scratch / "autograded" / submission.student / submission.assignment / f"{submission.assignment}.ipynb"
    if result["success"] and executed.exists():
        return {"notebook": executed.read_text(), "error": None}
    return {"notebook": None, "error": _last_error(result)}


def _last_error(result):
    text = (result.get("error") or "") + "\n" + (result.get("log") or "")
    lines = [line for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if "[Error]" in line or "Error" in line.split(":")[0]]
    return (errors or lines or ["nbgrader failed without a message"])[-1].strip()[:500]


def _hidden_from_kernels(course_dir, submissions):
    """What no student kernel may see: the course folder (gradebook, sources, other students' work), the
    submissions, the repository's source notebooks and Jupyter's runtime folder (other kernels' keys)."""
    from jupyter_core.paths import jupyter_runtime_dir

    return [str(Path(p).resolve()) for p in (course_dir, submissions, course.REPO, jupyter_runtime_dir())]


# -- 4. record (in the main process) ----------------------------------------------------------------------
def record(course_dir, submission: Submission, notebook_text: str) -> Outcome:
    """Save the scores of an executed notebook into the main gradebook and keep the notebook for feedback."""
    import nbformat
    from nbgrader.api import Gradebook
    from nbgrader.preprocessors import SaveAutoGrades

    db_url = course.nbgrader_config(course_dir).CourseDirectory.db_url
    nb = nbformat.reads(notebook_text, as_version=4)
    with Gradebook(db_url, course_id=course.COURSE_ID) as gb, warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*not in session, add operation along.*")  # see course.api
        gb.update_or_create_student(submission.student)
        gb.update_or_create_submission(submission.assignment, submission.student)
    SaveAutoGrades().preprocess(
        nb,
        {
            "nbgrader": {
                "notebook": submission.assignment,
                "student": submission.student,
                "assignment": submission.assignment,
                "db_url": db_url,
            }
        },
    )
    target = Path(course_dir) / "autograded" / submission.student / submission.assignment
    target.mkdir(parents=True, exist_ok=True)
    (target / f"{submission.assignment}.ipynb").write_text(notebook_text)
    exercises = exercise_results(nb)
    notes = [f"{r.exercise}: the kernel died or was stopped" for r in exercises if "KernelDied" in r.message]
    with Gradebook(db_url, course_id=course.COURSE_ID) as gb:
        sub = gb.find_submission(submission.assignment, submission.student)
        return Outcome(
            submission.student,
            submission.assignment,
            "graded",
            sub.score,
            sub.max_score,
            exercises=exercises,
            notes=notes,
        )


def _tampering_notes(course_dir, submission):
    import nbformat

    released = nbformat.read(Path(course_dir) / "release" / submission.assignment / f"{submission.assignment}.ipynb", 4)
    return tampering(json.loads(Path(submission.path).read_bytes()), released)


def _register_rejected(course_dir, outcome: Outcome):
    """A rejected submission still puts its student in the gradebook, so the export shows the 0; and it
    replaces an earlier graded one (a student who hands in again a broken file does not keep the old score)."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(course.nbgrader_config(course_dir).CourseDirectory.db_url, course_id=course.COURSE_ID) as gb:
        gb.update_or_create_student(outcome.student)
        try:
            outcome.max_score = gb.find_assignment(outcome.assignment).max_score
            gb.remove_submission(outcome.assignment, outcome.student)
        except MissingEntry:  # an unknown assignment, or no earlier submission
            pass


# -- the whole step ---------------------------------------------------------------------------------------
def grade(
    submissions,
    course_dir=course.DEFAULT_COURSE_DIR,
    jobs=1,
    timeout=course.DEFAULT_CELL_TIMEOUT,
    students=None,
    progress=True,
    memory_limit=DEFAULT_MEMORY_LIMIT,
):
    """Grade every submission; return one Outcome per submission, and write the grade log."""
    course_dir = Path(course_dir)
    found, outcomes = discover(submissions, course.assignments(), students)
    ready = []
    for sub in found:
        problem = inspect_notebook(sub.path)
        if problem:
            outcomes.append(Outcome(sub.student, sub.assignment, "rejected", message=problem))
        else:
            ready.append(sub)
    ensure_released(sorted({s.assignment for s in found}), course_dir)
    notes = {id(sub): _tampering_notes(course_dir, sub) for sub in ready}
    (course_dir / ".scratch").mkdir(exist_ok=True)
    bar = _progress(len(ready), progress)
    pending, retried = list(ready), set()
    while pending:
        with ProcessPoolExecutor(
            max_workers=max(1, jobs),
            mp_context=get_context("spawn"),
            initializer=_start_worker,
            initargs=(str(course_dir), _hidden_from_kernels(course_dir, submissions), memory_limit),
        ) as pool:
            futures, pending = [(sub, pool.submit(execute, sub, timeout)) for sub in pending], []
            for sub, future in futures:
                try:
                    result = future.result()
                except BrokenProcessPool:
                    if id(sub) not in retried:  # a worker died under another submission: grade this one again
                        retried.add(id(sub))
                        pending.append(sub)
                        continue
                    result = {"notebook": None, "error": "the grader's worker process died while grading it"}
                except Exception as error:  # noqa: BLE001 - one broken submission never stops the others
                    result = {"notebook": None, "error": f"the grader failed on it: {type(error).__name__}: {error}"}
                if result["notebook"] is None:
                    outcomes.append(Outcome(sub.student, sub.assignment, "rejected", message=result["error"]))
                else:
                    outcomes.append(record(course_dir, sub, result["notebook"]))
                outcomes[-1].notes = notes[id(sub)] + outcomes[-1].notes
                bar.update(1)
    bar.close()
    shutil.rmtree(course_dir / ".scratch", ignore_errors=True)
    for outcome in outcomes:
        if outcome.status == "rejected":
            _register_rejected(course_dir, outcome)
    outcomes.sort(key=lambda o: (o.assignment, o.student))
    write_log(course_dir, outcomes)
    return outcomes


def _progress(total, enabled):
    from tqdm import tqdm

    return tqdm(total=total, desc="grading", unit="submission", disable=not enabled or total == 0, file=sys.stderr)
