"""The industrial land market: supply, the queue for plots, and the return of freed land.

- **Supply** follows the scenario's schedule (标准地 auctions spread over the year, a share
  reserved for 小微企业园, and 盘活存量 idle land where a scenario recovers it).
- **Demand** is projects (:mod:`simulation.processes.projects`) and expanding 规上 firms. Both
  ask the pool and wait in its first-come-first-served queue for at most their patience; a
  project that waits longer goes elsewhere (its investment is lost to the region), an expansion
  that waits longer is built upward on the firm's own plot (零增地技改, at a cost per mu).
- **Freed land** (remediation, closures, market exits, reclaimed leases) does not become free at
  once: it is taken back, cleared and readied (收储, 拆除, 土壤调查与修复) for
  ``clearing_months``, and a share goes to other uses (城中村改造, 生态修复) and leaves industrial land.

The market receives the region's clock and books through :class:`LandMarket`'s constructor,
never the region itself.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import simpy

from ..books import Books
from ..population import Population
from ..resources import LandPool, RequestBlock, after, left_fold, next_event
from ..scenario import Land, LandRenewal, LandSupply
from . import kernels


@dataclass(frozen=True)
class ClearingRules:
    months: float  # 收储 to re-supply, months
    other_use_share: float  # share of freed land that leaves industrial use


def clearing_rules(land: Land, year: int) -> ClearingRules:
    """The scenario's clearing lag and other-use share (none given: freed land is free at once)."""
    months = land.clearing_months.at(year) if land.clearing_months is not None else 0.0
    other = land.other_use_share.at(year) if land.other_use_share is not None else 0.0
    return ClearingRules(months, other)


@dataclass(frozen=True)
class ExpansionOutcome:
    """Expansion claims filed at a year end (亩)."""

    claimed: float
    claims: int

    def counters(self) -> dict[str, float]:
        return {}


