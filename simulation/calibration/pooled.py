"""Behaviour parameters pooled across the regions: a region with thin data borrows from the others.

The regions' calibrations (``calibration/fitted/<region>.yaml``) each estimate some parameters from
a handful of observed years. Parameters that describe *behaviour* under a common rule (the chance an
eligible 专精特新 firm passes the national 小巨人 review, or an eligible champion candidate the
单项冠军 review) are shared across the regions with regional deviations; *levels* (trend growth,
base-year stocks) stay regional and are never pooled.

Two-stage random effects: each region's estimate is put on the logit scale (delta-method variance),
the DerSimonian-Laird moments give the shared mean μ and the between-region variance τ²
(:func:`simulation.calibration.shocks.pool`), each identified estimate is shrunk towards μ by
v_i / (v_i + τ²), and a region without an identified estimate gets μ with the predictive variance
τ² + s.e.(μ)². With two or three regions τ² is itself very uncertain (DerSimonian-Laird is known to
understate it), so the predictive interval is a lower bound of the real uncertainty; the table says
how many regions each value rests on.

:func:`shock_persistence` estimates the common shock's year-to-year persistence from the observed
growth series the same way the shock's s.d. is estimated (:mod:`.shocks`).
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from scipy.special import expit

from ..io import write_text
from ..loader import read_yaml
from .calibrate import _nest
from .shocks import REGIONS, growth_series, pool

# behaviour parameters shared across regions, on the probability scale (pooled as logits)
BEHAVIOUR = ("parameters.certification.little_giant.success", "parameters.certification.single_champion.success")
Z80 = 1.281552
EDGE = 1e-3  # estimates at 0 or 1 are moved this far inside before the logit
MIN_REGIONS = 2  # identified estimates a parameter needs before it is pooled

ESTIMATE_COLUMNS = ["region", "path", "name", "value", "se", "identified"]
POOLED_COLUMNS = ["path", "region", "own", "own_se", "pooled", "lower80", "upper80", "shrinkage", "basis", "regions"]

_IDENTIFIED = re.compile(r"(?P<name>[\w.]+) = (?P<value>[-+\d.eE]+) \(s\.e\. (?P<se>[-+\d.eEinfa]+); 95% interval")
_UNIDENTIFIED = re.compile(r"(?P<name>[\w.]+) = (?P<value>[-+\d.eE]+) \(not identified by the data")


def regional_estimates(fitted_dir: str | Path, paths: tuple[str, ...] = BEHAVIOUR) -> pd.DataFrame:
    """The calibrated value and s.e. of each of ``paths`` in every ``<region>.yaml`` of ``fitted_dir``.

    Read from the quantity's ``source``, which the calibration writes as
    ``name = value (s.e. se; 95% interval [lo, hi])`` or ``name = value (not identified …)``.
    """
    rows = []
    for file in sorted(Path(fitted_dir).glob("*.yaml")):
        data = read_yaml(file)
        for path in paths:
            node = _walk(data, path)
            if not isinstance(node, dict) or not str(node.get("source", "")).startswith("calibrated:"):
                continue
            rows.append({"region": file.stem, "path": path, **parse_estimate(str(node["source"]))})
    return pd.DataFrame(rows, columns=ESTIMATE_COLUMNS)


def parse_estimate(source: str) -> dict:
    """``name, value, se, identified`` from a calibrated quantity's ``source`` note."""
    found = _IDENTIFIED.search(source)
    if found:
        return {"name": found["name"], "value": float(found["value"]), "se": float(found["se"]), "identified": True}
    found = _UNIDENTIFIED.search(source)
    if found:
        return {"name": found["name"], "value": float(found["value"]), "se": math.nan, "identified": False}
    raise ValueError(f"not a calibration note: {source!r}")


def pool_parameters(estimates: pd.DataFrame, regions: tuple[str, ...] = REGIONS) -> pd.DataFrame:
    """Per behaviour parameter and region: own estimate, pooled value and its 80% interval.

    ``basis`` says what a region's pooled value rests on: ``shrunk`` (its own estimate moved towards
    the shared mean) or ``predictive`` (no identified estimate of its own: the shared distribution).
    The frame's ``attrs`` hold ``{path: (mu, mu_se, tau)}`` on the probability scale's logit.
    """
    rows, moments = [], {}
    for path, group in estimates.groupby("path", sort=False):
        usable = group[group["identified"] & (group["se"] > 0)]
        if len(usable) < MIN_REGIONS:
            continue  # one region says nothing about how regions differ
        p = usable["value"].to_numpy(float).clip(EDGE, 1 - EDGE)
        y = np.log(p / (1 - p))
        v = (usable["se"].to_numpy(float) / (p * (1 - p))) ** 2
        mu, mu_se, tau2 = pool(y, v)
        moments[path] = (mu, mu_se, math.sqrt(tau2))
        own = dict(zip(usable["region"], zip(y, v)))
        for region in regions:
            rows.append(_pooled_row(path, region, own.get(region), mu, mu_se, tau2, len(usable)))
    table = pd.DataFrame(rows, columns=POOLED_COLUMNS)
    table.attrs["moments"] = moments
    return table


