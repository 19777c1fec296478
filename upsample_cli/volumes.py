"""Volumes on disk read and written a region at a time: Zarr (v2 and v3, OME-Zarr) and TIFF.

A :class:`Source` gives the header (an :class:`~upsample_cli.image.Image` without pixels: axes,
shape, dtype, metadata) and ``read(slices)``, a C-contiguous copy of one region in the file's
axes; nothing else of the file is held in memory.

- Zarr: the array itself, or an OME-Zarr group's full-resolution level (:mod:`upsample_cli.ngff`
  reads its axes, physical spacing and channels). Reads decode the chunks the region touches.
- TIFF, uncompressed and contiguous (what tifffile and ImageJ write by default): the region's
  slab of the outermost axis is memory-mapped for the read and unmapped after it.
- TIFF, compressed: the pages the region touches are decoded one by one (``whole_planes``: blocks
  should span whole planes, or a page is decoded once per block that reads it).

A :class:`ZarrSink` writes blocks into a Zarr array (or an OME-Zarr group) built in a temporary
folder next to the output and renamed onto it when every block is written, so an interrupted run
leaves nothing that looks finished. TIFF output is written by :func:`write_tiff_pages` from the
output's planes as they come.

Zarr needs the optional ``zarr`` package (``pip install zarr``, the ``zarr`` extra).
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import signal
import tempfile
import threading
from typing import Optional, Sequence, Tuple

import numpy as np

from .image import Image, Metadata, UpsampleError

ZARR_EXTRA = "reading and writing Zarr needs the zarr package: pip install zarr"
ZARR3_NEEDED = "Zarr format 3 (and OME-Zarr 0.5) needs zarr 3: pip install 'zarr>=3'"


def zarr_module():
    """The ``zarr`` package; ImportError with the extra's name when it is missing."""
    try:
        import zarr
    except ImportError:
        raise ImportError(ZARR_EXTRA) from None
    return zarr


def is_zarr(path: str) -> bool:
    """Whether ``path`` is (or, for an output, names) a Zarr store: a folder holding Zarr
    metadata, or a name ending ``.zarr``."""
    path = os.fspath(path).rstrip("/")
    if path.lower().endswith(".zarr"):
        return True
    return os.path.isdir(path) and any(
        os.path.exists(os.path.join(path, name)) for name in (".zarray", ".zgroup", "zarr.json"))


def zarr_format_of(node) -> int:
    """2 or 3: the Zarr format of an opened array or group (zarr 2 knows only 2)."""
    return int(getattr(getattr(node, "metadata", None), "zarr_format", 2) or 2)


class Source:
    """A volume on disk; see the module docstring."""

    header: Image
    whole_planes: bool = False
    zarr_format: Optional[int] = None
    ngff: Optional[dict] = None  # an OME-Zarr input's multiscale metadata (ngff.read)

    def read(self, slices: Sequence[slice]) -> np.ndarray:
        raise NotImplementedError

    def decoding(self, region: Sequence[Tuple[int, int]]) -> int:
        """Bytes held beside the region itself while it is read (decoded chunks or pages)."""
        return 0


