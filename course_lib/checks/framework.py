"""The one check framework every `check_<exercise>` is built on.

A check runs the student's implementation on seeded cases with all-different dimensions, compares it with
the reference computed in the same run, and on failure says what is probably wrong:

1. the call itself (an exception is reported with the case that raised it);
2. the inputs (an implementation that writes into its inputs fails);
3. structure, type, shape and dtype of every output, before any value;
4. values, with tolerances; on a mismatch each known mistake of the exercise is run on the same inputs and,
   when the student's output matches one, that mistake is named with a hint; otherwise the greatest
   difference, its index and the share of NaNs are reported.

On any failure an earlier exercise of the learner's that this one uses (a part of their module, a function
their code calls) and that fails its own check is named first, as the piece to fix (`AssertionError.blamed`);
when no known mistake matches, the failure leads with what can be said of it (`Exercise._explain`): a raised
error as one sentence about the learner's line, the shape of the difference, and for a module the first part
whose input or output departs from the reference's.

This module is the exercise contract and its runner (`Case`, `Mistake`, `Exercise`, `ModuleExercise`, the tripwire
of strict mode, the helpers the topic modules build cases with); each other job has a module of its own:

* `_errors.py`: what a learner reads of an error (`message_only`, `translate_error`, the learner's frames);
* `_difference.py`: the shape of a difference, a list of detectors (`difference_shape`);
* `_localise.py`: where a module departs from the reference (`trace_calls`, `CallTree`);
* `_plain.py`: the one plain-data codec of the grader's worker (`_trusted.py`) and the recordings (`_recorded.py`);
* `_harness.py`, `_standins.py`: kinds of exercise with checks of their own, and the models they drive.

Verdicts use `torch._C._VariableFunctions` (an immutable type), so a cell that patches `torch.allclose`
or `torch.equal` cannot change them.

Every sentence a learner reads is written here in English and passed through `tr` (course_lib.i18n), so
`set_language("zh")` prints it in Chinese (course_lib/zh/framework.py); a catalog mistake's name and hint are
translated where they are printed. The English is what the grader reads: besides the message, a failing
check's AssertionError carries `exercise`, `blamed` (the earlier exercise of the learner's to fix first),
`uses` (the exercise of theirs this one uses and that fails, named in "uses your X"), `mistake` (the English
name of the catalog mistake named, as "looks like <mistake>. " reads in English) and `not_implemented`.

What a learner sees of a failing check is its message, not our frames. The AssertionError a `check_<exercise>`
raises has `_render_traceback_` (`message_only`), which IPython calls to draw an error: the notebook shows
`AssertionError: <message>` in IPython's red header style and no line of this file; the error's type and text,
which nbgrader and the grader read (`ename`, `evalue`), are unchanged. pytest honours `__tracebackhide__`
instead. A developer who wants every frame sets the environment variable COURSE_DEBUG=1 (in the shell that starts
Jupyter, or `os.environ["COURSE_DEBUG"] = "1"` in the notebook) and runs the check again: the error then comes
without `_render_traceback_`, chained to the failure raised inside the framework (`raise ... from failure`), so
IPython shows both tracebacks in full. (`%tb` draws through `_render_traceback_` too, so it shows the message.)
"""
from __future__ import annotations

import dis
import inspect
import math
import os
import sys
import types
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import torch

from ..i18n import tr
from ..names import snake_case
from ..train import threads
from ..verdicts import announce
from ._difference import difference_shape, tensors_in
from ._errors import (
    InplaceSpy,
    debugging,
    error_shape,
    learners,
    message_only,
    raised_in,
    sentence,
    translate_error,
    translated_error,
)
from ._localise import CallTree, pretty, trace_calls

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
    return tr("case '{label}' ({inputs})", label=case.label, inputs=", ".join(parts))


class Said(str):
    """A message with facts the grader reads without parsing it (in any language): `mistake`, `not_implemented`."""

    def __new__(cls, text, **facts):
        said = super().__new__(cls, text)
        said.__dict__.update(facts)
        return said


def on_case(where: str) -> str:
    """The line that ends a message: which case it happened on."""
    return "\n  " + tr("on {case}", case=where)


