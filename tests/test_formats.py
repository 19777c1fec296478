"""Reading and writing every format, pixel type and layout, and the metadata a resize keeps.

These go through ``upsample_cli.io`` and ``upsample_cli.resize`` directly; test_cli.py covers
the same paths through the command line.
"""

import struct
import zlib

import numpy as np
import pytest
import tifffile
from PIL import Image as PILImage
from PIL import ImageCms, PngImagePlugin

from upsample_cli import interpolate, io
from upsample_cli.image import Image, Metadata, SettingsError
from upsample_cli.pipeline import Settings, plan, resize_image
from upsample_cli.sizes import Scale, Size

RNG = np.random.default_rng(7)
ICC = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def image(array, axes, **kw):
    return Image.of(np.asarray(array), axes, "NPY", **kw)


def roundtrip(tmp_path, img, name, **options):
    path = tmp_path / name
    io.write(path, img, io.WriteOptions(**options))
    return io.read(path)


def u8(*shape):
    return RNG.integers(0, 256, shape, dtype=np.uint8)


# --- lossless round trips --------------------------------------------------------------

LOSSLESS = [
    ("png", u8(12, 10), "YX", "L"),
    ("png", u8(12, 10, 2), "YXS", "LA"),
    ("png", u8(12, 10, 3), "YXS", "RGB"),
    ("png", u8(12, 10, 4), "YXS", "RGBA"),
    ("png", RNG.integers(0, 65536, (12, 10), dtype=np.uint16), "YX", "I;16"),
    ("bmp", u8(12, 10), "YX", "L"),
    ("bmp", u8(12, 10, 3), "YXS", "RGB"),
    ("webp", u8(12, 10, 3), "YXS", "RGB"),
    ("webp", u8(12, 10, 4), "YXS", "RGBA"),
]


@pytest.mark.parametrize("ext, data, axes, mode", LOSSLESS, ids=[f"{c[0]}-{c[3]}" for c in LOSSLESS])
def test_pillow_formats_round_trip(tmp_path, ext, data, axes, mode):
    alpha = data.shape[-1] - 1 if mode in ("LA", "RGBA") else None
    back = roundtrip(tmp_path, image(data, axes, mode=mode, alpha=alpha), f"x.{ext}")
    assert back.format == ext.upper() and back.axes == axes and back.dtype == data.dtype
    np.testing.assert_array_equal(back.array, data)
    assert back.alpha == alpha


def test_webp_gray_comes_back_as_rgb(tmp_path):
    data = u8(12, 10, 2)
    back = roundtrip(tmp_path, image(data, "YXS", mode="LA", alpha=1), "x.webp")
    assert back.mode == "RGBA"
    np.testing.assert_array_equal(back.array[..., 0], data[..., 0])
    np.testing.assert_array_equal(back.array[..., 3], data[..., 1])


@pytest.mark.parametrize("quality", [None, 60])
def test_jpeg_quality(tmp_path, quality):
    data = np.asarray(PILImage.open("sample_data/photo.png"))
    back = roundtrip(tmp_path, image(data, "YXS", mode="RGB"), "x.jpg", quality=quality)
    assert back.shape == data.shape and back.dtype == np.uint8
    error = np.abs(back.array.astype(int) - data).mean()
    assert error < (3 if quality is None else 8)
    size = (tmp_path / "x.jpg").stat().st_size
    if quality == 60:
        io.write(tmp_path / "best.jpg", image(data, "YXS", mode="RGB"))
        assert size < (tmp_path / "best.jpg").stat().st_size


def test_webp_quality_is_lossy(tmp_path):
    data = np.asarray(PILImage.open("sample_data/photo.png"))
    lossless = roundtrip(tmp_path, image(data, "YXS", mode="RGB"), "a.webp")
    lossy = roundtrip(tmp_path, image(data, "YXS", mode="RGB"), "b.webp", quality=50)
    np.testing.assert_array_equal(lossless.array, data)
    assert not np.array_equal(lossy.array, data)


