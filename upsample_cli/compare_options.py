"""What ``upsample compare`` is asked to compare: its options, their parsing, and the methods they name.

A *method* is one mode of one convention. ``--modes`` takes common names, which every convention
resolves to its own (:data:`COMMON_NAMES`: OpenCV's ``cubic`` is the common ``bicubic``, Pillow's
``box`` the common ``area``, TensorFlow's ``lanczos3`` the common ``lanczos``), or a convention's
own names (``hamming`` for Pillow, ``lanczos5`` for TensorFlow). A name that a convention asked for
does not have is an error, raised before any file is read.

No NumPy here (``upsample --help`` loads none); the computing is in :mod:`upsample_cli.compare`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Tuple

import click

from . import registry
from .options import callback_of

DEFAULT_MODES = ("nearest", "bilinear", "bicubic", "lanczos", "area")
DEFAULT_CONVENTIONS = ("torch",)
# How the low-resolution image is made: a torch mode and its antialias flag ("none": IN is the low-resolution image).
DEGRADATIONS = {"bicubic-aa": ("bicubic", True), "area": ("area", False), "nearest": ("nearest", False), "none": None}
DEFAULT_DEGRADE = "bicubic-aa"

# A common mode name -> a convention's own name for it, where the two differ.
COMMON_NAMES = {
    "torch": {},
    "tf": {"lanczos": "lanczos3"},
    "keras": {"lanczos": "lanczos3"},
    "pillow": {"area": "box"},
    "opencv": {"bilinear": "linear", "bicubic": "cubic", "lanczos": "lanczos4"},
}


@dataclass(frozen=True)
class Method:
    """``name`` (as given to ``--modes``) run by ``convention`` as its mode ``mode``."""

    name: str
    convention: str
    mode: str

    @property
    def label(self) -> str:
        """``"bicubic (opencv cubic)"``; ``"bicubic (torch)"`` when the names agree."""
        own = f" {self.mode}" if self.mode != self.name else ""
        return f"{self.name} ({self.convention}{own})"


def library_mode(convention: str, name: str) -> str:
    """The mode of ``convention`` that the common or own name ``name`` means; ValueError if it has none."""
    spec = registry.convention(convention)
    if name in spec.modes:
        return name
    own = COMMON_NAMES[convention].get(name)
    if own is None:
        raise ValueError(f"{convention} has no mode {name!r}; its modes: {', '.join(spec.modes)}")
    return own


def methods(modes: Tuple[str, ...], conventions: Tuple[str, ...]) -> Tuple[Method, ...]:
    """Every mode under every convention, modes first; ValueError naming a mode a convention lacks."""
    return tuple(Method(m, c, library_mode(c, m)) for m in modes for c in conventions)


@dataclass(frozen=True)
class Crop:
    """A rectangle of IN in pixels: left, top, width, height."""

    x: int
    y: int
    width: int
    height: int

    def __str__(self) -> str:
        return f"--crop {self.x},{self.y},{self.width},{self.height}"


def parse_names(text: str) -> Tuple[str, ...]:
    """``"nearest, bicubic"`` -> ``("nearest", "bicubic")``: a comma-separated list, repeats dropped."""
    names = [n.strip().lower() for n in text.split(",") if n.strip()]
    if not names:
        raise ValueError(f"{text!r} names nothing; give a comma-separated list such as nearest,bicubic")
    return tuple(dict.fromkeys(names))


def parse_conventions(text: str) -> Tuple[str, ...]:
    names = parse_names(text)
    for name in names:
        registry.convention(name)
    return names


def parse_crop(text: str) -> Crop:
    """``"40,20,64,64"`` -> ``Crop(40, 20, 64, 64)``."""
    match = re.fullmatch(r"\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*", text)
    if not match:
        raise ValueError(f"{text!r} is not a crop; give X,Y,W,H in IN's pixels, e.g. 40,20,64,64")
    crop = Crop(*(int(g) for g in match.groups()))
    if crop.width < 1 or crop.height < 1:
        raise ValueError(f"{text!r}: the crop's width and height must be at least 1 pixel")
    return crop


COMPARE_OPTIONS = (
    click.option("--scale", type=click.IntRange(min=2), default=4, show_default=True, metavar="N",
                 help="The whole factor IN is shrunk by and enlarged back by (every resized axis)."),
    click.option("--modes", default=",".join(DEFAULT_MODES), show_default=True, metavar="M[,M...]",
                 callback=callback_of(parse_names),
                 help="Modes to compare: common names (nearest, bilinear, bicubic, lanczos, area), which each "
                 "convention maps to its own, or a convention's own names ('upsample modes' lists them)."),
    click.option("--conventions", default=",".join(DEFAULT_CONVENTIONS), show_default=True, metavar="C[,C...]",
                 callback=callback_of(parse_conventions),
                 help=f"Libraries whose numbers to use, among {', '.join(registry.NAMES)}; with two or more, "
                 "their results are also compared with each other, mode by mode."),
    click.option("--degrade", type=click.Choice(tuple(DEGRADATIONS)), default=DEFAULT_DEGRADE, show_default=True,
                 help="How the low-resolution image is made from IN (torch's modes; bicubic-aa is antialiased "
                 "bicubic, as super-resolution benchmarks make it). none: IN is the low-resolution image, "
                 "which is only enlarged (no reference, so no PSNR or SSIM)."),
    click.option("--crop", metavar="X,Y,W,H", callback=callback_of(parse_crop),
                 help="The detail shown on the sheet, in IN's pixels (default: the square of IN with the most "
                 "detail)."),
    click.option("-o", "--output", "sheet", metavar="SHEET.png", type=click.Path(dir_okay=False),
                 help="Draw the contact sheet as a PNG (one input file only)."),
    click.option("--json", "json_path", metavar="FILE.json", type=click.Path(dir_okay=False),
                 help="Write every number as JSON: per file and method, the summary, the agreement."),
    click.option("--csv", "csv_path", metavar="FILE.csv", type=click.Path(dir_okay=False),
                 help="Write one row per file and method: PSNR, SSIM, ringing, seconds."),
    click.option("-r", "--recursive", is_flag=True, help="Take the files of the subfolders of a folder IN too."),
    click.option("-q", "--quiet", is_flag=True, help="No progress bar."),
)


def compare_options(f):
    for option in reversed(COMPARE_OPTIONS):
        f = option(f)
    return f


__all__ = [
    "COMMON_NAMES", "COMPARE_OPTIONS", "Crop", "DEGRADATIONS", "DEFAULT_MODES", "Method", "compare_options",
    "library_mode", "methods", "parse_crop", "parse_names",
]
