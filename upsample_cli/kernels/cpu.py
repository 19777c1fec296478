"""Numba CPU backend: parallel passes over rows, two passes fused per band of rows.

Two loop shapes, chosen by the length ``Q`` of the contiguous run after the resized axis:

* wide (``Q >= 16``, a pass over an outer axis): each output row is accumulated two taps at a
  time over whole contiguous input rows, a multiply-add the compiler vectorises; integer rows
  of two or four taps are summed and finished in one loop, with no row of sums.
* narrow (the innermost axis, ``Q`` = channels or 1), in one of four ways. A table that
  repeats with period ``f`` (an exact factor-``f`` upscale, or a step-``s`` downscale) is
  applied per phase, over contiguous input, and the phases are interleaved into the output row
  (a downscale's input split by phase first; blocks of groups move as vector shuffles).
  Pixels of three or four channels under any other table are summed as vectors of four lanes a
  pixel, two pixels side by side, one load per tap and pixel (8-bit ones per pair of taps: two
  neighbouring pixels, ``pmaddwd``), four rows at a time. Other tables transpose bands of rows into planes
  of (input position, (row, channel)), so that each tap is a multiply-add over one contiguous
  plane row, and scatter the results back. Few rows, or rows too long for a plane in cache,
  gather: (output sample, channel) pairs are flattened into one lane axis with expanded tables,
  four image rows at a time.

``resample_pair`` runs an outer-axis pass and an innermost-axis pass together, so the
intermediate stays a few rows long (in cache, and no full-size intermediate in memory). With
periodic lanes, or pixels of three or four channels, both passes run in one parallel loop, row
by row (``_pair_periodic``, ``_pair_pixels_inner``, ``_pair_pixels_outer``); pixels resampled
after the outer pass are summed as vectors even where their taps repeat (no split of each row
by phase); other lanes go band by band of rows.

On one thread (small work planned ``alone``, see ``SERIAL_SAMPLES``, or Numba set to one thread)
each kernel runs as its twin compiled with a plain loop for the parallel one (``_alone``): the
same loops, without the parallel loop's start, their arrays first made views that own nothing
(``_unowned``), as a parallel loop's are. Such a plan of one launch also offers itself as one
compiled call from the input to its result (``_single``, ``_whole``), which the api puts in place
of a call that repeats.

Fixed-point taps (int32 weights) are summed in int32, so 8-bit results match the libraries'
integer arithmetic exactly; weights that fit are stored in int16, which lets the compiler
multiply pairs of 16-bit lanes (``vpmaddwd``) instead of 32-bit ones.
"""

import functools
import math
import platform
from types import FunctionType

import numpy as np
from llvmlite import ir
from numba import get_num_threads, njit, prange, types
from numba.core import cgutils
from numba.extending import intrinsic, overload

from ..memo import kept
from . import WIDE, astype, copy, empty, prepare, result  # noqa: F401 (array handling)
from .memory import SMALLEST

# Bytes of intermediate rows one band of a fused pair of passes holds.
BAND_BYTES = 1 << 22
# Bytes of one transposed band of rows (see ``_narrow_transposed``), and the fewest rows a pass
# needs to be run so.
PLANE_BYTES = 1 << 20
TRANSPOSED_ROWS = 8
# Lanes of the vectors a narrow pass sums pixels of up to as many channels in (``_pixels``).
PIXEL_LANES = 4
# Lanes of sums a pass over whole rows keeps at a time.
WIDE_BLOCK = 2048
# Short rows of a pass over whole rows are asked for this many output rows ahead (``_prefetch``),
# up to this many bytes of each.
AHEAD = 2
PREFETCH_BYTES = 2048
# Groups of lanes interleaved (or split by phase) as one vector shuffle (``_weave``).
WEAVE = 8
# Whether the processor is x86-64 (``_madd`` calls its instruction there).
_X86 = platform.machine().lower() in ("x86_64", "amd64")


def _finish(acc, half, shift, lo, hi):
    """Round an accumulated sum and clamp it to an integer range (Numba overload below)."""


@overload(_finish, inline="always")
def _finish_impl(acc, half, shift, lo, hi):
    if all(a == types.int32 for a in (acc, half, shift, lo, hi)):
        return lambda acc, half, shift, lo, hi: _finish_int32(acc, half, shift, lo, hi)
    if isinstance(acc, types.Integer):
        return lambda acc, half, shift, lo, hi: min(max((acc + half) >> shift, lo), hi)
    return lambda acc, half, shift, lo, hi: min(max(np.floor(acc + half), lo), hi)


@intrinsic
def _finish_int32(typingctx, acc, half, shift, lo, hi):
    """``min(max((acc + half) >> shift, lo), hi)`` in int32 lanes (Numba's own integer arithmetic
    widens to int64, which halves the lanes of the vectorised store)."""
    i32 = types.int32

    def codegen(context, builder, signature, args):
        return _round_ir(builder, *args)

    return i32(i32, i32, i32, i32, i32), codegen


def _round_ir(builder, acc, half, shift, lo, hi):
    """LLVM IR of ``_finish``: integer sums, or with ``shift`` None vectors of float sums."""
    if shift is None:
        t = acc.type
        floor = cgutils.get_or_insert_function(builder.module, ir.FunctionType(t, [t]),
                                               f"llvm.floor.v{t.count}{t.element.intrinsic_name}")
        v = builder.call(floor, [builder.fadd(acc, half)])
        v = builder.select(builder.fcmp_ordered("<", v, lo), lo, v)
        return builder.select(builder.fcmp_ordered(">", v, hi), hi, v)
    v = builder.ashr(builder.add(acc, half), shift)
    v = builder.select(builder.icmp_signed("<", v, lo), lo, v)
    return builder.select(builder.icmp_signed(">", v, hi), hi, v)


def _mul(weight, sample):
    """``weight * sample`` in the accumulators' type (Numba would widen float32 * uint16 to float64)."""


@overload(_mul, inline="always")
def _mul_impl(weight, sample):
    cast = np.int32 if isinstance(weight, types.Integer) else (np.float32 if weight.bitwidth == 32 else np.float64)
    return lambda weight, sample: cast(weight) * cast(sample)


def _sums(n, weights):
    """An empty row of ``n`` accumulators for a table of ``weights``: int32 for integer weights."""


@overload(_sums, inline="always")
def _sums_impl(n, weights):
    dtype = np.int32 if isinstance(weights.dtype, types.Integer) else np.dtype(str(weights.dtype))
    return lambda n, weights: np.empty(n, dtype)


def _direct(dst, sums):
    """``(dst, True)`` where ``dst`` holds the sums' type (sums are made in place), else ``(sums, False)``."""


@overload(_direct, inline="always")
def _direct_impl(dst, sums):
    if dst.dtype == sums.dtype:
        return lambda dst, sums: (dst, True)
    return lambda dst, sums: (sums, False)


@njit(inline="always")
def _store(acc, dst, fin):
    """Write a row of sums; ``fin`` = (rounding, half, shift, lo, hi) for integer outputs."""
    rounding, half, shift, lo, hi = fin
    if rounding:
        for i in range(dst.shape[0]):
            dst[i] = _finish(acc[i], half, shift, lo, hi)
    else:
        for i in range(dst.shape[0]):
            dst[i] = acc[i]


@njit(inline="always")
def _tap_pair(acc, first, w0, a, w1, b):
    """``acc[v] (+)= w0 a[v] + w1 b[v]``: the first pair of taps sets the sums, later ones add to
    them (in tap order)."""
    if first:
        for v in range(acc.shape[0]):
            acc[v] = _mul(w0, a[v]) + _mul(w1, b[v])
    else:
        for v in range(acc.shape[0]):
            acc[v] = acc[v] + _mul(w0, a[v]) + _mul(w1, b[v])


@njit(inline="always")
def _tap_quad(acc, first, w0, a, w1, b, w2, c, w3, d):
    """Two ``_tap_pair`` calls in one loop: the same sums in the same order, with one pass over
    ``acc`` instead of two."""
    if first:
        for v in range(acc.shape[0]):
            acc[v] = _mul(w0, a[v]) + _mul(w1, b[v]) + _mul(w2, c[v]) + _mul(w3, d[v])
    else:
        for v in range(acc.shape[0]):
            acc[v] = acc[v] + _mul(w0, a[v]) + _mul(w1, b[v]) + _mul(w2, c[v]) + _mul(w3, d[v])


@intrinsic
def _unowned(typingctx, value):
    """``value``, an array or a tuple of arrays and other values, with its arrays as views that own
    nothing (the caller's arrays outlive the kernel). Each view a loop makes of an array that owns
    its memory counts a reference to it, atomically: on one thread (``_alone``) that cost the passes
    over whole rows as much as their sums. A parallel loop's arrays own nothing already."""

    def bare(context, builder, t, v):
        if isinstance(t, types.Array):
            array = context.make_array(t)(context, builder, v)
            array.meminfo = cgutils.get_null_value(array.meminfo.type)
            return array._getvalue()
        if isinstance(t, types.BaseTuple):
            for i, item in enumerate(t):
                v = builder.insert_value(v, bare(context, builder, item, builder.extract_value(v, i)), i)
        return v

    return value(value), lambda context, builder, signature, args: bare(context, builder, signature.args[0], args[0])


@njit(inline="always")
def _as_is(x):
    return x


@njit(inline="always")
def _span(row, v0, v1, whole):
    """Lanes ``v0 <= v < v1`` of ``row``, or with ``whole`` the row itself, unsliced (slicing a
    short row costs a quarter of a pass over it)."""
    return row if whole else row[v0:v1]


def _only_taps(src, index, weight, dst, fin, v0, v1, whole):
    """Where ``dst`` holds integers and ``index`` has two or four taps: lanes ``v0 <= v < v1`` of
    ``dst`` (``whole``: all) = the sum of the taps, finished as ``_store`` finishes sums, in one loop
    with no row of sums written and read back; whether it did. (Other outputs compile nothing.)"""


