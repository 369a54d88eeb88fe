"""Per-origin quick refit for the rolling back-test: fast, and fitted on data up to the origin only.

A full SMM calibration per origin takes minutes to hours; this refit is a method of moments on a
pilot ensemble of the scenario, one number per quantity:

- **certification flows** (新增小巨人 ``little_giant``, 新增单项冠军 ``single_champion``): one scale c per
  step multiplies the step's success chance and its quota (``quota_per_year``, or the allocation's
  ``region_share``), so the yearly flow ``min(quota, successes among the eligible)`` scales by c
  whichever of the two binds. c = observed events / model events over the fit years (the
  observed years up to the origin, at most :data:`FIT_WINDOW` of them; an observed year before
  the model's first simulated year is paired with that first year: a rate, not a path). A second
  pilot at c measures how much of the scaling the model delivers (a thin pool cannot deliver
  more than its eligible firms, the success chance is capped at 1) and c is corrected once.
- **growth**: the mean gap between observed and model 规上 value-added growth in the years from the
  base year to the origin, shrunk towards the scenario's schedule (normal prior with the s.d. of
  one year's common shock: ``assume``, the plan's rate is as informative as one observed year), is
  added after the origin through ``parameters.growth.above_scale_mean``, divided by the slope of
  value-added growth on that schedule (a pilot measures it: rationed energy and land, entrants and
  the threshold make it well below 1), the slope floored at :data:`SLOPE_FLOOR` so the schedule
  never moves by more than twice the gap.
- **common shock**: ``parameters.growth.common_shock_sd`` is the partial-pooling estimate
  (:mod:`simulation.calibration.shocks`) of every region's growth series cut at the origin.

``hold_national_batches=True`` also holds the national list sizes after the origin at the origin's
(by default the scenario's sizes, observed later, enter as a realised exogenous path: conditional
forecasts, as for prices).

**Parameter uncertainty and the year's swing.** The back-test scores single years, so each
replication draws a flow scale from the *predictive* distribution of one year's flow: the posterior
of the mean rate, ``Gamma((K + ½)/φ, scale φ) / E`` (Jeffreys posterior of a Poisson rate, K observed
events, E the model events per unit scale in the fit years, φ = 1 + τ²K/k the over-dispersion of a
sum of k years' counts), times the year's swing ``exp(τz − τ²/2)`` (mean 1). τ² is the between-year
variance of log flows pooled over every region's flow years up to the origin
(:mod:`simulation.forecast.overdispersion`), drawn once per replication from its posterior (a weak
prior where the data are few), so a flow fitted on one year, or not fitted at all, still swings.
The model's rounds draw a year's batch of their own (``certification.batch_effect``, σ), so the
swing added here is what τ² leaves beyond σ² (:func:`own_swing`), not τ² again.
The growth shift is drawn from its normal posterior and the shock s.d. from the pooled
estimate's log-normal interval. Draws use
``SeedSequence(seed, spawn_key=(PARAMETER_POINT, r))``, a key of the replication r apart from the
model's own, so a back-test re-runs identically.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..draws import mean_one
from ..errors import InputError
from ..experiments.replicate import run_replications
from ..loader import get_path, with_overrides
from ..quantity import Quantity
from ..scenario import Scenario
from .observed import series
from .overdispersion import NO_SWING, SWING_PRIOR_SD, YearSwing, national_batches, pooled_flows, year_swing

# yearly flow indicator → certification step whose success and quota it scales
STEP_FLOWS = {"new_little_giants": "little_giant", "new_single_champions": "single_champion"}
GROWTH_INDICATOR = "value_added_above_scale_growth"
FIT_WINDOW = 5  # years up to the origin a flow rate is fitted on (national batch sizes change)
PARAMETER_POINT = 1_000_003  # spawn-key point of the parameter draws (the model's replications use 0)
# a gap in value-added growth is passed to the schedule amplified at most 2×: where rationed energy
# or land hold value-added growth down (measured slopes 0.1-0.4), a larger push would move the
# schedule by 10 pp or more and, through the certification growth criteria, the flows with it
SLOPE_FLOOR = 0.5


@dataclass(frozen=True)
class StepFit:
    """The fitted scale of one certification step, its posterior and the year's swing about it."""

    step: str
    indicator: str
    events: float  # observed events K in the fit years
    exposure: float  # model events per unit scale over the same years (E)
    swing: float = 0.0  # τ², between-year variance of the log flow (pooled across regions)
    years: tuple[int, ...] = ()
    batch_ratios: tuple[float, ...] = ()  # per fit year: national batch of the year / of its model year

    @property
    def scale(self) -> float:
        """Point estimate K / E (half an event when none was observed)."""
        return max(self.events, 0.5) / self.exposure

    @property
    def dispersion(self) -> float:
        """φ of the sum of the fit years' counts: Var = K(1 + τ²K/k) under a log-normal year swing."""
        return self.dispersion_at(self.swing)

    def dispersion_at(self, swing: float) -> float:
        return 1.0 + swing * self.events / max(len(self.years), 1)

    def draw_mean(self, rng: np.random.Generator, swing: float | None = None) -> float:
        """A posterior draw of the mean scale (given the year swing τ², by default ``self.swing``)."""
        phi = self.dispersion_at(self.swing if swing is None else swing)
        return float(rng.gamma((self.events + 0.5) / phi, phi) / self.exposure)

    def draw(self, rng: np.random.Generator, swing: float | None = None, own: float = 0.0) -> float:
        """A predictive draw: the mean scale times one year's swing (τ², by default ``self.swing``),
        less the part ``own`` the model draws itself (:func:`own_swing`)."""
        swing = self.swing if swing is None else swing
        return self.draw_mean(rng, swing) * swing_factor(swing, rng, own)


