"""``upsample_cli.compat`` against the libraries it reproduces (OpenCV, Pillow, TensorFlow, Keras).

The cases (inputs, keyword arguments, the library's outputs or the fact that it raised) are in
``tests/golden/<library>.npz``, written by ``tests/golden/make_conventions_golden.py``; these tests
need NumPy and the package only.

Agreement required: floats within 1e-5 of the library relative to ``max(1, max |output|)``;
integers never off by more than 1, and 8-bit results bit-exact in at least 99% of the cases of
Pillow and OpenCV; nearest modes (and Keras' repeats) exact in every dtype.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from upsample_cli import compat

HERE = Path(__file__).parent / "golden"
LIBRARIES = ["opencv", "pillow", "tf", "keras"]
GOLDEN = {lib: np.load(HERE / f"{lib}.npz") for lib in LIBRARIES if (HERE / f"{lib}.npz").exists()}
META = {lib: json.loads(str(g["meta"])) for lib, g in GOLDEN.items()}
FLOAT_RTOL = 1e-5
NEAREST = {"nearest", "nearest-exact"}


def cases():
    return [pytest.param(lib, k, id=f"{lib}-{k:04d}-{m['name']}")
            for lib, meta in META.items() for k, m in enumerate(meta)]


@pytest.fixture(autouse=True)
def no_keras_config(tmp_path, monkeypatch):
    """``data_format=None`` reads keras.json: point Keras' folder at an empty one (channels_last)."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))


def run(lib, k):
    meta = META[lib][k]
    x = GOLDEN[lib][f"c{k:04d}_in"]
    return getattr(compat, meta["function"])(x, **meta["kwargs"])


def is_nearest(meta) -> bool:
    kw = meta["kwargs"]
    mode = kw.get("interpolation", kw.get("method", kw.get("resample")))
    return mode in NEAREST or (meta["function"] == "keras_upsampling3d")


@pytest.mark.parametrize("lib,k", cases())
def test_matches_library(lib, k):
    meta = META[lib][k]
    if meta["error"]:
        with pytest.raises((ValueError, TypeError)):
            run(lib, k)
        return
    expected = GOLDEN[lib][f"c{k:04d}_out"]
    got = run(lib, k)
    assert got.shape == expected.shape
    assert got.dtype == expected.dtype
    diff = np.abs(got.astype(np.float64) - expected.astype(np.float64))
    if expected.dtype.kind == "f" and not is_nearest(meta):
        scale = max(1.0, float(np.abs(expected.astype(np.float64)).max(initial=0)))
        assert diff.max(initial=0) <= FLOAT_RTOL * scale, f"max |diff| {diff.max():.3g}, scale {scale:.3g}"
    elif is_nearest(meta):
        np.testing.assert_array_equal(got, expected)
    else:
        assert diff.max(initial=0) <= 1, f"max |diff| {diff.max()} at {np.argwhere(diff > 1)[:5].tolist()}"


@pytest.mark.parametrize("lib", [lib for lib in ("opencv", "pillow") if lib in META])
def test_uint8_bit_exact_in_99_percent_of_cases(lib):
    exact = total = 0
    for k, meta in enumerate(META[lib]):
        if meta["dtype"] != "uint8" or meta["error"]:
            continue
        expected = GOLDEN[lib][f"c{k:04d}_out"]
        if expected.dtype != np.uint8:
            continue
        total += 1
        exact += bool(np.array_equal(run(lib, k), expected))
    if total == 0:
        pytest.skip(f"no 8-bit outputs in {lib}")
    assert exact >= 0.99 * total, f"{exact} of {total} 8-bit cases bit-exact"
