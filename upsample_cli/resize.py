"""What ``upsample resize`` does to a file's pixels: settings in, ``interpolate`` on views, image out.

Axes. ``X``, ``Y`` and, on a stack, ``Z`` are resized; channels, time and any other axis are
not. Sizes and factors are given width first (:mod:`upsample_cli.sizes`); the engine takes them
in array order.

Stacks. When the depth does not change (two factors or sizes, a depth factor of 1, or the
depth itself), each slice is resized in-plane by the 2-D form of the mode (``linear`` and
``trilinear`` are ``bilinear``), exactly as torch resizes one image. When it changes, the
mode acts on all three axes: ``linear`` is ``trilinear``; ``nearest``, ``nearest-exact``,
``area``, ``bicubic`` and ``lanczos`` are separable in 3-D; ``bilinear``, a 2-D mode, refuses.
One factor scales all three axes, except with ``bilinear``, which keeps the depth.

Pixel types. uint8, uint16 and floats go to the engine as they are; bool is resized as 0/1
uint8; int8 and int16 in float32, wider integers in float64; integer results are rounded half
up and clamped to their type.

Alpha. An image with a straight alpha channel is resized premultiplied: colours multiplied
by alpha, resized with it, then divided by the resized alpha (rounded, clamped), so transparent
pixels do not bleed their colour into the edges. ``premultiply_alpha=False`` resizes every
channel on its own, as torch would. Nearest modes copy pixels, so they need neither.

Palette images keep their palette with the nearest modes (indices are copied) and are
expanded to RGB or RGBA for every other mode.

Metadata. Resolutions and pixel sizes are scaled by the scale the coordinates were mapped
with (the factor given, or output/input size; with ``align_corners``, (out-1)/(in-1)).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Dict, Optional, Tuple

import numpy as np

from .image import Image, SettingsError, check_output_pixels
from .sizes import Scale, Size, Target, resolve

NEAREST_MODES = ("nearest", "nearest-exact")
_TWO_D = {"linear": "bilinear", "trilinear": "bilinear"}
_THREE_D = {"linear": "trilinear"}
_ENGINE_DTYPES = ("uint8", "uint16", "float16", "float32", "float64")


@dataclass(frozen=True)
class Settings:
    """One resize: the target size, the mode and its flags, the alpha rule, the output limit."""

    target: Target
    mode: str = "linear"
    align_corners: bool = False
    antialias: bool = False
    premultiply_alpha: bool = True
    max_output_pixels: Optional[int] = None
    device: str = "cpu"


@dataclass(frozen=True)
class Plan:
    """The engine call: its mode, the axes it resizes (array order) and their new sizes.

    ``factors`` are the scale factors passed on (None when sizes are), ``coordinate_scales`` the
    scale each resized axis ends up with (output pixels per input pixel), for the metadata.
    """

    mode: str
    axes: str
    sizes: Tuple[int, ...]
    factors: Optional[Tuple[float, ...]]
    coordinate_scales: Dict[str, float]


def plan(image: Image, settings: Settings) -> Plan:
    """What resizing ``image`` with ``settings`` does; ValueError when they do not fit."""
    from .api import output_size

    mode = settings.mode
    stack = image.is_stack
    in_sizes = tuple(image.size(a) for a in ("XYZ" if stack else "XY"))
    if not stack and mode == "trilinear":
        raise ValueError("--mode trilinear resizes 3-D stacks; use linear or bilinear for a 2-D image")
    kind, values = resolve(settings.target, in_sizes, keep_depth_with_one_factor=stack and mode == "bilinear")
    depth_kept = not stack or (values[2] == 1.0 if kind == "scale" else values[2] == in_sizes[2])
    if depth_kept:
        mode, axes = _TWO_D.get(mode, mode), "YX"
    else:
        if mode == "bilinear":
            raise ValueError(
                f"{settings.target}: --mode bilinear resizes each slice of a stack in-plane and keeps its depth; "
                "give W,H only, or use trilinear (or bicubic, lanczos, area, nearest) to resize the depth too"
            )
        mode, axes = _THREE_D.get(mode, mode), "ZYX"
    engine = tuple(reversed(values[: len(axes)]))  # width first -> array order
    in_engine = tuple(image.size(a) for a in axes)
    if kind == "scale":
        sizes, _ = output_size(in_engine, None, engine, None, allow_empty=mode == "area")
        factors = engine
    else:
        sizes, factors = engine, None
    sizes = tuple(int(n) for n in sizes)
    out_shape = tuple(sizes[axes.index(a)] if a in axes else n for a, n in zip(image.axes, image.shape))
    check_output_pixels(out_shape, image.axes, settings.max_output_pixels, settings.target)
    scales = {}
    for i, axis in enumerate(axes):
        n_in, n_out = in_engine[i], sizes[i]
        if settings.align_corners and n_in > 1 and n_out > 1:
            scales[axis] = (n_out - 1) / (n_in - 1)
        elif factors is not None and mode != "area":
            scales[axis] = factors[i]
        else:
            scales[axis] = n_out / n_in
    return Plan(mode, axes, sizes, factors, scales)


def resize_image(image: Image, settings: Settings) -> Image:
    """``image`` resized as ``settings`` say; dtype, axes and layout are kept.

    Raises ValueError or TypeError (from here or from ``interpolate``) for settings that do
    not fit the image, before any large allocation.
    """
    p = plan(image, settings)
    if image.palette is not None and p.mode not in NEAREST_MODES:
        image = image.expanded()
    a = image.array
    alpha_axis = image.channel_axis
    premultiply = (
        settings.premultiply_alpha
        and image.alpha is not None
        and not image.premultiplied
        and alpha_axis is not None
        and p.mode not in NEAREST_MODES
    )
    if premultiply:
        out = _resize_premultiplied(a, image, p, settings)
    else:
        work = _engine_input(a)
        out = _from_engine(_resize_axes(work, image.axes, p, settings), a.dtype)
    return image.with_array(out, metadata=image.metadata.scaled(p.coordinate_scales))


def result_header(image: Image, settings: Settings) -> Image:
    """What :func:`resize_image` will give, without pixels (the header is enough)."""
    p = plan(image, settings)
    if image.palette is not None and p.mode not in NEAREST_MODES:
        image = image.expanded()
    shape = tuple(p.sizes[p.axes.index(a)] if a in p.axes else n for a, n in zip(image.axes, image.shape))
    return replace(image, array=None, shape=shape, metadata=image.metadata.scaled(p.coordinate_scales))


def _resize_axes(a: np.ndarray, axes: str, p: Plan, settings: Settings) -> np.ndarray:
    """``interpolate`` on a ``(N, C, *spatial)`` view of ``a``; the result has ``a``'s axes.

    The channel axis becomes the engine's C and the other non-resized axes its N, so a
    channels-last image is resized in its own memory order without a copy.
    """
    from .api import interpolate

    spatial = [axes.index(letter) for letter in p.axes]
    rest = [i for i in range(a.ndim) if i not in spatial]
    channel = next((i for letter in "SC" for i in rest if axes[i] == letter), None)
    if channel is not None:
        rest = [i for i in rest if i != channel] + [channel]
    order = rest + spatial
    view = a.transpose(order)
    lead = view.shape[: len(rest)]
    if len(rest) < 2:
        view = view.reshape((1,) * (2 - len(rest)) + view.shape)
    elif len(rest) > 2:
        view = view.reshape((-1, lead[-1]) + view.shape[len(rest) :])
    out = interpolate(
        view,
        size=None if p.factors is not None else p.sizes,
        scale_factor=p.factors,
        mode=p.mode,
        align_corners=True if settings.align_corners else None,
        antialias=settings.antialias,
        device=settings.device,
    )
    out = out.reshape(lead + out.shape[2:])
    return out.transpose(np.argsort(order))


def _engine_input(a: np.ndarray) -> np.ndarray:
    """``a`` in a dtype the engine takes (see the module docstring)."""
    if a.dtype.name in _ENGINE_DTYPES:
        return a
    if a.dtype == np.bool_:
        return a.view(np.uint8)
    return a.astype(np.float32 if a.dtype.itemsize <= 2 else np.float64)


def _from_engine(out: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """The engine's result back in ``dtype``: integers rounded half up and clamped."""
    if out.dtype == dtype:
        return out
    if dtype == np.bool_:
        return out != 0
    if dtype.kind in "iu" and out.dtype.kind == "f":
        info = np.iinfo(dtype)
        high = float(info.max)
        if int(high) > info.max:  # 64-bit: the float nearest the maximum is past it
            high = float(np.nextafter(high, 0))
        np.add(out, 0.5, out=out)  # (in place: ``out`` is the engine's own result)
        np.floor(out, out=out)
        np.clip(out, float(info.min), high, out=out)
    return out.astype(dtype)


