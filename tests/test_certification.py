"""Certification rules on planted populations: the rule text, not today's numbers.

Each rule is checked on firms placed just either side of its line (R&D bands by revenue, the SME
ceiling, the 高新技术企业 floor), on large planted populations for chances (review pass rates by
review year), and on a firm followed through its 3-year 高新技术企业 validity. The Ningbo run at the
end checks the 小巨人 and 高新技术企业 paths against the recorded counts.
"""

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.draws import FirmDraws
from simulation.loader import load_scenario
from simulation.population import Population
from simulation.processes import certification as cert
from simulation.processes.quotas import allocated_quota, apportion
from simulation.quantity import Quantity
from simulation.tiers import HIGH_TECH_VALIDITY_YEARS, Cert, high_tech_rd_floor

ROOT = Path(__file__).resolve().parents[1]
NINGBO = ROOT / "scenarios" / "ningbo_2020_2022.yaml"


@pytest.fixture(scope="module")
def ningbo():
    return load_scenario(NINGBO)


@pytest.fixture(scope="module")
def rules(ningbo):
    """Ningbo's rules, each round at its own chance: the year's batch factor is tested on its own
    (at the end), and here would move a sure chance below one."""
    return ningbo.parameters.certification.model_copy(update={"batch_effect": None, "high_tech_batch_effect": None})


def q(value) -> Quantity:
    return Quantity(value=value, assume="test value")


def draws(seed=0) -> FirmDraws:
    return FirmDraws(np.random.SeedSequence(seed))


def candidates(n, **columns) -> Population:
    """``n`` 专精特新 firms that meet every 小巨人 rule except those the columns change."""
    base: dict[str, Any] = dict(alive=True, above=True, cert=Cert.ZJTX, cert_year=2019, entry_year=2000,
                                   revenue_prev=20000.0, rd=0.05, growth_prev=0.10, employees=300.0)
    base.update(columns)
    return Population.new(n, **base)


# --- R&D bands by revenue (小巨人) -----------------------------------------------------------


def _little_giant_rd_rule(revenue: float, rd: float, small_spend: float | None) -> bool:
    """The rule as domain-facts §2 words it, one firm at a time."""
    if rd < 0.03:
        return False
    if revenue >= 10000:
        return True
    if revenue >= 5000:
        return rd >= 0.06
    return small_spend is not None and rd * revenue >= small_spend


@settings(max_examples=200, deadline=None)
@given(revenue=st.floats(0, 60000), rd=st.floats(0, 0.5))
def test_little_giant_rd_bands_follow_the_rule_text(rules, revenue, rd):
    step = rules.little_giant
    got = cert.meets_rd_rule(step, np.array([revenue]), np.array([rd]), 2021)[0]
    assert got == _little_giant_rd_rule(revenue, rd, step.small_firm_rd_spend.at(0))


def test_rd_band_edges(rules):
    step = rules.little_giant
    revenue = np.array([5000, 5000, 9999, 10000, 10000, 4999, 4999])
    rd = np.array([0.0599, 0.06, 0.0599, 0.0299, 0.03, 0.5, 0.03])
    np.testing.assert_array_equal(cert.meets_rd_rule(step, revenue, rd, 2021),
                                  [False, True, False, False, True, False, False])


def test_small_firm_route_opens_only_at_the_rd_spending(rules):
    """Below 5,000万 a firm qualifies only by R&D spending (万元); with the cited 3,000万 and R&D
    capped at half of revenue, none can; a lower spending line lets the big spenders in."""
    step = rules.little_giant.model_copy(update={"small_firm_rd_spend": q(2000)})
    revenue, rd = np.array([4500.0, 4500.0]), np.array([0.45, 0.44])  # 2,025万 and 1,980万 of R&D
    np.testing.assert_array_equal(cert.meets_rd_rule(step, revenue, rd, 2021), [True, False])
    assert not cert.meets_rd_rule(rules.little_giant, np.array([4999.0]), np.array([0.5]), 2021)[0]


