"""Where a learner stands across the course: `course_lib.progress()` in any notebook.

Every `check_<exercise>` call notes its verdict here (`record_check`, which hears the verdicts the check framework
announces through `course_lib.verdicts`: passed, or failed with the mistake it named, under the mistake's English
name so that both editions read the same record; an exercise not begun stays "not tried"), and every predict-then-run
question notes whether it was answered (`record_prediction`). The record is a small JSON file, `RECORD`, in the
learner's working folder (the notebook's current folder), never in the home folder: it survives a kernel restart,
it stays on this machine, and `submit` hands in the notebook alone, never the record.

Writing it never breaks a check: the file is written whole or not at all (a temporary file, then `os.replace`),
and where it cannot be written (a read-only folder) nothing is recorded. While a notebook is graded or validated
(nbgrader's `NBGRADER_EXECUTION` is set) nothing is recorded either, so no file appears in a graded working copy.
`COURSE_PROGRESS=0` in the environment turns the record off (the test suite does, for the folders it runs in).

`progress(folder=None)` draws the record as one figure: a row per notebook, a cell per exercise (passed, failed
with the mistake last named, not tried), the predictions answered per notebook, and a one-line summary; in a
notebook it is shown. `python -m autograde progress [FOLDER]` saves the same figure as a PNG and prints the text.

The module is callable: `course_lib.progress()` is `course_lib.progress.progress()`, while
`course_lib.progress.record_check(...)` and `from course_lib.progress import record_check` keep working (one
object, the module, whose class adds `__call__`; no function shadows the module in `course_lib`).

Which notebook an exercise belongs to is read from `course_lib.checks`, as `autograde.engine.student_env.own_exercises`
reads it: the exercises each `course_lib/checks/<topic>.py` defines (in a student environment, those its
recording holds), and the notebook number its docstring states ("Checks for notebook 03: ...").
"""
import functools
import importlib
import json
import os
import pkgutil
import re
import sys
import tempfile
import textwrap
import time
import types
from pathlib import Path

from .i18n import language, tr
from .verdicts import listen

RECORD = ".course-progress.json"
FIGURE = "course-progress.png"  # what `python -m autograde progress` saves beside it
# The learner's own files in the working folder, never handed in (shell patterns: the record, the temporary files
# of its atomic writes, the figure): `submit`, nbgrader's exchange and `collect` leave them out
NOT_HANDED_IN = (RECORD, RECORD + ".*", FIGURE)
FORMAT = 1

# passed, failed, not tried: the colours of the grid (colour-blind safe: blue-green, vermilion, light grey)
COLOURS = {"passed": "#009E73", "failed": "#D55E00", "untried": "#E8E8E8"}


# -- the record -----------------------------------------------------------------------------------------------
def recording() -> bool:
    """Whether checks write the record now: not while nbgrader grades or `validate` runs a notebook."""
    return "NBGRADER_EXECUTION" not in os.environ and os.environ.get("COURSE_PROGRESS", "1") != "0"


def _empty():
    return {"format": FORMAT, "checks": {}, "predictions": {}}


