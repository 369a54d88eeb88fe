"""Expansion claims that wait as one block of arrays in the land queue: the same outcome as one
quiet request per claim (the way they waited before), bit for bit.

The reference below is that earlier path: each waiting claim an object in the queue, raced against
the year's deadline, withdrawn one by one at the deadline. Both run on random small worlds where
claims of several years, projects, land supply, plots handed back and firms leaving fall on the
same instants (a grid of half months, with extra steps at one instant), and on a planted script
that reaches every branch of the settling.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.books import Books
from simulation.loader import load_scenario, with_overrides
from simulation.population import Population
from simulation.processes import land, projects
from simulation.processes.land import LandMarket
from simulation.resources import LandPool, QuietRequest, next_event, take_waiting

_SCENARIO = load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / "zhenhai_2021_2025.yaml")
_REASON = "增资扩产 expansion"


class _Claim(QuietRequest):
    """The reference's claim: one quiet request per claim."""

    __slots__ = ("market", "pop", "firm", "waiting")

    def __init__(self, market, pop, firm, amount, waiting=False):
        self.amount, self.triggered = amount, False
        self.market, self.pop, self.firm, self.waiting = market, pop, firm, waiting

    @classmethod
    def served(cls, requests: list) -> None:
        due = take_waiting(requests)
        if due:
            market = due[0].market
            next_event(market.env, lambda: market._book_claims(due))


class _OneByOne(LandMarket):
    """The reference: the claims not met at once each wait as a quiet request of their own."""

    def file_expansions(self, pop, year, annual=None):
        lp = self.land
        annual = pop.annual_revenue() if annual is None else annual
        threshold, elasticity = lp.expansion_growth_threshold.at(year) / 100, lp.expansion_land_elasticity.at(year)
        g = np.where(pop.revenue_prev > 0, annual / np.maximum(pop.revenue_prev, 1e-9) - 1.0, 0.0)
        claim = pop.land * np.maximum(g - threshold, 0.0)
        claim *= elasticity * (pop.alive & pop.above & (pop.entry_year < year - 1))  # two full years of accounts
        rows = np.flatnonzero(claim > 1e-9)
        order = land._best_first(pop.grade[rows], pop.score[rows])
        rows, amounts = rows[order], claim[rows][order]
        patience = lp.expansion_patience_months.at(year) if lp.expansion_patience_months is not None else 0.0
        cost = lp.zero_land_cost_per_mu.at(year)
        deadline = self.env.now + max(patience - 0.5, 0.0)
        books = self.books
        granted = books["land_granted_expansion"]
        now = self.pool.take_run(amounts, _REASON)
        pop.land[rows[:now]] += amounts[:now]
        granted = float(np.add.accumulate(np.concatenate(([granted], amounts[:now])))[-1])
        any_granted = now > 0
        waiting: list = []
        ids = pop.id[rows[now:]].tolist()
        for i, (row, amount) in enumerate(zip(rows[now:].tolist(), amounts[now:].tolist()), start=now):
            if not self.pool.take_if_first(amount, _REASON):
                filed = _Claim(self, pop, ids[i - now], amount)
                self.pool.enqueue(filed)
                if not filed.triggered:
                    filed.waiting = True
                    waiting = [filed, *(_Claim(self, pop, firm, a, True)
                                        for firm, a in zip(ids[i - now + 1:], amounts[i + 1:].tolist()))]
                    self.pool.enqueue_behind(waiting[1:], amounts[i + 1:])
                    break
                self.pool.granted(amount, _REASON)
            pop.land[row] += amount
            granted += amount
            any_granted = True
        if any_granted:
            books["land_granted_expansion"] = granted
        if waiting:
            self.env.process(self._wait_each(waiting, deadline, cost))

    def _wait_each(self, claims, deadline, cost):
        yield self.env.timeout(max(deadline - self.env.now, 0.0))
        due = take_waiting(claims)
        if due:
            next_event(self.env, lambda: self._settle_each(due, cost))

    def _settle_each(self, claims, cost):
        pool, queue, books = self.pool, self.pool.get_queue, self.books
        behind: list = []
        level = None
        unmet, upgrade = books["land_unmet_expansion"], books["investment_upgrade"]
        served: list = []
        for claim in claims:
            if claim.triggered:
                served.append(claim)
                continue
            if served:
                self._book_claims(served)
                served = []
            if level is not None and pool.free == level and queue and queue[0] is not claim:
                behind.append(claim)
            else:
                if behind:
                    queue.drop(behind)
                    behind = []
                pool.cancel(claim)
                level = pool.free
            unmet += claim.amount
            upgrade += claim.amount * cost
        if behind:
            queue.drop(behind)
        if served:
            self._book_claims(served)
        if not all(c.triggered for c in claims):
            books["land_unmet_expansion"], books["investment_upgrade"] = unmet, upgrade

    def _book_claims(self, claims):
        self._book(claims[0].pop, np.array([c.firm for c in claims], dtype=np.int64),
                   np.array([c.amount for c in claims], dtype=float))


