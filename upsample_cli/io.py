"""Read and write images and stacks, with what they are.

Layout: a 2-D image is ``(H, W, C)`` (C=1 grayscale, 2 gray+alpha, 3 RGB, 4 RGBA or CMYK);
a 3-D stack is ``(Z, Y, X)`` or ``(Z, Y, X, C)``. Pixel types are kept as stored: uint8,
uint16, float16, float32 or float64 (bilevel images become uint8 0/255).

Formats are recognised from the file's content, not its name. TIFF files go through
tifffile, which keeps every pixel type and the axes: a single image (``YX``, ``YXS``) is a
2-D image, anything with one more axis (pages, ``Z``) is a stack. Pillow reads PNG, JPEG and
BMP, and the 2-D TIFFs whose compression tifffile cannot decode without extra codecs.
Writing picks the format from the output's extension; TIFF is written by tifffile (deflate),
the others by Pillow. Each write goes to a temporary file in the target folder that replaces
the target only when complete.

Every failure is raised as :class:`UpsampleError` naming the file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

SUPPORTED_DTYPES = ("uint8", "uint16", "float16", "float32", "float64")

# Output extension -> format written.
FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".bmp": "BMP", ".tif": "TIFF", ".tiff": "TIFF"}
_PILLOW_FORMATS = {"PNG": "PNG", "JPEG": "JPEG", "MPO": "JPEG", "BMP": "BMP", "TIFF": "TIFF"}
_TIFF_MAGIC = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
# Pillow modes stored as uint8 samples, kept from read to write.
_EIGHT_BIT_MODES = ("L", "LA", "RGB", "RGBA", "CMYK", "YCbCr", "LAB", "HSV")
_MODE_FOR_CHANNELS = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}
_TIFF_PHOTOMETRIC = ("minisblack", "miniswhite", "rgb", "separated")
JPEG_QUALITY = 95


class UpsampleError(Exception):
    """A file that could not be read or written; ``str()`` is ``"<path>: <message>"``."""

    def __init__(self, path, message: str):
        super().__init__(f"{os.fspath(path)}: {message}")
        self.path = os.fspath(path)
        self.message = message


@dataclass
class Image:
    """Pixels and what they are.

    ``axes`` names the array's axes: ``"YXS"`` for a 2-D image ``(H, W, C)``, ``"ZYX"`` or
    ``"ZYXS"`` for a stack. ``mode`` is the Pillow mode the pixels had (``"RGBA"``,
    ``"I;16"``, ...), ``photometric`` the TIFF interpretation (``"rgb"``, ``"minisblack"``,
    ...); either may be None. ``metadata`` holds what is carried to the output unchanged
    (``icc_profile``, ``exif``). ``format`` is the format the file was read as.
    """

    array: np.ndarray
    axes: str
    format: str
    mode: Optional[str] = None
    photometric: Optional[str] = None
    metadata: dict = field(default_factory=dict)

    @property
    def is_stack(self) -> bool:
        return self.axes.startswith("Z")

    @property
    def channels(self) -> int:
        return self.array.shape[-1] if self.axes.endswith("S") else 1

    def describe(self) -> str:
        """A short description such as ``"256x192 RGB uint8 image"`` (sizes width first)."""
        shape = self.array.shape[: 3 if self.is_stack else 2]
        sizes = "x".join(str(n) for n in reversed(shape))
        kind = "stack" if self.is_stack else "image"
        what = self.mode or f"{self.channels}-channel"
        return f"{sizes} {what} {self.array.dtype} {kind}"


def read(path) -> Image:
    """Read the image or stack at ``path``; the format is recognised from the content."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as f:
            head = f.read(4)
    except OSError as e:
        raise UpsampleError(path, _os_message(e)) from None
    if not head:
        raise UpsampleError(path, "file is empty")
    if head in _TIFF_MAGIC:
        return _read_tiff(path)
    return _read_pillow(path)


def write(path, image: Image) -> None:
    """Write ``image`` to ``path`` in the format of its extension, atomically.

    Stacks can only be written as TIFF. JPEG is written at quality 95.
    """
    path = os.fspath(path)
    fmt = output_format(path)
    if image.is_stack and fmt != "TIFF":
        raise UpsampleError(path, "a 3-D stack can only be written as TIFF (.tif, .tiff)")
    if os.path.isdir(path):
        raise UpsampleError(path, "is a folder, not a file")
    if fmt == "TIFF":
        _atomic_write(path, lambda tmp: _write_tiff(tmp, image))
    else:
        pil = _to_pillow(path, image, fmt)
        _atomic_write(path, lambda tmp: _save_pillow(tmp, pil, fmt, image.metadata))


def output_format(path) -> str:
    """The format written for ``path``, from its extension."""
    path = os.fspath(path)
    ext = os.path.splitext(path)[1].lower()
    if ext not in FORMATS:
        accepted = ", ".join(FORMATS)
        got = f"{ext!r}" if ext else "no extension"
        raise UpsampleError(path, f"unknown output format ({got}); use one of {accepted}")
    return FORMATS[ext]


