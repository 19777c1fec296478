"""Physical voxel sizes of an image, from whatever its file states.

ImageJ states Z's spacing and X and Y as a resolution (pixels per unit); OME-TIFF and OME-Zarr
state each axis' physical size. :func:`physical_spacing` gives them alike, ``{axis: (size,
unit)}`` for the spatial axes the file describes.
"""

from __future__ import annotations

from typing import Dict, Optional, Tuple

from .image import LENGTH_IN_INCHES, Metadata


def physical_spacing(metadata: Metadata) -> Dict[str, Tuple[float, Optional[str]]]:
    """``{axis: (size, unit)}``: the stated spacing, and X and Y from a resolution in a length unit."""
    spacing = dict(metadata.spacing)
    unit = metadata.resolution_unit
    if metadata.resolution is not None and unit in LENGTH_IN_INCHES:
        for axis, per_unit in zip("XY", metadata.resolution):
            if axis not in spacing and per_unit > 0:
                spacing[axis] = (1.0 / per_unit, unit)
    return spacing


__all__ = ["physical_spacing"]
