"""Indicators, declared once: name, Chinese label, unit, theme and formula.

Targets, tables and plots refer to indicators by name. Each formula reads a :class:`Snapshot`
of one year: the population after the year-end review, the year's flow counters and the pools.
Stocks are end-of-year; flows are over the year. Money is at base-year prices (growth is real).
Growth of value added is on a comparable basis (同口径), as the statistics bureaus report it: this
year's 规上 firms against their own last year, and this year's 规下 firms against theirs (value added
itself is of the firms on each side of the line at the year's end). All-industry growth adds the
two as the accounts do.
Growth of per-mu and per-person ratios is of the ratio itself.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, fields

import numpy as np

from .books import canonical
from .tiers import Cert


@dataclass(frozen=True)
class Indicator:
    name: str
    label: str
    unit: str
    theme: str
    formula: Callable[[Snapshot], float] = field(repr=False, compare=False)
    flow: bool = False  # a yearly flow (sums over years make sense) rather than a stock or ratio


def is_money(unit: str | None) -> bool:
    """Whether a unit is money (亿元, 万元/亩, 万元/人…): such a quantity has a price basis."""
    return unit is not None and "元" in str(unit)


@dataclass
class Snapshot:
    """Everything the formulas read for one year."""

    year: int
    values: dict[str, float]  # the aggregates below, by name
    counts: dict[str, float]  # the year's flow counters
    prev: dict[str, float]  # last year's indicator values

    def __post_init__(self) -> None:  # the aggregates as attributes: read without a call each
        if not _SNAPSHOT_FIELDS.isdisjoint(self.values):
            raise ValueError(f"aggregates named as snapshot fields: {sorted(_SNAPSHOT_FIELDS & self.values.keys())}")
        self.__dict__.update(self.values)

    def __getattr__(self, name: str) -> float:  # an aggregate added to ``values`` after the start
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None

    def count(self, name: str) -> float:
        """The year's counter ``name``; an undeclared name is an error, never a silent 0."""
        return float(self.counts.get(canonical(name), 0.0))

    def growth(self, indicator: str, level: float) -> float:
        before = self.prev.get(indicator, math.nan)
        return 100.0 * (level / before - 1.0) if before and math.isfinite(before) else math.nan


_SNAPSHOT_FIELDS = frozenset(f.name for f in fields(Snapshot))


def _ratio(a: float, b: float, scale: float = 1.0) -> float:
    return scale * a / b if b > 0 else math.nan


_DECLARED: list[Indicator] = []
# indicators that read one aggregate or one counter, / a scale: name -> (counter?, key, scale)
_READS: dict[str, tuple[bool, str, float]] = {}


def indicator(name: str, label: str, unit: str, theme: str, *, flow: bool = False):
    def register(formula: Callable[[Snapshot], float]) -> Callable[[Snapshot], float]:
        _DECLARED.append(Indicator(name, label, unit, theme, formula, flow))
        return formula

    return register


def _declare(rows: list[tuple], unit: str, theme: str, *, flow: bool, scale: float = 1.0) -> None:
    """Declare indicators that each read one aggregate (a stock: ``(name, label, key)``) or the
    counter of their own name (a flow: ``(name, label)``), / ``scale``."""
    for name, label, *key in rows:
        if flow:
            _READS[name] = (True, canonical(name), scale)  # a flow indicator must name a declared counter
            indicator(name, label, unit, theme, flow=flow)(lambda s, k=name: s.count(k) / scale)
        else:
            _READS[name] = (False, key[0], scale)
            indicator(name, label, unit, theme, flow=flow)(lambda s, k=key[0]: s.values[k] / scale)


