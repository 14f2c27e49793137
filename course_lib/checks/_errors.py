"""What a learner reads of an error: their own line, not our frames.

* A failing check's message alone: `message_only` is the `_render_traceback_` IPython calls to draw an error
  (`AssertionError: <message>`, no frame); COURSE_DEBUG=1 (`debugging()`) asks for every frame instead.
* A raw error of the learner's code as one sentence about their line (`translate_error`): which line of which
  function of theirs raised it (`learner_frames`: not torch's, not the course package's, not Python's), the
  shapes of the tensors that line names, and what such an error usually means in this course (`error_hint`);
  an in-place operation autograd refuses is traced back to the line that made it (`InplaceSpy`).
* Errors the course raises itself in the learner's language, keeping their English for comparisons
  (`translated_error`), and what two errors have in common whatever the shapes (`error_shape`, `raised_in`).

Every sentence goes through `tr` (course_lib.i18n); its Chinese is in course_lib/zh/framework.py.
"""
from __future__ import annotations

import linecache
import os
import re
import sys

import torch
from torch.overrides import TorchFunctionMode

from ..i18n import tr

DEBUG = "COURSE_DEBUG"  # the environment variable that shows a developer every frame of a failing check
_TORCH_DIR = os.path.join(os.path.dirname(os.path.abspath(torch.__file__)), "")
_PACKAGE_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "")  # course_lib/
_STDLIB_DIR = os.path.join(os.path.dirname(os.path.abspath(os.__file__)), "")


def debugging() -> bool:
    """Whether COURSE_DEBUG asks for full tracebacks (set, and not "0")."""
    return os.environ.get(DEBUG, "") not in ("", "0")


class message_only:
    """An error's `_render_traceback_`: the lines IPython draws instead of its traceback, `<Type>: <message>` with
    the type in IPython's red, and no frame. (A class, not a closure: the error stays picklable.)"""

    def __init__(self, error: BaseException):
        self.lines = f"\x1b[0;31m{type(error).__name__}\x1b[0m: {error}".split("\n")

    def __call__(self) -> list[str]:
        return list(self.lines)


def translated_error(kind, english: str, /, english_values: dict | None = None, **values):
    """An exception of type `kind` saying `english` in the current language (filled with `values`). Its attribute
    `english` keeps the English (filled with `english_values` where the values themselves are words), which is
    what `_same` compares: a learner's error then matches a catalog mistake's recorded in another language."""
    error = kind(tr(english, **values))
    filling = values if english_values is None else english_values
    error.english = english.format(**filling) if filling else english
    return error


def raised_in(error: BaseException, default: str) -> str:
    """The name of the function whose frame raised `error` (a remote run brings it as `raised_in`)."""
    if getattr(error, "raised_in", None):
        return error.raised_in
    tb = error.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb.tb_frame.f_code.co_qualname if tb is not None else default


def error_shape(error: BaseException) -> str:
    """An exception's message with the numbers taken out, so the same mistake matches on any shape."""
    return re.sub(r"-?\d+", "N", getattr(error, "english", None) or str(error))


def is_learners_file(filename: str) -> bool:
    """Whether a frame's file is the learner's code: not torch's, not the course package's, not Python's."""
    if not filename or filename.startswith("<frozen"):
        return False
    path = os.path.abspath(filename)
    return not (path.startswith(_TORCH_DIR) or path.startswith(_PACKAGE_DIR) or path.startswith(_STDLIB_DIR)
                or os.sep + "site-packages" + os.sep in path)


def learners(obj) -> bool:
    """Whether a function or class is the learner's own (not torch's, not the course package's)."""
    module = getattr(obj, "__module__", "") or ""
    if module.split(".")[0] in ("torch", "course_lib", "builtins", "math", "functools", "typing"):
        return False
    code = getattr(obj, "__code__", None)
    if code is not None:
        return is_learners_file(code.co_filename)
    return True


def learner_frames(tb):
    """The frames of the learner's code in a traceback, outermost first."""
    frames = []
    while tb is not None:
        if is_learners_file(tb.tb_frame.f_code.co_filename):
            frames.append((tb.tb_frame, tb.tb_lineno))
        tb = tb.tb_next
    return frames


def _source_line(frame, lineno) -> str:
    return linecache.getline(frame.f_code.co_filename, lineno, frame.f_globals).strip()


def _where_line(frame, lineno) -> str:
    """`line 12 of forward` (in a notebook cell the file name means nothing to the learner)."""
    name = frame.f_code.co_qualname
    filename = frame.f_code.co_filename
    if "ipykernel" in filename or filename.startswith("<"):
        return tr("line {line} of your `{function}`", line=lineno, function=name)
    return tr("line {line} of your `{function}` ({file})", line=lineno, function=name,
              file=os.path.basename(filename))


