"""Where a replication's time goes: exclusive milliseconds per replication of each step of the calendar.

Each listed function is wrapped with a timer that counts its own time, less the time of the
listed functions it calls (so the column adds up to the run, with what is listed nowhere in the
last line). The timers cost about a microsecond a call: the lead steps, called most, read a little
high. Use it to choose what to work on, and ``bench/engine.py`` (or paired timings) to show the
effect of a change. The last line sums the steps into passes over the population (:data:`PASSES`),
the part that replications stacked along an axis could share, and the rest: the events'
bookkeeping and the calendar, which each replication keeps for itself.

Run: ``python bench/phases.py [ningbo | zhenhai | FIRMS] [--replications N]``; FIRMS (say 1000000)
runs Zhenhai scaled to that many firms, as ``bench/engine.py`` does. Every run is on the compiled
steps from its first replication, as in a long batch: a small population would otherwise step on
numpy until the process had stepped 5 million firm-months, then load numba inside whichever timed
step ran next (at 3,000 firms that put 8 ms a replication on ``Region._exit``).
"""

from __future__ import annotations

import argparse
import functools
import importlib
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# module:qualified name of each function timed (called through its module or class, so the
# wrapper is what the calendar calls)
TIMED = (
    "simulation.model:Region.__init__", "simulation.model:Region._new_year", "simulation.model:Region._year_end",
    "simulation.model:Region._look_ahead", "simulation.model:Region._remediate", "simulation.model:Region._certify",
    "simulation.model:Region._auction", "simulation.model:Region._join_completed", "simulation.model:Region._exit",
    "simulation.model:Region._births", "simulation.model:Region._pick_hosts", "simulation.model:Region._add_project_firms",
    "simulation.model:Region._record", "simulation.model:Region._roll_year", "simulation.model:Region._energy_true_up",
    "simulation.processes.grading:grade_firms", "simulation.processes.growth:grow_year",
    "simulation.processes.growth:month_step", "simulation.processes.growth:set_exit_hazard",
    "simulation.processes.certification:evolve_rd", "simulation.processes.certification:certification_round",
    "simulation.processes.certification:review", "simulation.processes.certification:high_tech_round",
    "simulation.processes.energy:ration_forward", "simulation.processes.energy:ration_rest_of_year", "simulation.processes.remediation:campaign",
    "simulation.processes.statistics:review_scale", "simulation.processes.land:LandMarket.file_expansions",
    "simulation.processes.land:LandMarket.auction", "simulation.processes.projects:_Leads.step",
    "simulation.processes.projects:_Asked.decide", "simulation.processes.projects:Desk.joining",
    "simulation.processes.projects:warm_start", "simulation.population:Population.append",
    "simulation.population:Population.keep", "simulation.resources:Pool.release",
    # the base year, inside Region.__init__ (called through the module that imported each)
    "simulation.model:initial_population", "simulation.population:_base_revenue", "simulation.population:_base_ages",
    "simulation.population:initial_certificates", "simulation.processes.certificates_init:ladder_certificates",
    "simulation.processes.certificates_init:high_tech_by_value_added", "simulation.population:Population.new",
    "simulation.model:Region._base_year_snapshot",
)

# the steps that are passes over the population's columns: what replications stacked along an axis
# could share (one call over every replication's firms for one each). Generous: a few of them
# (certification, the campaign, land claims, the year's record) also keep books of their own. The
# rest is the events' bookkeeping (births, exits, projects, leads, pools) and the calendar, which
# stays one replication's at a time.
PASSES = frozenset({
    "Region.__init__", "initial_population", "_base_revenue", "_base_ages", "initial_certificates",
    "ladder_certificates", "high_tech_by_value_added", "Population.new", "Region._base_year_snapshot",
    "grade_firms", "grow_year", "month_step", "set_exit_hazard", "evolve_rd", "certification_round", "review",
    "high_tech_round", "review_scale", "campaign", "LandMarket.file_expansions", "ration_forward",
    "ration_rest_of_year", "Region._energy_true_up", "Region._record", "Region._roll_year", "Population.keep",
})


