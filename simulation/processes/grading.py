"""亩均论英雄: yearly A/B/C/D grading on per-mu tax, per-mu value added, value added per energy, R&D.

Score = Σ weight × value / benchmark, the benchmark being the group's median, scaled so a median
firm scores about 100 (the Huangyan formula, domain-facts §4). 规上 firms with land and 规下 firms
with at least ``min_land_below_scale`` mu are ranked separately (Cixi's groups); grades are cut on
the rank by the scenario's shares (A top, D the bottom remainder). Tenants are not graded.
"""

from __future__ import annotations

import numpy as np

from ..population import Population
from ..scenario import Grading
from ..tiers import GRADE_A, GRADE_B, GRADE_C, GRADE_D, UNGRADED
from .ranking import rank_bands


def grade_firms(pop: Population, rules: Grading, year: int, *, annual: np.ndarray | None = None) -> None:
    """Set ``grade``, ``score`` and ``d_streak`` from this year's annual figures.

    ``annual`` is the revenue to grade on (default: this year's, from the monthly sums).
    """
    annual = pop.annual_revenue() if annual is None else annual
    va = annual * pop.va_rate
    land = np.maximum(pop.land, 1e-9)
    measures = [
        (rules.weight_tax_per_mu.at(year), annual * pop.tax_rate / land),
        (rules.weight_value_added_per_mu.at(year), va / land),
        (rules.weight_value_added_per_energy.at(year), 1.0 / np.maximum(pop.intensity, 1e-12)),
        (rules.weight_rd.at(year), pop.rd),
    ]
    grade = np.full(len(pop), UNGRADED, dtype=np.int8)
    score = np.zeros(len(pop))
    groups = (
        pop.alive & pop.above & (pop.land > 0),
        pop.alive & ~pop.above & (pop.land >= max(rules.min_land_below_scale.at(year), 1e-9)),
    )
    shares = (rules.share_a.at(year), rules.share_b.at(year), rules.share_c.at(year))
    for members in groups:
        idx = np.flatnonzero(members)
        if len(idx) == 0:
            continue
        score[idx] = _score(idx, measures)
        grade[idx] = _cut(score[idx], shares)
    pop.grade = grade
    pop.score = score
    pop.d_streak = np.where(grade == GRADE_D, pop.d_streak + 1, 0).astype(np.int8)


def _score(idx: np.ndarray, measures) -> np.ndarray:
    total_weight = sum(w for w, _ in measures) or 1.0
    score = np.zeros(len(idx))
    for weight, values in measures:
        if weight:
            x = values[idx]
            score += weight * x / max(np.median(x), 1e-12)
    return 100.0 * score / total_weight


def _cut(score: np.ndarray, shares: tuple[float, float, float]) -> np.ndarray:
    """Grades by rank: the top ``share_a`` get A, and so on; ties broken by position.

    A partial ranking (linear time) gives each firm's band; no full sort of the group.
    """
    bounds = np.round(np.cumsum(shares) * len(score))
    return GRADES[rank_bands(-score, bounds)]


GRADES = np.array([GRADE_A, GRADE_B, GRADE_C, GRADE_D])
