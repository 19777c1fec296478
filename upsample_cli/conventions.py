"""The file-level resizers of ``--convention tf, keras, pillow, opencv`` (the registry names them).

``torch`` (the default) is :mod:`upsample_cli.resize`; the others resize each 2-D
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

from typing import NamedTuple, Tuple

import numpy as np

from .pipeline import Plan, Settings, output_shape, to_batch
from .rounding import round_clamp
from .sizes import resolve


class SliceWork(NamedTuple):
    """A plan's work: the target as resolved (``"scale"`` or ``"size"``, two values, width first)
    and the output ``(width, height)``."""

    kind: str
    values: Tuple[float, float]
    size: Tuple[int, int]


class SliceResizer:
    """A library that resizes 2-D images: each slice of a file goes through ``call``.

    Subclasses give ``size`` (the output ``(width, height)`` for a scale; the default is
    ``floor(size * factor)``), and ``call`` on a ``(B, H, W, C)`` batch.
    """

    name = ""

    def plan(self, image, settings: Settings) -> Plan:
        w, h = image.size("X"), image.size("Y")
        in_sizes = (w, h, image.size("Z")) if image.is_stack else (w, h)
        kind, values = resolve(settings.target, in_sizes, keep_depth_with_one_factor=True)
        if image.is_stack and (values[2] != (1.0 if kind == "scale" else in_sizes[2])):
            raise ValueError(
                f"{settings.target}: --convention {self.name} resizes a stack slice by slice; keep its depth")
        out_w, out_h = self.size(kind, values[:2], (w, h), settings)
        return Plan(output_shape(image, {"X": out_w, "Y": out_h}), {"X": out_w / w, "Y": out_h / h},
                    work=SliceWork(kind, tuple(values[:2]), (out_w, out_h)))

    def size(self, kind, values, in_sizes, settings) -> Tuple[int, int]:
        if kind != "scale":
            return int(values[0]), int(values[1])
        size = (int(in_sizes[0] * values[0]), int(in_sizes[1] * values[1]))
        if min(size) < 1:
            raise ValueError(f"{settings.target}: the output would be {size[0]}x{size[1]}; give a larger scale")
        return size

    def resize(self, image, settings: Settings, plan: Plan) -> np.ndarray:
        if image.premultiplied:  # the libraries take straight alpha (Pillow premultiplies itself)
            image = image.straightened()
        a = image.array
        batch, back = to_batch(a, image.axes, "YX", channels_last=True)
        dtypes = settings.spec.dtypes
        if dtypes is not None and batch.dtype.name not in dtypes:
            raise TypeError(f"--convention {self.name} takes {', '.join(dtypes)} pixels, not {batch.dtype}")
        out = self.call(batch, settings, plan)
        return np.ascontiguousarray(back(out.astype(a.dtype, copy=False)))

    def call(self, batch: np.ndarray, settings: Settings, plan: Plan) -> np.ndarray:
        raise NotImplementedError


def _each_image(batch, resize_one):
    """``resize_one`` on every ``(H, W, C)`` image of the batch (2-D when C is 1), stacked as a batch."""
    return np.stack([_channels_last(resize_one(img if img.shape[2] > 1 else img[:, :, 0])) for img in batch])


def _channels_last(a):
    return a if a.ndim == 3 else a[:, :, None]


class OpenCV(SliceResizer):
    """``cv2.resize`` with ``dsize`` from a size, or ``fx``/``fy`` from a scale (and OpenCV's own
    rounding of the output size, half to even)."""

    name = "opencv"

    @staticmethod
    def arguments(kind, values):
        return {"dsize": None, "fx": values[0], "fy": values[1]} if kind == "scale" else {"dsize": tuple(values)}

    def size(self, kind, values, in_sizes, settings):
        from .compat.opencv import output_size

        args = self.arguments(kind, values)
        size, _ = output_size(in_sizes[0], in_sizes[1], args["dsize"], args.get("fx", 0), args.get("fy", 0))
        return size

    def call(self, batch, settings, plan):
        from .compat.opencv import cv2_resize

        args = self.arguments(plan.work.kind, plan.work.values)
        return _each_image(batch, lambda img: cv2_resize(img, **args, interpolation=settings.mode,
                                                         device=settings.device))


class Keras(SliceResizer):
    """``UpSampling2D`` with whole factors (``--scale 2`` or ``2,3``, or a size that is a multiple of
    the input), channels last."""

    name = "keras"

    def size(self, kind, values, in_sizes, settings):
        size = super().size(kind, values, in_sizes, settings)
        for v, n in zip(values, in_sizes):
            f = v if kind == "scale" else v / n
            if not (f >= 1 and float(f).is_integer()):
                raise ValueError(f"{settings.target}: keras upsamples by whole factors (2, or 2,3); this needs {f:g}")
        return size

    def call(self, batch, settings, plan):
        from .compat.tensorflow import keras_upsampling2d

        (out_w, out_h), (h, w) = plan.work.size, batch.shape[1:3]
        fw, fh = out_w // w, out_h // h
        return keras_upsampling2d(batch, (fh, fw), "channels_last", settings.mode, device=settings.device)


class TensorFlow(SliceResizer):
    """``tf.image.resize`` on the slices as one batch; its float32 results are rounded half to even
    and saturated back to the file's pixel type, as Keras' image ops do."""

    name = "tf"

    def call(self, batch, settings, plan):
        from .compat.tensorflow import tf_resize

        out_w, out_h = plan.work.size
        out = tf_resize(batch, (out_h, out_w), method=settings.mode, antialias=settings.antialias,
                        device=settings.device)
        return round_clamp(out, batch.dtype, "half-even") if batch.dtype.kind in "iu" else out


class Pillow(SliceResizer):
    """``Image.resize``: 8-bit images of 1 to 4 channels as L, LA, RGB, RGBA (alpha premultiplied as
    Pillow does), other pixel types and channel counts one channel at a time (``I;16`` for uint16,
    ``I`` for int32, ``F`` for float32)."""

    name = "pillow"

    def call(self, batch, settings, plan):
        from .compat.pillow import pil_resize

        size = plan.work.size

        def one(img):
            return pil_resize(img, size, settings.mode, device=settings.device)

        if batch.dtype == np.uint8 and batch.shape[3] <= 4:
            return _each_image(batch, one)
        return np.stack([np.stack([one(img[:, :, c]) for c in range(img.shape[2])], axis=2) for img in batch])


TF, KERAS, PILLOW, OPENCV = TensorFlow(), Keras(), Pillow(), OpenCV()

__all__ = ["KERAS", "OPENCV", "PILLOW", "TF", "Keras", "OpenCV", "Pillow", "SliceResizer", "SliceWork", "TensorFlow"]
