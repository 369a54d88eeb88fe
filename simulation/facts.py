"""Stylized facts of firm dynamics, measured on the firm panel and held against published values.

This is the model check a researcher attaches to a policy paper: does the simulated population
look like real firm populations? Each fact is measured on the panel of several replications
(see :mod:`simulation.panel`) and set beside its published value and an acceptance range.

- size: the upper tail of the 规上 revenue distribution is Zipf-like, P(S > s) ∝ s^-α with
  α ≈ 1.06 (Axtell 2001, Science 293:1818);
- growth: yearly log growth rates are tent-shaped (Laplace: kurtosis 6; Stanley et al. 1996,
  Nature 379:804; Bottazzi & Secchi 2006) and their s.d. falls with size as S^-β, β ≈ 0.15–0.20
  (Amaral et al. 1997: 0.20 ± 0.03 on sales);
- small and young survivors grow at least as fast as large and old ones (Evans 1987; Hall 1987;
  Haltiwanger, Jarmin & Miranda 2013), in mean log growth; in revenue, firms above the 规上 line
  grow alike whatever their size (no size premium in level growth at a given age: Haltiwanger,
  Jarmin & Miranda 2013; Gibrat's law among larger firms: Hall 1987), so volatility, which lowers
  a small firm's median growth, adds nothing to its mean;
- exit falls with age at a given size, and with size (Dunne, Roberts & Samuelson 1989);
- no density gap at the 2,000万 statistical line;
- the spread of the region's aggregate growth across replications is of the order of its observed
  year-to-year volatility, not only granular noise;
- the dispersion of log size is stable over the run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

if TYPE_CHECKING:
    from .scenario import Scenario

THRESHOLD = 2000.0  # 万元: the 规上 line


@dataclass(frozen=True)
class Fact:
    name: str
    label: str  # Chinese label for tables and figures
    published: str  # the published value, as quoted
    low: float  # acceptance range for the model's value
    high: float
    source: str


FACTS = [
    Fact("tail_exponent", "规上企业规模分布尾部指数 α", "1.06 (s.e. 0.05)", 0.8, 1.4,
         "Axtell 2001, Science 293:1818 (US firms); Zipf's law"),
    Fact("growth_kurtosis", "年增长率峰度 (按规模标准化)", "6 (Laplace)", 4.0, 9.0,
         "Stanley et al. 1996, Nature 379:804; Bottazzi & Secchi 2006: tent-shaped growth rates"),
    Fact("volatility_size_beta", "增长波动随规模下降的弹性 β", "0.15-0.20 (0.20 ± 0.03 on sales)", 0.1, 0.3,
         "Stanley et al. 1996; Amaral et al. 1997, J. Phys. I France 7:621"),
    Fact("growth_small_minus_large", "最小与最大十分位存活企业增速差 (百分点)", ">= 0", 0.0, np.inf,
         "Evans 1987, J. Ind. Econ. 35:567; Hall 1987, J. Ind. Econ. 35:583"),
    Fact("growth_young_minus_old", "年轻(<=2年)与老(>=20年)存活企业增速差 (百分点)", ">= 0", 0.0, np.inf,
         "Evans 1987; Haltiwanger, Jarmin & Miranda 2013, REStat 95:347"),
    Fact("growth_level_gap_above_line", "规上小(2000万-5000万)与大(2亿以上)存活企业营收增速差 (百分点)",
         "about 0 (no size premium in level growth)", -3.0, 3.0,
         "Haltiwanger, Jarmin & Miranda 2013, REStat 95:347 (no size-growth relation at a given age in "
         "level growth rates); Hall 1987 (Gibrat's law accepted for larger firms); the range leaves room "
         "for the younger age of the smaller firms. Revenue-weighted, so a volatility premium shows here, "
         "not in mean log growth"),
    Fact("exit_young_over_old", "同规模下年轻(<=3年)与老(>=10年)企业退出率之比", "> 1", 1.0, np.inf,
         "Dunne, Roberts & Samuelson 1989, QJE 104:671"),
    Fact("exit_small_over_large", "最小与最大五分位企业退出率之比", "> 1", 1.0, np.inf,
         "Dunne, Roberts & Samuelson 1989"),
    Fact("density_ratio_at_line", "规上线两侧企业密度比 [1500,2000)/[2000,2500)", "smooth: 1.58-1.85", 1.0, 2.5,
         "no gap at a statistical line: a Pareto density with α 0.8-1.4 gives 1.58-1.85; "
         "a gap or a pile-up at the line shows as a ratio far outside 1.0-2.5"),
    Fact("dispersion_drift", "对数规模标准差期末/期初", "stable: about 1", 0.85, 1.15,
         "a stationary size distribution (Axtell 2001)"),
]


def tail_exponent(revenue: np.ndarray, top: float = 0.2) -> float:
    """Maximum-likelihood (Hill) estimate of the Pareto index of the top ``top`` share of firms."""
    x = np.sort(np.asarray(revenue, dtype=float))[::-1]
    k = max(int(len(x) * top), 10)
    if len(x) <= k:
        return np.nan
    return float(k / np.sum(np.log(x[:k] / x[k])))


def growth_panel(panel: pd.DataFrame) -> pd.DataFrame:
    """Yearly log growth of firms present, and not exiting, in two consecutive years, with their
    size and age at the start of the year and whether they exited during it. A firm's first year
    is taken at its yearly rate (``revenue_full_year``, where the panel has it): a plant that opened
    in July would otherwise grow by its missing half year."""
    keys = ["replication", "firm"] if "replication" in panel else ["firm"]
    size = size_column(panel)
    start = panel.loc[~panel["exited"], [*keys, "year", size, "age"]].rename(columns={size: "revenue"})
    nxt = panel[[*keys, "year", "revenue", "exited"]].assign(year=lambda d: d["year"] - 1)
    nxt = nxt.rename(columns={"revenue": "revenue_next", "exited": "exited_next"})
    joined = start.merge(nxt, on=[*keys, "year"], how="inner")
    joined = joined[joined["revenue"] > 0]
    joined["log_growth"] = np.log(joined["revenue_next"].clip(lower=1e-9) / joined["revenue"])
    return joined


def volatility_by_size(survivors: pd.DataFrame, size_bin: pd.Series) -> tuple[pd.Series, pd.Series, float]:
    """Per size bin, the mean log size and the s.d. of log growth, and β, the slope of log s.d. on
    log size, negated (growth volatility falls as size^-β): what the table reports and the figure draws."""
    sd = survivors.groupby(size_bin)["log_growth"].std()
    centre = np.log(survivors["revenue"]).groupby(size_bin).mean()
    return centre, sd, float(-np.polyfit(centre, np.log(sd), 1)[0])


def level_growth(survivors: pd.DataFrame, low: float, high: float) -> float:
    """Revenue growth, Σ next year / Σ this year, of the survivors of revenue in [low, high) 万元."""
    group = survivors[(survivors["revenue"] >= low) & (survivors["revenue"] < high)]
    total = group["revenue"].sum()
    return float(group["revenue_next"].sum() / total - 1.0) if total > 0 else np.nan


def measure_facts(panel: pd.DataFrame, base_year: int, end_year: int,
                  lines: Mapping[int, float] | None = None) -> dict[str, float]:
    """Each fact's model value from a firm panel (one or several replications). ``lines``: the
    2,000万 line of each year in the base-year prices the panel's revenue is in (the line is in
    current prices: :func:`statistical_lines`); without it, 2,000万 in every year."""
    pairs = growth_panel(panel)
    survivors = pairs[~pairs["exited_next"]]
    values: dict[str, float] = {}
    end = panel[(panel["year"] == end_year) & ~panel["exited"] & panel["above_scale"]]
    reps = end.groupby("replication") if "replication" in end else [(0, end)]
    values["tail_exponent"] = float(np.nanmedian([tail_exponent(g["revenue"]) for _, g in reps]))

    size_bin = pd.qcut(np.log(survivors["revenue"]), 10, labels=False, duplicates="drop")
    by_size = survivors.groupby(size_bin)["log_growth"]
    values["volatility_size_beta"] = volatility_by_size(survivors, size_bin)[2]
    z = (survivors["log_growth"] - by_size.transform("mean")) / by_size.transform("std")
    values["growth_kurtosis"] = float(stats.kurtosis(z, fisher=False))
    mean_growth = by_size.mean()
    values["growth_small_minus_large"] = 100 * float(mean_growth.iloc[0] - mean_growth.iloc[-1])
    values["growth_level_gap_above_line"] = 100 * (level_growth(survivors, 2000.0, 5000.0)
                                                   - level_growth(survivors, 20000.0, np.inf))
    young = survivors.loc[survivors["age"] <= 2, "log_growth"].mean()
    old = survivors.loc[survivors["age"] >= 20, "log_growth"].mean()
    values["growth_young_minus_old"] = 100 * float(young - old)

    quintile = pd.qcut(np.log(pairs["revenue"]), 5, labels=False, duplicates="drop")
    exit_rate = pairs.groupby(quintile)["exited_next"].mean()
    values["exit_small_over_large"] = float(exit_rate.iloc[0] / max(exit_rate.iloc[-1], 1e-9))
    young_exit = pairs[pairs["age"] <= 3].groupby(quintile)["exited_next"].mean()
    old_exit = pairs[pairs["age"] >= 10].groupby(quintile)["exited_next"].mean()
    both = young_exit.index.intersection(old_exit.index)
    ratios = young_exit[both] / old_exit[both].clip(lower=1e-9)
    values["exit_young_over_old"] = float(np.median(ratios)) if len(ratios) else np.nan

    live = panel[~panel["exited"]]
    scaled = at_the_years_line(live, lines)
    near = scaled[(live["year"] > base_year) & (scaled >= 1500) & (scaled < 2500)]
    below, above = (near < THRESHOLD).sum(), (near >= THRESHOLD).sum()
    values["density_ratio_at_line"] = float(below / max(above, 1))
    size = size_column(live)
    sd_log = live[live[size] > 0].groupby("year")[size].apply(lambda r: np.log(r).std())
    values["dispersion_drift"] = float(sd_log.get(end_year, np.nan) / sd_log.get(base_year, np.nan))
    return values


def size_column(panel: pd.DataFrame) -> str:
    """The column of a firm's size: its yearly rate (``revenue_full_year``), where the panel has it,
    as a plant or a birth of the year reports part of a year; else the year's revenue (an older panel)."""
    return "revenue_full_year" if "revenue_full_year" in panel else "revenue"