def input_words(label: str) -> str:
    """An input's label as the learner reads it: `q`, `argument 3`, `parameter w_q.weight` (the labels themselves
    stay English: they key the gradients of a run, recorded ones too)."""
    if label.startswith("argument "):
        return tr("argument {name}", name=label.removeprefix("argument "))
    if label.startswith("parameter "):
        return tr("parameter {name}", name=label.removeprefix("parameter "))
    return label


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
        return tr("{count} / {total} elements differ; first at index {index}: yours {got}, expected {want}",
                  count=int(bad.sum()), total=bad.numel(), index=index, got=got[index].item(),
                  want=want[index].item())
    g, w = got.detach().to(torch.float64), want.detach().to(torch.float64)
    nan_share = float(_VF.isnan(g).float().mean())
    if nan_share > 0 and not bool(_VF.isnan(w).any()):
        return tr("{share:.0%} of your values are NaN where none are expected: are you computing exp() of huge "
                  "scores, or -inf - (-inf) on a row where everything is masked?", share=nan_share)
    diff = _VF.abs(g - w)
    diff = _VF.where(_VF.isnan(diff), torch.full_like(diff, math.inf), diff)
    bad = diff > atol + rtol * _VF.abs(w)
    flat = int(_VF.argmax(diff.flatten(), 0))
    index = tuple(int(i) for i in torch.unravel_index(torch.tensor(flat), g.shape))
    return tr("mismatched elements {count} / {total}; greatest difference {greatest:.3g} at index {index} "
              "(yours {got:.6g}, expected {want:.6g})", count=int(bad.sum()), total=bad.numel(),
              greatest=float(diff.max()), index=index, got=g[index].item(), want=w[index].item())


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
            self.fired = tr("{function} in course_lib/{folder}/{file}", function=frame.f_code.co_qualname,
                            folder=folder, file=os.path.basename(filename))

    def __enter__(self):
        self._previous = sys.getprofile()
        sys.setprofile(self)
        return self

    def __exit__(self, *exc):
        still_armed = sys.getprofile() is self
        sys.setprofile(self._previous)
        if not still_armed and self.fired is None:
            self.fired = tr("the profiler was switched off from inside the implementation")
        return False


