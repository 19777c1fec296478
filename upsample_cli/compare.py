"""``upsample compare``: which mode brings an image back best, and how far the libraries disagree.

The round trip. IN (the reference) is shrunk by ``scale`` on every resized axis with ``--degrade``
(torch's modes: antialiased bicubic by default, as super-resolution benchmarks make their inputs),
then enlarged back to IN's size by every method (a mode of a convention, see
:mod:`upsample_cli.compare_options`) through the same file pipeline as ``upsample resize``: the
pixels are those a user of that library gets, in IN's pixel type. IN is first cut to a multiple of
``scale`` (from the top left), so that the round trip gives IN's size back exactly. A stack is
shrunk and enlarged on all three axes, which only torch's modes do (``bilinear`` as trilinear).
With ``--degrade none`` IN is the low-resolution image: it is only enlarged, and there is no
reference to score against.

The scores, per method:

- PSNR: ``10 log10(range^2 / MSE)`` over every pixel and channel, in dB; ``range`` is the pixel
  type's (255 for 8 bits, 65535 for 16) or, for floats, the reference's max - min. Infinite when
  the result equals the reference.
- SSIM: scikit-image's ``structural_similarity`` (its defaults: a 7-pixel uniform window) on the
  same arrays, with the same ``range`` and the channel axis as ``channel_axis``; absent when
  scikit-image is not installed or the image is under 7 pixels on a side.
- ringing: how far the result goes beyond the local range of the low-resolution input: for each
  output pixel, the min and max of the 3 x 3 (x 3) input pixels around the one under its centre;
  the overshoot is the distance above that max or below that min. Reported as its mean over the
  pixels and its maximum, in pixel values. Nearest, bilinear and area do not overshoot; cubic and
  Lanczos kernels do, at edges.
- seconds: the fastest of a few runs of the enlargement, after one untimed run.

Agreement: for each mode run by two or more conventions, every pair's results are compared pixel
by pixel: the largest and the mean absolute difference, the share of pixels that differ, the
share of the difference within ``2 * scale`` pixels of the border (where the libraries' edge
rules differ), and where the largest difference is.
"""

from __future__ import annotations

import csv
import itertools
import json
import math
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from .compare_options import DEGRADATIONS, Crop, Method
from .image import Image
from .pipeline import Settings, resize_image
from .sizes import Size

SSIM_WINDOW = 7
TIMED_RUNS = 3
TIME_BUDGET = 0.5  # seconds of timed runs per method, at most (after the first timed run)
SPATIAL = "XYZ"  # width first, as the sizes are given
SSIM_MISSING = ("SSIM needs scikit-image, which is not installed: pip install scikit-image "
                "(PSNR, ringing and times are shown without it)")


@dataclass(frozen=True)
class CompareSettings:
    """The methods to run, the factor, and how the low-resolution image is made (``"none"``: IN is it)."""

    methods: Tuple[Method, ...]
    scale: int = 4
    degrade: str = "bicubic-aa"


@dataclass(frozen=True)
class Score:
    """One method on one file. ``psnr``/``mse``/``ssim`` are None without a reference (``ssim`` also
    without scikit-image); ``psnr`` is ``inf`` for an exact result."""

    method: Method
    psnr: Optional[float]
    mse: Optional[float]
    ssim: Optional[float]
    ringing: float
    ringing_max: float
    seconds: float


@dataclass(frozen=True)
class Agreement:
    """Two conventions' results for one mode: differences in pixel values, ``differing`` and
    ``border`` as fractions, ``at`` the largest difference's position (x, y[, z])."""

    mode: str
    a: str
    b: str
    max_diff: float
    mean_diff: float
    differing: float
    border: float
    at: Tuple[int, ...]


@dataclass
class Comparison:
    """One file compared: IN as compared (cut to a multiple of the scale), the low-resolution image,
    each method's result (arrays in IN's axes), the scores and the agreements."""

    path: str
    image: Image
    low: Image
    reference: Optional[np.ndarray]
    results: Dict[Method, np.ndarray]
    scores: List[Score]
    agreements: List[Agreement]
    data_range: float
    notes: List[str] = field(default_factory=list)


