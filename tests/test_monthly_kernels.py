"""The compiled 零增地 host pick gives, bit for bit, what its numpy twin gives (which is the
stable-sort definition: firms by revenue, ties by row)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.processes import compiled, kernels

seeds = st.integers(0, 2**32 - 1)


def _revenues(rng: np.random.Generator, n: int, awkward: bool) -> np.ndarray:
    """Revenues with ties (a few round values), zeros and -0.0; NaN too when ``awkward``."""
    values = np.where(rng.random(n) < 0.3, rng.choice([0.0, -0.0, 2000.0, 5000.0], n), rng.lognormal(8, 1.5, n))
    if awkward:
        values[rng.random(n) < 0.1] = np.nan
    return values


@settings(max_examples=200, deadline=None)
@given(seeds, st.integers(0, 300), st.floats(0.0, 1.0), st.booleans())
def test_host_candidates(seed, n, above_share, awkward):
    rng = np.random.default_rng(seed)
    revenue, alive, above = _revenues(rng, n, awkward), rng.random(n) < 0.9, rng.random(n) < above_share
    rows, values = compiled.host_candidates(revenue, alive, above)
    want_rows, want_values = kernels.host_candidates(revenue, alive, above)
    assert np.array_equal(rows, want_rows) and rows.dtype == want_rows.dtype
    assert values.tobytes() == want_values.tobytes()


@settings(max_examples=300, deadline=None)
@given(seeds, st.integers(1, 300), st.integers(0, 12), st.booleans())
def test_host_ranks(seed, n, projects, awkward):
    rng = np.random.default_rng(seed)
    values = _revenues(rng, n, awkward)
    ordered = np.sort(values)
    # outputs below, at and above the values (at a tie, beyond the largest, 0, NaN when awkward)
    outputs = np.where(rng.random(projects) < 0.3, rng.choice(values, projects), rng.lognormal(8, 2, projects))
    outputs[rng.random(projects) < 0.1] = np.nan if awkward else 1e12
    u = rng.random(projects)
    u[rng.random(projects) < 0.2] = 0.0
    got = compiled.host_ranks(values, ordered, outputs, u)
    want = kernels.host_ranks(values, ordered, outputs, u)
    assert np.array_equal(got, want) and got.dtype == want.dtype


def test_host_ranks_break_ties_by_position():
    """Equal revenues: the pick lands on the run of ties; each rank is the next position holding it."""
    values = np.array([5.0, 1.0, 5.0, 3.0, 5.0])
    ordered = np.sort(values)  # 1, 3, 5, 5, 5
    outputs = np.array([4.0, 4.0, 4.0])  # only the 5s are eligible: weights 9, 14, 19 above 4
    u = np.array([0.0, 0.5, 0.99])  # targets 4, 11.5, 18.85: ranks 2, 3, 4
    for step in (compiled, kernels):
        assert step.host_ranks(values, ordered, outputs, u).tolist() == [0, 2, 4]
