"""Approximate Bayesian computation by sequential Monte Carlo (ABC-SMC).

The population Monte Carlo sampler of Beaumont, Cornuet, Marin & Robert (2009, *Biometrika*
96:983) in the form of Toni et al. (2009, *J. R. Soc. Interface* 6:187): a uniform prior over
the bounds; generation 0 draws from the prior; generation t resamples the previous particles by
weight, perturbs them with a Gaussian kernel of twice their weighted covariance (Beaumont et al.
2009, §3) and keeps proposals whose distance is within ε_t, the ``quantile`` of the previous
generation's distances. Weights are prior / Σ_j W_j K(θ | θ_j).

Each proposal is simulated once with its own seed ``task_seed(seed, t + 1, j)`` (j: its index
in the generation's proposal order): the distance then carries the model's own noise, as the
observed history is one realisation. Proposals are made in batches and accepted in order, so
the sample does not depend on the executor. Finished generations can be saved and resumed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import multivariate_normal

DistanceBatch = Callable[[np.ndarray, int, Sequence[int]], np.ndarray]


@dataclass
class Generation:
    """One ABC-SMC population: particles (N × k), normalised weights, distances, tolerance."""

    particles: np.ndarray
    weights: np.ndarray
    distances: np.ndarray
    epsilon: float
    proposals: int  # simulated proposals (the acceptance rate is N / proposals)

    def to_json(self) -> dict:
        return {"particles": self.particles.tolist(), "weights": self.weights.tolist(),
                "distances": self.distances.tolist(), "epsilon": self.epsilon, "proposals": self.proposals}

    @classmethod
    def from_json(cls, data: dict) -> Generation:
        return cls(np.array(data["particles"], float), np.array(data["weights"], float),
                   np.array(data["distances"], float), float(data["epsilon"]), int(data["proposals"]))


def abc_smc(
    distances: DistanceBatch, bounds: Sequence[tuple[float, float]], *, particles: int = 200, generations: int = 5,
    quantile: float = 0.5, batch: int = 100, min_acceptance: float = 0.02, seed: int = 0,
    history: list[Generation] | None = None, on_generation: Callable[[list[Generation]], None] | None = None,
) -> list[Generation]:
    """Run ABC-SMC; return every generation (the last one is the posterior sample).

    Parameters
    ----------
    distances : callable
        ``distances(thetas, generation, indices) -> array``: the distance of one simulation per
        row of ``thetas``; ``indices`` number the proposals within the generation (for seeds).
    bounds : sequence of (lower, upper)
        The uniform prior.
    history : list of Generation, optional
        Generations already done (resume); the run continues after the last one.
    on_generation : callable, optional
        Called with the history after each generation (to save it).
    """
    lo, hi = np.array(bounds, float).T
    history = list(history or [])
    while len(history) < generations:
        t = len(history)
        rng = np.random.default_rng(np.random.SeedSequence(entropy=seed, spawn_key=(1, t)))
        step = _generation(distances, history[-1] if history else None, lo, hi, t, particles=particles,
                           quantile=quantile, batch=batch, min_acceptance=min_acceptance, rng=rng)
        if step is None:  # the acceptance rate fell below min_acceptance: stop with what we have
            break
        history.append(step)
        if on_generation is not None:
            on_generation(history)
    return history


def _generation(distances, prev, lo, hi, t, *, particles, quantile, batch, min_acceptance, rng) -> Generation | None:
    epsilon = np.inf if prev is None else float(np.quantile(prev.distances, quantile))
    cov = np.eye(len(lo)) if prev is None else _kernel(prev)  # the kernel perturbs from generation 1 on
    kept: list[np.ndarray] = []
    found: list[float] = []
    proposed = 0
    while len(kept) < particles:
        if prev is not None and proposed > particles / min_acceptance:
            return None
        thetas = (lo + (hi - lo) * rng.random((batch, len(lo)))) if prev is None else _perturb(prev, cov, batch, rng)
        inside = np.all((thetas >= lo) & (thetas <= hi), axis=1)  # outside the prior: density 0, never simulated
        thetas = thetas[inside]
        if len(thetas) == 0:
            continue
        d = np.asarray(distances(thetas, t, list(range(proposed, proposed + len(thetas)))), float)
        proposed += len(thetas)
        ok = np.isfinite(d) & (d <= epsilon)
        kept.extend(thetas[ok])
        found.extend(d[ok])
    theta = np.array(kept[:particles])
    dist = np.array(found[:particles])
    weights = np.ones(particles) if prev is None else _weights(theta, prev, cov)
    return Generation(theta, weights / weights.sum(), dist, epsilon, proposed)


def _kernel(prev: Generation) -> np.ndarray:
    """Twice the weighted covariance of the previous particles (Beaumont et al. 2009)."""
    cov = 2.0 * np.atleast_2d(np.cov(prev.particles, rowvar=False, aweights=prev.weights))
    return cov + 1e-12 * np.eye(cov.shape[0]) * max(np.trace(cov), 1e-12)


def _perturb(prev: Generation, cov: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    parents = prev.particles[rng.choice(len(prev.particles), size=n, p=prev.weights)]
    return parents + rng.multivariate_normal(np.zeros(cov.shape[0]), cov, size=n)


def _weights(theta: np.ndarray, prev: Generation, cov: np.ndarray) -> np.ndarray:
    kernel = multivariate_normal(mean=np.zeros(cov.shape[0]), cov=cov, allow_singular=True)
    density = np.array([np.sum(prev.weights * kernel.pdf(th - prev.particles)) for th in theta])
    return 1.0 / np.maximum(density, 1e-300)  # uniform prior: its density is constant inside


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float | Sequence[float]) -> np.ndarray:
    """Quantiles of a weighted sample (midpoint rule on the sorted cumulative weights)."""
    order = np.argsort(values)
    v, w = values[order], weights[order]
    cum = (np.cumsum(w) - 0.5 * w) / w.sum()
    return np.interp(q, cum, v)
