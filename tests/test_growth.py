"""Growth and exit against their laws: Laplace shocks, the scenario's rate as the expectation,
volatility falling with size, a constant monthly hazard, and year one growing at the assumed rate."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from simulation.draws import FirmDraws
from simulation.loader import with_overrides
from simulation.model import simulate
from simulation.population import Population
from simulation.processes.growth import CommonShocks, grow_year, month_step, volatility


def _firms(n, revenue=2000.0, hazard_year=0.0):
    pop = Population.new(n, alive=True, above=True, revenue=revenue, entry_year=2010)
    pop.hazard_month[:] = -np.expm1(np.log1p(-hazard_year) / 12)
    return pop


def _params(zhenhai, **growth):
    overrides = {f"parameters.growth.{k}": v for k, v in growth.items()}
    return with_overrides(zhenhai, overrides).parameters


def test_constant_hazard_gives_geometric_survival():
    """A yearly exit probability p, applied monthly, leaves (1-p) after a year (binomial check)."""
    n, p = 200_000, 0.08
    pop = _firms(n, hazard_year=p)
    draws = FirmDraws(np.random.SeedSequence(0))
    alive = np.ones(n, dtype=bool)
    for month in range(12):
        exited = month_step(pop, draws, month)
        alive[exited] = False
        pop.hazard_month[exited] = 0.0
    sd = np.sqrt(p * (1 - p) / n)
    assert abs((1 - alive.mean()) - p) < 4 * sd


def test_laplace_draws_have_the_laplace_law():
    """The keyed Laplace draw: Kolmogorov-Smirnov against scipy's Laplace, kurtosis 6."""
    x = FirmDraws(np.random.SeedSequence(3)).laplace(np.arange(200_000), "growth", 2021)
    assert stats.kstest(x, "laplace").pvalue > 0.001
    assert abs(stats.kurtosis(x, fisher=False) - 6.0) < 0.3


@settings(max_examples=8, deadline=None)
@given(g=st.floats(-0.1, 0.3), sigma=st.floats(0.05, 0.6), gap=st.floats(0.0, 0.05))
def test_expected_growth_of_above_scale_revenue_is_the_scenario_rate(zhenhai, g, sigma, gap):
    """Whatever the volatility and size effects, continuing 规上 firms' revenue grows in expectation
    by the scenario's rate less its scope gap (the part of the 同口径 rate that is not theirs)."""
    params = _params(zhenhai, above_scale_mean=100 * g, scope_gap=100 * gap, volatility=sigma, common_shock_sd=0.0,
                     sector_shock_sd=0.0)
    n = 100_000
    pop = _firms(n, revenue=np.exp(np.random.default_rng(0).uniform(np.log(2000), np.log(2e5), n)))
    before = pop.revenue.copy()
    grow_year(pop, params, 2021, FirmDraws(np.random.SeedSequence(1)), CommonShocks(sectors=np.zeros(4)))
    ratio = pop.revenue / before
    weighted = np.sum(before * ratio) / before.sum()
    se = np.sqrt(np.sum(before**2 * ratio.var())) / before.sum()
    assert abs(weighted - (1 + g - gap)) < 5 * se + 1e-3


@pytest.mark.parametrize("revenue", [50.0, 300.0, 1500.0])
def test_volatility_adds_no_growth_in_levels(zhenhai, revenue):
    """A small firm's large σ gives it no growth premium: with the size and age effects off, 规下
    firms of one size grow in expectation, in revenue, as the 规上 firms do, in year one and over
    two years, when their transitory shocks have reversed (Gibrat's law: volatility alone moves
    the median down, not the mean up)."""
    params = _params(zhenhai, size_effect=0.0, age_effect=0.0, common_shock_sd=0.0, sector_shock_sd=0.0,
                     certified_premium=0.0)
    n_small, n_large = 400_000, 20_000
    pop = Population.new(n_small + n_large, alive=True, above=np.arange(n_small + n_large) >= n_small,
                         revenue=np.where(np.arange(n_small + n_large) >= n_small, 20_000.0, revenue),
                         entry_year=2010)
    small = np.arange(n_small)
    start, draws, expected = pop.revenue.copy(), FirmDraws(np.random.SeedSequence(4)), 1.0
    for year in (2021, 2022):
        log_g = grow_year(pop, params, year, draws, CommonShocks(sectors=np.zeros(4)))
        assert log_g[small].mean() < log_g[n_small:].mean() - 0.01  # the median falls with σ ...
        ratio = pop.revenue[small] / start[small]
        expected *= 1 + (params.growth.above_scale_mean.at(year) - params.growth.scope_gap.at(year)) / 100
        assert ratio.mean() == pytest.approx(expected, abs=5 * ratio.std() / np.sqrt(n_small))  # ... the mean does not


