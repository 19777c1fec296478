"""Compiled loops of learned upsampling: transposed convolution and pixel shuffle.

Compiled per dtype only (float32 and float64 sums for the convolution; the shuffle copies
samples as unsigned integers of their size): stride, padding, dilation, kernel size, groups and
block size are values read at run time. Like ``loops.py`` they release the GIL and run the work
units ``[first, stop)``, so that ``cpu.share`` can spread them over threads.

Transposed convolution without a scatter: each output row gathers the inputs that reach it, so
threads writing different rows never collide. Along an axis of stride ``s``, output ``o`` reads
input ``i`` through kernel tap ``k`` when ``o + pad = i * s + k * dilation``. The outputs of one
phase ``o = ph + s * m`` all read through the same taps, from inputs ``i = c + m`` with
``c = (ph + pad - k * dilation) / s``: a contiguous multiply-add over the input row for each
phase of the row and each tap.
"""

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def _tap_row(o, pad, k, dilation, stride, n_in):
    """The input index that output ``o`` reads through tap ``k``, or -1 when none."""
    t = o + pad - k * dilation
    if t < 0 or t % stride != 0:
        return -1
    i = t // stride
    return i if i < n_in else -1


@njit(cache=True, nogil=True)
def _interleave(acc, dst, s, m_len):
    """``dst[ph + s * m] = acc[ph * m_len + m]``: a row's phases, ``m_len`` apart in ``acc``,
    interleaved. Stride 2, the usual upsampling, as pairs of stores that LLVM vectorises (a stride
    known only at run time leaves single stores)."""
    n = dst.size
    if s == 2 and n == 2 * m_len:
        even, odd = acc[:m_len], acc[m_len: 2 * m_len]
        for m in range(m_len):
            dst[2 * m] = even[m]
            dst[2 * m + 1] = odd[m]
        return
    for ph in range(s):
        src = acc[ph * m_len: ph * m_len + (n - ph + s - 1) // s]
        for m in range(src.size):
            dst[ph + s * m] = src[m]


@njit(cache=True, nogil=True)
def conv_transpose_rows(x, w, bias, out, stride, pad, dilation, groups, first, stop):
    """Output rows ``first..stop`` of ``out`` ``(N, C_out, D, H, W)`` (a row: one ``(n, c, d, h)``):

        out[n, c, d, h, w] = bias[c] + sum x[n, ci, id, ih, iw] * w[ci, c % C_g, kd, kh, kw]

    over the input channels ``ci`` of ``c``'s group and the taps with ``(d, h, w) + pad =
    (id, ih, iw) * stride + (kd, kh, kw) * dilation``. ``x`` is ``(N, C_in, D_in, H_in, W_in)``,
    ``w`` ``(C_in, C_g, KD, KH, KW)``; ``stride``, ``pad`` (the left crop, negative for zeros added
    on the left) and ``dilation`` are three numbers each; sums in ``out``'s dtype."""
    n_in_c, d_in, h_in, w_in = x.shape[1], x.shape[2], x.shape[3], x.shape[4]
    c_g, kd, kh, kw = w.shape[1], w.shape[2], w.shape[3], w.shape[4]
    c_out, d_out, h_out, w_out = out.shape[1], out.shape[2], out.shape[3], out.shape[4]
    c_in_g = n_in_c // groups
    sw, pw, dw = stride[2], pad[2], dilation[2]
    m_len = (w_out + sw - 1) // sw
    acc = np.empty(sw * m_len, out.dtype)
    # Per phase of the row, its taps: their kernel index and where their input run starts.
    taps = np.empty((sw, kw), np.int64)
    starts = np.empty((sw, kw), np.int64)
    counts = np.zeros(sw, np.int64)
    spans = np.zeros((sw, kw, 2), np.int64)  # (the outputs m0..m1 of each that have an input)
    for ph in range(sw):
        for k in range(kw):
            t = ph + pw - k * dw
            if t % sw == 0:
                s0 = t // sw
                taps[ph, counts[ph]] = k
                starts[ph, counts[ph]] = s0
                spans[ph, counts[ph], 0] = max(0, -s0)
                spans[ph, counts[ph], 1] = min((w_out - ph + sw - 1) // sw, w_in - s0)
                counts[ph] += 1
    # The input depth and row each output depth and row reads through each tap, or -1: looked up,
    # not divided, per row.
    rows_d = np.empty((d_out, kd), np.int64)
    rows_h = np.empty((h_out, kh), np.int64)
    for o in range(d_out):
        for a in range(kd):
            rows_d[o, a] = _tap_row(o, pad[0], a, dilation[0], stride[0], d_in)
    for o in range(h_out):
        for r in range(kh):
            rows_h[o, r] = _tap_row(o, pad[1], r, dilation[1], stride[1], h_in)
    if stop <= first:
        return
    h = first % h_out
    rest = first // h_out
    d = rest % d_out
    rest //= d_out
    c = rest % c_out
    n = rest // c_out
    for _ in range(first, stop):
        g = c // c_g
        cl = c - g * c_g
        b = bias[c]
        for e in range(acc.size):
            acc[e] = b
        for a in range(kd):
            i_d = rows_d[d, a]
            if i_d < 0:
                continue
            for r in range(kh):
                i_h = rows_h[h, r]
                if i_h < 0:
                    continue
                for ci in range(g * c_in_g, (g + 1) * c_in_g):
                    row = x[n, ci, i_d, i_h]
                    wk = w[ci, cl, a, r]
                    for ph in range(sw):
                        base = ph * m_len
                        for t in range(counts[ph]):
                            s0 = starts[ph, t]
                            weight = wk[taps[ph, t]]
                            m0, m1 = spans[ph, t, 0], spans[ph, t, 1]
                            if m1 <= m0:
                                continue
                            # (slices, so that the loop's indices are known not to be negative:
                            # no wraparound, and LLVM vectorises it)
                            src = row[s0 + m0: s0 + m1]
                            sums = acc[base + m0: base + m1]
                            for m in range(m1 - m0):
                                sums[m] += weight * src[m]
        _interleave(acc, out[n, c, d, h], sw, m_len)
        # The next row: (n, c, d, h) counted on, without dividing.
        h += 1
        if h == h_out:
            h = 0
            d += 1
            if d == d_out:
                d = 0
                c += 1
                if c == c_out:
                    c = 0
                    n += 1


@njit(cache=True, nogil=True)
def shuffle_rows(x, out, r_h, r_w, first, stop):
    """Output rows ``first..stop`` of ``out`` ``(N * C, H * r_h, W * r_w)`` (pixel shuffle):
    ``out[p, h * r_h + i, w * r_w + j] = x[p * r_h * r_w + i * r_w + j, h, w]``, ``x`` being
    ``(N * C * r_h * r_w, H, W)``."""
    h_out = out.shape[1]
    w_in = x.shape[2]
    for unit in range(first, stop):
        p = unit // h_out
        y = unit - p * h_out
        h = y // r_h
        i = y - h * r_h
        dst = out[p, y]
        for j in range(r_w):
            src = x[(p * r_h + i) * r_w + j, h]
            for w in range(w_in):
                dst[w * r_w + j] = src[w]


@njit(cache=True, nogil=True)
def gather_runs(x, starts, n0, cols, first, stop):
    """Rows ``first..stop`` of ``cols`` ``(U, n)``: ``cols[u, j] = x[starts[u] + n0 + j]``, ``x``
    flat, 0 past its end. Each row is one contiguous run of ``x``: the columns of one input
    channel through one kernel tap (see ``learned._by_phases``)."""
    size = x.size
    n = cols.shape[1]
    for u in range(first, stop):
        s = starts[u] + n0
        dst = cols[u]
        run = max(0, min(n, size - s))
        src = x[s: s + run]  # (a slice: indices known not to be negative, a vectorised copy)
        for j in range(run):
            dst[j] = src[j]
        for j in range(run, n):
            dst[j] = 0


@njit(cache=True, nogil=True)
def place_phases(sums, bias, out, phases, counts, stride, row0, l_h, l_w, first, stop):
    """Units ``first..stop`` (an output channel ``c`` and a row ``r`` of the chunk) of the phases'
    sums ``(S, C, R * l_w)``, plus ``bias``, written to ``out`` ``(C, D, H, W)``. Sum ``j`` of a
    row is the phase grid's ``(m_d, m_h, m_w)`` with ``(m_d, m_h) = divmod(row0 + r, l_h)`` and
    ``m_w = j``; phase ``p`` (``phases[p]`` its offset, ``counts[p]`` its outputs per axis) writes
    it to ``out[c, phases[p] + stride * (m_d, m_h, m_w)]`` where ``m < counts[p]``; the rest of
    the grid is padding. The phases of one output row follow one another (the width's phases
    last), so its lines stay in cache while they interleave; two phases of stride 2 that fill a
    row are written together, as pairs of stores that LLVM vectorises."""
    n_r = sums.shape[2] // l_w
    s_d, s_h, s_w = stride[0], stride[1], stride[2]
    n_p = phases.shape[0]
    for unit in range(first, stop):
        c = unit // n_r
        r = unit - c * n_r
        m_d = (row0 + r) // l_h
        m_h = (row0 + r) - m_d * l_h
        b = bias[c]
        base = r * l_w
        p = 0
        while p < n_p:
            if m_d >= counts[p, 0] or m_h >= counts[p, 1]:
                p += 1
                continue
            row = out[c, phases[p, 0] + s_d * m_d, phases[p, 1] + s_h * m_h]
            src = sums[p, c, base: base + counts[p, 2]]
            if (s_w == 2 and p + 1 < n_p and phases[p, 2] == 0 and phases[p + 1, 2] == 1
                    and counts[p, 2] * 2 == row.size and counts[p + 1, 2] == counts[p, 2]
                    and phases[p + 1, 0] == phases[p, 0] and phases[p + 1, 1] == phases[p, 1]):
                odd = sums[p + 1, c, base: base + src.size]
                for m in range(src.size):
                    row[2 * m] = src[m] + b
                    row[2 * m + 1] = odd[m] + b
                p += 2
                continue
            dst = row[phases[p, 2]:]
            for m in range(src.size):
                dst[s_w * m] = src[m] + b
            p += 1


def example(loop, dtype):
    """Small arguments of ``loop`` (a name above) with the types the learned-upsampling functions
    pass it (dtype, rank, layout), ``dtype`` its samples: ``upsample warmup`` compiles each loop on
    them, the code those calls then load."""
    a = lambda *shape: np.zeros(shape, dtype)  # noqa: E731
    ints = lambda *shape: np.ones(shape, np.int64)  # noqa: E731
    if loop == "conv_transpose_rows":
        return a(1, 1, 1, 1, 1), a(1, 1, 1, 1, 1), a(1), a(1, 1, 1, 1, 1), ints(3), ints(3), ints(3), 1, 0, 1
    if loop == "gather_runs":
        return a(1), ints(1), 0, a(1, 1), 0, 1
    if loop == "place_phases":
        return a(1, 1, 1), a(1), a(1, 1, 1, 1), ints(1, 3) - 1, ints(1, 3), ints(3), 0, 1, 1, 0, 1
    if loop == "shuffle_rows":
        return a(1, 1, 1), a(1, 1, 1), 1, 1, 0, 1
    raise ValueError(f"no loop {loop!r}")
