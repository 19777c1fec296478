"""The command line's shared options, their parsing, and the one-line failures it reports.

Each option is a module-level decorator (as in rasterio's ``rio/options.py``); :data:`resize_options`
stacks those of one resize, which ``upsample resize`` and ``upsample batch`` both take. Callbacks
turn text into values and raise ``click.BadParameter`` saying what is accepted; :func:`file_resize`
turns the parsed values into the :class:`~upsample_cli.pipeline.FileResize` that both run.
Nothing heavy is imported here: ``upsample --help`` loads no NumPy.
"""

from __future__ import annotations

import os
import re

import click

from . import defaults, registry, sizes
from .errors import one_line
from .report import EXIT_INTERRUPTED


class _ShownOnOneLine:
    def show(self, file=None) -> None:
        click.echo(f"error: {one_line(self.format_message())}", file=file, err=True)


class UsageFailure(_ShownOnOneLine, click.UsageError):
    """Bad usage, shown on one line (exit 2)."""


class FileFailure(_ShownOnOneLine, click.ClickException):
    """A file that could not be read or written (exit 1)."""

    exit_code = 1


class InterruptedFailure(FileFailure):
    """A command stopped by Ctrl-C or SIGTERM (exit 130, as ``upsample batch``)."""

    exit_code = EXIT_INTERRUPTED


# --- parsing ---------------------------------------------------------------------------


def callback_of(parse):
    """A Click callback around ``parse``: an absent option stays None, a ValueError is bad usage."""

    def callback(ctx, param, value):
        if value is None:
            return None
        try:
            return parse(value)
        except ValueError as e:
            raise click.BadParameter(str(e)) from None

    callback.__doc__ = parse.__doc__
    return callback


def _axes(value):
    """``"zyx"`` -> ``"ZYX"``: one letter per axis, with Y and X."""
    from .image import check_axes

    return check_axes(value)


parse_scale = callback_of(sizes.parse_scale)  # "2" -> Scale((2.0,)); "1.5,2" -> Scale((1.5, 2.0)), width first
parse_size = callback_of(sizes.parse_size)  # "640x480", "640x", "x480", "64x64x24" -> Size; "50%" -> Scale
parse_axes = callback_of(_axes)
parse_spacing = callback_of(sizes.parse_spacing)  # "2,0.5,0.5" -> Spacing((2.0, 0.5, 0.5)), Z,Y,X


_SUFFIXES = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9}


def parse_pixels(ctx, param, value):
    """``"268435456"``, ``"100M"``, ``"2G"`` -> an int; ``"0"`` or ``"none"`` -> None (no limit)."""
    if value is None:
        return None
    text = str(value).strip().lower()
    if text in ("none", "0"):
        return None
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([kmg]?)", text)
    if not match:
        raise click.BadParameter(
            f"{value!r} is not a pixel count; give a number such as 100000000, 100M or 2G (0 or none: no limit)"
        )
    return int(float(match.group(1)) * _SUFFIXES[match.group(2)])


_BYTE_SUFFIXES = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


def parse_bytes(ctx, param, value):
    """``"2GB"``, ``"512M"``, ``"1.5g"``, ``"100000000"`` -> bytes (binary units)."""
    if value is None:
        return None
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?", str(value).strip().lower())
    if not match or float(match.group(1)) <= 0:
        raise click.BadParameter(f"{value!r} is not an amount of memory; give one such as 2GB, 512MB or 1.5G")
    return int(float(match.group(1)) * _BYTE_SUFFIXES[match.group(2)])


memory = click.option(
    "--memory", metavar="SIZE", callback=parse_bytes,
    help="Resize block by block within about SIZE of memory (2GB, 512MB): Zarr and TIFF volumes larger than "
    "memory, with the same numbers. Zarr input or output always goes block by block (default: a quarter of "
    "this machine's memory).",
)


def scheduler(help_text: str):
    """``--scheduler ADDRESS`` (default ``$DASK_SCHEDULER_ADDRESS``) and ``--scheduler-file FILE``."""
    def decorate(f):
        f = click.option("--scheduler-file", metavar="FILE", type=click.Path(dir_okay=False),
                         help="As --scheduler, with the address read from a Dask scheduler file "
                         "(dask scheduler --scheduler-file).")(f)
        return click.option("--scheduler", metavar="ADDRESS", envvar="DASK_SCHEDULER_ADDRESS", help=help_text)(f)
    return decorate


def check_input(ctx, param, value):
    """IN: a file, or a Zarr store (a folder); any other folder is bad usage."""
    from .volumes import is_zarr

    if value != "-" and os.path.isdir(value) and not is_zarr(value):
        raise click.BadParameter(f"{value!r} is a directory, not a file or a Zarr store")
    return value


