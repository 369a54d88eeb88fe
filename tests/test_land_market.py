"""The land market: a queue with abandonment against its birth-death solution, clearing of freed
land, leads that decline without land in sight, and remediation that matters only when land is short."""

from __future__ import annotations

import numpy as np
import pytest
import simpy

from simulation.books import Books
from simulation.loader import with_overrides
from simulation.model import simulate
from simulation.processes.land import LandMarket, wait_for
from simulation.resources import LandPool


def queue_law(lam: float, mu: float, theta: float, n_max: int = 400) -> tuple[float, float, float]:
    """Units of land arrive at rate ``mu``, unit requests at ``lam`` > ``mu``, and each request
    waits an exponential patience of rate ``theta`` (a double-ended queue with abandonment).

    The net stock is a birth-death chain on the integers: a stock k >= 0 falls at ``lam`` and rises
    at ``mu``; a queue of n requests grows at ``lam`` and shrinks at ``mu + n theta`` (one served,
    or one of n gives up). Returns (mean queue length, P(stock > 0 or = 0: served at once), lost
    share = theta E[n] / lam).
    """
    stock = 1.0 / (1.0 - mu / lam)  # sum over k >= 0 of (mu/lam)^k, relative to p(0)
    queue, weight, mean_n = 0.0, 1.0, 0.0
    for n in range(1, n_max):
        weight *= lam / (mu + n * theta)
        queue += weight
        mean_n += n * weight
    total = stock + queue
    return mean_n / total, (stock - 1.0) / total, theta * mean_n / total / lam


def test_queue_with_patience_loses_the_share_the_birth_death_chain_predicts():
    lam, mu, theta, horizon = 1.0, 0.8, 0.5, 30000.0
    rng = np.random.default_rng(7)
    env = simpy.Environment()
    pool = LandPool(env, free=0.0, held=0.0)
    outcome = {"served": 0, "lost": 0, "at_once": 0}
    lengths = []

    def supply():
        while True:
            yield env.timeout(rng.exponential(1 / mu))
            pool.supply(1.0, "unit")

    def claimant():
        start = env.now
        ok = yield from wait_for(env, pool, 1.0, env.now + rng.exponential(1 / theta), "claim")
        outcome["served" if ok else "lost"] += 1
        outcome["at_once"] += ok and env.now == start

    def arrivals():
        while True:
            yield env.timeout(rng.exponential(1 / lam))
            env.process(claimant())

    def observe():
        while True:
            yield env.timeout(0.5)
            lengths.append(pool.waiting)

    env.process(supply())
    env.process(arrivals())
    env.process(observe())
    env.run(until=horizon)
    mean_queue, at_once, lost_share = queue_law(lam, mu, theta)
    arrived = outcome["lost"] + outcome["served"]
    lost = outcome["lost"] / arrived
    assert outcome["at_once"] / arrived == pytest.approx(at_once, abs=0.015)  # arrivals see the chain (PASTA)
    assert lost == pytest.approx(lost_share, abs=0.015)
    assert lost_share == pytest.approx(1 - mu / lam)  # in the long run every unit of land is used
    assert np.mean(lengths[100:]) == pytest.approx(mean_queue, rel=0.05)  # the chain's queue length
    assert pool.held + pool.free == pytest.approx(pool.total)


def test_freed_land_returns_after_the_lag_less_the_share_to_other_uses(small):
    land = with_overrides(small, {"parameters.land.clearing_months": 6, "parameters.land.other_use_share": 0.25}).parameters.land
    env = simpy.Environment()
    pool = LandPool(env, free=10.0, held=100.0)
    books = Books()
    LandMarket(env, pool, lambda: books, land, lambda: 2021)  # attaches its clearing to the pool
    seen = []

    def firm_leaves():
        yield env.timeout(2.3)
        pool.release(40.0, "closed")  # a firm's exit goes through the market's clearing
        seen.append((env.now, pool.free, pool.clearing, pool.held))

    def look(at):
        yield env.timeout(at)
        seen.append((env.now, pool.free, pool.clearing, pool.held))

    env.process(firm_leaves())
    env.process(look(8.4))
    env.process(look(8.6))
    env.run()
    assert seen[0] == (2.3, 10.0, 40.0, 60.0)  # not free yet: in clearing
    assert seen[1][1:] == (10.0, 40.0, 60.0)  # still clearing just before the lag ends (mid-month 8.5)
    assert seen[2][1:] == pytest.approx((10.0 + 30.0, 0.0, 60.0))
    assert books["land_cleared"] == pytest.approx(30.0) and books["land_to_other_uses"] == pytest.approx(10.0)
    assert pool.total == pytest.approx(110.0 - 10.0)
    assert pool.held + pool.clearing + pool.free == pytest.approx(pool.total)


