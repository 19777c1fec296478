"""Torch's file-level resizer (``--convention torch``, the default): ``interpolate`` on views of the file's array.

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

Metadata. Resolutions and pixel sizes are scaled by the scale the coordinates were mapped
with (the factor given, or output/input size; with ``align_corners``, (out-1)/(in-1)).
A physical spacing (:mod:`upsample_cli.spacing`) gives rounded sizes and maps the coordinates
with the exact ratio of the spacings (``interpolate``'s ``scales``). Palettes,
the output limit and the metadata itself are the pipeline's (:mod:`upsample_cli.pipeline`).
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from typing import Optional, Tuple

import numpy as np

from .pipeline import Plan, Settings, header_array, output_shape, to_batch
from .registry import AREA, ENGINE_DTYPES
from .rounding import round_clamp
from .sizes import Physical, resolve


@dataclass(frozen=True)
class EngineCall:
    """The ``interpolate`` call of a plan: its mode, the axes it resizes (array order), their new
    sizes, and the scale factors passed on (None when sizes are); ``scales``, beside sizes, the
    factors the coordinates are mapped with (a physical spacing's exact ratios)."""

    mode: str
    axes: str
    sizes: Tuple[int, ...]
    factors: Optional[Tuple[float, ...]]
    scales: Optional[Tuple[float, ...]] = None

    def arguments(self) -> dict:
        """``interpolate``'s ``size``, ``scale_factor`` and ``scales``."""
        return {"size": None if self.factors is not None else self.sizes, "scale_factor": self.factors,
                "scales": self.scales}


class TorchResizer:
    """The resizer the registry names for ``torch`` (see :mod:`upsample_cli.pipeline`)."""

    @staticmethod
    def plan(image, settings: Settings) -> Plan:
        from .api import output_size

        spec = settings.spec
        stack = image.is_stack
        in_sizes = tuple(image.size(a) for a in ("XYZ" if stack else "XY"))
        if not stack and not spec.images:
            raise ValueError(f"--mode {spec.name} {spec.refusal}")
        kind, values = resolve(settings.target, in_sizes,
                               keep_depth_with_one_factor=stack and spec.volume_mode() is None)
        depth_kept = not stack or (values[2] == 1.0 if kind == "scale" else values[2] == in_sizes[2])
        if depth_kept:
            mode, axes = spec.plane_mode(), "YX"
        else:
            mode, axes = spec.volume_mode(), "ZYX"
            if mode is None:
                raise ValueError(f"{settings.target}: --mode {spec.name} {spec.refusal}")
        engine = tuple(reversed(values[: len(axes)]))  # width first -> array order
        in_engine = tuple(image.size(a) for a in axes)
        given = None
        if kind == "scale":
            sizes, _ = output_size(in_engine, None, engine, None, allow_empty=spec.nature == AREA)
            factors = engine
        else:
            sizes, factors = engine, None
            if isinstance(settings.target, Physical):  # rounded sizes, the exact physical ratios
                given = tuple(reversed(settings.target.factors[: len(axes)]))
        sizes = tuple(int(n) for n in sizes)
        mapped = factors or given
        scales = {}
        for i, axis in enumerate(axes):
            n_in, n_out = in_engine[i], sizes[i]
            if settings.align_corners and n_in > 1 and n_out > 1:
                scales[axis] = (n_out - 1) / (n_in - 1)
            elif mapped is not None and spec.nature != AREA:
                scales[axis] = mapped[i]
            else:
                scales[axis] = n_out / n_in
        shape = output_shape(image, dict(zip(axes, sizes)))
        return Plan(shape, scales, EngineCall(mode, axes, sizes, factors, given))

    @staticmethod
    def resize(image, settings: Settings, plan: Plan) -> np.ndarray:
        a = image.array
        premultiply = (
            settings.premultiply_alpha
            and image.alpha is not None
            and not image.premultiplied
            and image.channel_axis is not None
            and not settings.spec.copies_pixels
        )
        if premultiply:
            return _resize_premultiplied(a, image, plan.work, settings)
        out = _resize_axes(_engine_input(a), image.axes, plan.work, settings)
        return round_clamp(out, a.dtype, in_place=True)  # (the engine's own result)


TORCH = TorchResizer()


def _resize_axes(a: np.ndarray, axes: str, call: EngineCall, settings: Settings) -> np.ndarray:
    """``interpolate`` on a ``(N, C, *spatial)`` view of ``a``; the result has ``a``'s axes."""
    from .api import interpolate

    view, back = to_batch(a, axes, call.axes, channels_last=False)
    out = interpolate(
        view,
        **call.arguments(),
        mode=call.mode,
        align_corners=True if settings.align_corners else None,
        antialias=settings.antialias,
        device=settings.device,
    )
    return back(out)


def _engine_input(a: np.ndarray) -> np.ndarray:
    """``a`` in a dtype the engine takes (see the module docstring)."""
    if a.dtype.name in ENGINE_DTYPES:
        return a
    if a.dtype == np.bool_:
        return a.view(np.uint8)
    return a.astype(np.float32 if a.dtype.itemsize <= 2 else np.float64)


def _resize_premultiplied(a: np.ndarray, image, call: EngineCall, settings: Settings) -> np.ndarray:
    """Colours times alpha, resized with it, divided by the resized alpha (see the module docstring).

    On the CPU the output is made band by band (``blocks``: each band of output rows from its
    region of the input, the same sums as the whole resize), so that the float sums are never
    whole: memory is the input, the output and a few bands."""
    axis, alpha = image.channel_axis, image.alpha
    wide = a.dtype == np.float64 or (a.dtype.kind in "iu" and a.dtype.itemsize >= 4)
    work_type = np.float64 if wide else np.float32
    opaque = work_type(float(np.iinfo(a.dtype).max) if a.dtype.kind in "iu" else 1.0)

    def premultiplied(src):
        """The file-axes region ``src`` premultiplied, as a work array (channels last in memory)."""
        pixels = np.moveaxis(src, axis, -1)
        work = np.empty(pixels.shape, work_type)

        def premultiply(s, d):
            np.multiply(s, (s[..., alpha] / opaque)[..., None], out=d, dtype=work_type)
            d[..., alpha] = s[..., alpha]

        _by_bands(premultiply, pixels, work)
        return np.moveaxis(work, -1, axis)

    def unpremultiply(s, d):
        weight = s[..., alpha] / opaque
        covered = weight > 0
        np.divide(1, weight, out=weight, where=covered)
        weight[~covered] = 0  # fully transparent: colour 0
        for colour in (np.s_[..., :alpha], np.s_[..., alpha + 1 :]):
            s[colour] *= weight[..., None]
        d[...] = round_clamp(s, a.dtype, in_place=True)

    if settings.device != "cpu":
        out = np.moveaxis(_resize_axes(premultiplied(a), image.axes, call, settings), axis, -1)
        result = np.empty(out.shape, a.dtype)
        _by_bands(unpremultiply, out, result)
        return np.moveaxis(result, -1, axis)

    from . import blocks
    from .api import kernel_for, plan_of, record_run

    # Planned on a stand-in laid out as the work arrays are: channels last in memory.
    moved = header_array(a.shape[:axis] + a.shape[axis + 1 :] + (a.shape[axis],), work_type)
    view, _ = to_batch(np.moveaxis(moved, -1, axis), image.axes, call.axes, channels_last=False)
    engine = plan_of(view, **call.arguments(), mode=call.mode, align_corners=True if settings.align_corners else None,
                     antialias=settings.antialias)
    kernel = kernel_for(engine)
    record_run(engine, kernel)
    resized = blocks.resized_axes(engine)
    out_shape = list(a.shape)
    for i, letter in enumerate(call.axes):
        out_shape[image.axes.index(letter)] = resized.get(2 + i, (0, a.shape[image.axes.index(letter)]))[1]
    result = np.empty(out_shape, a.dtype)
    band_axis = image.axes.index(call.axes[0])
    per_row = math.prod(out_shape) // max(1, out_shape[band_axis])
    rows = max(1, BAND_OUTPUT_SAMPLES // max(1, per_row))
    for o0 in range(0, out_shape[band_axis], rows):
        # The band's output rows, all of the other spatial axes; the rest is carried whole.
        block = {2 + i: (0, out_shape[image.axes.index(letter)]) for i, letter in enumerate(call.axes)}
        block[2] = (o0, min(o0 + rows, out_shape[band_axis]))
        needed = blocks.region(engine, block)
        cut = tuple(slice(*needed[2 + call.axes.index(letter)]) if letter in call.axes else slice(None)
                    for letter in image.axes)
        region, back = to_batch(premultiplied(a[cut]), image.axes, call.axes, channels_last=False)
        out = back(blocks.run(engine, region, block, kernel))
        band = tuple(slice(*block[2]) if i == band_axis else slice(None) for i in range(a.ndim))
        _by_bands(unpremultiply, np.moveaxis(out, axis, -1), np.moveaxis(result[band], axis, -1))
    return result


# Output samples of a band of the premultiplied resize.
BAND_OUTPUT_SAMPLES = 1 << 20


# Samples of a band of ``_by_bands`` (its temporaries stay in the processor's cache).
BAND_SAMPLES = 1 << 16


def _by_bands(work, src: np.ndarray, dst: np.ndarray) -> None:
    """``work(src[band], dst[band])`` over bands of the leading axis, shared out over the CPU
    backend's threads once it is loaded (NumPy releases the GIL for its arithmetic)."""
    band = max(1, BAND_SAMPLES // max(1, src[:1].size))
    bands = -(-src.shape[0] // band)

    def run(first, stop):
        for row in range(first * band, min(stop * band, src.shape[0]), band):
            work(src[row : row + band], dst[row : row + band])

    cpu = sys.modules.get("upsample_cli.kernels.cpu")
    if cpu is None:
        run(0, bands)
    else:
        cpu.share(run, (), bands, src.size + dst.size)


__all__ = ["TORCH", "EngineCall", "TorchResizer"]
