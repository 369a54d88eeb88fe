"""Back-test: calibrate on observations up to a year, forecast the later ones, score the forecast.

Scores per indicator, over the observed years after ``until`` (within the scenario's run):

- ``coverage80``: share of observations inside the simulated 10–90% band;
- ``mdape_model``: median absolute percentage error of the simulated median;
- ``mdape_naive``: the same for a naive trend extrapolation, the baseline to beat: a level
  carries forward the last observed annual growth (compound rate between the last two
  observations up to ``until``, any year in the data file, before the base year included); a
  percentage (a growth rate, a share) carries its last observed value forward.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from .calibrate import Calibrated, calibrate
from .spec import Calibration, load_calibration

SCORE_COLUMNS = ["indicator", "n", "years", "coverage80", "mdape_model", "mdape_naive", "model_beats_naive"]


def naive_forecast(history: pd.Series, years: list[int], *, rate: bool) -> pd.Series:
    """Extrapolate ``history`` (index: year) to ``years``: last growth carried forward (see module)."""
    h = history.dropna().sort_index()
    last_year, last = int(h.index[-1]), float(h.iloc[-1])
    if rate or len(h) < 2 or h.iloc[-2] <= 0 or last <= 0:
        return pd.Series(last, index=years, dtype=float)
    prev_year, prev = int(h.index[-2]), float(h.iloc[-2])
    growth = (last / prev) ** (1.0 / (last_year - prev_year))
    return pd.Series([last * growth ** (y - last_year) for y in years], index=years, dtype=float)


def forecast_table(cal: Calibration, simulated: pd.DataFrame, until: int) -> pd.DataFrame:
    """One row per held-out observation: observed, p10/p50/p90 simulated, naive forecast."""
    d = cal.data
    names = list(dict.fromkeys(o.indicator for o in cal.spec.observed))
    rows = []
    for name in names:
        obs, later, past = _held_out(cal, name, until)
        if not later or past.empty:
            continue
        sim = simulated[simulated["indicator"] == name].groupby("year")["value"]
        rate = (d.loc[d["indicator"] == name, "unit"].iloc[0] == "%")
        naive = naive_forecast(past, later, rate=rate)
        for y in later:
            values = sim.get_group(y) if y in sim.groups else pd.Series(dtype=float)
            rows.append({"indicator": name, "year": y, "observed": obs[y], "p10": values.quantile(0.1),
                         "p50": values.median(), "p90": values.quantile(0.9), "naive": naive[y]})
    return pd.DataFrame(rows, columns=["indicator", "year", "observed", "p10", "p50", "p90", "naive"])


def _held_out(cal: Calibration, name: str, until: int) -> tuple[pd.Series, list[int], pd.Series]:
    """An indicator's observations by year, the years after ``until`` within the run, and those up to it."""
    d = cal.data
    obs = d[d["indicator"] == name].drop_duplicates("year").set_index("year")["value"].astype(float)
    return obs, [int(y) for y in obs.index if until < y <= cal.scenario.end_year], obs[obs.index <= until]


def mdape(forecast: pd.Series, observed: pd.Series) -> float:
    """Median absolute percentage error (%)."""
    return 100.0 * float(np.median(np.abs(forecast - observed) / np.abs(observed)))


def score(table: pd.DataFrame) -> pd.DataFrame:
    """Coverage of the 80% band and median absolute percentage errors, per indicator."""
    out = []
    for name, g in table.groupby("indicator", sort=False):
        inside = (g["observed"] >= g["p10"]) & (g["observed"] <= g["p90"])
        model, naive = mdape(g["p50"], g["observed"]), mdape(g["naive"], g["observed"])
        out.append({"indicator": name, "n": len(g), "years": ",".join(map(str, g["year"])),
                    "coverage80": float(inside.mean()), "mdape_model": model, "mdape_naive": naive,
                    "model_beats_naive": bool(model < naive)})
    return pd.DataFrame(out, columns=SCORE_COLUMNS)


def backtest(spec: str | Path, until: int, out: str | Path | None = None, *, workers=1,
             progress: bool = False, method: str | None = None) -> tuple[Calibrated, pd.DataFrame, pd.DataFrame]:
    """Calibrate on observations up to ``until``; return the fit, the forecast table and the scores."""
    full = load_calibration(spec)
    if not full.scenario.base_year < until < full.scenario.end_year:
        raise InputError(f"--until {until} must lie inside the run {full.scenario.base_year + 1}-{full.scenario.end_year - 1}",
                         file=str(full.file))
    cal = full.restricted(until)
    # checked before the fit: a forecast with nothing to score it against is not worth its runs
    if not any(later and not past.empty for _, later, past in
               (_held_out(full, name, until) for name in dict.fromkeys(o.indicator for o in full.spec.observed))):
        raise InputError(f"no observation of the spec's indicators after {until} to score the forecast against",
                         file=str(full.file), field="observed")
    result = calibrate(cal, out, workers=workers, progress=progress, method=method)
    table = forecast_table(full, result.simulated, until)
    return result, table, score(table)
