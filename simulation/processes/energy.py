"""能耗双控: the energy-use quota (用能权) of firms under the region's cap, and 有序用电 rationing.

A firm holds a yearly quota (tce/年). Each month the region looks ahead: a firm whose use so far
plus its current rate for the rest of the year would exceed its quota asks the free pool for the
difference; what the pool cannot give is rationed **from now on**: the firm's output rate is cut
so that its use for the rest of the year fits the quota it has left. Output already produced is
never taken back. At the end of the year idle quota is partly taken back, and use above quota
(growth after the last monthly look) is granted if the pool has it, else booked as overrun.

Where the scenario gives the month 有序用电 starts (``levers.energy.rationing_month``, a schedule
by year; 13 for a year without it), the months before it are not looked ahead: firms use what they
use, and the pool's quota goes to new firms and projects as they ask. From that month each firm is
held, for the rest of the year, to its quota's rate plus what the pool grants it then
(:func:`ration_rest_of_year`); what it used above its quota before is booked as overrun at the
true-up, not cut from the months left, and at the new year the cut is given back
(:func:`restore_rates`). In 2020 and 2021 Zhejiang rationed by the quota late in the year (December
2020; September to early November 2021), at about a tenth of use in Ningbo's fourth quarter of
2021, and lifted it within weeks; no such rationing was found after 2021.

Claims are served by 亩均 grade, A first; within a grade, pro rata (every firm of the grade where
the pool runs out gets the same share of its claim). Ungraded firms (tenants and small 规下 plots
that the 亩均 evaluation does not cover) are served with grade B: the evaluation neither favours
nor penalises them, so they sit with the middle band.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..population import Population
from ..resources import EnergyPool
from ..tiers import GRADE_B, GRADE_C, GRADE_D, UNGRADED
from . import kernels


def priority(grade: np.ndarray) -> np.ndarray:
    """Rationing band per firm: the 亩均 grade, ungraded firms with grade B (the stated rule)."""
    return np.where(grade == UNGRADED, GRADE_B, grade)


# slack that makes "the pool covers every band in full" certain despite rounding: the band sums and
# the running remainder differ from the exact sums by at most ~n * 2**-53 relative (n firms ≪ 10^9)
_COVER_MARGIN = 1e-6


def pro_rata_by_grade(claims: np.ndarray, grade: np.ndarray, available: float) -> np.ndarray:
    """Grant ``claims`` band by band (A first), pro rata within the band where ``available`` runs out."""
    asking = (claims > 0).nonzero()[0]
    return _grants(claims, asking, claims[asking], grade, available)


def _grants(claims: np.ndarray, asking: np.ndarray, asked: np.ndarray, grade: np.ndarray,
            available: float) -> np.ndarray:
    """:func:`pro_rata_by_grade`'s grants, given the claimants' rows and their claims (in row order)."""
    if _covered(asked, available):
        # the pool covers every band in full, so each band's share is exactly 1.0 and claim * 1.0
        # is the claim; the banding would grant the same numbers
        return _in_full(len(claims), asking, asked)
    # only claimants are banded
    return banded_grants(claims, grade, asking, max(float(available), 0.0), np.zeros_like(claims, dtype=float))


def _in_full(n: int, asking: np.ndarray, asked: np.ndarray) -> np.ndarray:
    """Every claim granted, over ``n`` firms: the claimants' claims, 0.0 elsewhere (for plain claims,
    the claims themselves)."""
    granted = np.zeros(n)
    granted[asking] = asked
    return granted


def _covered(asked: np.ndarray, available: float) -> bool:
    """Whether ``available`` covers every claim in full, with a margin no rounding can eat."""
    if len(asked) == 0:
        return True
    return _covers(float(asked.sum()), available)


def _covers(total: float, available: float) -> bool:
    """Whether ``available`` covers claims summing to ``total`` (any order of addition) in full."""
    return math.isfinite(total) and max(float(available), 0.0) >= total * (1.0 + _COVER_MARGIN)


def banded_grants(claims: np.ndarray, grade: np.ndarray, asking: np.ndarray, left: float,
                  granted: np.ndarray) -> np.ndarray:
    """The banding itself: each band of ``asking`` rows in turn gets ``min(left/asked, 1)`` of its claims."""
    compiled = kernels.compiled_for(len(claims))
    if compiled is not None:  # one call in place of a few numpy calls a band
        return compiled.banded_grants(claims, grade, asking, left, granted, UNGRADED, GRADE_B)
    band = priority(grade[asking])
    for b in np.unique(band):
        rows = asking[band == b]
        claim = claims[rows]
        asked = float(claim.sum())
        share = min(left / asked, 1.0) if asked > 0 else 0.0
        granted[rows] = claim * share
        left -= asked * share
        if left <= 0:
            break
    return granted


@dataclass(frozen=True)
class RationOutcome:
    """One monthly look ahead (tce for the year)."""

    granted: float  # extra quota handed out
    rationed: float  # use cut from the rest of the year
    firms_rationed: int
    traded: float = 0.0  # idle quota moved from firms that will not use it (用能权 交易)

    def counters(self) -> dict[str, float]:
        return {"energy_rationed": self.rationed, "energy_recovered": self.traded}


def look_ahead(pop: Population, pool: EnergyPool, months_done: int, idle_share: float | None,
               rationing_month: float | None) -> RationOutcome:
    """The monthly look-ahead after ``months_done`` months (1..11): :func:`ration_forward` where no
    rationing month is given; before the rationing month, nothing (the pool's quota goes to new
    firms and projects as they ask); from it on, :func:`ration_rest_of_year`. Month 13: no rationing
    that year (every month is before it)."""
    if rationing_month is None:
        return ration_forward(pop, pool, months_done, idle_share)
    if months_done + 1 < rationing_month:  # the months ahead start before rationing does
        return RationOutcome(0.0, 0.0, 0)
    return ration_rest_of_year(pop, pool, months_done, idle_share)


def ration_forward(pop: Population, pool: EnergyPool, months_done: int, idle_share: float | None = None) -> RationOutcome:
    """Look ahead after ``months_done`` months (1..11): grant what the pool can, cut the rest forward.

    When the claims exceed the free pool, firms on course to leave quota idle this year give up
    to ``idle_share`` of that idle quota to the pool first (用能权 trading within the year); they
    keep at least their projected use. ``pop.ytd`` (output already produced) is never touched;
    only the current rate ``pop.revenue``.
    """
    left = (12 - months_done) / 12.0
    step = kernels.for_size(len(pop))  # numpy, or compiled passes for a large population (same numbers)
    columns = pop.ytd, pop.revenue, pop.va_rate, pop.intensity
    # the claimants' rows and claims (kernels.look_ahead gives the formulas), the claims' sum, and
    # whether claims and quotas are plain numbers (see kernels.claims_ahead)
    claimants = step.claims_ahead(*columns, pop.quota, pop.alive, left)
    total, traded, short, cut = _grant(step, pop, pool, left, idle_share, claimants,
                                       lambda: kernels.look_ahead(*columns, pop.quota, pop.alive, left)[1],
                                       "用能 look-ahead: quota granted")
    if len(cut) == 0:
        return RationOutcome(total, 0.0, 0, traded)
    used = kernels.used_so_far(pop.ytd[cut], pop.va_rate[cut], pop.intensity[cut], pop.alive[cut])
    allowed_rate = np.maximum(pop.quota[cut] - used, 0.0) / left
    # the firm runs at what its quota allows from now on; a firm does not keep capacity it cannot
    # power, so the cut rate is where its growth goes on from (as 有序用电 plans are set)
    pop.revenue[cut] = np.minimum(pop.revenue[cut], kernels.revenue_at(allowed_rate, pop.va_rate[cut], pop.intensity[cut]))
    return RationOutcome(total, float(short.sum()), len(cut), traded)


def ration_rest_of_year(pop: Population, pool: EnergyPool, months_done: int,
                        idle_share: float | None = None) -> RationOutcome:
    """有序用电 after ``months_done`` months: for the rest of the year each firm may run at its quota's
    rate (tce/年). A firm running faster asks the pool for the difference in quota (by grade, pro
    rata, as :func:`ration_forward`), after idle quota is traded as there; one still short runs at
    its quota's rate from now on. What it used above its quota before is not taken back from the
    months left (the true-up books it as overrun). ``rationed``: the rest of the year's use cut (tce)."""
    left = (12 - months_done) / 12.0
    step = kernels.for_size(len(pop))
    columns = pop.revenue, pop.va_rate, pop.intensity, pop.quota, pop.alive
    # claims: the rate above the quota's (kernels.rate_claims)
    total, traded, _, cut = _grant(step, pop, pool, left, idle_share, step.claims_over_rate(*columns),
                                   lambda: kernels.rate_claims(*columns), "有序用电 look-ahead: quota granted")
    if len(cut) == 0:
        return RationOutcome(total, 0.0, 0, traded)
    rate = kernels.rate_of_use(pop.revenue[cut], pop.va_rate[cut], pop.intensity[cut], pop.alive[cut])
    short = float((rate - pop.quota[cut]).sum()) * left
    allowed = np.minimum(pop.revenue[cut], kernels.revenue_at(pop.quota[cut], pop.va_rate[cut], pop.intensity[cut]))
    pop.rationed_revenue[cut] += pop.revenue[cut] - allowed  # given back at the new year
    pop.revenue[cut] = allowed
    return RationOutcome(total, short, len(cut), traded)


