"""First use: how long a user waits for ``upsample resize`` on the first run after installation,
against the same job done by a Pillow script, each run as a whole process.

    python benchmarks/bench_first_use.py [--size 2048] [--repeat 1] [--quick] [--only TEXT]

The input is a synthetic photograph of ``--size`` x ``--size`` pixels (gradients, a sun, a
horizon, a house, a fence, fine texture and mild noise; the same on every run), uint8, saved as a
gray, an RGB and an RGBA PNG. Each case is timed from the shell's point of view, start-up,
decoding and writing included, three ways:

``first`` is ``upsample resize`` with ``NUMBA_CACHE_DIR`` set to a new empty folder, as on a
fresh installation whose Numba cache is still empty: it loads Numba and compiles the loops it
needs, unless it estimates that NumPy finishes that image sooner (then it compiles nothing).
``compiled`` says whether it printed that it was compiling kernels for first use. ``again`` is
the same command with the same folder, now filled. ``pillow`` is a ``python -c`` script that
opens the input, resizes it to the size of upsample's output with the matching Pillow filter
(nearest, bilinear, bicubic, lanczos; area is Pillow's box) and saves it as PNG at zlib level 1,
as upsample writes PNG by default.

Times are the best of ``--repeat`` runs, each ``first`` run with a new empty cache folder. The
target is ``first`` within 1.5 times ``pillow``, or, where ``pillow`` takes under 2 s, within
``pillow`` + 1 s. The files of Python and its libraries are read from the system's file cache
once the first run has read them, as on a machine where Python has been used before.

Everything runs on the Python that runs this script. To measure what a new user waits, run it
from a fresh installation, with the package's own dependencies only::

    python -m venv /tmp/fresh && /tmp/fresh/bin/pip install . && /tmp/fresh/bin/python benchmarks/bench_first_use.py

Where SciPy is installed (a development environment), Numba imports it the first time it
compiles or loads a function, about 0.4 s a process; the header says whether it is.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib.metadata import version
from importlib.util import find_spec
from pathlib import Path

import numpy as np
from PIL import Image

PY = sys.executable
COMPILING = "compiling kernels for first use"
PILLOW_FILTERS = {"nearest": "NEAREST", "bilinear": "BILINEAR", "bicubic": "BICUBIC",
                  "lanczos": "LANCZOS", "area": "BOX"}

PILLOW_RESIZE = """
import sys
from PIL import Image
src, dst, width, height, name = sys.argv[1:6]
im = Image.open(src)
im.load()
im.resize((int(width), int(height)), getattr(Image.Resampling, name)).save(dst, compress_level=1)
"""


@dataclass(frozen=True)
class Case:
    name: str
    channels: int
    mode: str
    scale: float
    antialias: bool = False


CASES = [
    Case("RGB bicubic x3", 3, "bicubic", 3),
    Case("RGB bilinear x1.7", 3, "bilinear", 1.7),
    Case("gray bicubic x2", 1, "bicubic", 2),
    Case("RGBA lanczos /3 antialias", 4, "lanczos", 1 / 3, antialias=True),
    Case("RGB bilinear /4 antialias", 3, "bilinear", 1 / 4, antialias=True),
    Case("RGB nearest x2", 3, "nearest", 2),
    Case("RGB area /3", 3, "area", 1 / 3),
    Case("gray bilinear /2 antialias", 1, "bilinear", 1 / 2, antialias=True),
    Case("RGBA bicubic x1.7", 4, "bicubic", 1.7),
]


def photo(side: int, channels: int) -> np.ndarray:
    """A synthetic photograph, side x side, uint8, with 1 (gray), 3 (RGB) or 4 (RGBA) channels."""
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:side, 0:side] / side
    horizon = 0.55 + 0.02 * np.sin(2 * np.pi * x)
    sky_t = np.clip(y / horizon, 0, 1)[..., None]
    sky = (1 - sky_t) * [70, 120, 210] + sky_t * [200, 220, 245]
    ground_t = np.clip((y - horizon) / (1 - horizon), 0, 1)[..., None]
    ground = (1 - ground_t) * [90, 150, 60] + ground_t * [40, 90, 30]
    # Grass: a fine texture below the horizon.
    ground += (12 * np.sin(side * x * 1.3) * np.sin(side * y * 0.7))[..., None]
    img = np.where((y < horizon)[..., None], sky, ground)
    sun = np.hypot(x - 0.78, y - 0.22)
    img += np.exp(-((sun / 0.12) ** 2))[..., None] * [60, 40, 0]
    img = np.where((sun < 0.055)[..., None], [255, 235, 140], img)
    wall = (x > 0.15) & (x < 0.43) & (y > 0.52) & (y < 0.8)
    roof = (y <= 0.52) & (y > 0.52 - (0.14 - np.abs(x - 0.29))) & (np.abs(x - 0.29) < 0.16)
    window = (x > 0.21) & (x < 0.29) & (y > 0.58) & (y < 0.68)
    fence = (y > 0.72) & (y < 0.86) & (x > 0.5) & ((np.arange(side) // 3) % 2 == 0)[None, :]
    for mask, colour in ((wall, [180, 60, 50]), (roof, [90, 40, 30]), (window, [250, 250, 220]),
                         (fence, [230, 230, 230])):
        img = np.where(mask[..., None], colour, img)
    img += rng.normal(0, 2.0, img.shape)
    if channels == 1:
        img = img @ [0.299, 0.587, 0.114]
    elif channels == 4:
        alpha = 255 * np.clip(1.6 - 2 * np.hypot(x - 0.5, y - 0.5), 0, 1)
        img = np.dstack([img, alpha])
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def upsample_command() -> list:
    """The ``upsample`` script installed beside this Python, else ``python -m upsample_cli``."""
    script = Path(PY).with_name("upsample")
    return [str(script)] if script.exists() else [PY, "-m", "upsample_cli"]


def timed_run(command: list, env=None) -> tuple:
    """Wall-clock seconds of the process, and what it wrote to stderr."""
    start = time.perf_counter()
    done = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr}")
    return seconds, done.stderr


def run_case(case: Case, src: Path, work: Path, repeat: int) -> dict:
    """Best ``first``, ``again`` and ``pillow`` seconds of the case, and whether ``first`` compiled."""
    out = work / "upsample.png"
    command = upsample_command() + ["resize", str(src), str(out), "--scale", repr(case.scale), "--mode", case.mode]
    if case.antialias:
        command.append("--antialias")
    first, again, pillow, compiled = [], [], [], False
    for _ in range(repeat):
        env = dict(os.environ, NUMBA_CACHE_DIR=tempfile.mkdtemp(prefix="numba_cache_", dir=work))
        seconds, stderr = timed_run(command, env)
        first.append(seconds)
        compiled |= any(line.startswith(COMPILING) for line in stderr.splitlines())
        again.append(timed_run(command, env)[0])
        with Image.open(out) as written:
            width, height = written.size
        pillow_command = [PY, "-c", PILLOW_RESIZE, str(src), str(work / "pillow.png"), str(width), str(height),
                          PILLOW_FILTERS[case.mode]]
        pillow.append(timed_run(pillow_command)[0])
    return {"first": min(first), "compiled": compiled, "again": min(again), "pillow": min(pillow)}


def target(pillow: float) -> float:
    """The longest acceptable first run: 1.5 x Pillow's time, or Pillow's + 1 s where Pillow takes under 2 s."""
    return pillow + 1 if pillow < 2 else 1.5 * pillow


def header(side: int, repeat: int) -> str:
    machine = platform.processor() or platform.machine()
    versions = ", ".join(f"{name} {version(name)}" for name in ("upsample", "numba", "Pillow"))
    return (f"{datetime.date.today()}; {os.cpu_count()} cores, {machine}, {platform.system()}; "
            f"Python {platform.python_version()}, {versions}\n"
            f"input {side}x{side} uint8 PNG; whole processes, best of {repeat}; "
            f"SciPy {'installed (Numba imports it)' if find_spec('scipy') else 'not installed'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=2048, help="side of the square input (default 2048)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each case, the best reported (default 1)")
    parser.add_argument("--quick", action="store_true", help="a 512 x 512 input, for a smoke test")
    parser.add_argument("--only", default="", help="run the cases whose name contains this text")
    args = parser.parse_args()
    side = 512 if args.quick else args.size
    cases = [case for case in CASES if args.only in case.name]

    print(header(side, args.repeat))
    columns = f"{'case':28} {'first (s)':>9} {'compiled':>8} {'again (s)':>9} {'pillow (s)':>10} " \
              f"{'first/pillow':>12} {'target (s)':>10} {'met':>4}"
    with tempfile.TemporaryDirectory(prefix="bench_first_use_") as folder:
        work = Path(folder)
        inputs = {}
        for channels in sorted({case.channels for case in cases}):
            inputs[channels] = work / f"photo_{channels}.png"
            Image.fromarray(photo(side, channels)).save(inputs[channels])
        print(columns)
        for case in cases:
            t = run_case(case, inputs[case.channels], work, args.repeat)
            limit = target(t["pillow"])
            print(f"{case.name:28} {t['first']:9.2f} {'yes' if t['compiled'] else 'no':>8} {t['again']:9.2f} "
                  f"{t['pillow']:10.2f} {t['first'] / t['pillow']:12.2f} {'<= ' + format(limit, '.2f'):>10} "
                  f"{'yes' if t['first'] <= limit else 'no':>4}", flush=True)


if __name__ == "__main__":
    main()
