"""The stylized facts of firm dynamics on a shipped scenario, against their published ranges."""

import warnings
from html import escape as html_escape

import numpy as np
import pandas as pd
import pytest

from simulation import run_replications
from simulation.facts import (
    FACTS,
    facts_table,
    growth_panel,
    measure_facts,
    standard_errors,
    statistical_lines,
    tail_exponent,
    verdict,
)
from simulation.loader import with_overrides
from simulation.plots.facts import draw_facts
from simulation.plots.fonts import find_cjk_font


def test_tail_exponent_recovers_a_planted_pareto_index():
    rng = np.random.default_rng(0)
    for alpha in (0.9, 1.06, 1.5):
        x = rng.pareto(alpha, 200_000) + 1.0
        assert tail_exponent(x, top=0.2) == pytest.approx(alpha, rel=0.03)


def test_the_density_at_the_line_reads_each_years_line():
    """The line is in current prices and the panel's revenue in base-year prices: where a year's
    line sits at 1,800万 of base-year revenue, the density ratio is that of [1,350, 1,800) against
    [1,800, 2,250), not of the bins around 2,000万."""
    rng = np.random.default_rng(1)
    n = 40_000
    years = np.repeat([2020, 2021], n)
    revenue = np.exp(rng.normal(np.log(1000.0), 0.5, 2 * n))
    panel = pd.DataFrame({"firm": np.tile(np.arange(n), 2), "year": years, "revenue": revenue,
                          "age": rng.integers(0, 30, 2 * n), "exited": False, "above_scale": revenue >= 2000.0})
    late = revenue[years == 2021]

    def ratio(low, line, high):
        return np.sum((late >= low) & (late < line)) / np.sum((late >= line) & (late < high))

    at_1800 = measure_facts(panel, 2020, 2021, {2020: 2000.0, 2021: 1800.0})["density_ratio_at_line"]
    at_2000 = measure_facts(panel, 2020, 2021)["density_ratio_at_line"]
    assert at_1800 == pytest.approx(ratio(1350.0, 1800.0, 2250.0))
    assert at_2000 == pytest.approx(ratio(1500.0, 2000.0, 2500.0))
    assert abs(at_1800 - at_2000) > 0.05


