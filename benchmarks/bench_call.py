"""The cost of a small call, layer by layer: upsample against OpenCV on 224^2 RGB images.

    python benchmarks/bench_call.py [--side 224] [--repeat 41] [--peers]

Timed as ``bench_cpu.py`` times (the callables take turns, each call after a 20 ms pause; the
best of ``--repeat`` is printed, in ms). Columns: ``whole``, ``interpolate`` as users call it;
``run``, what ``interpolate`` keeps for such a call, run without its key and lookup (from its
second call on, a plan of one launch is one compiled call from the input to its result);
``pass``, the planned pass(es) alone, called with their arrays ready (on one thread, as a call of
this size runs); ``kernel``, the compiled code those passes launch, on the same arrays and tables
(what any call of these kernels costs at least); ``opencv``, ``cv2.resize`` as called.
``--peers`` adds torch's and Pillow's calls to the turns, as the CPU benchmark has them. The
layers are read from upsample's internals (``api._calls``, ``kernels.cpu.plan``,
``kernels.cpu._launcher``): a dev tool, not an interface.
"""

from __future__ import annotations

import argparse

import numpy as np

from bench_cpu import PAUSE, timed  # (this folder is on the path when run as a script)
from upsample_cli import api, interpolate
from upsample_cli.kernels import cpu


def layers(call):
    """``run``, ``alone`` and ``compiled`` of ``call`` (one ``interpolate`` call): the kept plan, its
    passes with their arrays ready, and the compiled code those passes launch, on the same arrays."""
    forget = lambda: [d.clear() for d in (api._calls, api._plans, cpu._kept_plans)]
    passes, launches, plan, launcher = [], [], cpu.plan, cpu._launcher

    def capturing(*args, **kwargs):
        apply = plan(*args, **kwargs)
        return lambda src, out: (passes.append((apply, src, out)), apply(src, out))

    def recording(alone):
        launch = launcher(alone)
        return lambda kernel, *args: (launches.append((kernel, args, alone)), launch(kernel, *args))

    forget()
    cpu.plan, cpu._launcher = capturing, recording
    try:
        call()
        passes.clear()
        launches.clear()
        api._calls.clear()  # (the kept plan run again, not the call a repeat puts in its place)
        call()
    finally:
        cpu.plan, cpu._launcher = plan, launcher
    forget()
    call()
    call()
    run = list(api._calls.values())[-1]
    ready = list(passes)
    codes = []
    for kernel, args, alone in launches:
        code = cpu._launch(kernel, alone)
        if alone:  # (as the plan calls it: the twin's compiled code for these types)
            code = code.overloads[tuple(map(code.typeof_pyval, args))].entry_point
        codes.append((code, args))

    def alone():  # (planned on one thread, as a call of this size is)
        for apply, src, out in ready:
            apply(src, out)

    def compiled():
        for code, args in codes:
            code(*args)

    return run, alone, compiled


def main():
    import cv2
    import numba

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=224)
    parser.add_argument("--repeat", type=int, default=41)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--peers", action="store_true", help="torch's and Pillow's calls take turns too")
    args = parser.parse_args()
    numba.set_num_threads(args.threads)
    cv2.setNumThreads(args.threads)
    rng = np.random.default_rng(0)
    side = args.side
    u8 = cv2.resize(rng.integers(0, 256, (side // 4, side // 4, 3), dtype=np.uint8), (side, side),
                    interpolation=cv2.INTER_CUBIC)
    cases = [("bilinear x2", "bilinear", 2, False), ("bicubic x1.7", "bicubic", 1.7, False),
             ("antialias /4", "bilinear", 0.25, True)]
    print(f"{'case':22s} {'whole':>7s} {'run':>7s} {'pass':>7s} {'kernel':>7s} {'opencv':>7s}   "
          f"(ms, best of {args.repeat}, each call after a {PAUSE * 1e3:.0f} ms pause)")
    for dtype, img in (("uint8", u8), ("float32", u8.astype(np.float32) / 255)):
        for label, mode, scale, aa in cases:
            view = img.transpose(2, 0, 1)[None]
            size = (int(side * scale), int(side * scale))
            flag = cv2.INTER_AREA if aa else {"bilinear": cv2.INTER_LINEAR, "bicubic": cv2.INTER_CUBIC}[mode]
            whole = lambda: interpolate(view, scale_factor=scale, mode=mode, antialias=aa)
            run, alone, compiled = layers(whole)
            fns = {"whole": whole, "run": lambda: run(view), "pass": alone, "kernel": compiled,
                   "opencv": lambda: cv2.resize(img, size, interpolation=flag)}
            if args.peers:
                fns.update(_peers(view, img, mode, scale, aa, size, args.threads))
            t = timed(fns, args.repeat)
            columns = ("whole", "run", "pass", "kernel", "opencv")
            print(f"{dtype + ' ' + label:22s} " + " ".join(f"{t[k] * 1e3:7.3f}" for k in columns))


def _peers(view, img, mode, scale, aa, size, threads):
    import torch
    from PIL import Image

    torch.set_num_threads(threads)
    tv = torch.from_numpy(view)
    out = {"torch": lambda: torch.nn.functional.interpolate(tv, scale_factor=scale, mode=mode, antialias=aa,
                                                            align_corners=False)}
    if img.dtype == np.uint8:
        pil = Image.fromarray(img)
        out["pillow"] = lambda: pil.resize(size, Image.BILINEAR if mode == "bilinear" else Image.BICUBIC)
    return out


if __name__ == "__main__":
    main()
