"""The twin tests' harness: a step run on the numpy passes and on the compiled loops (numba)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from simulation.population import COLUMNS, Population
from simulation.processes import kernels


@contextmanager
def compiled_steps(on: bool) -> Iterator[None]:
    """Every step compiled, or none, whatever the population's size."""
    saved = kernels.COMPILED_FROM, kernels.COMPILED_AFTER, kernels._stepped, kernels._cold
    kernels.COMPILED_FROM, kernels.COMPILED_AFTER, kernels._stepped, kernels._cold = (0 if on else 10**12), 10**18, 0, False
    try:
        yield
    finally:
        kernels.COMPILED_FROM, kernels.COMPILED_AFTER, kernels._stepped, kernels._cold = saved


def copy_population(pop: Population) -> Population:
    return Population(**{name: getattr(pop, name).copy() for name in COLUMNS})


def on_both(pop: Population, step: Callable) -> list:
    """``step`` on a copy of ``pop`` by the numpy code, then on another by the compiled loops:
    ``[(population, result), (population, result)]``."""
    runs = []
    for on in (False, True):
        copy = copy_population(pop)
        with compiled_steps(on):
            runs.append((copy, step(copy)))
    return runs
