"""upsample: resize images and volumes exactly as torch, TensorFlow/Keras, Pillow and OpenCV do."""

__version__ = "0.1.0"
__all__ = [
    "interpolate", "explain", "__version__",
    "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "pixel_shuffle", "pixel_unshuffle",
    "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d", "Upsample",
]
_MODULES = ("ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d", "Upsample")
_LEARNED = ("conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "pixel_shuffle", "pixel_unshuffle")


def __getattr__(name):
    # ``interpolate`` is imported when first asked for, so that the command line starts without
    # NumPy (``upsample --help`` needs none).
    if name in ("interpolate", "explain"):
        from . import api

        return getattr(api, name)
    if name in _LEARNED:
        from . import learned

        return getattr(learned, name)
    if name in _MODULES:
        from . import modules

        return getattr(modules, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
