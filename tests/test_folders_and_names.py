"""Output folders never mix runs; one reference form names indicators and targets; paths stay in the project."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from simulation.cli import main
from simulation.errors import InputError
from simulation.experiments.store import Store
from simulation.indicators import INDICATORS
from simulation.io import clear_folder, prepare_out_folder
from simulation.loader import get_path, lever_paths, load_scenario, project_roots
from simulation.paths import declared_unit
from simulation.scenario import Scenario
from simulation.targets import parse_reference

from .conftest import ROOT, ZHENHAI


def _results(folder, kind="run", **extra):
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(json.dumps({"kind": kind, "scenario": "other", **extra}))
    (folder / "figures").mkdir()
    (folder / "figures" / "fan_other.png").write_bytes(b"stale")
    return folder


def test_a_folder_holding_results_is_refused_then_cleared_with_overwrite(tmp_path):
    out = _results(tmp_path / "out")
    with pytest.raises(InputError, match="--overwrite"):
        prepare_out_folder(out, "run")
    assert (out / "figures" / "fan_other.png").exists()
    prepare_out_folder(out, "run", overwrite=True)
    assert out.is_dir() and list(out.iterdir()) == []  # nothing stale survives


def test_overwrite_never_clears_a_folder_that_is_not_results(tmp_path):
    mine = tmp_path / "thesis"
    mine.mkdir()
    (mine / "chapter1.tex").write_text("keep me")
    with pytest.raises(InputError, match="not a results folder"):
        prepare_out_folder(mine, "run", overwrite=True)
    project = _results(tmp_path / "project")
    (project / "pyproject.toml").write_text("")
    with pytest.raises(InputError, match="project"):
        clear_folder(project)
    assert (mine / "chapter1.tex").read_text() == "keep me" and (project / "pyproject.toml").exists()


@pytest.mark.parametrize("empty", ["", "   "])
def test_an_empty_output_name_is_refused(empty):
    with pytest.raises(InputError, match="empty"):
        prepare_out_folder(empty, "run")


def test_run_overwrite_replaces_another_scenarios_files(tmp_path):
    out = _results(tmp_path / "out", seed=0, replications=1)
    result = CliRunner().invoke(main, ["run", str(ZHENHAI), "-r", "1", "-q", "--no-plots", "-o", str(out), "--overwrite"])
    assert result.exit_code == 0, result.output
    assert not (out / "figures" / "fan_other.png").exists()
    assert json.loads((out / "manifest.json").read_text())["scenario"] == "zhenhai_2021_2025"


def test_running_a_scenario_again_replaces_its_own_results_only(tmp_path):
    """A re-run of the same file clears its folder (nothing stale survives); results of another
    scenario, or of another file under the same scenario name, are refused and kept."""
    mine = tmp_path / "mine.yaml"
    out = _results(tmp_path / "out", scenario_path=str(mine.resolve()))
    assert prepare_out_folder(out, "run", scenario_file=mine) == out and list(out.iterdir()) == []
    earlier = _results(tmp_path / "earlier", scenario_file=str(mine))  # written before the resolved path was recorded
    assert prepare_out_folder(earlier, "run", scenario_file=mine) == earlier and list(earlier.iterdir()) == []
    theirs = _results(tmp_path / "theirs", scenario_path=str((tmp_path / "variant.yaml").resolve()),
                      scenario_file="variant.yaml")
    with pytest.raises(InputError, match=r"another scenario file \(variant.yaml\).*--overwrite"):
        prepare_out_folder(theirs, "run", scenario_file=mine)
    assert (theirs / "figures" / "fan_other.png").exists()


def test_a_rerun_keeps_files_the_tool_did_not_write(tmp_path):
    """The README's command run twice replaces its results; a note of the user's in the folder
    stops it (and survives) until --overwrite."""
    out = tmp_path / "out"
    args = ["run", str(ZHENHAI), "-r", "1", "-q", "--no-plots", "-o", str(out)]
    for seed in ("1", "2"):
        result = CliRunner().invoke(main, [*args, "-s", seed])
        assert result.exit_code == 0, result.output
    assert json.loads((out / "manifest.json").read_text())["seed"] == 2
    (out / "notes.txt").write_text("keep me")
    result = CliRunner().invoke(main, [*args, "-s", "3"])
    assert result.exit_code == 2 and "notes.txt" in result.output and "--overwrite" in result.output
    assert (out / "notes.txt").read_text() == "keep me" and json.loads((out / "manifest.json").read_text())["seed"] == 2


def test_a_zero_byte_or_torn_shard_is_not_a_finished_chunk(tmp_path):
    store = Store(tmp_path / "store")
    frame = pd.DataFrame({"point": [0], "replication": [0], "year": [2021], "indicator": ["x"], "value": [1.0]})
    store.write_chunk(0, {"indicators": frame})
    store.write_chunk(1, {"indicators": frame})
    store.write_chunk(2, {"indicators": frame})
    store.shard("indicators", 1).write_bytes(b"")
    whole = store.shard("indicators", 2).read_bytes()
    store.shard("indicators", 2).write_bytes(whole[: len(whole) // 2])
    assert store.done_chunks() == {0}


@pytest.mark.parametrize("text, expected", [
    ("tax_per_mu@2025", ("tax_per_mu", 2025)),
    ("tax_per_mu:2025", ("tax_per_mu", 2025)),
    (" 规上工业亩均税收 @ 2023 ", ("规上工业亩均税收", 2023)),
])
def test_one_reference_form_with_the_old_one_as_an_alias(text, expected):
    assert parse_reference(text) == expected


@pytest.mark.parametrize("text", ["tax_per_mu", "tax_per_mu@", "@2025", "tax_per_mu@25"])
def test_malformed_references_are_refused(text):
    with pytest.raises(InputError, match="NAME@YEAR"):
        parse_reference(text)


def test_indicators_lists_every_declared_indicator_with_label_and_unit():
    result = CliRunner().invoke(main, ["indicators"])
    assert result.exit_code == 0
    rows = result.output.splitlines()[1:]
    assert len(rows) == len(INDICATORS)
    for row, ind in zip(rows, INDICATORS.values()):
        assert row.split()[0] == ind.name and ind.label in row and ind.unit in row


def test_levers_lists_paths_that_overrides_accept_with_their_current_values():
    sc = load_scenario(ZHENHAI)
    result = CliRunner().invoke(main, ["levers", str(ZHENHAI), "--all"])
    assert result.exit_code == 0
    listed = [line.split()[0] for line in result.output.splitlines()]
    assert listed == [p for p, _, _ in lever_paths(sc)]
    for path, value, _ in lever_paths(sc):
        assert get_path(sc, path) == value
    assert "levers.remediation.firms_per_year" in listed and len(listed) > 100


def test_levers_name_the_unit_their_field_declares():
    # a lever whose YAML gives no unit still shows the unit its schema field declares
    for path, _, unit in lever_paths(load_scenario(ZHENHAI)):
        assert unit is not None, path
        declared = declared_unit(Scenario, path)
        assert declared is None or unit == declared, path


def test_an_unknown_lever_path_names_the_nearest_ones(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(f"scenario: {ZHENHAI}\ndesign: lhs\npoints: 2\nfactors:\n"
                    "  - {path: levers.remediation.firms_per_yaer, range: [1, 2]}\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["sweep", str(spec), "-o", str(tmp_path / "o"), "-q", "-w", "1"])
    assert result.exit_code == 2 and "nearest: levers.remediation.firms_per_year" in result.stderr


def test_project_roots_are_the_marked_project_and_the_working_one(tmp_path):
    assert project_roots(ZHENHAI)[0] == ROOT.resolve()
    assert project_roots(ROOT / "calibration" / "fitted" / "zhenhai.yaml")[0] == ROOT.resolve()
    loose = tmp_path / "a.yaml"
    assert project_roots(loose)[0] == tmp_path.resolve()


def test_shipped_files_that_reach_across_folders_stay_inside_the_project():
    for path in [*ROOT.glob("calibration/fitted/*.yaml"), *ROOT.glob("scenarios/variants/*.yaml")]:
        load_scenario(path)


def _ishigami(folder, seed):
    spec = folder / f"spec{seed}.yaml"
    spec.write_text(f"model: ishigami\ndesign: lhs\npoints: 8\nseed: {seed}\nfactors:\n"
                    + "".join(f"  - {{path: x{i}, range: [-3.14, 3.14]}}\n" for i in (1, 2, 3)), encoding="utf-8")
    return spec


def test_a_sweep_store_of_another_spec_is_refused_unless_overwritten(tmp_path):
    out = tmp_path / "store"
    first = CliRunner().invoke(main, ["sweep", str(_ishigami(tmp_path, 1)), "-o", str(out), "-w", "1", "-q"])
    assert first.exit_code == 0, first.output
    (out / "stale.txt").write_text("from before")
    other = _ishigami(tmp_path, 2)
    refused = CliRunner().invoke(main, ["sweep", str(other), "-o", str(out), "-w", "1", "-q"])
    assert refused.exit_code == 2 and "different spec" in refused.stderr and (out / "stale.txt").exists()
    redone = CliRunner().invoke(main, ["sweep", str(other), "-o", str(out), "-w", "1", "-q", "--overwrite"])
    assert redone.exit_code == 0, redone.output
    assert not (out / "stale.txt").exists() and json.loads((out / "manifest.json").read_text())["seed"] == 2


def test_a_file_named_otherwise_runs_into_a_folder_of_its_own():
    """The README's calibrated run (calibration/fitted/zhenhai.yaml, scenario zhenhai_2021_2025)
    does not meet the baseline's results/zhenhai_2021_2025 by default."""
    from pathlib import Path

    from simulation.cli.run import default_out

    assert default_out(ZHENHAI, "zhenhai_2021_2025") == Path("results/zhenhai_2021_2025")
    fitted = ROOT / "calibration" / "fitted" / "zhenhai.yaml"
    assert default_out(fitted, load_scenario(fitted).name) == Path("results/zhenhai_2021_2025-zhenhai")
