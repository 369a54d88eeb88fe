"""Calibration specifications: which parameters to fit, to which observed series, and how.

A spec is a strict YAML mapping; problems are refused as one :class:`~simulation.errors.InputError`
naming the file and the field. Paths (``scenario``, ``data``) are relative to the spec file.

Example (``calibration/zhenhai.yaml``)::

    scenario: ../scenarios/zhenhai_2021_2025.yaml
    data: data/zhenhai.csv
    region: zhenhai
    method: smm                 # smm | abc
    replications: 10            # per evaluation (common random numbers)
    seed: 1
    parameters:
      - path: parameters.growth.above_scale_mean
        bounds: [-5, 15]
    observed:
      - indicator: value_added_above_scale
        years: [2021, 2024]
        weight: 1.0
    optimiser: {maxiter: 20, popsize: 8}

The base year of a scenario is its initial state, so only later years carry information about
behavioural parameters; observations in the base year or outside the run are refused.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .. import limits
from ..errors import InputError
from ..indicators import INDICATORS, value_range
from ..io import read_numeric_table
from ..loader import (
    MAX_FILE_BYTES,
    _as_input_error,
    confine,
    get_path,
    load_scenario,
    project_roots,
    read_yaml,
    refuse_other_kind,
    scenario_hash,
    with_overrides,
)
from ..paths import value_at
from ..provenance import model_code
from ..quantity import refuse_loose_numbers
from ..scenario import Scenario

DATA_COLUMNS = ["region", "year", "indicator", "value", "unit", "source"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _strict_numbers(cls, data):
        return refuse_loose_numbers(cls, data)


class FitParameter(_Strict):
    """One parameter to fit: a dotted scenario path and its search interval.

    ``years`` fits only those years of a yearly schedule (the other years keep their values);
    ``name`` labels the parameter (default: the path).
    """

    path: str = Field(min_length=1)
    bounds: tuple[float, float]
    years: list[int] | None = Field(default=None, min_length=1)
    name: str | None = None

    @property
    def label(self) -> str:
        return self.name or self.path

    @model_validator(mode="after")
    def _ordered(self) -> FitParameter:
        lo, hi = self.bounds
        if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
            raise ValueError("bounds: give [lower, upper] with lower < upper")
        return self


class Observed(_Strict):
    """An observed series: an indicator of the model, the years to fit and a weight."""

    indicator: str = Field(min_length=1)
    years: list[int] = Field(min_length=1)
    weight: float = Field(default=1.0, gt=0)


class Optimiser(_Strict):
    """Settings of :func:`scipy.optimize.differential_evolution` (deferred updating)."""

    maxiter: int = Field(default=20, ge=1, le=10_000)
    popsize: int = Field(default=8, ge=2, le=1_000)
    tol: float = Field(default=0.01, ge=0)
    mutation: tuple[float, float] = (0.5, 1.0)
    recombination: float = Field(default=0.7, ge=0, le=1)
    curvature_step: float = Field(default=0.02, gt=0, le=0.5)  # share of each bound's width


class AbcSettings(_Strict):
    """ABC-SMC settings (Beaumont et al. 2009): particles, generations, tolerance schedule."""

    particles: int = Field(default=200, ge=10, le=100_000)
    generations: int = Field(default=5, ge=1)
    quantile: float = Field(default=0.5, gt=0, lt=1)
    batch: int = Field(default=100, ge=1, le=100_000)
    min_acceptance: float = Field(default=0.02, gt=0, le=1)


class CalibrationSpec(_Strict):
    scenario: str = Field(min_length=1)
    data: str = Field(min_length=1)
    region: str | None = None
    method: Literal["smm", "abc"] = "smm"
    replications: int = Field(default=10, ge=1)
    seed: int = Field(default=0, ge=0)
    set: dict[str, Any] = Field(default_factory=dict)
    parameters: list[FitParameter] = Field(min_length=1)
    observed: list[Observed] = Field(min_length=1)
    optimiser: Optimiser = Optimiser()
    abc: AbcSettings = AbcSettings()

    @model_validator(mode="after")
    def _distinct(self) -> CalibrationSpec:
        labels = [p.label for p in self.parameters]
        if len(set(labels)) != len(labels):
            raise ValueError("parameters: two parameters share a name (give each a distinct name:)")
        claimed = [(p.path, y) for p in self.parameters for y in (p.years or (None,))]
        whole = {path for path, year in claimed if year is None}  # a whole value claims every year of its path
        if len(set(claimed)) != len(claimed) or sum(path in whole for path, _ in claimed) > len(whole):
            raise ValueError("parameters: a path (or a year of it) is fitted twice")
        keys = [(o.indicator, y) for o in self.observed for y in o.years]
        if len(set(keys)) != len(keys):
            raise ValueError("observed: an indicator-year is listed twice")
        try:
            limits.check_size(self.replications, limits.MAX_RUNS, limits.BYTES_PER_RUN, "replications per evaluation")
            if self.method == "abc":
                limits.check_size(self.abc.particles * self.abc.generations, limits.MAX_POINTS, limits.BYTES_PER_POINT,
                                  "ABC particles × generations")
        except InputError as exc:
            raise ValueError(str(exc)) from None
        return self


@dataclass(frozen=True)
class Calibration:
    """A validated spec with its scenario and observations resolved.

    ``targets`` has one row per fitted moment: ``indicator, year, value, weight, unit, source``.
    """

    spec: CalibrationSpec
    file: Path
    scenario: Scenario
    scenario_file: Path
    data: pd.DataFrame  # every row of the data file for the region
    targets: pd.DataFrame

    @property
    def names(self) -> list[str]:
        return [p.label for p in self.spec.parameters]

    @property
    def bounds(self) -> list[tuple[float, float]]:
        return [p.bounds for p in self.spec.parameters]

    def fingerprint(self) -> str:
        """A hash of everything a loss value depends on (scenario, targets, parameters, seed, R, and
        the model code: an evaluation cache of other code is another cache)."""
        parts = {
            "code": model_code(),
            "scenario": scenario_hash(self.scenario),
            "targets": self.targets[["indicator", "year", "value", "weight"]].to_dict("records"),
            "parameters": [p.model_dump() for p in self.spec.parameters], "seed": self.spec.seed, "replications": self.spec.replications,
            "money": "current prices",  # moments of money levels are compared at current prices (a cache of before is stale)
        }
        return hashlib.sha256(json.dumps(parts, sort_keys=True, default=float).encode()).hexdigest()[:16]

    def abc_key(self) -> str:
        """The key of a resumable ABC-SMC state: the fingerprint and the settings that shape each
        generation (particles, tolerance quantile, batch, minimum acceptance). ``generations`` is left
        out: a shorter run's generations are the first ones of a longer run, which continues them."""
        settings = self.spec.abc.model_dump(exclude={"generations"})
        return hashlib.sha256(json.dumps([self.fingerprint(), settings], sort_keys=True).encode()).hexdigest()[:16]

    def restricted(self, until: int) -> Calibration:
        """The same calibration fitted only to observations in years up to ``until``.

        Parameters whose ``years`` all come after ``until`` are dropped (they keep the scenario's value).
        """
        kept = self.targets[self.targets["year"] <= until].reset_index(drop=True)
        if kept.empty:
            raise InputError(f"no observation to fit in or before {until}", file=str(self.file), field="observed")
        # a parameter acting only after `until` cannot be learnt from the window: keep the scenario's value
        params = [p for p in self.spec.parameters if p.years is None or min(p.years) <= until]
        if not params:
            raise InputError(f"every parameter acts only after {until}", file=str(self.file), field="parameters")
        spec = self.spec.model_copy(update={"parameters": params})
        return Calibration(spec, self.file, self.scenario, self.scenario_file, self.data, kept)


