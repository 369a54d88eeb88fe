"""Forecast skill: scores against closed forms, baselines against statsmodels, nominal coverage on a
known stochastic process, scenarios past their horizon, refusal of a region without data."""

from __future__ import annotations

import functools
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from simulation import InputError, load_scenario
from simulation.cli import main
from simulation.forecast.baselines import naive_drift, statistical
from simulation.forecast.horizon import with_horizon
from simulation.forecast.observed import load_observed, price_basis
from simulation.forecast.rolling import rolling_backtest, score_origins
from simulation.forecast.scores import crps_ensemble, crps_normal, interval_score, quantile_ensemble, score_ensemble
from simulation.forecast.skill import GOAL_GROUPS, goal_summary, regional_skill, skill_for, skill_html, summarise

ZHENHAI = "scenarios/zhenhai_2021_2025.yaml"


@functools.lru_cache(maxsize=1)
def _zhenhai():
    return load_scenario(ZHENHAI)


# --- scores ----------------------------------------------------------------------------------


@pytest.mark.parametrize("mu, sigma, y", [(0.0, 1.0, 0.0), (2.0, 0.5, 3.1), (-1.0, 3.0, -7.0), (10.0, 2.0, 10.5)])
def test_crps_of_a_normal_ensemble_matches_the_closed_form(mu, sigma, y):
    ensemble = quantile_ensemble(stats.norm(mu, sigma).ppf, 20000)
    assert crps_ensemble(ensemble, y) == pytest.approx(crps_normal(mu, sigma, y), rel=2e-3, abs=2e-4)


@given(st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=30), st.floats(-1e3, 1e3))
def test_crps_is_nonnegative_and_a_single_member_is_absolute_error(values, y):
    x = np.array(values)
    assert crps_ensemble(x, y) >= -1e-9
    assert crps_ensemble(x[:1], y) == pytest.approx(abs(x[0] - y))


def test_mean_interval_score_of_a_normal_band_matches_its_expectation():
    # E[IS] of the central 80% band of N(0,1) on N(0,1) draws: width + (2/α)·2·(φ(u) − u(1 − Φ(u)))
    alpha, u = 0.2, stats.norm.ppf(0.9)
    expected = 2 * u + (2 / alpha) * 2 * (stats.norm.pdf(u) - u * (1 - stats.norm.cdf(u)))
    y = np.random.default_rng(3).standard_normal(200_000)
    scores = [interval_score(-u, u, v, alpha) for v in y[:50_000]]
    assert np.mean(scores) == pytest.approx(expected, rel=0.02)


def test_interval_score_penalises_a_miss_by_two_over_alpha():
    assert interval_score(1.0, 3.0, 2.0, 0.2) == pytest.approx(2.0)
    assert interval_score(1.0, 3.0, 4.0, 0.2) == pytest.approx(2.0 + 10.0 * 1.0)
    assert interval_score(1.0, 3.0, 0.5, 0.05) == pytest.approx(2.0 + 40.0 * 0.5)


def test_score_ensemble_bands_nest_and_pit_is_the_share_below():
    row = score_ensemble(np.arange(1, 101, dtype=float), 20.0)
    assert row["lo95"] <= row["lo80"] <= row["lo50"] <= row["median"] <= row["hi50"] <= row["hi80"] <= row["hi95"]
    assert row["pit"] == pytest.approx(0.195)
    assert row["covered80"] and not row["covered50"]


# --- baselines -------------------------------------------------------------------------------


def _known_series(n=12, seed=1):
    z = np.cumsum(0.05 + 0.1 * np.random.default_rng(seed).standard_normal(n)) + 5
    return z, pd.Series(np.exp(z), index=range(2010, 2010 + n))


def test_naive_drift_reproduces_statsmodels_random_walk_with_drift():
    from statsmodels.tsa.arima.model import ARIMA

    z, y = _known_series()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = ARIMA(z, order=(0, 1, 0), trend="t").fit()
    forecast = fit.get_forecast(3)
    n, span = len(z) - 1, len(z) - 1
    for h in (1, 2, 3):
        p = naive_drift(y, 2021 + h, rate=False)
        assert p.mean == pytest.approx(np.asarray(forecast.predicted_mean)[h - 1], rel=1e-4)
        # statsmodels' σ² is the MLE (divisor n); ours is unbiased (n − 1) and adds the drift's error (1 + h/T)
        sigma2 = fit.params[-1] * n / (n - 1)
        assert p.sd ** 2 == pytest.approx(sigma2 * h * (1 + h / span), rel=1e-3)


