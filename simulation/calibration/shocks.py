"""Pooled estimate of the regional common-shock s.d. from the observed growth series.

Each region has only 1-5 observed years of 规上 value-added growth, so its own s.d. is noisy (with
3 years the s.d. of log s is about 0.5). The regions are Ningbo and its districts and a Zhejiang
county, so their volatilities are related: a random-effects model on the log s.d. borrows strength
across them (partial pooling):

    y_i = log s_i - bias(k_i) = log σ_i + e_i,   e_i ~ (0, v_i),   log σ_i ~ N(μ, τ²)

where s_i is region i's sample s.d. of yearly log growth around its own mean with k_i = n_i - 1
degrees of freedom. Under normal growth, s²/σ² ~ χ²_k / k, so ``bias(k) = (ψ(k/2) + log(2/k)) / 2``
and ``v(k) = ψ'(k/2) / 4`` exactly (ψ the digamma function). μ and τ² are the DerSimonian & Laird
(1986) moment estimates; each region's log σ is then shrunk towards μ by v_i / (v_i + τ²) (the
empirical-Bayes posterior mean), and a region with fewer than two years gets μ itself. The 90%
interval is a normal approximation: with 3-7 years per region it covers about 81% of planted values
(tests/test_pooled_shocks.py), so read it as an 80% interval.

The series are the full-year comparable growth of 规上工业增加值, else of all-industry value added,
else the January-November figure of the same year (the 2018 county table), one value per year.
Years need not be consecutive; a region's mean is its own, so slow trends across sparse years count
as shock, which makes the estimate an upper bound of the year-to-year shock.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import digamma, polygamma

from ..forecast.observed import load_observed

# growth series by preference: a year takes the first of these it has
GROWTH_INDICATORS = ("value_added_above_scale_growth", "industrial_value_added_growth",
                     "value_added_above_scale_growth_jan_nov")
REGIONS = ("zhenhai", "ningbo", "cixi", "linhai", "haishu")


def growth_series(region: str, data_dir: str | Path | None = None) -> pd.Series:
    """Yearly log growth of ``region`` (one value per year, by :data:`GROWTH_INDICATORS` preference)."""
    rows = load_observed(region, data_dir=data_dir)
    rows = rows[rows["indicator"].isin(GROWTH_INDICATORS)]
    rank = rows["indicator"].map({name: i for i, name in enumerate(GROWTH_INDICATORS)})
    best = rows.assign(rank=rank).sort_values(["year", "rank"]).drop_duplicates("year")
    return pd.Series(np.log1p(best["value"].to_numpy(float) / 100.0), index=best["year"].astype(int), name=region)


def log_sd_moments(k: int) -> tuple[float, float]:
    """Bias and variance of log s - log σ for a normal sample s.d. with ``k`` degrees of freedom."""
    if k < 1:
        raise ValueError("a sample s.d. needs at least 2 observations")
    return 0.5 * (float(digamma(k / 2)) + np.log(2.0 / k)), 0.25 * float(polygamma(1, k / 2))


def own_log_sd(values: np.ndarray) -> tuple[float, float, int] | None:
    """``(y, v, k)``: the bias-corrected log s.d. of ``values``, its sampling variance and d.o.f."""
    values = np.asarray(values, float)
    k = len(values) - 1
    if k < 1:
        return None
    bias, var = log_sd_moments(k)
    return float(np.log(np.std(values, ddof=1)) - bias), var, k


def pool(y: np.ndarray, v: np.ndarray) -> tuple[float, float, float]:
    """DerSimonian-Laird random effects: ``(μ, s.e. of μ, τ²)``."""
    y, v = np.asarray(y, float), np.asarray(v, float)
    w = 1.0 / v
    fixed = np.sum(w * y) / np.sum(w)
    q = float(np.sum(w * (y - fixed) ** 2))
    scale = np.sum(w) - np.sum(w**2) / np.sum(w)
    tau2 = max(0.0, (q - (len(y) - 1)) / scale) if len(y) > 1 and scale > 0 else 0.0
    w_star = 1.0 / (v + tau2)
    return float(np.sum(w_star * y) / np.sum(w_star)), float(np.sqrt(1.0 / np.sum(w_star))), tau2


def partial_pooling(series: dict[str, np.ndarray]) -> pd.DataFrame:
    """Per region: years, own s.d., pooled s.d. (partial pooling) and its 90% interval.

    Columns: ``region, years, own_sd, pooled_sd, lower90, upper90, shrinkage`` plus the attributes
    ``mu`` (pooled log s.d.), ``mu_se`` and ``tau`` (s.d. of the regional deviations of log σ).
    """
    own = {r: own_log_sd(vals) for r, vals in series.items()}
    informative = {r: e for r, e in own.items() if e is not None}
    if not informative:
        raise ValueError("no region has two observed years of growth")
    y = np.array([e[0] for e in informative.values()])
    v = np.array([e[1] for e in informative.values()])
    mu, mu_se, tau2 = pool(y, v)
    rows = []
    for region, vals in series.items():
        est = own[region]
        if est is None:  # nothing of its own: the population's predictive distribution
            centre, var, shrink, own_sd = mu, tau2 + mu_se**2, 1.0, np.nan
        else:
            yi, vi, _ = est
            shrink = vi / (vi + tau2) if tau2 > 0 else 1.0
            centre = mu + (1 - shrink) * (yi - mu)
            var = (1 - shrink) * vi + shrink**2 * mu_se**2
            own_sd = float(np.exp(yi))
        half = 1.644854 * np.sqrt(var)
        rows.append({"region": region, "years": len(vals), "own_sd": own_sd, "pooled_sd": float(np.exp(centre)),
                     "lower90": float(np.exp(centre - half)), "upper90": float(np.exp(centre + half)),
                     "shrinkage": float(shrink)})
    table = pd.DataFrame(rows)
    table.attrs.update(mu=mu, mu_se=mu_se, tau=float(np.sqrt(tau2)))
    return table


def regional_shock_sd(regions=REGIONS, data_dir: str | Path | None = None) -> pd.DataFrame:
    """:func:`partial_pooling` of the observed growth series of ``regions`` (calibration/data)."""
    return partial_pooling({r: growth_series(r, data_dir).to_numpy() for r in regions})
