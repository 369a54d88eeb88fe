"""The districts are parts of the city: their observed levels must add up to no more than the city's.

Zhenhai (镇海区), Haishu (海曙区) and Cixi (慈溪市) are parts of Ningbo (宁波市), so for an additive
indicator (a money level, a firm count, an area) observed in the same year for the city and for one
or more of its parts, the parts' sum cannot exceed the city's value. A sum above it means a scope
mismatch (a district series that counts something the city series does not, e.g. 市级 against 国家级
certificates) or a unit error, and either would bias a pooled fit that reads both. Rates, shares and
per-mu values are not additive and are not checked.

:func:`district_sums` lists every such comparison; :func:`inconsistent` keeps the ones that fail.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import InputError
from ..forecast.observed import load_observed

PARTS: dict[str, tuple[str, ...]] = {"ningbo": ("zhenhai", "haishu", "cixi")}
ADDITIVE_UNITS = ("亿元", "万元", "家", "个", "亩", "万吨标准煤")
# published levels are rounded and the city's may be revised later than a district's report
TOLERANCE = 0.01

COLUMNS = ["city", "indicator", "unit", "year", "city_value", "parts_sum", "parts", "share", "consistent"]


def district_sums(data_dir: str | Path | None = None, parts: dict[str, tuple[str, ...]] = PARTS) -> pd.DataFrame:
    """Every (indicator, year) that a city and at least one of its parts both observe, as points."""
    rows = []
    for city, members in parts.items():
        observed = _additive(city, data_dir)
        for part in members:
            observed = pd.concat([observed, _additive(part, data_dir)], ignore_index=True)
        wide = observed.pivot_table(index=["indicator", "unit", "year"], columns="region", values="value",
                                    aggfunc="first")
        if city not in wide:
            continue
        present = [p for p in members if p in wide]
        for (indicator, unit, year), values in wide.iterrows():
            city_value, found = values[city], values[present].dropna()
            if pd.isna(city_value) or found.empty:
                continue
            total = float(found.sum())
            rows.append({"city": city, "indicator": indicator, "unit": unit, "year": int(year),
                         "city_value": float(city_value), "parts_sum": total, "parts": "+".join(found.index),
                         "share": total / city_value if city_value else float("nan"),
                         "consistent": total <= city_value * (1 + TOLERANCE)})
    return pd.DataFrame(rows, columns=COLUMNS)


def inconsistent(data_dir: str | Path | None = None) -> pd.DataFrame:
    """The comparisons of :func:`district_sums` where the parts add up to more than the city."""
    table = district_sums(data_dir)
    return table[~table["consistent"]].reset_index(drop=True)


def _additive(region: str, data_dir: str | Path | None) -> pd.DataFrame:
    try:
        rows = load_observed(region, data_dir=data_dir)
    except InputError:  # a region without a data file has nothing to compare
        return pd.DataFrame(columns=["region", "indicator", "unit", "year", "value"])
    rows = rows[rows["unit"].isin(ADDITIVE_UNITS)]
    return rows[["region", "indicator", "unit", "year", "value"]]
