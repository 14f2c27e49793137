"""Where things are: the source notebooks, the course folder nbgrader works in, and its configuration."""

import logging
import warnings
from pathlib import Path

from autograde.gradebook import config_file, db

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"
# Generated things live in folders git ignores, never beside the sources. The defaults are relative to the
# current folder: run from the repository (as `make` does) they are its course/ and lab/; run from an
# instructor's own folder, they never write into the repository.
DEFAULT_COURSE_DIR = Path("course")
DEFAULT_LAB_DIR = Path("lab")
LANGUAGES = ("en", "zh")  # the editions: English, and Simplified Chinese (notebooks/zh/)


def lab_dir(language="en"):
    """The learner's working folder of an edition: lab/ for English, lab-zh/ for Chinese."""
    return DEFAULT_LAB_DIR if language == "en" else Path(f"{DEFAULT_LAB_DIR}-{language}")
COURSE_ID = "transformers-first-principles"
DEFAULT_CELL_TIMEOUT = 120  # seconds per cell; nbgrader's 30 s default would kill the training cells
# Seconds for all the cells of one notebook together: the slowest honest notebook takes about 20 s under
# grading (benchmarks/RESULTS.md), so this fits it many times over, and one endless loop costs one cell limit.
DEFAULT_SUBMISSION_TIMEOUT = 300
# The kernel that grades: the confined one `sandbox.install_kernelspec` writes under this name. Named here,
# not read from the notebook: a notebook asks for the course's kernel (notebook.KERNELSPEC), which `make`
# registers for the learner, unconfined; a submission must never choose the kernel that runs it.
GRADING_KERNEL = "python3"