# --- tiers -----------------------------------------------------------------------------------
_declare([
    ("firms_below_scale", "规下工业企业数", "n_below"),
    ("firms_above_scale", "规上工业企业数", "n_above"),
    ("innovative_sme", "创新型中小企业数", "n_cert1"),
    ("zjtx_sme", "专精特新中小企业数", "n_cert2"),
    ("little_giants", "专精特新小巨人企业数", "n_cert3"),
    ("single_champions", "单项冠军企业数", "n_cert4"),
    ("high_tech_firms", "高新技术企业数", "n_high_tech"),
], "家", "tiers", flow=False)

_declare([
    ("new_above_scale", "新进规企业数(小升规)"),
    ("dropped_below_scale", "退规企业数"),
    ("new_innovative_sme", "新增创新型中小企业"),
    ("new_zjtx_sme", "新增专精特新中小企业"),
    ("new_little_giants", "新增专精特新小巨人"),
    ("new_single_champions", "新增单项冠军"),
    ("certificates_withdrawn", "复核未通过(降级)企业数"),
    ("new_high_tech_firms", "新认定高新技术企业"),
    ("firm_births", "新设企业数"),
    ("exits_market", "市场退出企业数"),
    ("exits_closed", "淘汰关停企业数"),
    ("exits_merged", "兼并搬迁企业数"),
    ("remediated_upgraded", "改造提升企业数"),
    ("remediated_regularised", "规范管理企业数"),
    ("remediated_low_efficiency", "高耗低效企业整治数"),
    ("remediated_scattered", "散乱弱企业整治数"),
    # the 淘汰关停 route of the 高耗低效 list: the documents' 淘汰落后产能 (散乱弱 closures not counted)
    ("closed_backward_capacity", "淘汰落后产能企业数"),
    ("leases_reclaimed", "先租后让未达标收回企业数"),
], "家", "tiers", flow=True)

# Counts an input sets outright whenever the region has the firms to act on: the campaign's yearly
# number, or a certification round's quota once more firms qualify than it admits. A target on one
# of them, the same in every replication, is met or missed by that input, not by the firms.
SET_BY_INPUT = {
    "remediated_low_efficiency": "levers.remediation.firms_per_year",
    "remediated_scattered": "levers.scattered_weak.firms_per_year",
    "new_innovative_sme": "parameters.certification.innovative_sme (quota)",
    "new_zjtx_sme": "parameters.certification.zjtx_sme (quota)",
    "new_little_giants": "parameters.certification.little_giant (quota)",
    "new_single_champions": "parameters.certification.single_champion (quota)",
}


# --- output and efficiency -------------------------------------------------------------------
@indicator("output_above_scale", "规上工业总产值", "亿元", "output")
def _output(s: Snapshot) -> float:
    return s.out_above / 1e4


@indicator("value_added_above_scale", "规上工业增加值", "亿元", "output")
def _va(s: Snapshot) -> float:
    return s.va_above / 1e4


@indicator("value_added_above_scale_growth", "规上工业增加值增速", "%", "output")
def _va_growth(s: Snapshot) -> float:
    """同口径, as the statistics compare: the firms of this year's 规上 directory (名录库, set by last
    year's review) that report at the year's end, against their own last year, with the plants
    admitted during the year (月度入库) counted from nothing. A firm that crosses the line this year
    counts from next year; one that falls below it still counts this year."""
    return _ratio(s.va_comparable, s.va_comparable_prev, 100.0) - 100.0


@indicator("value_added_below_scale", "规下工业增加值", "亿元", "output")
def _va_below(s: Snapshot) -> float:
    """Everything else the year made, firms that left during it included."""
    return s.va_below / 1e4


@indicator("value_added_below_scale_growth", "规下工业增加值增速", "%", "output")
def _va_below_growth(s: Snapshot) -> float:
    """What the accounts leave for 规下: all industry less the 同口径 规上 firms, this year and last
    (``calibration.below_scale`` derives the observed figures the same way). So it is a level's
    growth, with the year's births, exits and closures in it, not a panel of survivors."""
    return _ratio(s.va_all - s.va_comparable, s.va_all_prev - s.va_comparable_prev, 100.0) - 100.0


