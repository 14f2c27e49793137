"""Authoring helpers for the source notebooks: both languages, exercise headers, check cells and graded tests.

Each notebook `notebooks/<stem>.ipynb` (English) and `notebooks/zh/<stem>.ipynb` (Simplified Chinese) is built
by `notebooks/src/<stem>.py` (`make notebooks`); solution cells come from `course_lib.solutions`, so the two
cannot drift, and `tests/test_notebooks.py` fails when a committed notebook differs from a fresh build.

**Two languages, one source.** Every passage a learner reads is written once in each language, side by side:

    INTRO = bi(\"\"\"# 03 · Self-attention ...\"\"\",
               zh=\"\"\"# 03 · 自注意力 ...\"\"\", of="1f0c9e4d2a")

`of` is the start of the SHA-256 of the English text the Chinese translates (`stamp(english)`). When the English
changes, `tests/test_translations.py` fails and names the stale passage; `python notebooks/build.py --stale`
lists every stale or missing translation with the stamp the English has now. Code cells are passages too
(their comments, printed sentences and plot labels differ); their code must not: the test compares the two
editions' code with comments and strings removed. Read-only cells (set-up, checks, graded tests) are the same
bytes in both editions, so that nbgrader and the grader see one assignment.
"""
import hashlib
import inspect
import os
from dataclasses import dataclass, field

from autograde.engine import hints as _hints
from autograde.engine.notebook import code as _code
from autograde.engine.notebook import locked_code as _locked_code
from autograde.engine.notebook import markdown as _markdown
from autograde.engine.notebook import notebook as _notebook
from autograde.engine.notebook import solution_code, solution_source, test_code  # noqa: F401
from course_lib.checks.framework import snake_case

LANGUAGES = ("en", "zh")
EDITION = "en"  # the language `build()` writes; notebooks/build.py sets it for each edition
STAMP_LENGTH = 10


def stamp(english: str) -> str:
    """The record a translation keeps of the English it follows: the start of its SHA-256."""
    return hashlib.sha256(english.encode()).hexdigest()[:STAMP_LENGTH]


@dataclass(frozen=True)
class Passage:
    """One text a learner reads, in English and in Chinese; `of` is the stamp of the English the Chinese follows."""

    en: str
    zh: str | None = None
    of: str | None = None
    where: str = field(default="", compare=False)  # file:line of the passage, for the drift test's messages

    @property
    def stale(self) -> bool:
        return self.zh is not None and self.of != stamp(self.en)

    def text(self, language: str | None = None) -> str:
        language = language or EDITION
        if language == "en":
            return self.en
        if self.zh is None:
            raise ValueError(f"{self.where}: this passage has no Chinese yet (its English starts "
                             f"{self.en.strip()[:60]!r}); write it with of={stamp(self.en)!r}")
        return self.zh


PASSAGES: list[Passage] = []  # every passage made so far, in order: the drift test reads it


def bi(en: str, zh: str | None = None, of: str | None = None) -> Passage:
    """A passage in both languages: the English, its Chinese, and the stamp of the English it translates."""
    caller = inspect.stack()[1]
    passage = Passage(en, zh, of, where=f"{os.path.basename(caller.filename)}:{caller.lineno}")
    PASSAGES.append(passage)
    return passage


def pick(text) -> str:
    """The text of this edition: a passage's language, or a plain string (the same in both)."""
    return text.text() if isinstance(text, Passage) else text


def has_words(source: str) -> bool:
    """Whether code holds something a learner reads: a comment or a string literal of letters."""
    import io
    import tokenize

    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT or (token.type == tokenize.STRING and any(c.isalpha() for c in token.string
                                                                                     .lstrip("rbfRBF").strip("'\""))):
            return True
    return False


def _untranslated(kind, source):
    return ValueError(f"a {kind} cell written in one language only (starts {source.strip()[:60]!r}): "
                      f"make it a passage, bi(english, zh=chinese, of=stamp)")


_CJK = "\u4e00-\u9fff\u3000-\u303f\uff00-\uffef\u201c\u201d"  # ideographs, CJK and full-width punctuation, “”


def joined_lines(text):
    """Chinese prose with its soft line breaks removed where both sides are Chinese: Markdown renders a line break
    as a space, which Chinese does not put between characters (fenced code is left as written)."""
    import re

    parts = re.split(r"(```.*?```)", text, flags=re.S)
    return "".join(part if part.startswith("```") else re.sub(f"(?<=[{_CJK}])\n(?=[{_CJK}])", "", part)
                   for part in parts)


