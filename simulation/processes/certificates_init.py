"""Base-year certificates: who holds 创新型, 专精特新, 小巨人, 单项冠军 and 高新技术企业 at the start.

The scenario gives the counts; these functions give them to the firms most likely to hold them,
under the same criteria the yearly rounds apply (the SME ceiling, the 小巨人 R&D bands, the
高新技术企业 R&D floor), so that the base year is a state the rules could have produced.
"""

from __future__ import annotations

import numpy as np

from ..draws import gumbel
from ..scenario import Scenario
from ..tiers import FIRST_LIST_YEAR, Cert, high_tech_rd_floor
from . import kernels
from .certification import meets_rd_rule, within_sme_ceiling
from .ranking import kth_smallest, smallest


def _rules_first(merit: np.ndarray, fits: np.ndarray, k: int, open_: np.ndarray | None = None) -> np.ndarray:
    """The first ``k`` positions of the order: those meeting the rules first, each group by falling
    merit, ties by position (``np.lexsort((-merit, ~fits))[:k]``, by partial ranking); with the
    mask ``open_``, of the order restricted to its positions (each group's positions ascending, as
    a restriction keeps them, so the same positions, without gathering the restriction first)."""
    fitting = np.flatnonzero(fits if open_ is None else fits & open_)
    head = fitting[smallest(-merit[fitting], k)]
    if len(head) == k:  # enough firms meet the rules: the others are not ranked
        return head
    others = np.flatnonzero(~fits if open_ is None else ~fits & open_)
    return np.concatenate([head, others[smallest(-merit[others], k - len(head))]])


def initial_certificates(scenario: Scenario, revenue, employees, value_added, rd, is_above, rng):
    """Certificates at the base year; returns (cert, cert_year, high_tech, rd).

    ``rd`` comes back raised for the 高新技术企业 chosen by value added, which meet the R&D floor by
    definition (see :func:`high_tech_by_value_added`).
    """
    share = scenario.population.certified.high_tech_value_added_share
    if share is None:
        cert, cert_year, high_tech = ladder_certificates(scenario, revenue, employees, rd, is_above, rng,
                                                         high_tech_rd_floor(revenue))
        return cert, cert_year, high_tech, rd
    # the ladder's pick by rank is replaced, so only its size is needed: the count, or everyone if
    # fewer, as high_tech_by_value_added clips it (the pick takes no draws)
    cert, cert_year, _ = ladder_certificates(scenario, revenue, employees, rd, is_above, rng)
    n_ht = round(scenario.population.certified.high_tech.at(0))
    high_tech = high_tech_by_value_added(n_ht, share.at(0) / 100, value_added, rd, is_above, rng)
    rows = np.flatnonzero(high_tech)  # only their R&D is raised: their floors, not everyone's
    rd = rd.copy()
    rd[rows] = np.maximum(rd[rows], rd_holding_status(scenario.parameters.certification, high_tech_rd_floor(revenue[rows])))
    return cert, cert_year, high_tech, rd


def ladder_certificates(scenario: Scenario, revenue, employees, rd, is_above, rng, floor=None):
    """Give the base-year ladder levels and 高新技术企业 status to the firms most likely to hold them.

    Firms are ranked by R&D spending (intensity x revenue, the rounds' ranking) with noise; the top
    of the 规上 ranking holds the highest levels, as the ladder requires (单项冠军 ⊂ 小巨人 ⊂ 专精特新
    ⊂ 创新型). Firms meeting a level's rules (SME ceiling, R&D bands, revenue floor) come before
    those that do not. The 高新技术企业 are picked by the same ranking where ``floor`` (each firm's R&D
    floor, ``high_tech_rd_floor``) is given; without it nobody is marked (a pick made elsewhere).
    """
    counts, rules = scenario.population.certified, scenario.parameters.certification
    n = len(revenue)
    merit = np.log(rd)  # log rd + log revenue + gumbel noise, that order, summed in place
    merit += np.log(revenue)
    merit += gumbel(rng, n)
    above = np.flatnonzero(is_above)
    cert = np.zeros(n, dtype=np.int8)
    ladder = [
        (Cert.CHAMPION, counts.single_champions, rules.single_champion, above),
        (Cert.LITTLE_GIANT, counts.little_giants, rules.little_giant, above),
        (Cert.ZJTX, counts.zjtx_sme, rules.zjtx_sme, None),  # None: every firm
        (Cert.INNOVATIVE, counts.innovative_sme, rules.innovative_sme, None),
    ]
    for level, count, step, rows in ladder:
        revenue_, rd_, employees_ = (revenue, rd, employees) if rows is None else (revenue[rows], rd[rows], employees[rows])
        fits = (
            meets_rd_rule(step, revenue_, rd_, 0)
            & (revenue_ >= step.min_revenue.at(0))
            & within_sme_ceiling(step, rules, revenue_, employees_, 0)
        )
        open_ = (cert if rows is None else cert[rows]) == 0  # the order restricted to firms without a level yet
        if rows is None:
            cert[_rules_first(merit, fits, round(count.at(0)), open_)] = level
        else:
            free = rows[open_]
            cert[free[_rules_first(merit[free], fits[open_], round(count.at(0)))]] = level
    cert_year = _granted_years(cert, scenario.base_year, int(rules.term_years.at(0)), rng)
    high_tech = np.zeros(n, dtype=bool)
    if floor is not None:
        high_tech[_rules_first(merit, rd >= floor, round(counts.high_tech.at(0)))] = True
    return cert, cert_year, high_tech


