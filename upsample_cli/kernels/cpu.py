"""Numba CPU backend: one parallel pass per resized axis.

Two loop shapes, chosen by the length ``Q`` of the contiguous inner axis:

* wide (``Q >= 16``, a pass over an outer axis): output rows ``(p, j)`` are split into
  chunks; each row is accumulated tap by tap over ``Q`` contiguous samples, a multiply-add
  the compiler vectorises.
* narrow (the innermost axis, ``Q`` = channels or 1): each output sample is a short dot
  product kept in a register.

Fixed-point taps (int32 weights) are summed in integers, so 8-bit results match the
libraries' integer arithmetic exactly.
"""

import numpy as np
from numba import njit, prange, types
from numba.extending import overload

WIDE = 16


def _finish(acc, half, shift, lo, hi):
    """Round an accumulated sum and clamp it to an integer range (Numba overload below)."""


@overload(_finish, inline="always")
def _finish_impl(acc, half, shift, lo, hi):
    if isinstance(acc, types.Integer):
        return lambda acc, half, shift, lo, hi: min(max((acc + half) >> shift, lo), hi)
    return lambda acc, half, shift, lo, hi: min(max(np.floor(acc + half), lo), hi)


def _mul(weight, sample):
    """``weight * sample`` in the weight's type (Numba would widen float32 * uint16 to float64)."""


@overload(_mul, inline="always")
def _mul_impl(weight, sample):
    cast = np.int32 if isinstance(weight, types.Integer) else (np.float32 if weight.bitwidth == 32 else np.float64)
    return lambda weight, sample: weight * cast(sample)


@njit(parallel=True, cache=True, nogil=True)
def _wide(src, index, weight, out, chunks, rounding, half, shift, lo, hi):
    n_inner = src.shape[2]
    n_out, n_taps = index.shape
    rows = src.shape[0] * n_out
    for c in prange(chunks):
        acc = np.empty(n_inner, weight.dtype)
        for r in range(c * rows // chunks, (c + 1) * rows // chunks):
            p = r // n_out
            j = r - p * n_out
            line = src[p, index[j, 0]]
            w = weight[j, 0]
            for q in range(n_inner):
                acc[q] = _mul(w, line[q])
            for k in range(1, n_taps):
                w = weight[j, k]
                if w != 0:
                    line = src[p, index[j, k]]
                    for q in range(n_inner):
                        acc[q] += _mul(w, line[q])
            dst = out[p, j]
            if rounding:
                for q in range(n_inner):
                    dst[q] = _finish(acc[q], half, shift, lo, hi)
            else:
                for q in range(n_inner):
                    dst[q] = acc[q]


@njit(parallel=True, cache=True, nogil=True)
def _narrow(src, index, weight, out, rounding, half, shift, lo, hi):
    n_inner = src.shape[2]
    n_out, n_taps = index.shape
    for p in prange(src.shape[0]):
        plane = src[p]
        dst = out[p]
        for j in range(n_out):
            for q in range(n_inner):
                acc = _mul(weight[j, 0], plane[index[j, 0], q])
                for k in range(1, n_taps):
                    acc += _mul(weight[j, k], plane[index[j, k], q])
                if rounding:
                    dst[j, q] = _finish(acc, half, shift, lo, hi)
                else:
                    dst[j, q] = acc


def resample_axis(src, index, weight, out, shift=0):
    rounding = np.issubdtype(out.dtype, np.integer)
    if shift:
        half, lo, hi = 1 << (shift - 1), np.iinfo(out.dtype).min, np.iinfo(out.dtype).max
        half, lo, hi = (weight.dtype.type(v) for v in (half, lo, hi))
    elif rounding:
        half, lo, hi = (weight.dtype.type(v) for v in (0.5, np.iinfo(out.dtype).min, np.iinfo(out.dtype).max))
    else:
        half, lo, hi = (weight.dtype.type(0),) * 3
    if src.shape[2] >= WIDE or src.shape[0] < 4:
        from numba import get_num_threads

        chunks = max(1, min(src.shape[0] * index.shape[0], 16 * get_num_threads()))
        _wide(src, index, weight, out, chunks, rounding, half, shift, lo, hi)
    else:
        _narrow(src, index, weight, out, rounding, half, shift, lo, hi)
