"""Back-test figures from a ``skill.csv``: forecasts against observations, PIT histogram, coverage by horizon."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .fonts import cm, panel_grid, plot_style, resolve_lang
from .labels import indicator_label, text, unit_label
from .save import save_figure

METHOD_COLOURS = {"model": "#1f4e79", "model_calibrated": "#7f9fbf", "naive": "#c55a11", "statistical": "#548235"}


def _method(method: str, lang: str) -> str:
    return text(f"method_{method}", lang)


def forecast_figure(skill: pd.DataFrame, region: str, *, lang: str = "zh"):
    """One panel per indicator of ``region``: observed points, and each origin's model median with its
    80% band (offset by horizon) and the naive median, at the target year."""
    lang = resolve_lang(lang)
    rows = skill[skill["region"] == region]
    names = list(dict.fromkeys(rows["indicator"]))
    with plot_style():
        fig, axes = panel_grid(len(names))
        for ax, name in zip(axes, names):
            g = rows[rows["indicator"] == name]
            observed = g.drop_duplicates("year")
            ax.plot(observed["year"], observed["observed"], "ko", ms=4, zorder=5, label=text("observed", lang))
            for method, shift in (("model", -0.12), ("naive", 0.12)):
                m = g[(g["method"] == method) & g["median"].notna()]
                x = m["year"] + shift + 0.04 * (m["horizon"] - 2)
                if m["lo80"].notna().any():
                    ax.vlines(x, m["lo80"], m["hi80"], colors=METHOD_COLOURS[method], lw=1.2, alpha=0.7)
                ax.plot(x, m["median"], "_", color=METHOD_COLOURS[method], ms=8, mew=2, label=_method(method, lang))
            ax.set_title(indicator_label(name, lang), fontsize=9)
            ax.set_ylabel(unit_label(g["unit"].iloc[0], lang))
            years = sorted(set(g["year"]))
            ax.set_xticks(years)
            ax.set_xlim(years[0] - 0.6, years[-1] + 0.6)
        axes[0].legend(fontsize=7, loc="best")
        fig.suptitle(text("skill_title", lang, region=region), fontsize=10)
        fig.supxlabel(text("skill_order", lang), fontsize=8)
        fig.tight_layout()
    return fig


def pit_figure(skill: pd.DataFrame, *, bins: int = 10, lang: str = "zh"):
    """PIT histograms of the model and the baselines (flat when the bands are calibrated)."""
    import matplotlib.pyplot as plt

    lang = resolve_lang(lang)
    methods = [m for m in METHOD_COLOURS if skill.loc[skill["method"] == m, "pit"].notna().any()]
    with plot_style():
        fig, axes = plt.subplots(1, max(len(methods), 1), figsize=cm(6.0 * max(len(methods), 1), 5.5), squeeze=False)
        for ax, method in zip(axes.flat, methods):
            values = skill.loc[skill["method"] == method, "pit"].dropna()
            ax.hist(values, bins=np.linspace(0, 1, bins + 1), color=METHOD_COLOURS[method], alpha=0.8)
            ax.axhline(len(values) / bins, color="k", ls="--", lw=0.8)
            ax.set_title(f"{_method(method, lang)} (n={len(values)})", fontsize=9)
            ax.set_xlabel("PIT")
        fig.tight_layout()
    return fig


def coverage_figure(skill: pd.DataFrame, *, lang: str = "zh"):
    """Empirical coverage of the 50/80/95% bands by horizon, per method, against the nominal level."""
    import matplotlib.pyplot as plt

    lang = resolve_lang(lang)
    with plot_style():
        fig, axes = plt.subplots(1, 3, figsize=cm(18, 5.5), squeeze=False, sharey=True)
        for ax, level in zip(axes.flat, (50, 80, 95)):
            for method, colour in METHOD_COLOURS.items():
                g = skill[(skill["method"] == method) & skill[f"lo{level}"].notna()]
                if g.empty:
                    continue
                by = g.groupby("horizon")[f"covered{level}"].agg(["mean", "size"])
                ax.plot(by.index, by["mean"], "o-", color=colour, label=_method(method, lang))
                for h, r in by.iterrows():
                    ax.annotate(str(int(r["size"])), (h, r["mean"]), fontsize=6, xytext=(3, 3), textcoords="offset points")
            ax.axhline(level / 100, color="k", ls="--", lw=0.8)
            ax.set_title(text("band", lang, p=level), fontsize=9)
            ax.set_xlabel(text("horizon", lang))
            ax.set_xticks([1, 2, 3])
            ax.set_ylim(-0.05, 1.05)
        axes.flat[0].set_ylabel(text("covered", lang))
        handles, labels = axes.flat[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=7, frameon=False)
        fig.tight_layout(rect=(0, 0.1, 1, 1))  # the legend below the panels, off the points
    return fig


def draw_skill(skill: pd.DataFrame, out: str | Path, *, lang: str = "zh") -> list[Path]:
    """Every back-test figure into ``out/figures``; returns the PNG paths."""
    folder = Path(out) / "figures"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    with plot_style():
        for region in dict.fromkeys(skill["region"]):
            paths.append(save_figure(forecast_figure(skill, region, lang=lang), folder / f"forecast_{region}", close=True)[0])
        paths.append(save_figure(pit_figure(skill, lang=lang), folder / "pit", close=True)[0])
        paths.append(save_figure(coverage_figure(skill, lang=lang), folder / "coverage_by_horizon", close=True)[0])
    return paths
