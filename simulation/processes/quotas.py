"""National lists allocated down to provinces and regions (国家级 → 省 → 市/县名额).

A national batch of 专精特新"小巨人" (or any list with a fixed size) is split by shares; each split
is rounded by largest remainders (Hamilton's method), so the parts of any split are whole firms
and add up to the whole exactly, and no part is more than one firm from its exact share.
"""

from __future__ import annotations

import numpy as np


def apportion(total: int, shares) -> np.ndarray:
    """Split ``total`` whole firms by ``shares`` (non-negative, summing to 1) by largest remainders."""
    shares = np.asarray(shares, dtype=float)
    if total < 0 or np.any(shares < 0) or not np.isclose(shares.sum(), 1.0):
        raise ValueError("apportion needs a non-negative total and non-negative shares summing to 1")
    exact = total * shares
    parts = np.floor(exact).astype(np.int64)
    left = int(total - parts.sum())
    if left > 0:
        parts[np.argsort(-(exact - parts), kind="stable")[:left]] += 1
    return parts


def allocated_quota(allocation, year: int) -> int:
    """The region's part of the year's national batch: national → province → region."""
    national = int(round(allocation.national_batch.at(year)))
    province_share = allocation.province_share.at(year)
    province = apportion(national, [province_share, 1.0 - province_share])[0]
    region_share = allocation.region_share.at(year)
    return int(apportion(int(province), [region_share, 1.0 - region_share])[0])
