"""The year's end in compiled passes gives, bit for bit, what its numpy twin gives.

Each test runs one December step twice on copies of the same firms, once with the compiled passes
and once with numpy (the choice :func:`simulation.processes.kernels.compiled_for` makes by size),
and compares every column, outcome and ledger row as bits. The firms carry the awkward cases:
dead rows, zero and tiny plots, tied measures, NaN, -0.0, a D streak about to wrap, empty groups.
"""

from __future__ import annotations

import struct
from types import SimpleNamespace

import numpy as np
import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.books import Books
from simulation.draws import FirmDraws
from simulation.indicators import population_aggregates
from simulation.model import Region
from simulation.population import COLUMNS, Population
from simulation.processes import compiled, grading, kernels, statistics
from simulation.processes.energy import true_up
from simulation.processes.land import LandMarket, _best_first
from simulation.resources import EnergyPool, LandPool

from .twins import compiled_steps, copy_population, on_both

seeds = st.integers(0, 2**32 - 1)
sizes = st.integers(0, 300)
shares = st.floats(0.0, 1.0)
NAN_WITH_PAYLOAD = np.uint64(0x7FF8_0000_DEAD_BEEF).view(np.float64)


def _bits(x) -> bytes:
    """A float's or an array's bits (so -0.0 differs from 0.0 and NaN equals NaN)."""
    return np.ascontiguousarray(x).tobytes() if isinstance(x, np.ndarray) else struct.pack("<d", float(x))


def _const(value):
    """A scenario quantity that is ``value`` in every year."""
    return SimpleNamespace(at=lambda year: value)


def _awkward(rng: np.random.Generator, values: np.ndarray, share: float = 0.05) -> np.ndarray:
    """``values`` with a few repeated values (ties), zeros, -0.0 and NaN planted."""
    out = values.copy()
    n = len(out)
    if n:
        out[rng.random(n) < 0.2] = out[rng.integers(0, n)]  # ties
        out[rng.random(n) < share] = 0.0
        out[rng.random(n) < share] = -0.0
        out[rng.random(n) < share / 5] = NAN_WITH_PAYLOAD
    return out


def _population(seed: int, n: int, nan: bool = True) -> Population:
    """Firms at a year end: a year's revenue summed, last year's figures, grades and plots."""
    rng = np.random.default_rng(seed)
    planted = (lambda v: _awkward(rng, v)) if nan else (lambda v: v)
    pop = Population.new(
        n,
        alive=rng.random(n) < 0.85,
        above=rng.random(n) < 0.35,
        in_directory=rng.random(n) < 0.35,
        cert=rng.integers(0, 5, n),
        high_tech=rng.random(n) < 0.2,
        revenue=rng.lognormal(6, 2, n) * (rng.random(n) < 0.95),
        ytd=planted(rng.lognormal(8, 2, n)),
        revenue_prev=np.where(rng.random(n) < 0.1, 0.0, rng.lognormal(6, 2, n)),
        va_prev=np.where(rng.random(n) < 0.1, 0.0, rng.lognormal(5, 2, n)),
        va_rate=rng.uniform(0.05, 0.5, n),
        tax_rate=rng.uniform(0.01, 0.1, n),
        employees=rng.lognormal(3, 1, n),
        land=np.choose(rng.integers(0, 4, n), [np.zeros(n), np.full(n, 1e-12), rng.lognormal(1, 1, n),
                                                np.full(n, 3.0)]),
        intensity=planted(rng.lognormal(-1, 1, n)),
        quota=np.where(rng.random(n) < 0.2, 0.0, rng.lognormal(5, 3, n)),
        rd=planted(rng.uniform(0, 0.05, n)),
        grade=rng.integers(0, 5, n),
        score=rng.random(n),
        d_streak=rng.choice([0, 1, 2, 127], n),
        lease_end=rng.integers(0, 3, n),
        sector=rng.integers(0, 9, n),
    )
    for name in ("cert_year", "high_tech_year", "entry_year"):
        getattr(pop, name)[:] = rng.integers(0, 2030, n)
    for name in ("growth_prev", "drift", "transitory", "hazard_month"):
        getattr(pop, name)[:] = rng.normal(0, 1, n)
    return pop


