"""Rolling-origin back-test: forecast every observed point 1–3 years ahead from every origin, score it.

**Origins.** A scenario describes its region at its base year, so the model can forecast only from
an origin at or after the base year. The design:

1. the scenario is carried to the last observed year by :func:`~simulation.forecast.horizon.with_horizon`
   and run once (R replications, the public :func:`run_replications`); a national list the region
   gets a share of takes the sizes named after the plan's schedule (``national.csv``), as prices do
   (:func:`~simulation.forecast.refit.realised_batches`): a conditional forecast, not a held list;
2. an origin is any year t from the base year on; a target is an observed year t + h, h = 1..3;
3. for a **level** (a stock or an amount: 规上增加值, firm counts, 亩均税收 …) the forecast from t is
   anchored on the observation at t: ``y_t · X_{t+h} / X_t`` per replication X, i.e. the model
   supplies the growth from t to t + h and the data supply the level (this also removes any scope
   or price-basis difference between the scenario's base figures and the bulletin's). A level
   with no observation at t has no model forecast from t;
4. a **rate** (a growth rate, a share) or a yearly **flow** (new 小巨人 in the year) is not anchored:
   the forecast is the model's value at t + h. From an origin after the base year this ignores the
   observations between the base year and t (the model is not re-based on them); the ``anchor``
   column says which case a row is (``level`` or ``none``);
5. the baselines (naive drift, statistical) use every observation up to t, before the base year
   included, and are scored on exactly the model's points.

**Refitting.** ``fit(scenario, observed_up_to_origin, origin)`` is the pluggable refit step; it
returns a scenario, or a :class:`~simulation.forecast.refit.ParameterDraws` whose replications each
draw their parameters from the fit's posterior (parameter uncertainty in the bands). The default
``fit="quick"`` is :class:`~simulation.forecast.refit.QuickRefit` (certification flows, growth and
common shock by the method of moments on data up to the origin); ``fit=None`` runs the scenario as
written, once for all origins. The shipped scenarios were written before most of the held-out
years, but some schedules cite later bulletins (e.g. Ningbo's 2020–2021 growth), so a point whose
observation entered the scenario is in-sample; the calibrated files in ``calibration/fitted`` are
fitted to the held-out years and must not be back-tested this way.

**Prices.** Money levels are observed at current prices, the model's at base-year prices. An
anchored money level is compared at current prices: the model's real growth from the origin
times the observed producer-price change over the horizon (:mod:`.prices`; the ``deflator``
column says which index was used, or ``none`` when no index covers the years).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ..experiments.replicate import run_replications
from ..indicators import INDICATORS
from ..loader import with_overrides
from ..scenario import Scenario
from .baselines import BASELINES
from .horizon import with_horizon
from .observed import load_observed, price_basis, series
from .overdispersion import national_batches
from .prices import observed_ppi, price_change
from .refit import PARAMETER_POINT, ParameterDraws, QuickRefit, realised_batches
from .scores import BANDS, score_ensemble

HORIZONS = (1, 2, 3)
METHODS = ("model", "naive", "statistical")
Fit = Callable[[Scenario, pd.DataFrame, int], "Scenario | ParameterDraws"]
SKILL_COLUMNS = (["region", "indicator", "unit", "price_basis", "deflator", "origin", "horizon", "year", "method",
                  "anchor", "observed", "median"]
                 + [f"{s}{b}" for b in BANDS for s in ("lo", "hi")] + [f"covered{b}" for b in BANDS]
                 + [f"is{b}" for b in BANDS] + ["crps", "pit", "ape"])


def region_of(scenario: Scenario) -> str:
    """The data-file stem of a scenario's region: "zhenhai_2021_2025" → zhenhai."""
    return scenario.name.split("_")[0]


def scoreable(scenario: Scenario, region: str, *, data_dir=None) -> pd.DataFrame:
    """The observed rows the back-test can score: the model's indicators, in its units.

    Refuses (InputError) a region with no data file, no series the model declares, or no
    observation within the horizons after the base year, naming what is missing.
    """
    observed = load_observed(region, data_dir=data_dir)
    modelled = observed[observed["indicator"].map(lambda i: i in INDICATORS)]
    modelled = modelled[modelled["unit"] == modelled["indicator"].map(lambda i: INDICATORS[i].unit)]
    if modelled.empty:
        raise InputError(f"region {region!r}: no observed series of an indicator the model declares "
                         f"(the data file has {', '.join(sorted(observed['indicator'].unique())) or 'no rows'})",
                         field="indicator")
    later = modelled[modelled["year"] > scenario.base_year]
    if later.empty:
        raise InputError(f"region {region!r}: no observation of a modelled indicator after the base year "
                         f"{scenario.base_year} to forecast (observed years: "
                         f"{', '.join(map(str, sorted(modelled['year'].unique())))}); add later rows to "
                         f"calibration/data/{region}.csv", field="year")
    return modelled.reset_index(drop=True)


