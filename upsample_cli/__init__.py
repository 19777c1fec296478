"""upsample: resize images and volumes exactly as torch, TensorFlow/Keras, Pillow and OpenCV do."""

from .api import interpolate

__version__ = "0.1.0"
__all__ = ["interpolate", "__version__"]
