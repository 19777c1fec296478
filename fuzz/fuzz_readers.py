"""Fuzz the file readers and the size parser: coverage-guided with atheris, or random mutation without it.

    python fuzz/fuzz_readers.py png [-max_total_time=60] [-timeout=10] [-rss_limit_mb=3000]
    python fuzz/fuzz_readers.py png --plain --seconds 60     # no atheris: random mutations

Targets: png, jpeg, tiff, webp, gif, bmp, npy (each reader, through ``io.probe`` and ``io.read``
with a 4-megapixel limit) and size (``parse_size``, ``parse_scale`` and ``resolve``). The seeds
are the files in ``sample_data/`` written in the target's format. A finding is any exception other
than the one-line errors (``UpsampleError``, ``SettingsError`` from the readers, ``ValueError``
from the parser); atheris also reports hangs over ``-timeout`` seconds and memory over
``-rss_limit_mb``. The plain loop reports the same exceptions, hangs (``--hang``, 10 s) and the
peak memory, and saves each finding under ``fuzz/findings/``.
"""

from __future__ import annotations

import argparse
import atexit
import io as bytes_io
import os
import random
import resource
import shutil
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from upsample_cli import io  # noqa: E402
from upsample_cli.image import Refused, UpsampleError  # noqa: E402
from upsample_cli.sizes import parse_scale, parse_size, resolve  # noqa: E402

READERS = {"png": ".png", "jpeg": ".jpg", "tiff": ".tif", "webp": ".webp", "gif": ".gif", "bmp": ".bmp", "npy": ".npy"}
PIXEL_LIMIT = 1 << 22
_WORK = Path(tempfile.mkdtemp(prefix="upsample-fuzz-"))
atexit.register(shutil.rmtree, _WORK, True)


def seeds(target: str) -> list:
    """The sample files as ``target`` bytes (the sample images written in that format)."""
    from PIL import Image

    samples = sorted((ROOT / "sample_data").glob("*.*"))
    if target == "size":
        return [b"800x600", b"640x", b"x480", b"64x64x32", b"128xx", b"50%", b"2", b"1.5,2", b"2,2,4", b"1e3x"]
    out = []
    for path in samples:
        if path.suffix == READERS[target]:
            out.append(path.read_bytes())
        if path.suffix not in (".png", ".tif"):
            continue
        try:
            image = io.read(path)
        except Exception:
            continue
        a = image.array
        if target == "npy":
            buf = bytes_io.BytesIO()
            np.save(buf, a)
            out.append(buf.getvalue())
        elif target == "tiff":
            import tifffile

            buf = bytes_io.BytesIO()
            tifffile.imwrite(buf, a, compression="zlib" if a.ndim == 3 else None)
            out.append(buf.getvalue())
        elif a.ndim >= 2 and a.dtype == np.uint8 and (a.ndim == 2 or a.shape[-1] in (3, 4)) and image.axes != "ZYX":
            pil = Image.fromarray(a)
            fmt = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP", "gif": "GIF", "bmp": "BMP"}[target]
            if fmt in ("JPEG", "BMP") and pil.mode == "RGBA":
                pil = pil.convert("RGB")
            for options in ({}, {"optimize": True} if fmt != "WEBP" else {"lossless": True}):
                buf = bytes_io.BytesIO()
                pil.save(buf, format=fmt, **options)
                out.append(buf.getvalue())
            if fmt in ANIMATED:
                out.append(_animation(pil, fmt))
    return out


# Formats with animations: their seeds include a small one (frames, partial frames, timing, loop).
ANIMATED = ("PNG", "GIF", "WEBP")


