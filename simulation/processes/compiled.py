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

# --- the year's start: growth, exit hazard, R&D drift and Laplace draws (simulation.processes.growth,
# .certification.evolve_rd, simulation.draws). The transcendental passes (log, exp, log1p, power, ndtri)
# stay numpy's between these loops; tests/test_year_start_kernels.py checks them against the numpy code.


@numba.njit(cache=True, inline="always")
def _minimum(x: float, bound: float) -> float:
    """``np.minimum(x, bound)`` for a bound that is no NaN: NaN propagates, a tie gives the bound."""
    return x if x < bound or x != x else bound


@numba.njit(cache=True, inline="always")
def _clip(x: float, low: float, high: float) -> float:
    """``np.clip(x, low, high)``: NaN propagates, a tie keeps ``x`` (so -0.0 stays -0.0)."""
    x = low if x < low else x
    return high if x > high else x


@numba.njit(cache=True)
def laplace_tails(u: np.ndarray) -> np.ndarray:
    """``-2|u - 1/2|`` for each uniform ``u``: what FirmDraws.laplace takes log1p of."""
    out = np.empty(len(u))
    for i in range(len(u)):
        out[i] = -2.0 * abs(u[i] - 0.5)
    return out


@numba.njit(cache=True)
def laplace_signs(u: np.ndarray, tails: np.ndarray) -> None:
    """``tails *= -sign(u - 1/2)`` in place."""
    for i in range(len(u)):
        d = u[i] - 0.5
        sign = 1.0 if d > 0.0 else (-1.0 if d < 0.0 else 0.0)
        tails[i] = -sign * tails[i]


@numba.njit(cache=True)
def rd_shock(normal: np.ndarray, pool: np.ndarray, drift: float, effort: float, volatility: float) -> None:
    """``normal`` becomes each firm's log R&D shock, in place: its drift (plus ``effort`` in a
    cultivation pool) plus ``volatility`` times its normal draw."""
    for i in range(len(normal)):
        d = drift + effort if pool[i] else drift
        normal[i] = d + volatility * normal[i]


@numba.njit(cache=True)
def growth_shape(sigma, log_size, entry_year, first_entry, age_terms, drift, cert, transitory, revenue,
                 alive, above, volatility, sigma_max, c_perm, c_trans, size_effect, age_effect, certified):
    """growth.volatility, mean_shape and grow_year's first lines in one pass: returns each firm's
    mean log growth before the trend, the squares of its Laplace scales ``b_perm²`` and ``b_trans²``
    (for the shocks' level corrections) and its 规上 weight; ``sigma`` comes in as the size's power
    and leaves as the growth s.d."""
    n = len(sigma)
    shape, perm_sq, trans_sq, weights = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    for i in range(n):
        s = _minimum(volatility * sigma[i], sigma_max)
        sigma[i] = s
        b_perm, b_trans = s * c_perm, s * c_trans
        perm_sq[i], trans_sq[i] = b_perm * b_perm, b_trans * b_trans
        mean = size_effect * _minimum(log_size[i], 0.0) + age_effect * age_terms[entry_year[i] - first_entry]
        shape[i] = ((mean + drift[i]) + np.float64(cert[i]) * certified) - transitory[i]
        weights[i] = revenue[i] * (1.0 if alive[i] and above[i] else 0.0)
    return shape, perm_sq, trans_sq, weights


@numba.njit(cache=True)
def growth_draw(shape, sigma, perm, trans, jensen_perm, jensen_trans, c_perm, c_trans, trend, common,
                sector_shocks, sector, boost_log, alive, transitory):
    """``shape`` becomes each firm's log growth this year, in place, and ``transitory`` its new
    transitory part (0 for dead rows): grow_year's sum, term by term in its order; ``jensen_*`` are
    the shocks' level corrections log(1 - b²)."""
    for i in range(len(shape)):
        s = sigma[i]
        shock = (s * c_trans) * trans[i] + jensen_trans[i]
        log_growth = (((trend + shape[i]) + jensen_perm[i]) + (s * c_perm) * perm[i]) + shock
        log_growth = log_growth + ((common + sector_shocks[sector[i]]) + boost_log[i])
        shape[i] = log_growth if alive[i] else 0.0
        transitory[i] = shock if alive[i] else 0.0


