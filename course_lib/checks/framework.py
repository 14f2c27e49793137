"""The one check framework every `check_<exercise>` is built on.

A check runs the student's implementation on seeded cases with all-different dimensions, compares it with
the reference computed in the same run, and on failure says what is probably wrong:

1. the call itself (an exception is reported with the case that raised it);
2. the inputs (an implementation that writes into its inputs fails);
3. structure, type, shape and dtype of every output, before any value;
4. values, with tolerances; on a mismatch each known mistake of the exercise is run on the same inputs and,
   when the student's output matches one, that mistake is named with a hint; otherwise the greatest
   difference, its index and the share of NaNs are reported.

Verdicts use `torch._C._VariableFunctions` (an immutable type), so a cell that patches `torch.allclose`
or `torch.equal` cannot change them.
"""
from __future__ import annotations

import math
import os
import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import torch

from ..train import threads

_VF = torch._C._VariableFunctions  # attributes of this type cannot be reassigned from Python

_SOLUTIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "solutions")


@dataclass
class Case:
    """One seeded input: a label for messages, the positional and keyword arguments."""

    label: str
    args: tuple
    kwargs: dict = field(default_factory=dict)


@dataclass
class Mistake:
    """A known wrong implementation, the name the learner reads and a hint on what to change."""

    name: str
    impl: Callable
    hint: str


def describe(value) -> str:
    """A short description of an argument or output: a tensor's shape and dtype, else its repr."""
    if isinstance(value, torch.Tensor):
        dtype = str(value.dtype).replace("torch.", "")
        return f"{tuple(value.shape)} {dtype}"
    if isinstance(value, (list, tuple)):
        return "(" + ", ".join(describe(v) for v in value) + ")"
    return repr(value)


def describe_case(case: Case, names: Sequence[str]) -> str:
    parts = [f"{n} {describe(a)}" for n, a in zip(names, case.args)]
    parts += [f"{k}={describe(v)}" for k, v in case.kwargs.items()]
    return f"case '{case.label}' ({', '.join(parts)})"


def _tensors(obj):
    """Every tensor inside an argument structure, in order."""
    if isinstance(obj, torch.Tensor):
        yield obj
    elif isinstance(obj, (list, tuple)):
        for item in obj:
            yield from _tensors(item)
    elif isinstance(obj, dict):
        for item in obj.values():
            yield from _tensors(item)


def clone_args(obj):
    """A deep copy of an argument structure, tensors cloned."""
    if isinstance(obj, torch.Tensor):
        return obj.detach().clone()
    if isinstance(obj, tuple):
        return tuple(clone_args(o) for o in obj)
    if isinstance(obj, list):
        return [clone_args(o) for o in obj]
    if isinstance(obj, dict):
        return {k: clone_args(v) for k, v in obj.items()}
    return obj


def as_outputs(result, n: int):
    """The outputs of a call as a tuple: n == 1 means a single tensor was expected."""
    if n == 1:
        return (result,)
    if isinstance(result, (tuple, list)):
        return tuple(result)
    return (result,)


def close(a: torch.Tensor, b: torch.Tensor, rtol: float, atol: float) -> bool:
    """True when two tensors of the same shape agree within tolerances (NaNs only equal NaNs)."""
    if a.dtype == torch.bool or b.dtype == torch.bool or not a.is_floating_point():
        return bool(_VF.equal(a, b))
    return bool(_VF.allclose(a.detach().to(torch.float64), b.detach().to(torch.float64), rtol, atol, True))


def mismatch_report(got: torch.Tensor, want: torch.Tensor, rtol: float, atol: float) -> str:
    """Which elements differ and by how much, in the style of torch.testing.assert_close."""
    if got.dtype == torch.bool or not got.is_floating_point():
        bad = _VF.ne(got, want)
        index = tuple(int(i) for i in _VF.nonzero(bad)[0])
        return (f"{int(bad.sum())} / {bad.numel()} elements differ; first at index {index}: "
                f"yours {got[index].item()}, expected {want[index].item()}")
    g, w = got.detach().to(torch.float64), want.detach().to(torch.float64)
    nan_share = float(_VF.isnan(g).float().mean())
    if nan_share > 0 and not bool(_VF.isnan(w).any()):
        return (f"{nan_share:.0%} of your values are NaN where none are expected: are you computing "
                f"exp() of huge scores, or -inf - (-inf) on a row where everything is masked?")
    diff = _VF.abs(g - w)
    diff = _VF.where(_VF.isnan(diff), torch.full_like(diff, math.inf), diff)
    bad = diff > atol + rtol * _VF.abs(w)
    flat = int(_VF.argmax(diff.flatten(), 0))
    index = tuple(int(i) for i in torch.unravel_index(torch.tensor(flat), g.shape))
    return (f"mismatched elements {int(bad.sum())} / {bad.numel()}; greatest difference {float(diff.max()):.3g} "
            f"at index {index} (yours {g[index].item():.6g}, expected {w[index].item():.6g})")


