"""Scores of a probabilistic forecast given as an ensemble (simulated replications or quantiles).

- central bands of 50/80/95% from the ensemble's quantiles, and whether they cover the observation;
- the interval score of a central (1−α) band (Gneiting & Raftery 2007, eq. 43):
  ``(u − l) + (2/α)(l − y)·[y < l] + (2/α)(y − u)·[y > u]`` (lower is better; in the series' unit);
- the CRPS from the ensemble in its energy form, ``E|X − y| − ½ E|X − X'|`` (lower is better);
- the PIT value, the ensemble's share below the observation (ties count half);
- the absolute percentage error of the ensemble median.

A parametric predictive distribution (the statistical baselines) is scored the same way by
turning it into an ensemble of its quantiles at (i − ½)/m, i = 1..m.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

BANDS = (50, 80, 95)


def band(ensemble: np.ndarray, level: int) -> tuple[float, float]:
    """The central ``level``% band: the (1 − level/100)/2 and 1 − (1 − level/100)/2 quantiles."""
    alpha = 1.0 - level / 100.0
    lo, hi = np.quantile(ensemble, [alpha / 2, 1.0 - alpha / 2])
    return float(lo), float(hi)


def interval_score(lo: float, hi: float, observed: float, alpha: float) -> float:
    """Gneiting & Raftery's interval score of the central (1 − ``alpha``) band [lo, hi]."""
    penalty = (2.0 / alpha) * (max(lo - observed, 0.0) + max(observed - hi, 0.0))
    return (hi - lo) + penalty


def crps_ensemble(ensemble: np.ndarray, observed: float) -> float:
    """CRPS of an ensemble in the energy form E|X − y| − ½E|X − X'| (X, X' drawn from the ensemble)."""
    x = np.sort(np.asarray(ensemble, dtype=float))
    m = len(x)
    first = np.mean(np.abs(x - observed))
    # Σ_i Σ_j |x_i − x_j| = 2 Σ_i (2i − m − 1) x_(i) for sorted x (i = 1..m)
    spread = 2.0 * np.sum((2.0 * np.arange(1, m + 1) - m - 1) * x) / (m * m)
    return float(first - 0.5 * spread)


def crps_normal(mu: float, sigma: float, observed: float) -> float:
    """Closed-form CRPS of N(mu, sigma²) (Gneiting & Raftery 2007, eq. 21)."""
    z = (observed - mu) / sigma
    return float(sigma * (z * (2.0 * stats.norm.cdf(z) - 1.0) + 2.0 * stats.norm.pdf(z) - 1.0 / math.sqrt(math.pi)))


def pit(ensemble: np.ndarray, observed: float) -> float:
    """Probability integral transform: the share of the ensemble below the observation (ties half)."""
    x = np.asarray(ensemble, dtype=float)
    return float((np.sum(x < observed) + 0.5 * np.sum(x == observed)) / len(x))


def ape(median: float, observed: float) -> float:
    """Absolute percentage error of the median (%); NaN for a zero observation."""
    return 100.0 * abs(median - observed) / abs(observed) if observed != 0 else math.nan


def quantile_ensemble(ppf, m: int = 2000) -> np.ndarray:
    """An m-member ensemble of a distribution's quantiles at (i − ½)/m (``ppf``: its inverse CDF)."""
    return np.asarray(ppf((np.arange(1, m + 1) - 0.5) / m), dtype=float)


def score_ensemble(ensemble: np.ndarray, observed: float) -> dict[str, float]:
    """Every score of one forecast: median, lo/hi and covered flag per band, interval scores, CRPS, PIT, APE."""
    x = np.asarray(ensemble, dtype=float)
    x = x[np.isfinite(x)]
    if len(x) == 0:
        return {}
    median = float(np.median(x))
    row: dict[str, float] = {"median": median}
    for level in BANDS:
        lo, hi = band(x, level)
        row[f"lo{level}"], row[f"hi{level}"] = lo, hi
        row[f"covered{level}"] = bool(lo <= observed <= hi)
        row[f"is{level}"] = interval_score(lo, hi, observed, 1.0 - level / 100.0)
    row["crps"] = crps_ensemble(x, observed)
    row["pit"] = pit(x, observed)
    row["ape"] = ape(median, observed)
    return row