def test_statistical_baseline_is_statsmodels_arima011_with_gaps_as_missing():
    from statsmodels.tsa.arima.model import ARIMA

    z, y = _known_series(15, seed=7)
    gappy = y.drop([2013, 2017, 2018])
    grid = np.log(y.to_numpy())
    grid[[3, 7, 8]] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        forecast = ARIMA(grid, order=(0, 1, 1)).fit().get_forecast(2)
    p = statistical(gappy, 2026, rate=False)
    assert p.mean == pytest.approx(np.asarray(forecast.predicted_mean)[-1], rel=1e-6)
    assert p.sd == pytest.approx(math.sqrt(np.asarray(forecast.var_pred_mean)[-1]), rel=1e-6)
    assert statistical(gappy.iloc[:3], 2026, rate=False) is None  # too short to fit


def test_naive_for_a_rate_has_no_drift_and_one_point_gives_a_point_forecast():
    rates = pd.Series([2.0, 8.0, 5.0], index=[2018, 2019, 2020])
    assert naive_drift(rates, 2023, rate=True).median == pytest.approx(5.0)
    single = naive_drift(pd.Series([40.0], index=[2020]), 2022, rate=False)
    assert single.median == pytest.approx(40.0) and not single.has_interval


# --- nominal coverage on a known stochastic process ------------------------------------------


def _synthetic(tmp_path, n_series=150, sd_scale=1.0, seed=11, baselines=None):
    """Series from a log random walk with drift (levels) and iid normal rates; a forecaster that
    knows the process (sd × ``sd_scale``) gives paths from the base year, as the model does."""
    rng = np.random.default_rng(seed)
    mu, sigma, base, last = 0.04, 0.08, 2010, 2016
    tables = []
    for k in range(n_series):
        region = f"syn{k}"
        level = 100 * np.exp(np.cumsum(np.r_[0, mu + sigma * rng.standard_normal(last - base)]))
        rate = 6 + 2 * rng.standard_normal(last - base + 1)
        years = np.arange(base, last + 1)
        rows = [(region, int(y), "value_added_above_scale", float(v), "亿元", "synthetic") for y, v in zip(years, level)]
        rows += [(region, int(y), "value_added_above_scale_growth", float(v), "%", "synthetic") for y, v in zip(years[1:], rate[1:])]
        frame = pd.DataFrame(rows, columns=["region", "year", "indicator", "value", "unit", "source"])
        frame.to_csv(tmp_path / f"{region}.csv", index=False)
        paths = 100 * np.exp(np.cumsum(np.c_[np.zeros(400), mu + sd_scale * sigma * rng.standard_normal((400, last - base))], axis=1))
        sims = {("value_added_above_scale", int(y)): paths[:, i] for i, y in enumerate(years)}
        sims.update({("value_added_above_scale_growth", int(y)): 6 + sd_scale * 2 * rng.standard_normal(400) for y in years})
        observed = load_observed(region, data_dir=tmp_path)
        tables.append(score_origins(region, observed, base, last, lambda origin, s=sims: s,
                                    baselines=baselines or {"naive": naive_drift}))
    return pd.concat(tables, ignore_index=True)


def test_rolling_backtest_reaches_nominal_coverage_on_a_known_process(tmp_path):
    skill = _synthetic(tmp_path)
    model = skill[skill["method"] == "model"]
    assert set(model["anchor"]) == {"level", "none"} and set(model["horizon"]) == {1, 2, 3}
    n = len(model)
    for level in (50, 80, 95):
        share = model[f"covered{level}"].astype(float).mean()
        # points of one series are correlated: allow 4 binomial s.e. with a design effect of 3
        tolerance = 4 * math.sqrt(3 * (level / 100) * (1 - level / 100) / n)
        assert abs(share - level / 100) < tolerance, (level, share, n)
    assert model["pit"].between(0, 1).all()
    assert abs(model["pit"].mean() - 0.5) < 0.03


def test_rolling_backtest_detects_bands_that_are_too_narrow(tmp_path):
    model = _synthetic(tmp_path, n_series=60, sd_scale=0.5).query("method == 'model'")
    # with half the true spread the 80% band covers about 2Φ(0.64) − 1 ≈ 48%
    assert model["covered80"].astype(float).mean() < 0.62


def test_baselines_are_scored_on_the_model_points_only(tmp_path):
    skill = _synthetic(tmp_path, n_series=1, baselines={"naive": naive_drift, "statistical": statistical})
    keys = skill.groupby("method")[["origin", "year", "indicator", "region"]].apply(lambda g: set(map(tuple, g.to_numpy())))
    assert keys["model"] == keys["naive"] == keys["statistical"]
    summary = summarise(skill, by=())
    assert set(summary["method"]) == {"model", "naive", "statistical"}
    assert summary.set_index("method")["n"]["model"] == len(skill) / 3
    assert summary.set_index("method")["n"]["statistical"] < len(skill) / 3  # too short a history at early origins


