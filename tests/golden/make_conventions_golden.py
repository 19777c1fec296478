"""Write the golden files of the conventions: what the real libraries return.

Run with the dev virtualenv (opencv-python-headless, Pillow, tensorflow-cpu, keras installed)::

    python tests/golden/make_conventions_golden.py [opencv] [pillow] [tf] [keras]

(all four by default). Each library gets ``tests/golden/<library>.npz`` holding, for case ``k``:

``c{k:04d}_in``
    The input array.
``c{k:04d}_out``
    The library's output, as a NumPy array (absent when the library raised).

and ``meta``, a JSON list with one object per case: ``name`` (a readable id), ``function`` (the
``upsample_cli.compat`` function that twins the call), ``kwargs`` (its keyword arguments
besides the array), ``dtype`` (of the input), ``error`` (the exception the library raised, or
null) and ``library`` (name and version).

The libraries are needed only here; the tests read the files with NumPy alone.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
SEED = 20250101


def random_image(rng, shape, dtype):
    """Random samples over the dtype's range; floats in [-0.25, 1.25) (so results can be negative)."""
    dtype = np.dtype(dtype)
    if dtype == np.uint8:
        return rng.integers(0, 256, shape, dtype=np.uint8)
    if dtype == np.uint16:
        return rng.integers(0, 65536, shape, dtype=np.uint16)
    return (rng.random(shape) * 1.5 - 0.25).astype(dtype)


def pick_sizes(rng, kind, max_in=40, max_out=40):
    """``(h, w, out_h, out_w)`` of a given kind: up, down, mixed, odd or one-pixel."""
    if kind == "up":
        h, w = rng.integers(1, 16, 2)
        return int(h), int(w), int(rng.integers(h + 1, max_out + 1)), int(rng.integers(w + 1, max_out + 1))
    if kind == "down":
        h, w = rng.integers(4, max_in + 1, 2)
        return int(h), int(w), int(rng.integers(1, h)), int(rng.integers(1, w))
    if kind == "one":  # a 1-pixel output or a 1-pixel input on some axis
        h, w = (int(v) for v in rng.integers(1, max_in + 1, 2))
        oh, ow = (int(v) for v in rng.integers(1, max_out + 1, 2))
        which = rng.integers(0, 4)
        if which == 0:
            oh = 1
        elif which == 1:
            ow = 1
        elif which == 2:
            h = 1
        else:
            oh = ow = 1
        return h, w, oh, ow
    if kind == "odd":
        h, w, oh, ow = (int(v) * 2 + 1 for v in rng.integers(0, 20, 4))
        return h, w, oh, ow
    h, w = rng.integers(1, max_in + 1, 2)
    oh, ow = rng.integers(1, max_out + 1, 2)
    return int(h), int(w), int(oh), int(ow)


KINDS = ["up", "down", "mixed", "odd", "one"]


class Writer:
    def __init__(self, library: str, version: str):
        self.library = f"{library} {version}"
        self.arrays = {}
        self.meta = []

    def add(self, name, function, kwargs, x, out=None, error=None):
        k = len(self.meta)
        self.arrays[f"c{k:04d}_in"] = x
        if error is None:
            self.arrays[f"c{k:04d}_out"] = np.asarray(out)
        self.meta.append({"name": name, "function": function, "kwargs": kwargs,
                          "dtype": str(x.dtype), "error": error, "library": self.library})

    def save(self, path: Path):
        np.savez_compressed(path, meta=json.dumps(self.meta), **self.arrays)
        print(f"{path}: {len(self.meta)} cases, {path.stat().st_size / 1e6:.2f} MB")


# --- OpenCV ------------------------------------------------------------------------------

CV_FLAGS = {"nearest": 0, "nearest-exact": 6, "linear": 1, "cubic": 2, "area": 3, "lanczos4": 4}
CV_FACTORS = [0.5, 2.0, 1 / 3, 3.0, 1.5, 0.7, 1.25, 0.25, 0.45, 2.5]


