"""``cv2.resize`` (OpenCV 5) as taps rules.

OpenCV resizes the width first into a wide intermediate row, then the height. What each
interpolation does, per axis and per depth, is the table ``RULES`` below; the arithmetic around
it (the 8-bit fixed point, the rounding to the output depth) follows the table.

Facts reproduced, all checked against OpenCV 5.0 (``tests/golden/opencv.npz``):

- Output size from ``fx``/``fy``: ``round(w * fx)``, half to even. The coordinate scale is
  ``1 / inv_scale`` in double, with ``inv_scale = fx`` when given, else ``dsize / size``.
- INTER_NEAREST: ``floor(i * scale)`` in double. INTER_NEAREST_EXACT: ``x = scale / 2``, then
  ``x += scale`` per pixel, floored (Pillow's rule).
- INTER_LINEAR: ``(float)((i + 0.5) * scale - 0.5)``; along the width a coordinate outside
  ``[0, w - 1]`` is clamped, along the height the rows are. 8-bit: weights ``round(w * 2048)``,
  the width pass keeps ``sum * 2048`` in int32, the height pass computes
  ``((b0 * (S0 >> 4) >> 16) + (b1 * (S1 >> 4) >> 16) + 2) >> 2``. A shrink by exactly 2 on
  both axes is INTER_AREA.
- INTER_CUBIC (A = -0.75, OpenCV's float formulas) and INTER_LANCZOS4 (8 taps, normalised):
  taps clamped to the edge. 8-bit: int16 weights over 2048, sums in int32, height pass
  ``(sum + 2**21) >> 22``; for INTER_CUBIC the vectorised part of the height pass (whole
  groups of 8 values of a row) computes in float32 and rounds half to even.
- Images with 1, 3 or 4 channels of at least 4 x 4 pixels (2 x 2 when ``fx``/``fy`` do not
  give the output size exactly) go through Intel IPP for INTER_CUBIC (every depth) and
  INTER_LINEAR (16U, 32F): weights from double coordinates, float32 sums, rounded half to even.
- INTER_AREA shrinking: by integer factors (``1 / inv_scale`` within DBL_EPSILON of an integer on
  both axes) block sums times ``1.f / area`` (partial blocks at the edge: ``sum / count``), with
  ``(sum + 2) >> 2`` for 2 x 2 blocks of 1, 3 or 4 channels (8U, 16U); otherwise OpenCV's
  decimation table in float32. Enlarging (either axis): the linear path with INTER_AREA's
  fractions.
- 16U and 32F sum in float32; 16U rounds half to even.
- INTER_LINEAR_EXACT (8U, 16U): coordinates in double, clamped to the image; the second tap's
  weight ``round(t * 2**b)`` half to even, the first ``2**b`` minus it (``b`` 8 for 8 bits, 16
  for 16); the width pass keeps its sums, the height pass computes ``(sum + 2**(2b - 1)) >> 2b``.
  A shrink by exactly 2 on both axes is INTER_AREA, except for 2 channels; 32F is INTER_LINEAR.
"""

from __future__ import annotations

import math
import numbers
import sys
from dataclasses import replace

import numpy as np

from .. import filters
from ..filters import LINEAR_TAPS, TapFilter
from ..image import check_output_memory
from ..taps import FixedPoint, Rule, taps
from ..rounding import round_clamp
from ._passes import device_aware, resample


# --- OpenCV's own formulas ---------------------------------------------------------------
#
# The kernels of filters.py written as OpenCV evaluates them, in its precision: where a result is
# rounded to an integer (fixed-point weights, 8-bit outputs), the last bit of a weight decides
# the answer, so the formula matters as much as the function.

_F = np.float32


def _linear_taps_double(t):
    # (1 - t, t) in double: OpenCV's INTER_LINEAR_EXACT (its fixed point keeps 1 - t exact).
    t = t.astype(np.float64)
    return np.stack([1.0 - t, t], axis=-1)