def test_cmyk_jpeg(tmp_path):
    src = tmp_path / "c.jpg"
    PILImage.fromarray(u8(16, 20, 3)).convert("CMYK").save(src, quality=95)
    im = io.read(src)
    assert im.mode == "CMYK" and im.shape == (16, 20, 4)
    out = resize_image(im, Settings(Scale((2.0,))))
    for name in ("out.jpg", "out.tif"):
        io.write(tmp_path / name, out)
        back = io.read(tmp_path / name)
        assert back.mode == "CMYK" and back.shape == (32, 40, 4)
    io.write(tmp_path / "out.png", out)  # no CMYK in PNG: converted to RGB
    assert io.read(tmp_path / "out.png").mode == "RGB"


TIFF_TYPES = [np.uint8, np.uint16, np.uint32, np.int8, np.int16, np.int32, np.float16, np.float32, np.float64]


@pytest.mark.parametrize("dtype", TIFF_TYPES, ids=[np.dtype(t).name for t in TIFF_TYPES])
@pytest.mark.parametrize("compression", ["deflate", "lzma", "none"])
def test_tiff_round_trip(tmp_path, dtype, compression):
    data = (RNG.normal(0, 1, (3, 12, 10)) * (100 if np.dtype(dtype).kind in "iu" else 1)).astype(dtype)
    if np.dtype(dtype).kind == "u":
        data = np.abs(data)
    back = roundtrip(tmp_path, image(data, "ZYX"), "x.tif", compression=compression)
    assert back.axes == "ZYX" and back.dtype == dtype
    np.testing.assert_array_equal(back.array, data)
    with tifffile.TiffFile(tmp_path / "x.tif") as tif:
        expected = {"deflate": "ADOBE_DEFLATE", "lzma": "LZMA", "none": "NONE"}[compression]
        assert tif.pages[0].compression.name == expected


@pytest.mark.parametrize(
    "shape, axes",
    [((12, 10, 3), "YXS"), ((12, 10, 4), "YXS"), ((4, 12, 10, 3), "ZYXS"), ((2, 3, 4, 12, 10), "TZCYX"),
     ((3, 12, 10), "CYX"), ((12, 10, 5), "YXC")],
)
def test_tiff_keeps_axes(tmp_path, shape, axes):
    data = RNG.integers(0, 256, shape, dtype=np.uint8)
    back = roundtrip(tmp_path, image(data, axes), "x.tif")
    assert back.axes == axes
    np.testing.assert_array_equal(back.array, data)


@pytest.mark.parametrize("dtype", [np.bool_, np.uint8, np.int16, np.uint32, np.int64, np.float16, np.float64])
def test_npy_round_trip(tmp_path, dtype):
    data = (RNG.normal(0, 50, (4, 6, 5)) > 0) if dtype == np.bool_ else RNG.normal(0, 50, (4, 6, 5)).astype(dtype)
    back = roundtrip(tmp_path, image(data, "ZYX"), "x.npy")
    assert back.dtype == dtype and back.format == "NPY"
    np.testing.assert_array_equal(back.array, data)


def test_npy_big_endian_and_fortran_order(tmp_path):
    data = RNG.random((6, 5)).astype(">f8")
    np.save(tmp_path / "be.npy", data)
    np.save(tmp_path / "f.npy", np.asfortranarray(data.astype(np.float32)))
    be, f = io.read(tmp_path / "be.npy"), io.read(tmp_path / "f.npy")
    assert be.dtype == np.float64 and be.dtype.isnative
    np.testing.assert_array_equal(be.array, data)
    np.testing.assert_array_equal(f.array, data.astype(np.float32))


@pytest.mark.parametrize(
    "shape, axes",
    [((6, 5), "YX"), ((6, 5, 3), "YXC"), ((6, 5, 4), "YXC"), ((7, 6, 5), "ZYX"), ((7, 6, 5, 2), "ZYXC")],
)
def test_npy_default_axes(tmp_path, shape, axes):
    np.save(tmp_path / "a.npy", np.zeros(shape, np.float32))
    assert io.probe(tmp_path / "a.npy").axes == axes


def test_npy_axes_must_be_given_when_ambiguous(tmp_path):
    np.save(tmp_path / "a.npy", np.zeros((2, 3, 6, 5), np.float32))
    with pytest.raises(SettingsError, match="--axes, one letter per axis \\(e.g. CZYX or TZYX\\)"):
        io.read(tmp_path / "a.npy")
    im = io.read(tmp_path / "a.npy", axes="tcyx")
    assert im.axes == "TCYX"
    with pytest.raises(SettingsError, match="3 axes but the array has 4"):
        io.read(tmp_path / "a.npy", axes="ZYX")


