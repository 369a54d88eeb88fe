"""Scenario comparison figures: the difference in attainment per target, and indicators side by side."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .fonts import GREY, OKABE_ITO, cm
from .labels import flow_suffix, indicator_label, price_suffix, target_label, unit_label
from .save import save_figure, stamp_in_force
from .workers import draw_all

SERIES = [OKABE_ITO[c] for c in ("blue", "vermillion", "green", "orange", "purple", "sky", "black")]
# drawn when the scenarios share no target (e.g. two regions)
DEFAULT_INDICATORS = ("value_added_above_scale", "tax_per_mu", "land_freed_cumulative", "energy_used",
                      "firms_above_scale")


def attainment_difference(targets: pd.DataFrame, *, lang: str = "zh", ax=None):
    """Per target, each scenario's P(met) minus the reference's, with its 90% paired interval."""
    import matplotlib.pyplot as plt

    scenarios = list(dict.fromkeys(targets["scenario"]))
    reference, others = scenarios[0], scenarios[1:]
    keys = targets.drop_duplicates(["name", "indicator", "year", "measure", "since", "op", "target"])
    if ax is None:
        _, ax = plt.subplots(figsize=cm(16, 2 + 0.55 * len(keys) * max(len(others), 1)), layout="constrained")
    height = 0.8 / max(len(others), 1)
    labels = []
    for i, key in enumerate(keys.itertuples()):
        rows = targets[(targets["name"] == key.name) & (targets["year"] == key.year) & (targets["target"] == key.target)]
        ref = rows[rows["scenario"] == reference]["p_met"].iloc[0]
        labels.append(f"{target_label(key, lang)} {int(key.year)}  ({ref:.0%})")
        for j, name in enumerate(others):
            r = rows[rows["scenario"] == name].iloc[0]
            y = i + (j - (len(others) - 1) / 2) * height
            ax.barh(y, r["diff"], height=height * 0.9, color=SERIES[(j + 1) % len(SERIES)],
                    label=name if i == 0 else None)
            ax.errorbar(r["diff"], y, xerr=[[r["diff"] - r["diff_lo"]], [r["diff_hi"] - r["diff"]]], fmt="none",
                        ecolor="black", elinewidth=0.8, capsize=2)
    ax.set_yticks(range(len(keys)), labels)
    ax.invert_yaxis()
    ax.axvline(0, color=GREY, lw=0.8)
    ax.set_xlim(-1.05, 1.05)
    ax.xaxis.set_major_formatter(lambda v, _: f"{100 * v:+.0f}" if v else "0")
    ax.set_xlabel(f"达成概率之差(百分点,相对 {reference})\n括号内为 {reference} 的达成概率" if lang == "zh"
                  else f"Difference in P(met) against {reference}, percentage points\n(its P(met) in brackets)")
    ax.legend(loc="lower right", frameon=False, fontsize="small")
    return ax


def indicator_lines(indicators: pd.DataFrame, indicator: str, *, lang: str = "zh", ax=None):
    """The indicator's median and 10–90% band under each scenario."""
    import matplotlib.pyplot as plt

    from ..indicators import INDICATORS

    if ax is None:
        _, ax = plt.subplots(figsize=cm(16, 9), layout="constrained")
    rows = indicators[indicators["indicator"] == indicator]
    for k, (name, group) in enumerate(rows.groupby("scenario", sort=False)):
        colour = SERIES[k % len(SERIES)]
        ax.fill_between(group["year"], group["p10"], group["p90"], color=colour, alpha=0.18, lw=0)
        ax.plot(group["year"], group["median"], color=colour, lw=1.8, label=name,
                ls=("-", "--", ":", "-.")[k % 4])  # line styles keep scenarios apart in grey
    ax.set_title(indicator_label(indicator, lang))
    unit = INDICATORS[indicator].unit if indicator in INDICATORS else None
    # compare_indicators: money at current prices; a flow is each year's amount, not a sum since the start
    ax.set_ylabel(unit_label(unit, lang) + price_suffix(unit, "current", 0, lang) + flow_suffix(indicator, lang))
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.legend(frameon=False, fontsize="small")
    return ax


def draw(folder: str | Path, *, lang: str = "zh", workers: int = 1) -> list[Path]:
    """Every comparison figure of a ``upgrade-sim compare`` folder (PNG paths), in ``workers`` processes."""
    return draw_all(CompareFigures.of(folder, lang=lang), workers)


@dataclass(frozen=True)
class CompareFigures:
    """The figures of a comparison folder, each drawn and saved by its file stem (picklable: see
    :mod:`.workers`)."""

    targets: pd.DataFrame
    indicators: pd.DataFrame
    folder: Path
    lang: str
    note: str | None  # the corner stamp

    @classmethod
    def of(cls, folder: str | Path, *, lang: str = "zh") -> CompareFigures:
        """The figures of ``folder``, stamped with the note in force here (see :func:`.save.stamped`)."""
        folder = Path(folder)
        return cls(pd.read_csv(folder / "compare_targets.csv"), pd.read_parquet(folder / "compare_indicators.parquet"),
                   folder / "figures", lang, stamp_in_force())

    def stems(self) -> list[str]:
        targets, indicators = self.targets, self.indicators
        wanted = list(dict.fromkeys(targets["indicator"])) if len(targets) else list(DEFAULT_INDICATORS)
        drawn = set(indicators["indicator"])
        return (["attainment_difference"] if len(targets) else []) + [f"compare_{i}" for i in wanted if i in drawn]

    def draw(self, stem: str) -> Path:
        from matplotlib.figure import Figure

        lang, targets = self.lang, self.targets
        if stem == "attainment_difference":
            n = targets.drop_duplicates(["name", "year", "target"]).shape[0] * max(targets["scenario"].nunique() - 1, 1)
            fig = Figure(figsize=cm(16, 2.5 + 0.55 * n), layout="constrained")
            attainment_difference(targets, lang=lang, ax=fig.add_subplot())
        else:
            fig = Figure(figsize=cm(16, 9), layout="constrained")
            indicator_lines(self.indicators, stem.removeprefix("compare_"), lang=lang, ax=fig.add_subplot())
        return save_figure(fig, self.folder / stem)[0]


__all__ = ["CompareFigures", "attainment_difference", "indicator_lines", "draw"]
