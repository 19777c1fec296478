"""Plans (``api.plan``, ``explain``) and what is kept between calls: a repeated call must behave
exactly as a first one; the CPU backend's threads give the same bits as one thread."""

import threading

import numba
import numpy as np
import pytest

from upsample_cli import api, interpolate
from upsample_cli.api import explain


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


def test_small_passes_run_on_the_calling_thread_and_large_ones_on_several(monkeypatch):
    from upsample_cli.kernels import cpu

    used = []
    run = cpu._run
    monkeypatch.setattr(cpu, "_run", lambda loop, args, units, samples: (
        used.append(samples >= cpu.PARALLEL_SAMPLES), run(loop, args, units, samples)))
    small = np.random.default_rng(4).integers(0, 256, (1, 3, 20, 30)).astype(np.uint8)
    big = np.random.default_rng(4).integers(0, 256, (1, 3, 300, 400)).astype(np.uint8)
    for mode in ("nearest", "bilinear", "area"):
        for x in (small, big):
            used.clear()
            np.testing.assert_array_equal(interpolate(x, scale_factor=1.5, mode=mode),
                                          interpolate(x, scale_factor=1.5, mode=mode, backend="reference"))
            assert used and all(used) == (x is big)


def test_a_misaligned_input_is_resized_the_same():
    x = np.random.default_rng(5).random((1, 3, 20, 30)).astype(np.float32)
    raw = np.empty(x.nbytes + 1, np.uint8)
    misaligned = np.ndarray(x.shape, x.dtype, buffer=raw, offset=1)
    misaligned[...] = x
    assert not misaligned.flags.aligned
    want = interpolate(x, scale_factor=1.7, mode="bilinear", backend="reference")
    for _ in range(2):
        for a in (x, misaligned):
            np.testing.assert_array_equal(interpolate(a, scale_factor=1.7, mode="bilinear"), want)


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
@pytest.mark.parametrize("layout", ["planar", "last"])
def test_every_thread_count_gives_the_same_bits(monkeypatch, dtype, layout):
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
    alone = [interpolate(a, **kw) for a, kw in calls]  # (small: on the calling thread)
    monkeypatch.setattr(cpu, "PARALLEL_SAMPLES", 0)
    before = numba.get_num_threads()
    try:
        for threads in (2, 3):
            numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
            for (a, kw), want in zip(calls, alone):
                np.testing.assert_array_equal(interpolate(a, **kw), want)
    finally:
        numba.set_num_threads(before)


def test_explain_names_each_pass_with_its_loop():
    x = np.zeros((1, 40, 50, 3), np.uint8).transpose(0, 3, 1, 2)  # channels-last
    text = explain(x, scale_factor=2, mode="bicubic")
    lines = text.splitlines()
    assert lines[0] == "input (1, 3, 40, 50) uint8, memory order N H W C"
    assert lines[1] == "pass 1: band by band of rows, two passes:"
    assert lines[2].startswith("    resample W 50 -> 100, 4 taps, sums in int32") and "narrow loop" in lines[2]
    assert lines[3].startswith("    resample H 40 -> 80, 4 taps") and "wide loop" in lines[3]
    assert len(lines) == 4
    nearest = explain(np.zeros((1, 1, 8, 8), np.float16), size=(16, 4), mode="nearest").splitlines()
    assert [line.split(":")[1].split()[:2] for line in nearest[1:]] == [["select", "W"], ["select", "H"]]


def test_a_view_of_padded_pixels_keeps_the_batch_axis_first_and_the_same_plan():
    rgbx = np.random.default_rng(3).integers(0, 256, (40, 50, 4), dtype=np.uint8)
    padded = rgbx[..., :3].transpose(2, 0, 1)[None]  # strides (?, 1, 200, 4): no dense layout
    packed = np.ascontiguousarray(rgbx[..., :3]).transpose(2, 0, 1)[None]
    assert explain(padded, scale_factor=2, mode="bicubic") == explain(packed, scale_factor=2, mode="bicubic")
    assert explain(padded, scale_factor=2, mode="bicubic").splitlines()[0].endswith("memory order N H W C")
    np.testing.assert_array_equal(interpolate(padded, scale_factor=0.5, mode="bilinear"),
                                  interpolate(packed, scale_factor=0.5, mode="bilinear"))


