"""Numba CUDA transposed convolution: the formulation of ``conv_loops.conv_transpose_rows``, one
thread per output sample, each gathering the inputs that reach it (no scatter, no atomics).

Arrays come as 5-D NumPy arrays in the sum type (``learned.transposed_convolution`` prepares
them); the result is copied back. Runs under Numba's simulator when ``NUMBA_ENABLE_CUDASIM=1``.
"""

import numpy as np
from numba import cuda

from .conv_loops import _tap_row as _source  # (a Numba function: compiled for the device too)
from .cuda import _launch


@cuda.jit
def _conv_transpose(x, w, bias, out, stride, pad, dilation, groups):
    c_out, d_out, h_out, w_out = out.shape[1], out.shape[2], out.shape[3], out.shape[4]
    i = cuda.grid(1)
    if i >= out.shape[0] * c_out * d_out * h_out * w_out:
        return
    q = i % w_out
    rest = i // w_out
    h = rest % h_out
    rest //= h_out
    d = rest % d_out
    rest //= d_out
    c = rest % c_out
    n = rest // c_out
    c_g = w.shape[1]
    c_in_g = x.shape[1] // groups
    g = c // c_g
    cl = c - g * c_g
    acc = bias[c]
    for a in range(w.shape[2]):
        i_d = _source(d, pad[0], a, dilation[0], stride[0], x.shape[2])
        if i_d < 0:
            continue
        for r in range(w.shape[3]):
            i_h = _source(h, pad[1], r, dilation[1], stride[1], x.shape[3])
            if i_h < 0:
                continue
            for k in range(w.shape[4]):
                i_w = _source(q, pad[2], k, dilation[2], stride[2], x.shape[4])
                if i_w < 0:
                    continue
                for ci in range(g * c_in_g, (g + 1) * c_in_g):
                    acc += x[n, ci, i_d, i_h, i_w] * w[ci, cl, a, r, k]
    out[n, c, d, h, q] = acc


def conv_transpose(x, w, bias, shape, stride, pad, dilation, groups):
    """``conv_loops.conv_transpose_rows`` over the whole output ``shape``, on the GPU; a NumPy result."""
    out = cuda.device_array(shape, x.dtype)
    _launch(_conv_transpose, int(np.prod(shape)), cuda.to_device(x), cuda.to_device(w), cuda.to_device(bias), out,
            cuda.to_device(stride), cuda.to_device(pad), cuda.to_device(dilation), groups)
    return out.copy_to_host()
