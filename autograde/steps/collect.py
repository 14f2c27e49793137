"""Collect: turn what a learning platform hands out into the submissions layout `<student>/<assignment>/<nb>.ipynb`.

Accepted, at any depth of the folder or zip file given:
- per-student folders (`alice/`, notebooks anywhere inside) and per-student zip files
  (`alice__03_self_attention.zip` as `submit` writes them, or `alice.zip`);
- a learning platform's download, as it comes: Canvas (`smithjohn_12345_67890_03_self_attention.ipynb`,
  `smithjohn_LATE_12345_67890_...`: the student id is Canvas's user id, 12345), Moodle (folders
  `Full Name_123456_assignsubmission_file_`: the id is 123456), Blackboard and nbgrader's `zip_collect`
  pattern (`Assignment_username_attempt_2026-11-20-10-03-12_03_self_attention.ipynb`: the id is username).
One rule decides what a student id is, for `submit` and `collect` alike (`valid_student_id`). The assignment
of each notebook is the one its file name names, else the one stamped at release, else the one its cells are
(`notebook.recognise`); a notebook whose cells are another assignment's is filed as handed in and named
("this is 08_transformer's notebook, handed in as 03_self_attention"), so that `grade` decides it in the open.
The student's name and the platform's late flag (Canvas's `LATE`) go into the course folder's roster
(`roster.csv`); a notebook that replaces one collected before is named. The submission time (the
platform's timestamp, else the zip member's or the file's modification time) is written next to the notebook
as nbgrader's `timestamp.txt`, so nbgrader's late penalties can use it. Zip members are read in memory, never
extracted by path, so a hostile archive cannot write outside the layout. Nothing is skipped silently: every
file and folder is either collected or listed with the reason.
"""

import fnmatch
import io
import json
import re
import shlex
import zipfile
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

from autograde.engine.notebook import recognise, too_large
from autograde.gradebook import course
from autograde.gradebook.roster import read_roster, write_roster  # noqa: F401 - read_roster: what collect wrote
from course_lib.progress import NOT_HANDED_IN as PROGRESS_FILES  # the learner's record and figure

MAX_COPY_BYTES = 1 << 30  # larger than this a file is not even laid out (grade would reject it for its size)
MAX_DEPTH = 4  # zip files inside zip files inside folders...
STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
TIMESTAMP_FILE = "timestamp.txt"  # nbgrader's name for the submission time of a submitted assignment

CANVAS = re.compile(r"^(?P<name>[^_]+)_(?P<late>LATE_)?(?P<student>\d+)_\d+_(?P<file>.+)$")
MOODLE = re.compile(r"^(?P<name>.+)_(?P<student>\d+)_assignsubmission_\w+?_?$")
BLACKBOARD = re.compile(
    r"^(?P<assignment>.+?)_(?P<student>[A-Za-z0-9.\-]+)_attempt_(?P<time>\d{4}(?:-\d\d){5})(?:_(?P<file>.+))?$"
)


def valid_student_id(student):
    """Whether `student` can be a student id: letters, digits, '.', '_' or '-', starting with a letter or digit."""
    return bool(STUDENT_ID.match(student or ""))


def platform_name(filename):
    """(student, platform, time or None) for a file named by a learning platform's download, else None."""
    stem = Path(filename).name
    found = BLACKBOARD.match(stem)
    if found:
        when = datetime.strptime(found["time"], "%Y-%m-%d-%H-%M-%S").replace(tzinfo=timezone.utc)
        return found["student"], "Blackboard", when
    found = CANVAS.match(stem)
    if found and stem.endswith(".ipynb"):
        return found["student"], "Canvas", None
    return None


def moodle_folder(name):
    """The student id of a Moodle submission folder (`Full Name_123456_assignsubmission_file_`), else None."""
    found = MOODLE.match(name)
    return found["student"] if found else None


def _student_of_zip(name):
    """`alice__03_self_attention.zip` and `alice.zip` -> `alice`; None when the name is no student id."""
    student = Path(name).stem.split("__")[0]
    return student if valid_student_id(student) else None


def platform_facts(filename):
    """What a platform's file name says beyond the id: {'name': ..., 'late': bool} (empty when nothing)."""
    found = CANVAS.match(Path(filename).name)
    if found and filename.endswith(".ipynb"):
        return {"name": found["name"], "platform": "Canvas", "late": bool(found["late"])}
    return {}


def moodle_name(name):
    """The student's full name in a Moodle submission folder's name, else None."""
    found = MOODLE.match(name)
    return found["name"] if found else None


def _assignment_of(raw, filename, known):
    """(assignment it is filed under, the assignment its cells are or None): the file name's, else the stamp's,
    else the cells'."""
    try:
        data = json.loads(raw)
        stamped = data.get("metadata", {}).get("autograde", {}).get("assignment")
    except (ValueError, UnicodeDecodeError, AttributeError):
        data, stamped = None, None
    found = recognise(data) if isinstance(data, dict) else None
    stem = Path(filename).stem
    named = stem if stem in known else next((a for a in sorted(known, key=len, reverse=True) if a in stem), None)
    return named or (stamped if stamped in known else None) or found, found