def markdown(source):
    """A markdown cell of prose, free for anyone to edit: a passage, in this edition's language."""
    if EDITION != "en" and not isinstance(source, Passage):
        raise _untranslated("markdown", source)
    text = pick(source)
    return _markdown(joined_lines(text) if EDITION == "zh" else text)


def code(source):
    """A plain code cell (a demo or an experiment), neither graded nor locked: a passage when it holds comments
    or sentences a learner reads."""
    if EDITION != "en" and not isinstance(source, Passage) and has_words(source):
        raise _untranslated("code", source)
    return _code(pick(source))


def locked_code(source, grade_id):
    """A read-only code cell: the same bytes in both editions (nbgrader's checksums and the grader's restore)."""
    if isinstance(source, Passage):
        raise TypeError(f"{source.where}: a read-only cell is the same in both editions; write its comments "
                        f"in both languages instead")
    return _locked_code(source, grade_id)


def notebook(cells, title=None):
    """The notebook of this edition; its metadata says which language it is in (`course.language`)."""
    if EDITION != "en" and title and not isinstance(title, Passage):
        raise _untranslated("title", title)
    nb = _notebook(cells, title=pick(title) if title else None)
    nb.metadata["course"] = {"language": EDITION}
    fill_times(nb)  # the introduction's reading and exercise minutes, counted from this notebook (end of file)
    return nb


# The set-up's first cell: a plain cell (not read-only, so it may differ), which chooses the language of every
# message the course's checks print. The same code in both editions; only the string and the comment differ.
LANGUAGE_CELL = bi(
    '# The language of the checks\' messages: "en" (English) or "zh" (Chinese).\n'
    "from course_lib import set_language\n\n"
    'set_language("en")',
    zh='# 检查信息所用的语言："zh"（中文）或 "en"（英文）。\n'
       "from course_lib import set_language\n\n"
       'set_language("zh")',
    of="8cefb50b8d")


def language_cell():
    """The cell that sets the checks' language to this edition's (run before the set-up cell)."""
    return code(LANGUAGE_CELL)


WORDS = {  # the fixed words of an exercise header
    "en": {"exercise": "Exercise", "difficulty": "Difficulty", "importance": "Importance",
           "minutes": "about {} minutes", "hint": "Hint"},
    "zh": {"exercise": "练习", "difficulty": "难度", "importance": "重要性", "minutes": "约 {} 分钟",
           "hint": "提示"},
}


def exercise_header(number, name, signature, difficulty, importance, minutes, text, hint):
    """An ARENA-style exercise header: difficulty, importance, time, signature and shapes, hidden hints.

    `hint` is `stages(idea=..., shapes=..., code=...)`: each stage behind its own click, the code last (issue 32;
    a release may withhold the code stage, `release --hints idea,shapes`). One passage is refused: it holds the
    idea and the code together, and a release could not withhold the code alone."""
    words = WORDS[EDITION]
    if not isinstance(hint, Stages):
        raise TypeError(f"{getattr(hint, 'where', name)}: the hint of exercise `{name}` is one passage; write it in "
                        f"stages, hint=stages(idea=bi(...), shapes=bi(...), code=bi(...)): the idea and the shapes "
                        f"and steps hold no code, the code comes last")
    for passage in (text, *hint.passages()):
        if EDITION != "en" and not isinstance(passage, Passage):
            raise _untranslated("exercise text or hint", passage)
    dots = lambda n, on: on * n + "\u26aa" * (5 - n)  # noqa: E731
    prose = lambda passage: joined_lines(pick(passage)) if EDITION == "zh" else pick(passage)  # noqa: E731
    return _markdown(
        f"### {words['exercise']} {number}: `{name}`\n\n"
        f"> **{words['difficulty']}** {dots(difficulty, chr(0x1F534))} &nbsp; "
        f"**{words['importance']}** {dots(importance, chr(0x1F535))}"
        f" &nbsp; {words['minutes'].format(minutes)}\n\n"
        f"```python\n{signature}\n```\n\n{prose(text)}\n\n{hint.markdown(prose)}"
    )


def check_cell(name, impl_name=None):
    """The read-only cell right after an exercise: run its public check on the learner's code."""
    impl_name = impl_name or name
    return _locked_code(f"check_{snake_case(name)}({impl_name})", f"check_{snake_case(name)}")


