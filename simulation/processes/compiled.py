"""The monthly loops of :mod:`simulation.processes.kernels`, compiled (numba, cached on disk).

Each numpy step makes a dozen passes over the population, each allocating a temporary array;
here each step is one loop. Every float is computed by the same IEEE operations, in the same
order, as the numpy function of the same name in :mod:`.kernels` (no fast-math, so no
reassociation or fused multiply-add), and sums stay with numpy (its pairwise summation fixes
their rounding), so the results are bit for bit the same; ``tests/test_kernels.py`` checks it.

The draws are :class:`simulation.draws.FirmDraws`'s: SplitMix64 at the firm's id from a start
hashed from (replication, event, time), so each firm's draw is still a function of those alone.
"""

from __future__ import annotations

import numba
import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_ULP53 = 2.0**-53


@numba.njit(cache=True, inline="always")
def _uniform(start: np.uint64, firm: np.int64) -> float:
    """FirmDraws.uniform for one id: SplitMix64's ``firm``-th output from ``start``, top 53 bits."""
    z = np.uint64(firm) * _GOLDEN + start
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    z = z ^ (z >> _S31)
    return (np.float64(z >> _S11) + 0.5) * _ULP53


@numba.njit(cache=True)
def uniforms(start: np.uint64, ids: np.ndarray) -> np.ndarray:
    """FirmDraws.uniform for every id (for tests and small callers)."""
    out = np.empty(len(ids))
    for i in range(len(ids)):
        out[i] = _uniform(start, ids[i])
    return out


@numba.njit(cache=True)
def accrue_and_exit(ytd: np.ndarray, revenue: np.ndarray, ids: np.ndarray, hazard: np.ndarray,
                    start: np.uint64) -> np.ndarray:
    """One month: ``ytd += revenue``; rows whose exit draw falls below their hazard, ascending."""
    exited = np.empty(len(ids), dtype=np.int64)
    count = 0
    for i in range(len(ids)):
        ytd[i] += revenue[i]
        exited[count] = i  # written always, kept if the firm exits
        count += _uniform(start, ids[i]) < hazard[i]
    return exited[:count].copy()


@numba.njit(cache=True, inline="always")
def _times_alive(x: float, alive: bool) -> float:
    """``x * alive`` as numpy multiplies by a boolean (1.0 or 0.0, so 0 * inf is still NaN)."""
    return x * (1.0 if alive else 0.0)


@numba.njit(cache=True, inline="always")
def _max0(x: float) -> float:
    """``np.maximum(x, 0.0)``: NaN propagates, and an equal pair (-0.0, 0.0) gives the first.

    One comparison, so it compiles to a select rather than a branch that claims of either sign
    would mispredict."""
    return 0.0 if x < 0.0 else x


@numba.njit(cache=True)
def look_ahead(ytd, revenue, va_rate, intensity, quota, alive, left):
    """kernels.look_ahead in one pass: (rate, claims). Only these two are written out: the pass
    is bound by memory traffic, and the rest is needed for a few rows only."""
    n = len(ytd)
    rate, claims = np.empty(n), np.empty(n)
    for i in range(n):
        p = va_rate[i] * intensity[i]
        used = _times_alive(ytd[i] / 12.0 * p, alive[i])
        r = _times_alive(revenue[i] * p, alive[i])
        rate[i] = r
        claims[i] = _times_alive(_max0(used + r * left - quota[i]), alive[i])
    return rate, claims


@numba.njit(cache=True)
def claimants(claims):
    """kernels.claimants in one pass, without branches (half the firms claim, in no order a branch
    predictor could learn)."""
    n = len(claims)
    in_full, asked = np.empty(n), np.empty(n)
    count = 0
    for i in range(n):
        c = claims[i]
        positive = c > 0.0
        in_full[i] = c if positive else 0.0
        asked[count] = c  # written always, kept if positive
        count += positive
    return in_full, asked[:count].copy()


@numba.njit(cache=True)
def idle_quota(ytd, va_rate, intensity, alive, rate, left, quota, share):
    """kernels.idle_quota in one pass."""
    n = len(ytd)
    idle = np.empty(n)
    for i in range(n):
        used = _times_alive(ytd[i] / 12.0 * (va_rate[i] * intensity[i]), alive[i])
        idle[i] = _times_alive(_max0(quota[i] - (used + rate[i] * left)), alive[i]) * share
    return idle


