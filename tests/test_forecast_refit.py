"""Per-origin quick refit: it sees no data after the origin, recovers a planted scale from a series
the model generated, the pooled year swing recovers a planted over-dispersion, and with the refit
and its predictive draws in the loop the 80% bands of model-generated (over-dispersed) flows cover
about 80%; the like-for-like price change uses the observed index."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal
from scipy.stats import norm

from simulation import load_scenario
from simulation.experiments.replicate import run_replications
from simulation.forecast.horizon import with_horizon
from simulation.forecast.observed import load_observed
from simulation.forecast.overdispersion import SWING_PRIOR_SD, TAU_GRID, pooled_flows, year_swing
from simulation.forecast.prices import price_change
from simulation.forecast.refit import (
    SLOPE_FLOOR,
    ParameterDraws,
    QuickRefit,
    StepFit,
    fit_growth,
    fit_step,
    step_overrides,
)
from simulation.forecast.rolling import rolling_backtest, run_drawn
from simulation.forecast.scores import band
from simulation.loader import get_path, with_overrides

FLOW = "new_little_giants"


@functools.lru_cache(maxsize=1)
def _zhenhai():
    return with_horizon(load_scenario("scenarios/zhenhai_2021_2025.yaml"), 2025)


def _observed(values: dict[int, float], indicator=FLOW, region="zhenhai") -> pd.DataFrame:
    return pd.DataFrame({"region": region, "year": list(values), "indicator": indicator, "value": list(values.values()),
                         "unit": "家", "price_basis": "none", "bound": "", "source": "model-generated"})


def _planted(scale: float):
    return with_overrides(_zhenhai(), step_overrides(_zhenhai(), "little_giant", scale))


def _flows(run, years) -> dict[int, float]:
    rows = run.indicators[(run.indicators["indicator"] == FLOW) & run.indicators["year"].isin(years)]
    return rows.groupby("year")["value"].mean().to_dict()


def test_refit_ignores_every_row_after_the_origin():
    refit = QuickRefit(pilot_replications=4, seed=3)
    real = load_observed("zhenhai")
    future = real.assign(year=real["year"] + 30, value=real["value"] * 7)  # absurd values after the origin
    for origin in (2021, 2023):
        honest = refit(_zhenhai(), real[real["year"] <= origin], origin)
        tempted = refit(_zhenhai(), pd.concat([real, future]), origin)
        assert honest.key() == tempted.key()
        assert honest.overrides() == tempted.overrides()


def test_default_back_test_refits_on_data_up_to_each_origin_only():
    seen = []

    class Recording(QuickRefit):
        def __call__(self, scenario, observed, origin):
            seen.append((origin, int(observed["year"].max())))
            return super().__call__(scenario, observed, origin)

    rolling_backtest(load_scenario("scenarios/linhai_2023.yaml"), replications=3, fit=Recording(pilot_replications=3))
    assert seen and all(last <= origin for origin, last in seen)


@pytest.mark.slow
@pytest.mark.parametrize("planted", [0.5, 1.6])
def test_refit_recovers_a_planted_scale_from_a_model_generated_series(planted):
    """Common random numbers (the pilots use the data's seed), so the check isolates the estimator
    from replication noise: the common shock moves every firm's flow together, about ±12% on 30
    replications."""
    years = range(2021, 2025)
    observed = _observed(_flows(run_replications(_planted(planted), 30, seed=99), years))
    fit = QuickRefit(pilot_replications=30, seed=99, growth=False, shock=False)(_zhenhai(), observed, 2024)
    (step,) = fit.steps
    assert step.step == "little_giant"
    assert step.scale == pytest.approx(planted, rel=0.1)


@pytest.mark.slow
def test_growth_shift_recovers_a_planted_shift_shrunk_by_its_prior():
    base = _zhenhai()
    shifted = with_overrides(base, {"parameters.growth.above_scale_mean":
                                    {y: base.parameters.growth.above_scale_mean.at(y) + 3.0 for y in range(2020, 2026)}})
    growth = "value_added_above_scale_growth"

    def mean_growth(scenario):
        ind = run_replications(scenario, 30, seed=8).indicators
        return ind[ind["indicator"] == growth].groupby("year")["value"].mean()

    observed_gap = (mean_growth(shifted) - mean_growth(base)).loc[2021:2024]
    model = {(growth, int(y)): float(v) for y, v in mean_growth(base).items()}
    obs = mean_growth(shifted).loc[2021:2024]
    fit = fit_growth(obs, model, origin=2024, first=2021, shock_sd=0.03)
    k = len(obs)
    assert fit.shift == pytest.approx(observed_gap.mean() * k / (k + 1), rel=1e-9)  # normal-normal posterior mean
    assert fit.sd == pytest.approx(3.0 / np.sqrt(k + 1))
    refit = QuickRefit(pilot_replications=30, seed=8, flows=False, shock=False)
    observed = _observed({y: float(v) for y, v in obs.items()}, indicator=growth)
    draws = refit(base, observed, 2024)
    # the pilot's slope is the response the planted shift produced (the model is close to linear here)
    response = observed_gap.mean() / 3.0
    assert refit.growth_slope(base) == pytest.approx(max(response, SLOPE_FLOOR), rel=0.25)
    assert draws.growth.schedule_shift == pytest.approx(draws.growth.shift / refit.growth_slope(base))
    if response >= SLOPE_FLOOR:  # the planted schedule shift itself, shrunk by the prior
        assert draws.growth.schedule_shift == pytest.approx(3.0 * k / (k + 1), rel=0.25)


def test_an_allocated_flow_before_the_first_model_year_is_compared_at_its_own_batch():
    """The model names a share of each national list; the region's true share is 0.7 of the model's.
    Its base-year flow (list of 248) paired with the model's first year (list of 1,744) recovers 0.7;
    compared as a flow it would read 0.1."""
    from simulation.quantity import Quantity

    batch = Quantity(value={2019: 248, 2020: 1744, 2021: 2930}, unit="家", source="test")
    model_share = 0.02
    model = {(FLOW, 2020): model_share * 1744, (FLOW, 2021): model_share * 2930}
    obs = pd.Series({2019: 0.7 * model_share * 248})
    fit = fit_step(FLOW, "little_giant", obs, model, origin=2019, first=2020, last=2021, batch=batch)
    assert fit.scale == pytest.approx(0.7)
    assert fit_step(FLOW, "little_giant", obs, model, origin=2019, first=2020, last=2021).scale == pytest.approx(0.7 * 248 / 1744)
    obs = pd.Series({2019: 0.7 * model_share * 248, 2020: 0.7 * model_share * 1744, 2021: 0.7 * model_share * 2930})
    assert fit_step(FLOW, "little_giant", obs, model, origin=2021, first=2020, last=2021, batch=batch).scale == pytest.approx(0.7)


def test_posterior_draws_widen_with_fewer_events_and_the_year_swing():
    rng = np.random.default_rng(0)
    few, many = StepFit("s", FLOW, 4, 8.0), StepFit("s", FLOW, 400, 800.0)
    spread = {f: np.std([f.draw(rng) for _ in range(4000)]) / f.scale for f in (few, many)}
    assert spread[few] > 5 * spread[many]
    assert abs(np.mean([many.draw(rng) for _ in range(4000)]) / many.scale - 1) < 0.01
    # one year of 400 events with a log-s.d. 0.3 swing: the mean is known to ±5%, one year's flow to ±30%
    swinging = StepFit("s", FLOW, 400, 800.0, swing=0.09, years=(2021,))
    assert swinging.dispersion == pytest.approx(1 + 0.09 * 400)
    log_draws = np.log([swinging.draw(rng) for _ in range(4000)])
    log_means = np.log([swinging.draw_mean(rng) for _ in range(4000)])
    assert np.std(log_draws) == pytest.approx(np.sqrt(0.09 + np.var(log_means)), rel=0.08)
    assert abs(np.mean([swinging.draw(rng) for _ in range(8000)]) / swinging.scale - 1) < 0.03  # mean-preserving


def test_the_refit_adds_only_the_swing_the_models_own_batch_leaves():
    """The model's rounds draw a year's batch of their own (σ² of log flow); the refit's predictive
    swing adds what the pooled τ² leaves beyond it: with τ² = 0.09 and σ = 0.2 a draw's log spread
    is that of τ² − σ² = 0.05 about the mean's, and with σ ≥ τ nothing is added."""
    from simulation.forecast.refit import own_swing

    zhenhai = _zhenhai()
    assert own_swing(zhenhai, 2021) == pytest.approx(zhenhai.parameters.certification.batch_effect.at(2021) ** 2)
    fit = StepFit("s", FLOW, 400, 800.0, swing=0.09, years=(2021,))
    rng = np.random.default_rng(2)
    log_means = np.log([fit.draw_mean(rng) for _ in range(4000)])
    log_draws = np.log([fit.draw(rng, own=0.04) for _ in range(4000)])
    assert np.std(log_draws) == pytest.approx(np.sqrt(0.05 + np.var(log_means)), rel=0.08)
    log_draws = np.log([fit.draw(rng, own=0.16) for _ in range(4000)])
    assert np.std(log_draws) == pytest.approx(np.std(log_means), rel=0.08)


def _swinging_flows(sd: float, seed: int, groups=60, years=range(2015, 2020), batches=None) -> pd.DataFrame:
    """Poisson counts around group rates (5-200 a year) times a log-normal year swing of log-s.d. ``sd``,
    times the national batch of the year when ``batches`` is given."""
    rng = np.random.default_rng(seed)
    rows = []
    for g in range(groups):
        rate = np.exp(rng.uniform(np.log(5), np.log(200)))
        for y in years:
            mean = rate * np.exp(sd * rng.standard_normal() - sd**2 / 2) * (batches[y] if batches else 1.0)
            rows.append({"region": f"r{g}", "year": y, "indicator": FLOW, "value": float(rng.poisson(mean))})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("sd", [0.0, 0.25, 0.5])
def test_pooled_year_swing_recovers_a_planted_over_dispersion(sd):
    found = year_swing(_swinging_flows(sd, seed=int(100 * sd)), origin=2019)
    assert found.groups == 60 and found.dof == 240
    assert found.sd == pytest.approx(sd, abs=0.05)  # the Poisson part is not counted as swing


def test_year_swing_posterior_concentrates_on_a_planted_swing():
    for sd in (0.0, 0.25, 0.5):
        found = year_swing(_swinging_flows(sd, seed=int(100 * sd) + 1), origin=2019)
        lo, mid, hi = found.quantiles([0.05, 0.5, 0.95])
        assert lo <= sd <= hi and hi - lo < 0.25
        assert mid == pytest.approx(sd, abs=0.06)


def test_year_swing_without_data_is_the_half_normal_prior():
    prior = year_swing(pd.DataFrame(columns=["region", "year", "indicator", "value"]), origin=2019)
    assert prior.groups == 0 and prior.variance == 0.0
    q = np.array([0.25, 0.5, 0.9])
    assert prior.quantiles(q) == pytest.approx(SWING_PRIOR_SD * norm.ppf((1 + q) / 2), abs=0.01)
    assert prior.mean_variance == pytest.approx(SWING_PRIOR_SD**2, rel=0.01)
    rng = np.random.default_rng(3)
    draws = np.sqrt([prior.draw_variance(rng) for _ in range(4000)])
    assert np.median(draws) == pytest.approx(SWING_PRIOR_SD * norm.ppf(0.75), rel=0.05)
    assert year_swing(pd.DataFrame(columns=["region", "year", "indicator", "value"]), 2019, prior_sd=None).posterior is None


def test_year_swing_posterior_intervals_are_calibrated_when_the_swing_comes_from_the_prior():
    """Simulation-based calibration (Cook, Gelman & Rubin 2006): τ drawn from the prior, three groups
    of three years each; the posterior rank of the true τ is uniform, so its 80% interval covers
    the truth in 80% of datasets, though each dataset says little."""
    rng = np.random.default_rng(11)
    ranks = []
    for _ in range(300):
        tau = abs(SWING_PRIOR_SD * rng.standard_normal())
        rows = [{"region": f"r{g}", "year": y, "indicator": FLOW,
                 "value": float(rng.poisson(rate * np.exp(tau * rng.standard_normal())))}
                for g, rate in enumerate((8.0, 40.0, 150.0)) for y in (2017, 2018, 2019)]
        found = year_swing(pd.DataFrame(rows), 2019)
        ranks.append(np.interp(tau, TAU_GRID, np.cumsum(found.posterior)))
    ranks = np.array(ranks)
    assert 0.74 <= np.mean((ranks > 0.1) & (ranks < 0.9)) <= 0.86  # 300 datasets: ±0.023 is one s.e.
    assert 0.40 <= np.mean(ranks < 0.5) <= 0.60


def test_the_swing_prior_is_a_setting_of_the_refit_and_the_command():
    empty = pd.DataFrame(columns=["region", "year", "indicator", "value"])
    for sd in (0.25, 1.0):
        refit = QuickRefit(swing_prior_sd=sd, pool=empty, national={})
        median = refit.year_swing(_zhenhai(), _observed({}), 2019).quantiles([0.5])[0]
        assert median == pytest.approx(sd * norm.ppf(0.75), abs=0.01)
    from click.testing import CliRunner

    from simulation.cli import main

    result = CliRunner().invoke(main, ["backtest", "--rolling", "scenarios", "--swing-prior-sd", "0"])
    assert result.exit_code == 2 and "--swing-prior-sd" in result.output


def test_a_replication_draws_one_swing_for_every_flow_step():
    swing = year_swing(_swinging_flows(0.4, seed=2, groups=4, years=range(2018, 2020)), origin=2019)
    fits = [StepFit("little_giant", FLOW, 400, 800.0, swing.mean_variance, (2019,)),
            StepFit("single_champion", "new_single_champions", 400, 800.0, swing.mean_variance, (2019,))]
    draws = ParameterDraws(_zhenhai(), 2019, fits, swing=swing)
    logs = np.array([[np.log(draws.overrides(np.random.default_rng(i))[f"parameters.certification.{s}.quota_per_year"]
                             / get_path(_zhenhai(), f"parameters.certification.{s}.quota_per_year"))
                      for s in ("little_giant", "single_champion")] for i in range(2000)])
    # one τ per replication: a wide swing year is wide for both steps, so their squared deviations
    # correlate (they would not with a τ drawn per step); each scale's spread holds E[τ²]
    squares = (logs - logs.mean(axis=0)) ** 2
    assert np.corrcoef(squares.T)[0, 1] > 0.1
    assert np.var(logs[:, 0]) > swing.mean_variance + np.var(np.log([fits[0].draw_mean(np.random.default_rng(i)) for i in range(2000)])) * 0.8


def test_pooled_year_swing_divides_by_the_national_batch_where_it_is_known():
    batches = {2015: 250.0, 2016: 1700.0, 2017: 2900.0, 2018: 4300.0, 2019: 3000.0}
    flows = _swinging_flows(0.25, seed=5, batches={y: b / 3000 for y, b in batches.items()})
    assert year_swing(flows, 2019, {FLOW: batches}).sd == pytest.approx(0.25, abs=0.05)
    assert year_swing(flows, 2019, {}).sd > 0.5  # a constant rate calls the batch path a swing (2× the planted)
    partial = {y: b for y, b in batches.items() if y != 2017}  # a year without a batch: constant rate
    assert year_swing(flows, 2019, {FLOW: partial}) == year_swing(flows, 2019, {})


def test_pooled_year_swing_never_reads_rows_after_the_origin(tmp_path):
    flows = _swinging_flows(0.3, seed=1, groups=10)
    future = flows.assign(year=flows["year"] + 30, value=flows["value"] * 50 + 7)
    assert year_swing(pd.concat([flows, future]), 2019) == year_swing(flows, 2019)
    # the data files: absurd flows written for 2029-2034 leave the pool up to 2022 unchanged
    real = pd.read_csv("calibration/data/ningbo.csv")
    for path in Path("calibration/data").glob("*.csv"):
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    absurd = real[real["indicator"].isin(["new_little_giants", "new_single_champions"])].assign(
        year=lambda f: f["year"] + 10, value=lambda f: f["value"] * 9)
    pd.concat([real, absurd]).to_csv(tmp_path / "ningbo.csv", index=False)
    for origin in (2021, 2022):
        assert pooled_flows(origin, tmp_path)["year"].max() <= origin
        assert_frame_equal(pooled_flows(origin, tmp_path).reset_index(drop=True),
                           pooled_flows(origin).reset_index(drop=True))
    assert not pooled_flows(2040, tmp_path).equals(pooled_flows(2040))  # the absurd rows are read when due


@functools.lru_cache(maxsize=1)
def _quota_bound():
    """Zhenhai with every qualifying candidate named and 6 named a year: the flow is the quota, nearly
    deterministic (as Ningbo's 新增小巨人 are), so the year swing is all of its year-to-year noise."""
    return with_overrides(_zhenhai(), {"parameters.certification.little_giant.success": 1.0,
                                       "parameters.certification.little_giant.quota_per_year": 6.0})


def _swung(base, planted: float, swing_sd: float, year: int, seed: int) -> float:
    """One replication's ``year`` flow of ``base`` at ``planted`` times one year's log-normal swing."""
    rng = np.random.default_rng(seed)
    scale = planted * float(np.exp(swing_sd * rng.standard_normal() - swing_sd**2 / 2))
    return _flows(run_replications(with_overrides(base, step_overrides(base, "little_giant", scale)), 1, seed=seed),
                  [year])[year]


@pytest.mark.slow
@pytest.mark.parametrize("case, swing_sd, scales", [("binomial", 0.0, (0.4, 2.5)), ("quota-bound", 0.5, (0.6, 1.5))])
def test_refit_bands_cover_model_generated_flows_at_the_nominal_rate(case, swing_sd, scales):
    """Truths: the model with a scale drawn log-uniformly in ``scales``, each year's flow one
    replication at that scale times a year swing of log-s.d. ``swing_sd``. The refit from the
    unscaled scenario, on 2021-2022, with the swing pooled over 12 other (synthetic) regions' flows
    with the same swing, forecasts 2023-2025 with predictive draws. The comparison: without a
    swing, the point estimate (no parameter uncertainty: its bands are clearly narrower; their
    coverage differs from the draws' by a point or two of 48 either way, within its noise); with
    one, the draws that ignore it (which cover clearly less)."""
    base = _zhenhai() if case == "binomial" else _quota_bound()
    rng = np.random.default_rng(2026)
    pool = _swinging_flows(swing_sd, seed=7, groups=12, years=range(2017, 2023))
    refit = QuickRefit(pilot_replications=8, seed=1, growth=False, shock=False, pool=pool, national={})
    ignoring = QuickRefit(pilot_replications=8, seed=1, growth=False, shock=False, swing=False)
    covered, narrow, widths = [], [], {"draws": [], "other": []}
    for truth in range(16):
        planted = float(np.exp(rng.uniform(*np.log(scales))))
        flows = {y: _swung(base, planted, swing_sd, y, seed=10_000 + 10 * truth + y - 2021) for y in range(2021, 2026)}
        observed = _observed({y: flows[y] for y in (2021, 2022)})
        draws = refit(base, observed, 2022)
        ens = run_drawn(draws, 20, seed=truth)
        if swing_sd == 0:
            other = run_replications(draws.scenario(None), 20, seed=truth).indicators  # no parameter uncertainty
        else:
            other = run_drawn(ignoring(base, observed, 2022), 20, seed=truth)
        for year in (2023, 2024, 2025):
            for frame, out, width in ((ens, covered, widths["draws"]), (other, narrow, widths["other"])):
                values = frame[(frame["indicator"] == FLOW) & (frame["year"] == year)]["value"].to_numpy()
                lo, hi = band(values, 80)
                out.append(lo <= flows[year] <= hi)
                width.append(hi - lo)
    print(f"{case}, swing {swing_sd}: 80% coverage with predictive draws {np.mean(covered):.2f}, "
          f"{'at the point estimate' if swing_sd == 0 else 'without the year swing'} {np.mean(narrow):.2f}")
    assert 0.68 <= np.mean(covered) <= 0.93, np.mean(covered)  # 48 points: ±0.06 is one s.e. at 0.8
    if swing_sd:
        assert np.mean(narrow) < np.mean(covered) - 0.12
    else:
        assert np.mean(widths["draws"]) > 1.05 * np.mean(widths["other"])


def test_price_change_prefers_the_observed_index_and_says_when_none_covers():
    scenario = _zhenhai()
    ratio, label = price_change(scenario, 2021, 2024, {2022: 104.0, 2023: 97.3, 2024: 97.8})
    assert ratio == pytest.approx(1.04 * 0.973 * 0.978) and label == "observed PPI"
    mixed, label = price_change(scenario, 2020, 2022, {2022: 110.0})
    assert mixed == pytest.approx(scenario.parameters.prices.producer_price_index.at(2021) / 100 * 1.10)
    assert label == "observed PPI + scenario PPI"
    assert price_change(scenario, 2025, 2027, {})[1].startswith("none")


def _skill_rows(region, observed, median, lo, hi, unit="家"):
    return {"region": region, "indicator": FLOW, "unit": unit, "method": "model", "anchor": "none", "observed": observed,
            "median": median, **{f"lo{b}": lo for b in (50, 80, 95)}, **{f"hi{b}": hi for b in (50, 80, 95)}}


def test_discrepancy_factor_never_uses_the_region_it_widens():
    from simulation.forecast.discrepancy import CALIBRATED, calibrate, conformal_factor

    rng = np.random.default_rng(4)
    rows = [_skill_rows("a", 10 + 2 * z, 10, 9, 11) for z in rng.standard_normal(40)]  # bands 2× too narrow
    rows += [_skill_rows("b", 10 + z, 10, 9, 11) for z in rng.standard_normal(40)]
    base = pd.DataFrame(rows)
    out = calibrate(base).set_index(["region"])
    # region a is widened by b's errors only: changing a's observations leaves a's factor unchanged
    moved = base.assign(observed=np.where(base["region"] == "a", base["observed"] * 5, base["observed"]))
    again = calibrate(moved).set_index(["region"])
    assert np.allclose(out.loc["a", "hi80"], again.loc["a", "hi80"])
    assert (out["method"] == CALIBRATED).all()
    # on b's own errors (N(0,1), band half-width 1) the conformal factor is the 80% quantile of |z|
    b = base[base["region"] == "b"]
    factor = conformal_factor(np.abs(b["observed"] - 10).to_numpy(), 80)
    assert np.allclose(out.loc["a", "hi80"] - 10, factor)
    assert 0.9 < factor < 1.8 and (out["lo80"] >= 0).all()
    assert conformal_factor(np.ones(3), 95) == np.inf  # too few points for a 95% factor


def test_held_national_batches_keep_the_lists_known_at_the_origin():
    from simulation.forecast.refit import held_batches

    ningbo = load_scenario("scenarios/ningbo_2020_2022.yaml")
    stated = ningbo.parameters.certification.little_giant.allocation.national_batch
    held = with_overrides(ningbo, held_batches(ningbo, 2020)).parameters.certification.little_giant.allocation.national_batch
    assert [held.at(y) for y in (2019, 2020)] == [stated.at(2019), stated.at(2020)]
    assert all(held.at(y) == stated.at(2020) for y in range(2021, ningbo.end_year + 1))
    assert held_batches(_zhenhai(), 2021) == {}  # quotas given per year: nothing to hold


def test_realised_batches_fill_the_years_after_the_plans_schedule_with_the_observed_lists():
    """Carried past its plan (2022), Ningbo's 小巨人 quota follows the lists named later (as prices do),
    not the last list the plan names; years the plan schedules keep its values."""
    from simulation.forecast.horizon import with_horizon
    from simulation.forecast.refit import realised_batches
    from simulation.processes.quotas import allocated_quota

    ningbo = load_scenario("scenarios/ningbo_2020_2022.yaml")
    stated = ningbo.parameters.certification.little_giant.allocation.national_batch
    national = {"new_little_giants": {2021: 1.0, 2023: 3671.0, 2024: 3012.0, 2026: 9.0}}
    overrides = realised_batches(ningbo, national, until=2024)
    carried = with_overrides(with_horizon(ningbo, 2024), overrides)
    allocation = carried.parameters.certification.little_giant.allocation
    assert [allocation.national_batch.at(y) for y in range(2019, 2023)] == [stated.at(y) for y in range(2019, 2023)]
    assert (allocation.national_batch.at(2023), allocation.national_batch.at(2024)) == (3671.0, 3012.0)
    assert "the lists named in 2023, 2024" in allocation.national_batch.source
    held = with_horizon(ningbo, 2024).parameters.certification.little_giant.allocation
    assert allocated_quota(allocation, 2024) < allocated_quota(held, 2024)  # 3,012 named, not 4,357
    assert realised_batches(ningbo, national) == {}  # within the plan's horizon: nothing after its schedule
    assert realised_batches(_zhenhai(), national, until=2026) == {}  # no allocated list


def test_realised_batches_hold_the_last_size_known_where_no_list_is_observed():
    """A year after the plan with no observed list holds the last size known, planned or observed;
    a single planned value covers every year of the plan."""
    from simulation.forecast.horizon import with_horizon
    from simulation.forecast.refit import realised_batches

    ningbo = load_scenario("scenarios/ningbo_2020_2022.yaml")
    path = "parameters.certification.little_giant.allocation.national_batch"
    gaps = {"new_little_giants": {2024: 3012.0, 2026: 3482.0}}
    batch = with_overrides(with_horizon(ningbo, 2027), realised_batches(ningbo, gaps, until=2027)).parameters.certification.little_giant.allocation.national_batch
    assert [batch.at(y) for y in range(2022, 2028)] == [4357.0, 4357.0, 3012.0, 3012.0, 3482.0, 3482.0]
    assert "named in 2024, 2026" in batch.source
    constant = with_overrides(ningbo, {path: 3000})
    overrides = realised_batches(constant, {"new_little_giants": {2021: 1.0, 2023: 3671.0}}, until=2023)
    assert overrides[path] == {2019: 3000.0, 2020: 3000.0, 2021: 3000.0, 2022: 3000.0, 2023: 3671.0}


def test_the_back_test_carries_a_scenario_with_the_lists_named_after_its_plan():
    """rolling_backtest runs the scenario carried to the last observation with the observed lists
    (calibration/data/national.csv); a scenario without an allocated list is carried by its rule alone."""
    from simulation.forecast.horizon import with_horizon
    from simulation.forecast.overdispersion import national_batches
    from simulation.forecast.rolling import carried

    ningbo = load_scenario("scenarios/ningbo_2020_2022.yaml")
    named = national_batches()["new_little_giants"]
    batch = carried(ningbo, 2024).parameters.certification.little_giant.allocation.national_batch
    assert [batch.at(y) for y in (2023, 2024)] == [named[2023], named[2024]]
    zhenhai = _zhenhai()
    assert carried(zhenhai, 2026) == with_horizon(zhenhai, 2026)
