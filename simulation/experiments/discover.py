"""Scenario discovery: under which combinations of levers and uncertainties is a target met?

From a finished sweep store, each design point is a case when its attainment probability of the
chosen target is at least ``threshold`` (or, with ``missed=True``, when its probability of missing
is). Two views answer the question:

- **PRIM** (Friedman & Fisher 1999, Stat. Comput. 9:123; Bryant & Lempert 2010, Technol. Forecast.
  Soc. Change 77:34), with the ``prim`` package (the standalone version of EMA Workbench's
  implementation): boxes in factor space, each with its peeling trajectory, the trade-off between
  **coverage** (share of all cases inside the box), **density** (share of the box's points that are
  cases) and **mass** (share of all points inside the box);
- **CART** (scikit-learn's ``DecisionTreeClassifier``): a shallow tree whose leaves are boxes too.

::

    from simulation import discover
    found = discover("results/levers", "tax_per_mu@2025")
    found.boxes      # box, factor, min, max, coverage, density, mass, res_dim
    found.leaves     # CART leaves: rule, n, density, coverage
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ..io import write_csv, write_text
from .store import Store

BOX_COLUMNS = ["box", "factor", "min", "max", "lower", "upper", "coverage", "density", "mass", "res_dim"]


@dataclass
class DiscoveryResult:
    """PRIM boxes and a CART tree for one target of a sweep."""

    target: str
    cases: str  # "met" or "missed"
    x: pd.DataFrame
    y: np.ndarray
    boxes: pd.DataFrame
    trajectories: list[pd.DataFrame]
    chosen: list[int]
    leaves: pd.DataFrame
    tree_text: str
    tree: object = field(repr=False, default=None)
    min_density: float = 0.8
    threshold: float = 0.5  # a design point is a case when its P(met) (or P(missed)) is at least this

    def describe(self) -> str:
        """A short text account: the base rate, each box's limits and trade-off, the tree."""
        lines = [f"{self.target}: {int(self.y.sum())} of {len(self.y)} design points are cases ({self.cases}); "
                 f"base rate {self.y.mean():.0%}"]
        for box, rows in self.boxes.groupby("box"):
            r = rows.iloc[0]
            weak = f" — below the density threshold {self.min_density:.0%}, a weak box" if r.density < self.min_density else ""
            lines.append(f"PRIM box {box}: coverage {r.coverage:.0%}, density {r.density:.0%}, mass {r.mass:.0%}{weak}")
            for row in rows.itertuples():
                lines.append(f"    {row.factor}: {row.min:.4g} – {row.max:.4g}   (swept {row.lower:.4g} – {row.upper:.4g})")
        if self.boxes.empty:
            lines.append("PRIM found no box")
        lines.append("CART tree:\n" + self.tree_text)
        return "\n".join(lines)


def parse_target(text: str) -> tuple[str, int]:
    """``NAME@YEAR`` (an indicator or a target's name; ``NAME:YEAR`` also read) → (name, year)."""
    from ..targets import parse_reference

    return parse_reference(text, field="--target")


def cases(store: Store, target: str, *, missed: bool = False, threshold: float = 0.5) -> tuple[pd.DataFrame, np.ndarray]:
    """The numeric design (one row per point with results) and whether each point is a case."""
    indicator, year = parse_target(target)
    if not (store.root / "attainment.parquet").is_file():
        raise InputError("holds no finished sweep (attainment.parquet is missing); run upgrade-sim sweep first",
                         file=str(store.root))
    att = store.attainment()
    rows = att[((att["indicator"] == indicator) | (att["target"] == indicator)) & (att["year"] == year)]
    if rows.empty:
        from ..errors import nearest

        known = {f"{i}@{y}" for i, y in zip(att["indicator"], att["year"])}
        hint = nearest(f"{indicator}@{year}", known) or f"; known: {', '.join(sorted(known)[:8]) or 'none'}"
        raise InputError(f"no target on {indicator} in {year} in this sweep{hint}", field="--target")
    if rows["target"].nunique() > 1:
        raise InputError(f"several targets on {indicator} in {year}: {', '.join(rows['target'].unique())}", field="--target")
    design = store.design().set_index("point")
    x = design.loc[rows["point"]].select_dtypes("number").astype(float)
    p = rows["p_met"].to_numpy(dtype=float)
    y = ((1.0 - p) if missed else p) >= threshold
    return x.reset_index(drop=True), y


