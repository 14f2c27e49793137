"""Checks replayed from recordings: how the student environment checks without the reference solutions.

An instructor who grades for credit hands students a copy of `course_lib` without `course_lib.solutions`
(`python -m autograde student-env`, built by `autograde/engine/student_env.py`). Its checks are the same
`Exercise` code as the full package's; only what they would ask of the reference and of the catalog's
mistakes comes from recordings made once, at build time, with the full package:

* `record(exercise)` (full package) runs the real check of the exercise on its reference once (so that
  anything it computes from the reference on the way, such as `AllAtOnceExercise.reference_ops`, is kept),
  then records, for the cases of the public seed 0: the cases themselves (inputs, constructor arguments,
  seeded weights, graph recipes), the reference's `forward` and `backward` runs, every mistake's `forward`
  run (what `_diagnose` compares the student's outputs with), what a failing check's diagnosis asks of the
  reference (a module's calls of its parts with their inputs and outputs, `trace`; a function's results with
  an integer argument moved by one), and the exercise's plain settings
  (output names, tolerances, members text, whether it takes dropout, the exercises it builds on, ...).
  Everything is plain data (the codec of `_plain.py`): tensors, numbers, strings, lists and dicts, saved with
  `torch.save` one file per notebook and loaded with `weights_only=True` (no pickled class or function).
  Harness objects in cases (`_harness.Graph`, and the fixed models of `_standins`, which stand in for a reference
  Transformer or GPT) are recorded as their `_record()` data (a recipe; sizes and weights) and rebuilt by their
  class's `_replay`.
* `load(module_name)` (student environment: the generated `course_lib/checks/<topic>.py` calls it)
  rebuilds each exercise as an instance of its own class (`Exercise`, `ModuleExercise` or a class of
  `_harness`), with its harness `invoke`, whose `reference` and whose mistakes' implementations are
  `Recorded` objects: a `Remote` (framework.py) whose `run(exercise, what, case, strict, **options)` answers
  from the recording. Every run goes through `Exercise._execute`, so the verdicts, the messages and the
  naming of mistakes are computed by the same code in both packages.

Only seed 0 is recorded: a check called with another seed says so. A recorded reference cannot be called:
`yours_or_reference` (course_lib.experiments) says plainly that it has no reference to fall back to.
"""
from __future__ import annotations

import importlib
import os

import torch

from ..i18n import tr
from ._plain import Codec
from .framework import (
    REGISTRY,
    Case,
    Exercise,
    Mistake,
    ModuleExercise,
    Remote,
    Weights,
    builds_on,
    call_with_case,
)

FORMAT = 1
RECORDINGS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "recordings")
SHIPPABLE = ("framework", "_harness", "_standins")  # the modules of course_lib.checks a recording may name
SEED = 0  # the public seed: the one the notebooks' check cells use
NOT_RECORDED_FIELDS = ("reference", "make_cases", "mistakes", "invoke")


class RecordingError(ValueError):
    """An exercise whose check needs something that cannot be recorded as plain data."""


class NoReference(RuntimeError):
    """Raised when a recorded reference is called: the student environment holds none."""


class Recorded(Remote):
    """The reference, or a catalog mistake, of an exercise in the student environment: its runs replayed."""

    recorded = True  # what `yours_or_reference` (course_lib.experiments) looks for

    def __init__(self, exercise: str, who: str, runs: dict, mistake: str | None = None):
        self.exercise, self.who, self.runs, self.mistake = exercise, who, runs, mistake

    def _who_words(self):
        """`who` as the learner reads it: the reference, or the mistake 'its name'."""
        if self.mistake is not None:
            return tr("the mistake '{mistake}'", mistake=tr(self.mistake))
        return tr("the reference") if self.who == "the reference" else self.who

    def __repr__(self):
        return f"<{self.who} of {self.exercise}, recorded>"

    def __call__(self, *args, **kwargs):
        raise NoReference(no_reference_message(self.exercise))

    def run(self, exercise, what, case, strict, **options):
        data = self.runs.get(run_key(what, case.label, options))
        if data is None:
            raise RecordingError(tr("{name}: the student environment holds no recording of {who}'s '{run}' run on "
                                    "case '{case}'; rebuild it with `python -m autograde student-env`",
                                    name=exercise.name, who=self._who_words(), run=what, case=case.label))
        result = decode(data)
        return (result, case) if what == "forward" else result


