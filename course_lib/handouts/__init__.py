"""Pieces a notebook hands out, built by the learner in an earlier notebook, one module per notebook.

A notebook's set-up cell imports them from here, so that a learner's environment need not hold
`course_lib.solutions`. This is the one copy of their code: `course_lib.solutions` imports them back and
exports them under the same names. Nothing here imports `course_lib.solutions` or `course_lib.checks`.
"""
from .._reexport import reexport

__all__ = reexport(__name__, __path__, globals())
