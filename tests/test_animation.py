"""Animated PNG (APNG), GIF and WebP: every frame resized, timing and loop kept (docs/formats.md)."""

import struct
import warnings
import zlib

import numpy as np
import pytest
import tifffile
from click.testing import CliRunner
from PIL import Image, ImageSequence

from upsample_cli import io
from upsample_cli.cli import main
from upsample_cli.formats import pillow

FORMATS = {"png": "PNG", "gif": "GIF", "webp": "WEBP"}
DURATIONS = [100, 250, 40]


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def frames_of(seed=0, n=3, size=(12, 9), mode="RGBA"):
    rng = np.random.default_rng(seed)
    out = []
    if mode == "P":  # one palette for every frame, as an APNG holds
        palette = rng.integers(0, 256, 768, dtype=np.uint8).tobytes()
        for _ in range(n):
            frame = Image.fromarray(rng.integers(0, 256, (size[1], size[0]), dtype=np.uint8), "P")
            frame.putpalette(palette)
            out.append(frame)
        return out
    for _ in range(n):
        a = rng.integers(0, 256, (size[1], size[0], 4), dtype=np.uint8)
        a[..., 3] = np.where(a[..., 3] < 60, 0, 255)  # (GIF: a transparent index)
        out.append(Image.fromarray(a, "RGBA").convert(mode) if mode != "RGBA" else Image.fromarray(a, "RGBA"))
    return out


def animation(path, ext, loop, n=3, mode="RGBA", **options):
    frames = frames_of(n=n, mode=mode)
    if ext == "webp":
        options.setdefault("lossless", True)
    if loop is not None:
        options["loop"] = loop
    frames[0].save(path, format=FORMATS[ext], save_all=True, append_images=frames[1:], duration=DURATIONS[:n],
                   **options)
    return path


def shown(path):
    """The frames of an animation as a viewer shows them (Pillow's composition), in RGBA, and each
    frame's duration and the loop count."""
    with Image.open(path) as im:
        frames, durations = [], []
        for frame in ImageSequence.Iterator(im):
            frames.append(np.asarray(frame.convert("RGBA")))
            durations.append(frame.info.get("duration"))
        return np.stack(frames), durations, im.info.get("loop")


def still_resized(tmp_path, frame, args, name):
    """``frame`` (an RGBA array) resized alone as a still PNG, read back as RGBA."""
    src, out = tmp_path / f"{name}.png", tmp_path / f"{name}-out.png"
    Image.fromarray(frame, "RGBA").save(src)
    assert run("resize", src, out, *args).exit_code == 0
    with Image.open(out) as im:
        return np.array(im.convert("RGBA"))


@pytest.mark.parametrize("loop", [0, 3])
@pytest.mark.parametrize("ext", ["png", "gif", "webp"])
@pytest.mark.parametrize("out_ext", ["png", "webp"])
def test_every_frame_is_resized_with_its_timing(tmp_path, ext, out_ext, loop):
    src = animation(tmp_path / f"in.{ext}", ext, loop)
    out = tmp_path / f"out.{out_ext}"
    args = ["--size", "17x13", "--mode", "bicubic"]
    result = run("resize", src, out, *args)
    assert result.exit_code == 0, result.output
    expected_in, durations, _ = shown(src)
    got, out_durations, out_loop = shown(out)
    assert got.shape == (3, 13, 17, 4)
    assert out_durations == durations == DURATIONS
    assert out_loop == loop
    for i, frame in enumerate(expected_in):
        expected = still_resized(tmp_path, frame, args, f"frame{i}")
        if out_ext == "webp":  # (libwebp's animation encoder drops the colour of transparent pixels)
            got[i][got[i][..., 3] == 0], expected[expected[..., 3] == 0] = 0, 0
        assert np.array_equal(got[i], expected), i


def test_gif_partial_frames_are_composed_before_resizing(tmp_path):
    base = np.zeros((10, 14, 3), np.uint8)
    base[:, :, 0] = 200
    frames = [base.copy() for _ in range(4)]
    for i, frame in enumerate(frames[1:], 1):
        frame[2 + i : 4 + i, 3 * i : 3 * i + 3] = (0, 255, 40 * i)  # a small change: a partial frame
    src = tmp_path / "partial.gif"
    pil = [Image.fromarray(f) for f in frames]
    pil[0].save(src, save_all=True, append_images=pil[1:], duration=[50, 60, 70, 80], loop=0, disposal=1)
    with Image.open(src) as im:  # (the file holds partial frames indeed)
        im.seek(2)
        assert im.dispose_extent != (0, 0, 14, 10)
    image = io.read(src)
    assert image.axes == "TYXS" and image.shape == (4, 10, 14, 4)
    assert np.array_equal(image.array[..., :3], np.stack(frames))
    assert image.metadata.animation.durations == (50, 60, 70, 80)


