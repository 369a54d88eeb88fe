"""The compiled passes of the base year, the certification rounds and remediation give, bit for
bit, what their numpy versions give: the same rows in the same order, the same draws taken."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.draws import FirmDraws
from simulation.loader import load_scenario
from simulation.population import COLUMNS, Population
from simulation.processes import certification as cert
from simulation.processes import kernels
from simulation.processes.certificates_init import _TopByWeight, high_tech_by_value_added
from simulation.quantity import Quantity
from simulation.tiers import Cert

from .twins import compiled_steps

ROOT = Path(__file__).resolve().parents[1]
seeds = st.integers(0, 2**32 - 1)


def both(run):
    """``run()`` with the numpy passes, then with the compiled ones."""
    with compiled_steps(False):
        want = run()
    with compiled_steps(True):
        got = run()
    return want, got


def same(a, b) -> bool:
    """Equal arrays of equal dtype; floats compared as bits."""
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    if a.dtype.kind == "f":
        return bool(np.array_equal(a.view(np.uint64), b.view(np.uint64)))
    return bool(np.array_equal(a, b))


@pytest.fixture(scope="module")
def rules():
    return load_scenario(ROOT / "scenarios" / "ningbo_2020_2022.yaml").parameters.certification


def q(value) -> Quantity:
    return Quantity(value=value, assume="test value")


def awkward_population(seed: int, n: int) -> Population:
    """Firms on every rung, dead rows, revenues and R&D exactly on the lines the rules draw (band
    starts, the SME ceiling, the 高新技术企业 floors), zero and NaN revenue, equal figures."""
    rng = np.random.default_rng(seed)
    revenue = rng.choice([0.0, 2999.0, 3000.0, 5000.0, 10000.0, 20000.0, 40000.0, np.nan], n)
    revenue = np.where(rng.random(n) < 0.5, rng.lognormal(8.5, 2.0, n), revenue)
    rd = np.where(rng.random(n) < 0.3, rng.choice([0.0, 0.03, 0.04, 0.05, 0.06], n), rng.lognormal(-3.3, 0.8, n))
    return Population.new(
        n, alive=rng.random(n) < 0.9, cert=rng.integers(0, 5, n), cert_year=rng.integers(2012, 2024, n),
        entry_year=rng.integers(1990, 2024, n), revenue_prev=revenue, rd=rd,
        growth_prev=rng.choice([-0.2, 0.0, 0.05, 0.1, 0.3], n) * rng.random(n),
        employees=rng.choice([0.0, 999.0, 1000.0, 1001.0], n) * (rng.random(n) < 0.3) + rng.lognormal(4.5, 1.5, n),
        high_tech=rng.random(n) < 0.3, high_tech_year=rng.integers(2015, 2024, n),
    )


@settings(max_examples=150, deadline=None)
@given(seeds, st.integers(0, 400), st.sampled_from([2018, 2021, 2024]), st.sampled_from([None, 5000.0, 40000.0]),
       st.sampled_from([None, 2022]), st.booleans(), st.sampled_from([None, 0.0, 3000.0]), st.booleans())
def test_eligibility_in_one_pass(rules, seed, n, year, open_above, required_from, bands, small_spend, sme_only):
    pop = awkward_population(seed, n)
    band_rules = rules.little_giant.rd_bands if bands else None
    for level in (Cert.INNOVATIVE, Cert.ZJTX, Cert.LITTLE_GIANT, Cert.CHAMPION):
        step = getattr(rules, cert.STEPS[level - 1]).model_copy(update={
            "open_above_revenue": None if open_above is None else q(open_above),
            "level_below_required_from": required_from, "rd_bands": band_rules, "sme_only": sme_only,
            "small_firm_rd_spend": None if small_spend is None else q(small_spend)})
        want, got = both(lambda level=level, step=step: cert.eligible_rows(pop, level, step, rules, year))
        assert same(want, got), (level, want, got)


@settings(max_examples=100, deadline=None)
@given(seeds, st.integers(0, 400), st.sampled_from([2016, 2021, 2024]))
def test_review_and_high_tech_round_in_one_pass(rules, seed, n, year):
    """The rows reviewed and failed, the levels after, the 高新技术企业 granted and lapsed."""
    def run():
        pop = awkward_population(seed, n)
        failed = cert.review(pop, rules, year, FirmDraws(np.random.SeedSequence(seed)))
        new, lapsed = cert.high_tech_round(pop, rules, year, FirmDraws(np.random.SeedSequence(seed)))
        return failed, new, lapsed, pop.cert, pop.cert_year, pop.high_tech, pop.high_tech_year

    want, got = both(run)
    assert all(same(a, b) for a, b in zip(want, got))


@settings(max_examples=60, deadline=None)
@given(seeds, st.integers(0, 400), st.sampled_from([2021, 2024]), st.floats(0.2, 3.0), st.sampled_from([None, 0, 3]))
def test_certification_round_in_one_pass(rules, seed, n, year, multiplier, quota):
    """Whole rounds (eligibility, draws, quotas) grant the same rows at every level; with small
    quotas, the winners are cut by R&D spending."""
    if quota is not None:
        rules = rules.model_copy(update={name: getattr(rules, name).model_copy(
            update={"quota_per_year": q(quota), "allocation": None}) for name in cert.STEPS})

    def run():
        pop = awkward_population(seed, n)
        granted = cert.certification_round(pop, rules, multiplier, year, FirmDraws(np.random.SeedSequence(seed)))
        return [granted[level] for level in sorted(granted)] + [pop.cert, pop.cert_year]

    want, got = both(run)
    assert all(same(a, b) for a, b in zip(want, got))
    saved = cert._RANK_IN_PART_FROM
    cert._RANK_IN_PART_FROM = 0  # the quota cut by partial ranking, however few the winners
    try:
        assert all(same(a, b) for a, b in zip(want, run()))
    finally:
        cert._RANK_IN_PART_FROM = saved


def remediation_population(seed: int, n: int) -> Population:
    """Graded firms with ties in score and D streak, dead rows, energy use on the 两高 line, staff
    at, below and above one person, zero and NaN revenue."""
    rng = np.random.default_rng(seed)
    revenue = np.where(rng.random(n) < 0.1, rng.choice([0.0, np.nan], n), rng.lognormal(7, 2, n))
    va_rate = rng.choice([0.2, 0.25], n)
    intensity = rng.lognormal(-1, 1, n)
    intensity = np.where(rng.random(n) < 0.2, 5000.0 / np.where(revenue > 0, revenue * 0.2, 1.0), intensity)
    return Population.new(
        n, alive=rng.random(n) < 0.9, above=rng.random(n) < 0.3, grade=rng.integers(0, 5, n),
        score=rng.choice([0.0, 0.5, 1.0], n) * (rng.random(n) < 0.5) + rng.random(n) * (rng.random(n) < 0.5),
        d_streak=rng.integers(0, 4, n), revenue=revenue, va_rate=va_rate, intensity=intensity,
        tax_rate=rng.uniform(0.0, 0.1, n), employees=rng.choice([0.0, 0.5, 1.0, 3.0, 40.0], n),
        land=rng.lognormal(2, 1, n) * (rng.random(n) < 0.7), quota=revenue * va_rate * intensity * rng.uniform(0.5, 3.0, n),  # near use: upgrades free some
    )


@functools.cache
def _zhenhai():
    """The shipped Zhenhai scenario, read once (a hundred examples need only its route effects)."""
    return load_scenario(ROOT / "scenarios" / "zhenhai_2021_2025.yaml")


@settings(max_examples=100, deadline=None)
@given(seeds, st.integers(0, 400), st.integers(0, 60), st.integers(0, 200), st.sampled_from([None, 5000.0]))
def test_remediation_campaign_in_one_pass(seed, n, capacity, scattered, high_energy_use):
    """The 高耗低效 list and the 散乱弱 ranking: the same firms in the same order, so the same sums
    (land, energy, investment) and the same columns after."""
    from simulation.processes import remediation as rem
    from simulation.scenario import Remediation, RouteEffects, ScatteredWeak

    lever = Remediation.model_validate({
        "firms_per_year": {"value": capacity, "assume": "test"}, "start_year": 2020, "month": {"value": 6, "assume": "test"},
        "routes": {k: {"value": v, "assume": "test"} for k, v in
                   dict(upgrade=0.4, regularise=0.3, merge_relocate=0.2, close=0.1).items()},
        **({} if high_energy_use is None else {"high_energy_use": {"value": high_energy_use, "assume": "test"}})})
    weak = ScatteredWeak.model_validate({"firms_per_year": {"value": scattered, "assume": "test"},
                                         "close_share": {"value": 0.4, "assume": "test"}})
    effects = _zhenhai().parameters.route_effects
    assert isinstance(effects, RouteEffects)

    def run():
        pop = remediation_population(seed, n)
        out = rem.campaign(pop, lever, weak, effects, 2022, FirmDraws(np.random.SeedSequence(seed)))
        sums = np.array([out.land_freed, out.energy_freed, out.scattered_land, out.batch.investment,
                         out.batch.land_remediated])
        return [out.batch.merged, out.batch.closed, out.scattered_closed, out.scattered_regularised, sums,
                pop.revenue, pop.quota, pop.land, pop.intensity, pop.va_rate, pop.tax_rate, pop.d_streak]

    want, got = both(run)
    assert all(same(a, b) for a, b in zip(want, got))


def test_population_takes_handed_over_arrays_that_fit_and_copies_the_rest():
    n = 50
    rng = np.random.default_rng(3)
    revenue, land = rng.lognormal(5, 1, n), rng.lognormal(2, 1, n)
    cert_ = rng.integers(0, 5, n)  # int64: not the column's dtype
    quota_buffer = rng.lognormal(3, 1, 2 * n)
    quota = quota_buffer[::2]  # a view, not contiguous
    values = dict(revenue=revenue, revenue_prev=revenue, land=land, cert=cert_, quota=quota)
    copied = Population.new(n, **values)
    taken = Population.new(n, handed_over=("revenue", "land", "cert", "quota"), **values)
    for name in values:
        assert same(getattr(taken, name), getattr(copied, name))
    assert np.shares_memory(taken.revenue, revenue) and np.shares_memory(taken.land, land)
    assert not np.shares_memory(taken.revenue_prev, revenue)  # not handed over
    assert not np.shares_memory(taken.quota, quota_buffer) and taken.cert.dtype == np.int8
    taken.append(3, revenue=1.0)  # growing copies into larger buffers, as for any population
    assert len(taken) == n + 3 and same(taken.revenue[:n], copied.revenue)


def test_population_with_room_grows_only_its_handed_over_columns():
    n = 40
    rng = np.random.default_rng(4)
    values = dict(revenue=rng.lognormal(5, 1, n), land=rng.lognormal(2, 1, n), cert=np.ones(n, dtype=np.int8))
    plain = Population.new(n, **values)
    roomy = Population.new(n, handed_over=("revenue",), room=True, **values)
    assert len(roomy) == len(plain) and all(same(getattr(roomy, c), getattr(plain, c)) for c in COLUMNS)
    land, revenue = roomy.land, roomy.revenue
    for pop in (plain, roomy):
        pop.append(3, revenue=1.0, land=2.0)
    assert np.shares_memory(roomy.land, land)  # its buffer had the room: no copy
    assert not np.shares_memory(roomy.revenue, revenue)  # handed over at n rows: grown
    assert all(same(getattr(roomy, c), getattr(plain, c)) for c in COLUMNS)


def test_a_column_made_with_room_is_taken_with_its_buffer():
    """A column made in the leading rows of a buffer with room is taken with the buffer (no copy),
    its rows beyond the population set to the column's default, so appends fit without growing;
    a view into some other array is copied."""
    from simulation.population import _roomy
    from simulation.tiers import UNGRADED

    n = 30
    revenue, grade = _roomy(n), _roomy(n, np.int8)
    revenue[:] = np.arange(n) + 0.5
    grade[:] = 1
    revenue.base[n:] = np.nan  # what np.empty may leave there
    grade.base[n:] = 7
    other = np.arange(3 * n, dtype=float)[n : 2 * n]  # not the leading rows of its buffer
    pop = Population.new(n, handed_over=("revenue", "grade", "land"), room=True, revenue=revenue, grade=grade,
                         land=other)
    assert np.shares_memory(pop.revenue, revenue) and np.shares_memory(pop.grade, grade)
    assert not np.shares_memory(pop.land, other) and same(pop.land, other)
    held = pop.revenue
    pop.append(3, alive=True)
    assert np.shares_memory(pop.revenue, held)  # the buffer had the room
    assert same(pop.revenue[n:], np.zeros(3)) and (pop.grade[n:] == UNGRADED).all()


def test_the_base_population_fits_its_first_appends():
    """Every column of the base population has the room: the first births copy no column."""
    from simulation.population import initial_population

    scenario = load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / "zhenhai_2021_2025.yaml")
    pop = initial_population(scenario, np.random.default_rng(2))
    before = {name: getattr(pop, name) for name in COLUMNS}
    pop.append(20, alive=True, revenue=100.0)
    assert all(np.shares_memory(getattr(pop, name), column) for name, column in before.items())


def _pick_inputs(seed: int, n: int, repeated: int, whole_values: bool):
    """Sizes and R&D over orders of magnitude; some firms repeated exactly (equal scores at every
    weight); optionally whole-number value added from 1 (log 0, and many equal logs)."""
    rng = np.random.default_rng(seed)
    value_added = rng.lognormal(5, 2.0, n)
    if whole_values:
        value_added = np.floor(value_added) + 1.0
    rd = rng.lognormal(-3.5, 1.0, n)
    twins = rng.integers(0, n, size=(repeated, 2)) if repeated else np.zeros((0, 2), dtype=int)
    value_added[twins[:, 0]], rd[twins[:, 0]] = value_added[twins[:, 1]], rd[twins[:, 1]]
    noise = rng.gumbel(size=n)
    noise[twins[:, 0]] = noise[twins[:, 1]]
    return value_added, rd, noise, rng.random(n) < 0.4


@settings(max_examples=150, deadline=None)
@given(seeds, st.integers(1, 1500), st.floats(0.0, 1.2), st.floats(0.0, 0.95), st.sampled_from([0, 1, 2, 50]),
       st.booleans())
def test_high_tech_pick_in_compiled_passes(seed, n, pick_share, share, repeated, whole_values):
    """The 高新技术企业 by value added, and each narrowing of the bracket on the way (the pool, the
    firms always chosen, the candidates, their columns) and the rows chosen inside it."""
    value_added, rd, noise, is_above = _pick_inputs(seed, n, repeated, whole_values)
    is_above[0] = True
    n_ht = int(round(pick_share * n))
    brackets = [(0.0, 50.0), (6.25, 12.5), (9.375, 10.9375), (10.0, 10.01), (10.0, 10.0)]

    def narrowing():
        top = _TopByWeight(np.log(rd), np.log(value_added), noise, min(n_ht, n))
        seen = [top.rows(weight) for weight in (0.0, 1.0, 25.0)]
        for low, high in brackets:
            top.narrow(low, high)
            seen += [np.zeros(1) if top.pool is None else top.pool, top.always,
                     np.zeros(1) if top.candidates is None else top.candidates,
                     *top.pool_columns, *top.candidate_columns, top.rows(low), top.rows((low + high) / 2)]
        return seen

    want, got = both(narrowing)
    assert len(want) == len(got) and all(same(a, b) for a, b in zip(want, got))
    want, got = both(lambda: high_tech_by_value_added(n_ht, share, value_added, rd, is_above,
                                                      np.random.default_rng(seed)))
    assert same(want, got)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from([0.0, -0.0, 1.0, -1.0, 2.5, 1e300, -1e300, 5e-324]), max_size=40),
       st.sampled_from([0.0, -0.0, 1.0, 2.5, -1e300]))
def test_rows_at_least_and_scores_as_numpy(values, cut):
    """Zeros of either sign, ties at the cut, extremes (scores that overflow), subnormals, empty."""
    values = np.array(values, dtype=float)
    step = kernels._compiled()
    assert same(step.rows_at_least(values, cut), np.flatnonzero(values >= cut))
    rd, va, noise = values, values[::-1].copy(), np.roll(values, 1)
    for weight in (0.0, 0.5, 3.0, 50.0):
        assert same(step.weighted_scores(rd, va, noise, weight), rd + weight * va + noise)


@settings(max_examples=100, deadline=None)
@given(seeds, st.integers(0, 300), st.sampled_from([0.0, 0.3, 1.0, 7.25, 50.0]), st.floats(0.0, 50.0))
def test_scores_and_their_bounds_as_numpy(seed, n, low, width):
    """Scores of gumbel-noised log figures at a weight, and their lowest and highest over a bracket
    (equal values: a zero's sign is only compared, never kept)."""
    rng = np.random.default_rng(seed)
    rd, va, noise = rng.normal(-3.5, 1.0, n), rng.normal(5.0, 2.0, n), rng.gumbel(size=n)
    va[: n // 10] = 0.0  # value added 1: log 0
    step, high = kernels._compiled(), low + width
    assert same(step.weighted_scores(rd, va, noise, low), rd + low * va + noise)
    lowest, highest = step.score_bounds(rd, va, noise, low, high)
    at_low, at_high = rd + low * va + noise, rd + high * va + noise
    assert np.array_equal(lowest, np.minimum(at_low, at_high)) and np.array_equal(highest, np.maximum(at_low, at_high))


@settings(max_examples=150, deadline=None)
@given(seeds, st.integers(0, 200), st.floats(0.0, 1.0), st.floats(0.0, 1.0), st.sampled_from([0.0, -0.0, 0.5, 2.0]))
def test_merge_and_above_values_as_numpy(seed, n, always_share, above_share, cut):
    """Disjoint ascending runs of any lengths (empty included), scores tied at the cut, zeros."""
    rng = np.random.default_rng(seed)
    rows = np.flatnonzero(rng.random(n) < 0.7)
    in_always = rng.random(len(rows)) < always_share
    always, candidates = rows[in_always], rows[~in_always]
    score = rng.choice([-0.0, 0.0, 0.5, 1.0, 2.0, 3.0], len(candidates))
    step = kernels._compiled()
    want = np.sort(np.concatenate((always, candidates[score >= cut])))
    assert same(step.merge_reaching(always, candidates, score, cut), want)
    is_above, values = rng.random(n) < above_share, rng.normal(size=n)
    assert same(step.above_values(rows, is_above, values), values[rows[is_above[rows]]])
