"""The base year's figures: what the written-out formulas give, with the same draws."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import ndtr, ndtri

from simulation.draws import lognormal_below
from simulation.loader import load_scenario, with_overrides
from simulation.population import _base_ages, _scaled_rates
from simulation.processes.certificates_init import (
    _granted_years,
    high_tech_by_value_added,
    initial_certificates,
    ladder_certificates,
)
from simulation.tiers import FIRST_LIST_YEAR, high_tech_rd_floor

ROOT = Path(__file__).resolve().parents[1]

seeds = st.integers(0, 2**32 - 1)


@settings(max_examples=150, deadline=None)
@given(seeds, st.lists(st.integers(0, 4), max_size=80), st.sampled_from([2015, 2018, 2020, 2024]), st.integers(1, 6))
def test_granted_years_lie_in_the_last_term_and_not_before_the_first_list(seed, levels, base_year, term):
    cert = np.array(levels, dtype=np.int8)
    draws = np.random.default_rng(seed).integers(0, term, len(cert))
    want = np.where(cert > 0, base_year - draws, 0)
    for level, first in FIRST_LIST_YEAR.items():
        held = cert == level
        want[held] = np.maximum(want[held], min(first, base_year))
    got = _granted_years(cert, base_year, term, np.random.default_rng(seed))
    assert got.dtype == want.dtype and np.array_equal(got, want)


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and bool(np.array_equal(a.view(np.uint8), b.view(np.uint8)))


@settings(max_examples=150, deadline=None)
@given(seeds, st.integers(0, 300), st.floats(0.001, 0.9), st.floats(0.0, 3.0))
def test_scaled_rates_are_the_clipped_lognormal_draws(seed, n, mean, disp):
    want = np.clip(mean * np.exp(-disp**2 / 2 + disp * np.random.default_rng(seed).standard_normal(n)), 1e-4, 0.95)
    assert _same(_scaled_rates(n, mean, disp, np.random.default_rng(seed)), want)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # no firms: the mean of nothing, as the formula has it
@settings(max_examples=150, deadline=None)
@given(seeds, st.lists(st.sampled_from([0.0, 0.5, 1.0, 3.0, 2000.0, 1e7]) | st.floats(0.0, 1e8), max_size=80),
       st.floats(1.0, 40.0))
def test_base_ages_are_the_written_out_formula(seed, revenues, median):
    """Revenues below 1万元 (floored), equal revenues (no spread), ages clipped at both ends."""
    revenue = np.array(revenues, dtype=float)
    rng = np.random.default_rng(seed)
    log_size = np.log(np.maximum(revenue, 1.0))
    z = (log_size - log_size.mean()) / max(log_size.std(), 1e-9) if len(revenue) else log_size
    want = np.clip(np.round(median * np.exp(0.3 * z + 0.6 * rng.standard_normal(len(revenue)))), 1, 60).astype(np.int64)
    assert _same(_base_ages(revenue, median, np.random.default_rng(seed)), want)


@settings(max_examples=150, deadline=None)
@given(seeds, st.integers(0, 300), st.floats(10.0, 5000.0), st.floats(0.2, 4.0))
def test_revenues_below_the_line_are_the_written_out_formula(seed, n, median, sigma):
    threshold = 2000.0
    top = ndtr(np.log(threshold / median) / sigma)
    u = np.random.default_rng(seed).random(n) * top
    want = np.minimum(median * np.exp(sigma * ndtri(np.clip(u, 1e-12, 1.0))), threshold * 0.999)
    assert _same(lognormal_below(n, median, sigma, threshold, np.random.default_rng(seed)), want)


@pytest.fixture(scope="module")
def ningbo():
    return load_scenario(ROOT / "scenarios" / "ningbo_2020_2022.yaml")


@settings(max_examples=40, deadline=None)
@given(seeds, st.sampled_from([0, 1, 150, 299, 300, 301, 5000]))
def test_value_added_pick_takes_the_size_of_the_ladder_pick(ningbo, seed, count):
    """With a value-added share, the 高新技术企业 are as many as the ladder's pick by rank would have
    marked (the count, or everyone if fewer), with the same draws: the pick itself is skipped."""
    scenario = with_overrides(ningbo, {"population.certified.high_tech": count})
    rng = np.random.default_rng(seed)
    n = 300
    revenue, employees, rd = rng.lognormal(7.5, 1.5, n), rng.lognormal(4.0, 1.0, n), rng.lognormal(-3.5, 0.8, n)
    value_added, is_above = revenue * 0.2, revenue >= 2000.0
    got = initial_certificates(scenario, revenue, employees, value_added, rd, is_above, np.random.default_rng(seed))
    draws = np.random.default_rng(seed)
    floor = high_tech_rd_floor(revenue)
    cert, cert_year, by_rank = ladder_certificates(scenario, revenue, employees, rd, is_above, draws, floor)
    share = scenario.population.certified.high_tech_value_added_share.at(0) / 100
    high_tech = high_tech_by_value_added(by_rank.sum(), share, value_added, rd, is_above, draws)
    assert high_tech.sum() == min(count, n)
    for a, b in zip(got[:3], (cert, cert_year, high_tech)):
        assert _same(a, b)


def test_named_plants_grow_with_the_trend(zhenhai):
    """A named plant draws no drift of its own: the trend is solved over 规上 revenue, so the
    refinery's drift (28% of the output) would move every other firm's growth the other way.
    Every other firm keeps its own."""
    from simulation.population import initial_population

    named = len(zhenhai.population.large_firms)
    for seed in range(3):
        drift = initial_population(zhenhai, np.random.default_rng(seed)).drift
        assert named > 0 and not drift[:named].any()
        assert drift[named:].std() == pytest.approx(zhenhai.parameters.growth.heterogeneity.at(0), rel=0.1)
