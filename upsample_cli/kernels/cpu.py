"""Numba CPU backend: one parallel pass per resized axis.

Rows ``(p, j)`` of the output are split into chunks run in parallel; each row is accumulated
tap by tap over the contiguous ``Q`` axis, so the inner loop is a multiply-add over memory
that the compiler vectorises.
"""

import numba
import numpy as np
from numba import njit, prange


@njit(parallel=True, cache=True, nogil=True)
def _resample(src, index, weight, out, rounding, lo, hi):
    n_outer = src.shape[0]
    n_inner = src.shape[2]
    n_out, n_taps = index.shape
    rows = n_outer * n_out
    chunks = min(rows, 16 * numba.get_num_threads())
    for c in prange(chunks):
        acc = np.empty(n_inner, weight.dtype)
        for r in range(c * rows // chunks, (c + 1) * rows // chunks):
            p = r // n_out
            j = r - p * n_out
            acc[:] = 0
            for k in range(n_taps):
                w = weight[j, k]
                if w != 0:
                    line = src[p, index[j, k]]
                    for q in range(n_inner):
                        acc[q] += w * line[q]
            dst = out[p, j]
            if rounding:
                for q in range(n_inner):
                    dst[q] = min(max(np.floor(acc[q] + 0.5), lo), hi)
            else:
                for q in range(n_inner):
                    dst[q] = acc[q]


def resample_axis(src, index, weight, out):
    if np.issubdtype(out.dtype, np.integer):
        info = np.iinfo(out.dtype)
        _resample(src, index, weight, out, True, float(info.min), float(info.max))
    else:
        _resample(src, index, weight, out, False, 0.0, 0.0)
