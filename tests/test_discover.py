"""Scenario discovery: PRIM and CART recover a box planted in a synthetic sweep store."""

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from simulation.cli import main
from simulation.experiments.discover import discover
from simulation.io import write_parquet

# the planted truth: the target is likely met when remediation >= 100 and energy_cap_scale <= 1.0
BOX = {"remediation": (100.0, 150.0), "energy_cap_scale": (0.9, 1.0)}


def synthetic_store(folder, seed: int, n: int = 1500, reps: int = 20):
    """A sweep store whose attainment is high inside BOX and low outside, with binomial noise."""
    rng = np.random.default_rng(seed)
    design = pd.DataFrame({
        "point": np.arange(n), "remediation": rng.uniform(30, 150, n), "energy_cap_scale": rng.uniform(0.9, 1.1, n),
        "land": rng.uniform(200, 1500, n), "projects": rng.integers(6, 25, n),
    })
    inside = np.ones(n, dtype=bool)
    for factor, (lo, hi) in BOX.items():
        inside &= design[factor].between(lo, hi).to_numpy()
    p_met = rng.binomial(reps, np.where(inside, 0.85, 0.15)) / reps
    attainment = pd.DataFrame({"point": design["point"], "target": "规上工业亩均税收", "indicator": "tax_per_mu",
                               "year": 2025, "p_met": p_met})
    write_parquet(folder / "design.parquet", design)
    write_parquet(folder / "attainment.parquet", attainment)
    return design, inside


@pytest.mark.parametrize("seed", [0, 1])
def test_prim_recovers_the_planted_box(tmp_path, seed):
    design, inside = synthetic_store(tmp_path, seed)
    found = discover(tmp_path, "tax_per_mu:2025")
    first = found.boxes[found.boxes["box"] == 1].set_index("factor")
    assert set(first.index) == set(BOX)  # the two irrelevant factors stay unrestricted
    span = {"remediation": 120.0, "energy_cap_scale": 0.2}
    for factor, (lo, hi) in BOX.items():
        assert first.loc[factor, "min"] == pytest.approx(lo, abs=0.08 * span[factor])
        assert first.loc[factor, "max"] == pytest.approx(hi, abs=0.08 * span[factor])
    # coverage, density and mass agree with a direct count on the returned limits
    limits = np.ones(len(design), dtype=bool)
    for factor, row in first.iterrows():
        limits &= design[factor].between(row["min"], row["max"]).to_numpy()
    y = found.y
    assert first["mass"].iloc[0] == pytest.approx(limits.mean())
    assert first["density"].iloc[0] == pytest.approx(y[limits].mean())
    assert first["coverage"].iloc[0] == pytest.approx(y[limits].sum() / y.sum())
    assert first["density"].iloc[0] > 0.8 and first["coverage"].iloc[0] > 0.6


def test_cart_leaf_with_most_cases_is_the_planted_box(tmp_path):
    synthetic_store(tmp_path, 2)
    found = discover(tmp_path, "tax_per_mu:2025")
    best = found.leaves.iloc[0]
    assert "remediation >" in best["rule"] and "energy_cap_scale <=" in best["rule"]
    assert "land" not in best["rule"] and best["density"] > 0.8


def test_missed_inverts_the_cases(tmp_path):
    synthetic_store(tmp_path, 3)
    p = pd.read_parquet(tmp_path / "attainment.parquet")["p_met"].to_numpy()
    met = discover(tmp_path, "tax_per_mu:2025")
    missed = discover(tmp_path, "tax_per_mu:2025", missed=True)
    # met: P(met) >= 0.5; missed: P(missed) >= 0.5; only P = 0.5 is both
    assert (met.y | missed.y).all()
    np.testing.assert_array_equal(met.y & missed.y, p == 0.5)
    assert missed.cases == "missed" and set(missed.boxes["factor"]) >= set(BOX)


def test_cli_discover_writes_tables_and_figures_or_refuses_a_bad_target(tmp_path):
    synthetic_store(tmp_path, 4, n=600)
    result = CliRunner().invoke(main, ["discover", str(tmp_path), "--target", "tax_per_mu:2025"])
    assert result.exit_code == 0, result.output
    assert "PRIM box 1" in result.output
    out = tmp_path / "discovery"
    assert pd.read_csv(out / "boxes.csv")["factor"].notna().all()
    assert {p.name for p in (out / "figures").glob("*.png")} >= {"prim_trajectory_1.png", "prim_box_1.png", "cart_tree.png"}
    missed = CliRunner().invoke(main, ["discover", str(tmp_path), "-t", "tax_per_mu:2025", "--missed", "--threshold", "0.9",
                                       "--no-plots", "--out", str(tmp_path / "missed")])
    assert missed.exit_code == 0, missed.output
    p_met = pd.read_parquet(tmp_path / "attainment.parquet")["p_met"]
    assert f"{int((1 - p_met >= 0.9).sum())} of 600 design points are cases (missed)" in missed.output
    assert not (tmp_path / "missed" / "figures").exists() and (tmp_path / "missed" / "boxes.csv").exists()
    for target, message in (("tax_per_mu", "NAME@YEAR"), ("tax_per_mu:2023", "no target on tax_per_mu in 2023")):
        bad = CliRunner().invoke(main, ["discover", str(tmp_path), "--target", target])
        assert bad.exit_code == 2 and message in bad.stderr


def test_the_figures_say_what_a_case_is_and_the_tree_speaks_chinese(tmp_path):
    """Each discovery figure names the target and the case rule (达成概率 ≥ 60%); the CART tree's
    node text is in Chinese, not scikit-learn's English."""
    import matplotlib.pyplot as plt

    from simulation.plots import discovery
    from simulation.plots.fonts import plot_style

    synthetic_store(tmp_path, 5, n=400)
    found = discover(tmp_path, "tax_per_mu:2025", threshold=0.6)
    assert found.threshold == 0.6
    with plot_style():
        ax = discovery.tree_plot(found.tree, list(found.x.columns), lang="zh")
        discovery._title(ax, found, "zh")
    nodes = " ".join(t.get_text() for t in ax.texts)
    assert "样本占比" in nodes and "samples" not in nodes and "class" not in nodes and "True" not in nodes
    title = ax.figure._suptitle.get_text()
    assert "规上工业亩均税收 2025" in title and "达成概率 ≥ 60%" in title
    plt.close(ax.figure)
    assert len(discovery.draw_discovery(found, tmp_path / "fig", lang="zh")) >= 3
