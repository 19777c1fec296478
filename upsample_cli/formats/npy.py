"""NumPy ``.npy`` arrays: read without pickle, written as they are.

A ``.npy`` file stores no axes, so ``--axes`` names them; without it:

===========  ==========================================  ===========
dimensions   shape                                       axes
===========  ==========================================  ===========
2            (H, W)                                      ``YX``
3            (H, W, C) with C from 1 to 4                ``YXC``
3            anything else                               ``ZYX``
4            (D, H, W, C) with C from 1 to 4             ``ZYXC``
other        (give ``--axes``)
===========  ==========================================  ===========

Pixel types: bool, unsigned and signed integers, float16/32/64. Object, string, structured
and complex arrays are refused (a pickled array is never loaded).
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from ..image import Image, Refused, SettingsError, UpsampleError, check_axes

MAGIC = b"\x93NUMPY"


def default_axes(shape) -> Optional[str]:
    """The axes assumed for an array of ``shape`` when none are given (module docstring)."""
    ndim = len(shape)
    if ndim == 2:
        return "YX"
    if ndim == 3:
        return "YXC" if 1 <= shape[-1] <= 4 else "ZYX"
    if ndim == 4 and 1 <= shape[-1] <= 4:
        return "ZYXC"
    return None


def _axes_example(ndim: int) -> str:
    """Examples of ``--axes`` for an ``ndim``-D array: ``"e.g. CZYX or TZYX"``."""
    if ndim == 4:
        return "e.g. CZYX or TZYX"
    return "e.g. " + "QRUVW"[: max(ndim - 5, 0)] + "TCZYX"


def read(path: str, *, axes: Optional[str] = None, before_load=None, load: bool = True) -> Image:
    """Read ``path``; ``before_load(header)`` runs before the data is read."""
    try:
        with open(path, "rb") as f:
            shape, fortran, dtype, offset = _read_header(path, f)
            header = _header(path, shape, dtype, axes)
            if before_load is not None:
                before_load(header)
            if not load:
                return header
            f.seek(0, 2)
            available = f.tell() - offset
            needed = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
            if available < needed:
                raise UpsampleError(path, f"truncated .npy: {needed} bytes of data expected, {available} found")
            f.seek(offset)
            data = np.fromfile(f, dtype=dtype, count=int(np.prod(shape, dtype=np.int64)))
    except (UpsampleError, Refused):
        raise
    except MemoryError:
        raise UpsampleError(path, "not enough memory to read this array") from None
    except OSError as e:
        raise UpsampleError(path, f"cannot read ({e.strerror or e})") from None
    data = data.reshape(shape, order="F" if fortran else "C")
    if not data.dtype.isnative:
        data = data.astype(data.dtype.newbyteorder("="))
    return header.with_array(data)


def _read_header(path: str, f):
    fmt = np.lib.format
    try:
        version = fmt.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = fmt.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, fortran, dtype = fmt.read_array_header_2_0(f)
        else:
            shape, fortran, dtype = fmt._read_array_header(f, version)
    except Exception as e:  # numpy raises ValueError and others for bad headers
        reason = " ".join(str(e).split()) or type(e).__name__
        raise UpsampleError(path, f"not a readable .npy file ({reason})") from None
    return tuple(int(n) for n in shape), bool(fortran), np.dtype(dtype), f.tell()


def _header(path: str, shape, dtype: np.dtype, axes: Optional[str]) -> Image:
    if dtype.hasobject:
        raise UpsampleError(path, "the array holds Python objects (dtype object); only numeric arrays are read")
    if dtype.kind not in "biuf" or dtype.fields is not None or dtype.subdtype is not None or dtype.itemsize > 8:
        raise UpsampleError(
            path, f"pixel type {dtype} is not supported; expected bool, an integer type or float16/32/64"
        )
    if len(shape) < 2:
        raise UpsampleError(path, f"a {len(shape)}-D array is not an image; expected at least 2 dimensions")
    if 0 in shape:
        raise UpsampleError(path, f"image has no pixels (shape {shape})")
    if axes is None:
        axes = default_axes(shape)
        if axes is None:
            raise SettingsError(
                f"{path}: cannot tell the axes of a {len(shape)}-D array {shape}; name them with --axes, one letter "
                f"per axis ({_axes_example(len(shape))})"
            )
    else:
        try:
            axes = check_axes(axes, len(shape))
        except ValueError as e:
            raise SettingsError(f"{path}: --axes {e}") from None
    return Image(None, shape, dtype, axes, "NPY")


def write(tmp: str, image: Image) -> None:
    with open(tmp, "wb") as f:
        np.save(f, image.array, allow_pickle=False)