def _resize_premultiplied(a: np.ndarray, image: Image, p: Plan, settings: Settings) -> np.ndarray:
    """Colours times alpha, resized with it, divided by the resized alpha (see the module docstring)."""
    axis, alpha = image.channel_axis, image.alpha
    wide = a.dtype == np.float64 or (a.dtype.kind in "iu" and a.dtype.itemsize >= 4)
    work_type = np.float64 if wide else np.float32
    opaque = float(np.iinfo(a.dtype).max) if a.dtype.kind in "iu" else 1.0
    work = np.moveaxis(a.astype(work_type), axis, -1)  # a view; channels last
    weight = work[..., alpha] / work_type(opaque)
    colour = [i for i in range(work.shape[-1]) if i != alpha]
    for i in colour:  # one channel at a time: no full-size temporaries
        work[..., i] *= weight
    out = np.moveaxis(_resize_axes(np.moveaxis(work, -1, axis), image.axes, p, settings), axis, -1)
    weight = out[..., alpha] / work_type(opaque)
    covered = weight > 0
    np.divide(1, weight, out=weight, where=covered)
    weight[~covered] = 0  # fully transparent: colour 0
    for i in colour:
        out[..., i] *= weight
    return _from_engine(np.moveaxis(out, -1, axis), a.dtype)


__all__ = [
    "NEAREST_MODES", "Plan", "Scale", "Settings", "SettingsError", "Size", "plan", "resize_image", "result_header",
]
