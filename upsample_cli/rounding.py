"""Float results back into an integer pixel type: the one rounding-and-clamping rule set.

``"half-up"`` (``floor(x + 0.5)``) is this package's own rule: ``interpolate``'s integer
outputs, the command line's alpha premultiplication. ``"half-even"`` (``rint``) is the rule of
``cvRound``/``lrint`` and of Keras' casts, used where a convention reproduces those. Either way the
result is clamped to the dtype's range; for 64-bit integers the bound is the float nearest the
maximum that does not pass it.
"""

from __future__ import annotations

import numpy as np

ROUNDINGS = ("half-up", "half-even")


def round_clamp(x: np.ndarray, dtype, rounding: str = "half-up", *, in_place: bool = False) -> np.ndarray:
    """``x`` as ``dtype``: rounded and clamped for an integer dtype from a float ``x``; otherwise cast.

    bool is ``x != 0``. ``in_place`` lets the rounding overwrite ``x`` (a float array the
    caller owns), so no full-size temporary is made.
    """
    dtype = np.dtype(dtype)
    if rounding not in ROUNDINGS:
        raise ValueError(f"rounding must be one of {', '.join(ROUNDINGS)}, not {rounding!r}")
    if x.dtype == dtype:
        return x
    if dtype == np.bool_:
        return x != 0
    if dtype.kind in "iu" and x.dtype.kind == "f":
        info = np.iinfo(dtype)
        high = float(info.max)
        if int(high) > info.max:  # 64-bit: the float nearest the maximum is past it
            high = float(np.nextafter(high, 0))
        out = x if in_place else None
        if rounding == "half-up":
            x = np.add(x, 0.5, out=out)
            if info.min < 0:  # (unsigned: clamped to [0, max] next, the cast truncates to the floor)
                np.floor(x, out=x)
        else:
            x = np.rint(x, out=out)
        np.clip(x, float(info.min), high, out=x)
    return x.astype(dtype)


__all__ = ["ROUNDINGS", "round_clamp"]
