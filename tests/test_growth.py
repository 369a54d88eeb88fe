"""Monthly growth and exit against their laws: expected growth and a constant hazard."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.draws import FirmDraws
from simulation.population import Population
from simulation.processes.growth import month_step


def _firms(n, log_drift_year, hazard_year):
    pop = Population.new(n, alive=True, revenue=1000.0)
    pop.log_growth_month[:] = log_drift_year / 12
    pop.hazard_month[:] = -np.expm1(np.log1p(-hazard_year) / 12)
    return pop


@pytest.mark.slow
def test_constant_hazard_gives_geometric_survival():
    """A yearly exit probability p, applied monthly, leaves (1-p) after a year (binomial check)."""
    n, p = 200_000, 0.08
    pop = _firms(n, 0.0, p)
    draws = FirmDraws(np.random.SeedSequence(0))
    alive = np.ones(n, dtype=bool)
    for month in range(12):
        exited = month_step(pop, 0.0, draws, month)
        alive[exited] = False
        pop.hazard_month[exited] = 0.0
    sd = np.sqrt(p * (1 - p) / n)
    assert abs((1 - alive.mean()) - p) < 4 * sd


@pytest.mark.slow
@settings(max_examples=10, deadline=None)
@given(g=st.floats(-0.1, 0.3), sigma=st.floats(0.05, 0.5))
def test_expected_yearly_growth_is_the_mean(g, sigma):
    """With log drift log(1+g) - sigma^2/2 the mean revenue grows by g a year (CLT tolerance)."""
    n = 100_000
    pop = _firms(n, np.log1p(g) - sigma**2 / 2, 0.0)
    draws = FirmDraws(np.random.SeedSequence(1))
    for month in range(12):
        month_step(pop, sigma, draws, month)
    ratio = pop.revenue / 1000.0
    sd = ratio.std() / np.sqrt(n)
    assert abs(ratio.mean() - (1 + g)) < 5 * sd
