"""Every shipped scenario and variant: validates, runs, reproduces its base year, lists its document's targets.

Base-year tolerances: 0.5% relative on the aggregates the initial population is scaled to (the
same as tests/test_baseline.py for Zhenhai), exact on firm counts; wider where a figure is only
approached (stated beside it).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from simulation.cli import main
from simulation.loader import load_scenario, read_yaml
from simulation.model import simulate

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml")) + sorted((ROOT / "scenarios" / "variants").glob("*.yaml"))
TOL = 0.005

# Base-year figures each document (or the statistics it is based on) gives: indicator -> value,
# or (value, relative tolerance)
BASELINES = {
    "zhenhai_2021_2025": {"value_added_rate": 23.3, "tax_per_mu": 83.7, "firms_above_scale": 500},  # 001 Table 1
    "cixi_2023": {"firms_above_scale": 2097, "output_above_scale": 4797.76},  # 慈溪市2022年统计公报
    "linhai_2023": {  # 002 一(一), 一(四)一: Jan-Oct 2022 x 12/10
        "output_above_scale": 957.7 * 1.2,
        "value_added_above_scale": 218.64 * 1.2,
        # investment is built from capex and project spending, not scaled to a total: 3%
        "manufacturing_investment": (71.1 * 1.2, 0.03),
    },
    # 003 gives no base-year figures: the scenario's own assumed aggregates
    "haishu_2024": {"firms_above_scale": 1200, "output_above_scale": 1265, "value_added_rate": 22.6},
    "ningbo_2020_2022": {  # calibration/data/ningbo.csv, as cited in the scenario
        "firms_above_scale": 8500,
        "value_added_above_scale": 3991.5,  # 2019, observed
        "output_above_scale": 3991.5 / 0.226,  # at 2020's value-added rate
        "value_added_rate": 22.6,
        "tax_per_mu": 45.2,
        # the high-tech firms are picked to reach the share from above, not scaled to it: the firm
        # taken last may be a large one (over 40 seeds 50.0-53.6%, 1 in 6 above 51%): 8%
        "high_tech_value_added_share": (50, 0.08),
    },
}

# The document's quantitative targets: (indicator, year, value) that must be in the scenario
DOCUMENT_TARGETS = {
    "zhenhai_2021_2025": [  # 001 Table 2
        ("value_added_rate", 2023, 24.5), ("value_added_rate", 2025, 25), ("tax_per_mu", 2023, 103),
        ("tax_per_mu", 2025, 117), ("energy_freed", 2023, 8), ("energy_freed", 2025, 13),
        ("carbon_avoided", 2025, 20), ("land_freed", 2023, 4000), ("land_freed", 2025, 5000),
        ("high_tech_value_added", 2025, 350), ("high_tech_firms", 2025, 583), ("single_champions", 2025, 45),
        ("manufacturing_investment", 2025, 1000), ("projects_large_signed", 2025, 20),
        ("little_giants", 2025, 50), ("value_added_above_scale", 2025, 1334), (None, 2025, 110),
        (None, 2023, 107), (None, 2023, 80), (None, 2023, 4), (None, 2023, 35), (None, 2023, 6),
        # 001 §三: the yearly 低散乱污 clearance, the national champions inside the 45, the rest of §三
        ("remediated_scattered", 2021, 100), ("remediated_scattered", 2022, 100), ("remediated_scattered", 2024, 100),
        ("remediated_scattered", 2025, 100), (None, 2025, 15),
        (None, 2025, 200), (None, 2025, 25), (None, 2025, 4000), (None, 2025, 30),
    ],
    "cixi_2023": [  # 000
        ("value_added_above_scale_growth", 2023, 6), ("value_added_above_scale_growth", 2023, 10),
        ("value_added_below_scale_growth", 2023, 7), ("value_added_below_scale_growth", 2023, 10),
        ("manufacturing_investment", 2023, 10), ("manufacturing_investment", 2023, 38),
        ("value_added_per_mu", 2023, 5.5), ("tax_per_mu", 2023, 6),
        ("remediated_low_efficiency", 2023, 300), ("remediated_scattered", 2023, 1500),
        ("land_remediated", 2023, 2000), ("closed_backward_capacity", 2023, 50),
        ("new_single_champions", 2023, 2), ("new_zjtx_sme", 2023, 15), ("new_above_scale", 2023, 100),
        (None, 2023, 20), (None, 2023, 3), (None, 2023, 60), (None, 2023, 800), (None, 2023, 25), (None, 2023, 500),
    ],
    "linhai_2023": [  # 002 三
        ("value_added_above_scale_growth", 2023, 6), ("manufacturing_investment", 2023, 10),
        (None, 2023, 10), (None, 2023, 736), (None, 2023, 100),
        (None, 2023, 300),
    ],
    "haishu_2024": [("projects_large_started", 2024, 6), ("projects_completed", 2024, 7), (None, 2024, 10), (None, 2026, 4)],  # 003 (三)三
    "ningbo_2020_2022": [  # 004 一(二) and 二
        ("labour_productivity", 2022, 30), ("tax_per_mu", 2022, 50), ("value_added_rate", 2022, 24),
        ("high_tech_value_added_share", 2022, 55), ("manufacturing_investment", 2022, 6),
        ("rd_intensity_above_scale", 2022, 2.1), ("single_champions", 2022, 50), ("little_giants", 2022, 15),
        ("new_high_tech_firms", 2022, 2000), ("closed_backward_capacity", 2020, 150),
        ("closed_backward_capacity", 2022, 150), ("new_above_scale", 2020, 400), ("new_above_scale", 2022, 400),
        (None, 2022, 43), (None, 2022, 8), (None, 2022, 38), (None, 2022, 100), (None, 2022, 120), (None, 2022, 10000),
        (None, 2022, 35), (None, 2022, 5), (None, 2022, 50),
    ],
}


def _id(path: Path) -> str:
    return str(path.relative_to(ROOT / "scenarios"))


@pytest.mark.slow
@pytest.mark.parametrize("path", SCENARIOS, ids=_id)
def test_scenario_validates_runs_and_evaluates_every_modelled_target(path):
    from simulation.targets import evaluate_targets

    scenario = load_scenario(path)
    result = simulate(scenario, 0)
    targets = evaluate_targets(result.indicators.assign(replication=0), scenario)
    modelled = targets[targets["modelled"]]
    assert modelled["median"].notna().all(), list(modelled.loc[modelled["median"].isna(), "name"])
    assert set(result.indicators["year"]) == set(range(scenario.base_year, scenario.end_year + 1))


@pytest.mark.parametrize("path", SCENARIOS, ids=_id)
def test_targets_command_prints_the_coverage(path):
    scenario = load_scenario(path)
    result = CliRunner().invoke(main, ["targets", str(path)])
    assert result.exit_code == 0, result.output
    n = sum(t.modelled for t in scenario.targets)
    assert f"{n} of {len(scenario.targets)} targets modelled" in result.output


@pytest.mark.parametrize("name", sorted(BASELINES))
@pytest.mark.parametrize("seed", [0, 1])
def test_base_year_reproduces_the_documents_figures(name, seed):
    scenario = load_scenario(ROOT / "scenarios" / f"{name}.yaml")
    base = simulate(scenario, seed).indicators.query("year == @scenario.base_year").set_index("indicator")["value"]
    for indicator, expected in BASELINES[name].items():
        value, tol = expected if isinstance(expected, tuple) else (expected, TOL)
        if indicator.startswith("firms"):
            assert base[indicator] == value, indicator
        else:
            assert base[indicator] == pytest.approx(value, rel=tol), indicator


@pytest.mark.parametrize("name", sorted(DOCUMENT_TARGETS))
def test_scenario_lists_its_documents_targets(name):
    scenario = load_scenario(ROOT / "scenarios" / f"{name}.yaml")
    listed = {(t.indicator if t.modelled else None, t.year, float(t.value)) for t in scenario.targets
              if t.value is not None}
    for indicator, year, value in DOCUMENT_TARGETS[name]:
        assert (indicator, year, float(value)) in listed, (indicator, year, value)


@pytest.mark.parametrize("path", sorted((ROOT / "scenarios" / "variants").glob("*.yaml")), ids=_id)
def test_variant_changes_only_what_it_overrides(path):
    raw = read_yaml(path)
    variant = load_scenario(path).model_dump(mode="json")
    base = load_scenario(path.parent / raw["extends"]).model_dump(mode="json")
    changed = {key for key in base if base[key] != variant[key]}
    assert changed <= set(raw) - {"extends"}, changed
    assert "levers" in changed or "parameters" in changed  # a variant is a policy or an assumption changed


@pytest.mark.parametrize("path", sorted((ROOT / "scenarios").glob("*.yaml")), ids=_id)
def test_year_one_has_land_coming_back_from_the_campaign_before_the_start(path):
    """The 腾笼换鸟 campaign ran before every base year, so land it freed is still being cleared at the
    start: with a clearing lag of a year or more, year one's cleared land would otherwise be none."""
    scenario = load_scenario(path)
    land = scenario.parameters.land
    assert land.clearing_months is not None and land.clearing_at_start is not None
    wide = simulate(scenario, 0).indicators.pivot(index="year", columns="indicator", values="value")
    assert wide.loc[scenario.base_year, "land_clearing"] >= land.clearing_at_start.value
    assert wide.loc[scenario.base_year + 1, "land_cleared"] > 0