class _Tripwire:
    """Notices whether any Python frame from `course_lib/solutions` runs while it is armed.

    Functions named in `given` are handed to the learner by the notebook (an earlier notebook's piece):
    calls to them, and everything they call, are allowed.
    """

    def __init__(self, given=()):
        self.fired = None
        self.given = set(given)
        self.inside_given = 0

    def __call__(self, frame, event, arg):
        if event not in ("call", "return") or self.fired is not None:
            return
        filename = os.path.abspath(frame.f_code.co_filename)
        if not filename.startswith(_SOLUTIONS_DIR):
            return
        if frame.f_code.co_name in self.given:
            self.inside_given += 1 if event == "call" else -1
        elif event == "call" and self.inside_given == 0:
            self.fired = f"{frame.f_code.co_name} in {os.path.basename(filename)}"

    def __enter__(self):
        self._previous = sys.getprofile()
        sys.setprofile(self)
        return self

    def __exit__(self, *exc):
        still_armed = sys.getprofile() is self
        sys.setprofile(self._previous)
        if not still_armed and self.fired is None:
            self.fired = "the profiler was switched off from inside the implementation"
        return False


class Exercise:
    """An exercise's check: its reference, seeded cases, output names and catalog of known mistakes.

    `invoke(impl, case)` runs an implementation on a case; the default calls it with the case's
    arguments, and class exercises override it to build the module and inject the reference's weights.
    """

    def __init__(self, name: str, reference: Callable, make_cases: Callable[[int], list[Case]],
                 arg_names: Sequence[str], outputs: Sequence[str] = ("output",),
                 mistakes: Sequence[Mistake] = (), rtol: float = 1e-4, atol: float = 1e-5,
                 invoke: Callable[[Callable, Case], Any] | None = None, given: Sequence[str] = ()):
        self.name = name
        self.reference = reference
        self.make_cases = make_cases
        self.arg_names = list(arg_names)
        self.outputs = list(outputs)
        self.mistakes = list(mistakes)
        self.rtol, self.atol = rtol, atol
        self.invoke = invoke or (lambda impl, case: impl(*case.args, **case.kwargs))
        self.given = tuple(given)  # reference functions the notebook hands out, allowed in strict mode

    # -- the public entry point -------------------------------------------------------------------------
    def check(self, student: Callable, seed: int = 0, quiet: bool = False, strict: bool = False) -> bool:
        """Run every case; raise AssertionError naming the likely mistake, else print one line.

        `strict` (the hidden tests) also fails an implementation that runs the reference solution.
        """
        if student is None:
            self._fail("got None: pass your function or class itself, e.g. check(my_function)")
        if strict and student is self.reference:
            self._fail("this is the reference solution from course_lib.solutions, not your implementation")
        cases = self.make_cases(seed)
        with threads(1):  # tiny tensors: extra threads only wait for a busy core
            for case in cases:
                problem = self._check_case(student, case, strict)
                if problem:
                    diagnosis = self._diagnose(student, cases)
                    self._fail(f"{diagnosis}\n  ({problem})" if diagnosis else problem)
        if not quiet:
            print(f"\u2714 {self.name}: all {len(cases)} cases match the reference "
                  f"(shapes, dtypes, values, inputs untouched).")
        return True

    def _fail(self, message: str):
        raise AssertionError(f"{self.name}: {message}")

    # -- one case ---------------------------------------------------------------------------------------
    def _run(self, impl, case: Case, strict: bool = False):
        """Outputs of `impl` on a copy of the case, or the exception it raised."""
        copy = Case(case.label, clone_args(case.args), clone_args(case.kwargs))
        try:
            if not strict:
                return as_outputs(self.invoke(impl, copy), len(self.outputs)), copy
            with _Tripwire(self.given) as wire:
                result = self.invoke(impl, copy)
            if wire.fired:
                self._fail(f"your implementation runs the reference solution ({wire.fired}); write it yourself")
            return as_outputs(result, len(self.outputs)), copy
        except AssertionError as error:
            if str(error).startswith(f"{self.name}: your implementation runs the reference"):
                raise
            return error, copy
        except Exception as error:  # noqa: BLE001 - any error of the learner's code is reported, not raised
            return error, copy

    def _check_case(self, student, case: Case, strict: bool) -> str | None:
        """What is wrong with the student's outputs on one case, or None; shapes before values."""
        where = describe_case(case, self.arg_names)
        got, mine = self._run(student, case, strict)
        if isinstance(got, NotImplementedError):
            tb = got.__traceback__
            while tb is not None and tb.tb_next is not None:
                tb = tb.tb_next
            where_raised = tb.tb_frame.f_code.co_name if tb is not None else self.name
            if where_raised not in (self.name, "__init__", "forward", "<lambda>"):
                return (f"not implemented yet: it calls `{where_raised}`, which still raises NotImplementedError; "
                        f"finish that exercise first (or use torch's version for now)")
            return ("not implemented yet (it raises NotImplementedError): replace the "
                    "`raise NotImplementedError()` line with your code")
        if isinstance(got, BaseException):
            return f"raised {type(got).__name__}: {got}\n  on {where}"
        touched = self._touched_input(case, mine)
        if touched:
            return (f"your implementation wrote into its input `{touched}`; use out-of-place "
                    f"operations (x = x - m, not x -= m or x.sub_(m))\n  on {where}")
        want, _ = self._run(self.reference, case)
        if isinstance(want, BaseException):
            raise want
        if len(got) != len(want):
            return f"returned {len(got)} value(s), expected {len(want)} ({', '.join(self.outputs)})\n  on {where}"
        for out_name, g, w in zip(self.outputs, got, want):
            problem = self._attribute_problem(out_name, g, w)
            if problem:
                return f"{problem}\n  on {where}"
        for out_name, g, w in zip(self.outputs, got, want):
            if not close(g, w, self.rtol, self.atol):
                return (f"`{out_name}` differs from the reference: "
                        f"{mismatch_report(g, w, self.rtol, self.atol)}\n  on {where}")
        return None

    def _touched_input(self, original: Case, mine: Case) -> str | None:
        """The name of an input the call wrote into, or None."""
        named = [(self.arg_names[i] if i < len(self.arg_names) else f"argument {i}", b, a)
                 for i, (b, a) in enumerate(zip(original.args, mine.args))]
        named += [(k, original.kwargs[k], mine.kwargs[k]) for k in original.kwargs]
        for label, before, after in named:
            for b, a in zip(_tensors(before), _tensors(after)):
                if a._version != 0 or a.shape != b.shape or not bool(_VF.equal(a, b)):
                    return label
        return None

    def _attribute_problem(self, out_name: str, got, want: torch.Tensor) -> str | None:
        """What is wrong with an output's type, shape or dtype, or None."""
        if type(got) is not torch.Tensor:  # noqa: E721 - a Tensor subclass could override comparisons
            return f"`{out_name}` should be a torch.Tensor, got {type(got).__name__}"
        if got.shape != want.shape:
            return f"`{out_name}` has shape {tuple(got.shape)}, expected {tuple(want.shape)}"
        if got.dtype != want.dtype:
            return f"`{out_name}` has dtype {got.dtype}, expected {want.dtype}"
        return None

    # -- naming the mistake -----------------------------------------------------------------------------
    def _same(self, a, b) -> bool:
        """Whether two runs behaved alike: the same exception, or outputs equal within tolerance."""
        if isinstance(a, BaseException) or isinstance(b, BaseException):
            return type(a) is type(b) and str(a) == str(b)
        return len(a) == len(b) and all(
            type(x) is torch.Tensor and type(y) is torch.Tensor  # noqa: E721
            and x.shape == y.shape and x.dtype == y.dtype and close(x, y, self.rtol, self.atol)
            for x, y in zip(a, b)
        )

    def _diagnose(self, student, cases: list[Case]) -> str | None:
        """Name the first known mistake that behaves like the student's code on every case."""
        runs = [self._run(student, case)[0] for case in cases]
        for mistake in self.mistakes:
            if all(self._same(run, self._run(mistake.impl, case)[0]) for run, case in zip(runs, cases)):
                return f"looks like {mistake.name}. {mistake.hint}"
        return None


