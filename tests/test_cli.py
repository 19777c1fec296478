"""``upsample resize``: through Click's runner and through a real ``python -m upsample_cli``.

Expected pixels come from ``interpolate`` on the array as Pillow or tifffile read it, so these
tests check the plumbing (layout, axis order, dtype, formats, errors), not the engine.
"""

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tifffile
from click.testing import CliRunner
from PIL import Image

from upsample_cli import interpolate
from upsample_cli.cli import main
from helpers import pixels

SAMPLES = Path(__file__).resolve().parent.parent / "sample_data"
PHOTO, LOGO, DEPTH, STACK = (SAMPLES / n for n in ("photo.png", "logo_rgba.png", "depth16.png", "stack.tif"))


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def run_process(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "upsample_cli", *map(str, args)], capture_output=True, text=True, cwd=cwd
    )


def digest(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def hwc(a):
    return a if a.ndim == 3 else a[:, :, None]


def expected_image(a, **kw):
    """``interpolate`` on an (H, W[, C]) array, through the channels-last view."""
    return interpolate(hwc(a).transpose(2, 0, 1)[None], **kw)[0].transpose(1, 2, 0)


def assert_ok(result, out):
    assert result.exit_code == 0, result.output
    assert result.output == ""
    assert Path(out).is_file()


# --- images --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options, engine, shape",
    [
        (["--scale", "2", "--mode", "bicubic"], dict(scale_factor=2.0, mode="bicubic"), (384, 512, 3)),
        (["--scale", "1.5,2"], dict(scale_factor=(2.0, 1.5), mode="bilinear"), (384, 384, 3)),
        (
            ["--size", "100x80", "--mode", "bilinear", "--antialias"],
            dict(size=(80, 100), mode="bilinear", antialias=True),
            (80, 100, 3),
        ),
        (
            ["--size", "300X200", "--mode", "linear", "--align-corners"],
            dict(size=(200, 300), mode="bilinear", align_corners=True),
            (200, 300, 3),
        ),
        (["--scale", "0.3", "--mode", "area"], dict(scale_factor=0.3, mode="area"), (57, 76, 3)),
        (["--scale", "3,1", "--mode", "nearest"], dict(scale_factor=(1.0, 3.0), mode="nearest"), (192, 768, 3)),
        (["--size", "200x150", "--mode", "lanczos"], dict(size=(150, 200), mode="lanczos"), (150, 200, 3)),
    ],
)
def test_photo(tmp_path, options, engine, shape):
    out = tmp_path / "out.png"
    before = digest(PHOTO)
    assert_ok(run("resize", PHOTO, out, *options), out)
    got = pixels(out)
    assert got.dtype == np.uint8 and got.shape == shape
    np.testing.assert_array_equal(got, expected_image(pixels(PHOTO), **engine))
    assert digest(PHOTO) == before


def premultiplied_expected(rgba, **kw):
    """Colours resized premultiplied by alpha, then divided by the resized alpha (float64 oracle)."""
    a = rgba.astype(np.float64)
    weight = a[..., 3:] / 255
    a[..., :3] *= weight
    out = expected_image(a, **kw)
    weight = out[..., 3:] / 255
    with np.errstate(divide="ignore", invalid="ignore"):
        out[..., :3] = np.where(weight > 0, out[..., :3] / weight, 0)
    return np.clip(np.floor(out + 0.5), 0, 255).astype(np.uint8)


def test_rgba_is_resized_premultiplied(tmp_path):
    out = tmp_path / "logo.png"
    assert_ok(run("resize", LOGO, out, "--scale", "0.5", "--mode", "area"), out)
    with Image.open(out) as im:
        assert im.mode == "RGBA"
    got, src = pixels(out), pixels(LOGO)
    want = premultiplied_expected(src, scale_factor=0.5, mode="area")
    assert np.abs(got.astype(int) - want).max() <= 1
    assert got[0, 0, 3] == 0  # the background stays transparent
    # Edge pixels keep the colour of the ring instead of fading towards the black background.
    edge = (got[..., 3] > 0) & (got[..., 3] < 255)
    ring = np.array([30, 90, 200])
    blue = edge & (got[..., 2] > got[..., 0])
    assert blue.any() and np.abs(got[blue][:, :3].astype(int) - ring).max() <= 2


def test_straight_alpha_is_torch(tmp_path):
    out = tmp_path / "logo.png"
    assert_ok(run("resize", LOGO, out, "--scale", "0.5", "--mode", "area", "--straight-alpha"), out)
    np.testing.assert_array_equal(pixels(out), expected_image(pixels(LOGO), scale_factor=0.5, mode="area"))


@pytest.mark.parametrize("suffix", [".png", ".tif"])
def test_depth16_stays_16_bit(tmp_path, suffix):
    out = tmp_path / f"depth{suffix}"
    assert_ok(run("resize", DEPTH, out, "--size", "320x240", "--mode", "bicubic"), out)
    if suffix == ".png":
        with Image.open(out) as im:
            assert im.mode == "I;16"
    got = hwc(pixels(out))
    assert got.dtype == np.uint16 and got.shape == (240, 320, 1)
    np.testing.assert_array_equal(got, expected_image(pixels(DEPTH), size=(240, 320), mode="bicubic"))
    assert got.max() > 255


def test_jpeg_and_bmp_outputs(tmp_path):
    for name in ("photo.jpg", "photo.bmp"):
        out = tmp_path / name
        assert_ok(run("resize", PHOTO, out, "--scale", "0.5"), out)
        with Image.open(out) as im:
            assert im.format == {".jpg": "JPEG", ".bmp": "BMP"}[out.suffix]
            assert im.mode == "RGB" and im.size == (128, 96)
    # JPEG in, PNG out
    out = tmp_path / "again.png"
    assert_ok(run("resize", tmp_path / "photo.jpg", out, "--scale", "2"), out)
    np.testing.assert_array_equal(
        pixels(out), expected_image(pixels(tmp_path / "photo.jpg"), scale_factor=2.0, mode="bilinear")
    )


