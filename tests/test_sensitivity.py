"""Sensitivity analysis through the sweep pipeline: Ishigami against its analytic indices, Morris, CLI."""

import math
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from simulation.cli import main
from simulation.experiments.sensitivity import sensitivity

ROOT = Path(__file__).resolve().parents[1]
PI = math.pi
ISHIGAMI = [{"path": f"x{i}", "range": [-PI, PI]} for i in (1, 2, 3)]


def ishigami_analytic(a: float = 7.0, b: float = 0.1) -> dict[str, dict]:
    """Closed-form Sobol' indices of the Ishigami function (Saltelli et al. 2008, §4.6)."""
    v1 = 0.5 * (1 + b * PI**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * PI**8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    return {"S1": {"x1": v1 / v, "x2": v2 / v, "x3": 0.0},
            "ST": {"x1": (v1 + v13) / v, "x2": v2 / v, "x3": v13 / v},
            "S2": {("x1", "x2"): 0.0, ("x1", "x3"): v13 / v, ("x2", "x3"): 0.0}}


def write(folder: Path, body: dict) -> Path:
    path = folder / "spec.yaml"
    path.write_text(yaml.safe_dump(body, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.slow
def test_ishigami_sobol_indices_match_the_analytic_values_within_their_confidence_intervals(tmp_path):
    spec = write(tmp_path, {"model": "ishigami", "method": "sobol", "n": 512, "seed": 2, "chunk": 512,
                            "outputs": ["y@0"], "factors": ISHIGAMI})
    result = sensitivity(spec, tmp_path / "out", workers=1)
    assert result.sweep.manifest["runs"] == 512 * (2 * 3 + 2)
    truth = ishigami_analytic()
    rows = result.indices.set_index(["index", "factor", "factor_2"])
    for index in ("S1", "ST"):
        for factor, value in truth[index].items():
            est, conf = rows.loc[(index, factor, None), ["value", "conf"]]
            assert abs(est - value) <= conf, (index, factor, est, value, conf)
    for (f1, f2), value in truth["S2"].items():
        est, conf = rows.loc[("S2", f1, f2), ["value", "conf"]]
        assert abs(est - value) <= conf, ("S2", f1, f2, est, value, conf)
    # the analysis reads the store: written indices equal the returned ones
    written = pd.read_csv(tmp_path / "out" / "indices.csv")
    np.testing.assert_allclose(written["value"], result.indices["value"])


def test_morris_mu_star_equals_hand_computed_elementary_effects(tmp_path):
    spec = write(tmp_path, {"model": "ishigami", "method": "morris", "n": 20, "levels": 4, "seed": 3,
                            "outputs": ["y@0"], "factors": ISHIGAMI})
    result = sensitivity(spec, tmp_path / "out", workers=1)
    design = pd.read_parquet(tmp_path / "out" / "design.parquet")
    x = design[["x1", "x2", "x3"]].to_numpy()
    y = np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])
    effects = {f: [] for f in ("x1", "x2", "x3")}
    for start in range(0, len(x), 4):  # each trajectory: 4 points, one factor moves per step
        for k in range(start, start + 3):
            moved = np.flatnonzero(x[k + 1] != x[k])
            assert len(moved) == 1
            j = moved[0]
            effects[f"x{j + 1}"].append((y[k + 1] - y[k]) / ((x[k + 1, j] - x[k, j]) / (2 * PI)))
    mu_star = result.indices[result.indices["index"] == "mu_star"].set_index("factor")["value"]
    for factor, ee in effects.items():
        assert len(ee) == 20
        assert mu_star[factor] == pytest.approx(np.mean(np.abs(ee)), rel=1e-9)


def test_sensitivity_reruns_nothing_and_refuses_a_changed_spec(tmp_path):
    body = {"model": "ishigami", "method": "morris", "n": 4, "seed": 0, "outputs": ["y@0"], "factors": ISHIGAMI}
    first = sensitivity(write(tmp_path, body), tmp_path / "out", workers=1)
    again = sensitivity(write(tmp_path, body), tmp_path / "out", workers=1)
    assert again.sweep.manifest["runs_this_session"] == 0
    pd.testing.assert_frame_equal(first.indices, again.indices)
    result = CliRunner().invoke(main, ["sensitivity", str(write(tmp_path, {**body, "seed": 1})),
                                       "--out", str(tmp_path / "out"), "-w", "1", "-q"])
    assert result.exit_code == 2 and "different spec" in result.stderr


@pytest.mark.slow
def test_cli_sensitivity_on_the_scenario_with_targets_and_plots(tmp_path):
    """Morris on a small Zhenhai: indicator and target outputs, indices.csv and the μ*–σ figure."""
    body = {
        "scenario": os.path.relpath(ROOT / "scenarios" / "zhenhai_2021_2025.yaml", tmp_path),
        "set": {"population.above_scale.count": 100, "population.below_scale.count": 500,
                "population.above_scale.land": 6000, "population.above_scale.output": 572,
                "population.large_firms.0.revenue": 160},
        "method": "morris", "n": 2, "levels": 4, "replications": 2, "seed": 4,
        "outputs": ["tax_per_mu@2025", "attainment:腾出用地@2025", "measure:腾出用地@2025", "measure:规上工业亩均税收@2025"],
        "factors": [{"path": "levers.remediation.firms_per_year", "range": [2, 20], "integer": True},
                    {"path": "levers.land_supply.new_land_per_year", "range": [100, 900]}],
    }
    result = CliRunner().invoke(main, ["sensitivity", str(write(tmp_path, body)), "--out", str(tmp_path / "out"), "-w", "1", "-q"])
    assert result.exit_code == 0, result.output
    indices = pd.read_csv(tmp_path / "out" / "indices.csv")
    assert set(indices["output"]) == set(body["outputs"]) and set(indices["index"]) == {"mu", "mu_star", "sigma"}
    outputs = pd.read_csv(tmp_path / "out" / "outputs.csv")
    assert outputs["attainment:腾出用地@2025"].between(0, 1).all()
    assert len(list((tmp_path / "out" / "figures").glob("morris_*.png"))) == 4
    # each output's unit, with the prices of money: the indicator at the model's constant prices, the
    # target's measure on its basis (current prices, as the target table judges it)
    units = indices.drop_duplicates("output").set_index("output")[["unit", "basis"]].fillna("")
    assert units.loc["tax_per_mu@2025"].tolist() == ["万元/亩", "constant"]
    assert units.loc["measure:规上工业亩均税收@2025"].tolist() == ["万元/亩", "current"]
    assert units.loc["measure:腾出用地@2025"].tolist() == ["亩", ""]
    assert units.loc["attainment:腾出用地@2025"].tolist() == ["probability", ""]
    bad = CliRunner().invoke(main, ["sensitivity", str(write(tmp_path, {**body, "outputs": ["tax_per_mu"]})),
                                    "--out", str(tmp_path / "o2"), "-w", "1"])
    assert bad.exit_code == 2 and "outputs.0" in bad.stderr and "INDICATOR@YEAR" in bad.stderr


def test_an_integer_factor_stays_within_its_range_when_its_bounds_are_not_whole():
    from simulation.experiments.spec import Factor, scale_to_factors

    factor = Factor(path="a.b", range=[0.2, 3.7], integer=True)
    sample = np.array([[0.2], [0.49], [0.51], [2.5], [3.5], [3.7]])  # SALib's draws lie within [lo, hi]
    assert scale_to_factors(sample, [factor])["a.b"].tolist() == [1, 1, 1, 2, 3, 3]  # rint, kept to 1..3
    whole = Factor(path="a.b", range=[1, 4], integer=True)  # whole bounds: plain rint, as before
    assert scale_to_factors(np.array([[1.0], [1.5], [2.5], [4.0]]), [whole])["a.b"].tolist() == [1, 2, 2, 4]


def test_a_store_is_complete_only_once_its_indices_are_written(tmp_path, monkeypatch):
    import simulation.experiments.sensitivity as module
    from simulation.experiments.store import Store

    body = {"model": "ishigami", "method": "morris", "n": 4, "seed": 0, "outputs": ["y@0"], "factors": ISHIGAMI}

    def killed(*args, **kwargs):
        raise KeyboardInterrupt  # the process stopped while analysing the finished runs

    monkeypatch.setattr(module, "analyse", killed)
    with pytest.raises(KeyboardInterrupt):
        sensitivity(write(tmp_path, body), tmp_path / "out", workers=1)
    assert Store(tmp_path / "out").manifest()["status"] == "running" and not (tmp_path / "out" / "indices.csv").exists()
    monkeypatch.undo()
    again = sensitivity(write(tmp_path, body), tmp_path / "out", workers=1)  # the same command finishes it
    assert again.sweep.manifest["runs_this_session"] == 0 and (tmp_path / "out" / "indices.csv").is_file()
    assert Store(tmp_path / "out").manifest()["status"] == "complete"
