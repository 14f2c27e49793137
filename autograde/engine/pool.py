"""Warm processes: each grading job keeps templates with the heavy imports done, and forks from them.

A student's kernel and a hidden-test worker used to start cold: a fresh interpreter importing torch, numpy,
matplotlib and the course package, seconds per submission. Now each of the grader's worker processes starts
`autograde/engine/_forkserver.py` once for the kernels and once for the hidden-test workers (under `python -I -S`,
torch imported, nothing of the course), which forks a template per assignment (its grading package first on
sys.path, its `course_lib` modules imported, never `course_lib.solutions`), and every kernel and worker is a
fresh fork of its template. Which of a submission's processes were forked is written in the autograded
notebook's metadata (`autograde.forked`). A fork runs `sandbox.run_forked`: the same namespaces,
hidden folders, private /tmp, read-only mounts, dropped capabilities and memory cap as `python -m
autograde.engine.sandbox`, and the same environment. What a fork would inherit is dealt with where it binds:
- threads: the template imports with OMP/MKL/OpenBLAS at one thread, runs no torch operation, and refuses
  to serve unless it has exactly one thread;
- open files: the child closes every descriptor of the template (the server's socket among them);
- random generators: reseeded from the system in the child (`sandbox.reseed`);
- module state: the template never runs a line of student code; each child is a copy of it, and the next
  submission's child is a fresh copy, so nothing a submission does reaches the next one;
- /tmp, environment: each child gets its own private /tmp and the environment of the request, both scrubbed to
  `sandbox.ALLOWED_ENV`; the template starts from a scrubbed environment too (`template_env`): a child's
  /proc/self/environ is its template's, whatever the child's own os.environ says.
If a template cannot start, the kernel or worker starts cold, as before: grading never depends on the pool.
"""

from __future__ import annotations

import ast
import atexit
import hashlib
import json
import multiprocessing.util
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path
from queue import Empty

import nbformat
import zmq
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner
from traitlets import DottedObjectName, Type

from autograde.engine.notebook import grade_meta
from autograde.engine.sandbox import scrubbed_env

SERVER = Path(__file__).with_name("_forkserver.py")
SANDBOX = Path(__file__).with_name("sandbox.py")
ONE_THREAD = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
READY_TIMEOUT = 120  # seconds for a template to import torch and the course on a loaded machine
# What the templates of the kernels import: the notebooks' set-up cells' imports, and what the kernel loads
# and what IPKernelApp.initialize imports (with the debugger's debugpy, a tenth of a second in every kernel)
PRELOAD_ALWAYS = ["torch", "torch.nn", "torch.nn.functional", "numpy", "matplotlib", "matplotlib.pyplot",
                  "ipykernel.kernelapp", "ipykernel.ipkernel", "IPython", "matplotlib_inline.backend_inline",
                  "ipykernel.debugger", "IPython.core.completerlib", "IPython.core.debugger",
                  "IPython.extensions.storemagic", "sqlite3", "tornado.platform.asyncio"]


def template_env(env, home):
    """A template's environment: `env` scrubbed to the sandbox's allow-list (a forked child's /proc/self/environ
    shows its template's, whatever the child's own os.environ says), without the sandbox's settings (each request
    brings its own) but what the template imports, on one thread, with `home` (the grader's scratch folder,
    hidden from every sandbox) for HOME."""
    clean = {k: v for k, v in scrubbed_env(env, home).items()
             if not k.startswith("AUTOGRADE_") or k == "AUTOGRADE_PRELOAD"}
    return {**clean, **ONE_THREAD}


class Unavailable(Exception):
    """The template could not start or answer: the caller starts its process cold."""


