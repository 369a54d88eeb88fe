"""Tiers over time: firms per tier (stacked) and the yearly flows between tiers and to exit.

Stacks show replication means, not medians: means add up, so the top of a stack is the mean
total. Flows are the model's ``replication, year, source, target, count`` table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .fonts import GREY, OKABE_ITO
from .labels import flow_label, indicator_label, text

STATISTICAL = ("firms_below_scale", "firms_above_scale")
CERTIFIED = ("innovative_sme", "zjtx_sme", "little_giants", "single_champions")
SOURCES = ("新设", "项目投产", "规下", "规上", "未认定", "创新型中小企业", "专精特新中小企业", "专精特新小巨人", "单项冠军")
TARGETS = ("规下", "规上", "创新型中小企业", "专精特新中小企业", "专精特新小巨人", "单项冠军", "市场退出", "淘汰关停", "兼并搬迁")
EXITS = ("市场退出", "淘汰关停", "兼并搬迁")
ENTRIES = ("新设", "项目投产")
SIZE_ROWS = ("新设", "项目投产", "规下", "规上")  # the statistical size of a firm; the rows below are its certificate

# One colour per series, Okabe–Ito; the hatches keep neighbours apart in greyscale.
_STACK = {
    "firms_below_scale": (OKABE_ITO["sky"], ""), "firms_above_scale": (OKABE_ITO["blue"], ""),
    "innovative_sme": (OKABE_ITO["yellow"], ""), "zjtx_sme": (OKABE_ITO["orange"], ""),
    "little_giants": (OKABE_ITO["vermillion"], ""), "single_champions": (OKABE_ITO["purple"], ""),
}
_FLOW = {
    "新设": (OKABE_ITO["sky"], ""), "项目投产": (OKABE_ITO["blue"], ""), "promoted": (OKABE_ITO["green"], "//"),
    "demoted": (OKABE_ITO["yellow"], "\\\\"), "市场退出": (OKABE_ITO["orange"], ""), "淘汰关停": (OKABE_ITO["vermillion"], ".."),
    "兼并搬迁": (OKABE_ITO["purple"], "xx"),
}


def tier_means(indicators: pd.DataFrame, names) -> pd.DataFrame:
    """Mean over replications of each indicator in ``names``: one row per year, one column per name."""
    rows = indicators[indicators["indicator"].isin(names)]
    wide = rows.groupby(["year", "indicator"])["value"].mean().unstack("indicator")
    return wide.reindex(columns=[n for n in names if n in wide.columns])


def yearly_flows(flows: pd.DataFrame, replications=None) -> pd.DataFrame:
    """Mean firms per year moving from ``source`` to ``target`` (a replication with no such move counts 0).

    Returns a long frame ``year, source, target, count``.
    """
    total = flows.groupby(["replication", "year", "source", "target"])["count"].sum()
    wide = total.unstack(["source", "target"], fill_value=0)
    reps = sorted(flows["replication"].unique()) if replications is None else list(replications)
    years = sorted(flows["year"].unique())
    wide = wide.reindex(pd.MultiIndex.from_product([reps, years], names=["replication", "year"]), fill_value=0)
    mean = wide.groupby(level="year").mean()
    long = mean.stack(["source", "target"], future_stack=True).rename("count").reset_index()
    return long[long["count"] > 0].reset_index(drop=True)


def flow_components(flows: pd.DataFrame, replications=None) -> pd.DataFrame:
    """Yearly entries, promotions (小升规), demotions (退规) and exits by route; one column each."""
    mean = yearly_flows(flows, replications)
    parts = {}
    for name in ENTRIES:
        parts[name] = mean[mean["source"] == name].groupby("year")["count"].sum()
    parts["promoted"] = mean[(mean["source"] == "规下") & (mean["target"] == "规上")].groupby("year")["count"].sum()
    parts["demoted"] = mean[(mean["source"] == "规上") & (mean["target"] == "规下")].groupby("year")["count"].sum()
    for name in EXITS:
        parts[name] = mean[mean["target"] == name].groupby("year")["count"].sum()
    years = sorted(mean["year"].unique())
    return pd.DataFrame(parts).reindex(years).fillna(0.0)


def _stacked(ax, wide: pd.DataFrame, lang: str, title: str):
    years = wide.index.to_numpy()
    colours = [_STACK[c][0] for c in wide.columns]
    ax.stackplot(years, wide.T.to_numpy(), colors=colours, edgecolor="black", linewidth=0.5,
                 labels=[indicator_label(c, lang) for c in wide.columns])
    ax.set_title(title, loc="left")
    ax.set_xlabel(text("year", lang))
    ax.set_ylabel(text("firms", lang))
    ax.set_xticks(years)
    ax.set_xlim(years.min(), years.max())
    ax.grid(axis="y", alpha=0.35)
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles[::-1], labels[::-1], loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=1, handlelength=1.2)
    return ax


def statistical_tiers(indicators: pd.DataFrame, *, lang: str = "zh", ax=None):
    """规下 and 规上 firms over time, stacked (their sum is every live firm)."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(layout="constrained")
    return _stacked(ax, tier_means(indicators, STATISTICAL), lang, text("stat_tiers", lang))


