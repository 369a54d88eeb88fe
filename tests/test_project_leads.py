"""The leads without a process (:func:`projects.start_leads`) are the leads of :func:`projects.arrivals`
as a SimPy process: the same draws, the same events in the same order, the same books.

On small worlds where only leads run (land and energy plentiful, scarce, or with a year of no
leads), where land supplies and energy releases fall on the leads' instants, and on whole
replications.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.books import Books
from simulation.loader import load_scenario
from simulation.model import simulate
from simulation.processes import projects
from simulation.processes.land import LandMarket
from simulation.resources import EnergyPool, LandPool, after, next_event

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
_SCENARIO = load_scenario(SCENARIOS / "ningbo_2020_2022.yaml")


def _leads(process: bool, seed: int, free_land: float, free_energy: float, months: float, *,
           quiet_first_year: bool = False, supplies: tuple = (), rng=None):
    """Run only the leads (and ``supplies``: (time, land, energy) added at those times) in a small
    world; returns everything the desk and pools record, and the draws left in the stream."""
    env = simpy.Environment()
    books = Books()
    params, levers = _SCENARIO.parameters, _SCENARIO.levers
    pool = LandPool(env, free=free_land, held=10.0)
    energy = EnergyPool(env, free=free_energy, held=10.0)
    year = [2021]
    market = LandMarket(env, pool, lambda: books, params.land, lambda: year[0])
    desk = projects.Desk(env, market, energy, params.projects, levers.attraction, levers.energy,
                         year=lambda: year[0], books=lambda: books, base_year=2020, horizon=months)
    if quiet_first_year:  # no leads in 2021: the timer ticks monthly until the rate is positive again
        desk.terms_by_year[2021] = dataclasses.replace(projects._Terms.of(desk, 2021), lead_rate=0.0)
    rng = np.random.default_rng(seed) if rng is None else rng

    def calendar():
        for k in range(1, int(months) + 1):  # the year turns at month 12, 24, ... (as the region's)
            yield env.timeout(k - env.now)
            if k % 12 == 0:
                year[0] += 1

    def supply():
        for at, land, quota in supplies:
            yield env.timeout(at - env.now)
            pool.supply(land, "test supply")
            energy.release(quota, "test release")

    env.process(calendar())
    env.process(supply())
    if process:
        env.process(projects.arrivals(desk, rng))
    else:
        projects.start_leads(desk, rng)
    env.run(until=months + 3.5)
    desk.settle()  # the starts into the books and spending
    return (dict(books), pool.ledger.rows, energy.ledger.rows, desk.spending, desk.building, desk.waiting,
            desk.pipeline_land, pool.free, energy.free, env.now, rng.random())


@pytest.mark.parametrize("free_land, free_energy", [(1e9, 1e12), (2000.0, 2e6), (0.0, 0.0), (300.0, 1e12)])
def test_leads_without_a_process_are_the_leads_of_the_process(free_land, free_energy):
    for seed in range(3):
        quick = _leads(False, seed, free_land, free_energy, 30.0)
        assert quick == _leads(True, seed, free_land, free_energy, 30.0)
    assert quick[0].get("projects_arrived", 0) + quick[0].get("projects_declined", 0) > 100


def test_a_year_without_leads_ticks_as_the_process_does():
    quick = _leads(False, 5, 1e9, 1e12, 30.0, quiet_first_year=True)
    assert quick == _leads(True, 5, 1e9, 1e12, 30.0, quiet_first_year=True)
    assert all(12.0 <= row[0] for row in quick[1])  # no grant in the quiet year


_instant = st.integers(0, 40).map(lambda k: k / 2)  # on the half months, where timers and month ends meet


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from([0.0, 50.0, 500.0]), st.sampled_from([0.0, 1e5, 1e6]),
       st.lists(st.tuples(_instant, st.sampled_from([0.0, 100.0, 1000.0]), st.sampled_from([0.0, 1e5, 1e6])),
                max_size=6).map(sorted))
def test_leads_meeting_supplies_and_queues_are_the_same(seed, free_land, free_energy, supplies):
    """Scarce land and energy, with supplies serving the waiting projects' queues now and then."""
    args = (seed, free_land, free_energy, 20.0)
    assert _leads(False, *args, supplies=tuple(supplies)) == _leads(True, *args, supplies=tuple(supplies))


class _OnTheHalfMonths:
    """A generator of numpy's kind whose exponential draws put every lead on a half month (the lead
    rate times 0.5, over the rate, is 0.5 exactly), where the calendar's and the supplies' timers
    fall: the leads' entries tie with other events, and their turns decide."""

    def __init__(self, rate: float, seed: int):
        self.rate, self.rng = rate, np.random.default_rng(seed)

    def standard_exponential(self, size: int) -> np.ndarray:
        return np.full(size, 0.5 * self.rate)

    def standard_normal(self, size: int) -> np.ndarray:
        return self.rng.standard_normal(size)

    def random(self, size: int | None = None):
        return self.rng.random(size)


