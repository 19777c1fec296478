"""TIFF through tifffile: single images, multi-page stacks, ImageJ hyperstacks and OME-TIFF.

The array keeps the axes of the file's first (and only) series: ``YX``, ``YXS``, ``ZYX``,
``TZCYX``, ``CZYX``, ... A plain multi-page file, whose pages tifffile calls ``I``, is a
``Z`` stack. ``axes`` (``--axes``) renames the axes the file states.

Metadata read and written back: the resolution tags, the ICC profile, ImageJ's spacing, unit
and display settings (hyperstacks stay hyperstacks), OME's physical sizes, time increment,
channel and image names (OME stays OME), extra samples (alpha), the palette.

TIFFs whose compression tifffile cannot decode without the optional ``imagecodecs`` package
(LZW, JPEG, PackBits) are decoded by Pillow's libtiff, page by page.
"""

from __future__ import annotations

import contextlib
import logging
import math
import xml.etree.ElementTree as ElementTree
from typing import Optional

import numpy as np

from ..errors import text_of
from ..image import Image, LENGTH_IN_INCHES, Metadata, Refused, SettingsError, UpsampleError, check_axes

MAGIC = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
COMPRESSION = {"deflate": "zlib", "lzma": "lzma", "none": None}  # defaults.TIFF_COMPRESSIONS
_IMAGEJ_KEPT = ("unit", "finterval", "fps", "loop", "mode", "min", "max", "Ranges", "LUTs", "Info")
_IMAGEJ_DTYPES = ("uint8", "uint16", "float32")
_RESOLUTION_UNITS = {1: "none", 2: "inch", 3: "cm"}
_EXTRA_ALPHA = {1: True, 2: False}  # EXTRASAMPLE: associated (premultiplied), unassociated
# Pages read from one file: a stack of 2^20 slices is far beyond the pixel limit's 512^2 x 1024.
MAX_PAGES = 1 << 20
_PIXEL_TYPES = "bool, uint8-64, int8-64, float16-64"


@contextlib.contextmanager
def _quiet_tifffile():
    """tifffile logs what it repairs; this module reports problems itself, on one line."""
    logger = logging.getLogger("tifffile")
    saved = logger.disabled
    logger.disabled = True
    try:
        yield
    finally:
        logger.disabled = saved


# Compressed bytes tifffile reads from the file at once. Its default (256 MiB) holds a whole
# compressed image beside the decoded one (a 3000^2 RGB deflate TIFF peaked at 2.9 times its
# pixels, 1.4 with this), for no gain in time: the strips are decoded a few at a time anyway.
READ_BUFFER_BYTES = 1 << 22


def read(path: str, *, axes: Optional[str] = None, before_load=None, load: bool = True) -> Image:
    """Read ``path``; ``before_load(header)`` runs before any pixel is decoded."""
    import tifffile

    try:
        with _quiet_tifffile(), tifffile.TiffFile(path) as tif:
            header, series = _header(path, tif, axes)
            if before_load is not None:
                before_load(header)
            if not load:
                return header
            _check_data_within_file(path, tif, series)
            try:
                data = series.asarray(buffersize=READ_BUFFER_BYTES)
            except (ValueError, KeyError) as e:
                if "imagecodecs" not in str(e):
                    raise
                data = _read_with_pillow(path, header)
    except (UpsampleError, Refused):
        raise
    except MemoryError:
        raise UpsampleError(path, "not enough memory to decode this TIFF") from None
    except Exception as e:  # tifffile reports malformed files with many exception types
        raise UpsampleError(path, f"not a readable TIFF ({text_of(e)})") from None
    if data.size != int(np.prod(header.shape, dtype=np.int64)):
        raise UpsampleError(
            path, f"decoded {data.size:,} values where the header says {'x'.join(map(str, header.shape))}: corrupt TIFF"
        )
    data = data.reshape(header.shape)
    if data.dtype == np.bool_:
        data = data.astype(np.uint8) * np.uint8(255)  # bilevel: black and white as 0 and 255
    if not data.dtype.isnative:
        data = data.astype(data.dtype.newbyteorder("="))
    return header.with_array(data)