def make_opencv(per_combo=30):
    import cv2

    rng = np.random.default_rng(SEED)
    w = Writer("opencv-python-headless", cv2.__version__)
    for mode, flag in CV_FLAGS.items():
        for dtype in ("uint8", "uint16", "float32"):
            made = 0
            while made < per_combo:
                kind = KINDS[made % len(KINDS)]
                h, wd, oh, ow = pick_sizes(rng, kind)
                cn = int(rng.choice([0, 1, 2, 3, 4, 5]))  # 0: a 2-D array
                shape = (h, wd) if cn == 0 else (h, wd, cn)
                x = random_image(rng, shape, dtype)
                if made % 4 == 3:  # fx / fy instead of dsize
                    fx, fy = (float(rng.choice(CV_FACTORS)) for _ in range(2))
                    kwargs = {"dsize": None, "fx": fx, "fy": fy, "interpolation": mode}
                    try:
                        out = cv2.resize(x, None, fx=fx, fy=fy, interpolation=flag)
                    except cv2.error:
                        continue
                    name = f"{mode}-{dtype}-{'x'.join(map(str, shape))}-fx{fx:.3g}-fy{fy:.3g}"
                else:
                    kwargs = {"dsize": [ow, oh], "interpolation": mode}
                    name = f"{mode}-{dtype}-{'x'.join(map(str, shape))}-to-{ow}x{oh}"
                    try:
                        out = cv2.resize(x, (ow, oh), interpolation=flag)
                    except cv2.error:  # INTER_AREA shrinking more than 4 channels
                        w.add(name, "cv2_resize", kwargs, x, error="cv2.error")
                        made += 1
                        continue
                w.add(name, "cv2_resize", kwargs, x, out)
                made += 1
    w.save(HERE / "opencv.npz")


# --- Pillow ------------------------------------------------------------------------------

PIL_RESAMPLE = {"nearest": 0, "box": 4, "bilinear": 2, "hamming": 5, "bicubic": 3, "lanczos": 1}
# (dtype, channels, share of the cases); channels 0 is a 2-D array
PIL_IMAGES = [("uint8", 0, 10), ("uint8", 2, 4), ("uint8", 3, 8), ("uint8", 4, 9), ("uint16", 0, 9),
              ("float32", 0, 9), ("int32", 0, 6)]


def pil_image(rng, shape, dtype, channels):
    if dtype == "int32":
        return rng.integers(-100000, 100000, shape, dtype=np.int32)
    x = random_image(rng, shape, dtype)
    if channels == 4:  # alpha 0, 255 and everything between
        x[..., 3] = rng.choice([0, 255, 1, 128, 200, 7], size=shape[:2])
    return x


def make_pillow():
    import PIL
    from PIL import Image

    rng = np.random.default_rng(SEED + 1)
    w = Writer("Pillow", PIL.__version__)
    for name, resample in PIL_RESAMPLE.items():
        made = 0
        for dtype, channels, count in PIL_IMAGES:
            for i in range(count):
                kind = KINDS[(made + i) % len(KINDS)]
                h, wd, oh, ow = pick_sizes(rng, kind)
                shape = (h, wd) if channels == 0 else (h, wd, channels)
                x = pil_image(rng, shape, dtype, channels)
                box = None
                if i % 3 == 2:  # a sub-rectangle in float pixels
                    x0, x1 = sorted(rng.uniform(0, wd, 2))
                    y0, y1 = sorted(rng.uniform(0, h, 2))
                    box = [round(float(v), 3) for v in (x0, y0, x1, y1)]
                out = np.asarray(Image.fromarray(x).resize((ow, oh), resample, box=box))
                kwargs = {"size": [ow, oh], "resample": name, "box": box}
                label = f"{name}-{dtype}{'' if channels == 0 else f'x{channels}'}-{h}x{wd}-to-{ow}x{oh}"
                label += "-box" if box else ""
                w.add(label, "pil_resize", kwargs, x, out)
            made += count
    w.save(HERE / "pillow.npz")


# --- TensorFlow and Keras ----------------------------------------------------------------

TF_METHODS = ["bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5", "gaussian", "mitchellcubic"]
TF_DTYPES = ["uint8", "float32", "float64", "uint16"]


def _quiet_tensorflow():
    import os
    import tempfile

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ["KERAS_HOME"] = tempfile.mkdtemp()  # data_format=None: Keras's default, channels_last


