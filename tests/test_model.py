"""The engine against laws it must keep: conservation, the tier ladder, the revenue rule, seeds."""

import gc

import numpy as np
import pandas as pd
import pytest

from simulation.draws import FirmDraws
from simulation.experiments.replicate import run_replications
from simulation.experiments.seeds import task_seed
from simulation.model import STREAMS, Region, cyclic_gc_paused, simulate
from simulation.tiers import Cert


def make_region(scenario, seed=0):
    seq = np.random.SeedSequence(seed)
    children = seq.spawn(len(STREAMS) + 1)
    return Region(scenario, dict(zip(STREAMS, map(np.random.default_rng, children))), FirmDraws(children[-1]))


def wide(result):
    return result.indicators.pivot(index="year", columns="indicator", values="value")


@pytest.fixture(scope="module")
def run_small(small):
    return simulate(small, 3)


def test_land_held_plus_clearing_plus_free_is_total_every_year(run_small):
    w = wide(run_small)
    assert (w.land_clearing.iloc[1:] > 0).any()  # freed land does wait in clearing
    np.testing.assert_allclose(w.land_held + w.land_clearing + w.land_free, w.land_total, rtol=1e-9)


def test_ledger_replays_to_the_recorded_land_stock(run_small, small):
    """Replaying grants and releases from the ledger gives the yearly land_held the model reports
    (the base year's holds the plots of the projects under way at its end, granted at the start)."""
    w = wide(run_small)
    ledger = run_small.ledger[run_small.ledger.resource == "land"]
    under_way = ledger.reason.isin(["project under construction at start",
                                    "granted before the start to a project under construction"])
    assert under_way.any()
    freed_before = ledger.reason == "freed before the start"  # in clearing at the start, never held in the run
    ledger = ledger[~under_way & ~freed_before]
    sign = ledger.event.map({"grant": 1.0, "release": -1.0, "forfeit": -1.0, "clearing": -1.0}).fillna(0.0)
    held0 = w.land_held.iloc[0]
    for year in small.years:
        t_end = 12.0 * (year - small.base_year) + 0.01
        replay = held0 + float((sign * ledger.amount)[ledger.time <= t_end].sum())
        assert replay == pytest.approx(w.land_held[year], rel=1e-9)


def test_land_held_is_land_of_firms_projects_and_parks(small):
    region = make_region(small, 5)
    region.run()
    parks = sum(a for _, e, a, r in region.land.ledger.rows if e == "grant" and r.startswith("小微企业园"))
    firms = float(region.pop.land[region.pop.alive].sum())
    # projects not yet producing (building, or built and joining at the next month step) hold the pipeline's land
    assert region.desk.pipeline_land == pytest.approx(sum(entry[3].land for entry in region.desk.building), abs=1e-6)
    assert region.land.held == pytest.approx(firms + region.desk.pipeline_land + parks, rel=1e-9)
    assert region.land.held + region.land.clearing + region.land.free == pytest.approx(region.land.total, rel=1e-12)


def test_energy_used_never_exceeds_cap(run_small):
    """Use beyond quota is only the overrun booked at the year end (rationing never acts backwards)."""
    w = wide(run_small)
    assert (w.energy_used <= (w.energy_allocated + w.energy_overrun) * (1 + 1e-9)).all()
    assert (w.energy_allocated <= w.energy_cap * (1 + 1e-9)).all()


def test_firms_alive_equal_initial_plus_entered_minus_exited(run_small):
    w, flows = wide(run_small), run_small.flows
    alive = w.firms_below_scale + w.firms_above_scale
    entered = flows[flows.source.isin(["新设", "项目投产"])].groupby("year")["count"].sum()
    exited = flows[flows.target.isin(["市场退出", "淘汰关停", "兼并搬迁"])].groupby("year")["count"].sum()
    years = alive.index[1:]
    expected = alive.shift(1)[years] + entered.reindex(years, fill_value=0) - exited.reindex(years, fill_value=0)
    np.testing.assert_array_equal(alive[years].to_numpy(), expected.to_numpy())


