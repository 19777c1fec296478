"""The CUDA backend against the CPU backend, on small arrays (Numba's simulator is slow).

On a machine with a GPU: ``UPSAMPLE_TEST_GPU=1 python -m pytest tests/test_cuda.py``.
"""

import numpy as np
import pytest

from upsample_cli import api, interpolate
from upsample_cli.compat import cv2_resize, keras_upsampling2d, keras_upsampling3d, pil_resize, tf_resize

cuda = pytest.importorskip("numba.cuda")
if not api._cuda_available():
    pytest.skip("neither a CUDA GPU nor Numba's simulator is available", allow_module_level=True)

RNG = np.random.default_rng(7)

CASES = [
    ("nearest", 2, {}),
    ("nearest-exact", 1, {}),
    ("linear", 1, {"align_corners": True}),
    ("bilinear", 2, {}),
    ("bilinear", 2, {"antialias": True}),
    ("bicubic", 2, {}),
    ("bicubic", 3, {}),
    ("lanczos", 2, {"antialias": True}),
    ("trilinear", 3, {}),
    ("area", 2, {}),
]
DTYPES = [np.uint8, np.uint16, np.float16, np.float32, np.float64]


def sample(shape, dtype):
    if np.dtype(dtype).kind == "u":
        return RNG.integers(0, np.iinfo(dtype).max, shape, endpoint=True).astype(dtype)
    return RNG.standard_normal(shape).astype(dtype)


def assert_close(got, want):
    assert got.dtype == want.dtype and got.shape == want.shape
    if want.dtype.kind == "u":
        np.testing.assert_array_equal(got, want)
    else:  # a GPU may fuse multiply-adds: equal to rounding
        np.testing.assert_allclose(got.astype(np.float64), want.astype(np.float64), rtol=2e-3, atol=2e-3)


def spatial(dim, n_in, n_out):
    return (n_in,) * dim, [n_out] * dim


@pytest.mark.parametrize("mode,dim,extra", CASES, ids=[f"{m}-{d}d-{'-'.join(e)}" for m, d, e in CASES])
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_cuda_equals_cpu(mode, dim, extra, dtype):
    shape_in, size = spatial(dim, {1: 6, 2: 5, 3: 3}[dim], {1: 9, 2: 3, 3: 4}[dim])
    x = sample((1, 2) + shape_in, dtype)
    want = interpolate(x, size=size, mode=mode, **extra)
    got = interpolate(x, size=size, mode=mode, device="cuda", **extra)
    assert isinstance(got, np.ndarray)
    assert_close(got, want)


def test_uint8_torch_path_is_exacton_gpu():
    # width pass then height pass with int16 fixed-point weights and uint8 between
    x = sample((1, 3, 6, 5), np.uint8)
    want = interpolate(x, scale_factor=0.5, mode="bicubic", antialias=True)
    np.testing.assert_array_equal(interpolate(x, scale_factor=0.5, mode="bicubic", antialias=True, device="cuda"), want)


def test_gpu_input_stayson_gpu_and_keeps_layout():
    hwc = sample((4, 5, 3), np.float32)
    view = hwc.transpose(2, 0, 1)[None]  # channels-last
    want = interpolate(view, size=(3, 7), mode="bilinear")
    on_gpu = cuda.to_device(np.ascontiguousarray(hwc))
    got = interpolate(_cl_view(on_gpu), size=(3, 7), mode="bilinear", device="cuda")
    assert api.on_gpu(got)
    host = got.copy_to_host()
    assert_close(host, want)
    assert np.moveaxis(host, 1, -1).flags.c_contiguous  # NHWC memory, like the input


def _cl_view(hwcon_gpu):
    """A (1, C, H, W) channels-last view of an (H, W, C) device array."""
    from upsample_cli.kernels import cuda as backend

    h, w, c = hwcon_gpu.shape
    item = hwcon_gpu.dtype.itemsize
    return backend.view(hwcon_gpu, (1, c, h, w), (h * w * c * item, item, w * c * item, c * item))


def test_auto_uses_gpu_for_gpu_input():
    x = sample((1, 1, 4, 4), np.float32)
    got = interpolate(cuda.to_device(x), scale_factor=2, mode="nearest", device="auto")
    assert api.on_gpu(got)
    np.testing.assert_array_equal(got.copy_to_host(), interpolate(x, scale_factor=2, mode="nearest"))


def test_gpu_input_with_cpu_device_comes_back_as_numpy():
    x = sample((1, 1, 3, 3), np.uint8)
    got = interpolate(cuda.to_device(x), size=5, mode="bilinear", device="cpu")
    np.testing.assert_array_equal(got, interpolate(x, size=5, mode="bilinear"))