def _shapes_on_line(frame, line: str) -> str:
    """`q is (2, 3, 5, 4), k is (2, 3, 4)`: the tensors the line names, from the frame's variables."""
    seen, parts = set(), []
    for match in re.finditer(r"(?<![\w.])(self\.)?([A-Za-z_]\w*)", line):
        name = match.group(2)
        if name in seen:
            continue
        seen.add(name)
        value = frame.f_locals.get(name)
        if match.group(1) and "self" in frame.f_locals:
            value = getattr(frame.f_locals["self"], name, None)
        if isinstance(value, torch.Tensor):
            parts.append(tr("{name} is {shape}", name=match.group(0), shape=tuple(value.shape)))
        elif isinstance(value, tuple) and value and all(isinstance(v, torch.Tensor) for v in value):
            parts.append(tr("{name} is a tuple of {count} tensors", name=match.group(0), count=len(value)))
    return ", ".join(parts[:4])


def error_hint(error: BaseException) -> str:
    """What a raw torch or Python error usually means in this course's exercises."""
    text = str(error)
    if "inplace operation" in text or "in-place operation" in text:
        return tr("it changes in place a tensor that autograd needs for the backward pass: write it out of place "
                  "(w = w / s, not w /= s; s = 1 / s, not s.reciprocal_(); x = -x, not x.neg_())")
    if "tuple" in text and ("Tensor" in text or "operand" in text or "attribute" in text):
        return tr("a tuple is used where a tensor is expected: an attention returns (output, weights) and a cached "
                  "module (output, cache); take the output with [0] or unpack it")
    if "cannot be multiplied" in text:
        return tr("a matrix product whose inner sizes differ: is a transpose missing, or the wrong tensor used?")
    match = re.search(r"size of tensor a \((\d+)\) must match the size of tensor b \((\d+)\) at non-singleton "
                      r"dimension (\d+)", text)
    if match:
        return tr("two tensors meet whose sizes differ along dimension {dim} ({a} and {b}): is an axis missing "
                  "(a [:, None]), transposed, or one tensor the wrong one?", dim=match.group(3), a=match.group(1),
                  b=match.group(2))
    if "Dimension out of range" in text:
        return tr("it names an axis the tensor does not have: count its dimensions (tensor.dim())")
    if "is invalid for input of size" in text:
        return tr("a view or reshape asks for sizes whose product is not the number of elements: check the sizes")
    if "index out of range in self" in text:
        return tr("an embedding is looked up with a token id past the end of its table: are these the tokens of "
                  "another vocabulary (source for target), or positions past max_len?")
    if isinstance(error, IndexError) or "out of range" in text or "out of bounds" in text:
        return tr("an index runs past the end of an axis: check which axis you index and its length")
    if isinstance(error, ValueError) and "unpack" in text:
        return tr("it unpacks a different number of values than the call returns")
    return ""


class InplaceSpy:
    """Notes the learner's in-place operations on tensors that need gradients (a torch function mode)."""

    def __init__(self):
        spy = self
        self.sites = []

        class Mode(TorchFunctionMode):
            def __torch_function__(self, func, types, args=(), kwargs=None):
                name = getattr(func, "__name__", "")
                inplace = (name.endswith("_") and not name.startswith("_")) or name.startswith("__i")
                if inplace and args and isinstance(args[0], torch.Tensor) and args[0].requires_grad \
                        and len(spy.sites) < 8:
                    frame = sys._getframe(1)
                    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_TORCH_DIR):
                        frame = frame.f_back  # torch's own frames (a Tensor method, a functional)
                    if frame is not None and is_learners_file(frame.f_code.co_filename):
                        spy.sites.append((_where_line(frame, frame.f_lineno), _source_line(frame, frame.f_lineno)))
                return func(*args, **(kwargs or {}))

        self.mode = Mode()


def translate_error(error: BaseException, inplace_sites=()) -> str | None:
    """One sentence about the learner's line that raised `error`, or None when no line of theirs is in it."""
    hint = error_hint(error)
    if ("inplace operation" in str(error) or "in-place operation" in str(error)) and inplace_sites:
        where, line = inplace_sites[-1] if "leaf Variable" in str(error) else inplace_sites[0]
        return sentence(tr("{where}, `{line}`: {hint}", where=where, line=line, hint=hint) if line else
                        tr("{where}: {hint}", where=where, hint=hint))
    frames = learner_frames(error.__traceback__)
    if not frames:
        return sentence(f"{hint[0].upper()}{hint[1:]}") if hint else None
    frame, lineno = frames[-1]
    line = _source_line(frame, lineno)
    shapes = _shapes_on_line(frame, line) if line else ""
    where = _where_line(frame, lineno)
    if line:
        said = tr("{where}, `{line}`, fails ({shapes})", where=where, line=line, shapes=shapes) if shapes else \
            tr("{where}, `{line}`, fails", where=where, line=line)
    else:
        said = tr("{where} fails ({shapes})", where=where, shapes=shapes) if shapes else \
            tr("{where} fails", where=where)
    if hint:
        return sentence(tr("{failing}: {hint}", failing=said, hint=hint))
    return sentence(tr("{failing} with {error}: {message}", failing=said, error=type(error).__name__,
                       message=str(error).splitlines()[0]))


def sentence(text: str) -> str:
    """`text` ending with one full stop (the language's), or with its own question mark."""
    text = text.rstrip()
    return text if text.endswith((".", "?", "!", "\u3002", "\uff1f", "\uff01")) else text + tr(".")

