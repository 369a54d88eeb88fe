"""Sweep and sensitivity specifications: strict YAML schemas and the designs they describe.

A spec names a base scenario (a path relative to the spec file) or the built-in analytic
``ishigami`` model, the factors (dotted paths into the scenario, as accepted by
:func:`simulation.loader.with_overrides`), a design and how many replications each point gets.
Problems are refused as one :class:`~simulation.errors.InputError` naming the file and field.

Example (``scenarios/sweeps/zhenhai_levers.yaml``)::

    scenario: ../zhenhai_2021_2025.yaml
    design: lhs
    points: 64
    replications: 10
    seed: 1
    factors:
      - path: levers.remediation.firms_per_year
        range: [30, 150]
        integer: true
      - path: levers.energy.cap
        name: energy_cap_scale
        range: [0.9, 1.1]
        scale: true          # multiplies every year's cap
        years: [2023, 2024, 2025]   # ...or only these years' (optional)

Other keys: ``set:`` fixed overrides of the base scenario (path: value); ``outputs:`` the
indicators to keep (default all); ``targets: false`` skips target attainment; ``chunk:`` runs per
shard (default 32); ``common_random_numbers: true`` gives every point the seeds of point 0.
A sensitivity spec has ``method: sobol | morris``, ``n``, ``outputs`` (see
:mod:`simulation.experiments.sensitivity`) and ranges only.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from scipy.stats import qmc

from .. import limits
from ..errors import InputError
from ..loader import _as_input_error, confine, project_roots, read_yaml, refuse_other_kind
from ..quantity import refuse_loose_numbers

ISHIGAMI_FACTORS = ("x1", "x2", "x3")
NOTES = ("source", "assume")  # a factor's citation or assumption
Value = bool | int | float | str


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _strict_numbers(cls, data):
        return refuse_loose_numbers(cls, data)


class Factor(_Strict):
    """One swept lever or parameter.

    ``range: [lo, hi]`` draws from the interval (``integer: true``: the integers lo..hi);
    ``values: [...]`` draws from a list. ``scale: true`` multiplies the base value instead of
    replacing it; ``years`` sets only those years (e.g. of an energy cap, or of a lever from the first
    simulated year on, the base year being history: a single value is spread over the run first).
    ``levels`` is the number of grid values taken from a range in a ``grid`` design.
    ``source`` / ``assume``: where the range comes from, or why it is assumed (as a scenario's
    numbers say it); text only, outside the spec's hash, so a reworded note keeps a store resumable.
    """

    path: str = Field(min_length=1)
    name: str | None = None
    range: tuple[float, float] | None = None
    values: list[Value] | None = Field(default=None, min_length=1)
    integer: bool = False
    scale: bool = False
    years: list[int] | None = Field(default=None, min_length=1)
    levels: int | None = Field(default=None, ge=2, le=100_000)
    source: str | None = Field(default=None, min_length=1)
    assume: str | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _one_domain(self) -> Factor:
        if (self.range is None) == (self.values is None):
            raise ValueError("give either range: [lo, hi] or values: [...]")
        if self.range is not None and not self.range[0] < self.range[1]:
            raise ValueError("range: the lower bound must be below the upper bound")
        if self.integer and self.range is not None and math.ceil(self.range[0]) > math.floor(self.range[1]):
            raise ValueError(f"integer: true, but range {list(self.range)} holds no whole number")
        if self.scale and self.values is not None and not all(isinstance(v, (int, float)) for v in self.values):
            raise ValueError("scale: true needs numeric values")
        return self

    @property
    def label(self) -> str:
        """The factor's column name in ``design.parquet``."""
        return self.name or self.path

    @property
    def bounds(self) -> tuple[float, float]:
        """``range``'s (lo, hi); only for a range factor."""
        assert self.range is not None, "a values: factor has no bounds"
        return self.range

    @property
    def whole_bounds(self) -> tuple[int, int]:
        """The least and greatest whole numbers of the range: an integer factor's design keeps within them."""
        return math.ceil(self.bounds[0]), math.floor(self.bounds[1])


