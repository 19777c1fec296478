"""Hand-checked taps tables: small cases whose indices and weights are worked out on paper."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from upsample_cli.api import MODES
from upsample_cli.taps import taps

PRECISIONS = [np.float32, np.float64]


def rule(mode, *, antialias=False, precision=np.float64, **changes):
    spec = MODES[mode]
    r = spec.antialiased if antialias else spec.rule
    return replace(r, precision=precision, **changes)


def dense(t, n_in, *, shift=None):
    """The (n_out, n_in) matrix of a taps table: out = M @ in."""
    n_out = t.index.shape[0]
    m = np.zeros((n_out, n_in))
    rows = np.repeat(np.arange(n_out), t.index.shape[1])
    np.add.at(m, (rows, t.index.ravel()), t.weight.astype(np.float64).ravel())
    return m / (1 << t.shift) if shift is None and getattr(t, "shift", 0) else m


@pytest.mark.parametrize("precision", PRECISIONS)
def test_nearest_2_to_4(precision):
    t = taps(2, 4, rule("nearest", precision=precision))
    assert t.index.shape == (4, 1)
    np.testing.assert_array_equal(t.index[:, 0], [0, 0, 1, 1])
    np.testing.assert_array_equal(t.weight, np.ones((4, 1)))


@pytest.mark.parametrize("precision", PRECISIONS)
def test_nearest_exact_2_to_7(precision):
    # torch: src = floor((i + 0.5) * n_in / n_out), clamped to n_in - 1.
    by_formula = [min(math.floor((i + 0.5) * 2 / 7), 1) for i in range(7)]
    assert by_formula == [0, 0, 0, 1, 1, 1, 1]  # (3 + 0.5) * 2 / 7 == 1 exactly
    t = taps(2, 7, rule("nearest-exact", precision=precision))
    np.testing.assert_array_equal(t.index[:, 0], by_formula)
    np.testing.assert_array_equal(t.weight, np.ones((7, 1)))


@pytest.mark.parametrize("precision", PRECISIONS)
def test_nearest_exact_differs_from_nearest(precision):
    # 3 -> 2: nearest takes floor(i * 1.5) = [0, 1]; nearest-exact floor((i + .5) * 1.5) = [0, 2].
    np.testing.assert_array_equal(taps(3, 2, rule("nearest", precision=precision)).index[:, 0], [0, 1])
    np.testing.assert_array_equal(taps(3, 2, rule("nearest-exact", precision=precision)).index[:, 0], [0, 2])


@pytest.mark.parametrize("precision", PRECISIONS)
def test_linear_align_corners_3_to_5(precision):
    # Source coordinates i * (3 - 1) / (5 - 1) = 0, 0.5, 1, 1.5, 2.
    t = taps(3, 5, rule("linear", align_corners=True, precision=precision))
    expected = [
        [1.0, 0.0, 0.0],
        [0.5, 0.5, 0.0],
        [0.0, 1.0, 0.0],
        [0.0, 0.5, 0.5],
        [0.0, 0.0, 1.0],
    ]
    np.testing.assert_allclose(dense(t, 3), expected, atol=1e-7)
    assert (t.index >= 0).all() and (t.index < 3).all()


@pytest.mark.parametrize("precision", PRECISIONS)
def test_linear_half_pixel_2_to_4(precision):
    # Source coordinates (i + 0.5) / 2 - 0.5 = -0.25 (clamped to 0), 0.25, 0.75, 1.25 (edge).
    t = taps(2, 4, rule("linear", precision=precision))
    expected = [[1.0, 0.0], [0.75, 0.25], [0.25, 0.75], [0.0, 1.0]]
    np.testing.assert_allclose(dense(t, 2), expected, atol=1e-7)


@pytest.mark.parametrize("precision", PRECISIONS)
@pytest.mark.parametrize("n", [1, 2, 3, 4, 7, 16])
def test_bicubic_identity_when_sizes_match(precision, n):
    t = taps(n, n, rule("bicubic", precision=precision))
    np.testing.assert_array_equal(dense(t, n), np.eye(n))
    assert t.is_identity


def test_bicubic_2x_interior_weights():
    # 4 -> 8, output 3: source 3.5 / 2 - 0.5 = 1.25, so taps 0..3 at distances 1.25, .25, .75, 1.75.
    # Keys' cubic with a = -0.75 at those distances:
    expected = [-0.10546875, 0.87890625, 0.26171875, -0.03515625]
    assert sum(expected) == 1
    t = taps(4, 8, rule("bicubic"))
    np.testing.assert_allclose(dense(t, 4)[3], expected, rtol=0, atol=1e-15)


@pytest.mark.parametrize("precision", PRECISIONS)
def test_area_5_to_2(precision):
    # Output i averages [floor(i * 5 / 2), ceil((i + 1) * 5 / 2)) = [0, 3) and [2, 5).
    t = taps(5, 2, rule("area", precision=precision))
    third = 1 / 3
    expected = [[third, third, third, 0, 0], [0, 0, third, third, third]]
    np.testing.assert_allclose(dense(t, 5), expected, rtol=1e-7)
    assert t.weight.dtype == precision


def test_area_upscale_2_to_5_copies():
    # Each window [floor(i * 2 / 5), ceil((i + 1) * 2 / 5)) holds one sample.
    t = taps(2, 5, rule("area"))
    expected = [[1, 0], [1, 0], [1, 1], [0, 1], [0, 1]]
    expected = np.array(expected, float) / np.sum(expected, axis=1, keepdims=True)
    np.testing.assert_allclose(dense(t, 2), expected)


def test_antialiased_bilinear_4_to_2():
    # Pillow's scheme for a x0.5 triangle: support 1 * 2 = 2, centres 1 and 3 (in input pixels),
    # taps x in [trunc(centre - 2 + .5), trunc(centre + 2 + .5)) clipped to [0, 4), weight
    # triangle((x - centre + .5) / 2):
    #   centre 1: x = 0, 1, 2 -> .75, .75, .25 (x = -1, weight .25, is outside) -> / 1.75
    #   centre 3: x = 1, 2, 3 -> .25, .75, .75 (x = 4 is outside)              -> / 1.75
    t = taps(4, 2, rule("bilinear", antialias=True))
    expected = np.array([[3, 3, 1, 0], [0, 1, 3, 3]]) / 7
    np.testing.assert_allclose(dense(t, 4), expected, rtol=0, atol=1e-15)


def test_antialiased_bilinear_8_to_4_interior():
    # Away from the edges the whole x0.5 triangle fits: [.25, .75, .75, .25] / 2.
    t = taps(8, 4, rule("bilinear", antialias=True))
    m = dense(t, 8)
    np.testing.assert_allclose(m[1], [0, 1 / 8, 3 / 8, 3 / 8, 1 / 8, 0, 0, 0], atol=1e-15)
    np.testing.assert_allclose(m[2], [0, 0, 0, 1 / 8, 3 / 8, 3 / 8, 1 / 8, 0], atol=1e-15)


def test_antialias_upscale_is_plain_triangle():
    # When upscaling the filter is not widened: 2 -> 4 gives the linear half-pixel weights,
    # without clamping the negative coordinate, renormalised at the edges.
    t = taps(2, 4, rule("bilinear", antialias=True))
    expected = [[1.0, 0.0], [0.75, 0.25], [0.25, 0.75], [0.0, 1.0]]
    np.testing.assert_allclose(dense(t, 2), expected, atol=1e-15)


def test_fixed_point_int16_antialiased_bilinear_4_to_2():
    # Largest weight 3/7: 3/7 * 2**16 = 28086.9 fits an int16, 3/7 * 2**17 does not -> 16 bits.
    # Weights round half away from zero: 3/7 -> 28087, 1/7 -> 9362 (sum 65536).
    t = taps(4, 2, rule("bilinear", antialias=True, fixed_point="int16"))
    assert t.shift == 16
    np.testing.assert_array_equal(dense(t, 4, shift=False), [[28087, 28087, 9362, 0], [0, 9362, 28087, 28087]])
    # The weights are multiples of 2**-bits.
    w = dense(t, 4)
    np.testing.assert_array_equal(w * 2**16, np.round(w * 2**16))


def test_fixed_point_int16_merges_clamped_taps():
    # Linear 3 -> 5, half pixel: output 4 sits at 4.5 * 0.6 - 0.5 = 2.2 -> taps 2 and 3 (clamped to 2);
    # merged on the same sample, the weight is exactly 1 (2**14 with 14 bits: 2**15 would overflow).
    t = taps(3, 5, rule("linear", fixed_point="int16"))
    assert t.shift == 14
    m = dense(t, 3, shift=False)
    np.testing.assert_array_equal(m[0], [1 << 14, 0, 0])
    np.testing.assert_array_equal(m[4], [0, 0, 1 << 14])
    # Output 1: source 1.5 * 0.6 - 0.5 = 0.4 -> .6 / .4 -> round(.6 * 2**14) = 9830, 6554.
    np.testing.assert_array_equal(m[1], [9830, 6554, 0])
    assert (m.sum(axis=1) == 1 << 14).all()