class _Intake:
    """What `collect` found: the notebooks laid out, and every entry left out with its reason."""

    def __init__(self, into, known):
        self.into, self.known = Path(into), known
        self.collected, self.rejected, self.notes, self.roster = [], [], [], {}
        self.source = None

    def place(self, student, filename, raw, origin, when, facts=None):
        if not valid_student_id(student):
            self.rejected.append(f"{origin}: {student!r} is not a student id (letters, digits, '.', '_', '-')")
            return
        if len(raw) > MAX_COPY_BYTES:
            self.rejected.append(f"{origin}: {filename}: {too_large(len(raw))}")
            return
        assignment, found = _assignment_of(raw, filename, self.known)
        if assignment is None:
            self.rejected.append(f"{origin}: {filename} belongs to no known assignment")
            return
        folder = self.into / student / assignment
        target = folder / f"{assignment}.ipynb"
        if target in self.collected:
            self.rejected.append(f"{origin}: a second notebook for {student}/{assignment}; kept the first")
            return
        if found and found != assignment:
            self.notes.append(f"{origin}: this is {found}'s notebook, handed in as {assignment}; filed as handed in "
                              f"({student}/{assignment}/): `grade` names it and grades it as {found} only with "
                              f"--grade-as-found")
        if too_large(len(raw)):
            self.notes.append(f"{origin}: {too_large(len(raw))}. Laid out all the same: `grade` gives it a row "
                              f"with this reason")
        if target.exists():
            same = target.read_bytes() == raw
            self.notes.append(f"{origin}: replaced {target}" + (" (the same file)" if same else
                                                                 " collected before (a resubmission)"))
        folder.mkdir(parents=True, exist_ok=True)
        target.write_bytes(raw)
        if facts:
            self.roster[(student, assignment)] = dict(facts)
        stamp = (when or datetime.now(timezone.utc)).astimezone(timezone.utc)
        (folder / TIMESTAMP_FILE).write_text(stamp.strftime("%Y-%m-%d %H:%M:%S.%f %Z"))
        self.collected.append(target)


def _files_of_folder(folder):
    """(relative name, bytes, modification time) of every file under a folder, checkpoints excepted."""
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and ".ipynb_checkpoints" not in p.parts):
        when = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)
        yield path.relative_to(folder).as_posix(), path.read_bytes, when


def _files_of_zip(z):
    for m in z.infolist():
        if m.is_dir() or "__MACOSX" in m.filename or ".ipynb_checkpoints" in m.filename:
            continue
        when = datetime(*m.date_time, tzinfo=timezone.utc)
        if m.file_size > MAX_COPY_BYTES:
            yield m.filename, (lambda: b""), when, m.file_size
        else:
            yield m.filename, (lambda m=m: z.read(m)), when, m.file_size


def _walk(intake, files, origin, student=None, depth=0):
    """Place the notebooks among `files` (relative name, reader, time[, size]); recurse into zip files.

    `student` is set when the files are one student's (a student's folder or zip); otherwise each file or
    top folder must name its student, by a platform's pattern or as a plain student folder.
    """
    for top, members in _by_top_folder(files, student).items():
        owner, facts = student, {}
        if top is not None:
            owner, facts = _folder_owner(intake, top, members, origin, depth)
            if owner is None:  # walked as a class download, or rejected with the reason
                continue
        for member in members:
            _take(intake, member, f"{origin}{top + '/' if top else ''}{member[0]}", owner, facts, depth)


def _by_top_folder(files, student):
    """{top folder: its files, named below it}, where a top folder may be a student's; else {None: the files}."""
    groups = {}
    for name, read, when, *size in files:
        parts = PurePosixPath(name).parts
        top = parts[0] if len(parts) > 1 and student is None else None
        groups.setdefault(top, []).append((PurePosixPath(*parts[1:]).as_posix() if top else name, read, when, *size))
    return groups


def _folder_owner(intake, top, members, origin, depth):
    """(the student whose folder `top` is, what its name says of them), or (None, {}) when it is not one
    student's folder: then it is walked as a class download inside it, or rejected with the reason."""
    # an assignment's name is never a student's: `John Smith/03_self_attention/` is John Smith's folder
    owner = moodle_folder(top) or (top if valid_student_id(top) and top not in intake.known else None)
    facts = {"name": moodle_name(top), "platform": "Moodle"} if moodle_folder(top) else {}
    own = any(PurePosixPath(n).parts[0] in intake.known or ("/" not in n and n.endswith(".ipynb")
                                                             and not platform_name(n)) for n, *_ in members)
    if owner is None and own:  # one student's work in a folder named otherwise: say how to rename it
        intake.rejected.append(f"{origin}{top}: the folder's name is not a student id (letters, digits, "
                               f"'.', '_', '-'; no spaces): {_rename_remedy(intake, origin, top)}")
    elif owner is None:  # a folder that names nobody: a class download inside it, or a bad student id
        if any("/" in n or platform_name(n) for n, *_ in members) and depth < MAX_DEPTH:
            _walk(intake, members, f"{origin}{top}/", None, depth + 1)
        else:
            intake.rejected.append(f"{origin}{top}: the folder's name is not a student id "
                                   f"(letters, digits, '.', '_', '-'; no spaces)")
    elif not any(n.endswith((".ipynb", ".zip")) for n, *_ in members):
        intake.rejected.append(f"{origin}{top}: no notebook inside")
        owner = None
    return (owner, facts) if owner is not None else (None, {})