def masking_mistakes(ignored, inverted, after_softmax, zero_fill):
    """The four ways to get an attention mask wrong, named and hinted alike in every attention exercise.

    Each argument is that mistake's implementation, with the exercise's own signature.
    """
    return [
        Mistake("the mask ignored", ignored,
                "fill the scores where mask is False with float('-inf') before the softmax."),
        Mistake("an inverted mask (True taken as blocked)", inverted,
                "in this course True means 'may attend' (as in F.scaled_dot_product_attention): "
                "fill where ~mask, not where mask."),
        Mistake("the mask applied after the softmax", after_softmax,
                "zeroing weights after the softmax leaves rows that no longer sum to 1: mask the scores "
                "with -inf before the softmax."),
        Mistake("masked scores set to 0 instead of -inf", zero_fill,
                "a score of 0 still gets weight exp(0) = 1 after the softmax: use float('-inf')."),
    ]


def seeded(seed: int) -> torch.Generator:
    """A generator for reproducible inputs that leaves the global RNG alone."""
    return torch.Generator().manual_seed(seed)


def randn(gen: torch.Generator, *shape, dtype=torch.float32, scale: float = 1.0) -> torch.Tensor:
    return torch.randn(*shape, generator=gen, dtype=dtype) * scale


def snake_case(name: str) -> str:
    """`MultiHeadAttention` -> `multi_head_attention`; snake-case names pass through."""
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


def snake_case_check_name(exercise: str) -> str:
    """`MultiHeadAttention` -> `check_multi_head_attention`: the name of an exercise's check function."""
    return "check_" + snake_case(exercise)
