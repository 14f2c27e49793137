"""Authoring helpers for the source notebooks: exercise headers, check cells and graded test cells.

Each notebook `notebooks/<stem>.ipynb` is built by `notebooks/src/<stem>.py` (`make notebooks`); solution
cells come from `course_lib.solutions`, so the two cannot drift, and `tests/test_notebooks.py` fails when a
committed notebook differs from a fresh build.
"""
from autograde.notebook import code, locked_code, markdown, notebook, solution_code, solution_source, test_code  # noqa: F401
from course_lib.checks.framework import snake_case


def exercise_header(number, name, signature, difficulty, importance, minutes, text, hint):
    """An ARENA-style exercise header: difficulty, importance, time, signature and shapes, a hidden hint."""
    dots = lambda n, on: on * n + "\u26aa" * (5 - n)  # noqa: E731
    return markdown(
        f"### Exercise {number}: `{name}`\n\n"
        f"> **Difficulty** {dots(difficulty, chr(0x1F534))} &nbsp; **Importance** {dots(importance, chr(0x1F535))}"
        f" &nbsp; about {minutes} minutes\n\n"
        f"```python\n{signature}\n```\n\n{text}\n\n"
        f"<details><summary>Hint</summary>\n\n{hint}\n\n</details>"
    )


def check_cell(name, impl_name=None):
    """The read-only cell right after an exercise: run its public check on the learner's code."""
    impl_name = impl_name or name
    return locked_code(f"check_{snake_case(name)}({impl_name})", f"check_{snake_case(name)}")


def graded_cell(name, points, seed, final_assert, impl_name=None):
    """A graded test: the public check and one visible assert run in the learner's kernel; the hidden tests
    are a marker the grader reads (`autograde/verdict.py`) and runs in its own process, never in the kernel.

    `final_assert` is a small assert a learner can read; it ends the cell in both versions, so the cell
    never ends in an expression (nbgrader would read its value as partial credit). The marker is a comment:
    the grader strips the whole hidden region before the kernel runs the cell, so the seed never reaches it.
    """
    impl_name = impl_name or name
    return test_code(
        f"# Graded test for `{impl_name}` ({points} point{'s' if points != 1 else ''}): the check above, "
        f"then hidden tests on other inputs.\n"
        f"check_{snake_case(name)}({impl_name})\n"
        f"### BEGIN HIDDEN TESTS\n"
        f"# Run by the grader in its own process, on inputs this kernel never sees:\n"
        f"# hidden_test(\"{name}\", {impl_name}, seed={seed})\n"
        f"### END HIDDEN TESTS\n"
        f"{final_assert}",
        f"test_{snake_case(name)}", points)


def solution_cell(obj):
    """The cell a learner completes, generated from the reference in `course_lib.solutions`."""
    return solution_code(solution_source(obj), obj.__name__)


def signature_of(obj):
    """The signature a header shows, read from the reference: `def f(x, dim=-1)`, or a class's
    constructor and public methods."""
    import inspect

    if not inspect.isclass(obj):
        return f"def {obj.__name__}{inspect.signature(obj)}"
    lines = [f"class {obj.__name__}(nn.Module):"]
    for method in ["__init__"] + [n for n, f in vars(obj).items() if inspect.isfunction(f) and not n.startswith("_")]:
        lines.append(f"    def {method}{inspect.signature(getattr(obj, method))}")
    return "\n".join(lines)


def exercise(number, obj, *, points, seed, final_assert, difficulty, importance, minutes, text, hint,
             signature=None):
    """The four cells of an exercise, in order: header, solution, public check, graded test.

    The name comes from the reference `obj`, and the header's signature too unless `signature` is given.
    """
    name = obj.__name__
    return [
        exercise_header(number, name, signature or signature_of(obj), difficulty, importance, minutes, text, hint),
        solution_cell(obj),
        check_cell(name),
        graded_cell(name, points, seed, final_assert),
    ]
