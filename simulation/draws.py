"""Random numbers keyed by firm: the same firm gets the same draw for the same event, whoever else exists.

Drawing ``rng.random(len(pop))`` ties each firm's luck to its row in the arrays. A lever that
closes one more firm then shifts every later row's draws, and two scenarios run at the same seed
share no randomness after their first difference: paired comparisons and sensitivity indices drown
in noise (raising Zhenhai's remediation from 69 to 70 firms a year moved 2025 value added as much
as a new seed did). Here a draw is a function of (replication key, event, time, firm id), so each
firm keeps its own luck under any lever setting and common random numbers survive.

The function is counter-based, as in Random123 (Salmon et al. 2011, SC'11): the i-th output of the
SplitMix64 sequence (Steele, Lea & Flood 2014, OOPSLA) started at a key hashed from the replication
and the event, evaluated at i = firm id. One multiply-add and the SplitMix64 finaliser per draw.
"""

from __future__ import annotations

import zlib
from functools import lru_cache
from types import ModuleType

import numpy as np
from scipy.special import ndtr, ndtri

_MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15  # SplitMix64's increment: 2^64 / golden ratio


def _mix_int(z: int) -> int:
    """SplitMix64's finaliser on one Python int (arbitrary precision, masked to 64 bits)."""
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