def _animation(pil, fmt: str) -> bytes:
    """Three small frames of ``pil``, the later ones changed in a corner (partial frames), as ``fmt``."""
    from PIL import Image

    first = pil.convert("RGBA").resize((24, 16))
    frames = [first]
    for shade in (60, 200):
        frame = first.copy()
        frame.paste(Image.new("RGBA", (6, 5), (shade, 255 - shade, 90, 255)), (3 + shade // 40, 2))
        frames.append(frame)
    buf = bytes_io.BytesIO()
    options = {"lossless": True} if fmt == "WEBP" else {}
    frames[0].save(buf, format=fmt, save_all=True, append_images=frames[1:], duration=[40, 80, 120], loop=2,
                   **options)
    return buf.getvalue()


def one_input(target: str, data: bytes) -> None:
    """Run the target on ``data``; returns quietly for the one-line errors, raises anything else."""
    if target == "size":
        text = data.decode("utf-8", "replace")
        for parse in (parse_size, parse_scale):
            try:
                resolve(parse(text), (640, 480))
                resolve(parse(text), (64, 48, 16))
            except ValueError:
                pass
        return
    path = _WORK / f"input{READERS[target]}"
    path.write_bytes(data)
    for run in (lambda: io.probe(path), lambda: io.read(path, max_pixels=PIXEL_LIMIT)):
        try:
            image = run()
        except (UpsampleError, Refused):
            return
        if image.array is not None:
            assert image.array.shape == tuple(image.shape), (image.array.shape, image.shape)


def _mutate(data: bytes, rng: random.Random, pool: list) -> bytes:
    b = bytearray(data)
    for _ in range(rng.choice((1, 1, 2, 4, 8))):
        kind = rng.randrange(6)
        if not b:
            b = bytearray(rng.randbytes(rng.randrange(1, 64)))
        i = rng.randrange(len(b))
        if kind == 0:
            b[i] ^= 1 << rng.randrange(8)
        elif kind == 1:
            b[i] = rng.choice((0, 0xFF, 0x7F, 0x80, rng.randrange(256)))
        elif kind == 2:
            del b[i : i + rng.randrange(1, 64)]
        elif kind == 3:
            b[i:i] = rng.randbytes(rng.randrange(1, 16))
        elif kind == 4:  # a 16- or 32-bit field set to an edge value
            width = rng.choice((2, 4))
            b[i : i + width] = rng.choice((b"\xff" * width, b"\x00" * width, b"\x7f" + b"\xff" * (width - 1)))
        else:  # splice with another input
            other = rng.choice(pool)
            j = rng.randrange(len(other)) if other else 0
            b = b[:i] + other[j:]
    return bytes(b)


class _Hang(Exception):
    pass


def plain(target: str, seconds: float, hang: float, seed: int, rss_limit_mb: int = 3000) -> int:
    """Random mutations of the seeds for ``seconds``; prints executions and findings, and returns 1
    when there is any (an input whose run took the peak memory over ``rss_limit_mb`` is one)."""
    rng = random.Random(seed)
    pool = seeds(target)
    findings_dir = ROOT / "fuzz" / "findings"

    def alarm(signum, frame):
        raise _Hang()

    signal.signal(signal.SIGALRM, alarm)
    end, runs, found = time.monotonic() + seconds, 0, {}
    while time.monotonic() < end:
        data = _mutate(rng.choice(pool), rng, pool)
        signal.setitimer(signal.ITIMER_REAL, hang)
        try:
            one_input(target, data)
        except _Hang:
            key = "hang"
        except Exception as e:
            frame = traceback.extract_tb(e.__traceback__)[-1]
            key = f"{type(e).__name__} at {Path(frame.filename).name}:{frame.lineno}: {' '.join(str(e).split())[:120]}"
        else:
            key = None
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        runs += 1
        if key is None and _peak_mb() > rss_limit_mb:
            key = f"memory over {rss_limit_mb} MB"
        if key is not None and key not in found:
            found[key] = data
            findings_dir.mkdir(exist_ok=True)
            name = findings_dir / f"{target}-{len(found)}{READERS.get(target, '.txt')}"
            name.write_bytes(data)
            print(f"finding: {key} (saved as {name})", flush=True)
        if key is not None and key.startswith("memory over"):
            break  # (the peak only grows: later inputs would all be blamed)
    print(f"{target}: {runs} executions in {seconds:.0f} s, {len(found)} findings, peak memory {_peak_mb()} MB")
    return 1 if found else 0


def _peak_mb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target", choices=[*READERS, "size"])
    parser.add_argument("--plain", action="store_true", help="random mutation without atheris")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--hang", type=float, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rss-limit-mb", type=int, default=3000, help="plain loop: peak memory that is a finding")
    args, rest = parser.parse_known_args()
    try:
        import atheris
    except ImportError:
        atheris = None
    if args.plain or atheris is None:
        return plain(args.target, args.seconds, args.hang, args.seed, args.rss_limit_mb)
    corpus = _WORK / "corpus"
    corpus.mkdir()
    for i, data in enumerate(seeds(args.target)):
        (corpus / f"seed{i}").write_bytes(data)
    atheris.instrument_all()
    target = args.target
    atheris.Setup([sys.argv[0], *rest, str(corpus)], lambda data: one_input(target, data))
    atheris.Fuzz()
    return 0


if __name__ == "__main__":
    sys.exit(main())
