"""One `check_<exercise>` per exercise, all built on `framework.Exercise`.

Defining an `Exercise` in any module of this package registers it; importing the package imports every
module, then exports each exercise's `check_<snake_name>` here and lists it in `EXERCISES` (contract name
-> `Exercise`), which the hidden tests of the graded notebooks and the grader's reports read.
"""
from .._reexport import import_modules as _import_modules
from . import framework as _framework

_import_modules(__name__, __path__)

EXERCISES = dict(_framework.REGISTRY)
__all__ = ["EXERCISES"]
for _exercise in EXERCISES.values():
    globals()[_exercise.check_name] = _exercise.check_function()
    __all__.append(_exercise.check_name)
    # ../shared/tools/contract.py spells acronyms letter by letter (GPT -> check_g_p_t): answer to that too.
    _spelled = "check_" + "".join("_" + c.lower() if c.isupper() else c for c in _exercise.name).lstrip("_")
    if _spelled != _exercise.check_name:
        globals()[_spelled] = globals()[_exercise.check_name]
del _exercise, _spelled