@pytest.mark.parametrize("free_land, free_energy", [(1e9, 1e12), (50.0, 1e5)])
def test_leads_tied_with_other_events_keep_their_turns(free_land, free_energy):
    rate = projects.Desk.lead_rate(_desk_for_rate(), 2021)
    supplies = ((1.5, 100.0, 1e5), (3.0, 0.0, 1e6), (4.5, 1000.0, 0.0))
    quick, slow = (_leads(process, 7, free_land, free_energy, 6.0, supplies=supplies, rng=_OnTheHalfMonths(rate, 7))
                   for process in (False, True))
    assert quick == slow
    assert quick[0].get("projects_arrived", 0) + quick[0].get("projects_declined", 0) == 11  # 0.5 to 5.5


def _desk_for_rate() -> projects.Desk:
    params, levers = _SCENARIO.parameters, _SCENARIO.levers
    return projects.Desk(simpy.Environment(), None, None, params.projects,  # type: ignore[arg-type]
                         levers.attraction, levers.energy,
                         year=lambda: 2021, books=Books, base_year=2020, horizon=12.0)


def _calendar(light: bool) -> list[str]:
    """Two processes setting timers and events at the same instants: the order their actions run."""
    env = simpy.Environment()
    seen: list[str] = []

    def note(name):
        return lambda *_: seen.append(name)

    def timer(delay, name):
        if light:
            after(env, delay, note(name))
        else:
            env.timeout(delay).callbacks.append(note(name))

    def now(name):
        if light:
            next_event(env, note(name))
        else:
            event = env.event()
            event.callbacks.append(note(name))
            event.succeed()

    def first():
        for k in range(6):
            yield env.timeout(0.5 * (k % 2))  # at the instants where the other's timers fall
            now(f"now {k}")
            timer(0.5, f"timer {k}")
            now(f"now {k}b")

    def second():
        for k in range(6):
            timer(0.5 * (k % 3), f"other timer {k}")
            yield env.timeout(0.5 * (k % 2))

    env.process(first())
    env.process(second())
    env.run()
    return seen


def test_calls_keep_the_order_of_timeouts_and_events():
    """``after`` and ``next_event`` take their turns as a timeout and an event set at the same moment."""
    assert _calendar(light=True) == _calendar(light=False)
    with pytest.raises(ValueError):
        after(simpy.Environment(), -1e-9, lambda: None)


@pytest.mark.parametrize("name, seed", [("zhenhai_2021_2025", 21), ("ningbo_2020_2022", 22)])
def test_a_run_is_the_same_with_the_leads_as_a_process(monkeypatch, name, seed):
    """Whole replications (indicators, flows, ledger): leads without a process vs :func:`projects.arrivals`."""
    scenario = load_scenario(SCENARIOS / f"{name}.yaml")
    quick = simulate(scenario, seed)
    monkeypatch.setattr(projects, "start_leads", lambda desk, rng: desk.env.process(projects.arrivals(desk, rng)))
    slow = simulate(scenario, seed)
    for table in ("indicators", "flows", "ledger"):
        assert getattr(quick, table).equals(getattr(slow, table)), table


def test_a_zero_land_lead_is_not_turned_away_by_the_land_queue():
    """A 零增地技改 lead asks for no land: it signs whenever the energy is in sight, even with more
    land claimed in the queue than is free; a lead that needs land does not."""
    env = simpy.Environment()
    books = Books()
    params, levers = _SCENARIO.parameters, _SCENARIO.levers
    pool = LandPool(env, free=5.0, held=100.0)
    energy = EnergyPool(env, free=1e6, held=10.0)
    market = LandMarket(env, pool, lambda: books, params.land, lambda: 2021)
    desk = projects.Desk(env, market, energy, params.projects, levers.attraction, levers.energy,
                         year=lambda: 2021, books=lambda: books, base_year=2020, horizon=36.0)
    pool.request(50.0, "a claim waiting")  # the queue now wants more than is free
    assert not market.counts_on(0.0)  # the land in sight is below zero
    upgrade = projects.Project(1.0, 0.0, 500.0, 1e4, 12.0, 6.0, zero_land=True)
    new_plot = projects.Project(1.0, 20.0, 500.0, 1e4, 12.0, 6.0)
    assert projects.signs(desk, upgrade) and not projects.signs(desk, new_plot)