class Exercise:
    """An exercise's check: its reference, seeded cases, output names and catalog of known mistakes.

    Defining one registers it: `course_lib.checks` then exports its `check_<snake_name>` function and
    lists it in `EXERCISES`; nothing else is kept in step by hand. `invoke(impl, case)` runs an
    implementation on a case; the default calls it with the case's arguments. `given` lists the reference
    pieces a notebook hands out (functions or classes), allowed in strict mode. `builds_on` names exercises of the
    same notebook that a learner's code may use and the reference does not show (see `builds_on()`).
    """

    def __init__(self, name: str, reference: Callable, make_cases: Callable[[int], list[Case]],
                 arg_names: Sequence[str], outputs: Sequence[str] = ("output",),
                 mistakes: Sequence[Mistake] = (), rtol: float = 1e-4, atol: float = 1e-5,
                 invoke: Callable[[Callable, Case], Any] | None = None, given: Sequence = (),
                 gradients: bool = True, register: bool = True, builds_on: Sequence[str] = ()):
        self.name = name
        self.topic = make_cases.__module__.rsplit(".", 1)[-1]  # its notebook's module: checks.<topic>
        self.reference = reference
        self.make_cases = make_cases
        self.arg_names = list(arg_names)
        self.outputs = list(outputs)
        self.mistakes = list(mistakes)
        self.rtol, self.atol = rtol, atol
        self.invoke = invoke or call_with_case
        self.given = tuple(qualified_name(g) for g in given)
        self.gradients = gradients  # compare gradients too, wherever the reference's outputs carry them
        self.builds_on = tuple(builds_on)  # exercises it builds on that its reference does not show (`builds_on()`)
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
                error = AssertionError(str(failure))  # what is wrong, and the likely mistake: read below
                error.exercise = exercise.name
                error.blamed = getattr(failure, "blamed", None)  # the earlier exercise of yours to fix first
                error.uses = getattr(failure, "uses", None)  # ... named in the message ("uses your X")
                error.mistake = getattr(failure, "mistake", None)  # the catalog mistake named, in English
                error.not_implemented = getattr(failure, "not_implemented", False)
                if not error.not_implemented:  # an exercise not begun yet stays "not tried" in the progress view
                    _record_verdict(exercise.name, False, error.mistake)
                if debugging():  # a developer's run: every frame, the framework's failure included
                    raise error from failure
                error._render_traceback_ = message_only(error)  # the notebook shows the message, no frame
                raise error from None
            _record_verdict(exercise.name, True)

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
            self._fail(tr("got None: pass your function or class itself, e.g. check(my_function)"))
        if strict and student is self.reference:
            self._fail(tr("this is the reference solution from course_lib.solutions, not your implementation"))
        cases = self.cases(seed)
        with threads(1):  # tiny tensors: extra threads only wait for a busy core
            for case in cases:
                problem = self._check_case(student, case, strict)
                if problem:
                    self._fail_on(student, cases, case, problem, "values", strict)
            problem = self._check_more(student, cases, strict)
            if problem:
                self._fail_on(student, cases, cases[0], problem, "more", strict)
            for case in cases:
                problem = self._check_gradients(student, case, strict)
                if problem:
                    self._fail_on(student, cases, case, problem, "gradients", strict)
        if not quiet:
            print(tr("\u2714 {name}: all {count} cases match the reference ({checked}).", name=self.name,
                     count=len(cases), checked=self._what_was_checked()))
        return True

    def _what_was_checked(self) -> str:
        return tr("shapes, dtypes, values, gradients, inputs untouched") if self.gradients else \
            tr("shapes, dtypes, values, inputs untouched")

    def _check_more(self, student, cases: list[Case], strict: bool) -> str | None:
        """Checks a kind of exercise adds once every case's values match; None when all is well."""
        return None

    def _fail(self, message: str, blamed: str | None = None, uses: str | None = None, mistake: str | None = None,
              not_implemented: bool = False):
        """Raise the AssertionError the learner reads; its attributes say the same for the grader (in any
        language): `blamed` and `uses` (see `_fail_on`), `mistake` (the English name of the catalog mistake the
        message names) and `not_implemented`."""
        __tracebackhide__ = True
        error = AssertionError(tr("{exercise}: {message}", exercise=self.name, message=message))
        error.exercise, error.blamed, error.uses = self.name, blamed, uses
        error.mistake, error.not_implemented = mistake, not_implemented
        raise error

    def _fail_on(self, student, cases, case, problem: str, kind: str, strict: bool):
        """Fail with `problem`, led by what is probably wrong: an earlier exercise of the learner's that this
        one uses and that fails its own check (named in the error's `blamed`), else a known mistake of the
        catalog (values only), else what `_explain` can say of the difference."""
        __tracebackhide__ = True
        blame = self._blame(student, case, strict)
        if blame:
            said = tr("your {name} uses your {piece} ({where}), which does not pass its check yet: fix that first.",
                      name=self.name, piece=blame["exercise"], where=blame["where"]) if blame.get("where") else \
                tr("your {name} uses your {piece}, which does not pass its check yet: fix that first.",
                   name=self.name, piece=blame["exercise"])
            self._fail(tr("{diagnosis}\n  ({problem})", diagnosis=said, problem=blame["message"]),
                       blamed=blame["blamed"], uses=blame["exercise"])
        diagnosis = self._diagnose(student, cases) if kind == "values" else None
        if not diagnosis and kind != "more":
            diagnosis = self._explain(student, case, kind, strict)
        self._fail(tr("{diagnosis}\n  ({problem})", diagnosis=diagnosis, problem=problem) if diagnosis else problem,
                   mistake=getattr(diagnosis, "mistake", None) or getattr(problem, "mistake", None),
                   not_implemented=getattr(problem, "not_implemented", False))

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
            raise ReferenceUsed(tr("{name}: your implementation runs the reference solution ({where}); write it "
                                   "yourself", name=self.name, where=wire.fired))
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
                return Said(tr("not implemented yet: it calls `{function}`, which still raises NotImplementedError; "
                               "finish that exercise first (or use torch's version for now)", function=where_raised),
                            not_implemented=True)
            return Said(tr("not implemented yet (it raises NotImplementedError): replace the "
                           "`raise NotImplementedError()` line with your code"), not_implemented=True)
        if isinstance(got, BaseException):
            return tr("raised {error}: {message}", error=type(got).__name__, message=got) + on_case(where)
        touched = self._touched_input(case, mine)
        if touched:
            return tr("your implementation wrote into its input `{name}`; use out-of-place operations (x = x - m, "
                      "not x -= m or x.sub_(m))", name=input_words(touched)) + on_case(where)
        want, _ = self._run(self.reference, case)
        if isinstance(want, BaseException):
            raise want
        return self._compare(got, want, where)

    def _compare(self, got, want, where: str) -> str | None:
        """What differs between two runs' outputs (count, type, shape, dtype, then values), or None."""
        if len(got) != len(want):
            return tr("returned {count} value(s), expected {wanted} ({names})", count=len(got), wanted=len(want),
                      names=", ".join(self.outputs)) + on_case(where)
        for out_name, g, w in zip(self.outputs, got, want):
            problem = self._attribute_problem(out_name, g, w)
            if problem:
                return problem + on_case(where)
        for out_name, g, w in zip(self.outputs, got, want):
            if not close(g, w, self.rtol, self.atol):
                return tr("`{output}` differs from the reference: {report}", output=out_name,
                          report=mismatch_report(g, w, self.rtol, self.atol)) + on_case(where)
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
        return [(label, t) for label, value in named for t in tensors_in(value)]

    def _attribute_problem(self, out_name: str, got, want: torch.Tensor) -> str | None:
        """What is wrong with an output's type, shape or dtype, or None."""
        if type(got) is not torch.Tensor:  # noqa: E721 - a Tensor subclass could override comparisons
            return tr("`{output}` should be a torch.Tensor, got {type}", output=out_name, type=type(got).__name__)
        if got.shape != want.shape:
            return tr("`{output}` has shape {got}, expected {want}", output=out_name, got=tuple(got.shape),
                      want=tuple(want.shape))
        if got.dtype != want.dtype:
            return tr("`{output}` has dtype {got}, expected {want}", output=out_name, got=got.dtype, want=want.dtype)
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
        try:
            grads = torch.autograd.grad(loss, [t for _, t in leaves], allow_unused=True)
        except RuntimeError as error:  # e.g. a tensor autograd needs was changed in place: the learner's error
            return error, {}
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
            return tr("raised {error} once its inputs require gradients: {message}", error=type(got).__name__,
                      message=got) + on_case(where)
        for out_name, g, w in zip(self.outputs, got, want):
            if type(w) is torch.Tensor and w.requires_grad and not g.requires_grad:  # noqa: E721
                return tr("`{output}` is detached from its inputs: the values are right, but no gradient can flow "
                          "back through it, so nothing before it would learn. Look for `.detach()`, "
                          "`torch.no_grad()`, `.data`, or a detour through NumPy or `.item()`.",
                          output=out_name) + on_case(where)
        for label, w in want_grads.items():
            if w is None:
                continue
            g = got_grads.get(label)
            if g is None or (not bool(_VF.any(g != 0)) and bool(_VF.any(w != 0))):
                return tr("no gradient reaches `{input}` through your implementation, though the values are right: "
                          "part of the computation is cut off from it. Look for `.detach()`, `torch.no_grad()` or "
                          "`.data`.", input=input_words(label)) + on_case(where)
            scale = float(_VF.abs(w.detach().double()).max()) if w.numel() else 0.0
            if g.shape != w.shape or not close(g, w, 1e-3, 1e-5 + 1e-4 * scale):
                detail = mismatch_report(g, w, 1e-3, 1e-5 + 1e-4 * scale) if g.shape == w.shape else \
                    tr("shape {got}, expected {want}", got=tuple(g.shape), want=tuple(w.shape))
                shaped = difference_shape(g, w, 1e-3, 1e-5 + 1e-4 * scale)
                detail = f"{shaped}; {detail}" if shaped else detail
                return tr("the gradient with respect to `{input}` differs from the reference's ({detail}), though "
                          "the values are right: part of the computation is cut off from the gradient "
                          "(`.detach()`, `torch.no_grad()`, `.data`) or replaced by a constant.",
                          input=input_words(label), detail=detail) + on_case(where)
        return None

    # -- when no known mistake matches ------------------------------------------------------------------
    def _blame(self, student, case: Case, strict: bool):
        """{exercise, where, message, blamed} of an earlier exercise of the learner's that this one uses and
        that fails its own check, or None (see `_local_blame`)."""
        try:
            blame = self._execute(student, "blame", case, strict)
        except ReferenceUsed:
            raise
        except Exception:  # noqa: BLE001 - no blame is better than a crash while failing
            return None
        return blame if isinstance(blame, dict) and blame.get("exercise") else None

    def _dependencies(self, impl, case: Case):
        """(exercise name, the learner's object, where it sits) for the other exercises `impl` uses: the
        learner's functions and classes it names as globals."""
        return _used_exercises(impl, self.name)

    def _local_blame(self, impl, case: Case, strict: bool = False):
        """Check each earlier exercise of the learner's that `impl` uses; the first that fails, or None."""
        try:
            found = self._dependencies(impl, case)
        except Exception:  # noqa: BLE001 - a module that cannot even be built: its own check says why
            return None
        checked = set()
        for name, obj, where in found:
            exercise = REGISTRY.get(name)
            if exercise is None or name == self.name or name in _BLAMING or id(obj) in checked:
                continue
            checked.add(id(obj))
            _BLAMING.add(self.name)
            try:
                exercise.check(obj, quiet=True, strict=strict)
            except ReferenceUsed:
                continue
            except AssertionError as failure:
                first = str(failure).split("\n")[0]
                return {"exercise": name, "where": where, "message": first[:400],
                        "blamed": getattr(failure, "blamed", None) or name}
            except Exception:  # noqa: BLE001
                continue
            finally:
                _BLAMING.discard(self.name)
        return None

    def _explain(self, student, case: Case, kind: str, strict: bool) -> str | None:
        """What can be said of a difference no catalog mistake explains: a raised error as a sentence about the
        learner's line; else the shape of the difference in the outputs, an argument off by one, and, for a
        module, the first submodule that departs from the reference's."""
        try:
            said = self._execute(student, "explain", case, strict, backward=kind == "gradients")
        except ReferenceUsed:
            raise
        except Exception:  # noqa: BLE001
            said = None
        if said or kind != "values":
            return said if isinstance(said, str) else None
        parts = []
        try:
            got, _ = self._run(student, case, strict)
            want, _ = self._run(self.reference, case)
            if isinstance(got, BaseException) or isinstance(want, BaseException):
                return None  # an error: what `_local_explain` could not put in words, the raw message says
            if len(got) == len(want):
                off = self._off_by_one(got, case)
                parts += [off] if off else self._shape_words(got, want, case)
            where = self._where_it_departs(student, case, strict)
            if where:
                parts.append(where)
        except ReferenceUsed:
            raise
        except Exception:  # noqa: BLE001 - the plain mismatch report still stands
            pass
        return " ".join(p[0].upper() + p[1:] for p in parts) or None

    def _shape_words(self, got, want, case: Case) -> list[str]:
        masks = [t for t in tensors_in((case.args, case.kwargs)) if t.dtype == torch.bool]
        agree = [n for n, g, w in zip(self.outputs, got, want)
                 if type(g) is torch.Tensor and g.shape == w.shape and close(g, w, self.rtol, self.atol)]  # noqa: E721
        parts = []
        for out_name, g, w in zip(self.outputs, got, want):
            if out_name in agree or type(g) is not torch.Tensor or g.shape != w.shape:  # noqa: E721
                continue
            shaped = difference_shape(g, w, self.rtol, self.atol, masks)
            if len(agree) == 1:
                lead = tr("`{agree}` agrees with the reference, `{output}` does not", agree=agree[0], output=out_name)
            else:
                lead = tr("`{agree}` agree with the reference, `{output}` does not", agree=", ".join(agree),
                          output=out_name) if agree else ""
            if shaped:
                parts.append(sentence(tr("{lead}: {shape}", lead=lead, shape=shaped) if lead else
                                       tr("in `{output}`, {shape}", output=out_name, shape=shaped)))
            elif lead:
                parts.append(sentence(lead))
            break
        return parts

    def _perturbed_cases(self, case: Case) -> list[tuple[str, Case]]:
        """The case with one integer argument moved by one, for each such argument and either way."""
        if isinstance(self, ModuleExercise):
            return []
        out = []
        for j, value in enumerate(case.args):
            if type(value) is not int:
                continue
            name = self.arg_names[j] if j < len(self.arg_names) else f"argument {j + 1}"
            for delta in (1, -1):
                args = case.args[:j] + (value + delta,) + case.args[j + 1:]
                words = f"`{name}` {'+' if delta > 0 else '-'} 1"
                out.append((words, Case(f"{case.label} [{words}]", args, case.kwargs, case.init, case.weights)))
        return out

    def _off_by_one(self, got, case: Case) -> str | None:
        for words, moved in self._perturbed_cases(case):
            want, _ = self._run(self.reference, moved)
            if not isinstance(want, BaseException) and self._same(got, want):
                return tr("yours gives the reference's result for {moved}: an off-by-one in how you use it?",
                          moved=words)
        return None

    def _where_it_departs(self, student, case: Case, strict: bool) -> str | None:
        return None

    def _local_explain(self, impl, case: Case, strict: bool = False, backward: bool = False):
        """The error `impl` raises on `case` as one sentence about the learner's line, or None."""
        spy = InplaceSpy()
        with spy.mode:
            result = (self._local_backward if backward else self._local_forward)(impl, case, strict)
        error = result[0] if isinstance(result[0], BaseException) else None
        if error is None or isinstance(error, NotImplementedError):
            return None
        return translate_error(error, spy.sites)

    # -- naming the mistake -----------------------------------------------------------------------------
    def _same(self, a, b) -> bool:
        """Whether two runs behaved alike: the same kind of exception, or outputs equal within tolerance."""
        if isinstance(a, BaseException) or isinstance(b, BaseException):
            return type(a) is type(b) and error_shape(a) == error_shape(b)
        return len(a) == len(b) and all(
            type(x) is torch.Tensor and type(y) is torch.Tensor  # noqa: E721
            and x.shape == y.shape and x.dtype == y.dtype and close(x, y, self.rtol, self.atol)
            for x, y in zip(a, b)
        )

    def _named(self, mistake: str) -> Said:
        """"looks like <mistake>. <hint>" for the catalog mistake named `mistake` (its English name, which the
        message carries as its `mistake` fact): also what a detector of a kind of exercise says when it sees one."""
        hint = next(m.hint for m in self.mistakes if m.name == mistake)
        return Said(tr("looks like {mistake}. {hint}", mistake=tr(mistake), hint=tr(hint)), mistake=mistake)

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
            return self._named(found[0].name)
        names = [tr(m.name) for m in found[:3]]
        hints = " ".join(f"({i}) {tr(m.hint)}" for i, m in enumerate(found[:3], 1))
        english = f"{' or '.join(m.name for m in found[:3])} (these give the same outputs here)"
        if len(names) == 2:
            said = tr("looks like {first} or {second} (these give the same outputs here). {hints}", first=names[0],
                      second=names[1], hints=hints)
        else:
            said = tr("looks like {first} or {second} or {third} (these give the same outputs here). {hints}",
                      first=names[0], second=names[1], third=names[2], hints=hints)
        return Said(said, mistake=english)


