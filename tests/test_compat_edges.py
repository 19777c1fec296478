"""Edges of the Pillow and TensorFlow twins that the libraries' own test suites reach.

Expected values come from Pillow itself (a dev dependency, installed here); TensorFlow's refusals
are stated as its documentation and source state them.
"""

import numpy as np
import pytest
from PIL import Image

from upsample_cli import taps
from upsample_cli.compat import pil_resize, tf_resize


def _pillow(a, size, resample="bicubic", box=None):
    filters = {"nearest": 0, "box": 4, "bilinear": 2, "hamming": 5, "bicubic": 3, "lanczos": 1}
    return np.asarray(Image.fromarray(a).resize(size, filters[resample], box=box))


# --- 12: tables build in time linear in their taps -------------------------------------------


def _merged_reference(index, weight):
    """The quadratic rule as stated: a tap reading a sample read by an earlier tap adds to it."""
    weight = weight.copy()
    for k in range(1, index.shape[1]):
        first = np.argmax(index[:, : k + 1] == index[:, k : k + 1], axis=1)
        rows = np.flatnonzero(first < k)
        weight[rows, first[rows]] += weight[rows, k]
        weight[rows, k] = 0
    return weight


@pytest.mark.parametrize("ordered", [True, False])
def test_merging_repeated_taps_matches_the_rule(ordered):
    rng = np.random.default_rng(3)
    index = rng.integers(0, 6, (50, 9))
    if ordered:
        index = np.sort(index, axis=1)
    weight = rng.normal(size=(50, 9))
    np.testing.assert_array_equal(taps._merged(index, weight), _merged_reference(index, weight))


def test_a_long_row_shrunk_to_five_pixels_is_quick_and_exact():
    """1 x 400000 -> 5 x 1 bicubic: 1.6 million taps, merged in one pass (it took minutes)."""
    a = np.random.default_rng(0).integers(0, 256, (1, 400000), dtype=np.uint8)
    np.testing.assert_array_equal(pil_resize(a, (5, 1), "bicubic"), _pillow(a, (5, 1), "bicubic"))
    b = np.random.default_rng(1).integers(0, 256, (300000, 2), dtype=np.uint8)
    np.testing.assert_array_equal(pil_resize(b, (3, 4), "lanczos"), _pillow(b, (3, 4), "lanczos"))