def test_certification_climbs_the_ladder_one_step_at_a_time(run_small):
    ups = run_small.flows[run_small.flows.target.isin(["创新型中小企业", "专精特新中小企业", "专精特新小巨人", "单项冠军"])]
    allowed = {("未认定", "创新型中小企业"), ("创新型中小企业", "专精特新中小企业"),
               ("专精特新中小企业", "专精特新小巨人"), ("专精特新小巨人", "单项冠军")}
    # firms of 4亿 or more reach 单项冠军 from any level (checked firm by firm in the next test)
    allowed |= {(source, "单项冠军") for source in ("未认定", "创新型中小企业", "专精特新中小企业")}
    # before the 创新型 tier existed (2022), 专精特新 was open to any firm
    early = ups.year < 2022
    assert set(zip(ups.source[~early], ups.target[~early])) <= allowed
    assert set(zip(ups.source[early], ups.target[early])) <= allowed | {("未认定", "专精特新中小企业")}


def test_certificates_climb_one_step_except_large_firms_to_champion(small):
    """Track every firm's level over the run: each rise is one step, but a firm with 4亿 or more
    may become 单项冠军 without being 小巨人 (domain-facts §3), and before the year a level below
    became a requirement any lower level may apply (``level_below_required_from``)."""
    region = make_region(small, 11)
    rules = small.parameters.certification
    open_above = rules.single_champion.open_above_revenue.at(0)
    steps = {Cert.INNOVATIVE: rules.innovative_sme, Cert.ZJTX: rules.zjtx_sme, Cert.LITTLE_GIANT: rules.little_giant,
             Cert.CHAMPION: rules.single_champion}
    seen, jumps = {}, []
    original = region._certify

    def watch(year):
        before = dict(zip(region.pop.id, region.pop.cert))
        # the rule reads last year's revenue at last year's prices (certification.last_years_revenue)
        large = dict(zip(region.pop.id, region.pop.revenue_prev * small.price_level(year - 1) >= open_above))
        original(year)
        after = dict(zip(region.pop.id, region.pop.cert))
        for fid, level in after.items():
            if level - before[fid] > 1:
                required_from = steps[Cert(level)].level_below_required_from
                open_below = required_from is not None and year < required_from
                assert open_below or (level == Cert.CHAMPION and large[fid]), (fid, before[fid], level, year)
                jumps.append(fid)
            seen[fid] = max(seen.get(fid, 0), level)

    region._certify = watch
    region.run()
    assert max(seen.values()) >= Cert.ZJTX  # the rounds did promote firms


def test_above_scale_follows_the_revenue_rule(small):
    """Every 规上 firm's revenue at the year's prices is at the 2,000万 line or over it (the line
    is in current prices, revenue in base-year prices: tests/test_scale_line.py)."""
    region = make_region(small, 2)
    threshold = small.parameters.statistics.above_scale_threshold.at(0)
    checks = []
    original = region._record

    def check(year):
        pop = region.pop
        annual = pop.annual_revenue()[pop.alive] * small.price_level(year)
        above = pop.above[pop.alive]
        checks.append((annual[above].min(), annual[~above].max() if (~above).any() else 0.0, above.sum()))
        original(year)

    region._record = check
    region.run()
    for lowest_above, _, _ in checks:
        assert lowest_above >= threshold * (1 - 1e-12)
    assert any(highest_below >= threshold for _, highest_below, _ in checks), "some eligible firms stay out (no report)"


def test_same_seed_same_numbers_different_seed_different(small):
    a, b, c = simulate(small, 7), simulate(small, 7), simulate(small, 8)
    pd.testing.assert_frame_equal(a.indicators, b.indicators)
    pd.testing.assert_frame_equal(a.ledger, b.ledger)
    assert not a.indicators["value"].equals(c.indicators["value"])


def test_seed_zero_is_a_seed(small):
    assert not simulate(small, 0).indicators["value"].equals(simulate(small, 1).indicators["value"])


