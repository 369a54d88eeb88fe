"""Back-test: the naive baseline, the scores and the ``backtest`` command end to end."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from simulation.calibration import naive_forecast, score
from simulation.cli import main

from .test_calibration import write_setup


def test_naive_forecast_carries_the_last_growth_forward():
    history = pd.Series([100.0, 121.0], index=[2019, 2021])  # 10% a year over two years
    forecast = naive_forecast(history, [2022, 2024], rate=False)
    assert forecast[2022] == pytest.approx(133.1) and forecast[2024] == pytest.approx(121 * 1.1 ** 3)
    rate = naive_forecast(pd.Series([3.0, 7.5], index=[2020, 2021]), [2023], rate=True)
    assert rate[2023] == 7.5  # a growth rate is carried as it is
    single = naive_forecast(pd.Series([50.0], index=[2021]), [2022], rate=False)
    assert single[2022] == 50.0


def test_scores_count_coverage_and_median_errors():
    table = pd.DataFrame({
        "indicator": ["a", "a", "a", "b"], "year": [2022, 2023, 2024, 2022],
        "observed": [100.0, 100.0, 100.0, 10.0], "p10": [90.0, 101.0, 80.0, 5.0],
        "p50": [95.0, 110.0, 100.0, 12.0], "p90": [105.0, 120.0, 130.0, 15.0],
        "naive": [100.0, 120.0, 90.0, 10.0],
    })
    s = score(table).set_index("indicator")
    assert s.loc["a", "coverage80"] == pytest.approx(2 / 3) and s.loc["b", "coverage80"] == 1.0
    assert s.loc["a", "mdape_model"] == pytest.approx(5.0)  # errors 5, 10, 0 %
    assert s.loc["a", "mdape_naive"] == pytest.approx(10.0)  # errors 0, 20, 10 %
    assert s.loc["a", "model_beats_naive"] and not s.loc["b", "model_beats_naive"]
    assert s.loc["a", "n"] == 3 and s.loc["a", "years"] == "2022,2023,2024"


@pytest.mark.slow
def test_backtest_command_fits_early_years_and_scores_later_ones(tmp_path, zhenhai):
    spec = write_setup(tmp_path, zhenhai, maxiter=2)
    out = tmp_path / "bt"
    result = CliRunner().invoke(main, ["backtest", str(spec), "--until", "2022", "--out", str(out), "-q", "-w", "1"])
    assert result.exit_code == 0, result.output
    scores = pd.read_csv(out / "backtest.csv")
    assert set(scores["indicator"]) == {"value_added_above_scale", "value_added_above_scale_growth", "firms_below_scale"}
    assert (scores["years"].astype(str) == "2023").all() and scores["coverage80"].between(0, 1).all()
    forecast = pd.read_csv(out / "forecast.csv")
    assert (forecast["p10"] <= forecast["p50"]).all() and (forecast["p50"] <= forecast["p90"]).all()
    fitted = yaml.safe_load((out / "parameters.yaml").read_text())
    assert "parameters" in fitted and "extends" in fitted
    assert "mdape_naive" in result.output and (out / "backtest.png").is_file()
    # the fit used only years up to 2022: the targets of the calibration stop there
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "calibrate" and max(o["year"] for o in manifest["observations"]) == 2022


@pytest.mark.parametrize("until", ["2020", "2023", "2030"])
def test_backtest_refuses_a_year_outside_the_run(tmp_path, zhenhai, until):
    spec = write_setup(tmp_path, zhenhai, maxiter=1)
    result = CliRunner().invoke(main, ["backtest", str(spec), "--until", until, "--out", str(tmp_path / "o"), "-q"])
    assert result.exit_code == 2 and "--until" in result.output


def test_backtest_help_says_a_rolling_rerun_starts_over():
    shown = " ".join(CliRunner().invoke(main, ["backtest", "--help"]).output.split())
    assert "--rolling does not resume" in shown and "resumes the fit from its cache" in shown


def test_backtest_with_nothing_after_until_is_refused_before_fitting(tmp_path, zhenhai):
    early = {"observed": [{"indicator": "value_added_above_scale", "years": [2021, 2022]}]}
    spec = write_setup(tmp_path, zhenhai, maxiter=1, extra=early)
    data = pd.read_csv(tmp_path / "obs.csv")
    data[data["year"] <= 2022].to_csv(tmp_path / "obs.csv", index=False)  # nothing observed after --until
    out = tmp_path / "bt"
    result = CliRunner().invoke(main, ["backtest", str(spec), "--until", "2022", "--out", str(out), "-q", "-w", "1"])
    assert result.exit_code == 2 and "no observation" in result.output and "after 2022" in result.output
    assert not out.exists() or not any(out.iterdir())  # no fit ran, so no cache was left behind
