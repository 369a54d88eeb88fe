"""Yearly revenue growth and monthly market exit, for the whole population at once.

Growth follows the firm-dynamics evidence rather than the statistical label:

- a firm's yearly log growth is ``trend + size effect + age effect + own drift + common shocks +
  ε``, where ε is Laplace (tent-shaped growth rates: Stanley et al. 1996, Nature 379:804;
  Bottazzi & Secchi 2006) with a s.d. falling with size, σ ∝ revenue^-β, shifted by its level
  correction log(1 - b²) so that E[exp(ε)] = 1: volatility lowers a small firm's median growth,
  not its expected revenue (otherwise a σ of 0.4-0.9 adds 0.4σ² a year, 6-30 pp, to the smallest
  firms' revenue growth: the 规下 sector outgrew 规上, where every published Zhejiang pair has it
  1.9-6.7 pp slower; Haltiwanger, Jarmin & Miranda 2013 find no size premium in level growth at a given age);
- small and young firms grow faster (Evans 1987); among firms above 2,000万 Gibrat's law holds
  (Hall 1987), so the size effect fades to zero at that size;
- part of each year's shock is transitory and reverses the next year (firm growth rates are
  negatively autocorrelated: Coad 2007), so log size is a random walk plus noise and the
  cross-section spreads only with the permanent part;
- the trend is solved each year so that continuing 规上 firms' revenue grows in expectation by the
  scenario's rate less its scope gap (the part of the published 同口径 rate that is entry at the
  line and output added to existing firms: :mod:`simulation.calibration.scope_gap`); the 2,000万
  line itself changes nobody's growth;
- the region shares a yearly AR(1) shock and each sector a yearly shock, keyed draws on
  (replication, year, region or sector) so that scenarios compared on common random numbers share
  them too.

Growth is applied once a year, in January: a firm's revenue is an annual rate, constant through
the year unless an event (rationing, an upgrade) changes it, so a year's annual revenue grows by
exactly the drawn rate and the first simulated year grows as fast as the later ones.

Market exit is a monthly hazard, set each year from size, age, certification and 亩均 grade, with
no step at the 规上 line (Dunne, Roberts & Samuelson 1989: exit falls with age and size).

Where the laws here name the 2,000万 line (the size effect fading at it, σ and the exit rate quoted
there), it is a reference size in the base-year prices revenue is kept in, not the statistical
rule, which reads revenue at the year's prices (:mod:`.statistics`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

from ..draws import FirmDraws
from ..population import Population
from ..scenario import Parameters
from ..tiers import GRADE_D, UNGRADED
from . import kernels

SIGMA_MAX = 0.95  # a Laplace scale b = σ/√2 below 1 keeps E[exp(ε)] = 1/(1 - b²) finite
REFERENCE_AGE = 10.0  # the exit rate is quoted for a firm of this age (and of 2,000万 revenue)


@dataclass
class CommonShocks:
    """The region's AR(1) shock to log growth and each sector's yearly shock.

    ``region`` is this year's value; ``variance`` its variance given a zero shock at the base year,
    so that ``exp(region - variance / 2)`` has mean one and the scenario's rate stays the expectation.
    """

    region: float = 0.0
    variance: float = 0.0
    sectors: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def advance(self, params: Parameters, year: int, n_sectors: int, draws: FirmDraws) -> None:
        g = params.growth
        rho, sd = g.common_shock_persistence.at(year), g.common_shock_sd.at(year)
        innovation = float(draws.normal(np.zeros(1, dtype=np.int64), "region shock", year)[0])
        self.region = rho * self.region + sd * innovation
        self.variance = rho**2 * self.variance + sd**2
        sector_sd = g.sector_shock_sd.at(year)
        self.sectors = sector_sd * draws.normal(np.arange(n_sectors, dtype=np.int64), "sector shock", year) - sector_sd**2 / 2

    def log_shock(self, sector: np.ndarray) -> np.ndarray:
        """Each firm's common log shock this year (mean-corrected)."""
        return self.region - self.variance / 2 + self.sectors[sector]


def volatility(revenue: np.ndarray, params: Parameters, year: int) -> np.ndarray:
    """Yearly s.d. of each firm's log growth: σ at the 2,000万 line, falling as revenue^-β."""
    g = params.growth
    size = np.maximum(revenue, 1.0) / params.statistics.above_scale_threshold.at(year)
    return np.minimum(g.volatility.at(year) * size ** (-g.volatility_size_elasticity.at(year)), SIGMA_MAX)


