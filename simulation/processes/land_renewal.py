"""工业用地焕新提效: 先租后让 leases and the recovery of idle land (Haishu, 003 §(二)).

- **先租后让**: a share of new project plots is leased rather than sold. At the end of the lease the
  firm's 亩均 grade is checked: a firm graded D has not reached its 达产 commitments, its lease is
  not converted, and it leaves the plot (the land returns to the pool); the others take title.
- **盘活存量**: idle land (批而未供, 供而未用, 用而未尽) and redeveloped low-efficiency land come
  back into the supply at a yearly pace, in the same auctions as new land.
"""

from __future__ import annotations

import numpy as np

from ..population import Population
from ..scenario import LandRenewal
from ..tiers import GRADE_D


def lease_ends(renewal: LandRenewal | None, n: int, year: int, rng) -> np.ndarray:
    """``lease_end`` for ``n`` new project firms: ``year + lease_years`` for leased plots, else 0."""
    if renewal is None or n == 0 or renewal.lease_first_share.at(year) <= 0:
        return np.zeros(n, dtype=np.int16)  # no draw: the hosts stream is left as it was
    leased = rng.random(n) < renewal.lease_first_share.at(year)
    return np.where(leased, year + int(round(renewal.lease_years.at(year))), 0).astype(np.int16)


def lease_check(pop: Population, year: int) -> np.ndarray:
    """Rows whose lease ends this year and fail the check (graded D); the others take title."""
    due = pop.alive & (pop.lease_end > 0) & (pop.lease_end <= year)
    failed = np.flatnonzero(due & (pop.grade == GRADE_D))
    pop.lease_end[due] = 0
    return failed
