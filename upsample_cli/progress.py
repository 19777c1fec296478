"""Where a batch is, on stderr: a tqdm bar on a terminal, a plain line now and then otherwise.

The total is unknown until the files have been counted (which runs alongside the work); the bar
then gains its percentage and ETA. When stderr is not a terminal (a log file, a CI job), a bar
redrawn with carriage returns would fill the log, so one line is written every
``LOG_INTERVAL`` seconds instead.
"""

from __future__ import annotations

import sys
import time
from typing import Optional

LOG_INTERVAL = 15.0


class Progress:
    """``advance()`` once per file; ``set_total()`` when the count is known; ``close()`` at the end."""

    def __init__(self, enabled: bool = True, stream=None):
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.n = 0
        self.failed = 0
        self.total: Optional[int] = None
        self._start = time.monotonic()
        self._last_line = self._start
        self._bar = None
        if enabled and _is_terminal(self.stream):
            from tqdm import tqdm

            self._bar = tqdm(
                total=None, unit="file", file=self.stream, dynamic_ncols=True, leave=False, smoothing=0.1,
                desc="upsample batch",
            )

    def set_total(self, total: int) -> None:
        self.total = total
        if self._bar is not None:
            self._bar.total = total
            self._bar.refresh()

    def advance(self, failed: bool = False) -> None:
        self.n += 1
        if failed:
            self.failed += 1
        if self._bar is not None:
            if failed:
                self._bar.set_postfix_str(f"{self.failed} failed", refresh=False)
            self._bar.update(1)
        elif self.enabled:
            now = time.monotonic()
            if now - self._last_line >= LOG_INTERVAL:
                self._last_line = now
                self.stream.write(self.line(now) + "\n")
                self.stream.flush()

    def line(self, now: Optional[float] = None) -> str:
        """``upsample batch: 120/500 files [00:30<01:35, 4.00 file/s]`` (the bar's text, once)."""
        from tqdm import tqdm

        elapsed = (now if now is not None else time.monotonic()) - self._start
        text = tqdm.format_meter(self.n, self.total, elapsed, prefix="upsample batch", unit="file", ncols=0)
        return text + (f", {self.failed} failed" if self.failed else "")

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def _is_terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


__all__ = ["Progress"]
