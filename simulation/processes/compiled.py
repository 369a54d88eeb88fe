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


# --- the year's end -------------------------------------------------------------------------
# One loop each for the December passes (energy true-up, 小升规 review, 亩均 grading, expansion
# claims, indicator sums, the roll into the next year; the firms that left are dropped by
# :func:`compact`). The numpy code they replace stays beside its caller as the twin;
# ``tests/test_year_end_kernels.py`` checks them bit for bit. Sums stay with numpy, over arrays
# holding the same values in the same order.


@numba.njit(cache=True, inline="always")
def _at_least(x: float, floor: float) -> float:
    """``np.maximum(x, floor)`` for a positive ``floor``: NaN propagates."""
    return floor if x < floor else x


@numba.njit(cache=True)
def true_up_use(annual, va_rate, intensity, alive, quota, take_idle, share):
    """energy.true_up's per-firm passes: use = annual * va_rate * intensity * alive; if ``take_idle``,
    idle = max(quota - use, 0) * share is taken from ``quota`` (in place); excess = max(use - quota, 0).
    Returns (idle, excess); idle is empty unless ``take_idle``."""
    n = len(annual)
    idle, excess = np.empty(n if take_idle else 0), np.empty(n)
    for i in range(n):
        use = _times_alive(annual[i] * va_rate[i] * intensity[i], alive[i])
        if take_idle:
            taken = _max0(quota[i] - use) * share
            idle[i] = taken
            quota[i] -= taken
        excess[i] = _max0(use - quota[i])
    return idle, excess


@numba.njit(cache=True)
def true_up_grant(granted, scale, quota, excess):
    """``granted *= scale; quota += granted``; returns ``excess - granted`` (the overrun per firm)."""
    overrun = np.empty(len(granted))
    for i in range(len(granted)):
        g = granted[i] * scale
        granted[i] = g
        quota[i] += g
        overrun[i] = excess[i] - g
    return overrun


@numba.njit(cache=True)
def scale_review(annual, alive, above, ids, threshold, p_report, start):
    """statistics.review_scale in one pass: (entered, dropped) masks; ``above`` updated in place.
    The report draw is made only for the firms it decides (over the line, not yet 规上): each
    firm's draw is a function of its id alone, so the others' draws change nothing."""
    n = len(annual)
    entered, dropped = np.empty(n, dtype=np.bool_), np.empty(n, dtype=np.bool_)
    for i in range(n):  # & rather than `and`: no branch but the rare one to the draw
        over = alive[i] & (annual[i] >= threshold)
        was = above[i]
        enters = over & (not was)
        if enters:
            enters = _uniform(start, ids[i]) < p_report
        drops = alive[i] & was & (not over)
        entered[i], dropped[i] = enters, drops
        above[i] = (was | enters) & (not drops)
    return entered, dropped


@numba.njit(cache=True)
def grading_groups(annual, va_rate, tax_rate, land, intensity, rd, alive, above, min_land_below,
                   grade, score, d_streak, ungraded):
    """The two 亩均 groups (规上 with land; 规下 with at least ``min_land_below`` mu), each as its rows
    and its firms' four measures (tax per mu, value added per mu, value added per energy, R&D),
    as grading._grade computes them. Firms in no group are set ungraded (score 0, no D streak).
    Returns, for the group above and the group below: (rows, measures (4, m), whether each measure
    has a NaN).

    The first pass lists the groups without branches (membership follows no pattern a branch
    predictor could learn); the second gathers each group's measures."""
    n = len(annual)
    listed = (np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64))
    a = b = 0
    for i in range(n):
        listed[0][a] = i  # written always, kept if a member
        listed[1][b] = i
        a += alive[i] & above[i] & (land[i] > 0)
        b += alive[i] & (not above[i]) & (land[i] >= min_land_below)
    for i in range(n):  # a loop of its own: in the one above, these stores made it several times slower
        graded = alive[i] & ((above[i] & (land[i] > 0)) | ((not above[i]) & (land[i] >= min_land_below)))
        grade[i] = grade[i] if graded else ungraded
        score[i] = score[i] if graded else 0.0
        d_streak[i] = d_streak[i] if graded else 0
    out = []
    for rows in (listed[0][:a].copy(), listed[1][:b].copy()):
        x = np.empty((4, len(rows)))
        nan = np.zeros(4, dtype=np.bool_)
        for j in range(len(rows)):
            i = rows[j]
            plot = _at_least(land[i], 1e-9)
            x[0, j] = annual[i] * tax_rate[i] / plot
            x[1, j] = annual[i] * va_rate[i] / plot
            x[2, j] = 1.0 / _at_least(intensity[i], 1e-12)
            x[3, j] = rd[i]
            for k in range(4):
                nan[k] |= x[k, j] != x[k, j]
        out.append((rows, x, nan))
    return out[0], out[1]


