"""Report: the class at a glance, as Markdown with PNG plots, from the grade log.

Per assignment: the score distribution; per exercise, how many students passed it, got it wrong, or did not
attempt it, and the misconceptions the checks named, with counts (a wrong answer and an unattempted one are
different news for an instructor); and the students to look at, each with the reason.
"""

import functools
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from autograde.engine.log import read_log
from autograde.gradebook import course
from autograde.gradebook.roster import names as roster_names
from autograde.gradebook.roster import read_roster
from autograde.steps.feedback import is_late_note
from course_lib.fonts import use_cjk_font
from course_lib.i18n import tr_in

NOT_ATTEMPTED = "not attempted"
UNNAMED = "(no known mistake recognised)"


@dataclass
class ExerciseStats:
    """How a class did on one exercise."""

    max_points: float = 0.0
    passed: int = 0
    wrong: int = 0
    not_attempted: int = 0
    mistakes: Counter = field(default_factory=Counter)  # named misconceptions (and UNNAMED), never NOT_ATTEMPTED

    @property
    def students(self):
        return self.passed + self.wrong + self.not_attempted


def summarise(log):
    """Per assignment: the scores; per (assignment, exercise): an ExerciseStats."""
    scores = defaultdict(list)
    exercises = defaultdict(ExerciseStats)
    for entry in log.values():
        if entry.status == "graded" or entry.status == "rejected":
            scores[entry.assignment].append((entry.score, entry.max_score))
        for r in entry.exercises:
            stats = exercises[(entry.assignment, r.exercise)]
            stats.max_points = r.max_points
            if r.passed:
                stats.passed += 1
            elif r.mistake == NOT_ATTEMPTED:
                stats.not_attempted += 1
            else:
                stats.wrong += 1
                stats.mistakes[r.mistake or UNNAMED] += 1
    return scores, exercises


def students_to_look_at(log, assignment, t=functools.partial(tr_in, "en")):
    """(student, reason) for every submission of `assignment` an instructor should open, in plain words: the
    learning problems first (below half marks with wrong answers, a cell that ran past its limit), then
    rejections, tampering and incidents. Lateness is not a reason here: it has its own section (`late`)."""
    # results reads notebooks (nbformat, about 0.3 s): kept out of `--help`, which imports this module
    from autograde.engine.results import TIMED_OUT

    found = []
    for entry in sorted(log.values(), key=lambda e: e.student):
        if entry.assignment != assignment:
            continue
        learning, other = [], []
        if entry.status == "graded" and entry.max_score and entry.score < entry.max_score / 2:
            wrong = [f"{r.exercise} ({t(r.mistake) if r.mistake else t('wrong')})" for r in entry.exercises
                     if not r.passed and r.mistake != NOT_ATTEMPTED]
            if wrong:
                learning.append(t("below half marks; wrong: {which}", which=", ".join(wrong)))
        timed_out = [n for n in entry.notes if "ran past" in n or "time budget" in n]
        if not timed_out and any(r.mistake == TIMED_OUT for r in entry.exercises):
            timed_out = [f"{r.exercise}: {r.message}" for r in entry.exercises if r.mistake == TIMED_OUT]
        learning += timed_out
        if entry.status != "graded":
            other.append(f"{entry.status}: {entry.message}")
        other += [n for n in entry.notes if n not in timed_out and not is_late_note(n)]
        if learning or other:
            found.append((not learning, entry.student, "; ".join(learning + other)))
    return [(student, reason) for _, student, reason in sorted(found)]


def late(log, assignment, roster=None):
    """(student, what) for every submission of `assignment` handed in late: by the due date recorded in the
    gradebook (with the penalty), or by the learning platform's own flag (Canvas's LATE, from the roster)."""
    roster = roster or {}
    found = []
    for entry in sorted(log.values(), key=lambda e: e.student):
        if entry.assignment != assignment:
            continue
        said = [n for n in entry.notes if is_late_note(n)]
        facts = roster.get((entry.student, assignment), {})
        if facts.get("platform_late"):
            said.append(f"{facts.get('platform') or 'the platform'} marked it {facts['platform_late']}")
        if said:
            found.append((entry.student, "; ".join(said)))
    return found


def _histogram(plt, assignment, values, top, path, t=functools.partial(tr_in, "en")):
    fig, ax = plt.subplots(figsize=(6, 3))
    whole = all(float(v).is_integer() for v in values) and float(top).is_integer()
    bins = [i - 0.5 for i in range(int(top) + 2)] if whole else [i * top / 10 for i in range(11)]
    ax.hist(values, bins=bins, color="#3b6ea8", edgecolor="white")
    ax.set(title=t("{assignment}: scores of {n} submissions", assignment=assignment, n=len(values)),
           xlabel=t("score (out of {top})", top=f"{top:g}"), ylabel=t("students"))
    ax.yaxis.set_major_locator(plt.MaxNLocator(integer=True))  # whole students only
    if whole:
        ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def exercise_chart(plt, assignment, rows, t=functools.partial(tr_in, "en")):
    """The figure of who did not pass each exercise. The title stands above the whole figure, left-aligned
    (long exercise names push the axes right, and a title centred on them was cut off), and the legend below
    the axes, never over a bar."""
    names = [name for name, _ in rows][::-1]
    wrong = [st.wrong for _, st in rows][::-1]
    missing = [st.not_attempted for _, st in rows][::-1]
    fig, ax = plt.subplots(figsize=(6, 1.6 + 0.4 * len(rows)))
    ax.barh(names, wrong, color="#a4161a", label=t("wrong"))
    ax.barh(names, missing, left=wrong, color="#bbbbbb", label=t("not attempted"))
    ax.set(xlabel=t("students"))
    fig.suptitle(t("{assignment}: who did not pass each exercise", assignment=assignment), x=0.01, ha="left",
                 fontsize="medium")
    ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.35 if len(rows) < 3 else -0.12), ncol=2, frameon=False)
    fig.tight_layout()
    return fig


