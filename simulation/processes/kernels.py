"""The steps that run every month over every firm, in numpy, and which version a population uses.

:mod:`.compiled` has the same functions as single compiled loops (numba), bit for bit equal to
these (``tests/test_kernels.py``), so a run may switch between them at any step. The compiled
loops pay for a large population (each numpy step makes a dozen passes over the columns, each
with a temporary array) and for a long batch of small ones (a numpy call's fixed cost, tens of
microseconds, dominates at a few thousand firms). They cost numba's start once in a process
(~0.5 s, the compiled code read from the disk cache), which a single small run would not earn
back. So the numpy steps run until the process has stepped :data:`COMPILED_AFTER` firm-months
(or a batch's first replication shows that it will: :func:`expect`), or at once for a population
of :data:`COMPILED_FROM` firms; numba is imported only then.
Where numba's disk cache does not hold the compiled steps (a new machine, a changed
:mod:`.compiled`), starting them means compiling them: ~13 s, against the 0.04-0.08 µs a firm-month
they then save. The numpy steps then run until :data:`COMPILED_AFTER_COLD` firm-months, whatever
the size, so that only a run long enough to earn the compiling back pays it (and fills the cache
for every later process).
Sums returned by these functions are numpy's; the compiled ones give the same bits
(:func:`.compiled.numpy_sum`), except that a NaN sum may be another NaN (which NaN depends on the
order of additions; only infinite or NaN columns make one).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

import numpy as np

from ..draws import uniform_at

COMPILED_FROM = 20_000  # firms
COMPILED_AFTER = 5_000_000  # firm-steps in this process (~0.5 s of numpy steps at a few thousand firms)
# firm-steps in this process before the steps are compiled where the disk cache lacks them: ~13 s of
# compiling over the 0.04-0.08 µs a compiled firm-step saves (measured from 3,000 to 10^6 firms)
COMPILED_AFTER_COLD = 200_000_000
_stepped = 0  # firm-steps taken by the numpy functions in this process (a race between threads only
# changes which of two bit-identical versions runs)
_cold: bool | None = None  # whether starting the compiled steps means compiling them; None: not yet asked


def for_size(n: int) -> ModuleType:
    """The module whose functions a step over ``n`` firms uses: this one, or :mod:`.compiled`."""
    global _stepped
    # numpy for a small population early in a process, and for any while the compiled steps are
    # unearned (``_cold`` read first: no call here once the cache is known to hold them)
    if n < COMPILED_FROM and _stepped < COMPILED_AFTER or _cold is not False and _unearned():
        _stepped += n
        return _NUMPY
    return _compiled()


def compiled_for(n: int) -> ModuleType | None:
    """:mod:`.compiled` where :func:`for_size` would pick it for ``n`` firms (not counted as a
    step), else None: for bookkeeping passes that have no numpy twin here."""
    if n < COMPILED_FROM and _stepped < COMPILED_AFTER or _cold is not False and _unearned():  # as for_size
        return None
    return _compiled()


def _unearned() -> bool:
    """Whether the compiled steps would be compiled, not loaded, and this process has not yet
    stepped enough to earn that."""
    return _stepped < COMPILED_AFTER_COLD and _compiling()


def _compiling() -> bool:
    """Whether starting the compiled steps means compiling them (asked of numba's disk cache once
    in a process; compiling fills the cache for the next)."""
    global _cold
    if _cold is None:
        _cold = not _compiled().cached()
    return _cold


def numpy_steps() -> int:
    """Firm-steps the numpy functions have taken in this process."""
    return _stepped


def expect(firm_steps: int) -> None:
    """Switch to :mod:`.compiled` now if this process is about to take ``firm_steps`` more numpy
    firm-steps and so pass :data:`COMPILED_AFTER` anyway (a batch of small replications, told by
    its first): numba's start is paid once either way, and every step after it is the quicker one
    (a Zhenhai replication ~25% quicker compiled). Where the steps would be compiled, not loaded,
    the bar is :data:`COMPILED_AFTER_COLD`. The numbers are the same."""
    global _stepped
    if _stepped + firm_steps < COMPILED_AFTER:
        return
    start = COMPILED_AFTER_COLD if _compiling() else COMPILED_AFTER
    if _stepped + firm_steps >= start:
        _stepped = max(_stepped, start)


@contextmanager
def pinned(compiled: bool) -> Iterator[None]:
    """Within this block every step takes one version, compiled or numpy, whatever the population's
    size, the firm-steps taken and the disk cache (to set the two side by side: tests, benches); the
    choice as it was afterwards."""
    global COMPILED_FROM, COMPILED_AFTER, _stepped, _cold
    saved = COMPILED_FROM, COMPILED_AFTER, _stepped, _cold
    COMPILED_FROM, COMPILED_AFTER, _stepped, _cold = (0 if compiled else 10**18), 10**18, 0, False
    try:
        yield
    finally:
        COMPILED_FROM, COMPILED_AFTER, _stepped, _cold = saved


_COMPILED: ModuleType | None = None  # imported at first use (numba loads then), kept: an import statement
# costs ~2 µs a call even when the module is loaded, and the passes ask some 400 times a replication


def _compiled() -> ModuleType:
    global _COMPILED
    if _COMPILED is None:
        from . import compiled

        _COMPILED = compiled
    return _COMPILED


def select(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``values[mask]``: the same values in the same order (so the same sums), by one compiled
    branch-free pass for float columns where the compiled steps are in use."""
    compiled = compiled_for(len(values))
    if compiled is None or values.dtype != np.float64:
        return values[mask]
    return compiled.select(values, mask)


