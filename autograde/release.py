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
        if not quiet:
            print(f"released {name} -> {released[name]}")
    return released


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
