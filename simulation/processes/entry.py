"""New firms (新设企业): how many are born and what they look like.

Firms are founded all year round: births come at the start of each month and make output from
it. A scenario gives either a number of births a year (a twelfth a month), or ``stock_growth``:
births then bring the stock of 规下 firms (small manufacturers) back to its path, the base year's
count grown by that rate, each month replacing what the stock lost in the month before (market
exits, closures by 散乱弱 and 腾笼换鸟 campaigns, and in January the firms that rose to 规上). Free
entry keeps the stock on its path; replacing market exits alone let it shrink every year. (Births
once came all in January, replacing the year's expected exits and last year's other losses: each
had a whole first year of output, the stock ran a year's losses below its path, and year one,
with no earlier losses to replace, had about a quarter fewer births than the years after.)

Entrants are small manufacturers below the 2,000万 line, as large relative to the economy as at
the base year (their size grows with the scenario's trend), their revenue log-normal truncated at
the line.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..draws import categories, lognormal_below
from ..population import Population
from ..scenario import Scenario
from .growth import newcomers_monthly_hazard
from .statistics import line_in_base_prices


def births_expected(scenario: Scenario, year: int, month: int, pop: Population,
                    path: tuple[float, float] | None = None) -> float:
    """The mean number of births at the start of ``month`` + 1 of ``year`` (``month`` 0: January,
    before any month's step; k: after month k's exits). Firms are founded all year round, so
    ``births_per_year`` comes a twelfth a month; with ``stock_growth`` the births are the 规下
    stock's shortfall from its path (:func:`stock_target`), so each month replaces what the stock
    lost in the month before (market exits, closures, and in January the year-end 小升规).
    ``path``: the year's :func:`year_path`, if read already."""
    entry = scenario.parameters.entry
    if entry.births_per_year is not None:
        return entry.births_per_year.at(year) / 12
    assert entry.stock_growth is not None  # Entry._one_rule
    below = int(np.count_nonzero(pop.alive & ~pop.above))
    return max(stock_target(scenario, year, month, path) - below, 0.0)


def stock_target(scenario: Scenario, year: int, month: int, path: tuple[float, float] | None = None) -> float:
    """The 规下 stock's path after ``month`` months of ``year``: last year's end grown geometrically
    to this year's (:func:`year_path`, or ``path`` if read already)."""
    start, end = year_path(scenario, year) if path is None else path
    return start * (end / start) ** (month / 12) if start > 0 else end


def year_path(scenario: Scenario, year: int) -> tuple[float, float]:
    """The 规下 stock's path at the ends of last year and of ``year`` (:func:`stock_path`)."""
    return stock_path(scenario, year - 1), stock_path(scenario, year)


def stock_path(scenario: Scenario, year: int) -> float:
    """The 规下 stock free entry keeps at the end of ``year``: the base year's, grown by ``stock_growth``."""
    growth = scenario.parameters.entry.stock_growth
    assert growth is not None
    path = float(round(scenario.population.below_scale.count.at(0)))
    for y in range(scenario.base_year + 1, year + 1):
        path *= 1 + growth.at(y) / 100
    return path


