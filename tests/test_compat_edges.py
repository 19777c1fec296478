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


# --- 13: sizes no memory can hold are refused before anything is allocated ---------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda: tf_resize(np.zeros((4, 4, 3), np.float32), (1610637938, 1610637938)),
        lambda: tf_resize(np.zeros((4, 4, 3), np.uint8), (1610637938, 1610637938), method="nearest"),
        lambda: tf_resize(np.zeros((64, 4, 4, 3), np.float32), (200000, 200000), antialias=True),
        lambda: pil_resize(np.zeros((4, 4), np.uint8), (2**31 - 1, 2**31 - 1)),
        lambda: __import__("upsample_cli.compat", fromlist=["cv2_resize"]).cv2_resize(
            np.zeros((4, 4), np.uint8), (2**31 - 1, 2**31 - 1)),
        lambda: __import__("upsample_cli").interpolate(np.zeros((1, 3, 4, 4), np.float32), size=(2**31, 2**31),
                                                       mode="bilinear"),
    ],
    ids=["tf-bilinear", "tf-nearest", "tf-batch", "pillow", "opencv", "interpolate"],
)
def test_an_impossible_output_is_refused_up_front(call, monkeypatch):
    import tracemalloc

    tracemalloc.start()
    try:
        with pytest.raises(MemoryError, match="more than this machine's"):
            call()
        assert tracemalloc.get_traced_memory()[1] < 50 << 20  # nothing big was allocated first
    finally:
        tracemalloc.stop()


# --- 14: what Pillow's own tests ask of resize ------------------------------------------------


@pytest.mark.parametrize("dtype, channels", [(np.uint8, 0), (np.uint8, 3), (np.uint8, 4), (np.uint16, 0),
                                             (np.int32, 0), (np.float32, 0)])
@pytest.mark.parametrize("empty", [(0, 0), (0, 5), (5, 0)])
@pytest.mark.parametrize("resample", ["nearest", "bicubic"])
def test_an_empty_image_resizes_to_a_black_one(dtype, channels, empty, resample):
    a = np.zeros(empty + ((channels,) if channels else ()), dtype)
    expected = _pillow(a, (5, 4), resample) if dtype != np.uint16 else np.asarray(
        Image.frombytes("I;16", empty[::-1], b"").resize((5, 4), 0))
    out = pil_resize(a, (5, 4), resample)
    assert out.dtype == expected.dtype and out.shape == expected.shape
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("box", [(0, 0, 5), (0, 0, 5, 5, 1), 3])
def test_a_box_of_the_wrong_length_is_a_type_error(box):
    with pytest.raises(TypeError):
        Image.new("L", (10, 10)).resize((3, 3), box=box)
    with pytest.raises(TypeError, match="box"):
        pil_resize(np.zeros((10, 10), np.uint8), (3, 3), box=box)


@pytest.mark.parametrize("dtype", [">u2", ">f4", ">i4"])
@pytest.mark.parametrize("resample", ["nearest", "bilinear", "bicubic", "lanczos"])
def test_big_endian_arrays_are_resized_as_pillow_reads_them(dtype, resample):
    """Converted to native order, as ``Image.fromarray`` converts ``>f4`` and ``>i4``. (A ``>u2``
    array becomes Pillow's I;16B, whose filtered resize gives other numbers than the same values
    as I;16; the twin resizes the values, as I;16.)"""
    values = np.random.default_rng(5).integers(0, 60000, (12, 17))
    a = values.astype(dtype) if dtype != ">f4" else (values / 7).astype(dtype)
    expected = _pillow(a.astype(a.dtype.newbyteorder("=")), (9, 7), resample)
    if dtype != ">u2" or resample == "nearest":
        np.testing.assert_array_equal(_pillow(a, (9, 7), resample), expected)
    out = pil_resize(a, (9, 7), resample)
    assert out.dtype == expected.dtype
    if dtype == ">f4":
        np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-4)
    else:
        np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("dtype", [">u2", ">f4"])
@pytest.mark.parametrize("interpolation", ["nearest", "linear", "cubic", "area"])
def test_big_endian_arrays_are_resized_as_opencv_reads_them(dtype, interpolation):
    cv2 = pytest.importorskip("cv2")
    from upsample_cli.compat import cv2_resize

    a = np.random.default_rng(6).integers(0, 60000, (12, 17)).astype(dtype)
    flag = {"nearest": cv2.INTER_NEAREST, "linear": cv2.INTER_LINEAR, "cubic": cv2.INTER_CUBIC,
            "area": cv2.INTER_AREA}[interpolation]
    expected = cv2.resize(a, (9, 7), interpolation=flag)
    out = cv2_resize(a, (9, 7), interpolation=interpolation)
    assert out.dtype == expected.dtype
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1 if dtype == ">u2" else 1e-3)


@pytest.mark.parametrize("method", ["nearest", "bilinear"])
def test_big_endian_arrays_go_through_tf_resize(method):
    a = np.random.default_rng(7).integers(0, 60000, (6, 8, 1))
    np.testing.assert_array_equal(tf_resize(a.astype(">u2"), (9, 11), method),
                                  tf_resize(a.astype("u2"), (9, 11), method))
