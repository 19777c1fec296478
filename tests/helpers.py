"""Helpers shared by the command-line tests."""

from pathlib import Path

import numpy as np
import tifffile
from PIL import Image


def pixels(path):
    """The array of a file as Pillow (2-D) or tifffile (stacks) reads it."""
    if Path(path).suffix in (".tif", ".tiff"):
        return tifffile.imread(path)
    with Image.open(path) as im:
        return np.asarray(im)
