"""The one-line reasons ``upsample`` gives for a failure (importable without NumPy)."""

from __future__ import annotations

from typing import Optional


def one_line(text: str) -> str:
    """``text`` with every run of white space (newlines included) made one space."""
    return " ".join(str(text).split())


def text_of(e: BaseException) -> str:
    """``e``'s message on one line, or its type's name when it has none."""
    return one_line(e) or type(e).__name__


def reason(e: BaseException, path: Optional[str] = None) -> str:
    """Why ``e`` happened, on one line, without ``path`` in front (the caller puts it there).

    Errors this package raises (a file that cannot be read or written, settings that do not fit a
    file), OS errors, ``ValueError`` and ``TypeError`` say it themselves; running out of memory is
    "not enough memory"; anything else is a bug, named ``unexpected <type>``.
    """
    from .image import SettingsError, UpsampleError

    if isinstance(e, UpsampleError):
        return e.message if e.path == path else f"{e.path}: {e.message}"
    if isinstance(e, MemoryError):
        return "not enough memory"
    text = one_line(e)
    if path is not None and text.startswith(f"{path}: "):
        text = text[len(path) + 2 :]
    if isinstance(e, (OSError, SettingsError)) or (isinstance(e, (ValueError, TypeError)) and text):
        return text or type(e).__name__
    return f"unexpected {type(e).__name__}: {text}" if text else f"unexpected {type(e).__name__}"


__all__ = ["one_line", "reason", "text_of"]
