"""One codec for plain data: what crosses a process boundary or a file from the checks, and comes back as values.

Two places send what a check's runs produce, and both use this codec:

* the hidden tests' wire (`_trusted`): the grader's sandboxed worker answers in JSON, one reply a line, which the
  grader rebuilds without ever loading a pickle. Tensors travel as bytes (`Codec(as_bytes=True)`: dtype, shape
  and base64), every field is checked on the way back, nesting is bounded, and an object that is not plain
  data becomes a handle the worker keeps;
* the student environment's recordings (`_recorded`): saved with `torch.save` and loaded with
  `weights_only=True`, so tensors stay tensors; cases, seeded weights and the harness's stand-in models are
  described by `_recorded`'s own hooks.

`encode` makes, and `decode` accepts, only dicts tagged by `"t"`: None, a boolean, a number or a string (`"py"`), a
tensor, a list, a tuple, a dict (its keys and its values), an exception (its type's module and name, its
arguments when they are plain, its message, where it was raised and the English of a course message), or a kind
the caller's hooks (`more`, `rebuild`) describe. An exception comes back as the builtin (or torch) exception of
that name, else as a `RebuiltError` subclass of that name: never a class a description could name at will.
"""
from __future__ import annotations

import base64
import builtins
import importlib
from typing import Any, Callable

import torch

from ..i18n import tr
from ._errors import raised_in

PLAIN = (bool, int, float, str)


class RebuiltError(Exception):
    """An exception rebuilt from a description whose type is neither a builtin's nor one of torch's."""


class Codec:
    """Plain data <-> values. `as_bytes`: tensors as base64 bytes (JSON) rather than as tensors (`torch.save`);
    `limit`: the deepest nesting accepted; `more(value)`: the description of any other value (a dict with its
    own "t"), or raises; `rebuild(data)`: the value of such a description; `torch_errors`: whether an exception
    may be rebuilt as one of torch's (from a recording the instructor made, not from the student's worker)."""

    def __init__(self, as_bytes: bool = False, limit: int | None = None, more: Callable | None = None,
                 rebuild: Callable | None = None, torch_errors: bool = False):
        self.as_bytes, self.limit, self.more, self.rebuild = as_bytes, limit, more, rebuild
        self.torch_errors = torch_errors

    def _deeper(self, depth: int) -> int:
        if self.limit is not None and depth > self.limit:
            raise ValueError(tr("the value is nested too deeply"))
        return depth + 1

    # -- values -> plain data ---------------------------------------------------------------------------------------
    def encode(self, value, depth: int = 0):
        """A description of `value` made of plain data only (`more` describes what is not)."""
        if value is None or type(value) in PLAIN:
            return {"t": "py", "v": value}
        inner = self._deeper(depth)
        if type(value) is torch.Tensor:  # noqa: E721 - a subclass is reported as what it is
            return self._tensor(value)
        if type(value) in (list, tuple):
            return {"t": type(value).__name__, "v": [self.encode(v, inner) for v in value]}
        if type(value) is dict:
            return {"t": "dict", "k": [self.encode(k, inner) for k in value],
                    "v": [self.encode(v, inner) for v in value.values()]}
        if isinstance(value, BaseException):
            return _error(value)
        if self.more is None:
            raise ValueError(f"cannot describe a {type(value).__name__} as plain data")
        return self.more(value)

    def _tensor(self, value: torch.Tensor) -> dict:
        t = value.detach().cpu().contiguous()
        data = {"t": "tensor", "grad": bool(value.requires_grad), "modified": bool(value._version)}
        if not self.as_bytes:
            return {**data, "v": t.clone()}
        raw = t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b""
        return {**data, "dtype": str(t.dtype).removeprefix("torch."), "shape": list(t.shape),
                "data": base64.b64encode(raw).decode()}

    # -- plain data -> values ---------------------------------------------------------------------------------------
    def decode(self, data, depth: int = 0):
        """Rebuild what `encode` described, checking every field; plain data only, never a pickle."""
        if not isinstance(data, dict):
            raise ValueError("malformed value")
        inner = self._deeper(depth)
        kind = data.get("t")
        if kind == "py":
            if data.get("v") is not None and type(data.get("v")) not in PLAIN:
                raise ValueError("malformed value")
            return data.get("v")
        if kind == "tensor":
            return _tensor(data)
        if kind in ("list", "tuple"):
            items = [self.decode(v, inner) for v in _items(data["v"])]
            return items if kind == "list" else tuple(items)
        if kind == "dict":
            keys, values = _items(data["k"]), _items(data["v"])
            if len(keys) != len(values):
                raise ValueError("malformed dict")
            return {_key(self.decode(k, inner)): self.decode(v, inner) for k, v in zip(keys, values)}
        if kind == "error":
            return self._error(data)
        if self.rebuild is None:
            raise ValueError(f"malformed value: unknown kind {str(kind)[:40]!r}")
        return self.rebuild(data)

    def _error(self, data: dict) -> Exception:
        name, module = str(data["type"])[:100], str(data.get("module") or "builtins")
        cls = _exception_class(module, name, self.torch_errors)
        args, message = data.get("args"), str(data.get("message", ""))
        try:
            plain = isinstance(args, list) and all(a is None or type(a) in PLAIN for a in args)
            error = cls(*args) if plain else cls(message)
        except Exception:  # noqa: BLE001 - an exception class with an odd constructor (UnicodeDecodeError)
            error = type(_identifier(name), (RebuiltError,), {})(message)
        error.raised_in = str(data.get("raised_in") or "")
        if data.get("english"):  # the English of a course message (`translated_error`), what `_same` compares
            error.english = str(data["english"])
        return error


