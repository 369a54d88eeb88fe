"""Behaviour parameters pooled across regions (simulation.calibration.pooled)."""

from __future__ import annotations

import math
from collections import namedtuple
from pathlib import Path

import numpy as np
import pandas as pd
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.calibration.calibrate import _describe
from simulation.calibration.pooled import BEHAVIOUR, parse_estimate, pool_parameters, shock_persistence
from simulation.cli import main
from simulation.loader import get_path, load_scenario

ROOT = Path(__file__).resolve().parents[1]
PATH = BEHAVIOUR[0]
Row = namedtuple("Row", "name value se lower upper identified low_bound high_bound")


@settings(max_examples=60, deadline=None)
@given(st.floats(0.001, 0.999), st.floats(0.001, 0.5), st.booleans())
def test_a_calibration_note_reads_back_as_written(value, se, identified):
    note = "calibrated: calibration/x.yaml, smm, 2026-01-01; " + _describe(
        Row("lg_success", value, se, value - 2 * se, value + 2 * se, identified, 0.0, 1.0))
    got = parse_estimate(note)
    assert got["name"] == "lg_success" and got["identified"] == identified
    assert math.isclose(got["value"], value, rel_tol=1e-3)  # the note keeps 4 significant figures
    assert math.isclose(got["se"], se, rel_tol=5e-3) if identified else math.isnan(got["se"])


def _estimates(values, ses, regions=None) -> pd.DataFrame:
    regions = regions or [f"r{i}" for i in range(len(values))]
    return pd.DataFrame({"region": regions, "path": PATH, "name": "s", "value": values, "se": ses, "identified": True})


def _planted(rng, n, mu, tau, se):
    """``n`` regions' true probabilities (logit ~ N(mu, tau²)) and estimates with logit-scale error ``se``."""
    true = rng.normal(mu, tau, n)
    est = true + rng.normal(0, se, n)
    p = 1 / (1 + np.exp(-est))
    return 1 / (1 + np.exp(-true)), p, se * p * (1 - p)


def test_the_shared_mean_and_spread_are_recovered_from_many_regions():
    rng = np.random.default_rng(7)
    _, p, se = _planted(rng, 400, mu=-1.0, tau=0.6, se=0.3)
    table = pool_parameters(_estimates(p, se), regions=("new",))
    mu, _, tau = table.attrs["moments"][PATH]
    assert abs(mu + 1.0) < 0.1 and abs(tau - 0.6) < 0.1


def test_the_predictive_interval_of_a_region_without_data_covers_about_80_percent():
    rng = np.random.default_rng(11)
    hits = []
    for _ in range(300):
        _, p, se = _planted(rng, 12, mu=-0.5, tau=0.8, se=0.4)
        row = pool_parameters(_estimates(p, se), regions=("new",)).iloc[0]
        new_true = 1 / (1 + math.exp(-rng.normal(-0.5, 0.8)))
        hits.append(row["lower80"] <= new_true <= row["upper80"])
    assert 0.72 <= np.mean(hits) <= 0.88  # DerSimonian-Laird with 12 regions: near nominal


def test_a_noisier_estimate_moves_further_towards_the_shared_mean():
    table = pool_parameters(_estimates([0.2, 0.6, 0.5, 0.3], [0.02, 0.02, 0.2, 0.02], regions=["a", "b", "c", "d"]),
                            regions=("a", "c"))
    a, c = table.set_index("region").loc[["a", "c"], "shrinkage"]
    assert c > a and 0 <= a < 1 and 0 < c <= 1
    identical = pool_parameters(_estimates([0.3, 0.3, 0.3], [0.05, 0.05, 0.05]), regions=("r0",))
    assert math.isclose(identical.iloc[0]["pooled"], 0.3, rel_tol=1e-9)  # no spread: every region gets the mean


def test_a_parameter_identified_in_one_region_is_not_pooled():
    one = _estimates([0.4], [0.05])
    unidentified = _estimates([0.7, 0.2], [float("nan"), 0.05]).assign(identified=[False, True])
    assert pool_parameters(one).empty and pool_parameters(unidentified).empty


def _growth_files(folder: Path, series: dict[str, np.ndarray], first_year: int = 1990) -> None:
    for region, growth in series.items():
        pd.DataFrame({"region": region, "year": first_year + np.arange(len(growth)),
                      "indicator": "value_added_above_scale_growth", "value": 100 * np.expm1(growth), "unit": "%",
                      "source": "planted"}).to_csv(folder / f"{region}.csv", index=False)


def test_shock_persistence_recovers_a_planted_ar1(tmp_path):
    rng = np.random.default_rng(3)
    series = {}
    for i in range(6):
        x = np.zeros(60)
        for t in range(1, 60):
            x[t] = 0.5 * x[t - 1] + rng.normal(0, 0.03)
        series[f"r{i}"] = 0.06 + x
    _growth_files(tmp_path, series)
    got = shock_persistence(tuple(series), data_dir=tmp_path)
    assert got["pairs"] == 6 * 59 and got["lower90"] < 0.5 < got["upper90"]
    assert abs(got["corrected"] - 0.5) < 0.1


def test_too_few_consecutive_years_give_no_estimate(tmp_path):
    _growth_files(tmp_path, {"a": np.array([0.05, 0.07, 0.06])})
    assert math.isnan(shock_persistence(("a",), data_dir=tmp_path)["rho"])


def test_the_pool_command_writes_scenarios_for_regions_without_their_own_estimate(tmp_path):
    result = CliRunner().invoke(main, ["pool", "--fitted", str(ROOT / "calibration/fitted"),
                                       "--scenarios", str(ROOT / "scenarios"), "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "pooled.csv")
    for region in table.loc[table["basis"] == "predictive", "region"].unique():
        sc = load_scenario(tmp_path / f"{region}.yaml")
        expected = table[(table["region"] == region) & (table["path"] == PATH)]["pooled"].iloc[0]
        assert math.isclose(get_path(sc, PATH), expected, abs_tol=1e-4)