def assignments():
    """Every assignment, in course order: an assignment's id is its notebook's stem."""
    return sorted(p.stem for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def check_assignments(names):
    """The names given, or a plain-word error naming the ones that do not exist."""
    known = assignments()
    unknown = [n for n in names if n not in known]
    if unknown:
        raise SystemExit(f"error: no assignment named {', '.join(unknown)}; the assignments are: {', '.join(known)}")
    return list(names) or known


def nbgrader_config(course_dir, timeout=DEFAULT_CELL_TIMEOUT, own_settings=True,
                    submission_timeout=DEFAULT_SUBMISSION_TIMEOUT):
    """The nbgrader configuration of a course folder; every choice that departs from nbgrader says why.

    With `own_settings`, the course folder's `nbgrader_config.py` (the instructor's, see `config_file.write`) is
    read once, for its gradebook and its late-penalty settings, so the kit and nbgrader penalise alike. Without,
    it is not read: that is how the file itself asks (`configure_nbgrader`), and it sets its own lines after.
    """
    # traitlets (about 30 ms) is imported by the commands that configure nbgrader, not by every command
    from traitlets.config import Config

    own = config_file.read(course_dir) if own_settings else Config()
    c = Config()
    c.CourseDirectory.root = str(course_dir)
    c.CourseDirectory.course_id = COURSE_ID
    c.CourseDirectory.db_url = db.url(course_dir, own)  # gradebook.db, or the server `--db` or nbgrader_config.py names
    c.SurviveDeadKernel.kernel_name = GRADING_KERNEL
    c.SurviveDeadKernel.timeout = timeout
    c.SurviveDeadKernel.submission_timeout = submission_timeout or 0  # the whole notebook's wall-clock budget
    c.SurviveDeadKernel.allow_errors = True
    c.SurviveDeadKernel.interrupt_on_timeout = True  # an infinite loop costs its cell, and the notebook goes on
    # A deleted test or read-only cell comes back (then OverwriteCells restores its source from the
    # gradebook). NB: RestoreMissingCells must come before OverwriteCells, and nbgrader's own
    # add_missing_cells stays off: it fails when the cell before a deleted test cell is a locked cell.
    c.RestoreMissingCells.release_root = str(course_dir)
    c.Autograde.sanitize_preprocessors = [
        "nbgrader.preprocessors.ClearOutput",
        "autograde.engine.preprocessors.DropDuplicateIds",  # instead of nbgrader's DeduplicateIds, see its docstring
        "nbgrader.preprocessors.OverwriteKernelspec",
        "autograde.engine.preprocessors.RestoreMissingCells",
        "nbgrader.preprocessors.OverwriteCells",
        "nbgrader.preprocessors.CheckCellMetadata",
        # NB: StripHiddenTests must come after OverwriteCells (which puts the hidden tests back) and last: what
        # this pass leaves is written into the kernel's working folder, which the student's code can read.
        "autograde.engine.preprocessors.StripHiddenTests",
    ]
    c.Autograde.autograde_preprocessors = [
        "autograde.engine.preprocessors.SurviveDeadKernel",
        # NB: StderrToStdout must come after SurviveDeadKernel (nbgrader's Execute) and before
        # SaveAutoGrades: nbgrader scores a test cell with any stderr output 0, so a torch warning
        # would cost a correct answer its points.
        "autograde.engine.preprocessors.StderrToStdout",
        "nbgrader.preprocessors.LimitOutput",
        "autograde.engine.preprocessors.CapOutputSize",
        "nbgrader.preprocessors.SaveAutoGrades",
        "nbgrader.preprocessors.AssignLatePenalties",
        "nbgrader.preprocessors.CheckCellMetadata",
    ]
    if own_settings:
        c.LateSubmissionPlugin.merge(own.LateSubmissionPlugin)
    return c


# -- nbgrader's own commands on the course folder -------------------------------------------------------------
REFUSAL = ("this course is graded with `python -m autograde grade SUBMISSIONS --course-dir COURSE`, not with "
           "nbgrader's autograde: nbgrader alone would score the visible asserts only and never run the hidden "
           "tests (the kit decides them in its own process). Grades, feedback and formgrader's views come from "
           "that command; a later `grade` puts back any graded notebook nbgrader removed.")


def configure_nbgrader(c, course_dir):
    """What the course folder's `nbgrader_config.py` sets for nbgrader's own commands: the kit's configuration,
    the kit's submissions folder as nbgrader's `submitted/`, feedback without hidden tests, and an
    `nbgrader autograde` that refuses (it would score the visible asserts only)."""
    from traitlets.config import Application  # as in nbgrader_config: only where nbgrader is configured

    if Application.initialized() and "AutogradeApp" in {
            type(a).__name__ for a in (Application.instance(), getattr(Application.instance(), "subapp", None))}:
        raise SystemExit(f"error: {REFUSAL}")  # before nbgrader removes or overwrites anything (it does, with --force)
    c.merge(nbgrader_config(course_dir, own_settings=False))
    c.CourseDirectory.submitted_directory = config_file.SUBMISSIONS
    c.GenerateFeedback.preprocessors = [
        "nbgrader.preprocessors.GetGrades",
        "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
        "autograde.engine.preprocessors.HideHiddenTests",
        "autograde.steps.nbgrader_feedback.KitFeedback",  # the kit's page, not a second one of nbgrader's making
    ]
    c.KitFeedback.course_root = str(course_dir)
    # formgrader's autograde button, which reads this file when it starts, not when it grades: its first step
    # (sanitizing) refuses, so nothing after it runs
    c.Autograde.sanitize_preprocessors = ["autograde.engine.preprocessors.RefuseNbgraderAutograde"]
    return c


def api(course_dir, timeout=DEFAULT_CELL_TIMEOUT, submission_timeout=DEFAULT_SUBMISSION_TIMEOUT):
    """An nbgrader API object on a course folder, quiet unless something goes wrong."""
    # nbgrader (about 1.9 s) is imported by the commands that run it, not by `--help`
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    # nbgrader runs the `alembic` command to create a gradebook when the kit's in-process answer cannot be had
    # (autograde/__init__.py): find the one beside this interpreter, even when the virtual environment is not
    # activated (make calls .venv/bin/python directly).
    db.alembic_on_path()
    # nbgrader 0.9 on SQLAlchemy 2 warns of its own session handling on every submission: not ours to fix.
    warnings.filterwarnings("ignore", message=r".*not in session, add operation along.*")
    config_file.write(course_dir)
    config = nbgrader_config(course_dir, timeout, submission_timeout=submission_timeout)
    coursedir = CourseDirectory(config=config)
    nbgrader_api = NbGraderAPI(coursedir=coursedir, config=config)
    nbgrader_api.log.setLevel(logging.ERROR)
    return nbgrader_api
