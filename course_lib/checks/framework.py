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

import inspect
import math
import os
import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import torch

from ..train import threads

_VF = torch._C._VariableFunctions  # attributes of this type cannot be reassigned from Python

_SOLUTIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "solutions")
_HANDOUTS_DIR = os.path.join(os.path.dirname(_SOLUTIONS_DIR), "handouts")
# The reference code the tripwire watches: the solutions, and the pieces notebooks hand out (their one copy).
_REFERENCE_DIRS = tuple(os.path.join(folder, "") for folder in (_SOLUTIONS_DIR, _HANDOUTS_DIR))


@dataclass
class Case:
    """One seeded input: a label for messages, the positional and keyword arguments.

    Module exercises also give `init`, the constructor's keyword arguments; their `weights` (seeded
    parameters matched by name to the reference's) are filled in by `ModuleExercise`.
    """

    label: str
    args: tuple
    kwargs: dict = field(default_factory=dict)
    init: dict = field(default_factory=dict)
    weights: Any = None
    built: Any = field(default=None, repr=False, compare=False)  # the module a run built, for its gradients


class ReferenceUsed(AssertionError):
    """The implementation ran the reference solution from `course_lib.solutions` (strict mode only)."""


class Remote:
    """An implementation that lives in another process (the grader's sandboxed worker).

    A check never touches it directly: every run of the implementation goes through `Exercise._execute`,
    which hands a Remote the run to do, `run(exercise, what, case, strict, **options)`, and gets back what
    the local run (`Exercise._local_<what>`) would have returned, rebuilt from plain data. So the public
    check in a notebook and the grader's hidden verdict are the same code and the same catalog of mistakes.
    """

    def run(self, exercise, what, case, strict, **options):  # pragma: no cover - the grader's side
        raise NotImplementedError


def call_with_case(impl, case):
    """The default `invoke`: call the implementation with the case's arguments."""
    return impl(*case.args, **case.kwargs)


REGISTRY: dict = {}  # every Exercise defined, by contract name, in definition order


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
    parts += [f"{k}={describe(v)}" for k, v in case.init.items()]
    if case.weights is not None:
        parts.append(f"weights={describe(case.weights)}")
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


def qualified_name(obj) -> str:
    """`module.qualname` of a reference function or class (what `given` holds), e.g.
    `multi_head_attention.MultiHeadAttention`; strings pass through."""
    if isinstance(obj, str):
        return obj
    return f"{obj.__module__.rsplit('.', 1)[-1]}.{obj.__qualname__}"


