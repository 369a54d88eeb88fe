"""Investment projects (招商引资 and 零增地技改): arrival, the wait for land and energy, construction.

A project arrives (Poisson in continuous time), asks the land pool for its plot and then the
energy pool for its quota, waiting in each FIFO queue for at most its patience in all; a project
that waits too long is lost and gives back what it held. A started project spends its investment
evenly over its build time and then starts producing: a new firm on its own land, or, for a
零增地技改 project, more output from an existing firm without new land.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import simpy


@dataclass(frozen=True)
class Project:
    investment: float  # 亿元
    land: float  # 亩 (0 for 零增地技改)
    energy: float  # tce/年 of quota needed
    output: float  # 万元/年 at full production
    build_months: float
    patience: float  # months
    zero_land: bool = False  # 零增地技改: an existing firm's upgrade, no new land


def draw_project(region, rng: np.random.Generator) -> Project:
    """A new project from the scenario's distributions."""
    p = region.params.projects
    year = region.year
    investment = p.investment_median.at(year) * rng.lognormal(0.0, p.investment_sigma.at(year))
    output = investment * 1e4 * p.output_per_investment.at(year)
    energy = output * p.value_added_rate.at(year) / 100 * p.energy_intensity.at(year)
    patience = rng.exponential(p.patience_months.at(year))
    zero_land = bool(rng.random() < region.levers.attraction.zero_land_share.at(year))
    land = 0.0 if zero_land else investment * 1e4 / p.investment_per_mu.at(year)
    return Project(investment, land, energy, output, p.build_months.at(year), patience, zero_land)


def arrivals(env: simpy.Environment, region, rng: np.random.Generator):
    """Poisson arrivals at the year's rate; each project runs as its own process."""
    while True:
        rate = region.levers.attraction.projects_per_year.at(region.year) / 12.0
        if rate <= 0:
            yield env.timeout(1.0)
            continue
        yield env.timeout(rng.exponential(1.0 / rate))
        if env.now >= region.horizon:
            return
        project = draw_project(region, rng)
        region.count("projects_arrived")
        env.process(lifecycle(env, region, project))


def lifecycle(env: simpy.Environment, region, project: Project):
    """Wait for land, then energy, within patience; build; produce."""
    deadline = env.now + project.patience
    if project.land > 0:
        if not (yield from _wait_for(env, region.land, project.land, deadline, "project")):
            region.count("projects_lost")
            return
        region.pipeline_land += project.land
    if project.energy > 0:
        if not (yield from _wait_for(env, region.energy, project.energy, deadline, "project")):
            region.land.release(project.land, "project lost: land returned")
            region.pipeline_land -= project.land
            region.count("projects_lost")
            return
    yield from build(env, region, project)


def build(env: simpy.Environment, region, project: Project, remaining: float | None = None):
    """Spend the investment over the build time, then hand the project to the region."""
    months = project.build_months if remaining is None else remaining
    region.project_started(project, env.now, months, counted=remaining is None)
    yield env.timeout(months)
    region.project_completed(project)


def _wait_for(env, pool, amount: float, deadline: float, reason: str):
    request = pool.request(amount, reason)
    if not request.triggered:
        yield request | env.timeout(max(deadline - env.now, 0.0))
    if request.triggered:
        pool.granted(amount, reason)
        return True
    pool.cancel(request)
    return False


def warm_start(env: simpy.Environment, region, rng: np.random.Generator) -> None:
    """Projects already under construction at the start, as in a steady state.

    Their number is Poisson(rate × build time), their remaining build time uniform, their land
    and quota already granted out of the free stock.
    """
    year = region.year
    rate = region.levers.attraction.projects_per_year.at(year) / 12.0
    count = rng.poisson(rate * region.params.projects.build_months.at(year))
    for _ in range(count):
        project = draw_project(region, rng)
        project = replace(
            project,
            land=region.land.take_now(project.land, "project under construction at start"),
            energy=region.energy.take_now(project.energy, "project under construction at start"),
        )
        region.pipeline_land += project.land
        remaining = rng.uniform(0.0, project.build_months)
        env.process(build(env, region, project, remaining=remaining))
