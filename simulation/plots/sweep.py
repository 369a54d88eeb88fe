"""Sweep response figures: how a target's attainment answers one factor (lines) or two (heatmap).

A sweep store holds ``design.parquet`` (point, factors) and ``attainment.parquet`` (point, target,
year, p_met, …). For each target whose attainment varies across the design, the factors are ranked
by the strength of their monotone association with P(met) (|Spearman ρ|); the figure shows P(met)
against every factor and a heatmap over the strongest two.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .fonts import GREY, OKABE_ITO, cm
from .save import save_figure, stamp_in_force
from .workers import draw_all

BINS = 6


def rank_factors(design: pd.DataFrame, p_met: pd.Series) -> pd.Series:
    """|Spearman ρ| of each factor with P(met), strongest first (NaN-free)."""
    x = design.drop(columns="point").apply(pd.to_numeric, errors="coerce")
    rho = x.rank().corrwith(p_met.rank()).abs().fillna(0.0)
    return rho.sort_values(ascending=False, kind="stable")


def response_line(design: pd.DataFrame, p_met: pd.Series, factor: str, *, ax, lang: str = "zh", labels: dict | None = None):
    """P(met) of each design point against ``factor``, with the mean per quantile bin."""
    x = pd.to_numeric(design[factor], errors="coerce")
    ax.scatter(x, p_met, s=6, color=GREY, alpha=0.5, lw=0)
    bins = _bins(x)
    mean = p_met.groupby(bins, observed=True).mean()
    centre = x.groupby(bins, observed=True).mean()
    ax.plot(centre, mean, color=OKABE_ITO["blue"], lw=1.6, marker="o", ms=3)
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlabel((labels or {}).get(factor, factor))
    ax.set_ylabel("达成概率" if lang == "zh" else "P(met)")
    return ax


def response_heatmap(design: pd.DataFrame, p_met: pd.Series, fx: str, fy: str, *, ax, lang: str = "zh",
                     labels: dict | None = None):
    """Mean P(met) over a grid of quantile bins of two factors (empty cells blank)."""
    x, y = (pd.to_numeric(design[f], errors="coerce") for f in (fx, fy))
    bx, by = _bins(x), _bins(y)
    grid = p_met.groupby([by, bx], observed=False).mean().unstack()
    ex, ey = _edges(x, bx), _edges(y, by)
    mesh = ax.pcolormesh(ex, ey, grid.to_numpy(float), cmap="viridis", vmin=0, vmax=1, shading="flat")
    ax.figure.colorbar(mesh, ax=ax, label="达成概率" if lang == "zh" else "P(met)")
    ax.set_xlabel((labels or {}).get(fx, fx))
    ax.set_ylabel((labels or {}).get(fy, fy))
    return ax


def _bins(x: pd.Series) -> pd.Series:
    n = min(BINS, x.nunique())
    return pd.qcut(x.rank(method="first"), n, labels=False) if n > 1 else pd.Series(0, index=x.index)


def _edges(x: pd.Series, bins: pd.Series) -> np.ndarray:
    lo = x.groupby(bins).min().to_numpy(float)
    hi = x.groupby(bins).max().to_numpy(float)
    return np.append(lo, hi[-1])


def target_response(design: pd.DataFrame, rows: pd.DataFrame, title: str, *, lang: str = "zh", labels: dict | None = None):
    """One figure for one target: a line panel per factor, then the two-factor heatmap."""
    from matplotlib.figure import Figure

    p_met = design[["point"]].merge(rows[["point", "p_met"]], on="point", how="left")["p_met"].fillna(0.0)
    order = list(rank_factors(design, p_met).index)
    ncols = 3
    panels = len(order) + (1 if len(order) > 1 else 0)
    nrows = -(-panels // ncols)
    fig = Figure(figsize=cm(17, 5.2 * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).flat
    for ax, factor in zip(axes, order):
        response_line(design, p_met, factor, ax=ax, lang=lang, labels=labels)
    if len(order) > 1:
        response_heatmap(design, p_met, order[0], order[1], ax=axes[len(order)], lang=lang, labels=labels)
    for ax in list(axes)[panels:]:
        ax.set_visible(False)
    fig.suptitle(title)
    return fig


def draw(folder: str | Path, *, lang: str = "zh", workers: int = 1) -> list[Path]:
    """Response figures for every target whose attainment varies over the design (PNG paths), drawn
    in ``workers`` processes; then the figures of a discovery run on the folder, as found."""
    folder = Path(folder)
    paths = draw_all(SweepFigures.of(folder, lang=lang), workers)
    discovered = sorted((folder / "discovery" / "figures").glob("*.png")) if (folder / "discovery").is_dir() else []
    return paths + discovered


@dataclass(frozen=True)
class SweepFigures:
    """A sweep folder's response figures, each drawn and saved by its file stem (picklable: see
    :mod:`.workers`)."""

    design: pd.DataFrame
    responses: dict[str, tuple[str, pd.DataFrame]]  # stem -> title, the target's attainment rows
    labels: dict[str, str]  # factor -> readable label
    folder: Path
    lang: str
    note: str | None  # the corner stamp in force when the set was made

    @classmethod
    def of(cls, folder: str | Path, *, lang: str = "zh") -> SweepFigures:
        from .figures import labels_for, read_manifest

        folder = Path(folder)
        attainment = pd.read_parquet(folder / "attainment.parquet") if (folder / "attainment.parquet").is_file() else None
        responses = {}
        if attainment is not None and len(attainment):
            for (target, year), rows in attainment.groupby(["target", "year"], sort=False):
                if rows["p_met"].nunique() < 2:
                    continue  # met everywhere or nowhere: nothing to explain
                title = f"{target} {year}年 · 达成概率" if lang == "zh" else f"{_ascii_target(target, rows)} {year}: P(met)"
                responses[f"response_{rows['indicator'].iloc[0]}_{year}"] = (title, rows)
        return cls(pd.read_parquet(folder / "design.parquet"), responses, labels_for(read_manifest(folder), lang),
                   folder / "figures", lang, stamp_in_force())

    def stems(self) -> list[str]:
        return list(self.responses)

    def draw(self, stem: str) -> Path:
        title, rows = self.responses[stem]
        fig = target_response(self.design, rows, title, lang=self.lang, labels=self.labels)
        return save_figure(fig, self.folder / stem)[0]


def _ascii_target(target: str, rows: pd.DataFrame) -> str:
    """An English name for a target (its indicator's), as figures in English must not need a CJK font."""
    from .labels import ascii_or, indicator_label

    indicator = rows["indicator"].iloc[0] if "indicator" in rows and len(rows) else None
    return indicator_label(indicator, "en") if isinstance(indicator, str) else ascii_or(target, "target")