def prim_boxes(x: pd.DataFrame, y: np.ndarray, *, min_density: float = 0.8, peel_alpha: float = 0.05,
               mass_min: float = 0.05, max_boxes: int = 3, min_coverage: float = 0.5):
    """Up to ``max_boxes`` PRIM boxes, each taken at the densest step that keeps ``min_coverage``.

    Returns the box table (one row per restricted factor), the peeling trajectories and the
    index of the chosen step on each.
    """
    import prim

    finder = prim.Prim(x, y.astype(float), threshold=min_density, threshold_type=">", peel_alpha=peel_alpha,
                       mass_min=mass_min)
    rows: list[tuple] = []
    trajectories: list[pd.DataFrame] = []
    chosen: list[int] = []
    total = y.sum()
    for box_id in range(1, max_boxes + 1):
        box = finder.find_box()
        if box is None:
            break
        traj = box.peeling_trajectory.reset_index(drop=True)
        # coverage in the package is relative to the cases left; recompute it against all cases
        step = _choose_step(traj, min_coverage)
        box.select(step)
        if rows and traj.loc[step, "density"] < min_density:
            break  # later boxes only when dense enough; the first is always shown with its trade-off
        limits = box.limits
        inside = _in_box(x, limits)
        coverage, density, mass = y[inside].sum() / total, y[inside].mean(), inside.mean()
        for factor in limits.index:
            rows.append((box_id, factor, limits.loc[factor, "min"], limits.loc[factor, "max"],
                         x[factor].min(), x[factor].max(), coverage, density, mass, len(limits)))
        trajectories.append(traj)
        chosen.append(step)
    return pd.DataFrame(rows, columns=BOX_COLUMNS), trajectories, chosen


def _choose_step(trajectory: pd.DataFrame, min_coverage: float) -> int:
    ok = trajectory[trajectory["coverage"] >= min_coverage]
    if ok.empty:
        return int(trajectory["density"].idxmax())
    return int(ok["density"].idxmax())


def _in_box(x: pd.DataFrame, limits: pd.DataFrame) -> np.ndarray:
    """Points inside a box given as rows ``factor -> min, max`` (restricted factors only)."""
    inside = np.ones(len(x), dtype=bool)
    for factor, row in limits.iterrows():
        inside &= (x[factor] >= row["min"]).to_numpy() & (x[factor] <= row["max"]).to_numpy()
    return inside


def cart_tree(x: pd.DataFrame, y: np.ndarray, *, max_depth: int = 3, seed: int = 0):
    """A shallow classification tree; returns the fitted tree, its text and one row per leaf."""
    from sklearn.tree import DecisionTreeClassifier, export_text

    tree = DecisionTreeClassifier(max_depth=max_depth, min_samples_leaf=max(5, len(x) // 50), random_state=seed)
    tree.fit(x.to_numpy(), y)
    leaf = tree.apply(x.to_numpy())
    rules = _leaf_rules(tree, list(x.columns))
    rows = []
    for node in np.unique(leaf):
        mask = leaf == node
        rows.append((int(node), rules[int(node)], int(mask.sum()), float(y[mask].mean()),
                     float(y[mask].sum() / max(y.sum(), 1))))
    leaves = pd.DataFrame(rows, columns=["leaf", "rule", "n", "density", "coverage"])
    return tree, export_text(tree, feature_names=list(x.columns)), leaves.sort_values("density", ascending=False)


def _leaf_rules(tree, names: list[str]) -> dict[int, str]:
    t = tree.tree_
    rules: dict[int, str] = {}

    def walk(node: int, path: list[str]) -> None:
        if t.children_left[node] == -1:
            rules[node] = " and ".join(path) or "(all)"
            return
        name, cut = names[t.feature[node]], t.threshold[node]
        walk(t.children_left[node], path + [f"{name} <= {cut:.4g}"])
        walk(t.children_right[node], path + [f"{name} > {cut:.4g}"])

    walk(0, [])
    return rules


def discover(store: str | Path, target: str, *, missed: bool = False, threshold: float = 0.5,
             min_density: float = 0.8, min_coverage: float = 0.5, max_boxes: int = 3, max_depth: int = 3) -> DiscoveryResult:
    """PRIM boxes and a CART tree for ``target`` (``INDICATOR:YEAR``) in the sweep store ``store``."""
    x, y = cases(Store(store), target, missed=missed, threshold=threshold)
    if x.empty or y.all() or not y.any():
        word = "every" if y.all() else "no"
        raise InputError(f"{word} design point is a case for {target}; nothing to discover (try --threshold or --missed)",
                         file=str(store))
    boxes, trajectories, chosen = prim_boxes(x, y, min_density=min_density, min_coverage=min_coverage, max_boxes=max_boxes)
    tree, text, leaves = cart_tree(x, y, max_depth=max_depth)
    return DiscoveryResult(target, "missed" if missed else "met", x, y, boxes, trajectories, chosen, leaves, text, tree,
                           min_density, threshold)


def write_discovery(result: DiscoveryResult, out: str | Path) -> None:
    """``boxes.csv``, ``leaves.csv``, ``trajectory_<box>.csv`` and ``tree.txt`` in ``out``."""
    out = Path(out)
    write_csv(out / "boxes.csv", result.boxes)
    write_csv(out / "leaves.csv", result.leaves)
    for i, traj in enumerate(result.trajectories, start=1):
        write_csv(out / f"trajectory_{i}.csv", traj)
    write_text(out / "tree.txt", result.tree_text)