def _record_verdict(exercise: str, passed: bool, mistake: str | None = None):
    """The learner's `check_<exercise>` call is over: announce its verdict (course_lib.verdicts; the progress
    record listens). Only here: `Exercise.check` also runs for the grader, for a blamed earlier exercise and for an
    experiment, none of which is a check the learner ran. Never raises."""
    announce(exercise, passed, mistake)



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
            built = self.reference(*self._tiny_init())
            names = _members(built.named_parameters())
        # the class of each part of the reference, by place: whose exercise a learner's part at that place is
        self.part_exercises = {path: type(sub).__name__ for path, sub in built.named_modules() if path}
        self.members = members or f"the members {', '.join(names)} of the contract"  # English: recorded as is

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

    def _dependencies(self, impl, case: Case):
        """The learner's classes among the module's parts (named by their class, or by the exercise the
        reference's part at the same place belongs to) and the learner's functions their code calls."""
        module = self._local_build(impl, case)
        found = []
        parts = getattr(self, "part_exercises", None) or {}
        for path, sub in module.named_modules():
            cls = type(sub)
            if not path or not learners(cls):
                continue
            name = cls.__name__ if cls.__name__ in REGISTRY else parts.get(path)
            if name:
                found.append((name, cls, f"`{pretty(path, self.name)}`"))
        for name, obj, where in _used_exercises(impl, self.name):
            found.append((name, obj, where))
        for _, cls, _ in list(found):
            if isinstance(cls, type):
                found += [f for f in _used_exercises(cls, self.name) if f[1] is not cls]
        return found

    def _where_it_departs(self, student, case: Case, strict: bool) -> str | None:
        mine = self._execute(student, "trace", case, strict)
        ref = self._execute(self.reference, "trace", case)
        if not isinstance(mine, list) or not isinstance(ref, list):
            return None
        return CallTree(mine, ref, tr("your {name}", name=self.name)).departure()

    def _local_trace(self, impl, case: Case, strict: bool = False):
        """Every submodule call of a forward run on `case`, its inputs and outputs (see `trace_calls`)."""
        calls, handles = [], []
        original = self._local_build

        def build(impl_, case_, strict_=False, train=False, init=None):
            module = original(impl_, case_, strict_, train=train, init=init)
            handles.extend(trace_calls(module, calls))
            return module

        self._local_build = build
        try:
            self._local_forward(impl, case, strict)
        finally:
            del self._local_build
            for handle in handles:
                handle.remove()
        return calls

    def _diagnose(self, student, cases):
        """A module that gives two outputs on two identical calls in eval() has dropout left on."""
        case = cases[0]
        if self.takes_dropout:
            first, second = self._run(student, case)[0], self._run(student, case)[0]
            if not isinstance(first, BaseException) and not self._same(first, second):
                return Said(tr("looks like dropout applied in eval(): two calls on the same input give different "
                               "outputs. Use nn.Dropout members (model.eval() switches them off) or "
                               "F.dropout(x, p, training=self.training)."),
                            mistake="dropout applied in eval(): two calls on the same input give different outputs")
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
            return tr("raised {error} in train() mode: {message}", error=type(error).__name__,
                      message=error) + on_case(where)
        return self._judge_modes(noisy, plain, case, where, " " + tr("Apply nn.Dropout where the exercise says (it "
                                                                     "is a no-op in eval() only)."))

    def _judge_modes(self, noisy, plain, case, where, hint=""):
        """The train() outputs with dropout (`noisy`) must differ from the reference's eval() outputs, those
        with dropout=0 (`plain`) must not; None when all is well."""
        want, _ = self._run(self.reference, case)
        if self._same(noisy, want):
            return tr("in train() with dropout={p} your outputs equal the eval() outputs: dropout is never applied.",
                      p=case.init["dropout"]) + hint + on_case(where)
        problem = self._compare(plain, want, where)
        if problem:
            return tr("in train() with dropout=0 your outputs differ from eval(): something besides dropout depends "
                      "on the mode. {problem}", problem=problem)
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
        return tr("seeded {members}", members=", ".join(_members((name, None) for name in self)))


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
        raise translated_error(TypeError, "{name}(...) should build an nn.Module, got {type}", name=name,
                               type=type(module).__name__)
    own = dict(module.named_parameters())
    missing = [n for n in weights if n not in own]
    extra = [n for n in own if n not in weights]
    if missing or extra:
        english = dict(members=members, parameters=sorted(own) or "no parameters", missing=missing or "nothing",
                       unexpected=extra or "nothing")
        raise translated_error(
            AttributeError, "the check gives your module its own weights, so it needs {members} and no other "
            "parameters; yours has {parameters} (missing {missing}, unexpected {unexpected})", english,
            members=members_words(members), parameters=sorted(own) or tr("no parameters"),
            missing=missing or tr("nothing"), unexpected=extra or tr("nothing"))
    for n, tensor in weights.items():
        if own[n].shape != tensor.shape:
            raise translated_error(ValueError, "your parameter `{name}` has shape {got}, expected {want}", name=n,
                                   got=tuple(own[n].shape), want=tuple(tensor.shape))
    with torch.no_grad():
        for n, tensor in weights.items():
            own[n].copy_(tensor)


