"""Producer-price change over a forecast horizon, to compare the model's base-year money with
current-price observations like for like.

The index is the observed Zhejiang 工业生产者出厂价格指数 (``ppi_industrial_output``, 上年=100) in
``calibration/data/zhejiang.csv`` where that file has the year, else the scenario's own cited
``parameters.prices.producer_price_index`` for years it states explicitly (a held last value is
not an observation). A year covered by neither leaves the level unadjusted, and says so.
"""

from __future__ import annotations

from pathlib import Path

from ..scenario import Scenario
from .observed import data_file, load_observed

PPI_REGION, PPI_INDICATOR = "zhejiang", "ppi_industrial_output"


def observed_ppi(data_dir: str | Path | None = None) -> dict[int, float]:
    """{year: index, previous year = 100} from the province file; empty when it is absent."""
    if not data_file(PPI_REGION, data_dir).is_file():
        return {}
    rows = load_observed(PPI_REGION, data_dir=data_dir)
    rows = rows[rows["indicator"] == PPI_INDICATOR]
    return {int(y): float(v) for y, v in zip(rows["year"], rows["value"])}


def scenario_ppi(scenario: Scenario) -> dict[int, float]:
    prices = scenario.parameters.prices
    if prices is None:
        return {}
    index = prices.producer_price_index
    return {int(y): index.at(int(y)) for y in index.years}


def price_change(scenario: Scenario, origin: int, year: int, observed: dict[int, float] | None = None) -> tuple[float, str]:
    """(P_year / P_origin, label): label ``observed PPI``, ``scenario PPI``, a mix, or ``none …``."""
    observed = {} if observed is None else observed
    stated = scenario_ppi(scenario)
    ratio, used = 1.0, set()
    for y in range(origin + 1, year + 1):
        if y in observed:
            ratio *= observed[y] / 100
            used.add("observed PPI")
        elif y in stated:
            ratio *= stated[y] / 100
            used.add("scenario PPI")
        else:
            return 1.0, f"none (no PPI for {y})"
    return ratio, " + ".join(sorted(used)) or "none"
