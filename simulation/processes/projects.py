"""Investment projects (招商引资 and 零增地技改): leads, signing, the wait for land and energy, construction.

招商 work turns up leads at ``effort × projects_per_year`` a year (Poisson in continuous time;
``projects_per_year`` is the lead rate at the documents' usual effort, ``effort`` the lever). A
lead looks at the region before it signs: it declines (goes elsewhere) when the land it can count
on (free, plus freed land in clearing, less the queue already waiting) is less than its plot, or
when the free energy quota plus what the region may buy this year is less than its need. So the
region's attraction responds to its land and energy, and the documents' project counts are data
to calibrate the lead rate against, not an input that fixes them.

A signed project asks the land market for its plot and then the energy pool for its quota,
waiting in each first-come-first-served queue for at most its patience in all; a project that
waits too long is lost and gives back what it held. A started project spends its investment
evenly over its build time and then starts producing: a new firm on its own land, or, for a
零增地技改 project, more output from an existing firm without new land.

Projects see the region only through a :class:`Desk`: the clock, the land market, the energy
pool, the year's books and the terms of the scenario.
"""

from __future__ import annotations

import functools
import heapq
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import simpy
from simpy.events import NORMAL, URGENT

from ..books import Books
from ..resources import EnergyPool, Pool, QuietRequest, after, left_fold, next_event, take_waiting
from ..scenario import Attraction, Energy, Projects
from . import kernels
from .land import LandMarket, wait_for


class Project(NamedTuple):
    """One project's figures (immutable: a tuple, ~4x quicker to make than a frozen dataclass, and
    thousands are drawn a year)."""

    investment: float  # 亿元
    land: float  # 亩 (0 for 零增地技改)
    energy: float  # tce/年 of quota needed
    output: float  # 万元/年 at full production
    build_months: float
    patience: float  # months
    zero_land: bool = False  # 零增地技改: an existing firm's upgrade, no new land