def test_rd_bands_decide_eligibility_in_the_round(rules):
    pop = candidates(4, revenue_prev=[7000, 7000, 15000, 15000], rd=[0.05, 0.07, 0.025, 0.035])
    eligible = cert.eligible_for(pop, Cert.LITTLE_GIANT, rules.little_giant, rules, 2021)
    np.testing.assert_array_equal(eligible, [False, True, False, True])


def test_the_rules_money_lines_read_last_years_revenue_at_last_years_prices(rules):
    """Revenue is kept in base-year prices; the rules' lines are in current prices. A firm of
    4,800万 base-year revenue with 7% R&D is under the 小巨人 rule's 5,000万 band at base-year prices
    and in it at 5% higher prices; one of 38,500万 is an SME at base-year prices (under 4亿) and not
    at 5% higher ones (with 1,000 staff or more); the numpy and compiled passes agree."""
    pop = candidates(2, revenue_prev=[4800.0, 38500.0], rd=0.07, employees=1200.0)
    for level, want in ((1.0, [False, True]), (1.05, [True, False])):
        eligible = cert.eligible_for(pop, Cert.LITTLE_GIANT, rules.little_giant, rules, 2021, level)
        np.testing.assert_array_equal(eligible, want)
        compiled_rows = cert._eligible_in_one_pass(
            _compiled(), pop, np.arange(2), int(Cert.LITTLE_GIANT), rules.little_giant, rules, 2021,
            cert.last_years_revenue(pop, level))
        np.testing.assert_array_equal(compiled_rows, np.flatnonzero(want))


def test_the_high_tech_floor_reads_its_band_at_last_years_prices(rules):
    """The 高新技术企业 floor is 4% from 5,000万 and 5% below (in current prices): a firm of 4,800万
    base-year revenue with 4.5% R&D is short of the floor at base-year prices and meets it at 5%
    higher ones."""
    pop = candidates(1, revenue_prev=4800.0, rd=0.045, cert=Cert.NONE)
    sure = rules.model_copy(update={"high_tech_success": q(1.0)})
    new, _ = cert.high_tech_round(pop, sure, 2021, draws())
    assert len(new) == 0 and high_tech_rd_floor(np.array([4800.0]))[0] > 0.045
    pop = candidates(1, revenue_prev=4800.0, rd=0.045, cert=Cert.NONE)
    new, _ = cert.high_tech_round(pop, sure, 2021, draws(), price_level=1.05)
    assert list(new) == [0]


def _compiled():
    from simulation.processes import compiled

    return compiled


# --- SME ceiling (中小企业划型标准 2011, industry) ----------------------------------------------


def test_sme_ceiling_needs_both_revenue_and_staff_to_exclude(rules):
    """Large = revenue >= 4亿 AND >= 1,000 employees; either one under the line keeps a firm an SME."""
    revenue = np.array([39999.0, 40000.0, 40000.0, 90000.0, 10000.0])
    employees = np.array([5000.0, 999.0, 1000.0, 1000.0, 5000.0])
    inside = cert.within_sme_ceiling(rules.little_giant, rules, revenue, employees, 2021)
    np.testing.assert_array_equal(inside, [True, True, False, False, True])
    pop = candidates(5, revenue_prev=revenue, employees=employees)
    eligible = cert.eligible_for(pop, Cert.LITTLE_GIANT, rules.little_giant, rules, 2021)
    np.testing.assert_array_equal(eligible, inside)


def test_no_large_firm_is_named_little_giant(rules):
    """With every firm certain to succeed and a quota to spare, only the SMEs are named."""
    n = 400
    employees = np.where(np.arange(n) % 2 == 0, 2000.0, 500.0)
    pop = candidates(n, revenue_prev=60000.0, employees=employees)
    step = rules.little_giant.model_copy(update={"success": q(1.0), "allocation": None, "quota_per_year": q(1000)})
    no_champions = rules.single_champion.model_copy(update={"quota_per_year": q(0)})  # 4亿+ firms could go there
    sure = rules.model_copy(update={"little_giant": step, "single_champion": no_champions})
    granted = cert.certification_round(pop, sure, 1.0, 2021, draws())
    assert len(granted[Cert.LITTLE_GIANT]) == n // 2
    assert np.all(employees[granted[Cert.LITTLE_GIANT]] < 1000)