# --- metrics ---------------------------------------------------------------------------------


def data_range(reference: np.ndarray) -> float:
    """The range PSNR and SSIM are relative to: the integer type's span, else the reference's max - min
    (1 when it is constant)."""
    if reference.dtype.kind in "iub":
        info = np.iinfo(reference.dtype) if reference.dtype.kind != "b" else None
        return 1.0 if info is None else float(info.max) - float(info.min)
    span = float(np.max(reference)) - float(np.min(reference))
    return span if span > 0 else 1.0


def psnr(reference: np.ndarray, result: np.ndarray, value_range: float) -> Tuple[float, float]:
    """``(PSNR in dB, MSE)``; PSNR is ``inf`` when the two are equal."""
    mse = float(np.mean(np.square(reference.astype(np.float64) - result.astype(np.float64))))
    return (math.inf if mse == 0 else 10 * math.log10(value_range**2 / mse)), mse


def ssim_available() -> bool:
    try:
        import skimage.metrics  # noqa: F401
    except ImportError:
        return False
    return True


def ssim(reference: np.ndarray, result: np.ndarray, value_range: float, channel_axis: Optional[int]) -> Optional[float]:
    """scikit-image's ``structural_similarity`` with its default window; None when a side of the
    image is shorter than the window. ImportError without scikit-image."""
    from skimage.metrics import structural_similarity

    sides = [n for i, n in enumerate(reference.shape) if i != channel_axis]
    if min(sides) < SSIM_WINDOW:
        return None
    return float(structural_similarity(reference, result, data_range=value_range, channel_axis=channel_axis))


def ringing(result: np.ndarray, low: np.ndarray, spatial: Sequence[int]) -> Tuple[float, float]:
    """``(mean, max)`` overshoot of ``result`` beyond the 3-pixel local range of ``low`` (see the module
    docstring); ``spatial`` lists the resized axes, the same in both arrays."""
    lo = hi = low.astype(np.float64)
    for axis in spatial:
        lo, hi = _extreme3(lo, axis, np.minimum), _extreme3(hi, axis, np.maximum)
    for axis in spatial:
        index = nearest_index(low.shape[axis], result.shape[axis])
        lo, hi = np.take(lo, index, axis), np.take(hi, index, axis)
    out = result.astype(np.float64)
    over = np.maximum(out - hi, 0) + np.maximum(lo - out, 0)
    return float(over.mean()), float(over.max())


def _extreme3(a: np.ndarray, axis: int, pick) -> np.ndarray:
    n = a.shape[axis]
    before = np.take(a, np.maximum(np.arange(n) - 1, 0), axis)
    after = np.take(a, np.minimum(np.arange(n) + 1, n - 1), axis)
    return pick(pick(before, a), after)


def nearest_index(n_in: int, n_out: int) -> np.ndarray:
    """The input pixel under each output pixel's centre."""
    return np.minimum(((np.arange(n_out) + 0.5) * (n_in / n_out)).astype(np.intp), n_in - 1)


def agreement(mode: str, a: str, b: str, x: np.ndarray, y: np.ndarray, spatial: Dict[str, int], band: int) -> Agreement:
    """How far ``x`` and ``y`` (two conventions' results for ``mode``) differ; ``spatial`` maps the
    resized axes' letters to their positions, ``band`` is the width of the border, in pixels."""
    letters = [letter for letter in SPATIAL if letter in spatial]
    diff = np.abs(x.astype(np.float64) - y.astype(np.float64))
    diff = np.moveaxis(diff, [spatial[letter] for letter in letters], range(-len(letters), 0))
    diff = diff.reshape((-1,) + diff.shape[-len(letters):])  # (other axes and channels, X, Y[, Z])
    largest, total = diff.max(axis=0), diff.sum(axis=0)
    border = np.zeros(largest.shape, dtype=bool)
    for k, n in enumerate(largest.shape):
        edge = np.zeros(n, dtype=bool)
        edge[:band] = edge[max(n - band, 0):] = True
        border |= edge.reshape([-1 if j == k else 1 for j in range(largest.ndim)])
    at = np.unravel_index(int(np.argmax(largest)), largest.shape)
    whole = float(total.sum())
    return Agreement(mode, a, b, float(largest.max()), float(diff.mean()), float(np.mean(largest > 0)),
                     float(total[border].sum()) / whole if whole else 0.0, tuple(int(i) for i in at))


