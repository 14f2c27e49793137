"""A warm template process that forks the grader's student kernels or hidden-test workers (`autograde.engine.pool`).

Run as a script, standard library only, so that the hidden-test workers' template can run isolated:
    python [-I -S] _forkserver.py SOCKET MODE SANDBOX_PY [PATH ...]
MODE `kernel`: the template imports what the notebooks' set-up cells import (torch, numpy, matplotlib on Agg,
ipykernel, course_lib), named in AUTOGRADE_PRELOAD, then forks a kernel per request.
MODE `worker`: run with `-I -S` like the worker itself, PATH... (the environment's site-packages) last on
sys.path as `sandbox.WORKER_BOOT` puts them; this base imports the set-up cells' imports that are not the
course's (torch, numpy, matplotlib), nothing of `course_lib`. It forks, per assignment, the template of that
assignment's hidden-test workers: a request `{"template": SOCKET, "package": FOLDER}` gives a child that puts the
assignment's grading package first on sys.path, imports `course_lib.checks._trusted` and the set-up cells'
`course_lib` modules from it (never `course_lib.solutions`: it checks), and serves on SOCKET as a `worker`
template, forking a worker per request. Torch is imported once per grading job, not once per assignment.

A template never runs a torch operation and is single-threaded when it forks (it checks: one thread, after
OMP/MKL/OpenBLAS were told to use one). Requests come on a unix socket (SOCK_SEQPACKET, a path in the grader's
scratch folder, which every sandbox hides): `{"argv": [sandbox arguments], "env": {...}, "cwd": ...}` with up
to three file descriptors (stdin, stdout, stderr of the child). The answer is `{"pid": N}`, later
`{"exit": CODE}` (negative: killed by that signal) when the child ended; an assignment's template also says
`{"ready": true}` (or `{"not_preloaded": [...]}` first) once it serves. A client that hangs up kills its
child's process group. Each child: a new session, every descriptor of the template closed, then
`sandbox.run_forked` (the same confinement, limits and environment as `python -m autograde.engine.sandbox`).
"""
import importlib
import importlib.util
import json
import os
import select
import signal
import socket
import sys
import traceback