@pytest.mark.slow
def test_workers_do_not_change_numbers(small):
    serial = run_replications(small, 6, seed=4, workers=1)
    pooled = run_replications(small, 6, seed=4, workers=2)
    pd.testing.assert_frame_equal(serial.indicators, pooled.indicators)
    pd.testing.assert_frame_equal(serial.targets, pooled.targets)
    single = simulate(small, task_seed(4, 0, 5)).indicators
    pd.testing.assert_frame_equal(
        serial.indicators[serial.indicators.replication == 5].drop(columns="replication").reset_index(drop=True), single
    )


@pytest.mark.slow
def test_remediation_capacity_frees_more_land(small):
    from simulation.loader import with_overrides

    more = with_overrides(small, {"levers.remediation.firms_per_year": 30})
    base = run_replications(small, 8, seed=1).indicators
    high = run_replications(more, 8, seed=1).indicators
    def freed(ind):
        return ind[ind.indicator == "land_freed"]["value"].sum()
    assert freed(high) > freed(base)


def test_remediation_takes_d_grade_before_high_energy_c_grade(zhenhai):
    """Land 2^row identifies which rows a batch took."""
    from simulation.population import Population
    from simulation.processes.remediation import remediate_d_grade
    from simulation.tiers import GRADE_B, GRADE_C, GRADE_D

    def firms():
        pop = Population.new(6, alive=True, revenue=10_000.0, va_rate=0.2, land=2.0 ** np.arange(6), quota=2000.0)
        pop.grade[:] = [GRADE_D, GRADE_C, GRADE_C, GRADE_D, GRADE_B, GRADE_C]
        pop.intensity[:] = [1.0, 5.0, 0.1, 1.0, 9.0, 3.0]  # energy use = 2,000 x intensity tce/年
        pop.d_streak[:] = [1, 0, 0, 3, 0, 0]
        return pop

    routes, effects = zhenhai.levers.remediation.routes, zhenhai.parameters.route_effects
    def taken(capacity, limit):
        return remediate_d_grade(
            firms(), capacity, routes, effects, 2021, FirmDraws(np.random.SeedSequence(0)), high_energy_use=limit
        ).land_remediated
    assert taken(2, 5000.0) == 1 + 8  # both D rows first
    assert taken(3, 5000.0) == 1 + 8 + 2  # then the C row using 10,000 tce
    assert taken(10, 5000.0) == 1 + 8 + 2 + 32  # and the one using 6,000; not the B row, not the thrifty C row
    assert taken(10, None) == 1 + 8  # without the 两高 rule, D only


def test_the_d_list_reaches_firms_not_remediated_before(zhenhai):
    """Twenty D-grade firms, still graded D a year after their turn (the band is cut on rank), and
    a campaign of eight a year with upgrade and 规范管理 routes only: each year it reaches eight
    firms it has not reached before, and comes back first to those it reached longest ago."""
    from simulation.population import Population
    from simulation.processes.remediation import remediate_d_grade
    from simulation.tiers import GRADE_D

    pop = Population.new(20, alive=True, revenue=5_000.0, va_rate=0.2, land=10.0, quota=1_000.0, intensity=1.0)
    pop.grade[:] = GRADE_D
    pop.score[:] = np.arange(20.0)
    routes = zhenhai.levers.remediation.routes.model_copy(update={
        "merge_relocate": routes_share(zhenhai, 0.0), "close": routes_share(zhenhai, 0.0)})
    effects, draws, seen = zhenhai.parameters.route_effects, FirmDraws(np.random.SeedSequence(1)), []
    for year in (2021, 2022, 2023):
        batch = remediate_d_grade(pop, 8, routes, effects, year, draws)
        seen.append(set(batch.listed.tolist()))
        pop.grade[:] = GRADE_D  # graded D again in December
        pop.d_streak[:] = 1
    assert len(seen[0] | seen[1]) == 16  # two years, sixteen firms
    assert seen[2] == set(range(16, 20)) | set(sorted(seen[0])[:4])  # the last four, then the lowest scores of 2021