def test_probe_reads_no_pixels(tmp_path):
    im = io.probe("sample_data/stack.tif")
    assert im.array is None and im.shape == (24, 64, 64) and im.axes == "ZYX"
    im = io.probe("sample_data/photo.png")
    assert im.array is None and im.shape == (192, 256, 3) and im.mode == "RGB"


# --- pixel types through the resize ----------------------------------------------------


@pytest.mark.parametrize("dtype, work", [(np.int8, np.float32), (np.int16, np.float32), (np.int32, np.float64),
                                         (np.uint32, np.float64), (np.int64, np.float64)])
def test_wide_and_signed_integers_round_and_clamp(dtype, work):
    info = np.iinfo(dtype)
    data = RNG.choice([info.min, info.max, 0, -1 if info.min < 0 else 1], size=(9, 11)).astype(dtype)
    out = resize_image(image(data, "YX"), Settings(Scale((2.3,)), mode="bicubic")).array
    assert out.dtype == dtype
    want = interpolate(data.astype(work)[None, None], scale_factor=2.3, mode="bicubic")[0, 0].astype(np.float64)
    high = float(info.max) if dtype != np.int64 else float(np.nextafter(float(info.max), 0))
    want = np.clip(np.floor(want + 0.5), float(info.min), high)
    np.testing.assert_array_equal(out, want.astype(dtype))


def test_int32_nearest_is_exact():
    data = RNG.integers(-2**31, 2**31 - 1, (5, 6), dtype=np.int32)
    out = resize_image(image(data, "YX"), Settings(Scale((2.0,)), mode="nearest")).array
    np.testing.assert_array_equal(out, data.repeat(2, 0).repeat(2, 1))


def test_bool_masks_stay_bool():
    mask = np.zeros((8, 8), bool)
    mask[2:6, 3:5] = True
    out = resize_image(image(mask, "YX"), Settings(Scale((2.0,)), mode="nearest")).array
    assert out.dtype == np.bool_
    np.testing.assert_array_equal(out, mask.repeat(2, 0).repeat(2, 1))


# --- alpha -----------------------------------------------------------------------------


def test_alpha_premultiplied_keeps_edge_colour():
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[:, :2] = (255, 0, 0, 255)  # opaque red on the left, transparent black on the right
    im = image(rgba, "YXS", mode="RGBA", alpha=3)
    out = resize_image(im, Settings(Size((2, 4)), mode="area")).array
    assert (out[:, 0] == (255, 0, 0, 255)).all()
    straight = resize_image(im, Settings(Size((3, 4)), mode="bilinear", premultiply_alpha=False)).array
    premultiplied = resize_image(im, Settings(Size((3, 4)), mode="bilinear")).array
    middle = 1
    assert 0 < premultiplied[0, middle, 3] < 255
    assert premultiplied[0, middle, 0] == 255  # no dark fringe
    assert straight[0, middle, 0] < 255  # torch's way: red fades towards the black behind