def test_base_year_little_giants_are_smes_meeting_their_band(ningbo):
    from simulation.population import initial_population

    pop = initial_population(ningbo, np.random.default_rng(3))
    rules = ningbo.parameters.certification
    giants = np.flatnonzero(pop.cert == Cert.LITTLE_GIANT)
    assert len(giants) == round(ningbo.population.certified.little_giants.at(0))
    assert np.all(cert.within_sme_ceiling(rules.little_giant, rules, pop.revenue_prev[giants], pop.employees[giants], 0))
    assert np.all(cert.meets_rd_rule(rules.little_giant, pop.revenue_prev[giants], pop.rd[giants], 0))
    assert np.all(pop.cert_year[giants] >= 2019)  # no 小巨人 before the first national list


# --- review pass rates by review year ------------------------------------------------------


@pytest.mark.parametrize("year", [2022, 2023, 2024, 2025])
def test_little_giant_reviews_pass_at_the_recorded_rate_of_their_year(zhenhai, year):
    """Zhenhai carries the four recorded rates (57.3%, 61.9%, 82.9%, 87.0%); other levels the common one."""
    rules = zhenhai.parameters.certification
    n = 40_000
    level = np.where(np.arange(n) % 2 == 0, Cert.LITTLE_GIANT, Cert.ZJTX)
    pop = Population.new(n, alive=True, cert=level, cert_year=year - 3)
    failed = cert.review(pop, rules, year, draws(year))
    for lv, rate in ((Cert.LITTLE_GIANT, rules.little_giant.review_pass_rate.at(year)),
                     (Cert.ZJTX, rules.review_pass_rate.at(year))):
        m = n // 2
        fail_share = np.count_nonzero(level[failed] == lv) / m
        assert abs(fail_share - (1 - rate)) < 4 * np.sqrt(rate * (1 - rate) / m)
    np.testing.assert_array_equal(pop.cert[failed], level[failed] - 1)  # failing drops one level
    assert np.all(pop.cert_year == year - 3)  # passed or not, the years held count from the grant


def test_recorded_review_rates_are_the_national_file(zhenhai):
    import pandas as pd

    data = pd.read_csv(ROOT / "calibration" / "data" / "national.csv")
    recorded = data[data.indicator == "little_giants_review_pass_rate"].set_index("year").value / 100
    step = zhenhai.parameters.certification.little_giant
    for year, rate in recorded.items():
        assert step.review_pass_rate.at(year) == pytest.approx(rate, abs=5e-4)


def test_firms_within_their_term_are_not_reviewed(rules):
    pop = Population.new(100, alive=True, cert=Cert.LITTLE_GIANT, cert_year=2020)
    assert len(cert.review(pop, rules, 2022, draws())) == 0
    assert np.all(pop.cert_year == 2020)


def test_reviews_come_every_term_from_the_grant_and_keep_the_years_held(rules):
    """A 小巨人 granted in 2016 is reviewed in 2019, 2022 and 2025 only (every firm fails at a pass
    rate of 0, none is touched in the years between); one that passes keeps its grant year, so its
    years as 小巨人 (which 单项冠军 asks for) go on counting, and the next review is a term later."""
    def at_rate(rate):
        return rules.model_copy(update={"review_pass_rate": q(rate), "little_giant": rules.little_giant.model_copy(
            update={"review_pass_rate": None})})

    n = 500
    for year in range(2017, 2027):
        pop = Population.new(n, alive=True, cert=Cert.LITTLE_GIANT, cert_year=2016)
        assert len(cert.review(pop, at_rate(0.0), year, draws(year))) == (n if year in (2019, 2022, 2025) else 0)
    pop = Population.new(n, alive=True, cert=Cert.LITTLE_GIANT, cert_year=2016)
    assert len(cert.review(pop, at_rate(1.0), 2019, draws(2019))) == 0
    assert np.all(pop.cert_year == 2016) and np.all(pop.cert == Cert.LITTLE_GIANT)
    assert [len(cert.review(pop, at_rate(0.0), y, draws(y))) for y in (2020, 2021)] == [0, 0]
    assert len(cert.review(pop, at_rate(0.0), 2022, draws(2022))) == n
    assert np.all(pop.cert == Cert.ZJTX) and np.all(pop.cert_year == 2016)  # fallen a level, the grant year kept


