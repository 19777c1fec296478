"""Learned upsampling: NumPy twins of torch's transposed convolutions and pixel shuffle.

``conv_transpose1d/2d/3d`` are ``torch.nn.functional.conv_transpose*d``: input ``(N, C_in,
*spatial)`` (or unbatched ``(C_in, *spatial)``), weight ``(C_in, C_out / groups, *kernel)``,
output size per axis ``(n - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding
+ 1``, and torch's refusals as ValueError / TypeError.

Dtype policy: float32 and float64 are summed in their own type, float16 in float32 and rounded
once to float16 (as torch's CPU kernels do: equal to rounding). uint8 / uint16 (and other
integer) images, which torch refuses, are summed in float32 and rounded half up and clamped to
their range. A float input needs a weight (and bias) of its own dtype, as in torch; an integer
input takes any float weight.

``pixel_shuffle`` / ``pixel_unshuffle`` are torch's, on any dtype; the output is C-contiguous.
"""

from __future__ import annotations

import contextlib
import functools
import math
import operator
import threading

import numpy as np

from .rounding import round_clamp

__all__ = [
    "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "conv_transpose_output_size",
    "pixel_shuffle", "pixel_unshuffle",
]


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1, *,
                     output_size=None, device="cpu"):
    """``torch.nn.functional.conv_transpose1d``; ``output_size`` as ``ConvTranspose1d.forward`` takes it."""
    return _conv_transpose(1, input, weight, bias, stride, padding, output_padding, groups, dilation, output_size,
                           device)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1, *,
                     output_size=None, device="cpu"):
    """``torch.nn.functional.conv_transpose2d``; ``output_size`` as ``ConvTranspose2d.forward`` takes it."""
    return _conv_transpose(2, input, weight, bias, stride, padding, output_padding, groups, dilation, output_size,
                           device)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1, *,
                     output_size=None, device="cpu"):
    """``torch.nn.functional.conv_transpose3d``; ``output_size`` as ``ConvTranspose3d.forward`` takes it."""
    return _conv_transpose(3, input, weight, bias, stride, padding, output_padding, groups, dilation, output_size,
                           device)


def conv_transpose_output_size(n_in, kernel, stride=1, padding=0, output_padding=0, dilation=1):
    """torch's output length along one axis."""
    return (n_in - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1


def _conv_transpose(dims, x, weight, bias, stride, padding, output_padding, groups, dilation, output_size, device):
    name = f"conv_transpose{dims}d"
    x, weight = _array(x, "input"), _array(weight, "weight")
    if x.ndim not in (dims + 1, dims + 2):
        raise ValueError(f"Expected {dims + 1}D (unbatched) or {dims + 2}D (batched) input to {name}, "
                         f"but got input of size: {list(x.shape)}")
    unbatched = x.ndim == dims + 1
    if unbatched:
        x = x[None]
    if weight.ndim != dims + 2:
        raise ValueError(f"{name} expects a weight of {dims + 2} dimensions (in_channels, out_channels/groups, "
                         f"*kernel), but got weight of size {list(weight.shape)}")
    stride, padding, output_padding, dilation = (
        _ints(v, dims, what) for v, what in
        ((stride, "stride"), (padding, "padding"), (output_padding, "output_padding"), (dilation, "dilation")))
    groups = _int(groups, "groups")
    if groups <= 0:
        raise ValueError("non-positive groups is not supported")
    if min(stride) <= 0:
        raise ValueError("non-positive stride is not supported")
    if min(padding) < 0:
        raise ValueError("negative padding is not supported")
    if min(dilation) <= 0:
        raise ValueError(f"dilation should be greater than zero, but got dilation={list(dilation)}")
    kernel = weight.shape[2:]
    if output_size is not None:
        output_padding = _output_padding_for(x.shape[2:], output_size, kernel, stride, padding, dilation)
    if min(output_padding) < 0:
        raise ValueError("negative output_padding is not supported")
    if any(op >= s and op >= d for op, s, d in zip(output_padding, stride, dilation)):
        raise ValueError(f"output padding must be smaller than either stride or dilation, but got output_padding="
                         f"{list(output_padding)}, stride={list(stride)}, dilation={list(dilation)}")
    c_in = weight.shape[0]
    if c_in % groups:
        raise ValueError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
                         f"but got weight of size {list(weight.shape)} instead")
    if x.shape[1] != c_in:
        raise ValueError(f"Given transposed=1, weight of size {list(weight.shape)}, expected input"
                         f"{list(x.shape)} to have {c_in} channels, but got {x.shape[1]} channels instead")
    c_out = weight.shape[1] * groups
    if bias is not None:
        bias = _array(bias, "bias")
        if bias.shape != (c_out,):
            raise ValueError(f"Given transposed=1, weight of size {list(weight.shape)}, expected bias to be "
                             f"1-dimensional with {c_out} elements, but got bias of size {list(bias.shape)} instead")
    sizes = tuple(conv_transpose_output_size(n, k, s, p, op, d) for n, k, s, p, op, d in
                  zip(x.shape[2:], kernel, stride, padding, output_padding, dilation))
    if min(sizes) < 0:  # (torch allows an empty output)
        raise ValueError(f"Given input size per channel: {tuple(x.shape[2:])}. Calculated output size per "
                         f"channel: {sizes}. Output size is too small")
    sum_type = _sum_type(x, weight, bias)
    out = transposed_convolution(x, weight, bias, stride, padding, sizes, groups, dilation, sum_type, device)
    out = finish(out, x.dtype)
    return out[0] if unbatched else out