_half = st.integers(0, 80).map(lambda k: k / 2)  # instants on a grid of half months: they meet
_steps = st.integers(0, 2)  # steps of the calendar's other events before this one at its instant
_amount = st.sampled_from([0.0, 0.1, 0.2, 0.3, 0.25, 0.5, 1.0, 2.0, 3.0])  # sums that tie the land exactly, or miss by a bit
_claims = st.lists(st.sampled_from([0.0, 1e-9, 0.1, 0.2, 0.3, 0.25, 0.5, 1.0, 2.0, 2.5]), min_size=1, max_size=12)
_file = st.tuples(st.just("file"), st.sampled_from([0.0, 12.0, 24.0, 36.0]), _steps, _claims)
_project = st.tuples(st.just("project"), _half, _steps, _amount, _half)
_supply = st.tuples(st.just("land"), _half, _steps, _amount)
_back = st.tuples(st.just("back"), _half, _steps, _amount)  # a plot never built on, free at once
_take = st.tuples(st.just("take"), _half, _steps, _amount)  # land taken ahead of the queue
_exit = st.tuples(st.just("exit"), _half, _steps, st.integers(0, 11))  # a firm leaves
_events = st.one_of(_file, _file, _project, _project, _supply, _supply, _back, _take, _exit)


def _world(script, free: float, patience: float, reference: bool):
    """Run ``script`` (sorted by time) on a small world; what the pool, books, firms and queue record."""
    env = simpy.Environment()
    books = Books()
    sc = with_overrides(_SCENARIO, {"parameters.land.expansion_patience_months": patience})
    params, levers = sc.parameters, sc.levers
    pool = LandPool(env, free=free, held=10.0)
    market = (_OneByOne if reference else LandMarket)(env, pool, lambda: books, params.land, lambda: 2021)
    energy = projects.EnergyPool(env, free=1e6, held=0.0)
    desk = projects.Desk(env, market, energy, params.projects, levers.attraction, levers.energy,
                         year=lambda: 2021, books=lambda: books, base_year=2020, horizon=1000.0)
    n = 12
    rng = np.random.default_rng(len(script))
    pop = Population.new(n, alive=True, above=True, land=1.0, revenue_prev=1.0,
                         grade=rng.integers(0, 3, n).astype(np.int8), score=rng.random(n))
    pop.id[:] = np.arange(0, 3 * n, 3)  # ids rise with gaps
    rules = params.land
    threshold, elasticity = rules.expansion_growth_threshold.at(2021) / 100, rules.expansion_land_elasticity.at(2021)
    trace: list = []

    def driver():
        for kind, at, steps, *values in script:
            if at > env.now:
                yield env.timeout(at - env.now)
            for _ in range(steps):
                yield env.timeout(0.0)
            if kind == "file":
                claims = np.zeros(n)
                claims[:len(values[0])] = values[0]
                market.file_expansions(pop, 2021, 1.0 + threshold + claims / elasticity)
            elif kind == "project":
                amount, wait = values
                project = projects.Project(1.0, amount, 0.0, 5.0, 3.0, max(wait, 0.5))
                if not projects.start_on_the_spot(desk, project):
                    wake = env.timeout(0.0)
                    projects.wait_in_queues(desk, project)
                    yield wake
            elif kind == "land":
                pool.supply(values[0], "test supply")
            elif kind == "back":
                pool.return_unbuilt(values[0], "test back")
            elif kind == "take":
                pool.take_now(values[0], "test take")
            else:
                pop.alive[values[0]] = False
            trace.append((env.now, pool.free, pool.held, pool.get_queue.waiting_amounts(), pool.waiting_amount))

    env.process(driver())
    env.run(until=80.0)
    desk.settle()  # the starts into the books and spending
    return (trace, pool.ledger.rows, dict(books), pop.land.tobytes(), pool.free, pool.held,
            pool.get_queue.waiting_amounts(), desk.building, desk.waiting, desk.pipeline_land)


