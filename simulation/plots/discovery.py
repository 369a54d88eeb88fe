"""Scenario-discovery figures: PRIM's peeling trajectory, a box's limits, the CART tree."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from .fonts import GREY, OKABE_ITO, cm, plot_style, resolve_lang
from .labels import text
from .save import save_figure


def _name(factor, labels: dict | None) -> str:
    return (labels or {}).get(str(factor)) or ".".join(str(factor).split(".")[-2:])


def peeling_trajectory(trajectory: pd.DataFrame, chosen: int | None = None, *, ax=None, lang: str = "en"):
    """Coverage against density along PRIM's peeling; colour is the number of restricted factors."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=cm(12, 10), layout="constrained")
    points = ax.scatter(trajectory["coverage"], trajectory["density"], c=trajectory["res dim"], cmap="viridis", s=14)
    ax.figure.colorbar(points, ax=ax, label=text("restricted", lang))
    if chosen is not None:
        row = trajectory.loc[chosen]
        ax.scatter([row["coverage"]], [row["density"]], s=90, facecolors="none", edgecolors=OKABE_ITO["vermillion"],
                   label=text("chosen_box", lang))
        ax.legend(loc="lower left", frameon=False)
    ax.set_xlabel(text("coverage", lang))
    ax.set_ylabel(text("density", lang))
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    return ax


def box_limits(boxes: pd.DataFrame, box: int = 1, *, ax=None, lang: str = "en", labels: dict | None = None):
    """The box's range on each restricted factor, drawn inside the swept range (scaled 0–1)."""
    import matplotlib.pyplot as plt

    rows = boxes[boxes["box"] == box].reset_index(drop=True)
    if ax is None:
        _, ax = plt.subplots(figsize=cm(16, 2 + 0.8 * max(len(rows), 1)), layout="constrained")
    span = (rows["upper"] - rows["lower"]).replace(0, np.nan)
    lo, hi = (rows["min"] - rows["lower"]) / span, (rows["max"] - rows["lower"]) / span
    y = np.arange(len(rows))
    ax.barh(y, np.ones(len(rows)), color=GREY, alpha=0.25, height=0.5)
    ax.barh(y, hi - lo, left=lo, color=OKABE_ITO["blue"], height=0.5)
    for i, row in rows.iterrows():
        ax.text(lo[i], i + 0.32, f"{row['min']:.4g}", ha="left", va="bottom", fontsize="small")
        ax.text(hi[i], i + 0.32, f"{row['max']:.4g}", ha="right", va="bottom", fontsize="small")
    ax.set_yticks(y, [_name(f, labels) for f in rows["factor"]])
    ax.set_xlim(0, 1)
    ax.set_xlabel(text("box_position", lang))
    if len(rows):
        r = rows.iloc[0]
        ax.set_title(text("box_title", lang, box=box, coverage=r["coverage"], density=r["density"], mass=r["mass"]))
    return ax


def tree_plot(tree, names: list[str], *, ax=None, lang: str = "en", labels: dict | None = None):
    """The CART tree (scikit-learn's ``plot_tree``)."""
    import matplotlib.pyplot as plt
    from sklearn.tree import plot_tree

    if ax is None:
        _, ax = plt.subplots(figsize=cm(24, 12), layout="constrained")
    plot_tree(tree, feature_names=[_name(n, labels) for n in names], class_names=[text("no_case", lang), text("case", lang)],
              filled=True, impurity=False, proportion=True, ax=ax, fontsize=7)
    if lang == "zh":  # scikit-learn writes its node text and its edges' True/False in English
        for node in ax.texts:
            shown = node.get_text()
            edge = _TREE_EDGES.get(shown.strip())
            node.set_text(shown.replace(shown.strip(), edge) if edge else _TREE_WORDS.sub(lambda m: _TREE_ZH[m.group(0)], shown))
    return ax


_TREE_ZH = {"samples = ": "样本占比 = ", "value = ": "非案例/案例 = ", "class = ": "多数 = "}
_TREE_WORDS = re.compile("|".join(re.escape(word) for word in _TREE_ZH))
_TREE_EDGES = {"True": "是", "False": "否"}


def _title(ax, result, lang: str) -> None:
    """What the figure is about: the target, and what makes a design point a case."""
    from ..experiments.discover import parse_target
    from .labels import ascii_or, indicator_label

    name, year = parse_target(result.target)
    target = f"{indicator_label(name, lang)} {year}" if lang == "zh" else ascii_or(result.target, f"the target {year}")
    word = text("missed_word" if result.cases == "missed" else "met_word", lang)
    ax.figure.suptitle(text("cases_of", lang, target=target, word=word, threshold=result.threshold), fontsize="medium")


def draw_discovery(result, folder: str | Path, *, lang: str = "zh", labels: dict | None = None) -> list[Path]:
    """Peeling trajectory and box limits per PRIM box, and the tree, as PNG and SVG in ``folder``.

    ``labels`` names the factors (factor → readable label, e.g. from
    :func:`~simulation.plots.figures.labels_for`).
    """
    import matplotlib.pyplot as plt

    folder = Path(folder)
    lang = resolve_lang(lang)
    paths = []
    with plot_style():
        for i, (traj, step) in enumerate(zip(result.trajectories, result.chosen), start=1):
            for stem, ax in ((f"prim_trajectory_{i}", peeling_trajectory(traj, step, lang=lang)),
                             (f"prim_box_{i}", box_limits(result.boxes, i, lang=lang, labels=labels))):
                _title(ax, result, lang)
                paths.append(save_figure(ax.figure, folder / stem)[0])
                plt.close(ax.figure)
        ax = tree_plot(result.tree, list(result.x.columns), lang=lang, labels=labels)
        _title(ax, result, lang)
        paths.append(save_figure(ax.figure, folder / "cart_tree")[0])
        plt.close(ax.figure)
    return paths