def test_goal_groups_compare_methods_on_the_same_points_of_each_group():
    rows = []
    for i, (indicator, model_ape, naive_ape) in enumerate([("little_giants", 10, 30), ("new_single_champions", 50, 20),
                                                           ("value_added_above_scale", 20, 10),
                                                           ("value_added_above_scale_growth", 5, 25),
                                                           ("tax_per_mu", 1, 1)]):
        for method, ape in (("model", model_ape), ("naive", naive_ape)):
            rows.append({"region": "r", "indicator": indicator, "origin": 2020, "year": 2021 + i, "method": method,
                         "median": 1.0, "ape": float(ape), "lo80": math.nan})
    rows.append({**rows[-1], "indicator": "little_giants", "year": 2030})  # a naive point without a model point
    goals = goal_summary(pd.DataFrame(rows)).set_index(["goal", "method"])
    tiers = next(g for g in GOAL_GROUPS if g.startswith("tier"))
    assert goals.loc[(tiers, "model"), "mdape"] == 30 and goals.loc[(tiers, "naive"), "mdape"] == 25
    assert goals.loc[(tiers, "naive"), "n"] == 2  # the unmatched naive point is left out
    assert goals.loc[("规上增加值 level and growth", "model"), "mdape"] == 12.5
    assert goals.loc[("规上增加值 level and growth", "naive"), "mdape_model_same_points"] == 12.5
    assert goals.loc[("规上增加值 level", "naive"), "mdape"] == 10
    assert goals.loc[("all", "model"), "n"] == 5


# --- skill for the report --------------------------------------------------------------------


def test_skill_for_counts_coverage_and_names_untested_indicators(tmp_path):
    skill = _synthetic(tmp_path, n_series=8)
    table = skill_for(["value_added_above_scale", "tax_per_mu"], skill)
    model = table[(table["indicator"] == "value_added_above_scale") & (table["method"] == "model")].iloc[0]
    points = skill[(skill["indicator"] == "value_added_above_scale") & (skill["method"] == "model")]
    assert model["n"] == len(points)
    assert model["coverage80"] == pytest.approx(points["covered80"].astype(float).mean())
    assert table.loc[table["indicator"] == "tax_per_mu", "n"].iloc[0] == 0
    fragment = skill_html(table, labels={"value_added_above_scale": "规上工业增加值"})
    assert "规上工业增加值" in fragment and "<table" in fragment and "tax_per_mu" in fragment
    chinese = skill_html(table, labels={"value_added_above_scale": "规上工业增加值"}, lang="zh")
    assert "80%区间覆盖率" in chinese and "滚动起点回测" in chinese and "band covers" not in chinese


def test_the_report_falls_back_to_pooled_skill_for_an_indicator_its_region_never_saw(tmp_path):
    skill = _synthetic(tmp_path, n_series=2)
    first = skill[(skill["region"] == "syn0") & (skill["indicator"] == "value_added_above_scale")]
    other = first.assign(region="elsewhere", indicator="little_giants")
    both = pd.concat([skill, other], ignore_index=True)
    region = "syn1"
    table = regional_skill(["little_giants", "value_added_above_scale", "tax_per_mu"], both, region)
    scope = table[table["method"] == "model"].set_index("indicator")["scope"]
    assert scope.to_dict() == {"little_giants": "all regions", "value_added_above_scale": region, "tax_per_mu": region}
    assert list(dict.fromkeys(table["indicator"])) == ["little_giants", "value_added_above_scale", "tax_per_mu"]
    pooled = table[(table["indicator"] == "little_giants") & (table["method"] == "model")].iloc[0]
    assert pooled["n"] == (other["method"] == "model").sum()
    assert "little_giants (all regions)" in skill_html(table)
    assert "value_added_above_scale (" not in skill_html(table)


# --- observed data ---------------------------------------------------------------------------


def test_observed_loader_marks_price_basis_and_drops_bounds():
    assert price_basis("value_added_above_scale", "亿元") == "current"
    assert price_basis("value_added_above_scale_growth", "%") == "comparable"
    assert price_basis("little_giants", "家") == "none"
    ningbo = load_observed("ningbo", points_only=False)
    assert (ningbo["bound"] != "").any()
    assert (load_observed("ningbo")["bound"] == "").all()


