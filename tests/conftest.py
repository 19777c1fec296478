"""Test set-up: CUDA tests run on Numba's simulator unless UPSAMPLE_TEST_GPU=1 asks for a real GPU.

The variable must be set before Numba is imported, hence here.
"""

import os

if os.environ.get("UPSAMPLE_TEST_GPU") != "1":
    os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")