@indicator("industrial_value_added", "全部工业增加值", "亿元", "output")
def _va_all(s: Snapshot) -> float:
    """The year's value added, firms that left during it included (they made their months)."""
    return s.va_all / 1e4


@indicator("industrial_value_added_growth", "全部工业增加值增速", "%", "output")
def _va_all_growth(s: Snapshot) -> float:
    """The year's total over last year's: the two parts added up, as the accounts add them."""
    return _ratio(s.va_all, s.va_all_prev, 100.0) - 100.0


@indicator("value_added_rate", "规上工业增加值率", "%", "efficiency")
def _va_rate(s: Snapshot) -> float:
    return _ratio(s.va_above, s.out_above, 100.0)


@indicator("tax_per_mu", "规上工业亩均税收", "万元/亩", "efficiency")
def _tax_per_mu(s: Snapshot) -> float:
    return _ratio(s.tax_above_landed, s.land_above)


@indicator("value_added_per_mu", "规上工业亩均增加值", "万元/亩", "efficiency")
def _va_per_mu(s: Snapshot) -> float:
    return _ratio(s.va_above_landed, s.land_above)


@indicator("value_added_per_mu_growth", "规上工业亩均增加值增速", "%", "efficiency")
def _va_per_mu_growth(s: Snapshot) -> float:
    return s.growth("value_added_per_mu", _va_per_mu(s))


@indicator("labour_productivity", "规上工业全员劳动生产率", "万元/人", "efficiency")
def _productivity(s: Snapshot) -> float:
    return _ratio(s.va_above, s.employees_above)


@indicator("labour_productivity_growth", "规上工业全员劳动生产率增速", "%", "efficiency")
def _productivity_growth(s: Snapshot) -> float:
    return s.growth("labour_productivity", _productivity(s))


@indicator("high_tech_value_added", "高新技术产业增加值", "亿元", "innovation")
def _ht_va(s: Snapshot) -> float:
    return s.va_high_tech / 1e4


@indicator("high_tech_value_added_share", "高新技术产业增加值占规上工业比重", "%", "innovation")
def _ht_share(s: Snapshot) -> float:
    return _ratio(s.va_high_tech, s.va_above, 100.0)


@indicator("rd_intensity_above_scale", "规上企业研发经费占营业收入比重", "%", "innovation")
def _rd_intensity(s: Snapshot) -> float:
    return _ratio(s.rd_above, s.out_above, 100.0)


@indicator("energy_per_value_added", "规上单位工业增加值能耗", "吨标准煤/万元", "energy")
def _energy_intensity(s: Snapshot) -> float:
    return _ratio(s.energy_above, s.va_above)


# --- land ------------------------------------------------------------------------------------
_declare([
    ("land_total", "工业用地总量", "land_total"),
    ("land_held", "企业及项目占用工业用地", "land_held"),
    ("land_free", "可供工业用地", "land_free"),
    ("land_freed_cumulative", "累计腾出用地", "land_freed_total"),
], "亩", "land", flow=False)
_declare([
    ("land_supplied", "新增供应工业用地"),
    ("land_freed", "腾出用地(整治腾退)"),
    ("land_released_exits", "市场退出释放用地"),
    ("land_remediated", "整治提升低效工业用地"),
    ("land_granted_projects", "项目供地"),
    ("land_granted_expansion", "增资扩产供地"),
    ("land_unmet_expansion", "未满足的扩产用地需求"),
    ("land_revitalised", "盘活存量工业用地"),
    ("land_reclaimed_lease", "先租后让收回用地"),
    ("land_cleared", "收储整理后重新供应的腾出用地"),
    ("land_to_other_uses", "腾出用地转作他用"),
], "亩", "land", flow=True)

