"""``interpolate`` against ``torch.nn.functional.interpolate`` (torch 2.13, CPU, 2 threads).

The cases (inputs, keyword arguments, torch's outputs or the exception torch raised) are stored
in ``tests/golden/torch.npz``, written by ``tests/golden/make_torch_golden.py``; these tests need
numpy and the package only.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from upsample_cli import interpolate

GOLDEN = np.load(Path(__file__).parent / "golden" / "torch.npz")
META = json.loads(str(GOLDEN["meta"]))

# Float tolerances, relative to max(1, max|torch output|). Worst errors observed: float32
# 1.1e-6 (bicubic), float64 2.9e-15; float16 stays within one float16 step of that scale.
FLOAT32_ATOL = 2e-6
FLOAT64_RTOL, FLOAT64_ATOL = 1e-10, 1e-12

def channels_last(x: np.ndarray) -> np.ndarray:
    """The same values as ``x`` (4-D or 5-D) with the channel axis innermost in memory."""
    perm = (0, *range(2, x.ndim), 1)
    return np.ascontiguousarray(x.transpose(perm)).transpose(np.argsort(perm))


def golden_input(k: int) -> np.ndarray:
    x = GOLDEN[f"case{k:04d}_in"]
    return channels_last(x) if META[k]["channels_last"] else x


def params(indices):
    return [pytest.param(k, id=META[k]["name"]) for k in indices]


def check_case(k: int, backend: str = "cpu"):
    meta, x = META[k], golden_input(k)
    if meta["error"]:
        with pytest.raises((ValueError, TypeError)):
            interpolate(x, **meta["kwargs"], backend=backend)
        return
    expected = GOLDEN[f"case{k:04d}_out"]
    got = interpolate(x, **meta["kwargs"], backend=backend)
    assert got.shape == expected.shape
    assert got.dtype == expected.dtype
    if expected.size == 0:
        return
    diff = np.abs(got.astype(np.float64) - expected.astype(np.float64))
    scale = max(1.0, float(np.abs(expected.astype(np.float64)).max()))
    if meta["dtype"] == "float64":
        np.testing.assert_allclose(got, expected, rtol=FLOAT64_RTOL, atol=FLOAT64_ATOL)
    elif meta["dtype"] == "float32":
        assert diff.max() <= FLOAT32_ATOL * scale, f"max |diff| {diff.max():.3g}, scale {scale:.3g}"
    elif meta["dtype"] == "float16":
        assert diff.max() <= np.spacing(np.float16(scale)), f"max |diff| {diff.max():.3g}, scale {scale:.3g}"
    else:
        assert diff.max() <= 1, f"max |diff| {diff.max()} at {np.argwhere(diff > 1)[:5].tolist()}"


@pytest.mark.parametrize("k", params(range(len(META))))
def test_matches_torch(k):
    check_case(k)


@pytest.mark.parametrize("k", params(range(0, len(META), 7)))
def test_reference_backend_matches_torch(k):
    check_case(k, backend="reference")


@pytest.mark.parametrize("k", params([k for k, m in enumerate(META) if m["channels_last"]]))
def test_channels_last_layout(k):
    """A channels-last input gives a channels-last output (either layout when the input is both)."""
    x = golden_input(k)
    out = interpolate(x, **META[k]["kwargs"])
    is_channels_last = np.moveaxis(out, 1, -1).flags.c_contiguous
    if x.flags.c_contiguous:
        assert is_channels_last or out.flags.c_contiguous, out.strides
    else:
        assert is_channels_last, out.strides


def test_uint8_exact():
    """Besides the off-by-one allowance per case, every uint8 sample matches torch exactly."""
    total = exact = 0
    for k, meta in enumerate(META):
        if meta["dtype"] != "uint8" or meta["error"]:
            continue
        expected = GOLDEN[f"case{k:04d}_out"]
        got = interpolate(golden_input(k), **meta["kwargs"])
        total += expected.size
        exact += int((got == expected).sum())
    assert exact == total, f"{exact} of {total} uint8 samples match exactly"
