"""``--convention``: which library's resize the command line reproduces, and its modes.

``torch`` (the default) goes through :mod:`upsample_cli.resize`; the others resize each 2-D
image (each slice of a stack, each time point, ...) with the twin of their library in
:mod:`upsample_cli.compat`, exactly as that library would, with its names for the modes:

- ``tf``: ``tf.image.resize`` on the image as one batch; its float32 results are rounded half to
  even and saturated back to the file's pixel type, as Keras' image ops do.
- ``keras``: ``UpSampling2D`` with integer factors (``--scale 2`` or ``--scale 2,3``, or a size
  that is a multiple of the input), channels last.
- ``pillow``: ``Image.resize``; 8-bit images of 1 to 4 channels as L, LA, RGB, RGBA (alpha
  premultiplied as Pillow does), other pixel types and channel counts one channel at a time
  (``I;16`` for uint16, ``I`` for int32, ``F`` for float32).
- ``opencv``: ``cv2.resize`` with ``dsize`` from ``--size`` or ``fx``/``fy`` from ``--scale`` (and
  OpenCV's rounding of the output size); uint8, uint16 and float32, any number of channels.

Sizes are width first, as for torch. A scale gives ``floor(size * factor)`` pixels (OpenCV:
its own rounding). The depth of a stack is kept. Palette images are expanded for every mode but
nearest ones; the command line's own alpha premultiplication is not applied (the libraries do
not do it, except Pillow's).
"""

from __future__ import annotations

import functools

from dataclasses import dataclass, replace
from typing import Dict, Optional, Tuple

import numpy as np

from .image import Image, check_output_pixels
from .sizes import Target, resolve


@dataclass(frozen=True)
class Convention:
    """A library: what it is, its modes (name -> one line) and its default mode."""

    library: str
    modes: Dict[str, str]
    default: str


TORCH_MODES = {
    "nearest": "the pixel at floor(i * in / out), torch's legacy rule",
    "nearest-exact": "the pixel under the output pixel's centre",
    "linear": "bilinear on images, trilinear on stacks (the default)",
    "bilinear": "bilinear, half-pixel centres; --antialias widens it when shrinking",
    "bicubic": "Keys cubic, A = -0.75; --antialias uses Pillow's scheme (A = -0.5)",
    "trilinear": "linear on all three axes of a stack",
    "area": "adaptive average pooling",
    "lanczos": "Lanczos-3, widened when shrinking with --antialias",
}


def _conventions() -> Dict[str, Convention]:
    from .compat import opencv, pillow, tensorflow

    return {
        "torch": Convention("torch.nn.functional.interpolate", TORCH_MODES, "linear"),
        "tf": Convention("tf.image.resize (TensorFlow 2)", tensorflow.METHODS, "bilinear"),
        "keras": Convention("keras.layers.UpSampling2D (Keras 3)", tensorflow.KERAS_INTERPOLATIONS, "nearest"),
        "pillow": Convention("PIL.Image.resize (Pillow)", pillow.MODES, "bicubic"),
        "opencv": Convention("cv2.resize (OpenCV)", opencv.MODES, "linear"),
    }


NAMES = ("torch", "tf", "keras", "pillow", "opencv")


def convention(name: str) -> Convention:
    return _conventions()[name]


def check_mode(name: str, mode: Optional[str]) -> str:
    """``mode`` (or the convention's default) if the convention has it; ValueError listing them."""
    c = convention(name)
    if mode is None:
        return c.default
    if mode not in c.modes:
        raise ValueError(f"{mode!r} is not a {name} mode; {name} modes: {', '.join(c.modes)}")
    return mode


def mode_lines():
    """One line per mode of every convention, for ``upsample modes``."""
    width = max(len(m) for name in NAMES for m in convention(name).modes)
    for name in NAMES:
        c = convention(name)
        for mode, text in c.modes.items():
            default = " (default)" if mode == c.default and "default" not in text else ""
            yield f"{name:<7} {mode:<{width}}  {text}{default}"


@dataclass(frozen=True)
class ConventionSettings:
    """A resize through another library: its name, the target (width first), mode, antialias."""

    convention: str
    target: Target
    mode: str
    antialias: bool = False
    max_output_pixels: Optional[int] = None
    device: str = "cpu"


def result_header(image: Image, settings: ConventionSettings) -> Image:
    """What :func:`resize_image` will give, without pixels."""
    image = _prepared_header(image, settings)
    (out_w, out_h), _ = _plan(image, settings)
    shape = tuple(out_w if a == "X" else out_h if a == "Y" else n for a, n in zip(image.axes, image.shape))
    return replace(image, array=None, shape=shape, metadata=image.metadata.scaled(_scales(image, out_w, out_h)))


def resize_image(image: Image, settings: ConventionSettings) -> Image:
    """``image`` resized by the convention's library, slice by slice; dtype and axes are kept."""
    image = _prepared_header(image, settings)
    if image.premultiplied:
        image = image.straightened()
    (out_w, out_h), call = _plan(image, settings)
    a = image.array
    x_axis, y_axis, c_axis = image.axes.index("X"), image.axes.index("Y"), image.channel_axis
    rest = [i for i in range(a.ndim) if i not in (x_axis, y_axis, c_axis)]
    order = rest + [y_axis, x_axis] + ([c_axis] if c_axis is not None else [])
    view = a.transpose(order)
    lead = view.shape[: len(rest)]
    batch = view.reshape((-1,) + view.shape[len(rest) : len(rest) + 2] + (view.shape[-1] if c_axis is not None else 1,))
    out = call(batch).astype(a.dtype, copy=False)
    out = out.reshape(lead + out.shape[1:3] + ((out.shape[3],) if c_axis is not None else ()))
    result = out.transpose(np.argsort(order))
    return image.with_array(np.ascontiguousarray(result), metadata=image.metadata.scaled(_scales(image, out_w, out_h)))