def test_a_lead_declines_when_the_land_it_needs_is_not_in_sight(small):
    """No land at all and none coming: every lead that needs a plot goes elsewhere; 零增地 ones sign."""
    sc = with_overrides(small, {"parameters.land.free_initial": 0, "levers.land_supply.new_land_per_year": 0,
                                "parameters.land.clearing_at_start": 0,
                                "levers.remediation.firms_per_year": 0, "levers.scattered_weak.firms_per_year": 0,
                                "parameters.exit.rate": 0, "levers.attraction.zero_land_share": 0.0,
                                "levers.energy.cap": 5000})
    w = simulate(sc, 1).indicators.pivot(index="year", columns="indicator", values="value")
    assert w.projects_declined.sum() > 0
    assert w.projects_arrived.sum() == 0 and w.land_granted_projects.sum() == 0
    assert w.investment_lost.sum() > 0


LEADS = {"levers.attraction.projects_per_year": 30, "levers.attraction.zero_land_share": 0.0,
         "levers.energy.cap": 5000, "parameters.projects.patience_months": 12}


def _paired(scenario, seeds, indicators):
    """Per seed, (with remediation) - (without), summed over the years, for each indicator."""
    off = with_overrides(scenario, {"levers.remediation.firms_per_year": 0})
    diffs = {k: [] for k in indicators}
    for seed in seeds:
        a = simulate(scenario, seed).indicators.groupby("indicator").value.sum()
        b = simulate(off, seed).indicators.groupby("indicator").value.sum()
        for k in indicators:
            diffs[k].append(a[k] - b[k])
    return {k: np.array(v) for k, v in diffs.items()}


KEYS = ["land_granted_projects", "projects_started", "manufacturing_investment", "investment_lost"]


def test_remediation_raises_landed_investment_when_land_is_short(small):
    short = with_overrides(small, {**LEADS, "parameters.land.free_initial": 0, "levers.land_supply.new_land_per_year": 0,
                                   "levers.remediation.firms_per_year": 20, "parameters.land.clearing_months": 6})
    d = _paired(short, range(6), KEYS)
    assert d["land_granted_projects"].mean() > 0 and (d["land_granted_projects"] >= 0).sum() >= 5
    assert d["projects_started"].mean() > 0
    assert d["investment_lost"].mean() < 0  # fewer projects leave for want of land


def test_remediation_changes_nothing_for_projects_when_land_is_abundant(small):
    abundant = with_overrides(small, {**LEADS, "parameters.land.free_initial": 1e6,
                                      "levers.remediation.firms_per_year": 20})
    d = _paired(abundant, range(4), ["land_granted_projects", "projects_started", "projects_declined", "investment_lost"])
    for k, v in d.items():
        np.testing.assert_array_equal(v, 0.0, err_msg=k)


@pytest.mark.parametrize("compiled", [False, True])
def test_a_plant_in_its_first_full_year_files_no_growth_claim(zhenhai, compiled):
    """Growth is read from two full years of accounts: a firm that began producing in mid-2022 (a
    completed project) and now runs at its full rate reads twice last year's revenue, but files no
    land claim in 2023; an older firm growing as much does."""
    from simulation.population import Population
    from simulation.processes import kernels

    pop = Population.new(2, alive=True, above=True, revenue_prev=5_000.0, land=20.0, entry_year=[2022, 2010])
    annual = np.array([10_000.0, 10_000.0])  # both doubled on last year's books
    env, books = simpy.Environment(), Books()
    market = LandMarket(env, LandPool(env, free=1e6, held=40.0), lambda: books, zhenhai.parameters.land, lambda: 2023)
    with kernels.pinned(compiled):
        out = market.file_expansions(pop, 2023, annual)
    assert out.claims == 1 and books["land_granted_expansion"] > 0  # the older firm's claim only


