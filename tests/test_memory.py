"""Large results on reused memory (``kernels.memory``)."""

import threading

import numpy as np
import pytest

from upsample_cli import interpolate
from upsample_cli.kernels import memory


def address(a):
    return a.__array_interface__["data"][0]


@pytest.fixture(autouse=True)
def nothing_kept():
    memory.release()
    yield
    memory.release()


def test_memory_reused_only_once_the_result_is_gone():
    rng = np.random.default_rng(0)
    x, y = (rng.random((1, 3, 300, 400)).astype(np.float32) for _ in range(2))
    first = interpolate(x, scale_factor=2, mode="bicubic")
    second = interpolate(y, scale_factor=2, mode="bicubic")
    assert address(first) != address(second)
    view, where = first[:, 1:], address(first)
    del first
    meanwhile = interpolate(y, scale_factor=2, mode="bicubic")
    assert address(meanwhile) != where  # a view still holds it
    del view
    third = interpolate(y, scale_factor=2, mode="bicubic")  # the block of x's result, overwritten
    assert address(third) == where
    np.testing.assert_array_equal(third, second)
    np.testing.assert_array_equal(third, interpolate(y, scale_factor=2, mode="bicubic", backend="reference"))


def test_small_arrays_and_other_sizes_take_fresh_memory():
    small = memory.empty((16, 16), np.float32)
    assert small.base is None and small.shape == (16, 16)
    a = memory.empty((1024, 1024), np.float32)
    where = address(a)
    del a
    b = memory.empty((1024, 1025), np.float32)
    assert address(b) != where and b.shape == (1024, 1025) and b.dtype == np.float32 and b.flags.c_contiguous
    c = memory.empty((2048, 512), np.int32)  # the same bytes, another shape and dtype
    assert address(c) == where and c.shape == (2048, 512) and c.dtype == np.int32 and c.flags.writeable


def test_at_most_kept_blocks_and_bytes_wait():
    arrays = [memory.empty((1 << 20) + i, np.uint8) for i in range(memory.KEPT + 2)]
    del arrays
    assert len(memory._blocks) == memory.KEPT
    big = memory.empty(memory.KEPT_BYTES // 2 + 1, np.uint8)
    del big
    assert sum(b.memory.nbytes for b in memory._blocks) <= memory.KEPT_BYTES


def test_threads_never_share_a_block():
    blocks, failures = [], []

    def work():
        for _ in range(50):
            a = memory.empty((1 << 18,), np.float32)
            a[:] = threading.get_ident()
            if not (a == threading.get_ident()).all():
                failures.append(1)
            blocks.append(address(a))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures and len(blocks) == 200