def at_the_years_line(panel: pd.DataFrame, lines: Mapping[int, float] | None) -> pd.Series:
    """Each firm-year's revenue against its year's line, scaled so that the line is 2,000万: the
    revenue at the year's prices where ``lines`` (:func:`statistical_lines`) holds the line in
    base-year prices; the revenue as it is without ``lines``."""
    line = panel["year"].map(dict(lines)).fillna(THRESHOLD) if lines else THRESHOLD
    return panel["revenue"] / line * THRESHOLD


def statistical_lines(scenario: Scenario) -> dict[int, float]:
    """The 2,000万 line of each of ``scenario``'s years (base year included) in base-year prices."""
    from .processes.statistics import line_in_base_prices

    return {year: line_in_base_prices(scenario.parameters, year, scenario.price_level(year))
            for year in range(scenario.base_year, scenario.end_year + 1)}


def standard_errors(panel: pd.DataFrame, base_year: int, end_year: int,
                    lines: Mapping[int, float] | None = None) -> dict[str, float]:
    """Each fact's Monte Carlo standard error: the s.d. of its value across the panel's
    replications over √(replications) (NaN with fewer than two, or where a replication's panel is
    too small to give a value). The pooled value is near the mean of the replications' values, so
    its error shrinks with them; one pass over the panel, as the pooled measure."""
    if "replication" not in panel or panel["replication"].nunique() < 2:
        return {f.name: np.nan for f in FACTS}
    each = pd.DataFrame([measure_facts(group, base_year, end_year, lines)
                         for _, group in panel.groupby("replication")])
    each = each.replace([np.inf, -np.inf], np.nan)
    return {f.name: float(each[f.name].std(ddof=1) / np.sqrt(each[f.name].count()))
            if each[f.name].count() >= 2 else np.nan for f in FACTS}


