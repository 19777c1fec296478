"""An image or volume in memory: its pixels, what its axes are, and the metadata that travels with it.

Axes are named with one letter each, as tifffile names them: ``X`` (columns), ``Y`` (rows), ``Z``
(depth) are spatial and get resized; ``S`` (samples: the colours of a pixel), ``C`` (channels),
``T`` (time) and any other letter are not. A PNG is ``"YXS"``, a plain multi-page TIFF ``"ZYX"``,
an ImageJ hyperstack for instance ``"TZCYX"``. Arrays keep the axis order of their file.

No I/O here: the readers in :mod:`upsample_cli.formats` build these objects, the writers consume
them, and :mod:`upsample_cli.resize` changes their pixels and scales their metadata.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import Dict, Optional, Tuple

import numpy as np

from .rounding import round_clamp

SPATIAL = "ZYX"
CHANNEL_AXES = "SC"

# Pixel lengths in inches, for converting resolutions between units.
LENGTH_IN_INCHES = {
    "inch": 1.0,
    "cm": 1 / 2.54,
    "centimeter": 1 / 2.54,
    "mm": 1 / 25.4,
    "millimeter": 1 / 25.4,
    "micron": 1 / 25400,
    "um": 1 / 25400,
    "\u00b5m": 1 / 25400,  # (the micro sign)
    "\u03bcm": 1 / 25400,  # (the Greek letter mu)
    "nm": 1 / 25.4e6,
    "m": 1 / 0.0254,
}


class UpsampleError(Exception):
    """A file that could not be read or written; ``str()`` is ``"<path>: <message>"``."""

    def __init__(self, path, message: str):
        super().__init__(f"{os.fspath(path)}: {message}")
        self.path = os.fspath(path)
        self.message = message

    def __reduce__(self):  # pickled as its two arguments (from a cluster's worker to the client)
        return type(self), (self.path, self.message)


class Refused(Exception):
    """Raised by a reader's ``before_load`` check to stop before decoding; readers let it through."""


class SettingsError(Refused):
    """Settings that do not fit the file (``--axes`` on a PNG, a size a stack cannot take, ...);
    ``str()`` names the file. The command line exits 2 for these, not 1."""


@dataclass(frozen=True)
class Animation:
    """The timing of an animation (APNG, GIF, animated WebP) whose frames are the ``T`` axis.

    ``durations`` holds each frame's display time in milliseconds; ``loop`` the loop count as the
    file states it (Pillow's ``loop``: 0 plays forever), None when the file gives none (a GIF
    without a NETSCAPE block plays once)."""

    durations: Tuple[float, ...]
    loop: Optional[int] = None

    def describe(self) -> str:
        times = ", ".join(_num(d) for d in self.durations[:8]) + (", ..." if len(self.durations) > 8 else "")
        loop = "no loop count (plays once)" if self.loop is None else "loops forever" if self.loop == 0 else \
            f"loop count {self.loop}"
        return f"animation: {len(self.durations)} frames, durations {times} ms, {loop}"