def swing_factor(variance: float, rng: np.random.Generator, own: float = 0.0) -> float:
    """exp(τz − τ²/2), z ~ N(0, 1): one year's multiplicative swing, mean 1, of the variance τ²
    that ``variance`` leaves beyond the model's ``own`` (:func:`own_swing`); 1 when none is left."""
    left = variance - own
    return float(mean_one(np.sqrt(left), rng.standard_normal())) if left > 0 else 1.0


def own_swing(scenario: Scenario, year: int) -> float:
    """The between-year variance of a certification flow that the model draws itself: its rounds'
    batch factor (``certification.batch_effect``, σ²). The year's swing the refit adds is what the
    flows' pooled τ² leaves beyond it, so the swing is not counted twice."""
    effect = scenario.parameters.certification.batch_effect
    return effect.at(year) ** 2 if effect is not None else 0.0


@dataclass(frozen=True)
class GrowthFit:
    shift: float  # pp/年 of 规上 value-added growth to add after the origin
    sd: float  # posterior s.d. of the shift
    years: tuple[int, ...] = ()
    slope: float = 1.0  # pp of value-added growth per pp of the above_scale_mean schedule (a pilot measures it)

    def draw(self, rng: np.random.Generator) -> float:
        """A posterior draw of the schedule shift (pp/年 of above_scale_mean)."""
        return float(self.shift + self.sd * rng.standard_normal()) / self.slope

    @property
    def schedule_shift(self) -> float:
        return self.shift / self.slope


@dataclass(frozen=True)
class ShockFit:
    log_sd: float  # centre of log σ
    log_sd_se: float

    def draw(self, rng: np.random.Generator) -> float:
        return float(np.exp(self.log_sd + self.log_sd_se * rng.standard_normal()))