def graded_cell(name, points, seed, final_assert, impl_name=None):
    """A graded test: the public check and one visible assert run in the learner's kernel; the hidden tests
    are a marker the grader reads (`autograde/engine/verdict.py`) and runs in its own process, never in the kernel.

    `final_assert` is a small assert a learner can read; it ends the cell in both versions, so the cell
    never ends in an expression (nbgrader would read its value as partial credit). The marker is a comment:
    the grader strips the whole hidden region before the kernel runs the cell, so the seed never reaches it.
    The cell is read-only, so it is the same in both editions: its comment is written in both languages.
    """
    impl_name = impl_name or name
    plural = "s" if points != 1 else ""
    return test_code(
        f"# Graded test for `{impl_name}` ({points} point{plural}): the check above, then hidden tests on other inputs.\n"
        f"# 评分测试 `{impl_name}`（{points} 分）：先运行上面的检查，再用其他输入运行隐藏测试。\n"
        f"check_{snake_case(name)}({impl_name})\n"
        f"### BEGIN HIDDEN TESTS\n"
        f"# Run by the grader in its own process, on inputs this kernel never sees:\n"
        f"# hidden_test(\"{name}\", {impl_name}, seed={seed})\n"
        f"### END HIDDEN TESTS\n"
        f"{final_assert}",
        f"test_{snake_case(name)}", points)


def solution_cell(obj):
    """The cell a learner completes, generated from the reference in `course_lib.solutions`."""
    return solution_code(solution_source(obj), obj.__name__)


def signature_of(obj):
    """The signature a header shows, read from the reference: `def f(x, dim=-1)`, or a class's
    constructor and public methods."""
    if not inspect.isclass(obj):
        return f"def {obj.__name__}{inspect.signature(obj)}"
    lines = [f"class {obj.__name__}(nn.Module):"]
    for method in ["__init__"] + [n for n, f in vars(obj).items() if inspect.isfunction(f) and not n.startswith("_")]:
        lines.append(f"    def {method}{inspect.signature(getattr(obj, method))}")
    return "\n".join(lines)


def exercise(number, obj, *, points, seed, final_assert, difficulty, importance, minutes, text, hint,
             signature=None):
    """The four cells of an exercise, in order: header, solution, public check, graded test.

    The name comes from the reference `obj`, and the header's signature too unless `signature` is given.
    `text` and `hint` are passages (`bi`); `final_assert` sits in a read-only cell, so its message is written
    in both languages.
    """
    name = obj.__name__
    return [
        exercise_header(number, name, signature or signature_of(obj), difficulty, importance, minutes, text, hint),
        solution_cell(obj),
        check_cell(name),
        graded_cell(name, points, seed, final_assert),
    ]


# ---- Staged hints (issue 32): the idea, then the shapes and the steps, and only then the code ----------------
# Each stage is its own `<details data-hint="STAGE">` block in the exercise's header cell (a plain markdown cell:
# neither graded nor read-only, so nbgrader keeps it and checksums nothing in it). `autograde.steps.release` finds the
# blocks by that attribute: `release --hints idea,shapes` drops every `data-hint="code"` block (autograde/engine/hints.py).

HINT_STAGES = _hints.STAGES  # ("idea", "shapes", "code"), the order a learner opens them; a release may drop `code`
HINT_TITLES = {
    "en": {"idea": "Hint 1: the idea", "shapes": "Hint 2: shapes and steps", "code": "Hint 3: the code"},
    "zh": {"idea": "提示 1：思路", "shapes": "提示 2：形状与步骤", "code": "提示 3：代码"},
}


@dataclass(frozen=True)
class Stages:
    """An exercise's hints in stages, each a passage: `idea` (what to compute and why, no code), `shapes` (the
    tensors' shapes and the order of the steps, in words), `code` (the code, or the last step spelled out)."""

    idea: Passage
    shapes: Passage
    code: Passage

    def passages(self):
        return tuple(getattr(self, stage) for stage in HINT_STAGES)

    def markdown(self, prose=pick) -> str:
        """The stages as `<details>` blocks, one per stage, each titled in this edition's language."""
        titles = HINT_TITLES[EDITION]
        return "\n\n".join(hint_block(stage, titles[stage], prose(getattr(self, stage))) for stage in HINT_STAGES)


def hint_block(stage, title, body):
    """One hint stage as markdown: a `<details>` block marked with its stage, so that a release can find it."""
    return _hints.block(stage, title, body)


