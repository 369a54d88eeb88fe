"""Seeds keyed by what a run is, never by who runs it or when.

Every task's seed is ``SeedSequence(root, spawn_key=(point, replication))``: the same task gets the
same random numbers serially, on a process pool or on a Dask cluster, in any order.
"""

from __future__ import annotations

import numpy as np


def task_seed(root: int, point: int, replication: int) -> np.random.SeedSequence:
    """The seed of replication ``replication`` at design point ``point`` under root seed ``root``."""
    if root < 0 or point < 0 or replication < 0:
        raise ValueError("seeds, points and replications are non-negative integers")
    return np.random.SeedSequence(entropy=root, spawn_key=(point, replication))