def _opencv_cubic_taps(t):
    # OpenCV's interpolateCubic, A = -0.75, in float32; the last weight is 1 minus the others.
    x = t.astype(_F)
    a = _F(-0.75)
    x1 = x + _F(1)
    y = _F(1) - x
    c0 = ((a * x1 - _F(5) * a) * x1 + _F(8) * a) * x1 - _F(4) * a
    c1 = ((a + _F(2)) * x - (a + _F(3))) * x * x + _F(1)
    c2 = ((a + _F(2)) * y - (a + _F(3))) * y * y + _F(1)
    c3 = _F(1) - c0 - c1 - c2
    return np.stack([c0, c1, c2, c3], axis=-1).astype(_F)


_S45 = 0.70710678118654752440084436210485
_LANCZOS4_CS = np.array([(1, 0), (-_S45, -_S45), (0, 1), (_S45, -_S45), (-1, 0), (_S45, _S45), (0, -1), (-_S45, _S45)])


def _opencv_lanczos4_taps(t):
    # OpenCV's interpolateLanczos4: sines in double from one angle, weights rounded to float32
    # and normalised to sum 1 in float32; a tap at distance below 1e-6 takes 1e30 (then 1).
    x = t.astype(_F)
    y0 = -(x + _F(3)).astype(np.float64) * np.pi * 0.25
    s0, c0 = np.sin(y0), np.cos(y0)
    coeffs = np.empty(x.shape + (8,), _F)
    total = np.zeros(x.shape, _F)
    for i in range(8):
        d = (x + _F(3)) - _F(i)
        y = -d.astype(np.float64) * np.pi * 0.25
        with np.errstate(invalid="ignore", divide="ignore"):
            w = ((_LANCZOS4_CS[i, 0] * s0 + _LANCZOS4_CS[i, 1] * c0) / (y * y)).astype(_F)
        w = np.where(np.abs(d) >= _F(1e-6), w, _F(1e30))
        coeffs[..., i] = w
        total = (total + w).astype(_F)
    inv = (_F(1) / total).astype(_F)
    return (coeffs * inv[..., None]).astype(_F)


OPENCV_LINEAR = LINEAR_TAPS
OPENCV_LINEAR_EXACT = TapFilter("triangle", 1, _linear_taps_double)
OPENCV_CUBIC = TapFilter("cubic(a=-0.75)", 2, _opencv_cubic_taps)
OPENCV_LANCZOS4 = TapFilter("lanczos4", 4, _opencv_lanczos4_taps)


# cv2's interpolation flags, accepted as well as the names.
FLAGS = {0: "nearest", 1: "linear", 2: "cubic", 3: "area", 4: "lanczos4", 5: "linear-exact", 6: "nearest-exact"}

MODES = {
    "nearest": "INTER_NEAREST: the pixel at floor(i * scale), OpenCV's historical rule",
    "nearest-exact": "INTER_NEAREST_EXACT: the pixel under the output pixel's centre (Pillow's rule)",
    "linear": "INTER_LINEAR: bilinear, half-pixel centres, no antialiasing (the default)",
    "cubic": "INTER_CUBIC: bicubic, A = -0.75, 4 x 4 taps",
    "area": "INTER_AREA: pixel-area average when shrinking, a linear variant when enlarging",
    "lanczos4": "INTER_LANCZOS4: Lanczos with 8 x 8 taps",
    "linear-exact": "INTER_LINEAR_EXACT: bilinear in fixed point, bit-exact on every platform",
}

_F32 = np.float32
_COORD = dict(coordinate="opencv", precision=_F32)

