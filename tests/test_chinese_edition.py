"""The Chinese edition through the grader: `release --lang zh`, a class that hands in both languages into one
course folder and gradebook, and feedback in each student's language."""
import csv

import nbformat
from commandline import autograde

from autograde.engine.log import read_log
from autograde.engine.notebook import BEGIN_HIDDEN, BEGIN_SOLUTION, grade_meta
from autograde.steps import demo
from autograde.steps.demo import solutions_of, student_notebook

NB = "03_self_attention"


def _has_chinese(text):
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_release_in_chinese_keeps_the_assignment_nbgrader_sees(tmp_path, released_course):
    course_dir = released_course(tmp_path / "course", NB, lang="zh")
    english = nbformat.read(course_dir / "release" / NB / f"{NB}.ipynb", as_version=4)
    chinese = nbformat.read(course_dir / "release-zh" / NB / f"{NB}.ipynb", as_version=4)
    assert chinese.metadata["course"]["language"] == "zh"
    assert chinese.metadata["autograde"] == english.metadata["autograde"]  # assignment id and read-only copies
    text = "\n".join(c.source for c in chinese.cells)
    assert BEGIN_SOLUTION not in text and BEGIN_HIDDEN not in text and "hidden_test(" not in text
    assert _has_chinese(chinese.cells[0].source) and not _has_chinese(english.cells[0].source)
    for a, b in zip(english.cells, chinese.cells, strict=True):
        if grade_meta(a):  # grade ids, checksums, read-only and graded cells: the same bytes
            assert (a.source, a.metadata) == (b.source, b.metadata)


def test_a_mixed_class_gets_the_same_scores_in_both_languages_and_feedback_in_its_own(tmp_path, repo,
                                                                                        released_course):
    subs = tmp_path / "subs"
    course_dir = released_course(tmp_path / "course", NB, lang="zh")
    good = solutions_of(nbformat.read(repo / "notebooks" / f"{NB}.ipynb", as_version=4))
    unscaled = {**good, "scaled_dot_product_attention": good["scaled_dot_product_attention"].replace(
        " / math.sqrt(d_k)", "")}
    for language, folder in (("en", "release"), ("zh", "release-zh")):
        released = nbformat.read(course_dir / folder / NB / f"{NB}.ipynb", as_version=4)
        demo.hand_in(subs, f"right-{language}", NB, student_notebook(released, good))
        demo.hand_in(subs, f"unscaled-{language}", NB, student_notebook(released, unscaled))
    autograde("grade", subs, "--course-dir", course_dir, "--jobs", "1", "--no-progress")
    autograde("export", "--course-dir", course_dir, "--csv", tmp_path / "g.csv")
    with open(tmp_path / "g.csv") as f:
        scores = {row["student_id"]: float(row["score"]) for row in csv.DictReader(f)}
    assert scores["right-en"] == scores["right-zh"] > scores["unscaled-en"] == scores["unscaled-zh"] > 0, scores
    log = {entry.student: entry for entry in read_log(course_dir).values()}
    assert all(not entry.notes for entry in log.values()), {s: e.notes for s, e in log.items()}
    assert [log[f"unscaled-{lang}"].language for lang in ("en", "zh")] == ["en", "zh"]
    # the named mistake is the same record in both languages (the report counts it once, in English)
    failed = {lang: next(r for r in log[f"unscaled-{lang}"].exercises if not r.passed) for lang in ("en", "zh")}
    assert failed["en"].mistake == failed["zh"].mistake != "", failed
    assert _has_chinese(failed["zh"].message) and not _has_chinese(failed["en"].message)
    autograde("feedback", "--course-dir", course_dir)
    page = {lang: (course_dir / "feedback" / f"unscaled-{lang}" / f"{NB}.html").read_text() for lang in ("en", "zh")}
    assert "得分" in page["zh"] and "1/sqrt(d_k)" in page["zh"] and _has_chinese(page["zh"])
    assert "Score:" in page["en"] and not _has_chinese(page["en"])
    autograde("report", "--course-dir", course_dir)


def test_validate_and_submit_answer_in_the_language_of_the_notebook(tmp_path, repo, released_course):
    course_dir = released_course(tmp_path / "course", NB, lang="zh")
    good = solutions_of(nbformat.read(repo / "notebooks" / f"{NB}.ipynb", as_version=4))
    unscaled = {**good, "scaled_dot_product_attention": good["scaled_dot_product_attention"].replace(
        " / math.sqrt(d_k)", "")}
    released = nbformat.read(course_dir / "release-zh" / NB / f"{NB}.ipynb", as_version=4)
    mine = tmp_path / f"{NB}.ipynb"
    nbformat.write(student_notebook(released, unscaled), str(mine))
    said = autograde("validate", mine, check=False)
    assert said.returncode == 1
    assert "  未通过  scaled_dot_product_attention" in said.stdout and "  通过    softmax" in said.stdout
    assert "没有按 1/sqrt(d_k) 缩放" in said.stdout
    assert "4 个练习中有 3 个通过了公开检查" in said.stdout, said.stdout
    handed = autograde("submit", mine, "--student", "mei", "--out", tmp_path, check=False)
    assert "提交文件：" in handed.stdout and (tmp_path / f"mei__{NB}.zip").exists()


def test_a_student_environment_built_for_chinese_speaks_chinese_by_default(tmp_path):
    import subprocess
    import sys

    autograde("student-env", tmp_path / "env", "--through", "01_sequence_models", "--lang", "zh")
    assert (tmp_path / "env" / "course_lib" / "default_language.txt").read_text().strip() == "zh"
    probe = ("import course_lib.i18n as i; from course_lib.checks import check_rnn_cell; "
             "print(i.language()); check_rnn_cell(None)")
    env = {k: v for k, v in __import__("os").environ.items() if k != "COURSE_LANG"}
    done = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path / "env", capture_output=True, text=True, env=env)
    assert done.stdout.startswith("zh") and _has_chinese(done.stderr), done.stdout + done.stderr
