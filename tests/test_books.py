"""One vocabulary of counters: an unknown name is an error, every flow indicator reads its own name."""

from __future__ import annotations

import pytest

from simulation.books import ALIASES, COUNTERS, Books, UnknownCounter
from simulation.indicators import INDICATORS, Snapshot
from simulation.model import simulate


def test_an_unknown_counter_name_fails_on_write_and_on_read():
    books = Books()
    with pytest.raises(UnknownCounter):
        books["land_fred"] += 1.0
    with pytest.raises(UnknownCounter):
        books.add("projects_arived")
    with pytest.raises(UnknownCounter):
        Snapshot(2021, {}, dict(books), {}).count("energy_rationned")


def test_aliases_book_under_the_declared_name():
    books = Books()
    books["births"] += 3
    books["exit_market"] += 2
    assert dict(books) == {"firm_births": 3.0, "exits_market": 2.0}
    assert set(ALIASES.values()) <= COUNTERS


def test_every_flow_indicator_reads_a_counter_of_its_own_name():
    flows = [name for name, ind in INDICATORS.items() if ind.flow]
    missing = [name for name in flows if name not in COUNTERS and name not in {"carbon_avoided", "manufacturing_investment"}]
    assert missing == []


def test_a_run_writes_only_declared_counters(small):
    """Every counter a run writes reaches an indicator or the investment total (nothing dangles)."""
    w = simulate(small, 0).indicators.pivot(index="year", columns="indicator", values="value")
    assert w.firm_births.iloc[1:].sum() > 0 and w.exits_market.iloc[1:].sum() > 0  # the aliased writers land
    assert w.remediated_low_efficiency.iloc[1:].sum() > 0
