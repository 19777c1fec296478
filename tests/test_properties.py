"""Property tests of ``upsample_cli.interpolate`` and of the taps tables (hypothesis).

Every property is stated on small random arrays so that the whole module runs in seconds once
Numba has compiled its kernels. torch is deliberately not imported: these are invariants that
hold whatever the reference library says.
"""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from upsample_cli import api, interpolate
from upsample_cli.api import MODES
from upsample_cli.taps import taps

# The Numba kernel compiles on first use (several seconds per signature): no deadline.
SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow])
FEW = settings(max_examples=50, **SETTINGS)
SOME = settings(max_examples=80, **SETTINGS)

DTYPES = (np.uint8, np.uint16, np.float16, np.float32, np.float64)
INT_DTYPES = (np.uint8, np.uint16)
INTERPOLATING = ("linear", "bilinear", "trilinear", "bicubic")


@pytest.fixture(autouse=True)
def _quiet_numba():
    # The kernel cannot be cached by Numba (see the report); its warning is noise here.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Cannot cache compiled function")
        yield


def modes_for(dim: int):
    return [m for m, spec in MODES.items() if dim in spec.ranks]


def random_array(rng, shape, dtype, *, low=None, high=None):
    """Random samples over most of the dtype's range, with some extreme values mixed in."""
    dtype = np.dtype(dtype)
    if dtype.kind == "u":
        info = np.iinfo(dtype)
        lo = info.min if low is None else low
        hi = info.max if high is None else high
        x = rng.integers(lo, hi, size=shape, endpoint=True)
        extremes = rng.random(shape) < 0.15
        x = np.where(extremes, rng.choice([lo, hi], size=shape), x)
        return x.astype(dtype)
    x = rng.standard_normal(shape) * 100
    return x.astype(dtype)


@st.composite
def resize_cases(draw, *, dims=(1, 2, 3), modes=None, dtypes=DTYPES, min_in=1, max_in=6, max_out=9):
    """A random (input, keyword arguments) pair that interpolate must accept."""
    dim = draw(st.sampled_from(dims))
    allowed = [m for m in modes_for(dim) if modes is None or m in modes]
    assume(allowed)
    mode = draw(st.sampled_from(allowed))
    dtype = draw(st.sampled_from(dtypes))
    n = draw(st.integers(1, 2))
    c = draw(st.integers(1, 3))
    hi_in = max_in if dim < 3 else min(max_in, 5)
    spatial = tuple(draw(st.integers(min_in, hi_in)) for _ in range(dim))
    out = tuple(draw(st.integers(1, max_out if dim < 3 else 6)) for _ in range(dim))
    kwargs = {"mode": mode}
    if draw(st.booleans()):
        kwargs["size"] = out if dim > 1 or draw(st.booleans()) else out[0]
    else:
        # A scale factor whose output size (floor(n * s)) is out; any fraction above it is allowed.
        factors = []
        for n_in, n_out in zip(spatial, out):
            f = (n_out + draw(st.sampled_from([0.0, 0.25, 0.5, 0.9]))) / n_in
            assume(int(n_in * f) == n_out)
            factors.append(f)
        kwargs["scale_factor"] = tuple(factors)
        if draw(st.booleans()):
            kwargs["recompute_scale_factor"] = True
    spec = MODES[mode]
    if spec.interpolating:
        choices = [None, False, True] if mode != "lanczos" else [None, False]
        kwargs["align_corners"] = draw(st.sampled_from(choices))
    if spec.antialiased is not None:
        kwargs["antialias"] = draw(st.booleans())
    seed = draw(st.integers(0, 2**32 - 1))
    x = random_array(np.random.default_rng(seed), (n, c) + spatial, dtype)
    return x, kwargs


