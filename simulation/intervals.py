"""Monte Carlo error of an attainment probability: the Wilson score interval.

P(met) is a share of R replications, so it carries sampling error that shrinks as 1/√R. The
Wilson interval (Wilson 1927, *JASA* 22:209; recommended by Brown, Cai & DasGupta 2001,
*Statistical Science* 16:101) keeps its coverage close to nominal for small R and for shares
near 0 or 1, where the normal (Wald) interval collapses to a point.

A difference of two such shares on paired replications (the same seeds) has Newcombe's hybrid
score interval (Newcombe 1998, *Statistics in Medicine* 17:2635, method 10), which for the same
reason never collapses when every discordant pair goes one way, or when there is none.
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


def newcombe_paired_interval(both: int, only_first: int, only_second: int, neither: int,
                             z: float = Z95) -> tuple[float, float]:
    """Lower and upper ends of Newcombe's hybrid score interval (method 10) for P(first) − P(second)
    from a paired 2×2 table: the Wilson ends of each share combined with their correlation φ.

    φ is corrected towards 0 by n/2 in ad − bc when positive, and 0 when a margin is empty, as
    Newcombe prescribes; the interval then has positive width for any n > 0 and stays in [−1, 1].
    """
    n = int(both + only_first + only_second + neither)
    a, b, c, d = (float(x) for x in (both, only_first, only_second, neither))
    p1, p2 = (a + b) / n, (a + c) / n
    (l1, u1), (l2, u2) = (tuple(map(float, wilson_interval(p, n, z))) for p in (p1, p2))
    margins = (a + b) * (c + d) * (a + c) * (b + d)
    cross = a * d - b * c
    phi = 0.0 if margins == 0 else (max(cross - n / 2, 0.0) if cross >= 0 else cross) / np.sqrt(margins)
    below = np.sqrt(max((p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2, 0.0))
    above = np.sqrt(max((u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2, 0.0))
    return max(p1 - p2 - below, -1.0), min(p1 - p2 + above, 1.0)