def accrue_and_exit(ytd: np.ndarray, revenue: np.ndarray, ids: np.ndarray, hazard: np.ndarray,
                    start: np.uint64) -> np.ndarray:
    """One month: ``ytd += revenue``; rows whose exit draw (the uniform at ``start``) falls below
    their hazard, ascending."""
    ytd += revenue
    return np.flatnonzero(uniform_at(start, ids) < hazard)


def look_ahead(ytd, revenue, va_rate, intensity, quota, alive, left):
    """The energy look-ahead per firm (tce/年): its current rate of use and its claim,
    the projected use above its quota; returns (rate, claims).

    per_revenue = va_rate * intensity (tce per 万元); used = ytd / 12 * per_revenue * alive;
    rate = revenue * per_revenue * alive; projected = used + rate * left;
    claims = max(projected - quota, 0) * alive.
    """
    rate = rate_of_use(revenue, va_rate, intensity, alive)
    projected = used_so_far(ytd, va_rate, intensity, alive) + rate * left
    claims = np.maximum(projected - quota, 0.0) * alive
    return rate, claims


def rate_of_use(revenue, va_rate, intensity, alive):
    """A firm's current rate of energy use (tce/年), ``revenue * (va_rate * intensity) * alive``, as
    every look-ahead computes it (pass row subsets for a few firms: each value is the same)."""
    return revenue * (va_rate * intensity) * alive


def revenue_at(use, va_rate, intensity):
    """The revenue rate (万元/年) at which a firm uses ``use`` (tce/年): :func:`rate_of_use` turned round,
    ``use / max(va_rate * intensity, 1e-300)`` (pass row subsets for a few firms)."""
    return use / np.maximum(va_rate * intensity, 1e-300)


def used_so_far(ytd, va_rate, intensity, alive):
    """Energy used so far this year (tce), as :func:`look_ahead` computes it (pass row subsets
    for a few firms: each value is the same)."""
    return ytd / 12.0 * (va_rate * intensity) * alive


def claims_ahead(ytd, revenue, va_rate, intensity, quota, alive, left):
    """The rows with a positive claim (:func:`look_ahead`'s, ascending), their claims, the sum of all
    claims, and whether the claims and quotas are plain: no NaN claim, no sign bit set on a claim or
    a quota (so no -0.0; where they are, every other claim is 0.0). Returns (asking, asked, claimed,
    plain)."""
    return _claimants(look_ahead(ytd, revenue, va_rate, intensity, quota, alive, left)[1], quota)