# --- one file --------------------------------------------------------------------------------


def spatial_axes(image: Image) -> Dict[str, int]:
    """The resized axes' letters -> their positions in the array."""
    return {letter: image.axes.index(letter) for letter in SPATIAL if letter in image.axes}


def prepared(image: Image, scale: int, degrade: str) -> Tuple[Image, List[str]]:
    """IN as compared: palette expanded, alpha straight, cut to a multiple of ``scale`` when it is
    degraded; ValueError when it is too small."""
    notes = []
    if image.palette is not None:
        image = image.expanded()
    image = image.straightened()
    if degrade == "none":
        return image, notes
    axes = spatial_axes(image)
    sizes = {letter: image.shape[i] for letter, i in axes.items()}
    if min(sizes.values()) < scale:
        raise ValueError(f"{image.describe()} is too small to shrink by {scale}; give a smaller --scale")
    kept = {letter: n - n % scale for letter, n in sizes.items()}
    if kept != sizes:
        index = tuple(slice(0, kept[a]) if a in kept else slice(None) for a in image.axes)
        image = image.with_array(np.ascontiguousarray(image.array[index]))
        notes.append(f"cut to {'x'.join(str(kept[a]) for a in SPATIAL if a in kept)} (from the top left) "
                     f"so that {scale} divides its sides")
    return image, notes


def _target(image: Image, factor: float) -> Size:
    return Size(tuple(int(round(image.size(a) * factor)) for a in SPATIAL if a in image.axes))


def _settings(method: Method, image: Image, target: Size) -> Settings:
    mode = method.mode
    if image.is_stack:
        if method.convention != "torch":
            raise ValueError(f"a stack is compared in 3-D, which only torch does; leave out --conventions "
                             f"{method.convention}")
        mode = "trilinear" if mode == "bilinear" else mode
    return Settings(target, mode, method.convention)


def _timed(run):
    """``(result, seconds)``: the result of a first run and the fastest of the timed ones after it."""
    result = run()
    best, spent = math.inf, 0.0
    for _ in range(TIMED_RUNS):
        start = time.perf_counter()
        run()
        seconds = time.perf_counter() - start
        best, spent = min(best, seconds), spent + seconds
        if spent > TIME_BUDGET:
            break
    return result, best


def compare_image(image: Image, settings: CompareSettings, path: str = "", with_ssim: Optional[bool] = None) -> Comparison:
    """Run every method of ``settings`` on ``image`` and score it (see the module docstring).

    ValueError or TypeError when the image does not fit the settings (too small, a stack with a
    convention other than torch, a pixel type a library refuses).
    """
    image, notes = prepared(image, settings.scale, settings.degrade)
    with_ssim = ssim_available() if with_ssim is None else with_ssim
    degrade = DEGRADATIONS[settings.degrade]
    if degrade is None:
        low, reference, big = image, None, _target(image, settings.scale)
    else:
        mode, antialias = degrade
        low = resize_image(image, Settings(_target(image, 1 / settings.scale), mode, "torch", antialias=antialias))
        reference, big = image.array, _target(image, 1)
    axes = spatial_axes(image)
    spatial = sorted(axes.values())
    value_range = data_range(reference if reference is not None else low.array)
    results, scores = {}, []
    for method in settings.methods:
        out, seconds = _timed(lambda: resize_image(low, _settings(method, low, big)).array)
        results[method] = out
        ring, ring_max = ringing(out, low.array, spatial)
        db = mse = similarity = None
        if reference is not None:
            db, mse = psnr(reference, out, value_range)
            if with_ssim:
                similarity = ssim(reference, out, value_range, image.channel_axis)
        scores.append(Score(method, db, mse, similarity, ring, ring_max, seconds))
    if reference is not None and with_ssim and scores and scores[0].ssim is None:
        notes.append(f"no SSIM: a side is shorter than its {SSIM_WINDOW}-pixel window")
    agreements = []
    for mode, group in itertools.groupby(settings.methods, key=lambda m: m.name):
        for a, b in itertools.combinations(list(group), 2):
            agreements.append(agreement(mode, a.convention, b.convention, results[a], results[b], axes,
                                        2 * settings.scale))
    return Comparison(path, image, low, reference, results, scores, agreements, value_range, notes)


