"""Write ``tests/golden/torch.npz``: inputs and outputs of ``torch.nn.functional.interpolate``.

Run with the dev virtualenv (torch installed): ``python tests/golden/make_torch_golden.py``; it
also writes ``tests/golden/torch_half.npz``, the float16 cases compared bit for bit.

The file holds, for case ``k``:

``case{k:04d}_in``
    The input, always C-contiguous ``(N, C, *spatial)``; a channels-last case is rebuilt by
    :func:`channels_last` before the call.
``case{k:04d}_out``
    torch's output (absent for error cases).

and ``meta``, a JSON list with one object per case: ``name`` (a readable id), ``kwargs``
(the keyword arguments of ``interpolate`` besides the input), ``dtype``, ``channels_last``,
and ``error`` (the name of the exception torch raised, or null).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

SEED = 20240611
OUT = Path(__file__).with_name("torch.npz")
SCALES = [0.37, 0.5, 0.6, 1.0, 1.5, 1.7, 2, 2.3, 3, 4.0]
MAX_ELEMENTS = 2000  # per array, to keep the file small
CASES_PER_COMBO = 7
SPEC_KINDS = ["size_int", "size_tuple", "scale", "scale_tuple", "scale_rc", "scale_tuple_rc", "scale"]
MAX_SPATIAL = {1: 40, 2: 24, 3: 10}

# mode -> (spatial ranks, dtypes, align_corners choices, antialias choices), as torch accepts them
FLOATS = ["float32", "float64", "float16"]
ALL = FLOATS + ["uint8"]
MODES = {
    "nearest": ((1, 2, 3), ALL, [None], [False]),
    "nearest-exact": ((1, 2, 3), ALL, [None], [False]),
    "linear": ((1,), FLOATS, [None, False, True], [False]),
    "bilinear": ((2,), ALL, [None, False, True], [False, True]),
    "trilinear": ((3,), FLOATS, [None, False, True], [False]),
    "bicubic": ((2,), ALL, [None, False, True], [False, True]),
    "lanczos": ((2,), ["float32", "float64", "uint8"], [None, False], [True]),
    "area": ((1, 2, 3), FLOATS, [None], [False]),
}


def channels_last(x: np.ndarray) -> np.ndarray:
    """The same values as ``x`` (4-D or 5-D) with the channel axis innermost in memory."""
    perm = (0, *range(2, x.ndim), 1)
    return np.ascontiguousarray(x.transpose(perm)).transpose(np.argsort(perm))


def make_input(rng, shape, dtype, content):
    """Random normal floats or random 0..255 integers; ``content`` may ask for a constant or ramp."""
    if content == "constant":
        x = np.full(shape, 0.75 if dtype != "uint8" else 200.0)
    elif content == "ramp":
        x = np.arange(math.prod(shape), dtype=np.float64).reshape(shape)
        x = x * (255.0 / max(1, x.size - 1)) if dtype == "uint8" else x / max(1, x.size - 1) * 4 - 2
    elif dtype == "uint8":
        x = rng.integers(0, 256, shape)
    else:
        x = rng.standard_normal(shape)
    return x.astype(dtype)


def torch_call(x: np.ndarray, kwargs: dict) -> np.ndarray:
    out = F.interpolate(torch.from_numpy(x), **kwargs)
    return out.numpy()


def draw_case(rng, rank, kind):
    """Input spatial sizes and the size/scale arguments of one case (None when out of budget)."""
    nc = [(1, 1), (1, 2), (1, 3), (2, 1), (2, 3), (1, 4)][rng.integers(6)]
    spatial = [int(rng.integers(1, MAX_SPATIAL[rank] + 1)) for _ in range(rank)]
    spatial = [1 if rng.random() < 0.12 else n for n in spatial]
    kwargs = {}
    if kind.startswith("size"):
        out = [int(rng.integers(1, MAX_SPATIAL[rank] * 2 + 1)) for _ in range(rank)]
        out = [1 if rng.random() < 0.1 else n for n in out]
        if kind == "size_int":
            out = [out[0]] * rank
            kwargs["size"] = out[0]
        else:
            kwargs["size"] = out
    else:
        if kind.startswith("scale_tuple"):
            factors = [SCALES[rng.integers(len(SCALES))] for _ in range(rank)]
            kwargs["scale_factor"] = factors
        else:
            factors = [SCALES[rng.integers(len(SCALES))]] * rank
            kwargs["scale_factor"] = factors[0]
        if kind.endswith("_rc"):
            kwargs["recompute_scale_factor"] = True
        out = [int(n * f) for n, f in zip(spatial, factors)]
    if 0 in out or max(math.prod(spatial), math.prod(out)) * nc[0] * nc[1] > MAX_ELEMENTS:
        return None
    return (*nc, *spatial), kwargs


def valid_cases(rng):
    """Cases torch computes: every mode x rank x dtype x align_corners x antialias it accepts."""
    cases = []
    for mode, (ranks, dtypes, aligns, antialiases) in MODES.items():
        for rank in ranks:
            for dtype in dtypes:
                for align in aligns:
                    for aa in antialiases:
                        if aa and dtype == "float16":  # torch has no float16 antialias on CPU
                            continue
                        for i in range(CASES_PER_COMBO):
                            cases.append(one_valid_case(rng, mode, rank, dtype, align, aa, SPEC_KINDS[i]))
    # Empty batches and area's empty outputs, which torch allows; a 2-D nearest output of the
    # input's size from a scale factor of 1.05; and 2-D nearest outputs with height + width > 128,
    # for which torch runs another kernel (the random 2-D outputs above are all smaller).
    for mode, shape, dtype, cl, kwargs in [
        ("nearest", (0, 2, 4, 5), "float32", False, {"size": 3}),
        ("bilinear", (0, 1, 4, 5), "float32", False, {"scale_factor": 1.5}),
        ("area", (1, 2, 5, 5), "float32", False, {"scale_factor": 0.1}),
        ("area", (1, 2, 3, 4), "float64", False, {"size": (0, 2)}),
        ("area", (2, 1, 7), "float32", False, {"size": 0}),
        ("nearest", (1, 2, 5, 3), "float32", False, {"scale_factor": (1.5, 1.05)}),
        ("nearest", (1, 1, 3, 60), "float32", False, {"scale_factor": 2.3}),
        ("nearest", (1, 2, 2, 64), "uint8", True, {"scale_factor": (2.3, 2.3)}),
        ("nearest", (1, 1, 1, 56), "float64", False, {"scale_factor": (1.0, 2.3)}),
        ("nearest", (1, 2, 3, 50), "float64", True, {"scale_factor": 2.6}),
        ("nearest", (1, 1, 61, 2), "float16", False, {"scale_factor": (2.1, 1.7)}),
        ("nearest-exact", (1, 1, 2, 64), "float64", False, {"scale_factor": 2.3}),
        ("nearest-exact", (1, 1, 40, 2), "float64", True, {"scale_factor": (3.7, 2.3)}),
        ("nearest-exact", (1, 3, 2, 70), "uint8", False, {"size": (3, 127)}),
        # An axis whose output size is its input size under a scale factor other than 1: copied
        # by the linear kernels and the antialiased ones, interpolated by plain bicubic.
        ("linear", (1, 2, 3), "float32", False, {"scale_factor": 1.2}),
        ("bilinear", (1, 2, 10, 7), "float32", False, {"scale_factor": (1.048, 1.5)}),
        ("bilinear", (1, 2, 10, 7), "float64", True, {"scale_factor": (1.048, 1.5), "antialias": True}),
        ("bicubic", (1, 2, 10, 7), "float32", False, {"scale_factor": (1.048, 1.5)}),
        ("bicubic", (1, 2, 7, 10), "float32", False, {"scale_factor": (0.6, 1.048), "antialias": True}),
        ("trilinear", (1, 1, 6, 6, 6), "float32", False, {"scale_factor": 1.1}),
    ]:
        x = make_input(rng, shape, dtype, "random")
        kwargs = {"mode": mode, **kwargs}
        out = torch_call(channels_last(x) if cl else x, kwargs)
        cases.append(dict(x=x, kwargs=kwargs, channels_last=cl, out=out))
    return cases


def one_valid_case(rng, mode, rank, dtype, align, aa, kind):
    """One random case of a combination, redrawn until torch computes it correctly."""
    while True:
        drawn = draw_case(rng, rank, kind)
        if drawn is None:
            continue
        shape, kwargs = drawn
        kwargs = {"mode": mode, **kwargs}
        if align is not None:
            kwargs["align_corners"] = align
        if aa:
            kwargs["antialias"] = True
        content = ["random"] * 8 + ["constant", "ramp"]
        x = make_input(rng, shape, dtype, content[rng.integers(len(content))])
        cl = rank > 1 and rng.random() < 0.4
        try:
            out = torch_call(channels_last(x) if cl else x, kwargs)
        except RuntimeError as e:
            # A torch bug: some uint8 bicubic downscales with 3 channels fail an internal assert.
            if "INTERNAL ASSERT" in str(e):
                continue
            raise
        if aa and dtype != "uint8" and out.shape[-1] == 1 and out.shape[-2] > 1:
            # A torch bug: the float antialias kernels, resizing to width 1, repeat the first row.
            continue
        return dict(x=x, kwargs=kwargs, channels_last=cl, out=out)


def error_cases(rng):
    """Calls that torch refuses (and that the package must refuse too)."""
    x3 = make_input(rng, (1, 2, 6), "float32", "random")
    x4 = make_input(rng, (1, 2, 5, 6), "float32", "random")
    x5 = make_input(rng, (1, 1, 3, 4, 5), "float32", "random")
    nan, inf = float("nan"), float("inf")
    specs = [
        ("rank2", make_input(rng, (4, 5), "float32", "random"), {"size": 3}),
        ("rank2-bilinear", make_input(rng, (4, 5), "float32", "random"), {"size": 3, "mode": "bilinear"}),
        ("rank6", make_input(rng, (1, 1, 2, 2, 2, 2), "float32", "random"), {"size": 3}),
        ("rank6-area", make_input(rng, (1, 1, 2, 2, 2, 2), "float32", "random"), {"size": 3, "mode": "area"}),
        ("linear-4d", x4, {"size": 3, "mode": "linear"}),
        ("linear-5d", x5, {"size": 3, "mode": "linear"}),
        ("bilinear-3d", x3, {"size": 3, "mode": "bilinear"}),
        ("bilinear-5d", x5, {"size": 3, "mode": "bilinear"}),
        ("trilinear-3d", x3, {"size": 3, "mode": "trilinear"}),
        ("trilinear-4d", x4, {"scale_factor": 2.0, "mode": "trilinear"}),
        ("size-and-scale", x4, {"size": 3, "scale_factor": 2.0}),
        ("size-and-scale-bicubic", x4, {"size": (3, 4), "scale_factor": (2.0, 2.0), "mode": "bicubic"}),
        ("neither", x4, {}),
        ("neither-area", x3, {"mode": "area"}),
        ("nearest-align-true", x4, {"size": 3, "align_corners": True}),
        ("nearest-align-false", x3, {"size": 3, "align_corners": False}),
        ("nearest-exact-align", x4, {"size": 3, "mode": "nearest-exact", "align_corners": True}),
        ("area-align", x5, {"size": 2, "mode": "area", "align_corners": False}),
        ("nearest-aa", x4, {"size": 3, "antialias": True}),
        ("nearest-exact-aa", x4, {"size": 3, "mode": "nearest-exact", "antialias": True}),
        ("area-aa", x4, {"size": 3, "mode": "area", "antialias": True}),
        ("lanczos-align", x4, {"size": 3, "mode": "lanczos", "antialias": True, "align_corners": True}),
        ("scale-to-zero-nearest", x4, {"scale_factor": 0.1}),
        ("scale-to-zero-bilinear", x4, {"scale_factor": 0.15, "mode": "bilinear"}),
        ("scale-to-zero-bicubic-rc", x4, {"scale_factor": 0.1, "mode": "bicubic", "recompute_scale_factor": True}),
        ("scale-to-zero-linear", x3, {"scale_factor": (0.1,), "mode": "linear"}),
        ("scale-to-zero-axis", x5, {"scale_factor": (1.0, 2.0, 0.1), "mode": "trilinear"}),
        ("scale-zero", x4, {"scale_factor": 0.0}),
        ("scale-negative", x4, {"scale_factor": -2.0, "mode": "bilinear"}),
        ("scale-nan", x4, {"scale_factor": nan}),
        ("scale-nan-bilinear", x4, {"scale_factor": nan, "mode": "bilinear"}),
        ("scale-nan-rc", x4, {"scale_factor": nan, "recompute_scale_factor": True}),
        ("scale-inf", x4, {"scale_factor": inf}),
        ("scale-inf-rc", x3, {"scale_factor": inf, "mode": "linear", "recompute_scale_factor": True}),
        ("scale-nan-area", x4, {"scale_factor": nan, "mode": "area"}),
        ("size-fraction", x4, {"size": 2.5}),
        ("size-fraction-tuple", x4, {"size": (2.5, 3)}),
        ("size-bool", x4, {"size": True}),
        ("size-zero-bilinear", x4, {"size": 0, "mode": "bilinear"}),
        ("size-negative", x4, {"size": -1}),
        ("size-count", x4, {"size": (3, 4, 5)}),
        ("size-count-1d", x3, {"size": (3, 4), "mode": "linear"}),
        ("scale-count", x5, {"scale_factor": (2.0, 2.0), "mode": "trilinear"}),
        ("rc-with-size", x4, {"size": 3, "recompute_scale_factor": True}),
        ("rc-with-size-bicubic", x4, {"size": (3, 4), "mode": "bicubic", "recompute_scale_factor": True}),
        ("empty-channels", make_input(rng, (1, 0, 4, 4), "float32", "random"), {"size": 3}),
        ("empty-spatial", make_input(rng, (1, 2, 0, 4), "float32", "random"), {"size": 3}),
    ]
    cases = []
    for name, x, kwargs in specs:
        try:
            torch_call(x, kwargs)
        except Exception as e:  # noqa: BLE001 - recording whatever torch raised
            cases.append(dict(x=x, kwargs=kwargs, channels_last=False, error=type(e).__name__, name=name))
        else:
            raise AssertionError(f"torch accepted the error case {name}: {kwargs}")
    return cases


def case_name(case, k):
    if case.get("error"):
        return f"error-{case['name']}-case{k:04d}"
    kw, x = case["kwargs"], case["x"]
    parts = [kw["mode"], f"{x.ndim - 2}d", str(x.dtype)]
    if kw.get("align_corners"):
        parts.append("ac")
    if kw.get("antialias"):
        parts.append("aa")
    if case["channels_last"]:
        parts.append("cl")
    if kw.get("recompute_scale_factor"):
        parts.append("rc")
    return "-".join(parts + [f"case{k:04d}"])


# float16 cases, compared bit for bit (``torch_half.npz``, same layout as ``torch.npz``): every
# mode torch computes in float16 on CPU (it has no float16 antialias there), with 1 to 6 channels
# and some 2-D outputs whose height and width add up to more than 128, so that both of torch's
# bilinear kernels are met. area (adaptive average pooling, float32 sums in 1-D and 2-D, float16
# in 3-D) comes last, in both layouts for every rank, so the earlier cases stay as they were.
HALF_OUT = Path(__file__).with_name("torch_half.npz")
HALF_MODES = {
    "nearest": ((1, 2, 3), [None]),
    "nearest-exact": ((1, 2, 3), [None]),
    "linear": ((1,), [None, False, True]),
    "bilinear": ((2,), [None, False, True]),
    "bicubic": ((2,), [None, False, True]),
    "trilinear": ((3,), [None, False, True]),
    "area": ((1, 2, 3), [None]),
}
HALF_CASES_PER_COMBO = 12


def half_cases(rng):
    cases = []
    for mode, (ranks, aligns) in HALF_MODES.items():
        for rank in ranks:
            for align in aligns:
                for layout in (["first", "last"] if rank > 1 or mode == "area" else ["first"]):
                    for i in range(HALF_CASES_PER_COMBO):
                        while True:
                            n, c = int(rng.integers(1, 3)), int(rng.integers(1, 7))
                            spatial = [int(rng.integers(1, MAX_SPATIAL[rank] + 1)) for _ in range(rank)]
                            wide = rank == 2 and i % 4 == 3  # (height + width > 128)
                            top = 2 * MAX_SPATIAL[rank] + (100 if wide else 0)
                            kwargs = {"mode": mode}
                            if i % 2:
                                kwargs["size"] = [int(rng.integers(1 + (60 if wide else 0), top + 1)) for _ in range(rank)]
                                out = kwargs["size"]
                            else:
                                factors = [SCALES[rng.integers(len(SCALES))] for _ in range(rank)]
                                kwargs["scale_factor"] = factors
                                out = [int(s * f) for s, f in zip(spatial, factors)]
                            if align is not None:
                                kwargs["align_corners"] = align
                            elements = n * c * max(math.prod(spatial), math.prod(out))
                            if 0 not in out and elements <= MAX_ELEMENTS * (4 if wide else 1):
                                break
                        x = make_input(rng, (n, c, *spatial), "float16", "random")
                        cl = layout == "last"
                        cases.append(dict(x=x, kwargs=kwargs, channels_last=cl,
                                          out=torch_call(channels_last(x) if cl else x, kwargs)))
    # area to one sample per axis: torch takes the mean there (one float32 division), not its
    # pooling kernel; windows large enough that a float16 sum would drift.
    for rank in (1, 2, 3):
        for layout in ("first", "last"):
            x = make_input(rng, (1, 3, *[9, 11, 13][:rank]), "float16", "random")
            kwargs = {"mode": "area", "size": [1] * rank}
            cl = layout == "last"
            cases.append(dict(x=x, kwargs=kwargs, channels_last=cl,
                              out=torch_call(channels_last(x) if cl else x, kwargs)))
    return cases


def write(cases, path):
    arrays, meta = {}, []
    for k, case in enumerate(cases):
        arrays[f"case{k:04d}_in"] = case["x"]
        if "out" in case:
            arrays[f"case{k:04d}_out"] = np.ascontiguousarray(case["out"])
        meta.append(
            dict(
                name=case_name(case, k),
                kwargs=case["kwargs"],
                dtype=str(case["x"].dtype),
                channels_last=bool(case["channels_last"]),
                error=case.get("error"),
            )
        )
    arrays["meta"] = np.array(json.dumps(meta))
    np.savez_compressed(path, **arrays)
    n_err = sum(1 for m in meta if m["error"])
    print(f"{len(meta)} cases ({n_err} errors), torch {torch.__version__}, {path.stat().st_size / 1e6:.2f} MB")


def main_half():
    torch.set_num_threads(2)
    write(half_cases(np.random.default_rng(SEED + 16)), HALF_OUT)


def main():
    main_half()
    torch.set_num_threads(2)
    torch.manual_seed(SEED)
    rng = np.random.default_rng(SEED)
    write(valid_cases(rng) + error_cases(rng), OUT)


if __name__ == "__main__":
    main()
