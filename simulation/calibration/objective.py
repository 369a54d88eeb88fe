"""Simulated moments and the calibration loss, with a persistent cache of evaluations.

Every parameter vector is simulated with the same task seeds, ``task_seed(seed, 0, r)`` for
r = 0..R-1 (common random numbers), so that two vectors differ only by their parameters and the
loss surface is not blurred by fresh noise at each evaluation. The loss is

    L(θ) = Σ_i w_i ((m_i(θ) - y_i) / y_i)²

over the observed moments i (an indicator in a year), where m_i is the mean over replications.
Evaluations are kept in ``cache_<fingerprint>.json`` in the output folder (written atomically
after every batch); a rerun answers repeated vectors from it, so no evaluation is redone.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from .. import io
from ..experiments.executors import map_ordered
from ..experiments.seeds import task_seed
from ..loader import with_overrides
from ..model import simulate
from ..paths import is_count
from ..scenario import Scenario
from .spec import Calibration, FitParameter, overrides

PENALTY = 1e6  # loss when a moment cannot be computed (an indicator is NaN in every replication)


def integer_mask(scenario: Scenario, parameters: Sequence[FitParameter]) -> np.ndarray:
    """Which parameters count firms (unit 家, 个…) and so take whole numbers only."""
    return np.array([is_count(scenario, p.path) for p in parameters], dtype=bool)


def as_fitted(scenario: Scenario, parameters: Sequence[FitParameter], theta: ArrayLike) -> np.ndarray:
    """``theta`` with the firm-count parameters rounded to whole numbers (a model has no 0.4 firm)."""
    values = np.asarray(theta, dtype=float)
    return np.where(integer_mask(scenario, parameters), np.rint(values), values)


def scenario_at(scenario: Scenario, parameters: Sequence[FitParameter], theta: ArrayLike) -> Scenario:
    """``scenario`` with the fitted parameters set to ``theta`` (counts rounded to whole numbers)."""
    fitted = as_fitted(scenario, parameters, theta)
    return with_overrides(scenario, overrides(scenario, list(parameters), fitted), file="<calibration>")


def simulate_moments(
    scenario: Scenario, keys: Sequence[tuple[str, int]], seed: np.random.SeedSequence,
) -> np.ndarray:
    """One replication's values of the observed (indicator, year) moments; money at current prices,
    as it is observed (the model's own indicators are at base-year prices). Only the observed
    indicators' rows are priced and looked up (a run has some hundred indicators a year)."""
    from ..targets import money_at_current_prices

    indicators = simulate(scenario, seed).indicators
    observed = indicators[indicators["indicator"].isin({name for name, _ in keys})]
    ind = money_at_current_prices(observed, scenario)
    values = dict(zip(zip(ind["indicator"], ind["year"].tolist()), ind["value"].tolist()))
    return np.array([float(values.get(key, np.nan)) for key in keys])


def moments_run(scenario: Scenario, parameters, keys, root: int, task) -> np.ndarray:
    """One task of a fit, ``(theta, point, replication)``: that replication's moments at ``theta``."""
    theta, point, replication = task
    return simulate_moments(_fitted(scenario, parameters, theta), keys, task_seed(root, point, replication))


# the scenarios at the latest vectors in this process: (base scenario, parameters, vector's key, the
# scenario at it). A vector's replications are tasks of one function (in a worker too: executors hand
# a map's function over once), so its scenario and parameters are the same objects from task to task;
# held here, their ids cannot pass to other objects. The last few stay alive after a fit (small).
_FITTED: list[tuple[Scenario, Sequence[FitParameter], str, Scenario]] = []
_FITTED_KEPT = 4


def _fitted(scenario: Scenario, parameters: Sequence[FitParameter], theta: ArrayLike) -> Scenario:
    """:func:`scenario_at`, validated once for a vector's replications, not once each (it takes a
    tenth to a fifth as long as a Zhenhai replication)."""
    theta_key = _key(theta)
    for held_scenario, held_parameters, held_key, fitted in _FITTED:
        if held_scenario is scenario and held_parameters is parameters and held_key == theta_key:
            return fitted
    fitted = scenario_at(scenario, parameters, theta)
    _FITTED.append((scenario, parameters, theta_key, fitted))
    del _FITTED[:-_FITTED_KEPT]
    return fitted


def run_tasks(cal: Calibration, tasks: list[tuple], *, workers, progress: bool, desc: str, bar=None) -> list[np.ndarray]:
    """Simulate ``(theta, point, replication)`` tasks; one moment vector per task, in task order.

    ``bar``: the calibration's one progress bar, advanced by each finished run.
    """
    keys = list(zip(cal.targets["indicator"], cal.targets["year"].astype(int)))
    fn = partial(moments_run, cal.scenario, list(cal.spec.parameters), keys, cal.spec.seed)
    return map_ordered(fn, tasks, workers=workers, progress=progress, desc=desc, bar=bar)


def expected_runs(cal: Calibration, method: str) -> int:
    """About how many model runs a fit takes from scratch (the progress bar's total, for its ETA).

    SMM: differential evolution's initial population and ``maxiter`` generations of ``popsize × k``
    vectors, the Jacobian's 2k vectors and the covariance runs, each ``R`` replications. ABC: each
    generation keeps ``particles`` of about ``particles / quantile`` proposals. Both end with the
    runs at the estimate. An early stop ends the bar short; more proposals than expected extend it.
    """
    from .calibrate import FIT_REPLICATIONS

    k, reps = len(cal.spec.parameters), cal.spec.replications
    final = max(reps, FIT_REPLICATIONS)
    if method == "abc":
        a = cal.spec.abc
        return int(a.particles + (a.generations - 1) * a.particles / a.quantile) + final
    o = cal.spec.optimiser
    moments = len(cal.targets)
    return (o.maxiter + 1) * o.popsize * k * reps + 2 * k * reps + max(0, 2 * (moments + 1) - reps) + final


def progress_bar(cal: Calibration, method: str, *, enabled: bool):
    """One bar over the whole fit, counted in model runs, with rate and ETA."""
    from tqdm.auto import tqdm

    return tqdm(total=expected_runs(cal, method), desc=f"calibrate ({method})", unit="runs", disable=not enabled,
                dynamic_ncols=True)


def loss_of(means: np.ndarray, observed: np.ndarray, weights: np.ndarray) -> float:
    """Weighted sum of squared relative errors; :data:`PENALTY` if a moment is missing."""
    if not np.all(np.isfinite(means)):
        return PENALTY
    return float(np.sum(weights * ((means - observed) / observed) ** 2))


def _key(theta: ArrayLike) -> str:
    return json.dumps([float(x) for x in np.ravel(theta)])  # repr of floats round-trips exactly


class Evaluator:
    """Loss of parameter vectors on common random numbers, cached on disk.

    Parameters
    ----------
    cal : Calibration
        The resolved spec.
    out : path, optional
        Folder for ``cache_<fingerprint>.json``; ``None`` keeps the cache in memory only.
    workers : int or Executor, optional
        Processes for the replications (``1``: serial, ``None``/``0``: every core), or an open
        executor (see :func:`~simulation.experiments.executors.map_ordered`).
    progress : bool
        Show progress (without ``bar``: a bar per batch).
    bar : tqdm, optional
        The one bar of the whole calibration, advanced by every run (see :func:`progress_bar`).
    """

    def __init__(self, cal: Calibration, out: str | Path | None = None, *, workers=1, progress: bool = False,
                 bar=None):
        self.cal = cal
        self.workers = workers
        self.progress = progress
        self.bar = bar
        self.observed = cal.targets["value"].to_numpy(float)
        self.weights = cal.targets["weight"].to_numpy(float)
        self.path = Path(out) / f"cache_{cal.fingerprint()}.json" if out is not None else None
        self.cache: dict[str, dict] = {}
        if self.path is not None and self.path.is_file():
            stored = json.loads(self.path.read_text(encoding="utf-8"))
            self.cache = {_key(e["theta"]): e for e in stored["evaluations"]}
        self.resumed = len(self.cache)
        self.trace: list[dict] = []
        self.batches = 0
        self.simulated = 0

    def __call__(self, theta: ArrayLike) -> float:
        return float(self.evaluate([theta])[0])

    def map(self, func, iterable) -> list[float]:
        """A ``map`` for :func:`scipy.optimize.differential_evolution` (``workers=`` argument)."""
        return list(self.evaluate([np.asarray(t, float) for t in iterable]))

    def evaluate(self, thetas: Sequence[ArrayLike]) -> np.ndarray:
        """Losses of ``thetas``; only vectors not in the cache are simulated, in one parallel batch."""
        keys = [_key(t) for t in thetas]
        todo = list(dict.fromkeys(k for k in keys if k not in self.cache))
        if todo:
            self._simulate(todo)
        self.batches += 1
        for k in keys:
            entry = self.cache[k]
            self.trace.append({"batch": self.batches, "theta": entry["theta"], "loss": entry["loss"],
                               "cached": k not in todo})
        return np.array([self.cache[k]["loss"] for k in keys])

    def moments(self, theta: ArrayLike) -> np.ndarray:
        """The replication matrix (R × moments) of ``theta`` (simulated if not cached)."""
        k = _key(theta)
        if k not in self.cache:
            self._simulate([k])
        return np.array(self.cache[k]["replications"], float)

    def replications_at(self, theta: ArrayLike, n: int) -> np.ndarray:
        """``n`` replications' moments at ``theta``: the cached ones, then more on their own seeds."""
        have = self.moments(theta)
        if n <= len(have):
            return have[:n]
        point = json.loads(_key(theta))
        tasks = [(point, 0, r) for r in range(len(have), n)]
        extra = run_tasks(self.cal, tasks, workers=self.workers, progress=self.progress, desc="covariance runs",
                          bar=self.bar)
        return np.vstack([have, *extra])

    def _simulate(self, todo: list[str]) -> None:
        reps = self.cal.spec.replications
        tasks = [(json.loads(k), 0, r) for k in todo for r in range(reps)]
        values = run_tasks(self.cal, tasks, workers=self.workers, progress=self.progress,
                           desc=f"batch {self.batches + 1} runs", bar=self.bar)
        self.simulated += len(todo)
        for i, k in enumerate(todo):
            matrix = np.vstack(values[i * reps:(i + 1) * reps])
            means = np.nanmean(matrix, axis=0) if np.isfinite(matrix).any(axis=0).all() else np.full(matrix.shape[1], np.nan)
            self.cache[k] = {"theta": json.loads(k), "loss": loss_of(means, self.observed, self.weights),
                             "replications": [[float(v) if np.isfinite(v) else None for v in row] for row in matrix]}
        self._save()

    def _save(self) -> None:
        if self.path is None:
            return
        io.write_json(self.path, {"fingerprint": self.cal.fingerprint(), "parameters": self.cal.names,
                                  "evaluations": list(self.cache.values())})

    def trace_frame(self) -> pd.DataFrame:
        """Every requested evaluation in order: ``evaluation, batch, <parameters>, loss, best, cached``."""
        rows = [{"evaluation": i, "batch": t["batch"], **dict(zip(self.cal.names, t["theta"])),
                 "loss": t["loss"], "cached": t["cached"]} for i, t in enumerate(self.trace)]
        frame = pd.DataFrame(rows, columns=["evaluation", "batch", *self.cal.names, "loss", "cached"])
        frame.insert(len(frame.columns) - 1, "best", frame["loss"].cummin())
        return frame