def read(folder=None) -> dict:
    """The record of one folder (default: the current one): {"checks": {exercise: {passed, mistake, notebook,
    tries, time}}, "predictions": {notebook: {question: answered}}}; empty where there is none or it is unreadable."""
    try:
        data = json.loads((Path(folder if folder is not None else os.getcwd()) / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return _empty()
    if not isinstance(data, dict) or not isinstance(data.get("checks", {}), dict) \
            or not isinstance(data.get("predictions", {}), dict):
        return _empty()
    data.setdefault("checks", {})
    data.setdefault("predictions", {})
    return data


def _write(data, folder=None):
    """Write the record whole (a temporary file beside it, then `os.replace`) or not at all."""
    folder = Path(folder if folder is not None else os.getcwd())
    fd, partial = tempfile.mkstemp(prefix=RECORD + ".", suffix=".partial", dir=folder)
    try:
        os.chmod(partial, 0o644)  # as a file the learner saved, not mkstemp's owner-only 0600
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1, sort_keys=True, ensure_ascii=False)
        os.replace(partial, folder / RECORD)
    except BaseException:
        try:
            os.unlink(partial)
        except OSError:
            pass
        raise


def _now():
    return time.strftime("%Y-%m-%dT%H:%M:%S")


def record_check(exercise: str, passed: bool, mistake: str | None = None, notebook: str | None = None):
    """Note that the check of `exercise` passed, or failed naming `mistake` (its English name, or None when no
    mistake was named). `notebook` (a stem such as "03_self_attention") is found from the exercise when not given.
    Never raises; records nothing while grading or where the folder cannot be written."""
    if not recording():
        return
    try:
        data = read()
        entry = data["checks"].get(exercise)
        entry = entry if isinstance(entry, dict) else {}
        entry.update(passed=bool(passed), mistake=None if passed else mistake, time=_now(),
                     tries=int(entry.get("tries", 0) or 0) + 1)
        if notebook:
            entry["notebook"] = notebook
        data["checks"][exercise] = entry
        _write(data)
    except Exception:  # noqa: BLE001 - a record that cannot be written must never break a check
        pass


listen(record_check)  # every learner's check_<exercise> call (course_lib.checks.framework announces it)


def record_prediction(question: str, answered: bool, notebook: str | None = None):
    """Note that the predict-then-run `question` of `notebook` was answered (or met unanswered). Never raises."""
    if not recording():
        return
    try:
        data = read()
        data["predictions"].setdefault(notebook or "", {})[str(question)] = bool(answered)
        _write(data)
    except Exception:  # noqa: BLE001 - a record that cannot be written must never break a notebook
        pass


def gathered(folder=None) -> dict:
    """The record a learner's progress is drawn from: that of `folder` (default: the current one) and of its
    subfolders one level down (nbgrader's exchange gives each assignment its own folder). A folder named after a
    notebook (`03_self_attention/`) stands for its parent, so a notebook there sees the whole course. For each
    exercise, the latest verdict wins."""
    folder = Path(folder if folder is not None else os.getcwd())
    if folder.name in {stem for stem, _ in course_table()}:
        folder = folder.parent
    folders = [folder]
    try:
        folders += sorted(p for p in folder.iterdir() if p.is_dir() and (p / RECORD).is_file())
    except OSError:
        pass
    merged = _empty()
    for place in folders:
        data = read(place)
        for name, entry in data["checks"].items():
            if isinstance(entry, dict) and str(entry.get("time", "")) >= str(
                    merged["checks"].get(name, {}).get("time", "")):
                merged["checks"][name] = entry
        for notebook, questions in data["predictions"].items():
            if isinstance(questions, dict):
                for question, answered in questions.items():
                    here = merged["predictions"].setdefault(notebook, {})
                    here[question] = bool(here.get(question)) or bool(answered)
    return merged


# -- the course's exercises, notebook by notebook -----------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def course_table() -> tuple:
    """((notebook stem, (exercise, ...)), ...) for every notebook of the course, in course order.

    Read from `course_lib.checks`: the exercises each `checks/<topic>.py` defines (a student environment's
    stub module: the exercises its recording holds), under the stem "NN_<topic>" its docstring's "Checks for
    notebook NN" gives. A student environment built through an earlier notebook lists a later notebook's
    exercises by their check names only (`checks._LATER`): those show as their snake-case names."""
    from . import checks
    from .checks.framework import REGISTRY, Exercise

    rows = {}
    for info in pkgutil.iter_modules(checks.__path__):
        if info.name.startswith("_") or info.name == "framework":
            continue
        module = importlib.import_module(f"{checks.__name__}.{info.name}")
        found = re.match(r"\s*Checks for notebook (\d+)", module.__doc__ or "")
        stem = f"{int(found.group(1)):02d}_{info.name}" if found else info.name
        names = [value.name for value in vars(module).values()
                 if isinstance(value, Exercise) and REGISTRY.get(value.name) is value]
        if not names and callable(getattr(module, "load", None)):  # a student environment's recorded checks
            names = _recorded_names(info.name)
        rows[stem] = sorted(dict.fromkeys(names), key=lambda n: list(REGISTRY).index(n) if n in REGISTRY else 0)
    for check_name, assignment in (getattr(checks, "_LATER", None) or {}).items():
        rows.setdefault(assignment, []).append(check_name.removeprefix("check_"))
    return tuple((stem, tuple(names)) for stem, names in sorted(rows.items()))


def _recorded_names(topic: str) -> list:
    """The exercise names a student environment's recording of `topic` holds, in their order."""
    from .checks import _recorded

    try:
        import torch

        data = torch.load(os.path.join(_recorded.RECORDINGS, f"{topic}.pt"), weights_only=True)
        return [str(e["name"]) for e in data["exercises"]]
    except Exception:  # noqa: BLE001 - a recording that cannot be read: its checks say why when called
        return []


def notebook_of(exercise: str) -> str | None:
    """The notebook stem of an exercise ("softmax" -> "03_self_attention"), or None."""
    return next((stem for stem, names in course_table() if exercise in names), None)


def _titles():
    """Each notebook's topic in the current language (the grid's row labels)."""
    return {"sequence_models": tr("Sequence models"), "classic_attention": tr("Classic attention"),
            "self_attention": tr("Self-attention"), "multi_head_attention": tr("Multi-head attention"),
            "positional_encoding": tr("Positional encoding"), "parallelism": tr("Parallelism"),
            "training_deep_stacks": tr("Training deep stacks"), "transformer": tr("The Transformer"),
            "gpt": tr("GPT, decoder only")}


def _title(stem: str) -> str:
    number, _, topic = stem.partition("_")
    if not number.isdigit():
        number, topic = "", stem
    name = _titles().get(topic) or topic.replace("_", " ").capitalize()
    return f"{number} {name}".strip()


def mistake_words(mistake: str | None) -> str:
    """A recorded mistake (its English name) in the current language; "A or B (these give the same outputs here)"
    part by part."""
    if not mistake:
        return ""
    said = tr(mistake)
    if said == mistake and language() != "en" and " or " in mistake:
        core = mistake.removesuffix(" (these give the same outputs here)")
        said = functools.reduce(lambda a, b: tr("{first} or {second}", first=a, second=b),
                                [tr(part) for part in core.split(" or ")])
        said = tr("{names} (these give the same outputs here)", names=said) if core != mistake else said
    return said


# -- what the record says ---------------------------------------------------------------------------------------
def summary(folder=None) -> dict:
    """{"notebooks": [(stem, [(exercise, state, mistake)], answered, asked)], "passed", "failed", "total",
    "answered", "asked"}: state is "passed", "failed" or "untried"."""
    from .checks.framework import snake_case

    record = gathered(folder)
    table = [(stem, list(names)) for stem, names in course_table()]
    # a student environment built through an earlier notebook knows a later exercise by its check's name only
    by_snake = {snake_case(name): name for name in record["checks"]}
    known = {snake_case(name) for _, names in table for name in names}
    for name, entry in record["checks"].items():  # an exercise the table does not hold (renamed, or newer)
        stem = entry.get("notebook")
        if snake_case(name) not in known and stem:
            row = next((r for r in table if r[0] == stem), None)
            if row is None:
                table.append(row := (stem, []))
            row[1].append(name)
    stems = {stem for stem, _ in table}
    for stem in record["predictions"]:
        if stem not in stems:
            table.append((stem, []))
    notebooks, counts = [], {"passed": 0, "failed": 0, "untried": 0}
    for stem, names in table:
        cells = []
        for name in names:
            entry = record["checks"].get(name) or record["checks"].get(by_snake.get(snake_case(name), ""))
            state = "untried" if not entry else "passed" if entry.get("passed") else "failed"
            counts[state] += 1
            cells.append((name, state, (entry or {}).get("mistake") if state == "failed" else None))
        questions = record["predictions"].get(stem, {})
        notebooks.append((stem, cells, sum(bool(v) for v in questions.values()), len(questions)))
    return {"notebooks": notebooks, "passed": counts["passed"], "failed": counts["failed"],
            "total": sum(counts.values()), "answered": sum(n[2] for n in notebooks),
            "asked": sum(n[3] for n in notebooks)}


def headline(s: dict) -> str:
    """The one-line summary: "12 of 31 exercises passed, 3 failed; 5 of 8 predictions answered"."""
    line = tr("{passed} of {total} exercises passed, {failed} failed", passed=s["passed"], total=s["total"],
              failed=s["failed"])
    if s["asked"]:
        line += tr("; {answered} of {asked} predictions answered", answered=s["answered"], asked=s["asked"])
    return line


def text(folder=None) -> str:
    """The record as lines of text, one per notebook (what the command prints)."""
    s = summary(folder)
    marks = {"passed": "\u2714", "failed": "\u2718", "untried": "\u00b7"}
    lines = [headline(s)]
    width = max((len(stem) for stem, *_ in s["notebooks"]), default=0)
    for stem, cells, answered, asked in s["notebooks"]:
        done = sum(state == "passed" for _, state, _ in cells)
        parts = [f"{marks[state]} {name}" + (f" ({mistake_words(mistake)})" if mistake else "")
                 for name, state, mistake in cells]
        line = f"{stem:<{width}}  {done}/{len(cells)}  " + "  ".join(parts)
        if asked:
            line += "  " + tr("predictions {answered}/{asked}", answered=answered, asked=asked)
        lines.append(line)
    lines.append(tr("\u2714 passed  \u2718 failed (the mistake last named)  \u00b7 not tried"))
    return "\n".join(lines)


# -- the figure ---------------------------------------------------------------------------------------------------
_WIDE = "[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]"  # characters two columns wide: CJK and full-width punctuation


def _wrapped(words: str, width: int) -> str:
    """`words` in lines of at most about `width` columns: an identifier breaks after an underscore or before a
    capital, Chinese anywhere (a Chinese character takes two columns)."""
    if re.search(_WIDE, words):  # break between Chinese characters or between words, never inside a word
        lines, line, used = [], "", 0
        for token in re.findall(rf"{_WIDE}|[^\s\u3000-\u303f\u3400-\u9fff\uff00-\uffef]+|\s+", words):
            size = len(token) * (2 if re.match(_WIDE, token) else 1)
            if line.strip() and used + size > width:
                lines.append(line.rstrip())
                line, used = "", 0
                if token.isspace():
                    continue
            line, used = line + token, used + size
        return "\n".join(lines + [line.rstrip()])
    if " " in words or len(words) <= width:
        return "\n".join(textwrap.wrap(words, width, break_long_words=True)) or words
    lines, line = [], ""
    for piece in re.findall(r"[A-Z]?[^_A-Z]*_?", words):
        if line and len(line) + len(piece) > width:
            lines.append(line)
            line = ""
        line += piece
    return "\n".join(lines + [line])


def figure(folder=None):
    """The progress figure (a matplotlib Figure, drawn without pyplot, so it is shown once where it is shown)."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import FancyBboxPatch, Patch

    if language() == "zh":
        from .fonts import use_cjk_font

        use_cjk_font()
    s = summary(folder)
    rows = s["notebooks"]
    columns = max([len(cells) for _, cells, _, _ in rows] + [1])
    step, left, right = 2.05, 2.6, 2.3  # a cell's width, and the room for the row labels and the predictions
    width = left + step * columns + right
    fig = _figure_class()(figsize=(width, 1.5 + 0.8 * len(rows)), dpi=100)
    ax = fig.add_axes([0.0, 0.11, 1.0, 0.8])
    ax.set_xlim(-left, step * columns + right)
    ax.set_ylim(len(rows) - 0.5, -0.75)
    ax.axis("off")
    px = step * columns + 0.1  # where the predictions column starts
    for r, (stem, cells, answered, asked) in enumerate(rows):
        done = sum(state == "passed" for _, state, _ in cells)
        ax.text(-left + 0.15, r - 0.12, _title(stem), ha="left", va="center", fontsize=10.5, fontweight="bold",
                color="#222222")
        ax.text(-left + 0.15, r + 0.22, tr("{passed} of {total} passed", passed=done, total=len(cells)),
                ha="left", va="center", fontsize=8, color=COLOURS["passed"] if done == len(cells) and cells
                else "#666666")
        for c, (name, state, mistake) in enumerate(cells):
            x = c * step
            ax.add_patch(FancyBboxPatch((x + 0.06, r - 0.41), step - 0.12, 0.82,
                                        boxstyle="round,pad=0,rounding_size=0.12", facecolor=COLOURS[state],
                                        edgecolor="white", linewidth=1.5))
            ink = "#444444" if state == "untried" else "white"
            weight = "normal" if state == "untried" else "bold"
            if state == "failed" and mistake:
                ax.text(x + step / 2, r - 0.2, "\u2718 " + _wrapped(name, 24), ha="center", va="center", fontsize=7.5,
                        fontweight=weight, color=ink, linespacing=0.95)
                ax.text(x + step / 2, r + 0.16, _wrapped(mistake_words(mistake), 34), ha="center", va="center",
                        fontsize=6.5, color=ink, style="italic" if language() == "en" else "normal",
                        linespacing=0.95)
            else:
                mark = {"passed": "\u2714 ", "failed": "\u2718 "}.get(state, "")
                ax.text(x + step / 2, r, mark + _wrapped(name, 24), ha="center", va="center", fontsize=7.5,
                        fontweight=weight, color=ink, linespacing=0.95)
        # the notebook's predictions: a dot per question met, filled when answered
        if asked:
            shown = min(asked, 8)
            xs = [px + 0.2 + 0.24 * q for q in range(shown)]
            ax.plot(xs, [r - 0.13] * shown, linestyle="", marker="o", markersize=8, markeredgewidth=1.3,
                    markeredgecolor="#0072B2", markerfacecolor="none")
            filled = min(answered, shown)
            if filled:
                ax.plot(xs[:filled], [r - 0.13] * filled, linestyle="", marker="o", markersize=8,
                        markeredgewidth=1.3, markeredgecolor="#0072B2", markerfacecolor="#0072B2")
            ax.text(px + 0.1, r + 0.22, tr("{answered} of {asked} answered", answered=answered, asked=asked),
                    ha="left", va="center", fontsize=8, color="#444444")
        else:
            ax.text(px + 0.1, r, tr("no prediction yet"), ha="left", va="center", fontsize=8, color="#999999")
    ax.text(px + 0.1, -0.62, tr("predictions"), ha="left", va="center", fontsize=9.5, fontweight="bold",
            color="#0072B2")
    ax.text(step * columns / 2, -0.62, tr("exercises"), ha="center", va="center", fontsize=9.5,
            fontweight="bold", color="#444444")
    fig.suptitle(tr("Your progress: {headline}", headline=headline(s)), fontsize=13.5, fontweight="bold", y=0.975)
    handles = [Patch(facecolor=COLOURS["passed"], label=tr("passed")),
               Patch(facecolor=COLOURS["failed"], label=tr("failed (the mistake last named beneath)")),
               Patch(facecolor=COLOURS["untried"], edgecolor="#BBBBBB", label=tr("not tried")),
               Line2D([], [], marker="o", linestyle="", markerfacecolor="#0072B2", markeredgecolor="#0072B2",
                      label=tr("prediction answered")),
               Line2D([], [], marker="o", linestyle="", markerfacecolor="none", markeredgecolor="#0072B2",
                      label=tr("prediction met, not answered"))]
    fig.legend(handles=handles, loc="lower center", ncol=5, frameon=False, fontsize=9)
    return fig


def _in_notebook() -> bool:
    shell = sys.modules.get("IPython") and sys.modules["IPython"].get_ipython()
    return bool(shell) and "IPKernelApp" in getattr(shell, "config", {})


def _shell():
    ipython = sys.modules.get("IPython")
    return ipython.get_ipython() if ipython else None


@functools.lru_cache(maxsize=None)
def _figure_class():
    """`ProgressFigure`, made on first use: importing this module imports no matplotlib (checks import it)."""
    from matplotlib.figure import Figure

    class ProgressFigure(Figure):
        """A Figure that `progress()` shows in a notebook once: as the cell's last value it is not drawn again."""

        _shown_at = None  # the notebook cell (its execution count) where progress() showed it

        def png(self) -> bytes:
            import io

            buffer = io.BytesIO()
            self.savefig(buffer, format="png", dpi=100, facecolor="white")
            return buffer.getvalue()

        def _ipython_display_(self):
            shell = _shell()
            if shell is not None and self._shown_at is not None and shell.execution_count == self._shown_at:
                return  # progress() showed it in this very cell
            from IPython.display import display

            display({"image/png": self.png()}, raw=True)

    return ProgressFigure


def progress(folder=None, language=None):
    """Draw where you stand across the course, from the record in `folder` (default: this notebook's folder):
    every exercise of every notebook as passed, failed (with the mistake last named) or not tried, and the
    predictions answered. Returns the matplotlib Figure; in a notebook it is shown (once)."""
    from contextlib import nullcontext

    from .i18n import speaking

    with speaking(language) if language else nullcontext():
        fig = figure(folder)
    shell = _shell()
    if shell is not None and _in_notebook():
        from IPython.display import display

        fig._shown_at = getattr(shell, "execution_count", None)
        display({"image/png": fig.png()}, raw=True)
    return fig


# -- `course_lib.progress()`: the module is callable --------------------------------------------------------------
class _CallableModule(types.ModuleType):
    def __call__(self, folder=None, language=None):
        return progress(folder, language)


sys.modules[__name__].__class__ = _CallableModule
