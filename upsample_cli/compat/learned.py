"""Learned upsampling as Keras 3 and TensorFlow/ONNX spell it.

``keras_conv_transpose2d/3d`` are Keras 3 ``Conv2DTranspose`` / ``Conv3DTranspose`` layers called
on ``x`` with the given kernel ``(*kernel, filters, in_channels)`` and bias: Keras' output size
(``valid``: ``(n - 1) * stride + max(k, stride)``; ``same``: ``n * stride``; with
``output_padding``: ``(n - 1) * stride + k % 2 + output_padding`` (``k`` the dilated kernel), or
``+ k - 2 * pad`` in ``valid``), and its window, which in ``same`` mode may start before the
first input (zeros) or crop unevenly. Floats are computed and returned in float32, the layers'
compute dtype; integer images are computed in float32 and rounded half to even and clamped.

``depth_to_space`` / ``space_to_depth`` are TensorFlow's (``NHWC``, ``DCR`` order: ``(block_row,
block_col, channel)``) and ONNX's (``NCHW``; ``DCR``, or ``CRD``: ``(channel, block_row,
block_col)``, which is torch's ``pixel_shuffle``).
"""

from __future__ import annotations

import numpy as np

from .. import learned
from ..rounding import round_clamp
from .tensorflow import _data_format

MODES = ("DCR", "CRD")
FORMATS = ("NHWC", "NCHW")


def keras_conv_transpose2d(x, kernel, bias=None, strides=1, padding="valid", output_padding=None, dilation_rate=1,
                           data_format=None):
    """Keras 3 ``Conv2DTranspose(filters, kernel.shape[:2], strides, padding, output_padding, data_format,
    dilation_rate)`` with ``kernel`` ``(kh, kw, filters, in)`` and ``bias`` ``(filters,)``."""
    return _keras_conv_transpose(2, x, kernel, bias, strides, padding, output_padding, dilation_rate, data_format)


def keras_conv_transpose3d(x, kernel, bias=None, strides=1, padding="valid", output_padding=None, dilation_rate=1,
                           data_format=None):
    """Keras 3 ``Conv3DTranspose`` with ``kernel`` ``(kd, kh, kw, filters, in)`` and ``bias`` ``(filters,)``."""
    return _keras_conv_transpose(3, x, kernel, bias, strides, padding, output_padding, dilation_rate, data_format)


