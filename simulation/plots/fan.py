"""Fan charts: an indicator's median and bands over the years, with its targets marked."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..indicators import INDICATORS
from ..targets import target_values

BANDS = ((0.025, 0.975, 0.15), (0.10, 0.90, 0.25), (0.25, 0.75, 0.40))  # 95/80/50% bands and their alpha


def fan_chart(indicators: pd.DataFrame, targets, indicator: str, *, measure: str = "level", since: int | None = None, ax=None):
    """Draw ``indicator`` (or its cumulative sum or CAGR since ``since``) with ``targets`` marked.

    ``targets`` are :class:`~simulation.scenario.Target` objects on this indicator and measure;
    each is drawn at its year with its attainment probability beside it.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 4.0), layout="constrained")
    wide = indicators[indicators["indicator"] == indicator].pivot(index="replication", columns="year", values="value")
    series = _measured(wide, measure, since)
    years = series.columns.to_numpy()
    for lo, hi, alpha in BANDS:
        ax.fill_between(years, series.quantile(lo), series.quantile(hi), color="tab:blue", alpha=alpha, linewidth=0)
    ax.plot(years, series.median(), color="tab:blue", linewidth=2, label="median")
    for target in targets:
        values = target_values(wide, target)
        p = float(np.mean(np.isfinite(values) & _compare(values, target)))
        ax.plot([target.year], [target.value], marker="D", color="tab:red", markersize=7, zorder=5)
        ax.annotate(f"P={p:.0%}", (target.year, target.value), textcoords="offset points", xytext=(6, 6), color="tab:red")
    info = INDICATORS[indicator]
    kind = {"level": "", "cumulative": f" (cumulative from {since + 1})" if since is not None else "", "cagr": f" (CAGR since {since}, %)"}[measure]
    ax.set_title(f"{info.name}{kind}")
    ax.set_xlabel("year")
    ax.set_ylabel("%" if measure == "cagr" else info.unit)
    ax.set_xticks(years)
    ax.grid(alpha=0.3)
    return ax


def _measured(wide: pd.DataFrame, measure: str, since: int | None) -> pd.DataFrame:
    if measure == "cumulative":
        return wide.loc[:, [c for c in wide.columns if c > since]].cumsum(axis=1)
    if measure == "cagr":
        later = [c for c in wide.columns if c > since]
        span = np.array(later) - since
        return 100.0 * ((wide[later].div(wide[since], axis=0)) ** (1.0 / span) - 1.0)
    return wide


def _compare(values, target):
    from ..targets import met

    return met(values, target)
