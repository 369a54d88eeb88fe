"""The compiled monthly loops give, bit for bit, what the numpy expressions they replace give."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.draws import FirmDraws
from simulation.processes import kernels

seeds = st.integers(0, 2**32 - 1)
sizes = st.integers(0, 400)


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal as bits (so -0.0 differs from 0.0, and NaN equals NaN)."""
    return a.shape == b.shape and bool(np.array_equal(a.view(np.uint64), b.view(np.uint64)))


def _columns(seed: int, n: int) -> dict[str, np.ndarray]:
    """Firm columns with the awkward cases: dead rows, zero quota and revenue, quota above use."""
    rng = np.random.default_rng(seed)
    zero = rng.random(n) < 0.2
    return {
        "ytd": np.where(zero, 0.0, rng.lognormal(8, 2, n)),
        "revenue": np.where(rng.random(n) < 0.2, 0.0, rng.lognormal(7, 2, n)),
        "va_rate": rng.uniform(0.05, 0.5, n),
        "intensity": rng.lognormal(-1, 1, n),
        "quota": np.where(rng.random(n) < 0.2, 0.0, rng.lognormal(5, 3, n)),
        "alive": rng.random(n) < 0.8,
    }


@settings(max_examples=60, deadline=None)
@given(seeds, sizes, st.integers(0, 2**40), st.integers(0, 120))
def test_uniforms_are_firm_draws(seed, n, first_id, month):
    draws = FirmDraws(np.random.SeedSequence(seed))
    ids = first_id + np.sort(np.random.default_rng(seed).choice(10 * n + 1, n, replace=False)).astype(np.int64)
    assert _same(kernels.uniforms(draws.start("exit", month), ids), draws.uniform(ids, "exit", month))


@settings(max_examples=60, deadline=None)
@given(seeds, sizes, st.integers(0, 120))
def test_accrue_and_exit_is_the_numpy_step(seed, n, month):
    rng = np.random.default_rng(seed)
    draws = FirmDraws(np.random.SeedSequence(seed))
    ids = np.cumsum(rng.integers(1, 5, n)).astype(np.int64)
    ytd, revenue, hazard = rng.lognormal(5, 2, n), rng.lognormal(5, 2, n), rng.uniform(0, 0.3, n)
    want_ytd = ytd + revenue
    want = np.flatnonzero(draws.uniform(ids, "exit", month) < hazard)
    got = kernels.accrue_and_exit(ytd, revenue, ids, hazard, draws.start("exit", month))
    assert _same(ytd, want_ytd)
    assert np.array_equal(got, want) and got.dtype == np.int64


@settings(max_examples=60, deadline=None)
@given(seeds, sizes, st.integers(1, 11))
def test_look_ahead_is_the_numpy_projection(seed, n, months_done):
    c = _columns(seed, n)
    left = (12 - months_done) / 12.0
    per_revenue = c["va_rate"] * c["intensity"]
    used = c["ytd"] / 12.0 * per_revenue * c["alive"]
    rate = c["revenue"] * per_revenue * c["alive"]
    projected = used + rate * left
    claims = np.maximum(projected - c["quota"], 0.0) * c["alive"]
    got = kernels.look_ahead(c["ytd"], c["revenue"], c["va_rate"], c["intensity"], c["quota"], c["alive"], left)
    for g, w in zip(got, (per_revenue, used, rate, projected, claims)):
        assert _same(g, w)


@settings(max_examples=60, deadline=None)
@given(seeds, sizes, st.floats(0.0, 1.0))
def test_grant_and_short_is_the_numpy_update(seed, n, scale):
    c = _columns(seed, n)
    rng = np.random.default_rng(seed + 1)
    claims = np.where(rng.random(n) < 0.5, 0.0, rng.lognormal(3, 2, n))
    granted = claims * rng.uniform(0, 1, n) * (rng.random(n) < 0.7)
    rate = np.where(rng.random(n) < 0.3, rng.uniform(0, 1, n), rng.lognormal(3, 2, n))
    want_granted = granted * scale
    want_quota = c["quota"] + want_granted
    want_short = claims - want_granted
    want_rows = np.flatnonzero(want_short > 1e-9 * np.maximum(rate, 1.0))
    quota = c["quota"].copy()
    short, rows = kernels.grant_and_short(granted, scale, quota, claims, rate)
    assert _same(granted, want_granted) and _same(quota, want_quota) and _same(short, want_short)
    assert np.array_equal(rows, want_rows)
