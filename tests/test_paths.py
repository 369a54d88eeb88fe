"""One idea of a dotted path for sweeps and calibration: what value a factor or a parameter sets."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulation.calibration.spec import FitParameter, overrides
from simulation.experiments.spec import Factor
from simulation.experiments.sweep import _factor_value
from simulation.loader import get_path
from simulation.paths import declared_unit, is_count, path_label, value_at
from simulation.scenario import Scenario

schedules = st.dictionaries(st.integers(2019, 2026), st.floats(0, 1e4), min_size=1, max_size=6)


@given(schedules, st.floats(0, 1e4), st.sets(st.integers(2019, 2026), min_size=1))
def test_setting_some_years_changes_only_those_years(current, x, years):
    new = value_at(current, x, years=sorted(years))
    assert all(new[y] == x for y in years)
    assert all(new[y] == v for y, v in current.items() if y not in years)


@given(schedules, st.floats(0.5, 2.0))
def test_scaling_multiplies_every_year_of_the_schedule(current, x):
    assert value_at(current, x, scale=True) == {y: v * x for y, v in current.items()}


def test_a_single_number_is_spread_over_the_run_before_some_years_change():
    assert value_at(5.0, 7.0, years=[2023], span=range(2021, 2025)) == {2021: 5.0, 2022: 5.0, 2023: 7.0, 2024: 5.0}
    with pytest.raises(ValueError):
        value_at(5.0, 7.0, years=[2023])


def test_sweep_factors_and_calibration_parameters_set_the_same_value(zhenhai):
    path = "levers.energy.cap"
    factor = Factor(path=path, range=(100, 200), years=[2023, 2024])
    parameter = FitParameter(path=path, bounds=(100, 200), years=[2023, 2024])
    assert _factor_value(zhenhai, factor, 150.0) == overrides(zhenhai, [parameter], [150.0])[path]
    scalar = "parameters.growth.volatility"
    assert _factor_value(zhenhai, Factor(path=scalar, range=(0.1, 0.4)), 0.2) == \
        overrides(zhenhai, [FitParameter(path=scalar, bounds=(0.1, 0.4))], [0.2])[scalar] == 0.2
    assert get_path(zhenhai, path) != _factor_value(zhenhai, factor, 150.0)


@pytest.mark.parametrize("path, unit, count", [
    ("population.certified.zjtx_sme", "家", True), ("parameters.certification.zjtx_sme.quota_per_year", "家", True),
    ("levers.energy.cap", "万吨标准煤", False), ("parameters.growth.volatility", "1", False),
    ("population.sectors.0.firm_share", "1", False), ("no.such.path", None, False),
])
def test_declared_units_and_counts(zhenhai, path, unit, count):
    assert declared_unit(Scenario, path) == unit == declared_unit(zhenhai, path)
    assert is_count(zhenhai, path) is count


def test_labels_name_the_lever():
    assert path_label("levers.remediation.firms_per_year", "zh") == "腾笼换鸟整治·每年家数"
    assert path_label("levers.remediation.firms_per_year", "en", name="remediation_firms") == "remediation firms"


def test_path_label_keeps_the_quantity_when_its_last_part_has_no_chinese_name():
    """The label names the quantity, not only its group: "招商引资" alone would not say which lever."""
    assert path_label("levers.attraction.effort", "zh") == "招商引资·工作力度"
    assert path_label("parameters.land.clearing_months", "zh") == "用地·收储整理周期(月)"
    assert path_label("levers.attraction.some_new_knob", "zh") == "招商引资·some_new_knob"
