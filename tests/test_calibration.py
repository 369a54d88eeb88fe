"""Calibration: recovery of planted parameters, refusal of bad specs, resuming, ABC-SMC."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from simulation.calibration import calibrate, load_calibration, write_calibration
from simulation.calibration.abc import abc_smc, weighted_quantile
from simulation.calibration.objective import Evaluator
from simulation.cli import main
from simulation.errors import InputError
from simulation.experiments.seeds import task_seed
from simulation.indicators import INDICATORS
from simulation.loader import get_path, load_scenario, with_overrides
from simulation.model import simulate

TRUTH = {"parameters.growth.above_scale_mean": 6.0, "parameters.entry.births_per_year": 120}
BOUNDS = {"parameters.growth.above_scale_mean": [-6.0, 18.0], "parameters.entry.births_per_year": [0, 400]}
OBSERVED = {"value_added_above_scale": [2021, 2022, 2023], "value_added_above_scale_growth": [2021, 2022, 2023],
            "firms_below_scale": [2021, 2022, 2023]}


def small_scenario(zhenhai):
    """The shared small configuration, ending in 2023, with no targets (fast).

    The energy cap and the land stock are loose (a binding cap or land queue would hide the growth
    parameter) and firm-level noise is low, so that two observed years can pin the parameters down.
    """
    return with_overrides(zhenhai, {
        "end_year": 2023, "targets": [],
        # a fixed number of births (the shipped scenarios use free entry): a count the data identify
        "parameters.entry": {"births_per_year": {"value": 40, "assume": "test"}, "revenue_median": {"value": 300, "assume": "test"},
                             "revenue_sigma": {"value": 1.0, "assume": "test"}}, "levers.energy.cap": 400, "parameters.land.free_initial": 20000, "parameters.growth.above_scale_mean": 6,
        "parameters.growth.scope_gap": 0.0,
        "parameters.growth.volatility": 0.05, "parameters.growth.common_shock_sd": 0.0,
        "parameters.growth.sector_shock_sd": 0.0, "population.above_scale.size_tail_index": 2.0,
        "population.above_scale.count": 100, "population.above_scale.output": 572,
        "population.large_firms": [],
        "population.above_scale.land": 6000, "population.above_scale.employees": 16000,
        "population.above_scale.energy_use": 160, "population.below_scale.count": 500,
        "levers.remediation.firms_per_year": 8, "levers.scattered_weak.firms_per_year": 20,
        "parameters.certification.little_giant.review_pass_rate": 0.6,  # its schedule runs to 2025
    })


def write_setup(folder, zhenhai, *, maxiter=8, extra=None):
    """A scenario, a data file generated at TRUTH (one replication, its own seed) and a spec."""
    base = small_scenario(zhenhai)
    (folder / "small.yaml").write_text(yaml.safe_dump(base.model_dump(mode="json"), allow_unicode=True), encoding="utf-8")
    truth = simulate(with_overrides(base, TRUTH), task_seed(987, 0, 0)).indicators.set_index(["indicator", "year"])
    rows = [{"region": "test", "year": y, "indicator": name, "value": truth.loc[(name, y), "value"], "unit": INDICATORS[name].unit,
             "source": "synthetic: the model at known parameters, seed 987"} for name, years in OBSERVED.items() for y in years]
    pd.DataFrame(rows).to_csv(folder / "obs.csv", index=False)
    spec = {"scenario": "small.yaml", "data": "obs.csv", "region": "test", "seed": 3, "replications": 6,
            "parameters": [{"path": p, "bounds": BOUNDS[p]} for p in TRUTH],
            "observed": [{"indicator": n, "years": y} for n, y in OBSERVED.items()],
            "optimiser": {"maxiter": maxiter, "popsize": 5, "tol": 0.0},
            "abc": {"particles": 40, "generations": 3, "batch": 40}}
    spec.update(extra or {})
    (folder / "spec.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    return folder / "spec.yaml"


@pytest.fixture(scope="module")
def setup(tmp_path_factory, zhenhai):
    return write_setup(tmp_path_factory.mktemp("cal"), zhenhai)


@pytest.mark.slow
def test_recovers_planted_parameters(setup, tmp_path, monkeypatch):
    # parameters.yaml (written here) extends the calibrated scenario in another temporary folder
    monkeypatch.setattr("simulation.loader.ALLOWED_ROOTS", [setup.parent])
    result = calibrate(setup, tmp_path / "out")
    est = result.fit.estimates.set_index("path")
    for path, true in TRUTH.items():
        row = est.loc[path]
        assert row["identified"]
        assert row["lower"] <= true <= row["upper"], (path, row.to_dict())
        lo, hi = BOUNDS[path]
        assert row["upper"] - row["lower"] < 0.6 * (hi - lo)  # informative, not the whole search range
    # the births rate drives the count of small firms tightly: it must be close
    assert abs(est.loc["parameters.entry.births_per_year", "value"] - 120) < 40
    write_calibration(result, tmp_path / "out")
    fitted = load_scenario(tmp_path / "out" / "parameters.yaml")  # a scenario that extends the calibrated one
    for path in TRUTH:
        assert get_path(fitted, path) == pytest.approx(est.loc[path, "value"], rel=1e-5)
    assert get_path(fitted, "parameters.exit.rate") == get_path(result.cal.scenario, "parameters.exit.rate")
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["kind"] == "calibrate"
    trace = pd.read_parquet(tmp_path / "out" / "loss_trace.parquet")
    assert trace["best"].is_monotonic_decreasing and trace["loss"].min() == pytest.approx(result.fit.loss)
    assert (tmp_path / "out" / "fit.png").stat().st_size > 1000


def _cached_vectors(folder) -> set[str]:
    (cache,) = folder.glob("cache_*.json")
    return {json.dumps(e["theta"]) for e in json.loads(cache.read_text())["evaluations"]}


@pytest.mark.slow
def test_resumed_calibration_continues_from_its_cache(tmp_path, zhenhai):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    short = write_setup(tmp_path / "a", zhenhai, maxiter=1)
    first = calibrate(short, tmp_path / "out")
    assert first.fit.resumed == 0 and first.fit.evaluations > 0
    again = calibrate(short, tmp_path / "out")  # the same run again: every loss comes from the cache
    assert again.fit.evaluations == 0 and again.fit.resumed == first.fit.evaluations
    np.testing.assert_array_equal(again.fit.theta, first.fit.theta)
    done = _cached_vectors(tmp_path / "out")

    longer = write_setup(tmp_path / "b", zhenhai, maxiter=3)
    resumed = calibrate(longer, tmp_path / "out")  # a longer budget continues where the short one stopped
    fresh = calibrate(longer, tmp_path / "fresh")
    np.testing.assert_array_equal(resumed.fit.theta, fresh.fit.theta)
    assert resumed.fit.resumed == len(done)
    # exactly the vectors the short run had not simulated are simulated now
    assert resumed.fit.evaluations == fresh.fit.evaluations - len(done & _cached_vectors(tmp_path / "fresh"))
    head = resumed.fit.trace[resumed.fit.trace["batch"] <= first.fit.trace["batch"].max()]
    assert head["cached"].all() and not resumed.fit.trace["cached"].all()


def test_common_random_numbers_do_not_depend_on_workers(setup):
    cal = load_calibration(setup)
    theta = [4.0, 150.0]
    serial, pooled = Evaluator(cal, workers=1), Evaluator(cal, workers=2)
    assert serial(theta) == pooled(theta)
    np.testing.assert_array_equal(serial.moments(theta), pooled.moments(theta))
    assert serial([4.0, 150.0]) != serial([4.0, 160.0])
    reps = serial.moments(theta)
    assert not np.allclose(reps[0], reps[1])  # replications differ; vectors share them


def test_a_vectors_scenario_is_validated_once_for_its_replications(setup, monkeypatch):
    """A vector's replications share one validated scenario (validation takes a tenth to a fifth as
    long as a run), with the moments each replication gives on a scenario of its own; another vector, or the
    same one in another fit, gets its own."""
    from simulation.calibration import objective

    cal = load_calibration(setup)
    built: list[list[float]] = []
    real = objective.scenario_at

    def counted(scenario, parameters, theta):
        built.append(list(theta))
        return real(scenario, parameters, theta)

    monkeypatch.setattr(objective, "scenario_at", counted)
    thetas = [[4.0, 150.0], [5.0, 150.0]]
    shared = np.vstack([Evaluator(cal, workers=1).moments(theta) for theta in thetas])
    assert built == thetas  # once each, for its 6 replications
    keys = list(zip(cal.targets["indicator"], cal.targets["year"].astype(int)))
    own = np.vstack([objective.simulate_moments(real(cal.scenario, cal.spec.parameters, theta), keys,
                                                task_seed(cal.spec.seed, 0, r))
                     for theta in thetas for r in range(cal.spec.replications)])
    np.testing.assert_array_equal(shared, own)
    other = load_calibration(setup)  # the same vector in another fit: its scenario is another object
    Evaluator(other, workers=1).moments(thetas[0])
    assert len(built) == 3


@pytest.mark.slow
def test_a_dask_cluster_gives_the_serial_loss(setup):
    from simulation.experiments.executors import DaskExecutor

    cal = load_calibration(setup)
    thetas = [[4.0, 150.0], [7.0, 90.0]]
    with DaskExecutor(local=2) as cluster:
        on_dask = Evaluator(cal, workers=cluster).evaluate(thetas)
    np.testing.assert_array_equal(on_dask, Evaluator(cal, workers=1).evaluate(thetas))


@pytest.mark.parametrize("change, field, words", [
    ({"parameters": [{"path": "parameters.growth.no_such", "bounds": [0, 1]}]}, "parameters.0.path", "no such parameter"),
    ({"observed": [{"indicator": "not_an_indicator", "years": [2021]}]}, "observed.0.indicator", "unknown indicator"),
    ({"observed": [{"indicator": "value_added_above_scal", "years": [2021]}]}, "observed.0.indicator",
     "nearest: value_added_above_scale"),
    ({"observed": [{"indicator": "little_giants", "years": [2021]}]}, "observed.0.years", "no observed value"),
    ({"observed": [{"indicator": "firms_below_scale", "years": [2020]}]}, "observed.0.years", "base year"),
    ({"observed": [{"indicator": "firms_below_scale", "years": [2030]}]}, "observed.0.years", "outside"),
    ({"parameters": [{"path": "parameters.growth.volatility", "bounds": [0.1, 5]}]}, "parameters.0.bounds", "not allowed"),
    ({"method": "mcmc"}, "method", ""),
    ({"typo": 1}, "typo", "unknown key"),
    ({"data": "missing.csv"}, "data", "not found"),
])
def test_bad_specs_are_refused_clearly(setup, tmp_path, change, field, words):
    spec = yaml.safe_load(setup.read_text())
    spec.update(change)
    path = setup.parent / f"bad_{abs(hash(field + words))}.yaml"
    path.write_text(yaml.safe_dump(spec))
    with pytest.raises(InputError) as err:
        load_calibration(path)
    assert err.value.file == str(path) and err.value.field == field and words in str(err.value)
    cli = CliRunner().invoke(main, ["calibrate", str(path), "--out", str(tmp_path / "o"), "-q"])
    assert cli.exit_code == 2 and field in cli.output and "Traceback" not in cli.output


@pytest.mark.slow
def test_abc_smc_recovers_a_conjugate_normal_posterior():
    """x ~ N(θ, 1), one observation x = 1, flat prior on [-5, 5]: the posterior is about N(1, 1)."""

    def distances(thetas, t, indices):
        draws = [np.random.default_rng(np.random.SeedSequence(11, spawn_key=(t, j))).normal() for j in indices]
        return np.abs(thetas[:, 0] + np.array(draws) - 1.0)

    history = abc_smc(distances, [(-5.0, 5.0)], particles=500, generations=7, batch=500, seed=4)
    last = history[-1]
    assert [g.epsilon for g in history][1:] == sorted([g.epsilon for g in history][1:], reverse=True)
    assert last.epsilon < 0.2
    mean = np.sum(last.weights * last.particles[:, 0])
    sd = np.sqrt(np.sum(last.weights * (last.particles[:, 0] - mean) ** 2))
    assert abs(mean - 1.0) < 0.2 and 0.8 < sd < 1.25
    lo, hi = weighted_quantile(last.particles[:, 0], last.weights, [0.025, 0.975])
    assert lo == pytest.approx(1 - 1.96, abs=0.4) and hi == pytest.approx(1 + 1.96, abs=0.4)
    again = abc_smc(distances, [(-5.0, 5.0)], particles=500, generations=7, batch=500, seed=4)
    np.testing.assert_array_equal(again[-1].particles, last.particles)
    other = abc_smc(distances, [(-5.0, 5.0)], particles=500, generations=7, batch=500, seed=5)
    assert not np.array_equal(other[-1].particles, last.particles)


@pytest.mark.slow
def test_abc_method_on_the_model_resumes(setup, tmp_path):
    first = calibrate(setup, tmp_path / "abc", method="abc")
    assert first.fit.posterior is not None and len(first.fit.posterior) == 40
    row = first.fit.estimates.set_index("path").loc["parameters.entry.births_per_year"]
    assert row["lower"] <= 120 <= row["upper"]
    again = calibrate(setup, tmp_path / "abc", method="abc")
    assert again.fit.resumed == 3
    pd.testing.assert_frame_equal(again.fit.posterior, first.fit.posterior)


@pytest.mark.slow
def test_plot_draws_the_fit_of_a_calibration_folder(tmp_path, zhenhai):
    spec = write_setup(tmp_path, zhenhai, maxiter=1)
    write_calibration(calibrate(spec, tmp_path / "out"), tmp_path / "out", plots=False)
    result = CliRunner().invoke(main, ["plot", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "figures" / "fit.png").is_file()


def test_a_plateau_keeps_the_optimum_rather_than_the_worse_fitting_scenario_value(zhenhai):
    """A chance capped at 0.6: every value above fits exactly, so the derivative at the optimum is
    zero (not identified), but the scenario's 0.25 fits worse and must not replace the optimum."""
    from types import SimpleNamespace

    from simulation.calibration.smm import fit_smm
    from simulation.calibration.spec import FitParameter, Optimiser

    path = "parameters.certification.little_giant.success"
    assert get_path(zhenhai, path) == 0.25
    parameter = FitParameter(path=path, bounds=(0.05, 1.0))
    cal = SimpleNamespace(bounds=[parameter.bounds], names=[parameter.label], scenario=zhenhai,
                          spec=SimpleNamespace(seed=1, replications=3, parameters=[parameter],
                                               optimiser=Optimiser(maxiter=20, popsize=10, tol=0.0)))

    class Plateau:
        observed, weights = np.array([60.0]), np.array([1.0])
        simulated = resumed = 0

        def __init__(self):
            self.cal = cal

        def moments(self, theta):
            return np.full((3, 1), 100.0 * min(float(theta[0]), 0.6))

        def replications_at(self, theta, n):
            return np.full((n, 1), 100.0 * min(float(theta[0]), 0.6))

        def __call__(self, theta):
            return float(((self.moments(theta).mean() - 60.0) / 60.0) ** 2)

        def map(self, fn, thetas):
            return [self(t) for t in thetas]

        def trace_frame(self):
            return pd.DataFrame()

    fit = fit_smm(Plateau())
    row = fit.estimates.iloc[0]
    assert not row["identified"] and row["value"] >= 0.6 and fit.loss == 0.0


