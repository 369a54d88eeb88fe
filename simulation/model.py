"""One region simulated over the years: ``simulate(scenario, seed) -> SimulationResult``.

Time is in months from 1 January of the first simulated year (SimPy's clock). The calendar:

- end of every month: firms completed by projects join; growth and market exit (all firms at once);
  then, months 1-11, the energy look-ahead (有序用电 going forward, :mod:`.processes.energy`);
- month ``remediation.month``: 腾笼换鸟 batch on last year's grades;
- month ``certification.month``: certification round, reviews, 高新技术企业;
- land auctions spread over the year; project leads, signing and their queues in continuous time;
  freed land back from clearing after its lag (:mod:`.processes.land`);
- end of December: energy quota true-up, 小升规/退规, 亩均论英雄 grading, expansion claims,
  indicators; then the next year's births, energy cap and growth rates.

The land, energy and project rules live in :mod:`simulation.processes`; ``Region`` keeps the
calendar and the books (:class:`simulation.books.Books`, one declared vocabulary of counters).

Randomness is keyed so that scenarios compared at the same seed share their common random
numbers. Everything that happens to a firm (growth shocks, exit, 小升规 reporting, certification,
remediation route) is a draw keyed by the firm's id and the date (:mod:`simulation.draws`), so a
lever that closes one more firm leaves every other firm's luck as it was. What happens to no firm
in particular comes from its own stream, spawned from the one ``SeedSequence``: the initial
population, project arrivals, births, and the hosts and leases of completed projects.
"""

from __future__ import annotations

import gc
import math
from collections import defaultdict
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from itertools import repeat
from typing import TypeVar

import numpy as np
import pandas as pd
import simpy

from .books import Books, canonical
from .draws import FirmDraws, categories
from .indicators import Snapshot, measure, population_aggregates
from .memory import keep_freed_memory
from .panel import PanelRecorder
from .population import Population, initial_population
from .processes import (
    certification,
    energy,
    entry,
    grading,
    growth,
    kernels,
    land,
    land_renewal,
    projects,
    remediation,
    statistics,
)
from .resources import EnergyPool, LandPool, Ledger, after
from .scenario import Scenario
from .tiers import CERT_LABELS, ROUTE_LABELS, Cert, Route

STREAMS = ("population", "projects", "entry", "hosts")
T = TypeVar("T")


@dataclass
class SimulationResult:
    """The tables of one replication.

    indicators: ``year, indicator, value`` (long; the base year is the initial state).
    flows: ``year, source, target, count`` between tiers and to exit, one row per year and pair of tiers.
    ledger: ``resource, time, event, amount, reason`` of every land and energy movement, built
    from ``ledgers`` when first read (~10^4 rows a city run; most callers never read it).
    """

    indicators: pd.DataFrame
    flows: pd.DataFrame
    ledgers: tuple[Ledger, Ledger] = field(repr=False)  # land's and energy's
    firms: pd.DataFrame | None = None  # the firm panel, when asked for (see :mod:`simulation.panel`)

    @cached_property
    def ledger(self) -> pd.DataFrame:
        return ledger_frame(*self.ledgers)


def ledger_frame(land: Ledger, energy: Ledger) -> pd.DataFrame:
    """Land rows, then energy rows: ``resource, time, event, amount, reason``, built column by
    column (pandas infers a type per cell when given rows)."""
    columns = [a + b for a, b in zip(land.columns(), energy.columns(), strict=True)]
    if not columns[0]:
        return pd.DataFrame([], columns=["resource", "time", "event", "amount", "reason"])
    n_land = len(land.cells) // 4
    return pd.DataFrame({"resource": ["land"] * n_land + ["energy"] * (len(columns[0]) - n_land),
                         "time": np.array(columns[0], dtype=float), "event": columns[1],
                         "amount": np.array(columns[2], dtype=float), "reason": columns[3]})


