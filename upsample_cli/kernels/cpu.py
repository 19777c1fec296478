"""Numba CPU backend: the loops of ``loops.py``, shared out over threads.

A pass over an outer axis (``Q >= WIDE`` contiguous samples after the resized axis) runs
``loops.wide``, whole rows at a time; a pass over the innermost axis (``Q`` channels or fewer)
runs ``loops.narrow``, which gathers each output sample's taps from its row. Nearest passes copy
samples as unsigned integers (``loops.select_rows``, ``loops.select``). The loops are compiled
per dtype only (``SIGNATURES`` lists the usual ones, which ``upsample warmup`` compiles ahead).

Threads: a pass of at least ``PARALLEL_SAMPLES`` is cut into chunks of work units, run on the
calling thread and a pool of Python threads (the loops release the GIL), as many in all as
``numba.get_num_threads()`` says for the calling thread. Smaller passes run on the calling
thread alone: waking another thread costs more than it saves there.
"""

import math
import threading
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np

from ..memo import kept
from . import astype, bits_of, compiled, conv_loops, copy, empty, loop_of, loops, prepare, result  # noqa: F401

# Samples read and written by a pass below which it runs on the calling thread alone.
PARALLEL_SAMPLES = 1 << 18
# Chunks per thread: more than one evens out threads slowed by the machine's other work.
CHUNKS_PER_THREAD = 4


def resample_axis(src, index, weight, out, shift=0, fused=False):
    """``out[p, j, q] = sum_k weight[j, k] * src[p, index[j, k], q]``, finished to ``out``'s dtype
    (see ``kernels/__init__.py``)."""
    loop, args, units = _resampling(src, index, weight, out, shift, fused)
    _launch(loop, args, units, src.size + out.size, _dtypes(args))


def _resampling(src, index, weight, out, shift, fused=False):
    """``(loop, args, units)``: the loop that runs this pass as ``loop(*args, first, stop)``, over
    ``units`` work units (output rows of the wide loop, rows of pixels of the narrow one)."""
    index = np.ascontiguousarray(index, np.intp)
    weight = np.ascontiguousarray(weight)
    p, n_in, q = src.shape
    fused = True if fused else None  # (the loops are compiled for one or the other: ``loops._madd``)
    if loop_of(n_in, q) == "wide":
        return loops.wide, (src, index, weight, out, shift, fused), p * index.shape[0]
    index, weight = _per_sample(index, weight, q)
    return loops.narrow, (src.reshape(p, n_in * q), index, weight, out.reshape(p, -1), shift, fused), p


def _dtypes(args) -> tuple:
    """The dtypes a resampling loop is compiled for (``compiled.signature``): source, weights,
    output, and "fused" when its sums are."""
    src, _, weight, out, _, fused = args
    return (src.dtype, weight.dtype, out.dtype) + (("fused",) if fused else ())


# Bytes of the intermediate rows one band of a pair of passes holds (``resample_pair``), and the
# fewest output rows of a band shared out over threads.
BAND_BYTES = 1 << 21
MIN_BAND = 16


