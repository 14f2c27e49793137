"""The shape of a difference: how a tensor departs from the reference's, in words.

`difference_shape(got, want, rtol, atol, masks)` tries each detector of `DETECTORS` in order on the two
tensors (same shape, float, finite) and returns the first sentence one gives: a constant factor (a division by
sqrt(d) too many), a constant offset, two axes swapped, the right numbers in the wrong layout (a reshape where a
transpose was needed), a shift by one along an axis, a difference only where a mask blocks, or only at some
indices of an axis. A detector is a small function of a `Pair` that returns a sentence or None: a new pattern is
one function added to the list.

Every sentence goes through `tr` (course_lib.i18n); its Chinese is in course_lib/zh/framework.py.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import torch

from ..i18n import tr

_VF = torch._C._VariableFunctions  # attributes of this type cannot be reassigned from Python


def tensors_in(obj):
    """Every tensor inside an argument structure (tuples, lists, dicts), in order."""
    if isinstance(obj, torch.Tensor):
        yield obj
    elif isinstance(obj, (list, tuple)):
        for item in obj:
            yield from tensors_in(item)
    elif isinstance(obj, dict):
        for item in obj.values():
            yield from tensors_in(item)


def close_enough(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Equal up to float rounding, scaled to the values' size (for intermediate values and rearrangements)."""
    if a.shape != b.shape:
        return False
    if not a.is_floating_point() or not b.is_floating_point():
        return bool(_VF.equal(a, b))
    a, b = a.detach().double(), b.detach().double()
    scale = float(_VF.abs(b).max()) if b.numel() else 0.0
    return bool(_VF.allclose(a, b, 1e-4, 1e-5 + 1e-4 * scale, True))


def _factor_words(r: float) -> str:
    """×0.125 -> `a division by sqrt(64) too many?`, ×2 -> ..., for a constant factor between yours and ours."""
    for n in range(2, 4097):
        if int(round(math.sqrt(n))) ** 2 == n:
            continue  # a whole square root: said below as a plain factor
        if abs(r * r * n - 1) < 5e-5:
            return tr(": a division by sqrt({n}) too many, or a missing multiplication by it?", n=n)
        if abs(r * r / n - 1) < 5e-5:
            return tr(": a multiplication by sqrt({n}) too many, or a missing division by it?", n=n)
    if abs(r + 1) < 1e-3:
        return tr(": the sign is flipped")
    for n in range(2, 65):
        if abs(r * n - 1) < 1e-3:
            return tr(": a division by {n} (= sqrt({square})) too many, or a missing multiplication by it?", n=n,
                      square=n * n)
        if abs(r / n - 1) < 1e-3:
            return tr(": a multiplication by {n} (= sqrt({square})) too many, or a missing division by it?", n=n,
                      square=n * n)
    return ""


def _index_words(indices, size) -> str:
    indices = sorted(indices)
    if len(indices) == 1:
        return tr("index {index}", index=indices[0])
    if indices == list(range(indices[0], indices[-1] + 1)):
        return tr("indices {first} to {last}", first=indices[0], last=indices[-1])
    return tr("indices {indices}", indices=", ".join(str(i) for i in indices[:6]) + (", ..." if len(indices) > 6
                                                                                     else ""))




@dataclass
class Pair:
    """Yours (`g`) and the reference's (`w`) as float64, with what the detectors share: the tolerances, the masks
    of the case, the reference's greatest magnitude (`scale`) and where the two differ beyond tolerance (`bad`)."""

    g: torch.Tensor
    w: torch.Tensor
    rtol: float
    atol: float
    masks: tuple
    scale: float

    @property
    def bad(self) -> torch.Tensor:
        return _VF.abs(self.g - self.w) > self.atol + self.rtol * _VF.abs(self.w)

    def ratio(self) -> float | None:
        """The median of yours / the reference's over the reference's larger entries; None with fewer than two."""
        big = _VF.abs(self.w) > 1e-2 * self.scale
        if int(big.sum()) < 2:
            return None
        return float((self.g[big] / self.w[big]).median())


def constant_factor(p: Pair) -> str | None:
    """Yours is the reference times one number everywhere (with what that number may mean)."""
    r = p.ratio()
    if r is None or abs(r - 1) <= 1e-3 or not bool(_VF.allclose(p.g, p.w * r, 1e-4, 1e-6 + 1e-5 * p.scale, True)):
        return None
    return tr("yours is the reference times {factor:.4g} everywhere", factor=r) + _factor_words(r)


def constant_offset(p: Pair) -> str | None:
    """Yours is the reference plus one number everywhere."""
    if p.ratio() is None:
        return None
    offset = p.g - p.w
    c = float(offset.flatten().median())
    if abs(c) > 1e-4 * p.scale and bool(_VF.allclose(offset, torch.full_like(offset, c), 0.0,
                                                     1e-5 + 1e-5 * p.scale, True)):
        return tr("yours is the reference plus {offset:.4g} everywhere: a constant added or left out?", offset=c)
    return None


def _axis_pairs(p: Pair):
    """Every pair of axes (a, b), a < b, of a tensor of 2 to 5 dimensions."""
    return itertools.combinations(range(p.g.dim()), 2) if 2 <= p.g.dim() <= 5 else ()