def load_calibration(path: str | Path) -> Calibration:
    """Read and check a calibration spec; refuse unknown paths, indicators and missing data."""
    path = Path(path)
    raw = read_yaml(path)
    refuse_other_kind(raw, "calibration spec", str(path))
    try:
        spec = CalibrationSpec.model_validate(raw)
    except ValidationError as exc:
        raise _as_input_error(exc, str(path), CalibrationSpec) from None
    roots = project_roots(path)
    scenario_file = confine(path.parent / spec.scenario, roots, file=str(path), field="scenario")
    confine(path.parent / spec.data, roots, file=str(path), field="data")
    if not scenario_file.is_file():
        raise InputError(f"scenario file {spec.scenario!r} not found next to this spec", file=str(path), field="scenario")
    scenario = load_scenario(scenario_file)
    if spec.set:
        scenario = with_overrides(scenario, spec.set, file=f"{path} (set)")
    _check_parameters(spec, scenario, path)
    data = read_data(path.parent / spec.data, spec.region, spec_file=path)
    targets = _targets(spec, scenario, data, path)
    return Calibration(spec, path, scenario, scenario_file, data, targets)


def _check_parameters(spec: CalibrationSpec, scenario: Scenario, path: Path) -> None:
    for i, p in enumerate(spec.parameters):
        field = f"parameters.{i}.path"
        try:
            current = get_path(scenario, p.path)
        except InputError:
            from ..errors import nearest
            from ..loader import lever_paths

            hint = nearest(p.path, [q for q, _, _ in lever_paths(scenario)])
            raise InputError(f"no such parameter or lever {p.path!r} in the scenario{hint}", file=str(path),
                             field=field) from None
        if isinstance(current, bool) or not isinstance(current, (int, float, dict)):
            raise InputError(f"{p.path!r} is not a number that can be fitted", file=str(path), field=field)
        if p.years is not None:
            outside = [y for y in p.years if not scenario.base_year <= y <= scenario.end_year]
            if outside:
                raise InputError(f"years {outside} are outside the run {scenario.base_year}-{scenario.end_year}",
                                 file=str(path), field=f"parameters.{i}.years")
        for bound in p.bounds:  # both ends must be values the scenario accepts
            try:
                with_overrides(scenario, overrides(scenario, [p], [bound]))
            except InputError as exc:
                raise InputError(f"bound {bound} is not allowed here ({exc})", file=str(path),
                                 field=f"parameters.{i}.bounds") from None


