"""At the base year the simulated firms reproduce the document's baseline (001 Table 1).

Tolerance: 0.5% relative on the ratios the population is scaled to, exact on the firm count.
The first simulated year must stay near the base (no jump from initialisation): within 15%.
"""

import pytest

from simulation.model import simulate

TOL = 0.005


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_zhenhai_2020_baseline(zhenhai, seed):
    w = simulate(zhenhai, seed).indicators.pivot(index="year", columns="indicator", values="value")
    base = w.loc[2020]
    assert base.value_added_rate == pytest.approx(23.3, rel=TOL)  # 001 Table 1
    assert base.tax_per_mu == pytest.approx(83.7, rel=TOL)  # 001 Table 1
    assert base.firms_above_scale == 500  # 001 §三(一)3: 500多家规上工业企业
    assert base.output_above_scale == pytest.approx(2860, rel=TOL)
    first = w.loc[2021]
    for name in ("value_added_rate", "tax_per_mu", "firms_above_scale", "value_added_above_scale"):
        assert first[name] == pytest.approx(base[name], rel=0.15), name