class LandMarket:
    """The land pool with its supply schedule, clearing pipeline and expansion queue."""

    def __init__(self, env: simpy.Environment, pool: LandPool, books: Callable[[], Books], land: Land,
                 year: Callable[[], int]):
        self.env, self.pool, self.land = env, pool, land
        self._books, self._year = books, year
        self._rules: dict[int, ClearingRules] = {}
        pool.clearer = self.give_up

    @property
    def books(self) -> Books:
        return self._books()  # the year's books: the region opens new ones every January

    # --- supply ----------------------------------------------------------------------------
    def auction(self, supply: LandSupply, renewal: LandRenewal | None, year: int, lots: int) -> None:
        """One of the year's ``lots`` auctions: new land (a share held for 小微企业园) and idle land."""
        lot = supply.industrial_land(year) / lots
        park = lot * supply.small_park_share.at(year)
        self.pool.supply(park, "小微企业园 reserved land", held=True)
        self.pool.supply(lot - park, "标准地 auction")
        self.books.add("land_supplied", lot)
        if renewal is not None:
            idle = renewal.idle_land_per_year.at(year) / lots
            self.pool.supply(idle, "盘活存量: 批而未供/供而未用/低效用地")
            self.books.add("land_revitalised", idle)

    # --- freed land ------------------------------------------------------------------------
    def give_up(self, amount: float, reason: str) -> None:
        """Held land a firm gives up enters clearing and returns after the lag."""
        moved = self.pool.start_clearing(amount, reason)
        if moved <= 0:
            return
        rules = self._rules_of(self._year())
        if rules.months <= 0:
            self._return(moved, rules, reason)
        else:
            clear_later(self, moved, rules, reason)

    def warm_start(self) -> None:
        """Land freed before the start and still being cleared (``Land.clearing_at_start``, if given):
        back in equal parts in the middle of each of the first ``clearing_months`` months (rounded up),
        as land given up evenly over as many months before the start would come back (:func:`_ready`)."""
        given = self.land.clearing_at_start
        amount = given.at(self._year()) if given is not None else 0.0  # a single value, not a schedule
        if amount <= 0:
            return
        rules, reason = self._rules_of(self._year()), "freed before the start"
        self.pool.in_clearing_at_start(amount, reason)
        months = math.ceil(rules.months)
        if months <= 0:  # no clearing lag: back at once, as land given up now would be
            self._return(amount, rules, reason)
            return
        for month in range(months):
            after(self.env, month + 0.5, self._return, amount / months, rules, reason)

    def _clear(self, amount: float, rules: ClearingRules, reason: str):
        """The clearing as a process of its own (what :func:`clear_later` does without one)."""
        yield self.env.timeout(_ready(self.env.now, rules) - self.env.now)
        self._return(amount, rules, reason)

    def _return(self, amount: float, rules: ClearingRules, reason: str) -> None:
        back, other = self.pool.cleared(amount, rules.other_use_share, f"cleared: {reason}")
        self.books.add("land_cleared", back)
        self.books.add("land_to_other_uses", other)

    def _rules_of(self, year: int) -> ClearingRules:
        """:func:`clearing_rules` of ``year``, read once (every lead asks)."""
        rules = self._rules.get(year)
        return rules if rules is not None else self._rules.setdefault(year, clearing_rules(self.land, year))

    def counts_on(self, amount: float) -> bool:
        """Whether a newcomer can count on ``amount`` of land: ``amount <= free + clearing that will
        stay industrial − the queue's total + 1e-9``, exactly; the queue's total is added up afresh
        only when its bounds leave the answer open (rounding is monotone, so the bounds carry over)."""
        share = self._rules_of(self._year()).other_use_share
        base = self.pool.free + self.pool.clearing * (1.0 - share)
        low, high = self.pool.get_queue.total_bounds()
        if amount > base - low + 1e-9:  # short even if the queue waits for as little as it might
            return False
        if amount <= base - high + 1e-9:  # enough even if it waits for as much as it might
            return True
        return amount <= base - self.pool.waiting_amount + 1e-9

    # --- the queue -------------------------------------------------------------------------
    def wait_for(self, amount: float, deadline: float, reason: str):
        """Wait in the queue until ``deadline``; True if granted (a SimPy sub-process)."""
        return (yield from wait_for(self.env, self.pool, amount, deadline, reason))

    def file_expansions(self, pop: Population, year: int, annual: np.ndarray | None = None) -> ExpansionOutcome:
        """Growing 规上 firms claim land in proportion to growth above a threshold.

        Growth is read from two full years of accounts: a firm that began producing last year (a
        completed project joins in mid-year) has only part of that year to compare with, and its
        first full year would read as growth of the new plant itself.

        Claims join the queue at the year end, best grade and score first; each waits for at
        most ``expansion_patience_months`` (default: none, a claim not met at once is built upward).
        ``annual`` is this year's revenue (default: from the monthly sums).
        """
        lp = self.land
        annual = pop.annual_revenue() if annual is None else annual
        threshold, elasticity = lp.expansion_growth_threshold.at(year) / 100, lp.expansion_land_elasticity.at(year)
        compiled = kernels.compiled_for(len(pop))
        if compiled is None:
            g = np.where(pop.revenue_prev > 0, annual / np.maximum(pop.revenue_prev, 1e-9) - 1.0, 0.0)
            claim = pop.land * np.maximum(g - threshold, 0.0)
            claim *= elasticity * (pop.alive & pop.above & (pop.entry_year < year - 1))
            rows = (claim > 1e-9).nonzero()[0]
            claims = claim[rows]
        else:  # the same claims in one pass
            rows, claims = compiled.expansion_claims(annual, pop.revenue_prev, pop.land, pop.alive, pop.above,
                                                     pop.entry_year, int(year), threshold, elasticity)
        order = _best_first(pop.grade[rows], pop.score[rows])
        rows, amounts = rows[order], claims[order]
        patience = lp.expansion_patience_months.at(year) if lp.expansion_patience_months is not None else 0.0
        cost = lp.zero_land_cost_per_mu.at(year)
        # a claim gives up in mid-month, not at a year end when the books are read and new claims filed
        deadline = self.env.now + max(patience - 0.5, 0.0)
        books, reason = self.books, "增资扩产 expansion"
        granted = books["land_granted_expansion"]  # summed in claim order, as one add per claim
        # the claims the free land covers at once, in order, in one step
        now = self.pool.take_run(amounts, reason)
        if now < len(rows):  # the rest join the queue as one block, served as each claim in turn would be
            block = _Claims(self, pop, pop.id[rows[now:]], amounts[now:])
            self.pool.enqueue_block(block)
            block.booked = block.next  # served in its own pass: booked now, not one event later
            self.pool.book_served_run(block.amounts[:block.next], reason)
            if block.next < len(block.amounts):
                self.env.process(self._wait(block, deadline, cost))
            now += block.next
        pop.land[rows[:now]] += amounts[:now]  # served now, in this year's books
        if now:
            books["land_granted_expansion"] = left_fold(granted, amounts[:now])
        return ExpansionOutcome(float(amounts.sum()), len(rows))

    def _wait(self, block: _Claims, deadline: float, cost: float):
        """The year's waiting claims, as one process: each is met when the queue serves it, or at
        ``deadline`` gives up (and builds upward), in filing order.

        Events happen where one process per claim (its request raced against its own timeout, all
        timeouts at the same deadline) would have them: a claim served before the deadline is
        booked one event after its request, and at the deadline the claims still waiting (or served
        and not yet booked) are settled together, one event after the timeout.
        """
        yield self.env.timeout(max(deadline - self.env.now, 0.0))
        block.settled = True  # from here on the settling books what the queue serves
        if block.booked < len(block.amounts):
            next_event(self.env, lambda: self._settle(block, cost))

    def _settle(self, block: _Claims, cost: float) -> None:
        """Each claim from ``block.booked`` in filing order: booked if the queue served it, else
        withdrawn (and the firm builds upward: 零增地技改, 厂房加层).

        As one claim after the other: the served claims before a withdrawal are booked first (a
        plot handed back raises the free land), and each withdrawal lets the queue serve what now
        stands at its head. With the block at the head, that is its next claims while the free land
        covers them, walked here without the queue; behind something ahead that the free land does
        not cover, no withdrawal serves anything, and the claims leave together.
        """
        pool, queue, books = self.pool, self.pool.get_queue, self.books
        first, n, due = block.next, len(block.amounts), block.booked
        if first == n:  # all served: booked in their place
            self._book_runs([(block, due, n)])
            return
        runs = _Runs(self, block)
        runs.add(due, first)
        runs.book()
        # the first claim still waiting is withdrawn, and the queue serves what it now can
        queue.withdraw_front(block, 1)
        pool._trigger_get(None)
        runs.add(first + 1, block.next)
        unmet = [first]
        if block.next < n and queue[0] is block:  # the block at the head
            unmet.extend(self._walk(block, runs))
        elif block.next < n:  # behind a request the free land does not cover: nothing more is served
            unmet.extend(range(block.next, n))
            queue.withdraw_front(block, n - block.next)
        runs.book()
        amounts = block.amounts[unmet]
        books["land_unmet_expansion"] = left_fold(books["land_unmet_expansion"], amounts)
        books["investment_upgrade"] = left_fold(books["investment_upgrade"], amounts * cost)

    def _walk(self, block: _Claims, runs: _Runs) -> list[int]:
        """The queue's passes and withdrawals with ``block`` at its head, without the queue: serve
        its claims while the free land covers them; withdraw the first it does not cover, and go
        on. The last pass goes on behind the block. Returns the withdrawn claims.

        Served runs are booked before the next withdrawal where a firm of theirs left (the plot
        handed back raises the free land), else together at the end (the same rows and folds).
        """
        pool, amounts, n = self.pool, block.amounts.tolist(), len(block.amounts)
        level, at, withdrawn = pool._level, block.next, []
        while True:
            served = at
            while served < n and not level < amounts[served]:  # the pass: level - amount >= 0
                level -= amounts[served]
                served += 1
            runs.add(at, served)
            pool.served_out(math.fsum(amounts[at:served]), served - at)  # served as the queue would: booked below
            if served == n:
                break
            if runs.hands_back:
                pool._level = level
                runs.book()
                level = pool._level
            withdrawn.append(served)
            at = served + 1
        pool.get_queue.withdraw_front(block, n - block.next)
        pool._level = level
        pool._trigger_get(None)  # the last withdrawal's pass, behind the block
        return withdrawn

    def _book_runs(self, runs: list) -> None:
        """Book runs ``(block, start, stop)`` of served claims, in order, as one run of claims."""
        pop = runs[0][0].pop
        firms = np.concatenate([block.firms[start:stop] for block, start, stop in runs])
        amounts = np.concatenate([block.amounts[start:stop] for block, start, stop in runs])
        self._book(pop, firms, amounts)

    def _book(self, pop: Population, firms: np.ndarray, amounts: np.ndarray) -> None:
        """Book claims the queue served, in order: the plot to the firm, or back if the firm left.

        Claims of firms still there are booked a run at a time (the same folds, ledger rows in
        order); a claim whose firm left in between hands its plot back in its place.
        """
        rows, present = _present(pop, firms)
        self._book_rows(pop, rows, amounts, present)

    def _book_rows(self, pop: Population, rows: np.ndarray, amounts: np.ndarray, present: np.ndarray) -> None:
        """:meth:`_book` with the firms' rows, and whether each is still there, at hand."""
        books, reason = self.books, "增资扩产 expansion"
        self.pool.served_booked(float(amounts.sum()), len(amounts))
        compiled = kernels.compiled_for(len(pop))
        if compiled is not None and not present.all():  # firms gone: one compiled pass, not numpy calls per run
            self._book_in_one_pass(compiled, pop, rows, amounts, present)
            return
        granted = books["land_granted_expansion"]  # summed in claim order, as one add per claim
        start = 0
        for gone in [*(~present).nonzero()[0].tolist(), len(amounts)]:
            run = slice(start, gone)
            self.pool.granted_run(amounts[run], reason)
            np.add.at(pop.land, rows[run], amounts[run])  # in claim order: a firm's two claims both count
            granted = left_fold(granted, amounts[run])
            if gone < len(amounts):  # the firm left while it waited: the plot was never used
                self.pool.granted(float(amounts[gone]), reason)
                self.pool.return_unbuilt(float(amounts[gone]), "expansion: firm gone")
            start = gone + 1
        books["land_granted_expansion"] = granted

    def _book_in_one_pass(self, compiled, pop: Population, rows: np.ndarray, amounts: np.ndarray,
                          present: np.ndarray) -> None:
        """:meth:`_book` with the folds in one compiled pass (:func:`.compiled.book_claims`): the
        same ``held``, land, books, ledger rows in order, and plots handed back in order."""
        pool, books, reason = self.pool, self.books, "增资扩产 expansion"
        pool.held, granted, returned = compiled.book_claims(
            pool.held, books["land_granted_expansion"], pop.land, rows, amounts, present)
        now, ledger, listed = float(self.env.now), pool.ledger, amounts.tolist()
        start = 0
        for gone in (~present).nonzero()[0].tolist():
            ledger.record_run(now, "grant", listed[start:gone + 1], reason)
            back = float(returned[gone])
            if back:
                ledger.record(now, "release", back, "expansion: firm gone")
            if back > 0:
                pool.put(back)  # as Pool.release: the plot is free again at once
            start = gone + 1
        ledger.record_run(now, "grant", listed[start:], reason)
        books["land_granted_expansion"] = granted


