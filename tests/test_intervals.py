"""The Wilson interval of P(met) and Newcombe's interval of a paired difference: published values, containment, coverage."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulation.compare import paired_difference
from simulation.intervals import Z95, newcombe_paired_interval, wilson_interval


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


@pytest.mark.parametrize("table, ends", [
    # Cavo et al. (2012) in Fagerland, Lydersen & Laake (2017), ch. 8: −0.1186 to −0.0046
    ((59, 6, 16, 80), (-0.1186, -0.0046)),
    # Newcombe (1998) example (a): the lower end 0.0569; the upper end as the method gives it
    ((36, 12, 2, 0), (0.0569, 0.3404)),
])
def test_newcombe_interval_matches_published_values(table, ends):
    lo, hi = newcombe_paired_interval(*table)
    assert (round(lo, 4), round(hi, 4)) == ends


@given(st.integers(0, 60), st.integers(0, 60), st.integers(0, 60), st.integers(0, 60))
def test_newcombe_interval_contains_the_estimate_within_minus_one_one_with_width(a, b, c, d):
    n = a + b + c + d
    if n == 0:
        return
    lo, hi = newcombe_paired_interval(a, b, c, d)
    assert -1.0 <= lo <= (b - c) / n <= hi <= 1.0 and hi > lo


@pytest.mark.parametrize("this, reference", [([True] * 10, [False] * 10), ([True] * 10, [True] * 10),
                                             ([True, False] * 5, [True, False] * 5)])
def test_a_paired_difference_never_collapses_to_a_point(this, reference):
    d = paired_difference(np.array(this), np.array(reference))
    assert d["diff_lo"] < d["diff_hi"] and d["diff_lo"] <= d["diff"] <= d["diff_hi"]