def test_growth_rates_are_tent_shaped_and_volatility_falls_with_size(zhenhai):
    """Yearly log growth has Laplace kurtosis, and log s.d. falls with log size at slope -beta."""
    params = _params(zhenhai, common_shock_sd=0.0, sector_shock_sd=0.0, heterogeneity=0.0, transitory_share=0.0)
    beta = params.growth.volatility_size_elasticity.at(2021)
    n = 200_000
    revenue = np.exp(np.random.default_rng(0).uniform(np.log(2000), np.log(2e6), n))
    pop = _firms(n, revenue=revenue)
    log_g = grow_year(pop, params, 2021, FirmDraws(np.random.SeedSequence(2)), CommonShocks(sectors=np.zeros(4)))
    bins = np.digitize(np.log(revenue), np.linspace(np.log(2000), np.log(2e6), 6)[1:-1])
    sds = np.array([log_g[bins == k].std() for k in range(5)])
    centres = np.array([np.log(revenue[bins == k]).mean() for k in range(5)])
    slope = np.polyfit(centres, np.log(sds), 1)[0]
    assert slope == pytest.approx(-beta, abs=0.03)
    z = np.concatenate([(log_g[bins == k] - log_g[bins == k].mean()) / sds[k] for k in range(5)])
    assert abs(stats.kurtosis(z, fisher=False) - 6.0) < 0.5
    at_line = volatility(np.array([2000.0]), params, 2021)[0]
    assert at_line == pytest.approx(params.growth.volatility.at(2021))


def test_common_shock_is_shared_and_keyed(zhenhai):
    """The region's shock is one draw a year for every firm, the same under any population."""
    params = _params(zhenhai, common_shock_sd=0.05, common_shock_persistence=0.5)
    a, b = CommonShocks(), CommonShocks()
    draws = FirmDraws(np.random.SeedSequence(9))
    for year in (2021, 2022, 2023):
        a.advance(params, year, 4, draws)
        b.advance(params, year, 7, draws)
        assert a.region == b.region and a.sectors[:4].tolist() == b.sectors[:4].tolist()
    assert a.variance == pytest.approx(0.05**2 * (1 + 0.25 + 0.0625))


def test_year_one_grows_at_the_assumed_rate(small):
    """The base year is annual: with no exits, entry, shocks or binding caps, 规上 value added of
    continuing firms grows in year one by the scenario's rate in expectation (it used to be about half)."""
    sc = with_overrides(small, {
        "parameters.growth.above_scale_mean": 9, "parameters.growth.common_shock_sd": 0.0,
        "parameters.growth.sector_shock_sd": 0.0, "parameters.growth.certified_premium": 0,
        "parameters.growth.energy_efficiency_gain": 0, "parameters.exit.rate": 0.0, "levers.energy.cap": 5000,
        "levers.remediation.firms_per_year": 0, "levers.scattered_weak.firms_per_year": 0,
        "levers.attraction.projects_per_year": 0,
    })
    growth = []
    for seed in range(30):
        panel = simulate(sc, seed, firms=True).firms
        base = panel[(panel.year == sc.base_year) & panel.above_scale].set_index("firm")
        one = panel[panel.year == sc.base_year + 1].set_index("firm").reindex(base.index)
        growth.append(one.value_added.sum() / base.value_added.sum() - 1)
    growth = np.array(growth)
    assert abs(growth.mean() - 0.09) < 3 * growth.std(ddof=1) / np.sqrt(len(growth)) + 0.003


def test_free_entry_keeps_the_below_scale_stock_on_its_path(zhenhai):
    """stock_growth: births replace what the 规下 stock lost (market exits, 散乱弱 closures, 小升规),
    so it stays within a year's losses of its path, not shrinking year after year."""
    from simulation.processes.entry import stock_path

    for growth_rate in (0.0, 3.0):
        sc = with_overrides(zhenhai, {"parameters.entry.stock_growth": growth_rate})
        for seed in (0, 1):
            ind = simulate(sc, seed).indicators.set_index(["indicator", "year"]).value
            for year in sc.years[1:]:
                path = stock_path(sc, year)
                lost = ind["remediated_scattered", year] + ind["new_above_scale", year] + ind["exits_market", year]
                assert path - lost - 3 * np.sqrt(path) <= ind["firms_below_scale", year] <= path + 3 * np.sqrt(path), \
                    (growth_rate, seed, year)


