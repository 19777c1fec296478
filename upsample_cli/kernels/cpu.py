"""Numba CPU backend: one parallel pass per resized axis.

Two loop shapes, chosen by the length ``Q`` of the contiguous inner axis:

* wide (``Q >= 16``, a pass over an outer axis): output rows ``(p, j)`` are split into
  chunks; each row is accumulated tap by tap over ``Q`` contiguous samples, a multiply-add
  the compiler vectorises.
* narrow (the innermost axis, ``Q`` = channels or 1): (output sample, channel) pairs are
  flattened into one lane axis with expanded tables; each lane gathers its taps, four image
  rows at a time so that every table entry read serves four rows.

Fixed-point taps (int32 weights) are summed in integers, so 8-bit results match the
libraries' integer arithmetic exactly.
"""

import numpy as np
from numba import get_num_threads, njit, prange, types
from numba.extending import overload

from . import WIDE, astype, copy, empty, prepare, result  # noqa: F401 (array handling)


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


@njit(inline="always")
def _store(acc, dst, rounding, half, shift, lo, hi):
    """Write a row of sums, rounded and clamped when the output is an integer type."""
    if rounding:
        for i in range(dst.shape[0]):
            dst[i] = _finish(acc[i], half, shift, lo, hi)
    else:
        for i in range(dst.shape[0]):
            dst[i] = acc[i]


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
            _store(acc, out[p, j], rounding, half, shift, lo, hi)


@njit(parallel=True, cache=True, nogil=True)
def _narrow(src, flat_index, flat_weight, out, rounding, half, shift, lo, hi):
    # src (P, n_in * Q), out (P, n_out * Q); flat tables (K, n_out * Q) address samples
    # directly. Four rows share each table read; a short last block repeats its final row.
    n_taps, n_flat = flat_index.shape
    rows = src.shape[0]
    for b in prange((rows + 3) // 4):
        first = 4 * b
        l0, l1 = src[first], src[min(first + 1, rows - 1)]
        l2, l3 = src[min(first + 2, rows - 1)], src[min(first + 3, rows - 1)]
        acc = np.zeros((4, n_flat), flat_weight.dtype)
        a0, a1, a2, a3 = acc[0], acc[1], acc[2], acc[3]
        for k in range(n_taps):
            for t in range(n_flat):
                i = flat_index[k, t]
                w = flat_weight[k, t]
                a0[t] += _mul(w, l0[i])
                a1[t] += _mul(w, l1[i])
                a2[t] += _mul(w, l2[i])
                a3[t] += _mul(w, l3[i])
        for r in range(min(4, rows - first)):
            _store(acc[r], out[first + r], rounding, half, shift, lo, hi)


def resample_axis(src, index, weight, out, shift=0):
    rounding = out.dtype.kind in "iu"
    cast = weight.dtype.type
    if rounding:
        info = np.iinfo(out.dtype)
        half, lo, hi = cast((1 << (shift - 1)) if shift else 0.5), cast(info.min), cast(info.max)
    else:
        half = lo = hi = cast(0)
    n_outer, _, n_inner = src.shape
    chunks = max(1, min(n_outer * index.shape[0], 16 * get_num_threads()))
    if n_inner >= WIDE or n_outer < chunks:
        _wide(src, index, weight, out, chunks, rounding, half, shift, lo, hi)
    else:
        # Flatten (output sample, channel) so the innermost loop runs over n_out * Q entries.
        lanes = np.arange(n_inner, dtype=np.int32)
        flat_index = (index.T[:, :, None] * n_inner + lanes).reshape(index.shape[1], -1).astype(np.int32)
        flat_weight = np.repeat(weight.T, n_inner, axis=1)
        _narrow(src.reshape(n_outer, -1), flat_index, np.ascontiguousarray(flat_weight),
                out.reshape(n_outer, -1), rounding, half, shift, lo, hi)


@njit(parallel=True, cache=True, nogil=True)
def _select_rows(src, index, out):
    n_out = index.shape[0]
    for r in prange(src.shape[0] * n_out):
        p = r // n_out
        out[p, r - p * n_out] = src[p, index[r - p * n_out]]


@njit(parallel=True, cache=True, nogil=True)
def _select_lanes(src, flat_index, out):
    for p in prange(src.shape[0]):
        line = src[p]
        dst = out[p]
        for t in range(flat_index.shape[0]):
            dst[t] = line[flat_index[t]]


def select_axis(src, index, out):
    # A copy needs only the bits: one kernel per item size serves every dtype (float16 too).
    bits = np.dtype(f"u{src.itemsize}")
    src, out = src.view(bits), out.view(bits)
    n_outer, _, n_inner = src.shape
    if n_inner >= WIDE or n_outer < get_num_threads():
        _select_rows(src, index, out)
    else:
        flat_index = (index[:, None] * n_inner + np.arange(n_inner)).ravel()
        _select_lanes(src.reshape(n_outer, -1), flat_index, out.reshape(n_outer, -1))
