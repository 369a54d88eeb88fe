"""Calibration figures: simulated 10–90% bands at the fitted parameters against observed points."""

from __future__ import annotations

import pandas as pd

from .fonts import panel_grid, plot_style, resolve_lang
from .labels import indicator_label, price_suffix, unit_label


def fit_figure(simulated: pd.DataFrame, observed: pd.DataFrame, *, fitted: pd.DataFrame | None = None,
               until: int | None = None, lang: str = "zh"):
    """One panel per observed indicator: median and 10–90% band of ``simulated``, observed points.

    Parameters
    ----------
    simulated : DataFrame
        ``replication, year, indicator, value`` at the fitted parameters.
    observed : DataFrame
        ``indicator, year, value, unit``: every observed row to show.
    fitted : DataFrame, optional
        The rows used in the fit (``indicator, year``), drawn filled; other observed rows hollow.
    until : int, optional
        Last year used for fitting in a back-test (a dashed line).

    Returns
    -------
    matplotlib.figure.Figure
    """
    lang = resolve_lang(lang)
    names = list(dict.fromkeys(observed["indicator"]))
    with plot_style():
        fig, axes = panel_grid(len(names))
        for ax, name in zip(axes, names):
            _panel(ax, simulated, observed, fitted, name, until, lang)
        fig.tight_layout()
    return fig


def save_fit_figure(simulated: pd.DataFrame, observed: pd.DataFrame, stem, **kwargs) -> list:
    """Draw :func:`fit_figure` and write ``stem.png``; return the path list."""
    from .save import save_figure

    with plot_style():
        fig = fit_figure(simulated, observed, **kwargs)
        return save_figure(fig, stem, formats=("png",), close=True)


def draw(folder, *, lang: str = "zh") -> list:
    """The fit figure of a finished ``upgrade-sim calibrate`` folder, from its files."""
    import json
    from pathlib import Path

    folder = Path(folder)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    observed = pd.DataFrame(manifest["observations"])
    simulated = pd.read_parquet(folder / "fit_indicators.parquet")
    from ..indicators import INDICATORS

    observed["unit"] = [INDICATORS[n].unit if n in INDICATORS else None for n in observed["indicator"]]
    paths = save_fit_figure(simulated, observed, folder / "figures" / "fit", fitted=observed, lang=lang)
    if (folder / "forecast.csv").is_file():  # a back-test: the held-out years beside the fitted ones
        forecast = pd.read_csv(folder / "forecast.csv").rename(columns={"observed": "value"})
        held = forecast[["indicator", "year", "value"]].assign(
            unit=[INDICATORS[n].unit if n in INDICATORS else None for n in forecast["indicator"]])
        rows = pd.concat([observed[["indicator", "year", "value", "unit"]], held], ignore_index=True)
        rows = rows.drop_duplicates(["indicator", "year"]).sort_values(["indicator", "year"])
        until = int(forecast["year"].min()) - 1 if len(forecast) else None
        paths += save_fit_figure(simulated, rows, folder / "figures" / "backtest", fitted=observed, until=until, lang=lang)
    return paths


def _panel(ax, simulated, observed, fitted, name, until, lang) -> None:
    sim = simulated[simulated["indicator"] == name].groupby("year")["value"]
    q = pd.DataFrame({"p10": sim.quantile(0.1), "p50": sim.median(), "p90": sim.quantile(0.9)})
    ax.fill_between(q.index, q["p10"], q["p90"], alpha=0.3, color="C0", lw=0,
                    label="模拟 10–90%" if lang == "zh" else "simulated 10–90%")
    ax.plot(q.index, q["p50"], color="C0", lw=1.2, label="模拟中位数" if lang == "zh" else "simulated median")
    obs = observed[observed["indicator"] == name]
    used = obs.set_index(["indicator", "year"]).index.isin(
        fitted.set_index(["indicator", "year"]).index) if fitted is not None else [True] * len(obs)
    ax.scatter(obs["year"][used], obs["value"][used], color="C1", zorder=3, s=18,
               label="观测(拟合)" if lang == "zh" else "observed (fitted)")
    if not all(used):
        free = [not u for u in used]
        ax.scatter(obs["year"][free], obs["value"][free], facecolors="none", edgecolors="C1", zorder=3, s=18,
                   label="观测(未拟合)" if lang == "zh" else "observed (not fitted)")
    if until is not None:
        ax.axvline(until + 0.5, color="0.4", ls="--", lw=0.8)
    unit = obs["unit"].iloc[0] if len(obs) and "unit" in obs else None
    ax.set_title(indicator_label(name, lang))
    ax.set_ylabel(unit_label(unit, lang) + price_suffix(unit, "current", None, lang))  # fitted and observed alike
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.legend(loc="best", fontsize=7)
