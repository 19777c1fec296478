"""upsample: resize images and volumes exactly as torch, TensorFlow/Keras, Pillow and OpenCV do."""

__version__ = "0.1.0"
__all__ = ["interpolate", "__version__"]


def __getattr__(name):
    # ``interpolate`` is imported when first asked for, so that the command line starts without
    # NumPy (``upsample --help`` needs none).
    if name == "interpolate":
        from .api import interpolate

        return interpolate
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
