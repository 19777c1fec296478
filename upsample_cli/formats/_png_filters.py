"""Undoing PNG's Average and Paeth row filters, which run pixel by pixel (compiled with Numba)."""

import numpy as np
from numba import njit


@njit(cache=True)
def unfilter(data, kinds, bpp):
    """``data[y]`` is row y after filter ``kinds[y]`` (0 None, 1 Sub, 2 Up, 3 Average, 4 Paeth)."""
    height, n = data.shape
    out = np.empty_like(data)
    for y in range(height):
        kind = kinds[y]
        for i in range(n):
            x = np.int32(data[y, i])
            a = np.int32(out[y, i - bpp]) if i >= bpp else np.int32(0)
            b = np.int32(out[y - 1, i]) if y > 0 else np.int32(0)
            if kind == 0:
                v = x
            elif kind == 1:
                v = x + a
            elif kind == 2:
                v = x + b
            elif kind == 3:
                v = x + (a + b) // 2
            else:
                c = np.int32(out[y - 1, i - bpp]) if y > 0 and i >= bpp else np.int32(0)
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                if pa <= pb and pa <= pc:
                    v = x + a
                elif pb <= pc:
                    v = x + b
                else:
                    v = x + c
            out[y, i] = v & 255
    return out
