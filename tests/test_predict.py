"""Predict, then run (course_lib/predict.py): every notebook asks at least two questions in both editions, and each
comparison answers an unanswered, a right, a wrong and an unreadable prediction, in English and in Chinese, with the
sentence the numbers choose."""
import ast
import re
from types import SimpleNamespace

import nbformat
import pytest
import torch

from autograde.engine import cells
from autograde.gradebook import course
from course_lib import i18n, predict

STEMS = course.assignments()
EDITIONS = {"en": course.NOTEBOOKS, "zh": course.NOTEBOOKS / "zh"}
CJK = re.compile(r"[\u3400-\u9fff]")
QUESTION_CELL = re.compile(r"^(my_prediction_\w+) = None  # ", re.M)


# -- measured values: those the notebooks printed in a run (the first of each list), and values on the other side of
# -- the thresholds, each with the answer the numbers decide -------------------------------------------------------
def _curves(lstm_far):
    """Section 5 of 01: four gradient curves over 100 steps, the LSTM (PyTorch's init) keeping `lstm_far`."""
    return [[1.8] + [0.1] * 98 + [6.0e-22], [0.26] + [0.1] * 98 + [0.26 * lstm_far], [0.26] * 99 + [1.2e-7],
            [0.26] * 99 + [1.4]]


def _attention(rows):
    """Section 4 of 03: (score std, largest weight, gradient) per width, unscaled and scaled."""
    return {False: rows, True: [(1.0, 0.25, 0.286)] * len(rows)}


SATURATING = [(1.5, .268, .2961), (2.53, .532, .2782), (5.86, .776, .197), (11.1, .896, .1122),
              (22.68, .945, .0594), (45.35, .976, .0253)]
FLAT = [(1.0, .3, .29)] * 6
WIDTHS = [2, 8, 32, 128, 512, 2048]


def _cost_rows(scale):
    return [{"heads": h, "d_head": 64 // h, "parameters": 16640 * (h if scale else 1),
             "projection FLOPs": 33554432, "attention FLOPs": 33554432, "softmax rows": 1024 * h,
             "attention-map entries": 131072 * h} for h in (1, 2, 4, 8)]


def _heads(previous, first):
    head = {"head": 0, "top is previous": 0.55, "top is first": 0.45, "weight on previous": 0.48,
            "weight on first": 0.46}
    return {"loss": 0.1, "accuracy previous": previous, "accuracy first": first, "heads": [head]}


TWO_HEADS = {"loss": 1.4e-5, "accuracy previous": 1.0, "accuracy first": 1.0, "heads": []}


def _work(rnn, attention):
    return [{"T": 16, "RNN counted": rnn, "attention counted": attention}]


def _depths(attention_layers):
    return [{"T": T, "attention layer": a, "RNN layer": 3 * T + 6} for T, a in zip((1, 2, 4, 8, 16, 32),
                                                                                attention_layers)]


def _reversal(steps):
    return SimpleNamespace(step_accuracy=torch.tensor(steps), token_accuracy=0.69, mass_on_source=0.57,
                           mass_near_source=0.95)


def _aligned(mass):
    return SimpleNamespace(step_accuracy=torch.ones(12), token_accuracy=1.0, mass_on_source=mass,
                           mass_near_source=min(1.0, mass + 0.3))


def _scales(no_norm, pre):
    return {"input": 1.0, "no norm": [1.0, no_norm], "pre-LN": [1.0, pre], "post-LN": [1.0, 1.0]}


def _norms(post_ratio, pre_ratio):
    """Gradient norms per layer (layer 1 first) whose last over first is the given ratio."""
    return {"post-LN": [0.37] + [0.4] * 10 + [0.37 * post_ratio], "pre-LN": [0.25] + [0.24] * 10 + [0.25 * pre_ratio],
            "post-LN, no residuals": [0.227] + [1.0] * 10 + [2.451]}


def _race(lstm_exact, length=10):
    return {"length": length, "Transformer": {"exact": 0.994, "token": 0.999, "seconds": 15.0},
            "LSTM": {"exact": lstm_exact, "token": 0.704, "seconds": 15.1}}


