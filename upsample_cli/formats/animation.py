"""Animated PNG (APNG), GIF and WebP: frame count, durations, loop and frame regions from the file's
structure alone, before any pixel is decoded.

The counts follow Pillow's readers, which decode the frames afterwards (:mod:`.pillow`):

- GIF: one frame per image descriptor up to the trailer; a frame's duration is the delay of the
  graphic control block before it (10 ms units), 0 without one; the loop count is the NETSCAPE
  block's, before the first image (none: the animation plays once).
- APNG: the frame count and play count of the ``acTL`` chunk before the image data (a count of 0
  or over 2^31 makes Pillow read a still image, as here); the durations of the ``fcTL`` chunks
  (``delay_num / delay_den`` seconds, a denominator of 0 meaning 100). Image data before the first
  ``fcTL`` is a default image that is not part of the animation: Pillow reads it as an extra
  first frame, which is skipped.
- WebP: one frame per ``ANMF`` chunk with its duration; the loop count of the ``ANIM`` chunk.

The readers walk the file in bounded memory, reading only the small blocks they need.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Optional, Tuple

from ..image import Animation, UpsampleError

_MAX_PNG_FRAMES = 0x80000000


@dataclass(frozen=True)
class Frames:
    """What a scan found: ``count`` frames, their timing, the ``(x, y, width, height)`` region of
    each GIF frame (empty for the other formats), and whether Pillow's first frame is an APNG
    default image to skip."""

    count: int
    animation: Animation
    regions: Tuple[Tuple[int, int, int, int], ...] = ()
    skip_first: bool = False


def scan(path: str, fmt: str, png=None) -> Optional[Frames]:
    """The frames of the animation at ``path`` read as ``fmt``, or None for a still image (one
    frame). ``png`` is the PNG's chunk list (:func:`.png_chunks.scan`)."""
    if fmt == "GIF":
        frames = _gif(path)
    elif fmt == "PNG" and png is not None:
        frames = _apng(png)
    elif fmt == "WEBP":
        frames = _webp(path)
    else:
        return None
    return frames if frames is not None and frames.count > 1 else None


def _gif(path: str) -> Optional[Frames]:
    with open(path, "rb") as f:
        head = f.read(13)
        if len(head) < 13 or head[:3] != b"GIF":
            return None
        if head[10] & 0x80:  # global colour table
            f.seek(3 << ((head[10] & 7) + 1), 1)
        durations, regions, loop, delay = [], [], None, None
        while True:
            s = f.read(1)
            if not s or s == b";":
                break
            if s == b"!":
                label = f.read(1)
                block = _sub_block(f)
                if label == b"\xf9" and block is not None and len(block) >= 3:
                    delay = struct.unpack("<H", block[1:3])[0] * 10
                elif label == b"\xff" and not regions and block is not None and block.startswith(b"NETSCAPE2.0"):
                    block = _sub_block(f)
                    if block and len(block) >= 3 and block[0] == 1:
                        loop = struct.unpack("<H", block[1:3])[0]
                _skip_sub_blocks(f, block)
            elif s == b",":
                descriptor = f.read(9)
                if len(descriptor) < 9:
                    break
                regions.append(struct.unpack("<4H", descriptor[:8]))
                durations.append(delay or 0)
                delay = None
                if descriptor[8] & 0x80:  # local colour table
                    f.seek(3 << ((descriptor[8] & 7) + 1), 1)
                f.read(1)  # LZW code size
                _skip_sub_blocks(f, b"")
            # (any other byte is skipped, as Pillow does)
    return Frames(len(regions), Animation(tuple(durations), loop), tuple(regions))


def _sub_block(f) -> Optional[bytes]:
    """The next GIF data sub-block, or None at a block terminator or the end of the file."""
    size = f.read(1)
    if not size or size[0] == 0:
        return None
    return f.read(size[0])


def _skip_sub_blocks(f, block: Optional[bytes]) -> None:
    """Skip to the end of the current sub-block chain (``block``: the sub-block just read, None
    when the chain has ended)."""
    while block is not None:
        size = f.read(1)
        if not size or size[0] == 0:
            return
        f.seek(size[0], 1)


def _apng(png) -> Optional[Frames]:
    control = png.animation_control
    if control is None:
        return None
    count, plays = control
    if count == 0 or count > _MAX_PNG_FRAMES:
        return None
    durations = []
    for body in png.frame_controls:
        if len(body) >= 26:
            numerator, denominator = struct.unpack(">HH", body[20:24])
            durations.append(numerator / (denominator or 100) * 1000)
    durations = (durations + [0.0] * count)[:count]
    return Frames(count, Animation(tuple(durations), plays), skip_first=png.default_image)


def _webp(path: str) -> Optional[Frames]:
    with open(path, "rb") as f:
        head = f.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WEBP":
            return None
        durations, loop = [], None
        while True:
            chunk = f.read(8)
            if len(chunk) < 8:
                break
            kind, size = chunk[:4], struct.unpack("<I", chunk[4:])[0]
            body = b""
            if kind in (b"ANIM", b"ANMF") and size >= 6:
                body = f.read(min(size, 16))
                f.seek(size - len(body), 1)
            else:
                f.seek(size, 1)
            if kind == b"ANIM" and len(body) >= 6:
                loop = struct.unpack("<H", body[4:6])[0]
            elif kind == b"ANMF" and len(body) >= 16:
                durations.append(float(int.from_bytes(body[12:15], "little")))
            if size & 1:
                f.seek(1, 1)
    if not durations:
        return None
    return Frames(len(durations), Animation(tuple(durations), loop))


def check_gif(path: str) -> None:
    """UpsampleError when a GIF at ``path`` has a frame outside its canvas, found from the file's
    blocks before Pillow opens it (Pillow grows the canvas for such a frame while opening, into
    memory no header check has seen)."""
    with open(path, "rb") as f:
        head = f.read(13)
    if len(head) < 13 or head[:3] != b"GIF":
        return
    frames = _gif(path)
    if frames is not None:
        check_regions(path, frames, struct.unpack("<2H", head[6:10]))


def check_regions(path: str, frames: Frames, canvas) -> None:
    """UpsampleError when a GIF frame lies outside the ``(width, height)`` canvas (Pillow would
    grow the canvas to hold it: memory the header does not show)."""
    width, height = canvas
    for i, (x, y, w, h) in enumerate(frames.regions):
        if x + w > width or y + h > height:
            raise UpsampleError(
                path, f"frame {i + 1} ({w}x{h} at {x},{y}) lies outside the {width}x{height} canvas: corrupt GIF")
