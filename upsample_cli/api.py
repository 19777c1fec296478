"""``interpolate``: a NumPy twin of ``torch.nn.functional.interpolate``.

Dtype policy: float64 images are computed in float64; float32, float16, uint8 and uint16
images in float32. Intermediate passes stay in that float type; the last pass rounds (half
up) and clamps integer results once. Nearest modes only copy samples, so they are exact for
every dtype.

Layout: the array is resized in its own memory order, so a channels-last view
(``hwc.transpose(2, 0, 1)[None]``) is neither copied nor transposed, and the result has
the input's layout.
"""

from __future__ import annotations

import itertools
import math
import numbers
from dataclasses import dataclass, replace
from typing import Optional, Sequence

import numpy as np

from . import filters
from .kernels import GATHER_COST, WIDE
from .taps import Rule, Taps, taps

SUPPORTED_DTYPES = (np.uint8, np.uint16, np.float16, np.float32, np.float64)


@dataclass(frozen=True)
class Pipeline:
    """How the passes run: the float type of the sums, pass order, and rounding between passes.

    ``order`` is ``"cheapest"`` (the order with the least estimated work) or ``"last-first"``
    (the innermost axis first, as the 8-bit paths of torch and Pillow run). ``round_between`` stores integer images in
    their own dtype after every pass, as those fixed-point paths do; with it, a pass whose
    size does not change is skipped, as they skip it.
    """

    precision: type = np.float32
    order: str = "cheapest"
    round_between: bool = False


@dataclass(frozen=True)
class Mode:
    """A torch mode: its taps rule, the spatial ranks it accepts, and its antialiased rule."""

    rule: Rule
    ranks: tuple
    interpolating: bool = True
    antialiased: Optional[Rule] = None


_LINEAR = Rule("interp", filters.TRIANGLE, clamp_negative=True)
_LINEAR_AA = Rule("window", filters.TRIANGLE)

# Torch accepts bicubic and lanczos on 2-D images only, antialias on 2-D only, and lanczos
# only with antialias; the extra ranks and combinations here go beyond torch (README).
MODES = {
    "nearest": Mode(Rule("point", nearest="floor"), (1, 2, 3), interpolating=False),
    "nearest-exact": Mode(Rule("point", nearest="half"), (1, 2, 3), interpolating=False),
    "linear": Mode(_LINEAR, (1,), antialiased=_LINEAR_AA),
    "bilinear": Mode(_LINEAR, (2,), antialiased=_LINEAR_AA),
    "trilinear": Mode(_LINEAR, (3,), antialiased=_LINEAR_AA),
    "bicubic": Mode(Rule("interp", filters.CUBIC_075), (1, 2, 3), antialiased=Rule("window", filters.CUBIC_050)),
    "lanczos": Mode(
        Rule("window", filters.LANCZOS3, widen=False), (1, 2, 3), antialiased=Rule("window", filters.LANCZOS3)
    ),
    "area": Mode(Rule("adaptive"), (1, 2, 3), interpolating=False),
}