def test_alpha_premultiplied_in_bands_over_threads():
    # Large enough for many bands shared out over threads: the same as one float64 pass.
    import upsample_cli.kernels.cpu  # noqa: F401 (loaded: the bands are shared out)

    rng = np.random.default_rng(5)
    rgba = rng.integers(0, 256, (300, 260, 4), dtype=np.uint8)
    rgba[:40, :, 3] = 0
    out = resize_image(image(rgba, "YXS", mode="RGBA", alpha=3), Settings(Scale((2.0,)), mode="bilinear")).array
    a = rgba.astype(np.float64)
    a[..., :3] *= a[..., 3:] / 255
    want = interpolate(a.transpose(2, 0, 1)[None], scale_factor=2, mode="bilinear")[0].transpose(1, 2, 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        want[..., :3] = np.where(want[..., 3:] > 0, want[..., :3] * 255 / want[..., 3:], 0)
    want = np.clip(np.floor(want + 0.5), 0, 255)
    assert out.shape == (600, 520, 4) and np.abs(out - want).max() <= 1
    assert (out[:78, :, :3] == 0).all()  # transparent rows: colour 0


def test_alpha_premultiplied_uint16_and_float():
    for dtype, opaque in ((np.uint16, 65535), (np.float32, 1.0)):
        rgba = np.zeros((4, 4, 4), dtype)
        rgba[:, :2] = (opaque, 0, 0, opaque)
        out = resize_image(image(rgba, "YXS", alpha=3), Settings(Size((3, 4)), mode="bilinear")).array
        assert out.dtype == dtype
        assert out[0, 1, 0] == pytest.approx(opaque, rel=1e-6)


def test_premultiplied_tiff_is_straightened_for_png(tmp_path):
    straight = np.array([[[200, 100, 50, 128]]], np.uint8).repeat(4, 0).repeat(4, 1)
    premultiplied = straight.copy()
    premultiplied[..., :3] = np.floor(straight[..., :3] * (128 / 255) + 0.5)
    tifffile.imwrite(tmp_path / "a.tif", premultiplied, photometric="rgb", extrasamples=["assocalpha"])
    im = io.read(tmp_path / "a.tif")
    assert im.alpha == 3 and im.premultiplied
    io.write(tmp_path / "a.png", im)
    back = io.read(tmp_path / "a.png")
    assert np.abs(back.array.astype(int) - straight).max() <= 1
    io.write(tmp_path / "b.tif", resize_image(im, Settings(Scale((2.0,)))))
    with tifffile.TiffFile(tmp_path / "b.tif") as tif:
        assert tif.pages[0].extrasamples == (1,)  # still associated alpha


# --- palettes --------------------------------------------------------------------------


def _palette_png(path, transparent=True):
    pil = PILImage.fromarray(u8(10, 12, 3)).quantize(8)
    pil.save(path, **({"transparency": 0} if transparent else {}))
    with PILImage.open(path) as im:
        return np.asarray(im), np.asarray(im.convert("RGBA"))


def test_palette_kept_with_nearest(tmp_path):
    indices, rgba = _palette_png(tmp_path / "p.png")
    im = io.read(tmp_path / "p.png")
    assert im.axes == "YX" and im.palette is not None and im.palette.shape[1] == 4
    out = resize_image(im, Settings(Scale((2.0,)), mode="nearest"))
    io.write(tmp_path / "o.png", out)
    with PILImage.open(tmp_path / "o.png") as back:
        assert back.mode == "P"
        np.testing.assert_array_equal(np.asarray(back), indices.repeat(2, 0).repeat(2, 1))
        np.testing.assert_array_equal(np.asarray(back.convert("RGBA")), rgba.repeat(2, 0).repeat(2, 1))


def test_palette_expanded_when_interpolating(tmp_path):
    _, rgba = _palette_png(tmp_path / "p.png")
    out = resize_image(io.read(tmp_path / "p.png"), Settings(Scale((2.0,)), mode="bilinear"))
    assert out.mode == "RGBA" and out.axes == "YXS" and out.alpha == 3 and out.palette is None


@pytest.mark.parametrize("ext", ["tif", "jpg", "webp"])
def test_palette_written_where_palettes_cannot_go(tmp_path, ext):
    _, rgba = _palette_png(tmp_path / "p.png", transparent=ext != "jpg")
    io.write(tmp_path / f"o.{ext}", io.read(tmp_path / "p.png"))
    back = io.read(tmp_path / f"o.{ext}")
    if ext == "jpg":
        assert back.mode == "RGB"
    elif ext == "webp":
        np.testing.assert_array_equal(back.array, rgba)
    else:  # a TIFF palette cannot be transparent: RGBA
        assert back.mode == "RGBA"
        np.testing.assert_array_equal(back.array, rgba)


# --- metadata --------------------------------------------------------------------------


def _png_with_metadata(path, size=(30, 20)):
    pil = PILImage.fromarray(u8(size[1], size[0], 3))
    info = PngImagePlugin.PngInfo()
    info.add_text("Title", "a title")
    info.add(b"gAMA", struct.pack(">I", 45455))
    exif = pil.getexif()
    exif[0x010F] = "Maker"
    exif[0x011A] = 300.0
    exif[0x011B] = 300.0
    exif.get_ifd(0x8769)[0xA002] = size[0]
    exif.get_ifd(0x8769)[0xA003] = size[1]
    pil.save(path, dpi=(300, 300), icc_profile=ICC, pnginfo=info, exif=exif)


def test_png_metadata_kept_and_scaled(tmp_path):
    _png_with_metadata(tmp_path / "m.png")
    im = io.read(tmp_path / "m.png")
    out = resize_image(im, Settings(Scale((2.0,))))
    io.write(tmp_path / "o.png", out)
    with PILImage.open(tmp_path / "o.png") as back:
        assert back.size == (60, 40)
        assert back.info["dpi"] == pytest.approx((600, 600), abs=0.01)
        assert back.info["icc_profile"] == ICC
        assert back.text["Title"] == "a title"
        assert back.info["gamma"] == pytest.approx(0.45455)
        exif = back.getexif()
        assert exif[0x010F] == "Maker" and float(exif[0x011A]) == pytest.approx(600, abs=0.01)
        assert exif.get_ifd(0x8769)[0xA002] == 60 and exif.get_ifd(0x8769)[0xA003] == 40


def test_jpeg_and_tiff_keep_dpi_and_icc(tmp_path):
    _png_with_metadata(tmp_path / "m.png")
    out = resize_image(io.read(tmp_path / "m.png"), Settings(Scale((0.5,)), mode="area"))
    io.write(tmp_path / "o.jpg", out)
    io.write(tmp_path / "o.tif", out)
    with PILImage.open(tmp_path / "o.jpg") as back:
        assert back.info["dpi"] == (150, 150) and back.info["icc_profile"] == ICC
        assert back.getexif()[0x010F] == "Maker"
    with tifffile.TiffFile(tmp_path / "o.tif") as tif:
        page = tif.pages[0]
        assert page.resolution == pytest.approx((150, 150), abs=0.01) and page.resolutionunit == 2
        assert bytes(page.tags.valueof(34675)) == ICC


def test_exif_orientation_is_applied_and_removed(tmp_path):
    pil = PILImage.fromarray(u8(20, 30, 3))
    exif = pil.getexif()
    exif[0x0112] = 8
    pil.save(tmp_path / "r.jpg", exif=exif.tobytes(), quality=95)
    im = io.read(tmp_path / "r.jpg")
    assert im.shape == (30, 20, 3) and io.probe(tmp_path / "r.jpg").shape == (30, 20, 3)
    io.write(tmp_path / "o.jpg", im)
    with PILImage.open(tmp_path / "o.jpg") as back:
        assert back.size == (20, 30) and 0x0112 not in back.getexif()


def test_tiff_resolution_in_centimetres(tmp_path):
    tifffile.imwrite(tmp_path / "a.tif", u8(10, 12), resolution=(40.0, 20.0), resolutionunit="CENTIMETER")
    out = resize_image(io.read(tmp_path / "a.tif"), Settings(Scale((3.0, 2.0))))
    io.write(tmp_path / "b.tif", out)
    io.write(tmp_path / "b.png", out)
    with tifffile.TiffFile(tmp_path / "b.tif") as tif:
        assert tif.pages[0].resolution == pytest.approx((120.0, 40.0)) and tif.pages[0].resolutionunit == 3
    with PILImage.open(tmp_path / "b.png") as png:
        assert png.info["dpi"] == pytest.approx((120 * 2.54, 40 * 2.54), abs=0.01)


def test_imagej_hyperstack_metadata(tmp_path):
    data = RNG.integers(0, 4000, (2, 6, 2, 20, 24), dtype=np.uint16)
    tifffile.imwrite(
        tmp_path / "ij.tif", data, imagej=True, resolution=(2.5, 2.5),
        metadata={"axes": "TZCYX", "spacing": 0.7, "unit": "micron", "finterval": 2.0},
    )
    im = io.read(tmp_path / "ij.tif")
    assert im.flavour == "imagej" and im.axes == "TZCYX"
    out = resize_image(im, Settings(Scale((2.0, 2.0, 0.5)), mode="trilinear"))
    assert out.shape == (2, 3, 2, 40, 48)
    io.write(tmp_path / "o.tif", out)
    with tifffile.TiffFile(tmp_path / "o.tif") as tif:
        assert tif.is_imagej and tif.series[0].axes == "TZCYX" and tif.series[0].shape == (2, 3, 2, 40, 48)
        meta = tif.imagej_metadata
        assert meta["spacing"] == pytest.approx(1.4) and meta["unit"] == "micron" and meta["finterval"] == 2.0
        assert tif.pages[0].resolution == pytest.approx((5.0, 5.0))
    # time and channels are not resized; each (T, C) volume is resized on its own
    vol = data[1, :, 0].astype(np.uint16)
    want = interpolate(vol[None, None], scale_factor=(0.5, 2.0, 2.0), mode="trilinear")[0, 0]
    np.testing.assert_array_equal(io.read(tmp_path / "o.tif").array[1, :, 0], want)


def test_ome_metadata(tmp_path):
    data = RNG.integers(0, 4000, (6, 2, 20, 24), dtype=np.uint16)
    tifffile.imwrite(
        tmp_path / "a.ome.tif", data, ome=True,
        metadata={"axes": "ZCYX", "PhysicalSizeX": 0.5, "PhysicalSizeXUnit": "µm", "PhysicalSizeY": 0.5,
                  "PhysicalSizeYUnit": "µm", "PhysicalSizeZ": 2.0, "PhysicalSizeZUnit": "µm",
                  "Channel": {"Name": ["dapi", "gfp"]}, "Name": "cells"},
    )
    im = io.read(tmp_path / "a.ome.tif")
    assert im.flavour == "ome" and im.axes == "ZCYX"
    assert im.metadata.spacing == {"X": (0.5, "µm"), "Y": (0.5, "µm"), "Z": (2.0, "µm")}
    out = resize_image(im, Settings(Size((12, None, None)), mode="area"))
    assert out.shape == (3, 2, 10, 12)
    io.write(tmp_path / "o.ome.tif", out)
    back = io.read(tmp_path / "o.ome.tif")
    assert back.flavour == "ome" and back.axes == "ZCYX"
    assert back.metadata.spacing == {"X": (1.0, "µm"), "Y": (1.0, "µm"), "Z": (4.0, "µm")}
    assert back.metadata.ome["Channel"] == {"Name": ["dapi", "gfp"]} and back.metadata.ome["Name"] == "cells"


def test_plain_stack_spacing_survives_as_shaped_metadata(tmp_path):
    meta = Metadata(spacing={"Z": (3.0, "um")})
    io.write(tmp_path / "a.tif", image(u8(4, 6, 5), "ZYX", metadata=meta))
    out = resize_image(io.read(tmp_path / "a.tif"), Settings(Scale((1.0, 1.0, 2.0)), mode="nearest"))
    assert out.metadata.spacing == {"Z": (1.5, "um")}


def test_metadata_scale_follows_the_coordinate_mapping():
    meta = Metadata(resolution=(10.0, 10.0), resolution_unit="inch")
    im = image(np.zeros((10, 100), np.float32), "YX", metadata=meta)
    _, _, by_scale = plan(im, Settings(Scale((0.3,)), mode="bilinear"))
    assert by_scale.shape == (3, 30) and by_scale.scales == {"Y": 0.3, "X": 0.3}
    _, _, by_size = plan(im, Settings(Size((30, 3)), mode="bilinear"))
    assert by_size.scales == {"Y": 0.3, "X": 0.3}
    _, _, corners = plan(im, Settings(Size((199, 19)), mode="bilinear", align_corners=True))
    assert corners.scales == {"Y": 2.0, "X": 2.0}
    _, _, area = plan(im, Settings(Scale((0.3,)), mode="area"))
    assert area.scales == {"Y": 0.3, "X": 0.3}


def test_axes_override_for_tiff(tmp_path):
    data = u8(5, 8, 9)
    tifffile.imwrite(tmp_path / "a.tif", data, metadata={"axes": "ZYX"})
    as_time = io.read(tmp_path / "a.tif", axes="TYX")
    assert as_time.axes == "TYX" and not as_time.is_stack
    out = resize_image(as_time, Settings(Scale((2.0,)), mode="bilinear"))
    assert out.shape == (5, 16, 18)
    with pytest.raises(ValueError, match="trilinear"):
        resize_image(as_time, Settings(Scale((2.0,)), mode="trilinear"))
    with pytest.raises(SettingsError, match="Y"):
        io.read(tmp_path / "a.tif", axes="ZCX")


# --- 16-bit colour PNG (our codec; Pillow reads these as 8-bit) -------------------------

_ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))


