"""The size syntax of the command line, width first, as users read sizes.

=================  ===================================================================
``--scale 2``      every resized axis times 2
``--scale 1.5,2``  width times 1.5, height times 2 (a stack keeps its depth)
``--scale 2,2,4``  width, height, depth (stacks)
``--size 800x600`` 800 pixels wide, 600 high (a stack keeps its depth)
``--size 800x``    800 wide, the height that keeps the aspect ratio (``x600``: 600 high)
``--size 64x64x32`` width, height, depth (stacks); ``128xx``: the rest keep the proportions
``--size 50%``     the same as ``--scale 0.5``
=================  ===================================================================

A physical target is the other way round, in array order as microscopists write spacings:
``--spacing 2,0.5,0.5`` (the voxel size along Z, Y, X in the file's unit; ``0.5,0.5``: Y, X)
and ``--isotropic`` (cubic voxels at the file's finest spacing) parse to a :class:`Spacing`,
which :mod:`upsample_cli.spacing` resolves against a file's metadata into a :class:`Physical`
target: output sizes and the exact scale factors of the coordinates.

Parsing gives a :class:`Scale`, a :class:`Size` or a :class:`Spacing`; :func:`resolve` turns a
Scale, a Size or a Physical target into per-axis factors or sizes for one image. Errors are
ValueError with a message saying what is accepted.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Optional, Tuple, Union

_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"


@dataclass(frozen=True)
class Scale:
    """Scale factors, width first: one for every axis, or one per axis (W,H or W,H,D)."""

    factors: Tuple[float, ...]

    def __str__(self) -> str:
        return "--scale " + ",".join(f"{f:g}" for f in self.factors)


@dataclass(frozen=True)
class Size:
    """Output sizes in pixels, width first; None keeps the aspect ratio of the given one."""

    sizes: Tuple[Optional[int], ...]

    def __str__(self) -> str:
        return "--size " + "x".join("" if n is None else str(n) for n in self.sizes)


@dataclass(frozen=True)
class Spacing:
    """A voxel size to resample to, in array order (Z, Y, X or Y, X) and the file's unit; ``values``
    None: cubic voxels at the finest spacing of the file (``--isotropic``)."""

    values: Optional[Tuple[float, ...]] = None

    def __str__(self) -> str:
        return "--isotropic" if self.values is None else "--spacing " + ",".join(f"{v:g}" for v in self.values)


@dataclass(frozen=True)
class Physical:
    """A :class:`Spacing` resolved for one file: output ``sizes`` and the ``factors`` (output samples
    per input sample, the exact ratio of the spacings) the coordinates are mapped with, width
    first, and ``spacing``, the output's voxel size ``{axis: (size, unit)}`` it was asked for."""

    asked: Spacing
    sizes: Tuple[int, ...]
    factors: Tuple[float, ...]
    spacing: Tuple[Tuple[str, float, Optional[str]], ...] = ()

    def __str__(self) -> str:
        return str(self.asked)


Target = Union[Scale, Size, Spacing, Physical]


def parse_scale(text: str) -> Scale:
    """``"2"`` -> ``Scale((2.0,))``; ``"1.5,2"`` -> ``Scale((1.5, 2.0))``; ``"50%"`` -> 0.5."""
    parts = [p.strip() for p in text.split(",")]
    factors = []
    for part in parts:
        percent = part.endswith("%")
        number = part[:-1].strip() if percent else part
        if not re.fullmatch(_NUMBER, number):
            factors = None
            break
        factors.append(float(number) / (100 if percent else 1))
    if factors is None or not 1 <= len(factors) <= 3:
        raise ValueError(
            f"{text!r} is not a scale; give one positive number for every axis (2, 0.5, 50%) "
            "or one per axis separated by commas, width first: W,H (1.5,2) or W,H,D for stacks (2,2,1)"
        )
    if not all(math.isfinite(f) and f > 0 for f in factors):
        raise ValueError(f"{text!r}: scale factors must be positive and finite (e.g. 2 or 0.5)")
    return Scale(tuple(factors))