def _granted_years(cert: np.ndarray, base_year: int, term: int, rng) -> np.ndarray:
    """Year each base-year level was granted: within the last term, not before the level's first list."""
    years = rng.integers(0, term, len(cert))
    np.subtract(base_year, years, out=years)
    years *= cert > 0  # 0 where no level is held
    listed = np.flatnonzero(cert >= int(min(FIRST_LIST_YEAR)))  # the levels with a first list: few firms
    held = cert[listed]
    for level, first in FIRST_LIST_YEAR.items():
        at = listed[held == int(level)]
        years[at] = np.maximum(years[at], min(first, base_year))
    return years


def rd_holding_status(rules, floor: np.ndarray) -> np.ndarray:
    """R&D share one s.d. of a term's drift above the ``floor`` (``high_tech_rd_floor`` of the firm's
    revenue), so a 高新技术企业 usually keeps its status."""
    term = rules.term_years.at(0)
    return floor * np.exp(rules.rd_volatility.at(0) * np.sqrt(term))


def high_tech_by_value_added(n_ht: int, share: float, value_added, rd, is_above, rng) -> np.ndarray:
    """Pick ``n_ht`` 高新技术企业 so that they hold ``share`` of 规上 value added.

    Statistics count 高新技术产业 by industry, and its firms are larger than the average; the
    ranking weighs R&D against size, the size weight found by bisection. The chosen firms are then
    lifted above the R&D floor of the 认定管理办法, which a certified firm meets by definition.
    Each step selects the top ``n_ht`` by partition (linear time), not by a full sort, and once the
    bracket is narrow only among the firms whose score can still cross the cut (:class:`_TopByWeight`).
    """
    noise = gumbel(rng, len(value_added))
    log_rd, log_va = np.log(rd), np.log(value_added)
    total = value_added[is_above].sum()
    top = _TopByWeight(log_rd, log_va, noise, int(min(max(n_ht, 0), len(value_added))))
    compiled = top.compiled
    low, high = 0.0, 50.0
    for step in range(40):
        if step in _NARROW_AT:
            top.narrow(low, high)
        mid = (low + high) / 2
        rows = top.rows(mid)  # ascending: value_added[rows].sum() adds what the masked sum adds, in order
        chosen = value_added[rows[is_above[rows]]] if compiled is None else compiled.above_values(rows, is_above, value_added)
        if chosen.sum() / total < share:
            low = mid
        else:
            high = mid
    chosen = np.zeros(len(value_added), dtype=bool)
    chosen[top.rows(high)] = True
    return chosen


def nth_highest(values: np.ndarray, n: int, hint: np.ndarray | None = None) -> float:
    """The ``n``-th highest of ``values`` (finite; 1 <= n <= len). ``hint``: any ``n`` distinct
    positions, or None. The n-th highest is at least the lowest value at any n positions, so only
    the values reaching that are ranked: the same value, from a partition of a few of them when
    the hint is near the top (the rows chosen at the bisection's last weight)."""
    if hint is not None and len(hint) == n:
        values = values[values >= values[hint].min()]
    return kth_smallest(values, len(values) - n)


_NARROW_AT = (7, 9, 11, 14, 20)  # bisection steps at which the candidates are narrowed to the bracket


