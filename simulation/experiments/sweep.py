"""Sweeps: every (design point, replication) of a spec, written to a parquet store as it finishes.

::

    from simulation import sweep
    result = sweep("scenarios/sweeps/zhenhai_levers.yaml", "results/levers", workers=2)
    result.design, result.attainment          # pandas frames
    result.pooled()                           # each target's P(met) over all the design's runs
    result.indicators(["tax_per_mu"], [2025])  # read from the shards on demand

Runs are grouped into chunks of about ``chunk`` runs (whole points, fixed by the spec, not by the
executor); each chunk is one task and one shard. Replication r of point p always uses
``task_seed(seed, p, r)``, so serial, process-pool and Dask runs write identical stores, and a
resumed sweep equals an uninterrupted one. With ``common_random_numbers: true`` every point uses
the seeds of point 0 (``task_seed(seed, 0, r)``): points then differ only by their factors, which
sensitivity analysis needs (independent noise at each point would be counted as every factor's effect).
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from pydantic import BaseModel, ValidationError
from tqdm.auto import tqdm

from ..errors import InputError
from ..indicators import INDICATORS
from ..io import versions
from ..loader import get_path, load_scenario, scenario_hash, with_overrides
from ..model import simulate
from ..paths import value_at
from ..provenance import provenance
from ..scenario import Scenario
from ..targets import met, target_values
from .executors import Executor, make_executor
from .seeds import task_seed
from .spec import Factor, SweepSpec, _Common, design_frame, load_spec, spec_hash
from .store import ATTAINMENT_COLUMNS, FAILURE_COLUMNS, INDICATOR_COLUMNS, Store, empty

SpecT = TypeVar("SpecT", bound=_Common)

# --- models: what one run of one point computes ----------------------------------------------


@dataclass(frozen=True)
class ScenarioModel:
    """The simulation model on a base scenario; a point's factor values become overrides."""

    base: Scenario
    factors: tuple[Factor, ...]

    def scenario(self, values: dict[str, Any]) -> Scenario:
        overrides = {f.path: _factor_value(self.base, f, values[f.label]) for f in self.factors}
        return with_overrides(self.base, overrides, file="<sweep point>")

    def run(self, scenario: Scenario, seed: np.random.SeedSequence) -> pd.DataFrame:
        return simulate(scenario, seed).indicators[["year", "indicator", "value"]]


@dataclass(frozen=True)
class IshigamiModel:
    """Ishigami & Homma (1990): y = sin x1 + a sin² x2 + b x3⁴ sin x1, as indicator ``y`` in year 0.

    Analytic Sobol' indices are known (Saltelli et al. 2008, *Global Sensitivity Analysis*, §4.6),
    so the whole pipeline can be checked against them.
    """

    factors: tuple[Factor, ...]
    a: float = 7.0
    b: float = 0.1
    base = None

    def scenario(self, values: dict[str, Any]) -> dict[str, float]:
        return {f.path: float(values[f.label]) for f in self.factors}

    def run(self, x: dict[str, float], seed) -> pd.DataFrame:
        x1, x2, x3 = (x.get(k, 0.0) for k in ("x1", "x2", "x3"))
        y = np.sin(x1) + self.a * np.sin(x2) ** 2 + self.b * x3**4 * np.sin(x1)
        return pd.DataFrame({"year": [0], "indicator": pd.Series(["y"], dtype="str"), "value": [float(y)]})


def build_model(spec: _Common, base_path: Path | None, file: str = "<spec>"):
    """The model a spec runs, and the digest of its base scenario (``None`` for Ishigami)."""
    if spec.model == "ishigami":
        return IshigamiModel(tuple(spec.factors)), None
    assert base_path is not None  # a scenario spec names its base scenario (load_spec checks it)
    base = load_scenario(base_path)
    if spec.set:
        base = with_overrides(base, spec.set, file=f"{file} (set:)")  # the spec, where the paths are written
    model = ScenarioModel(base, tuple(spec.factors))
    for i, f in enumerate(spec.factors):  # refuse what no run could use before any run starts
        _check_factor(base, f, file, f"factors.{i}")
    return model, scenario_hash(base)


