"""The year's start by the compiled loops gives, bit for bit, what the numpy code gives: Laplace
draws, growth, employment, the exit hazard and the R&D drift, on populations with the awkward
cases (dead rows, zero revenue, revenue at 1 万元 and at the 2,000万 line, firms entering after the
year, every certificate level and grade, hazards clipped at 0.9, a single firm, no firm)."""

from __future__ import annotations

import functools
import math
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from threadpoolctl import ThreadpoolController, threadpool_info

from simulation.draws import FirmDraws
from simulation.loader import load_scenario, with_overrides
from simulation.population import COLUMNS, Population
from simulation.processes import certification, growth
from simulation.tiers import GRADE_D

from .twins import compiled_steps, on_both

ZHENHAI = load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / "zhenhai_2021_2025.yaml")
THRESHOLD = ZHENHAI.parameters.statistics.above_scale_threshold.at(2021)

seeds = st.integers(0, 2**32 - 1)
sizes = st.integers(0, 300)
years = st.integers(2021, 2025) | st.integers(2021, 2025).map(np.int64)  # a numpy year promotes otherwise
# exponents with numpy's own shortcuts for ``**`` (0.5, 1, 2, 0) among them
elasticities = st.sampled_from([0.0, 0.5, 1.0, 0.37])
exit_elasticities = st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.0, 0.61])


@functools.cache
def _params(volatility_elasticity: float, size_elasticity: float, age_elasticity: float, share: float):
    return with_overrides(ZHENHAI, {
        "parameters.growth.volatility_size_elasticity": volatility_elasticity,
        "parameters.growth.transitory_share": share,
        "parameters.exit.size_elasticity": size_elasticity,
        "parameters.exit.age_elasticity": age_elasticity,
    }).parameters


