"""Every mode and convention ``upsample`` knows, as data: the one place that names them.

The command line (``--mode``, ``--convention``, ``upsample modes``), :mod:`upsample_cli.api`
(which ranks a torch mode accepts), the file pipeline (:mod:`upsample_cli.pipeline`: how a mode
treats palettes, alpha and stacks) and ``upsample info`` read this table. Each entry has a twin
that computes it: a torch mode its taps rule in :data:`upsample_cli.api.MODES`, a convention its
library's function in :mod:`upsample_cli.compat` and its file-level resizer, named here as
``"module:attribute"`` and imported only when a file is resized. Adding a mode or a convention
touches this table and its twin, nothing else.

No NumPy here, so that ``upsample --help`` and ``upsample modes`` start at once.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Dict, Optional, Tuple

# What a mode does with pixels: copies them (palettes kept, alpha needs no premultiplying),
# averages the area under the output pixel, or interpolates between them.
NEAREST, AREA, INTERPOLATING = "nearest", "area", "interpolating"
# The dtypes the engine computes in; the file pipeline brings other pixel types to these.
ENGINE_DTYPES = ("uint8", "uint16", "float16", "float32", "float64")


@dataclass(frozen=True)
class ModeSpec:
    """One mode of one convention.

    ``ranks``: the spatial ranks the library call accepts (torch: 1 to 3; other libraries: 2).
    ``dtypes``: the pixel types it takes as they are; None where the library converts any number.
    ``in_plane`` / ``in_volume``: the mode used on a file when its depth is kept (each slice, and
    every 2-D image) / when a stack's depth changes; None when the mode cannot, with ``refusal``
    saying what to do instead. ``images``: False for a mode of stacks only.
    """

    name: str
    help: str
    ranks: Tuple[int, ...] = (1, 2, 3)
    nature: str = INTERPOLATING
    dtypes: Optional[Tuple[str, ...]] = ENGINE_DTYPES
    in_plane: Optional[str] = None
    in_volume: Optional[str] = None
    images: bool = True
    refusal: str = ""

    @property
    def copies_pixels(self) -> bool:
        return self.nature == NEAREST

    @property
    def interpolating(self) -> bool:
        return self.nature == INTERPOLATING

    def plane_mode(self) -> str:
        return self.in_plane or self.name

    def volume_mode(self) -> Optional[str]:
        return self.in_volume or (self.name if 3 in self.ranks else None)


@dataclass(frozen=True)
class ConventionSpec:
    """A library whose numbers ``upsample resize --convention NAME`` reproduces.

    ``resizer``: the file-level resizer, ``"module:attribute"`` (imported when first used).
    ``antialias``: ``"option"`` (``--antialias`` passed on), ``"always"`` or ``"none"``.
    ``torch_options``: whether ``--align-corners`` and ``--straight-alpha`` apply.
    ``twin``: the library call reproduced, ``"module:function"``.
    """

    name: str
    library: str
    default: str
    modes: Dict[str, ModeSpec]
    resizer: str
    twin: str
    antialias: str = "none"
    torch_options: bool = False
    slices: bool = True  # resizes each 2-D image of a file; the depth of a stack is kept
    notes: Tuple[str, ...] = field(default=())

    def mode(self, name: Optional[str]) -> ModeSpec:
        """The mode called ``name`` (None: the default); ValueError listing the modes."""
        if name is None:
            name = self.default
        if name not in self.modes:
            raise ValueError(f"{name!r} is not a {self.name} mode; {self.name} modes: {', '.join(self.modes)}")
        return self.modes[name]


def _modes(*specs: ModeSpec) -> Dict[str, ModeSpec]:
    return {spec.name: spec for spec in specs}


def _library_modes(dtypes, *entries) -> Dict[str, ModeSpec]:
    """2-D modes of a library: ``(name, nature, help)`` each, all with the library's dtypes."""
    return _modes(*(ModeSpec(name, text, (2,), nature, dtypes) for name, nature, text in entries))