def _png_chunk(kind, body):
    import zlib

    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _filtered_rows(a, kind):
    """The PNG rows of ``a`` (H, W, C uint16) under one filter, written from the specification."""
    h, w, c = a.shape
    bpp = 2 * c
    rows = a.astype(">u2").view(np.uint8).reshape(h, w * bpp).astype(np.int32)
    out, previous = [], np.zeros(w * bpp, np.int32)
    for row in rows:
        left = np.concatenate([np.zeros(bpp, np.int32), row[:-bpp]])
        upper_left = np.concatenate([np.zeros(bpp, np.int32), previous[:-bpp]])
        if kind == 0:
            f = row
        elif kind == 1:
            f = row - left
        elif kind == 2:
            f = row - previous
        elif kind == 3:
            f = row - (left + previous) // 2
        else:
            p = left + previous - upper_left
            pa, pb, pc = np.abs(p - left), np.abs(p - previous), np.abs(p - upper_left)
            f = row - np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, previous, upper_left))
        out.append(bytes([kind]) + (f & 255).astype(np.uint8).tobytes())
        previous = row
    return b"".join(out)


def _png16_file(a, kind, interlaced=False):
    import zlib

    h, w, c = a.shape
    if interlaced:
        raw = b"".join(_filtered_rows(a[y0::dy, x0::dx], kind) for x0, y0, dx, dy in _ADAM7 if x0 < w and y0 < h)
    else:
        raw = _filtered_rows(a, kind)
    ihdr = struct.pack(">IIBBBBB", w, h, 16, {2: 4, 3: 2, 4: 6}[c], 0, 0, int(interlaced))
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", zlib.compress(raw))
            + _png_chunk(b"IEND", b""))