def simulate(scenario: Scenario, seed: int | np.random.SeedSequence = 0, *, firms: bool = False) -> SimulationResult:
    """Run one replication of ``scenario``; same seed, same numbers.

    ``firms=True`` also returns the firm panel: one row per firm and year (see :mod:`simulation.panel`).
    The finished region is freed before this returns (:func:`run_then_free`).
    """
    with cyclic_gc_paused():
        return run_then_free(scenario, seed, Region.result, firms=firms)


def run_then_free(scenario: Scenario, seed: int | np.random.SeedSequence, tables: Callable[[Region], T], *,
                  firms: bool = False) -> T:
    """``tables(region)`` of one replication, the finished region freed before this returns; call
    it with the cyclic collector paused (:func:`cyclic_gc_paused`).

    A finished region is a web of cycles (the region, its pools, market and processes refer to each
    other) that only the cyclic collector frees. Left to it, a loop of runs kept up to some ten dead
    regions and their firms' columns (~15 MB each for Ningbo), each new run faulted in fresh memory,
    and each region was walked a few times as it aged and every so often with the whole process
    (~10^5 objects, 0.1-0.2 s). With the collector paused until the tables are built, every object of
    the run is in the youngest generation, so one young collection frees it and walks nothing else.
    Runs in several threads at once share the collector's switch: a region may then wait for the
    collector.
    """
    region = run_region(scenario, seed, firms=firms)
    out = tables(region)
    del region
    gc.collect(0)
    return out


def run_region(scenario: Scenario, seed: int | np.random.SeedSequence = 0, *, firms: bool = False) -> Region:
    """One replication run to its end: the region with its rows (``records``, ``flow_rows``), no tables
    built yet (a batch builds its tables once for many replications; see ``run_replications``)."""
    keep_freed_memory()  # once a process: the next step reuses what this one frees
    seq = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    # children built from the key, not seq.spawn(), which would advance a caller's SeedSequence
    children = [np.random.SeedSequence(seq.entropy, spawn_key=(*seq.spawn_key, i), pool_size=seq.pool_size)
                for i in range(len(STREAMS) + 1)]
    streams = {name: np.random.default_rng(child) for name, child in zip(STREAMS, children)}
    region = Region(scenario, streams, FirmDraws(children[-1]), panel=PanelRecorder() if firms else None)
    with cyclic_gc_paused():
        region.run()
    return region


