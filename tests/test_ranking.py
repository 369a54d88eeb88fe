"""Partial ranking gives what a full stable sort gives (ties by position, NaN last)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.processes import kernels
from simulation.processes.ranking import RADIX_FROM, kth_smallests, rank_bands, smallest

keys = st.lists(st.sampled_from([0.0, -0.0, 1.0, 1.5, 2.0, -3.0, np.nan, 7.25]) | st.floats(-5, 5), max_size=60)


@settings(max_examples=300, deadline=None)
@given(keys, st.integers(0, 70))
def test_smallest_is_the_head_of_a_stable_sort(values, k):
    key = np.array(values, dtype=float)
    assert np.array_equal(smallest(key, k), np.argsort(key, kind="stable")[:k])


@settings(max_examples=300, deadline=None)
@given(keys, st.lists(st.integers(-2, 70), min_size=1, max_size=4))
def test_bands_are_those_of_the_stable_rank(values, bounds):
    key = np.array(values, dtype=float)
    bounds = sorted(bounds)
    rank = np.empty(len(key), dtype=np.int64)
    rank[np.argsort(key, kind="stable")] = np.arange(len(key))
    want = sum((rank >= b).astype(np.int64) for b in bounds) if len(key) else np.zeros(0, dtype=np.int64)
    assert np.array_equal(rank_bands(key, bounds), want)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([0.0, 1.0, 2.5, -1.0]), st.booleans()), max_size=50), st.integers(0, 60))
def test_rules_first_is_the_head_of_the_lexsort(rows, k):
    from simulation.processes.certificates_init import _rules_first

    merit = np.array([m for m, _ in rows], dtype=float)
    fits = np.array([f for _, f in rows], dtype=bool)
    assert np.array_equal(_rules_first(merit, fits, k), np.lexsort((-merit, ~fits))[:k])


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.booleans()), min_size=1, max_size=40))
def test_tier_counts_are_those_of_the_labels(firms):
    from simulation.model import tier_counts
    from simulation.population import Population
    from simulation.tiers import CERT_LABELS, Cert

    pop = Population.new(len(firms), cert=[c for c, _ in firms], above=[a for _, a in firms])
    rows = np.arange(len(firms))
    named = [CERT_LABELS[Cert(c)] if c else ("规上" if a else "规下") for c, a in firms]
    labels, counts = np.unique(np.array(named, dtype=object), return_counts=True)
    assert tier_counts(pop, rows) == [(str(t), int(n)) for t, n in zip(labels, counts)]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([0.0, 1.0, 2.5, -1.0]), st.booleans(), st.booleans()), max_size=50),
       st.integers(0, 60))
def test_rules_first_among_open_positions_is_the_head_of_their_lexsort(rows, k):
    from simulation.processes.certificates_init import _rules_first

    merit = np.array([m for m, _, _ in rows], dtype=float)
    fits = np.array([f for _, f, _ in rows], dtype=bool)
    open_ = np.array([o for _, _, o in rows], dtype=bool)
    free = np.flatnonzero(open_)
    want = free[np.lexsort((-merit[free], ~fits[free]))[:k]]
    assert np.array_equal(_rules_first(merit, fits, k, open_), want)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([0.0, -0.0, 1.0, 1.5, -3.0, np.inf, -np.inf, 5e-324, -5e-324, 7.25])
                | st.floats(-1e300, 1e300), min_size=1, max_size=80),
       st.lists(st.integers(0, 10**6), min_size=1, max_size=4))
def test_kth_smallests_by_histogram_are_numpys_order_statistics(values, ranks):
    """The histogram select at any size (its threshold lowered to one value), compiled: the values
    numpy's partition puts at the ranks (equal values: -0.0 and +0.0 compare equal), signs,
    infinities and subnormals included, whether the histogram answers or hands over to numpy."""
    from unittest import mock

    from simulation.processes import ranking

    x = np.array(values, dtype=float)
    ks = sorted({r % len(x) for r in ranks})
    with kernels.pinned(True), mock.patch.object(ranking, "RADIX_FROM", 1):
        got = kth_smallests(x, ks)
    assert np.array_equal(np.array(got), np.partition(x, ks)[ks])


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from([1, 3, 10**9, None]), st.booleans())
def test_kth_smallests_at_scale_clustered_or_with_nan(seed, levels, with_nan):
    """Large arrays through the wrapper, compiled: values in one bin (ties at every rank, or all
    distinct) or spread over many orders of magnitude and both signs; a NaN anywhere hands the
    question to numpy (NaN last)."""
    rng = np.random.default_rng(seed)
    n = RADIX_FROM * 3
    if levels is None:
        x = rng.lognormal(0.0, 30.0, n) * rng.choice([-1.0, 1.0], n)
    else:
        x = 100.0 + rng.integers(0, levels, n) * 1e-9
    if with_nan:
        x[rng.integers(0, len(x), 5)] = np.nan
    ks = sorted({int(k) for k in rng.integers(0, len(x), 3)})
    with kernels.pinned(True):
        got = kth_smallests(x, ks)
    want = np.partition(x, ks)[ks]
    assert np.array_equal(np.array(got), want, equal_nan=True)
    if levels is None and not with_nan:  # spread over many bins: the histogram answers, not numpy
        from simulation.processes import compiled

        assert np.array_equal(compiled.kth_smallests(x, np.array(ks, dtype=np.int64)), want)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([0.0, -1.0, 2.0, np.nan]) | st.floats(-5, 5), min_size=1, max_size=60),
       st.integers(1, 60), st.booleans())
def test_nearest_seedlings_are_argpartitions_set(values, k, large):
    """The 高新技术苗子 pick: the same set of positions as argpartition's, ties and NaN included;
    ``large``: the values repeated past the histogram's threshold, the compiled steps on."""
    from simulation.processes.certification import _nearest

    key = np.array(values, dtype=float)
    if large:
        key = np.tile(key, RADIX_FROM // len(key) + 1) + np.repeat(np.arange(RADIX_FROM // len(key) + 1), len(key))
    k = min(k, len(key))
    with kernels.pinned(large):
        got = _nearest(key, k)
    assert np.array_equal(np.sort(got), np.sort(key.argpartition(k - 1)[:k]))


def test_ranks_outside_the_values_are_refused_as_numpy_refuses_them():
    """The compiled select reads no rank it was not built for: a rank past the end, a negative one
    or ranks out of order go to numpy's partition, which raises or counts from the end as it does."""
    x = np.random.default_rng(0).lognormal(0.0, 2.0, RADIX_FROM * 2)
    with kernels.pinned(True):
        with pytest.raises(ValueError):
            kth_smallests(x, [len(x)])
        assert kth_smallests(x, [-1]) == [np.partition(x, -1)[-1]]
        assert kth_smallests(x, [9, 3]) == [np.partition(x, [3, 9])[9], np.partition(x, [3, 9])[3]]
