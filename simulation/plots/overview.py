"""Target attainment at a glance: one row per target, grouped by theme, the bar its probability."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..targets import marked_fixed, mostly_rationed
from .fonts import GREY
from .labels import THEMES, basis_suffix, goal_label, target_label, text, theme_label, words

# Likelihood classes (upper bounds of P(met)), in the IPCC's calibrated language.
LIKELIHOOD_EDGES = (0.10, 0.33, 0.66, 0.90)
# cividis: colour-blind safe and monotonic in lightness, so the classes stay ordered in greyscale.
LIKELIHOOD_SHADES = (0.05, 0.30, 0.55, 0.78, 0.98)
ROW_CM = 0.52  # height of one row in centimetres


def likelihood_class(p: float) -> int:
    """Index of the likelihood class of probability ``p`` (0 = very unlikely ... 4 = very likely)."""
    return int(np.searchsorted(LIKELIHOOD_EDGES, p, side="right"))


def overview_rows(targets: pd.DataFrame, *, collapse_unmodelled: bool = False) -> list[tuple[str, Any]]:
    """Rows in drawing order: ("theme", name) headers followed by ("target", row) entries.

    With ``collapse_unmodelled`` the targets the model cannot speak to become one last
    ("unmodelled", count) row, so that a document with many of them still fits a page.
    """
    order = {theme: i for i, theme in enumerate(THEMES)}
    unmodelled = int((~targets["modelled"].astype(bool)).sum())
    if collapse_unmodelled:
        targets = targets[targets["modelled"].astype(bool)]
    frame = targets.assign(_theme=targets["theme"].where(targets["theme"].isin(order), "other"))
    frame = frame.assign(_order=frame["_theme"].map(order), _modelled=~frame["modelled"].astype(bool))
    frame = frame.sort_values(["_order", "_modelled", "name", "year"], kind="stable")
    rows: list[tuple[str, Any]] = []
    for _order, group in frame.groupby("_order", sort=True):
        rows.append(("theme", group["_theme"].iloc[0]))
        rows.extend(("target", r) for r in group.itertuples(index=False))
    if collapse_unmodelled and unmodelled:
        rows.append(("unmodelled", unmodelled))
    return rows


def overview_height_cm(targets: pd.DataFrame) -> float:
    """A figure height (cm) that gives every row the same room."""
    return 2.6 + ROW_CM * len(overview_rows(targets, collapse_unmodelled=True))


def target_overview(targets: pd.DataFrame, *, lang: str = "zh", ax=None, cap_cited: bool = False):
    """Draw every target's attainment probability as a bar, grouped by theme.

    Parameters
    ----------
    targets : DataFrame
        The frame of :func:`simulation.targets.evaluate_targets` (or a run's ``targets.csv``).
        Targets that are not modelled are counted on one greyed row, marked "未建模" (the
        target table lists them with their reasons).
    lang : {"zh", "en"}
    ax : matplotlib Axes, optional
    cap_cited : whether the scenario's 能耗双控 cap is cited (else an assumption), for the ‡ note

    Returns
    -------
    matplotlib Axes
    """
    import matplotlib.pyplot as plt
    from matplotlib import colormaps
    from matplotlib.patches import Patch

    rows = overview_rows(targets, collapse_unmodelled=True)
    if ax is None:
        _, ax = plt.subplots(layout="constrained")
    cmap = colormaps["cividis"]
    shades = [cmap(s) for s in LIKELIHOOD_SHADES]
    y = np.arange(len(rows))[::-1]
    ticks, labels = [], []
    for pos, (kind, item) in zip(y, rows):
        if kind == "theme":
            ax.text(-0.01, pos, theme_label(item, lang), transform=ax.get_yaxis_transform(), ha="right", va="center",
                    fontsize=10, fontweight="bold")
            ax.axhline(pos - 0.5, color=GREY, linewidth=0.5)
            continue
        if kind == "unmodelled":
            ticks.append(pos)
            labels.append(text("unmodelled_count", lang, n=item))
            ax.barh(pos, 1.0, height=0.68, color="#EEEEEE", edgecolor=GREY, hatch="///", linewidth=0.4)
            ax.text(0.5, pos, text("not_modelled", lang), ha="center", va="center", color="#555555", fontsize=9)
            continue
        ticks.append(pos)
        labels.append(target_label(item, lang))
        # the goal as a column right of the bars: names stay short enough for a page's width
        goal = goal_label(item, lang) + basis_suffix(item, lang)  # the prices, as the fan axes say
        ax.text(1.0, pos, "  " + goal, transform=ax.get_yaxis_transform(), ha="left", va="center")
        _draw_bar(ax, pos, item, shades, lang)
    ax.set_yticks(ticks, labels)
    ax.tick_params(axis="y", length=0)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.set_xlim(0, 1.0)
    ax.set_xticks(np.linspace(0, 1, 6), [f"{v:.0%}" for v in np.linspace(0, 1, 6)])
    fixed = any(kind == "target" and marked_fixed(item) for kind, item in rows)
    rationed = any(kind == "target" and mostly_rationed(item) for kind, item in rows)
    cap = text("cap_cited" if cap_cited else "cap_assumed", lang)
    ax.set_xlabel(text("p_met", lang) + ("\n" + text("fixed_note", lang) if fixed else "")
                  + ("\n" + text("rationed_short", lang, basis=cap) if rationed else ""))
    ax.grid(axis="x", alpha=0.35)
    ax.set_axisbelow(True)
    ax.spines["left"].set_visible(False)
    names = words("likelihood", lang)
    bounds = ("<10%", "10–33%", "33–66%", "66–90%", "≥90%")
    handles = [Patch(facecolor=c, edgecolor="black", linewidth=0.4, label=f"{n} {b}") for c, n, b in zip(shades, names, bounds)]
    handles.append(Patch(facecolor="#EEEEEE", edgecolor=GREY, hatch="///", label=text("not_modelled", lang)))
    ax.figure.legend(handles=handles, loc="outside upper center", ncol=3, handlelength=1.2, columnspacing=1.0)
    return ax


def _draw_bar(ax, pos: float, row, shades, lang: str) -> None:
    if not bool(row.modelled) or not np.isfinite(row.p_met):
        ax.barh(pos, 1.0, height=0.68, color="#EEEEEE", edgecolor=GREY, hatch="///", linewidth=0.4)
        ax.text(0.5, pos, text("not_modelled", lang), ha="center", va="center", color="#555555", fontsize=9)
        return
    p = float(row.p_met)
    ax.barh(pos, max(p, 0.004), height=0.68, color=shades[likelihood_class(p)], edgecolor="black", linewidth=0.4)
    # † an input decides, ‡ the energy cap does: see the axis note
    label = f"{p:.0%}" + ("†" if marked_fixed(row) else "") + ("‡" if mostly_rationed(row) else "")
    if p >= 0.8:  # inside the bar's end, so it never runs into the goal column
        dark = likelihood_class(p) < 2
        ax.text(p - 0.012, pos, label, ha="right", va="center", fontsize=9, color="white" if dark else "black")
    else:
        ax.text(p + 0.012, pos, label, ha="left", va="center", fontsize=9)

