"""How the cost of a resize grows with image size and threads.

    python benchmarks/bench_scaling.py [--sizes 256,512,1024,2048,4096,8192] [--threads 1,2]
                                       [--modes nearest,bilinear,bicubic] [--peers] [--csv FILE]

RGB uint8 images resized x2 (nearest, bilinear, bicubic); prints the median time in ms and the
time per output pixel in ns, for each number of threads. With ``--peers``, OpenCV, torch and
Pillow (those installed) do the same resizes in the same process, with all threads. ``--csv``
also writes ``tool,mode,side,threads,seconds`` rows, which ``docs/make_figures.py`` plots.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numba
import numpy as np

from upsample_cli import interpolate


def median_time(fn, budget=1.0):
    fn()
    times, start = [], time.perf_counter()
    while len(times) < 3 or (time.perf_counter() - start < budget and len(times) < 15):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def peer_calls(img_hwc, mode):
    """name -> a call doing the resize of ``upsample`` on ``img_hwc`` x2, for the installed peers."""
    h, w = img_hwc.shape[:2]
    calls = {}
    try:
        import cv2

        flag = {"nearest": cv2.INTER_NEAREST, "bilinear": cv2.INTER_LINEAR, "bicubic": cv2.INTER_CUBIC}[mode]
        calls["opencv"] = lambda: cv2.resize(img_hwc, (2 * w, 2 * h), interpolation=flag)
    except ImportError:
        pass
    try:
        import torch

        t = torch.from_numpy(img_hwc).permute(2, 0, 1)[None].contiguous(memory_format=torch.channels_last)
        calls["torch"] = lambda: torch.nn.functional.interpolate(t, scale_factor=2, mode=mode)
    except ImportError:
        pass
    from PIL import Image

    im = Image.fromarray(img_hwc)
    resample = {"nearest": Image.NEAREST, "bilinear": Image.BILINEAR, "bicubic": Image.BICUBIC}[mode]
    calls["pillow"] = lambda: im.resize((2 * w, 2 * h), resample)
    return calls


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="256,512,1024,2048,4096,8192")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--modes", default="nearest,bilinear,bicubic")
    parser.add_argument("--peers", action="store_true", help="also time OpenCV, torch and Pillow")
    parser.add_argument("--csv", help="write tool,mode,side,threads,seconds rows to this file")
    parser.add_argument("--budget", type=float, default=1.0, help="seconds of repeats per measurement")
    args = parser.parse_args()
    rows = []
    threads = [int(t) for t in args.threads.split(",")]
    print("RGB uint8, x2; ms (ns per output pixel)")
    print(f"{'mode':<10}{'side':>6}" + "".join(f"{f'{t} thread' + ('s' if t > 1 else ''):>22}" for t in threads))
    rng = np.random.default_rng(0)
    for mode in args.modes.split(","):
        for side in (int(s) for s in args.sizes.split(",")):
            img = rng.integers(0, 256, (side, side, 3), dtype=np.uint8).transpose(2, 0, 1)[None]
            row = f"{mode:<10}{side:>6}"
            for t in threads:
                numba.set_num_threads(t)
                s = median_time(lambda: interpolate(img, scale_factor=2, mode=mode), args.budget)
                rows.append(("upsample", mode, side, t, s))
                row += f"{s * 1e3:>12.2f} ({s * 1e9 / (4 * side * side):5.2f} ns)"
            if args.peers:
                numba.set_num_threads(max(threads))
                for name, call in peer_calls(np.ascontiguousarray(img[0].transpose(1, 2, 0)), mode).items():
                    s = median_time(call, args.budget)
                    rows.append((name, mode, side, max(threads), s))
                    row += f"  {name} {s * 1e3:.2f}"
            print(row, flush=True)
    if args.csv:
        with open(args.csv, "w") as f:
            f.write("tool,mode,side,threads,seconds\n")
            f.writelines(f"{tool},{mode},{side},{t},{s:.6g}\n" for tool, mode, side, t, s in rows)


if __name__ == "__main__":
    main()
