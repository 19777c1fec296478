"""Cluster benchmark: ``upsample batch --scheduler`` on a two-worker Dask ``LocalCluster`` against
``upsample batch --jobs 2`` (the process pool) on the same files, on this machine, in one run.

    python benchmarks/bench_cluster.py [--files 100] [--sides 512,32] [--repeat 2]

For each side, ``--files`` PNGs of side x side RGB (synthetic photographs, as in
``bench_batch.py``) are enlarged x2 bilinear to PNG, by each executor in turn, ``--repeat`` times,
from a cold output folder, interleaved, timed from the shell (start-up and connecting included); the best time
of each is kept. The cluster (two worker processes of one thread, the engine's threads shared as
among the pool's workers) is started once and warmed by a first batch, as a cluster serving many
runs would be; the process pool starts its workers at each run, as the command does.

Printed: seconds and files/s of each, the cluster's time over the pool's (the overhead ratio), and
the extra time per file. Large files show the overhead on real work; tiny ones show the fixed cost
per file (a task submitted, scheduled, run and its small result record fetched). Outputs are
checked equal, byte for byte.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def make_inputs(folder: Path, files: int, side: int) -> None:
    sys.path.insert(0, str(ROOT / "sample_data"))
    from make_samples import photo
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    for i in range(files):
        Image.fromarray(photo(side, side, seed=i)).save(folder / f"photo {i:04d}.png")


def timed(src: Path, out: Path, extra) -> float:
    shutil.rmtree(out, ignore_errors=True)
    command = [PY, "-m", "upsample_cli", "batch", str(src), str(out), "--scale", "2", "--mode", "bilinear", "-q"]
    start = time.perf_counter()
    subprocess.run(command + extra, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--sides", default="512,32", help="image sides, comma-separated")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()

    from distributed import LocalCluster

    # The workers and the commands import this checkout.
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    work = Path(tempfile.mkdtemp(prefix="bench_cluster_"))
    try:
        with LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=":0") as cluster:
            executors = {"process pool (--jobs 2)": ["--jobs", "2"],
                         "LocalCluster (2 workers)": ["--scheduler", cluster.scheduler_address]}
            print(f"x2 bilinear PNG to PNG; {os.cpu_count()} cores; best of {args.repeat}")
            print(f"{'files':>6} {'side':>5}  {'executor':26} {'seconds':>8} {'files/s':>8} {'ratio':>6} "
                  f"{'ms/file extra':>14}")
            for side in (int(s) for s in args.sides.split(",")):
                src = work / f"in{side}"
                make_inputs(src, args.files, side)
                for extra in executors.values():  # warm: the Numba cache, the cluster's workers
                    timed(src, work / "warm", extra)
                best = dict.fromkeys(executors, float("inf"))
                for _ in range(args.repeat):  # interleaved, so that a change in the machine's load hits both
                    for i, (name, extra) in enumerate(executors.items()):
                        best[name] = min(best[name], timed(src, work / f"out{i}", extra))
                same = filecmp.cmpfiles(work / "out0", work / "out1", sorted(os.listdir(work / "out0")),
                                        shallow=False)
                assert not same[1] and not same[2], f"outputs differ: {same[1][:3]}"
                pool = best["process pool (--jobs 2)"]
                for name, seconds in best.items():
                    extra_ms = (seconds - pool) / args.files * 1000
                    print(f"{args.files:6} {side:5}  {name:26} {seconds:8.2f} {args.files / seconds:8.1f} "
                          f"{seconds / pool:6.2f} {extra_ms:14.1f}", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
