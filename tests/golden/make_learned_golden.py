"""Write ``tests/golden/learned.npz``: transposed convolutions and pixel shuffles by torch 2.13,
Keras 3 (torch backend) and TensorFlow.

Run from the repository root with the dev extra installed:

    KERAS_BACKEND=torch python tests/golden/make_learned_golden.py

Each case is stored as arrays ``{i}/x``, ``{i}/w``, ``{i}/b`` (when there is a bias) and
``{i}/y`` (the library's output), and its call in the JSON list ``cases``: ``{"op": ...,
"kwargs": {...}}``. Tests need only NumPy to read them.
"""

import itertools
import json
import os
import random
from pathlib import Path

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

OUT = Path(__file__).with_name("learned.npz")
rng = np.random.default_rng(2024)
pick = random.Random(35)
arrays, cases = {}, []


def add(op, arrays_of_case, kwargs):
    i = len(cases)
    for name, a in arrays_of_case.items():
        if a is not None:
            arrays[f"{i}/{name}"] = a
    cases.append({"op": op, "kwargs": kwargs})


def torch_case(dims, stride, padding, output_padding, dilation, groups, bias, dtype="float32", spatial=None,
               kernel=None, c_in_g=2, c_g=2, output_size=None, batch=None):
    spatial = spatial or tuple(pick.randint(2, 5) for _ in range(dims))
    kernel = kernel or tuple(pick.randint(1, 4) for _ in range(dims))
    x = rng.standard_normal((batch or pick.randint(1, 2), c_in_g * groups) + tuple(spatial)).astype(dtype)
    w = (rng.standard_normal((c_in_g * groups, c_g) + tuple(kernel)) / 2).astype(dtype)
    b = rng.standard_normal(c_g * groups).astype(dtype) if bias else None
    kwargs = dict(stride=stride, padding=padding, output_padding=output_padding, groups=groups, dilation=dilation)
    t = lambda a: None if a is None else torch.from_numpy(a)  # noqa: E731
    try:
        if output_size is None:
            y = getattr(F, f"conv_transpose{dims}d")(t(x), t(w), t(b), **kwargs)
        else:
            module = getattr(torch.nn, f"ConvTranspose{dims}d")(
                w.shape[0], w.shape[1] * groups, kernel, stride, padding, 0, groups, bias, dilation,
                dtype=getattr(torch, dtype))
            with torch.no_grad():
                module.weight.copy_(t(w))
                if bias:
                    module.bias.copy_(t(b))
                y = module(t(x), output_size=output_size)
            kwargs["output_size"] = list(output_size)
            del kwargs["output_padding"]
    except RuntimeError:
        return False  # a combination torch refuses (output too small)
    add(f"conv_transpose{dims}d", {"x": x, "w": w, "b": b, "y": y.detach().numpy()}, kwargs)
    return True


def torch_cases():
    # The seed's example: (1, 3, 2, 4), kernel 3, stride 2, padding 1, output_padding 1 -> (1, 3, 4, 8).
    torch_case(2, 2, 1, 1, 1, 1, True, spatial=(2, 4), kernel=(3, 3), c_in_g=3, c_g=3, batch=1)
    grid = list(itertools.product((1, 2, 3), (1, 2, 3), (0, 1, 2), (0, 1), (1, 2), (1, 2), (False, True)))
    pick.shuffle(grid)
    made = {1: 0, 2: 0, 3: 0}
    for dims, stride, padding, output_padding, dilation, groups, bias in grid:
        if made[dims] >= 70 or output_padding >= max(stride, dilation):
            continue
        made[dims] += torch_case(dims, stride, padding, output_padding, dilation, groups, bias)
    # Per-axis values, and depthwise decoders' shapes.
    for dims in (2, 3):
        for _ in range(12):
            stride = tuple(pick.randint(1, 3) for _ in range(dims))
            dilation = tuple(pick.randint(1, 2) for _ in range(dims))
            output_padding = tuple(pick.randint(0, max(s, d) - 1) for s, d in zip(stride, dilation))
            padding = tuple(pick.randint(0, 2) for _ in range(dims))
            torch_case(dims, stride, padding, output_padding, dilation, pick.choice((1, 3)), pick.random() < 0.5)
        torch_case(dims, 2, 1, 0, 1, 4, True, kernel=(4,) * dims, c_in_g=1, c_g=1)
    for dtype in ("float64", "float16"):
        for dims in (1, 2, 3):
            for _ in range(4):
                torch_case(dims, pick.randint(1, 3), pick.randint(0, 1), 0, pick.randint(1, 2), pick.randint(1, 2),
                           True, dtype=dtype)
    for dims, size in ((1, (6,)), (2, (6, 5)), (3, (5, 6, 6))):
        torch_case(dims, 2, 1, 0, 1, 1, True, spatial=(3,) * dims, kernel=(3,) * dims, output_size=size)


