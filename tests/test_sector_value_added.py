"""规下 and all-industry value added: the sector as the statistics count it, its growth 同口径, held
against the panel and against the identity the observed 规下 figures are derived by."""

import numpy as np
import pytest

from simulation.model import simulate

from .test_model import wide


@pytest.fixture(scope="module")
def run_with_panel(small):
    return simulate(small, 4, firms=True)


def test_below_scale_value_added_is_the_panels_below_scale_firms(run_with_panel):
    """Each year: the firms below the line at its end, each with its year's value added (the panel
    records them apart from the indicators)."""
    panel, w = run_with_panel.firms, wide(run_with_panel)
    below = panel[~panel["above_scale"] & ~panel["exited"]]
    for year in w.index:
        made = below.loc[below["year"] == year, "value_added"].sum()
        assert w.loc[year, "value_added_below_scale"] * 1e4 == pytest.approx(made, rel=1e-9)


def test_below_scale_growth_is_this_years_firms_against_their_own_last_year(run_with_panel):
    """同口径, as 规上's: the firms below the line at the year's end that produced the year before,
    this year's value added over theirs then; a 小升规 firm counts in neither year, a birth in
    neither (from the panel, apart from the indicators)."""
    panel, w = run_with_panel.firms, wide(run_with_panel)
    live = panel[~panel["exited"]]
    for year in w.index[1:]:
        now = live[(live["year"] == year) & ~live["above_scale"]].set_index("firm")["value_added"]
        then = live[live["year"] == year - 1].set_index("firm")["value_added"]
        both = now.index.intersection(then.index[then > 0])
        assert len(both) < len(now)  # births are left out
        growth = 100 * (now[both].sum() / then[both].sum() - 1)
        assert w.loc[year, "value_added_below_scale_growth"] == pytest.approx(growth, rel=1e-9)


def test_all_industry_is_the_two_parts(run_with_panel):
    w = wide(run_with_panel)
    np.testing.assert_allclose(w.industrial_value_added, w.value_added_above_scale + w.value_added_below_scale,
                               rtol=1e-12)


def test_the_published_derivation_recovers_the_below_scale_growth(run_with_panel):
    """Observed 规下 growth is derived from published all-industry and 规上 levels and growth
    (calibration/data: g = (T - A) / (T / (1 + g_T) - A / (1 + g_A)) - 1). The same derivation on the
    model's own published-style figures gives back its 规下 growth, so the two are like for like."""
    w = wide(run_with_panel).iloc[1:]
    total, above = w.industrial_value_added, w.value_added_above_scale
    base = total / (1 + w.industrial_value_added_growth / 100) - above / (1 + w.value_added_above_scale_growth / 100)
    np.testing.assert_allclose(100 * ((total - above) / base - 1), w.value_added_below_scale_growth, atol=1e-9)


def test_all_industry_growth_lies_between_its_parts(run_with_panel):
    w = wide(run_with_panel).iloc[1:]
    low = np.minimum(w.value_added_above_scale_growth, w.value_added_below_scale_growth)
    high = np.maximum(w.value_added_above_scale_growth, w.value_added_below_scale_growth)
    assert ((w.industrial_value_added_growth >= low - 1e-9) & (w.industrial_value_added_growth <= high + 1e-9)).all()


def test_derived_below_scale_rows_of_the_data_follow_from_their_published_figures():
    """Each stored 规下 growth marked derived is what the published all-industry and 规上 figures of
    its region, year and period give (a wrong level or growth row would break it)."""
    import pandas as pd

    from simulation.calibration.below_scale import observed_gaps
    from simulation.forecast.observed import DATA_DIR

    rows = pd.concat([pd.read_csv(path) for path in sorted(DATA_DIR.glob("*.csv"))])
    stored = rows[rows["indicator"].str.startswith("value_added_below_scale_growth")]
    assert len(stored) >= 4 and stored["source"].str.startswith("derived").all()
    computed = observed_gaps().assign(indicator=lambda g: "value_added_below_scale_growth"
                                      + g["period"].map({"year": "", "jan_sep": "_jan_sep"}))
    both = stored.merge(computed, on=["region", "year", "indicator"])
    assert len(both) == len(stored)
    np.testing.assert_allclose(both["value"], both["below_growth"], atol=0.05)


def test_the_derivation_inverts_the_accounts():
    """Two parts grown at known rates and added up: the derivation gives the 规下 part's rate back."""
    from simulation.calibration.below_scale import below_scale_growth

    for above0, below0, g_above, g_below in [(800.0, 200.0, 5.0, -2.0), (950.0, 50.0, 12.0, 30.0), (500.0, 500.0, 0.0, 0.0)]:
        above, below = above0 * (1 + g_above / 100), below0 * (1 + g_below / 100)
        g_total = 100 * ((above + below) / (above0 + below0) - 1)
        assert below_scale_growth(above + below, g_total, above, g_above) == pytest.approx(g_below, abs=1e-9)
