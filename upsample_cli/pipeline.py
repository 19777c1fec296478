"""One file through ``upsample``: read, check the limits, resize with a convention, write atomically.

``upsample resize`` and every worker of ``upsample batch`` run :class:`FileResize`; nothing here
knows about Click. The steps common to every convention live here: palette images are expanded
unless the mode copies pixels, the output's pixel count is checked against the limit before any
pixel is decoded, and the metadata (resolutions, pixel sizes) is scaled by the scale each axis was
resized by. A physical target (``--spacing``, ``--isotropic``) is resolved here, from the file's
metadata, into sizes and exact factors (:mod:`upsample_cli.spacing`), and the output records
the spacing it asked for. What a convention does to the pixels is its file-level resizer, named in
:mod:`upsample_cli.registry`: an object with

- ``plan(image, settings) -> Plan``: the output shape and scales, from the header alone; ValueError
  or TypeError when the settings do not fit the image;
- ``resize(image, settings, plan) -> ndarray``: the output pixels, in the image's axes and dtype.

Axes. ``X``, ``Y`` and, on a stack, ``Z`` are resized; channels, time and any other axis are
not. :func:`to_batch` gives a library the array as a batch of images, without copying.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Dict, Optional, Tuple

from . import defaults, registry
from .sizes import Spacing, Target


@dataclass(frozen=True)
class Settings:
    """One resize: the target (width first), the convention and its mode, the flags, the limits.

    ``mode`` None is the convention's default. ``align_corners`` and ``premultiply_alpha`` apply
    to torch only; ``antialias`` to the conventions that take it (see the registry).
    """

    target: Target
    mode: Optional[str] = None
    convention: str = "torch"
    align_corners: bool = False
    antialias: bool = False
    premultiply_alpha: bool = True
    max_output_pixels: Optional[int] = None
    device: str = "cpu"

    @property
    def spec(self) -> registry.ModeSpec:
        return registry.convention(self.convention).mode(self.mode)

    @property
    def copies_pixels(self) -> bool:
        return self.spec.copies_pixels

    def resizer(self):
        return registry.load(registry.convention(self.convention).resizer)

    def checked(self) -> "Settings":
        """These settings with the default mode filled in; ValueError for options that do not go together."""
        c = registry.convention(self.convention)
        spec = c.mode(self.mode)
        if not c.torch_options and (self.align_corners or not self.premultiply_alpha):
            raise ValueError(f"--align-corners and --straight-alpha are torch options, not {c.name}")
        if self.antialias and c.antialias != "option":
            how = "always antialiases" if c.antialias == "always" else "has none"
            raise ValueError(f"--antialias is a {' and '.join(registry.antialias_options())} option; {c.name} {how}")
        return replace(self, mode=spec.name)


@dataclass(frozen=True)
class Plan:
    """What a resize will make: the output ``shape`` in the file's axes, the ``scales`` (output pixels
    per input pixel) of the resized axes for the metadata, and the resizer's own ``work``."""

    shape: Tuple[int, ...]
    scales: Dict[str, float]
    work: Any = field(default=None, compare=False)
    spacing: Dict[str, Tuple[float, Optional[str]]] = field(default_factory=dict)

    def metadata(self, metadata):
        """``metadata`` as the output carries it: scaled, and the spacing a physical target made."""
        return metadata.scaled(self.scales, self.spacing)


def resizer(settings):
    """The file-level resizer of ``settings`` (a convention's, or ``deconv.DeconvSettings``')."""
    return settings.resizer()


def plan(image, settings: Settings):
    """``(image, settings, plan)``: the image as the resizer takes it (a palette expanded if the mode
    needs it), the settings checked (the default mode filled in) and the :class:`Plan`; ValueError
    when the settings do not fit, the output would be empty (``area`` allows that in the API, a
    file cannot hold it) or the output is over the limit."""
    from . import spacing
    from .image import check_output_pixels

    settings = settings.checked()
    if isinstance(settings.target, Spacing):
        settings = replace(settings, target=spacing.resolve(settings.target, image))
    if image.palette is not None and not settings.copies_pixels:
        image = image.expanded()
    p = resizer(settings).plan(image, settings)
    p = replace(p, spacing=spacing.exact(settings.target, p.scales))
    empty = [a for a in "XYZ" if a in image.axes and p.shape[image.axes.index(a)] < 1]
    if empty:
        wanted = "x".join(str(p.shape[image.axes.index(a)]) for a in "XYZ" if a in image.axes)
        raise ValueError(f"{settings.target}: the output would be {wanted}, an empty image; give a larger scale")
    check_output_pixels(p.shape, image.axes, settings.max_output_pixels, settings.target)
    return image, settings, p


def result_header(image, settings: Settings):
    """What :func:`resize_image` will give, without pixels (the header is enough)."""
    image, _, p = plan(image, settings)
    return replace(image, array=None, shape=p.shape, metadata=p.metadata(image.metadata))