def check_output(ctx, param, value):
    from . import io

    if value == io.STDIO or value.rstrip("/").lower().endswith(".zarr"):
        return value
    try:
        io.output_format(value)
    except io.UpsampleError as e:
        raise click.BadParameter(e.message) from None
    return value


def parse_format(ctx, param, value):
    """``"png"``, ``".PNG"`` -> ``".png"``: an output extension."""
    if value is None:
        return None
    from .io import FORMATS

    ext = "." + value.strip().lstrip(".").lower()
    if ext not in FORMATS:
        raise click.BadParameter(f"{value!r} is not an output format; give one of {', '.join(e[1:] for e in FORMATS)}")
    return ext


def output_extension(dst: str, output_format) -> str:
    """The extension (``".png"``) of the format OUT is written in: ``--format``'s for ``-``
    (standard output), where it is required, else OUT's own; UsageFailure otherwise."""
    from .io import STDIO

    ctx = click.get_current_context()
    if dst == STDIO:
        if output_format is None:
            raise UsageFailure(
                f"OUT '-' writes standard output; give its format with --format (see '{ctx.command_path} --help')")
        return output_format
    extension = os.path.splitext(dst)[1].lower()
    if output_format is not None and output_format != extension:
        raise UsageFailure(f"{dst}: --format is for OUT '-' (standard output); a file's format follows its extension")
    return extension


# --- options ---------------------------------------------------------------------------

axes = click.option(
    "--axes",
    metavar="AXES",
    callback=parse_axes,
    help="Name the axes of a TIFF or .npy input, one letter each, e.g. ZYX, YXC, TZCYX: X, Y and Z are "
    "resized; C/S (channels), T (time) and other letters are not. Overrides what a TIFF says; a .npy "
    "defaults to YX (2-D), YXC (3-D, last axis 1 to 4), ZYX (other 3-D) or ZYXC (4-D, last axis 1 to 4).",
)
stdout_format = click.option(
    "--format", "output_format", metavar="EXT", callback=parse_format,
    help="The format written when OUT is '-' (standard output): png, jpg, jpeg, bmp, webp, tif, tiff or npy.",
)
debug = click.option("--debug", is_flag=True, help="Show the traceback of an error (for bug reports).")



scale = click.option(
    "--scale",
    metavar="F[,F[,F]]",
    callback=parse_scale,
    help="Scale factor: one for every axis (2, 0.5, 50%), or one per axis, width first: W,H (1.5,2) or "
    "W,H,D for stacks (2,2,1). Two factors on a stack keep its depth.",
)

size = click.option(
    "--size",
    metavar="WxH[xD]",
    callback=parse_size,
    help="Output size in pixels, width first: 800x600; 800x or x600 keep the aspect ratio; WxHxD for "
    "stacks (128x128x48, or 128xx to keep the proportions); 50% is --scale 0.5. WxH on a stack keeps "
    "its depth.",
)

spacing = click.option(
    "--spacing",
    metavar="Z,Y,X",
    callback=parse_spacing,
    help="Resample to this voxel size, in the unit of the file's spacing (ImageJ, OME-TIFF or OME-Zarr "
    "metadata): Z,Y,X for stacks (2,0.5,0.5), Y,X for images or to keep a stack's depth. Sizes are rounded; "
    "the coordinates keep the exact ratio of the spacings.",
)

isotropic = click.option(
    "--isotropic",
    is_flag=True,
    help="Resample to cubic voxels at the finest spacing the file states (its Z, Y and X, or Y and X).",
)

mode = click.option(
    "--mode",
    metavar="MODE",
    help=f"Interpolation, in the convention's names; torch: {', '.join(registry.TORCH.modes)} (default "
    f"{registry.TORCH.default}: {registry.TORCH.modes[registry.TORCH.default].help.replace(' (the default)', '')}). "
    "'upsample modes' lists every convention's modes.",
)

convention = click.option(
    "--convention",
    type=click.Choice(registry.NAMES),
    default=registry.TORCH.name,
    show_default=True,
    help="Whose numbers to reproduce: torch's interpolate, TensorFlow's tf.image.resize, Keras' UpSampling2D, "
    "Pillow's Image.resize or OpenCV's cv2.resize (each 2-D image or slice, with that library's modes).",
)

device = click.option(
    "--device",
    type=click.Choice(["cpu", "cuda", "auto"]),
    default="cpu",
    show_default=True,
    help="Where to resize: cpu, cuda (an NVIDIA GPU with its driver, and numba-cuda: pip install numba-cuda), or "
    "auto (the GPU "
    "when there is one and the image is large, else the CPU).",
)