class _Common(_Strict):
    scenario: str | None = None
    model: Literal["scenario", "ishigami"] = "scenario"
    set: dict[str, Any] = Field(default_factory=dict)
    factors: list[Factor] = Field(min_length=1)
    replications: int = Field(default=1, ge=1)
    seed: int = Field(default=0, ge=0)
    common_random_numbers: bool = False
    chunk: int = Field(default=32, ge=1)

    @model_validator(mode="after")
    def _model_and_factors(self):
        if self.model == "scenario" and not self.scenario:
            raise ValueError("scenario: give the base scenario file (relative to this spec), or model: ishigami")
        if self.model == "ishigami":
            if self.scenario or self.set:
                raise ValueError("model: ishigami takes no scenario and no set:")
            if any(f.path not in ISHIGAMI_FACTORS for f in self.factors):
                raise ValueError(f"model: ishigami has the factors {', '.join(ISHIGAMI_FACTORS)}")
        labels = [f.label for f in self.factors]
        if len(set(labels)) != len(labels):
            raise ValueError("factors: two factors share a name (give each a distinct name:)")
        if "point" in labels:
            raise ValueError("factors: 'point' is reserved for the design point id")
        return self

    def points_per_chunk(self) -> int:
        """Design points per shard: about ``chunk`` runs, never split a point."""
        return max(1, self.chunk // self.replications)


class SweepSpec(_Common):
    """A sweep: a design over factors, replications per point, the outputs to keep."""

    design: Literal["grid", "lhs", "sobol", "halton"]
    points: int | None = Field(default=None, ge=1)
    outputs: list[str] | None = Field(default=None, min_length=1)
    targets: bool = True

    @model_validator(mode="after")
    def _design(self) -> SweepSpec:
        if self.design == "grid":
            if self.points is not None:
                raise ValueError("points: a grid has one point per combination; give levels: per range factor instead")
            if any(f.range is not None and f.levels is None for f in self.factors):
                raise ValueError("factors: a grid needs levels: for every range factor")
        elif self.points is None:
            raise ValueError(f"points: a {self.design} design needs the number of points")
        elif self.design == "sobol" and self.points & (self.points - 1):
            raise ValueError("points: a sobol design needs a power of 2 (e.g. 64, 128, 256)")
        _check_job(self.point_count(), self.replications)
        return self

    def point_count(self) -> int:
        """Design points (a grid's product of levels, computed without building it)."""
        if self.design != "grid":
            assert self.points is not None  # the validator requires points: for a sampled design
            return int(self.points)
        return math.prod(len(f.values) if f.values is not None else int(f.levels or 0) for f in self.factors)


class SensitivitySpec(_Common):
    """A global sensitivity analysis: SALib Sobol' (Saltelli sampling) or Morris."""

    method: Literal["sobol", "morris"]
    n: int = Field(ge=2)
    # the same seeds at every point, so that the model's own noise is not read as factor effects
    common_random_numbers: bool = True
    second_order: bool = True
    levels: int = Field(default=4, ge=2)
    outputs: list[str] = Field(min_length=1)
    conf_level: float = Field(default=0.95, gt=0, lt=1)
    resamples: int = Field(default=1000, ge=10, le=100_000)  # bootstrap draws, each of N values

    @model_validator(mode="after")
    def _ranges(self) -> SensitivitySpec:
        if any(f.range is None for f in self.factors):
            raise ValueError("factors: sensitivity analysis needs range: [lo, hi] for every factor")
        if self.method == "sobol" and self.n & (self.n - 1):
            raise ValueError("n: Saltelli sampling needs a power of 2 (e.g. 256, 512)")
        _check_job(self.point_count(), self.replications)
        return self

    def point_count(self) -> int:
        """Design points SALib draws: N(2D+2) for Sobol' with second order, N(D+2) without, N(D+1) for Morris."""
        d = len(self.factors)
        per = (2 * d + 2 if self.second_order else d + 2) if self.method == "sobol" else d + 1
        return self.n * per


def _check_job(points: int, replications: int) -> None:
    """Bounds on points and runs (a ValueError becomes one line naming the spec file)."""
    try:
        limits.check_size(points, limits.MAX_POINTS, limits.BYTES_PER_POINT, "design points")
        limits.check_size(points * replications, limits.MAX_SWEEP_RUNS, limits.BYTES_PER_POINT // 4,
                          "runs (points × replications)")
    except InputError as exc:
        raise ValueError(str(exc)) from None


def load_spec(path: str | Path, kind: type[_Common] = SweepSpec) -> tuple[_Common, Path | None]:
    """Read and validate a spec file; return it with the base scenario's resolved path."""
    path = Path(path)
    raw = read_yaml(path)
    refuse_other_kind(raw, "sweep or sensitivity spec", str(path))
    try:
        spec = kind.model_validate(raw)
    except ValidationError as exc:
        raise _as_input_error(exc, str(path), kind) from None
    base = None
    if spec.model == "scenario":
        assert spec.scenario is not None  # the validator requires scenario: when model is scenario
        confine(path.parent / spec.scenario, project_roots(path), file=str(path), field="scenario")
        base = (path.parent / spec.scenario).resolve()
        if not base.is_file():
            raise InputError(f"file {spec.scenario!r} not found next to this spec", file=str(path), field="scenario")
    return spec, base


def spec_hash(spec: _Common, scenario_digest: str | None) -> str:
    """SHA-256 of the validated spec and of the base scenario's content."""
    notes = {"factors": {"__all__": set(NOTES)}}  # text about a factor, not what is run
    body = {"spec": spec.model_dump(mode="json", exclude=notes), "kind": type(spec).__name__, "scenario": scenario_digest}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode("utf-8")).hexdigest()


