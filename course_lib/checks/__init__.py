"""One `check_<exercise>` per exercise, re-exported here by name, all built on `framework.Exercise`.

`EXERCISES` maps each exercise's contract name (`softmax`, `MultiHeadAttention`, ...) to its `Exercise`;
the hidden tests of the graded notebooks and the grader's reports read it.
"""
from .._reexport import reexport as _reexport

__all__, EXERCISES = _reexport(__name__, __path__, globals(), registry="EXERCISES")

