"""The vector intrinsics (``kernels/simd.py``) against NumPy: every lane, every dtype they take."""

import numpy as np
import pytest
from numba import njit

from upsample_cli.kernels.simd import gather_madd, gather_mul, lanes


@njit
def _row(acc, weight, line, index, first):
    """Whole vectors of ``acc`` from ``first``: the first tap (``gather_mul``) when ``first``."""
    n = lanes(acc)
    for e in range(0, acc.size - acc.size % n, n):
        if first:
            gather_mul(acc, weight, line, index, e)
        else:
            gather_madd(acc, weight, line, index, e)


@pytest.mark.parametrize("dtype", [np.int32, np.float32, np.float64])
@pytest.mark.parametrize("index_type", [np.int32, np.int64])
def test_gather_multiply_add_is_numpys(dtype, index_type):
    rng = np.random.default_rng(0)
    n = 64 // np.dtype(dtype).itemsize
    size = 5 * n + 3  # (the last 3 samples are no whole vector: left alone)
    line = (rng.integers(-1000, 1000, 301) if dtype == np.int32 else rng.standard_normal(301)).astype(dtype)
    weight = (rng.integers(-50, 50, size) if dtype == np.int32 else rng.standard_normal(size)).astype(dtype)
    index = rng.integers(0, line.size, size).astype(index_type)
    acc = np.full(size, 7, dtype)
    _row(acc, weight, line, index, True)
    expected = weight * line[index]
    np.testing.assert_array_equal(acc[: 5 * n], expected[: 5 * n])
    np.testing.assert_array_equal(acc[5 * n :], 7)
    _row(acc, weight, line, index, False)
    np.testing.assert_array_equal(acc[: 5 * n], expected[: 5 * n] + expected[: 5 * n])


def test_products_and_sums_are_rounded_apart():
    # (1 + 2**-23) * (1 - 2**-24) rounds to 1 in float32, so the product plus -1 is 0; a fused
    # multiply-add, rounding once, would give 2**-24 - 2**-47.
    acc = np.full(16, -1, np.float32)
    weight = np.full(16, 1 + 2.0**-23, np.float32)
    line = np.array([1 - 2.0**-24], np.float32)
    _row(acc, weight, line, np.zeros(16, np.int32), False)
    np.testing.assert_array_equal(acc, (weight * line[0]) + np.float32(-1))