# --- designs -------------------------------------------------------------------------------


def design_frame(spec: SweepSpec) -> pd.DataFrame:
    """The design: one row per point (``point`` then one column per factor)."""
    if spec.design == "grid":
        axes = [_grid_axis(f) for f in spec.factors]
        rows = list(itertools.product(*axes))
        frame = pd.DataFrame(rows, columns=[f.label for f in spec.factors])
    else:
        unit = unit_sample(spec.design, len(spec.factors), spec.point_count(), spec.seed)
        frame = from_unit(unit, spec.factors)
    frame.insert(0, "point", np.arange(len(frame), dtype=np.int64))
    return frame


def unit_sample(design: str, dims: int, points: int, seed: int) -> np.ndarray:
    """``points`` × ``dims`` in the unit cube from a scrambled ``scipy.stats.qmc`` engine."""
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    if design == "lhs":
        return qmc.LatinHypercube(d=dims, rng=rng).random(points)
    if design == "halton":
        return qmc.Halton(d=dims, scramble=True, rng=rng).random(points)
    return qmc.Sobol(d=dims, scramble=True, rng=rng).random_base2(int(math.log2(points)))


def from_unit(unit: np.ndarray, factors: list[Factor]) -> pd.DataFrame:
    """Map unit-cube coordinates onto each factor's range or list of values."""
    columns: dict[str, Any] = {}
    for j, f in enumerate(factors):
        u = unit[:, j]
        if f.values is not None:
            index = np.minimum((u * len(f.values)).astype(int), len(f.values) - 1)
            columns[f.label] = [f.values[i] for i in index]
        elif f.integer:
            lo, hi = f.whole_bounds
            columns[f.label] = np.minimum(lo + np.floor(u * (hi - lo + 1)), hi).astype(np.int64)
        else:
            columns[f.label] = f.bounds[0] + u * (f.bounds[1] - f.bounds[0])
    return pd.DataFrame(columns)


def scale_to_factors(sample: np.ndarray, factors: list[Factor]) -> pd.DataFrame:
    """A sample already on the factors' ranges (SALib's) as a design, rounding integer factors."""
    frame = pd.DataFrame(sample, columns=[f.label for f in factors])
    for f in factors:
        if f.integer:  # the nearest whole number within the range (rint alone could leave it: 0.2 → 0)
            frame[f.label] = np.clip(np.rint(frame[f.label]), *f.whole_bounds).astype(np.int64)
    frame.insert(0, "point", np.arange(len(frame), dtype=np.int64))
    return frame


def _grid_axis(f: Factor) -> list:
    if f.values is not None:
        return list(f.values)
    assert f.levels is not None  # the grid validator requires levels: on every range factor
    axis = np.linspace(f.bounds[0], f.bounds[1], f.levels)
    if not f.integer:
        return axis.tolist()
    lo, hi = f.whole_bounds
    return sorted({min(max(int(round(v)), lo), hi) for v in axis})
