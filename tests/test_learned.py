"""Learned upsampling: transposed convolution and pixel shuffle, against a scatter written from the
definition here, the CUDA kernel (simulator), and golden data from torch 2.13 and Keras 3
(``tests/golden/learned.npz``, made by ``tests/golden/make_learned_golden.py``)."""

import itertools

import numpy as np
import pytest

from upsample_cli import learned
from upsample_cli.learned import conv_transpose1d, conv_transpose2d, conv_transpose3d, pixel_shuffle, pixel_unshuffle

RNG = np.random.default_rng(35)
FUNCTIONS = {1: conv_transpose1d, 2: conv_transpose2d, 3: conv_transpose3d}


def scatter(x, w, bias, stride, padding, output_padding, groups, dilation):
    """The definition: each input sample adds its weighted kernel into the output."""
    dims = x.ndim - 2
    c_in, c_g, *kernel = w.shape
    sizes = [(n - 1) * s - 2 * p + d * (k - 1) + op + 1
             for n, k, s, p, op, d in zip(x.shape[2:], kernel, stride, padding, output_padding, dilation)]
    full = np.zeros((x.shape[0], c_g * groups, *[n + 2 * p for n, p in zip(sizes, padding)]))
    for ci in range(c_in):
        g = ci // (c_in // groups)
        for i in np.ndindex(*x.shape[2:]):
            for k in np.ndindex(*kernel):
                o = tuple(a * s + b * d for a, b, s, d in zip(i, k, stride, dilation))
                if all(v < n for v, n in zip(o, full.shape[2:])):
                    full[(slice(None), slice(g * c_g, (g + 1) * c_g)) + o] += (
                        x[(slice(None), ci) + i][:, None] * w[(ci, slice(None)) + k])
    crop = tuple(slice(p, p + n) for p, n in zip(padding, sizes))
    out = full[(slice(None), slice(None)) + crop]
    return out if bias is None else out + bias.reshape((-1,) + (1,) * dims)


