"""A grading worker: a process that grades one submission after another from what it is handed, nothing else.

The unit of work is self-contained, so a worker needs no shared file system (`autograde.backends`):
- a `Setup`, once per grading run: the assignments' source and released notebooks and the gradebook's structure
  (no student's data), as bytes; the digest of the course code the coordinator runs; the limits; the folders the
  student's code must not see;
- a `Task` per submission: its notebook's bytes, whose it is and of which assignment, the time limits.
What comes back is plain data: the executed notebook's text with the hidden verdicts written in, or an error and
whether it is the grader's (`fault`); the notes; the timing.

A worker writes only under its own folder (`place`: the course folder for the local backend, a folder of the
worker's own elsewhere): a scratch course folder made from the setup (`.scratch/`), and its cache of the packages
the hidden-test workers run on (`grading_env`), built from the course code installed on the worker and kept by
that code's digest. A worker whose course code is not the coordinator's refuses, as a grader fault.
"""

from __future__ import annotations

import atexit
import fcntl
import functools
import hashlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

import course_lib
from autograde.engine import pool, results, sandbox
from autograde.gradebook import course
from course_lib.i18n import notebook_language, speaking

KERNEL_CANNOT_START = ("kernel_info", "Kernel didn't respond", "Kernel died before", "Failed to start")
GRADING_ENVS = ".grading-env"  # the cache's name in a worker's place (the course folder, for the local backend)


@dataclass
class Setup:
    """What every task of one grading run shares; made by the coordinator (`pack`), travels once per worker."""

    files: dict  # path in the scratch course folder -> bytes: source/<a>/..., release/<a>/..., gradebook.db
    code: str  # the digest of the coordinator's course code: the worker's must be the same
    hide: list  # folders no student kernel may see (the coordinator's; the worker hides its own place too)
    memory_limit: int
    warm: bool = True
    experiments: str = "skip"
    allow_network: bool = False
    key: str = field(default="", compare=False)  # a digest of all the above: a worker sets up once per key

    def __post_init__(self):
        if not self.key:
            digest = hashlib.sha256()
            for name in sorted(self.files):
                digest.update(name.encode() + b"\0" + hashlib.sha256(self.files[name]).digest())
            digest.update(repr((self.code, self.hide, self.memory_limit, self.warm, self.experiments,
                                self.allow_network)).encode())
            self.key = digest.hexdigest()


@dataclass
class Task:
    """One submission to grade: everything the worker reads of it."""

    student: str
    assignment: str
    notebook: bytes
    timeout: int
    submission_timeout: int = course.DEFAULT_SUBMISSION_TIMEOUT


def pack(course_dir, assignments, gradebook, code, **limits):
    """The Setup for grading `assignments` of `course_dir`: their folders under source/ and release/, and the
    gradebook file `gradebook` (the assignments' structure only, `db.worker_template`)."""
    course_dir, files = Path(course_dir), {"gradebook.db": Path(gradebook).read_bytes()}
    for part in ("source", "release"):
        for assignment in assignments:
            for path in sorted((course_dir / part / assignment).rglob("*")):
                if path.is_file() and ".ipynb_checkpoints" not in path.parts:
                    files[str(path.relative_to(course_dir))] = path.read_bytes()
    return Setup(files=files, code=code, **limits)


@functools.lru_cache(maxsize=None)
def code_digest(package=None):
    """A hash of course_lib's code (this process's), read once per process."""
    package = Path(package or Path(course_lib.__file__).resolve().parent)
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode() + path.read_bytes())
    return digest.hexdigest()


def grading_env_folder(cache, assignment):
    """Where `grading_env` keeps the package of `assignment` for this version of the course's code."""
    return Path(cache).resolve() / code_digest()[:16] / assignment


