"""Malformed and hostile files, made here: each gives one clean line, the right exit code, and no output.

Every case runs ``upsample resize`` through Click's runner and checks: exit status 1, one line
on stderr naming the input, no traceback, and the folder holding exactly what it held before
(no output, no temporary file). Cases whose header is already wrong are also run through
``upsample info``. A few run in a real process, where library warnings would show.
"""

import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
import tifffile
from click.testing import CliRunner
from PIL import Image

from upsample_cli.cli import main

SAMPLES = Path(__file__).resolve().parent.parent / "sample_data"
PHOTO = SAMPLES / "photo.png"


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png_with_header(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\0" * 64)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b"")


def _patch_tiff_tags(data: bytes, values: dict) -> bytes:
    """Set tags of the first IFD of a little-endian classic TIFF to LONG ``values``."""
    data = bytearray(data)
    assert data[:4] == b"II*\x00"
    ifd = struct.unpack_from("<I", data, 4)[0]
    count = struct.unpack_from("<H", data, ifd)[0]
    for i in range(count):
        entry = ifd + 2 + 12 * i
        tag = struct.unpack_from("<H", data, entry)[0]
        if tag in values:
            struct.pack_into("<HHII", data, entry, tag, 4, 1, values[tag])
    return bytes(data)


def _uncompressed_tiff(tmp, shape=(64, 64)) -> bytes:
    path = tmp / "plain.tif"
    tifffile.imwrite(path, np.arange(np.prod(shape), dtype=np.uint16).reshape(shape))
    data = path.read_bytes()
    path.unlink()
    return data


def _npy_header(shape, dtype) -> bytes:
    import io

    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)),
                                               "fortran_order": False, "shape": shape})
    return buf.getvalue()


def _photo_bytes(fmt: str, **options) -> bytes:
    import io

    buf = io.BytesIO()
    with Image.open(PHOTO) as im:
        im.save(buf, format=fmt, **options)
    return buf.getvalue()


def truncated_png(tmp):
    return "cut.png", PHOTO.read_bytes()[:5000]


def truncated_jpeg(tmp):
    return "cut.jpg", _photo_bytes("JPEG", quality=90)[:3000]


def truncated_webp(tmp):
    return "cut.webp", _photo_bytes("WEBP", lossless=True)[:2000]


def truncated_bmp(tmp):
    return "cut.bmp", _photo_bytes("BMP")[:20000]


def _png16(width, height, rows=None, crc_ok=True):
    body = zlib.compress(rows if rows is not None else b"\0" * (height * (1 + 6 * width)))
    ihdr = _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 16, 2, 0, 0, 0))
    idat = _png_chunk(b"IDAT", body)
    if not crc_ok:
        idat = idat[:-4] + bytes(4)
    return b"\x89PNG\r\n\x1a\n" + ihdr + idat + _png_chunk(b"IEND", b"")


def truncated_png16(tmp):
    return "cut16.png", _png16(40, 30)[:-40]


def png16_bad_checksum(tmp):
    return "crc16.png", _png16(40, 30, crc_ok=False)


def png16_short_data(tmp):
    return "short16.png", _png16(40, 30, rows=b"\0" * 100)


def png16_bad_filter(tmp):
    return "filter16.png", _png16(4, 3, rows=b"\x07" + b"\0" * (3 * 25 - 1))


def png16_huge_header(tmp):
    return "huge16.png", _png16(2**31 - 1, 2**31 - 1, rows=b"")


def png16_zero_size(tmp):
    return "zero16.png", _png16(0, 3, rows=b"")


def text_named_png(tmp):
    return "notes.png", b"not an image\n"


def random_bytes(tmp):
    return "noise.jpg", np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes()


def empty_file(tmp):
    return "empty.png", b""


def zero_width_png(tmp):
    return "zero.png", _png_with_header(0, 5)


def zero_size_npy(tmp):
    return "zero.npy", _npy_header((0, 5), np.uint8)


def huge_png_header(tmp):
    return "huge.png", _png_with_header(2**31, 2**31)


def huge_but_legal_png_header(tmp):
    return "big.png", _png_with_header(2**31 - 1, 2**31 - 1)


def huge_tiff_header(tmp):
    return "huge.tif", _patch_tiff_tags(_uncompressed_tiff(tmp), {256: 2**31, 257: 2**31})


def huge_npy_header(tmp):
    return "huge.npy", _npy_header((2**31, 2**31), np.uint8)


def tiff_offsets_past_end(tmp):
    data = _uncompressed_tiff(tmp)
    return "past.tif", _patch_tiff_tags(data, {273: len(data) + 1000})  # StripOffsets


def truncated_tiff_data(tmp):
    data = _uncompressed_tiff(tmp)
    return "cut.tif", data[: len(data) - 3000]


def truncated_tiff_header(tmp):
    return "head.tif", _uncompressed_tiff(tmp)[:12]


def tiff_magic_only(tmp):
    return "magic.tif", b"II*\x00" + b"\xff" * 4


def mismatched_pages(tmp):
    path = tmp / "pages.tif"
    first = Image.fromarray(np.zeros((4, 5), np.uint8))
    first.save(path, save_all=True, append_images=[Image.fromarray(np.zeros((6, 5), np.uint8))] * 2)
    data = path.read_bytes()
    path.unlink()
    return "pages.tif", data


