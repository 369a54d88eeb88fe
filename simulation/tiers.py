"""Enterprise tiers and remediation routes, with their official names."""

from __future__ import annotations

from enum import IntEnum

import numpy as np


class Cert(IntEnum):
    """Certification level, climbed one step at a time (梯度培育)."""

    NONE = 0
    INNOVATIVE = 1  # 创新型中小企业
    ZJTX = 2  # 专精特新中小企业
    LITTLE_GIANT = 3  # 专精特新"小巨人"
    CHAMPION = 4  # 制造业单项冠军


def high_tech_rd_floor(revenue: np.ndarray) -> np.ndarray:
    """R&D share required for 高新技术企业 (认定管理办法 2016 第十一条(五)), by last year's revenue in 万元:
    5% up to 5,000万 (inclusive), 4% above that up to 2亿 (inclusive), 3% above 2亿."""
    return np.where(revenue <= 5000.0, 0.05, np.where(revenue <= 20000.0, 0.04, 0.03))  # np.select's values, in half the time


# 高新技术企业 status is valid three years from the certificate (认定管理办法 2016 第十二条), then the
# firm applies again like any other applicant.
HIGH_TECH_VALIDITY_YEARS = 3

# The first national list of each level: no firm can hold it from an earlier year, so base-year
# certificates are not back-dated before it (小巨人: first batch 2019, calibration/data/national.csv;
# 单项冠军: first batch announced January 2017, same file).
FIRST_LIST_YEAR = {Cert.LITTLE_GIANT: 2019, Cert.CHAMPION: 2017}


CERT_LABELS = {
    Cert.NONE: "未认定",
    Cert.INNOVATIVE: "创新型中小企业",
    Cert.ZJTX: "专精特新中小企业",
    Cert.LITTLE_GIANT: "专精特新小巨人",
    Cert.CHAMPION: "单项冠军",
}


class Route(IntEnum):
    """How a firm left, or how it was remediated (腾笼换鸟)."""

    NONE = 0
    MARKET = 1  # 市场退出
    UPGRADE = 2  # 改造提升
    REGULARISE = 3  # 规范管理
    MERGE = 4  # 兼并搬迁
    CLOSE = 5  # 淘汰关停


ROUTE_LABELS = {
    Route.MARKET: "市场退出",
    Route.UPGRADE: "改造提升",
    Route.REGULARISE: "规范管理",
    Route.MERGE: "兼并搬迁",
    Route.CLOSE: "淘汰关停",
}

# 亩均论英雄 grades; UNGRADED for tenants without land and small 规下 plots.
GRADE_A, GRADE_B, GRADE_C, GRADE_D, UNGRADED = 0, 1, 2, 3, 4
GRADE_LABELS = {GRADE_A: "A类", GRADE_B: "B类", GRADE_C: "C类", GRADE_D: "D类", UNGRADED: "未评价"}
