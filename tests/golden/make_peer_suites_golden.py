"""Write the golden files of the calls the peers' own test suites use beyond ``resize``.

OpenCV ``INTER_LINEAR_EXACT``, Pillow ``Image.reduce`` and ``resize(..., reducing_gap=...)``,
Keras ``UpSampling1D``, TensorFlow ``resize_with_pad`` and ``ScaleAndTranslate`` (with
translation, every kernel type, with and without antialias). Run with the dev virtualenv::

    python tests/golden/make_peer_suites_golden.py [opencv] [pillow] [tf]

(all by default; ``tf`` needs tensorflow-cpu, which brings Keras). Each writes
``tests/golden/<library>_peers.npz`` in the format of ``make_conventions_golden.py``; an error
the library raised is recorded by name.
"""

from __future__ import annotations

import sys

import numpy as np

from make_conventions_golden import HERE, KINDS, SEED, Writer, _quiet_tensorflow, pick_sizes, pil_image, random_image

CV_FACTORS = [0.5, 2.0, 1 / 3, 3.0, 1.5, 0.7, 1.25, 0.25, 0.45, 2.5]


def make_opencv(per_dtype=60):
    import cv2

    rng = np.random.default_rng(SEED + 10)
    w = Writer("opencv-python-headless", cv2.__version__)
    for dtype in ("uint8", "uint16", "float32"):
        made = 0
        while made < per_dtype:
            h, wd, oh, ow = pick_sizes(rng, KINDS[made % len(KINDS)])
            cn = int(rng.choice([0, 1, 2, 3, 4, 5]))
            shape = (h, wd) if cn == 0 else (h, wd, cn)
            if made % 10 == 9:  # an exact 2x shrink: INTER_AREA, except for 2 channels
                shape = (2 * oh, 2 * ow) + shape[2:]
            x = random_image(rng, shape, dtype)
            if made % 4 == 3:
                fx, fy = (float(rng.choice(CV_FACTORS)) for _ in range(2))
                try:
                    out = cv2.resize(x, None, fx=fx, fy=fy, interpolation=cv2.INTER_LINEAR_EXACT)
                except cv2.error:  # an empty output
                    continue
                kwargs = {"dsize": None, "fx": fx, "fy": fy, "interpolation": "linear-exact"}
                name = f"linear-exact-{dtype}-{'x'.join(map(str, shape))}-fx{fx:.3g}-fy{fy:.3g}"
            else:
                out = cv2.resize(x, (ow, oh), interpolation=cv2.INTER_LINEAR_EXACT)
                kwargs = {"dsize": [ow, oh], "interpolation": "linear-exact"}
                name = f"linear-exact-{dtype}-{'x'.join(map(str, shape))}-to-{ow}x{oh}"
            w.add(name, "cv2_resize", kwargs, x, out)
            made += 1
    w.save(HERE / "opencv_peers.npz")


PIL_IMAGES = [("uint8", 0), ("uint8", 2), ("uint8", 3), ("uint8", 4), ("int32", 0), ("float32", 0), ("uint16", 0)]
PIL_FILTERS = {"box": 4, "bilinear": 2, "hamming": 5, "bicubic": 3, "lanczos": 1, "nearest": 0}


def make_pillow(reduces=140, gaps=140):
    import PIL
    from PIL import Image

    rng = np.random.default_rng(SEED + 11)
    w = Writer("Pillow", PIL.__version__)
    for i in range(reduces):
        dtype, channels = PIL_IMAGES[i % len(PIL_IMAGES)]
        h, wd = (int(v) for v in rng.integers(1, 40, 2))
        shape = (h, wd) if channels == 0 else (h, wd, channels)
        x = pil_image(rng, shape, dtype, channels)
        factor = [int(v) for v in rng.integers(1, 7, 2)] if i % 3 else int(rng.integers(1, 7))
        box = None
        if i % 4 == 1:
            x0, y0 = int(rng.integers(0, wd)), int(rng.integers(0, h))
            box = [x0, y0, int(rng.integers(x0 + 1, wd + 1)), int(rng.integers(y0 + 1, h + 1))]
        name = f"reduce-{dtype}{'' if channels == 0 else f'x{channels}'}-{h}x{wd}-by-{factor}" + ("-box" if box else "")
        kwargs = {"factor": factor, "box": box}
        try:
            out = np.asarray(Image.fromarray(x).reduce(tuple(factor) if isinstance(factor, list) else factor, box))
        except ValueError:  # I;16 cannot be reduced
            w.add(name, "pil_reduce", kwargs, x, error="ValueError")
            continue
        w.add(name, "pil_reduce", kwargs, x, out)
    for i in range(gaps):
        dtype, channels = PIL_IMAGES[i % len(PIL_IMAGES)]
        resample = list(PIL_FILTERS)[i % len(PIL_FILTERS)]
        h, wd = (int(v) for v in rng.integers(8, 64, 2))
        oh, ow = (int(v) for v in rng.integers(1, 20, 2))
        shape = (h, wd) if channels == 0 else (h, wd, channels)
        x = pil_image(rng, shape, dtype, channels)
        gap = float(rng.choice([1.0, 1.5, 2.0, 2.5, 3.0]))
        box = None
        if i % 3 == 2:
            x0, x1 = sorted(rng.uniform(0, wd, 2))
            y0, y1 = sorted(rng.uniform(0, h, 2))
            box = [round(float(v), 3) for v in (x0, y0, x1, y1)]
        kwargs = {"size": [ow, oh], "resample": resample, "box": box, "reducing_gap": gap}
        name = f"gap{gap}-{resample}-{dtype}{'' if channels == 0 else f'x{channels}'}-{h}x{wd}-to-{ow}x{oh}"
        name += "-box" if box else ""
        try:
            out = np.asarray(Image.fromarray(x).resize((ow, oh), PIL_FILTERS[resample], box=box, reducing_gap=gap))
        except ValueError:  # I;16 cannot be reduced
            w.add(name, "pil_resize", kwargs, x, error="ValueError")
            continue
        w.add(name, "pil_resize", kwargs, x, out)
    w.save(HERE / "pillow_peers.npz")