def mean_shape(pop: Population, params: Parameters, year: int) -> np.ndarray:
    """Each firm's mean log growth relative to the trend: size, age, own drift, certification."""
    g = params.growth
    # small firms grow faster (Evans 1987); among large ones Gibrat's law holds (Hall 1987), so the
    # size effect acts below the 2,000万 line and fades to zero at it (a kink, not a step)
    size = np.minimum(np.log(np.maximum(pop.revenue, 1.0) / params.statistics.above_scale_threshold.at(year)), 0.0)
    age = np.log1p(np.maximum(year - pop.entry_year, 0)) - np.log1p(REFERENCE_AGE)
    return (g.size_effect.at(year) * size + g.age_effect.at(year) * age + pop.drift
            + pop.cert * np.log1p(g.certified_premium.at(year) / 100))


def weighted_total(weights: np.ndarray, values: np.ndarray) -> float:
    """``Σ weights × values`` as numpy's pairwise sum of the products: the same bits whatever the
    number of BLAS threads. (``np.dot`` hands long vectors to BLAS, which splits the sum among its
    threads, so its last bits followed the thread count: Dask's workers run BLAS on one thread.)"""
    return float(np.sum(weights * values))


def continuing_log_growth(params: Parameters, year: int) -> float:
    """Expected log growth of continuing 规上 firms' revenue: the scenario's 同口径 rate less its scope gap."""
    g = params.growth
    gap = g.scope_gap.at(year) if g.scope_gap is not None else 0.0
    return float(np.log1p((g.above_scale_mean.at(year) - gap) / 100))


def grow_year(pop: Population, params: Parameters, year: int, draws: FirmDraws, shocks: CommonShocks,
              *, pool_boost: np.ndarray | float = 0.0) -> np.ndarray:
    """Draw this year's growth of every live firm and apply it to its revenue; returns log growth.

    Parameters
    ----------
    pool_boost : extra yearly growth (share) for firms in a cultivation pool (小升规培育库); a lever,
        so it adds to the trend rather than being normalised away.
    """
    compiled = kernels.compiled_for(len(pop))
    if compiled is not None and len(pop):
        return _grow_year_in_passes(compiled, pop, params, year, draws, shocks, pool_boost)
    sigma = volatility(pop.revenue, params, year)
    share = params.growth.transitory_share.at(year)
    b_perm = sigma * np.sqrt((1.0 - share) / 2.0)  # Laplace scale b: variance 2b²
    b_trans = sigma * np.sqrt(share / 4.0)  # the transitory shock counts twice in growth (in, then out)
    shape = mean_shape(pop, params, year) - pop.transitory  # last year's transitory part reverses
    # the trend: continuing 规上 firms' revenue grows by the scenario's rate in expectation
    weights = pop.revenue * (pop.alive & pop.above)
    if weights.sum() <= 0:
        weights = pop.revenue * pop.alive
    expected = np.exp(shape)  # E[exp(shape + shocks)]: the shocks are mean-one in levels
    total = weights.sum()
    trend = continuing_log_growth(params, year) - (
        np.log(weighted_total(weights, expected) / total) if total > 0 else 0.0)
    # each shock carries its own level correction log(1 - b²) = -log E[exp(ε)], so that a firm's
    # expected revenue follows its mean shape and volatility alone adds no growth (a small firm's
    # large σ would otherwise grow it by about 0.4σ² a year); the transitory part's correction is
    # part of its level, so it reverses with it
    transitory = b_trans * draws.laplace(pop.id, "transitory growth", year) + np.log1p(-(b_trans**2))
    log_growth = trend + shape + np.log1p(-(b_perm**2)) + b_perm * draws.laplace(pop.id, "growth", year) + transitory
    log_growth += shocks.log_shock(pop.sector) + np.log1p(pool_boost)
    log_growth = np.where(pop.alive, log_growth, 0.0)
    pop.transitory = np.where(pop.alive, transitory, 0.0)
    pop.revenue *= np.exp(log_growth)
    return log_growth