def test_region_without_a_data_file_is_refused(tmp_path):
    with pytest.raises(InputError, match="no observed data for region 'atlantis'"):
        load_observed("atlantis", data_dir=tmp_path)


def test_cli_refuses_a_region_without_data_naming_it(tmp_path):
    data = load_scenario("scenarios/haishu_2024.yaml").model_dump(mode="python", exclude_none=True)
    data["name"] = "atlantis_2024"
    path = tmp_path / "atlantis_2024.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = CliRunner().invoke(main, ["backtest", "--rolling", str(path), "-o", str(tmp_path / "out"), "-r", "2", "-q"])
    assert result.exit_code == 2, result.output
    assert "atlantis" in result.output and "no observed data" in result.output
    assert "Traceback" not in result.output


def test_region_with_data_only_before_the_base_year_is_refused(tmp_path):
    sc = load_scenario(ZHENHAI)
    pd.DataFrame([("zhenhai", 2019, "value_added_above_scale", 652.0, "亿元", "test")],
                 columns=["region", "year", "indicator", "value", "unit", "source"]).to_csv(tmp_path / "zhenhai.csv", index=False)
    with pytest.raises(InputError, match="no observation of a modelled indicator after the base year 2020"):
        rolling_backtest(sc, data_dir=tmp_path, replications=2)


# --- past the horizon ------------------------------------------------------------------------


def test_with_horizon_holds_growth_and_continues_the_energy_cap_trend():
    sc = load_scenario(ZHENHAI)
    longer = with_horizon(sc, 2028)
    assert longer.end_year == 2028 and list(longer.years)[-1] == 2028
    cap = sc.levers.energy.cap
    step = cap.at(2025) - cap.at(2024)
    assert longer.levers.energy.cap.at(2028) == pytest.approx(cap.at(2025) + 3 * step)
    growth = sc.parameters.growth.above_scale_mean
    assert longer.parameters.growth.above_scale_mean.at(2028) == growth.at(2025)
    assert longer.targets == sc.targets
    assert "2028" in (longer.levers.energy.cap.source or longer.levers.energy.cap.assume)
    held = with_horizon(sc, 2028, rule="hold")
    assert held.levers.energy.cap.at(2028) == cap.at(2025)
    assert with_horizon(sc, sc.end_year) is sc
    with pytest.raises(InputError, match="before the scenario's end year"):
        with_horizon(sc, 2023)


@settings(max_examples=20, deadline=None)
@given(st.integers(2026, 2040), st.sampled_from(["stated", "hold", "trend"]))
def test_with_horizon_always_gives_a_valid_scenario_with_schedules_to_the_end(until, rule):
    longer = with_horizon(_zhenhai(), until, rule)
    assert max(longer.levers.energy.cap.years) == until
    assert max(longer.parameters.growth.above_scale_mean.years) == until
    assert all(v >= 0 for v in longer.levers.energy.cap.values())


def test_run_until_simulates_past_the_plan(tmp_path):
    out = tmp_path / "run"
    result = CliRunner().invoke(main, ["run", ZHENHAI, "-r", "2", "--until", "2027", "-o", str(out), "--no-plots", "-q"])
    assert result.exit_code == 0, result.output
    indicators = pd.read_parquet(out / "indicators.parquet")
    assert indicators["year"].max() == 2027
    bad = CliRunner().invoke(main, ["run", ZHENHAI, "-r", "2", "--until", "2022", "-o", str(tmp_path / "x"), "-q"])
    assert bad.exit_code == 2 and "--until" in bad.output


def test_cli_rolling_writes_the_skill_table_and_figures(tmp_path):
    out = tmp_path / "skill"
    result = CliRunner().invoke(main, ["backtest", "--rolling", "scenarios/linhai_2023.yaml", "-o", str(out), "-r", "3", "-q"])
    assert result.exit_code == 0, result.output
    skill = pd.read_csv(out / "skill.csv")
    assert {"region", "indicator", "origin", "horizon", "method", "observed", "median", "lo80", "hi80", "covered80",
            "is80", "crps", "ape"} <= set(skill.columns)
    assert set(skill["method"]) == {"model", "naive", "statistical"}
    assert (skill["year"] == skill["origin"] + skill["horizon"]).all()
    assert skill["horizon"].between(1, 3).all() and (skill["origin"] >= 2022).all()
    for name in ("pit.png", "coverage_by_horizon.png", "forecast_linhai.png"):
        assert (out / "figures" / name).is_file()