TF_METHODS = ["bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5", "gaussian", "mitchellcubic"]
TF_KERNELS = ["lanczos1", "lanczos3", "lanczos5", "gaussian", "box", "triangle", "keyscubic", "mitchellcubic"]
TF_SCALES = [0.25, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0]


def make_tf(pads=80, per_kernel=16, upsampling=30):
    _quiet_tensorflow()
    import keras
    import tensorflow as tf

    rng = np.random.default_rng(SEED + 12)
    w = Writer("tensorflow-cpu", tf.__version__)
    for i in range(pads):
        method, antialias = TF_METHODS[i % len(TF_METHODS)], bool(i % 16 >= 8)
        dtype = ["float32", "uint8", "float64", "uint16"][i % 4]
        h, wd = (int(v) for v in rng.integers(1, 30, 2))
        th, tw = (int(v) for v in rng.integers(1, 30, 2))
        c = int(rng.integers(1, 4))
        shape = (h, wd, c) if i % 3 else (2, h, wd, c)
        x = random_image(rng, shape, dtype)
        kwargs = {"target_height": th, "target_width": tw, "method": method, "antialias": antialias}
        name = f"pad-{method}{'-aa' if antialias else ''}-{dtype}-{'x'.join(map(str, shape))}-to-{th}x{tw}"
        try:
            out = tf.image.resize_with_pad(x, th, tw, method=method, antialias=antialias).numpy()
        except (tf.errors.InvalidArgumentError, ValueError) as e:  # a side resized to 0
            w.add(name, "tf_resize_with_pad", kwargs, x, error=type(e).__name__)
            continue
        w.add(name, "tf_resize_with_pad", kwargs, x, out)
    for kernel in TF_KERNELS:
        for i in range(per_kernel):
            antialias = bool(i % 2)
            dtype = ["float32", "uint8", "float64"][i % 3]
            b, c = int(rng.integers(1, 3)), int(rng.integers(1, 4))
            h, wd, oh, ow = pick_sizes(rng, KINDS[i % len(KINDS)], max_in=24, max_out=24)
            x = random_image(rng, (b, h, wd, c), dtype)
            scale = [float(rng.choice(TF_SCALES)) if i % 4 else oh / h, float(rng.choice(TF_SCALES))]
            translation = [round(float(rng.uniform(-6, 6)), 3) if i % 3 else 0.0, round(float(rng.uniform(-6, 6)), 3)]
            out = tf.raw_ops.ScaleAndTranslate(images=x, size=[oh, ow], scale=scale, translation=translation,
                                               kernel_type=kernel, antialias=antialias).numpy()
            kwargs = {"size": [oh, ow], "scale": scale, "translation": translation, "kernel_type": kernel,
                      "antialias": antialias}
            name = f"sat-{kernel}{'-aa' if antialias else ''}-{dtype}-{b}x{h}x{wd}x{c}-to-{oh}x{ow}"
            w.add(name, "tf_scale_and_translate", kwargs, x, out)
    for i in range(upsampling):
        dtype = ["uint8", "float32", "float64", "uint16", "float16", "int32"][i % 6]
        shape = (int(rng.integers(1, 3)), int(rng.integers(1, 12)), int(rng.integers(1, 4)))
        size = int(rng.integers(1, 5))
        x = random_image(rng, shape, dtype) if dtype != "int32" else rng.integers(-1000, 1000, shape, dtype=np.int32)
        out = np.asarray(keras.layers.UpSampling1D(size)(x))
        w.add(f"1d-{dtype}-{'x'.join(map(str, shape))}-by-{size}", "keras_upsampling1d", {"size": size}, x, out)
    w.save(HERE / "tf_peers.npz")


MAKERS = {"opencv": make_opencv, "pillow": make_pillow, "tf": make_tf}


if __name__ == "__main__":
    for library in sys.argv[1:] or list(MAKERS):
        MAKERS[library]()