class _Tripwire:
    """Notices whether any Python frame from `course_lib/solutions` or `course_lib/handouts` runs while armed.

    `given` holds the qualified names (`self_attention.scaled_dot_product_attention`, or a class, which
    allows its methods) of the pieces a notebook hands out: calls to them, and everything they call,
    are allowed, from either folder (a module of `handouts` has the basename of its `solutions` module).
    A bare `forward` of another class is not.
    """

    def __init__(self, given=()):
        self.fired = None
        self.given = tuple(given)
        self.inside_given = 0

    def _is_given(self, frame, filename) -> bool:
        name = f"{os.path.splitext(os.path.basename(filename))[0]}.{frame.f_code.co_qualname}"
        return any(name == g or name.startswith(g + ".") for g in self.given)

    def __call__(self, frame, event, arg):
        if event not in ("call", "return") or self.fired is not None:
            return
        filename = os.path.abspath(frame.f_code.co_filename)
        if not filename.startswith(_REFERENCE_DIRS):
            return
        if self._is_given(frame, filename):
            self.inside_given += 1 if event == "call" else -1
        elif event == "call" and self.inside_given == 0:
            folder = os.path.basename(os.path.dirname(filename))
            self.fired = f"{frame.f_code.co_qualname} in course_lib/{folder}/{os.path.basename(filename)}"

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

    Defining one registers it: `course_lib.checks` then exports its `check_<snake_name>` function and
    lists it in `EXERCISES`; nothing else is kept in step by hand. `invoke(impl, case)` runs an
    implementation on a case; the default calls it with the case's arguments. `given` lists the reference
    pieces a notebook hands out (functions or classes), allowed in strict mode.
    """

    def __init__(self, name: str, reference: Callable, make_cases: Callable[[int], list[Case]],
                 arg_names: Sequence[str], outputs: Sequence[str] = ("output",),
                 mistakes: Sequence[Mistake] = (), rtol: float = 1e-4, atol: float = 1e-5,
                 invoke: Callable[[Callable, Case], Any] | None = None, given: Sequence = (),
                 gradients: bool = True, register: bool = True):
        self.name = name
        self.reference = reference
        self.make_cases = make_cases
        self.arg_names = list(arg_names)
        self.outputs = list(outputs)
        self.mistakes = list(mistakes)
        self.rtol, self.atol = rtol, atol
        self.invoke = invoke or call_with_case
        self.given = tuple(qualified_name(g) for g in given)
        self.gradients = gradients  # compare gradients too, wherever the reference's outputs carry them
        if register:
            REGISTRY[name] = self

    @property
    def check_name(self) -> str:
        return snake_case_check_name(self.name)

    def check_function(self) -> Callable:
        """The `check_<snake_name>(student, seed=0)` a notebook calls."""
        exercise = self

        def check(student, seed=0):
            __tracebackhide__ = True  # IPython and pytest show the learner the message, not our frames
            try:
                exercise.check(student, seed)
            except AssertionError as failure:
                raise AssertionError(str(failure)) from None  # what is wrong, and the likely mistake: read below

        check.__name__ = check.__qualname__ = self.check_name
        check.__doc__ = (f"Check your `{self.name}` against the reference on seeded cases (values and "
                         f"gradients); name the mistake when it differs.")
        check.exercise = self
        return check

    def cases(self, seed: int) -> list[Case]:
        return self.make_cases(seed)

    # -- the public entry point -------------------------------------------------------------------------
    def check(self, student: Callable, seed: int = 0, quiet: bool = False, strict: bool = False) -> bool:
        """Run every case; raise AssertionError naming the likely mistake, else print one line.

        Forward values first (with the diagnosis of a known mistake), then whatever the kind of exercise
        adds (train and eval modes for modules), then gradients. `strict` (the hidden tests) also fails
        an implementation that runs the reference solution.
        """
        __tracebackhide__ = True
        if student is None:
            self._fail("got None: pass your function or class itself, e.g. check(my_function)")
        if strict and student is self.reference:
            self._fail("this is the reference solution from course_lib.solutions, not your implementation")
        cases = self.cases(seed)
        with threads(1):  # tiny tensors: extra threads only wait for a busy core
            for case in cases:
                problem = self._check_case(student, case, strict)
                if problem:
                    diagnosis = self._diagnose(student, cases)
                    self._fail(f"{diagnosis}\n  ({problem})" if diagnosis else problem)
            problem = self._check_more(student, cases, strict)
            if problem:
                self._fail(problem)
            for case in cases:
                problem = self._check_gradients(student, case, strict)
                if problem:
                    self._fail(problem)
        if not quiet:
            print(f"\u2714 {self.name}: all {len(cases)} cases match the reference "
                  f"({self._what_was_checked()}).")
        return True

    def _what_was_checked(self) -> str:
        return "shapes, dtypes, values, gradients, inputs untouched" if self.gradients else \
            "shapes, dtypes, values, inputs untouched"

    def _check_more(self, student, cases: list[Case], strict: bool) -> str | None:
        """Checks a kind of exercise adds once every case's values match; None when all is well."""
        return None

    def _fail(self, message: str):
        __tracebackhide__ = True
        raise AssertionError(f"{self.name}: {message}")

    # -- one case ---------------------------------------------------------------------------------------
    def _execute(self, impl, what: str, case: Case, strict: bool = False, **options):
        """The one place a check runs an implementation: `what` is 'call' (the raw result of `invoke`),
        'forward' (`_run`), 'backward' (`_run_backward`) or, for modules, 'train' and 'build'. A `Remote`
        implementation does the run where it lives; anything else runs here."""
        if isinstance(impl, Remote):
            return impl.run(self, what, case, strict, **options)
        return getattr(self, "_local_" + what)(impl, case, strict, **options)

    def _call(self, impl, case: Case, strict: bool):
        """Call `impl` on `case` (already a copy), behind the tripwire in strict mode."""
        return self._execute(impl, "call", case, strict)

    def _local_call(self, impl, case: Case, strict: bool):
        if not strict:
            return self.invoke(impl, case)
        with _Tripwire(self.given) as wire:
            result = self.invoke(impl, case)
        if wire.fired:
            raise ReferenceUsed(f"{self.name}: your implementation runs the reference solution ({wire.fired}); "
                                f"write it yourself")
        return result

    def _run(self, impl, case: Case, strict: bool = False):
        """Outputs of `impl` on a copy of the case, or the exception it raised; and the copy after the call."""
        return self._execute(impl, "forward", case, strict)

    def _local_forward(self, impl, case: Case, strict: bool = False):
        copy = Case(case.label, clone_args(case.args), clone_args(case.kwargs), case.init, case.weights)
        try:
            return as_outputs(self._call(impl, copy, strict), len(self.outputs)), copy
        except ReferenceUsed:
            raise
        except Exception as error:  # noqa: BLE001 - any error of the learner's code is reported, not raised
            return error, copy

    def _check_case(self, student, case: Case, strict: bool) -> str | None:
        """What is wrong with the student's outputs on one case, or None; shapes before values."""
        where = describe_case(case, self.arg_names)
        got, mine = self._run(student, case, strict)
        if isinstance(got, NotImplementedError):
            where_raised = raised_in(got, self.name)  # a qualified name: `DecoderLayer.__init__`, `softmax`
            mine = getattr(student, "__qualname__", None) or self.name
            own = (where_raised.split(".")[0] == self.name or where_raised == mine
                   or where_raised.startswith(mine + ".") or where_raised in ("__init__", "forward", "<lambda>"))
            if not own:
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
        return self._compare(got, want, where)

    def _compare(self, got, want, where: str) -> str | None:
        """What differs between two runs' outputs (count, type, shape, dtype, then values), or None."""
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
        for (label, b), (_, a) in zip(self._named_inputs(original), self._named_inputs(mine)):
            if a._version != 0 or a.shape != b.shape or not bool(_VF.equal(a, b)):
                return label
        return None

    def _named_inputs(self, case: Case):
        """(name, tensor) for every tensor among a case's arguments, in order."""
        named = [(self.arg_names[i] if i < len(self.arg_names) else f"argument {i}", a)
                 for i, a in enumerate(case.args)]
        named += list(case.kwargs.items())
        return [(label, t) for label, value in named for t in _tensors(value)]

    def _attribute_problem(self, out_name: str, got, want: torch.Tensor) -> str | None:
        """What is wrong with an output's type, shape or dtype, or None."""
        if type(got) is not torch.Tensor:  # noqa: E721 - a Tensor subclass could override comparisons
            return f"`{out_name}` should be a torch.Tensor, got {type(got).__name__}"
        if got.shape != want.shape:
            return f"`{out_name}` has shape {tuple(got.shape)}, expected {tuple(want.shape)}"
        if got.dtype != want.dtype:
            return f"`{out_name}` has dtype {got.dtype}, expected {want.dtype}"
        return None

    # -- gradients --------------------------------------------------------------------------------------
    def _run_backward(self, impl, case: Case, strict: bool = False):
        """Outputs of `impl` with gradients on, and {input or parameter: gradient} (see `_local_backward`)."""
        return self._execute(impl, "backward", case, strict)

    def _local_backward(self, impl, case: Case, strict: bool = False):
        """Outputs of `impl` on a copy of the case with gradients on, and {input or parameter: gradient}.

        The float inputs (and a built module's parameters) are the leaves; the loss is a fixed random
        linear read-out of every floating output, so every output element's gradient counts.
        """
        copy = Case(case.label, clone_args(case.args), clone_args(case.kwargs), case.init, case.weights)
        leaves = [(label, t) for label, t in self._named_inputs(copy) if t.is_floating_point()]
        for _, t in leaves:
            t.requires_grad_(True)
        try:
            with torch.enable_grad():
                outputs = as_outputs(self._call(impl, copy, strict), len(self.outputs))
        except ReferenceUsed:
            raise
        except Exception as error:  # noqa: BLE001
            return error, {}
        if copy.built is not None:
            leaves += [(f"parameter {name}", p) for name, p in copy.built.named_parameters() if p.requires_grad]
        gen = seeded(4321)
        loss = None
        for out in outputs:
            if type(out) is torch.Tensor and out.is_floating_point() and out.requires_grad:  # noqa: E721
                readout = torch.randn(out.shape, generator=gen, dtype=torch.float64)
                term = (_VF.nan_to_num(out.to(torch.float64), 0.0, 0.0, 0.0) * readout).sum()
                loss = term if loss is None else loss + term
        if loss is None or not leaves:  # nothing to differentiate, or no input of ours it could reach
            return outputs, {}
        grads = torch.autograd.grad(loss, [t for _, t in leaves], allow_unused=True)
        return outputs, {label: g for (label, _), g in zip(leaves, grads)}

    def _check_gradients(self, student, case: Case, strict: bool) -> str | None:
        """Whether gradients flow through the student's code as through the reference's, or None."""
        if not self.gradients:
            return None
        want, want_grads = self._run_backward(self.reference, case)
        if isinstance(want, BaseException):
            raise want
        if not want_grads:
            return None  # nothing differentiable comes out of this exercise (a mask, a table)
        where = describe_case(case, self.arg_names)
        got, got_grads = self._run_backward(student, case, strict)
        if isinstance(got, BaseException):
            return (f"raised {type(got).__name__} once its inputs require gradients: {got}\n  on {where}")
        for out_name, g, w in zip(self.outputs, got, want):
            if type(w) is torch.Tensor and w.requires_grad and not g.requires_grad:  # noqa: E721
                return (f"`{out_name}` is detached from its inputs: the values are right, but no gradient "
                        f"can flow back through it, so nothing before it would learn. Look for `.detach()`, "
                        f"`torch.no_grad()`, `.data`, or a detour through NumPy or `.item()`.\n  on {where}")
        for label, w in want_grads.items():
            if w is None:
                continue
            g = got_grads.get(label)
            if g is None or (not bool(_VF.any(g != 0)) and bool(_VF.any(w != 0))):
                return (f"no gradient reaches `{label}` through your implementation, though the values are "
                        f"right: part of the computation is cut off from it. Look for `.detach()`, "
                        f"`torch.no_grad()` or `.data`.\n  on {where}")
            scale = float(_VF.abs(w.detach().double()).max()) if w.numel() else 0.0
            if g.shape != w.shape or not close(g, w, 1e-3, 1e-5 + 1e-4 * scale):
                detail = mismatch_report(g, w, 1e-3, 1e-5 + 1e-4 * scale) if g.shape == w.shape else \
                    f"shape {tuple(g.shape)}, expected {tuple(w.shape)}"
                return (f"the gradient with respect to `{label}` differs from the reference's ({detail}), "
                        f"though the values are right: part of the computation is cut off from the gradient "
                        f"(`.detach()`, `torch.no_grad()`, `.data`) or replaced by a constant.\n  on {where}")
        return None

    # -- naming the mistake -----------------------------------------------------------------------------
    def _same(self, a, b) -> bool:
        """Whether two runs behaved alike: the same kind of exception, or outputs equal within tolerance."""
        if isinstance(a, BaseException) or isinstance(b, BaseException):
            return type(a) is type(b) and _error_shape(a) == _error_shape(b)
        return len(a) == len(b) and all(
            type(x) is torch.Tensor and type(y) is torch.Tensor  # noqa: E721
            and x.shape == y.shape and x.dtype == y.dtype and close(x, y, self.rtol, self.atol)
            for x, y in zip(a, b)
        )

    def _diagnose(self, student, cases: list[Case]) -> str | None:
        """Name the known mistakes that behave like the student's code on every case.

        When two mistakes give the same outputs, both are named: the learner looks for either.
        """
        runs = [self._run(student, case)[0] for case in cases]
        found = [m for m in self.mistakes
                 if all(self._same(run, self._run(m.impl, case)[0]) for run, case in zip(runs, cases))]
        if not found:
            return None
        if len(found) == 1:
            return f"looks like {found[0].name}. {found[0].hint}"
        names = " or ".join(m.name for m in found[:3])
        hints = " ".join(f"({i}) {m.hint}" for i, m in enumerate(found[:3], 1))
        return f"looks like {names} (these give the same outputs here). {hints}"