@pytest.mark.slow
def test_abc_resumes_only_a_state_of_the_same_settings(tmp_path, zhenhai):
    def spec(folder, **abc):
        (tmp_path / folder).mkdir()
        return write_setup(tmp_path / folder, zhenhai, extra={"abc": {"particles": 10, "generations": 1, "batch": 10, **abc}})

    first = calibrate(spec("a"), tmp_path / "out", method="abc")
    assert first.fit.resumed == 0 and len(first.fit.posterior) == 10
    more = calibrate(spec("b", particles=12), tmp_path / "out", method="abc")  # another population size: not resumed
    assert more.fit.resumed == 0 and len(more.fit.posterior) == 12
    longer = calibrate(spec("c", generations=2), tmp_path / "out", method="abc")  # one more generation continues the first
    fresh = calibrate(spec("d", generations=2), tmp_path / "fresh", method="abc")
    assert longer.fit.resumed == 1 and fresh.fit.resumed == 0
    pd.testing.assert_frame_equal(longer.fit.posterior, fresh.fit.posterior)


def test_a_data_row_without_a_source_is_named_by_its_line(setup, tmp_path):
    data = pd.read_csv(setup.parent / "obs.csv")
    data.loc[4, "source"] = None  # the fifth row: line 6 of the file, after the header
    data.to_csv(tmp_path / "obs.csv", index=False)
    spec = yaml.safe_load(setup.read_text())
    (tmp_path / "small.yaml").write_text((setup.parent / "small.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(spec))
    with pytest.raises(InputError, match="line 6") as err:
        load_calibration(tmp_path / "spec.yaml")
    assert err.value.field == "source"


def test_an_unwritable_parameter_file_is_refused_before_fitting(setup, tmp_path):
    (tmp_path / "a_file").write_text("not a folder")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["calibrate", str(setup), "--out", str(out), "-q", "-w", "1",
                                       "--parameters", str(tmp_path / "a_file" / "fitted" / "p.yaml")])
    assert result.exit_code == 2 and "--parameters" in result.output
    assert not out.exists()  # refused before the fit wrote its cache


def test_money_moments_are_fitted_at_current_prices(zhenhai):
    """Observations of money (规上增加值, 亿元) are at current prices; the moments the fit compares
    with them are the model's base-year values times the scenario's price level, counts unchanged."""
    from simulation.calibration.objective import simulate_moments
    from simulation.model import simulate

    seed = np.random.SeedSequence(5)
    keys = [("value_added_above_scale", 2023), ("firms_above_scale", 2023)]
    got = simulate_moments(zhenhai, keys, seed)
    plain = simulate(zhenhai, seed).indicators.set_index(["indicator", "year"])["value"]
    assert zhenhai.price_level(2023) != 1.0
    assert got[0] == plain[keys[0]] * zhenhai.price_level(2023)
    assert got[1] == plain[keys[1]]


def test_an_evaluation_cache_belongs_to_the_model_code_that_filled_it(monkeypatch):
    import simulation.calibration.spec as spec_module

    from .conftest import ROOT

    cal = load_calibration(ROOT / "calibration" / "zhenhai.yaml")
    before = cal.fingerprint()
    monkeypatch.setattr(spec_module, "model_code", lambda: "0123456789abcdef")
    assert cal.fingerprint() != before  # another model's losses are another cache's
