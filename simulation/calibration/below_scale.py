"""Observed 规下 growth, derived from published all-industry and 规上 figures, beside 规上 growth.

Few places publish 规下 value added. Many publish all-industry value added (全部工业增加值) and 规上
value added, each with its real growth, for the same period; the accounts add the two parts, so
the 规下 part and its growth follow:

    g_below = (T - A) / (T / (1 + g_T) - A / (1 + g_A)) - 1

with T, A the current levels and g_T, g_A their growth (one deflator for both parts assumed). The
model's all-industry growth is built the same way (:mod:`simulation.indicators`), so the model's
规下 growth and these points compare like for like.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..forecast.observed import COLUMNS, DATA_DIR
from ..io import read_numeric_table

PERIODS = ("", "_jan_sep")  # a full year, and the first three quarters (前三季度)
_PARTS = {"total": "industrial_value_added", "total_growth": "industrial_value_added_growth",
          "above": "value_added_above_scale", "above_growth": "value_added_above_scale_growth"}


def below_scale_growth(total: float, total_growth: float, above: float, above_growth: float) -> float:
    """规下 growth (%) from the all-industry and 规上 levels and their growth (%)."""
    base = total / (1 + total_growth / 100) - above / (1 + above_growth / 100)
    return 100 * ((total - above) / base - 1)


def observed_gaps(data_dir: str | Path | None = None) -> pd.DataFrame:
    """Every region, year and period of ``calibration/data`` with all four published figures:
    ``region, year, period, total_growth, above_growth, below_growth, gap`` (gap = 规下 - 规上, pp)."""
    rows = pd.concat([read_numeric_table(path, COLUMNS) for path in sorted(Path(data_dir or DATA_DIR).glob("*.csv"))])
    found = []
    for period in PERIODS:
        wanted = {part: name + period for part, name in _PARTS.items()}
        picked = rows[rows["indicator"].isin(wanted.values())]
        wide = picked.pivot_table(index=["region", "year"], columns="indicator", values="value", aggfunc="first")
        wide = wide.reindex(columns=list(wanted.values())).dropna()
        for (region, year), values in wide.iterrows():
            figures = {part: float(values[name]) for part, name in wanted.items()}
            below = below_scale_growth(**figures)
            found.append({"region": region, "year": int(year), "period": period.strip("_") or "year",
                          "total_growth": figures["total_growth"], "above_growth": figures["above_growth"],
                          "below_growth": below, "gap": below - figures["above_growth"]})
    return pd.DataFrame(found, columns=["region", "year", "period", "total_growth", "above_growth", "below_growth",
                                        "gap"])


def model_gaps(indicators: pd.DataFrame) -> pd.Series:
    """The model's 规下 - 规上 growth gap (pp) by year: the median over replications."""
    wide = indicators[indicators["indicator"].isin(["value_added_below_scale_growth", "value_added_above_scale_growth"])]
    wide = wide.pivot_table(index=["replication", "year"], columns="indicator", values="value").dropna()
    gap = wide["value_added_below_scale_growth"] - wide["value_added_above_scale_growth"]
    return gap.groupby("year").median()
