"""Writing 8-bit gray and RGB BMP files band by band, byte for byte as Pillow writes them.

A BMP is a 54-byte header (with a 256-entry gray palette for gray images) and the rows
bottom-up, RGB as BGR, each padded to a multiple of 4 bytes. Pillow makes its own 4-byte copy
of every pixel first; here a few rows at a time are arranged and written, so writing needs no
memory beyond the pixels. Palette BMPs stay with Pillow.
"""

from __future__ import annotations

import struct
from typing import Optional, Tuple

import numpy as np

# Bytes of rows arranged and written at once.
BAND_BYTES = 1 << 20
# Pillow's resolution when none is given, and its inches-to-metres factor.
_DEFAULT_DPI = (96, 96)
_INCHES_PER_METRE = 39.3701


def writes(pixels: np.ndarray, mode: str) -> bool:
    """Whether this module writes these ``(H, W[, C])`` pixels of a Pillow ``mode``, rather than Pillow."""
    return pixels.dtype == np.uint8 and mode in ("L", "RGB")


def write(tmp: str, pixels: np.ndarray, dpi: Optional[Tuple[float, float]] = None) -> None:
    """Write the ``(H, W)`` gray or ``(H, W, 3)`` RGB uint8 ``pixels`` to ``tmp``."""
    height, width = pixels.shape[:2]
    gray = pixels.ndim == 2
    bits, colours = (8, 256) if gray else (24, 0)
    stride = ((width * bits + 7) // 8 + 3) & ~3
    ppm = tuple(int(d * _INCHES_PER_METRE + 0.5) for d in (dpi or _DEFAULT_DPI))
    offset = 14 + 40 + colours * 4
    size = offset + stride * height
    if size > 2**32 - 1:
        raise ValueError("File size is too large for the BMP format")
    header = b"BM" + struct.pack("<IIIIiiHHIIiiII", size, 0, offset, 40, width, height, 1, bits, 0,
                                 stride * height, ppm[0], ppm[1], colours, colours)
    band = max(1, BAND_BYTES // stride)
    rows = np.zeros((band, stride), np.uint8)  # (the padding stays zero)
    with open(tmp, "wb") as f:
        f.write(header)
        if gray:
            levels = np.arange(256, dtype=np.uint8)
            f.write(np.column_stack([levels, levels, levels, np.zeros(256, np.uint8)]).tobytes())  # B, G, R, 0
        for top in range(height, 0, -band):  # bottom-up
            n = min(band, top)
            part = pixels[top - n : top][::-1]
            rows[:n, : width * (bits // 8)] = (part if gray else part[..., ::-1]).reshape(n, -1)
            f.write(rows[:n])