SAMPLES = {
    "01.lstm_gradient": [(dict(curves=_curves(4.6e-20), steps=99), "c"), (dict(curves=_curves(0.5), steps=99), "a"),
                         (dict(curves=_curves(1e-5), steps=99), "b")],
    "01.recall": [(dict(ks=[4, 8, 16, 32, 64, 128], accuracy={"rnn": [1, 1, .998, .124, .111, .126],
                                                              "lstm": [1, .999, 1, .999, 1, .121]}), "d"),
                  (dict(ks=[4, 8], accuracy={"rnn": [1.0, 0.5], "lstm": [1.0, 0.95]}), "b"),
                  (dict(ks=[4, 8], accuracy={"rnn": [1.0, 0.95], "lstm": [1.0, 0.97]}), "a")],
    "03.saturation": [(dict(widths=WIDTHS, results=_attention(SATURATING)), "c"),
                      (dict(widths=WIDTHS, results=_attention(FLAT)), "a")],
    "03.gradient_fall": [(dict(widths=WIDTHS, results=_attention(SATURATING)), .2961 / .0253),
                         (dict(widths=WIDTHS, results=_attention(FLAT)), 1.0)],
    "04.heads_cost": [(dict(rows=_cost_rows(False)), "b"), (dict(rows=_cost_rows(True)), "a")],
    "04.one_head": [(dict(two=TWO_HEADS, one=_heads(0.998, 0.979), steps=300), "c"),
                    (dict(two=TWO_HEADS, one=_heads(0.99, 0.3), steps=300), "a"),
                    (dict(two=TWO_HEADS, one=_heads(0.8, 0.9), steps=300), "b")],
    "05.pooled": [(dict(pooled=3.0e-8), "b"), (dict(pooled=0.02), "a")],
    "05.learned": [(dict(accuracies=[0.505, 1.0, 1.0], steps=200), "b"),
                   (dict(accuracies=[0.5, 0.98, 0.9], steps=200), "a"),
                   (dict(accuracies=[0.5, 0.8, 0.9], steps=15), "c")],
    "06.work": [(dict(work=_work(262144, 589824), D=64), "c"), (dict(work=_work(262144, 262144), D=64), "b"),
                (dict(work=_work(262144, 100000), D=64), "a")],
    "06.attention_depth": [(dict(depths=_depths([18] * 6)), "c"), (dict(depths=_depths([3, 6, 12, 24, 48, 96])), "a"),
                           (dict(depths=_depths([18, 19, 20, 21, 22, 23])), "b")],
    "02.steps": [(dict(without=_reversal([.99, .95, .9, .8, .7, .6, .55, .52, .5, .6, .55, .6])), "a"),
                 (dict(without=_reversal([.9] * 12)), "d"),
                 (dict(without=_reversal([.3] * 4 + [.9] * 4 + [.3] * 4)), "b"),
                 (dict(without=_reversal([.9] * 4 + [.5] * 4 + [.95] * 4)), "d"),
                 (dict(without=_reversal([.3] * 8 + [.9] * 4)), "c")],
    "02.alignment": [(dict(with_attention=_aligned(0.57)), "b"), (dict(with_attention=_aligned(0.95)), "c"),
                     (dict(with_attention=_aligned(0.1)), "a")],
    "07.pre_ln": [(dict(scales=_scales(1.942, 1.538)), "b"), (dict(scales=_scales(1.942, 1.01)), "a"),
                  (dict(scales=_scales(1.942, 1.94)), "c")],
    "07.layer_one": [(dict(norms=_norms(1.32, 0.93)), "b"), (dict(norms=_norms(0.5, 1.0)), "a"),
                     (dict(norms=_norms(1.0, 1.1)), "c")],
    "08.lstm_race": [(dict(main=_race(0.15)), "c"), (dict(main=_race(0.95)), "a"), (dict(main=_race(0.6)), "b")],
    "08.short": [(dict(rows=[_race(0.95, 5), _race(0.15, 10), _race(0.0, 15)]), "a"),
                 (dict(rows=[_race(0.3, 5), _race(0.15, 10)]), "c"), (dict(rows=[_race(0.7, 5)]), "b")],
    "09.cache_growth": [(dict(speedups={16: 1.3, 64: 2.5, 256: 6.0}), "a"),
                        (dict(speedups={1: 1.1, 6: 1.2, 24: 1.3}), "b"),
                        (dict(speedups={16: 3.0, 256: 1.0}), "c")],
    "09.cache_bytes": [(dict(per_position=1024.0, layers=2, d_model=64), 1024.0)],
}


