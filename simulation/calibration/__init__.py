"""Calibration of scenarios to observed data (simulated moments, ABC-SMC) and back-tests.

See :mod:`.spec` for the YAML specification, :mod:`.objective` for the loss on common random
numbers, :mod:`.smm` and :mod:`.abc` for the two estimators and :mod:`.backtest` for scoring
forecasts against held-out years.
"""

from .backtest import backtest, naive_forecast, score
from .calibrate import Calibrated, calibrate, write_calibration, write_parameters
from .spec import Calibration, CalibrationSpec, load_calibration

__all__ = ["Calibrated", "Calibration", "CalibrationSpec", "backtest", "calibrate", "load_calibration",
           "naive_forecast", "score", "write_calibration", "write_parameters"]
