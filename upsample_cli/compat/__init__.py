"""Other libraries' resizing, reproduced: TensorFlow/Keras, Pillow and OpenCV.

Each function is a twin of its library's call; each convention is a set of taps rules (see
``upsample_cli.taps``) with the library's pass order and rounding, run by the same engine as
``interpolate``.
"""

from .opencv import cv2_resize
from .pillow import pil_reduce, pil_resize
from .tensorflow import (
    keras_upsampling1d, keras_upsampling2d, keras_upsampling3d, tf_resize, tf_resize_with_pad, tf_scale_and_translate,
)

__all__ = [
    "cv2_resize", "keras_upsampling1d", "keras_upsampling2d", "keras_upsampling3d", "pil_reduce", "pil_resize",
    "tf_resize", "tf_resize_with_pad", "tf_scale_and_translate",
]
