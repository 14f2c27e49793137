"""Collect: turn what a learning platform hands out into the submissions layout `<student>/<assignment>/<nb>.ipynb`.

Accepted: a folder of per-student folders (notebooks anywhere inside), or zip files named with the student
id (`alice__03_self_attention.zip` as `submit` writes them, or `alice.zip`). The
assignment of each notebook is the one stamped at release, else its file name's stem. Zip members are read
in memory, never extracted by path, so a hostile archive cannot write outside the layout.
"""

import json
import zipfile
from pathlib import Path

from . import course

MAX_NOTEBOOK_BYTES = 50 * 2**20


def _student_of_zip(name):
    """`alice__03_self_attention.zip` and `alice.zip` -> `alice`."""
    return Path(name).stem.split("__")[0]


def _assignment_of(raw, filename, known):
    try:
        stamped = json.loads(raw).get("metadata", {}).get("autograde", {}).get("assignment")
    except (ValueError, UnicodeDecodeError, AttributeError):
        stamped = None
    if stamped in known:
        return stamped
    stem = Path(filename).stem
    return stem if stem in known else next((a for a in known if a in stem), None)


def collect(source, into):
    """Lay out every notebook found under `source` in `into`; return (collected paths, rejections)."""
    source, into = Path(source), Path(into)
    known = course.assignments()
    collected, rejected = [], []

    def place(student, filename, raw, origin):
        assignment = _assignment_of(raw, filename, known)
        if assignment is None:
            rejected.append(f"{origin}: {filename} belongs to no known assignment")
            return
        target = into / student / assignment / f"{assignment}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(raw)
        collected.append(target)

    if not source.exists():
        raise SystemExit(f"error: {source} does not exist")
    entries = [source] if source.is_file() else sorted(source.iterdir())
    for entry in entries:
        if entry.is_dir():
            notebooks = [p for p in entry.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts]
            if not notebooks:
                rejected.append(f"{entry.name}: no notebook inside")
            for nb in notebooks:
                place(entry.name, nb.name, nb.read_bytes(), entry.name)
        elif entry.suffix == ".zip":
            try:
                with zipfile.ZipFile(entry) as z:
                    members = [
                        m
                        for m in z.infolist()
                        if m.filename.endswith(".ipynb")
                        and "__MACOSX" not in m.filename
                        and ".ipynb_checkpoints" not in m.filename
                    ]
                    if not members:
                        rejected.append(f"{entry.name}: no notebook inside the zip file")
                    for m in members:
                        if m.file_size > MAX_NOTEBOOK_BYTES:
                            rejected.append(f"{entry.name}: {m.filename} is larger than {MAX_NOTEBOOK_BYTES >> 20} MB")
                            continue
                        place(_student_of_zip(entry.name), Path(m.filename).name, z.read(m), entry.name)
            except zipfile.BadZipFile:
                rejected.append(f"{entry.name}: not a readable zip file")
        elif entry.suffix == ".ipynb":
            rejected.append(
                f"{entry.name}: a loose notebook names no student; put it in a folder or zip named with the student id"
            )
        else:
            rejected.append(f"{entry.name}: neither a folder nor a zip file")
    return collected, rejected
