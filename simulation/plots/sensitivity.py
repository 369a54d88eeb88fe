"""Sensitivity figures: Sobol' S1/ST bars with confidence bars, and the Morris μ*–σ plane."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from .fonts import GREY, OKABE_ITO, cm, plot_style, resolve_lang
from .labels import indicator_label
from .save import save_figure


def sobol_bars(indices: pd.DataFrame, output: str, *, ax=None, lang: str = "en"):
    """First-order (S1) and total (ST) Sobol' indices of ``output``, one pair of bars per factor.

    The error bars are SALib's bootstrap confidence half-widths; factors are ordered by ST.
    """
    import matplotlib.pyplot as plt

    rows = indices[(indices["output"] == output) & indices["index"].isin(["S1", "ST"])]
    value = rows.pivot(index="factor", columns="index", values="value")
    conf = rows.pivot(index="factor", columns="index", values="conf")
    order = value["ST"].sort_values().index
    value, conf = value.loc[order], conf.loc[order]
    if ax is None:
        _, ax = plt.subplots(figsize=cm(16, 2 + 0.7 * len(order)), layout="constrained")
    y = np.arange(len(order))
    for shift, key, colour in ((-0.2, "S1", OKABE_ITO["blue"]), (0.2, "ST", OKABE_ITO["orange"])):
        ax.barh(y + shift, value[key], height=0.38, xerr=conf[key], color=colour, label=key,
                error_kw={"ecolor": GREY, "capsize": 2, "lw": 0.8})
    ax.set_yticks(y, [_short(f) for f in order])
    ax.axvline(0, color=GREY, lw=0.6)
    ax.set_xlabel("Sobol' index (bar: estimate; line: confidence interval)")
    ax.set_title(output_title(output, lang))
    ax.legend(loc="lower right", frameon=False)
    return ax


def morris_plane(indices: pd.DataFrame, output: str, *, ax=None, lang: str = "en"):
    """Morris μ* against σ for ``output``: right means influential, up means non-linear or interacting."""
    import matplotlib.pyplot as plt

    rows = indices[indices["output"] == output].pivot(index="factor", columns="index", values="value")
    conf = indices[(indices["output"] == output) & (indices["index"] == "mu_star")].set_index("factor")["conf"]
    if ax is None:
        _, ax = plt.subplots(figsize=cm(12, 10), layout="constrained")
    ax.errorbar(rows["mu_star"], rows["sigma"], xerr=conf.loc[rows.index], fmt="o", color=OKABE_ITO["blue"],
                ecolor=GREY, capsize=2, ms=4)
    for factor, row in rows.iterrows():
        ax.annotate(_short(factor), (row["mu_star"], row["sigma"]), xytext=(4, 3), textcoords="offset points",
                    fontsize="small")
    top = float(np.nanmax([rows["mu_star"].max(), rows["sigma"].max(), 1e-12]))
    ax.plot([0, top], [0, top], color=GREY, lw=0.6, ls="--")  # σ = μ*: strongly non-linear above
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("μ* (mean absolute elementary effect)")
    ax.set_ylabel("σ (spread of elementary effects)")
    ax.set_title(output_title(output, lang))
    return ax


def draw_sensitivity(indices: pd.DataFrame, method: str, folder: str | Path, *, lang: str = "zh") -> list[Path]:
    """One figure per output in ``folder`` (PNG and SVG); returns the PNG paths."""
    import matplotlib.pyplot as plt

    paths = []
    lang = resolve_lang(lang)
    with plot_style():
        for output in indices["output"].unique():
            draw_one = sobol_bars if method == "sobol" else morris_plane
            ax = draw_one(indices, output, lang=lang)
            stem = Path(folder) / f"{method}_{_slug(output)}"
            paths.append(save_figure(ax.figure, stem)[0])
            plt.close(ax.figure)
    return paths


def draw(folder: str | Path) -> list[Path]:
    """The index figures of a finished ``upgrade-sim sensitivity`` folder."""
    import json

    folder = Path(folder)
    kind = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["kind"]
    indices = pd.read_csv(folder / "indices.csv")
    return draw_sensitivity(indices, kind.removeprefix("sensitivity-"), folder / "figures")


def output_title(output: str, lang: str) -> str:
    """``tax_per_mu@2025`` → "规上工业亩均税收 2025" (or its English name), the spec's string beside it."""
    name, _, year = output.rpartition("@")
    kind, _, target = name.partition(":")
    if not target:
        return f"{indicator_label(name, lang)} {year}   [{output}]"
    return f"{'P(met)' if kind == 'attainment' else ''} {target} {year}".strip()


def _short(factor: str) -> str:
    """A factor label short enough for an axis: the last two parts of a dotted path."""
    return ".".join(str(factor).split(".")[-2:])


def _slug(text: str) -> str:
    return re.sub(r"[^\w]+", "_", text, flags=re.UNICODE).strip("_")
