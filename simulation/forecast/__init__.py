"""Forecasting past a plan's horizon and measuring forecast skill against observed data.

- :mod:`.horizon`: carry a scenario past its end year by a stated rule per schedule;
- :mod:`.observed`: the observed series of ``calibration/data/*.csv`` in one place (units, price basis);
- :mod:`.scores`: coverage, interval score, CRPS, PIT, absolute percentage error;
- :mod:`.baselines`: naive random walk with drift and a statsmodels local-level model;
- :mod:`.rolling`: the rolling-origin back-test that writes ``skill.csv``;
- :mod:`.skill`: the measured skill of a run's indicators, for the run report.

Everything here goes through the public API (scenarios, ``run_replications``), never through
the model's internals, so it re-runs unchanged on a new model.
"""

from .horizon import SCHEDULE_RULES, with_horizon
from .observed import load_observed

__all__ = ["SCHEDULE_RULES", "with_horizon", "load_observed"]
