"""Weights of a transposed convolution read from .npy, .npz and .safetensors files."""

import numpy as np
import pytest

from upsample_cli import weights

RNG = np.random.default_rng(4)


def test_npz_key_and_the_bias_beside_it(tmp_path):
    w, b = RNG.standard_normal((3, 2, 4, 4)).astype(np.float32), RNG.standard_normal(2).astype(np.float32)
    np.savez(tmp_path / "m.npz", **{"decoder.up1.weight": w, "decoder.up1.bias": b, "decoder.up2.weight": w[:, :1]})
    got = weights.load(tmp_path / "m.npz", "decoder.up1.weight")
    np.testing.assert_array_equal(got.weight, w)
    np.testing.assert_array_equal(got.bias, b)
    assert weights.load(tmp_path / "m.npz", "decoder.up2.weight").bias is None
    with pytest.raises(ValueError, match="holds 2 tensors .*--weight-key"):
        weights.load(tmp_path / "m.npz")
    with pytest.raises(ValueError, match="no tensor named 'up1.weight'; weights there: decoder.up1.weight"):
        weights.load(tmp_path / "m.npz", "up1.weight")


def test_npy_and_the_keras_layout(tmp_path):
    k = RNG.standard_normal((4, 4, 5, 3)).astype(np.float32)  # (kh, kw, out, in)
    np.save(tmp_path / "k.npy", k)
    got = weights.load(tmp_path / "k.npy", layout="keras")
    assert got.weight.shape == (3, 5, 4, 4) and got.bias is None
    np.testing.assert_array_equal(got.weight[1, 2], k[:, :, 2, 1])
    with pytest.raises(ValueError, match="a .npy file holds one array"):
        weights.load(tmp_path / "k.npy", "x.weight")


def test_shape_checks_name_file_key_and_expected_shape(tmp_path):
    np.savez(tmp_path / "m.npz", **{"up.weight": np.zeros((3, 2, 4, 4), np.float32), "up.bias": np.zeros(5)})
    loaded = weights.load(tmp_path / "m.npz")
    with pytest.raises(ValueError, match=r"m.npz: up.weight has shape \(3, 2, 4, 4\), expected \(1, out_channels"):
        loaded.check(1, 2)
    with pytest.raises(ValueError, match=r"a 3-D image needs a weight of 5 dimensions"):
        loaded.check(3, 3)
    with pytest.raises(ValueError, match=r"the bias has shape \(5,\), expected \(2,\)"):
        loaded.check(3, 2)
    np.save(tmp_path / "flat.npy", np.zeros((3, 2), np.float32))
    with pytest.raises(ValueError, match="3 to 5 dimensions"):
        weights.load(tmp_path / "flat.npy")
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="bad.npz: cannot read the weights"):
        weights.load(tmp_path / "bad.npz")
    with pytest.raises(ValueError, match="are read from .npy, .npz, .safetensors"):
        weights.load(tmp_path / "w.pt")


def test_safetensors(tmp_path):
    numpy_io = pytest.importorskip("safetensors.numpy")
    w, b = RNG.standard_normal((2, 3, 3, 3, 3)).astype(np.float32), RNG.standard_normal(3).astype(np.float32)
    numpy_io.save_file({"dec.up.weight": w, "dec.up.bias": b, "dec.norm.scale": b}, str(tmp_path / "m.safetensors"))
    got = weights.load(tmp_path / "m.safetensors")  # the only tensor named like a weight
    np.testing.assert_array_equal(got.weight, w)
    np.testing.assert_array_equal(got.bias, b)
    got.check(2, 3)