_TO_2D = "use linear or bilinear for a 2-D image"

TORCH = ConventionSpec(
    "torch", "torch.nn.functional.interpolate", "linear",
    _modes(
        ModeSpec("nearest", "the pixel at floor(i * in / out), torch's legacy rule", nature=NEAREST),
        ModeSpec("nearest-exact", "the pixel under the output pixel's centre", nature=NEAREST),
        ModeSpec("linear", "bilinear on images, trilinear on stacks (the default)", (1,),
                 in_plane="bilinear", in_volume="trilinear"),
        ModeSpec("bilinear", "bilinear, half-pixel centres; --antialias widens it when shrinking", (2,),
                 refusal="resizes each slice of a stack in-plane and keeps its depth; give W,H only, or use "
                 "trilinear (or bicubic, lanczos, area, nearest) to resize the depth too"),
        ModeSpec("bicubic", "Keys cubic, A = -0.75; --antialias uses Pillow's scheme (A = -0.5)"),
        ModeSpec("trilinear", "linear on all three axes of a stack", (3,), in_plane="bilinear", images=False,
                 refusal=f"resizes 3-D stacks; {_TO_2D}"),
        ModeSpec("area", "adaptive average pooling", nature=AREA),
        ModeSpec("lanczos", "Lanczos-3, widened when shrinking with --antialias"),
    ),
    resizer="upsample_cli.resize:TORCH",
    twin="upsample_cli.api:interpolate",
    antialias="option",
    torch_options=True,
    slices=False,
)

_TF_DTYPES = None  # tf.image.resize computes any number in float32
TF = ConventionSpec(
    "tf", "tf.image.resize (TensorFlow 2)", "bilinear",
    _library_modes(
        _TF_DTYPES,
        ("bilinear", INTERPOLATING, "bilinear, half-pixel centres (the default); with antialias, a widened triangle"),
        ("nearest", NEAREST, "nearest neighbour, half-pixel centres; keeps the input dtype"),
        ("bicubic", INTERPOLATING, "Keys cubic a = -0.5, edge taps dropped; with antialias, widened"),
        ("area", AREA, "each input pixel weighs its overlap with the output pixel"),
        ("lanczos3", INTERPOLATING, "Lanczos-3 (ScaleAndTranslate), widened when shrinking with antialias"),
        ("lanczos5", INTERPOLATING, "Lanczos-5 (ScaleAndTranslate), widened when shrinking with antialias"),
        ("gaussian", INTERPOLATING, "Gaussian, radius 1.5, sigma 0.5 (ScaleAndTranslate)"),
        ("mitchellcubic", INTERPOLATING, "Mitchell-Netravali cubic, B = C = 1/3 (ScaleAndTranslate)"),
    ),
    resizer="upsample_cli.conventions:TF",
    twin="upsample_cli.compat.tensorflow:tf_resize",
    antialias="option",
)

_KERAS_DTYPES = ("uint8", "uint16", "int16", "int32", "float16", "float32", "float64")
KERAS = ConventionSpec(
    "keras", "keras.layers.UpSampling2D (Keras 3)", "nearest",
    _library_modes(
        _KERAS_DTYPES,
        ("nearest", NEAREST, "repeat each pixel (UpSampling2D's default)"),
        ("bilinear", INTERPOLATING, "tf.image.resize bilinear to the multiplied size"),
        ("bicubic", INTERPOLATING, "tf.image.resize bicubic to the multiplied size"),
        ("lanczos3", INTERPOLATING, "tf.image.resize lanczos3 to the multiplied size"),
        ("lanczos5", INTERPOLATING, "tf.image.resize lanczos5 to the multiplied size"),
        ("area", AREA, "tf.image.resize area to the multiplied size"),
    ),
    resizer="upsample_cli.conventions:KERAS",
    twin="upsample_cli.compat.tensorflow:keras_upsampling2d",
)

