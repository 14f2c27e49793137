"""Staged hints (issue 32): each exercise's hint in stages, the idea, the shapes and steps, then the code; and
`release --hints idea,shapes`, which withholds the code stage from the student versions without changing what
is graded."""
import csv

import nbformat
import pytest
from commandline import autograde

from autograde.engine import hints
from autograde.engine.log import read_log
from autograde.engine.notebook import grade_meta, is_solution
from autograde.gradebook import course
from autograde.steps import demo
from autograde.steps.demo import student_notebook

NB = "03_self_attention"
FOLDERS = {"en": "release", "zh": "release-zh"}


def headers(nb):
    """{exercise name: its header's markdown}: the markdown cell right before each solution cell."""
    return {grade_meta(c)["grade_id"]: nb.cells[i - 1].source
            for i, c in enumerate(nb.cells) if is_solution(c) and c.cell_type == "code"}


def released(course_dir, language, name):
    return nbformat.read(course_dir / FOLDERS[language] / name / f"{name}.ipynb", as_version=4)


# -- the markup ----------------------------------------------------------------------------------------------
def test_hints_keeps_the_first_stages_in_the_order_a_learner_opens_them():
    assert hints.choice(None) == hints.choice("idea,shapes,code") == ("idea", "shapes", "code")
    assert hints.choice("idea,shapes") == ("idea", "shapes") and hints.choice(" idea ") == ("idea",)
    for wrong, said in (("idea,code", "first stages in order"), ("shapes", "first stages in order"),
                        ("", "first stages in order"), ("idea,solution", "no hint stage 'solution'")):
        with pytest.raises(ValueError, match=said):
            hints.choice(wrong)


def test_drop_removes_the_withheld_stages_and_nothing_else():
    text = ("### Exercise 1: `f`\n\nDo this.\n\n"
            + "\n\n".join(hints.block(s, f"Hint {i}", f"body of {s}\n```python\nx = 1\n```" if s == "code"
                                      else f"body of {s}") for i, s in enumerate(hints.STAGES, 1))
            + "\n\nAfter the hints.")
    assert hints.stages_in(text) == ["idea", "shapes", "code"]
    assert hints.drop(text) == text
    shorter = hints.drop(text, ("idea", "shapes"))
    assert hints.stages_in(shorter) == ["idea", "shapes"] and "body of code" not in shorter and "x = 1" not in shorter
    assert shorter == text.replace("\n\n" + hints.block("code", "Hint 3", "body of code\n```python\nx = 1\n```"), "")
    assert hints.stages_in(hints.drop(text, ("idea",))) == ["idea"]


