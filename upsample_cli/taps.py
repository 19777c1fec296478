"""The taps table: the one place where output coordinates are mapped to input samples.

For one axis resized from ``n_in`` to ``n_out`` samples, ``taps`` returns ``index[n_out, K]``
and ``weight[n_out, K]`` so that ``out[j] = sum_k weight[j, k] * in[index[j, k]]``. Padding slots
have weight 0 and a valid index. Every mode of every convention is a :class:`Rule`; kernels
apply tables and know nothing about modes.

Samplers:

``point``
    One tap, weight 1 (nearest modes). ``nearest`` names the index rule.
``interp``
    Interpolation with a fixed footprint of ``2 * support`` taps around the source
    coordinate (linear, cubic); out-of-range taps are clamped to the edge (``edge="clamp"``)
    or dropped with the remaining weights renormalised (``edge="drop"``).
``window``
    Convolution with the filter widened by the downscale factor (``widen=True``, which is
    antialiasing) and normalised to sum 1: the scheme of Pillow, which torch's
    ``antialias=True`` follows.
``adaptive``
    Adaptive average pooling (torch ``area``): output ``i`` averages input
    ``[floor(i * n_in / n_out), ceil((i + 1) * n_in / n_out))``.

``fixed_point`` rounds the weights to integers over a power of two, as the 8-bit paths of
torch (``"int16"``: the most fraction bits, up to 22, that keep every weight in an int16),
Pillow (22 bits) and OpenCV (11 bits) do; taps on the same clamped index are merged first.
Such taps hold int32 weights and ``shift`` (the number of fraction bits); kernels sum them in
integers and round with ``(sum + 2**(shift-1)) >> shift``, exactly as the libraries do.

Coordinates are computed in ``Rule.precision``: torch does this arithmetic in float32 for
float32, float16 and uint8 images and in float64 for float64 images, and the chosen source
pixel can depend on it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import NamedTuple, Optional

import numpy as np

from .filters import Filter


@dataclass(frozen=True)
class Rule:
    """How one axis maps output samples to input samples (see the module docstring)."""

    sampler: str
    filter: Optional[Filter] = None
    align_corners: bool = False
    nearest: str = "floor"
    edge: str = "clamp"
    clamp_negative: bool = False
    widen: bool = True
    fixed_point: Optional[object] = None
    precision: type = np.float64

    def with_precision(self, precision) -> "Rule":
        return replace(self, precision=precision)


class Taps(NamedTuple):
    """``index`` (intp) and ``weight`` (n_out, K); fixed-point weights are int32 scaled by 2**shift."""

    index: np.ndarray
    weight: np.ndarray
    shift: int = 0

    @property
    def is_selection(self) -> bool:
        """One tap of weight 1 per output sample: a copy of input samples."""
        return self.index.shape[1] == 1 and bool((self.weight == (1 << self.shift)).all())

    @property
    def is_identity(self) -> bool:
        n_out = self.index.shape[0]
        ones = self.weight == (1 << self.shift)
        return bool(
            ones.sum(axis=1).max(initial=0) == 1
            and (self.weight[~ones] == 0).all()
            and (self.index[ones] == np.arange(n_out)).all()
            and ones.sum() == n_out
        )


def coordinate_scale(n_in: int, n_out: int, rule: Rule, scale_factor: Optional[float]):
    """Input pixels per output pixel, as torch's ``area_pixel_compute_scale``."""
    ft = rule.precision
    if rule.align_corners:
        return ft(n_in - 1) / ft(n_out - 1) if n_out > 1 else ft(0)
    if scale_factor is not None and scale_factor > 0:
        return ft(1.0 / scale_factor)
    return ft(n_in) / ft(n_out)


def taps(n_in: int, n_out: int, rule: Rule, scale_factor: Optional[float] = None) -> Taps:
    """The taps table of one axis; ``scale_factor`` is the user's output/input factor, if given."""
    if rule.sampler == "adaptive":
        return _adaptive(n_in, n_out, rule.precision)
    scale = coordinate_scale(n_in, n_out, rule, scale_factor)
    dst = np.arange(n_out).astype(rule.precision)
    if rule.sampler == "point":
        return _point(n_in, n_out, dst, scale, rule)
    if rule.sampler == "interp":
        t = _interp(n_in, dst, scale, rule)
    elif rule.sampler == "window":
        t = _window(n_in, dst, scale, rule)
    else:
        raise ValueError(f"unknown sampler {rule.sampler!r}")
    return _fixed_point(t, rule.fixed_point) if rule.fixed_point else t


