"""The ``upsample`` command line.

Exit status: 0 on success, 2 for bad usage (options, paths, settings that do not fit the
file, an output over the size limit), 1 when a file could not be read or written (missing,
malformed, over the input limit, unwritable, interrupted). Every error is one line on stderr:
``error: <path>: <message>`` or ``error: <message>``; ``--debug`` adds the traceback.

Nothing heavy is imported at start-up: numpy, Pillow, tifffile and the resize engine (Numba)
load when a command runs, so ``upsample --help`` stays fast.
"""

from __future__ import annotations

import functools
import re
import signal
import sys
import traceback
from contextlib import contextmanager

import click

from . import __version__, defaults, sizes

MODES = ("nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear", "area", "lanczos")
CONVENTIONS = ("torch", "tf", "keras", "pillow", "opencv")


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


def _callback(parse):
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


parse_scale = _callback(sizes.parse_scale)  # "2" -> Scale((2.0,)); "1.5,2" -> Scale((1.5, 2.0)), width first
parse_size = _callback(sizes.parse_size)  # "640x480", "640x", "x480", "64x64x24" -> Size; "50%" -> Scale
parse_axes = _callback(_axes)


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


def check_output(ctx, param, value):
    from . import io

    try:
        io.output_format(value)
    except io.UpsampleError as e:
        raise click.BadParameter(e.message) from None
    return value


_axes_option = click.option(
    "--axes",
    metavar="AXES",
    callback=parse_axes,
    help="Name the axes of a TIFF or .npy input, one letter each, e.g. ZYX, YXC, TZCYX: X, Y and Z are "
    "resized; C/S (channels), T (time) and other letters are not. Overrides what a TIFF says; a .npy "
    "defaults to YX (2-D), YXC (3-D, last axis 1 to 4), ZYX (other 3-D) or ZYXC (4-D, last axis 1 to 4).",
)
_debug_option = click.option("--debug", is_flag=True, help="Show the traceback of an error (for bug reports).")


# --- commands --------------------------------------------------------------------------


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="upsample")
def main():
    """Resize images and volumes exactly as torch, TensorFlow/Keras, Pillow and OpenCV do."""


RESIZE_HELP = """Resize the image, stack or array IN and write it to OUT.

IN: PNG, JPEG, BMP, WebP, GIF, TIFF (2-D, multi-page, ImageJ hyperstack, OME-TIFF) or .npy,
recognised from its content. OUT's format follows its extension: .png, .jpg/.jpeg, .bmp,
.webp, .tif/.tiff, .npy (stacks: .tif or .npy). The pixel type, the axes and the metadata
(ICC profile, EXIF, DPI and physical pixel sizes, scaled) are kept. OUT is written
atomically; an input is never overwritten unless --overwrite-input is given.

Sizes and scales are width first: W,H for images, W,H,D for stacks. A stack whose depth is
kept is resized slice by slice (linear and trilinear act as bilinear); one whose depth
changes is resized in 3-D (bilinear refuses).

\b
Examples:
  upsample resize photo.png big.png --scale 2 --mode bicubic
  upsample resize photo.jpg thumb.jpg --size 320x --antialias --quality 90
  upsample resize stack.tif big.tif --scale 2,2,4 --mode trilinear
  upsample resize cells.ome.tif half.ome.tif --size 50% --mode area
"""


