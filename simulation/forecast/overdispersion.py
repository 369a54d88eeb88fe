"""Year-to-year over-dispersion of certification flows, pooled across regions.

A region's yearly flow of 新增小巨人 / 新增单项冠军 swings more than a Poisson count around its rate:
the lists are national batches, and a region's share of a batch moves from year to year (Ningbo's
新增小巨人 were 4.3%, 2.3% and 2.2% of the 2021, 2022 and 2024 batches). The swing is multiplicative,
so it is measured on the log scale, where Ningbo's ~100 a year and Zhenhai's ~3 are comparable
(a quasi-Poisson φ, variance ∝ mean, pooled over both would be set by the big counts and say
nothing about the small ones).

Model: ``log(y_t + ½) = log rate_g + log exposure_t + u_t + e_t`` for group g (a region and an
indicator), with u_t ~ N(0, τ²) the year's swing and e_t the count's own Poisson noise, variance
about ``1/(y_t + ½)``. τ² is the DerSimonian–Laird moment estimate pooled over every group with two
or more years: ``τ² = max(0, Σ_g (Q_g − (n_g − 1)) / Σ_g c_g)``, ``Q_g`` the inverse-variance
weighted sum of squares about the group mean and ``c_g = Σw − Σw²/Σw``. The Poisson part is
subtracted (the model supplies its own binomial noise), and the weights let large counts, which
measure the swing precisely, count for more than 2-a-year flows, which mostly measure Poisson noise.
A fit's own years are one group of the pool: they count as much as their information, no more.

**Uncertainty in τ.** With few years the point estimate is poor (it is 0 at origins 2019-2020,
where no region yet has two flow years that vary more than Poisson counts, which claims a
swing-free flow). So τ also has a posterior: the restricted (REML) likelihood of the same model,
group means integrated out, times a half-normal prior of s.d. :data:`SWING_PRIOR_SD`, on a grid.
Each replication of a forecast draws its τ² from it (:meth:`YearSwing.draw_variance`): with no
data the swing is the prior's, with many years the likelihood's.

Exposure: a 新增小巨人 or 新增单项冠军 flow is compared with the national batch of its year (the
region's share is the stable quantity under the quota system) where ``national.csv`` gives the
batch for every year of the group; otherwise the rate is taken as constant.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .observed import DATA_DIR, load_observed, regions

FLOW_INDICATORS = ("new_little_giants", "new_single_champions")
NOT_REGIONS = ("national", "zhejiang")  # the batch sizes themselves, and the province that contains the regions
# assume: half-normal prior on τ with s.d. 0.5 (weakly informative, after Gelman 2006): median τ 0.34,
# 95% of its mass below τ ≈ 1, i.e. a region's yearly share of a national list staying within about
# ×e^±2 of its rate. It lets a flow without history swing, and yields to two or more observed years.
SWING_PRIOR_SD = 0.5
# τ beyond 4 (a year's flow ×e^±8) has no mass under any prior the command allows (s.d. ≤ 1)
TAU_GRID = np.linspace(0.0, 4.0, 801)


@dataclass(frozen=True)
class YearSwing:
    """Pooled between-year variance τ² of log flows around their rates, and what it rests on.

    ``variance`` is the moment (DerSimonian–Laird) estimate; ``posterior`` the probabilities of
    :data:`TAU_GRID` (none: τ² is taken as known, ``variance``)."""

    variance: float  # τ², (log units)²
    groups: int  # (region, indicator) groups with two or more years up to the origin
    dof: int  # Σ (n_g − 1)
    posterior: tuple[float, ...] | None = None

    @property
    def sd(self) -> float:
        return float(np.sqrt(self.variance))

    @property
    def mean_variance(self) -> float:
        """E[τ²] over the posterior (``variance`` when there is none)."""
        if self.posterior is None:
            return self.variance
        return float(np.dot(self.posterior, TAU_GRID**2))

    def quantiles(self, q: Sequence[float]) -> np.ndarray:
        """Posterior quantiles of τ (``sd`` at every q when there is no posterior)."""
        if self.posterior is None:
            return np.full(len(q), self.sd)
        return np.interp(q, np.cumsum(self.posterior), TAU_GRID)

    def draw_variance(self, rng: np.random.Generator) -> float:
        """One τ² from the posterior (``variance`` itself when there is none: no draw is made)."""
        if self.posterior is None:
            return self.variance
        return float(self.quantiles([rng.random()])[0] ** 2)


NO_SWING = YearSwing(0.0, 0, 0)


def pooled_flows(origin: int, data_dir: str | Path | None = None) -> pd.DataFrame:
    """Every region's observed flow rows up to ``origin`` (``region, year, indicator, value``)."""
    frames = []
    for region in regions(data_dir):
        if region in NOT_REGIONS:
            continue
        rows = load_observed(region, data_dir=data_dir)
        frames.append(rows[rows["indicator"].isin(FLOW_INDICATORS)])
    flows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["region", "year", "indicator", "value"])
    return flows[flows["year"] <= origin][["region", "year", "indicator", "value"]]


