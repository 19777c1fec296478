"""Compile times: the seconds Numba takes to compile each of the CPU loops' specialisations from
cold, and to load them from its cache once compiled.

    python benchmarks/bench_compile.py [--only TEXT]

The specialisations are the fixed set that ``upsample warmup`` compiles
(``upsample_cli.kernels.cpu.SIGNATURES``), or those whose name contains ``--only`` (e.g.
``--only uint8``). A new process with ``NUMBA_CACHE_DIR`` set to a new empty folder times
``import numba``, then the import of the CPU backend, then ``cpu.warm`` for each specialisation
on its own, one after another: the ``cold`` column, what a fresh installation pays. A second
new process with the same folder, now filled, times the same steps: the ``cached`` column, loads
from the cache. The first specialisation of each process also carries the compiler's or the
cache's one-off start in that process.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
from importlib.metadata import version

STEPS = """
import json, sys, time
import numpy
only = sys.argv[1]
times = {}
start = time.perf_counter()
import numba
times["import numba"] = time.perf_counter() - start
start = time.perf_counter()
from upsample_cli.kernels import compiled, cpu
times["import upsample_cli.kernels.cpu"] = time.perf_counter() - start
for loop, dtypes in cpu.SIGNATURES:
    name = compiled.signature(loop, *dtypes)
    if only in name:
        start = time.perf_counter()
        cpu.warm([(loop, dtypes)])
        times[name] = time.perf_counter() - start
print(json.dumps(times))
"""


def timed_steps(cache: str, only: str) -> dict:
    """Seconds of each step in a new process whose Numba cache folder is ``cache``, by step name."""
    env = dict(os.environ, NUMBA_CACHE_DIR=cache)
    done = subprocess.run([sys.executable, "-c", STEPS, only], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"timing process failed:\n{done.stderr}")
    return json.loads(done.stdout)


def print_table(cold: dict, cached: dict) -> None:
    print(f"{'step':42} {'cold (s)':>9} {'cached (s)':>10}")
    for step in cold:
        print(f"{step:42} {cold[step]:9.2f} {cached[step]:10.3f}")
    loops = [step for step in cold if not step.startswith("import ")]
    for label, steps in ((f"loops ({len(loops)})", loops), ("total", list(cold))):
        print(f"{label:42} {sum(cold[s] for s in steps):9.2f} {sum(cached[s] for s in steps):10.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="time the specialisations whose name contains this text")
    args = parser.parse_args()

    machine = platform.processor() or platform.machine()
    print(f"{datetime.date.today()}; {os.cpu_count()} cores, {machine}, {platform.system()}; "
          f"Python {platform.python_version()}, upsample {version('upsample')}, numba {version('numba')}")
    with tempfile.TemporaryDirectory(prefix="bench_compile_") as cache:
        cold = timed_steps(cache, args.only)
        cached = timed_steps(cache, args.only)
    print_table(cold, cached)


if __name__ == "__main__":
    main()
