"""有序用电 from a month of the year (``levers.energy.rationing_month``): nobody is cut before it;
from it each firm runs at its quota's rate for the rest of the year, and what it used above its
quota before is booked as overrun at the true-up, not cut from the months left."""

from __future__ import annotations

import numpy as np
import pytest
import simpy

from simulation.loader import load_scenario, with_overrides
from simulation.model import simulate
from simulation.population import Population
from simulation.processes.energy import RationOutcome, look_ahead, ration_forward, restore_rates, true_up
from simulation.resources import EnergyPool
from simulation.tiers import GRADE_A, GRADE_B, GRADE_D

from .conftest import ZHENHAI


def running(grades, rate, quota, months_done):
    """Firms using 1 tce per 万元 of revenue (va_rate 0.5 × intensity 2), ``months_done`` months
    produced at ``rate`` (tce/年 = 万元/年)."""
    pop = Population.new(len(grades), alive=True, revenue=np.array(rate, float), va_rate=0.5, intensity=2.0,
                         quota=np.array(quota, float))
    pop.grade[:] = grades
    pop.ytd[:] = months_done * pop.revenue
    return pop


def test_before_the_rationing_month_nobody_is_cut_and_the_pool_is_left_to_projects():
    pool = EnergyPool(simpy.Environment(), free=10.0, held=200.0)
    pop = running([GRADE_D, GRADE_A], [130.0, 130.0], [100.0, 100.0], 6)
    out = look_ahead(pop, pool, 6, 0.5, rationing_month=9)  # the months ahead start in July
    np.testing.assert_array_equal(pop.revenue, [130.0, 130.0])
    np.testing.assert_array_equal(pop.quota, [100.0, 100.0])
    assert out == RationOutcome(0.0, 0.0, 0) and pool.free == 10.0


def test_without_a_rationing_month_the_year_is_rationed_from_the_first_look_ahead():
    args = ([GRADE_D, GRADE_A], [130.0, 125.0], [100.0, 100.0], 3)
    pops = [running(*args), running(*args)]
    pools = [EnergyPool(simpy.Environment(), free=12.0, held=200.0) for _ in pops]
    out = look_ahead(pops[0], pools[0], 3, None, rationing_month=None)
    assert out == ration_forward(pops[1], pools[1], 3, None) and out.firms_rationed == 2
    np.testing.assert_array_equal(pops[0].revenue, pops[1].revenue)


def test_from_the_rationing_month_a_firm_runs_at_its_quota_rate_and_the_past_is_overrun():
    pool = EnergyPool(simpy.Environment(), free=0.0, held=100.0)
    pop = running([GRADE_B], [110.0], [100.0], 8)  # eight months 10% above its quota's rate
    out = look_ahead(pop, pool, 8, None, rationing_month=9)
    # cut to its quota's rate: not to (100 - 73.3) / (4/12) = 80, which would take the past back
    assert pop.revenue[0] == pytest.approx(100.0)
    assert out.firms_rationed == 1 and out.rationed == pytest.approx(10.0 * 4 / 12)
    for month in (9, 10, 11):  # later looks find it on its quota: no further cut
        pop.ytd += pop.revenue
        look_ahead(pop, pool, month, None, rationing_month=9)
    assert pop.revenue[0] == pytest.approx(100.0)
    pop.ytd += pop.revenue  # December
    end = true_up(pop, pool, None)
    assert end.overrun == pytest.approx(10.0 * 8 / 12)  # what it used above its quota before September


def test_the_pool_grants_the_rest_of_the_year_by_grade_and_quota_is_conserved():
    pool = EnergyPool(simpy.Environment(), free=15.0, held=200.0)
    pop = running([GRADE_D, GRADE_A], [110.0, 110.0], [100.0, 100.0], 9)
    held = float(pop.quota.sum())
    look_ahead(pop, pool, 9, None, rationing_month=10)
    np.testing.assert_allclose(pop.quota, [105.0, 110.0])  # A in full, D the 5 left
    np.testing.assert_allclose(pop.revenue, [105.0, 110.0])  # D runs at its new quota's rate
    assert float(pop.quota.sum()) - held == pytest.approx(15.0) and pool.free == pytest.approx(0.0)