# mode -> (rule for the width, rule for the height)
RULES = {
    "nearest": (Rule("point", nearest="scaled"),) * 2,
    "nearest-exact": (Rule("point", nearest="accumulate"),) * 2,
    "linear": (
        Rule("interp", OPENCV_LINEAR, clamp_negative=True, clamp_high=True, **_COORD),
        Rule("interp", OPENCV_LINEAR, **_COORD),
    ),
    "cubic": (Rule("interp", OPENCV_CUBIC, **_COORD),) * 2,
    "lanczos4": (Rule("interp", OPENCV_LANCZOS4, **_COORD),) * 2,
    # INTER_LINEAR_EXACT: coordinates in double, clamped to the image on both axes (its fixed
    # point is set per depth: _EXACT_BITS).
    "linear-exact": (Rule("interp", OPENCV_LINEAR_EXACT, clamp_negative=True, clamp_high=True,
                          coordinate="opencv-exact"),) * 2,
    # INTER_AREA: decimation table, integer blocks, and the enlarging variant of linear.
    "area-shrink": (Rule("cells"),) * 2,
    "area-blocks": (Rule("block"),) * 2,
    "area-enlarge": (
        Rule("interp", OPENCV_LINEAR, clamp_negative=True, clamp_high=True,
             coordinate="opencv-area", precision=_F32),
        Rule("interp", OPENCV_LINEAR, coordinate="opencv-area", precision=_F32),
    ),
    # IPP's cubic and linear: the kernel at double coordinates, rounded to float32 weights.
    "ipp-cubic": (Rule("interp", filters.CUBIC_075),) * 2,
    "ipp-linear": (Rule("interp", filters.TRIANGLE, clamp_negative=True, clamp_high=True),) * 2,
}

# 8-bit fixed point: int16 weights over 2**11, rounded half to even, one per tap. The width
# pass keeps the scaled sums in int32; the height pass drops 22 bits.
_WIDTH_FIXED = FixedPoint(11, rounding="half-even", merge=False, shift=0)
_HEIGHT_FIXED = FixedPoint(11, rounding="half-even", merge=False, shift=22)

# INTER_LINEAR_EXACT's fixed point (ufixedpoint16 for 8 bits, ufixedpoint32 for 16): the weight
# of the second tap rounded half to even, the first one minus it.
_EXACT_BITS = {np.uint8: 8, np.uint16: 16}

DTYPES = (np.uint8, np.uint16, np.float32)
_SIMD_LANES = 8  # int16 lanes of OpenCV's baseline vectors (SSE3)


@device_aware
def cv2_resize(array, dsize=None, fx=0, fy=0, interpolation="linear") -> np.ndarray:
    """``cv2.resize(array, dsize, fx=fx, fy=fy, interpolation=...)`` without OpenCV.

    ``array`` is ``(H, W)`` or ``(H, W, C)`` with any number of channels, uint8, uint16 or
    float32. ``dsize=(width, height)``, or ``fx``/``fy`` with ``dsize`` None or ``(0, 0)``.
    ``interpolation``: ``nearest, nearest-exact, linear, linear-exact, cubic, area, lanczos4`` (or cv2's
    integer flags). The output has the input's dtype and shape ``(height, width, C)``, or ``(height, width)`` for one
    channel, as cv2 returns it.
    """
    x = np.asarray(array)
    if not x.dtype.isnative:  # cv2 reads a big-endian array by value and answers in native order
        x = x.astype(x.dtype.newbyteorder("="))
    mode = _mode(interpolation)
    if x.dtype.type not in DTYPES:
        names = ", ".join(np.dtype(t).name for t in DTYPES)
        raise TypeError(f"cv2_resize: unsupported dtype {x.dtype}; expected one of {names}")
    if x.ndim not in (2, 3) or x.shape[0] == 0 or x.shape[1] == 0 or (x.ndim == 3 and x.shape[2] == 0):
        raise ValueError(f"cv2_resize: expected a non-empty (H, W) or (H, W, C) array, got shape {x.shape}")
    h, w = x.shape[:2]
    (out_w, out_h), (inv_x, inv_y) = output_size(w, h, dsize, fx, fy)
    check_output_memory((out_h, out_w) + x.shape[2:], x.dtype, "cv2_resize")
    if (out_w, out_h) == (w, h):
        return x.copy() if x.ndim == 2 or x.shape[2] > 1 else x[:, :, 0].copy()
    image = x if x.ndim == 3 else x[:, :, None]
    out = _resize(image, out_h, out_w, inv_y, inv_x, mode)
    return out if out.shape[2] > 1 else out[:, :, 0]  # one channel comes back 2-D, as from cv2