def is_same_file(a, b) -> bool:
    """Whether paths ``a`` and ``b`` name the same file (also through links)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


# --- reading ---------------------------------------------------------------------------


def _read_pillow(path: str) -> Image:
    from PIL import Image as PILImage
    from PIL import ImageOps, UnidentifiedImageError

    try:
        with PILImage.open(path) as im:
            fmt = _PILLOW_FORMATS.get(im.format)
            if fmt is None:
                raise UpsampleError(path, f"{im.format} images are not supported; expected PNG, JPEG, BMP or TIFF")
            im.load()
            # Pixels in display orientation; the orientation tag is dropped from the EXIF.
            im = ImageOps.exif_transpose(im)
            metadata = {k: im.info[k] for k in ("icc_profile", "exif") if im.info.get(k)}
            array, mode = _pillow_pixels(path, im)
    except UnidentifiedImageError:
        raise UpsampleError(path, "not a recognised image (expected PNG, JPEG, BMP or TIFF)") from None
    except UpsampleError:
        raise
    except (OSError, ValueError, SyntaxError, EOFError) as e:
        # Pillow reports truncated or corrupt data with these.
        raise UpsampleError(path, f"cannot read image data ({_reason(e)})") from None
    return Image(_native(array)[:, :, None] if array.ndim == 2 else array, "YXS", fmt, mode=mode, metadata=metadata)


def _pillow_pixels(path: str, im):
    """The pixels of a Pillow image as an array, and the mode they are written back in."""
    mode = im.mode
    if mode == "P" or mode == "PA":
        im = im.convert("RGBA" if mode == "PA" or "transparency" in im.info else "RGB")
    elif mode in ("L", "RGB") and "transparency" in im.info:
        im = im.convert({"L": "LA", "RGB": "RGBA"}[mode])  # a colour key becomes alpha
    elif mode == "1":
        im = im.convert("L")
    mode = im.mode
    if mode in _EIGHT_BIT_MODES:
        return np.asarray(im), mode
    if mode.startswith("I;16"):
        return np.asarray(im).astype(np.uint16), "I;16"
    if mode == "I":  # 16-bit PNGs in older Pillow, 32-bit integer images otherwise
        a = np.asarray(im)
        if a.size and (a.min() < 0 or a.max() > 65535):
            raise UpsampleError(path, "32-bit integer pixels are not supported")
        return a.astype(np.uint16), "I;16"
    if mode == "F":
        return np.asarray(im), mode
    raise UpsampleError(path, f"Pillow mode {mode!r} is not supported")


def _read_tiff(path: str) -> Image:
    import tifffile

    try:
        with tifffile.TiffFile(path) as tif:
            series = tif.series[0]
            axes, dtype = series.axes, series.dtype
            page = series.keyframe
            photometric = page.photometric.name.lower()
            order, layout = _tiff_layout(path, axes)
            if layout == "YXS" and (photometric == "palette" or dtype == np.bool_):
                return _read_pillow(path)  # Pillow expands the palette, or makes bilevel 8-bit
            if photometric == "palette":
                raise UpsampleError(path, "palette-colour TIFF stacks are not supported")
            try:
                data = series.asarray()
            except ValueError as e:
                if "imagecodecs" in str(e) and layout == "YXS":
                    return _read_pillow_tiff(path, dtype)
                raise UpsampleError(path, f"cannot decode TIFF ({_reason(e)})") from None
            icc = page.tags.valueof(34675)  # InterColorProfile
    except UpsampleError:
        raise
    except Exception as e:  # tifffile reports malformed files with many exception types
        raise UpsampleError(path, f"not a readable TIFF ({_reason(e)})") from None
    if data.dtype == np.bool_:
        data = data.astype(np.uint8) * 255
    if data.dtype.name not in SUPPORTED_DTYPES:
        raise UpsampleError(path, _dtype_message(data.dtype))
    data = _native(data.reshape(series.shape).transpose(order))
    if layout == "YXS" and data.ndim == 2:
        data = data[:, :, None]
    if photometric not in _TIFF_PHOTOMETRIC:
        photometric = None
    metadata = {"icc_profile": bytes(icc)} if icc else {}
    mode = _MODE_FOR_CHANNELS.get(data.shape[-1]) if layout == "YXS" and data.dtype == np.uint8 else None
    if layout == "YXS" and data.dtype == np.uint16 and data.shape[-1] == 1:
        mode = "I;16"
    return Image(data, layout, "TIFF", mode=mode, photometric=photometric, metadata=metadata)


def _tiff_layout(path: str, axes: str):
    """The transpose that brings tifffile's ``axes`` into our layout, and that layout's axes."""
    if "Y" not in axes or "X" not in axes:
        raise UpsampleError(path, f"TIFF axes {axes!r} have no Y and X")
    channel = [i for i, a in enumerate(axes) if a in "SC"]
    depth = [i for i, a in enumerate(axes) if a not in "YXSC"]
    if len(channel) > 1 or len(depth) > 1:
        raise UpsampleError(
            path, f"TIFF axes {axes!r} are not supported; expected YX, YXS (image), ZYX or ZYXS (stack)"
        )
    order = depth + [axes.index("Y"), axes.index("X")] + channel
    layout = ("Z" if depth else "") + "YX" + ("S" if channel or not depth else "")
    return order, layout


def _read_pillow_tiff(path: str, dtype) -> Image:
    image = _read_pillow(path)
    if image.array.dtype != dtype:
        raise UpsampleError(
            path, f"this compressed {dtype} TIFF needs the 'imagecodecs' package to be read without loss"
        )
    return image


# --- writing ---------------------------------------------------------------------------


def _write_tiff(tmp: str, image: Image) -> None:
    import tifffile

    data, axes = image.array, image.axes
    channels = image.channels
    photometric = image.photometric
    if photometric == "rgb" and channels < 3 or photometric == "separated" and channels < 4:
        photometric = None
    if photometric is None:
        if image.mode == "CMYK":
            photometric = "separated"
        elif channels in (3, 4) and image.mode not in ("LA",):
            photometric = "rgb"
        else:
            photometric = "minisblack"
    base = {"rgb": 3, "separated": 4}.get(photometric, 1)
    kwargs = {}
    if channels == 1 and axes.endswith("S"):
        data, axes = data[..., 0], axes[:-1]
    elif channels > 1:
        kwargs["planarconfig"] = "contig"
        extra = channels - base
        if extra:
            alpha = image.mode in ("LA", "RGBA") or channels in (2, 4) and photometric != "separated"
            kwargs["extrasamples"] = ["unassalpha" if alpha else "unspecified"] + ["unspecified"] * (extra - 1)
    if image.metadata.get("icc_profile"):
        kwargs["iccprofile"] = image.metadata["icc_profile"]
    tifffile.imwrite(
        tmp, data, photometric=photometric, compression="zlib", metadata={"axes": axes}, **kwargs
    )


def _to_pillow(path: str, image: Image, fmt: str):
    from PIL import Image as PILImage

    a = image.array
    h, w, c = a.shape
    if a.dtype == np.uint8:
        keep = image.mode in _EIGHT_BIT_MODES and PILImage.getmodebands(image.mode) == c
        mode = raw = image.mode if keep else _MODE_FOR_CHANNELS.get(c)
    elif a.dtype == np.uint16 and c == 1:
        mode, raw, a = "I;16", "I;16", a.astype("<u2")
    elif a.dtype == np.float32 and c == 1:
        mode = raw = "F"
    else:
        mode = None
    if mode is None:
        raise UpsampleError(path, f"{fmt} cannot store {c}-channel {a.dtype} images; write a .tif instead")
    return PILImage.frombytes(mode, (w, h), np.ascontiguousarray(a).tobytes(), "raw", raw)


def _save_pillow(tmp: str, pil, fmt: str, metadata: dict) -> None:
    options = {}
    if fmt in ("PNG", "JPEG"):
        options.update({k: v for k, v in metadata.items() if k in ("icc_profile", "exif")})
    if fmt == "JPEG":
        options["quality"] = JPEG_QUALITY
    pil.save(tmp, format=fmt, **options)


def _atomic_write(path: str, writer) -> None:
    """Run ``writer(tmp)`` on a temporary file next to ``path``, then move it onto ``path``."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise UpsampleError(path, f"folder {folder} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".part", dir=folder)
    except OSError as e:
        raise UpsampleError(path, f"cannot write in {folder}: {_os_message(e)}") from None
    try:
        os.close(fd)
        writer(tmp)
        os.chmod(tmp, _new_file_mode(path))
        os.replace(tmp, path)
    except BaseException as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(e, UpsampleError):
            raise
        if isinstance(e, OSError) and str(e).startswith("cannot write mode"):
            # Pillow's "cannot write mode RGBA as JPEG"
            raise UpsampleError(path, f"{e}; choose another output format (.tif keeps every mode)") from None
        if isinstance(e, (OSError, ValueError, TypeError, KeyError)):
            raise UpsampleError(path, f"cannot write ({_reason(e)})") from None
        raise


def _new_file_mode(path: str) -> int:
    """The permissions of the file replaced, or those a new file gets under the umask."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


# --- helpers ---------------------------------------------------------------------------


def _native(a: np.ndarray) -> np.ndarray:
    return a if a.dtype.isnative else a.astype(a.dtype.newbyteorder("="))


def _dtype_message(dtype) -> str:
    return f"pixel type {np.dtype(dtype).name} is not supported; expected one of {', '.join(SUPPORTED_DTYPES)}"


def _os_message(e: OSError) -> str:
    if isinstance(e, FileNotFoundError):
        return "no such file"
    if isinstance(e, IsADirectoryError):
        return "is a folder, not a file"
    if isinstance(e, PermissionError):
        return "permission denied"
    return e.strerror or str(e)


def _reason(e: BaseException) -> str:
    text = " ".join(str(e).split())
    return text or type(e).__name__