@dataclass(frozen=True)
class Metadata:
    """What is carried from the input to the output.

    ``resolution`` is pixels per ``resolution_unit`` along X and Y (DPI for the Pillow formats,
    the TIFF resolution tags, ImageJ's pixels per ``unit``); ``resolution_unit`` is ``"inch"``,
    ``"cm"``, a length unit ImageJ wrote (``"micron"``) or ``"none"``. ``spacing`` maps an axis to
    ``(pixel size, unit)``: ImageJ's Z spacing, OME's physical sizes. ``animation`` is the timing
    of an animation's frames (:class:`Animation`). A resize multiplies
    resolutions and divides spacings by the scale of their axis (:meth:`scaled`); everything
    else is copied as is.
    """

    icc_profile: Optional[bytes] = None
    exif: Optional[bytes] = None
    resolution: Optional[Tuple[float, float]] = None
    resolution_unit: Optional[str] = None
    spacing: Dict[str, Tuple[float, Optional[str]]] = field(default_factory=dict)
    text: Dict[str, str] = field(default_factory=dict)
    png_chunks: Dict[str, object] = field(default_factory=dict)
    imagej: Dict[str, object] = field(default_factory=dict)
    ome: Dict[str, object] = field(default_factory=dict)
    animation: Optional[Animation] = None

    def scaled(self, factors: Dict[str, float], exact: Optional[Dict[str, Tuple[float, Optional[str]]]] = None
               ) -> "Metadata":
        """The metadata of the image resized by ``factors`` (axis -> output pixels per input pixel).

        ``exact``: pixel sizes ``{axis: (size, unit)}`` the resize made exactly (a resample to a
        physical spacing), recorded as they are rather than as a quotient that floating point
        rounds; X and Y stated as a resolution in a length unit get ``1 / size`` pixels per unit."""
        resolution = self.resolution
        if resolution is not None:
            resolution = (resolution[0] * factors.get("X", 1.0), resolution[1] * factors.get("Y", 1.0))
        spacing = {a: (size / factors.get(a, 1.0), unit) for a, (size, unit) in self.spacing.items()}
        for axis, (size, unit) in (exact or {}).items():
            if axis in spacing:
                spacing[axis] = (size, unit)
            elif axis in "XY" and resolution is not None and unit == self.resolution_unit:
                resolution = (1.0 / size, resolution[1]) if axis == "X" else (resolution[0], 1.0 / size)
        return replace(self, resolution=resolution, spacing=spacing)

    def dpi(self) -> Optional[Tuple[float, float]]:
        """The resolution in pixels per inch, when its unit is a length."""
        if self.resolution is None or self.resolution_unit not in LENGTH_IN_INCHES:
            return None
        inches = LENGTH_IN_INCHES[self.resolution_unit]
        return (self.resolution[0] / inches, self.resolution[1] / inches)

    def describe(self) -> list:
        """One line per item kept, for ``upsample info``."""
        lines = []
        if self.animation is not None:
            lines.append(self.animation.describe())
        if self.resolution is not None:
            x, y = self.resolution
            unit = self.resolution_unit or "none"
            per = "pixels per unit (no unit)" if unit == "none" else f"pixels per {unit}"
            lines.append(f"resolution: {_num(x)} x {_num(y)} {per} (scaled with the resize)")
        for axis, (size, unit) in sorted(self.spacing.items(), key=lambda kv: SPATIAL.find(kv[0])):
            lines.append(f"pixel size {axis}: {_num(size)} {unit or ''}".rstrip() + " (scaled with the resize)")
        if self.icc_profile:
            lines.append(f"ICC profile: {len(self.icc_profile)} bytes")
        if self.exif:
            lines.append(f"EXIF: {len(self.exif)} bytes (orientation applied, sizes and resolution updated)")
        for key, value in self.text.items():
            lines.append(f"text {key!r}: {_short(value)}")
        for key in self.png_chunks:
            lines.append(f"PNG colour chunk: {key}")
        for key, value in self.imagej.items():
            lines.append(f"ImageJ {key}: {_short(str(value))}")
        for key, value in self.ome.items():
            lines.append(f"OME {key}: {_short(str(value))}")
        return lines


