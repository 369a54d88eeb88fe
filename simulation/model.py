"""One region simulated over the years: ``simulate(scenario, seed) -> SimulationResult``.

Time is in months from 1 January of the first simulated year (SimPy's clock). The calendar:

- end of every month: firms completed by projects join; growth and market exit (all firms at once);
- month ``remediation.month``: 腾笼换鸟 batch on last year's grades;
- month ``certification.month``: certification round, reviews, 高新技术企业;
- land auctions spread over the year; project arrivals and their queues in continuous time;
- end of December: energy quota true-up, 小升规/退规, 亩均论英雄 grading, expansion land,
  indicators; then the next year's births, energy cap and growth rates.

Randomness is keyed so that scenarios compared at the same seed share their common random
numbers. Everything that happens to a firm (growth shocks, exit, 小升规 reporting, certification,
remediation route) is a draw keyed by the firm's id and the date (:mod:`simulation.draws`), so a
lever that closes one more firm leaves every other firm's luck as it was. What happens to no firm
in particular comes from its own stream, spawned from the one ``SeedSequence``: the initial
population, project arrivals, births, and the hosts and leases of completed projects.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pandas as pd
import simpy

from .draws import FirmDraws
from .indicators import Snapshot, measure, population_aggregates
from .panel import PanelRecorder
from .population import Population, initial_population
from .processes import certification, grading, growth, land_renewal, projects, remediation, statistics
from .resources import EnergyPool, LandPool
from .scenario import Scenario
from .tiers import CERT_LABELS, GRADE_C, GRADE_D, ROUTE_LABELS, Cert, Route

STREAMS = ("population", "projects", "entry", "hosts")


@dataclass
class SimulationResult:
    """The tables of one replication.

    indicators: ``year, indicator, value`` (long; the base year is the initial state).
    flows: ``year, source, target, count`` between tiers and to exit.
    ledger: ``time, resource, event, amount, reason`` of every land and energy movement.
    """

    indicators: pd.DataFrame
    flows: pd.DataFrame
    ledger: pd.DataFrame
    firms: pd.DataFrame | None = None  # the firm panel, when asked for (see :mod:`simulation.panel`)


def simulate(scenario: Scenario, seed: int | np.random.SeedSequence = 0, *, firms: bool = False) -> SimulationResult:
    """Run one replication of ``scenario``; same seed, same numbers.

    ``firms=True`` also returns the firm panel: one row per firm and year (see :mod:`simulation.panel`).
    """
    seq = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    # children built from the key, not seq.spawn(), which would advance a caller's SeedSequence
    children = [np.random.SeedSequence(seq.entropy, spawn_key=(*seq.spawn_key, i), pool_size=seq.pool_size)
                for i in range(len(STREAMS) + 1)]
    streams = {name: np.random.default_rng(child) for name, child in zip(STREAMS, children)}
    region = Region(scenario, streams, FirmDraws(children[-1]), panel=PanelRecorder() if firms else None)
    region.run()
    return region.result()


def tier_of(pop: Population, rows: np.ndarray) -> np.ndarray:
    """Tier label per row: the certification level if any, else 规上 or 规下."""
    labels = np.where(pop.above[rows], "规上", "规下").astype(object)
    certified = pop.cert[rows] > 0
    labels[certified] = [CERT_LABELS[Cert(c)] for c in pop.cert[rows][certified]]
    return labels


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
        self.counts: dict[str, float] = defaultdict(float)
        self.spending: dict[int, float] = defaultdict(float)  # project investment by year, 万元
        self.pending: list[projects.Project] = []
        self.pipeline_land = 0.0  # 亩 held by projects not yet producing (waiting for energy, or building)
        self.records: list[tuple[int, str, float]] = []
        self.flow_rows: list[tuple[int, str, str, int]] = []
        self.prev: dict[str, float] = {}
        self.totals: dict[str, float] = defaultdict(float)  # flows summed since the base year
        # the base year's 亩均 evaluation, published the next spring: the first remediation list
        grading.grade_firms(self.pop, self.params.grading, scenario.base_year, annual=self.pop.revenue_prev)
        self._record_base_year()
        if panel is not None:
            panel.record_year(self.pop, scenario.base_year, self.pop.revenue)

    # --- the calendar ---------------------------------------------------------------------
    def run(self) -> None:
        env, first = self.env, self.scenario.base_year + 1
        self._new_year(first)
        projects.warm_start(env, self, self.rng["projects"])
        env.process(self._months())
        env.process(self._yearly(self.levers.remediation.month.at(0), 0.3, self._remediate))
        env.process(self._yearly(self.params.certification.month.at(0), 0.4, self._certify))
        env.process(self._auctions())
        env.process(projects.arrivals(env, self, self.rng["projects"]))
        env.run(until=self.horizon + 0.5)

    def _at(self, year: int, month: float, phase: float) -> float:
        """SimPy time of ``phase`` (0..1) into ``month`` (1..12) of ``year``."""
        return 12.0 * (year - self.scenario.base_year - 1) + (month - 1) + phase

    def _months(self):
        for k in range(1, self.horizon + 1):
            yield self.env.timeout(k - self.env.now)
            self._join_completed()
            exited = growth.month_step(self.pop, self.draws, k)
            self._exit(exited, Route.MARKET)
            if k % 12 == 0:
                self._year_end()
                if k < self.horizon:
                    self._new_year(self.year + 1)

    def _yearly(self, month: float, phase: float, action):
        for year in self.scenario.years:
            yield self.env.timeout(self._at(year, month, phase) - self.env.now)
            action(year)

    def _auctions(self):
        supply = self.levers.land_supply
        for year in self.scenario.years:
            n = int(supply.auctions_per_year.at(year))
            for k in range(n):
                yield self.env.timeout(self._at(year, 1 + 12 * (k + 0.5) / n, 0.0) - self.env.now)
                lot = supply.industrial_land(year) / n
                park = lot * supply.small_park_share.at(year)
                self.land.supply(park, "小微企业园 reserved land", held=True)
                self.land.supply(lot - park, "标准地 auction")
                self.counts["land_supplied"] += lot
                if self.levers.land_renewal is not None:
                    idle = self.levers.land_renewal.idle_land_per_year.at(year) / n
                    self.land.supply(idle, "盘活存量: 批而未供/供而未用/低效用地")
                    self.counts["land_revitalised"] += idle

    # --- yearly events --------------------------------------------------------------------
    def _new_year(self, year: int) -> None:
        self.year = year
        self._set_energy_cap(self.levers.energy.cap.at(year) * 1e4 - self.levers.energy.cap.at(year - 1) * 1e4)
        pop, params = self.pop, self.params
        pop.intensity *= 1.0 - params.growth.energy_efficiency_gain.at(year) / 100
        certification.evolve_rd(pop, params.certification, year, self.draws, self.levers.cultivation)
        threshold = params.statistics.above_scale_threshold.at(year)
        boost = statistics.cultivation_pool_boost(pop, self.levers, threshold, year)
        self.shocks.advance(params, year, len(self.scenario.population.sectors), self.draws)
        log_growth = growth.grow_year(pop, params, year, self.draws, self.shocks, pool_boost=boost)
        growth.update_employment(pop, log_growth, params, year)
        expected_exits = growth.set_exit_hazard(pop, params, year)
        self._births(year, expected_exits)

    def _year_end(self) -> None:
        year, pop = self.year, self.pop
        self._energy_true_up()
        entered, dropped = statistics.review_scale(pop, self.params, self.levers, year, self.draws)
        self.counts["new_above_scale"] += int(entered.sum())
        self.counts["dropped_below_scale"] += int(dropped.sum())
        self._flow("规下", "规上", int(entered.sum()))
        self._flow("规上", "规下", int(dropped.sum()))
        grading.grade_firms(pop, self.params.grading, year)
        self._check_leases(year)
        self._expand_land()
        self._buy_energy()
        self._record(year)
        if self.panel is not None:
            self.panel.record_year(pop, year, pop.annual_revenue())
        self._roll_year()

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
        rem, pop = self.levers.remediation, self.pop
        out = remediation.remediate_d_grade(
            pop, int(round(rem.firms_per_year.at(year))), rem.routes, self.params.route_effects, year,
            self.draws, high_energy_use=rem.high_energy_use.at(year) if rem.high_energy_use else None,
        )
        c = self.counts
        c["remediated_upgrade"] += out.counts[Route.UPGRADE]
        c["remediated_regularise"] += out.counts[Route.REGULARISE]
        c["remediated_total"] += sum(out.counts.values())
        c["closed_low_efficiency"] += len(out.closed)
        c["land_remediated"] += out.land_remediated
        c["investment_upgrade"] += out.investment
        self.land.release(out.land_returned, "规范管理: land handed back")
        self.energy.release(out.energy_saved, "改造提升: energy saved")
        c["land_freed"] += out.land_returned + float(pop.land[out.merged].sum() + pop.land[out.closed].sum())
        c["energy_freed"] += out.energy_saved + float(pop.quota[out.merged].sum() + pop.quota[out.closed].sum())
        self._exit(out.merged, Route.MERGE, policy=True)
        self._exit(out.closed, Route.CLOSE, policy=True)

        sw = self.levers.scattered_weak
        exclude = np.concatenate([out.merged, out.closed])
        closed, regularised = remediation.remediate_scattered(
            pop, int(round(sw.firms_per_year.at(year))), sw.close_share.at(year), exclude, year, self.draws
        )
        c["scattered_total"] += len(closed) + len(regularised)
        c["land_freed"] += float(pop.land[closed].sum())
        c["land_remediated"] += float(pop.land[closed].sum() + pop.land[regularised].sum())
        c["energy_freed"] += float(pop.quota[closed].sum())
        self._exit(closed, Route.CLOSE, policy=True)

    def _certify(self, year: int) -> None:
        rules, draws, pop = self.params.certification, self.draws, self.pop
        failed = certification.review(pop, rules, year, draws)
        self.counts["cert_withdrawn"] += len(failed)
        multiplier = self.levers.cultivation.success_multiplier.at(year)
        before = pop.cert.copy()  # a step open to lower levels may skip one: the flow names the real source
        granted = certification.certification_round(pop, rules, multiplier, year, draws)
        for level, rows in granted.items():
            self.counts[f"new_cert{int(level)}"] += len(rows)
            for source, n in zip(*np.unique(before[rows], return_counts=True)):
                self._flow(CERT_LABELS[Cert(source)], CERT_LABELS[level], int(n))
        new, _ = certification.high_tech_round(pop, rules, year, draws)
        self.counts["new_high_tech"] += len(new)

    # --- firms in and out -----------------------------------------------------------------
    def _births(self, year: int, expected_exits: float) -> None:
        """New small firms: a cited number, or enough to replace the expected market exits and grow
        the stock by ``stock_growth`` (free entry)."""
        entry, rng = self.params.entry, self.rng["entry"]
        if entry.births_per_year is not None:
            mean = entry.births_per_year.at(year)
        else:
            stock = float(np.count_nonzero(self.pop.alive))
            mean = max(expected_exits + stock * entry.stock_growth.at(year) / 100, 0.0)
        n = int(rng.poisson(mean))
        if n == 0:
            return
        below = self.scenario.population.below_scale
        # entrants are as large, relative to the economy, as at the base year: their size grows with the trend
        scale = np.prod([1 + self.params.growth.above_scale_mean.at(y) / 100 for y in range(self.scenario.base_year + 1, year + 1)])
        revenue = entry.revenue_median.at(year) * scale * rng.lognormal(0.0, entry.revenue_sigma.at(year), n)
        revenue = np.minimum(revenue, self.params.statistics.above_scale_threshold.at(year) * 0.999)
        va_rate = below.value_added_rate.at(0) / 100
        intensity = below.energy_intensity.at(0) * rng.lognormal(0.0, 0.3, n)
        use = revenue * va_rate * intensity
        newcomers = Population.new(
            n,
            alive=True,
            entry_year=year,
            revenue=revenue,
            va_rate=va_rate,
            tax_rate=below.tax_rate.at(0) / 100,
            employees=np.maximum(revenue / below.revenue_per_employee.at(0), 1.0),
            intensity=intensity,
            quota=use * self.energy.take_now(float(use.sum()), "new firms") / max(float(use.sum()), 1e-9),
            rd=self.scenario.population.rd_intensity_median.at(0) / 100 * rng.lognormal(0.0, 0.5, n),
            drift=rng.normal(0.0, self.params.growth.heterogeneity.at(year), n),
            sector=rng.choice(len(self.scenario.population.sectors), size=n,
                              p=[s.firm_share.at(0) for s in self.scenario.population.sectors]),
        )
        self.pop.extend(newcomers)
        growth.set_exit_hazard(self.pop, self.params, year)  # the newcomers' hazard (the rest unchanged)
        self.counts["births"] += n
        self._flow("新设", "规下", n)

    def _exit(self, rows: np.ndarray, route: Route, *, policy: bool = False, reason: str | None = None) -> None:
        if len(rows) == 0:
            return
        pop = self.pop
        if self.panel is not None:
            self.panel.record_exits(pop, rows, self.year, ROUTE_LABELS[route] if reason is None else reason)
        land, quota = float(pop.land[rows].sum()), float(pop.quota[rows].sum())
        label = ROUTE_LABELS[route]  # the route, for the tier flows
        self.land.release(land, reason or label)  # the ledger says why, when more precise
        self.energy.release(quota, reason or label)
        if not policy:
            self.counts["land_released_exits"] += land
        key = {Route.MARKET: "exit_market", Route.MERGE: "exit_merge", Route.CLOSE: "exit_close"}[route]
        self.counts[key] += len(rows)
        for tier, n in zip(*np.unique(tier_of(pop, rows), return_counts=True)):
            self._flow(str(tier), label, int(n))
        pop.alive[rows] = False
        pop.revenue[rows] = 0.0
        pop.hazard_month[rows] = 0.0
        pop.land[rows] = 0.0
        pop.quota[rows] = 0.0

    def _roll_year(self) -> None:
        pop = self.pop
        annual = pop.annual_revenue()
        pop.growth_prev = np.where(pop.revenue_prev > 0, annual / np.maximum(pop.revenue_prev, 1e-9) - 1.0, 0.0)
        pop.va_prev = annual * pop.va_rate
        pop.revenue_prev = annual
        pop.ytd = np.zeros(len(pop))
        pop.keep(pop.alive)

    # --- projects (called from simulation.processes.projects) -----------------------------
    def count(self, name: str, amount: float = 1.0) -> None:
        self.counts[name] += amount

    def project_started(self, project: projects.Project, now: float, months: float, *, counted: bool) -> None:
        """Book a started project: its investment is spent evenly over its build months."""
        base, per_month = self.scenario.base_year + 1, project.investment * 1e4 / project.build_months
        for year in range(int(now // 12), int(np.ceil((now + months) / 12))):
            overlap = min(now + months, 12.0 * (year + 1)) - max(now, 12.0 * year)
            self.spending[base + year] += per_month * overlap
        if counted:
            self.counts["projects_started"] += 1
            self.counts["land_granted_projects"] += project.land
            self.counts["projects_zero_land"] += project.zero_land
            self.counts["projects_large_started"] += project.investment >= self.params.projects.large_threshold.at(self.year)

    def project_completed(self, project: projects.Project) -> None:
        self.pipeline_land -= project.land
        self.pending.append(project)
        self.counts["projects_completed"] += 1

    def _join_completed(self) -> None:
        """Completed projects start producing: new firms join; 零增地 upgrades raise their hosts' output."""
        if not self.pending:
            return
        done, self.pending = self.pending, []
        upgrades = [p for p in done if p.zero_land]
        if upgrades:
            hosts = self._pick_hosts(len(upgrades))
            if len(hosts) == 0:  # no 规上 firm left to upgrade: the quota goes back
                self.energy.release(sum(p.energy for p in upgrades), "零增地: no host")
            else:
                np.add.at(self.pop.revenue, hosts, [p.output for p in upgrades])
                np.add.at(self.pop.quota, hosts, [p.energy for p in upgrades])
        fresh = [p for p in done if not p.zero_land]
        if fresh:
            self._add_project_firms(fresh)

    def _pick_hosts(self, k: int) -> np.ndarray:
        """Rows of ``k`` 规上 firms that carry out 零增地技改, drawn in proportion to revenue."""
        rows = np.flatnonzero(self.pop.alive & self.pop.above)
        if len(rows) == 0:
            return rows
        weights = np.cumsum(self.pop.revenue[rows])
        picks = np.searchsorted(weights, self.rng["hosts"].random(k) * weights[-1], side="right")
        return rows[np.minimum(picks, len(rows) - 1)]

    def _add_project_firms(self, done: list[projects.Project]) -> None:
        spec, pp, year = self.scenario.population, self.params.projects, self.year
        above = spec.above_scale
        output = np.array([p.output for p in done])
        firms = Population.new(
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
        )
        self.pop.extend(firms)
        self._flow("项目投产", "规下", len(done))

    # --- land and energy ------------------------------------------------------------------
    def _expand_land(self) -> None:
        """Growing 规上 firms claim land in proportion to growth above a threshold; A first.

        A claim that finds no free land is met on the firm's own plot (零增地技改) at a cost per mu.
        """
        pop, lp = self.pop, self.params.land
        annual = pop.annual_revenue()
        g = np.where(pop.revenue_prev > 0, annual / np.maximum(pop.revenue_prev, 1e-9) - 1.0, 0.0)
        claim = pop.land * np.maximum(g - lp.expansion_growth_threshold.at(self.year) / 100, 0.0)
        claim *= lp.expansion_land_elasticity.at(self.year) * (pop.alive & pop.above)
        granted = self._ration(claim, self.land.free)
        self.land.take_now(float(granted.sum()), "增资扩产 expansion")
        pop.land += granted
        unmet = float((claim - granted).sum())
        self.counts["land_granted_expansion"] += float(granted.sum())
        self.counts["land_unmet_expansion"] += unmet
        # firms that get no land build upwards instead (零增地技改, 厂房加层), at a cost
        self.counts["investment_upgrade"] += unmet * lp.zero_land_cost_per_mu.at(self.year)

    def _energy_true_up(self) -> None:
        """Idle quota is taken back; firms using more than their quota claim the excess, best grades
        first; what finds no quota is rationed (有序用电: output cut to the quota)."""
        pop = self.pop
        use = pop.energy_use(pop.annual_revenue()) * pop.alive
        returned_share = self.levers.energy.unused_quota_returned
        if returned_share is not None:
            idle = np.maximum(pop.quota - use, 0.0) * returned_share.at(self.year)
            pop.quota -= idle
            self.energy.release(float(idle.sum()), "用能权: idle quota taken back")
            self.counts["energy_recovered"] += float(idle.sum())
        excess = np.maximum(use - pop.quota, 0.0)
        granted = self._ration(excess, self.energy.free)
        self.energy.take_now(float(granted.sum()), "quota true-up")
        pop.quota += granted
        short = excess - granted
        rationed = short > 1e-9
        factor = np.where(rationed, pop.quota / np.maximum(use, 1e-12), 1.0)
        pop.ytd *= factor
        pop.revenue *= factor
        self.counts["energy_rationed"] += float(short.sum())

    def _ration(self, claims: np.ndarray, available: float) -> np.ndarray:
        """Grant ``claims`` in order of grade then score until ``available`` runs out."""
        rows = np.flatnonzero(claims > 0)
        order = rows[np.lexsort((-self.pop.score[rows], self.pop.grade[rows]))]
        granted = np.zeros_like(claims)
        cum = np.cumsum(claims[order])
        full = cum <= available
        granted[order[full]] = claims[order[full]]
        if not full.all():
            first = order[np.argmin(full)]
            granted[first] = max(available - (cum[full][-1] if full.any() else 0.0), 0.0)
        return granted

    def _set_energy_cap(self, change: float) -> None:
        """Apply a change in the cap: more quota to hand out, or less, cut from D then C firms."""
        if change >= 0:
            self.energy.supply(change, "energy cap raised")
            return
        cut = -change - self.energy.withdraw(-change, "energy cap lowered")
        for grades in ((GRADE_D,), (GRADE_D, GRADE_C), None):
            if cut <= 1e-9:
                return
            rows = np.flatnonzero(self.pop.alive) if grades is None else np.flatnonzero(np.isin(self.pop.grade, grades))
            held = float(self.pop.quota[rows].sum())
            share = min(cut / held, 1.0 if grades is None else 0.5) if held > 0 else 0.0
            taken = self.pop.quota[rows] * share
            self.pop.quota[rows] -= taken
            self.energy.forfeit(float(taken.sum()), "energy cap lowered: quota cut")
            cut -= float(taken.sum())

    def _buy_energy(self) -> None:
        """用能权 trading: buy quota for waiting projects, up to the yearly limit."""
        waiting = sum(r.amount for r in self.energy.get_queue)
        limit = self.levers.energy.trade_max_per_year.at(self.year) * 1e4
        bought = min(waiting, limit)
        if bought > 0:
            self.energy.supply(bought, "用能权 bought from other regions")
            self.counts["energy_purchased"] += bought

    # --- recording ------------------------------------------------------------------------
    def _flow(self, source: str, target: str, n: int) -> None:
        if n:
            self.flow_rows.append((self.year, source, target, n))

    def _snapshot(self, year: int, annual: np.ndarray, capex_share: float) -> Snapshot:
        values = population_aggregates(self.pop, annual)
        values.update(
            land_total=self.land.total,
            land_held=self.land.held,
            land_free=self.land.free,
            energy_cap=self.energy.total,
            energy_allocated=self.energy.held,
            capex=capex_share * values["va_above"],
            carbon_factor=self.params.carbon.tonnes_co2_per_tce.at(year),
            projects_waiting=float(self.land.waiting + self.energy.waiting),
            land_freed_total=self.totals["land_freed"],
            energy_freed_total=self.totals["energy_freed"],
        )
        return Snapshot(year, values, dict(self.counts), self.prev)

    def _record(self, year: int) -> None:
        self.counts["investment_projects"] = self.spending.pop(year, 0.0)
        for key in ("land_freed", "energy_freed"):
            self.totals[key] += self.counts[key]
        capex = self.params.investment.capex_share_of_value_added.at(year) / 100
        values = measure(self._snapshot(year, self.pop.annual_revenue(), capex))
        self.records.extend((year, k, v) for k, v in values.items())
        self.prev = values
        self.counts = defaultdict(float)

    def _record_base_year(self) -> None:
        """The base year from the initial firms; investment includes steady-state project spending."""
        year, pp = self.scenario.base_year, self.params.projects
        mean_investment = pp.investment_median.at(year) * np.exp(pp.investment_sigma.at(year) ** 2 / 2)
        self.counts["investment_projects"] = self.levers.attraction.projects_per_year.at(year) * mean_investment * 1e4
        capex = self.params.investment.capex_share_of_value_added.at(year) / 100
        values = measure(self._snapshot(year, self.pop.revenue, capex))
        values.update({k: np.nan for k in values if k.endswith("_growth")})
        self.records.extend((year, k, v) for k, v in values.items())
        self.prev = values
        self.counts = defaultdict(float)

    def result(self) -> SimulationResult:
        ledger = [("land", *row) for row in self.land.ledger.rows] + [("energy", *row) for row in self.energy.ledger.rows]
        return SimulationResult(
            indicators=pd.DataFrame(self.records, columns=["year", "indicator", "value"]),
            flows=pd.DataFrame(self.flow_rows, columns=["year", "source", "target", "count"]),
            ledger=pd.DataFrame(ledger, columns=["resource", "time", "event", "amount", "reason"]),
            firms=self.panel.frame() if self.panel is not None else None,
        )
