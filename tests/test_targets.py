"""Target measures: level, cumulative since a base year, average annual growth."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulation.scenario import Target
from simulation.targets import met, target_values

WIDE = pd.DataFrame({2020: [100.0, 100.0], 2021: [110.0, 90.0], 2022: [121.0, 95.0], 2023: [133.1, 99.0]})


def target(**kw):
    base = dict(name="t", indicator="tax_per_mu", year=2023, value=1.0, source="test")
    return Target(**(base | kw))


def test_level_cumulative_and_cagr():
    assert target_values(WIDE, target()).tolist() == [133.1, 99.0]
    assert target_values(WIDE, target(measure="cumulative", since=2020)).tolist() == [364.1, 284.0]
    cagr = target_values(WIDE, target(measure="cagr", since=2020))
    assert cagr.iloc[0] == pytest.approx(10.0)
    assert cagr.iloc[1] == pytest.approx(100 * (0.99 ** (1 / 3) - 1))


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
