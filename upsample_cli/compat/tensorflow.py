"""``tf.image.resize`` (TensorFlow 2) and Keras 3's ``UpSampling1D/2D/3D`` as taps rules.

TensorFlow computes in float32 with half-pixel centres; its kernels, per method:

- ``nearest`` (ResizeNearestNeighbor): ``min(floor((i + 0.5f) * scale), in - 1)``, ``scale =
  in / out`` in float32; the only method that keeps the input dtype.
- ``bilinear`` (ResizeBilinear): ``(i + 0.5f) * scale - 0.5f``, the two neighbours clamped to
  the image; width then height.
- ``bicubic`` (ResizeBicubic): Keys' cubic, ``a = -0.5``, read from a table at multiples of
  1/1024; taps outside the image get weight 0 and the rest are scaled to sum 1; height then width.
- ``area`` (ResizeArea): each input pixel weighs its overlap with the output pixel's box
  (float32), the sum times ``1 / (scale_h * scale_w)``; width then height.
- ``lanczos3``, ``lanczos5``, ``gaussian``, ``mitchellcubic``, and ``bilinear``/``bicubic`` with
  ``antialias=True`` (ScaleAndTranslate): TensorFlow's spans, the kernel widened by the shrink
  factor when antialiasing; height then width.

Every method but ``nearest`` returns float32, from the input rounded to float32.
"""

from __future__ import annotations

import json
import numbers
import os
from dataclasses import replace

import numpy as np

from .. import filters
from ..filters import Filter, TapFilter
from ..image import check_output_memory
from ..taps import Rule
from ..rounding import round_clamp
from ._passes import device_aware, resample


# --- TensorFlow's own formulas ---------------------------------------------------------------
#
# The kernels of filters.py written as TensorFlow evaluates them, in its precision: where a result is
# rounded to an integer (fixed-point weights, 8-bit outputs), the last bit of a weight decides
# the answer, so the formula matters as much as the function.

# Its sampling kernels (sampling_kernels.h), evaluated in float32.
_F = np.float32


def _tf_lanczos(radius):
    def fn(x):
        x = np.abs(x.astype(_F))
        pi = _F(3.14159265359)
        r = _F(radius)
        with np.errstate(invalid="ignore", divide="ignore"):
            w = r * np.sin(pi * x) * np.sin(pi * x / r) / (pi * pi * x * x)
        return np.where(x > r, _F(0), np.where(x <= _F(1e-3), _F(1), w)).astype(_F)

    return fn


def _tf_gaussian(x):
    x = np.abs(x.astype(_F))
    sigma = _F(1.5) / _F(3.0)
    w = np.exp((-x * x).astype(np.float64) / (2.0 * float(sigma) * float(sigma))).astype(_F)
    return np.where(x >= _F(1.5), _F(0), w).astype(_F)


def _tf_triangle(x):
    x = np.abs(x.astype(_F))
    return np.where(x < _F(1), _F(1) - x, _F(0)).astype(_F)


def _tf_keys_cubic(x):
    x = np.abs(x.astype(_F))
    far = ((_F(-0.5) * x + _F(2.5)) * x - _F(4.0)) * x + _F(2.0)
    near = ((_F(1.5) * x - _F(2.5)) * x) * x + _F(1.0)
    return np.where(x >= _F(2), _F(0), np.where(x >= _F(1), far, near)).astype(_F)


def _tf_mitchell(x):
    x = np.abs(x.astype(_F))
    far = (((_F(-7.0 / 18.0)) * x + _F(2.0)) * x - _F(10.0 / 3.0)) * x + _F(16.0 / 9.0)
    near = (((_F(7.0 / 6.0)) * x - _F(2.0)) * x) * x + _F(8.0 / 9.0)
    return np.where(x >= _F(2), _F(0), np.where(x >= _F(1), far, near)).astype(_F)


def _tf_box(x):
    # TensorFlow's BoxKernelFunc: 1 inside, 0.5 at the edge |x| = 0.5 (radius 1).
    x = np.abs(x.astype(_F))
    return np.where(x < _F(0.5), _F(1), np.where(x == _F(0.5), _F(0.5), _F(0))).astype(_F)