def raised_in(error: BaseException, default: str) -> str:
    """The name of the function whose frame raised `error` (a remote run brings it as `raised_in`)."""
    if getattr(error, "raised_in", None):
        return error.raised_in
    tb = error.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb.tb_frame.f_code.co_qualname if tb is not None else default


def _error_shape(error: BaseException) -> str:
    """An exception's message with the numbers taken out, so the same mistake matches on any shape."""
    import re

    return re.sub(r"-?\d+", "N", str(error))


class ModuleExercise(Exercise):
    """A class exercise: build the learner's module, give it the case's weights, call it in eval().

    Each case's `init` holds the constructor's arguments, in the contract's order; the module is built
    with them (leaving the learner's RNG alone), its parameters are filled from seeded tensors matched
    by name to the reference's `state_dict` (so initialisation cannot matter, and missing or unexpected
    members are named plainly), it is set to `eval()` and `method` (forward) is called with the case's
    arguments. When the constructor takes `dropout`, cases are built with dropout = `dropout_p` > 0, so
    dropout left on in `eval()` shows, and a train-mode check follows (dropout must change the output in
    `train()`, and nothing else may).
    """

    def __init__(self, name, reference, make_cases, arg_names, *, members: str | None = None,
                 method: str = "forward", dropout_p: float = 0.25, **options):
        super().__init__(name, reference, make_cases, arg_names, invoke=self._invoke, **options)
        self.method = method
        self.takes_dropout = "dropout" in inspect.signature(reference).parameters
        self.dropout_p = dropout_p
        with torch.random.fork_rng(devices=[]):
            names = _members(self.reference(*self._tiny_init()).named_parameters())
        self.members = members or f"the members {', '.join(names)} of the contract"

    def _tiny_init(self):
        """Constructor arguments of the first case, to read the reference's member names."""
        return tuple(self.make_cases(0)[0].init.values())

    def cases(self, seed: int) -> list[Case]:
        cases = self.make_cases(seed)
        g = seeded(seed + 7919)
        for case in cases:
            if self.takes_dropout and "dropout" not in case.init:  # in the constructor's order: init is positional
                order = [p for p in inspect.signature(self.reference).parameters if p != "self"]
                init = {**case.init, "dropout": self.dropout_p}
                case.init = {p: init[p] for p in order if p in init}
            if case.weights is None:
                case.weights = seeded_weights(g, self.reference, case.init)
        return cases

    def build(self, impl, case: Case, train: bool = False, init: dict | None = None):
        """The learner's module for a case: built, weights injected, in eval() (or train())."""
        return self._execute(impl, "build", case, False, train=train, init=init)

    def _local_build(self, impl, case: Case, strict: bool = False, train: bool = False, init: dict | None = None):
        with torch.random.fork_rng(devices=[]):  # the module's initialisation leaves the learner's RNG alone
            module = impl(*(init or case.init).values())
        inject(module, case.weights, self.name, self.members)
        module.train(train)
        return module

    def _invoke(self, impl, case: Case):
        module = case.built = self.build(impl, case)
        return getattr(module, self.method)(*case.args, **case.kwargs)

    def _diagnose(self, student, cases):
        """A module that gives two outputs on two identical calls in eval() has dropout left on."""
        case = cases[0]
        if self.takes_dropout:
            first, second = self._run(student, case)[0], self._run(student, case)[0]
            if not isinstance(first, BaseException) and not self._same(first, second):
                return ("looks like dropout applied in eval(): two calls on the same input give different outputs. "
                        "Use nn.Dropout members (model.eval() switches them off) or "
                        "F.dropout(x, p, training=self.training).")
        return super()._diagnose(student, cases)

    def _local_train(self, impl, case: Case, strict: bool = False, init: dict | None = None):
        """Outputs of the module built in train() mode (with `init`, else the case's), the RNG seeded 0."""
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            return as_outputs(getattr(self._local_build(impl, case, strict, train=True, init=init), self.method)(
                *clone_args(case.args), **clone_args(case.kwargs)), len(self.outputs))

    def _check_more(self, student, cases, strict):
        if not self.takes_dropout:
            return None
        case = cases[0]
        where = describe_case(case, self.arg_names)
        quiet_init = {**case.init, "dropout": 0.0}
        try:
            noisy = self._execute(student, "train", case, strict)
            plain = self._execute(student, "train", case, strict, init=quiet_init)
        except ReferenceUsed:
            raise
        except Exception as error:  # noqa: BLE001
            return f"raised {type(error).__name__} in train() mode: {error}\n  on {where}"
        return self._judge_modes(noisy, plain, case, where, " Apply nn.Dropout where the exercise says (it is a "
                                                            "no-op in eval() only).")

    def _judge_modes(self, noisy, plain, case, where, hint=""):
        """The train() outputs with dropout (`noisy`) must differ from the reference's eval() outputs, those
        with dropout=0 (`plain`) must not; None when all is well."""
        want, _ = self._run(self.reference, case)
        if self._same(noisy, want):
            return (f"in train() with dropout={case.init['dropout']} your outputs equal the eval() outputs: "
                    f"dropout is never applied.{hint}\n  on {where}")
        problem = self._compare(plain, want, where)
        if problem:
            return (f"in train() with dropout=0 your outputs differ from eval(): something besides dropout "
                    f"depends on the mode. {problem}")
        return None