def output_size(w: int, h: int, dsize, fx, fy):
    """``((out_w, out_h), (inv_scale_x, inv_scale_y))`` as ``cv::resize`` derives them."""
    if dsize is not None and tuple(dsize) != (0, 0):
        if len(dsize) != 2 or not all(_is_int(v) for v in dsize):
            raise TypeError(f"cv2_resize: dsize must be (width, height) in integers, got {dsize!r}")
        out_w, out_h = int(dsize[0]), int(dsize[1])
        if out_w <= 0 or out_h <= 0:
            raise ValueError(f"cv2_resize: dsize must be positive, got {dsize!r}")
        return (out_w, out_h), (out_w / w, out_h / h)
    for name, f in (("fx", fx), ("fy", fy)):
        if isinstance(f, bool) or not isinstance(f, numbers.Real) or not math.isfinite(f) or f <= 0:
            raise ValueError(f"cv2_resize: without dsize, {name} and fy must be positive numbers, got {name}={f!r}")
    out_w, out_h = _saturate_round(w * float(fx)), _saturate_round(h * float(fy))
    if out_w <= 0 or out_h <= 0:
        raise ValueError(f"cv2_resize: fx={fx}, fy={fy} give an empty output ({out_w} x {out_h})")
    return (out_w, out_h), (float(fx), float(fy))


def _saturate_round(v: float) -> int:
    # cvRound: half to even, saturated to int.
    return int(min(max(round(v), -(2**31)), 2**31 - 1))


def _resize(x, out_h, out_w, inv_y, inv_x, mode):
    h, w, cn = x.shape
    scale_x, scale_y = 1.0 / inv_x, 1.0 / inv_y
    iscale_x, iscale_y = _saturate_round(scale_x), _saturate_round(scale_y)
    area_fast = abs(scale_x - iscale_x) < sys.float_info.epsilon and abs(scale_y - iscale_y) < sys.float_info.epsilon
    if mode == "linear-exact" and x.dtype == _F32:
        mode = "linear"  # OpenCV has no bit-exact path for floats
    if mode == "linear" and area_fast and iscale_x == 2 and iscale_y == 2:
        mode = "area"  # OpenCV: a 2x shrink on both axes is INTER_AREA
    if mode == "linear-exact":
        if area_fast and iscale_x == 2 and iscale_y == 2 and cn != 2:
            mode = "area"  # (OpenCV's 2-channel INTER_AREA is not bit-exact, so not there)
        else:
            return _bit_exact_linear(x, out_h, out_w, inv_y, inv_x)
    if mode in ("nearest", "nearest-exact"):
        rx, ry = RULES[mode]
        if mode == "nearest-exact":  # its step is size / size, whatever fx and fy were
            inv_x = inv_y = None
        out = resample(x, 1, _f64(rx), out_w, inv_x)
        return resample(out, 0, _f64(ry), out_h, inv_y)
    if mode == "area":
        if scale_x >= 1 and scale_y >= 1:
            if area_fast:
                return _area_blocks(x, out_h, out_w, inv_y, inv_x, iscale_y, iscale_x)
            if cn > 4:
                raise ValueError("cv2_resize: INTER_AREA shrinks images of at most 4 channels (as OpenCV)")
            return _float_passes(x, RULES["area-shrink"], out_h, out_w, inv_y, inv_x)
        mode = "area-enlarge"
    ipp = _uses_ipp(cn, w, h, out_w, out_h, inv_x, inv_y)
    if mode == "cubic" and ipp:
        return _float_passes(x, RULES["ipp-cubic"], out_h, out_w, inv_y, inv_x)
    if mode == "linear" and ipp and x.dtype != np.uint8:
        return _float_passes(x, RULES["ipp-linear"], out_h, out_w, inv_y, inv_x)
    if x.dtype != np.uint8:
        return _float_passes(x, RULES[mode], out_h, out_w, inv_y, inv_x)
    return _fixed_point_passes(x, mode, out_h, out_w, inv_y, inv_x)


