"""``PIL.Image.resize`` (Pillow 13) as taps rules.

Pillow resamples by convolution, always antialiased: the filter is widened by the shrink factor
and each output's weights are normalised (the ``window`` sampler). The width is resized first,
then the height, except when the height shrinks by more than twice as many pixels as the width
(``h - out_h > 2 * (w - out_w)``), which Pillow 13 resizes height first; a pass whose size does
not change, without a ``box``, is skipped. What each pass stores depends on the image mode:

- 8-bit modes (L, LA, RGB, RGBA): weights in fixed point, ``(int)(w * 2**22 +- 0.5)``, integer
  sums, ``(sum + 2**21) >> 22`` clamped to 0..255 after each pass. RGBA and LA are resized
  premultiplied (``(c * a + 128 + ((c * a + 128) >> 8)) >> 8``) and divided back
  (``255 * c // a``, 0 and 255 alpha untouched).
- ``I;16``: double sums, rounded half up and clamped to 0..65535 after each pass.
- ``I`` (int32): double sums rounded half away from zero.
- ``F`` (float32): double sums, stored as float32.

NEAREST is an affine transform with an accumulated coordinate: ``x = box0 + step / 2``, then
``x += step`` per pixel (``step = (box1 - box0) / size``), truncated; for ``I;16`` (Pillow's
generic transform) ``floor((i + 0.5) * step + box0)``. ``box`` coordinates are
float32, as Pillow stores them.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import replace

import numpy as np

from ..filters import Filter
from ..image import check_output_memory
from ..taps import FixedPoint, Rule
from ._passes import device_aware, resample


# --- Pillow's own formulas ---------------------------------------------------------------
#
# The kernels of filters.py written as Pillow evaluates them, in its precision: where a result is
# rounded to an integer (fixed-point weights, 8-bit outputs), the last bit of a weight decides
# the answer, so the formula matters as much as the function.

def _box(x):
    # Pillow's box: 1 on (-0.5, 0.5].
    return ((x > -0.5) & (x <= 0.5)).astype(x.dtype)


def _pillow_bicubic(x):
    # Pillow's bicubic_filter, a = -0.5; the outer piece is (((x - 5) x + 8) x - 4) a.
    a = -0.5
    x = np.abs(x)
    near = ((a + 2.0) * x - (a + 3.0)) * x * x + 1
    far = (((x - 5) * x + 8) * x - 4) * a
    return np.where(x < 1.0, near, np.where(x < 2.0, far, 0.0))


def _pillow_sinc(x):
    with np.errstate(invalid="ignore", divide="ignore"):
        px = x * np.pi
        return np.where(x == 0.0, 1.0, np.sin(px) / px)


def _pillow_lanczos(x):
    # Pillow's lanczos_filter: sinc(x) sinc(x / 3) on [-3, 3).
    return np.where((-3.0 <= x) & (x < 3.0), _pillow_sinc(x) * _pillow_sinc(x / 3), 0.0)


def _pillow_hamming(x):
    # Pillow's hamming_filter; its window constants are the float literals 0.54f and 0.46f.
    x = np.abs(x)
    px = x * np.pi
    with np.errstate(invalid="ignore", divide="ignore"):
        w = np.sin(px) / px * (float(np.float32(0.54)) + float(np.float32(0.46)) * np.cos(px))
    return np.where(x == 0.0, 1.0, np.where(x >= 1.0, 0.0, w))


def _pillow_bilinear(x):
    x = np.abs(x)
    return np.where(x < 1.0, 1.0 - x, 0.0)


PILLOW_BOX = Filter("box", 0.5, _box)
PILLOW_BILINEAR = Filter("triangle", 1.0, _pillow_bilinear)
PILLOW_HAMMING = Filter("hamming", 1.0, _pillow_hamming)
PILLOW_BICUBIC = Filter("cubic(a=-0.5)", 2.0, _pillow_bicubic)
PILLOW_LANCZOS = Filter("lanczos3", 3.0, _pillow_lanczos)


# Pillow's Resampling enum values, accepted as well as the names.
RESAMPLING = {0: "nearest", 4: "box", 2: "bilinear", 5: "hamming", 3: "bicubic", 1: "lanczos"}

MODES = {
    "nearest": "NEAREST: the pixel under the output pixel's centre (accumulated coordinate)",
    "box": "BOX: each input pixel weighs its overlap with the output pixel",
    "bilinear": "BILINEAR: triangle filter, widened when shrinking (antialiased)",
    "hamming": "HAMMING: Hamming-windowed sinc on (-1, 1), widened when shrinking",
    "bicubic": "BICUBIC: Keys cubic, a = -0.5, widened when shrinking (the default)",
    "lanczos": "LANCZOS: Lanczos-3, widened when shrinking",
}

_WINDOW = {
    "box": PILLOW_BOX,
    "bilinear": PILLOW_BILINEAR,
    "hamming": PILLOW_HAMMING,
    "bicubic": PILLOW_BICUBIC,
    "lanczos": PILLOW_LANCZOS,
}

# resample name -> rule for both axes (the box's origin and extent are set per call)
RULES = {"nearest": Rule("point", nearest="accumulate", precision=np.float64)}
RULES.update({name: Rule("window", f, precision=np.float64) for name, f in _WINDOW.items()})

_FIXED_8BIT = FixedPoint(22)  # PRECISION_BITS = 32 - 8 - 2, weights rounded half away from zero

# (dtype, channels) -> Pillow mode; channels 0 is a 2-D array
IMAGE_MODES = {
    ("uint8", 0): "L", ("uint8", 1): "L", ("uint8", 2): "LA", ("uint8", 3): "RGB", ("uint8", 4): "RGBA",
    ("uint16", 0): "I;16", ("int32", 0): "I", ("float32", 0): "F",
}


@device_aware
def pil_resize(array, size, resample="bicubic", box=None, reducing_gap=None) -> np.ndarray:
    """``Image.fromarray(array).resize(size, resample, box, reducing_gap)`` as an array, without Pillow.

    ``array``: ``(H, W)`` uint8 (L), uint16 (I;16), int32 (I) or float32 (F), or ``(H, W, C)``
    uint8 with 2 (LA), 3 (RGB) or 4 (RGBA) channels. ``size=(width, height)``. ``resample``:
    ``nearest, box, bilinear, hamming, bicubic, lanczos`` (or Pillow's enum values).
    ``box=(x0, y0, x1, y1)``: the source region, in pixels (floats allowed); default the
    whole image. ``reducing_gap`` (at least 1): first :func:`pil_reduce` the image by the whole
    factors that leave at least that much shrinking to the filter, as Pillow does (not for
    NEAREST; Pillow cannot reduce ``I;16`` and raises). The result has the input's dtype and channels.
    """
    x = _native(array)
    mode = _image_mode(x)
    name = _resample(resample)
    out_w, out_h = _size(size)
    if reducing_gap is not None and reducing_gap < 1.0:
        raise ValueError("pil_resize: reducing_gap must be 1.0 or greater")
    h, w = x.shape[:2]
    x0, y0, x1, y1 = _box(box, w, h)
    check_output_memory((out_h, out_w) + x.shape[2:], x.dtype, "pil_resize")
    if h == 0 or w == 0:  # Pillow resizes an empty image to a black one
        return np.zeros((out_h, out_w) + x.shape[2:], x.dtype)
    if (out_w, out_h) == (w, h) and (x0, y0, x1, y1) == (0, 0, w, h):
        return x.copy()
    image = x if x.ndim == 3 else x[:, :, None]
    if name == "nearest":
        rule_x, rule_y = _box_rules(name, (x0, y0, x1, y1))
        out = resample_nearest(image, rule_x, rule_y, out_w, out_h, mode)
    else:
        premultiplied = mode in ("LA", "RGBA")
        work = _premultiply(image) if premultiplied else image
        if reducing_gap is not None:
            whole = (0, 0, w, h) if box is None else tuple(float(v) for v in box)  # (doubles, as Pillow's)
            work, (x0, y0, x1, y1) = _reduce_first(work, mode, (out_w, out_h), name, whole, reducing_gap)
        work = _convolve(work, (out_w, out_h), (x0, y0, x1, y1), name, mode)
        out = _unpremultiply(work) if premultiplied else work
    return out if x.ndim == 3 else out[:, :, 0]


def _box_rules(name, box):
    x0, y0, x1, y1 = box
    rule_x = replace(RULES[name], origin=float(x0), extent=float(np.float32(x1) - np.float32(x0)))
    rule_y = replace(RULES[name], origin=float(y0), extent=float(np.float32(y1) - np.float32(y0)))
    return rule_x, rule_y


def _convolve(work, size, box, name, mode):
    """ImagingResample: the width pass, then the height (or the other way round), each skipped
    when its size and box leave the axis as it is."""
    (out_w, out_h), (h, w) = size, work.shape[:2]
    x0, y0, x1, y1 = (float(np.float32(v)) for v in box)  # Pillow's box is float32
    rule_x, rule_y = _box_rules(name, (x0, y0, x1, y1))
    need_x = out_w != w or x0 != 0 or x1 != out_w  # Pillow compares box[2] with the new width
    need_y = out_h != h or y0 != 0 or y1 != out_h
    passes = [(1, rule_x, out_w)] * need_x + [(0, rule_y, out_h)] * need_y
    if need_x and need_y and out_h < h and h - out_h > 2 * (w - out_w):
        passes.reverse()  # Pillow 13 shrinks the height first when it loses twice the pixels
    for axis, rule, n_out in passes:
        work = _pass(work, axis, rule, n_out, mode)
    return work


def _reduce_first(work, mode, size, name, box, gap):
    """``Image.resize``'s ``reducing_gap`` step: the reduced image and the box within it."""
    factor_x = int((box[2] - box[0]) / size[0] / gap) or 1
    factor_y = int((box[3] - box[1]) / size[1] / gap) or 1
    if factor_x == 1 and factor_y == 1:
        return work, box
    # _get_safe_box: the box widened by the pixels the filter reaches
    support = _WINDOW[name].support - 0.5
    reach_x = support * (box[2] - box[0]) / size[0]
    reach_y = support * (box[3] - box[1]) / size[1]
    h, w = work.shape[:2]
    safe = (max(0, int(box[0] - reach_x)), max(0, int(box[1] - reach_y)),
            min(w, math.ceil(box[2] + reach_x)), min(h, math.ceil(box[3] + reach_y)))
    reduced = _reduce(work, mode, factor_x, factor_y, safe)
    moved = ((box[0] - safe[0]) / factor_x, (box[1] - safe[1]) / factor_y,
             (box[2] - safe[0]) / factor_x, (box[3] - safe[1]) / factor_y)
    return reduced, moved


@device_aware
def pil_reduce(array, factor, box=None) -> np.ndarray:
    """``Image.fromarray(array).reduce(factor, box)`` as an array, without Pillow.

    Each output pixel is the mean of a ``factor_x`` x ``factor_y`` block of the region
    ``box=(x0, y0, x1, y1)`` (integers; default the whole image); the blocks of the last row and
    column hold what is left. ``factor``: an integer or ``(factor_x, factor_y)``. 8-bit images
    (L, LA, RGB, RGBA, alpha premultiplied) compute ``((sum + n // 2) * m) >> 24`` with
    ``m = (uint32)(2**32 / (256 n))`` in float32, ``n`` the block's pixels; ``I`` and ``F`` sum
    in double and multiply by ``1 / n`` (``I`` rounded half away from zero). Pillow cannot
    reduce ``I;16`` (ValueError). A factor of 1 is ``Image.crop(box)``.
    """
    x = _native(array)
    mode = _image_mode(x)
    pair = factor if isinstance(factor, (list, tuple)) else (factor, factor)
    if pair == (1, 1):  # (a tuple, as Pillow compares it)
        return _crop(x, box)
    if len(pair) != 2 or not all(_is_int(f) for f in pair):
        raise TypeError(f"pil_reduce: factor must be an integer or two integers, got {factor!r}")
    fx, fy = int(pair[0]), int(pair[1])
    h, w = x.shape[:2]
    region = _int_box(box, w, h)
    if fx < 1 or fy < 1:
        raise ValueError("pil_reduce: scale must be > 0")
    check_output_memory((-(-(region[3] - region[1]) // fy), -(-(region[2] - region[0]) // fx)) + x.shape[2:],
                        x.dtype, "pil_reduce")
    image = x if x.ndim == 3 else x[:, :, None]
    if fx == 1 and fy == 1:
        out = image[region[1]:region[3], region[0]:region[2]].copy()
    elif mode in ("LA", "RGBA"):
        out = _unpremultiply(_reduce(_premultiply(image), mode, fx, fy, region))
    else:
        out = _reduce(image, mode, fx, fy, region)
    return out if x.ndim == 3 else out[:, :, 0]


_BLOCK = Rule("block", precision=np.float64)


def _reduce(image, mode, fx, fy, box):
    """ImagingReduce of ``image[y0:y1, x0:x1]`` (``box`` in integers) by ``fx`` x ``fy``."""
    if mode == "I;16":
        raise ValueError("pil_reduce: image has wrong mode (Pillow cannot reduce I;16)")
    x0, y0, x1, y1 = box
    region = image[y0:y1, x0:x1]
    out_h, out_w = -(-(y1 - y0) // fy), -(-(x1 - x0) // fx)
    sums = resample(region.astype(np.float64), 1, _BLOCK, out_w, 1 / fx, precision=np.float64)
    sums = resample(sums, 0, _BLOCK, out_h, 1 / fy, precision=np.float64)
    count_y = np.minimum(fy, (y1 - y0) - np.arange(out_h) * fy)
    count_x = np.minimum(fx, (x1 - x0) - np.arange(out_w) * fx)
    count = (count_y[:, None] * count_x[None, :])[:, :, None].astype(np.uint64)
    if image.dtype == np.uint8:
        multiplier = (np.float32(2.0**32) / (256 * count).astype(np.float32)).astype(np.uint64)
        return (((sums.astype(np.uint64) + count // 2) * multiplier) >> np.uint64(24)).astype(np.uint8)
    if mode == "F":
        full_y, full_x = (y1 - y0) // fy, (x1 - x0) // fx
        sums[:full_y, :full_x] = _float32_block_sums(region[:full_y * fy, :full_x * fx], fx, fy)
    mean = sums * (1.0 / count.astype(np.float64))
    if mode == "I":  # ROUND_UP: half away from zero
        return np.trunc(np.where(mean >= 0, mean + 0.5, mean - 0.5)).astype(np.int32)
    return mean.astype(np.float32)


def _float32_block_sums(region, fx, fy):
    """The sums of whole ``fx`` x ``fy`` blocks as ImagingReduceNxN_32bpc adds them: 2 x 2
    squares (then pairs, then single pixels at odd edges) summed in float32, into a double."""
    blocks = region.reshape(region.shape[0] // fy, fy, region.shape[1] // fx, fx, region.shape[2])
    ss = np.zeros(blocks.shape[::2], np.float64)
    rows = [(yy, yy + 1) for yy in range(0, fy - 1, 2)] + ([(fy - 1,)] if fy % 2 else [])
    cols = [(xi, xi + 1) for xi in range(0, fx - 1, 2)] + ([(fx - 1,)] if fx % 2 else [])
    for ys in rows:
        for xs in cols:
            group = None
            for yy in ys:  # line0[xx] + line0[xx + 1] + line1[xx] + line1[xx + 1], in float32
                for xi in xs:
                    value = blocks[:, yy, :, xi]
                    group = value if group is None else (group + value).astype(np.float32)
            ss += group
    return ss


def _crop(x, box):
    """``Image.crop(box)``: the box rounded to integers, outside the image black."""
    if box is None:
        return x.copy()
    if len(box) != 4:
        raise TypeError(f"pil_reduce: box must be a sequence of length 4 (x0, y0, x1, y1), not {len(box)}")
    if box[2] < box[0]:
        raise ValueError("pil_reduce: Coordinate 'right' is less than 'left'")
    if box[3] < box[1]:
        raise ValueError("pil_reduce: Coordinate 'lower' is less than 'upper'")
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    h, w = x.shape[:2]
    out = np.zeros((y1 - y0, x1 - x0) + x.shape[2:], x.dtype)
    sx0, sy0, sx1, sy1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if sx1 > sx0 and sy1 > sy0:
        out[sy0 - y0:sy1 - y0, sx0 - x0:sx1 - x0] = x[sy0:sy1, sx0:sx1]
    return out


def _int_box(box, w, h):
    """``Image.reduce``'s box: four integers within the image, not empty."""
    if box is None:
        return 0, 0, w, h
    if not hasattr(box, "__len__") or len(box) != 4 or not all(_is_int(v) for v in box):
        raise TypeError(f"pil_reduce: box must be four integers (x0, y0, x1, y1), got {box!r}")
    x0, y0, x1, y1 = (int(v) for v in box)
    if x0 < 0 or y0 < 0:
        raise ValueError("pil_reduce: box offset can't be negative")
    if x1 > w or y1 > h:
        raise ValueError("pil_reduce: box can't exceed original image size")
    if x1 <= x0 or y1 <= y0:
        raise ValueError("pil_reduce: box can't be empty")
    return x0, y0, x1, y1


def _is_int(v) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _native(array):
    x = np.asarray(array)
    if not x.dtype.isnative:  # Pillow's fromarray reads >u2 as I;16 and >f4 as F: the same values
        x = x.astype(x.dtype.newbyteorder("="))
    return x


def resample_nearest(image, rule_x, rule_y, out_w, out_h, mode):
    if mode == "I;16":  # Pillow's generic transform: floor(box0 + (i + 0.5) * step), not accumulated
        rule_x, rule_y = (replace(r, nearest="half-scaled") for r in (rule_x, rule_y))
    return resample(resample(image, 1, rule_x, out_w, precision=np.float64), 0, rule_y, out_h, precision=np.float64)


def _pass(x, axis, rule, n_out, mode):
    """One pass in the precision and storage of Pillow's mode."""
    if x.dtype == np.uint8:
        return resample(x, axis, replace(rule, fixed_point=_FIXED_8BIT), n_out)
    if mode in ("F", "I;16"):  # double sums; I;16 rounded half up and clamped
        return resample(x, axis, rule, n_out, precision=np.float64)
    sums = resample(x.astype(np.float64), axis, rule, n_out, precision=np.float64)
    return np.trunc(np.where(sums >= 0, sums + 0.5, sums - 0.5)).astype(np.int32)  # ROUND_UP


def _premultiply(x):
    """RGBA -> RGBa: every colour times alpha / 255, Pillow's MULDIV255."""
    alpha = x[:, :, -1:].astype(np.int32)
    t = x[:, :, :-1].astype(np.int32) * alpha + 128
    colour = ((t >> 8) + t) >> 8
    return np.concatenate([colour.astype(np.uint8), x[:, :, -1:]], axis=2)


def _unpremultiply(x):
    """RGBa -> RGBA: ``255 * c // a`` clamped, colours kept where alpha is 0 or 255."""
    alpha = x[:, :, -1:].astype(np.int32)
    colour = x[:, :, :-1].astype(np.int32)
    divided = np.minimum(255 * colour // np.maximum(alpha, 1), 255)
    colour = np.where((alpha == 0) | (alpha == 255), colour, divided)
    return np.concatenate([colour.astype(np.uint8), x[:, :, -1:]], axis=2)


def _image_mode(x) -> str:
    channels = x.shape[2] if x.ndim == 3 else 0
    mode = IMAGE_MODES.get((x.dtype.name, channels)) if x.ndim in (2, 3) else None
    if mode is None:
        raise TypeError(
            f"pil_resize: no Pillow mode for a {x.dtype} array of shape {x.shape}; expected (H, W) uint8, "
            "uint16, int32 or float32, or (H, W, 2|3|4) uint8"
        )
    return mode


def _resample(resample) -> str:
    if isinstance(resample, numbers.Integral) and not isinstance(resample, bool):
        if int(resample) in RESAMPLING:
            return RESAMPLING[int(resample)]
    elif isinstance(resample, str) and resample.lower() in MODES:
        return resample.lower()
    raise ValueError(f"pil_resize: unknown resample {resample!r}; expected one of: {', '.join(MODES)}")


def _size(size):
    if len(size) != 2 or not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in size):
        raise TypeError(f"pil_resize: size must be (width, height) in integers, got {size!r}")
    if size[0] < 1 or size[1] < 1:
        raise ValueError("pil_resize: height and width must be > 0")
    return int(size[0]), int(size[1])


def _box(box, w, h):
    if box is None:
        return 0, 0, w, h
    if not hasattr(box, "__len__") or len(box) != 4:
        got = len(box) if hasattr(box, "__len__") else type(box).__name__
        raise TypeError(f"pil_resize: box must be a sequence of length 4 (x0, y0, x1, y1), not {got}")
    x0, y0, x1, y1 = (float(np.float32(v)) for v in box)
    if x0 < 0 or y0 < 0:
        raise ValueError("pil_resize: box offset can't be negative")
    if x1 > w or y1 > h:
        raise ValueError("pil_resize: box can't exceed original image size")
    if x1 - x0 < 0 or y1 - y0 < 0:
        raise ValueError("pil_resize: box can't be empty")
    return x0, y0, x1, y1