def _same(a, b) -> bool:
    """Equal as bits (so -0.0 differs from 0.0)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and bool(np.array_equal(a.view(np.uint64), b.view(np.uint64)))


def _population(seed: int, n: int, alive_share: float, above_share: float) -> Population:
    rng = np.random.default_rng(seed)
    revenue = rng.lognormal(7, 2.5, n)
    revenue[rng.random(n) < 0.1] = 0.0
    revenue[rng.random(n) < 0.05] = 1.0  # size 1 万元: log of the floor is 0
    revenue[rng.random(n) < 0.05] = THRESHOLD  # at the line: the size effect's kink, log size 0
    return Population.new(
        n,
        alive=rng.random(n) < alive_share,
        above=rng.random(n) < above_share,
        cert=rng.integers(0, 5, n),
        high_tech=rng.random(n) < 0.3,
        sector=rng.integers(0, 4, n),
        entry_year=rng.integers(1950, 2027, n),  # some after the year: age 0
        revenue=revenue,
        revenue_prev=revenue * rng.lognormal(0, 0.2, n),
        employees=np.maximum(rng.lognormal(3, 1.5, n), 1.0),
        rd=rng.lognormal(-3.5, 1, n),
        drift=rng.normal(0, 0.05, n) * (rng.random(n) < 0.9),  # with -0.0
        transitory=rng.normal(0, 0.1, n) * (rng.random(n) < 0.8),
        grade=rng.choice([0, 1, 2, 3, GRADE_D], n),
        hazard_month=rng.uniform(0, 0.01, n),
    )


def _same_population(a: Population, b: Population) -> bool:
    return all(np.array_equal(getattr(a, name).view(np.uint8), getattr(b, name).view(np.uint8)) for name in COLUMNS)


@settings(max_examples=60, deadline=None)
@given(seeds, sizes, st.integers(0, 2**40), years)
def test_laplace_draws(seed, n, first_id, year):
    draws = FirmDraws(np.random.SeedSequence(seed))
    ids = first_id + np.sort(np.random.default_rng(seed).choice(10 * n + 1, n, replace=False)).astype(np.int64)
    with compiled_steps(False):
        want = draws.laplace(ids, "growth", year)
    with compiled_steps(True):
        assert _same(draws.laplace(ids, "growth", year), want)


@settings(max_examples=80, deadline=None)
@given(seeds, sizes, st.sampled_from([0.0, 0.5, 1.0]), st.sampled_from([0.0, 0.3, 1.0]), years, elasticities,
       st.sampled_from([0.0, 0.3, 0.9]), st.sampled_from(["none", "scalar", "array"]))
def test_grow_year(seed, n, alive_share, above_share, year, elasticity, share, boost):
    """Revenue, transitory shock and log growth; with no 规上 firm alive (the weights fall back to all
    live firms) and with none alive at all (no trend correction)."""
    params = _params(elasticity, 1.0, 1.0, share)
    rng = np.random.default_rng(seed + 1)
    shocks = growth.CommonShocks(region=rng.normal(0, 0.05), variance=0.002, sectors=rng.normal(0, 0.05, 4))
    pool_boost = {"none": 0.0, "scalar": 0.03, "array": np.where(rng.random(n) < 0.3, 0.02, 0.0)}[boost]
    draws = FirmDraws(np.random.SeedSequence(seed))
    pop = _population(seed, n, alive_share, above_share)
    (a, log_a), (b, log_b) = on_both(pop, lambda p: growth.grow_year(p, params, year, draws, shocks, pool_boost=pool_boost))
    assert _same(log_a, log_b) and _same_population(a, b)


@settings(max_examples=80, deadline=None)
@given(seeds, sizes, st.sampled_from([0.0, 0.5, 1.0]), years, exit_elasticities, exit_elasticities,
       st.floats(0.0, 1.0))
def test_exit_hazard(seed, n, alive_share, year, size_elasticity, age_elasticity, first_share):
    """Yearly hazards and the monthly ones set from ``first_row`` on (the rows above untouched),
    large ones clipped at 0.9 (small firms at elasticity 3)."""
    params = _params(0.3, size_elasticity, age_elasticity, 0.3)
    pop = _population(seed, n, alive_share, 0.3)
    first = int(first_share * n)
    (a, expected_a), (b, expected_b) = on_both(pop, lambda p: growth.set_exit_hazard(p, params, year, first_row=first))
    assert _same(expected_a, expected_b) and _same_population(a, b)
    (_, yearly_a), (_, yearly_b) = on_both(pop, lambda p: growth.yearly_hazard(p, params, year))
    assert _same(yearly_a, yearly_b)


@settings(max_examples=60, deadline=None)
@given(seeds, sizes, years, st.booleans())
def test_rd_drift(seed, n, year, pools):
    """R&D intensity after a year's drift, with the cultivation pools' effort and without."""
    levers = ZHENHAI.levers.cultivation if pools else None
    draws = FirmDraws(np.random.SeedSequence(seed))
    pop = _population(seed, n, 0.9, 0.3)
    pop.rd[np.random.default_rng(seed).random(n) < 0.1] = 0.6  # capped at 0.5
    (a, _), (b, _) = on_both(pop, lambda p: certification.evolve_rd(p, ZHENHAI.parameters.certification, year, draws, levers))
    assert _same_population(a, b)


@settings(max_examples=40, deadline=None)
@given(seeds, sizes, st.floats(0.0, 1.5))
def test_employment_follows_output(seed, n, elasticity):
    """In place, the same numbers as ``max(employees * exp(elasticity * log growth), 1)``."""
    params = with_overrides(ZHENHAI, {"parameters.growth.employment_elasticity": elasticity}).parameters
    pop = _population(seed, n, 0.8, 0.3)
    log_growth = np.random.default_rng(seed).normal(0, 0.5, n) * (pop.alive)
    want = np.maximum(pop.employees * np.exp(elasticity * log_growth), 1.0)
    growth.update_employment(pop, log_growth, params, 2022)
    assert _same(pop.employees, want)


def _numpys_openblas():
    """threadpoolctl's controller of numpy's OpenBLAS, or None."""
    numpys = [lib["filepath"] for lib in threadpool_info() if lib["internal_api"] == "openblas"
              and lib["filepath"].startswith(os.path.dirname(np.__file__))]
    return ThreadpoolController().select(filepath=numpys[0]) if len(numpys) == 1 else None


@settings(max_examples=40, deadline=None)
@given(seeds, st.sampled_from([0, 1, 9_999, 10_000, 10_001, 10_002, 57_699, 123_457]), st.booleans(),
       st.integers(1, 4))
def test_growth_trend_sum_ignores_blas_threads(seed, n, with_zeros, threads):
    """The trend's weighted total has the same bits with BLAS on 1-4 threads (Dask's workers run it
    on one), below and above the length where OpenBLAS splits a dot product among its threads, and
    is the exact sum of the products to within the pairwise sum's rounding."""
    controller = _numpys_openblas()
    if controller is None:
        pytest.skip("numpy's BLAS is no OpenBLAS here")
    rng = np.random.default_rng(seed)
    a, b = rng.lognormal(0, 3, n), rng.lognormal(0, 1, n)
    if with_zeros:
        a[rng.random(n) < 0.5] = 0.0
    with controller.limit(limits=1):
        want = growth.weighted_total(a, b)
    with controller.limit(limits=threads):
        assert _same(np.float64(growth.weighted_total(a, b)), np.float64(want))
    exact = math.fsum((a * b).tolist())
    assert abs(want - exact) <= 64 * np.finfo(float).eps * max(exact, 1e-300)  # positive terms: relative


@pytest.mark.slow
def test_a_city_replication_is_the_same_whatever_openblas_threads():
    """Ningbo (58,500 firms: growth's trend is a dot product OpenBLAS would split among its threads)
    gives the same indicators, flows and ledger with OpenBLAS on one thread, as in Dask's workers,
    on two and on three."""
    from simulation.model import simulate

    controller = _numpys_openblas()
    if controller is None:
        pytest.skip("numpy's BLAS is no OpenBLAS here")
    scenario = load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / "ningbo_2020_2022.yaml")
    runs = []
    for threads in (1, 2, 3):
        with controller.limit(limits=threads):
            runs.append(simulate(scenario, 0))
    for run in runs[1:]:
        for table in ("indicators", "flows", "ledger"):
            assert getattr(runs[0], table).equals(getattr(run, table)), table