@numba.njit(cache=True)
def grading_scores(values, weights, denominators, total_weight):
    """Scores of a group's firms: 100 * Σ weight * value / denominator / total weight,
    the measures with weight 0 left out, added in order as grading._score adds them; returns
    (score, -score)."""
    m = values.shape[1]
    score, key = np.empty(m), np.empty(m)
    for j in range(m):
        s = 0.0
        for k in range(len(weights)):
            if weights[k] != 0.0:
                s += weights[k] * values[k, j] / denominators[k]
        s = 100.0 * s / total_weight
        score[j], key[j] = s, -s
    return score, key


@numba.njit(cache=True)
def grading_bands(key, ks, kths, rows, score, grades, grade, score_out, d_streak, grade_d):
    """Grades of a group by rank (ranking.rank_bands with the stable tie rule): a firm's band is the
    number of cuts ``ks`` its rank (by ``key``, ties by position) is not below; ``kths`` is the key of
    rank ``k - 1`` for each cut with ``0 < k < len(key)`` (NaN where that rank falls among NaNs).
    Writes grade, score and D streak at ``rows``."""
    m, b = len(key), len(ks)
    below, room, tied = np.zeros(b, dtype=np.int64), np.zeros(b, dtype=np.int64), np.zeros(b, dtype=np.int64)
    numbers = 0
    for j in range(m):
        x = key[j]
        numbers += x == x
        for c in range(b):
            below[c] += x < kths[c]
    for c in range(b):
        # the room left at the cut: for keys equal to the cut's key, or for NaNs once the cut is among them
        room[c] = ks[c] - (numbers if kths[c] != kths[c] else below[c])
    for j in range(m):
        x = key[j]
        band = 0
        for c in range(b):
            k = ks[c]
            if k <= 0:
                band += 1
            elif k < m:
                kth = kths[c]
                if kth != kth:  # the cut among NaNs: every number, then NaNs by position
                    inside = x == x
                    if not inside:
                        tied[c] += 1
                        inside = tied[c] <= room[c]
                else:
                    inside = x < kth
                    if x == kth:
                        tied[c] += 1
                        inside = tied[c] <= room[c]
                band += not inside
        r = rows[j]
        grade[r], score_out[r] = grades[band], score[j]
        d_streak[r] = d_streak[r] + 1 if grades[band] == grade_d else 0


@numba.njit(cache=True)
def expansion_claims(annual, revenue_prev, land, alive, above, threshold, elasticity):
    """land.file_expansions's claims: growth g = annual / max(revenue_prev, 1e-9) - 1 (0 without last
    year's revenue), claim = land * max(g - threshold, 0) * (elasticity * alive 规上); returns the
    rows whose claim exceeds 1e-9, ascending, and their claims."""
    n = len(annual)
    rows, claims = np.empty(n, dtype=np.int64), np.empty(n)
    count = 0
    for i in range(n):
        previous = revenue_prev[i]
        g = annual[i] / _at_least(previous, 1e-9) - 1.0 if previous > 0 else 0.0
        claim = land[i] * _max0(g - threshold) * (elasticity * (1.0 if alive[i] & above[i] else 0.0))
        if claim > 1e-9:
            rows[count], claims[count] = i, claim
            count += 1
    return rows[:count].copy(), claims[:count].copy()


