"""A warm template process that forks the grader's student kernels or hidden-test workers (`autograde.pool`).

Run as a script, standard library only, so that the hidden-test workers' template can run isolated:
    python [-I -S] _forkserver.py SOCKET MODE SANDBOX_PY [PATH ...]
MODE `kernel`: the template imports what the notebooks' set-up cells import (torch, numpy, matplotlib on Agg,
ipykernel, course_lib), named in AUTOGRADE_PRELOAD, then forks a kernel per request.
MODE `worker`: run with `-I -S` like the worker itself; PATH... are put on sys.path as `sandbox.WORKER_BOOT`
puts them (the assignment's grading package first, then the environment's site-packages); the template imports
torch and `course_lib.checks._trusted` from that package, never `course_lib.solutions` (it checks).

The template never runs a torch operation and is single-threaded when it forks (it checks: one thread, after
OMP/MKL/OpenBLAS were told to use one). Requests come on a unix socket (SOCK_SEQPACKET, a path in the grader's
scratch folder, which every sandbox hides): `{"argv": [sandbox arguments], "env": {...}, "cwd": ...}` with up
to three file descriptors (stdin, stdout, stderr of the child). The answer is `{"pid": N}`, later
`{"exit": CODE}` (negative: killed by that signal) when the child ended. A client that hangs up kills its
child's process group. Each child: a new session, every descriptor of the template closed, then
`sandbox.run_forked` (the same confinement, limits and environment as `python -m autograde.sandbox`).
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
    if mode == "worker":  # the set-up cells' imports, without the kernel's own and never the reference solutions
        names = ["torch", "numpy", "course_lib.checks._trusted"] + [
            n for n in names if not n.startswith(("ipykernel", "IPython", "matplotlib_inline", "course_lib.solutions"))]
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - a child imports it itself, and meets the error where it belongs
            failed.append(name)
    if mode == "worker" and "course_lib.solutions" in sys.modules:
        raise SystemExit("the hidden-test worker's template imported course_lib.solutions: refusing to serve")
    return failed


def threads():
    return len(os.listdir("/proc/self/task"))


def serve(path, mode, sandbox):
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    folder = os.open(os.path.dirname(path), os.O_RDONLY)  # bound through it: a socket's path has 107 bytes at most
    listener.bind(f"/proc/self/fd/{folder}/{os.path.basename(path)}")
    os.close(folder)
    os.chmod(path, 0o600)
    listener.listen(16)
    parent = os.getppid()
    clients = {}  # connection -> pid
    # A child's end wakes the loop at once (its exit is reported without waiting for the next turn): SIGCHLD
    # writes a byte to this pipe (the handler itself does nothing); each child resets both in `_child`.
    woken, wake = os.pipe()
    os.set_blocking(woken, False)
    os.set_blocking(wake, False)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.set_wakeup_fd(wake, warn_on_full_buffer=False)
    print(json.dumps({"ready": True, "threads": threads()}), flush=True)
    while True:
        if os.getppid() != parent:  # the grader's worker is gone
            break
        readable, _, _ = select.select([listener, woken, *clients], [], [], 0.2)
        for sock in readable:
            if sock is woken:
                try:
                    os.read(woken, 4096)
                except BlockingIOError:
                    pass
            elif sock is listener:
                conn, _ = listener.accept()
                try:
                    message, fds, _, _ = socket.recv_fds(conn, 1 << 20, 3)
                    request = json.loads(message)
                except Exception:  # noqa: BLE001 - not a request: hang up
                    conn.close()
                    continue
                pid = os.fork()
                if pid == 0:
                    _child(request, fds, sandbox, mode)  # never returns
                for fd in fds:
                    os.close(fd)
                clients[conn] = pid
                conn.send(json.dumps({"pid": pid}).encode())
            else:  # a client hung up (or wrote): its child goes
                try:
                    data = sock.recv(64)
                except OSError:
                    data = b""
                if not data:
                    pid = clients.pop(sock)
                    _kill_group(pid)
                    sock.close()
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
    for pid in clients.values():
        _kill_group(pid)


def _kill_group(pid):
    for kill in (os.killpg, os.kill):
        try:
            kill(pid, signal.SIGKILL)
        except OSError:
            pass


def _child(request, fds, sandbox, mode):
    code = 1
    try:
        os.setsid()
        sandbox.set_parent_death_signal()  # the template gone, its children go too
        null = os.open(os.devnull, os.O_RDWR)
        std = list(fds) + [null] * (3 - len(fds))
        for target, fd in enumerate(std[:3]):
            os.dup2(fd, target)
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        os.closerange(3, 1 << 16)  # the listener, its wake-up pipe, other clients' connections, the passed fds
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


def main(argv):
    path, mode, sandbox_py, *paths = argv
    if mode == "worker":  # as sandbox.WORKER_BOOT: the grading package first, site-packages last
        sys.path[:0] = paths[:1]
        sys.path += paths[1:]
    sandbox = _load_sandbox(sandbox_py)
    # (no parent-death signal here: it fires when the *thread* that started this process ends, and the grader
    # starts templates from a session's background thread; `serve` watches its parent instead)
    failed = preload(mode)
    if threads() != 1:
        raise SystemExit(f"the template runs {threads()} threads after its imports: it cannot fork safely")
    if failed:
        print(json.dumps({"not_preloaded": failed}), file=sys.stderr, flush=True)
    os.chdir("/")
    serve(path, mode, sandbox)


if __name__ == "__main__":
    main(sys.argv[1:])
