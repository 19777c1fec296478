"""Peak memory of one large resize: upsample against torch and OpenCV, and the whole command line.

    python benchmarks/bench_memory.py [--side 8192] [--modes nearest,bilinear,bicubic]
    python benchmarks/bench_memory.py --command [--side 3000] [--scale 2] [--channels 3] [--all-pairs]

For an RGB uint8 image of ``side``^2 resized x2, prints the peak resident memory the resize
added to the process (peak minus the resident size before the input was made) as a multiple of
input plus output bytes: 1.0 means nothing but the two arrays.

With ``--command``, ``upsample resize IN OUT --scale S --mode bilinear`` runs in a fresh process
per pair of formats (each reader to .npy and .npy to each writer; every pair with
``--all-pairs``), after the same command on a small image has loaded the codecs and kernels;
the peak resident memory of the large run above the resident size before it (``VmHWM`` reset
through ``/proc/self/clear_refs``), as a multiple of the decoded input plus output bytes.
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


COMMAND = r"""
import json, sys
import upsample_cli.kernels.cpu  # (Numba loaded: the memory measured is the command's own)
from upsample_cli.cli import main

def status(key):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith(key))

def run(src, dst):
    try:
        main(["resize", src, dst, "--scale", sys.argv[5], "--mode", "bilinear"])
    except SystemExit as e:
        return e.code
    return 0

small_in, small_out, big_in, big_out = sys.argv[1:5]
run(small_in, small_out)  # codecs, plugins and kernels loaded
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # (the high-water mark restarts from the resident size)
before = status("VmRSS:")
code = run(big_in, big_out)
print(json.dumps({"code": code, "peak": status("VmHWM:") - before}))
"""
FORMATS = ("npy", "png", "jpg", "tif", "webp", "bmp")


def sample(side: int, channels: int):
    """A photograph-like test image: smooth gradients with fine noise (uint8)."""
    import numpy as np

    y, x = np.mgrid[0:side, 0:side].astype(np.float32) / side
    noise = np.random.default_rng(0).integers(0, 24, (side, side, channels), dtype=np.uint8)
    bands = [np.sin(7 * x + 3 * c) * np.cos(5 * y - c) for c in range(channels)]
    smooth = (np.stack(bands, axis=-1) * 100 + 116).astype(np.uint8)
    return (smooth + noise).squeeze()


def save(path: str, a) -> None:
    import numpy as np
    import tifffile
    from PIL import Image

    if path.endswith(".npy"):
        np.save(path, a)
    elif path.endswith(".tif"):
        tifffile.imwrite(path, a, compression="zlib")
    else:
        Image.fromarray(a).save(path, quality=90)  # (lossy WebP: a lossless one takes long to make)


def holds(fmt: str, channels: int) -> bool:
    return not (channels in (2, 4) and fmt in ("jpg", "bmp")) and not (channels < 3 and fmt == "webp")


def command_table(side: int, scale: float, channels: int, all_pairs: bool) -> None:
    import os
    import tempfile

    formats = [f for f in FORMATS if holds(f, channels)]
    if all_pairs:
        pairs = [(a, b) for a in formats for b in formats]
    else:
        pairs = [(a, "npy") for a in formats] + [("npy", b) for b in formats if b != "npy"]
    # bytes of the decoded input and the output (WebP decodes gray as RGB)
    in_channels = {f: 3 if f == "webp" and channels == 1 else channels for f in formats}
    print(f"upsample resize, {side}^2 x{channels} uint8 x{scale:g} bilinear: peak / (input + output bytes)")
    with tempfile.TemporaryDirectory() as folder:
        for name, n in (("small", 256), ("big", side)):
            a = sample(n, channels)
            for fmt in formats:
                save(os.path.join(folder, f"{name}.{fmt}"), a)
        for src, dst in pairs:
            files = [os.path.join(folder, f"{name}.{fmt}") for name in ("small", "big")
                     for fmt in (src, "out." + dst)]
            done = subprocess.run([sys.executable, "-c", COMMAND, *files, str(scale)], capture_output=True, text=True)
            out_side = int(side * scale)
            moved = (side * side + out_side * out_side) * in_channels[src]
            if done.returncode or json.loads(done.stdout)["code"]:
                print(f"{src:>5} -> {dst:<5} failed: {done.stderr.strip().splitlines()[-1:]}", flush=True)
                continue
            peak = json.loads(done.stdout)["peak"]
            print(f"{src:>5} -> {dst:<5} {peak / moved:6.2f}  ({peak / 2**20:7.1f} MiB)", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=None, help="8192; 3000 with --command")
    parser.add_argument("--modes", default="nearest,bilinear,bicubic")
    parser.add_argument("--command", action="store_true", help="the whole upsample resize, per pair of formats")
    parser.add_argument("--scale", type=float, default=2.0, help="with --command: the factor")
    parser.add_argument("--channels", type=int, default=3, help="with --command: 1, 2, 3 or 4")
    parser.add_argument("--all-pairs", action="store_true", help="with --command: every reader to every writer")
    args = parser.parse_args()
    if args.command:
        command_table(args.side or 3000, args.scale, args.channels, args.all_pairs)
        return
    args.side = args.side or 8192
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