TF_TRIANGLE = Filter("triangle", 1.0, _tf_triangle)
TF_KEYS_CUBIC = Filter("cubic(a=-0.5)", 2.0, _tf_keys_cubic)
TF_MITCHELL = Filter("mitchell", 2.0, _tf_mitchell)
TF_LANCZOS1 = Filter("lanczos1", 1.0, _tf_lanczos(1))
TF_LANCZOS3 = Filter("lanczos3", 3.0, _tf_lanczos(3))
TF_LANCZOS5 = Filter("lanczos5", 5.0, _tf_lanczos(5))
TF_GAUSSIAN = Filter("gaussian", 1.5, _tf_gaussian)
TF_BOX = Filter("box", 1.0, _tf_box)



def _tf_cubic_table(a):
    i = np.arange(1025)
    x = (i / 1024).astype(_F).astype(np.float64)
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    x1 = (x.astype(_F) + _F(1)).astype(np.float64)
    far = ((a * x1 - 5 * a) * x1 + 8 * a) * x1 - 4 * a
    return near.astype(_F), far.astype(_F)


_TF_CUBIC_NEAR, _TF_CUBIC_FAR = _tf_cubic_table(-0.5)


def _tf_bicubic_taps(t):
    # TensorFlow's ResizeBicubic reads Keys' cubic (a = -0.5) from a table of 1025 entries: the
    # fraction is rounded (half to even) to a multiple of 1/1024.
    offset = np.rint(t.astype(_F) * _F(1024)).astype(np.intp)
    back = 1024 - offset
    return np.stack([_TF_CUBIC_FAR[offset], _TF_CUBIC_NEAR[offset], _TF_CUBIC_NEAR[back], _TF_CUBIC_FAR[back]], axis=-1)


TF_BICUBIC_TABLE = TapFilter("cubic(a=-0.5), 1/1024 table", 2, _tf_bicubic_taps)


_F32 = np.float32

# method -> (rule, pass order: "hw" height first or "wh" width first)
RULES = {
    "nearest": (Rule("point", nearest="half-scaled", precision=_F32), "wh"),
    "bilinear": (Rule("interp", filters.LINEAR_TAPS, coordinate="tf", precision=_F32), "wh"),
    "bicubic": (Rule("interp", TF_BICUBIC_TABLE, coordinate="tf", edge="drop", precision=_F32), "hw"),
    "area": (Rule("coverage"), "wh"),
    "lanczos3": (Rule("span", TF_LANCZOS3, widen=False), "hw"),
    "lanczos5": (Rule("span", TF_LANCZOS5, widen=False), "hw"),
    "gaussian": (Rule("span", TF_GAUSSIAN, widen=False), "hw"),
    "mitchellcubic": (Rule("span", TF_MITCHELL, widen=False), "hw"),
}
# with antialias=True (nearest and area ignore it)
ANTIALIASED = {
    "bilinear": (Rule("span", TF_TRIANGLE), "hw"),
    "bicubic": (Rule("span", TF_KEYS_CUBIC), "hw"),
    "lanczos3": (Rule("span", TF_LANCZOS3), "hw"),
    "lanczos5": (Rule("span", TF_LANCZOS5), "hw"),
    "gaussian": (Rule("span", TF_GAUSSIAN), "hw"),
    "mitchellcubic": (Rule("span", TF_MITCHELL), "hw"),
}

# ScaleAndTranslate's kernel_type -> kernel (sampling_kernels.h)
KERNEL_TYPES = {
    "lanczos1": TF_LANCZOS1, "lanczos3": TF_LANCZOS3, "lanczos5": TF_LANCZOS5,
    "gaussian": TF_GAUSSIAN, "box": TF_BOX, "triangle": TF_TRIANGLE,
    "keyscubic": TF_KEYS_CUBIC, "mitchellcubic": TF_MITCHELL,
}

KERAS_INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "lanczos3", "lanczos5", "area")
_KERAS_REPEAT = Rule("point", nearest="floor-exact")


