"""Target attainment: how likely each official target is met, over replications.

A target reads one indicator as its ``level`` in a year, its ``cumulative`` sum over the years
after ``since`` (a document's "[]" values), or its ``cagr`` from ``since`` (年均增速, %).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from .errors import InputError, nearest
from .indicators import INDICATORS, SET_BY_INPUT, is_money
from .scenario import Scenario, Target

OPS: dict[str, Callable[[Any, Any], Any]] = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt, "==": np.isclose}

# --- references: one way to name an indicator-year or a target in every command ------------------

REFERENCE_FORM = "NAME@YEAR"  # NAME: an indicator (tax_per_mu) or a target's wording (规上工业亩均税收)
_REFERENCE = re.compile(r"^\s*(?P<name>.+?)\s*[@:]\s*(?P<year>\d{4})\s*$")


def parse_reference(text: str, *, field: str | None = None, file: str | None = None) -> tuple[str, int]:
    """``NAME@YEAR`` → (name, year); ``NAME:YEAR`` (the older form) is read the same."""
    m = _REFERENCE.match(str(text))
    if not m:
        raise InputError(f"write {REFERENCE_FORM} (e.g. tax_per_mu@2025), not {text!r}", file=file, field=field)
    return m["name"], int(m["year"])


def reference(name: str, year: int) -> str:
    """The canonical reference string."""
    return f"{name}@{year}"


def unknown_indicator(name: str, *, field: str | None = None, file: str | None = None) -> InputError:
    """The error for an indicator name that is not declared, with the nearest declared ones."""
    return InputError(f"unknown indicator {name!r}{nearest(name, INDICATORS)} (upgrade-sim indicators lists them)",
                      file=file, field=field)


COLUMNS = ["name", "indicator", "label", "year", "op", "target", "unit", "measure", "since", "basis", "theme",
           "p_met", "median", "p10", "p90", "modelled", "source", "reason", "fixed", "fixed_by", "rationed"]

RATIONED = "energy_rationed"  # the indicator of 有序用电: use cut under the 能耗双控 cap
ENERGY_USED = "energy_used"
RATIONED_FROM = 0.005  # a cut of this share of the year's energy use counts (rounding-size cuts do not)
# the measures that rationed output lowers: output itself, output per 亩, per worker and in tax, and
# investment (a share of value added); not ratios of output to output, nor counts of projects
RATIONED_MEASURES = {"output_above_scale", "value_added_above_scale", "value_added_above_scale_growth",
                     "value_added_below_scale", "value_added_below_scale_growth", "industrial_value_added",
                     "industrial_value_added_growth", "tax_per_mu", "value_added_per_mu", "value_added_per_mu_growth",
                     "labour_productivity", "labour_productivity_growth", "manufacturing_investment",
                     "manufacturing_investment_growth", "high_tech_value_added"}
MOSTLY_RATIONED = 0.5  # from this share of replications a target's P(met) is said to read the cap


def target_values(wide: pd.DataFrame, target: Target, scenario: Scenario) -> pd.Series:
    """The value each replication reaches on ``target``'s measure.

    ``wide`` has one row per replication and one column per year, for the target's indicator, at
    constant base-year prices; it is judged on the target's price basis (:func:`price_basis`).
    """
    wide = on_basis(wide, price_basis(target), scenario)
    if target.measure == "level":
        return wide[target.year]
    if target.measure == "cumulative":
        years = [y for y in wide.columns if target.since < y <= target.year]
        return wide[years].sum(axis=1)
    assert target.since is not None  # Target._consistent: cumulative and cagr need since
    span = target.year - target.since
    ratio = wide[target.year] / wide[target.since]
    return 100.0 * (np.sign(ratio) * np.abs(ratio) ** (1.0 / span) - 1.0)


def on_basis(wide: pd.DataFrame, basis: str, scenario: Scenario) -> pd.DataFrame:
    """``wide`` (constant base-year prices, one column per year) on ``basis``: at current prices,
    each year times the ``scenario``'s producer-price level."""
    if basis != "current":
        return wide
    return wide * np.array([scenario.price_level(int(y)) for y in wide.columns])