def national_batches(data_dir: str | Path | None = None) -> dict[str, dict[int, float]]:
    """{flow indicator: {year: national batch size}} from ``national.csv`` (empty when absent)."""
    path = Path(data_dir or DATA_DIR) / "national.csv"
    if not path.is_file():
        return {}
    rows = load_observed("national", data_dir=data_dir)
    return {i: {int(y): float(v) for y, v in zip(g["year"], g["value"])}
            for i, g in rows[rows["indicator"].isin(FLOW_INDICATORS)].groupby("indicator")}


def year_swing(flows: pd.DataFrame, origin: int, national: Mapping[str, Mapping[int, float]] | None = None,
               prior_sd: float | None = SWING_PRIOR_SD) -> YearSwing:
    """Pooled τ² of the flows up to ``origin`` (rows after it are dropped here, whoever calls), with
    its posterior under a half-normal prior of s.d. ``prior_sd`` (``None``: the point estimate only)."""
    series = list(_log_rates(flows[flows["year"] <= origin], national or {}))
    excess, info = 0.0, 0.0
    for log_rate, noise in series:
        weight = 1 / noise
        mean = np.sum(weight * log_rate) / weight.sum()
        excess += float(np.sum(weight * (log_rate - mean) ** 2)) - (len(log_rate) - 1)
        info += float(weight.sum() - np.sum(weight**2) / weight.sum())
    groups, dof = len(series), sum(len(r) - 1 for r, _ in series)
    point = max(0.0, excess / info) if groups else 0.0
    if prior_sd is None:
        return YearSwing(point, groups, dof) if groups else NO_SWING
    log_post = -0.5 * (TAU_GRID / prior_sd) ** 2 + sum(_restricted_loglik(r, v) for r, v in series)
    post = np.exp(log_post - log_post.max())
    return YearSwing(point, groups, dof, tuple(post / post.sum()))


def _log_rates(flows: pd.DataFrame, national: Mapping[str, Mapping[int, float]]):
    """(log rate per year, its Poisson variance) of every (region, indicator) group with two or more years."""
    for (_, indicator), group in flows.groupby(["region", "indicator"]):
        rows = group.drop_duplicates("year").sort_values("year")
        if len(rows) < 2:
            continue
        counts = rows["value"].to_numpy(float) + 0.5
        yield np.log(counts) - np.log(_exposure(rows["year"], national.get(str(indicator), {}))), 1 / counts


def _restricted_loglik(log_rate: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """REML log-likelihood of τ over :data:`TAU_GRID` for one group, its mean integrated out (flat prior)."""
    total = noise[None, :] + TAU_GRID[:, None] ** 2
    weight = 1 / total
    mean = (weight * log_rate).sum(axis=1, keepdims=True) / weight.sum(axis=1, keepdims=True)
    return -0.5 * (np.log(total).sum(axis=1) + np.log(weight.sum(axis=1)) + (weight * (log_rate - mean) ** 2).sum(axis=1))


def _exposure(years: pd.Series, batches: Mapping[int, float]) -> np.ndarray:
    """The national batch of each year when every year has one, else 1 (a constant rate)."""
    if all(int(y) in batches for y in years):
        return np.array([batches[int(y)] for y in years], float)
    return np.ones(len(years))
