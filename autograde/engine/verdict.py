"""Hidden verdicts, decided in the grader's own process.

Nothing computed in a process that ran the student's cells is believed: those cells can rebind every name,
module, import hook, builtin and profiler there. So after nbgrader has run the notebook (whose graded cells
keep only their visible part: the public check and one visible assert), the grader

1. starts a fresh worker, `python -m course_lib.checks._trusted`, inside the same sandbox as the kernels
   (same confinement, memory cap, an empty working folder of its own), and has it execute the released
   set-up cell, the handed-out cells and the submission's solution cells, in order (no other cell);
2. runs each exercise's check here, `EXERCISES[name].check(student, seed, strict=True)`, where `student` is a
   `RemoteImplementation`: every run of the student's code a check makes goes to the worker as a request
   (the case, pickled one way, grader -> worker; never the seed) and comes back as plain data (see
   `course_lib/checks/_trusted.py`); the reference outputs, the comparisons and the named mistakes are all
   computed here, by the same framework and catalog as the public checks;
3. sets each graded cell's score from both: a cell whose visible part failed scores 0; a cell the kernel
   never reached (it died earlier) is judged by the worker alone; otherwise the hidden verdict decides.

A worker that dies (os._exit, a crash, the memory cap) or runs past the time limit costs the exercise it was
answering; the next exercise gets a fresh worker. A solution cell that kills the worker while it is being
executed is left out of the next one.
"""

from __future__ import annotations

import ast
import base64
import json
import os
import pickle
import re
import select
import signal
import subprocess
import threading
import time
from dataclasses import replace

import nbformat

from autograde.engine.notebook import BEGIN_HIDDEN, END_HIDDEN, grade_meta, is_graded_test
from autograde.engine.pool import popen_worker
from autograde.engine.results import builds_on
from course_lib.checks import EXERCISES
from course_lib.checks._trusted import HandleRef, decode
from course_lib.checks.framework import Case, ReferenceUsed, Remote
from course_lib.i18n import language

MARKER = re.compile(r"""(?:_verify|hidden_test)\(["']([^"']+)["'],\s*([A-Za-z_]\w*),\s*seed=(-?\d+)\)""")
MAX_REPLY = 256 * 2**20  # bytes: a larger answer is a flood, not an output
MAX_RESTARTS = 4  # fresh workers per submission
AFTER_TIMEOUT = 10  # seconds per hidden test once a cell of the submission ran past its limit (a check takes < 2 s)


class WorkerDied(Exception):
    """The worker stopped answering: it exited, was killed, or ran past its time."""


def hidden_tests(source_nb):
    """grade_id -> (exercise, name of the implementation, seed), read from the source notebook's test cells."""
    found = {}
    for cell in source_nb.cells:
        if is_graded_test(cell):
            match = MARKER.search(cell.source)
            if match:
                found[grade_meta(cell)["grade_id"]] = (match.group(1), match.group(2), int(match.group(3)))
    return found


def strip_hidden(source):
    """A test cell's source without its hidden-test region (what the student's kernel runs)."""
    lines, out, inside = source.splitlines(), [], False
    for line in lines:
        if line.strip() == BEGIN_HIDDEN:
            inside = True
            out.append("# (hidden tests: run by the grader in its own process)")
        elif line.strip() == END_HIDDEN:
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out)


def definitions(source):
    """The imports, functions, classes and constant assignments of a cell, without anything it runs."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return ""
    keep = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef))
            or isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)]
    return "\n\n".join(ast.get_source_segment(source, node) for node in keep)


def worker_cells(released_nb, submitted):
    """(label, source) of what the worker executes, in the released order: the released notebook's read-only
    cells that are not checks or tests (the set-up), the definitions of its plain code cells (handed-out pieces
    such as a given class; what those cells run is left out), and the submission's solution cells."""
    theirs = {}
    for cell in submitted.get("cells", []):
        gid = grade_meta(cell).get("grade_id")
        if gid and cell.get("cell_type") == "code" and gid not in theirs:
            src = cell.get("source", "")
            theirs[gid] = "".join(src) if isinstance(src, list) else src
    cells = []
    for index, cell in enumerate(released_nb.cells):
        meta, gid = grade_meta(cell), grade_meta(cell).get("grade_id")
        if cell.cell_type != "code":
            continue
        if not gid:
            given = definitions(cell.source)
            if given.strip():
                cells.append((f"given cell {index}", given))
            continue
        if meta.get("solution") and gid in theirs:
            cells.append((gid, theirs[gid]))
        elif meta.get("locked") and not meta.get("grade") and not gid.startswith("check_"):
            cells.append((gid, cell.source))
    return cells



