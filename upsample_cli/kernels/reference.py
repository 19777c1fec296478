"""Plain NumPy, obviously correct: the oracle for the other backends, and the quickest start
for a process that resizes one small image (nothing to compile or load)."""

import numpy as np

from . import astype, copy, empty, prepare, result  # noqa: F401 (array handling)

# Samples summed at once: blocks of output positions keep the temporaries bounded.
BLOCK = 1 << 22


def resample_axis(src, index, weight, out, shift=0, fused=False):
    # Taps summed one at a time, in order, as the compiled loops sum them; int32 sums for
    # fixed-point weights (as the libraries' integer paths). Fused: each product added in float64
    # and rounded once (exact products of float32 weights and samples; the sum is rounded twice,
    # unlike a fused multiply-add, only where it needs more than 53 bits).
    acc_type = np.int32 if shift else weight.dtype
    if fused and acc_type == np.float32:
        step = max(1, BLOCK // (src.shape[0] * src.shape[2] or 1))
        for j in range(0, index.shape[0], step):
            taps, weights = index[j : j + step], weight[j : j + step, :, None].astype(np.float64)
            acc = np.zeros(src[:, taps[:, 0], :].shape, np.float32)
            for k in range(index.shape[1]):
                acc = (weights[:, k] * src[:, taps[:, k], :] + acc).astype(np.float32)
            out[:, j : j + step] = acc
        return
    step = max(1, BLOCK // (src.shape[0] * src.shape[2] or 1))
    for j in range(0, index.shape[0], step):
        taps, weights = index[j : j + step], weight[j : j + step, :, None].astype(acc_type)
        acc = np.multiply(weights[:, 0], src[:, taps[:, 0], :], dtype=acc_type)
        for k in range(1, index.shape[1]):
            acc += np.multiply(weights[:, k], src[:, taps[:, k], :], dtype=acc_type)
        if shift:
            acc += 1 << (shift - 1)
            acc >>= shift
        elif np.issubdtype(out.dtype, np.integer):
            acc += 0.5
            np.floor(acc, out=acc)
        if np.issubdtype(out.dtype, np.integer):
            info = np.iinfo(out.dtype)
            np.clip(acc, info.min, info.max, out=acc)
        out[:, j : j + step] = acc


def select_axis(src, index, out):
    out[...] = src[:, index, :]
