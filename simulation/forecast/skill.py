"""Measured skill, summarised: per indicator and method, from a back-test's ``skill.csv``.

:func:`summarise` turns the per-point table into coverage of the 50/80/95% bands, mean interval
score (80% band), mean CRPS and median absolute percentage error (MdAPE), each with its number of
points. Every method is summarised on the points where the model has a forecast **and** the
method has one, and the model's MdAPE on the same points is given beside each baseline's, so a
comparison never mixes different points. :func:`goal_summary` does the same over the goal groups
(all points; tier counts; 规上增加值 level, growth, and both).

:func:`skill_for` answers the run report's question ("how far can each fan chart be trusted?")
for the indicators a run forecasts; :func:`skill_html` renders it as a small HTML fragment.
"""

from __future__ import annotations

import html
import math
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from .scores import BANDS

SUMMARY_COLUMNS = (["region", "indicator", "method", "n", "n_interval"]
                   + [f"coverage{b}" for b in BANDS]
                   + ["interval_score80", "crps", "mdape", "mdape_model_same_points"])


def read_skill(path: str | Path) -> pd.DataFrame:
    """A ``skill.csv`` written by ``upgrade-sim backtest --rolling``."""
    path = Path(path)
    if path.is_dir():
        path = path / "skill.csv"
    if not path.is_file():
        raise InputError("no skill table here (run `upgrade-sim backtest --rolling` first)", file=str(path))
    return pd.read_csv(path)


def _point_key(frame: pd.DataFrame) -> pd.Series:
    return frame["region"].astype(str) + "|" + frame["indicator"] + "|" + frame["origin"].astype(str) + "|" + frame["year"].astype(str)


def summarise(skill: pd.DataFrame, by=("region", "indicator")) -> pd.DataFrame:
    """One row per group in ``by`` and method (see the module docstring)."""
    by = list(by)
    skill = skill.assign(_key=_point_key(skill))
    model = skill[skill["method"] == "model"].set_index("_key")["ape"]
    rows = []
    groups = skill.groupby(by, sort=True) if by else [((), skill)]
    for key, group in groups:
        key = key if isinstance(key, tuple) else (key,)
        methods = ("model", "model_calibrated", "naive", "statistical")
        for method in [m for m in methods if m != "model_calibrated" or (skill["method"] == m).any()]:
            g = group[(group["method"] == method) & group["median"].notna() & group["_key"].isin(model.index)]
            banded = g[g["lo80"].notna()]
            row = dict(zip(by, key), method=method, n=len(g), n_interval=len(banded))
            for b in BANDS:
                row[f"coverage{b}"] = float(banded[f"covered{b}"].astype(float).mean()) if len(banded) else math.nan
            # scores in the data's units: a mean over 家, 亿元 and % together means nothing, so none is given
            one_unit = len(banded) and ("unit" not in banded or banded["unit"].nunique(dropna=False) == 1)
            row["interval_score80"] = float(banded["is80"].mean()) if one_unit else math.nan
            row["crps"] = float(banded["crps"].mean()) if one_unit else math.nan
            row["mdape"] = float(np.nanmedian(g["ape"])) if g["ape"].notna().any() else math.nan
            same = model.reindex(g["_key"]).dropna()
            row["mdape_model_same_points"] = float(np.median(same)) if len(same) else math.nan
            rows.append(row)
    return pd.DataFrame(rows, columns=by + SUMMARY_COLUMNS[2:])


# the issue's goal groups: the model's MdAPE should be below both baselines' on each (same points)
GOAL_GROUPS = {
    "all": None,
    "tier counts (规上 / 专精特新 / 小巨人 / 单项冠军)": ("firms_above_scale", "new_above_scale", "zjtx_sme", "little_giants",
                                                  "new_little_giants", "single_champions", "new_single_champions"),
    "规上增加值 level": ("value_added_above_scale",),
    "规上增加值 growth": ("value_added_above_scale_growth",),
    "规上增加值 level and growth": ("value_added_above_scale", "value_added_above_scale_growth"),
}


def goal_summary(skill: pd.DataFrame) -> pd.DataFrame:
    """:func:`summarise` over each of :data:`GOAL_GROUPS` (groups may share points), column ``goal``."""
    parts = []
    for goal, indicators in GOAL_GROUPS.items():
        rows = skill if indicators is None else skill[skill["indicator"].isin(indicators)]
        parts.append(summarise(rows, by=()).assign(goal=goal))
    table = pd.concat(parts, ignore_index=True)
    return table[["goal", *table.columns.drop("goal")]]


def skill_for(indicators, skill: pd.DataFrame | str | Path, region: str | None = None) -> pd.DataFrame:
    """The measured skill of the model and its baselines for ``indicators`` (all regions pooled
    unless ``region`` is given). Indicators never back-tested get a row with ``n = 0``."""
    if not isinstance(skill, pd.DataFrame):
        skill = read_skill(skill)
    if region is not None:
        skill = skill[skill["region"] == region]
    wanted = list(dict.fromkeys(indicators))
    table = summarise(skill[skill["indicator"].isin(wanted)], by=("indicator",))
    missing = [i for i in wanted if i not in set(table["indicator"])]
    empty = pd.DataFrame([{"indicator": i, "method": "model", "n": 0, "n_interval": 0} for i in missing])
    return pd.concat([table, empty], ignore_index=True).reindex(columns=table.columns) if missing else table


