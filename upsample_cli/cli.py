"""The ``upsample`` command line.

Exit status: 0 on success, 2 for bad usage (options, paths, settings that do not fit the
file, an output over the size limit), 1 when a file could not be read or written (missing,
malformed, over the input limit, unwritable), 130 when interrupted (Ctrl-C, SIGTERM). Every error is one line on stderr:
``error: <path>: <message>`` or ``error: <message>``; ``--debug`` adds the traceback.

Nothing heavy is imported at start-up: numpy, Pillow, tifffile and the resize engine (Numba)
load when a command runs, so ``upsample --help`` stays fast.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import traceback
from contextlib import contextmanager

import click

from . import __version__, options
from .compare_options import compare_options
from .errors import reason
from .options import FileFailure, InterruptedFailure, UsageFailure


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
atomically; an input is never overwritten unless --overwrite-input is given. IN '-' reads
standard input; OUT '-' writes standard output, in the format --format names.

Sizes and scales are width first: W,H for images, W,H,D for stacks; --spacing is a voxel size
in the file's unit, in array order (Z,Y,X, or Y,X). A stack whose depth is
kept is resized slice by slice (linear and trilinear act as bilinear); one whose depth
changes is resized in 3-D (bilinear refuses).

\b
Examples:
  upsample resize photo.png big.png --scale 2 --mode bicubic
  upsample resize photo.jpg thumb.jpg --size 320x --antialias --quality 90
  upsample resize stack.tif big.tif --scale 2,2,4 --mode trilinear
  upsample resize cells.ome.tif half.ome.tif --size 50% --mode area
  upsample resize cells.ome.tif iso.ome.tif --isotropic --mode trilinear
  cat photo.png | upsample resize - - --scale 2 --format webp > big.webp
"""


@main.command(help=RESIZE_HELP, no_args_is_help=True)
@click.argument("src", metavar="IN", type=click.Path(), callback=options.check_input)
@click.argument("dst", metavar="OUT", type=click.Path(), callback=options.check_output)
@options.resize_options
@options.memory
@options.stdout_format
@click.option("--overwrite-input", is_flag=True,
              help="Allow OUT to be IN (replaced only by a complete file; through a symbolic link, its target is "
              "replaced and the link kept).")
@click.option("--explain", is_flag=True, help="Also print on stderr the plan of each resize run: its passes and loops.")
@options.scheduler(
    "Write the blocks of a Zarr OUT on the workers of this Dask scheduler (tcp://host:8786; default: "
    "$DASK_SCHEDULER_ADDRESS), which read IN and write OUT on storage shared with this machine. Needs pip install "
    "'dask[distributed]'.")
@options.debug
def resize(src, dst, output_format, overwrite_input, explain, debug, memory, scheduler, scheduler_file,
           **resize_options):
    from dataclasses import replace

    from . import api, io

    address = _scheduler_address(scheduler, scheduler_file, dst)
    if memory is not None or _is_zarr(src) or _is_zarr(dst) or address is not None:
        _resize_chunked(src, dst, memory, overwrite_input, debug, resize_options, address)
        return
    extension = options.output_extension(dst, output_format)
    convert = replace(options.file_resize(**resize_options), output_extension=extension)
    options.warn_unused_format_options(io.FORMATS[extension])
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


def _is_zarr(path: str) -> bool:
    from .volumes import is_zarr

    return path != "-" and is_zarr(path)


def _resize_chunked(src, dst, memory, overwrite_input, debug, resize_options, address):
    """``upsample resize`` of a Zarr or TIFF volume block by block (:mod:`upsample_cli.chunked`),
    on the workers of the Dask scheduler at ``address`` if given."""
    from . import io

    convert = options.file_resize(**resize_options)
    if "-" in (src, dst):
        raise UsageFailure("--memory, --scheduler and Zarr read and write files, not standard input or output")
    if address is not None and not _is_zarr(dst):
        if dst.lower().endswith((".tif", ".tiff")):
            raise UsageFailure(f"{dst}: a TIFF is written page after page by one process; write Zarr on a cluster")
        raise UsageFailure(f"{dst}: --scheduler writes the blocks of a Zarr volume; give OUT ending .zarr")
    if _is_zarr(src) or _is_zarr(dst):
        _zarr_needed()
    if io.is_same_file(src, dst) and not overwrite_input:
        raise UsageFailure(f"{dst}: OUT is the input file; choose another path")
    from .chunked import ChunkedResize

    with _connected(address) as client, _reported(src, dst, debug):
        ChunkedResize(convert.settings, memory, convert.axes, convert.write_options.compression,
                      client=client)(src, dst)


