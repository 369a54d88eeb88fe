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
fits worse (the optimum lay on a plateau, e.g. a selection chance capped at 1). A parameter whose
95% interval reaches both ends of its search interval is not identified either: the data leave
it anywhere in the range the spec allowed (:func:`spans_bounds`).

Parameters that count firms (unit 家: a base-year stock, a yearly quota) are searched over the
integers (``integrality`` of differential evolution) and reported as whole numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import differential_evolution

from ..loader import get_path
from .objective import Evaluator, integer_mask

SPAN_TOLERANCE = 0.05  # an interval within 5% of the range's width of both bounds spans the range

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
    integers = integer_mask(cal.scenario, cal.spec.parameters)
    result = differential_evolution(
        evaluator, cal.bounds, seed=cal.spec.seed, maxiter=opt.maxiter, popsize=opt.popsize, tol=opt.tol,
        mutation=opt.mutation, recombination=opt.recombination, polish=False, init="latinhypercube",
        updating="deferred", workers=evaluator.map, integrality=integers if integers.any() else None,
    )
    theta = np.where(integers, np.rint(result.x), np.asarray(result.x, float))
    se, identified = sandwich_se(evaluator, theta)
    loss = float(result.fun)
    if not identified.all():
        # where the data are indifferent the optimiser's value is arbitrary and the scenario's value
        # stands; but a flat spot can be a plateau (a chance capped at 1), where going back fits worse
        assumed = np.where(identified, theta, [assumed_value(cal, p) for p in cal.spec.parameters])
        assumed = np.where(integers, np.rint(assumed), assumed)
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
    integers = integer_mask(cal.scenario, cal.spec.parameters)
    cols = []
    for j, (lo, hi) in enumerate(cal.bounds):
        h = cal.spec.optimiser.curvature_step * (hi - lo)
        if integers[j]:  # a whole-number step, else both sides round to the same count
            h = max(float(np.rint(h)), 1.0)
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
        se[identified] = _sandwich(Ji, S, R, widths=np.array([hi - lo for lo, hi in evaluator.cal.bounds])[identified])
    return se, identified


def spans_bounds(lower: float, upper: float, low_bound: float, high_bound: float,
                 tolerance: float = SPAN_TOLERANCE) -> bool:
    """Whether an interval reaches (within ``tolerance`` × the width) both ends of the search range.

    Such a parameter is not identified: the data allow it anywhere the spec let it go.
    """
    slack = tolerance * (high_bound - low_bound)
    return bool(lower <= low_bound + slack and upper >= high_bound - slack)


FLAT = 1e-12  # an eigenvalue of JᵀJ (on the bounds' scale) this small relative to the largest is a flat direction


def _sandwich(J: np.ndarray, S: np.ndarray, R: int, *, widths: np.ndarray) -> np.ndarray:
    """Sandwich standard errors; ``inf`` for parameters in a direction the moments (almost) do not see.

    JᵀJ is inverted through its eigen-decomposition on the scale of the search ranges (so that the
    units of the parameters do not matter). Directions with an eigenvalue below :data:`FLAT` × the
    largest are flat: a parameter loading on one of them has no finite standard error (a plain
    pseudo-inverse would drop the direction and report a tiny one).
    """
    Js = J * widths  # d r / d (θ as a share of its range)
    lam, V = np.linalg.eigh(Js.T @ Js)
    flat = lam <= FLAT * max(lam.max(), 1e-300)
    inv = np.where(flat, 0.0, 1.0 / np.where(flat, 1.0, lam))
    bread = (V * inv) @ V.T
    cov = (1.0 + 1.0 / R) * bread @ (Js.T @ S @ Js) @ bread
    se = np.sqrt(np.clip(np.diag(cov), 0.0, None)) * widths
    weak = (np.abs(V[:, flat]) > 1e-3).any(axis=1)
    return np.where(weak, np.inf, se)


def _estimates(cal, theta: np.ndarray, se: np.ndarray, identified: np.ndarray) -> pd.DataFrame:
    lo = np.array([b[0] for b in cal.bounds])
    hi = np.array([b[1] for b in cal.bounds])
    with np.errstate(invalid="ignore"):
        lower = np.where(np.isfinite(se), np.maximum(theta - Z95 * se, lo), lo)
        upper = np.where(np.isfinite(se), np.minimum(theta + Z95 * se, hi), hi)
    identified = identified & ~np.array([spans_bounds(a, b, c, d) for a, b, c, d in zip(lower, upper, lo, hi)], bool)
    return pd.DataFrame({"name": cal.names, "path": [p.path for p in cal.spec.parameters], "value": theta, "se": se, "lower": lower, "upper": upper,
                         "identified": identified, "low_bound": lo, "high_bound": hi})