class Worker:
    """One sandboxed worker process and its two pipes."""

    def __init__(self, argv, env, cwd):
        self.proc = popen_worker(argv, env, cwd)  # forked from the grading job's warm template, or started cold
        self.buffer = b""

    def request(self, payload, deadline):
        try:
            self.proc.stdin.write((json.dumps(payload) + "\n").encode())
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            raise WorkerDied(self._why()) from None
        fd = self.proc.stdout.fileno()
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                self.close()
                raise WorkerDied("stopped: it ran past the time limit")
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                raise WorkerDied(self._why())
            self.buffer += chunk
            if len(self.buffer) > MAX_REPLY:
                self.close()
                raise WorkerDied("stopped: it answered with more than 256 MB")
        line, self.buffer = self.buffer.split(b"\n", 1)
        try:
            reply = json.loads(line)
            if not (isinstance(reply, dict) and reply.get("ok") is True):
                raise ValueError
            return reply["result"]
        except (ValueError, KeyError):
            self.close()
            raise WorkerDied("it answered something that is not a reply (did the code write to the grader's pipe?)") \
                from None

    def _why(self):
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.close()
            return "it stopped answering"
        self.close()
        if code < 0 or code > 128:
            sig = -code if code < 0 else code - 128
            return f"it was killed by signal {sig} (a crash, or the memory limit)"
        return f"it exited (status {code}: os._exit(), sys.exit() or exit() in your code)"

    def close(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                pass
            self.proc.wait()
        for pipe in (self.proc.stdin, self.proc.stdout):
            try:
                pipe.close()
            except OSError:
                pass


class Session:
    """The worker of one submission: started on demand, restarted after a death, cells that killed it skipped."""

    def __init__(self, argv, env, cwd, cells, timeout):
        self.argv, self.env, self.cwd, self.cells, self.timeout = argv, env, cwd, cells, timeout
        self.worker = None
        self.skipped = {}  # label -> why that cell was left out
        self.cell_errors = {}  # label -> the error a cell raised in the worker
        self.starts = 0
        self.deadline = None
        self.notes = []
        self._thread = None
        self._failed = None

    def prestart(self):
        """Start the worker and run its cells in the background (while nbgrader runs the notebook)."""
        def start():
            try:
                self._start()
            except WorkerDied as died:
                self._failed = died

        self._thread = threading.Thread(target=start, daemon=True)
        self._thread.start()

    def _wait(self):
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def begin(self):
        self.deadline = time.monotonic() + self.timeout

    def _start(self):
        while True:
            if self.starts >= MAX_RESTARTS:
                raise WorkerDied("the grader gave up restarting it")
            self.starts += 1
            self.worker = Worker(self.argv, self.env, self.cwd)
            for label, source in self.cells:
                if label in self.skipped:
                    continue
                try:
                    result = self.worker.request({"op": "exec", "label": label, "source": source},
                                                 time.monotonic() + self.timeout)
                except WorkerDied as died:
                    self.skipped[label] = str(died)
                    self.notes.append(f"the cell {label} stopped the grader's worker ({died}); it was left out")
                    self.worker = None
                    break
                if result.get("t") == "error":
                    self.cell_errors[label] = f"{result.get('type')}: {result.get('message')}"
            else:
                return

    def request(self, payload):
        self._wait()
        if self.worker is None:
            self._start()
        try:
            return self.worker.request(payload, self.deadline)
        except WorkerDied:
            self.worker = None
            raise

    def close(self):
        self._wait()
        if self.worker is not None:
            self.worker.close()
            self.worker = None


class RemoteObject:
    """An object the worker keeps (a module the student's class built): calling it is a request."""

    def __init__(self, impl, id, type_name):
        self.impl, self.id, self.type_name = impl, id, type_name

    def __call__(self, *args, **kwargs):
        return self.impl.call_handle(self, args, kwargs)

    def __reduce__(self):
        return (HandleRef, (self.id,))

    def __repr__(self):
        return f"<{self.type_name} in the grader's worker>"


class RemoteImplementation(Remote):
    """The student's function or class, as the checks see it in the grader (see `framework.Remote`)."""

    def __init__(self, session, name):
        self.session, self.name, self.died = session, name, None

    def _ask(self, payload):
        if self.died:
            raise WorkerDied(self.died)
        try:
            data = self.session.request(payload)
            return decode(data, lambda id, type_name: RemoteObject(self, id, type_name))
        except WorkerDied as died:
            self.died = f"your code stopped the grader's worker: {died}"
            raise WorkerDied(self.died) from None
        except (ValueError, KeyError, TypeError) as error:
            self.died = f"the grader's worker answered something it cannot read ({error})"
            self.session.close()
            raise WorkerDied(self.died) from None

    def run(self, exercise, what, case, strict, **options):
        state = {k: v for k, v in vars(exercise).items()
                 if isinstance(v, (bool, int, float, str, type(None))) and not k.startswith("__")}
        payload = {
            "op": "run", "exercise": exercise.name, "impl": self.name, "what": what, "strict": bool(strict),
            "case": base64.b64encode(pickle.dumps(replace(case, built=None))).decode(),
            "options": base64.b64encode(pickle.dumps(options)).decode(), "state": state,
            "language": language(),  # the worker's sentences (a diagnosis of its call) in the notebook's language
        }
        copy = Case(case.label, case.args, case.kwargs, case.init, case.weights)
        try:
            result = self._ask(payload)
        except WorkerDied as died:
            error = RuntimeError(str(died))
            if what == "forward":
                return error, copy
            if what == "backward":
                return error, {}
            raise error from None
        if isinstance(result, BaseException):
            if type(result).__name__ == "ReferenceUsed":
                raise ReferenceUsed(str(result))
            if what == "forward":
                return result, copy
            if what == "backward":
                return result, {}
            raise result
        if what == "forward":
            got, mine = result
            if isinstance(got, list):
                got = tuple(got)
            return got, Case(case.label, tuple(mine["args"]), dict(mine["kwargs"]), case.init, case.weights)
        if what == "backward":
            outputs, grads = result
            return (tuple(outputs) if isinstance(outputs, list) else outputs), grads
        return result

    def call_handle(self, obj, args, kwargs):
        payload = {"op": "handle", "id": obj.id,
                   "args": base64.b64encode(pickle.dumps((args, kwargs))).decode()}
        try:
            result = self._ask(payload)
        except WorkerDied as died:
            raise RuntimeError(str(died)) from None
        if isinstance(result, BaseException):
            raise result
        return result


def verdict(session, exercise_name, impl_name, seed):
    """(passed, message) of the hidden test of one exercise, decided here."""
    session.begin()
    try:
        state = session.request({"op": "lookup", "name": impl_name})
    except WorkerDied as died:
        return False, f"{exercise_name}: your code stopped the grader's worker: {died}"
    state = state.get("v") if isinstance(state, dict) else None
    if state == "missing":
        return False, f"NameError: name '{impl_name}' is not defined" + _why_missing(session)
    student = None if state == "none" else RemoteImplementation(session, impl_name)
    try:
        EXERCISES[exercise_name].check(student, seed=seed, quiet=True, strict=True)
        return True, ""
    except AssertionError as failure:
        return False, str(failure)
    except Exception as error:  # noqa: BLE001 - anything the student's answers provoke fails the exercise
        return False, f"{exercise_name}: {type(error).__name__}: {error}"


def _why_missing(session):
    """What the cells that failed in the worker raised: why a name the kernel knows may be missing there."""
    errors = getattr(session, "cell_errors", {})
    if not errors:
        return ""
    why = "; ".join(f"{label} raised {error[:200]}" for label, error in errors.items())
    if "course_lib.solutions" in why or "course_lib.handouts" in why:
        why += (". The grader runs your code without the course's reference solutions, and without the "
                "handed-out pieces of this notebook or later: write the exercise yourself")
    return f" when the grader ran your cells ({why})"


def open_session(released_nb, submitted, spawn, timeout):
    """A submission's worker session, started at once in the background. `spawn()` gives (argv, env, cwd)."""
    argv, env, cwd = spawn()
    session = Session(argv, env, cwd, worker_cells(released_nb, submitted), timeout)
    session.prestart()
    return session


def judge(executed_nb, source_nb, session):
    """Decide every hidden verdict of a submission and write it into the executed notebook's graded cells.

    Returns the incidents, in plain words.
    """
    tests = hidden_tests(source_nb)
    # A cell that ran past its limit stopped the kernel's run (preprocessors.SurviveDeadKernel): its exercise
    # fails with that message, and the worker gets a short limit, so a loop is not waited for once per exercise.
    meta = executed_nb.metadata.get("autograde", {})
    timed_out = meta.get("timed_out") or {}
    if timed_out:
        session.timeout = min(session.timeout, AFTER_TIMEOUT)
    if meta.get("budget_left") is not None:
        session.timeout = max(1, min(session.timeout, meta["budget_left"]))
    try:
        for cell in executed_nb.cells:
            gid = grade_meta(cell).get("grade_id")
            if not is_graded_test(cell) or gid not in tests:
                continue
            errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
            first = errors[0] if errors else {}
            not_run = first.get("ename") in ("KernelDied", "NotRun") and first.get("evalue", "").startswith("not run")
            if not_run and gid == timed_out.get("test"):
                cell.outputs = [nbformat.v4.new_output("error", ename="CellTimeoutError", evalue=timed_out["message"],
                                                       traceback=[f"CellTimeoutError: {timed_out['message']}"])]
                continue
            looped = tests.get(timed_out.get("test"), ("",))[0]
            if not_run and looped in builds_on().get(tests[gid][0], ()):  # it would loop in the worker too
                message = (f"{tests[gid][0]}: not run by the grader: it builds on your {looped}, where "
                           f"{timed_out['message']}; fix that first")
                cell.outputs = [nbformat.v4.new_output("error", ename="AssertionError", evalue=message,
                                                       traceback=[f"AssertionError: {message}"])]
                continue
            if not_run:
                why = "the kernel died" if first.get("ename") == "KernelDied" else "an earlier cell ran past its limit"
                cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=(
                    f"{why} before this cell ran; the grader's hidden tests decided it alone\n"))]
                errors = []
            if errors:
                continue  # the visible part failed: the cell scores 0 with its own message (no verdict needed)
            passed, message = verdict(session, *tests[gid])
            if not passed:
                cell.outputs.append(nbformat.v4.new_output(
                    "error", ename="AssertionError", evalue=message, traceback=[f"AssertionError: {message}"]))
    finally:
        session.close()
    return session.notes