def _check_factor(base: Scenario, f: Factor, file: str, field: str) -> None:
    """The path names a number of the scenario, and the ends of the domain are values it accepts."""
    try:
        current = get_path(base, f.path)
    except InputError:
        from ..errors import nearest
        from ..loader import lever_paths

        hint = nearest(f.path, [p for p, _, _ in lever_paths(base)])
        raise InputError(f"{f.path!r} is no lever or parameter of the scenario{hint}", file=file,
                         field=f"{field}.path") from None
    schedule = isinstance(current, dict) and all(isinstance(k, int) for k in current)
    if not (schedule or isinstance(current, (int, float))) or isinstance(current, bool):
        raise InputError(f"{f.path!r} is not a number of the scenario", file=file, field=f"{field}.path")
    if f.years is not None:
        outside = [y for y in f.years if not base.base_year <= y <= base.end_year]
        if outside:
            raise InputError(f"year {outside[0]} is outside the run {base.base_year}-{base.end_year}",
                             file=file, field=f"{field}.years")
    for x in _ends(f):
        try:
            with_overrides(base, {f.path: _factor_value(base, f, x)}, file=file)
        except (InputError, ValueError, TypeError) as exc:
            reason = str(exc).split(": ")[-1] if isinstance(exc, InputError) else "not a number"
            raise InputError(f"the scenario refuses {x!r} for {f.path} ({reason})", file=file,
                             field=f"{field}.{'range' if f.range is not None else 'values'}") from None


def _ends(f: Factor) -> list[Any]:
    """The values a factor's design reaches at its ends: its range's (the whole numbers inside it,
    for an integer factor), or each of its values."""
    if f.range is None:
        return list(f.values or [])
    return list(f.whole_bounds) if f.integer else list(f.range)


def check_combinations(model: ScenarioModel, design: pd.DataFrame, file: str) -> None:
    """Refuse a design whose factors break a rule of the scenario together, where each one's ends
    alone keep it (two grading shares that sum above 1 only where both are high): found before any
    run, not as failed runs at the end.

    Only a rule over two or more factors can see a combination: a model validator of a part of the
    scenario that holds them (``parameters.grading``), or the scenario's cross-field rules
    (:mod:`simulation.rules`). Each such part is validated at each distinct combination of its
    factors' values in the design: under a millisecond a combination for a part, several (a whole
    scenario's validation) where factors meet only in the scenario's own rules. None of the shipped
    specs has either, so for them this costs nothing.
    """
    from ..loader import _as_input_error, _set_path
    from ..rules import check_rules, part_at

    base = model.base
    for part, members in _parts_with_rules(base, model.factors).items():
        holder = part_at(base, part) if part else base
        for row, combination in _combinations(design, members):
            data = holder.model_dump(mode="python")
            for f, x in zip(members, combination):
                _set_path(data, f.path.removeprefix(f"{part}.") if part else f.path, _factor_value(base, f, x), file)
            try:
                checked = type(holder).model_validate(data)
                if not part:
                    check_rules(checked, file=file)
            except ValidationError as exc:
                problem = _as_input_error(exc, file, type(holder))
                field, reason = ".".join(filter(None, (part, problem.field))), problem.reason
            except InputError as exc:
                field, reason = exc.field or "", exc.reason
            else:
                continue
            values = ", ".join(f"{f.label}={x!r}" for f, x in zip(members, combination))
            raise InputError(f"design point {int(design['point'].iloc[row])} ({values}): the scenario refuses it "
                             f"({field}: {reason}); narrow the factors' ranges", file=file, field="factors")


def _parts_with_rules(base: Scenario, factors: tuple[Factor, ...]) -> dict[str, list[Factor]]:
    """Each part of the scenario (a dotted path; "" for the whole) with a rule over two or more of
    ``factors``, and those factors."""
    from ..rules import CROSS_FIELD, part_at

    parts: dict[str, list[Factor]] = {}
    for f in factors:
        names = f.path.split(".")
        for depth in range(1, len(names)):
            part = ".".join(names[:depth])
            holder = part_at(base, part)
            if isinstance(holder, BaseModel) and _sees_fields_together(type(holder)):
                parts.setdefault(part, []).append(f)
        if any(f.path.startswith(read) for read in CROSS_FIELD):
            parts.setdefault("", []).append(f)
    return {part: members for part, members in parts.items() if len(members) > 1}


