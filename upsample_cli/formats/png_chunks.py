"""A PNG's chunk list read as a stream: checksums checked as libpng checks them, in bounded memory.

Pillow checks the checksums of the chunks before and after the image data but not those of the
image data (IDAT) itself, so a flipped byte inside it can decode into wrong pixels without an
error. :func:`scan` walks every chunk, reading the file in blocks, and refuses a critical chunk
(upper-case first letter: IHDR, PLTE, IDAT, IEND) whose CRC does not match, as libpng does by
default. It also returns the EXIF chunk wherever it lies, so the orientation is known from the
chunks alone, without decoding the image, and the animation chunks of an APNG (``acTL`` and
``fcTL``), so its frames and their timing are known before any is decoded.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field
from typing import Dict, Optional, Tuple

from ..image import UpsampleError

SIGNATURE = b"\x89PNG\r\n\x1a\n"
_BLOCK = 1 << 20
_MAX_EXIF = 1 << 20  # larger eXIf chunks are not read (no camera writes one)


@dataclass(frozen=True)
class Chunks:
    """What :func:`scan` found: the IHDR size, the raw eXIf body, if any, and the text chunks
    (keyword -> text), wherever they lie, as Pillow reads them after decoding. For an APNG:
    ``animation_control``, the ``(frames, plays)`` of an ``acTL`` before the image data; the
    bodies of the ``fcTL`` chunks; whether image data comes before the first ``fcTL`` (a
    ``default_image`` that is not a frame)."""

    width: int
    height: int
    exif: Optional[bytes]
    text: Dict[str, str] = field(default_factory=dict)
    animation_control: Optional[Tuple[int, int]] = None
    frame_controls: Tuple[bytes, ...] = ()
    default_image: bool = False


def is_png(head: bytes) -> bool:
    return head[:8] == SIGNATURE


def scan(path: str, *, verify: bool = True) -> Chunks:
    """Walk the chunks of the PNG at ``path``; with ``verify``, check every critical chunk's CRC
    (the image data included) and that the file ends with IEND. UpsampleError names the chunk."""
    with open(path, "rb") as f:
        if f.read(8) != SIGNATURE:
            raise UpsampleError(path, "not a PNG file")
        size = None
        exif = None
        text = {}
        control, frame_controls, data_seen, default_image = None, [], False, False
        while True:
            head = f.read(8)
            if len(head) < 8:
                if not verify:
                    break
                raise UpsampleError(path, "cannot read image data (truncated PNG: no end)")
            length, kind = struct.unpack(">I4s", head)
            name = kind.decode("latin-1")
            if size is None and kind != b"IHDR":
                raise UpsampleError(path, "not a valid PNG (no header)")
            critical = kind[0] < 97
            if kind == b"IDAT" and not data_seen:
                data_seen, default_image = True, control is not None and not frame_controls
            keep = kind == b"IHDR" or (kind in _KEPT and length <= _MAX_EXIF)
            if not (verify and critical) and not keep:
                f.seek(length + 4, 1)
                continue
            crc = zlib.crc32(kind)
            body = b""
            left = length
            while left:
                block = f.read(min(left, _BLOCK))
                if not block:
                    raise UpsampleError(path, f"cannot read image data (truncated PNG: {name} chunk cut)")
                crc = zlib.crc32(block, crc)
                left -= len(block)
                if keep:
                    body += block
            stored = f.read(4)
            if len(stored) < 4 and verify:
                raise UpsampleError(path, f"cannot read image data (truncated PNG: {name} chunk cut)")
            bad = len(stored) == 4 and struct.unpack(">I", stored)[0] != crc
            if bad and critical and verify:
                raise UpsampleError(path, f"cannot read image data (corrupt PNG: bad checksum in {name})")
            if kind == b"IHDR":
                if len(body) != 13:
                    raise UpsampleError(path, "not a valid PNG header")
                size = struct.unpack(">II", body[:8])
            elif kind == b"eXIf" and not bad:
                exif = body
            elif kind in _TEXT and not bad:
                text.update(_text(kind, body))
            elif kind == b"acTL" and not bad and not data_seen and control is None and len(body) >= 8:
                control = struct.unpack(">II", body[:8])
            elif kind == b"fcTL" and not bad:
                frame_controls.append(body)
            elif kind == b"IEND":
                break
    if size is None:
        raise UpsampleError(path, "not a valid PNG (no header)")
    return Chunks(size[0], size[1], exif, text, control, tuple(frame_controls), default_image)


_TEXT = (b"tEXt", b"zTXt", b"iTXt")
_KEPT = (b"eXIf", b"acTL", b"fcTL") + _TEXT


def _text(kind: bytes, body: bytes) -> Dict[str, str]:
    """``{keyword: text}`` of a tEXt, zTXt or iTXt chunk (PNG spec 11.3.4); {} when malformed."""
    keyword, _, rest = body.partition(b"\0")
    if kind == b"iTXt":
        compressed, rest = rest[:1] == b"\1", rest[2:]
        _, _, rest = rest.partition(b"\0")  # language tag
        _, _, rest = rest.partition(b"\0")  # translated keyword
        encoding = "utf-8"
    else:
        compressed, rest, encoding = kind == b"zTXt", rest[1:] if kind == b"zTXt" else rest, "latin-1"
    try:
        if compressed:
            rest = zlib.decompressobj().decompress(rest, _MAX_EXIF)
        return {keyword.decode("latin-1"): rest.decode(encoding, "replace")}
    except zlib.error:
        return {}