class ForkedProcess:
    """What `subprocess.Popen` offers the grader, for a process forked by a template."""

    def __init__(self, sock, pid, stdin=None, stdout=None):
        self.sock, self.pid, self.stdin, self.stdout, self.stderr = sock, pid, stdin, stdout, None
        self.returncode = None
        self.args = [f"forked:{pid}"]

    def poll(self):
        if self.returncode is None and select.select([self.sock], [], [], 0)[0]:
            self._read()
        return self.returncode

    def _read(self):
        try:
            data = self.sock.recv(4096)
            self.returncode = int(json.loads(data)["exit"]) if data else -signal.SIGKILL
        except (OSError, ValueError, KeyError):
            self.returncode = -signal.SIGKILL
        self.sock.close()

    def wait(self, timeout=None):
        if self.returncode is None:
            if not select.select([self.sock], [], [], timeout)[0]:
                raise subprocess.TimeoutExpired(self.args, timeout)
            self._read()
        return self.returncode

    def send_signal(self, sig):
        if self.returncode is None:
            for kill in (os.killpg, os.kill):
                try:
                    kill(self.pid, sig)
                    return
                except OSError:
                    continue

    def kill(self):
        self.send_signal(signal.SIGKILL)

    def terminate(self):
        self.send_signal(signal.SIGTERM)


class ForkServer:
    """One template process, started at once; `launch` waits for it to be ready the first time."""

    def __init__(self, mode, env, paths=(), folder=None):
        self.mode = mode
        self._socket_folder(f"fork-{mode}-", folder)
        flags = ["-I", "-S"] if mode == "worker" else ["-P"]
        self.proc = subprocess.Popen([sys.executable, *flags, str(SERVER), self.path, mode, str(SANDBOX), *paths],
                                     env=template_env(env, self.folder), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd="/")
        self.ready = None

    def _wait_ready(self):
        if self.ready is None:
            ready, _, _ = select.select([self.proc.stdout], [], [], READY_TIMEOUT)
            line = self.proc.stdout.readline() if ready else b""
            try:
                self.ready = bool(json.loads(line).get("ready"))
            except ValueError:
                self.ready = False
        if not self.ready or self.proc.poll() is not None:
            self.ready = False
            raise Unavailable(f"the {self.mode} template did not start")

    def started(self):
        """Whether the template is ready, without waiting for it."""
        if self.ready is None and select.select([self.proc.stdout], [], [], 0)[0]:
            try:
                self._wait_ready()
            except Unavailable:
                pass
        return bool(self.ready)

    def launch(self, argv, env, cwd, fds=()):
        """A child running `sandbox.run_forked(argv, env, cwd)`, with `fds` as its stdin, stdout (, stderr)."""
        return self._ask({"argv": list(argv), "env": dict(env), "cwd": str(cwd)}, fds)

    def _ask(self, request, fds=()):
        """Send `request` (with `fds`); return the connection and the pid of the child it forked."""
        self._wait_ready()
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        folder = os.open(self.folder, os.O_RDONLY)
        try:
            sock.connect(f"/proc/self/fd/{folder}/s")  # a socket's path has 107 bytes at most: through the folder
            socket.send_fds(sock, [json.dumps(request).encode()], list(fds))
            ready, _, _ = select.select([sock], [], [], 30)
            reply = json.loads(sock.recv(4096)) if ready else {}
            pid = int(reply["pid"])
        except (OSError, ValueError, KeyError) as error:
            sock.close()
            raise Unavailable(f"the {self.mode} template did not answer ({error})") from None
        finally:
            os.close(folder)
        return sock, pid

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.proc.stdout.close()
        self._remove_socket()

    def _socket_folder(self, prefix, folder):
        """A new folder (in the grader's scratch folder, hidden from every sandbox) for the template's socket."""
        self.folder = tempfile.mkdtemp(prefix=prefix, dir=folder)
        self.path = os.path.join(self.folder, "s")

    def _remove_socket(self):
        for remove, path in ((os.unlink, self.path), (os.rmdir, self.folder)):
            try:
                remove(path)
            except OSError:
                pass


