"""Every check, whatever its notebook: the reference passes, every known mistake fails and is named,
and an implementation that writes into its inputs or returns the wrong shape is told so."""
import time

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
def test_check_answers_within_two_seconds(name):
    ex = EXERCISES[name]
    worst = 0.0
    for impl in [getattr(solutions, name)] + [m.impl for m in ex.mistakes]:
        start = time.perf_counter()
        try:
            ex.check(impl, quiet=True)
        except AssertionError:
            pass
        worst = max(worst, time.perf_counter() - start)
    # A generous bound that only catches a check that became slow by design (seconds of work), not noise.
    assert worst < 2.0, f"{name}: slowest check took {worst:.2f} s"


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
