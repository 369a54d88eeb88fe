"""Bad scenarios are refused with one message naming the file and field; the CLI exits with 2."""

import subprocess
import sys

import pytest

from simulation.errors import InputError
from simulation.loader import load_scenario

from .conftest import ZHENHAI

TEXT = ZHENHAI.read_text(encoding="utf-8")

# (case, replace this, with this, field named in the message, words in the message)
CASES = [
    ("typo", "  remediation:\n    firms_per_year", "  remediaton:\n    firms_per_year", "levers.remediaton",
     "unknown key (a typo?); nearest: remediation"),
    ("typo deeper", "    firms_per_year: {value: 69", "    firms_per_yaer: {value: 69", "levers.remediation.firms_per_yaer",
     "nearest: firms_per_year"),
    ("wrong type", "count: {value: 500,", 'count: {value: "many",', "population.above_scale.count.value", "number"),
    ("yes/no as number", "revenue_median: {value: 300,", "revenue_median: {value: true,", "parameters.entry.revenue_median.value", "must be a number"),
    ("quoted number", "revenue_median: {value: 300,", 'revenue_median: {value: "300",', "parameters.entry.revenue_median.value", "must be a number"),
    ("wrong unit", "land: {value: 30000, unit: 亩", "land: {value: 30000, unit: 平方米", "population.above_scale.land", "expected '亩'"),
    ("negative stock", "free_initial: {value: 300", "free_initial: {value: -5", "parameters.land.free_initial", "minimum"),
    ("probability > 1", "close_share: {value: 0.5", "close_share: {value: 1.5", "levers.scattered_weak.close_share", "maximum"),
    ("year outside run", "2025: 945}", "2027: 945}", "levers.energy.cap", "outside the run"),
    ("unknown indicator", "indicator: value_added_rate, year: 2023", "indicator: value_add_rate, year: 2023", "targets.0.indicator", "unknown indicator"),
    ("target unit", 'tax_per_mu, year: 2023, op: ">=", value: 103, unit: 万元/亩', 'tax_per_mu, year: 2023, op: ">=", value: 103, unit: 元/亩', "targets.2.unit", "is in '万元/亩'"),
    ("target year outside", "indicator: value_added_rate, year: 2023", "indicator: value_added_rate, year: 2030", "targets.0.year", "outside the run"),
    ("missing field", '    employees: {value: 80000, unit: 人, assume: "not in 001; about 160 per firm, typical of Ningbo 规上 firms"}\n', "", "population.above_scale.employees", "missing"),
    ("uncited number", '    employees: {value: 80000, unit: 人, assume: "not in 001; about 160 per firm, typical of Ningbo 规上 firms"}', "    employees: {value: 80000, unit: 人}", "population.above_scale.employees", "source"),
    ("shares not summing to 1", "close: {value: 0.15,", "close: {value: 0.45,", "levers.remediation.routes", "sum to"),
    ("target given twice", "tax_per_mu, year: 2025, op", "tax_per_mu, year: 2023, op", "targets.3", "given twice (targets.2)"),
    ("sector given twice", "- {name: new_materials,", "- {name: petrochemical,", "sectors.1.name", "given twice"),
]


@pytest.mark.parametrize("case,old,new,field,words", CASES, ids=[c[0] for c in CASES])
def test_bad_scenario_is_refused_naming_field(tmp_path, case, old, new, field, words):
    assert old in TEXT, f"fixture text for {case!r} no longer in the shipped scenario"
    path = tmp_path / "bad.yaml"
    path.write_text(TEXT.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_scenario(path)
    message = str(err.value)
    assert str(path) in message and field in message and words in message


@pytest.mark.parametrize("content,words", [
    (None, "file not found"),
    ("<folder>", "is a folder"),
    ("", "empty"),
    ("a: [1, 2\nb: }", "not valid YAML"),
    ("- just\n- a list\n", "mapping"),
    ('!!python/object/apply:os.system ["echo pwned"]\n', "not valid YAML"),
    ("name: a\nlevers:\n  x: 1\nlevers:\n  y: 2\n", "'levers' is given twice"),
], ids=["missing", "folder", "empty", "malformed", "not a mapping", "unsafe tag", "repeated key"])
def test_unreadable_files_are_refused(tmp_path, content, words):
    path = tmp_path / "s.yaml"
    if content == "<folder>":
        path.mkdir()
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=words):
        load_scenario(path)


@pytest.mark.parametrize("content, line, column", [
    ("a: 1\nb: [1, 2\nc: }\n", 3, 2), ("a: 1\n\tb: 2\n", 2, 1), ("a: 'open\n", 2, 1),
])
def test_a_yaml_error_names_its_line_and_column(tmp_path, content, line, column):
    path = tmp_path / "s.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=f"not valid YAML \\(line {line}, column {column}\\)"):
        load_scenario(path)


@pytest.mark.parametrize("text, words", [
    ("notes: " + "[" * 100_000 + "]" * 100_000 + "\n", "nested more than 40 levels deep (line 1)"),
    ("- " * 50_000 + "x\n", "nested more than 40 levels deep (line 1)"),
    ("name: x\x07\n", "not valid YAML (line 1, column 8)"),
    ("a: 2021-13-45\n", "holds a value YAML cannot read (month must be in 1..12)"),
], ids=["deep flow", "deep block", "control character", "impossible date"])
def test_a_hostile_or_odd_file_is_refused_in_one_line(tmp_path, text, words):
    """In a process of its own: libyaml composes recursively, and a file nested some 30,000 deep
    would crash the process, not be refused."""
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "simulation", "validate", str(path)], capture_output=True, text=True)
    assert proc.returncode == 2, proc.stderr[-300:]
    assert words in proc.stderr and "Traceback" not in proc.stderr


def test_cli_prints_one_line_and_exits_2(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(TEXT.replace("close_share: {value: 0.5", "close_share: {value: 1.5", 1), encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "simulation", "validate", str(path)], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "levers.scattered_weak.close_share" in lines[0] and str(path) in lines[0]


def test_cli_accepts_the_shipped_scenario():
    proc = subprocess.run([sys.executable, "-m", "simulation", "validate", str(ZHENHAI)], capture_output=True, text=True)
    assert proc.returncode == 0 and "valid" in proc.stdout


def test_extends_overrides_a_few_values(tmp_path, zhenhai):
    child = tmp_path / "variant.yaml"
    child.write_text(
        f"extends: {ZHENHAI}\nname: zhenhai_double\nlevers:\n  remediation:\n"
        "    firms_per_year: {value: 80, assume: \"twice the baseline capacity\"}\n",
        encoding="utf-8",
    )
    variant = load_scenario(child)
    assert variant.levers.remediation.firms_per_year.at(2023) == 80
    assert variant.name == "zhenhai_double"
    assert variant.population == zhenhai.population and variant.targets == zhenhai.targets