def expected_shape(x, kwargs):
    spatial = x.shape[2:]
    if "size" in kwargs:
        size = kwargs["size"]
        size = size if isinstance(size, tuple) else (size,) * len(spatial)
        return x.shape[:2] + tuple(size)
    return x.shape[:2] + tuple(int(n * f) for n, f in zip(spatial, kwargs["scale_factor"]))


def channels_last(x):
    """The same values as ``x`` stored with the channel axis innermost (NHWC, NDHWC, NWC)."""
    perm = (0,) + tuple(range(2, x.ndim)) + (1,)
    return np.ascontiguousarray(x.transpose(perm)).transpose(np.argsort(perm))


def is_channels_last(y):
    perm = (0,) + tuple(range(2, y.ndim)) + (1,)
    return y.transpose(perm).flags.c_contiguous


def float_tolerance(dtype):
    return {np.float16: 2e-3, np.float32: 2e-6, np.float64: 1e-12}[np.dtype(dtype).type]


def assert_same_result(got, want, x, kwargs):
    """Same dtype and shape, and the same values up to rounding.

    The pass order follows the memory layout (the cheapest order for that layout), so a
    channels-last or strided input may sum in another order: floats then differ by rounding
    and integers by at most one at a rounding tie.
    """
    assert got.dtype == want.dtype and got.shape == want.shape
    if got.dtype.kind == "u":
        assert np.abs(got.astype(np.int64) - want.astype(np.int64)).max(initial=0) <= 1
    else:
        scale = 1 + float(np.abs(want.astype(np.float64)).max(initial=0))
        np.testing.assert_allclose(got, want, rtol=0, atol=float_tolerance(got.dtype) * scale)


# ---------------------------------------------------------------------------------------------
# Values


