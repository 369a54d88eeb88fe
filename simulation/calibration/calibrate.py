"""Calibrating a scenario to observed data: the entry point and the files it writes.

``calibrate(spec, out)`` fits the spec's parameters (simulated moments or ABC-SMC), then runs
the scenario at the estimate for the fit figure. ``write_calibration`` writes ``parameters.yaml``
(a partial scenario: ``extends:`` the calibrated scenario and overrides only the fitted paths,
so ``upgrade-sim run parameters.yaml`` runs the calibrated model), ``estimates.csv``,
``loss_trace.parquet``, ``posterior.parquet`` (ABC), ``fit_indicators.parquet`` and
``manifest.json`` (kind ``calibrate``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from .. import io
from ..experiments.executors import Executor, make_executor
from ..experiments.replicate import run_replications
from ..loader import scenario_hash
from ..provenance import provenance
from ..targets import money_at_current_prices
from .abc import Generation, abc_smc, weighted_quantile
from .objective import Evaluator, as_fitted, progress_bar, run_tasks, scenario_at
from .smm import FitResult, fit_smm, spans_bounds
from .spec import Calibration, load_calibration, overrides

FIT_REPLICATIONS = 40  # replications at the estimate for the fit figure and forecasts


@dataclass
class Calibrated:
    """A finished calibration: the spec, the fit and the runs at the estimate."""

    cal: Calibration
    fit: FitResult
    simulated: pd.DataFrame  # replication, year, indicator, value at the estimate
    wall_time: float
    date: str

    def __repr__(self) -> str:
        fit = self.fit
        shown = ", ".join(f"{r.name}={r.value:.4g}{'' if r.identified else ' (not identified)'}"
                          for r in fit.estimates.itertuples())
        return f"<Calibrated {self.cal.scenario.name} by {fit.method}: loss {fit.loss:.4g}; {shown}>"

    def _repr_html_(self) -> str:
        columns = ["name", "value", "se", "lower", "upper", "identified", "low_bound", "high_bound"]
        table = self.fit.estimates[columns].to_html(index=False, float_format=lambda v: f"{v:.4g}", border=0)
        return f"<p><b>Calibrated</b> {self.cal.scenario.name} ({self.fit.method}, loss {self.fit.loss:.4g})</p>{table}"


def calibrate(spec: str | Path | Calibration, out: str | Path | None = None, *, workers: int | None | Executor = 1,
              progress: bool = False, method: str | None = None) -> Calibrated:
    """Fit the spec's parameters; ``out`` holds the resumable cache (``None``: in memory only).

    ``workers`` is a process count (``1``: serial, ``None``/``0``: every core) or an open
    :class:`~simulation.experiments.executors.Executor` such as a Dask cluster.
    """
    start = time.perf_counter()
    cal = spec if isinstance(spec, Calibration) else load_calibration(spec)
    if out is not None:
        io.ensure_out_folder(out, "calibrate", fingerprint=cal.fingerprint())
    method = method or cal.spec.method
    # one pool for the whole fit: the optimiser asks for many small batches; one bar over all of them
    pool_context = contextlib.nullcontext(workers) if isinstance(workers, Executor) else make_executor(workers=workers)
    with pool_context as pool, progress_bar(cal, method, enabled=progress) as bar:
        evaluator = Evaluator(cal, out, workers=pool, progress=progress, bar=bar)
        fit = fit_smm(evaluator) if method == "smm" else fit_abc(evaluator, out)
        final = max(cal.spec.replications, FIT_REPLICATIONS)
        bar.set_postfix_str("runs at the estimate")
        runs = run_replications(scenario_at(cal.scenario, cal.spec.parameters, fit.theta), final, cal.spec.seed,
                                workers=pool)
        bar.total = bar.n + final
        bar.update(final)
    # money at current prices, as observed and as the moments were fitted
    simulated = money_at_current_prices(runs.indicators, runs.scenario)
    return Calibrated(cal, fit, simulated, time.perf_counter() - start, dt.date.today().isoformat())


def fit_abc(evaluator: Evaluator, out: str | Path | None) -> FitResult:
    """ABC-SMC posterior; the estimate is the posterior median, the interval its 2.5–97.5% range."""
    cal = evaluator.cal
    s = cal.spec.abc
    state = Path(out) / f"abc_{cal.abc_key()}.json" if out is not None else None
    history = []
    if state is not None and state.is_file():
        saved = json.loads(state.read_text(encoding="utf-8"))["generations"]
        history = [Generation.from_json(g) for g in saved[:s.generations]]  # a longer run's first generations
    resumed = len(history)
    scale = np.sqrt(evaluator.weights) / np.abs(evaluator.observed)

    def distances(thetas, t, indices):
        tasks = [(list(map(float, th)), t + 1, j) for th, j in zip(thetas, indices)]
        values = run_tasks(cal, tasks, workers=evaluator.workers, progress=evaluator.progress, desc=f"ABC gen {t} runs",
                           bar=evaluator.bar)
        d = np.array([np.sqrt(np.sum(((v - evaluator.observed) * scale) ** 2)) for v in values])
        return np.where(np.isfinite(d), d, np.inf)

    def save(hist):
        if state is not None:
            io.write_json(state, {"fingerprint": cal.fingerprint(), "abc": s.model_dump(),
                                  "generations": [g.to_json() for g in hist]})

    history = abc_smc(distances, cal.bounds, particles=s.particles, generations=s.generations, quantile=s.quantile,
                      batch=s.batch, min_acceptance=s.min_acceptance, seed=cal.spec.seed, history=history,
                      on_generation=save)
    last = history[-1]
    est = []
    for j, p in enumerate(cal.spec.parameters):
        x = last.particles[:, j]
        mean = float(np.sum(last.weights * x))
        lo, med, hi = weighted_quantile(x, last.weights, [0.025, 0.5, 0.975])
        est.append({"name": p.label, "path": p.path, "value": med, "se": float(np.sqrt(np.sum(last.weights * (x - mean) ** 2))),
                    "lower": lo, "upper": hi, "identified": not spans_bounds(lo, hi, *p.bounds),
                    "low_bound": p.bounds[0], "high_bound": p.bounds[1]})
    estimates = pd.DataFrame(est)
    estimates["value"] = as_fitted(cal.scenario, cal.spec.parameters, estimates["value"])
    loss = float(evaluator.evaluate([estimates["value"].to_numpy(float)])[0])
    trace = pd.concat([pd.DataFrame(g.particles, columns=cal.names).assign(
        generation=t, epsilon=g.epsilon, loss=g.distances ** 2, weight=g.weights, acceptance=len(g.particles) / g.proposals)
        for t, g in enumerate(history)], ignore_index=True)
    posterior = pd.DataFrame(last.particles, columns=cal.names).assign(weight=last.weights, distance=last.distances)
    return FitResult("abc", estimates, loss, trace, evaluations=sum(g.proposals for g in history[resumed:]),
                     resumed=resumed, message=f"{len(history)} generations, final tolerance {last.epsilon:.4g}",
                     posterior=posterior)


def parameter_mapping(result: Calibrated, written_to: Path, *, spec_label: str | None = None) -> dict:
    """The partial scenario for ``written_to``: ``extends:`` the scenario, fitted paths overridden."""
    cal, fit = result.cal, result.fit
    spec_label = spec_label or str(cal.file)
    values = overrides(cal.scenario, list(cal.spec.parameters), fit.theta)
    base = cal.scenario.model_dump(mode="python", exclude_none=True)
    mapping: dict = {"extends": os.path.relpath(cal.scenario_file.resolve(), written_to.resolve().parent)}
    for path, value in values.items():
        rows = fit.estimates[fit.estimates["path"] == path]
        notes = "; ".join(_describe(r) for r in rows.itertuples())
        node = base
        for part in path.split("."):
            node = node[part]
        quantity = {"value": _plain(value)}
        if node.get("unit") is not None:
            quantity["unit"] = node["unit"]
        quantity["source"] = f"calibrated: {spec_label}, {fit.method}, {result.date}; {notes}"
        _nest(mapping, path.split("."), quantity)
    return mapping


def _describe(row) -> str:
    if not row.identified:
        return f"{row.name} = {row.value:.4g} (not identified by the data: anywhere in [{row.low_bound:g}, {row.high_bound:g}])"
    return f"{row.name} = {row.value:.4g} (s.e. {row.se:.3g}; 95% interval [{row.lower:.4g}, {row.upper:.4g}])"


def _plain(value):
    if isinstance(value, dict):
        return {int(k): _plain(v) for k, v in sorted(value.items())}
    value = round(float(value), 6)
    return int(value) if value.is_integer() else value


def _nest(mapping: dict, parts: list[str], leaf) -> None:
    for part in parts[:-1]:
        mapping = mapping.setdefault(part, {})
    mapping[parts[-1]] = leaf


def write_parameters(result: Calibrated, path: str | Path, *, spec_label: str | None = None) -> Path:
    """Write the parameter file (see :func:`parameter_mapping`) to ``path``."""
    path = Path(path)
    mapping = parameter_mapping(result, path, spec_label=spec_label)
    header = (f"# Calibrated parameters ({result.fit.method}) from {spec_label or result.cal.file}.\n"
              "# A partial scenario: it extends the calibrated scenario and overrides only the fitted paths;\n"
              "# run it directly, or name it in another scenario's extends:.\n")
    io.write_text(path, header + yaml.safe_dump(mapping, allow_unicode=True, sort_keys=False, width=140))
    return path


def write_calibration(result: Calibrated, out: str | Path, *, plots: bool = True) -> Path:
    """Write a calibration's files into ``out`` (each atomically; the manifest last)."""
    out = Path(out)
    cal, fit = result.cal, result.fit
    write_parameters(result, out / "parameters.yaml")
    io.write_csv(out / "estimates.csv", fit.estimates)
    io.write_parquet(out / "loss_trace.parquet", fit.trace)
    io.write_parquet(out / "fit_indicators.parquet", result.simulated)
    if fit.posterior is not None:
        io.write_parquet(out / "posterior.parquet", fit.posterior)
    if plots:
        from ..plots.calibration import save_fit_figure
        from ..plots.fonts import resolve_lang
        from ..plots.labels import text
        from ..plots.save import stamped

        lang = resolve_lang("zh")
        with stamped(text("stamp_calibrate", lang, scenario=cal.scenario.name, replications=cal.spec.replications)):
            save_fit_figure(result.simulated, observed_rows(cal), out / "fit", fitted=cal.targets, lang=lang)
    io.write_json(out / "manifest.json", {
        "kind": "calibrate", "spec_file": str(cal.file), "scenario": cal.scenario.name,
        "scenario_file": str(cal.scenario_file), "scenario_hash": scenario_hash(cal.scenario),
        "method": fit.method, "seed": cal.spec.seed, "replications": cal.spec.replications,
        "fingerprint": cal.fingerprint(), "loss": fit.loss,
        "observations": cal.targets[["indicator", "year", "value", "weight"]].to_dict("records"), "message": fit.message,
        "evaluations_simulated": fit.evaluations, "evaluations_resumed": fit.resumed,
        "estimates": fit.estimates.to_dict("records"), "wall_time_seconds": round(result.wall_time, 3),
        "written": time.strftime("%Y-%m-%dT%H:%M:%S%z"), **provenance(), "versions": io.versions(),
    })
    return out


def observed_rows(cal: Calibration) -> pd.DataFrame:
    """Every data row of the fitted indicators within the scenario's run (base year included)."""
    d = cal.data
    keep = d["indicator"].isin(cal.targets["indicator"]) & d["year"].between(cal.scenario.base_year, cal.scenario.end_year)
    return d[keep][["indicator", "year", "value", "unit", "source"]].sort_values(["indicator", "year"]).reset_index(drop=True)
