"""``upsample batch``: find the files of a folder, plan where each goes, resize them on workers.

Finding. SRC is walked in name order, a folder's files before its subfolders, and only with
``recursive`` below the top. Without a pattern the files taken are those with an image or array
extension (:data:`INPUT_EXTENSIONS`, any case); a pattern is matched against the file name, or
against the path relative to SRC when it holds a ``/``. Hidden files and folders (names starting
with ``.``, such as the temporary files of an unfinished write) are never taken. Folders reached
twice (symbolic-link loops) are walked once, and the output folder is never walked, so outputs
written inside SRC are not read back as inputs. Files are found as a stream, folder by folder,
while the work goes on; a second walk counts them for the progress bar.

Planning. The output tree mirrors the input tree: ``SRC/a/b.png`` goes to ``DST/a/b.png``, with
the extension of ``output_extension`` when one is given. Inputs of one folder that would be
written to the same file (``a.png`` and ``a.jpg`` with ``--format png``) all fail, none is
written. With ``skip_existing``, an input whose output exists is skipped: outputs are written
atomically (:mod:`upsample_cli.io`), so an existing one is complete, and a re-run resumes an
interrupted one.

Running. Each worker reads, resizes and writes whole files, so decoding, resizing and encoding
overlap across workers and memory is bounded by the files in hand (one per worker); the engine's
Numba threads are shared out so that workers times threads does not exceed the cores.
Workers are processes: the Python part of each file does not share one GIL, a crash in a decoder
fails one file instead of the run, and an interrupted file is stopped at once instead of being
finished (``benchmarks/bench_batch.py`` times them against threads). A file that fails is
reported and the run goes on, unless ``fail_fast``: then no new file starts. SIGINT and SIGTERM
stop the run: no new file starts, the files in hand are stopped (their temporary files
removed), and the report says what was done. Given a ``distributed.Client``, the same flow runs
the files on a Dask cluster's workers instead (:mod:`upsample_cli.cluster`).
"""

from __future__ import annotations

import contextlib
import fnmatch
import glob
import multiprocessing
import os
import signal
import stat
import threading
import time
import traceback
from dataclasses import dataclass
from multiprocessing.connection import wait as wait_ready
from typing import Callable, Iterator, List, Optional, Tuple, Union

from .errors import reason
from .report import DONE, FAILED, INTERRUPTED, SKIPPED, Outcome, Report

INPUT_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".gif", ".tif", ".tiff", ".npy")
# Seconds a stopped worker gets to clean up before it is killed.
STOP_GRACE = 5.0
# Modules the process workers start with (imported once, in the fork server).
_PRELOAD = ["numpy", "PIL.Image", "tifffile", "upsample_cli.pipeline", "upsample_cli.resize", "upsample_cli.api"]

Convert = Callable[[str, str], Optional[Tuple[tuple, tuple]]]


class BatchUsageError(ValueError):
    """SRC and DST that cannot work together (exit 2)."""


@dataclass(frozen=True)
class Selection:
    """Which files of ``src`` to resize and where their outputs go.

    ``output_extension`` (``".png"``) replaces the inputs' extensions; None keeps them.
    """

    src: str
    dst: str
    recursive: bool = False
    pattern: Optional[str] = None
    output_extension: Optional[str] = None
    skip_existing: bool = False


@dataclass(frozen=True)
class Job:
    """One file to resize: ``src`` to ``dst``."""

    src: str
    dst: str