def _best_first(grade: np.ndarray, score: np.ndarray) -> np.ndarray:
    """``np.lexsort((-score, grade))``: by grade, then by score, highest first, ties by position.

    Numpy's stable sort of floats is several times slower than its default one; where no two
    scores are equal (nearly always) the default one's order is the stable order, and the stable
    sort by grade (a small integer) that follows is quick.
    """
    key = -score
    order = key.argsort()
    ranked = key[order]
    if not (ranked[1:] > ranked[:-1]).all():  # equal scores (or NaN): the stable sort decides
        return np.lexsort((key, grade))
    return order[grade[order].argsort(kind="stable")]


def _ready(now: float, rules: ClearingRules) -> float:
    """When land given up at ``now`` is back: in the middle of a month, never at a month's end when
    the books are read."""
    return np.floor(now + rules.months) + 0.5


def clear_later(market: LandMarket, amount: float, rules: ClearingRules, reason: str) -> None:
    """Land in clearing comes back at :func:`_ready`: a timer, not a process.

    A process started here would set the same timer in its first step, taken at this same time and
    before any event of normal priority (SimPy's start is urgent); nothing in between schedules an
    event for the exact time the land comes back (other clearings set theirs in the same order,
    and no other timer is set in the step that gives land up), so the events keep their order.
    """
    env = market.env
    after(env, _ready(env.now, rules) - env.now, lambda: market._return(amount, rules, reason))