@numba.njit(cache=True)
def grant_and_short(granted, scale, quota, claims, rate):
    """kernels.grant_and_short in one pass: (short of the rows still short, those rows)."""
    n = len(granted)
    short = np.empty(n)
    rows = np.empty(n, dtype=np.int64)
    count = 0
    for i in range(n):
        granted[i] *= scale
        quota[i] += granted[i]
        gap = claims[i] - granted[i]
        r = rate[i]
        short[count] = gap  # written always, kept if short: no branch to mispredict
        rows[count] = i
        count += gap > 1e-9 * (1.0 if r < 1.0 else r)  # np.maximum(r, 1.0), NaN kept
    return short[:count].copy(), rows[:count].copy()


# --- base year and certificates
# One pass over the population for each test the yearly certification and remediation make, each
# the conjunction of comparisons and products the numpy version combines from column-wide passes
# (so the same rows, bit for bit); rows come out ascending, as ``np.flatnonzero`` gives them.


@numba.njit(cache=True)
def _in_rd_band(revenue: float, rd: float, starts: np.ndarray, floors: np.ndarray, small_spend: float) -> bool:
    """The band part of certification.meets_rd_rule for one firm (``small_spend`` NaN: none); for a
    NaN revenue it differs (searchsorted puts NaN last), but such a firm fails the revenue floor."""
    band = -1  # np.searchsorted(starts, revenue, "right") - 1 of the sorted starts
    for b in range(len(starts)):
        band += starts[b] <= revenue
    if band >= 0:
        return rd * 100 >= floors[band]
    return rd * revenue >= small_spend


@numba.njit(cache=True)
def eligible_among(rows, cert, cert_year, entry_year, revenue_prev, rd, growth_prev, employees, level, year,
                   min_years, min_rd, starts, floors, small_spend, min_revenue, min_growth, sme_only, sme_revenue,
                   sme_employees):
    """certification.eligible_rows' criteria over the firms on the rung (``rows``; ``starts`` empty:
    no R&D bands), in one pass. The R&D floor first: most firms fail it, so its branch is mostly
    predicted and their other figures are never loaded. (The band test stays a call: inlined here,
    the compiled loop ran ten times slower.)"""
    kept = np.empty(len(rows), dtype=np.int64)
    count = 0
    bands = len(starts) > 0
    for i in rows:
        revenue, share = revenue_prev[i], rd[i]
        if not share * 100 >= min_rd:
            continue
        since = cert_year[i] if cert[i] == level - 1 and level != 1 else entry_year[i]
        if (year - since >= min_years and revenue >= min_revenue and growth_prev[i] * 100 >= min_growth
                and (not sme_only or revenue < sme_revenue or employees[i] < sme_employees)
                and (not bands or _in_rd_band(revenue, share, starts, floors, small_spend))):
            kept[count] = i
            count += 1
    return kept[:count].copy()


@numba.njit(cache=True)
def review_due(alive, cert, cert_year, year, term):
    """Rows of certified live firms whose term is up: ``alive & (cert > 0) & (year - cert_year >= term)``."""
    rows = np.empty(len(cert), dtype=np.int64)
    count = 0
    for i in range(len(cert)):
        if cert[i] > 0:  # a few per cent of firms: a branch rarely taken is cheaper than loading the rest
            rows[count] = i
            count += alive[i] & (year - cert_year[i] >= term)
    return rows[:count].copy()


@numba.njit(cache=True, inline="always")
def _high_tech_floor(revenue: float) -> float:
    """tiers.high_tech_rd_floor for one revenue (NaN: 3%, as np.select's default)."""
    return 0.05 if revenue <= 5000.0 else (0.04 if revenue <= 20000.0 else 0.03)


@numba.njit(cache=True)
def high_tech_applicants(alive, high_tech, high_tech_year, rd, revenue_prev, year, validity):
    """certification.high_tech_round's passes: (first-time applicants meeting the R&D floor, holders
    due for renewal, whether each of those meets the floor)."""
    n = len(alive)
    new, due = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
    meets_due = np.empty(n, dtype=np.bool_)
    n_new = n_due = 0
    for i in range(n):
        if not alive[i]:
            continue
        meets = rd[i] >= _high_tech_floor(revenue_prev[i])
        if not high_tech[i]:
            new[n_new] = i
            n_new += meets
        elif year - high_tech_year[i] >= validity:
            due[n_due], meets_due[n_due] = i, meets
            n_due += 1
    return new[:n_new].copy(), due[:n_due].copy(), meets_due[:n_due].copy()


@numba.njit(cache=True)
def listed_for_remediation(alive, grade, revenue, va_rate, intensity, grade_d, grade_c, high_energy_use):
    """remediation.remediate_d_grade's list: live D-grade firms, and C-grade ones using at least
    ``high_energy_use`` tce/年 (NaN: none), ascending. Energy use as ``Population.energy_use``:
    ``revenue * va_rate * intensity``, in that order."""
    rows = np.empty(len(grade), dtype=np.int64)
    count = 0
    for i in range(len(grade)):
        g = grade[i]
        if g == grade_d or (g == grade_c and revenue[i] * va_rate[i] * intensity[i] >= high_energy_use):
            rows[count] = i
            count += alive[i]
    return rows[:count].copy()


