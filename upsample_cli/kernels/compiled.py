"""Which specialisations of the CPU loops Numba holds compiled on disk, known without loading Numba.

Numba keeps the machine code of each function and argument types in its cache folder
(``NUMBA_CACHE_DIR``, else ``__pycache__`` beside the source) and compiles anew when the
source changes. Beside it, a list names the loops' specialisations compiled there, a line each,
under a stamp of ``loops.py``, Python's and Numba's versions: a process that resizes one image asks it whether its plan would
compile anything (``api``: NumPy may then finish sooner), before it loads Numba.
"""

import functools
import hashlib
import os
import sys
from importlib import metadata
from pathlib import Path

_LOOPS = Path(__file__).with_name("loops.py")


def folder() -> Path:
    """Where Numba caches the loops (and this list lives)."""
    explicit = os.environ.get("NUMBA_CACHE_DIR")
    if explicit:
        return Path(explicit)
    beside = _LOOPS.parent / "__pycache__"
    if os.access(beside if beside.exists() else beside.parent, os.W_OK):
        return beside
    # Numba's own fallback for a read-only install: the user's cache folder.
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "upsample"


def _list(suffix: str = ".txt") -> Path:
    return folder() / f"upsample-loops-{_stamp()}{suffix}"


@functools.cache
def _stamp() -> str:
    # Numba compiles anew for another source, Python or Numba: so does the list.
    stat = _LOOPS.stat()
    try:
        numba = metadata.version("numba")
    except metadata.PackageNotFoundError:
        numba = "?"
    key = f"{stat.st_mtime_ns}:{stat.st_size}:{sys.version_info[:2]}:{numba}"
    return hashlib.sha1(key.encode()).hexdigest()[:12]


def known() -> set:
    """The specialisations listed as compiled."""
    try:
        return set(_list().read_text().split())
    except OSError:
        return set()


def record(signature: str) -> None:
    """List ``signature`` as compiled (nothing happens where the folder cannot be written)."""
    try:
        path = _list()
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a") as f:
            f.write(signature + "\n")
    except OSError:
        pass


def waited() -> float:
    """Seconds that resizes run on NumPy, for want of compiled loops, are estimated to have lost
    to compiled ones since loops were last compiled here (``api`` compiles once they add up to
    what compiling costs: waiting never costs more than twice the least it could have)."""
    try:
        return float(_list(".waited").read_text())
    except (OSError, ValueError):
        return 0.0


def wait(seconds: float) -> None:
    """Add ``seconds`` to ``waited()``; a negative number starts it again from 0."""
    try:
        path = _list(".waited")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(str(max(0.0, waited() + seconds) if seconds >= 0 else 0.0))
    except OSError:
        pass


def signature(loop: str, *dtypes) -> str:
    """The name of a loop compiled for these array dtypes, e.g. ``narrow(uint8,int32,uint8)``."""
    return f"{loop}({','.join(str(d) for d in dtypes)})"
