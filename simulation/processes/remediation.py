"""腾笼换鸟: remediation of D-grade (高耗低效) firms and of "散乱弱" small firms.

Each year up to ``firms_per_year`` D-grade firms are taken, longest in D first, then lowest
score (001 §三(一)1: a list "以D档企业为主体", cleared by four routes). Each is assigned a route
by the scenario's shares:

- 改造提升 upgrade: energy intensity cut, value-added rate raised, investment spent; the saved
  energy quota is freed (腾出用能).
- 规范管理 regularise: tax compliance raised; a share of the land is handed back.
- 兼并搬迁 merge/relocate: the firm exits; a share of its output moves to an A-grade acquirer;
  its land and quota are freed.
- 淘汰关停 close: the firm exits; land and quota are freed.

C-grade "两高" users on the list (``high_energy_use``) are evaluated one by one and brought into
line (001 §三(一)2: 逐一评估检查, 坚决处置不符合要求的): they take the upgrade route (节能改造),
not the four routes of the D-grade list (§三(一)1), which would close a district's largest plants.

A merged firm's output goes to an A-grade 规上 firm, which reports the two as one (合并报表): the
acquirer takes the retained share of the firm's output so far this year and of its last year
(the 同口径 base), so a merger moves output without counting as growth.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..draws import FirmDraws
from ..population import Population
from ..quantity import Quantity
from ..scenario import Remediation, RouteEffects, RouteShares, ScatteredWeak
from ..tiers import GRADE_A, GRADE_C, GRADE_D, Route
from . import kernels
from .ranking import smallest

ROUTES = (Route.UPGRADE, Route.REGULARISE, Route.MERGE, Route.CLOSE)


@dataclass
class Outcome:
    """What one remediation batch did (land in 亩, energy in tce, investment in 万元).

    Exiting firms are returned as rows, not yet removed: the caller frees their land and quota.
    """

    counts: dict[Route, int] = field(default_factory=dict)
    listed: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))  # every firm remediated
    merged: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    closed: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    land_returned: float = 0.0  # by 规范管理
    energy_saved: float = 0.0  # quota freed by 改造提升
    land_remediated: float = 0.0  # all land of the remediated firms (整治提升低效工业用地)
    investment: float = 0.0

    def counters(self) -> dict[str, float]:
        """The batch in the books' vocabulary (exits and freed land are booked by the caller)."""
        return {
            "remediated_upgraded": self.counts.get(Route.UPGRADE, 0),
            "remediated_regularised": self.counts.get(Route.REGULARISE, 0),
            "remediated_low_efficiency": sum(self.counts.values()),
            "closed_backward_capacity": len(self.closed),
            "land_remediated": self.land_remediated,
            "investment_upgrade": self.investment,
        }


def remediate_d_grade(
    pop: Population, capacity: int, shares: RouteShares, effects: RouteEffects, year: int, draws: FirmDraws,
    *, high_energy_use: float | None = None,
) -> Outcome:
    """Remediate up to ``capacity`` 高耗低效 firms; mutate the survivors and report.

    The list is the D-grade firms (longest in D, then lowest score, first), followed when
    ``high_energy_use`` (tce/年) is given by C-grade firms using at least that much ("两高"), which
    are upgraded whatever the route shares. Among each, firms never remediated come first, then
    those remediated longest ago: the campaign reaches firms it has not reached before (its counts
    are of firms: Zhenhai's 275 remediated in 2019-2022), where a firm upgraded or regularised is
    often graded D again, the bottom band being cut on rank.
    """
    chosen = _on_the_list(pop, capacity, high_energy_use)
    route = draws.choice(pop.id[chosen], "route", year, _route_weights(shares, year))  # drawn for every firm: the same luck per firm
    route[pop.grade[chosen] != GRADE_D] = 0  # 两高 C-grade firms: 改造提升 (001 §三(一)2)
    out = Outcome(land_remediated=float(pop.land[chosen].sum()), listed=chosen)
    out.counts = dict(zip(ROUTES, np.bincount(route, minlength=len(ROUTES)).tolist()))  # firms per route
    upgraded = chosen[route == 0]
    two_high = pop.grade[upgraded] != GRADE_D
    _upgrade(pop, upgraded[~two_high], effects.upgrade_energy_cut, effects.upgrade_value_added_gain, effects, year, out)
    _upgrade(pop, upgraded[two_high], _or(effects.two_high_energy_cut, effects.upgrade_energy_cut),
             _or(effects.two_high_value_added_gain, effects.upgrade_value_added_gain), effects, year, out)
    _regularise(pop, chosen[route == 1], effects, year, out)
    out.merged = chosen[route == 2]
    out.closed = chosen[route == 3]
    _merge(pop, out.merged, effects, year, draws)
    return out


