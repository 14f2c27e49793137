"""Grade: autograde every submission of a folder laid out `<student_id>/<assignment>/<notebook>.ipynb`.

The pipeline, one named step each:
1. `discover`  finds the submissions and rejects, in plain words, what is not laid out as expected;
2. `inspect_notebook` rejects a file that is not a readable notebook (it never reaches a kernel);
3. `execute`   runs nbgrader's autograde on a copy, in a worker process with its own scratch course folder
               and gradebook, so sqlite is never written by two processes at once; the kernel runs each
               graded cell's visible part only, and the hidden verdicts are decided in this (grader) process,
               the student's code running in a sandboxed worker that hands back plain data (`verdict`);
4. `record`    saves the executed notebook's scores into the main gradebook, in the main process only.
Before any submission of an assignment is touched, its `canary` (the instructor's source notebook, solutions
in place) is graded the same way; if it does not earn full marks, nothing of that assignment is graded and
the command says why and what to change. Faults of the grader (`GRADER_FAULT`) never replace a grade.
Handed-in files are only ever read: each is copied before anything touches it.
"""

from __future__ import annotations

import functools
import json
import os
import shlex
import shutil
import sys
import tempfile
import warnings
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from pathlib import Path

from course_lib.i18n import notebook_language, speaking

from . import course, notebook
from .log import GRADER_FAULT, Outcome, Submission, read_log, write_log
from .release import ensure_released
from .results import exercise_results, tampering

DEFAULT_MEMORY_LIMIT = 4 * 2**30  # bytes of address space per student kernel
CANARY = "_canary"  # the student id the instructor's own notebook is graded under (scratch gradebook only)
KERNEL_CANNOT_START = ("kernel_info", "Kernel didn't respond", "Kernel died before", "Failed to start")


# -- 1. discover -------------------------------------------------------------------------------------------
class Graded(list):
    """The outcomes of a `grade` run (a list), what it left out of the folder with the reason, and the
    outcomes it kept because their submissions had not changed since they were graded."""

    left_out: list
    unchanged: list


def discover(folder, known_assignments, students=None):
    """The submissions under `folder`, Outcomes for what cannot be graded as laid out, and every other file or
    folder found there with the reason it was left out (nothing is skipped silently)."""
    import nbformat

    from .collect import TIMESTAMP_FILE, valid_student_id

    folder = Path(folder)
    if not folder.is_dir():
        raise SystemExit(
            f"error: {folder} is not a folder of submissions (expected <student_id>/<assignment>/<notebook>.ipynb)"
        )
    found, rejected, left_out = [], [], []
    laid = folder.parent / f"{folder.name}-collected"
    lay_out = (f"lay the folder out first: `python -m autograde collect {shlex.quote(str(folder))} --into "
               f"{shlex.quote(str(laid))}`, then grade {shlex.quote(str(laid))}")
    for entry in sorted(p for p in folder.iterdir() if not p.name.startswith(".")):
        if not entry.is_dir():
            kind = {".zip": "a zip file", ".ipynb": "a notebook"}.get(entry.suffix, "a file")
            left_out.append(f"{entry.name}: {kind} at the top of the folder names no student; {lay_out}")
            continue
        student = entry.name
        if students and student not in students:
            continue
        if not valid_student_id(student):
            left_out.append(f"{student}: not a student id (letters, digits, '.', '_', '-'); "
                            + _not_an_id_remedy(entry, known_assignments, lay_out))
            continue
        if not any(not p.name.startswith(".") for p in entry.iterdir()):
            left_out.append(f"{student}: an empty folder; nothing to grade")
            continue
        folders = {p.name for p in entry.iterdir() if p.is_dir() and not p.name.startswith(".")}
        for item in sorted(p for p in entry.iterdir() if not p.name.startswith(".")):
            if item.is_dir():
                continue
            stem_or_stamp = None
            if item.suffix == ".ipynb":
                try:
                    stamped = nbformat.read(str(item), as_version=4).metadata.get("autograde", {}).get("assignment")
                except Exception:  # noqa: BLE001 - an unreadable file is rejected below, by inspect_notebook
                    stamped = None
                stem_or_stamp = stamped if stamped in known_assignments else (
                    item.stem if item.stem in known_assignments else None)
            if stem_or_stamp and stem_or_stamp not in folders:  # a flat folder: <student>/<notebook>.ipynb
                found.append(Submission(student, stem_or_stamp, str(item)))
                folders.add(stem_or_stamp)
            else:
                why = "a second notebook for the same assignment" if stem_or_stamp else "belongs to no assignment"
                left_out.append(f"{student}/{item.name}: {why}; not graded")
        for assignment_dir in sorted(p for p in entry.iterdir() if p.is_dir() and not p.name.startswith(".")):
            assignment = assignment_dir.name
            if assignment not in known_assignments:
                rejected.append(Outcome(student, assignment, "rejected", message=f"no assignment named {assignment!r}"))
                continue
            notebooks = sorted(p for p in assignment_dir.glob("*.ipynb") if not p.name.startswith("."))
            exact = [p for p in notebooks if p.stem == assignment]
            left_out += [f"{student}/{assignment}/{p.name}: {_what_it_is(p)}; not graded"
                         for p in sorted(assignment_dir.iterdir())
                         if not p.name.startswith(".") and p.suffix != ".ipynb"
                         and p.name not in (TIMESTAMP_FILE, "submission_secret.txt")]  # nbgrader collect's files
            if exact or len(notebooks) == 1:
                chosen = (exact or notebooks)[0]
                found.append(Submission(student, assignment, str(chosen)))
                left_out += [f"{student}/{assignment}/{p.name}: another notebook beside {chosen.name}; not graded"
                             for p in notebooks if p != chosen]
            else:
                what = (
                    "no .ipynb file"
                    if not notebooks
                    else f"{len(notebooks)} notebooks and none named {assignment}.ipynb"
                )
                rejected.append(Outcome(student, assignment, "rejected", message=f"{what} in {assignment_dir}"))
    return found, rejected, left_out