def make_tf(per_combo=25):
    _quiet_tensorflow()
    import tensorflow as tf

    rng = np.random.default_rng(SEED + 2)
    w = Writer("tensorflow-cpu", tf.__version__)
    for method in TF_METHODS:
        for antialias in (False, True):
            for i in range(per_combo):
                dtype = TF_DTYPES[i % len(TF_DTYPES)]
                kind = KINDS[i % len(KINDS)]
                h, wd, oh, ow = pick_sizes(rng, kind, max_in=32, max_out=32)
                channels = int(rng.integers(1, 5))
                shape = (h, wd, channels) if i % 4 else (2, h, wd, channels)
                x = random_image(rng, shape, dtype)
                preserve = i % 7 == 6
                kwargs = {"size": [oh, ow], "method": method, "preserve_aspect_ratio": preserve, "antialias": antialias}
                name = f"{method}{'-aa' if antialias else ''}-{dtype}-{'x'.join(map(str, shape))}-to-{oh}x{ow}" + (
                    "-keep-aspect" if preserve else "")
                try:
                    out = tf.image.resize(x, (oh, ow), method=method, preserve_aspect_ratio=preserve,
                                          antialias=antialias).numpy()
                except tf.errors.InvalidArgumentError:  # a kept aspect ratio that rounds a side to 0
                    w.add(name, "tf_resize", kwargs, x, error="InvalidArgumentError")
                    continue
                w.add(name, "tf_resize", kwargs, x, out)
    w.save(HERE / "tf.npz")


KERAS_2D = ["nearest", "bilinear", "bicubic", "lanczos3", "lanczos5", "area"]
KERAS_DTYPES = ["uint8", "float32", "float64", "uint16", "float16"]


def make_keras(per_combo=50, volumes=40):
    _quiet_tensorflow()
    import keras

    rng = np.random.default_rng(SEED + 3)
    w = Writer("keras", keras.__version__)
    for interpolation in KERAS_2D:
        for i in range(per_combo):
            dtype = KERAS_DTYPES[i % len(KERAS_DTYPES)]
            data_format = [None, "channels_last", "channels_first"][i % 3]
            b, h, wd, c = int(rng.integers(1, 3)), *(int(v) for v in rng.integers(1, 13, 2)), int(rng.integers(1, 4))
            size = [int(v) for v in rng.integers(1, 4, 2)] if i % 5 else int(rng.integers(1, 4))
            shape = (b, c, h, wd) if data_format == "channels_first" else (b, h, wd, c)
            x = random_image(rng, shape, dtype)
            layer = keras.layers.UpSampling2D(size, data_format=data_format, interpolation=interpolation)
            out = np.asarray(layer(x))
            kwargs = {"size": size, "data_format": data_format, "interpolation": interpolation}
            w.add(f"2d-{interpolation}-{dtype}-{data_format}-{'x'.join(map(str, shape))}-by-{size}",
                  "keras_upsampling2d", kwargs, x, out)
    for i in range(volumes):
        dtype = KERAS_DTYPES[i % len(KERAS_DTYPES)]
        data_format = [None, "channels_last", "channels_first"][i % 3]
        b, c = int(rng.integers(1, 3)), int(rng.integers(1, 4))
        d1, d2, d3 = (int(v) for v in rng.integers(1, 7, 3))
        size = [int(v) for v in rng.integers(1, 4, 3)] if i % 4 else int(rng.integers(1, 4))
        shape = (b, c, d1, d2, d3) if data_format == "channels_first" else (b, d1, d2, d3, c)
        x = random_image(rng, shape, dtype)
        out = np.asarray(keras.layers.UpSampling3D(size, data_format=data_format)(x))
        kwargs = {"size": size, "data_format": data_format}
        w.add(f"3d-{dtype}-{data_format}-{'x'.join(map(str, shape))}-by-{size}", "keras_upsampling3d", kwargs, x, out)
    w.save(HERE / "keras.npz")


MAKERS = {"opencv": make_opencv, "pillow": make_pillow, "tf": make_tf, "keras": make_keras}


if __name__ == "__main__":
    for library in sys.argv[1:] or list(MAKERS):
        MAKERS[library]()
