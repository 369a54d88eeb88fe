"""Shortcuts in the fixed cost of a replication: each gives what the long way gives."""

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.experiments.replicate import _target_rows, run_replications
from simulation.model import Region, simulate
from simulation.processes.grading import _cuts, _kth_smallest
from simulation.targets import evaluate_targets

shares = st.floats(0.0, 1.0) | st.sampled_from([0.0, 0.05, 0.1, 0.125, 0.2, 0.25, 0.3, 0.5, 1.0])


@settings(max_examples=500, deadline=None)
@given(st.tuples(shares, shares, shares), st.integers(0, 10**6) | st.integers(0, 40))
def test_grade_cuts_are_numpys_rounded_cumulative_shares(bands, n):
    want = [int(min(max(bound, 0), n)) for bound in np.round(np.cumsum(bands) * n)]
    got = _cuts(bands, n)
    assert got == want and all(type(k) is int for k in got)


keys = st.lists(st.sampled_from([0.0, -0.0, 1.0, -1.0, 2.5, np.nan, np.inf]) | st.floats(-1e3, 1e3),
                min_size=0, max_size=60)


@settings(max_examples=500, deadline=None)
@given(keys, st.lists(st.integers(-2, 62), min_size=0, max_size=4))
def test_kth_smallest_in_one_partition_is_each_partitions_own(values, ks):
    key = np.array(values, dtype=float)
    want = [np.partition(key, k - 1)[k - 1] if 0 < k < len(key) else 0.0 for k in ks]
    got = _kth_smallest(key, ks)
    assert len(got) == len(want)
    for g, w in zip(got, want):  # the same value (a zero may come back with the other sign: equal)
        assert g == w or (np.isnan(g) and np.isnan(w))


def test_the_calendar_fires_on_its_dates(small, monkeypatch):
    """Month ends, remediation, certification, auctions and the energy look-ahead happen at the
    times the calendar gives them, in time order, each once."""
    fired: list[tuple[str, float]] = []
    for name in ("_month_end", "_remediate", "_certify", "_auction", "_look_ahead"):
        original = getattr(Region, name)

        def wrapped(self, *args, _name=name, _original=original):
            fired.append((_name, self.env.now))
            return _original(self, *args)

        monkeypatch.setattr(Region, name, wrapped)
    simulate(small, 3)
    base, years = small.base_year, small.years

    def at(year, month, phase):
        return 12.0 * (year - base - 1) + (month - 1) + phase

    def times(name):
        return [t for n, t in fired if n == name]

    assert times("_month_end") == [float(k) for k in range(1, 12 * len(years) + 1)]
    assert times("_remediate") == [at(y, small.levers.remediation.month.at(0), 0.3) for y in years]
    assert times("_certify") == [at(y, small.parameters.certification.month.at(0), 0.4) for y in years]
    assert times("_look_ahead") == [at(y, m + 1, 0.05) for y in years for m in range(1, 12)]
    supply = small.levers.land_supply
    assert times("_auction") == [at(y, 1 + 12 * (k + 0.5) / n, 0.0) for y in years
                                 for n in [int(supply.auctions_per_year.at(y))] for k in range(n)]
    assert [t for _, t in fired] == sorted(t for _, t in fired)


def test_targets_read_from_their_rows_are_the_targets_of_all_rows(small):
    run = run_replications(small, 6, seed=4, workers=1)
    rows = _target_rows(run.indicators, small)
    assert len(rows) < len(run.indicators)
    pd.testing.assert_frame_equal(evaluate_targets(rows, small), evaluate_targets(run.indicators, small),
                                  check_exact=True)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 40), st.integers(0, 2**32 - 1))
def test_a_batchs_route_counts_are_its_firms_per_route(zhenhai, capacity, seed):
    """Each route's count is the number of firms the batch sent that way: merged and closed rows,
    and the upgraded and regularised firms (their D streaks reset), adding up to the batch."""
    from simulation.draws import FirmDraws
    from simulation.population import Population
    from simulation.processes.remediation import ROUTES, remediate_d_grade
    from simulation.tiers import GRADE_D, Route

    rng = np.random.default_rng(seed)
    n = 30
    pop = Population.new(n, alive=True, revenue=rng.uniform(100, 1e4, n), va_rate=0.2, land=rng.uniform(0, 50, n),
                         quota=rng.uniform(0, 500, n), intensity=0.5)
    pop.grade[:] = rng.integers(0, 4, n)
    pop.d_streak[:] = np.where(pop.grade == GRADE_D, 1 + rng.integers(0, 3, n), 0)
    listed = int(np.count_nonzero(pop.grade == GRADE_D))
    out = remediate_d_grade(pop, capacity, zhenhai.levers.remediation.routes, zhenhai.parameters.route_effects,
                            2022, FirmDraws(np.random.SeedSequence(seed)))
    assert list(out.counts) == list(ROUTES) and all(type(c) is int for c in out.counts.values())
    assert sum(out.counts.values()) == min(capacity, listed)
    assert out.counts[Route.MERGE] == len(out.merged) and out.counts[Route.CLOSE] == len(out.closed)
    kept_in_place = out.counts[Route.UPGRADE] + out.counts[Route.REGULARISE]
    assert int(np.count_nonzero((pop.grade == GRADE_D) & (pop.d_streak == 0))) == kept_in_place


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**32 - 1), st.floats(0.0, 1.0))
def test_measure_gives_each_indicators_formula(seed, empty_share):
    """The plain indicators read in one pass equal their formulas (bits, NaN for NaN), on years
    with counters missing, zeros and last year's values."""
    from simulation.books import COUNTERS
    from simulation.indicators import INDICATORS, Snapshot, measure, population_aggregates
    from simulation.population import Population

    rng = np.random.default_rng(seed)
    pop = Population.new(50, alive=True, above=rng.random(50) < 0.5, revenue=rng.lognormal(5, 1, 50), va_rate=0.2)
    values = population_aggregates(pop, pop.revenue) | {
        key: float(rng.choice([0.0, rng.lognormal(5, 2)]))
        for key in ("land_total", "land_held", "land_free", "energy_cap", "energy_allocated", "capex", "carbon_factor",
                    "projects_waiting", "land_waiting", "land_clearing", "land_freed_total", "energy_freed_total",
                    "va_all_prev")}
    counts = {name: float(rng.lognormal(3, 2)) for name in COUNTERS if rng.random() >= empty_share}
    prev = {name: float(rng.lognormal(3, 1)) for name in INDICATORS if rng.random() < 0.8}
    snapshot = Snapshot(2023, values, counts, prev)
    measured = measure(snapshot)
    assert list(measured) == list(INDICATORS)
    for name, ind in INDICATORS.items():
        want = float(ind.formula(snapshot))
        assert np.float64(measured[name]).tobytes() == np.float64(want).tobytes(), name
