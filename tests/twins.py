"""The twin tests' harness: a step run on the numpy passes and on the compiled loops (numba)."""

from __future__ import annotations

from collections.abc import Callable

from simulation.population import COLUMNS, Population
from simulation.processes import kernels

compiled_steps = kernels.pinned  # every step compiled, or none, whatever the population's size


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
