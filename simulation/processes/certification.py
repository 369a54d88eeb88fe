"""Certification rounds (梯度培育) and the 高新技术企业 status, once a year.

The ladder is 创新型中小企业 → 专精特新中小企业 → 专精特新"小巨人" → 单项冠军 (MIIT 2022
《优质中小企业梯度培育管理暂行办法》). A firm climbs at most one step a round, except where a step is
open to large firms at any level (单项冠军: firms under 4亿 must already be 小巨人, larger ones need
not) or was open before the level below existed (专精特新 before 创新型 was defined in 2022); for
those the years count from entry.

Supply and criteria:

- Each round names at most the region's quota: a fixed number, or the region's part of the year's
  national batch (national → province → region, :mod:`.quotas`), so the national list sizes, not
  the number of eligible firms, set the pace when candidates are plenty.
- Eligibility uses last year's figures: R&D intensity (a single floor, or floors by revenue band as
  the 小巨人 rule has them: ≥3% from 1亿, ≥6% from 5,000万, below that only a firm spending a fixed
  sum on R&D), revenue, growth, years at the level below, and for the SME levels the 中小企业 ceiling.
  The rules' money lines (revenue bands, floors, ceilings, the 4亿 opening, the R&D sum, the
  高新技术企业 floors' bands) are in current prices, so they read last year's revenue at last year's
  producer prices (``price_level``, relative to the base year, whose prices firms' revenue is kept in).
- Eligible firms succeed with the scenario's chance, scaled by the cultivation-pool lever and by the
  year's batch (:func:`batch_factors`: how large the list and the region's part of it come out,
  alike for all of a level's applicants), largest R&D spending first when more succeed than the
  quota allows.
- Every level is held for a term (3 years) and then reviewed, at the step's pass rate for the review
  year if it has one (小巨人: 57.3%, 61.9%, 82.9%, 87.0% in 2022–2025) or the common rate; a firm
  that fails falls one level. Reviews come every term from the grant; passing one does not restart
  the years held, which the step above counts (单项冠军: two years as 小巨人).
- 高新技术企业 is valid three years; then the firm applies again and lapses if it is refused or no
  longer meets the R&D floor. Its first grants and its renewals meet the year's strictness
  (:func:`batch_factors`, ``high_tech_batch_effect``).
- R&D intensity drifts as a log random walk; firms in the cultivation pools (梯度培育库 members and
  高新技术苗子 nearest below the floor) add the ``rd_effort`` lever to their drift.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..draws import FirmDraws, mean_one
from ..scenario import Certification, Cultivation, Step
from ..tiers import HIGH_TECH_VALIDITY_YEARS, Cert, high_tech_rd_floor
from . import kernels
from .ranking import kth_smallest, smallest

if TYPE_CHECKING:  # population imports the base-year rules, which import this module
    from ..population import Population

STEPS = ("innovative_sme", "zjtx_sme", "little_giant", "single_champion")
HIGH_TECH_BATCH = 0  # the 高新技术企业 round's place among batch_factors (the ladder's levels 1-4 theirs)
# the pools' levels as plain ints: numpy compares an array with an IntEnum member several times slower
_INNOVATIVE, _ZJTX = int(Cert.INNOVATIVE), int(Cert.ZJTX)


def certification_round(pop: Population, rules: Certification, multiplier: float, year: int,
                        draws: FirmDraws, *, price_level: float = 1.0) -> dict[Cert, np.ndarray]:
    """Run one round, top level first; returns the rows newly certified at each level
    (``price_level``: last year's producer prices relative to the base year)."""
    granted = {}
    factors = batch_factors(rules, year, draws)
    for level in (Cert.CHAMPION, Cert.LITTLE_GIANT, Cert.ZJTX, Cert.INNOVATIVE):
        step: Step = getattr(rules, STEPS[level - 1])
        rows = _apply_step(pop, level, step, rules, multiplier * factors[level], year, draws, price_level)
        pop.cert[rows] = level
        pop.cert_year[rows] = year
        granted[level] = rows
    return granted


def batch_factors(rules: Certification, year: int, draws: FirmDraws) -> np.ndarray:
    """This year's factor on each round's chance (index: the level; 0: 高新技术企业): exp(σ z - σ²/2),
    one on average, z a normal keyed by the round and the year, so every firm of a level meets the
    same year and every call gets the same factors; σ is ``batch_effect`` (``high_tech_batch_effect``
    for 高新技术企业), and a round without one has the factor 1.

    The scaled chance is capped at 1: a generous year cannot name more than every eligible firm, so
    where the chance is already high the factor lowers it on average (Ningbo's 小巨人, 0.6 times the
    培育库 multiplier of 1.5: by about 8%)."""
    factors = np.ones(len(STEPS) + 1)
    sigmas = np.zeros(len(STEPS) + 1)
    if rules.batch_effect is not None:
        sigmas[1:] = rules.batch_effect.at(year)
    if rules.high_tech_batch_effect is not None:
        sigmas[HIGH_TECH_BATCH] = rules.high_tech_batch_effect.at(year)
    varied = sigmas > 0
    if varied.any():
        z = draws.normal(np.arange(len(factors), dtype=np.int64), "certification batch", year)
        factors[varied] = mean_one(sigmas[varied], z[varied])
    return factors


def last_years_revenue(pop: Population, price_level: float) -> np.ndarray:
    """Last year's revenue at last year's prices (``price_level`` relative to the base year's), as
    the rules' money lines read it."""
    return pop.revenue_prev if price_level == 1.0 else pop.revenue_prev * price_level


def eligible_for(pop: Population, level: int, step: Step, rules: Certification, year: int,
                 price_level: float = 1.0) -> np.ndarray:
    """Rows that may apply for ``level`` this year (a boolean mask)."""
    eligible = np.zeros(len(pop), dtype=bool)
    eligible[eligible_rows(pop, level, step, rules, year, price_level)] = True
    return eligible


def eligible_rows(pop: Population, level: int, step: Step, rules: Certification, year: int,
                  price_level: float = 1.0) -> np.ndarray:
    """The rows of :func:`eligible_for`, ascending. Each criterion is a test of the firm's own
    figures, so they are tested on the live firms of the right rung only (for the upper levels a
    few hundred of the population); where the compiled steps are in use, in one pass over those."""
    level = int(level)  # a plain int: numpy compares an array with an IntEnum member several times slower
    revenue_prev = last_years_revenue(pop, price_level)
    ladder = pop.cert == level - 1
    if step.open_above_revenue is not None:
        ladder |= (pop.cert < level) & (revenue_prev >= step.open_above_revenue.at(year))
    if step.level_below_required_from is not None and year < step.level_below_required_from:
        ladder |= pop.cert < level
    rows = (pop.alive & ladder).nonzero()[0]
    compiled = kernels.compiled_for(len(pop))
    if compiled is not None:
        return _eligible_in_one_pass(compiled, pop, rows, level, step, rules, year, revenue_prev)
    on_rung = (pop.cert[rows] == level - 1) if level != Cert.INNOVATIVE else np.zeros(len(rows), dtype=bool)
    since = np.where(on_rung, pop.cert_year[rows], pop.entry_year[rows])  # years since entry, or on the rung
    revenue = revenue_prev[rows]
    keep = (
        (year - since >= step.min_years_below.at(year))
        & meets_rd_rule(step, revenue, pop.rd[rows], year)
        & (revenue >= step.min_revenue.at(year))
        & (pop.growth_prev[rows] * 100 >= step.min_growth.at(year))
        & within_sme_ceiling(step, rules, revenue, pop.employees[rows], year)
    )
    return rows[keep]


def _eligible_in_one_pass(compiled, pop: Population, rows: np.ndarray, level: int, step: Step,
                          rules: Certification, year: int, revenue_prev: np.ndarray) -> np.ndarray:
    """The criteria of :func:`eligible_rows` over ``rows`` by :func:`.compiled.eligible_among`
    (absent bands an empty list, an absent small-firm spend NaN: no spending is at least NaN)."""
    bands = sorted(step.rd_bands or [], key=lambda b: b.revenue_from.at(year))
    ceiling = rules.sme_ceiling if step.sme_only else None
    return compiled.eligible_among(
        rows, pop.cert, pop.cert_year, pop.entry_year, revenue_prev, pop.rd, pop.growth_prev, pop.employees,
        int(level), int(year), step.min_years_below.at(year), step.min_rd.at(year),
        np.array([b.revenue_from.at(year) for b in bands], dtype=float),
        np.array([b.min_rd.at(year) for b in bands], dtype=float),
        np.nan if step.small_firm_rd_spend is None else step.small_firm_rd_spend.at(year),
        step.min_revenue.at(year), step.min_growth.at(year), ceiling is not None,
        np.inf if ceiling is None else ceiling.revenue.at(year), np.inf if ceiling is None else ceiling.employees.at(year),
    )


def _apply_step(pop: Population, level: int, step: Step, rules: Certification, multiplier: float,
                year: int, draws: FirmDraws, price_level: float = 1.0) -> np.ndarray:
    idx = eligible_rows(pop, level, step, rules, year, price_level)
    chance = min(step.success.at(year) * multiplier, 1.0)
    winners = idx[draws.uniform(pop.id[idx], STEPS[level - 1], year) < chance]
    quota = int(round(step.quota(year)))
    if len(winners) > quota:  # the lists are ranked on scores where R&D spending (万元) weighs most
        spending = pop.rd[winners] * pop.revenue_prev[winners]
        if len(winners) > _RANK_IN_PART_FROM:  # partial ranking: the same rows (quota >= 0), fewer compared
            winners = winners[smallest(-spending, quota)]
        else:
            winners = winners[(-spending).argsort(kind="stable")[:quota]]
    return np.sort(winners)


_RANK_IN_PART_FROM = 1000  # winners; below this a full stable sort is quicker than partition and sort


def meets_rd_rule(step: Step, revenue: np.ndarray, rd: np.ndarray, year: int) -> np.ndarray:
    """R&D criterion: the step's floor, and with ``rd_bands`` the floor of the firm's revenue band.

    Revenue in 万元, ``rd`` a share of revenue. Below the lowest band a firm qualifies only through
    ``small_firm_rd_spend`` (R&D spending in 万元), and not at all if that is absent.
    """
    revenue, rd = np.asarray(revenue, dtype=float), np.asarray(rd, dtype=float)
    ok = rd * 100 >= step.min_rd.at(year)
    if not step.rd_bands:
        return ok
    bands = sorted(step.rd_bands, key=lambda b: b.revenue_from.at(year))
    starts = np.array([b.revenue_from.at(year) for b in bands])
    floors = np.array([b.min_rd.at(year) for b in bands])
    band = np.searchsorted(starts, revenue, side="right") - 1
    in_band = band >= 0
    band_ok = in_band & (rd * 100 >= floors[np.maximum(band, 0)])
    if step.small_firm_rd_spend is not None:
        band_ok |= ~in_band & (rd * revenue >= step.small_firm_rd_spend.at(year))
    return ok & band_ok


def within_sme_ceiling(step: Step, rules: Certification, revenue: np.ndarray, employees: np.ndarray,
                       year: int) -> np.ndarray:
    """True where the firm is a 中小企业 (or the step has no SME rule): revenue under, OR staff under."""
    revenue = np.asarray(revenue, dtype=float)
    if not step.sme_only:
        return np.ones(revenue.shape, dtype=bool)
    ceiling = rules.sme_ceiling
    assert ceiling is not None  # Certification requires it when a step is sme_only
    return (revenue < ceiling.revenue.at(year)) | (np.asarray(employees) < ceiling.employees.at(year))


def review(pop: Population, rules: Certification, year: int, draws: FirmDraws) -> np.ndarray:
    """End-of-term review of certified firms (every ``term_years`` from the grant: the grant year,
    ``cert_year``, is kept, as the years held count towards the step above); returns the rows that
    failed (each fell one level, its years counted from the same grant)."""
    compiled = kernels.compiled_for(len(pop))
    if compiled is not None:
        due = compiled.review_due(pop.alive, pop.cert, pop.cert_year, int(year), rules.term_years.at(year))
    else:
        held, term = year - pop.cert_year, rules.term_years.at(year)
        due = (pop.alive & (pop.cert > 0) & (held >= term) & (held % term == 0)).nonzero()[0]
    pass_rate = review_pass_rates(rules, year)[pop.cert[due]]
    passed = draws.uniform(pop.id[due], "review", year) < pass_rate
    failed = due[~passed]
    pop.cert[failed] -= 1
    return failed


def review_pass_rates(rules: Certification, year: int) -> np.ndarray:
    """Pass rate by level (index = Cert value) for reviews held in ``year``."""
    rates = np.full(len(STEPS) + 1, rules.review_pass_rate.at(year))
    for level, name in enumerate(STEPS, start=1):
        own = getattr(rules, name).review_pass_rate
        if own is not None:
            rates[level] = own.at(year)
    return rates


def high_tech_round(pop: Population, rules: Certification, year: int, draws: FirmDraws, *,
                    price_level: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Grant and re-certify 高新技术企业 status; returns (granted, lapsed) rows.

    A holder keeps the status for its validity (3 years) whatever its R&D does meanwhile; then it
    applies again: it must meet the R&D floor and passes with ``high_tech_renewal`` (default: the
    first-time chance). A firm refused, or lapsed, may apply again the next year.
    """
    factor = batch_factors(rules, year, draws)[HIGH_TECH_BATCH]  # the year's strictness, for both
    success = rules.high_tech_success.at(year)
    renewal = success if rules.high_tech_renewal is None else rules.high_tech_renewal.at(year)
    success, renewal = min(success * factor, 1.0), min(renewal * factor, 1.0)
    new, due, meets_due = _high_tech_applicants(pop, year, last_years_revenue(pop, price_level))
    new = new[draws.uniform(pop.id[new], "high_tech", year) < success]
    renewed = meets_due & (draws.uniform(pop.id[due], "high_tech_renewal", year) < renewal)
    lapsed = due[~renewed]
    pop.high_tech[new] = True
    pop.high_tech_year[np.concatenate([new, due[renewed]])] = year
    pop.high_tech[lapsed] = False
    return new, lapsed


def _high_tech_applicants(pop: Population, year: int,
                          revenue_prev: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Live non-holders meeting the R&D floor, live holders due for renewal, and whether each of
    those meets it (in one pass where the compiled steps are in use); ``revenue_prev`` at last year's prices."""
    compiled = kernels.compiled_for(len(pop))
    if compiled is not None:
        return compiled.high_tech_applicants(pop.alive, pop.high_tech, pop.high_tech_year, pop.rd, revenue_prev,
                                             int(year), HIGH_TECH_VALIDITY_YEARS)
    meets = pop.alive & (pop.rd >= high_tech_rd_floor(revenue_prev))
    due = np.flatnonzero(pop.alive & pop.high_tech & (year - pop.high_tech_year >= HIGH_TECH_VALIDITY_YEARS))
    return np.flatnonzero(meets & ~pop.high_tech), due, meets[due]


def _nearest(key: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` smallest keys, as a set: ``key.argpartition(k - 1)[:k]``'s. Without a
    tie at the cut the set is the keys at most the k-th smallest (:func:`.ranking.kth_smallest`,
    one histogram pass at scale); with one, which tied keys argpartition takes is its own."""
    at_most = key <= kth_smallest(key, k - 1)
    if np.count_nonzero(at_most) == k:
        return np.flatnonzero(at_most)
    return key.argpartition(k - 1)[:k]


def cultivation_pool(pop: Population, cultivation: Cultivation | None, year: int,
                     price_level: float = 1.0) -> np.ndarray:
    """Firms the pools support this year: 创新型 and 专精特新 firms (梯度培育库), and the
    高新技术苗子, the ``high_tech_seedlings`` non-holders nearest below their R&D floor (its band
    read at last year's prices, ``price_level``)."""
    pool = pop.alive & ((pop.cert == _INNOVATIVE) | (pop.cert == _ZJTX))
    seedlings = 0 if cultivation is None or cultivation.high_tech_seedlings is None else \
        int(round(cultivation.high_tech_seedlings.at(year)))
    if seedlings > 0:
        closeness = pop.rd / high_tech_rd_floor(last_years_revenue(pop, price_level))
        below = (pop.alive & ~pop.high_tech & (closeness < 1.0)).nonzero()[0]
        if len(below) > seedlings:
            below = below[_nearest(-closeness[below], seedlings)]
        pool[below] = True
    return pool


def evolve_rd(pop: Population, rules: Certification, year: int, draws: FirmDraws,
              cultivation: Cultivation | None = None, *, price_level: float = 1.0) -> None:
    """R&D intensity drifts year to year (log random walk), capped at 50% of revenue; firms in the
    cultivation pools add the ``rd_effort`` lever to their drift (support and subsidies buy effort;
    ``price_level``: last year's prices, for the pools' R&D floors)."""
    drift, volatility = rules.rd_drift.at(year), rules.rd_volatility.at(year)
    pool, effort = np.zeros(len(pop), dtype=bool), 0.0
    if cultivation is not None and cultivation.rd_effort is not None:
        pool, effort = cultivation_pool(pop, cultivation, year, price_level), cultivation.rd_effort.at(year)
    shock = draws.normal(pop.id, "rd", year)
    compiled = kernels.compiled_for(len(pop))
    if compiled is not None:  # in place, one pass
        compiled.rd_shock(shock, pool, drift, effort, volatility)
    else:
        drifts = np.full(len(pop), drift)
        drifts[pool] += effort
        shock = drifts + volatility * shock
    np.exp(shock, out=shock)  # rd = min(rd * exp(shock), 0.5), in place
    np.multiply(pop.rd, shock, out=shock)
    np.minimum(shock, 0.5, out=pop.rd)
