"""Peak memory of one large resize: upsample against torch and OpenCV, each in a fresh process.

    python benchmarks/bench_memory.py [--side 8192] [--modes nearest,bilinear,bicubic]

For an RGB uint8 image of ``side``^2 resized x2, prints the peak resident memory the resize
added to the process (peak minus the resident size before the input was made) as a multiple of
input plus output bytes: 1.0 means nothing but the two arrays.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

CHILD = r"""
import json, sys
import numpy as np

def status(key):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith(key))

peer, mode, side = sys.argv[1], sys.argv[2], int(sys.argv[3])
if peer == "upsample":
    from upsample_cli import interpolate
    run = lambda img: interpolate(img.transpose(2, 0, 1)[None], scale_factor=2, mode=mode)
elif peer == "torch":
    import torch
    run = lambda img: torch.nn.functional.interpolate(
        torch.from_numpy(img).permute(2, 0, 1)[None], scale_factor=2, mode=mode)
else:
    import cv2
    flag = {"nearest": cv2.INTER_NEAREST, "bilinear": cv2.INTER_LINEAR, "bicubic": cv2.INTER_CUBIC}[mode]
    run = lambda img: cv2.resize(img, (2 * img.shape[1], 2 * img.shape[0]), interpolation=flag)
run(np.zeros((64, 64, 3), np.uint8))  # load and compile everything first
before = status("VmRSS:")
img = np.random.default_rng(0).integers(0, 256, (side, side, 3), dtype=np.uint8)
out = run(img)
print(json.dumps({"peak": status("VmHWM:") - before, "bytes": img.nbytes + 4 * img.nbytes}))
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=8192)
    parser.add_argument("--modes", default="nearest,bilinear,bicubic")
    args = parser.parse_args()
    print(f"RGB uint8 {args.side}^2 x2: peak added memory / (input + output bytes)")
    print(f"{'mode':<10}" + "".join(f"{p:>10}" for p in ("upsample", "torch", "opencv")))
    for mode in args.modes.split(","):
        row = f"{mode:<10}"
        for peer in ("upsample", "torch", "opencv"):
            done = subprocess.run([sys.executable, "-c", CHILD, peer, mode, str(args.side)],
                                  capture_output=True, text=True)
            if done.returncode:
                row += f"{'-':>10}"
                continue
            r = json.loads(done.stdout)
            row += f"{r['peak'] / r['bytes']:>10.2f}"
        print(row, flush=True)


if __name__ == "__main__":
    main()