def members_words(members: str) -> str:
    """The members a module needs (`ModuleExercise.members`, kept in English, recorded as is) as the learner reads
    them: an exercise's own text translated whole, the default one built anew."""
    prefix, suffix = "the members ", " of the contract"
    if members.startswith(prefix) and members.endswith(suffix) and tr(members) == members:
        return tr("the members {names} of the contract", names=members[len(prefix):-len(suffix)])
    return tr(members)


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


def snake_case_check_name(exercise: str) -> str:
    """`MultiHeadAttention` -> `check_multi_head_attention`: the name of an exercise's check function."""
    return "check_" + snake_case(exercise)


# -- which exercise uses which ----------------------------------------------------------------------------------------
# A failing check first asks whether the learner's code uses another exercise of theirs that fails its own check
# (`_local_blame`): then that one is to fix first. Otherwise, when no catalog mistake matches, it says what it can
# of the difference (`Exercise._explain`): a raw error as one sentence about the learner's line (`_errors`), the
# shape of a difference (`_difference`), and for a module the first part whose input or output departs from the
# reference's (`_localise`). All of it runs only on failure, through `Exercise._execute` (so in the grader's
# worker too); what it needs of the reference the student environment's recordings hold (`_recorded.record`).
# The same reading of code, done on the references, tells the grader which exercise builds on which (`builds_on`).
_BLAMING: set = set()  # the exercises whose dependencies are being checked now (no check runs inside itself)


