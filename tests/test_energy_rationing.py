"""有序用电 on planted firms: rationing acts forward only, pro rata within a grade, ungraded firms with B."""

from __future__ import annotations

from unittest import mock

import numpy as np
import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.population import Population
from simulation.processes.energy import banded_grants, pro_rata_by_grade, ration_forward, true_up
from simulation.resources import EnergyPool
from simulation.tiers import GRADE_A, GRADE_B, GRADE_C, GRADE_D, UNGRADED


def planted(grades, revenue, quota):
    """Firms with 1 tce per 万元 of revenue (va_rate 0.5 × intensity 2), six months produced at ``revenue``."""
    n = len(grades)
    pop = Population.new(n, alive=True, revenue=np.array(revenue, float), va_rate=0.5, intensity=2.0,
                         quota=np.array(quota, float))
    pop.grade[:] = grades
    pop.ytd[:] = 6 * pop.revenue  # six months at the current rate
    return pop


def test_pro_rata_within_the_grade_where_quota_runs_out():
    grade = np.array([GRADE_A, GRADE_B, GRADE_B, GRADE_C, UNGRADED])
    claims = np.array([10.0, 20.0, 40.0, 5.0, 20.0])
    granted = pro_rata_by_grade(claims, grade, 50.0)
    # A in full (10); B and ungraded (80 asked) share the 40 left at one half each; C nothing
    np.testing.assert_allclose(granted, [10.0, 10.0, 20.0, 0.0, 10.0])


def test_rationing_cuts_the_rest_of_the_year_and_never_what_was_produced():
    env = simpy.Environment()
    pool = EnergyPool(env, free=0.0, held=300.0)
    # revenue 100 → 100 tce/yr; six months done (50 tce used); quotas 100, 80, 60
    pop = planted([GRADE_B, GRADE_C, GRADE_D], [100.0, 100.0, 100.0], [100.0, 80.0, 60.0])
    ytd_before = pop.ytd.copy()
    out = ration_forward(pop, pool, 6)
    np.testing.assert_array_equal(pop.ytd, ytd_before)  # output already produced stays
    # used 50 each; the rest of the year may use quota - 50 over half a year: rate 2 × (quota - 50)
    np.testing.assert_allclose(pop.revenue, [100.0, 60.0, 20.0])
    assert out.rationed == pytest.approx(20.0 + 40.0)  # the year's use cut, tce
    assert out.firms_rationed == 2
    # at this rate the year's use equals the quota exactly
    year_use = (pop.ytd / 12 + pop.revenue * 0.5) * 1.0
    np.testing.assert_allclose(year_use, pop.quota)


def test_free_quota_goes_by_grade_before_anyone_is_cut():
    env = simpy.Environment()
    pool = EnergyPool(env, free=30.0, held=240.0)
    pop = planted([GRADE_D, GRADE_A, UNGRADED], [120.0, 120.0, 120.0], [80.0, 80.0, 80.0])  # each 40 short
    ration_forward(pop, pool, 6)
    # A gets 30 of its 40; the ungraded firm (with B) and D get nothing and are cut
    np.testing.assert_allclose(pop.quota, [80.0, 110.0, 80.0])
    assert pool.free == pytest.approx(0.0)
    assert pop.revenue[1] == pytest.approx(2 * (110.0 - 60.0))


def test_idle_quota_is_traded_within_the_year_before_cuts():
    env = simpy.Environment()
    pool = EnergyPool(env, free=0.0, held=300.0)
    # firm 0 on course to use 40 of its 140; firm 1 short by 40
    pop = planted([GRADE_B, GRADE_B], [40.0, 120.0], [140.0, 80.0])
    out = ration_forward(pop, pool, 6, idle_share=0.5)
    assert out.traded == pytest.approx(40.0)  # what firm 1 needed, within half of firm 0's 100 idle
    np.testing.assert_allclose(pop.quota, [100.0, 120.0])
    assert out.rationed == pytest.approx(0.0) and pop.revenue[1] == pytest.approx(120.0)


def test_year_end_true_up_books_overrun_instead_of_cutting_the_past():
    env = simpy.Environment()
    pool = EnergyPool(env, free=5.0, held=100.0)
    pop = planted([GRADE_B], [120.0], [100.0])
    pop.ytd[:] = 12 * 120.0  # a full year at 120 tce/yr
    before = pop.ytd.copy()
    out = true_up(pop, pool, None)
    assert out.granted == pytest.approx(5.0) and out.overrun == pytest.approx(15.0)
    np.testing.assert_array_equal(pop.ytd, before)