@numba.njit(cache=True)
def tax_per_head_below(alive, above, revenue, tax_rate, employees, exclude):
    """remediation.remediate_scattered's ranking key: the live 规下 firms not in ``exclude``, ascending,
    and their ``revenue * tax_rate / np.maximum(employees, 1.0)``."""
    skip = np.zeros(len(alive), dtype=np.bool_)
    skip[exclude] = True
    rows, key = np.empty(len(alive), dtype=np.int64), np.empty(len(alive))
    count = 0
    for i in range(len(alive)):
        staff = employees[i]
        rows[count] = i  # written always, kept if listed: no branch to mispredict
        key[count] = revenue[i] * tax_rate[i] / (staff if staff >= 1.0 or staff != staff else 1.0)
        count += alive[i] & ~above[i] & ~skip[i]
    return rows[:count].copy(), key[:count].copy()


@numba.njit(cache=True)
def compact(column: np.ndarray, mask: np.ndarray) -> int:
    """``column[:kept] = column[mask]`` in place, in one pass and without a temporary array;
    returns ``kept``. Row ``i`` moves to ``j <= i``, so each row is read before it is overwritten.

    Called with the column's bits (``column.view(np.uint64)``), so one compiled loop moves int64
    and float64 columns, floats bit for bit."""
    j = 0
    for i in range(len(mask)):
        column[j] = column[i]  # written always, kept if masked: no branch to mispredict
        j += mask[i]
    return j


@numba.njit(cache=True)
def select(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``values[mask]`` in one pass without branches: numpy's boolean selection branches on every
    row, and a mask of firms of one kind is no pattern a branch predictor learns (5-20x slower)."""
    out = np.empty(len(values))
    count = 0
    for i in range(len(values)):
        out[count] = values[i]  # written always, kept if masked
        count += mask[i]
    return out[:count].copy()


@numba.njit(cache=True, inline="always")
def _hashed(x: float, cell: np.ndarray, bits: np.ndarray) -> np.uint64:
    """A slot of a 4096-entry table for the value ``x`` (-0.0 as 0.0, which it equals)."""
    cell[0] = x + 0.0
    return (bits[0] * _GOLDEN) >> np.uint64(52)


@numba.njit(cache=True, inline="always")
def _wanted_at(x: float, wanted: np.ndarray) -> int:
    """Index of ``x`` in the sorted ``wanted``, or -1."""
    b = int(np.searchsorted(wanted, x))
    return b if b < len(wanted) and wanted[b] == x else -1


@numba.njit(cache=True)
def matches(key: np.ndarray, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The positions ``i`` (ascending) where ``key[i] == wanted[b]`` for some ``b``, and that ``b``;
    ``wanted`` sorted, without NaN. A table of the wanted values' bits rules out most keys with one
    load, a binary search settles the rest; one pass counts, a second writes."""
    table = np.zeros(1 << 12, dtype=np.bool_)
    cell = np.empty(1)
    bits = cell.view(np.uint64)
    for v in wanted:
        table[_hashed(v, cell, bits)] = True
    count = 0
    for i in range(len(key)):
        if table[_hashed(key[i], cell, bits)] and _wanted_at(key[i], wanted) >= 0:
            count += 1
    positions, which = np.empty(count, dtype=np.int64), np.empty(count, dtype=np.int64)
    count = 0
    for i in range(len(key)):
        if table[_hashed(key[i], cell, bits)]:
            b = _wanted_at(key[i], wanted)
            if b >= 0:
                positions[count], which[count] = i, b
                count += 1
    return positions, which



@numba.njit(cache=True)
def book_claims(held: float, granted: float, land: np.ndarray, rows: np.ndarray, amounts: np.ndarray,
                present: np.ndarray) -> tuple[float, float, np.ndarray]:
    """Served land claims booked in claim order (:meth:`.land.LandMarket._book`): a present firm's
    plot added to its land, the pool's ``held`` and the year's ``granted``; a gone firm's plot granted
    and handed back at once (``min(amount, held)``, as ``Pool.release``). Returns ``held``,
    ``granted`` and what each claim handed back (0.0 for a present firm). The same additions and
    subtractions, in the same order, as the run-by-run numpy version."""
    returned = np.zeros(len(amounts))
    for i in range(len(amounts)):
        amount = amounts[i]
        held += amount
        if present[i]:
            land[rows[i]] += amount
            granted += amount
        else:
            back = held if held < amount else amount  # Python's min(amount, held): the first unless held is less
            held -= back
            returned[i] = back
    return held, granted, returned
