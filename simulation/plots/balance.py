"""Land and energy balance: stocks, yearly supply and claims, use against the cap, the project queue.

Stocks and flows are replication means (they add up); use against the cap shows the median and
its 10–90% band, since the question there is how often use comes near the cap.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .fan import tint
from .fonts import OKABE_ITO
from .labels import indicator_label, text, unit_label

GREY_CLEARING = "#BBBBBB"  # land in clearing: neither held nor free
LAND_UP = ("land_supplied", "land_freed", "land_released_exits")
LAND_DOWN = ("land_granted_projects", "land_granted_expansion")
# the year's energy flows; the overrun (firms' use above their own quota that the pool could not cover)
# is how far the cap falls short where rationing starts late in the year
ENERGY_FLOWS = ("energy_freed", "energy_purchased", "energy_rationed", "energy_overrun")
_COLOUR = {
    "land_held": OKABE_ITO["blue"], "land_free": OKABE_ITO["yellow"], "land_clearing": GREY_CLEARING, "land_supplied": OKABE_ITO["sky"],
    "land_freed": OKABE_ITO["green"], "land_released_exits": OKABE_ITO["yellow"], "land_granted_projects": OKABE_ITO["orange"],
    "land_granted_expansion": OKABE_ITO["purple"], "energy_freed": OKABE_ITO["green"], "energy_purchased": OKABE_ITO["sky"],
    "energy_rationed": OKABE_ITO["vermillion"], "energy_overrun": OKABE_ITO["purple"], "projects_lost": OKABE_ITO["vermillion"],
}
_HATCH = {"land_released_exits": "..", "land_granted_expansion": "//", "energy_rationed": "xx", "energy_overrun": "\\\\",
          "land_free": ".."}


def means(indicators: pd.DataFrame, names) -> pd.DataFrame:
    """Replication mean of each indicator in ``names``: one row per year (the base year included)."""
    rows = indicators[indicators["indicator"].isin(names)]
    wide = rows.groupby(["year", "indicator"])["value"].mean().unstack("indicator")
    return wide.reindex(columns=list(names))


def _wide(indicators: pd.DataFrame, name: str) -> pd.DataFrame:
    rows = indicators[indicators["indicator"] == name]
    return rows.pivot(index="replication", columns="year", values="value")


def _axes(ax):
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(layout="constrained")
    return ax


def _finish(ax, years, title: str, unit: str, lang: str, *, legend_cols: int = 1) -> None:
    ax.set_title(title, loc="left")
    ax.set_xlabel(text("year", lang))
    ax.set_ylabel(unit)
    ax.set_xticks(years)
    ax.grid(axis="y", alpha=0.35)
    ax.set_axisbelow(True)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=legend_cols, handlelength=1.3, columnspacing=1.0)


def land_stock(indicators: pd.DataFrame, *, lang: str = "zh", ax=None):
    """Land held, in clearing and free, stacked, with the total (亩): they add up to it at every year-end."""
    ax = _axes(ax)
    stocks = ("land_held", "land_clearing", "land_free")
    wide = means(indicators, (*stocks, "land_total")).fillna(0.0)
    years = wide.index.to_numpy()
    ax.stackplot(years, wide[list(stocks)].T.to_numpy(), colors=[_COLOUR[k] for k in stocks],
                 hatch=[_HATCH.get(k, "") for k in stocks], edgecolor="black", linewidth=0.4,
                 labels=[indicator_label(k, lang) for k in stocks])
    ax.plot(years, wide["land_total"], color="black", linewidth=1.4, linestyle="--", label=indicator_label("land_total", lang))
    ax.set_ylim(0, float(wide["land_total"].max()) * 1.05)
    ax.set_xlim(years.min(), years.max())
    _finish(ax, years, text("land_stock", lang), unit_label("亩", lang), lang)
    return ax


def _diverging(ax, wide: pd.DataFrame, up, down, lang: str) -> None:
    years = wide.index.to_numpy()
    for sign, names in ((1, up), (-1, down)):
        bottom = np.zeros(len(years))
        for name in names:
            values = sign * wide[name].fillna(0.0).to_numpy()
            ax.bar(years, values, bottom=bottom, width=0.7, color=_COLOUR[name], hatch=_HATCH.get(name, ""),
                   edgecolor="black", linewidth=0.4, label=indicator_label(name, lang))
            bottom += values
    ax.axhline(0, color="black", linewidth=0.8)


def land_flows(indicators: pd.DataFrame, *, lang: str = "zh", ax=None):
    """Yearly land coming free (supply, remediation, exits) above zero and granted (projects, expansion) below."""
    ax = _axes(ax)
    wide = means(indicators, LAND_UP + LAND_DOWN)
    wide = wide[wide.index > wide.index.min()]  # flows start in the first simulated year
    _diverging(ax, wide, LAND_UP, LAND_DOWN, lang)
    _finish(ax, wide.index.to_numpy(), text("land_flows", lang), unit_label("亩", lang), lang)
    return ax


def energy_use(indicators: pd.DataFrame, *, lang: str = "zh", ax=None):
    """Energy used (median, 10–90% band) and quotas allocated (median) against the cap (万吨标准煤).

    Rationing starts when allocations reach the cap, which can be well before use does.
    """
    ax = _axes(ax)
    used = _wide(indicators, "energy_used")
    cap = means(indicators, ("energy_cap",))["energy_cap"]
    years = used.columns.to_numpy()
    colour = OKABE_ITO["blue"]
    ax.fill_between(years, used.quantile(0.1), used.quantile(0.9), color=tint(colour, 0.35), linewidth=0,
                    label=text("band", lang, p=80))
    ax.plot(years, used.median(), color=colour, linewidth=1.8, label=f"{indicator_label('energy_used', lang)} ({text('median', lang)})")
    allocated = _wide(indicators, "energy_allocated").median()
    ax.plot(allocated.index, allocated.to_numpy(), color=OKABE_ITO["green"], linewidth=1.6, linestyle="-.", zorder=4,
            label=f"{indicator_label('energy_allocated', lang)} ({text('median', lang)})")
    # the cap is a yearly quota, shown at the same year-end points as use
    ax.plot(cap.index, cap.to_numpy(), color=OKABE_ITO["vermillion"], linewidth=1.6, linestyle="--", marker="s",
            markersize=4, label=indicator_label("energy_cap", lang))
    ax.set_xlim(years.min(), years.max())
    _finish(ax, years, text("energy_use", lang), unit_label("万吨标准煤", lang), lang)
    return ax


def energy_flows(indicators: pd.DataFrame, *, lang: str = "zh", ax=None):
    """Yearly energy freed by remediation, bought from other regions, cut by rationing, and used above
    quota (万吨标准煤)."""
    ax = _axes(ax)
    wide = means(indicators, ENERGY_FLOWS)
    wide = wide[wide.index > wide.index.min()]
    years = wide.index.to_numpy()
    width = 0.8 / len(ENERGY_FLOWS)
    for i, name in enumerate(ENERGY_FLOWS):
        ax.bar(years + (i - (len(ENERGY_FLOWS) - 1) / 2) * width, wide[name].fillna(0.0), width=width, color=_COLOUR[name],
               hatch=_HATCH.get(name, ""), edgecolor="black", linewidth=0.4, label=indicator_label(name, lang))
    _finish(ax, years, text("energy_flows", lang), unit_label("万吨标准煤", lang), lang)
    return ax


def project_queue(indicators: pd.DataFrame, *, lang: str = "zh", ax=None):
    """Projects waiting for land or energy at year-end (median, 10–90%) and projects lost each year (mean)."""
    from matplotlib.ticker import MaxNLocator

    ax = _axes(ax)
    waiting = _wide(indicators, "projects_waiting")
    lost = means(indicators, ("projects_lost",))["projects_lost"]
    lost = lost[lost.index > lost.index.min()]
    years = waiting.columns.to_numpy()
    # the bars in front of the waiting projects' band (which would hide them), the median line in front of both
    ax.bar(lost.index, lost.to_numpy(), width=0.6, color=_COLOUR["projects_lost"], edgecolor="black", linewidth=0.4,
           hatch="//", label=f"{indicator_label('projects_lost', lang)} ({'均值' if lang == 'zh' else 'mean'})", zorder=2)
    colour = OKABE_ITO["blue"]
    ax.fill_between(years, waiting.quantile(0.1), waiting.quantile(0.9), color=tint(colour, 0.35), linewidth=0,
                    label=text("band", lang, p=80), zorder=1)
    ax.plot(years, waiting.median(), color=colour, marker="o", markersize=4, linewidth=1.6,
            label=f"{indicator_label('projects_waiting', lang)} ({text('median', lang)})", zorder=3)
    ax.set_ylim(0, max(1.0, float(np.nanmax(waiting.quantile(0.9))), float(lost.max()) if len(lost) else 0.0) * 1.1)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    _finish(ax, years, text("queue", lang), text("projects", lang), lang, legend_cols=3)
    return ax


def balance_figure(indicators: pd.DataFrame, *, lang: str = "zh"):
    """Land, energy and the project queue in one figure (16 × 21 cm)."""
    import matplotlib.pyplot as plt

    from .fonts import cm

    fig, axes = plt.subplot_mosaic([["ls", "lf"], ["eu", "ef"], ["q", "q"]], figsize=cm(16, 21), layout="constrained")
    land_stock(indicators, lang=lang, ax=axes["ls"])
    land_flows(indicators, lang=lang, ax=axes["lf"])
    energy_use(indicators, lang=lang, ax=axes["eu"])
    energy_flows(indicators, lang=lang, ax=axes["ef"])
    project_queue(indicators, lang=lang, ax=axes["q"])
    return fig
