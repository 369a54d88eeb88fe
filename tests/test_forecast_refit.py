"""Per-origin quick refit: it sees no data after the origin, recovers a planted scale from a series
the model generated, and with the refit and its parameter draws in the loop the 80% bands of
model-generated flows cover about 80%; the like-for-like price change uses the observed index."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest

from simulation import load_scenario
from simulation.experiments.replicate import run_replications
from simulation.forecast.horizon import with_horizon
from simulation.forecast.observed import load_observed
from simulation.forecast.prices import price_change
from simulation.forecast.refit import SLOPE_FLOOR, QuickRefit, StepFit, dispersion, fit_growth, step_overrides
from simulation.forecast.rolling import rolling_backtest, run_drawn
from simulation.forecast.scores import band
from simulation.loader import with_overrides

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


def test_posterior_draws_widen_with_fewer_events_and_more_dispersion():
    rng = np.random.default_rng(0)
    few, many = StepFit("s", FLOW, 4, 8.0), StepFit("s", FLOW, 400, 800.0)
    spread = {f: np.std([f.draw(rng) for _ in range(4000)]) / f.scale for f in (few, many)}
    assert spread[few] > 5 * spread[many]
    assert abs(np.mean([many.draw(rng) for _ in range(4000)]) / many.scale - 1) < 0.01
    assert dispersion(np.array([10.0, 10.0, 10.0]), np.array([10.0, 10.0, 10.0])) == 1.0
    assert dispersion(np.array([2.0, 30.0]), np.array([16.0, 16.0])) > 10


def test_refit_bands_cover_model_generated_flows_at_the_nominal_rate():
    """Truths: one replication each of the model with a scale drawn log-uniformly in [0.4, 2.5]. The
    refit from the unscaled scenario, on 2021-2022, forecasts 2023-2025 with parameter draws."""
    rng = np.random.default_rng(2026)
    refit = QuickRefit(pilot_replications=8, seed=1, growth=False, shock=False)
    covered, narrow = [], []
    for truth in range(16):
        planted = float(np.exp(rng.uniform(np.log(0.4), np.log(2.5))))
        flows = _flows(run_replications(_planted(planted), 1, seed=10_000 + truth), range(2021, 2026))
        draws = refit(_zhenhai(), _observed({y: flows[y] for y in (2021, 2022)}), 2022)
        ens = run_drawn(draws, 20, seed=truth)
        point = run_replications(draws.scenario(None), 20, seed=truth).indicators  # no parameter uncertainty
        for year in (2023, 2024, 2025):
            for frame, out in ((ens, covered), (point, narrow)):
                values = frame[(frame["indicator"] == FLOW) & (frame["year"] == year)]["value"].to_numpy()
                lo, hi = band(values, 80)
                out.append(lo <= flows[year] <= hi)
    print(f"80% coverage with parameter draws {np.mean(covered):.2f}, at the point estimate {np.mean(narrow):.2f}")
    assert 0.68 <= np.mean(covered) <= 0.95, np.mean(covered)
    assert np.mean(narrow) < np.mean(covered)  # the parameter draws are what widens the bands


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