def interpolate(
    input,
    size=None,
    scale_factor=None,
    mode: str = "nearest",
    align_corners: Optional[bool] = None,
    recompute_scale_factor: Optional[bool] = None,
    antialias: bool = False,
    *,
    backend: str = "cpu",
) -> np.ndarray:
    """Resize ``input`` of shape ``(N, C, *spatial)`` (1 to 3 spatial axes) as torch does.

    Arguments, output shape, values and errors follow ``torch.nn.functional.interpolate``;
    see the module docstring for dtypes and layout. ``backend`` is ``"cpu"`` (Numba,
    parallel) or ``"reference"`` (NumPy, slow; the oracle of the tests).
    """
    x = _as_array(input)
    spec = _mode(mode)
    if not spec.interpolating and align_corners is not None:
        raise ValueError(
            "align_corners option can only be set with the interpolating modes: "
            "linear | bilinear | bicubic | trilinear | lanczos"
        )
    align_corners = bool(align_corners)
    if mode == "lanczos" and align_corners:
        raise ValueError("Lanczos mode does not support align_corners=True")
    if antialias and spec.antialiased is None:
        raise ValueError(
            "Anti-alias option is restricted to linear, bilinear, trilinear, bicubic and lanczos modes, "
            f"not {mode!r}"
        )
    if x.ndim not in (3, 4, 5):
        raise ValueError(f"Input Error: only 3D, 4D and 5D inputs (N, C, *spatial) are supported (got {x.ndim}D)")
    dim = x.ndim - 2
    if dim not in spec.ranks:
        needs = " or ".join(f"{r + 2}D" for r in spec.ranks)
        raise ValueError(f"Got {x.ndim}D input, but {mode} mode needs {needs} input")

    # Adaptive pooling (area) depends on the sizes alone, and like torch's allows an empty output.
    out_size, scales = output_size(
        x.shape[2:], size, scale_factor, recompute_scale_factor, allow_empty=mode == "area"
    )
    if mode == "area":
        scales = [None] * dim
    rule = spec.antialiased if antialias else spec.rule
    if align_corners:
        rule = replace(rule, align_corners=True)
    # torch maps coordinates in float64 for float64 images and in float32 otherwise, and sums
    # in the same type; its exceptions follow.
    pipeline = Pipeline(np.float64 if x.dtype == np.float64 else np.float32)
    coordinates = pipeline.precision
    if dim == 2 and spec.rule.sampler == "point" and sum(out_size) <= 128:
        # torch's 2-D nearest kernel for small outputs: float32 coordinates whatever the dtype,
        # and for "nearest" a copy when the size is kept and i // 2 when it doubles.
        coordinates = np.float32
        if mode == "nearest":
            rule = replace(rule, nearest="floor-shortcuts")
    elif x.dtype == np.uint8 and dim == 2 and mode in ("bilinear", "bicubic", "lanczos"):
        # torch's 8-bit path: float64 coordinates, int16 fixed-point weights, width pass then
        # height, uint8 between the passes.
        coordinates = np.float64
        rule = replace(rule, fixed_point="int16")
        pipeline = Pipeline(np.float32, order="last-first", round_between=True)
    rule = rule.with_precision(coordinates)
    if any(n == 0 for n in x.shape[1:]):
        raise ValueError(f"Non-empty input expected (channel and spatial sizes > 0), but got shape {x.shape}")
    if x.size == 0 or 0 in out_size:
        return np.empty(x.shape[:2] + tuple(out_size), x.dtype)
    return resize_axes(x, [rule] * dim, out_size, scales, pipeline, backend=backend)


def output_size(in_size: Sequence[int], size, scale_factor, recompute_scale_factor, *, allow_empty=False):
    """Output sizes and the scale factors torch passes on for the coordinates (None: use in/out)."""
    dim = len(in_size)
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is None and scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    if size is not None:
        if recompute_scale_factor:
            raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
        sizes = _per_axis(size, dim, "size", list(in_size))
        if not all(_is_int(s) for s in sizes):
            raise TypeError(
                "expected size to be one of int or Tuple[int] or Tuple[int, int] or Tuple[int, int, int], "
                f"but got size with types {[type(s).__name__ for s in sizes]}"
            )
        out = [int(s) for s in sizes]
        scales = [None] * dim
    else:
        factors = _per_axis(scale_factor, dim, "scale_factor", list(in_size))
        out = []
        for n, f in zip(in_size, factors):
            if isinstance(f, bool) or not isinstance(f, numbers.Real):
                raise TypeError(f"scale_factor must be a number or a sequence of numbers, got {type(f).__name__}")
            f = float(f)
            if not math.isfinite(f):
                raise ValueError(f"scale_factor must be finite, got {f}")
            product = n * f
            if abs(product) >= 2**62:
                raise ValueError(f"scale_factor {f} overflows: the output size {product:.3g} is too large")
            out.append(int(product))
        scales = [None] * dim if recompute_scale_factor else [float(f) for f in factors]
    if any(n < 0 or (n == 0 and not allow_empty) for n in out):
        names = "DHW"[-dim:] if dim > 1 else "W"
        shape_in = ", ".join(f"{a}: {n}" for a, n in zip(names, in_size))
        shape_out = ", ".join(f"{a}: {n}" for a, n in zip(names, out))
        raise ValueError(
            f"Input and output sizes should be greater than 0, but got input ({shape_in}) output ({shape_out})"
        )
    return out, scales


