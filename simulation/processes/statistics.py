"""小升规 and 退规: the yearly review of who is in the 规上 statistics.

The rule is a fixed line on annual main-business revenue (2,000万元 since 2011). A firm over the
line enters the survey only if it reports (入库); incentives make that likelier. A firm under the
line leaves it.

The line is in current prices (the statistics read the year's 主营业务收入 as reported), while a
firm's revenue is kept in base-year prices (its growth is real growth, as the scenarios' 可比价
rates): the review compares them at the year's producer prices (:func:`line_in_base_prices`), so
a year of rising prices lifts firms over the line and a year of falling prices drops them under it.
"""

from __future__ import annotations

import numpy as np

from ..draws import FirmDraws
from ..population import Population
from ..scenario import Levers, Parameters
from . import kernels


def line_in_base_prices(params: Parameters, year: int, price_level: float) -> float:
    """The 2,000万 line of ``year`` (current prices) in the base-year prices a firm's revenue is kept
    in, at that year's producer prices relative to the base year (``Scenario.price_level``)."""
    return params.statistics.above_scale_threshold.at(year) / price_level


def review_scale(pop: Population, params: Parameters, levers: Levers, year: int,
                 draws: FirmDraws, annual: np.ndarray | None = None, *,
                 price_level: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Apply 小升规 / 退规 on this year's annual revenue; returns (entered, dropped) row masks.

    ``annual`` is this year's revenue (default: from the monthly sums), in base-year prices;
    ``price_level`` the year's producer prices relative to the base year, at which it meets the line.
    """
    stats = params.statistics
    annual = pop.annual_revenue() if annual is None else annual
    threshold = line_in_base_prices(params, year, price_level)
    incentive = levers.xiaoshenggui.incentive.at(year)
    p_report = stats.report_probability.at(year) + incentive * (
        stats.report_probability_incentive.at(year) - stats.report_probability.at(year)
    )
    compiled = kernels.compiled_for(len(pop))
    if compiled is not None:  # one pass; the report draw only for the firms it decides
        return compiled.scale_review(annual, pop.alive, pop.above, pop.id, threshold, p_report,
                                     draws.start("report", year))
    over = pop.alive & (annual >= threshold)
    entered = over & ~pop.above & (draws.uniform(pop.id, "report", year) < p_report)
    dropped = pop.alive & pop.above & ~over
    pop.above = (pop.above | entered) & ~dropped
    return entered, dropped


def cultivation_pool_boost(pop: Population, levers: Levers, threshold: float, year: int) -> np.ndarray:
    """Extra yearly growth (share) for 规下 firms in the 小升规培育库 (revenue within half the line;
    ``threshold`` the line in the prices of ``pop.revenue``)."""
    boost = levers.xiaoshenggui.pool_growth_boost.at(year) / 100
    in_pool = pop.alive & ~pop.above & (pop.revenue >= 0.5 * threshold) & (pop.revenue < threshold)
    return np.where(in_pool, boost, 0.0)
