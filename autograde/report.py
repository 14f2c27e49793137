"""Report: the class at a glance, as Markdown with PNG plots, from the grade log."""

from collections import Counter, defaultdict
from pathlib import Path

from . import course
from .log import read_log


def summarise(log):
    """Per assignment: the scores; per exercise: how many failed it and the most common named mistake."""
    scores = defaultdict(list)
    exercises = defaultdict(lambda: {"students": 0, "failed": 0, "mistakes": Counter(), "max_points": 0.0})
    for entry in log.values():
        scores[entry.assignment].append((entry.score, entry.max_score))
        for r in entry.exercises:
            stats = exercises[(entry.assignment, r.exercise)]
            stats["students"] += 1
            stats["max_points"] = r.max_points
            if not r.passed:
                stats["failed"] += 1
                stats["mistakes"][r.mistake or "(no known mistake recognised)"] += 1
    return scores, exercises


def write_report(course_dir=course.DEFAULT_COURSE_DIR):
    """Write course/report/report.md and one score histogram per assignment; return the Markdown's path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    log = read_log(course_dir)
    if not log:
        raise SystemExit(f"error: nothing graded yet in {course_dir}: run `python -m autograde grade` first")
    out = Path(course_dir) / "report"
    out.mkdir(parents=True, exist_ok=True)
    scores, exercises = summarise(log)
    lines = ["# Class report", ""]
    for assignment in sorted(scores):
        values = [s for s, _ in scores[assignment]]
        top = max(m for _, m in scores[assignment]) or 1
        rejected = sum(1 for e in log.values() if e.assignment == assignment and e.status != "graded")
        fig, ax = plt.subplots(figsize=(6, 3))
        ax.hist(values, bins=[i * top / 10 for i in range(11)], color="#3b6ea8", edgecolor="white")
        ax.set(
            title=f"{assignment}: scores of {len(values)} submissions",
            xlabel=f"score (out of {top:g})",
            ylabel="students",
        )
        fig.tight_layout()
        fig.savefig(out / f"{assignment}_scores.png", dpi=100)
        plt.close(fig)
        mean = sum(values) / len(values)
        lines += [
            f"## {assignment}",
            "",
            f"{len(values)} submissions, mean {mean:.2f} / {top:g}, median {sorted(values)[len(values) // 2]:g}, "
            f"{sum(v == top for v in values)} full marks, {rejected} not gradeable.",
            "",
            f"![score distribution]({assignment}_scores.png) ![failures per exercise]({assignment}_exercises.png)",
            "",
            "| exercise | points | failed | most common named mistake |",
            "|---|---|---|---|",
        ]
        rows = sorted(
            ((k[1], v) for k, v in exercises.items() if k[0] == assignment),
            key=lambda kv: -kv[1]["failed"] / max(kv[1]["students"], 1),
        )
        if rows:
            fig, ax = plt.subplots(figsize=(6, 0.5 + 0.4 * len(rows)))
            ax.barh(
                [name for name, _ in rows][::-1],
                [100 * st["failed"] / max(st["students"], 1) for _, st in rows][::-1],
                color="#a4161a",
            )
            ax.set(title=f"{assignment}: who failed each exercise", xlabel="students who failed it (%)", xlim=(0, 100))
            fig.tight_layout()
            fig.savefig(out / f"{assignment}_exercises.png", dpi=100)
            plt.close(fig)
        for name, stats in rows:
            share = stats["failed"] / max(stats["students"], 1)
            named = Counter({k: v for k, v in stats["mistakes"].items() if not k.startswith("(")})
            common = (named or stats["mistakes"]).most_common(1)
            mistake = f"{common[0][0]} ({common[0][1]})" if common else ""
            lines.append(
                f"| `{name}` | {stats['max_points']:g} | {stats['failed']} / {stats['students']} "
                f"({share:.0%}) | {mistake} |"
            )
        lines.append("")
    path = out / "report.md"
    path.write_text("\n".join(lines))
    return path