def _calling(action) -> Generator[simpy.Event, None, None]:
    """A process that calls ``action()`` when SimPy starts it (at once, before anything else at that
    time: SimPy's start is urgent) and ends."""
    action()
    yield from ()


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cycle collector while the calendar runs.

    A run allocates some hundred thousand short-lived objects (events, claims, ledger rows) that
    reference counting frees; the collector would still walk every live object of the process (the
    imported libraries' ~200k) now and then, a tenth of a Ningbo replication's time, and find little.
    Cyclic garbage of the run is collected once the collector is back on. Numbers do not depend on
    it. Re-enabled only by whoever found it on (so concurrent runs in threads leave it on).
    """
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


# tier codes in the hot path, labels at the edge: 0 规下, 1 规上, 1 + level for a certified firm
TIER_LABELS = ("规下", "规上", *(CERT_LABELS[Cert(level)] for level in range(1, len(Cert))))
# flows are listed in the order of their labels (as np.unique over the labels listed them)
_TIERS_BY_LABEL = sorted(range(len(TIER_LABELS)), key=TIER_LABELS.__getitem__)


def tier_code(pop: Population, rows: np.ndarray) -> np.ndarray:
    """Tier code per row: the certification level if any, else 规上 or 规下 (see :data:`TIER_LABELS`)."""
    cert = pop.cert[rows].astype(np.int64)
    return np.where(cert > 0, cert + 1, pop.above[rows].astype(np.int64))


def tier_of(pop: Population, rows: np.ndarray) -> np.ndarray:
    """Tier label per row: the certification level if any, else 规上 or 规下."""
    return np.array(TIER_LABELS, dtype=object)[tier_code(pop, rows)]


def tier_counts(pop: Population, rows: np.ndarray) -> list[tuple[str, int]]:
    """(tier label, firms) of ``rows``, in the order of the labels, tiers with no firm left out."""
    return _listed(np.bincount(tier_code(pop, rows), minlength=len(TIER_LABELS)))


def _listed(counts: np.ndarray) -> list[tuple[str, int]]:
    """(tier label, firms) from the firms per tier code, in the order of the labels, tiers with no
    firm left out."""
    counts = counts.tolist()
    return [(TIER_LABELS[code], counts[code]) for code in _TIERS_BY_LABEL if counts[code]]


# the counters by their declared names: Books.add's one lookup (an older name takes three)
_EXIT_COUNTER = {route: canonical(name) for route, name in
                 ((Route.MARKET, "exits_market"), (Route.MERGE, "exits_merged"), (Route.CLOSE, "exits_closed"))}


class Region:
    """The state of one replication and the SimPy processes that move it."""

    def __init__(self, scenario: Scenario, streams: dict[str, np.random.Generator], draws: FirmDraws,
                 panel: PanelRecorder | None = None):
        self.scenario = scenario
        self.params = scenario.parameters
        self.levers = scenario.levers
        self.rng = streams
        self.draws = draws
        self.env = simpy.Environment()
        self.panel = panel
        self.shocks = growth.CommonShocks()
        self.year = scenario.base_year + 1
        self.horizon = 12 * len(scenario.years)
        self.pop = initial_population(scenario, streams["population"])
        self.land = LandPool(self.env, free=self.params.land.free_initial.at(0), held=float(self.pop.land.sum()))
        allocated = float(self.pop.quota.sum())
        cap = self.levers.energy.cap.at(scenario.base_year) * 1e4
        self.energy = EnergyPool(self.env, free=max(cap - allocated, 0.0), held=allocated)
        self.counts = Books()  # the year's flow counters
        self.market = land.LandMarket(self.env, self.land, lambda: self.counts, self.params.land, lambda: self.year)
        self.desk = projects.Desk(
            self.env, self.market, self.energy, self.params.projects, self.levers.attraction, self.levers.energy,
            year=lambda: self.year, books=lambda: self.counts, base_year=scenario.base_year, horizon=self.horizon,
        )
        self._above_rows: np.ndarray | None = None  # rows of the 规上 firms this year, once asked for
        self._newcomers: entry.Newcomers | None = None  # the year's new firms, drawn up each January
        self.records: list[tuple[int, str, float]] = []
        self.flow_counts: dict[tuple[int, str, str], int] = {}  # firms a year from tier to tier, summed
        self.prev: dict[str, float] = {}
        self.prev_va_all = math.nan  # last year's value added, all industry (万元), for the year's growth
        self.totals: dict[str, float] = defaultdict(float)  # flows summed since the base year
        # the base year's 亩均 evaluation, published the next spring: the first remediation list
        grading.grade_firms(self.pop, self.params.grading, scenario.base_year, annual=self.pop.revenue_prev)
        self._base_year = self._base_year_snapshot()  # recorded once the projects under way are known
        if panel is not None:
            panel.record_year(self.pop, scenario.base_year, self.pop.revenue)

    # --- the calendar ---------------------------------------------------------------------
    def run(self) -> None:
        env, first = self.env, self.scenario.base_year + 1
        self._new_year(first)
        self.market.warm_start()  # land in clearing at the start: before the base year is recorded, in its total
        self._record_base_year(projects.warm_start(self.desk, self.rng["projects"], self._land_over_a_build()))
        env.process(_calling(self._set_first_dates))  # where the calendar's processes started
        projects.start_leads(self.desk, self.rng["projects"])
        env.run(until=self.horizon + 0.5)

    def _set_first_dates(self) -> None:
        """The calendar's dates as timers, each set again as it is processed: the entries that
        processes waiting for each date would make (the same times, in the same turns), without a
        process to resume at each (~150 in a five-year run)."""
        self._on_dates(((k, (k,)) for k in range(1, self.horizon + 1)), self._month_end)
        self._on_dates(self._yearly_dates(self.levers.remediation.month.at(0), 0.3), self._remediate)
        self._on_dates(self._yearly_dates(self.params.certification.month.at(0), 0.4), self._certify)
        self._on_dates(self._auction_dates(), self._auction)
        self._on_dates(self._look_ahead_dates(), self._look_ahead)

    def _land_over_a_build(self) -> float:
        """New industrial land supplied over one build time before the start (亩, at the base year's
        rate, less the 小微企业园 share): with the free stock, what the projects under way could count on."""
        supply, year = self.levers.land_supply, self.scenario.base_year
        build = self.params.projects.build_months.at(year + 1) / 12.0
        return supply.industrial_land(year) * (1.0 - supply.small_park_share.at(year)) * build

    def _on_dates(self, dates: Iterator[tuple[float, tuple]], action) -> None:
        """``action(*args)`` at each ``(time, args)`` of ``dates`` in turn, each timer set when the
        one before has been processed (as a process's ``yield timeout(time - now)`` sets it)."""
        date = next(dates, None)
        if date is not None:
            after(self.env, date[0] - self.env.now, self._on_date, dates, action, date[1])

    def _on_date(self, dates: Iterator[tuple[float, tuple]], action, args: tuple) -> None:
        action(*args)
        self._on_dates(dates, action)

    def _at(self, year: int, month: float, phase: float) -> float:
        """SimPy time of ``phase`` (0..1) into ``month`` (1..12) of ``year``."""
        return 12.0 * (year - self.scenario.base_year - 1) + (month - 1) + phase

    def _yearly_dates(self, month: float, phase: float) -> Iterator[tuple[float, tuple]]:
        return ((self._at(year, month, phase), (year,)) for year in self.scenario.years)

    def _month_end(self, k: int) -> None:
        self._join_completed(k)
        exited = growth.month_step(self.pop, self.draws, k)
        self._exit(exited, Route.MARKET)
        if k % 12:
            self._births(self.year, k % 12)  # December's are January's, after the year's review
        if k % 12 == 0:
            self._year_end()
            if k < self.horizon:
                self._new_year(self.year + 1)
        self.desk.month_steps = k  # the next step's timer is set now (see Desk.joining)

    def _auction_dates(self) -> Iterator[tuple[float, tuple]]:
        supply = self.levers.land_supply
        for year in self.scenario.years:
            n = int(supply.auctions_per_year.at(year))
            for k in range(n):
                yield self._at(year, 1 + 12 * (k + 0.5) / n, 0.0), (year, n)

    def _auction(self, year: int, n: int) -> None:
        self.market.auction(self.levers.land_supply, self.levers.land_renewal, year, n)

    def _look_ahead_dates(self) -> Iterator[tuple[float, tuple]]:
        return ((self._at(year, month + 1, 0.05), (year, month)) for year in self.scenario.years for month in range(1, 12))

    def _look_ahead(self, year: int, month: int) -> None:
        """After each month's step (months 1-11): quota for growing firms, rationing going forward
        (from the rationing month, where the scenario gives one)."""
        returned, start = self.levers.energy.unused_quota_returned, self.levers.energy.rationing_month
        share = returned.at(year) if returned is not None else None
        self.counts.record(energy.look_ahead(self.pop, self.energy, month, share,
                                             start.at(year) if start is not None else None))

    # --- yearly events --------------------------------------------------------------------
    def _new_year(self, year: int) -> None:
        self.year = year
        self._set_energy_cap(self.levers.energy.cap.at(year) * 1e4 - self.levers.energy.cap.at(year - 1) * 1e4)
        pop, params = self.pop, self.params
        energy.restore_rates(pop)  # last year's 有序用电 is over
        np.multiply(pop.intensity, 1.0 - params.growth.energy_efficiency_gain.at(year) / 100, out=pop.intensity)
        last_prices = self.scenario.price_level(year - 1)  # last year's, at which the rules read its revenue
        certification.evolve_rd(pop, params.certification, year, self.draws, self.levers.cultivation,
                                price_level=last_prices)
        # the 培育库 is drawn up on last year's revenue, near last year's line
        threshold = statistics.line_in_base_prices(params, year - 1, last_prices)
        boost = statistics.cultivation_pool_boost(pop, self.levers, threshold, year)
        self.shocks.advance(params, year, len(self.scenario.population.sectors), self.draws)
        log_growth = growth.grow_year(pop, params, year, self.draws, self.shocks, pool_boost=boost)
        growth.update_employment(pop, log_growth, params, year)
        exits = growth.set_exit_hazard(pop, params, year, named=len(self.scenario.population.large_firms))
        self._newcomers = entry.Newcomers(self.scenario, year, self.rng["entry"], exits=exits)
        self._births(year, 0)

    def _year_end(self) -> None:
        year, pop = self.year, self.pop
        annual = pop.annual_revenue()  # the year's revenue: no monthly sum moves until the roll
        full_year = pop.full_year_revenue(annual, year)  # what the rules that judge a year read
        self._energy_true_up(full_year)
        # a firm rationed down to (almost) no output by December cannot carry on: it leaves the market,
        # unless the cut is for the months left (its rate comes back at the new year)
        idle = (pop.alive & (pop.revenue < 1.0) & (pop.rationed_revenue == 0.0)).nonzero()[0]  # under 1万元 a year
        self._exit(idle, Route.MARKET, reason="有序用电: no output left")
        entered, dropped = statistics.review_scale(pop, self.params, self.levers, year, self.draws, annual,
                                                   price_level=self.scenario.price_level(year))
        n_entered, n_dropped = int(np.count_nonzero(entered)), int(np.count_nonzero(dropped))
        self.counts["new_above_scale"] += n_entered
        self.counts["dropped_below_scale"] += n_dropped
        self._flow("规下", "规上", n_entered)
        self._flow("规上", "规下", n_dropped)
        grading.grade_firms(pop, self.params.grading, year, annual=full_year)
        self._check_leases(year)
        self._expand_land(annual)
        self._buy_energy()
        self._record(year)
        if self.panel is not None:
            self.panel.record_year(pop, year, annual)
        self._roll_year(annual)

    def _check_leases(self, year: int) -> None:
        """先租后让: leases that end this year convert to title unless the firm is graded D."""
        if self.levers.land_renewal is None:
            return
        failed = land_renewal.lease_check(self.pop, year)
        self.counts["leases_reclaimed"] += len(failed)
        self.counts["land_reclaimed_lease"] += float(self.pop.land[failed].sum())
        self._exit(failed, Route.CLOSE, policy=True, reason="先租后让: lease not converted")

    def _remediate(self, year: int) -> None:
        if year < self.levers.remediation.start_year:
            return
        out = remediation.campaign(self.pop, self.levers.remediation, self.levers.scattered_weak,
                                   self.params.route_effects, year, self.draws)
        self.counts.record(out)
        self.land.release(out.batch.land_returned, "规范管理: land handed back")
        self.energy.release(out.batch.energy_saved, "改造提升: energy saved")
        self._exit(out.batch.merged, Route.MERGE, policy=True)
        self._exit(out.batch.closed, Route.CLOSE, policy=True)
        self._exit(out.scattered_closed, Route.CLOSE, policy=True)

    def _certify(self, year: int) -> None:
        rules, draws, pop = self.params.certification, self.draws, self.pop
        failed = certification.review(pop, rules, year, draws)
        self.counts["cert_withdrawn"] += len(failed)
        multiplier = self.levers.cultivation.success_multiplier.at(year)
        before = pop.cert.copy()  # a step open to lower levels may skip one: the flow names the real source
        last_prices = self.scenario.price_level(year - 1)  # the rules read last year's revenue
        granted = certification.certification_round(pop, rules, multiplier, year, draws, price_level=last_prices)
        for level, rows in granted.items():
            self.counts[f"new_cert{int(level)}"] += len(rows)
            sources = np.bincount(before[rows], minlength=len(Cert))  # by level, ascending as np.unique
            for source in sources.nonzero()[0].tolist():
                self._flow(CERT_LABELS[Cert(source)], CERT_LABELS[level], int(sources[source]))
        new, _ = certification.high_tech_round(pop, rules, year, draws, price_level=last_prices)
        self.counts["new_high_tech"] += len(new)

    # --- firms in and out -----------------------------------------------------------------
    def _births(self, year: int, month: int) -> None:
        """New small firms at the start of ``month`` + 1 (:mod:`simulation.processes.entry`); their
        energy quota comes from the pool."""
        newcomers = self._newcomers
        assert newcomers is not None and newcomers.year == year  # drawn up in _new_year
        n = int(self.rng["entry"].poisson(newcomers.births_expected(month, self.pop)))
        if n == 0:
            return
        firms, use = newcomers.take(n, month)  # with their exit hazard for the year
        asked = float(use.sum())
        firms["quota"] = use * self.energy.take_now(asked, "new firms") / max(asked, 1e-9)
        self.pop.append(n, **firms)  # each column written once, in place
        self.counts.add("firm_births", n)
        self._flow("新设", "规下", n)

    def _exit(self, rows: np.ndarray, route: Route, *, policy: bool = False, reason: str | None = None) -> None:
        if len(rows) == 0:
            return
        pop = self.pop
        if self.panel is not None:
            self.panel.record_exits(pop, rows, self.year, ROUTE_LABELS[route] if reason is None else reason)
        step = kernels.compiled_for(len(pop)) or kernels  # one call for a few rows (the same numbers)
        # what leaves with them, and the firms marked gone (nothing below reads their rows)
        land, quota, tiers = step.exit_rows(rows, pop.alive, pop.revenue, pop.hazard_month, pop.land, pop.quota,
                                            pop.cert, pop.above, len(TIER_LABELS))
        label = ROUTE_LABELS[route]  # the route, for the tier flows
        self.land.release(land, reason or label)  # the ledger says why, when more precise
        self.energy.release(quota, reason or label)
        if not policy:
            self.counts.add("land_released_exits", land)
        self.counts.add(_EXIT_COUNTER[route], len(rows))
        self._flows([(tier, label, n) for tier, n in _listed(tiers)])  # from each tier the firms left

    def _roll_year(self, annual: np.ndarray | None = None) -> None:
        """The year's revenue, growth and value added become last year's; the firms that left are dropped.
        (``annual``: this year's revenue, when the caller has it.)"""
        pop = self.pop
        annual = pop.annual_revenue() if annual is None else annual
        compiled = kernels.compiled_for(len(pop))
        if compiled is not None:  # the same columns in one pass
            compiled.roll_year(annual, pop.revenue_prev, pop.va_prev, pop.growth_prev, pop.va_rate, pop.ytd)
        else:
            pop.growth_prev = np.where(pop.revenue_prev > 0, annual / np.maximum(pop.revenue_prev, 1e-9) - 1.0, 0.0)
            pop.va_prev = annual * pop.va_rate
            pop.revenue_prev = annual
            pop.ytd = np.zeros(len(pop))
        pop.keep(pop.alive)
        np.copyto(pop.in_directory, pop.above)  # this year's review sets next year's 名录库
        self._above_rows = None  # rows moved, and the review changed who is 规上

    # --- projects (simulation.processes.projects) -----------------------------------------
    def _join_completed(self, step: int) -> None:
        """Projects built by month step ``step`` start producing: new firms join; 零增地 upgrades raise
        their hosts' output."""
        done = self.desk.joining(step)
        if not done:
            return
        upgrades = [p for p in done if p.zero_land]
        if upgrades:
            hosts = self._pick_hosts(np.array([p.output for p in upgrades]))
            if len(hosts) == 0:  # no 规上 firm left to upgrade: the quota goes back
                self.energy.release(sum(p.energy for p in upgrades), "零增地: no host")
            else:
                self._upgrade_hosts(hosts, np.array([p.output for p in upgrades]), np.array([p.energy for p in upgrades]))
        fresh = [p for p in done if not p.zero_land]
        if fresh:
            self._add_project_firms(fresh)

    def _upgrade_hosts(self, hosts: np.ndarray, outputs: np.ndarray, energies: np.ndarray) -> None:
        """零增地技改 projects done at ``hosts`` (a row may host several): each adds its output and its
        quota, and the host's energy use rises by the project's own use (its quota), not by the
        output at the host's older intensity: the host's intensity becomes the two plants' mix."""
        pop = self.pop
        rows, which = np.unique(hosts, return_inverse=True)
        output, energy_use = np.bincount(which, outputs), np.bincount(which, energies)
        use = pop.revenue[rows] * pop.va_rate[rows] * pop.intensity[rows]
        pop.revenue[rows] += output
        pop.quota[rows] += energy_use
        pop.intensity[rows] = (use + energy_use) / (pop.revenue[rows] * pop.va_rate[rows])

    def _pick_hosts(self, outputs: np.ndarray) -> np.ndarray:
        """Rows of the 规上 firms that carry out each 零增地技改 project (see :func:`projects.hosts`)."""
        pop = self.pop
        if self._above_rows is None:  # the 规上 rows change only at the year's end (the review, then the roll)
            self._above_rows = pop.above.nonzero()[0]
        return projects.host_rows(self._above_rows, pop.alive, pop.revenue, outputs, self.rng["hosts"])

    def _add_project_firms(self, done: list[projects.Project]) -> None:
        spec, pp, year = self.scenario.population, self.params.projects, self.year
        above = spec.above_scale
        output = np.array([p.output for p in done])
        self.pop.append(
            len(done),
            alive=True,
            entry_year=year,
            revenue=output,
            va_rate=pp.value_added_rate.at(year) / 100,
            tax_rate=above.tax_per_mu.at(0) * above.land.at(0) / (above.output.at(0) * 1e4),
            employees=np.maximum(output * above.employees.at(0) / (above.output.at(0) * 1e4), 1.0),
            land=np.array([p.land for p in done]),
            intensity=pp.energy_intensity.at(year),
            quota=np.array([p.energy for p in done]),
            rd=spec.rd_intensity_median.at(0) / 100,
            growth_prev=0.0,
            lease_end=land_renewal.lease_ends(self.levers.land_renewal, len(done), year, self.rng["hosts"]),
            # the sectors' shares of firms, as births take them (a project names no sector of its own)
            sector=categories(self.rng["hosts"], spec.sector_shares(), len(done)),
        )
        growth.set_exit_hazard(self.pop, self.params, year, first_row=len(self.pop) - len(done))  # as a birth's
        self._flow("项目投产", "规下", len(done))

    # --- land and energy (simulation.processes.land, .energy) -----------------------------
    def _expand_land(self, annual: np.ndarray | None = None) -> None:
        """Growing 规上 firms file land claims; they queue with the projects (see processes.land)."""
        self.market.file_expansions(self.pop, self.year, annual)

    def _energy_true_up(self, annual: np.ndarray | None = None) -> None:
        returned = self.levers.energy.unused_quota_returned
        share = returned.at(self.year) if returned is not None else None
        self.counts.record(energy.true_up(self.pop, self.energy, share, annual))

    def _set_energy_cap(self, change: float) -> None:
        energy.change_cap(self.pop, self.energy, change)

    def _buy_energy(self) -> None:
        bought = energy.buy_for_queue(self.energy, self.levers.energy.trade_max_per_year.at(self.year) * 1e4)
        self.counts["energy_purchased"] += bought

    # --- recording ------------------------------------------------------------------------
    def _flow(self, source: str, target: str, n: int) -> None:
        self._flows([(source, target, n)])

    def _flows(self, flows: list[tuple[str, str, int]]) -> None:
        """This year's ``(source, target, firms)`` flows, those with firms, in turn."""
        year = self.year
        counts = self.flow_counts
        for source, target, n in flows:
            if n:
                counts[year, source, target] = counts.get((year, source, target), 0) + n

    @property
    def flow_rows(self) -> list[tuple[int, str, str, int]]:
        """``(year, source, target, firms)``: one row per year and pair of tiers, in the order the
        flows first came (a year's 项目投产 or exits come month by month: summed)."""
        return [(year, source, target, n) for (year, source, target), n in self.flow_counts.items()]

    def _snapshot(self, year: int, annual: np.ndarray, capex_share: float, *, leavers: float = 0.0) -> Snapshot:
        """The year's aggregates; ``leavers``: value added of firms that left in it and are not among the rows."""
        values = population_aggregates(self.pop, annual)
        values["va_all"] += leavers
        values["va_below"] += leavers
        values.update(
            va_all_prev=self.prev_va_all,  # last year's total (its firms that left in it included)
            land_total=self.land.total,
            land_held=self.land.committed,  # with land served and not yet booked
            land_free=self.land.free,
            energy_cap=self.energy.total,
            energy_allocated=self.energy.committed,
            capex=capex_share * values["va_above"],
            carbon_factor=self.params.carbon.tonnes_co2_per_tce.at(year),
            projects_waiting=float(self.desk.waiting),
            land_waiting=self.land.waiting_amount,
            land_clearing=self.land.clearing,
            land_freed_total=self.totals["land_freed"],
            energy_freed_total=self.totals["energy_freed"],
        )
        return Snapshot(year, values, dict(self.counts), self.prev)

    def _record(self, year: int) -> None:
        self.desk.settle()  # the year's project starts, into its books and spending
        self.counts["investment_projects"] = self.desk.spending.pop(year, 0.0)
        for key in ("land_freed", "energy_freed"):
            self.totals[key] += self.counts[key]
        capex = self.params.investment.capex_share_of_value_added.at(year) / 100
        snapshot = self._snapshot(year, self.pop.annual_revenue(), capex)
        self.prev_va_all = snapshot.va_all
        values = measure(snapshot)
        self.records.extend(zip(repeat(year), values, values.values()))
        self.prev = values
        self.counts = Books()

    def _base_year_snapshot(self) -> Snapshot:
        """The base year from the initial firms (its project spending is booked by :meth:`_record_base_year`)."""
        year = self.scenario.base_year
        capex = self.params.investment.capex_share_of_value_added.at(year) / 100
        # the year's leavers made part of its output, as every later year's do (their rows are gone):
        # without them year one's 规下 growth missed a year's exits
        leavers = growth.leavers_value_added(self.pop, self.params, year, named=len(self.scenario.population.large_firms))
        snapshot = self._snapshot(year, self.pop.revenue, capex, leavers=leavers)
        self.prev_va_all = snapshot.va_all
        self.counts = Books()
        return snapshot

    def _record_base_year(self, signed_share: float) -> None:
        """Records the base year. Its project investment is a steady state: the spending of leads at
        the usual 招商 effort (history: a lever moves only the simulated years), times the share of
        the leads under way at the start that signed (:func:`projects.warm_start`), as leads sign
        in later years only with land and energy in sight; so year one's investment growth compares
        like with like where land binds, and the base year keeps its cited level where it does not.
        Its 改造提升 spending is a year of the campaign at the base year's pace on the base year's
        list, in expectation (:func:`remediation.upgrade_spending_expected`): the campaign is history
        too, so year one's upgrades are not counted as new investment."""
        base, pp = self._base_year, self.params.projects
        year = base.year
        mean_investment = pp.investment_median.at(year) * np.exp(pp.investment_sigma.at(year) ** 2 / 2)
        upgrades = remediation.upgrade_spending_expected(self.pop, self.levers.remediation, self.params.route_effects, year)
        counts = {**base.counts, "investment_projects": 12 * self.desk.usual_lead_rate(year) * mean_investment * 1e4 * signed_share,
                  "investment_upgrade": upgrades}
        # the projects under way held their plots at the base year's end (no event has run yet)
        land = dict(land_total=self.land.total, land_held=self.land.committed, land_free=self.land.free,
                    land_clearing=self.land.clearing)
        values = measure(Snapshot(year, {**base.values, **land}, counts, base.prev))
        values.update({k: np.nan for k in values if k.endswith("_growth")})
        self.records[:0] = zip(repeat(year), values, values.values())
        self.prev = values

    def result(self) -> SimulationResult:
        return SimulationResult(
            indicators=pd.DataFrame(self.records, columns=["year", "indicator", "value"]),
            flows=pd.DataFrame(self.flow_rows, columns=["year", "source", "target", "count"]),
            ledgers=(self.land.ledger, self.energy.ledger),
            firms=self.panel.frame() if self.panel is not None else None,
        )
