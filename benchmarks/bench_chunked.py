"""A volume larger than the memory it may use: ``upsample resize --memory`` block by block against
the same resize in memory, each a whole process.

    python benchmarks/bench_chunked.py [--shape 1024,2048,1024] [--memory 1GB] [--cases x2,/2]

Makes a uint16 volume of ``--shape`` (Z, Y, X; the default is 4 GiB, as a microscopy stack) with
smooth structure and noise, stored as an uncompressed TIFF and as a Zarr array (zstd-compressed
chunks of 64 x 256 x 256), in a temporary folder beside the current one (``--dir``). Each case
(``x2``: trilinear x2; ``/2``: area /2) then runs as ``upsample resize``:

``tiff chunked``: TIFF in, TIFF out, ``--memory``; ``zarr chunked``: Zarr in, Zarr out,
``--memory``; ``in memory``: TIFF in, TIFF out, the whole volume at once, run only where the
input and output together take less than half of this machine's memory.

For each: wall-clock seconds, the process's peak resident memory (``VmHWM``) above what the same
command holds just before resizing (its imports and Numba), and that as a fraction of
``--memory``. Ratios compare the chunked runs with the in-memory one.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

# Runs the command line in this process and prints, at exit, its peak resident memory and the
# resident memory it had once everything the resize uses was imported.
CHILD = r"""
import atexit, json, sys
def status(key):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith(key))
import numpy as np
from upsample_cli import interpolate
from upsample_cli.cli import main
import zarr, tifffile
interpolate(np.zeros((1, 1, 4, 4, 4), np.uint16), scale_factor=2, mode="trilinear")
interpolate(np.zeros((1, 1, 4, 4, 4), np.uint16), scale_factor=0.5, mode="area")
base = status("VmRSS:")
atexit.register(lambda: print(json.dumps({"base": base, "peak": status("VmHWM:")}), file=sys.stderr))
main(sys.argv[1:], prog_name="upsample")
"""

CASES = {"x2": ("2", "trilinear"), "/2": ("0.5", "area")}


def parse_bytes(text: str) -> int:
    units = {"KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30}
    for suffix, factor in units.items():
        if text.upper().endswith(suffix):
            return int(float(text[: -len(suffix)]) * factor)
    return int(text)


def make_volume(shape, folder: Path):
    """The volume as ``volume.tif`` (uncompressed) and ``volume.zarr``, written slab by slab."""
    import tifffile
    import zarr

    z, y, x = shape
    yy, xx = np.mgrid[0:y, 0:x].astype(np.float32)
    rng = np.random.default_rng(0)
    store = zarr.create_array(str(folder / "volume.zarr"), shape=shape, dtype=np.uint16,
                              chunks=(min(64, z), min(256, y), min(256, x)))
    memmap = tifffile.memmap(str(folder / "volume.tif"), shape=shape, dtype=np.uint16)
    slab = 64
    for z0 in range(0, z, slab):
        planes = []
        for k in range(z0, min(z0 + slab, z)):
            cells = np.sin(xx / 23 + k / 17) * np.cos(yy / 31 - k / 13)
            planes.append(np.clip(30000 + 20000 * cells + rng.normal(0, 800, (y, x)), 0, 65535))
        block = np.stack(planes).astype(np.uint16)
        store[z0 : z0 + len(block)] = block
        memmap[z0 : z0 + len(block)] = block
    memmap.flush()
    del memmap


def run(args, folder: Path) -> dict:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", CHILD, *args], capture_output=True, text=True, cwd=folder)
    seconds = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(f"upsample {' '.join(args)} failed:\n{done.stderr}")
    memory = json.loads(done.stderr.strip().splitlines()[-1])
    return {"seconds": seconds, "added": memory["peak"] - memory["base"]}


def total_memory() -> int:
    with open("/proc/meminfo") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith("MemTotal:"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", default="1024,2048,1024", help="Z,Y,X of the uint16 volume")
    parser.add_argument("--memory", default="1GB", help="the bound given to --memory (default 1GB)")
    parser.add_argument("--cases", default="x2,/2", help="x2 (trilinear), /2 (area)")
    parser.add_argument("--dir", default=".", help="where the temporary folder goes (needs room)")
    args = parser.parse_args()
    shape = tuple(int(n) for n in args.shape.split(","))
    bound = parse_bytes(args.memory)
    size = int(np.prod(shape)) * 2
    print(f"uint16 volume {shape} ({size / 2**30:.2f} GiB), --memory {args.memory}; "
          f"{os.cpu_count()} cores, {total_memory() / 2**30:.0f} GiB memory")
    print(f"{'case':6} {'run':14} {'time (s)':>9} {'peak added (MB)':>16} {'of bound':>9} {'time / in memory':>17}")
    with tempfile.TemporaryDirectory(prefix="bench_chunked_", dir=args.dir) as name:
        folder = Path(name)
        make_volume(shape, folder)
        for case in args.cases.split(","):
            scale, mode = CASES[case]
            out_size = size * float(scale) ** 3
            common = ["--scale", scale, "--mode", mode, "--max-input-pixels", "0", "--max-output-pixels", "0"]
            runs = {
                "tiff chunked": ["resize", "volume.tif", "out.tif", *common, "--memory", args.memory],
                "zarr chunked": ["resize", "volume.zarr", "out.zarr", *common, "--memory", args.memory],
            }
            if 2 * (size + out_size) < total_memory():
                runs["in memory"] = ["resize", "volume.tif", "mem.tif", *common]
            results = {}
            for label, command in runs.items():
                results[label] = run(command, folder)
                for leftover in ("out.tif", "out.zarr", "mem.tif"):
                    path = folder / leftover
                    shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
            reference = results.get("in memory")
            for label, r in results.items():
                ratio = f"{r['seconds'] / reference['seconds']:.2f}" if reference else "-"
                print(f"{case:6} {label:14} {r['seconds']:9.1f} {r['added'] / 2**20:16.0f} "
                      f"{r['added'] / bound:9.2f} {ratio:>17}", flush=True)


if __name__ == "__main__":
    main()
