"""Handed-out pieces live in `course_lib.handouts`, once: the notebooks import them from there, the strict
(hidden) checks watch them as they watch `course_lib.solutions`, and the learner's side of `course_lib` imports
without `course_lib.solutions`."""
import ast
import importlib
import inspect
import math
import pkgutil
import subprocess
import sys

import nbformat
import pytest
from checking import VERIFY, assert_rejected
from conftest import REPO
from test_multi_head_attention import MhaAsInNotebook as LearnersMultiHeadAttention  # the handed-out attention

import course_lib.handouts as handouts
import course_lib.solutions as solutions
from course_lib.checks import EXERCISES
from course_lib.checks.framework import ReferenceUsed, _Tripwire, qualified_name

HANDOUTS_DIR = REPO / "course_lib" / "handouts"
SOLUTIONS_DIR = REPO / "course_lib" / "solutions"

# What each notebook's set-up cell hands out (the list): a notebook that stops importing one, or starts
# importing another, changes this on purpose.
HANDED_OUT = {
    "04_multi_head_attention": {"scaled_dot_product_attention"},
    "05_positional_encoding": {"MultiHeadAttention"},
    "06_parallelism": {"attention_one_query_at_a_time"},
    "07_training_deep_stacks": {"MultiHeadAttention"},
    "08_transformer": {"EncoderLayer", "MultiHeadAttention", "causal_mask", "padding_mask",
                       "sinusoidal_positional_encoding"},
    "09_gpt": {"FeedForward", "merge_heads", "scaled_dot_product_attention", "split_heads"},
}


def strict(name, impl):
    """The hidden test's verdict on `impl` (the grader runs the same `check(..., strict=True)`)."""
    return EXERCISES[name].check(impl, seed=1, quiet=True, strict=True)


def imports_in(tree, prefix):
    """(module, name) of every `from <module> import <name>` in a syntax tree whose module starts with prefix."""
    return {(node.module, alias.name) for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(prefix)
            for alias in node.names}


def relative_imports(path):
    """The modules a file of course_lib imports, absolute: `from ..checks import x` -> course_lib.checks."""
    package = "course_lib." + path.parent.name
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            found.add(".".join(p for p in (base, node.module) if p))
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


# -- one copy of the code ------------------------------------------------------------------------------------
def test_every_handout_is_the_object_course_lib_solutions_exports():
    assert handouts.__all__, "course_lib.handouts exports nothing"
    for name in handouts.__all__:
        assert getattr(solutions, name) is getattr(handouts, name), f"solutions.{name} is a second copy"
        assert getattr(handouts, name).__module__.startswith("course_lib.handouts."), name


