"""The CPU backend's compiled loops: plain Numba functions, one per loop shape.

Each is compiled once per combination of array dtypes it meets (``upsample warmup`` compiles the
usual ones ahead), never per factor, tap count, channel count or size: those are values read at
run time. The loops release the GIL and take the range ``[first, stop)`` of the work units they
run, so that the launcher (``cpu.py``) can share a pass out over threads.

Arrays are C-contiguous; each loop's docstring gives their shapes. Sums are accumulated in the
weights' dtype: float32, float64, or int32 for fixed-point taps with ``shift`` fraction bits, and
written by ``_finish``. Taps are summed in table order; with ``fused`` True, each product is added
with one rounding (a fused multiply-add, ``acc = fma(w, x, acc)``), as torch's compiled kernels
sum float16 images; with ``fused`` None, multiplied and added with a rounding each. A loop is
compiled for one or the other (``_madd``): the usual specialisations hold no fused code.
"""

import numpy as np
from numba import njit, types
from numba.extending import overload

from .simd import fma, gather_fma, gather_madd, gather_mul, lanes

# Samples of a row ``wide`` sums at a time (its row of sums stays in the first-level cache).
BLOCK = 2048


def _finish(acc, shift, out):
    """An accumulated sum as a sample of ``out``'s dtype (compiled from the overload below)."""


@overload(_finish, inline="always")
def _finish_impl(acc, shift, out):
    # Integers: float sums rounded half up, fixed-point sums shifted with rounding, then clamped
    # to the range (saturation, as every library does). Floats: stored as they are.
    if not isinstance(out.dtype, types.Integer):
        return lambda acc, shift, out: acc
    info = np.iinfo(np.dtype(str(out.dtype)))
    lo, hi = info.min, info.max
    if isinstance(acc, types.Integer):

        def finish_fixed(acc, shift, out):
            return min(max((acc + ((1 << shift) >> 1)) >> shift, lo), hi)

        return finish_fixed

    def finish_float(acc, shift, out):
        return min(max(np.floor(acc + 0.5), lo), hi)

    return finish_float


def _as_sum(sample, weight):
    """``sample`` in the sums' type (Numba would widen float32 * uint16 or int32 * uint8 to 64
    bits: slower, and float sums rounded otherwise than the libraries round them)."""


@overload(_as_sum, inline="always")
def _as_sum_impl(sample, weight):
    cast = {types.float32: np.float32, types.float64: np.float64}.get(weight, np.int32)
    return lambda sample, weight: cast(sample)


def _madd(acc, weight, sample, fused):
    """``acc + weight * sample``: rounded once (a fused multiply-add) where ``fused`` is True,
    after each operation where it is None. The choice is made when the loop is compiled (by the
    argument's type), so a loop compiled for ``None`` holds no fused code."""


@overload(_madd, inline="always")
def _madd_impl(acc, weight, sample, fused):
    if isinstance(fused, types.NoneType):
        return lambda acc, weight, sample, fused: acc + weight * sample
    return lambda acc, weight, sample, fused: fma(weight, sample, acc)


def _gather_madd(acc, weight, line, index, e, fused):
    """``simd.gather_madd``, or ``simd.gather_fma`` where ``fused`` is True (see ``_madd``)."""


@overload(_gather_madd, inline="always")
def _gather_madd_impl(acc, weight, line, index, e, fused):
    if isinstance(fused, types.NoneType):
        return lambda acc, weight, line, index, e, fused: gather_madd(acc, weight, line, index, e)
    return lambda acc, weight, line, index, e, fused: gather_fma(acc, weight, line, index, e)


@njit(cache=True, nogil=True)
def wide(src, index, weight, out, shift, fused, first, stop):
    """Output rows ``first..stop`` of ``(P, n_out)``: ``out[p, j] = sum_k weight[j, k] * src[p,
    index[j, k]]``, whole rows at a time (a multiply-add over contiguous samples, vectorised)."""
    n_out, taps = index.shape
    q_all = src.shape[2]
    acc = np.empty(min(BLOCK, q_all), weight.dtype)
    p, j = divmod(first, n_out)
    for _ in range(first, stop):
        for q0 in range(0, q_all, BLOCK):
            n = min(BLOCK, q_all - q0)
            row, w = src[p, index[j, 0], q0 : q0 + n], weight[j, 0]
            for q in range(n):
                acc[q] = w * _as_sum(row[q], w)
            for k in range(1, taps):
                row, w = src[p, index[j, k], q0 : q0 + n], weight[j, k]
                for q in range(n):
                    acc[q] = _madd(acc[q], w, _as_sum(row[q], w), fused)
            dst = out[p, j, q0 : q0 + n]
            for q in range(n):
                dst[q] = _finish(acc[q], shift, out)
        j += 1
        if j == n_out:
            p, j = p + 1, 0


@njit(cache=True, nogil=True)
def narrow(src, index, weight, out, shift, fused, first, stop):
    """Rows ``first..stop`` of ``src`` ``(P, n_in * Q)``, resampled along their short pixels:
    ``out[p, e] = sum_k weight[k, e] * src[p, index[k, e]]``, where ``e`` runs over the output's
    samples (position and channel flattened) and the tables ``(K, n_out * Q)`` name each sample's
    taps within the row (``cpu._per_sample``): a gather, a vector of samples at a time
    (``simd.gather_madd``), from the row converted to the sums' type."""
    taps, m = index.shape
    acc = np.empty(m, weight.dtype)
    line = np.empty(src.shape[1], weight.dtype)
    vectors = m - m % lanes(acc)
    for p in range(first, stop):
        row, dst = src[p], out[p]
        for i in range(row.size):
            line[i] = row[i]
        w, at = weight[0], index[0]
        for e in range(0, vectors, lanes(acc)):
            gather_mul(acc, w, line, at, e)
        for e in range(vectors, m):
            acc[e] = w[e] * line[at[e]]
        for k in range(1, taps):
            w, at = weight[k], index[k]
            for e in range(0, vectors, lanes(acc)):
                _gather_madd(acc, w, line, at, e, fused)
            for e in range(vectors, m):
                acc[e] = _madd(acc[e], w[e], line[at[e]], fused)
        for e in range(m):
            dst[e] = _finish(acc[e], shift, out)


@njit(cache=True, nogil=True)
def select(src, index, out, first, stop):
    """Rows ``first..stop`` of ``out`` ``(R, m)``: ``out[r, e] = src[row[r], index[e]]`` (nearest
    modes copy samples; the launcher passes them as unsigned integers of their size, ``index``
    naming each output sample's source within a row)."""
    for r in range(first, stop):
        line, dst = src[r], out[r]
        for e in range(index.shape[0]):
            dst[e] = line[index[e]]


@njit(cache=True, nogil=True)
def select_rows(src, index, out, first, stop):
    """Output rows ``first..stop`` of ``(P, n_out)``: ``out[p, j] = src[p, index[j]]``, whole rows."""
    n_out = index.shape[0]
    q_all = src.shape[2]
    p, j = divmod(first, n_out)
    for _ in range(first, stop):
        a, dst = src[p, index[j]], out[p, j]
        for q in range(q_all):
            dst[q] = a[q]
        j += 1
        if j == n_out:
            p, j = p + 1, 0