def test_the_expected_upgrade_spending_is_the_mean_of_the_campaigns(zhenhai):
    """The base year's 改造提升 spending is a campaign's in expectation over the routes: over 400
    keyed route draws on the same list (D-grade and 两高 C-grade firms of planted plots), the mean
    spending of remediate_d_grade comes within 3% of it, and no firm is changed by working it out."""
    from simulation.population import Population
    from simulation.processes.remediation import remediate_d_grade, upgrade_spending_expected
    from simulation.tiers import GRADE_C, GRADE_D

    def firms():
        pop = Population.new(60, alive=True, revenue=10_000.0, va_rate=0.2, land=np.arange(1.0, 61.0), quota=20_000.0)
        pop.grade[:] = GRADE_D
        pop.grade[40:] = GRADE_C
        pop.intensity[:] = 5.0  # 10,000 tce/年 each: the C firms are 两高
        pop.score[:] = np.arange(60.0)
        return pop

    lever = zhenhai.levers.remediation.model_copy(update={
        "firms_per_year": zhenhai.levers.remediation.firms_per_year.model_copy(update={"value": 50}),
        "high_energy_use": zhenhai.levers.remediation.firms_per_year.model_copy(update={"value": 5000})})
    effects, pop = zhenhai.parameters.route_effects, firms()
    expected = upgrade_spending_expected(pop, lever, effects, 2021)
    assert all(np.array_equal(getattr(pop, c), getattr(firms(), c)) for c in ("land", "va_rate", "grade", "quota"))
    spent = [remediate_d_grade(firms(), 50, lever.routes, effects, 2021, FirmDraws(np.random.SeedSequence(seed)),
                               high_energy_use=5000.0).investment for seed in range(400)]
    assert np.mean(spent) == pytest.approx(expected, rel=0.03)
    assert expected > 10 * 50 * effects.upgrade_investment_per_mu.at(2021)  # the 两高 plants' plots at least
    # a campaign that starts after the first simulated year did not run in the base year
    later = lever.model_copy(update={"start_year": 2023})
    assert upgrade_spending_expected(pop, later, effects, 2021) == 0.0
    assert upgrade_spending_expected(pop, lever.model_copy(update={"start_year": 2022}), effects, 2021) == expected


def test_the_base_years_investment_holds_a_year_of_upgrades(zhenhai):
    """The campaign ran before the start (亩均论英雄 remediation since 2018), so the base year's
    investment holds a year of 改造提升 at the base year's pace: with no campaign at all it is
    lower by that year's expected spending, and year one's growth no longer counts the upgrades as new."""
    from simulation.loader import with_overrides
    from simulation.model import run_region
    from simulation.processes.remediation import upgrade_spending_expected

    def base_and_region(scenario):
        region = run_region(scenario, 3)
        base = {k: v for y, k, v in region.records if y == scenario.base_year}
        return base["manufacturing_investment"], region

    with_campaign, region = base_and_region(zhenhai)
    without, _ = base_and_region(with_overrides(zhenhai, {"levers.remediation.firms_per_year": 0}))
    assert with_campaign > without
    start = make_region(zhenhai, 3)
    expected = upgrade_spending_expected(start.pop, zhenhai.levers.remediation, zhenhai.parameters.route_effects,
                                         zhenhai.base_year)
    assert with_campaign - without == pytest.approx(expected / 1e4, rel=1e-9)


def routes_share(scenario, share):
    return scenario.levers.remediation.routes.upgrade.model_copy(update={"value": share})


