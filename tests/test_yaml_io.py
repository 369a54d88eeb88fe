"""YAML in and out by libyaml where PyYAML has it: the same values and the same text as PyYAML's
pure-Python loader and dumper give."""

from pathlib import Path

import pytest
import yaml

from simulation.io import yaml_text
from simulation.loader import load_scenario, read_yaml

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted([*ROOT.glob("scenarios/**/*.yaml"), *ROOT.glob("calibration/**/*.yaml")])


def test_every_shipped_yaml_file_reads_as_the_pure_python_safe_loader_reads_it():
    """Every scenario, variant, sweep and calibration file shipped gives the same values, of the
    same types, as PyYAML's own safe loader."""
    assert len(SHIPPED) >= 20
    for path in SHIPPED:
        plain = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
        assert repr(read_yaml(path)) == repr(plain), path


@pytest.mark.parametrize("name", ["zhenhai_2021_2025", "ningbo_2020_2022", "cixi_2023", "haishu_2024", "linhai_2023"])
def test_a_scenario_is_written_as_the_pure_python_dumper_writes_it(name):
    """A run's scenario.yaml (Chinese text, citations, schedules) and a fitted parameter file (width
    140): the same text as ``yaml.safe_dump``."""
    data = load_scenario(ROOT / "scenarios" / f"{name}.yaml").model_dump(mode="json")
    assert yaml_text(data, allow_unicode=True, sort_keys=False) == yaml.safe_dump(data, allow_unicode=True,
                                                                                    sort_keys=False)
    levers = {"levers": data["levers"], "note": "拟合值 " * 40}
    assert (yaml_text(levers, allow_unicode=True, sort_keys=False, width=140)
            == yaml.safe_dump(levers, allow_unicode=True, sort_keys=False, width=140))