@device_aware
def tf_resize(images, size, method="bilinear", preserve_aspect_ratio=False, antialias=False) -> np.ndarray:
    """``tf.image.resize(images, size, method, preserve_aspect_ratio, antialias)`` without TensorFlow.

    ``images``: ``[H, W, C]`` or ``[B, H, W, C]``; ``size=(height, width)``. The result is
    float32, except for ``nearest``, which keeps the input dtype.
    """
    x = np.asarray(images)
    if not x.dtype.isnative:  # (a tensor made from it holds the same values in native order)
        x = x.astype(x.dtype.newbyteorder("="))
    if x.ndim not in (3, 4):
        raise ValueError(f"tf_resize: 'images' must have either 3 or 4 dimensions, got shape {x.shape}")
    name = _method(method)
    h, w = x.shape[-3], x.shape[-2]
    out_h, out_w = _tf_size(size)
    if preserve_aspect_ratio:
        factor = min(_F32(out_h) / _F32(h), _F32(out_w) / _F32(w))
        out_h, out_w = (int(np.rint(_F32(factor * _F32(n)))) for n in (h, w))
    if min(out_h, out_w) <= 0:
        raise ValueError(f"tf_resize: output dimensions must be positive, got {(out_h, out_w)}")
    out_type = x.dtype if name == "nearest" else _F32
    check_output_memory(x.shape[:-3] + (out_h, out_w, x.shape[-1]), out_type, "tf_resize")
    if x.size == 0:
        return np.zeros(x.shape[:-3] + (out_h, out_w, x.shape[-1]), out_type)
    if name == "nearest":
        return _nearest(x, out_h, out_w)
    rule, order = (ANTIALIASED if antialias and name in ANTIALIASED else RULES)[name]
    work = x.astype(_F32)
    h_axis, w_axis = x.ndim - 3, x.ndim - 2
    passes = [(h_axis, out_h), (w_axis, out_w)]
    for axis, n_out in passes if order == "hw" else passes[::-1]:
        work = resample(work, axis, rule, n_out)
    if name == "area":  # ResizeArea sums overlaps, then scales by 1 / (scale_h * scale_w)
        scale = _F32(1.0 / float(_F32(_F32(h) / _F32(out_h)) * _F32(_F32(w) / _F32(out_w))))
        work = (work * scale).astype(_F32)
    return work


@device_aware
def tf_resize_with_pad(image, target_height, target_width, method="bilinear", antialias=False) -> np.ndarray:
    """``tf.image.resize_with_pad(image, target_height, target_width, method, antialias)``.

    The image is resized (:func:`tf_resize`) by the one ratio that fits it in the target, its
    size ``floor(side / ratio)`` in float32, and centred in zeros: ``floor((target - side /
    ratio) / 2)`` rows and columns before it. The dtype is :func:`tf_resize`'s.
    """
    x = np.asarray(image)
    if x.ndim not in (3, 4):
        raise ValueError(f"tf_resize_with_pad: 'image' (shape {x.shape}) must have either 3 or 4 dimensions.")
    for name, value in (("target_width", target_width), ("target_height", target_height)):
        if value <= 0:
            raise ValueError(f"tf_resize_with_pad: {name} must be > 0.")
    h, w = _F32(x.shape[-3]), _F32(x.shape[-2])
    th, tw = _F32(target_height), _F32(target_width)
    ratio = max(w / tw, h / th)
    new_h, new_w = h / ratio, w / ratio
    pad_h, pad_w = (max(0, int(np.floor((t - n) / _F32(2)))) for t, n in ((th, new_h), (tw, new_w)))
    resized = tf_resize(x, (int(np.floor(new_h)), int(np.floor(new_w))), method, antialias=antialias)
    out = np.zeros(x.shape[:-3] + (int(target_height), int(target_width), x.shape[-1]), resized.dtype)
    out[..., pad_h:pad_h + resized.shape[-3], pad_w:pad_w + resized.shape[-2], :] = resized
    return out