def _functions_of(obj, keep: Callable[[type], bool]) -> list:
    """A function itself, or the methods of a class (of the classes of its MRO that `keep` accepts)."""
    if isinstance(obj, type):
        return [f for klass in obj.__mro__ if keep(klass) for f in vars(klass).values()
                if isinstance(f, types.FunctionType)]
    return [obj] if isinstance(obj, types.FunctionType) else []


def _globals_read(function) -> list[str]:
    """The global names a function's code (and the code nested in it) reads, once each, in order."""
    codes, names = [function.__code__], []
    while codes:
        code = codes.pop()
        codes += [c for c in code.co_consts if isinstance(c, types.CodeType)]
        names += [i.argval for i in dis.get_instructions(code) if i.opname == "LOAD_GLOBAL"]
    return list(dict.fromkeys(names))


def _used_exercises(obj, own: str):
    """(exercise name, object, where) for the learner's functions and classes that `obj` (a function, or a
    class's methods) reads as globals and that are exercises of the course (by their name)."""
    found = []
    for function in _functions_of(obj, learners):
        for name in _globals_read(function):
            value = function.__globals__.get(name)
            exercise = getattr(value, "__name__", None)
            if value is None or value is obj or exercise == own or exercise not in REGISTRY or not learners(value):
                continue
            if isinstance(value, type) or not callable(value):
                continue  # a class the code names may not be the one it builds: the module's parts tell
            found.append((exercise, value, ""))
    return found