def _present(pop: Population, firms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rows of ``firms`` (ids rise along the rows) and whether each firm is still there.

    The firms are looked up in the order of their ids (a search for ids in rising order stays in
    the part of the rows it has reached: several times quicker than in the claims' order)."""
    order = firms.argsort()
    rows = np.empty(len(firms), dtype=np.intp)
    rows[order] = pop.id.searchsorted(firms[order])
    at = np.minimum(rows, len(pop) - 1)
    present = (rows < len(pop)) & (pop.id[at] == firms) & pop.alive[at] if len(pop) else np.zeros(len(firms), bool)
    return rows, present


class _Claims(RequestBlock):
    """A year's expansion claims that wait: one block in the land queue (no object per claim)."""

    __slots__ = ("market", "pop", "firms", "booked", "settled")

    def __init__(self, market: LandMarket, pop: Population, firms: np.ndarray, amounts: np.ndarray):
        super().__init__(amounts)
        self.market, self.pop, self.firms = market, pop, firms
        self.booked = 0  # claims [0, booked) booked, or to be booked by an event already scheduled
        self.settled = False  # the deadline has come: the claims from ``booked`` on are settled together

    @classmethod
    def served(cls, runs: list) -> None:
        """Claims the queue served before their deadline: booked together at the next event (as
        each claim's own booking event, scheduled one after the other, would have booked them)."""
        due = []
        for block, start, stop in runs:
            if not block.settled and max(start, block.booked) < stop:
                due.append((block, max(start, block.booked), stop))
                block.booked = stop
        if due:
            market = due[0][0].market
            next_event(market.env, lambda: market._book_runs(due))


class _Runs:
    """Served claims of a block still to be booked, and whether a firm of theirs has left."""

    def __init__(self, market: LandMarket, block: _Claims):
        self.market, self.block = market, block
        self.rows, self.present = _present(block.pop, block.firms)  # once: nobody leaves while settling
        self.gone = np.concatenate(([0], np.cumsum(~self.present))).tolist()  # firms gone among the first i
        self.runs: list = []
        self.hands_back = False

    def add(self, start: int, stop: int) -> None:
        if start < stop:
            self.runs.append((self.block, start, stop))
            self.hands_back = self.hands_back or self.gone[stop] > self.gone[start]

    def book(self) -> None:
        if self.runs:
            at = np.concatenate([np.arange(start, stop) for _, start, stop in self.runs])
            self.market._book_rows(self.block.pop, self.rows[at], self.block.amounts[at], self.present[at])
        self.runs, self.hands_back = [], False


def wait_for(env: simpy.Environment, pool, amount: float, deadline: float, reason: str):
    """Ask ``pool`` for ``amount`` and wait until ``deadline``; True if granted (booked), else False."""
    if pool.take_if_first(amount, reason):  # met on the spot, as a request would be: no SimPy event
        return True
    return (yield from await_request(env, pool, pool.request(amount, reason), amount, deadline, reason))


def await_request(env: simpy.Environment, pool, request, amount: float, deadline: float, reason: str):
    """Wait for a request already in the queue until ``deadline``; True if granted (booked), else False."""
    if not request.triggered:
        yield request | env.timeout(max(deadline - env.now, 0.0))
    if request.triggered:
        pool.book_served(amount, reason)
        return True
    pool.cancel(request)
    return False