@dataclass
class ParameterDraws:
    """A fitted scenario with parameter uncertainty: :meth:`scenario` gives one replication's draw."""

    base: Scenario
    origin: int
    steps: list[StepFit] = field(default_factory=list)
    growth: GrowthFit | None = None
    shock: ShockFit | None = None
    swing: YearSwing = NO_SWING  # for flow steps without a fit of their own

    def overrides(self, rng: np.random.Generator | None = None) -> dict[str, Any]:
        """The ``with_overrides`` mapping at a posterior draw (``rng``) or at the point estimates."""
        out: dict[str, Any] = {}
        swing = None if rng is None or self.swing.posterior is None else self.swing.draw_variance(rng)  # τ² of this replication
        own = own_swing(self.base, self.origin)
        for fit in self.steps:
            scale = fit.scale if rng is None else fit.draw(rng, swing, own)
            out.update(step_overrides(self.base, fit.step, scale))
        unfitted_swing = self.swing.variance if swing is None else swing
        if rng is not None and unfitted_swing > 0:
            fitted = {f.step for f in self.steps}
            for step in STEP_FLOWS.values():
                if step not in fitted:
                    out.update(step_overrides(self.base, step, swing_factor(unfitted_swing, rng, own)))
        if self.growth is not None:
            shift = self.growth.schedule_shift if rng is None else self.growth.draw(rng)
            out.update(growth_overrides(self.base, self.origin, shift))
        if self.shock is not None:
            sd = float(np.exp(self.shock.log_sd)) if rng is None else self.shock.draw(rng)
            out["parameters.growth.common_shock_sd"] = min(sd, 1.0)
        return out

    def scenario(self, rng: np.random.Generator | None = None) -> Scenario:
        return with_overrides(self.base, self.overrides(rng), file=f"<refit at {self.origin}>")

    def key(self) -> tuple:
        """Equal keys give equal ensembles (origins with the same fit share one run)."""
        return (tuple((f.step, round(f.events, 6), round(f.exposure, 6), round(f.swing, 6)) for f in self.steps),
                round(self.swing.variance, 6), round(self.swing.mean_variance, 6),
                None if self.growth is None else (round(self.growth.shift, 6), round(self.growth.sd, 6), self.origin),
                None if self.shock is None else (round(self.shock.log_sd, 6), round(self.shock.log_sd_se, 6)))

    def describe(self) -> str:
        parts = [f"{f.step} ×{f.scale:.3g} (K={f.events:g} in {list(f.years)}, φ={f.dispersion:.2g})" for f in self.steps]
        if self.swing.posterior is not None:
            lo, mid, hi = self.swing.quantiles([0.1, 0.5, 0.9])
            parts.append(f"year swing τ {mid:.2f} [80%: {lo:.2f}-{hi:.2f}] (log s.d.; moment estimate {self.swing.sd:.2f}; "
                         f"{self.swing.groups} region-flows, {self.swing.dof} d.o.f.)")
        elif self.swing.groups:
            parts.append(f"year swing τ={self.swing.sd:.2f} (log s.d., {self.swing.groups} region-flows, {self.swing.dof} d.o.f.)")
        if self.growth is not None:
            parts.append(f"value-added growth {self.growth.shift:+.2f} ± {self.growth.sd:.2f} pp after {self.origin} "
                         f"(schedule {self.growth.schedule_shift:+.2f} pp at slope {self.growth.slope:.2f})")
        if self.shock is not None:
            parts.append(f"shock s.d. {np.exp(self.shock.log_sd):.3f}")
        return "; ".join(parts) or "no change"


# --- overrides ------------------------------------------------------------------------------


def _scaled(value, factor: float, ceiling: float | None = None):
    """A number or a {year: number} schedule times ``factor`` (clipped at ``ceiling``)."""
    def one(v):
        x = float(v) * factor
        return min(x, ceiling) if ceiling is not None else x
    return {y: one(v) for y, v in value.items()} if isinstance(value, Mapping) else one(value)


def step_overrides(scenario: Scenario, step: str, scale: float) -> dict[str, Any]:
    """Success chance and quota of ``step`` times ``scale`` (the success chance stays a share)."""
    root = f"parameters.certification.{step}"
    out = {f"{root}.success": _scaled(get_path(scenario, f"{root}.success"), scale, 1.0)}
    if getattr(scenario.parameters.certification, step).allocation is not None:
        path = f"{root}.allocation.region_share"
        out[path] = _scaled(get_path(scenario, path), scale, 1.0)
    else:
        path = f"{root}.quota_per_year"
        out[path] = _scaled(get_path(scenario, path), scale)
    return out


def growth_overrides(scenario: Scenario, origin: int, shift: float) -> dict[str, Any]:
    """``above_scale_mean`` with ``shift`` pp/年 added in the years after ``origin``."""
    schedule = scenario.parameters.growth.above_scale_mean
    years = range(scenario.base_year, scenario.end_year + 1)
    return {"parameters.growth.above_scale_mean": {y: float(np.clip(schedule.at(y) + (shift if y > origin else 0.0), -50, 100))
                                                   for y in years}}