def overrides(scenario: Scenario, parameters: list[FitParameter], theta) -> dict[str, Any]:
    """The ``with_overrides`` mapping that sets ``parameters`` to ``theta``.

    A parameter with ``years`` replaces those years of the path's schedule (a single number is
    first spread over every year of the run), so several parameters can share one path.
    """
    result: dict[str, Any] = {}
    span = range(scenario.base_year, scenario.end_year + 1)
    for p, value in zip(parameters, theta):
        current = result.get(p.path, get_path(scenario, p.path)) if p.years is not None else None
        result[p.path] = value_at(current, float(value), years=p.years, span=span)
    return result


def read_data(path: Path, region: str | None, *, spec_file: Path) -> pd.DataFrame:
    """The tidy observed-data file (``region, year, indicator, value, unit, source``), one region."""
    if not path.is_file():
        raise InputError(f"data file {str(path)!r} not found", file=str(spec_file), field="data")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise InputError(f"is larger than {MAX_FILE_BYTES // 2**20} MB", file=str(path))
    frame = read_numeric_table(path, DATA_COLUMNS)
    if region is not None:
        frame = frame[frame["region"] == region]
        if frame.empty:
            raise InputError(f"no rows for region {region!r} in {path.name}", file=str(spec_file), field="region")
    unsourced = frame["source"].isna() | (frame["source"].astype(str).str.strip() == "")
    if unsourced.any():  # the index is the file's row: line = index + 2 (after the header)
        raise InputError(f"every row needs a source; line {int(unsourced.idxmax()) + 2} has none", file=str(path),
                         field="source")
    return frame.reset_index(drop=True)


def _targets(spec: CalibrationSpec, scenario: Scenario, data: pd.DataFrame, path: Path) -> pd.DataFrame:
    rows = []
    for i, obs in enumerate(spec.observed):
        field = f"observed.{i}"
        if obs.indicator not in INDICATORS:
            from ..targets import unknown_indicator

            raise unknown_indicator(obs.indicator, file=str(path), field=f"{field}.indicator")
        for year in obs.years:
            if not scenario.base_year < year <= scenario.end_year:
                raise InputError(
                    f"year {year} is outside the informative run {scenario.base_year + 1}-{scenario.end_year} "
                    f"(the base year {scenario.base_year} is the initial state)", file=str(path), field=f"{field}.years")
            match = data[(data["indicator"] == obs.indicator) & (data["year"] == year)]
            if match.empty:
                raise InputError(f"no observed value of {obs.indicator!r} in {year} in the data file",
                                 file=str(path), field=f"{field}.years")
            if len(match) > 1:
                raise InputError(f"{len(match)} rows for {obs.indicator!r} in {year} in the data file",
                                 file=str(path), field=f"{field}.years")
            value = float(match["value"].iloc[0])
            unit, expected = str(match["unit"].iloc[0]), INDICATORS[obs.indicator].unit
            if unit != expected:
                raise InputError(f"the data file gives {obs.indicator!r} in {year} in {unit!r}; the model's unit is {expected!r}",
                                 file=str(path), field=f"{field}.indicator")
            if value == 0 or not np.isfinite(value):
                raise InputError(f"observed {obs.indicator!r} in {year} is {value}: relative errors need a non-zero value",
                                 file=str(path), field=f"{field}.years")
            low, high, what = value_range(obs.indicator)
            if not low <= value <= high:
                raise InputError(f"observed {obs.indicator!r} in {year} is {value:g}, outside what it can take: {what}",
                                 file=str(path), field=f"{field}.years")
            rows.append({"indicator": obs.indicator, "year": year, "value": value, "weight": obs.weight,
                         "unit": match["unit"].iloc[0], "source": match["source"].iloc[0]})
    return pd.DataFrame(rows)
