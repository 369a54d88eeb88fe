"""The desk's bookkeeping of started projects, done together: built projects join the region at a
month step without a calendar entry each (:meth:`projects.Desk.joining`), the same projects at the
same step, in the same order, as a timer per project would give, however the builds fall against the
steps (at a step's very time, started in a step's action or just after it, one-month builds); and
starts are booked together (:meth:`projects.Desk.settle`), the same sums as booking each at once."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import simpy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation.books import Books
from simulation.loader import load_scenario
from simulation.processes import projects
from simulation.resources import after

_SCENARIO = load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / "zhenhai_2021_2025.yaml")
STEPS = 8

BEFORE, IN, AFTER = 0, 1, 2  # a start at a step's month: an event before the step, in its action, an event after it
# a start: (month, build months, where it falls against a step at that month)
_starts = st.lists(
    st.tuples(st.one_of(st.integers(0, STEPS), st.floats(0.0, STEPS)), st.sampled_from([1.0, 2.0, 1.5, 3.0, 0.25]),
              st.sampled_from([BEFORE, IN, AFTER])),
    max_size=30)


def _project(number: int, months: float) -> projects.Project:
    return projects.Project(1.0, float(number), 0.0, 1.0, months, 1.0)


def _joined(starts) -> tuple[dict[int, list], dict[int, list], float]:
    """Each step's joining projects by timers (as before) and by the desk; the desk's books."""
    env, books = simpy.Environment(), Books()
    params, levers = _SCENARIO.parameters, _SCENARIO.levers
    desk = projects.Desk(env, None, None, params.projects, levers.attraction, levers.energy,  # type: ignore[arg-type]
                         year=lambda: 2021, books=lambda: books, base_year=2020, horizon=STEPS)
    built: list = []  # the timers' completions since the last step
    by_timer: dict[int, list] = {}
    by_desk: dict[int, list] = {}

    def start(number: int, months: float) -> None:
        project = _project(number, months)
        after(env, months, built.append, project)
        desk.completes(project, env.now + months)

    def step(k: int) -> None:  # as Region._on_date: the action, then the next step's timer
        by_timer[k], built[:] = list(built), []
        by_desk[k] = desk.joining(k)
        for number, (at, months, where) in enumerate(starts):
            if at == k and where == IN:
                start(number, months)
            elif at == k and where == AFTER:  # an event set in the action: it comes after the step
                after(env, 0.0, start, number, months)
        desk.month_steps = k
        if k < STEPS:
            after(env, 1.0, step, k + 1)

    for number, (at, months, where) in enumerate(starts):
        if not (where != BEFORE and at == int(at) and 1 <= at <= STEPS):
            after(env, float(at), start, number, months)
    after(env, 1.0, step, 1)
    env.run(until=STEPS + 0.5)
    return by_timer, by_desk, books["projects_completed"]


@settings(max_examples=300, deadline=None)
@given(_starts)
def test_built_projects_join_where_their_timers_would_put_them(starts):
    by_timer, by_desk, completed = _joined(starts)
    assert by_desk == by_timer
    assert completed == sum(len(joined) for joined in by_desk.values())


def test_a_one_month_build_started_after_a_step_joins_a_step_later():
    """One-month builds started at month 3: before step 3 or in its action, they are built at 4.0 with
    their timers set before step 4's and join at step 4; after step 3 (its timer for step 4 already
    set), built at 4.0 too, but their timer comes after the step's: they join at step 5."""
    by_timer, by_desk, _ = _joined([(3, 1.0, AFTER), (3, 1.0, IN), (3, 1.0, BEFORE)])
    assert [p.land for p in by_desk[4]] == [2.0, 1.0] and [p.land for p in by_desk[5]] == [0.0]
    assert by_desk == by_timer


def _booked_at_once(starts, base: int) -> tuple[dict[int, float], dict[str, float]]:
    """Each start booked as it comes: its spending year by year, its counters (the reference)."""
    spending: dict[int, float] = {}
    books = Books()
    for now, months, investment, build, land, zero_land, large, counted in starts:
        per_month, end = investment * 1e4 / build, now + months
        for year in range(int(now // 12), math.ceil(end / 12)):
            stop, begin = 12.0 * (year + 1), 12.0 * year
            spending[base + year] = spending.get(base + year, 0.0) + per_month * (min(end, stop) - max(now, begin))
        if counted:
            books.add("projects_started")
            books.add("land_granted_projects", land)
            books.add("projects_zero_land", zero_land)
            books.add("projects_large_started", large)
    return spending, dict(books)


_month = st.one_of(st.integers(0, 60).map(float), st.floats(0.0, 60.0))
_start = st.tuples(_month, st.one_of(st.sampled_from([0.25, 1.0, 12.0, 18.0, 24.0]), st.floats(0.01, 40.0)),
                   st.floats(0.01, 50.0), st.sampled_from([12.0, 18.0, 24.0]),
                   st.one_of(st.just(0.0), st.floats(0.1, 500.0)), st.booleans(), st.booleans(), st.booleans())


@pytest.mark.parametrize("in_arrays_from", [0, 10**9])  # the numpy passes, and start by start
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(starts=st.lists(_start, max_size=40), settle_every=st.integers(0, 3))
def test_settling_books_what_booking_each_start_at_once_books(starts, settle_every, in_arrays_from, monkeypatch):
    """Spending by year and the counters, bit for bit, however often the starts are settled."""
    monkeypatch.setattr(projects, "SETTLED_IN_ARRAYS", in_arrays_from)
    env, books = simpy.Environment(), Books()
    params, levers = _SCENARIO.parameters, _SCENARIO.levers
    desk = projects.Desk(env, None, None, params.projects, levers.attraction, levers.energy,
                         year=lambda: 2021, books=lambda: books, base_year=2020, horizon=60)
    for k, start in enumerate(starts):
        desk.starts.append(start)
        if settle_every and k % settle_every == 0:
            desk.settle()
    desk.settle()
    spending, counters = _booked_at_once([s for s in starts], 2021)
    assert desk.spending == spending
    assert dict(books) == counters