class ZarrSource(Source):
    def __init__(self, path: str, axes: Optional[str] = None):
        from . import ngff

        zarr = zarr_module()
        self.path = path
        if not _zarr3(zarr) and _format_3_only(path):
            # zarr 2 sees no array or group in a format 3 store and would say only "nothing found".
            raise UpsampleError(path, ZARR3_NEEDED)
        try:
            node = zarr.open(store=path, mode="r")
        except Exception as e:  # zarr reports a missing or malformed store with many types
            raise UpsampleError(path, f"not a readable Zarr store ({' '.join(str(e).split()) or type(e).__name__})") \
                from None
        self.zarr_format = zarr_format_of(node)
        if hasattr(node, "shape"):
            array, metadata, names = node, Metadata(), None
        else:
            self.ngff = ngff.read(path, node)
            array, metadata, names = self.ngff["array"], self.ngff["metadata"], self.ngff["axes"]
        self.array = array
        shape, dtype = tuple(int(n) for n in array.shape), np.dtype(array.dtype)
        if dtype.kind not in "buif" or dtype.itemsize > 8:
            raise UpsampleError(path, f"pixel type {dtype} is not supported")
        letters = axes or names or {2: "YX", 3: "ZYX", 4: "CZYX", 5: "TCZYX"}.get(len(shape))
        if letters is None or len(letters) != len(shape) or "X" not in letters or "Y" not in letters:
            raise UpsampleError(path, f"Zarr array of shape {shape}: name its axes with --axes (for example ZYX)")
        self.header = Image(None, shape, dtype, letters, "ZARR", flavour="ome-zarr" if self.ngff else None,
                            metadata=metadata)

    def read(self, slices):
        return np.ascontiguousarray(self.array[tuple(slices)])

    def decoding(self, region):
        chunks = tuple(int(c) for c in self.array.chunks)
        touched = math.prod((i1 - 1) // c - i0 // c + 1 for (i0, i1), c in zip(region, chunks) if i1 > i0)
        chunk = math.prod(chunks) * self.header.dtype.itemsize
        zarr = zarr_module()
        if not _zarr3(zarr):
            # zarr 2 fetches the encoded bytes of every chunk the region touches at once, then
            # decodes them one after the other (encoded bytes are at most about a chunk's size).
            return (touched + 1) * chunk
        # zarr 3 decodes them up to its concurrency at a time, each beside its encoded bytes.
        at_once = min(touched, int(zarr.config.get("async.concurrency", 10) or 10))
        return 2 * at_once * chunk


class TiffSource(Source):
    def __init__(self, path: str, axes: Optional[str] = None):
        import tifffile

        from .formats import tiff

        self.path = path
        self.header = tiff.read(path, axes=axes, load=False)
        with tifffile.TiffFile(path) as tif:
            series = tif.series[0]
            self.offset = series.dataoffset  # None unless uncompressed and contiguous
            self.stored = np.dtype(series.dtype)
            page_shape = tuple(series.keyframe.shape)
        if self.stored == np.bool_ and self.offset is not None:
            self.offset = None  # (bits, not bytes)
        shape = self.header.shape
        page = math.prod(page_shape)
        self.leading = next((k for k in range(len(shape) + 1) if math.prod(shape[k:]) == page), None)
        self.whole_planes = self.offset is None

    def read(self, slices):
        shape = self.header.shape
        if self.offset is not None:
            first, stop, _ = slices[0].indices(shape[0])
            plane = math.prod(shape[1:]) * self.stored.itemsize
            slab = np.memmap(self.path, self.stored, "r", self.offset + first * plane, (stop - first,) + shape[1:])
            try:
                return self._native(slab[(slice(None),) + tuple(slices[1:])])
            finally:
                del slab
        import tifffile

        k = self.leading
        if k is None:
            raise UpsampleError(self.path, "TIFF pages do not tile the image; it cannot be read a region at a time")
        ranges = [range(*s.indices(n)) for s, n in zip(slices[:k], shape[:k])]
        out = np.empty([len(r) for r in ranges] + [len(range(*s.indices(n))) for s, n in zip(slices[k:], shape[k:])],
                       self.header.dtype)
        with tifffile.TiffFile(self.path) as tif:
            pages = tif.series[0].pages
            for at in np.ndindex(*[len(r) for r in ranges]):
                number = int(np.ravel_multi_index([r[i] for r, i in zip(ranges, at)], shape[:k])) if k else 0
                data = pages[number].asarray().reshape(shape[k:])
                out[at] = self._native(data[tuple(slices[k:])])
        return out

    def decoding(self, region):
        # A compressed TIFF decodes one page at a time (a mapped one reads the region in place).
        if self.offset is not None:
            return 0
        return 2 * math.prod(self.header.shape[self.leading or 0 :]) * self.header.dtype.itemsize

    def _native(self, a):
        if a.dtype == np.bool_:
            return a.astype(np.uint8) * np.uint8(255)
        return np.ascontiguousarray(a, a.dtype.newbyteorder("="))


def open_source(path: str, axes: Optional[str] = None) -> Source:
    """The :class:`Source` for ``path`` (Zarr or TIFF); UpsampleError for anything else."""
    from .formats import tiff

    if is_zarr(path):
        return ZarrSource(path, axes)
    try:
        with open(path, "rb") as f:
            head = f.read(4)
    except OSError as e:
        raise UpsampleError(path, e.strerror or str(e)) from None
    if head in tiff.MAGIC:
        return TiffSource(path, axes)
    raise UpsampleError(path, "resizing a region at a time reads Zarr and TIFF; this is neither")


class ZarrSink:
    """An output Zarr store built in a temporary folder; ``commit()`` renames it onto ``path``.

    ``arrays`` maps each array's path in the store ("" for a plain array) to ``(shape, chunks,
    dtype)``; ``attrs`` are the root group's attributes (an OME-Zarr group: ``ngff.write``)."""

    def __init__(self, path: str, arrays: dict, zarr_format: int = 2, attrs: Optional[dict] = None,
                 dimension_names=None):
        zarr = zarr_module()
        self.path = os.path.abspath(os.fspath(path).rstrip("/"))
        folder = os.path.dirname(self.path)
        if not os.path.isdir(folder):
            raise UpsampleError(path, f"folder {folder} does not exist")
        if os.path.exists(self.path) and not is_zarr(self.path):
            raise UpsampleError(path, "exists and is not a Zarr store; it is not replaced")
        version = {"zarr_format": zarr_format} if _zarr3(zarr) else {}
        if zarr_format == 3 and not version:  # (refused before the temporary folder exists)
            raise UpsampleError(path, ZARR3_NEEDED)
        self.arrays, self.tmp = {}, None
        try:
            with signals_deferred():  # (a signal inside acts once the folder's name is known)
                self.tmp = tempfile.mkdtemp(prefix=f".{os.path.basename(self.path)}.{os.getpid()}.", suffix=".part",
                                            dir=folder)
                if attrs is not None:
                    group = zarr.open_group(store=self.tmp, mode="w", **version)
                    group.attrs.update(attrs)
                for name, (shape, chunks, dtype) in arrays.items():
                    extra = {"dimension_names": dimension_names} if zarr_format == 3 and dimension_names else {}
                    self.arrays[name] = zarr.open_array(
                        store=os.path.join(self.tmp, name) if name else self.tmp, mode="w", shape=shape,
                        chunks=chunks, dtype=dtype, fill_value=0, **version, **extra)
        except BaseException:
            if self.tmp is not None:
                self.abandon()
            raise

    @classmethod
    def attach(cls, tmp: str, names) -> "ZarrSink":
        """The store being built in the folder ``tmp``, opened by another process (a cluster's
        worker) to write blocks into its arrays ``names``; that process neither commits nor abandons it."""
        zarr = zarr_module()
        sink = cls.__new__(cls)
        sink.path, sink.tmp = None, tmp
        sink.arrays = {name: zarr.open_array(store=os.path.join(tmp, name) if name else tmp, mode="r+")
                       for name in names}
        return sink

    def write(self, name: str, slices, data: np.ndarray) -> None:
        with signals_deferred():
            self.arrays[name][tuple(slices)] = data

    def commit(self) -> None:
        """The store moved onto its path (an earlier store there replaced)."""
        old = None
        if os.path.exists(self.path):
            old = self.tmp + ".old"
            os.rename(self.path, old)
        os.rename(self.tmp, self.path)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

    def abandon(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)


@contextlib.contextmanager
def signals_deferred():
    """SIGINT and SIGTERM that arrive inside take effect when it is left (main thread only).

    zarr 3 writes from an event loop in a thread of its own while the caller waits: Ctrl-C ends the
    wait but not the write, which would then land after the temporary folder is removed and bring
    it back. So a write is let finish (a block: a fraction of a second) before the signal acts."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    arrived = []
    previous = {signum: signal.signal(signum, lambda signum, frame: arrived.append(signum))
                for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for signum in dict.fromkeys(arrived):  # delivered again, to the handlers now in place
            signal.raise_signal(signum)


def _zarr3(zarr) -> bool:
    return int(zarr.__version__.split(".")[0]) >= 3


def _format_3_only(path: str) -> bool:
    """Whether the folder ``path`` holds Zarr format 3 metadata and no format 2 metadata."""
    return os.path.exists(os.path.join(path, "zarr.json")) and not any(
        os.path.exists(os.path.join(path, name)) for name in (".zarray", ".zgroup"))


def write_tiff_pages(path: str, header: Image, planes, compression: str = "deflate") -> None:
    """Write a TIFF of ``header`` (shape, axes, metadata) atomically from ``planes``, an iterator of
    its pages' arrays in file order (BigTIFF when over 2 GiB)."""
    from . import io
    from .formats import tiff

    io.atomic_write(path, lambda tmp: tiff.write(tmp, header, compression, pages=planes))


__all__ = ["Source", "ZarrSink", "ZARR_EXTRA", "is_zarr", "open_source", "write_tiff_pages", "zarr_module"]
