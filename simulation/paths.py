"""Dotted paths into a scenario, shared by sweeps, sensitivity and calibration.

A sweep factor (:class:`simulation.experiments.spec.Factor`) and a calibration parameter
(:class:`simulation.calibration.spec.FitParameter`) are the same idea: a dotted path
(``levers.remediation.firms_per_year``), optionally restricted to some ``years`` of a schedule,
set to a number ``x`` (or scaled by it). This module holds that idea once: the value a path
takes (:func:`value_at`), the unit its field declares (:func:`declared_unit`), whether it counts
firms and so takes whole numbers (:func:`is_count`), and a readable label (:func:`path_label`).
"""

from __future__ import annotations

import typing
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel

# Units of things counted one by one: a fitted or swept value there is a whole number.
COUNT_UNITS = frozenset({"家", "个", "项", "人"})


def value_at(current: Any, x: float, *, years: Iterable[int] | None = None, scale: bool = False,
             span: Iterable[int] | None = None) -> Any:
    """The value a path takes when a factor or parameter sets it to ``x``.

    Parameters
    ----------
    current : float or dict
        The path's value now: one number, or a schedule ``{year: value}``.
    x : float
        The factor's value: the new value, or (``scale``) a multiplier of the current one.
    years : iterable of int, optional
        Change only these years of a schedule; the other years keep their values.
    span : iterable of int, optional
        The run's years. With ``years``, a single number is first spread over these years, so
        that a few years of it can differ (otherwise ``years`` needs a schedule).
    """
    if years is not None and not isinstance(current, dict):
        if span is None:
            raise ValueError("years: the value is one number, not a schedule by year")
        current = {year: current for year in span}
    if isinstance(current, dict):
        if scale:  # a multiplier needs a value to multiply: only the schedule's own years
            return {y: v * x if years is None or y in set(years) else v for y, v in current.items()}
        return {**current, **{y: x for y in (current if years is None else years)}}
    return current * x if scale else x


def model_class(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside an annotation (``Model``, ``Model | None``, ``list[Model]``)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = model_class(arg)
        if found is not None:
            return found
    return None


def _field(model: BaseModel | type[BaseModel], path: str):
    """The pydantic ``FieldInfo`` a dotted path ends on (list indices skipped), or ``None``."""
    cls: type[BaseModel] | None = model if isinstance(model, type) else type(model)
    info = None
    for part in path.split("."):
        if part.isdigit():
            continue
        if cls is None or part not in cls.model_fields:
            return None
        info = cls.model_fields[part]
        cls = model_class(info.annotation)
    return info


def declared_unit(model: BaseModel | type[BaseModel], path: str) -> str | None:
    """The unit the scenario's field at ``path`` declares (``"家"``, ``"亩"``…), or ``None``.

    ``model`` is a scenario or the :class:`~simulation.scenario.Scenario` class itself.
    """
    info = _field(model, path)
    if info is None:
        return None
    from .quantity import Unit

    # the Unit of a quantity field, or of the Annotated member of an optional one (``… | None``)
    metadata = list(info.metadata)
    for member in typing.get_args(info.annotation):
        metadata += list(getattr(member, "__metadata__", ()))
    for meta in metadata:
        if isinstance(meta, Unit):
            return meta.unit
    return None


def is_count(model: BaseModel, path: str) -> bool:
    """Whether ``path`` counts firms (or projects, or items): its values are whole numbers."""
    return declared_unit(model, path) in COUNT_UNITS


# Chinese names of the path parts a user sweeps or fits, for figures and reports.
PART_ZH = {
    "levers": "政策杠杆", "parameters": "行为参数", "population": "基年企业",
    "remediation": "腾笼换鸟整治", "scattered_weak": "散乱弱整治", "xiaoshenggui": "小升规",
    "cultivation": "梯度培育", "land_supply": "土地供应", "energy": "用能", "attraction": "招商引资",
    "land_renewal": "低效用地再开发", "growth": "增长", "exit": "退出", "entry": "新设企业",
    "statistics": "统计", "grading": "亩均评价", "certification": "认定", "projects": "项目",
    "route_effects": "整治路径效果", "above_scale": "规上", "below_scale": "规下", "certified": "认定企业",
    "firms_per_year": "每年家数", "incentive": "激励力度", "pool_growth_boost": "培育库增长加成",
    "success_multiplier": "成功率倍数", "new_land_per_year": "每年新增用地", "cap": "用能上限",
    "trade_max_per_year": "每年用能权交易上限", "rationing_month": "有序用电起始月", "projects_per_year": "每年项目数", "zero_land_share": "零增地技改占比",
    "above_scale_mean": "规上平均增速", "scope_gap": "同口径增速差", "volatility": "波动率", "volatility_size_elasticity": "波动随规模弹性",
    "transitory_share": "暂时性冲击占比", "size_effect": "规模效应", "age_effect": "企龄效应",
    "common_shock_sd": "共同冲击标准差", "common_shock_persistence": "共同冲击持续性", "sector_shock_sd": "行业冲击标准差",
    "employment_elasticity": "就业产出弹性", "rate": "退出率", "age_elasticity": "退出企龄弹性",
    "certified_multiplier": "认定企业退出倍数", "stock_growth": "企业存量增速", "producer_price_index": "出厂价格指数",
    "heterogeneity": "企业异质性", "certified_premium": "认定企业增速溢价", "energy_efficiency_gain": "能效年提升",
    "births_per_year": "每年新设家数", "success": "成功率", "quota_per_year": "每年名额",
    "innovative_sme": "创新型中小企业", "zjtx_sme": "专精特新中小企业", "little_giant": "小巨人",
    "little_giants": "小巨人", "single_champion": "单项冠军", "single_champions": "单项冠军",
    "high_tech": "高新技术企业", "count": "家数", "output": "总产值", "land": "用地", "employees": "从业人员",
    "energy_use": "用能", "tax_per_mu": "亩均税收", "value_added_rate": "增加值率",
    "report_probability": "入统概率", "report_probability_incentive": "激励下入统概率",
    "idle_land_per_year": "每年盘活低效用地", "lease_first_share": "先租后让占比",
    "close_share": "关停占比", "review_pass_rate": "复核通过率", "investment_median": "项目投资中位数",
    "patience_months": "项目等待耐心(月)", "effort": "工作力度", "clearing_months": "收储整理周期(月)",
}


def path_label(path: str, lang: str = "zh", *, name: str | None = None) -> str:
    """A readable label of a dotted path: "腾笼换鸟整治·每年家数" (the last two named parts), or in English
    "remediation firms per year". ``name`` (a factor's own name) is used in English when given."""
    parts = [p for p in str(path).split(".") if not p.isdigit()]
    if lang == "zh":
        known = [PART_ZH[p] for p in parts[1:] if p in PART_ZH] if len(parts) > 1 else []
        if known and parts[-1] in PART_ZH:
            return "·".join(known[-2:])
        if known:  # an unnamed last part keeps its own name: the label must still say which quantity
            return f"{known[-1]}·{parts[-1]}"
    if name:
        return name.replace("_", " ")
    return " ".join(parts[-2:]).replace("_", " ")