def _warm(free_land: float, seed: int, effort: float = 1.0, earlier: float = 0.0):
    """The projects under construction at the start in a small world with ``free_land`` 亩 free."""
    env, books = simpy.Environment(), Books()
    params, levers = _SCENARIO.parameters, _SCENARIO.levers
    attraction = levers.attraction.model_copy(update={"effort": levers.attraction.projects_per_year.model_copy(
        update={"value": effort, "unit": "1"})})
    pool = LandPool(env, free=free_land, held=10.0)
    energy = EnergyPool(env, free=1e12, held=10.0)
    market = LandMarket(env, pool, lambda: books, params.land, lambda: 2021)
    desk = projects.Desk(env, market, energy, params.projects, attraction, levers.energy,
                         year=lambda: 2021, books=lambda: books, base_year=2020, horizon=36)
    signed = projects.warm_start(desk, np.random.default_rng(seed), earlier)
    return desk, pool, signed


@pytest.mark.parametrize("seed", range(4))
def test_projects_under_way_at_the_start_signed_with_land_in_sight(seed):
    """A lead under way at the start signed as leads sign later: with land short, the plotted ones
    took their whole plot (none builds without land) and the land they hold is what left the pool;
    with land plentiful every lead signed. Their count is history: the same whatever the 招商 effort."""
    desk, pool, signed = _warm(free_land=300.0, seed=seed)
    held = [p.land for _, _, _, p in desk.building]
    plots = [p for _, _, _, p in desk.building if not p.zero_land]
    assert all(p.land > 0 for p in plots)  # a full plot each: take_now granted all it asked
    assert sum(held) == pytest.approx(desk.pipeline_land) == pytest.approx(300.0 - pool.free)
    assert 0.0 < signed < 1.0  # Ningbo's 300 leads a year over a 300 亩 pool: some went elsewhere
    plenty, _, all_signed = _warm(free_land=1e9, seed=seed)
    assert all_signed == 1.0 and len(plenty.building) > len(desk.building)
    doubled, _, _ = _warm(free_land=1e9, seed=seed, effort=2.0)
    assert len(doubled.building) == len(plenty.building)


@pytest.mark.parametrize("seed", range(4))
def test_projects_under_way_hold_land_supplied_before_the_start(seed):
    """With the land supplied over a build time before the start in sight too, more leads under way
    signed; each holds its whole plot, out of the free stock first (all of it used) and then out of
    that earlier supply, which enters the pool as held land: the pool's total grows by it."""
    alone, _, _ = _warm(free_land=300.0, seed=seed)
    desk, pool, signed = _warm(free_land=300.0, seed=seed, earlier=2_000.0)
    held = sum(p.land for _, _, _, p in desk.building)
    assert len(desk.building) > len(alone.building) and signed > 0
    assert all(p.land > 0 for _, _, _, p in desk.building if not p.zero_land)
    assert 300.0 < held <= 2_300.0 + 1e-9 and pool.free == pytest.approx(0.0, abs=1e-9)
    assert pool.total == pytest.approx(300.0 + 10.0 + held - 300.0)  # free 300 + held 10 at the start, and the earlier plots


def test_more_attraction_effort_raises_first_year_investment_and_leaves_the_base_year(zhenhai):
    """The base year's investment and the projects under way are history: a doubled 招商 effort
    leaves them as they were and raises the first year's manufacturing investment (common random
    numbers; it used to lower year-one growth, the base year scaling with the lever)."""
    from simulation.loader import with_overrides

    doubled = with_overrides(zhenhai, {"levers.attraction.effort": 2.0})
    first = zhenhai.base_year + 1
    for seed in range(3):
        runs = [simulate(sc, seed).indicators.set_index(["indicator", "year"]).value for sc in (zhenhai, doubled)]
        assert runs[0]["manufacturing_investment", zhenhai.base_year] == runs[1]["manufacturing_investment", zhenhai.base_year]
        assert runs[1]["manufacturing_investment_growth", first] > runs[0]["manufacturing_investment_growth", first]


@pytest.mark.parametrize("process", [False, True])
def test_signed_large_projects_count_new_plants_of_a_hundred_million_and_more(process, monkeypatch):
    """招引亿元以上项目: every lead that signs with a new plant (not a 零增地技改 of a firm already
    there) of at least the large-project line counts, when it signs, whether or not it starts."""
    drawn = []
    draw = projects.draw_project

    def recording(*args, **kwargs):
        drawn.append(draw(*args, **kwargs))
        return drawn[-1]

    monkeypatch.setattr(projects, "draw_project", recording)
    line = _SCENARIO.parameters.projects.large_threshold.at(2021)
    books = _leads(process, 3, 1e9, 1e12, 24.0)[0]  # land and energy plentiful: every lead signs
    large_plants = sum(p.investment >= line and not p.zero_land for p in drawn)
    assert books["projects_arrived"] == len(drawn)
    assert books["projects_large_signed"] == large_plants
    assert large_plants > 0 and any(p.investment >= line and p.zero_land for p in drawn)  # those are left out
    scarce = _leads(process, 3, 0.0, 1e12, 24.0)[0]  # no land: new plants are declined, not signed
    assert scarce.get("projects_large_signed", 0) == 0 and scarce["projects_arrived"] > 0