def _scheduler_address(scheduler, scheduler_file, dst=None):
    """The Dask scheduler's address from ``--scheduler``, ``--scheduler-file`` or the environment
    (None for none); UsageFailure when they cannot work. With ``dst``, an address from the
    environment serves only a Zarr OUT (it is there for the commands a cluster runs)."""
    from click.core import ParameterSource

    from . import batch, cluster

    source = click.get_current_context().get_parameter_source("scheduler")
    if source == ParameterSource.ENVIRONMENT and (scheduler_file is not None or (dst is not None and not _is_zarr(dst))):
        scheduler = None  # the command line's file over the environment's address
    try:
        return cluster.scheduler_address(scheduler, scheduler_file)
    except batch.BatchUsageError as e:
        raise UsageFailure(str(e)) from None


@contextlib.contextmanager
def _connected(address):
    """Within: a ``distributed.Client`` of the scheduler at ``address`` (None for no address),
    closed after; UsageFailure when it cannot serve."""
    if address is None:
        yield None
        return
    from . import batch, cluster

    try:
        client = cluster.connect(address)
    except batch.BatchUsageError as e:
        raise UsageFailure(str(e)) from None
    except KeyboardInterrupt:
        raise InterruptedFailure(f"{address}: interrupted while connecting to the Dask scheduler") from None
    with contextlib.closing(client):
        yield client


def _zarr_needed() -> None:
    from .volumes import zarr_module

    try:
        zarr_module()
    except ImportError as e:
        raise FileFailure(str(e)) from None


PYRAMID_HELP = """Write IN as an OME-Zarr multiscale pyramid OUT (a folder ending .ome.zarr).

Level 0 is IN; each next level is the one before resized by 1/--factor along X, Y and, on a
stack, Z, with --mode (default area), block by block within --memory. Axes, physical spacing and
units, channel metadata and the method are recorded in OUT's 'multiscales' (OME-NGFF 0.4, Zarr
format 2; --ngff 0.5: Zarr format 3). OUT is built aside and renamed when complete.

\b
Examples:
  upsample pyramid stack.ome.tif stack.ome.zarr --levels 4
  upsample pyramid cells.zarr cells.ome.zarr --levels 3 --factor 2 --mode nearest --ngff 0.5
"""


@main.command("pyramid", help=PYRAMID_HELP, no_args_is_help=True,
              short_help="Write an OME-Zarr multiscale pyramid of an image or volume.")
@click.argument("src", metavar="IN", type=click.Path(), callback=options.check_input)
@click.argument("dst", metavar="OUT", type=click.Path())
@click.option("--levels", type=click.IntRange(min=1), default=4, show_default=True,
              help="Levels, full resolution included.")
@click.option("--factor", type=click.FloatRange(min=1, min_open=True), default=2.0, show_default=True,
              help="Each level is this many times smaller than the one before, along each spatial axis.")
@click.option("--mode", default="area", show_default=True, metavar="MODE",
              help="torch mode of the downsampling: area, nearest, nearest-exact, trilinear, bicubic, lanczos, ...")
@click.option("--antialias", is_flag=True, help="Antialias the interpolating modes (as torch's antialias=True).")
@options.axes
@options.memory
@click.option("--ngff", type=click.Choice(["0.4", "0.5"]), default=None,
              help="OME-NGFF version written (default: the input's, else 0.4).")
@options.scheduler(
    "Write each level's blocks on the workers of this Dask scheduler (tcp://host:8786; default: "
    "$DASK_SCHEDULER_ADDRESS), which read IN and write OUT on storage shared with this machine. Needs pip install "
    "'dask[distributed]'.")
@options.debug
def pyramid_command(src, dst, levels, factor, mode, antialias, axes, memory, ngff, scheduler, scheduler_file, debug):
    from .pipeline import Settings
    from .sizes import Scale

    if not dst.rstrip("/").lower().endswith(".zarr"):
        raise UsageFailure(f"{dst}: OUT of a pyramid is an OME-Zarr folder; end its name with .ome.zarr")
    _zarr_needed()
    try:
        settings = Settings(Scale((0.5,)), mode, antialias=antialias).checked()
    except ValueError as e:
        raise UsageFailure(f"--mode: {e}") from None
    address = _scheduler_address(scheduler, scheduler_file)
    from .chunked import pyramid

    with _connected(address) as client, _reported(src, dst, debug):
        shapes = pyramid(src, dst, levels, factor, settings, memory=memory, axes=axes, ngff=ngff, client=client)
    click.echo(f"{dst}: {len(shapes)} levels, " + ", ".join("x".join(map(str, s)) for s in shapes))