def _pillow_8_bit(path, channels):
    """What Pillow makes of a 16-bit colour PNG: the high bytes (gray+alpha as RGBA)."""
    with PILImage.open(path) as im:
        a = np.asarray(im)
    return a[..., [0, 3]] if channels == 2 else a


@pytest.mark.parametrize("channels", [2, 3, 4])
@pytest.mark.parametrize("kind", [0, 1, 2, 3, 4])
@pytest.mark.parametrize("interlaced", [False, True], ids=["plain", "adam7"])
def test_png16_reads_every_filter(tmp_path, channels, kind, interlaced):
    a = RNG.integers(0, 65536, (13, 11, channels), dtype=np.uint16)
    path = tmp_path / "a.png"
    path.write_bytes(_png16_file(a, kind, interlaced))
    # The file is valid: Pillow decodes its high bytes.
    np.testing.assert_array_equal(_pillow_8_bit(path, channels), (a >> 8).astype(np.uint8))
    im = io.read(path)
    assert im.dtype == np.uint16 and im.axes == "YXS" and im.mode == {2: "LA", 3: "RGB", 4: "RGBA"}[channels]
    np.testing.assert_array_equal(im.array, a)


@pytest.mark.parametrize("channels", [2, 3, 4])
def test_png16_writes_what_pillow_reads(tmp_path, channels):
    a = RNG.integers(0, 65536, (17, 23, channels), dtype=np.uint16)
    a[:, :5] = 1000  # flat areas, where Sub and Up filters win
    alpha = channels - 1 if channels in (2, 4) else None
    meta = Metadata(icc_profile=ICC, resolution=(300.0, 300.0), resolution_unit="inch", text={"Title": "x"})
    io.write(tmp_path / "a.png", image(a, "YXS", alpha=alpha, metadata=meta))
    np.testing.assert_array_equal(_pillow_8_bit(tmp_path / "a.png", channels), (a >> 8).astype(np.uint8))
    with PILImage.open(tmp_path / "a.png") as im:
        assert im.info["icc_profile"] == ICC and im.info["dpi"] == pytest.approx((300, 300), abs=0.01)
    back = io.read(tmp_path / "a.png")
    np.testing.assert_array_equal(back.array, a)
    assert back.metadata.icc_profile == ICC and back.metadata.text == {"Title": "x"}