def test_a_plant_that_opened_this_year_keeps_its_quota_at_the_true_up():
    """Half of idle quota is taken back: a firm producing at 40 of its 100 for the whole year hands
    back 30; a plant that opened in July at 100 of its 100 produced half a year, yet holds no idle
    quota and keeps it all (it used to hand back 25, to ask for it again the next year)."""
    env = simpy.Environment()
    pool = EnergyPool(env, free=0.0, held=200.0)
    pop = planted([GRADE_B, GRADE_B], [40.0, 100.0], [100.0, 100.0])
    pop.ytd[:] = [12 * 40.0, 6 * 100.0]
    pop.entry_year[:] = [2010, 2023]
    out = true_up(pop, pool, 0.5, pop.full_year_revenue(pop.annual_revenue(), 2023))
    np.testing.assert_allclose(pop.quota, [70.0, 100.0])
    assert out.recovered == pytest.approx(30.0) and pool.free == pytest.approx(30.0)


def _pro_rata_banded(claims, grade, available):
    """The banding without the shortcut for a pool that covers everyone (the reference)."""
    granted = np.zeros_like(claims, dtype=float)
    return banded_grants(claims, grade, np.flatnonzero(claims > 0), max(float(available), 0.0), granted)


_GRADES = st.sampled_from([GRADE_A, GRADE_B, GRADE_C, GRADE_D, UNGRADED])
_CLAIM = st.one_of(st.just(0.0), st.just(-0.0), st.floats(-5.0, 0.0),
                   st.floats(1e-12, 1e6, allow_subnormal=False), st.sampled_from([0.1, 0.2, 0.3, 1 / 3]))


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(_CLAIM, _GRADES), max_size=40),
       st.sampled_from([0.0, 0.3, 0.999999, 1.0, 1.0 + 1e-9, 1.0 + 1e-7, 1.0 + 1e-6, 1.000002, 1.5, 10.0]),
       st.floats(-1.0, 1e7))
def test_pro_rata_shortcut_grants_what_the_banding_grants(rows, factor, other):
    """When the pool covers every claim the shortcut skips the bands; the grants are the same bits."""
    claims = np.array([c for c, _ in rows], dtype=float)
    grade = np.array([g for _, g in rows], dtype=np.int8)
    total = float(claims[claims > 0].sum()) if len(claims) else 0.0
    for available in (total * factor, other):
        got = pro_rata_by_grade(claims, grade, available)
        want = _pro_rata_banded(claims, grade, available)
        assert got.tobytes() == want.tobytes()


def test_pro_rata_shortcut_leaves_rounding_at_the_edge_to_the_bands():
    """A pool equal to the claims' sum may still run short by a rounding in the last band."""
    claims, grade = np.array([0.3, 0.2, 0.1]), np.array([GRADE_B, GRADE_A, GRADE_A], dtype=np.int8)
    available = float(claims.sum())  # 0.6; band A asks 0.30000000000000004, leaving 0.29999999999999993
    want = _pro_rata_banded(claims, grade, available)
    assert want[0] < 0.3
    assert pro_rata_by_grade(claims, grade, available).tobytes() == want.tobytes()


