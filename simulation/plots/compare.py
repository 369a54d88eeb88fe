"""Scenario comparison figures: the difference in attainment per target, and indicators side by side."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from .fonts import GREY, OKABE_ITO, cm
from .labels import flow_suffix, indicator_label, price_suffix, target_label, unit_label
from .save import save_figure, stamp_in_force
from .workers import draw_all

SERIES = [OKABE_ITO[c] for c in ("blue", "vermillion", "green", "orange", "purple", "sky", "black")]
# drawn when the scenarios share no target (e.g. two regions)
DEFAULT_INDICATORS = ("value_added_above_scale", "tax_per_mu", "land_freed_cumulative", "energy_used",
                      "firms_above_scale")


def scenario_label(name: str, title: str | None, lang: str) -> str:
    """How a figure names a scenario: in Chinese its title, the part after a colon where it has one
    (a variant's "…:整治力度加倍"); in English, or without a title, its name."""
    if lang != "zh" or not title:
        return name
    return re.split("[:：]", title, maxsplit=1)[-1].strip() or name


def attainment_difference(targets: pd.DataFrame, *, lang: str = "zh", ax=None, labels: dict[str, str] | None = None):
    """Per target, each scenario's P(met) minus the reference's, with its 90% paired interval.
    ``labels``: how to name each scenario (default: its name)."""
    import matplotlib.pyplot as plt

    scenarios = list(dict.fromkeys(targets["scenario"]))
    named = labels or {}
    reference, others = scenarios[0], scenarios[1:]
    keys = targets.drop_duplicates(["name", "indicator", "year", "measure", "since", "op", "target"])
    if ax is None:
        _, ax = plt.subplots(figsize=cm(16, 2 + 0.55 * len(keys) * max(len(others), 1)), layout="constrained")
    height = 0.8 / max(len(others), 1)
    rows_shown = []
    for i, key in enumerate(keys.itertuples()):
        rows = targets[(targets["name"] == key.name) & (targets["year"] == key.year) & (targets["target"] == key.target)]
        ref = rows[rows["scenario"] == reference]["p_met"].iloc[0]
        rows_shown.append(f"{target_label(key, lang)} {int(key.year)}  ({ref:.0%})")
        for j, name in enumerate(others):
            r = rows[rows["scenario"] == name].iloc[0]
            y = i + (j - (len(others) - 1) / 2) * height
            ax.barh(y, r["diff"], height=height * 0.9, color=SERIES[(j + 1) % len(SERIES)],
                    label=named.get(name, name) if i == 0 else None)
            ax.errorbar(r["diff"], y, xerr=[[r["diff"] - r["diff_lo"]], [r["diff_hi"] - r["diff"]]], fmt="none",
                        ecolor="black", elinewidth=0.8, capsize=2)
    ax.set_yticks(range(len(keys)), rows_shown)
    ax.invert_yaxis()
    ax.axvline(0, color=GREY, lw=0.8)
    ax.set_xlim(-1.05, 1.05)
    ax.xaxis.set_major_formatter(lambda v, _: f"{100 * v:+.0f}" if v else "0")
    ref = named.get(reference, reference)
    ax.set_xlabel(f"达成概率之差(百分点,相对 {ref})\n括号内为 {ref} 的达成概率" if lang == "zh"
                  else f"Difference in P(met) against {ref}, percentage points\n(its P(met) in brackets)")
    ax.legend(loc="lower right", frameon=False, fontsize="small")
    return ax


def indicator_lines(indicators: pd.DataFrame, indicator: str, *, lang: str = "zh", ax=None,
                    labels: dict[str, str] | None = None):
    """The indicator's median and 10–90% band under each scenario: the reference's band shaded, the
    others' drawn as their edges (shaded bands of three scenarios blend into one colour).
    ``labels``: how to name each scenario (default: its name)."""
    import matplotlib.pyplot as plt

    from ..indicators import INDICATORS

    if ax is None:
        _, ax = plt.subplots(figsize=cm(16, 9), layout="constrained")
    rows = indicators[indicators["indicator"] == indicator]
    named = labels or {}
    order = [name for name in named if name in set(rows["scenario"])] or list(dict.fromkeys(rows["scenario"]))
    for k, name in enumerate(order):  # the reference first
        group = rows[rows["scenario"] == name]
        colour, style = SERIES[k % len(SERIES)], ("-", "--", ":", "-.")[k % 4]  # styles keep scenarios apart in grey
        if k == 0:
            ax.fill_between(group["year"], group["p10"], group["p90"], color=colour, alpha=0.18, lw=0)
        else:
            for edge in ("p10", "p90"):
                ax.plot(group["year"], group[edge], color=colour, lw=0.9, ls=style, alpha=0.8)
        ax.plot(group["year"], group["median"], color=colour, lw=1.8, label=named.get(name, name), ls=style)
    ax.set_title(indicator_label(indicator, lang))
    unit = INDICATORS[indicator].unit if indicator in INDICATORS else None
    # compare_indicators: money at current prices; a flow is each year's amount, not a sum since the start
    ax.set_ylabel(unit_label(unit, lang) + price_suffix(unit, "current", 0, lang) + flow_suffix(indicator, lang))
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.legend(frameon=False, fontsize="small", title="中位数与 10–90% 区间" if lang == "zh" else "median and 10–90% band",
              title_fontsize="small")
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
    labels: dict[str, str]  # how the figures name each scenario (see scenario_label)

    @classmethod
    def of(cls, folder: str | Path, *, lang: str = "zh") -> CompareFigures:
        """The figures of ``folder``, stamped with the note in force here (see :func:`.save.stamped`)."""
        folder = Path(folder)
        indicators = pd.read_parquet(folder / "compare_indicators.parquet")
        labels = {name: scenario_label(name, _title(folder / "runs" / f"{name}.yaml"), lang)
                  for name in _scenarios(folder) or dict.fromkeys(indicators["scenario"])}
        return cls(pd.read_csv(folder / "compare_targets.csv"), indicators, folder / "figures", lang, stamp_in_force(),
                   labels)

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
            attainment_difference(targets, lang=lang, ax=fig.add_subplot(), labels=self.labels)
        else:
            fig = Figure(figsize=cm(16, 9), layout="constrained")
            indicator_lines(self.indicators, stem.removeprefix("compare_"), lang=lang, ax=fig.add_subplot(),
                            labels=self.labels)
        return save_figure(fig, self.folder / stem)[0]


def _scenarios(folder: Path) -> list[str]:
    """The scenarios of a comparison in the order it ran them, the reference first (none where the
    manifest does not say)."""
    from ..errors import InputError
    from .figures import read_manifest

    try:
        return [entry["name"] for entry in read_manifest(folder).get("scenarios", [])]
    except (InputError, KeyError, TypeError):
        return []


def _title(path: Path) -> str | None:
    """The title of a scenario as the comparison ran it (None where the folder does not have it)."""
    try:
        title = yaml.safe_load(path.read_text(encoding="utf-8")).get("title")
    except (OSError, yaml.YAMLError, AttributeError):
        return None
    return title if isinstance(title, str) else None


__all__ = ["CompareFigures", "attainment_difference", "indicator_lines", "draw"]
