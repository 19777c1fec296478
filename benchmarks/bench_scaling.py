"""How the cost of a resize grows with image size and threads.

    python benchmarks/bench_scaling.py [--sizes 256,512,1024,2048,4096,8192] [--threads 1,2]

RGB uint8 images resized x2 (nearest, bilinear, bicubic); prints the median time in ms and the
time per output pixel in ns, for each number of threads.
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="256,512,1024,2048,4096,8192")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--modes", default="nearest,bilinear,bicubic")
    args = parser.parse_args()
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
                s = median_time(lambda: interpolate(img, scale_factor=2, mode=mode))
                row += f"{s * 1e3:>12.2f} ({s * 1e9 / (4 * side * side):5.2f} ns)"
            print(row, flush=True)


if __name__ == "__main__":
    main()
