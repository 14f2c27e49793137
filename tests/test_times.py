"""Times a learner can plan by: each introduction states reading and exercise minutes, counted from its notebook by
the method that README.md ("How long each notebook takes") writes down, and recounting finds the same numbers."""
import re

import build
import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell

from autograde.gradebook import course

author = build.author
STEMS = course.assignments()
EDITIONS = {"en": course.NOTEBOOKS, "zh": course.NOTEBOOKS / "zh"}


def printed_times(nb, language):
    """(cell index, match) of the one times line a notebook prints, in its introduction."""
    found = [(i, m) for i, cell in enumerate(nb.cells) if cell.cell_type == "markdown"
             for m in re.finditer(author.times_pattern(language), cell.source)]
    assert len(found) == 1, f"{len(found)} times lines, expected one in the introduction"
    return found[0]


@pytest.mark.parametrize("language", EDITIONS)
@pytest.mark.parametrize("stem", STEMS)
def test_the_committed_notebook_prints_the_times_its_text_adds_up_to(stem, language):
    """Recount the committed notebook (its own language's text) and find the minutes its introduction prints."""
    nb = nbformat.read(EDITIONS[language] / f"{stem}.ipynb", as_version=4)
    index, match = printed_times(nb, language)
    assert index == 0, "the times belong in the introduction, the first cell"
    assert author.TIMES_MARK not in "".join(c.source for c in nb.cells)
    counted = author.plan_times(nb.cells, language)
    printed = (int(match["reading"]), int(match["exercises"]), int(match["optional"] or 0))
    assert printed == (counted.reading, counted.exercises, counted.optional), (
        f"{language}/{stem}.ipynb prints reading {printed[0]}, exercises {printed[1]}, optional {printed[2]}; "
        f"its text adds up to {counted.reading}, {counted.exercises}, {counted.optional} ({counted}): "
        f"run `make notebooks`")
    # what was counted is the notebook's text, in its own language: not an empty count that rounds to 5
    assert counted.code_lines > 20 and counted.exercise_minutes > 0, counted
    assert (counted.words > 500 and counted.characters == 0 if language == "en"
            else counted.words > 100 and counted.characters > 1000), counted


@pytest.mark.parametrize("stem", STEMS)
def test_every_exercise_header_is_counted(stem):
    """Each exercise (a solution cell) has a header whose difficulty and minutes the count reads."""
    nb = nbformat.read(EDITIONS["en"] / f"{stem}.ipynb", as_version=4)
    solutions = sum(1 for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution"))
    headers = [author._exercise_header(c.source, "en") for c in nb.cells if c.cell_type == "markdown"]
    assert solutions == len([h for h in headers if h]) > 0


def test_the_rates_are_the_ones_the_readme_states():
    """400 English words, 600 Chinese characters and 20 lines of code are 2 minutes each; hints, the exercise's
    own code cells and the times line are not reading; a difficulty-3 exercise of 20 minutes counts 30."""
    hint = '<details data-hint="idea"><summary>Hint</summary>\n\n' + "word " * 1000 + "\n\n</details>"
    header = ("### Exercise 1: `f`\n\n> **Difficulty** " + "\U0001F534" * 3 + "\u26aa" * 2 + " &nbsp; **Importance** "
              "\U0001F535\u26aa\u26aa\u26aa\u26aa &nbsp; about 20 minutes\n\n" + hint)
    solution = new_code_cell("x = 1\n" * 50, metadata={"nbgrader": {"solution": True, "grade_id": "f"}})
    check = new_code_cell("check_f(f)", metadata={"nbgrader": {"grade_id": "check_f", "locked": True}})
    cells = [new_markdown_cell("word " * 400 + author.TIMES_MARK), new_markdown_cell(header), solution, check,
             new_code_cell("a = 1\n\n" * 20)]
    en = author.plan_times(cells, "en")
    # the header's own 8 words: Exercise 1 f Difficulty Importance about 20 minutes (`&nbsp;` is no word)
    assert (en.words, en.characters, en.code_lines) == (400 + 8, 0, 20)
    assert en.reading_minutes == pytest.approx(408 / 200 + 2) and en.reading == 5
    assert en.exercise_minutes == 30 and en.exercises == 30 and en.optional == 0

    zh = author.plan_times([new_markdown_cell("字" * 600 + " d_k")], "zh")
    assert (zh.characters, zh.words) == (600, 1) and zh.reading_minutes == pytest.approx(2 + 1 / 200)


def test_rounding_is_to_the_nearest_five_minutes_and_never_zero():
    assert [author.rounded_minutes(m) for m in (0.1, 7.4, 7.5, 12.4, 12.6, 101)] == [5, 5, 10, 10, 15, 100]


def test_an_optional_section_s_exercises_are_stated_apart():
    def header(n):
        return (f"### Exercise {n}: `f{n}`\n\n> **Difficulty** \U0001F534\u26aa\u26aa\u26aa\u26aa &nbsp; "
                f"**Importance** \U0001F535\u26aa\u26aa\u26aa\u26aa &nbsp; about 10 minutes\n\ntext")
    cells = [new_markdown_cell("## 1. Core"), new_markdown_cell(header(1)),
             new_markdown_cell("## 2. Optional extension: more"), new_markdown_cell(header(2)),
             new_markdown_cell("## Summary")]
    times = author.plan_times(cells, "en")
    assert (times.exercises, times.optional) == (10, 10)
    line = author.times_line(times, "en")
    assert "exercises about 10 min, and 10 more for the optional extension" in line
    match = re.search(author.times_pattern("en"), line)
    assert (match["reading"], match["exercises"], match["optional"]) == ("5", "10", "10")


def test_a_section_added_to_a_notebook_moves_its_reading_time(monkeypatch):
    """The times are counted when the notebook is built: 1,000 more words of prose are 5 more minutes."""
    module = build.load("03_self_attention")
    before = printed_times(build.build("03_self_attention"), "en")[1]
    extra = author.markdown(author.bi("## An added section\n\n" + "word " * 1000))
    original = module.notebook

    def with_extra(cells, title=None):
        return original([*cells, extra], title=title)

    monkeypatch.setattr(build, "load", lambda stem: (setattr(module, "notebook", with_extra), module)[1])
    after = printed_times(build.build("03_self_attention"), "en")[1]
    assert int(after["reading"]) == int(before["reading"]) + 5
    assert after["exercises"] == before["exercises"]


def test_a_notebook_without_the_mark_is_left_as_it_is():
    nb = author.notebook([new_markdown_cell("# Title\n\nNo times here.")])
    assert nb.cells[0].source == "# Title\n\nNo times here."
