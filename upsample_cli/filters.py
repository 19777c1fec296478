"""One-dimensional resampling kernels and their support.

Each filter maps a distance ``x`` (in source pixels, or in source pixels divided by the
antialias widening) to a weight. The arithmetic follows the precision of ``x``: a float32
array gives float32 weights, as the C++ libraries compute them for float32 images.

These are torch's kernels and the shared definitions; each other library's own formulas (the
same functions as that library evaluates them) live beside its twin in ``compat/``.
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


# Interpolation kernels given as the weights of their 2 * support taps at a fraction t in
# [0, 1): tap k sits at offset k - support + 1 from floor(source). The taps sampler uses these
# instead of evaluating the kernel at each offset, as the libraries do.


@dataclass(frozen=True)
class TapFilter:
    """An interpolation kernel computed as its taps: ``taps(t)`` is ``(len(t), 2 * support)``."""

    name: str
    support: int
    taps: Callable[[np.ndarray], np.ndarray]


_F = np.float32


def _linear_taps(t):
    # (1 - t, t) in float32, as OpenCV, TensorFlow and most C code compute them.
    t = t.astype(_F)
    return np.stack([_F(1) - t, t], axis=-1)


LINEAR_TAPS = TapFilter("triangle", 1, _linear_taps)


# torch's weights for float16 images, which it stores in float16: the linear kernels round lambda
# to float16 and take 1 - lambda from it in float16; the cubic one computes its four
# coefficients in float32 (its compiled code fuses all but the last multiply-add of each
# polynomial) and rounds them to float16.
_H = np.float16


def _torch_linear_half_taps(t):
    t = t.astype(_H)
    return np.stack([_H(1) - t, t], axis=-1)


def _fma32(a, b, c):
    # a * b + c rounded once to float32 (the product of two float32 is exact in float64)
    return (np.float64(a) * np.asarray(b, np.float64) + np.float64(c)).astype(_F)


def _torch_cubic_taps(t):
    t = t.astype(_F)

    def near(x):  # ((a + 2) x - (a + 3)) x x + 1 at a = -0.75
        return (_fma32(1.25, x, -2.25) * x * x + _F(1)).astype(_F)

    def far(x):  # ((a x - 5 a) x + 8 a) x - 4 a
        return (_fma32(_fma32(-0.75, x, 3.75), x, -6.0) * x + _F(3)).astype(_F)

    s = _F(1) - t
    return np.stack([far(t + _F(1)), near(t), near(s), far(s + _F(1))], axis=-1).astype(_H)


TORCH_LINEAR_HALF = TapFilter("triangle", 1, _torch_linear_half_taps)
TORCH_CUBIC_HALF = TapFilter("cubic(a=-0.75)", 2, _torch_cubic_taps)