def _header(path: str, tif, axes_override: Optional[str]):
    # The page chain is walked first, once: tifffile's walk (linear, bounded by the file's size)
    # stops at a page seen before, while a series built over a chain not yet walked can go round
    # a damaged one for minutes.
    if len(tif.pages) > MAX_PAGES:
        raise UpsampleError(path, f"TIFF has more than {MAX_PAGES:,} pages; a damaged page chain?")
    if not tif.series:
        raise UpsampleError(path, "TIFF holds no image")
    if len(tif.series) > 1:
        shapes = ", ".join(f"{s.axes} {tuple(s.shape)} {s.dtype}" for s in tif.series[:4])
        raise UpsampleError(
            path,
            f"TIFF holds {len(tif.series)} images whose pages do not match ({shapes}); "
            "only files with one image or one stack are supported",
        )
    series = tif.series[0]
    page = series.keyframe
    shape, dtype = tuple(int(n) for n in series.shape), np.dtype(series.dtype)
    if dtype.kind not in "buif" or dtype.itemsize > 8:
        raise UpsampleError(path, f"pixel type {dtype} is not supported; expected {_PIXEL_TYPES}")
    if 0 in shape:
        raise UpsampleError(path, f"image has no pixels (shape {shape})")
    axes = _normalised_axes(series.axes)
    if axes_override is not None:
        try:
            axes = check_axes(axes_override, len(shape))
        except ValueError as e:
            raise SettingsError(f"{path}: --axes {e}") from None
    elif "Y" not in axes or "X" not in axes:
        raise UpsampleError(path, f"TIFF axes {series.axes!r} have no Y and X; give them with --axes")
    flavour = "imagej" if tif.is_imagej else "ome" if tif.is_ome else "shaped" if tif.is_shaped else None
    photometric = page.photometric.name.lower()
    palette = None
    if photometric == "palette" and page.colormap is not None:
        palette = (np.asarray(page.colormap).T >> 8).astype(np.uint8)
    alpha, premultiplied = None, False
    extras = tuple(int(e) for e in (page.extrasamples or ()))
    samples = shape[axes.index("S")] if "S" in axes else 1
    if extras and extras[0] in _EXTRA_ALPHA and "S" in axes:
        alpha, premultiplied = samples - len(extras), _EXTRA_ALPHA[extras[0]]
    bilevel = dtype == np.bool_
    if bilevel:
        dtype = np.dtype(np.uint8)
    mode = None
    if bilevel and "S" not in axes and "C" not in axes:
        mode = "1"  # read as 0/255, written back as 1-bit while it stays black and white
    elif dtype == np.uint8 and set(axes) <= set("YXS") and palette is None:
        modes = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}
        mode = "CMYK" if photometric == "separated" and samples == 4 else modes.get(samples)
    elif dtype == np.uint16 and axes == "YX":
        mode = "I;16"
    header = Image(
        None, shape, dtype, axes, "TIFF", flavour=flavour, mode=mode, photometric=photometric,
        alpha=alpha, premultiplied=premultiplied, palette=palette, metadata=_metadata(tif, page, flavour),
    )
    return header, series


def _normalised_axes(axes: str) -> str:
    """tifffile's axes with a generic page sequence (``I``, ``Q``) named ``Z`` when there is no Z."""
    if "Z" not in axes:
        for generic in "IQ":
            if generic in axes:
                return axes.replace(generic, "Z", 1)
    return axes


def _check_data_within_file(path: str, tif, series) -> None:
    """Refuse files whose strips or tiles point past the end, before reading any of them."""
    size = tif.filehandle.size
    for page in series.pages:
        if page is None:
            continue
        for offset, count in zip(page.dataoffsets or (), page.databytecounts or ()):
            if offset + count > size:
                raise UpsampleError(
                    path, f"pixel data at byte {offset}+{count} lies past the end of the file ({size} bytes): "
                    "truncated or corrupt TIFF"
                )


def _read_with_pillow(path: str, header: Image) -> np.ndarray:
    """Decode every page with Pillow (libtiff), for compressions tifffile needs imagecodecs for."""
    from PIL import Image as PILImage
    from PIL import ImageSequence

    from .pillow import own_pixel_limit, pixels_of

    pages = []
    with own_pixel_limit(), PILImage.open(path) as im:
        for frame in ImageSequence.Iterator(im):
            pages.append(pixels_of(frame))
    data = np.stack(pages) if len(pages) > 1 else pages[0]
    if data.dtype != header.dtype or data.size != int(np.prod(header.shape)):
        raise UpsampleError(
            path, f"this compressed {header.dtype} TIFF needs the 'imagecodecs' package to be read without loss"
        )
    return data


