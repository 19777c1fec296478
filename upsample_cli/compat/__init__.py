"""Other libraries' resizing, reproduced: TensorFlow/Keras, Pillow and OpenCV.

Each function is a twin of its library's call; each convention is a set of taps rules (see
``upsample_cli.taps``) with the library's pass order and rounding, run by the same engine as
``interpolate``.
"""

from .opencv import cv2_resize
from .pillow import pil_resize

__all__ = ["cv2_resize", "pil_resize"]
