"""The student's kernel, confined: the grading kernelspec runs `python -m autograde.engine.sandbox -f CONNECTION_FILE`.

On Linux as root (the grader's machine), the kernel starts inside its own mount, PID and network namespaces
(`unshare`, see `kernel_argv`; no network: its ZeroMQ channels are unix sockets in its working copy), and before
it runs a line of student code this launcher:
1. hides under empty tmpfs every folder at the top of the file system but the system's (`SYSTEM_FOLDERS`: a
   copy of the course the grader was not told of is hidden too) and the folders named in AUTOGRADE_HIDE (the
   course folder with the gradebook and the hidden tests, the submissions, the source notebooks, Jupyter's
   runtime folder with other kernels' keys, Jupyter's system-wide settings); what only root may read in /etc
   (`only_roots`) reads as empty;
2. shows again, read-only, the folders named in AUTOGRADE_SHOW that lie inside them (course_lib, .venv, the
   Python it was made from);
3. gives the kernel a private /tmp and /dev/shm, an empty /run (the machine's unix sockets), and its working
   copy (the current folder) read-write;
4. makes every other mount read-only;
5. caps its address space at AUTOGRADE_MEMORY bytes;
6. drops every capability and execs ipykernel, so none of the above can be undone.
On every path the kernel's environment is made from an allow-list (`ALLOWED_ENV`), never copied from the
grader's. Elsewhere (not root, not Linux, or AUTOGRADE_SANDBOX=0) only the memory cap and the allow-list apply,
and the grader says so; without a network namespace it grades only when told to (`grade --allow-network`).

`python -m autograde.engine.sandbox --worker` starts, under exactly the same confinement (the grader takes the argv and
environment of the grading kernelspec), the worker that runs the student's code for the hidden verdicts
(`autograde/engine/verdict.py`, `course_lib/checks/_trusted.py`) instead of a kernel; given AUTOGRADE_WORKER_PATH, it
runs on that package (`grade.grading_env`: no reference solutions) in an isolated interpreter, and the grader
hides the full course package from it.
"""

import ctypes
import functools
import json
import os
import random
import re
import resource
import runpy
import shutil
import stat
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

NAMESPACES = ["unshare", "--mount", "--pid", "--fork", "--kill-child", "--mount-proc", "--propagation", "private"]