def _error(value: BaseException) -> dict:
    args = list(value.args) if all(a is None or type(a) in PLAIN for a in value.args) else None
    if args is not None and sum(len(a) for a in args if type(a) is str) > 4000:
        args = None  # a huge message travels as its first 4000 characters
    return {"t": "error", "module": type(value).__module__, "type": type(value).__qualname__, "args": args,
            "message": str(value)[:4000], "raised_in": raised_in(value, ""),
            "english": str(getattr(value, "english", "") or "")[:4000]}


def _exception_class(module: str, name: str, torch_errors: bool) -> type:
    """The builtin exception `name`, or torch's (`torch_errors`), else a `RebuiltError` subclass named so."""
    cls: Any = None
    if module == "builtins":
        cls = getattr(builtins, name, None)
    elif torch_errors and module.split(".")[0] == "torch":
        try:
            cls = importlib.import_module(module)
            for part in name.split("."):
                cls = getattr(cls, part)
        except (ImportError, AttributeError):
            cls = None
    if isinstance(cls, type) and issubclass(cls, Exception):
        return cls
    return type(_identifier(name), (RebuiltError,), {})


def _identifier(name: str) -> str:
    name = name.rsplit(".", 1)[-1]
    return name if name.isidentifier() else "Error"


def _items(value) -> list:
    if not isinstance(value, list):
        raise ValueError("malformed list")
    return value


def _key(key):
    if not isinstance(key, (str, int, float, bool, type(None), tuple)):
        raise ValueError("malformed key")
    return key


def _tensor(data: dict) -> torch.Tensor:
    if isinstance(data.get("v"), torch.Tensor):  # from torch.load(weights_only=True): a tensor already
        t = data["v"].clone()
    else:
        t = _tensor_from_bytes(data)
    if data.get("modified"):
        t.copy_(t.clone())  # the version counter moves, as the sender's did: an input written into shows
    if data.get("grad") and (t.is_floating_point() or t.is_complex()):
        t.requires_grad_(True)
    return t


def _tensor_from_bytes(data: dict) -> torch.Tensor:
    dtype = getattr(torch, str(data["dtype"]), None)
    shape = data["shape"]
    if not isinstance(dtype, torch.dtype) or not isinstance(shape, list) or \
            not all(type(n) is int and n >= 0 for n in shape):
        raise ValueError("malformed tensor")
    raw = base64.b64decode(data["data"], validate=True)
    numel = 1
    for n in shape:
        numel *= n
    if len(raw) != numel * torch.empty((), dtype=dtype).element_size():
        raise ValueError("malformed tensor: size does not match shape")
    if not numel:
        return torch.empty(shape, dtype=dtype)
    return torch.frombuffer(bytearray(raw), dtype=torch.uint8).view(dtype).reshape(shape).clone()
