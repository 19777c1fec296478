"""Every argument error torch raises is a ValueError/TypeError from interpolate naming the problem,
and empty inputs behave as documented."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest

from upsample_cli import interpolate


@pytest.fixture(autouse=True)
def _quiet_numba():
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Cannot cache compiled function")
        yield


def img(*shape, dtype=np.float32):
    return np.zeros(shape, dtype)


X3 = img(1, 2, 5)
X4 = img(1, 2, 5, 6)
X5 = img(1, 2, 3, 4, 5)


# ---------------------------------------------------------------------------------------------
# Rank and mode


@pytest.mark.parametrize("shape", [(4, 5), (1, 1, 2, 2, 2, 2)], ids=["2d", "6d"])
def test_wrong_rank(shape):
    with pytest.raises(ValueError, match=r"3D, 4D and 5D"):
        interpolate(img(*shape), scale_factor=2)


@pytest.mark.parametrize(
    "x, mode, needs",
    [
        (X3, "bilinear", "4D"),
        (X5, "bilinear", "4D"),
        (X4, "linear", "3D"),
        (X5, "linear", "3D"),
        (X4, "trilinear", "5D"),
        (X3, "trilinear", "5D"),
    ],
)
def test_mode_rank_mismatch(x, mode, needs):
    with pytest.raises(ValueError, match=rf"{x.ndim}D input.*{mode} mode needs {needs}"):
        interpolate(x, scale_factor=2, mode=mode)


def test_unknown_mode():
    with pytest.raises(ValueError, match=r"unknown mode 'cubic'"):
        interpolate(X4, scale_factor=2, mode="cubic")


# ---------------------------------------------------------------------------------------------
# size / scale_factor


def test_both_size_and_scale_factor():
    with pytest.raises(ValueError, match=r"only one of size or scale_factor"):
        interpolate(X4, size=(4, 4), scale_factor=2)


def test_neither_size_nor_scale_factor():
    with pytest.raises(ValueError, match=r"either size or scale_factor"):
        interpolate(X4)


@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
def test_output_size_zero(mode):
    with pytest.raises(ValueError, match=r"sizes should be greater than 0"):
        interpolate(img(1, 1, 3, 3), scale_factor=0.1, mode=mode)


@pytest.mark.parametrize("size", [-1, (4, -2)])
def test_negative_size(size):
    with pytest.raises(ValueError, match=r"greater than 0"):
        interpolate(X4, size=size, mode="bilinear")


def test_negative_size_area():
    # area allows an empty output, not a negative one.
    with pytest.raises(ValueError, match=r"greater than 0"):
        interpolate(X4, size=(-1, 2), mode="area")


@pytest.mark.parametrize("scale", [float("nan"), float("inf"), -float("inf"), (2.0, float("nan"))])
def test_non_finite_scale(scale):
    with pytest.raises(ValueError, match=r"finite"):
        interpolate(X4, scale_factor=scale, mode="bilinear")


def test_huge_scale():
    with pytest.raises(ValueError, match=r"too large|overflow"):
        interpolate(X4, scale_factor=1e300)


@pytest.mark.parametrize("size", [2.5, (2.5, 3), (3, np.float64(4.0))])
def test_fractional_size(size):
    with pytest.raises(TypeError, match=r"expected size to be one of int"):
        interpolate(X4, size=size)


@pytest.mark.parametrize("size", [(4,), (4, 4, 4)])
def test_wrong_number_of_sizes(size):
    with pytest.raises(ValueError, match=r"same number of spatial dimensions"):
        interpolate(X4, size=size)


@pytest.mark.parametrize("scale", [(2.0,), (2.0, 2.0, 2.0)])
def test_wrong_number_of_scales(scale):
    with pytest.raises(ValueError, match=r"same number of spatial dimensions"):
        interpolate(X4, scale_factor=scale)


def test_wrong_number_of_sizes_5d():
    with pytest.raises(ValueError, match=r"same number of spatial dimensions"):
        interpolate(X5, size=(2, 2), mode="trilinear")


def test_recompute_scale_factor_with_size():
    with pytest.raises(ValueError, match=r"recompute_scale_factor"):
        interpolate(X4, size=(4, 4), recompute_scale_factor=True)


def test_scale_factor_of_wrong_type():
    with pytest.raises(TypeError, match=r"scale_factor"):
        interpolate(X4, scale_factor="2")


# ---------------------------------------------------------------------------------------------
# align_corners / antialias


@pytest.mark.parametrize("mode", ["nearest", "nearest-exact", "area"])
@pytest.mark.parametrize("align_corners", [True, False])
def test_align_corners_with_non_interpolating_mode(mode, align_corners):
    # Like torch, even align_corners=False is refused: only None means "not set".
    with pytest.raises(ValueError, match=r"align_corners option can only be set"):
        interpolate(X4, scale_factor=2, mode=mode, align_corners=align_corners)


@pytest.mark.parametrize("mode", ["nearest", "nearest-exact", "area"])
def test_antialias_with_non_interpolating_mode(mode):
    with pytest.raises(ValueError, match=r"Anti-alias"):
        interpolate(X4, scale_factor=0.5, mode=mode, antialias=True)


@pytest.mark.parametrize("antialias", [False, True])
def test_lanczos_align_corners(antialias):
    with pytest.raises(ValueError, match=r"Lanczos.*align_corners"):
        interpolate(X4, scale_factor=2, mode="lanczos", align_corners=True, antialias=antialias)


# ---------------------------------------------------------------------------------------------
# dtypes


@pytest.mark.parametrize(
    "x",
    [
        np.zeros((1, 1, 4, 4), np.int32),
        np.zeros((1, 1, 4, 4), np.int64),
        np.zeros((1, 1, 4, 4), np.int8),
        np.zeros((1, 1, 4, 4), bool),
        np.zeros((1, 1, 4, 4), object),
        np.zeros((1, 1, 4, 4), np.complex64),
        np.zeros((1, 1, 4, 4), np.complex128),
    ],
    ids=lambda x: x.dtype.name,
)
def test_unsupported_dtype(x):
    with pytest.raises(TypeError, match=r"unsupported dtype"):
        interpolate(x, scale_factor=2, mode="bilinear")


def test_nested_list_of_ints_is_an_unsupported_dtype():
    # np.asarray gives int64: refused rather than silently converted.
    with pytest.raises(TypeError, match=r"unsupported dtype"):
        interpolate([[[1, 2, 3]]], scale_factor=2, mode="linear")


# ---------------------------------------------------------------------------------------------
# Empty inputs


@pytest.mark.parametrize(
    "shape, kwargs, out",
    [
        ((0, 3, 4, 5), dict(scale_factor=2, mode="bilinear"), (0, 3, 8, 10)),
        ((0, 3, 4, 5), dict(size=(7, 2), mode="nearest"), (0, 3, 7, 2)),
        ((0, 2, 5), dict(size=3, mode="linear"), (0, 2, 3)),
        ((0, 1, 2, 3, 4), dict(scale_factor=(1.5, 1, 0.5), mode="trilinear"), (0, 1, 3, 3, 2)),
        ((0, 3, 4, 5), dict(size=(2, 2), mode="area"), (0, 3, 2, 2)),
    ],
)
@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_empty_batch_gives_empty_output(shape, kwargs, out, dtype):
    y = interpolate(np.zeros(shape, dtype), **kwargs)
    assert y.shape == out
    assert y.dtype == dtype


@pytest.mark.parametrize("shape", [(1, 0, 4, 4), (2, 3, 0, 4), (2, 3, 4, 0)])
@pytest.mark.parametrize("mode", ["bilinear", "nearest", "area"])
def test_zero_channels_or_spatial_size_with_size(shape, mode):
    with pytest.raises(ValueError, match=r"Non-empty"):
        interpolate(np.zeros(shape, np.float32), size=(3, 3), mode=mode)


@pytest.mark.parametrize("shape", [(1, 0, 4, 4), (2, 3, 0, 4), (2, 3, 4, 0)])
@pytest.mark.parametrize("mode", ["bilinear", "nearest", "area"])
def test_zero_channels_or_spatial_size_with_scale(shape, mode):
    # A zero spatial size also makes the output size 0: either message names the problem.
    with pytest.raises(ValueError, match=r"Non-empty|greater than 0"):
        interpolate(np.zeros(shape, np.float32), scale_factor=2, mode=mode)


@pytest.mark.parametrize(
    "shape, kwargs, out",
    [
        ((1, 2, 3, 3), dict(scale_factor=0.1), (1, 2, 0, 0)),
        ((1, 2, 3, 3), dict(size=(0, 2)), (1, 2, 0, 2)),
        ((2, 1, 5), dict(size=0), (2, 1, 0)),
        ((1, 1, 2, 3, 4), dict(scale_factor=(1, 0.2, 1)), (1, 1, 2, 0, 4)),
    ],
)
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float64])
def test_area_allows_empty_output(shape, kwargs, out, dtype):
    y = interpolate(np.ones(shape, dtype), mode="area", **kwargs)
    assert y.shape == out
    assert y.dtype == dtype
    assert y.size == 0


# ---------------------------------------------------------------------------------------------
# Import cost


def test_import_does_not_import_numba():
    code = (
        "import sys, upsample_cli\n"
        "import upsample_cli.api, upsample_cli.taps, upsample_cli.filters\n"
        "bad = sorted(m for m in sys.modules if m == 'numba' or m.startswith('numba.'))\n"
        "assert not bad, bad\n"
        "assert 'torch' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
