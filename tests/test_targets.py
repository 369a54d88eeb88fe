"""Target measures: level, cumulative since a base year, average annual growth."""

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from simulation.indicators import SET_BY_INPUT
from simulation.plots.fonts import plot_style
from simulation.plots.overview import target_overview
from simulation.scenario import Target
from simulation.targets import fixed, met, price_basis, target_values

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
WIDE = pd.DataFrame({2020: [100.0, 100.0], 2021: [110.0, 90.0], 2022: [121.0, 95.0], 2023: [133.1, 99.0]})


def target(**kw):
    base = dict(name="t", indicator="tax_per_mu", year=2023, value=1.0, source="test")
    return Target(**(base | kw))


def test_level_cumulative_and_cagr(zhenhai):
    constant = {"basis": "constant"}
    assert target_values(WIDE, target(**constant), zhenhai).tolist() == [133.1, 99.0]
    assert target_values(WIDE, target(measure="cumulative", since=2020, **constant), zhenhai).tolist() == [364.1, 284.0]
    cagr = target_values(WIDE, target(measure="cagr", since=2020), zhenhai)
    assert cagr.iloc[0] == pytest.approx(10.0)
    assert cagr.iloc[1] == pytest.approx(100 * (0.99 ** (1 / 3) - 1))


def test_money_levels_are_judged_at_current_prices(zhenhai):
    """亩均税收 (万元/亩) is a money level: by default it is judged on the constant-price values times
    the scenario's producer-price level of the year, as the documents state their targets; a
    growth rate on it stays at constant prices (real growth)."""
    level = zhenhai.price_level(2023)
    assert level != 1.0
    assert target_values(WIDE, target(), zhenhai).tolist() == (WIDE[2023] * level).tolist()
    assert price_basis(target()) == "current" and price_basis(target(measure="cagr", since=2020)) == "constant"
    assert target_values(WIDE, target(measure="cagr", since=2020), zhenhai).tolist() == \
        target_values(WIDE, target(measure="cagr", since=2020, basis="constant"), zhenhai).tolist()



def test_a_current_price_cagr_is_nominal_growth(zhenhai):
    """``basis: current`` on a CAGR (investment growth, published 名义): the growth of the levels at
    current prices, i.e. real growth times the price change over the span, to the power 1/span."""
    real = target_values(WIDE, target(measure="cagr", since=2021), zhenhai)
    nominal = target_values(WIDE, target(measure="cagr", since=2021, basis="current"), zhenhai)
    prices = zhenhai.price_level(2023) / zhenhai.price_level(2021)
    assert prices != 1.0
    expected = 100 * ((1 + real / 100) * prices ** 0.5 - 1)
    assert nominal.tolist() == pytest.approx(expected.tolist(), rel=1e-12)


@pytest.mark.parametrize("indicator, hint", [("value_added_rate", False), ("manufacturing_investment_growth", True)])
def test_current_prices_on_a_rate_are_refused(tmp_path, indicator, hint):
    """A price level would scale a rate or a count: ``basis: current`` on one is refused, naming the
    field, and a growth indicator's message names the money level whose CAGR to judge instead."""
    from simulation.errors import InputError
    from simulation.loader import load_scenario, read_yaml

    data = read_yaml(SCENARIOS / "linhai_2023.yaml")
    data["targets"][0] |= {"indicator": indicator, "basis": "current"}
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(InputError, match="basis 'current' is for money") as caught:
        load_scenario(path)
    assert caught.value.field == "targets.0.basis" and str(path) in str(caught.value)
    assert ("measure: cagr" in str(caught.value)) is hint


def test_missing_values_do_not_count_as_met():
    assert met(np.array([5.0, np.nan, 1.0]), target(value=2.0)).tolist() == [True, False, False]


@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=50), st.floats(-1e6, 1e6))
def test_at_least_and_at_most_partition(values, goal):
    v = np.array(values)
    above = met(v, target(value=goal, op=">="))
    below = met(v, target(value=goal, op="<"))
    assert np.all(above ^ below)


def test_a_not_modelled_target_needs_a_reason():
    with pytest.raises(ValueError, match="reason"):
        Target(name="上市企业", year=2025, value=6, source="001 Table 2", modelled=False)


