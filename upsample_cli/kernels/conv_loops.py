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
    for ph in range(sw):
        for k in range(kw):
            t = ph + pw - k * dw
            if t % sw == 0:
                taps[ph, counts[ph]] = k
                starts[ph, counts[ph]] = t // sw
                counts[ph] += 1
    for unit in range(first, stop):
        h = unit % h_out
        rest = unit // h_out
        d = rest % d_out
        rest //= d_out
        c = rest % c_out
        n = rest // c_out
        g = c // c_g
        cl = c - g * c_g
        b = bias[c]
        for e in range(acc.size):
            acc[e] = b
        for a in range(kd):
            i_d = _tap_row(d, pad[0], a, dilation[0], stride[0], d_in)
            if i_d < 0:
                continue
            for r in range(kh):
                i_h = _tap_row(h, pad[1], r, dilation[1], stride[1], h_in)
                if i_h < 0:
                    continue
                for ci in range(g * c_in_g, (g + 1) * c_in_g):
                    row = x[n, ci, i_d, i_h]
                    wk = w[ci, cl, a, r]
                    for ph in range(sw):
                        m_ph = (w_out - ph + sw - 1) // sw
                        base = ph * m_len
                        for t in range(counts[ph]):
                            s0 = starts[ph, t]
                            weight = wk[taps[ph, t]]
                            m0 = max(0, -s0)
                            m1 = min(m_ph, w_in - s0)
                            for m in range(m0, m1):
                                acc[base + m] += weight * row[s0 + m]
        dst = out[n, c, d, h]
        for ph in range(sw):
            base = ph * m_len
            for m in range((w_out - ph + sw - 1) // sw):
                dst[ph + sw * m] = acc[base + m]


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
def gather_columns(x, a, starts_d, starts_h, starts_w, row0, m_h, first, stop):
    """Rows ``first..stop`` of the columns ``a`` ``(C, T, R, M_w)`` of one output phase, whose
    product with the phase's weights gives its outputs: ``a[c, t, r, m] = x[c, i_d, i_h, m +
    starts_w[tw]]`` (0 outside ``x`` ``(C, D, H, W)``) with ``i_d = md + starts_d[td]``, ``i_h =
    mh + starts_h[th]``; ``t`` runs over the taps ``(td, th, tw)`` of the phase, ``r`` over its
    output rows ``(md, mh)`` flattened, from ``row0`` on, ``m_h`` rows to a plane."""
    n_t, n_r, m_w = a.shape[1], a.shape[2], a.shape[3]
    t_h, t_w = starts_h.size, starts_w.size
    d_in, h_in, w_in = x.shape[1], x.shape[2], x.shape[3]
    for unit in range(first, stop):
        r = unit % n_r
        rest = unit // n_r
        t = rest % n_t
        c = rest // n_t
        tw = t % t_w
        th = (t // t_w) % t_h
        td = t // (t_w * t_h)
        row = row0 + r
        i_d = row // m_h + starts_d[td]
        i_h = row % m_h + starts_h[th]
        dst = a[c, t, r]
        if i_d < 0 or i_d >= d_in or i_h < 0 or i_h >= h_in:
            for m in range(m_w):
                dst[m] = 0
            continue
        src = x[c, i_d, i_h]
        s0 = starts_w[tw]
        for m in range(m_w):
            i = m + s0
            dst[m] = src[i] if 0 <= i < w_in else 0


@njit(cache=True, nogil=True)
def place_phase(sums, bias, out, phase, stride, row0, m_h, first, stop):
    """Rows ``first..stop`` of one phase's sums ``(C, R, M_w)`` (rows ``(md, mh)`` flattened from
    ``row0``, ``m_h`` to a plane), plus ``bias``, written to their outputs of ``out`` ``(C, D, H,
    W)``: ``out[c, phase + stride * (md, mh, m)]``."""
    n_r, m_w = sums.shape[1], sums.shape[2]
    for unit in range(first, stop):
        r = unit % n_r
        c = unit // n_r
        row = row0 + r
        d = phase[0] + stride[0] * (row // m_h)
        h = phase[1] + stride[1] * (row % m_h)
        src, dst, b = sums[c, r], out[c, d, h], bias[c]
        for m in range(m_w):
            dst[phase[2] + stride[2] * m] = src[m] + b