def cores() -> int:
    """The CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def prepare(selection: Selection) -> None:
    """Check SRC and DST and create DST; BatchUsageError for bad usage, OSError if DST cannot be made."""
    src, dst = selection.src, selection.dst
    if not os.path.isdir(src):
        what = "does not exist" if not os.path.exists(src) else "is not a folder (use 'upsample resize' for one file)"
        raise BatchUsageError(f"{src}: SRC {what}")
    if os.path.exists(dst) and not os.path.isdir(dst):
        raise BatchUsageError(f"{dst}: DST is a file, not a folder")
    if os.path.isdir(dst) and os.path.samefile(src, dst):
        raise BatchUsageError(f"{dst}: DST is SRC; the outputs would replace the inputs, choose another folder")
    os.makedirs(dst, exist_ok=True)


def find_jobs(selection: Selection) -> Iterator[Union[Job, Outcome]]:
    """The jobs of ``selection``, folder by folder, with outcomes for the files decided without work.

    Yields a :class:`Job` per file to resize, and an :class:`Outcome` for a file skipped
    (``skip_existing``) or failed before it starts (outputs that collide, an extension that
    cannot be written, an output that would land in SRC, a folder that cannot be listed).
    """
    from .io import FORMATS

    src, dst = selection.src, selection.dst
    real_src = os.path.realpath(src)
    src_in_dst = _within(real_src, os.path.realpath(dst))
    exclude = {_identity(dst)} - {None}
    for folder, names, error in walk(src, selection.recursive, exclude):
        if error is not None:
            yield Outcome(_join(src, folder), None, FAILED, f"cannot list this folder: {error}")
            continue
        names = [n for n in names if selected(folder, n, selection.pattern)]
        out_folder = _join(dst, folder)
        outputs = {n: _output_name(n, selection.output_extension) for n in names}
        claims = {}
        for name in names:
            claims.setdefault(os.path.normcase(outputs[name]), []).append(name)
        inside_src = src_in_dst and _within(os.path.realpath(out_folder), real_src)
        for name in names:
            job = Job(_join(src, folder, name), _join(out_folder, outputs[name]))
            rivals = [n for n in claims[os.path.normcase(outputs[name])] if n != name]
            ext = os.path.splitext(job.dst)[1].lower()
            if rivals:
                others = ", ".join(rivals)
                yield Outcome(job.src, job.dst, FAILED, f"{others} would also be written to {job.dst}; none of "
                              "them is written (rename one, or choose another --format)")
            elif ext not in FORMATS:
                yield Outcome(job.src, job.dst, FAILED, f"{ext or 'no extension'} is not an output format; give "
                              f"--format with one of {', '.join(e[1:] for e in FORMATS)}")
            elif inside_src:
                yield Outcome(job.src, job.dst, FAILED, "the output would be written inside SRC, over the inputs")
            elif selection.skip_existing and os.path.isfile(job.dst):
                yield Outcome(job.src, job.dst, SKIPPED, "the output exists")
            else:
                yield job


def count_jobs(selection: Selection) -> int:
    """How many items :func:`find_jobs` yields (a walk of the names only)."""
    return sum(1 for _ in find_jobs(selection))


def run(
    selection: Selection,
    convert: Convert,
    *,
    jobs: Optional[int] = None,
    fail_fast: bool = False,
    report: Optional[Report] = None,
    progress=None,
    debug: bool = False,
    handle_signals: bool = True,
    client=None,
) -> Report:
    """Resize every file of ``selection`` with ``convert(src, dst)``; the :class:`Report` of the run.

    ``convert`` must be picklable (a :class:`upsample_cli.pipeline.FileResize`, a module-level
    function or a ``functools.partial`` of one) and returns the input and output shapes (or None). As with
    any use of :mod:`multiprocessing`, a script that calls this needs the
    ``if __name__ == "__main__":`` guard.
    ``progress`` is a :class:`upsample_cli.progress.Progress` (or None). With
    ``handle_signals`` (main thread only), SIGINT and SIGTERM stop the run and the report
    says ``stopped="interrupted"``.
    With a ``distributed.Client``, the files are resized by its cluster's workers instead
    (:mod:`upsample_cli.cluster`), ``jobs`` of them in flight (default: twice the cluster's threads).
    """
    report = report if report is not None else Report()
    counted: List[int] = []
    counter = threading.Thread(target=lambda: counted.append(count_jobs(selection)), daemon=True)
    counter.start()
    stop = threading.Event()
    start = time.perf_counter()

    def record(outcome: Outcome) -> None:
        report.add(outcome)
        if progress is not None:
            progress.advance(failed=outcome.status == FAILED)
        if outcome.status == FAILED and fail_fast and report.stopped is None:
            report.stopped = "fail-fast"
            stop.set()

    def on_signal(signum, frame):
        report.stopped = "interrupted"
        stop.set()

    with _signals_handled(on_signal, handle_signals):
        if client is None:
            jobs = jobs or cores()
            workers = _ProcessWorkers(jobs, convert, max(1, cores() // jobs), debug)
        else:
            from .cluster import DaskWorkers

            workers = DaskWorkers(client, convert, jobs, debug)
        try:
            found = find_jobs(selection)
            exhausted = False
            while True:
                while not exhausted and not stop.is_set() and workers.idle:
                    item = next(found, None)
                    if item is None:
                        exhausted = True
                    elif isinstance(item, Outcome):
                        record(item)
                    else:
                        workers.submit(item)
                if counted and report.total is None:
                    report.total = counted[0]
                    if progress is not None:
                        progress.set_total(counted[0])
                if report.stopped == "interrupted":
                    for outcome in workers.abort():
                        record(outcome)
                    break
                if not workers.busy and (exhausted or stop.is_set()):
                    break
                for outcome in workers.collect(timeout=0.2):
                    record(outcome)
        finally:
            workers.close()
            report.elapsed = time.perf_counter() - start
            if progress is not None:
                progress.close()
    counter.join(timeout=0.5 if report.stopped else None)
    if counted:
        report.total = counted[0]
    return report


# --- finding files ---------------------------------------------------------------------------


def walk(root: str, recursive: bool, exclude: set):
    """``(folder relative to root, sorted file names, None)`` per folder; ``(folder, [], reason)``
    for a folder that cannot be listed. Links to folders are followed, each folder walked once."""
    seen = set(exclude)
    stack = [""]
    while stack:
        folder = stack.pop()
        path = _join(root, folder)
        ident = _identity(path)
        if ident in seen:
            continue
        seen.add(ident)
        try:
            with os.scandir(path) as entries:
                items = sorted(entries, key=lambda e: e.name)
        except OSError as e:
            yield folder, [], e.strerror or str(e)
            continue
        files, folders = [], []
        for entry in items:
            if entry.name.startswith("."):
                continue
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if is_dir:
                folders.append(entry.name)
            else:
                files.append(entry.name)  # files, links to files, broken links (they fail when read)
        yield folder, files, None
        if recursive:
            stack.extend(_join(folder, name) if folder else name for name in reversed(folders))


def selected(folder: str, name: str, pattern: Optional[str]) -> bool:
    if pattern is None:
        return os.path.splitext(name)[1].lower() in INPUT_EXTENSIONS
    if "/" in pattern:
        relative = f"{folder.replace(os.sep, '/')}/{name}" if folder else name
        return fnmatch.fnmatch(relative, pattern)
    return fnmatch.fnmatch(name, pattern)


def _output_name(name: str, extension: Optional[str]) -> str:
    return name if extension is None else os.path.splitext(name)[0] + extension


def _join(*parts: str) -> str:
    return os.path.join(*[p for p in parts if p])


def _identity(path: str):
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino) if stat.S_ISDIR(st.st_mode) else None


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


# --- one file ----------------------------------------------------------------------------


class _Stopped(BaseException):
    """Raised in a process worker by SIGTERM: the run is being stopped."""


def _work(convert: Convert, job: Job, debug: bool) -> Outcome:
    """Resize one file; every failure becomes an outcome with a one-line reason."""
    start = time.perf_counter()
    try:
        os.makedirs(os.path.dirname(job.dst) or ".", exist_ok=True)
        shapes = convert(job.src, job.dst) or (None, None)
        return Outcome(job.src, job.dst, DONE, None, *_shapes(shapes), seconds=time.perf_counter() - start)
    except _Stopped:
        return Outcome(job.src, job.dst, INTERRUPTED, "interrupted", seconds=time.perf_counter() - start)
    except Exception as e:
        detail = traceback.format_exc() if debug else None
        return Outcome(job.src, job.dst, FAILED, reason(e, job.src), seconds=time.perf_counter() - start, detail=detail)


def _shapes(shapes) -> Tuple[Optional[tuple], Optional[tuple]]:
    return tuple(tuple(int(n) for n in s) if s is not None else None for s in shapes)


def _limit_threads(n: int) -> None:
    """Cap the engine's Numba threads for this worker."""
    import numba

    numba.set_num_threads(max(1, min(n, numba.config.NUMBA_NUM_THREADS)))


# --- workers --------------------------------------------------------------------------------


def _context():
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" in methods:
        # Not fork: a process that has run the engine holds OpenMP threads, which do not survive one.
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(_PRELOAD)
        return ctx
    return multiprocessing.get_context("spawn")


def _worker_main(conn, convert: Convert, threads: int, debug: bool) -> None:
    """A process worker: jobs in, outcomes out, until None or the end of the pipe."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides; Ctrl-C reaches the whole group

    def on_term(signum, frame):
        raise _Stopped()

    signal.signal(signal.SIGTERM, on_term)
    try:
        _limit_threads(threads)
        while True:
            job = conn.recv()
            if job is None:
                return
            conn.send(_work(convert, job, debug))
    except (_Stopped, EOFError, OSError):
        return


class _Worker:
    def __init__(self, ctx, convert, threads, debug):
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker_main, args=(child, convert, threads, debug), daemon=True)
        self.process.start()
        child.close()
        self.job: Optional[Job] = None


class _ProcessWorkers:
    """One process per worker, one job at a time each, so a worker that dies fails only its file.

    Workers start when there is a job for them: a run whose files are all skipped starts none.
    """

    def __init__(self, n: int, convert: Convert, threads: int, debug: bool):
        self._n = n
        self._ctx = _context()
        self._setup = (convert, threads, debug)
        self._workers: List[_Worker] = []

    @property
    def idle(self) -> bool:
        return len(self._workers) < self._n or any(w.job is None for w in self._workers)

    @property
    def busy(self) -> bool:
        return any(w.job is not None for w in self._workers)

    def submit(self, job: Job) -> None:
        worker = next((w for w in self._workers if w.job is None), None)
        if worker is None:
            worker = _Worker(self._ctx, *self._setup)
            self._workers.append(worker)
        worker.job = job
        try:
            worker.conn.send(job)
        except OSError:
            pass  # it died; collect() reports the job

    def collect(self, timeout: float) -> List[Outcome]:
        busy = [w for w in self._workers if w.job is not None]
        if not busy:
            return []
        wait_ready([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout)
        outcomes = []
        for worker in busy:
            outcome = self._receive(worker)
            if outcome is not None:
                outcomes.append(outcome)
            elif not worker.process.is_alive():
                outcomes.append(Outcome(worker.job.src, worker.job.dst, FAILED, _death(worker.process)))
                _remove_temporaries(worker.job.dst)
                worker.conn.close()
                self._workers.remove(worker)  # another starts with the next job
        return outcomes

    def abort(self) -> List[Outcome]:
        """Stop the files in hand: SIGTERM, then SIGKILL after STOP_GRACE; their outcomes."""
        outcomes = []
        busy = [w for w in self._workers if w.job is not None]
        for worker in busy:
            with contextlib.suppress(OSError):
                os.kill(worker.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE
        while busy and time.monotonic() < deadline:
            wait_ready([w.conn for w in busy] + [w.process.sentinel for w in busy], 0.1)
            for worker in list(busy):
                job = worker.job
                outcome = self._receive(worker)
                if outcome is None and worker.process.is_alive():
                    continue
                if outcome is None or outcome.status == INTERRUPTED:
                    _remove_temporaries(job.dst)
                    outcome = Outcome(job.src, job.dst, INTERRUPTED, "interrupted")
                outcomes.append(outcome)
                busy.remove(worker)
                worker.job = None
        for worker in busy:
            worker.process.kill()
            worker.process.join()
            _remove_temporaries(worker.job.dst)
            outcomes.append(Outcome(worker.job.src, worker.job.dst, INTERRUPTED, "interrupted"))
            worker.job = None
        return outcomes

    def close(self) -> None:
        for worker in self._workers:
            with contextlib.suppress(OSError):
                worker.conn.send(None)
        for worker in self._workers:
            worker.process.join(timeout=STOP_GRACE)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
            worker.conn.close()

    @staticmethod
    def _receive(worker: _Worker) -> Optional[Outcome]:
        try:
            if not worker.conn.poll():
                return None
            outcome = worker.conn.recv()
        except (EOFError, OSError):
            return None
        worker.job = None
        return outcome


def _death(process) -> str:
    code = process.exitcode
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"the worker process died ({name}) while resizing this file"
    return f"the worker process ended (exit status {code}) while resizing this file"


def _remove_temporaries(dst: str) -> None:
    """Remove what a killed write left: :mod:`upsample_cli.io` names it ``.<name>.<random>.part``."""
    folder, name = os.path.split(dst)
    for path in glob.glob(os.path.join(glob.escape(folder or "."), glob.escape(f".{name}.") + "*.part")):
        with contextlib.suppress(OSError):
            os.unlink(path)


@contextlib.contextmanager
def _signals_handled(handler, enabled: bool):
    """SIGINT and SIGTERM call ``handler`` while inside (main thread only)."""
    previous = {}
    if enabled and threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, handler)
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


__all__ = [
    "INPUT_EXTENSIONS", "BatchUsageError", "Job", "Selection", "cores", "count_jobs", "find_jobs", "prepare", "run",
]
