"""Physical voxel sizes of an image, from whatever its file states, and resampling to one.

ImageJ states Z's spacing and X and Y as a resolution (pixels per unit); OME-TIFF and OME-Zarr
state each axis' physical size. :func:`physical_spacing` gives them alike, ``{axis: (size,
unit)}`` for the spatial axes the file describes.

:func:`resolve` turns ``--spacing`` / ``--isotropic`` (a :class:`~upsample_cli.sizes.Spacing`)
into a :class:`~upsample_cli.sizes.Physical` target for one image. Per resized axis, with the
file's spacing ``s_in`` and the one asked for ``s_out`` (in one unit: lengths are converted):

- the coordinates are mapped with the exact ratio ``f = s_in / s_out`` (torch's ``scale_factor``
  with ``recompute_scale_factor=False``: output sample ``j`` sits at input coordinate
  ``(j + 0.5) / f - 0.5``, so the output's samples are ``s_out`` apart, physically);
- the output size is ``n_out = floor(n_in * f + 0.5)``, the nearest whole number (half up): an
  output extent within half a voxel of the input's, and no sample lost to a ratio such as
  0.3 / 0.1, which is 2.9999999999999996 in floating point.

The output's metadata records ``s_out`` itself where the coordinates were mapped with ``f``;
where a mode maps them otherwise (``area`` from the sizes, ``--align-corners`` corner to
corner, the slice-by-slice conventions from the sizes), it records the spacing that mapping
gives, ``s_in * n_in / n_out`` or ``s_in * (n_in - 1) / (n_out - 1)``.
"""

from __future__ import annotations

import math
from typing import Dict, Optional, Tuple

from .image import LENGTH_IN_INCHES, Metadata
from .sizes import Physical, Spacing

# Length units by name, in inches: ImageJ's and OME's short names and NGFF's (UDUNITS) long ones.
LENGTHS = {
    **LENGTH_IN_INCHES,
    "meter": LENGTH_IN_INCHES["m"],
    "micrometer": LENGTH_IN_INCHES["um"],
    "microns": LENGTH_IN_INCHES["um"],
    "nanometer": LENGTH_IN_INCHES["nm"],
    "angstrom": LENGTH_IN_INCHES["nm"] / 10,
    "\u00c5": LENGTH_IN_INCHES["nm"] / 10,
    "pm": LENGTH_IN_INCHES["nm"] / 1000,
    "picometer": LENGTH_IN_INCHES["nm"] / 1000,
    "km": LENGTH_IN_INCHES["m"] * 1000,
    "kilometer": LENGTH_IN_INCHES["m"] * 1000,
    "inches": 1.0,
    "in": 1.0,
    "foot": 12.0,
    "ft": 12.0,
}


class SpacingError(Exception):
    """The file does not state what a resize to a physical spacing needs (no spacing along an axis,
    units that cannot be converted): a failed file, not bad usage."""


def physical_spacing(metadata: Metadata) -> Dict[str, Tuple[float, Optional[str]]]:
    """``{axis: (size, unit)}``: the stated spacing, and X and Y from a resolution in a length unit."""
    spacing = dict(metadata.spacing)
    unit = metadata.resolution_unit
    if metadata.resolution is not None and unit in LENGTH_IN_INCHES:
        for axis, per_unit in zip("XY", metadata.resolution):
            if axis not in spacing and per_unit > 0:
                spacing[axis] = (1.0 / per_unit, unit)
    return spacing


def _length(unit: Optional[str]) -> Optional[float]:
    return None if unit is None else LENGTHS.get(unit.strip(), LENGTHS.get(unit.strip().lower()))


def resolve(asked: Spacing, image) -> Physical:
    """``asked`` for ``image`` (its header is enough): sizes, factors and the output's spacing, as
    the module docstring states. ValueError when the values do not fit the image's axes;
    SpacingError when the file does not state the spacing of an axis or its units differ beyond
    conversion."""
    stack = image.is_stack
    spatial = "ZYX" if stack else "YX"
    if asked.values is None:
        axes = spatial
    elif len(asked.values) == 3:
        if not stack:
            raise ValueError(f"{asked}: a 2-D image takes Y,X")
        axes = "ZYX"
    else:
        axes = "YX"
    stated = physical_spacing(image.metadata)
    missing = [a for a in axes if a not in stated or not (math.isfinite(stated[a][0]) and stated[a][0] > 0)]
    if missing:
        raise SpacingError(
            f"{asked}: the file states no physical spacing along {', '.join(missing)}; give --scale or --size")
    units = {a: stated[a][1] for a in axes}
    if len(set(units.values())) > 1:
        lengths = {a: _length(u) for a, u in units.items()}
        if None in lengths.values():
            told = ", ".join(f"{a}: {u or 'no unit'}" for a, u in units.items())
            raise SpacingError(f"{asked}: the spacing's units differ between axes ({told}) and cannot be converted")
        to_reference = {a: lengths[a] / lengths["X"] for a in axes}
    else:
        to_reference = dict.fromkeys(axes, 1.0)
    s_in = {a: stated[a][0] * to_reference[a] for a in axes}
    if asked.values is None:
        finest = min(s_in.values())
        s_out = dict.fromkeys(axes, finest)
    else:
        s_out = dict(zip(axes, asked.values))
    factors = {a: s_in[a] / s_out[a] for a in axes}
    for a in axes:
        n = image.size(a) * factors[a]
        if not n < 2**62:  # (an infinite ratio included)
            raise ValueError(f"{asked}: the output would have {n:.3g} samples along {a}; give a larger spacing")
    sizes = {a: math.floor(image.size(a) * factors[a] + 0.5) for a in axes}
    width_first = "XYZ" if stack else "XY"
    spacing = tuple((a, s_out[a] / to_reference[a], units[a]) for a in axes)
    return Physical(asked, tuple(sizes.get(a, image.size(a)) for a in width_first),
                    tuple(factors.get(a, 1.0) for a in width_first), spacing)


def exact(target, scales: Dict[str, float]) -> Dict[str, Tuple[float, Optional[str]]]:
    """The output's voxel sizes ``{axis: (size, unit)}`` that ``target`` (a Physical) gives exactly:
    those of the axes whose coordinates were mapped with its factor (``scales``: a plan's)."""
    if not isinstance(target, Physical):
        return {}
    factor = dict(zip("XYZ", target.factors))
    return {a: (size, unit) for a, size, unit in target.spacing if scales.get(a) == factor[a]}


__all__ = ["LENGTHS", "SpacingError", "exact", "physical_spacing", "resolve"]