def _grow_year_in_passes(compiled, pop: Population, params: Parameters, year: int, draws: FirmDraws,
                         shocks: CommonShocks, pool_boost: np.ndarray | float) -> np.ndarray:
    """grow_year in two compiled passes around numpy's transcendental ones (log, power, exp, log1p:
    their bits) and numpy's sums; each schedule read once. The same numbers, bit for bit."""
    g = params.growth
    size = np.maximum(pop.revenue, 1.0)
    size /= params.statistics.above_scale_threshold.at(year)
    sigma = size ** (-g.volatility_size_elasticity.at(year))  # ``**``: numpy's shortcuts for 0.5, 2, ... as before
    log_size = np.log(size, out=size)
    share = g.transitory_share.at(year)
    c_perm, c_trans = np.sqrt((1.0 - share) / 2.0), np.sqrt(share / 4.0)
    first, age_terms = _by_entry_year(pop.entry_year, _age_terms, year)
    shape, perm_sq, trans_sq, weights = compiled.growth_shape(
        sigma, log_size, pop.entry_year, first, age_terms, pop.drift, pop.cert, pop.transitory, pop.revenue,
        pop.alive, pop.above, g.volatility.at(year), SIGMA_MAX, c_perm, c_trans, g.size_effect.at(year),
        g.age_effect.at(year), np.log1p(g.certified_premium.at(year) / 100))
    total = weights.sum()
    if total <= 0:
        weights = pop.revenue * pop.alive
        total = weights.sum()
    expected = np.exp(shape)
    trend = continuing_log_growth(params, year) - (
        np.log(weighted_total(weights, expected) / total) if total > 0 else 0.0)
    boost_log = np.log1p(pool_boost) if np.ndim(pool_boost) else np.full(len(pop), np.log1p(pool_boost))
    jensen_perm = np.log1p(np.negative(perm_sq, out=perm_sq), out=perm_sq)  # log(1 - b²), as grow_year's
    jensen_trans = np.log1p(np.negative(trans_sq, out=trans_sq), out=trans_sq)
    compiled.growth_draw(shape, sigma, draws.laplace(pop.id, "growth", year),
                         draws.laplace(pop.id, "transitory growth", year), jensen_perm, jensen_trans,
                         c_perm, c_trans, trend,
                         shocks.region - shocks.variance / 2, shocks.sectors, pop.sector, boost_log, pop.alive,
                         pop.transitory)
    np.multiply(pop.revenue, np.exp(shape), out=pop.revenue)
    return shape


def _by_entry_year(entry_year: np.ndarray, table, *args) -> tuple[int, np.ndarray]:
    """The first entry year and ``table(first, last, dtype, *args)``, a function's value for each entry
    year from the first to the last, for the compiled passes to look up."""
    first = int(entry_year.min())
    return first, table(first, int(entry_year.max()), entry_year.dtype.str, *args)


@functools.lru_cache(maxsize=256, typed=True)  # typed: a numpy integer year gives other dtypes than an int
def _age_terms(first: int, last: int, dtype: str, year: int) -> np.ndarray:
    """mean_shape's age term by entry year: numpy's function of the same value, of the same dtype,
    gives the same bits (kept across replications: the same years come back)."""
    entry = np.arange(first, last + 1, dtype=dtype)
    return _read_only(np.log1p(np.maximum(year - entry, 0)) - np.log1p(REFERENCE_AGE))


@functools.lru_cache(maxsize=256, typed=True)  # typed: a numpy integer year gives other dtypes than an int
def _age_factors(first: int, last: int, dtype: str, year: int, elasticity: float) -> np.ndarray:
    """yearly_hazard's age factor by entry year (as :func:`_age_terms`)."""
    entry = np.arange(first, last + 1, dtype=dtype)
    return _read_only(((1.0 + np.maximum(year - entry, 0)) / (1.0 + REFERENCE_AGE)) ** (-elasticity))


def _read_only(table: np.ndarray) -> np.ndarray:
    table.flags.writeable = False  # shared by every later call with the same key
    return table


def update_employment(pop: Population, log_growth: np.ndarray, params: Parameters, year: int) -> None:
    """Employment follows output with an elasticity below one: the rest is productivity growth
    (Verdoorn's law puts it near 0.5; Zhejiang's 规上 industry, near 0: the scenarios cite it)."""
    factor = np.multiply(log_growth, params.growth.employment_elasticity.at(year))
    np.exp(factor, out=factor)
    np.multiply(pop.employees, factor, out=factor)
    np.maximum(factor, 1.0, out=pop.employees)


def yearly_hazard(pop: Population, params: Parameters, year: int, rows: slice = slice(None)) -> np.ndarray:
    """Each firm's market-exit probability over this year (of the firms in ``rows``)."""
    ex = params.exit
    compiled = kernels.compiled_for(len(pop))
    entry_year = pop.entry_year[rows]
    if compiled is not None and len(entry_year):  # one compiled pass after numpy's power
        size = np.maximum(pop.revenue[rows], 1.0)
        size /= params.statistics.above_scale_threshold.at(year)
        yearly = size ** (-ex.size_elasticity.at(year))
        first, age_powers = _by_entry_year(entry_year, _age_factors, year, ex.age_elasticity.at(year))
        compiled.yearly_hazard(yearly, ex.rate.at(year), entry_year, first, age_powers, pop.cert[rows],
                               ex.certified_multiplier.at(year), pop.grade[rows], GRADE_D,
                               ex.d_grade_multiplier.at(year), pop.alive[rows])
        return yearly
    return _yearly_hazard_of(pop.revenue[rows], entry_year, pop.cert[rows], pop.grade[rows], pop.alive[rows],
                             params, year)


