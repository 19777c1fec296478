"""Other libraries' resizing, reproduced: TensorFlow/Keras, Pillow and OpenCV.

Each function is a twin of its library's call; each convention is a set of taps rules (see
``upsample_cli.taps``) with the library's pass order and rounding, run by the same engine as
``interpolate``.
"""

from .layers import UpSampling2D, UpSampling3D
from .learned import depth_to_space, keras_conv_transpose2d, keras_conv_transpose3d, space_to_depth
from .opencv import cv2_resize
from .pillow import pil_reduce, pil_resize
from .tensorflow import (
    keras_upsampling1d, keras_upsampling2d, keras_upsampling3d, tf_resize, tf_resize_with_pad, tf_scale_and_translate,
)

__all__ = [
    "UpSampling2D", "UpSampling3D", "cv2_resize", "depth_to_space", "keras_conv_transpose2d",
    "keras_conv_transpose3d", "keras_upsampling1d", "keras_upsampling2d", "keras_upsampling3d",
    "pil_reduce", "pil_resize", "space_to_depth", "tf_resize", "tf_resize_with_pad",
    "tf_scale_and_translate",
]
