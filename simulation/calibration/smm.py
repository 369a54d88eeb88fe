"""Method of simulated moments: differential evolution on common random numbers.

The point estimate minimises the loss of :mod:`.objective` with
:func:`scipy.optimize.differential_evolution` (seeded, ``updating="deferred"`` so that each
generation is one parallel batch). Because the optimiser is seeded and deterministic given the
losses, a rerun that finds every loss in the cache proposes the same vectors and continues where
the previous run stopped.

Uncertainty is the SMM sandwich covariance at the optimum (e.g. Gouriéroux & Monfort 1996,
*Simulation-Based Econometric Methods*, ch. 2): with residuals r(θ) = √w (m(θ) - y)/|y|, their
Jacobian J (central differences on the same random numbers) and the covariance S of one
replication's residuals at θ̂ (the observed history is one realisation of the model), estimated
from at least 2 × (moments + 1) replications so that it has full rank (from the spec's R alone,
when R ≤ the number of moments, S is singular and the standard errors come out too small),

    Var(θ̂) ≈ (1 + 1/R) (JᵀJ)⁻¹ Jᵀ S J (JᵀJ)⁻¹.

A parameter the observations do not move (a zero column of J) is reported as not identified,
with its whole search interval as its uncertainty, and keeps the scenario's value unless that
fits worse (the optimum lay on a plateau, e.g. a selection chance capped at 1).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import differential_evolution

from ..loader import get_path
from .objective import Evaluator

Z95 = 1.959964


@dataclass
class FitResult:
    """A calibration's outcome.

    estimates: one row per parameter: ``name, path, value, se, lower, upper, identified, low_bound,
    high_bound`` (``lower``/``upper`` a 95% interval: Wald for SMM, posterior quantiles for ABC).
    """

    method: str
    estimates: pd.DataFrame
    loss: float
    trace: pd.DataFrame
    evaluations: int  # newly simulated vectors in this run
    resumed: int  # vectors found in the cache at the start
    message: str
    posterior: pd.DataFrame | None = field(default=None)

    @property
    def theta(self) -> np.ndarray:
        return self.estimates["value"].to_numpy(float)


def fit_smm(evaluator: Evaluator) -> FitResult:
    """Minimise the loss with differential evolution; sandwich uncertainty at the optimum."""
    cal = evaluator.cal
    opt = cal.spec.optimiser
    result = differential_evolution(
        evaluator, cal.bounds, seed=cal.spec.seed, maxiter=opt.maxiter, popsize=opt.popsize, tol=opt.tol,
        mutation=opt.mutation, recombination=opt.recombination, polish=False, init="latinhypercube",
        updating="deferred", workers=evaluator.map,
    )
    theta = np.asarray(result.x, float)
    se, identified = sandwich_se(evaluator, theta)
    loss = float(result.fun)
    if not identified.all():
        # where the data are indifferent the optimiser's value is arbitrary and the scenario's value
        # stands; but a flat spot can be a plateau (a chance capped at 1), where going back fits worse
        assumed = np.where(identified, theta, [assumed_value(cal, p) for p in cal.spec.parameters])
        assumed_loss = evaluator(assumed)
        if assumed_loss <= loss * (1 + 1e-9):
            theta, loss = assumed, assumed_loss
    return FitResult(
        method="smm", estimates=_estimates(cal, theta, se, identified), loss=loss,
        trace=evaluator.trace_frame(), evaluations=evaluator.simulated, resumed=evaluator.resumed,
        message=str(result.message),
    )


def assumed_value(cal, parameter) -> float:
    """The scenario's own value of ``parameter`` (its first fitted year for a schedule), within the bounds."""
    current = get_path(cal.scenario, parameter.path)
    if isinstance(current, dict):
        year = min(parameter.years) if parameter.years else cal.scenario.base_year
        current = current[max([y for y in current if y <= year], default=min(current))]
    lo, hi = parameter.bounds
    return float(min(max(float(current), lo), hi))


def residual_scale(evaluator: Evaluator) -> np.ndarray:
    """√w / |y| per moment: turns moments into weighted relative residuals."""
    return np.sqrt(evaluator.weights) / np.abs(evaluator.observed)


def jacobian(evaluator: Evaluator, theta: np.ndarray) -> np.ndarray:
    """d r / d θ by central differences (one-sided at a bound), on common random numbers."""
    cal = evaluator.cal
    scale = residual_scale(evaluator)
    cols = []
    for j, (lo, hi) in enumerate(cal.bounds):
        h = cal.spec.optimiser.curvature_step * (hi - lo)
        up, down = theta.copy(), theta.copy()
        up[j] = min(theta[j] + h, hi)
        down[j] = max(theta[j] - h, lo)
        m_up = np.nanmean(evaluator.moments(up), axis=0)
        m_down = np.nanmean(evaluator.moments(down), axis=0)
        cols.append(scale * (m_up - m_down) / (up[j] - down[j]))
    return np.column_stack(cols)


def sandwich_se(evaluator: Evaluator, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Standard errors of θ̂ and whether each parameter is identified (see the module notes)."""
    J = np.nan_to_num(jacobian(evaluator, theta))
    R = evaluator.cal.spec.replications
    reps = evaluator.replications_at(theta, max(R, 2 * (J.shape[0] + 1)))
    resid = reps * residual_scale(evaluator)
    S = np.cov(np.nan_to_num(resid), rowvar=False, ddof=1)
    S = np.atleast_2d(S)
    norms = np.linalg.norm(J, axis=0)
    identified = norms > 1e-9 * max(norms.max(), 1e-300)
    se = np.full(len(theta), np.inf)
    Ji = J[:, identified]
    if Ji.size:
        bread = np.linalg.pinv(Ji.T @ Ji)
        cov = (1.0 + 1.0 / R) * bread @ (Ji.T @ S @ Ji) @ bread
        se[identified] = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    return se, identified


def _estimates(cal, theta: np.ndarray, se: np.ndarray, identified: np.ndarray) -> pd.DataFrame:
    lo = np.array([b[0] for b in cal.bounds])
    hi = np.array([b[1] for b in cal.bounds])
    with np.errstate(invalid="ignore"):
        lower = np.where(np.isfinite(se), np.maximum(theta - Z95 * se, lo), lo)
        upper = np.where(np.isfinite(se), np.minimum(theta + Z95 * se, hi), hi)
    return pd.DataFrame({"name": cal.names, "path": [p.path for p in cal.spec.parameters], "value": theta, "se": se, "lower": lower, "upper": upper,
                         "identified": identified, "low_bound": lo, "high_bound": hi})
