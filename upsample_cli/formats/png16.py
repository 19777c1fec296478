"""16-bit colour PNGs (gray + alpha, RGB, RGBA), which Pillow reads and writes only as 8-bit.

Reading follows the PNG specification: chunks with their CRCs, zlib, the five row filters,
Adam7 interlacing, a tRNS colour key (becomes alpha); it keeps the same metadata as the
Pillow reader (ICC profile, DPI, EXIF with its orientation applied, text, gAMA/sRGB/cHRM).
Writing (gray, gray and alpha, RGB and RGBA, 8 or 16 bits) filters rows by Up and compresses
bands of rows on several threads; palette and gray 16-bit PNGs stay with Pillow.
"""

from __future__ import annotations

import os
import struct
import zlib
from typing import Optional

import numpy as np

from ..defaults import PNG_LEVEL
from ..image import Image, Metadata, Refused, SettingsError, UpsampleError

SIGNATURE = b"\x89PNG\r\n\x1a\n"
_CHANNELS = {2: 3, 4: 2, 6: 4}  # colour type -> samples per pixel
_COLOUR_TYPE = {v: k for k, v in _CHANNELS.items()}
_MODES = {2: "LA", 3: "RGB", 4: "RGBA"}
# Adam7 passes: first column, first row, column step, row step.
_ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))
_ORIENTATION = 0x0112
# Largest ICC profile and text chunk inflated (as Pillow's limits: larger ones are dropped).
_MAX_ICC = 1 << 24
_MAX_TEXT = 1 << 20


def is_sixteen_bit_colour(head: bytes) -> bool:
    """Whether the first 26 bytes of a file start a 16-bit colour PNG."""
    if len(head) < 26 or head[:8] != SIGNATURE or head[12:16] != b"IHDR":
        return False
    return head[24] == 16 and head[25] in _CHANNELS


def read(path: str, *, axes: Optional[str] = None, before_load=None, load: bool = True) -> Image:
    if axes is not None:
        raise SettingsError(f"{path}: --axes applies to TIFF and .npy files only")
    try:
        with open(path, "rb") as f:
            data = f.read()
        chunks = _chunks(path, data)
        width, height, depth, colour, compression, filtering, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
        if chunks[0][0] != b"IHDR" or compression or filtering or interlace > 1:
            raise UpsampleError(path, "not a valid PNG header")
        if width < 1 or height < 1:
            raise UpsampleError(path, f"image has no pixels ({width}x{height})")
        control = _chunk(chunks, b"acTL")
        if control is not None and len(control) >= 8 and 1 < struct.unpack(">I", control[:4])[0] <= 1 << 31:
            raise UpsampleError(path, f"animated 16-bit colour PNG ({struct.unpack('>I', control[:4])[0]} frames) "
                                "is not supported; only its still form is read")
        channels = _CHANNELS[colour]
        key = _chunk(chunks, b"tRNS")
        if key is not None and colour == 2:
            channels = 4
        metadata = _metadata(chunks)
        orientation = exif_orientation(metadata.exif)
        shape = (width, height) if orientation in (5, 6, 7, 8) else (height, width)
        alpha = channels - 1 if channels in (2, 4) else None
        header = Image(None, shape + (channels,), np.dtype(np.uint16), "YXS", "PNG", mode=_MODES[channels], alpha=alpha)
        if before_load is not None:
            before_load(header)
        if not load:
            return header
        samples = _CHANNELS[colour]
        raw = _inflate(path, b"".join(body for kind, body in chunks if kind == b"IDAT"),
                       _raw_size(width, height, samples * 2, interlace))
        pixels = _decode(path, raw, width, height, samples, interlace)
        if key is not None and colour == 2:
            colour_key = np.frombuffer(key[:6], ">u2")
            opaque = np.where((pixels == colour_key).all(axis=2), 0, 65535).astype(np.uint16)
            pixels = np.dstack([pixels, opaque])
    except (UpsampleError, Refused):
        raise
    except MemoryError:
        raise UpsampleError(path, "not enough memory to decode this image") from None
    except (OSError, ValueError, struct.error, zlib.error, KeyError, IndexError) as e:
        raise UpsampleError(path, f"cannot read image data ({' '.join(str(e).split()) or type(e).__name__})") from None
    return header.with_array(_oriented(pixels, orientation), metadata=_without_orientation(metadata))