def no_reference_message(name: str) -> str:
    return tr("this course environment holds no reference solution of {name} (your instructor removed them), so "
              "there is nothing to fall back to: make your {name} pass its check, then run this again", name=name)


def run_key(what: str, label: str, options: dict) -> str:
    return f"{what}|{label}|{sorted(options.items())!r}"


# -- plain data ------------------------------------------------------------------------------------------------
def _name_of(obj) -> str:
    """`module:qualname` of a class or function of a shippable module of course_lib.checks, else an error."""
    module = obj.__module__.rsplit(".", 1)[-1]
    if obj.__module__.rsplit(".", 2)[-2:-1] != ["checks"] or module not in SHIPPABLE:
        raise RecordingError(f"{obj.__module__}.{obj.__qualname__} is not in a shippable module of "
                             f"course_lib.checks ({', '.join(SHIPPABLE)})")
    return f"{module}:{obj.__qualname__}"


def _named(name: str):
    module, qualname = name.split(":")
    if module not in SHIPPABLE:
        raise RecordingError(f"a recording names {name}, outside course_lib.checks' shippable modules")
    obj = importlib.import_module(f"{__package__}.{module}")
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


def encode(value, opaque_ok=False):
    """Plain data (tensors, numbers, strings, lists, dicts) describing `value`; `decode` rebuilds it. The codec is
    course_lib/checks/_plain.py's, tensors kept as tensors (`torch.save`); cases, seeded weights and harness objects
    are described here. `opaque_ok`: any other object is recorded as its type's name (an output no check compares
    as a tensor)."""
    codec = Codec()

    def more(obj):
        if type(obj) is Weights:
            return {"t": "weights", "k": [codec.encode(k) for k in obj], "v": [codec.encode(v) for v in obj.values()]}
        if type(obj) is Case:
            return {"t": "case", "label": obj.label, "args": codec.encode(obj.args), "kwargs": codec.encode(obj.kwargs),
                    "init": codec.encode(obj.init), "weights": codec.encode(obj.weights)}
        if hasattr(type(obj), "_replay") and hasattr(obj, "_record"):
            return {"t": "object", "class": _name_of(type(obj)), "v": codec.encode(obj._record())}
        if opaque_ok:
            return {"t": "opaque", "type": type(obj).__name__}
        raise RecordingError(f"cannot record a {type(obj).__module__}.{type(obj).__qualname__} as plain data")

    codec.more = more
    return codec.encode(value)


class Opaque:
    """An output that was neither a tensor nor plain data when recorded."""

    def __init__(self, type_name):
        self.type_name = type_name

    def __repr__(self):
        return f"<a {self.type_name}>"


def decode(data):
    """The value `encode` described (a recording is the instructor's: torch's exceptions are rebuilt as such)."""
    codec = Codec(torch_errors=True)

    def rebuild(data):
        kind = data["t"]
        if kind == "weights":
            return Weights({codec.decode(k): codec.decode(v) for k, v in zip(data["k"], data["v"])})
        if kind == "case":
            return Case(data["label"], codec.decode(data["args"]), codec.decode(data["kwargs"]),
                        codec.decode(data["init"]), codec.decode(data["weights"]))
        if kind == "object":
            return _named(data["class"])._replay(codec.decode(data["v"]))
        if kind == "opaque":
            return Opaque(data["type"])
        raise RecordingError(f"unknown recorded value {kind!r}")

    codec.rebuild = rebuild
    return codec.decode(data)