def swapped_axes(p: Pair) -> str | None:
    """Yours is the reference with two axes of the same length swapped."""
    for a, b in _axis_pairs(p):
        if p.g.shape[a] == p.g.shape[b] and p.g.shape[a] > 1 and close_enough(p.g, p.w.transpose(a, b)):
            return tr("yours is the reference with axes {a} and {b} swapped (a transpose too many or missing?)",
                      a=a, b=b)
    return None


def wrong_layout(p: Pair) -> str | None:
    """The right numbers in the wrong layout: a transpose and a reshape back turn one into the other."""
    g, w = p.g, p.w
    for a, b in _axis_pairs(p):
        if g.shape[a] < 2 or g.shape[b] < 2:
            continue
        if close_enough(g, w.transpose(a, b).contiguous().reshape(g.shape)):
            return tr("yours holds the right numbers in the wrong layout: the reference with axes {a} and {b} "
                      "transposed and reshaped back (a reshape or view where a transpose was needed, or the "
                      "reverse)", a=a, b=b)
        back = g.transpose(a, b).contiguous().reshape(g.shape)
        if close_enough(back, w) and not close_enough(back, g):
            return tr("yours holds the right numbers in the wrong layout: transposing axes {a} and {b} and "
                      "reshaping back gives the reference (a reshape or view where a transpose was needed)",
                      a=a, b=b)
    return None


def shifted_by_one(p: Pair) -> str | None:
    """Yours is the reference moved by one position along an axis."""
    for axis in range(p.g.dim()):
        n = p.g.shape[axis]
        if n < 3:
            continue
        if close_enough(p.g.narrow(axis, 1, n - 1), p.w.narrow(axis, 0, n - 1)):
            return tr("yours at index i + 1 of axis {axis} equals the reference at index i: shifted by one along axis "
                      "{axis} (an off-by-one slice, or a position counted from 1?)", axis=axis)
        if close_enough(p.g.narrow(axis, 0, n - 1), p.w.narrow(axis, 1, n - 1)):
            return tr("yours at index i of axis {axis} equals the reference at index i + 1: shifted by one along axis "
                      "{axis} (an off-by-one slice, or a position counted from 1?)", axis=axis)
    return None


def only_where_masked(p: Pair) -> str | None:
    """Yours differs only at the positions a mask of the case blocks."""
    bad = p.bad
    if not bool(bad.any()):
        return None
    for mask in p.masks:
        try:
            blocked = ~mask.bool()
            while blocked.dim() > bad.dim():
                blocked = blocked.any(1) if blocked.shape[1] == 1 else blocked.any(0)
            blocked = blocked.expand(bad.shape) if blocked.dim() == bad.dim() else None
        except RuntimeError:
            blocked = None
        if blocked is not None and bool(blocked.any()) and not bool((bad & ~blocked).any()):
            return tr("yours differs only where the mask blocks (masked or padded positions)")
    return None


def only_some_indices(p: Pair) -> str | None:
    """Yours differs only at some indices of an axis and agrees at the others."""
    bad, dims = p.bad, p.g.dim()
    if not bool(bad.any()):
        return None
    for axis in range(dims):
        n = p.g.shape[axis]
        if n < 2:
            continue
        rows = bad.transpose(0, axis).reshape(n, -1).any(1) if dims > 1 else bad
        where = [i for i in range(n) if bool(rows[i])]
        if len(where) < n:
            return tr("yours differs only at {indices} of axis {axis} (of {size}); elsewhere it agrees",
                      indices=_index_words(where, n), axis=axis, size=n)
    return None


# The detectors, tried in this order: the first sentence wins. The simplest explanations come first (one number
# for the whole tensor), then rearrangements of the same numbers, then where the difference sits.
DETECTORS = (constant_factor, constant_offset, swapped_axes, wrong_layout, shifted_by_one, only_where_masked,
             only_some_indices)


def _one_number(g: torch.Tensor, w: torch.Tensor) -> str | None:
    """One number is always some factor of another: only a telling factor is worth saying."""
    r = float((g / w).reshape(1))
    words = _factor_words(r) if abs(r - 1) > 1e-3 else ""
    return tr("yours is the reference times {factor:.4g}", factor=r) + words if words else None


def difference_shape(got, want, rtol: float, atol: float, masks=()) -> str | None:
    """How `got` departs from `want` (same shape), in words: the first sentence of a detector of `DETECTORS`;
    None when no pattern (or when the two are not two float tensors of one shape, finite, the reference not 0)."""
    if type(got) is not torch.Tensor or type(want) is not torch.Tensor or got.shape != want.shape:  # noqa: E721
        return None
    if got.dtype != want.dtype or got.dtype == torch.bool or got.numel() < 1:
        return None
    g, w = got.detach().double(), want.detach().double()
    if bool(_VF.isnan(g).any()) or bool(_VF.isinf(g).any()):
        return None
    scale = float(_VF.abs(w).max())
    if scale == 0:
        return None
    if g.numel() == 1:
        return _one_number(g, w)
    pair = Pair(g, w, rtol, atol, tuple(masks), scale)
    return next((said for said in (detector(pair) for detector in DETECTORS) if said), None)
