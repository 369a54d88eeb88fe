"""Scenarios side by side on common random numbers: differences in attainment and indicators.

Every scenario runs the same replications with the same task seeds
(``SeedSequence(seed, spawn_key=(0, r))``), and the engine draws each process (growth, exits,
certification, projects…) from its own random stream, so replication r of scenario B shares most of
its randomness with replication r of the reference A. Differences are taken pair by pair, which
makes them far more precise than comparing two independent sets of runs.

- Targets are matched across scenarios by indicator, year, measure, since, comparison and value.
  For each, ``p_met`` per scenario and the paired difference to the reference: the share of
  replications where only this scenario meets it, where only the reference does, and a 90%
  interval for the difference (Newcombe's hybrid score interval for paired proportions).
- Indicators are matched by name and year: each scenario's median and 10–90% range, and the
  median and 10–90% range of the paired difference to the reference.
"""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from . import io
from .experiments.replicate import RunResult, run_replications
from .indicators import INDICATORS
from .intervals import newcombe_paired_interval, wilson_interval
from .loader import load_scenario, scenario_hash
from .provenance import provenance
from .scenario import Scenario
from .targets import default_basis, met, money_at_current_prices, target_series

Z90 = 1.6448536269514722  # two-sided 90% normal quantile

TARGET_COLUMNS = ["name", "indicator", "year", "op", "target", "measure", "since", "scenario", "p_met", "p_met_lo",
                  "p_met_hi", "diff",
                  "diff_lo", "diff_hi", "only_this", "only_reference"]
# unit and basis as targets.csv gives them: money (亿元, 万元/亩…) at current prices (当年价), the rest constant
INDICATOR_COLUMNS = ["indicator", "year", "scenario", "unit", "basis", "median", "p10", "p90", "diff_median", "diff_p10",
                     "diff_p90"]


@dataclass
class Comparison:
    """Scenarios run on common random numbers; the first is the reference."""

    runs: list[RunResult]
    names: list[str]
    targets: pd.DataFrame
    indicators: pd.DataFrame
    seed: int
    replications: int
    wall_time: float

    def __repr__(self) -> str:
        return (f"<Comparison {' vs '.join(self.names)}: {self.replications} paired replications, "
                f"{self.targets['name'].nunique() if len(self.targets) else 0} shared targets>")

    def _repr_html_(self) -> str:
        import html

        return f"<pre>{html.escape(repr(self))}\n\n{html.escape(format_comparison(self))}</pre>"


def compare(scenarios: Sequence[Scenario | str | Path], replications: int = 100, seed: int = 0, *,
            workers: int | None = 1, progress: bool = False) -> Comparison:
    """Run every scenario with the same seeds; the first one is the reference."""
    if len(scenarios) < 2:
        raise ValueError("compare needs at least two scenarios")
    start = time.perf_counter()
    loaded = [s if isinstance(s, Scenario) else load_scenario(s) for s in scenarios]
    runs = [run_replications(sc, replications, seed, workers=workers, progress=progress) for sc in loaded]
    names = unique_names([sc.name for sc in loaded])
    return Comparison(runs, names, compare_targets(runs, names), compare_indicators(runs, names), seed,
                      replications, time.perf_counter() - start)


def unique_names(names: list[str]) -> list[str]:
    """Scenario names, numbered where two are the same."""
    return [n if names.count(n) == 1 else f"{n}#{i + 1}" for i, n in enumerate(names)]


def target_key(t) -> tuple:
    return (t.indicator, t.year, t.measure, t.since if t.measure != "level" else None, t.op, float(t.value))


def compare_targets(runs: list[RunResult], names: list[str]) -> pd.DataFrame:
    """Per modelled target of the reference that every scenario shares: attainment and paired difference."""
    shared = [t for t in runs[0].scenario.targets if t.modelled
              and all(any(target_key(u) == target_key(t) for u in r.scenario.targets if u.modelled) for r in runs[1:])]
    rows = []
    for t in shared:
        reference = _met_by_replication(runs[0], t)
        for run, name in zip(runs, names):
            this = _met_by_replication(run, t)
            lo, hi = wilson_interval(this.mean(), len(this))
            rows.append({"name": t.name, "indicator": t.indicator, "year": t.year, "op": t.op, "target": t.value,
                         "measure": t.measure, "since": t.since, "scenario": name, "p_met": this.mean(),
                         "p_met_lo": float(lo), "p_met_hi": float(hi), **paired_difference(this, reference)})
    return pd.DataFrame(rows, columns=TARGET_COLUMNS)


def _met_by_replication(run: RunResult, target) -> np.ndarray:
    values = target_series(run.indicators, target, run.scenario).sort_index()
    return met(values, target)


def paired_difference(this: np.ndarray, reference: np.ndarray) -> dict[str, float]:
    """P(this) − P(reference) over paired replications, with a 90% interval (Newcombe's hybrid score:
    unlike a Wald interval it keeps a width when all discordant pairs go one way, or there are none)."""
    n = len(this)
    both, only_this_n, only_ref_n, neither = (int(np.sum(x)) for x in (this & reference, this & ~reference,
                                                                         ~this & reference, ~this & ~reference))
    only_this, only_ref = only_this_n / n, only_ref_n / n
    lo, hi = newcombe_paired_interval(both, only_this_n, only_ref_n, neither, z=Z90)
    return {"diff": only_this - only_ref, "diff_lo": lo, "diff_hi": hi, "only_this": only_this, "only_reference": only_ref}