# --- energy and carbon (万吨标准煤, 万吨) --------------------------------------------------------
_declare([
    ("energy_used", "工业用能", "energy_used"),
    ("energy_cap", "用能总量上限(含购入)", "energy_cap"),
    ("energy_allocated", "已分配用能指标", "energy_allocated"),
    ("energy_freed_cumulative", "累计腾出用能", "energy_freed_total"),
], "万吨标准煤", "energy", flow=False, scale=1e4)
_declare([
    ("energy_freed", "腾出用能"),
    ("energy_purchased", "跨区域购入用能权"),
    ("energy_rationed", "有序用电压减用能"),
    ("energy_recovered", "收回闲置用能指标"),
    ("energy_overrun", "超出用能指标的用能"),
], "万吨标准煤", "energy", flow=True, scale=1e4)


@indicator("carbon_avoided", "减少碳排放", "万吨", "energy", flow=True)
def _carbon(s: Snapshot) -> float:
    return s.count("energy_freed") * s.carbon_factor / 1e4


# --- investment and projects -----------------------------------------------------------------
@indicator("manufacturing_investment", "制造业投资", "亿元", "investment", flow=True)
def _investment(s: Snapshot) -> float:
    return (s.count("investment_projects") + s.count("investment_upgrade") + s.capex) / 1e4


@indicator("manufacturing_investment_growth", "制造业投资增速", "%", "investment")
def _investment_growth(s: Snapshot) -> float:
    return s.growth("manufacturing_investment", _investment(s))


_declare([
    ("projects_arrived", "招引制造业项目"),
    ("projects_large_signed", "招引亿元以上制造业项目"),
    ("projects_declined", "因要素不足未落地的意向项目"),
    ("projects_started", "开工项目"),
    ("projects_large_started", "开工亿元以上项目"),
    ("projects_completed", "竣工投产项目"),
    ("projects_lost", "因等待要素流失项目"),
    ("projects_zero_land", "零增地技改项目"),
], "个", "investment", flow=True)


@indicator("investment_lost", "因要素不足流失的投资", "亿元", "investment", flow=True)
def _investment_lost(s: Snapshot) -> float:
    return s.count("investment_lost") / 1e4


@indicator("land_waiting", "排队等待供地的需求", "亩", "land")
def _land_waiting(s: Snapshot) -> float:
    return s.land_waiting


@indicator("land_clearing", "收储整理中的腾出用地", "亩", "land")
def _land_clearing(s: Snapshot) -> float:
    return s.land_clearing


@indicator("projects_waiting", "等待供地或用能的项目", "个", "investment")
def _waiting(s: Snapshot) -> float:
    return s.projects_waiting


INDICATORS: dict[str, Indicator] = {ind.name: ind for ind in _DECLARED}


def value_range(name: str, measure: str = "level") -> tuple[float, float, str]:
    """The values ``name`` can take when read as ``measure`` (see :class:`~simulation.scenario.Target`),
    and the reason, for refusing a target no run could meet or miss: a share (a % that is not a
    growth rate) lies within 0-100, a growth rate and an average growth (``cagr``) at or above -100,
    a count or a level (any other unit) and a sum of them at or above 0."""
    unit = INDICATORS[name].unit
    growth = unit == "%" and name.endswith("_growth")
    if measure == "cagr" or measure == "level" and growth:
        return -100.0, math.inf, "a growth rate, at least -100 %"
    if unit == "%" and not growth:
        return (0.0, 100.0, "a share, 0-100 %") if measure == "level" else (0.0, math.inf, "a sum of shares, at least 0")
    if growth:
        return -math.inf, math.inf, "a sum of growth rates"
    return 0.0, math.inf, f"a count or level, at least 0 {unit}"
# each indicator in turn: what a plain one reads (None: its formula), and its formula
_PLAN = tuple((name, _READS.get(name), ind.formula) for name, ind in INDICATORS.items())


