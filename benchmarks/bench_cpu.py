"""CPU benchmark: upsample against torch, OpenCV and Pillow on the same work, in one process.

Run with the dev extras installed (``pip install -e ".[dev]"``):

    python benchmarks/bench_cpu.py [--threads 2] [--repeat 5] [--quick]

Each peer gets the same array and the same number of threads. Times are the best of
``--repeat`` runs (the peers taking turns, each after a short pause so that no library's idle
threads are still spinning; the best is the run least disturbed by the machine's other work,
``--median`` reports the median; ``--pause 0`` runs the peers' calls in turn with no pause, so
that threads which spin after their work still spin) after half a second of warm-up runs each; a ratio
is ours / peer, so below 1.0 means upsample is faster. A dash means the peer has no equivalent of that case.
With ``--burst K`` each library makes K calls in a row in its turn, each after the pause and each
timed: as a loop over images calls one library, whose code is then still in the caches (the first
call after another library's finds its code evicted, which costs a small call tens of
microseconds, the more the more code it runs).

``floor`` is the memory traffic no resizer avoids, timed on the same threads: one read of the
input and one write of an output-sized array already in memory. Where upsample and a peer both
sit near it, the case is bound by memory, not arithmetic. ``fresh`` is the same traffic into a
new array each call: the floor of a result on fresh memory, whose pages fault (the system zeroes
them) on their first write.

Each call returns a new array, as users call these libraries, and drops it before the next.
Fresh memory costs a page fault per page on its first write; upsample's results reuse the
memory of those gone before (``upsample_cli/kernels/memory.py``), the peers' do not. ``cv2-dst``
is OpenCV writing into an existing array (its ``dst`` argument), which spares it that cost.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np

from upsample_cli import interpolate


PAUSE = 0.02


def timed(fns, repeat, warmup=0.5, median=False, pause=PAUSE, burst=1):
    """Best (or median) time of each callable, the callables taking turns so that the machine's slow
    spells fall on all of them alike."""
    # A fresh process runs its first large resizes slowly (seen here: 3 to 4 times slower for the
    # first ten or so, whichever library runs them): untimed runs for ``warmup`` seconds first.
    for fn in fns.values():
        start, calls = time.perf_counter(), 0
        while calls < 3 or time.perf_counter() - start < warmup:
            fn()
            calls += 1
    times = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            for _ in range(burst):
                # Thread pools spin for a while after their work (OpenMP's, among others), which slows
                # whichever library runs next: each call starts after a pause, with them asleep.
                time.sleep(pause)
                t0 = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - t0)
    return {name: (statistics.median(t) if median else min(t)) for name, t in times.items()}


def floor(src, out_bytes, fresh=False):
    """A callable that reads ``src`` once and fills an array of ``out_bytes``, made once or, with
    ``fresh``, anew each call (see the module docstring), in 8-byte words over the threads."""
    import numba

    @numba.njit(parallel=True, nogil=True)
    def stream(words, out):
        chunks = 4 * numba.get_num_threads()
        for c in numba.prange(chunks):
            src, dst = words[c * words.size // chunks : (c + 1) * words.size // chunks], out[c * out.size // chunks :]
            acc = np.uint64(0)
            for i in range(src.size):
                acc ^= src[i]
            for i in range((c + 1) * out.size // chunks - c * out.size // chunks):
                dst[i] = acc

    words = np.ascontiguousarray(src).reshape(-1).view(np.uint8)[: src.nbytes // 8 * 8].view(np.uint64)
    if fresh:
        return lambda: stream(words, np.empty(out_bytes // 8, np.uint64))
    out = np.empty(out_bytes // 8, np.uint64)
    return lambda: stream(words, out)


def cases(quick: bool):
    side = 512 if quick else 2048
    rng = np.random.default_rng(0)
    img_u8 = rng.integers(0, 256, (side, side, 3), dtype=np.uint8)
    img_f32 = img_u8.astype(np.float32) / 255
    nchw = np.ascontiguousarray(img_f32.transpose(2, 0, 1))[None]
    for name, img in (("uint8", img_u8), ("float32", img_f32)):
        for scale in (2, 1.7):
            for mode in ("nearest", "bilinear", "bicubic"):
                yield f"{name} HWC {side}^2 {mode} x{scale}", dict(image=img, mode=mode, scale=scale)
        yield f"{name} HWC {side}^2 antialias /4", dict(image=img, mode="bilinear", scale=0.25, antialias=True)
        yield f"{name} HWC {side}^2 area /4", dict(image=img, mode="area", scale=0.25)
    yield f"float32 NCHW {side}^2 bilinear x2", dict(nchw=nchw, mode="bilinear", scale=2)
    # Other channel counts and factors: every mode at x3, x4, /2 and /3 on gray, RGB and RGBA.
    for channels, kind in ((1, "gray"), (3, "RGB"), (4, "RGBA")):
        img = rng.integers(0, 256, (side, side, channels), dtype=np.uint8)
        for scale, label in ((3, "x3"), (4, "x4"), (0.5, "/2"), (1 / 3, "/3")):
            for mode in ("nearest", "bilinear", "bicubic") + (("area",) if scale < 1 else ()):
                yield f"uint8 {kind} {side}^2 {mode} {label}", dict(image=img, mode=mode, scale=scale)
    # What a data loader resizes, where the cost of a call counts as much as its arithmetic.
    small = img_u8[:224, :224].copy()
    for name, img in (("uint8", small), ("float32", small.astype(np.float32) / 255)):
        for mode, scale in (("bilinear", 2), ("bicubic", 1.7)):
            yield f"{name} HWC 224^2 {mode} x{scale}", dict(image=img, mode=mode, scale=scale)
        yield f"{name} HWC 224^2 antialias /4", dict(image=img, mode="bilinear", scale=0.25, antialias=True)
    for vol in (64,) if quick else (160, 256):
        volume = rng.standard_normal((1, 1, vol, vol, vol)).astype(np.float32)
        stacks = [("float32", volume)]
        if vol == 160 or quick:
            stacks.append(("uint16", rng.integers(0, 65536, volume.shape).astype(np.uint16)))
        for name, v in stacks:
            for mode, scale in (("trilinear", 2), ("nearest", 2), ("area", 0.5), ("trilinear", (1, 2, 2)),
                                ("trilinear", (2, 1.5, 1))):
                label = "x" + "*".join(map(str, scale)) if isinstance(scale, tuple) else f"x{scale}"
                yield f"{name} {vol}^3 {mode} {label}", dict(volume=v, mode=mode, scale=scale)


def runners(case, threads):
    """Callables for each peer on this case, keyed by name (absent: no equivalent)."""
    mode, scale, aa = case["mode"], case["scale"], case.get("antialias", False)
    out = {}
    if "image" in case:
        img = case["image"]
        view = img.transpose(2, 0, 1)[None]  # channels-last NCHW view, no copy
        out["upsample"] = lambda: interpolate(view, scale_factor=scale, mode=mode, antialias=aa)
        out["floor"] = floor(img, out["upsample"]().nbytes)
        out["fresh"] = floor(img, out["upsample"]().nbytes, fresh=True)
        out.update(_torch(view, mode, scale, aa))
        out.update(_opencv(img, mode, scale, aa))
        out.update(_pillow(img, mode, scale))
    else:
        arr = case.get("nchw", case.get("volume"))
        out["upsample"] = lambda: interpolate(arr, scale_factor=scale, mode=mode)
        out["floor"] = floor(arr, out["upsample"]().nbytes)
        out["fresh"] = floor(arr, out["upsample"]().nbytes, fresh=True)
        out.update(_torch(arr, mode, scale, aa))
    return out


def _torch(arr, mode, scale, aa):
    try:
        import torch
    except ImportError:
        return {}
    t = torch.from_numpy(arr)
    if t.dtype == torch.uint8 and mode not in ("nearest", "bilinear", "bicubic"):
        return {}
    kw = {} if mode in ("nearest", "area") else {"align_corners": False}
    resize = torch.nn.functional.interpolate
    if t.dtype == torch.uint16:  # torch has no uint16 kernels: what a torch user writes instead
        return {"torch": lambda: resize(t.float(), scale_factor=scale, mode=mode, **kw)
                .round_().clamp_(0, 65535).to(torch.uint16)}
    return {"torch": lambda: resize(t, scale_factor=scale, mode=mode, antialias=aa, **kw)}


def _opencv(img, mode, scale, aa):
    try:
        import cv2
    except ImportError:
        return {}
    flag = cv2.INTER_AREA if aa else {
        "nearest": cv2.INTER_NEAREST, "bilinear": cv2.INTER_LINEAR, "bicubic": cv2.INTER_CUBIC, "area": cv2.INTER_AREA,
    }[mode]
    size = (int(img.shape[1] * scale), int(img.shape[0] * scale))
    dst = cv2.resize(img, size, interpolation=flag)
    return {"opencv": lambda: cv2.resize(img, size, interpolation=flag),
            "cv2-dst": lambda: cv2.resize(img, size, dst=dst, interpolation=flag)}


def _pillow(img, mode, scale):
    from PIL import Image

    if img.dtype != np.uint8:
        return {}
    resample = {"nearest": Image.NEAREST, "bilinear": Image.BILINEAR, "bicubic": Image.BICUBIC, "area": Image.BOX}[mode]
    pil = Image.fromarray(img[:, :, 0] if img.shape[2] == 1 else img)
    size = (int(img.shape[1] * scale), int(img.shape[0] * scale))
    return {"pillow": lambda: pil.resize(size, resample)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    parser.add_argument("--only", default="", help="run the cases whose name contains this text")
    parser.add_argument("--median", action="store_true", help="report the median time instead of the best")
    parser.add_argument("--pause", type=float, default=PAUSE,
                        help=f"seconds before each call (default {PAUSE}; 0: calls back to back)")
    parser.add_argument("--burst", type=int, default=1, help="calls in a row in each library's turn (default 1)")
    args = parser.parse_args()
    _set_threads(args.threads)

    peers = ["torch", "opencv", "cv2-dst", "pillow"]
    header = f"{'case':<34}{'upsample':>10}{'floor':>7}{'fresh':>7}" + "".join(f"{p:>9}{'ratio':>7}" for p in peers)
    stat = "median" if args.median else "best"
    calls = f"{args.repeat} turns of {args.burst} calls" if args.burst > 1 else str(args.repeat)
    print(f"threads={args.threads}; times in ms ({stat} of {calls}); ratio = upsample / peer")
    print(header)
    print("-" * len(header))
    # The whole process first runs large resizes slowly for a second or two, whichever library
    # runs them: warm it up on the first case with every peer, so that no one pays for it.
    _, first = next(cases(args.quick))
    start = time.perf_counter()
    while time.perf_counter() - start < 2:
        for fn in runners(first, args.threads).values():
            fn()
    for name, case in cases(args.quick):
        if args.only and args.only not in name:
            continue
        fns = runners(case, args.threads)
        times = timed(fns, args.repeat, median=args.median, pause=args.pause, burst=args.burst)
        ours = times["upsample"]
        row = f"{name:<34}{_ms(ours):>10}{_ms(times['floor']):>7}{_ms(times['fresh']):>7}"
        for p in peers:
            if p in times:
                row += f"{_ms(times[p]):>9}{ours / times[p]:>7.2f}"
            else:
                row += f"{'-':>9}{'-':>7}"
        print(row, flush=True)


def _ms(seconds):
    """Milliseconds, one decimal (three significant digits under 1 ms, for the small images)."""
    return f"{seconds * 1e3:.1f}" if seconds >= 1e-3 else f"{seconds * 1e3:.3g}"


def _set_threads(n):
    import numba

    numba.set_num_threads(n)
    try:
        import torch

        torch.set_num_threads(n)
    except ImportError:
        pass
    try:
        import cv2

        cv2.setNumThreads(n)
    except ImportError:
        pass


if __name__ == "__main__":
    main()
