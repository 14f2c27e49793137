"""`python -m autograde`: the instructor's (and the student's) command line, one subcommand per step."""

# How it is built: each command is one function that runs it, registered with `@command(name, help, arguments)`
# beside the function that adds its arguments to its parser; `build_parser` and `main` read the registry
# (`COMMANDS`, in the order `--help` lists them). Adding a command is adding those two functions here, and the
# step it calls (`autograde/steps/`). A command closes what it opens in a `finally`.

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import course_lib
from autograde import backends
from autograde.engine import hints, sandbox
from autograde.engine.log import GRADER_FAULT, read_log
from autograde.gradebook import config_file, course, db
from autograde.steps import exchange, export, feedback, report
from course_lib.i18n import from_environment

# The steps that read or run notebooks import nbformat and traitlets (about 0.3 s) at their top, some of them
# torch: each is imported inside the command that runs it (`collect`, `grade`, `release`, `student`,
# `student_env`), so that `--help` imports none of them, nor nbgrader, matplotlib or Dask.


@dataclass(frozen=True)
class Command:
    """One subcommand: its name and help line, what adds its arguments, what runs it."""

    name: str
    help: str
    arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], None]
    student: bool = False  # also a command of the student environment (`student_build`)


COMMANDS: dict[str, Command] = {}  # name -> Command, in the order they are defined (and listed by --help)


def command(name, help, arguments, student=False):
    """Register the decorated function as the subcommand `name`; `arguments(parser)` adds its arguments."""

    def register(run):
        COMMANDS[name] = Command(name, help, arguments, run, student)
        return run

    return register


def student_build():
    """Whether this is the student environment (`student-env`): a course_lib without reference solutions, where
    only the student commands can work (the others need the instructor's notebooks and the references)."""
    return not (Path(course_lib.__file__).parent / "solutions").is_dir()


def build_parser(student=None):
    """The command line; in the student environment (`student_build`), the student commands only."""
    student = student_build() if student is None else student
    parser = argparse.ArgumentParser(prog="python -m autograde", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for each in COMMANDS.values():
        if each.student or not student:
            each.arguments(sub.add_parser(each.name, help=each.help))
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    _check_paths(args)
    if getattr(args, "db", None):  # this command's gradebook (autograde.gradebook.db)
        db.choose(args.course_dir, args.db)
    try:
        COMMANDS[args.command].run(args)
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError, PermissionError, FileExistsError) as e:
        # a path that went wrong on the way: say which, in plain words, not with a traceback
        sys.exit(f"error: {e.filename}: {e.strerror}" if e.filename else f"error: {e}")


def _check_paths(args):
    """Plain-word errors for folders that cannot work, before any step starts (and leaves half a result)."""
    for option in ("course_dir", "lab_dir", "into"):
        path = getattr(args, option, None)
        if path is not None and path.exists() and not path.is_dir():
            sys.exit(f"error: --{option.replace('_', '-')} {path} is a file, not a folder")


# -- arguments several commands share ----------------------------------------------------------------------------
def _language(parser, help):
    parser.add_argument("--lang", choices=course.LANGUAGES, default=from_environment(), help=help)


def _course_dir(parser):
    parser.add_argument(
        "--course-dir",
        type=Path,
        default=course.DEFAULT_COURSE_DIR,
        help="the course folder nbgrader works in (default: ./%(default)s, in the current folder)",
    )
    parser.add_argument(
        "--db",
        metavar="URL",
        help="the gradebook, as an SQLAlchemy URL such as postgresql://USER@HOST/DB (default: the course's "
        "nbgrader_config.py c.CourseDirectory.db_url, else gradebook.db in the course folder)",
    )