def test_nearest_keeps_an_apng_palette(tmp_path):
    src = animation(tmp_path / "p.png", "png", 0, mode="P")
    with Image.open(src) as im:
        assert im.mode == "P" and im.n_frames == 3
    out = tmp_path / "out.png"
    assert run("resize", src, out, "--scale", "2", "--mode", "nearest").exit_code == 0
    with Image.open(out) as im:
        assert im.mode == "P" and im.n_frames == 3
    got, _, _ = shown(out)
    expected, _, _ = shown(src)
    assert np.array_equal(got, expected.repeat(2, axis=1).repeat(2, axis=2))


@pytest.mark.parametrize("convention, mode", [("pillow", "lanczos"), ("opencv", "area"), ("tf", "bilinear")])
def test_other_conventions_resize_each_frame(tmp_path, convention, mode):
    src = animation(tmp_path / "in.webp", "webp", 0)
    out = tmp_path / "out.png"
    args = ["--size", "7x5", "--convention", convention, "--mode", mode]
    assert run("resize", src, out, *args).exit_code == 0
    got, durations, _ = shown(out)
    assert durations == DURATIONS
    for i, frame in enumerate(shown(src)[0]):
        assert np.array_equal(got[i], still_resized(tmp_path, frame, args, f"f{i}"))


def test_a_gif_without_a_loop_count_plays_once(tmp_path):
    src = animation(tmp_path / "once.gif", "gif", None)
    with Image.open(src) as im:
        assert "loop" not in im.info
    result = run("info", src)
    assert result.exit_code == 0
    assert "animation: 3 frames, durations 100, 250, 40 ms, no loop count (plays once)" in result.output
    out = tmp_path / "once.png"
    assert run("resize", src, out, "--scale", "2").exit_code == 0
    assert shown(out)[2] == 1  # APNG: one play


def test_info_shows_frames_durations_and_loop(tmp_path):
    src = animation(tmp_path / "a.png", "png", 3)
    result = run("info", src)
    assert result.exit_code == 0, result.output
    assert "shape:   3 x 9 x 12 x 4" in result.output
    assert "axes:    TYXS (T time" in result.output
    assert "pixels:  324" in result.output  # every frame counts
    assert "animation: 3 frames, durations 100, 250, 40 ms, loop count 3" in result.output


def test_the_input_limit_counts_every_frame_before_decoding(tmp_path, monkeypatch):
    src = animation(tmp_path / "a.gif", "gif", 0)

    def decoded(*args):
        raise AssertionError("frames decoded")

    monkeypatch.setattr(pillow, "_frame_pixels", decoded)
    out = tmp_path / "out.png"
    result = run("resize", src, out, "--scale", "2", "--max-input-pixels", str(12 * 9 * 2))
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {src}: 12x9 RGBA uint8 animation of 3 frames has 324 pixels, more than the limit of 216 "
        "(a decompression bomb?); raise --max-input-pixels if the file is trusted\n")
    assert not out.exists()


@pytest.mark.parametrize("ext", ["jpg", "bmp"])
def test_a_still_format_refuses_an_animation_in_one_line(tmp_path, ext):
    src = animation(tmp_path / "a.webp", "webp", 0, mode="RGB")
    out = tmp_path / f"out.{ext}"
    result = run("resize", src, out, "--scale", "2")
    assert result.exit_code == 1
    name = {"jpg": "JPEG", "bmp": "BMP"}[ext]
    assert result.stderr == (
        f"error: {out}: {name} holds one image and this is an animation of 3 frames; write .png (APNG) or .webp "
        "to keep every frame, or .tif (one page per frame)\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.webp"]


def test_gif_output_is_refused_with_the_formats_that_keep_an_animation(tmp_path):
    src = animation(tmp_path / "a.gif", "gif", 0)
    result = run("resize", src, tmp_path / "out.gif", "--scale", "2")
    assert result.exit_code == 2
    assert "GIF (.gif) is not written; write .png (an APNG for an animation) or .webp instead" in result.stderr