def _not_an_id_remedy(entry, known_assignments, lay_out):
    """What to do with a folder whose name is no student id, as a command that works when followed literally:
    one student's work under their name is renamed to an id (then graded as laid out); anything else is
    laid out by `collect`."""
    from .collect import suggested_id

    own = any(p.name in known_assignments or p.suffix == ".ipynb" for p in entry.iterdir())
    new = suggested_id(entry.name)
    if own and new and not (entry.parent / new).exists():
        return (f"rename it to the student's id, e.g. `mv {shlex.quote(str(entry))} "
                f"{shlex.quote(str(entry.parent / new))}`, then grade again")
    if own:
        return "rename it to the student's id, then grade again"
    return lay_out


def _what_it_is(path):
    """'a folder', 'a file of 50 MB', 'a file of 12 bytes': what a stray entry is, at a glance."""
    if path.is_dir():
        return "a folder beside the notebook"
    size = path.stat().st_size
    return f"not a notebook ({size / 2**20:.0f} MB)" if size >= 2**20 else f"not a notebook ({size} bytes)"


# -- 2. inspect --------------------------------------------------------------------------------------------
inspect_notebook = notebook.inspect_notebook  # rejects a file that is not a readable notebook


# -- 3. execute (in a worker process) -----------------------------------------------------------------------
_scratch = None
_grading_envs = {}  # assignment -> the package its hidden-test workers run on (`grading_env`)
_unbuilt = {}  # assignment -> why this job could not build its package (a grader fault, said per submission)


def grading_env_folder(course_dir, assignment):
    """Where `grading_env` keeps the package of `assignment` for this version of the course's code."""
    import course_lib

    code = _course_code_digest(Path(course_lib.__file__).resolve().parent)[:16]
    return Path(course_dir).resolve() / GRADING_ENVS / code / assignment


def grading_env(course_dir, assignment):
    """The course package the hidden-test worker of `assignment` runs a submission on, built once per version
    of the course's code (`autograde.student_env`, for the grader): checks replayed from recordings, the
    handouts of earlier notebooks only, no `course_lib.solutions`. So the student's code in the worker finds
    no reference of the notebook's exercises to call, whatever it does to the tripwire.

    Built by the grading jobs (`_start_worker`), which import torch and the checks anyway for the verdicts, not
    by the command's main process, which never imports them; a lock keeps two jobs from building it twice."""
    import fcntl

    folder = grading_env_folder(course_dir, assignment)
    if (folder / "course_lib").is_dir():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.parent / f".{assignment}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another job of this grading (or another grader) may be building it
        if (folder / "course_lib").is_dir():
            return folder
        from .student_env import build_student_env

        for old in folder.parent.parent.iterdir():
            if old.name != folder.parent.name:  # built from an earlier version of the course's code
                shutil.rmtree(old, ignore_errors=True)
        building = Path(tempfile.mkdtemp(prefix=f".{assignment}-", dir=folder.parent))
        try:
            build_student_env(building, through=assignment, for_grader=True)
            building.rename(folder)
        except OSError:
            if not (folder / "course_lib").is_dir():
                raise
            # built meanwhile by a grader the lock does not reach (another machine, on a file system without flock)
        finally:
            shutil.rmtree(building, ignore_errors=True)
    return folder


def _build_grading_env(course_dir, assignment):
    """`grading_env`, in a grading job: a failure is kept, in plain words, for each submission of `assignment`."""
    if assignment in _unbuilt:
        return
    try:
        grading_env(course_dir, assignment)
    except Exception as error:  # noqa: BLE001 - the grader's fault: said in plain words, nothing is graded
        _unbuilt[assignment] = (
            f"not graded: the grader could not build the package its worker runs {assignment} on "
            f"({type(error).__name__}: {str(error)[:400]}). Check that the course code is complete, "
            f"and that the course folder is writable.")


GRADING_ENVS = ".grading-env"  # in the course folder: one package per version of the course code and assignment


