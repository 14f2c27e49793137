"""Where things are: the source notebooks, the course folder nbgrader works in, and its configuration."""

from pathlib import Path

from . import db

REPO = Path(__file__).resolve().parents[1]
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

    With `own_settings`, the late-penalty settings of the course folder's `nbgrader_config.py` (the
    instructor's, see `write_nbgrader_config`) are read too, so the kit and nbgrader penalise alike.
    """
    from traitlets.config import Config

    c = Config()
    c.CourseDirectory.root = str(course_dir)
    c.CourseDirectory.course_id = COURSE_ID
    c.CourseDirectory.db_url = db.url(course_dir)  # gradebook.db, or the server `--db` or nbgrader_config.py names
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
        "autograde.preprocessors.DropDuplicateIds",  # instead of nbgrader's DeduplicateIds, see its docstring
        "nbgrader.preprocessors.OverwriteKernelspec",
        "autograde.preprocessors.RestoreMissingCells",
        "nbgrader.preprocessors.OverwriteCells",
        "nbgrader.preprocessors.CheckCellMetadata",
        # NB: StripHiddenTests must come after OverwriteCells (which puts the hidden tests back) and last: what
        # this pass leaves is written into the kernel's working folder, which the student's code can read.
        "autograde.preprocessors.StripHiddenTests",
    ]
    c.Autograde.autograde_preprocessors = [
        "autograde.preprocessors.SurviveDeadKernel",
        # NB: StderrToStdout must come after SurviveDeadKernel (nbgrader's Execute) and before
        # SaveAutoGrades: nbgrader scores a test cell with any stderr output 0, so a torch warning
        # would cost a correct answer its points.
        "autograde.preprocessors.StderrToStdout",
        "nbgrader.preprocessors.LimitOutput",
        "autograde.preprocessors.CapOutputSize",
        "nbgrader.preprocessors.SaveAutoGrades",
        "nbgrader.preprocessors.AssignLatePenalties",
        "nbgrader.preprocessors.CheckCellMetadata",
    ]
    if own_settings:
        c.LateSubmissionPlugin.merge(_own_settings(course_dir).LateSubmissionPlugin)
    return c


# -- nbgrader's own commands on the course folder -------------------------------------------------------------
CONFIG_FILE = "nbgrader_config.py"
SUBMISSIONS = "submissions"  # where `collect` (and, through this configuration, `nbgrader collect`) put them
CONFIG_TEXT = f'''"""nbgrader's own tools on this course folder agree with `python -m autograde`, which wrote this file.

Run from this folder, `nbgrader generate_feedback`, `nbgrader export`, `nbgrader db ...` and formgrader see the
kit's gradebook, its `{SUBMISSIONS}/` folder as nbgrader's `submitted/`, and the submission times `collect`
records; feedback never shows the hidden-test regions; `nbgrader autograde` refuses and names the kit's
`grade` (nbgrader alone cannot decide the hidden verdicts). Keep the two lines below; add your own settings after them.
"""
import os

from autograde.course import configure_nbgrader

c = get_config()  # noqa: F821 - nbgrader (traitlets) defines it when it reads this file
configure_nbgrader(c, os.path.dirname(os.path.abspath(__file__)))

# Late submissions. Set each due date with nbgrader, e.g.
#   nbgrader db assignment add 03_self_attention --duedate "2026-12-01 17:00:00 UTC"
# and every grading records how late each submission was (from the time `collect` wrote beside it). A penalty
# is applied only if you choose one: "zero" scores a late submission 0 (nbgrader's plugin; "none" records only).
# c.LateSubmissionPlugin.penalty_method = "zero"

# The gradebook in PostgreSQL instead of the sqlite file gradebook.db (any SQLAlchemy URL; psycopg is installed).
# `python -m autograde migrate-db --to URL` copies the sqlite gradebook across and writes this line itself.
# c.CourseDirectory.db_url = "postgresql://grader@db.example.org:5432/course"
'''


def write_nbgrader_config(course_dir):
    """Write the course folder's `nbgrader_config.py` unless it is there (the instructor's edits are kept)."""
    path = Path(course_dir) / CONFIG_FILE
    if not path.exists():
        Path(course_dir).mkdir(parents=True, exist_ok=True)
        path.write_text(CONFIG_TEXT)
    return path


def configure_nbgrader(c, course_dir):
    """What the course folder's `nbgrader_config.py` sets for nbgrader's own commands: the kit's configuration,
    the kit's submissions folder as nbgrader's `submitted/`, feedback without hidden tests, and an
    `nbgrader autograde` that refuses (it would score the visible asserts only)."""
    from traitlets.config import Application

    from .preprocessors import REFUSAL

    if Application.initialized() and "AutogradeApp" in {
            type(a).__name__ for a in (Application.instance(), getattr(Application.instance(), "subapp", None))}:
        raise SystemExit(f"error: {REFUSAL}")  # before nbgrader removes or overwrites anything (it does, with --force)
    c.merge(nbgrader_config(course_dir, own_settings=False))
    c.CourseDirectory.submitted_directory = SUBMISSIONS
    c.GenerateFeedback.preprocessors = [
        "nbgrader.preprocessors.GetGrades",
        "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
        "autograde.preprocessors.HideHiddenTests",
        "autograde.preprocessors.KitFeedback",  # the kit's page, not a second one of nbgrader's making
    ]
    c.KitFeedback.course_root = str(course_dir)
    # formgrader's autograde button, which reads this file when it starts, not when it grades: its first step
    # (sanitizing) refuses, so nothing after it runs
    c.Autograde.sanitize_preprocessors = ["autograde.preprocessors.RefuseNbgraderAutograde"]
    return c


def _own_settings(course_dir):
    """The configuration the course folder's `nbgrader_config.py` makes (empty when there is none)."""
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    path = Path(course_dir) / CONFIG_FILE
    if not path.exists():
        return Config()
    try:
        return PyFileConfigLoader(path.name, str(path.parent.resolve())).load_config()
    except Exception as error:  # noqa: BLE001 - the instructor's file: say which and why, in plain words
        raise SystemExit(f"error: {path} cannot be read ({type(error).__name__}: {error}); fix it, or delete it "
                         f"and `python -m autograde release` writes a fresh one") from None


def api(course_dir, timeout=DEFAULT_CELL_TIMEOUT, submission_timeout=DEFAULT_SUBMISSION_TIMEOUT):
    """An nbgrader API object on a course folder, quiet unless something goes wrong."""
    import logging
    import os
    import sys
    import warnings

    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    # nbgrader runs the `alembic` command to create a gradebook when the kit's in-process answer cannot be had
    # (autograde/__init__.py): find the one beside this interpreter, even when the virtual environment is not
    # activated (make calls .venv/bin/python directly).
    bin_dir = os.path.dirname(sys.executable)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
    # nbgrader 0.9 on SQLAlchemy 2 warns of its own session handling on every submission: not ours to fix.
    warnings.filterwarnings("ignore", message=r".*not in session, add operation along.*")
    write_nbgrader_config(course_dir)
    config = nbgrader_config(course_dir, timeout, submission_timeout=submission_timeout)
    coursedir = CourseDirectory(config=config)
    nbgrader_api = NbGraderAPI(coursedir=coursedir, config=config)
    nbgrader_api.log.setLevel(logging.ERROR)
    return nbgrader_api
