"""Scenario comparison on common random numbers: exact zeros against itself, paired effects, CLI."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from simulation.cli import main
from simulation.compare import compare, paired_difference, write_compare
from simulation.loader import with_overrides

from .conftest import ROOT, ZHENHAI

VARIANT = ROOT / "scenarios" / "variants" / "zhenhai_double_remediation.yaml"


def test_a_scenario_against_itself_differs_by_exactly_nothing(small):
    result = compare([small, small], 4, seed=3)
    assert result.names == [small.name + "#1", small.name + "#2"]
    assert (result.targets["diff"] == 0).all() and (result.targets["only_this"] == 0).all()
    assert (result.indicators[["diff_median", "diff_p10", "diff_p90"]] == 0).all().all()
    assert len(result.targets) == 2 * sum(t.modelled for t in small.targets)


def test_money_levels_are_shown_at_current_prices_as_the_run_judges_them(small):
    """compare's indicator table gives 亩均税收 (万元/亩) at current prices, the basis its targets and
    the run's fan charts use; a share (增加值率, %) as it is."""
    result = compare([small, small], 3, seed=2)
    run, last = result.runs[0], small.end_year
    assert small.price_level(last) != 1.0

    def median(indicator):
        rows = run.indicators[(run.indicators["indicator"] == indicator) & (run.indicators["year"] == last)]
        return rows["value"].median()

    shown = result.indicators[(result.indicators["scenario"] == result.names[0]) & (result.indicators["year"] == last)]
    shown = shown.set_index("indicator")["median"]
    assert shown["tax_per_mu"] == pytest.approx(median("tax_per_mu") * small.price_level(last))
    assert shown["value_added_rate"] == median("value_added_rate")


def test_the_indicator_file_says_money_is_at_current_prices(small, tmp_path):
    write_compare(compare([small, small], 2, seed=2), tmp_path / "c")
    table = pd.read_parquet(tmp_path / "c" / "compare_indicators.parquet").drop_duplicates("indicator").set_index("indicator")
    assert table.loc["tax_per_mu", ["unit", "basis"]].tolist() == ["万元/亩", "current"]  # as targets.csv says it
    assert table.loc["value_added_rate", "basis"] == "constant"


@pytest.mark.slow
def test_more_remediation_remediates_more_in_every_paired_replication(small):
    more = with_overrides(small, {"levers.remediation.firms_per_year": 16})
    result = compare([small, more], 8, seed=5)

    def total(run, indicator):
        return run.indicators[run.indicators["indicator"] == indicator].groupby("replication")["value"].sum()

    a, b = result.runs
    assert (total(b, "remediated_low_efficiency") > total(a, "remediated_low_efficiency")).all()
    # which firms and routes are drawn differs, so land freed rises on average, not in every pair
    assert total(b, "land_freed").mean() > total(a, "land_freed").mean()
    freed = result.indicators[(result.indicators["indicator"] == "land_freed_cumulative")
                              & (result.indicators["scenario"] == result.names[1])]
    assert freed["diff_median"].iloc[-1] > 0


def test_paired_difference_matches_a_hand_count():
    this = np.array([1, 1, 0, 0, 1, 0, 1, 1], bool)
    ref = np.array([1, 0, 0, 1, 0, 0, 1, 1], bool)
    d = paired_difference(this, ref)
    assert d["only_this"] == 2 / 8 and d["only_reference"] == 1 / 8
    assert d["diff"] == pytest.approx(this.mean() - ref.mean())
    assert d["diff_lo"] < d["diff"] < d["diff_hi"]


def test_targets_shared_only_when_identical(small):
    changed = with_overrides(small, {"targets.0.value": small.targets[0].value + 1})
    result = compare([small, changed], 2, seed=0)
    first = small.targets[0]
    shared = result.targets[(result.targets["indicator"] == first.indicator) & (result.targets["year"] == first.year)]
    assert first.value not in set(shared["target"])


