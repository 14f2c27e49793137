"""Every check, whatever its notebook: the reference passes, every known mistake fails and is named,
and an implementation that writes into its inputs or returns the wrong shape is told so."""

import pytest
import torch

import course_lib.solutions as solutions
from course_lib.checks import EXERCISES
from course_lib.checks.framework import snake_case_check_name

CATALOG = [(name, m) for name, ex in EXERCISES.items() for m in ex.mistakes]


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_reference_passes_its_check(name, capsys):
    EXERCISES[name].check(getattr(solutions, name))
    line = capsys.readouterr().out.strip()
    assert line.startswith("\u2714") and "\n" not in line, "a check prints one short line on success"


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_check_function_is_exported_under_its_contract_name(name):
    import course_lib.checks as checks

    assert callable(getattr(checks, snake_case_check_name(name)))


@pytest.mark.parametrize("name,mistake", CATALOG, ids=[f"{n}:{m.name}" for n, m in CATALOG])
def test_known_mistake_is_rejected_and_named(name, mistake):
    with pytest.raises(AssertionError) as failure:
        EXERCISES[name].check(mistake.impl, quiet=True)
    assert mistake.name in str(failure.value), f"the message should name the mistake:\n{failure.value}"


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_not_implemented_stub_is_reported_as_such(name):
    def stub(*args, **kwargs):
        raise NotImplementedError()

    with pytest.raises(AssertionError, match="not implemented yet"):
        EXERCISES[name].check(stub, quiet=True)


def test_writing_into_an_input_fails():
    def softmax_in_place(x, dim=-1):
        x -= x.amax(dim=dim, keepdim=True)
        x.exp_()
        return x / x.sum(dim=dim, keepdim=True)

    with pytest.raises(AssertionError, match="wrote into its input `x`"):
        EXERCISES["softmax"].check(softmax_in_place, quiet=True)


def test_a_tensor_subclass_is_not_accepted_as_output():
    class Always(torch.Tensor):
        pass

    def sneaky(x, dim=-1):
        return solutions.softmax(x, dim).as_subclass(Always)

    with pytest.raises(AssertionError, match="should be a torch.Tensor"):
        EXERCISES["softmax"].check(sneaky, quiet=True)


def _detached(output):
    if isinstance(output, torch.Tensor):
        return output.detach()
    if isinstance(output, (tuple, list)):
        return type(output)(_detached(o) for o in output)
    return output


def _differentiable(ex):
    """Whether the reference's outputs carry gradients back to an input or a parameter on the first case."""
    _, grads = ex._run_backward(ex.reference, ex.cases(0)[0])
    return any(g is not None for g in grads.values())


DIFFERENTIABLE = sorted(n for n, ex in EXERCISES.items() if ex.gradients and _differentiable(ex))
MODULES_WITH_DROPOUT = sorted(n for n, ex in EXERCISES.items() if getattr(ex, "takes_dropout", False))


def _variant(name, change):
    """The reference with its outputs passed through `change`: a function wrapper, or a subclass for a class."""
    ref = getattr(solutions, name)
    if isinstance(ref, type):
        method = getattr(EXERCISES[name], "method", "forward")
        return type(f"Changed{name}", (ref,), {method: lambda self, *a, **k: change(getattr(ref, method)(self, *a, **k),
                                                                                    self)})
    return lambda *a, **k: change(ref(*a, **k), None)


def test_there_are_differentiable_exercises_and_modules_with_dropout():
    assert {"softmax", "MultiHeadAttention", "rnn_forward"} <= set(DIFFERENTIABLE)
    assert "MultiHeadAttention" in MODULES_WITH_DROPOUT


@pytest.mark.parametrize("name", DIFFERENTIABLE)
def test_right_values_without_gradients_are_rejected_as_detached(name):
    """`.detach()`, `torch.no_grad()` or `.data` give the right numbers but nothing could train."""
    with pytest.raises(AssertionError, match="detached from its inputs"):
        EXERCISES[name].check(_variant(name, lambda out, module: _detached(out)), quiet=True)


@pytest.mark.parametrize("name", MODULES_WITH_DROPOUT)
def test_dropout_left_on_in_eval_is_named(name):
    def always_drop(out, module):
        first = out[0] if isinstance(out, tuple) else out
        dropped = torch.nn.functional.dropout(first, 0.25, training=True)
        return (dropped, *out[1:]) if isinstance(out, tuple) else dropped

    with pytest.raises(AssertionError, match=r"dropout applied in eval\(\)"):
        EXERCISES[name].check(_variant(name, always_drop), quiet=True)


@pytest.mark.parametrize("name", MODULES_WITH_DROPOUT)
def test_dropout_never_applied_in_train_is_named(name):
    ref = getattr(solutions, name)
    NoDropout = type(f"NoDropout{name}", (ref,), {"__init__": lambda self, *a: ref.__init__(
        self, *[0.0 if p == "dropout" else v for p, v in zip(list(EXERCISES[name].cases(0)[0].init), a)])})
    with pytest.raises(AssertionError, match="dropout is never applied"):
        EXERCISES[name].check(NoDropout, quiet=True)
