"""``upsample_cli.compat`` beyond the golden files: arguments, errors, Keras' configuration."""

from __future__ import annotations

import json

import numpy as np
import pytest

from upsample_cli.compat import cv2_resize, keras_upsampling2d, keras_upsampling3d, pil_resize, tf_resize


@pytest.fixture
def keras_home(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    return tmp_path


def test_keras_data_format_none_reads_keras_json(keras_home):
    x = np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5)
    last = keras_upsampling2d(x, (2, 1))
    assert last.shape == (2, 6, 4, 5)
    (keras_home / "keras.json").write_text(json.dumps({"image_data_format": "channels_first"}))
    first = keras_upsampling2d(x, (2, 1))
    assert first.shape == (2, 3, 8, 5)
    np.testing.assert_array_equal(first, keras_upsampling2d(x, (2, 1), data_format="channels_first"))
    assert keras_upsampling3d(x[..., None], 2).shape == (2, 3, 8, 10, 2)


def test_keras_unreadable_config_is_channels_last(keras_home):
    (keras_home / "keras.json").write_text("{not json")
    assert keras_upsampling2d(np.zeros((1, 2, 3, 4), np.uint8)).shape == (1, 4, 6, 4)


def test_keras_repeat_is_np_repeat(keras_home):
    x = np.random.default_rng(0).random((2, 3, 4, 5)).astype(np.float64)
    got = keras_upsampling2d(x, (3, 2))
    assert got.dtype == np.float32  # Keras casts floats to its compute dtype
    np.testing.assert_array_equal(got, x.astype(np.float32).repeat(3, axis=1).repeat(2, axis=2))


@pytest.mark.parametrize("call, message", [
    (lambda: keras_upsampling2d(np.zeros((1, 2, 2, 1)), interpolation="cubic"), "bilinear"),
    (lambda: keras_upsampling2d(np.zeros((1, 2, 2, 1)), size=(0, 2)), "size"),
    (lambda: keras_upsampling2d(np.zeros((2, 2, 1))), "ndim=4"),
    (lambda: keras_upsampling2d(np.zeros((1, 2, 2, 1)), data_format="nhwc"), "channels_first"),
    (lambda: keras_upsampling3d(np.zeros((1, 2, 2, 2, 1)), size=(2, 2)), "size"),
    (lambda: tf_resize(np.zeros((2, 2, 1)), (3, 3), method="cubic"), "mitchellcubic"),
    (lambda: tf_resize(np.zeros((2, 2)), (3, 3)), "3 or 4 dimensions"),
    (lambda: tf_resize(np.zeros((2, 2, 1)), (3, 0)), "positive"),
    (lambda: tf_resize(np.zeros((2, 2, 1)), (3.5, 2)), "size"),
    (lambda: pil_resize(np.zeros((2, 2), np.uint8), (3, 3), "hann"), "hamming"),
    (lambda: pil_resize(np.zeros((2, 2), np.uint8), (0, 3)), "must be > 0"),
    (lambda: pil_resize(np.zeros((4, 4), np.uint8), (3, 3), box=(-1, 0, 2, 2)), "negative"),
    (lambda: pil_resize(np.zeros((4, 4), np.uint8), (3, 3), box=(0, 0, 5, 2)), "exceed"),
    (lambda: pil_resize(np.zeros((4, 4), np.uint8), (3, 3), box=(2, 0, 1, 2)), "empty"),
    (lambda: pil_resize(np.zeros((4, 4, 5), np.uint8), (3, 3)), "Pillow mode"),
    (lambda: cv2_resize(np.zeros((4, 4), np.uint8), (3, 3), interpolation="bicubic"), "lanczos4"),
    (lambda: cv2_resize(np.zeros((4, 4), np.uint8), None), "fx"),
    (lambda: cv2_resize(np.zeros((4, 4), np.float64), (3, 3)), "dtype"),
    (lambda: cv2_resize(np.zeros((8, 8, 5), np.uint8), (3, 3), interpolation="area"), "4 channels"),
])
def test_errors_name_the_problem(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


def test_library_flags_and_enums_are_accepted():
    x = np.random.default_rng(1).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    np.testing.assert_array_equal(cv2_resize(x, (4, 9), interpolation=2), cv2_resize(x, (4, 9), interpolation="cubic"))
    np.testing.assert_array_equal(pil_resize(x, (4, 9), 1), pil_resize(x, (4, 9), "lanczos"))


def test_same_size_is_a_copy():
    x = np.random.default_rng(2).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    for out in (cv2_resize(x, (7, 5)), pil_resize(x, (7, 5))):
        np.testing.assert_array_equal(out, x)
        assert not np.shares_memory(out, x)
    assert tf_resize(x, (5, 7)).dtype == np.float32


def test_tf_nearest_keeps_dtype_and_batch():
    x = np.random.default_rng(3).integers(0, 65536, (2, 5, 7, 1), dtype=np.uint16)
    out = tf_resize(x, (3, 11), method="nearest")
    assert out.dtype == np.uint16 and out.shape == (2, 3, 11, 1)
    rows = np.minimum(np.floor((np.arange(3) + np.float32(0.5)) * np.float32(5 / 3)).astype(int), 4)
    np.testing.assert_array_equal(out[:, :, 0], x[:, rows, 0])
