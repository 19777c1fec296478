"""The peers' extra calls refuse what their libraries refuse, with the same exception types.

(Each refusal below was checked against OpenCV 5.1, Pillow 13, Keras 3.15 and TensorFlow 2.21:
TensorFlow's InvalidArgumentError is a ValueError here.) Their numbers are checked against the
libraries in ``test_golden_peers.py``.
"""

import numpy as np
import pytest

from upsample_cli.compat import (
    cv2_resize, keras_upsampling1d, pil_reduce, pil_resize, tf_resize_with_pad, tf_scale_and_translate,
)

GRAY = np.arange(36, dtype=np.uint8).reshape(6, 6)
BATCH = np.zeros((1, 4, 4, 1), np.float32)


@pytest.mark.parametrize("call", [
    lambda: pil_resize(GRAY, (2, 2), "bicubic", reducing_gap=0.5),
    lambda: pil_reduce(GRAY, 0),
    lambda: pil_reduce(GRAY.astype(np.uint16), 2),  # Pillow cannot reduce I;16
    lambda: pil_resize(GRAY.astype(np.uint16), (2, 2), "bilinear", reducing_gap=1.0),  # (through reduce)
    lambda: pil_reduce(GRAY, 2, (0, 0, 7, 6)),
    lambda: keras_upsampling1d(np.zeros((2, 3, 4, 5), np.float32), 2),
    lambda: keras_upsampling1d(np.zeros((2, 3, 4), np.float32), 0),
    lambda: tf_scale_and_translate(BATCH, (2, 2), (1.0, 1.0), (0.0, 0.0), kernel_type="cubic"),
    lambda: tf_scale_and_translate(BATCH, (2, 2), (0.0, 1.0), (0.0, 0.0)),
    lambda: tf_scale_and_translate(BATCH[0], (2, 2), (1.0, 1.0), (0.0, 0.0)),
    lambda: tf_resize_with_pad(BATCH, 0, 3),
    lambda: tf_resize_with_pad(BATCH[0, :, :, 0], 3, 3),
])
def test_value_errors(call):
    with pytest.raises(ValueError):
        call()


@pytest.mark.parametrize("call", [
    lambda: pil_reduce(GRAY, 2, (0.5, 0, 4, 4)),  # Image.reduce takes an integer box
    lambda: keras_upsampling1d(np.zeros((2, 3, 4), np.float32), (2,)),  # UpSampling1D takes an int
])
def test_type_errors(call):
    with pytest.raises(TypeError):
        call()


def test_linear_exact_is_cv2_flag_5_and_plain_linear_for_floats():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (7, 9, 3), dtype=np.uint8)
    np.testing.assert_array_equal(cv2_resize(x, (13, 5), interpolation=5), cv2_resize(x, (13, 5), interpolation="linear-exact"))
    f = rng.random((7, 9, 3)).astype(np.float32)
    np.testing.assert_array_equal(cv2_resize(f, (13, 5), interpolation="linear-exact"), cv2_resize(f, (13, 5)))


def test_reduce_by_one_is_a_crop_with_black_outside():
    out = pil_reduce(GRAY, 1, (4, 4, 8, 7))
    np.testing.assert_array_equal(out[:2, :2], GRAY[4:, 4:])
    assert out.shape == (3, 4) and not out[2:].any() and not out[:, 2:].any()


def test_a_translation_outside_the_image_gives_zeros():
    x = np.ones((1, 4, 4, 1), np.float32)
    out = tf_scale_and_translate(x, (4, 6), (1.0, 1.0), (0.0, 2.0), kernel_type="triangle")
    np.testing.assert_array_equal(out[0, :, :2, 0], 0)
    np.testing.assert_allclose(out[0, :, 2:, 0], 1, atol=1e-6)