@overload(_only_taps)
def _only_taps_impl(src, index, weight, dst, fin, v0, v1, whole):
    if not isinstance(dst.dtype, types.Integer):
        return lambda src, index, weight, dst, fin, v0, v1, whole: False
    # Numba widens int32 + int32 to int64, which would halve the lanes of the loops.
    narrow = np.int32 if isinstance(weight.dtype, types.Integer) else _as_is

    def impl(src, index, weight, dst, fin, v0, v1, whole):
        n = index.shape[0]
        if n != 2 and n != 4:
            return False
        _, half, shift, lo, hi = fin
        row = _span(dst, v0, v1, whole)
        a = _span(src[index[0]], v0, v1, whole)
        b = _span(src[index[1]], v0, v1, whole)
        w0, w1 = weight[0], weight[1]
        if n == 2:
            for v in range(row.shape[0]):
                row[v] = _finish(narrow(_mul(w0, a[v]) + _mul(w1, b[v])), half, shift, lo, hi)
            return True
        c = _span(src[index[2]], v0, v1, whole)
        d = _span(src[index[3]], v0, v1, whole)
        w2, w3 = weight[2], weight[3]
        for v in range(row.shape[0]):
            total = _mul(w0, a[v]) + _mul(w1, b[v]) + _mul(w2, c[v]) + _mul(w3, d[v])
            row[v] = _finish(narrow(total), half, shift, lo, hi)
        return True

    return impl


def _in_fours(weight):
    """Whether a pass over whole rows sums its taps four at a time where their weights are not
    zero (``_tap_quad``): float weights (1.1-1.3x faster); 16-bit ones stay in pairs, which the
    compiler multiplies as pairs of lanes (``vpmaddwd``), as fast as fours."""


@overload(_in_fours, inline="always")
def _in_fours_impl(weight):
    floats = isinstance(weight.dtype, types.Float)
    return lambda weight: floats


@njit(inline="always")
def _wide_row(src, index, weight, dst, sums, fin):
    # dst = sum_k weight[k] * src[index[k]] over whole rows, taps in pairs or fours (an even
    # number of them), in blocks of lanes whose sums stay in the nearest cache. A row of one
    # block (a volume's) is read unsliced: slicing its rows would cost a quarter of its time.
    n = src.shape[1]
    if n <= WIDE_BLOCK:
        _wide_lanes(src, index, weight, dst, sums, fin, 0, n, True)
    else:
        for v0 in range(0, n, WIDE_BLOCK):
            _wide_lanes(src, index, weight, dst, sums, fin, v0, min(n, v0 + WIDE_BLOCK), False)


@njit(inline="always")
def _wide_lanes(src, index, weight, dst, sums, fin, v0, v1, whole):
    # Lanes v0 <= v < v1 of ``_wide_row`` (``whole``: all of them).
    acc, direct = _direct(_span(dst, v0, v1, whole), sums[: v1 - v0])
    n, k = index.shape[0], 0
    if _only_taps(src, index, weight, dst, fin, v0, v1, whole):
        return
    while k < n:
        w0, w1 = weight[k], weight[k + 1]
        a = _span(src[index[k]], v0, v1, whole)
        b = _span(src[index[k + 1]], v0, v1, whole)
        if _in_fours(weight) and k + 4 <= n and w0 != 0 and w1 != 0 and weight[k + 2] != 0 and weight[k + 3] != 0:
            c = _span(src[index[k + 2]], v0, v1, whole)
            d = _span(src[index[k + 3]], v0, v1, whole)
            _tap_quad(acc, k == 0, w0, a, w1, b, weight[k + 2], c, weight[k + 3], d)
            k += 4
            continue
        if k == 0 or w0 != 0 or w1 != 0:
            _tap_pair(acc, k == 0, w0, a, w1, b)
        k += 2
    if fin[0] or not direct:
        _store(acc, _span(dst, v0, v1, whole), fin)


@njit(parallel=True, cache=True, nogil=True)
def _wide(src, index, weight, out, first, chunks, fin):
    # out[p, first + j] = sum_k weight[j, k] * src[p, index[j, k]], whole rows at a time.
    src, index, weight, out = _unowned((src, index, weight, out))
    n_out = index.shape[0]
    rows = src.shape[0] * n_out
    for c in prange(chunks):
        sums = _sums(min(src.shape[2], WIDE_BLOCK), weight)
        for r in range(c * rows // chunks, (c + 1) * rows // chunks):
            p = r // n_out
            j = r - p * n_out
            _wide_row(src[p], index[j], weight[j], out[p, first + j], sums, fin)


@njit(inline="always")
def _gather4(l0, l1, l2, l3, flat_index, flat_weight, acc):
    a0, a1, a2, a3 = acc[0], acc[1], acc[2], acc[3]
    a0[:] = 0
    a1[:] = 0
    a2[:] = 0
    a3[:] = 0
    for k in range(flat_index.shape[0]):
        for t in range(flat_index.shape[1]):
            i = flat_index[k, t]
            w = flat_weight[k, t]
            a0[t] += _mul(w, l0[i])
            a1[t] += _mul(w, l1[i])
            a2[t] += _mul(w, l2[i])
            a3[t] += _mul(w, l3[i])


@njit(inline="always")
def _gather_lanes(line, flat_index, flat_weight, start, stop, dst, fin):
    rounding, half, shift, lo, hi = fin
    for t in range(start, stop):
        a = _mul(flat_weight[0, t], line[flat_index[0, t]])
        for k in range(1, flat_index.shape[0]):
            a += _mul(flat_weight[k, t], line[flat_index[k, t]])
        if rounding:
            dst[t] = _finish(a, half, shift, lo, hi)
        else:
            dst[t] = a


@njit(inline="always")
def _interleave(dst, src, stride, n, f, q):
    """``dst`` lane ``(m f + p) q + c`` = ``src[p stride + m q + c]``: ``f`` phase rows of ``n``
    groups of ``q`` lanes, interleaved (``stride`` 0: ``f`` copies of each group)."""
    whole = _woven(dst, src, stride, n, f, q, False)
    for m in range(whole, n):
        spare = m < n - 1
        for p in range(f):
            _move_group(dst, (m * f + p) * q, src, p * stride + m * q, q, spare)


@njit(inline="always")
def _split(dst, src, n, f, q):
    """The inverse of ``_interleave``: ``dst[p, m q + c]`` = ``src`` lane ``(m f + p) q + c``. Blocks
    of groups move as vectors (``_woven``); the others, of three or four lanes, as words; single
    lanes by two indices (a flat index ``p stride + m q + c`` could be negative for all the
    compiler knows, which keeps it from vectorising the loop: four times slower)."""
    flat, stride = dst.reshape(-1), dst.shape[1]
    whole = _woven(src, flat, stride, n, f, q, True)
    if q < 3:
        for m in range(whole, n):
            for p in range(f):
                for c in range(q):
                    dst[p, m * q + c] = src[(m * f + p) * q + c]
        return
    for m in range(whole, n - 1):
        for p in range(f):
            _move_group(flat, p * stride + m * q, src, (m * f + p) * q, q, True)
    for p in range(f if n > whole else 0):
        _move_group(flat, p * stride + (n - 1) * q, src, ((n - 1) * f + p) * q, q, False)


@njit(inline="always")
def _woven(row, phases, stride, n, f, q, split):
    """Groups ``m < n - n % WEAVE`` of ``_interleave`` (``split``: of ``_split``) between a woven
    ``row`` and ``phases`` ``stride`` apart, a block of groups at a time as vectors (``_weave``);
    the number of groups moved. Where ``f`` and ``q`` are those compiled (``_common``) and groups
    are not words already: none else."""
    blocks = n // WEAVE
    if f == 2 and q == 1:
        _weave(row, phases, stride, blocks, 2, 1, split)
    elif f == 2 and q == 3:
        _weave(row, phases, stride, blocks, 2, 3, split)
    elif f == 4 and q == 1:
        _weave(row, phases, stride, blocks, 4, 1, split)
    elif f == 4 and q == 3:
        _weave(row, phases, stride, blocks, 4, 3, split)
    else:
        return 0
    return blocks * WEAVE


@intrinsic(prefer_literal=True)
def _weave(typingctx, row, phases, stride, blocks, f, q, split):
    """``blocks`` blocks of ``WEAVE`` groups of ``_woven``: per block, one vector load from each
    of the ``f`` phases and a shuffle into one vector of the woven row (or back: ``split``).
    A vector shuffle does in a few instructions what moving group by group does in one
    instruction per group: 1.3 (float32 triples) to 8 times (single lanes) faster."""
    if not all(isinstance(x, (types.IntegerLiteral, types.BooleanLiteral)) for x in (f, q, split)):
        return None
    sig = types.void(row, phases, stride, blocks, f, q, split)
    f, q, split = f.literal_value, q.literal_value, split.literal_value
    lanes = WEAVE * q
    # Lane (m f + p) q + c of the woven block is lane p WEAVE q + m q + c of the phases side by side.
    woven = [p * lanes + m * q + c for m in range(WEAVE) for p in range(f) for c in range(q)]
    apart = [woven.index(i) for i in range(f * lanes)]

    def codegen(context, builder, signature, args):
        row, phases, stride, blocks = args[:4]
        intp, i32 = context.get_value_type(types.intp), ir.IntType(32)
        dtype = context.get_value_type(signature.args[0].dtype)
        mask = lambda values: ir.Constant(ir.VectorType(i32, len(values)), values)
        row = context.make_array(signature.args[0])(context, builder, row).data
        phases = context.make_array(signature.args[1])(context, builder, phases).data
        part, whole = ir.VectorType(dtype, lanes).as_pointer(), ir.VectorType(dtype, f * lanes).as_pointer()
        starts = [builder.mul(stride, ir.Constant(intp, p)) for p in range(f)]
        with cgutils.for_range(builder, blocks) as loop:
            at = builder.mul(loop.index, ir.Constant(intp, lanes))
            there = builder.bitcast(builder.gep(row, [builder.mul(at, ir.Constant(intp, f))]), whole)
            here = [builder.bitcast(builder.gep(phases, [builder.add(at, s)]), part) for s in starts]
            if split:
                block = builder.load(there, align=1)
                block = builder.shuffle_vector(block, block, mask(apart))
                for p in range(f):
                    piece = builder.shuffle_vector(block, block, mask(list(range(p * lanes, (p + 1) * lanes))))
                    builder.store(piece, here[p], align=1)
            else:
                parts = [builder.load(h, align=1) for h in here]
                while len(parts) > 1:  # side by side, two at a time
                    both = list(range(2 * parts[0].type.count))
                    parts = [builder.shuffle_vector(a, b, mask(both)) for a, b in zip(parts[::2], parts[1::2])]
                builder.store(builder.shuffle_vector(parts[0], parts[0], mask(woven)), there, align=1)
        return context.get_dummy_value()

    return sig, codegen


@intrinsic
def _move_quad(typingctx, dst, at, src, start):
    """Copy elements ``src[start : start + 4]`` to ``dst[at : at + 4]`` as one unaligned word."""

    def codegen(context, builder, signature, args):
        word = ir.IntType(4 * signature.args[0].dtype.bitwidth).as_pointer()
        target = context.make_array(signature.args[0])(context, builder, args[0])
        source = context.make_array(signature.args[2])(context, builder, args[2])
        value = builder.load(builder.bitcast(builder.gep(source.data, [args[3]]), word), align=1)
        builder.store(value, builder.bitcast(builder.gep(target.data, [args[1]]), word), align=1)
        return context.get_dummy_value()

    return types.void(dst, at, src, start), codegen


@njit(inline="always")
def _move_group(dst, at, src, start, q, spare):
    """``dst[at : at + q] = src[start : start + q]`` (1-D arrays). ``spare``: both arrays go on
    after the group and the element after it in ``dst`` may be overwritten, so that triples move
    as one word, as quadruples do."""
    if q == 4 or (q == 3 and spare):
        _move_quad(dst, at, src, start)
    else:
        for c in range(q):
            dst[at + c] = src[start + c]


@intrinsic
def _prefetch(typingctx, row):
    """Ask for the cache lines of the first ``PREFETCH_BYTES`` of a C-contiguous 1-D array, and go
    on: a hint that lets memory work while the sums of earlier rows are made."""

    def codegen(context, builder, signature, args):
        intp, i32, bytes_ = context.get_value_type(types.intp), ir.IntType(32), ir.IntType(8).as_pointer()
        row = context.make_array(signature.args[0])(context, builder, args[0])
        itemsize = context.get_abi_sizeof(context.get_value_type(signature.args[0].dtype))
        size = builder.mul(builder.extract_value(row.shape, 0), ir.Constant(intp, itemsize))
        size = builder.select(builder.icmp_signed("<", size, ir.Constant(intp, PREFETCH_BYTES)), size,
                              ir.Constant(intp, PREFETCH_BYTES))
        ask = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.VoidType(), [bytes_, i32, i32, i32]),
                                             "llvm.prefetch.p0i8")
        start = builder.bitcast(row.data, bytes_)
        with cgutils.for_range_slice(builder, ir.Constant(intp, 0), size, ir.Constant(intp, 64)) as (at, _):
            # (a read, kept in every level of cache, of data)
            builder.call(ask, [builder.gep(start, [at]), ir.Constant(i32, 0), ir.Constant(i32, 3), ir.Constant(i32, 1)])
        return context.get_dummy_value()

    return types.void(row), codegen


