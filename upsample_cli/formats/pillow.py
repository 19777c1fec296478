"""PNG, JPEG, BMP, WebP and GIF through Pillow, and 2-D TIFFs tifffile cannot decode alone.

Reading gives the array Pillow gives (``np.asarray``), in display orientation (the EXIF
orientation is applied and removed from the EXIF):

=================  =========  =======  ===========================================
Pillow mode        dtype      axes     notes
=================  =========  =======  ===========================================
1, L               uint8      YX       bilevel becomes 0/255
LA, RGB, RGBA      uint8      YXS      a colour key (tRNS) becomes an alpha channel
CMYK               uint8      YXS      written back as CMYK (JPEG, TIFF)
P                  uint8      YX       palette indices; the palette is kept beside them
I;16 (16-bit)      uint16     YX
I (32-bit)         int32      YX
F                  float32    YX
=================  =========  =======  ===========================================

Metadata read: ICC profile, EXIF, DPI, PNG text and colour chunks (gAMA, sRGB, cHRM), the
JPEG comment. Writing takes an image whose axes are Y, X and at most one channel axis
(other axes of length 1 are dropped).
"""

from __future__ import annotations

import contextlib
import logging
import struct
from dataclasses import replace
from typing import Optional

import numpy as np

from ..defaults import JPEG_QUALITY, PNG_LEVEL
from ..errors import text_of
from ..image import Image, Metadata, Refused, SettingsError, UpsampleError
from . import animation

# Pillow's format names -> ours.
READ_FORMATS = {
    "PNG": "PNG", "JPEG": "JPEG", "MPO": "JPEG", "BMP": "BMP", "DIB": "BMP",
    "WEBP": "WEBP", "GIF": "GIF", "TIFF": "TIFF",
}
READABLE = "PNG, JPEG, BMP, WebP, GIF, TIFF or .npy"
_EIGHT_BIT = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4, "CMYK": 4}
_CONVERT = {"1": "L", "La": "LA", "RGBa": "RGBA", "RGBX": "RGB", "PA": "RGBA", "YCbCr": "RGB", "I;16S": None}
_MODE_FOR_CHANNELS = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}
# What each output format can hold (Pillow modes), and what to suggest instead.
_WRITE_MODES = {
    "PNG": ("L", "LA", "RGB", "RGBA", "P", "I;16", "LA;16", "RGB;16", "RGBA;16"),  # 16-bit colour: png16
    "JPEG": ("L", "RGB", "CMYK"),
    "BMP": ("L", "RGB", "P"),
    "WEBP": ("RGB", "RGBA"),
}
# Formats without CMYK: a CMYK image is converted to RGB for them (cmyk_as_rgb).
CMYK_AS_RGB = ("PNG", "WEBP", "BMP")
_PNG_COLOUR_CHUNKS = ("gamma", "srgb", "chromaticity")
_ORIENTATION = 0x0112
_EXIF_IFD = 0x8769
_SWAPS_AXES = (5, 6, 7, 8)


@contextlib.contextmanager
def own_pixel_limit():
    """Pillow's decompression-bomb check off: the caller checks its own limit before decoding."""
    from PIL import Image as PILImage

    saved = PILImage.MAX_IMAGE_PIXELS
    PILImage.MAX_IMAGE_PIXELS = None
    try:
        yield
    finally:
        PILImage.MAX_IMAGE_PIXELS = saved


@contextlib.contextmanager
def _quiet_pillow():
    """Pillow's warnings about what it repairs (an invalid APNG read as its still image) off: this
    module reports problems itself, on one line."""
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UserWarning, module="PIL")
        yield