def _members(named_parameters) -> list[str]:
    """The top-level member names that hold parameters, in order: `w_q.weight` -> `w_q`."""
    names = []
    for name, _ in named_parameters:
        top = name.split(".")[0]
        if top not in names:
            names.append(top)
    return names


class Weights(dict):
    """Seeded parameters by name, injected into every module a case builds."""

    def __repr__(self):
        return "seeded " + ", ".join(_members((name, None) for name in self))


def seeded_weights(g: torch.Generator, reference, init: dict) -> Weights:
    """The reference module's parameters, by name, refilled from `g` (the global RNG is left alone).

    Matrices get entries of standard deviation 1/sqrt(fan-in), vectors named `weight` (a norm's gain)
    1 + 0.3·noise, other vectors (biases) 0.3·noise: all different, so a swapped member shows.
    """
    with torch.random.fork_rng(devices=[]):
        params = dict(reference(*init.values()).named_parameters())
    weights = Weights()
    for name, tensor in params.items():
        if tensor.dim() >= 2:
            weights[name] = randn(g, *tensor.shape, scale=1 / math.sqrt(tensor.shape[-1]))
        elif name.endswith("weight"):
            weights[name] = 1 + randn(g, *tensor.shape, scale=0.3)
        else:
            weights[name] = randn(g, *tensor.shape, scale=0.3)
    return weights


