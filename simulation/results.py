"""The files of a run: indicators.parquet, flows.parquet, targets.csv, manifest.json, scenario.yaml."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd
import yaml

from . import io
from .errors import InputError
from .experiments.replicate import RunResult
from .intervals import LEVEL, METHOD, with_interval
from .loader import scenario_hash, validate
from .provenance import provenance

TARGET_COLUMNS = ["indicator", "label", "year", "op", "target", "p_met", "p_met_lo", "p_met_hi", "median", "p10", "p90", "modelled", "source",
                  "name", "measure", "since", "basis", "unit", "theme", "reason", "fixed", "fixed_by", "rationed"]


def write_run(result: RunResult, out: str | Path, *, scenario_file: str | None = None) -> Path:
    """Write a run's files into ``out``, each atomically, between two manifests: one that says the
    folder is being written (first: a folder cut short is the tool's own, and says so) and the whole one (last)."""
    out = Path(out)
    manifest = _run_manifest(result, scenario_file)
    io.write_json(out / "manifest.json", {**manifest, "status": io.WRITING})
    io.write_parquet(out / "indicators.parquet", result.indicators)
    io.write_parquet(out / "flows.parquet", result.flows)
    io.write_csv(out / "targets.csv", result.targets[TARGET_COLUMNS])
    io.write_text(out / "scenario.yaml", yaml.safe_dump(result.scenario.model_dump(mode="json"), allow_unicode=True, sort_keys=False))
    if result.firms is not None:
        io.write_parquet(out / "firms.parquet", result.firms)
    io.write_json(out / "manifest.json", manifest)
    return out


def _run_manifest(result: RunResult, scenario_file: str | None) -> dict:
    return {
        "kind": "run",
        "scenario": result.scenario.name,
        "scenario_file": scenario_file,
        "scenario_path": str(Path(scenario_file).resolve()) if scenario_file else None,  # a re-run replaces these
        "scenario_hash": scenario_hash(result.scenario),
        "seed": result.seed,
        "replications": result.replications,
        "wall_time_seconds": round(result.wall_time, 3),
        "written": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "p_met_interval": f"{LEVEL:.0%} {METHOD}",
        **provenance(),
        "versions": io.versions(),
    }


def read_run(out: str | Path) -> RunResult:
    """Read back what :func:`write_run` wrote."""
    out = Path(out)
    manifest_path = out / "manifest.json"
    if not manifest_path.is_file():
        raise InputError("no manifest.json: not a finished run folder", file=str(out))
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    if manifest.get("status") == io.WRITING:
        raise InputError("was cut short while its files were written; run the same command again (it replaces them)",
                         file=str(out))
    scenario = validate(yaml.safe_load((out / "scenario.yaml").read_text(encoding="utf-8")), file=str(out / "scenario.yaml"))
    targets = pd.read_csv(out / "targets.csv")
    if "p_met_lo" not in targets:  # a folder written before the interval was recorded
        targets = with_interval(targets, manifest["replications"])
    if "fixed" not in targets:  # nor whether a measure was the same in every replication
        targets["fixed"], targets["fixed_by"] = False, None
    if "rationed" not in targets:  # nor how often the energy cap rationed output
        targets["rationed"] = float("nan")
    return RunResult(
        scenario=scenario, seed=manifest["seed"], replications=manifest["replications"],
        indicators=pd.read_parquet(out / "indicators.parquet"), flows=pd.read_parquet(out / "flows.parquet"),
        targets=targets, wall_time=manifest["wall_time_seconds"],
    )


def summary_html(result: RunResult, *, rows: int = 12) -> str:
    """A short HTML table of a run for notebooks: the first modelled targets with P(met) and its interval."""
    import html

    modelled = result.targets[result.targets["modelled"].astype(bool)]
    body = "".join(
        f"<tr><td>{html.escape(str(t.name))}</td><td>{int(t.year)}</td><td>{html.escape(str(t.op))}{t.target:g}</td>"
        f"<td>{t.p_met:.0%}</td><td>{t.p_met_lo:.0%}–{t.p_met_hi:.0%}</td></tr>"
        for t in modelled.head(rows).itertuples())
    more = f"<p>… {len(modelled) - rows} more in <code>.targets</code></p>" if len(modelled) > rows else ""
    return (f"<p><b>RunResult</b> {html.escape(result.scenario.name)}: {result.replications} replications, "
            f"seed {result.seed}, {result.wall_time:.1f} s</p><table><thead><tr><th>target</th><th>year</th>"
            f"<th>goal</th><th>P(met)</th><th>{LEVEL:.0%} interval ({METHOD})</th></tr></thead><tbody>{body}</tbody>"
            f"</table>{more}")