align_corners = click.option(
    "--align-corners",
    is_flag=True,
    help="Map the centres of the corner pixels onto each other (torch align_corners=True); "
    "interpolating modes only.",
)

antialias = click.option(
    "--antialias",
    is_flag=True,
    help="Low-pass filter when shrinking (torch antialias=True); linear, bilinear, bicubic, trilinear, lanczos.",
)

straight_alpha = click.option(
    "--straight-alpha",
    is_flag=True,
    help="Resize an alpha channel like any other channel, as torch does. By default colours are "
    "resized premultiplied by alpha, so transparent pixels do not bleed into the edges.",
)

quality = click.option(
    "--quality",
    type=click.IntRange(1, 100),
    metavar="1-100",
    help=f"JPEG quality (default {defaults.JPEG_QUALITY}) or WebP quality (default: WebP is written lossless).",
)

compression = click.option(
    "--compression",
    type=click.Choice(defaults.TIFF_COMPRESSIONS),
    default="deflate",
    show_default=True,
    help="TIFF compression.",
)

png_level = click.option(
    "--png-level",
    type=click.IntRange(0, 9),
    default=defaults.PNG_LEVEL,
    show_default=True,
    metavar="0-9",
    help="PNG compression level: 1 writes fastest (as OpenCV does), 9 smallest; Pillow's default is 6.",
)

def _pixel_limit(name: str, help: str):
    return click.option(name, metavar="N", default=str(defaults.MAX_PIXELS), show_default=True,
                        callback=parse_pixels, help=help)


max_input_pixels = _pixel_limit(
    "--max-input-pixels",
    "Refuse inputs whose header states more pixels (channels not counted) before decoding them: "
    "protects against decompression bombs. 100M, 2G and so on; 0 for no limit.",
)
max_output_pixels = _pixel_limit(
    "--max-output-pixels", "Refuse to make an output with more pixels (channels not counted); 0 for no limit."
)

RESIZE_OPTIONS = (scale, size, spacing, isotropic, mode, convention, device, align_corners, antialias, straight_alpha,
                  axes, quality, compression, png_level, max_input_pixels, max_output_pixels)


def resize_options(f):
    """Give the command every option of one resize, in :data:`RESIZE_OPTIONS`' order."""
    for option in reversed(RESIZE_OPTIONS):
        f = option(f)
    return f


def _ints(text):
    """``"2"`` -> ``(2,)``; ``"2,1"`` -> ``(2, 1)`` (width first), non-negative integers."""
    try:
        values = tuple(int(v) for v in str(text).split(","))
    except ValueError:
        raise ValueError(f"{text!r} is not an integer or a comma-separated list of integers (2 or 2,1)") from None
    if min(values) < 0:
        raise ValueError(f"{text!r}: negative values are not allowed")
    return values


parse_ints = callback_of(_ints)


def _int_option(name, default, help):
    return click.option(name, metavar="N[,N[,N]]", default=default, show_default=True, callback=parse_ints, help=help)


# The options of a transposed convolution (``upsample deconv``, ``upsample batch --deconv-weights``).
DECONV_OPTIONS = (
    click.option("--weight-key", metavar="KEY",
                 help="The weight's name in a .npz or .safetensors file (decoder.up1.weight); its bias is the "
                 "tensor named like it with 'bias' for 'weight' (or 'kernel'). Default: the file's only weight."),
    _int_option("--stride", "1", "Stride: one for every axis, or one per axis, width first."),
    _int_option("--padding", "0", "Padding (torch's): removed from both ends of each axis."),
    _int_option("--output-padding", "0", "Added to the end of each axis (smaller than stride or dilation)."),
    click.option("--groups", type=click.IntRange(min=1), default=1, show_default=True, metavar="N",
                 help="Channel groups (the channel count for a depthwise convolution)."),
    _int_option("--dilation", "1", "Spacing between kernel taps."),
    click.option("--layout", type=click.Choice(["torch", "keras"]), default="torch", show_default=True,
                 help="The weight's layout: torch (in, out/groups, *kernel) or keras (*kernel, out, in)."),
)
DECONV_FILE_OPTIONS = (axes, quality, compression, png_level, max_input_pixels, max_output_pixels)


def deconv_options(f):
    """Give the command the options of a transposed convolution and of its files."""
    for option in reversed(DECONV_OPTIONS + DECONV_FILE_OPTIONS):
        f = option(f)
    return f


def batch_deconv_options(f):
    """Give ``upsample batch`` the options of a transposed convolution (its file options are resize's)."""
    for option in reversed(DECONV_OPTIONS):
        f = option(f)
    return f