def _same_columns(a: Population, b: Population) -> bool:
    return len(a) == len(b) and all(_bits(getattr(a, name)) == _bits(getattr(b, name)) for name in COLUMNS)


# --- energy true-up ------------------------------------------------------------------------------
@settings(max_examples=80, deadline=None)
@given(seeds, sizes, st.one_of(st.none(), shares), st.sampled_from([0.0, 1e3, 1e300]))
def test_true_up(seed, n, returned, free):
    def step(pop):
        pool = EnergyPool(simpy.Environment(), free=free, held=1e4)
        out = true_up(pop, pool, returned, pop.annual_revenue())
        return [*map(_bits, (out.recovered, out.granted, out.overrun, pool.free, pool.held)), pool.ledger.rows]

    (a, out_a), (b, out_b) = on_both(_population(seed, n), step)
    assert out_a[:5] == out_b[:5] and _same_columns(a, b)
    assert [row[:2] + (_bits(row[2]),) + row[3:] for row in out_a[5]] == [
        row[:2] + (_bits(row[2]),) + row[3:] for row in out_b[5]]


# --- 小升规 / 退规 --------------------------------------------------------------------------------
@settings(max_examples=80, deadline=None)
@given(seeds, sizes, st.sampled_from([0.0, 2000.0, 3000.0, np.inf]), shares, shares)
def test_review_scale(seed, n, threshold, p_report, incentive):
    params = SimpleNamespace(statistics=SimpleNamespace(
        above_scale_threshold=_const(threshold), report_probability=_const(p_report),
        report_probability_incentive=_const(1.0)))
    levers = SimpleNamespace(xiaoshenggui=SimpleNamespace(incentive=_const(incentive)))
    draws = FirmDraws(np.random.SeedSequence(seed))
    pop = _population(seed, n)
    pop.id[:] = np.cumsum(np.random.default_rng(seed).integers(1, 4, n))  # ids with gaps

    def step(p):
        entered, dropped = statistics.review_scale(p, params, levers, 2023, draws, p.annual_revenue())
        return _bits(entered), _bits(dropped)

    (a, masks_a), (b, masks_b) = on_both(pop, step)
    assert masks_a == masks_b and _same_columns(a, b)


# --- 亩均论英雄 grading --------------------------------------------------------------------------
_WEIGHTS = st.tuples(*[st.sampled_from([0.0, 0.1, 0.25, 1.0])] * 4)
_SHARES = st.sampled_from([(0.2, 0.5, 0.2), (0.0, 0.0, 0.0), (1.0, 0.0, 0.0), (0.1, 0.1, 0.1), (0.5, 0.5, 0.5),
                           (1 / 3, 1 / 3, 1 / 3)])


