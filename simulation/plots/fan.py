"""Fan charts: an indicator's median and 50/80/95% bands over the years, observed history, targets marked."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..indicators import INDICATORS
from ..targets import default_basis, met, on_basis, price_basis, target_values
from .fonts import GREY, OKABE_ITO
from .labels import indicator_label, measure_suffix, op_symbol, price_suffix, text, unit_label

# (lower quantile, upper quantile, share of the line colour mixed with white): the wider the band,
# the lighter, so the bands stay apart in greyscale.
BANDS = ((0.025, 0.975, 0.22), (0.10, 0.90, 0.42), (0.25, 0.75, 0.68))
LINE = OKABE_ITO["blue"]
TARGET = OKABE_ITO["vermillion"]


def fan_chart(indicators: pd.DataFrame, targets, indicator: str, *, scenario, measure: str = "level",
              since: int | None = None, history: pd.DataFrame | None = None, lang: str = "zh", ax=None):
    """Draw ``indicator`` (or its cumulative sum or CAGR since ``since``) over the replications.

    Parameters
    ----------
    indicators : DataFrame
        Long ``replication, year, indicator, value`` rows of a run (constant base-year prices).
    targets : sequence of :class:`~simulation.scenario.Target`
        Targets on this indicator and measure, all on one price basis; each is drawn at its year
        with its attainment probability beside it, judged as the target table judges it.
    indicator : str
        An indicator name from :data:`~simulation.indicators.INDICATORS`.
    scenario : :class:`~simulation.scenario.Scenario`
        The run's scenario: its price levels put a money indicator on its targets' basis
        (current prices by default, as the documents and the observed series state them).
    measure, since : str, int
        ``"level"``, ``"cumulative"`` (sum over the years after ``since``) or ``"cagr"`` (%/年 from ``since``).
    history : DataFrame, optional
        Observed ``year, value`` of the indicator (see :func:`load_history`); drawn for levels only.
    lang : {"zh", "en"}
        Language of the labels.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(layout="constrained")
    wide = indicators[indicators["indicator"] == indicator].pivot(index="replication", columns="year", values="value")
    bases = {price_basis(t) for t in targets} or {default_basis(indicator, measure)}
    if len(bases) > 1:
        raise ValueError(f"{indicator}: targets on more than one price basis share a fan chart")
    basis = bases.pop()
    series = measured(on_basis(wide, basis, scenario), measure, since)
    ind = INDICATORS.get(indicator)
    if measure == "level" and ind is not None and ind.flow:
        # a flow has no amount in the base year (the run starts after it): its 0 there is not a value
        series = series.loc[:, series.columns > scenario.base_year]
    years = series.columns.to_numpy()
    for lo, hi, mix in BANDS:
        share = round(100 * (hi - lo))
        ax.fill_between(years, series.quantile(lo), series.quantile(hi), color=tint(LINE, mix), linewidth=0,
                        label=text("band", lang, p=share))
    ax.plot(years, series.median(), color=LINE, linewidth=1.8, label=text("median", lang))
    first = years.min() if len(years) else 0
    if history is not None and measure == "level" and len(history):
        ax.plot(history["year"], history["value"], linestyle="none", marker="o", markersize=4.5,
                markerfacecolor="white", markeredgecolor="black", markeredgewidth=1.1, label=text("observed", lang), zorder=6)
        first = min(first, int(history["year"].min()))
    _mark_targets(ax, wide, targets, scenario, last=int(years.max()) if len(years) else 0, lang=lang)
    info = INDICATORS[indicator]
    ax.set_title(indicator_label(indicator, lang) + measure_suffix(measure, since, lang), loc="left")
    ax.set_xlabel(text("year", lang))
    ax.set_ylabel("%" if measure == "cagr" else unit_label(info.unit, lang) + price_suffix(info.unit, basis, scenario.base_year, lang))
    ax.set_xticks(range(int(first), int(years.max()) + 1) if len(years) else [])
    ax.set_xlim(first - 0.4, (years.max() if len(years) else 0) + 0.6)
    ax.margins(y=0.12)  # room for a target's label above or below the fan
    ax.grid(axis="y", alpha=0.35)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, handlelength=1.6)
    return ax


def _mark_targets(ax, wide: pd.DataFrame, targets, scenario, *, last: int, lang: str) -> None:
    for i, target in enumerate(targets):
        p = float(met(target_values(wide, target, scenario), target).mean())
        ax.plot([target.year], [target.value], marker="D", markersize=7, color=TARGET, markeredgecolor="black",
                markeredgewidth=0.8, linestyle="none", zorder=7, label=text("target", lang) if i == 0 else None)
        # the last year's label goes left of its marker so it stays inside the axes
        left = target.year >= last
        ax.annotate(f"{op_symbol(target.op)}{target.value:g}\nP={p:.0%}", (target.year, target.value),
                    textcoords="offset points", xytext=(-8 if left else 8, 0), ha="right" if left else "left",
                    va="center", fontsize=9, color="black", zorder=8,
                    bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": GREY, "linewidth": 0.6, "alpha": 0.9})


def measured(wide: pd.DataFrame, measure: str, since: int | None) -> pd.DataFrame:
    """The replications' series on a target's measure: the level, the running sum or the CAGR (%)."""
    if measure == "cumulative":
        return wide.loc[:, [c for c in wide.columns if c > since]].cumsum(axis=1)
    if measure == "cagr":
        later = [c for c in wide.columns if c > since]
        span = np.array(later) - since
        ratio = wide[later].div(wide[since], axis=0)
        return 100.0 * (np.sign(ratio) * np.abs(ratio) ** (1.0 / span) - 1.0)
    return wide


def tint(colour: str, share: float) -> tuple[float, float, float]:
    """``colour`` mixed with white: ``share`` of the colour, the rest white."""
    from matplotlib.colors import to_rgb

    r, g, b = (share * c + (1.0 - share) for c in to_rgb(colour))
    return r, g, b


def region_key(scenario) -> list[str]:
    """Candidate file stems for a scenario's region: "Zhenhai district, Ningbo" and "zhenhai_2021_2025" → zhenhai."""
    keys = [scenario.region_en.split()[0].strip(",").lower(), scenario.name.split("_")[0]]
    return list(dict.fromkeys(k for k in keys if k))


def default_data_dir() -> Path | None:
    """``calibration/data`` in the working folder, else beside the package (a source checkout)."""
    for root in (Path.cwd(), Path(__file__).resolve().parents[2]):
        if (root / "calibration" / "data").is_dir():
            return root / "calibration" / "data"
    return None


def load_history(scenario, data_dir: str | Path | None = None) -> pd.DataFrame:
    """Observed ``year, indicator, value, unit, source`` rows for the scenario's region.

    Rows are taken from ``<data_dir>/<region>.csv``; only indicators the model declares are kept
    (observed series under other names, such as Jan–Nov totals, are not comparable). An empty
    frame when there is no such file.
    """
    columns = ["year", "indicator", "value", "unit", "source"]
    data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
    if data_dir is None:
        return pd.DataFrame(columns=columns)
    for key in region_key(scenario):
        path = data_dir / f"{key}.csv"
        if path.is_file():
            frame = pd.read_csv(path)
            frame = frame[frame["indicator"].isin(INDICATORS.keys())]
            return frame[columns].sort_values(["indicator", "year"]).reset_index(drop=True)
    return pd.DataFrame(columns=columns)