class AssignmentTemplate(ForkServer):
    """The template of one assignment's hidden-test workers: a child of the job's workers' base template (which
    has imported torch), with the course's modules imported from the assignment's grading package."""

    def __init__(self, base, package, folder=None):
        self.mode = "worker"
        self._socket_folder("fork-assignment-", folder)
        self.base, self.package = base, str(package)
        self.ready, self.sock = None, None
        if base.started():  # asked now, so that it imports while the kernel runs; else when first used
            self._request()

    def _request(self):
        try:
            self.sock, self.pid = self.base._ask({"template": self.path, "package": self.package})
        except Unavailable:
            self.ready = False

    def _wait_ready(self):
        if self.sock is None and self.ready is None:
            self._request()
        deadline = time.monotonic() + READY_TIMEOUT
        while self.ready is None:  # ({"not_preloaded": [...]} may come first: the children import those themselves)
            ready, _, _ = select.select([self.sock], [], [], max(0.0, deadline - time.monotonic()))
            try:
                message = json.loads(self.sock.recv(4096)) if ready else {"ready": False}
            except (OSError, ValueError):
                message = {"ready": False}
            if "ready" in message or "exit" in message or "refused" in message:
                self.ready = bool(message.get("ready"))
        if not self.ready or select.select([self.sock], [], [], 0)[0]:  # (a later message: it has ended)
            self.ready = False
            raise Unavailable("the hidden-test workers' template did not start")

    def close(self):
        if self.sock is not None:
            self.sock.close()  # the base kills it
        self._remove_socket()


class Pool:
    """The templates of one grading job: one for kernels; for hidden-test workers, one base (torch imported)
    and, forked from it, one per assignment (the two most recently used are kept)."""

    KEEP_WORKER_TEMPLATES = 2

    def __init__(self, folder, kernel_env):
        self.folder = folder
        self.preload = kernel_env.get("AUTOGRADE_PRELOAD", "[]")
        self.kernels = ForkServer("kernel", kernel_env, folder=folder)
        self.worker_base = None  # started with the first assignment's workers' environment
        self.workers = {}  # the grading package's folder -> AssignmentTemplate, least recently used first

    def worker_template(self, runs_on, env):
        server = self.workers.pop(runs_on, None)
        if server is None:
            if self.worker_base is None:  # (the environment is the same for every assignment: `worker_template`)
                self.worker_base = ForkServer("worker", env, _site_paths(), folder=self.folder)
            server = AssignmentTemplate(self.worker_base, runs_on, folder=self.folder)
        self.workers[runs_on] = server
        while len(self.workers) > self.KEEP_WORKER_TEMPLATES:
            oldest = next(iter(self.workers))
            self.workers.pop(oldest).close()
        return server

    def close(self):
        for server in [*self.workers.values(), self.kernels, *([self.worker_base] if self.worker_base else [])]:
            server.close()
        self.workers.clear()


def _site_paths():
    return list(dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib")))


POOL: Pool | None = None  # this process's templates, when the grading job uses them
FORKED = set()  # what of the current submission was forked from a template: "kernel", "worker" (`worker.Worker.run`)


def start(folder, kernel_env):
    global POOL
    POOL = Pool(folder, kernel_env)
    return POOL


def stop():
    global POOL
    if POOL is not None:
        POOL.close()
        POOL = None


def worker_template(env):
    """The template of the hidden-test workers that `env` (a worker's environment) describes, started if need
    be: it runs on the assignment's grading package (AUTOGRADE_WORKER_PATH), in an environment without the
    sandbox's settings (the child gets those), with matplotlib's prebuilt font list."""
    template_env = {k: v for k, v in env.items() if not k.startswith("AUTOGRADE_")}
    template_env["AUTOGRADE_PRELOAD"] = POOL.preload
    if env.get("AUTOGRADE_MPLCACHE"):
        template_env["MPLCONFIGDIR"] = env["AUTOGRADE_MPLCACHE"]
    return POOL.worker_template(env["AUTOGRADE_WORKER_PATH"], template_env)


def popen_worker(argv, env, cwd):
    """The hidden-test worker of a submission: forked from its assignment's template when there is one,
    else started cold as before (`subprocess.Popen`)."""
    if POOL is not None and env.get("AUTOGRADE_WORKER_PATH") and "autograde.engine.sandbox" in argv:
        template = worker_template(env)
        in_r, in_w = os.pipe()
        out_r, out_w = os.pipe()
        try:
            sock, pid = template.launch(argv[argv.index("autograde.engine.sandbox") + 1:], env, cwd, [in_r, out_w])
        except Unavailable:
            for fd in (in_r, in_w, out_r, out_w):
                os.close(fd)
        else:
            os.close(in_r)
            os.close(out_w)
            FORKED.add("worker")
            return ForkedProcess(sock, pid, stdin=os.fdopen(in_w, "wb"), stdout=os.fdopen(out_r, "rb"))
    return subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            cwd=cwd, env=env, start_new_session=True)