def resample_pair(src, first, second, out):
    """Two passes, ``first`` then ``second`` (``(index, weight, shift, fused, mid_dtype, nested)``), over
    neighbouring groups of axes, run band by band of rows so that the rows between them stay a few
    at a time (in cache, and no full-size intermediate in memory), the same sums as two passes.

    ``src`` is ``(P, A, B, Q)``: the pair resizes ``A`` and ``B``. ``nested`` says which runs
    first: "inner first" (``B``, then ``A``: each band of output rows of ``A`` recomputes the few
    rows of ``B`` its taps read) or "outer first" (``A``, then ``B`` on each band of its rows).
    """
    (i1, w1, s1, f1, mid_dtype, nested), (i2, w2, s2, f2) = first, second[:4]
    p, a, b, q = src.shape
    a_out, b_out = out.shape[1], out.shape[2]
    # Enough bands for every thread a few times over (of at least MIN_BAND rows: a band of an
    # inner-first pair recomputes a few rows), where the work is shared out at all.
    threads = numba.get_num_threads() if src.size + out.size >= PARALLEL_SAMPLES else 1
    most = max(MIN_BAND, -(-a_out // (threads * CHUNKS_PER_THREAD))) if threads > 1 else a_out
    if nested == "inner first":
        # Intermediate rows are (A index, B resized); a band of A's outputs reads rows lo..hi.
        row = b_out * q
        band = min(most, max(1, BAND_BYTES // (row * np.dtype(mid_dtype).itemsize) * a_out // a))
        spans = [(j, min(j + band, a_out)) for j in range(0, a_out, band)]
        spans = [(j0, j1, int(i2[j0:j1].min()), int(i2[j0:j1].max()) + 1) for j0, j1 in spans]

        def passes(n, j0, j1, lo, hi):
            return (src[n, lo:hi], (i1, w1, s1, f1), (hi - lo, b_out, q),
                    (1, hi - lo, row), (i2[j0:j1] - lo, w2[j0:j1], s2, f2), out[n, j0:j1].reshape(1, j1 - j0, row))

        size = max(hi - lo for _, _, lo, hi in spans) * row
    else:
        # Intermediate rows are (A resized, B index); each band of A's outputs is resampled along B.
        row = b * q
        band = min(most, max(1, BAND_BYTES // (row * np.dtype(mid_dtype).itemsize)))
        spans = [(j, min(j + band, a_out)) for j in range(0, a_out, band)]

        def passes(n, j0, j1):
            return (src[n].reshape(1, a, row), (i1[j0:j1], w1[j0:j1], s1, f1), (1, j1 - j0, row),
                    (j1 - j0, b, q), (i2, w2, s2, f2), out[n, j0:j1])

        size = band * row

    def run(unit0, unit1):
        buffer = np.empty(size, mid_dtype)
        for unit in range(unit0, unit1):
            n, span = divmod(unit, len(spans))
            first_src, first_taps, mid_shape, mid_as, second_taps, second_out = passes(n, *spans[span])
            mid = buffer[: math.prod(mid_shape)].reshape(mid_shape)
            _on_this_thread(first_src, *first_taps[:2], mid, *first_taps[2:])
            _on_this_thread(mid.reshape(mid_as), *second_taps[:2], second_out, *second_taps[2:])

    _run(run, (), p * len(spans), src.size + out.size)


def _on_this_thread(src, index, weight, out, shift, fused):
    """``resample_axis`` on the calling thread alone (a band of a pair: the bands are shared out)."""
    loop, args, units = _resampling(src, index, weight, out, shift, fused)
    _recorded(loop, _dtypes(args), lambda: loop(*args, 0, units))


def _per_sample(index, weight, q):
    """A narrow pass's tables, ``(K, n_out * q)``: the offset within the row, and the weight, of
    each output sample's taps (a nearest pass: ``index`` 1-D, offsets only); kept for the tables
    of the last few passes."""
    return kept(_tables, (index, weight), (q,), lambda: _expand(index, weight, q))


_tables: dict = {}


def _expand(index, weight, q):
    # Offsets within a row fit int32 (a quicker gather) unless the row is longer.
    offset_type = np.int32 if (int(index.max(initial=0)) + 1) * q < 2**31 else np.intp
    if index.ndim == 1:  # (a nearest pass: one offset per sample)
        return np.ascontiguousarray((index[:, None] * q + np.arange(q)).reshape(-1), offset_type), None
    offsets = (index.T[:, :, None] * q + np.arange(q)).reshape(index.shape[1], -1)
    weights = np.repeat(weight.T[:, :, None], q, axis=2).reshape(weight.shape[1], -1)
    return np.ascontiguousarray(offsets, offset_type), np.ascontiguousarray(weights)


def select_axis(src, index, out):
    """``out[p, j, q] = src[p, index[j], q]`` in any dtype, samples copied as unsigned integers."""
    index = np.ascontiguousarray(index, np.intp)
    p, n_in, q = src.shape
    bits = bits_of(src.dtype.itemsize, q)
    units = q * src.dtype.itemsize // bits.itemsize  # per pixel
    src_bits, out_bits = src.reshape(p, -1).view(bits), out.reshape(p, -1).view(bits)
    samples = src.size + out.size
    if loop_of(n_in, q) == "wide":
        args = (src_bits.reshape(p, n_in, units), index, out_bits.reshape(p, -1, units))
        _launch(loops.select_rows, args, p * index.shape[0], samples, (bits,))
    else:
        offsets = _per_sample(index, None, units)[0]
        _launch(loops.select, (src_bits, offsets, out_bits), p, samples, (bits,))


# The loops' usual specialisations, which ``warm`` compiles: (loop, dtypes of src, weight, out).
# Float images are summed in float32 (float64 for float64); 8-bit ones in int32 on torch's and
# Pillow's fixed-point paths; integer images keep float32 sums between passes.
_SUMS = [("float32", "float32", "float32"), ("float64", "float64", "float64"), ("uint8", "int32", "uint8")]
for _sample in ("uint8", "uint16"):
    _SUMS += [(_sample, "float32", "float32"), ("float32", "float32", _sample), (_sample, "float32", _sample)]
SIGNATURES = [(loop, dtypes) for dtypes in _SUMS for loop in ("wide", "narrow")]
SIGNATURES += [(loop, (f"uint{8 * size}",)) for size in (1, 2, 4, 8) for loop in ("select", "select_rows")]
# Learned upsampling (``conv_loops``): transposed convolutions sum in float32 or float64, pixel
# shuffle copies samples as bits.
_CONV = ("conv_transpose_rows", "gather_runs", "place_phases")
SIGNATURES += [(loop, (sums,)) for sums in ("float32", "float64") for loop in _CONV]
SIGNATURES += [("shuffle_rows", (f"uint{8 * size}",)) for size in (1, 2, 4, 8)]
_LEARNED = (*_CONV, "shuffle_rows")


def warm(signatures=SIGNATURES, progress=None, processes=1):
    """Compile the loops for ``signatures`` (loaded from Numba's cache where it holds them); after
    each, ``progress(signature)``.

    With ``processes`` above 1 and something left to compile, new processes compile them side by
    side, each every signature of the loops it takes (Numba writes a loop's cache index without a
    lock: no two processes may compile one loop). They fill the cache; this process loads nothing."""
    loops_of = {}
    for loop, dtypes in signatures:
        loops_of.setdefault(loop, []).append((loop, dtypes))
    missing = {compiled.signature(loop, *dtypes) for loop, dtypes in signatures} - compiled.known()
    if processes > 1 and len(loops_of) > 1 and missing:
        _warm_in_processes(sorted(loops_of.values(), key=len, reverse=True), progress, processes)
        return
    for loop, dtypes in signatures:
        if loop in _LEARNED:
            function = getattr(conv_loops, loop)
            _recorded(function, dtypes, lambda: function(*conv_loops.example(loop, dtypes[0])))
            if progress is not None:
                progress(compiled.signature(loop, *dtypes))
            continue
        q = 17 if loop in ("wide", "select_rows") else 1  # (17: copied in units of the sample's size)
        src, out = (np.zeros((2, 2, q), d) for d in (dtypes[0], dtypes[-1]))
        index = _frozen(np.zeros((2, 1), np.intp))
        if loop.startswith("select"):
            select_axis(src, index[:, 0], out)
        else:
            resample_axis(src, index, _frozen(np.ones((2, 1), dtypes[1])), out, 0)
        if progress is not None:
            progress(compiled.signature(loop, *dtypes))


# Compiles the signatures given as JSON (a list of [loop, [dtypes]]) in a process of its own.
_WARM = ("import json, sys; from upsample_cli.kernels import cpu; "
         "cpu.warm([(loop, tuple(dtypes)) for loop, dtypes in json.loads(sys.argv[1])])")


def _warm_in_processes(groups, progress, processes: int) -> None:
    """``warm`` of each group of signatures in a new process, ``processes`` at a time."""
    import json
    import subprocess
    import sys
    import time

    waiting, running = list(groups), {}
    try:
        while waiting or running:
            while waiting and len(running) < processes:
                group = waiting.pop(0)
                running[subprocess.Popen([sys.executable, "-c", _WARM, json.dumps(group)])] = group
            for child in [c for c in running if c.poll() is not None]:
                group = running.pop(child)
                if child.returncode != 0:
                    raise RuntimeError(f"compiling {group[0][0]} failed (exit status {child.returncode})")
                for loop, dtypes in group:
                    if progress is not None:
                        progress(compiled.signature(loop, *dtypes))
            time.sleep(0.05)
    finally:
        for child in running:
            child.kill()


def _frozen(a):
    a.flags.writeable = False  # (as plans pass their tables)
    return a


def share(loop, args, units, samples):
    """``loop(*args, first, stop)`` over ``units`` work units, shared out over threads when the
    pass reads and writes at least ``PARALLEL_SAMPLES`` (for loops kept outside ``loops.py``)."""
    _run(loop, args, units, samples)


def _launch(loop, args, units, samples, dtypes):
    """``loop(*args, first, stop)`` over ``units`` work units, shared out over threads."""
    _recorded(loop, dtypes, lambda: _run(loop, args, units, samples))


def _recorded(loop, dtypes, run):
    """``run()``, which runs ``loop`` on arrays of ``dtypes``. On its first run in this process for
    these dtypes, a loop that Numba compiled then (rather than loaded) is listed as compiled
    (``compiled.record``)."""
    key = (loop, *dtypes)
    if key in _ran:
        run()
        return
    known = len(loop.signatures)
    run()
    if len(loop.signatures) > known:
        compiled.record(compiled.signature(loop.__name__, *dtypes))
    _ran.add(key)


_ran: set = set()


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
    except BaseException:  # (an interrupt, or a failure: the helpers take no new chunk)
        with lock:
            pending.clear()
        raise
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
