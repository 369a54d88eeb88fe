"""R replications of one scenario: the frames that ``upgrade-sim run`` writes."""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd

from ..intervals import with_interval
from ..model import Region, cyclic_gc_paused, run_then_free
from ..panel import COLUMNS as PANEL_COLUMNS
from ..processes import kernels
from ..scenario import Scenario
from ..targets import ENERGY_USED, RATIONED, evaluate_targets
from .executors import Executor, chunked, map_ordered, resolve_workers
from .seeds import task_seed


@dataclass
class RunResult:
    """Replications of one scenario.

    indicators: ``replication, year, indicator, value``; flows: ``replication, year, source,
    target, count``; targets: one row per target (see :func:`simulation.targets.evaluate_targets`).
    """

    scenario: Scenario
    seed: int
    replications: int
    indicators: pd.DataFrame
    flows: pd.DataFrame
    targets: pd.DataFrame
    wall_time: float
    firms: pd.DataFrame | None = None  # the firm panel with a ``replication`` column, when asked for

    def __repr__(self) -> str:
        modelled = self.targets[self.targets["modelled"].astype(bool)]
        return (f"<RunResult {self.scenario.name}: {self.replications} replications, seed {self.seed}, "
                f"{len(modelled)} modelled targets, {self.wall_time:.1f} s>")

    def _repr_html_(self) -> str:
        """A compact table for notebooks: the modelled targets with P(met) and its interval."""
        from ..results import summary_html

        return summary_html(self)


def run_replications(
    scenario: Scenario, replications: int = 100, seed: int = 0, *, workers: int | None | Executor = 1,
    progress: bool = False, point: int = 0, firms: bool = False,
) -> RunResult:
    """Run ``replications`` of ``scenario``; replication r uses ``task_seed(seed, point, r)``.

    ``firms=True`` keeps every replication's firm panel (see :mod:`simulation.panel`) in ``.firms``.
    """
    if replications < 1:
        raise ValueError("replications must be at least 1")
    start = time.perf_counter()
    reps = list(range(replications))
    size = max(1, replications // (4 * resolve_workers(workers)))
    chunks = chunked(reps, size)
    parts = map_ordered(
        partial(_run_chunk, scenario, seed, point, firms), chunks, workers=workers, progress=progress,
        desc="replications", weights=[len(c) for c in chunks],
    )
    indicators = pd.concat([p[0] for p in parts], ignore_index=True)
    flows = pd.concat([p[1] for p in parts], ignore_index=True)
    panel = pd.concat([p[2] for p in parts], ignore_index=True) if firms else None
    return RunResult(
        scenario=scenario, seed=seed, replications=replications, indicators=indicators, flows=flows,
        targets=with_interval(evaluate_targets(_target_rows(indicators, scenario), scenario), replications),
        wall_time=time.perf_counter() - start,
        firms=panel,
    )


def _target_rows(indicators: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """The rows of the indicators some target reads, in their order: each target then picks its
    rows from these, not from all of a batch's rows (one pass over ~500 rows a replication, not one
    per target)."""
    read = {target.indicator for target in scenario.targets if target.modelled} | {RATIONED, ENERGY_USED}
    return indicators[indicators["indicator"].isin(read)]


def _run_chunk(scenario: Scenario, seed: int, point: int, firms: bool, reps):
    """The chunk's tables, each built once from the rows of all its replications (a frame per
    replication and a concat cost more than a small replication's calendar)."""
    records, flow_rows, panels = [], [], []
    n_records, n_flows = [], []
    with cyclic_gc_paused():  # see simulation.model.run_then_free
        for i, r in enumerate(reps):
            before = kernels.numpy_steps()
            rows, flows, panel = _run_one(scenario, task_seed(seed, point, r), firms)
            if i == 0:  # the rest of the chunk will take about as many steps each
                kernels.expect((kernels.numpy_steps() - before) * (len(reps) - 1))
            records += rows
            flow_rows += flows
            n_records.append(len(rows))
            n_flows.append(len(flows))
            if panel is not None:
                panels.append(panel.assign(replication=r))
    ind = _with_replication(pd.DataFrame(records, columns=["year", "indicator", "value"]), reps, n_records)
    flo = _with_replication(pd.DataFrame(flow_rows, columns=["year", "source", "target", "count"]), reps, n_flows)
    panel = pd.concat(panels, ignore_index=True)[["replication", *PANEL_COLUMNS]] if firms else None
    return ind, flo, panel


def _run_one(scenario: Scenario, seed, firms: bool):
    """One replication's indicator rows, flow rows and firm panel (or None), the region freed at once
    (:func:`simulation.model.run_then_free`: the caller pauses the collector)."""
    return run_then_free(scenario, seed, _rows, firms=firms)


def _rows(region: Region):
    return region.records, region.flow_rows, region.panel.frame() if region.panel is not None else None


def _with_replication(frame: pd.DataFrame, reps, rows_per_rep: list[int]) -> pd.DataFrame:
    """``frame`` with a first column ``replication``: each replication's number on its rows."""
    frame.insert(0, "replication", np.repeat(np.asarray(reps, dtype=np.int64), rows_per_rep))
    return frame
