"""What a batch did: one :class:`Outcome` per file, counted by a :class:`Report` that sets the exit status.

Statuses: ``done`` (written), ``skipped`` (``--skip-existing`` found the output), ``failed``
(with a one-line reason) and ``interrupted`` (in hand when the run was stopped; nothing was
written for it). Exit status: 130 when the run was interrupted, else 1 when any file failed,
else 0.
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

DONE, SKIPPED, FAILED, INTERRUPTED = "done", "skipped", "failed", "interrupted"
STATUSES = (DONE, SKIPPED, FAILED, INTERRUPTED)
EXIT_INTERRUPTED = 130
# Failed files listed in the summary; the rest are counted (``--report`` lists all).
LISTED_FAILURES = 20


@dataclass(frozen=True)
class Outcome:
    """What became of one input file. Shapes are the arrays' shapes in the file's axes order."""

    src: str
    dst: Optional[str]
    status: str
    reason: Optional[str] = None
    input_shape: Optional[Tuple[int, ...]] = None
    output_shape: Optional[Tuple[int, ...]] = None
    seconds: float = 0.0
    detail: Optional[str] = None  # a traceback, with --debug

    def as_dict(self) -> dict:
        return {
            "input": self.src,
            "output": self.dst,
            "status": self.status,
            "reason": self.reason,
            "input_shape": list(self.input_shape) if self.input_shape is not None else None,
            "output_shape": list(self.output_shape) if self.output_shape is not None else None,
            "seconds": round(self.seconds, 4),
        }


@dataclass
class Report:
    """Counts outcomes, keeps the failures (and, with ``keep_all``, every outcome for ``--report``).

    ``stopped`` says why the run ended early: ``"interrupted"`` (a signal) or ``"fail-fast"``.
    ``total`` is the number of files found, once the count is known.
    """

    keep_all: bool = False
    counts: Dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    failures: List[Outcome] = field(default_factory=list)
    outcomes: List[Outcome] = field(default_factory=list)
    stopped: Optional[str] = None
    total: Optional[int] = None
    elapsed: float = 0.0

    def add(self, outcome: Outcome) -> None:
        self.counts[outcome.status] += 1
        if outcome.status == FAILED:
            self.failures.append(outcome)
        if self.keep_all:
            self.outcomes.append(outcome)

    @property
    def done(self) -> int:
        return self.counts[DONE]

    @property
    def failed(self) -> int:
        return self.counts[FAILED]

    @property
    def seen(self) -> int:
        return sum(self.counts.values())

    @property
    def not_processed(self) -> Optional[int]:
        """Files found but never started (known once the count is), plus those interrupted."""
        if self.total is None:
            return None
        return max(0, self.total - self.seen) + self.counts[INTERRUPTED]

    @property
    def return_code(self) -> int:
        if self.stopped == "interrupted":
            return EXIT_INTERRUPTED
        return 1 if self.failed else 0

    @property
    def files_per_second(self) -> float:
        return self.done / self.elapsed if self.elapsed > 0 else 0.0

    def summary(self) -> List[str]:
        """The end-of-run summary, one screen at most."""
        total = f" of {self.total}" if self.total is not None else ""
        lines = [
            f"{self.seen}{total} files in {self.elapsed:.1f} s ({self.files_per_second:.1f} files/s written)",
            f"  done        {self.counts[DONE]}",
            f"  skipped     {self.counts[SKIPPED]}",
            f"  failed      {self.counts[FAILED]}",
        ]
        lines += ["    " + line for line in self.failure_lines(prefix="")]
        if self.stopped is not None:
            left = self.not_processed
            left = f"{left} files not processed" if left is not None else "the remaining files were not processed"
            why = "interrupted" if self.stopped == "interrupted" else "stopped at the first failure (--fail-fast)"
            lines.append(f"{why}: {left}; run again with --skip-existing to resume")
        return lines

    def failure_lines(self, prefix: str = "error: ") -> List[str]:
        """``<input>: <reason>`` for the first failures, and how many more there are."""
        failures = sorted(self.failures, key=lambda f: f.src)
        lines = [f"{prefix}{f.src}: {f.reason}" for f in failures[:LISTED_FAILURES]]
        if len(self.failures) > LISTED_FAILURES:
            more = len(self.failures) - LISTED_FAILURES
            lines.append(f"{prefix}... and {more} more failed files (--report lists all)")
        return lines

    def as_json(self, src: str, dst: str) -> dict:
        totals = dict(self.counts)
        totals.update(
            files=self.seen,
            found=self.total,
            not_processed=self.not_processed if self.stopped else 0,
            seconds=round(self.elapsed, 3),
            files_per_second=round(self.files_per_second, 3),
            stopped=self.stopped,
            exit_status=self.return_code,
        )
        files = [o.as_dict() for o in sorted(self.outcomes, key=lambda o: o.src)]
        return {"source": src, "destination": dst, "files": files, "totals": totals}

    def write_json(self, path: str, src: str, dst: str) -> None:
        """Write :meth:`as_json` to ``path`` atomically, one line per file."""
        from .io import atomic_write

        data = self.as_json(src, dst)
        line = functools.partial(json.dumps, ensure_ascii=False)
        files = ",\n".join("    " + line(f) for f in data["files"])
        text = (
            f'{{\n  "source": {line(src)},\n  "destination": {line(dst)},\n  "files": [\n{files}\n  ],\n'
            f'  "totals": {line(data["totals"])}\n}}\n'
        )

        def write(tmp):
            with open(tmp, "w", encoding="utf-8") as f:
                f.write(text)

        atomic_write(os.fspath(path), write)


__all__ = ["DONE", "FAILED", "INTERRUPTED", "SKIPPED", "Outcome", "Report"]