def _claimants(claims, quota):
    """(asking, asked, claimed, plain) of ``claims`` against ``quota``, as :func:`claims_ahead`."""
    plain = not (np.isnan(claims).any() or np.signbit(claims).any() or np.signbit(quota).any())
    asking = np.flatnonzero(claims > 0)
    return asking, claims[asking], float(claims.sum()), plain


def rate_claims(revenue, va_rate, intensity, quota, alive):
    """The 有序用电 claim per firm (tce/年): its current rate of use above its quota's,
    ``max(rate - quota, 0) * alive`` with ``rate`` as :func:`look_ahead`'s."""
    return np.maximum(rate_of_use(revenue, va_rate, intensity, alive) - quota, 0.0) * alive


def claims_over_rate(revenue, va_rate, intensity, quota, alive):
    """:func:`claims_ahead` for :func:`rate_claims`: (asking, asked, claimed, plain)."""
    return _claimants(rate_claims(revenue, va_rate, intensity, quota, alive), quota)


def add_claims(quota, asking, asked):
    """``quota[asking] += asked`` (rows ascending, each once)."""
    quota[asking] += asked


def idle_quota(ytd, revenue, va_rate, intensity, alive, left, quota, share):
    """Quota each firm is on course to leave idle this year, times ``share`` (tce): at least 0,
    ``max(quota - projected, 0) * alive * share`` with ``projected`` as :func:`look_ahead`'s;
    returns it and its sum."""
    projected = used_so_far(ytd, va_rate, intensity, alive) + rate_of_use(revenue, va_rate, intensity, alive) * left
    idle = np.maximum(quota - projected, 0.0) * alive * share
    return idle, float(idle.sum())


def trade_idle(quota, idle, factor):
    """``quota -= idle * factor``; returns the sum of what was taken."""
    take = idle * factor
    quota -= take
    return float(take.sum())


def grant_and_short(granted, scale, quota, claims, revenue, va_rate, intensity, alive):
    """``granted *= scale; quota += granted``; returns the rows still short of their claim
    (short > 1e-9 * max(rate, 1), ascending, ``rate`` as :func:`look_ahead`'s) and by how much
    (short = claims - granted): :func:`grant_and_short_among` every row (each row's values are
    computed alone, so over every row it needs no condition on the others)."""
    return grant_and_short_among(np.arange(len(granted)), granted, scale, quota, claims, revenue, va_rate,
                                 intensity, alive)


def grant_and_short_among(rows, granted, scale, quota, claims, revenue, va_rate, intensity, alive):
    """:func:`grant_and_short` over ``rows`` (ascending) alone: where every other row's grant and
    claim are 0.0 and its quota has no sign bit (plain claims and quotas), the same quotas and the
    same rows short (``granted`` is then scaled on ``rows`` only)."""
    grants = granted[rows] * scale
    granted[rows] = grants
    quota[rows] += grants
    short = claims[rows] - grants
    rate = rate_of_use(revenue[rows], va_rate[rows], intensity[rows], alive[rows])
    kept = short > 1e-9 * np.maximum(rate, 1.0)
    return short[kept], rows[kept]


def exit_rows(rows, alive, revenue, hazard, land, quota, cert, above, tiers):
    """The firms of ``rows`` leave: returns what leaves with them, their land and quota (numpy's sums
    of the rows' values) and their number per tier code (0 规下, 1 规上, 1 + level for a certified
    firm; ``tiers`` codes); then they are gone: not alive, no output, no exit hazard, no land, no
    quota. Rows are distinct."""
    level = cert[rows].astype(np.int64)
    codes = np.where(level > 0, level + 1, above[rows].astype(np.int64))
    left = float(land[rows].sum()), float(quota[rows].sum()), np.bincount(codes, minlength=tiers)
    alive[rows] = False
    revenue[rows] = 0.0
    hazard[rows] = 0.0
    land[rows] = 0.0
    quota[rows] = 0.0
    return left


def _this_module() -> ModuleType:
    import sys

    return sys.modules[__name__]


_NUMPY = _this_module()
