"""One resampling pass along one axis, through the engine (``api.resize_axes``).

The conventions run their passes one at a time, in their library's order, because what happens
between passes (the dtype a pass stores, its rounding) is part of each library's arithmetic.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from ..api import Pipeline, resize_axes
from ..taps import Rule


def resample(x: np.ndarray, axis: int, rule: Rule, n_out: int, scale: Optional[float] = None,
             precision=np.float32) -> np.ndarray:
    """``x`` resized along ``axis`` to ``n_out`` samples by ``rule``, summing in ``precision``.

    The result has ``x``'s dtype: integer results are rounded half up and clamped, or, for
    fixed-point rules, shifted as the rule says. ``scale`` is the library's output/input factor
    for this axis when the rule's coordinates depend on it.
    """
    view = np.moveaxis(x, axis, -1)
    out = resize_axes(view, [rule], [n_out], [scale], Pipeline(precision))
    return np.moveaxis(out, -1, axis)


def round_half_even(x: np.ndarray, dtype) -> np.ndarray:
    """Float results to an integer dtype as ``cvRound``/``lrint`` do: half to even, saturated."""
    info = np.iinfo(dtype)
    return np.clip(np.rint(x), info.min, info.max).astype(dtype)
