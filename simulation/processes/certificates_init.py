"""Base-year certificates: who holds 创新型, 专精特新, 小巨人, 单项冠军 and 高新技术企业 at the start.

The scenario gives the counts; these functions give them to the firms most likely to hold them,
under the same criteria the yearly rounds apply (the SME ceiling, the 小巨人 R&D bands, the
高新技术企业 R&D floor), so that the base year is a state the rules could have produced.
"""

from __future__ import annotations

import numpy as np

from ..scenario import Scenario
from ..tiers import FIRST_LIST_YEAR, Cert, high_tech_rd_floor
from .certification import meets_rd_rule, within_sme_ceiling
from .ranking import smallest


def _rules_first(merit: np.ndarray, fits: np.ndarray, k: int) -> np.ndarray:
    """The first ``k`` positions of the order: those meeting the rules first, each group by falling
    merit, ties by position (``np.lexsort((-merit, ~fits))[:k]``, by partial ranking)."""
    fitting, others = np.flatnonzero(fits), np.flatnonzero(~fits)
    head = fitting[smallest(-merit[fitting], k)]
    return np.concatenate([head, others[smallest(-merit[others], k - len(head))]])


def initial_certificates(scenario: Scenario, revenue, employees, value_added, rd, is_above, rng):
    """Certificates at the base year; returns (cert, cert_year, high_tech, rd).

    ``rd`` comes back raised for the 高新技术企业 chosen by value added, which meet the R&D floor by
    definition (see :func:`high_tech_by_value_added`).
    """
    rules = scenario.parameters.certification
    cert, cert_year, high_tech = ladder_certificates(scenario, revenue, employees, rd, is_above, rng)
    share = scenario.population.certified.high_tech_value_added_share
    if share is not None:
        high_tech = high_tech_by_value_added(high_tech.sum(), share.at(0) / 100, value_added, rd, is_above, rng)
        rd = np.where(high_tech, np.maximum(rd, rd_holding_status(revenue, rules)), rd)
    return cert, cert_year, high_tech, rd


def ladder_certificates(scenario: Scenario, revenue, employees, rd, is_above, rng):
    """Give the base-year ladder levels and 高新技术企业 status to the firms most likely to hold them.

    Firms are ranked by R&D spending (intensity x revenue, the rounds' ranking) with noise; the top
    of the 规上 ranking holds the highest levels, as the ladder requires (单项冠军 ⊂ 小巨人 ⊂ 专精特新
    ⊂ 创新型). Firms meeting a level's rules (SME ceiling, R&D bands, revenue floor) come before
    those that do not.
    """
    counts, rules = scenario.population.certified, scenario.parameters.certification
    n = len(revenue)
    merit = np.log(rd) + np.log(revenue) + rng.gumbel(size=n)
    above = np.flatnonzero(is_above)
    everyone = np.arange(n)
    cert = np.zeros(n, dtype=np.int8)
    ladder = [
        (Cert.CHAMPION, counts.single_champions, rules.single_champion, above),
        (Cert.LITTLE_GIANT, counts.little_giants, rules.little_giant, above),
        (Cert.ZJTX, counts.zjtx_sme, rules.zjtx_sme, everyone),
        (Cert.INNOVATIVE, counts.innovative_sme, rules.innovative_sme, everyone),
    ]
    for level, count, step, rows in ladder:
        fits = (
            meets_rd_rule(step, revenue[rows], rd[rows], 0)
            & (revenue[rows] >= step.min_revenue.at(0))
            & within_sme_ceiling(step, rules, revenue[rows], employees[rows], 0)
        )
        free = rows[cert[rows] == 0]  # the order restricted to firms without a level yet
        cert[free[_rules_first(merit[free], fits[cert[rows] == 0], round(count.at(0)))]] = level
    cert_year = _granted_years(cert, scenario.base_year, int(rules.term_years.at(0)), rng)
    n_ht = round(counts.high_tech.at(0))
    high_tech = np.zeros(n, dtype=bool)
    qualifies = rd >= high_tech_rd_floor(revenue)
    high_tech[_rules_first(merit, qualifies, n_ht)] = True
    return cert, cert_year, high_tech


def _granted_years(cert: np.ndarray, base_year: int, term: int, rng) -> np.ndarray:
    """Year each base-year level was granted: within the last term, not before the level's first list."""
    years = np.where(cert > 0, base_year - rng.integers(0, term, len(cert)), 0)
    for level, first in FIRST_LIST_YEAR.items():
        held = cert == level
        years[held] = np.maximum(years[held], min(first, base_year))
    return years


def rd_holding_status(revenue, rules) -> np.ndarray:
    """R&D share one s.d. of a term's drift above the floor, so a 高新技术企业 usually keeps its status."""
    term = rules.term_years.at(0)
    return high_tech_rd_floor(revenue) * np.exp(rules.rd_volatility.at(0) * np.sqrt(term))


def high_tech_by_value_added(n_ht: int, share: float, value_added, rd, is_above, rng) -> np.ndarray:
    """Pick ``n_ht`` 高新技术企业 so that they hold ``share`` of 规上 value added.

    Statistics count 高新技术产业 by industry, and its firms are larger than the average; the
    ranking weighs R&D against size, the size weight found by bisection. The chosen firms are then
    lifted above the R&D floor of the 认定管理办法, which a certified firm meets by definition.
    Each step selects the top ``n_ht`` by partition (linear time), not by a full sort.
    """
    noise = rng.gumbel(size=len(value_added))
    log_rd, log_va = np.log(rd), np.log(value_added)
    total = value_added[is_above].sum()
    n_ht = int(min(max(n_ht, 0), len(value_added)))

    def pick(weight: float) -> np.ndarray:
        chosen = np.zeros(len(log_rd), dtype=bool)
        if n_ht == 0:
            return chosen
        score = log_rd + weight * log_va + noise
        chosen[np.argpartition(-score, n_ht - 1)[:n_ht]] = True
        return chosen

    low, high = 0.0, 50.0
    for _ in range(40):
        mid = (low + high) / 2
        if value_added[pick(mid) & is_above].sum() / total < share:
            low = mid
        else:
            high = mid
    return pick(high)