def test_a_plan_is_data_that_the_executor_runs():
    x = np.random.default_rng(7).random((1, 2, 30, 40)).astype(np.float32)
    rules, out_size, scales, pipeline = api._settings(x.shape, x.dtype, None, 1.5, "bilinear", None, None, False)
    p = api.plan(x.shape, x.strides, x.dtype, rules, out_size, scales, pipeline)
    assert [q.kernel for q in p.passes] == ["resample_pair"]
    assert [q.kernel for q in p.single_passes()] == ["resample_axis", "resample_axis"]
    assert p.passes[-1].dims == (1, 2, 45, 60) and p.passes[-1].dtype == np.float32
    index, weight, shift = next(p.single_passes()).tables[:3]
    assert not index.flags.writeable and not weight.flags.writeable and shift == 0
    from upsample_cli.kernels import reference

    np.testing.assert_array_equal(api._execute(p, reference, True, x),
                                  interpolate(x, scale_factor=1.5, mode="bilinear", backend="reference"))


def test_a_one_shot_resize_compiles_once_numpy_has_lost_what_compiling_costs(monkeypatch, tmp_path):
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))  # (nothing listed as compiled)
    x = np.zeros((1, 3, 64, 64), np.float32)
    rules, out_size, scales, pipeline = api._settings(x.shape, x.dtype, None, 2, "bilinear", None, None, False)
    p = api.plan(x.shape, x.strides, x.dtype, rules, out_size, scales, pipeline)
    assert len(set(p.loops())) == 2
    # In this process Numba is loaded: each NumPy run loses 0.3 s, compiling both loops costs 1 s.
    monkeypatch.setattr(api, "NUMPY_TAP_SECONDS", 0.3 / p.tap_samples())
    monkeypatch.setattr(api, "COMPILE_SECONDS", 0.5)
    lines = []
    with api.one_shot(on_compile=lines.append):
        backends = [api._one_shot_backend(p) for _ in range(6)]
    assert backends == ["reference"] * 4 + ["cpu"] + ["reference"]  # (the last: not run, so still not compiled)
    assert lines == ["compiling kernels for first use, once (about 1 s; `upsample warmup` compiles them all ahead)"]
    monkeypatch.setattr(api, "NUMPY_TAP_SECONDS", 2 / p.tap_samples())  # slower than compiling: compiled at once
    assert api._one_shot_backend(p) == "cpu"


@pytest.mark.parametrize("layout", ["planar", "last"])
def test_nearest_copies_each_output_row_of_neighbouring_outer_axes_once(layout):
    x = np.random.default_rng(8).integers(0, 1000, (2, 3, 6, 7, 20)).astype(np.uint16)
    if layout == "last":
        x = np.ascontiguousarray(x.transpose(0, 2, 3, 4, 1)).transpose(0, 4, 1, 2, 3)
    for factor in (2, (3, 0.5, 1.5)):
        rules, out_size, scales, pipeline = api._settings(x.shape, x.dtype, None, factor, "nearest", None, None, False)
        p = api.plan(x.shape, x.strides, x.dtype, rules, out_size, scales, pipeline)
        assert sorted(q.axes for q in p.passes) == [(2, 3), (4,)]
        want = x[:, :, api.taps(6, out_size[0], rules[0], scales[0]).index[:, 0]]
        want = want[:, :, :, api.taps(7, out_size[1], rules[1], scales[1]).index[:, 0]]
        want = want[..., api.taps(20, out_size[2], rules[2], scales[2]).index[:, 0]]
        np.testing.assert_array_equal(interpolate(x, scale_factor=factor, mode="nearest"), want)