def test_high_energy_c_grade_firms_are_upgraded_not_closed_or_merged(zhenhai):
    """001 §三(一)2: 两高 users are evaluated and brought into line; the four routes are the D list's.
    Route shares of all merge and close would otherwise take every listed firm out."""
    from simulation.population import Population
    from simulation.processes.remediation import Route, remediate_d_grade
    from simulation.tiers import GRADE_C, GRADE_D

    pop = Population.new(40, alive=True, revenue=10_000.0, va_rate=0.2, land=5.0, quota=20_000.0)
    pop.grade[:] = GRADE_C
    pop.grade[:10] = GRADE_D
    pop.intensity[:] = 5.0  # 10,000 tce/年 each: every C firm is 两高
    routes = zhenhai.levers.remediation.routes.model_copy(update={
        "upgrade": zhenhai.levers.remediation.routes.upgrade.model_copy(update={"value": 0.0}),
        "regularise": zhenhai.levers.remediation.routes.regularise.model_copy(update={"value": 0.0}),
    })
    out = remediate_d_grade(pop, 40, routes, zhenhai.parameters.route_effects, 2021,
                            FirmDraws(np.random.SeedSequence(0)), high_energy_use=5000.0)
    gone = np.concatenate([out.merged, out.closed])
    assert set(gone.tolist()) == set(range(10))  # the D firms, and only they, leave
    assert out.counts[Route.UPGRADE] == 30


def test_a_two_high_plant_is_retrofitted_as_a_plant_not_as_a_workshop(zhenhai):
    """A listed 两高 plant's 节能改造 cuts the energy it uses at its output by the 两高 share and
    leaves its value-added rate; a D-grade firm upgraded alongside gets the workshop's effects: its
    use falls by the workshop's share (the scenarios' "saves 15-25% of energy") while its value
    added rises, so energy per unit of value added falls by more."""
    from simulation.population import Population
    from simulation.processes.remediation import remediate_d_grade
    from simulation.tiers import GRADE_C, GRADE_D

    pop = Population.new(20, alive=True, revenue=10_000.0, va_rate=0.2, land=5.0, quota=20_000.0)
    pop.grade[:] = GRADE_C
    pop.grade[:10] = GRADE_D
    pop.intensity[:] = 5.0  # 10,000 tce/年 each: every C firm is 两高
    shares = zhenhai.levers.remediation.routes
    routes = shares.model_copy(update={name: getattr(shares, name).model_copy(update={"value": value}) for name, value in
                                       (("upgrade", 1.0), ("regularise", 0.0), ("merge_relocate", 0.0), ("close", 0.0))})
    effects = zhenhai.parameters.route_effects
    remediate_d_grade(pop, 20, routes, effects, 2021, FirmDraws(np.random.SeedSequence(0)), high_energy_use=5000.0)
    plant_cut, workshop_cut = effects.two_high_energy_cut.at(2021), effects.upgrade_energy_cut.at(2021)
    assert plant_cut < workshop_cut
    use = pop.energy_use()  # tce/年 at the same revenue: 10,000 each before
    np.testing.assert_allclose(use[10:], 10_000.0 * (1 - plant_cut), rtol=1e-12)
    np.testing.assert_array_equal(pop.va_rate[10:], 0.2)
    np.testing.assert_allclose(use[:10], 10_000.0 * (1 - workshop_cut), rtol=1e-12)
    assert (pop.va_rate[:10] > 0.2).all()
    assert (pop.intensity[:10] < 5.0 * (1 - workshop_cut)).all()  # per unit of value added: more than the cut