def _start_worker(course_dir, hide, memory_limit, envs=None, warm=True, experiments="skip", allow_network=True):
    """Give this worker a scratch course folder (the released sources, a copy of the gradebook) and a
    grading kernel: the student's code runs confined by `autograde.sandbox` (see its docstring). With `warm`,
    kernels and hidden-test workers are forked from templates that have done the heavy imports
    (`autograde.pool`); `experiments` says what the experiment cells do (`autograde.cells`). Without
    `allow_network`, a worker on a machine where the student's code cannot be cut off the network refuses (a
    Dask worker: the coordinator checked only its own machine)."""
    global _scratch, _experiments, _course_dir
    from . import sandbox

    if not allow_network and not sandbox.network_isolated():
        raise RuntimeError(f"this worker machine refuses to grade: {sandbox.NETWORK_RISK}")
    _experiments, _course_dir = experiments, course_dir

    _grading_envs.update(envs or {})

    _scratch = Path(tempfile.mkdtemp(prefix="worker-", dir=Path(course_dir) / ".scratch"))
    for part in ("source", "release"):
        shutil.copytree(Path(course_dir) / part, _scratch / part)
    template = Path(course_dir) / ".scratch" / "gradebook.db"  # a server gradebook's copy (db.prepare_gradebook)
    shutil.copy2(template if template.exists() else Path(course_dir) / "gradebook.db", _scratch / "gradebook.db")
    sandbox.install_kernelspec(_scratch / "jupyter", hide=hide, memory_limit=memory_limit)
    if warm:
        _start_pool(experiments)


_experiments = "skip"
_course_dir = None


def _start_pool(experiments):
    """This worker's warm templates (`autograde.pool`): the kernels' one starts importing at once."""
    import atexit

    from . import pool

    spec = json.loads((_scratch / "jupyter" / "kernels" / course.GRADING_KERNEL / "kernel.json").read_text())
    env = {**os.environ, **spec["env"], "MPLCONFIGDIR": spec["env"]["AUTOGRADE_MPLCACHE"],
           "MPLBACKEND": "module://matplotlib_inline.backend_inline",  # what ipykernel sets in every kernel
           "AUTOGRADE_PRELOAD": json.dumps(pool.preload_modules(sorted((_scratch / "source").glob("*/*.ipynb"))))}
    if experiments != "full":  # the course's code reads it when imported: the template's imports must see it
        env["NBGRADER_EXECUTION"] = "autograde"
    pool.start(str(_scratch), env)
    atexit.register(pool.stop)
    first = sorted(_grading_envs)[0] if _grading_envs else None
    if first:  # while the kernels' template imports: the first assignment's package, then its workers' template
        _build_grading_env(_course_dir, first)
        if first not in _unbuilt:
            pool.worker_template(_spawn_worker(first)[1])


def _spawn_worker(assignment):
    """(argv, environment, working folder) of a hidden-tests worker, confined exactly as the grading kernels:
    the argv and environment come from the kernelspec `_start_worker` installed; the folder is new and empty.
    It runs on the assignment's `grading_env`, which it sees read-only, and not on the full course package,
    which it does not see at all."""
    import course_lib

    from .sandbox import worker_argv

    spec = json.loads((_scratch / "jupyter" / "kernels" / course.GRADING_KERNEL / "kernel.json").read_text())
    env = {**os.environ, **spec["env"], "NBGRADER_EXECUTION": "autograde", "MPLBACKEND": "Agg"}
    package, runs_on = os.path.dirname(os.path.abspath(course_lib.__file__)), str(_grading_envs[assignment])
    env["AUTOGRADE_SHOW"] = json.dumps([p for p in json.loads(env["AUTOGRADE_SHOW"]) if p != package] + [runs_on])
    env["AUTOGRADE_HIDE_ALSO"] = json.dumps(json.loads(env.get("AUTOGRADE_HIDE_ALSO") or "[]") + [package])
    env["AUTOGRADE_WORKER_PATH"] = runs_on
    return worker_argv(spec["argv"]), env, tempfile.mkdtemp(prefix="verdict-", dir=_scratch)


def execute(submission: Submission, timeout: int, submission_timeout=course.DEFAULT_SUBMISSION_TIMEOUT):
    """Autograde one submission in the scratch course folder; return the executed notebook's text (hidden
    verdicts written in) or an error, and whether the error is the grader's (`fault`)."""
    import time

    import nbformat

    from . import cells, pool, verdict

    started = time.perf_counter()
    pool.FORKED.clear()
    _build_grading_env(_course_dir, submission.assignment)
    if submission.assignment in _unbuilt:
        return {"notebook": None, "error": _unbuilt[submission.assignment], "fault": True, "unbuilt": True}
    api = course.api(_scratch, timeout, submission_timeout)
    # Only the cells a grade needs, on a warm kernel when this worker has templates (`autograde.cells`)
    api.config.Autograde.autograde_preprocessors = [
        "autograde.cells.GradedCells" if p == "autograde.preprocessors.SurviveDeadKernel" else p
        for p in api.config.Autograde.autograde_preprocessors]
    api.config.GradedCells.experiments = _experiments
    staged = _scratch / "submitted" / submission.student / submission.assignment
    shutil.rmtree(staged, ignore_errors=True)
    staged.mkdir(parents=True)
    # A copy: the file handed in is only ever read.
    shutil.copyfile(submission.path, staged / f"{submission.assignment}.ipynb")
    name = f"{submission.assignment}.ipynb"
    released = nbformat.read(_scratch / "release" / submission.assignment / name, as_version=4)
    source = nbformat.read(_scratch / "source" / submission.assignment / name, as_version=4)
    session = verdict.open_session(released, json.loads((staged / name).read_bytes()),
                                   functools.partial(_spawn_worker, submission.assignment), timeout)
    try:
        result = api.autograde(submission.assignment, submission.student, force=True, create=True)
        executed = _scratch / "autograded" / submission.student / submission.assignment / name
        if not (result["success"] and executed.exists()):
            error = _last_error(result)
            return {"notebook": None, "error": error, "fault": any(k in error for k in KERNEL_CANNOT_START)}
        nb = nbformat.read(executed, as_version=4)
        notes = list(nb.metadata.get("autograde", {}).pop("incidents", []))
        judging = time.perf_counter()
        with speaking(notebook_language(nb)):  # hidden verdicts in the language of the notebook handed in
            notes += verdict.judge(nb, source, session)
        judged = time.perf_counter() - judging
        nb.metadata.setdefault("autograde", {})["forked"] = sorted(pool.FORKED)  # else started cold
    finally:
        session.close()
    return {"notebook": nbformat.writes(nb), "error": None, "notes": notes,
            "timing": cells.timing(time.perf_counter() - started, judged)}