@numba.njit(cache=True)
def aggregate_terms(annual, va_rate, intensity, tax_rate, land, employees, rd, va_prev, alive, above,
                    high_tech, cert):
    """The terms of each sum of indicators.population_aggregates (in the order of its ``_SUMS``),
    each gathered in row order into an array of its own, and the firm counts (above, below,
    高新技术, certificates 1-4).

    A first pass sorts the firms into the sums (a bit each) and counts them, so that each array is
    allocated at its size: one array of every firm's length per sum would be mostly untouched, and
    each page a fresh allocation touches costs a fault (a few microseconds)."""
    n = len(annual)
    # a bit per kind of firm: 1 alive, 2 规上, 4 规上 with land, 8 规上 高新技术, 16 规上 and 32 规下
    # with last year's value added
    kinds = np.empty(n, dtype=np.uint8)
    sizes = np.zeros(6, dtype=np.int64)
    for i in range(n):
        up = alive[i] & above[i]
        earlier = va_prev[i] > 0
        kind = (alive[i] | up << 1 | (up & (land[i] > 0)) << 2 | (up & high_tech[i]) << 3 | (up & earlier) << 4
                | (alive[i] & (not above[i]) & earlier) << 5)
        kinds[i] = kind
        for bit in range(6):
            sizes[bit] += (kind >> bit) & 1
    alive_n, above_n, landed_n, high_n, both_n, below_n = sizes
    out_above, va_above, employees_above = np.empty(above_n), np.empty(above_n), np.empty(above_n)
    energy_above, rd_above = np.empty(above_n), np.empty(above_n)
    va_landed, tax_landed, land_above = np.empty(landed_n), np.empty(landed_n), np.empty(landed_n)
    va_high_tech, energy_used = np.empty(high_n), np.empty(alive_n)
    va_both, va_prev_both, va_below, va_prev_below = np.empty(both_n), np.empty(both_n), np.empty(below_n), np.empty(below_n)
    at = np.zeros(6, dtype=np.int64)  # terms written so far, per bit
    counts = np.zeros(7, dtype=np.int64)
    for i in range(n):
        kind = kinds[i]
        if not kind & 1:
            continue
        a = annual[i]
        va = a * va_rate[i]
        energy = va * intensity[i]
        energy_used[at[0]] = energy
        at[0] += 1
        counts[2] += high_tech[i]
        if 1 <= cert[i] <= 4:
            counts[2 + cert[i]] += 1
        if kind & 2:
            c = at[1]
            out_above[c], va_above[c], employees_above[c], energy_above[c], rd_above[c] = a, va, employees[i], energy, a * rd[i]
            at[1] += 1
        if kind & 4:
            c = at[2]
            va_landed[c], tax_landed[c], land_above[c] = va, a * tax_rate[i], land[i]
            at[2] += 1
        if kind & 8:
            va_high_tech[at[3]] = va
            at[3] += 1
        if kind & 16:
            va_both[at[4]], va_prev_both[at[4]] = va, va_prev[i]
            at[4] += 1
        if kind & 32:
            va_below[at[5]], va_prev_below[at[5]] = va, va_prev[i]
            at[5] += 1
    counts[0], counts[1] = above_n, alive_n - above_n
    terms = (out_above, va_above, va_landed, tax_landed, land_above, employees_above, va_high_tech, energy_above,
             rd_above, energy_used, va_both, va_prev_both, va_below, va_prev_below)
    return terms, counts


@numba.njit(cache=True)
def roll_year(annual, revenue_prev, va_prev, growth_prev, va_rate, ytd):
    """Model._roll_year's columns in one pass, in place: this year's revenue, value added and growth
    become last year's (the ``*_prev`` columns); the year-to-date sum starts again at 0."""
    for i in range(len(annual)):
        a, previous = annual[i], revenue_prev[i]
        growth_prev[i] = a / _at_least(previous, 1e-9) - 1.0 if previous > 0 else 0.0
        va_prev[i] = a * va_rate[i]
        revenue_prev[i] = a
        ytd[i] = 0.0