def test_merged_output_goes_to_a_large_acquirer_with_its_base(zhenhai):
    """A merger moves the retained share of the firm's output, this year's so far and last year's
    (the 同口径 base), to an A-grade 规上 firm: the acquirers' like-for-like growth does not move,
    and the year's total output counts the moved months once."""
    from simulation.population import Population
    from simulation.processes.remediation import _merge
    from simulation.tiers import GRADE_A

    pop = Population.new(30, alive=True, revenue=5_000.0, va_rate=0.2)
    pop.above[:] = np.arange(30) < 10
    pop.grade[:] = GRADE_A  # 规上 and 规下 A-grade firms alike
    pop.ytd[:] = pop.revenue * 6  # six months so far, at last year's rate
    pop.revenue_prev[:] = pop.revenue
    pop.va_prev[:] = pop.revenue * pop.va_rate
    merged = np.arange(20, 30)
    pop.revenue[merged] = pop.ytd[merged] / 6 * 3  # the merged firms are larger
    pop.ytd[merged] *= 3
    pop.revenue_prev[merged] *= 3
    pop.va_prev[merged] *= 3
    before = {c: getattr(pop, c).copy() for c in ("revenue", "ytd", "revenue_prev", "va_prev")}
    pop.alive[merged] = False  # as the region marks them; their columns are read before they go
    _merge(pop, merged, zhenhai.parameters.route_effects, 2021, FirmDraws(np.random.SeedSequence(3)))
    k = zhenhai.parameters.route_effects.merge_output_retained.at(2021)
    for column, was in before.items():
        gained = getattr(pop, column) - was
        assert gained[10:20].sum() == 0  # no 规下 firm takes a 规上 firm's output
        assert gained[:10].sum() == pytest.approx(k * was[merged].sum())
    growth = pop.ytd[:10] / 6 * pop.va_rate[:10] / pop.va_prev[:10]
    assert growth == pytest.approx(np.ones(10))  # everyone produced at last year's rate: no growth
    # what the merged firms made this year is counted once: what moved, and the rest as theirs
    assert pop.ytd[merged] == pytest.approx((1 - k) * before["ytd"][merged])
    assert pop.ytd.sum() == pytest.approx(before["ytd"].sum())


def test_merged_quota_goes_with_the_output_it_makes(zhenhai):
    """The acquirer takes as much of a merged firm's quota as it uses to make the retained output at
    its own intensity (all of it when the merged firm holds less), the rest stays to be freed; quota
    is neither made nor lost."""
    from simulation.population import Population
    from simulation.processes.remediation import _merge
    from simulation.tiers import GRADE_A, GRADE_D

    pop = Population.new(12, alive=True, above=True, revenue=10_000.0, va_rate=0.25, intensity=0.4)
    pop.grade[:] = GRADE_A
    merged = np.arange(8, 12)
    pop.grade[merged] = GRADE_D
    pop.quota[:] = pop.energy_use()  # 1,000 tce each
    pop.intensity[merged] = 2.0  # the merged firms are five times as energy-hungry: 5,000 tce each
    pop.quota[merged] = [5_000.0, 5_000.0, 5_000.0, 100.0]  # the last holds less than the acquirer will use
    total = pop.quota.sum()
    acquirers_before = pop.quota[:8].copy()
    _merge(pop, merged, zhenhai.parameters.route_effects, 2021, FirmDraws(np.random.SeedSequence(3)))
    k = zhenhai.parameters.route_effects.merge_output_retained.at(2021)
    need = k * 10_000.0 * 0.25 * 0.4  # the retained output at the acquirer's intensity
    np.testing.assert_allclose(pop.quota[merged], [5_000.0 - need] * 3 + [0.0])
    assert pop.quota[:8].sum() - acquirers_before.sum() == pytest.approx(3 * need + 100.0)
    assert pop.quota.sum() == pytest.approx(total)


def test_project_investment_is_spent_evenly_over_its_build_time(small):
    from simulation.processes.projects import Project

    region = make_region(small)
    first = small.base_year + 1
    project = Project(investment=1.2, land=30.0, energy=0.0, output=0.0, build_months=18.0, patience=12.0)
    desk = region.desk
    desk.spending.clear()
    desk.started(project, now=6.0, months=18.0, counted=True)
    desk.settle()
    assert desk.spending[first] == pytest.approx(0.4e4) and desk.spending[first + 1] == pytest.approx(0.8e4)
    desk.spending.clear()
    desk.started(project, now=0.0, months=9.0, counted=False)  # under construction at the start
    desk.settle()
    assert sum(desk.spending.values()) == pytest.approx(0.6e4)


