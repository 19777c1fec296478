"""Write ``tests/golden/spacing.npz``: resamples to a physical voxel size, computed by torch 2.13.

Run from the repository root with the dev extra installed:

    python tests/golden/make_spacing_golden.py

A resample from the voxel size ``s_in`` to ``s_out`` has, per axis, the output size
``floor(n * s_in / s_out + 0.5)`` and maps its coordinates with the exact ratio
``s_in / s_out``: torch's upsample operators take both, ``output_size`` and ``scales_*``
(``torch.ops.aten.upsample_trilinear3d(x, size, align_corners, scale_d, scale_h, scale_w)``;
``interpolate`` with ``scale_factor`` calls them with floor sizes). Each case is stored as
``{i}/x`` and ``{i}/y`` (torch's output) and its call in the JSON list ``cases``: ``mode``,
``size``, ``scales``, ``antialias``, ``align_corners``, and the ``spacing_in``/``spacing_out``
(Z, Y, X or Y, X) it came from.
"""

import json
import math
from pathlib import Path

import numpy as np
import torch

OUT = Path(__file__).with_name("spacing.npz")
rng = np.random.default_rng(36)
arrays, cases = {}, []

OPS = {  # mode, rank -> the aten operator and whether it takes align_corners
    ("nearest", 3): (torch.ops.aten.upsample_nearest3d, False),
    ("nearest-exact", 3): (torch.ops.aten._upsample_nearest_exact3d, False),
    ("trilinear", 3): (torch.ops.aten.upsample_trilinear3d, True),
    ("nearest", 2): (torch.ops.aten.upsample_nearest2d, False),
    ("bilinear", 2): (torch.ops.aten.upsample_bilinear2d, True),
    ("bicubic", 2): (torch.ops.aten.upsample_bicubic2d, True),
}
ANTIALIASED = {"bilinear": torch.ops.aten._upsample_bilinear2d_aa, "bicubic": torch.ops.aten._upsample_bicubic2d_aa}


def case(shape, dtype, mode, spacing_in, spacing_out, antialias=False, align_corners=False):
    x = rng.random(shape)
    x = (x * 255).astype(np.uint8) if dtype == "uint8" else x.astype(dtype)
    spatial = shape[2:]
    scales = [a / b for a, b in zip(spacing_in, spacing_out)]
    size = [math.floor(n * f + 0.5) for n, f in zip(spatial, scales)]
    t = torch.from_numpy(x)
    if mode == "area":
        y = torch.nn.functional.adaptive_avg_pool3d(t, size) if len(size) == 3 else \
            torch.nn.functional.adaptive_avg_pool2d(t, size)
    elif antialias:
        y = ANTIALIASED[mode](t, size, align_corners, *scales)
    else:
        op, takes_corners = OPS[(mode, len(size))]
        y = op(t, size, align_corners, *scales) if takes_corners else op(t, size, *scales)
    i = len(cases)
    arrays[f"{i}/x"], arrays[f"{i}/y"] = x, y.numpy()
    cases.append({"mode": mode, "size": size, "scales": scales, "antialias": antialias,
                  "align_corners": align_corners, "spacing_in": spacing_in, "spacing_out": spacing_out})


case((1, 1, 5, 6, 7), "float32", "trilinear", [2.0, 0.5, 0.5], [0.7, 0.3, 0.35])
case((1, 2, 5, 6, 7), "float64", "trilinear", [2.0, 0.5, 0.5], [0.5, 0.5, 0.5])
case((1, 1, 5, 6, 7), "float32", "nearest", [2.0, 0.5, 0.5], [0.3, 0.3, 0.3])
case((1, 1, 5, 6, 7), "float32", "nearest-exact", [2.0, 0.5, 0.5], [0.3, 0.3, 0.3])
case((1, 1, 4, 6, 7), "float32", "area", [2.0, 0.5, 0.5], [1.0, 1.5, 1.1])
case((1, 1, 4, 6, 7), "float32", "trilinear", [2.0, 0.5, 0.5], [0.7, 0.3, 0.35], align_corners=True)
case((1, 1, 10, 9), "float32", "bicubic", [0.3, 0.25], [0.1, 0.1])  # 0.3 / 0.1 is 2.9999999999999996
case((1, 3, 10, 9), "uint8", "bilinear", [0.3, 0.25], [0.1, 0.1])
case((1, 1, 11, 13), "float32", "bilinear", [0.3, 0.25], [0.7, 0.6], antialias=True)
case((1, 1, 11, 13), "float32", "bicubic", [0.3, 0.25], [0.7, 0.6], antialias=True)
case((1, 2, 9, 8), "float32", "nearest", [0.3, 0.25], [0.1, 0.2])

np.savez_compressed(OUT, cases=json.dumps(cases), **arrays)
print(f"{OUT}: {len(cases)} cases")