# --- 高新技术企业: the R&D floor and 3-year validity ----------------------------------------


def test_high_tech_floor_bands_include_their_upper_edge():
    """认定管理办法 第十一条: 5% up to 5,000万 (含), 4% up to 2亿 (含), 3% above."""
    revenue = np.array([0, 5000, 5000.01, 20000, 20000.01, 1e6])
    np.testing.assert_array_equal(high_tech_rd_floor(revenue), [0.05, 0.05, 0.04, 0.04, 0.03, 0.03])


def test_high_tech_status_holds_three_years_then_needs_the_floor(rules):
    """A firm certified in 2020 keeps the status through 2022 even with R&D under the floor; in 2023
    it must re-apply: under the floor it lapses, above it renews (renewal chance set to 1)."""
    sure = rules.model_copy(update={"high_tech_success": q(1.0), "high_tech_renewal": q(1.0)})
    pop = Population.new(2, alive=True, revenue_prev=10000.0, rd=0.05)
    new, _ = cert.high_tech_round(pop, sure, 2020, draws())
    np.testing.assert_array_equal(new, [0, 1])
    pop.rd = np.array([0.01, 0.05])  # firm 0 cuts its R&D under the 4% floor
    for year in range(2021, 2020 + HIGH_TECH_VALIDITY_YEARS):
        new, lapsed = cert.high_tech_round(pop, sure, year, draws())
        assert len(new) == 0 and len(lapsed) == 0 and pop.high_tech.all()
    new, lapsed = cert.high_tech_round(pop, sure, 2020 + HIGH_TECH_VALIDITY_YEARS, draws())
    np.testing.assert_array_equal(lapsed, [0])
    assert not pop.high_tech[0] and pop.high_tech[1]
    assert pop.high_tech_year[1] == 2020 + HIGH_TECH_VALIDITY_YEARS


def test_high_tech_renewal_passes_at_its_chance(rules):
    n, renewal = 50_000, 0.7
    chance = rules.model_copy(update={"high_tech_renewal": q(renewal), "high_tech_success": q(0.0)})
    pop = Population.new(n, alive=True, revenue_prev=10000.0, rd=0.05, high_tech=True, high_tech_year=2019)
    _, lapsed = cert.high_tech_round(pop, chance, 2022, draws(5))
    assert abs(len(lapsed) / n - (1 - renewal)) < 4 * np.sqrt(renewal * (1 - renewal) / n)


# --- quotas: national batch → province → region --------------------------------------------


@settings(max_examples=200, deadline=None)
@given(total=st.integers(0, 10_000), weights=st.lists(st.floats(0.0, 1.0), min_size=1, max_size=12))
def test_apportion_sums_exactly_and_stays_within_one_firm(total, weights):
    weights = np.array(weights)
    if weights.sum() <= 0:
        weights = np.ones_like(weights)
    shares = weights / weights.sum()
    parts = apportion(total, shares)
    assert parts.sum() == total
    assert np.all(np.abs(parts - total * shares) < 1.0)


def test_cities_quotas_sum_to_the_province(ningbo):
    """Allocating a province's batch to a partition of its cities by their shares loses no firm."""
    allocation = ningbo.parameters.certification.little_giant.allocation
    city_shares = np.array([0.3226, 0.25, 0.2, 0.1274, 0.1])
    for year in (2019, 2020, 2021, 2022):
        province = apportion(int(allocation.national_batch.at(year)), [allocation.province_share.at(0),
                                                                       1 - allocation.province_share.at(0)])[0]
        assert apportion(int(province), city_shares).sum() == province
        exact = allocation.national_batch.at(year) * allocation.province_share.at(0) * allocation.region_share.at(0)
        assert abs(allocated_quota(allocation, year) - exact) <= 1.0


