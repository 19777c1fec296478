"""What ``upsample resize`` does to the pixels: settings in, ``interpolate`` on a view, image out.

Sizes and scale factors are given as users read them, width first: ``(W, H)`` for images and
``(W, H, D)`` for stacks; the engine takes them in array order ``(D, H, W)``.

On a stack, ``linear`` is trilinear; ``trilinear``, ``area``, ``nearest`` and
``nearest-exact`` act on all three axes; ``bilinear``, ``bicubic`` and ``lanczos`` resize each
slice in-plane and keep the depth.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Optional, Tuple

import numpy as np

from .api import interpolate
from .io import Image

IN_PLANE_MODES = ("bilinear", "bicubic", "lanczos")


@dataclass(frozen=True)
class Settings:
    """One resize: ``scale`` or ``size`` (width first), the mode and its flags."""

    scale: Optional[Tuple[float, ...]] = None
    size: Optional[Tuple[int, ...]] = None
    mode: str = "linear"
    align_corners: bool = False
    antialias: bool = False


def resize_image(image: Image, settings: Settings) -> Image:
    """``image`` resized as ``settings`` say; dtype, channels and layout are kept.

    Raises ValueError or TypeError (from here or from ``interpolate``) for settings that do
    not fit the image.
    """
    a = image.array
    mode = settings.mode
    if image.is_stack:
        vol = a if a.ndim == 4 else a[..., None]  # (Z, Y, X, C)
        in_plane = mode in IN_PLANE_MODES
        mode = "trilinear" if mode == "linear" else mode
        view = vol.transpose(0, 3, 1, 2) if in_plane else vol.transpose(3, 0, 1, 2)[None]
    else:
        if mode == "trilinear":
            raise ValueError("--mode trilinear resizes 3-D stacks; use linear or bilinear for a 2-D image")
        in_plane = True
        mode = "bilinear" if mode == "linear" else mode
        view = a.transpose(2, 0, 1)[None]  # (1, C, H, W), channels-last in memory
    size, scale = _engine_sizes(image, settings, in_plane)
    out = interpolate(
        view,
        size=size,
        scale_factor=scale,
        mode=mode,
        align_corners=True if settings.align_corners else None,
        antialias=settings.antialias,
    )
    if image.is_stack:
        out = out.transpose(0, 2, 3, 1) if in_plane else out[0].transpose(1, 2, 3, 0)
        out = out if a.ndim == 4 else out[..., 0]
    else:
        out = out[0].transpose(1, 2, 0)
    return replace(image, array=out)


def _engine_sizes(image: Image, settings: Settings, in_plane: bool):
    """``(size, scale_factor)`` for ``interpolate``, in array order, for the resized axes."""
    by_size = settings.size is not None
    wanted = settings.size if by_size else settings.scale
    option = ("--size " + "x".join(map(str, wanted))) if by_size else ("--scale " + ",".join(f"{f:g}" for f in wanted))
    if image.is_stack and in_plane:
        if len(wanted) == 3:
            depth = image.array.shape[0]
            if (wanted[2] != depth) if by_size else (wanted[2] != 1):
                raise ValueError(
                    f"{option}: --mode {settings.mode} resizes each slice of a stack in-plane and keeps its "
                    "depth; give W,H only, or use trilinear, area or nearest to resize the depth too"
                )
            wanted = wanted[:2]
    elif image.is_stack and len(wanted) == 2:
        accepted = "WxHxD" if by_size else "one factor or W,H,D"
        raise ValueError(f"{option}: --mode {settings.mode} resizes all three axes of a stack; give {accepted}")
    elif not image.is_stack and len(wanted) == 3:
        accepted = "WxH" if by_size else "one factor or W,H"
        raise ValueError(f"{option}: a 2-D image takes {accepted}")
    if len(wanted) == 1:
        wanted = wanted * (2 if in_plane else 3)
    engine_order = tuple(reversed(wanted))
    if by_size:
        return tuple(int(n) for n in engine_order), None
    return None, tuple(float(f) for f in engine_order)


__all__ = ["IN_PLANE_MODES", "Settings", "resize_image"]