def certification_tiers(indicators: pd.DataFrame, *, lang: str = "zh", ax=None):
    """Firms at each certification level over time, stacked (a firm holds one level at a time)."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(layout="constrained")
    return _stacked(ax, tier_means(indicators, CERTIFIED), lang, text("cert_tiers", lang))


def flow_bars(flows: pd.DataFrame, *, lang: str = "zh", replications=None, ax=None):
    """Yearly flows as diverging bars: entries and promotions up, exits and demotions down."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(layout="constrained")
    parts = flow_components(flows, replications)
    years = parts.index.to_numpy()
    names = {"promoted": text("promoted", lang), "demoted": text("demoted", lang)}
    for sign, columns in ((1, (*ENTRIES, "promoted")), (-1, ("demoted", *EXITS))):
        bottom = np.zeros(len(years))
        for column in columns:
            values = sign * parts[column].to_numpy()
            colour, hatch = _FLOW[column]
            ax.bar(years, values, bottom=bottom, width=0.7, color=colour, hatch=hatch, edgecolor="black", linewidth=0.4,
                   label=names.get(column) or flow_label(column, lang))
            bottom += values
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_title(text("yearly_flows", lang), loc="left")
    ax.set_xlabel(text("year", lang))
    ax.set_ylabel(text("firms_per_year", lang))
    ax.set_xticks(years)
    ax.grid(axis="y", alpha=0.35)
    ax.set_axisbelow(True)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=4, handlelength=1.4, columnspacing=1.0)
    return ax


def flow_matrix(flows: pd.DataFrame, *, lang: str = "zh", replications=None, ax=None):
    """Mean firms per year from each source tier (rows) to each destination (columns), numbers in cells."""
    import matplotlib.pyplot as plt
    from matplotlib import colormaps
    from matplotlib.colors import LogNorm

    if ax is None:
        _, ax = plt.subplots(layout="constrained")
    mean = yearly_flows(flows, replications)
    n_years = max(mean["year"].nunique(), 1)
    table = mean.groupby(["source", "target"])["count"].sum().unstack("target", fill_value=0.0) / n_years
    rows = [s for s in SOURCES if s in table.index] + sorted(set(table.index) - set(SOURCES))
    cols = [t for t in TARGETS if t in table.columns] + sorted(set(table.columns) - set(TARGETS))
    table = table.reindex(index=rows, columns=cols, fill_value=0.0)
    values = table.to_numpy(dtype=float)
    shown = np.ma.masked_less_equal(values, 0.0)
    cmap = colormaps["cividis"].with_extremes(bad="white")
    top = max(float(values.max()), 1.0)
    image = ax.imshow(shown, cmap=cmap, norm=LogNorm(vmin=min(0.1, top / 10), vmax=top), aspect="auto")
    for (i, j), v in np.ndenumerate(values):
        if v > 0:
            light = image.norm(v) > 0.55  # cividis is light at the top: dark text there
            ax.text(j, i, _count(v), ha="center", va="center", fontsize=9,
                    color="black" if light else "white")
    ax.set_xticks(range(len(cols)), [flow_label(c, lang) for c in cols], rotation=40, ha="right", rotation_mode="anchor")
    ax.set_yticks(range(len(rows)), [flow_label(r, lang) for r in rows])
    ax.set_xlabel(text("to", lang))
    ax.set_ylabel(text("from", lang))
    # size tiers and certification tiers count the same firms twice: two blocks, said so under the title
    size_rows = [i for i, r in enumerate(rows) if r in SIZE_ROWS]
    two_blocks = bool(size_rows) and len(size_rows) < len(rows)
    ax.set_title(text("flow_matrix", lang), loc="left", pad=16 if two_blocks else None)
    if two_blocks:
        ax.axhline(max(size_rows) + 0.5, color="black", lw=1.4)
        ax.text(0.0, 1.01, text("flow_blocks", lang), transform=ax.transAxes, ha="left", va="bottom", fontsize=7,
                color="#333333")
    exits = [j for j, c in enumerate(cols) if c in EXITS]
    if exits and min(exits) > 0:
        ax.axvline(min(exits) - 0.5, color="black", lw=1.4)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_xticks(np.arange(len(cols) + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(len(rows) + 1) - 0.5, minor=True)
    ax.grid(which="minor", color=GREY, linewidth=0.4)
    ax.tick_params(which="minor", length=0)
    return ax


def _count(v: float) -> str:
    """A mean count for a cell: whole numbers from 10, one decimal below, "<0.1" for rare moves."""
    return f"{v:.0f}" if v >= 9.5 else (f"{v:.1f}" if v >= 0.05 else "<0.1")
