"""Memory of large result arrays, reused.

Fresh memory from the system costs a page fault per page on its first write, while the system
zeroes it: for the 36 MB result of an 8-bit bicubic resize of a 2048^2 RGB image by 1.7 that is
about as long as the resize itself. So the memory of a large array comes back here when the
array and every view of it are gone, and the next array of the same size takes it, its pages
already mapped. A loop over inputs of one size (``upsample batch``, a data loader) thus writes
each result into the pages the one before left, unless it keeps them all. At most ``KEPT``
blocks of ``KEPT_BYTES`` in all wait so (the oldest go first); smaller arrays are left to
``malloc``, which reuses its own.
"""

import math
import numbers
import threading

import numpy as np

# Blocks under this many bytes are not kept.
SMALLEST = 1 << 20
# Blocks kept for reuse once their arrays are gone, and their bytes in all: a call makes up to
# three arrays (passes, their result).
KEPT = 4
KEPT_BYTES = 1 << 28

_free: list = []
_lock = threading.RLock()  # (reentrant: a block may come back while the list is searched)


class _Lease:
    """The ``base`` of an array on a block: returns the block when the last view goes."""

    def __init__(self, block, shape, dtype):
        self.block = block
        self.__array_interface__ = {"shape": shape, "typestr": dtype.str, "data": (block.ctypes.data, False),
                                    "version": 3}

    def __del__(self):
        try:
            with _lock:
                _free.append(self.block)
                while len(_free) > KEPT or sum(b.nbytes for b in _free) > KEPT_BYTES:
                    del _free[0]
        except TypeError:  # freed while the interpreter shuts down, this module's names gone
            pass


def _take(nbytes):
    """The newest kept block of ``nbytes`` (the likeliest to be in cache), or None."""
    with _lock:
        for i in reversed(range(len(_free))):
            if _free[i].nbytes == nbytes:
                return _free.pop(i)
    return None


def empty(shape, dtype):
    """``np.empty(shape, dtype)``, C-contiguous, on a reused block where one of its size is kept."""
    dtype = np.dtype(dtype)
    shape = (int(shape),) if isinstance(shape, numbers.Integral) else tuple(map(int, shape))
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes < SMALLEST:
        return np.empty(shape, dtype)
    block = _take(nbytes)
    if block is None:
        block = np.empty(nbytes, np.uint8)
    return np.asarray(_Lease(block, shape, dtype))


def release():
    """Drop every kept block (their memory returns to the system)."""
    with _lock:
        _free.clear()
