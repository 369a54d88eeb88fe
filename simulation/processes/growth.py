"""Monthly revenue growth and market exit, for the whole population at once.

Revenue follows geometric Brownian motion in monthly steps: a firm's log revenue drifts by its
own mean plus the region's growth for its scale and tier, with log-normal shocks. The drift is
set so that the *expected* yearly growth of a firm equals the scenario's mean growth
(log drift = log(1+g) - σ²/2). Market exit is a constant hazard within a year, set by tier,
亩均 grade and size.
"""

from __future__ import annotations

import numpy as np

from ..draws import FirmDraws
from ..population import Population
from ..scenario import Parameters
from ..tiers import GRADE_D


def set_year_rates(pop: Population, params: Parameters, year: int, *, pool_boost: np.ndarray | float = 0.0) -> None:
    """Set this year's monthly log drift and exit probability of every firm.

    Parameters
    ----------
    pool_boost : extra yearly growth (share) for firms in a cultivation pool (小升规培育库).
    """
    g, ex = params.growth, params.exit
    sigma = g.volatility.at(year)
    mean = np.where(pop.above, g.above_scale_mean.at(year), g.below_scale_mean.at(year)) / 100
    mean = mean + pop.cert * (g.certified_premium.at(year) / 100) + pool_boost
    log_drift = np.log1p(np.maximum(mean, -0.99)) - sigma**2 / 2 + pop.drift - g.heterogeneity.at(year) ** 2 / 2
    pop.log_growth_month = np.where(pop.alive, log_drift / 12.0, 0.0)

    yearly = np.where(pop.cert > 0, ex.certified.at(year), np.where(pop.above, ex.above_scale.at(year), ex.below_scale.at(year)))
    yearly = yearly * np.where(pop.grade == GRADE_D, ex.d_grade_multiplier.at(year), 1.0)
    threshold = params.statistics.above_scale_threshold.at(year)
    size = np.maximum(pop.revenue, 1.0) / threshold
    yearly = np.clip(yearly * size ** (-ex.size_elasticity.at(year)), 0.0, 0.99)
    pop.hazard_month = np.where(pop.alive, -np.expm1(np.log1p(-yearly) / 12.0), 0.0)


def month_step(pop: Population, volatility: float, draws: FirmDraws, month: int) -> np.ndarray:
    """Grow every firm by one month, accrue revenue, and draw exits.

    Each firm's shock and exit draw are keyed by its id and ``month`` (see :mod:`simulation.draws`).
    Returns the row indices of firms that exited this month (still alive in the arrays:
    the caller releases their land and quota, then marks them).
    """
    shock = draws.normal(pop.id, "growth", month)
    shock *= volatility / np.sqrt(12.0)
    shock += pop.log_growth_month
    pop.revenue *= np.exp(shock)
    pop.ytd += pop.revenue
    return np.flatnonzero(draws.uniform(pop.id, "exit", month) < pop.hazard_month)
