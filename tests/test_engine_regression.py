"""The engine's numbers do not move when it is made faster.

Replays the runs (indicators, flows and land/energy ledgers) recorded by ``tests/fixtures/engine/make_fixtures.py`` (3 seeds of each shipped
scenario, recorded before the engine was optimised) and compares indicators and flows with them.
Bit-identical: every optimisation so far keeps each float operation in its order.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.fixtures.engine.make_fixtures import runs

HERE = Path(__file__).resolve().parent / "fixtures" / "engine"


@pytest.fixture(scope="module")
def replayed():
    return list(runs())


def _stored(name: str) -> pd.DataFrame:
    return pd.read_parquet(HERE / name)


def test_indicators_are_those_recorded(replayed):
    stored = _stored("indicators.parquet")
    for name, seed, result in replayed:
        want = stored[(stored.scenario == name) & (stored.seed == seed)]
        got = result.indicators
        assert list(got.indicator) == list(want.indicator), (name, seed)
        assert list(got.year) == list(want.year), (name, seed)
        a, b = got.value.to_numpy(), want.value.to_numpy()
        same = (a == b) | (np.isnan(a) & np.isnan(b))
        assert same.all(), (name, seed, list(got.indicator[~same])[:5], list(got.year[~same])[:5])


def test_flows_are_those_recorded(replayed):
    stored = _stored("flows.parquet")
    cols = ["year", "source", "target", "count"]
    for name, seed, result in replayed:
        want = stored[(stored.scenario == name) & (stored.seed == seed)][cols].reset_index(drop=True)
        got = result.flows[cols].reset_index(drop=True)
        pd.testing.assert_frame_equal(got, want, check_dtype=False, obj=f"{name} seed {seed}")


def test_ledgers_are_those_recorded(replayed):
    """Every land and energy movement, at the same time, in the same order, of the same amount."""
    stored = _stored("ledger.parquet")
    cols = ["resource", "time", "event", "amount", "reason"]
    for name, seed, result in replayed:
        want = stored[(stored.scenario == name) & (stored.seed == seed)][cols].reset_index(drop=True)
        got = result.ledger[cols].reset_index(drop=True)
        pd.testing.assert_frame_equal(got, want, check_exact=True, check_dtype=False, obj=f"{name} seed {seed}")