# The environment of every process that runs a student's code (a kernel, a hidden-test worker, and the warm
# templates they are forked from) is made from these names only, never copied from the grader's: an instructor's
# shell may hold PGPASSWORD, a cloud key, a token or a database URL, and the student's code could print it.
# A name that is not here does not reach the student's code, whatever the grader's environment holds.
ALLOWED_ENV = {
    "PATH": "where the kernel finds programs (a `!` command, a subprocess of the student's code)",
    "HOME": "replaced by the working copy (`scrubbed_env`): caches and dotfiles land there",
    "LANG": "the locale: how text is decoded and printed (the Chinese notebooks print Chinese)",
    "LC_ALL": "the locale, overriding LANG",
    "LC_CTYPE": "the locale's character encoding",
    "PYTHONPATH": "where the course package and its environment are found when they are not installed",
    "PYTHONHASHSEED": "the order of sets and dicts of strings, as the instructor fixed it for the canary too",
    "PYTHONIOENCODING": "the encoding of printed text",
    "PYTHONUTF8": "Python's UTF-8 mode",
    "PYTHONUNBUFFERED": "unbuffered printing",
    "PYTHONDONTWRITEBYTECODE": "no .pyc files written beside the (read-only) course code",
    "JPY_PARENT_PID": "jupyter_client's process: the kernel exits when it is gone",
    "JUPYTER_RUNTIME_DIR": "where the kernel writes its runtime files (its private /tmp when confined)",
    "JUPYTER_PLATFORM_DIRS": "which folders jupyter_core uses (without it, it warns)",
    "IPYTHONDIR": "IPython's profile folder (set to the working copy when confined)",
    "MPLBACKEND": "matplotlib's backend: the kernel's inline one, Agg in the worker",
    "MPLCONFIGDIR": "matplotlib's folder: a private copy of the prebuilt font cache",
    "OMP_NUM_THREADS": "torch's and numpy's thread counts, as the grader chose them (one per job in the tests)",
    "MKL_NUM_THREADS": "(the same, for MKL)",
    "OPENBLAS_NUM_THREADS": "(the same, for OpenBLAS)",
    "NUMEXPR_NUM_THREADS": "(the same, for numexpr)",
    "VECLIB_MAXIMUM_THREADS": "(the same, for Apple's Accelerate)",
    "CUDA_VISIBLE_DEVICES": "which GPUs torch may use, as the grader chose them",
    "NBGRADER_EXECUTION": "nbgrader's sign that a notebook is being graded: the course's experiments shrink",
    "COURSE_LANG": "the language of the checks' messages (`course_lib.i18n`)",
    # the kit's own instructions to the sandbox and the templates (`install_kernelspec`, `autograde.engine.pool`): read
    # by the trusted launcher, most of them removed before the student's code starts
    "AUTOGRADE_CONFINE": "whether to confine (the namespaces, the hidden folders)",
    "AUTOGRADE_NETWORK": "'none': the process gets a network namespace of its own",
    "AUTOGRADE_HIDE": "the folders hidden under empty tmpfs",
    "AUTOGRADE_SHOW": "the folders shown again, read-only",
    "AUTOGRADE_HIDE_ALSO": "folders a site hides whatever else is shown",
    "AUTOGRADE_MEMORY": "the memory cap",
    "AUTOGRADE_MPLCACHE": "the prebuilt font cache copied into the working copy",
    "AUTOGRADE_WORKER_PATH": "the grading package the hidden-test worker runs on",
    "AUTOGRADE_PRELOAD": "what a template imports before it forks",
}


def scrubbed_env(env, home=None):
    """The variables of `env` that `ALLOWED_ENV` names, and nothing else; with `home`, HOME set to it."""
    clean = {k: v for k, v in env.items() if k in ALLOWED_ENV}
    if home is not None:
        clean["HOME"] = str(home)
    return clean


@functools.lru_cache(maxsize=None)
def available():
    """Whether the kernel can be confined here: Linux, root, the util-linux tools, and namespaces that
    work (a container may refuse them: then grading goes on unconfined rather than failing every kernel)."""
    if not (
        sys.platform.startswith("linux")
        and os.geteuid() == 0
        and os.environ.get("AUTOGRADE_SANDBOX", "1") != "0"
        and all(shutil.which(t) for t in ("unshare", "mount", "umount", "setpriv"))
        and os.access("/run", os.W_OK)  # confine() stages its bind mounts under /run
    ):
        return False
    probe = NAMESPACES + [
        "sh",
        "-c",
        "mount -t tmpfs tmpfs /tmp && setpriv --bounding-set=-all --inh-caps=-all --no-new-privs -- true",
    ]
    return subprocess.run(probe, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30).returncode == 0


@functools.lru_cache(maxsize=None)
def network_isolated():
    """Whether a confined process gets a network namespace of its own here (a loopback of its own, down: it
    reaches neither this machine's loopback services, such as a gradebook, a Dask scheduler or a Jupyter server,
    nor the outside). It needs the sandbox, and a kernel that lets it make one."""
    if not available():
        return False
    probe = ["unshare", "--net", "true"]
    return subprocess.run(probe, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30).returncode == 0


NETWORK_RISK = ("the students' code is not cut off from the network here (a network namespace of its own needs "
                "Linux, root and util-linux): it can connect to every service of this machine's loopback (a "
                "PostgreSQL gradebook, a Dask scheduler, a Jupyter server) and, where there are routes out, to any "
                "machine, and send there whatever it can read")


def kernel_argv(python=sys.executable):
    """The argv of the grading kernelspec."""
    launcher = [python, "-m", "autograde.engine.sandbox", "-f", "{connection_file}"]
    if not available():
        return launcher
    return NAMESPACES + (["--net"] if network_isolated() else []) + launcher


