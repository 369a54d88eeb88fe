"""The 2,000万 line is in current prices; firms' revenue is in base-year prices.

The statistics read the year's 主营业务收入 as reported, so the review meets a firm's revenue with
the line at the year's producer prices: a year of rising prices lifts firms over the line, a year
of falling prices drops them under it. Entrants (drawn below the line) and the 小升规培育库 (within
half of it) read the same line.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from simulation.draws import FirmDraws
from simulation.experiments.replicate import run_replications
from simulation.loader import with_overrides
from simulation.population import Population
from simulation.processes import statistics


def _const(value):
    return SimpleNamespace(at=lambda year: value)


def _review(revenue: np.ndarray, above: np.ndarray, price_level: float) -> tuple[np.ndarray, np.ndarray]:
    """One review of firms at these yearly revenues (base-year prices), every firm over the line reporting."""
    n = len(revenue)
    pop = Population.new(n, alive=True, revenue=revenue, above=above)
    params: Any = SimpleNamespace(statistics=SimpleNamespace(
        above_scale_threshold=_const(2000.0), report_probability=_const(1.0), report_probability_incentive=_const(1.0)))
    levers: Any = SimpleNamespace(xiaoshenggui=SimpleNamespace(incentive=_const(0.0)))
    return statistics.review_scale(pop, params, levers, 2021, FirmDraws(np.random.SeedSequence(0)), revenue,
                                   price_level=price_level)


@pytest.mark.parametrize("price_level", [0.9, 1.0, 1.081, 1.25])
def test_the_review_meets_revenue_with_the_line_at_the_years_prices(price_level):
    """A 规下 firm enters where its revenue at the year's prices reaches 2,000万, and a 规上 firm
    leaves where it falls short: the cut sits at 2,000 / price level in base-year prices."""
    revenue = np.linspace(1500.0, 2500.0, 1001)
    entered, _ = _review(revenue, np.zeros(len(revenue), dtype=bool), price_level)
    _, dropped = _review(revenue, np.ones(len(revenue), dtype=bool), price_level)
    at_prices = revenue * price_level
    clear = np.abs(at_prices - 2000.0) > 1e-6  # off the line itself, where rounding may go either way
    np.testing.assert_array_equal(entered[clear], at_prices[clear] > 2000.0)
    np.testing.assert_array_equal(dropped, ~entered)
    assert entered.any() and not entered.all()


def _first_year_flows(scenario, first_index: float, replications: int = 12) -> dict[str, float]:
    """Mean 小升规 and 退规 of the first simulated year, its producer price index ``first_index`` and
    the later years' 100."""
    years = list(scenario.years)
    moved = with_overrides(scenario, {"parameters.prices.producer_price_index":
                                      {y: first_index if y == years[0] else 100.0 for y in years}})
    ind = run_replications(moved, replications, seed=0, workers=1).indicators
    first = ind[(ind.year == years[0]) & ind.indicator.isin(["new_above_scale", "dropped_below_scale"])]
    return first.groupby("indicator")["value"].mean().to_dict()


def test_rising_prices_lift_firms_over_the_line_and_falling_prices_drop_them_under(zhenhai):
    """The same firms and draws (common random numbers): a year of 8% inflation brings a fifth more
    小升规 and fewer 退规 than flat prices; a year of 8% deflation, a fifth fewer and more."""
    flat, rising, falling = (_first_year_flows(zhenhai, index) for index in (100.0, 108.0, 92.0))
    assert rising["new_above_scale"] > 1.2 * flat["new_above_scale"]
    assert falling["new_above_scale"] < 0.8 * flat["new_above_scale"]
    assert rising["dropped_below_scale"] < flat["dropped_below_scale"] < falling["dropped_below_scale"]


def test_entrants_are_drawn_below_the_line_at_the_years_prices(zhenhai):
    """Entrants are 规下 firms at the year's prices: in a year with the price level 12% over the
    base year's, none reaches 2,000 / 1.12 万元 of base-year revenue, and some come within 2% of it."""
    from simulation.processes.entry import newcomers

    year = 2022
    level = zhenhai.price_level(year)
    assert level > 1.1  # the cited index: +8.1% in 2021, +4.0% in 2022
    firms, _ = newcomers(zhenhai, year, 20_000, np.random.default_rng(7))
    line = zhenhai.parameters.statistics.above_scale_threshold.at(year) / level
    assert firms["revenue"].max() < line
    assert np.any(firms["revenue"] > 0.98 * line)
