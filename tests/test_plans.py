"""Settings and plans kept between calls (``api._settings``, ``api._planned``, the CPU backend's
``_pair`` and ``_selection``): a repeated call must behave exactly as a first one."""

import os
import subprocess
import sys
import threading

import numba
import numpy as np
import pytest

from upsample_cli import api, interpolate


@pytest.fixture
def image():
    return np.random.default_rng(0).random((1, 3, 24, 20)).astype(np.float32)


def test_arguments_of_other_types_are_checked_again(image):
    assert interpolate(image, size=(12, 10), mode="bilinear").shape == (1, 3, 12, 10)
    with pytest.raises(TypeError, match="expected size"):
        interpolate(image, size=(12.0, 10.0), mode="bilinear")
    assert interpolate(image, size=[12, 10], mode="bilinear").shape == (1, 3, 12, 10)
    for size in ((12, 10.0), [12, 10.0], (12, True)):  # an item of another type
        with pytest.raises(TypeError, match="expected size"):
            interpolate(image, size=size, mode="bilinear")
    assert interpolate(image, scale_factor=1, mode="bilinear").shape == image.shape
    with pytest.raises(TypeError, match="scale_factor must be a number"):
        interpolate(image, scale_factor=True, mode="bilinear")
    with pytest.raises(ValueError, match="align_corners option"):
        interpolate(image, scale_factor=1, mode="nearest", align_corners=False)


def test_unhashable_arguments_still_work(image):
    got = interpolate(image, size=np.array([30, 40]), mode="bicubic")
    np.testing.assert_allclose(got, interpolate(image, size=(30, 40), mode="bicubic"), rtol=0, atol=0)


@pytest.mark.parametrize("mode", ["nearest", "bilinear", "area"])
@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_layouts_of_one_shape_planned_apart(mode, dtype):
    rng = np.random.default_rng(1)
    planar = (rng.random((1, 3, 40, 36)) * 255).astype(dtype)
    last = np.ascontiguousarray(planar.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)  # same shape and values
    for x in (planar, last, planar, last):
        got = interpolate(x, scale_factor=0.5 if mode == "area" else 1.7, mode=mode)
        want = interpolate(x, scale_factor=0.5 if mode == "area" else 1.7, mode=mode, backend="reference")
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-4 if dtype == np.float32 else 0)
        assert got.strides[1] < got.strides[2] if x is last else got.strides[1] > got.strides[2]


def test_thread_counts_changed_between_calls():
    x = np.random.default_rng(2).integers(0, 256, (1, 3, 64, 48)).astype(np.uint8)
    want = interpolate(x, scale_factor=1.7, mode="bicubic", backend="reference")
    before = numba.get_num_threads()
    try:
        for threads in (before, 1, before):
            numba.set_num_threads(threads)
            np.testing.assert_array_equal(interpolate(x, scale_factor=1.7, mode="bicubic"), want)
    finally:
        numba.set_num_threads(before)


