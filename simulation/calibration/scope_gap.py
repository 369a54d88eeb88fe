"""The 同口径 scope gap: how far the 规上 growth indicator runs above continuing firms' growth.

The official 规上工业增加值增速, which a scenario's ``above_scale_mean`` cites, compares the firms
of the year's 规上 directory (规上 at last year's review) with their own last year, and counts the
plants admitted during the year (月度入库) from nothing. So it counts new plants' whole output as
growth, and the output that 零增地技改 projects and mergers add to existing firms; the firms that
leave during the year drop out of both years. The model's trend is solved for continuing 规上
firms, so at a scenario's own levers its indicator ran above the schedule it cites (1-4 pp a year
with nothing binding, when the indicator still counted the year's 小升规 entrants).

``parameters.growth.scope_gap`` is that excess, measured here at the scenario's own levers with
nothing binding (no energy cap, no common shocks), and the trend takes it off. The gap is a
number in the scenario, not solved in each run: a lever moved from the scenario's setting (a
sweep, ``explain``, a variant) keeps it, so the lever still moves the indicator.
"""

from __future__ import annotations

import pandas as pd

from ..loader import get_path, with_overrides
from ..paths import value_at
from ..scenario import Scenario

INDICATOR = "value_added_above_scale_growth"
UNBOUND = {  # nothing binds: the gap is the indicator's scope, not the cap or the year's luck
    "levers.energy.cap": 100.0,  # × the cap
    "parameters.growth.common_shock_sd": 0.0,
    "parameters.growth.sector_shock_sd": 0.0,
}


def unbound(scenario: Scenario, gap: dict[int, float]) -> Scenario:
    """``scenario`` with no energy cap, no common shocks and ``gap`` as its scope gap."""
    overrides = {path: value_at(get_path(scenario, path), x, scale=path.endswith("cap")) for path, x in UNBOUND.items()}
    overrides["parameters.growth.scope_gap"] = with_gap(scenario, gap)
    return with_overrides(scenario, overrides, file="<scope gap>")


def with_gap(scenario: Scenario, gap: dict[int, float]):
    """What sets ``gap`` as the scope gap by path: its value where the scenario has one, else the quantity."""
    if scenario.parameters.growth.scope_gap is not None:
        return gap
    return {"value": gap, "unit": "%/年", "assume": "being measured"}


def mean_indicator(scenario: Scenario, replications: int, seed: int, workers: int = 1) -> pd.Series:
    """The 规上 growth indicator by year (after the base year), averaged over replications."""
    from ..experiments.replicate import run_replications

    rows = run_replications(scenario, replications, seed, workers=workers).indicators
    growth = rows[(rows["indicator"] == INDICATOR) & (rows["year"] > scenario.base_year)]
    return growth.groupby("year")["value"].mean()


def measure_scope_gap(scenario: Scenario, replications: int = 40, seed: int = 0, *, iterations: int = 3,
                      workers: int = 1) -> pd.DataFrame:
    """The gap by year that makes the unbound indicator's mean equal ``above_scale_mean``.

    A fixed point, found by moving each year's gap by the indicator's excess over the schedule:
    the same seeds every round (common random numbers), so only the gap moves the runs. Columns:
    ``year, schedule, indicator_without`` (the mean indicator with no gap), ``gap`` and
    ``indicator`` (the mean with it: the schedule, up to the sampling error and the last round's
    step, which ``residual`` gives).
    """
    schedule = scenario.parameters.growth.above_scale_mean
    years = range(scenario.base_year + 1, scenario.end_year + 1)
    gap = dict.fromkeys(years, 0.0)
    without = mean = mean_indicator(unbound(scenario, gap), replications, seed, workers)
    for round_ in range(iterations + 1):
        if round_:
            mean = mean_indicator(unbound(scenario, gap), replications, seed, workers)
        excess = {year: float(mean[year]) - schedule.at(year) for year in years}
        if round_ < iterations:
            gap = {year: gap[year] + excess[year] for year in years}
    return pd.DataFrame({
        "year": list(years),
        "schedule": [schedule.at(year) for year in years],
        "indicator_without": [float(without[year]) for year in years],
        "gap": [gap[year] for year in years],
        "indicator": [float(mean[year]) for year in years],
        "residual": [excess[year] for year in years],
    })