def resize_image(image, settings: Settings):
    """``image`` resized as ``settings`` say; dtype, axes and layout are kept.

    Raises ValueError or TypeError for settings that do not fit the image, before any large
    allocation.
    """
    image, settings, p = plan(image, settings)
    out = resizer(settings).resize(image, settings, p)
    return image.with_array(out, metadata=p.metadata(image.metadata))


@dataclass(frozen=True)
class FileResize:
    """``FileResize(settings, ...)(src, dst)``: read, resize and write one file; picklable, so it
    is what ``upsample batch`` hands its workers. Returns the input's and the output's shapes.

    ``src`` ``-`` is standard input; ``dst`` ``-`` is standard output, written in the format of
    ``output_extension`` (``".png"``).

    Raises UpsampleError (the file) or SettingsError (settings that do not fit the file).
    """

    settings: Settings
    axes: Optional[str] = None
    max_input_pixels: Optional[int] = defaults.MAX_PIXELS
    write_options: Any = None
    output_extension: Optional[str] = None

    def __call__(self, src: str, dst: str):
        from . import io, spacing
        from .image import SettingsError, UpsampleError

        if dst == io.STDIO:
            if self.output_extension is None:
                raise SettingsError("-: OUT '-' is standard output; give its format with --format (png, jpg, ...)")
            with io.standard_output(self.output_extension) as local:
                return self(src, local)

        def check(header):
            """Before decoding: the settings fit the file, and OUT's format can hold the result."""
            try:
                out = result_header(header, self.settings)
            except (ValueError, TypeError) as e:
                raise SettingsError(f"{src}: {e}") from None
            except spacing.SpacingError as e:
                raise UpsampleError(src, str(e)) from None
            io.check_writable(dst, out)

        io.check_output_path(dst)
        image = io.read(src, axes=self.axes, max_pixels=self.max_input_pixels, check=check)
        try:
            result = resize_image(image, self.settings)
        except (ValueError, TypeError) as e:
            raise SettingsError(f"{src}: {e}") from None
        except spacing.SpacingError as e:
            raise UpsampleError(src, str(e)) from None
        in_shape = image.shape
        del image  # (the input's pixels, freed before the writer makes its buffers)
        io.write(dst, result, self.write_options or io.WriteOptions(), consume=True)
        return in_shape, result.shape


def output_shape(image, sizes: Dict[str, int]) -> Tuple[int, ...]:
    """``image``'s shape with the axes named in ``sizes`` (``{"X": 640, "Y": 480}``) changed."""
    return tuple(sizes.get(a, n) for a, n in zip(image.axes, image.shape))


def header_array(shape, dtype):
    """A C-contiguous stand-in for an array of ``shape`` and ``dtype`` that holds one sample: the
    shape, strides and dtype a plan needs, without the memory."""
    import numpy as np

    strides, step = [], np.dtype(dtype).itemsize
    for n in reversed(shape):
        strides.append(step)
        step *= n
    return np.lib.stride_tricks.as_strided(np.zeros(1, dtype), tuple(shape), tuple(reversed(strides)))


def to_batch(a, axes: str, spatial: str, channels_last: bool) -> Tuple[Any, Callable]:
    """``a`` (whose axes are ``axes``) as a batch of images over the ``spatial`` axes, and the
    function that brings a resized batch back to ``a``'s axes.

    The batch is ``(B, C, *spatial)``, or ``(B, *spatial, C)`` with ``channels_last``: the
    channel axis (``S``, else ``C``; 1 when there is none) and every other axis folded into B. It
    is a view of ``a`` whenever the folded axes allow one, so an interleaved RGB image is resized
    in its own memory order.
    """
    from .image import CHANNEL_AXES

    import numpy as np

    inner = [axes.index(letter) for letter in spatial]
    channel = next((axes.index(c) for c in CHANNEL_AXES if c in axes and axes.index(c) not in inner), None)
    rest = [i for i in range(a.ndim) if i not in inner and i != channel]
    ch = [channel] if channel is not None else []
    order = rest + (inner + ch if channels_last else ch + inner)
    lead = tuple(a.shape[i] for i in rest)
    c = a.shape[channel] if channel is not None else 1
    sizes = tuple(a.shape[i] for i in inner)
    batch = a.transpose(order).reshape((math.prod(lead),) + ((*sizes, c) if channels_last else (c, *sizes)))

    def back(out):
        out_sizes = out.shape[1:-1] if channels_last else out.shape[2:]
        c_out = (out.shape[-1] if channels_last else out.shape[1],) if channel is not None else ()
        shape = lead + ((*out_sizes, *c_out) if channels_last else (*c_out, *out_sizes))
        return out.reshape(shape).transpose(np.argsort(order))

    return batch, back


__all__ = ["FileResize", "Plan", "Settings", "output_shape", "plan", "resize_image", "result_header", "to_batch"]