def _on_the_list(pop: Population, capacity: int, high_energy_use: float | None) -> np.ndarray:
    """The year's list: up to ``capacity`` of the listed firms (:func:`_listed`), D grade first, in
    the campaign's order (see :func:`remediate_d_grade`)."""
    candidates = _listed(pop, high_energy_use)
    not_d = (pop.grade[candidates] != GRADE_D).astype(np.int64)
    order = np.lexsort((pop.score[candidates], -pop.d_streak[candidates].astype(np.int64),
                        pop.remediated_year[candidates], not_d))
    return candidates[order[: max(capacity, 0)]]


def upgrade_spending_expected(pop: Population, lever: Remediation, effects: RouteEffects, year: int) -> float:
    """The 改造提升 spending (万元) of a year's campaign at ``lever``'s pace on the firms as they are,
    in expectation over the routes and changing no firm: the base year's, whose campaign is history
    (亩均论英雄 remediation ran before every scenario's start), so that year one's investment growth
    compares a year of upgrades with a year of upgrades, not with none. None where the lever starts
    the campaign after the first simulated year: it did not run before then."""
    if lever.start_year > year + 1:
        return 0.0
    high_energy_use = lever.high_energy_use.at(year) if lever.high_energy_use else None
    chosen = _on_the_list(pop, int(round(lever.firms_per_year.at(year))), high_energy_use)
    d_grade = pop.grade[chosen] == GRADE_D
    weights = _route_weights(lever.routes, year)
    upgraded_land = (float(pop.land[chosen[d_grade]].sum()) * weights[0] / weights.sum()
                     + float(pop.land[chosen[~d_grade]].sum()))  # 两高 C-grade firms are all upgraded
    return upgraded_land * effects.upgrade_investment_per_mu.at(year)


def _route_weights(shares: RouteShares, year: int) -> np.ndarray:
    """The routes' shares in the order of :data:`ROUTES` (they need not sum to one)."""
    return np.array([shares.upgrade.at(year), shares.regularise.at(year), shares.merge_relocate.at(year),
                     shares.close.at(year)])


def _listed(pop: Population, high_energy_use: float | None) -> np.ndarray:
    """Live D-grade firms, and C-grade ones using at least ``high_energy_use`` tce/年, ascending."""
    compiled = kernels.compiled_for(len(pop))
    if compiled is not None:
        return compiled.listed_for_remediation(pop.alive, pop.grade, pop.revenue, pop.va_rate, pop.intensity,
                                               GRADE_D, GRADE_C, np.nan if high_energy_use is None else high_energy_use)
    listed = pop.grade == GRADE_D
    if high_energy_use is not None:
        listed |= (pop.grade == GRADE_C) & (pop.energy_use() >= high_energy_use)
    return (pop.alive & listed).nonzero()[0]


def _or(given: Quantity | None, default: Quantity) -> Quantity:
    return default if given is None else given


def _upgrade(pop: Population, idx: np.ndarray, energy_cut: Quantity, value_added_gain: Quantity, effects: RouteEffects,
             year: int, out: Outcome) -> None:
    """改造提升 of the firms ``idx``: the value-added rate raised, and the energy the firm uses at its
    output cut by ``energy_cut`` (the scenarios' 节能改造 saving of 15-25% of a firm's energy): energy
    per unit of value added falls by more, as value added rises at the same use. The quota the cut
    frees (腾出用能) is the fall in use, within the quota: quota the firm held idle before is not a
    saving, and stays for the year-end true-up to take back."""
    if len(idx) == 0:
        return
    out.investment += float(np.sum(pop.land[idx]) * effects.upgrade_investment_per_mu.at(year))
    use_before = pop.revenue[idx] * pop.va_rate[idx] * pop.intensity[idx]  # pop.energy_use() of these rows
    before = pop.va_rate[idx]
    after = np.minimum(before * (1.0 + value_added_gain.at(year)), 0.95)
    pop.va_rate[idx] = after
    kept = np.divide(before, after, out=np.ones_like(before), where=after > 0)  # value added per unit of output, before over after
    pop.intensity[idx] *= (1.0 - energy_cut.at(year)) * kept  # use = revenue x va_rate x intensity
    need = pop.revenue[idx] * pop.va_rate[idx] * pop.intensity[idx]
    saved = np.maximum(np.minimum(pop.quota[idx], use_before) - need, 0.0)
    pop.quota[idx] -= saved
    out.energy_saved += float(saved.sum())
    _remediated(pop, idx, year)


def _regularise(pop: Population, idx: np.ndarray, effects: RouteEffects, year: int, out: Outcome) -> None:
    pop.tax_rate[idx] = np.minimum(pop.tax_rate[idx] * (1.0 + effects.regularise_tax_gain.at(year)), 0.5)
    returned = pop.land[idx] * effects.regularise_land_return.at(year)
    pop.land[idx] -= returned
    out.land_returned += float(returned.sum())
    _remediated(pop, idx, year)


def _remediated(pop: Population, idx: np.ndarray, year: int) -> None:
    """Firms upgraded or regularised this year: their D streak starts again, and the list comes back
    to them only after the firms it has not reached."""
    pop.d_streak[idx] = 0
    pop.remediated_year[idx] = year


