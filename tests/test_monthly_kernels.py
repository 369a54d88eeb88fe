"""Compiled monthly bookkeeping gives, bit for bit, what its numpy twin gives: numpy's pairwise sum,
and what leaves with exiting firms."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.processes import compiled, kernels

seeds = st.integers(0, 2**32 - 1)


@settings(max_examples=300, deadline=None)
@given(seeds, st.sampled_from([0, 1, 7, 8, 9, 127, 128, 129, 255, 256, 1000, 20_000]), st.integers(-3, 3), st.booleans())
def test_numpy_sum_is_numpys_pairwise_sum(seed, base, offset, awkward):
    """Lengths about numpy's block edges (8, 128 and their halvings); values of every size and sign
    (the order of additions shows in the last bits), zeros of both signs, NaN and inf when awkward."""
    rng = np.random.default_rng(seed)
    n = max(base + offset, 0)
    values = rng.lognormal(0, 4, n) * rng.choice([1.0, -1.0], n)
    values[rng.random(n) < 0.2] = rng.choice([0.0, -0.0, 1e300, 5e-324])
    if awkward:
        values[rng.random(n) < 0.05] = rng.choice([np.nan, np.inf, -np.inf])
    assert np.float64(compiled.numpy_sum(values)).tobytes() == values.sum().tobytes()
    negative_zeros = np.full(n, -0.0)
    assert np.float64(compiled.numpy_sum(negative_zeros)).tobytes() == negative_zeros.sum().tobytes()


@settings(max_examples=200, deadline=None)
@given(seeds, st.integers(0, 400), st.integers(0, 200))
def test_exit_rows(seed, n, leaving):
    """What leaves (the same sums, bit for bit, and counts per tier), and the rows marked gone."""
    rng = np.random.default_rng(seed)
    land = np.where(rng.random(n) < 0.3, 0.0, rng.lognormal(2, 2, n))
    quota = np.where(rng.random(n) < 0.3, rng.choice([0.0, -0.0], n), rng.lognormal(5, 3, n))
    cert, above = rng.choice([0, 0, 0, 1, 2, 3, 4, 5], n).astype(np.int8), rng.random(n) < 0.3
    rows = np.sort(rng.choice(n, min(leaving, n), replace=False)).astype(np.int64)
    columns = (rng.random(n) < 0.9, rng.lognormal(5, 2, n), rng.uniform(0, 0.1, n), land, quota)
    twins = [tuple(c.copy() for c in columns) for _ in range(2)]
    got = compiled.exit_rows(rows, *twins[0], cert, above, 7)
    want = kernels.exit_rows(rows, *twins[1], cert, above, 7)
    assert np.float64(got[0]).tobytes() == np.float64(want[0]).tobytes() == np.float64(land[rows].sum()).tobytes()
    assert np.float64(got[1]).tobytes() == np.float64(want[1]).tobytes()
    assert np.array_equal(got[2], want[2]) and got[2].sum() == len(rows)
    for a, b in zip(*twins, strict=True):
        assert a.tobytes() == b.tobytes()
    alive, revenue, hazard, held, quotas = twins[0]
    assert not alive[rows].any() and not revenue[rows].any() and not held[rows].any() and not quotas[rows].any()
    others = np.setdiff1d(np.arange(n), rows)
    assert np.array_equal(held[others], land[others])  # only the leaving rows change