def test_the_round_names_no_more_than_the_allocated_quota(rules):
    step = rules.little_giant.model_copy(update={"success": q(1.0)})
    sure = rules.model_copy(update={"little_giant": step})
    pop = candidates(1000, revenue_prev=20000.0)  # under 4亿: the 单项冠军 step cannot take them first
    granted = cert.certification_round(pop, sure, 1.0, 2021, draws())[Cert.LITTLE_GIANT]
    assert len(granted) == allocated_quota(step.allocation, 2021) == int(step.quota(2021))


def test_quota_needs_exactly_one_source(rules):
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="exactly one of quota_per_year and allocation"):
        rules.little_giant.model_validate({**rules.little_giant.model_dump(), "quota_per_year": {"value": 5, "assume": "a second quota"}})


# --- R&D effort of pool firms (a lever) ----------------------------------------------------


def test_rd_effort_raises_pool_firms_by_exactly_the_lever(ningbo):
    """Same draws, effort e: pool firms' R&D ends exp(e) higher, everyone else's is unchanged."""
    rules, cultivation = ningbo.parameters.certification, ningbo.levers.cultivation
    n = 5000
    levels = np.tile([Cert.NONE, Cert.INNOVATIVE, Cert.ZJTX, Cert.LITTLE_GIANT], n // 4)
    rd = np.random.default_rng(0).uniform(0.001, 0.02, n)

    def evolve(effort):
        pop = Population.new(n, alive=True, cert=levels, rd=rd, revenue_prev=3000.0)
        lever = cultivation.model_copy(update={"rd_effort": q(effort)})
        pool = cert.cultivation_pool(pop, lever, 2021)
        cert.evolve_rd(pop, rules, 2021, draws(), lever)
        return pop.rd, pool

    without, pool = evolve(0.0)
    with_effort, _ = evolve(0.2)
    seedlings = round(cultivation.high_tech_seedlings.at(2021))
    assert np.count_nonzero(pool & (levels == Cert.NONE)) <= seedlings
    assert np.all(pool[(levels == Cert.INNOVATIVE) | (levels == Cert.ZJTX)])
    np.testing.assert_allclose(with_effort[pool], np.minimum(without[pool] * np.exp(0.2), 0.5))
    np.testing.assert_array_equal(with_effort[~pool], without[~pool])


def test_seedlings_are_the_firms_nearest_below_the_floor(ningbo):
    cultivation = ningbo.levers.cultivation.model_copy(update={"high_tech_seedlings": q(2)})
    pop = Population.new(5, alive=True, revenue_prev=10000.0, rd=[0.039, 0.01, 0.035, 0.041, 0.02])
    pool = cert.cultivation_pool(pop, cultivation, 2021)
    np.testing.assert_array_equal(pool, [True, False, True, False, False])  # 0.041 already qualifies


# --- Ningbo: the pipeline from cited inputs -----------------------------------------------


NINGBO_LITTLE_GIANTS = {2021: 182, 2022: 283}  # calibration/data/ningbo.csv
TOLERANCE = 0.20  # medians within 20% of the recorded counts


@pytest.mark.slow
def test_ningbo_reproduces_its_little_giant_and_high_tech_paths(ningbo):
    from simulation import run_replications

    spec = ningbo.population.certified
    assert spec.zjtx_sme.at(0) <= 611  # no base above the 611 专精特新 on record in 2022
    run = run_replications(ningbo, 8, seed=0, workers=1)
    medians = run.indicators.groupby(["indicator", "year"]).value.median()
    for year, observed in NINGBO_LITTLE_GIANTS.items():
        assert abs(medians["little_giants", year] / observed - 1) < TOLERANCE, (year, medians["little_giants", year])
    # 高新技术企业 1,479 (2017) to over 7,000 (2023): x2.17 over three years at the same pace
    growth = medians["high_tech_firms", 2022] / medians["high_tech_firms", 2019]
    recorded = (7000 / 1479) ** (3 / 6)
    assert abs(growth / recorded - 1) < 0.30, growth


def _eligible_on_every_row(pop, level, step, rules, year):
    """eligible_for as it was: every criterion over the whole population, then combined."""
    ladder = pop.cert == level - 1
    since = np.where((level == Cert.INNOVATIVE) | ~ladder, pop.entry_year, pop.cert_year)
    if step.open_above_revenue is not None:
        ladder |= (pop.cert < level) & (pop.revenue_prev >= step.open_above_revenue.at(year))
    if step.level_below_required_from is not None and year < step.level_below_required_from:
        ladder |= pop.cert < level
    return (pop.alive & ladder & (year - since >= step.min_years_below.at(year))
            & cert.meets_rd_rule(step, pop.revenue_prev, pop.rd, year)
            & (pop.revenue_prev >= step.min_revenue.at(year))
            & (pop.growth_prev * 100 >= step.min_growth.at(year))
            & cert.within_sme_ceiling(step, rules, pop.revenue_prev, pop.employees, year))


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 300), st.sampled_from([2018, 2021, 2024]),
       st.sampled_from([None, 5000.0, 50000.0]), st.sampled_from([None, 2022, 2030]))
