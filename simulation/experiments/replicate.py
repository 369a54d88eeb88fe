"""R replications of one scenario: the frames that ``upgrade-sim run`` writes."""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import partial

import pandas as pd

from ..intervals import with_interval
from ..model import simulate
from ..panel import COLUMNS as PANEL_COLUMNS
from ..scenario import Scenario
from ..targets import evaluate_targets
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
        targets=with_interval(evaluate_targets(indicators, scenario), replications), wall_time=time.perf_counter() - start,
        firms=panel,
    )


def _run_chunk(scenario: Scenario, seed: int, point: int, firms: bool, reps):
    indicators, flows, panels = [], [], []
    for r in reps:
        result = simulate(scenario, task_seed(seed, point, r), firms=firms)
        indicators.append(result.indicators.assign(replication=r))
        flows.append(result.flows.assign(replication=r))
        if result.firms is not None:
            panels.append(result.firms.assign(replication=r))
    ind = pd.concat(indicators, ignore_index=True)[["replication", "year", "indicator", "value"]]
    flo = pd.concat(flows, ignore_index=True)[["replication", "year", "source", "target", "count"]]
    panel = pd.concat(panels, ignore_index=True)[["replication", *PANEL_COLUMNS]] if firms else None
    return ind, flo, panel