def test_a_late_rationing_month_cuts_less_output_and_books_the_rest_as_overrun():
    """Zhenhai under a cap held below its base-year use: rationing from December instead of from
    the first look-ahead (February) cuts far less output, and the cap shows as overrun instead."""
    sc = load_scenario(ZHENHAI)
    years = [sc.base_year, *sc.years]
    tight = with_overrides(sc, {"levers.energy.cap": {y: 700.0 for y in years}})
    early, late = (with_overrides(tight, {"levers.energy.rationing_month": month}) for month in (2, 12))
    values = {}
    for label, scenario in (("from the start", early), ("december", late)):
        ind = simulate(scenario, 3).indicators.set_index(["indicator", "year"])["value"]
        values[label] = {name: float(ind[name].loc[2021:].sum()) for name in ("energy_rationed", "energy_overrun")}
        values[label]["va"] = float(ind["value_added_above_scale"].loc[2025])
    assert values["december"]["energy_rationed"] < 0.5 * values["from the start"]["energy_rationed"]
    assert values["december"]["energy_overrun"] > values["from the start"]["energy_overrun"] + 1.0
    assert values["december"]["va"] > values["from the start"]["va"]


def test_a_firm_cut_for_the_months_left_gets_the_cut_back_the_next_year():
    pool = EnergyPool(simpy.Environment(), free=0.0, held=100.0)
    pop = running([GRADE_B, GRADE_B], [110.0, 90.0], [100.0, 100.0], 8)
    look_ahead(pop, pool, 8, None, rationing_month=9)
    np.testing.assert_array_equal(pop.rationed_revenue, [10.0, 0.0])
    look_ahead(pop, pool, 9, None, rationing_month=9)  # on its quota now: no second cut
    np.testing.assert_array_equal(pop.rationed_revenue, [10.0, 0.0])
    pop.revenue[0] += 25.0  # a 零增地 upgrade completed in November
    assert restore_rates(pop) == 1
    np.testing.assert_array_equal(pop.revenue, [135.0, 90.0])  # the cut back, the upgrade kept
    assert not pop.rationed_revenue.any()


def test_month_13_is_a_year_without_rationing():
    """13: no look-ahead cuts or grants in any month; what firms use above their quota is the year's
    overrun at the true-up."""
    pool = EnergyPool(simpy.Environment(), free=0.0, held=200.0)
    pop = running([GRADE_D, GRADE_A], [130.0, 90.0], [100.0, 100.0], 0)
    for month in range(1, 12):
        pop.ytd += pop.revenue
        assert look_ahead(pop, pool, month, 0.5, rationing_month=13) == RationOutcome(0.0, 0.0, 0)
    pop.ytd += pop.revenue
    np.testing.assert_array_equal(pop.revenue, [130.0, 90.0])
    assert true_up(pop, pool, None).overrun == pytest.approx(30.0)


def test_years_without_rationing_leave_the_cap_as_overrun_in_a_whole_run():
    """Zhenhai under a cap below its use, rationed from September 2021 and not after (13 from 2022):
    nothing is cut in 2022-2025, the cap shows as overrun, and those years' output is above that of
    a run rationed every year."""
    sc = load_scenario(ZHENHAI)
    years = [sc.base_year, *sc.years]
    tight = with_overrides(sc, {"levers.energy.cap": {y: 700.0 for y in years}})
    every_year = with_overrides(tight, {"levers.energy.rationing_month": 9})
    once = with_overrides(tight, {"levers.energy.rationing_month": {2021: 9, 2022: 13}})
    runs = {label: simulate(s, 3).indicators.set_index(["indicator", "year"])["value"]
            for label, s in (("every year", every_year), ("once", once))}
    assert runs["once"]["energy_rationed"].loc[2022:].sum() == 0.0
    assert runs["every year"]["energy_rationed"].loc[2022:].sum() > 1.0
    assert runs["once"]["energy_rationed"].loc[2021] == runs["every year"]["energy_rationed"].loc[2021]
    assert runs["once"]["energy_overrun"].loc[2023] > runs["every year"]["energy_overrun"].loc[2023]
    assert runs["once"]["value_added_above_scale"].loc[2025] > runs["every year"]["value_added_above_scale"].loc[2025]