def test_eligibility_on_the_rung_only_is_eligibility_on_every_row(rules, seed, n, year, open_above, required_from):
    """Testing the criteria on the live firms of the right rung only picks the rows testing them on
    every firm picks, at every level, with the rung opened by revenue or before a required year."""
    rng = np.random.default_rng(seed)
    pop = Population.new(n, alive=rng.random(n) < 0.9, cert=rng.integers(0, 5, n),
                         cert_year=rng.integers(2012, 2024, n), entry_year=rng.integers(1990, 2024, n),
                         revenue_prev=rng.lognormal(8.5, 2.0, n), rd=rng.lognormal(-3.3, 0.8, n),
                         growth_prev=rng.normal(0.05, 0.2, n), employees=rng.lognormal(4.5, 1.5, n))
    for level in (Cert.INNOVATIVE, Cert.ZJTX, Cert.LITTLE_GIANT, Cert.CHAMPION):
        step = getattr(rules, cert.STEPS[level - 1]).model_copy(update={
            "open_above_revenue": None if open_above is None else q(open_above),
            "level_below_required_from": required_from})
        want = _eligible_on_every_row(pop, level, step, rules, year)
        np.testing.assert_array_equal(cert.eligible_for(pop, level, step, rules, year), want)
        np.testing.assert_array_equal(cert.eligible_rows(pop, level, step, rules, year), np.flatnonzero(want))


# --- the year's batch (批次): a round's chance varies from year to year --------------------------


def test_without_a_batch_effect_every_round_keeps_its_chance(rules):
    """No batch effect given (the fixture's rules): every factor is exactly one (the rounds as before)."""
    assert rules.batch_effect is None and rules.high_tech_batch_effect is None
    assert (cert.batch_factors(rules, 2021, draws(3)) == 1.0).all()


def test_the_years_batch_factor_is_one_on_average_with_its_log_spread_and_shared_by_a_levels_firms(rules):
    """The factor is exp(σz - σ²/2): over many replications its mean is one and its log s.d. is σ;
    it is the same in every call of a replication and year (all firms of a level meet one year),
    differs between levels and years, and 高新技术企业 has its own σ."""
    varied = rules.model_copy(update={"batch_effect": q(0.3), "high_tech_batch_effect": q(0.1)})
    factors = np.array([cert.batch_factors(varied, 2022, draws(seed)) for seed in range(4000)])
    ladder, high_tech = factors[:, 1:], factors[:, cert.HIGH_TECH_BATCH]
    assert abs(ladder.mean() - 1.0) < 4 * ladder.std() / np.sqrt(ladder.size)
    assert np.log(ladder).std() == pytest.approx(0.3, rel=0.05)
    assert np.log(high_tech).std() == pytest.approx(0.1, rel=0.05)
    assert abs(np.corrcoef(np.log(ladder[:, 0]), np.log(ladder[:, 1]))[0, 1]) < 0.1  # levels apart
    np.testing.assert_array_equal(cert.batch_factors(varied, 2022, draws(7)), factors[7])  # keyed
    assert not np.array_equal(cert.batch_factors(varied, 2023, draws(7)), factors[7])