def _madd(builder, x, w):
    """LLVM IR of ``pmaddwd``: int32 lane ``i`` = ``x[2 i] w[2 i] + x[2 i + 1] w[2 i + 1]`` for two
    vectors of 8 int16 (the instruction itself on x86, where the compiler would not choose it)."""
    sums = ir.VectorType(ir.IntType(32), 4)
    if _X86:
        madd = cgutils.get_or_insert_function(builder.module, ir.FunctionType(sums, [x.type, x.type]),
                                              "llvm.x86.sse2.pmadd.wd")
        return builder.call(madd, [x, w])
    half = [ir.Constant(ir.VectorType(ir.IntType(32), 4), list(range(s, 8, 2))) for s in (0, 1)]
    return builder.add(*(builder.mul(builder.sext(builder.shuffle_vector(x, x, h), sums),
                                     builder.sext(builder.shuffle_vector(w, w, h), sums)) for h in half))


def _cast_ir(builder, value, source, target, ir_type):
    """LLVM IR converting ``value`` (scalar or vector) of Numba type ``source`` to ``target``."""
    if source == target:
        return value
    if isinstance(source, types.Integer) and isinstance(target, types.Integer):
        if source.bitwidth < target.bitwidth:
            return (builder.sext if source.signed else builder.zext)(value, ir_type)
        return builder.trunc(value, ir_type)
    if isinstance(source, types.Integer):
        return (builder.sitofp if source.signed else builder.uitofp)(value, ir_type)
    if isinstance(target, types.Integer):
        return (builder.fptosi if target.signed else builder.fptoui)(value, ir_type)
    return (builder.fpext if source.bitwidth < target.bitwidth else builder.fptrunc)(value, ir_type)


@intrinsic(prefer_literal=True)
def _pixels(typingctx, dsts, at, lines, index, weight, j, q, fin, n):
    """For each row of the tuples ``lines`` and ``dsts``, and ``n`` (1 or 2) pixels ``j + i``:
    ``dst[at + i q + c]`` = the sum over taps ``k`` of ``weight[j + i, k] line[index[j + i, k] q + c]``
    for ``c < PIXEL_LANES``, finished as ``_finish`` does. Each tap is one load of ``PIXEL_LANES``
    samples per pixel, a pixel of up to as many channels and what follows it (``index`` and
    ``dst`` must leave room), so a pixel's channels are summed together, and ``n`` pixels side
    by side in one vector; the taps (an even number) go in pairs, and the rows share the tables'
    reads. The pixels are stored in order, a word each (three channels: the next one overwrites
    the lane after a pixel).

    A 1-D ``index`` holds windows (see ``_windows``; 8-bit samples, int16 weights, ``q`` a
    constant): tap ``k`` reads pixel ``index[j] + k``. A pair of taps is then one 8-byte load of
    two neighbouring pixels per row, each sample paired with the next pixel's in 16-bit lanes, and
    the pairs multiplied by the pair of weights and summed (``_madd``)."""
    rows, src_t, dst_t, w_t = len(lines), lines.dtype.dtype, dsts.dtype.dtype, weight.dtype
    integer = isinstance(w_t, types.Integer)
    acc_t = types.int32 if integer else w_t
    windows, q_t = index.ndim == 1, q
    if windows and not (isinstance(q, types.IntegerLiteral) and src_t.bitwidth == 8 and w_t == types.int16):
        return None
    if not isinstance(n, types.IntegerLiteral):
        return None
    sig, n = types.void(dsts, at, lines, index, weight, j, q, fin, n), n.literal_value
    width = n * PIXEL_LANES

    def codegen(context, builder, signature, args):
        dsts, at, lines, index, weight, j, q, fin = args[:8]
        intp, i32 = context.get_value_type(types.intp), ir.IntType(32)
        vector = lambda t, m=width: ir.VectorType(context.get_value_type(t), m)
        lanes = lambda values: ir.Constant(ir.VectorType(i32, len(values)), list(values))
        const = lambda value: ir.Constant(intp, value)
        wide = lambda i: builder.sext(i, intp) if i.type.width < intp.width else i
        plus = builder.add if integer else builder.fadd
        lines = [context.make_array(signature.args[2].dtype)(context, builder, builder.extract_value(lines, r))
                 for r in range(rows)]
        index = context.make_array(signature.args[3])(context, builder, index)
        weight = context.make_array(signature.args[4])(context, builder, weight)
        n_taps = builder.extract_value(weight.shape, 1)
        starts = [builder.mul(builder.add(j, const(i)), n_taps) for i in range(n)]  # each pixel's taps

        def joined(parts):
            # Vectors side by side, in one (one pixel's each).
            return parts[0] if n == 1 else builder.shuffle_vector(*parts, lanes(range(2 * parts[0].type.count)))

        def splat(values, source):
            # One value per pixel, in each of its lanes.
            v = ir.Constant(vector(acc_t, n), ir.Undefined)
            for i, value in enumerate(values):
                value = _cast_ir(builder, value, source, acc_t, context.get_value_type(acc_t))
                v = builder.insert_element(v, value, ir.Constant(i32, i))
            return builder.shuffle_vector(v, v, lanes([i for i in range(n) for _ in range(PIXEL_LANES)]))

        def pair(sums, first):
            # Taps ``first`` and ``first + 1`` of each pixel added to each row's ``sums`` (None: the first pair).
            for t in range(2):
                ks = [builder.add(s, builder.add(first, const(t))) for s in starts]
                offsets = [builder.mul(wide(builder.load(builder.gep(index.data, [k]))), q) for k in ks]
                w = splat([builder.load(builder.gep(weight.data, [k])) for k in ks], w_t)
                for r in range(rows):
                    x = joined([builder.load(builder.bitcast(builder.gep(lines[r].data, [o]),
                                                             vector(src_t, PIXEL_LANES).as_pointer()), align=1)
                                for o in offsets])
                    term = (builder.mul if integer else builder.fmul)(w, _cast_ir(builder, x, src_t, acc_t, vector(acc_t)))
                    sums[r] = term if sums[r] is None else plus(sums[r], term)
            return sums

        if windows:
            step = ir.Constant(intp, q_t.literal_value)
            pixels = [wide(builder.load(builder.gep(index.data, [builder.add(j, const(i))]))) for i in range(n)]
            # Lane 2 c: sample c of the pixel; lane 2 c + 1: of the next pixel.
            paired = lanes([b for c in range(PIXEL_LANES) for b in (c, min(c + q_t.literal_value, 7))])
            words = vector(types.int16, 8)

            def pair(sums, first):  # noqa: F811 (a pair of taps from two neighbouring pixels)
                offsets = [builder.mul(builder.add(p, first), step) for p in pixels]
                ws = [builder.load(builder.bitcast(builder.gep(weight.data, [builder.add(s, first)]),
                                                   vector(types.int16, 2).as_pointer())) for s in starts]
                ws = [builder.shuffle_vector(w, w, lanes([0, 1] * 4)) for w in ws]
                for r in range(rows):
                    terms = []
                    for o, w in zip(offsets, ws):
                        x = builder.load(builder.bitcast(builder.gep(lines[r].data, [o]), vector(src_t, 8).as_pointer()),
                                         align=1)
                        terms.append(_madd(builder, _cast_ir(builder, builder.shuffle_vector(x, x, paired), src_t,
                                                             types.int16, words), w))
                    term = joined(terms)
                    sums[r] = term if sums[r] is None else builder.add(sums[r], term)
                return sums

        # The first pair, then a loop over the others (the tables are C-contiguous).
        sums, entry = pair([None] * rows, const(0)), builder.block
        head, body, done = (builder.append_basic_block(f"taps.{name}") for name in ("head", "body", "done"))
        builder.branch(head)
        builder.position_at_end(head)
        k = builder.phi(intp)
        k.add_incoming(const(2), entry)
        phis = []
        for s in sums:
            phis.append(builder.phi(s.type))
            phis[-1].add_incoming(s, entry)
        builder.cbranch(builder.icmp_signed("<", k, n_taps), body, done)
        builder.position_at_end(body)
        more = pair(list(phis), k)
        k.add_incoming(builder.add(k, const(2)), builder.block)
        for phi, s in zip(phis, more):
            phi.add_incoming(s, builder.block)
        builder.branch(head)
        builder.position_at_end(done)

        if isinstance(dst_t, types.Integer):
            fin_t = signature.args[7].types
            half, lo, hi = (splat([builder.extract_value(fin, m)] * n, fin_t[m]) for m in (1, 3, 4))
            shift = splat([builder.extract_value(fin, 2)] * n, fin_t[2]) if integer else None
        # Each pixel stored as one word (a vector store narrowing its lanes on the way is slow on some CPUs).
        word = ir.IntType(PIXEL_LANES * dst_t.bitwidth)
        for r in range(rows):
            v = phis[r]
            if isinstance(dst_t, types.Integer):
                v = _round_ir(builder, v, half, shift, lo, hi)
            v = _cast_ir(builder, v, acc_t, dst_t, vector(dst_t))
            dst = context.make_array(signature.args[0].dtype)(context, builder, builder.extract_value(dsts, r))
            for i in range(n):
                pixel = builder.shuffle_vector(v, v, lanes(range(i * PIXEL_LANES, (i + 1) * PIXEL_LANES)))
                ptr = builder.gep(dst.data, [builder.add(at, builder.mul(q, const(i)))])
                builder.store(builder.bitcast(pixel, word), builder.bitcast(ptr, word.as_pointer()), align=1)
        return context.get_dummy_value()

    return sig, codegen


