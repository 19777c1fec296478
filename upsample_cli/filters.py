"""One-dimensional resampling kernels and their support.

Each filter maps a distance ``x`` (in source pixels, or in source pixels divided by the
antialias widening) to a weight. The arithmetic follows the precision of ``x``: a float32
array gives float32 weights, as the C++ libraries compute them for float32 images.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class Filter:
    """A resampling kernel: ``fn(x)`` is the weight at distance ``x``, zero for ``|x| >= support``."""

    name: str
    support: float
    fn: Callable[[np.ndarray], np.ndarray]

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.fn(x)


def _box(x):
    # Pillow's box: 1 on (-0.5, 0.5].
    return ((x > -0.5) & (x <= 0.5)).astype(x.dtype)


def _triangle(x):
    return np.maximum(1 - np.abs(x), 0).astype(x.dtype, copy=False)


def keys_cubic(a: float) -> Callable[[np.ndarray], np.ndarray]:
    """Keys' cubic convolution kernel with free parameter ``a`` (-0.5, -0.75)."""

    def fn(x):
        x = np.abs(x)
        near = ((a + 2) * x - (a + 3)) * x * x + 1
        far = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
        return np.where(x < 1, near, np.where(x < 2, far, 0)).astype(x.dtype, copy=False)

    return fn


def _sinc(x):
    # sin(pi x) / (pi x) in the precision of x.
    px = np.pi * x
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(x == 0, 1, np.sin(px) / px).astype(x.dtype, copy=False)


def lanczos(a: int) -> Callable[[np.ndarray], np.ndarray]:
    """Lanczos-``a``: ``sinc(x) * sinc(x / a)`` on ``(-a, a)``."""

    def fn(x):
        return np.where(np.abs(x) < a, _sinc(x) * _sinc(x / a), 0).astype(x.dtype, copy=False)

    return fn


TRIANGLE = Filter("triangle", 1.0, _triangle)
CUBIC_050 = Filter("cubic(a=-0.5)", 2.0, keys_cubic(-0.5))
CUBIC_075 = Filter("cubic(a=-0.75)", 2.0, keys_cubic(-0.75))
LANCZOS3 = Filter("lanczos3", 3.0, lanczos(3))


# --- The libraries' own formulas --------------------------------------------------------
#
# Mathematically the kernels above, but written as each library evaluates them, in its
# precision: where a result is rounded to an integer (fixed-point weights, 8-bit outputs), the
# last bit of a weight decides the answer, so the formula matters as much as the function.


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


# TensorFlow's sampling kernels (sampling_kernels.h), evaluated in float32.
_F = np.float32


def _tf_lanczos(radius):
    def fn(x):
        x = np.abs(x.astype(_F))
        pi = _F(3.14159265359)
        r = _F(radius)
        with np.errstate(invalid="ignore", divide="ignore"):
            w = r * np.sin(pi * x) * np.sin(pi * x / r) / (pi * pi * x * x)
        return np.where(x > r, _F(0), np.where(x <= _F(1e-3), _F(1), w)).astype(_F)

    return fn


def _tf_gaussian(x):
    x = np.abs(x.astype(_F))
    sigma = _F(1.5) / _F(3.0)
    w = np.exp((-x * x).astype(np.float64) / (2.0 * float(sigma) * float(sigma))).astype(_F)
    return np.where(x >= _F(1.5), _F(0), w).astype(_F)


def _tf_triangle(x):
    x = np.abs(x.astype(_F))
    return np.where(x < _F(1), _F(1) - x, _F(0)).astype(_F)


def _tf_keys_cubic(x):
    x = np.abs(x.astype(_F))
    far = ((_F(-0.5) * x + _F(2.5)) * x - _F(4.0)) * x + _F(2.0)
    near = ((_F(1.5) * x - _F(2.5)) * x) * x + _F(1.0)
    return np.where(x >= _F(2), _F(0), np.where(x >= _F(1), far, near)).astype(_F)


