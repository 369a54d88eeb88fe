"""Sensitivity figures: Sobol' S1/ST bars with confidence bars, and the Morris μ*–σ plane."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from .fonts import GREY, OKABE_ITO, cm, plot_style, resolve_lang
from .labels import INDICATORS, output_label, price_suffix, text, unit_label
from .save import save_figure


def sobol_bars(indices: pd.DataFrame, output: str, *, ax=None, lang: str = "en", labels: dict | None = None):
    """First-order (S1) and total (ST) Sobol' indices of ``output``, one pair of bars per factor.

    The error bars are SALib's bootstrap confidence half-widths; factors are ordered by ST and
    named by ``labels`` (factor → readable label; default: the last parts of the factor's path).
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
        name = text("first_order" if key == "S1" else "total_order", lang)
        ax.barh(y + shift, value[key], height=0.38, xerr=conf[key], color=colour, label=name,
                error_kw={"ecolor": GREY, "capsize": 2, "lw": 0.8})
    ax.set_yticks(y, [_label(f, labels) for f in order])
    ax.axvline(0, color=GREY, lw=0.6)
    ax.set_xlabel(text("sobol_axis", lang))
    ax.set_title(output_title(output, lang))
    ax.legend(loc="lower right", frameon=False)
    return ax


def morris_plane(indices: pd.DataFrame, output: str, *, ax=None, lang: str = "en", labels: dict | None = None):
    """Morris μ* against σ for ``output``: right means influential, up means non-linear or interacting."""
    import matplotlib.pyplot as plt

    rows = indices[indices["output"] == output].pivot(index="factor", columns="index", values="value")
    conf = indices[(indices["output"] == output) & (indices["index"] == "mu_star")].set_index("factor")["conf"]
    if ax is None:
        _, ax = plt.subplots(figsize=cm(12, 10), layout="constrained")
    ax.errorbar(rows["mu_star"], rows["sigma"], xerr=conf.loc[rows.index], fmt="o", color=OKABE_ITO["blue"],
                ecolor=GREY, capsize=2, ms=4)
    for factor, row in rows.iterrows():
        ax.annotate(_label(factor, labels), (row["mu_star"], row["sigma"]), xytext=(4, 3), textcoords="offset points",
                    fontsize="small")
    top = float(np.nanmax([rows["mu_star"].max(), rows["sigma"].max(), 1e-12]))
    ax.plot([0, top], [0, top], color=GREY, lw=0.6, ls="--")  # σ = μ*: strongly non-linear above
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    unit = _output_unit(output, lang, indices[indices["output"] == output])
    ax.set_xlabel(text("mu_star", lang, unit=unit))
    ax.set_ylabel(text("sigma", lang, unit=unit))
    ax.set_title(output_title(output, lang))
    return ax


def draw_sensitivity(indices: pd.DataFrame, method: str, folder: str | Path, *, lang: str = "zh",
                     labels: dict | None = None) -> list[Path]:
    """One figure per output in ``folder`` (PNG and SVG); returns the PNG paths."""
    import matplotlib.pyplot as plt

    paths = []
    lang = resolve_lang(lang)
    with plot_style():
        for output in indices["output"].unique():
            draw_one = sobol_bars if method == "sobol" else morris_plane
            ax = draw_one(indices, output, lang=lang, labels=labels)
            stem = Path(folder) / f"{method}_{_slug(output)}"
            paths.append(save_figure(ax.figure, stem)[0])
            plt.close(ax.figure)
    return paths


def draw(folder: str | Path, *, lang: str = "zh") -> list[Path]:
    """The index figures of a finished ``upgrade-sim sensitivity`` folder."""
    from .figures import labels_for, read_manifest

    folder = Path(folder)
    manifest = read_manifest(folder)
    indices = pd.read_csv(folder / "indices.csv")
    return draw_sensitivity(indices, manifest["kind"].removeprefix("sensitivity-"), folder / "figures", lang=lang,
                            labels=labels_for(manifest, resolve_lang(lang)))


def output_title(output: str, lang: str) -> str:
    """``tax_per_mu@2025`` → "规上工业亩均税收 2025年 (万元/亩)" (or its English name)."""
    return output_label(output, lang)


def _output_unit(output: str, lang: str, rows: pd.DataFrame | None = None) -> str:
    """The unit of an output's elementary effects, with the prices of a money output, as its rows
    of indices.csv record them; from the output's name where they do not (a folder written before)."""
    if rows is not None and "unit" in rows and isinstance(rows["unit"].iloc[0], str):
        unit, basis = rows["unit"].iloc[0], rows["basis"].iloc[0]
        if unit == "probability":
            return "概率" if lang == "zh" else "probability"
        return unit_label(unit, lang) + price_suffix(unit, basis if isinstance(basis, str) else "", None, lang)
    name = output.rpartition("@")[0]
    if name.startswith("attainment:"):
        return "概率" if lang == "zh" else "probability"
    return unit_label(INDICATORS[name].unit, lang) if name in INDICATORS else ""


def _label(factor: str, labels: dict | None) -> str:
    return (labels or {}).get(factor) or _short(factor)


def _short(factor: str) -> str:
    """A factor label short enough for an axis: the last two parts of a dotted path."""
    return ".".join(str(factor).split(".")[-2:])


def _slug(text: str) -> str:
    return re.sub(r"[^\w]+", "_", text, flags=re.UNICODE).strip("_")