# -- recording (full package) ------------------------------------------------------------------------------------
def record(exercise: Exercise) -> dict:
    """Everything the check of `exercise` asks of its reference and its mistakes on seed 0, as plain data."""
    name = exercise.name
    try:
        exercise.check(exercise.reference, seed=SEED, quiet=True)  # fills what a check computes on the way
        cls = _name_of(type(exercise))
        invoke = None
        if not isinstance(exercise, ModuleExercise) and exercise.invoke is not call_with_case:
            invoke = _name_of(exercise.invoke)
        fields = {k: v for k, v in vars(exercise).items() if k not in NOT_RECORDED_FIELDS}
        fields["builds_on"] = builds_on().get(name, ())  # what its reference shows too: no reference ships
        cases = exercise.cases(SEED)
        encoded_cases = [encode(case) for case in cases]
        labels = [case.label for case in cases]
        if len(set(labels)) != len(labels):
            raise RecordingError("two cases have the same label")
        reference = {}
        for case in cases:
            reference[run_key("forward", case.label, {})] = encode(
                exercise._local_forward(exercise.reference, case)[0], opaque_ok=True)
            if exercise.gradients:
                reference[run_key("backward", case.label, {})] = encode(
                    exercise._local_backward(exercise.reference, case), opaque_ok=True)
            # what a failing check's diagnosis asks of the reference (framework.Exercise._explain): a module's
            # calls of its parts, for `localise`; a function's results with an integer argument moved by one
            if isinstance(exercise, ModuleExercise):
                reference[run_key("trace", case.label, {})] = encode(exercise._local_trace(exercise.reference, case))
            for _, moved in exercise._perturbed_cases(case):
                reference[run_key("forward", moved.label, {})] = encode(
                    exercise._local_forward(exercise.reference, moved)[0], opaque_ok=True)
        mistakes = [{"name": m.name, "hint": m.hint,
                     "runs": {run_key("forward", case.label, {}): encode(exercise._local_forward(m.impl, case)[0],
                                                                          opaque_ok=True) for case in cases}}
                    for m in exercise.mistakes]
        return {"name": name, "class": cls, "invoke": invoke, "fields": encode(fields), "cases": encoded_cases,
                "reference": reference, "mistakes": mistakes}
    except RecordingError as error:
        raise RecordingError(f"{name}: {error}") from None


# -- replaying (student environment) ---------------------------------------------------------------------------
def _recorded_cases(name, encoded, seed):
    if seed != SEED:
        raise AssertionError(tr("{name}: this course environment records the check's cases for seed {public} only "
                                "(the seed the notebook's check cells use), not seed {seed}: call the check without "
                                "`seed`", name=name, public=SEED, seed=seed))
    return [decode(case) for case in encoded]


def rebuild(data: dict) -> Exercise:
    """An exercise of its own class whose reference and mistakes answer from the recording `data`."""
    cls = _named(data["class"])
    exercise = cls.__new__(cls)
    exercise.__dict__.update(decode(data["fields"]))
    name = exercise.name
    exercise.reference = Recorded(name, "the reference", data["reference"])
    exercise.mistakes = [Mistake(m["name"], Recorded(name, f"the mistake '{m['name']}'", m["runs"], m["name"]),
                                 m["hint"]) for m in data["mistakes"]]
    cases = data["cases"]
    exercise.make_cases = lambda seed: _recorded_cases(name, cases, seed)
    if isinstance(exercise, ModuleExercise):
        exercise.invoke = exercise._invoke
    else:
        exercise.invoke = _named(data["invoke"]) if data["invoke"] else call_with_case
    REGISTRY[name] = exercise
    return exercise


def load(module_name: str) -> list[Exercise]:
    """Register the exercises recorded for `course_lib.checks.<topic>` (module_name), in their order."""
    path = os.path.join(RECORDINGS, module_name.rsplit(".", 1)[-1] + ".pt")
    data = torch.load(path, weights_only=True)
    if data.get("format") != FORMAT:
        raise RecordingError(f"{path} was recorded in another format; rebuild the student environment")
    return [rebuild(exercise) for exercise in data["exercises"]]
