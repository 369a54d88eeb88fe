"""The districts' observed levels add up to no more than Ningbo's (simulation.calibration.hierarchy)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

from simulation.calibration.hierarchy import TOLERANCE, district_sums, inconsistent
from simulation.forecast.observed import DATA_DIR


def _write(folder: Path, region: str, rows: list[tuple]) -> None:
    frame = pd.DataFrame(rows, columns=["year", "indicator", "value", "unit"])
    frame.insert(0, "region", region)
    frame["source"] = "planted"
    frame.to_csv(folder / f"{region}.csv", index=False)


def test_shipped_district_series_fit_inside_the_citys():
    table = district_sums()
    assert len(table) >= 10  # the check compares real series, not an empty set
    assert set(table["city"]) == {"ningbo"}
    assert inconsistent().empty, inconsistent().to_string()
    assert (table["share"] > 0).all() and (table["share"] <= 1 + TOLERANCE).all()


def test_parts_adding_up_to_more_than_the_city_are_flagged(tmp_path):
    _write(tmp_path, "ningbo", [(2022, "value_added_above_scale", 100.0, "亿元"), (2022, "firms_above_scale", 50, "家")])
    _write(tmp_path, "zhenhai", [(2022, "value_added_above_scale", 60.0, "亿元"), (2022, "firms_above_scale", 20, "家")])
    _write(tmp_path, "cixi", [(2022, "value_added_above_scale", 45.0, "亿元"), (2022, "firms_above_scale", 30, "家")])
    table = district_sums(tmp_path)
    va = table[table["indicator"] == "value_added_above_scale"].iloc[0]
    assert va["parts_sum"] == 105.0 and va["parts"] == "zhenhai+cixi" and not va["consistent"]
    firms = table[table["indicator"] == "firms_above_scale"].iloc[0]
    assert firms["consistent"]  # equal to the city's total is allowed: the parts may be the whole
    assert list(inconsistent(tmp_path)["indicator"]) == ["value_added_above_scale"]


def test_rates_and_unmatched_years_are_not_compared(tmp_path):
    _write(tmp_path, "ningbo", [(2022, "value_added_above_scale_growth", 5.0, "%"),
                                (2021, "value_added_above_scale", 100.0, "亿元")])
    _write(tmp_path, "haishu", [(2022, "value_added_above_scale_growth", 9.0, "%"),
                                (2022, "value_added_above_scale", 300.0, "亿元")])
    assert district_sums(tmp_path).empty  # growth is not additive; the levels are of different years


def test_a_part_without_a_data_file_is_skipped(tmp_path):
    for region in ("ningbo", "zhenhai"):
        shutil.copy(Path(DATA_DIR) / f"{region}.csv", tmp_path)
    table = district_sums(tmp_path)
    assert not table.empty and set(table["parts"]) == {"zhenhai"}
