"""The hidden tests' entry point: a private copy of the checks, out of reach of the notebook's own cells.

A graded test cell loads this file with `runpy.run_path` and calls `verify`. It imports a fresh copy of
`course_lib` under a private name, so a cell that replaced `course_lib.checks.check_softmax`, a reference
function in `course_lib.solutions` or anything else in the live package changes nothing here; it refuses
to grade when torch's comparison and math functions have been replaced; and it runs the check in strict
mode, which fails an implementation that calls into the reference solution.
"""
import importlib
import importlib.util
import os
import sys
import sysconfig
import types

import torch

_PRIVATE = "_course_lib_trusted"
# Functions may come from torch or from the libraries it re-exports, never from a notebook or a file of its own.
_LIBRARY_DIRS = tuple(os.path.abspath(sysconfig.get_paths()[key]) for key in ("stdlib", "purelib", "platlib"))


def load_private_checks():
    """Import `course_lib` afresh from its files under a private name and return its `checks`."""
    package_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for key in [k for k in sys.modules if k == _PRIVATE or k.startswith(_PRIVATE + ".")]:
        del sys.modules[key]
    spec = importlib.util.spec_from_file_location(
        _PRIVATE, os.path.join(package_dir, "__init__.py"), submodule_search_locations=[package_dir])
    package = importlib.util.module_from_spec(spec)
    sys.modules[_PRIVATE] = package
    spec.loader.exec_module(package)
    return importlib.import_module(_PRIVATE + ".checks")


def torch_tampering():
    """Names in torch's namespaces that no longer hold torch's own functions."""
    vf = torch._C._VariableFunctions
    found = []
    spaces = {"torch": torch, "torch.nn.functional": torch.nn.functional, "torch.testing": torch.testing,
              "torch.Tensor": torch.Tensor, "torch.nn.Module": torch.nn.Module, "torch.nn.Linear": torch.nn.Linear}
    for space_name, space in spaces.items():
        items = vars(space).items() if isinstance(space, type) else ((n, getattr(space, n, None)) for n in dir(space))
        for name, value in items:
            if isinstance(value, types.FunctionType):
                if not os.path.abspath(value.__code__.co_filename).startswith(_LIBRARY_DIRS):
                    found.append(f"{space_name}.{name}")
            elif space is torch and hasattr(vf, name) and callable(value) and value is not getattr(vf, name):
                if isinstance(value, types.BuiltinFunctionType) and value.__self__ is not vf:
                    continue  # torch re-exports a few builtins from other C modules
                found.append(f"torch.{name}")
    return found


def verify(exercise, student, seed):
    """Run the hidden test of `exercise` on the student's implementation; True or AssertionError."""
    tampered = torch_tampering()
    if tampered:
        raise AssertionError(f"{exercise}: cannot grade, the notebook replaced torch functions "
                             f"({', '.join(tampered[:5])}); restart the kernel without that code")
    checks = load_private_checks()
    return checks.EXERCISES[exercise].check(student, seed=seed, quiet=True, strict=True)
