"""The tool among others: a JSON Schema for editors, Excel-ready tables, manifests, Dask names, notebooks."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import jsonschema
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from simulation.cli import main
from simulation.experiments.replicate import run_replications
from simulation.results import write_run

ROOT = Path(__file__).resolve().parents[1]


def as_json(path: Path):
    """A YAML file as an editor's JSON view of it (year keys become strings)."""
    return json.loads(json.dumps(yaml.safe_load(path.read_text(encoding="utf-8"))))


@pytest.fixture(scope="module")
def validator(tmp_path_factory):
    out = tmp_path_factory.mktemp("schema") / "scenario.schema.json"
    result = CliRunner().invoke(main, ["schema", "-o", str(out)])
    assert result.exit_code == 0, result.output
    schema = json.loads(out.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("path", sorted((ROOT / "scenarios").glob("*.yaml")) + sorted((ROOT / "scenarios" / "variants").glob("*.yaml"))
                         + sorted((ROOT / "calibration" / "fitted").glob("*.yaml")), ids=lambda p: p.name)
def test_schema_accepts_every_shipped_scenario_and_variant(validator, path):
    errors = [e.message for e in validator.iter_errors(as_json(path))]
    assert not errors, errors[:3]


def test_schema_refuses_what_validate_refuses(validator):
    full = as_json(ROOT / "scenarios" / "zhenhai_2021_2025.yaml")
    typo = {**full, "levres": {}}
    assert not validator.is_valid(typo), "an unknown top-level key"
    missing = {k: v for k, v in full.items() if k != "levers"}
    assert not validator.is_valid(missing), "a full scenario needs every section"
    both = json.loads(json.dumps(full))
    both["population"]["above_scale"]["count"]["assume"] = "both a source and a reason"
    assert not validator.is_valid(both), "a quantity has one of source and assume"
    text = json.loads(json.dumps(full))
    text["population"]["above_scale"]["count"]["value"] = "80"
    assert not validator.is_valid(text), "numbers are numbers"


def test_schema_accepts_a_partial_variant_and_refuses_its_typos(validator):
    variant = {"extends": "../zhenhai_2021_2025.yaml",
               "levers": {"remediation": {"firms_per_year": {"value": {"2024": 90}, "source": "a variant"}}}}
    assert validator.is_valid(variant)
    assert not validator.is_valid({**variant, "levers": {"remediaton": {}}})
    assert not validator.is_valid({**variant, "levers": {"remediation": {"firms_per_year": {"value": {"year": 1}}}}})


def test_excel_export_writes_utf8_with_bom_that_round_trips(tmp_path, small):
    out = tmp_path / "run"
    write_run(run_replications(small, 2, seed=1), out)
    result = CliRunner().invoke(main, ["excel", str(out)])
    assert result.exit_code == 0, result.output
    targets = out / "excel" / "targets.csv"
    raw = targets.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and "规上".encode() in raw
    pd.testing.assert_frame_equal(pd.read_csv(targets, encoding="utf-8-sig"), pd.read_csv(out / "targets.csv"))
    assert (out / "excel" / "indicators.csv").is_file()
    assert not (out / "targets.csv").read_bytes().startswith(b"\xef\xbb\xbf"), "the tool's own CSV stays plain UTF-8"


@pytest.mark.parametrize("damage", ["truncated parquet", "torn csv"])
def test_excel_names_a_damaged_folder_and_writes_nothing(tmp_path, small, damage):
    out = tmp_path / "run"
    write_run(run_replications(small, 2, seed=1), out)
    if damage == "truncated parquet":
        whole = (out / "indicators.parquet").read_bytes()
        (out / "indicators.parquet").write_bytes(whole[:500])
    else:
        (out / "targets.csv").write_bytes(b'indicator,label\n"unclosed,')
    result = CliRunner().invoke(main, ["excel", str(out)])
    assert result.exit_code == 2 and "damaged results folder" in result.output, result.output
    assert "Traceback" not in result.output and not (out / "excel").exists()


@pytest.mark.slow
def test_manifest_records_commit_command_and_timestamp(tmp_path):
    out = tmp_path / "run"
    result = subprocess.run(["python", "-m", "simulation", "run", str(ROOT / "scenarios" / "linhai_2023.yaml"), "-r", "2",
                             "-o", str(out), "--no-plots", "-q"], capture_output=True, text=True, cwd=ROOT,
                            env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["command"].startswith("upgrade-sim run ") and "-r 2" in manifest["command"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", manifest["timestamp"])
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True)
    if head.returncode == 0:
        assert manifest["git_commit"].removesuffix("+dirty") == head.stdout.strip()
    else:
        assert manifest["git_commit"] is None


def test_task_names_are_readable():
    from functools import partial

    from dask.utils import key_split

    from simulation.experiments.executors import task_name
    from simulation.experiments.replicate import _run_chunk

    name = task_name(partial(_run_chunk, None, 0, 0))
    assert name == "run-chunk"
    from simulation.experiments.sweep import _ChunkTask, run_chunk

    assert task_name(_ChunkTask(partial(run_chunk, None))) == "run-chunk"
    from simulation.calibration.objective import moments_run

    assert task_name(partial(moments_run, None)) == "moments-run"
    assert key_split(f"{name}-1a2b3c4d000012") == "run-chunk"  # what the dashboard groups by


@pytest.mark.slow
def test_dask_dashboard_address_is_known_when_bokeh_is_installed(capsys):
    pytest.importorskip("bokeh")
    from simulation.experiments.executors import DaskExecutor

    with DaskExecutor(local=1) as executor:
        assert executor.dashboard and executor.dashboard.startswith("http")
        assert "dashboard" not in executor.describe(), "the manifest's executor entry stays the same from run to run"
    from simulation.cli.experiments import open_executor

    with open_executor(None, 1, None):
        pass
    assert "Dask dashboard: http" in capsys.readouterr().err


def test_results_display_compactly_in_notebooks(small):
    result = run_replications(small, 2, seed=0)
    text = repr(result)
    assert text.startswith("<RunResult ") and "\n" not in text and len(text) < 200
    html = result._repr_html_()
    assert html.count("<tr>") <= 13 and "Wilson" in html