def _load_sandbox(path):
    spec = importlib.util.spec_from_file_location("_autograde_sandbox", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def preload(mode):
    """Import what every child would import first; return the names that could not be imported."""
    failed = []
    names = json.loads(os.environ.get("AUTOGRADE_PRELOAD", "[]"))
    kernel_only = ("ipykernel", "IPython", "matplotlib_inline", "course_lib.solutions")
    if mode == "worker":  # the set-up cells' imports that are not the course's, without the kernel's own
        names = ["torch", "numpy"] + [n for n in names if not n.startswith(kernel_only + ("course_lib",))]
    elif mode == "assignment":  # the course's, from the assignment's grading package: never the solutions
        names = ["course_lib.checks._trusted"] + [
            n for n in names if n.split(".")[0] == "course_lib" and not n.startswith(kernel_only)]
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - a child imports it itself, and meets the error where it belongs
            failed.append(name)
    if mode != "kernel" and "course_lib.solutions" in sys.modules:
        raise SystemExit("the hidden-test worker's template imported course_lib.solutions: refusing to serve")
    return failed


def threads():
    return len(os.listdir("/proc/self/task"))


def serve(path, mode, sandbox, announce):
    """Bind SOCKET, say `{"ready": true}` with `announce`, then fork a child per request until the parent goes."""
    listener = _listen(path)
    woken = _wake_on_child_exit()
    parent = os.getppid()
    clients = {}  # connection -> the pid of its child
    announce({"ready": True, "threads": threads()})
    while os.getppid() == parent:  # else the grader's worker is gone
        readable, _, _ = select.select([listener, woken, *clients], [], [], 0.2)
        for sock in readable:
            if sock is woken:
                _drain(woken)
            elif sock is listener:
                _accept(listener, clients, mode, sandbox)
            else:
                _hang_up(sock, clients)
        _report_exits(clients)
    for pid in clients.values():
        _kill_group(pid)


def _listen(path):
    """A unix socket (SOCK_SEQPACKET) listening at `path`, which only this user may reach."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    folder = os.open(os.path.dirname(path), os.O_RDONLY)  # bound through it: a socket's path has 107 bytes at most
    listener.bind(f"/proc/self/fd/{folder}/{os.path.basename(path)}")
    os.close(folder)
    os.chmod(path, 0o600)
    listener.listen(16)
    return listener


def _wake_on_child_exit():
    """The reading end of a pipe that wakes the loop when a child ends (its exit is reported at once, not at the
    next turn): SIGCHLD writes a byte to it (the handler itself does nothing). Each child resets both
    (`_leave_the_template`)."""
    woken, wake = os.pipe()
    os.set_blocking(woken, False)
    os.set_blocking(wake, False)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.set_wakeup_fd(wake, warn_on_full_buffer=False)
    return woken


def _drain(woken):
    try:
        os.read(woken, 4096)
    except BlockingIOError:
        pass


def _accept(listener, clients, mode, sandbox):
    """Take one request: fork its child, answer `{"pid": N}`, and keep the connection (in `clients`) while the
    child runs. A worker template's request `{"template": ...}` forks an assignment's template instead."""
    conn, _ = listener.accept()
    try:
        message, fds, _, _ = socket.recv_fds(conn, 1 << 20, 3)
        request = json.loads(message)
    except Exception:  # noqa: BLE001 - not a request: hang up
        conn.close()
        return
    pid = os.fork()
    if pid == 0:
        if mode == "worker" and isinstance(request, dict) and "template" in request:
            _assignment_template(request, conn, sandbox)  # never returns
        _child(request, fds, sandbox, mode)  # never returns
    for fd in fds:
        os.close(fd)
    clients[conn] = pid
    conn.send(json.dumps({"pid": pid}).encode())


def _hang_up(sock, clients):
    """A client hung up (or wrote): its child goes."""
    try:
        data = sock.recv(64)
    except OSError:
        data = b""
    if not data:
        _kill_group(clients.pop(sock))
        sock.close()


def _report_exits(clients):
    """Say `{"exit": CODE}` to the client of every child that ended, and close its connection."""
    while clients:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            break
        for conn, child in list(clients.items()):
            if child == pid:
                try:
                    conn.send(json.dumps({"exit": os.waitstatus_to_exitcode(status)}).encode())
                except OSError:
                    pass
                conn.close()
                del clients[conn]


def _kill_group(pid):
    for kill in (os.killpg, os.kill):
        try:
            kill(pid, signal.SIGKILL)
        except OSError:
            pass


def _leave_the_template(keep=None):
    """In a child just forked: SIGCHLD and its wake-up pipe as a new process has them, and every descriptor of the
    template closed (its listener, the wake-up pipe, other clients' connections, passed descriptors already
    duplicated) but the standard streams and `keep`."""
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    if keep is None:
        os.closerange(3, 1 << 16)
    else:
        os.closerange(3, keep)
        os.closerange(keep + 1, 1 << 16)


def _child(request, fds, sandbox, mode):
    code = 1
    try:
        os.setsid()
        sandbox.set_parent_death_signal()  # the template gone, its children go too
        null = os.open(os.devnull, os.O_RDWR)
        std = list(fds) + [null] * (3 - len(fds))
        for target, fd in enumerate(std[:3]):
            os.dup2(fd, target)
        _leave_the_template()
        code = sandbox.run_forked(request["argv"], request["env"], request["cwd"], mode) or 0
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    except BaseException:  # noqa: BLE001 - said on the child's stderr, as an exec'd program would
        try:
            traceback.print_exc()
        except BaseException:  # noqa: BLE001
            pass
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except BaseException:  # noqa: BLE001
            pass
        os._exit(code if isinstance(code, int) else 1)


def _assignment_template(request, conn, sandbox):
    """In a child of the workers' base: the template of one assignment's workers (see the module's docstring).
    What it says goes to the grader on `conn`, the request's connection; so does its end, from the base."""
    code = 1

    def say(message):
        conn.send(json.dumps(message).encode())

    try:
        os.setsid()  # its own process group: the base kills it when the grader hangs up
        _leave_the_template(keep=conn.fileno())
        sys.path[:0] = [request["package"]]
        failed = preload("assignment")
        if threads() != 1:
            raise SystemExit(f"the template runs {threads()} threads after its imports: it cannot fork safely")
        if failed:
            say({"not_preloaded": failed})
        serve(request["template"], "worker", sandbox, say)
        code = 0
    except SystemExit as stop:
        try:
            say({"refused": str(stop.code)})
        except OSError:
            pass
    except BaseException:  # noqa: BLE001 - the grader then starts its workers cold
        pass
    finally:
        os._exit(code)


def main(argv):
    path, mode, sandbox_py, *paths = argv
    if mode == "worker":  # as sandbox.WORKER_BOOT: site-packages last (an assignment's template puts its grading
        sys.path += paths  # package first)
    sandbox = _load_sandbox(sandbox_py)
    # (no parent-death signal here: it fires when the *thread* that started this process ends, and the grader
    # starts templates from a session's background thread; `serve` watches its parent instead)
    failed = preload(mode)
    if threads() != 1:
        raise SystemExit(f"the template runs {threads()} threads after its imports: it cannot fork safely")
    if failed:
        print(json.dumps({"not_preloaded": failed}), file=sys.stderr, flush=True)
    os.chdir("/")
    serve(path, mode, sandbox, lambda message: print(json.dumps(message), flush=True))


if __name__ == "__main__":
    main(sys.argv[1:])