def rolling_backtest(scenario: Scenario, region: str | None = None, *, replications: int = 100, seed: int = 0,
                     horizons=HORIZONS, until: int | None = None, fit: Fit | str | None = "quick", rule: str = "stated",
                     workers=1, data_dir=None, progress: bool = False, log: list | None = None) -> pd.DataFrame:
    """The skill table (:data:`SKILL_COLUMNS`) of ``scenario`` against its region's observations.

    ``fit``: ``"quick"`` (:class:`~simulation.forecast.refit.QuickRefit`), ``None`` (no refit) or a
    callable ``fit(scenario, observed_up_to_origin, origin)``. ``log`` collects one line per refit.
    """
    region = region or region_of(scenario)
    observed = scoreable(scenario, region, data_dir=data_dir)
    last = int(observed["year"].max()) if until is None else until
    if until is not None and not observed["year"].between(scenario.base_year + 1, until).any():
        # no target year at or before --until: nothing would be scored, and empty tables would look like a result
        raise InputError(f"--until {until} leaves no observation to forecast: the first origin is the base year "
                         f"{scenario.base_year}; give a year from {int(observed.loc[observed['year'] > scenario.base_year, 'year'].min())} on")
    extended = carried(scenario, max(scenario.end_year, last), rule, data_dir=data_dir)
    refit = QuickRefit(seed=seed, data_dir=data_dir) if fit == "quick" else fit
    ensembles = _Ensembles(extended, observed, replications, seed, refit, workers, progress, log)
    ppi = observed_ppi(data_dir)
    return score_origins(region, observed, scenario.base_year, last, ensembles.at, horizons=horizons,
                         prices=lambda origin, year: price_change(extended, origin, year, ppi))


def carried(scenario: Scenario, until: int, rule: str = "stated", *, named_lists: bool = True, data_dir=None,
            file: str | None = None) -> Scenario:
    """``scenario`` carried to ``until`` (:func:`with_horizon`, which refuses a year before its end);
    with ``named_lists`` its national lists after the plan's own take the sizes named then: they
    enter as realised, as prices do (a conditional forecast)."""
    file = file or f"<{scenario.name} to {until}>"
    extended = with_horizon(scenario, until, rule, file=file)
    realised = realised_batches(scenario, national_batches(data_dir), until=until) if named_lists else {}
    return with_overrides(extended, realised, file=file) if realised else extended


def score_origins(region: str, observed: pd.DataFrame, base_year: int, last: int,
                  ensembles_at: Callable[[int], dict], *, horizons=HORIZONS, baselines=None,
                  prices: Callable[[int, int], tuple[float, str]] | None = None) -> pd.DataFrame:
    """Score every (origin, horizon) point of ``observed`` from ``base_year`` on, to ``last``.

    ``ensembles_at(origin)`` gives ``{(indicator, year): values by replication}`` of the forecaster
    conditioned at ``origin`` (the model's replications; any other forecaster in tests).
    ``baselines`` (default :data:`~simulation.forecast.baselines.BASELINES`) maps method → forecaster.
    ``prices(origin, year)`` gives the price change applied to anchored current-price levels.
    """
    baselines = BASELINES if baselines is None else baselines
    rows = []
    for indicator in observed["indicator"].unique():
        obs = series(observed, indicator)
        for origin in range(base_year, last):
            for h in horizons:
                year = origin + h
                if year > last or year not in obs.index:
                    continue
                rows.extend(_score_point(region, indicator, obs, origin, h, ensembles_at(origin), baselines, prices))
    return pd.DataFrame(rows, columns=SKILL_COLUMNS)


class _Ensembles:
    """Replications by (indicator, year), run once, or once per origin when a refit step is given."""

    def __init__(self, scenario, observed, replications, seed, fit, workers, progress, log=None):
        self.scenario, self.observed, self.fit, self.log = scenario, observed, fit, log
        self.kwargs = {"replications": replications, "seed": seed, "workers": workers, "progress": progress}
        self.cache: dict = {}
        self.by_origin: dict[int, dict] = {}

    def at(self, origin: int) -> dict:
        if origin in self.by_origin:
            return self.by_origin[origin]
        if self.fit is None:
            fitted: Scenario | ParameterDraws = self.scenario
            key: object = None
        else:
            fitted = self.fit(self.scenario, self.observed[self.observed["year"] <= origin], origin)
            key = fitted.key() if isinstance(fitted, ParameterDraws) else origin
            if self.log is not None and isinstance(fitted, ParameterDraws):
                self.log.append(f"{self.scenario.name} from {origin}: {fitted.describe()}")
        if key not in self.cache:
            if isinstance(fitted, ParameterDraws):
                self.cache[key] = _wide(run_drawn(fitted, self.kwargs["replications"], self.kwargs["seed"],
                                                  workers=self.kwargs["workers"]))
            else:
                self.cache[key] = _wide(run_replications(fitted, **self.kwargs).indicators)
        self.by_origin[origin] = self.cache[key]
        return self.by_origin[origin]


