"""The course folder's `nbgrader_config.py`: its name, the text the kit writes there, and what it sets.

The bottom of the grader's imports: it imports nothing of the kit, so the course's settings (`course`) and the
gradebook's address (`db`) both read the file through it. When the file runs (nbgrader's own commands, or `read`),
it calls `autograde.gradebook.course.configure_nbgrader`, which never reads the file again.
"""

import re
from pathlib import Path

NAME = "nbgrader_config.py"
SUBMISSIONS = "submissions"  # where `collect` (and, through this configuration, `nbgrader collect`) put them
TEXT = f'''"""nbgrader's own tools on this course folder agree with `python -m autograde`, which wrote this file.

Run from this folder, `nbgrader generate_feedback`, `nbgrader export`, `nbgrader db ...` and formgrader see the
kit's gradebook, its `{SUBMISSIONS}/` folder as nbgrader's `submitted/`, and the submission times `collect`
records; feedback never shows the hidden-test regions; `nbgrader autograde` refuses and names the kit's
`grade` (nbgrader alone cannot decide the hidden verdicts). Keep the two lines below; add your own settings after them.
"""
import os

from autograde.gradebook.course import configure_nbgrader

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


# The line a course folder written before the grader's modules moved into packages imports with: `read` and
# `write` put today's in its place, so that nbgrader's own commands keep working on an older course folder.
_OLD_IMPORT = "from autograde.course import configure_nbgrader"
_IMPORT = "from autograde.gradebook.course import configure_nbgrader"


def _upgrade(file):
    text = file.read_text()
    if _OLD_IMPORT in text:
        file.write_text(text.replace(_OLD_IMPORT, _IMPORT))


def path(course_dir):
    """Where the course folder's `nbgrader_config.py` is (whether or not it exists)."""
    return Path(course_dir) / NAME


def write(course_dir):
    """Write the course folder's `nbgrader_config.py` unless it is there (the instructor's edits are kept)."""
    file = path(course_dir)
    if not file.exists():
        Path(course_dir).mkdir(parents=True, exist_ok=True)
        file.write_text(TEXT)
    else:
        _upgrade(file)
    return file


def read(course_dir):
    """The configuration the course folder's `nbgrader_config.py` makes (empty when there is none)."""
    # traitlets (about 30 ms) is imported when a file is read, not by every command that imports this module
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    file = path(course_dir)
    if not file.exists():
        return Config()
    _upgrade(file)
    try:
        return PyFileConfigLoader(file.name, str(file.parent.resolve())).load_config()
    except Exception as error:  # noqa: BLE001 - the instructor's file: say which and why, in plain words
        raise SystemExit(f"error: {file} cannot be read ({type(error).__name__}: {error}); fix it, or delete it "
                         f"and `python -m autograde release` writes a fresh one") from None


def set_line(course_dir, setting, line):
    """Write `line` into the course's `nbgrader_config.py` in place of the line that sets `setting` (such as
    `c.Exchange.root`), or at its end; the file is written first if it is not there."""
    file = write(course_dir)
    pattern = re.compile(rf"^{re.escape(setting)}\s*=.*$", re.M)
    text = file.read_text()
    text = pattern.sub(lambda _: line, text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + line + "\n"
    file.write_text(text)
    return file