def _uses_ipp(cn, w, h, out_w, out_h, inv_x, inv_y) -> bool:
    """Whether OpenCV hands INTER_CUBIC (and 16U/32F INTER_LINEAR) to IPP: 1, 3 or 4 channels,
    and at least 4 x 4 pixels, or 2 x 2 when the size ratio is not exactly the scale (IPP's
    affine warp)."""
    if cn not in (1, 3, 4):
        return False
    affine = abs(out_w / w - inv_x) / inv_x > 1e-10 or abs(out_h / h - inv_y) / inv_y > 1e-10
    return min(w, h) >= (2 if affine else 4)


def _f64(rule: Rule) -> Rule:
    return replace(rule, precision=np.float64)


def _float_passes(x, rules, out_h, out_w, inv_y, inv_x):
    """Width then height in float32; integer depths rounded half to even at the end."""
    rx, ry = rules
    work = x.astype(_F32)
    work = resample(work, 1, rx, out_w, inv_x)
    work = resample(work, 0, ry, out_h, inv_y)
    return work if x.dtype == _F32 else round_clamp(work, x.dtype, "half-even")


def _fixed_point_passes(x, mode, out_h, out_w, inv_y, inv_x):
    """OpenCV's 8-bit path: int32 width pass, then its height-pass arithmetic."""
    rx, ry = RULES[mode]
    rx = replace(rx, fixed_point=_WIDTH_FIXED)
    wide = resample(x.astype(np.int32), 1, rx, out_w, inv_x)  # sums * 2048
    if mode in ("linear", "area-enlarge"):
        t = taps(x.shape[0], out_h, replace(ry, fixed_point=_WIDTH_FIXED), inv_y)
        return _height_linear_u8(wide, t)
    if mode == "cubic":
        t = taps(x.shape[0], out_h, replace(ry, fixed_point=_WIDTH_FIXED), inv_y)
        return _height_cubic_u8(wide, t)
    out = resample(wide, 0, replace(ry, fixed_point=_HEIGHT_FIXED), out_h, inv_y)
    return np.clip(out, 0, 255).astype(np.uint8)


def _bit_exact_linear(x, out_h, out_w, inv_y, inv_x):
    """resize_bitExact with interpolationLinear: the width pass keeps its sums with ``bits``
    fraction bits, the height pass drops ``2 * bits`` with ``(sum + 2**(2 bits - 1)) >> 2 bits``.

    In int64 with NumPy: the 16-bit sums pass 2**32, beyond the engine's int32 fixed point."""
    bits = _EXACT_BITS[x.dtype.type]
    fixed = FixedPoint(bits, rounding="half-even", merge=False, shift=0, complement=True)
    rx, ry = (replace(r, fixed_point=fixed) for r in RULES["linear-exact"])
    tx, ty = taps(x.shape[1], out_w, rx, inv_x), taps(x.shape[0], out_h, ry, inv_y)
    wide = sum(tx.weight[None, :, k, None].astype(np.int64) * x[:, tx.index[:, k]] for k in range(2))
    sums = sum(ty.weight[:, k, None, None].astype(np.int64) * wide[ty.index[:, k]] for k in range(2))
    out = (sums + (1 << (2 * bits - 1))) >> (2 * bits)
    return np.minimum(out, np.iinfo(x.dtype).max).astype(x.dtype)


