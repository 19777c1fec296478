"""A volume resized block by block, in bounded memory, with the numbers of the resize at once.

The output is cut into blocks. For the torch convention each block's taps name the input region
it reads (:mod:`upsample_cli.blocks`): only that region is read from the file (Zarr, or TIFF:
:mod:`upsample_cli.volumes`), the engine's plan for the whole volume runs on it with the block's
rows of each table, and the block is written at once: a Zarr chunk, or the next pages of a TIFF.
The result equals the in-memory resize bit for bit, in every torch mode. The other conventions
resize each 2-D slice on its own, so their blocks are slabs of whole slices, resized as the file
pipeline resizes them: the same numbers too.

Memory. ``memory`` bounds the working set: a block's region as read and as the engine takes it,
the engine's passes (two arrays at a time, in its float type) and the block's output. Blocks are
halved along their longest axis (a Zarr output) or from the outermost axis in (a TIFF output,
written page after page) until that estimate fits. A Zarr output's chunks are the blocks, or a
part of them no larger than ``CHUNK`` samples an axis (so other readers need not load a block).
"""

from __future__ import annotations

import itertools
import math
import sys
from dataclasses import dataclass, replace
from typing import Dict, Optional, Tuple

import numpy as np

from . import blocks, registry
from .image import UpsampleError, physical_memory
from .pipeline import Settings, header_array, to_batch
from .spacing import SpacingError, physical_spacing
from .volumes import Source, ZarrSink, is_zarr, open_source, write_tiff_pages

# The largest Zarr chunk written along one axis (Z, and any other axis: CHUNK_DEPTH).
CHUNK = 256
CHUNK_DEPTH = 64


