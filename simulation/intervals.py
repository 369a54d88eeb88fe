"""Monte Carlo error of an attainment probability: the Wilson score interval.

P(met) is a share of R replications, so it carries sampling error that shrinks as 1/√R. The
Wilson interval (Wilson 1927, *JASA* 22:209; recommended by Brown, Cai & DasGupta 2001,
*Statistical Science* 16:101) keeps its coverage close to nominal for small R and for shares
near 0 or 1, where the normal (Wald) interval collapses to a point.
"""

from __future__ import annotations

import numpy as np

LEVEL = 0.95
Z95 = 1.959963984540054  # two-sided 95% normal quantile
METHOD = "Wilson score"


def wilson_interval(p: np.ndarray | float, n: int | np.ndarray, z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper ends of the Wilson interval of a share ``p`` of ``n`` trials (NaN where ``p`` is)."""
    p = np.asarray(p, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        denom = 1.0 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    # at p = 0 (or 1) the end is exactly 0 (or 1); the formula leaves rounding dust there
    lower = np.where(p <= 0, 0.0, np.clip(centre - half, 0.0, 1.0))
    upper = np.where(p >= 1, 1.0, np.clip(centre + half, 0.0, 1.0))
    return np.minimum(lower, p), np.maximum(upper, p)


def with_interval(targets, replications: int):
    """``targets`` (a target table) with ``p_met_lo`` and ``p_met_hi`` beside ``p_met``."""
    lo, hi = wilson_interval(targets["p_met"].to_numpy(float), replications)
    table = targets.copy()
    at = list(table.columns).index("p_met") + 1
    table.insert(at, "p_met_hi", hi)
    table.insert(at, "p_met_lo", lo)
    return table
