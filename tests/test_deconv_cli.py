"""``upsample deconv`` and ``upsample batch --deconv-weights``: files through the pipeline, values
from ``conv_transpose2d/3d``, one-line errors."""

import numpy as np
import pytest
import tifffile
from click.testing import CliRunner
from PIL import Image

from upsample_cli.cli import main
from upsample_cli.learned import conv_transpose2d, conv_transpose3d

RNG = np.random.default_rng(5)


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture
def files(tmp_path):
    rgb = RNG.integers(0, 256, (9, 11, 3), dtype=np.uint8)
    Image.fromarray(rgb).save(tmp_path / "in.png")
    w = (RNG.standard_normal((3, 2, 4, 4)) / 4).astype(np.float32)
    b = RNG.standard_normal(2).astype(np.float32) * 10
    np.savez(tmp_path / "model.npz", **{"dec.up1.weight": w, "dec.up1.bias": b, "dec.up2.weight": w[:2]})
    return tmp_path, rgb, w, b


def expected(rgb, w, b, **kw):
    out = conv_transpose2d(np.ascontiguousarray(rgb.transpose(2, 0, 1))[None], w, b, **kw)
    return out[0].transpose(1, 2, 0)


def test_deconv_an_image(files):
    tmp, rgb, w, b = files
    result = run("deconv", tmp / "in.png", tmp / "out.npy", "--weights", tmp / "model.npz", "--weight-key",
                 "dec.up1.weight", "--stride", "2", "--padding", "1", "--output-padding", "1")
    assert result.exit_code == 0, result.output
    got = np.load(tmp / "out.npy")
    assert got.dtype == np.uint8 and got.shape == (19, 23, 2)
    np.testing.assert_array_equal(got, expected(rgb, w, b, stride=2, padding=1, output_padding=1))


def test_deconv_a_stack_in_3d_with_per_axis_values(tmp_path):
    stack = RNG.random((4, 5, 6)).astype(np.float32)
    tifffile.imwrite(tmp_path / "s.tif", stack, photometric="minisblack")
    w = RNG.standard_normal((1, 1, 2, 3, 2)).astype(np.float32)
    np.save(tmp_path / "w.npy", w)
    result = run("deconv", tmp_path / "s.tif", tmp_path / "o.tif", "--weights", tmp_path / "w.npy",
                 "--stride", "2,1,3", "--dilation", "1,2,1")
    assert result.exit_code == 0, result.output
    want = conv_transpose3d(stack[None, None], w, stride=(3, 1, 2), dilation=(1, 2, 1))[0, 0]
    np.testing.assert_allclose(tifffile.imread(tmp_path / "o.tif"), want, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("args,message", [
    (["--weight-key", "nope"], "model.npz: no tensor named 'nope'"),
    ([], "model.npz holds 2 tensors"),
    (["--weight-key", "dec.up2.weight"], "dec.up2.weight has shape (2, 2, 4, 4), expected (3, out_channels/groups"),
    (["--weight-key", "dec.up1.weight", "--output-padding", "3", "--stride", "2"], "output padding must be smaller"),
    (["--weight-key", "dec.up1.weight", "--stride", "2,2,2"], "--stride takes one number or one per resized axis"),
    (["--weight-key", "dec.up1.weight", "--stride", "x"], "'x' is not an integer"),
])
def test_deconv_errors_are_one_line_usage_errors(files, args, message):
    tmp = files[0]
    result = run("deconv", tmp / "in.png", tmp / "o.png", "--weights", tmp / "model.npz", *args)
    assert result.exit_code == 2
    assert message in result.output and result.output.count("\n") == 1
    assert not (tmp / "o.png").exists()


def test_deconv_output_limit_and_missing_input(files):
    tmp = files[0]
    result = run("deconv", tmp / "in.png", tmp / "o.png", "--weights", tmp / "model.npz", "--weight-key",
                 "dec.up1.weight", "--stride", "3", "--max-output-pixels", "100")
    assert result.exit_code == 2 and "more than the limit of 100" in result.output
    result = run("deconv", tmp / "none.png", tmp / "o.png", "--weights", tmp / "model.npz", "--weight-key",
                 "dec.up1.weight")
    assert result.exit_code == 1 and result.output.startswith("error: ") and result.output.count("\n") == 1


def test_batch_with_deconv_weights(files):
    tmp, rgb, w, b = files
    (tmp / "src").mkdir()
    for name in ("a.png", "b.png"):
        (tmp / "src" / name).write_bytes((tmp / "in.png").read_bytes())
    result = run("batch", tmp / "src", tmp / "dst", "--deconv-weights", tmp / "model.npz", "--weight-key",
                 "dec.up1.weight", "--stride", "2", "--padding", "1", "--format", "npy", "-q", "-j", "1")
    assert result.exit_code == 0, result.output
    want = expected(rgb, w, b, stride=2, padding=1)
    for name in ("a.npy", "b.npy"):
        np.testing.assert_array_equal(np.load(tmp / "dst" / name), want)
    result = run("batch", tmp / "src", tmp / "d2", "--deconv-weights", tmp / "model.npz", "--scale", "2")
    assert result.exit_code == 2 and "--scale is a resize option" in result.output
    result = run("batch", tmp / "src", tmp / "d3", "--scale", "2", "--stride", "2")
    assert result.exit_code == 2 and "--stride is an option of --deconv-weights" in result.output
