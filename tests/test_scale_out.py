"""Beyond one machine, on the engines instructors already run: the gradebook in a real PostgreSQL server (started by
the test on 127.0.0.1), students on nbgrader's exchange, grading on a Dask cluster. One small class of notebook 03
(honest, buggy, hostile and broken) is graded once by the local grader on sqlite; every other route must give
exactly its grades."""

import csv
import glob
import io
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import nbformat
import pytest
from commandline import autograde

from autograde.gradebook import db
from autograde.gradebook.course import COURSE_ID
from autograde.steps.demo import hand_in, solutions_of, student_notebook

# One worker process for the whole module (pytest-xdist): its tests share one graded class and one server.
pytestmark = pytest.mark.xdist_group("test_scale_out")
NB, NB2 = "03_self_attention", "04_multi_head_attention"
PATCH_CHECKS = ("import course_lib.checks as c, course_lib.checks.self_attention as m\n"
                "c.check_scaled_dot_product_attention = lambda f: None\nm.SDPA.check = lambda *a, **k: True")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _class(released, good):
    """student id -> what they hand in: honest, buggy, hostile (patches the checks) and broken (not JSON)."""
    unscaled = good["scaled_dot_product_attention"].replace(" / math.sqrt(d_k)", "")
    assert unscaled != good["scaled_dot_product_attention"]
    return {
        "honest": student_notebook(released, good),
        "buggy": student_notebook(released, {**good, "scaled_dot_product_attention": unscaled}),
        "hostile": student_notebook(released, {**good, "scaled_dot_product_attention": unscaled},
                                    extra_cells=[(2, PATCH_CHECKS)]),
        "broken": b'{"cells": [ this is not json',
    }


def _csv(course_dir, *args):
    out = course_dir.parent / f"{course_dir.name}-{len(list(course_dir.parent.glob('*.csv')))}.csv"
    autograde("export", "--course-dir", course_dir, "--csv", out, *args)
    return out.read_text()


@pytest.fixture(scope="module")
def local_class(tmp_path_factory, release):
    """The class graded by the local grader (process pool) into the sqlite gradebook: the reference result."""
    root = tmp_path_factory.mktemp("scale")
    course_dir, subs = root / "local", root / "submissions"
    released, good = release(course_dir, NB)[1:]
    for student, content in _class(released, good).items():
        hand_in(subs, student, NB, content)
    (subs / "honest" / NB / "timestamp.txt").write_text("2026-12-01 09:00:00.000000 UTC")  # as collect writes it
    autograde("grade", subs, "--course-dir", course_dir, "--no-progress", "--timeout", "30", check=False)
    return {"root": root, "course_dir": course_dir, "subs": subs, "csv": _csv(course_dir), "good": good,
            "released": released}


def test_the_local_grades_are_the_ones_the_class_deserves(local_class):
    """The reference the other routes are held to is itself right (8 points in 03; SDPA is worth 4)."""
    rows = {r["student_id"]: (r["score"], r["status"]) for r in csv.DictReader(io.StringIO(local_class["csv"]))}
    assert rows == {"honest": ("8", "graded"), "buggy": ("4", "graded"), "hostile": ("4", "graded"),
                    "broken": ("0", "rejected")}