def _fmt(value, kind: str) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    if kind == "pct":
        return f"{100 * value:.0f}%"
    if kind == "err":
        return f"{value:.1f}%"
    return f"{value:.3g}"


# calibrated bands are labelled as such wherever shown (simulation.forecast.discrepancy)
METHOD_LABELS = {"model": "model (raw)", "model_calibrated": "model, calibrated bands (out-of-sample discrepancy)"}
_METHOD_ZH = {"model": "模型(原始)", "model_calibrated": "模型, 校准区间(样本外偏差)", "naive": "朴素趋势",
              "statistical": "统计基准 ETS(A,N,N)"}

# the table's words by language: headers, points, the pooled scope and the note under it
_WORDS = {
    "en": (["indicator", "method", "points", "80% band covers", "95% band covers", "interval score (80%)", "CRPS",
            "MdAPE", "model MdAPE, same points"], "{n} ({k} with band)", "all regions",
           "Measured on a rolling-origin back-test (forecasts 1–3 years ahead from every origin with data, scored "
           "against later observations). Nominal coverage: 80% and 95%. Few points mean wide uncertainty about the "
           "skill itself.",
           " An indicator marked (all regions) has no back-test point in this region: its rows pool the regions that "
           "have."),
    "zh": (["指标", "方法", "检验点", "80%区间覆盖率", "95%区间覆盖率", "区间得分(80%)", "CRPS", "MdAPE",
            "同检验点上模型的 MdAPE"], "{n} (其中 {k} 个有区间)", "全部地区",
           "滚动起点回测: 从每个有数据的起点向前预测 1–3 年, 以其后的观测值评分. 名义覆盖率为 80% 和 95%. "
           "检验点少时, 预测能力本身的不确定性也大.",
           " 标注(全部地区)的指标在本地区没有回测点: 其各行合并了有回测点的地区."),
}


def skill_html(table: pd.DataFrame, *, labels: dict[str, str] | None = None, lang: str = "en") -> str:
    """A small HTML table of :func:`skill_for`'s result (no styles; the report's sheet applies)."""
    labels = labels or {}
    head, points, pooled, note, pooled_note = _WORDS["zh" if lang == "zh" else "en"]
    methods = _METHOD_ZH if lang == "zh" else METHOD_LABELS
    lines = ["<table class=\"skill\">", "<tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr>"]
    for r in table.itertuples():
        method = methods.get(r.method, r.method)
        name = labels.get(r.indicator, r.indicator) + (f" ({pooled})" if getattr(r, "scope", "") == "all regions" else "")
        cells = [html.escape(name), method, points.format(n=int(r.n), k=int(r.n_interval)),
                 _fmt(r.coverage80, "pct"), _fmt(r.coverage95, "pct"), _fmt(r.interval_score80, "num"),
                 _fmt(r.crps, "num"), _fmt(r.mdape, "err"), _fmt(r.mdape_model_same_points, "err")]
        lines.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    lines.append("</table>")
    shown = note + (pooled_note if "scope" in table and (table["scope"] == "all regions").any() else "")
    return f"<p>{shown}</p>" + "\n".join(lines)


DEFAULT_SKILL = Path(__file__).resolve().parents[2] / "calibration" / "skill" / "skill.csv"


def report_fragment(indicators, skill_path: str | Path | None = None, *, region: str | None = None,
                    labels: dict[str, str] | None = None, lang: str = "en") -> str:
    """The HTML the run report shows beside its fan charts: the measured skill for ``indicators``.

    Reads ``skill_path`` (default: ``calibration/skill/skill.csv``, written by
    ``upgrade-sim backtest --rolling scenarios -o calibration/skill``); an empty string when there
    is no skill table, so a report without one simply has no skill section.
    """
    path = Path(skill_path) if skill_path is not None else DEFAULT_SKILL
    if path.is_dir():
        path = path / "skill.csv"
    if not path.is_file():
        return ""
    skill = read_skill(path)
    return skill_html(regional_skill(indicators, skill, region), labels=labels, lang=lang)


def regional_skill(indicators, skill: pd.DataFrame, region: str | None) -> pd.DataFrame:
    """:func:`skill_for` on ``region``'s own points; an indicator the region has none of is shown
    pooled over every region that has (``scope`` says which), so a fan chart still has a measure."""
    if region is None or region not in set(skill["region"]):
        return skill_for(indicators, skill).assign(scope="all regions")
    own = skill_for(indicators, skill[skill["region"] == region]).assign(scope=region)
    untested = own.loc[(own["method"] == "model") & (own["n"] == 0), "indicator"].tolist()
    pooled = skill_for(untested, skill).assign(scope="all regions") if untested else own.iloc[:0]
    pooled = pooled[pooled["indicator"].isin(set(pooled.loc[pooled["n"] > 0, "indicator"]))]
    own = own[~own["indicator"].isin(set(pooled["indicator"]))]
    order = {name: i for i, name in enumerate(dict.fromkeys(indicators))}
    table = pd.concat([own, pooled], ignore_index=True)
    return table.sort_values("indicator", key=lambda c: c.map(order), kind="stable", ignore_index=True)