def _sees_fields_together(kind: type[BaseModel]) -> bool:
    """Whether a model has a rule over its fields together: an "after" model validator (the "before"
    ones read each number alone, as :class:`~simulation.scenario.Strict`'s does)."""
    return any(d.info.mode == "after" for d in kind.__pydantic_decorators__.model_validators.values())


def _combinations(design: pd.DataFrame, members: list[Factor]) -> list[tuple[int, tuple]]:
    """The first row of each distinct combination of ``members``' values in ``design``, with it."""
    labels = [f.label for f in members]
    first = ~design[labels].astype(str).duplicated()
    return [(int(row), tuple(design[labels].iloc[row])) for row in np.flatnonzero(first.to_numpy())]


def _factor_value(base: Scenario, f: Factor, x: Any) -> Any:
    """The value a factor sets: ``x`` itself, or ``x`` × the base (``scale``), for some years only
    (a single number is spread over the run's years first, so that some of them can differ)."""
    if isinstance(x, np.generic):
        x = x.item()
    if f.integer and not f.scale:
        x = int(x)
    return value_at(get_path(base, f.path), x, years=f.years, scale=f.scale,
                    span=range(base.base_year, base.end_year + 1))


# --- one task: a chunk of points, all their replications --------------------------------------


def run_chunk(model, root: int, replications: int, outputs: list[str] | None, targets: bool | frozenset,
              points: list[tuple[int, dict]], *, common: bool = False) -> dict[str, pd.DataFrame]:
    """Run every replication of ``points``; a failing run is recorded, never raised.

    ``targets``: attainment of every target (``True``), none, or those ``(name, year)`` in a set;
    ``common``: common random numbers, every point uses point 0's seeds.
    """
    indicators, attainment, failures = [], [], []
    for point, values in points:
        runs, key = [], 0 if common else point
        try:
            scenario = model.scenario(values)
        except Exception as exc:  # a point the schema refuses fails all its runs
            failures += [_failure(root, point, key, r, exc) for r in range(replications)]
            continue
        for r in range(replications):
            try:
                runs.append(model.run(scenario, task_seed(root, key, r)).assign(replication=r))
            except Exception as exc:  # recorded with its seed; the sweep goes on
                failures.append(_failure(root, point, key, r, exc))
        if not runs:
            continue
        frame = pd.concat(runs, ignore_index=True).assign(point=point)
        if targets and model.base is not None:
            attainment.append(point_attainment(frame, scenario, point, None if targets is True else targets))
        if outputs is not None:
            frame = frame[frame["indicator"].isin(outputs)]
        indicators.append(frame[INDICATOR_COLUMNS])
    return {
        "indicators": _concat(indicators, INDICATOR_COLUMNS),
        "attainment": _concat(attainment, ATTAINMENT_COLUMNS),
        "failures": _concat([pd.DataFrame(failures, columns=FAILURE_COLUMNS)] if failures else [], FAILURE_COLUMNS),
    }


def point_attainment(frame: pd.DataFrame, scenario: Scenario, point: int, only: frozenset | None = None) -> pd.DataFrame:
    """Attainment of every modelled target (or those ``(name, year)`` in ``only``) at one point."""
    # one replication x indicator x year cube; pivoting per target costs more than a run
    reps, rep_names = pd.factorize(frame["replication"], sort=True)
    inds, ind_names = pd.factorize(frame["indicator"])
    years, year_names = pd.factorize(frame["year"], sort=True)
    cube = np.full((len(rep_names), len(ind_names), len(year_names)), np.nan)
    cube[reps, inds, years] = frame["value"].to_numpy(dtype=float)
    where = {name: i for i, name in enumerate(ind_names)}
    rows = []
    for t in scenario.targets:
        if not t.modelled or (only is not None and (t.name, t.year) not in only):
            continue
        wide = pd.DataFrame(cube[:, where[t.indicator], :], columns=year_names.to_numpy())
        values = np.asarray(target_values(wide, t, scenario), dtype=float)
        finite = values[np.isfinite(values)]
        q = np.quantile(finite, [0.1, 0.5, 0.9]) if len(finite) else (np.nan,) * 3
        rows.append((point, t.name, t.indicator, t.year, float(met(values, t).mean()), q[1], q[0], q[2],
                     float(finite.mean()) if len(finite) else np.nan, len(values), t.measure))
    return pd.DataFrame(rows, columns=ATTAINMENT_COLUMNS)