def test_coverage_counts_every_target_once(zhenhai):
    from simulation.targets import coverage

    table = coverage(zhenhai)
    assert len(table) == len(zhenhai.targets)
    assert table["modelled"].sum() == sum(t.modelled for t in zhenhai.targets)
    # modelled ones first, and every unmodelled one carries its reason
    assert not table["modelled"].iloc[: table["modelled"].sum()].eq(False).any()
    assert table.loc[~table["modelled"], "reason"].str.len().gt(0).all()


def test_targets_command_prints_coverage(zhenhai):
    from click.testing import CliRunner

    from simulation.cli import main

    from .conftest import ZHENHAI

    result = CliRunner().invoke(main, ["targets", str(ZHENHAI)])
    assert result.exit_code == 0, result.output
    n = sum(t.modelled for t in zhenhai.targets)
    assert f"{n} of {len(zhenhai.targets)} targets modelled" in result.output
    for t in zhenhai.targets:
        if not t.modelled:
            assert t.reason in result.output
    bad = CliRunner().invoke(main, ["targets", "no_such.yaml"])
    assert bad.exit_code == 2 and "Traceback" not in bad.output


def test_a_measure_is_fixed_only_when_every_replication_agrees():
    assert fixed(np.array([100.0, 100.0, 100.0]))
    assert not fixed(np.array([100.0, 100.0, 99.0]))
    assert not fixed(np.array([100.0]))  # one replication says nothing about chance
    assert not fixed(np.array([np.nan, np.nan]))


def test_a_count_the_lever_sets_is_marked_with_the_lever(small):
    """The 散乱弱 campaign's count is its lever (enough 规下 firms to act on): its target is met by the
    input in every replication, and the table, the printed line and the report say so; a measure
    that varies is not marked."""
    from simulation import run_replications
    from simulation.cli.run import format_targets
    from simulation.loader import with_overrides
    from simulation.plots.fonts import plot_style
    from simulation.plots.overview import target_overview
    from simulation.report import _targets

    sc = with_overrides(small, {"levers.scattered_weak.firms_per_year": 12, "targets": [
        {"name": "整治散乱弱", "indicator": "remediated_scattered", "year": 2023, "op": ">=", "value": 10, "source": "test"},
        {"name": "亩均税收", "indicator": "tax_per_mu", "year": 2023, "op": ">=", "value": 1, "source": "test"},
    ]})
    run = run_replications(sc, 4, seed=0)
    values = run.indicators.query("indicator == 'remediated_scattered' and year == 2023")["value"]
    assert (values == 12).all()
    rows = run.targets.set_index("indicator")
    assert rows.loc["remediated_scattered", "fixed"]
    assert rows.loc["remediated_scattered", "fixed_by"] == SET_BY_INPUT["remediated_scattered"]
    assert not rows.loc["tax_per_mu", "fixed"] and pd.isna(rows.loc["tax_per_mu", "fixed_by"])
    lines = format_targets(run.targets).splitlines()
    assert [line for line in lines if "set by levers.scattered_weak.firms_per_year" in line][0].find("整治散乱弱") > 0
    assert not [line for line in lines if "亩均税收" in line and "same in every" in line]
    html = _targets(run.targets, "zh")
    assert "100%†" in html and "levers.scattered_weak.firms_per_year" in html
    with plot_style():
        ax = target_overview(run.targets, lang="zh")
    assert "100%†" in [t.get_text() for t in ax.texts] and "†" in ax.get_xlabel()
    plt.close(ax.figure)


def test_fixed_marks_survive_the_run_folder(small, tmp_path):
    from simulation import run_replications
    from simulation.results import read_run, write_run

    run = run_replications(small, 2, seed=0)
    write_run(run, tmp_path)
    back = read_run(tmp_path).targets
    assert back["fixed"].tolist() == run.targets["fixed"].tolist()
    assert back["fixed"].any()  # the shipped 散乱弱 count: its lever