def measure(snapshot: Snapshot) -> dict[str, float]:
    """Every indicator's value for one year (each formula's value: the plain ones read here, in
    place of their formulas' calls, some sixty a year)."""
    values, counts = snapshot.values, snapshot.counts
    measured = {}
    for name, reads, formula in _PLAN:
        if reads is None:
            measured[name] = float(formula(snapshot))
        elif reads[0]:
            measured[name] = float(counts.get(reads[1], 0.0)) / reads[2]
        else:
            measured[name] = float(values[reads[1]] / reads[2])
    return measured


def population_aggregates(pop, annual: np.ndarray) -> dict[str, float]:
    """The population sums the formulas need (万元, 亩, persons, tce)."""
    from .processes import kernels  # here, not above: reading a scenario (validate) needs no SciPy

    compiled = kernels.compiled_for(len(pop))
    values = _sums_and_counts(pop, annual) if compiled is None else _aggregates_in_one_pass(compiled, pop, annual)
    values["va_below"] = values["va_all"] - values["va_above"]  # 规下: all industry less 规上
    return values


def _sums_and_counts(pop, annual: np.ndarray) -> dict[str, float]:
    """:func:`population_aggregates`' sums and counts in numpy."""
    from .processes import kernels

    above = pop.alive & pop.above
    below = pop.alive & ~pop.above
    va = annual * pop.va_rate
    landed = above & (pop.land > 0)
    comparable = pop.alive & np.where(pop.in_directory, pop.va_prev > 0, pop.above & (pop.va_prev == 0))
    energy = va * pop.intensity
    s = kernels.select  # values[mask], the same values in order (so the same sums), faster for many firms
    values = {
        "n_above": float(above.sum()),
        "n_below": float(below.sum()),
        "n_high_tech": float(np.sum(pop.alive & pop.high_tech)),
        "out_above": float(s(annual, above).sum()),
        "va_above": float(s(va, above).sum()),
        "va_above_landed": float(s(va, landed).sum()),
        "tax_above_landed": float(np.sum(s(annual, landed) * s(pop.tax_rate, landed))),
        "land_above": float(s(pop.land, landed).sum()),
        "employees_above": float(s(pop.employees, above).sum()),
        "va_high_tech": float(s(va, above & pop.high_tech).sum()),
        "energy_above": float(s(energy, above).sum()),
        "rd_above": float(np.sum(s(annual, above) * s(pop.rd, above))),
        "energy_used": float(s(energy, pop.alive).sum()),
        "va_comparable": float(s(va, comparable).sum()),
        "va_comparable_prev": float(s(pop.va_prev, comparable).sum()),
        "va_all": float(va.sum()),
    }
    for level in (Cert.INNOVATIVE, Cert.ZJTX, Cert.LITTLE_GIANT, Cert.CHAMPION):
        values[f"n_cert{int(level)}"] = float(np.sum(pop.alive & (pop.cert == level)))
    return values


# the sums of compiled.aggregate_terms, in the order of its arrays
_SUMS = ("out_above", "va_above", "va_above_landed", "tax_above_landed", "land_above", "employees_above",
         "va_high_tech", "energy_above", "rd_above", "energy_used", "va_comparable", "va_comparable_prev", "va_all")
_COUNTS = ("n_above", "n_below", "n_high_tech", "n_cert1", "n_cert2", "n_cert3", "n_cert4")


def _aggregates_in_one_pass(compiled, pop, annual: np.ndarray) -> dict[str, float]:
    """:func:`population_aggregates`' sums and counts with each sum's terms gathered in one compiled
    pass, each sum numpy's over the same terms in the same order (so the same value, bit for bit)."""
    terms, counts = compiled.aggregate_terms(
        annual, pop.va_rate, pop.intensity, pop.tax_rate, pop.land, pop.employees, pop.rd, pop.va_prev, pop.alive,
        pop.above, pop.in_directory, pop.high_tech, pop.cert)
    values = {name: float(t.sum()) for name, t in zip(_SUMS, terms, strict=True)}
    values.update(zip(_COUNTS, map(float, counts.tolist())))
    return {name: values[name] for name in (*_COUNTS[:3], *_SUMS, *_COUNTS[3:])}
