"""Served land claims booked in one compiled pass: the same as booking them a run at a time."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.books import Books
from simulation.loader import load_scenario
from simulation.population import Population
from simulation.processes import compiled, kernels
from simulation.processes.land import LandMarket
from simulation.resources import LandPool

_LAND = load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / "zhenhai_2021_2025.yaml").parameters.land
_amount = st.one_of(st.sampled_from([0.0, 0.1, 0.2, 0.3, 1e-9, 3e7]), st.floats(1e-6, 1e4))


def _booked(claims_spec, land, alive, held, granted, one_pass: bool):
    env = simpy.Environment()
    books = Books()
    books["land_granted_expansion"] = granted
    pool = LandPool(env, free=5.0, held=held)
    market = LandMarket(env, pool, lambda: books, _LAND, lambda: 2021)
    pop = Population.new(len(land), alive=np.array(alive), land=np.array(land))
    pop.id[:] = np.arange(0, 2 * len(land), 2)  # ids rise along the rows, with gaps (firms long gone)
    firms = np.array([firm for firm, _ in claims_spec], dtype=np.int64)
    amounts = np.array([amount for _, amount in claims_spec], dtype=float)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(kernels, "compiled_for", lambda n: compiled if one_pass else None)
        market._book(pop, firms, amounts)
    calendar = [(t, p, type(e).__name__, _what(e)) for t, p, _, e in sorted(env._queue)]
    return (pop.land.tobytes(), pool.held, pool.free, pool.ledger.rows, dict(books), calendar)


def _what(event) -> object:
    """What a calendar entry carries: a SimPy put's amount, or the name of what a plain entry calls."""
    action = getattr(event, "action", None)
    return getattr(event, "amount", None) if action is None else action.__name__


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_one_pass_books_what_the_runs_book(data):
    n = data.draw(st.integers(1, 8))
    land = data.draw(st.lists(_amount, min_size=n, max_size=n))
    alive = data.draw(st.lists(st.booleans(), min_size=n, max_size=n))
    firms = st.integers(0, 2 * n + 1)  # odd ids and ids past the last row: firms not in the arrays
    spec = data.draw(st.lists(st.tuples(firms, _amount), min_size=1, max_size=25))
    held = data.draw(st.sampled_from([0.0, 0.3, 1e4]))
    granted = data.draw(st.sampled_from([0.0, 0.1, 123.456]))
    runs = _booked(spec, land, alive, held, granted, False)
    one = _booked(spec, land, alive, held, granted, True)
    assert one == runs


def test_a_gone_firm_hands_its_plot_back_between_the_others():
    """Planted: firm 2 (row 1) has left; its plot is granted and handed back in its place (free at
    once, the queue's serving pass on the calendar), and the others' plots are added in claim
    order (firm 0 twice)."""
    spec = [(0, 0.1), (2, 0.2), (0, 0.3), (4, 1.0)]
    one = _booked(spec, [1.0, 1.0, 1.0], [True, False, True], 10.0, 0.0, True)
    assert one == _booked(spec, [1.0, 1.0, 1.0], [True, False, True], 10.0, 0.0, False)
    land, held, free, ledger, books, calendar = one
    assert np.frombuffer(land)[0] == (1.0 + 0.1) + 0.3 and np.frombuffer(land)[1] == 1.0
    assert [row[1] for row in ledger] == ["grant", "grant", "release", "grant", "grant"]
    assert books["land_granted_expansion"] == 0.1 + 0.3 + 1.0
    assert free == 5.0 + 0.2
    assert len(calendar) == 1 and calendar[0][2:] == ("_Call", "_trigger_get")
