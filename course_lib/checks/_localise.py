"""Where a module departs from the reference: the first part whose input or output differs.

A failing module check traces one forward run of the learner's module and one of the reference's (`trace_calls`:
a forward hook on every part, each call with its inputs and outputs, in the order calls begin), and reads the
two traces as trees of calls (`CallTree`). Walking both trees from the top, the first call whose input departs
while everything called before it agrees is named, with the argument that differs; a call whose output departs
while all its parts agree is named as the place to look. `CallTree(mine, ref, root).departure()` says it in one
sentence, or None when the traces show no departure.

Every sentence goes through `tr` (course_lib.i18n); its Chinese is in course_lib/zh/framework.py.
"""
from __future__ import annotations

import inspect

import torch

from ..i18n import tr
from ._difference import close_enough, difference_shape, tensors_in


def _trace_value(value, depth=0):
    """Plain data for one argument of a traced call: a tensor (a copy), None, a list of the tensors inside
    a structure, or the name of its type."""
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if value is None or type(value) in (bool, int, float, str):
        return value
    found = list(tensors_in(value)) if isinstance(value, (list, tuple, dict)) else []
    if found:
        return [t.detach().clone() for t in found]
    return f"<{type(value).__name__}>"


def trace_calls(module: torch.nn.Module, calls: list):
    """Forward hooks on `module` and every submodule: `calls` gets one entry per call, in the order calls
    begin: {"path", "parent" (the index of the call it ran inside, -1 at the top), "names" (forward's
    parameters), "args", "out"}. Returns the hooks' handles."""
    stack, handles = [], []
    for path, sub in module.named_modules():
        if isinstance(sub, torch.nn.Dropout):
            continue  # the identity in eval(): its input and output say nothing its neighbours do not
        try:
            names = [p for p in inspect.signature(sub.forward).parameters]
        except (TypeError, ValueError):
            names = []

        def before(mod, args, kwargs, path=path, names=names):
            entry = {"path": path, "parent": stack[-1] if stack else -1, "names": names[:len(args)],
                     "args": [_trace_value(a) for a in args], "out": []}
            for k, v in kwargs.items():
                entry["names"].append(k)
                entry["args"].append(_trace_value(v))
            calls.append(entry)
            stack.append(len(calls) - 1)

        def after(mod, args, kwargs, output):
            if stack:
                calls[stack.pop()]["out"] = [t.detach().clone() for t in tensors_in(output)] \
                    if not isinstance(output, torch.Tensor) else [output.detach().clone()]

        handles.append(sub.register_forward_pre_hook(before, with_kwargs=True))
        handles.append(sub.register_forward_hook(after, with_kwargs=True))
    return handles


def pretty(path: str, root: str) -> str:
    """`blocks.0.attn` -> `blocks[0].attn`; the module itself -> its exercise's name."""
    if not path:
        return root
    out = ""
    for part in path.split("."):
        out += f"[{part}]" if part.isdigit() else ("." if out else "") + part
    return out


def _arg_differs(mine, ref):
    """Whether one traced argument departs: True, False, or None when the two cannot be compared (a cache
    of the learner's own format)."""
    if (mine is None) != (ref is None):
        return True
    if mine is None:
        return False
    if isinstance(mine, torch.Tensor) and isinstance(ref, torch.Tensor):
        return not close_enough(mine, ref)
    if isinstance(mine, list) and isinstance(ref, list):
        if len(mine) != len(ref) or any(a.shape != b.shape for a, b in zip(mine, ref)):
            return None
        return not all(close_enough(a, b) for a, b in zip(mine, ref))
    if isinstance(mine, str) or isinstance(ref, str):
        return None
    return mine != ref if type(mine) is type(ref) else None


def _outputs_differ(mine, ref):
    """Which returned tensor departs (its index) or None; the first alone when the structures differ."""
    if len(mine) != len(ref) or any(a.shape != b.shape for a, b in zip(mine, ref)):
        if mine and ref and mine[0].shape == ref[0].shape:
            return None if close_enough(mine[0], ref[0]) else 0
        return 0 if (mine or ref) else None
    for i, (a, b) in enumerate(zip(mine, ref)):
        if not close_enough(a, b):
            return i
    return None


