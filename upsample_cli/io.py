"""Read and write images, stacks and arrays: pick the format, check the limits, replace files safely.

Reading recognises the format from the file's first bytes, not its name: TIFF (tifffile),
``.npy`` (NumPy, never pickle), 16-bit colour PNG (our own codec: Pillow would make it 8-bit),
and everything else through Pillow (PNG, JPEG, BMP, WebP, GIF). The size the header states is
checked against a pixel limit before any pixel is decoded, so a small file that claims a huge
image (a decompression bomb) costs nothing.

Writing picks the format from the output's extension (:data:`FORMATS`) and goes to a temporary
file in the target folder, flushed to disk and renamed over the target only when complete: a
failed or interrupted write leaves no partial file, and an existing output is replaced only by
a complete one.

Every failure is raised as :class:`UpsampleError` naming the file.
"""

from __future__ import annotations

import contextlib
import errno
import math
import os
import re
import socket
import stat
import tempfile
import time
from dataclasses import dataclass
from typing import Optional

from . import defaults
from .errors import text_of
from .formats import bmp, npy, png16, tiff
from .image import Image, SettingsError, UpsampleError, pixel_count

# Output extension -> format written.
FORMATS = {
    ".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".bmp": "BMP", ".webp": "WEBP",
    ".tif": "TIFF", ".tiff": "TIFF", ".npy": "NPY",
}
DEFAULT_MAX_PIXELS = defaults.MAX_PIXELS
# Samples a file may decode to per pixel of the input limit (RGBA at the limit).
SAMPLES_PER_PIXEL = 4


@dataclass(frozen=True)
class WriteOptions:
    """``quality``: JPEG (default 95) and WebP (default: lossless) quality from 1 to 100.
    ``compression``: TIFF compression, ``deflate`` (default), ``lzma`` or ``none``.
    ``png_level``: PNG's zlib level, 0 to 9 (default 1, the fastest)."""

    quality: Optional[int] = None
    compression: str = "deflate"
    png_level: int = defaults.PNG_LEVEL


def read(
    path, *, axes: Optional[str] = None, max_pixels: Optional[int] = DEFAULT_MAX_PIXELS, check=None
) -> Image:
    """Read the image, stack or array at ``path``; the format is recognised from the content.

    ``axes`` renames the axes of a TIFF or ``.npy`` file. Files whose header states more than
    ``max_pixels`` pixels (None: no limit) are refused before their pixels are decoded;
    ``check(header)``, when given, runs then too (its exceptions propagate). ``-`` is standard
    input (see :func:`standard_input`).
    """
    path = os.fspath(path)
    if path == STDIO:
        with standard_input(max_pixels) as local:
            return read(local, axes=axes, max_pixels=max_pixels, check=check)
    reader = _reader(path)

    def before_load(header: Image) -> None:
        if max_pixels is not None and header.pixels > max_pixels:
            raise UpsampleError(
                path,
                f"{header.describe()} has {header.pixels:,} pixels, more than the limit of {max_pixels:,} "
                "(a decompression bomb?); raise --max-input-pixels if the file is trusted",
            )
        samples = math.prod(header.shape)
        if max_pixels is not None and samples > SAMPLES_PER_PIXEL * max_pixels:
            # (a pixel of thousands of samples is as much a bomb as thousands of pixels)
            raise UpsampleError(
                path,
                f"{header.describe()} has {samples:,} samples, more than {SAMPLES_PER_PIXEL} per pixel of the limit "
                f"of {max_pixels:,} pixels (a decompression bomb?); raise --max-input-pixels if the file is trusted",
            )
        if check is not None:
            check(header)

    return reader(path, axes=axes, before_load=before_load, load=True)


def probe(path, *, axes: Optional[str] = None) -> Image:
    """What :func:`read` would give, without the pixels (``array`` is None)."""
    path = os.fspath(path)
    if path == STDIO:
        with standard_input(DEFAULT_MAX_PIXELS) as local:
            return probe(local, axes=axes)
    return _reader(path)(path, axes=axes, before_load=None, load=False)


# The path that names standard input (as IN) and standard output (as OUT).
STDIO = "-"
# Bytes of standard input taken per pixel of the input limit (channels, up to 8 bytes each, and
# headers), so that an endless stream stops instead of filling the disk.
_STDIN_BYTES_PER_PIXEL = 64
_CHUNK = 1 << 20


