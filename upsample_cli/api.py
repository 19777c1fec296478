"""``interpolate``: a NumPy twin of ``torch.nn.functional.interpolate``.

Dtype policy: float64 images are computed in float64; float32, float16, uint8 and uint16
images in float32. Intermediate passes stay in that float type; the last pass rounds (half
up) and clamps integer results once. float16 images follow torch's CPU kernels bit for bit
(``_torch_half``): float16 weights and fused multiply-adds in the order torch sums. Nearest
modes only copy samples, so they are exact for every dtype.

Layout: the array is resized in its own memory order, so a channels-last view
(``hwc.transpose(2, 0, 1)[None]``) is neither copied nor transposed, and the result has
the input's layout.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import itertools
import math
import numbers
import sys
from dataclasses import dataclass, replace
from typing import NamedTuple, Optional, Sequence

import numpy as np

from . import filters, registry
from .image import check_output_memory
from .kernels import GATHER_COST, WIDE, loop_of
from .memo import remembered
from .taps import Rule, Taps, product, taps

SUPPORTED_DTYPES = (np.uint8, np.uint16, np.float16, np.float32, np.float64)
AUTO_GPU_SIZE = 1 << 22  # device="auto" moves NumPy inputs of at least this many samples to a GPU
# Set by ``one_shot`` (a process that resizes one image, ``upsample resize``): where a plan would
# load Numba or compile CPU loops that its cache does not hold, it runs on NumPy instead when that
# is estimated to finish sooner, and otherwise tells ``_on_compile`` (a line to show) first.
_one_shot = False
_on_compile = None
# Estimates for that choice: NumPy's seconds per output sample and tap, and Numba's to load and
# to compile one loop (benchmarks/bench_first_use.py and bench_compile.py measure them).
NUMPY_TAP_SECONDS = 5.5e-9
NUMBA_LOAD_SECONDS = 0.5
COMPILE_SECONDS = 0.5


@dataclass(frozen=True)
class Pipeline:
    """How the passes run: the float type of the sums, pass order, and rounding between passes.

    ``order`` is ``"cheapest"`` (the order with the least estimated work) or ``"last-first"``
    (the innermost axis first, as the 8-bit paths of torch and Pillow run). ``round_between`` stores integer images in
    their own dtype after every pass, as those fixed-point paths do; with it, a pass whose
    size does not change is skipped, as they skip it.

    ``fused`` sums each pass with fused multiply-adds (one rounding per tap), in table order
    (``"in order"``) or with the table's second tap first, then the first and the rest
    (``"second first"``: how torch's compiled generic kernel associates ``t0 * w0 + t1 * w1``).
    ``joint`` resizes all the axes in one pass whose taps are the products of theirs (torch's
    channels-last kernel). Neither merges nor reorders passes otherwise.

    ``pool`` (area on float16 images, as torch's adaptive average pooling computes it): the
    window's samples summed one by one, then divided by the window's size along each axis, the
    outermost axis first. ``"float32"``: summed and divided in float32, rounded to float16 at the
    end (a joint pass of taps of weight 1, then ``divide_axis`` passes); ``"float16"``: every sum
    and quotient rounded to float16 (a ``sum_taps`` pass, then ``divide_axis`` passes).
    """

    precision: type = np.float32
    order: str = "cheapest"
    round_between: bool = False
    fused: str = ""
    joint: bool = False
    pool: str = ""


@dataclass(frozen=True)
class Mode:
    """A torch mode: its taps rule, the spatial ranks it accepts, and its antialiased rule."""

    rule: Rule
    ranks: tuple
    interpolating: bool = True
    antialiased: Optional[Rule] = None


_LINEAR = Rule("interp", filters.TRIANGLE, clamp_negative=True, copy_same_size=True)
_LINEAR_AA = Rule("window", filters.TRIANGLE, copy_same_size=True)

# Each torch mode of the registry, as taps: (rule, antialiased rule). The registry gives the
# ranks: torch accepts bicubic and lanczos on 2-D images only, antialias on 2-D only, and
# lanczos only with antialias; the extra ranks and combinations go beyond torch (README).
_RULES = {
    "nearest": (Rule("point", nearest="floor"), None),
    "nearest-exact": (Rule("point", nearest="half"), None),
    "linear": (_LINEAR, _LINEAR_AA),
    "bilinear": (_LINEAR, _LINEAR_AA),
    "bicubic": (Rule("interp", filters.CUBIC_075), Rule("window", filters.CUBIC_050, copy_same_size=True)),
    "trilinear": (_LINEAR, _LINEAR_AA),
    "area": (Rule("adaptive"), None),
    "lanczos": (Rule("window", filters.LANCZOS3, widen=False), Rule("window", filters.LANCZOS3)),
}
MODES = {
    name: Mode(_RULES[name][0], spec.ranks, spec.interpolating, _RULES[name][1])
    for name, spec in registry.TORCH.modes.items()
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
    scales: Optional[Sequence[float]] = None,
    device: str = "cpu",
    backend: Optional[str] = None,
):
    """Resize ``input`` of shape ``(N, C, *spatial)`` (1 to 3 spatial axes) as torch does.

    Arguments, output shape, values and errors follow ``torch.nn.functional.interpolate``;
    see the module docstring for dtypes and layout.

    ``scales`` (with ``size``, one per spatial axis): the scale factors the coordinates are
    mapped with instead of ``size / input size``, as torch's upsample operators take
    ``scales_d, scales_h, scales_w`` beside ``output_size``
    (``torch.ops.aten.upsample_trilinear3d(x, size, False, *scales)``). A resize to a physical
    spacing uses it: the sizes are rounded, the taps keep the exact physical ratio.

    ``device``: ``"cpu"`` (Numba, parallel), ``"cuda"`` (Numba CUDA; a NumPy input comes back
    as NumPy, an input already on the GPU, anything with ``__cuda_array_interface__``, is read
    in place and the result stays on the GPU as a Numba device array), or ``"auto"`` (the GPU
    for GPU inputs and for inputs of at least ``AUTO_GPU_SIZE`` samples, when one is present).
    ``backend="reference"`` runs the slow NumPy oracle of the tests instead.
    """
    # The plan of the last few distinct calls on NumPy arrays is kept by layout and arguments (a
    # loop resizes alike): a repeated call runs it straight away. The key holds the arguments'
    # types, and those of a size's or scale's items (2, 2.0 and True are equal keys, not equal
    # arguments).
    key = None
    if type(input) is np.ndarray:
        sizes = tuple(size) if type(size) is list else size
        factors = tuple(scale_factor) if type(scale_factor) is list else scale_factor
        given = tuple(scales) if type(scales) is list else scales
        key = (input.shape, input.strides, input.dtype, mode, device, backend, sizes, factors, given,
               align_corners, recompute_scale_factor, antialias, type(size), type(scale_factor), type(align_corners),
               type(recompute_scale_factor), type(antialias), type(sizes) is tuple and tuple(map(type, sizes)),
               type(factors) is tuple and tuple(map(type, factors)), type(given) is tuple and tuple(map(type, given)))
        try:
            run = _calls.get(key)
        except TypeError:  # an unhashable argument: not kept
            run = key = None
        if run is not None:
            return run(input)
    backend = backend or choose_backend(device, input, math.prod(getattr(input, "shape", ())))
    x = _as_array(input, backend)
    rules, out_size, coordinate_scales, pipeline = _settings(x.shape, x.dtype, size, scale_factor, mode,
                                                             align_corners, recompute_scale_factor, antialias,
                                                             scales, x.strides)
    if backend != "cuda":  # (an output larger than the machine's memory: refused before allocating)
        check_output_memory(x.shape[:2] + out_size, x.dtype, "interpolate")
    if x.size == 0 or 0 in out_size:
        kernel = _backend(backend)
        empty = kernel.empty(x.shape[:2] + out_size, x.dtype)
        return kernel.result(empty, list(range(x.ndim)), not isinstance(x, np.ndarray))
    run = _plan(x, rules, out_size, coordinate_scales, pipeline, backend)
    if key is not None and x is input and not _one_shot:  # (a one-shot choice of backend is not kept)
        remembered(_calls, key, lambda: run)
    return run(x)


_calls: dict = {}


def _settings(shape, dtype, size, scale_factor, mode, align_corners, recompute_scale_factor, antialias,
              given_scales=None, strides=None):
    """``interpolate``'s arguments checked, as ``(rules, out_size, scales, pipeline)`` for
    ``resize_axes``; torch's errors for bad ones. ``strides`` (bytes; None: C order) choose
    torch's kernel for float16 images."""
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
    ndim = len(shape)
    if ndim not in (3, 4, 5):
        raise ValueError(f"Input Error: only 3D, 4D and 5D inputs (N, C, *spatial) are supported (got {ndim}D)")
    dim = ndim - 2
    if dim not in spec.ranks:
        needs = " or ".join(f"{r + 2}D" for r in spec.ranks)
        raise ValueError(f"Got {ndim}D input, but {mode} mode needs {needs} input")

    # Adaptive pooling (area) depends on the sizes alone, and like torch's allows an empty output.
    out_size, scales = output_size(shape[2:], size, scale_factor, recompute_scale_factor, allow_empty=mode == "area")
    if given_scales is not None:
        scales = _given_scales(given_scales, size, dim)
    if mode == "area":
        scales = [None] * dim
    rule = spec.antialiased if antialias else spec.rule
    if align_corners:
        rule = replace(rule, align_corners=True)
    # torch maps coordinates in float64 for float64 images and in float32 otherwise, and sums
    # in the same type; its exceptions follow.
    pipeline = Pipeline(np.float64 if dtype == np.float64 else np.float32)
    coordinates = pipeline.precision
    if dim == 2 and spec.rule.sampler == "point" and sum(out_size) <= 128:
        # torch's 2-D nearest kernel for small outputs: float32 coordinates whatever the dtype,
        # and for "nearest" a copy when the size is kept and i // 2 when it doubles.
        coordinates = np.float32
        if mode == "nearest":
            rule = replace(rule, nearest="floor-shortcuts")
    elif dtype == np.uint8 and dim == 2 and mode in ("bilinear", "bicubic", "lanczos"):
        # torch's 8-bit path: float64 coordinates, int16 fixed-point weights, width pass then
        # height, uint8 between the passes.
        coordinates = np.float64
        rule = replace(rule, fixed_point="int16")
        pipeline = Pipeline(np.float32, order="last-first", round_between=True)
    elif dtype == np.float16 and not antialias and mode in _HALF_KERNELS:
        rule, pipeline = _torch_half(mode, rule, shape, strides, out_size)
    elif dtype == np.float16 and mode == "area":
        # torch's adaptive average pooling of float16 (both layouts): each output's window summed
        # sample by sample (depth, height, width: the innermost axis fastest), then
        # ``sum / kd / kh / kw``. In 1-D and 2-D the sum and the quotients are float32, rounded
        # to float16 once; in 3-D its kernel sums and divides in float16, rounding each step. An
        # output of one sample per axis is torch's ``mean``: a float32 sum divided once.
        pool = "mean" if all(n == 1 for n in out_size) else "float16" if dim == 3 else "float32"
        pipeline = Pipeline(np.float32, "last-first", fused="in order", joint=True, pool=pool)
    rule = rule.with_precision(coordinates)
    if any(n == 0 for n in shape[1:]):
        raise ValueError(f"Non-empty input expected (channel and spatial sizes > 0), but got shape {shape}")
    return (rule,) * dim, tuple(out_size), tuple(scales), pipeline


# torch's float16 interpolation kernels on CPU (its antialiased ones refuse float16; area pools
# by other rules): weights rounded to float16 (linear: lambda, then 1 - lambda from it) and fused
# multiply-adds, as its compiled loops compute.
_HALF_KERNELS = {"linear": filters.TORCH_LINEAR_HALF, "bilinear": filters.TORCH_LINEAR_HALF,
                 "trilinear": filters.TORCH_LINEAR_HALF, "bicubic": filters.TORCH_CUBIC_HALF}


def _torch_half(mode, rule, shape, strides, out_size):
    """The taps rule and pipeline of torch's kernel for a float16 image.

    torch's generic kernel (linear, bicubic, and bilinear or trilinear otherwise) weighs with
    float16 weights and sums in float32, the innermost axis first, the sums of an outer axis
    taken over those of the inner ones: passes from the last axis to the first, float32 between
    them, each summed with fused multiply-adds, second tap first. Its channels-last kernel
    (bilinear when the input is channels-last with more than 3 channels or the output's height
    and width add up to 128 or less; trilinear when channels-last with more than 3 channels)
    multiplies the axes' float32 weights (1 - lambda, lambda) and sums the 4 or 8 taps at once
    with fused multiply-adds, in order. torch also takes that kernel for 3 channels when it runs
    on one thread; this follows its multi-threaded choice. Both round to float16 once, at the end.
    """
    many = strides is not None and _is_dense(shape, strides, [0, *range(2, len(shape)), 1]) and shape[1] > 3
    if mode == "trilinear" and many or mode == "bilinear" and (many or sum(out_size) <= 128):
        return replace(rule, filter=filters.LINEAR_TAPS), Pipeline(np.float32, "last-first", fused="in order",
                                                                   joint=True)
    return replace(rule, filter=_HALF_KERNELS[mode]), Pipeline(np.float32, "last-first", fused="second first")


def _is_dense(shape, strides, order) -> bool:
    """Whether an array of 2-byte samples lies in ``order`` without gaps (size-1 axes aside)."""
    expected = 2
    for a in reversed(order):
        if shape[a] != 1 and strides[a] != expected:
            return False
        expected *= shape[a]
    return True


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


def _given_scales(scales, size, dim: int) -> list:
    """``interpolate``'s ``scales``: one positive finite factor per axis, beside a ``size``."""
    if size is None:
        raise ValueError("scales are the coordinates' scale factors of an explicit size; give size too")
    scales = _per_axis(scales, dim, "scales", [])
    for f in scales:
        if isinstance(f, bool) or not isinstance(f, numbers.Real):
            raise TypeError(f"scales must be numbers, got {type(f).__name__}")
        if not (math.isfinite(f) and f > 0):
            raise ValueError(f"scales must be positive and finite, got {f}")
    return [float(f) for f in scales]


def resize_axes(x, rules, out_size, scales, pipeline: Pipeline, *, backend: str = "cpu"):
    """Resize the trailing ``len(rules)`` axes of ``x`` to ``out_size``, one taps rule per axis.

    The passes run in the array's memory order, in the pipeline's pass order; axes whose
    taps are the identity are skipped, and two neighbouring outer axes may run as one pass of
    product taps (``_merged``). The plan is made once for each layout and settings (the last
    few kept): a loop over images of one size plans once.
    """
    return _plan(x, rules, out_size, scales, pipeline, backend)(x)


@contextlib.contextmanager
def one_shot(on_compile=None):
    """Within: resizes choose NumPy or Numba as a process that resizes one image should (above);
    ``on_compile(line)`` is told before loops are compiled."""
    global _one_shot, _on_compile
    before = _one_shot, _on_compile
    _one_shot, _on_compile = True, on_compile
    try:
        yield
    finally:
        _one_shot, _on_compile = before


def _plan(x, rules, out_size, scales, pipeline, backend):
    """``run(x)`` for ``resize_axes``' arguments; plans are kept for the last few layouts and settings."""
    key = (x.shape, x.strides, x.dtype, tuple(rules), tuple(out_size), tuple(scales), pipeline)
    p = remembered(_plans, key, lambda: plan(*key))
    if backend == "cpu" and _one_shot:
        backend = _one_shot_backend(p)
    return functools.partial(_execute, p, _backend(backend), isinstance(x, np.ndarray))


def kernel_for(p: "Plan"):
    """The backend module that runs the CPU plan ``p`` as ``interpolate`` would (NumPy where a
    process that resizes one image finishes sooner on it, see below)."""
    return _backend(_one_shot_backend(p) if _one_shot else "cpu")


def _one_shot_backend(p: "Plan") -> str:
    """"cpu", or "reference" (NumPy) where that is estimated to finish first.

    Loading Numba costs every process; compiling the plan's missing loops costs once. So NumPy
    runs work that it finishes before Numba would have loaded; and, while loops are missing, work
    it finishes before they would have compiled, until such work has lost as much time to the
    compiled loops as compiling them costs (``compiled.waited``): then they are compiled, which
    ``_on_compile`` is told first.
    """
    from .kernels import compiled

    load = 0.0 if "numba" in sys.modules else NUMBA_LOAD_SECONDS
    on_numpy = NUMPY_TAP_SECONDS * p.tap_samples()
    if on_numpy < load:
        return "reference"
    missing = set(p.loops()) - compiled.known()
    if missing:
        compiling = COMPILE_SECONDS * len(missing)
        if on_numpy < load + compiling and compiled.waited() < compiling:
            compiled.wait(on_numpy - load)
            return "reference"
        if _on_compile is not None:
            _on_compile(f"compiling kernels for first use, once (about {load + compiling:.0f} s; "
                        "`upsample warmup` compiles them all ahead)")
        compiled.wait(-1)
    return "cpu"


_plans: dict = {}


class Pass(NamedTuple):
    """One step of a plan, on the work array (C-contiguous, its axes in memory order).

    ``kernel`` is a backend's function: ``resample_axis`` (``tables`` = index, weight, shift),
    ``select_axis`` (``tables`` = index), ``astype`` or ``copy``; or one that runs in NumPy
    whatever the backend (``host_pass``): ``sum_taps`` (``tables`` = index, weight: the taps of
    nonzero weight added one by one, each sum rounded to ``dtype``) or ``divide_axis``
    (``tables`` = the divisor of each output position, in ``dtype``). The work array is viewed as
    ``src`` = (P, n_in, Q) and the pass writes a new array of ``dtype`` viewed as ``out`` =
    (P, n_out, Q), which is the next work array, of axes ``dims``. ``axes`` are the input's
    axes it resizes (several: merged taps over them flattened).
    """

    kernel: str
    axes: tuple = ()
    src: tuple = ()
    out: tuple = ()
    dtype: np.dtype = None
    dims: tuple = ()
    tables: tuple = ()

    def describe(self, names) -> str:
        if self.kernel == "resample_pair":
            first, second, _ = self.tables
            return (f"band by band of rows, two passes:\n    {first.describe(names)}\n"
                    f"    {second.describe(names)}")
        what = "+".join(names[a] for a in self.axes)
        if self.kernel == "divide_axis":
            return f"divide along {what} by its window sizes, in {np.dtype(self.dtype).name}"
        if self.kernel == "sum_taps":
            return (f"sum {what} {self.src[1]} -> {self.out[1]}, {self.tables[0].shape[1]} taps one by one, "
                    f"each sum rounded to {np.dtype(self.dtype).name}, as {self.src} -> {self.out} (NumPy)")
        if self.kernel in ("astype", "copy"):
            return f"{self.kernel} to {np.dtype(self.dtype).name}" if self.kernel == "astype" else "copy"
        n_in, n_out, q = self.src[1], self.out[1], self.out[2]
        loop = loop_of(n_in, q)
        if self.kernel == "select_axis":
            return f"select {what} {n_in} -> {n_out} as {self.src} -> {self.out}, {loop} loop"
        index, weight, shift, fused = self.tables
        sums = f"int32, {shift} fraction bits" if shift else np.dtype(weight.dtype).name
        sums += ", fused multiply-adds" if fused else ""
        return (f"resample {what} {n_in} -> {n_out}, {index.shape[1]} taps, sums in {sums}, as {self.src} -> "
                f"{self.out} {np.dtype(self.dtype).name}, {loop} loop")


class Plan(NamedTuple):
    """A resize as data: the input's memory ``order`` (outermost axis first) and the passes that
    run on it in that order; the result is the last work array in the input's layout."""

    shape: tuple
    dtype: np.dtype
    order: tuple
    passes: tuple

    def loops(self):
        """The CPU loops the passes run, as ``kernels.compiled`` names them."""
        from .kernels import bits_of, compiled, loop_of

        dtype = self.dtype
        for p in self.single_passes():
            if p.kernel == "select_axis":
                loop = "select_rows" if loop_of(p.src[1], p.src[2]) == "wide" else "select"
                yield compiled.signature(loop, bits_of(dtype.itemsize, p.src[2]))
            elif p.kernel == "resample_axis":
                fused = ("fused",) if p.tables[3] else ()
                yield compiled.signature(loop_of(p.src[1], p.src[2]), dtype, p.tables[1].dtype, p.dtype, *fused)
            dtype = p.dtype if p.dtype is not None else dtype

    def tap_samples(self) -> int:
        """Output samples times taps, over the passes (a nearest pass counts one tap)."""
        taps_of = lambda p: p.tables[0].shape[1] if p.tables[0].ndim == 2 else 1  # noqa: E731
        return sum(math.prod(p.out) * taps_of(p) for p in self.single_passes() if p.tables)

    def single_passes(self):
        """The passes one by one, the two of each pair included."""
        for p in self.passes:
            yield from p.tables[:2] if p.kernel == "resample_pair" else (p,)

    def describe(self) -> str:
        # interpolate's (N, C, D, H, W); other layouts (a convention's single passes) by position
        names = ["N", "C", *"DHW"[5 - len(self.shape) :]] if 3 <= len(self.shape) <= 5 else []
        names = names or [f"axis {a}" for a in range(len(self.shape))]
        order = " ".join(names[a] for a in self.order)
        lines = [f"input {self.shape} {np.dtype(self.dtype).name}, memory order {order}"]
        lines += [f"pass {i}: {p.describe(names)}" for i, p in enumerate(self.passes, 1)]
        return "\n".join(lines)


@contextlib.contextmanager
def recorded():
    """Within: each plan run is appended, with the name of its backend, to the list yielded."""
    plans = []
    _recording.append(plans)
    try:
        yield plans
    finally:
        _recording.remove(plans)


_recording: list = []


def record_run(plan: Plan, kernel) -> None:
    """Tell ``recorded`` that ``plan`` runs on the backend module ``kernel`` (a resize that runs a
    plan a block at a time tells it once)."""
    for plans in _recording:
        plans.append((plan, _BACKEND_NAMES.get(kernel.__name__.rsplit(".", 1)[-1], kernel.__name__)))


def _execute(plan: Plan, kernel, host: bool, x):
    """Run ``plan`` on ``x`` with a backend module."""
    record_run(plan, kernel)
    work = kernel.prepare(x, plan.order)
    for p in plan.passes:
        if p.kernel == "astype":
            work = kernel.astype(work, p.dtype)
        elif p.kernel == "copy":
            work = kernel.copy(work)
        elif p.kernel == "resample_pair" and hasattr(kernel, "resample_pair"):
            out = kernel.empty(p.dims, p.dtype)
            first, second, nested = p.tables
            kernel.resample_pair(work.reshape(p.src), (*first.tables, first.dtype, nested), second.tables,
                                 out.reshape(p.out))
            work = out
        elif p.kernel in ("sum_taps", "divide_axis"):
            on_host = work if isinstance(work, np.ndarray) else work.copy_to_host()
            out = host_pass(p, on_host.reshape(p.src)).reshape(p.dims)
            work = out if isinstance(work, np.ndarray) else kernel.prepare(out, list(range(out.ndim)))
        else:
            for one in p.tables[:2] if p.kernel == "resample_pair" else (p,):  # (a backend without pairs)
                work = _run_pass(one, kernel, work)
    return kernel.result(work, list(np.argsort(plan.order)), not host)


def host_pass(p: Pass, src: np.ndarray, index=None, weight=None, divisor=None) -> np.ndarray:
    """A ``sum_taps`` or ``divide_axis`` pass on ``src`` (NumPy, viewed as ``(P, n, Q)``), as
    ``(P, n_out, Q)`` of ``p.dtype``; ``index``, ``weight`` or ``divisor`` replace the pass's
    tables (a block's rows). Both follow torch's float16 arithmetic, ``float(a) op float(b)``
    rounded to float16 (to float32 for a float32 ``dtype``)."""
    if p.kernel == "divide_axis":
        divisor = p.tables[0] if divisor is None else divisor
        return (src.astype(np.float32) / divisor.astype(np.float32)[None, :, None]).astype(p.dtype)
    index, weight = (p.tables[0], p.tables[1]) if index is None else (index, weight)
    acc = np.zeros((src.shape[0], index.shape[0], src.shape[2]), p.dtype)  # (torch starts from 0)
    for k in range(index.shape[1]):
        added = (acc.astype(np.float32) + src[:, index[:, k], :].astype(np.float32)).astype(p.dtype)
        acc = np.where(weight[None, :, k, None] != 0, added, acc)  # (a window's padding taps)
    return acc


def _run_pass(p: Pass, kernel, work):
    """The next work array: ``p`` (a resample or select pass) run on ``work``."""
    out = kernel.empty(p.dims, p.dtype)
    src, dst = work.reshape(p.src), out.reshape(p.out)
    if p.kernel == "select_axis":
        kernel.select_axis(src, p.tables[0], dst)
    else:
        index, weight, shift, fused = p.tables
        kernel.resample_axis(src, index, weight, dst, shift, fused)
    return out


def plan(shape, strides, dtype, rules, out_size, scales, pipeline) -> Plan:
    """The passes that resize an array of this layout (``resize_axes``)."""
    dtype = np.dtype(dtype)
    first = len(shape) - len(rules)
    compute = pipeline.precision
    steps = []
    every = []
    for i, (rule, n_out, scale) in enumerate(zip(rules, out_size, scales)):
        axis = first + i
        n_in = shape[axis]
        t = taps(n_in, n_out, rule, scale)
        every.append((axis, t))
        if n_in == n_out and (t.is_identity or pipeline.round_between):
            continue
        steps.append((axis, t))
    order = _memory_order(shape, strides, dtype.itemsize)
    counts = {}
    if pipeline.pool and steps:
        # Window sums (taps of weight 1 over every axis) and each axis's window sizes.
        counts = {axis: (t.weight != 0).sum(axis=1) for axis, t in every}
        every = [(axis, Taps(t.index, (t.weight != 0).astype(t.weight.dtype))) for axis, t in every]
        steps = every[:1]
    if pipeline.joint and (len(steps) > 1 or counts):
        # One pass over every resized axis flattened (identity taps for the others between them),
        # which must be neighbours in memory, in order: else the work array is made C order.
        if [order.index(a) for a, _ in every] != list(range(order.index(first), order.index(first) + len(every))):
            order = list(range(len(shape)))
        steps = every
    if pipeline.order == "cheapest":
        steps = min(itertools.permutations(steps), key=lambda p: _work(p, shape, order))
    else:
        steps.reverse()
    dims = [shape[a] for a in order]  # of the work array, in memory order
    passes = []

    def add(kernel, axes, sizes, out_dtype, tables):
        m = order.index(axes[0])
        b = m + len(axes)
        n_in, n_out = math.prod(dims[m:b]), tables[0].shape[0]
        src, out = (math.prod(dims[:m]), n_in, math.prod(dims[b:])), (math.prod(dims[:m]), n_out, math.prod(dims[b:]))
        dims[m:b] = sizes
        passes.append(Pass(kernel, tuple(axes), src, out, np.dtype(out_dtype), tuple(dims), tables))

    if not steps:
        passes.append(Pass("copy"))
    elif all(t.is_selection for _, t in steps):  # nearest modes: copy samples, in any dtype
        for axes, sizes, index in _selections(steps, order, dims):
            add("select_axis", axes, sizes, dtype, (_frozen(index),))
    elif pipeline.pool == "float16":
        axes, sizes, t = _joint([([axis], [t.index.shape[0]], t) for axis, t in steps], dims, order)
        add("sum_taps", axes, sizes, dtype, (_frozen(t.index.astype(np.intp)), _frozen(t.weight)))
        _divisions(add, counts, dtype)
    else:
        final = np.dtype(np.float32) if dtype == np.float16 else dtype
        if dtype == np.float16:
            passes.append(Pass("astype", dtype=final))
        # Steps: (axes, output sizes of its axes, taps over them flattened).
        steps = [([axis], [t.index.shape[0]], t) for axis, t in steps]
        if pipeline.joint and len(steps) > 1:
            steps = [_joint(steps, dims, order)]
        elif not (pipeline.round_between or pipeline.fused):
            steps = _merged(steps, order, list(dims), final.kind in "iu")
        for n, (axes, sizes, t) in enumerate(steps):
            index, weight = t.index.astype(np.intp, copy=False), t.weight if t.shift else t.weight.astype(compute)
            if pipeline.fused == "second first" and index.shape[1] > 1:
                swap = [1, 0, *range(2, index.shape[1])]
                index, weight = index[:, swap], weight[:, swap]
            out_dtype = final if pipeline.round_between or n == len(steps) - 1 else compute
            add("resample_axis", axes, sizes, out_dtype, (_frozen(index), _frozen(weight), t.shift,
                                                          bool(pipeline.fused)))
        _divisions(add, counts, final, mean=pipeline.pool == "mean")
        if final != dtype:
            passes.append(Pass("astype", dtype=dtype))
    return Plan(tuple(shape), dtype, tuple(order), tuple(_paired(passes, order)))


def _divisions(add, counts, dtype, mean=False):
    """``divide_axis`` passes: the sums divided by each axis's window sizes, the outermost axis
    first (torch's ``sum / kd / kh / kw``), each quotient rounded to ``dtype``. torch divides by
    the integer size, which a float16 quotient takes as a float16 (``Half / int64_t``). A
    ``mean`` (one output sample per axis) is divided once, by the number of samples."""
    if mean and counts:
        total = math.prod(int(count[0]) for count in counts.values())
        add("divide_axis", [next(iter(counts))], [1], dtype, (_frozen(np.array([total], np.float32)),))
        return
    for axis, count in counts.items():
        if (count != 1).any():
            divisor = count.astype(np.float32).astype(dtype).astype(np.float32)
            add("divide_axis", [axis], [count.size], dtype, (_frozen(divisor),))


def _paired(passes, order):
    """Passes with two resamples of neighbouring axes, one after the other, taken as one
    ``resample_pair`` pass that a backend may run band by band of rows (``kernels.cpu``): the rows
    between them stay a few at a time instead of a full-size intermediate. Its ``src`` and ``out``
    are ``(P, A, B, Q)`` views, ``A`` the outer axis, ``B`` the inner; ``tables`` holds the two
    passes and which runs first."""
    paired, n = [], 0
    while n < len(passes):
        p1, p2 = passes[n], passes[n + 1] if n + 1 < len(passes) else None
        if (p2 is not None and p1.kernel == p2.kernel == "resample_axis" and len(p1.axes) == len(p2.axes) == 1
                and abs(order.index(p1.axes[0]) - order.index(p2.axes[0])) == 1):
            if order.index(p1.axes[0]) > order.index(p2.axes[0]):  # the inner axis first
                nested, src = "inner first", (p2.src[0], p2.src[1], p1.src[1], p1.src[2])
                out = (p2.out[0], p2.out[1], p1.out[1], p1.out[2])
            else:
                nested, src = "outer first", (p1.src[0], p1.src[1], p2.src[1], p2.src[2])
                out = (p1.out[0], p1.out[1], p2.out[1], p2.out[2])
            paired.append(Pass("resample_pair", p1.axes + p2.axes, src, out, p2.dtype, p2.dims, (p1, p2, nested)))
            n += 2
        else:
            paired.append(p1)
            n += 1
    return paired


def _selections(steps, order, dims):
    """Nearest passes, ``(axes, sizes, index)``: outer axes that are neighbours in memory run as
    one pass over them flattened (one copy of each output row instead of one per axis), ``index``
    giving each output position's flattened input position; passes in the steps' order."""
    rank = {axis: n for n, (axis, _) in enumerate(steps)}
    groups = []
    for axis, t in sorted(steps, key=lambda s: order.index(s[0])):
        m, index = order.index(axis), t.index[:, 0].astype(np.intp)
        if groups and order.index(groups[-1][0][-1]) == m - 1 and math.prod(dims[m + 1 :]) >= WIDE:
            axes, sizes, outer = groups[-1]
            groups[-1] = (axes + [axis], sizes + [index.size], (outer[:, None] * dims[m] + index).ravel())
        else:
            groups.append(([axis], [index.size], index))
    return sorted(groups, key=lambda g: min(rank[a] for a in g[0]))


def explain(input, size=None, scale_factor=None, mode: str = "nearest", align_corners: Optional[bool] = None,
            recompute_scale_factor: Optional[bool] = None, antialias: bool = False) -> str:
    """The plan ``interpolate`` runs for these arguments, as text: each pass, its kernel and loop."""
    x = input if isinstance(input, np.ndarray) else np.asarray(input)
    return plan_of(x, size, scale_factor, mode, align_corners, recompute_scale_factor, antialias).describe()


def plan_of(input, size=None, scale_factor=None, mode: str = "nearest", align_corners: Optional[bool] = None,
            recompute_scale_factor: Optional[bool] = None, antialias: bool = False, *, scales=None) -> Plan:
    """The :class:`Plan` ``interpolate`` runs for these arguments; ``input`` needs only ``shape``,
    ``strides`` and ``dtype`` (a header: :mod:`upsample_cli.blocks` runs the plan block by block)."""
    rules, out_size, scales, pipeline = _settings(input.shape, np.dtype(input.dtype), size, scale_factor, mode,
                                                  align_corners, recompute_scale_factor, antialias, scales,
                                                  input.strides)
    return plan(input.shape, input.strides, input.dtype, rules, out_size, scales, pipeline)


def _frozen(a):
    """A C-contiguous read-only view (plans are kept: their tables must not change); the array
    given keeps its flags."""
    a = np.ascontiguousarray(a).view()
    a.flags.writeable = False
    return a


def _merged(steps, order, dims, exact):
    """Steps with two neighbouring outer axes taken in one pass where that is less work: its taps
    are the products of theirs, over the two axes flattened (no intermediate array between them).
    Downscales gain (an area /2 of a volume reads each input row once, into rows that stay in
    cache); upscales, whose separable passes share work, do not. Products sum in another order
    than two passes do, so where results are rounded to integers (``exact``) only weights that
    are powers of two (exact sums either way) are merged."""
    merged, n = [], 0
    while n < len(steps):
        (axes, sizes, t), nxt = steps[n], steps[n + 1] if n + 1 < len(steps) else None
        m = order.index(axes[0])
        mergeable = nxt is not None and len(axes) == len(nxt[0]) == 1 and abs(m - order.index(nxt[0][0])) == 1
        if mergeable and not (t.shift or nxt[2].shift) and (not exact or _dyadic(t) and _dyadic(nxt[2])):
            a = min(m, order.index(nxt[0][0]))
            (ax, ta), (bx, tb) = sorted([(axes[0], t), (nxt[0][0], nxt[2])], key=lambda s: order.index(s[0]))
            (n_x, k_x), (n_y, k_y) = t.index.shape, nxt[2].index.shape
            taps_all, between = n_x * n_y * k_x * k_y, n_x * dims[order.index(nxt[0][0])]  # rows between the passes
            inner = math.prod(dims[a + 2 :])
            # Less work, and a table (12 bytes a tap) no larger than the intermediate it saves.
            if inner >= WIDE and taps_all <= between * k_x + n_x * n_y * k_y and 3 * taps_all <= between * inner:
                sizes = [ta.index.shape[0], tb.index.shape[0]]
                merged.append(([ax, bx], sizes, product(ta, tb, dims[a + 1])))
                dims[a : a + 2] = sizes
                n += 2
                continue
        merged.append(steps[n])
        dims[m] = sizes[0]
        n += 1
    return merged


def _joint(steps, dims, order):
    """The steps of neighbouring axes (in memory order) as one: ``(axes, sizes, product taps)``,
    the outermost axis's taps outermost, weights multiplied from the outermost axis in."""
    steps = sorted(steps, key=lambda s: order.index(s[0][0]))
    axes, sizes, t = steps[0]
    for more, n_more, u in steps[1:]:
        t = product(t, u, dims[order.index(more[0])])
        axes, sizes = axes + more, sizes + n_more
    return axes, sizes, t


def _dyadic(t) -> bool:
    """Whether every weight is zero or a power of two."""
    return bool((np.frexp(t.weight)[0][t.weight != 0] == 0.5).all())


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


def _memory_order(shape, strides, itemsize) -> list:
    """Axes from the outermost in memory to the innermost.

    C order and channels-last are recognised as such (size-1 axes have no meaningful stride);
    any other layout is sorted by stride, each size-1 axis placed in front of the outermost in
    memory of the longer axes after it: a batch of one stays first whatever the order of the
    rest (an RGB view of four-byte pixels, ``rgbx[..., :3]``, strides ``(W*4, 4, 1)``, is
    ``N H W C`` as its packed copy is, not ``H W N C``).
    """
    ndim = len(shape)
    for order in (list(range(ndim)), [0, *range(2, ndim), 1]):
        expected = itemsize
        for a in reversed(order):
            if shape[a] != 1 and strides[a] != expected:
                break
            expected *= shape[a]
        else:
            return order
    order = sorted((a for a in range(ndim) if shape[a] > 1), key=lambda a: -abs(strides[a]))
    for a in range(ndim):
        if shape[a] == 1:
            later = [b for b in range(a + 1, ndim) if shape[b] > 1]
            order.insert(min(order.index(b) for b in later) if later else len(order), a)
    return order


_BACKEND_NAMES = {"cpu": "Numba (CPU)", "reference": "NumPy", "cuda": "Numba (CUDA)"}


def _backend(name: str):
    if name not in ("cpu", "reference", "cuda"):
        raise ValueError(f"unknown backend {name!r}; expected 'cpu', 'cuda' or 'reference'")
    return importlib.import_module(f".kernels.{name}", __package__)


def choose_backend(device: str, input, size: int) -> str:
    """The backend for ``device`` ("cpu", "cuda", "auto") and this input (``size`` samples)."""
    if device not in ("cpu", "cuda", "auto"):
        raise ValueError(f"unknown device {device!r}; expected 'cpu', 'cuda' or 'auto'")
    if device == "cpu":
        return "cpu"
    gpu_input = on_gpu(input)
    if device == "auto" and not gpu_input and size < AUTO_GPU_SIZE:
        return "cpu"
    if not _cuda_available():
        if device == "auto":
            return "cpu"
        raise RuntimeError(
            "device='cuda' needs an NVIDIA GPU with its driver and the numba-cuda package "
            "(pip install numba-cuda); no GPU was found"
        )
    return "cuda"


def _cuda_available() -> bool:
    try:
        from .kernels import cuda
    except ImportError:
        return False
    return cuda.available()


def on_gpu(input) -> bool:
    """Whether ``input`` lives on a GPU: it exposes ``__cuda_array_interface__`` or is a Numba
    device array (which, under the simulator, exposes only ``__cuda_ndarray__``)."""
    if isinstance(input, np.ndarray):
        return False
    return hasattr(input, "__cuda_array_interface__") or getattr(input, "__cuda_ndarray__", False)


def _as_array(input, backend: str):
    """A NumPy array, or a Numba device array for a GPU input resized on the GPU."""
    if on_gpu(input):
        from .kernels import cuda

        x = cuda.as_device_array(input)
        if backend != "cuda":
            x = x.copy_to_host()
    else:
        x = input if isinstance(input, np.ndarray) else np.asarray(input)
    if x.dtype.type not in SUPPORTED_DTYPES:
        names = ", ".join(np.dtype(t).name for t in SUPPORTED_DTYPES)
        raise TypeError(f"unsupported dtype {x.dtype}; expected one of {names}")
    if not x.dtype.isnative:
        x = np.asarray(x).astype(x.dtype.newbyteorder("="))
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


__all__ = ["interpolate", "explain", "plan", "plan_of", "MODES", "Pipeline", "Plan", "Pass", "Taps", "resize_axes", "output_size"]
