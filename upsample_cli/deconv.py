"""A transposed convolution as a file-level resizer: ``upsample deconv`` and ``upsample batch
--deconv-weights`` run it through the file pipeline (reading, limits, atomic writing) as
:class:`~upsample_cli.pipeline.FileResize` with :class:`DeconvSettings`.

An image is convolved over Y and X, a stack over Z, Y and X; the channel axis (``S`` or ``C``)
holds the weight's input channels, and every other axis is a batch. Integer images are computed
in float32 and rounded half up and clamped; float images in their own type (the weights cast to it).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Optional, Tuple

import numpy as np

from .pipeline import Plan, to_batch


@dataclass(frozen=True)
class DeconvSettings:
    """The weights file (and tensor, layout) and the convolution's arguments, one int per axis or one for all."""

    weights: str
    weight_key: Optional[str] = None
    layout: str = "torch"
    stride: Tuple[int, ...] = (1,)
    padding: Tuple[int, ...] = (0,)
    output_padding: Tuple[int, ...] = (0,)
    groups: int = 1
    dilation: Tuple[int, ...] = (1,)
    max_output_pixels: Optional[int] = None
    copies_pixels = False  # (a palette image is expanded)

    @property
    def target(self) -> str:
        return "the transposed convolution"

    def checked(self) -> "DeconvSettings":
        self.loaded()
        return self

    def loaded(self):
        """The weights (read once per process)."""
        return _load(self.weights, self.weight_key, self.layout)

    def resizer(self):
        return DECONV


@functools.lru_cache(maxsize=4)
def _load(path, key, layout):
    from . import weights

    return weights.load(path, key, layout)


def _per_axis(values, dims, name):
    if len(values) == 1:
        return values * dims
    if len(values) != dims:
        raise ValueError(f"--{name} takes one number or one per resized axis ({dims} here), not {len(values)}")
    return tuple(reversed(values))  # width first -> array order


class DeconvResizer:
    @staticmethod
    def plan(image, settings: DeconvSettings) -> Plan:
        from .learned import conv_transpose_output_size

        w = settings.loaded()
        spatial = "ZYX" if image.is_stack else "YX"
        dims = len(spatial)
        channel = image.channel_axis
        channels = image.shape[channel] if channel is not None else 1
        w.check(channels, dims, settings.groups)
        args = [_per_axis(v, dims, n) for v, n in ((settings.stride, "stride"), (settings.padding, "padding"),
                                                    (settings.output_padding, "output-padding"),
                                                    (settings.dilation, "dilation"))]
        out_channels = w.weight.shape[1] * settings.groups
        if channel is None and out_channels != 1:
            raise ValueError(f"{w.source}: the weights make {out_channels} channels from a single-channel image; "
                             f"a file without a channel axis holds one")
        sizes = {a: conv_transpose_output_size(image.size(a), k, *per_axis)
                 for a, k, *per_axis in zip(spatial, w.weight.shape[2:], *args)}
        shape = tuple(sizes.get(a, out_channels if i == channel else n)
                      for i, (a, n) in enumerate(zip(image.axes, image.shape)))
        scales = {a: sizes[a] / image.size(a) for a in spatial}
        return Plan(shape, scales, (spatial, args))

    @staticmethod
    def resize(image, settings: DeconvSettings, plan: Plan) -> np.ndarray:
        from . import learned

        w = settings.loaded()
        spatial, (stride, padding, output_padding, dilation) = plan.work
        a = image.array
        batch, back = to_batch(a, image.axes, spatial, channels_last=False)
        dtype = a.dtype if a.dtype.kind == "f" else np.float32
        bias = None if w.bias is None else w.bias.astype(dtype)
        function = getattr(learned, f"conv_transpose{len(spatial)}d")
        out = function(batch, w.weight.astype(dtype), bias, stride, padding, output_padding, settings.groups,
                       dilation)
        return back(out)


DECONV = DeconvResizer()