@device_aware
def tf_scale_and_translate(images, size, scale, translation, kernel_type="lanczos3", antialias=True) -> np.ndarray:
    """``tf.raw_ops.ScaleAndTranslate(images, size, scale, translation, kernel_type, antialias)``.

    ``images`` ``[B, H, W, C]``; ``size=(height, width)`` of the output; ``scale`` and
    ``translation`` ``(y, x)`` in float32 map an input coordinate to ``in * scale +
    translation`` (pixel edges, half-pixel centres). Each output samples the kernel (widened by
    ``max(1 / scale, 1)`` when ``antialias``) at its centre mapped back, over the input pixels
    it reaches, weights scaled to sum 1; an output whose centre maps outside the image is 0.
    ``kernel_type``: ``lanczos1, lanczos3, lanczos5, gaussian, box, triangle, keyscubic,
    mitchellcubic``. Height first, then width; the result is float32.
    """
    x = np.asarray(images)
    if not x.dtype.isnative:
        x = x.astype(x.dtype.newbyteorder("="))
    if x.ndim != 4:
        raise ValueError(f"tf_scale_and_translate: input must be 4-dimensional, got shape {x.shape}")
    if kernel_type not in KERNEL_TYPES:
        raise ValueError(f"tf_scale_and_translate: Unrecognized kernel type: {kernel_type!r}; "
                         f"expected one of: {', '.join(KERNEL_TYPES)}")
    out_h, out_w = _tf_size(size)
    if out_h <= 0 or out_w <= 0:
        raise ValueError("tf_scale_and_translate: output dimensions must be positive")
    if x.shape[3] == 0 or x.shape[1] == 0 or x.shape[2] == 0:
        raise ValueError(f"tf_scale_and_translate: the image must be of non-zero size, with a channel: {x.shape}")
    (scale_y, scale_x), (move_y, move_x) = _float_pair(scale, "scale"), _float_pair(translation, "translation")
    if not (scale_y > 0 and scale_x > 0):
        raise ValueError("tf_scale_and_translate: Scale must be greater than zero.")
    check_output_memory((x.shape[0], out_h, out_w, x.shape[3]), _F32, "tf_scale_and_translate")
    rule = Rule("span", KERNEL_TYPES[kernel_type], widen=bool(antialias))
    work = resample(x.astype(_F32), 1, replace(rule, translate=move_y), out_h, scale_y)
    return resample(work, 2, replace(rule, translate=move_x), out_w, scale_x)


def _float_pair(values, name):
    pair = np.asarray(values, np.float32)
    if pair.shape != (2,):
        raise ValueError(f"tf_scale_and_translate: {name} must have two elements, got {values!r}")
    return float(pair[0]), float(pair[1])


def _nearest(x, out_h, out_w):
    rule = RULES["nearest"][0]
    out = resample(x, x.ndim - 3, rule, out_h)
    return resample(out, x.ndim - 2, rule, out_w)


@device_aware
def keras_upsampling2d(x, size=(2, 2), data_format=None, interpolation="nearest") -> np.ndarray:
    """Keras 3 ``UpSampling2D(size, data_format, interpolation)(x)`` with the TensorFlow backend.

    ``x`` is 4-D, ``(batch, rows, cols, channels)`` or ``(batch, channels, rows, cols)``.
    ``data_format=None`` reads ``image_data_format`` from ``keras.json`` in the Keras folder
    (``$KERAS_HOME``, else ``~/.keras``), as Keras does, default ``channels_last``. Floats come
    out float32 (Keras casts them to its compute dtype); integers keep their dtype, rounded half
    to even and saturated after interpolation.
    """
    x = _keras_input(x, 4, "UpSampling2D")
    fh, fw = _keras_factors(size, 2)
    data_format = _data_format(data_format)
    mode = str(interpolation).lower()
    if mode not in KERAS_INTERPOLATIONS:
        raise ValueError(
            f"Invalid value for argument `interpolation`. Expected one of {tuple(KERAS_INTERPOLATIONS)}. "
            f"Received: interpolation={interpolation}"
        )
    nhwc = x.transpose(0, 2, 3, 1) if data_format == "channels_first" else x
    if mode == "nearest":
        out = _repeat(nhwc, [(1, fh), (2, fw)])
    else:
        resized = tf_resize(nhwc, (nhwc.shape[1] * fh, nhwc.shape[2] * fw), method=mode)
        out = round_clamp(resized, nhwc.dtype, "half-even")
    return out.transpose(0, 3, 1, 2) if data_format == "channels_first" else out


