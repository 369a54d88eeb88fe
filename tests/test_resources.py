"""Land and energy pools: the ledger as an event log, and the queue against queueing formulas."""

import math

import numpy as np
import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.processes.land import wait_for as _wait_for
from simulation.resources import LandPool, Ledger, QuietRequest


def test_pool_books_every_movement():
    env = simpy.Environment()
    pool = LandPool(env, free=10.0, held=5.0)
    log = []

    def claimant(name, amount, at):
        yield env.timeout(at)
        request = pool.request(amount, name)
        yield request
        pool.granted(amount, name)
        log.append((env.now, name, pool.free))

    env.process(claimant("a", 8.0, 0))
    env.process(claimant("b", 6.0, 1))  # waits: only 2 free
    env.process(claimant("c", 1.0, 2))  # waits behind b (first come, first served)

    def release():
        yield env.timeout(3)
        pool.release(5.0, "exit")

    env.process(release())
    env.run()
    assert log == [(0, "a", 2.0), (3, "b", 0.0), (3, "c", 0.0)]  # b and c served in one step at t=3
    assert pool.held + pool.free == pytest.approx(pool.total) == 15.0
    events = [(t, e, a) for t, e, a, _ in pool.ledger.rows]
    assert events == [(0, "grant", 8.0), (3, "release", 5.0), (3, "grant", 6.0), (3, "grant", 1.0)]


def test_land_served_and_not_yet_booked_stays_counted():
    """Land freed in a step is served to a waiting claim by the next pass in that step; the claim
    books it one event later. Books read in between still add up: the land is out of the free
    stock and in ``committed``, though not yet in ``held``."""
    env = simpy.Environment()
    pool = LandPool(env, free=0.0, held=100.0)
    reads = []

    def claimant():
        granted = yield from _wait_for(env, pool, 10.0, 12.0, "claim")
        reads.append(("booked", granted, pool.held, pool.committed))

    def year_end():
        yield env.timeout(1)
        pool.release(10.0, "exit")  # free at once; its own serving pass comes one event later...
        pool.enqueue(QuietRequest(5.0))  # ...but a request filed now runs a pass that serves the claim
        reads.append(("read", pool.held + pool.free, pool.committed + pool.free, pool.total))

    env.process(claimant())
    env.process(year_end())
    env.run()
    assert reads[0] == ("read", 90.0, 100.0, 100.0)  # held lags by the served claim; committed does not
    assert reads[1] == ("booked", True, 100.0, 100.0)
    assert pool.unbooked_count == 0 and pool.unbooked == 0.0


@pytest.mark.parametrize("free,held", [(-1.0, 0.0), (0.0, -2.0)])
def test_pool_refuses_negative_stock(free, held):
    with pytest.raises(ValueError):
        LandPool(simpy.Environment(), free=free, held=held)


def erlang_b(c: int, a: float) -> float:
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c(c: int, a: float) -> float:
    b = erlang_b(c, a)
    rho = a / c
    return b / (1 - rho + rho * b)


def _simulate_queue(c, lam, mu, patience, n_customers, seed):
    """Projects arrive Poisson(lam), each needs 1 mu for an Exp(mu) time; c mu in the pool."""
    rng = np.random.default_rng(seed)
    env = simpy.Environment()
    pool = LandPool(env, free=float(c), held=0.0)
    waits, lost = [], [0]

    def project():
        arrived = env.now
        ok = yield from _wait_for(env, pool, 1.0, arrived + patience, "project")
        if not ok:
            lost[0] += 1
            return
        waits.append(env.now - arrived)
        yield env.timeout(rng.exponential(1 / mu))
        pool.release(1.0, "done")

    def arrivals():
        for _ in range(n_customers):
            yield env.timeout(rng.exponential(1 / lam))
            env.process(project())

    env.process(arrivals())
    env.run()
    return np.array(waits), lost[0] / n_customers


@pytest.mark.slow
def test_mean_wait_matches_erlang_c():
    """M/M/2 with infinite patience: mean wait = C(c, a) / (c mu - lam)."""
    c, lam, mu = 2, 1.5, 1.0
    waits, lost = _simulate_queue(c, lam, mu, math.inf, 200_000, seed=1)
    expected = erlang_c(c, lam / mu) / (c * mu - lam)
    assert lost == 0
    assert waits[20_000:].mean() == pytest.approx(expected, rel=0.06)
    assert np.mean(waits[20_000:] > 0) == pytest.approx(erlang_c(c, lam / mu), rel=0.03)


@pytest.mark.slow
def test_zero_patience_loss_matches_erlang_b():
    """With no patience the pool is a loss system M/M/c/c: the lost share is Erlang B."""
    c, lam, mu = 3, 2.0, 1.0
    _, lost = _simulate_queue(c, lam, mu, 0.0, 100_000, seed=2)
    assert lost == pytest.approx(erlang_b(c, lam / mu), abs=0.006)


rows = st.tuples(st.floats(0, 120), st.sampled_from(["grant", "release", "supply"]),
                 st.sampled_from([0.0, -0.0, 1.5, 2.0**-1074]) | st.floats(-1e6, 1e6), st.text(max_size=3))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.lists(rows, max_size=4)), max_size=12))
def test_the_ledger_gives_back_the_rows_booked(ops):
    """Rows recorded one at a time (none for an amount of 0) and added in runs come back as
    (time, event, amount, reason) in the order booked, and as columns."""
    ledger, booked = Ledger(), []
    for one_by_one, some in ops:
        if one_by_one:
            for row in some:
                ledger.record(*row)
                booked += [row] if row[2] else []
        else:
            ledger.extend(some)
            booked += some
    assert ledger.rows == booked and [type(cell) for row in ledger.rows for cell in row] == \
        [type(cell) for row in booked for cell in row]
    assert ledger.columns() == tuple(list(column) for column in zip(*booked)) or not booked