def test_the_figure_sets_each_firm_year_against_its_years_line():
    """The figure's panel across the line draws revenue at each year's line (scaled so the line is
    2,000万), as the density fact reads it: a firm of 1,900万 in base-year prices in a year whose line
    is 1,900万 of them is drawn at 2,000万, on the dashed line's right."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from simulation.plots.facts import AXES, _line

    panel = pd.DataFrame({"firm": [0, 1, 0, 1], "year": [2020, 2020, 2021, 2021],
                          "revenue": [1900.0, 2400.0, 1900.0, 2400.0], "exited": False})

    def drawn(lines):
        fig, ax = plt.subplots()
        _line(ax, panel, 2020, AXES["en"], lines)
        bars = {round(p.get_x()): p.get_height() for p in ax.patches}
        plt.close(fig)
        return bars

    by_line = drawn({2020: 2000.0, 2021: 1900.0})
    assert by_line[2000] == 1 and by_line[1750] == 0  # 1,900 at a line of 1,900: at the line
    assert by_line[2500] == 1 and by_line[2250] == 0  # 2,400 at a line of 1,900: 2,526
    flat = drawn(None)
    assert flat[1750] == 1 and flat[2000] == 0 and flat[2250] == 1


def _synthetic_panel(rng: np.random.Generator, replications: int, firms: int) -> pd.DataFrame:
    """Two years of log-normal firms, some exiting in the second: every fact has a value."""
    frames = []
    for r in range(replications):
        revenue = np.exp(rng.normal(np.log(1000.0), 0.5, firms))
        grown = revenue * np.exp(rng.laplace(0.0, 0.2, firms))
        for year, rev, exited in ((2020, revenue, np.zeros(firms, bool)), (2021, grown, rng.random(firms) < 0.05)):
            frames.append(pd.DataFrame({"replication": r, "firm": np.arange(firms), "year": year, "revenue": rev,
                                        "age": rng.integers(0, 30, firms), "exited": exited,
                                        "above_scale": rev >= 2000.0}))
    return pd.concat(frames, ignore_index=True)


def test_a_facts_standard_error_is_the_spread_of_its_value_over_independent_runs():
    """The standard error from one run's replications matches the s.d. of the pooled value over 30
    independent runs of as many replications (small less large firms' mean log growth, the fact a
    shipped scenario sits nearest its line on), to within the sampling error of 30 runs (the s.d.
    of an s.d. from 30 values is about 13% of it)."""
    rng = np.random.default_rng(5)
    values, errors = [], []
    for _ in range(30):
        panel = _synthetic_panel(rng, 5, 2000)
        values.append(measure_facts(panel, 2020, 2021)["growth_small_minus_large"])
        errors.append(standard_errors(panel, 2020, 2021)["growth_small_minus_large"])
    assert np.mean(errors) == pytest.approx(np.std(values, ddof=1), rel=0.3)


def test_a_fact_outside_its_range_by_less_than_two_errors_is_within_error():
    assert verdict(0.5, 0.0, np.inf, 0.1) == "holds"
    assert verdict(-0.18, 0.0, np.inf, 0.2) == "within error"
    assert verdict(-0.5, 0.0, np.inf, 0.2) == "fails"
    assert verdict(3.5, -3.0, 3.0, 0.3) == "within error" and verdict(3.7, -3.0, 3.0, 0.3) == "fails"
    assert verdict(-0.1, 0.0, np.inf, np.nan) == "fails"  # no error to speak of: one replication


@pytest.fixture(scope="module")
def zhenhai_run(zhenhai):
    return run_replications(zhenhai, 6, seed=0, firms=True)


@pytest.fixture(scope="module")
def zhenhai_facts(zhenhai, zhenhai_run):
    return facts_table(zhenhai_run.firms, zhenhai.base_year, zhenhai.end_year,
                       statistical_lines(zhenhai)).set_index("fact")


@pytest.mark.parametrize("fact", [f.name for f in FACTS])
def test_shipped_zhenhai_shows_each_stylized_fact(zhenhai_facts, fact):
    row = zhenhai_facts.loc[fact]
    assert row["low"] <= row["model"] <= row["high"], f"{row['label']}: model {row['model']:.3g}, published {row['published']}"


def _spread_growth(sc, years: int, reps: int = 3) -> float:
    """Ten-year ratio of the s.d. of log revenue across live firms (end / base year)."""
    sc = with_overrides(sc, {"end_year": sc.base_year + years})
    panel = run_replications(sc, reps, seed=1, firms=True).firms
    assert panel is not None
    live = panel[~panel["exited"] & (panel["revenue"] > 0)]
    sd = live.groupby("year")["revenue"].apply(lambda r: np.log(r).std())
    return float(sd[sc.end_year] / sd[sc.base_year])


@pytest.mark.slow
def test_facts_figure_draws_every_glyph_in_chinese(zhenhai, zhenhai_run, tmp_path):
    """The estimates in the legends (α̂, β̂) render: the CJK face has no combining hat, mathtext does."""
    if find_cjk_font() is None:
        pytest.skip("no CJK font installed (apt-get install fonts-noto-cjk)")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        paths = draw_facts(zhenhai_run.firms, zhenhai.base_year, zhenhai.end_year, tmp_path, title=zhenhai.title,
                           scenario_name=zhenhai.name, replications=6, lang="zh")
    assert {p.suffix for p in paths} == {".png", ".svg"}
    assert not [str(w.message) for w in caught if "missing from font" in str(w.message)]


def test_size_dispersion_grows_less_than_under_gibrats_law(zhenhai):
    """Ten years on, the spread of log size has grown by under a quarter, and by less than under
    Gibrat's law with the same shocks (no size effect, no transitory part). Zhenhai's spread still
    grows by about a fifth in ten years: policy closures take out small firms that free entry does
    not replace, so the lower tail thins whatever the growth law."""
    model = _spread_growth(zhenhai, 10)
    gibrat = _spread_growth(with_overrides(zhenhai, {"parameters.growth.size_effect": 0.0,
                                                     "parameters.growth.transitory_share": 0.0}), 10)
    assert model < 1.25
    assert model < gibrat, (model, gibrat)


def test_a_plants_first_half_year_is_not_read_as_growth(zhenhai_run):
    """A project's plant opens mid-year: its first year's revenue is part of a year (as the
    statistics read it), and the facts take that year at its yearly rate. Plants of 1亿 and more in
    their first year then grow into their second by about what plants a year older do; read from
    the half year they grew by some 50% (log 0.5)."""
    panel = zhenhai_run.firms
    first_year = panel["age"] == 0
    assert (panel.loc[~first_year, "revenue_full_year"] == panel.loc[~first_year, "revenue"]).all()
    assert (panel.loc[first_year, "revenue_full_year"] > 1.5 * panel.loc[first_year, "revenue"]).any()
    pairs = growth_panel(panel)
    plants, older = pairs[(pairs["age"] == 0) & (pairs["revenue"] > 10_000)], pairs[(pairs["age"] == 1) & (pairs["revenue"] > 10_000)]
    assert len(plants) >= 20
    assert plants["log_growth"].mean() < older["log_growth"].mean() + 0.15
    reported = growth_panel(panel.drop(columns="revenue_full_year"))  # an older panel: the year as reported
    assert reported[(reported["age"] == 0) & (reported["revenue"] > 10_000)]["log_growth"].mean() > 0.3


def test_panel_columns_and_exits(small):
    run = run_replications(small, 2, seed=0, firms=True)
    panel = run.firms
    assert {"replication", "year", "firm", "revenue", "employees", "age", "above_scale", "tier", "exited"} <= set(panel)
    # a firm leaves once and is not seen after the year it left
    left = panel[panel["exited"]].groupby(["replication", "firm"])["year"].min()
    later = panel.merge(left.rename("left").reset_index(), on=["replication", "firm"])
    assert (later["year"] <= later["left"]).all()
    # the panel's 规上 value added equals the indicator's, year by year
    va = panel[~panel["exited"] & panel["above_scale"]].groupby(["replication", "year"])["value_added"].sum() / 1e4
    ind = run.indicators[run.indicators["indicator"] == "value_added_above_scale"].set_index(["replication", "year"])["value"]
    assert np.allclose(va.sort_index(), ind.sort_index(), rtol=1e-9)


def test_run_report_has_a_model_check_section_when_the_panel_is_kept(small, tmp_path):
    from simulation.report import build_report
    from simulation.results import write_run

    write_run(run_replications(small, 2, seed=0), tmp_path, scenario_file="small.yaml")
    assert 'id="model_check"' not in build_report(tmp_path, redraw=False)
    write_run(run_replications(small, 2, seed=0, firms=True), tmp_path, scenario_file="small.yaml")  # and its panel
    assert (tmp_path / "firms.parquet").is_file()
    html = build_report(tmp_path, redraw=False)
    section = html[html.index('id="model_check"'):]
    for fact in FACTS:
        assert html_escape(fact.label) in section
    assert 'id="fig-facts"' in section


def test_facts_command_sets_the_below_scale_gap_beside_the_published_pairs(tmp_path):
    """``upgrade-sim facts`` prints the model's 规下 - 规上 growth gap for each simulated year and the
    gaps the data's published pairs give (their count and mean)."""
    from click.testing import CliRunner

    from simulation.calibration.below_scale import observed_gaps
    from simulation.cli import main

    from .conftest import ZHENHAI

    result = CliRunner().invoke(main, ["facts", str(ZHENHAI), "-r", "2", "-o", str(tmp_path / "facts")])
    assert result.exit_code == 0, result.output
    line = next(text for text in result.output.splitlines() if "规下 - 规上" in text)
    assert all(f"{year} " in line for year in range(2021, 2026))
    seen = observed_gaps()["gap"]
    assert f"observed {seen.mean():+.1f}" in line and f"{len(seen)} published" in line


def test_the_figure_gives_the_tables_volatility_slope(zhenhai, zhenhai_run, zhenhai_facts):
    from matplotlib.figure import Figure

    from simulation.facts import growth_panel
    from simulation.plots.facts import _volatility

    pairs = growth_panel(zhenhai_run.firms)
    ax = Figure().add_subplot()
    _volatility(ax, pairs[~pairs["exited_next"]], {"revenue": "revenue", "sd": "s.d."})
    assert ax.get_legend().get_title().get_text().endswith(f"= {zhenhai_facts.loc['volatility_size_beta', 'model']:.2f}")


def test_the_spread_of_size_takes_a_firm_of_the_year_at_its_yearly_rate(zhenhai_run):
    """Firms founded during the year and plants opened in it report part of a year; the spread of
    log size reads each at its yearly rate, so a year's newcomers do not widen it. Read from the
    part-years of the run's last year, the spread grows by more than it does at the yearly rates."""
    panel = zhenhai_run.firms
    first, last = int(panel["year"].min()), int(panel["year"].max())
    sized = measure_facts(panel, first, last)["dispersion_drift"]
    reported = measure_facts(panel.drop(columns="revenue_full_year"), first, last)["dispersion_drift"]
    assert sized < reported - 0.01