def _grant(step, pop: Population, pool: EnergyPool, left: float, idle_share: float | None, claimants,
           full_claims, label: str) -> tuple[float, float, np.ndarray, np.ndarray]:
    """A look-ahead's grants: idle quota traded where the claims exceed the free pool, then the
    claims granted by grade, pro rata (:func:`pro_rata_by_grade`), to what the pool gives, and added
    to the quotas. ``claimants``: (asking, asked, claimed, plain) as ``kernels.claims_ahead`` gives
    them; ``full_claims()``: every firm's claim, made only where the claims are not plain. Returns
    (quota granted, quota traded, how far each firm still short is short of its claim, those rows)."""
    asking, asked, claimed, plain = claimants
    # plain claims are 0.0 but for the claimants' (_in_full gives them where needed); others are
    # kept whole, before any quota is traded
    claims = None if plain else full_claims()
    traded = _trade_idle(step, pop, pool, left, claimed - pool.free, idle_share)
    # plain claims: their sum (claimed) is the claimants' sum up to rounding, which the margin absorbs
    covered = _covers(claimed, pool.free) if plain else _covered(asked, pool.free)
    # most months the pool covers every claim: the grants are the claims of the claimants, 0.0
    # elsewhere; for plain claims that is each claim itself, so the claims' sum is the grants' sum
    granted = None
    if not (covered and plain):
        claims = _in_full(len(pop), asking, asked) if claims is None else claims
        granted = _grants(claims, asking, asked, pop.grade, pool.free)
    granted_sum = claimed if granted is None else float(granted.sum())
    total = pool.take_now(granted_sum, label)
    scale = total / max(granted_sum, 1e-300)  # what the pool gave of what was granted
    if covered and scale == 1.0:
        # every claim met in full (granted * 1.0 is granted): the quotas grow by the claims, and no
        # row is short (claims - granted is 0.0 for a claimant, the claim itself, not positive, else)
        if granted is None:  # 0.0 added elsewhere changes no plain quota: the claimants' alone
            step.add_claims(pop.quota, asking, asked)
        else:
            np.add(pop.quota, granted, out=pop.quota)
        return total, traded, np.empty(0), np.empty(0, dtype=np.int64)  # nobody short
    if granted is None:  # plain claims
        claims = _in_full(len(pop), asking, asked)
        granted = claims.copy()
    # granted scaled to what the pool gave, added to quotas; the rows still short of their claim.
    # Plain claims: every other row's claim and grant is 0.0 and its quota plain, which adding 0.0
    # leaves as it is, so only the claimants are visited
    rates = pop.revenue, pop.va_rate, pop.intensity, pop.alive
    if plain:
        short, cut = step.grant_and_short_among(asking, granted, scale, pop.quota, claims, *rates)
    else:
        short, cut = step.grant_and_short(granted, scale, pop.quota, claims, *rates)
    return total, traded, short, cut


