"""Words on figures and in reports, in Chinese (the default) and English.

Chinese labels come from the declarations (:data:`~simulation.indicators.INDICATORS`, target
names in the scenario). English labels come from the small tables here, or from an indicator's
identifier made readable (``tax_per_mu`` → "Tax per mu").
"""

from __future__ import annotations

import math
import re

from ..indicators import INDICATORS, is_money

THEMES = ("tiers", "output", "efficiency", "land", "energy", "investment", "innovation", "other")

_THEME = {
    "tiers": ("企业梯度", "Firm tiers"), "output": ("产出", "Output"), "efficiency": ("亩均效益", "Efficiency"),
    "land": ("土地", "Land"), "energy": ("能源", "Energy"), "investment": ("投资", "Investment"),
    "innovation": ("创新", "Innovation"), "other": ("其他", "Other"),
}

# Indicator names that a bare identifier renders badly.
INDICATOR_EN = {
    "firms_below_scale": "Below-scale firms", "firms_above_scale": "Above-scale firms",
    "innovative_sme": "Innovative SMEs", "zjtx_sme": "Specialised SMEs (ZJTX)",
    "little_giants": "Little giants", "single_champions": "Single champions", "high_tech_firms": "High-tech firms",
    "new_above_scale": "Firms entering above-scale", "dropped_below_scale": "Firms dropping below scale",
    "new_little_giants": "New little giants", "new_zjtx_sme": "New specialised SMEs",
    "value_added_above_scale": "Value added, above-scale industry",
    "value_added_above_scale_growth": "Value-added growth, above-scale industry",
    "output_above_scale": "Gross output, above-scale industry",
    "value_added_rate": "Value-added rate, above-scale industry",
    "tax_per_mu": "Tax per mu, above-scale industry", "value_added_per_mu": "Value added per mu",
    "labour_productivity": "Labour productivity", "high_tech_value_added": "High-tech value added",
    "high_tech_value_added_share": "High-tech share of value added",
    "energy_per_value_added": "Energy per value added", "energy_freed": "Energy freed",
    "energy_cap": "Energy cap (incl. purchases)", "energy_allocated": "Energy quota allocated", "energy_rationed": "Energy rationed",
    "carbon_avoided": "CO2 avoided", "land_freed": "Land freed by remediation", "land_free": "Free land",
    "land_held": "Land held", "land_released_exits": "Land released by exits",
    "land_granted_projects": "Land granted to projects", "land_granted_expansion": "Land granted for expansion", "land_total": "Industrial land, total", "land_supplied": "New land supplied",
    "manufacturing_investment": "Manufacturing investment",
    "projects_large_started": "Large projects started", "projects_waiting": "Projects waiting",
    "projects_lost": "Projects lost (waited too long)", "projects_declined": "Leads declined (no land or energy in sight)",
    "investment_lost": "Investment lost", "land_clearing": "Freed land in clearing", "land_cleared": "Freed land back in supply",
    "land_to_other_uses": "Freed land to other uses", "land_waiting": "Land asked for in the queue",
    "energy_overrun": "Energy use above quota",
}

UNIT_EN = {
    "家": "firms", "个": "count", "亿元": "100M CNY", "万元": "10k CNY", "万元/亩": "10k CNY/mu",
    "万元/人": "10k CNY/person", "亩": "mu", "人": "persons", "万吨标准煤": "10k tce", "吨标准煤/万元": "tce/10k CNY",
    "万吨": "10k t", "%": "%", "%/年": "%/yr", "年": "yr", "月": "months", "次": "per yr", "项": "items",
    "吨CO2/吨标准煤": "t CO2/tce", "1": "",
}

# Tier and exit names as the model's flow table writes them.
FLOW_EN = {
    "新设": "new firms", "项目投产": "new projects", "未认定": "not certified", "规下": "below-scale",
    "规上": "above-scale", "创新型中小企业": "innovative SME", "专精特新中小企业": "specialised SME",
    "专精特新小巨人": "little giant", "单项冠军": "single champion", "市场退出": "market exit",
    "淘汰关停": "closed", "兼并搬迁": "merged/relocated", "改造提升": "upgraded", "规范管理": "regularised",
}