def inject(module, weights: Weights, name: str, members: str):
    """Load a case's weights into a learner's module, or say plainly why they do not fit."""
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"{name}(...) should build an nn.Module, got {type(module).__name__}")
    own = dict(module.named_parameters())
    missing = [n for n in weights if n not in own]
    extra = [n for n in own if n not in weights]
    if missing or extra:
        raise AttributeError(
            f"the check gives your module its own weights, so it needs {members} and no other parameters; "
            f"yours has {sorted(own) or 'no parameters'} (missing {missing or 'nothing'}, "
            f"unexpected {extra or 'nothing'})")
    for n, tensor in weights.items():
        if own[n].shape != tensor.shape:
            raise ValueError(f"your parameter `{n}` has shape {tuple(own[n].shape)}, expected {tuple(tensor.shape)}")
    with torch.no_grad():
        for n, tensor in weights.items():
            own[n].copy_(tensor)


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
    """`MultiHeadAttention` -> `multi_head_attention`, `GPT` -> `gpt`; snake-case names pass through."""
    import re

    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)  # an acronym before a word: GPTBlock -> GPT_Block
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


def snake_case_check_name(exercise: str) -> str:
    """`MultiHeadAttention` -> `check_multi_head_attention`: the name of an exercise's check function."""
    return "check_" + snake_case(exercise)
