"""Backends that apply a taps table along one axis.

Every backend offers ``resample_axis(src, index, weight, out, shift=0, fused=False)``: ``src`` is
``(P, n_in, Q)``, ``out`` is ``(P, n_out, Q)``, both C-contiguous, and

    out[p, j, q] = sum_k weight[j, k] * src[p, index[j, k], q]

accumulated in ``weight.dtype``. Float weights: an integer ``out`` receives the sum rounded
half up and clamped to its range, a float ``out`` the sum as is. Integer (fixed-point)
weights with ``shift`` fraction bits: ``out`` receives ``(sum + 2**(shift-1)) >> shift``,
clamped. ``fused``: each product added with one rounding (a fused multiply-add), taps in table
order. ``select_axis(src, index, out)`` is the one-tap, weight-1 case: ``out[p, j, q] =
src[p, index[j], q]`` in any dtype. Backends know nothing about modes.

``api.plan`` makes the passes (a plan is data: ``api.explain`` prints it); backends run them.
"""

import numpy as np

from .memory import empty  # noqa: F401 (large arrays on reused memory)

# A row with at least WIDE contiguous samples per output sample is streamed ("wide" loop);
# shorter ones gather each output sample's taps, which costs about GATHER_COST times more per tap.
WIDE = 16
GATHER_COST = 8


def loop_of(n_in: int, q: int) -> str:
    """The CPU loop that runs a pass over ``(P, n_in, q)``: ``"wide"`` streams whole rows, ``"narrow"``
    works on the innermost axis of short pixels."""
    return "wide" if q >= WIDE or n_in == 1 else "narrow"


def bits_of(itemsize: int, q: int):
    """The unsigned dtype a nearest pass copies ``q`` samples of ``itemsize`` bytes as."""
    size = itemsize * q
    return np.dtype(f"u{next(u for u in (8, 4, 2, 1) if size % u == 0)}")


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