@contextlib.contextmanager
def standard_input(max_pixels: Optional[int]):
    """A temporary file holding standard input, read to its end, for the readers of files; errors
    inside name ``-``, not the temporary file. More than ``max_pixels`` x 64 bytes (None: no
    bound) is refused before the rest is read."""
    import sys

    bound = None if max_pixels is None else max_pixels * _STDIN_BYTES_PER_PIXEL + _CHUNK
    with tempfile.TemporaryDirectory(prefix="upsample-stdin.") as folder:
        local = os.path.join(folder, "stdin")
        try:
            with open(local, "wb") as f:
                source, total = sys.stdin.buffer, 0
                while chunk := source.read(_CHUNK):
                    total += len(chunk)
                    if bound is not None and total > bound:
                        raise UpsampleError(
                            STDIO, f"standard input holds more than {bound:,} bytes, too much for the limit of "
                            f"{max_pixels:,} pixels; raise --max-input-pixels if it is trusted")
                    f.write(chunk)
        except OSError as e:
            raise UpsampleError(STDIO, f"cannot read standard input: {_os_message(e)}") from None
        with _named(local, STDIO):
            yield local


@contextlib.contextmanager
def standard_output(fmt: str):
    """A temporary path with the extension of ``fmt`` (``".png"``) to write, whose file is copied
    to standard output once complete; errors inside name ``-``, not the temporary file."""
    import shutil
    import sys

    with tempfile.TemporaryDirectory(prefix="upsample-stdout.") as folder:
        local = os.path.join(folder, "stdout" + fmt)
        with _named(local, STDIO):
            yield local
        try:
            with open(local, "rb") as f:
                sys.stdout.flush()
                shutil.copyfileobj(f, sys.stdout.buffer, _CHUNK)
                sys.stdout.buffer.flush()
        except OSError as e:
            raise UpsampleError(STDIO, f"cannot write standard output: {_os_message(e)}") from None


@contextlib.contextmanager
def _named(local: str, name: str):
    """Errors raised inside that name the file ``local`` name ``name`` instead."""
    try:
        yield
    except UpsampleError as e:
        if e.path != local and local not in e.message:
            raise
        raise UpsampleError(name, e.message.replace(local, name)) from None
    except SettingsError as e:
        raise SettingsError(str(e).replace(local, name)) from None


def write(path, image: Image, options: WriteOptions = WriteOptions(), *, consume: bool = False) -> None:
    """Write ``image`` to ``path`` in the format of its extension, atomically.

    ``consume``: the caller needs ``image``'s pixels no more, so a writer that copies them for
    its codec may give their memory back to the system as it copies (their values are then
    undefined): the copy and the pixels are not held in full at once."""
    path = os.fspath(path)
    fmt = output_format(path)
    if image.mode == "CMYK" and image.array is not None:
        from .formats import pillow

        if fmt in pillow.CMYK_AS_RGB:
            image = pillow.cmyk_as_rgb(path, image)
    if fmt == "NPY":
        atomic_write(path, lambda tmp: npy.write(tmp, image))
    elif fmt == "TIFF":
        atomic_write(path, lambda tmp: tiff.write(tmp, image, options.compression))
    elif fmt == "PNG" and (pixels := _own_codec_pixels(path, image, fmt)) is not None:
        atomic_write(path, lambda tmp: png16.write(tmp, image, pixels, options.png_level))
    elif fmt == "BMP" and (pixels := _own_codec_pixels(path, image, fmt)) is not None:
        atomic_write(path, lambda tmp: bmp.write(tmp, pixels, image.metadata.dpi()))
    else:
        from .formats import pillow

        pil, save_options = pillow.prepare(path, image, fmt, options.quality, options.png_level, consume=consume)
        atomic_write(path, lambda tmp: pil.save(tmp, format=fmt, **save_options))


def _own_codec_pixels(path: str, image: Image, fmt: str):
    """The pixels that our own writer of ``fmt`` writes for ``image``: ``(H, W, C)`` for ``png16``
    (gray, gray and alpha, RGB, RGBA), ``(H, W[, 3])`` for ``bmp`` (gray, RGB); None where Pillow
    writes it (palettes, 16-bit gray, bilevel, animations)."""
    from .formats import pillow

    if image.palette is not None or pillow.frame_count(image) > 1:
        return None
    pixels, mode, _ = pillow.arrange(path, image, fmt)
    if fmt == "BMP":
        return pixels if bmp.writes(pixels, mode) else None
    if not (png16.needed(image) or png16.writes(pixels, mode)):
        return None
    return pixels.reshape(pixels.shape[:2] + (-1,))


