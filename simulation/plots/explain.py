"""The causal chain of one lever (``upgrade-sim explain``): paired differences, step by step.

Each row is an indicator or a target; the dot is the median paired difference as a share of the
reference's median, the bar its 10–90% range. Rows are grouped by step: what the lever does first,
what follows in the land and project market, then the targets (with the change in P(met)).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..compare import pp
from .fonts import GREY, OKABE_ITO, cm
from .labels import indicator_label, measure_words, op_symbol
from .save import save_figure

LIMIT = 1.5  # differences beyond ±150% of the reference are drawn at the edge, as arrows
STAGE_COLOURS = {"first": OKABE_ITO["blue"], "next": OKABE_ITO["orange"], "targets": OKABE_ITO["vermillion"]}
STAGE_NAMES = {"first": ("直接作用", "What the lever does"), "next": ("要素市场与产出", "Land, projects, output"),
               "targets": ("目标", "Targets")}


def relative(table: pd.DataFrame) -> pd.DataFrame:
    """Differences as a share of the reference's median (rows with a zero reference: of the largest |diff|)."""
    scale = table["base_median"].abs()
    fallback = table[["diff_p10", "diff_p90"]].abs().max(axis=1)
    scale = scale.where(scale > 0, fallback).replace(0, np.nan)
    return table.assign(rel=table["diff_median"] / scale, rel_lo=table["diff_p10"] / scale, rel_hi=table["diff_p90"] / scale)


def chain_figure(table: pd.DataFrame, title: str, *, lang: str = "zh", ax=None):
    import matplotlib.pyplot as plt

    rows = relative(table).reset_index(drop=True)
    if ax is None:
        _, ax = plt.subplots(figsize=cm(16, 2.5 + 0.5 * len(rows)), layout="constrained")
    labels = []
    for i, r in rows.iterrows():
        colour = STAGE_COLOURS.get(r["stage"], GREY)
        lo, mid, hi = (np.clip(r[k], -LIMIT, LIMIT) for k in ("rel_lo", "rel", "rel_hi"))
        ax.plot([lo, hi], [i, i], color=colour, lw=2.2, alpha=0.6, solid_capstyle="butt")
        clipped = abs(r["rel"]) > LIMIT
        ax.plot(mid, i, (">" if r["rel"] > 0 else "<") if clipped else "o", color=colour, ms=5)
        if clipped:  # the arrow says how far off the scale the median is
            ax.annotate(f"{r['rel']:+.0%}", (mid, i), xytext=(-4 if mid > 0 else 4, 5), textcoords="offset points",
                        ha="right" if mid > 0 else "left", fontsize="x-small", color=colour)
        name = indicator_label(r["indicator"], lang) if r["stage"] != "targets" or lang == "en" else r["name"]
        label = f"{name} [{measure_label(r['measure'], lang)}]"
        if r["stage"] == "targets" and np.isfinite(r["p_met_diff"]):
            label += f"  ΔP {pp(r['p_met_diff'])}"  # a difference of probabilities: percentage points
        labels.append(label)
    ax.set_yticks(range(len(rows)), labels, fontsize="small")
    ax.invert_yaxis()
    ax.axvline(0, color=GREY, lw=0.8)
    for stage, colour in STAGE_COLOURS.items():
        ax.plot([], [], "o-", color=colour, label=STAGE_NAMES[stage][lang == "en"])
    ax.set_xlim(-LIMIT * 1.05, LIMIT * 1.05)
    ax.xaxis.set_major_formatter(lambda v, _: f"{v:+.0%}" if v else "0")
    ax.set_xlabel(f"配对差/基准中位数(点:中位数;线:10–90%;超出 ±{LIMIT:.0%} 的画作边缘箭头并标出数值)" if lang == "zh"
                  else f"Paired difference / reference median\n(dot: median; bar: 10–90%; beyond ±{LIMIT:.0%}: an arrow at "
                       "the edge, with its value)")
    ax.figure.suptitle(title, fontsize="medium")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.07), ncol=1, frameon=False, fontsize="small")
    return ax


_SINCE = re.compile(r"\((cagr|cumulative) since (\d{4})\)")


def measure_label(measure: str, lang: str) -> str:
    """A chain row's measure as the reader's language writes it: "2025 >=7 (cagr since 2020)" is
    "2025 ≥7 (2020年以来年均增速)" in Chinese, "(cumulative since 2020)" is "(2021年起累计)";
    operators as symbols in both."""
    for op in (">=", "<=", "=="):
        measure = measure.replace(op, op_symbol(op))
    return _SINCE.sub(lambda m: f"({measure_words(m.group(1), int(m.group(2)), lang)})", measure)


def draw(folder: str | Path, *, lang: str = "zh") -> list[Path]:
    """The chain figure of an ``upgrade-sim explain`` folder (PNG path)."""
    from matplotlib.figure import Figure

    folder = Path(folder)
    table = pd.read_csv(folder / "explain.csv")
    if table.empty:
        return []
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    title = f"{manifest['scenario']}\n{manifest['lever']}: {_short(manifest['base_value'])} → {_short(manifest['new_value'])}"
    fig = Figure(figsize=cm(20, 4 + 0.5 * len(table)), layout="constrained")
    chain_figure(table, title, lang=lang, ax=fig.add_subplot())
    return [save_figure(fig, folder / "figures" / "explain")[0]]


def _short(value) -> str:
    if isinstance(value, dict):
        values = list(value.values())
        return f"{values[0]:g}…{values[-1]:g}" if len(values) > 1 else f"{values[0]:g}"
    return f"{value:g}" if isinstance(value, (int, float)) else str(value)


__all__ = ["chain_figure", "draw", "relative"]