def compare_indicators(runs: list[RunResult], names: list[str]) -> pd.DataFrame:
    """Per indicator and year that all scenarios have: levels and paired differences to the reference
    (money at current prices, as the targets are judged; the ``basis`` column says so)."""
    wide = [money_at_current_prices(r.indicators, r.scenario).pivot_table(index=["indicator", "year"], columns="replication",
                                                                         values="value") for r in runs]
    common = wide[0].index
    for w in wide[1:]:
        common = common.intersection(w.index)
    reference = wide[0].loc[common]
    frames = []
    for w, name in zip(wide, names):
        values = w.loc[common]
        diff = values - reference
        frames.append(pd.DataFrame({
            "scenario": name, "median": values.median(axis=1), "p10": values.quantile(0.1, axis=1),
            "p90": values.quantile(0.9, axis=1), "diff_median": diff.median(axis=1),
            "diff_p10": diff.quantile(0.1, axis=1), "diff_p90": diff.quantile(0.9, axis=1),
        }, index=common))
    table = pd.concat(frames).reset_index()
    table["unit"] = table["indicator"].map(lambda name: INDICATORS[name].unit if name in INDICATORS else None)
    table["basis"] = table["indicator"].map(lambda name: default_basis(name, "level"))
    return table[INDICATOR_COLUMNS].sort_values(["indicator", "year", "scenario"], kind="stable", ignore_index=True)


def write_compare(comparison: Comparison, out: str | Path, *, files: Sequence[str] | None = None) -> Path:
    """Write the comparison (and each scenario's indicators) into ``out`` between two manifests, as
    :func:`simulation.results.write_run` does: one saying it is being written, the whole one last."""
    out = Path(out)
    manifest = _compare_manifest(comparison, files)
    io.write_json(out / "manifest.json", {**manifest, "status": io.WRITING})
    io.write_csv(out / "compare_targets.csv", comparison.targets)
    io.write_parquet(out / "compare_indicators.parquet", comparison.indicators)
    for run, name in zip(comparison.runs, comparison.names):
        io.write_parquet(out / "runs" / f"{name}.parquet", run.indicators)
        io.write_text(out / "runs" / f"{name}.yaml",
                      yaml.safe_dump(run.scenario.model_dump(mode="json"), allow_unicode=True, sort_keys=False))
    io.write_json(out / "manifest.json", manifest)
    return out


def _compare_manifest(comparison: Comparison, files: Sequence[str] | None) -> dict:
    return {
        "kind": "compare",
        "scenarios": [{"name": n, "file": f, "hash": scenario_hash(r.scenario)}
                      for n, f, r in zip(comparison.names, list(files) if files else [None] * len(comparison.runs), comparison.runs)],
        "reference": comparison.names[0],
        "seed": comparison.seed,
        "replications": comparison.replications,
        "wall_time_seconds": round(comparison.wall_time, 3),
        "written": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        **provenance(),
        "versions": io.versions(),
    }


def pp(share: float, *, sign: bool = True) -> str:
    """A difference of two probabilities in percentage points: 0.052 → "+5.2 pp"."""
    return f"{100 * share:{'+' if sign else ''}.1f} pp"


def format_comparison(result: Comparison) -> str:
    """Attainment per shared target: the reference's P(met), then each other scenario's paired difference.

    Differences of probabilities are percentage points (pp), not percent: 40% → 45% is +5 pp.
    """
    if result.targets.empty:
        return "no target is shared by all scenarios; see compare_indicators.parquet for the indicators"
    reference, others = result.names[0], result.names[1:]
    head = (f"{'year':>4}  {_pad('target', 30)} {_pad('P(met) [95%] ' + reference, 24)}"
            + "".join(f" {_pad('Δ ' + n + ' (pp, 90% CI)', 30)}" for n in others))
    lines = [head]
    keys = ["name", "indicator", "year", "measure", "since", "op", "target"]
    for _, rows in result.targets.groupby(keys, sort=False, dropna=False):
        rows = rows.set_index("scenario")
        ref = rows.loc[reference]
        cells = [_pad(f"{ref['p_met']:>6.0%} [{ref['p_met_lo']:.0%}–{ref['p_met_hi']:.0%}]", 24)]
        for n in others:
            r = rows.loc[n]
            cells.append(_pad(f" {pp(r['diff'])} [{pp(r['diff_lo'])}, {pp(r['diff_hi'])}]", 31))
        first = rows.iloc[0]
        lines.append(f"{int(first['year']):>4}  {_pad(str(first['name']), 30)} " + "".join(cells))
    lines.append("P(met) [95%]: Wilson score interval. Δ: paired difference in P(met) against the reference, "
                 "in percentage points (pp); 90% interval: Newcombe's hybrid score for paired shares.")
    return "\n".join(lines)


def _pad(text: str, width: int) -> str:
    """Left-justify counting wide (CJK) characters as two columns."""
    shown = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(width - shown, 0)