# What stays in sight of the student's code, besides what `install_kernelspec` shows again: the folders of the
# system's programs, libraries and settings. Every other folder at the top of the file system (/home, /root,
# /opt, /srv, /mnt, /var, a site's own /work or /data, ...) is hidden under an empty tmpfs, so that a copy of
# the course somewhere the grader was not told of (an instructor's clone, a backup, another course folder)
# holds no hidden test or seed the student's code can open. (/tmp, /dev/shm and /run are replaced by empty ones.)
SYSTEM_FOLDERS = {"bin", "sbin", "lib", "lib32", "lib64", "libx32", "usr", "etc", "dev", "proc", "sys", "tmp", "run"}
# Jupyter's system-wide settings, where a site may keep an nbgrader_config.py with its gradebook's address
JUPYTER_SETTINGS = ["/etc/jupyter", "/usr/local/etc/jupyter"]


def beyond_the_system():
    """The folders at the top of the file system that are not the system's (`SYSTEM_FOLDERS`): hidden."""
    try:
        names = sorted(os.listdir("/"))
    except OSError:
        return []
    return [f"/{n}" for n in names if n not in SYSTEM_FOLDERS and not os.path.islink(f"/{n}")
            and os.path.isdir(f"/{n}")]


def only_roots(folder="/etc"):
    """The files and folders under `folder` that only their owner may read (/etc/shadow, /etc/ssl/private, ssh's
    host keys, PostgreSQL's pg_hba.conf): the student's code runs as root without capabilities, so the owner's
    permission is its own; they are hidden (a file as /dev/null, a folder as an empty tmpfs)."""
    found = []
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = os.path.join(root, name)
            try:
                mode = os.lstat(path).st_mode
            except OSError:
                continue
            if not stat.S_ISLNK(mode) and not mode & stat.S_IROTH:
                found.append(path)
        dirs[:] = [d for d in dirs if os.path.join(root, d) not in found]
    return found


def install_kernelspec(jupyter_dir, hide, memory_limit):
    """Write the grading kernelspec (`course.GRADING_KERNEL`) under `jupyter_dir`, first on JUPYTER_PATH.

    The kernel may see again, read-only, what it needs to run: this interpreter's environment and course_lib.
    Interrupts go as messages: in its own PID namespace the kernel is not the process the manager signals.
    """
    # Here, not at the top: this module also runs alone, loaded by its path in the warm templates
    # (`autograde.engine._forkserver`, under `python -I -S`), where neither package can be imported.
    import course_lib
    from autograde.gradebook import course

    spec_dir = Path(jupyter_dir) / "kernels" / course.GRADING_KERNEL
    spec_dir.mkdir(parents=True, exist_ok=True)
    mpl_cache = Path(jupyter_dir) / "matplotlib"
    _build_font_cache(mpl_cache)
    hide = [*hide, *JUPYTER_SETTINGS, *only_roots()]
    show = [os.path.dirname(os.path.abspath(course_lib.__file__)), sys.prefix, str(mpl_cache)]
    base = os.path.realpath(sys.base_prefix)  # the interpreter the environment was made from (a pyenv's)
    if any(base == h or base.startswith(h.rstrip("/") + "/")
           for h in map(os.path.realpath, hide + beyond_the_system())):
        show.append(sys.base_prefix)  # shown again where it lies in a hidden folder (the grader's home)
    spec = {
        "argv": kernel_argv(),
        "display_name": "Python 3 (grading sandbox)",
        "language": "python",
        "interrupt_mode": "message",
        "env": {
            "AUTOGRADE_CONFINE": "1" if available() else "0",  # argv starts the namespaces then
            # "none": a network namespace of its own (argv has --net; a fork makes one); the kernel's ZeroMQ
            # channels are then unix sockets in its working copy (`pool.ForkedKernelManager`, `confine`)
            "AUTOGRADE_NETWORK": "none" if network_isolated() else "host",
            "AUTOGRADE_HIDE": json.dumps(hide),
            "AUTOGRADE_SHOW": json.dumps(show),
            "AUTOGRADE_MEMORY": str(memory_limit or 0),
            # folders a site wants hidden from every kernel even where they lie inside a shown one
            "AUTOGRADE_HIDE_ALSO": os.environ.get("AUTOGRADE_HIDE_ALSO", "[]"),
            "AUTOGRADE_MPLCACHE": str(mpl_cache),
        },
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1))
    os.environ["JUPYTER_PATH"] = os.pathsep.join(
        [str(jupyter_dir)] + [p for p in os.environ.get("JUPYTER_PATH", "").split(os.pathsep) if p]
    )


