"""What one lever buys: its causal chain, measured on common random numbers.

The scenario runs twice with the same seeds (replication r of both uses
``SeedSequence(seed, spawn_key=(0, r))``, and every firm's luck is keyed by its id), once as it is
and once with the lever moved (``--to`` a value, or ``--scale`` by a factor). Differences are taken
replication by replication, so what differs is the lever's doing, not noise.

The chain is read in three steps, each a handful of indicators:

1. **first**: what the lever does itself: firms remediated, land freed and cleared, land supplied,
   energy freed or bought, leads that sign;
2. **next**: what that does to the market: land granted to projects and expansions, projects
   started, lost or turned away, investment lost, rationing, investment and output;
3. **targets**: the modelled targets of the document the lever reaches (its chance of being met
   moves, or its median measure by at least 0.5%): the measure and the chance of being met.

Flows are summed over the run's years, stocks read at its last year. Money (亿元, 万元/亩…) is at
current prices (当年价), as the targets are judged; the ``basis`` column says which rows are. A row whose paired
difference is zero in every replication is left out: the lever does not reach it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import io
from .compare import paired_difference, pp
from .errors import InputError, nearest
from .experiments.replicate import RunResult, run_replications
from .indicators import INDICATORS
from .loader import get_path, lever_paths, scenario_hash, with_overrides
from .scenario import Scenario
from .targets import default_basis, met, money_at_current_prices, price_basis, target_series

FIRST = ("remediated_low_efficiency", "remediated_scattered", "closed_backward_capacity", "land_freed",
         "land_cleared", "land_to_other_uses", "land_supplied", "land_revitalised", "energy_freed",
         "energy_purchased", "energy_cap", "projects_arrived", "projects_large_signed", "projects_declined")
NEXT = ("land_granted_projects", "land_granted_expansion", "land_unmet_expansion", "land_waiting", "land_free",
        "projects_started", "projects_large_started", "projects_lost", "investment_lost", "energy_rationed",
        "manufacturing_investment", "value_added_above_scale", "tax_per_mu", "value_added_per_mu")
STAGES = {"first": FIRST, "next": NEXT}

COLUMNS = ["stage", "name", "indicator", "unit", "basis", "measure", "base_median", "changed_median", "diff_median",
           "diff_p10", "diff_p90", "p_met_base", "p_met_changed", "p_met_diff", "p_met_lo", "p_met_hi"]


@dataclass
class Explanation:
    lever: str
    base_value: Any
    new_value: Any
    table: pd.DataFrame  # COLUMNS, in chain order
    scenario: Scenario
    replications: int
    seed: int
    wall_time: float


def lever_value(scenario: Scenario, lever: str, *, to: float | None, scale: float | None,
                file: str | None = None) -> tuple[Any, Any]:
    """The lever's value now and after the move; bad paths and values are an :class:`InputError`
    (naming ``file``, the scenario's, and the nearest paths)."""
    if (to is None) == (scale is None):
        raise InputError("give exactly one of --to VALUE or --scale X", field="--lever")
    try:  # a lever or a parameter: a number of the scenario elsewhere (base_year, a target's value) is none
        if not lever.startswith(("levers.", "parameters.")):
            raise InputError("not under levers or parameters")
        current = get_path(scenario, lever)
    except InputError:
        known = [path for path, _, _ in lever_paths(scenario)]
        raise InputError(f"{lever!r} is no lever or parameter of the scenario{nearest(lever, known)} "
                         "(upgrade-sim levers SCENARIO --all lists them)", file=file, field="--lever") from None
    schedule = isinstance(current, dict) and current and all(isinstance(k, int) for k in current)
    if not (schedule or isinstance(current, (int, float))) or isinstance(current, bool):
        raise InputError(f"{lever!r} is not a number of the scenario", file=file, field="--lever")
    if schedule:
        return current, {y: (v * scale if scale is not None else to) for y, v in current.items()}
    return current, (current * scale if scale is not None else to)


def explain(scenario: Scenario, lever: str, *, to: float | None = None, scale: float | None = None,
            replications: int = 50, seed: int = 0, workers: int | None = 1, progress: bool = False) -> Explanation:
    """Run the scenario as it is and with ``lever`` moved, on the same seeds; read the chain."""
    start = time.perf_counter()
    before, after = lever_value(scenario, lever, to=to, scale=scale)
    try:
        changed = with_overrides(scenario, {lever: after}, file="--lever")
    except InputError as exc:
        raise InputError(f"the scenario refuses {after!r} for {lever} ({str(exc).split(': ')[-1]})",
                         field="--to" if to is not None else "--scale") from None
    base = run_replications(scenario, replications, seed, workers=workers, progress=progress)
    moved = run_replications(changed, replications, seed, workers=workers, progress=progress)
    table = chain_table(base, moved)
    return Explanation(lever, before, after, table, scenario, replications, seed, time.perf_counter() - start)


def chain_table(base: RunResult, moved: RunResult) -> pd.DataFrame:
    """Paired differences along the chain (rows the lever does not reach left out)."""
    sc = base.scenario
    first, last = sc.base_year + 1, sc.end_year
    # money at current prices, as the targets below are judged
    base_shown, moved_shown = (money_at_current_prices(r.indicators, r.scenario) for r in (base, moved))
    rows = []
    for stage, names in STAGES.items():
        for name in names:
            ind = INDICATORS[name]
            a, b = _measure(base_shown, name, ind.flow, first, last), _measure(moved_shown, name, ind.flow, first, last)
            row = _row(stage, ind.label, name, ind.unit, default_basis(name, "level"),
                       f"Σ{first}–{last}" if ind.flow else str(last), a, b)
            if row is not None:
                rows.append(row)
    for t in sc.targets:
        if not t.modelled or t.indicator is None:
            continue
        a = target_series(base.indicators, t, base.scenario).sort_index().to_numpy(float)
        b = target_series(moved.indicators, t, moved.scenario).sort_index().to_numpy(float)
        measure = f"{t.year} {t.op}{t.value:g}" + ("" if t.measure == "level" else f" ({t.measure} since {t.since})")
        row = _row("targets", t.name, t.indicator, t.unit or INDICATORS[t.indicator].unit, price_basis(t), measure, a, b,
                   keep=True)
        assert row is not None  # keep=True always gives a row
        met_a, met_b = met(a, t), met(b, t)
        pd_ = paired_difference(met_b, met_a)
        row.update(p_met_base=float(met_a.mean()), p_met_changed=float(met_b.mean()), p_met_diff=pd_["diff"],
                   p_met_lo=pd_["diff_lo"], p_met_hi=pd_["diff_hi"])
        moved_enough = abs(row["diff_median"]) >= 0.005 * abs(row["base_median"]) if np.isfinite(row["diff_median"]) else False
        if pd_["diff"] != 0 or moved_enough:  # a short table: targets the lever reaches
            rows.append(row)
    return pd.DataFrame(rows, columns=COLUMNS)


def _measure(indicators: pd.DataFrame, name: str, flow: bool, first: int, last: int) -> np.ndarray:
    rows = indicators[indicators["indicator"] == name]
    wide = rows.pivot(index="replication", columns="year", values="value").sort_index()
    return (wide[[y for y in wide.columns if first <= y <= last]].sum(axis=1) if flow else wide[last]).to_numpy(float)


def _row(stage, label, indicator, unit, basis, measure, a, b, *, keep: bool = False) -> dict | None:
    diff = b - a
    finite = np.isfinite(diff)
    if not keep and (not finite.any() or np.all(diff[finite] == 0)):
        return None
    q = np.nanquantile(diff, [0.1, 0.5, 0.9]) if finite.any() else (np.nan,) * 3
    return {"stage": stage, "name": label, "indicator": indicator, "unit": unit, "basis": basis, "measure": measure,
            "base_median": float(np.nanmedian(a)) if np.isfinite(a).any() else np.nan,
            "changed_median": float(np.nanmedian(b)) if np.isfinite(b).any() else np.nan,
            "diff_median": float(q[1]), "diff_p10": float(q[0]), "diff_p90": float(q[2]),
            "p_met_base": np.nan, "p_met_changed": np.nan, "p_met_diff": np.nan, "p_met_lo": np.nan, "p_met_hi": np.nan}


STAGE_TITLES = {"first": "first: what the lever does", "next": "next: land, projects, output", "targets": "targets"}


def format_explanation(ex: Explanation) -> str:
    """The chain as a short table: paired differences (median and 10–90%) and ΔP(met) for targets."""
    def short(v):
        return f"{v:g}" if not isinstance(v, dict) else "{" + ", ".join(f"{y}: {x:g}" for y, x in v.items()) + "}"

    lines = [(f"{ex.lever}: {short(ex.base_value)} → {short(ex.new_value)}   "
              f"({ex.replications} paired replications, seed {ex.seed})")]
    for stage, group in ex.table.groupby("stage", sort=False):
        lines.append(f"\n  {STAGE_TITLES[stage]}")
        for r in group.itertuples():
            label = f"{r.name} [{r.measure}]"
            cell = f"{r.diff_median:+10.4g}  ({r.diff_p10:+.4g} … {r.diff_p90:+.4g})"
            extra = ""
            if stage == "targets":
                extra = (f"   P(met) {r.p_met_base:.0%} → {r.p_met_changed:.0%} "
                         f"({pp(r.p_met_diff)} [{pp(r.p_met_lo)}, {pp(r.p_met_hi)}])")
            unit = r.unit if isinstance(r.unit, str) else ""
            lines.append(f"    {label:<44.44} {r.base_median:>10.4g} {unit:<8.8} Δ {cell}{extra}")
    if ex.table.empty:
        lines.append("  the lever changes nothing the model measures")
    return "\n".join(lines)


def write_explanation(ex: Explanation, out: str | Path, *, scenario_file: str | None = None) -> Path:
    out = Path(out)
    io.write_csv(out / "explain.csv", ex.table)
    io.write_json(out / "manifest.json", {
        "kind": "explain",
        "scenario": ex.scenario.name,
        "scenario_file": scenario_file,
        "scenario_hash": scenario_hash(ex.scenario),
        "lever": ex.lever,
        "base_value": ex.base_value if not isinstance(ex.base_value, dict) else {str(k): v for k, v in ex.base_value.items()},
        "new_value": ex.new_value if not isinstance(ex.new_value, dict) else {str(k): v for k, v in ex.new_value.items()},
        "seed": ex.seed,
        "replications": ex.replications,
        "wall_time_seconds": round(ex.wall_time, 3),
        "written": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "versions": io.versions(),
    })
    return out