class _TopByWeight:
    """The ``n`` firms of highest score ``log_rd + weight * log_va + noise``, for a weight that a
    bisection narrows down: the set ``np.argpartition(-score, n - 1)[:n]`` gives.

    Each firm's score is monotone in the weight (it is linear, and rounding is monotone), so over
    a bracket of weights it lies between its scores at the ends. A firm whose highest there is below
    the n-th highest of the lowest scores is never chosen; one whose lowest is above the n-th
    highest of the highest scores is always chosen; only the others are ranked at each weight.
    A firm never chosen over a bracket is never chosen over a bracket inside it, and the n-th
    highest scores are those among the firms that can still be chosen, so each narrowing looks at
    those only (the ``pool``: candidates and always chosen), their columns gathered once.
    Where the cut falls on a tie, which tied firm argpartition takes depends on the whole array, so
    the whole array is partitioned as before. The passes over the whole population and the
    narrowing are compiled loops where the compiled steps are in use (the numpy code is their twin).
    """

    def __init__(self, log_rd: np.ndarray, log_va: np.ndarray, noise: np.ndarray, n: int):
        self.columns, self.n = (log_rd, log_va, noise), n
        self.finite = bool(np.isfinite(log_rd).all() and np.isfinite(log_va).all() and np.isfinite(noise).all())
        self.pool: np.ndarray | None = None  # rows that can still be chosen (None: all)
        self.pool_columns = self.columns
        self.candidates: np.ndarray | None = None  # rows ranked at each weight (None: all)
        self.candidate_columns = self.columns
        self.always = np.zeros(0, dtype=np.int64)  # rows chosen at every weight of the bracket
        self.last: np.ndarray | None = None  # the n rows last chosen over everyone: a bound on the next cut
        self.compiled = kernels.compiled_for(len(log_rd))

    @staticmethod
    def score(weight: float, columns: tuple[np.ndarray, np.ndarray, np.ndarray]) -> np.ndarray:
        log_rd, log_va, noise = columns
        return log_rd + weight * log_va + noise

    def rows(self, weight: float) -> np.ndarray:
        """The chosen rows at ``weight``, ascending."""
        if self.n == 0:
            return np.zeros(0, dtype=np.int64)
        k = self.n - len(self.always)
        if self.candidates is None or k == 0:
            return self.always if self.candidates is not None else self._full(weight)
        compiled = self.compiled
        if compiled is not None:
            score = compiled.weighted_scores(*self.candidate_columns, weight)
            cut = nth_highest(score, k)
            chosen = compiled.merge_reaching(self.always, self.candidates, score, cut)
            return chosen if len(chosen) - len(self.always) == k else self._full(weight)  # else a tie at the cut
        score = self.score(weight, self.candidate_columns)
        cut = nth_highest(score, k)
        above = score >= cut
        if np.count_nonzero(above) != k:  # a tie at the cut: as argpartition over everyone breaks it
            return self._full(weight)
        chosen = np.concatenate((self.always, self.candidates[above]))
        chosen.sort(kind="stable")  # two ascending runs: one merge
        return chosen

    def _full(self, weight: float) -> np.ndarray:
        compiled = self.compiled
        score = self.score(weight, self.columns) if compiled is None else compiled.weighted_scores(*self.columns, weight)
        if self.finite:  # without a tie at the cut, the n highest are those at least the n-th highest
            cut = nth_highest(score, self.n, self.last)
            chosen = np.flatnonzero(score >= cut) if compiled is None else compiled.rows_at_least(score, cut)
            if len(chosen) == self.n:
                self.last = chosen
                return chosen
        return np.sort(np.argpartition(-score, self.n - 1)[: self.n])

    def narrow(self, low: float, high: float) -> None:
        """Keep as candidates the firms whose score can cross the cut for weights in [low, high]."""
        n, size = self.n, len(self.columns[0])
        if not self.finite or n == 0 or n >= size:
            return
        compiled = self.compiled
        if compiled is None:
            at_low, at_high = self.score(low, self.pool_columns), self.score(high, self.pool_columns)
            lowest, highest = np.minimum(at_low, at_high), np.maximum(at_low, at_high)
        else:
            lowest, highest = compiled.score_bounds(*self.pool_columns, low, high)
        hint = self.last if self.pool is None else None  # rows of the population, as the bounds' while pool is None
        cut_low = nth_highest(lowest, n, hint)  # the n-th highest score is at least this
        cut_high = nth_highest(highest, n, hint)  # and at most this
        if compiled is not None:
            rows = np.zeros(0, dtype=np.int64) if self.pool is None else self.pool
            kept = compiled.keep_in_bracket(lowest, highest, cut_low, cut_high, rows, self.pool is None, *self.columns)
            self.pool, self.always, self.candidates = kept[:3]
            self.pool_columns, self.candidate_columns = kept[3:6], kept[6:]
            return
        can = highest >= cut_low
        pool = np.flatnonzero(can) if self.pool is None else self.pool[can]
        lowest = lowest[can]
        ranked = lowest <= cut_high
        self.pool, self.always, self.candidates = pool, pool[~ranked], pool[ranked]
        log_rd, log_va, noise = self.columns
        self.pool_columns = (log_rd[pool], log_va[pool], noise[pool])
        log_rd, log_va, noise = self.pool_columns
        self.candidate_columns = (log_rd[ranked], log_va[ranked], noise[ranked])
