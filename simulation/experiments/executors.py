"""Executors map a function over tasks; they never change a number.

Results come back in task order whatever order they finish in. ``workers=1`` runs in this
process; ``workers=N`` uses a local process pool (``0`` or ``None``: every core).
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Callable, Iterable, Iterator, Sequence, TypeVar

from tqdm.auto import tqdm

T = TypeVar("T")
R = TypeVar("R")


def resolve_workers(workers: int | None) -> int:
    return os.cpu_count() or 1 if not workers else max(int(workers), 1)


def chunked(items: Sequence[T], size: int) -> list[Sequence[T]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def map_ordered(
    fn: Callable[[T], R], tasks: Sequence[T], *, workers: int | None = 1, progress: bool = False, desc: str = "runs",
    weights: Sequence[int] | None = None,
) -> list[R]:
    """``[fn(t) for t in tasks]``, on ``workers`` processes, with an optional progress bar.

    ``weights`` is how many units each task holds (for the bar's count and rate).
    """
    weights = list(weights) if weights is not None else [1] * len(tasks)
    bar = tqdm(total=sum(weights), desc=desc, unit=desc.split()[-1], disable=not progress, leave=False)
    results: list[R] = [None] * len(tasks)  # type: ignore[list-item]
    with bar:
        for index, result in _unordered(fn, tasks, resolve_workers(workers)):
            results[index] = result
            bar.update(weights[index])
    return results


def _unordered(fn, tasks, workers) -> Iterator[tuple[int, object]]:
    if workers == 1 or len(tasks) <= 1:
        for i, task in enumerate(tasks):
            yield i, fn(task)
        return
    with ProcessPoolExecutor(max_workers=min(workers, len(tasks))) as pool:
        futures = {pool.submit(fn, task): i for i, task in enumerate(tasks)}
        for future in as_completed(futures):
            yield futures[future], future.result()
