"""Release: student versions of the source notebooks (solutions and hidden tests removed), and the lab folder."""
import shutil
from pathlib import Path

from . import course


def release(names=(), course_dir=course.DEFAULT_COURSE_DIR, quiet=False):
    """Generate the student version of each assignment; return {assignment: released notebook path}."""
    course_dir = Path(course_dir)
    names = course.check_assignments(names)
    api = course.api(course_dir)
    released = {}
    for name in names:
        source = course_dir / "source" / name
        source.mkdir(parents=True, exist_ok=True)
        shutil.copy2(course.NOTEBOOKS / f"{name}.ipynb", source / f"{name}.ipynb")
        result = api.generate_assignment(name, force=True, create=True)
        if not result["success"]:
            raise SystemExit(f"error: could not release {name}:\n{result.get('error') or result.get('log')}")
        released[name] = course_dir / "release" / name / f"{name}.ipynb"
        _stamp(released[name], name)
        if not quiet:
            print(f"released {name} -> {released[name]}")
    return released


def _stamp(path, assignment):
    """Mark a released notebook with its assignment id and a fingerprint of every read-only cell, so
    `validate` and `collect` work from the student's file alone, without the instructor's course folder."""
    import nbformat

    from .notebook import fingerprint, grade_meta

    nb = nbformat.read(str(path), as_version=4)
    read_only, previous = [], None  # what `validate` restores, as the grader does (no hidden test is in them)
    for cell in nb.cells:
        gid = grade_meta(cell).get("grade_id")
        if grade_meta(cell).get("locked"):
            cell.metadata["autograde"] = {"sha256": fingerprint(cell.source)}
            read_only.append({"grade_id": gid, "source": cell.source, "after": previous})
        previous = gid or previous
    nb.metadata["autograde"] = {"assignment": assignment, "read_only": read_only}
    nbformat.write(nb, str(path))


def ensure_released(names, course_dir):
    """Release the assignments the gradebook does not know yet (grading needs their source cells)."""
    missing = [n for n in names if not (Path(course_dir) / "release" / n / f"{n}.ipynb").exists()]
    if missing:
        release(missing, course_dir, quiet=True)


def make_lab(lab_dir=course.DEFAULT_LAB_DIR, course_dir=course.DEFAULT_COURSE_DIR):
    """Copy each student version into the learner's working folder, never over a file already there."""
    lab_dir = Path(lab_dir)
    lab_dir.mkdir(parents=True, exist_ok=True)
    for name, path in release((), course_dir, quiet=True).items():
        target = lab_dir / f"{name}.ipynb"
        if target.exists():
            print(f"kept your {target.relative_to(lab_dir.parent)} (delete it to start that notebook afresh)")
        else:
            shutil.copy2(path, target)
            print(f"new  {target.relative_to(lab_dir.parent)}")
    return lab_dir