@njit(inline="always")
def _pixel_block(lines, dsts, lanes, fin):
    # Four rows resampled along their pixels (of q <= PIXEL_LANES lanes): pixels before ``stop``
    # as vectors two at a time (``_pixels``), the others by gathering.
    flat_index, flat_weight, _, _, index, weight, _, _, _, q, stop = lanes
    if q == 3:  # (the constant 3 or 4: windows need it)
        for j in range(0, stop - 1, 2):
            _pixels(dsts, j * 3, lines, index, weight, j, 3, fin, 2)
        for j in range(stop - stop % 2, stop):
            _pixels(dsts, j * 3, lines, index, weight, j, 3, fin, 1)
    else:
        for j in range(0, stop - 1, 2):
            _pixels(dsts, j * PIXEL_LANES, lines, index, weight, j, PIXEL_LANES, fin, 2)
        for j in range(stop - stop % 2, stop):
            _pixels(dsts, j * PIXEL_LANES, lines, index, weight, j, PIXEL_LANES, fin, 1)
    for t in range(4):
        _gather_lanes(lines[t], flat_index, flat_weight, stop * q, flat_index.shape[1], dsts[t], fin)


@njit(inline="always")
def _four(r, last):
    """Rows ``r`` to ``r + 3``, those past ``last`` repeating it (a short last block of four)."""
    return r, min(r + 1, last), min(r + 2, last), min(r + 3, last)


@njit(parallel=True, cache=True, nogil=True)
def _narrow_pixels(src, first, n_rows, lanes, out, out_first, fin):
    # out[p, out_first + r] = src[p, first + r] resampled along its pixels, four rows at a time
    # (a short last block repeats its final row).
    src, lanes, out = _unowned((src, lanes, out))
    blocks = (n_rows + 3) // 4
    for u in prange(src.shape[0] * blocks):
        p = u // blocks
        r = first + 4 * (u - p * blocks)
        last = first + n_rows - 1
        rows = _four(r, last)
        lines = (src[p, rows[0]], src[p, rows[1]], src[p, rows[2]], src[p, rows[3]])
        o = out_first - first
        dsts = (out[p, rows[0] + o], out[p, rows[1] + o], out[p, rows[2] + o], out[p, rows[3] + o])
        _pixel_block(lines, dsts, lanes, fin)


@njit(inline="always")
def _ring_row(r, start, n_out, lo, done):
    """Output row ``r`` of a chunk that starts at row ``start``, walking a ring: its image ``p``,
    its row ``j`` there, and the first input row the ring may still need (``done``: past the last
    one made, unless the chunk or the image has just begun)."""
    p = r // n_out
    j = r - p * n_out
    return p, j, lo[j] if j == 0 or r == start else max(done, lo[j])


