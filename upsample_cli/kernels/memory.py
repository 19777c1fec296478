"""Memory of large result arrays, reused.

Fresh memory from the system costs a page fault per page on its first write, while the system
zeroes it: for the 36 MB result of an 8-bit bicubic resize of a 2048^2 RGB image by 1.7 that is
about as long as the resize itself. So the last few large blocks handed out stay here, and once
an array and every view of it are gone (nothing but this module refers to its block), the next
array of the same size takes the block, its pages already mapped. A loop over inputs of one size
(``upsample batch``, a data loader) thus writes each result into the pages the one before left,
unless it keeps them all. At most ``KEPT`` blocks of ``KEPT_BYTES`` in all are held so (the
oldest go first); smaller arrays are left to ``malloc``, which reuses its own.

A block is found free by its reference count, not by a hook on each array: the check costs a
few instructions, where an object made per array and its finaliser cost tens of microseconds
when a call comes after an idle spell, its code out of the caches.
"""

import math
import numbers
import sys
import threading

import numpy as np

# Blocks under this many bytes are not kept.
SMALLEST = 1 << 20
# Blocks held for reuse, and their bytes in all: a call makes up to three arrays (passes, their
# result).
KEPT = 4
KEPT_BYTES = 1 << 28

_blocks: list = []  # oldest first
_lock = threading.Lock()
# References to a block that no array holds: the list's, and ``getrefcount``'s argument.
_UNUSED = 2


def empty(shape, dtype):
    """``np.empty(shape, dtype)``, C-contiguous, on a kept block of its size that no array uses."""
    if type(shape) is not tuple:
        shape = (int(shape),) if isinstance(shape, numbers.Integral) else tuple(map(int, shape))
    dtype = np.dtype(dtype)
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes < SMALLEST:
        return np.empty(shape, dtype)
    with _lock:
        for block in reversed(_blocks):  # the newest first: the likeliest to be in cache
            if block.nbytes == nbytes and sys.getrefcount(block) == _UNUSED + 1:  # (+1: ``block``)
                # A loop asks for one shape: the block itself, else a view of it as asked.
                same = block.shape == shape and block.dtype == dtype
                return block if same else np.ndarray(shape, dtype, buffer=block)
        block = np.empty(shape, dtype)
        if nbytes <= KEPT_BYTES:
            _blocks.append(block)
            while len(_blocks) > KEPT or sum(b.nbytes for b in _blocks) > KEPT_BYTES:
                del _blocks[0]
        return block


def release():
    """Drop every kept block (the memory of those no array uses returns to the system)."""
    with _lock:
        _blocks.clear()
