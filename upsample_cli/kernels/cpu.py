"""Numba CPU backend: the loops of ``loops.py``, shared out over threads.

A pass over an outer axis (``Q >= WIDE`` contiguous samples after the resized axis) runs
``loops.wide``, whole rows at a time; a pass over the innermost axis (``Q`` channels or fewer)
runs ``loops.narrow``, which transposes bands of rows so that its taps, too, are sums over
contiguous lanes. Nearest passes copy samples as unsigned integers of their size
(``loops.select``). The loops are compiled per dtype only (``SIGNATURES`` lists the usual ones,
which ``upsample warmup`` compiles ahead).

Threads: a pass of at least ``PARALLEL_SAMPLES`` is cut into chunks of work units, run on the
calling thread and a pool of Python threads (the loops release the GIL), as many in all as
``numba.get_num_threads()`` says for the calling thread. Smaller passes run on the calling
thread alone: waking another thread costs more than it saves there.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np

from . import astype, bits_of, compiled, copy, empty, loop_of, loops, prepare, result  # noqa: F401

# Samples read and written by a pass below which it runs on the calling thread alone.
PARALLEL_SAMPLES = 1 << 18
# Chunks per thread: more than one evens out threads slowed by the machine's other work.
CHUNKS_PER_THREAD = 4


def resample_axis(src, index, weight, out, shift=0):
    """``out[p, j, q] = sum_k weight[j, k] * src[p, index[j, k], q]``, finished to ``out``'s dtype
    (see ``kernels/__init__.py``)."""
    index = np.ascontiguousarray(index, np.intp)
    weight = np.ascontiguousarray(weight)
    p, n_in, q = src.shape
    samples = src.size + out.size
    name = loop_of(n_in, q)
    signature = compiled.signature(name, src.dtype, weight.dtype, out.dtype)
    if name == "wide":
        _launch(loops.wide, (src, index, weight, out, shift), p * index.shape[0], samples, signature)
    else:
        rows = max(1, loops.LANES // q)
        _launch(loops.narrow, (src, index, weight, out, shift, rows), -(-p // rows), samples, signature)


def select_axis(src, index, out):
    """``out[p, j, q] = src[p, index[j], q]`` in any dtype."""
    index = np.ascontiguousarray(index, np.intp)
    p, n_in, q = src.shape
    bits = bits_of(src.dtype.itemsize, q)
    src_bits = src.reshape(p, n_in, q).view(bits)
    out_bits = out.reshape(out.shape[0], out.shape[1], q).view(bits)
    _launch(loops.select, (src_bits, index, out_bits), p * index.shape[0], src.size + out.size,
            compiled.signature("select", bits))


# The loops' usual specialisations, which ``warm`` compiles: (loop, dtypes of src, weight, out).
# Float images are summed in float32 (float64 for float64); 8-bit ones in int32 on torch's and
# Pillow's fixed-point paths; integer images keep float32 sums between passes.
_SUMS = [("float32", "float32", "float32"), ("float64", "float64", "float64"), ("uint8", "int32", "uint8")]
for _sample in ("uint8", "uint16"):
    _SUMS += [(_sample, "float32", "float32"), ("float32", "float32", _sample), (_sample, "float32", _sample)]
SIGNATURES = [(loop, dtypes) for dtypes in _SUMS for loop in ("wide", "narrow")]
SIGNATURES += [("select", (f"uint{8 * size}",)) for size in (1, 2, 4, 8)]


def warm(signatures=SIGNATURES, progress=None):
    """Compile the loops for ``signatures`` (loaded from Numba's cache where it holds them); after
    each, ``progress(signature)``."""
    for loop, dtypes in signatures:
        q = 16 if loop == "wide" else 1
        src, out = (np.zeros((16 // q, 2, q), d) for d in (dtypes[0], dtypes[-1]))
        index = _frozen(np.zeros((2, 1), np.intp))
        if loop == "select":
            select_axis(src, index[:, 0], out)
        else:
            resample_axis(src, index, _frozen(np.ones((2, 1), dtypes[1])), out, 0)
        if progress is not None:
            progress(compiled.signature(loop, *dtypes))


def _frozen(a):
    a.flags.writeable = False  # (as plans pass their tables)
    return a


def _launch(loop, args, units, samples, signature):
    """``loop(*args, first, stop)`` over ``units`` work units, shared out over threads; a loop
    compiled anew for these types is listed as compiled (``compiled.record``)."""
    known = len(loop.signatures)
    _run(loop, args, units, samples)
    if len(loop.signatures) > known:
        compiled.record(signature)


def _run(loop, args, units, samples):
    threads = numba.get_num_threads() if samples >= PARALLEL_SAMPLES else 1
    chunks = min(units, threads * CHUNKS_PER_THREAD if threads > 1 else 1)
    if chunks <= 1:
        loop(*args, 0, units)
        return
    bounds = [units * c // chunks for c in range(chunks + 1)]
    pending = list(zip(bounds[:-1], bounds[1:]))
    lock = threading.Lock()

    def work():
        # Each thread takes the next chunk until none is left (an even share, whatever each
        # thread's speed).
        while True:
            with lock:
                if not pending:
                    return
                first, stop = pending.pop()
            loop(*args, first, stop)

    helpers = [_pool().submit(work) for _ in range(threads - 1)]
    try:
        work()
    finally:
        for helper in helpers:
            helper.result()


_executor = None
_executor_lock = threading.Lock()


def _pool():
    global _executor
    with _executor_lock:
        if _executor is None:
            # As many helpers as Numba may ever use; each call uses as many as its thread's setting.
            helpers = max(1, numba.config.NUMBA_NUM_THREADS - 1)
            _executor = ThreadPoolExecutor(helpers, thread_name_prefix="upsample")
        return _executor