def _hint_stages(text):
    """`--hints idea,shapes`: the hint stages a release keeps (autograde/engine/hints.py)."""
    try:
        return hints.choice(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _hints(parser):
    parser.add_argument("--hints", type=_hint_stages, default="idea,shapes,code", metavar="STAGES",
                        help="the hint stages each exercise keeps, in the order a learner opens them: "
                             "idea,shapes,code (default: all three), or idea,shapes to withhold the code for credit "
                             "(grading is the same either way)")


def _names(parser):
    parser.add_argument("--names", action="store_true",
                        help="show each student's name beside the id, as the learning platform's download gave it "
                             "(the course folder's roster.csv, written by collect)")


def _size(text):
    """'4G', '512M', '1.5G' or a number of bytes."""
    units = {"K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}
    text = str(text).strip().upper().removesuffix("B").removesuffix("I")
    try:
        return int(float(text[:-1]) * units[text[-1]]) if text and text[-1] in units else int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (write it like 4G or 512M)") from None


def _student_timeout(parser):
    parser.add_argument(
        "--timeout", type=int, default=course.DEFAULT_CELL_TIMEOUT, help="seconds per cell (default: %(default)s)"
    )


# -- the commands, in the order a course runs them ---------------------------------------------------------------
def release_arguments(p):
    p.add_argument(
        "assignments",
        nargs="*",
        metavar="ASSIGNMENT",
        help="assignment ids, i.e. notebook stems such as 03_self_attention (default: all)",
    )
    p.add_argument("--exchange", type=Path, metavar="DIR",
                   help="also publish them on nbgrader's exchange in DIR (JupyterHub: /srv/nbgrader/exchange), where "
                        "students run `nbgrader fetch_assignment` and `nbgrader submit`")
    _language(p, "the language of the student versions: en, or zh (written to COURSE/release-zh/; same assignment "
                 "ids, notebook names and grade ids, so a class may hand in both)")
    _hints(p)
    _course_dir(p)


@command("release", "make the student versions: solutions and hidden tests removed", release_arguments)
def run_release(args):
    from autograde.steps import release  # nbformat: see the note at the top

    if args.exchange and args.lang != "en":
        raise SystemExit("error: --exchange publishes nbgrader's release (English) only; hand the Chinese student "
                         "versions out from COURSE/release-zh/ (same assignment ids and notebook names, so "
                         "`nbgrader submit` and `collect` take them as the English ones)")
    released = release.release(args.assignments, args.course_dir, language=args.lang, keep_hints=args.hints)
    if args.exchange:
        exchange.publish(args.course_dir, sorted(released), args.exchange)
        print(f"published {', '.join(sorted(released))} on nbgrader's exchange {args.exchange} (course id "
              f"{course.COURSE_ID}): students run `nbgrader fetch_assignment ASSIGNMENT --course "
              f"{course.COURSE_ID}`, or use the Assignments tab with the students' Jupyter configuration in "
              f"{Path(args.course_dir) / exchange.STUDENT_HUB_CONFIG} (its README says how to install it on the hub)")


def lab_arguments(p):
    p.add_argument(
        "--lab-dir",
        type=Path,
        help="the working folder (default: ./lab, or ./lab-zh for --lang zh, in the current folder)",
    )
    _language(p, "the language of the notebooks: en, or zh (default: COURSE_LANG, else en)")
    _hints(p)
    _course_dir(p)


@command("lab", "copy the student versions into the learner's working folder, keeping work", lab_arguments)
def run_lab(args):
    from autograde.steps import release  # nbformat: see the note at the top

    release.make_lab(args.lab_dir, args.course_dir, language=args.lang, keep_hints=args.hints)


def validate_arguments(p):
    p.add_argument("notebook", type=Path, metavar="NOTEBOOK")
    _student_timeout(p)


@command("validate", "(students) run a notebook as the grader will, with the public checks", validate_arguments,
         student=True)
def run_validate(args):
    from autograde.steps import student  # nbformat and nbclient: see the note at the top

    passed, _ = student.validate(args.notebook, args.timeout)
    sys.exit(0 if passed else 1)


def submit_arguments(p):
    p.add_argument("notebook", type=Path, metavar="NOTEBOOK")
    p.add_argument("--student", required=True, metavar="ID", help="your student id")
    p.add_argument("--out", type=Path, default=Path("."), help="where to write the zip (default: here)")
    _student_timeout(p)


@command("submit", "(students) validate, then write the hand-in zip named for collect", submit_arguments,
         student=True)
def run_submit(args):
    from autograde.steps import student  # nbformat and nbclient: see the note at the top

    student.submit(args.notebook, args.student, args.out, args.timeout)


def progress_arguments(p):
    p.add_argument("folder", type=Path, nargs="?", default=Path("."), metavar="FOLDER",
                   help="your working folder, where the checks keep their record (default: here)")
    p.add_argument("--out", type=Path, metavar="PNG",
                   help="where to save the figure (default: FOLDER/course-progress.png)")
    p.add_argument("--lang", choices=course.LANGUAGES, default=None,
                   help="the language of the figure and the summary: en, or zh (default: COURSE_LANG, else the "
                        "language your course environment was built for, else en)")


@command("progress", "(students) where you stand across the course: every exercise passed, failed or not tried, "
         "and the predictions answered, as a figure (PNG) and a summary", progress_arguments, student=True)
def run_progress(args):
    from autograde.steps import student  # nbformat and nbclient: see the note at the top

    student.show_progress(args.folder, args.out, args.lang)


def collect_arguments(p):
    p.add_argument(
        "source", type=Path, metavar="ZIPS_OR_FOLDER", nargs="?",
        help="a folder of student folders or zip files, or one zip (none with --exchange)"
    )
    p.add_argument("--exchange", action="store_true",
                   help="collect what students submitted on nbgrader's exchange (the folder `release --exchange` "
                        "named), with nbgrader's own collect, into the course folder's submissions/")
    p.add_argument(
        "--into",
        type=Path,
        default=None,
        help="the submissions folder to fill (default: the course folder's submissions/)",
    )
    _course_dir(p)


@command("collect", "lay out per-student folders or zip files as <student>/<assignment>/<nb>.ipynb",
         collect_arguments)
def run_collect(args):
    if args.exchange:
        for name, students in exchange.collect_from_exchange(args.course_dir).items():
            print(f"{name}: {len(students)} submission(s) in {Path(args.course_dir) / config_file.SUBMISSIONS}"
                  + (f" ({', '.join(students)})" if students else ""))
        return
    if args.source is None:
        sys.exit("error: name the folder or zip file to collect, or use --exchange")
    from autograde.steps.collect import collect  # nbformat: see the note at the top

    args.into = args.into or Path(args.course_dir) / "submissions"
    collected, rejected, notes = collect(args.source, args.into, args.course_dir)
    print(f"collected {len(collected)} notebooks into {args.into}")
    for line in notes:
        print(f"note     {line}")
    for line in rejected:
        print(f"left out  {line}")
    if rejected:
        print(f"{len(rejected)} entries left out (listed above); exit status 1", file=sys.stderr)
        sys.exit(1)


def grade_arguments(p):
    p.add_argument("submissions", type=Path, metavar="SUBMISSIONS", help="the folder of submissions")
    p.add_argument("--jobs", type=int, default=1, help="worker processes grading at once (default: %(default)s)")
    _grade_limits(p)
    p.add_argument("--student", action="append", metavar="ID", help="grade only this student (repeatable)")
    p.add_argument("--force", action="store_true",
                   help="grade again submissions that have not changed since they were graded (default: keep them)")
    p.add_argument("--grade-as-found", action="store_true",
                   help="grade a notebook handed in under another assignment's name as the assignment it is "
                        "(by its cells); without it such a notebook is named and not graded")
    p.add_argument("--experiments", choices=("skip", "shrunk", "full"), default="skip",
                   help="the experiment cells (no grade depends on them): skip runs only the cells a grade needs, "
                        "shrunk runs them made small, full as in class (default: %(default)s)")
    p.add_argument("--no-warm", dest="warm", action="store_false",
                   help="start every student kernel and hidden-test worker cold instead of forking it from a warm "
                        "template (slower; the scores are the same)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--allow-network", action="store_true",
                   help="grade even where the students' code cannot be cut off the network (it needs Linux and "
                        "root): their code could then reach this machine's services and send what it reads")
    _grade_backend(p)
    _course_dir(p)


def _grade_limits(p):
    p.add_argument(
        "--timeout",
        "--cell-timeout",
        dest="timeout",
        type=int,
        default=course.DEFAULT_CELL_TIMEOUT,
        help="seconds one cell may run before it is stopped; the cells after it are not run, and the grader's "
             "hidden tests decide the graded ones (default: %(default)s)",
    )
    p.add_argument(
        "--submission-timeout",
        type=int,
        default=course.DEFAULT_SUBMISSION_TIMEOUT,
        metavar="SECONDS",
        help="seconds all the cells of one notebook may run together (default: %(default)s, many times what the "
             "slowest honest notebook takes); 0 for no budget",
    )
    p.add_argument(
        "--memory-limit",
        type=_size,
        default="4G",
        metavar="SIZE",
        help="address space one student kernel may use, e.g. 4G or 512M (default: %(default)s); 0 for none",
    )


def _grade_backend(p):
    p.add_argument("--backend", default="local", metavar="BACKEND",
                   help=f"where the submissions are graded: {backends.described()} (README: Beyond one machine)")
    p.add_argument("--dask", metavar="ADDRESS",
                   help="the same as --backend dask:ADDRESS: grade on a Dask cluster, the scheduler's address "
                        "(tcp://HOST:8786), or local:N for a local cluster of N worker processes")


@command("grade", "autograde a folder of submissions laid out <student_id>/<assignment>/<nb>.ipynb", grade_arguments)
def run_grade(args):
    from autograde.steps import grade  # nbformat and traitlets: see the note at the top

    if args.jobs < 1 or args.timeout < 1 or args.submission_timeout < 0:
        sys.exit("error: --jobs and --timeout must be at least 1, and --submission-timeout at least 0")
    if not sandbox.available():
        print("note: the student kernels run without the sandbox (it needs Linux, root and util-linux); "
              "only the memory limit and the cell timeout apply", file=sys.stderr)
    earlier = read_log(args.course_dir)  # to mark the rows whose score a re-grade changed
    outcomes = _grade_on_backend(args, grade.grade)
    _print_grades(outcomes, changed_rows(earlier, outcomes))
    _refresh_after_grading(args.course_dir, outcomes)
    fault = grade.grader_fault_report(outcomes)
    if fault:
        sys.exit(fault)
    if getattr(outcomes, "left_out", ()):
        sys.exit(f"{len(outcomes.left_out)} entries of {args.submissions} were not graded (listed above)")


def _backend_spec(args):
    """The backend `grade` runs on: --backend, or --dask ADDRESS as `dask:ADDRESS`."""
    if args.dask and args.backend != "local":
        sys.exit(f"error: --dask {args.dask} and --backend {args.backend}: give one of them")
    return f"dask:{args.dask}" if args.dask else args.backend


def _grade_on_backend(args, grade):
    """`grade(...)` on the chosen backend: opened here, closed in a `finally` whatever grading does."""
    backend = backends.open_backend(_backend_spec(args), args.jobs)  # (Dask is imported by its backend only)
    try:
        return grade(args.submissions, args.course_dir, args.jobs, args.timeout, args.student,
                     progress=not args.no_progress, memory_limit=args.memory_limit, force=args.force,
                     submission_timeout=args.submission_timeout, grade_as_found=args.grade_as_found,
                     experiments=args.experiments, warm=args.warm, backend=backend, allow_network=args.allow_network)
    finally:
        backend.close()


def _print_grades(outcomes, marks):
    """The table of outcomes, each row marked where a re-grade changed it, then what else the grading said."""
    print(f"{'assignment':<28} {'student':<16} {'score':>11}  status")
    for o in outcomes:
        print(f"{o.assignment:<28} {o.student:<16} {o.final_score:>5g} / {o.max_score:<3g}  {o.status}"
              + (f": {o.message}" if o.message else "") + marks.get(o.key, ""))
        for note in o.notes:  # tampering and incidents: what the instructor must act on, not only in the log
            print(f"{'':<46} note: {note}")
    if not outcomes:
        print("no submissions found")
    if marks:
        print(f"{len(marks)} row(s) changed since the last grading (marked 'changed')")
    if getattr(outcomes, "unchanged", ()):
        print(f"{len(outcomes.unchanged)} submission(s) unchanged since they were graded kept their grades "
              f"(--force grades them again)")
    for line in getattr(outcomes, "left_out", ()):
        print(f"left out  {line}")


def changed_rows(earlier, outcomes):
    """key -> "  (changed: was 6, graded)" for each outcome whose score or status differs from the grade log's
    before this grading (grader faults change nothing, so they are never marked)."""
    marks = {}
    for o in outcomes:
        was = earlier.get(o.key)
        if was and GRADER_FAULT not in (was.status, o.status) and (
                was.final_score != o.final_score or was.status != o.status):
            marks[o.key] = f"  (changed: was {was.final_score:g}, {was.status})"
    return marks


def _refresh_after_grading(course_dir, outcomes):
    """Feedback pages and the report, where they exist, are rewritten from the new grade log: never stale."""
    course_dir = Path(course_dir)
    refreshed = []
    if outcomes and (course_dir / "feedback").is_dir():
        feedback.write_feedback(course_dir, sorted({o.student for o in outcomes}))
        refreshed.append("feedback pages")
    if outcomes and (course_dir / "report" / "report.md").exists():
        # in the language it was written in
        report.write_report(course_dir, language=report.report_language(course_dir))
        refreshed.append("the class report")
    if refreshed:
        print(f"refreshed {' and '.join(refreshed)} from the new grades")


def feedback_arguments(p):
    p.add_argument("--student", action="append", metavar="ID", help="only this student (repeatable)")
    _names(p)
    _course_dir(p)


@command("feedback", "write an HTML feedback page per student and assignment (no hidden test shown)",
         feedback_arguments)
def run_feedback(args):
    paths = feedback.write_feedback(args.course_dir, args.student, names=args.names)
    print(f"wrote {len(paths)} feedback pages under {Path(args.course_dir) / 'feedback'}")


def report_arguments(p):
    _names(p)
    _language(p, "the language of the report: en, or zh (the mistakes under the checks' Chinese names)")
    _course_dir(p)


@command("report", "the class at a glance: score distributions, most failed exercises, common mistakes",
         report_arguments)
def run_report(args):
    print(f"wrote {report.write_report(args.course_dir, names=args.names, language=args.lang)}")


def export_arguments(p):
    p.add_argument("--csv", type=Path, required=True, metavar="FILE", help="where to write the CSV")
    p.add_argument("--assignment", action="append", metavar="ID",
                   help="only this assignment, e.g. 03_self_attention (repeatable; default: all)")
    p.add_argument("--per-exercise", action="store_true", help="add one column of points per exercise")
    _names(p)
    _course_dir(p)


@command("export", "write the grades as CSV: one row per student and assignment", export_arguments)
def run_export(args):
    if args.csv.is_dir():
        sys.exit(f"error: --csv {args.csv} is a folder: name the file to write, e.g. {args.csv / 'grades.csv'}")
    if not args.csv.resolve().parent.is_dir():
        sys.exit(f"error: --csv {args.csv}: the folder {args.csv.resolve().parent} does not exist")
    table = export.export_csv(args.csv, args.course_dir, args.assignment, args.per_exercise, names=args.names)
    print(f"wrote {len(table)} rows to {args.csv}")


def migrate_db_arguments(p):
    p.add_argument("--to", required=True, metavar="URL",
                   help="an empty database, as an SQLAlchemy URL: postgresql://USER:PASSWORD@HOST:5432/DATABASE")
    _course_dir(p)


@command("migrate-db", "copy the course's gradebook (grades, comments, times) into another database such as "
         "PostgreSQL, and use that one from now on", migrate_db_arguments)
def run_migrate_db(args):
    copied = db.migrate_db(args.course_dir, args.to, course.COURSE_ID)
    print(f"copied {sum(copied.values())} rows ({copied.get('student', 0)} students, "
          f"{copied.get('submitted_assignment', 0)} submissions, {copied.get('grade', 0)} grades, "
          f"{copied.get('comment', 0)} comments) into {db.describe(args.to)}, checked row by row; "
          f"{Path(args.course_dir) / config_file.NAME} now names it")


def student_env_arguments(p):
    p.add_argument("out", type=Path, metavar="OUT", help="a new folder: OUT/course_lib and OUT/pyproject.toml")
    p.add_argument("--through", metavar="ASSIGNMENT",
                   help="the last assignment included, e.g. 04_multi_head_attention (default: all)")
    _language(p, "the language its checks speak by default: en, or zh (a notebook's set_language still decides)")


@command("student-env", "a course_lib for students graded for credit: no reference solutions, checks replayed "
         "from recordings", student_env_arguments)
def run_student_env(args):
    from autograde.engine.student_env import build_student_env  # nbformat: see the note at the top

    try:
        package = build_student_env(args.out, args.through, language=args.lang)
    except ValueError as error:
        sys.exit(f"error: {error}")
    print(f"wrote {package} and the student commands beside it, no reference solution inside (checks answer "
          f"for seed 0, the notebooks' own). Students install the course's requirements, then it: "
          f"`pip install -r requirements.lock && pip install --no-deps {args.out}`")


if __name__ == "__main__":
    main()