@dataclass
class Desk:
    """What projects need from the region, and where they leave their results."""

    env: simpy.Environment
    land: LandMarket
    energy: EnergyPool
    terms: Projects
    attraction: Attraction
    energy_lever: Energy
    year: Callable[[], int]  # the calendar year now
    books: Callable[[], Books]  # the year's books
    base_year: int
    horizon: float  # months
    spending: dict[int, float] = field(default_factory=dict)  # project investment by year, 万元
    # started projects by completion: a heap of (month done, order started, month steps taken then, project)
    building: list[tuple[float, int, int, Project]] = field(default_factory=list)
    month_steps: int = 0  # month steps the calendar has taken (the region counts them)
    pipeline_land: float = 0.0  # 亩 held by projects not yet producing
    waiting: int = 0  # signed projects waiting for land or energy
    terms_by_year: dict[int, _Terms] = field(default_factory=dict)  # the terms as read for each year
    builds: int = 0  # projects started so far (each one's number orders completions at one time)
    # starts not yet booked (see settle): (month, build months left, investment, build months, land,
    # 零增地, large, counted)
    starts: list[tuple[float, float, float, float, float, bool, bool, bool]] = field(default_factory=list)

    def lead_rate(self, year: int) -> float:
        """Leads per month: 招商 effort × the lead rate."""
        effort = self.attraction.effort.at(year) if self.attraction.effort is not None else 1.0
        return effort * self.usual_lead_rate(year)

    def usual_lead_rate(self, year: int) -> float:
        """Leads per month at the usual 招商 effort."""
        return self.attraction.projects_per_year.at(year) / 12.0

    def terms_of(self, year: int) -> _Terms:
        """The year's terms, read from the scenario once."""
        terms = self.terms_by_year.get(year)
        return terms if terms is not None else self.terms_by_year.setdefault(year, _Terms.of(self, year))

    def started(self, project: Project, now: float, months: float, *, counted: bool) -> None:
        """A project starts: its investment is spent evenly over its build months; ``counted``: it
        counts as started this year (not one under construction at the start). Booked in
        :meth:`settle` (thousands of starts a year, booked together)."""
        large = counted and project.investment >= self.terms_of(self.year()).large_threshold
        self.starts.append((now, months, project.investment, project.build_months, project.land,
                            project.zero_land, large, counted))

    def settle(self) -> None:
        """Book the starts since the last call: spending by year into ``spending``, the counters into
        the year's books. Each sum adds the starts one after another in the order they started, as
        booking each start at once would (the books are the year's until the region records it)."""
        if not self.starts:
            return
        if len(self.starts) < SETTLED_IN_ARRAYS:  # a district's year: numpy's fixed costs would dominate
            self._settle_one_by_one()
            return
        now, months, investment, build, land, zero_land, large, counted = (np.array(c) for c in zip(*self.starts))
        self.starts = []
        per_month = investment * 1e4 / build
        end = now + months
        first, last = (now // 12).astype(np.int64), np.ceil(end / 12).astype(np.int64)
        order, years, amounts = [], [], []  # each start's spending in each year it spans
        for offset in range(int((last - first).max(initial=0))):
            year = first + offset
            rows = (year < last).nonzero()[0]
            stop, begin = 12.0 * (year[rows] + 1), 12.0 * year[rows]
            overlap = np.where(stop < end[rows], stop, end[rows]) - np.where(begin > now[rows], begin, now[rows])
            order.append(rows)
            years.append(year[rows])
            amounts.append(per_month[rows] * overlap)
        if order:
            _fold_by_key(self.spending, self.base_year + 1 + np.concatenate(years), np.concatenate(order),
                         np.concatenate(amounts))
        if counted.any():
            books, rows = self.books(), counted.nonzero()[0]
            for name, values in (("projects_started", np.ones(len(rows))), ("land_granted_projects", land[rows]),
                                 ("projects_zero_land", zero_land[rows].astype(float)),
                                 ("projects_large_started", large[rows].astype(float))):
                books[name] = left_fold(books[name], values)

    def _settle_one_by_one(self) -> None:
        """:meth:`settle` start after start (the sums it folds, added in the same order)."""
        spending, books, base = self.spending, self.books(), self.base_year + 1
        for now, months, investment, build, land, zero_land, large, counted in self.starts:
            per_month, end = investment * 1e4 / build, now + months
            for year in range(int(now // 12), math.ceil(end / 12)):
                stop, begin = 12.0 * (year + 1), 12.0 * year
                overlap = (stop if stop < end else end) - (begin if begin > now else now)
                spending[base + year] = spending.get(base + year, 0.0) + per_month * overlap
            if counted:
                books.add("projects_started")
                books.add("land_granted_projects", land)
                books.add("projects_zero_land", float(zero_land))
                books.add("projects_large_started", float(large))
        self.starts = []

    def completes(self, project: Project, at: float) -> None:
        """A started project will be built at month ``at`` (and join the region at the next month step)."""
        heapq.heappush(self.building, (at, self.builds, self.month_steps, project))
        self.builds += 1

    def joining(self, step: int) -> list[Project]:
        """The projects built by month step ``step``, in the order they were built: those that join
        the region at this step, counted as completed.

        A timer per project would do the same: built before the step's time, or at it, if its timer
        was set before the step's (set when the step before it was taken), then in timer order (time,
        then the order set). Only a one-month build started at the step before can come at the step's
        very time after it, and join at the next.
        """
        building, joining = self.building, []
        while building and (building[0][0] < step or building[0][0] == step and building[0][2] < step - 1):
            project = heapq.heappop(building)[3]
            self.pipeline_land -= project.land
            joining.append(project)
        if joining:
            self.books().add("projects_completed", len(joining))
        return joining

    def signed(self, project: Project, terms: _Terms | None = None) -> None:
        """A lead signs (招引): counted, and among the 招引亿元以上 projects if it is a new plant
        (not an existing firm's 零增地技改) of at least the large-project line."""
        books = self.books()
        books.add("projects_arrived")
        large = (self.terms_of(self.year()) if terms is None else terms).large_threshold
        if not project.zero_land and project.investment >= large:
            books.add("projects_large_signed")

    def lost(self, project: Project, counter: str) -> None:
        books = self.books()
        books.add(counter)
        books.add("investment_lost", project.investment * 1e4)


SETTLED_IN_ARRAYS = 128  # starts from which Desk.settle books them in numpy passes (the same sums)


def _fold_by_key(sums: dict[int, float], keys: np.ndarray, order: np.ndarray, values: np.ndarray) -> None:
    """``sums[key] += value`` for each (key, value), in ``order`` within a key (from 0.0 where absent)."""
    by_key = np.lexsort((order, keys))
    keys, values = keys[by_key], values[by_key]
    bounds = np.flatnonzero(np.diff(keys)) + 1
    for key, part in zip(keys[np.r_[0, bounds]].tolist(), np.split(values, bounds)):
        sums[key] = left_fold(sums.get(key, 0.0), part)


@dataclass(frozen=True)
class _Terms:
    """A year's project terms, read from the scenario once (thousands of projects are drawn a year)."""

    investment_median: float  # 亿元
    investment_sigma: float
    output_per_investment: float
    value_added_rate: float  # %
    energy_intensity: float
    patience_months: float
    zero_land_share: float
    investment_per_mu: float
    build_months: float
    large_threshold: float  # 亿元
    lead_rate: float  # leads per month
    buyable: float  # tce of quota the region may buy this year (用能权 trading)

    @classmethod
    def of(cls, desk: Desk, year: int) -> _Terms:
        p = desk.terms
        return cls(p.investment_median.at(year), p.investment_sigma.at(year), p.output_per_investment.at(year),
                   p.value_added_rate.at(year), p.energy_intensity.at(year), p.patience_months.at(year),
                   desk.attraction.zero_land_share.at(year), p.investment_per_mu.at(year), p.build_months.at(year),
                   p.large_threshold.at(year), desk.lead_rate(year), desk.energy_lever.trade_max_per_year.at(year) * 1e4)


class Draws:
    """The projects' random numbers, one at a time, from blocks of numpy's generator: a lead takes
    four, and a call for one number costs as much as drawing a few dozen at once (a city draws
    thousands of leads a year). Each kind (standard normal, standard exponential, uniform on
    [0, 1)) has its own block, so a stream's numbers depend on the order of draws of each kind only."""

    BLOCK = 64

    def __init__(self, rng: np.random.Generator):
        self.normal = _one_at_a_time(rng.standard_normal)
        self.exponential = _one_at_a_time(rng.standard_exponential)
        self.uniform = _one_at_a_time(rng.random)


def _one_at_a_time(draw: Callable[[int], np.ndarray]) -> Callable[[], float]:
    """The next number of ``draw``'s blocks at each call, the next block drawn when one is used up."""
    def numbers() -> Iterator[float]:
        while True:
            yield from draw(Draws.BLOCK).tolist()

    return functools.partial(next, numbers())


def draw_project(desk: Desk, draws: Draws, terms: _Terms | None = None) -> Project:
    """A new project from the scenario's distributions (``terms``: the year's, if read already)."""
    p = desk.terms_of(desk.year()) if terms is None else terms
    investment = p.investment_median * math.exp(p.investment_sigma * draws.normal())
    output = investment * 1e4 * p.output_per_investment
    energy = output * p.value_added_rate / 100 * p.energy_intensity
    patience = p.patience_months * draws.exponential()
    zero_land = draws.uniform() < p.zero_land_share
    land = 0.0 if zero_land else investment * 1e4 / p.investment_per_mu
    # Project's own __new__ is a Python function around this (thousands of leads a year)
    return tuple.__new__(Project, (investment, land, energy, output, p.build_months, patience, zero_land))


def signs(desk: Desk, project: Project, terms: _Terms | None = None) -> bool:
    """A lead signs if the region can plausibly give it land and energy (see the module text); a
    零增地技改 lead asks for no land, so the land queue does not turn it away."""
    if project.land > 0 and not desk.land.counts_on(project.land):
        return False
    return energy_in_sight(desk, project, terms)


def energy_in_sight(desk: Desk, project: Project, terms: _Terms | None = None) -> bool:
    """Whether the free quota, less the queue's, plus what the region may buy this year covers the project."""
    queued = desk.energy.get_queue.total()  # the sum over the queue, kept by the pool
    buyable = (desk.terms_of(desk.year()) if terms is None else terms).buyable
    return project.energy <= desk.energy.free - queued + buyable + 1e-9


def start_leads(desk: Desk, rng: np.random.Generator) -> None:
    """The leads without a process: what :func:`arrivals` does as one, started where it would be."""
    _Leads(desk, rng)


class _Leads(simpy.Event):
    """The stream of leads as one calendar entry, set again for the next lead as each is processed.

    Each lead is one step, as :func:`arrivals` takes it when its timer wakes it: the lead drawn,
    signed and started (or its wait begun) and the next lead's timer set, with the same draws in
    the same order, and every event scheduled in the same turn. Of an event, SimPy's step reads
    only the callbacks and whether it succeeded; the entry is scheduled as the timer would be
    (the time now plus the delay, normal priority, the next turn).

    Where the next lead's entry would be the calendar's next event (most of a city's leads follow
    one another with nothing in between), its step is taken at once, the clock moved to its time,
    as SimPy's step would take it: the entry's turn is taken from the calendar's count as scheduling
    takes it, so every other event keeps its place.
    """

    __slots__ = ("desk", "draws", "callbacks", "timed")
    _ok = True
    _value = None

    def __init__(self, desk: Desk, rng: np.random.Generator):  # no Event.__init__: nothing reads its env
        self.desk, self.draws, self.timed = desk, Draws(rng), False
        self.callbacks = [_Leads.step]
        desk.env.schedule(self, URGENT)  # a process's first step: SimPy's start is urgent

    def step(self) -> None:
        """The lead that was due now, if the timer was set at a positive rate; then the next timer,
        and the leads after it while each is the calendar's next event."""
        env = self.desk.env
        calendar = env._queue  # SimPy's heap of (time, priority, turn, event)
        while True:
            at, turn = self._lead()
            if at is None:
                return
            if calendar and calendar[0] < (at, NORMAL, turn):  # something comes first: the entry waits
                self.callbacks = [_Leads.step]
                heapq.heappush(calendar, (at, NORMAL, turn, self))
                return
            env._now = at  # as SimPy's step sets the clock to the entry it takes

    def _lead(self) -> tuple[float | None, int]:
        """One lead's step: the lead due now (if timed), the next timer's time and turn (as
        ``env.schedule`` would take them), then the signed project's wait; (None, 0) past the horizon.

        The year's terms are read once: the process reads them three times in this step (for the
        draw, the signing and the next rate), all at this instant.
        """
        desk, draws = self.desk, self.draws
        env = desk.env
        terms = desk.terms_of(desk.year())
        signed = None
        if self.timed:
            if env.now >= desk.horizon:
                return None, 0
            project = draw_project(desk, draws, terms)
            if not signs(desk, project, terms):
                desk.lost(project, "projects_declined")
            else:
                desk.signed(project, terms)
                if not start_on_the_spot(desk, project):
                    signed = project
        rate = terms.lead_rate
        self.timed = not rate <= 0  # as the process's test on waking (a NaN rate would draw a lead)
        at, turn = env._now + (draws.exponential() / rate if rate > 0 else 1.0), next(env._eid)
        if signed is not None:  # after the next timer is set, as in the process
            wait_in_queues(desk, signed)
        return at, turn


def arrivals(desk: Desk, rng: np.random.Generator):
    """Leads in continuous time at the year's rate; a signed project starts at once or waits (as a
    process: what :func:`start_leads` does without one).

    A project that must wait takes its first step (:func:`wait_in_queues`) once the next lead's
    timer is set: where the first step of a process of its own would come (right after this step,
    before anything else: SimPy's start is urgent).
    """
    env, draws = desk.env, Draws(rng)
    signed: Project | None = None  # signed, not met on the spot: it starts waiting before the next lead
    while True:
        rate = desk.terms_of(desk.year()).lead_rate
        wake = env.timeout(draws.exponential() / rate if rate > 0 else 1.0)
        if signed is not None:
            wait_in_queues(desk, signed)
            signed = None
        yield wake
        if rate <= 0:
            continue
        if env.now >= desk.horizon:
            return
        project = draw_project(desk, draws)
        if not signs(desk, project):
            desk.lost(project, "projects_declined")
            continue
        desk.signed(project)
        if not start_on_the_spot(desk, project):
            signed = project


def start_on_the_spot(desk: Desk, project: Project) -> bool:
    """Start a signed project whose land and energy are free with nobody waiting: what
    :func:`lifecycle` would do at once, done now, its completion left to the desk; else False.

    A new process would run its first step right after the current one, at the same time and
    before anything else (SimPy's start is urgent); until then the arrivals loop only draws its next
    lead's time, so the grants, the ledger rows and the books come out the same.
    """
    land, energy, pool, quota = project.land, project.energy, desk.land.pool, desk.energy
    if land > 0 and not pool.covers_now(land) or energy > 0 and not quota.covers_now(energy):
        return False
    if land > 0:
        pool.grant_now(land, "project")  # take_if_first, its answer known
        desk.pipeline_land += land
    if energy > 0:
        quota.grant_now(energy, "project")
    _build(desk, project, project.build_months, counted=True)
    return True


def _build(desk: Desk, project: Project, months: float, *, counted: bool) -> None:
    """:func:`build` without a process: spending booked now, the completion ``months`` on."""
    desk.started(project, desk.env.now, months, counted=counted)
    desk.completes(project, desk.env.now + months)


def wait_in_queues(desk: Desk, project: Project) -> None:
    """A signed project that must wait: what :func:`lifecycle` does, without a process.

    It asks for land, then energy, each in the pool's queue as a quiet request (:class:`_Asked`)
    raced against a timer at its deadline; whichever of the two comes first decides one event
    later, as the process's condition of ``request | timeout`` would resume it.
    """
    desk.waiting += 1
    _ask_land(desk, project, desk.env.now + project.patience)


def _ask_land(desk: Desk, project: Project, deadline: float) -> None:
    if project.land > 0:
        if not desk.land.pool.take_if_first(project.land, "project"):
            _Asked.wait(desk, project, desk.land.pool, project.land, deadline, _LAND)
            return
        desk.pipeline_land += project.land
    _ask_energy(desk, project, deadline)


def _ask_energy(desk: Desk, project: Project, deadline: float) -> None:
    if project.energy > 0 and not desk.energy.take_if_first(project.energy, "project"):
        _Asked.wait(desk, project, desk.energy, project.energy, deadline, _ENERGY)
        return
    _start(desk, project)


def _start(desk: Desk, project: Project) -> None:
    """Land and energy in hand: :func:`build`, done now."""
    desk.waiting -= 1
    _build(desk, project, project.build_months, counted=True)


_LAND, _ENERGY = 0, 1  # what a waiting project asks for


class _Asked(QuietRequest):
    """A waiting project's request for land or energy: a quiet request in the pool's queue.

    As a SimPy request raced against a timeout: whichever is processed first (its serving event, or
    the timer) triggers the race, and one event later the project goes on (served: booked, and on
    to energy or construction) or gives up (withdrawn from the queue, lost). A request served in
    the same serving pass as others of its kind shares their event (see :class:`QuietRequest`);
    their decisions, one event later each in the process version, come one after the other in
    one event here, in queue order.
    """

    __slots__ = ("desk", "project", "pool", "deadline", "stage", "waiting")

    def __init__(self, desk: Desk, project: Project, pool: Pool, amount: float, deadline: float, stage: int):
        self.amount, self.triggered = amount, False
        self.desk, self.project, self.pool, self.deadline, self.stage = desk, project, pool, deadline, stage
        self.waiting = False  # racing: waiting for the first of its serving and its deadline

    @classmethod
    def wait(cls, desk: Desk, project: Project, pool: Pool, amount: float, deadline: float, stage: int) -> None:
        """Queue the request (served at once if the queue serves it in its own pass), else race it
        against a timer at ``deadline``."""
        request = cls(desk, project, pool, amount, deadline, stage)
        pool.enqueue(request)
        if request.triggered:
            request.decide()
            return
        request.waiting = True
        after(desk.env, max(deadline - desk.env.now, 0.0), request._timed_out)

    @classmethod
    def served(cls, requests: list) -> None:
        due = take_waiting(requests)
        if due:
            next_event(due[0].desk.env, lambda: [request.decide() for request in due])

    def _timed_out(self) -> None:
        if take_waiting([self]):
            next_event(self.desk.env, self.decide)

    def decide(self) -> None:
        """Served: booked, and on; else withdrawn, and the project is lost (as :func:`_acquire`)."""
        desk, project = self.desk, self.project
        if self.triggered:
            self.pool.book_served(self.amount, "project")
            if self.stage == _LAND:
                desk.pipeline_land += project.land
                _ask_energy(desk, project, self.deadline)
            else:
                _start(desk, project)
            return
        self.pool.cancel(self)
        if self.stage == _ENERGY:
            desk.land.pool.return_unbuilt(project.land, "project lost: land returned")  # never built on: free at once
            desk.pipeline_land -= project.land
        desk.lost(project, "projects_lost")
        desk.waiting -= 1


def lifecycle(desk: Desk, project: Project):
    """Wait for land, then energy, within patience; build; produce (as a process: what
    :func:`wait_in_queues` does without one)."""
    env = desk.env
    deadline = env.now + project.patience
    desk.waiting += 1
    started = yield from _acquire(desk, project, deadline)
    desk.waiting -= 1
    if started:
        yield from build(desk, project)


def _acquire(desk: Desk, project: Project, deadline: float):
    """Land, then energy, before ``deadline``; True if the project has both (else it is lost)."""
    env = desk.env
    if project.land > 0:
        if not (yield from desk.land.wait_for(project.land, deadline, "project")):
            desk.lost(project, "projects_lost")
            return False
        desk.pipeline_land += project.land
    if project.energy > 0:
        if not (yield from wait_for(env, desk.energy, project.energy, deadline, "project")):
            desk.land.pool.return_unbuilt(project.land, "project lost: land returned")  # never built on: free at once
            desk.pipeline_land -= project.land
            desk.lost(project, "projects_lost")
            return False
    return True


def build(desk: Desk, project: Project, remaining: float | None = None):
    """Spend the investment over the build time; the region takes the project in when it is built
    (:meth:`Desk.joining`: no calendar entry of its own)."""
    months = project.build_months if remaining is None else remaining
    desk.started(project, desk.env.now, months, counted=remaining is None)
    desk.completes(project, desk.env.now + months)
    yield from ()


HOST_ROUNDS = 16  # draws a project takes among all 规上 firms before it is drawn among those large enough


def hosts(revenue: np.ndarray, outputs: np.ndarray, rng: np.random.Generator, rounds: int = HOST_ROUNDS) -> np.ndarray:
    """Positions in ``revenue`` (not empty) of the firms that carry out 零增地技改 projects of
    ``outputs``: each drawn in proportion to revenue among the firms at least as large as its output
    (a 技改 on its own plot at most doubles a firm); the largest firm when none is.

    By rejection: a firm drawn in proportion to revenue among all is kept if it is large enough,
    else the project draws again. That gives the proportions among the firms large enough exactly,
    with one running sum of the revenues in row order (no ranking): a project is small beside the
    firm a revenue-weighted draw lands on, so most are placed at the first draw. Those still
    unplaced after ``rounds`` draws are drawn among the large enough firms directly. Each project
    takes ``rounds + 1`` uniforms whatever it uses, so the stream stays aligned between scenarios
    whose firms differ (common random numbers for what the stream draws next).
    """
    return hosts_at(revenue, outputs, host_draws(rng, len(outputs), rounds))


def host_rows(rows: np.ndarray, alive: np.ndarray, revenue: np.ndarray, outputs: np.ndarray,
              rng: np.random.Generator) -> np.ndarray:
    """The rows of the hosts (:func:`hosts`) among the live firms of ``rows`` (ascending), none if
    none is live (and nothing drawn); in two compiled passes where the compiled steps are in use
    (the live rows with their running revenue, then the draws: the same picks)."""
    compiled = kernels.compiled_for(len(alive))
    if compiled is not None:
        live, running, plain = compiled.live_running_revenue(rows, alive, revenue)
        if plain:  # (a NaN or negative revenue: numpy's search, below)
            if len(live) == 0:
                return live
            u = host_draws(rng, len(outputs))
            return compiled.host_picks(live, running, revenue, outputs, u, u.shape[1] - 1)
    live = rows[alive[rows]]
    if len(live) == 0:
        return live
    return live[hosts(revenue[live], outputs, rng)]


def host_draws(rng: np.random.Generator, projects: int, rounds: int = HOST_ROUNDS) -> np.ndarray:
    """The uniforms :func:`hosts` reads: a project's row holds its draws in turn, the last for the fallback."""
    return rng.random((projects, rounds + 1))


def hosts_at(revenue: np.ndarray, outputs: np.ndarray, u: np.ndarray) -> np.ndarray:
    """:func:`hosts` with its uniforms ``u`` drawn (:func:`host_draws`)."""
    rounds = u.shape[1] - 1
    weights = np.cumsum(revenue)
    last, total = len(revenue) - 1, weights[-1]
    picks = np.zeros(len(outputs), dtype=np.int64)
    waiting = np.arange(len(outputs))
    for draw in range(rounds if total > 0 else 0):
        if len(waiting) == 0:
            break
        drawn = np.minimum(np.searchsorted(weights, u[waiting, draw] * total, side="right"), last)
        kept = revenue[drawn] >= outputs[waiting]
        picks[waiting[kept]] = drawn[kept]
        waiting = waiting[~kept]
    for k in waiting.tolist():
        large = np.flatnonzero(revenue >= outputs[k])
        if len(large) == 0:
            picks[k] = int(np.argmax(revenue))
            continue
        among = np.cumsum(revenue[large])
        picks[k] = large[min(int(np.searchsorted(among, u[k, rounds] * among[-1], side="right")), len(large) - 1)]
    return picks


def warm_start(desk: Desk, rng: np.random.Generator, earlier_land: float = 0.0) -> float:
    """Projects already under construction at the start, as in a steady state; returns the share
    of their leads' spending (investment over build time) that signed (1 with no leads).

    They are history, not policy: their leads came at the base year's rate at the usual 招商 effort
    (``projects_per_year`` then, effort 1), so a lever moves only the simulated years. Their number
    is Poisson(that rate × build time), each with its remaining build time uniform. A lead signed
    with land and energy in sight, as one does now; the land in sight over its build was the free
    stock and ``earlier_land``, the new land supplied over a build time before the start. So each
    holds its plot: out of the free stock while it lasts, then out of that earlier supply (land
    granted before the start, entering the pool as held); none builds without a plot.
    """
    terms, pool, quota = desk.terms_of(desk.year()), desk.land.pool, desk.energy  # the year, read once
    count = rng.poisson(desk.usual_lead_rate(desk.base_year) * terms.build_months)
    draws = Draws(rng)
    led = signed = 0.0
    in_sight = pool.free + earlier_land
    for _ in range(count):
        drawn = draw_project(desk, draws, terms)
        remaining = drawn.build_months * draws.uniform()  # drawn for every lead: the same numbers either way
        spend = drawn.investment / drawn.build_months
        led += spend
        if drawn.land > in_sight + 1e-9 or not energy_in_sight(desk, drawn, terms):
            continue
        in_sight -= drawn.land
        signed += spend
        earlier = max(drawn.land - pool.free, 0.0)
        if earlier > 0:
            pool.supply(earlier, "granted before the start to a project under construction", held=True)
        land = earlier + pool.take_now(drawn.land - earlier, "project under construction at start")
        energy = quota.take_now(drawn.energy, "project under construction at start")
        project = Project(drawn.investment, land, energy, drawn.output, drawn.build_months, drawn.patience,
                          drawn.zero_land)  # not _replace: several calls more, for hundreds of projects
        desk.pipeline_land += land
        continue_building(desk, project, remaining)
    return signed / led if led > 0 else 1.0


def continue_building(desk: Desk, project: Project, remaining: float) -> None:
    """A project under construction at the start: :func:`build` done now (no process of its own).

    A process started before the calendar runs would take that step at time 0, before anything
    else (SimPy's start is urgent, and these are the first processes started); the step only books
    spending and hands the completion to the desk, so doing it now leaves every event in the same
    order.
    """
    _build(desk, project, remaining, counted=False)