def parse_size(text: str) -> Target:
    """``"800x600"``, ``"800x"``, ``"x600"``, ``"64x64x32"``, ``"128xx"``; ``"50%"`` is a Scale."""
    stripped = text.strip()
    if stripped.endswith("%"):
        try:
            return parse_scale(stripped)
        except ValueError:
            raise ValueError(f"{text!r} is not a percentage; give e.g. 50% or 250%") from None
    parts = [p.strip() for p in stripped.lower().split("x")]
    if len(parts) not in (2, 3) or not all(p == "" or (p.isdigit() and p.isascii()) for p in parts):
        raise ValueError(
            f"{text!r} is not a size; give WIDTHxHEIGHT in pixels (640x480), one of them to keep the "
            "aspect ratio (640x or x480), WIDTHxHEIGHTxDEPTH for stacks (128x128x48), or a percentage (50%)"
        )
    given = [int(p) for p in parts if p]
    if not given:
        raise ValueError(f"{text!r}: give at least one size (e.g. 640x or x480)")
    if len(given) != len(parts) and len(given) != 1:
        raise ValueError(f"{text!r}: to keep the proportions give one size and leave the others empty (e.g. 128xx)")
    if min(given) < 1:
        raise ValueError(f"{text!r}: every size must be at least 1 pixel")
    return Size(tuple(int(p) if p else None for p in parts))


def parse_spacing(text: str) -> Spacing:
    """``"2,0.5,0.5"`` -> ``Spacing((2.0, 0.5, 0.5))`` (Z, Y, X); ``"0.5,0.5"``: Y, X."""
    parts = [p.strip() for p in str(text).split(",")]
    if len(parts) not in (2, 3) or not all(re.fullmatch(_NUMBER, p) for p in parts):
        raise ValueError(
            f"{text!r} is not a spacing; give the voxel size in the file's unit along Z,Y,X (2,0.5,0.5), "
            "or Y,X for images (0.5,0.5)")
    values = tuple(float(p) for p in parts)
    if not all(math.isfinite(v) and v > 0 for v in values):
        raise ValueError(f"{text!r}: voxel sizes must be positive and finite (e.g. 1,0.5,0.5)")
    return Spacing(values)


def resolve(target: Target, in_sizes: Tuple[int, ...], keep_depth_with_one_factor: bool = False):
    """Per-axis factors or sizes, width first, for an image of ``in_sizes`` (W, H[, D]).

    Returns ``("scale", factors)`` or ``("size", sizes)`` with one value per input axis. Two
    values on a stack keep its depth. One factor scales every axis, or only W and H when
    ``keep_depth_with_one_factor``. Raises ValueError when the target does not fit.
    """
    dims = len(in_sizes)
    if isinstance(target, Spacing):
        raise ValueError(f"{target}: a physical spacing needs the file's metadata (upsample_cli.spacing.resolve)")
    if isinstance(target, Physical):
        return "size", target.sizes
    if isinstance(target, Scale):
        f = target.factors
        if len(f) > dims:
            raise ValueError(f"{target}: a 2-D image takes one factor or W,H")
        if len(f) == 1:
            f = f * dims if not keep_depth_with_one_factor else (f[0], f[0], 1.0)[:dims]
        elif len(f) == 2 and dims == 3:
            f = (f[0], f[1], 1.0)
        return "scale", tuple(f)
    sizes = target.sizes
    if len(sizes) > dims:
        raise ValueError(f"{target}: a 2-D image takes WxH (or 640x, x480)")
    known = [(n, m) for n, m in zip(sizes, in_sizes) if n is not None]
    if len(known) != len(sizes) and len(known) != 1:
        raise ValueError(f"{target}: to keep the proportions give one size and leave the others empty")
    if len(known) == 1:  # the others keep the proportions
        ratio = known[0][0] / known[0][1]
        sizes = tuple(n if n is not None else max(1, math.floor(m * ratio + 0.5)) for n, m in zip(sizes, in_sizes))
    if len(sizes) == 2 and dims == 3:
        sizes = sizes + (in_sizes[2],)
    return "size", tuple(sizes)


__all__ = ["Physical", "Scale", "Size", "Spacing", "Target", "parse_scale", "parse_size", "parse_spacing", "resolve"]