def default_memory() -> int:
    """The working set allowed when ``--memory`` is not given: a quarter of this machine's memory."""
    total = physical_memory()
    return max(64 << 20, (total or 8 << 30) // 4)


@dataclass(frozen=True)
class ChunkedResize:
    """``ChunkedResize(settings, memory=...)(src, dst)``: resize the volume at ``src`` into ``dst``
    (Zarr, OME-Zarr or TIFF) block by block; returns the input's and the output's shapes.

    ``ngff``: the OME-Zarr version written (``"0.4"`` or ``"0.5"``) when ``dst`` is OME-Zarr;
    default the input's, else 0.4. ``progress``: a tqdm bar of blocks on stderr."""

    settings: Settings
    memory: Optional[int] = None
    axes: Optional[str] = None
    compression: str = "deflate"
    ngff: Optional[str] = None
    progress: bool = True
    client: object = None  # a distributed.Client: the blocks of a Zarr output are written by its workers

    def __call__(self, src: str, dst: str):
        recipe = Recipe(src, self.axes, self.settings)
        (volume,) = recipe.volumes()
        if is_zarr(dst):
            write_zarr(volume, dst, self.memory or default_memory(), ngff=self.ngff, progress=self.progress,
                       cluster=_cluster(self.client, recipe))
        elif self.client is not None:
            raise UpsampleError(dst, "a TIFF is written page after page by one process; write Zarr on a cluster")
        else:
            volume.write_tiff(dst, self.memory or default_memory(), self.compression, self.progress)
        return volume.source.header.shape, volume.shape


@dataclass(frozen=True)
class Recipe:
    """How the volumes written to one output are made: from ``src`` with ``settings`` or, with a
    ``factor``, a pyramid of ``levels`` (the input copied, then each level resized by ``1 / factor``
    from the one before, with ``settings``' mode). A few hundred bytes: what a cluster's worker
    gets to make the same volumes, their plans and tables, from the same files."""

    src: str
    axes: Optional[str]
    settings: Settings
    levels: int = 1
    factor: Optional[float] = None
    dst: str = ""  # the pyramid's path, which names its levels in messages

    def volumes(self) -> list:
        from .sizes import Scale

        source = open_source(self.src, self.axes)
        if self.factor is None:
            return [Volume(source, self.settings)]
        spatial = sum(a in source.header.axes for a in "XYZ")
        steps = [Volume(source, replace(self.settings, target=Scale((1.0,) * spatial), mode=None, convention="torch",
                                        antialias=False, align_corners=False))]
        shrink = replace(self.settings, target=Scale((1.0 / self.factor,) * spatial))
        for n in range(1, self.levels):
            level_source = LevelSource(steps[-1].header, f"{self.dst} level {n - 1}")
            level_source.name = str(n)
            steps.append(Volume(level_source, shrink))
        return steps


def _cluster(client, recipe: Recipe):
    if client is None:
        return None
    from .cluster import ClusterBlocks

    return ClusterBlocks(client, recipe)


class Volume:
    """A source and the settings of its resize: the output's header and each block's pixels."""

    def __init__(self, source, settings: Settings, align_corners: Optional[bool] = None):
        from . import pipeline

        self.source = source
        image = source.header
        try:
            image, settings, p = pipeline.plan(image, settings)
        except (ValueError, TypeError) as e:
            from .image import SettingsError

            raise SettingsError(f"{_name(source)}: {e}") from None
        except SpacingError as e:
            raise UpsampleError(_name(source), str(e)) from None
        if source.header.palette is not None and image.palette is None:
            raise UpsampleError(_name(source), "palette images are resized a region at a time only by nearest modes")
        self.image, self.settings, self.plan = image, settings, p
        self.shape = p.shape
        self.header = replace(image, array=None, shape=p.shape, metadata=p.metadata(image.metadata))
        axes = image.axes
        call = p.work
        premultiplied = (settings.premultiply_alpha and image.alpha is not None and not image.premultiplied
                         and not settings.spec.copies_pixels)
        engine = getattr(call, "axes", None) is not None and not premultiplied
        if engine:
            dtype = _engine_dtype(image.dtype)
            fake = header_array(image.shape, dtype)
            view, _ = to_batch(fake, axes, call.axes, channels_last=False)
            from .api import plan_of

            self.engine = plan_of(view, **call.arguments(), mode=call.mode,
                                  align_corners=True if settings.align_corners else None,
                                  antialias=settings.antialias)
            self.call = call
            self.splittable = "".join(a for a in axes if a not in "CS")
        else:  # slabs of whole slices, resized as the file pipeline resizes them
            if "Z" in axes and self.shape[axes.index("Z")] != image.shape[axes.index("Z")]:
                raise UpsampleError(_name(source), "alpha volumes whose depth changes are resized in memory only")
            self.engine = None
            self.splittable = "".join(a for a in axes if a not in "CSYX")
        if source.whole_planes:
            self.splittable = "".join(a for a in self.splittable if a not in "YX")

    # --- regions -------------------------------------------------------------------------

    def region(self, block: Dict[str, Tuple[int, int]]) -> Dict[str, Tuple[int, int]]:
        """The input samples ``{axis: (i0, i1)}`` the output block reads."""
        needed = dict(block)
        if self.engine is not None:
            spatial = {2 + i: block[a] for i, a in enumerate(self.call.axes)}
            got = blocks.region(self.engine, spatial)
            needed.update({a: got[2 + i] for i, a in enumerate(self.call.axes)})
        else:
            for a in "YX":
                needed[a] = (0, self.image.size(a))
        return needed

    def compute(self, block: Dict[str, Tuple[int, int]]) -> np.ndarray:
        """The output block's pixels, in the file's axes and dtype."""
        from .rounding import round_clamp

        axes = self.image.axes
        needed = self.region(block)
        x = self.source.read([slice(*needed[a]) for a in axes])
        if self.engine is None:
            from .pipeline import resize_image

            sub = self.image.with_array(x)
            return np.ascontiguousarray(resize_image(sub, self.settings).array)
        x = _engine_input(x)
        view, back = to_batch(x, axes, self.call.axes, channels_last=False)
        spatial = {2 + i: block[a] for i, a in enumerate(self.call.axes)}
        out = back(blocks.run(self.engine, view, spatial))
        return np.ascontiguousarray(round_clamp(out, self.image.dtype, in_place=True))

    def working_set(self, block_shape, writing: int = 0) -> int:
        """Estimated bytes in use while one block of ``block_shape`` (file axes) is made, and
        written by a writer that holds ``writing`` times the block's bytes meanwhile."""
        axes = self.image.axes
        block = {a: (0, n) for a, n in zip(axes, block_shape)}
        if self.engine is not None:  # the region of a block in the middle (its halo at both ends)
            for a, n in zip(axes, block_shape):
                if a in self.call.axes:
                    full = self.shape[axes.index(a)]
                    start = max(0, min(full - n, (full - n) // 2))
                    block[a] = (start, start + n)
        needed = self.region(block)
        region = math.prod(i1 - i0 for i0, i1 in needed.values())
        out = math.prod(block_shape)
        item = self.image.dtype.itemsize
        float_size = 8 if self.image.dtype.itemsize >= 8 else 4
        decoding = self.source.decoding([needed[a] for a in axes])
        return decoding + 2 * region * item + 2 * max(region, out) * float_size + (2 + writing) * out * item

    def block_shape(self, memory: int, outer_first: bool, writing: int = 0) -> Tuple[int, ...]:
        """The largest block (output samples along the file's axes) whose working set fits ``memory``."""
        axes = self.image.axes
        shape = list(self.shape)
        while self.working_set(shape, writing) > memory:
            cut = [i for i, a in enumerate(axes) if a in self.splittable and shape[i] > 1]
            if not cut:
                raise UpsampleError(
                    _name(self.source),
                    f"--memory {_size(memory)} is below the working set of the smallest block "
                    f"({_size(self.working_set(shape, writing))}); give more"
                    + (" or write Zarr (its blocks need not hold whole planes)" if "Y" not in self.splittable else ""),
                )
            i = cut[0] if outer_first else max(cut, key=lambda c: shape[c])
            shape[i] = -(-shape[i] // 2)
        return tuple(shape)

    def blocks(self, block_shape):
        """The blocks covering the output, in file order: ``{axis: (o0, o1)}``."""
        axes = self.image.axes
        spans = [[(s, min(s + b, n)) for s in range(0, n, b)] for n, b in zip(self.shape, block_shape)]
        for combo in itertools.product(*spans):
            yield dict(zip(axes, combo))

    def count(self, block_shape) -> int:
        return math.prod(-(-n // b) for n, b in zip(self.shape, block_shape))

    # --- TIFF out ------------------------------------------------------------------------

    def write_tiff(self, dst: str, memory: int, compression: str, progress: bool) -> None:
        """The output written to the TIFF ``dst``, page after page (blocks of whole planes)."""
        self.splittable = "".join(a for a in self.splittable if a not in "YX")
        shape = self.block_shape(memory, outer_first=True)
        axes = self.image.axes
        tail = len(axes) - max(i for i, a in enumerate(axes) if a in "YX") - 1  # (S after X: part of a page)
        lead = len(axes) - 2 - tail
        bar = _bar(self.count(shape), progress)

        def planes():
            for block in self.blocks(shape):
                out = self.compute(block)
                for at in np.ndindex(*out.shape[:lead]):
                    yield out[at]
                bar.update(1)

        try:
            write_tiff_pages(dst, self.header, planes(), compression)
        finally:
            bar.close()


# A Zarr array being written holds about four times the bytes written (each chunk copied, encoded,
# and its encoded bytes buffered, all the block's chunks at once).
ZARR_WRITING = 4


def write_zarr(volume: Volume, dst: str, memory: int, *, ngff: Optional[str] = None, progress: bool = True,
               levels=None, method: Optional[dict] = None, cluster=None) -> None:
    """``volume``'s output written to the Zarr store ``dst`` (OME-Zarr when ``dst`` ends
    ``.ome.zarr`` or the input is OME-Zarr), built aside and renamed when complete.

    ``cluster`` (:class:`upsample_cli.cluster.ClusterBlocks`): the blocks are written by its
    workers, each level's split further, in whole chunks, until each worker thread has two."""
    from . import ngff as ngff_meta

    source = volume.source
    ome = dst.rstrip("/").lower().endswith(".ome.zarr") or source.ngff is not None or levels is not None
    version = ngff or (source.ngff or {}).get("version") or "0.4"
    if version not in ("0.4", "0.5"):
        raise UpsampleError(dst, f"OME-Zarr version {version} is not written; give 0.4 or 0.5")
    zarr_format = 3 if (ome and version == "0.5") else (source.zarr_format or 2) if not ome else 2
    axes = volume.image.axes
    order = ngff_meta.ngff_order(axes) if ome else axes
    if order is None:
        raise UpsampleError(dst, f"axes {axes} have no OME-Zarr names (t, c, z, y, x)")
    perm = [axes.index(a) for a in order]
    steps = levels or [volume]
    arrays, shapes = {}, []
    for n, level in enumerate(steps):
        shape = level.block_shape(memory, outer_first=False, writing=ZARR_WRITING)
        chunks = tuple(min(b, CHUNK if a in "YX" else CHUNK_DEPTH) for a, b in zip(axes, shape))
        shape = tuple(max(c, b // c * c) for b, c in zip(shape, chunks))
        if cluster is not None:
            shape = _spread(shape, chunks, level.shape, 2 * cluster.threads)
        shapes.append(shape)
        arrays["0" if not levels and ome else str(n) if ome else ""] = (
            tuple(level.shape[i] for i in perm), tuple(chunks[i] for i in perm), level.image.dtype)
    attrs = None
    if ome:
        attrs = _ome_attributes(steps, version, order, method, source.ngff, volume.settings.align_corners)
    # The bar first: from the moment the store's temporary folder exists, any exception (Ctrl-C
    # included) must reach the abandon below.
    bar = _bar(sum(level.count(s) for level, s in zip(steps, shapes)), progress)
    try:
        sink = ZarrSink(dst, arrays, zarr_format, attrs, dimension_names=[a.lower() for a in order] if ome else None)
    except BaseException:
        bar.close()
        raise
    try:
        if cluster is not None:
            cluster.write(sink, [(name, list(level.blocks(shape))) for name, level, shape in zip(arrays, steps, shapes)],
                          perm, bar)
        else:
            for name, level, shape in zip(arrays, steps, shapes):
                if isinstance(level.source, LevelSource):
                    level.source.bind(sink, perm)
                for block in level.blocks(shape):
                    write_block(sink, name, level, block, perm)
                    bar.update(1)
        sink.commit()
    except BaseException:
        sink.abandon()
        raise
    finally:
        bar.close()


def write_block(sink, name: str, volume: Volume, block, perm) -> None:
    """One block of ``volume`` computed and written into the array ``name`` of ``sink``."""
    order = [volume.image.axes[i] for i in perm]
    sink.write(name, [slice(*block[a]) for a in order], volume.compute(block).transpose(perm))


def _spread(shape, chunks, full, wanted: int) -> tuple:
    """``shape`` halved, in whole chunks, along the axis holding most chunks, until the output of
    shape ``full`` has ``wanted`` blocks or each block is one chunk."""
    shape = list(shape)
    while math.prod(-(-n // b) for n, b in zip(full, shape)) < wanted:
        i = max(range(len(shape)), key=lambda k: shape[k] // chunks[k])
        if shape[i] <= chunks[i]:
            break
        shape[i] = -(-(shape[i] // chunks[i]) // 2) * chunks[i]
    return tuple(shape)


class LevelSource(Source):
    """A pyramid level read back from the level before it, as the store being written holds it
    (in OME-Zarr's axis order)."""

    whole_planes = False
    zarr_format = None
    ngff = None

    def __init__(self, header, path: str):
        self.header, self.path, self.array, self.perm = header, path, None, None

    def bind(self, sink, perm) -> None:
        self.array, self.perm = sink.arrays[str(int(self.name) - 1)], perm

    def read(self, slices):
        a = self.array[tuple(slices[i] for i in self.perm)]
        return np.ascontiguousarray(a.transpose(np.argsort(self.perm)))


def pyramid(src: str, dst: str, levels: int, factor: float, settings: Settings, *, memory: Optional[int] = None,
            axes: Optional[str] = None, ngff: Optional[str] = None, progress: bool = True, client=None) -> list:
    """Write an OME-Zarr multiscale pyramid of ``levels`` levels to ``dst``: the input, then each
    level resized by ``1 / factor`` along X, Y (and Z) from the one before, with ``settings``' mode
    (``settings.target`` is ignored). Returns the levels' shapes. ``client``: a
    ``distributed.Client`` whose workers write each level's blocks, level after level."""
    from . import __version__

    recipe = Recipe(src, axes, settings, levels, factor, dst)
    steps = recipe.volumes()
    copy = steps[0]
    settings = steps[-1].settings
    method = {
        "type": settings.mode,
        "metadata": {
            "description": f"each level resized by 1/{factor:g} from the one before, {settings.convention} "
                           f"convention, mode {settings.mode}" + (", antialiased" if settings.antialias else ""),
            "method": "upsample_cli.interpolate" if settings.convention == "torch" else f"upsample_cli.compat "
                      f"({settings.convention})",
            "version": __version__,
            "kwargs": {"scale_factor": 1.0 / factor, "mode": settings.mode, "convention": settings.convention,
                       "antialias": settings.antialias, "align_corners": settings.align_corners},
        },
    }
    write_zarr(copy, dst, memory or default_memory(), ngff=ngff, progress=progress, levels=steps, method=method,
               cluster=_cluster(client, recipe))
    return [level.shape for level in steps]


def _ome_attributes(levels, version, order, method, source_ngff, align_corners):
    from . import ngff as ngff_meta

    stated = physical_spacing(levels[0].image.metadata)
    spacing = {a: s for a, (s, _) in stated.items()}
    units = dict((source_ngff or {}).get("units") or {})
    units.update({a: u for a, (_, u) in stated.items() if u})
    translation = dict((source_ngff or {}).get("translation") or {})
    entries = []
    for n, level in enumerate(levels):
        scales = level.plan.scales
        made = {a: s for a, (s, _) in physical_spacing(level.header.metadata).items()}
        spacing_out = {a: made.get(a, s / scales.get(a, 1.0)) for a, s in spacing.items()}
        for a in scales:
            spacing_out.setdefault(a, 1.0 / scales[a])
        translation = ngff_meta.moved(translation, spacing, scales, align_corners)
        entries.append({"path": str(n), "spacing": spacing_out, "translation": translation})
        spacing = spacing_out
    letters = order.replace("S", "C")
    return ngff_meta.attributes(version, letters, units, entries, name=(source_ngff or {}).get("name"),
                                method=method, omero=(source_ngff or {}).get("omero"))


def _engine_dtype(dtype) -> np.dtype:
    """The dtype the engine takes ``dtype`` pixels in (as the file pipeline converts them)."""
    dtype = np.dtype(dtype)
    if dtype.name in registry.ENGINE_DTYPES:
        return dtype
    if dtype == np.bool_:
        return np.dtype(np.uint8)
    return np.dtype(np.float32 if dtype.itemsize <= 2 else np.float64)


def _engine_input(a: np.ndarray) -> np.ndarray:
    dtype = _engine_dtype(a.dtype)
    return a.view(np.uint8) if a.dtype == np.bool_ else a.astype(dtype, copy=False)


def _bar(total: int, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, unit="block", desc="upsample", file=sys.stderr, leave=False,
                disable=not enabled or not _is_terminal(sys.stderr))


def _is_terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _name(source) -> str:
    return source.path


def _size(n: int) -> str:
    return f"{n / (1 << 20):.1f} MiB" if n >= 1 << 20 else f"{n / 1024:.1f} KiB"


__all__ = ["ChunkedResize", "LevelSource", "Recipe", "Volume", "default_memory", "pyramid", "write_zarr"]