def transposed_convolution(x, weight, bias, stride, pad_left, sizes, groups, dilation, sum_type, device="cpu"):
    """The transposed convolution of ``x`` ``(N, C_in, *spatial)`` (1 to 3 axes) in ``sum_type``:
    output sample ``o`` along an axis reads input ``i`` through tap ``k`` where ``o + pad_left =
    i * stride + k * dilation`` (``pad_left`` may be negative: zeros added before), ``sizes`` the
    output's spatial shape. Checked arguments; no dtype policy (see :func:`finish`)."""
    dims = x.ndim - 2
    lead = 3 - dims
    as3 = lambda v, fill: np.array((fill,) * lead + tuple(v), np.int64)  # noqa: E731
    x5 = np.ascontiguousarray(x, sum_type).reshape(x.shape[:2] + (1,) * lead + x.shape[2:])
    w5 = np.ascontiguousarray(weight, sum_type).reshape(weight.shape[:2] + (1,) * lead + weight.shape[2:])
    c_out = weight.shape[1] * groups
    b = np.zeros(c_out, sum_type) if bias is None else np.ascontiguousarray(bias, sum_type)
    shape5 = (x.shape[0], c_out) + (1,) * lead + tuple(sizes)
    args = (as3(stride, 1), as3(pad_left, 0), as3(dilation, 1), int(groups))
    if _backend(device) == "cuda":
        from .kernels import conv_cuda

        out = conv_cuda.conv_transpose(x5, w5, b, shape5, *args)
    else:
        out = np.empty(shape5, sum_type)
        if (x.shape[1] // groups) * weight.shape[1] >= MATRIX_CHANNELS:
            _by_phases(x5, w5, b, out, *args)
        else:
            from .kernels import conv_loops, cpu

            units = math.prod(shape5[:4])
            work = out.size * max(1, x.shape[1] // groups) * math.prod(weight.shape[2:]) // math.prod(args[0])
            cpu.share(conv_loops.conv_transpose_rows, (x5, w5, b, out, *args), units, x5.size + work)
    return out.reshape((x.shape[0], c_out) + tuple(sizes))


# Channels summed per output (input channels of a group x its output channels) from which the
# CPU goes by phases and matrix products rather than by the direct loop; and the most samples of
# the columns (and of the sums) of one chunk of the phases' grid: a few MB, in cache from the
# gather to the matrix products to the placing.
MATRIX_CHANNELS = 4
COLUMN_SAMPLES = 1 << 19


def _by_phases(x, w, bias, out, stride, pad, dilation, groups):
    """The transposed convolution of ``x`` ``(N, C_in, D, H, W)`` into ``out`` ``(N, C_out, D', H',
    W')`` phase by phase: the outputs ``phase + stride * m`` all read through the same taps, input
    ``m + c`` through a tap of start ``c``, so each phase is a matrix product of its taps' weights
    with columns of its inputs, as torch's and oneDNN's kernels do it (no scatter).

    The input is laid out once in a window (``lo..hi`` per axis, zeros outside the image) that holds
    every phase's reads; flat, the columns of a tap are then one contiguous run of it per channel,
    shifted by the tap's offset, over a grid of the window's row lengths (a few columns of each row
    padding). Chunks of whole rows of that grid are gathered (``conv_loops.gather_runs``),
    multiplied on NumPy's BLAS, and placed, interleaved, with the bias (``conv_loops.place_phases``),
    each chunk by one thread from start to end, its products on one BLAS thread (see
    :func:`_one_blas_thread`)."""
    import numba

    from .kernels import conv_loops, cpu

    c_in, c_g = w.shape[:2]
    c_in_g, c_out = c_in // groups, c_g * groups
    # Per axis, its phases that have outputs: (phase, outputs, taps, their starts c).
    axes = []
    for n_out, k_n, s, pd, d in zip(out.shape[2:], w.shape[2:], stride, pad, dilation):
        taps = [(p, (n_out - p + s - 1) // s, [k for k in range(k_n) if (p + pd - k * d) % s == 0])
                for p in range(s)]
        axes.append([(p, m, ks, [(p + pd - k * d) // s for k in ks]) for p, m, ks in taps if m > 0])
    reads = [[(c, c + m - 1) for _, m, _, cs in phases for c in cs] for phases in axes]
    if not all(reads):  # (no tap reaches any output: the bias alone)
        out[...] = bias[:, None, None, None]
        return
    lo = [min(a for a, _ in r) for r in reads]
    # (at least as long as the most outputs of a phase, those of phases without taps too)
    hi = [max(max(b for _, b in r), a + max(m for _, m, _, _ in phases) - 1)
          for r, a, phases in zip(reads, lo, axes)]
    window = _window(x, lo, hi)
    l_d, l_h, l_w = window.shape[2:]
    plane = l_d * l_h * l_w
    phases, counts, starts, weights = [], [], [], []
    for combo in np.ndindex(*(len(phases) for phases in axes)):
        (p_d, m_d, k_d, c_d), (p_h, m_h, k_h, c_h), (p_w, m_w, k_w, c_w) = (
            axes[a][i] for a, i in enumerate(combo))
        phases.append((p_d, p_h, p_w))
        counts.append((m_d, m_h, m_w))
        n_t = len(k_d) * len(k_h) * len(k_w)
        offsets = (np.add.outer(np.subtract(c_d, lo[0]) * (l_h * l_w), np.subtract(c_h, lo[1]) * l_w)[:, :, None]
                   + np.subtract(c_w, lo[2])).reshape(-1)
        starts.append((np.arange(c_in)[:, None] * plane + offsets).reshape(-1).astype(np.int64))
        wp = w[:, :, _steps(k_d), _steps(k_h), _steps(k_w)].reshape(groups, c_in_g, c_g, n_t)
        weights.append(np.ascontiguousarray(wp.transpose(0, 2, 1, 3)).reshape(groups, c_g, c_in_g * n_t))
    phases, counts = np.array(phases, np.int64), np.array(counts, np.int64)
    stride = np.asarray(stride, np.int64)
    bounds = np.cumsum([0] + [s.size for s in starts])
    starts = np.concatenate(starts)
    flat = window.reshape(x.shape[0], -1)
    # Chunks of whole grid rows: at most COLUMN_SAMPLES, a few for each thread, and as many for
    # each thread (equal chunks, so that none waits on another's last one).
    rows = int(counts[:, 0].max()) * l_h
    controller = _blas_controller()
    threads = numba.get_num_threads() if controller is not None else 1
    width = max(starts.size, len(phases) * c_out) * l_w
    chunks = x.shape[0] * -(-rows // max(1, min(rows, COLUMN_SAMPLES // width)))
    chunks = -(-max(chunks, threads * cpu.CHUNKS_PER_THREAD) // threads) * threads
    chunk = -(-rows // -(-chunks // x.shape[0]))
    spans = [(r, min(r + chunk, rows)) for r in range(0, rows, chunk)]

    def run(first, stop):
        columns = np.empty(starts.size * chunk * l_w, x.dtype)
        sums_buffer = np.empty(len(phases) * c_out * chunk * l_w, x.dtype)
        for unit in range(first, stop):
            image, span = divmod(unit, len(spans))
            row0, row1 = spans[span]
            n = (row1 - row0) * l_w
            a = columns[: starts.size * n].reshape(starts.size, n)
            conv_loops.gather_runs(flat[image], starts, row0 * l_w, a, 0, starts.size)
            sums = sums_buffer[: len(phases) * c_out * n].reshape(len(phases), c_out, n)
            for p, wp in enumerate(weights):
                if bounds[p] == bounds[p + 1]:
                    sums[p] = 0
                else:
                    np.matmul(wp, a[bounds[p]:bounds[p + 1]].reshape(groups, -1, n),
                              out=sums[p].reshape(groups, c_g, n))
            conv_loops.place_phases(sums, bias, out[image], phases, counts, stride, row0, l_h, l_w, 0,
                                    c_out * (row1 - row0))

    units = x.shape[0] * len(spans)
    if controller is None:
        run(0, units)  # (each product on as many threads as the matrix library takes)
        return
    with _one_blas_thread(controller):
        cpu.share(run, (), units, x.size + out.size + starts.size * rows * l_w)


def _steps(taps):
    """The kernel taps of a phase, ``k`` where ``(phase + pad - k * dilation) % stride == 0``: an
    arithmetic progression, as a slice (a view, where a list of indices would gather)."""
    step = taps[1] - taps[0] if len(taps) > 1 else 1
    return slice(taps[0], taps[-1] + 1, step) if taps else slice(0, 0)


def _window(x, lo, hi):
    """``x`` ``(N, C, D, H, W)`` over input indices ``lo..hi`` of each spatial axis, zeros outside
    it; C-contiguous."""
    spatial = x.shape[2:]
    if all(a == 0 and b + 1 == n for a, b, n in zip(lo, hi, spatial)):
        return np.ascontiguousarray(x)
    window = np.zeros(x.shape[:2] + tuple(b - a + 1 for a, b in zip(lo, hi)), x.dtype)
    inside = [slice(max(a, 0), min(b + 1, n)) for a, b, n in zip(lo, hi, spatial)]
    if all(s.start < s.stop for s in inside):
        window[(Ellipsis,) + tuple(slice(s.start - a, s.stop - a) for s, a in zip(inside, lo))] = x[
            (Ellipsis,) + tuple(inside)]
    return window


@functools.cache
def _blas_controller():
    """threadpoolctl's handle on the matrix library NumPy calls, or None without threadpoolctl."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return None
    return ThreadpoolController()


_blas_lock = threading.Lock()


@contextlib.contextmanager
def _one_blas_thread(controller):
    """The matrix library on one thread per call while the chunks of a convolution are shared out
    over threads: independent chunks scale with the threads, and none waits on the library's own
    threads, which spin between products and stall whenever the machine is busy. The setting is
    the process's: one convolution at a time holds it."""
    with _blas_lock, controller.limit(limits=1, user_api="blas"):
        yield


def finish(out, dtype):
    """Sums as ``dtype``: floats cast (float16 rounded once), integers rounded half up and clamped."""
    return round_clamp(out, dtype, in_place=True) if np.dtype(dtype) != out.dtype else out


def _sum_type(x, weight, bias):
    """float64 for float64 input, else float32; torch's dtype rules for float inputs."""
    if x.dtype.kind == "f":
        for what, a in (("weight", weight), ("bias", bias)):
            if a is not None and a.dtype != x.dtype:
                raise TypeError(f"Input type ({x.dtype}) and {what} type ({a.dtype}) should be the same")
        return np.float64 if x.dtype == np.float64 else np.float32
    if x.dtype.kind not in "iub":
        raise TypeError(f"input of dtype {x.dtype} is not supported; expected a float or integer array")
    for what, a in (("weight", weight), ("bias", bias)):
        if a is not None and a.dtype.kind != "f":
            raise TypeError(f"{what} must be a float array, not {a.dtype}")
    return np.float32


def _output_padding_for(spatial, output_size, kernel, stride, padding, dilation):
    """``ConvTranspose*d._output_padding``: the output padding giving ``output_size``."""
    output_size = [_int(v, "output_size") for v in output_size]
    dims = len(spatial)
    if len(output_size) == dims + 2:
        output_size = output_size[2:]
    if len(output_size) != dims:
        raise ValueError(f"ConvTranspose{dims}D: for {dims}D input, output_size must have {dims} or {dims + 2} "
                         f"elements (got {len(output_size)})")
    low = [conv_transpose_output_size(n, k, s, p, 0, d) for n, k, s, p, d in
           zip(spatial, kernel, stride, padding, dilation)]
    high = [lo + s - 1 for lo, s in zip(low, stride)]
    if any(not lo <= size <= hi for size, lo, hi in zip(output_size, low, high)):
        raise ValueError(f"requested an output size of {output_size}, but valid sizes range from {low} to "
                         f"{high} (for an input of {list(spatial)})")
    return tuple(size - lo for size, lo in zip(output_size, low))


def _backend(device):
    from .api import choose_backend

    return choose_backend(device, None, 0)


# --- pixel shuffle ---------------------------------------------------------------------


def pixel_shuffle(input, upscale_factor):
    """``torch.nn.functional.pixel_shuffle``: ``(*, C * r * r, H, W)`` -> ``(*, C, H * r, W * r)``,
    ``out[..., c, h * r + i, w * r + j] = input[..., c * r * r + i * r + j, h, w]``."""
    x, r = _shuffle_args(input, upscale_factor, "pixel_shuffle", "upscale_factor")
    *lead, c, h, w = x.shape
    if c % (r * r):
        raise ValueError(f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the square "
                         f"of upscale_factor, but input.size(-3)={c} is not divisible by {r * r}")
    return shuffle(x.reshape(*lead, c // (r * r), r, r, h, w), r, r)


def pixel_unshuffle(input, downscale_factor):
    """``torch.nn.functional.pixel_unshuffle``: ``(*, C, H * r, W * r)`` -> ``(*, C * r * r, H, W)``,
    the inverse of :func:`pixel_shuffle`."""
    x, r = _shuffle_args(input, downscale_factor, "pixel_unshuffle", "downscale_factor")
    *lead, c, h, w = x.shape
    if h % r or w % r:
        raise ValueError(f"pixel_unshuffle expects height ({h}) and width ({w}) to be divisible by "
                         f"downscale_factor ({r})")
    blocks = x.reshape(*lead, c, h // r, r, w // r, r)
    n = len(lead)
    order = list(range(n)) + [n, n + 2, n + 4, n + 1, n + 3]
    return np.ascontiguousarray(blocks.transpose(order)).reshape(*lead, c * r * r, h // r, w // r)


def _shuffle_args(input, factor, name, what):
    x, r = _array(input, "input"), _int(factor, what)
    if x.ndim < 3:
        raise ValueError(f"{name} expects input to have at least 3 dimensions, but got input with {x.ndim} "
                         f"dimension(s)")
    if r <= 0:
        raise ValueError(f"{name} expects a positive {what}, but got {r}")
    return x, r


def shuffle(blocks, r_h, r_w):
    """``blocks`` ``(*, C, r_h, r_w, H, W)`` as ``(*, C, H * r_h, W * r_w)``: ``out[..., c, h * r_h + i,
    w * r_w + j] = blocks[..., c, i, j, h, w]``, C-contiguous (large arrays on the CPU loops)."""
    *lead, c, _, _, h, w = blocks.shape
    shape = (*lead, c, h * r_h, w * r_w)
    itemsize = blocks.dtype.itemsize
    from .kernels import cpu

    if blocks.size < cpu.PARALLEL_SAMPLES or itemsize not in (1, 2, 4, 8):
        n = len(lead)
        order = list(range(n)) + [n, n + 3, n + 1, n + 4, n + 2]
        return np.ascontiguousarray(blocks.transpose(order)).reshape(shape)
    from .kernels import conv_loops

    bits = np.dtype(f"u{itemsize}")
    src = np.ascontiguousarray(blocks).view(bits).reshape(-1, h, w)
    out = np.empty(shape, blocks.dtype)
    rows = out.view(bits).reshape(-1, h * r_h, w * r_w)
    cpu.share(conv_loops.shuffle_rows, (src, rows, r_h, r_w), rows.shape[0] * rows.shape[1], 2 * src.size)
    return out


# --- arguments -------------------------------------------------------------------------


def _array(a, what):
    if hasattr(a, "__array__") or isinstance(a, (list, tuple)):
        return np.asarray(a)
    raise TypeError(f"{what} must be an array, not {type(a).__name__}")


def _int(v, what):
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
        raise TypeError(f"{what} must be an int, not {type(v).__name__}")
    return operator.index(v)


def _ints(v, dims, what):
    """An int or a sequence of 1 or ``dims`` ints, as ``dims`` ints (torch's expansion)."""
    if isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)):
        return (int(v),) * dims
    if not isinstance(v, (tuple, list)):
        raise TypeError(f"{what} must be an int or a tuple of ints, not {type(v).__name__}")
    values = tuple(_int(e, what) for e in v)
    if len(values) == 1:
        return values * dims
    if len(values) != dims:
        raise ValueError(f"expected {what} to be a single integer value or a list of {dims} values to match the "
                         f"convolution dimensions, but got {what}={list(values)}")
    return values