def verdict(value: float, low: float, high: float, se: float) -> str:
    """``holds`` (in the range), ``within error`` (outside it by no more than two Monte Carlo
    standard errors: more replications would tell) or ``fails``."""
    if low <= value <= high:
        return "holds"
    distance = low - value if value < low else value - high
    return "within error" if se == se and distance <= 2.0 * se else "fails"


def facts_table(panel: pd.DataFrame, base_year: int, end_year: int,
                lines: Mapping[int, float] | None = None) -> pd.DataFrame:
    """One row per fact: model value and its Monte Carlo standard error, published value, acceptance
    range, whether the value is in it (``holds``) and the verdict with its error (:func:`verdict`), source."""
    values = measure_facts(panel, base_year, end_year, lines)
    errors = standard_errors(panel, base_year, end_year, lines)
    rows = [{"fact": f.name, "label": f.label, "model": values[f.name], "se": errors[f.name], "published": f.published,
             "low": f.low, "high": f.high, "holds": bool(f.low <= values[f.name] <= f.high),
             "verdict": verdict(values[f.name], f.low, f.high, errors[f.name]), "source": f.source}
            for f in FACTS]
    return pd.DataFrame(rows)


def aggregate_growth_spread(indicators: pd.DataFrame, observed_sd: float | None) -> dict[str, float]:
    """The s.d. across replications of 规上 value-added growth (pp, median over years) beside the
    region's observed year-to-year s.d."""
    growth = indicators[indicators["indicator"] == "value_added_above_scale_growth"].dropna(subset=["value"])
    spread = float(growth.groupby("year")["value"].std().median()) if len(growth) else np.nan
    return {"model_sd": spread, "observed_sd": np.nan if observed_sd is None else observed_sd}


def observed_growth_sd(log_growth: pd.Series) -> float | None:
    """S.d. (pp) of a region's observed yearly growth, from its series of log growth
    (:func:`simulation.calibration.shocks.growth_series`, the series the common shock is fitted to)."""
    return float(100 * np.expm1(log_growth).std(ddof=1)) if len(log_growth) >= 3 else None
