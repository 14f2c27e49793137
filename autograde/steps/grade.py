"""Grade: autograde every submission of a folder laid out `<student_id>/<assignment>/<notebook>.ipynb`.

The pipeline, one named step each:
1. `discover`  finds the submissions and rejects, in plain words, what is not laid out as expected;
2. `inspect_notebook` rejects a file that is not a readable notebook (it never reaches a kernel);
3. `execute`   runs nbgrader's autograde on a copy, in a worker process (`autograde.engine.worker`, on the
               backend `grade` is given) with its own scratch course folder and gradebook, handed everything
               it reads, so sqlite is never written by two processes at once; the kernel runs each
               graded cell's visible part only, and the hidden verdicts are decided in this (grader) process,
               the student's code running in a sandboxed worker that hands back plain data (`verdict`);
4. `record`    saves the executed notebook's scores into the main gradebook, in the main process only.
Before any submission of an assignment is touched, its `canary` (the instructor's source notebook, solutions
in place) is graded the same way; if it does not earn full marks, nothing of that assignment is graded and
the command says why and what to change. Faults of the grader (`GRADER_FAULT`) never replace a grade.
Handed-in files are only ever read: each is copied before anything touches it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import shutil
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from jupyter_core.paths import jupyter_runtime_dir
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import AssignLatePenalties, SaveAutoGrades
from nbgrader.utils import parse_utc
from tqdm import tqdm

import course_lib
from autograde.backends import JobDied, open_backend
from autograde.engine import notebook, sandbox, worker
from autograde.engine.log import GRADER_FAULT, Outcome, Submission, read_log, write_log
from autograde.engine.results import exercise_results, tampering
from autograde.gradebook import course
from autograde.gradebook.db import prepare_gradebook, worker_template
from autograde.steps.collect import TIMESTAMP_FILE, suggested_id, valid_student_id
from autograde.steps.feedback import is_late_note
from autograde.steps.release import ensure_released
from course_lib.i18n import notebook_language

DEFAULT_MEMORY_LIMIT = 4 * 2**30  # bytes of address space per student kernel
CANARY = "_canary"  # the student id the instructor's own notebook is graded under (scratch gradebook only)
KERNEL_CANNOT_START = worker.KERNEL_CANNOT_START


# -- 1. discover -------------------------------------------------------------------------------------------
class Graded(list):
    """The outcomes of a `grade` run (a list), what it left out of the folder with the reason, and the
    outcomes it kept because their submissions had not changed since they were graded."""

    left_out: list
    unchanged: list


def discover(folder, known_assignments, students=None):
    """The submissions under `folder`, Outcomes for what cannot be graded as laid out, and every other file or
    folder found there with the reason it was left out (nothing is skipped silently)."""
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
        _discover_flat(entry, known_assignments, folders, found, left_out)
        for assignment_dir in sorted(p for p in entry.iterdir() if p.is_dir() and not p.name.startswith(".")):
            _discover_assignment(assignment_dir, known_assignments, found, rejected, left_out)
    return found, rejected, left_out


def _discover_flat(entry, known_assignments, folders, found, left_out):
    """The notebooks straight in a student's folder (`<student>/<notebook>.ipynb`): each is its assignment's (by the
    assignment its metadata names, or by its name) unless that assignment has a folder or a notebook already."""
    student = entry.name
    for item in sorted(p for p in entry.iterdir() if not p.name.startswith(".")):
        if item.is_dir():
            continue
        stem_or_stamp = None
        if item.suffix == ".ipynb":
            try:
                stamped = nbformat.read(str(item), as_version=4).metadata.get("autograde", {}).get("assignment")
            except Exception:  # noqa: BLE001 - an unreadable file is rejected later, by inspect_notebook
                stamped = None
            stem_or_stamp = stamped if stamped in known_assignments else (
                item.stem if item.stem in known_assignments else None)
        if stem_or_stamp and stem_or_stamp not in folders:  # a flat folder: <student>/<notebook>.ipynb
            found.append(Submission(student, stem_or_stamp, str(item)))
            folders.add(stem_or_stamp)
        else:
            why = "a second notebook for the same assignment" if stem_or_stamp else "belongs to no assignment"
            left_out.append(f"{student}/{item.name}: {why}; not graded")


def _discover_assignment(assignment_dir, known_assignments, found, rejected, left_out):
    """A `<student>/<assignment>/` folder: its notebook (the one named after the assignment, or the only one)."""
    student, assignment = assignment_dir.parent.name, assignment_dir.name
    if assignment not in known_assignments:
        rejected.append(Outcome(student, assignment, "rejected", message=f"no assignment named {assignment!r}"))
        return
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
        what = "no .ipynb file" if not notebooks else f"{len(notebooks)} notebooks and none named {assignment}.ipynb"
        rejected.append(Outcome(student, assignment, "rejected", message=f"{what} in {assignment_dir}"))


def _not_an_id_remedy(entry, known_assignments, lay_out):
    """What to do with a folder whose name is no student id, as a command that works when followed literally:
    one student's work under their name is renamed to an id (then graded as laid out); anything else is
    laid out by `collect`."""
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


# -- 3. execute (in a worker process: `autograde.engine.worker`, on the backend `grade` is given) ------------
GRADING_ENVS = worker.GRADING_ENVS


def _log_timing(sub, result):
    """With AUTOGRADE_TIMINGS=FILE (benchmarks/bench_grading.py), one JSON line per submission: where its
    seconds went (`cells.timing`)."""
    path = os.environ.get("AUTOGRADE_TIMINGS")
    if path and result.get("timing"):
        with open(path, "a") as f:
            f.write(json.dumps({"student": sub.student, "assignment": sub.assignment, **result["timing"]}) + "\n")


def _hidden_from_kernels(course_dir, submissions):
    """What no student kernel may see: the course folder (gradebook, sources, other students' work), the
    submissions, the repository's source notebooks, Jupyter's runtime folder (other kernels' keys) and the
    grader's home folder (~/.pgpass, cloud credentials, ssh keys; the Python environment is shown again where it
    lies there: `sandbox.install_kernelspec`)."""
    home = Path.home().resolve()
    homes = [home] if home.is_dir() and home != Path("/") else []
    return [str(Path(p).resolve()) for p in (course_dir, submissions, course.REPO, jupyter_runtime_dir(), *homes)]


# -- 4. record (in the main process) ----------------------------------------------------------------------
def record(course_dir, submission: Submission, notebook_text: str, config=None) -> Outcome:
    """Save the scores of an executed notebook into the main gradebook and keep the notebook for feedback.
    `config`: the course's nbgrader configuration (`course.nbgrader_config`), read once by the caller."""
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
    stamp = Path(submission.path).parent / TIMESTAMP_FILE
    return stamp if stamp.parent.name == submission.assignment and stamp.is_file() else None


def submission_time(submission: Submission):
    """The submission time recorded beside the notebook (`_stamp_file`), in UTC; None when there is none;
    ValueError saying why when it cannot be read."""
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
    again = record(course_dir, sub, kept.read_text(), config)
    before.notes = [n for n in before.notes if not is_late_note(n)] + [n for n in again.notes if is_late_note(n)]
    before.score, before.max_score, before.late_penalty = again.score, again.max_score, again.late_penalty
    before.submitted_at, before.late_rules = again.submitted_at, rules
    return before


def _register_rejected(course_dir, outcome: Outcome):
    """A rejected submission still puts its student in the gradebook, so the export shows the 0; and it
    replaces an earlier graded one (a student who hands in again a broken file does not keep the old score)."""
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
    stamp = _stamp_file(sub)
    when = stamp.read_bytes() if stamp else b""
    return hashlib.sha256(Path(sub.path).read_bytes() + b"\0" + when + b"\0" + conditions.encode()).hexdigest()


def _due_dates(course_dir):
    """Each assignment's due date in the gradebook, as text ('' when none is set)."""
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
    digest = hashlib.sha256()
    digest.update((Path(course_dir) / "source" / assignment / f"{assignment}.ipynb").read_bytes())
    package = Path(course_lib.__file__).resolve().parent
    digest.update(worker.code_digest().encode())
    seen = [str(Path(p).resolve()) for p in (sys.prefix, package)]
    shadowed = [any(s == h or s.startswith(h + "/") for h in hidden) for s in seen]
    for part in (seen, shadowed, sandbox.available(), memory_limit, timeout, submission_timeout,
                 os.environ.get("AUTOGRADE_HIDE_ALSO"), sandbox.network_isolated()):
        digest.update(repr(part).encode())
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


def _by_job(submissions, jobs, assignment=lambda s: s.assignment):
    """The submissions in the order the jobs take them (each free job takes the next): sorted by assignment, cut
    into `jobs` runs of consecutive ones and dealt out in turn, so that each job tends to meet a run of its own
    and starts the hidden-test worker template of about 1/jobs of the assignments, not of all of them. Only the
    order changes; every grade is the same in any order (tests/test_pool.py)."""
    ordered = sorted(submissions, key=assignment)
    jobs = max(1, min(jobs, len(ordered)))
    size, longer = divmod(len(ordered), jobs)  # the first `longer` runs have one more
    starts = [k * size + min(k, longer) for k in range(jobs + 1)]
    runs = [ordered[starts[k]:starts[k + 1]] for k in range(jobs)]
    return [run[i] for i in range(size + 1) for run in runs if i < len(run)]


# -- the whole step, in named stages ----------------------------------------------------------------------
@dataclass(eq=False)
class Entry:
    """One submission (or an assignment's canary) on its way through `grade`: what the coordinator knows of it."""

    sub: Submission
    notes: list = field(default_factory=list)  # tampering notes, found before it runs (`_tampering_notes`)
    digest: str = ""  # its fingerprint under this grading's conditions: an unchanged one keeps its grade
    rules: str = ""  # its assignment's due date and late-penalty rules when it was graded
    retried: bool = False  # its worker died under it once already


@dataclass
class Plan:
    """What one grading run decided before any submission runs: where, under which limits and conditions."""

    course_dir: Path
    submissions: Path
    jobs: int
    timeout: int
    submission_timeout: int
    memory_limit: int
    experiments: str
    warm: bool
    allow_network: bool
    config: object = None  # the course's nbgrader configuration, read once (`course.nbgrader_config`)
    hidden: list = field(default_factory=list)  # what no student kernel may see (`_hidden_from_kernels`)
    keys: dict = field(default_factory=dict)  # assignment -> the conditions its canary passes under (`canary_key`)
    outcomes: list = field(default_factory=list)


def grade(submissions, course_dir=course.DEFAULT_COURSE_DIR, jobs=1, timeout=course.DEFAULT_CELL_TIMEOUT,
          students=None, progress=True, memory_limit=DEFAULT_MEMORY_LIMIT, force=False,
          submission_timeout=course.DEFAULT_SUBMISSION_TIMEOUT, experiments="skip", warm=True, grade_as_found=False,
          backend=None, allow_network=False):
    """Grade every submission; return one Outcome per submission, and write the grade log.

    A submission graded before from the same file, under the same conditions (`canary_key`), keeps its grade
    without running again, unless `force`.

    When the grader itself failed (a canary that did not earn full marks, a kernel that cannot start), those
    submissions get the status GRADER_FAULT and no earlier grade is replaced; `grader_fault_report` says what
    to change, and the command line exits with status 1.

    `experiments`: "skip" (only the cells a grade needs run), "shrunk" or "full" (`autograde.engine.cells`). `warm`:
    kernels and hidden-test workers forked from warm templates (`autograde.engine.pool`); the scores are the same.
    `backend`: where the submissions run (`autograde.backends.open_backend`; a local pool of `jobs` processes when
    None). The stages: `_admit`, `_plan`, `_keep_unchanged`, `_run_canaries`, `_run_submissions`, `_finish`.

    Where the students' code cannot be given a network namespace of its own (`sandbox.network_isolated`), it
    refuses (SystemExit, naming the risk) unless `allow_network` (or AUTOGRADE_ALLOW_NETWORK=1) says to go on.
    """
    allow_network = _network_allowed(allow_network)
    # Absolute: the workers run nbgrader in scratch folders of their own, whatever the current folder.
    plan = Plan(Path(course_dir).resolve(), Path(submissions).resolve(), jobs, timeout, submission_timeout,
                memory_limit, experiments, warm and os.environ.get("AUTOGRADE_WARM", "1") != "0", allow_network)
    found, ready, left_out = _admit(plan, students, grade_as_found)
    entries = _plan(plan, found, ready)
    entries, unchanged = _keep_unchanged(plan, entries, force)
    if entries:  # (else nothing runs: no backend is opened, no worker started)
        own = backend is None
        backend = open_backend("local", jobs) if own else backend
        try:
            with backend.workers(worker.start, worker.run, _setup(plan, entries), plan.course_dir) as workers:
                failed = _run_canaries(plan, workers, entries)
                _run_submissions(plan, workers, entries, failed, progress)
        finally:
            if own:
                backend.close()
    return _finish(plan, left_out, unchanged)


def _network_allowed(allow_network):
    """Whether to grade where the students' code would reach the network: refuse, naming the risk, unless allowed."""
    allow_network = allow_network or os.environ.get("AUTOGRADE_ALLOW_NETWORK") == "1"
    if not sandbox.network_isolated():
        if not allow_network:
            raise SystemExit(f"error: not graded: {sandbox.NETWORK_RISK}. Grade as root on Linux, or pass "
                             f"--allow-network to grade all the same, accepting that risk.")
        print(f"warning: {sandbox.NETWORK_RISK} (--allow-network)", file=sys.stderr)
    return allow_network


def _admit(plan, students, grade_as_found):
    """Stage 1: the submissions found (`discover`), and those ready to grade: a readable notebook of the assignment
    it was handed in as (or, `grade_as_found`, of the one it is). What is not is a rejected Outcome."""
    found, plan.outcomes, left_out = discover(plan.submissions, course.assignments(), students)
    ready = []
    for sub in found:
        problem = inspect_notebook(sub.path)
        if not problem:
            sub, problem = _as_handed_in_or_found(sub, found, grade_as_found, plan.submissions, plan.course_dir)
        if problem:
            plan.outcomes.append(Outcome(sub.student, sub.assignment, "rejected", message=problem))
        else:
            ready.append(sub)
    ensure_released(sorted({s.assignment for s in found + ready}), plan.course_dir)
    return found, ready, left_out


def _plan(plan, found, ready):
    """Stage 2: the conditions of this grading (what kernels may not see, each assignment's canary key, the
    course's configuration, due dates and rules) and one Entry per ready submission; the gradebook prepared."""
    course_dir = plan.course_dir
    (course_dir / ".scratch").mkdir(exist_ok=True)
    plan.hidden = _hidden_from_kernels(course_dir, plan.submissions)
    plan.keys = {a: canary_key(course_dir, a, plan.hidden, plan.memory_limit, plan.timeout, plan.submission_timeout)
                 + f"/{plan.experiments}" for a in {s.assignment for s in ready}}
    plan.config = course.nbgrader_config(course_dir)  # with the instructor's late-penalty settings: read them once
    # a server gradebook: its students first
    prepare_gradebook(plan.config.CourseDirectory.db_url, course_dir / ".scratch", {s.student for s in found},
                      course.COURSE_ID)
    due, penalty = _due_dates(course_dir), repr(plan.config.LateSubmissionPlugin)
    # The due date and the penalty rules are not in the fingerprint: a change of them is re-applied to the kept
    # graded notebook (`_reapply_late`), without running it again.
    return [Entry(sub, _tampering_notes(course_dir, sub), _digest(sub, plan.keys[sub.assignment]),
                  due.get(sub.assignment, "") + penalty) for sub in ready]


def _keep_unchanged(plan, entries, force):
    """Stage 3: the entries graded before from the same file under the same conditions keep that grade (its
    lateness re-applied if the rules changed); (the entries still to grade, the outcomes kept)."""
    earlier, unchanged, to_grade = read_log(plan.course_dir), [], []
    for entry in entries:
        sub = entry.sub
        before = earlier.get(f"{sub.assignment}/{sub.student}")
        kept = plan.course_dir / "autograded" / sub.student / sub.assignment / f"{sub.assignment}.ipynb"
        if force or not (before and before.status == "graded" and before.digest == entry.digest and kept.exists()):
            to_grade.append(entry)
            continue
        if before.late_rules != entry.rules:
            before = _reapply_late(plan.course_dir, sub, before, kept, plan.config, entry.rules)
        plan.outcomes.append(before)
        unchanged.append(before)
    return to_grade, unchanged


def _setup(plan, entries):
    """What every worker is handed once (`worker.Setup`): the graded assignments' notebooks, the gradebook's
    structure (no student's data) and the limits."""
    gradebook = worker_template(plan.config.CourseDirectory.db_url, plan.course_dir / ".scratch" / "gradebook.db",
                                course.COURSE_ID)
    return worker.pack(plan.course_dir, sorted({e.sub.assignment for e in entries}), gradebook, worker.code_digest(),
                       hide=plan.hidden, memory_limit=plan.memory_limit, warm=plan.warm,
                       experiments=plan.experiments, allow_network=plan.allow_network)


def _run_all(plan, workers, entries):
    """(entry, result) for every entry, each as it comes back: all are submitted at once, in the order the jobs
    take them (`_by_job`). A task whose worker died is run once more on fresh workers, then is a grader fault;
    an error of the grader's own on one submission never stops the others."""
    pending = _by_job(entries, plan.jobs, lambda e: e.sub.assignment)
    while pending:
        futures = [(e, workers.submit(worker.Task(e.sub.student, e.sub.assignment, Path(e.sub.path).read_bytes(),
                                                  plan.timeout, plan.submission_timeout))) for e in pending]
        pending = []
        for entry, future in futures:
            try:
                result = future.result()
            except JobDied as error:
                if not entry.retried:  # a worker died under another submission: grade it again
                    entry.retried = True
                    pending.append(entry)
                    continue
                result = {"notebook": None, "error": str(error), "fault": True}
            except Exception as error:  # noqa: BLE001 - one broken submission never stops the others
                result = {"notebook": None, "fault": True,
                          "error": f"the grader failed on it: {type(error).__name__}: {error}"}
            yield entry, result
        if pending:
            workers.restart()


def _run_canaries(plan, workers, entries):
    """Stage 4: each assignment's canary, unless it passed before under the same conditions; {assignment: why it
    failed} for those that did not earn full marks (none of their submissions is graded)."""
    passed_before = _passed_canaries(plan.course_dir)
    due = sorted({a for a in (e.sub.assignment for e in entries) if passed_before.get(a) != plan.keys[a]})
    canaries = _canaries(plan.course_dir, due)
    failed = {}
    for entry, result in _run_all(plan, workers, [Entry(c) for c in canaries.values()]):
        assignment = entry.sub.assignment
        problem = _canary_problem(result, plan.memory_limit, plan.timeout)
        if result.get("unbuilt"):  # the grader's own package, not the instructor's notebook
            failed[assignment] = result["error"]
        elif problem:
            failed[assignment] = (
                f"not graded: the instructor's own notebook {assignment} (solutions in place) "
                f"does not earn full marks under the grader's sandbox and limits: {problem}")
        else:
            _remember_canary(plan.course_dir, assignment, plan.keys[assignment])
    return failed


def _run_submissions(plan, workers, entries, failed, progress):
    """Stage 5: every entry of an assignment whose canary passed, recorded in the gradebook as it comes back."""
    for entry in entries:
        if entry.sub.assignment in failed:
            plan.outcomes.append(Outcome(entry.sub.student, entry.sub.assignment, GRADER_FAULT,
                                         message=failed[entry.sub.assignment]))
    to_run = [e for e in entries if e.sub.assignment not in failed]
    bar = _progress(len(to_run), progress)
    for entry, result in _run_all(plan, workers, to_run):
        outcome = _outcome(plan.course_dir, entry.sub, result, plan.memory_limit, plan.timeout, plan.config)
        graded = outcome.status == "graded"
        outcome.notes = entry.notes + outcome.notes
        outcome.digest, outcome.late_rules = (entry.digest if graded else ""), entry.rules
        outcome.experiments = plan.experiments if graded else ""
        plan.outcomes.append(outcome)
        _log_timing(entry.sub, result)
        bar.update(1)
    bar.close()


def _finish(plan, left_out, unchanged):
    """Stage 6: the scratch folder gone, rejected submissions in the gradebook, the grade log written, a warning
    when every submission fails alike; the outcomes, sorted."""
    shutil.rmtree(plan.course_dir / ".scratch", ignore_errors=True)
    outcomes = plan.outcomes
    for outcome in outcomes:
        if outcome.status == "rejected":
            _register_rejected(plan.course_dir, outcome)
    outcomes.sort(key=lambda o: (o.assignment, o.student))
    write_log(plan.course_dir, outcomes)
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
    return tqdm(total=total, desc="grading", unit="submission", disable=not enabled or total == 0, file=sys.stderr)
