"""The contact sheet of ``upsample compare -o SHEET.png``: one detail of every result, side by side.

Columns: IN, then one per mode; rows: for each convention, its results, then their difference
maps against IN (none with ``--degrade none``: there is no reference). The first column holds
IN's detail and, below it, the low-resolution input on the same grid. Every tile shows the same
region (the crop, in IN's pixels), magnified by a whole factor with nearest so that pixels stay
visible, and is labelled with its method and scores; a ``*`` marks the best value of a metric.

Pixels are shown as they are for 8 bits, else stretched from the reference's min to max over
the region (the same for every tile). Two channels show the first, four the first three (alpha
dropped), other counts the first. A stack shows the middle slice of the region (XY), with the
XZ view below it and the ZY view to its right. Differences are ``|result - IN|``, averaged over
the channels, times a gain (a power of two, the same for every tile, named in the label) in a
black-red-yellow-white scale of the pixel type's range.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import numpy as np

from .compare import (
    CROP_SIDE, Comparison, check_crop, choose_crop, detail_plane, nearest_index, winners, summarize,
)
from .compare_options import Crop, Method

TILE = 192  # the longer side a tile is magnified to, at most (whole factors)
MIN_COLUMN = 150  # so that a label fits under a small tile
PAD = 8
GAP = 2  # between the views of a stack
BACKGROUND = (255, 255, 255)
TEXT = (20, 20, 20)


@dataclass
class Sheet:
    """The picture and where each tile is in it: ``tiles[name] = (left, top, right, bottom)``;
    names are ``"original"``, ``"input"`` and, per method, its label and ``"diff " + label``."""

    image: object  # PIL.Image.Image
    tiles: Dict[str, Tuple[int, int, int, int]]
    crop: Crop
    magnification: int
    gain: Optional[int]


def region(comparison: Comparison, crop: Optional[Crop], scale: int) -> Tuple[Crop, Crop]:
    """``(crop in IN's pixels, the same region in the results' pixels)``; the crop is chosen where IN
    has most detail when none is given. ValueError when it lies outside IN."""
    degraded = comparison.reference is not None
    if crop is None:
        side = CROP_SIDE if degraded else max(CROP_SIDE // scale, 4)
        crop = choose_crop(detail_plane(comparison.image.array, comparison.image), side, scale if degraded else 1)
    check_crop(crop, comparison.image)
    f = 1 if degraded else scale
    return crop, Crop(crop.x * f, crop.y * f, crop.width * f, crop.height * f)


def _sample(array: np.ndarray, axes: str, index: Dict[str, np.ndarray]) -> np.ndarray:
    for letter, i in index.items():
        array = np.take(array, i, axis=axes.index(letter))
    return array


def _layout(a: np.ndarray, axes: str) -> np.ndarray:
    """``a`` as a 2-D picture ``(rows, cols, channels)`` in float: the image, or a stack's three views
    (NaN between them)."""
    channel = next((axes.index(c) for c in "SC" if c in axes), None)
    keep = [axes.index(letter) for letter in "ZYX" if letter in axes] + ([channel] if channel is not None else [])
    a = np.moveaxis(a, keep, range(a.ndim - len(keep), a.ndim)).astype(np.float64)
    a = a.reshape((-1,) + a.shape[a.ndim - len(keep):])[0]  # other axes (time, ...): the first
    if channel is None:
        a = a[..., None]
    if "Z" not in axes:
        return a
    d, h, w, c = a.shape
    canvas = np.full((h + GAP + d, w + GAP + d, c), np.nan)
    canvas[:h, :w] = a[d // 2]
    canvas[h + GAP:, :w] = a[:, h // 2]
    canvas[:h, w + GAP:] = a[:, :, w // 2].transpose(1, 0, 2)
    return canvas


def _colours(picture: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """A float picture as 8-bit RGB, ``lo..hi`` stretched to 0..255; NaN is the background."""
    c = picture.shape[2]
    rgb = picture[..., :3] if c in (3, 4) else np.repeat(picture[..., :1], 3, axis=2)
    blank = np.isnan(rgb)
    scaled = (np.nan_to_num(rgb) - lo) * (255.0 / (hi - lo if hi > lo else 1.0))
    out = np.clip(np.rint(scaled), 0, 255).astype(np.uint8)
    out[blank] = 255
    return out


def _heat(picture: np.ndarray) -> np.ndarray:
    """Values 0..1 (NaN: background) as black-red-yellow-white."""
    blank = np.isnan(picture[..., 0])
    t = np.clip(np.nan_to_num(picture[..., 0]), 0, 1)[..., None]
    rgb = np.clip(np.concatenate([3 * t, 3 * t - 1, 3 * t - 2], axis=2), 0, 1)
    out = np.rint(rgb * 255).astype(np.uint8)
    out[blank] = 255
    return out


def _gain(diffs: List[np.ndarray], value_range: float) -> int:
    """A power of two, 1 to 256, that brings the 99th percentile of the differences near full scale."""
    values = np.concatenate([d[~np.isnan(d)].ravel() for d in diffs]) / value_range if diffs else np.zeros(1)
    high = float(np.percentile(values, 99)) if values.size else 0.0
    if high <= 0:
        return 1
    return int(min(256, max(1, 2 ** math.floor(math.log2(1 / high)))))


def _labels(comparison: Comparison) -> Dict[Method, List[str]]:
    """Two lines of scores per method, ``*`` after the best value of each metric."""
    best = {what: set(tied) for what, tied, _ in winners(summarize([comparison]))}
    labels = {}
    for s in comparison.scores:
        def mark(what, text):
            return text + ("*" if s.method in best.get(what, ()) and len(comparison.scores) > 1 else "")

        first = []
        if s.psnr is not None:
            first.append(mark("best PSNR", "PSNR " + ("exact" if math.isinf(s.psnr) else f"{s.psnr:.2f}")))
        if s.ssim is not None:
            first.append(mark("best SSIM", f"SSIM {s.ssim:.4f}"))
        second = [mark("least ringing", f"ring {s.ringing:.2f}"), mark("fastest", f"{s.seconds * 1e3:.1f} ms")]
        labels[s.method] = ["  ".join(first), "  ".join(second)]
    return labels


def draw(comparison: Comparison, scale: int, degrade: str, crop: Optional[Crop] = None) -> Sheet:
    """The sheet of one compared file (module docstring). ValueError for a crop outside IN."""
    from PIL import Image as PILImage
    from PIL import ImageDraw, ImageFont

    crop, out = region(comparison, crop, scale)
    image = comparison.image
    axes = image.axes
    any_result = next(iter(comparison.results.values()))
    index = {"X": np.arange(out.x, out.x + out.width), "Y": np.arange(out.y, out.y + out.height)}
    low_index = {letter: nearest_index(comparison.low.size(letter), any_result.shape[axes.index(letter)])[i]
                 for letter, i in index.items()}
    if "Z" in axes:
        low_index["Z"] = nearest_index(comparison.low.size("Z"), any_result.shape[axes.index("Z")])

    reference = comparison.reference
    shown = reference if reference is not None else comparison.low.array
    shown_index = index if reference is not None else low_index
    window = _sample(shown, axes, shown_index)
    lo, hi = (0.0, 255.0) if shown.dtype == np.uint8 else (float(np.min(window)), float(np.max(window)))

    def picture(a, where):
        return _colours(_layout(_sample(a, axes, where), axes), lo, hi)

    tiles_in = {}
    if reference is not None:
        tiles_in["original"] = picture(reference, index)
    tiles_in["input"] = picture(comparison.low.array, low_index)
    results = {m: _sample(r, axes, index) for m, r in comparison.results.items()}
    diffs, gain = {}, None
    if reference is not None:
        ref = _sample(reference, axes, index).astype(np.float64)
        channel = image.channel_axis
        for m, r in results.items():
            d = np.abs(r.astype(np.float64) - ref)
            d = d.mean(axis=channel, keepdims=True) if channel is not None else d
            diffs[m] = _layout(d, axes)
        gain = _gain(list(diffs.values()), comparison.data_range)

    h0, w0 = tiles_in["input"].shape[:2]
    mag = max(1, TILE // max(h0, w0))
    th, tw = h0 * mag, w0 * mag

    font = ImageFont.load_default()
    line = font.getbbox("Ag")[3] + 3
    label_h = 3 * line + 4
    col_w = max(tw, MIN_COLUMN) + PAD
    modes = list(dict.fromkeys(m.name for m in comparison.results))
    conventions = list(dict.fromkeys(m.convention for m in comparison.results))
    rows_per = 2 if reference is not None else 1
    title_h = 2 * line + PAD
    width = PAD + col_w * (1 + len(modes))
    height = title_h + len(conventions) * rows_per * (th + label_h)
    sheet = PILImage.new("RGB", (width, height), BACKGROUND)
    pen = ImageDraw.Draw(sheet)
    tiles: Dict[str, Tuple[int, int, int, int]] = {}

    def put(name, rgb, column, row, text):
        left, top = PAD + column * col_w, title_h + row * (th + label_h)
        big = np.repeat(np.repeat(rgb, mag, axis=0), mag, axis=1)
        sheet.paste(PILImage.fromarray(big), (left, top))
        tiles[name] = (left, top, left + big.shape[1], top + big.shape[0])
        for k, t in enumerate(text):
            pen.text((left, top + th + 2 + k * line), t, fill=TEXT, font=font)

    name = comparison.path or image.describe()
    low_size = "x".join(str(comparison.low.size(a)) for a in "XYZ" if a in axes)
    how = f"shrunk x{scale} by {degrade}, enlarged back by each mode" if reference is not None \
        else f"enlarged x{scale} by each mode"
    pen.text((PAD, PAD // 2), f"{name}: {image.describe()}, {how}", fill=TEXT, font=font)
    pen.text((PAD, PAD // 2 + line), f"crop {crop.x},{crop.y},{crop.width},{crop.height} of IN, pixels x{mag}"
             + (f"; differences x{gain}" if gain else "") + "; * best", fill=TEXT, font=font)

    labels = _labels(comparison)
    for k, convention in enumerate(conventions):
        row = k * rows_per
        if reference is not None:
            put("original" if k == 0 else f"original {k}", tiles_in["original"], 0, row,
                ["IN", f"{crop.width}x{crop.height} at {crop.x},{crop.y}"])
            put("input" if k == 0 else f"input {k}", tiles_in["input"], 0, row + 1,
                [f"input {low_size}", f"({degrade}, /{scale})"])
        else:
            put("input" if k == 0 else f"input {k}", tiles_in["input"], 0, row, ["IN", f"{low_size}"])
        for m in comparison.results:
            if m.convention != convention:
                continue
            column = 1 + modes.index(m.name)
            put(m.label, _colours(_layout(results[m], axes), lo, hi), column, row, [m.label] + labels[m])
            if reference is not None:
                d = diffs[m]
                put("diff " + m.label, _heat(d / comparison.data_range * gain), column, row + 1,
                    [f"|{m.name} - IN| x{gain}", f"max {np.nanmax(d):.4g}"])
    return Sheet(sheet, tiles, crop, mag, gain)


def write(path: str, sheet: Sheet) -> None:
    """The sheet as a PNG, written atomically."""
    from .io import atomic_write

    atomic_write(path, lambda tmp: sheet.image.save(tmp, format="PNG"))


__all__ = ["Sheet", "draw", "region", "write"]
