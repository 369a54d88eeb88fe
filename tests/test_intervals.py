"""The Wilson interval of P(met): closed-form ends, containment, coverage."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from simulation.intervals import Z95, wilson_interval


def test_closed_form_ends_at_zero_and_one():
    n = 10
    lo, hi = wilson_interval(0.0, n)
    assert lo == 0.0 and np.isclose(hi, Z95**2 / (n + Z95**2))  # the "rule of three"'s Wilson form
    lo, hi = wilson_interval(1.0, n)
    assert hi == 1.0 and np.isclose(lo, n / (n + Z95**2))


@given(st.integers(1, 5000), st.data())
def test_interval_contains_the_estimate_and_stays_in_0_1(n, data):
    k = data.draw(st.integers(0, n))
    lo, hi = wilson_interval(k / n, n)
    assert 0.0 <= lo <= k / n <= hi <= 1.0


def test_coverage_is_near_95_percent_for_small_samples():
    rng = np.random.default_rng(0)
    for p, n in ((0.1, 20), (0.5, 30), (0.9, 50)):
        k = rng.binomial(n, p, size=20000)
        lo, hi = wilson_interval(k / n, n)
        coverage = np.mean((lo <= p) & (p <= hi))
        assert 0.92 <= coverage <= 0.99, (p, n, coverage)
