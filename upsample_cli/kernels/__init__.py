"""Backends that apply a taps table along one axis.

Every backend offers ``resample_axis(src, index, weight, out, shift=0)``: ``src`` is
``(P, n_in, Q)``, ``out`` is ``(P, n_out, Q)``, both C-contiguous, and

    out[p, j, q] = sum_k weight[j, k] * src[p, index[j, k], q]

accumulated in ``weight.dtype``. Float weights: an integer ``out`` receives the sum rounded
half up and clamped to its range, a float ``out`` the sum as is. Integer (fixed-point)
weights with ``shift`` fraction bits: ``out`` receives ``(sum + 2**(shift-1)) >> shift``,
clamped. ``select_axis(src, index, out)`` is the one-tap, weight-1 case: ``out[p, j, q] =
src[p, index[j], q]`` in any dtype. Backends know nothing about modes.

A backend may also offer ``resample_pair(src, outer, inner, out, mid_dtype, outer_first)``,
two passes over neighbouring axes of ``src`` ``(P, A, B, Q)`` (``Q < WIDE``) run together (``outer`` and
``inner`` are ``(index, weight, shift)``; the intermediate holds ``mid_dtype``), and
``select_axes(src, indexes, out)``, a nearest resize of every axis whose ``indexes`` entry is
not ``None`` in one pass. ``api.resize_axes`` uses them where they exist, and, where a backend
offers ``plan(name, src_shape, src_dtype, out_shape, out_dtype, before, after)`` (``run(src, out)``
= ``<name>(src, *before, out, *after)`` for arrays of those shapes, planned once), asks it for
each pass when it plans a call.
"""

import numpy as np

from .memory import empty  # noqa: F401 (large arrays on reused memory)

# A row with at least WIDE contiguous samples per output sample is streamed ("wide" loop);
# shorter ones gather their taps, which costs about GATHER_COST times more per tap.
WIDE = 16
GATHER_COST = 8


# Array handling of the backends that work on NumPy arrays (cpu, reference); the CUDA backend
# has its own versions for device arrays.


def prepare(x, order):
    """``x`` in memory order ``order``, C-contiguous (a view when it already is)."""
    return np.ascontiguousarray(x.transpose(order))


def astype(a, dtype):
    return a.astype(dtype, copy=False)


def copy(a):
    return a.copy()


def result(work, inverse, on_device=False):
    return work.transpose(inverse)
