"""``upgrade-sim explain``: the chain of one lever on common random numbers."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from simulation.cli import main
from simulation.errors import InputError
from simulation.explain import explain, lever_value
from simulation.loader import with_overrides


@pytest.fixture(scope="module")
def short_land(small):
    return with_overrides(small, {"parameters.land.free_initial": 0, "levers.land_supply.new_land_per_year": 0,
                                  "levers.attraction.projects_per_year": 30, "levers.attraction.zero_land_share": 0.0,
                                  "levers.energy.cap": 5000, "parameters.land.clearing_months": 6})


def test_the_chain_runs_from_remediation_to_land_to_projects(short_land):
    ex = explain(short_land, "levers.remediation.firms_per_year", to=30, replications=6, seed=1)
    t = ex.table[ex.table.stage != "targets"].set_index("indicator")
    assert list(dict.fromkeys(ex.table.stage)) == ["first", "next", "targets"]
    # first: more firms remediated and more land freed, in every pair
    assert t.loc["remediated_low_efficiency", "diff_p10"] > 0
    assert t.loc["land_freed", "diff_median"] > 0
    # next: more land reaches projects, and less investment goes elsewhere
    assert t.loc["land_granted_projects", "diff_median"] > 0
    assert t.loc["investment_lost", "diff_median"] <= 0


def test_a_lever_that_changes_nothing_leaves_an_empty_chain(small):
    ex = explain(small, "levers.remediation.firms_per_year", scale=1.0, replications=3)
    assert ex.table.empty


def test_scaling_a_schedule_scales_every_year(zhenhai):
    before, after = lever_value(zhenhai, "levers.energy.cap", to=None, scale=1.1)
    assert isinstance(before, dict) and len(before) > 1
    assert after == {y: v * 1.1 for y, v in before.items()}


@pytest.mark.parametrize("kwargs", [{"to": None, "scale": None}, {"to": 1.0, "scale": 2.0}])
def test_exactly_one_move_is_needed(small, kwargs):
    with pytest.raises(InputError):
        lever_value(small, "levers.remediation.firms_per_year", **kwargs)


def test_cli_writes_the_table_and_refuses_a_bad_lever(tmp_path, short_land):
    import yaml

    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(short_land.model_dump(mode="json"), allow_unicode=True), encoding="utf-8")
    bad = CliRunner().invoke(main, ["explain", str(path), "--lever", "levers.nothing", "--to", "1", "-o", str(tmp_path / "x")])
    assert bad.exit_code == 2 and "levers.nothing" in bad.output and "Traceback" not in bad.output
    typo = CliRunner().invoke(main, ["explain", str(path), "--lever", "levers.remediation.firms_per_yr", "--scale", "2"])
    assert typo.exit_code == 2 and str(path) in typo.output and "nearest: levers.remediation.firms_per_year" in typo.output
    out = tmp_path / "ex"
    ok = CliRunner().invoke(main, ["explain", str(path), "--lever", "levers.remediation.firms_per_year", "--to", "30",
                                   "-r", "3", "-o", str(out), "-q", "--lang", "en"])
    assert ok.exit_code == 0, ok.output
    assert (out / "explain.csv").is_file() and (out / "figures" / "explain.png").is_file()
    table = pd.read_csv(out / "explain.csv")
    from simulation.targets import price_basis

    judged = {t.name: price_basis(t) for t in short_land.targets}  # a target's rows: the basis it is judged on
    targets = table.stage == "targets"
    assert targets.any() and (table.loc[targets, "basis"] == table.loc[targets, "name"].map(judged)).all()
    assert "current" in set(table.loc[targets & ~table["unit"].str.contains("元", na=False), "basis"])  # a nominal CAGR
    money = table["unit"].str.contains("元", na=False) & ~targets  # the chain's own rows: money at 当年价
    assert money.any() and (table.loc[money, "basis"] == "current").all()
    assert (table.loc[~money & ~targets, "basis"] == "constant").all()


def test_targets_are_judged_as_the_run_judges_them(zhenhai):
    """The chain's P(met) of the unchanged scenario is the target table's, money targets (current
    prices) included: the same replications, the same basis."""
    from simulation.experiments.replicate import run_replications
    from simulation.targets import price_basis

    chain = explain(zhenhai, "levers.remediation.firms_per_year", scale=2.0, replications=8, seed=1).table
    chain = chain[chain.stage == "targets"].set_index(["name", "measure"])["p_met_base"]
    table = run_replications(zhenhai, 8, seed=1).targets
    compared = []
    for row in table[table["modelled"]].itertuples():
        key = (row.name, f"{row.year} {row.op}{row.target:g}")  # the chain's name and measure of a level target
        if key in chain.index:
            assert chain[key] == pytest.approx(row.p_met), key
            compared.append(price_basis(next(t for t in zhenhai.targets if t.name == row.name and t.year == row.year)))
    assert "current" in compared  # a money target among those the lever reaches


def test_a_money_level_reads_the_same_in_the_chain_and_in_the_targets(zhenhai):
    """规上工业增加值 in the last year: the chain's own row and its target's row give one median
    (both at current prices), as the run's table does. (The lever, three times the project leads,
    moves output enough for the target to stay in the chain.)"""
    chain = explain(zhenhai, "levers.attraction.projects_per_year", scale=3.0, replications=6, seed=3).table
    own = chain[(chain.stage != "targets") & (chain.indicator == "value_added_above_scale")]
    target = chain[(chain.stage == "targets") & (chain.indicator == "value_added_above_scale")]
    assert len(own) == 1 and len(target) >= 1
    assert own["base_median"].iloc[0] == pytest.approx(target["base_median"].iloc[0])


def test_a_change_in_p_met_is_printed_in_percentage_points(zhenhai):
    from simulation.explain import format_explanation

    text = format_explanation(explain(zhenhai, "levers.remediation.firms_per_year", scale=2.0, replications=6, seed=3))
    moved = [line for line in text.splitlines() if "P(met)" in line]
    assert moved and all(" pp" in line for line in moved)


def test_the_chain_figure_speaks_the_readers_language_and_says_how_far_an_arrow_runs():
    """A target's measure reads "(2020年以来年均增速)" in Chinese, not "(cagr since 2020)"; a median
    beyond the axis is drawn as an arrow with its value beside it."""
    import matplotlib.pyplot as plt
    import pandas as pd

    from simulation.plots.explain import chain_figure, measure_label
    from simulation.plots.fonts import plot_style

    assert measure_label("2025 >=7 (cagr since 2020)", "zh") == "2025 ≥7 (2020年以来年均增速)"
    assert measure_label("2023 >=8 (cumulative since 2020)", "en") == "2023 ≥8 (cum. from 2021)"  # as the fans say
    row = {"stage": "first", "name": "上限", "indicator": "energy_cap", "measure": "2025", "base_median": 1.0,
           "diff_median": 4.0, "diff_p10": 3.0, "diff_p90": 5.0, "p_met_diff": float("nan")}
    target = {**row, "stage": "targets", "name": "增速", "indicator": "value_added_above_scale_growth",
              "measure": "2025 >=7 (cagr since 2020)", "diff_median": 0.1, "p_met_diff": 0.2}
    with plot_style():
        ax = chain_figure(pd.DataFrame([row, target]), "t", lang="zh")
    assert "+400%" in [t.get_text() for t in ax.texts]
    assert any("2020年以来年均增速" in t.get_text() and "cagr" not in t.get_text() for t in ax.get_yticklabels())
    plt.close(ax.figure)


def test_a_lever_is_a_number_under_levers_or_parameters_lists_included(small):
    assert lever_value(small, "parameters.certification.little_giant.rd_bands.0.min_rd", to=5.0, scale=None)[1] == 5.0
    for number in ("base_year", "targets.0.value", "population.above_scale.count"):
        with pytest.raises(InputError, match="no lever or parameter"):
            lever_value(small, number, to=1.0, scale=None)