def restore_rates(pop: Population) -> int:
    """At the new year, firms cut by :func:`ration_rest_of_year` get the cut back (what happened to
    their revenue since, a 零增地 upgrade say, stays): that rationing was a measure for the months
    left (Zhejiang lifted it within weeks in 2020 and 2021), not a loss of capacity. Returns how many
    firms were restored."""
    rows = pop.rationed_revenue.nonzero()[0]
    pop.revenue[rows] += pop.rationed_revenue[rows]
    pop.rationed_revenue[rows] = 0.0
    return len(rows)


def _trade_idle(step, pop: Population, pool: EnergyPool, left: float, need: float, idle_share: float | None) -> float:
    """用能权 traded within the year where the claims exceed the free pool by ``need`` (tce): firms on
    course to leave quota idle give up to ``idle_share`` of it, no more than the need, to the pool
    (``step``: the numpy or compiled passes). Returns what was traded."""
    if not (need > 0 and idle_share):  # a NaN need trades nothing
        return 0.0
    idle, idle_total = step.idle_quota(pop.ytd, pop.revenue, pop.va_rate, pop.intensity, pop.alive, left, pop.quota,
                                       idle_share)
    if not idle_total > 0:
        return 0.0
    # no quota becomes -0.0 where none was: x - y is -0.0 only for x = -0.0
    traded = step.trade_idle(pop.quota, idle, min(need / idle_total, 1.0))
    pool.release(traded, "用能权: idle quota traded within the year")
    return traded