@device_aware
def keras_upsampling1d(x, size=2) -> np.ndarray:
    """Keras 3 ``UpSampling1D(size)(x)``: each step repeated ``size`` times.

    ``x`` is 3-D, ``(batch, steps, features)``; ``size`` a positive ``int`` (a TypeError
    otherwise, as Keras). Floats come out float32.
    """
    if not isinstance(size, int) or isinstance(size, bool):
        raise TypeError(f"Expected an integer value for `size`, got {type(size)}.")
    if size <= 0:
        raise ValueError(f"Argument `size` should be a positive integer. Received: size={size}")
    return _repeat(_keras_input(x, 3, "UpSampling1D"), [(1, size)])


@device_aware
def keras_upsampling3d(x, size=(2, 2, 2), data_format=None) -> np.ndarray:
    """Keras 3 ``UpSampling3D(size, data_format)(x)``: each voxel repeated ``size`` times.

    ``x`` is 5-D, ``(batch, d1, d2, d3, channels)`` or ``(batch, channels, d1, d2, d3)``;
    ``data_format`` as for :func:`keras_upsampling2d`. Floats come out float32.
    """
    x = _keras_input(x, 5, "UpSampling3D")
    factors = _keras_factors(size, 3)
    first = 2 if _data_format(data_format) == "channels_first" else 1
    return _repeat(x, [(first + i, f) for i, f in enumerate(factors)])


def _repeat(x, axis_factors):
    for axis, f in axis_factors:
        x = resample(x, axis, _KERAS_REPEAT, x.shape[axis] * f)
    return x


def _keras_input(x, ndim, layer):
    x = np.asarray(x)
    if x.ndim != ndim:
        raise ValueError(f"Input 0 of layer \"{layer.lower()}\" is incompatible with the layer: expected ndim={ndim}, "
                         f"found ndim={x.ndim}. Full shape received: {x.shape}")
    if x.dtype.kind == "f" and x.dtype != _F32:  # Keras casts floats to its compute dtype
        x = x.astype(_F32)
    elif x.dtype.kind not in "fiu":
        raise TypeError(f"{layer}: unsupported dtype {x.dtype}")
    return x


def _keras_factors(size, n):
    message = f"The `size` argument must be a tuple of {n} integers. Received size={size!r}"
    values = (size,) * n if isinstance(size, numbers.Integral) else tuple(size) if hasattr(size, "__len__") else None
    integers = values is not None and all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in values)
    if not integers or len(values) != n:
        raise ValueError(message)
    if any(v <= 0 for v in values):
        raise ValueError(f"{message}; every value must be > 0")
    return tuple(int(v) for v in values)


def keras_home() -> str:
    """The Keras folder: ``$KERAS_HOME``, else ``~/.keras`` (``/tmp/.keras`` when home is read-only)."""
    if "KERAS_HOME" in os.environ:
        return os.environ["KERAS_HOME"]
    base = os.path.expanduser("~")
    return os.path.join(base if os.access(base, os.W_OK) else "/tmp", ".keras")


def _data_format(data_format) -> str:
    if data_format is None:
        data_format = "channels_last"
        path = os.path.expanduser(os.path.join(keras_home(), "keras.json"))
        if os.path.exists(path):
            try:
                with open(path) as f:
                    config = json.load(f)
            except ValueError:
                config = {}
            data_format = config.get("image_data_format", data_format) if isinstance(config, dict) else data_format
    data_format = str(data_format).lower()
    if data_format not in ("channels_first", "channels_last"):
        raise ValueError(
            "The `data_format` argument must be one of {'channels_first', 'channels_last'}. "
            f"Received: data_format={data_format}"
        )
    return data_format


def _method(method) -> str:
    name = str(getattr(method, "value", method)).lower()
    if name not in RULES:
        raise ValueError(f"tf_resize: unknown method {method!r}; expected one of: {', '.join(RULES)}")
    return name


def _tf_size(size):
    values = np.asarray(size)
    if values.shape != (2,) or values.dtype.kind not in "iu":
        raise ValueError(f"tf_resize: 'size' must be a 1-D Tensor of 2 elements: new_height, new_width; got {size!r}")
    return int(values[0]), int(values[1])
