"""Scenario files read by libyaml where PyYAML has it: the same values as PyYAML's pure-Python
safe loader gives."""

from pathlib import Path

import yaml

from simulation.loader import read_yaml

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted([*ROOT.glob("scenarios/**/*.yaml"), *ROOT.glob("calibration/**/*.yaml")])


def test_every_shipped_yaml_file_reads_as_the_pure_python_safe_loader_reads_it():
    """Every scenario, variant, sweep and calibration file shipped gives the same values, of the
    same types, as PyYAML's own safe loader."""
    assert len(SHIPPED) >= 20
    for path in SHIPPED:
        plain = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
        assert repr(read_yaml(path)) == repr(plain), path


def test_the_strict_loader_parses_with_libyaml_where_pyyaml_has_it():
    """Else the test above would compare PyYAML's loader with itself."""
    from simulation import loader

    assert issubclass(loader._StrictLoader, yaml.CSafeLoader) == yaml.__with_libyaml__
