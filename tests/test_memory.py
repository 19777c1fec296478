"""Large results on reused memory (``kernels.memory``), and the peak memory of ``upsample resize``."""

import json
import subprocess
import sys
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


# The command line's peak resident memory, above a process with Numba loaded that has run the
# same command on a small image, is at most PEAK_MULTIPLE x (input + output bytes) + ALLOWANCE
# (what the interpreter, the codecs and the writers' bands in flight take whatever the image's
# size).
PEAK_MULTIPLE = 1.5
ALLOWANCE = 16 << 20
# libwebp copies the image into its own ARGB picture and keeps its encoder's buffers beside it
# (docs/performance.md): WebP is held to what those leave.
WEBP_MULTIPLE = 4.0
SIDE = 1200

_PEAK = r"""
import json, sys
import upsample_cli.kernels.cpu
from upsample_cli.cli import main

def status(key):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith(key))

def run(src, dst):
    try:
        main(["resize", src, dst, "--scale", sys.argv[5], "--mode", "bilinear", *sys.argv[6:]])
    except SystemExit as e:
        return e.code

small = run(sys.argv[1], sys.argv[2])
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")
before = status("VmRSS:")
code = run(sys.argv[3], sys.argv[4])
print(json.dumps({"codes": [small, code], "peak": status("VmHWM:") - before}))
"""


def _image(side):
    y, x = np.mgrid[0:side, 0:side] / side
    smooth = np.stack([np.sin(7 * x + c) * np.cos(5 * y - c) for c in range(3)], axis=-1) * 100 + 120
    return (smooth + np.random.default_rng(0).integers(0, 24, (side, side, 3))).astype(np.uint8)


def _save(path, a):
    import tifffile
    from PIL import Image

    if path.suffix == ".npy":
        np.save(path, a)
    elif path.suffix == ".tif":
        tifffile.imwrite(path, a, compression="zlib")
    else:
        Image.fromarray(a).save(path, quality=90, compress_level=1)  # (PNG: fast to make)


def _peak(tmp_path, src, dst, *options, scale=2, side=SIDE):
    """The added peak of ``upsample resize`` from a ``src`` file to a ``dst`` file (extensions)."""
    files = []
    for name, side in (("small", 256), ("big", side)):
        path = tmp_path / f"{name}.{src}"
        _save(path, _image(side))
        files += [path, tmp_path / f"{name}-out.{dst}"]
    done = subprocess.run([sys.executable, "-c", _PEAK, *map(str, files), str(scale), *options], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["codes"] == [0, 0], done.stderr
    return result["peak"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self")
@pytest.mark.parametrize("src, dst, options, multiple", [
    ("npy", "npy", (), PEAK_MULTIPLE),
    ("npy", "png", (), PEAK_MULTIPLE),
    ("npy", "jpg", (), PEAK_MULTIPLE),
    ("npy", "tif", (), PEAK_MULTIPLE),
    ("npy", "bmp", (), PEAK_MULTIPLE),
    ("npy", "webp", ("--quality", "80"), WEBP_MULTIPLE),
    ("png", "npy", (), PEAK_MULTIPLE),
    ("jpg", "npy", (), PEAK_MULTIPLE),
    ("tif", "npy", (), PEAK_MULTIPLE),
    ("webp", "npy", (), PEAK_MULTIPLE),
    ("bmp", "npy", (), PEAK_MULTIPLE),
])
def test_command_peak_memory_is_near_its_input_and_output(tmp_path, src, dst, options, multiple):
    moved = SIDE * SIDE * 3 * 5  # (the x2 output holds 4 times the input's bytes)
    peak = _peak(tmp_path, src, dst, *options)
    assert peak <= multiple * moved + ALLOWANCE, f"{src} -> {dst}: {peak / moved:.2f} x (input + output)"


# A downscale's peak is the reading: the decoded input is four times the output's bytes. A reader
# that held the pixels twice (Pillow's four-byte RGB and the array copied out of it, or
# tifffile's whole compressed image beside the decoded one: 2.3 to 2.7 times input + output)
# fails; the readers' own bands in flight (4 MiB) are all the allowance they get.
DOWNSCALE_SIDE = 2400
READ_ALLOWANCE = 4 << 20


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self")
@pytest.mark.parametrize("src", ["png", "jpg", "tif", "bmp"])
def test_a_downscale_reads_its_input_without_a_second_copy(tmp_path, src):
    side = DOWNSCALE_SIDE
    moved = side * side * 3 + (side // 2) ** 2 * 3
    peak = _peak(tmp_path, src, "npy", scale=0.5, side=side)
    assert peak <= PEAK_MULTIPLE * moved + READ_ALLOWANCE, f"{src} -> npy x0.5: {peak / moved:.2f} x (input + output)"
