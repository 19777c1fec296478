"""A slow, obviously correct NumPy apply of a taps table: the oracle for the other backends."""

import numpy as np


def resample_axis(src, index, weight, out):
    gathered = src[:, index, :].astype(weight.dtype)  # (P, n_out, K, Q)
    acc = np.einsum("jk,pjkq->pjq", weight, gathered)
    if np.issubdtype(out.dtype, np.integer):
        info = np.iinfo(out.dtype)
        acc = np.clip(np.floor(acc + 0.5), info.min, info.max)
    out[...] = acc
