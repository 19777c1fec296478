"""Memory of large result arrays, reused.

Fresh memory from the system costs a page fault per page on its first write, while the system
zeroes it: for the 36 MB result of an 8-bit bicubic resize of a 2048^2 RGB image by 1.7 that is
about as long as the resize itself. So the last few large blocks handed out stay here, and once
an array and every view of it are gone (nothing but this module refers to its block), the next
array of the same size takes the block, its pages already mapped. A loop over inputs of one size
(``upsample batch``, a data loader) thus writes each result into the pages the one before left,
unless it keeps them all. At most ``KEPT`` blocks of ``KEPT_BYTES`` in all are held so (the
oldest go first); smaller arrays are left to ``malloc``, which reuses its own.

Each array handed out views its block through a ``memoryview`` NumPy makes for it, which every
view of the array keeps alive (their bases end there); a finaliser on that memoryview marks the
block free once nothing refers to it, on any Python, without counting references.
"""

import math
import numbers
import threading
import weakref

import numpy as np

# Blocks under this many bytes are not kept.
SMALLEST = 1 << 20
# Blocks held for reuse, and their bytes in all: a call makes up to three arrays (passes, their
# result).
KEPT = 4
KEPT_BYTES = 1 << 28


class _Block:
    """Memory kept for reuse, and whether an array is using it."""

    __slots__ = ("memory", "free")

    def __init__(self, nbytes: int):
        self.memory = np.empty(nbytes, np.uint8)
        self.free = False

    def lend(self, shape, dtype):
        """An array of ``shape`` and ``dtype`` on this block; the block is free again once that
        array and all its views are gone."""
        self.free = False
        flat = np.frombuffer(memoryview(self.memory), dtype, math.prod(shape))
        weakref.finalize(flat.base, _set_free, self)  # (a memoryview NumPy made for this array)
        return flat.reshape(shape)


def _set_free(block: _Block) -> None:
    block.free = True  # (may run in any thread, even one holding the lock: no lock taken)


_blocks: list = []  # oldest first
_lock = threading.Lock()


def empty(shape, dtype):
    """``np.empty(shape, dtype)``, C-contiguous, on a kept block of its size that no array uses."""
    if type(shape) is not tuple:
        shape = (int(shape),) if isinstance(shape, numbers.Integral) else tuple(map(int, shape))
    dtype = np.dtype(dtype)
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes < SMALLEST or nbytes > KEPT_BYTES:
        return np.empty(shape, dtype)
    with _lock:
        for block in reversed(_blocks):  # the newest first: the likeliest to be in cache
            if block.free and block.memory.nbytes == nbytes:
                return block.lend(shape, dtype)
        block = _Block(nbytes)
        _blocks.append(block)
        while len(_blocks) > KEPT or sum(b.memory.nbytes for b in _blocks) > KEPT_BYTES:
            del _blocks[0]
        return block.lend(shape, dtype)


def release():
    """Drop every kept block (the memory of those no array uses returns to the system)."""
    with _lock:
        _blocks.clear()