def test_a_plant_opened_mid_year_can_exit_at_once_and_is_judged_on_a_full_year(small):
    """A project's firm joins with its exit hazard set, as a birth's is (it had none until
    January), and the rules that judge a year read its yearly rate, not the part year it made;
    an older firm's year is read as it was."""
    from simulation.processes.projects import Project

    region = make_region(small)
    pop, year = region.pop, region.year
    plant = Project(investment=2.0, land=40.0, energy=500.0, output=30_000.0, build_months=18.0, patience=12.0)
    region._add_project_firms([plant, plant])
    new = np.arange(len(pop) - 2, len(pop))
    assert (pop.hazard_month[new] > 0).all() and (pop.entry_year[new] == year).all()
    pop.ytd[new] = 6 * pop.revenue[new]  # six months made by the year's end
    older = np.flatnonzero(pop.alive & (pop.entry_year < year))[:5]
    pop.ytd[older] = 12 * pop.revenue[older] * 0.9
    annual = pop.annual_revenue()
    judged = pop.full_year_revenue(annual, year)
    np.testing.assert_allclose(judged[new], 30_000.0)
    np.testing.assert_array_equal(judged[older], annual[older])


def test_cycle_collector_is_paused_during_a_run_and_left_as_found():
    assert gc.isenabled()
    with pytest.raises(RuntimeError), cyclic_gc_paused():
        assert not gc.isenabled()
        raise RuntimeError("a run that fails")
    assert gc.isenabled()  # back on, even after a failure
    gc.disable()
    try:
        with cyclic_gc_paused():
            pass
        assert not gc.isenabled()  # a caller who had it off keeps it off
    finally:
        gc.enable()


def test_the_flow_table_has_one_row_per_year_and_pair_of_tiers(small):
    """A year's 项目投产 and exits come month by month; the table sums them, so a lookup by year and
    pair reads the whole year, as the README says."""
    from simulation import run_replications

    flows = run_replications(small, 3, seed=0).flows
    assert not flows.duplicated(["replication", "year", "source", "target"]).any()
    assert (flows["count"] > 0).all() and len(flows) > 0


def test_a_firm_on_the_d_list_is_not_also_a_scattered_firm_that_year(zhenhai):
    """The 散乱弱 clearance picks among the firms not on the year's 高耗低效 list, so no firm (and no
    plot of 整治提升 land) is remediated twice in a year: here the weakest 规下 firms by tax per
    head are the D-grade ones, which the list upgrades and keeps."""
    from simulation.population import Population
    from simulation.processes.remediation import campaign
    from simulation.tiers import GRADE_C, GRADE_D

    n = 60
    pop = Population.new(n, alive=True, above=False, revenue=1_000.0, va_rate=0.2, land=4.0, quota=200.0,
                         employees=10.0, tax_rate=np.where(np.arange(n) < 20, 0.001, 0.05), intensity=1.0)
    pop.grade[:] = GRADE_C
    pop.grade[:20] = GRADE_D  # also the 20 lowest in tax per head
    lever = zhenhai.levers.remediation
    shares = lever.routes
    lever = lever.model_copy(update={
        "firms_per_year": lever.firms_per_year.model_copy(update={"value": 20}), "high_energy_use": None,
        "routes": shares.model_copy(update={name: getattr(shares, name).model_copy(update={"value": value}) for name, value
                                            in (("upgrade", 1.0), ("regularise", 0.0), ("merge_relocate", 0.0), ("close", 0.0))})})
    scattered = zhenhai.levers.scattered_weak
    scattered = scattered.model_copy(update={"firms_per_year": scattered.firms_per_year.model_copy(update={"value": 20})})
    done = campaign(pop, lever, scattered, zhenhai.parameters.route_effects, 2021, FirmDraws(np.random.SeedSequence(0)))
    scattered_rows = np.concatenate([done.scattered_closed, done.scattered_regularised])
    assert sorted(done.batch.listed.tolist()) == list(range(20))
    assert len(scattered_rows) == 20 and not set(scattered_rows.tolist()) & set(range(20))
    assert done.counters()["land_remediated"] == pytest.approx(4.0 * 40)  # 40 plots, each once


