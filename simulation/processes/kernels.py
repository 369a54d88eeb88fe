"""The steps that run every month over every firm, in numpy, and which version a population uses.

:mod:`.compiled` has the same functions as single compiled loops (numba), bit for bit equal to
these (``tests/test_kernels.py``). They pay from :data:`COMPILED_FROM` firms: below it a month's
numpy calls take well under a millisecond, while numba's start in a fresh process (~0.5 s, its
compiled code read from the disk cache) would outweigh what they save; above it each step's dozen
passes over the columns, each with a temporary array, dominate. Numba is imported only then.
"""

from __future__ import annotations

from types import ModuleType

import numpy as np

from ..draws import uniform_at

COMPILED_FROM = 20_000  # firms


def for_size(n: int) -> ModuleType:
    """The module whose functions a population of ``n`` firms uses: this one, or :mod:`.compiled`."""
    if n < COMPILED_FROM:
        return _NUMPY
    from . import compiled

    return compiled


def accrue_and_exit(ytd: np.ndarray, revenue: np.ndarray, ids: np.ndarray, hazard: np.ndarray,
                    start: np.uint64) -> np.ndarray:
    """One month: ``ytd += revenue``; rows whose exit draw (the uniform at ``start``) falls below
    their hazard, ascending."""
    ytd += revenue
    return np.flatnonzero(uniform_at(start, ids) < hazard)


def look_ahead(ytd, revenue, va_rate, intensity, quota, alive, left):
    """The energy look-ahead's projections, per firm (tce/年); returns
    (per_revenue, used, rate, projected, claims)."""
    per_revenue = va_rate * intensity  # tce per 万元 of revenue
    used = ytd / 12.0 * per_revenue * alive
    rate = revenue * per_revenue * alive
    projected = used + rate * left
    claims = np.maximum(projected - quota, 0.0) * alive
    return per_revenue, used, rate, projected, claims


def grant_and_short(granted, scale, quota, claims, rate):
    """``granted *= scale; quota += granted``; returns (short, the rows still short of their claim)."""
    granted *= scale
    quota += granted
    short = claims - granted
    return short, np.flatnonzero(short > 1e-9 * np.maximum(rate, 1.0))


def _this_module() -> ModuleType:
    import sys

    return sys.modules[__name__]


_NUMPY = _this_module()