def _ordinal(k: int) -> str:
    words = {1: tr("first"), 2: tr("second"), 3: tr("third"), 4: tr("fourth"), 5: tr("fifth")}
    return words[k] if k in words else tr("{k}th", k=k)




def _keyed(calls) -> list[tuple[str, int]]:
    """(path, k) for each call: the k-th call (from 0) of the part at that path."""
    seen, keys = {}, []
    for entry in calls:
        k = seen.get(entry["path"], 0)
        seen[entry["path"]] = k + 1
        keys.append((entry["path"], k))
    return keys


def _children(calls) -> dict[int, list[int]]:
    """{call: the calls made inside it, in order}; -1 holds the calls made at the top."""
    children = {i: [] for i in range(-1, len(calls))}
    for i, entry in enumerate(calls):
        children[entry["parent"]].append(i)
    return children


def _hint_for(argument: str, names) -> str:
    """What to check when the input `argument` of a part departs (`names`: the part's forward's parameters)."""
    if {"query", "key", "value"} <= set(names):
        return tr("check what you pass as queries, keys and values (and which mask)")
    if "cache" in argument:
        return tr("check that the cache is passed on to it")
    if "mask" in argument:
        return tr("check which mask you pass it")
    return tr("look at what you compute before it and pass it")


class CallTree:
    """The learner's trace (`mine`) and the reference's (`ref`) of one forward run, read as trees of calls; `root`
    names the module itself (`your MultiHeadAttention`). A call of one tree is matched with the call of the same
    part, the same time it is called, in the other."""

    def __init__(self, mine: list, ref: list, root: str):
        self.mine, self.ref, self.root = mine, ref, root
        self.keys, self.ref_keys = _keyed(mine), _keyed(ref)
        self.ref_at = dict(zip(self.ref_keys, range(len(ref))))
        self.children, self.ref_children = _children(mine), _children(ref)

    def departure(self) -> str | None:
        """The first part whose input departs while everything called before it agrees, or whose output departs
        while all its parts agree, as a sentence; None when the traces show no departure."""
        if not self.mine or not self.ref:
            return None
        said, agreed = self._first_departure(self.children[-1])
        if said or any(not path for path, _ in self.keys):
            return said
        return self._top_departs(agreed)  # forward itself is not hooked (the check calls another method)

    # -- walking the tree ---------------------------------------------------------------------------------------
    def _first_departure(self, calls):
        """(what departs first among `calls` and inside them, or None; the calls that agree before it)."""
        agreed = []
        for c in calls:
            r = self.ref_at.get(self.keys[c])
            if r is None:
                continue
            said = self._input_departs(c, r, agreed) if self.keys[c][0] else None  # the module's own input is ours
            if said:
                return said, agreed
            out = _outputs_differ(self.mine[c]["out"], self.ref[r]["out"])
            if out is not None:
                return self._inside(c, r, out), agreed
            agreed.append(c)
        return None, agreed

    def _inside(self, i: int, r: int, which: int) -> str:
        """Call `i`'s output `which` departs from the reference's call `r`: the first of its parts that departs,
        else call `i` itself, combining parts that agree."""
        said, agreed = self._first_departure(self.children[i])
        if said:
            return said
        called = {self.mine[c]["path"] for c in self.children[i]}
        missing = list(dict.fromkeys(f"`{pretty(self.ref[c]['path'], self.root)}`" for c in self.ref_children[r]
                                     if self.ref[c]["path"] not in called))
        never = " " + tr("It never calls {parts}, which the reference calls.", parts=", ".join(missing)) \
            if missing else ""
        value = tr(" (the {ordinal} tensor it returns)", ordinal=_ordinal(which + 1)) if which else ""
        if not self.children[i] and not missing:
            return tr("the input of {part} agrees with the reference's, but its output{which} does not: look inside "
                      "{part}.", part=self._name(i), which=value)
        return (self._agreed_words(agreed) or tr("the parts it calls agree with the reference; ")) + tr(
            "the output{which} of {part} does not: look at how {part} combines them (residual sums, norms, the order "
            "of its steps, what it returns).", which=value, part=self._name(i)) + never

    def _top_departs(self, agreed) -> str:
        """Every part the module's method calls agrees, its result does not: say so, with the parts it never calls
        and those it calls more often than the reference."""
        mine_count, ref_count = {}, {}
        for path, _ in self.keys:
            mine_count[path] = mine_count.get(path, 0) + 1
        for path, _ in self.ref_keys:
            ref_count[path] = ref_count.get(path, 0) + 1
        tops = [self.ref[c]["path"] for c in self.ref_children[-1]]
        missing = list(dict.fromkeys(f"`{pretty(p, self.root)}`" for p in tops if p not in mine_count))
        more = list(dict.fromkeys(tr("`{part}` {count} times where the reference calls it {wanted}",
                                     part=pretty(p, self.root), count=mine_count[p], wanted=ref_count.get(p, 0))
                                  for p in dict.fromkeys(mine_count)
                                  if "." not in p and mine_count[p] > ref_count.get(p, 0) and p in ref_count))
        notes = (" " + tr("It never calls {parts}, which the reference calls.", parts=", ".join(missing))
                 if missing else "") + (" " + tr("It calls {calls}.", calls="; ".join(more)) if more else "")
        return (self._agreed_words(agreed) or tr("the parts it calls agree with the reference; ")) + tr(
            "the output of {module} does not: look at how it combines them (residual sums, norms, the order of its "
            "steps, what it returns).", module=self.root) + notes

    # -- saying it ----------------------------------------------------------------------------------------------
    def _name(self, i: int) -> str:
        path, k = self.keys[i]
        if not k:
            return f"`{pretty(path, self.root)}`"
        return tr("`{part}` (on its {ordinal} call)", part=pretty(path, self.root), ordinal=_ordinal(k + 1))

    def _agreed_words(self, agreed) -> str:
        if not agreed:
            return ""
        names = list(dict.fromkeys(f"`{pretty(self.mine[c]['path'], self.root)}`" for c in agreed))
        parts = f"{', '.join(names[:5])}{', ...' if len(names) > 5 else ''}"
        if len(names) == 1:
            return tr("{parts} agrees with the reference; ", parts=parts)
        return tr("{parts} agree with the reference; ", parts=parts)

    def _input_departs(self, i: int, r: int, agreed) -> str | None:
        """What departs in the input of call `i` (the reference's `r`): an argument's value, a missing argument, or
        their number; None when its inputs agree."""
        entry, theirs = self.mine[i], self.ref[r]
        for j, (value, their) in enumerate(zip(entry["args"], theirs["args"])):
            if _arg_differs(value, their):
                return self._agreed_words(agreed) + self._argument_departs(i, r, j, value, their)
        if len(entry["args"]) < len(theirs["args"]):
            missing = [f"`{n}`" for n in theirs["names"][len(entry["args"]):]]
            cache = any("cache" in n for n in missing)
            return self._agreed_words(agreed) + tr(
                "{part} gets no {arguments} from yours (the reference passes it): {hint}.", part=self._name(i),
                arguments=tr(" or ").join(missing) or tr("further argument"),
                hint=tr("check that the cache is passed on to it") if cache else tr("check the arguments you pass it"))
        if len(entry["args"]) != len(theirs["args"]):
            return self._agreed_words(agreed) + tr(
                "{part} is called with {count} argument(s), the reference passes {wanted}: check the arguments you "
                "pass it.", part=self._name(i), count=len(entry["args"]), wanted=len(theirs["args"]))
        return None

    def _argument_departs(self, i: int, r: int, j: int, value, their) -> str:
        """Argument `j` of call `i` departs from the reference's call `r`: which, and what to check."""
        names = self.ref[r]["names"]
        arg = names[j] if j < len(names) else tr("argument {name}", name=j + 1)
        what = f"`{arg}`"
        if value is None:
            what += tr(" (yours passes None, the reference a value)")
        elif their is None:
            what += tr(" (yours passes a value, the reference None)")
        hint = _hint_for(arg, names)
        shaped = difference_shape(value, their, 1e-4, 1e-5) if isinstance(value, torch.Tensor) else None
        hint = tr("{hint} ({shape})", hint=hint, shape=shaped) if shaped else hint
        return tr("the input of {part} differs from the reference's, in {argument}: {hint}.", part=self._name(i),
                  argument=what, hint=hint)


def localise(mine: list, ref: list, root: str) -> str | None:
    """`CallTree(mine, ref, root).departure()`: where the learner's traced module first departs, as a sentence."""
    return CallTree(mine, ref, root).departure()