@SOME
@given(resize_cases(), st.data())
def test_constant_input_stays_constant(case, data):
    x, kwargs = case
    dtype = x.dtype
    if dtype.kind == "u":
        value = data.draw(st.sampled_from([0, 1, 77, int(np.iinfo(dtype).max)]))
    else:
        value = data.draw(st.sampled_from([0.0, 1.0, -3.25, 0.1, 1000.5]))
    x = np.full(x.shape, value, dtype)
    y = interpolate(x, **kwargs)
    assert y.dtype == dtype
    assert y.shape == expected_shape(x, kwargs)
    if dtype.kind == "u" or kwargs["mode"].startswith("nearest"):
        assert (y == x.flat[0]).all()
    elif dtype == np.float16 and kwargs["mode"] == "area" and x.ndim == 5 and y.size > y.shape[0] * y.shape[1]:
        # torch pools float16 volumes in float16, rounding every partial sum (test_golden_torch_half):
        # a window of n samples drifts by up to n half-precision steps, and overflows past 65504.
        window = math.prod(-(-n_in // n_out) + 1 for n_in, n_out in zip(x.shape[2:], y.shape[2:]))
        finite = np.isfinite(y)
        np.testing.assert_allclose(y[finite].astype(np.float64), float(x.flat[0]), rtol=window * 2.0**-10)
    else:
        # float32 cubic weights (computed in float32, as torch does) sum to 1 within ~1e-6 per
        # axis, and three axes compound it.
        rtol = 1e-5 if dtype == np.float32 else float_tolerance(dtype)
        np.testing.assert_allclose(y.astype(np.float64), float(x.flat[0]), rtol=rtol, atol=1e-12)


@SOME
@given(resize_cases(modes=("nearest", "nearest-exact"), max_in=7), st.data())
def test_nearest_integer_scale_is_repeat(case, data):
    x, kwargs = case
    dim = x.ndim - 2
    factors = tuple(data.draw(st.integers(1, 5)) for _ in range(dim))
    as_float = data.draw(st.booleans())
    scale = tuple(float(f) for f in factors) if as_float else factors
    y = interpolate(x, scale_factor=scale if dim > 1 or data.draw(st.booleans()) else scale[0], mode=kwargs["mode"])
    expected = x
    for axis, f in enumerate(factors, start=2):
        expected = np.repeat(expected, f, axis=axis)
    assert y.dtype == x.dtype
    np.testing.assert_array_equal(y, expected)


@SOME
@given(resize_cases(modes=("area",), max_in=4), st.data())
def test_area_integer_downscale_is_block_mean(case, data):
    x0, _ = case
    dim = x0.ndim - 2
    factors = tuple(data.draw(st.integers(1, 4)) for _ in range(dim))
    blocks = x0.shape[2:]
    # Make each spatial size a multiple of its factor: n = blocks * factor.
    seed = data.draw(st.integers(0, 2**32 - 1))
    shape = x0.shape[:2] + tuple(b * f for b, f in zip(blocks, factors))
    x = random_array(np.random.default_rng(seed), shape, x0.dtype)
    y = interpolate(x, size=blocks, mode="area")

    split = x0.shape[:2] + tuple(itertools.chain.from_iterable(zip(blocks, factors)))
    mean = x.astype(np.float64).reshape(split).mean(axis=tuple(range(3, 3 + 2 * dim, 2)))
    assert y.shape == mean.shape and y.dtype == x.dtype
    if x.dtype.kind == "u":
        # Rounded to nearest (half up); a mean within float rounding of .5 may go either way.
        assert np.abs(y.astype(np.float64) - mean).max() <= 0.5 + 1e-3
        exact = np.floor(mean + 0.5)
        clear = np.abs(mean - np.floor(mean) - 0.5) > 1e-3
        np.testing.assert_array_equal(y[clear], exact[clear])
    else:
        # Float rounding of the sum is relative to the samples, not to the (possibly tiny) mean.
        atol = 4 * float_tolerance(x.dtype) * (1 + float(np.abs(x.astype(np.float64)).max()))
        np.testing.assert_allclose(y.astype(np.float64), mean, rtol=0, atol=atol)


@SOME
@given(resize_cases(modes=INTERPOLATING))
def test_align_corners_keeps_corner_samples(case):
    x, kwargs = case
    kwargs = dict(kwargs, align_corners=True, antialias=False)
    y = interpolate(x, **kwargs)
    dim = x.ndim - 2
    scale = float(np.abs(x.astype(np.float64)).max()) + 1.0
    for corner in itertools.product((0, 1), repeat=dim):
        src = tuple(0 if (c == 0 or m == 1) else n - 1 for c, n, m in zip(corner, x.shape[2:], y.shape[2:]))
        dst = tuple(0 if c == 0 else m - 1 for c, m in zip(corner, y.shape[2:]))
        got = y[(slice(None), slice(None)) + dst]
        want = x[(slice(None), slice(None)) + src]
        if x.dtype.kind == "u":
            np.testing.assert_array_equal(got, want)
        else:
            tol = max(float_tolerance(x.dtype), 1e-6 if x.dtype == np.float64 else 0) * scale * 4
            np.testing.assert_allclose(got.astype(np.float64), want.astype(np.float64), rtol=0, atol=tol)


@SOME
@given(resize_cases())
def test_numba_backend_equals_reference(case):
    x, kwargs = case
    got = interpolate(x, backend="cpu", **kwargs)
    want = interpolate(x, backend="reference", **kwargs)
    assert got.dtype == want.dtype == x.dtype
    assert got.shape == want.shape == expected_shape(x, kwargs)
    if x.dtype.kind == "u":
        assert_same_result(got, want, x, kwargs)
    elif x.dtype == np.float16:
        # Both compute in float32; the final rounding to float16 may split an ulp of float32.
        np.testing.assert_allclose(got.astype(np.float64), want.astype(np.float64), rtol=1e-3, atol=1e-3)
    else:
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6 * (1 + float(np.abs(want).max(initial=0))))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", ["linear", "bilinear", "bicubic", "trilinear", "lanczos", "area", "antialias"])
def test_cpu_fast_paths_equal_reference(mode, dtype):
    # Every factor, channel count and layout through the compiled loops: wide loops over outer
    # axes, narrow loops over the innermost one; pairs of passes band by band of rows, with bands
    # of one row (channels-last cases) and of many.
    from upsample_cli.kernels import cpu

    rng = np.random.default_rng(len(mode))
    dim = {"linear": 1, "trilinear": 3}.get(mode, 2)
    factors = (2, 3, 4, 1.5, 0.5, 1 / 3, 0.25) if mode != "antialias" else (0.5, 0.25, 1 / 3, 0.4)
    for factor, channels, last in itertools.product(factors, (1, 3, 4), (False, True)):
        low, high = (8, 13 if dim == 3 else 40) if factor > 1 else (32, 41 if dim == 3 else 90)
        spatial = tuple(int(n) for n in rng.integers(low, high, dim))
        x = random_array(rng, (int(rng.integers(1, 3)), channels) + spatial, dtype)
        x = channels_last(x) if last else x
        kwargs = dict(scale_factor=factor, mode="bicubic" if mode == "antialias" else mode)
        if mode == "antialias":
            kwargs["antialias"] = True
        elif mode != "area":
            kwargs["align_corners"] = bool(rng.integers(2)) if mode != "lanczos" else False
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(cpu, "BAND_BYTES", 1 if last else cpu.BAND_BYTES)
            got = interpolate(x, backend="cpu", **kwargs)
        want = interpolate(x, backend="reference", **kwargs)
        if x.dtype.kind == "u":
            np.testing.assert_array_equal(got, want)
        else:
            tol = 2e-3 if x.dtype == np.float16 else 1e-4
            np.testing.assert_allclose(got.astype(np.float64), want.astype(np.float64), rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
@pytest.mark.parametrize("shape, factor", [((3, 1, 10, 14, 16), 0.5), ((2, 2, 40, 40, 24), 0.5),
                                           ((1, 1, 32, 36, 40), 0.25), ((2, 1, 30, 64), 0.5)])
def test_short_rows_equal_reference(dtype, shape, factor):
    # Exact area downscales of short rows, several images.
    rng = np.random.default_rng(sum(shape))
    x = random_array(rng, shape, dtype)
    got = interpolate(x, scale_factor=factor, mode="area", backend="cpu")
    want = interpolate(x, scale_factor=factor, mode="area", backend="reference")
    if x.dtype.kind == "u":
        np.testing.assert_array_equal(got, want)
    else:
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
@pytest.mark.parametrize("layout", ["planar", "last"])
def test_rows_longer_than_a_block_of_sums_equal_reference(dtype, layout):
    # Both loops sum a row a block of ``loops.BLOCK`` samples at a time.
    from upsample_cli.kernels import loops

    rng = np.random.default_rng(11)
    x = random_array(rng, (1, 3, 5, loops.BLOCK + 7), dtype)
    x = channels_last(x) if layout == "last" else x
    for kwargs in (dict(scale_factor=(1.5, 1.7), mode="bicubic"), dict(scale_factor=(2, 1.2), mode="bilinear")):
        got, want = interpolate(x, **kwargs), interpolate(x, backend="reference", **kwargs)
        assert got.shape[3] > loops.BLOCK
        if x.dtype.kind == "u":
            np.testing.assert_array_equal(got, want)
        else:
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize(
    "dtype, mode, factor, merged",
    [
        (np.float32, "area", 0.5, True),  # depth and height in one pass of product taps
        (np.uint16, "area", 0.5, True),  # weights 1/2: exact sums, merged for integers too
        (np.float32, "area", (0.5, 0.2, 0.5), True),
        (np.uint8, "area", (0.5, 0.2, 0.5), False),  # 1/5 is inexact: two passes, as the reference
        (np.float32, "trilinear", 2, False),  # upscales share work between separable passes
    ],
)
def test_neighbouring_downscales_run_as_one_pass(dtype, mode, factor, merged):
    rng = np.random.default_rng(5)
    x = random_array(rng, (1, 2, 20, 30, 24), dtype)
    rules, out_size, scales, pipeline = api._settings(x.shape, x.dtype, None, factor, mode, None, None, False)
    passes = list(api.plan(x.shape, x.strides, x.dtype, rules, out_size, scales, pipeline).single_passes())
    got = interpolate(x, scale_factor=factor, mode=mode)
    want = interpolate(x, scale_factor=factor, mode=mode, backend="reference")
    axes = sorted(p.axes for p in passes)
    assert axes == ([(2, 3), (4,)] if merged else [(2,), (3,), (4,)])
    if merged:
        assert passes[0].src == (2, 20 * 30, 24)
    if x.dtype.kind == "u":
        np.testing.assert_array_equal(got, want)
    else:
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5 * float(np.abs(want).max()))



@pytest.mark.parametrize("backend_or_batch", ["batch", "reference"])
def test_uint16_kernel_loops_agree_at_ties(backend_or_batch):
    # 2 -> 7 linear: output 3 sits on source coordinate 0.5 (0.50000006 in float32), the exact
    # value is 28962.5. One image runs the wide loop (28963); four run the narrow loop.
    one = np.array([[[30482, 27443]]], np.uint16)
    four = np.repeat(one, 4, axis=0)
    got = interpolate(four, size=7, mode="linear")[0]
    if backend_or_batch == "batch":
        want = interpolate(one, size=7, mode="linear")[0]
    else:
        want = interpolate(four, size=7, mode="linear", backend="reference")[0]
    np.testing.assert_array_equal(got, want)


@SOME
@given(resize_cases(dtypes=(np.uint16,)))
def test_uint16_matches_rounded_float64(case):
    x, kwargs = case
    got = interpolate(x, **kwargs).astype(np.float64)
    ideal = interpolate(x.astype(np.float64), **kwargs)
    want = np.clip(np.floor(ideal + 0.5), 0, 65535)
    assert np.abs(got - want).max(initial=0) <= 1


# ---------------------------------------------------------------------------------------------
# Layout


@SOME
@given(resize_cases(min_in=2))
def test_channels_last_input(case):
    x, kwargs = case
    xc = channels_last(x)
    assert is_channels_last(xc) and not xc.flags.c_contiguous or x.shape[1] == 1
    want = interpolate(x, **kwargs)
    got = interpolate(xc, **kwargs)
    assert_same_result(got, want, x, kwargs)
    assert is_channels_last(got), f"strides {got.strides} for shape {got.shape}"
    assert want.flags.c_contiguous, f"strides {want.strides} for shape {want.shape}"


@pytest.mark.parametrize("layout", ["contiguous", "channels_last"])
def test_layout_kept_when_a_size_one_axis_grows(layout):
    x = np.arange(12, dtype=np.float32).reshape(1, 3, 1, 4)
    if layout == "channels_last":
        x = channels_last(x)
    y = interpolate(x, size=(5, 4), mode="bilinear")
    if layout == "contiguous":
        assert y.flags.c_contiguous, y.strides
    else:
        assert is_channels_last(y), y.strides


@SOME
@given(resize_cases(), st.sampled_from(["step", "negative", "both"]))
def test_arbitrary_strides(case, kind):
    x, kwargs = case
    view = x
    if kind in ("step", "both"):
        # Interleave with junk along the last spatial axis and the channels, then slice it out.
        big = np.zeros(x.shape[:1] + (2 * x.shape[1],) + x.shape[2:-1] + (2 * x.shape[-1],), x.dtype)
        big[:, ::2, ..., ::2] = x
        view = big[:, ::2, ..., ::2]
    if kind in ("negative", "both"):
        view = view[..., ::-1]
        if view.ndim > 3:
            view = view[:, :, ::-1]
    before = view.copy()
    got = interpolate(view, **kwargs)
    want = interpolate(np.ascontiguousarray(view), **kwargs)
    assert_same_result(got, want, view, kwargs)
    np.testing.assert_array_equal(view, before)


@SOME
@given(resize_cases(), st.sampled_from(["contiguous", "channels_last", "fortran"]), st.sampled_from(["cpu", "reference"]))
def test_input_never_modified(case, layout, backend):
    x, kwargs = case
    if layout == "channels_last":
        x = channels_last(x)
    elif layout == "fortran":
        x = np.asfortranarray(x)
    before = x.copy()
    base_before = None if x.base is None else np.array(x.base, copy=True)
    y = interpolate(x, backend=backend, **kwargs)
    np.testing.assert_array_equal(x, before)
    if base_before is not None:
        np.testing.assert_array_equal(x.base, base_before)


@pytest.mark.parametrize("mode", ["nearest", "bilinear", "bicubic", "area"])
def test_result_never_aliases_input(mode):
    x = np.zeros((1, 1, 3, 4), np.float32)
    y = interpolate(x, scale_factor=1, mode=mode)
    y += 1
    assert x.max() == 0 and not np.shares_memory(x, y)


# ---------------------------------------------------------------------------------------------
# Taps tables


def _all_rules():
    rules = []
    for name, spec in MODES.items():
        for antialias, rule in ((False, spec.rule), (True, spec.antialiased)):
            if rule is None:
                continue
            rules.append((f"{name}{'-aa' if antialias else ''}", rule))
            if spec.interpolating and name != "lanczos":
                rules.append((f"{name}{'-aa' if antialias else ''}-align", _replace(rule, align_corners=True)))
    return rules


def _replace(rule, **changes):
    from dataclasses import replace

    return replace(rule, **changes)


RULES = _all_rules()


@settings(max_examples=100, **SETTINGS)
@given(
    st.sampled_from(RULES),
    st.integers(1, 64),
    st.integers(1, 64),
    st.one_of(st.none(), st.floats(0, 0.999)),
)
def test_taps_weights_sum_to_one_and_indices_in_range(named_rule, n_in, n_out, fraction):
    _, rule = named_rule
    rule = rule.with_precision(np.float64)
    scale = None
    if fraction is not None:
        scale = (n_out + fraction) / n_in
        assume(int(n_in * scale) == n_out)
    t = taps(n_in, n_out, rule, scale)
    assert t.index.shape == t.weight.shape
    assert t.index.shape[0] == n_out and t.index.shape[1] >= 1
    assert t.weight.dtype == np.float64
    assert np.issubdtype(t.index.dtype, np.integer)
    assert (t.index >= 0).all() and (t.index < n_in).all()
    assert np.isfinite(t.weight).all()
    np.testing.assert_allclose(t.weight.sum(axis=1), 1.0, rtol=0, atol=1e-12)


@settings(max_examples=60, **SETTINGS)
@given(st.sampled_from([r for r in RULES if r[1].sampler in ("interp", "window")]), st.integers(1, 64), st.integers(1, 64))
def test_fixed_point_taps_fit_int16_and_nearly_normalised(named_rule, n_in, n_out):
    _, rule = named_rule
    t = taps(n_in, n_out, _replace(rule, fixed_point="int16", precision=np.float64))
    assert (t.index >= 0).all() and (t.index < n_in).all()
    # Integer weights over 2**shift: the most fraction bits (<= 22) that keep them in an int16.
    assert np.issubdtype(t.weight.dtype, np.integer)
    assert 0 <= t.shift <= 22
    top = int(np.abs(t.weight).max())
    assert top < 2**15
    assert t.shift == 22 or 2 * top >= 2**15 - 1  # one more bit would not fit
    # Each weight is rounded by at most half a unit, so a row sums to 2**shift within K/2 units.
    k = t.weight.shape[1]
    assert (np.abs(t.weight.astype(np.int64).sum(axis=1) - (1 << t.shift)) <= k / 2).all()