# Target names that have no indicator to take an English label from.
TARGET_EN = {
    "建设特色产业园": "Build themed industrial parks", "新建小微企业园": "New small-firm parks",
    "新增上市企业": "New listed firms", "两化融合指数": "IT-industry integration index",
    "数字化车间": "Digital workshops", "浙江制造团体标准": "'Made in Zhejiang' group standards",
    "品字标品牌企业": "'Pin' brand firms", "国家小巨人(培育)": "National little giants (cultivated)",
    "规上工业增加值总量倍增": "Double above-scale value added",
}

TEXT: dict[str, tuple[str | tuple[str, ...], str | tuple[str, ...]]] = {
    "year": ("年份", "Year"), "median": ("中位数", "median"), "observed": ("观测值", "observed"),
    "band": ("{p}% 区间", "{p}% band"), "target": ("目标", "target"), "not_modelled": ("未建模", "not modelled"), "fixed_note": ("† 每次模拟相同: 由输入决定, 而非概率", "† the same in every replication: an input decides, not chance"), "fixed_by": ("由 {by} 设定", "set by {by}"), "rationed_note": ("‡ 多数模拟中能耗双控上限({basis})到目标年份已压减产出(有序用电): 达成概率取决于该上限; 用 explain --lever levers.energy.cap --scale 100 看放开上限时的概率", "‡ in most replications the 能耗双控 cap ({basis}) cut output (有序用电) by the target's year: P(met) reads the cap; explain --lever levers.energy.cap --scale 100 gives it with the cap lifted"), "rationed_short": ("‡ 多数模拟中能耗双控上限({basis})已压减产出: 概率取决于该上限", "‡ in most replications the energy cap ({basis}) cut output: P(met) reads the cap"), "cap_cited": ("有出处", "cited"), "cap_assumed": ("为假设", "an assumption"), "unmodelled_count": ("其余 {n} 项目标 (见目标表)", "{n} more targets (see the target table)"),
    "p_met": ("达成概率", "Probability met"), "current_prices": ("当年价", "current prices"),
    "constant_prices": ("{year}年价", "{year} prices"), "constant_prices_plain": ("不变价", "constant prices"), "cumulative": ("{since}年起累计", "cum. from {since}"),
    "cagr": ("{since}年以来年均增速", "CAGR since {since}"),
    "skill_title": ("{region}: 各起点提前 1–3 年的预测(80% 区间)", "{region}: forecasts 1–3 years ahead from every origin (80% bands)"),
    "skill_order": ("同一年份的多个预测: 自左至右为提前 1、2、3 年", "several forecasts of one year: 1, 2, 3 years ahead, left to right"),
    "horizon": ("预测提前年数", "horizon (years)"), "covered": ("覆盖观测的比例", "share of observations covered"),
    "method_model": ("模型", "model"), "method_model_calibrated": ("模型(校准区间)", "model, calibrated bands"),
    "method_naive": ("朴素漂移", "naive drift"), "method_statistical": ("ETS(A,N,N)", "ETS(A,N,N)"),
    "stat_tiers": ("规上/规下企业数", "Above- and below-scale firms"),
    "cert_tiers": ("梯度培育认定企业数", "Certified firms by tier"),
    "yearly_flows": ("每年进入、升规与退出", "Yearly entries, promotions and exits"),
    "flow_matrix": ("年均流量(家/年)", "Mean yearly flows (firms/yr)"),
    "flow_blocks": ("横线上: 按规模(规下/规上); 横线下: 按认定梯度。认定企业的退出也计入其规模行, 两块不可相加",
                    "Above the line: by size (below or above scale); below: by certificate. A certified firm's exit is also in its size row: do not add the two blocks"), "from": ("来源", "from"), "to": ("去向", "to"),
    "firms": ("家", "firms"), "firms_per_year": ("家/年", "firms/yr"),
    "promoted": ("小升规", "promoted to above-scale"), "demoted": ("退规", "dropped below scale"),
    "exits": ("退出", "exits"),
    "land_stock": ("工业用地存量", "Industrial land stock"), "land_flows": ("每年土地流量", "Yearly land flows"),
    "energy_use": ("工业用能与上限", "Energy use and cap"), "energy_flows": ("每年用能流量", "Yearly energy flows"),
    "queue": ("项目排队与流失", "Projects waiting and lost"),
    "cap": ("上限", "cap"), "projects": ("个", "projects"),
    "sobol_axis": ("Sobol' 指数(柱:估计值;线:置信区间)", "Sobol' index (bar: estimate; line: confidence interval)"),
    "first_order": ("一阶 S1", "first order S1"), "total_order": ("总效应 ST", "total ST"),
    "mu_star": ("μ*(初等效应绝对值均值,{unit})", "μ* (mean absolute elementary effect, {unit})"),
    "sigma": ("σ(初等效应标准差,{unit})", "σ (spread of elementary effects, {unit})"),
    "coverage": ("覆盖率(盒内案例占全部案例)", "coverage (share of all cases inside the box)"),
    "density": ("密度(盒内点中案例占比)", "density (share of the box that are cases)"),
    "restricted": ("受限因素个数", "restricted factors"), "chosen_box": ("选定的盒", "chosen box"),
    "box_position": ("在扫描范围中的位置(0 = 最低值, 1 = 最高值)",
                     "position in the swept range (0 = lowest value swept, 1 = highest)"),
    "box_title": ("盒 {box}:覆盖率 {coverage:.0%},密度 {density:.0%},质量 {mass:.0%}",
                  "box {box}: coverage {coverage:.0%}, density {density:.0%}, mass {mass:.0%}"),
    "case": ("案例", "case"), "no_case": ("非案例", "no"),
    "cases_of": ("{target}:案例 = {word}概率 ≥ {threshold:.0%} 的设计点", "{target}: cases are design points {word} with P ≥ {threshold:.0%}"),
    "met_word": ("达成", "met"), "missed_word": ("未达成", "missed"),
    "p_met_axis": ("达成概率", "P(met)"), "scaled": ("(倍数)", " (× base)"),
    "attainment_of": ("达成概率:{target} {year}年", "P(met): {target} {year}"),
    "measure_of": ("{target}(目标口径) {year}年", "{target} (target measure) {year}"),
    "stamp_run": ("情景 {scenario} · {replications} 次重复", "scenario {scenario} · {replications} replications"),
    "stamp_compare": ("{scenarios} · 各 {replications} 次成对重复", "{scenarios} · {replications} paired replications each"),
    "stamp_sweep": ("情景 {scenario} · {points} 个设计点 × {replications} 次重复",
                    "scenario {scenario} · {points} design points × {replications} replications"),
    "stamp_sensitivity": ("情景 {scenario} · {method} · {points} 个设计点 × {replications} 次重复",
                          "scenario {scenario} · {method} · {points} design points × {replications} replications"),
    "stamp_calibrate": ("情景 {scenario} · 拟合每组参数 {replications} 次重复", "scenario {scenario} · {replications} replications per fitted vector"),
    "likelihood": (("极不可能", "不太可能", "可能性中等", "很可能", "几乎确定"),
                   ("very unlikely", "unlikely", "as likely as not", "likely", "very likely")),
}


