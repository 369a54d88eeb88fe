"""Executors map a function over tasks; they never change a number.

Three kinds share one small interface, :meth:`Executor.imap_unordered`, which yields
``(index, result)`` as tasks finish and keeps only a bounded window of tasks in flight (so a sweep
of a million runs never holds a million futures):

- :class:`SerialExecutor` runs in this process;
- :class:`ProcessExecutor` uses a local process pool (``workers=0`` or ``None``: every core);
- :class:`DaskExecutor` uses Dask distributed: a ``LocalCluster`` it starts, or an existing
  scheduler (``tcp://host:port``) whose workers have ``upgrade-sim`` installed.

Seeds come from the task (:func:`~simulation.experiments.seeds.task_seed`), never from the worker,
so every executor gives the same numbers. :func:`map_ordered` keeps results in task order.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import signal
import sys
import threading
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Any, TypeVar

from tqdm.auto import tqdm

T = TypeVar("T")
R = TypeVar("R")


def resolve_workers(workers: int | None | Executor) -> int:
    """Worker count: ``None`` or ``0`` means every core; an open executor tells its own."""
    if isinstance(workers, Executor):
        return workers.workers
    return os.cpu_count() or 1 if not workers else max(int(workers), 1)


def chunked(items: Sequence[T], size: int) -> list[Sequence[T]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


class Executor:
    """Runs ``fn`` over tasks; subclasses implement :meth:`imap_unordered`. ``fn`` keeps no state
    from one call to the next: a worker may run any of the tasks, with one copy of ``fn`` for many.

    Use as a context manager so that pools and clusters are shut down.
    """

    name = "executor"
    workers = 1

    def imap_unordered(self, fn: Callable[[T], R], tasks: Sequence[T]) -> Iterator[tuple[int, R]]:
        raise NotImplementedError

    def close(self) -> None:
        """Release pools or clusters (nothing for the serial executor)."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def describe(self) -> str:
        return f"{self.name} ({self.workers} worker{'s' if self.workers > 1 else ''})"


class SerialExecutor(Executor):
    """Every task in this process, in order."""

    name = "serial"

    def imap_unordered(self, fn, tasks):
        for i, task in enumerate(tasks):
            yield i, fn(task)


class ProcessExecutor(Executor):
    """A local process pool; at most ``2 × workers`` tasks submitted at once."""

    name = "processes"

    def __init__(self, workers: int | None = None):
        self.workers = resolve_workers(workers)
        self._pool: ProcessPoolExecutor | None = None

    def imap_unordered(self, fn, tasks):
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=self.workers, initializer=worker_start, initargs=(os.getpid(),))
        pending: dict = {}
        queue = deque(enumerate(tasks))
        window = 2 * self.workers
        shipped = _Shipped(fn)
        while queue or pending:
            while queue and len(pending) < window:
                i, task = queue.popleft()
                pending[self._pool.submit(shipped, task)] = i
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                yield pending.pop(future), future.result()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def worker_start(main: int) -> None:
    """A pool worker's first step: it ends with the process whose pool it serves (``main``),
    however that one ends. A process stopped by SIGTERM or SIGKILL would otherwise leave its
    workers blocked for good, holding a replication's memory each.

    A watch thread ends the worker within a second of ``main``'s end, whichever way the pool
    started it (a fork server's workers are the server's children, and the server waits for
    them). Where ``main`` is the parent on Linux, ``PR_SET_PDEATHSIG`` ends it at once. The worker
    also takes SIGTERM's default again, which the command's handler (raise, and clean up) is not for.
    """
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform.startswith("linux") and os.getppid() == main:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    if not _alive(main):  # it ended before the watch could start
        os._exit(1)
    threading.Thread(target=_watch, args=(main,), name="orphan watch", daemon=True).start()