def _chunks(path: str, data: bytes):
    if data[:8] != SIGNATURE:
        raise UpsampleError(path, "not a PNG file")
    chunks, pos = [], 8
    while pos < len(data):
        if pos + 8 > len(data):
            raise UpsampleError(path, "cannot read image data (truncated PNG)")
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        end = pos + 12 + length
        if end > len(data):
            raise UpsampleError(path, f"cannot read image data (truncated PNG: {kind.decode('latin-1')} chunk cut)")
        body = data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[end - 4 : end])
        if zlib.crc32(kind + body) != crc and kind[0] < 97:  # critical chunks (upper-case first letter)
            raise UpsampleError(path, f"cannot read image data (corrupt PNG: bad checksum in {kind.decode('latin-1')})")
        chunks.append((kind, body))
        pos = end
        if kind == b"IEND":
            break
    if not chunks or chunks[0][0] != b"IHDR":
        raise UpsampleError(path, "not a valid PNG (no header)")
    if not any(kind == b"IEND" for kind, _ in chunks):
        raise UpsampleError(path, "cannot read image data (truncated PNG: no end)")
    return chunks


def _chunk(chunks, kind: bytes) -> Optional[bytes]:
    return next((body for k, body in chunks if k == kind), None)


def _raw_size(width: int, height: int, bpp: int, interlace: int) -> int:
    if not interlace:
        return height * (1 + width * bpp)
    total = 0
    for x0, y0, dx, dy in _ADAM7:
        w, h = -(-(width - x0) // dx), -(-(height - y0) // dy)
        if w > 0 and h > 0:
            total += h * (1 + w * bpp)
    return total


def _inflate(path: str, compressed: bytes, size: int) -> bytes:
    inflater = zlib.decompressobj()
    raw = inflater.decompress(compressed, size)
    if len(raw) < size:
        raise UpsampleError(path, f"cannot read image data (truncated PNG: {len(raw)} of {size} bytes)")
    return raw


def _decode(path: str, raw: bytes, width: int, height: int, samples: int, interlace: int) -> np.ndarray:
    bpp = samples * 2
    buf = np.frombuffer(raw, np.uint8)
    if not interlace:
        rows = _unfilter(buf.reshape(height, 1 + width * bpp), bpp)
        return rows.view(">u2").reshape(height, width, samples).astype(np.uint16)
    out = np.empty((height, width, samples), np.uint16)
    pos = 0
    for x0, y0, dx, dy in _ADAM7:
        w, h = -(-(width - x0) // dx), -(-(height - y0) // dy)
        if w <= 0 or h <= 0:
            continue
        size = h * (1 + w * bpp)
        rows = _unfilter(buf[pos : pos + size].reshape(h, 1 + w * bpp), bpp)
        out[y0::dy, x0::dx] = rows.view(">u2").reshape(h, w, samples)
        pos += size
    return out


def _unfilter(rows: np.ndarray, bpp: int) -> np.ndarray:
    """Undo the per-row filters of ``rows`` (each a filter byte then the row); uint8 rows out."""
    kinds = rows[:, 0]
    if kinds.max(initial=0) > 4:
        raise ValueError(f"unknown PNG row filter {int(kinds.max())}")
    data = np.ascontiguousarray(rows[:, 1:])
    if (kinds <= 2).all():  # None, Sub and Up undo with whole-row operations
        out = np.empty_like(data)
        previous = np.zeros(data.shape[1], np.uint8)
        for y in range(data.shape[0]):
            row = data[y]
            if kinds[y] == 1:
                row = np.cumsum(row.reshape(-1, bpp), axis=0, dtype=np.uint8).reshape(-1)
            elif kinds[y] == 2:
                row = row + previous
            out[y] = row
            previous = out[y]
        return out
    from ._png_filters import unfilter

    return unfilter(data, kinds.copy(), bpp)


def _metadata(chunks) -> Metadata:
    icc = None
    iccp = _chunk(chunks, b"iCCP")
    if iccp is not None and b"\0" in iccp:
        icc = _inflate_at_most(iccp[iccp.index(b"\0") + 2 :], _MAX_ICC)
    resolution = None
    phys = _chunk(chunks, b"pHYs")
    if phys is not None and len(phys) == 9:
        x, y, unit = struct.unpack(">IIB", phys)
        if unit == 1 and x and y:
            resolution = (x * 0.0254, y * 0.0254)
    text = {}
    for kind, body in chunks:
        try:
            if kind == b"tEXt":
                key, value = body.split(b"\0", 1)
                text[key.decode("latin-1")] = value.decode("latin-1")
            elif kind == b"zTXt":
                key, value = body.split(b"\0", 1)
                text[key.decode("latin-1")] = _inflate_at_most(value[1:], _MAX_TEXT).decode("latin-1")
            elif kind == b"iTXt":
                key, rest = body.split(b"\0", 1)
                compressed, rest = rest[0], rest[2:]
                _, rest = rest.split(b"\0", 1)
                _, value = rest.split(b"\0", 1)
                text[key.decode("latin-1")] = (_inflate_at_most(value, _MAX_TEXT) if compressed else value).decode("utf-8")
        except (ValueError, zlib.error, UnicodeDecodeError, AttributeError):
            continue
    chunks_kept = {}
    gama, srgb, chrm = _chunk(chunks, b"gAMA"), _chunk(chunks, b"sRGB"), _chunk(chunks, b"cHRM")
    if gama is not None and len(gama) == 4:
        chunks_kept["gamma"] = struct.unpack(">I", gama)[0] / 100000
    if srgb is not None and len(srgb) == 1:
        chunks_kept["srgb"] = srgb[0]
    if chrm is not None and len(chrm) == 32:
        chunks_kept["chromaticity"] = tuple(v / 100000 for v in struct.unpack(">8I", chrm))
    exif = _chunk(chunks, b"eXIf")
    return Metadata(
        icc_profile=icc, exif=exif or None, resolution=resolution,
        resolution_unit="inch" if resolution else None, text=text, png_chunks=chunks_kept,
    )


def _inflate_at_most(data: bytes, limit: int) -> Optional[bytes]:
    """``data`` inflated, or None when it is not zlib data or inflates to more than ``limit``
    bytes (a small chunk can claim gigabytes: it is never inflated whole)."""
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error:
        return None
    return out if len(out) <= limit and inflater.eof else None


def exif_orientation(exif: Optional[bytes]) -> int:
    """The orientation tag of raw EXIF bytes; 1 when there is none or it cannot be read."""
    if not exif:
        return 1
    from PIL import Image as PILImage

    try:
        parsed = PILImage.Exif()
        parsed.load(exif)
        return int(parsed.get(_ORIENTATION, 1))
    except Exception:
        return 1


def _oriented(a: np.ndarray, orientation: int) -> np.ndarray:
    """The pixels as displayed, for an EXIF orientation (as Pillow's exif_transpose)."""
    t = (1, 0, 2)
    return {
        2: lambda: a[:, ::-1],
        3: lambda: a[::-1, ::-1],
        4: lambda: a[::-1],
        5: lambda: a.transpose(t),
        6: lambda: a.transpose(t)[:, ::-1],
        7: lambda: a[::-1, ::-1].transpose(t),
        8: lambda: a.transpose(t)[::-1],
    }.get(orientation, lambda: a)()


def _without_orientation(metadata: Metadata) -> Metadata:
    if not metadata.exif or exif_orientation(metadata.exif) == 1:
        return metadata
    from dataclasses import replace

    from PIL import Image as PILImage

    parsed = PILImage.Exif()
    parsed.load(metadata.exif)
    parsed.pop(_ORIENTATION, None)
    return replace(metadata, exif=parsed.tobytes())


# --- writing ---------------------------------------------------------------------------


def needed(image: Image) -> bool:
    """Whether ``image`` is a 16-bit colour image (which only this module writes as PNG)."""
    return image.dtype == np.uint16 and image.palette is None and image.channels in _COLOUR_TYPE


def writes(pixels: np.ndarray, mode: str) -> bool:
    """Whether this module writes these ``(H, W[, C])`` pixels of a Pillow ``mode`` (gray, gray and
    alpha, RGB, RGBA; 8 or 16 bits), rather than Pillow."""
    bits = {np.dtype(np.uint8): ("L", "LA", "RGB", "RGBA"), np.dtype(np.uint16): ("LA;16", "RGB;16", "RGBA;16")}
    return mode in bits.get(pixels.dtype, ())


# Rows filtered and compressed at once (a band per task of the compressing threads), in bytes,
# and the bytes of rows in flight at most (as many again compressed): memory beside the pixels
# stays a few MiB whatever the image's size and the threads.
BAND_BYTES = 1 << 20
IN_FLIGHT_BYTES = 1 << 23


def write(tmp: str, image: Image, pixels: np.ndarray, level: int = PNG_LEVEL) -> None:
    """Write the ``(H, W, C)`` uint8 or uint16 ``pixels`` of ``image`` (its metadata) to ``tmp``.

    Rows are filtered by Up (the row minus the one above: one vectorised subtraction, within a
    few percent of the best filter per row on photographs and smooth images), and compressed at
    zlib ``level`` band by band on several threads (zlib releases the GIL), each band's
    compressor primed with the 32 KiB before it, so the stream is one zlib stream as if
    compressed in one go; memory stays a few bands (``IN_FLIGHT_BYTES``)."""
    from .pillow import synced_exif

    height, width, channels = pixels.shape
    depth = pixels.dtype.itemsize * 8
    colour = {1: 0, **_COLOUR_TYPE}[channels]
    meta = image.metadata
    parts = [SIGNATURE, _pack(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0))]
    if meta.icc_profile:
        parts.append(_pack(b"iCCP", b"ICC profile\0\0" + zlib.compress(meta.icc_profile)))
    chunks = meta.png_chunks
    if "gamma" in chunks:
        parts.append(_pack(b"gAMA", struct.pack(">I", int(round(float(chunks["gamma"]) * 100000)))))
    if "srgb" in chunks:
        parts.append(_pack(b"sRGB", struct.pack(">B", int(chunks["srgb"]))))
    if "chromaticity" in chunks and len(chunks["chromaticity"]) == 8:
        parts.append(_pack(b"cHRM", struct.pack(">8I", *(int(round(v * 100000)) for v in chunks["chromaticity"]))))
    dpi = meta.dpi()
    if dpi:
        ppm = tuple(int(d / 0.0254 + 0.5) for d in dpi)
        parts.append(_pack(b"pHYs", struct.pack(">IIB", ppm[0], ppm[1], 1)))
    for key, value in meta.text.items():
        k = key.encode("latin-1", "replace")[:79]
        try:
            parts.append(_pack(b"tEXt", k + b"\0" + value.encode("latin-1")))
        except UnicodeEncodeError:
            parts.append(_pack(b"iTXt", k + b"\0\0\0\0\0" + value.encode("utf-8")))
    if meta.exif:
        exif = synced_exif(meta.exif, (width, height), dpi)
        parts.append(_pack(b"eXIf", exif[6:] if exif.startswith(b"Exif\0\0") else exif))
    with open(tmp, "wb") as f:
        for part in parts:
            f.write(part)
        for data in _compressed(pixels, level):
            # (the chunk in three writes: its data is not copied again to join them)
            f.write(struct.pack(">I", len(data)) + b"IDAT")
            f.write(data)
            f.write(struct.pack(">I", zlib.crc32(data, zlib.crc32(b"IDAT"))))
        f.write(_pack(b"IEND", b""))


def _compressed(pixels: np.ndarray, level: int):
    """The zlib stream of the filtered rows, in pieces (each an IDAT chunk)."""
    from concurrent.futures import ThreadPoolExecutor

    height = pixels.shape[0]
    row_bytes = pixels[0].size * pixels.itemsize
    threads = max(1, min(os.cpu_count() or 1, 8))
    window = 2 * threads  # bands in flight
    band = max(1, min(BAND_BYTES, IN_FLIGHT_BYTES // window) // max(row_bytes, 1))
    starts = range(0, height, band)
    adler, tail = 1, b""
    yield _zlib_header(level)
    with ThreadPoolExecutor(threads) as pool:
        for w in range(0, len(starts), window):
            bands = [_filtered(pixels, y, min(y + band, height)) for y in starts[w : w + window]]
            last = w + len(bands) == len(starts)
            primes = [tail] + [b[-32768:].tobytes() for b in bands[:-1]]
            tail = bands[-1][-32768:].tobytes()
            finishes = [last and i == len(bands) - 1 for i in range(len(bands))]
            for data in bands:
                adler = zlib.adler32(data, adler)
            yield from pool.map(_deflate, bands, primes, [level] * len(bands), finishes)
    yield struct.pack(">I", adler)


def _zlib_header(level: int) -> bytes:
    """The two bytes zlib starts a stream with: deflate with a 32 KiB window, no preset dictionary,
    and the level's class (0 fastest, 1 fast, 2 default, 3 smallest) as zlib writes it."""
    flags = (0 if level < 2 else 1 if level < 6 else 2 if level == 6 else 3) << 6
    flags |= (31 - (0x78 * 256 + flags) % 31) % 31  # (the header, read as a number, divides by 31)
    return bytes([0x78, flags])


def _filtered(pixels: np.ndarray, y0: int, y1: int) -> np.ndarray:
    """Rows ``y0..y1`` as PNG scanlines filtered by Up (filter byte 2), big-endian samples, as
    one flat uint8 array."""
    rows = np.ascontiguousarray(pixels[max(y0 - 1, 0) : y1].astype(pixels.dtype.newbyteorder(">"), copy=False))
    rows = rows.view(np.uint8).reshape(rows.shape[0], -1)
    out = np.empty((y1 - y0, rows.shape[1] + 1), np.uint8)
    out[:, 0] = 2
    if y0 == 0:
        out[0, 1:] = rows[0]  # (the row above the first is zeros)
        np.subtract(rows[1:], rows[:-1], out=out[1:, 1:])
    else:
        np.subtract(rows[1:], rows[:-1], out=out[:, 1:])
    return out.reshape(-1)


def _deflate(data: np.ndarray, prime: bytes, level: int, finish: bool) -> bytes:
    """``data`` as raw deflate blocks that continue a stream whose last 32 KiB were ``prime``."""
    compressor = zlib.compressobj(level, zlib.DEFLATED, -15, zdict=prime) if prime else \
        zlib.compressobj(level, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush(zlib.Z_FINISH if finish else zlib.Z_FULL_FLUSH)


def _pack(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