def stages(*, idea, shapes, code):
    """An exercise's hint in three stages, each a passage (`bi`): `hint=stages(idea=bi(...), shapes=bi(...),
    code=bi(...))`. The idea and the shapes hold no code (no fenced block); the code stage may."""
    hint = Stages(idea, shapes, code)
    for stage in ("idea", "shapes"):
        passage = getattr(hint, stage)
        if not isinstance(passage, Passage):
            raise TypeError(f"hint stage {stage!r} must be a passage, bi(english, zh=chinese, of=stamp)")
        if "```" in passage.en or "```" in (passage.zh or ""):
            raise ValueError(f"{passage.where}: hint stage {stage!r} holds a code block; code belongs in the "
                             f"`code` stage only")
    if not isinstance(code, Passage):
        raise TypeError("hint stage 'code' must be a passage, bi(english, zh=chinese, of=stamp)")
    return hint


# ---- Times a learner can plan by (issue 32): reading and exercises, counted from the built notebook -------------
# The method is written once, in README.md and README.zh-CN.md ("How long each notebook takes"); these are its
# numbers. An introduction holds TIMES_MARK where its time goes; `notebook()` replaces it with `times_line(...)`,
# counted from the notebook being built in its own language, so a section or exercise added later counts at once.
# tests/test_times.py recounts each committed notebook and finds the numbers it prints.

TIMES_MARK = "[[times]]"
WORDS_PER_MINUTE = 200  # words of Latin letters and digits (English prose, and the code names and formulas in both)
CHARACTERS_PER_MINUTE = 300  # Chinese characters (ideographs; punctuation not counted)
CODE_LINES_PER_MINUTE = 10  # non-blank lines of the code cells a learner reads and runs (six seconds a line)
DIFFICULTY_FACTOR = {1: 1.0, 2: 1.0, 3: 1.5, 4: 2.0, 5: 2.5}  # a header's minutes, scaled by its difficulty
ROUND_TO = 5  # minutes: each figure is rounded to the nearest 5, and is at least 5
TIMES_WORDS = {
    "en": ("reading about {reading} min · exercises about {exercises} min{optional} (how these are counted: the "
           "README, \u201cHow long each notebook takes\u201d)", ", and {optional} more for the optional extension"),
    "zh": ("阅读约 {reading} 分钟 · 练习约 {exercises} 分钟{optional}（估算方法见 README.zh-CN.md 的"
           "\u201c每个笔记本需要多长时间\u201d）", "，选做扩展另需约 {optional} 分钟"),
}
OPTIONAL_WORDS = {"en": "optional", "zh": "选做"}  # in a `## ` heading: its section's exercises are optional


@dataclass(frozen=True)
class PlanTimes:
    """What a notebook asks of a learner, counted from its cells; `reading` and `exercises` are the rounded minutes."""

    words: int  # words of Latin letters and digits in the prose, hints left out
    characters: int  # Chinese characters in the prose, hints left out
    code_lines: int  # non-blank lines of the code cells that are not an exercise's
    exercise_minutes: float  # the headers' minutes, each times DIFFICULTY_FACTOR of its difficulty
    optional_minutes: float = 0.0  # the same for the exercises of a section whose heading says it is optional

    @property
    def reading_minutes(self) -> float:
        return (self.words / WORDS_PER_MINUTE + self.characters / CHARACTERS_PER_MINUTE
                + self.code_lines / CODE_LINES_PER_MINUTE)

    @property
    def reading(self) -> int:
        return rounded_minutes(self.reading_minutes)

    @property
    def exercises(self) -> int:
        return rounded_minutes(self.exercise_minutes) if self.exercise_minutes else 0

    @property
    def optional(self) -> int:
        return rounded_minutes(self.optional_minutes) if self.optional_minutes else 0


def rounded_minutes(minutes: float) -> int:
    """Minutes to the nearest ROUND_TO (halves up), at least ROUND_TO: a plan, not a stopwatch."""
    return ROUND_TO * max(1, int(minutes / ROUND_TO + 0.5))


def _exercise_header(source: str, language: str):
    """(difficulty, minutes) of an exercise header cell, or None for any other markdown."""
    import re

    words = WORDS[language]
    if not re.match(rf"### {re.escape(words['exercise'])} \S+: ", source):
        return None
    minutes = re.search(re.escape(words["minutes"]).replace(r"\{\}", r"(\d+)"), source)
    difficulty = source.split("\n\n", 2)[1].count(chr(0x1F534)) if "\n\n" in source else 0
    if not minutes or difficulty not in DIFFICULTY_FACTOR:
        raise ValueError(f"an exercise header without its difficulty or minutes: {source[:80]!r}")
    return difficulty, int(minutes[1])


