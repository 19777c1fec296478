"""``upsample batch --scheduler``: the per-file work of :mod:`upsample_cli.batch` on a Dask cluster.

:class:`DaskWorkers` has the interface of the process pool (``idle``, ``busy``, ``submit``,
``collect``, ``abort``, ``close``), so :func:`upsample_cli.batch.run` is one flow whichever runs
the files. The client sends a path pair and the settings (a few hundred bytes) per file; workers read and write the files themselves, from storage the client and the workers
share, and send back an :class:`~upsample_cli.report.Outcome`. The client never holds pixels.

Files in flight: ``jobs``, by default twice the cluster's worker threads, so that each thread has
its next file queued when it finishes one and the round trip to the scheduler is hidden.

Stopping. Dask does not stop a running task, so each task registers its thread, and
:meth:`DaskWorkers.abort` runs :func:`_stop` on every worker (outside the task queue): the run
is marked stopped (its queued tasks return at once) and its running tasks get ``_Stopped`` raised
in their threads, as a process worker gets it from SIGTERM; the atomic write then removes its
temporary file. A task still running after ``STOP_GRACE`` (inside compiled code, which sees the
exception only when it returns) is cancelled and its temporary files removed by the client.

Volumes (``upsample resize`` and ``pyramid`` writing Zarr): :class:`ClusterBlocks` writes the blocks
of :func:`upsample_cli.chunked.write_zarr` on the workers. The client plans the blocks and creates
the output store in its temporary folder; each task carries the :class:`~upsample_cli.chunked.Recipe`
(source path and settings), the folder and its blocks' coordinates. A worker makes the volumes once
per run (their plans and tables), reads the regions from the source, and writes the blocks into the
folder, blocks being whole chunks so that no two tasks write one chunk. A pyramid's levels go one after
the other, each read by the workers from the level before in the folder. The client commits (renames)
the store when every block is written; on a failure or Ctrl-C it stops the run as above, waits for
its running blocks to end (at most ``STOP_GRACE``) and removes the folder.

Needs the ``distributed`` package (the ``dask`` extra); the workers need ``upsample`` installed.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import logging
import queue
import socket
import threading
import time
import uuid
from typing import Dict, List, Optional

from .batch import STOP_GRACE, BatchUsageError, Convert, Job, _limit_threads, _remove_temporaries, _Stopped, _work, cores
from .errors import reason, text_of
from .image import UpsampleError
from .report import FAILED, INTERRUPTED, Outcome

MISSING = "--scheduler needs the distributed package: pip install 'dask[distributed]'"
ENV_ADDRESS = "DASK_SCHEDULER_ADDRESS"


def scheduler_address(address: Optional[str], scheduler_file: Optional[str]) -> Optional[str]:
    """The scheduler's address from ``--scheduler`` or ``--scheduler-file`` (None for neither);
    BatchUsageError for both, or for a scheduler file that cannot be read."""
    if address is not None and scheduler_file is not None:
        raise BatchUsageError("give --scheduler or --scheduler-file, not both")
    if scheduler_file is None:
        return address
    try:
        with open(scheduler_file, encoding="utf-8") as f:
            address = json.load(f).get("address")
    except OSError as e:
        raise BatchUsageError(f"{scheduler_file}: cannot read the scheduler file: {e.strerror or e}") from None
    except (ValueError, AttributeError):
        address = None
    if not isinstance(address, str) or not address:
        raise BatchUsageError(f"{scheduler_file}: not a Dask scheduler file (no \"address\")")
    return address


def connect(address: str):
    """A ``distributed.Client`` of the scheduler at ``address``, its workers able to run upsample;
    BatchUsageError when the package is missing, the scheduler cannot be reached (within Dask's
    ``distributed.comm.timeouts.connect``) or a worker cannot import upsample."""
    try:
        import distributed
    except ImportError:
        raise BatchUsageError(MISSING) from None
    # The client's own logging (reconnections, closing) would break the one-line errors on stderr.
    logging.getLogger("distributed").setLevel(logging.CRITICAL)
    # Asked first on a connection of its own: a Client that fails to start lingers, and waits
    # to close, at exit.
    try:
        _listening(address)
        kind = _ask_identity(address)
    except (OSError, TimeoutError, ValueError) as e:
        raise BatchUsageError(f"{address}: cannot reach the Dask scheduler ({text_of(e)})") from None
    except Exception:  # something answers, not in Dask's protocol
        raise BatchUsageError(f"{address}: not a Dask scheduler (no answer in Dask's protocol)") from None
    if kind != "Scheduler":
        raise BatchUsageError(f"{address}: not a Dask scheduler (a Dask {kind})")
    try:
        client = distributed.Client(address, set_as_default=False)
    except Exception as e:
        raise BatchUsageError(f"{address}: cannot reach the Dask scheduler ({text_of(e)})") from None
    try:
        answers = client.run(_version, on_error="return")
    except Exception as e:
        client.close()
        raise BatchUsageError(f"{address}: the Dask scheduler does not answer ({text_of(e)})") from None
    broken = {w: a for w, a in answers.items() if isinstance(a, BaseException)}
    if broken:
        client.close()
        worker, error = sorted(broken.items())[0]
        raise BatchUsageError(f"{address}: worker {worker} cannot run upsample ({text_of(error)}); install "
                              "upsample on every worker")
    return client


def _listening(address: str) -> None:
    """OSError at once where nothing listens at a TCP address: Dask would retry the connection
    until its connect timeout (30 s by default) before saying so."""
    import dask
    from dask.utils import parse_timedelta
    from distributed.comm.addressing import parse_address, parse_host_port

    scheme, location = parse_address(address)
    if scheme not in ("tcp", "tls"):
        return
    timeout = parse_timedelta(dask.config.get("distributed.comm.timeouts.connect"), default="seconds")
    with socket.create_connection(parse_host_port(location), timeout=timeout):
        pass


def _ask_identity(address: str) -> str:
    """:func:`_identity` within Dask's connect timeout, from a thread of its own, so that Ctrl-C in
    the main thread is not held up by a server that accepts the connection and never answers."""
    import dask
    from dask.utils import parse_timedelta

    timeout = parse_timedelta(dask.config.get("distributed.comm.timeouts.connect"), default="seconds")
    answer: list = []

    def ask():
        try:
            answer.append(asyncio.run(asyncio.wait_for(_identity(address), timeout)))
        except BaseException as e:
            answer.append(e)

    thread = threading.Thread(target=ask, daemon=True)
    thread.start()
    while thread.is_alive():
        thread.join(0.1)
    if isinstance(answer[0], asyncio.TimeoutError):
        raise TimeoutError(f"no answer within {timeout:g} s")
    if isinstance(answer[0], BaseException):
        raise answer[0]
    return answer[0]


async def _identity(address: str) -> str:
    """What serves ``address``: "Scheduler" for a Dask scheduler."""
    from distributed.core import rpc

    async with rpc(address) as server:
        answer = await server.identity()
    return answer.get("type") if isinstance(answer, dict) else type(answer).__name__


def _version() -> str:
    from . import __version__

    return __version__


def _threads_per_host(workers) -> Dict[str, int]:
    """The task threads of all the workers of each host, among which its cores are shared."""
    sharing: Dict[str, int] = {}
    for w in workers:
        sharing[w["host"]] = sharing.get(w["host"], 0) + w["nthreads"]
    return sharing


class DaskWorkers:
    """The files of a batch as tasks of a Dask cluster, at most ``jobs`` in flight (default: twice
    its worker threads); the interface of ``batch._ProcessWorkers``."""

    def __init__(self, client, convert: Convert, jobs: Optional[int], debug: bool):
        self._client = client
        self._debug = debug
        self._run = uuid.uuid4().hex
        workers = client.scheduler_info()["workers"].values()
        self._limit = jobs or 2 * max(1, sum(w["nthreads"] for w in workers))
        self._setup = (convert, _threads_per_host(workers))  # a few hundred bytes, sent with each file
        self._futures: Dict[object, Job] = {}
        self._finished: "queue.Queue" = queue.Queue()
        self._count = 0

    @property
    def idle(self) -> bool:
        return len(self._futures) < self._limit

    @property
    def busy(self) -> bool:
        return bool(self._futures)

    def submit(self, job: Job) -> None:
        self._count += 1
        try:
            future = self._client.submit(_task, self._setup, job, self._debug, self._run, pure=False,
                                         key=f"upsample-{self._run[:8]}-{self._count}", retries=0)
        except Exception as e:  # the scheduler went away: the file fails, the run goes on to its end
            self._finished.put((job, Outcome(job.src, job.dst, FAILED, f"the Dask cluster failed ({text_of(e)})")))
            return
        self._futures[future] = job
        future.add_done_callback(self._finished.put)

    def collect(self, timeout: float) -> List[Outcome]:
        outcomes = []
        with contextlib.suppress(queue.Empty):
            item = self._finished.get(timeout=timeout)
            while True:
                outcome = self._outcome(item)
                if outcome is not None:
                    outcomes.append(outcome)
                item = self._finished.get_nowait()
        return outcomes

    def abort(self) -> List[Outcome]:
        """Stop the files in flight (see the module's notes); their outcomes."""
        def stop_on_workers():
            with contextlib.suppress(Exception):  # a lost scheduler: the files are cancelled below
                self._client.run(_stop, self._run, on_error="ignore")

        threading.Thread(target=stop_on_workers, daemon=True).start()  # its answer is not waited for
        deadline = time.monotonic() + STOP_GRACE
        outcomes = []
        while self._futures and time.monotonic() < deadline:
            outcomes += self.collect(timeout=0.1)
        if self._futures:
            with contextlib.suppress(Exception):
                self._client.cancel(list(self._futures))
            for future, job in list(self._futures.items()):
                _remove_temporaries(job.dst)
                outcomes.append(Outcome(job.src, job.dst, INTERRUPTED, "interrupted"))
            self._futures.clear()
        outcomes += self.collect(timeout=0)  # (the cancelled futures' callbacks are dropped there)
        for outcome in outcomes:
            if outcome.status == INTERRUPTED:
                _remove_temporaries(outcome.dst)
        return outcomes

    def close(self) -> None:
        if self._futures:
            with contextlib.suppress(Exception):
                self._client.cancel(list(self._futures))

    def _outcome(self, item) -> Optional[Outcome]:
        if isinstance(item, tuple):  # failed to submit
            return item[1]
        job = self._futures.pop(item, None)
        if job is None:
            return None  # a late callback of a future already accounted for
        try:
            if item.status == "finished":
                return item.result()
            if item.status == "cancelled":
                _remove_temporaries(job.dst)
                return Outcome(job.src, job.dst, FAILED, "the Dask cluster cancelled this file")
            error = item.exception()
        except Exception as e:
            error = e
        if isinstance(error, _Stopped):
            _remove_temporaries(job.dst)
            return Outcome(job.src, job.dst, INTERRUPTED, "interrupted")
        _remove_temporaries(job.dst)
        if type(error).__name__ == "KilledWorker":
            why = "a Dask worker died while resizing this file"
        else:
            why = f"on the Dask cluster: {reason(error, job.src)}"
        return Outcome(job.src, job.dst, FAILED, why)


class ClusterBlocks:
    """The blocks of a Zarr output written by the workers of ``client`` (see the module's notes);
    ``recipe`` makes the volumes on each worker."""

    def __init__(self, client, recipe):
        self._client = client
        self._recipe = recipe
        workers = client.scheduler_info()["workers"].values()
        self.threads = max(1, sum(w["nthreads"] for w in workers))
        self._sharing = _threads_per_host(workers)

    def write(self, sink, levels, perm, bar) -> None:
        """Write each ``(name, blocks)`` of ``levels`` into ``sink``'s folder, level after level;
        the first failure raised (a block's own error, or UpsampleError naming the source) after
        the run is stopped. ``bar`` advances by one per block written."""
        run = uuid.uuid4().hex
        names = [name for name, _ in levels]
        futures: list = []
        try:
            for n, (name, blocks) in enumerate(levels):
                finished: "queue.Queue" = queue.Queue()
                futures = []
                for i, block in enumerate(blocks):
                    futures.append(self._client.submit(
                        _block_task, self._recipe, sink.tmp, names, n, block, perm, self._sharing, run, pure=False,
                        key=f"upsample-block-{run[:8]}-{n}-{i}", retries=0))
                    futures[-1].add_done_callback(finished.put)
                for _ in futures:
                    future = _next(finished)
                    if future.status != "finished" or not future.result():
                        raise self._failure(future)
                    bar.update(1)
        except BaseException:
            self._stop(run, futures)
            raise

    def _failure(self, future) -> BaseException:
        src = self._recipe.src
        if future.status == "cancelled":
            return UpsampleError(src, "the Dask cluster cancelled a block")
        try:
            error = future.exception()
        except Exception as e:
            return UpsampleError(src, f"the Dask cluster failed ({text_of(e)})")
        if error is None:  # stopped on its worker, as only this client does
            return KeyboardInterrupt()
        if type(error).__name__ == "KilledWorker":
            return UpsampleError(src, "a Dask worker died while resizing a block")
        return error

    def _stop(self, run: str, futures) -> None:
        """No block of ``run`` runs or starts any more: queued ones return at once, running ones
        are stopped, and their end awaited (at most ``STOP_GRACE``) so that none writes after."""
        with contextlib.suppress(Exception):  # a lost scheduler: nothing more can be asked of it
            self._client.cancel(futures)
            self._client.run(_stop, run, on_error="ignore")
            deadline = time.monotonic() + STOP_GRACE
            while time.monotonic() < deadline and any(self._client.run(_running, run, on_error="ignore").values()):
                time.sleep(0.05)


def _next(finished: "queue.Queue"):
    """The next item of ``finished``, waited for in short steps so that Ctrl-C is seen at once."""
    while True:
        with contextlib.suppress(queue.Empty):
            return finished.get(timeout=0.1)


# --- on the workers ---------------------------------------------------------------------------

# Thread id -> run id of the task it runs, and the runs stopped, in each worker process.
_RUNNING: Dict[int, str] = {}
_STOPPED: set = set()
_LOCK = threading.Lock()


def _task(setup, job: Job, debug: bool, run: str) -> Outcome:
    """One file on a worker: :func:`upsample_cli.batch._work`, stoppable by :func:`_stop`.

    ``setup`` is the run's ``(convert, task threads per host)``."""
    convert, sharing = setup
    stopped = Outcome(job.src, job.dst, INTERRUPTED, "interrupted")
    return _stoppable(run, sharing, lambda: _work(convert, job, debug), stopped)


def _stoppable(run: str, sharing, work, stopped):
    """``work()`` in this worker's task thread, registered so that :func:`_stop` can stop it:
    ``stopped`` when the run was stopped before or during it. A host's cores are shared among the
    task threads of all its workers (``sharing``: threads per host), as among the process
    workers, so that workers times engine threads do not exceed the cores."""
    from distributed import get_worker

    worker = get_worker()
    _limit_threads(max(1, cores() // sharing.get(worker.ip, worker.state.nthreads)))
    ident = threading.get_ident()
    try:
        try:
            with _LOCK:
                # Checked with the thread registered under one lock: :func:`_stop` then either finds
                # this thread or has marked the run, so no task starts after the client has seen
                # none running (and removed what they write into).
                if run in _STOPPED:
                    return stopped
                _RUNNING[ident] = run
            return work()
        finally:
            _unregister(ident)
    except _Stopped:
        _unregister(ident)
        return stopped


# Run id -> (its volumes, the store being written), made by the run's first block in this worker.
_VOLUMES: Dict[str, tuple] = {}


def _block_task(recipe, tmp: str, names, level: int, block, perm, sharing, run: str) -> bool:
    """One block of a volume on a worker: computed and written into the store at ``tmp`` (True),
    or stopped by :func:`_stop` (False)."""
    from .chunked import LevelSource, write_block
    from .volumes import ZarrSink

    def work():
        with _LOCK:
            made = _VOLUMES.get(run)
        if made is None:
            made = (recipe.volumes(), ZarrSink.attach(tmp, names))
            with _LOCK:
                _VOLUMES.clear()  # one run's kept: a client's runs come one after the other
                _VOLUMES[run] = made
        volumes, sink = made
        volume = volumes[level]
        if isinstance(volume.source, LevelSource):
            volume.source.bind(sink, perm)
        write_block(sink, names[level], volume, block, perm)
        return True

    return _stoppable(run, sharing, work, False)


def _running(run: str) -> int:
    """How many tasks of ``run`` run in this worker."""
    with _LOCK:
        return sum(r == run for r in _RUNNING.values())


def _unregister(ident: int) -> None:
    """No stop can reach this thread once it has left its task: drop it and any exception pending for it."""
    with _LOCK:
        _RUNNING.pop(ident, None)
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), None)


def _stop(run: str) -> int:
    """Stop the tasks of ``run`` in this worker: queued ones return at once, running ones get
    ``_Stopped`` raised in their threads. How many were running."""
    with _LOCK:
        _STOPPED.add(run)
        _VOLUMES.pop(run, None)  # (its plans and store, no longer needed)
        threads = [ident for ident, r in _RUNNING.items() if r == run]
        for ident in threads:
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), ctypes.py_object(_Stopped))
    return len(threads)


__all__ = ["ClusterBlocks", "DaskWorkers", "ENV_ADDRESS", "connect", "scheduler_address"]