def test_png16_colour_key_becomes_alpha(tmp_path):
    a = RNG.integers(0, 65536, (4, 5, 3), dtype=np.uint16)
    a[0, 0] = (1, 2, 3)
    data = _png16_file(a, 0)
    iend = data.rindex(b"IEND") - 4
    data = data[:iend] + _png_chunk(b"tRNS", struct.pack(">HHH", 1, 2, 3)) + data[iend:]
    (tmp_path / "k.png").write_bytes(data)
    im = io.read(tmp_path / "k.png")
    assert im.shape == (4, 5, 4) and im.alpha == 3
    assert im.array[0, 0, 3] == 0 and (im.array[..., 3].ravel()[1:] == 65535).all()


def test_png16_resize_keeps_16_bits(tmp_path):
    a = (np.linspace(0, 65535, 16 * 16 * 3).reshape(16, 16, 3)).astype(np.uint16)
    path = tmp_path / "a.png"
    path.write_bytes(_png16_file(a, 4))
    out = resize_image(io.read(path), Settings(Scale((2.0,)), mode="bicubic"))
    io.write(tmp_path / "o.png", out)
    back = io.read(tmp_path / "o.png")
    assert back.dtype == np.uint16 and back.shape == (32, 32, 3)
    np.testing.assert_array_equal(back.array, interpolate(a.transpose(2, 0, 1)[None], scale_factor=2.0,
                                                          mode="bicubic")[0].transpose(1, 2, 0))
    with pytest.raises(io.UpsampleError, match="JPEG cannot store 3-channel uint16"):
        io.write(tmp_path / "o.jpg", back)


