"""Draw the pictures of the README and docs/performance.md, with Pillow only.

    python docs/make_figures.py [--scaling docs/scaling.csv]

- ``docs/modes.png``: a detail of ``sample_data/photo.png``, shrunk to 24 x 18 pixels, then
  enlarged x8 by each torch mode (``upsample_cli.interpolate``, the numbers ``upsample resize``
  writes), side by side.
- ``docs/scaling.png``: time against image side for a x2 bilinear upscale, upsample and its peers,
  on log-log axes, from the rows ``benchmarks/bench_scaling.py --peers --csv docs/scaling.csv``
  wrote.
"""

from __future__ import annotations

import argparse
import csv
import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from upsample_cli import interpolate

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
MODES = ("nearest", "bilinear", "bicubic", "lanczos", "area")
COLOURS = {"upsample": (200, 40, 40), "opencv": (40, 90, 200), "torch": (230, 140, 20), "pillow": (60, 150, 60)}
INK, GRID, PAPER = (30, 30, 30), (220, 220, 220), (255, 255, 255)


def modes_figure(out: Path, factor: int = 8) -> None:
    photo = np.asarray(Image.open(ROOT / "sample_data" / "photo.png").convert("RGB"))
    small = photo[::8, ::8][:18, :24]  # every 8th pixel: a small image with hard edges
    hwc = np.ascontiguousarray(small).transpose(2, 0, 1)[None]
    panels = [("input (nearest x8)", interpolate(hwc, scale_factor=factor, mode="nearest"))]
    panels += [(mode, interpolate(hwc, scale_factor=factor, mode=mode)) for mode in MODES[1:]]
    h, w = panels[0][1].shape[2:]
    label, gap = 18, 6
    canvas = Image.new("RGB", (len(panels) * (w + gap) - gap, h + label), PAPER)
    draw = ImageDraw.Draw(canvas)
    for i, (name, array) in enumerate(panels):
        x = i * (w + gap)
        canvas.paste(Image.fromarray(array[0].transpose(1, 2, 0)), (x, label))
        draw.text((x + 2, 3), name, fill=INK)
    canvas.save(out, optimize=True)


def scaling_figure(rows_path: Path, out: Path, mode: str = "bilinear") -> None:
    rows = [r for r in csv.DictReader(open(rows_path)) if r["mode"] == mode]
    best = {}
    for r in rows:  # upsample's best thread count, and each peer
        key = (r["tool"], int(r["side"]))
        best[key] = min(best.get(key, math.inf), float(r["seconds"]))
    tools = sorted({t for t, _ in best}, key=lambda t: (t != "upsample", t))
    sides = sorted({s for _, s in best})
    times = [v * 1e3 for v in best.values()]
    width, height, left, bottom, top, right = 640, 400, 70, 50, 30, 120
    canvas = Image.new("RGB", (width, height), PAPER)
    draw = ImageDraw.Draw(canvas)
    lo, hi = math.floor(math.log10(min(times))), math.ceil(math.log10(max(times)))
    x0, x1 = math.log2(sides[0]), math.log2(sides[-1])

    def at(side, ms):
        x = left + (math.log2(side) - x0) / max(x1 - x0, 1e-9) * (width - left - right)
        y = height - bottom - (math.log10(ms) - lo) / max(hi - lo, 1e-9) * (height - bottom - top)
        return x, y

    for decade in range(lo, hi + 1):
        _, y = at(sides[0], 10.0**decade)
        draw.line([(left, y), (width - right, y)], fill=GRID)
        draw.text((8, y - 6), f"{10.0 ** decade:g} ms", fill=INK)
    for side in sides:
        x, _ = at(side, 10.0**lo)
        draw.line([(x, top), (x, height - bottom)], fill=GRID)
        draw.text((x - 14, height - bottom + 6), f"{side}^2", fill=INK)
    draw.text((left, 8), f"RGB uint8 {mode} x2: time against input side (log-log)", fill=INK)
    draw.text((width // 2 - 60, height - 20), "input side (pixels)", fill=INK)
    for i, tool in enumerate(tools):
        points = [at(s, best[(tool, s)] * 1e3) for s in sides if (tool, s) in best]
        colour = COLOURS.get(tool, INK)
        draw.line(points, fill=colour, width=2)
        for x, y in points:
            draw.ellipse([x - 3, y - 3, x + 3, y + 3], fill=colour)
        draw.text((width - right + 12, top + 18 * i), tool, fill=colour)
    canvas.save(out, optimize=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scaling", default=str(DOCS / "scaling.csv"), help="rows from bench_scaling.py --csv")
    args = parser.parse_args()
    modes_figure(DOCS / "modes.png")
    print(f"wrote {DOCS / 'modes.png'}")
    if Path(args.scaling).exists():
        scaling_figure(Path(args.scaling), DOCS / "scaling.png")
        print(f"wrote {DOCS / 'scaling.png'}")
    else:
        print(f"{args.scaling} not found: run benchmarks/bench_scaling.py --peers --csv {args.scaling} first")


if __name__ == "__main__":
    main()