def read(path: str, *, axes: Optional[str] = None, before_load=None, load: bool = True) -> Image:
    """Read ``path`` with Pillow; ``before_load(header)`` runs before any pixel is decoded."""
    from PIL import Image as PILImage
    from PIL import UnidentifiedImageError

    if axes is not None:
        raise SettingsError(f"{path}: --axes applies to TIFF and .npy files only")
    png = _png_chunks(path, verify=load)
    try:
        animation.check_gif(path)
        with own_pixel_limit(), _quiet_pillow(), PILImage.open(path) as im:
            fmt = READ_FORMATS.get(im.format)
            if fmt is None:
                raise UpsampleError(path, f"{im.format} images are not supported; expected {READABLE}")
            header = _header(path, im, fmt, png)
            frames = animation.scan(path, fmt, png)
            if frames is not None:
                header = _frames_header(path, im, header, frames)
            if before_load is not None:
                before_load(header)
            if frames is None and getattr(im, "n_frames", 1) > 1:
                raise UpsampleError(path, f"multi-frame {fmt} ({im.n_frames} frames) is not supported")
            if not load or frames is not None:  # (what a resize keeps, from what was read before the pixels)
                metadata = _metadata(im, fmt, png, loaded=False)
                if frames is not None:
                    metadata = replace(metadata, animation=frames.animation)
                if not load:
                    return replace(header, metadata=metadata)
                return header.with_array(_frame_pixels(path, im, header, frames, png), metadata=metadata)
            if fmt == "WEBP":
                array = _webp_pixels(im, header)
            else:
                array = _decoded_into_own_array(im, header, _orientation(im, png))
            if array is None:
                im.load()
                from PIL import ImageOps

                ImageOps.exif_transpose(im, in_place=True)
                array = pixels_of(im)
            metadata = _metadata(im, fmt)
    except UnidentifiedImageError:
        size = _png_header_size(path)
        if size is not None and 0 in size:
            raise UpsampleError(path, f"image has no pixels ({size[0]}x{size[1]})") from None
        raise UpsampleError(path, f"not a recognised image (expected {READABLE})") from None
    except (UpsampleError, Refused):
        raise
    except MemoryError:
        raise UpsampleError(path, "not enough memory to decode this image") from None
    except (OSError, ValueError, TypeError, SyntaxError, EOFError, struct.error, OverflowError, IndexError,
            KeyError) as e:
        # Pillow reports truncated or corrupt data with these (a TIFF missing its dimensions: TypeError).
        raise UpsampleError(path, f"cannot read image data ({text_of(e)})") from None
    if array.shape[0] * array.shape[1] != header.shape[0] * header.shape[1]:  # an orientation may swap them
        raise UpsampleError(path, f"decoded {array.shape[:2]} pixels where the header says {header.shape[:2]}")
    return header.with_array(array, metadata=metadata)


# EXIF orientation -> the Pillow transpose that shows the image upright (as ImageOps.exif_transpose).
_UPRIGHT = {2: "FLIP_LEFT_RIGHT", 3: "ROTATE_180", 4: "FLIP_TOP_BOTTOM", 5: "TRANSPOSE", 6: "ROTATE_270",
            7: "TRANSVERSE", 8: "ROTATE_90"}


def _frames_header(path: str, im, header: Image, frames) -> Image:
    """The header of an animation: the still header with the frames as a leading ``T`` axis.

    Pillow composes a GIF's frames after the first in RGB or RGBA (each may have its own
    palette), so an animated GIF is read as RGBA throughout."""
    animation.check_regions(path, frames, im.size)
    if header.format == "GIF":
        header = replace(header, shape=header.shape[:2] + (4,), axes="YXS", mode="RGBA", alpha=3, palette=None)
    return replace(header, shape=(frames.count,) + header.shape, axes="T" + header.axes)


def _frame_pixels(path: str, im, header: Image, frames, png) -> np.ndarray:
    """Every frame of an animation as a full canvas (Pillow composes partial frames with their
    disposal and blending when seeking), in the header's mode, stacked along ``T``."""
    from PIL import Image as PILImage
    from PIL import ImageSequence

    out = np.empty(header.shape, header.dtype)
    upright = _UPRIGHT.get(_orientation(im, png))
    canvas, done = im.size, 0
    for i, frame in enumerate(ImageSequence.Iterator(im)):
        if i == 0 and frames.skip_first:
            continue  # (an APNG's default image)
        if done == frames.count:
            break
        if frame.size != canvas:
            raise UpsampleError(path, f"frame {done + 1} is {frame.size[0]}x{frame.size[1]}, not the canvas's "
                                f"{canvas[0]}x{canvas[1]}")
        if header.mode in _EIGHT_BIT and frame.mode != header.mode:
            frame = frame.convert(header.mode)
        if upright is not None:
            frame = frame.transpose(getattr(PILImage.Transpose, upright))
        a = pixels_of(frame)
        if a.shape != out.shape[1:]:
            raise UpsampleError(path, f"frame {done + 1} decodes as {frame.mode} {a.shape}, unlike the first frame")
        out[done] = a
        done += 1
    if done != frames.count:
        raise UpsampleError(path, f"cannot read image data (decoded {done} of the {frames.count} frames)")
    return out