def test_the_share_of_replications_the_cap_rationed_counts_cuts_up_to_the_targets_year(zhenhai):
    """A replication counts where some year after the base and up to the target's had a cut of at
    least RATIONED_FROM of that year's energy use; later years, smaller cuts and measures rationing
    does not lower (a ratio of output to output) do not count."""
    from simulation.scenario import Target
    from simulation.targets import RATIONED_FROM, rationed_share, rationed_years

    used = 1000.0
    cuts = {0: {2021: 0.0, 2022: 0.0}, 1: {2021: 2 * RATIONED_FROM * used, 2022: 0.0},
            2: {2021: 0.5 * RATIONED_FROM * used, 2022: 0.0}, 3: {2021: 0.0, 2022: 0.0, 2023: used}}
    rows = [(r, y, name, value) for r, by_year in cuts.items() for y in (2020, 2021, 2022, 2023)
            for name, value in (("energy_rationed", by_year.get(y, used if y == 2020 else 0.0)), ("energy_used", used))]
    indicators = pd.DataFrame(rows, columns=["replication", "year", "indicator", "value"])
    level = Target(name="增加值", indicator="value_added_above_scale", year=2022, op=">=", value=1, source="test")
    cut = rationed_years(indicators, zhenhai)
    assert rationed_share(cut, level) == 0.25  # replication 1 only (2020 is the base year)
    later = level.model_copy(update={"year": 2023})
    assert rationed_share(cut, later) == 0.5  # and replication 3's cut in 2023
    rate = level.model_copy(update={"indicator": "value_added_rate"})
    assert np.isnan(rationed_share(cut, rate))


def test_a_binding_cap_is_named_beside_the_targets_it_decides(small):
    """With the cap cut below the base year's use, growth is rationed in every replication and the
    table, its printed line and the report say so; with the cap lifted, in none."""
    from simulation import run_replications
    from simulation.cli.run import format_targets
    from simulation.loader import with_overrides
    from simulation.report import _targets
    from simulation.targets import evaluate_targets

    # rationed from the first look-ahead on: every replication's growth is cut
    cap = small.levers.energy.cap.at(2020)
    tight = with_overrides(small, {"levers.energy.cap": {2020: cap, 2021: 0.8 * cap}, "levers.energy.rationing_month": 2})
    loose = with_overrides(small, {"levers.energy.cap": 100 * small.levers.energy.cap.at(2020)})
    runs = [run_replications(sc, 4, seed=0).indicators for sc in (tight, loose)]
    growth = runs[0].query("indicator == 'value_added_above_scale_growth' and year == 2022")["value"]
    goal = {"name": "增加值增速", "indicator": "value_added_above_scale_growth", "year": 2022, "op": ">=",
            "value": float(growth.median()), "source": "test"}  # met in half the rationed runs: not a sure outcome
    tight, loose = (with_overrides(sc, {"targets": [goal]}) for sc in (tight, loose))
    bound, free = (evaluate_targets(ind, sc).iloc[0] for ind, sc in zip(runs, (tight, loose)))
    assert 0 < bound["p_met"] < 1
    assert bound["rationed"] == 1.0 and free["rationed"] == 0.0
    shown = format_targets(pd.DataFrame([bound]))
    assert "有序用电 in 100% of runs" in shown and "the 能耗双控 cap (an assumption)" in shown
    assert "有序用电 in" not in format_targets(pd.DataFrame([free]))
    assert "‡" in _targets(pd.DataFrame([bound]), "zh", tight) and "‡" not in _targets(pd.DataFrame([free]), "zh", loose)
    with plot_style():
        ax = target_overview(pd.DataFrame([bound]), lang="zh")
    assert any(t.get_text().endswith("‡") for t in ax.texts) and "为假设" in ax.get_xlabel()


def test_a_sure_outcome_is_not_said_to_read_the_cap():
    """A P(met) of 0 or 1 is not the cap's, however often it rationed."""
    from simulation.targets import mostly_rationed

    row = pd.DataFrame([{"rationed": 0.9, "p_met": p} for p in (0.0, 0.4, 1.0)])
    assert [mostly_rationed(r) for r in row.itertuples()] == [False, True, False]


def test_the_overview_says_the_prices_of_a_money_goal(small):
    """The goal column of the overview says 当年价 beside a money goal, as the fan charts' axes do."""
    from simulation import run_replications
    from simulation.loader import with_overrides

    sc = with_overrides(small, {"targets": [
        {"name": "亩均税收", "indicator": "tax_per_mu", "year": 2023, "op": ">=", "value": 1, "source": "test"},
        {"name": "家数", "indicator": "firms_above_scale", "year": 2023, "op": ">=", "value": 1, "source": "test"}]})
    with plot_style():
        ax = target_overview(run_replications(sc, 2, seed=0).targets, lang="zh")
    goals = [t.get_text() for t in ax.texts if "2023年" in t.get_text()]
    assert any("万元/亩（当年价）" in g for g in goals) and not any("家（" in g for g in goals)