@pytest.mark.slow
def test_compare_command_writes_tables_and_figures(tmp_path):
    out = tmp_path / "cmp"
    result = CliRunner().invoke(main, ["compare", str(ZHENHAI), str(VARIANT), "-r", "3", "-s", "1", "-o", str(out), "-q",
                                       "-w", "2"])  # runs and figures in two processes
    assert result.exit_code == 0, result.output
    targets = pd.read_csv(out / "compare_targets.csv")
    assert set(targets["scenario"]) == {"zhenhai_2021_2025", "zhenhai_double_remediation"}
    assert not pd.read_parquet(out / "compare_indicators.parquet").empty
    assert (out / "figures" / "attainment_difference.png").is_file()
    assert (out / "figures" / "compare_land_freed.png").is_file()
    side_by_side = {f.name: f.read_bytes() for f in (out / "figures").iterdir()}
    redraw = CliRunner().invoke(main, ["plot", str(out)])  # one after another, in this process
    assert redraw.exit_code == 0, redraw.output
    assert {f.name: f.read_bytes() for f in (out / "figures").iterdir()} == side_by_side


def test_compare_refuses_bad_input_with_exit_2(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("extends: no_such.yaml\n", encoding="utf-8")
    for args in (["compare", str(ZHENHAI)], ["compare", str(ZHENHAI), str(bad)]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2 and "Traceback" not in result.output


def test_rerunning_a_compare_cut_short_replaces_its_results(tmp_path, small):
    import yaml

    files = []
    for name in ("a", "b"):
        files.append(tmp_path / f"{name}.yaml")
        files[-1].write_text(yaml.safe_dump(small.model_dump(mode="json"), allow_unicode=True), encoding="utf-8")
    out = tmp_path / "cmp"
    args = ["compare", *map(str, files), "-r", "2", "-o", str(out), "-q", "--no-plots"]
    assert CliRunner().invoke(main, args).exit_code == 0
    (out / "figures").mkdir()
    (out / "figures" / ".attainment.svg.x1y2.tmp").write_text("")  # a figure's write cut short
    (out / ".compare_targets.csv.z3.tmp").write_text("")
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 0, again.output
    assert not (out / "figures").exists() and not (out / ".compare_targets.csv.z3.tmp").exists()
    swapped = CliRunner().invoke(main, ["compare", str(files[1]), str(files[0]), "-r", "2", "-o", str(out), "-q"])
    assert swapped.exit_code == 2 and "other scenario files" in swapped.output and str(files[0]) in swapped.output


def test_a_flow_is_labelled_as_the_year_s_amount():
    """腾出用能 in a year (1.8万吨) beside a cumulative target (13万吨) must not read as the sum."""
    from simulation.plots.labels import flow_suffix

    assert flow_suffix("energy_freed", "zh") == "（当年）"
    assert flow_suffix("energy_freed", "en") == " (in the year)"
    assert flow_suffix("value_added_above_scale", "zh") == ""  # a stock
    assert flow_suffix("no_such_indicator", "zh") == ""


def test_the_figures_name_scenarios_by_their_titles_and_keep_three_bands_apart(small, tmp_path):
    """In Chinese a scenario is named by its title (a variant by the part after the colon), in
    English by its name; the reference's band is shaded and the others' drawn as edges, so three
    bands do not blend into one colour."""
    import matplotlib.pyplot as plt
    from matplotlib.collections import PolyCollection

    from simulation.plots.compare import CompareFigures, indicator_lines, scenario_label

    assert scenario_label("zhenhai_double_remediation", "镇海区腾笼换鸟攻坚行动:整治力度加倍", "zh") == "整治力度加倍"
    assert scenario_label("zhenhai_2021_2025", "镇海区攻坚行动 2021-2025", "zh") == "镇海区攻坚行动 2021-2025"
    assert scenario_label("zhenhai_double_remediation", "镇海区:整治力度加倍", "en") == "zhenhai_double_remediation"
    variant = with_overrides(small, {"name": "double", "title": "镇海:加倍", "levers.remediation.firms_per_year": 16})
    third = with_overrides(small, {"name": "none", "title": "镇海:不整治", "levers.remediation.firms_per_year": 0})
    write_compare(compare([small, variant, third], 2, seed=1), tmp_path / "c")
    figures = CompareFigures.of(tmp_path / "c", lang="zh")
    assert figures.labels == {small.name: small.title, "double": "加倍", "none": "不整治"}
    ax = indicator_lines(figures.indicators, "value_added_above_scale", lang="zh", labels=figures.labels)
    assert sum(isinstance(c, PolyCollection) for c in ax.collections) == 1
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [small.title, "加倍", "不整治"]
    plt.close(ax.figure)