def held_batches(scenario: Scenario, origin: int) -> dict[str, Any]:
    """Overrides holding each allocated step's ``national_batch`` after ``origin`` at its origin value."""
    out: dict[str, Any] = {}
    for step in STEP_FLOWS.values():
        allocation = getattr(scenario.parameters.certification, step).allocation
        if allocation is None:
            continue
        batch = allocation.national_batch
        out[f"parameters.certification.{step}.allocation.national_batch"] = {
            y: batch.at(min(y, origin)) for y in range(scenario.base_year, scenario.end_year + 1)}
    return out


def realised_batches(scenario: Scenario, national: Mapping[str, Mapping[int, float]],
                     until: int | None = None) -> dict[str, Any]:
    """Overrides giving each allocated step's ``national_batch`` the observed list sizes (``national``:
    {flow indicator: {year: size}}) for the years after the plan's own, to ``until`` (default its end
    year): a run carried past its plan's horizon would otherwise hold the last list it names
    (Ningbo's 4,357 of 2022, where the lists of 2023 and 2024 named 3,671 and 3,012).

    ``scenario`` is the plan as written, before any horizon. The years it covers keep its values (a
    single value covers them all); a later year with no observed list holds the last size known,
    planned or observed."""
    out: dict[str, Any] = {}
    end = scenario.end_year if until is None else until
    for indicator, step in STEP_FLOWS.items():
        allocation = getattr(scenario.parameters.certification, step).allocation
        if allocation is None:
            continue
        batch = allocation.national_batch
        planned = max(batch.years) if batch.is_schedule else scenario.end_year
        later = {y: v for y, v in national.get(indicator, {}).items() if planned < y <= end}
        if not later:
            continue
        sizes = {y: batch.at(y) for y in range(scenario.base_year, planned + 1)}
        for year in range(planned + 1, end + 1):
            sizes[year] = later.get(year, sizes[year - 1])
        path = f"parameters.certification.{step}.allocation.national_batch"
        out[path] = sizes
        named = ", ".join(str(y) for y in sorted(later))
        note = f"; after {planned}: the lists named in {named} (calibration/data/national.csv), the last size known held in other years"
        field = "source" if batch.source else "assume"
        out[f"{path}.{field}"] = (batch.source or batch.assume or "") + note
    return out


# --- the fit --------------------------------------------------------------------------------


def mean_by_year(indicators: pd.DataFrame) -> dict[tuple[str, int], float]:
    """{(indicator, year): mean over replications} of a run's indicator frame."""
    means = indicators.groupby(["indicator", "year"])["value"].mean()
    return {(str(i), int(y)): float(v) for (i, y), v in means.items()}


def fit_years(obs: pd.Series, origin: int, first: int, last: int) -> list[tuple[int, int]]:
    """(observed year, model year) pairs: observed years in the window up to ``origin``, each
    paired with itself, or with the model's first simulated year ``first`` when earlier."""
    years = [int(y) for y in obs.index if origin - FIT_WINDOW < y <= origin]
    return [(y, min(max(y, first), last)) for y in years]


def fit_step(indicator: str, step: str, obs: pd.Series, model: Mapping, origin: int, first: int, last: int,
             swing: float = 0.0, batch: Quantity | None = None) -> StepFit | None:
    """The step's scale from the observed flow ``obs`` against the pilot's ``model`` means. Where the
    model's flow follows a national ``batch`` (an allocated step), an observed year paired with
    another model year is compared at its own year's batch: the region's share is what carries
    over (Ningbo's 5 of the first list of 248 in 2019 is a share, not a flow to hold against the
    model's 2020, a list of 1,744)."""
    pairs = fit_years(obs, origin, first, last)
    if not pairs:
        return None
    observed = np.array([obs[y] for y, _ in pairs], float)
    ratios = tuple(_batch_ratio(batch, y, m) for y, m in pairs)
    expected = np.array([model.get((indicator, m), np.nan) * r for (_, m), r in zip(pairs, ratios)], float)
    if not np.isfinite(expected).all() or expected.sum() <= 0:
        return None
    return StepFit(step, indicator, float(observed.sum()), float(expected.sum()), swing, tuple(y for y, _ in pairs), ratios)