def _yearly_hazard_of(revenue, entry_year, cert, grade, alive, params: Parameters, year: int) -> np.ndarray:
    """:func:`yearly_hazard` from the columns it reads (numpy)."""
    ex = params.exit
    size = np.maximum(revenue, 1.0) / params.statistics.above_scale_threshold.at(year)
    age = (1.0 + np.maximum(year - entry_year, 0)) / (1.0 + REFERENCE_AGE)
    yearly = ex.rate.at(year) * size ** (-ex.size_elasticity.at(year)) * age ** (-ex.age_elasticity.at(year))
    yearly = yearly * np.where(cert > 0, ex.certified_multiplier.at(year), 1.0)
    yearly = yearly * np.where(grade == GRADE_D, ex.d_grade_multiplier.at(year), 1.0)
    return np.where(alive, np.clip(yearly, 0.0, 0.9), 0.0)


def monthly_hazard(yearly: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """The monthly exit probability that leaves a firm ``yearly`` chance to go within a year:
    -expm1(log1p(-yearly) / 12), computed in place (into ``out``, if given)."""
    monthly = np.negative(yearly)
    np.log1p(monthly, out=monthly)
    monthly /= 12.0
    np.expm1(monthly, out=monthly)
    return np.negative(monthly, out=monthly if out is None else out)


def set_exit_hazard(pop: Population, params: Parameters, year: int, *, first_row: int = 0, named: int = 0) -> float:
    """Set this year's monthly exit probability of the firms from ``first_row`` on (each firm's own
    hazard: the others' stay as they are); returns their expected exits this year. The ``named``
    large firms (ids below it, in the first rows: see :class:`~simulation.scenario.LargeFirm`) have
    no market exit."""
    yearly = yearly_hazard(pop, params, year, slice(first_row, None))
    head = yearly[: max(named - first_row, 0)]
    head[pop.id[first_row:first_row + len(head)] < named] = 0.0
    monthly_hazard(yearly, out=pop.hazard_month[first_row:])
    return float(yearly.sum())


def newcomers_monthly_hazard(revenue: np.ndarray, params: Parameters, year: int) -> np.ndarray:
    """The monthly exit probability :func:`set_exit_hazard` gives firms founded in ``year`` (age 0,
    no certificate, ungraded), from their revenue alone: a batch of newcomers needs no population."""
    n = len(revenue)
    yearly = _yearly_hazard_of(revenue, np.full(n, year), np.zeros(n, dtype=np.int8), np.full(n, UNGRADED),
                               np.ones(n, dtype=bool), params, year)
    return monthly_hazard(yearly)


def leavers_value_added(pop: Population, params: Parameters, year: int, *, named: int = 0) -> float:
    """Value added that the year's market leavers make before they go, in expectation, for a year
    whose leavers are not among the rows (the base year: its population is the firms at its end).
    Each firm stands for the ones like it that left: a firm leaving in month k has made k months
    (it makes the month it leaves in), so its expected output is Σ_k k·P(leaves in month k) / 12
    of a year's, about 6.5 months times its yearly exit probability.

    With s = 1 - h the chance to stay a month (h the monthly hazard), Σ_{k=1..12} k s^(k-1) h =
    Σ_{k=0..11} s^k - 12 s^12 = y / h - 12 (1 - y), y = 1 - s^12 the yearly probability: one pass
    over the firms in place of twelve."""
    yearly = yearly_hazard(pop, params, year)
    yearly[pop.id < named] = 0.0  # the named large firms have no market exit
    monthly = monthly_hazard(yearly)
    months = np.divide(yearly, monthly, out=np.zeros(len(pop)), where=monthly > 0)
    months -= 12.0 * (1.0 - yearly)
    np.maximum(months, 0.0, out=months)  # where no firm leaves: -12 before this, and a hair below 0 near it
    return float(np.sum(months / 12 * pop.revenue * pop.va_rate))


def month_step(pop: Population, draws: FirmDraws, month: int) -> np.ndarray:
    """Accrue one month of revenue and draw exits.

    Each firm's exit draw is keyed by its id and ``month`` (see :mod:`simulation.draws`).
    Returns the row indices of firms that exited this month (still alive in the arrays:
    the caller releases their land and quota, then marks them).
    """
    step = kernels.for_size(len(pop))  # numpy, or one compiled pass for a large population (same numbers)
    return step.accrue_and_exit(pop.ytd, pop.revenue, pop.id, pop.hazard_month, draws.start("exit", month))