@numba.njit(cache=True)
def yearly_hazard(size_power, rate, entry_year, first_entry, age_powers, cert, certified, grade, d_grade,
                  d_multiplier, alive):
    """growth.yearly_hazard from the size's power, in place: rate x size and age factors x the
    certificate's and the D grade's multipliers, clipped to [0, 0.9], 0 for dead rows."""
    for i in range(len(size_power)):
        y = (rate * size_power[i]) * age_powers[entry_year[i] - first_entry]
        y = y * (certified if cert[i] > 0 else 1.0)
        y = y * (d_multiplier if grade[i] == d_grade else 1.0)
        size_power[i] = _clip(y, 0.0, 0.9) if alive[i] else 0.0


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_ULP53 = 2.0**-53


@numba.njit(cache=True, inline="always")
def _top_bits(start: np.uint64, firm: np.int64) -> np.uint64:
    """SplitMix64's ``firm``-th output from ``start``, its top 53 bits (an integer below 2^53)."""
    z = np.uint64(firm) * _GOLDEN + start
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    z = z ^ (z >> _S31)
    return z >> _S11


@numba.njit(cache=True, inline="always")
def _unit(bits: np.uint64) -> float:
    """53 bits as a uniform on (0, 1), centred in their cell."""
    return (np.float64(bits) + 0.5) * _ULP53


@numba.njit(cache=True, inline="always")
def _uniform(start: np.uint64, firm: np.int64) -> float:
    """FirmDraws.uniform for one id: SplitMix64's ``firm``-th output from ``start``, top 53 bits."""
    return _unit(_top_bits(start, firm))


@numba.njit(cache=True)
def uniforms(start: np.uint64, ids: np.ndarray) -> np.ndarray:
    """FirmDraws.uniform for every id, in two passes: every id's bits, then their floats.

    The same bits as one loop of ``_uniform``, some four times as fast: in one loop LLVM runs the
    hash's chain of three 64-bit multiplies one vector at a time and waits out its latency; alone,
    it interleaves four vectors, and the float pass is a cheap second sweep."""
    out = np.empty(len(ids))
    bits = out.view(np.uint64)
    for i in range(len(ids)):
        bits[i] = _top_bits(start, ids[i])
    for i in range(len(ids)):
        out[i] = _unit(bits[i])
    return out


# --- every month
@numba.njit(cache=True)
def _rows_of(flags: np.ndarray, count: int) -> np.ndarray:
    """The ``count`` positions where ``flags`` is set, ascending. A branch per row: the callers'
    flags are rare (exits, claimants), so the branch is well predicted, and the pass that set
    them stays free of stores that depend on a running count (it vectorises)."""
    rows = np.empty(count, dtype=np.int64)
    j = 0
    for i in range(len(flags)):
        if flags[i]:
            rows[j] = i
            j += 1
    return rows


@numba.njit(cache=True)
def accrue_and_exit(ytd: np.ndarray, revenue: np.ndarray, ids: np.ndarray, hazard: np.ndarray,
                    start: np.uint64) -> np.ndarray:
    """One month: ``ytd += revenue``; rows whose exit draw falls below their hazard, ascending."""
    n = len(ids)
    exits = np.empty(n, dtype=np.bool_)
    count = 0
    for i in range(n):
        ytd[i] += revenue[i]
        leaves = _uniform(start, ids[i]) < hazard[i]
        exits[i] = leaves
        count += leaves
    return _rows_of(exits, count)


@numba.njit(cache=True, inline="always")
def _times_alive(x: float, alive: bool) -> float:
    """``x * alive`` as numpy multiplies by a boolean (1.0 or 0.0, so 0 * inf is still NaN)."""
    return x * (1.0 if alive else 0.0)


@numba.njit(cache=True, inline="always")
def _max0(x: float) -> float:
    """``np.maximum(x, 0.0)``: NaN propagates, and an equal pair (-0.0, 0.0) gives the second,
    0.0, as numpy's loops do (as x86's max instructions do).

    One comparison, so it compiles to a select rather than a branch that claims of either sign
    would mispredict."""
    return 0.0 if x <= 0.0 else x


@numba.njit(cache=True, inline="always")
def _rate(revenue: float, va_rate: float, intensity: float, alive: bool) -> float:
    """A firm's current rate of use (tce/年), as ``kernels.look_ahead``'s ``rate``."""
    return _times_alive(revenue * (va_rate * intensity), alive)


@numba.njit(cache=True, inline="always")
def _used(ytd: float, va_rate: float, intensity: float, alive: bool) -> float:
    """Use so far this year (tce), as ``kernels.used_so_far``."""
    return _times_alive(ytd / 12.0 * (va_rate * intensity), alive)