def _is_exercise_code(cell) -> bool:
    """An exercise's solution, check or graded test: its time is the exercise's, not reading."""
    meta = cell.metadata.get("nbgrader", {})
    return bool(meta.get("solution") or meta.get("grade") or str(meta.get("grade_id", "")).startswith("check_"))


def plan_times(cells, language: str | None = None) -> PlanTimes:
    """Count what `cells` (an nbformat notebook's cells, in `language`) ask of a learner: the prose (markdown, with
    the hints left out: they are read while doing an exercise), the code cells a learner reads and runs, and the
    exercises' minutes scaled by difficulty. The text of TIMES_MARK or of a times line itself is not counted."""
    import re

    language = language or EDITION
    words = characters = code_lines = 0
    exercise_minutes = optional_minutes = 0.0
    optional = False  # whether the section being read is optional (its `## ` heading says so)
    for cell in cells:
        source = cell.source
        if cell.cell_type == "markdown":
            heading = re.match(r"## (.*)", source)
            if heading:
                optional = OPTIONAL_WORDS[language] in heading[1].lower()
            header = _exercise_header(source, language)
            if header and optional:
                optional_minutes += header[1] * DIFFICULTY_FACTOR[header[0]]
            elif header:
                exercise_minutes += header[1] * DIFFICULTY_FACTOR[header[0]]
            prose = re.sub(r"<details\b[^>]*>.*?</details>", " ", source, flags=re.S)
            prose = re.sub(r"<[^>]+>|&[a-z]+;", " ", prose)  # HTML tags and entities (`&nbsp;`) are not words
            prose = prose.replace(TIMES_MARK, " ")
            prose = re.sub(times_pattern(language), " ", prose)
            characters += len(re.findall(r"[\u4e00-\u9fff]", prose))
            words += len(re.findall(r"[A-Za-z0-9_]+(?:['\u2019.\-][A-Za-z0-9_]+)*", prose))
        elif cell.cell_type == "code" and not _is_exercise_code(cell):
            code_lines += sum(1 for line in source.splitlines() if line.strip())
    return PlanTimes(words, characters, code_lines, exercise_minutes, optional_minutes)


def times_line(times: PlanTimes, language: str | None = None) -> str:
    """The sentence an introduction prints in place of TIMES_MARK."""
    sentence, optional = TIMES_WORDS[language or EDITION]
    return sentence.format(reading=times.reading, exercises=times.exercises,
                           optional=optional.format(optional=times.optional) if times.optional else "")


def times_pattern(language: str | None = None) -> str:
    """A regular expression that finds the sentence `times_line` writes, the two numbers as groups."""
    import re

    sentence, optional = (re.escape(text) for text in TIMES_WORDS[language or EDITION])
    optional = "(?:" + optional.replace(re.escape("{optional}"), r"(?P<optional>\d+)") + ")?"
    return (sentence.replace(re.escape("{reading}"), r"(?P<reading>\d+)")
            .replace(re.escape("{exercises}"), r"(?P<exercises>\d+)").replace(re.escape("{optional}"), optional))


def fill_times(nb):
    """Replace TIMES_MARK in `nb`'s markdown (the introduction) by its times, counted from `nb` itself; return them,
    or None where no cell holds the mark."""
    marked = [cell for cell in nb.cells if cell.cell_type == "markdown" and TIMES_MARK in cell.source]
    if not marked:
        return None
    times = plan_times(nb.cells, EDITION)
    for cell in marked:
        cell.source = cell.source.replace(TIMES_MARK, times_line(times, EDITION))
    return times


def question(question_id):
    """A predict-then-run question (`course_lib.predict.QUESTIONS`), put before the measurement it asks about: a
    markdown cell with the question and its answers, then the plain code cell the learner edits
    (`my_prediction_<name> = None`). The words come from course_lib/predict.py in this edition's language."""
    from course_lib import predict

    return [_markdown(predict.question_markdown(question_id, EDITION)),
            _code(predict.question_code(question_id, EDITION))]


def answer(question_id, measured):
    """The cell after the measurement that compares the learner's prediction with it: `compare(id, prediction,
    <measured>)`, where `measured` is the source of the keyword arguments, read from the notebook's own results.
    The same code in both editions (it prints in the language `set_language` chose); not graded."""
    from course_lib import predict

    return _code(predict.answer_code(question_id, measured))
