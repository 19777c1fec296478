"""Learned upsampling against torch CPU, in one process, on the same threads.

    python benchmarks/bench_learned.py [--threads 2] [--repeat 5]

Cases (float32): a 2-D decoder step, (1, 64, 128, 128) -> x2 by a ConvTranspose2d with kernel 4,
stride 2, padding 1, dense and depthwise (groups=64); the same in 3-D on (1, 32, 48, 48, 48); and
pixel_shuffle of (1, 256, 256, 256) by 4. Times are the best of ``--repeat`` runs after a warm-up
run each, ours and torch's taking turns; the ratio is ours / torch, so below 1.0 means upsample is
faster. Both results are checked to agree before timing. Numba's threads, torch's and the matrix
library's (OpenBLAS, which the dense cases' matrix products run on, one product per thread where
threadpoolctl is installed) are set to ``--threads``.
"""

from __future__ import annotations

import argparse
import os
import time


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = str(args.threads)  # (before NumPy and torch load their libraries)

    import numba
    import numpy as np
    import torch
    import torch.nn.functional as F

    from upsample_cli import conv_transpose2d, conv_transpose3d, pixel_shuffle

    numba.set_num_threads(args.threads)
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)

    def case(name, ours, theirs, arrays):
        tensors = [torch.from_numpy(a) for a in arrays]
        got, want = ours(*arrays), theirs(*tensors).numpy()
        np.testing.assert_allclose(got, want, rtol=1e-3, atol=1e-3)
        # The two take turns, so that both meet the same moments of a machine shared with other work.
        runs, times = (lambda: ours(*arrays), lambda: theirs(*tensors)), [float("inf")] * 2
        for _ in range(args.repeat):
            for i, run in enumerate(runs):
                start = time.perf_counter()
                run()
                times[i] = min(times[i], time.perf_counter() - start)
        print(f"{name:<44} {times[0] * 1e3:>9.1f} {times[1] * 1e3:>9.1f} {times[0] / times[1]:>7.2f}")

    def data(*shape):
        return rng.standard_normal(shape).astype(np.float32)

    print(f"threads: {args.threads}")
    print(f"{'case':<44} {'ours ms':>9} {'torch ms':>9} {'ratio':>7}")
    x2, x3 = data(1, 64, 128, 128), data(1, 32, 48, 48, 48)
    case("conv_transpose2d 64->64 k4 s2 p1", lambda x, w: conv_transpose2d(x, w, stride=2, padding=1),
         lambda x, w: F.conv_transpose2d(x, w, stride=2, padding=1), (x2, data(64, 64, 4, 4) / 32))
    case("conv_transpose2d depthwise (groups=64)", lambda x, w: conv_transpose2d(x, w, stride=2, padding=1, groups=64),
         lambda x, w: F.conv_transpose2d(x, w, stride=2, padding=1, groups=64), (x2, data(64, 1, 4, 4)))
    case("conv_transpose3d 32->32 k4 s2 p1", lambda x, w: conv_transpose3d(x, w, stride=2, padding=1),
         lambda x, w: F.conv_transpose3d(x, w, stride=2, padding=1), (x3, data(32, 32, 4, 4, 4) / 32))
    case("pixel_shuffle (1, 256, 256, 256) by 4", lambda x: pixel_shuffle(x, 4), lambda x: F.pixel_shuffle(x, 4),
         (data(1, 256, 256, 256),))


if __name__ == "__main__":
    main()
