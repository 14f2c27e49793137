"""Release: student versions of the source notebooks (solutions and hidden tests removed), and the lab folder."""
import shutil
from pathlib import Path

import nbformat

from autograde.engine import hints
from autograde.engine.notebook import fingerprint, grade_meta
from autograde.gradebook import course


def release(names=(), course_dir=course.DEFAULT_COURSE_DIR, quiet=False, language="en", keep_hints=hints.STAGES):
    """Generate the student version of each assignment; return {assignment: released notebook path}.

    The English release always comes first: nbgrader's gradebook keeps its cells, and a class may hand in both
    languages. `language="zh"` then writes the Chinese student versions beside it (`edition`).

    `keep_hints`: the hint stages the student versions keep (`hints.choice("idea,shapes")` withholds the code
    stage, for credit); the others are dropped from the exercise headers, plain markdown that nbgrader neither
    records nor restores, so grading is the same either way."""
    course_dir = Path(course_dir)
    names = course.check_assignments(names)
    if language != "en":
        english = release(names, course_dir, quiet=True, keep_hints=keep_hints)
        return {name: edition(path, name, language, course_dir, quiet, keep_hints)
                for name, path in english.items()}
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
        _stamp(released[name], name, keep_hints)
        if not quiet:
            print(f"released {name} -> {released[name]}")
    return released


def _stamp(path, assignment, keep_hints=hints.STAGES):
    """Mark a released notebook with its assignment id and a fingerprint of every read-only cell, so
    `validate` and `collect` work from the student's file alone, without the instructor's course folder; drop
    the hint stages not in `keep_hints`."""
    nb = nbformat.read(str(path), as_version=4)
    _drop_hints(nb, assignment, keep_hints, path)
    read_only, previous = [], None  # what `validate` restores, as the grader does (no hidden test is in them)
    for cell in nb.cells:
        gid = grade_meta(cell).get("grade_id")
        if grade_meta(cell).get("locked"):
            cell.metadata["autograde"] = {"sha256": fingerprint(cell.source)}
            read_only.append({"grade_id": gid, "source": cell.source, "after": previous})
        previous = gid or previous
    nb.metadata["autograde"] = {"assignment": assignment, "read_only": read_only}
    nbformat.write(nb, str(path))


def _drop_hints(nb, assignment, keep_hints, written=None):
    """Withhold the hint stages not in `keep_hints` from a student version (`release --hints`); where it cannot,
    remove the student version `written` already, so that no file with the withheld stage is left to hand out."""
    try:
        hints.drop_from_notebook(nb, keep_hints)
    except ValueError as error:
        if written is not None:
            Path(written).unlink(missing_ok=True)
        raise SystemExit(f"error: cannot release {assignment} with --hints {','.join(keep_hints)}: {error}") from None


def edition_path(course_dir, assignment, language):
    """Where the student version of `assignment` in `language` is: release/ for English (nbgrader's own folder),
    release-<language>/ for another language, under the same assignment id and notebook name."""
    folder = "release" if language == "en" else f"release-{language}"
    return Path(course_dir) / folder / assignment / f"{assignment}.ipynb"


def edition(english_path, assignment, language, course_dir, quiet=False, keep_hints=hints.STAGES):
    """Write the student version of `assignment` in `language`: the English student version (nbgrader's, stamped)
    with the prose and plain code cells of that language's source notebook. Solution, read-only and graded cells
    are the same in both sources (tests/test_translations.py), and are kept as nbgrader released them, so a
    submission of either language is the same assignment to nbgrader and to the grader."""
    released = nbformat.read(str(english_path), as_version=4)
    english = nbformat.read(str(course.NOTEBOOKS / f"{assignment}.ipynb"), as_version=4)
    translated = nbformat.read(str(course.NOTEBOOKS / language / f"{assignment}.ipynb"), as_version=4)
    if not (len(released.cells) == len(english.cells) == len(translated.cells)):
        raise SystemExit(f"error: notebooks/{language}/{assignment}.ipynb has {len(translated.cells)} cells and "
                         f"notebooks/{assignment}.ipynb {len(english.cells)}: rebuild them (make notebooks)")
    for ours, en, other in zip(released.cells, english.cells, translated.cells):
        if grade_meta(en) or grade_meta(other):
            if (en.source, en.metadata) != (other.source, other.metadata):
                raise SystemExit(f"error: cell {en.get('id')} of {assignment} differs between the English and the "
                                 f"{language} notebooks, but graded and read-only cells must be the same: rebuild "
                                 f"them (make notebooks)")
            continue
        ours.source = other.source
    _drop_hints(released, assignment, keep_hints)
    released.metadata["course"] = dict(translated.metadata.get("course", {}), language=language)
    if "title" in translated.metadata:
        released.metadata["title"] = translated.metadata["title"]
    path = edition_path(course_dir, assignment, language)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(released, str(path))
    if not quiet:
        print(f"released {assignment} ({language}) -> {path}")
    return path


def ensure_released(names, course_dir):
    """Release the assignments the gradebook does not know yet (grading needs their source cells)."""
    missing = [n for n in names if not (Path(course_dir) / "release" / n / f"{n}.ipynb").exists()]
    if missing:
        release(missing, course_dir, quiet=True)


def make_lab(lab_dir=None, course_dir=course.DEFAULT_COURSE_DIR, language="en", keep_hints=hints.STAGES):
    """Copy each student version into the learner's working folder, never over a file already there; each language
    has its own folder (lab/, lab-zh/), so one edition never writes over a learner's work in the other.
    `keep_hints`: the hint stages the new notebooks keep, as for `release --hints`."""
    lab_dir = Path(lab_dir or course.lab_dir(language))
    lab_dir.mkdir(parents=True, exist_ok=True)
    for name, path in release((), course_dir, quiet=True, language=language, keep_hints=keep_hints).items():
        target = lab_dir / f"{name}.ipynb"
        if target.exists():
            print(f"kept your {target.relative_to(lab_dir.parent)} (delete it to start that notebook afresh)")
        else:
            shutil.copy2(path, target)
            print(f"new  {target.relative_to(lab_dir.parent)}")
    return lab_dir