def test_format_comes_from_content(tmp_path):
    disguised = tmp_path / "photo.tif"  # a PNG named .tif
    shutil.copy(PHOTO, disguised)
    out = tmp_path / "out.png"
    assert_ok(run("resize", disguised, out, "--scale", "2", "--mode", "nearest"), out)
    np.testing.assert_array_equal(pixels(out), np.repeat(np.repeat(pixels(PHOTO), 2, 0), 2, 1))


def test_overwrites_an_existing_output(tmp_path):
    out = tmp_path / "out.png"
    out.write_bytes(b"old")
    assert_ok(run("resize", PHOTO, out, "--scale", "0.5"), out)
    assert pixels(out).shape == (96, 128, 3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.png"]


@pytest.mark.parametrize(
    "mode, make",
    [
        ("L", lambda a: Image.fromarray(a[..., 0])),
        ("LA", lambda a: Image.fromarray(a[..., :2].copy(), "LA")),
        ("P", lambda a: Image.fromarray(a).quantize(16)),
        ("1", lambda a: Image.fromarray(a[..., 0] > 128)),
    ],
)
def test_other_pillow_modes(tmp_path, mode, make):
    src = tmp_path / f"in_{mode}.png"
    make(pixels(PHOTO)).save(src)
    out = tmp_path / "out.png"
    assert_ok(run("resize", src, out, "--scale", "0.5", "--straight-alpha"), out)
    with Image.open(src) as im:
        converted = im.convert({"P": "RGB", "1": "L"}.get(mode, mode))
    np.testing.assert_array_equal(
        hwc(pixels(out)), expected_image(np.asarray(converted), scale_factor=0.5, mode="bilinear")
    )


@pytest.mark.parametrize(
    "data, photometric",
    [
        (np.linspace(0, 1, 48 * 40 * 3, dtype=np.float32).reshape(48, 40, 3), "rgb"),
        (np.arange(48 * 40, dtype=np.uint16).reshape(48, 40) * 30, "minisblack"),
        (np.arange(48 * 40 * 3, dtype=np.uint16).reshape(48, 40, 3) * 10, "rgb"),
    ],
)
def test_single_page_tiff_is_an_image(tmp_path, data, photometric):
    src, out = tmp_path / "in.tif", tmp_path / "out.tif"
    tifffile.imwrite(src, data, photometric=photometric)
    assert_ok(run("resize", src, out, "--scale", "2,1.5", "--mode", "bicubic"), out)
    got = pixels(out)
    assert got.dtype == data.dtype
    np.testing.assert_array_equal(hwc(got), expected_image(data, scale_factor=(1.5, 2.0), mode="bicubic"))


def test_lzw_tiff_read_through_pillow(tmp_path):
    # tifffile needs imagecodecs for LZW; Pillow's libtiff reads it.
    src, out = tmp_path / "lzw.tif", tmp_path / "out.png"
    Image.open(PHOTO).save(src, compression="tiff_lzw")
    assert_ok(run("resize", src, out, "--scale", "0.5"), out)
    np.testing.assert_array_equal(pixels(out), expected_image(pixels(PHOTO), scale_factor=0.5, mode="bilinear"))


def test_palette_tiff_keeps_its_palette_with_nearest(tmp_path):
    src, out = tmp_path / "pal.tif", tmp_path / "out.png"
    Image.open(PHOTO).quantize(8).save(src)
    assert_ok(run("resize", src, out, "--scale", "2", "--mode", "nearest"), out)
    with Image.open(src) as im:
        rgb = np.asarray(im.convert("RGB"))
    with Image.open(out) as im:
        assert im.mode == "P"
        got = np.asarray(im.convert("RGB"))
    np.testing.assert_array_equal(got, np.repeat(np.repeat(rgb, 2, 0), 2, 1))


def test_palette_tiff_becomes_rgb_when_interpolated(tmp_path):
    src, out = tmp_path / "pal.tif", tmp_path / "out.png"
    Image.open(PHOTO).quantize(8).save(src)
    assert_ok(run("resize", src, out, "--scale", "2", "--mode", "bilinear"), out)
    with Image.open(src) as im:
        rgb = np.asarray(im.convert("RGB"))
    with Image.open(out) as im:
        assert im.mode == "RGB"
    np.testing.assert_array_equal(pixels(out), expected_image(rgb, scale_factor=2.0, mode="bilinear"))


def test_jpeg_exif_orientation_is_applied(tmp_path):
    src, out = tmp_path / "rotated.jpg", tmp_path / "out.png"
    im = Image.open(PHOTO)
    exif = im.getexif()
    exif[0x0112] = 6  # display rotated 90 degrees clockwise
    im.save(src, exif=exif.tobytes(), quality=95)
    assert_ok(run("resize", src, out, "--size", "96x128"), out)  # width first, as displayed
    assert pixels(out).shape == (128, 96, 3)


# --- stacks --------------------------------------------------------------------------


def test_stack_trilinear(tmp_path):
    out = tmp_path / "big.tif"
    assert_ok(run("resize", STACK, out, "--scale", "2", "--mode", "trilinear"), out)
    src = pixels(STACK)
    got = pixels(out)
    assert got.dtype == np.uint16 and got.shape == (48, 128, 128)
    np.testing.assert_array_equal(got, interpolate(src[None, None], scale_factor=2.0, mode="trilinear")[0, 0])
    with tifffile.TiffFile(out) as tif:
        assert tif.series[0].axes == "ZYX"


def test_stack_linear_is_trilinear_with_width_first_order(tmp_path):
    out = tmp_path / "out.tif"
    assert_ok(run("resize", STACK, out, "--size", "32x48x12"), out)
    want = interpolate(pixels(STACK)[None, None], size=(12, 48, 32), mode="trilinear")[0, 0]
    np.testing.assert_array_equal(pixels(out), want)


def test_stack_bicubic_keeping_the_depth_is_in_plane(tmp_path):
    out = tmp_path / "out.tif"
    assert_ok(run("resize", STACK, out, "--size", "32x40", "--mode", "bicubic"), out)
    src = pixels(STACK)
    got = pixels(out)
    assert got.shape == (24, 40, 32)
    np.testing.assert_array_equal(got, interpolate(src[:, None], size=(40, 32), mode="bicubic")[:, 0])
    for scale in ("2,2", "2,2,1"):
        assert_ok(run("resize", STACK, out, "--scale", scale, "--mode", "bicubic"), out)
        np.testing.assert_array_equal(pixels(out), interpolate(src[:, None], scale_factor=2.0, mode="bicubic")[:, 0])


@pytest.mark.parametrize("mode", ["bicubic", "lanczos", "area", "nearest-exact"])
def test_stack_volume_modes_resize_the_depth(tmp_path, mode):
    out = tmp_path / "out.tif"
    assert_ok(run("resize", STACK, out, "--scale", "0.5", "--mode", mode), out)
    want = interpolate(pixels(STACK)[None, None], scale_factor=0.5, mode=mode)[0, 0]
    np.testing.assert_array_equal(pixels(out), want)


def test_stack_bilinear_keeps_the_depth(tmp_path):
    out = tmp_path / "out.tif"
    assert_ok(run("resize", STACK, out, "--scale", "2", "--mode", "bilinear"), out)
    want = interpolate(pixels(STACK)[:, None], scale_factor=2.0, mode="bilinear")[:, 0]
    np.testing.assert_array_equal(pixels(out), want)


def test_stack_per_axis_scale_nearest(tmp_path):
    out = tmp_path / "out.tif"
    assert_ok(run("resize", STACK, out, "--scale", "1,2,0.5", "--mode", "nearest"), out)
    src = pixels(STACK)
    np.testing.assert_array_equal(pixels(out), np.repeat(src[::2], 2, axis=1))


def test_rgb_stack(tmp_path):
    src, out = tmp_path / "rgb.tif", tmp_path / "out.tif"
    data = np.stack([pixels(PHOTO)[:64, :80]] * 5)  # (Z, Y, X, 3)
    tifffile.imwrite(src, data, photometric="rgb")
    assert_ok(run("resize", src, out, "--scale", "2,2,1.4", "--mode", "trilinear"), out)
    got = pixels(out)
    assert got.shape == (7, 128, 160, 3) and got.dtype == np.uint8
    vol = data.transpose(3, 0, 1, 2)[None]
    want = interpolate(vol, scale_factor=(1.4, 2.0, 2.0), mode="trilinear")[0].transpose(1, 2, 3, 0)
    np.testing.assert_array_equal(got, want)
    # Depth kept: each slice in-plane, as torch's bilinear on one image.
    assert_ok(run("resize", src, out, "--scale", "2,2,1", "--mode", "trilinear"), out)
    want = interpolate(data.transpose(0, 3, 1, 2), scale_factor=2.0, mode="bilinear").transpose(0, 2, 3, 1)
    np.testing.assert_array_equal(pixels(out), want)


def test_imagej_hyperstack_keeps_its_axes(tmp_path):
    src, out = tmp_path / "zcyx.tif", tmp_path / "out.tif"
    data = np.random.default_rng(0).integers(0, 4000, (6, 2, 20, 24), dtype=np.uint16)  # Z, C, Y, X
    tifffile.imwrite(src, data, imagej=True, metadata={"axes": "ZCYX"})
    assert_ok(run("resize", src, out, "--scale", "2", "--mode", "nearest"), out)
    got = pixels(out)
    assert got.shape == (12, 2, 40, 48)
    np.testing.assert_array_equal(got, data.repeat(2, 0).repeat(2, 2).repeat(2, 3))
    with tifffile.TiffFile(out) as tif:
        assert tif.is_imagej and tif.series[0].axes == "ZCYX"


# --- errors --------------------------------------------------------------------------


def _text_png(tmp):
    p = tmp / "notes.png"
    p.write_text("not an image\n")
    return p


ERRORS = [
    # (name, IN, OUT, options, exit code, text in the message)
    ("missing file", lambda t: t / "nope.png", "out.png", ["--scale", "2"], 1, "no such file"),
    ("text named .png", _text_png, "out.png", ["--scale", "2"], 1, "not a recognised image"),
    ("folder as input", lambda t: t, "out.png", ["--scale", "2"], 2, "directory"),
    ("scale not a number", PHOTO, "out.png", ["--scale", "abc"], 2, "--scale"),
    ("scale zero", PHOTO, "out.png", ["--scale", "0"], 2, "positive"),
    ("scale negative", PHOTO, "out.png", ["--scale", "2,-1"], 2, "positive"),
    ("scale nan", PHOTO, "out.png", ["--scale", "nan"], 2, "--scale"),
    ("scale empty", PHOTO, "out.png", ["--scale", ""], 2, "--scale"),
    ("four scales", PHOTO, "out.png", ["--scale", "1,2,3,4"], 2, "--scale"),
    ("three scales on an image", PHOTO, "out.png", ["--scale", "1,2,3"], 2, "W,H"),
    ("depth with bilinear", STACK, "out.tif", ["--scale", "2,2,2", "--mode", "bilinear"], 2, "in-plane"),
    ("size one number", PHOTO, "out.png", ["--size", "640"], 2, "WIDTHxHEIGHT"),
    ("size zero", PHOTO, "out.png", ["--size", "0x10"], 2, "at least 1"),
    ("size letters", PHOTO, "out.png", ["--size", "axb"], 2, "--size"),
    ("size negative", PHOTO, "out.png", ["--size", "-5x10"], 2, "--size"),
    ("size 3-D on an image", PHOTO, "out.png", ["--size", "10x10x10"], 2, "WxH"),
    ("scale and size", PHOTO, "out.png", ["--scale", "2", "--size", "5x5"], 2, "--scale and --size do not go together"),
    ("neither", PHOTO, "out.png", [], 2, "give one of --scale, --size, --spacing or --isotropic"),
    ("unknown mode", PHOTO, "out.png", ["--scale", "2", "--mode", "cubic"], 2, "--mode"),
    ("trilinear on an image", PHOTO, "out.png", ["--scale", "2", "--mode", "trilinear"], 2, "trilinear"),
    ("align corners with nearest", PHOTO, "out.png", ["--scale", "2", "--mode", "nearest", "--align-corners"], 2,
     "align_corners"),
    ("antialias with area", PHOTO, "out.png", ["--scale", "0.5", "--mode", "area", "--antialias"], 2, "nti-alias"),
    ("empty output", PHOTO, "out.png", ["--scale", "0.001"], 2, "greater than 0"),
    ("unknown option", PHOTO, "out.png", ["--scale", "2", "--zoom", "2"], 2, "--zoom"),
    ("unknown output format", PHOTO, "out.gif", ["--scale", "2"], 2, ".gif"),
    ("missing output folder", PHOTO, "sub/out.png", ["--scale", "2"], 1, "does not exist"),
    ("RGBA as JPEG", LOGO, "out.jpg", ["--scale", "2"], 1, "JPEG"),
    ("16-bit as JPEG", DEPTH, "out.jpg", ["--scale", "2"], 1, "JPEG"),
    ("stack as PNG", STACK, "out.png", ["--scale", "2"], 1, ".tif"),
    ("empty file", lambda t: (t / "empty.png").open("w").close() or t / "empty.png", "out.png", ["--scale", "2"], 1,
     "empty"),
    ("int16 TIFF as PNG", lambda t: tifffile.imwrite(t / "i16.tif", np.zeros((4, 4), np.int16)) or t / "i16.tif",
     "out.png", ["--scale", "2"], 1, "int16"),
]


@pytest.mark.parametrize("name, src, out, options, code, text", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors(tmp_path, name, src, out, options, code, text):
    src = src(tmp_path) if callable(src) else src
    before = sorted(os.listdir(tmp_path))
    result = run("resize", src, tmp_path / out, *options)
    assert result.exit_code == code, result.output
    message = result.stderr
    assert message.startswith("error: ") and message.count("\n") == 1, message
    assert text in message
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert sorted(os.listdir(tmp_path)) == before  # nothing written, no temporary file left


def test_file_errors_name_the_file(tmp_path):
    result = run("resize", tmp_path / "nope.png", tmp_path / "out.png", "--scale", "2")
    assert result.stderr == f"error: {tmp_path / 'nope.png'}: no such file\n"


@pytest.mark.parametrize("spelling", ["same", "relative", "link"])
def test_refuses_to_overwrite_the_input(tmp_path, spelling, monkeypatch):
    src = tmp_path / "photo.png"
    shutil.copy(PHOTO, src)
    monkeypatch.chdir(tmp_path)
    out = {"same": src, "relative": "./photo.png", "link": tmp_path / "link.png"}[spelling]
    if spelling == "link":
        os.symlink(src, out)
    before = digest(src)
    result = run("resize", src, out, "--scale", "2")
    assert result.exit_code == 2
    assert "input" in result.stderr and result.stderr.count("\n") == 1
    assert digest(src) == before


def test_failed_write_keeps_the_existing_output(tmp_path):
    out = tmp_path / "out.jpg"
    out.write_bytes(b"previous")
    result = run("resize", LOGO, out, "--scale", "2")
    assert result.exit_code == 1
    assert out.read_bytes() == b"previous"
    assert sorted(os.listdir(tmp_path)) == ["out.jpg"]


def test_truncated_png(tmp_path):
    src = tmp_path / "cut.png"
    src.write_bytes(PHOTO.read_bytes()[:5000])
    result = run("resize", src, tmp_path / "out.png", "--scale", "2")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {src}: ") and result.stderr.count("\n") == 1
    assert not (tmp_path / "out.png").exists()


def test_bare_commands_show_help():
    assert "resize" in run().output
    result = run("resize")
    assert "Usage:" in result.output and "--scale" in result.output


def test_version():
    result = run("--version")
    assert result.exit_code == 0 and "upsample" in result.output


# --- size syntax, options -------------------------------------------------------------


@pytest.mark.parametrize(
    "size, shape",
    [("128x", (96, 128, 3)), ("x96", (96, 128, 3)), ("100x50", (50, 100, 3)), ("50%", (96, 128, 3))],
)
def test_size_syntax(tmp_path, size, shape):
    out = tmp_path / "out.png"
    assert_ok(run("resize", PHOTO, out, "--size", size), out)
    assert pixels(out).shape == shape


def test_percentage_is_the_scale(tmp_path):
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    assert_ok(run("resize", PHOTO, a, "--size", "37%", "--mode", "bicubic"), a)
    assert_ok(run("resize", PHOTO, b, "--scale", "0.37", "--mode", "bicubic"), b)
    np.testing.assert_array_equal(pixels(a), pixels(b))


def test_stack_size_keeping_proportions(tmp_path):
    out = tmp_path / "out.tif"
    assert_ok(run("resize", STACK, out, "--size", "32xx", "--mode", "area"), out)
    want = interpolate(pixels(STACK)[None, None], size=(12, 32, 32), mode="area")[0, 0]
    np.testing.assert_array_equal(pixels(out), want)


@pytest.mark.parametrize("ext", [".webp", ".npy", ".bmp", ".tiff", ".jpeg"])
def test_more_output_formats(tmp_path, ext):
    out = tmp_path / f"out{ext}"
    assert_ok(run("resize", PHOTO, out, "--scale", "0.5", "--mode", "area"), out)
    if ext == ".npy":
        assert np.load(out).shape == (96, 128, 3)
    else:
        with Image.open(out) as im:
            assert im.size == (128, 96)


def test_npy_axes_option(tmp_path):
    src, out = tmp_path / "a.npy", tmp_path / "out.npy"
    data = np.random.default_rng(1).random((3, 10, 12)).astype(np.float32)  # C, Y, X
    np.save(src, data)
    assert_ok(run("resize", src, out, "--scale", "2", "--axes", "CYX", "--mode", "bicubic"), out)
    np.testing.assert_array_equal(np.load(out), interpolate(data[None], scale_factor=2.0, mode="bicubic")[0])
    # Without --axes a (3, 10, 12) array is a ZYX volume
    assert_ok(run("resize", src, out, "--scale", "2", "--mode", "nearest"), out)
    assert np.load(out).shape == (6, 20, 24)


def test_quality_and_compression(tmp_path):
    low, high = tmp_path / "low.jpg", tmp_path / "high.jpg"
    assert_ok(run("resize", PHOTO, low, "--scale", "1", "--quality", "30"), low)
    assert_ok(run("resize", PHOTO, high, "--scale", "1"), high)
    assert low.stat().st_size < high.stat().st_size
    sizes = {}
    for compression in ("none", "deflate", "lzma"):
        out = tmp_path / f"{compression}.tif"
        assert_ok(run("resize", STACK, out, "--scale", "1", "--compression", compression), out)
        np.testing.assert_array_equal(pixels(out), pixels(STACK))
        sizes[compression] = out.stat().st_size
    assert sizes["deflate"] < sizes["none"] and sizes["lzma"] < sizes["none"]


def _zlib_level(png) -> int:
    """The FLEVEL field of the zlib stream in ``png``'s first IDAT chunk: 0 fastest .. 3 maximum."""
    data, at = Path(png).read_bytes(), 8
    while data[at + 4 : at + 8] != b"IDAT":
        at += 12 + int.from_bytes(data[at : at + 4], "big")
    return data[at + 9] >> 6


@pytest.mark.parametrize("depth", [8, 16])
def test_png_level(tmp_path, depth):
    src = PHOTO
    if depth == 16:  # RGB at 16 bits: upsample's own PNG writer
        src = tmp_path / "photo16.tif"
        tifffile.imwrite(src, pixels(PHOTO).astype(np.uint16) * 257, photometric="rgb")
    written = {}
    for level in (None, "1", "6", "9"):
        out = tmp_path / f"level{level}.png"
        assert_ok(run("resize", src, out, "--scale", "1.5", *(("--png-level", level) if level else ())), out)
        written[level] = out
        np.testing.assert_array_equal(pixels(out), pixels(written[None]))
    assert [_zlib_level(written[k]) for k in (None, "1", "6", "9")] == [0, 0, 2, 3]  # default: 1, the fastest
    if depth == 8:  # (16-bit samples made as 8-bit ones times 257 happen to deflate best at level 1)
        assert written["9"].stat().st_size < written["1"].stat().st_size


def test_overwrite_input_when_forced(tmp_path):
    src = tmp_path / "photo.png"
    shutil.copy(PHOTO, src)
    link = tmp_path / "link.png"
    os.link(src, link)  # a second name for the original bytes
    result = run("resize", src, src, "--scale", "0.5", "--overwrite-input")
    assert result.exit_code == 0, result.output
    assert pixels(src).shape == (96, 128, 3)
    assert digest(link) == digest(PHOTO)  # replaced by a new file, not rewritten in place
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.png", "photo.png"]


USAGE_ERRORS = [
    (["--axes", "ZZX"], "more than once"),
    (["--axes", "ZY"], "X"),
    (["--quality", "0"], "--quality"),
    (["--compression", "zip"], "--compression"),
    (["--png-level", "10"], "--png-level"),
    (["--max-output-pixels", "lots"], "pixel count"),
    (["--size", "800x600x"], "proportions"),
]


@pytest.mark.parametrize("options, text", USAGE_ERRORS, ids=[" ".join(o) for o, _ in USAGE_ERRORS])
def test_usage_errors(tmp_path, options, text):
    result = run("resize", PHOTO, tmp_path / "out.png", "--scale", "2", *options)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert text in result.stderr
    assert os.listdir(tmp_path) == []


def test_axes_on_a_png_is_refused(tmp_path):
    result = run("resize", PHOTO, tmp_path / "out.png", "--scale", "2", "--axes", "YXS")
    assert result.exit_code == 2 and "--axes applies to TIFF and .npy" in result.stderr


# --- trust: interruptions, debug -------------------------------------------------------


def test_interrupted_write_leaves_nothing(tmp_path, monkeypatch):
    from upsample_cli.formats import tiff

    def interrupted(tmp, image, compression="deflate"):
        Path(tmp).write_bytes(b"half a file")
        raise KeyboardInterrupt

    monkeypatch.setattr(tiff, "write", interrupted)
    out = tmp_path / "out.tif"
    out.write_bytes(b"previous")
    result = run("resize", STACK, out, "--scale", "2")
    assert result.exit_code == 130
    assert result.stderr == f"error: {out}: interrupted; nothing was written\n"
    assert out.read_bytes() == b"previous"
    assert sorted(os.listdir(tmp_path)) == ["out.tif"]


@pytest.mark.parametrize("signal_name", ["SIGTERM", "SIGINT"])
def test_a_signal_during_a_write_exits_130_and_leaves_nothing(tmp_path, signal_name):
    out = tmp_path / "out.tif"
    # (Ctrl-C's handler as in a foreground process: one started in the background, as CI may
    # start the tests, inherits SIGINT ignored and Python then installs none)
    code = (
        "import os, signal, sys\n"
        "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
        "from pathlib import Path\n"
        "from upsample_cli.formats import tiff\n"
        "from upsample_cli.cli import main\n"
        "def slow(tmp, image, compression='deflate'):\n"
        "    Path(tmp).write_bytes(b'half a file')\n"
        f"    os.kill(os.getpid(), signal.{signal_name})\n"
        "    Path(tmp).write_bytes(b'the whole file')\n"
        "tiff.write = slow\n"
        f"main(['resize', {str(STACK)!r}, {str(out)!r}, '--scale', '2'])\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 130, proc.stderr
    assert proc.stderr == f"error: {out}: interrupted; nothing was written\n"
    assert os.listdir(tmp_path) == []


def test_debug_shows_the_traceback(tmp_path, monkeypatch):
    from upsample_cli import pipeline

    def broken(image, settings):
        raise RuntimeError("boom")

    monkeypatch.setattr(pipeline, "resize_image", broken)
    result = run("resize", PHOTO, tmp_path / "out.png", "--scale", "2")
    assert result.exit_code == 1
    assert result.stderr == f"error: {PHOTO}: unexpected RuntimeError: boom\n"
    result = run("resize", PHOTO, tmp_path / "out.png", "--scale", "2", "--debug")
    assert result.exit_code == 1
    assert "Traceback" in result.stderr and result.stderr.endswith(f"error: {PHOTO}: unexpected RuntimeError: boom\n")


# --- info --------------------------------------------------------------------------------


def test_info_of_an_image():
    result = run("info", PHOTO)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"file:    {PHOTO}"
    assert "format:  PNG" in lines and "dtype:   uint8" in lines and "mode:    RGB" in lines
    assert "size:    256x192 (width x height)" in lines
    assert "axes:    YXS (Y height, X width, S sample)" in lines
    assert lines[-1] == "metadata kept: none"


def test_info_of_a_hyperstack(tmp_path):
    src = tmp_path / "ij.tif"
    data = np.zeros((2, 6, 2, 20, 24), np.uint16)
    tifffile.imwrite(src, data, imagej=True, resolution=(2.5, 2.5),
                     metadata={"axes": "TZCYX", "spacing": 0.7, "unit": "micron"})
    out = run("info", src).stdout
    assert "format:  TIFF (ImageJ hyperstack)" in out
    assert "shape:   2 x 6 x 2 x 20 x 24" in out
    assert "resized: Z, Y, X; not resized: T, C" in out
    assert "resolution: 2.5 x 2.5 pixels per micron" in out
    assert "pixel size Z: 0.7 micron" in out
    # --axes renames what the file says
    assert "resized: Y, X; not resized: T, Q, C" in run("info", src, "--axes", "TQCYX").stdout


def test_info_of_alpha_and_palette(tmp_path):
    assert "alpha:   S channel 3 (straight" in run("info", LOGO).stdout
    src = tmp_path / "p.png"
    Image.fromarray(pixels(PHOTO)).quantize(8).save(src)
    out = run("info", src).stdout
    assert "mode:    P" in out and "palette: 256 colours" in out


def test_info_reads_only_the_header(tmp_path):
    src = tmp_path / "cut.npy"
    data = np.zeros((4000, 4000), np.uint8)
    np.save(src, data)
    src.write_bytes(src.read_bytes()[:1000])  # the header is whole, the data is not
    result = run("info", src)
    assert result.exit_code == 0 and "size:    4000x4000" in result.stdout


# --- a real process ------------------------------------------------------------------


def test_process_resize(tmp_path):
    out = tmp_path / "big.tif"
    proc = run_process("resize", STACK, out, "--scale", "2,2,1", "--mode", "bilinear", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == proc.stderr == ""
    want = interpolate(pixels(STACK)[:, None], scale_factor=2.0, mode="bilinear")[:, 0]
    np.testing.assert_array_equal(pixels(out), want)


@pytest.mark.parametrize(
    "args, code",
    [
        (["resize", "missing.png", "out.png", "--scale", "2"], 1),
        (["resize", PHOTO, "out.png", "--scale", "two"], 2),
        (["resize", PHOTO, "out.png", "--scale", "2", "--mode", "bogus"], 2),
        (["resize", PHOTO, PHOTO, "--scale", "2"], 2),
    ],
)
def test_process_errors(tmp_path, args, code):
    proc = run_process(*args, cwd=tmp_path)
    assert proc.returncode == code
    assert proc.stdout == ""
    assert proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1, proc.stderr
    assert os.listdir(tmp_path) == []


def test_process_info():
    proc = run_process("info", STACK)
    assert proc.returncode == 0 and proc.stderr == ""
    assert "axes:    ZYX (Z depth, Y height, X width)" in proc.stdout
    proc = run_process("info", "missing.tif")
    assert proc.returncode == 1 and proc.stderr == "error: missing.tif: no such file\n"


def loaded(args, module="numba"):
    """Whether ``module`` is in ``sys.modules`` after the command line ran ``args`` in a fresh process."""
    code = (
        "import sys\n"
        "from upsample_cli.cli import main\n"
        "try:\n"
        f"    main({[str(a) for a in args]!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print({module!r} in sys.modules)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    return {"True": True, "False": False}[proc.stdout.strip().splitlines()[-1]]


@pytest.mark.parametrize("args", [["--help"], ["resize", "--help"], ["resize", "in.png", "out.png", "--scale", "x"],
                                  ["info", str(STACK)]])
def test_no_numba_until_pixels_are_resized(args):
    assert not loaded(args)


@pytest.mark.parametrize("args", [["--help"], ["resize", "--help"], ["batch", "--help"], ["info", "--help"]])
def test_help_loads_no_numpy(args):
    assert not loaded(args, "numpy")


def test_one_small_image_is_resized_without_loading_numba(tmp_path):
    # NumPy resizes it sooner than Numba loads (same numbers: the CLI tests above compare with
    # interpolate on Numba); a large one loads Numba once its loops are compiled.
    x = np.zeros((1, 40, 40, 3), np.uint8).transpose(0, 3, 1, 2)
    interpolate(x, scale_factor=2, mode="bicubic")  # (compiles the loops the large resize runs, if need be)
    big = tmp_path / "big.png"
    Image.fromarray(np.zeros((1500, 1500, 3), np.uint8)).save(big)
    assert not loaded(["resize", PHOTO, tmp_path / "o.png", "--scale", "1.5", "--mode", "bicubic"])
    assert loaded(["resize", big, tmp_path / "o.png", "--scale", "2", "--mode", "bicubic"])


def test_a_first_use_says_it_compiles_when_numpy_would_take_longer(tmp_path):
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache")}  # (empty: nothing compiled)
    big = tmp_path / "big.png"
    Image.fromarray(np.zeros((2500, 2500, 3), np.uint8)).save(big)
    for src, compiles in ((PHOTO, False), (big, True), (big, False)):
        proc = subprocess.run([sys.executable, "-m", "upsample_cli", "resize", str(src), str(tmp_path / "o.npy"),
                               "--scale", "2", "--mode", "bicubic"], capture_output=True, text=True, env=env)
        assert proc.returncode == 0
        assert proc.stderr.startswith("compiling kernels for first use, once") if compiles else not proc.stderr
        assert proc.stderr.count("\n") == compiles


def test_warmup_compiles_every_listed_kernel_and_what_resizes_run(tmp_path, monkeypatch):
    from upsample_cli import api
    from upsample_cli.kernels import compiled, cpu

    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache")}
    proc = subprocess.run([sys.executable, "-m", "upsample_cli", "warmup", "--quiet"], capture_output=True, text=True,
                          env=env)
    assert proc.returncode == 0 and not proc.stderr
    assert proc.stdout.startswith(f"{len(cpu.SIGNATURES)} kernels ready in ")
    assert proc.stdout.rstrip().endswith(f"cached in {tmp_path / 'cache'}")
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "cache"))
    assert sorted(compiled.known()) == sorted(compiled.signature(loop, *dtypes) for loop, dtypes in cpu.SIGNATURES)
    # The loops the usual resizes run are among them: nothing left to compile.
    for dtype, channels in ((np.uint8, 3), (np.uint8, 1), (np.uint8, 4), (np.uint16, 1), (np.float32, 3)):
        x = np.zeros((1, 30, 40, channels), dtype).transpose(0, 3, 1, 2)
        for mode, factor, antialias in (("bicubic", 2, False), ("bilinear", 0.5, True), ("nearest", 3, False),
                                        ("area", 0.5, False)):
            rules, size, scales, pipeline = api._settings(x.shape, x.dtype, None, factor, mode, None, None, antialias)
            p = api.plan(x.shape, x.strides, x.dtype, rules, size, scales, pipeline)
            assert set(p.loops()) <= compiled.known(), (dtype, channels, mode)


def test_explain_prints_the_plan_of_each_resize_on_stderr(tmp_path):
    out = tmp_path / "o.png"
    result = CliRunner().invoke(main, ["resize", str(PHOTO), str(out), "--scale", "2", "--mode", "bicubic",
                                       "--explain"])
    assert result.exit_code == 0 and out.exists()
    lines = result.stderr.splitlines()
    assert lines[0].startswith("on ") and lines[0].endswith("input (1, 3, 192, 256) uint8, memory order N H W C")
    assert lines[1] == "pass 1: band by band of rows, two passes:"
    assert lines[2].startswith("    resample W 256 -> 512, 4 taps") and lines[3].startswith("    resample H")
    assert not CliRunner().invoke(main, ["resize", str(PHOTO), str(out), "--scale", "2"]).stderr


def test_explain_prints_the_plan_of_a_premultiplied_resize(tmp_path):
    # RGBA runs its plan band by band (colours times alpha, in float32): the plan is printed once.
    out = tmp_path / "o.png"
    result = CliRunner().invoke(main, ["resize", str(LOGO), str(out), "--scale", "2", "--mode", "bicubic",
                                       "--explain"])
    assert result.exit_code == 0 and out.exists()
    lines = result.stderr.splitlines()
    assert lines[0].startswith("on ") and " float32, memory order " in lines[0]
    assert sum(line.startswith("on ") for line in lines) == 1


# --- usage found before any work ---------------------------------------------------------


@pytest.mark.parametrize("mode", ["area", "bilinear", "nearest"])
def test_an_empty_output_is_bad_usage_in_every_mode(tmp_path, mode):
    result = run("resize", PHOTO, tmp_path / "out.png", "--scale", "0.001", "--mode", mode)
    assert result.exit_code == 2, result.stderr
    assert result.stderr.count("\n") == 1 and "error: " in result.stderr
    assert os.listdir(tmp_path) == []


def test_area_to_an_empty_output_names_the_size(tmp_path):
    result = run("resize", PHOTO, tmp_path / "out.png", "--scale", "0.001", "--mode", "area")
    assert result.stderr == f"error: {PHOTO}: --scale 0.001: the output would be 0x0, an empty image; " \
        "give a larger scale\n"


@pytest.mark.parametrize("shape, hint", [((3, 4, 5, 6), "e.g. CZYX or TZYX"), ((2, 3, 4, 5, 6), "e.g. TCZYX"),
                                         ((2, 2, 3, 4, 5, 6), "e.g. QTCZYX")])
def test_an_array_of_unknown_axes_is_bad_usage_with_a_hint_of_its_rank(tmp_path, shape, hint):
    src = tmp_path / "v.npy"
    np.save(src, np.zeros(shape, np.float32))
    result = run("resize", src, tmp_path / "out.npy", "--scale", "2")
    assert result.exit_code == 2
    assert result.stderr == (f"error: {src}: cannot tell the axes of a {len(shape)}-D array {shape}; name them "
                             f"with --axes, one letter per axis ({hint})\n")
    assert len(hint.split()[-1]) == len(shape)
    assert run("resize", src, tmp_path / "out.npy", "--scale", "2", "--axes", hint.split()[-1]).exit_code == 0


def test_output_in_a_missing_folder_is_refused_before_reading(tmp_path, monkeypatch):
    from upsample_cli import io

    def read(*args, **kwargs):
        raise AssertionError("read before the output was checked")

    monkeypatch.setattr(io, "read", read)
    out = tmp_path / "missing" / "out.png"
    result = run("resize", PHOTO, out, "--scale", "2")
    assert result.exit_code == 1
    assert result.stderr == f"error: {out}: folder {out.parent} does not exist\n"


@pytest.mark.parametrize("out, given, warned", [
    ("out.png", ["--quality", "80"], ["--quality applies to JPEG and WEBP output only; ignored for PNG"]),
    ("out.jpg", ["--png-level", "9", "--compression", "lzma"],
     ["--compression applies to TIFF output only; ignored for JPEG",
      "--png-level applies to PNG output only; ignored for JPEG"]),
    ("out.webp", ["--quality", "80"], []),
    ("out.tif", ["--compression", "none"], []),
])
def test_format_options_that_do_not_apply_are_warned_about(tmp_path, out, given, warned):
    result = run("resize", PHOTO, tmp_path / out, "--scale", "0.5", *given)
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines() == [f"warning: {w}" for w in warned]


# --- standard input and output -----------------------------------------------------------


def run_piped(*args, stdin=b""):
    return subprocess.run([sys.executable, "-m", "upsample_cli", *map(str, args)], input=stdin, capture_output=True)


def test_standard_input_to_standard_output():
    proc = run_piped("resize", "-", "-", "--scale", "2", "--format", "npy", stdin=PHOTO.read_bytes())
    assert proc.returncode == 0, proc.stderr
    import io as bytes_io

    got = np.load(bytes_io.BytesIO(proc.stdout))
    src = pixels(PHOTO)
    assert got.shape == (2 * src.shape[0], 2 * src.shape[1], src.shape[2]) and got.dtype == src.dtype


def test_standard_input_is_sniffed_and_limited_from_the_header(tmp_path):
    out = tmp_path / "out.tif"
    proc = run_piped("resize", "-", out, "--scale", "2", stdin=STACK.read_bytes())
    assert proc.returncode == 0, proc.stderr
    assert tifffile.imread(out).shape[-1] == 2 * tifffile.imread(STACK).shape[-1]
    proc = run_piped("resize", "-", out, "--scale", "2", "--max-input-pixels", "10", stdin=PHOTO.read_bytes())
    assert proc.returncode == 1
    assert proc.stderr.decode().startswith("error: -: ") and "more than the limit of 10" in proc.stderr.decode()
    assert proc.stderr.count(b"\n") == 1


@pytest.mark.parametrize("stdin, message", [(b"", "file is empty"), (b"not an image at all", "not a recognised image")])
def test_bad_standard_input_is_one_line_naming_it(tmp_path, stdin, message):
    proc = run_piped("resize", "-", tmp_path / "out.png", "--scale", "2", stdin=stdin)
    assert proc.returncode == 1 and proc.stderr.decode().startswith(f"error: -: {message}")
    assert proc.stderr.count(b"\n") == 1 and os.listdir(tmp_path) == []


def test_standard_output_needs_a_format():
    proc = run_piped("resize", PHOTO, "-", "--scale", "2")
    assert proc.returncode == 2 and proc.stdout == b""
    assert proc.stderr.decode().startswith("error: OUT '-' writes standard output; give its format with --format")


def test_standard_output_is_written_as_its_format_says():
    proc = run_piped("resize", PHOTO, "-", "--scale", "0.5", "--format", "jpg")
    assert proc.returncode == 0 and proc.stdout[:3] == b"\xff\xd8\xff"


def test_format_with_a_file_output_must_be_its_extension(tmp_path):
    result = run("resize", PHOTO, tmp_path / "out.png", "--scale", "2", "--format", "jpg")
    assert result.exit_code == 2 and "--format is for OUT '-'" in result.stderr


def test_info_reads_standard_input():
    proc = run_piped("info", "-", stdin=PHOTO.read_bytes())
    assert proc.returncode == 0 and proc.stdout.decode().splitlines()[:2] == ["file:    -", "format:  PNG"]


# --- info: the metadata a resize keeps ---------------------------------------------------


@pytest.fixture
def tagged(tmp_path):
    """The same picture as PNG, JPEG and WebP with an ICC profile, EXIF, DPI and text."""
    from PIL import PngImagePlugin

    im = Image.fromarray(pixels(PHOTO)[:40, :30])
    icc, exif = b"\0" * 200, Image.Exif()
    exif[0x010E] = "described"
    text = PngImagePlugin.PngInfo()
    text.add_text("Title", "plain")
    text.add_text("Packed", "zipped", zip=True)
    text.add_itxt("Intl", "ünï")
    im.save(tmp_path / "t.png", pnginfo=text, icc_profile=icc, dpi=(300, 300), exif=exif)
    im.save(tmp_path / "t.jpg", icc_profile=icc, dpi=(300, 300), exif=exif, comment=b"a comment")
    im.save(tmp_path / "t.webp", icc_profile=icc, exif=exif, lossless=True)
    return tmp_path


@pytest.mark.parametrize("name, expected", [
    ("t.png", ["ICC profile: 200 bytes", "text 'Title': plain", "text 'Packed': zipped", "text 'Intl': ünï"]),
    ("t.jpg", ["resolution: 300 x 300 pixels per inch (scaled with the resize)", "ICC profile: 200 bytes",
               "text 'comment': a comment"]),
    ("t.webp", ["ICC profile: 200 bytes"]),
])
def test_info_lists_the_metadata_resize_keeps(tagged, name, expected):
    from upsample_cli import io

    result = run("info", tagged / name)
    assert result.exit_code == 0, result.stderr
    kept = result.stdout.split("metadata kept:")[1].splitlines()
    assert kept[0] == "" and [line for line in kept if "EXIF" in line]
    assert all(f"  {line}" in kept for line in expected), kept
    header, image = io.probe(tagged / name), io.read(tagged / name)
    assert header.metadata.describe() == image.metadata.describe()


def test_overwrite_input_through_a_link_replaces_its_target_and_keeps_the_link(tmp_path):
    target = tmp_path / "real.png"
    shutil.copy(PHOTO, target)
    link = tmp_path / "link.png"
    link.symlink_to(target)
    result = run("resize", link, link, "--scale", "2", "--overwrite-input")
    assert result.exit_code == 0, result.stderr
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert Image.open(target).size == tuple(2 * n for n in Image.open(PHOTO).size)
    assert sorted(os.listdir(tmp_path)) == ["link.png", "real.png"]


def test_an_output_that_is_a_link_is_written_through(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "out.png").symlink_to(elsewhere / "out.png")
    result = run("resize", PHOTO, tmp_path / "out.png", "--scale", "2")
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "out.png").is_symlink() and Image.open(elsewhere / "out.png").size[0] == 2 * Image.open(PHOTO).size[0]


def test_help_names_installable_cuda_and_the_link_rule():
    text = " ".join(run("resize", "--help").stdout.split()).replace("- ", "-")  # (Click wraps after hyphens)
    assert "pip install numba-cuda" in text and "through a symbolic link, its target is replaced and the link kept" in text
