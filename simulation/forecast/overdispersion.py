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

Exposure: a 新增小巨人 or 新增单项冠军 flow is compared with the national batch of its year (the
region's share is the stable quantity under the quota system) where ``national.csv`` gives the
batch for every year of the group; otherwise the rate is taken as constant.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .observed import DATA_DIR, load_observed, regions

FLOW_INDICATORS = ("new_little_giants", "new_single_champions")
NOT_REGIONS = ("national", "zhejiang")  # the batch sizes themselves, and the province that contains the regions


@dataclass(frozen=True)
class YearSwing:
    """Pooled between-year variance τ² of log flows around their rates, and what it rests on."""

    variance: float  # τ², (log units)²
    groups: int  # (region, indicator) groups with two or more years up to the origin
    dof: int  # Σ (n_g − 1)

    @property
    def sd(self) -> float:
        return float(np.sqrt(self.variance))


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


def year_swing(flows: pd.DataFrame, origin: int, national: Mapping[str, Mapping[int, float]] | None = None) -> YearSwing:
    """Pooled τ² of the flows up to ``origin`` (rows after it are dropped here, whoever calls)."""
    flows = flows[flows["year"] <= origin]
    excess, info, groups, dof = 0.0, 0.0, 0, 0
    for (_, indicator), group in flows.groupby(["region", "indicator"]):
        rows = group.drop_duplicates("year").sort_values("year")
        if len(rows) < 2:
            continue
        counts = rows["value"].to_numpy(float) + 0.5
        log_rate = np.log(counts) - np.log(_exposure(rows["year"], (national or {}).get(str(indicator), {})))
        weight = counts  # 1 / Poisson variance of log(y + ½)
        mean = np.sum(weight * log_rate) / weight.sum()
        excess += float(np.sum(weight * (log_rate - mean) ** 2)) - (len(rows) - 1)
        info += float(weight.sum() - np.sum(weight**2) / weight.sum())
        groups, dof = groups + 1, dof + len(rows) - 1
    if not groups:
        return NO_SWING
    return YearSwing(max(0.0, excess / info), groups, dof)


def _exposure(years: pd.Series, batches: Mapping[int, float]) -> np.ndarray:
    """The national batch of each year when every year has one, else 1 (a constant rate)."""
    if all(int(y) in batches for y in years):
        return np.array([batches[int(y)] for y in years], float)
    return np.ones(len(years))