class ForkProvisioner(LocalProvisioner):
    """jupyter_client's local provisioner, launching the grading kernel as a fork of the job's template."""

    async def launch_kernel(self, cmd, **kwargs):
        if POOL is None or "autograde.engine.sandbox" not in cmd:
            return await super().launch_kernel(cmd, **kwargs)
        try:
            sock, pid = POOL.kernels.launch(cmd[cmd.index("autograde.engine.sandbox") + 1:],
                                            kwargs.get("env") or os.environ, kwargs.get("cwd") or os.getcwd())
        except Unavailable:
            return await super().launch_kernel(cmd, **kwargs)
        self.process = ForkedProcess(sock, pid)
        self.pid = self.pgid = pid
        FORKED.add("kernel")
        return self.connection_info

    async def kill(self, restart=False):
        await super().kill(restart)
        if isinstance(self.process, ForkedProcess):  # its template says at once when it ended: wait for that
            try:  # (instead of jupyter_client's next look, a tenth of a second later)
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass


class ForkedKernelClient(AsyncKernelClient):
    """jupyter_client's client, ready as soon as the kernel has answered `kernel_info` on the shell channel and
    said on IOPub that it is idle again. jupyter_client's own `wait_for_ready` waits 0.2 s for IOPub after the
    reply (a subscription that was not yet connected misses the kernel's messages: then it asks again), and
    then listens until IOPub has been quiet for 0.2 s: most kernels cost a fixed 0.2-0.4 s of waiting. Here
    the request is sent again every 50 ms until the kernel's idle status for one of them arrives on IOPub."""

    RETRY = 0.05

    def start_channels(self, *args, **kwargs):
        # The channels connect before the forked kernel has bound its sockets; zeromq then tries again after
        # its reconnect interval, 100 ms by default: 10 ms here (a few connection attempts, no more).
        self.context.setsockopt(zmq.RECONNECT_IVL, 10)
        return super().start_channels(*args, **kwargs)

    async def _async_wait_for_ready(self, timeout=None):
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        asked, reply = set(), None
        while True:
            asked.add(self.kernel_info())
            if reply is None:
                try:
                    msg = await self.shell_channel.get_msg(timeout=1)
                    reply = msg if msg["msg_type"] == "kernel_info_reply" else None
                except Empty:
                    pass
            if reply is not None:
                try:  # IOPub connected: the kernel's idle status after one of these requests arrives
                    while True:
                        msg = await self.iopub_channel.get_msg(timeout=self.RETRY)
                        if (msg["msg_type"] == "status" and msg["parent_header"].get("msg_id") in asked
                                and msg["content"].get("execution_state") == "idle"):
                            self._handle_kernel_info_reply(reply)
                            return
                except Empty:
                    pass
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")

    wait_for_ready = _async_wait_for_ready


