"""Reports of every kind of result folder: their own tables (parsed from the HTML), units, captions."""

from __future__ import annotations

import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from simulation.cli import main
from simulation.compare import compare, write_compare
from simulation.experiments.replicate import run_replications
from simulation.loader import with_overrides
from simulation.report import build_report
from simulation.results import write_run

ROOT = Path(__file__).resolve().parents[1]
CJK = re.compile(r"[\u4e00-\u9fff]")
SMALL = {"population.above_scale.count": 100, "population.below_scale.count": 500,
         "population.above_scale.land": 6000, "population.above_scale.output": 572, "population.large_firms.0.revenue": 160,
         "population.above_scale.employees": 16000, "population.above_scale.energy_use": 160, "levers.energy.cap": 175,
         "levers.remediation.firms_per_year": 8, "levers.scattered_weak.firms_per_year": 20}


class Report(HTMLParser):
    """Sections (id → title), tables per section (rows of cell texts), figure captions and images."""

    def __init__(self, html: str):
        super().__init__()
        self.html = html
        self.sections: dict[str, str] = {}
        self.tables: dict[str, list[list[list[str]]]] = {}
        self.captions: list[str] = []
        self.images: list[str] = []
        self._section = None
        self._in = None
        self._cell: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section":
            self._section = attrs["id"]
            self.tables.setdefault(self._section, [])
        elif tag == "h2":
            self._in = "h2"
            self.sections[self._section] = ""
        elif tag == "table":
            self.tables[self._section].append([])
        elif tag == "tr":
            self.tables[self._section][-1].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "figcaption":
            self._in = "caption"
            self.captions.append("")
        elif tag == "img":
            self.images.append(attrs.get("src", ""))

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[self._section][-1][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag in ("h2", "figcaption"):
            self._in = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        if self._in == "h2":
            self.sections[self._section] += data
        elif self._in == "caption":
            self.captions[-1] += data

    def table(self, section: str, index: int = 0) -> pd.DataFrame:
        rows = self.tables[section][index]
        width = len(rows[0])  # a row with spanning cells has fewer: padded, as a reader sees empty cells
        return pd.DataFrame([list(r) + [None] * (width - len(r)) for r in rows[1:]], columns=rows[0])


def report_of(folder: Path, lang: str = "zh") -> Report:
    return Report(build_report(folder, lang=lang))


def common_checks(report: Report, lang: str = "zh") -> None:
    """What every report holds: no empty target section, readable captions, embedded figures."""
    assert "targets" not in report.sections or report.tables["targets"], "no '目标达成: 无'"
    assert report.captions and len(report.captions) == len(report.images)
    for caption in report.captions:
        assert not re.search(r"\w+_\w+", caption.split(" ", 1)[-1]), f"a file name as caption: {caption}"
        if lang == "zh":
            assert CJK.search(caption), caption
    assert all(src.startswith("data:image/png;base64,") for src in report.images)
    provenance = dict(report.tables["provenance"][0][1:])
    assert any("upgrade-sim" in v or "python" in v for v in provenance.values()), "the command line is recorded"


@pytest.fixture(scope="module")
def small_scenario(zhenhai):
    return with_overrides(zhenhai, SMALL)


@pytest.fixture(scope="module")
def scenario_file(small_scenario, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("scenario") / "small.yaml"
    path.write_text(yaml.safe_dump(small_scenario.model_dump(mode="json"), allow_unicode=True), encoding="utf-8")
    return path


# --- compare -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compare_folder(small_scenario, tmp_path_factory):
    more = with_overrides(small_scenario, {"levers.remediation.firms_per_year": 30})
    result = compare([small_scenario, more], 6, seed=1)
    out = tmp_path_factory.mktemp("compare") / "out"
    write_compare(result, out)
    return out, result


@pytest.mark.slow
def test_compare_report_lists_paired_differences_in_percentage_points(compare_folder):
    out, result = compare_folder
    report = report_of(out)
    common_checks(report)
    paired = report.table("paired")
    shared = result.targets.drop_duplicates(["name", "year", "target"])
    assert len(paired) == len(shared)
    diff_column = next(c for c in paired.columns if c.startswith("Δ"))
    assert "百分点" in diff_column
    other = result.names[1]
    expected = result.targets[result.targets["scenario"] == other]["diff"].to_numpy()
    shown = paired[diff_column].str.extract(r"^([+-]\d+\.\d)")[0].astype(float).to_numpy()
    np.testing.assert_allclose(shown, np.round(100 * expected, 1), atol=0.051)
    indicators = report.table("indicators")
    assert "单位" in indicators.columns and (indicators["单位"] != "").all()
    assert set(indicators["差值单位"]) <= {"百分点", *indicators["单位"]}


def test_comparison_figures_take_the_stamp_in_force_to_their_workers(compare_folder):
    from simulation.plots.compare import CompareFigures
    from simulation.plots.save import stamped

    out, result = compare_folder
    with stamped("情景 a vs b · 6 次重复"):
        figures = CompareFigures.of(out)
    assert figures.note == "情景 a vs b · 6 次重复"  # a worker has no stamp of its own to read
    assert CompareFigures.of(out).note is None
    assert figures.stems()[0] == "attainment_difference"
    assert {f"compare_{i}" for i in result.targets["indicator"]} == set(figures.stems()[1:])


@pytest.mark.slow
def test_compare_cli_prints_percentage_points(compare_folder):
    from simulation.compare import format_comparison

    text = format_comparison(compare_folder[1])
    assert "pp" in text and not re.search(r"[+-]\d+%", text)


# --- sweep and sensitivity ---------------------------------------------------------------------


def spec(folder: Path, scenario_file: Path, body: dict) -> Path:
    path = folder / "spec.yaml"
    body = {"scenario": os.path.relpath(scenario_file, folder), **body}
    path.write_text(yaml.safe_dump(body, allow_unicode=True), encoding="utf-8")
    return path


FACTORS = [{"path": "levers.remediation.firms_per_year", "name": "remediation", "range": [2, 30], "integer": True},
           {"path": "parameters.growth.volatility", "range": [0.1, 0.4]}]


def _spec_run(command: str, folder: Path, scenario_file, body: dict) -> Path:
    """Run ``upgrade-sim COMMAND`` on a spec of ``body`` into ``folder/out``."""
    path = spec(folder, scenario_file, body)
    result = CliRunner().invoke(main, ["--allow-path", str(path.parent.parent), command, str(path), "-o", str(folder / "out"), "-w", "1", "-q"])
    assert result.exit_code == 0, result.output
    return folder / "out"


@pytest.fixture(scope="module")
def sweep_folder(scenario_file, tmp_path_factory):
    return _spec_run("sweep", tmp_path_factory.mktemp("sweep"), scenario_file,
                     {"design": "lhs", "points": 6, "replications": 2, "seed": 3, "factors": FACTORS})


@pytest.mark.slow
def test_sweep_report_names_factors_with_units_and_attainment_over_the_design(sweep_folder):
    report = report_of(sweep_folder)
    common_checks(report)
    factors = report.table("factors")
    assert len(factors) == len(FACTORS)
    assert factors.iloc[0]["因素"] == "腾笼换鸟整治·每年家数" and factors.iloc[0]["单位"] == "家"
    attainment = pd.read_parquet(sweep_folder / "attainment.parquet")
    table = report.table("attainment")
    assert len(table) == attainment.groupby(["target", "year"]).ngroups
    first = attainment[attainment["target"] == table.iloc[0]["目标"]]
    assert table.iloc[0]["最高达成概率"] == f"{100 * first['p_met'].max():.0f}%"


@pytest.fixture(scope="module")
def morris_folder(scenario_file, tmp_path_factory):
    return _spec_run("sensitivity", tmp_path_factory.mktemp("morris"), scenario_file,
                     {"method": "morris", "n": 2, "levels": 4, "replications": 1, "seed": 4,
                      "outputs": ["tax_per_mu@2025", "firms_above_scale@2025"], "factors": FACTORS})


@pytest.mark.slow
def test_sensitivity_report_has_indices_with_units_and_chinese_lever_names(morris_folder):
    report = report_of(morris_folder)
    common_checks(report)
    indices = report.table("indices")
    assert len(indices) == 2 * len(FACTORS)
    assert set(indices["因素"]) == {"腾笼换鸟整治·每年家数", "增长·波动率"}
    units = dict(zip(indices["输出"], indices["单位"]))
    assert units[next(k for k in units if "亩均税收" in k)] == "万元/亩（不变价）"  # an indicator: the model's constant prices
    assert units[next(k for k in units if "规上" in k and "家" in k or "firms" in k)] == "家"


@pytest.mark.slow
def test_sensitivity_figures_use_lever_names_and_chinese_axes(morris_folder):
    from matplotlib.figure import Figure

    from simulation.plots.figures import labels_for, read_manifest
    from simulation.plots.sensitivity import morris_plane, sobol_bars

    labels = labels_for(read_manifest(morris_folder), "zh")
    indices = pd.read_csv(morris_folder / "indices.csv")
    ax = morris_plane(indices, "tax_per_mu@2025", lang="zh", labels=labels, ax=Figure().add_subplot())
    texts = [t.get_text() for t in ax.texts]
    assert "腾笼换鸟整治·每年家数" in texts and CJK.search(ax.get_xlabel()) and "万元/亩" in ax.get_xlabel()
    sobol = pd.DataFrame({"output": "y@1", "factor": ["remediation", "remediation"], "factor_2": None,
                          "index": ["S1", "ST"], "value": [0.2, 0.3], "conf": [0.01, 0.02]})
    ax = sobol_bars(sobol, "y@1", lang="zh", labels=labels, ax=Figure().add_subplot())
    assert [t.get_text() for t in ax.get_yticklabels()] == ["腾笼换鸟整治·每年家数"]
    assert CJK.search(ax.get_xlabel())


@pytest.mark.slow
def test_every_figure_names_its_scenario_and_replications(sweep_folder):
    from matplotlib.figure import Figure

    from simulation.plots.figures import folder_stamp, read_manifest
    from simulation.plots.fonts import plot_style
    from simulation.plots.save import save_figure, stamped

    note = folder_stamp(read_manifest(sweep_folder), "zh")
    assert "small" in note and "6 个设计点" in note and "2 次重复" in note
    fig = Figure()
    fig.add_subplot().plot([0, 1])
    with stamped(note), plot_style():  # saved as every figure is: in the house style, its CJK font
        save_figure(fig, sweep_folder / "figures" / "stamp_check", formats=("png",))
    assert [t.get_text() for t in fig.texts] == [note]


# --- calibration -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def calibration_folder(zhenhai, tmp_path_factory):
    from simulation.calibration import calibrate, load_calibration, objective, write_calibration

    from .test_calibration import write_setup
    from .test_calibration_ux import planted_task

    folder = tmp_path_factory.mktemp("calibrate")
    cal = load_calibration(write_setup(folder, zhenhai, maxiter=4))
    cal.targets["value"] = 200.0
    real = objective.moments_run
    objective.moments_run = planted_task(6.0, 1e-9)
    try:
        result = calibrate(cal)
    finally:
        objective.moments_run = real
    write_calibration(result, folder / "out", plots=False)
    return folder / "out", result


@pytest.mark.slow
def test_calibration_report_has_estimates_with_intervals_and_identification(calibration_folder):
    out, result = calibration_folder
    report = report_of(out)
    common_checks(report)
    est = report.table("estimates")
    assert list(est["单位"]) == ["%/年", "家"]
    assert list(est["可识别"].str[0]) == ["是", "否"], "births barely move the moments: not identified"
    assert est.iloc[1]["估计值"].isdigit(), "a firm count is a whole number"
    assert len(report.table("observations")) == len(result.cal.targets)


@pytest.mark.slow
def test_backtest_report_scores_the_forecast(calibration_folder, tmp_path):
    out, _ = calibration_folder
    folder = tmp_path / "bt"
    shutil.copytree(out, folder)
    pd.DataFrame([{"indicator": "value_added_above_scale", "n": 1, "years": "2023", "coverage80": 1.0,
                   "mdape_model": 3.0, "mdape_naive": 5.0, "model_beats_naive": True}]).to_csv(folder / "backtest.csv", index=False)
    report = report_of(folder)
    scores = report.table("backtest")
    assert scores.iloc[0]["单位"] == "亿元" and scores.iloc[0]["模型优于朴素外推"] == "是"
    assert report.sections["summary"] and "回测" in dict(report.tables["summary"][0][1:])["结果类型"]


@pytest.mark.slow
def test_report_as_found_includes_a_calibration_s_own_figures(calibration_folder, tmp_path):
    """A calibration and a back-test write fit.png / backtest.png beside their tables, not in figures/:
    a report without redrawing takes them as found."""
    from simulation.report import report_figures

    out, _ = calibration_folder
    folder = tmp_path / "cal"
    shutil.copytree(out, folder)
    shutil.rmtree(folder / "figures", ignore_errors=True)  # as calibrate leaves it (another test may have drawn)
    (folder / "fit.png").write_bytes(b"\x89PNG\r\n\x1a\n")  # found, not read: its name is what counts
    assert [p.name for p, _ in report_figures(folder, redraw=False)] == ["fit.png"]
    (folder / "figures").mkdir()
    (folder / "figures" / "fit.png").write_bytes(b"\x89PNG\r\n\x1a\n")  # a report's redraw: listed once
    assert [p.name for p, _ in report_figures(folder, redraw=False)] == ["fit.png"]


# --- run ---------------------------------------------------------------------------------------


@pytest.mark.slow
def test_run_report_shows_p_met_with_its_interval_and_units(small_scenario, tmp_path):
    out = tmp_path / "run"
    write_run(run_replications(small_scenario, 6, seed=2), out)
    report = report_of(out)
    common_checks(report)
    table = report.table("targets")
    modelled = table[table["95% 区间(Wilson)"].fillna("").str.contains("–")]
    assert len(modelled) > 0 and (modelled["单位"] != "").any()
    money = modelled[modelled["单位"].str.startswith(("亿元", "万元"))]
    assert len(money) and money["单位"].str.endswith("（当年价）").all()  # judged at current prices, as targets.csv says
    # the unit column keeps a width on an A4 page (it was squeezed to a character a line)
    assert '<td class="tunit">万元/亩（当年价）</td>' in report.html and "td.tunit{min-width:" in report.html
    targets = pd.read_csv(out / "targets.csv")
    m = targets[targets["modelled"]]
    assert ((m["p_met_lo"] <= m["p_met"]) & (m["p_met"] <= m["p_met_hi"])).all()
    english = report_of(out, "en")
    assert english.sections["targets"] == "Target attainment"


def test_discovery_figures_use_lever_names_and_chinese_axes():
    from matplotlib.figure import Figure

    from simulation.plots.discovery import box_limits, peeling_trajectory
    from simulation.plots.labels import factor_labels

    labels = factor_labels(FACTORS, "zh")
    boxes = pd.DataFrame({"box": 1, "factor": ["remediation", "parameters.growth.volatility"], "min": [10, 0.1],
                          "max": [30, 0.2], "lower": [2, 0.1], "upper": [30, 0.4], "coverage": 0.8, "density": 0.9,
                          "mass": 0.3})
    ax = box_limits(boxes, 1, lang="zh", labels=labels, ax=Figure().add_subplot())
    assert [t.get_text() for t in ax.get_yticklabels()] == ["腾笼换鸟整治·每年家数", "增长·波动率"]
    assert CJK.search(ax.get_xlabel()) and CJK.search(ax.get_title())
    trajectory = pd.DataFrame({"coverage": [1.0, 0.8], "density": [0.4, 0.9], "res dim": [0, 1]})
    ax = peeling_trajectory(trajectory, 1, lang="zh", ax=Figure().add_subplot())
    assert CJK.search(ax.get_xlabel()) and CJK.search(ax.get_ylabel())


def test_sweep_report_does_not_name_a_best_setting_where_every_point_ties():
    import pandas as pd

    from simulation.report_sections import _where_highest

    design = pd.DataFrame({"point": [0, 1, 2], "x": [6.0, 9.0, 12.0]}).set_index("point")
    labels = {"x": "招商引资·每年项目数"}
    flat = pd.DataFrame({"point": [0, 1, 2], "p_met": [1.0, 1.0, 1.0]})
    assert _where_highest(flat, design, labels, "zh") == "各设计点相同: 因素不改变达成概率"
    two = pd.DataFrame({"point": [0, 1, 2], "p_met": [0.2, 0.7, 0.7]})
    assert _where_highest(two, design, labels, "zh") == "招商引资·每年项目数 = 9 (另有 1 个设计点同为最高)"
    one = pd.DataFrame({"point": [0, 1, 2], "p_met": [0.2, 0.3, 0.7]})
    assert _where_highest(one, design, labels, "en") == "招商引资·每年项目数 = 12"