BATCH_HELP = """Resize every image, stack or array in the folder SRC into the folder DST.

DST mirrors SRC: SRC/a/b.png is written to DST/a/b.png (with --format's extension if given).
Files are taken by extension (png, jpg, jpeg, bmp, webp, gif, tif, tiff, npy, any case) or by
--glob, matched against the file name (against the path below SRC when it holds a /); hidden
files and folders are left out, and so is DST when it lies inside SRC. Every resize option
works as for 'upsample resize'.

Files are resized by --jobs worker processes (or, with --scheduler, by the workers of a Dask
cluster sharing the storage), with a progress bar on stderr and a summary at the end. A file that fails is reported and the others go on (--fail-fast stops at the first).
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
@options.resize_options
@click.option("--deconv-weights", metavar="FILE", type=click.Path(dir_okay=False),
              help="Run the transposed convolution of these weights (as 'upsample deconv') instead of a resize; "
              "--weight-key, --stride, --padding, --output-padding, --groups, --dilation and --layout apply.")
@options.batch_deconv_options
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
@options.scheduler(
    "Resize the files on the workers of this Dask scheduler (tcp://host:8786; default: $DASK_SCHEDULER_ADDRESS), "
    "which read and write them on storage shared with this machine; --jobs is then the files in flight (default: "
    "twice the cluster's threads). Needs pip install 'dask[distributed]'.")
@click.option("--skip-existing", is_flag=True, help="Leave out inputs whose output exists (resumes a run).")
@click.option(
    "--format", "output_format", metavar="EXT", callback=options.parse_format,
    help="Write every output in this format: png, jpg, jpeg, bmp, webp, tif, tiff or npy (default: the input's).",
)
@click.option("--fail-fast", is_flag=True, help="Start no new file after the first failure.")
@click.option(
    "--report", "report_path", metavar="FILE.json", type=click.Path(dir_okay=False),
    help="Write a JSON report: per file its status, reason, input and output shapes and seconds; totals.",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no summary; failed files are still listed.")
@options.debug
def batch_command(src, dst, recursive, pattern, jobs, scheduler, scheduler_file, skip_existing, output_format,
                  fail_fast, report_path, quiet, debug, deconv_weights, **resize_options):
    from . import batch

    convert = options.batch_convert(deconv_weights, resize_options)
    if output_format is not None:
        from .io import FORMATS

        options.warn_unused_format_options(FORMATS[output_format])
    address = _scheduler_address(scheduler, scheduler_file)
    if jobs is None and resize_options["device"] == "cuda" and address is None:
        jobs = 2  # one CUDA context per worker: a pair keeps the GPU busy while the other file is coded
    selection = batch.Selection(src, dst, recursive, pattern, output_format, skip_existing)
    with _connected(address) as client:
        _batch(selection, convert, jobs, fail_fast, report_path, quiet, debug, client)


def _batch(selection, convert, jobs, fail_fast, report_path, quiet, debug, client):
    from . import batch
    from .progress import Progress
    from .report import Report

    src, dst = selection.src, selection.dst
    try:
        batch.prepare(selection)
    except batch.BatchUsageError as e:
        raise UsageFailure(str(e)) from None
    except OSError as e:
        raise FileFailure(f"{dst}: cannot create DST: {e.strerror or e}") from None
    if report_path is not None:
        from .io import UpsampleError, check_output_path

        try:
            check_output_path(report_path)
        except UpsampleError as e:
            raise FileFailure(f"--report {e}") from None
    report = Report(keep_all=report_path is not None)
    batch.run(selection, convert, jobs=jobs, fail_fast=fail_fast, report=report, progress=Progress(not quiet),
              debug=debug, client=client)
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


DECONV_HELP = """Upsample IN with a trained transposed convolution (torch's ConvTranspose2d/3d) and write OUT.

The weights come from FILE: .npy, .npz or .safetensors (pip install safetensors),
in torch's layout (in, out/groups, *kernel) or Keras' (--layout keras). An image is convolved
over its rows and columns, a stack over Z, Y and X; the channels are the weight's input channels.
Output size per axis: (n - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1.
8- and 16-bit images are computed in float32, then rounded and clamped. Every file format, limit
and safety rule of 'upsample resize' applies (OUT is written atomically).

\b
Examples:
  upsample deconv photo.png big.png --weights up.npz --stride 2 --padding 1
  upsample deconv stack.tif big.tif --weights model.npz --weight-key decoder.up1.weight --stride 2
"""


@main.command("deconv", help=DECONV_HELP, no_args_is_help=True,
              short_help="Upsample with a trained transposed convolution (weights from a file).")
@click.argument("src", metavar="IN", type=click.Path(dir_okay=False))
@click.argument("dst", metavar="OUT", type=click.Path(dir_okay=False), callback=options.check_output)
@click.option("--weights", metavar="FILE", required=True, type=click.Path(dir_okay=False),
              help="The weights (and bias): .npy, .npz or .safetensors.")
@options.deconv_options
@options.debug
def deconv_command(src, dst, weights, debug, **deconv_options):
    from . import io

    convert = options.file_deconv(weights, **deconv_options)
    if io.is_same_file(src, dst):
        raise UsageFailure(f"{dst}: OUT is the input file; choose another path")
    with _reported(src, dst, debug):
        convert(src, dst)


@main.command(short_help="List the modes of every convention, one line each.")
def modes():
    """List the modes of every --convention, one line each: convention, mode, what it does."""
    from .registry import mode_lines

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
        cpu.warm(progress=lambda signature: (bar.set_postfix_str(signature, refresh=False), bar.update()),
                 processes=len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
    click.echo(f"{len(cpu.SIGNATURES)} kernels ready in {time.monotonic() - start:.1f} s, "
               f"cached in {compiled.folder()}")


INFO_HELP = """Show what FILE holds: format, shape, axes (which are resized), pixel type, and the
metadata a resize keeps. Only the header is read."""


@main.command(
    help=INFO_HELP, short_help="Show a file's shape, axes, pixel type and kept metadata.", no_args_is_help=True
)
@click.argument("path", metavar="FILE", type=click.Path())
@options.axes
@options.debug
def info(path, axes, debug):
    from . import io, volumes
    from .info import describe

    if os.path.isdir(path) and not volumes.is_zarr(path):
        raise UsageFailure(f"{path}: a folder that is not a Zarr store; give a file")
    with _reported(path, None, debug):
        image = volumes.open_source(path, axes).header if volumes.is_zarr(path) else io.probe(path, axes=axes)
    click.echo("\n".join(describe(path, image)))


COMPARE_HELP = """Which mode brings your images back best? Shrink each IN by --scale, enlarge it back
with every mode (and convention), and score the result against IN: PSNR, SSIM (with the
'compare' extra: scikit-image), ringing (overshoot beyond the input's local range) and time.

IN: images, stacks or folders (their image, stack and array files). The table on stdout is
sorted best first and names the winner of each metric; on several files it shows the mean and
spread per mode. With two or more --conventions it also shows how far their results differ,
mode by mode. -o draws a contact sheet of one file: a detail of IN and of every result,
magnified, with difference maps. Stacks are shrunk and enlarged in 3-D (torch only).

\b
Examples:
  upsample compare photo.png --scale 4 -o sheet.png
  upsample compare photos/ --modes bicubic,lanczos --json report.json
  upsample compare photo.png --conventions torch,tf,pillow,opencv --modes bilinear,bicubic
"""


@main.command(
    "compare", help=COMPARE_HELP, no_args_is_help=True,
    short_help="Score every mode on a round trip of your images; draw a contact sheet.",
)
@click.argument("inputs", metavar="IN...", nargs=-1, required=True, type=click.Path())
@compare_options
@options.debug
def compare_command(inputs, scale, modes, conventions, degrade, crop, sheet, json_path, csv_path, recursive, quiet,
                    debug):
    import os

    from . import compare
    from .compare_options import methods
    from .image import SettingsError

    try:
        settings = compare.CompareSettings(methods(modes, conventions), scale, degrade)
    except ValueError as e:
        raise UsageFailure(f"--modes: {e}") from None
    paths = compare.files_of(inputs, recursive)
    single = len(paths) == 1 and not os.path.isdir(inputs[0])
    if (sheet or crop) and not single:
        raise UsageFailure(f"{'-o' if sheet else '--crop'} is for the sheet of one file; give one file as IN")
    if not paths:
        raise FileFailure(f"{', '.join(inputs)}: no image, stack or array files found")
    with_ssim = compare.ssim_available()
    if single:
        with _reported(paths[0], None, debug):
            comparisons, failures = [compare.compare_file(paths[0], settings, with_ssim)], []
            if sheet:
                from . import sheet as contact

                try:
                    drawn = contact.draw(comparisons[0], scale, degrade, crop)
                except ValueError as e:
                    raise SettingsError(f"{paths[0]}: {e}") from None
                contact.write(sheet, drawn)
    else:
        comparisons, failures = compare.compare_files(paths, settings, progress=not quiet, debug=debug)
    for line in compare.summary_lines(comparisons, settings, with_ssim):
        click.echo(line)
    for path, why in failures:
        click.echo(f"error: {path}: {why}", err=True)
    with _reported(json_path or csv_path or "", None, debug):
        if json_path:
            compare.write_json(json_path, compare.report(comparisons, settings, failures))
        if csv_path:
            compare.write_csv(csv_path, comparisons)
    sys.exit(1 if failures else 0)


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
        raise InterruptedFailure(what) from None
    except Exception as e:  # out of memory, or a bug; still one line, naming the file
        _traceback(debug)
        raise FileFailure(f"{src}: {reason(e, src)}") from None
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _traceback(debug: bool) -> None:
    if debug:
        traceback.print_exc(file=sys.stderr)