def _land_at_start(scenario, amount: float | None):
    """``scenario`` with ``amount`` 亩 in clearing at the start (None: the field left out)."""
    from simulation.loader import validate

    data = scenario.model_dump(mode="python")
    given = None if amount is None else {"value": amount, "unit": "亩", "assume": "a test pipeline"}
    data["parameters"]["land"]["clearing_at_start"] = given
    return validate(data, file="<test>")


def test_land_in_clearing_at_the_start_comes_back_over_the_first_clearing_months(small):
    """X亩 freed before the start are in the base year's land and in clearing; they come back in
    equal parts over the first M months, less the other-use share. With M = 18 the run's own clearing
    returns nothing in year one, so year one's land_cleared is X (1 - s) 12 / M exactly, and the
    ledger books X into clearing and X s to other uses, a part in the middle of each of the M months."""
    months, share, amount = 18, 0.25, 900.0
    rules = {"parameters.land.clearing_months": months, "parameters.land.other_use_share": share}
    without = _land_at_start(with_overrides(small, rules), None)
    with_pipeline = _land_at_start(with_overrides(small, rules), amount)
    first = small.base_year + 1
    a = simulate(with_pipeline, 3)
    b = simulate(without, 3)
    wide_a = a.indicators.pivot(index="year", columns="indicator", values="value")
    wide_b = b.indicators.pivot(index="year", columns="indicator", values="value")
    assert wide_a.loc[small.base_year, "land_total"] - wide_b.loc[small.base_year, "land_total"] == pytest.approx(amount)
    assert wide_a.loc[small.base_year, "land_clearing"] == pytest.approx(amount)
    assert wide_b.loc[first, "land_cleared"] == 0.0
    assert wide_a.loc[first, "land_cleared"] == pytest.approx(amount * (1 - share) * 12 / months)
    rows = [(t, event, x) for t, event, x, reason in a.ledgers[0].rows if "freed before the start" in reason]
    assert sum(x for _, event, x in rows if event == "clearing") == pytest.approx(amount)
    back = [(t, x) for t, event, x in rows if event == "to other uses"]  # one share of each monthly part
    assert [t for t, _ in back] == [m + 0.5 for m in range(months)]
    assert sum(x for _, x in back) == pytest.approx(amount * share)


def test_land_in_clearing_at_the_start_needs_its_clearing_months(small):
    from simulation.errors import InputError

    data = small.model_dump(mode="python")
    data["parameters"]["land"]["clearing_months"] = None
    data["parameters"]["land"]["clearing_at_start"] = {"value": 900, "unit": "亩", "assume": "a test pipeline"}
    from simulation.loader import validate

    with pytest.raises(InputError, match="clearing_at_start needs clearing_months") as caught:
        validate(data, file="s.yaml")
    assert "parameters.land" in caught.value.field and "s.yaml" in str(caught.value)


def test_land_in_clearing_at_the_start_without_a_lag_is_back_at_once(small):
    """clearing_months 0: the land is free at the start, less the other-use share (as land given up
    now would be), and the pool's total keeps the industrial part."""
    from simulation.processes.land import LandMarket

    lag_free = with_overrides(small, {"parameters.land.clearing_months": 0, "parameters.land.other_use_share": 0.25})
    land = _land_at_start(lag_free, 400.0).parameters.land
    env, books = simpy.Environment(), Books()
    pool = LandPool(env, free=100.0, held=0.0)
    LandMarket(env, pool, lambda: books, land, lambda: 2021).warm_start()
    assert pool.free == pytest.approx(400.0) and pool.clearing == 0.0 and pool.total == pytest.approx(400.0)
    assert books["land_cleared"] == pytest.approx(300.0) and books["land_to_other_uses"] == pytest.approx(100.0)