def _point(n_in, n_out, dst, scale, rule):
    ft = rule.precision
    # torch rounds the coordinate to float32 before taking the floor (floorf), even for float64.
    if rule.nearest == "floor":  # torch nearest, OpenCV INTER_NEAREST
        src = np.floor((dst * scale).astype(np.float32))
    elif rule.nearest == "floor-shortcuts":  # torch's nearest_idx: copy, halve, else floor
        if n_out == n_in:
            src = np.arange(n_out)
        elif n_out == 2 * n_in:
            src = np.arange(n_out) >> 1
        else:
            src = np.floor((dst * scale).astype(np.float32))
    elif rule.nearest == "half":  # torch nearest-exact: floor(scale * (dst + 0.5) - 0.5 + 0.5)
        src = np.floor((_source_coordinate(dst, scale, rule) + ft(0.5)).astype(np.float32))
    else:
        raise ValueError(f"unknown nearest rule {rule.nearest!r}")
    index = np.minimum(src.astype(np.intp), n_in - 1)
    return Taps(index[:, None], np.ones((n_out, 1), rule.precision))


def _source_coordinate(dst, scale, rule):
    ft = rule.precision
    if rule.align_corners:
        return scale * dst
    src = _fused_multiply_add(scale, dst + ft(0.5), ft(-0.5))
    return np.maximum(src, ft(0)) if rule.clamp_negative else src


def _fused_multiply_add(a, b, c):
    """``a * b + c`` rounded once, as the compiled libraries compute it (with FMA)."""
    wide = np.float64 if b.dtype == np.float32 else np.longdouble
    return (wide(a) * b.astype(wide) + wide(c)).astype(b.dtype)


def _interp(n_in, dst, scale, rule):
    ft = rule.precision
    half = int(np.ceil(rule.filter.support))
    src = _source_coordinate(dst, scale, rule)
    base = np.floor(src)
    frac = src - base
    offsets = np.arange(-half + 1, half + 1)
    index = base.astype(np.intp)[:, None] + offsets
    weight = rule.filter(frac[:, None] - offsets.astype(ft)).astype(ft, copy=False)
    if rule.edge == "clamp":
        index = np.clip(index, 0, n_in - 1)
    elif rule.edge == "drop":
        outside = (index < 0) | (index >= n_in)
        weight = np.where(outside, ft(0), weight)
        weight = weight / weight.sum(axis=1, keepdims=True)
        index = np.clip(index, 0, n_in - 1)
    else:
        raise ValueError(f"unknown edge rule {rule.edge!r}")
    return Taps(index, weight.astype(ft, copy=False))


def _window(n_in, dst, scale, rule):
    ft = rule.precision
    widening = rule.widen and scale >= 1
    support = ft(rule.filter.support) * scale if widening else ft(rule.filter.support)
    inv_widen = ft(1) / scale if widening else ft(1)
    center = scale * (dst + ft(0.5))
    xmin = np.maximum(np.trunc(center - support + ft(0.5)).astype(np.intp), 0)
    xmax = np.minimum(np.trunc(center + support + ft(0.5)).astype(np.intp), n_in)
    k = int(np.ceil(support)) * 2 + 1
    j = np.arange(k)
    weight = rule.filter(((j + xmin[:, None]).astype(ft) - center[:, None] + ft(0.5)) * inv_widen)
    weight = np.where(j < (xmax - xmin)[:, None], weight, ft(0)).astype(ft, copy=False)
    total = weight.sum(axis=1, keepdims=True)
    weight = np.where(total != 0, weight / np.where(total != 0, total, 1), weight)
    index = np.minimum(xmin[:, None] + j, n_in - 1)
    return _trim(Taps(index, weight.astype(ft, copy=False)))


def _adaptive(n_in, n_out, ft):
    i = np.arange(n_out)
    start = (i * n_in) // n_out
    end = ((i + 1) * n_in + n_out - 1) // n_out
    count = end - start
    k = int(count.max())
    j = np.arange(k)
    inside = j < count[:, None]
    index = np.minimum(start[:, None] + j, n_in - 1)
    weight = np.where(inside, 1.0 / count[:, None], 0.0)
    return Taps(index, weight.astype(ft))


def _fixed_point(t: Taps, bits) -> Taps:
    index, weight = t.index, t.weight.astype(np.float64)
    for k in range(1, index.shape[1]):  # merge taps that read the same (clamped) sample
        first = np.argmax(index[:, : k + 1] == index[:, k : k + 1], axis=1)
        rows = np.flatnonzero(first < k)
        weight[rows, first[rows]] += weight[rows, k]
        weight[rows, k] = 0
    if bits == "int16":
        top = weight.max()
        bits = 0
        while bits < 22 and int(0.5 + top * (1 << (bits + 1))) < (1 << 15):
            bits += 1
    scaled = weight * (1 << bits)
    quantized = np.trunc(scaled + np.where(scaled < 0, -0.5, 0.5))
    return Taps(index, quantized.astype(np.int32), bits)


def _trim(t: Taps) -> Taps:
    """Drop trailing columns whose weights are all zero."""
    used = np.flatnonzero((t.weight != 0).any(axis=0))
    k = int(used[-1]) + 1 if used.size else 1
    return Taps(t.index[:, :k], t.weight[:, :k])