@settings(max_examples=150, deadline=None)
@given(seeds, sizes, _WEIGHTS, _SHARES, st.sampled_from([0.0, 3.0, 1e9]), st.booleans())
def test_grading(seed, n, weights, cut_shares, min_land, nan):
    pop = _population(seed, n, nan)
    if not nan and n:  # many firms with the same figures: tied scores at the cuts
        pop.ytd[: n // 2] = pop.ytd[0]
        pop.land[: n // 2], pop.intensity[: n // 2], pop.rd[: n // 2] = 3.0, 0.5, 0.01
    annual = pop.annual_revenue()
    a, b = copy_population(pop), copy_population(pop)
    min_land_below = max(min_land, 1e-9)
    grading._grade(a, annual, weights, min_land_below, cut_shares)
    grading._grade_compiled(compiled, b, annual, weights, min_land_below, cut_shares)
    assert _same_columns(a, b)


@settings(max_examples=20, deadline=None)
@given(seeds, st.integers(24_000, 28_000), _WEIGHTS, _SHARES, st.booleans())
def test_grading_of_large_groups(seed, n, weights, cut_shares, nan):
    """Both groups above 4,096 firms, the compiled steps on: medians and cuts by the histogram
    select give the numpy grading's columns (a quarter of the firms tied at the cuts, or NaN figures)."""
    from unittest import mock

    from simulation.processes.ranking import RADIX_FROM

    pop = _population(seed, n, nan)
    if not nan:
        pop.ytd[: n // 4] = pop.ytd[0]
        pop.land[: n // 4], pop.intensity[: n // 4], pop.rd[: n // 4] = 3.0, 0.5, 0.01
    annual = pop.annual_revenue()
    a, b = copy_population(pop), copy_population(pop)
    grading._grade(a, annual, weights, 3.0, cut_shares)
    with compiled_steps(True), mock.patch.object(compiled, "kth_smallests", wraps=compiled.kth_smallests) as select:
        grading._grade_compiled(compiled, b, annual, weights, 3.0, cut_shares)
    assert _same_columns(a, b)
    sizes = [len(rows) for rows, _, _ in compiled.grading_groups(
        annual, pop.va_rate, pop.tax_rate, pop.land, pop.intensity, pop.rd, pop.alive, pop.above, 3.0,
        pop.grade.copy(), pop.score.copy(), pop.d_streak.copy(), grading.UNGRADED)]
    assert min(sizes) >= RADIX_FROM, sizes
    if not nan and any(weights):  # a median of figures without NaN: the histogram's to find
        assert select.called


def test_grade_firms_uses_the_compiled_passes_for_many_firms(monkeypatch):
    called = []
    monkeypatch.setattr(grading, "_grade_compiled", lambda *args: called.append(len(args)))
    rules = SimpleNamespace(**{name: _const(0.25) for name in (
        "weight_tax_per_mu", "weight_value_added_per_mu", "weight_value_added_per_energy", "weight_rd",
        "min_land_below_scale", "share_a", "share_b", "share_c")})
    grading.grade_firms(_population(0, kernels.COMPILED_FROM), rules, 2023)
    assert called


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from([0.0, -0.0, 1.0, 2.0, np.nan, np.inf, -np.inf, 5e-324]),
                          st.floats(allow_nan=True, allow_infinity=True)), min_size=1, max_size=40))
def test_median_is_numpys(values):
    """The benchmark the scores divide by: max(median, 1e-12), the same value as with np.median."""
    x = np.array(values, dtype=float)
    want = max(np.median(x), 1e-12)
    got = max(grading.median(x, bool(np.isnan(x).any())), 1e-12)
    assert _bits(got) == _bits(want) or (np.isnan(got) and np.isnan(want))


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 1), st.sampled_from(["spread", "ties", "zeros", "infinite"]))
def test_median_from_the_histogram_is_numpys(seed, odd, kind):
    """A group of at least 4,096 firms, compiled: the middles come from the histogram select,
    the benchmark is np.median's to the bit (ties, zeros of both signs, infinities at the middle)."""
    from simulation.processes.ranking import RADIX_FROM

    rng = np.random.default_rng(seed)
    n = RADIX_FROM + 2 * int(rng.integers(0, 500)) + odd
    pools = {"spread": rng.lognormal(0.0, 5.0, n), "ties": rng.integers(0, 3, n).astype(float),
             "zeros": rng.choice([0.0, -0.0, 1.0], n), "infinite": rng.choice([np.inf, -np.inf, 2.0], n)}
    x = pools[kind]
    with compiled_steps(True):
        got = max(grading.median(x, False), 1e-12)
    want = max(np.median(x), 1e-12)
    assert _bits(got) == _bits(want) or (np.isnan(got) and np.isnan(want))


# --- expansion claims ----------------------------------------------------------------------------
@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.sampled_from([0.0, -0.0, 1.0, 2.5, np.nan, 7.0])), max_size=30),
       seeds)
