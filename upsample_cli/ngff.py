"""OME-Zarr (OME-NGFF 0.4 and 0.5) metadata: read from an input group, written for an output.

An OME-Zarr image is a Zarr group whose attributes hold ``multiscales`` (0.4: at the top level,
Zarr format 2; 0.5: under ``"ome"``, Zarr format 3): its ``axes`` (``name``, ``type`` time,
channel or space, ``unit``), and its ``datasets``, one array per resolution level, each with
``coordinateTransformations``: a ``scale`` (the physical size of a sample along each axis) and an
optional ``translation`` (the physical position of the first sample's centre). ``omero`` holds
the channels' names, colours and display windows.

Read: the first multiscale's first dataset (the full resolution) is the image; its axes become
the letters ``T``, ``C``, ``Z``, ``Y``, ``X`` and its spatial scales the metadata's spacing, with
their units. Written: one multiscale whose datasets are the levels written, each scale and
translation the input's scaled with the resize (a sample ``f`` times smaller, its first centre
moved by ``(1/f - 1) / 2`` input samples as the half-pixel convention places it; with
``--align-corners`` the corners stay), ``omero`` and the image's ``name`` kept, and ``metadata``
saying how the levels were made (the ``method``, its arguments, this program's version).
"""

from __future__ import annotations

from typing import Dict, List, Optional

from .image import Metadata, UpsampleError

LETTERS = {"t": "T", "c": "C", "z": "Z", "y": "Y", "x": "X"}
TYPES = {"T": "time", "C": "channel", "Z": "space", "Y": "space", "X": "space"}
NGFF_ORDER = "TCZYX"


def read(path: str, group) -> dict:
    """An OME-Zarr group's full-resolution ``array``, axes ``letters``, spacing ``metadata``, and
    what is carried to an output (``version``, ``omero``, ``name``, ``units``, ``translation``)."""
    attrs = dict(group.attrs)
    version = None
    if "ome" in attrs:
        attrs = dict(attrs["ome"])
        version = attrs.get("version")
    multiscales = attrs.get("multiscales")
    if not multiscales:
        raise UpsampleError(path, "Zarr group without OME-Zarr 'multiscales' metadata; give the array's path")
    first = multiscales[0]
    version = version or first.get("version", "0.4")
    try:
        dataset = first["datasets"][0]
        axes = first["axes"]
        array = group[dataset["path"]]
    except (KeyError, IndexError, TypeError) as e:
        raise UpsampleError(path, f"malformed OME-Zarr multiscales ({e})") from None
    names = [a["name"] if isinstance(a, dict) else str(a) for a in axes]
    letters = "".join(LETTERS.get(n.lower(), "?") for n in names)
    if "?" in letters or len(set(letters)) != len(letters):
        raise UpsampleError(path, f"OME-Zarr axes {names} are not among t, c, z, y, x")
    units = {LETTERS[n.lower()]: a.get("unit") for n, a in zip(names, axes) if isinstance(a, dict)}
    scale, translation = _transforms(first.get("coordinateTransformations"), len(letters))
    own_scale, own_translation = _transforms(dataset.get("coordinateTransformations"), len(letters))
    scale = [a * b for a, b in zip(scale, own_scale)]
    translation = [t * s + u for t, s, u in zip(translation, own_scale, own_translation)]
    spacing = {a: (float(s), units.get(a)) for a, s in zip(letters, scale) if a in "ZYX"}
    return {
        "array": array, "axes": letters, "version": version, "metadata": Metadata(spacing=spacing),
        "omero": attrs.get("omero"), "name": first.get("name"), "units": units,
        "translation": dict(zip(letters, translation)),
    }


def _transforms(transforms, n: int):
    """``(scale, translation)`` from a list of coordinate transformations (identity when absent)."""
    scale, translation = [1.0] * n, [0.0] * n
    for t in transforms or ():
        if t.get("type") == "scale" and len(t.get("scale", ())) == n:
            scale = [float(v) for v in t["scale"]]
        elif t.get("type") == "translation" and len(t.get("translation", ())) == n:
            translation = [float(v) for v in t["translation"]]
    return scale, translation


def level_transforms(axes: str, spacing: Dict[str, float], translation: Dict[str, float]) -> list:
    """A dataset's ``coordinateTransformations`` (the translation only where one is not zero)."""
    transforms = [{"type": "scale", "scale": [float(spacing.get(a, 1.0)) for a in axes]}]
    if any(translation.get(a, 0.0) for a in axes):
        transforms.append({"type": "translation", "translation": [float(translation.get(a, 0.0)) for a in axes]})
    return transforms


def moved(translation: Dict[str, float], spacing_in: Dict[str, float], factors: Dict[str, float],
          align_corners: bool) -> Dict[str, float]:
    """The first sample's centre after a resize by ``factors`` (output samples per input sample)."""
    if align_corners:
        return dict(translation)
    out = dict(translation)
    for a, f in factors.items():
        out[a] = translation.get(a, 0.0) + (1.0 / f - 1.0) / 2.0 * spacing_in.get(a, 1.0)
    return out


def attributes(version: str, axes: str, units: Dict[str, Optional[str]], levels: List[dict], *,
               name: Optional[str] = None, method: Optional[dict] = None, omero=None) -> dict:
    """The root group's attributes of an OME-Zarr image: ``levels`` are ``{"path", "spacing",
    "translation"}``, finest first; ``method`` (``{"type", "metadata"}``) says how they were made."""
    axis_list = []
    for a in axes:
        entry = {"name": a.lower(), "type": TYPES[a]}
        if units.get(a):
            entry["unit"] = _ngff_unit(units[a])
        axis_list.append(entry)
    multiscale = {
        "axes": axis_list,
        "datasets": [{"path": level["path"],
                      "coordinateTransformations": level_transforms(axes, level["spacing"], level["translation"])}
                     for level in levels],
    }
    if name:
        multiscale["name"] = name
    if method:
        multiscale["type"] = method["type"]
        multiscale["metadata"] = method["metadata"]
    if version == "0.4":
        multiscale = {"version": "0.4", **multiscale}
        attrs = {"multiscales": [multiscale]}
        if omero is not None:
            attrs["omero"] = omero
        return attrs
    ome = {"version": version, "multiscales": [multiscale]}
    if omero is not None:
        ome["omero"] = omero
    return {"ome": ome}


# NGFF units are UDUNITS names; ImageJ and OME-TIFF write short forms.
_UNITS = {"µm": "micrometer", "\u00b5m": "micrometer", "um": "micrometer", "micron": "micrometer",
          "nm": "nanometer", "mm": "millimeter", "cm": "centimeter", "m": "meter", "s": "second",
          "ms": "millisecond"}


def _ngff_unit(unit: str) -> str:
    return _UNITS.get(unit, unit)


def ngff_order(axes: str) -> Optional[str]:
    """``axes`` sorted in the order NGFF requires (time, channel, then space: ``TCZYX``; ``S`` is a
    channel axis), or None when an axis has no NGFF name or two are channels."""
    named = axes.replace("S", "C")
    if any(a not in NGFF_ORDER for a in named) or len(set(named)) != len(named):
        return None
    return "".join(sorted(axes, key=lambda a: NGFF_ORDER.index("C" if a == "S" else a)))


__all__ = ["attributes", "level_transforms", "moved", "ngff_order", "read"]
