"""Births (新设企业): entrants' sizes below the 2,000万 line."""

import numpy as np
from scipy import stats

from simulation.processes.entry import newcomers


def test_entrants_are_log_normal_truncated_at_the_line_not_piled_up_under_it(zhenhai):
    """An entrant's revenue is the scenario's log-normal cut off at the 规上 line (at the year's
    prices: :mod:`tests.test_scale_line`): the draws follow the truncated distribution
    (Kolmogorov-Smirnov), and none sits at the line (a cap would have put every draw above it
    there, to be next year's 小升规)."""
    year, n = 2022, 20_000
    params = zhenhai.parameters
    firms, _ = newcomers(zhenhai, year, n, np.random.default_rng(7))
    revenue = firms["revenue"]
    line = params.statistics.above_scale_threshold.at(year) / zhenhai.price_level(year)
    median = params.entry.revenue_median.at(year) * np.prod(
        [1 + params.growth.above_scale_mean.at(y) / 100 for y in range(zhenhai.base_year + 1, year + 1)])
    sigma = params.entry.revenue_sigma.at(year)
    full = stats.lognorm(s=sigma, scale=median)
    assert full.sf(line) > 0.005  # the untruncated draws would cross the line often enough to matter
    truncated_cdf = lambda x: np.minimum(full.cdf(x) / full.cdf(line), 1.0)  # noqa: E731
    assert stats.kstest(revenue, truncated_cdf).pvalue > 0.001
    assert revenue.max() < line and np.mean(revenue >= 0.99 * line) < 0.002



def test_project_firms_take_the_sectors_shares_as_births_do(zhenhai):
    """A completed project's firm is in a sector drawn from the sectors' shares of firms (a project
    names none): 4,000 project firms come out in the scenario's shares (chi-square), not all in the
    first sector."""
    from simulation.draws import FirmDraws
    from simulation.model import STREAMS, Region
    from simulation.processes.projects import Project

    children = np.random.SeedSequence(3).spawn(len(STREAMS) + 1)
    region = Region(zhenhai, dict(zip(STREAMS, map(np.random.default_rng, children))), FirmDraws(children[-1]))
    before, n = len(region.pop), 4_000
    region._add_project_firms([Project(1.0, 20.0, 500.0, 1e4, 12.0, 6.0)] * n)
    sector = region.pop.sector[before:]
    shares = np.array([s.firm_share.at(0) for s in zhenhai.population.sectors])
    observed = np.bincount(sector, minlength=len(shares))
    assert stats.chisquare(observed, n * shares / shares.sum()).pvalue > 0.001