def random_case(dims, groups, matrix):
    c_in_g, c_g = (2, 3) if matrix else (1, 1)
    kernel = tuple(int(k) for k in RNG.integers(1, 5, dims))
    stride = tuple(int(s) for s in RNG.integers(1, 4, dims))
    dilation = tuple(int(d) for d in RNG.integers(1, 3, dims))
    padding = tuple(int(RNG.integers(0, (d * (k - 1)) // 2 + 1)) for k, d in zip(kernel, dilation))
    output_padding = tuple(int(RNG.integers(0, max(s, d))) for s, d in zip(stride, dilation))
    x = RNG.standard_normal((2, c_in_g * groups) + tuple(int(n) for n in RNG.integers(1, 6, dims)))
    w = RNG.standard_normal((c_in_g * groups, c_g) + kernel)
    return x, w, RNG.standard_normal(c_g * groups), stride, padding, output_padding, groups, dilation


@pytest.mark.parametrize("dims,groups,matrix", list(itertools.product((1, 2, 3), (1, 2), (False, True))))
def test_both_cpu_routes_equal_the_scatter(dims, groups, matrix):
    for _ in range(6):
        x, w, b, *args = random_case(dims, groups, matrix)
        try:
            got = FUNCTIONS[dims](x, w, b, *args)
        except ValueError:  # (a negative output size)
            sizes = [(n - 1) * s - 2 * p + d * (k - 1) + op + 1
                     for n, k, s, p, op, d in zip(x.shape[2:], w.shape[2:], *args[:3], args[4])]
            assert min(sizes) < 0
            continue
        want = scatter(x, w, b, *args)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_cuda_equals_cpu():
    from upsample_cli import api

    if not api._cuda_available():
        pytest.skip("neither a CUDA GPU nor Numba's simulator is available")
    for dims in (1, 2, 3):
        x, w, b, *args = random_case(dims, 2, dims == 2)
        x = x[(slice(0, 1), slice(None)) + (slice(0, 3),) * dims]
        want = FUNCTIONS[dims](x.astype(np.float32), w.astype(np.float32), b.astype(np.float32), *args)
        got = FUNCTIONS[dims](x.astype(np.float32), w.astype(np.float32), b.astype(np.float32), *args,
                              device="cuda")
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_integer_images_are_summed_in_float32_then_rounded_and_clamped():
    x = RNG.integers(0, 256, (1, 2, 5, 6)).astype(np.uint8)
    w = RNG.standard_normal((2, 3, 3, 3)).astype(np.float32) * 0.5
    sums = conv_transpose2d(x.astype(np.float32), w, stride=2, padding=1)
    got = conv_transpose2d(x, w, stride=2, padding=1)
    assert got.dtype == np.uint8
    np.testing.assert_array_equal(got, np.clip(np.floor(sums + 0.5), 0, 255).astype(np.uint8))


def test_unbatched_input_and_any_strides():
    x = RNG.standard_normal((3, 7, 5)).astype(np.float32)
    w = RNG.standard_normal((3, 2, 4, 4)).astype(np.float32)
    batched = conv_transpose2d(np.ascontiguousarray(x[None]), w, stride=2, padding=1)
    np.testing.assert_array_equal(conv_transpose2d(x, w, stride=2, padding=1), batched[0])
    nhwc = np.ascontiguousarray(x.transpose(1, 2, 0)).transpose(2, 0, 1)[None]
    np.testing.assert_array_equal(conv_transpose2d(nhwc, w, stride=2, padding=1), batched)


def test_pixel_unshuffle_undoes_pixel_shuffle():
    for shape, r in (((2, 12, 5, 7), 2), ((1, 3, 18, 2, 4), 3), ((1, 4 * 16, 64, 80), 4)):
        x = RNG.standard_normal(shape).astype(np.float32)
        y = pixel_shuffle(x, r)
        assert y.shape == shape[:-3] + (shape[-3] // r**2, shape[-2] * r, shape[-1] * r) and y.flags.c_contiguous
        np.testing.assert_array_equal(pixel_unshuffle(y, r), x)


def test_pixel_shuffle_large_arrays_take_the_compiled_loop_and_agree():
    x = RNG.integers(0, 65536, (1, 16, 160, 120)).astype(np.uint16)
    assert x.size >= __import__("upsample_cli.kernels.cpu", fromlist=["cpu"]).PARALLEL_SAMPLES
    blocks = x.reshape(1, 1, 4, 4, 160, 120)
    want = np.ascontiguousarray(blocks.transpose(0, 1, 4, 2, 5, 3)).reshape(1, 1, 640, 480)
    np.testing.assert_array_equal(pixel_shuffle(x, 4), want)


@pytest.mark.parametrize("kwargs,message", [
    ({"stride": 0}, "non-positive stride"),
    ({"padding": -1}, "negative padding"),
    ({"output_padding": 2, "stride": 2}, "output padding must be smaller"),
    ({"groups": 3}, "divisible by 3"),
    ({"groups": 0}, "non-positive groups"),
    ({"dilation": 0}, "dilation should be greater than zero"),
    ({"stride": (1, 2, 3)}, "list of 2 values"),
    ({"padding": 5}, "Output size is too small"),
    ({"bias": np.zeros(3, np.float32)}, "expected bias to be 1-dimensional with 2 elements"),
    ({"output_size": (9, 9), "stride": 2, "padding": 1}, "valid sizes range from"),
])
def test_torch_refusals_are_value_errors(kwargs, message):
    x, w = np.zeros((1, 4, 3, 3), np.float32), np.zeros((4, 2, 3, 3), np.float32)
    with pytest.raises(ValueError, match=message):
        conv_transpose2d(x, w, **kwargs)


def test_refusals_of_shapes_and_types():
    x, w = np.zeros((1, 4, 3, 3), np.float32), np.zeros((4, 2, 3, 3), np.float32)
    with pytest.raises(ValueError, match="Expected 3D \\(unbatched\\) or 4D"):
        conv_transpose2d(x[None], w)
    with pytest.raises(ValueError, match="weight of 4 dimensions"):
        conv_transpose2d(x, w[0])
    with pytest.raises(ValueError, match="to have 4 channels, but got 5"):
        conv_transpose2d(np.zeros((1, 5, 3, 3), np.float32), w)
    with pytest.raises(TypeError, match="should be the same"):
        conv_transpose2d(x, w.astype(np.float64))
    with pytest.raises(TypeError, match="stride must be an int"):
        conv_transpose2d(x, w, stride=1.5)
    with pytest.raises(ValueError, match="divisible by the square"):
        pixel_shuffle(np.zeros((1, 3, 2, 2)), 2)
    with pytest.raises(ValueError, match="divisible by downscale_factor"):
        pixel_unshuffle(np.zeros((1, 3, 3, 4)), 2)


def test_output_size_picks_the_output_padding():
    x, w = RNG.standard_normal((1, 2, 3, 4)), RNG.standard_normal((2, 2, 3, 3))
    assert conv_transpose2d(x, w, stride=2, padding=1, output_size=(6, 7)).shape == (1, 2, 6, 7)
    np.testing.assert_array_equal(conv_transpose2d(x, w, stride=2, padding=1, output_size=[1, 2, 6, 7]),
                                  conv_transpose2d(x, w, stride=2, padding=1, output_padding=(1, 0)))


def test_matrix_route_keeps_its_columns_in_chunks(monkeypatch):
    monkeypatch.setattr(learned, "COLUMN_SAMPLES", 64)  # many chunks of rows per phase
    x, w = RNG.standard_normal((1, 3, 4, 5, 6)), RNG.standard_normal((3, 2, 3, 2, 4))
    args = ((2, 1, 3), (1, 0, 1), (1, 0, 2), 1, (1, 2, 1))
    np.testing.assert_allclose(conv_transpose3d(x, w, None, *args), scatter(x, w, None, *args), atol=1e-12)


def test_matrix_route_without_threadpoolctl_runs_its_chunks_on_the_blas_threads(monkeypatch):
    monkeypatch.setattr(learned, "_blas_controller", lambda: None)
    monkeypatch.setattr(learned, "COLUMN_SAMPLES", 64)
    x, w, b = RNG.standard_normal((2, 4, 5, 6)), RNG.standard_normal((4, 3, 4, 3)), RNG.standard_normal(6)
    args = ((2, 3), (1, 0), (1, 2), 2, (1, 1))
    np.testing.assert_allclose(conv_transpose2d(x, w, b, *args), scatter(x, w, b, *args), atol=1e-12)


# --- golden data from torch 2.13, Keras 3 and TensorFlow ------------------------------------

GOLDEN = np.load(__import__("pathlib").Path(__file__).parent / "golden" / "learned.npz")
CASES = __import__("json").loads(str(GOLDEN["cases"]))


def golden_call(i):
    from upsample_cli import compat

    case = CASES[i]
    op, kwargs = case["op"], dict(case["kwargs"])
    function = getattr(learned, op, None) or getattr(compat, op)
    arrays = [GOLDEN[f"{i}/{name}"] for name in ("x", "w", "b") if f"{i}/{name}" in GOLDEN]
    if op.startswith("keras_") and f"{i}/b" not in GOLDEN:
        arrays.append(None)
    if op.startswith("conv_transpose") and "output_size" in kwargs:
        kwargs["output_size"] = tuple(kwargs["output_size"])
    elif op.startswith("conv_transpose") and f"{i}/b" not in GOLDEN:
        arrays.append(None)
    return function(*arrays, **kwargs), GOLDEN[f"{i}/y"]


@pytest.mark.parametrize("i", range(len(CASES)), ids=lambda i: f"{i}-{CASES[i]['op']}")
def test_golden(i):
    got, want = golden_call(i)
    assert got.shape == want.shape and got.dtype == want.dtype
    tolerance = {"float64": 1e-12, "float32": 2e-5, "float16": 2e-3}.get(want.dtype.name)
    if tolerance is None:
        np.testing.assert_array_equal(got, want)
    else:
        np.testing.assert_allclose(got.astype(np.float64), want, rtol=tolerance, atol=tolerance)


def test_golden_covers_the_issue():
    ops = [c["op"] for c in CASES]
    assert len(CASES) >= 300
    for op in ("conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "keras_conv_transpose2d",
               "keras_conv_transpose3d", "pixel_shuffle", "pixel_unshuffle", "depth_to_space", "space_to_depth"):
        assert op in ops
    seed = next(i for i, c in enumerate(CASES) if c["op"] == "conv_transpose2d")
    assert GOLDEN[f"{seed}/x"].shape == (1, 3, 2, 4) and GOLDEN[f"{seed}/y"].shape == (1, 3, 4, 8)
    assert CASES[seed]["kwargs"] == {"stride": 2, "padding": 1, "output_padding": 1, "groups": 1, "dilation": 1}
    formats = {c["kwargs"].get("data_format") for c in CASES if c["op"].startswith("keras")}
    assert formats == {"channels_last", "channels_first"}


def test_depthwise_bilinear_kernel_equals_bilinear_interpolation_inside():
    from upsample_cli import interpolate

    x = RNG.standard_normal((1, 3, 9, 11)).astype(np.float64)
    # The bilinear kernel of a x2 upsampling (stride 2, kernel 4, padding 1): taps 1/4, 3/4, 3/4, 1/4.
    taps = np.array([0.25, 0.75, 0.75, 0.25])
    w = np.broadcast_to(np.outer(taps, taps), (3, 1, 4, 4)).copy()
    got = conv_transpose2d(x, w, stride=2, padding=1, groups=3)
    want = interpolate(x, scale_factor=2, mode="bilinear")
    assert got.shape == want.shape
    np.testing.assert_allclose(got[..., 1:-1, 1:-1], want[..., 1:-1, 1:-1], rtol=1e-12, atol=1e-12)
    assert not np.allclose(got[..., 0, :], want[..., 0, :])  # the border differs: zeros beyond the image


# --- module-like objects ---------------------------------------------------------------


def test_module_objects_run_their_functions():
    from upsample_cli import ConvTranspose2d, ConvTranspose3d, Upsample, interpolate
    from upsample_cli.compat import UpSampling2D, UpSampling3D, keras_upsampling2d, keras_upsampling3d

    i = next(i for i, c in enumerate(CASES) if c["op"] == "conv_transpose2d" and f"{i}/b" in GOLDEN
             and "output_size" not in c["kwargs"])
    kwargs = CASES[i]["kwargs"]
    layer = ConvTranspose2d(GOLDEN[f"{i}/w"], GOLDEN[f"{i}/b"], **kwargs)
    assert layer.out_channels == GOLDEN[f"{i}/y"].shape[1]
    np.testing.assert_allclose(layer(GOLDEN[f"{i}/x"]), GOLDEN[f"{i}/y"], rtol=2e-5, atol=2e-5)
    j = next(j for j, c in enumerate(CASES) if c["op"] == "conv_transpose3d" and "output_size" in c["kwargs"])
    kwargs = dict(CASES[j]["kwargs"])
    size = kwargs.pop("output_size")
    layer = ConvTranspose3d(GOLDEN[f"{j}/w"], GOLDEN[f"{j}/b"], **kwargs)
    np.testing.assert_allclose(layer(GOLDEN[f"{j}/x"], output_size=size), GOLDEN[f"{j}/y"], rtol=2e-5, atol=2e-5)
    with pytest.raises(ValueError, match="weight of 4 dimensions"):
        ConvTranspose2d(np.zeros((2, 2, 3)))

    x = RNG.standard_normal((1, 2, 5, 6)).astype(np.float32)
    np.testing.assert_array_equal(Upsample(scale_factor=2, mode="bilinear")(x),
                                  interpolate(x, scale_factor=2, mode="bilinear"))
    np.testing.assert_array_equal(Upsample(size=(7, 9), mode="bicubic", align_corners=True)(x),
                                  interpolate(x, size=(7, 9), mode="bicubic", align_corners=True))
    nhwc = x.transpose(0, 2, 3, 1)
    np.testing.assert_array_equal(UpSampling2D((2, 3), interpolation="bilinear")(nhwc),
                                  keras_upsampling2d(nhwc, (2, 3), interpolation="bilinear"))
    v = x[:, :, None]
    np.testing.assert_array_equal(UpSampling3D((1, 2, 2), "channels_first")(v),
                                  keras_upsampling3d(v, (1, 2, 2), "channels_first"))