@dataclass(frozen=True)
class TrueUpOutcome:
    """The year-end true-up (tce)."""

    recovered: float  # idle quota taken back (用能权 回收)
    granted: float  # use above quota covered by the pool
    overrun: float  # use above quota the pool could not cover (no output is taken back)

    def counters(self) -> dict[str, float]:
        return {"energy_recovered": self.recovered, "energy_overrun": self.overrun}


def true_up(pop: Population, pool: EnergyPool, returned_share: float | None,
            annual: np.ndarray | None = None) -> TrueUpOutcome:
    """Take back a share of idle quota, then cover the year's use above quota from the pool.

    ``annual`` is this year's revenue (default: from the monthly sums); the region passes it with a
    firm that started this year at its yearly rate (:meth:`Population.full_year_revenue`): a plant
    that opened in July used half its quota and would hand back a share of the rest, to ask for it
    again next year.
    """
    annual = pop.annual_revenue() if annual is None else annual
    compiled = kernels.compiled_for(len(pop))
    use_pass, grant_pass = (_true_up_use, _true_up_grant) if compiled is None else (compiled.true_up_use,
                                                                                  compiled.true_up_grant)
    take_idle, share = returned_share is not None, returned_share or 0.0
    idle, excess = use_pass(annual, pop.va_rate, pop.intensity, pop.alive, pop.quota, take_idle, share)
    recovered = 0.0
    if take_idle:
        recovered = float(idle.sum())
        pool.release(recovered, "用能权: idle quota taken back")
    granted = pro_rata_by_grade(excess, pop.grade, pool.free)
    asked = float(granted.sum())
    total = pool.take_now(asked, "quota true-up")
    overrun = grant_pass(granted, total / max(asked, 1e-300), pop.quota, excess)
    return TrueUpOutcome(recovered, total, float(overrun.sum()))


def _true_up_use(annual, va_rate, intensity, alive, quota, take_idle: bool, share: float):
    """Each firm's idle quota taken back (if ``take_idle``; out of ``quota``, in place) and use above
    quota: (idle, excess), the numpy twin of ``compiled.true_up_use``."""
    use = annual * va_rate * intensity * alive
    idle = np.empty(0)
    if take_idle:
        idle = np.maximum(quota - use, 0.0) * share
        quota -= idle
    return idle, np.maximum(use - quota, 0.0)


def _true_up_grant(granted, scale: float, quota, excess):
    """``granted *= scale; quota += granted``; the overrun per firm (numpy twin of ``compiled.true_up_grant``)."""
    granted *= scale
    quota += granted
    return excess - granted


def change_cap(pop: Population, pool: EnergyPool, change: float) -> float:
    """Apply a change in the cap (tce): more quota to hand out, or less, cut from D then C firms.

    Returns the quota cut from firms.
    """
    if change >= 0:
        pool.supply(change, "energy cap raised")
        return 0.0
    cut = -change - pool.withdraw(-change, "energy cap lowered")
    taken_total = 0.0
    for grades in ((GRADE_D,), (GRADE_D, GRADE_C), None):
        if cut <= 1e-9:
            break
        rows = np.flatnonzero(pop.alive) if grades is None else np.flatnonzero(np.isin(pop.grade, grades))
        held = float(pop.quota[rows].sum())
        share = min(cut / held, 1.0 if grades is None else 0.5) if held > 0 else 0.0
        taken = pop.quota[rows] * share
        pop.quota[rows] -= taken
        pool.forfeit(float(taken.sum()), "energy cap lowered: quota cut")
        cut -= float(taken.sum())
        taken_total += float(taken.sum())
    return taken_total


def buy_for_queue(pool: EnergyPool, limit: float) -> float:
    """用能权 trading: buy what the projects waiting in the queue need beyond the free quota (the
    queue waits in order, so free quota short of its head's need still leaves it waiting), up to
    ``limit`` (tce)."""
    bought = min(max(pool.get_queue.total() - pool.free, 0.0), max(limit, 0.0))
    if bought > 0:
        pool.supply(bought, "用能权 bought from other regions")
    return bought