def resize_axes(x: np.ndarray, rules, out_size, scales, pipeline: Pipeline, *, backend: str = "cpu") -> np.ndarray:
    """Resize the trailing ``len(rules)`` axes of ``x`` to ``out_size``, one taps rule per axis.

    The passes run in the array's memory order, in the pipeline's pass order; axes whose
    taps are the identity are skipped.
    """
    first = x.ndim - len(rules)
    compute = pipeline.precision
    plan = []
    for i, (rule, n_out, scale) in enumerate(zip(rules, out_size, scales)):
        axis = first + i
        n_in = x.shape[axis]
        t = taps(n_in, n_out, rule, scale)
        if n_in == n_out and (t.is_identity or pipeline.round_between):
            continue
        plan.append((axis, t))
    order = _memory_order(x)
    if pipeline.order == "cheapest":
        plan = min(itertools.permutations(plan), key=lambda p: _work(p, x.shape, order))
    else:
        plan.reverse()

    work = x.transpose(order)
    if not plan:
        return work.copy().transpose(np.argsort(order))
    kernel = _backend(backend)
    work = np.ascontiguousarray(work)
    if all(t.is_selection for _, t in plan):
        for axis, t in plan:  # nearest modes: copy samples, in any dtype
            m = order.index(axis)
            src = work.reshape(math.prod(work.shape[:m]), work.shape[m], -1)
            out = np.empty(src.shape[:1] + (t.index.shape[0],) + src.shape[2:], x.dtype)
            kernel.select_axis(src, np.ascontiguousarray(t.index[:, 0]), out)
            work = out.reshape(work.shape[:m] + (t.index.shape[0],) + work.shape[m + 1 :])
        return work.transpose(np.argsort(order))
    final = np.float32 if x.dtype == np.float16 else x.dtype
    if x.dtype == np.float16:
        work = work.astype(np.float32)
    for n, (axis, t) in enumerate(plan):
        m = order.index(axis)
        shape = list(work.shape)
        outer, inner = int(np.prod(shape[:m])), int(np.prod(shape[m + 1 :]))
        n_out = t.index.shape[0]
        dtype = final if pipeline.round_between or n == len(plan) - 1 else compute
        out = np.empty((outer, n_out, inner), dtype)
        weight = t.weight if t.shift else t.weight.astype(compute)
        kernel.resample_axis(
            work.reshape(outer, shape[m], inner),
            np.ascontiguousarray(t.index, dtype=np.intp),
            np.ascontiguousarray(weight),
            out,
            t.shift,
        )
        shape[m] = n_out
        work = out.reshape(shape)
    return work.astype(x.dtype, copy=False).transpose(np.argsort(order))


def _work(passes, shape, order) -> int:
    """Estimated cost of running ``passes`` in this order: taps applied, weighted by loop shape.

    A pass over an axis with fewer than ``WIDE`` contiguous samples after it gathers its taps,
    which costs several times more per tap than a pass streaming whole rows.
    """
    dims = list(shape)
    total = 0
    for axis, t in passes:
        n_out, n_taps = t.index.shape
        dims[axis] = n_out
        inner = math.prod(dims[b] for b in order[order.index(axis) + 1 :])
        total += math.prod(dims) * n_taps * (1 if inner >= WIDE else GATHER_COST)
    return total


def _memory_order(x: np.ndarray) -> list:
    """Axes from the outermost in memory to the innermost.

    C order and channels-last are recognised as such (size-1 axes have no meaningful stride);
    any other layout is sorted by stride, size-1 axes kept in front of the next longer axis.
    """
    if x.flags.c_contiguous:
        return list(range(x.ndim))
    channels_last = [0, *range(2, x.ndim), 1]
    if x.transpose(channels_last).flags.c_contiguous:
        return channels_last
    order = sorted((a for a in range(x.ndim) if x.shape[a] > 1), key=lambda a: -abs(x.strides[a]))
    for a in range(x.ndim):
        if x.shape[a] == 1:
            later = [b for b in range(a + 1, x.ndim) if x.shape[b] > 1]
            order.insert(order.index(later[0]) if later else len(order), a)
    return order


def _backend(name: str):
    if name == "cpu":
        from .kernels import cpu

        return cpu
    if name == "reference":
        from .kernels import reference

        return reference
    raise ValueError(f"unknown backend {name!r}; expected 'cpu' or 'reference'")


def _as_array(input) -> np.ndarray:
    x = input if isinstance(input, np.ndarray) else np.asarray(input)
    if x.dtype.type not in SUPPORTED_DTYPES:
        names = ", ".join(np.dtype(t).name for t in SUPPORTED_DTYPES)
        raise TypeError(f"unsupported dtype {x.dtype}; expected one of {names}")
    if not x.dtype.isnative:
        x = x.astype(x.dtype.newbyteorder("="))
    return x


def _mode(mode) -> Mode:
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; expected one of: {' | '.join(MODES)}")
    return MODES[mode]


def _per_axis(value, dim: int, name: str, in_size: list) -> list:
    if isinstance(value, (list, tuple, np.ndarray)):
        if len(value) != dim:
            raise ValueError(
                f"Input and {name} must have the same number of spatial dimensions, but got input with "
                f"spatial dimensions of {in_size} and {name} {list(value)}"
            )
        return list(value)
    return [value] * dim


def _is_int(v) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


__all__ = ["interpolate", "MODES", "Pipeline", "Taps", "resize_axes", "output_size"]
