"""Both ends of the hidden tests' wire, and the old in-kernel entry point.

Grading decides every hidden verdict in the grader's own process (`autograde/engine/verdict.py`). The student's
code runs only in a sandboxed worker, `python -m course_lib.checks._trusted`, started by the grader; it
executes the set-up cell and the submission's solution cells, then answers requests, one JSON object a line:

* grader -> worker: `{"op": "exec", "source": ...}`, `{"op": "lookup", "name": ...}`, `{"op": "run", "exercise":
  ..., "impl": ..., "what": "forward" | "backward" | "call" | "train" | "build", "strict": true, "case": ...,
  "options": ..., "state": {...}, "language": "en" | "zh"}`, `{"op": "handle", "id": ..., "args": ...}`. What the
  grader sends it may pickle (the worker loads it: its own inputs); the seed that made a case never travels, only
  the case. A run's optional `language` is the language of the sentences it returns (a diagnosis of the learner's
  line, a failing piece's message: `_local_explain`, `_local_blame`); without it, the worker's own (COURSE_LANG).
* worker -> grader: `{"ok": true, "result": PLAIN}` with PLAIN made by `encode` only: numbers, strings,
  tensors as dtype + shape + base64 bytes, lists, tuples, dicts, an exception as its type name and message,
  any other object as an opaque handle the worker keeps. The grader rebuilds them with `decode`, which
  accepts nothing else; it never loads a pickle.

The worker runs the framework's own local runs (`Exercise._local_forward`, ...) on the student's object,
in strict mode (the tripwire armed), so a remote run returns exactly what a local run would. Its answers
are only ever the student's outputs: the grader computes the reference and compares.

`verify` (below) is the former in-kernel hidden test, kept for notebooks built before the grader decided
verdicts itself; the grader strips hidden tests from every cell it runs, so it no longer runs when grading.
"""
import base64
import contextlib
import importlib
import importlib.util
import io
import json
import os
import pickle
import sys
import sysconfig
import types

import torch

# absolute: tests load this file alone (runpy.run_path)
from course_lib.checks import EXERCISES
from course_lib.checks._plain import Codec
from course_lib.i18n import speaking, tr
from course_lib.train import threads

_PRIVATE = "_course_lib_trusted"
# Functions may come from torch or from the libraries it re-exports, never from a notebook or a file of its own.
_LIBRARY_DIRS = tuple(os.path.abspath(sysconfig.get_paths()[key]) for key in ("stdlib", "purelib", "platlib"))
MAX_DEPTH = 12


# -- the plain-data codec (worker -> grader): course_lib/checks/_plain.py, tensors as bytes ------------------------
def encode(value, handles=None):
    """A JSON-able description of `value` made of plain data only; other objects become handles kept in `handles`
    (with no `handles`, a ValueError)."""
    def handle(obj):
        if handles is None:
            raise ValueError(tr("cannot send a {type}", type=type(obj).__name__))
        handles.append(obj)
        return {"t": "handle", "id": len(handles) - 1, "type": type(obj).__name__[:100]}

    return Codec(as_bytes=True, limit=MAX_DEPTH, more=handle).encode(value)


def decode(data, handle=None):
    """Rebuild what `encode` described, checking every field; plain data only, never a pickle. `handle(id, type
    name)` stands for an object the worker keeps."""
    def rebuild(data):
        if data.get("t") == "handle" and handle is not None and type(data.get("id")) is int:
            return handle(data["id"], str(data.get("type"))[:100])
        raise ValueError("malformed reply")

    return Codec(as_bytes=True, limit=MAX_DEPTH, rebuild=rebuild).decode(data)


class HandleRef:
    """A grader-side reference to an object the worker keeps (pickled grader -> worker only)."""

    def __init__(self, id):
        self.id = id


# -- the worker ---------------------------------------------------------------------------------------------
def _transform(source):
    """IPython syntax (magics, `!commands`) into Python, as a kernel would; plain Python when IPython is absent."""
    try:  # here: IPython is optional in the worker (without it, cells are plain Python)
        from IPython.core.inputtransformer2 import TransformerManager

        return TransformerManager().transform_cell(source)
    except Exception:  # noqa: BLE001
        return source


class _Shell:
    """What `get_ipython()` gives a solution cell in the worker: magics and shell commands do nothing."""

    def __getattr__(self, name):
        return lambda *a, **k: None


def serve(requests, replies):
    """Answer the grader's requests until it closes the pipe."""
    namespace = {"__name__": "__main__", "get_ipython": lambda: _Shell()}
    objects = []

    def resolve(value):
        if isinstance(value, HandleRef):
            return objects[value.id]
        if isinstance(value, (list, tuple)):
            return type(value)(resolve(v) for v in value)
        if isinstance(value, dict):
            return {k: resolve(v) for k, v in value.items()}
        return value

    for line in requests:
        request = json.loads(line)
        try:
            op = request["op"]
            if op == "exec":
                try:
                    exec(compile(_transform(request["source"]), request.get("label", "<cell>"), "exec"), namespace)
                    result = None
                except Exception as error:  # noqa: BLE001 - the grader is told which cell failed and why
                    result = error
            elif op == "lookup":
                value = namespace.get(request["name"], KeyError)
                result = "missing" if value is KeyError else ("none" if value is None else "defined")
            elif op == "run":
                exercise = EXERCISES[request["exercise"]]
                for key, value in request.get("state", {}).items():
                    setattr(exercise, key, value)
                case = pickle.loads(base64.b64decode(request["case"]))
                options = pickle.loads(base64.b64decode(request["options"]))
                impl = namespace[request["impl"]]
                spoken = speaking(request["language"]) if request.get("language") else contextlib.nullcontext()
                with threads(1), spoken:
                    result = getattr(exercise, "_local_" + request["what"])(impl, case, request["strict"], **options)
                if request["what"] == "forward":
                    got, mine = result
                    result = (got, {"args": mine.args, "kwargs": mine.kwargs})
            elif op == "handle":
                args, kwargs = resolve(pickle.loads(base64.b64decode(request["args"])))
                with threads(1):
                    result = objects[request["id"]](*args, **kwargs)
            else:
                raise ValueError(f"unknown request {op!r}")
        except Exception as error:  # noqa: BLE001 - a run that raises is an answer too
            result = error
        try:
            reply = json.dumps({"ok": True, "result": encode(result, objects)})
        except Exception as error:  # noqa: BLE001
            reply = json.dumps({"ok": True, "result": encode(ValueError(tr("could not return the result: {error}",
                                                                           error=error)))})
        replies.write(reply + "\n")
        replies.flush()


def main():
    """The worker: keep the pipes to the grader on private descriptors, give the student's code /dev/null
    and stderr in their place, then serve."""
    requests = io.TextIOWrapper(os.fdopen(os.dup(0), "rb"), encoding="utf-8")
    replies = io.TextIOWrapper(os.fdopen(os.dup(1), "wb"), encoding="utf-8")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)
    sys.stdin = open(os.devnull)
    sys.stdout = sys.stderr
    serve(requests, replies)


# -- the former in-kernel hidden test --------------------------------------------------------------------------
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
        raise AssertionError(tr("{exercise}: cannot grade, the notebook replaced torch functions ({functions}); "
                                "restart the kernel without that code", exercise=exercise,
                                functions=", ".join(tampered[:5])))
    checks = load_private_checks()
    return checks.EXERCISES[exercise].check(student, seed=seed, quiet=True, strict=True)


if __name__ == "__main__":
    main()