def _metadata(tif, page, flavour) -> Metadata:
    icc = page.tags.valueof(34675)  # InterColorProfile
    resolution, unit = None, None
    tags = page.tags
    meta = (tif.imagej_metadata or {}) if flavour == "imagej" else {}
    if tags.get(282) is not None and tags.get(283) is not None:
        x, y = page.resolution
        unit = _RESOLUTION_UNITS.get(int(page.resolutionunit), "none")
        # 1 x 1 with no unit says nothing, unless ImageJ names the unit (a 1-unit pixel)
        if x > 0 and y > 0 and not (unit == "none" and (x, y) == (1, 1) and not meta.get("unit")):
            resolution = (float(x), float(y))
        else:
            unit = None
    spacing, imagej, ome = {}, {}, {}
    if flavour == "imagej":
        imagej = {k: meta[k] for k in _IMAGEJ_KEPT if k in meta}
        if resolution is not None and meta.get("unit"):
            unit = str(meta["unit"])
        if meta.get("spacing"):
            spacing["Z"] = (float(meta["spacing"]), str(meta["unit"]) if meta.get("unit") else None)
    elif flavour == "ome":
        spacing, ome = _ome_metadata(tif.ome_metadata)
    elif flavour == "shaped":
        shaped = (tif.shaped_metadata or [{}])[0] or {}
        for axis, value in (shaped.get("spacing") or {}).items():
            with contextlib.suppress(TypeError, ValueError, IndexError):
                spacing[str(axis)] = (float(value[0]), value[1] if len(value) > 1 else None)
    return Metadata(
        icc_profile=bytes(icc) if icc else None,
        resolution=resolution,
        resolution_unit=unit,
        spacing=spacing,
        imagej=imagej,
        ome=ome,
    )


def _ome_metadata(xml: Optional[str]):
    """Physical sizes (as spacing) and what else is kept from the first OME image."""
    spacing, kept = {}, {}
    if not xml:
        return spacing, kept
    try:
        root = ElementTree.fromstring(xml)
    except ElementTree.ParseError:
        return spacing, kept
    image = next((e for e in root.iter() if e.tag.rsplit("}", 1)[-1] == "Image"), None)
    if image is None:
        return spacing, kept
    pixels = next((e for e in image if e.tag.rsplit("}", 1)[-1] == "Pixels"), None)
    if image.get("Name"):
        kept["Name"] = image.get("Name")
    if pixels is None:
        return spacing, kept
    for axis in "XYZ":
        size = pixels.get(f"PhysicalSize{axis}")
        if size is not None:
            with contextlib.suppress(ValueError):
                spacing[axis] = (float(size), pixels.get(f"PhysicalSize{axis}Unit", "µm"))
    if pixels.get("TimeIncrement") is not None:
        with contextlib.suppress(ValueError):
            kept["TimeIncrement"] = float(pixels.get("TimeIncrement"))
            if pixels.get("TimeIncrementUnit"):
                kept["TimeIncrementUnit"] = pixels.get("TimeIncrementUnit")
    names = [c.get("Name") for c in pixels if c.tag.rsplit("}", 1)[-1] == "Channel"]
    if names and all(names):
        kept["Channel"] = {"Name": names}
    return spacing, kept


# --- writing ---------------------------------------------------------------------------


def write(tmp: str, image: Image, compression: str = "deflate", pages=None) -> None:
    """Write ``image`` to the file ``tmp``; ImageJ and OME files are written back as such.

    ``pages``: an iterator of the pages' arrays in file order, written as they come, instead of
    ``image.array`` (BigTIFF when the data pass 2 GiB)."""
    import tifffile

    if image.palette is not None and image.palette.shape[1] == 4 and (image.palette[:, 3] < 255).any():
        image = image.expanded()  # a TIFF palette has no transparency
    data, axes = image.array, image.axes
    kwargs = _layout(image)
    if pages is not None:
        if "transpose" in kwargs:
            raise ValueError(f"axes {axes} are written to TIFF transposed; write this image at once")
        data = pages
        kwargs.update(shape=image.shape, dtype=image.dtype)
        if math.prod(image.shape) * image.dtype.itemsize > 2**31 - 2**25:
            kwargs["bigtiff"] = True
    elif image.mode == "1" and data.dtype == np.uint8 and _black_and_white(data):
        data = data != 0  # 1-bit, as read (a resize that made grays keeps them in 8 bits)
    if "transpose" in kwargs:
        order = kwargs.pop("transpose")
        data, axes = data.transpose(order), "".join(axes[i] for i in order)
    kwargs["compression"] = COMPRESSION[compression]
    meta = image.metadata
    if meta.icc_profile:
        kwargs["iccprofile"] = meta.icc_profile
    with _quiet_tifffile():
        if image.flavour == "imagej" and _imagej_compatible(image.dtype, axes, kwargs):
            with contextlib.suppress(ValueError):
                tifffile.imwrite(tmp, data, imagej=True, **_imagej_options(meta, axes), **kwargs)
                return
        if image.flavour == "ome":
            with contextlib.suppress(ValueError, TypeError, KeyError):
                tifffile.imwrite(tmp, data, ome=True, **_ome_options(meta, axes), **kwargs)
                return
        shaped = {"axes": axes}
        if meta.spacing:
            shaped["spacing"] = {a: [size, unit] for a, (size, unit) in meta.spacing.items()}
        tifffile.imwrite(tmp, data, metadata=shaped, **_resolution(meta), **kwargs)