def test_a_hint_in_one_block_is_not_released_with_fewer_stages():
    """A hint not yet in stages may hold the code: withholding the code stage must not let it through."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
        "### Exercise 1: `f`\n\n<details><summary>Hint</summary>\n\n`f = 1`\n\n</details>")])
    assert hints.drop_from_notebook(nb) == 0  # all stages kept: nothing to withhold
    with pytest.raises(ValueError, match="one block"):
        hints.drop_from_notebook(nb, ("idea", "shapes"))


def test_the_build_refuses_a_hint_in_one_passage_and_code_before_the_last_stage():
    import build  # noqa: F401  (puts notebooks/src, where author.py lives, on the path)
    from author import bi, exercise_header, stages, stamp

    def passage(en):
        return bi(en, zh=f"{en}（中文）", of=stamp(en))

    with pytest.raises(TypeError, match="write it in stages"):
        exercise_header(1, "f", "def f()", 1, 1, 5, passage("Do this."), passage("`return x`"))
    for stage in ("idea", "shapes"):
        with pytest.raises(ValueError, match=f"hint stage '{stage}' holds a code block"):
            stages(**{s: passage("```python\nx = 1\n```" if s == stage else s) for s in hints.STAGES})
    header = exercise_header(1, "f", "def f()", 1, 1, 5, passage("Do this."),
                             stages(idea=passage("why"), shapes=passage("(B, T)"), code=passage("```python\nx\n```")))
    assert hints.stages_in(header.source) == list(hints.STAGES)


def test_the_built_headers_open_idea_shapes_code_with_titles_in_each_language():
    for language, titles in (("en", ("Hint 1: the idea", "Hint 2: shapes and steps", "Hint 3: the code")),
                             ("zh", ("提示 1：思路", "提示 2：形状与步骤", "提示 3：代码"))):
        folder = course.NOTEBOOKS if language == "en" else course.NOTEBOOKS / language
        header = headers(nbformat.read(folder / f"{NB}.ipynb", as_version=4))["softmax"]
        assert hints.stages_in(header) == list(hints.STAGES)
        positions = [header.index(f"<summary>{title}</summary>") for title in titles]
        assert positions == sorted(positions), header


# -- release --hints -----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def two_releases(tmp_path_factory, released_course):
    """Every assignment released in both languages twice: with all hint stages (the default) and with
    `--hints idea,shapes`."""
    root = tmp_path_factory.mktemp("hints")
    return (released_course(root / "full", lang="zh"),
            released_course(root / "credit", lang="zh", hints="idea,shapes"))


@pytest.mark.parametrize("language", ["en", "zh"])
def test_release_hints_idea_shapes_leaves_no_code_stage_and_the_default_keeps_all_three(two_releases, language):
    full_dir, credit_dir = two_releases
    for name in course.assignments():
        full, credit = released(full_dir, language, name), released(credit_dir, language, name)
        for exercise, header in headers(full).items():
            assert hints.stages_in(header) == ["idea", "shapes", "code"], f"{language}/{name}/{exercise}"
        for exercise, header in headers(credit).items():
            assert hints.stages_in(header) == ["idea", "shapes"], f"{language}/{name}/{exercise}"
        text = "\n".join(cell.source for cell in credit.cells)
        assert 'data-hint="code"' not in text and "<details>" not in text, f"{language}/{name}"
        # nothing else changed: every other cell (graded, read-only, solution, prose) and the stamp are the same
        assert credit.metadata == full.metadata
        assert len(credit.cells) == len(full.cells)
        for a, b in zip(full.cells, credit.cells, strict=True):
            if a.source != b.source:
                assert a.cell_type == "markdown" and not grade_meta(a), f"{language}/{name}: {a.source[:60]!r}"
                assert hints.drop(a.source, ("idea", "shapes")) == b.source
            assert a.metadata == b.metadata


def test_notebooks_released_without_the_code_hint_grade_as_the_full_ones(tmp_path, released_course, release):
    """The hint is in a plain markdown cell, which nbgrader neither checksums nor restores: a class that got
    `--hints idea,shapes` in either language scores as one that got every hint, mistakes named alike."""
    subs = tmp_path / "subs"
    _, full, good = release(tmp_path / "full", NB)
    course_dir = released_course(tmp_path / "course", NB, lang="zh", hints="idea,shapes")
    unscaled = {**good, "scaled_dot_product_attention": good["scaled_dot_product_attention"].replace(
        " / math.sqrt(d_k)", "")}
    demo.hand_in(subs, "full-right", NB, student_notebook(full, good))
    for language in ("en", "zh"):
        credit = released(course_dir, language, NB)
        assert 'data-hint="code"' not in "\n".join(c.source for c in credit.cells)
        demo.hand_in(subs, f"credit-right-{language}", NB, student_notebook(credit, good))
    demo.hand_in(subs, "credit-unscaled-zh", NB, student_notebook(released(course_dir, "zh", NB), unscaled))
    autograde("grade", subs, "--course-dir", course_dir, "--jobs", "1", "--no-progress")
    autograde("export", "--course-dir", course_dir, "--csv", tmp_path / "g.csv")
    with open(tmp_path / "g.csv") as f:
        scores = {row["student_id"]: (float(row["score"]), float(row["max_score"])) for row in csv.DictReader(f)}
    assert scores["full-right"][0] == scores["full-right"][1] > 0, scores
    assert scores["credit-right-en"] == scores["credit-right-zh"] == scores["full-right"], scores
    assert 0 < scores["credit-unscaled-zh"][0] < scores["full-right"][0], scores
    log = {entry.student: entry for entry in read_log(course_dir).values()}
    assert all(not entry.notes for entry in log.values()), {s: e.notes for s, e in log.items()}
    failed = [r for r in log["credit-unscaled-zh"].exercises if not r.passed]
    assert [r.exercise for r in failed] == ["scaled_dot_product_attention"] and failed[0].mistake, failed