@settings(max_examples=300, deadline=None)
@given(st.lists(_events, min_size=1, max_size=40), _amount, st.sampled_from([0.0, 0.5, 6.0, 12.0, 30.0]))
def test_claims_waiting_as_a_block_are_the_claims_waiting_one_by_one(script, free, patience):
    script = sorted(script, key=lambda event: event[1])
    assert _world(script, free, patience, reference=False) == _world(script, free, patience, reference=True)


_PLANTED = [  # (script, free land, patience): scripts where a slip in the settling shows
    ([("file", 0.0, 0, [2.5, 0.5, 0.2, 0.1, 2.5, 0.5]), ("project", 1.5, 0, 3.0, 19.0), ("back", 6.0, 0, 0.5),
      ("back", 8.0, 0, 2.0), ("project", 11.5, 0, 2.0, 17.0), ("file", 12.0, 0, [1.0, 0.3, 0.1, 0.2, 0.2]),
      ("exit", 12.5, 0, 5), ("back", 13.5, 0, 2.0), ("file", 24.0, 0, [0.3, 0.3, 2.5, 2.5, 0.1, 2.5, 0.2]),
      ("exit", 25.5, 0, 7)], 0.5, 12.0),  # settled behind a project
    ([("file", 0.0, 0, [2.0, 0.25, 1.0, 0.25, 0.2, 0.25, 1.0, 0.2, 0.3]), ("file", 12.0, 1, [0.3, 0.3, 1.0, 0.2, 0.3, 0.2, 0.3]),
      ("exit", 16.0, 0, 0), ("land", 17.5, 1, 1.0), ("file", 24.0, 0, [0.1, 0.25, 0.1, 0.1]),
      ("project", 25.0, 0, 0.5, 10.5)], 0.5, 12.0),  # a plot handed back between two withdrawals serves the next
    ([("file", 0.0, 1, [0.3, 2.0, 0.5, 0.2, 1.0, 1.0]), ("back", 1.0, 1, 3.0), ("take", 5.5, 0, 0.25),
      ("land", 7.5, 0, 1.0), ("project", 11.5, 0, 0.5, 18.5), ("file", 12.0, 0, [0.25, 1.0, 0.3, 0.3, 0.5, 0.25]),
      ("land", 15.5, 1, 1.0), ("land", 16.0, 1, 3.0), ("land", 21.5, 1, 1.0), ("file", 24.0, 1, [0.2, 2.0, 2.0, 2.0, 0.1]),
      ("land", 26.5, 0, 3.0), ("land", 35.5, 1, 3.0)], 2.0, 12.0),  # a claim exactly the land left is served
    ([("file", 0.0, 0, [0.5, 0.3, 0.3, 2.0, 0.2, 0.5, 0.25, 2.0, 1.0]), ("land", 10.5, 1, 0.5), ("project", 11.0, 0, 1.0, 5.0),
      ("file", 12.0, 0, [0.3, 0.1, 0.3, 0.25, 1.0, 2.0, 2.0]), ("land", 16.5, 0, 0.5), ("land", 18.0, 1, 0.5),
      ("file", 24.0, 0, [0.2, 0.25, 0.25, 1.0, 1.0, 1.0, 2.0, 0.25]), ("exit", 24.0, 0, 8)], 1.0, 30.0),  # served behind a block
    ([("file", 0.0, 0, [2.0, 0.2, 2.0]), ("take", 4.5, 0, 1.0), ("take", 5.0, 1, 3.0), ("take", 6.0, 0, 1.0),
      ("file", 12.0, 1, [0.25, 0.5, 0.5, 0.3]), ("back", 16.5, 1, 0.5), ("file", 24.0, 0, [0.5, 0.1, 1.0, 0.25, 1.0, 0.5, 0.25]),
      ("land", 24.0, 1, 0.5), ("back", 24.0, 0, 0.5), ("land", 25.0, 1, 1.0), ("land", 26.0, 1, 0.25),
      ("project", 35.5, 0, 2.0, 7.5)], 2.0, 30.0),  # a withdrawal's pass serves what waits behind the block
    ([("file", 0.0, 0, [2.0]), ("land", 12.0, 0, 3.0), ("file", 12.0, 0, [0.5, 0.5]), ("land", 14.0, 0, 1.0)],
     0.0, 30.0),  # the supply's pass pending at filing: last year's claim and this year's served in the block's own pass
]