def object_npy(tmp):
    import io

    buf = io.BytesIO()
    np.save(buf, np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    return "objects.npy", buf.getvalue()


def complex_npy(tmp):
    import io

    buf = io.BytesIO()
    np.save(buf, np.zeros((4, 4), np.complex64))
    return "complex.npy", buf.getvalue()


def truncated_npy(tmp):
    import io

    buf = io.BytesIO()
    np.save(buf, np.zeros((64, 64), np.uint8))
    return "cut.npy", buf.getvalue()[:1000]


def bad_npy_header(tmp):
    return "bad.npy", b"\x93NUMPY\x01\x00\x10\x00{'descr': nonsense"


def one_d_npy(tmp):
    import io

    buf = io.BytesIO()
    np.save(buf, np.zeros(16, np.float32))
    return "line.npy", buf.getvalue()


# (maker, text in the message, whether the header alone shows it: then `info` fails too)
MATRIX = [
    (truncated_png, "cannot read image data", False),
    (truncated_jpeg, "cannot read image data", False),
    (truncated_webp, "", False),
    (truncated_bmp, "cannot read image data", False),
    (truncated_png16, "truncated PNG", False),
    (png16_bad_checksum, "bad checksum in IDAT", False),
    (png16_short_data, "truncated PNG", False),
    (png16_bad_filter, "row filter", False),
    (png16_huge_header, "more than the limit", False),
    (png16_zero_size, "no pixels (0x3)", True),
    (text_named_png, "not a recognised image", True),
    (random_bytes, "not a recognised image", True),
    (empty_file, "file is empty", True),
    (zero_width_png, "no pixels (0x5)", True),
    (zero_size_npy, "no pixels", True),
    (huge_png_header, "", False),
    (huge_but_legal_png_header, "more than the limit", False),
    (huge_tiff_header, "", False),
    (huge_npy_header, "more than the limit", False),
    (tiff_offsets_past_end, "past the end", False),
    (truncated_tiff_data, "past the end", False),
    (truncated_tiff_header, "not a readable TIFF", True),
    (tiff_magic_only, "TIFF", True),
    (mismatched_pages, "pages do not match", True),
    (object_npy, "objects", True),
    (complex_npy, "complex64", True),
    (truncated_npy, "truncated", False),
    (bad_npy_header, "not a readable .npy", True),
    (one_d_npy, "not an image", True),
]


def _make(tmp_path, maker):
    name, data = maker(tmp_path)
    src = tmp_path / name
    src.write_bytes(data)
    return src


def _assert_clean(result, src, code, text):
    assert result.exit_code == code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    err = result.stderr
    assert err.startswith(f"error: {src}: ") and err.count("\n") == 1, err
    assert text in err
    assert "Traceback" not in result.output
    assert result.stdout == ""


@pytest.mark.parametrize("maker, text, in_header", MATRIX, ids=[m[0].__name__ for m in MATRIX])
def test_resize_refuses_cleanly(tmp_path, maker, text, in_header):
    src = _make(tmp_path, maker)
    before = sorted(os.listdir(tmp_path))
    for out in ("out.png", "out.tif", "out.npy"):
        result = CliRunner().invoke(main, ["resize", str(src), str(tmp_path / out), "--scale", "2"])
        _assert_clean(result, src, 1, text)
        assert sorted(os.listdir(tmp_path)) == before  # no output, no temporary file


@pytest.mark.parametrize(
    "maker, text, in_header", [m for m in MATRIX if m[2]], ids=[m[0].__name__ for m in MATRIX if m[2]]
)
def test_info_refuses_cleanly(tmp_path, maker, text, in_header):
    src = _make(tmp_path, maker)
    result = CliRunner().invoke(main, ["info", str(src)])
    _assert_clean(result, src, 1, text)


def test_an_existing_output_survives_a_malformed_input(tmp_path):
    src = _make(tmp_path, truncated_png)
    out = tmp_path / "out.png"
    out.write_bytes(b"previous")
    result = CliRunner().invoke(main, ["resize", str(src), str(out), "--scale", "2"])
    assert result.exit_code == 1
    assert out.read_bytes() == b"previous"


def test_input_limit_is_configurable(tmp_path):
    out = tmp_path / "out.png"
    result = CliRunner().invoke(main, ["resize", str(PHOTO), str(out), "--scale", "2", "--max-input-pixels", "1000"])
    _assert_clean(result, PHOTO, 1, "more than the limit of 1,000")
    assert not out.exists()
    result = CliRunner().invoke(main, ["resize", str(PHOTO), str(out), "--scale", "0.5", "--max-input-pixels", "0"])
    assert result.exit_code == 0 and out.exists()


def test_output_limit_is_checked_before_resizing(tmp_path):
    out = tmp_path / "out.png"
    result = CliRunner().invoke(main, ["resize", str(PHOTO), str(out), "--scale", "100000"])
    assert result.exit_code == 2
    assert "--max-output-pixels" in result.stderr and result.stderr.count("\n") == 1
    result = CliRunner().invoke(main, ["resize", str(PHOTO), str(out), "--scale", "2", "--max-output-pixels", "10k"])
    assert result.exit_code == 2 and "more than the limit of 10,000" in result.stderr
    assert not out.exists()


@pytest.mark.parametrize("maker", [huge_png_header, tiff_offsets_past_end, object_npy, truncated_jpeg])
def test_real_process_prints_one_line(tmp_path, maker):
    src = _make(tmp_path, maker)
    before = sorted(os.listdir(tmp_path))
    proc = subprocess.run(
        [sys.executable, "-m", "upsample_cli", "resize", str(src), str(tmp_path / "out.tif"), "--scale", "2"],
        capture_output=True, text=True,
    )
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.startswith(f"error: {src}: ") and proc.stderr.count("\n") == 1, proc.stderr
    assert sorted(os.listdir(tmp_path)) == before