def pooled_attainment(attainment: pd.DataFrame) -> pd.DataFrame:
    """Each target's P(met) over the whole design: the share of all its runs that meet it (each
    point's P(met) weighted by its replications), beside the lowest, median and highest P(met) of a
    point. Over a design that samples uncertain parameters from their ranges (``lhs``, ``sobol``,
    ``halton``), the pooled share is the chance of meeting the target with those parameters known
    only to lie in the ranges, each value as likely as any other; over a grid of levers, an
    average of choices, which no one makes. One row per target and year, in the attainment's order."""
    columns = ["target", "indicator", "year", "p_pooled", "p_min", "p_median", "p_max", "points", "runs"]
    if attainment.empty:
        return pd.DataFrame(columns=columns)
    frame = attainment.assign(hits=attainment["p_met"] * attainment["n"])
    by = frame.groupby(["target", "year"], sort=False)
    pooled = by.agg(indicator=("indicator", "first"), hits=("hits", "sum"), runs=("n", "sum"),
                    p_min=("p_met", "min"), p_median=("p_met", "median"), p_max=("p_met", "max"),
                    points=("point", "nunique")).reset_index()
    pooled["p_pooled"] = pooled["hits"] / pooled["runs"]
    return pooled[columns]


def _failure(root: int, point: int, key: int, replication: int, exc: BaseException) -> dict:
    seed = f"SeedSequence(entropy={root}, spawn_key=({key}, {replication}))"
    error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    return {"point": point, "replication": replication, "seed": seed, "error": error}