@pytest.mark.parametrize("dtype, channels", [(np.uint8, 1), (np.uint8, 2), (np.uint8, 3), (np.uint8, 4),
                                             (np.uint16, 3), (np.uint16, 4)])
def test_png_written_in_bands_on_threads_is_one_valid_zlib_stream(tmp_path, monkeypatch, dtype, channels):
    # Bands of a few rows each (most of them compressed primed with the band before, one zlib
    # stream in the end): the IDAT data inflates with its checksum, Pillow and upsample read it back.
    from upsample_cli.formats import png16

    monkeypatch.setattr(png16, "BAND_BYTES", 700)
    rng = np.random.default_rng(channels)
    smooth = np.cumsum(rng.integers(0, 3, (37, 53, channels)), axis=1)
    data = (smooth * (257 if dtype == np.uint16 else 1) % np.iinfo(dtype).max).astype(dtype)
    axes = "YXS" if channels > 1 else "YX"
    path = tmp_path / "bands.png"
    io.write(path, Image(data if channels > 1 else data[..., 0], data.shape[:2] + ((channels,) if channels > 1 else ()),
                         data.dtype, axes, "PNG"))
    raw = path.read_bytes()
    chunks, at = [], 8
    while at < len(raw):
        (length,), kind = struct.unpack(">I", raw[at : at + 4]), raw[at + 4 : at + 8]
        chunks.append((kind, raw[at + 8 : at + 8 + length]))
        at += 12 + length
    stream = b"".join(body for kind, body in chunks if kind == b"IDAT")
    rows = zlib.decompress(stream)  # (checks the Adler-32 of the whole)
    assert len(rows) == 37 * (1 + 53 * channels * data.itemsize)
    assert sum(kind == b"IDAT" for kind, _ in chunks) > 3
    back = io.read(path).array
    np.testing.assert_array_equal(back.reshape(data.shape), data)
    if dtype == np.uint8:
        with PILImage.open(path) as im:
            np.testing.assert_array_equal(np.asarray(im).reshape(data.shape), data)


@pytest.mark.parametrize("name, mode, options", [
    ("rgb.png", "RGB", {}), ("interlaced.png", "RGB", {"interlace": 1}), ("rgb.jpg", "RGB", {"quality": 90}),
    ("progressive.jpg", "RGB", {"progressive": True}), ("rgb.bmp", "RGB", {}), ("gray.png", "L", {}),
    ("gray.jpg", "L", {}), ("rgba.png", "RGBA", {}), ("cmyk.jpg", "CMYK", {}), ("gray.bmp", "L", {}),
])
def test_pixels_decoded_into_our_own_array_are_pillows(tmp_path, monkeypatch, name, mode, options):
    from upsample_cli.formats import pillow

    monkeypatch.setattr(pillow, "_PACK_BYTES", 4 * 37 * 5)  # RGB packed in bands of 5 rows
    a = np.random.default_rng(5).integers(0, 256, (23, 37, 4), dtype=np.uint8)
    PILImage.fromarray(a, "RGBA").convert(mode).save(tmp_path / name, **options)
    with PILImage.open(tmp_path / name) as im:
        want = np.asarray(im)
    got = io.read(tmp_path / name).array
    assert got.dtype == want.dtype and got.shape == want.shape and got.flags.c_contiguous
    np.testing.assert_array_equal(got, want)
