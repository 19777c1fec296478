"""float16 ``interpolate`` against torch 2.13's CPU kernels, bit for bit.

The cases (inputs, keyword arguments, torch's outputs) are stored in ``tests/golden/torch_half.npz``,
written by ``tests/golden/make_torch_golden.py`` (torch on 2 threads): nearest, nearest-exact, linear,
bilinear (both of torch's kernels), bicubic, trilinear and area (1-D to 3-D, uneven windows),
1 to 6 channels, channels-first and channels-last.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from upsample_cli import interpolate

GOLDEN = np.load(Path(__file__).parent / "golden" / "torch_half.npz")
META = json.loads(str(GOLDEN["meta"]))


def golden_input(k: int) -> np.ndarray:
    x = GOLDEN[f"case{k:04d}_in"]
    if not META[k]["channels_last"]:
        return x
    perm = (0, *range(2, x.ndim), 1)
    return np.ascontiguousarray(x.transpose(perm)).transpose(np.argsort(perm))


def check_bits(k: int, backend: str):
    expected = GOLDEN[f"case{k:04d}_out"]
    got = interpolate(golden_input(k), **META[k]["kwargs"], backend=backend)
    assert got.dtype == np.float16 and got.shape == expected.shape
    differ = np.ascontiguousarray(got).view(np.uint16) != expected.view(np.uint16)
    assert not differ.any(), f"{int(differ.sum())} of {differ.size} samples differ, first at {np.argwhere(differ)[0]}"


@pytest.mark.parametrize("k", [pytest.param(k, id=m["name"]) for k, m in enumerate(META)])
def test_float16_bits_match_torch(k):
    check_bits(k, "cpu")


@pytest.mark.parametrize("k", [pytest.param(k, id=m["name"]) for k, m in enumerate(META) if k % 5 == 0])
def test_float16_reference_backend_bits_match_torch(k):
    check_bits(k, "reference")


@pytest.mark.parametrize("k", [pytest.param(k, id=m["name"]) for k, m in enumerate(META)
                               if m["kwargs"]["mode"] == "area" and k % 3 == 0])
def test_float16_area_block_by_block_bits_match_torch(k):
    # A block of the output from its region of the input: area's sum and division passes too.
    from upsample_cli import blocks
    from upsample_cli.api import plan_of

    x, expected = golden_input(k), GOLDEN[f"case{k:04d}_out"]
    p = plan_of(x, **META[k]["kwargs"])
    block = {a: (n // 3, n) for a, n in enumerate(expected.shape) if a >= 2}
    region = blocks.region(p, block)
    got = blocks.run(p, x[tuple(slice(*region.get(a, (0, n))) for a, n in enumerate(x.shape))], block)
    want = expected[tuple(slice(*block.get(a, (0, n))) for a, n in enumerate(expected.shape))]
    assert np.array_equal(np.ascontiguousarray(got).view(np.uint16), np.ascontiguousarray(want).view(np.uint16))
