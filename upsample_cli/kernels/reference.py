"""Plain NumPy, obviously correct: the oracle for the other backends, and the quickest start
for a process that resizes one small image (nothing to compile or load)."""

import numpy as np

from . import astype, copy, empty, prepare, result  # noqa: F401 (array handling)

# Samples gathered at once (taps included): blocks of output positions keep memory bounded.
BLOCK = 1 << 22


def resample_axis(src, index, weight, out, shift=0):
    acc_type = np.int64 if shift else weight.dtype
    step = max(1, BLOCK // (src.shape[0] * index.shape[1] * src.shape[2] or 1))
    for j in range(0, index.shape[0], step):
        gathered = src[:, index[j : j + step], :].astype(acc_type)  # (P, block, K, Q)
        acc = np.einsum("jk,pjkq->pjq", weight[j : j + step].astype(acc_type), gathered)
        if shift:
            acc = (acc + (1 << (shift - 1))) >> shift
        elif np.issubdtype(out.dtype, np.integer):
            acc = np.floor(acc + 0.5)
        if np.issubdtype(out.dtype, np.integer):
            info = np.iinfo(out.dtype)
            acc = np.clip(acc, info.min, info.max)
        out[:, j : j + step] = acc


def select_axis(src, index, out):
    out[...] = src[:, index, :]
