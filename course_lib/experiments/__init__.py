"""Toy data, training loops and figures of the notebooks' experiments, one module per notebook.

Experiments measure the ideas; no graded exercise depends on them. Under autograding (nbgrader sets
`NBGRADER_EXECUTION`) they shrink, so a submission grades in seconds. They run the learner's own pieces
once those pass their checks (`yours_or_reference`), so the reward of the course is the learner's code
working, and "Run All" on a fresh notebook still reaches every measurement.
"""
import contextlib
import io


def yours_or_reference(name, implementation, quiet=False):
    """The learner's `implementation` of exercise `name` if it passes its check, else the reference.

    Prints which one the experiment runs and, for the reference, the first line of why.
    """
    from ..checks import EXERCISES

    exercise = EXERCISES[name]
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            exercise.check(implementation, quiet=True)
    except AssertionError as failure:
        reason = str(failure).split("\n")[0]
        print(f"Your {name} does not pass its check yet, so this runs the course's reference instead ({reason}).")
        return exercise.reference
    if not quiet:
        print(f"Using your {name} (it passes its check).")
    return implementation