@dataclass(frozen=True)
class Image:
    """Pixels and what they are.

    ``array`` is None when only the header was read (:func:`upsample_cli.io.probe`); ``shape``
    and ``dtype`` are known either way. ``axes`` names the array's axes (module docstring).
    ``format`` is the format the file was read as (``"PNG"``, ``"TIFF"``, ``"NPY"``, ...) and
    ``flavour`` its TIFF kind (``"imagej"``, ``"ome"``, ``"shaped"``) or None. ``mode`` is the
    Pillow mode the pixels had and ``photometric`` the TIFF interpretation, when known.
    ``alpha`` is the index of the alpha channel along the channel axis (``S``, else ``C``),
    ``premultiplied`` whether the colours are already multiplied by it. ``palette`` is an
    ``(n, 3)`` or ``(n, 4)`` uint8 RGB(A) table when the array holds palette indices.
    """

    array: Optional[np.ndarray]
    shape: Tuple[int, ...]
    dtype: np.dtype
    axes: str
    format: str
    flavour: Optional[str] = None
    mode: Optional[str] = None
    photometric: Optional[str] = None
    alpha: Optional[int] = None
    premultiplied: bool = False
    palette: Optional[np.ndarray] = None
    metadata: Metadata = field(default_factory=Metadata)

    @classmethod
    def of(cls, array: np.ndarray, axes: str, format: str, **kw) -> "Image":
        return cls(array, tuple(array.shape), array.dtype, axes, format, **kw)

    def with_array(self, array: np.ndarray, **changes) -> "Image":
        """This image with other pixels (same axes unless ``changes`` says otherwise)."""
        return replace(self, array=array, shape=tuple(array.shape), dtype=array.dtype, **changes)

    def expanded(self) -> "Image":
        """A palette image as RGB, or RGBA when the palette has transparency (axes + ``S``).

        Works on a header too (``array`` None).
        """
        colours = self.palette.shape[1]
        rgba = colours == 4
        array = None if self.array is None else self.palette[self.array]
        return replace(
            self, array=array, shape=tuple(self.shape) + (colours,), axes=self.axes + "S", palette=None,
            mode="RGBA" if rgba else "RGB", alpha=3 if rgba else None, premultiplied=False, photometric="rgb",
        )

    def straightened(self) -> "Image":
        """An image with premultiplied alpha as straight alpha (colours divided by alpha)."""
        if not self.premultiplied or self.alpha is None or self.array is None:
            return replace(self, premultiplied=False)
        a = np.moveaxis(self.array, self.channel_axis, -1)
        opaque = float(np.iinfo(a.dtype).max) if a.dtype.kind in "iu" else 1.0
        work = a.astype(np.float64)
        weight = work[..., self.alpha : self.alpha + 1] / opaque
        colour = [i for i in range(work.shape[-1]) if i != self.alpha]
        with np.errstate(divide="ignore", invalid="ignore"):
            work[..., colour] = np.where(weight > 0, work[..., colour] / weight, 0)
        out = np.moveaxis(round_clamp(work, a.dtype, in_place=True), -1, self.channel_axis)
        return self.with_array(out, premultiplied=False)

    @property
    def is_stack(self) -> bool:
        return "Z" in self.axes

    @property
    def channel_axis(self) -> Optional[int]:
        """The position of the colour/channel axis (``S``, else ``C``), or None."""
        for letter in CHANNEL_AXES:
            if letter in self.axes:
                return self.axes.index(letter)
        return None

    @property
    def channels(self) -> int:
        axis = self.channel_axis
        return 1 if axis is None else self.shape[axis]

    def size(self, axis: str) -> int:
        return self.shape[self.axes.index(axis)]

    @property
    def pixels(self) -> int:
        """Pixels (voxels) counted over every axis but the channel ones."""
        return pixel_count(self.shape, self.axes)

    def describe(self) -> str:
        """A short description such as ``"256x192 RGB uint8 image"`` (sizes width first)."""
        sizes = "x".join(str(self.size(a)) for a in "XYZ" if a in self.axes)
        kind = "stack" if self.is_stack else "image"
        if not self.is_stack and "T" in self.axes and self.size("T") > 1:
            kind = f"animation of {self.size('T')} frames"
        what = self.mode or f"{self.channels}-channel"
        return f"{sizes} {what} {self.dtype} {kind}"


def pixel_count(shape, axes: str) -> int:
    n = 1
    for size, letter in zip(shape, axes):
        if letter not in CHANNEL_AXES:
            n *= int(size)
    return n


def check_output_pixels(shape, axes: str, limit: Optional[int], target) -> None:
    """ValueError when an output of ``shape`` would hold more than ``limit`` pixels (None: no limit)."""
    total = pixel_count(shape, axes)
    if limit is not None and total > limit:
        wanted = "x".join(str(shape[axes.index(a)]) for a in "XYZ" if a in axes)
        raise ValueError(
            f"{target}: the output would be {wanted} ({total:,} pixels), more than the limit of "
            f"{limit:,}; raise --max-output-pixels to allow it"
        )


def physical_memory() -> Optional[int]:
    """This machine's memory in bytes, or None where the system does not say."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def check_output_memory(shape, dtype, who: str) -> None:
    """MemoryError, before anything is allocated, when an array of ``shape`` and ``dtype`` is larger
    than this machine's memory (as TensorFlow refuses such a size up front instead of trying)."""
    needed = int(np.prod([int(n) for n in shape], dtype=object)) * np.dtype(dtype).itemsize
    total = physical_memory()
    if total is not None and needed > total:
        raise MemoryError(
            f"{who}: the output {tuple(int(n) for n in shape)} {np.dtype(dtype)} needs {_bytes(needed)}, "
            f"more than this machine's {_bytes(total)} of memory"
        )


def _bytes(n: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} EiB"


def check_axes(axes: str, ndim: Optional[int] = None) -> str:
    """``axes`` upper-cased and checked; raises ValueError saying what is accepted."""
    axes = axes.strip().upper()
    if not axes.isascii() or not axes.isalpha():
        raise ValueError(f"{axes!r} is not an axes string; use one letter per axis, e.g. ZYX, YXC or TZCYX")
    repeated = sorted({a for a in axes if axes.count(a) > 1})
    if repeated:
        raise ValueError(f"axes {axes!r} name {', '.join(repeated)} more than once")
    if "Y" not in axes or "X" not in axes:
        raise ValueError(f"axes {axes!r} need a Y (rows) and an X (columns) axis")
    if ndim is not None and len(axes) != ndim:
        raise ValueError(f"axes {axes!r} name {len(axes)} axes but the array has {ndim}")
    return axes


def _num(x: float) -> str:
    return f"{x:.6g}"


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
