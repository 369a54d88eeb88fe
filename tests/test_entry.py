"""Births (新设企业): entrants' sizes below the 2,000万 line."""

import numpy as np
from scipy import stats

from simulation.processes.entry import newcomers


def test_entrants_are_log_normal_truncated_at_the_line_not_piled_up_under_it(zhenhai):
    """An entrant's revenue is the scenario's log-normal cut off at the 规上 line: the draws follow
    the truncated distribution (Kolmogorov-Smirnov), and none sits at the line (a cap would have
    put every draw above it there, to be next year's 小升规)."""
    year, n = 2022, 20_000
    params = zhenhai.parameters
    firms, _ = newcomers(zhenhai, year, n, np.random.default_rng(7))
    revenue = firms["revenue"]
    line = params.statistics.above_scale_threshold.at(year)
    median = params.entry.revenue_median.at(year) * np.prod(
        [1 + params.growth.above_scale_mean.at(y) / 100 for y in range(zhenhai.base_year + 1, year + 1)])
    sigma = params.entry.revenue_sigma.at(year)
    full = stats.lognorm(s=sigma, scale=median)
    assert full.sf(line) > 0.005  # the untruncated draws would cross the line often enough to matter
    truncated_cdf = lambda x: np.minimum(full.cdf(x) / full.cdf(line), 1.0)  # noqa: E731
    assert stats.kstest(revenue, truncated_cdf).pvalue > 0.001
    assert revenue.max() < line and np.mean(revenue >= 0.99 * line) < 0.002
