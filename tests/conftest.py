"""Shared fixtures and factories for the test suite.

The suite runs in parallel processes (pytest-xdist, `-n` in pyproject.toml): many tests wait on kernels and
subprocesses rather than on the CPU. A module whose tests share a module-scoped fixture (one grading run read by
many tests) runs in one process, so the fixture is built once (`--dist loadgroup`, groups set below).

Every process of the suite runs torch (and numpy's BLAS) on one thread (ONE_THREAD, set here before anything
imports torch, and inherited by the kernels, graders and workers the tests start): three test processes share
two cores, and a second thread per process only spins waiting for a core. Measured on the whole suite
(2026-12-03, 2 cores): 984 CPU-s one thread, 1142 CPU-s torch's default. The tests of the thread context set
their own count (tests/threadcount.py); the notebooks' own runs (tests/test_notebooks.py) get torch's default
back, as a learner's kernel has it.
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

from autograde.engine.pool import ONE_THREAD  # (the grader's templates' setting; importing it imports no torch)

os.environ.update(ONE_THREAD)

import nbformat  # noqa: E402
import pytest  # noqa: E402

from autograde.steps import demo  # noqa: E402

if "torch" in sys.modules:  # (a plugin imported it before this file: the variables came too late for it)
    sys.modules["torch"].set_num_threads(1)

REPO = Path(__file__).resolve().parents[1]
# Where the students' code cannot get a network namespace of its own (not root), `grade` refuses unless told to go
# on (README: what a student's code can reach); the suite's own classes may reach the network, as before.
# tests/test_secrets.py checks the refusal without this.
os.environ.setdefault("AUTOGRADE_ALLOW_NETWORK", "1")
sys.path.insert(0, str(REPO / "notebooks"))  # `build` (the notebook builder) is importable in tests
os.environ.setdefault("MPLBACKEND", "Agg")
# The checks the suite calls keep no progress record in the folders it runs in (course_lib.progress); the tests of
# the record turn it on (tests/test_progress.py).
os.environ.setdefault("COURSE_PROGRESS", "0")


@pytest.fixture(scope="session")
def repo():
    return REPO


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the groups into the test ids
def pytest_collection_modifyitems(config, items):
    """Keep the tests of a module that share a module-scoped fixture in one worker process."""
    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        if info is None:
            continue
        if any(d.scope == "module" for name in info.names_closure for d in info.name2fixturedefs.get(name, ())):
            item.add_marker(pytest.mark.xdist_group(item.module.__name__))


@pytest.fixture(scope="session")
def _released_templates(tmp_path_factory):
    return {"root": tmp_path_factory.mktemp("released-templates"), "made": {}}


@pytest.fixture(scope="session")
def released_course(_released_templates):
    """A factory: `released_course(dest, *assignments, lang=None, hints=None)` gives a course folder at `dest` in
    which exactly those assignments (all of them, if none is named) are released, as `python -m autograde release
    ... [--lang LANG] [--hints STAGES] --course-dir dest` would leave it.

    Each release is made once per test process (a release costs seconds of nbgrader) and copied after that: a
    course folder holds no absolute path (tested in tests/test_suite_fixtures.py)."""
    def make(dest, *assignments, lang=None, hints=None):
        key = (tuple(assignments), lang, hints)
        made = _released_templates["made"]
        if key not in made:
            template = _released_templates["root"] / f"t{len(made)}" / "course"
            options = [*(["--lang", lang] if lang else []), *(["--hints", hints] if hints else [])]
            result = subprocess.run([sys.executable, "-m", "autograde", "release", *assignments, *options,
                                     "--course-dir", str(template)], capture_output=True, text=True)
            assert result.returncode == 0, result.stdout + result.stderr
            made[key] = template
        shutil.copytree(made[key], dest)
        return Path(dest)

    return make


class Release(NamedTuple):
    """One assignment released into a course folder, and what a test needs to hand in a class of it."""

    course_dir: Path
    released: nbformat.NotebookNode  # the student version, as released
    good: dict  # the source notebook's solutions by grade id, as a student who got everything right types them


@pytest.fixture(scope="session")
def release(released_course):
    """A factory: `release(dest, assignment)` releases one assignment into a course folder at `dest` (through
    `released_course`) and gives a `Release`: the folder, the student version and the right answers, the start of
    every test that grades a class."""
    def make(dest, assignment):
        course_dir = released_course(dest, assignment)
        released = nbformat.read(course_dir / "release" / assignment / f"{assignment}.ipynb", as_version=4)
        good = demo.solutions_of(nbformat.read(REPO / "notebooks" / f"{assignment}.ipynb", as_version=4))
        return Release(course_dir, released, good)

    return make