def _pooled_row(path: str, region: str, own: tuple[float, float] | None, mu: float, mu_se: float, tau2: float,
                count: int) -> dict:
    if own is None:
        centre, var, shrink, basis = mu, tau2 + mu_se**2, 1.0, "predictive"
    else:
        yi, vi = own
        shrink = vi / (vi + tau2) if tau2 > 0 else 1.0
        centre, var, basis = mu + (1 - shrink) * (yi - mu), (1 - shrink) * vi + shrink**2 * mu_se**2, "shrunk"
    half = Z80 * math.sqrt(var)
    own_value = float(expit(own[0])) if own else math.nan
    own_se = math.sqrt(own[1]) * own_value * (1 - own_value) if own else math.nan
    return {"path": path, "region": region, "own": own_value, "own_se": own_se, "pooled": float(expit(centre)),
            "lower80": float(expit(centre - half)), "upper80": float(expit(centre + half)), "shrinkage": shrink,
            "basis": basis, "regions": count}


def pooled_scenario(table: pd.DataFrame, region: str, scenario_file: str | Path, out: str | Path) -> Path:
    """Write ``out``: a partial scenario extending ``scenario_file`` with ``region``'s pooled values."""
    out = Path(out)
    mapping: dict = {"extends": os.path.relpath(Path(scenario_file).resolve(), out.parent.resolve())}
    for row in table[table["region"] == region].itertuples():
        note = (f"pooled: {row.basis} from the calibrations of {row.regions} region(s) (calibration/fitted; "
                f"simulation.calibration.pooled, logit random effects); 80% interval "
                f"[{row.lower80:.3g}, {row.upper80:.3g}]")
        if row.basis == "shrunk":
            note += f"; own estimate {row.own:.3g} (s.e. {row.own_se:.3g}), shrinkage {row.shrinkage:.2f}"
        _nest(mapping, str(row.path).split("."), {"value": round(float(row.pooled), 4), "source": note})
    header = (f"# Pooled behaviour parameters for {region}: the regions' calibrations combined by partial pooling.\n"
              "# A partial scenario: run it directly, or name it in another scenario's extends:.\n")
    write_text(out, header + yaml.safe_dump(mapping, allow_unicode=True, sort_keys=False, width=140))
    return out


def shock_persistence(regions: tuple[str, ...] = REGIONS, data_dir: str | Path | None = None) -> dict:
    """Lag-1 autocorrelation of the regions' yearly growth around each region's own mean.

    Pooled over every pair of consecutive observed years (a correlation, so within [-1, 1]). With T
    years per region the within-region estimate is biased by about -(1 + ρ)/(T - 1) (Nickell 1981);
    ``corrected`` removes that at the mean T (clipped to [-1, 1]). ``lower90``/``upper90`` is the
    Fisher-z interval of ``rho`` (s.e. 1/√(pairs - 3)). Returns ``rho, corrected, lower90, upper90,
    pairs, years``.
    """
    xs, ys, lengths = [], [], []
    for region in regions:
        s = growth_series(region, data_dir)
        if len(s) < 3:
            continue
        dev = s - s.mean()
        pairs = [(dev[y - 1], dev[y]) for y in s.index if y - 1 in s.index]
        if pairs:
            xs += [a for a, _ in pairs]
            ys += [b for _, b in pairs]
            lengths.append(len(s))
    if len(xs) < 4:
        return {"rho": math.nan, "corrected": math.nan, "lower90": math.nan, "upper90": math.nan, "pairs": len(xs),
                "years": 0.0}
    x, y = np.array(xs), np.array(ys)
    rho = float(np.sum(x * y) / math.sqrt(np.sum(x * x) * np.sum(y * y)))
    t = float(np.mean(lengths))
    corrected = (rho + 1 / (t - 1)) / (1 - 1 / (t - 1)) if t > 2 else math.nan  # solves rho = r - (1 + r)/(T - 1)
    z, half = math.atanh(np.clip(rho, -0.999999, 0.999999)), 1.644854 / math.sqrt(len(x) - 3)
    return {"rho": rho, "corrected": float(np.clip(corrected, -1, 1)), "lower90": math.tanh(z - half),
            "upper90": math.tanh(z + half), "pairs": len(x), "years": t}


def _walk(data: dict, path: str):
    node = data
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


