"""New industrial land given directly, or by the city rule: a share of new construction land (004 §二(五)3)."""

from __future__ import annotations

import numpy as np
import pytest

from simulation.errors import InputError
from simulation.loader import validate, with_overrides
from simulation.model import simulate

RULE = {"new_construction_land_per_year": {"value": 2000, "unit": "亩", "assume": "test"},
        "industrial_share": {"value": 0.35, "assume": "test"}}


def _by_rule(small):
    data = small.model_dump(mode="json")
    supply = data["levers"]["land_supply"]
    supply.pop("new_land_per_year")
    supply.update(RULE)
    return validate(data, file="rule.yaml")


def test_industrial_land_is_the_share_of_construction_land_exactly(small):
    w = simulate(_by_rule(small), 2).indicators.pivot(index="year", columns="indicator", values="value")
    np.testing.assert_allclose(w["land_supplied"].iloc[1:], 0.35 * 2000)


@pytest.mark.slow
def test_the_rule_and_a_direct_figure_give_the_same_run(small):
    direct = with_overrides(small, {"levers.land_supply.new_land_per_year": 700})
    a = simulate(direct, 5).indicators
    b = simulate(_by_rule(small), 5).indicators
    np.testing.assert_allclose(a["value"].to_numpy(), b["value"].to_numpy())


@pytest.mark.parametrize("change", [
    {"new_construction_land_per_year": RULE["new_construction_land_per_year"]},  # share missing
    RULE,  # both ways at once (new_land_per_year still there)
])
def test_land_supply_needs_exactly_one_way(small, change):
    data = small.model_dump(mode="json")
    data["levers"]["land_supply"].update(change)
    if change is not RULE:
        data["levers"]["land_supply"].pop("new_land_per_year")
    with pytest.raises(InputError, match="levers.land_supply"):
        validate(data, file="bad.yaml")