def _black_and_white(data: np.ndarray) -> bool:
    """Whether every value of the uint8 ``data`` is 0 or 255 (checked in bands: no full-size copy)."""
    flat = data.reshape(-1)
    band = 1 << 22
    return all(np.isin(flat[i : i + band], (0, 255)).all() for i in range(0, flat.size, band))


def _layout(image: Image) -> dict:
    """photometric, planar configuration, extra samples and colormap for ``image``."""
    axes, shape = image.axes, image.shape
    if image.palette is not None and image.dtype == np.uint8 and "S" not in axes:
        colormap = np.zeros((3, 256), np.uint16)
        colormap[:, : len(image.palette)] = image.palette[:256, :3].T.astype(np.uint16) * 257
        return {"photometric": "palette", "colormap": colormap}
    sample = axes.index("S") if "S" in axes else (len(axes) - 1 if axes.endswith("C") else None)
    kwargs = {}
    gray = "miniswhite" if image.photometric == "miniswhite" else "minisblack"
    if sample is None:
        kwargs["photometric"] = gray
        return kwargs
    n = shape[sample]
    if sample != len(axes) - 1 and not (axes[sample + 1 :] == "YX"):
        kwargs["transpose"] = [i for i in range(len(axes)) if i != sample] + [sample]
        sample = len(axes) - 1
    kwargs["planarconfig"] = "contig" if sample == len(axes) - 1 else "separate"
    if n >= 4 and (image.photometric == "separated" or image.mode == "CMYK"):
        photometric, base = "separated", 4
    elif n >= 3 and axes[sample] == "S" and image.photometric in (None, "rgb", "ycbcr") and image.mode != "LA":
        photometric, base = "rgb", 3
    else:
        photometric, base = gray, 1
    kwargs["photometric"] = photometric
    if n > base:
        extras = ["unspecified"] * (n - base)
        if image.alpha is not None and image.alpha >= base:
            extras[image.alpha - base] = "assocalpha" if image.premultiplied else "unassalpha"
        kwargs["extrasamples"] = extras
    return kwargs


def _resolution(meta: Metadata) -> dict:
    if meta.resolution is None:
        return {}
    unit = meta.resolution_unit or "none"
    x, y = meta.resolution
    if unit in ("inch", "cm", "none"):
        return {"resolution": (x, y), "resolutionunit": {"inch": "INCH", "cm": "CENTIMETER", "none": "NONE"}[unit]}
    if unit in LENGTH_IN_INCHES:  # e.g. ImageJ's micron: pixels per centimetre
        factor = LENGTH_IN_INCHES["cm"] / LENGTH_IN_INCHES[unit]
        return {"resolution": (x * factor, y * factor), "resolutionunit": "CENTIMETER"}
    return {"resolution": (x, y), "resolutionunit": "NONE"}


def _imagej_compatible(dtype, axes: str, kwargs: dict) -> bool:
    if np.dtype(dtype).name not in _IMAGEJ_DTYPES or kwargs.get("photometric") == "palette":
        return False
    order = "TZCYXS"
    return all(a in order for a in axes) and list(axes) == sorted(axes, key=order.index)


def _imagej_options(meta: Metadata, axes: str) -> dict:
    metadata = {"axes": axes, **{k: v for k, v in meta.imagej.items() if k != "unit"}}
    unit = meta.imagej.get("unit")
    options = {}
    if meta.resolution is not None:
        options["resolution"] = meta.resolution
        if meta.resolution_unit not in (None, "none", "inch", "cm"):
            unit = meta.resolution_unit
    if "Z" in meta.spacing:
        size, z_unit = meta.spacing["Z"]
        metadata["spacing"] = size
        unit = unit or z_unit
    if unit:
        metadata["unit"] = unit
    options["metadata"] = metadata
    return options


def _ome_options(meta: Metadata, axes: str) -> dict:
    metadata = {"axes": axes, **meta.ome}
    for axis, (size, unit) in meta.spacing.items():
        metadata[f"PhysicalSize{axis}"] = size
        if unit:
            metadata[f"PhysicalSize{axis}Unit"] = unit
    return {"metadata": metadata, **_resolution(meta)}