def _log_timing(sub, result):
    """With AUTOGRADE_TIMINGS=FILE (benchmarks/bench_grading.py), one JSON line per submission: where its
    seconds went (`cells.timing`)."""
    path = os.environ.get("AUTOGRADE_TIMINGS")
    if path and result.get("timing"):
        with open(path, "a") as f:
            f.write(json.dumps({"student": sub.student, "assignment": sub.assignment, **result["timing"]}) + "\n")


def _last_error(result):
    text = (result.get("error") or "") + "\n" + (result.get("log") or "")
    lines = [line for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if "[Error]" in line or "Error" in line.split(":")[0]]
    return (errors or lines or ["nbgrader failed without a message"])[-1].strip()[:500]


def _hidden_from_kernels(course_dir, submissions):
    """What no student kernel may see: the course folder (gradebook, sources, other students' work), the
    submissions, the repository's source notebooks, Jupyter's runtime folder (other kernels' keys) and the
    grader's home folder (~/.pgpass, cloud credentials, ssh keys; the Python environment is shown again where it
    lies there: `sandbox.install_kernelspec`)."""
    from jupyter_core.paths import jupyter_runtime_dir

    home = Path.home().resolve()
    homes = [home] if home.is_dir() and home != Path("/") else []
    return [str(Path(p).resolve()) for p in (course_dir, submissions, course.REPO, jupyter_runtime_dir(), *homes)]


# -- 4. record (in the main process) ----------------------------------------------------------------------
def record(course_dir, submission: Submission, notebook_text: str, config=None) -> Outcome:
    """Save the scores of an executed notebook into the main gradebook and keep the notebook for feedback.
    `config`: the course's nbgrader configuration (`course.nbgrader_config`), read once by the caller."""
    import nbformat
    from nbgrader.api import Gradebook
    from nbgrader.preprocessors import AssignLatePenalties, SaveAutoGrades

    config = config or course.nbgrader_config(course_dir)
    db_url = config.CourseDirectory.db_url
    nb = nbformat.reads(notebook_text, as_version=4)
    try:
        submitted_at = submission_time(submission)
    except ValueError as error:
        submitted_at = None
        late_notes = [f"{error}: graded as if handed in on time"]
    else:
        late_notes = []
    with Gradebook(db_url, course_id=course.COURSE_ID) as gb, warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*not in session, add operation along.*")  # see course.api
        gb.update_or_create_student(submission.student)
        # The time stays as recorded (None when there is none), so formgrader sees this submission as graded.
        gb.update_or_create_submission(submission.assignment, submission.student, timestamp=submitted_at)
    resources = {"nbgrader": {"notebook": submission.assignment, "student": submission.student,
                              "assignment": submission.assignment, "db_url": db_url}}
    SaveAutoGrades().preprocess(nb, resources)
    penalties = AssignLatePenalties(config=config)
    penalties.log.setLevel("ERROR")  # it warns of every late submission; the outcome's note says it once
    penalties.preprocess(nb, resources)
    target = Path(course_dir) / "autograded" / submission.student / submission.assignment
    target.mkdir(parents=True, exist_ok=True)
    (target / f"{submission.assignment}.ipynb").write_text(notebook_text)
    exercises = exercise_results(nb)
    notes = [f"{r.exercise}: the kernel died while running its test" for r in exercises if "KernelDied" in r.message]
    notes += late_notes
    with Gradebook(db_url, course_id=course.COURSE_ID) as gb:
        sub = gb.find_submission(submission.assignment, submission.student)
        late, penalty = sub.total_seconds_late, float(sub.late_submission_penalty or 0)
        if late > 0:
            notes.append(f"handed in {_duration(late)} after the due date"
                         + (f"; late penalty {penalty:g} point(s)" if penalty else " (no late penalty is set)"))
        return Outcome(
            submission.student,
            submission.assignment,
            "graded",
            sub.score,
            sub.max_score,
            exercises=exercises,
            notes=notes,
            submitted_at=sub.timestamp.isoformat() if sub.timestamp else "",
            late_penalty=penalty,
            language=notebook_language(nb),
        )


