"""``upgrade-sim run`` end to end: the files it writes and what they hold."""

import json
import subprocess
import sys

import pandas as pd
import pytest

from simulation.results import read_run

from .conftest import ZHENHAI


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    proc = subprocess.run(
        [sys.executable, "-m", "simulation", "run", str(ZHENHAI), "--replications", "4", "--seed", "9", "--out", str(out), "--workers", "2"],
        capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stderr
    return out, proc.stdout


@pytest.mark.slow
def test_run_writes_the_promised_files(run_dir):
    out, stdout = run_dir
    indicators = pd.read_parquet(out / "indicators.parquet")
    assert list(indicators.columns) == ["replication", "year", "indicator", "value"]
    assert sorted(indicators.replication.unique()) == [0, 1, 2, 3]
    targets = pd.read_csv(out / "targets.csv")
    assert list(targets.columns[:13]) == ["indicator", "label", "year", "op", "target", "p_met", "p_met_lo", "p_met_hi", "median", "p10", "p90", "modelled", "source"]
    assert targets.loc[~targets.modelled, "p_met"].isna().all()
    assert targets.loc[targets.modelled, "p_met"].between(0, 1).all()
    basis = targets.set_index("indicator")["basis"]
    assert set(basis.loc[["tax_per_mu"]]) == {"current"}  # a money level, by default
    assert set(basis.loc[["value_added_per_mu"]]) == {"current"}  # a CAGR the scenario says is nominal
    assert set(basis.loc[["value_added_rate"]]) == {"constant"}  # a rate
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 9 and manifest["replications"] == 4 and len(manifest["scenario_hash"]) == 64
    assert manifest["versions"]["simpy"] != "not installed"
    assert list((out / "figures").glob("fan_*.png"))
    assert "规上工业亩均税收" in stdout


@pytest.mark.slow
def test_run_folder_reads_back_and_reproduces(run_dir, zhenhai):
    out, _ = run_dir
    back = read_run(out)
    from simulation.experiments.replicate import run_replications

    again = run_replications(zhenhai, 4, seed=9)
    pd.testing.assert_frame_equal(back.indicators, again.indicators)


def test_run_refuses_bad_scenario_with_exit_2(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(ZHENHAI.read_text(encoding="utf-8").replace("end_year: 2025", "end_year: 2019"), encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "simulation", "run", str(bad), "--out", str(tmp_path / "o")], capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "end_year" in proc.stderr
    assert not (tmp_path / "o").exists()


def _linhai_run(out, *extra):
    from click.testing import CliRunner

    from simulation.cli import main

    from .conftest import ROOT

    return CliRunner().invoke(main, ["run", str(ROOT / "scenarios" / "linhai_2023.yaml"), "-r", "2", "-q", "--no-plots",
                                     "-o", str(out), *extra])


def test_an_interrupted_rerun_keeps_the_results_it_would_replace(tmp_path, monkeypatch):
    out = tmp_path / "out"
    assert _linhai_run(out).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("simulation.experiments.replicate.run_replications", interrupted)
    result = _linhai_run(out)
    assert result.exit_code == 130
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_a_run_cut_short_while_writing_says_so_and_the_same_command_replaces_it(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from simulation.cli import main

    out = tmp_path / "out"

    def killed(*args, **kwargs):
        raise KeyboardInterrupt  # the process stopped between two of the run's files

    with monkeypatch.context() as patch:
        patch.setattr("simulation.results.io.write_csv", killed)
        assert _linhai_run(out).exit_code == 130
    assert json.loads((out / "manifest.json").read_text())["status"] == "writing"
    refused = CliRunner().invoke(main, ["plot", str(out)])
    assert refused.exit_code == 2 and "cut short while its files were written" in refused.stderr
    assert _linhai_run(out).exit_code == 0  # its own result of the same file: replaced without --overwrite
    assert "status" not in json.loads((out / "manifest.json").read_text()) and (out / "targets.csv").is_file()


def test_overwrite_never_clears_a_folder_that_is_not_results(tmp_path):
    out = tmp_path / "project"
    (out / "figures").mkdir(parents=True)
    (out / "figures" / "mine.svg").write_text("<svg/>")  # names a run writes too, but the user's
    (out / "scenario.yaml").write_text("name: mine\n")
    refused = _linhai_run(out, "--overwrite")
    assert refused.exit_code == 2 and "no manifest.json" in refused.stderr
    assert (out / "figures" / "mine.svg").is_file() and (out / "scenario.yaml").read_text() == "name: mine\n"
    leftovers = tmp_path / "leftovers"  # only the tool's own temporary files: as good as empty
    leftovers.mkdir()
    (leftovers / ".indicators.parquet.x1.tmp").write_bytes(b"half")
    assert _linhai_run(leftovers).exit_code == 0 and not list(leftovers.glob(".*.tmp"))


def test_a_folder_is_checked_again_when_the_new_results_replace_it(tmp_path, monkeypatch):
    from simulation.experiments import replicate

    out = tmp_path / "out"
    assert _linhai_run(out).exit_code == 0
    simulate = replicate.run_replications

    def while_it_runs(*args, **kwargs):
        (out / "notes.txt").write_text("written during the run")
        return simulate(*args, **kwargs)

    monkeypatch.setattr(replicate, "run_replications", while_it_runs)
    refused = _linhai_run(out)
    assert refused.exit_code == 2 and "notes.txt" in refused.stderr and (out / "notes.txt").is_file()


def test_overwrite_leaves_a_folder_whose_manifest_is_not_this_tools(tmp_path):
    out = tmp_path / "web"
    out.mkdir()
    (out / "manifest.json").write_text(json.dumps({"name": "My App", "icons": []}))  # a web app's
    (out / "index.html").write_text("<html/>")
    refused = _linhai_run(out, "--overwrite")
    assert refused.exit_code == 2 and "not a results folder" in refused.stderr and (out / "index.html").is_file()


def test_a_comparison_cut_short_while_writing_says_so(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from simulation.cli import main

    from .conftest import ROOT

    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("simulation.io.write_parquet", killed)  # the comparison's tables, after its first manifest
    linhai = str(ROOT / "scenarios" / "linhai_2023.yaml")
    result = CliRunner().invoke(main, ["compare", linhai, linhai, "-r", "2", "-q", "--no-plots", "-o", str(tmp_path / "c")])
    assert result.exit_code == 130
    assert json.loads((tmp_path / "c" / "manifest.json").read_text())["status"] == "writing"


def test_an_ignored_sigterm_stays_ignored(monkeypatch):
    import signal

    from click.testing import CliRunner

    from simulation.cli import main

    seen = []
    monkeypatch.setattr("simulation.loader.load_scenario", lambda *a, **k: seen.append(signal.getsignal(signal.SIGTERM)))
    before = signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        CliRunner().invoke(main, ["levers", "scenarios/linhai_2023.yaml"])
        assert seen == [signal.SIG_IGN] and signal.getsignal(signal.SIGTERM) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGTERM, before)