def _wrong(question, truth):
    """An answer the numbers do not decide: another letter, or ten times the measured number."""
    if question.kind == "choice":
        return next(key for key in question.choices if key != truth)
    return truth * 10 if truth else 10.0


def _right(question, truth):
    return truth.upper() if question.kind == "choice" else truth * 1.2  # a capital letter and a close number count


def _verdicts(question_id, measured, truth, language):
    question = predict.QUESTIONS[question_id]
    with i18n.speaking(language):
        return {case: predict.judge(question_id, answer, **measured) for case, answer in
                (("none", None), ("right", _right(question, truth)), ("wrong", _wrong(question, truth)),
                 ("unreadable", "zz" if question.kind == "choice" else "a few"))}


def test_every_question_has_samples_on_both_sides_of_its_thresholds():
    assert set(SAMPLES) == set(predict.QUESTIONS)
    for question_id, samples in SAMPLES.items():
        question = predict.QUESTIONS[question_id]
        truths = {truth for _, truth in samples}
        assert question.kind == "number" or len(truths) >= 2, f"{question_id}: one answer only in {truths}"


@pytest.mark.parametrize("question_id", sorted(SAMPLES))
def test_the_numbers_decide_the_answer(question_id):
    question = predict.QUESTIONS[question_id]
    for measured, truth in SAMPLES[question_id]:
        decided = question.decide(measured)
        if question.kind == "number":
            assert decided == pytest.approx(truth), f"{question_id}: {measured}"
        else:
            assert decided == truth, f"{question_id}: {measured} decided {decided!r}, not {truth!r}"


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("question_id", sorted(SAMPLES))
def test_a_comparison_answers_no_answer_a_right_one_a_wrong_one_and_an_unreadable_one(question_id, language):
    question = predict.QUESTIONS[question_id]
    for measured, truth in SAMPLES[question_id]:
        verdicts = _verdicts(question_id, measured, truth, language)
        assert [v.status for v in verdicts.values()] == ["unanswered", "right", "wrong", "invalid"]
        explanation = question.explain(measured) if language == "en" else None
        for case, verdict in verdicts.items():
            assert "{" not in verdict.text and "}" not in verdict.text, f"{question_id} {case}: {verdict.text}"
            lines = verdict.text.splitlines()
            assert len(lines) == 2 and lines[1], f"{question_id} {case}: a verdict line, then the explanation"
            if language == "zh":
                assert all(CJK.search(line) for line in lines), f"{question_id} {case}: {verdict.text}"
            else:
                assert lines[1] == explanation and not CJK.search(verdict.text)
        first = {case: v.text.splitlines()[0] for case, v in verdicts.items()}
        if language == "en":
            assert question.variable in first["none"] and "not answered" in first["none"]
            assert first["right"].startswith("✔") and first["wrong"].startswith("✘")
            if question.kind == "choice":
                assert f"({truth})" in first["wrong"] and question.choices[truth]() in first["wrong"]
                assert all(f"'{key}'" in first["unreadable"] for key in question.choices)
            else:
                assert f"{truth:.1f}" in first["wrong"] and "a number" in first["unreadable"]
        else:
            assert question.variable in first["none"] and "没有回答" in first["none"]
            assert first["right"].startswith("✔") and first["wrong"].startswith("✘")


def test_the_explanation_is_chosen_by_the_numbers():
    """Two measurements on either side of a threshold give different sentences, each stating the threshold."""
    for question_id in ("03.saturation", "05.pooled", "07.layer_one", "08.lstm_race", "01.recall"):
        texts = {predict.QUESTIONS[question_id].explain(measured) for measured, _ in SAMPLES[question_id]}
        assert len(texts) == len(SAMPLES[question_id]), question_id
    saturated = predict.QUESTIONS["03.saturation"].explain(SAMPLES["03.saturation"][0][0])
    assert "0.53" in saturated and "0.94" in saturated and "0.1" in saturated and "one-hot" in saturated