def _png_header_size(path: str):
    """Width and height from a PNG's IHDR (Pillow refuses some headers without saying why)."""
    with contextlib.suppress(OSError), open(path, "rb") as f:
        head = f.read(24)
        if head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR":
            return struct.unpack(">II", head[16:24])
    return None


def _webp_pixels(im, header: Image) -> Optional[np.ndarray]:
    """A WebP's pixels as a view of the buffer libwebp decodes into, or None (then Pillow loads it).

    Pillow copies that buffer into its image, and ``np.asarray`` copies it again: four times
    the pixels' bytes at the peak. Here the 4-byte RGBX/RGBA buffer is the array (RGB is a
    view of its first three bytes), 1.33 times the RGB bytes. Only for images displayed as
    stored (EXIF orientation 1)."""
    get_next = getattr(im, "_get_next", None)
    if get_next is None or getattr(im, "rawmode", None) not in ("RGBX", "RGBA") or header.mode not in ("RGB", "RGBA"):
        return None
    if _orientation(im, None) != 1:
        return None
    try:
        data = get_next()[0]
    except (TypeError, IndexError, AttributeError):
        return None
    width, height = im.size
    if not isinstance(data, bytes) or len(data) != width * height * 4:
        return None
    rgba = np.frombuffer(data, np.uint8).reshape(height, width, 4)
    return rgba if header.mode == "RGBA" else rgba[:, :, :3]


# Pillow modes whose decoders can write into an array of ours: the bytes Pillow stores a pixel
# in (RGB takes four, the fourth unused).
_OWN_BUFFER = {"L": 1, "RGB": 4, "RGBA": 4, "CMYK": 4}
# Rows of four-byte pixels packed into three at once.
_PACK_BYTES = 1 << 22


def _decoded_into_own_array(im, header: Image, orientation: int) -> Optional[np.ndarray]:
    """The pixels of the still image ``im`` (not loaded yet), decoded by Pillow straight into an
    array of ours; None where this does not apply (then ``im`` is loaded, or left to load, as usual).

    Pillow would decode into its own image and ``np.asarray`` copy that out (through a ``bytes``
    copy of its own): three to four times the pixels' bytes at the peak. Here the decoder writes
    into an array laid out as Pillow lays out the mode (``map_buffer``), which is the result for
    gray, RGBA and CMYK; RGB, decoded into four bytes a pixel, is then packed into three in place
    and the unused last quarter given back to the system: the peak is 1.33 times the RGB bytes.
    Only for images displayed as stored (EXIF orientation 1), with no colour key to turn into
    alpha, in a mode kept as read."""
    from PIL import Image as PILImage

    mode = im.mode
    if (mode not in _OWN_BUFFER or header.mode != mode or orientation != 1 or "transparency" in im.info
            or not getattr(im, "tile", None)):
        return None
    width, height = im.size
    pixels = np.empty((height, width, _OWN_BUFFER[mode]), np.uint8)
    mapped = PILImage.core.map_buffer(pixels, im.size, "raw", 0, (mode, 0, 1))
    if mapped.mode != mode or mapped.size != im.size:
        return None
    im.im = mapped  # (ImageFile.load decodes into the image it holds, creating one only when none)
    im.load()
    if im.im is not mapped:  # Pillow mapped the file itself (raw data stored as the mode): copy it
        return None
    if mode == "L":
        return pixels.reshape(height, width)
    if mode == "RGB":
        return _packed_rgb(pixels)
    return pixels