def _height_linear_u8(wide, t):
    """VResizeLinear for 8 bits: each product keeps 16 bits, ``(p0 + p1 + 2) >> 2``.

    ``wide`` is the int32 width pass (sums times 2048); products stay below 2**31."""
    rows = wide.reshape(wide.shape[0], -1)
    b = t.weight.astype(np.int32)
    out = np.full((t.index.shape[0], rows.shape[1]), 2, np.int32)
    for k in range(2):
        out += (b[:, k, None] * (rows[t.index[:, k]] >> 4)) >> 16
    out >>= 2
    return out.astype(np.uint8).reshape((-1,) + wide.shape[1:])


def _height_cubic_u8(wide, t):
    """VResizeCubic for 8 bits: whole groups of 8 values per row in float32 (``S0 b0 + (S1 b1 +
    (S2 b2 + S3 b3))``, rounded half to even), the rest ``(sum + 2**21) >> 22`` in integers."""
    rows = wide.reshape(wide.shape[0], -1)
    out_h, width = t.index.shape[0], rows.shape[1]
    vec = width // _SIMD_LANES * _SIMD_LANES
    exact = np.full((out_h, width - vec), 1 << 21, np.int64)
    for k in range(4):
        exact += t.weight[:, k, None].astype(np.int64) * rows[t.index[:, k], vec:]
    out = np.empty((out_h, width), np.uint8)
    out[:, vec:] = np.clip(exact >> 22, 0, 255)
    if vec:
        beta = (t.weight.astype(_F32) * _F32(1.0 / (2048 * 2048))).astype(_F32)
        acc = rows[t.index[:, 3], :vec].astype(_F32) * beta[:, 3, None]
        for k in (2, 1, 0):
            acc = rows[t.index[:, k], :vec].astype(_F32) * beta[:, k, None] + acc
        out[:, :vec] = np.clip(np.rint(acc), 0, 255)
    return out.reshape((-1,) + wide.shape[1:])


def _area_blocks(x, out_h, out_w, inv_y, inv_x, fy, fx):
    """resizeAreaFast: block sums, then ``sum * (1.f / area)`` or, at the edges, ``sum / count``."""
    ry, rx = RULES["area-blocks"]
    sums = resample(resample(x.astype(np.float64), 1, rx, out_w, inv_x, np.float64), 0, ry, out_h, inv_y, np.float64)
    h, w, cn = x.shape
    full_x = np.arange(out_w) < w // fx
    full_y = (np.arange(out_h) + 1) * fy <= h
    count = (np.minimum((np.arange(out_h) + 1) * fy, h) - np.arange(out_h) * fy)[:, None] * (
        np.minimum((np.arange(out_w) + 1) * fx, w) - np.arange(out_w) * fx
    )[None, :]
    full = full_y[:, None] & full_x[None, :]
    sums32 = sums.astype(_F32)
    value = np.where(full[:, :, None], sums32 * _F32(1.0 / (fx * fy)), sums32 / count[:, :, None].astype(_F32))
    if x.dtype == _F32:
        return value.astype(_F32)
    out = round_clamp(value, x.dtype, "half-even")
    if fx == 2 and fy == 2 and cn in (1, 3, 4):  # OpenCV's 2x2 kernels: (sum + 2) >> 2
        halved = ((sums.astype(np.int64) + 2) >> 2).astype(x.dtype)
        out = np.where(full[:, :, None], halved, out)
    return out


def _mode(interpolation) -> str:
    if isinstance(interpolation, numbers.Integral) and not isinstance(interpolation, bool):
        if int(interpolation) in FLAGS:
            return FLAGS[int(interpolation)]
    elif interpolation in MODES:
        return interpolation
    raise ValueError(f"cv2_resize: unknown interpolation {interpolation!r}; expected one of: {', '.join(MODES)}")


def _is_int(v) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)
