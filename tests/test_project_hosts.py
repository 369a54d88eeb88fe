"""零增地技改 hosts (:func:`projects.hosts`): drawn in proportion to revenue among the firms at least as
large as the project's output, the largest firm when none is; checked against the exact proportions."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from simulation.processes import projects

REVENUE = np.array([500.0, 0.0, 3000.0, 1200.0, 800.0, 3000.0, 100.0, 6000.0])


def _expected(revenue: np.ndarray, output: float) -> np.ndarray:
    """Each firm's chance of hosting a project of ``output``: its share of the revenue of the firms
    at least that large."""
    large = np.where(revenue >= output, revenue, 0.0)
    return large / large.sum()


@pytest.mark.parametrize("output", [50.0, 900.0, 2500.0, 5000.0])
@pytest.mark.parametrize("rounds", [0, 1, 16])  # drawn directly, after one rejection round, as the model does
def test_hosts_follow_revenue_among_the_large_enough(output, rounds):
    rng = np.random.default_rng(int(output) + rounds)
    draws = 40_000
    picks = projects.hosts(REVENUE, np.full(draws, output), rng, rounds=rounds)
    counts = np.bincount(picks, minlength=len(REVENUE))
    expected = _expected(REVENUE, output) * draws
    assert counts[expected == 0].sum() == 0  # too small, or no revenue: never a host
    seen = expected > 0
    if seen.sum() == 1:  # one firm large enough: it hosts them all
        assert counts[seen] == draws
    else:
        assert stats.chisquare(counts[seen], expected[seen]).pvalue > 1e-4


def test_mixed_outputs_each_follow_their_own_proportions():
    rng = np.random.default_rng(3)
    outputs = np.tile([50.0, 2500.0], 20_000)
    picks = projects.hosts(REVENUE, outputs, rng)
    for output in (50.0, 2500.0):
        counts = np.bincount(picks[outputs == output], minlength=len(REVENUE))
        expected = _expected(REVENUE, output) * 20_000
        seen = expected > 0
        assert counts[~seen].sum() == 0
        assert stats.chisquare(counts[seen], expected[seen]).pvalue > 1e-4


def test_each_project_takes_the_same_draws_whatever_the_firms():
    """The stream is left where it would be with other revenues (what it draws next stays common)."""
    outputs = np.array([50.0, 2500.0, 1e9])
    left = []
    for revenue in (REVENUE, REVENUE[::-1] * 0.01, np.zeros(3)):
        rng = np.random.default_rng(11)
        projects.hosts(revenue, outputs, rng, rounds=4)
        left.append(rng.random())
    assert left[0] == left[1] == left[2]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([0.0, 10.0, 250.0, 3000.0]), min_size=1, max_size=30),
       st.lists(st.sampled_from([1.0, 10.0, 300.0, 1e4]), max_size=10), st.integers(0, 2**32 - 1))
def test_a_host_is_large_enough_or_the_largest(revenue, outputs, seed):
    revenue, outputs = np.array(revenue), np.array(outputs)
    picks = projects.hosts(revenue, outputs, np.random.default_rng(seed))
    assert len(picks) == len(outputs)
    for pick, output in zip(picks, outputs):
        if (revenue >= output).any():
            assert revenue[pick] >= output and revenue[pick] > 0
        else:
            assert pick == np.argmax(revenue)  # the largest (the first of equals)


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 300), st.sampled_from([0, 1, 2, 16]), st.integers(1, 40),
       st.floats(0.0, 1.0))
def test_compiled_hosts_pick_what_numpy_picks(seed, n, rounds, k, dead_share):
    """The compiled draw over the live rows of a column (dead rows, zero and equal revenues, outputs
    beyond every firm) gives the rows numpy's gives from the live firms' revenues, draw for draw."""
    from simulation.processes import compiled

    rng = np.random.default_rng(seed)
    revenue = np.round(rng.lognormal(5, 2, n)) * (rng.random(n) < 0.8)  # whole numbers: ties in the sums
    revenue[rng.integers(0, n)] = revenue.max()  # the largest twice (the fallback's first of the largest)
    alive = rng.random(n) >= dead_share
    rows = np.flatnonzero(rng.random(n) < 0.7)  # the 规上 rows of the year
    outputs = rng.choice([1.0, 200.0, 5000.0, 1e12], k) * rng.random(k)
    u = projects.host_draws(rng, k, rounds)
    live, running, plain = compiled.live_running_revenue(rows, alive, revenue)
    assert plain and np.array_equal(live, rows[alive[rows]])
    assert np.cumsum(revenue[live]).tobytes() == running.tobytes()
    if len(live) == 0:
        return
    if running[-1] > 0:  # some draws land exactly on a running sum (a tie in the search)
        landing = running[rng.integers(0, len(live), u.shape)]
        on = landing / running[-1]
        u = np.where((on * running[-1] == landing) & (rng.random(u.shape) < 0.5), on, u)
    want = live[projects.hosts_at(revenue[live], outputs, u)]
    assert np.array_equal(compiled.host_picks(live, running, revenue, outputs, u, rounds), want)


def test_compiled_hosts_leave_a_nan_or_negative_revenue_to_numpy():
    from simulation.processes import compiled

    rows = np.arange(4)
    for odd in (np.nan, -1.0):
        assert not compiled.live_running_revenue(rows, np.ones(4, dtype=bool), np.array([1.0, odd, 2.0, 3.0]))[2]


def test_a_zero_land_upgrade_raises_its_hosts_use_by_its_own_quota(small):
    """A 零增地技改 project adds its output and its quota to the host, and the host's energy use
    (revenue × value-added rate × intensity) rises by that quota, not by the output at the host's
    older intensity; a host of two projects gets both."""
    from simulation.model import run_region

    region = run_region(small, 0)
    pop = region.pop
    rows = np.flatnonzero(pop.alive & pop.above)[:2]
    hosts = np.array([rows[0], rows[1], rows[0]])
    outputs, quotas = np.array([500.0, 800.0, 300.0]), np.array([40.0, 90.0, 25.0])

    def use(r):
        return pop.revenue[r] * pop.va_rate[r] * pop.intensity[r]

    before = {r: (use(r), pop.revenue[r], pop.quota[r]) for r in rows}
    region._upgrade_hosts(hosts, outputs, quotas)
    for r in rows:
        mine = hosts == r
        assert use(r) == pytest.approx(before[r][0] + quotas[mine].sum())
        assert pop.revenue[r] == pytest.approx(before[r][1] + outputs[mine].sum())
        assert pop.quota[r] == pytest.approx(before[r][2] + quotas[mine].sum())