def _packed_rgb(four: np.ndarray) -> np.ndarray:
    """``four[..., :3]`` as a C-contiguous ``(H, W, 3)`` array in ``four``'s own memory, its last
    quarter (unused after) given back to the system.

    Rows are packed in order, from the first: a pixel moves only towards the start, so every
    band is written over bytes already read (NumPy copies a band through a temporary where it
    overlaps its own source)."""
    height, width = four.shape[:2]
    flat = four.reshape(-1)
    row = 3 * width
    band = max(1, _PACK_BYTES // (4 * width))
    for y in range(0, height, band):
        stop = min(height, y + band)
        flat[row * y : row * stop].reshape(stop - y, width, 3)[...] = four[y:stop, :, :3]
    release = _releaser(four, start=row * height)
    if release is not None:
        release(four.nbytes)
    return flat[: row * height].reshape(height, width, 3)


def _png_chunks(path: str, verify: bool):
    """A PNG's chunks checked (:mod:`.png_chunks`) before Pillow reads it; None for other formats."""
    from . import png_chunks

    with open(path, "rb") as f:
        if not png_chunks.is_png(f.read(8)):
            return None
    return png_chunks.scan(path, verify=verify)


def _orientation(im, png) -> int:
    """The EXIF orientation, from the header alone (Pillow's ``getexif`` decodes a whole PNG to
    find an EXIF chunk after the image data, so a PNG's comes from its chunk list)."""
    from .png16 import exif_orientation

    if png is not None:
        return exif_orientation(png.exif)
    try:
        return int(im.getexif().get(_ORIENTATION, 1))
    except (OSError, ValueError, SyntaxError, struct.error, TypeError, KeyError, IndexError):
        return 1  # unreadable EXIF: shown as stored


def _header(path: str, im, fmt: str, png=None) -> Image:
    """Shape, dtype, axes, mode and palette, from the header alone."""
    width, height = im.size
    if width < 1 or height < 1:
        raise UpsampleError(path, f"image has no pixels ({width}x{height})")
    if _orientation(im, png) in _SWAPS_AXES:
        width, height = height, width
    mode = _CONVERT.get(im.mode, im.mode)
    if mode is None or mode in ("LAB", "HSV"):
        raise UpsampleError(path, f"Pillow mode {im.mode!r} is not supported")
    if mode in ("L", "RGB") and "transparency" in im.info:
        mode += "A"
    palette = None
    if mode == "P":
        palette = _palette(im)
        dtype, channels = np.dtype(np.uint8), 0
    elif mode in _EIGHT_BIT:
        dtype, channels = np.dtype(np.uint8), _EIGHT_BIT[mode]
    elif mode.startswith("I;16"):
        dtype, channels, mode = np.dtype(np.uint16), 1, "I;16"
    elif mode == "I":
        dtype, channels = np.dtype(np.int32), 1
    elif mode == "F":
        dtype, channels = np.dtype(np.float32), 1
    else:
        raise UpsampleError(path, f"Pillow mode {im.mode!r} is not supported")
    shape, axes = ((height, width), "YX") if channels <= 1 else ((height, width, channels), "YXS")
    alpha = channels - 1 if mode in ("LA", "RGBA") else None
    return Image(None, shape, dtype, axes, fmt, mode=mode, alpha=alpha, palette=palette)


def _palette(im) -> np.ndarray:
    """The palette as an (n, 3) RGB or, with transparency, (n, 4) RGBA uint8 table."""
    rgb = _palette_colours(im)
    if len(rgb) < 256:
        rgb = np.vstack([rgb, np.zeros((256 - len(rgb), 3), np.uint8)])
    transparency = im.info.get("transparency")
    if transparency is None:
        return rgb
    alpha = np.full(len(rgb), 255, np.uint8)
    if isinstance(transparency, int):
        if transparency < len(alpha):
            alpha[transparency] = 0
    else:
        values = np.frombuffer(bytes(transparency), np.uint8)[: len(alpha)]
        alpha[: len(values)] = values
    return np.column_stack([rgb, alpha])


def _palette_colours(im) -> np.ndarray:
    """The palette's RGB entries as the file states them, without decoding the image (Pillow's
    ``getpalette`` decodes it first: a huge GIF would be decoded before the pixel limit is checked)."""
    from PIL import Image as PILImage

    palette = im.palette
    if palette is None:
        return np.zeros((0, 3), np.uint8)
    data, mode = bytes(palette.palette), palette.mode
    if palette.rawmode is not None:  # as stored: unpack it with Pillow's raw decoder
        mode, raw = "RGB", palette.rawmode
        size = len(raw.split(";")[0])
        unpacked = PILImage.frombytes("RGB", (len(data) // size, 1), data[: len(data) // size * size], "raw", raw)
        data = unpacked.tobytes()
    width = len(mode)
    if mode not in ("RGB", "RGBA") or len(data) < width:
        return np.zeros((0, 3), np.uint8)
    return np.frombuffer(data[: len(data) // width * width], np.uint8).reshape(-1, width)[:, :3]


def pixels_of(im) -> np.ndarray:
    """The pixels of a Pillow image (a colour key as alpha, palettes kept as indices) as an array."""
    mode = _CONVERT.get(im.mode, im.mode)
    if mode in ("L", "RGB") and "transparency" in im.info:
        mode += "A"  # a colour key becomes an alpha channel
    if mode != im.mode and mode != "P":
        im = im.convert(mode)
    a = np.asarray(im)
    if im.mode.startswith("I;16"):
        a = a.astype(np.uint16)
    elif im.mode == "I":
        a = a.astype(np.int32)
    return a if a.dtype.isnative else a.astype(a.dtype.newbyteorder("="))


def _metadata(im, fmt: str, png=None, loaded: bool = True) -> Metadata:
    """What a resize keeps of ``im``. Before the pixels are ``loaded``, a PNG's text comes from
    its chunk list (``png``), which holds the chunks after the pixels too (Pillow's ``text``
    would decode the image to reach them)."""
    info = im.info
    resolution = None
    dpi = info.get("dpi")
    if dpi and len(dpi) == 2 and all(float(d) > 0 for d in dpi):
        resolution = (float(dpi[0]), float(dpi[1]))
    text = {}
    if fmt == "PNG":
        text = dict(png.text) if not loaded else {str(k): str(v) for k, v in getattr(im, "text", {}).items()}
    elif fmt == "JPEG" and info.get("comment"):
        comment = info["comment"]
        text = {"comment": comment.decode("utf-8", "replace") if isinstance(comment, bytes) else str(comment)}
    chunks = {k: info[k] for k in _PNG_COLOUR_CHUNKS if fmt == "PNG" and k in info}
    return Metadata(
        icc_profile=info.get("icc_profile") or None,
        exif=info.get("exif") or None,
        resolution=resolution,
        resolution_unit="inch" if resolution else None,
        text=text,
        png_chunks=chunks,
    )


# --- writing ---------------------------------------------------------------------------


def prepare(path: str, image: Image, fmt: str, quality: Optional[int] = None, png_level: int = PNG_LEVEL,
            consume: bool = False):
    """The Pillow image and ``save`` options that write ``image`` as ``fmt``.

    The Pillow image of a still image is laid over the pixels' memory where its mode allows
    (:func:`to_pillow`); ``consume`` says that the pixels are not needed after (see
    :func:`io.write`). Raises UpsampleError (naming ``path``) when ``fmt`` cannot hold the
    image, before anything is written.
    """
    count = frame_count(image)
    if count > 1:  # an animation: APNG or animated WebP, every frame a full canvas
        _layout(path, image, fmt)
        first = to_pillow(path, _frame(image, 0), fmt)
        options = _save_options(image, first, fmt, quality, png_level)
        options.update(_animation_options(image, fmt, count))
        options["append_images"] = [to_pillow(path, _frame(image, i), fmt) for i in range(1, count)]
        return first, options
    pil = to_pillow(path, image, fmt, mapped=True, consume=consume)
    return pil, _save_options(image, pil, fmt, quality, png_level)


def check(path: str, image: Image, fmt: str) -> None:
    """Raise UpsampleError when ``fmt`` cannot hold ``image``; needs only the header."""
    _layout(path, image, fmt)


# Formats written as an animation when the image has more than one frame (a ``T`` axis).
ANIMATED = ("PNG", "WEBP")
# A frame's duration when the input gives none (a TIFF's time axis), in milliseconds.
DEFAULT_DURATION = 100


def frame_count(image: Image) -> int:
    """The frames of ``image``: the length of its ``T`` axis (1 without one)."""
    return image.size("T") if "T" in image.axes else 1


def _frame(image: Image, i: int) -> Image:
    """Frame ``i`` of an animation (a view of its pixels), as a still image."""
    t = image.axes.index("T")
    array = None if image.array is None else image.array[(slice(None),) * t + (i,)]
    return replace(image, array=array, shape=image.shape[:t] + image.shape[t + 1 :], axes=image.axes.replace("T", ""))


def _animation_options(image: Image, fmt: str, count: int) -> dict:
    """Pillow's ``save_all`` options: each frame's duration and the loop count as read.

    The frames are full canvases (composed when read), so each replaces the one before: APNG
    frames are written with disposal "none" and blending "source", whatever the input's were
    (its own operations, applied again to composed frames, would show other pixels); Pillow
    and libwebp store only the region that changed. A file that gave no loop count (a GIF
    without a NETSCAPE block) plays once."""
    from PIL import PngImagePlugin

    timing = image.metadata.animation
    durations = list(timing.durations) if timing is not None and len(timing.durations) == count else None
    loop = 0 if timing is None else 1 if timing.loop is None else timing.loop
    options = {"save_all": True, "duration": durations or [DEFAULT_DURATION] * count, "loop": loop}
    if fmt == "PNG":
        options.update(disposal=PngImagePlugin.Disposal.OP_NONE, blend=PngImagePlugin.Blend.OP_SOURCE)
    return options


def cmyk_as_rgb(path: str, image: Image) -> Image:
    """A CMYK image as RGB, for the formats that hold no CMYK (:data:`CMYK_AS_RGB`).

    With an ICC profile the colours go through it to sRGB (Pillow's ImageCms, perceptual
    intent); without one (or with one LittleCMS cannot use) by Pillow's plain conversion. The
    CMYK profile is not carried to the output, whose colours are then sRGB. One line on the
    ``upsample_cli`` logger says what was done.
    """
    import io as _bytes_io

    from PIL import Image as PILImage

    a, _, _ = arrange(path, image, "JPEG")  # (a format that holds CMYK: the pixels as they are)
    h, w = a.shape[:2]
    cmyk = PILImage.frombytes("CMYK", (w, h), np.ascontiguousarray(a).tobytes())
    profile = image.metadata.icc_profile
    how = "without a colour profile"
    rgb = None
    if profile:
        from PIL import ImageCms

        try:
            rgb = ImageCms.profileToProfile(
                cmyk, ImageCms.ImageCmsProfile(_bytes_io.BytesIO(profile)), ImageCms.createProfile("sRGB"),
                outputMode="RGB",
            )
            how = "through its ICC profile to sRGB"
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            how = "without its ICC profile, which cannot be used"
    if rgb is None:
        rgb = cmyk.convert("RGB")
    logging.getLogger("upsample_cli").warning("note: %s: CMYK converted to RGB %s", path, how)
    metadata = replace(image.metadata, icc_profile=None)
    return Image.of(np.asarray(rgb), "YXS", image.format, mode="RGB", metadata=metadata)


# Pillow modes whose pixels Pillow stores as an array stores them, so that ``Image.frombuffer``
# lays the image over the array's memory instead of copying it.
_MAPPED = ("L", "RGBA", "CMYK", "I;16")
# Formats whose Pillow writers take RGBX for RGB (the fourth byte unused).
_RGBX = ("JPEG", "WEBP")
# Rows copied at once into four-byte pixels.
_BAND_BYTES = 1 << 22


def to_pillow(path: str, image: Image, fmt: str, *, mapped: bool = False, consume: bool = False):
    """A Pillow image of ``image`` in a mode ``fmt`` can hold; UpsampleError when there is none.

    ``mapped``: a read-only image over the pixels' memory where Pillow's mode stores pixels as
    the array does; RGB for JPEG and WebP as RGBX over a four-byte copy (Pillow's own RGB
    images take four bytes a pixel too), built band by band, the bands of the pixels copied
    given back to the system when ``consume`` says they are not needed after."""
    from PIL import Image as PILImage

    a, mode, use_palette = arrange(path, image, fmt)
    h, w = a.shape[:2]
    if image.palette is not None and not use_palette:
        a = image.palette[a]  # JPEG and WebP hold no palette
    if mode == "P":
        pil = PILImage.frombytes("P", (w, h), np.ascontiguousarray(a).tobytes())
        pil.putpalette(np.ascontiguousarray(image.palette[:, :3]).tobytes())
        if image.palette.shape[1] == 4:
            pil.info["transparency"] = image.palette[:, 3].tobytes()
        return pil
    if fmt == "WEBP" and (a.ndim == 2 or a.shape[2] == 2):  # gray is stored as RGB
        a = a.reshape(h, w, -1)
        a = np.concatenate([np.repeat(a[..., :1], 3, axis=2), a[..., 1:]], axis=2)
    data = a.astype("<u2") if mode == "I;16" else a
    if mapped and mode == "RGB" and fmt in _RGBX:
        return PILImage.frombuffer("RGBX", (w, h), _four_byte_pixels(data, consume), "raw", "RGBX", 0, 1)
    if mapped and mode in _MAPPED and data.flags.c_contiguous:
        return PILImage.frombuffer(mode, (w, h), data, "raw", mode, 0, 1)
    return PILImage.frombytes(mode, (w, h), np.ascontiguousarray(data).tobytes(), "raw", mode)


def _four_byte_pixels(rgb: np.ndarray, consume: bool) -> np.ndarray:
    """The ``(H, W, 3)`` uint8 pixels as ``(H, W, 4)``, the fourth byte 255; with ``consume``, the
    pages of ``rgb`` copied are given back to the system band by band, so that the peak is the
    copy alone rather than the copy and ``rgb``."""
    h, w = rgb.shape[:2]
    out = np.empty((h, w, 4), np.uint8)
    release = _releaser(rgb) if consume else None
    band = max(1, _BAND_BYTES // (4 * w))
    for y in range(0, h, band):
        out[y : y + band, :, :3] = rgb[y : y + band]
        out[y : y + band, :, 3] = 255
        if release is not None:
            release((y + band) * w * 3)
    return out


def _releaser(a: np.ndarray, start: int = 0):
    """``release(n)``: the whole memory pages among the bytes ``start`` to ``n`` of ``a`` given
    back to the system (``madvise(MADV_DONTNEED)``: they read as zeros after); None where that
    cannot be done (``a`` not contiguous or read-only, too small to matter, or no ``madvise``).
    Only pages inside ``a``'s own bytes are touched."""
    import ctypes
    import mmap

    advice, page = getattr(mmap, "MADV_DONTNEED", None), mmap.PAGESIZE
    if advice is None or not (a.flags.c_contiguous and a.flags.writeable) or a.nbytes < 64 * page:
        return None
    try:
        madvise = ctypes.CDLL(None, use_errno=True).madvise
    except (OSError, AttributeError):
        return None
    madvise.argtypes, madvise.restype = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int], ctypes.c_int
    first = a.ctypes.data
    done = [-(-(first + start) // page) * page]  # (the first whole page)

    def release(n: int) -> None:
        end = (first + min(n, a.nbytes)) // page * page
        if end > done[0]:
            madvise(done[0], end - done[0], advice)  # (a refusal leaves the pages as they are)
            done[0] = end

    return release


def arrange(path: str, image: Image, fmt: str):
    """The pixels as ``(Y, X[, channels])`` with straight alpha, the mode, whether the palette is used."""
    order, mode, use_palette = _layout(path, image, fmt)
    image = image.straightened()  # these formats store straight alpha
    drop = tuple(i for i in range(image.array.ndim) if i not in order)
    a = image.array.squeeze(drop) if drop else image.array
    return a.transpose([sorted(order).index(i) for i in order]), mode, use_palette


def _layout(path: str, image: Image, fmt: str):
    """The axes kept, in (Y, X[, channels]) order, the Pillow mode, and whether the palette is used."""
    count = frame_count(image)
    if count > 1:
        if fmt not in ANIMATED:
            raise UpsampleError(
                path, f"{fmt} holds one image and this is an animation of {count} frames; write .png (APNG) or "
                ".webp to keep every frame, or .tif (one page per frame)")
        return _layout(path, _frame(image, 0), fmt)
    axes, shape = image.axes, image.shape
    kept = [i for i, letter in enumerate(axes) if letter in "YX" or i == image.channel_axis or shape[i] != 1]
    letters = [axes[i] for i in kept]
    extra = [letter for letter in letters if letter not in "YXSC"]
    channel = [i for i in kept if axes[i] in "SC"]
    if extra or len(channel) > 1:
        sizes = ", ".join(f"{letter}={n}" for letter, n in zip(axes, shape))
        kind = "a stack" if "Z" in extra else "an array"
        raise UpsampleError(
            path, f"{fmt} holds 2-D images only and this is {kind} with axes {axes} ({sizes}); "
            "write a .tif or .npy instead"
        )
    order = [axes.index("Y"), axes.index("X")] + channel
    channels = shape[channel[0]] if channel else 1
    use_palette = image.palette is not None and fmt in ("PNG", "BMP")
    if use_palette:
        if fmt == "BMP" and image.palette.shape[1] == 4 and (image.palette[:, 3] < 255).any():
            raise UpsampleError(path, "BMP cannot store transparency; use .png, .webp or .tif")
        return order, "P", True
    if image.palette is not None:
        channels = image.palette.shape[1]
    mode = _mode(image, image.dtype, channels)
    if mode == "CMYK" and fmt in CMYK_AS_RGB:
        mode = "RGB"  # (converted by cmyk_as_rgb before writing)
    if fmt == "WEBP" and mode in ("L", "LA"):
        mode = _MODE_FOR_CHANNELS[channels + 2]
    if mode not in _WRITE_MODES[fmt]:
        raise UpsampleError(path, _cannot_store(fmt, mode, image.dtype, channels))
    return order, mode, False


def _mode(image: Image, dtype, channels: int) -> str:
    if dtype == np.uint8:
        if channels == 4 and image.mode == "CMYK":
            return "CMYK"
        return _MODE_FOR_CHANNELS.get(channels, f"{channels}-channel 8-bit")
    if dtype == np.uint16:
        return {1: "I;16", 2: "LA;16", 3: "RGB;16", 4: "RGBA;16"}.get(channels, f"{channels}-channel 16-bit")
    return f"{channels}-channel {dtype}"


def _cannot_store(fmt: str, mode: str, dtype, channels: int) -> str:
    if dtype != np.uint8:
        name = np.dtype(dtype).name
        what = f"{name} pixels" if channels == 1 else f"{channels}-channel {name} pixels"
        others = ".png, .tif or .npy" if dtype == np.uint16 and fmt != "PNG" else ".tif or .npy"
        return f"{fmt} cannot store {what}; use {others}"
    if mode in ("LA", "RGBA"):
        return f"{fmt} cannot store {mode} images (alpha); use .png, .webp or .tif"
    return f"{fmt} cannot store {mode} images; use .tif or .npy"


def _save_options(image: Image, pil, fmt: str, quality: Optional[int], png_level: int) -> dict:
    meta = image.metadata
    options = {}
    if meta.icc_profile and fmt in ("PNG", "JPEG", "WEBP"):
        options["icc_profile"] = meta.icc_profile
    dpi = meta.dpi()
    if dpi and fmt in ("PNG", "JPEG", "BMP"):
        options["dpi"] = dpi if fmt != "JPEG" else tuple(max(1, int(round(d))) for d in dpi)
    if meta.exif and fmt in ("PNG", "JPEG", "WEBP"):
        options["exif"] = synced_exif(meta.exif, pil.size, dpi)
    if fmt == "PNG":
        options["compress_level"] = png_level
        info = _png_info(meta)
        if info is not None:
            options["pnginfo"] = info
        if "transparency" in pil.info:
            options["transparency"] = pil.info["transparency"]
    elif fmt == "JPEG":
        options["quality"] = JPEG_QUALITY if quality is None else quality
        if options["quality"] >= 90:
            options["subsampling"] = 0  # full-resolution colour at high quality
        if "comment" in meta.text:
            options["comment"] = meta.text["comment"]
    elif fmt == "WEBP":
        if quality is None:
            options["lossless"] = True
            options["exact"] = True  # keep the colour of transparent pixels
        else:
            options["quality"] = quality
    return options


def _png_info(meta: Metadata):
    from PIL import PngImagePlugin

    if not meta.text and not meta.png_chunks:
        return None
    info = PngImagePlugin.PngInfo()
    for key, value in meta.text.items():
        if value.isascii() and key.isascii() and len(key) < 80:
            info.add_text(key, value)
        elif len(key) < 80:
            info.add_itxt(key, value)
    chunks = meta.png_chunks
    if "gamma" in chunks:
        info.add(b"gAMA", struct.pack(">I", int(round(float(chunks["gamma"]) * 100000))))
    if "srgb" in chunks:
        info.add(b"sRGB", struct.pack(">B", int(chunks["srgb"])))
    if "chromaticity" in chunks and len(chunks["chromaticity"]) == 8:
        info.add(b"cHRM", struct.pack(">8I", *(int(round(v * 100000)) for v in chunks["chromaticity"])))
    return info


def synced_exif(raw: bytes, size, dpi) -> bytes:
    """The EXIF with its pixel dimensions and resolution set to the image written."""
    from PIL import Image as PILImage

    exif = PILImage.Exif()
    try:
        exif.load(raw)
    except Exception:
        return raw
    exif.pop(_ORIENTATION, None)
    if dpi:
        for tag, value in ((0x011A, dpi[0]), (0x011B, dpi[1])):
            if tag in exif:
                exif[tag] = float(value)
    with contextlib.suppress(Exception):
        ifd = exif.get_ifd(_EXIF_IFD)
        for tag, value in ((0xA002, size[0]), (0xA003, size[1])):
            if tag in ifd:
                ifd[tag] = int(value)
    return exif.tobytes()