def _referenced(exercise: Exercise) -> list[str]:
    """The exercises whose references `exercise`'s reference calls (a global its code reads) or builds (a part of
    a module); none for a recorded reference (the student environment)."""
    found = []
    for function in _functions_of(exercise.reference, lambda klass: klass.__module__.startswith("course_lib")):
        for name in _globals_read(function):
            value = function.__globals__.get(name)
            piece = REGISTRY.get(getattr(value, "__name__", None))
            if piece is not None and piece.reference is value:
                found.append(piece.name)
    return found + [n for n in (getattr(exercise, "part_exercises", None) or {}).values() if n in REGISTRY]


def builds_on() -> dict[str, tuple[str, ...]]:
    """{exercise: the exercises of its own notebook it builds on}, read from the checks: those its reference calls
    or builds, and those its check names (`Exercise(builds_on=...)`: pieces a learner's code may use that the
    contract's members keep out of the reference). The grader counts a failure under the piece it builds on when
    both fail in one submission (autograde/engine/results.py)."""
    table = {}
    for name, exercise in REGISTRY.items():
        found = [*exercise.builds_on, *_referenced(exercise)]
        own = [n for n in dict.fromkeys(found) if n != name and REGISTRY[n].topic == exercise.topic]
        if own:
            table[name] = tuple(own)
    return table