def _stamp_file(submission: Submission):
    """The file beside a notebook laid out `<student>/<assignment>/` that records its submission time (nbgrader's
    `timestamp.txt`, as `collect` writes it), or None when there is none."""
    from .collect import TIMESTAMP_FILE

    stamp = Path(submission.path).parent / TIMESTAMP_FILE
    return stamp if stamp.parent.name == submission.assignment and stamp.is_file() else None


def submission_time(submission: Submission):
    """The submission time recorded beside the notebook (`_stamp_file`), in UTC; None when there is none;
    ValueError saying why when it cannot be read."""
    from nbgrader.utils import parse_utc

    stamp = _stamp_file(submission)
    if stamp is None:
        return None
    text = stamp.read_text(errors="replace").strip()
    try:
        return parse_utc(text)
    except (ValueError, OverflowError):
        raise ValueError(f"the submission time beside it ({stamp.name}: {text[:40]!r}) is no date") from None


def _duration(seconds):
    """3 h 05 min, 2 d 4 h, 40 s: how late, in words an instructor reads at a glance."""
    minutes, hours, days = int(seconds // 60), int(seconds // 3600), int(seconds // 86400)
    if days:
        return f"{days} d {hours - 24 * days} h"
    if hours:
        return f"{hours} h {minutes - 60 * hours:02d} min"
    return f"{minutes} min" if minutes else f"{int(seconds)} s"


def _tampering_notes(course_dir, submission):
    """Tampering notes, only for a notebook that is recognisably the assignment's own (`notebook.recognise`);
    one note for a notebook that is recognisably no assignment's (its read-only cells are put back all the same)."""
    import nbformat

    data = json.loads(Path(submission.path).read_bytes())
    found = notebook.recognise(data)
    notes = [f"graded as {submission.assignment}, the notebook it is, though handed in as {submission.handed_in_as} "
             f"(--grade-as-found)"] if submission.handed_in_as else []
    if found is None:
        return notes + [f"this notebook has fewer than half of {submission.assignment}'s cells (a new notebook "
                        f"with the code pasted in?): its read-only cells were put back for grading"]
    released = nbformat.read(Path(course_dir) / "release" / submission.assignment / f"{submission.assignment}.ipynb", 4)
    return notes + tampering(data, released)


def _as_handed_in_or_found(sub, found, grade_as_found, submissions, course_dir):
    """(submission, None) for a notebook of the assignment it was handed in as, or of no recognisable one;
    another assignment's notebook is named and not graded, or, with `grade_as_found`, graded as what it is
    (unless the student handed in that assignment too)."""
    data = json.loads(Path(sub.path).read_bytes())
    other = notebook.recognise(data)
    if other is None or other == sub.assignment:
        return sub, None
    said = f"this is {other}'s notebook, handed in as {sub.assignment}"
    if not grade_as_found:
        return sub, (f"{said}: not graded as {sub.assignment}. Ask the student for {sub.assignment}'s notebook, or "
                     f"grade it as {other}: `python -m autograde grade {shlex.quote(str(submissions))} --course-dir "
                     f"{shlex.quote(str(course_dir))} --student {sub.student} --grade-as-found`")
    if any(s.student == sub.student and s.assignment == other for s in found):
        return sub, f"{said}, and {sub.student} handed in {other} too: not graded twice"
    return Submission(sub.student, other, sub.path, handed_in_as=sub.assignment), None


def _reapply_late(course_dir, sub, before, kept, config, rules):
    """`before` with the lateness and penalty of the current due date and rules, recomputed from the kept graded
    notebook (no kernel, no hidden test runs: the scores of the cells are as they were)."""
    from .feedback import is_late_note

    again = record(course_dir, sub, kept.read_text(), config)
    before.notes = [n for n in before.notes if not is_late_note(n)] + [n for n in again.notes if is_late_note(n)]
    before.score, before.max_score, before.late_penalty = again.score, again.max_score, again.late_penalty
    before.submitted_at, before.late_rules = again.submitted_at, rules
    return before


def _register_rejected(course_dir, outcome: Outcome):
    """A rejected submission still puts its student in the gradebook, so the export shows the 0; and it
    replaces an earlier graded one (a student who hands in again a broken file does not keep the old score)."""
    from nbgrader.api import Gradebook, MissingEntry

    db_url = course.nbgrader_config(course_dir, own_settings=False).CourseDirectory.db_url
    with Gradebook(db_url, course_id=course.COURSE_ID) as gb:
        gb.update_or_create_student(outcome.student)
        try:
            outcome.max_score = gb.find_assignment(outcome.assignment).max_score
            gb.remove_submission(outcome.assignment, outcome.student)
        except MissingEntry:  # an unknown assignment, or no earlier submission
            pass


# -- the canary, faults and the batch check -----------------------------------------------------------------
def _digest(sub, conditions):
    """A fingerprint of a submission's file, the time recorded beside it and the conditions it is graded under
    (which include the assignment's due date)."""
    import hashlib

    stamp = _stamp_file(sub)
    when = stamp.read_bytes() if stamp else b""
    return hashlib.sha256(Path(sub.path).read_bytes() + b"\0" + when + b"\0" + conditions.encode()).hexdigest()


def _due_dates(course_dir):
    """Each assignment's due date in the gradebook, as text ('' when none is set)."""
    from nbgrader.api import Gradebook

    with Gradebook(course.nbgrader_config(course_dir, own_settings=False).CourseDirectory.db_url,
                   course_id=course.COURSE_ID) as gb:
        return {a.name: str(a.duedate or "") for a in gb.assignments}


def _canaries(course_dir, assignments):
    """One Submission per assignment: the instructor's source notebook (solutions in place), as handed in."""
    return {a: Submission(CANARY, a, str(Path(course_dir) / "source" / a / f"{a}.ipynb")) for a in assignments}


CANARY_LOG = "canary.json"  # in the course folder: the conditions under which each assignment's canary passed


def canary_key(course_dir, assignment, hidden, memory_limit, timeout,
               submission_timeout=course.DEFAULT_SUBMISSION_TIMEOUT):
    """A fingerprint of everything a canary's verdict depends on: the source notebook, the course package's
    code, the Python environment and whether the sandbox would hide it, the sandbox itself and the limits.
    A canary that passed under the same fingerprint need not run again (a re-grading of resubmissions)."""
    import hashlib

    import course_lib

    from . import sandbox

    digest = hashlib.sha256()
    digest.update((Path(course_dir) / "source" / assignment / f"{assignment}.ipynb").read_bytes())
    package = Path(course_lib.__file__).resolve().parent
    digest.update(_course_code_digest(package).encode())
    seen = [str(Path(p).resolve()) for p in (sys.prefix, package)]
    shadowed = [any(s == h or s.startswith(h + "/") for h in hidden) for s in seen]
    for part in (seen, shadowed, sandbox.available(), memory_limit, timeout, submission_timeout,
                 os.environ.get("AUTOGRADE_HIDE_ALSO"), sandbox.network_isolated()):
        digest.update(repr(part).encode())
    return digest.hexdigest()


@functools.lru_cache(maxsize=None)
def _course_code_digest(package):
    """A hash of course_lib's code, read once per process (not once per assignment)."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode() + path.read_bytes())
    return digest.hexdigest()


def _passed_canaries(course_dir):
    path = Path(course_dir) / CANARY_LOG
    try:
        return json.loads(path.read_text()) if path.exists() else {}
    except ValueError:
        return {}


def _remember_canary(course_dir, assignment, key):
    passed = _passed_canaries(course_dir)
    passed[assignment] = key
    (Path(course_dir) / CANARY_LOG).write_text(json.dumps(passed, indent=1, sort_keys=True))


def _canary_problem(result, memory_limit, timeout):
    """None when the canary earned full marks; else why not, and what to change, in plain words."""
    import nbformat

    if result.get("notebook") is None:
        why = result.get("error") or "it could not be graded"
    else:
        nb = nbformat.reads(result["notebook"], as_version=4)
        failed = [r for r in exercise_results(nb) if not r.passed]
        if not failed:
            return None
        errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
                  if o.get("output_type") == "error"]
        first = f"{errors[0].get('ename')}: {errors[0].get('evalue', '')}" if errors else failed[0].message
        why = (f"{', '.join(r.exercise for r in failed)} failed; the first error: {first.strip()[:400]}")
    return f"{why}. {_what_to_change(why, memory_limit, timeout)}"


def _what_to_change(why, memory_limit, timeout):
    if any(k in why for k in ("ModuleNotFoundError", "ImportError", "NameError", "course_lib")):
        return ("The course package cannot be imported inside the sandbox: the Python environment or course_lib "
                "lies in a folder the sandbox hides or replaces (the course or submissions folder, the repository "
                "itself, /tmp: for example a .venv that is a symbolic link to an environment under /tmp), or a "
                "package it imports lies outside it (an editable install's source under /opt, /srv or /home: "
                "every folder at the top of the file system but the system's is hidden). Put the environment "
                "elsewhere, or set AUTOGRADE_SANDBOX=0 and pass --allow-network to grade unconfined.")
    if any(k in why for k in KERNEL_CANNOT_START + ("MemoryError", "memory")):
        size = f"{memory_limit / 2**30:g}G" if memory_limit else "none"
        return f"The kernel cannot start or run within the limits: raise --memory-limit (now {size})."
    if "Timeout" in why or "timeout" in why:
        return f"Raise --timeout (now {timeout} s) or --submission-timeout."
    return "Check that the source notebook runs top to bottom with its solutions, and the grading environment."


def _same_failure_everywhere(outcomes):
    """A plain-word warning when every graded submission of an assignment (two or more) fails the same cell
    with the same error that is not a check's verdict: more likely the grader's fault than every student's."""
    warnings_ = []
    by_assignment = {}
    for o in outcomes:
        if o.status == "graded":
            by_assignment.setdefault(o.assignment, []).append(o)
    for assignment, graded in by_assignment.items():
        if len(graded) < 2:
            continue
        firsts = {next(((r.grade_id, r.message) for r in o.exercises if not r.passed), None) for o in graded}
        if len(firsts) == 1 and None not in firsts:
            ((gid, message),) = firsts
            if message and not message.startswith(("AssertionError", f"{gid.removeprefix('test_')}:")) \
                    and " looks like " not in message and "not implemented" not in message:
                warnings_.append(f"warning: every submission of {assignment} fails {gid} with the same error "
                                 f"({message[:200]}): check the grading environment before trusting these grades")
    return warnings_


def _outcome(course_dir, sub, result, memory_limit, timeout, config):
    if result["notebook"] is not None:
        outcome = record(course_dir, sub, result["notebook"], config)
        outcome.notes = outcome.notes + result.get("notes", [])
        return outcome
    if result.get("unbuilt"):
        return Outcome(sub.student, sub.assignment, GRADER_FAULT, message=result["error"])
    if result.get("fault"):
        message = f"not graded, the grader failed: {result['error']}. " + _what_to_change(
            result["error"], memory_limit, timeout)
        return Outcome(sub.student, sub.assignment, GRADER_FAULT, message=message)
    return Outcome(sub.student, sub.assignment, "rejected", message=result["error"])


def _by_job(submissions, jobs):
    """The submissions in the order the jobs take them (each free job takes the next): sorted by assignment, cut
    into `jobs` runs of consecutive ones and dealt out in turn, so that each job tends to meet a run of its own
    and starts the hidden-test worker template of about 1/jobs of the assignments, not of all of them. Only the
    order changes; every grade is the same in any order (tests/test_pool.py)."""
    ordered = sorted(submissions, key=lambda s: s.assignment)
    jobs = max(1, min(jobs, len(ordered)))
    size, longer = divmod(len(ordered), jobs)  # the first `longer` runs have one more
    starts = [k * size + min(k, longer) for k in range(jobs + 1)]
    runs = [ordered[starts[k]:starts[k + 1]] for k in range(jobs)]
    return [run[i] for i in range(size + 1) for run in runs if i < len(run)]


# -- the whole step ---------------------------------------------------------------------------------------
def grade(
    submissions,
    course_dir=course.DEFAULT_COURSE_DIR,
    jobs=1,
    timeout=course.DEFAULT_CELL_TIMEOUT,
    students=None,
    progress=True,
    memory_limit=DEFAULT_MEMORY_LIMIT,
    force=False,
    submission_timeout=course.DEFAULT_SUBMISSION_TIMEOUT,
    experiments="skip",
    warm=True,
    grade_as_found=False,
    executor=None,
    allow_network=False,
):
    """Grade every submission; return one Outcome per submission, and write the grade log.

    A submission graded before from the same file, under the same conditions (`canary_key`), keeps its grade
    without running again, unless `force`.

    When the grader itself failed (a canary that did not earn full marks, a kernel that cannot start), those
    submissions get the status GRADER_FAULT and no earlier grade is replaced; `grader_fault_report` says what
    to change, and the command line exits with status 1.

    `experiments`: "skip" (only the cells a grade needs run), "shrunk" or "full" (`autograde.cells`). `warm`:
    kernels and hidden-test workers forked from warm templates (`autograde.pool`); the scores are the same.

    Where the students' code cannot be given a network namespace of its own (`sandbox.network_isolated`), it
    refuses (SystemExit, naming the risk) unless `allow_network` (or AUTOGRADE_ALLOW_NETWORK=1) says to go on.
    """
    from . import sandbox

    allow_network = allow_network or os.environ.get("AUTOGRADE_ALLOW_NETWORK") == "1"
    if not sandbox.network_isolated():
        if not allow_network:
            raise SystemExit(f"error: not graded: {sandbox.NETWORK_RISK}. Grade as root on Linux, or pass "
                             f"--allow-network to grade all the same, accepting that risk.")
        print(f"warning: {sandbox.NETWORK_RISK} (--allow-network)", file=sys.stderr)
    # Absolute: the workers run nbgrader in scratch folders of their own, whatever the current folder.
    course_dir, submissions = Path(course_dir).resolve(), Path(submissions).resolve()
    warm = warm and os.environ.get("AUTOGRADE_WARM", "1") != "0"  # AUTOGRADE_WARM=0: cold, whatever the caller says
    found, outcomes, left_out = discover(submissions, course.assignments(), students)
    ready = []
    for sub in found:
        problem = inspect_notebook(sub.path)
        if problem:
            outcomes.append(Outcome(sub.student, sub.assignment, "rejected", message=problem))
            continue
        sub, problem = _as_handed_in_or_found(sub, found, grade_as_found, submissions, course_dir)
        if problem:
            outcomes.append(Outcome(sub.student, sub.assignment, "rejected", message=problem))
        else:
            ready.append(sub)
    ensure_released(sorted({s.assignment for s in found + ready}), course_dir)
    notes = {id(sub): _tampering_notes(course_dir, sub) for sub in ready}
    (course_dir / ".scratch").mkdir(exist_ok=True)
    hidden = _hidden_from_kernels(course_dir, submissions)
    keys = {a: canary_key(course_dir, a, hidden, memory_limit, timeout, submission_timeout) + f"/{experiments}"
            for a in {s.assignment for s in ready}}
    config = course.nbgrader_config(course_dir)  # with the instructor's late-penalty settings: read them once
    from .db import prepare_gradebook  # a server gradebook: its students first, and the workers' sqlite copy

    prepare_gradebook(config.CourseDirectory.db_url, course_dir / ".scratch", {s.student for s in found},
                      course.COURSE_ID)
    due, penalty = _due_dates(course_dir), repr(config.LateSubmissionPlugin)
    # The due date and the penalty rules are not in the fingerprint: a change of them is re-applied to the kept
    # graded notebook (`_reapply_late`), without running it again.
    rules = {a: due.get(a, "") + penalty for a in {s.assignment for s in ready}}
    digests = {id(sub): _digest(sub, keys[sub.assignment]) for sub in ready}
    earlier, unchanged = read_log(course_dir), []
    for sub in list(ready):  # graded before, from the same file under the same conditions: keep that grade
        before = earlier.get(f"{sub.assignment}/{sub.student}")
        kept = course_dir / "autograded" / sub.student / sub.assignment / f"{sub.assignment}.ipynb"
        if not force and before and before.status == "graded" and before.digest == digests[id(sub)] and kept.exists():
            ready.remove(sub)
            if before.late_rules != rules[sub.assignment]:
                before = _reapply_late(course_dir, sub, before, kept, config, rules[sub.assignment])
            outcomes.append(before)
            unchanged.append(before)
    # Where each assignment's worker package is; the grading jobs build what is missing (`grading_env`)
    envs = {a: str(grading_env_folder(course_dir, a)) for a in sorted({s.assignment for s in ready})}
    passed_before = _passed_canaries(course_dir)
    canaries = _canaries(course_dir, sorted({sub.assignment for sub in ready if passed_before.get(sub.assignment)
                                             != keys[sub.assignment]}))
    failed_canaries = {}
    bar = _progress(len(ready), progress)
    pending, retried, phase = list(canaries.values()), set(), "canary"
    if not pending:  # every canary passed before under the same conditions: straight to the submissions
        pending, phase = list(ready), "submissions"
    ready = _by_job(ready, jobs)  # a job's worker templates serve one assignment after another
    pending = _by_job(pending, jobs)
    while pending:
        with (executor or ProcessPoolExecutor)(  # executor: a Dask cluster's (autograde.cluster), same interface
            max_workers=max(1, jobs),
            mp_context=get_context("spawn"),
            initializer=_start_worker,
            initargs=(str(course_dir), hidden, memory_limit, envs, warm, experiments, allow_network),
        ) as pool:
            broken = False
            while pending and not broken:
                futures = [(sub, pool.submit(execute, sub, timeout, submission_timeout)) for sub in pending]
                pending = []
                for sub, future in futures:
                    try:
                        result = future.result()
                    except BrokenProcessPool:
                        broken = True
                        if id(sub) not in retried:  # a worker died under another submission: grade it again
                            retried.add(id(sub))
                            pending.append(sub)
                            continue
                        result = {"notebook": None, "error": "the grader's worker process died while grading it",
                                  "fault": True}
                    except Exception as error:  # noqa: BLE001 - one broken submission never stops the others
                        result = {"notebook": None, "fault": True,
                                  "error": f"the grader failed on it: {type(error).__name__}: {error}"}
                    if sub.student == CANARY and phase == "canary":
                        problem = _canary_problem(result, memory_limit, timeout)
                        if result.get("unbuilt"):  # the grader's own package, not the instructor's notebook
                            failed_canaries[sub.assignment] = result["error"]
                        elif problem:
                            failed_canaries[sub.assignment] = (
                                f"not graded: the instructor's own notebook {sub.assignment} (solutions in place) "
                                f"does not earn full marks under the grader's sandbox and limits: {problem}")
                        else:
                            _remember_canary(course_dir, sub.assignment, keys[sub.assignment])
                        continue
                    outcomes.append(_outcome(course_dir, sub, result, memory_limit, timeout, config))
                    outcomes[-1].notes = notes[id(sub)] + outcomes[-1].notes
                    outcomes[-1].digest = digests[id(sub)] if outcomes[-1].status == "graded" else ""
                    outcomes[-1].late_rules = rules[sub.assignment]
                    outcomes[-1].experiments = experiments if outcomes[-1].status == "graded" else ""
                    _log_timing(sub, result)
                    bar.update(1)
                if phase == "canary" and not pending:  # the canaries are done: now the submissions
                    phase = "submissions"
                    for sub in ready:
                        if sub.assignment in failed_canaries:
                            outcomes.append(Outcome(sub.student, sub.assignment, GRADER_FAULT,
                                                    message=failed_canaries[sub.assignment]))
                        else:
                            pending.append(sub)
    bar.close()
    shutil.rmtree(course_dir / ".scratch", ignore_errors=True)
    for outcome in outcomes:
        if outcome.status == "rejected":
            _register_rejected(course_dir, outcome)
    outcomes.sort(key=lambda o: (o.assignment, o.student))
    write_log(course_dir, outcomes)
    for line in _same_failure_everywhere(outcomes):
        print(line, file=sys.stderr)
    graded = Graded(outcomes)
    graded.left_out, graded.unchanged = left_out, unchanged
    return graded


def grader_fault_report(outcomes):
    """None when the grader did its job, else what failed on its side and what to change, in plain words."""
    faults = [o for o in outcomes if o.status == GRADER_FAULT]
    if not faults:
        return None
    reasons = sorted({o.message for o in faults})
    return (f"error: {len(faults)} submission(s) not graded because the grader failed (earlier grades kept):\n  "
            + "\n  ".join(reasons))


def _progress(total, enabled):
    from tqdm import tqdm

    return tqdm(total=total, desc="grading", unit="submission", disable=not enabled or total == 0, file=sys.stderr)