def test_firms_are_founded_all_year_and_keep_the_stock_within_a_months_losses(zhenhai):
    """Births come at the start of each month and make output from it: a year's newcomers made, on
    average, about half a year (6.5 months if evenly spread), and at each year's end, before
    January's births, the 规下 stock is short of its path by little more than the year's 小升规
    (who leave at the year-end review) and December's exits, not by a year's losses."""
    from simulation.processes.entry import stock_path

    panel = simulate(zhenhai, 0, firms=True).firms
    ind = simulate(zhenhai, 0).indicators.set_index(["indicator", "year"]).value
    for year in zhenhai.years:
        new = panel[(panel.year == year) & (panel.age == 0) & ~panel.exited]
        made = (new.revenue / new.revenue_full_year).mean() * 12  # months of output, on average
        assert 5.0 < made < 8.0, (year, made)
        short = stock_path(zhenhai, year) - ind["firms_below_scale", year]
        december = ind["exits_market", year] / 12
        assert short <= ind["new_above_scale", year] + 3 * december + 3 * np.sqrt(stock_path(zhenhai, year)), year


def test_births_per_year_come_a_twelfth_a_month_and_the_path_is_interpolated(zhenhai):
    from simulation.population import Population
    from simulation.processes.entry import births_expected, stock_path, stock_target

    fixed = with_overrides(zhenhai, {"parameters.entry": {"births_per_year": {"value": 120, "assume": "test"},
                                                          "revenue_median": {"value": 300, "assume": "test"},
                                                          "revenue_sigma": {"value": 1.0, "assume": "test"}}})
    pop = Population.new(10, alive=True)
    assert births_expected(fixed, 2022, 5, pop) == pytest.approx(10.0)
    grown = with_overrides(zhenhai, {"parameters.entry.stock_growth": 10.0})
    assert stock_target(grown, 2022, 0) == pytest.approx(stock_path(grown, 2021))
    assert stock_target(grown, 2022, 12) == pytest.approx(stock_path(grown, 2022))
    assert stock_target(grown, 2022, 6) == pytest.approx(stock_path(grown, 2021) * 1.1 ** 0.5)
    assert births_expected(grown, 2022, 6, pop) == pytest.approx(stock_target(grown, 2022, 6) - 10)


def test_stock_path_grows_at_the_schedule(zhenhai):
    from simulation.processes.entry import stock_path

    sc = with_overrides(zhenhai, {"parameters.entry.stock_growth": {2021: 10.0, 2022: -5.0, 2023: 0.0}})
    base = zhenhai.population.below_scale.count.at(0)
    assert stock_path(sc, 2020) == base
    assert stock_path(sc, 2022) == pytest.approx(base * 1.10 * 0.95)
    assert stock_path(sc, 2025) == pytest.approx(base * 1.10 * 0.95)  # a schedule holds its last value


def test_named_large_firms_do_not_leave_by_market_exit(zhenhai):
    """A named plant (镇海炼化) changes owner rather than closing: with every other firm's exit
    hazard raised to the ceiling, it is still producing at the end, in every replication. (No
    D-grade list: in a district emptied by exit the refinery itself would be graded D and closed.)"""
    sc = with_overrides(zhenhai, {"parameters.exit.rate": 0.9, "parameters.exit.size_elasticity": 0.0,
                                  "levers.remediation.firms_per_year": 0})
    for seed in range(4):
        panel = simulate(sc, seed, firms=True).firms
        producing = panel[(panel.year == sc.years[-1]) & ~panel.exited]
        assert 0 in set(producing.firm), seed  # the refinery (id 0)
        assert (panel.exit_reason[panel.firm > 0] == "市场退出").sum() > 1000  # the others did leave


def test_the_cultivation_pool_boosts_firms_within_half_the_line_only(zhenhai):
    """培育库 firms are 规下 firms within half the 2,000万 line: one below half the line, one above
    it (not yet reviewed) and a 规上 firm get no boost; the pool's firms get the lever's rate."""
    from simulation.processes.statistics import cultivation_pool_boost

    revenue = np.array([900.0, 1000.0, 1999.0, 2000.0, 2500.0, 3000.0])
    pop = Population.new(6, alive=True, above=np.array([False] * 5 + [True]), revenue=revenue, entry_year=2010)
    boost = cultivation_pool_boost(pop, zhenhai.levers, 2000.0, 2021)
    rate = zhenhai.levers.xiaoshenggui.pool_growth_boost.at(2021) / 100
    assert rate > 0 and boost.tolist() == [0.0, rate, rate, 0.0, 0.0, 0.0]


