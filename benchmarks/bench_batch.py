"""Folder benchmark: ``upsample batch`` against a shell loop of ``vips resize``, ImageMagick's
``mogrify`` and a plain Pillow loop, on the same files, on this machine, in one run.

    python benchmarks/bench_batch.py [--files 500] [--side 512] [--keep DIR]

The work: ``--files`` PNGs of ``--side`` x ``--side`` RGB (synthetic photographs: gradients, a
sun, hills, a house, a fence, mild noise; each with its own seed), enlarged x2 with bilinear
(triangle) filtering, no antialiasing, written as PNG at each tool's default compression. Every
run starts from a cold output folder and is timed from the shell's point of view, start-up
included. Peers that are not installed are skipped with a note (``apt-get install
libvips-tools imagemagick``).

Besides ``upsample batch`` as shipped (process workers), the same files are resized by a pool of
threads in one process (:class:`upsample_cli.pipeline.FileResize` on a ``ThreadPoolExecutor``), the
alternative to processes that ``upsample_cli.batch`` does not ship.

Output quality: each peer's outputs are compared with upsample's on the first files (mean and
largest absolute difference in 8-bit levels), so a peer cannot win by doing different work.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable

PILLOW_LOOP = """
import os, sys
from PIL import Image
src, dst = sys.argv[1:3]
for name in sorted(os.listdir(src)):
    with Image.open(os.path.join(src, name)) as im:
        im.resize((im.width * 2, im.height * 2), Image.BILINEAR).save(os.path.join(dst, name))
"""

THREAD_POOL = """
import os, sys
from concurrent.futures import ThreadPoolExecutor
import numba
from upsample_cli.batch import cores
from upsample_cli.pipeline import FileResize, Settings
from upsample_cli.sizes import Scale
src, dst = sys.argv[1:3]
convert = FileResize(Settings(Scale((2.0,)), mode="bilinear"))
names = sorted(n for n in os.listdir(src) if n.endswith(".png"))

def work(name):
    numba.set_num_threads(1)
    convert(os.path.join(src, name), os.path.join(dst, name))

with ThreadPoolExecutor(cores()) as pool:
    list(pool.map(work, names))
"""


def make_inputs(folder: Path, files: int, side: int) -> None:
    sys.path.insert(0, str(ROOT / "sample_data"))
    from make_samples import photo

    folder.mkdir(parents=True, exist_ok=True)
    for i in range(files):
        Image.fromarray(photo(side, side, seed=i)).save(folder / f"photo {i:04d}.png")


def peers(src: Path, out: Path):
    """name -> (command for subprocess, or None when missing, note)."""
    upsample = [PY, "-m", "upsample_cli", "batch", str(src), str(out), "--scale", "2", "--mode", "bilinear", "-q"]
    runs = {
        "upsample batch": (upsample, "processes, --jobs = cores"),
        "FileResize on threads": ([PY, "-c", THREAD_POOL, str(src), str(out)], "one process, threads = cores"),
    }
    if shutil.which("vips"):
        loop = f'for f in "{src}"/*.png; do vips resize "$f" "{out}/$(basename "$f")" 2 --kernel linear; done'
        runs["vips resize (shell loop)"] = (["bash", "-c", loop], "--kernel linear")
    else:
        runs["vips resize (shell loop)"] = (None, "vips not installed")
    if shutil.which("mogrify"):
        cmd = f'mogrify -path "{out}" -filter Triangle -resize 200% "{src}"/*.png'
        runs["ImageMagick mogrify"] = (["bash", "-c", cmd], "-filter Triangle -resize 200%")
    else:
        runs["ImageMagick mogrify"] = (None, "ImageMagick not installed")
    runs["Pillow loop"] = ([PY, "-c", PILLOW_LOOP, str(src), str(out)], "Image.resize(BILINEAR), one process")
    return runs


def difference(ours: Path, theirs: Path, count: int = 10):
    """Mean and largest absolute difference (8-bit levels) over the first ``count`` outputs."""
    means, largest = [], 0
    for name in sorted(os.listdir(ours))[:count]:
        a = np.asarray(Image.open(ours / name).convert("RGB"), np.int16)
        b = np.asarray(Image.open(theirs / name).convert("RGB"), np.int16)
        if a.shape != b.shape:
            return None
        d = np.abs(a - b)
        means.append(d.mean())
        largest = max(largest, int(d.max()))
    return float(np.mean(means)), largest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--side", type=int, default=512)
    parser.add_argument("--keep", help="make the inputs in this folder and keep them (reused when present)")
    args = parser.parse_args()

    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench_batch_"))
    src = work / "in"
    if not (src.is_dir() and len(os.listdir(src)) == args.files):
        shutil.rmtree(src, ignore_errors=True)
        make_inputs(src, args.files, args.side)
    # Warm the Numba cache so no run pays the one-off compilation after installation.
    warm = work / "warm"
    warm.mkdir(exist_ok=True)
    first = sorted(src.iterdir())[0]
    subprocess.run([PY, "-m", "upsample_cli", "resize", str(first), str(warm / "w.png"), "--scale", "2",
                    "--mode", "bilinear"], check=True)

    print(f"{args.files} PNGs of {args.side}x{args.side} RGB, x2 bilinear, to PNG; {os.cpu_count()} cores")
    results = {}
    outputs = {}
    for name, (cmd, note) in peers(src, work / "out").items():
        out = work / ("out_" + "".join(c if c.isalnum() else "_" for c in name))
        if cmd is None:
            results[name] = (None, None, note)
            continue
        cmd = [str(out) if c == str(work / "out") else c.replace(str(work / "out"), str(out)) for c in cmd]
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir()
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        seconds = time.perf_counter() - t0
        written = [out / n for n in os.listdir(out) if n.endswith(".png")]
        assert len(written) == args.files, f"{name}: {len(written)} outputs"
        kib = sum(p.stat().st_size for p in written) / len(written) / 1024
        results[name] = (args.files / seconds, kib, note)
        outputs[name] = out
        print(f"  {name}: {seconds:.1f} s", flush=True)

    ours = results["upsample batch"][0]
    print()
    print("speed-up: upsample batch's files/s over the tool's; |diff|: against upsample's outputs, 8-bit levels")
    print(f"{'tool':26} {'files/s':>8} {'speed-up':>9} {'KiB/file':>9} {'mean|diff|':>11} {'max|diff|':>10}  notes")
    for name, (rate, kib, note) in results.items():
        if rate is None:
            print(f"{name:26} {'-':>8} {'-':>9} {'-':>9} {'-':>11} {'-':>10}  skipped: {note}")
            continue
        diff = difference(outputs["upsample batch"], outputs[name]) if name != "upsample batch" else (0.0, 0)
        mean, top = ("shape", "-") if diff is None else (f"{diff[0]:.3f}", str(diff[1]))
        print(f"{name:26} {rate:8.2f} {ours / rate:9.2f} {kib:9.0f} {mean:>11} {top:>10}  {note}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