@pytest.mark.parametrize("mode, factor", [("bicubic", 2), ("bilinear", 0.25), ("nearest", 3)])
def test_one_plan_run_by_several_threads(mode, factor):
    rng = np.random.default_rng(3)
    images = [rng.random((1, 3, 50, 70)).astype(np.float32) for _ in range(4)]
    wants = [interpolate(x, scale_factor=factor, mode=mode) for x in images]
    errors = []

    def work(x, want):
        for _ in range(20):
            if not np.array_equal(interpolate(x, scale_factor=factor, mode=mode), want):
                errors.append("differs")

    threads = [threading.Thread(target=work, args=pair) for pair in zip(images, wants)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


def test_small_resizes_run_alone_leaving_the_threads_as_they_are(monkeypatch):
    # Under SERIAL_SAMPLES each pass runs as its kernel's twin on the calling thread, without
    # asking Numba for its thread count; larger ones run the parallel kernels.
    from upsample_cli.kernels import cpu

    x = np.random.default_rng(4).integers(0, 256, (1, 3, 20, 30)).astype(np.uint8)  # under SERIAL_SAMPLES
    big = np.zeros((1, 3, 600, 900), np.uint8)
    before, twins, reads, launched = numba.get_num_threads(), [], [], []
    alone, count, launch = cpu._alone, cpu._count, cpu._launch
    monkeypatch.setattr(cpu, "_alone", lambda kernel: (twins.append(kernel), alone(kernel))[1])
    monkeypatch.setattr(cpu, "_count", lambda: (reads.append(1), count())[1])
    monkeypatch.setattr(cpu, "_launch", lambda kernel, on_one: (launched.append(on_one), launch(kernel, on_one))[1])
    for mode in ("nearest", "bilinear", "area"):
        for kept in (False, True):
            np.testing.assert_array_equal(interpolate(x, scale_factor=1.5, mode=mode),
                                          interpolate(x, scale_factor=1.5, mode=mode, backend="reference"))
            # Planned: the passes bound to twins; kept: none launched in parallel.
            assert (twins or kept) and all(launched) and not reads and numba.get_num_threads() == before
            twins.clear(), launched.clear()
        if before > 1:
            interpolate(big, scale_factor=1.5, mode=mode)
            assert reads and not twins  # the large one runs on every thread
            reads.clear(), launched.clear()


def test_a_misaligned_input_gets_its_own_plan():
    # A kept plan calls the code compiled for its first call's arrays; an input of the same
    # layout whose data is not aligned to its items is planned apart, and resized the same.
    x = np.random.default_rng(5).random((1, 3, 20, 30)).astype(np.float32)
    raw = np.empty(x.nbytes + 1, np.uint8)
    misaligned = np.ndarray(x.shape, x.dtype, buffer=raw, offset=1)
    misaligned[...] = x
    assert not misaligned.flags.aligned
    want = interpolate(x, scale_factor=1.7, mode="bilinear", backend="reference")
    api._calls.clear()
    for _ in range(2):
        for a in (x, misaligned):
            np.testing.assert_array_equal(interpolate(a, scale_factor=1.7, mode="bilinear"), want)
    assert len(api._calls) == 2


def test_the_backends_thread_count_is_numbas():
    from upsample_cli.kernels import cpu

    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        assert cpu._threads() == 1
        numba.set_num_threads(before)
        assert cpu._threads() == before and cpu._threads(alone=True) == 1
    finally:
        numba.set_num_threads(before)


@pytest.mark.parametrize("before, after", [(None, "passive"), ("active", "active")])
def test_importing_the_package_lets_openmp_threads_sleep_unless_told_otherwise(before, after):
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    if before:
        env["OMP_WAIT_POLICY"] = before
    code = "import os, upsample_cli; print(os.environ['OMP_WAIT_POLICY'])"
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert run.stdout.strip() == after


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
@pytest.mark.parametrize("layout", ["planar", "last"])
def test_one_thread_runs_the_kernels_twins_with_the_same_results(monkeypatch, dtype, layout):
    # A small resize runs each kernel's twin compiled without its parallel loop (``cpu._alone``);
    # with every resize on the threads, the parallel kernels give the same bits.
    from upsample_cli.kernels import cpu

    rng = np.random.default_rng(6)
    x = (rng.random((1, 3, 24, 30)) * 255).astype(dtype)
    if layout == "last":
        x = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    volume = (rng.random((1, 2, 10, 12, 14)) * 255).astype(dtype)
    calls = [(x, dict(scale_factor=2, mode="bilinear")), (x, dict(scale_factor=1.7, mode="bicubic")),
             (x, dict(scale_factor=0.25, mode="bilinear", antialias=True)), (x, dict(size=(7, 9), mode="area")),
             (x, dict(scale_factor=1.7, mode="nearest")), (x, dict(scale_factor=2, mode="nearest-exact")),
             (x, dict(size=(50, 17), mode="lanczos")), (volume, dict(scale_factor=(2, 1.5, 0.5), mode="trilinear"))]
    twins = []
    alone = cpu._alone
    monkeypatch.setattr(cpu, "_alone", lambda kernel: (twins.append(kernel), alone(kernel))[1])
    small = [interpolate(a, **kw) for a, kw in calls]
    assert len(set(twins)) >= 5  # (wide, pixels or periodic, pairs, selection, ...)
    if numba.get_num_threads() == 1:
        return
    twins.clear()
    for store in ("_calls", "_plans"):  # (planned anew)
        monkeypatch.setattr(api, store, {})
    monkeypatch.setattr(cpu, "_kept_plans", {})
    monkeypatch.setattr(cpu, "SERIAL_SAMPLES", 0)
    for (a, kw), want in zip(calls, small):
        np.testing.assert_array_equal(interpolate(a, **kw), want)
    assert not twins


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
@pytest.mark.parametrize("layout, channels, kw", [
    ("last", 3, dict(scale_factor=2, mode="bilinear")),  # an upscale's ring of periodic rows
    ("last", 3, dict(scale_factor=1.7, mode="bicubic")),  # a ring of pixel rows
    ("last", 4, dict(scale_factor=0.25, mode="bilinear", antialias=True)),  # pixels after the outer pass
    ("planar", 1, dict(scale_factor=0.5, mode="area")),  # periodic lanes after the outer pass
    ("planar", 2, dict(scale_factor=2, mode="bilinear")),  # an upscale's ring of periodic rows, one lane each
    ("last", 3, dict(scale_factor=2, mode="nearest")),  # nearest: samples copied
    ("planar", 1, dict(size=(40, 17), mode="nearest-exact")),
])
def test_a_repeated_small_call_is_one_compiled_call_with_the_same_results(dtype, layout, channels, kw):
    # From its first repeat, a small call whose plan is one launch runs as one compiled call on
    # the input as given (``cpu._one_call``): each call's own input read, a new result each
    # call, read-only inputs too, as the planned passes and the reference give.
    rng = np.random.default_rng(7)
    images = [(rng.random((1, channels, 26, 30)) * 255).astype(dtype) for _ in range(4)]
    if layout == "last":
        images = [np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2) for x in images]
    images[2].flags.writeable = False
    api._calls.clear()
    results = [interpolate(x, **kw) for x in images]
    (run,) = api._calls.values()
    assert run.__qualname__ == "_one_call.<locals>.call"
    for x, got in zip(images, results):
        np.testing.assert_array_equal(got, interpolate(x, **kw, backend="reference"))
        assert got.flags.writeable and got.dtype == x.dtype
    results[1][...] = 0  # (results share no memory)
    np.testing.assert_array_equal(results[3], interpolate(images[3], **kw, backend="reference"))
    np.testing.assert_array_equal(interpolate(images[0], **kw), results[0])