class ForkedKernelManager(AsyncKernelManager):
    """nbclient's kernel manager, whose kernels are forked from the grading job's template (`ForkProvisioner`)
    and whose client is ready as soon as the kernel is (`ForkedKernelClient`)."""

    client_class = DottedObjectName("autograde.engine.pool.ForkedKernelClient")
    client_factory = Type(klass="autograde.engine.pool.ForkedKernelClient")
    _killing = False

    async def _async_shutdown_kernel(self, now=False, restart=False):
        self._killing = now
        try:
            return await super()._async_shutdown_kernel(now=now, restart=restart)
        finally:
            self._killing = False

    shutdown_kernel = _async_shutdown_kernel

    async def _async_interrupt_kernel(self):
        # jupyter_client interrupts a kernel before it kills it: a message on the control channel, which the
        # kill leaves undelivered, and closing the channel then waits 0.1 s (its linger) for it. Not before a kill.
        if not self._killing:
            await super()._async_interrupt_kernel()

    interrupt_kernel = _async_interrupt_kernel

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        if type(self.provisioner) is LocalProvisioner:
            self.provisioner.__class__ = ForkProvisioner
        return await super()._async_launch_kernel(kernel_cmd, **kw)

    async def _async_pre_start_kernel(self, **kw):
        # A kernel with no network of its own (`sandbox.network_isolated`) cannot bind TCP ports the grader
        # reaches: its channels are unix sockets in its working copy instead, which both sides see.
        if (self.kernel_spec and self.kernel_spec.env.get("AUTOGRADE_NETWORK") == "none"
                and not self._connection_file_written):
            self.transport, self.cache_ports = "ipc", False
            self.ip = ipc_path(kw.get("cwd") or os.getcwd())
        return await super()._async_pre_start_kernel(**kw)

    pre_start_kernel = _async_pre_start_kernel


IPC_NAME = ".kernel-ipc"  # the kernel's unix sockets in its working copy: .kernel-ipc-1 ... .kernel-ipc-5
_ipc_links = None  # this process's folder of short links to the kernels' working copies


def ipc_path(workdir):
    """Where the grader finds the unix sockets of a kernel working in `workdir`: through a short link to it, since a
    socket's path has 107 bytes at most and a working copy's may have more. The kernel binds them by a path
    relative to its working folder (`sandbox.confine` rewrites its copy of the connection file)."""
    global _ipc_links
    if _ipc_links is None:
        _ipc_links = _links_folder()
    target = os.path.realpath(workdir)
    link = os.path.join(_ipc_links, hashlib.sha256(target.encode()).hexdigest()[:16])
    if os.path.realpath(link) != target:
        if os.path.lexists(link):
            os.unlink(link)
        os.symlink(target, link)
    return os.path.join(link, IPC_NAME)


def _links_folder():
    """A new folder under /run for `ipc_path`'s links, removed when this process ends; the folders of processes
    that ended without removing theirs (killed) are removed first."""
    parent = "/run" if os.access("/run", os.W_OK) else tempfile.gettempdir()
    for old in Path(parent).glob("autograde-ipc-*-*"):
        pid = old.name.split("-")[2]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            shutil.rmtree(old, ignore_errors=True)
    folder = tempfile.mkdtemp(prefix=f"autograde-ipc-{os.getpid()}-", dir=parent)
    atexit.register(shutil.rmtree, folder, True)
    multiprocessing.util.Finalize(None, shutil.rmtree, (folder, True), exitpriority=0)  # (a pool's worker: no atexit)
    return folder


def preload_modules(source_notebooks):
    """The modules the kernels' template imports: `PRELOAD_ALWAYS` and every module the set-up cells import."""
    names = list(PRELOAD_ALWAYS)
    for path in source_notebooks:
        nb = nbformat.read(str(path), as_version=4)
        for cell in nb.cells:
            if cell.cell_type != "code" or not (grade_meta(cell).get("locked") and not grade_meta(cell).get("grade")):
                continue
            try:
                tree = ast.parse(cell.source)
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names += [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    names.append(node.module)
    return list(dict.fromkeys(names))


def wait_ready(timeout=READY_TIMEOUT):
    """Wait until this job's kernel template is ready (benchmarks: the start-up is measured apart)."""
    if POOL is not None:
        deadline = time.monotonic() + timeout
        try:
            POOL.kernels._wait_ready()
        except Unavailable:
            pass
        return time.monotonic() < deadline
    return False
