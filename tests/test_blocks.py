"""A plan run block by block (``upsample_cli.blocks``) equals the whole resize, bit for bit."""

import itertools

import numpy as np
import pytest

from upsample_cli import api, blocks

CASES = [
    ("nearest", 3, {}), ("nearest-exact", 3, {}), ("trilinear", 3, {}), ("trilinear", 3, {"align_corners": True}),
    ("trilinear", 3, {"antialias": True}), ("area", 3, {}), ("bicubic", 3, {}), ("lanczos", 3, {"antialias": True}),
    ("bilinear", 2, {}), ("bilinear", 2, {"antialias": True}), ("bicubic", 2, {}), ("nearest", 2, {}),
    ("linear", 1, {}),
]


def tiled(plan, x, out_shape, step):
    """The plan's output put together from blocks of ``step`` samples along each resized axis."""
    axes = list(blocks.resized_axes(plan))
    spans = [[(s, min(s + step, out_shape[a])) for s in range(0, out_shape[a], step)] for a in axes]
    out = np.full(out_shape, 7, plan.dtype)
    for combo in itertools.product(*spans):
        block = dict(zip(axes, combo))
        need = blocks.region(plan, block)
        region = x[tuple(slice(*need[a]) if a in need else slice(None) for a in range(x.ndim))]
        out[tuple(slice(*block[a]) if a in block else slice(None) for a in range(x.ndim))] = blocks.run(
            plan, region, block)
    return out


@pytest.mark.parametrize("mode, dims, options", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.uint8, np.float64])
@pytest.mark.parametrize("scale", [2.0, 0.37])
def test_blocks_equal_the_whole_resize(mode, dims, options, dtype, scale):
    rng = np.random.default_rng(3)
    shape = (2, 2) + (11, 13, 9)[:dims]
    if np.dtype(dtype).kind == "u":
        x = rng.integers(0, np.iinfo(dtype).max, shape, endpoint=True).astype(dtype)
    else:
        x = (rng.standard_normal(shape) * 50).astype(dtype)
    kwargs = dict(scale_factor=scale, mode=mode, **options)
    try:
        whole = api.interpolate(x, **kwargs)
    except (TypeError, ValueError):
        pytest.skip("not a torch combination")
    plan = api.plan_of(x, **kwargs)
    for step in (5, 2):
        got = tiled(plan, x, whole.shape, step)
        assert got.tobytes() == np.ascontiguousarray(whole).tobytes(), step


def test_a_block_reads_only_its_region():
    x = np.zeros((1, 1, 40, 40, 40), np.float32)
    plan = api.plan_of(x, scale_factor=2.0, mode="trilinear")
    need = blocks.region(plan, {2: (0, 8), 3: (40, 48), 4: (72, 80)})
    # trilinear x2: output j reads floor((j + 0.5) / 2 - 0.5) and the sample after it (clamped)
    assert need == {2: (0, 5), 3: (19, 25), 4: (35, 40)}
    with pytest.raises(ValueError, match="region"):
        blocks.run(plan, x, {2: (0, 8), 3: (40, 48), 4: (72, 80)})
