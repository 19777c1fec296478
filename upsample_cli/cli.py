"""The ``upsample`` command line.

Exit status: 0 on success, 2 for bad usage (options, paths, settings that do not fit the
file), 1 when a file could not be read or written. Every error is one line on stderr:
``error: <path>: <message>`` or ``error: <message>``.

Nothing heavy is imported at start-up: numpy, Pillow, tifffile and the resize engine (Numba)
load when a command runs, so ``upsample --help`` stays fast.
"""

from __future__ import annotations

import math
import re
from contextlib import contextmanager

import click

from . import __version__

MODES = ("nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear", "area", "lanczos")

_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"


class UsageFailure(click.UsageError):
    """Bad usage, shown on one line (exit 2)."""

    def show(self, file=None) -> None:
        click.echo(f"error: {_one_line(self.format_message())}", file=file, err=True)


class FileFailure(click.ClickException):
    """A file that could not be read or written (exit 1)."""

    exit_code = 1

    def show(self, file=None) -> None:
        click.echo(f"error: {_one_line(self.format_message())}", file=file, err=True)


@contextmanager
def _one_line_usage_errors():
    """Re-raise Click's usage errors as :class:`UsageFailure`, keeping the bare-command help."""
    no_args_help = getattr(click.exceptions, "NoArgsIsHelpError", ())
    try:
        yield
    except (UsageFailure, no_args_help):
        raise
    except click.UsageError as e:
        message = e.format_message().rstrip(".")
        if e.ctx is not None:
            message += f" (see '{e.ctx.command_path} --help')"
        raise UsageFailure(message, e.ctx) from None


class _Group(click.Group):
    def make_context(self, *args, **kwargs):
        with _one_line_usage_errors():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx):
        with _one_line_usage_errors():
            return super().invoke(ctx)


def _one_line(text: str) -> str:
    return " ".join(text.split())


# --- option parsing --------------------------------------------------------------------


def parse_scale(ctx, param, value):
    """``"2"`` -> ``(2.0,)``; ``"1.5,2"`` -> ``(1.5, 2.0)`` (width first)."""
    if value is None:
        return None
    parts = [p.strip() for p in value.split(",")]
    if not 1 <= len(parts) <= 3 or not all(re.fullmatch(_NUMBER, p) for p in parts):
        raise click.BadParameter(
            f"{value!r} is not a scale; give one positive number for every axis (e.g. 2 or 0.5) "
            "or one per axis separated by commas: W,H for images (e.g. 1.5,2), W,H,D for stacks"
        )
    factors = tuple(float(p) for p in parts)
    if not all(math.isfinite(f) and f > 0 for f in factors):
        raise click.BadParameter(f"{value!r}: scale factors must be positive and finite (e.g. 2 or 0.5)")
    return factors


def parse_size(ctx, param, value):
    """``"640x480"`` -> ``(640, 480)``; ``"64x64x24"`` -> ``(64, 64, 24)`` (width first)."""
    if value is None:
        return None
    parts = [p.strip() for p in value.lower().split("x")]
    if len(parts) not in (2, 3) or not all(p.isdigit() and p.isascii() for p in parts):
        raise click.BadParameter(
            f"{value!r} is not a size; give WIDTHxHEIGHT in pixels for images (e.g. 640x480) "
            "or WIDTHxHEIGHTxDEPTH for stacks (e.g. 128x128x48)"
        )
    sizes = tuple(int(p) for p in parts)
    if min(sizes) < 1:
        raise click.BadParameter(f"{value!r}: every size must be at least 1 pixel")
    return sizes


def check_output(ctx, param, value):
    from . import io

    try:
        io.output_format(value)
    except io.UpsampleError as e:
        raise click.BadParameter(e.message) from None
    return value


# --- commands --------------------------------------------------------------------------


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="upsample")
def main():
    """Resize images and volumes exactly as torch, TensorFlow/Keras, Pillow and OpenCV do."""


RESIZE_HELP = """Resize the image or stack IN and write it to OUT.

IN is a PNG, JPEG, BMP or TIFF image, or a multi-page TIFF stack (Z, Y, X). OUT's format
follows its extension: .png, .jpg/.jpeg, .bmp, .tif/.tiff (stacks: TIFF only). The pixel
type is kept: an 8-bit image comes out 8-bit, a 16-bit one 16-bit, float stays float.

Sizes and scales are given width first: W,H for images, W,H,D for stacks.

\b
Examples:
  upsample resize photo.png big.png --scale 2 --mode bicubic
  upsample resize photo.png thumb.png --size 128x96 --mode bilinear --antialias
  upsample resize stack.tif big.tif --scale 2,2,4 --mode trilinear
"""


@main.command(help=RESIZE_HELP, no_args_is_help=True)
@click.argument("src", metavar="IN", type=click.Path(dir_okay=False))
@click.argument("dst", metavar="OUT", type=click.Path(dir_okay=False), callback=check_output)
@click.option(
    "--scale",
    metavar="F[,F...]",
    callback=parse_scale,
    help="Scale factor: one for all axes (2, 0.5), or one per axis: W,H for images (1.5,2), W,H,D for "
    "stacks. On a stack, the in-plane modes take one factor or W,H and keep the depth.",
)
@click.option(
    "--size",
    metavar="WxH[xD]",
    callback=parse_size,
    help="Output size in pixels: WxH for images (640x480), WxHxD for stacks (128x128x48; WxH with the "
    "in-plane modes).",
)
@click.option(
    "--mode",
    type=click.Choice(MODES),
    default="linear",
    metavar="MODE",
    help="Interpolation, as torch's interpolate: nearest, nearest-exact, linear (the default), bilinear, "
    "bicubic, trilinear, area or lanczos. linear is bilinear on images and trilinear on stacks; bilinear, "
    "bicubic and lanczos resize each slice of a stack in-plane; trilinear, area, nearest and nearest-exact "
    "act on all three axes of a stack.",
)
@click.option(
    "--align-corners",
    is_flag=True,
    help="Map the centres of the corner pixels onto each other (torch align_corners=True); "
    "interpolating modes only.",
)
@click.option(
    "--antialias",
    is_flag=True,
    help="Low-pass filter when shrinking (torch antialias=True); linear, bilinear, bicubic, trilinear, lanczos.",
)
def resize(src, dst, scale, size, mode, align_corners, antialias):
    ctx = click.get_current_context()
    if (scale is None) == (size is None):
        raise UsageFailure(f"give one of --scale or --size (see '{ctx.command_path} --help')")
    from . import io
    from .resize import Settings

    if io.is_same_file(src, dst):
        raise UsageFailure(f"{dst}: OUT is the input file; choose another path, the input is never overwritten")
    settings = Settings(scale=scale, size=size, mode=mode, align_corners=align_corners, antialias=antialias)
    run_resize(src, dst, settings)


def run_resize(src: str, dst: str, settings) -> None:
    """Read, resize and write one file; failures become one-line Click errors."""
    from . import io
    from .resize import resize_image

    try:
        image = io.read(src)
        try:
            result = resize_image(image, settings)
        except (ValueError, TypeError) as e:
            raise UsageFailure(f"{src}: {e}") from None
        except MemoryError:
            raise FileFailure(f"{src}: not enough memory for this output size") from None
        io.write(dst, result)
    except io.UpsampleError as e:
        raise FileFailure(str(e)) from None
    except click.ClickException:
        raise
    except Exception as e:  # a bug; still one line, naming the file
        raise FileFailure(f"{src}: unexpected {type(e).__name__}: {e}") from None