def money_at_current_prices(indicators: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """A long ``indicator, year, value`` frame with the money indicators (亿元, 万元/亩…) at current
    prices, as the documents state them, their targets are judged and the fan charts are drawn;
    rates, shares and counts as they are. For tables and figures that show levels beside targets."""
    money = indicators["indicator"].isin([name for name, ind in INDICATORS.items() if is_money(ind.unit)])
    if not money.any():
        return indicators
    levels = {year: scenario.price_level(int(year)) for year in indicators.loc[money, "year"].unique()}
    shown = indicators.copy()
    shown.loc[money, "value"] = indicators.loc[money, "value"] * indicators.loc[money, "year"].map(levels)
    return shown


def price_basis(target: Target) -> str:
    """The basis a target is judged on: its own, or :func:`default_basis`."""
    return target.basis if target.basis is not None else default_basis(target.indicator, target.measure)


def default_basis(indicator: str | None, measure: str) -> str:
    """Current prices for money levels and sums (亿元, 万元/亩…); constant prices for growth
    rates, shares and counts."""
    ind = INDICATORS.get(indicator) if indicator else None
    money = ind is not None and is_money(ind.unit)
    return "current" if money and measure != "cagr" else "constant"


def target_series(indicators: pd.DataFrame, target: Target, scenario: Scenario) -> pd.Series:
    """Per-replication values of ``target`` from a long ``replication, year, indicator, value`` frame."""
    rows = indicators[indicators["indicator"] == target.indicator]
    wide = rows.pivot(index="replication", columns="year", values="value")
    return target_values(wide, target, scenario)


def met(values: pd.Series | np.ndarray, target: Target) -> np.ndarray:
    """Whether each value meets the target (a missing value does not)."""
    values = np.asarray(values, dtype=float)
    return np.where(np.isfinite(values), OPS[target.op](values, target.value), False).astype(bool)


def fixed(values: pd.Series | np.ndarray) -> bool:
    """Whether a target's measure is the same in every replication (two or more): chance plays no
    part, so its P(met) of 0 or 1 reads back an input rather than measuring a likelihood."""
    values = np.asarray(values, dtype=float)
    return len(values) > 1 and bool(np.isfinite(values).all()) and values.min() == values.max()


def marked_fixed(row) -> bool:
    """Whether a row of a target table says its measure was the same in every replication (a folder
    written before this was recorded says nothing: no)."""
    return bool(getattr(row, "fixed", False) == True)  # noqa: E712  (a NumPy bool, or NaN where unknown)


def rationed_years(indicators: pd.DataFrame, scenario: Scenario) -> pd.Series | None:
    """Whether the 能耗双控 cap rationed output (有序用电: a cut of at least RATIONED_FROM of the year's
    energy use), by replication and simulated year; None without the rows."""
    rows = indicators[indicators["indicator"].isin([RATIONED, ENERGY_USED]) & (indicators["year"] > scenario.base_year)]
    wide = rows.pivot_table(index=["replication", "year"], columns="indicator", values="value")
    if wide.empty or set(wide.columns) != {RATIONED, ENERGY_USED}:
        return None
    return wide[RATIONED] >= RATIONED_FROM * wide[ENERGY_USED]


def rationed_share(cut: pd.Series | None, target: Target) -> float:
    """Share of replications rationed (``cut``, from :func:`rationed_years`) in some year up to the
    target's, for a measure that rationed output lowers (NaN for others, or without ``cut``)."""
    if cut is None or target.indicator not in RATIONED_MEASURES:
        return float("nan")
    up_to = cut[cut.index.get_level_values("year") <= target.year]
    return float(up_to.groupby(level="replication").any().mean()) if len(up_to) else float("nan")


def cap_cited(scenario: Scenario) -> bool:
    """Whether the scenario's 能耗双控 cap is cited (else an assumption, as in every shipped scenario)."""
    return scenario.levers.energy.cap.source is not None


def mostly_rationed(row) -> bool:
    """Whether a row of a target table says the cap rationed output in most replications, where the
    P(met) is neither 0 nor 1 (a sure outcome is not the cap's; a folder written before this was
    recorded says nothing: no)."""
    share, p = getattr(row, "rationed", float("nan")), getattr(row, "p_met", float("nan"))
    return bool(share == share and share >= MOSTLY_RATIONED and 0.0 < p < 1.0)


def evaluate_targets(indicators: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """One row per target: attainment probability and the 10/50/90% quantiles of its measure."""
    rows = []
    cut = rationed_years(indicators, scenario)
    for target in scenario.targets:
        ind = INDICATORS.get(target.indicator) if target.indicator else None
        row = {
            "name": target.name, "indicator": target.indicator, "label": ind.label if ind else target.name,
            "year": target.year, "op": target.op, "target": target.value, "unit": target.unit or (ind.unit if ind else None),
            "measure": target.measure, "since": target.since, "basis": price_basis(target) if target.modelled else None,
            "theme": target.theme, "modelled": target.modelled,
            "source": target.source, "reason": target.reason,
            "p_met": np.nan, "median": np.nan, "p10": np.nan, "p90": np.nan, "fixed": False, "fixed_by": None,
            "rationed": np.nan,
        }
        if target.modelled:
            values = target_series(indicators, target, scenario)
            row["p_met"] = float(met(values, target).mean())
            row["p10"], row["median"], row["p90"] = np.nanquantile(values, [0.1, 0.5, 0.9]) if values.notna().any() else (np.nan,) * 3
            row["fixed"] = fixed(values)
            row["fixed_by"] = SET_BY_INPUT.get(target.indicator or "") if row["fixed"] else None
            row["rationed"] = rationed_share(cut, target)
        rows.append(row)
    return pd.DataFrame(rows, columns=COLUMNS)


COVERAGE_COLUMNS = ["theme", "name", "indicator", "label", "year", "op", "target", "unit", "measure", "since",
                    "modelled", "reason", "source"]


def coverage(scenario: Scenario) -> pd.DataFrame:
    """Every target of ``scenario`` with whether the model evaluates it, grouped by theme.

    The share of a document's targets that the model can speak to is part of its answer.
    """
    rows = []
    for target in scenario.targets:
        ind = INDICATORS.get(target.indicator) if target.indicator else None
        rows.append({
            "theme": target.theme, "name": target.name, "indicator": target.indicator,
            "label": ind.label if ind else target.name, "year": target.year, "op": target.op,
            "target": target.value, "unit": target.unit or (ind.unit if ind else None), "measure": target.measure,
            "since": target.since, "modelled": target.modelled, "reason": target.reason, "source": target.source,
        })
    table = pd.DataFrame(rows, columns=COVERAGE_COLUMNS)
    return table.sort_values(["modelled", "theme", "year"], ascending=[False, True, True], kind="stable",
                             ignore_index=True)
