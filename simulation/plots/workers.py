"""Figures drawn side by side in worker processes, each figure whole by one worker.

A figure set is any picklable object with ``stems()`` (file stems, in the order wanted),
``draw(stem) -> Path`` (draw and save that figure, its PNG path) and ``note`` (the corner stamp its
figures carry), drawing from what it holds and nothing else, so a worker gives the same files as this
process would. Each figure is drawn in the house style with the set's stamp (:func:`_drawn`).
"""

from __future__ import annotations

import os
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Protocol

from ..experiments.executors import resolve_workers, worker_start
from .fonts import plot_style
from .save import stamped


class FigureSet(Protocol):
    @property
    def note(self) -> str | None: ...

    def stems(self) -> list[str]: ...

    def draw(self, stem: str) -> Path: ...


def draw_all(figures: FigureSet, workers: int = 1) -> list[Path]:
    """Every figure of ``figures`` (PNG paths in its order), in ``workers`` processes (0: every core).

    A worker's warnings are raised again here, so a caller sees the same warnings either way."""
    stems = figures.stems()
    workers = min(resolve_workers(workers), len(stems))
    if workers <= 1:
        return [_drawn(figures, stem) for stem in stems]
    with ProcessPoolExecutor(workers, initializer=_hold, initargs=(figures, os.getpid())) as pool:
        drawn = list(pool.map(_draw_held, stems))
    for _, caught in drawn:
        for message, category, filename, lineno in caught:
            warnings.warn_explicit(message, category, filename, lineno)
    return [path for path, _ in drawn]


def _drawn(figures: FigureSet, stem: str) -> Path:
    with plot_style(), stamped(figures.note):
        return figures.draw(stem)


_HELD: FigureSet | None = None  # a drawing worker's figures (set once, when the worker starts)


def _hold(figures: FigureSet, main: int) -> None:
    global _HELD
    worker_start(main)
    _HELD = figures


def _draw_held(stem: str) -> tuple[Path, list[tuple[str, type[Warning], str, int]]]:
    """In a worker: draw ``stem`` of the held figures; its PNG path and the warnings raised."""
    assert _HELD is not None, "a drawing worker starts with its figures"
    with warnings.catch_warnings(record=True) as caught:
        path = _drawn(_HELD, stem)
    return path, [(str(w.message), w.category, w.filename, w.lineno) for w in caught]