def test_no_handout_is_defined_again_in_course_lib_solutions():
    for path in sorted(SOLUTIONS_DIR.glob("*.py")):
        defined = {node.name for node in ast.parse(path.read_text()).body
                   if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
        assert not defined & set(handouts.__all__), f"{path.name} defines {defined & set(handouts.__all__)} again"


@pytest.mark.parametrize("path", sorted(HANDOUTS_DIR.glob("[a-z]*.py")), ids=lambda p: p.name)
def test_handout_module_mirrors_a_solutions_module_and_says_where_it_comes_from(path):
    assert (SOLUTIONS_DIR / path.name).exists(), f"handouts/{path.name} has no solutions/{path.name}"
    module = importlib.import_module(f"course_lib.handouts.{path.stem}")
    doc = module.__doc__ or ""
    assert "notebook 0" in doc.lower() and "hand" in doc.lower(), (
        f"handouts/{path.name}: the docstring should say which notebook built it and which hand it out")
    for name in module.__all__:
        assert getattr(importlib.import_module(f"course_lib.solutions.{path.stem}"), name) is getattr(module, name)


@pytest.mark.parametrize("path", sorted(HANDOUTS_DIR.glob("*.py")), ids=lambda p: p.name)
def test_handouts_import_nothing_of_solutions_or_checks(path):
    imported = relative_imports(path)
    bad = {m for m in imported if m.startswith(("course_lib.solutions", "course_lib.checks"))}
    assert not bad, f"handouts/{path.name} imports {bad}"


def test_every_given_piece_names_a_handout_or_a_reference():
    """`given` holds `<module basename>.<qualname>`; each must still name a real piece after the move."""
    pieces = {qualified_name(getattr(solutions, n)): getattr(solutions, n) for n in solutions.__all__}
    givens = {g for ex in EXERCISES.values() for g in ex.given}
    assert givens, "no exercise gives a piece: the tripwire's allowances are not tested here"
    assert givens <= set(pieces), f"given names without a piece: {givens - set(pieces)}"


# -- the notebooks import handed-out pieces from course_lib.handouts -----------------------------------------
@pytest.mark.parametrize("stem", sorted(p.stem for p in (REPO / "notebooks").glob("[0-9][0-9]_*.ipynb")))
def test_notebook_imports_handed_out_pieces_from_handouts_and_they_exist(stem):
    nb = nbformat.read(REPO / "notebooks" / f"{stem}.ipynb", as_version=4)
    tree = ast.parse("\n".join(c.source for c in nb.cells if c.cell_type == "code" and "%" not in c.source))
    from_handouts = {name for module, name in imports_in(tree, "course_lib.handouts")}
    assert from_handouts == HANDED_OUT.get(stem, set())
    for name in from_handouts:
        assert hasattr(handouts, name), f"{stem} imports {name} from course_lib.handouts, which has no such name"
    assert not imports_in(tree, "course_lib.solutions"), f"{stem} imports from course_lib.solutions"


# -- the tripwire watches course_lib/handouts -----------------------------------------------------------------
def sdpa_calling_the_handout(q, k, v, mask=None):
    return handouts.scaled_dot_product_attention(q, k, v, mask)


def sdpa_on_the_handed_out_softmax(q, k, v, mask=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = handouts.softmax(scores, dim=-1)
    return weights @ v, weights


@pytest.mark.parametrize("impl", [sdpa_calling_the_handout, sdpa_on_the_handed_out_softmax])
def test_notebook_03_strict_check_catches_a_call_to_a_handout(impl):
    EXERCISES["scaled_dot_product_attention"].check(impl, seed=1, quiet=True)  # right values: only strict objects
    with pytest.raises(ReferenceUsed, match=r"runs the reference solution .*course_lib/handouts/self_attention\.py"):
        strict("scaled_dot_product_attention", impl)


class MhaOnTheHandedOutSplit(LearnersMultiHeadAttention):
    """Splits its heads with notebook 04's own exercise, which notebook 04 does not give."""


    def split(self, x):
        return handouts.split_heads(x, self.num_heads)


class MhaDelegatingToTheHandout(handouts.MultiHeadAttention):
    """The handed-out module itself under another name."""


def test_notebook_04_strict_check_allows_the_given_attention():
    """It passes because the attention it calls is given: the same run with nothing given trips the wire."""
    exercise = EXERCISES["MultiHeadAttention"]
    assert exercise.given == ("self_attention.scaled_dot_product_attention",)
    assert strict("MultiHeadAttention", LearnersMultiHeadAttention)
    case = exercise.cases(1)[0]
    with _Tripwire(given=()) as wire:
        exercise.invoke(LearnersMultiHeadAttention, case)
    assert wire.fired == "scaled_dot_product_attention in course_lib/handouts/self_attention.py"


@pytest.mark.parametrize("impl", [MhaOnTheHandedOutSplit, MhaDelegatingToTheHandout])
def test_notebook_04_strict_check_catches_a_handout_that_is_not_given(impl):
    EXERCISES["MultiHeadAttention"].check(impl, seed=1, quiet=True)
    with pytest.raises(ReferenceUsed, match=r"course_lib/handouts/multi_head_attention\.py"):
        strict("MultiHeadAttention", impl)


def test_the_graders_hidden_test_catches_a_handout_too():
    """The grader's verdict (`_trusted.verify`, course_lib loaded afresh under a private name) sees it too."""
    assert VERIFY("MultiHeadAttention", LearnersMultiHeadAttention, seed=4409)
    assert_rejected(VERIFY, "scaled_dot_product_attention", sdpa_calling_the_handout, seed=4409,
                    names="runs the reference solution")


# -- the learner's side of course_lib imports without course_lib.solutions -----------------------------------
WITHOUT_SOLUTIONS = r'''
import importlib, importlib.abc, sys

class NoSolutions(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "course_lib.solutions" or name.startswith("course_lib.solutions."):
            raise ModuleNotFoundError(f"No module named {name!r} (left out of this environment)", name=name)
        return None

sys.meta_path.insert(0, NoSolutions())
try:
    import course_lib.solutions
except ModuleNotFoundError:
    pass
else:
    raise SystemExit("the finder failed to keep course_lib.solutions out")
for name in sys.argv[1:]:
    importlib.import_module(name)
    print("imported", name)
leaked = sorted(m for m in sys.modules if m.startswith("course_lib.solutions"))
assert not leaked, leaked
'''


def test_handouts_data_train_and_experiments_import_without_course_lib_solutions():
    import course_lib.experiments as experiments

    topics = [f"course_lib.experiments.{m.name}" for m in pkgutil.iter_modules(experiments.__path__)]
    assert len(topics) >= 8, topics
    modules = ["course_lib.handouts", "course_lib.data", "course_lib.train", *topics]
    done = subprocess.run([sys.executable, "-c", WITHOUT_SOLUTIONS, *modules], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split("\n")[:-1] == [f"imported {m}" for m in modules]


def test_experiment_defaults_are_the_references_looked_up_when_run():
    """An experiment's default is its notebook's reference, found by `reference(name)` when it runs: no default
    of any experiment is bound to an object of `course_lib.solutions` at import time."""
    import course_lib.experiments as experiments
    from course_lib.experiments import reference
    from course_lib.experiments import training_deep_stacks as E

    assert reference("EncoderLayer") is solutions.EncoderLayer
    for info in pkgutil.iter_modules(experiments.__path__):
        module = importlib.import_module(f"course_lib.experiments.{info.name}")
        for name, obj in vars(module).items():
            fn = obj.__init__ if inspect.isclass(obj) else obj
            if not inspect.isfunction(fn) or fn.__module__ != module.__name__:
                continue
            for param in inspect.signature(fn).parameters.values():
                owner = getattr(param.default, "__module__", None) or ""
                assert not owner.startswith("course_lib.solutions"), (
                    f"{module.__name__}.{name}({param.name}=...) binds a reference at import time")
    scales = E.activation_scales(depth=2, d_model=8, d_ff=16, batch=2, length=3)
    assert scales == E.activation_scales(depth=2, d_model=8, d_ff=16, batch=2, length=3, norm=solutions.layer_norm)
    assert scales != E.activation_scales(depth=2, d_model=8, d_ff=16, batch=2, length=3,
                                         norm=lambda x, gamma, beta: x * 2)