def keras_cases():
    made = 0
    grid = list(itertools.product((2, 3), ("valid", "same"), (1, 2, 3), (None, 0, 1), (1, 2),
                                  ("channels_last", "channels_first"), (False, True)))
    pick.shuffle(grid)
    for dims, padding, strides, output_padding, dilation, data_format, bias in grid:
        if made >= 90 or (output_padding is not None and output_padding >= strides):
            continue
        kernel = tuple(pick.randint(1, 4) for _ in range(dims))
        spatial = tuple(pick.randint(2, 4) for _ in range(dims))
        c_in, c_out = pick.randint(1, 3), pick.randint(1, 3)
        shape = (2,) + (spatial + (c_in,) if data_format == "channels_last" else (c_in,) + spatial)
        x = rng.standard_normal(shape).astype(np.float32)
        k = (rng.standard_normal(kernel + (c_out, c_in)) / 2).astype(np.float32)
        b = rng.standard_normal(c_out).astype(np.float32) if bias else None
        layer_type = keras.layers.Conv2DTranspose if dims == 2 else keras.layers.Conv3DTranspose
        try:
            layer = layer_type(c_out, kernel, strides=strides, padding=padding, output_padding=output_padding,
                               data_format=data_format, dilation_rate=dilation, use_bias=bias)
            layer.build(shape)
            layer.kernel.assign(k)
            if bias:
                layer.bias.assign(b)
            y = keras.ops.convert_to_numpy(layer(x))
        except (ValueError, RuntimeError):
            continue
        add(f"keras_conv_transpose{dims}d", {"x": x, "w": k, "b": b, "y": y},
            dict(strides=strides, padding=padding, output_padding=output_padding, dilation_rate=dilation,
                 data_format=data_format))
        made += 1


def shuffle_cases():
    import tensorflow as tf

    for shape, r in (((1, 8, 3, 4), 2), ((2, 9, 2, 3), 3), ((2, 3, 16, 2, 5), 2), ((1, 32, 3, 3), 4)):
        x = rng.standard_normal(shape).astype(np.float32)
        add("pixel_shuffle", {"x": x, "y": F.pixel_shuffle(torch.from_numpy(x), r).numpy()}, {"upscale_factor": r})
        y = rng.standard_normal(shape[:-3] + (shape[-3] // (r * r), shape[-2] * r, shape[-1] * r)).astype(np.float32)
        add("pixel_unshuffle", {"x": y, "y": F.pixel_unshuffle(torch.from_numpy(y), r).numpy()},
            {"downscale_factor": r})
    for shape, block in (((1, 2, 3, 8), 2), ((2, 3, 2, 18), 3), ((1, 2, 2, 4), 2)):
        x = rng.integers(0, 255, shape).astype(np.uint8) if shape[0] == 2 else rng.standard_normal(shape).astype(
            np.float32)
        y = tf.nn.depth_to_space(x, block).numpy()
        add("depth_to_space", {"x": x, "y": y}, {"block_size": block, "data_format": "NHWC", "mode": "DCR"})
        # ONNX CRD on NCHW is torch's pixel_shuffle.
        nchw = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
        add("depth_to_space", {"x": nchw, "y": F.pixel_shuffle(torch.from_numpy(nchw), block).numpy()},
            {"block_size": block, "data_format": "NCHW", "mode": "CRD"})
        z = rng.standard_normal((shape[0], shape[1] * block, shape[2] * block, 3)).astype(np.float32)
        add("space_to_depth", {"x": z, "y": tf.nn.space_to_depth(z, block).numpy()},
            {"block_size": block, "data_format": "NHWC"})


if __name__ == "__main__":
    torch.set_num_threads(1)
    torch_cases()
    keras_cases()
    shuffle_cases()
    np.savez_compressed(OUT, cases=np.array(json.dumps(cases)), **arrays)
    counts = {}
    for case in cases:
        counts[case["op"]] = counts.get(case["op"], 0) + 1
    print(f"{OUT}: {len(cases)} cases, {OUT.stat().st_size} bytes; {counts}")