def _batch_ratio(batch: Quantity | None, observed_year: int, model_year: int) -> float:
    """batch(observed year) / batch(model year), 1 without a batch schedule covering both years."""
    if batch is None or observed_year == model_year or not batch.is_schedule:
        return 1.0
    if min(observed_year, model_year) < min(batch.years):
        return 1.0
    return batch.at(observed_year) / batch.at(model_year)


def fit_growth(obs: pd.Series, model: Mapping, origin: int, first: int, shock_sd: float) -> GrowthFit:
    """Shift of the growth schedule after ``origin``: normal posterior with a prior N(0, s²) on the
    schedule and k observed years each with the s.d. s of one year's common shock (pp)."""
    s = 100.0 * shock_sd
    gaps = [obs[y] - model[(GROWTH_INDICATOR, int(y))] for y in obs.index
            if first <= y <= origin and (GROWTH_INDICATOR, int(y)) in model]
    k = len(gaps)
    precision = (1 + k) / s**2
    shift = (sum(gaps) / s**2) / precision if k else 0.0
    years = tuple(int(y) for y in obs.index if first <= y <= origin and (GROWTH_INDICATOR, int(y)) in model)
    return GrowthFit(float(shift), float(precision**-0.5), years)


def fit_shock(region: str, origin: int, data_dir=None) -> ShockFit | None:
    """Partial-pooling common-shock s.d. of ``region`` from every region's growth up to ``origin``."""
    from ..calibration.shocks import REGIONS, growth_series, partial_pooling

    cut = {}
    for r in dict.fromkeys((*REGIONS, region)):
        try:
            s = growth_series(r, data_dir)
        except InputError:  # no data file: no years of its own, so the pooled mean
            cut[r] = np.array([])
            continue
        cut[r] = s[s.index <= origin].to_numpy()
    try:
        table = partial_pooling(cut).set_index("region")
    except ValueError:
        return None
    row = table.loc[region]
    return ShockFit(float(np.log(row["pooled_sd"])), float((np.log(row["upper90"]) - np.log(row["lower90"])) / (2 * 1.644854)))