def test_a_batch_effect_spreads_a_levels_yearly_count_beyond_the_draw_of_its_firms(rules):
    """2,000 eligible 专精特新 firms, a chance of 0.2, a quota to spare: without a batch effect the
    yearly count of new 小巨人 spreads as a binomial (log s.d. about 0.05); with σ = 0.4 its log s.d. is
    about 0.4, and its mean is still n × 0.2."""
    n, chance = 2000, 0.2
    step = rules.little_giant.model_copy(update={"success": q(chance), "allocation": None, "quota_per_year": q(n)})
    no_champions = rules.single_champion.model_copy(update={"quota_per_year": q(0)})
    base = rules.model_copy(update={"little_giant": step, "single_champion": no_champions, "high_tech_batch_effect": None})

    def counts(batch_effect):
        varied = base.model_copy(update={"batch_effect": batch_effect})
        return np.array([len(cert.certification_round(candidates(n), varied, 1.0, 2021, draws(seed))[Cert.LITTLE_GIANT])
                         for seed in range(300)])

    plain, spread = counts(None), counts(q(0.4))
    assert np.log(plain).std() == pytest.approx(np.sqrt((1 - chance) / (n * chance)), rel=0.2)
    assert np.log(spread).std() == pytest.approx(0.4, rel=0.15)
    assert abs(spread.mean() / (n * chance) - 1) < 4 * spread.std() / spread.mean() / np.sqrt(len(spread))
    # the count follows its own level's factor, not another level's
    factors = np.array([cert.batch_factors(base.model_copy(update={"batch_effect": q(0.4)}), 2021, draws(seed))
                        for seed in range(300)])
    assert np.corrcoef(spread, factors[:, Cert.LITTLE_GIANT])[0, 1] > 0.95
    assert abs(np.corrcoef(spread, factors[:, Cert.ZJTX])[0, 1]) < 0.2


def test_the_years_strictness_scales_high_tech_grants_and_renewals_alike(rules):
    """Non-holders at the floor and holders due for renewal: with a 高新技术企业 batch effect, the
    year's share granted and the share renewed each follow the year's 高新 factor (chance × factor),
    and neither follows the ladder's."""
    n = 4000
    varied = rules.model_copy(update={"high_tech_success": q(0.4), "high_tech_renewal": q(0.5),
                                      "high_tech_batch_effect": q(0.4), "batch_effect": q(0.4)})
    held = np.arange(2 * n) >= n  # the second half holds the status, due this year
    granted, renewed, factors = [], [], []
    for seed in range(200):
        pop = Population.new(2 * n, alive=True, revenue_prev=10000.0, rd=0.05, high_tech=held, high_tech_year=2019)
        new, lapsed = cert.high_tech_round(pop, varied, 2022, draws(seed))
        granted.append(len(new) / n)
        renewed.append(1 - len(lapsed) / n)
        factors.append(cert.batch_factors(varied, 2022, draws(seed)))
    factors = np.array(factors)
    for share, chance in ((np.array(granted), 0.4), (np.array(renewed), 0.5)):
        expected = np.minimum(chance * factors[:, cert.HIGH_TECH_BATCH], 1.0)
        assert np.abs(share - expected).max() < 5 * np.sqrt(0.25 / n)
        assert abs(np.corrcoef(share, factors[:, Cert.LITTLE_GIANT])[0, 1]) < 0.3