def text(key: str, lang: str, **fmt: object) -> str:
    """A piece of interface text in ``lang`` ("zh" or "en"), filled with ``fmt``."""
    value = TEXT[key][0 if lang == "zh" else 1]
    if not isinstance(value, str):
        raise TypeError(f"{key!r} is a list of words: use words()")
    return value.format(**fmt) if fmt else value


def words(key: str, lang: str) -> tuple[str, ...]:
    """A list of interface words in ``lang`` (e.g. the five likelihood classes)."""
    value = TEXT[key][0 if lang == "zh" else 1]
    return (value,) if isinstance(value, str) else tuple(value)


def humanise(identifier: str) -> str:
    """``value_added_per_mu`` → "Value added per mu"."""
    words = identifier.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def indicator_label(name: str, lang: str) -> str:
    """The indicator's Chinese label, or its English name."""
    if lang == "zh":
        return INDICATORS[name].label if name in INDICATORS else name
    return INDICATOR_EN.get(name) or humanise(name)


def unit_label(unit: str | None, lang: str) -> str:
    """A unit as written on an axis ("万元/亩" or "10k CNY/mu")."""
    if unit is None or (isinstance(unit, float) and math.isnan(unit)):
        return ""
    return unit if lang == "zh" else UNIT_EN.get(unit, ascii_or(unit, ""))


def theme_label(theme: str, lang: str) -> str:
    return _THEME.get(theme, (theme, humanise(theme)))[0 if lang == "zh" else 1]


def flow_label(name: str, lang: str) -> str:
    return name if lang == "zh" else FLOW_EN.get(name, ascii_or(name, "other"))


def flow_suffix(indicator: str | None, lang: str) -> str:
    """"（当年）" / " (in the year)" for a flow (each year's amount, not a sum since the start), so a
    year's value beside a cumulative target is not read as the cumulative one; nothing for a stock."""
    ind = INDICATORS.get(indicator) if indicator else None
    if ind is None or not ind.flow:
        return ""
    return "（当年）" if lang == "zh" else " (in the year)"