class QuickRefit:
    """The default ``fit`` hook of the rolling back-test (see the module docstring).

    ``QuickRefit()(scenario, observed_up_to_origin, origin)`` → :class:`ParameterDraws`. Pilot runs
    of ``pilot_replications`` use ``seed``; the pilot of the unfitted scenario is shared by origins.
    ``pool`` (rows ``region, year, indicator, value``) are the other regions' flows the year swing is
    pooled over, by default every region's in ``data_dir``; ``national`` the batch sizes by indicator
    and year, by default ``national.csv``; ``swing=False`` leaves the year swing out (τ² = 0);
    ``swing_prior_sd`` the s.d. of the half-normal prior on τ.
    """

    def __init__(self, pilot_replications: int = 20, seed: int = 0, *, data_dir=None, flows=True, growth=True,
                 shock=True, correct=True, hold_national_batches=False, swing=True,
                 pool: pd.DataFrame | None = None, national: Mapping[str, Mapping[int, float]] | None = None,
                 swing_prior_sd: float = SWING_PRIOR_SD):
        self.pilot_replications, self.seed, self.data_dir = pilot_replications, seed, data_dir
        self.swing_prior_sd = swing_prior_sd
        self.flows, self.growth, self.shock, self.correct = flows, growth, shock, correct
        self.swing, self.pool, self.national = swing, pool, national
        self.hold_national_batches = hold_national_batches
        self._pilots: dict[Any, tuple[Scenario, Any]] = {}  # keyed on the scenario's id (kept alive with it)
        self.log: list[str] = []

    def pilot(self, scenario: Scenario) -> dict:
        key = id(scenario)
        if key not in self._pilots:
            run = run_replications(scenario, self.pilot_replications, self.seed)
            self._pilots[key] = (scenario, mean_by_year(run.indicators))  # keep the scenario alive with its id
        return self._pilots[key][1]

    def __call__(self, scenario: Scenario, observed: pd.DataFrame, origin: int) -> ParameterDraws:
        observed = observed[observed["year"] <= origin]  # never more than the origin, whoever calls
        if self.hold_national_batches:
            scenario = self._held(scenario, origin)
        model = self.pilot(scenario)
        first, last = scenario.base_year + 1, scenario.end_year
        draws = ParameterDraws(scenario, origin)
        if self.shock and not observed.empty:
            draws.shock = fit_shock(str(observed["region"].iloc[0]), origin, self.data_dir)
        shock_sd = float(np.exp(draws.shock.log_sd)) if draws.shock else scenario.parameters.growth.common_shock_sd.at(first)
        if self.flows:
            if self.swing:
                draws.swing = self.year_swing(scenario, observed, origin)
            for indicator, step in STEP_FLOWS.items():
                allocation = getattr(scenario.parameters.certification, step).allocation
                step_fit = fit_step(indicator, step, series(observed, indicator), model, origin, first, last,
                                    draws.swing.mean_variance, None if allocation is None else allocation.national_batch)
                if step_fit is not None:
                    draws.steps.append(step_fit)
        if self.growth:
            fit = fit_growth(series(observed, GROWTH_INDICATOR), model, origin, first, shock_sd)
            draws.growth = GrowthFit(fit.shift, fit.sd, fit.years, self.growth_slope(scenario))
        if self.correct and draws.steps:
            draws.steps = self._corrected(draws)
        self.log.append(f"{scenario.name} at {origin}: {draws.describe()}")
        return draws

    def year_swing(self, scenario: Scenario, observed: pd.DataFrame, origin: int) -> YearSwing:
        """τ² pooled over the other regions' flows and this one's, all up to ``origin``."""
        region = str(observed["region"].iloc[0]) if not observed.empty else scenario.name.split("_")[0]
        pool = pooled_flows(origin, self.data_dir) if self.pool is None else self.pool
        national = national_batches(self.data_dir) if self.national is None else self.national
        own = observed[observed["indicator"].isin(STEP_FLOWS)]
        flows = pd.concat([pool[pool["region"] != region], own], ignore_index=True)[["region", "year", "indicator", "value"]]
        return year_swing(flows, origin, national, prior_sd=self.swing_prior_sd)

    def _held(self, scenario: Scenario, origin: int) -> Scenario:
        """The scenario with every national batch after ``origin`` held at the origin's (the list
        sizes a forecaster knew then; the scenario's later sizes are observations). Cached per origin."""
        key = ("held", id(scenario), origin)
        if key not in self._pilots:
            self._pilots[key] = (scenario, with_overrides(scenario, held_batches(scenario, origin)))
        return self._pilots[key][1]

    def growth_slope(self, scenario: Scenario, probe: float = 2.0) -> float:
        """pp of 规上 value-added growth per pp of ``above_scale_mean``: a pilot with the schedule
        raised by ``probe`` pp in every year, on the same random numbers as the first pilot; at
        least :data:`SLOPE_FLOOR`."""
        key = ("slope", id(scenario))
        if key not in self._pilots:
            raised = with_overrides(scenario, growth_overrides(scenario, scenario.base_year, probe))
            run = mean_by_year(run_replications(raised, self.pilot_replications, self.seed).indicators)
            base = self.pilot(scenario)
            gaps = [run[k] - base[k] for k in base if k[0] == GROWTH_INDICATOR and k in run and np.isfinite(base[k])]
            slope = float(np.mean(gaps)) / probe if gaps else 1.0
            self._pilots[key] = (scenario, float(np.clip(slope, SLOPE_FLOOR, 2.0)))
        return self._pilots[key][1]

    def _corrected(self, draws: ParameterDraws) -> list[StepFit]:
        """Second pilot at the point estimates: E becomes the events the model delivers per unit scale."""
        run = run_replications(draws.scenario(None), self.pilot_replications, self.seed)
        achieved = mean_by_year(run.indicators)
        first, last = draws.base.base_year + 1, draws.base.end_year
        out = []
        for fit in draws.steps:
            ratios = fit.batch_ratios or (1.0,) * len(fit.years)
            got = sum(achieved.get((fit.indicator, min(max(y, first), last)), 0.0) * r for y, r in zip(fit.years, ratios))
            delivered = got / fit.scale if got > 0 else fit.exposure
            out.append(StepFit(fit.step, fit.indicator, fit.events, delivered, fit.swing, fit.years, fit.batch_ratios))
        return out
