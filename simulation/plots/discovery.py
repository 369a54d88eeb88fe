"""Scenario-discovery figures: PRIM's peeling trajectory, a box's limits, the CART tree."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .fonts import GREY, OKABE_ITO, cm, plot_style
from .save import save_figure


def peeling_trajectory(trajectory: pd.DataFrame, chosen: int | None = None, *, ax=None):
    """Coverage against density along PRIM's peeling; colour is the number of restricted factors."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=cm(12, 10), layout="constrained")
    points = ax.scatter(trajectory["coverage"], trajectory["density"], c=trajectory["res dim"], cmap="viridis", s=14)
    ax.figure.colorbar(points, ax=ax, label="restricted factors")
    if chosen is not None:
        row = trajectory.loc[chosen]
        ax.scatter([row["coverage"]], [row["density"]], s=90, facecolors="none", edgecolors=OKABE_ITO["vermillion"],
                   label="chosen box")
        ax.legend(loc="lower left", frameon=False)
    ax.set_xlabel("coverage (share of all cases inside the box)")
    ax.set_ylabel("density (share of the box that are cases)")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    return ax


def box_limits(boxes: pd.DataFrame, box: int = 1, *, ax=None):
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
    ax.set_yticks(y, [".".join(str(f).split(".")[-2:]) for f in rows["factor"]])
    ax.set_xlim(0, 1)
    ax.set_xlabel("position in the swept range (0 = lowest value swept, 1 = highest)")
    if len(rows):
        r = rows.iloc[0]
        ax.set_title(f"box {box}: coverage {r['coverage']:.0%}, density {r['density']:.0%}, mass {r['mass']:.0%}")
    return ax


def tree_plot(tree, names: list[str], *, ax=None):
    """The CART tree (scikit-learn's ``plot_tree``)."""
    import matplotlib.pyplot as plt
    from sklearn.tree import plot_tree

    if ax is None:
        _, ax = plt.subplots(figsize=cm(24, 12), layout="constrained")
    plot_tree(tree, feature_names=[".".join(n.split(".")[-2:]) for n in names], class_names=["no", "case"],
              filled=True, impurity=False, proportion=True, ax=ax, fontsize=7)
    return ax


def draw_discovery(result, folder: str | Path) -> list[Path]:
    """Peeling trajectory and box limits per PRIM box, and the tree, as PNG and SVG in ``folder``."""
    import matplotlib.pyplot as plt

    folder = Path(folder)
    paths = []
    with plot_style():
        for i, (traj, step) in enumerate(zip(result.trajectories, result.chosen), start=1):
            for stem, ax in ((f"prim_trajectory_{i}", peeling_trajectory(traj, step)),
                             (f"prim_box_{i}", box_limits(result.boxes, i))):
                paths.append(save_figure(ax.figure, folder / stem)[0])
                plt.close(ax.figure)
        ax = tree_plot(result.tree, list(result.x.columns))
        paths.append(save_figure(ax.figure, folder / "cart_tree")[0])
        plt.close(ax.figure)
    return paths