def _take(intake, member, where, owner, facts, depth):
    """One file (`member`: name, reader, time[, size]) at `where`: a zip is walked, a notebook placed under its
    student (`owner`, else the one its platform file name names), anything else named with the reason."""
    name, read, when, *size = member
    filename = PurePosixPath(name).name
    if size and size[0] > MAX_COPY_BYTES:
        intake.rejected.append(f"{where}: {too_large(size[0])}")
    elif filename.endswith(".zip"):
        _zip(intake, read(), filename, where, owner, depth + 1)
    elif any(fnmatch.fnmatch(filename, pattern) for pattern in PROGRESS_FILES):  # the learner's own
        intake.notes.append(f"{where}: the learner's progress record (course_lib.progress): not collected")
    elif not filename.endswith(".ipynb"):
        intake.rejected.append(f"{where}: not a notebook")
    elif owner is not None:
        intake.place(owner, filename, read(), where, when, facts or platform_facts(filename))
    elif platform_name(filename):
        found, _, stamped = platform_name(filename)
        intake.place(found, filename, read(), where, stamped or when, platform_facts(filename))
    else:
        intake.rejected.append(
            f"{where}: a loose notebook names no student; put it in a folder or zip named with the "
            f"student id, or keep the learning platform's file name"
        )


def suggested_id(name):
    """A student id made of a folder's name (`John Smith` -> `John_Smith`), or None when nothing is left."""
    candidate = re.sub(r"[^A-Za-z0-9._-]+", "_", name.strip()).strip("._-")[:64]
    return candidate if valid_student_id(candidate) else None


def _rename_remedy(intake, origin, top):
    """How to make a folder named otherwise than a student id collectable: a command that works as printed."""
    new = suggested_id(top)
    if origin or intake.source is None or new is None:  # inside a zip file: nothing to rename on disk
        return "rename it to the student's id (in the zip file too), then collect again"
    return (f"rename it to the student's id, e.g. `mv {shlex.quote(str(intake.source / top))} "
            f"{shlex.quote(str(intake.source / new))}`, then collect again")


def _zip(intake, raw, filename, where, owner, depth):
    if depth > MAX_DEPTH:
        intake.rejected.append(f"{where}: zip files nested too deep")
        return
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as z:
            files = list(_files_of_zip(z))
            if not any(n.endswith((".ipynb", ".zip")) for n, *_ in files):
                intake.rejected.append(f"{where}: no notebook inside the zip file")
                return
            class_download = any(platform_name(n) or moodle_folder(PurePosixPath(n).parts[0]) for n, *_ in files)
            student = owner or (None if class_download else _student_of_zip(filename))
            if student is None and not class_download:
                intake.rejected.append(f"{where}: the zip file's name is no student id and nothing inside names one")
                return
            _walk(intake, files, f"{where}:", student, depth)
    except zipfile.BadZipFile:
        intake.rejected.append(f"{where}: not a readable zip file")


def collect(source, into, course_dir=None):
    """Lay out every notebook found under `source` in `into`; return (collected paths, rejections, notes).
    Names and the platform's late flags go to `course_dir`'s roster (`autograde.gradebook.roster`) when one is given."""
    source = Path(source)
    intake = _Intake(into, course.assignments())
    intake.source = source if source.is_dir() else None
    if not source.exists():
        raise SystemExit(f"error: {source} does not exist")
    if source.is_file() and source.suffix == ".zip":
        _zip(intake, source.read_bytes(), source.name, source.name, None, 0)
    elif source.is_file():
        raise SystemExit(f"error: {source} is neither a folder nor a zip file")
    else:
        files = []
        for entry in sorted(source.iterdir()):
            if entry.is_dir():
                files += [(f"{entry.name}/{n}", r, w) for n, r, w in _files_of_folder(entry)]
                if not any(True for _ in entry.rglob("*") if _.is_file()):
                    intake.rejected.append(f"{entry.name}: no notebook inside")
            else:
                when = datetime.fromtimestamp(entry.stat().st_mtime, timezone.utc)
                files.append((entry.name, entry.read_bytes, when))
        _walk(intake, files, "", None, 0)
    if course_dir is not None and intake.roster:
        write_roster(course_dir, intake.roster)
    return intake.collected, intake.rejected, intake.notes
