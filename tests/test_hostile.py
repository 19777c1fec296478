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
import tifffile
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


# --- 2: the input-pixel limit, from the header, before decoding ---------------------------------


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png_bomb(path, width, height):
    """A gray PNG of zeros: a few hundred KB that inflate to width * height bytes."""
    c = zlib.compressobj(9)
    row = b"\0" * (width + 1)
    body = b"".join(c.compress(row) for _ in range(height)) + c.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", body)
                     + _png_chunk(b"IEND", b""))
    return path


def _small(tmp_path, name):
    rng = np.random.default_rng(1)
    rgb = rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)
    path = tmp_path / name
    if name.endswith(".npy"):
        np.save(path, rgb)
    elif name.endswith(".tif"):
        import tifffile

        tifffile.imwrite(path, rgb)
    elif name == "palette.png" or name.endswith(".gif"):
        Image.fromarray(rgb).quantize(40).save(path)
    elif name == "deep.png":
        io.write(path, io.Image.of(rgb.astype(np.uint16) * 257, "YXS", "PNG"))
    else:
        Image.fromarray(rgb).save(path)
    return path


@pytest.fixture
def pillow_decodes(monkeypatch):
    """A list that records every image Pillow decodes."""
    from PIL import ImageFile

    decoded = []
    original = ImageFile.ImageFile.load

    def load(self):
        decoded.append(self.format)
        return original(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    return decoded


@pytest.mark.parametrize(
    "name", ["rgb.png", "palette.png", "deep.png", "anim.gif", "rgb.jpg", "rgb.bmp", "rgb.webp", "rgb.tif", "rgb.npy"]
)
def test_every_format_refuses_from_its_header(tmp_path, name, pillow_decodes):
    src = _small(tmp_path, name)
    with pytest.raises(UpsampleError, match="more than the limit of 1,000"):
        io.read(src, max_pixels=1000)
    assert pillow_decodes == []
    assert io.read(src, max_pixels=64 * 48).shape[:2] == (48, 64)


def test_a_huge_gif_is_refused_before_its_palette_is_read(tmp_path, pillow_decodes):
    data = bytearray((_small(tmp_path, "x.gif")).read_bytes())
    struct.pack_into("<HH", data, 6, 65535, 65535)  # logical screen
    struct.pack_into("<HH", data, data.index(b",") + 5, 65535, 65535)  # first image
    src = tmp_path / "huge.gif"
    src.write_bytes(bytes(data))
    for command in (["resize", src, tmp_path / "out.png", "--scale", "0.5"], ["info", src]):
        result = run(*command)
        if command[0] == "resize":
            _assert_one_line_error(result, src, "65535x65535 P uint8 image has 4,294,836,225 pixels")
    assert pillow_decodes == []


def test_a_png_bomb_costs_neither_time_nor_memory(tmp_path):
    """20000 x 20000 pixels in 400 KB: refused from its header by resize, described by info,
    each in a process of well under the 400 MB a decode would take."""
    src = _png_bomb(tmp_path / "bomb.png", 20000, 20000)
    script = (
        "import resource, subprocess, sys\n"
        "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "print(p.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, repr(p.stderr + p.stdout))\n"
    )
    for command, code in ((["resize", str(src), str(tmp_path / "o.png"), "--scale", "0.1"], 1), (["info", str(src)], 0)):
        out = subprocess.run([sys.executable, "-c", script, sys.executable, "-m", "upsample_cli", *command],
                             capture_output=True, text=True, check=True).stdout
        rc, peak_kb, text = out.split(" ", 2)
        assert int(rc) == code, text
        assert int(peak_kb) < 200_000, (command, peak_kb)
        assert ("more than the limit" in text) == (code == 1)


def test_a_sixteen_bit_png_never_inflates_a_huge_text_or_icc_chunk(tmp_path):
    rows = b"".join(b"\0" + bytes(6 * 8) for _ in range(4))
    ihdr = struct.pack(">IIBBBBB", 8, 4, 16, 2, 0, 0, 0)
    bomb = zlib.compress(bytes(64 << 20), 9)  # 64 MB of zeros in 64 KB
    extra = _png_chunk(b"zTXt", b"big\0\0" + bomb) + _png_chunk(b"iCCP", b"icc\0\0" + bomb)
    extra += _png_chunk(b"zTXt", b"small\0\0" + zlib.compress(b"kept"))
    src = tmp_path / "deep.png"
    src.write_bytes(b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + extra
                    + _png_chunk(b"IDAT", zlib.compress(rows)) + _png_chunk(b"IEND", b""))
    image = io.read(src)
    assert image.shape == (4, 8, 3)
    assert image.metadata.text == {"small": "kept"} and image.metadata.icc_profile is None


# --- 3: files that are not regular files -------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_fifo_is_refused_at_once_not_waited_on(tmp_path):
    fifo = tmp_path / "x.png"
    os.mkfifo(fifo)
    for command in (["resize", str(fifo), str(tmp_path / "o.png"), "--scale", "2"], ["info", str(fifo)]):
        proc = subprocess.run([sys.executable, "-m", "upsample_cli", *command], capture_output=True, text=True,
                              timeout=25)
        assert proc.returncode == 1
        assert proc.stderr == f"error: {fifo}: is a named pipe (FIFO), not a file; give a regular file\n"
    assert sorted(os.listdir(tmp_path)) == ["x.png"]


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
@pytest.mark.parametrize("command", ["resize", "info"])
def test_a_device_is_refused(tmp_path, command):
    args = [command, "/dev/zero"] + ([tmp_path / "o.png", "--scale", "2"] if command == "resize" else [])
    _assert_one_line_error(run(*args), "/dev/zero", "is a character device, not a file")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_batch_fails_a_fifo_and_does_the_rest(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "good.png").write_bytes(PHOTO.read_bytes())
    os.mkfifo(src / "pipe.png")
    proc = subprocess.run([sys.executable, "-m", "upsample_cli", "batch", str(src), str(tmp_path / "dst"),
                           "--scale", "2"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1, proc.stderr
    assert "named pipe" in proc.stderr
    assert sorted(p.name for p in (tmp_path / "dst").iterdir()) == ["good.png"]


def test_a_dash_without_standard_input_support_says_so(tmp_path):
    with pytest.raises(UpsampleError, match="standard input"):
        io.read("-")


# --- 7: CMYK written as RGB where the format has no CMYK; 1-bit TIFF stays 1-bit -----------------


def _cmyk_profile() -> bytes:
    """A small but real ICC v2 CMYK input profile (a 2-point lut8 to Lab), as LittleCMS reads it."""
    import itertools

    def desc(text):
        t = text.encode() + b"\0"
        return b"desc" + bytes(4) + struct.pack(">I", len(t)) + t + bytes(78)

    def xyz(*values):
        return b"XYZ " + bytes(4) + b"".join(struct.pack(">i", int(round(v * 65536))) for v in values)

    lut = b"mft1" + bytes(4) + bytes([4, 3, 2, 0])
    lut += b"".join(struct.pack(">i", 65536 if i == j else 0) for i in range(3) for j in range(3))
    lut += bytes(range(256)) * 4
    for c, m, y, k in itertools.product((0, 1), repeat=4):
        lut += bytes([int(255 * (1 - k) * (1 - 0.25 * (c + m + y))), 128 + 40 * (m - c), 128 + 40 * (y - m)])
    lut += bytes(range(256)) * 3
    tags = [(b"desc", desc("test CMYK")), (b"wtpt", xyz(0.9642, 1.0, 0.8249)), (b"A2B0", lut)]
    offset = 128 + 4 + 12 * len(tags)
    table, data = struct.pack(">I", len(tags)), b""
    for sig, body in tags:
        body += bytes(-len(body) % 4)
        table += sig + struct.pack(">II", offset + len(data), len(body))
        data += body
    header = struct.pack(">I4sI4s4s4s", offset + len(data), b"none", 0x02100000, b"prtr", b"CMYK", b"Lab ")
    header += bytes(12) + b"acsp" + bytes(32) + struct.pack(">iii", 63190, 65536, 54061)
    return header + bytes(128 - len(header)) + table + data


@pytest.mark.parametrize("with_profile", [True, False])
@pytest.mark.parametrize("ext", [".png", ".webp", ".bmp"])
def test_a_cmyk_jpeg_is_written_as_rgb(tmp_path, ext, with_profile, caplog):
    from io import BytesIO

    from PIL import ImageCms

    src = tmp_path / "cmyk.jpg"
    profile = _cmyk_profile() if with_profile else None
    with Image.open(PHOTO) as im:
        im.convert("CMYK").save(src, quality=95, **({"icc_profile": profile} if profile else {}))
    out = tmp_path / f"out{ext}"
    result = run("resize", src, out, "--scale", "1")
    assert result.exit_code == 0, result.output
    how = "through its ICC profile to sRGB" if with_profile else "without a colour profile"
    assert caplog.messages == [f"note: {out}: CMYK converted to RGB {how}"]
    with Image.open(src) as im:
        if with_profile:
            srgb = ImageCms.createProfile("sRGB")
            expected = ImageCms.profileToProfile(im, ImageCms.ImageCmsProfile(BytesIO(profile)), srgb,
                                                 outputMode="RGB")
        else:
            expected = im.convert("RGB")
    with Image.open(out) as written:
        assert written.mode == "RGB" and "icc_profile" not in written.info
        assert np.array_equal(np.asarray(written), np.asarray(expected))


def test_a_cmyk_jpeg_stays_cmyk_as_jpeg_and_tiff(tmp_path):
    src = tmp_path / "cmyk.jpg"
    with Image.open(PHOTO) as im:
        im.convert("CMYK").save(src, quality=95)
    for ext in (".jpg", ".tif"):
        result = run("resize", src, tmp_path / f"out{ext}", "--scale", "2")
        assert result.exit_code == 0 and result.stderr == ""
    proc = subprocess.run([sys.executable, "-m", "upsample_cli", "resize", str(src), str(tmp_path / "o.png"),
                           "--scale", "2"], capture_output=True, text=True)
    assert proc.returncode == 0
    assert proc.stderr == f"note: {tmp_path / 'o.png'}: CMYK converted to RGB without a colour profile\n"
    for ext in (".jpg", ".tif"):
        with Image.open(tmp_path / f"out{ext}") as written:
            assert written.mode == "CMYK"


@pytest.mark.parametrize("mode, bits", [("nearest", 1), ("nearest-exact", 1), ("bilinear", 8)])
def test_a_one_bit_tiff_stays_one_bit_while_black_and_white(tmp_path, mode, bits):
    import tifffile

    a = np.random.default_rng(2).integers(0, 2, (30, 40)).astype(bool)
    tifffile.imwrite(tmp_path / "bw.tif", a)
    out = tmp_path / "out.tif"
    assert run("resize", tmp_path / "bw.tif", out, "--scale", "2", "--mode", mode).exit_code == 0
    with tifffile.TiffFile(out) as tif:
        assert tif.pages[0].bitspersample == bits
        data = tif.asarray()
    if bits == 1:
        assert np.array_equal(data, np.repeat(np.repeat(a, 2, 0), 2, 1))
    with Image.open(tmp_path / "bw.tif") as im, Image.open(out) as written:
        assert im.mode == "1" and written.mode == ("1" if bits == 1 else "L")


# --- 8: a full disk, and what a killed write left behind -----------------------------------------


def test_no_space_left_says_the_disk_is_full(tmp_path, monkeypatch):
    import errno

    from upsample_cli.formats import npy

    def full(tmp, image):
        with open(tmp, "wb") as f:
            f.write(b"x" * 100)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(npy, "write", full)
    out = tmp_path / "out.npy"
    result = run("resize", PHOTO, out, "--scale", "2")
    assert result.exit_code == 1
    assert result.stderr == f"error: {out}: the disk is full (no room left in {tmp_path}); nothing was written\n"
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("free, text", [(0, "the disk is full"), (10**12, "cannot write: only 802,528 of 3,145,728 bytes")])
def test_a_short_write_says_the_disk_is_full_when_it_is(tmp_path, monkeypatch, free, text):
    from upsample_cli.formats import tiff

    def short(tmp, image, compression):
        raise OSError("3145728 requested and 802528 written")  # NumPy's words for a short write

    class Full:
        f_bavail, f_frsize = free, 1

    monkeypatch.setattr(tiff, "write", short)
    monkeypatch.setattr(os, "statvfs", lambda folder: Full())
    out = tmp_path / "out.tif"
    result = run("resize", PHOTO, out, "--scale", "2")
    assert result.exit_code == 1 and result.stderr.startswith(f"error: {out}: {text}")
    assert "requested and" not in result.stderr


def _dead_pid() -> int:
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(proc.stdout)


def test_stale_temporaries_of_killed_writes_are_removed_by_the_next_write(tmp_path):
    host = io._host()
    old = os.path.getmtime(tmp_path) - 2 * io.STALE_AFTER_S
    dead, alive = _dead_pid(), os.getppid()
    names = {
        f".a.png.{dead}@{host}.abcd1234.part": False,  # owner gone: removed
        f".a.png.{alive}@{host}.abcd1234.part": True,  # owner still writing: kept
        f".a.png.{dead}@elsewhere.abcd1234.part": True,  # another machine's, recent: kept
        f".b.png.{dead}@elsewhere.abcd1234.part": False,  # another machine's, untouched for days: removed
        ".c.png.k3j_x9q2.part": True,  # the older naming, recent: kept
        ".d.png.k3j_x9q2.part": False,  # the older naming, untouched for days: removed
        ".notes.part": True,  # not ours
        "e.png.abcd1234.part": True,  # not hidden: not ours
    }
    for name in names:
        (tmp_path / name).write_bytes(b"partial")
    for name in (f".b.png.{dead}@elsewhere.abcd1234.part", ".d.png.k3j_x9q2.part", "e.png.abcd1234.part"):
        os.utime(tmp_path / name, (old, old))
    assert run("resize", PHOTO, tmp_path / "out.png", "--scale", "2").exit_code == 0
    kept = {name for name, keep in names.items() if keep}
    assert set(os.listdir(tmp_path)) == kept | {"out.png"}


def test_a_write_names_its_temporary_after_its_process(tmp_path):
    seen = []

    def writer(tmp):
        seen.append(os.path.basename(tmp))
        Path(tmp).write_bytes(b"data")

    io.atomic_write(str(tmp_path / "x.png"), writer)
    assert seen[0].startswith(f".x.png.{os.getpid()}@{io._host()}.") and seen[0].endswith(".part")
    assert io._TEMPORARY.match(seen[0])
    assert os.listdir(tmp_path) == ["x.png"]


# --- 16: what the fuzzer found (fuzz/fuzz_readers.py) -------------------------------------------

FINDINGS = sorted((Path(__file__).resolve().parent / "fuzz_findings").glob("*"))


@pytest.mark.parametrize("found", FINDINGS, ids=[p.name for p in FINDINGS])
def test_fuzz_findings_give_one_line_errors(tmp_path, found):
    src = tmp_path / found.name
    src.write_bytes(found.read_bytes())
    for call in (lambda: io.probe(src), lambda: io.read(src, max_pixels=1 << 22)):
        try:
            image = call()
        except UpsampleError as e:
            assert str(e).startswith(f"{src}: ") and "\n" not in str(e)
        else:
            assert image.array is None or image.array.shape == image.shape
    result = run("resize", src, tmp_path / "out.tif", "--scale", "2")
    assert result.exit_code in (0, 1) and "Traceback" not in result.output
    if result.exit_code:
        _assert_one_line_error(result, src, "")


def test_samples_count_against_the_input_limit_too():
    # A 465-byte TIFF of 384 x 128 pixels with 65283 samples each: 3.2 GB for 49,152 pixels.
    found = Path(__file__).resolve().parent / "fuzz_findings" / "tiff-65283-samples-per-pixel.tif"
    with pytest.raises(UpsampleError, match="3,208,790,016 samples, more than 4 per pixel of the limit"):
        io.read(found, max_pixels=1 << 22)


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads the peak memory from Linux's /proc")
def test_a_gif_frame_outside_its_canvas_is_refused_before_pillow_grows_the_canvas():
    # A 4 KB GIF whose frame reaches 92702 x 92499 on a 128 x 128 canvas: Pillow, opening it,
    # grows the canvas into gigabytes of memory before any limit is checked.
    found = Path(__file__).resolve().parent / "fuzz_findings" / "gif-frame-outside-canvas.gif"
    # The peak of this process's own memory (VmHWM: ru_maxrss would count the test runner's, as the
    # child was forked from it).
    code = (f"from upsample_cli import io\ntry:\n    io.probe({str(found)!r})\nexcept io.UpsampleError as e:\n"
            "    print(e)\nprint(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert "lies outside the 128x128 canvas" in out[0]
    assert int(out[1]) < 300 << 10  # KB


# --- 6: memory -----------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
def test_a_webp_is_read_without_copies_of_its_decoded_buffer(tmp_path, mode):
    rgba = np.random.default_rng(4).integers(0, 256, (37, 53, 4), dtype=np.uint8)
    src = tmp_path / "x.webp"
    Image.fromarray(rgba if mode == "RGBA" else rgba[:, :, :3]).save(src, lossless=True)
    image = io.read(src)
    with Image.open(src) as im:
        np.testing.assert_array_equal(image.array, np.asarray(im))
    owner = image.array
    while isinstance(owner.base, np.ndarray):
        owner = owner.base
    assert owner.nbytes == 37 * 53 * 4  # the decoder's RGBX/RGBA buffer itself, not a copy
    out = tmp_path / "o.png"
    assert run("resize", src, out, "--scale", "2").exit_code == 0
    with Image.open(out) as im:
        assert im.mode == mode and im.size == (106, 74)


def test_a_tiff_page_chain_is_walked_once_and_capped(tmp_path, monkeypatch):
    from upsample_cli.formats import tiff

    src = tmp_path / "pages.tif"
    with tifffile.TiffWriter(src) as writer:
        for size in (4, 5, 6):
            writer.write(np.zeros((size, size), np.uint8), metadata=None)
    monkeypatch.setattr(tiff, "MAX_PAGES", 2)
    with pytest.raises(UpsampleError, match=r"TIFF has more than 2 pages; a damaged page chain\?"):
        io.probe(src)
    monkeypatch.setattr(tiff, "MAX_PAGES", 3)
    with pytest.raises(UpsampleError, match="TIFF holds 3 images"):
        io.probe(src)