def _concat(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    if not frames:
        return empty(columns)
    out = pd.concat(frames, ignore_index=True)[columns]
    return out.astype(empty(columns).dtypes.to_dict())


# --- the driver -------------------------------------------------------------------------------


@dataclass
class SweepResult:
    """A finished (or partly failed) sweep: the small tables in memory, indicators on disk."""

    out: Path
    design: pd.DataFrame
    attainment: pd.DataFrame
    failures: pd.DataFrame
    manifest: dict = field(default_factory=dict)

    def indicators(self, indicators: list[str] | None = None, years: list[int] | None = None) -> pd.DataFrame:
        """``point, replication, year, indicator, value`` read from the shards."""
        return Store(self.out).indicators(indicators, years)

    def pooled(self) -> pd.DataFrame:
        """Each target's P(met) over the design (:func:`pooled_attainment`)."""
        return pooled_attainment(self.attainment)

    def summary(self) -> str:
        """One line: runs, failures, wall time."""
        m = self.manifest
        failed = len(self.failures)
        note = f", {failed} failed (see failures.parquet)" if failed else ", no failures"
        return (f"{m['runs']} runs ({m['points']} points × {m['replications']} replications; "
                f"{m['runs_this_session']} run now){note} in {m['wall_time']:.1f} s → {self.out}")


def sweep(spec: str | Path | SweepSpec, out: str | Path, *, executor: Executor | None = None,
          workers: int | None = None, dask_local: int | None = None, scheduler: str | None = None,
          progress: bool = False, base: str | Path | None = None, overwrite: bool = False) -> SweepResult:
    """Run (or resume) the sweep ``spec`` into the store ``out`` (``overwrite``: start it over).

    Parameters
    ----------
    spec : path or SweepSpec
        The spec file (or a validated spec with ``base``, the scenario file it names).
    out : path
        The store folder; rerunning on it skips finished chunks.
    executor : Executor, optional
        Overrides ``workers`` / ``dask_local`` / ``scheduler`` (see
        :func:`~simulation.experiments.executors.make_executor`; default: every core).
    progress : bool
        Show a tqdm bar (runs done, rate, ETA).
    """
    spec, base_path, file = _resolve(spec, SweepSpec, base)
    model, digest = build_model(spec, base_path, file)
    design = design_frame(spec)
    return run_design(spec, model, digest, design, out, executor=executor, workers=workers,
                      dask_local=dask_local, scheduler=scheduler, progress=progress, kind="sweep", file=file,
                      overwrite=overwrite)


def _resolve(spec: str | Path | SpecT, kind: type[SpecT], base: str | Path | None) -> tuple[SpecT, Path | None, str]:
    """A validated spec, its base scenario's path and the spec's file name for messages."""
    if isinstance(spec, (str, Path)):
        loaded, base_path = load_spec(spec, kind)
        assert isinstance(loaded, kind)
        return loaded, base_path, str(spec)
    return spec, Path(base).resolve() if base is not None else None, "<spec>"


def run_design(spec: _Common, model, digest: str | None, design: pd.DataFrame, out: str | Path, *,
               executor: Executor | None, workers, dask_local, scheduler, progress: bool, kind: str,
               outputs: list[str] | None = None, targets: bool | frozenset = True, file: str = "<spec>",
               analyse: Callable[[Store], object] | None = None, overwrite: bool = False) -> SweepResult:
    """Run every point of ``design`` under ``model`` into the store ``out`` (resuming; ``overwrite``:
    starting over, the folder cleared under the store's lock); ``analyse(store)`` writes what a whole
    design gives (a sensitivity's indices) before the store is marked complete."""
    start = time.perf_counter()
    outputs = getattr(spec, "outputs", None) if kind == "sweep" else outputs
    targets = getattr(spec, "targets", targets)
    _check_outputs(outputs, model, file)
    if isinstance(model, ScenarioModel):
        check_combinations(model, design, file)
    store = Store(out)
    key = spec_hash(spec, digest)
    reps, per = spec.replications, spec.points_per_chunk()
    manifest: dict[str, Any] = {
        "kind": kind, "spec": spec.model_dump(mode="json"), "scenario_hash": digest, "seed": spec.seed,
        "points": len(design), "replications": reps, "runs": len(design) * reps,
        "chunks": -(-len(design) // per), "points_per_chunk": per, "versions": versions(),
    }
    try:
        store.open(key, manifest, design, overwrite=overwrite)
        done = store.done_chunks()
        labels = [f.label for f in spec.factors]
        records = design[labels].to_dict("records")
        todo = [(c, [(p, records[p]) for p in range(c * per, min((c + 1) * per, len(design)))])
                for c in range(manifest["chunks"]) if c not in done]
        task = partial(run_chunk, model, spec.seed, reps, outputs, targets, common=spec.common_random_numbers)
        owned = executor is None  # close only what this call started; a caller's executor stays open
        executor = executor or make_executor(workers=workers, dask_local=dask_local, scheduler=scheduler)
        bar = tqdm(total=manifest["runs"], initial=len(design) * reps - sum(len(t[1]) for t in todo) * reps,
                   desc=kind, unit="runs", disable=not progress, smoothing=0.1)
        with bar:
            try:
                for i, parts in executor.imap_unordered(_ChunkTask(task), todo):
                    store.write_chunk(todo[i][0], parts)
                    bar.update(len(todo[i][1]) * reps)
            finally:
                if owned:
                    executor.close()
        elapsed = time.perf_counter() - start
        extra = {"wall_time": elapsed, "runs_this_session": sum(len(t[1]) for t in todo) * reps,
                 "executor": executor.describe(), **provenance()}
        attainment, failures = store.gather()
        if analyse is not None:
            analyse(store)  # the whole design's analysis, written before the store says it is complete
        store.complete(extra, failures)
    finally:
        store.close()
    return SweepResult(Path(out), design, attainment, failures, store.manifest() or {})


@dataclass(frozen=True)
class _ChunkTask:
    """A picklable ``(chunk, points) -> parts`` wrapper around :func:`run_chunk`."""

    fn: Any

    def __call__(self, task):
        return self.fn(task[1])


def _check_outputs(outputs: list[str] | None, model, file: str) -> None:
    if outputs is None:
        return
    known = {"y"} if isinstance(model, IshigamiModel) else set(INDICATORS)
    for i, name in enumerate(outputs):
        if name not in known:
            from ..errors import nearest

            indicator = name.partition("@")[0].strip()
            if indicator in known:
                raise InputError(f"a sweep's outputs are indicators, recorded for every year: write {indicator!r}",
                                 file=file, field=f"outputs.{i}")
            raise InputError(f"unknown indicator {name!r}{nearest(name, known)}", file=file, field=f"outputs.{i}")
