"""Projects that must wait do so without a process of their own: the same events as with one.

:func:`projects.wait_in_queues` (quiet requests raced against timers) against
:func:`projects.lifecycle` as a SimPy process, the way it ran before: on random small worlds where
leads, land supply and energy releases fall on the same instants (so that serving passes,
deadlines and decisions meet at one time), and on whole replications.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.books import Books
from simulation.loader import load_scenario
from simulation.model import simulate
from simulation.processes import projects
from simulation.processes.land import LandMarket
from simulation.resources import EnergyPool, LandPool, Pool

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
_SCENARIO = load_scenario(SCENARIOS / "zhenhai_2021_2025.yaml")

_half = st.integers(0, 16).map(lambda k: k / 2)  # instants and spans on a grid of half months: they meet
_amount = st.sampled_from([0.0, 0.1, 0.2, 0.3, 1.0, 2.0, 3.0])
_steps = st.integers(0, 2)  # steps (of the calendar's other events) before this one at its instant
_project = st.tuples(st.just("project"), _half, _steps, _amount, _amount, _half, st.integers(1, 6).map(float))
_supply = st.tuples(st.just("land"), _half, _steps, _amount)
_release = st.tuples(st.just("energy"), _half, _steps, _amount)
_cut = st.tuples(st.just("take"), _half, _steps, _amount)  # energy taken ahead of the queue (new firms)


def _world(script, free_land: float, free_energy: float, process: bool):
    """Run ``script`` (sorted by time) in a small world; returns everything the desk and pools record."""
    env = simpy.Environment()
    books = Books()
    params, levers = _SCENARIO.parameters, _SCENARIO.levers
    pool = LandPool(env, free=free_land, held=10.0)
    energy = EnergyPool(env, free=free_energy, held=10.0)
    market = LandMarket(env, pool, lambda: books, params.land, lambda: 2021)
    desk = projects.Desk(env, market, energy, params.projects, levers.attraction, levers.energy,
                         year=lambda: 2021, books=lambda: books, base_year=2020, horizon=1000.0)

    def begin(project):
        if process:
            env.process(projects.lifecycle(desk, project))
        else:
            projects.wait_in_queues(desk, project)

    def driver():
        for kind, at, steps, *values in script:  # a project's wait is the last thing in its step
            if at > env.now:
                yield env.timeout(at - env.now)
            for _ in range(steps):  # later in the same instant, after what the last steps scheduled
                yield env.timeout(0.0)
            if kind == "project":
                land, need, patience, build = values
                project = projects.Project(1.0, land, need, 5.0, build, patience)
                if not projects.start_on_the_spot(desk, project):
                    wake = env.timeout(0.0)  # as the arrivals loop: the next timer first, then the wait
                    begin(project)
                    yield wake
            elif kind == "land":
                pool.supply(values[0], "test supply")
            elif kind == "energy":
                energy.release(values[0], "test release")
            else:
                energy.take_now(values[0], "test take")

    env.process(driver())
    env.run(until=40.0)
    desk.settle()  # the starts into the books and spending
    return (pool.ledger.rows, energy.ledger.rows, dict(books), desk.building, desk.waiting, desk.pipeline_land,
            desk.spending, pool.free, energy.free, pool.held, energy.held,
            [r.amount for r in pool.get_queue], [r.amount for r in energy.get_queue])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_project, _project, _supply, _release, _cut), min_size=1, max_size=30),
       _amount, _amount)
def test_waiting_without_a_process_is_the_same_as_with_one(script, free_land, free_energy):
    script = sorted(script, key=lambda event: event[1])
    assert _world(script, free_land, free_energy, process=False) == _world(script, free_land, free_energy, process=True)


def test_the_small_worlds_reach_every_outcome(monkeypatch):
    """The races the property test relies on do happen: served and timed out at both stages, a
    request served in its own serving pass, and one served after its timer fired but before it
    decided (so it goes on)."""
    seen: Counter = Counter()
    fired, at_once = set(), set()
    decide, timed_out, enqueue = projects._Asked.decide, projects._Asked._timed_out, Pool.enqueue

    def counted(request):
        seen[(request.stage, request.triggered)] += 1
        seen["served after its timer"] += id(request) in fired and request.triggered
        seen["served in its own pass"] += id(request) in at_once
        decide(request)

    def timer(request):
        fired.add(id(request))
        timed_out(request)

    def queued(pool, request):
        enqueue(pool, request)
        if request.triggered:
            at_once.add(id(request))

    monkeypatch.setattr(projects._Asked, "decide", counted)
    monkeypatch.setattr(projects._Asked, "_timed_out", timer)
    monkeypatch.setattr(Pool, "enqueue", queued)
    script = [("project", 0.0, 0, 2.0, 0.0, 1.0, 3.0),  # waits for land, times out at 1.0 ...
              ("project", 0.5, 0, 1.0, 0.0, 0.5, 3.0),  # ... and its withdrawal serves this one after its timer
              ("project", 2.0, 0, 0.0, 3.0, 1.0, 3.0), ("energy", 2.5, 0, 3.0),  # energy served before the deadline
              ("project", 3.0, 0, 2.0, 0.0, 5.0, 3.0), ("land", 3.5, 0, 2.0),  # land served before the deadline
              ("project", 4.0, 0, 0.0, 1.0, 0.5, 3.0),  # energy times out
              ("project", 5.5, 0, 0.0, 1.0, 2.0, 3.0), ("energy", 6.0, 0, 3.0),  # the release's pass is pending ...
              ("project", 6.0, 0, 0.0, 1.0, 1.0, 3.0),  # ... when this one joins: served in its own pass
              ("project", 7.0, 0, 3.0, 1.0, 2.0, 3.0), ("land", 7.0, 0, 3.0)]  # land, then waits for energy
    assert _world(script, 1.0, 0.0, process=False) == _world(script, 1.0, 0.0, process=True)
    assert seen[(projects._LAND, True)] and seen[(projects._LAND, False)], seen
    assert seen[(projects._ENERGY, True)] and seen[(projects._ENERGY, False)], seen
    assert seen["served after its timer"] and seen["served in its own pass"], seen


@pytest.mark.parametrize("name", ["zhenhai_2021_2025", "ningbo_2020_2022"])
def test_a_run_is_the_same_with_waiting_projects_as_processes(monkeypatch, name):
    """Whole replications (indicators, flows, ledger): waiting projects as quiet requests vs each as
    a :func:`projects.lifecycle` process; projects must have waited."""
    scenario = load_scenario(SCENARIOS / f"{name}.yaml")
    quiet = projects.wait_in_queues
    waited = []
    monkeypatch.setattr(projects, "wait_in_queues", lambda desk, project: waited.append(project) or quiet(desk, project))
    quick = simulate(scenario, 14)
    assert waited
    monkeypatch.setattr(projects, "wait_in_queues",
                        lambda desk, project: desk.env.process(projects.lifecycle(desk, project)))
    slow = simulate(scenario, 14)
    for table in ("indicators", "flows", "ledger"):
        a, b = getattr(quick, table), getattr(slow, table)
        assert a.equals(b), table