def test_tiff_output_holds_one_page_per_frame(tmp_path):
    src = animation(tmp_path / "a.png", "png", 0)
    out = tmp_path / "out.tif"
    assert run("resize", src, out, "--scale", "2", "--mode", "nearest").exit_code == 0
    with tifffile.TiffFile(out) as tif:
        assert len(tif.pages) == 3 and tif.series[0].axes == "TYXS"
        got = tif.asarray()
    assert np.array_equal(got, shown(src)[0].repeat(2, axis=1).repeat(2, axis=2))


def test_batch_resizes_every_frame_of_each_file(tmp_path):
    src, dst = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    animation(src / "a.gif", "gif", 0)
    animation(src / "b.png", "png", 3, n=2)
    Image.fromarray(np.zeros((5, 6, 3), np.uint8)).save(src / "still.png")
    result = run("batch", src, dst, "--scale", "2", "--format", "png")
    assert result.exit_code == 0, result.output
    assert shown(dst / "a.png")[0].shape == (3, 18, 24, 4)
    assert shown(dst / "b.png")[0].shape == (2, 18, 24, 4) and shown(dst / "b.png")[1:] == ([100, 250], 3)
    with Image.open(dst / "still.png") as im:
        assert not getattr(im, "is_animated", False) and im.size == (12, 10)


def test_a_gif_frame_outside_its_canvas_is_refused_before_decoding(tmp_path):
    src = animation(tmp_path / "a.gif", "gif", 0)
    data = src.read_bytes()
    descriptor = b"," + struct.pack("<4H", 0, 0, 12, 9)
    second = data.index(descriptor, data.index(descriptor) + 1)
    src.write_bytes(data[:second] + b"," + struct.pack("<4H", 0, 0, 12, 4000) + data[second + 9 :])
    for command in (["info", src], ["resize", src, tmp_path / "o.png", "--scale", "2"]):
        result = run(*command)
        assert result.exit_code == 1
        assert result.stderr == f"error: {src}: frame 2 (12x4000 at 0,0) lies outside the 12x9 canvas: corrupt GIF\n"


def test_an_apng_with_fewer_frames_than_it_states_is_an_error(tmp_path):
    src = animation(tmp_path / "a.png", "png", 0)
    data = bytearray(src.read_bytes())
    at = data.index(b"acTL")
    data[at + 4 : at + 8] = struct.pack(">I", 5)
    data[at + 12 : at + 16] = struct.pack(">I", zlib.crc32(bytes(data[at : at + 12])))
    src.write_bytes(bytes(data))
    result = run("resize", src, tmp_path / "o.png", "--scale", "2")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {src}: cannot read image data (") and result.stderr.count("\n") == 1


def test_an_animated_sixteen_bit_colour_png_is_refused_not_cut_to_one_frame(tmp_path):
    from upsample_cli.formats import png16

    src = tmp_path / "deep.png"
    pixels = np.arange(5 * 6 * 3, dtype=np.uint16).reshape(5, 6, 3) * 500
    png16.write(src, io.Image.of(pixels, "YXS", "PNG", mode="RGB"), pixels)
    data = src.read_bytes()
    at = data.index(b"IDAT") - 4
    body = struct.pack(">II", 2, 0)

    control = struct.pack(">I", 8) + b"acTL" + body + struct.pack(">I", zlib.crc32(b"acTL" + body))
    assert io.read(src).shape == (5, 6, 3)  # (a 16-bit colour PNG, read by png16)
    src.write_bytes(data[:at] + control + data[at:])
    for command in (["info", src], ["resize", src, tmp_path / "o.png", "--scale", "2"]):
        result = run(*command)
        assert result.exit_code == 1
        assert result.stderr == (
            f"error: {src}: animated 16-bit colour PNG (2 frames) is not supported; only its still form is read\n")


def test_an_apng_whose_frame_count_is_zero_is_its_still_image_quietly(tmp_path):
    src = animation(tmp_path / "a.png", "png", 0)
    data = bytearray(src.read_bytes())
    at = data.index(b"acTL")
    data[at + 4 : at + 8] = struct.pack(">I", 0)  # (Pillow: invalid, the default image is read)
    data[at + 12 : at + 16] = struct.pack(">I", zlib.crc32(bytes(data[at : at + 12])))
    src.write_bytes(bytes(data))
    out = tmp_path / "o.png"
    with warnings.catch_warnings(record=True) as shown_warnings:
        warnings.simplefilter("always")
        result = run("resize", src, out, "--scale", "2")
    assert result.exit_code == 0 and result.stderr == ""
    assert [str(w.message) for w in shown_warnings] == []
    assert io.read(out).shape == (18, 24, 4)