def grading_env(cache, assignment):
    """The course package the hidden-test worker of `assignment` runs a submission on, built once per version
    of the course's code (`autograde.engine.student_env`, for the grader): checks replayed from recordings, the
    handouts of earlier notebooks only, no `course_lib.solutions`. So the student's code in the worker finds
    no reference of the notebook's exercises to call, whatever it does to the tripwire.

    Built by the grading jobs, which import torch and the checks anyway for the verdicts, not by the command's
    main process, which never imports them; a lock keeps two jobs from building it twice."""
    # Here, not at the top: the builder imports torch (about 1.3 s, `python -X importtime`), which the coordinator
    # importing this module never needs; only a worker that builds a package does.
    from autograde.engine.student_env import build_student_env

    folder = grading_env_folder(cache, assignment)
    if (folder / "course_lib").is_dir():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.parent / f".{assignment}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another job of this grading (or another grader) may be building it
        if (folder / "course_lib").is_dir():
            return folder
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


class Worker:
    """One grading process's state: its scratch course folder, its grading kernelspec, its warm templates and the
    packages its hidden-test workers run on."""

    def __init__(self, setup: Setup, place):
        if not setup.allow_network and not sandbox.network_isolated():
            raise RuntimeError(f"this worker machine refuses to grade: {sandbox.NETWORK_RISK}")
        self.setup, place = setup, Path(place).resolve()
        (place / ".scratch").mkdir(parents=True, exist_ok=True)
        self.cache = place / GRADING_ENVS  # kept from one grading to the next
        self.envs, self.unbuilt = {}, {}  # assignment -> its package; -> why it could not be built
        self.scratch = Path(tempfile.mkdtemp(prefix="worker-", dir=place / ".scratch"))
        atexit.register(shutil.rmtree, self.scratch, True)
        for name, data in setup.files.items():
            (self.scratch / name).parent.mkdir(parents=True, exist_ok=True)
            (self.scratch / name).write_bytes(data)
        sandbox.install_kernelspec(self.scratch / "jupyter", hide=[*setup.hide, str(place)],
                                   memory_limit=setup.memory_limit)
        self.spec = json.loads((self.scratch / "jupyter" / "kernels" / course.GRADING_KERNEL / "kernel.json")
                               .read_text())
        if setup.warm:
            self._start_pool()

    def _start_pool(self):
        """Warm templates (`autograde.engine.pool`): the kernels' one starts importing at once."""
        env = {**os.environ, **self.spec["env"], "MPLCONFIGDIR": self.spec["env"]["AUTOGRADE_MPLCACHE"],
               "MPLBACKEND": "module://matplotlib_inline.backend_inline",  # what ipykernel sets in every kernel
               "AUTOGRADE_PRELOAD": json.dumps(pool.preload_modules(sorted(self.scratch.glob("source/*/*.ipynb"))))}
        if self.setup.experiments != "full":  # the course's code reads it when imported: the template's imports too
            env["NBGRADER_EXECUTION"] = "autograde"
        pool.start(str(self.scratch), env)
        atexit.register(pool.stop)
        first = min((p.parent.name for p in self.scratch.glob("source/*/*.ipynb")), default=None)
        if first:  # while the kernels' template imports: the first assignment's package, then its workers' template
            self._build(first)
            if first not in self.unbuilt:
                pool.worker_template(self._spawn_worker(first)[1])

    def _build(self, assignment):
        """`grading_env` for `assignment`: a failure is kept, in plain words, for each of its submissions."""
        if assignment in self.envs or assignment in self.unbuilt:
            return
        if self.setup.code != code_digest():
            self.unbuilt[assignment] = (
                "not graded: this worker's course code is not the coordinator's (another version of course_lib is "
                "installed on it); install the same version on every worker machine")
            return
        try:
            self.envs[assignment] = grading_env(self.cache, assignment)
        except Exception as error:  # noqa: BLE001 - the grader's fault: said in plain words, nothing is graded
            self.unbuilt[assignment] = (
                f"not graded: the grader could not build the package its worker runs {assignment} on "
                f"({type(error).__name__}: {str(error)[:400]}). Check that the course code is complete, "
                f"and that the course folder is writable.")

    def _spawn_worker(self, assignment):
        """(argv, environment, working folder) of a hidden-tests worker, confined exactly as the grading kernels:
        the argv and environment come from the grading kernelspec; the folder is new and empty. It runs on the
        assignment's `grading_env`, which it sees read-only, and not on the full course package, which it does
        not see at all."""
        env = {**os.environ, **self.spec["env"], "NBGRADER_EXECUTION": "autograde", "MPLBACKEND": "Agg"}
        package, runs_on = os.path.dirname(os.path.abspath(course_lib.__file__)), str(self.envs[assignment])
        env["AUTOGRADE_SHOW"] = json.dumps([p for p in json.loads(env["AUTOGRADE_SHOW"]) if p != package] + [runs_on])
        env["AUTOGRADE_HIDE_ALSO"] = json.dumps(json.loads(env.get("AUTOGRADE_HIDE_ALSO") or "[]") + [package])
        env["AUTOGRADE_WORKER_PATH"] = runs_on
        return sandbox.worker_argv(self.spec["argv"]), env, tempfile.mkdtemp(prefix="verdict-", dir=self.scratch)

    def run(self, task: Task):
        """Autograde one submission in the scratch course folder (see the module docstring for what comes back)."""
        # Here, not at the top: the verdicts import torch and the checks, the cells nbgrader's preprocessors (about
        # 5 s together, `python -X importtime`); the coordinator imports this module for its records and the names
        # of `start` and `run`, and never needs them.
        from autograde.engine import cells, verdict

        started = time.perf_counter()
        pool.FORKED.clear()
        self._build(task.assignment)
        if task.assignment in self.unbuilt:
            return {"notebook": None, "error": self.unbuilt[task.assignment], "fault": True, "unbuilt": True}
        api = course.api(self.scratch, task.timeout, task.submission_timeout)
        # Only the cells a grade needs, on a warm kernel when this worker has templates (`autograde.engine.cells`)
        api.config.Autograde.autograde_preprocessors = [
            "autograde.engine.cells.GradedCells" if p == "autograde.engine.preprocessors.SurviveDeadKernel" else p
            for p in api.config.Autograde.autograde_preprocessors]
        api.config.GradedCells.experiments = self.setup.experiments
        name = f"{task.assignment}.ipynb"
        staged = self.scratch / "submitted" / task.student / task.assignment
        shutil.rmtree(staged, ignore_errors=True)
        staged.mkdir(parents=True)
        (staged / name).write_bytes(task.notebook)
        released = nbformat.read(self.scratch / "release" / task.assignment / name, as_version=4)
        source = nbformat.read(self.scratch / "source" / task.assignment / name, as_version=4)
        session = verdict.open_session(released, json.loads(task.notebook),
                                       functools.partial(self._spawn_worker, task.assignment), task.timeout)
        try:
            result = api.autograde(task.assignment, task.student, force=True, create=True)
            executed = self.scratch / "autograded" / task.student / task.assignment / name
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
            # which exercise builds on which (`results.builds_on`, read from the checks this job has loaded): the
            # coordinator reads it from here and never imports the checks (torch, about 4.7 s and 200 MB) for it
            nb.metadata["autograde"]["builds_on"] = {k: list(v) for k, v in results.builds_on().items()}
        finally:
            session.close()
        return {"notebook": nbformat.writes(nb), "error": None, "notes": notes,
                "timing": cells.timing(time.perf_counter() - started, judged)}


def _last_error(result):
    text = (result.get("error") or "") + "\n" + (result.get("log") or "")
    lines = [line for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if "[Error]" in line or "Error" in line.split(":")[0]]
    return (errors or lines or ["nbgrader failed without a message"])[-1].strip()[:500]


# -- one Worker per process: what a process pool's initializer sets up and its tasks use ----------------------------
_this_process: Worker | None = None


def start(setup: Setup, place):
    """Set this process up as a grading worker (a process pool's initializer), unless it already is, for `setup`."""
    global _this_process
    if _this_process is None or _this_process.setup.key != setup.key:
        if _this_process is not None:  # a new grading on a long-lived worker (Dask): the last one's templates and
            pool.stop()                # scratch folder go first
            shutil.rmtree(_this_process.scratch, ignore_errors=True)
        _this_process = Worker(setup, place)
    return _this_process


def run(task: Task):
    """Grade `task` in this process's worker (`start` first)."""
    return _this_process.run(task)
