"""The seam between `grade` and where its jobs run (autograde/backends/, autograde/engine/worker.py), without a
kernel: what a worker is handed, when it refuses, how a backend says that a job died. Grading a class on each
backend is tested in tests/test_scale_out.py."""

from concurrent.futures.process import BrokenProcessPool

import pytest

from autograde import backends
from autograde.backends import JobDied, Told, open_backend
from autograde.engine import worker


def test_a_backend_is_named_by_its_registry_line_and_a_wrong_name_lists_them():
    assert type(open_backend("inline")).__module__ == "autograde.backends.inline"
    assert type(open_backend("local", jobs=3)).__module__ == "autograde.backends.local"
    assert open_backend("local", jobs=3).jobs == 3
    named = "no grading backend named 'kubernetes'; the backends are: local, dask, inline"
    with pytest.raises(SystemExit, match=named):
        open_backend("kubernetes:cluster")
    with pytest.raises(SystemExit, match="takes no address"):
        open_backend("local:4")
    for name in backends.BACKENDS:  # `grade --help` lists every backend
        assert name in backends.described()


def test_a_job_that_died_is_told_as_such_and_other_errors_pass_through():
    class Future:
        def __init__(self, error):
            self.error = error

        def result(self):
            raise self.error

    with pytest.raises(JobDied, match="the grader's worker process died while grading it"):
        Told(Future(BrokenProcessPool("gone")), BrokenProcessPool, "the grader's worker process").result()
    with pytest.raises(ValueError, match="the submission's own"):
        Told(Future(ValueError("the submission's own")), BrokenProcessPool, "it").result()


def test_the_inline_backend_raises_a_tasks_error_where_a_pool_would_at_result():
    started = []

    def run(task):
        raise RuntimeError(f"failed on {task}")

    with open_backend("inline").workers(lambda setup, place: started.append(setup), run, "SETUP", "/nowhere") as jobs:
        future = jobs.submit("task 1")  # (no error yet: it comes with the result, as a pool's future brings it)
        with pytest.raises(RuntimeError, match="failed on task 1"):
            future.result()
    assert started == ["SETUP"]


def test_what_a_worker_is_handed_is_the_assignments_folders_and_the_gradebook_only(tmp_path):
    course = tmp_path / "course"
    for part in ("source", "release"):
        for a in ("03_x", "04_x"):
            (course / part / a / ".ipynb_checkpoints").mkdir(parents=True)
            (course / part / a / f"{a}.ipynb").write_text(f"{part} {a}")
            (course / part / a / ".ipynb_checkpoints" / f"{a}-checkpoint.ipynb").write_text("old")
    (course / "gradebook.db").write_text("every student's grades")
    (tmp_path / "structure.db").write_text("the assignments' structure")
    setup = worker.pack(course, ["03_x"], tmp_path / "structure.db", "code", hide=[], memory_limit=0)
    assert setup.files == {"gradebook.db": b"the assignments' structure", "source/03_x/03_x.ipynb": b"source 03_x",
                           "release/03_x/03_x.ipynb": b"release 03_x"}
    again = worker.pack(course, ["03_x"], tmp_path / "structure.db", "code", hide=[], memory_limit=0)
    assert again.key == setup.key  # a worker sets up once per key
    (course / "source" / "03_x" / "03_x.ipynb").write_text("changed")
    for other in (worker.pack(course, ["03_x"], tmp_path / "structure.db", "code", hide=[], memory_limit=0),
                  worker.pack(course, ["03_x"], tmp_path / "structure.db", "code", hide=[], memory_limit=2**30)):
        assert other.key != setup.key


def test_a_worker_whose_course_code_is_not_the_coordinators_refuses_as_a_grader_fault():
    """A worker machine with another version of course_lib installed would grade with other checks: every task of
    it is a grader fault that says so, and no package is built."""
    job = worker.Worker.__new__(worker.Worker)  # (no kernelspec, no scratch folder: only what `_build` reads)
    job.setup = worker.Setup(files={}, code="not this version", hide=[], memory_limit=0)
    job.envs, job.unbuilt, job.cache = {}, {}, None
    job._build("03_self_attention")
    assert "this worker's course code is not the coordinator's" in job.unbuilt["03_self_attention"]
    assert job.envs == {}


def test_the_coordinator_reads_which_exercise_builds_on_which_from_the_graded_notebook_without_torch():
    """The grading job writes the table the checks give (`results.builds_on`) into the notebook it hands back; the
    grader's main process reads it from there and never imports the checks (torch: seconds and 200 MB) for it."""
    import subprocess
    import sys

    code = """if True:
        import sys
        from autograde.engine.log import ExerciseResult
        from autograde.engine.results import with_dependencies

        def result(name, passed):
            return ExerciseResult(f"test_{name}", name, float(passed), 1.0, passed, "" if passed else "wrong", "")

        out = with_dependencies([result("Encoder", False), result("EncoderLayer", False)], "en",
                                {"Encoder": ["EncoderLayer"]})
        print(out[0].builds_on, "torch" in sys.modules)
    """
    said = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert said == ["EncoderLayer", "False"]
    table = worker.results.builds_on()  # what the job writes: the checks' own, in plain data
    assert table and all(isinstance(v, (list, tuple)) and all(isinstance(d, str) for d in v) for v in table.values())