def test_best_first_is_lexsort(pairs, seed):
    grade = np.array([g for g, _ in pairs], dtype=np.int8)
    score = np.array([s for _, s in pairs], dtype=float)
    distinct = np.random.default_rng(seed).permutation(len(pairs)).astype(float)  # no ties: the quick path
    for key in (score, distinct):
        assert np.array_equal(_best_first(grade, key), np.lexsort((-key, grade)))


@settings(max_examples=80, deadline=None)
@given(seeds, sizes, st.sampled_from([0.0, 5.0, 1e3, 1e9]), st.sampled_from([0.0, 12.0]),
       st.sampled_from([-5.0, 0.0, 10.0]), st.sampled_from([0.0, 0.8, 1.0]))
def test_expansion_claims(seed, n, free, patience, threshold, elasticity):
    """Claims filed with either pass: the same plots granted, the same queue, books and ledger
    (some firms doubled their revenue on a plot of 1e-9 mu: a claim at the 1e-9 line)."""
    rules = SimpleNamespace(expansion_growth_threshold=_const(threshold), expansion_land_elasticity=_const(elasticity),
                            expansion_patience_months=_const(patience), zero_land_cost_per_mu=_const(50.0),
                            clearing_months=None, other_use_share=None)

    def step(pop):
        env, books = simpy.Environment(), Books()
        pool = LandPool(env, free=free, held=100.0)
        out = LandMarket(env, pool, lambda: books, rules, lambda: 2023).file_expansions(pop, 2023, pop.annual_revenue())
        blocks = list(dict.fromkeys(pool.get_queue))  # the waiting claims: one block, once per claim
        queue = [(int(firm), _bits(amount)) for block in blocks
                 for firm, amount in zip(block.firms[block.next:], block.amounts[block.next:].tolist())]
        return _bits(out.claimed), out.claims, queue, dict(books), _bits(pool.free), pool.ledger.rows

    pop = _population(seed, n)
    doubled = np.random.default_rng(seed).random(n) < 0.1
    pop.land[doubled], pop.ytd[doubled] = 1e-9, 24.0 * pop.revenue_prev[doubled]
    (a, out_a), (b, out_b) = on_both(pop, step)
    assert out_a == out_b and _same_columns(a, b)


# --- indicators, the roll into next year, dropping the firms that left ---------------------------
@settings(max_examples=80, deadline=None)
@given(seeds, sizes)
def test_population_aggregates(seed, n):
    (_, a), (_, b) = on_both(_population(seed, n), lambda pop: population_aggregates(pop, pop.annual_revenue()))
    assert list(a) == list(b) and [_bits(v) for v in a.values()] == [_bits(v) for v in b.values()]


@settings(max_examples=60, deadline=None)
@given(seeds, sizes)
def test_roll_year_and_keep(seed, n):
    """The roll into the next year and dropping the firms that left (``keep`` compacts with the
    ``alive`` column itself as the mask)."""
    def step(pop):
        Region._roll_year(SimpleNamespace(pop=pop), pop.annual_revenue())

    (a, _), (b, _) = on_both(_population(seed, n), step)
    assert len(a) == int(np.count_nonzero(_population(seed, n).alive)) and _same_columns(a, b)


@pytest.mark.parametrize("scenario", ["haishu_2024", "cixi_2023"])
def test_a_run_is_the_same_with_either_version(scenario):
    """Whole replications (indicators, flows, ledger, firm panel) with every step compiled and with none."""
    from pathlib import Path

    from simulation.loader import load_scenario
    from simulation.model import simulate

    loaded = load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / f"{scenario}.yaml")
    runs = []
    for on in (True, False):
        with compiled_steps(on):
            runs.append(simulate(loaded, 3, firms=True))
    for table in ("indicators", "flows", "ledger", "firms"):
        assert getattr(runs[0], table).equals(getattr(runs[1], table)), table
