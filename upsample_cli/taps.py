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
``span``
    TensorFlow's ScaleAndTranslate spans, in float32: sample ``(i + 0.5) / scale``, taps
    ``ceil(sample - r - 0.5) .. floor(sample + r - 0.5)`` clipped to the image, with the
    kernel (radius ``r``) widened by ``max(1 / scale, 1)`` when ``widen``; weights scaled to
    sum 1.
``coverage``
    Box with fractional overlap as TensorFlow's ResizeArea computes it: output ``i`` covers
    ``[i * s, (i + 1) * s)`` (``s = n_in / n_out`` in float32) and each input sample weighs
    the length it overlaps (not normalised: the caller multiplies by ``1 / s``).
``cells``
    OpenCV's INTER_AREA decimation table (``computeResizeAreaTab``): the same overlap in double,
    normalised by the cell width, overlaps under 1e-3 dropped.
``block``
    OpenCV's integer-factor INTER_AREA: output ``i`` sums the ``f`` samples ``[i f, (i + 1) f)``
    that exist (weights 1; the caller divides).

The interp sampler's source coordinate follows ``coordinate``: ``"torch"`` (``scale * (i + 0.5)
- 0.5`` in ``precision``, fused), ``"opencv"`` (the same in double, two roundings, then rounded
to float32), ``"opencv-exact"`` (the same in double, kept in double: INTER_LINEAR_EXACT), ``"opencv-area"`` (OpenCV's INTER_AREA enlarging: ``floor(i * scale)`` plus its
own fraction) or ``"tf"`` (float32, ``(i + 0.5f) * scale - 0.5f``). Its filter is a
:class:`~upsample_cli.filters.Filter` evaluated at each tap's distance, or a
:class:`~upsample_cli.filters.TapFilter` that gives the taps' weights from the fraction, as the
libraries compute them.

