"""Model-discrepancy widening of the model's bands, estimated out of sample (leave one region out).

The refit and its parameter draws give the model's own uncertainty; what they miss (a national
batch that shrinks, a district that stops growing) is discrepancy between model and world. It is
estimated in the manner of split-conformal calibration: for every model point q, the ratio

    z_q = |y_q − median_q| / (band edge − median_q)      (the edge on the observation's side)

says how far the band would have had to stretch to reach the observation. A point p of region r
gets the factor s = the conformal ⌈(n + 1)·L⌉-th smallest z over the n points of the **other**
regions (L the band's level); its band is stretched about its median by s (counts and levels clipped at 0). The point itself, and
every point of its region, never enter its own factor. The rows are method ``model_calibrated``
(labelled "calibrated" wherever shown); the raw ``model`` rows stay beside them. CRPS and PIT
are left blank for calibrated rows (they have bands, not an ensemble).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .scores import BANDS, interval_score

CALIBRATED = "model_calibrated"
MAX_RATIO = 1e6  # a band of zero width reached only by an exact hit


def stretch_needed(observed: float, median: float, lo: float, hi: float) -> float:
    """z: how many band half-widths (on the observation's side) the observation lies from the median."""
    gap = observed - median
    if gap == 0:
        return 0.0
    width = (hi - median) if gap > 0 else (median - lo)
    return MAX_RATIO if width <= 0 else min(abs(gap) / width, MAX_RATIO)


def conformal_factor(ratios: np.ndarray, level: int) -> float:
    """The ⌈(n + 1)·L⌉-th smallest ratio (∞ when n is too small, as split conformal prescribes)."""
    ratios = np.sort(np.asarray(ratios, float))
    n = len(ratios)
    rank = math.ceil((n + 1) * level / 100)
    return float(ratios[rank - 1]) if 0 < rank <= n else math.inf


def calibrate(skill: pd.DataFrame, group: str = "region") -> pd.DataFrame:
    """``model_calibrated`` rows for every banded model row, each from the other ``group`` values."""
    model = skill[(skill["method"] == "model") & skill["lo80"].notna()].copy()
    if model[group].nunique() < 2:
        return skill.iloc[0:0]
    ratios = {b: np.array([stretch_needed(r.observed, r.median, getattr(r, f"lo{b}"), getattr(r, f"hi{b}"))
                           for r in model.itertuples()]) for b in BANDS}
    rows = []
    for value in model[group].unique():
        mine, others = (model[group] == value).to_numpy(), (model[group] != value).to_numpy()
        factors = {b: conformal_factor(ratios[b][others], b) for b in BANDS}
        for r in model[mine].to_dict("records"):
            out = {**r, "method": CALIBRATED, "crps": np.nan, "pit": np.nan}
            for b in BANDS:
                s = factors[b]
                lo = r["median"] - s * (r["median"] - r[f"lo{b}"]) if math.isfinite(s) else -math.inf
                if r["unit"] != "%":  # counts and money levels are not negative
                    lo = max(lo, 0.0)
                hi = r["median"] + s * (r[f"hi{b}"] - r["median"]) if math.isfinite(s) else math.inf
                out.update({f"lo{b}": lo, f"hi{b}": hi, f"covered{b}": bool(lo <= r["observed"] <= hi),
                            f"is{b}": interval_score(lo, hi, r["observed"], 1 - b / 100)})
            out["anchor"] = f"{r['anchor']}; stretch {factors[80]:.3g} (80%)"
            rows.append(out)
    return pd.DataFrame(rows, columns=skill.columns)