def _routes_only(zhenhai, route: str):
    shares = zhenhai.levers.remediation.routes
    return shares.model_copy(update={name: getattr(shares, name).model_copy(update={"value": float(name == route)})
                                     for name in ("upgrade", "regularise", "merge_relocate", "close")})


def test_an_upgrade_frees_the_energy_it_saves_not_the_quota_held_idle(zhenhai):
    """腾出用能 of 改造提升 is the fall in the firm's use, within its quota: a firm holding twice the
    quota it uses frees its cut, not the idle half (the year-end true-up takes that back); a firm
    using more than its quota frees only what the cut leaves of the quota."""
    from simulation.population import Population
    from simulation.processes.remediation import remediate_d_grade
    from simulation.tiers import GRADE_D

    pop = Population.new(2, alive=True, revenue=10_000.0, va_rate=0.2, land=5.0, intensity=5.0)  # 10,000 tce/年 each
    pop.grade[:] = GRADE_D
    pop.quota[:] = [20_000.0, 8_500.0]
    effects = zhenhai.parameters.route_effects
    cut = effects.upgrade_energy_cut.at(2021)
    out = remediate_d_grade(pop, 2, _routes_only(zhenhai, "upgrade"), effects, 2021, FirmDraws(np.random.SeedSequence(0)))
    idle_saving, over_saving = 10_000.0 * cut, max(8_500.0 - 10_000.0 * (1 - cut), 0.0)
    assert out.energy_saved == pytest.approx(idle_saving + over_saving, rel=1e-12)
    np.testing.assert_allclose(pop.quota, [20_000.0 - idle_saving, 8_500.0 - over_saving], rtol=1e-12)
    np.testing.assert_allclose(pop.energy_use(), 10_000.0 * (1 - cut), rtol=1e-12)


def test_a_merged_firms_output_goes_to_its_acquirer_with_the_workers_who_make_it(zhenhai):
    """兼并: the acquirer reports the retained share of the merged firm's output, and employs the
    same share of its workers, so labour productivity does not rise by the merger alone."""
    from simulation.population import Population
    from simulation.processes.remediation import remediate_d_grade
    from simulation.tiers import GRADE_A, GRADE_D

    pop = Population.new(2, alive=True, revenue=10_000.0, va_rate=0.2, land=5.0, intensity=1.0, quota=2_000.0)
    pop.grade[:] = [GRADE_D, GRADE_A]
    pop.above[:] = True
    pop.employees[:] = [120.0, 300.0]
    effects = zhenhai.parameters.route_effects
    retained = effects.merge_output_retained.at(2021)
    out = remediate_d_grade(pop, 1, _routes_only(zhenhai, "merge_relocate"), effects, 2021,
                            FirmDraws(np.random.SeedSequence(0)))
    assert out.merged.tolist() == [0]
    assert pop.employees[1] == pytest.approx(300.0 + 120.0 * retained)
    assert pop.revenue[1] / pop.employees[1] == pytest.approx((10_000.0 + 10_000.0 * retained) / (300.0 + 120.0 * retained))


@pytest.mark.parametrize("collector_on", [True, False])
def test_a_finished_run_is_freed_before_simulate_returns(small, monkeypatch, collector_on):
    """The region a run makes (its firms' columns with it) is gone when simulate returns, not left
    for the cyclic collector: a loop of runs holds one run's memory, not some ten. Whether the
    caller runs the collector or not; with the firm panel too."""
    import weakref

    from simulation import model

    made = []
    run_region = model.run_region

    def tracked(*args, **kwargs):
        region = run_region(*args, **kwargs)
        made.append(weakref.ref(region))
        return region

    monkeypatch.setattr(model, "run_region", tracked)
    was_on = gc.isenabled()
    if not collector_on:
        gc.disable()
    try:
        for seed in range(3):
            simulate(small, seed, firms=seed == 2)
            assert made[-1]() is None
    finally:
        if was_on:
            gc.enable()
