"""Weights of a transposed convolution from files: ``.npy``, ``.npz`` and ``.safetensors``.

A ``.npy`` holds the weight alone. In a ``.npz`` or ``.safetensors`` the tensor is chosen by name
(``decoder.up1.weight``; without a name, the file's only tensor named like a weight, else its only
tensor), and the bias is the tensor beside it: the same name with ``weight`` (or Keras'
``kernel``) replaced by ``bias``, when there is one. ``.safetensors`` needs the ``safetensors``
package (``pip install safetensors``).

Layouts: ``torch`` ``(in, out/groups, *kernel)``; ``keras`` ``(*kernel, out, in)``, returned in
torch's layout. Every error is a ValueError of one line naming the file, the key and the shape
expected.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np

LAYOUTS = ("torch", "keras")
SUFFIXES = (".npy", ".npz", ".safetensors")


@dataclass(frozen=True)
class Weights:
    """A transposed convolution's weight in torch's layout ``(in, out/groups, *kernel)``, its bias or
    None, and where they came from (for messages)."""

    weight: np.ndarray
    bias: Optional[np.ndarray]
    source: str

    @property
    def dims(self) -> int:
        return self.weight.ndim - 2

    def check(self, channels: int, dims: int, groups: int = 1) -> None:
        """ValueError unless these weights fit an image of ``channels`` channels with ``dims`` resized axes."""
        expected = f"({channels}, out_channels/groups, {', '.join('k' + a for a in 'dhw'[3 - dims:])})"
        if self.dims != dims:
            raise ValueError(f"{self.source} has shape {self.weight.shape}; a {dims}-D image needs a weight of "
                             f"{dims + 2} dimensions {expected} in torch's layout")
        if self.weight.shape[0] != channels:
            raise ValueError(f"{self.source} has shape {self.weight.shape}, expected {expected}: the image has "
                             f"{channels} channel(s)")
        out = self.weight.shape[1] * groups
        if self.bias is not None and self.bias.shape != (out,):
            raise ValueError(f"{self.source}: the bias has shape {self.bias.shape}, expected ({out},)")


def load(path, key: Optional[str] = None, layout: str = "torch") -> Weights:
    """The weights in ``path`` (see the module's docstring); ValueError naming the file and key."""
    path = str(path)
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}; expected {' or '.join(LAYOUTS)}")
    suffix = Path(path).suffix.lower()
    if suffix not in SUFFIXES:
        raise ValueError(f"{path}: weights are read from {', '.join(SUFFIXES)} files")
    if suffix == ".npy":
        if key is not None:
            raise ValueError(f"{path}: a .npy file holds one array; --weight-key names a tensor of a .npz or "
                             f".safetensors file")
        weight, bias, name = _read_npy(path), None, None
    else:
        tensors = _read_tensors(path, suffix)
        name = _choose(path, tensors, key)
        weight = tensors[name]
        bias = next((tensors[b] for b in _bias_names(name) if b in tensors), None)
    source = f"{path}: {name}" if name else path
    if weight.dtype.kind != "f" or (bias is not None and bias.dtype.kind != "f"):
        raise ValueError(f"{source} holds {weight.dtype} values; weights must be floats")
    if not 3 <= weight.ndim <= 5:
        raise ValueError(f"{source} has shape {weight.shape}; a transposed convolution's weight has 3 to 5 "
                         f"dimensions: {'(in, out/groups, *kernel)' if layout == 'torch' else '(*kernel, out, in)'}")
    if bias is not None and bias.ndim != 1:
        raise ValueError(f"{source}: the bias beside it has shape {bias.shape}, expected one dimension")
    if layout == "keras":
        weight = weight.transpose(weight.ndim - 1, weight.ndim - 2, *range(weight.ndim - 2))
    return Weights(np.ascontiguousarray(weight), bias, source)


def _read_npy(path):
    try:
        a = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise ValueError(f"{path}: cannot read the weights: {e}") from None
    if not isinstance(a, np.ndarray):
        raise ValueError(f"{path}: not a .npy array")
    return a


def _read_tensors(path, suffix):
    if suffix == ".safetensors":
        try:
            from safetensors.numpy import load_file
        except ImportError:
            raise ValueError(f"{path}: reading .safetensors needs the safetensors package "
                             f"(pip install safetensors)") from None
    try:
        if suffix == ".npz":
            with np.load(path, allow_pickle=False) as f:
                if not hasattr(f, "files"):
                    raise ValueError("not a .npz archive")
                return {name: f[name] for name in f.files}
        return load_file(path)
    except Exception as e:  # a missing file, a malformed archive or header
        raise ValueError(f"{path}: cannot read the weights: {str(e).splitlines()[0] if str(e) else type(e).__name__}"
                         ) from None


def _choose(path, tensors, key):
    if key is not None:
        if key not in tensors:
            near = [n for n in tensors if n.endswith((".weight", ".kernel", "weight", "kernel"))][:6]
            hint = f"; weights there: {', '.join(near)}" if near else ""
            raise ValueError(f"{path}: no tensor named {key!r}{hint}")
        return key
    candidates = [n for n in tensors if n.rsplit(".", 1)[-1] in ("weight", "kernel")] or list(tensors)
    if len(candidates) != 1:
        shown = ", ".join(candidates[:6]) + (", ..." if len(candidates) > 6 else "")
        raise ValueError(f"{path} holds {len(candidates)} tensors ({shown}); choose one with --weight-key")
    return candidates[0]


def _bias_names(name):
    for word in ("weight", "kernel"):
        if name.endswith(word):
            yield name[: -len(word)] + "bias"