def price_suffix(unit: str | None, basis: str, base_year: int | None, lang: str) -> str:
    """The prices a money quantity is shown at, as a suffix to its unit: "（当年价）" or " (2020 prices)"
    (" (constant prices)" without a base year); nothing for a unit that is not money."""
    if not is_money(unit):
        return ""
    words = (text("current_prices", lang) if basis == "current" else text("constant_prices", lang, year=base_year)
             if base_year is not None else text("constant_prices_plain", lang))
    return f"（{words}）" if lang == "zh" else f" ({words})"


def measure_words(measure: str, since: int, lang: str) -> str:
    """A cumulative or CAGR measure in words: a sum "since 2020" runs from 2021 (2021年起累计)."""
    return text("cumulative", lang, since=since + 1) if measure == "cumulative" else text("cagr", lang, since=since)


def measure_suffix(measure: str, since, lang: str) -> str:
    """How a target reads its indicator: "" for a level, else "(2021年起累计)" and the like."""
    if measure == "level" or since is None or (isinstance(since, float) and math.isnan(since)):
        return ""
    inner = measure_words(measure, int(since), lang)
    return f"（{inner}）" if lang == "zh" else f" ({inner})"


def basis_suffix(row, lang: str) -> str:
    """The prices a target row's money is judged at (its ``basis``), as a unit suffix; nothing for a
    unit that is not money, or a row written before the basis was kept."""
    basis = getattr(row, "basis", None)
    return price_suffix(row.unit, basis, None, lang) if isinstance(basis, str) else ""


def target_label(row, lang: str) -> str:
    """A target's name: the document's wording in Chinese, an English rendering otherwise.

    ``row`` is a row of :func:`simulation.targets.evaluate_targets` (or anything with
    ``name``, ``indicator``, ``measure`` and ``since`` attributes).
    """
    if lang == "zh":
        return str(row.name)
    if row.name in TARGET_EN:
        return TARGET_EN[row.name]
    indicator = row.indicator if isinstance(row.indicator, str) else None
    if indicator:
        return indicator_label(indicator, "en") + measure_suffix(row.measure, row.since, "en")
    return ascii_or(str(row.name), "Target")


def goal_label(row, lang: str) -> str:
    """"2025年 ≥117 万元/亩" or "2025 ≥117 10k CNY/mu"."""
    value = row.target
    if value is None or (isinstance(value, float) and math.isnan(value)):
        goal = ""
    else:
        goal = f"{_OP.get(row.op, row.op)}{value:g}"
    unit = unit_label(row.unit, lang)
    if unit.startswith("%") and goal:
        goal, unit = goal + unit, ""
    if unit == "count":  # a bare counter (个) says nothing after a number
        unit = ""
    year = f"{int(row.year)}年" if lang == "zh" else f"{int(row.year)}"
    return " ".join(part for part in (year, goal, unit) if part)


_OP = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "==": "="}


def op_symbol(op: str) -> str:
    return _OP.get(op, op)


def ascii_or(value: str, fallback: str) -> str:
    """``value`` if it has no CJK characters (an English label must not need a CJK font)."""
    return fallback if re.search(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]", value) else value


def factor_labels(factors: list[dict], lang: str) -> dict[str, str]:
    """Factor name (its column in the design) → a readable label: the lever's Chinese name, or English words.

    ``factors`` are the spec's factors as written in a manifest (``path``, ``name``, ``scale``…).
    """
    from ..paths import path_label

    labels = {}
    for f in factors or []:
        name = f.get("name") or f["path"]
        label = path_label(f["path"], lang, name=f.get("name"))
        labels[name] = label + (text("scaled", lang) if f.get("scale") else "")
    return labels


def output_label(output: str, lang: str) -> str:
    """A sensitivity output (``tax_per_mu@2025``, ``attainment:NAME@2025``) in words, with its unit."""
    name, _, year = output.rpartition("@")
    kind, _, target = name.partition(":")
    if not target:
        unit = unit_label(INDICATORS[name].unit, lang) if name in INDICATORS else ""
        when = f"{year}年" if lang == "zh" else year
        return f"{indicator_label(name, lang)} {when}" + (f" ({unit})" if unit else "")
    target = target if lang == "zh" else ascii_or(target, "target")
    return text("attainment_of" if kind == "attainment" else "measure_of", lang, target=target, year=year)
