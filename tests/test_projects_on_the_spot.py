"""A signed project met on the spot starts without a process of its own: the same run as with one."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulation.loader import load_scenario
from simulation.model import simulate
from simulation.processes import projects

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def assert_same_run(quick, slow) -> None:
    """The two replications' tables (indicators, flows, ledger) are equal to the bit."""
    for table in ("indicators", "flows", "ledger"):
        assert getattr(quick, table).equals(getattr(slow, table)), table


@pytest.mark.parametrize("name", ["zhenhai_2021_2025", "ningbo_2020_2022"])
def test_a_run_is_the_same_with_every_project_as_a_process(monkeypatch, name):
    """Whole replications (indicators, flows, ledger): projects started on the spot vs every
    project through :func:`projects.lifecycle`; both paths must have been taken."""
    scenario = load_scenario(SCENARIOS / f"{name}.yaml")
    fast = projects.start_on_the_spot
    taken = {True: 0, False: 0}

    def counted(desk, project):
        started = fast(desk, project)
        taken[started] += 1
        return started

    monkeypatch.setattr(projects, "start_on_the_spot", counted)
    quick = simulate(scenario, 11)
    assert taken[True] > 0 and taken[False] > 0  # some met at once, some waited
    monkeypatch.setattr(projects, "start_on_the_spot", lambda desk, project: False)
    slow = simulate(scenario, 11)
    assert_same_run(quick, slow)


@pytest.mark.parametrize("name", ["zhenhai_2021_2025", "ningbo_2020_2022"])
def test_a_run_is_the_same_with_projects_under_construction_as_processes(monkeypatch, name):
    """Projects under construction at the start continue with only their completion as an event,
    or each as a :func:`projects.build` process: the same tables."""
    scenario = load_scenario(SCENARIOS / f"{name}.yaml")
    fast = projects.continue_building
    continued = []

    def counted(desk, project, remaining):
        continued.append(remaining)
        fast(desk, project, remaining)

    monkeypatch.setattr(projects, "continue_building", counted)
    quick = simulate(scenario, 12)
    assert continued  # the scenario has projects under way at the start
    monkeypatch.setattr(projects, "continue_building",
                        lambda desk, project, remaining: desk.env.process(projects.build(desk, project, remaining)))
    slow = simulate(scenario, 12)
    assert_same_run(quick, slow)


@pytest.mark.parametrize("name", ["zhenhai_2021_2025", "ningbo_2020_2022"])
def test_a_run_is_the_same_with_clearing_as_processes(monkeypatch, name):
    """Land in clearing comes back by a timer, or each clearing as a process: the same tables."""
    from simulation.processes import land

    scenario = load_scenario(SCENARIOS / f"{name}.yaml")
    timers = land.clear_later
    cleared = []
    monkeypatch.setattr(land, "clear_later", lambda market, *args: cleared.append(args) or timers(market, *args))
    quick = simulate(scenario, 13)
    assert cleared  # land was given up and cleared with a lag
    monkeypatch.setattr(land, "clear_later", lambda market, *args: market.env.process(market._clear(*args)))
    slow = simulate(scenario, 13)
    assert_same_run(quick, slow)