def test_the_base_years_leavers_made_what_a_year_of_monthly_exits_makes(zhenhai):
    """The base year's population is the firms at its end; the output its leavers made before they
    went (added to the year's all-industry value added) is what twelve months of keyed exit draws
    give on the same firms: a leaver makes the months up to and including the one it leaves in."""
    from simulation.processes.growth import leavers_value_added, set_exit_hazard

    year, n = zhenhai.base_year, 20_000
    rng = np.random.default_rng(1)
    revenue, entry = rng.lognormal(6.0, 1.0, n), rng.integers(year - 30, year + 1, n)

    def firms():
        return Population.new(n, alive=True, revenue=revenue, entry_year=entry, va_rate=0.2)

    made = []
    for seed in range(20):
        pop = firms()
        set_exit_hazard(pop, zhenhai.parameters, year)
        draws, left = FirmDraws(np.random.SeedSequence(seed)), []
        for month in range(12):
            exited = month_step(pop, draws, month)
            pop.revenue[exited] = 0.0  # as the region marks them: no more output
            pop.hazard_month[exited] = 0.0
            left.append(exited)
        rows = np.concatenate(left)
        made.append(float(np.sum(pop.ytd[rows] / 12 * pop.va_rate[rows])))
    expected = leavers_value_added(firms(), zhenhai.parameters, year)
    assert expected > 0.01 * float(np.sum(revenue * 0.2))  # a real share of the year's output
    assert abs(np.mean(made) - expected) < 4 * np.std(made) / np.sqrt(len(made))
    assert abs(np.mean(made) / expected - 1) < 0.03  # and the error is small: 6 months would be 8% off


def test_the_leavers_months_in_closed_form_are_the_sum_over_the_months_they_leave_in(zhenhai):
    """The leavers' expected months, y / h - 12 (1 - y) per firm, are Σ_k k P(leaves in month k)
    summed month by month, for every yearly hazard from none (a named plant) to the 0.9 cap."""
    from simulation.processes.growth import leavers_value_added, yearly_hazard

    year, n = zhenhai.base_year, 5_000
    rng = np.random.default_rng(3)
    pop = Population.new(n, alive=True, revenue=rng.lognormal(5.0, 2.5, n), entry_year=rng.integers(year - 40, year + 1, n),
                         va_rate=rng.uniform(0.1, 0.4, n), grade=rng.integers(0, 4, n), cert=rng.integers(0, 3, n))
    named = 50  # the first ids: no market exit
    yearly = yearly_hazard(pop, zhenhai.parameters, year)
    yearly[:named] = 0.0
    assert yearly.max() > 0.5 and (yearly[named:] > 0).all()  # the hazards span the range
    stay = (1.0 - yearly) ** (1 / 12)
    months = sum(k * stay ** (k - 1) * (1.0 - stay) for k in range(1, 13))
    direct = float(np.sum(months / 12 * pop.revenue * pop.va_rate))
    assert leavers_value_added(pop, zhenhai.parameters, year, named=named) == pytest.approx(direct, rel=1e-12)


def test_a_year_of_births_at_the_expected_pace_takes_one_batch(zhenhai, monkeypatch):
    """The first batch holds January's births and twice the rest of the year's expected births, so
    a year whose births run at up to twice that pace draws once; one at three times draws more."""
    from simulation.processes.entry import Newcomers

    year, exits = zhenhai.base_year + 1, 240.0
    drawn = []
    original = Newcomers._draw
    monkeypatch.setattr(Newcomers, "_draw", lambda self, size: (drawn.append(size), original(self, size))[1])
    counts = {}
    for pace in (2.0, 3.0):
        drawn.clear()
        pool = Newcomers(zhenhai, year, np.random.default_rng(1), exits=exits)
        monthly = int(pace * pool.expected / 12)
        for month in range(12):
            pool.take(60 if month == 0 else monthly, month)  # January replaces the year-end 小升规 too
        counts[pace] = len(drawn)
    assert counts[2.0] == 1 and counts[3.0] > 1, counts


def test_a_years_newcomers_are_handed_out_in_turn_with_their_exit_hazard(zhenhai):
    """The year's new firms are drawn in batches and handed out as founded: each firm once, in the
    order drawn, a new batch when one runs out, and each with the exit hazard the population would
    give it once appended (age 0, no certificate, ungraded)."""
    from simulation.processes.entry import Newcomers
    from simulation.processes.growth import set_exit_hazard

    year = zhenhai.base_year + 1
    pool = Newcomers(zhenhai, year, np.random.default_rng(5))
    taken = [pool.take(n) for n in (3, 40, 1, 500)]  # the second and the last need new batches
    revenue = np.concatenate([firms["revenue"] for firms, _ in taken])
    assert len(revenue) == 544 and len(np.unique(revenue)) == 544  # none handed out twice
    for firms, use in taken:
        assert use == pytest.approx(firms["revenue"] * firms["va_rate"] * firms["intensity"])
    pop = Population.new(0)
    for firms, _ in taken:
        pop.append(len(firms["revenue"]), **{k: v for k, v in firms.items() if k != "hazard_month"})
    set_exit_hazard(pop, zhenhai.parameters, year)
    handed = np.concatenate([firms["hazard_month"] for firms, _ in taken])
    np.testing.assert_allclose(handed, pop.hazard_month, rtol=1e-12)
    assert (handed > 0).all()