_DECONV_NAMES = ("weight_key", "stride", "padding", "output_padding", "groups", "dilation", "layout")
_FILE_NAMES = ("axes", "quality", "compression", "png_level", "max_input_pixels", "max_output_pixels")


def batch_convert(deconv_weights, values):
    """What ``upsample batch`` runs on each file: a transposed convolution with ``--deconv-weights``,
    else a resize (``values``: every option of both, by parameter name)."""
    from click.core import ParameterSource

    ctx = click.get_current_context()
    deconv = {name: values.pop(name) for name in _DECONV_NAMES}
    if deconv_weights is None:
        given = [name for name in _DECONV_NAMES if ctx.get_parameter_source(name) == ParameterSource.COMMANDLINE]
        if given:
            raise UsageFailure(f"--{given[0].replace('_', '-')} is an option of --deconv-weights")
        return file_resize(**values)
    resize_only = [name for name, value in values.items() if name not in _FILE_NAMES
                   and ctx.get_parameter_source(name) == ParameterSource.COMMANDLINE]
    if resize_only:
        raise UsageFailure(f"--{resize_only[0].replace('_', '-')} is a resize option; --deconv-weights sets the "
                           f"output size")
    return file_deconv(deconv_weights, **deconv, **{name: values[name] for name in _FILE_NAMES})


def file_deconv(weights, weight_key, stride, padding, output_padding, groups, dilation, layout, axes, quality,
                compression, png_level, max_input_pixels, max_output_pixels):
    """The :class:`~upsample_cli.pipeline.FileResize` running the transposed convolution these options
    describe; UsageFailure when the weights cannot be read."""
    from . import io
    from .deconv import DeconvSettings
    from .pipeline import FileResize

    settings = DeconvSettings(weights, weight_key, layout, stride, padding, output_padding, groups, dilation,
                              max_output_pixels)
    try:
        settings.checked()
    except ValueError as e:
        raise UsageFailure(str(e)) from None
    return FileResize(settings, axes, max_input_pixels,
                      io.WriteOptions(quality=quality, compression=compression, png_level=png_level))


# Options that apply to some output formats only: parameter name -> (option, formats it applies to).
FORMAT_OPTIONS = {
    "quality": ("--quality", ("JPEG", "WEBP")),
    "compression": ("--compression", ("TIFF",)),
    "png_level": ("--png-level", ("PNG",)),
}


def warn_unused_format_options(fmt: str) -> None:
    """One warning line on stderr for each format option given that an output in ``fmt`` ignores."""
    from click.core import ParameterSource

    ctx = click.get_current_context()
    for name, (flag, formats) in FORMAT_OPTIONS.items():
        if ctx.get_parameter_source(name) in (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT) \
                and fmt not in formats:
            click.echo(f"warning: {flag} applies to {' and '.join(formats)} output only; ignored for {fmt}",
                       err=True)


# --- settings --------------------------------------------------------------------------


def target_of(scale, size, spacing, isotropic):
    """The one target given among ``--scale``, ``--size``, ``--spacing`` and ``--isotropic``;
    UsageFailure for none or several."""
    given = [(name, value) for name, value in (("--scale", scale), ("--size", size), ("--spacing", spacing),
                                               ("--isotropic", sizes.Spacing() if isotropic else None))
             if value is not None]
    if len(given) != 1:
        what = "give one of --scale, --size, --spacing or --isotropic"
        if given:
            what = f"{' and '.join(name for name, _ in given)} do not go together; {what}"
        raise UsageFailure(f"{what} (see '{click.get_current_context().command_path} --help')")
    return given[0][1]


def file_resize(scale, size, spacing, isotropic, mode, convention, device, align_corners, antialias, straight_alpha,
                axes, quality, compression, png_level, max_input_pixels, max_output_pixels):
    """The :class:`~upsample_cli.pipeline.FileResize` that :func:`resize_options`' values ask for;
    UsageFailure when they do not go together."""
    target = target_of(scale, size, spacing, isotropic)
    from . import io
    from .pipeline import FileResize, Settings

    try:
        mode = registry.convention(convention).mode(mode).name
    except ValueError as e:
        raise UsageFailure(f"--mode: {e}") from None
    settings = Settings(target, mode, convention, align_corners, antialias, not straight_alpha,
                        max_output_pixels, device)
    try:
        settings = settings.checked()
    except ValueError as e:
        raise UsageFailure(str(e)) from None
    if device == "cuda":
        from .api import choose_backend

        try:
            choose_backend(device, None, 0)
        except RuntimeError as e:
            raise UsageFailure(f"--device cuda: {e}") from None
    return FileResize(settings, axes, max_input_pixels,
                      io.WriteOptions(quality=quality, compression=compression, png_level=png_level))
