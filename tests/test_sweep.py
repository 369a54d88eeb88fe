"""Sweeps: designs, the store, executors that never change a number, resume after SIGKILL, failures."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from simulation.cli import main
from simulation.errors import InputError
from simulation.experiments.replicate import run_replications
from simulation.experiments.spec import SweepSpec, design_frame, load_spec
from simulation.experiments.store import Store
from simulation.experiments.sweep import build_model, sweep
from simulation.model import simulate

ROOT = Path(__file__).resolve().parents[1]
ZHENHAI = ROOT / "scenarios" / "zhenhai_2021_2025.yaml"
# the conftest's small Zhenhai, as a sweep's fixed settings
SMALL = {
    "population.above_scale.count": 100, "population.above_scale.output": 572, "population.large_firms.0.revenue": 160, "population.above_scale.land": 6000,
    "population.above_scale.employees": 16000, "population.above_scale.energy_use": 160,
    "population.below_scale.count": 500, "levers.energy.cap": 175, "levers.remediation.firms_per_year": 8,
    "levers.scattered_weak.firms_per_year": 20,
}
FACTORS = [
    {"path": "levers.remediation.firms_per_year", "name": "remediation", "range": [2, 20], "integer": True},
    {"path": "levers.land_supply.new_land_per_year", "name": "land", "range": [100, 900]},
]


def write_spec(folder: Path, **changes) -> Path:
    body = {"scenario": os.path.relpath(ZHENHAI, folder), "set": SMALL, "design": "lhs", "points": 6,
            "replications": 3, "seed": 11, "chunk": 6, "factors": FACTORS,
            "outputs": ["tax_per_mu", "land_freed", "firms_above_scale"], **changes}
    path = folder / "spec.yaml"
    path.write_text(yaml.safe_dump(body, allow_unicode=True), encoding="utf-8")
    return path


def tables(out: Path) -> dict[str, pd.DataFrame]:
    store = Store(out)
    return {"design": store.design(), "indicators": store.indicators(), "attainment": store.attainment(),
            "failures": store.failures()}


def assert_same_store(a: Path, b: Path) -> None:
    ta, tb = tables(a), tables(b)
    for name in ta:
        pd.testing.assert_frame_equal(ta[name], tb[name], check_exact=True, obj=name)
    shards = lambda p: sorted(q.relative_to(p) for q in p.rglob("chunk-*.parquet"))  # noqa: E731
    assert shards(a) == shards(b)


# --- designs --------------------------------------------------------------------------------


def test_grid_is_the_full_factorial():
    spec = SweepSpec.model_validate({"scenario": "x.yaml", "design": "grid", "factors": [
        {"path": "a.b", "range": [0, 1], "levels": 3}, {"path": "c.d", "values": ["x", "y"]},
        {"path": "e.f", "range": [1, 4], "levels": 4, "integer": True}]})
    design = design_frame(spec)
    assert len(design) == 3 * 2 * 4
    assert not design.drop(columns="point").duplicated().any()
    assert sorted(design["e.f"].unique()) == [1, 2, 3, 4]


@pytest.mark.parametrize("kind", ["lhs", "sobol", "halton"])
def test_space_filling_designs_stay_in_range_and_depend_on_the_seed(kind):
    body = {"scenario": "x.yaml", "design": kind, "points": 32, "seed": 5, "factors": [
        {"path": "a.b", "range": [10, 20]}, {"path": "c.d", "range": [1, 6], "integer": True}]}
    design = design_frame(SweepSpec.model_validate(body))
    assert design["a.b"].between(10, 20).all() and set(design["c.d"]) <= set(range(1, 7))
    assert design.equals(design_frame(SweepSpec.model_validate(body)))
    assert not design.equals(design_frame(SweepSpec.model_validate({**body, "seed": 6})))
    if kind == "lhs":  # Latin hypercube: exactly one point in each of the 32 strata of every factor
        strata = np.floor((design["a.b"] - 10) / 10 * 32).astype(int)
        assert sorted(strata) == list(range(32))


# --- the store ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def serial_store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("serial")
    result = sweep(write_spec(folder), folder / "out", workers=1)
    return folder, result


def test_store_is_a_plain_parquet_dataset(serial_store):
    folder, result = serial_store
    import duckdb
    import pyarrow.dataset as ds

    out = folder / "out"
    n = duckdb.sql(f"select count(*) from read_parquet('{out}/indicators/*.parquet')").fetchall()[0][0]
    assert n == ds.dataset(out / "indicators", format="parquet").count_rows() == len(result.indicators())
    # 6 points x 3 replications x 6 years (2020-2025) x 3 kept indicators
    assert n == 6 * 3 * 6 * 3
    assert set(result.indicators()["indicator"]) == {"tax_per_mu", "land_freed", "firms_above_scale"}
    assert list(pd.read_parquet(out / "design.parquet").columns) == ["point", "remediation", "land"]
    manifest = result.manifest
    assert manifest["status"] == "complete" and manifest["runs"] == 18 and manifest["failures"] == 0


def test_attainment_matches_run_replications_of_the_same_point(serial_store):
    """The sweep's per-point attainment equals ``run`` of that point's scenario with the same seeds."""
    folder, result = serial_store
    spec, base = load_spec(folder / "spec.yaml")
    model, _ = build_model(spec, base)
    point = 4
    values = result.design.set_index("point").loc[point].to_dict()
    reference = run_replications(model.scenario(values), 3, seed=11, point=point).targets
    reference = reference[reference["modelled"]].reset_index(drop=True)
    mine = result.attainment[result.attainment["point"] == point].reset_index(drop=True)
    assert list(mine["target"]) == list(reference["name"])
    for column in ("p_met", "median", "p10", "p90"):
        np.testing.assert_allclose(mine[column], reference[column].astype(float), rtol=1e-12)
    assert list(mine["measure"]) == list(reference["measure"])  # which sets the unit the report prints


def test_the_sweep_report_gives_a_growth_targets_unit(serial_store):
    from simulation.report_sections import sweep_section

    folder, result = serial_store
    html = sweep_section(folder / "out", result.manifest, "zh")[2]
    row = next(r for r in html.split("<tr>") if "规上工业亩均增加值年均增速" in r)
    assert "%/年" in row and "万元/亩" not in row


@pytest.mark.slow
def test_same_seed_same_store_different_seed_different_numbers(serial_store, tmp_path):
    folder, result = serial_store
    again = sweep(write_spec(tmp_path), tmp_path / "same", workers=1)
    pd.testing.assert_frame_equal(again.indicators(), result.indicators())
    other = sweep(write_spec(tmp_path, seed=12), tmp_path / "other", workers=1)
    assert not np.allclose(other.indicators()["value"], result.indicators()["value"])


@pytest.mark.slow
def test_serial_processes_and_dask_write_identical_stores(serial_store):
    """Through the CLI flags: --workers 2, --dask-local 2 and --scheduler of a running cluster."""
    from dask.distributed import LocalCluster

    folder, _ = serial_store
    spec = str(folder / "spec.yaml")
    with LocalCluster(n_workers=1, threads_per_worker=1, dashboard_address=":0") as cluster:
        for name, flags in (("processes", ["-w", "2"]), ("dask", ["--dask-local", "2"]),
                            ("scheduler", ["--scheduler", cluster.scheduler_address])):
            result = CliRunner().invoke(main, ["sweep", spec, "--out", str(folder / name), "-q", *flags])
            assert result.exit_code == 0, result.output
            assert_same_store(folder / "out", folder / name)
    assert Store(folder / "dask").manifest()["executor"] == "dask LocalCluster (2 workers)"
    assert Store(folder / "scheduler").manifest()["executor"].startswith(f"dask {cluster.scheduler_address}")


@pytest.mark.slow
def test_sigkill_then_resume_gives_the_uninterrupted_store(tmp_path):
    spec = write_spec(tmp_path, points=40, replications=2, chunk=2)
    reference = sweep(spec, tmp_path / "reference", workers=1)
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "simulation", "sweep", str(spec), "--out", str(out), "--workers", "1", "-q"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while len(list((out / "indicators").glob("chunk-*.parquet"))) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    done = len(list((out / "indicators").glob("chunk-*.parquet")))
    assert proc.returncode == -signal.SIGKILL and 3 <= done < 40
    assert Store(out).manifest()["status"] == "running"
    resumed = sweep(spec, out, workers=1)
    assert resumed.manifest["runs_this_session"] == (40 - done) * 2
    assert_same_store(tmp_path / "reference", out)
    assert reference.manifest["spec_hash"] == resumed.manifest["spec_hash"]


def test_a_finished_store_reruns_nothing(serial_store):
    folder, result = serial_store
    again = sweep(folder / "spec.yaml", folder / "out", workers=1)
    assert again.manifest["runs_this_session"] == 0
    pd.testing.assert_frame_equal(again.attainment, result.attainment)


@pytest.mark.parametrize("command", ["report", "plot"])
def test_an_unfinished_store_is_not_reported_as_the_whole_design(serial_store, tmp_path, command):
    import json
    import shutil

    folder, _ = serial_store
    part = tmp_path / "part"
    shutil.copytree(folder / "out", part)
    manifest = json.loads((part / "manifest.json").read_text(encoding="utf-8"))
    (part / "manifest.json").write_text(json.dumps({**manifest, "status": "running"}), encoding="utf-8")
    result = CliRunner().invoke(main, [command, str(part)])
    assert result.exit_code == 2 and "unfinished sweep" in result.output and "again" in result.output, result.output
    assert not (part / "report.html").exists()


def test_a_changed_spec_is_refused_on_an_existing_store(serial_store, tmp_path):
    folder, _ = serial_store
    changed = write_spec(tmp_path, replications=4)
    with pytest.raises(InputError, match="different spec"):
        sweep(changed, folder / "out", workers=1)


def test_failing_runs_are_recorded_with_their_seed_and_the_sweep_goes_on(tmp_path, monkeypatch):
    import simulation.experiments.sweep as sweep_module

    def fragile(scenario, seed):  # the model itself fails at one point (as a bug or a numerical edge would)
        if scenario.levers.xiaoshenggui.incentive.at(2021) == 0.9:
            raise FloatingPointError("incentive 0.9 broke the model")
        return simulate(scenario, seed)

    monkeypatch.setattr(sweep_module, "simulate", fragile)
    factors = [{"path": "levers.xiaoshenggui.incentive", "name": "incentive", "values": [0.5, 0.9]}]
    result = sweep(write_spec(tmp_path, factors=factors, design="grid", points=None), tmp_path / "out", workers=1)
    bad = result.design.loc[result.design["incentive"] == 0.9, "point"].item()
    assert set(result.failures["point"]) == {bad} and len(result.failures) == 3
    assert result.failures["seed"].iloc[0] == f"SeedSequence(entropy=11, spawn_key=({bad}, 0))"
    assert "incentive 0.9 broke the model" in result.failures["error"].iloc[0]
    assert set(result.indicators()["point"]) == {1 - bad}
    assert "3 failed" in result.summary() and result.manifest["failures"] == 3


def test_common_random_numbers_give_equal_points_equal_numbers(tmp_path):
    factors = [{"path": "levers.land_supply.new_land_per_year", "name": "land", "values": [500, 500]}]
    body = {"factors": factors, "design": "grid", "points": None, "replications": 2}
    common = sweep(write_spec(tmp_path, common_random_numbers=True, **body), tmp_path / "crn", workers=1).indicators()
    at = {p: g.drop(columns="point").reset_index(drop=True) for p, g in common.groupby("point")}
    pd.testing.assert_frame_equal(at[0], at[1])
    (tmp_path / "spec.yaml").unlink()
    own = sweep(write_spec(tmp_path, **body), tmp_path / "own", workers=1).indicators()
    assert not np.allclose(own[own["point"] == 0]["value"], own[own["point"] == 1]["value"])


# --- refusing bad specs ---------------------------------------------------------------------


@pytest.mark.parametrize("change, field, message", [
    ({"desing": "lhs"}, "desing", "unknown key"),
    ({"design": "random"}, "design", "Input should be"),
    ({"factors": [{"path": "levers.remediation.firms_per_year", "range": [5, 1]}]}, "factors.0.range", "lower bound"),
    ({"design": "sobol", "points": 10}, None, "power of 2"),
    ({"factors": [{"path": "levers.no_such_lever", "range": [0, 1]}]}, "factors.0.path", "no lever or parameter"),
    ({"outputs": ["tax_per_moo"]}, "outputs.0", "unknown indicator"),
    ({"scenario": "missing.yaml"}, "scenario", "not found"),
    ({"factors": [{"path": "levers.xiaoshenggui.incentive", "range": [0, 2]}]}, "factors.0.range", "refuses 2.0"),
    ({"factors": [{"path": "levers.remediation", "range": [1, 2]}]}, "factors.0.path", "not a number"),
    ({"factors": [{"path": "parameters.growth.above_scale_mean", "range": [0.9, 1.1], "scale": True, "years": [2030]}]},
     "factors.0.years", "outside the run"),
])
def test_cli_refuses_a_malformed_spec_with_exit_code_2(tmp_path, change, field, message):
    spec = write_spec(tmp_path, **change)
    result = CliRunner().invoke(main, ["sweep", str(spec), "--out", str(tmp_path / "out"), "-w", "1"])
    assert result.exit_code == 2, result.output
    assert str(spec) in result.stderr and message in result.stderr
    if field:
        assert f": {field}:" in result.stderr
    assert "Traceback" not in result.output


def test_cli_sweep_runs_and_summarises(tmp_path):
    spec = write_spec(tmp_path, points=2, replications=1)
    result = CliRunner().invoke(main, ["sweep", str(spec), "--out", str(tmp_path / "out"), "-w", "1", "-q"])
    assert result.exit_code == 0, result.output
    assert "2 runs (2 points × 1 replications" in result.output and "no failures" in result.output
    both = CliRunner().invoke(main, ["sweep", str(spec), "--out", str(tmp_path / "o2"), "-w", "2", "--dask-local", "2"])
    assert both.exit_code == 2 and "choose one executor" in both.stderr


def test_pooled_attainment_weighs_each_point_by_its_runs():
    """Over the design, P(met) is the share of all runs meeting the target: a point that lost runs to
    failures counts for the runs it has, not as a whole point."""
    from simulation.experiments.sweep import pooled_attainment

    attainment = pd.DataFrame({
        "point": [0, 1, 2, 0, 1, 2], "target": ["A"] * 3 + ["B"] * 3, "indicator": ["a"] * 3 + ["b"] * 3,
        "year": [2025] * 6, "p_met": [1.0, 0.0, 0.5, 0.25, 0.25, 1.0], "n": [8, 2, 4, 8, 8, 8],
    })
    pooled = pooled_attainment(attainment).set_index("target")
    assert pooled.loc["A", "p_pooled"] == pytest.approx((8 + 0 + 2) / 14)  # not the points' mean, 0.5
    assert pooled.loc["B", "p_pooled"] == pytest.approx(0.5)
    assert (pooled.loc["A", ["p_min", "p_median", "p_max"]].tolist()) == [0.0, 0.5, 1.0]
    assert pooled.loc["A", "runs"] == 14 and pooled.loc["A", "points"] == 3
    assert list(pooled.index) == ["A", "B"]


def test_the_cli_prints_each_targets_pooled_p_met(tmp_path):
    from simulation.experiments.sweep import pooled_attainment

    spec = write_spec(tmp_path, points=2, replications=2)
    result = CliRunner().invoke(main, ["sweep", str(spec), "--out", str(tmp_path / "out"), "-w", "1"])
    assert result.exit_code == 0, result.output
    pooled = pooled_attainment(Store(tmp_path / "out").attainment())
    first = pooled.iloc[0]
    line = next(s for s in result.output.splitlines() if str(first["target"]) in s and str(first["year"]) in s)
    assert line.split()[0] == f"{first['p_pooled']:.0%}"
    assert "pooled: the share of all the design's runs" in result.output


def test_a_factors_citation_is_text_outside_the_specs_hash(tmp_path):
    """``source:``/``assume:`` say where a range comes from; rewording one keeps a store resumable,
    and a misspelt key is still refused."""
    from simulation.experiments.spec import spec_hash

    plain = load_spec(write_spec(tmp_path))[0]
    noted = [{**FACTORS[0], "assume": "a reason"}, {**FACTORS[1], "source": "a document"}]
    cited = load_spec(write_spec(tmp_path, factors=noted))[0]
    assert cited.factors[0].assume == "a reason" and cited.factors[1].source == "a document"
    assert spec_hash(cited, "s") == spec_hash(plain, "s")
    with pytest.raises(InputError, match="sorce"):
        load_spec(write_spec(tmp_path, factors=[{**FACTORS[0], "sorce": "typo"}]))


def test_the_sweep_report_gives_pooled_p_met_and_each_factors_basis(serial_store):
    from simulation.experiments.sweep import pooled_attainment
    from simulation.report_sections import factors_section, sweep_section

    folder, result = serial_store
    html = sweep_section(folder / "out", result.manifest, "en")[2]
    assert "P(met) over all runs" in html
    first = pooled_attainment(result.attainment).iloc[0]
    row = next(r for r in html.split("<tr>") if f"<td>{first['target']}</td>" in r)
    assert f"{first['p_pooled'] * 100:.0f}%" in row.split("</td>")[3]
    manifest = {"spec": {"factors": [{**FACTORS[0], "assume": "a reason"}, FACTORS[1]]}}
    table = factors_section(manifest, "en")[2]
    assert "Basis" in table and "assumed: a reason" in table
    assert "Basis" not in factors_section({"spec": {"factors": FACTORS}}, "en")[2]


@pytest.mark.parametrize("path", sorted((ROOT / "scenarios" / "sweeps").glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_spec_loads_against_its_scenario(path):
    from simulation.experiments.spec import SensitivitySpec

    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    spec, base = load_spec(path, SensitivitySpec if "method" in raw else SweepSpec)
    build_model(spec, base, file=str(path))  # every factor's path resolves, in range of its rule


def test_the_uncertainty_design_samples_cited_parameters_only():
    """zhenhai_uncertain holds the levers as the plan sets them and samples behaviour parameters,
    each range cited or marked as an assumption."""
    spec, _ = load_spec(ROOT / "scenarios" / "sweeps" / "zhenhai_uncertain.yaml")
    assert spec.design != "grid"  # sampled, so its pooled P(met) averages over the ranges
    for f in spec.factors:
        assert f.path.startswith("parameters."), f.path
        assert f.source or f.assume, f.label


def _opened(folder: Path) -> Store:
    store = Store(folder)
    store.open("h", {"kind": "sweep", "points": 1}, pd.DataFrame({"point": [0]}))
    return store


def test_one_process_writes_a_store_at_a_time(tmp_path):
    first = _opened(tmp_path / "out")
    with pytest.raises(InputError, match="being written by another process"):
        _opened(tmp_path / "out")  # a second open file of the lock, as another process's would be
    first.close()
    _opened(tmp_path / "out").close()  # free again once the first is closed


def test_a_store_begun_by_other_model_code_is_not_resumed(tmp_path, monkeypatch):
    import simulation.experiments.store as store_module

    _opened(tmp_path / "out").close()
    monkeypatch.setattr(store_module, "model_code", lambda: "0123456789abcdef")
    with pytest.raises(InputError, match="other model code"):
        _opened(tmp_path / "out")


def test_writes_cut_short_neither_block_a_store_nor_stay(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / ".manifest.json.x1.tmp").write_bytes(b"half")  # killed while writing its first manifest
    pd.DataFrame({"point": [0, 1]}).to_parquet(out / "design.parquet")  # an earlier version wrote the design first
    _opened(out).close()
    assert not list(out.rglob("*.tmp")) and Store(out).manifest()["status"] == "running"
    assert Store(out).design()["point"].tolist() == [0], "this store's design, not the one of the start cut short"
    (out / "indicators" / ".chunk-000000.parquet.x2.tmp").parent.mkdir()
    (out / "indicators" / ".chunk-000000.parquet.x2.tmp").write_bytes(b"half")  # a shard cut short
    _opened(out).close()
    assert not list(out.rglob("*.tmp"))


@pytest.mark.slow
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_a_stopped_sweep_leaves_no_worker_behind(tmp_path, stop):
    spec = write_spec(tmp_path, points=40, replications=2, chunk=2)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "simulation", "sweep", str(spec), "--out", str(out), "--workers", "2", "-q"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not list((out / "indicators").glob("chunk-*.parquet")) and time.monotonic() < deadline:
            time.sleep(0.01)
        workers = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
        assert len(workers) == 2
        os.kill(proc.pid, stop)
    finally:
        proc.wait()
    assert proc.returncode == (143 if stop == signal.SIGTERM else -signal.SIGKILL)  # 128 + SIGTERM, as a shell says
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()], "workers outlived the sweep"
    assert sweep(spec, out, workers=1).manifest["status"] == "complete"  # and the store resumes


def test_overwrite_clears_a_store_only_under_its_lock(tmp_path):
    first = _opened(tmp_path / "out")
    with pytest.raises(InputError, match="being written by another process"):
        Store(tmp_path / "out").open("other", {"kind": "sweep", "points": 1}, pd.DataFrame({"point": [0]}), overwrite=True)
    assert Store(tmp_path / "out").manifest()["spec_hash"] == "h"  # the running store untouched
    first.close()
    again = Store(tmp_path / "out")
    again.open("other", {"kind": "sweep", "points": 1}, pd.DataFrame({"point": [0]}), overwrite=True)
    with pytest.raises(InputError, match="being written by another process"):
        _opened(tmp_path / "out")  # the clearing kept the lock file its holder locks
    refused = CliRunner().invoke(main, ["run", str(ZHENHAI), "-r", "1", "-q", "--no-plots", "-o", str(tmp_path / "out"),
                                        "--overwrite"])
    assert refused.exit_code == 2 and "being written by another process" in refused.stderr  # nor does a run clear it
    again.close()
    assert Store(tmp_path / "out").manifest()["spec_hash"] == "other"


def test_a_store_dropped_unclosed_lets_go_of_its_lock(tmp_path):
    import gc

    store = _opened(tmp_path / "out")
    del store
    gc.collect()
    _opened(tmp_path / "out").close()


def test_a_filesystem_that_cannot_lock_gives_a_warning_not_a_refusal(tmp_path, monkeypatch):
    import errno

    import simulation.io as io_module

    def no_locks(handle, operation):
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(io_module.fcntl, "flock", no_locks)
    with pytest.warns(UserWarning, match="cannot lock the store"):
        _opened(tmp_path / "out").close()
    assert Store(tmp_path / "out").manifest()["status"] == "running"


def test_a_refused_open_leaves_the_store_unlocked(tmp_path):
    _opened(tmp_path / "out").close()
    with pytest.raises(InputError, match="different spec"):
        Store(tmp_path / "out").open("other", {"kind": "sweep", "points": 1}, pd.DataFrame({"point": [0]}))
    _opened(tmp_path / "out").close()  # not refused as "being written": the refused open let go


def test_opening_a_store_leaves_other_writers_files_alone(tmp_path):
    _opened(tmp_path / "out").close()
    theirs = tmp_path / "out" / "discovery" / ".boxes.csv.x1.tmp"  # a discovery being written beside the store
    theirs.parent.mkdir()
    theirs.write_text("half")
    _opened(tmp_path / "out").close()
    assert theirs.is_file()


def test_a_sweep_run_again_on_a_kept_process_pool_is_not_locked_out(tmp_path):
    from simulation.experiments.executors import ProcessExecutor

    spec = write_spec(tmp_path)
    executor = ProcessExecutor(2)
    try:
        sweep(spec, tmp_path / "out", executor=executor)  # the pool's workers start while the store is locked
        assert sweep(spec, tmp_path / "out", executor=executor).manifest["runs_this_session"] == 0
    finally:
        executor.close()


@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
def test_a_process_pool_works_whichever_way_its_workers_start(method):
    code = ("import multiprocessing as mp, operator\n"
            f"mp.set_start_method({method!r})\n"
            "from simulation.experiments.executors import ProcessExecutor\n"
            "ex = ProcessExecutor(2)\n"
            "print(sorted(ex.imap_unordered(operator.neg, [1, 2, 3])))\n"
            "ex.close()\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0 and done.stdout.strip() == "[(0, -1), (1, -2), (2, -3)]", done.stderr[-2000:]


def test_an_integer_grid_keeps_within_the_range():
    spec = SweepSpec.model_validate({"model": "ishigami", "design": "grid", "factors": [
        {"path": "x1", "range": [0.4, 3.4], "integer": True, "levels": 4}]})
    assert design_frame(spec)["x1"].tolist() == [1, 2, 3]  # round(0.4) = 0 lies outside [0.4, 3.4]


@pytest.mark.slow
@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
def test_workers_end_with_a_killed_parent_whichever_way_they_start(method, tmp_path):
    code = ("import multiprocessing as mp, os, time\n"
            f"mp.set_start_method({method!r})\n"
            "from simulation.experiments.executors import ProcessExecutor\n"
            "ex = ProcessExecutor(2)\n"
            "for _ in ex.imap_unordered(abs, [-1, -2]):\n"
            "    pass\n"
            "print(' '.join(str(p.pid) for p in ex._pool._processes.values()), flush=True)\n"
            "time.sleep(600)\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        workers = proc.stdout.readline().split()
        assert len(workers) == 2
    finally:
        proc.kill()
        proc.wait()
    deadline = time.monotonic() + 10
    while any(map(_running, workers)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in workers if _running(pid)], f"{method} workers outlived their parent"


def _running(pid: str) -> bool:
    """Whether a process is there and not a zombie (one that has ended, not yet reaped)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")
