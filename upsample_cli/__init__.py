"""upsample: resize images and volumes exactly as torch, TensorFlow/Keras, Pillow and OpenCV do."""

import os

__version__ = "0.1.0"
__all__ = ["interpolate", "__version__"]

# OpenMP's threads (Numba's usual threading layer) spin for milliseconds after each parallel loop
# before they sleep. On a shared virtual machine the next call after an idle spell then waits
# for them: a median of 6-8 ms on the development machine for a 224^2 resize that takes 0.2 ms,
# 0.4-0.9 ms with threads that sleep at once (which cost a wake-up of 0.05-0.1 ms in every call,
# README: Threads). OpenMP reads the setting when Numba first starts its threads (not when Numba
# is imported), so it is made with the package; one made before stands.
os.environ.setdefault("OMP_WAIT_POLICY", "passive")


def __getattr__(name):
    # ``interpolate`` is imported when first asked for, so that the command line starts without
    # NumPy (``upsample --help`` needs none).
    if name == "interpolate":
        from .api import interpolate

        return interpolate
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
