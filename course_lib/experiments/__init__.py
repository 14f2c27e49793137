"""Toy data, training loops and figures of the notebooks' experiments, one module per notebook.

Experiments measure the ideas; no graded exercise depends on them. Under autograding (nbgrader sets
`NBGRADER_EXECUTION`) they shrink, so a submission grades in seconds. They run the learner's own pieces
once those pass their checks (`yours_or_reference`), so the reward of the course is the learner's code
working, and "Run All" on a fresh notebook still reaches every measurement.

No module here imports `course_lib.solutions`: pieces handed out by earlier notebooks come from
`course_lib.handouts`, and the reference of a notebook's own exercise (an experiment's default) is looked up
by `reference(name)` when the experiment runs.
"""
import contextlib
import io

from ..i18n import tr


def reference(name):
    """The reference of exercise `name`, looked up when an experiment runs, never when it is imported."""
    from ..checks import EXERCISES

    return EXERCISES[name].reference


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
        fallback = reference(name)
        if getattr(fallback, "recorded", False):  # a student environment: checks replayed, no reference to run
            print(tr("Your {name} does not pass its check yet ({reason}), and there is no reference to run instead in "
                     "this environment: this experiment needs your {name} to pass its check first.", name=name,
                     reason=reason))
            return fallback  # calling it raises an error that says so
        print(tr("Your {name} does not pass its check yet, so this runs the course's reference instead ({reason}).",
                 name=name, reason=reason))
        return fallback
    if not quiet:
        print(tr("Using your {name} (it passes its check).", name=name))
    return implementation