def keras_window(n_in, kernel, stride, padding, output_padding, dilation):
    """``(crop_left, size)``: where Keras' output starts within the full transposed convolution
    (negative: zeros before it) and its length along one axis (Keras' padding rules, as its JAX
    and torch backends compute them)."""
    k = (kernel - 1) * dilation + 1
    if padding == "valid":
        if output_padding is None:
            output_padding = max(k, stride) - k
        left, right = k - 1, k - 1 + output_padding
    else:
        pad = stride + k - 2 if output_padding is None else k + k % 2 - 2 + output_padding
        left = min(pad // 2 + pad % 2, k - 1)
        right = pad - left
    full = (n_in - 1) * stride + k
    crop_left, crop_right = k - 1 - left, k - 1 - right
    return crop_left, full - crop_left - crop_right


def _keras_conv_transpose(dims, x, kernel, bias, strides, padding, output_padding, dilation_rate, data_format):
    layer = f"Conv{dims}DTranspose"
    x, kernel = np.asarray(x), np.asarray(kernel)
    if x.ndim != dims + 2:
        raise ValueError(f"Input 0 of layer {layer} is incompatible with the layer: expected ndim={dims + 2}, "
                         f"found ndim={x.ndim}. Full shape received: {x.shape}")
    if kernel.ndim != dims + 2:
        raise ValueError(f"{layer} expects a kernel of {dims + 2} dimensions (*kernel_size, filters, in_channels), "
                         f"got shape {kernel.shape}")
    data_format = _data_format(data_format)
    padding = str(padding).lower()
    if padding not in ("valid", "same"):
        raise ValueError(f"The `padding` argument must be one of 'valid', 'same'. Received: padding={padding}")
    strides, dilation = (_tuple(v, dims, name) for v, name in ((strides, "strides"), (dilation_rate, "dilation_rate")))
    pads = [None] * dims if output_padding is None else _tuple(output_padding, dims, "output_padding")
    if min(strides) <= 0 or min(dilation) <= 0:
        raise ValueError(f"strides and dilation_rate must be positive, got strides={strides}, "
                         f"dilation_rate={dilation}")
    for op, s in zip(pads, strides):
        if op is not None and not 0 <= op < s:
            raise ValueError(f"Strides {strides} must be greater than output padding {tuple(pads)}.")
    nc = np.moveaxis(x, -1, 1) if data_format == "channels_last" else x
    c_in = kernel.shape[-1]
    if nc.shape[1] != c_in:
        raise ValueError(f"{layer}: the kernel's last axis ({c_in}) must be the input's channel count "
                         f"({nc.shape[1]})")
    filters = kernel.shape[-2]
    if bias is not None:
        bias = np.asarray(bias)
        if bias.shape != (filters,):
            raise ValueError(f"{layer}: bias must have shape ({filters},), got {bias.shape}")
    windows = [keras_window(n, k, s, padding, op, d)
               for n, k, s, op, d in zip(nc.shape[2:], kernel.shape[:dims], strides, pads, dilation)]
    if min(size for _, size in windows) < 1:
        raise ValueError(f"{layer}: the output would be empty for input shape {x.shape}")
    weight = kernel.transpose(dims + 1, dims, *range(dims))  # (in, filters, *kernel): torch's layout
    b = None if bias is None else bias.astype(np.float32)
    out = learned.transposed_convolution(nc, weight.astype(np.float32), b, strides, [w[0] for w in windows],
                                         [w[1] for w in windows], 1, dilation, np.float32)
    if x.dtype.kind in "iu":
        out = round_clamp(out, x.dtype, "half-even", in_place=True)
    return np.moveaxis(out, 1, -1) if data_format == "channels_last" else out


def _tuple(v, dims, name):
    values = (v,) * dims if isinstance(v, (int, np.integer)) else tuple(v)
    if len(values) != dims or not all(isinstance(e, (int, np.integer)) for e in values):
        raise ValueError(f"The `{name}` argument must be a tuple of {dims} integers. Received: {name}={v}")
    return tuple(int(e) for e in values)


def depth_to_space(x, block_size, data_format="NHWC", mode="DCR"):
    """TensorFlow's ``tf.nn.depth_to_space`` (NHWC, DCR), ONNX's ``DepthToSpace`` (NCHW, DCR or CRD):
    each pixel's ``block_size ** 2 * C`` channels become a ``block_size`` square of ``C``-channel pixels."""
    x, b, nchw = _blocks_args(x, block_size, data_format, mode)
    c = x.shape[1] if nchw else x.shape[3]
    if c % (b * b):
        raise ValueError(f"depth_to_space: the channel count ({c}) must be divisible by block_size ** 2 ({b * b})")
    if nchw:
        n, _, h, w = x.shape
        split = (n, b, b, c // (b * b), h, w) if mode == "DCR" else (n, c // (b * b), b, b, h, w)
        blocks = x.reshape(split)
        if mode == "DCR":
            blocks = blocks.transpose(0, 3, 1, 2, 4, 5)
        return learned.shuffle(blocks, b, b)  # (N, C, b, b, H, W) -> (N, C, H * b, W * b)
    n, h, w, _ = x.shape
    split = (n, h, w, b, b, c // (b * b)) if mode == "DCR" else (n, h, w, c // (b * b), b, b)
    order = (0, 1, 3, 2, 4, 5) if mode == "DCR" else (0, 1, 4, 2, 5, 3)
    return np.ascontiguousarray(x.reshape(split).transpose(order)).reshape(n, h * b, w * b, c // (b * b))


def space_to_depth(x, block_size, data_format="NHWC", mode="DCR"):
    """The inverse of :func:`depth_to_space` (TensorFlow's ``tf.nn.space_to_depth``, ONNX's ``SpaceToDepth``)."""
    x, b, nchw = _blocks_args(x, block_size, data_format, mode)
    h, w = (x.shape[2], x.shape[3]) if nchw else (x.shape[1], x.shape[2])
    if h % b or w % b:
        raise ValueError(f"space_to_depth: height ({h}) and width ({w}) must be divisible by block_size ({b})")
    if nchw:
        n, c = x.shape[:2]
        blocks = x.reshape(n, c, h // b, b, w // b, b)
        order = (0, 3, 5, 1, 2, 4) if mode == "DCR" else (0, 1, 3, 5, 2, 4)
        return np.ascontiguousarray(blocks.transpose(order)).reshape(n, c * b * b, h // b, w // b)
    n, _, _, c = x.shape
    blocks = x.reshape(n, h // b, b, w // b, b, c)
    order = (0, 1, 3, 2, 4, 5) if mode == "DCR" else (0, 1, 3, 5, 2, 4)
    return np.ascontiguousarray(blocks.transpose(order)).reshape(n, h // b, w // b, c * b * b)


def _blocks_args(x, block_size, data_format, mode):
    x = np.asarray(x)
    if x.ndim != 4:
        raise ValueError(f"expected a 4-D input ({data_format}), got shape {x.shape}")
    if data_format not in FORMATS:
        raise ValueError(f"data_format must be one of {', '.join(FORMATS)}, not {data_format!r}")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    if isinstance(block_size, bool) or not isinstance(block_size, (int, np.integer)):
        raise TypeError(f"block_size must be an int, not {type(block_size).__name__}")
    if block_size < 2:
        raise ValueError(f"Value for attr 'block_size' of {block_size} must be at least minimum 2")
    return x, int(block_size), data_format == "NCHW"