def _tf_mitchell(x):
    x = np.abs(x.astype(_F))
    far = (((_F(-7.0 / 18.0)) * x + _F(2.0)) * x - _F(10.0 / 3.0)) * x + _F(16.0 / 9.0)
    near = (((_F(7.0 / 6.0)) * x - _F(2.0)) * x) * x + _F(8.0 / 9.0)
    return np.where(x >= _F(2), _F(0), np.where(x >= _F(1), far, near)).astype(_F)


def _tf_box(x):
    # TensorFlow's BoxKernelFunc: 1 inside, 0.5 at the edge |x| = 0.5 (radius 1).
    x = np.abs(x.astype(_F))
    return np.where(x < _F(0.5), _F(1), np.where(x == _F(0.5), _F(0.5), _F(0))).astype(_F)


TF_TRIANGLE = Filter("triangle", 1.0, _tf_triangle)
TF_KEYS_CUBIC = Filter("cubic(a=-0.5)", 2.0, _tf_keys_cubic)
TF_MITCHELL = Filter("mitchell", 2.0, _tf_mitchell)
TF_LANCZOS1 = Filter("lanczos1", 1.0, _tf_lanczos(1))
TF_LANCZOS3 = Filter("lanczos3", 3.0, _tf_lanczos(3))
TF_LANCZOS5 = Filter("lanczos5", 5.0, _tf_lanczos(5))
TF_GAUSSIAN = Filter("gaussian", 1.5, _tf_gaussian)
TF_BOX = Filter("box", 1.0, _tf_box)


# Interpolation kernels given as the weights of their 2 * support taps at a fraction t in
# [0, 1): tap k sits at offset k - support + 1 from floor(source). The taps sampler uses these
# instead of evaluating the kernel at each offset, as the libraries do.


@dataclass(frozen=True)
class TapFilter:
    """An interpolation kernel computed as its taps: ``taps(t)`` is ``(len(t), 2 * support)``."""

    name: str
    support: int
    taps: Callable[[np.ndarray], np.ndarray]


def _linear_taps(t):
    # (1 - t, t) in float32, as OpenCV, TensorFlow and most C code compute them.
    t = t.astype(_F)
    return np.stack([_F(1) - t, t], axis=-1)


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


def _tf_cubic_table(a):
    i = np.arange(1025)
    x = (i / 1024).astype(_F).astype(np.float64)
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    x1 = (x.astype(_F) + _F(1)).astype(np.float64)
    far = ((a * x1 - 5 * a) * x1 + 8 * a) * x1 - 4 * a
    return near.astype(_F), far.astype(_F)


_TF_CUBIC_NEAR, _TF_CUBIC_FAR = _tf_cubic_table(-0.5)


def _tf_bicubic_taps(t):
    # TensorFlow's ResizeBicubic reads Keys' cubic (a = -0.5) from a table of 1025 entries: the
    # fraction is rounded (half to even) to a multiple of 1/1024.
    offset = np.rint(t.astype(_F) * _F(1024)).astype(np.intp)
    back = 1024 - offset
    return np.stack([_TF_CUBIC_FAR[offset], _TF_CUBIC_NEAR[offset], _TF_CUBIC_NEAR[back], _TF_CUBIC_FAR[back]], axis=-1)


LINEAR_TAPS = TapFilter("triangle", 1, _linear_taps)
OPENCV_LINEAR = LINEAR_TAPS
OPENCV_LINEAR_EXACT = TapFilter("triangle", 1, _linear_taps_double)
OPENCV_CUBIC = TapFilter("cubic(a=-0.75)", 2, _opencv_cubic_taps)
OPENCV_LANCZOS4 = TapFilter("lanczos4", 4, _opencv_lanczos4_taps)
TF_BICUBIC_TABLE = TapFilter("cubic(a=-0.5), 1/1024 table", 2, _tf_bicubic_taps)
