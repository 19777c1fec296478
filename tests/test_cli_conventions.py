"""``upsample resize --convention`` and ``upsample modes``: the plumbing to ``upsample_cli.compat``."""

from pathlib import Path

import numpy as np
import pytest
import tifffile
from click.testing import CliRunner
from PIL import Image

from upsample_cli.cli import main
from upsample_cli.compat import cv2_resize, keras_upsampling2d, pil_resize, tf_resize
from upsample_cli.registry import NAMES, convention

SAMPLES = Path(__file__).resolve().parent.parent / "sample_data"
PHOTO, LOGO, STACK = (SAMPLES / n for n in ("photo.png", "logo_rgba.png", "stack.tif"))


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def pixels(path):
    return np.asarray(Image.open(path))


def test_modes_lists_every_mode_of_every_convention():
    result = run("modes")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == sum(len(convention(n).modes) for n in NAMES)
    for name in NAMES:
        for mode in convention(name).modes:
            assert any(line.split()[:2] == [name, mode] for line in lines), (name, mode)


@pytest.mark.parametrize("convention_name, mode, option, expected", [
    ("pillow", "hamming", ("--size", "40x30"), lambda x: pil_resize(x, (40, 30), "hamming")),
    ("pillow", None, ("--scale", "0.5"), lambda x: pil_resize(x, (x.shape[1] // 2, x.shape[0] // 2), "bicubic")),
    ("opencv", "lanczos4", ("--scale", "1.5"), lambda x: cv2_resize(x, None, fx=1.5, fy=1.5, interpolation="lanczos4")),
    ("opencv", "area", ("--size", "33x21"), lambda x: cv2_resize(x, (33, 21), interpolation="area")),
    ("tf", "nearest", ("--size", "50x41"), lambda x: tf_resize(x, (41, 50), "nearest")),
    ("keras", None, ("--scale", "2,3"), lambda x: keras_upsampling2d(x[None], (3, 2), "channels_last")[0]),
])
def test_resize_with_a_convention_matches_the_twin(tmp_path, convention_name, mode, option, expected):
    out = tmp_path / "out.png"
    args = ["resize", PHOTO, out, "--convention", convention_name, *option] + (["--mode", mode] if mode else [])
    result = run(*args)
    assert result.exit_code == 0, result.output
    np.testing.assert_array_equal(pixels(out), expected(pixels(PHOTO)))


def test_tf_results_are_rounded_half_to_even_into_the_file_type(tmp_path):
    out = tmp_path / "out.png"
    assert run("resize", PHOTO, out, "--convention", "tf", "--mode", "lanczos5", "--size", "37x29").exit_code == 0
    expected = np.clip(np.rint(tf_resize(pixels(PHOTO), (29, 37), "lanczos5")), 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(pixels(out), expected)


def test_pillow_rgba_is_resized_premultiplied_by_pillow(tmp_path):
    out = tmp_path / "out.png"
    assert run("resize", LOGO, out, "--convention", "pillow", "--size", "21x17").exit_code == 0
    np.testing.assert_array_equal(pixels(out), pil_resize(pixels(LOGO), (21, 17)))


def test_stack_slices_keep_their_depth(tmp_path):
    out = tmp_path / "out.tif"
    result = run("resize", STACK, out, "--convention", "opencv", "--mode", "cubic", "--size", "20x15")
    assert result.exit_code == 0, result.output
    src = tifffile.imread(STACK)
    expected = np.stack([cv2_resize(s, (20, 15), interpolation="cubic") for s in src])
    np.testing.assert_array_equal(tifffile.imread(out), expected)
    result = run("resize", STACK, out, "--convention", "opencv", "--size", "20x15x3")
    assert result.exit_code == 2 and "slice by slice" in result.output


@pytest.mark.parametrize("args, message", [
    (("--convention", "pillow", "--mode", "lanczos4", "--scale", "2"), "pillow modes: nearest, box"),
    (("--convention", "tf", "--mode", "cubic", "--scale", "2"), "mitchellcubic"),
    (("--mode", "lanczos5", "--scale", "2"), "torch modes"),
    (("--convention", "keras", "--scale", "1.5"), "whole factors"),
    (("--convention", "opencv", "--antialias", "--scale", "0.5"), "antialias"),
    (("--convention", "opencv", "--align-corners", "--scale", "2"), "torch options"),
    (("--convention", "caffe", "--scale", "2"), "torch"),
])
def test_bad_convention_settings_are_usage_errors(tmp_path, args, message):
    result = run("resize", PHOTO, tmp_path / "out.png", *args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1