def check_writable(path, image: Image) -> None:
    """Raise UpsampleError when the format of ``path`` cannot hold ``image`` (header only)."""
    path = os.fspath(path)
    fmt = output_format(path)
    if fmt not in ("NPY", "TIFF"):
        from .formats import pillow

        pillow.check(path, image, fmt)


def output_format(path) -> str:
    """The format written for ``path``, from its extension."""
    path = os.fspath(path)
    ext = os.path.splitext(path)[1].lower()
    if ext == ".gif":
        raise UpsampleError(path, "GIF (.gif) is not written; write .png (an APNG for an animation) or .webp instead")
    if ext not in FORMATS:
        accepted = ", ".join(FORMATS)
        got = f"{ext!r}" if ext else "no extension"
        raise UpsampleError(path, f"unknown output format ({got}); use one of {accepted}")
    return FORMATS[ext]


def is_same_file(a, b) -> bool:
    """Whether paths ``a`` and ``b`` name the same file (also through links); ``-`` (standard
    input or output) is no file."""
    if STDIO in (a, b):
        return False
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def _reader(path: str):
    check_regular_file(path)
    try:
        with open(path, "rb") as f:
            head = f.read(26)
    except OSError as e:
        raise UpsampleError(path, _os_message(e)) from None
    if not head:
        raise UpsampleError(path, "file is empty")
    if head[:4] in tiff.MAGIC:
        return tiff.read
    if head.startswith(npy.MAGIC):
        return npy.read
    if png16.is_sixteen_bit_colour(head):
        return png16.read
    from .formats import pillow

    return pillow.read


_NOT_REGULAR = (
    (stat.S_ISDIR, "is a folder, not a file"),
    (stat.S_ISFIFO, "is a named pipe (FIFO), not a file; give a regular file"),
    (stat.S_ISSOCK, "is a socket, not a file; give a regular file"),
    (stat.S_ISCHR, "is a character device, not a file; give a regular file"),
    (stat.S_ISBLK, "is a block device, not a file; give a regular file"),
)


def check_regular_file(path: str) -> None:
    """UpsampleError unless ``path`` (through links) is a regular file: opening a FIFO would wait
    for a writer forever, and a device can be read without end."""
    if path == "-":
        raise UpsampleError(path, "reading standard input ('-') is not supported here; give a file")
    try:
        mode = os.stat(path).st_mode
    except OSError as e:
        raise UpsampleError(path, _os_message(e)) from None
    if not stat.S_ISREG(mode):
        reason = next((text for test, text in _NOT_REGULAR if test(mode)), "is not a regular file")
        raise UpsampleError(path, reason)


# Temporary files: ``.<name>.<pid>@<host>.<random>.part`` (``.<name>.<random>.part`` before the
# owner was named). A process killed outright (kill -9, power loss) leaves one behind;
# :func:`remove_stale_temporaries` removes those of dead owners on the next write in the folder.
_TEMPORARY = re.compile(r"^\..+?\.(?:(?P<pid>\d+)@(?P<host>[A-Za-z0-9_-]*)\.)?[a-z0-9_]{8}\.part$")
# A temporary whose owner may run on another machine (another host's name, or the old naming)
# is stale only when nothing has written to it for this long.
STALE_AFTER_S = 24 * 3600
_swept_folders: set = set()


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "", socket.gethostname())[:32]


def remove_stale_temporaries(folder: str, *, now: Optional[float] = None) -> list:
    """Remove the temporary files of writes that will never finish, in ``folder``; their paths.

    Only files named as :func:`atomic_write` names them and owned by this user are candidates.
    One is stale when its owner process, on this machine, is no longer alive, or, when its owner
    cannot be checked from here, when it has not been written to for :data:`STALE_AFTER_S`.
    """
    now = time.time() if now is None else now
    host, removed = _host(), []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        match = _TEMPORARY.match(entry.name)
        if match is None:
            continue
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid():
            continue
        if match["pid"] is not None and match["host"] == host:
            stale = not _alive(int(match["pid"]))
        else:
            stale = now - info.st_mtime > STALE_AFTER_S
        if stale:
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
                removed.append(entry.path)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # (another user's process, or a number that is not a pid: keep it)
    return True


