"""The gradebook's address: nbgrader's sqlite file in the course folder, or any SQLAlchemy URL (PostgreSQL).

Which gradebook a course uses, first found wins:
1. `--db URL` on the command line (`choose`), for that command only;
2. `c.CourseDirectory.db_url = "postgresql://..."` in the course folder's `nbgrader_config.py` (what
   `migrate-db` writes, and what nbgrader's own tools and formgrader read too);
3. `gradebook.db` in the course folder (nbgrader's embedded sqlite).
The kit never writes to a database of its own: the tables are nbgrader's (`nbgrader.api.Base`), reached through
nbgrader's `Gradebook`. `migrate_db` copies every table, row by row, from one gradebook to another.
The grading workers never reach a server gradebook: they grade in scratch folders on a sqlite copy of the
assignments' structure (`worker_template`), and only the coordinator writes scores into the course's gradebook.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path

from autograde.gradebook import config_file

SQLITE_NAME = "gradebook.db"
_chosen: dict[str, str] = {}  # resolved course folder -> the URL `--db` chose for this process


def sqlite_url(course_dir) -> str:
    return f"sqlite:///{Path(course_dir).resolve() / SQLITE_NAME}"


def choose(course_dir, db_url):
    """Use `db_url` as the gradebook of `course_dir` in this process (the command line's `--db`)."""
    check_url(db_url)
    _chosen[str(Path(course_dir).resolve())] = db_url


def check_url(db_url):
    """A plain-word error for a URL SQLAlchemy cannot read, before anything is written."""
    # sqlalchemy (about 0.2 s) and nbgrader (about 1.8 s) are imported where a gradebook is used, not by every
    # command that imports this module for its address (`--help`, `lab`, the config file's own reading)
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        make_url(db_url)
    except ArgumentError:
        raise SystemExit(f"error: {db_url!r} is no database URL; write it like "
                         f"postgresql://USER:PASSWORD@HOST:5432/DATABASE or sqlite:////path/gradebook.db") from None


def url(course_dir, settings=None) -> str:
    """The gradebook URL of `course_dir` (see the module's docstring for the order). `settings`: what the course's
    nbgrader_config.py sets, when the caller has read it already (it is read here otherwise)."""
    key = str(Path(course_dir).resolve())
    if key in _chosen:
        return _chosen[key]
    if settings is None:
        settings = config_file.read(course_dir)
    found = settings.get("CourseDirectory", {}).get("db_url")
    return str(found) if found else sqlite_url(course_dir)


def is_sqlite(db_url) -> bool:
    return str(db_url).startswith("sqlite:")


def describe(db_url) -> str:
    """The URL without its password, for messages."""
    from sqlalchemy.engine import make_url  # see check_url: imported where a gradebook is used

    return make_url(db_url).render_as_string(hide_password=True)


def gradebook_exists(db_url) -> bool:
    """Whether nbgrader's tables are there (a sqlite file that exists, a server database with its tables)."""
    if is_sqlite(db_url):
        path = db_url.split("sqlite:///", 1)[-1]
        return bool(path) and Path(path).exists()
    from sqlalchemy import create_engine, inspect  # see check_url: imported where a gradebook is used

    engine = create_engine(db_url)
    try:
        return "assignment" in inspect(engine).get_table_names()
    except Exception as error:  # noqa: BLE001 - a server that cannot be reached: say so plainly
        raise SystemExit(f"error: cannot reach the gradebook {describe(db_url)}: {str(error).strip()[:300]}") from None
    finally:
        engine.dispose()


# -- concurrent graders ----------------------------------------------------------------------------------------
def ensure_students(db_url, students, course_id, attempts=5):
    """Create the gradebook's student rows before grading. Two graders grading different assignments of the same
    students at the same time both try to insert a new student; the database refuses the second insert, and
    that grader finds the row the other one wrote (so no grading is lost to a duplicate key)."""
    from nbgrader.api import Gradebook, InvalidEntry  # see check_url: imported where a gradebook is used
    from tornado.log import app_log  # (nbgrader's logger: imported with it)

    level = app_log.level
    app_log.setLevel(logging.CRITICAL)  # nbgrader logs the refused insert with a traceback: expected here, retried
    try:
        for attempt in range(attempts):
            try:
                with Gradebook(db_url, course_id=course_id) as gb:
                    for student in sorted(set(students)):
                        gb.update_or_create_student(student)
                return
            except InvalidEntry:
                if attempt == attempts - 1:
                    raise
                time.sleep(0.1 * (attempt + 1))
    finally:
        app_log.setLevel(level)


def prepare_gradebook(db_url, scratch, students, course_id):
    """Before a server gradebook is graded into: its student rows (`ensure_students`) and the workers' sqlite copy
    of the assignments (`worker_template`, at `scratch/gradebook.db`). Nothing to do for a sqlite gradebook: the
    workers copy the file itself."""
    if is_sqlite(db_url):
        return None
    alembic_on_path()
    ensure_students(db_url, students, course_id)
    return worker_template(db_url, Path(scratch) / SQLITE_NAME, course_id)


# -- what the workers grade on -----------------------------------------------------------------------------------
STRUCTURE = ("course", "assignment", "notebook", "base_cell", "grade_cells", "solution_cells", "task_cells",
             "source_cell")  # the assignments as released: what nbgrader's autograde needs, no student's data


def worker_template(db_url, path, course_id):
    """A sqlite gradebook at `path` holding the assignments' structure of `db_url` and nothing of any student:
    the scratch gradebook the workers grade on when the course's gradebook is a server's."""
    path = Path(path)
    path.unlink(missing_ok=True)
    copy_tables(db_url, f"sqlite:///{path.resolve()}", course_id, only=STRUCTURE)
    return path


# -- migrate-db ----------------------------------------------------------------------------------------------------
def copy_tables(source_url, target_url, course_id, only=None):
    """Copy nbgrader's tables from one gradebook to another, every column as it is (ids, grades, comments,
    timestamps); return {table: rows copied}. The target must hold no assignment, student or grade yet."""
    from nbgrader.api import Base, Gradebook  # see check_url: imported where a gradebook is used
    from sqlalchemy import create_engine, delete, func, select

    alembic_on_path()
    with Gradebook(target_url, course_id=course_id):  # nbgrader makes its tables and alembic version
        pass
    source, target = create_engine(source_url), create_engine(target_url)
    copied = {}
    try:
        tables = [t for t in Base.metadata.sorted_tables if only is None or t.name in only]
        with source.connect() as read, target.begin() as write:
            busy = [t.name for t in tables if t.name != "course"
                    and write.execute(select(func.count()).select_from(t)).scalar()]
            if busy:
                raise SystemExit(f"error: the gradebook {describe(target_url)} already holds data "
                                 f"({', '.join(busy)}): migrate into an empty database")
            write.execute(delete(Base.metadata.tables["course"]))  # the row nbgrader made: replaced by the source's
            for table in tables:
                rows = [dict(row._mapping) for row in read.execute(select(table))]
                if rows:
                    write.execute(table.insert(), rows)
                copied[table.name] = len(rows)
    finally:
        source.dispose()
        target.dispose()
    return copied


def alembic_on_path():
    """nbgrader runs the `alembic` command to make a new gradebook: find the one beside this interpreter, even
    when the virtual environment is not activated (`course.api` and the commands that make a gradebook)."""
    bin_dir = os.path.dirname(sys.executable)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")


def table_rows(db_url):
    """Every row of nbgrader's tables, as sorted tuples per table: what a faithful copy must reproduce."""
    from nbgrader.api import Base  # see check_url: imported where a gradebook is used
    from sqlalchemy import create_engine, select

    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return {t.name: sorted((tuple(map(repr, row)) for row in conn.execute(select(t))))
                    for t in Base.metadata.sorted_tables}
    finally:
        engine.dispose()


def migrate_db(course_dir, to_url, course_id):
    """Copy the course's gradebook to `to_url`, check that every row arrived, and point the course's
    `nbgrader_config.py` at the new gradebook. Returns {table: rows copied}."""
    check_url(to_url)
    from_url = url(course_dir)
    if from_url == to_url:
        raise SystemExit(f"error: the course's gradebook is already {describe(to_url)}")
    if not gradebook_exists(from_url):
        raise SystemExit(f"error: no gradebook at {describe(from_url)} to migrate: release and grade first")
    copied = copy_tables(from_url, to_url, course_id)
    before, after = table_rows(from_url), table_rows(to_url)
    differ = [name for name in before if before[name] != after[name]]
    if differ:
        raise SystemExit(f"error: the copy in {describe(to_url)} differs from the original in {', '.join(differ)}; "
                         f"the course still uses {describe(from_url)}")
    set_course_url(course_dir, to_url)
    return copied


def set_course_url(course_dir, db_url):
    """Write `c.CourseDirectory.db_url` into the course's nbgrader_config.py (replacing an earlier setting), so the
    kit, nbgrader's own tools and formgrader all use that gradebook from now on."""
    line = (f"c.CourseDirectory.db_url = {db_url!r}  # the gradebook (python -m autograde migrate-db wrote this; "
            f"the sqlite file {SQLITE_NAME} is no longer used)")
    config_file.set_line(course_dir, "c.CourseDirectory.db_url", line)
    _chosen.pop(str(Path(course_dir).resolve()), None)
