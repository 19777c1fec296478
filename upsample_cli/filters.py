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


def _hamming(x):
    # Pillow's Hamming-windowed sinc on (-1, 1).
    x = np.abs(x)
    w = _sinc(x) * (0.54 + 0.46 * np.cos(np.pi * x))
    return np.where(x < 1, w, 0).astype(x.dtype, copy=False)


def _gaussian(x):
    # TensorFlow's: sigma 0.5, radius 1.5.
    sigma = 0.5
    return np.where(np.abs(x) < 1.5, np.exp(-x * x / (2 * sigma * sigma)), 0).astype(x.dtype, copy=False)


def mitchell(b: float = 1 / 3, c: float = 1 / 3) -> Callable[[np.ndarray], np.ndarray]:
    """Mitchell-Netravali cubic with parameters ``b`` and ``c``."""

    def fn(x):
        x = np.abs(x)
        near = ((12 - 9 * b - 6 * c) * x**3 + (-18 + 12 * b + 6 * c) * x**2 + (6 - 2 * b)) / 6
        far = ((-b - 6 * c) * x**3 + (6 * b + 30 * c) * x**2 + (-12 * b - 48 * c) * x + (8 * b + 24 * c)) / 6
        return np.where(x < 1, near, np.where(x < 2, far, 0)).astype(x.dtype, copy=False)

    return fn


BOX = Filter("box", 0.5, _box)
TRIANGLE = Filter("triangle", 1.0, _triangle)
HAMMING = Filter("hamming", 1.0, _hamming)
CUBIC_050 = Filter("cubic(a=-0.5)", 2.0, keys_cubic(-0.5))
CUBIC_075 = Filter("cubic(a=-0.75)", 2.0, keys_cubic(-0.75))
LANCZOS3 = Filter("lanczos3", 3.0, lanczos(3))
LANCZOS4 = Filter("lanczos4", 4.0, lanczos(4))
LANCZOS5 = Filter("lanczos5", 5.0, lanczos(5))
GAUSSIAN = Filter("gaussian", 1.5, _gaussian)
MITCHELL = Filter("mitchell", 2.0, mitchell())