def _build_font_cache(path):
    """Build matplotlib's font list once per worker, not once per kernel (it takes a second or two)."""
    subprocess.run(
        [sys.executable, "-c", "import matplotlib.font_manager"],
        env={**os.environ, "MPLCONFIGDIR": str(path)},
        check=False,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


# mount(2) and umount2(2) called directly, not through util-linux's mount(8): a confinement makes about 25 mounts,
# and each exec of mount(8) cost 5-20 ms of a submission's start (kernel and hidden-test worker alike).
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_NOSYMFOLLOW = 1, 2, 4, 8, 32, 256
MS_NOATIME, MS_NODIRATIME, MS_BIND, MS_REC, MS_PRIVATE, MS_RELATIME, MS_STRICTATIME = (
    1024, 2048, 4096, 16384, 1 << 18, 1 << 21, 1 << 24)
MNT_DETACH = 2
# The per-mount flags that /proc/self/mountinfo lists (its 6th field): a read-only remount keeps them, as
# mount(8)'s `-o remount,bind,ro` does.
MOUNT_FLAGS = {"nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": MS_NOEXEC, "noatime": MS_NOATIME,
               "nodiratime": MS_NODIRATIME, "relatime": MS_RELATIME, "strictatime": MS_STRICTATIME,
               "nosymfollow": MS_NOSYMFOLLOW}


def _mount(source, target, fstype=None, flags=0, options=None):
    """mount(2): raises OSError naming the target when the kernel refuses."""
    def c(text):
        return None if text is None else os.fsencode(text)

    _check(_libc().mount(c(source), c(target), c(fstype), flags, c(options)), f"mount {target}")


def _tmpfs(path, options=None):
    _mount("tmpfs", path, "tmpfs", 0, options)


def _bind(source, target):
    _mount(source, target, None, MS_BIND)  # as `mount --bind`: not recursive


def _unescape(field):
    """A path as /proc/self/mountinfo writes it: space, tab, newline and backslash as octal escapes."""
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def _mount_points():
    """(mount point, its per-mount flags) of every mount this process sees."""
    with open("/proc/self/mountinfo") as f:
        rows = [line.split() for line in f]
    return [(_unescape(r[4]), sum(MOUNT_FLAGS.get(o, 0) for o in r[5].split(","))) for r in rows]


def confine(workdir, connection_file, hide, show, hide_also=()):
    """Steps 1-4 of the module docstring; returns the connection file's path inside the sandbox. `hide_also`:
    folders hidden whatever else is shown (AUTOGRADE_HIDE_ALSO of the process's request, not of the template it
    may be forked from)."""
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    stage, keep, links = _stage(workdir, show)
    private_connection = _private_connection(workdir, connection_file) if connection_file else None
    _hide([*hide, *beyond_the_system()])
    for path in ("/tmp", "/dev/shm"):
        if os.path.isdir(path):
            _tmpfs(path, "mode=1777")
    _show_again(stage, keep, links)
    for path in hide_also:  # hidden whatever else is shown
        if os.path.isdir(path):
            _tmpfs(path, "mode=755,size=1m")
    _check(_libc().umount2(os.fsencode(stage), MNT_DETACH), f"umount {stage}")
    os.rmdir(stage)
    # The machine's unix sockets live under /run (PostgreSQL's, D-Bus's, Docker's): a network namespace does not
    # reach them (a socket with a path is reached through the file system), an empty /run does.
    for path in ("/run", "/var/run"):
        if os.path.isdir(path) and not os.path.islink(path):
            _tmpfs(path, "mode=755,size=1m")
    _read_only_but({os.path.realpath(workdir), "/tmp", "/dev/shm"})
    # The old cwd is the folder under the mounts, now read-only: enter the bind mount.
    os.chdir(os.path.realpath(workdir))
    return private_connection


def _stage(workdir, show):
    """Bind what stays visible (the shown folders that exist, and `workdir`) under a fresh tmpfs in /run, before
    anything is hidden; return (the stage, the kept folders in its order, {a shown link: its target})."""
    stage = tempfile.mkdtemp(prefix="autograde-", dir="/run")  # unique: every kernel is pid 1 in its namespace
    _tmpfs(stage)
    keep = sorted({os.path.realpath(p) for p in show if os.path.exists(p)}) + [os.path.realpath(workdir)]
    links = {
        os.path.abspath(p): os.path.realpath(p)
        for p in show
        if os.path.exists(p) and os.path.realpath(p) != os.path.abspath(p)
    }
    for i, path in enumerate(keep):
        os.makedirs(f"{stage}/{i}")
        _bind(path, f"{stage}/{i}")
    return stage, keep, links


def _private_connection(workdir, connection_file):
    """A copy of the kernel's connection file in its working copy (only it may read it); its path."""
    private_connection = os.path.join(workdir, ".kernel-connection.json")
    with open(connection_file) as f:
        info = json.load(f)
    if info.get("transport") == "ipc":  # (no network of its own: `pool.ipc_path`)
        # The grader reaches the working copy through a short link; the kernel binds its unix sockets there,
        # by a path relative to its working folder, which it stays in
        info["ip"] = os.path.basename(info["ip"])
    with open(os.open(private_connection, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
        json.dump(info, f)
    return private_connection


def _hide(paths):
    """An empty tmpfs over each folder, /dev/null over each file (links are left: what they name is hidden)."""
    for path in paths:
        if os.path.isdir(path) and not os.path.islink(path):
            _tmpfs(path, "mode=755,size=1m")
        elif os.path.isfile(path) and not os.path.islink(path):
            _bind("/dev/null", path)


def _show_again(stage, keep, links):
    """The staged folders bound back at their places, over what hid them; a shown link (a linked .venv) made again."""
    for i, path in enumerate(keep):
        os.makedirs(path, exist_ok=True)
        _bind(f"{stage}/{i}", path)
    for path, target in links.items():
        if not os.path.lexists(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
            os.symlink(target, path)


def _read_only_but(writable):
    """Remount every mount read-only (keeping its flags) but `writable` and /proc, /sys, /dev."""
    for point, flags in _mount_points():
        if point in writable or point.startswith(("/proc", "/sys", "/dev")):
            continue
        # A mount that refuses stays as it is; the sandbox test tells whether writes still get through.
        _libc().mount(None, os.fsencode(point), None, MS_REMOUNT | MS_BIND | MS_RDONLY | flags, None)


# The worker on a package of its own (`grade.grading_env`): isolated mode and no `site`, so neither PYTHONPATH,
# the user's site-packages nor the editable install's import hook (a .pth file) can bring the full course_lib
# back; then that package first, the environment's site-packages (passed in: no `site`, no venv prefix).
WORKER_BOOT = (
    "import runpy, sys; "
    "sys.path[:0] = sys.argv[1:2]; "
    "sys.path += sys.argv[2:]; "
    "sys.argv = sys.argv[:1]; "
    "runpy.run_module('course_lib.checks._trusted', run_name='__main__', alter_sys=True)"
)


def worker_argv(kernel_argv_):
    """The argv that starts the hidden tests' worker under the same confinement as a kernel of `kernel_argv_`."""
    at = kernel_argv_.index("autograde.engine.sandbox")
    return kernel_argv_[: at + 1] + ["--worker"]


# -- the same confinement in a process forked from a warm template (`engine._forkserver`, `engine.pool`) -----------
CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWNET = 0x00020000, 0x20000000, 0x40000000
PR_SET_PDEATHSIG, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 1, 24, 38, 47, 4


@functools.lru_cache(maxsize=None)
def _libc():
    return ctypes.CDLL(None, use_errno=True)


def _check(result, what):
    if result != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"{what}: {os.strerror(error)}")


def set_parent_death_signal(sig=9):
    """This process is killed when its parent dies (as `unshare --kill-child` does for its child)."""
    _check(_libc().prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0), "prctl(PR_SET_PDEATHSIG)")


def enter_namespaces(network=False):
    """As `unshare --mount --pid --fork --kill-child --mount-proc --propagation private` (with `network`, also
    `--net`), in this process: new mount and PID (and network) namespaces, then a fork; this process waits for the
    child (pid 1 of the new namespace, killed if this one dies) and exits with its status; the child returns,
    with its own /proc mounted."""
    _check(_libc().unshare(CLONE_NEWNS | CLONE_NEWPID | (CLONE_NEWNET if network else 0)), "unshare")
    pid = os.fork()
    if pid:
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        os._exit(code if code >= 0 else 128 - code)
    set_parent_death_signal()  # (its parent, outside the namespace, waits for it: it cannot have gone yet)
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)  # as unshare --mount-proc


def drop_privileges():
    """As `setpriv --bounding-set=-all --inh-caps=-all --no-new-privs`, then an exec as root would: no
    capability left (bounding, ambient, inheritable, permitted, effective), and none to be gained."""
    libc = _libc()
    with open("/proc/sys/kernel/cap_last_cap") as f:
        last = int(f.read())
    for cap in range(last + 1):
        _check(libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0), "prctl(PR_CAPBSET_DROP)")
    _check(libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), "prctl(PR_CAP_AMBIENT)")

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]

    _check(libc.capset(ctypes.byref(Header(0x20080522, 0)), (Data * 2)()), "capset")
    _check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(PR_SET_NO_NEW_PRIVS)")
    with open("/proc/self/status") as f:
        caps = {k: int(v, 16) for k, v in (line.split(":") for line in f if line.startswith("Cap"))}
    if any(caps.values()):
        raise OSError(f"capabilities left after dropping them: {caps}")