def newcomers(scenario: Scenario, year: int, n: int, rng: np.random.Generator) -> tuple[dict[str, Any], np.ndarray]:
    """``n`` new firms' columns (for :meth:`Population.append`), with their energy use (tce/年) for
    the caller to grant quota against."""
    params, spec = scenario.parameters, scenario.population
    entry, below = params.entry, spec.below_scale
    scale = np.prod([1 + params.growth.above_scale_mean.at(y) / 100 for y in range(scenario.base_year + 1, year + 1)])
    # below the 2,000万 line (current prices, so in base-year prices at the year's producer prices)
    # by truncation, not by a cap: a cap would pile the draws above it up just under the line, and
    # they would be next year's 小升规
    line = line_in_base_prices(params, year, scenario.price_level(year))
    revenue = lognormal_below(n, entry.revenue_median.at(year) * scale, entry.revenue_sigma.at(year), line, rng)
    va_rate = below.value_added_rate.at(0) / 100
    intensity = below.energy_intensity.at(0) * rng.lognormal(0.0, 0.3, n)
    use = revenue * va_rate * intensity
    firms = dict(
        alive=True,
        entry_year=year,
        revenue=revenue,
        va_rate=va_rate,
        tax_rate=below.tax_rate.at(0) / 100,
        employees=np.maximum(revenue / below.revenue_per_employee.at(0), 1.0),
        intensity=intensity,
        rd=spec.rd_intensity_median.at(0) / 100 * rng.lognormal(0.0, 0.5, n),
        drift=rng.normal(0.0, params.growth.heterogeneity.at(year), n),
        sector=categories(rng, spec.sector_shares(), n),
    )
    return firms, use


class Newcomers:
    """A year's new firms, drawn in batches and handed out as they are founded, month by month: one
    law holds for the whole year, so a batch draws what monthly draws would (in law), in a dozen
    numpy calls a batch rather than a dozen a month. Each firm comes with its energy use and its
    exit hazard for the year (a newcomer's: age 0, no certificate, ungraded).

    A batch holds the firms asked for and twice the year's expected births still to come: one batch
    usually lasts the year (a batch's calls cost the same whatever its size: at a district's size
    most of what births cost), and little is drawn beyond it (at 10^6 firms the draws are what
    births cost). The expected births replace the year's market exits (``exits``, the population's
    expected exits this year) and grow the stock along its path; after January the births run at
    1.2-1.8 times that in Zhenhai and Ningbo, the campaigns' closures being replaced too.
    """

    def __init__(self, scenario: Scenario, year: int, rng: np.random.Generator, *, exits: float = 0.0) -> None:
        self.scenario, self.year, self.rng = scenario, year, rng
        self._arrays: dict[str, np.ndarray] = {}  # a value per firm drawn
        self._constants: dict[str, Any] = {}  # a value for all
        self._left = 0  # firms drawn and not yet founded (the last of the arrays)
        entry = scenario.parameters.entry
        # the 规下 stock's path through the year, read once (births are asked for every month)
        self.path = year_path(scenario, year) if entry.stock_growth is not None else None
        if entry.births_per_year is not None:
            self.expected = entry.births_per_year.at(year)
        else:
            assert self.path is not None
            self.expected = exits + max(self.path[1] - self.path[0], 0.0)

    def births_expected(self, month: int, pop: Population) -> float:
        """:func:`births_expected` in this year."""
        return births_expected(self.scenario, self.year, month, pop, self.path)

    def take(self, n: int, month: int = 0) -> tuple[dict[str, Any], np.ndarray]:
        """The next ``n`` firms' columns (for :meth:`Population.append`) and their energy use, founded
        at the start of ``month`` + 1."""
        if n > self._left:
            self._draw(n + max(math.ceil(2 * self.expected * (11 - month) / 12), 32))
        stop = len(self._arrays["use"]) - self._left + n
        self._left -= n
        taken = {name: values[stop - n:stop] for name, values in self._arrays.items()}
        use = taken.pop("use")
        return taken | self._constants, use

    def _draw(self, size: int) -> None:
        firms, use = newcomers(self.scenario, self.year, size, self.rng)
        firms["hazard_month"] = newcomers_monthly_hazard(firms["revenue"], self.scenario.parameters, self.year)
        firms["use"] = use
        self._constants = {name: value for name, value in firms.items() if not isinstance(value, np.ndarray)}
        fresh = {name: value for name, value in firms.items() if name not in self._constants}
        if self._left:  # the batch before's last firms come first
            fresh = {name: np.concatenate([self._arrays[name][-self._left:], value]) for name, value in fresh.items()}
        self._arrays = fresh
        self._left += size
