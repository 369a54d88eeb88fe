"""The command starts without the numerical stack: ``upgrade-sim --help`` and the command list
import none of it, so they answer at once; each command imports what it runs."""

from __future__ import annotations

import subprocess
import sys

import simulation

from .conftest import ROOT

HEAVY = ("numpy", "pandas", "scipy", "matplotlib", "simpy", "numba", "pyarrow", "dask")


def _loaded_after(code: str) -> list[str]:
    probe = f"import sys\n{code}\nprint(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    return done.stdout.splitlines()[-1].split()  # the last line: the probe's (help text comes before)


def test_the_command_list_loads_no_numerical_library():
    assert _loaded_after("from simulation.cli import main\nmain(['--help'], standalone_mode=False)") == []


def test_reading_a_scenario_loads_numpy_alone():
    """``upgrade-sim validate`` and the refusal of a bad scenario: numpy, pydantic and PyYAML."""
    code = "from simulation.loader import load_scenario\nload_scenario('scenarios/zhenhai_2021_2025.yaml')"
    assert _loaded_after(code) == ["numpy"]


def test_a_command_still_loads_what_it_runs():
    """The probe can see an import: asking the package for the model brings numpy and pandas in."""
    assert {"numpy", "pandas"} <= set(_loaded_after("import simulation\nsimulation.run_replications"))


def test_every_public_name_resolves():
    for name in simulation.__all__:
        assert getattr(simulation, name) is not None, name