def forget_hidden_modules():
    """Forget every module the template imported from a file the sandbox now hides: importing it again fails
    here exactly as it would in a process started cold inside the sandbox (the canary then says why)."""
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None)
        if isinstance(path, str) and os.path.isabs(path) and not os.path.exists(path):
            del sys.modules[name]


def reseed():
    """Fresh random generators, as a fresh interpreter has: a forked child starts with its template's states."""
    random.seed()
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed()
    if "torch" in sys.modules:
        sys.modules["torch"].seed()


def run_forked(argv, env, cwd, mode):
    """`main(argv)` in a child of a warm template (`autograde.engine._forkserver`), with `env` for its environment and
    `cwd` for its folder: the same confinement, memory cap and environment, then the kernel or the worker runs
    in this process instead of being exec'd."""
    worker = argv[:1] == ["--worker"]
    if worker != (mode == "worker"):
        raise SystemExit(f"a {mode} template cannot start {argv[:1]}")
    os.chdir(cwd)
    env = scrubbed_env(env, home=cwd)  # (the template itself started from a scrubbed environment: `engine.pool`)
    connection_file, options = None, []
    if not worker:
        at = argv.index("-f")
        connection_file, options = argv[at + 1], argv[:at] + argv[at + 2:]
    memory = int(env.get("AUTOGRADE_MEMORY", "0"))
    network = env.pop("AUTOGRADE_NETWORK", "host")
    if env.pop("AUTOGRADE_CONFINE", "0") == "1":
        enter_namespaces(network=network == "none")
        connection_file = confine(cwd, connection_file, json.loads(env.get("AUTOGRADE_HIDE", "[]")),
                                  json.loads(env.get("AUTOGRADE_SHOW", "[]")),
                                  json.loads(env.get("AUTOGRADE_HIDE_ALSO") or "[]"))
        env.update(HOME=cwd, IPYTHONDIR=os.path.join(cwd, ".ipython"), JUPYTER_RUNTIME_DIR="/tmp")
        drop_privileges()
        forget_hidden_modules()
    cache = env.pop("AUTOGRADE_MPLCACHE", None)
    if cache and os.path.isdir(cache):
        shutil.copytree(cache, os.path.join(os.getcwd(), ".matplotlib"), dirs_exist_ok=True)
        env["MPLCONFIGDIR"] = os.path.join(os.getcwd(), ".matplotlib")
    for key in ("AUTOGRADE_HIDE", "AUTOGRADE_SHOW", "AUTOGRADE_WORKER_PATH", "AUTOGRADE_PRELOAD"):
        env.pop(key, None)
    if memory:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    os.environ.clear()
    os.environ.update(env)
    reseed()
    if worker:  # as WORKER_BOOT, whose sys.path the template already has
        sys.argv = sys.argv[:1]
        runpy.run_module("course_lib.checks._trusted", run_name="__main__", alter_sys=True)
        return 0
    sys.path[0:0] = [os.getcwd()]  # as `python -m ipykernel_launcher` in this folder
    sys.argv = ["ipykernel_launcher", "-f", connection_file, *options]
    from ipykernel.kernelapp import launch_new_instance  # about 0.4 s, and only a kernel runs it, not a worker

    launch_new_instance()
    return 0