def _prepared_header(image: Image, settings: ConventionSettings) -> Image:
    if image.palette is not None and settings.mode not in ("nearest", "nearest-exact"):
        image = image.expanded()
    return image


def _scales(image: Image, out_w: int, out_h: int) -> Dict[str, float]:
    return {"X": out_w / image.size("X"), "Y": out_h / image.size("Y")}


def _plan(image: Image, settings: ConventionSettings):
    """``((out_w, out_h), call)``: the output size and a function of a ``(B, H, W, C)`` batch."""
    name, mode = settings.convention, settings.mode
    w, h = image.size("X"), image.size("Y")
    in_sizes = (w, h, image.size("Z")) if image.is_stack else (w, h)
    kind, values = resolve(settings.target, in_sizes, keep_depth_with_one_factor=True)
    if image.is_stack and (values[2] != (1.0 if kind == "scale" else in_sizes[2])):
        raise ValueError(f"{settings.target}: --convention {name} resizes a stack slice by slice; keep its depth")
    if settings.antialias and name != "tf":
        raise ValueError(f"--antialias is a torch and tf option; {name} " + (
            "always antialiases" if name == "pillow" else "has none"))
    fx, fy = values[0], values[1]
    if name == "opencv":
        from .compat.opencv import cv2_resize, output_size

        cv2_resize = functools.partial(cv2_resize, device=settings.device)

        args = {"dsize": None, "fx": fx, "fy": fy} if kind == "scale" else {"dsize": (fx, fy)}
        size, _ = output_size(w, h, args["dsize"], args.get("fx", 0), args.get("fy", 0))
        _check_pixels(image, size, settings)

        def call(batch):
            _check_dtype(batch, ("uint8", "uint16", "float32"), name)
            return np.stack([_channels_last(cv2_resize(img if img.shape[2] > 1 else img[:, :, 0], **args,
                                                       interpolation=mode)) for img in batch])

        return size, call
    if kind == "scale":
        size = (int(w * fx), int(h * fy))
        if min(size) < 1:
            raise ValueError(f"{settings.target}: the output would be {size[0]}x{size[1]}; give a larger scale")
    else:
        size = (int(fx), int(fy))
    _check_pixels(image, size, settings)
    out_w, out_h = size
    if name == "keras":
        factors = _integer_factors(kind, (fx, fy), (w, h), settings)
        from .compat.tensorflow import keras_upsampling2d

        keras_upsampling2d = functools.partial(keras_upsampling2d, device=settings.device)

        def call(batch):
            _check_dtype(batch, ("uint8", "uint16", "int16", "int32", "float16", "float32", "float64"), name)
            return keras_upsampling2d(batch, (factors[1], factors[0]), "channels_last", mode)

        return size, call
    if name == "tf":
        from .compat.tensorflow import tf_resize

        tf_resize = functools.partial(tf_resize, device=settings.device)

        def call(batch):
            out = tf_resize(batch, (out_h, out_w), method=mode, antialias=settings.antialias)
            if out.dtype != batch.dtype and batch.dtype.kind in "iu":
                info = np.iinfo(batch.dtype)
                out = np.clip(np.rint(out), info.min, info.max)
            return out

        return size, call
    if name == "pillow":
        from .compat.pillow import pil_resize

        pil_resize = functools.partial(pil_resize, device=settings.device)

        def call(batch):
            _check_dtype(batch, ("uint8", "uint16", "int32", "float32"), name)
            together = batch.dtype == np.uint8 and batch.shape[3] <= 4
            return np.stack([_pillow_image(pil_resize, img, (out_w, out_h), mode, together) for img in batch])

        return size, call
    raise ValueError(f"unknown convention {name!r}; expected one of: {', '.join(NAMES)}")


def _pillow_image(pil_resize, img, size, mode, together):
    """One image through Pillow: as one multi-band image when Pillow has the mode, else band by band."""
    if together:
        return _channels_last(pil_resize(img if img.shape[2] > 1 else img[:, :, 0], size, mode))
    return np.stack([pil_resize(img[:, :, c], size, mode) for c in range(img.shape[2])], axis=2)


def _channels_last(a):
    return a if a.ndim == 3 else a[:, :, None]


def _integer_factors(kind, values, in_sizes, settings) -> Tuple[int, int]:
    factors = []
    for v, n in zip(values, in_sizes):
        f = v if kind == "scale" else v / n
        if not (f >= 1 and float(f).is_integer()):
            raise ValueError(f"{settings.target}: keras upsamples by whole factors (2, or 2,3); this needs {f:g}")
        factors.append(int(f))
    return factors[0], factors[1]


def _check_pixels(image: Image, size, settings):
    shape = tuple(size[0] if a == "X" else size[1] if a == "Y" else n for a, n in zip(image.axes, image.shape))
    check_output_pixels(shape, image.axes, settings.max_output_pixels, settings.target)


def _check_dtype(batch, allowed, name):
    if batch.dtype.name not in allowed:
        raise TypeError(f"--convention {name} takes {', '.join(allowed)} pixels, not {batch.dtype}")


__all__ = ["NAMES", "Convention", "ConventionSettings", "check_mode", "convention", "mode_lines", "resize_image",
           "result_header"]
