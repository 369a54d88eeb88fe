"""upgrade-sim: regional industrial upgrading simulated against official targets.

The names a notebook needs::

    from simulation import load_scenario, simulate, run_replications
    sc = load_scenario("scenarios/zhenhai_2021_2025.yaml")
    one = simulate(sc, seed=0)                 # one replication: .indicators, .flows, .ledger
    many = run_replications(sc, 200, seed=0)   # .indicators, .targets (attainment), .flows
"""

from importlib import import_module
from typing import TYPE_CHECKING

from .errors import InputError

if TYPE_CHECKING:  # the names a notebook uses most, for type checkers and editors
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

# Each name loads on first use, so that a command that needs none of them (``upgrade-sim --help``, a
# scenario refused for a typo) does not first import pandas, SciPy and the model; the experiment
# entry points pull in Dask, SALib and scikit-learn too.
_LAZY = {
    "RunResult": "simulation.experiments.replicate",
    "run_replications": "simulation.experiments.replicate",
    "load_scenario": "simulation.loader",
    "with_overrides": "simulation.loader",
    "SimulationResult": "simulation.model",
    "simulate": "simulation.model",
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
