"""Collect: turn what a learning platform hands out into the submissions layout `<student>/<assignment>/<nb>.ipynb`.

Accepted, at any depth of the folder or zip file given:
- per-student folders (`alice/`, notebooks anywhere inside) and per-student zip files
  (`alice__03_self_attention.zip` as `submit` writes them, or `alice.zip`);
- a learning platform's download, as it comes: Canvas (`smithjohn_12345_67890_03_self_attention.ipynb`,
  `smithjohn_LATE_12345_67890_...`: the student id is Canvas's user id, 12345), Moodle (folders
  `Full Name_123456_assignsubmission_file_`: the id is 123456), Blackboard and nbgrader's `zip_collect`
  pattern (`Assignment_username_attempt_2026-11-20-10-03-12_03_self_attention.ipynb`: the id is username).
One rule decides what a student id is, for `submit` and `collect` alike (`valid_student_id`). The assignment
of each notebook is the one stamped at release, else the one its file name names. The submission time (the
platform's timestamp, else the zip member's or the file's modification time) is written next to the notebook
as nbgrader's `timestamp.txt`, so nbgrader's late penalties can use it. Zip members are read in memory, never
extracted by path, so a hostile archive cannot write outside the layout. Nothing is skipped silently: every
file and folder is either collected or listed with the reason.
"""

import io
import json
import re
import zipfile
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

from . import course

MAX_NOTEBOOK_BYTES = 50 * 2**20
MAX_DEPTH = 4  # zip files inside zip files inside folders...
STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
TIMESTAMP_FILE = "timestamp.txt"  # nbgrader's name for the submission time of a submitted assignment

CANVAS = re.compile(r"^(?P<name>[^_]+)_(?:LATE_)?(?P<student>\d+)_\d+_(?P<file>.+)$")
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


def _assignment_of(raw, filename, known):
    try:
        stamped = json.loads(raw).get("metadata", {}).get("autograde", {}).get("assignment")
    except (ValueError, UnicodeDecodeError, AttributeError):
        stamped = None
    if stamped in known:
        return stamped
    stem = Path(filename).stem
    return stem if stem in known else next((a for a in sorted(known, key=len, reverse=True) if a in stem), None)


class _Intake:
    """What `collect` found: the notebooks laid out, and every entry left out with its reason."""

    def __init__(self, into, known):
        self.into, self.known = Path(into), known
        self.collected, self.rejected = [], []

    def place(self, student, filename, raw, origin, when):
        if not valid_student_id(student):
            self.rejected.append(f"{origin}: {student!r} is not a student id (letters, digits, '.', '_', '-')")
            return
        if len(raw) > MAX_NOTEBOOK_BYTES:
            self.rejected.append(f"{origin}: {filename} is larger than {MAX_NOTEBOOK_BYTES >> 20} MB")
            return
        assignment = _assignment_of(raw, filename, self.known)
        if assignment is None:
            self.rejected.append(f"{origin}: {filename} belongs to no known assignment")
            return
        folder = self.into / student / assignment
        target = folder / f"{assignment}.ipynb"
        if target in self.collected:
            self.rejected.append(f"{origin}: a second notebook for {student}/{assignment}; kept the first")
            return
        folder.mkdir(parents=True, exist_ok=True)
        target.write_bytes(raw)
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
        if m.file_size > MAX_NOTEBOOK_BYTES:
            yield m.filename, (lambda: b""), when, m.file_size
        else:
            yield m.filename, (lambda m=m: z.read(m)), when, m.file_size


def _walk(intake, files, origin, student=None, depth=0):
    """Place the notebooks among `files` (relative name, reader, time[, size]); recurse into zip files.

    `student` is set when the files are one student's (a student's folder or zip); otherwise each file or
    top folder must name its student, by a platform's pattern or as a plain student folder.
    """
    groups = {}
    for name, read, when, *size in files:
        parts = PurePosixPath(name).parts
        top = parts[0] if len(parts) > 1 and student is None else None
        groups.setdefault(top, []).append((PurePosixPath(*parts[1:]).as_posix() if top else name, read, when, *size))
    for top, members in groups.items():
        owner = student
        if top is not None:
            owner = moodle_folder(top) or (top if valid_student_id(top) else None)
            if owner is None:  # a folder that names nobody: a class download inside it, or a bad student id
                if any("/" in n or platform_name(n) for n, *_ in members) and depth < MAX_DEPTH:
                    _walk(intake, members, f"{origin}{top}/", None, depth + 1)
                else:
                    intake.rejected.append(f"{origin}{top}: the folder's name is not a student id "
                                           f"(letters, digits, '.', '_', '-'; no spaces)")
                continue
            if not any(n.endswith((".ipynb", ".zip")) for n, *_ in members):
                intake.rejected.append(f"{origin}{top}: no notebook inside")
                continue
        for name, read, when, *size in members:
            where = f"{origin}{top + '/' if top else ''}{name}"
            filename = PurePosixPath(name).name
            if size and size[0] > MAX_NOTEBOOK_BYTES:
                intake.rejected.append(f"{where}: larger than {MAX_NOTEBOOK_BYTES >> 20} MB")
            elif filename.endswith(".zip"):
                _zip(intake, read(), filename, where, owner, depth + 1)
            elif not filename.endswith(".ipynb"):
                intake.rejected.append(f"{where}: not a notebook")
            elif owner is not None:
                intake.place(owner, filename, read(), where, when)
            elif platform_name(filename):
                found, _, stamped = platform_name(filename)
                intake.place(found, filename, read(), where, stamped or when)
            else:
                intake.rejected.append(
                    f"{where}: a loose notebook names no student; put it in a folder or zip named with the "
                    f"student id, or keep the learning platform's file name"
                )


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


def collect(source, into):
    """Lay out every notebook found under `source` in `into`; return (collected paths, rejections)."""
    source = Path(source)
    intake = _Intake(into, course.assignments())
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
    return intake.collected, intake.rejected