class Timers:
    """Exclusive time and calls per label."""

    def __init__(self) -> None:
        self.seconds: defaultdict[str, float] = defaultdict(float)
        self.calls: Counter[str] = Counter()
        self._children: list[float] = []  # time of timed callees, per open call

    def wrap(self, owner, name: str, label: str) -> None:
        function = getattr(owner, name)

        @functools.wraps(function)
        def timed(*args, **kwargs):
            start = time.perf_counter()
            self._children.append(0.0)
            try:
                return function(*args, **kwargs)
            finally:
                spent = time.perf_counter() - start
                self.seconds[label] += spent - self._children.pop()
                self.calls[label] += 1
                if self._children:
                    self._children[-1] += spent

        setattr(owner, name, timed)

    def clear(self) -> None:
        self.seconds.clear()
        self.calls.clear()


def resolve(spec: str) -> tuple[object, str, str]:
    """(the module or class that holds the function, its name, its label) of a ``TIMED`` entry."""
    module, qualified = spec.split(":")
    owner = importlib.import_module(module)
    *path, name = qualified.split(".")
    for part in path:
        owner = getattr(owner, part)
    return owner, name, qualified


def _install(timers: Timers) -> None:
    for spec in TIMED:
        timers.wrap(*resolve(spec))


def _scenario(which: str):
    from simulation.loader import load_scenario

    if which.isdigit():
        sys.path.insert(0, str(ROOT / "bench"))
        from measure import ZHENHAI, scaled

        return scaled(int(which), ROOT / ZHENHAI)
    name = {"ningbo": "ningbo_2020_2022", "zhenhai": "zhenhai_2021_2025"}[which]
    return load_scenario(ROOT / "scenarios" / f"{name}.yaml")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("which", nargs="?", default="ningbo", help="ningbo, zhenhai or a number of firms")
    parser.add_argument("--replications", "-r", type=int, default=8)
    args = parser.parse_args()

    from simulation.model import run_region
    from simulation.processes import kernels

    scenario = _scenario(args.which)
    kernels.COMPILED_AFTER_COLD = 0  # as with numba's disk cache filled: the model's steady speed
    kernels.expect(10**12)  # the compiled steps throughout, as a batch runs after its first replication
    timers = Timers()
    _install(timers)
    run_region(scenario, 0)  # warm up: compiled steps loaded, caches filled
    timers.clear()
    start = time.perf_counter()
    for seed in range(1, args.replications + 1):
        run_region(scenario, seed)
    per_run = (time.perf_counter() - start) / args.replications
    listed = sum(timers.seconds.values()) / args.replications
    print(f"{args.which}: {per_run * 1e3:.1f} ms a replication (mean of {args.replications}); exclusive times:\n")
    print(f"{'ms':>8} {'share':>6} {'calls':>7}  step")
    for label, seconds in sorted(timers.seconds.items(), key=lambda item: -item[1]):
        ms = seconds / args.replications * 1e3
        print(f"{ms:>8.2f} {ms / (per_run * 1e3):>6.1%} {timers.calls[label] / args.replications:>7.0f}  {label}")
    rest = (per_run - listed) * 1e3
    print(f"{rest:>8.2f} {rest / (per_run * 1e3):>6.1%} {'':>7}  the rest: the calendar (SimPy), lines not listed")
    passes = sum(seconds for label, seconds in timers.seconds.items() if label in PASSES) / args.replications * 1e3
    print(f"\npasses over the population (what stacked replications could share, at most): {passes:.1f} ms "
          f"({passes / (per_run * 1e3):.0%}); the events' bookkeeping and the calendar: {per_run * 1e3 - passes:.1f} ms")


if __name__ == "__main__":
    main()