@numba.njit(cache=True, inline="always")
def _block_sum(a: np.ndarray) -> float:
    """numpy's pairwise sum of a block of at most 128 values: below 8 values one after another; else
    eight running sums combined as a tree, then the rest one after another. (Indices counted from
    0 of the block's own view: numba then knows them non-negative, and the loop vectorises.)"""
    n = len(a)
    if n < 8:
        res = -0.0
        for i in range(n):
            res += a[i]
        return res
    r0, r1, r2, r3 = a[0], a[1], a[2], a[3]
    r4, r5, r6, r7 = a[4], a[5], a[6], a[7]
    for g in range(1, n // 8):
        i = 8 * g
        r0 += a[i]
        r1 += a[i + 1]
        r2 += a[i + 2]
        r3 += a[i + 3]
        r4 += a[i + 4]
        r5 += a[i + 5]
        r6 += a[i + 6]
        r7 += a[i + 7]
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    for i in range(n - n % 8, n):
        res += a[i]
    return res


@numba.njit(cache=True)
def _pairwise_leaves(n: int) -> tuple[np.ndarray, np.ndarray]:
    """The blocks (first row, length) numpy's pairwise sum of ``n`` values adds up one by one, in
    order: above 128 values, two halves split at a multiple of 8, each split the same way."""
    firsts, lengths = np.empty(n // 64 + 1, dtype=np.int64), np.empty(n // 64 + 1, dtype=np.int64)
    lo_, n_ = np.empty(64, dtype=np.int64), np.empty(64, dtype=np.int64)
    top, count = 0, 0
    lo_[0], n_[0] = 0, n
    while top >= 0:
        lo, m = lo_[top], n_[top]
        top -= 1
        if m > 128:  # the right half waits under the left one
            half = m // 2
            half -= half % 8
            lo_[top + 1], n_[top + 1] = lo + half, m - half
            lo_[top + 2], n_[top + 2] = lo, half
            top += 2
        else:
            firsts[count], lengths[count] = lo, m
            count += 1
    return firsts[:count], lengths[:count]


@numba.njit(cache=True)
def _pairwise_total(n: int, block_sums: np.ndarray) -> float:
    """numpy's pairwise sum of ``n`` values from the sums of its blocks (:func:`_pairwise_leaves`,
    in order): each pair of halves added as numpy adds them, the result added to 0.0. The halving is
    walked with a stack of its own: numba's disk cache does not load recursive functions safely."""
    n_, left_, stage_ = np.empty(64, dtype=np.int64), np.empty(64), np.empty(64, dtype=np.int64)
    top, block = 0, 0
    n_[0], stage_[0] = n, 0
    while True:
        m = n_[top]
        if m > 128:  # first the left half, then (stage 1, its sum kept) the right half
            half = m // 2
            half -= half % 8
            first = stage_[top] == 0
            stage_[top] += 1
            top += 1
            n_[top], stage_[top] = (half if first else m - half), 0
            continue
        value = block_sums[block]
        block += 1
        while True:  # hand the sum down the stack: a left half waits for its right half
            if top == 0:
                return 0.0 + value
            top -= 1
            if stage_[top] == 1:
                left_[top] = value
                break
            value = left_[top] + value


@numba.njit(cache=True)
def numpy_sum(a: np.ndarray) -> float:
    """``a.sum()`` for a float64 array, bit for bit: numpy's pairwise sum (blocks of at most 128
    values, :func:`_block_sum`; :func:`_pairwise_leaves`, :func:`_pairwise_total`)."""
    if len(a) <= 128:  # one block (no arrays to allocate for the halving)
        return 0.0 + _block_sum(a)
    firsts, lengths = _pairwise_leaves(len(a))
    sums = np.empty(len(firsts))
    for k in range(len(firsts)):
        sums[k] = _block_sum(a[firsts[k]:firsts[k] + lengths[k]])
    return _pairwise_total(len(a), sums)


_CHUNK = 4096  # claims computed at a time (32 KB, in the cache while they are summed and kept)


@numba.njit(cache=True)
def claims_ahead(ytd, revenue, va_rate, intensity, quota, alive, left):
    """kernels.claims_ahead, a run of whole blocks of numpy's pairwise sum at a time: the run's
    claims computed in a pass that vectorises into a buffer that stays in the cache, then summed
    block by block and the claimants kept. The full-length claims are never written out (the pass
    is bound by memory traffic), and the claimants come back as views of arrays of the population's
    size (a copy into fresh memory costs more than the pass): (asking, asked, claimed, plain)."""
    return _claims_runs(ytd, revenue, va_rate, intensity, quota, alive, left, True)


@numba.njit(cache=True)
def claims_over_rate(revenue, va_rate, intensity, quota, alive):
    """kernels.claims_over_rate as :func:`claims_ahead` (claims of the rate alone, nothing used so far)."""
    return _claims_runs(revenue, revenue, va_rate, intensity, quota, alive, 1.0, False)


@numba.njit(cache=True)
def _claims_runs(ytd, revenue, va_rate, intensity, quota, alive, left, so_far):
    """:func:`claims_ahead`'s passes; ``so_far``: whether a claim counts the use so far (``ytd``)
    and the rate for ``left`` of the year, or the rate alone (``ytd`` and ``left`` unread)."""
    n = len(ytd)
    firsts, lengths = _pairwise_leaves(n)
    sums = np.empty(len(firsts))
    claims = np.empty(_CHUNK)  # a run is at most _CHUNK long (a block is at most 128)
    asking, asked = np.empty(n, dtype=np.int64), np.empty(n)
    count = 0
    odd = 0  # NaN claims, sign bits on claims or quotas
    k = 0
    while k < len(firsts):
        lo, hi, end = firsts[k], firsts[k] + lengths[k], k + 1
        while end < len(firsts) and hi + lengths[end] - lo <= _CHUNK:
            hi += lengths[end]
            end += 1
        run = slice(lo, hi)  # views indexed from 0: numba then knows the indices non-negative
        positive, odd_here = _claims_into(claims, ytd[run], revenue[run], va_rate[run], intensity[run], quota[run],
                                          alive[run], left, so_far)
        odd += odd_here
        for b in range(k, end):
            sums[b] = _block_sum(claims[firsts[b] - lo:firsts[b] - lo + lengths[b]])
        if positive > 0:
            count = _keep_claimants(claims[:hi - lo], lo, 8 * positive < hi - lo, asking, asked, count)
        k = end
    return asking[:count], asked[:count], _pairwise_total(n, sums), odd == 0


@numba.njit(cache=True, inline="always")
def _claims_into(claims, ytd, revenue, va_rate, intensity, quota, alive, left, so_far):
    """Each firm's claim into ``claims``; the number of claimants and of odd values (NaN claims,
    sign bits on claims or quotas)."""
    positive, odd = 0, 0
    for i in range(len(ytd)):
        q = quota[i]
        rate = _rate(revenue[i], va_rate[i], intensity[i], alive[i])
        over = (_used(ytd[i], va_rate[i], intensity[i], alive[i]) + rate * left if so_far else rate) - q
        c = _times_alive(_max0(over), alive[i])
        claims[i] = c
        positive += c > 0.0
        odd += (c != c) | np.signbit(c) | np.signbit(q)
    return positive, odd


@numba.njit(cache=True, inline="always")
def _keep_claimants(claims, first, few, asking, asked, count):
    """The rows (``first`` + i) and claims of the positive ``claims`` appended at ``count``; the new count."""
    if few:  # a branch per row, mostly not taken
        for i in range(len(claims)):
            if claims[i] > 0.0:
                asking[count], asked[count] = first + i, claims[i]
                count += 1
    else:  # written always, kept if a claim: no branch to mispredict
        for i in range(len(claims)):
            asking[count], asked[count] = first + i, claims[i]
            count += claims[i] > 0.0
    return count


@numba.njit(cache=True)
def add_claims(quota, asking, asked):
    """kernels.add_claims in one loop."""
    for k in range(len(asking)):
        quota[asking[k]] += asked[k]


@numba.njit(cache=True)
def idle_quota(ytd, revenue, va_rate, intensity, alive, left, quota, share):
    """kernels.idle_quota in one pass, then the sum: (idle, its sum)."""
    n = len(ytd)
    idle = np.empty(n)
    for i in range(n):
        projected = (_used(ytd[i], va_rate[i], intensity[i], alive[i])
                     + _rate(revenue[i], va_rate[i], intensity[i], alive[i]) * left)
        idle[i] = _times_alive(_max0(quota[i] - projected), alive[i]) * share
    return idle, numpy_sum(idle)


@numba.njit(cache=True)
def trade_idle(quota, idle, factor):
    """kernels.trade_idle in one pass, then the sum."""
    take = np.empty(len(idle))
    for i in range(len(idle)):
        take[i] = idle[i] * factor
        quota[i] -= take[i]
    return numpy_sum(take)


@numba.njit(cache=True)
def grant_and_short_among(rows, granted, scale, quota, claims, revenue, va_rate, intensity, alive):
    """kernels.grant_and_short_among in one pass over ``rows``."""
    short = np.empty(len(rows))
    kept = np.empty(len(rows), dtype=np.int64)
    count = 0
    for k in range(len(rows)):
        i = rows[k]
        granted[i] *= scale
        quota[i] += granted[i]
        gap = claims[i] - granted[i]
        r = _rate(revenue[i], va_rate[i], intensity[i], alive[i])
        short[count] = gap  # written always, kept if short: no branch to mispredict
        kept[count] = i
        count += gap > 1e-9 * (1.0 if r < 1.0 else r)  # np.maximum(r, 1.0), NaN kept
    return short[:count].copy(), kept[:count].copy()


@numba.njit(cache=True)
def grant_and_short(granted, scale, quota, claims, revenue, va_rate, intensity, alive):
    """kernels.grant_and_short in one pass: (short of the rows still short, those rows)."""
    rows = np.arange(len(granted))
    return grant_and_short_among(rows, granted, scale, quota, claims, revenue, va_rate, intensity, alive)


@numba.njit(cache=True)
def banded_grants(claims, grade, asking, left, granted, ungraded, grade_b):
    """energy.banded_grants in two passes over the claimants a band: each band's claims gathered
    in row order and summed as numpy sums them, then granted their share."""
    m = len(asking)
    if m == 0:
        return granted
    band = np.empty(m, dtype=np.int64)
    for j in range(m):
        g = grade[asking[j]]
        band[j] = grade_b if g == ungraded else g
    gathered = np.empty(m)
    for b in range(band.min(), band.max() + 1):  # ascending, as np.unique gives the bands
        count = 0
        for j in range(m):
            if band[j] == b:
                gathered[count] = claims[asking[j]]
                count += 1
        if count == 0:
            continue
        asked = numpy_sum(gathered[:count])
        share = 0.0
        if asked > 0:
            share = left / asked
            share = 1.0 if 1.0 < share else share  # min(left / asked, 1.0), as Python's min
        for j in range(m):
            if band[j] == b:
                granted[asking[j]] = claims[asking[j]] * share
        left -= asked * share
        if left <= 0:
            break
    return granted


# --- 零增地技改 hosts (simulation.processes.projects.hosts)


@numba.njit(cache=True)
def live_running_revenue(rows, alive, revenue):
    """The live firms of ``rows`` (in order), the running sum of their revenue (np.cumsum's: each
    sum the one before plus the next revenue), and whether every revenue is at least 0 (no NaN):
    then the sums never fall, and any binary search lands where numpy's does."""
    live = np.empty(len(rows), dtype=np.int64)
    running = np.empty(len(rows))
    count, plain = 0, True
    for k in range(len(rows)):
        i = rows[k]
        if alive[i]:
            r = revenue[i]
            live[count] = i
            running[count] = r if count == 0 else running[count - 1] + r
            plain &= r >= 0.0
            count += 1
    return live[:count], running[:count], plain


@numba.njit(cache=True, inline="always")
def _after(running, x):
    """``np.searchsorted(running, x, side="right")`` for sums that never fall: how many are at most ``x``."""
    lo, hi = 0, len(running)
    while lo < hi:
        mid = lo + ((hi - lo) >> 1)
        if x < running[mid]:
            hi = mid
        else:
            lo = mid + 1
    return lo


@numba.njit(cache=True)
def host_picks(live, running, revenue, outputs, u, rounds):
    """projects.hosts over the firms ``live`` (their running revenue ``running``), project by
    project (each reads its own row of ``u`` only, so the order does not matter): the rows of the
    hosts, not their positions."""
    last = len(live) - 1
    total = running[last]
    picks = np.empty(len(outputs), dtype=np.int64)
    for k in range(len(outputs)):
        placed = False
        for draw in range(rounds if total > 0 else 0):
            j = min(_after(running, u[k, draw] * total), last)
            if revenue[live[j]] >= outputs[k]:
                picks[k], placed = live[j], True
                break
        if not placed:
            picks[k] = _among_large(live, revenue, outputs[k], u[k, rounds])
    return picks


@numba.njit(cache=True)
def _among_large(live, revenue, output, u):
    """projects.hosts' fallback: drawn in proportion to revenue among the firms of at least
    ``output`` (np.cumsum of theirs, searched at ``u`` times its last), the largest if none is."""
    large, total = 0, 0.0
    for i in live:  # the running sum's last value, as np.cumsum adds it
        if revenue[i] >= output:
            total = revenue[i] if large == 0 else total + revenue[i]
            large += 1
    if large == 0:
        best = live[0]
        for i in live:  # np.argmax: the first of the largest
            if revenue[i] > revenue[best]:
                best = i
        return best
    x, seen, running, pick = u * total, 0, 0.0, -1
    for i in live:
        if revenue[i] >= output:
            running = revenue[i] if seen == 0 else running + revenue[i]
            seen += 1
            pick = i
            if x < running:  # the first whose running sum passes x; else the last large firm
                break
    return pick


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
    """Rows of certified live firms whose term is up: ``alive & (cert > 0) & (held >= term) & (held %
    term == 0)``, ``held = year - cert_year`` (a review every term from the grant)."""
    rows = np.empty(len(cert), dtype=np.int64)
    count = 0
    for i in range(len(cert)):
        if cert[i] > 0:  # a few per cent of firms: a branch rarely taken is cheaper than loading the rest
            rows[count] = i
            held = year - cert_year[i]
            count += alive[i] & (held >= term) & (held % term == 0)
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
def exit_rows(rows, alive, revenue, hazard, land, quota, cert, above, tiers):
    """kernels.exit_rows in one call: (land, quota, firms per tier code), the firms then marked gone."""
    held, quotas = np.empty(len(rows)), np.empty(len(rows))
    counts = np.zeros(tiers, dtype=np.int64)
    for k in range(len(rows)):
        i = rows[k]
        held[k] = land[i]
        quotas[k] = quota[i]
        counts[cert[i] + 1 if cert[i] > 0 else (1 if above[i] else 0)] += 1
        alive[i] = False
        revenue[i] = 0.0
        hazard[i] = 0.0
        land[i] = 0.0
        quota[i] = 0.0
    return numpy_sum(held), numpy_sum(quotas), counts


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
def compact_pair(first: np.ndarray, second: np.ndarray, mask: np.ndarray) -> int:
    """:func:`compact` for two columns of one width in one pass: the loop's cost is mostly its running
    count, not the moves, so two columns take little more than one (1.04M firms: 4 columns in
    4.7-5.2 ms in pairs, 8.5-9.1 ms one by one)."""
    j = 0
    for i in range(len(mask)):
        first[j] = first[i]
        second[j] = second[i]
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
def expansion_claims(annual, revenue_prev, land, alive, above, entry_year, year, threshold, elasticity):
    """land.file_expansions's claims: growth g = annual / max(revenue_prev, 1e-9) - 1 (0 without last
    year's revenue), claim = land * max(g - threshold, 0) * (elasticity * alive 规上 in business
    before last year); returns the rows whose claim exceeds 1e-9, ascending, and their claims."""
    n = len(annual)
    rows, claims = np.empty(n, dtype=np.int64), np.empty(n)
    count = 0
    for i in range(n):
        previous = revenue_prev[i]
        g = annual[i] / _at_least(previous, 1e-9) - 1.0 if previous > 0 else 0.0
        claim = land[i] * _max0(g - threshold) * (elasticity * (1.0 if alive[i] & above[i] & (entry_year[i] < year - 1) else 0.0))
        if claim > 1e-9:
            rows[count], claims[count] = i, claim
            count += 1
    return rows[:count].copy(), claims[:count].copy()


@numba.njit(cache=True)
def aggregate_terms(annual, va_rate, intensity, tax_rate, land, employees, rd, va_prev, alive, above,
                    in_directory, high_tech, cert):
    """The terms of each sum of indicators.population_aggregates (in the order of its ``_SUMS``),
    each gathered in row order into an array of its own, and the firm counts (above, below,
    高新技术, certificates 1-4).

    A first pass sorts the firms into the sums (a bit each) and counts them, so that each array is
    allocated at its size: one array of every firm's length per sum would be mostly untouched, and
    each page a fresh allocation touches costs a fault (a few microseconds)."""
    n = len(annual)
    # a bit per kind of firm: 1 alive, 2 规上, 4 规上 with land, 8 规上 高新技术, 16 in the year's
    # 同口径 scope (in the 名录库 with last year's value added, or admitted this year with none)
    kinds = np.empty(n, dtype=np.uint8)
    sizes = np.zeros(5, dtype=np.int64)
    for i in range(n):
        up = alive[i] & above[i]
        scope = alive[i] & ((va_prev[i] > 0) if in_directory[i] else (above[i] & (va_prev[i] == 0)))
        kind = alive[i] | up << 1 | (up & (land[i] > 0)) << 2 | (up & high_tech[i]) << 3 | scope << 4
        kinds[i] = kind
        for bit in range(5):
            sizes[bit] += (kind >> bit) & 1
    alive_n, above_n, landed_n, high_n, scope_n = sizes
    out_above, va_above, employees_above = np.empty(above_n), np.empty(above_n), np.empty(above_n)
    energy_above, rd_above = np.empty(above_n), np.empty(above_n)
    va_landed, tax_landed, land_above = np.empty(landed_n), np.empty(landed_n), np.empty(landed_n)
    va_high_tech, energy_used = np.empty(high_n), np.empty(alive_n)
    va_scope, va_prev_scope, va_all = np.empty(scope_n), np.empty(scope_n), np.empty(n)
    at = np.zeros(5, dtype=np.int64)  # terms written so far, per bit
    counts = np.zeros(7, dtype=np.int64)
    for i in range(n):
        kind = kinds[i]
        a = annual[i]
        va = a * va_rate[i]
        va_all[i] = va  # every row: a firm that left this year made its months before it left
        if not kind & 1:
            continue
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
            va_scope[at[4]], va_prev_scope[at[4]] = va, va_prev[i]
            at[4] += 1
    counts[0], counts[1] = above_n, alive_n - above_n
    terms = (out_above, va_above, va_landed, tax_landed, land_above, employees_above, va_high_tech, energy_above,
             rd_above, energy_used, va_scope, va_prev_scope, va_all)
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


# --- base year: the 高新技术企业 pick by value added (certificates_init._TopByWeight)
# A score is ``log_rd + weight * log_va + noise`` in that order (a product and two sums, as numpy's
# passes make them); the bracket's passes fuse what numpy does in several passes with temporaries.


@numba.njit(cache=True)
def weighted_scores(log_rd, log_va, noise, weight):
    """Every firm's score at ``weight``."""
    score = np.empty(len(log_rd))
    for i in range(len(log_rd)):
        score[i] = log_rd[i] + weight * log_va[i] + noise[i]
    return score


@numba.njit(cache=True)
def rows_at_least(values, cut):
    """``np.flatnonzero(values >= cut)`` (branch-free: whether a score reaches the cut is not
    predictable)."""
    rows = np.empty(len(values), dtype=np.int64)
    count = 0
    for i in range(len(values)):
        rows[count] = i
        count += values[i] >= cut
    return rows[:count]


@numba.njit(cache=True)
def score_bounds(log_rd, log_va, noise, low, high):
    """Each firm's lowest and highest score over weights in [low, high] (its scores at the ends;
    finite scores: a zero's sign may differ from np.minimum's, which only comparisons read)."""
    n = len(log_rd)
    lowest, highest = np.empty(n), np.empty(n)
    for i in range(n):
        at_low = log_rd[i] + low * log_va[i] + noise[i]
        at_high = log_rd[i] + high * log_va[i] + noise[i]
        lowest[i] = min(at_low, at_high)
        highest[i] = max(at_low, at_high)
    return lowest, highest


@numba.njit(cache=True)
def keep_in_bracket(lowest, highest, cut_low, cut_high, rows, whole, log_rd, log_va, noise):
    """_TopByWeight.narrow's selection in one pass over the pool (``rows``: its rows, or ``whole``:
    every row, ``i`` itself): (pool, always, candidates, the pool's three columns, the candidates'
    three columns), each in pool order. The columns are the whole population's. The kept rows are
    counted first: each array is allocated at its size (fresh memory is most of the cost)."""
    m = len(lowest)
    kept = n_cand = 0
    for i in range(m):
        if highest[i] >= cut_low:
            kept += 1
            n_cand += lowest[i] <= cut_high
    pool, always, candidates = np.empty(kept, np.int64), np.empty(kept - n_cand, np.int64), np.empty(n_cand, np.int64)
    pool_rd, pool_va, pool_noise = np.empty(kept), np.empty(kept), np.empty(kept)
    cand_rd, cand_va, cand_noise = np.empty(n_cand), np.empty(n_cand), np.empty(n_cand)
    kept = n_always = n_cand = 0
    for i in range(m):
        if not highest[i] >= cut_low:  # never chosen over the bracket
            continue
        row = i if whole else rows[i]
        rd, va, noise_ = log_rd[row], log_va[row], noise[row]
        pool[kept], pool_rd[kept], pool_va[kept], pool_noise[kept] = row, rd, va, noise_
        kept += 1
        if lowest[i] <= cut_high:  # can cross the cut: ranked at each weight
            candidates[n_cand], cand_rd[n_cand], cand_va[n_cand], cand_noise[n_cand] = row, rd, va, noise_
            n_cand += 1
        else:
            always[n_always] = row
            n_always += 1
    return pool, always, candidates, pool_rd, pool_va, pool_noise, cand_rd, cand_va, cand_noise


@numba.njit(cache=True)
def merge_reaching(always, candidates, score, cut):
    """``np.sort(np.concatenate((always, candidates[score >= cut])))`` for ascending, disjoint
    ``always`` and ``candidates``: one merge, no temporaries."""
    chosen = np.empty(len(always) + len(candidates), dtype=np.int64)
    count = a = 0
    for c in range(len(candidates)):
        if not score[c] >= cut:
            continue
        row = candidates[c]
        while a < len(always) and always[a] < row:
            chosen[count] = always[a]
            count += 1
            a += 1
        chosen[count] = row
        count += 1
    while a < len(always):
        chosen[count] = always[a]
        count += 1
        a += 1
    return chosen[:count]


@numba.njit(cache=True)
def above_values(rows, is_above, values):
    """``values[rows[is_above[rows]]]``: the values of the 规上 firms among ``rows``, in their order."""
    out = np.empty(len(rows))
    count = 0
    for row in rows:
        out[count] = values[row]
        count += is_above[row]
    return out[:count]


# --- order statistics (simulation.processes.ranking.kth_smallest): the value np.partition puts at a
# position, from a histogram of each value's leading bits, then a partition of one bin's values

_SIGN = np.uint64(1 << 63)
_ALL = np.uint64((1 << 64) - 1)
_TOP = np.uint64(48)  # a value's bin: the top 16 bits of its order key (65,536 bins)


@numba.njit(cache=True, inline="always")
def _order_key(bits):
    """An unsigned key of a float's bits in the float's order (-0.0 with +0.0; no NaN): a negative's
    bits all flipped, a positive's sign bit set, without a branch (signs mixed at random would
    mispredict one)."""
    bits = bits if bits != _SIGN else np.uint64(0)  # -0.0: +0.0's key, as the two are equal
    negative = np.uint64(0) - (bits >> np.uint64(63))  # all ones for a negative, else zero
    return bits ^ (negative | _SIGN)


@numba.njit(cache=True)
def kth_smallests(values, ks):
    """``np.partition(values, ks)[ks]`` of a contiguous float array, for ascending ranks ``ks``:
    count each bin's values, find the bins that hold the ranks, partition their values only. NaN
    at every rank if ``values`` holds a NaN (numpy's order for NaN is the caller's to ask for), or
    if the ranks' bins hold over a quarter of the values (numpy's partition of all is then the quicker)."""
    bits = values.view(np.uint64)
    counts = np.zeros(65536, np.int32)  # half the memory to clear of int64's
    out = np.full(len(ks), np.nan)
    for i in range(len(values)):
        if values[i] != values[i]:
            return out
        counts[_order_key(bits[i]) >> _TOP] += 1
    hits = np.empty(len(ks), np.int64)  # each rank's bin, and its rank inside it
    within = np.empty(len(ks), np.int64)
    below = hit = 0
    for j in range(len(ks)):
        while below + counts[hit] <= ks[j]:
            below += counts[hit]
            hit += 1
        hits[j], within[j] = hit, ks[j] - below
    bins = np.unique(hits)  # the bins' values gathered in one pass, each bin's after the one before
    if counts[bins].sum() > len(values) // 4:  # the ranks' bins hold many of the values: numpy's is quicker
        return out
    starts = np.zeros(len(bins) + 1, np.int64)
    for b in range(len(bins)):
        starts[b + 1] = starts[b] + counts[bins[b]]
    inside = np.empty(starts[-1])
    filled = starts[:-1].copy()
    for i in range(len(values)):
        key = _order_key(bits[i]) >> _TOP
        for b in range(len(bins)):
            if key == bins[b]:
                inside[filled[b]] = values[i]
                filled[b] += 1
                break
    for j in range(len(ks)):
        b = np.searchsorted(bins, hits[j])
        out[j] = np.partition(inside[starts[b]:starts[b + 1]], within[j])[within[j]]
    return out


# --- the disk cache


def cached() -> bool:
    """Whether numba's disk cache holds the month step compiled for this source, this numba and this
    processor, so that the compiled steps load (~0.5 s) rather than compile (~13 s). One step stands
    for the rest: a process that ran them compiled and cached them all (a step no run of its
    scenario reached compiles at its first use, a fraction of a second)."""
    step = accrue_and_exit
    try:  # numba's own index, read by its own rules (the source's stamp, numba's version)
        overloads = step._cache._cache_file._load_index()  # type: ignore[attr-defined]  # not in numba's stubs
        machine = step.targetctx.codegen().magic_tuple()  # type: ignore[attr-defined]
    except AttributeError:  # caching off (no index) or numba's internals moved: load as before
        return True
    return any(key[1] == machine for key in overloads)
