"""'Run All' on a fresh student notebook reaches every measurement: notebooks 01-09, in the Chinese edition.

The released (student) version is executed as Jupyter's 'Run All' would be if it did not stop at an error
(nbclient with allow_errors=True), under NBGRADER_EXECUTION so the experiments shrink. Check cells and graded
cells must fail on the stubs; every other cell (set-up, stubs, demos, experiments, summaries) must run, falling
back to the reference where it needs an exercise, and say so. The experiments are also shown to run the
implementation they are given, and a broken one to be replaced by the reference with a message.

The run is the Chinese edition's: its code is the English edition's (tests/test_translations.py), which
tests/test_notebooks.py runs in full with the solutions, so one shrunk run per notebook covers both the stubs'
path and the Chinese edition's prose, printed conclusions and plot labels (drawn with the inline backend: a
missing CJK glyph warns on stderr). It replaced a second shrunk run of each Chinese notebook (2026-12-07).
"""
import nbformat
import pytest
import torch

from autograde.engine.notebook import grade_meta, is_graded_test
from autograde.gradebook import course
from course_lib import solutions as S
from course_lib.experiments import yours_or_reference

STEMS = course.assignments()  # every notebook, 01 to 09
FALLBACK = "does not pass its check yet, so this runs the course's reference instead"
FALLBACK_ZH = "还没有通过检查，所以这里改为运行课程的参考实现"


@pytest.fixture(scope="module")
def released(tmp_path_factory, released_course):
    """The Chinese student versions, written beside the English release as `release --lang zh` writes them."""
    from autograde.steps.release import edition, edition_path

    course_dir = released_course(tmp_path_factory.mktemp("course") / "course", *STEMS)
    for stem in STEMS:
        edition(course_dir / "release" / stem / f"{stem}.ipynb", stem, "zh", course_dir, quiet=True)
    return {stem: edition_path(course_dir, stem, "zh") for stem in STEMS}


def _is_check(cell):
    return grade_meta(cell).get("grade_id", "").startswith("check_")


def _text(cell):
    return "".join(out.get("text", "") for out in cell.get("outputs", []) if out.output_type == "stream")


@pytest.mark.parametrize("stem", STEMS)
def test_run_all_on_the_stubs_reaches_every_measurement(stem, released, tmp_path, monkeypatch):
    from nbclient import NotebookClient

    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")  # the kernel inherits it: experiments shrink
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the learner's inline backend: figures are drawn
    nb = nbformat.read(released[stem], as_version=4)
    assert "set_language(\"zh\")" in "".join(c.source for c in nb.cells), f"{stem}: not the Chinese edition"
    NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    code = [c for c in nb.cells if c.cell_type == "code"]
    errors = {"check": 0, "graded": 0}
    for cell in code:
        failed = [out for out in cell.outputs if out.output_type == "error"]
        if _is_check(cell) or is_graded_test(cell):
            assert failed, f"{stem}: a stub passed {grade_meta(cell)['grade_id']}"
            errors["check" if _is_check(cell) else "graded"] += 1
            continue
        assert not failed, (f"{stem}: a cell that is neither a check nor a graded test failed on the stubs "
                            f"({failed[0].ename}: {failed[0].evalue}):\n{cell.source[:400]}")
        stderr = [out.text for out in cell.outputs if out.output_type == "stream" and out.name == "stderr"]
        assert not stderr, f"{stem} wrote to stderr: {stderr[0][:300]}"
    assert errors["check"] == errors["graded"] > 0
    everything = "\n".join(_text(c) for c in code)
    assert FALLBACK_ZH in everything, f"{stem}: no cell said (in Chinese) it fell back to the reference"
    assert _text(code[-1]).strip(), f"{stem}: the last measurement printed nothing"
    images = sum("image/png" in out.get("data", {}) for c in code for out in c.outputs)
    assert images or "plt." not in "".join(c.source for c in code), f"zh/{stem} drew no figure"


# -- the experiments run what they are given ---------------------------------------------------------------
def test_a_broken_learner_function_is_replaced_by_the_reference_with_a_message(capsys):
    def broken(query, keys, values, W_q, W_k, v, mask=None):
        return S.additive_attention(query, keys, values, W_q, W_k, v, mask)[0] * 2, None

    chosen = yours_or_reference("additive_attention", broken)
    said = capsys.readouterr().out
    assert chosen is S.additive_attention
    assert "Your additive_attention " + FALLBACK in said
    assert yours_or_reference("additive_attention", S.additive_attention) is S.additive_attention
    assert "Using your additive_attention" in capsys.readouterr().out


def _counting(function):
    def counted(*args, **kwargs):
        counted.calls += 1
        return function(*args, **kwargs)
    counted.calls = 0
    return counted


def test_notebook_01_gradients_run_the_given_recurrence():
    from course_lib.experiments import sequence_models as E

    forward, cell = _counting(S.rnn_forward), _counting(S.lstm_cell)
    rnn = E.gradient_to_first_step("rnn", 5, rnn_forward=forward, lstm_cell=cell)
    lstm = E.gradient_to_first_step("lstm", 5, rnn_forward=forward, lstm_cell=cell)
    assert forward.calls == 1 and cell.calls == 5
    assert rnn == pytest.approx(E.gradient_to_first_step("rnn", 5), rel=1e-5)
    assert lstm == pytest.approx(E.gradient_to_first_step("lstm", 5), rel=1e-5)


def test_notebook_02_trains_the_given_attention():
    from course_lib.experiments import classic_attention as lab

    attention = _counting(S.additive_attention)
    lab.train_reversal(lab.Seq2SeqConfig(attention=True), length=4, steps=2, batch=3, attention=attention)
    assert attention.calls == 2 * 4  # one call per output step of every training step


def test_notebook_04_trains_and_measures_the_given_module():
    from course_lib.experiments import multi_head_attention as E

    built = []

    class Counted(S.MultiHeadAttention):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            built.append(self)

    E.train_two_relations(E.ToyConfig(num_heads=2, steps=2, batch=4), attention_cls=Counted)
    rows = E.attention_costs(d_model=8, length=4, batch=1, heads=(1, 2), attention_cls=Counted)
    assert len(built) == 3 and rows[1]["softmax rows"] == 2 * 4


def test_notebook_05_trains_with_the_given_positions():
    from course_lib.experiments import positional_encoding as E

    positions = S.LearnedPositionalEmbedding(6, 8)
    before = positions.embedding.weight.detach().clone()
    E.train_order_task(positions, "learned", steps=3, T=6, d_model=8, n_test=10)
    # any change at all means training touched them: an inequality, so rounding can only help it pass
    assert not torch.equal(before, positions.embedding.weight.detach()), "the positions were not trained"