_PILLOW_DTYPES = ("uint8", "uint16", "int32", "float32")
PILLOW = ConventionSpec(
    "pillow", "PIL.Image.resize (Pillow)", "bicubic",
    _library_modes(
        _PILLOW_DTYPES,
        ("nearest", NEAREST, "NEAREST: the pixel under the output pixel's centre (accumulated coordinate)"),
        ("box", AREA, "BOX: each input pixel weighs its overlap with the output pixel"),
        ("bilinear", INTERPOLATING, "BILINEAR: triangle filter, widened when shrinking (antialiased)"),
        ("hamming", INTERPOLATING, "HAMMING: Hamming-windowed sinc on (-1, 1), widened when shrinking"),
        ("bicubic", INTERPOLATING, "BICUBIC: Keys cubic, a = -0.5, widened when shrinking (the default)"),
        ("lanczos", INTERPOLATING, "LANCZOS: Lanczos-3, widened when shrinking"),
    ),
    resizer="upsample_cli.conventions:PILLOW",
    twin="upsample_cli.compat.pillow:pil_resize",
    antialias="always",
)

_OPENCV_DTYPES = ("uint8", "uint16", "float32")
OPENCV = ConventionSpec(
    "opencv", "cv2.resize (OpenCV)", "linear",
    _library_modes(
        _OPENCV_DTYPES,
        ("nearest", NEAREST, "INTER_NEAREST: the pixel at floor(i * scale), OpenCV's historical rule"),
        ("nearest-exact", NEAREST, "INTER_NEAREST_EXACT: the pixel under the output pixel's centre (Pillow's rule)"),
        ("linear", INTERPOLATING, "INTER_LINEAR: bilinear, half-pixel centres, no antialiasing (the default)"),
        ("cubic", INTERPOLATING, "INTER_CUBIC: bicubic, A = -0.75, 4 x 4 taps"),
        ("area", AREA, "INTER_AREA: pixel-area average when shrinking, a linear variant when enlarging"),
        ("lanczos4", INTERPOLATING, "INTER_LANCZOS4: Lanczos with 8 x 8 taps"),
        ("linear-exact", INTERPOLATING, "INTER_LINEAR_EXACT: bilinear in fixed point, bit-exact on every platform"),
    ),
    resizer="upsample_cli.conventions:OPENCV",
    twin="upsample_cli.compat.opencv:cv2_resize",
)

CONVENTIONS: Dict[str, ConventionSpec] = {c.name: c for c in (TORCH, TF, KERAS, PILLOW, OPENCV)}
NAMES = tuple(CONVENTIONS)


def convention(name: str) -> ConventionSpec:
    """The convention called ``name``; ValueError listing them."""
    try:
        return CONVENTIONS[name]
    except KeyError:
        raise ValueError(f"unknown convention {name!r}; expected one of: {', '.join(NAMES)}") from None


def load(target: str):
    """The object named by ``"module:attribute"`` (a resizer or a twin), imported now."""
    module, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module), attribute)


def antialias_options() -> Tuple[str, ...]:
    """The conventions that take ``--antialias``."""
    return tuple(c.name for c in CONVENTIONS.values() if c.antialias == "option")


def mode_lines():
    """One line per mode of every convention, for ``upsample modes``."""
    width = max(len(m) for c in CONVENTIONS.values() for m in c.modes)
    for c in CONVENTIONS.values():
        for spec in c.modes.values():
            default = " (default)" if spec.name == c.default and "default" not in spec.help else ""
            yield f"{c.name:<7} {spec.name:<{width}}  {spec.help}{default}"


__all__ = [
    "AREA", "CONVENTIONS", "ENGINE_DTYPES", "INTERPOLATING", "NAMES", "NEAREST", "ConventionSpec", "ModeSpec",
    "antialias_options", "convention", "load", "mode_lines",
]
