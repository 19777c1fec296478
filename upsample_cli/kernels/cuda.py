"""Numba CUDA backend: the same taps tables as the CPU, one thread per output sample.

Arrays live on the GPU as Numba device arrays; a NumPy input is copied there once and the
result copied back, an input already on the GPU (anything with ``__cuda_array_interface__``)
is used in place and the result stays there. Samples are converted to the sum type (float32,
float64, or int32 for fixed-point taps) before a pass, so the kernels see one type each.
Runs under Numba's simulator when ``NUMBA_ENABLE_CUDASIM=1``.
"""

import math

import numpy as np
from numba import config, cuda

THREADS = 256


def available() -> bool:
    try:
        return cuda.is_available()
    except Exception:  # a driver that fails to load counts as no GPU
        return False


def _launch(kernel, n, *args):
    if n:
        kernel[math.ceil(n / THREADS), THREADS](*args)


@cuda.jit
def _resample(src, index, weight, out, fused, rounding, half, divisor, lo, hi):
    n_outer, n_out, n_inner = out.shape
    i = cuda.grid(1)
    if i >= n_outer * n_out * n_inner:
        return
    q = i % n_inner
    j = (i // n_inner) % n_out
    p = i // (n_inner * n_out)
    acc = weight[j, 0] * src[p, index[j, 0], q]
    for k in range(1, index.shape[1]):
        if fused:
            acc = cuda.fma(weight[j, k], src[p, index[j, k], q], acc)
        else:
            acc += weight[j, k] * src[p, index[j, k], q]
    if rounding:
        # (sum + half) // divisor: floor(x + 0.5) for float sums, the fixed-point shift for int32
        out[p, j, q] = min(max((acc + half) // divisor, lo), hi)
    else:
        out[p, j, q] = acc


@cuda.jit
def _select(src, index, out):
    n_outer, n_out, n_inner = out.shape
    i = cuda.grid(1)
    if i < n_outer * n_out * n_inner:
        q = i % n_inner
        j = (i // n_inner) % n_out
        out[i // (n_inner * n_out), j, q] = src[i // (n_inner * n_out), index[j], q]


@cuda.jit
def _convert(src, out):
    i = cuda.grid(1)
    if i < out.size:
        out[i] = src[i]


def resample_axis(src, index, weight, out, shift=0, fused=False):
    sum_type = weight.dtype
    if src.dtype != sum_type:
        src = astype(src, sum_type)
    rounding = out.dtype.kind in "iu"
    cast = sum_type.type
    if rounding:
        info = np.iinfo(out.dtype)
        half, lo, hi = cast((1 << (shift - 1)) if shift else 0.5), cast(info.min), cast(info.max)
    else:
        half = lo = hi = cast(0)
    divisor = cast(1 << shift) if shift else cast(1)
    _launch(_resample, out.size, src, cuda.to_device(index), cuda.to_device(weight), out, bool(fused),
            rounding, half, divisor, lo, hi)


def select_axis(src, index, out):
    bits = np.dtype(f"u{src.dtype.itemsize}")  # a copy needs only the bits (float16 too)
    _launch(_select, out.size, src.view(bits), cuda.to_device(index), out.view(bits))


def empty(shape, dtype):
    return cuda.device_array(tuple(shape), dtype)


def astype(a, dtype):
    dtype = np.dtype(dtype)
    if a.dtype == dtype:
        return a
    out = empty(a.shape, dtype)
    _launch(_convert, a.size, a.reshape(a.size), out.reshape(a.size))
    return out


def prepare(x, order):
    """``x`` (NumPy or on the GPU) in memory order ``order``, as a contiguous device array."""
    if isinstance(x, np.ndarray):
        return cuda.to_device(np.ascontiguousarray(x.transpose(order)))
    shape = tuple(x.shape[a] for a in order)
    strides = tuple(x.strides[a] for a in order)
    if _dense(shape, strides, x.dtype.itemsize):
        return view(x, shape, strides)
    return cuda.to_device(np.ascontiguousarray(x.copy_to_host().transpose(order)))  # rare: other strides


def result(work, inverse, on_device):
    """The output in the caller's axis order: a device view, or a NumPy array."""
    if not on_device:
        return work.copy_to_host().transpose(inverse)
    return view(work, tuple(work.shape[a] for a in inverse), tuple(work.strides[a] for a in inverse))


def view(a, shape, strides):
    """Device array ``a`` seen with another shape and strides (the same memory, from its start)."""
    if config.ENABLE_CUDASIM:  # the simulator's device arrays wrap NumPy arrays
        from numba.cuda.simulator.cudadrv.devicearray import FakeCUDAArray

        return FakeCUDAArray(np.lib.stride_tricks.as_strided(a._ary, shape, strides))
    return cuda.devicearray.DeviceNDArray(shape, strides, a.dtype, gpu_data=a.gpu_data)


def _dense(shape, strides, itemsize):
    """C-contiguous: each stride is the size of what follows it (size-1 axes aside)."""
    step = itemsize
    for n, stride in zip(reversed(shape), reversed(strides)):
        if n > 1 and stride != step:
            return False
        step *= n
    return True


def as_device_array(obj):
    """A Numba device array for a GPU array (``__cuda_array_interface__``), without a copy."""
    return obj if getattr(obj, "__cuda_ndarray__", False) else cuda.as_cuda_array(obj)


def copy(a):
    out = empty(a.shape, a.dtype)
    out.copy_to_device(a)
    return out
