"""`python -m autograde student-env OUT [--through ASSIGNMENT]`: a `course_lib` for students graded for credit.

`build_student_env(out, through=None)` writes `OUT/course_lib` (and a `pyproject.toml` to install it) from
the full package, with:

* no `course_lib/solutions/`, and no code of any reference solution or of any catalog mistake: each included
  notebook's `course_lib/checks/<topic>.py` is replaced by a two-line module that loads
  `course_lib/checks/recordings/<topic>.pt`, recorded here with the full package (see
  `course_lib/checks/_recorded.py` for what is recorded and how it is replayed). The framework and the
  harness (`framework.py` and every private module of `checks/`: `_errors.py`, `_difference.py`, `_localise.py`,
  `_plain.py`, `_harness.py`, `_standins.py`, `_recorded.py`) ship as they are, so each check runs the same
  code and gives the same verdict and message as the full package's on the public seed 0;
* `course_lib.handouts`: only the modules the included notebooks (and their experiments) import, with the
  modules those import in turn. They hold the pieces a notebook hands out from earlier notebooks, whose code
  is that of the earlier exercises' references by design. Never the code of an exercise of the last
  included notebook or of a later one, even one that a later notebook hands out: the build checks the
  built tree for the code of those references and refuses (an experiment of notebook NN that needs NN's own
  exercise takes it through `reference(name)` / `yours_or_reference`, which say there is none here);
* `course_lib.experiments`: the package and the modules of the included notebooks; `data`, `train`, `text`
  as they are. `yours_or_reference` cannot fall back to a reference there, and says so;
* not `course_lib/checks/_trusted.py`, the grader's worker. The grader builds the same package, through the
  assignment it grades and with the worker (`for_grader`), for the worker that runs a submission's code for
  the hidden verdicts: there the student's code finds no reference of that notebook's exercises to call.

`through` names the last assignment included (`04_multi_head_attention` includes 01 to 04); all by default.
The build refuses, naming the exercises, when a check needs something that cannot be recorded as plain data,
rather than ship a check that is broken or carries reference code. Cases that drive a fixed model
(`generate`, `seq2seq_loss`, `greedy_decode`) carry stand-in models (`course_lib/checks/_standins.py`, used by
the full package's checks too), which are no solution of any exercise and are recorded as their weights; so
every notebook's checks can be recorded and the default build includes all nine.
"""
from __future__ import annotations

import ast
import importlib
import inspect
import json
import re
import shutil
import textwrap
import tomllib
from pathlib import Path

import nbformat
import torch

import autograde
from autograde.gradebook import course
from course_lib.checks import EXERCISES
from course_lib.checks._recorded import FORMAT, RecordingError, record

PACKAGE = Path(importlib.import_module("course_lib").__file__).parent

# Installed beside the course's other requirements (`pip install -r requirements.lock`, then
# `pip install --no-deps OUT`); the pins are the course's own, so a plain `pip install OUT` cannot pull another
# torch (a loose `torch` pulls a multi-gigabyte CUDA build).
STUDENT_REQUIREMENTS = ("torch", "numpy", "matplotlib", "jupyterlab", "nbgrader", "nbclient", "nbformat", "ipykernel",
                        "tqdm", "noto-cjk-sans-otc")
PYPROJECT = """[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "transformers-first-principles-student"
version = "0.1.0"
description = "The course kit for students graded for credit: no reference solutions; checks replayed from recordings."
requires-python = ">=3.11"
dependencies = {dependencies}

[tool.setuptools.packages.find]
include = ["course_lib*", "autograde*"]

[tool.setuptools.package-data]
"course_lib.checks" = ["recordings/*.pt"]
"course_lib" = ["default_language.txt"]
"""