def run_drawn(draws: ParameterDraws, replications: int, seed: int, *, workers=1) -> pd.DataFrame:
    """Replication r of a scenario whose parameters are drawn per replication: the parameters from
    ``SeedSequence(seed, spawn_key=(PARAMETER_POINT, r))``, the model from its usual ``task_seed(seed, 0, r)``."""
    from functools import partial

    from ..experiments.executors import chunked, map_ordered, resolve_workers

    size = max(1, replications // (4 * resolve_workers(workers)))
    parts = map_ordered(partial(_drawn_chunk, draws, seed), chunked(list(range(replications)), size), workers=workers)
    return pd.concat(parts, ignore_index=True)


def _drawn_chunk(draws: ParameterDraws, seed: int, reps) -> pd.DataFrame:
    from ..experiments.seeds import task_seed
    from ..model import simulate

    frames = []
    for r in reps:
        rng = np.random.default_rng(np.random.SeedSequence(entropy=seed, spawn_key=(PARAMETER_POINT, r)))
        result = simulate(draws.scenario(rng), task_seed(seed, 0, r))
        frames.append(result.indicators.assign(replication=r)[["replication", "year", "indicator", "value"]])
    return pd.concat(frames, ignore_index=True)


def _wide(indicators: pd.DataFrame) -> dict:
    """{(indicator, year): values by replication} from the long run frame."""
    frame = indicators.sort_values("replication")
    return {key: g["value"].to_numpy(float) for key, g in frame.groupby(["indicator", "year"])}


def is_level(indicator: str) -> bool:
    """A stock or amount (anchored on the origin's observation), not a rate or a yearly flow."""
    spec = INDICATORS[indicator]
    return spec.unit != "%" and not spec.flow


def model_ensemble(sims: dict, indicator: str, obs: pd.Series, origin: int, year: int,
                   price_ratio: float = 1.0) -> tuple[np.ndarray | None, str]:
    """The model's forecast of ``indicator`` in ``year`` from ``origin`` (see the module docstring);
    an anchored level is multiplied by ``price_ratio`` (the price change from origin to year)."""
    target = sims.get((indicator, year))
    if target is None:
        return None, ""
    if not is_level(indicator):
        return target, "none"
    start = sims.get((indicator, origin))
    if origin not in obs.index or start is None:
        return None, ""
    ok = start > 0
    if not ok.any():
        return None, ""
    return obs[origin] * price_ratio * target[ok] / start[ok], "level"


def _score_point(region, indicator, obs, origin, h, sims, baselines, prices=None) -> list[dict]:
    year = origin + h
    spec = INDICATORS[indicator]
    basis = price_basis(indicator, spec.unit)
    ratio, deflator = (1.0, "")
    if basis == "current" and is_level(indicator):
        ratio, deflator = prices(origin, year) if prices is not None else (1.0, "none (no index given)")
    ensemble, anchor = model_ensemble(sims, indicator, obs, origin, year, ratio)
    if ensemble is None:
        return []
    observed = float(obs[year])
    base = {"region": region, "indicator": indicator, "unit": spec.unit, "price_basis": basis, "deflator": deflator,
            "origin": origin, "horizon": h, "year": year, "observed": observed}
    rows = [{**base, "method": "model", "anchor": anchor, **score_ensemble(ensemble, observed)}]
    history = obs[obs.index <= origin]
    rate = spec.unit == "%"
    for method, baseline in baselines.items():
        predictive = baseline(history, year, rate=rate)
        if predictive is None:
            rows.append({**base, "method": method, "anchor": ""})
            continue
        scores = score_ensemble(predictive.ensemble(), observed)
        if not predictive.has_interval:  # a point forecast: no band to score
            scores = {"median": scores["median"], "ape": scores["ape"]}
        rows.append({**base, "method": method, "anchor": "", **scores})
    return rows


def write_skill(skill: pd.DataFrame, out: str | Path) -> Path:
    """``skill.csv`` in ``out`` (flags as 0/1 with blanks where a method gave no interval)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    frame = skill.copy()
    for b in BANDS:
        frame[f"covered{b}"] = frame[f"covered{b}"].map({True: 1, False: 0})
    path = out / "skill.csv"
    frame.to_csv(path, index=False, float_format="%.6g")
    return path
