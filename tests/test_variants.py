"""Variant semantics: schedules merge by year, targets inherit and extend, --diff names every change."""

from __future__ import annotations

import copy

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.cli import main
from simulation.errors import InputError
from simulation.loader import load_scenario, merge_variant, validate
from simulation.quantity import Quantity
from simulation.variants import scenario_diff

from .conftest import ROOT, ZHENHAI

RAW = yaml.safe_load(ZHENHAI.read_text(encoding="utf-8"))
YEARS = range(RAW["base_year"], RAW["end_year"] + 1)
schedules = st.dictionaries(st.sampled_from(list(YEARS)), st.integers(100, 2000), min_size=1)


def _cap(value) -> dict:
    return {"levers": {"energy": {"cap": {"value": value, "unit": "万吨标准煤", "assume": "a variant's cap"}}}}


@settings(max_examples=60, deadline=None)
@given(parent=schedules, change=schedules)
def test_a_schedule_changes_only_the_years_the_variant_gives(parent, change):
    base = copy.deepcopy(RAW)
    base["levers"]["energy"]["cap"]["value"] = parent
    merged = merge_variant(base, _cap(change))["levers"]["energy"]["cap"]["value"]
    assert merged == {**parent, **change}
    cap = Quantity(value=merged, assume="merged")
    for year in YEARS:
        given_by = change if year in change else parent if year in parent else None
        if given_by is not None:
            assert cap.at(year) == given_by[year]


@settings(max_examples=40, deadline=None)
@given(value=st.integers(100, 2000), change=schedules)
def test_a_schedule_over_a_single_number_keeps_that_number_until_its_first_year(value, change):
    base = copy.deepcopy(RAW)
    base["levers"]["energy"]["cap"]["value"] = value
    cap = Quantity(value=merge_variant(base, _cap(change))["levers"]["energy"]["cap"]["value"], assume="merged")
    for year in YEARS:
        earlier = [y for y in change if y <= year]
        assert cap.at(year) == (change[max(earlier)] if earlier else value)


def test_a_single_number_replaces_the_whole_schedule():
    merged = merge_variant(RAW, _cap(900))["levers"]["energy"]["cap"]
    assert merged["value"] == 900 and merged["assume"] == "a variant's cap" and "source" not in merged


def test_the_issue_example_keeps_the_parents_early_years(tmp_path):
    """{2024: 960, 2025: 990} must not back-fill 2020-2023 with 960."""
    variant = tmp_path / "v.yaml"
    variant.write_text(f"extends: {ZHENHAI}\nname: v\nlevers:\n  energy:\n    cap: "
                       "{value: {2024: 960, 2025: 990}, assume: \"a looser cap\"}\n", encoding="utf-8")
    parent, child = load_scenario(ZHENHAI), load_scenario(variant)
    for year in range(2020, 2024):
        assert child.levers.energy.cap.at(year) == parent.levers.energy.cap.at(year)
    assert (child.levers.energy.cap.at(2024), child.levers.energy.cap.at(2025)) == (960, 990)
    assert child.targets == parent.targets


def _keys(targets) -> list[str]:
    return [f"{t['name']}@{t['year']}" for t in targets]


def test_a_list_of_targets_adds_to_the_inherited_ones():
    new = {"name": "新目标", "indicator": "tax_per_mu", "year": 2025, "value": 150, "source": "a variant"}
    merged = merge_variant(RAW, {"targets": [new]})["targets"]
    assert merged[:-1] == RAW["targets"] and merged[-1] == new


def test_targets_can_be_dropped_replaced_and_added():
    first, second = RAW["targets"][0], RAW["targets"][1]
    replacement = {**second, "value": 999}
    new = {"name": "新目标", "indicator": "tax_per_mu", "year": 2025, "value": 150, "source": "a variant"}
    merged = merge_variant(RAW, {"targets": {"drop": [f"{first['name']}@{first['year']}"],
                                             "replace": [replacement], "add": [new]}})["targets"]
    assert len(merged) == len(RAW["targets"])
    assert f"{first['name']}@{first['year']}" not in _keys(merged)
    assert merged[0] == replacement and merged[-1] == new
    by_name = merge_variant(RAW, {"targets": {"drop": [first["name"]]}})["targets"]
    assert first["name"] not in {t["name"] for t in by_name}
    assert len(by_name) == len(RAW["targets"]) - sum(t["name"] == first["name"] for t in RAW["targets"])
    assert merge_variant(RAW, {"targets": {"drop": "all", "add": [new]}})["targets"] == [new]


@pytest.mark.parametrize("change, message", [
    ({"targets": [RAW["targets"][0]]}, "already inherited"),
    ({"targets": {"replace": [{**RAW["targets"][0], "year": 2031}]}}, "to replace"),
    ({"targets": {"drop": ["no such target"]}}, "no inherited target"),
    ({"targets": {"keep": []}}, "unknown key"),
    ({"targets": "all"}, "give a list"),
    ({"levers": {"energy": {"cap": {"value": 900}}}}, "must cite it"),
])
def test_unclear_variant_changes_are_refused(change, message):
    with pytest.raises(InputError, match=message):
        merge_variant(RAW, change)


def test_chains_apply_each_level_in_order(tmp_path):
    middle = tmp_path / "middle.yaml"
    middle.write_text(f"extends: {ZHENHAI}\nname: middle\nlevers:\n  energy:\n    cap: "
                      "{value: {2022: 800}, assume: \"a middle cap\"}\n", encoding="utf-8")
    top = tmp_path / "top.yaml"
    top.write_text("extends: middle.yaml\nname: top\nlevers:\n  energy:\n    cap: "
                   "{value: {2024: 700}, assume: \"a top cap\"}\n", encoding="utf-8")
    cap = load_scenario(top).levers.energy.cap
    base = load_scenario(ZHENHAI).levers.energy.cap
    assert (cap.at(2021), cap.at(2022), cap.at(2023), cap.at(2024)) == (base.at(2021), 800, base.at(2023), 700)


def test_diff_lists_exactly_what_the_shipped_variant_changes():
    result = CliRunner().invoke(main, ["validate", str(ROOT / "scenarios/variants/zhenhai_tighter_cap.yaml"), "--diff"])
    assert result.exit_code == 0, result.output
    lines = [line.strip() for line in result.output.splitlines()[2:]]
    assert "levers.energy.cap: 2024: 920 → 900; 2025: 945 → 920 万吨标准煤" in lines
    assert "targets: - 减少碳排放@2023" in lines
    assert any(line.startswith("targets: + 工业用能不超过上限@2025") for line in lines)
    assert len(lines) == 5  # name, title, cap, one dropped and one added target


def test_diff_of_a_scenario_against_itself_is_empty_and_finds_any_planted_change():
    parent = load_scenario(ZHENHAI)
    assert scenario_diff(parent, parent) == []
    changed = copy.deepcopy(RAW)
    changed["parameters"]["exit"]["rate"]["value"] = 0.5
    changed["targets"][3]["value"] = 1.0
    lines = scenario_diff(parent, validate(changed))
    assert len(lines) == 2 and lines[0].startswith("parameters.exit.rate:")
    assert lines[1].startswith(f"targets: ~ {RAW['targets'][3]['name']}@{RAW['targets'][3]['year']}: value")
