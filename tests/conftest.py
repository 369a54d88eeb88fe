"""Shared fixtures: the shipped Zhenhai scenario, and a small version of it for fast tests."""

from pathlib import Path

import pytest

from simulation.loader import load_scenario, with_overrides
from simulation.processes import kernels

# The tests step compiled where a process with numba's disk cache filled would (the size and length
# thresholds, which many tests set to choose a version), whether or not this checkout's cache is
# filled yet: a new clone would otherwise run everything on numpy. The rule for an empty cache has
# its own tests (test_kernels.py).
kernels._cold = False

ROOT = Path(__file__).resolve().parents[1]
ZHENHAI = ROOT / "scenarios" / "zhenhai_2021_2025.yaml"


@pytest.fixture(scope="session")
def zhenhai():
    return load_scenario(ZHENHAI)


@pytest.fixture(scope="session")
def small(zhenhai):
    """Zhenhai with a fifth of the firms: the same mechanics, five times faster."""
    return with_overrides(zhenhai, {
        "population.above_scale.count": 100,
        "population.above_scale.output": 572,
        "population.large_firms.0.revenue": 160,
        "population.above_scale.land": 6000,
        "population.above_scale.employees": 16000,
        "population.above_scale.energy_use": 160,
        "population.below_scale.count": 500,
        "levers.energy.cap": 175,
        "levers.remediation.firms_per_year": 8,
        "levers.scattered_weak.firms_per_year": 20,
    })