@pytest.mark.parametrize("script, free, patience", _PLANTED)
def test_planted_scripts(script, free, patience):
    assert _world(script, free, patience, False) == _world(script, free, patience, True)


def test_the_planted_scripts_reach_every_branch_of_the_settling(monkeypatch):
    """Claims served at filing and before their deadline; settled with the block at the head of
    the queue, a plot of a firm that left handed back in between; settled behind a project the
    free land does not cover; a later year's block waiting behind an earlier one."""
    seen: Counter = Counter()
    walk, settle, book, enqueue = LandMarket._walk, LandMarket._settle, land._Runs.book, LandPool.enqueue_block

    def walked(self, block, runs):
        seen["walk"] += 1
        return walk(self, block, runs)

    def booked(runs):
        seen["handed back"] += runs.hands_back
        book(runs)

    def settled(self, block, cost):
        queue = self.pool.get_queue
        seen["behind"] += block.next < len(block.amounts) and queue[0] is not block
        seen["blocks"] = max(seen["blocks"], len({id(r) for r in queue if isinstance(r, land._Claims)}))
        return settle(self, block, cost)

    def enqueued(pool, block):
        enqueue(pool, block)
        seen["served at filing"] += block.next

    monkeypatch.setattr(LandMarket, "_walk", walked)
    monkeypatch.setattr(LandMarket, "_settle", settled)
    monkeypatch.setattr(land._Runs, "book", booked)
    monkeypatch.setattr(LandPool, "enqueue_block", enqueued)
    for script, free, patience in _PLANTED:
        _world(script, free, patience, False)
    assert all(seen[k] for k in ("walk", "behind", "handed back", "served at filing")) and seen["blocks"] >= 2, seen


@pytest.mark.parametrize("seed", [3, 11])
def test_a_whole_replication_is_the_same_with_the_reference(monkeypatch, seed):
    """A whole Zhenhai replication (indicators, flows, ledger) with claims as blocks and one by one."""
    from simulation.model import simulate

    blocks = simulate(_SCENARIO, seed)
    monkeypatch.setattr(land, "LandMarket", _OneByOne)
    each = simulate(_SCENARIO, seed)
    for table in ("indicators", "flows", "ledger"):
        assert getattr(blocks, table).equals(getattr(each, table)), table
