"""The calls the peers' own test suites use beyond ``resize``, against the libraries.

``tests/golden/<library>_peers.npz`` (written by ``tests/golden/make_peer_suites_golden.py``)
holds OpenCV ``INTER_LINEAR_EXACT``, Pillow ``reduce`` and ``reducing_gap``, Keras
``UpSampling1D`` and TensorFlow ``resize_with_pad`` and ``ScaleAndTranslate``. Integer results
must be bit-exact, float ones within 1e-5 of ``max(1, max |output|)``; where the library
raised, the twin raises a ValueError or TypeError.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from upsample_cli import compat

FILES = sorted((Path(__file__).parent / "golden").glob("*_peers.npz"))
GOLDEN = {path.stem: np.load(path) for path in FILES}
CASES = [(stem, k, case) for stem, data in GOLDEN.items() for k, case in enumerate(json.loads(str(data["meta"])))]


@pytest.mark.parametrize("stem,k,case", CASES, ids=[f"{s}-{k:04d}-{c['name']}" for s, k, c in CASES])
def test_matches_the_library(stem, k, case):
    data = GOLDEN[stem]
    twin = getattr(compat, case["function"])
    x = data[f"c{k:04d}_in"]
    if case["error"]:
        with pytest.raises((ValueError, TypeError)):
            twin(x, **case["kwargs"])
        return
    expected = data[f"c{k:04d}_out"]
    got = twin(x, **case["kwargs"])
    assert (got.shape, got.dtype) == (expected.shape, expected.dtype)
    if expected.dtype.kind == "f":
        scale = max(1.0, float(np.abs(expected).max(initial=0)))
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-5 * scale)
    else:
        np.testing.assert_array_equal(got, expected)


def test_every_peer_call_has_golden_cases():
    made = {case["function"] for _, _, case in CASES}
    assert made >= {"cv2_resize", "pil_reduce", "pil_resize", "keras_upsampling1d", "tf_resize_with_pad",
                    "tf_scale_and_translate"}