def compare_file(path: str, settings: CompareSettings, with_ssim: Optional[bool] = None) -> Comparison:
    """Read ``path`` and :func:`compare_image` it. UpsampleError for a file that cannot be read;
    SettingsError naming the file when it does not fit the settings."""
    from . import io
    from .image import SettingsError

    image = io.read(path)
    try:
        return compare_image(image, settings, path, with_ssim)
    except (ValueError, TypeError) as e:
        raise SettingsError(f"{path}: {e}") from None


def files_of(inputs: Sequence[str], recursive: bool = False) -> List[str]:
    """The files to compare: each input that is not a folder (a missing one fails when read), and
    the images, stacks and arrays of each folder (as ``upsample batch`` takes them)."""
    import os

    from .batch import selected, walk

    files = []
    for path in inputs:
        if not os.path.isdir(path):
            files.append(path)
            continue
        for folder, names, _ in walk(path, recursive, set()):
            files.extend(os.path.join(path, folder, n) if folder else os.path.join(path, n)
                         for n in names if selected(folder, n, None))
    return files


def compare_files(paths: Sequence[str], settings: CompareSettings, progress: bool = True, debug: bool = False):
    """:func:`compare_file` on each path, with a tqdm bar on stderr; ``(comparisons, failures)``,
    a failure being ``(path, one-line reason)``. KeyboardInterrupt stops the run."""
    import sys
    import traceback

    from tqdm import tqdm

    from .errors import reason

    with_ssim = ssim_available()
    comparisons, failures = [], []
    with tqdm(paths, unit="file", desc="upsample compare", disable=not progress or None, leave=False,
              file=sys.stderr) as bar:
        for path in bar:
            try:
                comparisons.append(compare_file(path, settings, with_ssim))
            except Exception as e:
                if debug:
                    traceback.print_exc(file=sys.stderr)
                failures.append((path, reason(e, path)))
    return comparisons, failures


def summary_lines(comparisons: Sequence[Comparison], settings: CompareSettings, with_ssim: bool) -> List[str]:
    """What ``upsample compare`` prints: what was done, the table, the winners, the agreement."""
    if not comparisons:
        return []
    if settings.degrade == "none":
        how = f"enlarged x{settings.scale} by each mode (no reference: ringing and time only)"
    else:
        how = f"shrunk x{settings.scale} by {settings.degrade} and enlarged back by each mode"
    if len(comparisons) == 1:
        c = comparisons[0]
        head = f"{c.path}: {c.image.describe()}, {how}"
    else:
        head = f"{len(comparisons)} files, {how}; mean ± standard deviation over the files"
    lines = [head] + table(summarize(comparisons), with_ssim and settings.degrade != "none")
    agreeing = agreement_table(aggregate_agreements(comparisons))
    if agreeing:
        title = "agreement between the conventions (absolute differences in pixel values"
        title += ", largest over the files):" if len(comparisons) > 1 else "):"
        lines += ["", title] + agreeing
    notes = [f"note: {c.path}: {n}" for c in comparisons for n in c.notes]
    if not with_ssim and settings.degrade != "none":
        notes.append(f"note: {SSIM_MISSING}")
    return lines + notes


# --- the crop shown on the sheet ---------------------------------------------------------------

CROP_SIDE = 64