def _exercise_chart(plt, assignment, rows, path, t=functools.partial(tr_in, "en")):
    fig = exercise_chart(plt, assignment, rows, t)
    fig.savefig(path, dpi=100, bbox_inches="tight")  # whatever the names' length, nothing is cut off
    plt.close(fig)


def write_report(course_dir=course.DEFAULT_COURSE_DIR, names=False, language="en"):
    """Write course/report/report.md and the plots of every assignment; return the Markdown's path. With
    `names`, each student id is followed by the name the learning platform gave (`collect`'s roster);
    `language` "zh" writes it in Chinese (the named mistakes in the checks' Chinese names)."""
    t = functools.partial(tr_in, language)
    if language != "en":
        use_cjk_font()
    plt = _pyplot()
    log = read_log(course_dir)
    if not log:
        raise SystemExit(f"error: nothing graded yet in {course_dir}: run `python -m autograde grade` first")
    out = Path(course_dir) / "report"
    out.mkdir(parents=True, exist_ok=True)
    scores, exercises = summarise(log)
    known, roster = (roster_names(course_dir) if names else {}), read_roster(course_dir)

    def who(student):
        return f"`{student}`" + (f" ({known[student]})" if student in known else "")

    lines = [t("# Class report"), ""]
    for assignment in sorted({e.assignment for e in log.values()}):
        rows = sorted(((k[1], v) for k, v in exercises.items() if k[0] == assignment),
                      key=lambda kv: -(kv[1].wrong + kv[1].not_attempted) / max(kv[1].students, 1))
        lines += [f"## {assignment}", ""]
        lines += _scores_section(plt, log, assignment, scores[assignment], out, t)
        lines += _exercises_section(plt, assignment, rows, out, t)
        lines += _students_section(log, assignment, roster, who, t)
    path = out / "report.md"
    path.write_text("\n".join(lines))
    (out / LANGUAGE_FILE).write_text(language)
    return path


def _pyplot():
    """matplotlib's pyplot, drawing to files (Agg)."""
    # matplotlib (about 0.4 s) is imported by the report's figures, not by every command that imports this module
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # (after `use`: pyplot then draws to files, whatever MPLBACKEND says)

    return plt


def _scores_section(plt, log, assignment, scored, out, t):
    """The score distribution of an assignment (a histogram beside the report) and its summary line."""
    values = [s for s, _ in scored]
    if not values:
        return []
    top = max((m for _, m in scored), default=0) or 1
    entries = [e for e in log.values() if e.assignment == assignment]
    rejected = sum(e.status == "rejected" for e in entries)
    faults = sum(e.status not in ("graded", "rejected") for e in entries)
    _histogram(plt, assignment, values, top, out / f"{assignment}_scores.png", t)
    median = sorted(values)[len(values) // 2]
    return [
        t("{n} submissions, mean {mean} / {top}, median {median}, {full} full marks, {rejected} not "
          "gradeable (scored 0)", n=len(values), mean=f"{sum(values) / len(values):.1f}", top=f"{top:g}",
          median=f"{median:.1f}", full=sum(v == top for v in values), rejected=rejected)
        + (t(", {faults} not graded because of a grader fault (no score recorded)", faults=faults)
           if faults else "") + t("."),
        "",
    ]


def _exercises_section(plt, assignment, rows, out, t):
    """Who did not pass each exercise (a chart beside the report), and the table of exercises with the
    misconceptions the checks named; `rows`: (exercise, ExerciseStats), the most failed first."""
    if not rows:
        return []
    _exercise_chart(plt, assignment, rows, out / f"{assignment}_exercises.png", t)
    lines = [
        f"![{t('score distribution')}]({assignment}_scores.png) ![{t('exercises')}]({assignment}_exercises.png)",
        "",
        t("| exercise | points | passed | wrong | not attempted | misconceptions named by the checks |"),
        "|---|---|---|---|---|---|",
    ]
    for name, st in rows:
        named = ", ".join(f"{t(m)} ({n})" for m, n in st.mistakes.most_common() if m != UNNAMED)
        if st.mistakes[UNNAMED]:
            named += ("; " if named else "") + t("unrecognised ({n})", n=st.mistakes[UNNAMED])
        lines.append(f"| `{name}` | {st.max_points:g} | {st.passed} / {st.students} | {st.wrong} | "
                     f"{st.not_attempted} | {named or '-'} |")
    return lines + [""]


def _students_section(log, assignment, roster, who, t):
    """The students to look at, each with the reason, then those who handed in late (`who` names a student)."""
    look = students_to_look_at(log, assignment, t)
    lines = [t("### Students to look at"), ""]
    lines += [f"- {who(student)}: {reason}" for student, reason in look] or [
        t("Nobody: no rejection, no tampering, nobody below half marks with a wrong answer.")]
    lines.append("")
    behind = late(log, assignment, roster)
    if behind:
        lines += [t("### Handed in late"), ""]
        lines += [f"- {who(student)}: {what}" for student, what in behind]
        lines.append("")
    return lines


LANGUAGE_FILE = "language"  # beside report.md: the language it was asked in, kept when grades refresh it


def report_language(course_dir):
    """The language the course's report was last written in (English when unsaid)."""
    try:
        found = (Path(course_dir) / "report" / LANGUAGE_FILE).read_text().strip()
    except OSError:
        return "en"
    return found if found in course.LANGUAGES else "en"