def test_the_refit_step_sees_only_data_up_to_each_origin():
    seen = []

    def refit(scenario, observed, origin):
        seen.append((origin, int(observed["year"].max())))
        return scenario

    rolling_backtest(load_scenario("scenarios/linhai_2023.yaml"), replications=2, fit=refit)
    assert seen and len({o for o, _ in seen}) == len(seen)
    assert all(last <= origin for origin, last in seen)


@pytest.mark.parametrize("extra, words", [(["--method", "abc"], "--method"),
                                          (["-w", "1", "--scheduler", "tcp://127.0.0.1:1"], "choose one executor")])
def test_rolling_refuses_options_it_cannot_honour(tmp_path, extra, words):
    out = tmp_path / "skill"
    result = CliRunner().invoke(main, ["backtest", "--rolling", "scenarios/linhai_2023.yaml", "-o", str(out), "-r", "2",
                                       "-q", "--no-refit", *extra])
    assert result.exit_code == 2 and words in result.output and not out.exists()


@pytest.mark.slow
def test_rolling_on_a_dask_cluster_scores_as_the_serial_run(tmp_path):
    args = ["backtest", "--rolling", "scenarios/linhai_2023.yaml", "-r", "3", "-q"]
    serial = CliRunner().invoke(main, [*args, "-o", str(tmp_path / "serial")])
    dask = CliRunner().invoke(main, [*args, "-o", str(tmp_path / "dask"), "--dask-local", "2"])
    assert serial.exit_code == 0 and dask.exit_code == 0, serial.output + dask.output
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "dask" / "skill.csv"), pd.read_csv(tmp_path / "serial" / "skill.csv"))


@pytest.mark.parametrize("until", ["2019", "2022"])
def test_rolling_refuses_an_until_that_leaves_nothing_to_score(tmp_path, until):
    out = tmp_path / "skill"
    result = CliRunner().invoke(main, ["backtest", "--rolling", "scenarios/linhai_2023.yaml", "-o", str(out), "-r", "2",
                                       "-q", "--no-refit", "--until", until])
    assert result.exit_code == 2 and "--until" in result.output and "base year 2022" in result.output
    assert not (out / "skill.csv").exists()


def test_scores_in_units_are_not_pooled_across_units():
    """The interval score and CRPS are in the data's units: a group mixing 家 and 亿元 gets none,
    a group of one unit keeps them (coverage and MdAPE, unitless, are pooled either way)."""
    from simulation.forecast.skill import read_skill, summarise

    skill = read_skill(Path(__file__).resolve().parents[1] / "calibration" / "skill" / "skill.csv")
    mixed = summarise(skill, by=()).set_index("method").loc["model"]
    assert np.isnan(mixed["interval_score80"]) and np.isnan(mixed["crps"])
    assert np.isfinite(mixed["coverage80"]) and np.isfinite(mixed["mdape"])
    counts = skill[skill["indicator"] == "little_giants"]
    single = summarise(counts, by=()).set_index("method").loc["model"]
    assert np.isfinite(single["interval_score80"]) and np.isfinite(single["crps"])


def test_run_until_with_named_lists_takes_the_lists_named_after_the_plan(tmp_path):
    """Past Ningbo's plan (2022) the 小巨人 list is held at 4,357 by default; with --named-lists it is
    the size named each year (calibration/data/national.csv), and the year's count stays within the
    quota that list allocates."""
    from simulation.forecast.overdispersion import national_batches
    from simulation.loader import load_scenario
    from simulation.processes.quotas import allocated_quota

    ningbo, named = "scenarios/ningbo_2020_2022.yaml", national_batches()["new_little_giants"]
    batches = {}
    for flag in ([], ["--named-lists"]):
        out = tmp_path / ("named" if flag else "held")
        result = CliRunner().invoke(main, ["run", ningbo, "-r", "1", "--until", "2024", "-o", str(out), "--no-plots", "-q", *flag])
        assert result.exit_code == 0, result.output
        allocation = load_scenario(out / "scenario.yaml").parameters.certification.little_giant.allocation
        batches[bool(flag)] = allocation.national_batch
        flows = pd.read_parquet(out / "indicators.parquet").query("indicator == 'new_little_giants' and year == 2024")
        assert float(flows["value"].iloc[0]) <= allocated_quota(allocation, 2024)
    assert batches[False].at(2024) == batches[False].at(2022)
    assert (batches[True].at(2023), batches[True].at(2024)) == (named[2023], named[2024])
    assert batches[True].at(2022) == batches[False].at(2022)
    bad = CliRunner().invoke(main, ["run", ningbo, "-r", "1", "--named-lists", "-o", str(tmp_path / "x"), "-q"])
    assert bad.exit_code == 2 and "--named-lists" in bad.output
