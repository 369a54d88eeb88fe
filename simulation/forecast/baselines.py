"""The baselines a model forecast must beat, each a predictive distribution from the history alone.

Both work on the log of a positive level (growth is multiplicative) and on the raw value of a
percentage (a growth rate or a share) or of a series that touches zero. Years may be missing
(the bulletins are patchy): both handle gaps without interpolating.

- :func:`naive_drift`: the random walk with drift (Hyndman & Athanasopoulos, *FPP3* §5.2). The
  drift is the slope between the first and last observation; the variance of an h-step forecast is
  σ²h(1 + h/T), T the span of the history in years (the second term is the drift's own error). A
  percentage gets no drift: a drift in a growth rate compounds into acceleration or collapse.
  One observation gives a point forecast (no drift); the interval needs three (two for a percentage).
- :func:`statistical`: simple exponential smoothing in its state-space form, statsmodels'
  ``ARIMA(0,1,1)`` (ETS(A,N,N) ≡ ARIMA(0,1,1)), fitted by maximum likelihood with the Kalman
  filter, so missing years are skipped, not filled. It needs :data:`MIN_STATISTICAL` observations.

Each returns a :class:`Predictive` (a normal on the working scale, or ``None`` when the history
is too short); :meth:`Predictive.ensemble` gives quantiles to score like the model's replications.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from .scores import quantile_ensemble

MIN_STATISTICAL = 4


@dataclass(frozen=True)
class Predictive:
    """N(mean, sd²) on the working scale (log when ``log``); sd NaN: a point forecast only."""

    mean: float
    sd: float
    log: bool

    @property
    def median(self) -> float:
        return math.exp(self.mean) if self.log else self.mean

    @property
    def has_interval(self) -> bool:
        return math.isfinite(self.sd) and self.sd > 0

    def ensemble(self, m: int = 2000) -> np.ndarray:
        if not self.has_interval:
            return np.array([self.median])
        z = quantile_ensemble(stats.norm(self.mean, self.sd).ppf, m)
        return np.exp(z) if self.log else z


def working_scale(history: pd.Series, rate: bool) -> bool:
    """True: model the log (a positive level); False: the raw value (a percentage, or zeros)."""
    return (not rate) and bool((history > 0).all())


def naive_drift(history: pd.Series, year: int, *, rate: bool) -> Predictive | None:
    """Random walk with drift from ``history`` (index: year, all before ``year``) to ``year``."""
    h = history.dropna().sort_index()
    if h.empty:
        return None
    log = working_scale(h, rate)
    z = np.log(h.to_numpy(float)) if log else h.to_numpy(float)
    years = h.index.to_numpy(int)
    span = years[-1] - years[0]
    drift = 0.0 if rate or span == 0 else (z[-1] - z[0]) / span  # one observation: no drift
    steps = year - years[-1]
    mean = z[-1] + drift * steps
    gaps, diffs = np.diff(years), np.diff(z)
    dof = len(diffs) - (0 if rate else 1)
    if dof < 1:
        return Predictive(float(mean), math.nan, log)
    sigma2 = float(np.sum((diffs - drift * gaps) ** 2 / gaps) / dof)
    var = sigma2 * steps * (1.0 if rate or span == 0 else 1.0 + steps / span)
    return Predictive(float(mean), math.sqrt(var), log)


def statistical(history: pd.Series, year: int, *, rate: bool) -> Predictive | None:
    """ETS(A,N,N) as statsmodels ``ARIMA(0,1,1)`` on the yearly grid (gaps as missing) to ``year``."""
    from statsmodels.tsa.arima.model import ARIMA

    h = history.dropna().sort_index()
    if len(h) < MIN_STATISTICAL:
        return None
    log = working_scale(h, rate)
    grid = pd.Series(np.nan, index=pd.RangeIndex(int(h.index[0]), int(h.index[-1]) + 1))
    grid.loc[h.index.astype(int)] = np.log(h.to_numpy(float)) if log else h.to_numpy(float)
    steps = year - int(h.index[-1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # short series: convergence and frequency warnings say nothing new
        fit = ARIMA(grid.to_numpy(), order=(0, 1, 1)).fit()
        forecast = fit.get_forecast(steps)
    mean = float(np.asarray(forecast.predicted_mean)[-1])
    sd = float(math.sqrt(np.asarray(forecast.var_pred_mean)[-1]))
    return Predictive(mean, sd, log)


BASELINES = {"naive": naive_drift, "statistical": statistical}
