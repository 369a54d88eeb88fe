"""规上, 规下 and all-industry value added and growth as the statistics count them (规上 同口径 on the
year's 名录库, 规下 what the accounts leave), held against the panel and against the identity the
observed 规下 figures are derived by."""

import numpy as np
import pytest

from simulation.loader import with_overrides
from simulation.model import simulate

from .test_model import wide


@pytest.fixture(scope="module")
def run_with_panel(small):
    return simulate(small, 4, firms=True)


@pytest.fixture(scope="module")
def unmerged(small):
    """No output moves in a merger: the panel then holds each firm's last year as its 同口径 base
    (a merger adds the merged firm's last year to the acquirer's, which the panel does not show)."""
    return simulate(with_overrides(small, {"parameters.route_effects.merge_output_retained": 0.0}), 4, firms=True)


def test_below_scale_value_added_is_the_panels_below_scale_firms(run_with_panel):
    """Each year: the firms below the line at its end, and every firm that left during it, each with
    its year's value added (the panel records them apart from the indicators)."""
    panel, w = run_with_panel.firms, wide(run_with_panel)
    below = panel[~panel["above_scale"] | panel["exited"]]
    for year in w.index[1:]:
        made = below.loc[below["year"] == year, "value_added"].sum()
        assert w.loc[year, "value_added_below_scale"] * 1e4 == pytest.approx(made, rel=1e-9)
    assert panel["exited"].any()
    # the base year's firms are those at its end: its leavers' months are added in expectation
    base = w.index[0]
    left = w.loc[base, "value_added_below_scale"] * 1e4 - below.loc[below["year"] == base, "value_added"].sum()
    assert left == pytest.approx(w.loc[base, "industrial_value_added"] * 1e4 - panel.loc[panel["year"] == base,
                                                                                           "value_added"].sum())
    assert 0.01 < left / (w.loc[base, "value_added_below_scale"] * 1e4) < 0.2


def _comparable(panel, year):
    """同口径 规上 of ``year`` from the panel: the year-end firms of the 名录库 (规上 at last year's
    end) with last year's value added, and the 规上 firms with no last year (admitted in the year);
    their value added this year and last."""
    ends = panel[~panel["exited"]]
    now = ends[ends["year"] == year].set_index("firm")
    then = ends[ends["year"] == year - 1].set_index("firm")
    directory = then.index[then["above_scale"]]
    earlier = then["value_added"].reindex(now.index).fillna(0.0)
    listed = now.index.isin(directory)
    scope = (listed & (earlier > 0).to_numpy()) | (~listed & now["above_scale"].to_numpy() & (earlier == 0).to_numpy())
    return now.loc[scope, "value_added"].sum(), earlier[scope].sum(), int(np.sum(~listed & now["above_scale"].to_numpy()))


def test_above_scale_growth_is_the_directorys_firms_against_their_own_last_year(unmerged):
    """The 名录库 is last year's review: a firm that crosses the line counts in 规上 growth from the
    next year, one that drops below it still counts this year, and a plant admitted in the year
    counts from nothing (from the panel, apart from the indicators)."""
    panel, w = unmerged.firms, wide(unmerged)
    entrants = 0
    for year in w.index[1:]:
        now, then, admitted = _comparable(panel, year)
        entrants += admitted
        assert w.loc[year, "value_added_above_scale_growth"] == pytest.approx(100 * (now / then - 1), rel=1e-9)
    assert entrants > 0  # the rule for the year's 小升规 was exercised


def test_below_scale_growth_is_what_the_accounts_leave(unmerged):
    """All industry (every firm of the year, those that left in it too) less the 同口径 规上 firms,
    this year over last: births, exits and this year's 小升规 firms are in it. It is the derivation
    the observed 规下 figures come from (``below_scale_growth``: all industry and 规上 (同口径),
    each level with its growth), so the two compare like for like."""
    from simulation.calibration.below_scale import below_scale_growth

    panel, w = unmerged.firms, wide(unmerged)
    total = panel.groupby("year")["value_added"].sum()
    total[w.index[0]] = w.loc[w.index[0], "industrial_value_added"] * 1e4  # with the base year's leavers
    for year in w.index[1:]:
        now, then, _ = _comparable(panel, year)
        growth = 100 * ((total[year] - now) / (total[year - 1] - then) - 1)
        assert w.loc[year, "value_added_below_scale_growth"] == pytest.approx(growth, rel=1e-9)
        assert w.loc[year, "industrial_value_added_growth"] == pytest.approx(100 * (total[year] / total[year - 1] - 1),
                                                                            rel=1e-9)
        derived = below_scale_growth(total[year], w.loc[year, "industrial_value_added_growth"], now,
                                     w.loc[year, "value_added_above_scale_growth"])
        assert derived == pytest.approx(growth, rel=1e-9)


def test_all_industry_is_the_two_parts(run_with_panel):
    w = wide(run_with_panel)
    np.testing.assert_allclose(w.industrial_value_added, w.value_added_above_scale + w.value_added_below_scale,
                               rtol=1e-12)


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