@njit(parallel=True, cache=True, nogil=True)
def _pair_pixels_outer(src, index, weight, fin1, lanes, out, mid, fin2):
    # The outer-first pair of passes for pixel lanes, in one parallel loop: four output rows at a
    # time, their outer pass into ``mid[c]`` (in the nearest cache), then their pixels
    # (``_pixel_block``; a short last block repeats its final row).
    src, index, weight, lanes, out, mid = _unowned((src, index, weight, lanes, out, mid))
    n_out = index.shape[0]
    blocks = (n_out + 3) // 4
    units = src.shape[0] * blocks
    chunks = min(units, mid.shape[0])
    for c in prange(chunks):
        wide_sums = _sums(min(src.shape[2], WIDE_BLOCK), weight)
        lines = (mid[c, 0], mid[c, 1], mid[c, 2], mid[c, 3])
        for u in range(c * units // chunks, (c + 1) * units // chunks):
            p = u // blocks
            j = 4 * (u - p * blocks)
            rows = _four(j, n_out - 1)
            for t in range(4):
                _wide_row(src[p], index[rows[t]], weight[rows[t]], lines[t], wide_sums, fin1)
            _pixel_block(lines, (out[p, rows[0]], out[p, rows[1]], out[p, rows[2]], out[p, rows[3]]), lanes, fin2)


@njit(parallel=True, cache=True, nogil=True)
def _pair_pixels_inner(src, lanes, fin1, lo, hi, index, weight, out, ring, fin2):
    # The inner-first pair of passes for pixel lanes, in one parallel loop as the periodic one
    # (``_pair_periodic``): input rows go to the ring four at a time (``_pixel_block``; rows past
    # the last repeat it), so it holds three rows more than an output row reads.
    src, lanes, lo, hi, index, weight, out, ring = _unowned((src, lanes, lo, hi, index, weight, out, ring))
    n_out, depth, last = index.shape[0], ring.shape[1], src.shape[1] - 1
    rows = src.shape[0] * n_out
    chunks = min(rows, ring.shape[0])
    for c in prange(chunks):
        wide_sums = _sums(min(ring.shape[2], WIDE_BLOCK), weight)
        done = 0
        for r in range(c * rows // chunks, (c + 1) * rows // chunks):
            p, j, done = _ring_row(r, c * rows // chunks, n_out, lo, done)
            while done < hi[j]:
                i = _four(done, last)
                lines = (src[p, i[0]], src[p, i[1]], src[p, i[2]], src[p, i[3]])
                dsts = (ring[c, done % depth], ring[c, (done + 1) % depth], ring[c, (done + 2) % depth],
                        ring[c, (done + 3) % depth])
                _pixel_block(lines, dsts, lanes, fin1)
                done += 4
            _wide_row(ring[c], index[j], weight[j], out[p, j], wide_sums, fin2)


@njit(parallel=True, cache=True, nogil=True)
def _narrow(src, first, n_rows, flat_index, flat_weight, out, out_first, sums, fin):
    # out[p, out_first + r] = src[p, first + r] resampled along its lanes (r < n_rows) by
    # gathering, four rows at a time; sums: four rows of sums per chunk of rows.
    src, flat_index, flat_weight, out, sums = _unowned((src, flat_index, flat_weight, out, sums))
    blocks = (n_rows + 3) // 4
    units = src.shape[0] * blocks
    chunks = min(units, sums.shape[0])
    for c in prange(chunks):
        acc = sums[c]
        for u in range(c * units // chunks, (c + 1) * units // chunks):
            p = u // blocks
            r0 = 4 * (u - p * blocks)
            n = min(4, n_rows - r0)
            i = _four(first + r0, first + r0 + n - 1)
            _gather4(src[p, i[0]], src[p, i[1]], src[p, i[2]], src[p, i[3]], flat_index, flat_weight, acc)
            for r in range(n):
                _store(acc[r], out[p, out_first + r0 + r], fin)


@functools.cache
def _narrow_transposed(q):
    """The narrow pass for any taps over bands of rows, compiled for ``q`` lanes per group where
    common (0: read at run time)."""

    @njit(parallel=True, cache=True, nogil=True)
    def kernel(src, first, n_rows, depth, index, weight, n_q, out, out_first, scratch, fin):
        # Each band of up to ``depth`` rows is transposed into a plane of (input position,
        # (row, lane)) so that a tap reads one contiguous plane row for the whole band: the
        # gathers become whole-row multiply-adds. Results go to a block of rows of (output
        # position, (row, lane)), then out to the band's rows. scratch: per chunk a plane, a row
        # of sums and a block of results.
        src, index, weight, out, scratch = _unowned((src, index, weight, out, scratch))
        planes, sums, blocks = scratch
        n_in, width = planes.shape[1], planes.shape[2]
        n_out, n_taps = index.shape
        bands = (n_rows + depth - 1) // depth
        units = src.shape[0] * bands
        chunks = min(units, planes.shape[0])
        for c in prange(chunks):
            qq = q if q else n_q
            plane, acc, block = planes[c], sums[c], blocks[c]
            flat, results = plane.reshape(-1), block.reshape(-1)
            for u in range(c * units // chunks, (c + 1) * units // chunks):
                i = u // bands
                r0 = depth * (u - i * bands)
                n = min(depth, n_rows - r0)
                for r in range(n):
                    line = src[i, first + r0 + r]
                    for x in range(n_in):
                        _move_group(flat, x * width + r * qq, line, x * qq, qq, x < n_in - 1)
                for j0 in range(0, n_out, block.shape[0]):
                    j1 = min(n_out, j0 + block.shape[0])
                    for j in range(j0, j1):
                        # Taps in pairs (an even number of them), over all lanes: a whole
                        # number of vector steps.
                        for k in range(0, n_taps, 2):
                            _tap_pair(acc, k == 0, weight[j, k], plane[index[j, k]], weight[j, k + 1],
                                      plane[index[j, k + 1]])
                        _store(acc, block[j - j0], fin)
                    for r in range(n):
                        dst = out[i, out_first + r0 + r]
                        for j in range(j0, j1):
                            _move_group(dst, j * qq, results, (j - j0) * width + r * qq, qq, j < n_out - 1)

    return kernel


@njit(inline="always")
def _whole_steps(offset, f, step, q):
    """Whether periodic lanes are single lanes whose one phase reads a whole step of neighbouring
    input lanes, in order (the boxes of an exact /2 or /4): ``_step_sums`` then sums them from
    the row itself, with no split into planes (a pass over the row that costs a downscaled
    volume 8%). Only steps 2 and 4, those ``_common`` compiles as constants: a step read at run
    time would make the compiler gather each lane."""
    if q != 1 or f != 1 or not (step == 2 or step == 4) or offset.shape[1] != step:
        return False
    for k in range(1, step):
        if offset[0, k] != offset[0, 0] + k:
            return False
    return True


@njit(inline="always")
def _step_sums(line, dst, weight, step, fin):
    # dst[v] = sum over r < step of weight[r] line[step v + r], in tap order (as ``_tap_pair``
    # sums them); ``step`` a constant, so the compiler reads a step of lanes as one vector.
    rounding, half, shift, lo, hi = fin
    for v in range(dst.shape[0]):
        a = _mul(weight[0], line[step * v])
        for r in range(1, step):
            a += _mul(weight[r], line[step * v + r])
        if rounding:
            dst[v] = _finish(a, half, shift, lo, hi)
        else:
            dst[v] = a


@njit(inline="always")
def _periodic_row(line, dst, lanes, sums, phases, plane, fin, f, step, q):
    # One row of the narrow pass for periodic lanes: interior groups m0 <= m < m1 of output lane
    # ((m f + p) q + c) sum weight[p, k] times input lane ((step m + offset[p, k]) q + c).
    # With step 1 (upscales) the inputs of one (p, k) are contiguous; a larger step (downscales)
    # first splits the row by its step phases into ``plane``, unless the taps are boxes
    # (``_whole_steps``). ``sums``: a row of sums; ``phases``: one row per output phase. The
    # edges gather.
    flat_index, flat_weight, offset, weight, _, _, m0, m1, _, _, _ = lanes
    n_taps, n = offset.shape[1], (m1 - m0) * q
    boxes = _whole_steps(offset, f, step, q)
    if boxes:
        _step_sums(line[step * m0 + offset[0, 0] :], dst[m0:m1], weight[0], step, fin)
    ph, stride = line, 0
    if step > 1 and not boxes:
        stride = plane.shape[1]
        ph = plane.reshape(-1)
        _split(plane, line, line.shape[0] // (step * q), step, q)
    for p in range(0 if boxes else f):
        row = dst[m0 * q : m1 * q] if f == 1 else phases[p, :n]
        for v0 in range(0, n, WIDE_BLOCK):  # blocks of sums that stay in cache
            v1 = min(n, v0 + WIDE_BLOCK)
            acc, direct = _direct(row[v0:v1], sums[: v1 - v0])
            for k in range(0, n_taps, 2):  # taps in pairs (an even number of them)
                o0, o1 = offset[p, k], offset[p, k + 1]
                s0 = ph[(o0 % step) * stride + (m0 + o0 // step) * q + v0 :]
                s1 = ph[(o1 % step) * stride + (m0 + o1 // step) * q + v0 :]
                _tap_pair(acc, k == 0, weight[p, k], s0, weight[p, k + 1], s1)
            if fin[0] or not direct:
                _store(acc, row[v0:v1], fin)
    if f > 1:
        _interleave(dst[m0 * f * q :], phases.reshape(-1), phases.shape[1], m1 - m0, f, q)
    _gather_lanes(line, flat_index, flat_weight, 0, m0 * f * q, dst, fin)
    _gather_lanes(line, flat_index, flat_weight, m1 * f * q, flat_index.shape[1], dst, fin)


@functools.cache
def _narrow_periodic(f, step, q):
    """The narrow pass for periodic lanes (``_periodic_row``), compiled for phase count ``f``,
    ``step`` and ``q`` lanes per group where these are common (constants let the compiler unroll
    the interleaving loops); 0 stands for a value read from the lanes at run time."""

    @njit(parallel=True, cache=True, nogil=True)
    def kernel(src, first, n_rows, lanes, out, out_first, scratch, fin):
        src, lanes, out, scratch = _unowned((src, lanes, out, scratch))
        sums, phases, planes = scratch
        units = src.shape[0] * n_rows
        chunks = min(units, sums.shape[0])
        for c in prange(chunks):
            # (constants are read inside the parallel loop: values set before it reach the loop
            # body as variables)
            ff, ss, qq = _constants(f, step, q, lanes)
            for u in range(c * units // chunks, (c + 1) * units // chunks):
                i = u // n_rows
                _periodic_row(src[i, first + u - i * n_rows], out[i, out_first + u - i * n_rows], lanes,
                              sums[c, 0], phases[c], planes[c], fin, ff, ss, qq)

    return kernel


@functools.cache
def _pair_periodic(f, step, q):
    """An outer-axis pass and a periodic narrow pass (``_periodic_row``) run together in one
    parallel loop, compiled as ``_narrow_periodic``: ``(outer_first, inner_first)`` kernels."""

    @njit(parallel=True, cache=True, nogil=True)
    def outer_first(src, index, weight, fin1, lanes, out, mid, scratch, fin2):
        # A block of output rows at a time (``mid[c]``, in the nearest cache): their outer pass,
        # then their narrow pass, as one line where the lanes are periodic throughout (short
        # rows: a volume's), else row by row (a block of one row).
        src, index, weight, lanes, out, mid, scratch = _unowned((src, index, weight, lanes, out, mid, scratch))
        sums, phases, planes = scratch
        n_out, block, width = index.shape[0], mid.shape[1], mid.shape[2]
        rows = src.shape[0] * n_out
        chunks = min(rows, sums.shape[0])
        lines = out.reshape(rows, -1)
        for c in prange(chunks):
            ff, ss, qq = _constants(f, step, q, lanes)
            wide_sums = _sums(min(src.shape[2], WIDE_BLOCK), weight)
            start, stop = c * rows // chunks, (c + 1) * rows // chunks
            # Output row j of image p; the image's view made once (a view per row costs as much
            # as a short row's sums).
            p = start // n_out
            j, image = start - p * n_out, src[p]
            # (made once: a tuple of the tables counts a reference to each when made)
            block_lanes = lanes[:7] + (lanes[7] * block,) + lanes[8:]
            for r0 in range(start, stop, block):
                n = min(block, stop - r0)
                for t in range(n):
                    # Short rows come in bursts the processor does not foresee: the rows of a
                    # later output row are asked for while this one's are summed.
                    if j + AHEAD < n_out:
                        for k in range(index.shape[1]):
                            _prefetch(image[index[j + AHEAD, k]])
                    _wide_row(image, index[j], weight[j], mid[c, t], wide_sums, fin1)
                    j += 1
                    if j == n_out:
                        p, j = p + 1, 0
                        image = src[min(p, src.shape[0] - 1)]
                line = mid[c].reshape(-1)[: n * width] if block > 1 else mid[c, 0]
                dst = lines[r0 : r0 + n].reshape(-1) if block > 1 else lines[r0]
                line_lanes = block_lanes if n == block else lanes[:7] + (lanes[7] * n,) + lanes[8:]
                _periodic_row(line, dst, line_lanes, sums[c, 0], phases[c], planes[c], fin2, ff, ss, qq)

    @njit(parallel=True, cache=True, nogil=True)
    def inner_first(src, lanes, fin1, lo, hi, index, weight, out, ring, scratch, fin2):
        # Each chunk walks its output rows in order; input row i, resampled along its lanes,
        # goes to ``ring[c, i % depth]`` when first needed (``lo`` and ``hi``, the first and
        # past-the-last input rows of each output row, never decrease; ``index`` is mod depth).
        src, lanes, lo, hi, index, weight, out, ring, scratch = _unowned(
            (src, lanes, lo, hi, index, weight, out, ring, scratch))
        sums, phases, planes = scratch
        n_out, depth = index.shape[0], ring.shape[1]
        rows = src.shape[0] * n_out
        chunks = min(rows, sums.shape[0])
        for c in prange(chunks):
            ff, ss, qq = _constants(f, step, q, lanes)
            wide_sums = _sums(min(ring.shape[2], WIDE_BLOCK), weight)
            done = 0
            for r in range(c * rows // chunks, (c + 1) * rows // chunks):
                p, j, done = _ring_row(r, c * rows // chunks, n_out, lo, done)
                for i in range(done, hi[j]):
                    _periodic_row(src[p, i], ring[c, i % depth], lanes, sums[c, 0], phases[c], planes[c], fin1,
                                  ff, ss, qq)
                done = max(done, hi[j])
                _wide_row(ring[c], index[j], weight[j], out[p, j], wide_sums, fin2)

    return outer_first, inner_first


@njit(inline="always")
def _constants(f, step, q, lanes):
    """``(f, step, q)`` of a periodic kernel: the compiled constants, or the lanes' values for 0."""
    return f if f else lanes[2].shape[0], step if step else lanes[8], q if q else lanes[9]


def _common(f, step, q):
    """``(f, step, q)`` where a kernel is compiled for them as constants: x2 and x4 upscales,
    /2 and /4 downscales, of one, three or four channels; else zeros (values read at run time).
    Each such kernel takes seconds to compile, so they are few."""
    if q in (1, 3, 4) and (f, step) in ((2, 1), (4, 1), (1, 2), (1, 4)):
        return f, step, q
    return 0, 0, 0


def _frozen(a, shape=None):
    """A read-only view (as ``shape``): arrays the kernels only read are passed so, whether or not
    the caller's are writable, so that each kernel compiles one signature per dtype."""
    a = a.view() if shape is None else a.reshape(shape)
    a.flags.writeable = False
    return a


def _compact(weight):
    """Integer weights as int16 where they all fit (else as they are)."""
    if weight.dtype.kind == "i" and np.abs(weight).max(initial=0) < 1 << 15:
        return weight.astype(np.int16)
    return weight


def _paired(index, weight):
    """C-contiguous tables of an even number of taps (a zero tap appended to an odd number):
    the passes over whole rows take taps in pairs."""
    if index.shape[1] % 2:
        index = np.concatenate([index, index[:, -1:]], 1)
        weight = np.concatenate([weight, np.zeros_like(weight[:, :1])], 1)
    return np.ascontiguousarray(index), np.ascontiguousarray(weight)


def _rows(index, weight):
    """The tables of a pass over whole rows (see ``_wide``), read-only; kept for the last few
    tables (``taps`` keeps those), as ``_lanes``."""
    return kept(_kept_rows, (index, weight), (), lambda: tuple(map(_frozen, _paired(index, _compact(weight)))))


def _reach(index):
    """The first and past-the-last input row each output row of ``_rows``' ``index`` reads, and
    whether both never decrease (as a ring needs); kept as ``_rows``."""

    def build():
        starts, stops = index.min(1), index.max(1) + 1
        return _frozen(starts), _frozen(stops), bool((np.diff(starts) >= 0).all() and (np.diff(stops) >= 0).all())

    return kept(_kept_rows, (index,), (), build)


_kept_rows: dict = {}


def _wide_pass(src, index, weight, out, first, fin, alone, launch):
    """``out[p, first + j]`` = row ``j`` of the pass over ``src`` with tables from ``_rows``."""
    launch(_wide, _frozen(src), index, weight, out, first, _chunks(src.shape[0] * index.shape[0], alone), fin)


def _narrow_pass(src, first, n_rows, lanes, out, out_first, scratch, fin, alone, launch):
    """Resample rows ``first ..`` of ``src`` along their lanes into ``out``: periodic lanes phase
    by phase, else pixels of three or four channels as vectors, else bands of rows transposed
    where ``scratch`` holds planes for them, else by gathering (``_narrow``)."""
    flat_index, flat_weight, offset, _, index, weight, _, _, step, q, _ = lanes
    if offset.shape[0]:
        kernel = _narrow_periodic(*_common(offset.shape[0], step, q))
        launch(kernel, _frozen(src), first, n_rows, lanes, out, out_first, scratch[:3], fin)
    elif _pixel_lanes(q):
        launch(_narrow_pixels, _frozen(src), first, n_rows, lanes, out, out_first, fin)
    elif scratch[3].shape[1] and n_rows >= TRANSPOSED_ROWS:
        # Bands of at most the planes' depth, in a multiple of the threads' number, as even as can be.
        threads, rows = _threads(alone), src.shape[0] * n_rows
        bands = -(-rows // ((scratch[3].shape[2] - 1) // q))
        depth = -(-rows // (-(-bands // threads) * threads))
        kernel = _narrow_transposed(q if q in (1, 3, 4) else 0)
        launch(kernel, _frozen(src), first, n_rows, depth, index, weight, q, out, out_first, scratch[3:], fin)
    else:
        launch(_narrow, _frozen(src), first, n_rows, flat_index, flat_weight, out, out_first, scratch[0], fin)


def _finishing(out_dtype, weight_dtype, shift):
    """The ``fin`` tuple of a pass writing ``out_dtype``."""
    cast = np.dtype(weight_dtype).type
    if np.dtype(out_dtype).kind not in "iu":
        return (False, cast(0), np.int32(0), cast(0), cast(0))
    info = np.iinfo(out_dtype)
    return (True, cast((1 << (shift - 1)) if shift else 0.5), np.int32(shift), cast(info.min), cast(info.max))


def _pixel_lanes(q):
    """Whether a narrow pass sums pixels of ``q`` lanes as vectors (``_pixels``): fewer lanes would
    waste most of each vector."""
    return 3 <= q <= PIXEL_LANES


def _lanes(index, weight, q, n_in, src_dtype, phases=True):
    """The narrow loop's tables for ``src_dtype`` samples: flat (K, n_out * q) gather tables, the
    phase tables of the interior where the taps repeat (empty when they do not, or not
    ``phases``), the tables of ``_pixels`` (the paired tables, or windows), and ``stop``: the
    pixels before it read and write whole vectors inside their rows. Kept for the last few tables
    (``taps`` keeps those): building them takes up to a millisecond."""
    key = (q, n_in, np.dtype(src_dtype).itemsize, phases)
    return kept(_kept_lanes, (index, weight), key, lambda: _build_lanes(index, weight, q, n_in, *key[2:]))


_kept_lanes: dict = {}


def _build_lanes(index, weight, q, n_in, itemsize, phases):
    n_out, n_taps = index.shape
    weight = _compact(weight)
    flat_index = np.ascontiguousarray((index.T[:, :, None] * q + np.arange(q)).reshape(n_taps, -1), np.int32)
    flat_weight = np.ascontiguousarray(np.repeat(weight.T, q, axis=1))
    offset, phase_weight, m0, m1, step = _periodic(index, weight, n_in if phases else 0)  # (0: none)
    tables = flat_index, flat_weight, *_paired(offset, phase_weight), *_paired(index, weight)
    loads = index.max(1, initial=0) * q + PIXEL_LANES <= n_in * q
    windows = None
    if itemsize == 1 and weight.dtype == np.int16 and _pixel_lanes(q) and not offset.shape[0]:
        windows = _windows(index, weight, n_in, q)
    if windows is not None:
        tables, loads = tables[:4] + windows[:2], windows[2]
    inside = loads & (np.arange(n_out) * q + PIXEL_LANES <= n_out * q)
    stop = int(np.argmin(inside)) if not inside.all() else n_out
    return tuple(map(_frozen, tables)) + (m0, m1, step, q, stop)


def _windows(index, weight, n_in, q):
    """The taps of 8-bit pixels as windows of neighbouring pixels (``_pixels``): ``start[j]`` and
    ``weight[j, o]``, the weight of input pixel ``start[j] + o`` (taps on one clamped pixel summed),
    in an even number of columns, and which outputs' windows are read, two pixels in 8 bytes,
    inside the input row. None where the weights or the row are too short."""
    n_out = index.shape[0]
    used = weight != 0
    hi = np.where(used, index, -1).max(1)
    lo = np.minimum(np.where(used, index, n_in).min(1), np.maximum(hi, 0))
    width = int((hi - lo).max(initial=0)) + 1
    width += width % 2
    window = np.zeros((n_out, width), np.int32)
    np.add.at(window, (np.arange(n_out)[:, None], np.clip(index - lo[:, None], 0, width - 1)), weight * used)
    # The last pair of a window starting at pixel s reads bytes up to (s + width - 2) q + 8.
    inside = (lo + width - 2) * q + 8 <= n_in * q
    if not inside.any() or np.abs(window).max(initial=0) >= 1 << 15:
        return None
    return lo.astype(np.intp), window.astype(np.int16), inside


def _periodic(index, weight, n_in):
    """Where ``n_out = f n_in`` or ``n_in = step n_out`` exactly: ``offset[p, k]``, ``weight[p, k]``,
    ``m0``, ``m1``, ``step`` with output ``m f + p`` taking input ``step m + offset[p, k]`` for every
    ``m`` in ``[m0, m1)``, the longest such run around the middle. Empty tables when the taps do
    not repeat so."""
    n_out, n_taps = index.shape
    none = np.zeros((0, n_taps), np.intp), np.zeros((0, n_taps), weight.dtype), 0, 0, 1
    f, step = max(n_out // max(n_in, 1), 1), max(n_in // max(n_out, 1), 1)
    groups = n_out // f
    if f * step < 2 or n_out * step != f * n_in or groups < 8:
        return none
    mid = groups // 2
    m = np.arange(groups)[:, None]
    offset = index[f * mid : f * mid + f] - step * mid
    phase_weight = weight[f * mid : f * mid + f]
    good = np.ones(groups, bool)
    for p in range(f):
        good &= (index[p::f] == step * m + offset[p]).all(1) & (weight[p::f] == phase_weight[p]).all(1)
    bad = np.flatnonzero(~good)
    m0 = int(bad[bad < mid].max(initial=-1)) + 1
    m1 = int(bad[bad > mid].min(initial=groups))
    if not good[mid] or m1 - m0 < groups // 2:
        return none
    return np.ascontiguousarray(offset, np.intp), np.ascontiguousarray(phase_weight), m0, m1, step


def _scratch(lanes, n_in, src_dtype, dtype, alone):
    """Per-chunk working rows of the narrow pass reading ``src_dtype`` and writing ``dtype``:
    four rows of sums (gathers); one row per output phase and the input row split by its step
    (periodic lanes); a plane of up to ``PLANE_BYTES``, a row of sums and a block of 32 rows of
    results (transposed bands; no plane when a band would be under four rows)."""
    flat_index, flat_weight, offset, _, _, _, m0, m1, step, q, _ = lanes
    chunks = 2 * _threads(alone)
    sums = np.int32 if flat_weight.dtype.kind == "i" else flat_weight.dtype
    # Whole multiples of 64 lanes (what the compiled loops do per step), one of them spare:
    # 8-bit triples move as 4-byte words.
    width = min(256, PLANE_BYTES // (n_in * np.dtype(src_dtype).itemsize) // 64 * 64)
    depth = (width - 1) // q if not offset.shape[0] and not _pixel_lanes(q) else 0
    depth = depth if depth >= 4 else 0
    return (np.empty((chunks, 4, max(flat_index.shape[1], (m1 - m0) * q)), sums),
            np.empty((chunks, max(offset.shape[0], 1), (m1 - m0) * q), dtype),
            np.empty((chunks, step, n_in // step * q if step > 1 else 0), src_dtype),
            np.zeros((chunks, n_in if depth else 0, max(width, 1)), src_dtype),  # spare lanes: finite
            np.empty((chunks, max(width, 1)), sums), np.empty((chunks, 32, max(width, 1)), dtype))


# Resizes reading and writing fewer samples than this are planned ``alone``: they run on the
# calling thread, each kernel as its twin. On small work, waking the other threads costs more than
# they save: tens of microseconds on a quiet machine, up to milliseconds on a busy virtual one. On
# the 2-core development machine a second thread gave nothing up to a 320^2 RGB image x2 (1.5 M
# samples), 1.2 to 1.4x at 512^2 (3.9 M).
SERIAL_SAMPLES = 1 << 21


def _launch(kernel, alone):
    """``kernel``, or its twin ``_alone`` where the plan runs ``alone`` or Numba is set to one
    thread (the plan binds no thread count: each call asks Numba's, a few microseconds after an
    idle spell, which a small call spares)."""
    return _alone(kernel) if alone or _threads() == 1 else kernel


def _launcher(alone):
    """``launch(kernel, *args)`` for one plan: ``kernel`` on ``args`` as ``_launch`` runs it. Planned
    ``alone``, its twin, which from the second call on is its compiled code for the first call's
    argument types, called straight away: a plan passes each kernel arrays of the same types each
    call (the api keys plans by dtype, layout and alignment), and the dispatcher's matching of
    them costs 10-20 us a call after an idle spell."""
    if not alone:
        return lambda kernel, *args: _launch(kernel, False)(*args)
    entries = {}

    def launch(kernel, *args):
        entry = entries.get(kernel)
        if entry is not None:
            return entry(*args)
        _, entries[kernel] = _compiled(_alone(kernel), args)

    return launch


def _compiled(dispatcher, args):
    """``(dispatcher(*args), code)``: ``code`` is the dispatcher's compiled code for these
    arguments' types, to be called straight away on arguments of the same types (or the
    dispatcher itself, should it have none)."""
    result = dispatcher(*args)
    compiled = dispatcher.overloads.get(tuple(map(dispatcher.typeof_pyval, args)))
    return result, dispatcher if compiled is None else compiled.entry_point


@functools.cache
def _alone(kernel):
    """``kernel`` compiled with its parallel loop a plain one: the same work on the calling thread,
    without the parallel loop's start (10-20 us a call after an idle spell)."""
    f = kernel.py_func
    twin = FunctionType(f.__code__, {**f.__globals__, "prange": range}, f.__name__, f.__defaults__, f.__closure__)
    twin.__qualname__ = f.__qualname__ + "_alone"  # (cached apart)
    return njit(cache=True, nogil=True)(twin)


def _threads(alone=False):
    """The threads a pass runs on: one ``alone``, else ``numba.get_num_threads()``, without its
    locks once the threads run (see ``_count``)."""
    return 1 if alone else _count()()


@functools.cache
def _count():
    """Numba's own function that reads the calling thread's number of threads. Its public one
    takes two locks each call, which costs tens of microseconds when a call comes after an idle
    spell, its code out of the caches."""
    get_num_threads()  # (starts the threads)
    try:
        from numba.np.ufunc.parallel import _get_num_threads
    except ImportError:
        return get_num_threads
    return _get_num_threads


def _chunks(rows, alone):
    return max(1, min(rows, 16 * _threads(alone)))


def resample_axis(src, index, weight, out, shift=0):
    _axis_plan(src.shape, src.dtype, index, weight, out.shape, out.dtype, shift)(src, out)


def _axis_plan(src_shape, src_dtype, index, weight, out_shape, out_dtype, shift=0, alone=False):
    key = (src_shape, src_dtype, out_dtype, shift, alone, _threads(alone))
    return kept(_kept_plans, (index, weight), key, lambda: _axis(index, weight, *key[:5]))


def _axis(index, weight, src_shape, src_dtype, out_dtype, shift, alone):
    """``run(src, out)``, the pass of ``resample_axis`` for this shape and these tables."""
    fin, launch = _finishing(out_dtype, weight.dtype, shift), _launcher(alone)
    n_outer, n_in, n_inner = src_shape
    if n_inner >= WIDE or n_outer < _chunks(n_outer * index.shape[0], alone):
        rows = _rows(index, weight)
        out_shape = (n_outer, index.shape[0], n_inner)
        return lambda src, out: _wide_pass(src.reshape(src_shape), *rows, out.reshape(out_shape), 0, fin, alone,
                                           launch)
    lanes = _lanes(index, weight, n_inner, n_in, src_dtype)

    def use(scratch, src, out):
        _narrow_pass(src.reshape(1, n_outer, -1), 0, n_outer, lanes, out.reshape(1, n_outer, -1), 0, scratch, fin,
                     alone, launch)

    return _reusing(lambda: _scratch(lanes, n_in, src_dtype, out_dtype, alone), use)


def resample_pair(src, outer, inner, out, mid_dtype, outer_first):
    """Two passes over ``src`` ``(P, A, B, Q)`` into ``out`` ``(P, A', B', Q)``: ``outer`` and
    ``inner`` are ``(index, weight, shift)`` of axes A and B; ``outer_first`` says which runs
    first, and the intermediate holds ``mid_dtype``. ``Q`` is short (the narrow loop's lanes).
    Periodic lanes and pixels run in one parallel loop (``_pair_periodic``, ``_pair_pixels_inner``,
    ``_pair_pixels_outer``); others band by band of output rows. The plan (tables, loop, working
    rows) is kept for the last few shapes and tables."""
    _pair_plan(src.shape, src.dtype, outer, inner, out.shape, out.dtype, mid_dtype, outer_first)(src, out)


def _pair_plan(src_shape, src_dtype, outer, inner, out_shape, out_dtype, mid_dtype, outer_first, alone=False):
    key = (src_shape, src_dtype, out_shape, out_dtype, mid_dtype, outer_first, alone, _threads(alone))
    return kept(_kept_plans, (outer, inner), key, lambda: _pair(outer, inner, *key[:7]))


_kept_plans: dict = {}


def plan(name, src_shape, src_dtype, out_shape, out_dtype, before=(), after=(), alone=False):
    """``run(src, out)``: ``<name>(src, *before, out, *after)`` on arrays of these shapes and
    dtypes (passed in any shape, C-contiguous), planned now. A caller that keeps it spares each
    call the search for the kept plan (tens of microseconds when the call comes after an idle
    spell); the plan splits the work for the number of threads set now, and runs on as many as
    are set when it runs, or with ``alone`` (small work: ``SERIAL_SAMPLES``) on the calling
    thread."""
    src_shape, out_shape = tuple(src_shape), tuple(out_shape)
    src_dtype, out_dtype = np.dtype(src_dtype), np.dtype(out_dtype)
    if name == "select_axis":
        name, before = "select_axes", ((None, *before, None),)
    planner = {"resample_axis": _axis_plan, "resample_pair": _pair_plan, "select_axes": _selection_plan}[name]
    return planner(src_shape, src_dtype, *before, out_shape, out_dtype, *after, alone=alone)


def _reusing(make, use):
    """``run(src, out)`` = ``use(work, src, out)``, with working arrays ``work = make()`` kept
    for the next call (a call made while another runs, from another thread, makes its own)."""
    spare = []

    def run(src, out):
        try:
            work = spare.pop()
        except IndexError:
            work = make()
        use(work, src, out)
        spare.append(work)

    return run


def _single(make, kernel, parts, src_shape, out_shape, alone, launch, bits=None):
    """``run(src, out)``: one launch of ``kernel(src, *before, out, *after)``, ``src`` and ``out``
    viewed as ``src_shape`` and ``out_shape`` (and as ``bits``, an unsigned type of their items'
    size, where given), ``(before, after) = parts(work)`` for working arrays ``work = make()`` kept
    for the next call (a call made while another runs makes its own). Planned ``alone``,
    ``run.direct(order, result_shape, inverse, dtype)`` is the same resize as one compiled call
    from the input to its result (``_one_call``)."""
    spare = []

    def arguments():
        try:
            return spare.pop()
        except IndexError:
            return parts(make())

    def run(src, out):
        before, after = args = arguments()
        if bits is not None:
            src, out = src.view(bits), out.view(bits)
        launch(kernel, _frozen(src, src_shape), *before, out.reshape(out_shape), *after)
        spare.append(args)

    if alone and _entry(kernel) is not None:
        run.direct = lambda order, result_shape, inverse, dtype: _one_call(
            kernel, arguments, spare, (tuple(order), src_shape, out_shape, tuple(result_shape), tuple(inverse)), dtype)
    return run


def _one_call(kernel, arguments, spare, shapes, dtype):
    """``call(x)``: the resize of ``_single``'s plan, from the input ``x`` (its axes taken in
    ``shapes``' order one C-contiguous block, of ``dtype``) to its result in ``x``'s layout, as one
    compiled call (``_entry``): none of the Python and NumPy steps of a planned call (the input's
    and output's views, the launch), which cost a small call 30 to 80 us after an idle spell. A
    result that ``empty`` would keep on reused memory is allocated by it, the others in the
    compiled call. From its second call on, the compiled code for its first call's types, as
    ``_launcher``'s."""
    entry, code, out_shape = _entry(kernel), None, shapes[2]
    kept = math.prod(out_shape) * np.dtype(dtype).itemsize >= SMALLEST

    def call(x):
        nonlocal code
        args = arguments()
        out = empty(out_shape, dtype) if kept else None
        if code is None:
            result, code = _compiled(entry, (x, shapes, out, *args))
        else:
            result = code(x, shapes, out, *args)
        spare.append(args)
        return result

    return call


@functools.cache
def _entry(kernel):
    """``_whole`` compiled to call ``kernel``'s twin (None for a kernel compiled for values other
    than numbers, which could not name its cached code)."""
    twin = _alone(kernel)
    values = tuple(cell.cell_contents for cell in twin.py_func.__closure__ or ())
    if not all(isinstance(v, int) for v in values):
        return None
    entry = FunctionType(_whole.__code__, {**_whole.__globals__, "_kernel": twin}, _whole.__name__)
    entry.__qualname__ = "_".join(map(str, ("_whole", twin.py_func.__qualname__, *values)))  # (cached apart)
    return njit(cache=True, nogil=True)(entry)


_kernel = None  # (each of ``_entry``'s compiled ``_whole`` has its own in its globals)


def _whole(x, shapes, out, before, after):
    # ``_kernel`` on the input ``x`` viewed in memory order, into ``out`` (a new array for None),
    # returned in the input's layout.
    order, src_shape, out_shape, result_shape, inverse = shapes
    if out is None:
        out = np.empty(out_shape, x.dtype)
    _kernel(_dense(x.transpose(order), src_shape), *before, out, *after)
    return out.reshape(result_shape).transpose(inverse)


@intrinsic
def _dense(typingctx, a, shape):
    """``a``'s samples, C-contiguous (the caller's word), as a read-only array of ``shape`` that
    owns nothing (as ``_frozen(a, shape)`` passes them to a kernel)."""
    ndim = len(shape)
    view = types.Array(a.dtype, ndim, "C", readonly=True)

    def codegen(context, builder, signature, args):
        src = context.make_array(signature.args[0])(context, builder, args[0])
        out = context.make_array(view)(context, builder)
        sizes = cgutils.unpack_tuple(builder, args[1], ndim)
        step = context.get_constant(types.intp, context.get_abi_sizeof(context.get_data_type(a.dtype)))
        itemsize, strides = step, []
        for size in reversed(sizes):
            strides.insert(0, step)
            step = builder.mul(step, size)
        context.populate_array(out, data=src.data, shape=sizes, strides=strides, itemsize=itemsize, meminfo=None)
        return out._getvalue()

    return view(a, shape), codegen


def _pair(outer, inner, src_shape, src_dtype, out_shape, out_dtype, mid_dtype, outer_first, alone):
    """``run(src, out)``, the two passes of ``resample_pair`` for these shapes and tables."""
    (P, A, B, Q), (A2, B2) = src_shape, out_shape[1:3]
    mid_dtype = np.dtype(mid_dtype)
    first, second = (outer, inner) if outer_first else (inner, outer)
    fin1 = _finishing(mid_dtype, first[1].dtype, first[2])
    fin2 = _finishing(out_dtype, second[1].dtype, second[2])
    pixels_after = outer_first and _pixel_lanes(Q)
    lanes = _lanes(inner[0], inner[1], Q, B, mid_dtype if outer_first else src_dtype, not pixels_after)
    flat_src, flat_out = (P, A, B * Q), (P, A2, B2 * Q)
    index, weight = _rows(outer[0], outer[1])
    row_bytes = P * (B if outer_first else B2) * Q * mid_dtype.itemsize
    rows = max(8 * _threads(alone) // P + 1, BAND_BYTES // row_bytes)
    scratch = functools.partial(_scratch, lanes, B, mid_dtype if outer_first else src_dtype,
                                out_dtype if outer_first else mid_dtype, alone=alone)
    chunks = 2 * _threads(alone)  # (as ``_scratch``)
    launch = _launcher(alone)
    periodic = lanes[2].shape[0] > 0
    ring = not outer_first and (periodic or _pixel_lanes(Q))
    if ring:
        starts, stops, ring = _reach(index)
    if pixels_after:
        return _single(lambda: np.empty((chunks, 4, B * Q), mid_dtype), _pair_pixels_outer,
                       lambda mid: ((index, weight, fin1, lanes), (mid, fin2)), flat_src, flat_out, alone, launch)
    if periodic and outer_first:
        # Periodic lanes: one parallel loop, no band of intermediate rows.
        outer_kernel, _ = _pair_periodic(*_common(lanes[2].shape[0], lanes[8], Q))

        # Rows whose lanes are periodic throughout run as one line, up to a block of lanes.
        _, _, _, _, _, _, m0, m1, step, _, _ = lanes
        block = max(1, WIDE_BLOCK // (B * Q)) if m0 == 0 and m1 * step == B else 1
        line_lanes = lanes[:7] + (m1 * block,) + lanes[8:]

        def make():
            return (np.empty((chunks, block, B * Q), mid_dtype),
                    _scratch(line_lanes, B * block, mid_dtype, out_dtype, alone)[:3])

        return _single(make, outer_kernel, lambda work: ((index, weight, fin1, lanes), (*work, fin2)), flat_src,
                       flat_out, alone, launch)
    if ring:
        # Inner first, one parallel loop: each chunk keeps the input rows its output rows read.
        depth = int((stops - starts).max()) + (0 if periodic else 3)
        ring_index = _frozen(index % depth)
        _, inner_kernel = _pair_periodic(*_common(lanes[2].shape[0], lanes[8], Q))

        def parts(work):
            kept_rows, narrow = work
            return (lanes, fin1, starts, stops, ring_index, weight), (kept_rows, *((narrow,) if periodic else ()), fin2)

        return _single(lambda: (np.empty((chunks, depth, B2 * Q), mid_dtype), scratch()[:3] if periodic else None),
                       inner_kernel if periodic else _pair_pixels_inner, parts, flat_src, flat_out, alone, launch)
    if outer_first:
        bands = [(j0, min(A2, j0 + rows)) for j0 in range(0, A2, rows)]

        def make():
            return scratch(), np.empty(P * min(rows, A2) * B * Q, mid_dtype)

        def use(work, src, out):
            (narrow, buf), src, out = work, src.reshape(flat_src), out.reshape(flat_out)
            for j0, j1 in bands:
                mid = buf[: P * (j1 - j0) * B * Q].reshape(P, j1 - j0, B * Q)
                _wide_pass(src, index[j0:j1], weight[j0:j1], mid, 0, fin1, alone, launch)
                _narrow_pass(mid, 0, j1 - j0, lanes, out, j0, narrow, fin2, alone, launch)

    else:
        # Inner first: each band of output rows needs a range of input rows, resampled along B.
        band = max(1, rows * A2 // max(A, 1))
        spans = []
        for j0 in range(0, A2, band):
            j1 = min(A2, j0 + band)
            used = index[j0:j1][weight[j0:j1] != 0]
            lo, hi = (int(used.min()), int(used.max()) + 1) if used.size else (0, 1)
            spans.append((j0, j1, lo, hi, _frozen(np.clip(index[j0:j1] - lo, 0, hi - lo - 1))))
        most = max(hi - lo for _, _, lo, hi, _ in spans)

        def make():
            return scratch(), np.empty(P * most * B2 * Q, mid_dtype)

        def use(work, src, out):
            (narrow, buf), src, out = work, src.reshape(flat_src), out.reshape(flat_out)
            for j0, j1, lo, hi, rebased in spans:
                mid = buf[: P * (hi - lo) * B2 * Q].reshape(P, hi - lo, B2 * Q)
                _narrow_pass(src, lo, hi - lo, lanes, mid, 0, narrow, fin1, alone, launch)
                _wide_pass(mid, rebased, weight[j0:j1], out, j0, fin2, alone, launch)

    return _reusing(make, use)


@njit(inline="always")
def _pick(dst, line, index, start, stop, q):
    """Group ``j`` of ``q`` lanes of ``dst`` = group ``index[j]`` of ``line``, for ``start <= j < stop``."""
    for j in range(start, stop):
        at = index[j] * q
        _move_group(dst, j * q, line, at, q, j < stop - 1 and at + q < line.shape[0])


@njit(inline="always")
def _copy_row(dst, src):
    """``dst[:] = src`` as a plain loop, which the compiler makes a vector copy (a plain function
    compiles the slice assignment as a loop over single samples; a parallel one as this loop)."""
    for i in range(dst.shape[0]):
        dst[i] = src[i]


@functools.cache
def _select(f, q):
    """The nearest pass, compiled for ``f`` phases and ``q`` lanes per group where these are
    common (0: read from the lanes at run time)."""

    @njit(parallel=True, cache=True, nogil=True)
    def kernel(src, rows, lanes, out, chunks):
        # out[r] = src[rows[r]] gathered by groups of lanes; a row equal to the one before is copied.
        src, rows, lanes, out = _unowned((src, rows, lanes, out))
        index, offset, m0, m1, n_q = lanes
        n_rows = out.shape[0]
        for c in prange(chunks):
            ff, qq = f if f else offset.shape[0], q if q else n_q
            first = c * n_rows // chunks
            for r in range(first, (c + 1) * n_rows // chunks):
                dst = out[r]
                if r > first and rows[r] == rows[r - 1]:
                    _copy_row(dst, out[r - 1])
                    continue
                line = src[rows[r]]
                if index.shape[0] == 0:
                    _copy_row(dst, line)
                    continue
                if ff > 0:  # every phase reads the same input run: interleave copies of it
                    _interleave(dst[m0 * ff * qq :], line[(m0 + offset[0]) * qq :], 0, m1 - m0, ff, qq)
                _pick(dst, line, index, 0, m0 * ff, qq)
                _pick(dst, line, index, m1 * ff, index.shape[0], qq)

    return kernel


def select_axes(src, indexes, out):
    """Nearest resize of several axes at once: ``src`` C-contiguous, ``indexes[a]`` the source
    index of each output position along axis ``a`` (``None``: axis kept), ``out`` C-contiguous.

    Output rows (all axes before the innermost resized one) are mapped to source rows; each is
    gathered along the innermost resized axis once and copied where the next row repeats it.
    The plan is kept for the last few shapes and tables, as ``resample_pair``'s.
    """
    _selection_plan(src.shape, src.dtype, tuple(indexes), out.shape, out.dtype)(src, out)


def _selection_plan(src_shape, src_dtype, indexes, out_shape, out_dtype, alone=False):
    key = (src_shape, src_dtype.itemsize, alone, _threads(alone))
    return kept(_kept_plans, (indexes,), key, lambda: _selection(indexes, *key[:3]))


def _selection(indexes, shape, itemsize, alone):
    """``run(src, out)``, the nearest resize of ``select_axes`` for this shape and these tables."""
    b = max(a for a, index in enumerate(indexes) if index is not None)
    q = math.prod(shape[b + 1 :])
    gather = q < WIDE  # else axis b is mapped with the rows, and rows are copied whole
    rows = np.zeros((), np.intp)
    for a in range(b if gather else b + 1):
        index = np.arange(shape[a]) if indexes[a] is None else indexes[a]
        rows = (rows[..., None] * shape[a] + index).astype(np.intp)
    if gather:
        index = indexes[b].astype(np.intp)
        offset, _, m0, m1, step = _periodic(index[:, None], np.ones((index.size, 1), np.int32), shape[b])
        offset = offset[:, 0] if step == 1 and offset.size and (offset == offset[0]).all() else offset[:0, 0]
    else:
        index, offset, m0, m1 = np.zeros(0, np.intp), np.zeros(0, np.intp), 0, 0
    lanes = (_frozen(index), _frozen(offset), m0, m1, q)
    rows, n_rows = _frozen(rows.ravel()), rows.size
    # Common channel counts are constants even where the phases are not (3x faster for RGB).
    kernel = _select(_common(offset.shape[0], 1, q)[0], q if q in (1, 3, 4) else 0)
    chunks, row = _chunks(n_rows, alone), shape[b] * q if gather else q
    bits = np.dtype(f"u{itemsize}")  # a copy needs only the bits: one kernel per item size
    out_row = (indexes[b].size if gather else 1) * q
    return _single(tuple, kernel, lambda _: ((rows, lanes), (chunks,)), (math.prod(shape) // row, row),
                   (n_rows, out_row), alone, _launcher(alone), bits)


def select_axis(src, index, out):
    select_axes(src, [None, index, None], out)
