"""One resampling pass along one axis, through the engine (``api.resize_axes``).

The conventions run their passes one at a time, in their library's order, because what happens
between passes (the dtype a pass stores, its rounding) is part of each library's arithmetic.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
from typing import Optional

import numpy as np

from ..api import Pipeline, choose_backend, on_gpu, resize_axes
from ..taps import Rule

_device = contextvars.ContextVar("upsample_device", default="cpu")


def device_aware(fn):
    """Give a convention's function a ``device`` argument ("cpu", "cuda", "auto").

    Its passes run on that device. The library's arithmetic between passes runs in NumPy, so
    an input on the GPU is copied to the host, and the result copied back to the GPU.
    """

    sig = inspect.signature(fn)
    first = next(iter(sig.parameters))

    @functools.wraps(fn)
    def wrapper(*args, device: str = "cpu", **kwargs):
        bound = sig.bind(*args, **kwargs)
        array = bound.arguments[first]
        choose_backend(device, array, 0)  # an unknown device, or "cuda" without a GPU, fails here
        gpu_input = on_gpu(array)
        if gpu_input:
            from ..kernels import cuda

            bound.arguments[first] = cuda.as_device_array(array).copy_to_host()
        token = _device.set(device)
        try:
            out = fn(*bound.args, **bound.kwargs)
        finally:
            _device.reset(token)
        if gpu_input:
            from numba import cuda as numba_cuda

            return numba_cuda.to_device(np.ascontiguousarray(out))
        return out

    device = inspect.Parameter("device", inspect.Parameter.KEYWORD_ONLY, default="cpu")
    wrapper.__signature__ = sig.replace(parameters=[*sig.parameters.values(), device])
    return wrapper


def resample(x: np.ndarray, axis: int, rule: Rule, n_out: int, scale: Optional[float] = None,
             precision=np.float32) -> np.ndarray:
    """``x`` resized along ``axis`` to ``n_out`` samples by ``rule``, summing in ``precision``.

    The result has ``x``'s dtype: integer results are rounded half up and clamped, or, for
    fixed-point rules, shifted as the rule says. ``scale`` is the library's output/input factor
    for this axis when the rule's coordinates depend on it.
    """
    view = np.moveaxis(x, axis, -1)
    backend = choose_backend(_device.get(), view, view.size)
    out = resize_axes(view, [rule], [n_out], [scale], Pipeline(precision), backend=backend)
    return np.moveaxis(out, -1, axis)