def test_a_comparison_never_raises_and_records_whether_it_was_answered(monkeypatch, capsys):
    from course_lib import progress

    noted = []
    monkeypatch.setattr(progress, "record_prediction", lambda *args: noted.append(args))
    measured, _ = SAMPLES["05.pooled"][0]
    assert predict.compare("05.pooled", None, **measured) is None
    predict.compare("05.pooled", "b", **measured)
    predict.compare("05.pooled", ["b"], **measured)  # not a letter: says what it takes
    predict.compare("05.pooled", "b")  # the measurement missing: says so
    predict.compare("99.nothing", "b")
    out = capsys.readouterr().out
    assert "not answered" in out and "✔" in out and "answer with one of 'a', 'b'" in out
    assert "run the measurement's cells first" in out and "no prediction question named '99.nothing'" in out
    assert noted[:3] == [("05.pooled", False, "05_positional_encoding"), ("05.pooled", True, "05_positional_encoding"),
                         ("05.pooled", False, "05_positional_encoding")]
    monkeypatch.setattr(progress, "record_prediction", lambda *args: 1 / 0)
    predict.compare("05.pooled", "a", **measured)  # a record that fails never stops the notebook
    assert "✘" in capsys.readouterr().out


def _question_cells(nb):
    """[(position, variable)] of the cells a learner answers in, and [(position, id, variable, keywords)] of the
    comparison cells."""
    asked, compared = [], []
    for position, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        found = QUESTION_CELL.match(cell.source)
        if found:
            asked.append((position, found.group(1)))
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "compare":
                compared.append((position, node.args[0].value, node.args[1].id, {k.arg for k in node.keywords}))
    return asked, compared


@pytest.mark.parametrize("language", list(EDITIONS))
@pytest.mark.parametrize("stem", STEMS)
def test_every_notebook_asks_two_questions_before_their_measurements_and_compares_after(stem, language):
    nb = nbformat.read(EDITIONS[language] / f"{stem}.ipynb", as_version=4)
    asked, compared = _question_cells(nb)
    questions = predict.questions_of(stem)
    assert len(questions) >= 2 and len(asked) == len(compared) == len(questions), (stem, asked, compared)
    for question in questions:
        [(at, _)] = [a for a in asked if a[1] == question.variable]
        [(then, _, variable, keywords)] = [c for c in compared if c[1] == question.id]
        assert variable == question.variable and at < then, f"{stem}: {question.id} compared before it is asked"
        prose = nb.cells[at - 1].source
        heading = "Predict, then run" if language == "en" else "先预测，再运行"
        assert nb.cells[at - 1].cell_type == "markdown" and heading in prose
        assert all(f"({key})" in prose for key in question.choices)
        measured_here = [set(measured) for measured, _ in SAMPLES[question.id]]
        assert all(keywords == names for names in measured_here), f"{stem}: {question.id} is given {keywords}"
        between = "".join(c.source for c in nb.cells[at + 1:then] if c.cell_type == "code")
        assert between.strip(), f"{stem}: nothing is measured between {question.id}'s question and its comparison"


@pytest.mark.parametrize("stem", STEMS)
def test_the_grader_skips_the_question_and_comparison_cells(stem):
    """Under `--experiments skip` no cell a grade needs reads a prediction, so neither cell runs while grading."""
    nb = nbformat.read(course.NOTEBOOKS / f"{stem}.ipynb", as_version=4)
    asked, compared = _question_cells(nb)
    needed = cells.needed(nb.cells)
    assert not ({at for at, _ in asked} | {at for at, *_ in compared}) & needed


def test_questions_count_per_notebook():
    counts = {stem: len(predict.questions_of(stem)) for stem in STEMS}
    assert all(n >= 2 for n in counts.values()), counts
    assert set(counts) == {q.notebook for q in predict.QUESTIONS.values()}
