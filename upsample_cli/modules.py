"""Module-like objects for code written against torch's ``nn`` spellings: built with the layer's
arguments, called on an array, they run the function (``Upsample`` -> :func:`interpolate`,
``ConvTranspose2d`` -> :func:`conv_transpose2d`). Weights are NumPy arrays in torch's layout."""

from __future__ import annotations

import numpy as np

from . import learned

__all__ = ["ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d", "Upsample"]


class Upsample:
    """``torch.nn.Upsample(size, scale_factor, mode, align_corners, recompute_scale_factor)``."""

    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None,
                 recompute_scale_factor=None):
        self.size, self.scale_factor, self.mode = size, scale_factor, mode
        self.align_corners, self.recompute_scale_factor = align_corners, recompute_scale_factor

    def __call__(self, input):
        from .api import interpolate

        return interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                           self.recompute_scale_factor)

    forward = __call__

    def __repr__(self):
        shown = f"size={self.size}" if self.size is not None else f"scale_factor={self.scale_factor}"
        return f"Upsample({shown}, mode={self.mode!r})"


class _ConvTranspose:
    dims = 0

    def __init__(self, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
        self.weight = np.asarray(weight)
        self.bias = None if bias is None else np.asarray(bias)
        if self.weight.ndim != self.dims + 2:
            raise ValueError(f"{type(self).__name__} takes a weight of {self.dims + 2} dimensions (in_channels, "
                             f"out_channels/groups, *kernel), got shape {self.weight.shape}")
        self.stride, self.padding, self.output_padding = stride, padding, output_padding
        self.groups, self.dilation = groups, dilation

    @property
    def in_channels(self):
        return self.weight.shape[0]

    @property
    def out_channels(self):
        return self.weight.shape[1] * self.groups

    @property
    def kernel_size(self):
        return tuple(self.weight.shape[2:])

    def __call__(self, input, output_size=None):
        function = getattr(learned, f"conv_transpose{self.dims}d")
        return function(input, self.weight, self.bias, self.stride, self.padding, self.output_padding, self.groups,
                        self.dilation, output_size=output_size)

    forward = __call__

    def __repr__(self):
        return (f"{type(self).__name__}({self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding})")


class ConvTranspose1d(_ConvTranspose):
    """``torch.nn.ConvTranspose1d`` with its weight (and bias) given: ``(in, out/groups, k)``."""

    dims = 1


class ConvTranspose2d(_ConvTranspose):
    """``torch.nn.ConvTranspose2d`` with its weight (and bias) given: ``(in, out/groups, kh, kw)``."""

    dims = 2


class ConvTranspose3d(_ConvTranspose):
    """``torch.nn.ConvTranspose3d`` with its weight (and bias) given: ``(in, out/groups, kd, kh, kw)``."""

    dims = 3
