"""Observed data in one place: the series of ``calibration/data/<region>.csv``.

The back-test and the fan charts' observed points read the same rows through :func:`load_observed`.
Each row carries its unit and its **price basis**:

- ``current``: a money level at the prices of its own year (亿元, 万元/亩, 万元/人 in the bulletins);
- ``comparable``: a growth rate on the statistics bureaus' comparable-price basis (增速 按可比价);
- ``none``: counts, areas, energy and shares, for which prices do not apply.

A file may carry its own ``price_basis`` column; where it is absent or empty the basis follows
from the unit (money units → ``current``, ``%`` on a ``*_growth`` indicator → ``comparable``).
The model's money is at base-year prices, so a current-price level and the model differ by the
price change since the base year; :func:`load_observed` says so instead of hiding it.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import InputError
from ..io import read_numeric_table

DATA_DIR = Path(__file__).resolve().parents[2] / "calibration" / "data"
COLUMNS = ["region", "year", "indicator", "value", "unit", "source"]
MONEY_UNITS = {"亿元", "万元", "万元/亩", "万元/人", "元"}
# bound markers in the source text (calibration/data/README.md): not point observations
BOUND_MARKERS = ("LOWER BOUND", "UPPER BOUND", "APPROXIMATE")


def price_basis(indicator: str, unit: str) -> str:
    """``current``, ``comparable`` or ``none`` (see the module docstring)."""
    if unit in MONEY_UNITS:
        return "current"
    if unit == "%" and "growth" in indicator:
        return "comparable"
    return "none"


def data_file(region: str, data_dir: str | Path | None = None) -> Path:
    return Path(data_dir or DATA_DIR) / f"{region}.csv"


def load_observed(region: str, indicators: list[str] | None = None, *, data_dir: str | Path | None = None,
                  points_only: bool = True) -> pd.DataFrame:
    """Observed rows of ``region``: ``region, year, indicator, value, unit, price_basis, bound, source``.

    ``points_only`` drops rows whose source marks a bound or an approximation (they are
    inequalities, not observations to score against). A missing file, or no rows for the
    requested indicators, is refused with an :class:`InputError` naming what is missing.
    """
    path = data_file(region, data_dir)
    if not path.is_file():
        raise InputError(f"no observed data for region {region!r} (expected {path})", file=str(path))
    frame = _read(path)
    frame = frame[frame["region"] == region]
    frame = frame.assign(bound=frame["source"].str.extract(f"({'|'.join(BOUND_MARKERS)})", expand=False).fillna(""))
    if points_only:
        frame = frame[frame["bound"] == ""]
    if indicators is not None:
        frame = frame[frame["indicator"].isin(indicators)]
        if frame.empty:
            raise InputError(f"no observed value of {', '.join(indicators)} for region {region!r}", file=str(path),
                             field="indicator")
    basis = frame["price_basis"] if "price_basis" in frame else pd.Series("", index=frame.index)
    derived = [price_basis(i, u) for i, u in zip(frame["indicator"], frame["unit"])]
    frame = frame.assign(price_basis=[b if isinstance(b, str) and b else d for b, d in zip(basis, derived)])
    return frame[["region", "year", "indicator", "value", "unit", "price_basis", "bound", "source"]].sort_values(
        ["indicator", "year"]).reset_index(drop=True)


def series(observed: pd.DataFrame, indicator: str) -> pd.Series:
    """One indicator's values by year (first row of a year given twice)."""
    rows = observed[observed["indicator"] == indicator].drop_duplicates("year")
    return rows.set_index("year")["value"].astype(float).sort_index()


def regions(data_dir: str | Path | None = None) -> list[str]:
    """The regions with a data file."""
    return sorted(p.stem for p in Path(data_dir or DATA_DIR).glob("*.csv"))


def _read(path: Path) -> pd.DataFrame:
    frame = read_numeric_table(path, COLUMNS)
    return frame


def for_scenario(scenario, *, data_dir: str | Path | None = None) -> pd.DataFrame:
    """Observed points of a scenario's region in the model's indicators and units, for fan charts.

    The region is the scenario name's first part (``zhenhai_2021_2025`` → zhenhai); an empty frame
    when the region has no data file.
    """
    from ..indicators import INDICATORS

    region = scenario.name.split("_")[0]
    if not data_file(region, data_dir).is_file():
        return pd.DataFrame(columns=["region", "year", "indicator", "value", "unit", "price_basis", "bound", "source"])
    rows = load_observed(region, data_dir=data_dir)
    declared = rows["indicator"].map(lambda i: INDICATORS[i].unit if i in INDICATORS else None)
    return rows[rows["unit"] == declared].reset_index(drop=True)