# -- PostgreSQL -------------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def postgres():
    """A PostgreSQL server of its own on 127.0.0.1 (Debian's postgresql package, which .ci/run installs), in a
    temporary folder, stopped at the end; yields a function that makes a new empty database and returns its URL."""
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not bins:
        pytest.skip("PostgreSQL is not installed here (no /usr/lib/postgresql/*/bin/initdb): install Debian's "
                    "postgresql package (`apt-get install postgresql`, as .ci/run does) to run the gradebook tests")
    psycopg = pytest.importorskip("psycopg", reason="psycopg (pinned in pyproject.toml) is not installed")
    bin_dir = os.path.dirname(bins[-1])
    folder = tempfile.mkdtemp(prefix="autograde-pg-")
    as_user = []
    if os.geteuid() == 0:  # initdb refuses root: the server runs as the package's own user (else nobody)
        user = "postgres" if _user_exists("postgres") else "nobody"
        shutil.chown(folder, user)
        as_user = ["runuser", "-u", user, "--"]
    data, port = os.path.join(folder, "data"), _free_port()
    subprocess.run([*as_user, f"{bin_dir}/initdb", "-D", data, "-A", "trust", "-U", "postgres", "--no-sync"],
                   check=True, capture_output=True)
    subprocess.run([*as_user, f"{bin_dir}/pg_ctl", "-D", data, "-l", os.path.join(folder, "log"), "-w", "start",
                    "-o", f"-h 127.0.0.1 -p {port} -k {folder} -F"], check=True, capture_output=True)
    base = f"postgresql://postgres@127.0.0.1:{port}"

    def new_database(name):
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"{base}/{name}"

    try:
        yield new_database
    finally:
        subprocess.run([*as_user, f"{bin_dir}/pg_ctl", "-D", data, "-m", "fast", "-w", "stop"], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def _user_exists(name):
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def test_two_graders_on_one_postgres_gradebook_lose_nothing_and_export_as_sqlite(postgres, local_class, repo):
    """Two graders, each in its own course folder, grade 03 and 04 of the same students at the same time into
    one PostgreSQL gradebook: every grade arrives, and 03's CSV is the sqlite gradebook's, byte for byte."""
    url, root = postgres("two_graders"), local_class["root"]
    a, b, subs_b = root / "grader_a", root / "grader_b", root / "submissions_04"
    autograde("release", NB, "--course-dir", a, "--db", url)
    autograde("release", NB2, "--course-dir", b, "--db", url)
    released = nbformat.read(b / "release" / NB2 / f"{NB2}.ipynb", as_version=4)
    good = solutions_of(nbformat.read(repo / "notebooks" / f"{NB2}.ipynb", as_version=4))
    hand_in(subs_b, "honest", NB2, student_notebook(released, good))
    hand_in(subs_b, "buggy", NB2, student_notebook(released, {}))
    graders = [subprocess.Popen([sys.executable, "-m", "autograde", "grade", str(subs), "--course-dir", str(course),
                                 "--db", url, "--no-progress", "--timeout", "30"], stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
               for course, subs in ((a, local_class["subs"]), (b, subs_b))]
    outputs = [g.communicate(timeout=600)[0] for g in graders]
    assert not (a / "gradebook.db").exists() and not (b / "gradebook.db").exists(), "no sqlite beside the server"
    assert _csv(a, "--db", url, "--assignment", NB) == local_class["csv"], outputs[0]
    rows = {r["student_id"]: (r["score"], r["max_score"], r["status"])
            for r in csv.DictReader(io.StringIO(_csv(b, "--db", url, "--assignment", NB2)))}
    assert rows["honest"][0] == rows["honest"][1] != "0" and rows["honest"][2] == "graded", outputs[1]
    assert rows["buggy"][0] == "0" and rows["buggy"][2] == "graded", outputs[1]
    from nbgrader.api import Gradebook, SubmittedAssignment

    with Gradebook(url, course_id="transformers-first-principles") as gb:
        graded = sorted((s.assignment.name, s.student.id) for s in gb.db.query(SubmittedAssignment))
        students = sorted(s.id for s in gb.students)
    # every graded submission of both graders; the broken file is rejected (its student is there, scoring 0)
    assert graded == [(NB, "buggy"), (NB, "honest"), (NB, "hostile"), (NB2, "buggy"), (NB2, "honest")]
    assert students == ["broken", "buggy", "honest", "hostile"]


INTRUDER = """
try:
    import psycopg
    with psycopg.connect("URL", connect_timeout=5, autocommit=True) as _conn:
        _conn.execute("UPDATE grade SET manual_score = 100")
    print("GRADEBOOK reached")
except Exception as _error:
    print("GRADEBOOK " + type(_error).__name__)
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="the network namespace that keeps the gradebook out of reach needs root")
def test_a_students_code_cannot_reach_the_postgres_gradebook(postgres, tmp_path, release):
    """Issue 28's attack on a real PostgreSQL gradebook (trust authentication on 127.0.0.1, as a careless set-up
    has): a solution cell connects with the gradebook's own URL and tries to rewrite every grade. No connection
    is made, the submission is graded as what it handed in, and no grade was rewritten."""
    url = postgres("intruded")
    course_dir, released, good = release(tmp_path / "course", NB)
    autograde("migrate-db", "--course-dir", course_dir, "--to", url)
    attack = good["padding_mask"] + "\n" + INTRUDER.replace("URL", url)
    hand_in(tmp_path / "subs", "intruder", NB, student_notebook(released, {**good, "padding_mask": attack}))
    autograde("grade", tmp_path / "subs", "--course-dir", course_dir, "--no-progress")
    graded = nbformat.read(course_dir / "autograded" / "intruder" / NB / f"{NB}.ipynb", as_version=4)
    said = "".join(o.get("text", "") for c in graded.cells for o in c.get("outputs", []))
    assert "GRADEBOOK " in said and "GRADEBOOK reached" not in said, said[-2000:]
    rows = list(csv.DictReader(io.StringIO(_csv(course_dir, "--assignment", NB))))
    assert [(r["student_id"], float(r["score"]), float(r["max_score"])) for r in rows] == [("intruder", 8.0, 8.0)]
    import psycopg

    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT count(*) FROM grade WHERE manual_score = 100").fetchone()[0] == 0


def test_migrate_db_copies_every_row_and_round_trips(postgres, local_class, tmp_path):
    """sqlite -> PostgreSQL -> sqlite: grades, comments and timestamps arrive unchanged, and the course then uses
    the new gradebook (the kit's commands and nbgrader's read it from nbgrader_config.py)."""
    from nbgrader.api import Comment, Gradebook

    course_dir = tmp_path / "course"
    shutil.copytree(local_class["course_dir"], course_dir)
    with Gradebook(db.sqlite_url(course_dir), course_id="transformers-first-principles") as gb:
        comment = gb.db.query(Comment).first()
        comment.manual_comment = "Well argued: see the scaling."
        gb.db.commit()
    before = db.table_rows(db.sqlite_url(course_dir))
    assert "datetime(2026, 12, 1, 9, 0" in str(before["submitted_assignment"])
    assert "Well argued" in str(before["comment"])
    assert len(before["grade"]) > 0
    url = postgres("migrated")
    moved = autograde("migrate-db", "--to", url, "--course-dir", course_dir)
    assert "checked row by row" in moved.stdout
    assert f"c.CourseDirectory.db_url = {url!r}" in (course_dir / "nbgrader_config.py").read_text()
    assert db.table_rows(url) == before
    assert _csv(course_dir) == local_class["csv"]  # no --db: the course's configuration names the server
    back = f"sqlite:///{tmp_path / 'back.db'}"
    autograde("migrate-db", "--to", back, "--course-dir", course_dir)
    assert db.table_rows(back) == before
    refused = autograde("migrate-db", "--to", url, "--course-dir", course_dir, check=False)
    assert refused.returncode != 0 and "already holds data" in refused.stderr


# -- nbgrader's exchange --------------------------------------------------------------------------------------------
def _nbgrader(*args, cwd, env=None):
    """nbgrader's own command line, as a student on JupyterHub or the instructor runs it."""
    return subprocess.run([sys.executable, "-m", "nbgrader", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=env)


def _jupyter_get(cwd, *paths, env=None):
    """GET each of `paths` (JSON, or None where the server answers 404) from a Jupyter server started in `cwd`
    (as an instructor opens formgrader in the course folder, or a student's server on the hub starts in their
    home); the server is stopped after."""
    token, port = "scale-out-test", _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "server", "--no-browser", f"--port={port}", f"--ServerApp.token={token}",
         "--allow-root"], cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base, deadline, answers = f"http://127.0.0.1:{port}", time.monotonic() + 120, []
    try:
        for path in paths:
            while True:
                try:
                    request = urllib.request.Request(f"{base}/{path}", headers={"Authorization": f"token {token}"})
                    with urllib.request.urlopen(request, timeout=10) as response:
                        answers.append(json.loads(response.read()))
                    break
                except urllib.error.HTTPError as error:
                    assert error.code == 404, (path, error.code)
                    answers.append(None)
                    break
                except OSError:
                    assert server.poll() is None and time.monotonic() < deadline, "jupyter server did not start"
                    time.sleep(0.5)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return answers


def test_students_fetch_and_submit_on_nbgraders_exchange_and_are_graded(local_class, tmp_path):
    """release --exchange -> nbgrader fetch_assignment and submit (ada and bob, with nbgrader's own commands) ->
    collect --exchange -> grade: formgrader shows the assignment released and both submissions graded."""
    course_dir, exchange = tmp_path / "hub-course", tmp_path / "exchange"
    exchange.mkdir()
    published = autograde("release", NB, "--course-dir", course_dir, "--exchange", exchange)
    assert f"--course {COURSE_ID}" in published.stdout and "student_hub_config" in published.stdout
    # A student's server on the hub, with the configuration release wrote: the Assignments tab's API lists the
    # assignment as released on the exchange; formgrader, the instructor's, is not there.
    hub = course_dir / "student_hub_config"
    carol = tmp_path / "carol"
    carol.mkdir()
    listed, formgrader = _jupyter_get(carol, f"assignments?course_id={COURSE_ID}", "formgrader/api/assignments",
                                      env={**os.environ, "HOME": str(carol), "JUPYTER_CONFIG_PATH": str(hub)})
    assert listed["success"] and [(a["assignment_id"], a["status"]) for a in listed["value"]] == [(NB, "released")]
    assert formgrader is None
    disabled = json.loads((hub / "labconfig" / "page_config.json").read_text())["disabledExtensions"]
    assert "@jupyter/nbgrader:formgrader" in disabled and "@jupyter/nbgrader:assignment-list" not in disabled
    answers = {"ada": local_class["good"], "bob": {}}
    for student, solution in answers.items():
        home = tmp_path / student
        home.mkdir()
        env = {**os.environ, "HOME": str(home)}
        common = ["--course", COURSE_ID, f"--Exchange.root={exchange}"]
        fetched = _nbgrader("fetch_assignment", NB, *common, cwd=home, env=env)
        assert fetched.returncode == 0, fetched.stderr
        path = home / NB / f"{NB}.ipynb"
        nbformat.write(student_notebook(nbformat.read(path, as_version=4), solution), path)
        submitted = _nbgrader("submit", NB, *common, f"--student={student}", cwd=home, env=env)
        assert submitted.returncode == 0, submitted.stderr
    collected = autograde("collect", "--exchange", "--course-dir", course_dir)
    assert f"{NB}: 2 submission(s)" in collected.stdout and "(ada, bob)" in collected.stdout
    for student in answers:
        assert (course_dir / "submissions" / student / NB / "timestamp.txt").read_text().startswith("20")
    autograde("grade", course_dir / "submissions", "--course-dir", course_dir, "--no-progress", "--timeout", "30")
    assignments, submissions = _jupyter_get(course_dir, "formgrader/api/assignments",
                                            f"formgrader/api/submissions/{NB}")
    ((name, status, count),) = [(a["name"], a["status"], a["num_submissions"]) for a in assignments]
    assert (name, status, count) == (NB, "released", 2)
    assert {s["student"]: (s["autograded"], s["score"]) for s in submissions} == {
        "ada": (True, 8.0), "bob": (True, 0.0)}


# -- Dask ------------------------------------------------------------------------------------------------------------
def _verdicts(outcomes):
    """What a grader decided of each submission: status, score, the points of each exercise, and the notes."""
    return {o.student: (o.status, o.score, [(r.exercise, r.points) for r in o.exercises], sorted(o.notes))
            for o in outcomes}


@pytest.fixture
def walled_off_workers(local_class, tmp_path_factory):
    """A Dask LocalCluster's scheduler and two `dask worker` processes that share no folder with the grader: each
    runs in its own mount namespace, in an empty working folder of its own, where the whole folder of this module's
    class (course folders and submissions) is an empty tmpfs. Yields the scheduler's address and the folders."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        pytest.skip("walling the workers off needs root and unshare (Linux)")
    from distributed import Client, LocalCluster

    hidden = str(local_class["root"])
    cluster = LocalCluster(n_workers=0, processes=True, dashboard_address=None)
    folders = [tmp_path_factory.mktemp("dask-worker") for _ in range(2)]
    wall = ('mount --make-rprivate / && mount -t tmpfs walled-off "$1" && cd "$2" && exec "$3" -m '
            'distributed.cli.dask_worker "$4" --nworkers 1 --nthreads 1 --memory-limit 0 --no-dashboard '
            '--local-directory "$2"')
    workers = [subprocess.Popen(["unshare", "--mount", "sh", "-c", wall, "sh", hidden, str(folder), sys.executable,
                                 cluster.scheduler_address], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
               for folder in folders]
    client = Client(cluster)
    try:
        client.wait_for_workers(2, timeout=120)
        yield {"address": cluster.scheduler_address, "client": client, "folders": folders}
    finally:
        client.close()
        for process in workers:
            process.terminate()
            process.wait(timeout=60)
        cluster.close()


def test_dask_workers_without_the_course_or_the_submissions_grade_exactly_as_the_local_grader(
        local_class, walled_off_workers):
    """`grade --backend dask:ADDRESS` on workers that cannot read the course folder or the submissions (no shared
    file system) and run in empty folders of their own: the local pool's scores, notes and CSV. The setup and each
    submission travel with the tasks; each worker builds its grading package in its own folder."""
    from autograde.engine.log import read_log

    client, folders = walled_off_workers["client"], walled_off_workers["folders"]
    subs, course_dir = local_class["subs"], local_class["root"] / "on-dask"

    def sees():
        return os.getcwd(), os.listdir(local_class["root"]), os.path.exists(subs / "honest")

    seen = client.run(sees)
    assert sorted(cwd for cwd, _, _ in seen.values()) == sorted(map(str, folders)), seen
    assert all(listed == [] and not found for _, listed, found in seen.values()), seen
    run = autograde("grade", subs, "--course-dir", course_dir, "--backend",
                    f"dask:{walled_off_workers['address']}", "--no-progress", "--timeout", "30")
    assert "hostile" in run.stdout
    assert _verdicts(read_log(course_dir).values()) == _verdicts(read_log(local_class["course_dir"]).values())
    assert _csv(course_dir) == local_class["csv"]
    # what a worker wrote stayed in its own folder, and its package was built there (a worker Dask gave no task
    # builds none: which one gets the class is Dask's choice)
    built = [f for f in folders if list(f.glob("**/.grading-env/*/03_self_attention/course_lib"))]
    assert built, [sorted(f.rglob("*"))[:10] for f in folders]
    assert not (course_dir / ".grading-env").exists(), "the coordinator built no package: the workers did"


def test_the_inline_backend_grades_exactly_as_the_local_grader(local_class):
    """`grade --backend inline`: the smallest backend (autograde/backends/inline.py: every task in the grading
    process, one after another) gives the local pool's scores and notes. A backend is one module and a line."""
    from autograde.engine.log import read_log

    course_dir, some = local_class["root"] / "inline", ("hostile", "broken")  # (one after another: two will do)
    run = autograde("grade", local_class["subs"], "--course-dir", course_dir, "--backend", "inline", "--no-progress",
                    "--timeout", "30", *[a for s in some for a in ("--student", s)])
    assert "hostile" in run.stdout
    local = _verdicts(read_log(local_class["course_dir"]).values())
    assert _verdicts(read_log(course_dir).values()) == {s: local[s] for s in some}


def test_a_dask_worker_killed_mid_task_changes_no_grade(local_class):
    """A worker process killed while it grades: its task is graded again on a restarted worker, and every grade is
    still the local grader's."""
    import signal
    import threading

    from autograde.backends import open_backend
    from autograde.engine.log import read_log
    from autograde.steps import grade

    backend = open_backend("dask:local:2")
    client, killed, stop = backend.client, [], threading.Event()

    def kill_a_busy_worker():
        pids = client.run(os.getpid)  # worker address -> its process id
        while not stop.is_set():
            busy = [address for address, keys in client.processing().items() if keys]
            if busy:
                time.sleep(1.0)  # well into the task
                os.kill(pids[busy[0]], signal.SIGKILL)
                killed.append(busy[0])
                return
            time.sleep(0.1)

    killer = threading.Thread(target=kill_a_busy_worker)
    killer.start()
    try:
        outcomes = grade.grade(local_class["subs"], local_class["root"] / "dask-killed", jobs=2, timeout=30,
                               progress=False, backend=backend)
    finally:
        stop.set()
        killer.join()
        backend.close()
    assert killed, "no worker was killed: the test proved nothing"
    assert _verdicts(outcomes) == _verdicts(read_log(local_class["course_dir"]).values())


def test_the_dask_connection_is_closed_when_grading_fails(tmp_path, released_course, monkeypatch):
    """`grade --dask`: an error while grading still closes the connection to the cluster (it is in a `finally`)."""
    import autograde.backends.dask
    import autograde.steps.grade
    from autograde import cli

    course_dir = released_course(tmp_path / "course", "03_self_attention")
    (tmp_path / "subs").mkdir()
    closed = []
    class Connection:
        def __init__(self, address):
            self.address = address

        def close(self):
            closed.append(self.address)

    monkeypatch.setattr(autograde.backends.dask, "connect", lambda address: (object(), [Connection(address)]))

    def fails(*args, **kwargs):
        raise RuntimeError("the grader failed")

    monkeypatch.setattr(autograde.steps.grade, "grade", fails)
    with pytest.raises(RuntimeError, match="the grader failed"):
        cli.main(["grade", str(tmp_path / "subs"), "--course-dir", str(course_dir), "--dask", "tcp://nowhere:1",
                  "--no-progress"])
    assert closed == ["tcp://nowhere:1"]