def _pyproject() -> str:
    """The student package's pyproject.toml, with the course's exact pins of what students need."""
    pins = tomllib.loads((course.REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    wanted = [p for p in pins if re.split(r"[=<>!~ ]", p, maxsplit=1)[0] in STUDENT_REQUIREMENTS]
    return PYPROJECT.format(dependencies=json.dumps(wanted))

STUB = '''"""Checks for notebook {number}, replayed from recordings of the reference (student environment).

The checks run the course's check framework on the cases of the public seed; the reference's results and the
known mistakes' results were recorded when the instructor built this environment.
"""
from ._recorded import load

load(__name__)
'''


def topic(assignment: str) -> str:
    """`04_multi_head_attention` -> `multi_head_attention`, the name of its modules in course_lib."""
    return assignment.split("_", 1)[1]


def included(through: str | None) -> list[str]:
    names = course.assignments()
    if through is None:
        return names
    if through not in names:
        raise ValueError(f"no assignment {through!r}; the assignments are {', '.join(names)}")
    return names[:names.index(through) + 1]


# -- which handouts the included notebooks need --------------------------------------------------------------
def _parse(source: str):
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    try:
        return ast.parse("\n".join(lines))
    except SyntaxError:
        return ast.Module(body=[], type_ignores=[])


def _imports(tree, package: str):
    """(module, names) for every `from X import names` in `tree`, X resolved inside course_lib."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([module] if module else []))
            yield module, [alias.name for alias in node.names]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, []


def _handout_modules(sources) -> set[str]:
    """The modules of course_lib.handouts that code importing from `sources` [(tree, package)] needs."""
    handouts = importlib.import_module("course_lib.handouts")
    owner = {}
    for name in getattr(handouts, "__all__", ()):
        owner[name] = getattr(handouts, name).__module__.rsplit(".", 1)[-1]
    needed, todo = set(), list(sources)
    while todo:
        tree, package = todo.pop()
        for module, names in _imports(tree, package):
            found = set()
            if module == "course_lib.handouts":
                found = {owner[n] for n in names if n in owner} | {n for n in names if n not in owner}
            elif module.startswith("course_lib.handouts."):
                found = {module.split(".")[2]}
            for name in found - needed:
                path = PACKAGE / "handouts" / f"{name}.py"
                if path.exists():
                    needed.add(name)
                    todo.append((ast.parse(path.read_text()), "course_lib.handouts"))
    return needed


def _notebook_tree(assignment: str):
    notebook = nbformat.read(str(course.NOTEBOOKS / f"{assignment}.ipynb"), as_version=4)
    source = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    return _parse(source)


# -- the build ------------------------------------------------------------------------------------------------
def record_assignments(assignments) -> dict[str, dict]:
    """{topic: recording} for the assignments' checks; refuses, naming them, exercises it cannot record."""
    recordings, refused = {}, []
    for assignment in assignments:
        exercises = [EXERCISES[name] for name in own_exercises(assignment)]
        records = []
        for exercise in exercises:
            try:
                records.append(record(exercise))
            except RecordingError as error:
                refused.append(str(error))
        recordings[topic(assignment)] = {"format": FORMAT, "exercises": records}
    if refused:
        raise ValueError("cannot build a student environment: these checks cannot be recorded yet, so they "
                         "would need the reference solutions:\n  " + "\n  ".join(refused))
    return recordings


def _defined_in(exercise, module: str) -> bool:
    """Whether `exercise` is one of the module's (its module-level names hold it)."""
    return any(value is exercise for value in vars(importlib.import_module(module)).values())


def _ignore(folder: str, names: list[str]) -> set[str]:
    return {n for n in names if n == "__pycache__" or n.endswith((".pyc", ".egg-info"))}


def build_student_env(out, through: str | None = None, for_grader: bool = False, language: str = "en") -> Path:
    """Write `out/course_lib` (and `out/pyproject.toml`): the student environment through `through`.

    `language`: the language its messages take when neither `set_language` nor COURSE_LANG says (the Chinese
    notebooks call `set_language("zh")` anyway; `validate` answers in the notebook's language).

    `for_grader`: the package the grader's hidden-test worker runs a submission of `through` on (`grade`):
    the same, with the worker's module `checks/_trusted.py`, the checks of `through` only (the worker runs
    no other notebook's), and without the student commands.

    Returns `out/course_lib`. Refuses (ValueError) an `out` that already holds a course_lib, an unknown
    assignment, and checks that cannot be recorded.
    """
    out = Path(out)
    target = out / "course_lib"
    if target.exists():
        raise ValueError(f"{target} exists already: build the student environment into a new folder")
    assignments = included(through)
    topics = [topic(a) for a in assignments]
    recordings = record_assignments(assignments[-1:] if for_grader else assignments)

    experiments = [t for t in topics if (PACKAGE / "experiments" / f"{t}.py").exists()]
    sources = [(_notebook_tree(a), "__main__") for a in assignments]
    sources += [(ast.parse((PACKAGE / "experiments" / f"{t}.py").read_text()), "course_lib.experiments")
                for t in experiments]
    handouts = _handout_modules(sources)

    out.mkdir(parents=True, exist_ok=True)
    shutil.copytree(PACKAGE, target, ignore=_ignore)
    shutil.rmtree(target / "solutions")
    checks = target / "checks"
    if not for_grader:
        (checks / "_trusted.py").unlink()
    for path in checks.glob("[!_]*.py"):
        if path.stem != "framework":
            path.unlink()
    (checks / "recordings").mkdir()
    for name in recordings:
        number = assignments[topics.index(name)].split("_", 1)[0]
        (checks / f"{name}.py").write_text(STUB.format(number=number))
        torch.save(recordings[name], checks / "recordings" / f"{name}.pt")
    for path in (target / "handouts").glob("[!_]*.py"):
        if path.stem not in handouts:
            path.unlink()
    for path in (target / "experiments").glob("[!_]*.py"):
        if path.stem not in experiments and path.stem not in SHARED_EXPERIMENTS:
            path.unlink()
    if not for_grader and assignments != course.assignments():
        _say_what_is_not_here(target, assignments)
    if language != "en":
        (target / "default_language.txt").write_text(language + "\n")
    if not for_grader:
        # The kit's student commands (`python -m autograde validate` and `submit`): autograde holds no reference.
        shutil.copytree(Path(autograde.__file__).parent, out / "autograde", ignore=_ignore)
        (out / "pyproject.toml").write_text(_pyproject())
    _refuse_solutions(target)
    _refuse_later_code(target, assignments)
    return target


NOT_HERE = """
# -- built through {through}: what a later notebook asks for says so (autograde.engine.student_env) ----------------
_BUILT_THROUGH = {through!r}
_LATER = {later!r}  # a later notebook's name -> its assignment


def _not_here(assignment=None):
    if assignment is None:
        return (f"this course_lib was built through {{_BUILT_THROUGH}}; a later notebook needs its own "
                f"environment: ask your instructor")
    number = assignment.split("_", 1)[0]
    return (f"this course_lib was built through {{_BUILT_THROUGH}}; {{assignment}} needs the environment for "
            f"{{number}}: ask your instructor")


def __getattr__(name):
    if name in _LATER:
        {answer}
    import os

    if not name.startswith("_") and not any(os.path.exists(os.path.join(p, name + ".py"))  # a module: import it
                                            or os.path.isdir(os.path.join(p, name)) for p in __path__):
        raise ImportError(f"{{__name__}} has no {{name}}: " + _not_here())
    raise AttributeError(name)
"""


SHARED_EXPERIMENTS = {"claims"}  # experiment helpers that any notebook's experiments import (thresholds, timing)


def _say_what_is_not_here(target: Path, assignments):
    """In a build through an earlier notebook, a later notebook's checks, experiments and handed-out pieces
    answer "this course_lib was built through 03_self_attention; 08_transformer needs the environment for 08:
    ask your instructor" instead of a bare ImportError or NameError: a check is there and fails with that
    message when called (so each check cell says it), a module or piece raises it when imported."""
    later = [a for a in course.assignments() if a not in assignments]
    checks = {EXERCISES[name].check_name: a for a in later for name in own_exercises(a)}
    modules = {topic(a): a for a in later}
    through = assignments[-1]
    check_answer = ("def check(*args, **kwargs):\n            raise AssertionError(_not_here(_LATER[name]))\n\n"
                    "        return check")
    with open(target / "checks" / "__init__.py", "a") as f:
        f.write(NOT_HERE.format(through=through, later=checks, answer=check_answer))
    for package in ("experiments", "handouts"):
        with open(target / package / "__init__.py", "a") as f:
            f.write(NOT_HERE.format(through=through, later=modules,
                                    answer="raise ImportError(_not_here(_LATER[name]))"))


def _refuse_solutions(target: Path):
    """The built tree must import nothing of course_lib.solutions."""
    offending = []
    for path in target.rglob("*.py"):
        package = ".".join(("course_lib",) + path.relative_to(target).parent.parts)
        for module, names in _imports(ast.parse(path.read_text()), package):
            if re.match(r"course_lib\.solutions(\.|$)", module) or module == "course_lib" and "solutions" in names:
                offending.append(f"{path.relative_to(target)} imports {module}")
    if offending:
        shutil.rmtree(target)
        raise ValueError("the student environment would import the reference solutions: " + "; ".join(offending))


def _code(text: str) -> str:
    """Text as its non-empty lines, stripped: indentation cannot hide a copy."""
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def _code_of(obj) -> str:
    """The code of a function or class after its docstring, as `_code` writes it."""
    source = textwrap.dedent(inspect.getsource(obj))
    node = ast.parse(source).body[0]
    lines = source.splitlines()
    body = getattr(node, "body", [])
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        lines = lines[body[0].end_lineno:]  # the code after the docstring
    return _code("\n".join(lines))


def own_exercises(assignment: str) -> list[str]:
    """The names of the exercises whose checks `course_lib/checks/<topic>.py` of `assignment` defines."""
    module = f"course_lib.checks.{topic(assignment)}"
    return [name for name, ex in EXERCISES.items() if _defined_in(ex, module)]


def _refuse_later_code(target: Path, assignments):
    """The built tree must hold no code of an exercise of the last included notebook or a later one."""
    later = [name for a in course.assignments()[len(assignments) - 1:] for name in own_exercises(a)]
    text = _code("\n".join(path.read_text() for path in target.rglob("*.py")))
    shipped = [name for name in later if _code_of(EXERCISES[name].reference) in text]
    if shipped:
        shutil.rmtree(target)
        raise ValueError(f"the student environment through {assignments[-1]} would ship the code of "
                         f"{', '.join(shipped)}, exercises of that notebook or a later one (a handed-out piece "
                         f"an included notebook or experiment imports?)")