def check_output_path(path) -> None:
    """UpsampleError unless a file can be written at ``path``: not a folder, in a folder that
    exists and that this user may write in. Checked before any work, so that a run does not end
    by finding it cannot keep its result."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise UpsampleError(path, "is a folder, not a file")
    if not os.path.isdir(folder):
        raise UpsampleError(path, f"folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UpsampleError(path, f"cannot write in {folder}: permission denied")


def atomic_write(path: str, writer) -> None:
    """Run ``writer(tmp)`` on a temporary file next to ``path``, then move it onto ``path``.

    A symbolic link at ``path`` is written through: its target is replaced and the link kept,
    as writing to a link does."""
    check_output_path(path)
    if os.path.islink(path):
        path = os.path.realpath(path)
        check_output_path(path)
    folder = os.path.dirname(os.path.abspath(path))
    if folder not in _swept_folders:
        _swept_folders.add(folder)
        remove_stale_temporaries(folder)
    try:
        prefix = f".{os.path.basename(path)}.{os.getpid()}@{_host()}."
        fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=".part", dir=folder)
    except OSError as e:
        raise UpsampleError(path, f"cannot write in {folder}: {_os_message(e)}") from None
    try:
        os.close(fd)
        writer(tmp)
        _flush_to_disk(tmp)
        os.chmod(tmp, _new_file_mode(path))
        os.replace(tmp, path)
    except BaseException as e:
        full = _disk_full(e, folder)  # (before the partial file frees its space)
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(e, UpsampleError):
            raise
        if isinstance(e, MemoryError):
            raise UpsampleError(path, "not enough memory to write this image") from None
        if isinstance(e, OSError) and str(e).startswith("cannot write mode"):
            # Pillow's "cannot write mode RGBA as JPEG"
            raise UpsampleError(path, f"{e}; choose another output format (.tif keeps every mode)") from None
        if full:
            raise UpsampleError(path, full) from None
        if isinstance(e, OSError) and e.strerror:
            raise UpsampleError(path, f"cannot write: {_os_message(e)}") from None
        if isinstance(e, Exception):
            raise UpsampleError(path, f"cannot write ({text_of(e)})") from None
        raise


_FULL = "the disk is full (no room left in {folder}); nothing was written"


def _disk_full(e: BaseException, folder: str) -> Optional[str]:
    """The message for a write that ran out of space, or None when ``e`` is something else.

    ``ENOSPC`` (and a full quota) say so; NumPy and tifffile report a short write as
    ``"<n> requested and <m> written"`` with no error number, which, with less free space in
    the folder than was asked for, is a full disk too."""
    if isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EDQUOT):
        return _FULL.format(folder=folder)
    short = re.search(r"(\d+) requested and (\d+) written", str(e)) if isinstance(e, Exception) else None
    if short is None:
        return None
    requested, written = int(short[1]), int(short[2])
    try:
        free = _free_bytes(folder)
    except OSError:
        free = None
    if free is not None and free >= requested - written:
        return f"cannot write: only {written:,} of {requested:,} bytes were written"
    return _FULL.format(folder=folder)


def _free_bytes(folder: str) -> int:
    info = os.statvfs(folder)
    return info.f_bavail * info.f_frsize


def _flush_to_disk(tmp: str) -> None:
    fd = os.open(tmp, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError as e:
        if e.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise  # (a full disk can show only now, on file systems that write late)
        # some file systems cannot sync; the rename still keeps the target whole
    finally:
        os.close(fd)


def _new_file_mode(path: str) -> int:
    """The permissions of the file replaced, or those a new file gets under the umask."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _os_message(e: OSError) -> str:
    if isinstance(e, FileNotFoundError):
        return "no such file"
    if isinstance(e, IsADirectoryError):
        return "is a folder, not a file"
    if isinstance(e, PermissionError):
        return "permission denied"
    return e.strerror or str(e)


__all__ = [
    "DEFAULT_MAX_PIXELS", "FORMATS", "Image", "UpsampleError", "WriteOptions",
    "check_output_path", "check_writable", "is_same_file", "output_format", "pixel_count", "probe", "read", "standard_input",
    "standard_output", "write",
]
