"""GPU benchmark: upsample's CUDA kernels against torch's CUDA ``interpolate`` on the same data.

Needs an NVIDIA GPU, numba-cuda and torch with CUDA:

    python benchmarks/bench_cuda.py [--repeat 20]

Inputs are torch CUDA tensors; upsample reads them in place through
``__cuda_array_interface__``, so neither side copies to or from the host. Times are medians
after a warm-up, with the device synchronised around each run; GB/s counts the bytes read
and written once (input + output) per second; ratio = upsample / torch (below 1 is faster).
"""

from __future__ import annotations

import argparse
import statistics
import time


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    import torch
    from numba import cuda

    from upsample_cli import interpolate

    def timed(fn):
        fn()
        cuda.synchronize()
        torch.cuda.synchronize()
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            fn()
            cuda.synchronize()
            torch.cuda.synchronize()
            times.append(time.perf_counter() - t0)
        return statistics.median(times)

    gen = torch.Generator(device="cuda").manual_seed(0)
    img = torch.rand((1, 3, 4096, 4096), device="cuda", generator=gen)
    img_u8 = (img * 255).to(torch.uint8).contiguous(memory_format=torch.channels_last)
    vol = torch.rand((1, 1, 256, 256, 256), device="cuda", generator=gen)
    cases = [
        ("float32 4096^2x3 bilinear x2", img, dict(scale_factor=2, mode="bilinear", align_corners=False)),
        ("uint8 4096^2x3 antialias /4", img_u8, dict(scale_factor=0.25, mode="bilinear", antialias=True, align_corners=False)),
        ("float32 256^3 trilinear x2", vol, dict(scale_factor=2, mode="trilinear", align_corners=False)),
        ("float32 256^3 area /2", vol, dict(scale_factor=0.5, mode="area")),
    ]
    print(f"device: {torch.cuda.get_device_name()}; times in ms (median of {args.repeat})")
    print(f"{'case':<32}{'upsample':>10}{'GB/s':>8}{'torch':>10}{'GB/s':>8}{'ratio':>8}")
    for name, x, kw in cases:
        out = torch.nn.functional.interpolate(x, **kw)
        nbytes = x.numel() * x.element_size() + out.numel() * out.element_size()
        ours = timed(lambda: interpolate(x, device="cuda", **kw))
        peer = timed(lambda: torch.nn.functional.interpolate(x, **kw))
        print(f"{name:<32}{ours * 1e3:>10.2f}{nbytes / ours / 1e9:>8.0f}{peer * 1e3:>10.2f}{nbytes / peer / 1e9:>8.0f}"
              f"{ours / peer:>8.2f}", flush=True)


if __name__ == "__main__":
    main()
