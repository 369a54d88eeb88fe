"""工业用地焕新提效 levers (Haishu, 003 §(二)): 先租后让 leases and the recovery of idle land."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulation.loader import with_overrides
from simulation.model import simulate
from simulation.population import Population
from simulation.processes.land_renewal import lease_check
from simulation.tiers import GRADE_B, GRADE_D

RENEWAL = {"lease_first_share": {"value": 1.0, "assume": "test"}, "lease_years": {"value": 1, "assume": "test"},
           "idle_land_per_year": {"value": 250, "assume": "test"}}


def wide(result) -> pd.DataFrame:
    return result.indicators.pivot(index="year", columns="indicator", values="value")


@pytest.fixture(scope="module")
def renewed(small):
    # many projects with weak plants (low value added, high energy use), so some leased firms grade D;
    # a one-year lease is checked at the end of the year after the plant starts producing
    return with_overrides(small, {"levers.land_renewal": RENEWAL, "levers.attraction.projects_per_year": 40,
                                  "levers.attraction.zero_land_share": 0.0,
                                  "parameters.projects.value_added_rate": 4, "parameters.projects.energy_intensity": 2.0,
                                  "parameters.grading.share_c": 0.3})


def test_lease_check_takes_back_only_d_grade_leases_that_are_due():
    pop = Population.new(5, alive=True)
    pop.lease_end[:] = [2024, 2024, 2025, 0, 2023]
    pop.grade[:] = [GRADE_D, GRADE_B, GRADE_D, GRADE_D, GRADE_D]
    failed = lease_check(pop, 2024)
    assert list(failed) == [0, 4]  # due and graded D; row 2 is not due yet, row 3 owns its land
    assert list(pop.lease_end) == [0, 0, 2025, 0, 0]  # every due lease is settled, converted or not


def test_without_the_lever_or_with_it_at_zero_nothing_changes(small):
    zero = {"lease_first_share": {"value": 0.0, "assume": "test"}, "lease_years": {"value": 2, "assume": "test"},
            "idle_land_per_year": {"value": 0, "assume": "test"}}
    a = simulate(small, 4).indicators
    b = simulate(with_overrides(small, {"levers.land_renewal": zero}), 4).indicators
    new = ["land_revitalised", "land_reclaimed_lease", "leases_reclaimed"]
    assert (b[b["indicator"].isin(new)]["value"] == 0).all()
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))


def test_idle_land_enters_the_supply_exactly(renewed):
    w = wide(simulate(renewed, 1))
    years = w.index[1:]
    np.testing.assert_allclose(w.loc[years, "land_revitalised"], 250.0)
    # the pool's total grows by what is supplied and recovered, less freed land gone to other uses
    growth = w["land_total"].diff().iloc[1:]
    inflow = w.loc[years, "land_supplied"] + w.loc[years, "land_revitalised"] - w.loc[years, "land_to_other_uses"]
    np.testing.assert_allclose(growth, inflow, rtol=1e-9)


def test_reclaimed_lease_land_is_released_to_the_pool_and_balances(renewed):
    reclaimed = 0
    for seed in range(4):
        result = simulate(renewed, seed)
        w = wide(result)
        ledger = result.ledger[(result.ledger["resource"] == "land") & result.ledger["reason"].str.startswith("先租后让")]
        given_up = ledger[ledger["event"] == "clearing"]  # reclaimed land is cleared before it is granted again
        assert given_up["amount"].sum() == pytest.approx(w["land_reclaimed_lease"].sum())
        np.testing.assert_allclose(w["land_held"] + w["land_clearing"] + w["land_free"], w["land_total"], rtol=1e-9)
        reclaimed += w["leases_reclaimed"].sum()
    assert reclaimed > 0  # the configuration does exercise the check
