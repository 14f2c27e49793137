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

from autograde.notebook import code as _code
from autograde.notebook import locked_code as _locked_code
from autograde.notebook import markdown as _markdown
from autograde.notebook import notebook as _notebook
from autograde.notebook import solution_code, solution_source, test_code  # noqa: F401
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
    """An ARENA-style exercise header: difficulty, importance, time, signature and shapes, a hidden hint."""
    words = WORDS[EDITION]
    for passage in (text, hint):
        if EDITION != "en" and not isinstance(passage, Passage):
            raise _untranslated("exercise text or hint", passage)
    dots = lambda n, on: on * n + "\u26aa" * (5 - n)  # noqa: E731
    prose = lambda passage: joined_lines(pick(passage)) if EDITION == "zh" else pick(passage)  # noqa: E731
    return _markdown(
        f"### {words['exercise']} {number}: `{name}`\n\n"
        f"> **{words['difficulty']}** {dots(difficulty, chr(0x1F534))} &nbsp; "
        f"**{words['importance']}** {dots(importance, chr(0x1F535))}"
        f" &nbsp; {words['minutes'].format(minutes)}\n\n"
        f"```python\n{signature}\n```\n\n{prose(text)}\n\n"
        f"<details><summary>{words['hint']}</summary>\n\n{prose(hint)}\n\n</details>"
    )


def check_cell(name, impl_name=None):
    """The read-only cell right after an exercise: run its public check on the learner's code."""
    impl_name = impl_name or name
    return _locked_code(f"check_{snake_case(name)}({impl_name})", f"check_{snake_case(name)}")


def graded_cell(name, points, seed, final_assert, impl_name=None):
    """A graded test: the public check and one visible assert run in the learner's kernel; the hidden tests
    are a marker the grader reads (`autograde/verdict.py`) and runs in its own process, never in the kernel.

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