def test_without_gpu(monkeypatch):
    monkeypatch.setattr(api, "_cuda_available", lambda: False)
    x = sample((1, 1, 3, 3), np.float32)
    with pytest.raises(RuntimeError, match="no GPU was found"):
        interpolate(x, size=5, mode="bilinear", device="cuda")
    np.testing.assert_array_equal(
        interpolate(x, size=5, mode="bilinear", device="auto"), interpolate(x, size=5, mode="bilinear")
    )
    with pytest.raises(ValueError, match="unknown device"):
        interpolate(x, size=5, mode="bilinear", device="tpu")


# The conventions: every library's twin, its passes on the GPU, against the CPU.

CONVENTION_CASES = [
    ("opencv-linear-u8", lambda a, **d: cv2_resize(a, (7, 4), interpolation="linear", **d), (5, 6, 3), np.uint8),
    ("opencv-cubic-f32", lambda a, **d: cv2_resize(a, (3, 9), interpolation="cubic", **d), (5, 6), np.float32),
    ("opencv-area-u16", lambda a, **d: cv2_resize(a, (3, 2), interpolation="area", **d), (6, 7, 2), np.uint16),
    ("opencv-lanczos4-f32", lambda a, **d: cv2_resize(a, None, fx=1.5, fy=1.5, interpolation="lanczos4", **d), (4, 4), np.float32),
    ("pillow-bicubic-rgb", lambda a, **d: pil_resize(a, (7, 3), "bicubic", **d), (5, 6, 3), np.uint8),
    ("pillow-hamming-F", lambda a, **d: pil_resize(a, (3, 5), "hamming", **d), (6, 4), np.float32),
    ("pillow-box-rgba", lambda a, **d: pil_resize(a, (4, 4), "box", box=(0.5, 1, 5, 5), **d), (6, 6, 4), np.uint8),
    ("tf-lanczos5", lambda a, **d: tf_resize(a, (7, 5), "lanczos5", **d), (1, 4, 6, 2), np.float32),
    ("tf-area", lambda a, **d: tf_resize(a, (2, 3), "area", **d), (5, 7, 1), np.uint8),
    ("tf-bicubic-aa", lambda a, **d: tf_resize(a, (3, 3), "bicubic", antialias=True, **d), (6, 6, 1), np.float32),
    ("keras-2d-bilinear", lambda a, **d: keras_upsampling2d(a, (2, 3), interpolation="bilinear", **d), (1, 3, 2, 2), np.float32),
    ("keras-3d", lambda a, **d: keras_upsampling3d(a, (2, 1, 2), **d), (1, 2, 3, 2, 1), np.uint8),
]


@pytest.mark.parametrize("call,shape,dtype", [c[1:] for c in CONVENTION_CASES], ids=[c[0] for c in CONVENTION_CASES])
def test_conventionson_gpu_equal_cpu(call, shape, dtype):
    x = sample(shape, dtype)
    assert_close(call(x, device="cuda"), call(x))


def test_convention_gpu_input_comes_backon_gpu():
    x = sample((5, 6, 3), np.uint8)
    got = pil_resize(cuda.to_device(x), (3, 4), "bilinear", device="cuda")
    assert api.on_gpu(got)
    np.testing.assert_array_equal(got.copy_to_host(), pil_resize(x, (3, 4), "bilinear"))


# The command line: --device on resize (batch shares the option).


def _cli(args):
    from click.testing import CliRunner

    from upsample_cli.cli import main

    return CliRunner().invoke(main, args)


@pytest.mark.parametrize("convention,mode", [("torch", "bicubic"), ("pillow", "lanczos"), ("opencv", "area")])
def test_cli_device_cuda_equals_cpu(tmp_path, convention, mode):
    from PIL import Image

    src = tmp_path / "in.png"
    Image.fromarray(sample((6, 5, 3), np.uint8)).save(src)
    outs = {}
    for device in ("cpu", "cuda"):
        dst = tmp_path / f"{device}.png"
        result = _cli(["resize", str(src), str(dst), "--size", "4x3", "--mode", mode, "--convention", convention,
                       "--device", device])
        assert result.exit_code == 0, result.output
        outs[device] = np.asarray(Image.open(dst))
    np.testing.assert_array_equal(outs["cuda"], outs["cpu"])


def test_cli_device_cuda_without_gpu(tmp_path, monkeypatch):
    from PIL import Image

    monkeypatch.setattr(api, "_cuda_available", lambda: False)
    src = tmp_path / "in.png"
    Image.fromarray(sample((6, 5, 3), np.uint8)).save(src)
    result = _cli(["resize", str(src), str(tmp_path / "out.png"), "--scale", "2", "--device", "cuda"])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "no GPU was found" in result.output
    assert not (tmp_path / "out.png").exists()
    result = _cli(["resize", str(src), str(tmp_path / "out.png"), "--scale", "2", "--device", "auto"])
    assert result.exit_code == 0, result.output