def _mix(z: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser, in place on a fresh uint64 array (numpy's array arithmetic wraps modulo 2^64)."""
    z ^= z >> np.uint64(30)
    z *= np.uint64(0xBF58476D1CE4E5B9)
    z ^= z >> np.uint64(27)
    z *= np.uint64(0x94D049BB133111EB)
    z ^= z >> np.uint64(31)
    return z


def uniform_at(start: np.uint64, ids: np.ndarray) -> np.ndarray:
    """The uniform of each id in the sequence that starts at ``start`` (see :meth:`FirmDraws.start`):
    SplitMix64's id-th output, its top 53 bits centred in their cell, on the open interval (0, 1)."""
    z = np.asarray(ids, dtype=np.int64).view(np.uint64) * np.uint64(_GOLDEN)  # ids are non-negative
    z += start
    return ((_mix(z) >> np.uint64(11)).astype(np.float64) + 0.5) * 2.0**-53


@lru_cache(maxsize=1 << 14)
def _event_hash(event: str, time: int) -> int:
    """The hash of (event, time) in :meth:`FirmDraws.start`: the same in every replication, so kept
    (a batch asks for the same few hundred events and months again and again)."""
    return _mix_int((zlib.crc32(event.encode()) << 32) | (int(time) & 0xFFFFFFFF))


_kernels: ModuleType | None = None  # simulation.processes.kernels, once imported


def _compiled_for(n: int) -> ModuleType | None:
    """:func:`.processes.kernels.compiled_for`, imported on first use (kernels itself draws with
    uniform_at) and kept: an import statement per draw costs more than a small draw."""
    global _kernels
    if _kernels is None:
        from .processes import kernels

        _kernels = kernels
    return _kernels.compiled_for(n)


class FirmDraws:
    """Uniform and normal draws, one per firm id, for a named event at a time (month or year).

    Parameters
    ----------
    seed : numpy.random.SeedSequence
        The replication's seed; its state is the key.
    """

    def __init__(self, seed: np.random.SeedSequence):
        self.key = int(seed.generate_state(1, np.uint64)[0])

    def start(self, event: str, time: int) -> np.uint64:
        """Where the event's SplitMix64 sequence starts: a hash of (replication, event, time)."""
        return np.uint64(_mix_int(self.key ^ _event_hash(event, time)))

    def uniform(self, ids: np.ndarray, event: str, time: int) -> np.ndarray:
        """Uniform on the open interval (0, 1): the top 53 bits, centred in their cell."""
        compiled = _compiled_for(len(ids))  # one compiled pass where numba is in use (same bits)
        if compiled is not None:
            return compiled.uniforms(self.start(event, time), np.asarray(ids, dtype=np.int64))
        return uniform_at(self.start(event, time), ids)

    def normal(self, ids: np.ndarray, event: str, time: int) -> np.ndarray:
        """Standard normal, by the inverse distribution function of :meth:`uniform`."""
        return ndtri(self.uniform(ids, event, time))

    def laplace(self, ids: np.ndarray, event: str, time: int) -> np.ndarray:
        """Standard Laplace (scale 1, s.d. √2), by the inverse distribution function of :meth:`uniform`."""
        compiled = _compiled_for(len(ids))
        if compiled is not None:  # compiled passes around numpy's log1p (its bits)
            u = compiled.uniforms(self.start(event, time), np.asarray(ids, dtype=np.int64))
            tails = compiled.laplace_tails(u)
            np.log1p(tails, out=tails)
            compiled.laplace_signs(u, tails)
            return tails
        u = self.uniform(ids, event, time) - 0.5
        return -np.sign(u) * np.log1p(-2.0 * np.abs(u))

    def choice(self, ids: np.ndarray, event: str, time: int, p: np.ndarray) -> np.ndarray:
        """Category ``k`` with probability ``p[k]`` (``p`` need not sum to 1), one per id."""
        cum = np.cumsum(np.asarray(p, dtype=float))
        u = self.uniform(ids, event, time) * cum[-1]
        return np.minimum(np.searchsorted(cum, u, side="right"), len(cum) - 1)


# Bulk draws of numpy's Generator for the base population (a dozen columns of every firm): the
# Generator's normals and uniforms, transformed by numpy's vector functions, are some 30% (log-normal)
# and 70% (Gumbel) quicker than its own lognormal and gumbel, which call the C library per value.


def lognormal(rng: np.random.Generator, mean: float, sigma: float, size: int,
              out: np.ndarray | None = None) -> np.ndarray:
    """Log-normal draws: ``exp(mean + sigma * z)``, z standard normal (into ``out``, if given, of ``size``)."""
    z = rng.standard_normal(size) if out is None else rng.standard_normal(out=out)
    z *= sigma
    z += mean
    return np.exp(z, out=z)


def mean_one(sd, z):
    """exp(sd·z − sd²/2): a log-normal factor of log s.d. ``sd`` whose mean is one, for standard
    normal ``z`` (scalars or arrays): a year's swing about a rate, which leaves the rate's mean."""
    return np.exp(sd * z - sd**2 / 2)


def lognormal_below(n: int, median: float, sigma: float, threshold: float, rng: np.random.Generator) -> np.ndarray:
    """Log-normal draws (``median``, log s.d. ``sigma``) truncated below ``threshold``, by the inverse
    distribution function of a uniform on the part below (capped a hair under the line)."""
    top = ndtr(np.log(threshold / median) / sigma)
    u = rng.random(n)
    u *= top
    np.maximum(u, 1e-12, out=u)
    z = ndtri(np.minimum(u, 1.0, out=u))
    z *= sigma
    revenue = np.exp(z)
    revenue *= median
    return np.minimum(revenue, threshold * 0.999, out=revenue)


def categories(rng: np.random.Generator, p, size: int) -> np.ndarray:
    """Category ``k`` with probability ``p[k]`` (not negative, summing to about 1) for ``size`` draws:
    ``rng.choice(len(p), size, p=p)``'s draws (its cumulative shares, divided by their last, counted
    at or below a uniform each). For a few categories and many draws, one comparison pass each, in
    place of numpy's binary search per draw (some ten times as long); for a few draws (a month's
    completed projects) the search is one call, not two a category."""
    cdf = np.cumsum(np.asarray(p, dtype=float))
    cdf /= cdf[-1]
    u = rng.random(size)
    if len(cdf) > 16 or size < 256:
        return cdf.searchsorted(u, side="right")
    k = np.zeros(size, dtype=np.int64)
    for bound in cdf:
        k += u >= bound
    return k


def gumbel(rng: np.random.Generator, size: int) -> np.ndarray:
    """Standard Gumbel draws (location 0, scale 1): ``-log(-log(u))``, u uniform on (0, 1)."""
    g = rng.random(size)
    np.maximum(g, 2.0**-54, out=g)  # u = 0 would give -inf
    np.log(g, out=g)
    np.negative(g, out=g)
    np.log(g, out=g)
    return np.negative(g, out=g)