def _ration_forward_without_shortcut(pop, pool, months_done, idle_share=None):
    """ration_forward as it was before the covered months skipped the scaling and shortfall pass."""
    from simulation.processes import kernels
    from simulation.processes.energy import RationOutcome

    left = (12 - months_done) / 12.0
    rate, claims = kernels.look_ahead(pop.ytd, pop.revenue, pop.va_rate, pop.intensity, pop.quota, pop.alive, left)
    traded = 0.0
    need = float(claims.sum()) - pool.free
    if need > 0 and idle_share:
        projected = kernels.used_so_far(pop.ytd, pop.va_rate, pop.intensity, pop.alive) + rate * left
        idle = np.maximum(pop.quota - projected, 0.0) * pop.alive * idle_share
        if idle.sum() > 0:
            take = idle * min(need / float(idle.sum()), 1.0)
            pop.quota -= take
            traded = float(take.sum())
            pool.release(traded, "用能权: idle quota traded within the year")
    granted = _pro_rata_banded(claims, pop.grade, pool.free)
    total = pool.take_now(float(granted.sum()), "用能 look-ahead: quota granted")
    scale = total / max(float(granted.sum()), 1e-300)
    short, cut = kernels.grant_and_short(granted, scale, pop.quota, claims, pop.revenue, pop.va_rate, pop.intensity,
                                         pop.alive)
    if len(cut) == 0:
        return RationOutcome(total, 0.0, 0, traded)
    used = kernels.used_so_far(pop.ytd[cut], pop.va_rate[cut], pop.intensity[cut], pop.alive[cut])
    allowed_rate = np.maximum(pop.quota[cut] - used, 0.0) / left
    per_revenue = pop.va_rate[cut] * pop.intensity[cut]
    pop.revenue[cut] = np.minimum(pop.revenue[cut], allowed_rate / np.maximum(per_revenue, 1e-300))
    return RationOutcome(total, float(short.sum()), len(cut), traded)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 60), st.integers(1, 11),
       st.sampled_from([0.0, 0.5, 0.999999, 1.0, 1.0 + 1e-7, 1.000002, 3.0]), st.sampled_from([None, 0.0, 0.5]),
       st.sampled_from([0.0, 1e-310, 1.0]), st.sampled_from([0.0, -0.0, np.nan]), st.booleans())
def test_look_ahead_is_the_same_with_the_covered_shortcut(seed, n, months_done, factor, idle_share, floor, odd,
                                                           compiled_steps):
    """Firms of every grade, dead rows, zero and tiny claims; the pool at, near and well above the
    claims; a few quotas -0.0 or NaN; numpy or compiled steps: quotas, revenues, ledger and outcome
    are the same bits as the full pass gives."""
    from simulation.processes import compiled, kernels

    rng = np.random.default_rng(seed)
    pops, pools, outs = [], [], []
    revenue = np.where(rng.random(n) < 0.2, floor, rng.lognormal(4, 1.5, n))
    quota = np.where(rng.random(n) < 0.2, 0.0, rng.lognormal(4, 1.5, n))
    quota[rng.random(n) < 0.1] = odd  # -0.0 (which a full pass's + 0.0 turns to 0.0) or NaN
    grades = rng.choice([GRADE_A, GRADE_B, GRADE_C, GRADE_D, UNGRADED], n)
    alive = rng.random(n) < 0.9
    for run in range(2):
        pop = planted(grades, revenue, quota)
        pop.alive[:] = alive
        left = (12 - months_done) / 12.0
        claims = np.maximum(pop.ytd / 12 + pop.revenue * left - pop.quota, 0.0) * alive  # ~ the claims
        pool = EnergyPool(simpy.Environment(), free=float(claims.sum()) * factor, held=float(quota.sum()))
        if run == 0:
            step = compiled if compiled_steps else kernels
            with mock.patch.object(kernels, "for_size", lambda n, step=step: step):
                outs.append(ration_forward(pop, pool, months_done, idle_share))
        else:
            outs.append(_ration_forward_without_shortcut(pop, pool, months_done, idle_share))
        pops.append(pop)
        pools.append(pool)
    assert str(outs[0]) == str(outs[1])  # as text: NaN equals NaN
    for name in ("quota", "revenue", "ytd"):
        assert getattr(pops[0], name).tobytes() == getattr(pops[1], name).tobytes(), name
    assert str(pools[0].ledger.rows) == str(pools[1].ledger.rows) and str(pools[0].free) == str(pools[1].free)


def test_quota_bought_for_the_queue_is_what_the_free_quota_leaves_short():
    """用能权 trading buys for the projects waiting in line what the free quota does not cover: with
    30 tce free and 50 then 20 waiting (the head does not fit), it buys 40, and both are served."""
    from simulation.processes.energy import buy_for_queue
    from simulation.processes.land import wait_for

    env = simpy.Environment()
    pool = EnergyPool(env, free=30.0, held=100.0)
    served = []

    def project(amount):
        served.append((amount, (yield from wait_for(env, pool, amount, 10.0, "project"))))

    env.process(project(50.0))
    env.process(project(20.0))
    env.run(until=1.0)
    assert pool.get_queue.total() == pytest.approx(70.0) and pool.free == pytest.approx(30.0)
    assert buy_for_queue(pool, 1_000.0) == pytest.approx(40.0)
    env.run(until=2.0)
    assert sorted(served) == [(20.0, True), (50.0, True)] and pool.free == pytest.approx(0.0)
    assert buy_for_queue(pool, 1_000.0) == 0.0  # nobody waiting