@main.command(help=RESIZE_HELP, no_args_is_help=True)
@click.argument("src", metavar="IN", type=click.Path(dir_okay=False))
@click.argument("dst", metavar="OUT", type=click.Path(dir_okay=False), callback=check_output)
@click.option(
    "--scale",
    metavar="F[,F[,F]]",
    callback=parse_scale,
    help="Scale factor: one for every axis (2, 0.5, 50%), or one per axis, width first: W,H (1.5,2) or "
    "W,H,D for stacks (2,2,1). Two factors on a stack keep its depth.",
)
@click.option(
    "--size",
    metavar="WxH[xD]",
    callback=parse_size,
    help="Output size in pixels, width first: 800x600; 800x or x600 keep the aspect ratio; WxHxD for "
    "stacks (128x128x48, or 128xx to keep the proportions); 50% is --scale 0.5. WxH on a stack keeps "
    "its depth.",
)
@click.option(
    "--mode",
    metavar="MODE",
    help="Interpolation, in the convention's names; torch: nearest, nearest-exact, linear (the default: "
    "bilinear on images, trilinear on stacks), bilinear, bicubic, trilinear, area or lanczos. "
    "'upsample modes' lists every convention's modes.",
)
@click.option(
    "--convention",
    type=click.Choice(CONVENTIONS),
    default="torch",
    show_default=True,
    help="Whose numbers to reproduce: torch's interpolate, TensorFlow's tf.image.resize, Keras' UpSampling2D, "
    "Pillow's Image.resize or OpenCV's cv2.resize (each 2-D image or slice, with that library's modes).",
)
@click.option(
    "--device",
    type=click.Choice(["cpu", "cuda", "auto"]),
    default="cpu",
    show_default=True,
    help="Where to resize: cpu, cuda (an NVIDIA GPU, with the 'cuda' extra installed), or auto (the GPU "
    "when there is one and the image is large, else the CPU).",
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
@click.option(
    "--straight-alpha",
    is_flag=True,
    help="Resize an alpha channel like any other channel, as torch does. By default colours are "
    "resized premultiplied by alpha, so transparent pixels do not bleed into the edges.",
)
@_axes_option
@click.option(
    "--quality",
    type=click.IntRange(1, 100),
    metavar="1-100",
    help=f"JPEG quality (default {defaults.JPEG_QUALITY}) or WebP quality (default: WebP is written lossless).",
)
@click.option(
    "--compression",
    type=click.Choice(defaults.TIFF_COMPRESSIONS),
    default="deflate",
    show_default=True,
    help="TIFF compression.",
)
@click.option(
    "--png-level",
    type=click.IntRange(0, 9),
    default=defaults.PNG_LEVEL,
    show_default=True,
    metavar="0-9",
    help="PNG compression level: 1 writes fastest (as OpenCV does), 9 smallest; Pillow's default is 6.",
)
@click.option(
    "--max-input-pixels",
    metavar="N",
    default=str(defaults.MAX_PIXELS),
    show_default=True,
    callback=parse_pixels,
    help="Refuse inputs whose header states more pixels (channels not counted) before decoding them: "
    "protects against decompression bombs. 100M, 2G and so on; 0 for no limit.",
)
@click.option(
    "--max-output-pixels",
    metavar="N",
    default=str(defaults.MAX_PIXELS),
    show_default=True,
    callback=parse_pixels,
    help="Refuse to make an output with more pixels (channels not counted); 0 for no limit.",
)
@click.option("--overwrite-input", is_flag=True, help="Allow OUT to be IN (replaced only by a complete file).")
@click.option("--explain", is_flag=True, help="Also print on stderr the plan of each resize run: its passes and loops.")
@_debug_option
def resize(src, dst, overwrite_input, explain, debug, **options):
    from . import api, io

    convert = resize_from_options(**options)
    if io.is_same_file(src, dst) and not overwrite_input:
        raise UsageFailure(
            f"{dst}: OUT is the input file; choose another path, or give --overwrite-input to replace it"
        )
    with _reported(src, dst, debug), api.one_shot(on_compile=lambda line: click.echo(line, err=True)):
        with api.recorded() as plans:
            convert(src, dst)
    if explain:
        for plan, backend in plans:
            click.echo(f"on {backend}: {plan.describe()}", err=True)


def resize_from_options(scale, size, mode, convention, device, align_corners, antialias, straight_alpha, axes,
                        quality, compression, png_level, max_input_pixels, max_output_pixels):
    """The resize that ``resize``'s options ask for, as ``convert(src, dst)``; UsageFailure when they do
    not go together. ``batch`` takes the same options, so this is the one place that reads them; the
    result is a ``functools.partial`` of :func:`run_resize`, which process workers can unpickle."""
    ctx = click.get_current_context()
    if (scale is None) == (size is None):
        raise UsageFailure(f"give one of --scale or --size (see '{ctx.command_path} --help')")
    from . import io
    from .conventions import ConventionSettings, check_mode
    from .resize import Settings

    try:
        mode = check_mode(convention, mode)
    except ValueError as e:
        raise UsageFailure(f"--mode: {e}") from None
    if convention != "torch" and (align_corners or straight_alpha):
        raise UsageFailure(f"--align-corners and --straight-alpha are torch options, not {convention}")
    if device == "cuda":
        from .api import choose_backend

        try:
            choose_backend(device, None, 0)
        except RuntimeError as e:
            raise UsageFailure(f"--device cuda: {e}") from None

    settings = Settings(
        target=scale or size,
        mode=mode,
        align_corners=align_corners,
        antialias=antialias,
        premultiply_alpha=not straight_alpha,
        max_output_pixels=max_output_pixels,
        device=device,
    ) if convention == "torch" else ConventionSettings(convention, scale or size, mode, antialias, max_output_pixels,
                                                       device)
    options = io.WriteOptions(quality=quality, compression=compression, png_level=png_level)
    return functools.partial(
        run_resize, settings=settings, axes=axes, max_input_pixels=max_input_pixels, write_options=options
    )


def run_resize(src: str, dst: str, settings, *, axes=None, max_input_pixels=defaults.MAX_PIXELS,
               write_options=None):
    """Read, resize and write one file; the input's and the output's array shapes.

    Raises UpsampleError (file) or SettingsError (settings that do not fit the file)."""
    from . import io
    from .conventions import ConventionSettings
    from .image import SettingsError

    if isinstance(settings, ConventionSettings):
        from .conventions import resize_image, result_header
    else:
        from .resize import resize_image, result_header

    def check(header):
        """Before decoding: the settings fit the file, and OUT's format can hold the result."""
        try:
            out = result_header(header, settings)
        except (ValueError, TypeError) as e:
            raise SettingsError(f"{src}: {e}") from None
        io.check_writable(dst, out)

    image = io.read(src, axes=axes, max_pixels=max_input_pixels, check=check)
    try:
        result = resize_image(image, settings)
    except (ValueError, TypeError) as e:
        raise SettingsError(f"{src}: {e}") from None
    io.write(dst, result, write_options or io.WriteOptions())
    return image.shape, result.shape


def _options_of(command: click.Command, exclude=()):
    """Give the decorated command the options of ``command`` (the same objects, in the same order)."""

    def decorate(f):
        shared = [p for p in command.params if isinstance(p, click.Option) and p.name not in exclude]
        # click.command reverses the list that decorators append to (they apply bottom-up)
        f.__click_params__ = getattr(f, "__click_params__", []) + shared[::-1]
        return f

    return decorate


def parse_format(ctx, param, value):
    """``"png"``, ``".PNG"`` -> ``".png"``: an output extension."""
    if value is None:
        return None
    from .io import FORMATS

    ext = "." + value.strip().lstrip(".").lower()
    if ext not in FORMATS:
        raise click.BadParameter(f"{value!r} is not an output format; give one of {', '.join(e[1:] for e in FORMATS)}")
    return ext


BATCH_HELP = """Resize every image, stack or array in the folder SRC into the folder DST.

DST mirrors SRC: SRC/a/b.png is written to DST/a/b.png (with --format's extension if given).
Files are taken by extension (png, jpg, jpeg, bmp, webp, gif, tif, tiff, npy, any case) or by
--glob, matched against the file name (against the path below SRC when it holds a /); hidden
files and folders are left out, and so is DST when it lies inside SRC. Every resize option
works as for 'upsample resize'.

Files are resized by --jobs worker processes, with a progress bar on stderr and a summary at
the end. A file that fails is reported and the others go on (--fail-fast stops at the first).
Outputs are written atomically, so --skip-existing trusts an existing output and a re-run
resumes an interrupted one. Ctrl-C or SIGTERM stops within seconds, leaves no partial file and
prints the summary. Exit status: 0 all done, 1 a file failed, 2 bad usage, 130 interrupted.

\b
Examples:
  upsample batch photos/ big/ --scale 2 --mode bicubic --recursive
  upsample batch scans/ thumbs/ --size 320x --antialias --format jpg --quality 90
  upsample batch stacks/ half/ --glob '*.tif' --scale 0.5 --mode area --jobs 4 --skip-existing
"""


@main.command(
    "batch", help=BATCH_HELP, short_help="Resize every file of a folder, in parallel, with progress.",
    no_args_is_help=True,
)
@click.argument("src", metavar="SRC", type=click.Path())
@click.argument("dst", metavar="DST", type=click.Path())
@_options_of(resize, exclude=("overwrite_input", "explain"))
@click.option("-r", "--recursive", is_flag=True, help="Take the files of SRC's subfolders too.")
@click.option(
    "--glob", "pattern", metavar="PATTERN",
    help="Take the files matching PATTERN ('*.tif', 'day?/*.png') instead of every image and array.",
)
@click.option(
    "-j", "--jobs", type=click.IntRange(min=1), metavar="N",
    help="Files resized at once (default: the number of cores; 2 with --device cuda, so that one file's GPU work "
    "overlaps another's decoding and encoding); the engine's threads are shared among them.",
)
@click.option("--skip-existing", is_flag=True, help="Leave out inputs whose output exists (resumes a run).")
@click.option(
    "--format", "output_format", metavar="EXT", callback=parse_format,
    help="Write every output in this format: png, jpg, jpeg, bmp, webp, tif, tiff or npy (default: the input's).",
)
@click.option("--fail-fast", is_flag=True, help="Start no new file after the first failure.")
@click.option(
    "--report", "report_path", metavar="FILE.json", type=click.Path(dir_okay=False),
    help="Write a JSON report: per file its status, reason, input and output shapes and seconds; totals.",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no summary; failed files are still listed.")
def batch_command(src, dst, recursive, pattern, jobs, skip_existing, output_format, fail_fast, report_path, quiet,
                  debug, **options):
    from . import batch
    from .progress import Progress
    from .report import Report

    convert = resize_from_options(**options)
    if jobs is None and options["device"] == "cuda":
        jobs = 2  # one CUDA context per worker: a pair keeps the GPU busy while the other file is coded
    selection = batch.Selection(src, dst, recursive, pattern, output_format, skip_existing)
    try:
        batch.prepare(selection)
    except batch.BatchUsageError as e:
        raise UsageFailure(str(e)) from None
    except OSError as e:
        raise FileFailure(f"{dst}: cannot create DST: {e.strerror or e}") from None
    report = Report(keep_all=report_path is not None)
    batch.run(selection, convert, jobs=jobs, fail_fast=fail_fast, report=report, progress=Progress(not quiet),
              debug=debug)
    if debug:
        for failure in report.failures:
            if failure.detail:
                click.echo(failure.detail.rstrip(), err=True)
    lines = report.failure_lines() if quiet else report.summary()
    if quiet and report.stopped == "interrupted":
        lines.append("error: interrupted; run again with --skip-existing to resume")
    for line in lines:
        click.echo(line, err=True)
    if report_path is not None:
        from .image import UpsampleError

        try:
            report.write_json(report_path, src, dst)
        except UpsampleError as e:
            click.echo(f"error: {e}", err=True)
            sys.exit(report.return_code or 1)
    sys.exit(report.return_code)


@main.command(short_help="List the modes of every convention, one line each.")
def modes():
    """List the modes of every --convention, one line each: convention, mode, what it does."""
    from .conventions import mode_lines

    for line in mode_lines():
        click.echo(line)


WARMUP_HELP = """Compile the CPU kernels ahead (a fixed set: each loop for the usual pixel types),
so that no later resize waits for the compiler. They are kept in Numba's cache folder: the
NUMBA_CACHE_DIR environment variable, else __pycache__ beside the package (else the user's cache
folder); set NUMBA_CACHE_DIR before both warmup and resizes to put them elsewhere, e.g. in a
Docker image or on an HPC node's shared disk. Kernels already compiled there load in moments."""


@main.command(help=WARMUP_HELP, short_help="Compile the CPU kernels ahead, once.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar; only the closing line.")
def warmup(quiet):
    import time

    from tqdm import tqdm

    from .kernels import compiled, cpu

    start = time.monotonic()
    with tqdm(total=len(cpu.SIGNATURES), unit="kernel", desc="upsample warmup", disable=quiet or None,
              leave=False, file=sys.stderr) as bar:
        cpu.warm(progress=lambda signature: (bar.set_postfix_str(signature, refresh=False), bar.update()))
    click.echo(f"{len(cpu.SIGNATURES)} kernels ready in {time.monotonic() - start:.1f} s, "
               f"cached in {compiled.folder()}")


INFO_HELP = """Show what FILE holds: format, shape, axes (which are resized), pixel type, and the
metadata a resize keeps. Only the header is read."""


@main.command(
    help=INFO_HELP, short_help="Show a file's shape, axes, pixel type and kept metadata.", no_args_is_help=True
)
@click.argument("path", metavar="FILE", type=click.Path(dir_okay=False))
@_axes_option
@_debug_option
def info(path, axes, debug):
    from . import io
    from .info import describe

    with _reported(path, None, debug):
        image = io.probe(path, axes=axes)
    click.echo("\n".join(describe(path, image)))


# --- errors ----------------------------------------------------------------------------


class _Interrupted(BaseException):
    pass


@contextmanager
def _reported(src: str, dst, debug: bool):
    """Turn every failure inside into one line (and, with ``debug``, its traceback).

    SIGTERM is turned into an exception while inside, so an interrupted write cleans up too.
    """
    from .image import SettingsError, UpsampleError

    def on_term(signum, frame):
        raise _Interrupted()

    previous = None
    try:
        previous = signal.signal(signal.SIGTERM, on_term)
    except ValueError:  # not the main thread
        pass
    try:
        yield
    except click.ClickException:
        raise
    except UpsampleError as e:
        _traceback(debug)
        raise FileFailure(str(e)) from None
    except SettingsError as e:
        _traceback(debug)
        raise UsageFailure(str(e)) from None
    except (KeyboardInterrupt, _Interrupted):
        _traceback(debug)
        what = f"{dst}: interrupted; nothing was written" if dst else f"{src}: interrupted"
        raise FileFailure(what) from None
    except MemoryError:
        _traceback(debug)
        raise FileFailure(f"{src}: not enough memory") from None
    except Exception as e:  # a bug; still one line, naming the file
        _traceback(debug)
        raise FileFailure(f"{src}: unexpected {type(e).__name__}: {e}") from None
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _traceback(debug: bool) -> None:
    if debug:
        traceback.print_exc(file=sys.stderr)
