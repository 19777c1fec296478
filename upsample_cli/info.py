"""``upsample info``: what a file holds and what a resize keeps, from its header alone."""

from __future__ import annotations

from typing import List

from .image import SPATIAL, Image

_FLAVOURS = {"imagej": "ImageJ hyperstack", "ome": "OME-TIFF", "shaped": "tifffile shaped"}
_AXIS_NAMES = {"X": "width", "Y": "height", "Z": "depth", "T": "time", "C": "channel", "S": "sample"}


def describe(path: str, image: Image) -> List[str]:
    """The lines ``upsample info`` prints for ``image`` read from ``path``."""
    fmt = image.format + (f" ({_FLAVOURS[image.flavour]})" if image.flavour in _FLAVOURS else "")
    spatial = [a for a in image.axes if a in SPATIAL]
    kept = [a for a in image.axes if a not in SPATIAL]
    names = ", ".join(f"{a} {_AXIS_NAMES.get(a, 'other')}" for a in image.axes)
    size = "x".join(str(image.size(a)) for a in "XYZ" if a in image.axes)
    size_names = " x ".join(_AXIS_NAMES[a] for a in "XYZ" if a in image.axes)
    rows = [
        ("file", path),
        ("format", fmt),
        ("shape", " x ".join(str(n) for n in image.shape)),
        ("axes", f"{image.axes} ({names})"),
        ("resized", ", ".join(spatial) + (f"; not resized: {', '.join(kept)}" if kept else "")),
        ("size", f"{size} ({size_names})"),
        ("dtype", str(image.dtype)),
        ("pixels", f"{image.pixels:,}"),
    ]
    if image.mode:
        rows.append(("mode", image.mode))
    if image.alpha is not None:
        letter = image.axes[image.channel_axis]
        how = "premultiplied" if image.premultiplied else "straight, resized premultiplied unless --straight-alpha"
        rows.append(("alpha", f"{letter} channel {image.alpha} ({how})"))
    if image.palette is not None:
        rows.append(("palette", f"{len(image.palette)} colours (kept by nearest modes, else expanded to RGB)"))
    width = max(len(k) for k, _ in rows)
    lines = [f"{k + ':':{width + 1}} {v}" for k, v in rows]
    kept_metadata = image.metadata.describe()
    lines.append("metadata kept:" + ("" if kept_metadata else " none"))
    lines.extend(f"  {line}" for line in kept_metadata)
    return lines