def test_float16_nearest_keeps_the_planned_passes():
    # Nearest copies float16 samples as bits; compiled code takes no float16 arrays.
    x = np.random.default_rng(9).random((1, 3, 20, 24)).astype(np.float16)
    api._calls.clear()
    for _ in range(3):
        np.testing.assert_array_equal(interpolate(x, scale_factor=2, mode="nearest"),
                                      interpolate(x, scale_factor=2, mode="nearest", backend="reference"))


def test_layouts_that_are_not_one_block_keep_the_planned_passes():
    # The one compiled call reads its input as one C-contiguous block in memory order; other
    # layouts (a crop, a flipped view) and misaligned data keep the planned passes.
    rng = np.random.default_rng(8)
    whole = rng.random((1, 40, 50, 3)).astype(np.float32)
    views = [whole[:, 5:31, 4:34].transpose(0, 3, 1, 2), whole[:, ::-1, :30].transpose(0, 3, 1, 2)]
    for x in views:
        api._calls.clear()
        for _ in range(3):
            np.testing.assert_array_equal(interpolate(x, scale_factor=2, mode="bilinear"),
                                          interpolate(x, scale_factor=2, mode="bilinear", backend="reference"))
        assert all(run.__qualname__ != "_one_call.<locals>.call" for run in api._calls.values())


def test_a_direct_call_that_fails_leaves_the_planned_passes():
    # Should the compiled call fail on its first repeat, the call keeps its planned passes.
    def run(x):
        return x + 1

    def broken(x):
        raise TypeError("not compiled for this")

    run.direct = lambda: broken
    api._calls.clear()
    api._calls["key"] = api._repeated(run, "key")
    assert api._calls["key"](1) == 2 and api._calls["key"] is run