def detail_plane(array: np.ndarray, image: Image) -> np.ndarray:
    """A 2-D (Y, X) float view of ``array`` for finding detail: the middle slice of a stack, channels
    and other axes averaged."""
    a = np.moveaxis(array, [image.axes.index("Y"), image.axes.index("X")], [-2, -1]).astype(np.float64)
    if image.is_stack:
        z = image.axes.index("Z")
        z_now = z - sum(1 for i in (image.axes.index("Y"), image.axes.index("X")) if i < z)
        a = np.take(a, a.shape[z_now] // 2, axis=z_now)
    return a.reshape((-1,) + a.shape[-2:]).mean(axis=0)


def choose_crop(plane: np.ndarray, side: int = CROP_SIDE, step: int = 1) -> Crop:
    """The ``side`` x ``side`` square (clipped to the plane) whose gradient magnitudes sum highest, with
    its corner on multiples of ``step``."""
    h, w = plane.shape
    ch, cw = min(side, h), min(side, w)
    grad = np.zeros((h, w))
    grad[:, 1:] += np.abs(np.diff(plane, axis=1))
    grad[1:, :] += np.abs(np.diff(plane, axis=0))
    total = np.zeros((h + 1, w + 1))
    total[1:, 1:] = grad.cumsum(0).cumsum(1)
    ys = np.arange(0, h - ch + 1, step)
    xs = np.arange(0, w - cw + 1, step)
    sums = (total[ys[:, None] + ch, xs[None, :] + cw] - total[ys[:, None], xs[None, :] + cw]
            - total[ys[:, None] + ch, xs[None, :]] + total[ys[:, None], xs[None, :]])
    iy, ix = np.unravel_index(int(np.argmax(sums)), sums.shape)
    return Crop(int(xs[ix]), int(ys[iy]), cw, ch)


def check_crop(crop: Crop, image: Image) -> None:
    """ValueError when ``crop`` does not lie inside ``image`` (IN as compared)."""
    w, h = image.size("X"), image.size("Y")
    if crop.x + crop.width > w or crop.y + crop.height > h:
        raise ValueError(f"{crop} lies outside the {w}x{h} image; give X + W <= {w} and Y + H <= {h}")


# --- over files ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    """A method's scores over the files: ``(mean, standard deviation)`` per metric (None where absent)."""

    method: Method
    files: int
    psnr: Optional[Tuple[float, float]]
    ssim: Optional[Tuple[float, float]]
    ringing: Tuple[float, float]
    seconds: Tuple[float, float]


def _spread(values) -> Optional[Tuple[float, float]]:
    values = [v for v in values if v is not None]
    if not values:
        return None
    if any(math.isinf(v) for v in values):
        return (math.inf, 0.0) if all(math.isinf(v) for v in values) else (math.inf, math.nan)
    return float(np.mean(values)), float(np.std(values))


def summarize(comparisons: Sequence[Comparison]) -> List[Summary]:
    """One :class:`Summary` per method, best first (:func:`ranked`)."""
    by_method: Dict[Method, List[Score]] = {}
    for c in comparisons:
        for s in c.scores:
            by_method.setdefault(s.method, []).append(s)
    summaries = [
        Summary(m, len(scores), _spread(s.psnr for s in scores), _spread(s.ssim for s in scores),
                _spread(s.ringing for s in scores), _spread(s.seconds for s in scores))
        for m, scores in by_method.items()
    ]
    return ranked(summaries)


def ranked(summaries: List[Summary]) -> List[Summary]:
    """Best first: by PSNR (higher), then SSIM (higher), then ringing (lower), then time; without a
    reference, by ringing then time."""
    def key(s: Summary):
        return (-(s.psnr[0] if s.psnr else 0.0), -(s.ssim[0] if s.ssim else 0.0), s.ringing[0], s.seconds[0])

    return sorted(summaries, key=key)


METRICS = (  # (name, Summary attribute, higher is better, how the winner is named)
    ("psnr", "psnr", True, "best PSNR"),
    ("ssim", "ssim", True, "best SSIM"),
    ("ringing", "ringing", False, "least ringing"),
    ("seconds", "seconds", False, "fastest"),
)


def winners(summaries: Sequence[Summary]) -> List[Tuple[str, List[Method], float]]:
    """Per metric: ``(what, the methods that reach the best mean, that mean)``."""
    found = []
    for _, attribute, higher, what in METRICS:
        values = [(getattr(s, attribute)[0], s.method) for s in summaries if getattr(s, attribute) is not None]
        if not values:
            continue
        best = max(v for v, _ in values) if higher else min(v for v, _ in values)
        tied = [m for v, m in values if v == best or (math.isfinite(best) and abs(v - best) <= 1e-12 * abs(best))]
        found.append((what, tied, best))
    return found


def aggregate_agreements(comparisons: Sequence[Comparison]) -> List[dict]:
    """Per mode and pair over the files: the largest difference, and the means of the others."""
    groups: Dict[Tuple[str, str, str], List[Agreement]] = {}
    for c in comparisons:
        for a in c.agreements:
            groups.setdefault((a.mode, a.a, a.b), []).append(a)
    return [
        {"mode": mode, "a": a, "b": b, "files": len(items),
         "max_abs_diff": max(i.max_diff for i in items),
         "mean_abs_diff": float(np.mean([i.mean_diff for i in items])),
         "differing": float(np.mean([i.differing for i in items])),
         "border_share": float(np.mean([i.border for i in items]))}
        for (mode, a, b), items in groups.items()
    ]


# --- reports ---------------------------------------------------------------------------------


def _number(value: Optional[float], digits: int) -> str:
    if value is None:
        return "-"
    if math.isinf(value):
        return "exact"
    return f"{value:.{digits}f}"


def _cell(pair: Optional[Tuple[float, float]], digits: int, files: int) -> str:
    if pair is None:
        return "-"
    mean, sd = pair
    text = _number(mean, digits)
    if files > 1 and math.isfinite(mean):
        text += f" ± {sd:.{digits}f}"
    return text


def table(summaries: Sequence[Summary], show_ssim: bool) -> List[str]:
    """The stdout table, best first, and a line naming the winner of each metric."""
    files = max((s.files for s in summaries), default=1)
    header = ["rank", "mode", "convention", "PSNR dB", "SSIM", "ringing", "ms"]
    rows = []
    for i, s in enumerate(summaries, 1):
        convention = s.method.convention + (f" {s.method.mode}" if s.method.mode != s.method.name else "")
        ms = (s.seconds[0] * 1e3, s.seconds[1] * 1e3)
        rows.append([str(i), s.method.name, convention, _cell(s.psnr, 2, files), _cell(s.ssim, 4, files),
                     _cell(s.ringing, 2, files), _cell(ms, 1, files)])
    absent = [k for k, shown in ((4, show_ssim), (3, any(s.psnr is not None for s in summaries))) if not shown]
    for k in absent:  # the SSIM column first: it stands after PSNR's
        for row in [header] + rows:
            row.pop(k)
    widths = [max(len(r[k]) for r in [header] + rows) for k in range(len(header))]
    lines = ["  ".join(cell.ljust(w) if k < 3 else cell.rjust(w) for k, (cell, w) in enumerate(zip(row, widths)))
             .rstrip() for row in [header] + rows]
    units = {"psnr": " dB", "ssim": "", "ringing": "", "seconds": " ms"}
    named = []
    for what, tied, best in winners(summaries):
        metric = next(m for m, _, _, w in METRICS if w == what)
        if metric == "ssim" and not show_ssim:
            continue
        value = best * 1e3 if metric == "seconds" else best
        digits = {"psnr": 2, "ssim": 4, "ringing": 2, "seconds": 1}[metric]
        names = ", ".join(m.label for m in tied[:3]) + (f" and {len(tied) - 3} more" if len(tied) > 3 else "")
        named.append(f"{what}: {names} ({_number(value, digits)}{units[metric] if math.isfinite(value) else ''})")
    return lines + ["; ".join(named)] if named else lines


def agreement_table(rows: Sequence[dict]) -> List[str]:
    """How far the conventions' results differ, per mode and pair (empty when there is one convention)."""
    if not rows:
        return []
    header = ["mode", "pair", "max diff", "mean diff", "differing", "on border"]
    body = [[r["mode"], f"{r['a']} - {r['b']}", f"{r['max_abs_diff']:.4g}", f"{r['mean_abs_diff']:.4g}",
             f"{100 * r['differing']:.1f}%", f"{100 * r['border_share']:.0f}%"] for r in rows]
    widths = [max(len(r[k]) for r in [header] + body) for k in range(len(header))]
    return [
        "  ".join(c.ljust(w) if k < 2 else c.rjust(w) for k, (c, w) in enumerate(zip(row, widths))).rstrip()
        for row in [header] + body
    ]


def _finite(value):
    return None if value is None or not math.isfinite(value) else value


def _method_dict(m: Method) -> dict:
    return {"mode": m.name, "convention": m.convention, "library_mode": m.mode}


def report(comparisons: Sequence[Comparison], settings: CompareSettings, failures: Sequence[Tuple[str, str]] = (),
           notes: Sequence[str] = ()) -> dict:
    """Everything as JSON-ready data (schema in docs/compare.md). Infinite PSNR (an exact result)
    is written as null, with its ``mse`` of 0."""
    files = []
    for c in comparisons:
        files.append({
            "path": c.path,
            "shape": list(c.image.shape), "axes": c.image.axes, "dtype": str(c.image.dtype),
            "low_shape": list(c.low.shape), "data_range": c.data_range, "notes": list(c.notes),
            "results": [dict(_method_dict(s.method), psnr=_finite(s.psnr), mse=s.mse, ssim=s.ssim, ringing=s.ringing,
                             ringing_max=s.ringing_max, seconds=s.seconds) for s in c.scores],
            "agreement": [{"mode": a.mode, "a": a.a, "b": a.b, "max_abs_diff": a.max_diff,
                           "mean_abs_diff": a.mean_diff, "differing": a.differing, "border_share": a.border,
                           "at": list(a.at)} for a in c.agreements],
        })
    summary = []
    for s in summarize(comparisons):
        entry = dict(_method_dict(s.method), files=s.files)
        for name, attribute, _, _ in METRICS:
            pair = getattr(s, attribute)
            entry[f"{name}_mean"] = None if pair is None else _finite(pair[0])
            entry[f"{name}_sd"] = None if pair is None else _finite(pair[1])
        summary.append(entry)
    return {
        "settings": {"scale": settings.scale, "degrade": settings.degrade,
                     "methods": [_method_dict(m) for m in settings.methods]},
        "files": files,
        "summary": summary,
        "agreement": aggregate_agreements(comparisons),
        "failures": [{"path": p, "reason": r} for p, r in failures],
        "notes": list(notes),
    }


CSV_COLUMNS = ("file", "mode", "convention", "library_mode", "psnr", "mse", "ssim", "ringing", "ringing_max",
               "seconds")


def write_json(path: str, data: dict) -> None:
    from .io import atomic_write

    text = json.dumps(data, indent=2, allow_nan=False) + "\n"
    atomic_write(path, lambda tmp: _write_text(tmp, text))


def write_csv(path: str, comparisons: Sequence[Comparison]) -> None:
    from .io import atomic_write

    def write(tmp):
        with open(tmp, "w", newline="", encoding="utf-8") as f:
            out = csv.writer(f)
            out.writerow(CSV_COLUMNS)
            for c in comparisons:
                for s in c.scores:
                    out.writerow([c.path, s.method.name, s.method.convention, s.method.mode,
                                  "inf" if s.psnr == math.inf else _blank(s.psnr), _blank(s.mse), _blank(s.ssim),
                                  s.ringing, s.ringing_max, s.seconds])

    atomic_write(path, write)


def _blank(value):
    return "" if value is None else value


def _write_text(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


__all__ = [
    "Agreement", "CompareSettings", "Comparison", "Score", "Summary", "agreement_table", "choose_crop", "compare_file",
    "compare_files", "compare_image", "data_range", "files_of", "psnr", "report", "ringing", "ssim", "summarize",
    "summary_lines", "table", "winners", "write_csv", "write_json",
]
