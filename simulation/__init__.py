"""upgrade-sim: regional industrial upgrading simulated against official targets.

The names a notebook needs::

    from simulation import load_scenario, simulate, run_replications
    sc = load_scenario("scenarios/zhenhai_2021_2025.yaml")
    one = simulate(sc, seed=0)                 # one replication: .indicators, .flows, .ledger
    many = run_replications(sc, 200, seed=0)   # .indicators, .targets (attainment), .flows
"""

from importlib import import_module

from .errors import InputError
from .experiments.replicate import RunResult, run_replications
from .loader import load_scenario, with_overrides
from .model import SimulationResult, simulate

__all__ = [
    "InputError",
    "RunResult",
    "SimulationResult",
    "load_scenario",
    "run_replications",
    "simulate",
    "with_overrides",
    "sweep",
    "sensitivity",
    "discover",
    "calibrate",
    "compare",
]

# Experiment entry points load on first use (they pull in Dask, SALib, scikit-learn).
_LAZY = {
    "sweep": "simulation.experiments.sweep",
    "sensitivity": "simulation.experiments.sensitivity",
    "discover": "simulation.experiments.discover",
    "calibrate": "simulation.calibration",
    "compare": "simulation.compare",
}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'simulation' has no attribute {name!r}")
