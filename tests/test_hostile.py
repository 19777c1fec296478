"""Corrupt and hostile files: damaged PNG data, pixel limits from the header, files that are not files.

Each case checks what a user sees: the exit status, one line on stderr naming the file, and no
output (or temporary file) left behind.
"""

import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from upsample_cli import io
from upsample_cli.cli import main
from upsample_cli.image import UpsampleError

SAMPLES = Path(__file__).resolve().parent.parent / "sample_data"
PHOTO = SAMPLES / "photo.png"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def _chunks(data: bytes):
    """(offset, kind, length) of each chunk of a PNG."""
    pos, out = 8, []
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        out.append((pos, kind, length))
        pos += 12 + length
    return out


def _fix_crcs(data: bytes) -> bytes:
    data = bytearray(data)
    for pos, kind, length in _chunks(bytes(data)):
        struct.pack_into(">I", data, pos + 8 + length, zlib.crc32(data[pos + 4 : pos + 8 + length]))
    return bytes(data)


def _flipped_idat(fix_crc: bool) -> bytes:
    data = bytearray(PHOTO.read_bytes())
    pos, kind, length = next(c for c in _chunks(bytes(data)) if c[1] == b"IDAT")
    data[pos + 8 + length // 2] ^= 0xFF
    return _fix_crcs(bytes(data)) if fix_crc else bytes(data)


def _assert_one_line_error(result, src, text):
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(f"error: {src}: ") and result.stderr.count("\n") == 1, result.stderr
    assert text in result.stderr
    assert "Traceback" not in result.output


# --- 1: a flipped byte in a PNG's image data ---------------------------------------------------


def test_pillow_itself_refuses_the_damaged_png(tmp_path):
    src = tmp_path / "flip.png"
    src.write_bytes(_flipped_idat(fix_crc=True))
    with pytest.raises(OSError), Image.open(src) as im:
        im.load()


@pytest.mark.parametrize("fix_crc, text", [(False, "bad checksum in IDAT"), (True, "cannot read image data")])
def test_a_flipped_byte_in_png_data_is_an_error(tmp_path, fix_crc, text):
    src = tmp_path / "flip.png"
    src.write_bytes(_flipped_idat(fix_crc))
    for out in ("out.png", "out.tif"):
        result = run("resize", src, tmp_path / out, "--scale", "2")
        _assert_one_line_error(result, src, text)
    assert sorted(os.listdir(tmp_path)) == ["flip.png"]


def test_a_bad_checksum_in_png_data_is_found_even_where_zlib_inflates_it(tmp_path):
    # Stored (uncompressed) deflate blocks: the flipped byte changes one pixel, nothing else
    # would notice; the IDAT checksum does, as libpng's does.
    a = np.arange(64 * 48, dtype=np.uint8).reshape(48, 64)
    Image.fromarray(a).save(tmp_path / "raw.png", compress_level=0)
    data = bytearray((tmp_path / "raw.png").read_bytes())
    pos, _, length = next(c for c in _chunks(bytes(data)) if c[1] == b"IDAT")
    data[pos + 8 + length // 2] ^= 0x01
    src = tmp_path / "flip.png"
    src.write_bytes(bytes(data))
    _assert_one_line_error(run("resize", src, tmp_path / "out.png", "--scale", "2"), src, "bad checksum in IDAT")


def test_batch_counts_the_damaged_png_failed(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "good.png").write_bytes(PHOTO.read_bytes())
    (src / "flip.png").write_bytes(_flipped_idat(fix_crc=True))
    result = run("batch", src, tmp_path / "dst", "--scale", "2")
    assert result.exit_code == 1
    assert "done        1" in result.stderr and "failed      1" in result.stderr
    assert sorted(p.name for p in (tmp_path / "dst").iterdir()) == ["good.png"]


def test_an_exif_chunk_after_the_data_still_orients_the_image(tmp_path):
    """The orientation comes from the chunk list, not from decoding (as Pillow's getexif would)."""
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(np.zeros((10, 30), np.uint8)).save(tmp_path / "o.png", exif=exif.tobytes())
    data = (tmp_path / "o.png").read_bytes()
    chunks = _chunks(data)
    pieces = {kind: data[pos : pos + 12 + length] for pos, kind, length in chunks}
    moved = data[:8] + b"".join(data[p : p + 12 + n] for p, k, n in chunks if k not in (b"eXIf", b"IEND"))
    src = tmp_path / "late.png"
    src.write_bytes(moved + pieces[b"eXIf"] + pieces[b"IEND"])
    with Image.open(src) as im:
        assert im.getexif().get(0x0112) == 6  # (Pillow finds it only by decoding)
    assert io.probe(src).shape == (30, 10)
    assert io.read(src).array.shape == (30, 10)
