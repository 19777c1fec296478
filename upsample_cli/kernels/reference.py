"""A slow, obviously correct NumPy apply of a taps table: the oracle for the other backends."""

import numpy as np

from . import astype, copy, empty, prepare, result  # noqa: F401 (array handling)


def resample_axis(src, index, weight, out, shift=0):
    acc_type = np.int64 if shift else weight.dtype
    gathered = src[:, index, :].astype(acc_type)  # (P, n_out, K, Q)
    acc = np.einsum("jk,pjkq->pjq", weight.astype(acc_type), gathered)
    if shift:
        acc = (acc + (1 << (shift - 1))) >> shift
    elif np.issubdtype(out.dtype, np.integer):
        acc = np.floor(acc + 0.5)
    if np.issubdtype(out.dtype, np.integer):
        info = np.iinfo(out.dtype)
        acc = np.clip(acc, info.min, info.max)
    out[...] = acc


def select_axis(src, index, out):
    out[...] = src[:, index, :]
