"""亩均论英雄: yearly A/B/C/D grading on per-mu tax, per-mu value added, value added per energy, R&D.

Score = Σ weight × value / benchmark, the benchmark being the group's median, scaled so a median
firm scores about 100 (the Huangyan formula, domain-facts §4). 规上 firms with land and 规下 firms
with at least ``min_land_below_scale`` mu are ranked separately (Cixi's groups); grades are cut on
the rank by the scenario's shares (A top, D the bottom remainder). Tenants are not graded.
"""

from __future__ import annotations

from itertools import accumulate

import numpy as np

from ..population import Population
from ..scenario import Grading
from ..tiers import GRADE_A, GRADE_B, GRADE_C, GRADE_D, UNGRADED
from . import kernels
from .ranking import RADIX_FROM, kth_smallests, rank_bands


def grade_firms(pop: Population, rules: Grading, year: int, *, annual: np.ndarray | None = None) -> None:
    """Set ``grade``, ``score`` and ``d_streak`` from this year's annual figures.

    ``annual`` is the revenue to grade on (default: this year's, from the monthly sums).
    """
    annual = pop.annual_revenue() if annual is None else annual
    weights = (rules.weight_tax_per_mu.at(year), rules.weight_value_added_per_mu.at(year),
               rules.weight_value_added_per_energy.at(year), rules.weight_rd.at(year))
    min_land_below = max(rules.min_land_below_scale.at(year), 1e-9)
    shares = (rules.share_a.at(year), rules.share_b.at(year), rules.share_c.at(year))
    compiled = kernels.compiled_for(len(pop))
    if compiled is None:
        _grade(pop, annual, weights, min_land_below, shares)
    else:
        _grade_compiled(compiled, pop, annual, weights, min_land_below, shares)


def _grade(pop: Population, annual: np.ndarray, weights, min_land_below: float, shares) -> None:
    """The grading in numpy (the twin of :func:`_grade_compiled`)."""
    va = annual * pop.va_rate
    land = np.maximum(pop.land, 1e-9)
    measures = list(zip(weights, (annual * pop.tax_rate / land, va / land, 1.0 / np.maximum(pop.intensity, 1e-12), pop.rd)))
    grade = np.full(len(pop), UNGRADED, dtype=np.int8)
    score = np.zeros(len(pop))
    groups = (
        pop.alive & pop.above & (pop.land > 0),
        pop.alive & ~pop.above & (pop.land >= min_land_below),
    )
    for members in groups:
        idx = members.nonzero()[0]
        if len(idx) == 0:
            continue
        score[idx] = _score(idx, measures)
        grade[idx] = _cut(score[idx], shares)
    pop.grade = grade
    pop.score = score
    pop.d_streak = np.where(grade == GRADE_D, pop.d_streak + 1, 0).astype(np.int8)


def _grade_compiled(compiled, pop: Population, annual: np.ndarray, weights, min_land_below: float, shares) -> None:
    """The grading in a few compiled passes: the groups and their measures gathered in one, each
    group's scores in one, its grades in one; medians and cuts by single partitions."""
    groups = compiled.grading_groups(annual, pop.va_rate, pop.tax_rate, pop.land, pop.intensity, pop.rd, pop.alive,
                                     pop.above, min_land_below, pop.grade, pop.score, pop.d_streak, UNGRADED)
    total_weight = sum(weights) or 1.0
    for rows, values, nan in groups:
        m = len(rows)
        if m == 0:
            continue
        denominators = np.array([max(median(values[k], nan[k]), 1e-12) if w else 1.0 for k, w in enumerate(weights)])
        score, key = compiled.grading_scores(values, np.array(weights, dtype=float), denominators, total_weight)
        ks = _cuts(shares, m)
        kths = np.array(_kth_smallest(key, ks))
        compiled.grading_bands(key, np.array(ks, dtype=np.int64), kths, rows, score, GRADES, pop.grade, pop.score,
                               pop.d_streak, GRADE_D)


def _kth_smallest(key: np.ndarray, ks: list[int]) -> list[float]:
    """The ``k``-th smallest of ``key`` for each ``k`` of ``ks`` strictly inside (0, len), else 0.0:
    all those positions at once (:func:`.ranking.kth_smallests`: one histogram pass, or one
    partition at them all; each holds the value a partition at it alone puts there)."""
    inside = sorted({k - 1 for k in ks if 0 < k < len(key)})
    found = dict(zip(inside, kth_smallests(key, inside))) if inside else {}
    return [float(found[k - 1]) if 0 < k < len(key) else 0.0 for k in ks]


def median(x: np.ndarray, has_nan: bool) -> float:
    """``np.median(x)`` of a non-empty ``x`` (``has_nan``: whether it holds a NaN), up to the sign of a
    zero median: by one single-position partition (numpy's partition at two positions, as
    ``np.median`` asks for, is several times slower), or from 4,096 values by
    :func:`.ranking.kth_smallests` (the scores divide by at least 1e-12, so a zero's sign is not read).

    The mean of the two middles of an even count is their sum halved, as ``np.mean`` computes it.
    With a NaN, numpy's own (which NaN it returns is numpy's choice, and the scores divided by it
    carry its bits).
    """
    if has_nan:
        return float(np.median(x))
    half = len(x) // 2
    if len(x) < RADIX_FROM:  # one partition; the lower middle of an even count is the largest below the upper
        part = np.partition(x, half)
        return float(part[half] if len(x) % 2 else (part[:half].max() + part[half]) / 2.0)
    middles = kth_smallests(x, [half] if len(x) % 2 else [half - 1, half])
    return float(middles[0] if len(x) % 2 else (middles[0] + middles[1]) / 2.0)


def _score(idx: np.ndarray, measures) -> np.ndarray:
    total_weight = sum(w for w, _ in measures) or 1.0
    score = np.zeros(len(idx))
    for weight, values in measures:
        if weight:
            x = values[idx]
            score += weight * x / max(median(x, bool(np.isnan(x).any())), 1e-12)
    return 100.0 * score / total_weight


def _cuts(shares: tuple[float, float, float], n: int) -> list[int]:
    """How many of ``n`` firms rank above each cut: the top ``share_a`` get A, and so on.

    ``np.round(np.cumsum(shares) * n)`` in plain floats (the same left-to-right sums, products and
    round-half-to-even; numpy's calls cost more than the arithmetic for three shares).
    """
    return [min(max(round(bound * n), 0), n) for bound in accumulate(shares)]


def _cut(score: np.ndarray, shares: tuple[float, float, float]) -> np.ndarray:
    """Grades by rank: the top ``share_a`` get A, and so on; ties broken by position.

    A partial ranking (linear time) gives each firm's band; no full sort of the group.
    """
    bounds = np.round(np.cumsum(shares) * len(score))
    return GRADES[rank_bands(-score, bounds)]


GRADES = np.array([GRADE_A, GRADE_B, GRADE_C, GRADE_D], dtype=np.int8)