def main(argv):
    worker = argv[:1] == ["--worker"]
    if not worker and "-f" not in argv[:-1]:
        sys.exit("usage: python -m autograde.engine.sandbox -f CONNECTION_FILE [kernel options] | --worker")
    if worker:
        connection_file, options = None, []
        program = ["-m", "course_lib.checks._trusted"]
        runs_on = os.environ.get("AUTOGRADE_WORKER_PATH")
        if runs_on:  # the grader's package for this assignment, and nothing of the full course package
            site = dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib"))  # without `site`, unknown
            program = ["-I", "-S", "-c", WORKER_BOOT, runs_on, *site]
    else:
        at = argv.index("-f")
        connection_file, options = argv[at + 1], argv[:at] + argv[at + 2 :]
        program = ["-m", "ipykernel_launcher", "-f", connection_file, *options]
    memory = int(os.environ.get("AUTOGRADE_MEMORY", "0"))
    env = scrubbed_env(os.environ, home=os.getcwd())
    env.pop("AUTOGRADE_NETWORK", None)  # (the argv made the network namespace: `kernel_argv`)
    command = [sys.executable, *program]
    if env.pop("AUTOGRADE_CONFINE", "0") == "1":
        hide = json.loads(env.get("AUTOGRADE_HIDE", "[]"))
        show = json.loads(env.get("AUTOGRADE_SHOW", "[]"))
        workdir = os.getcwd()
        connection_file = confine(workdir, connection_file, hide, show,
                                  json.loads(env.get("AUTOGRADE_HIDE_ALSO") or "[]"))
        env.update(HOME=workdir, IPYTHONDIR=os.path.join(workdir, ".ipython"), JUPYTER_RUNTIME_DIR="/tmp")
        if not worker:
            program = ["-m", "ipykernel_launcher", "-f", connection_file, *options]
        no_privileges = ["setpriv", "--bounding-set=-all", "--inh-caps=-all", "--no-new-privs", "--"]
        command = [*no_privileges, sys.executable, *program]
    cache = env.pop("AUTOGRADE_MPLCACHE", None)
    if cache and os.path.isdir(cache):  # a private, writable copy of the prebuilt font cache
        shutil.copytree(cache, os.path.join(os.getcwd(), ".matplotlib"), dirs_exist_ok=True)
        env["MPLCONFIGDIR"] = os.path.join(os.getcwd(), ".matplotlib")
    for key in ("AUTOGRADE_HIDE", "AUTOGRADE_SHOW", "AUTOGRADE_WORKER_PATH"):
        env.pop(key, None)
    if memory:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    os.execvpe(command[0], command, env)


if __name__ == "__main__":
    main(sys.argv[1:])
