"""Certification rounds (梯度培育) and the 高新技术企业 status, once a year.

The ladder is 创新型中小企业 → 专精特新中小企业 → 专精特新"小巨人" → 单项冠军 (MIIT 2022
《优质中小企业梯度培育管理暂行办法》). A firm climbs at most one step a round, except where a step is
open to large firms at any level (单项冠军: firms under 4亿 must already be 小巨人, larger ones need
not; for those the years count from entry). Eligibility uses last year's figures (R&D intensity, revenue, growth, years
at the level below); eligible firms succeed with the scenario's chance, scaled by the cultivation
pool lever, and at most the regional quota per round (highest R&D first). Every level is held for
a term (3 years) and then reviewed; a firm that fails falls one level (domain-facts §2: ~87% pass).
"""

from __future__ import annotations

import numpy as np

from ..draws import FirmDraws
from ..population import Population
from ..scenario import Certification, Step
from ..tiers import Cert, high_tech_rd_floor

STEPS = ("innovative_sme", "zjtx_sme", "little_giant", "single_champion")


def certification_round(pop: Population, rules: Certification, multiplier: float, year: int,
                        draws: FirmDraws) -> dict[Cert, np.ndarray]:
    """Run one round, top level first; returns the rows newly certified at each level."""
    granted = {}
    for level in (Cert.CHAMPION, Cert.LITTLE_GIANT, Cert.ZJTX, Cert.INNOVATIVE):
        step: Step = getattr(rules, STEPS[level - 1])
        rows = _apply_step(pop, level, step, multiplier, year, draws)
        pop.cert[rows] = level
        pop.cert_year[rows] = year
        granted[level] = rows
    return granted


def _apply_step(pop: Population, level: int, step: Step, multiplier: float, year: int, draws: FirmDraws) -> np.ndarray:
    ladder = pop.cert == level - 1
    since = np.where((level == Cert.INNOVATIVE) | ~ladder, pop.entry_year, pop.cert_year)
    if step.open_above_revenue is not None:
        ladder |= (pop.cert < level) & (pop.revenue_prev >= step.open_above_revenue.at(year))
    eligible = (
        pop.alive
        & ladder
        & (year - since >= step.min_years_below.at(year))
        & (pop.rd * 100 >= step.min_rd.at(year))
        & (pop.revenue_prev >= step.min_revenue.at(year))
        & (pop.growth_prev * 100 >= step.min_growth.at(year))
    )
    idx = np.flatnonzero(eligible)
    chance = min(step.success.at(year) * multiplier, 1.0)
    winners = idx[draws.uniform(pop.id[idx], STEPS[level - 1], year) < chance]
    quota = int(round(step.quota_per_year.at(year)))
    if len(winners) > quota:
        winners = winners[np.argsort(-pop.rd[winners], kind="stable")[:quota]]
    return np.sort(winners)


def review(pop: Population, rules: Certification, year: int, draws: FirmDraws) -> np.ndarray:
    """3-year review of certified firms; returns the rows that failed (each fell one level)."""
    due = np.flatnonzero(pop.alive & (pop.cert > 0) & (year - pop.cert_year >= rules.term_years.at(year)))
    passed = draws.uniform(pop.id[due], "review", year) < rules.review_pass_rate.at(year)
    pop.cert_year[due] = year
    failed = due[~passed]
    pop.cert[failed] -= 1
    return failed


def high_tech_round(pop: Population, rules: Certification, year: int, draws: FirmDraws) -> tuple[np.ndarray, np.ndarray]:
    """Grant and renew 高新技术企业 status (valid 3 years); returns (granted, lapsed) rows."""
    meets = pop.alive & (pop.rd >= high_tech_rd_floor(pop.revenue_prev))
    new = np.flatnonzero(meets & ~pop.high_tech)
    new = new[draws.uniform(pop.id[new], "high_tech", year) < rules.high_tech_success.at(year)]
    due = np.flatnonzero(pop.alive & pop.high_tech & (year - pop.high_tech_year >= 3))
    renewed = meets[due] & (draws.uniform(pop.id[due], "high_tech_review", year) < rules.review_pass_rate.at(year))
    lapsed = due[~renewed]
    pop.high_tech[new] = True
    pop.high_tech_year[np.concatenate([new, due[renewed]])] = year
    pop.high_tech[lapsed] = False
    return new, lapsed


def evolve_rd(pop: Population, rules: Certification, year: int, draws: FirmDraws) -> None:
    """R&D intensity drifts year to year (log random walk), capped at 50% of revenue."""
    shock = rules.rd_drift.at(year) + rules.rd_volatility.at(year) * draws.normal(pop.id, "rd", year)
    pop.rd = np.minimum(pop.rd * np.exp(shock), 0.5)