def _watch(main: int) -> None:
    while _alive(main):
        time.sleep(1.0)
    os._exit(1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # there, and another user's (a reused number): taken as alive
        pass
    return True


class _Shipped:
    """A task function pickled once, here, for every task of a map. Its bytes still go with each
    task, but a worker unpickles them at its first task and keeps the function for the next
    (:func:`_received`), as Dask's workers keep one: a fit's or a sweep's function holds a whole
    scenario, which each task would otherwise rebuild (~6 ms for a fit's). A function is then one
    object across a worker's tasks, so a task function must keep no state from call to call (none
    here does: each task's numbers come from its seed)."""

    __slots__ = ("blob",)

    def __init__(self, fn: Callable) -> None:
        self.blob = pickle.dumps(fn, protocol=pickle.HIGHEST_PROTOCOL)

    def __reduce__(self):
        return _received, (self.blob,)


_RECEIVED: OrderedDict[bytes, Callable] = OrderedDict()  # in a worker: the functions of its latest maps
_RECEIVED_KEPT = 4


def _received(blob: bytes) -> Callable:
    """The function pickled as ``blob``: unpickled at its first task in this process, then kept."""
    fn = _RECEIVED.get(blob)
    if fn is None:
        fn = _RECEIVED[blob] = pickle.loads(blob)
        while len(_RECEIVED) > _RECEIVED_KEPT:
            _RECEIVED.popitem(last=False)
    else:
        _RECEIVED.move_to_end(blob)
    return fn


class DaskExecutor(Executor):
    """Dask distributed: ``LocalCluster(n)`` when ``local`` is given, else ``scheduler``'s cluster."""

    name = "dask"

    def __init__(self, *, local: int | None = None, scheduler: str | None = None):
        from dask.distributed import Client, LocalCluster

        if (local is None) == (scheduler is None):
            raise ValueError("give either local (a worker count) or scheduler (an address)")
        self._cluster = None
        if local is not None:
            # one single-threaded process per worker: the model is numpy-bound and holds the GIL;
            # the dashboard on a free port, so that two clusters on one machine do not collide
            self._cluster = LocalCluster(
                n_workers=resolve_workers(local), threads_per_worker=1, processes=True,
                dashboard_address=":0", silence_logs=logging.ERROR,
            )
            self.client = Client(self._cluster)
        else:
            try:
                self.client = Client(scheduler, timeout="30s")
            except (OSError, ValueError, TimeoutError) as exc:  # a bad or unreachable address is the user's to fix
                from ..errors import InputError

                raise InputError(f"cannot reach a Dask scheduler there ({exc})", field=f"--scheduler {scheduler}") from None
        self.workers = max(sum(self.client.nthreads().values()), 1)
        self.address = self.client.scheduler.address
        self.dashboard = dashboard_link(self.client)

    def imap_unordered(self, fn, tasks):
        from dask.distributed import as_completed

        queue = deque(enumerate(tasks))
        index: dict = {}
        finished = as_completed()

        prefix = task_name(fn)
        batch = uuid.uuid4().hex[:8]

        def submit() -> None:
            i, task = queue.popleft()
            # a readable key: the dashboard groups tasks by the name before the last dash
            future = self.client.submit(fn, task, pure=False, key=f"{prefix}-{batch}{i:06d}")
            index[future] = i
            finished.add(future)

        for _ in range(min(2 * self.workers, len(queue))):
            submit()
        for future in finished:
            result = future.result()
            i = index.pop(future)
            future.release()
            if queue:
                submit()
            yield i, result

    def close(self) -> None:
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()

    def describe(self) -> str:
        where = "LocalCluster" if self._cluster is not None else self.address
        return f"dask {where} ({self.workers} workers)"  # no port numbers: it goes into manifests


def dashboard_link(client) -> str | None:
    """The address of the Dask dashboard, or ``None`` when it is not served (bokeh missing)."""
    try:
        import bokeh  # noqa: F401  (the dashboard needs it; without it the link is dead)
    except ImportError:
        return None
    link = getattr(client, "dashboard_link", None)
    return link or None


def task_name(fn: Callable) -> str:
    """A readable name for a task function: ``run-chunk`` for ``partial(run_chunk, …)`` or a wrapper of it."""
    inner: object = fn
    for _ in range(5):  # through partials and wrapper objects holding the real function as .func or .fn
        inner = getattr(inner, "func", None) or getattr(inner, "fn", None) or inner
        if hasattr(inner, "__name__"):
            break
    name = getattr(inner, "__name__", None) or type(inner).__name__
    return name.strip("_").replace("_", "-") or "task"


def make_executor(*, workers: int | None = None, dask_local: int | None = None, scheduler: str | None = None) -> Executor:
    """The executor for the CLI's ``--workers`` / ``--dask-local`` / ``--scheduler`` choice.

    ``workers=1`` is serial; ``None`` or ``0`` is a process pool over every core.
    """
    if dask_local is not None or scheduler is not None:
        return DaskExecutor(local=dask_local, scheduler=scheduler)
    n = resolve_workers(workers)
    return SerialExecutor() if n == 1 else ProcessExecutor(n)


def map_ordered(
    fn: Callable[[T], R], tasks: Sequence[T], *, workers: int | None | Executor = 1, progress: bool = False,
    desc: str = "runs", weights: Sequence[int] | None = None, bar: Any = None,
) -> list[R]:
    """``[fn(t) for t in tasks]``, on ``workers`` processes, with an optional progress bar.

    ``workers`` may also be an open :class:`Executor` (a Dask cluster, a pool), which is used and
    left open: a calibration maps many small batches and should not start a pool for each.
    ``weights`` is how many units each task holds (for the bar's count and rate). ``bar`` is an
    open progress bar to advance instead of a bar of its own (a calibration shows one bar, with
    its ETA, over all its batches); ``progress`` is then ignored.
    """
    weights = list(weights) if weights is not None else [1] * len(tasks)
    own = bar is None
    if own:
        bar = tqdm(total=sum(weights), desc=desc, unit=desc.split()[-1], disable=not progress, leave=False)
    results: list[R] = [None] * len(tasks)  # type: ignore[list-item]
    with bar if own else contextlib.nullcontext(), _borrow_or_make(workers, len(tasks)) as executor:
        for index, result in executor.imap_unordered(fn, tasks):
            results[index] = result
            if not own and bar.total is not None and bar.n + weights[index] > bar.total:
                bar.total = bar.n + weights[index]  # a shared bar's total was an estimate: extend it
            bar.update(weights[index])
    return results


@contextlib.contextmanager
def _borrow_or_make(workers: int | None | Executor, n_tasks: int) -> Iterator[Executor]:
    if isinstance(workers, Executor):
        yield workers  # the caller closes it
        return
    n = resolve_workers(workers)
    with SerialExecutor() if n == 1 or n_tasks <= 1 else ProcessExecutor(min(n, n_tasks)) as executor:
        yield executor