def _merge(pop: Population, idx: np.ndarray, effects: RouteEffects, year: int, draws: FirmDraws) -> None:
    """Hand ``merge_output_retained`` of each merged firm to an A-grade 规上 acquirer (any A-grade
    firm where none is 规上): its output from now on, and, as one reporting unit, its output so
    far this year and last year's (so 同口径 growth compares the same scope), with the same share
    of its workers, who make that output (全员劳动生产率 would otherwise rise by the merger alone).
    The quota goes with the output: as much of the merged firm's as the acquirer uses to make it, at
    its own intensity; only the rest is freed when the merged firm leaves."""
    acquirers = _acquirers(pop)
    if len(idx) == 0 or len(acquirers) == 0:
        return
    buyer = acquirers[(draws.uniform(pop.id[idx], "buyer", year) * len(acquirers)).astype(np.int64)]
    retained = effects.merge_output_retained.at(year)
    for column in (pop.revenue, pop.ytd, pop.revenue_prev, pop.va_prev, pop.employees):
        np.add.at(column, buyer, column[idx] * retained)
    pop.ytd[idx] *= 1.0 - retained  # what it made this year and hands over is the acquirer's now (counted once)
    moved = np.minimum(retained * pop.revenue[idx] * pop.va_rate[buyer] * pop.intensity[buyer], pop.quota[idx])
    np.add.at(pop.quota, buyer, moved)
    pop.quota[idx] -= moved


def _acquirers(pop: Population) -> np.ndarray:
    """Live A-grade firms that can absorb a 规上 firm: the 规上 ones (a 规下 firm taking on a merged
    firm's output is not how 兼并 works), else every A-grade firm."""
    a_grade = pop.alive & (pop.grade == GRADE_A)
    large = (a_grade & pop.above).nonzero()[0]
    return large if len(large) else a_grade.nonzero()[0]


def remediate_scattered(pop: Population, count: int, close_share: float, exclude: np.ndarray, year: int,
                        draws: FirmDraws) -> tuple[np.ndarray, np.ndarray]:
    """"散乱弱" remediation among 规下 firms, weakest tax per employee first.

    Returns (closed rows, regularised rows). Closed firms exit; regularised ones stay.
    """
    compiled = kernels.compiled_for(len(pop))
    if compiled is not None:
        idx, tax_per_head = compiled.tax_per_head_below(pop.alive, pop.above, pop.revenue, pop.tax_rate, pop.employees,
                                                        np.asarray(exclude, dtype=np.int64))
    else:
        eligible = pop.alive & ~pop.above
        eligible[exclude] = False
        idx = eligible.nonzero()[0]
        tax_per_head = pop.revenue[idx] * pop.tax_rate[idx] / np.maximum(pop.employees[idx], 1.0)
    chosen = idx[smallest(tax_per_head, count)]  # the weakest, ties by position, in linear time
    closes = draws.uniform(pop.id[chosen], "scattered", year) < close_share
    return chosen[closes], chosen[~closes]


@dataclass
class Campaign:
    """One year's 腾笼换鸟 campaign: the 高耗低效 batch and the 散乱弱 clearance.

    Rows that exit (merged, closed) are returned for the caller to remove; land and energy they
    free are counted here, before they leave.
    """

    batch: Outcome
    scattered_closed: np.ndarray
    scattered_regularised: np.ndarray
    land_freed: float  # 亩: handed back, or of firms merged or closed
    energy_freed: float  # tce: saved by upgrades, or quota of firms merged or closed
    scattered_land: float  # 亩 of the 散乱弱 firms dealt with

    def counters(self) -> dict[str, float]:
        c = self.batch.counters()
        c["land_remediated"] += self.scattered_land
        c.update(remediated_scattered=len(self.scattered_closed) + len(self.scattered_regularised),
                 land_freed=self.land_freed, energy_freed=self.energy_freed)
        return c


def campaign(pop: Population, lever: Remediation, scattered: ScatteredWeak, effects: RouteEffects, year: int,
             draws: FirmDraws) -> Campaign:
    """The year's remediation: the 高耗低效 list, then 散乱弱 firms among those not on it (a firm, and
    its plot, is remediated once a year)."""
    batch = remediate_d_grade(
        pop, int(round(lever.firms_per_year.at(year))), lever.routes, effects, year, draws,
        high_energy_use=lever.high_energy_use.at(year) if lever.high_energy_use else None,
    )
    leaving = np.concatenate([batch.merged, batch.closed])
    closed, regularised = remediate_scattered(
        pop, int(round(scattered.firms_per_year.at(year))), scattered.close_share.at(year), batch.listed, year, draws
    )
    gone = np.concatenate([leaving, closed])
    return Campaign(
        batch, closed, regularised,
        land_freed=batch.land_returned + float(pop.land[gone].sum()),
        energy_freed=batch.energy_saved + float(pop.quota[gone].sum()),
        scattered_land=float(pop.land[closed].sum() + pop.land[regularised].sum()),
    )
