"""A plan run on one block of its output: the same numbers as the whole resize, from a region of the input.

Every pass of a :class:`~upsample_cli.api.Plan` resizes its axes with a taps table, ``out[j] =
sum_k weight[j, k] * in[index[j, k]]``. The output samples ``[o0, o1)`` of an axis therefore read
the input samples ``[min index, max index + 1)`` of the table's rows ``o0..o1`` (the block's
region, its halo included), and nothing else. :func:`region` names that region; :func:`run` runs
the plan's passes, in the plan's order, with the same dtypes, on the region alone, each with the
rows of its table for the block and the indices moved to the region's origin. Each output sample
is then the same sum of the same products in the same order as in the whole resize, so a
volume resized block by block equals the volume resized at once, bit for bit, whatever the mode
(a merged pass over two axes, or a nearest pass over several, has its flattened indices taken
apart and put together again for the region).

Axes are the plan's (``(N, C, *spatial)`` for ``interpolate``); a block is a dict ``{axis: (o0,
o1)}`` over the axes the plan resizes. Other axes are carried as the region has them.
"""

from __future__ import annotations

import math
from typing import Dict, Tuple

import numpy as np

Range = Tuple[int, int]


def _passes(plan):
    """``(pass, in_sizes, out_sizes)`` of each resample or select pass, in order."""
    for p in plan.single_passes():
        if p.kernel not in ("resample_axis", "select_axis", "sum_taps"):
            continue
        m = plan.order.index(p.axes[0])
        yield p, tuple(plan.shape[a] for a in p.axes), tuple(p.dims[m : m + len(p.axes)])


def resized_axes(plan) -> Dict[int, Tuple[int, int]]:
    """``{axis: (n_in, n_out)}`` of every axis whose size the plan changes or whose taps it applies."""
    axes = {}
    for p, n_in, n_out in _passes(plan):
        axes.update({a: (i, o) for a, i, o in zip(p.axes, n_in, n_out)})
    return axes


def _rows(p, n_out, block):
    """The tables' rows for the block (``index`` 2-D), as ``(index, weight)`` of shape ``(*block sizes, K)``."""
    index = p.tables[0] if p.tables[0].ndim == 2 else p.tables[0][:, None]
    cut = tuple(slice(*block[a]) for a in p.axes)
    index = index.reshape(*n_out, index.shape[1])[cut]
    weight = None if p.kernel == "select_axis" else p.tables[1].reshape(*n_out, p.tables[1].shape[1])[cut]
    return index, weight


def region(plan, block: Dict[int, Range]) -> Dict[int, Range]:
    """The input samples ``{axis: (i0, i1)}`` the block's output reads, for every axis of ``block``."""
    needed = dict(block)  # an axis the plan leaves as it is reads what it writes
    for p, n_in, n_out in _passes(plan):
        index, _ = _rows(p, n_out, block)
        for a, c in zip(p.axes, np.unravel_index(index, n_in)):
            needed[a] = (int(c.min()), int(c.max()) + 1)
    return needed


def run(plan, x: np.ndarray, block: Dict[int, Range], kernel=None) -> np.ndarray:
    """The block ``block`` of the plan's output, from ``x``: the input over :func:`region` (the
    plan's other axes as they are), in any layout. ``kernel`` is a backend module (default: the
    Numba CPU one)."""
    if kernel is None:
        from .kernels import cpu as kernel
    needed = region(plan, block)
    for a, (i0, i1) in needed.items():
        if x.shape[a] != i1 - i0:
            raise ValueError(f"axis {a} of the region has {x.shape[a]} samples; the block reads {i1 - i0}")
    order = plan.order
    work = np.ascontiguousarray(x.transpose(order))
    for p in plan.single_passes():
        if p.kernel == "astype":
            work = work.astype(p.dtype, copy=False)
            continue
        if p.kernel == "copy":
            continue
        if p.kernel == "divide_axis":  # each output position's divisor: the block's rows
            from .api import host_pass

            a, m, dims = p.axes[0], order.index(p.axes[0]), work.shape
            divisor = p.tables[0][slice(*block[a])] if a in block else p.tables[0]
            src = work.reshape(math.prod(dims[:m]), dims[m], math.prod(dims[m + 1 :]))
            work = host_pass(p, src, divisor=divisor).reshape(dims)
            continue
        m = order.index(p.axes[0])
        k = len(p.axes)
        n_in = tuple(plan.shape[a] for a in p.axes)
        n_out = tuple(p.dims[m : m + k])
        index, weight = _rows(p, n_out, block)
        sizes = index.shape[:-1]
        origin = [needed[a][0] for a in p.axes]
        extent = [needed[a][1] - needed[a][0] for a in p.axes]
        local = np.ravel_multi_index(
            [c - o for c, o in zip(np.unravel_index(index, n_in), origin)], extent
        ).reshape(-1, index.shape[-1])
        dims = work.shape
        src = work.reshape(math.prod(dims[:m]), math.prod(dims[m : m + k]), math.prod(dims[m + k :]))
        out = np.empty((src.shape[0], math.prod(sizes), src.shape[2]), p.dtype)
        if p.kernel == "select_axis":
            kernel.select_axis(src, local[:, 0], out)
        elif p.kernel == "sum_taps":
            from .api import host_pass

            out = host_pass(p, src, local, weight.reshape(local.shape))
        else:
            kernel.resample_axis(src, local, weight.reshape(local.shape), out, *p.tables[2:])
        work = out.reshape(dims[:m] + sizes + dims[m + k :])
    return work.transpose(np.argsort(order))


__all__ = ["region", "resized_axes", "run"]