Nearest rules (``point``): ``floor`` and ``floor-shortcuts`` (torch ``nearest``, float32),
``half`` (torch ``nearest-exact``), ``scaled`` (``floor(i * scale)`` in ``precision``: OpenCV
INTER_NEAREST), ``half-scaled`` (``floor((i + 0.5) * scale + origin)`` in ``precision``: TensorFlow),
``accumulate`` (``x = origin + scale / 2``, then ``x += scale`` per sample, in double: Pillow's
NEAREST and OpenCV's INTER_NEAREST_EXACT) and ``floor-exact`` (``i * n_in // n_out`` in
integers: Keras' repeat).

``origin`` and ``extent`` place the output on a sub-interval ``[origin, origin + extent)`` of
the input (Pillow's ``box``); by default the whole axis.

``fixed_point`` rounds the weights to integers over a power of two, as the 8-bit paths of
torch (``"int16"``: the most fraction bits, up to 22, that keep every weight in an int16),
Pillow (22 bits) and OpenCV (11 bits) do; a :class:`FixedPoint` says how (rounding of each
weight, merging of taps on the same clamped index, the shift of the sum). Such taps hold int32
weights and ``shift``; kernels sum them in integers and round with
``(sum + 2**(shift-1)) >> shift``, exactly as the libraries do (``shift`` 0 keeps the scaled
sum, OpenCV's int32 intermediate).

Coordinates are computed in ``Rule.precision``: torch does this arithmetic in float32 for
float32, float16 and uint8 images and in float64 for float64 images, and the chosen source
pixel can depend on it.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, replace
from typing import NamedTuple, Optional, Union

import numpy as np

from .filters import Filter, TapFilter
from .memo import kept


@dataclass(frozen=True)
class FixedPoint:
    """Integer weights over ``2**bits``.

    ``rounding`` of each weight: ``"half-away"`` (torch, Pillow: ``(int)(w * 2**bits +- 0.5)``)
    or ``"half-even"`` (OpenCV's ``saturate_cast<short>``). ``merge``: add taps that read the
    same clamped sample before rounding (torch). ``shift``: the fraction bits dropped from the
    sum (default ``bits``; 0 keeps the scaled sum). ``complement``: the first weight is
    ``2**bits`` minus the others, so that every row sums to one exactly (OpenCV's bit-exact
    linear).
    """

    bits: object = 22
    rounding: str = "half-away"
    merge: bool = True
    shift: Optional[int] = None
    complement: bool = False


@dataclass(frozen=True)
class Rule:
    """How one axis maps output samples to input samples (see the module docstring)."""

    sampler: str
    filter: Optional[Union[Filter, TapFilter]] = None
    align_corners: bool = False
    nearest: str = "floor"
    edge: str = "clamp"
    clamp_negative: bool = False
    widen: bool = True
    fixed_point: Optional[object] = None
    precision: type = np.float64
    coordinate: str = "torch"
    clamp_high: bool = False
    origin: float = 0.0
    extent: Optional[float] = None
    # An axis whose output size equals its input size is copied, whatever the scale factor
    # (torch's linear kernels and its antialiased ones; its plain bicubic interpolates it).
    copy_same_size: bool = False
    # TensorFlow's ScaleAndTranslate (``span``): output coordinate = input * scale + translate.
    translate: float = 0.0

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
            and ones.sum() == n_out  # (before the indices: a row may have no taps)
            and (self.index[ones] == np.arange(n_out)).all()
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
    """The taps table of one axis; ``scale_factor`` is the user's output/input factor, if given.

    Tables are kept for the last few distinct calls (read-only arrays), since a pipeline or a
    batch resizes many images of the same size.
    """
    return _taps(int(n_in), int(n_out), rule, None if scale_factor is None else float(scale_factor))


@functools.lru_cache(maxsize=64)
def _taps(n_in: int, n_out: int, rule: Rule, scale_factor: Optional[float]) -> Taps:
    t = _compute(n_in, n_out, rule, scale_factor)
    # C-contiguous, so that the kernels' tables kept for these arrays are found again.
    t = Taps(np.ascontiguousarray(t.index, np.intp), np.ascontiguousarray(t.weight), t.shift)
    t.index.setflags(write=False)
    t.weight.setflags(write=False)
    return t


def product(a: Taps, b: Taps, n_b: int) -> Taps:
    """The taps of two axes taken at once, flattened (``a`` the outer one, ``n_b`` input samples
    along ``b``): output ``(i, j)`` takes input ``(index_a[i, k], index_b[j, l])`` with weight
    ``weight_a[i, k] * weight_b[j, l]``. Float weights only. The last few products are kept, by
    the identity of the tables (``taps`` keeps those)."""
    return kept(_products, (a.index, a.weight, b.index, b.weight), (n_b,), lambda: _product(a, b, n_b))


def _product(a: Taps, b: Taps, n_b: int) -> Taps:
    # Built taps-first, so that numpy's inner loops run over rows.
    index = a.index.T[:, None, :, None] * n_b + b.index.T[None, :, None, :]
    weight = a.weight.T[:, None, :, None] * b.weight.T[None, :, None, :]
    shape = (a.index.shape[1] * b.index.shape[1], a.index.shape[0] * b.index.shape[0])
    t = Taps(np.ascontiguousarray(index.reshape(shape).T), np.ascontiguousarray(weight.reshape(shape).T))
    t.index.setflags(write=False)
    t.weight.setflags(write=False)
    return t


_products: dict = {}


def _compute(n_in: int, n_out: int, rule: Rule, scale_factor: Optional[float]) -> Taps:
    if rule.sampler == "adaptive":
        return _adaptive(n_in, n_out, rule.precision)
    if rule.sampler in _SIZE_SAMPLERS:
        return _SIZE_SAMPLERS[rule.sampler](n_in, n_out, rule, scale_factor)
    if rule.extent is not None:
        scale = rule.precision(rule.extent) / rule.precision(n_out)
    else:
        scale = coordinate_scale(n_in, n_out, rule, scale_factor)
    dst = np.arange(n_out).astype(rule.precision)
    if rule.sampler == "point":
        return _point(n_in, n_out, dst, scale, rule)
    if rule.copy_same_size and n_in == n_out:
        t = Taps(np.arange(n_in)[:, None], np.ones((n_in, 1), rule.precision))
    elif rule.sampler == "interp":
        t = _interp(n_in, dst, scale, rule, scale_factor)
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
    elif rule.nearest == "scaled":  # OpenCV INTER_NEAREST
        src = np.floor(dst * scale)
    elif rule.nearest == "half-scaled":  # TensorFlow (half-pixel centres), Pillow's I;16
        src = np.maximum(np.floor((dst + ft(0.5)) * scale + ft(rule.origin)), 0)
    elif rule.nearest == "accumulate":  # Pillow NEAREST, OpenCV INTER_NEAREST_EXACT
        step = float(scale)
        src = np.floor(np.cumsum(np.r_[rule.origin + step * 0.5, np.full(n_out - 1, step)]))
    elif rule.nearest == "floor-exact":  # Keras' repeat: i * n_in // n_out
        src = np.arange(n_out) * n_in // n_out
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


def _opencv_area_fraction(dst, scale, inv_scale):
    """OpenCV's INTER_AREA when enlarging: ``sx = floor(i * scale)`` and
    ``fx = (i + 1) - (sx + 1) / scale`` in float32, 0 if negative, else its fractional part."""
    base = np.floor(dst.astype(np.float64) * float(scale))
    frac = ((dst.astype(np.float64) + 1) - (base + 1) * inv_scale).astype(np.float32)
    frac = np.where(frac <= 0, np.float32(0), frac - np.floor(frac)).astype(np.float32)
    return base, frac


def _fused_multiply_add(a, b, c):
    """``a * b + c`` rounded once, as the compiled libraries compute it (with FMA)."""
    wide = np.float64 if b.dtype == np.float32 else np.longdouble
    return (wide(a) * b.astype(wide) + wide(c)).astype(b.dtype)


def _interp(n_in, dst, scale, rule, scale_factor=None):
    ft = rule.precision
    half = int(np.ceil(rule.filter.support))
    if rule.coordinate in ("opencv", "opencv-exact", "opencv-area"):  # OpenCV's scale: 1 / inv_scale, in double
        inv_scale = scale_factor if scale_factor else len(dst) / n_in
        scale = 1.0 / inv_scale
    if rule.coordinate == "opencv-area":
        base, frac = _opencv_area_fraction(dst, scale, inv_scale)
    else:
        if rule.coordinate == "torch":
            src = _source_coordinate(dst, scale, rule)
        elif rule.coordinate == "opencv":  # (float)((i + 0.5) * scale - 0.5), in double
            src = ((dst.astype(np.float64) + 0.5) * float(scale) - 0.5).astype(np.float32)
        elif rule.coordinate == "opencv-exact":  # the same, kept in double (softdouble)
            src = (dst.astype(np.float64) + 0.5) * float(scale) - 0.5
        elif rule.coordinate == "tf":  # (i + 0.5f) * scale - 0.5f, in float32
            f32 = np.float32
            src = (dst.astype(f32) + f32(0.5)) * f32(scale) - f32(0.5)
        else:
            raise ValueError(f"unknown coordinate rule {rule.coordinate!r}")
        base = np.floor(src)
        frac = src - base
    if rule.clamp_negative and rule.coordinate != "torch":  # before the first sample: that sample
        low = base < 0
        base, frac = np.where(low, 0, base), np.where(low, 0, frac)
    if rule.clamp_high:  # past the last sample: that sample alone
        high = base >= n_in - 1
        base, frac = np.where(high, n_in - 1, base), np.where(high, 0, frac)
    frac = frac.astype(ft)
    offsets = np.arange(-half + 1, half + 1)
    index = base.astype(np.intp)[:, None] + offsets
    if isinstance(rule.filter, TapFilter):
        weight = rule.filter.taps(frac).astype(ft)
    else:
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
    if rule.origin:
        center = ft(rule.origin) + center
    xmin = np.maximum(np.trunc(center - support + ft(0.5)).astype(np.intp), 0)
    xmax = np.minimum(np.trunc(center + support + ft(0.5)).astype(np.intp), n_in)
    k = int(np.ceil(support)) * 2 + 1
    j = np.arange(k)
    weight = rule.filter(((j + xmin[:, None]).astype(ft) - center[:, None] + ft(0.5)) * inv_widen)
    weight = np.where(j < (xmax - xmin)[:, None], weight, ft(0)).astype(ft, copy=False)
    total = np.cumsum(weight, axis=1, dtype=ft)[:, -1:]  # summed tap by tap, as Pillow and torch do
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


def _fixed_point(t: Taps, spec) -> Taps:
    spec = spec if isinstance(spec, FixedPoint) else FixedPoint(spec)
    index, weight = t.index, t.weight.astype(np.float64)
    if spec.merge:
        weight = _merged(index, weight)
    bits = spec.bits
    if bits == "int16":
        top = weight.max()
        bits = 0
        while bits < 22 and int(0.5 + top * (1 << (bits + 1))) < (1 << 15):
            bits += 1
    scaled = weight * (1 << bits)
    if spec.rounding == "half-even":
        quantized = np.rint(scaled)
    else:
        quantized = np.trunc(scaled + np.where(scaled < 0, -0.5, 0.5))
    if spec.complement:
        quantized[:, 0] = (1 << bits) - quantized[:, 1:].sum(axis=1)
    return Taps(index, quantized.astype(np.int32), bits if spec.shift is None else spec.shift)


def _merged(index: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """The weights with every tap that reads the same (clamped) sample as an earlier tap of its
    row added to that first tap, in tap order, and set to 0; in time linear in the taps (up to a
    sort of each row, skipped when the rows are already in order)."""
    n, k = index.shape
    if k < 2:
        return weight
    if (index[:, 1:] >= index[:, :-1]).all():
        if not weight[:, 1:][index[:, 1:] == index[:, :-1]].any():
            return weight  # (repeats only in the zero-weight padding: nothing to add)
        order = np.broadcast_to(np.arange(k), index.shape)
    else:
        order = np.argsort(index, axis=1, kind="stable")  # equal samples keep their tap order
    ordered = np.take_along_axis(index, order, axis=1)
    starts = np.ones(index.shape, bool)
    starts[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    if starts.all():
        return weight
    group = np.cumsum(starts, axis=1) - 1 + (np.arange(n) * k)[:, None]
    # bincount adds in the order given: each group's first tap, then the later ones in order
    sums = np.bincount(group.ravel(), weights=np.take_along_axis(weight, order, axis=1).ravel(), minlength=n * k)
    merged = np.zeros_like(weight)
    rows, cols = np.nonzero(starts)
    merged[rows, order[rows, cols]] = sums[group[rows, cols]]
    return merged


# --- samplers whose taps depend on the sizes alone -----------------------------------------


def _span(n_in, n_out, rule, scale_factor):
    """TensorFlow's ComputeSpansCore (scale_and_translate_op.cc), in float32: ``scale_factor``
    (default ``n_out / n_in``) and ``rule.translate`` map input to output coordinates; an output
    whose sample falls outside ``[0, n_in]`` gets no taps (weight 0)."""
    f32 = np.float32
    scale = f32(scale_factor) if scale_factor is not None else f32(n_out) / f32(n_in)
    inv_scale = f32(1.0 / float(scale))
    inv_translate = f32(-inv_scale * f32(rule.translate))  # -0.0 without a translation
    kernel_scale = max(inv_scale, f32(1)) if rule.widen else f32(1)
    reach = f32(rule.filter.support) * kernel_scale
    sample = (np.arange(n_out).astype(f32) + f32(0.5)) * inv_scale + inv_translate
    start = np.clip(np.ceil(sample - reach - f32(0.5)).astype(np.intp), 0, n_in - 1)
    end = np.clip(np.floor(sample + reach - f32(0.5)).astype(np.intp), 0, n_in - 1) + 1
    end = np.where((sample < 0) | (sample > n_in), start, end)
    k = max(1, int((end - start).max()))
    j = np.arange(k)
    index = start[:, None] + j
    inside = index < end[:, None]
    position = (index.astype(f32) + f32(0.5)) - sample[:, None]
    weight = np.where(inside, rule.filter(np.abs(position / kernel_scale)).astype(f32), f32(0))
    total = np.zeros(n_out, f32)
    for c in range(k):  # summed in order, in float32
        total = (total + weight[:, c]).astype(f32)
    ok = np.abs(total) >= f32(1000) * np.finfo(f32).tiny
    inv_total = np.where(ok, f32(1) / np.where(ok, total, f32(1)), f32(0)).astype(f32)
    weight = np.where(ok[:, None], weight * inv_total[:, None], f32(0)).astype(f32)
    return _trim(Taps(np.minimum(index, n_in - 1), weight))


def _coverage(n_in, n_out, rule, scale_factor):
    """TensorFlow's ResizeArea overlaps (resize_area_op.cc), in float32, not normalised."""
    f32 = np.float32
    s = f32(n_in) / f32(n_out)
    i = np.arange(n_out)
    lo = i.astype(f32) * s
    hi = (i + 1).astype(f32) * s
    start = np.floor(lo).astype(np.intp)
    end = np.ceil(hi).astype(np.intp)
    k = int((end - start).max())
    v = start[:, None] + np.arange(k)
    vf = v.astype(f32)
    lo_, hi_ = lo[:, None], hi[:, None]
    one = f32(1)
    weight = np.where(vf < lo_, np.where(vf + one > hi_, s, vf + one - lo_), np.where(vf + one > hi_, hi_ - vf, one))
    weight = np.where(v < end[:, None], weight, f32(0)).astype(f32)
    return Taps(np.clip(v, 0, n_in - 1), weight)


def _cells(n_in, n_out, rule, scale_factor):
    """OpenCV's computeResizeAreaTab: overlaps in double over the cell width, rounded to float32."""
    scale = 1.0 / scale_factor if scale_factor else n_in / n_out
    rows = []
    for dx in range(n_out):
        fsx1 = dx * scale
        fsx2 = fsx1 + scale
        cell = min(scale, n_in - fsx1)
        sx1, sx2 = math.ceil(fsx1), math.floor(fsx2)
        sx2 = min(sx2, n_in - 1)
        sx1 = min(sx1, sx2)
        row = []
        if sx1 - fsx1 > 1e-3:
            row.append((sx1 - 1, (sx1 - fsx1) / cell))
        row += [(sx, 1.0 / cell) for sx in range(sx1, sx2)]
        if fsx2 - sx2 > 1e-3:
            row.append((sx2, min(min(fsx2 - sx2, 1.0), cell) / cell))
        rows.append(row)
    return _from_rows(rows, np.float32)


def _block(n_in, n_out, rule, scale_factor):
    """OpenCV's integer-factor INTER_AREA: the ``f`` samples of each block that exist, weight 1."""
    f = int(round(1.0 / scale_factor)) if scale_factor else n_in // n_out
    rows = [[(s, 1.0) for s in range(i * f, min((i + 1) * f, n_in))] for i in range(n_out)]
    return _from_rows(rows, rule.precision)


def _from_rows(rows, dtype) -> Taps:
    k = max(1, max(len(r) for r in rows))
    index = np.zeros((len(rows), k), np.intp)
    weight = np.zeros((len(rows), k), dtype)
    for j, row in enumerate(rows):
        for c, (i, w) in enumerate(row):
            index[j, c], weight[j, c] = i, w
        if row:  # padding slots repeat the last index
            index[j, len(row):] = row[-1][0]
    return Taps(index, weight)


_SIZE_SAMPLERS = {"span": _span, "coverage": _coverage, "cells": _cells, "block": _block}


def _trim(t: Taps) -> Taps:
    """Drop trailing columns whose weights are all zero."""
    used = np.flatnonzero((t.weight != 0).any(axis=0))
    k = int(used[-1]) + 1 if used.size else 1
    return Taps(t.index[:, :k], t.weight[:, :k])
