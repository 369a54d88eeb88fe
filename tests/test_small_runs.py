"""The fixed cost of a small replication: schedules read once, event hashes kept, a batch's tables
built once per chunk and its runs freed at once. Each shortcut gives what the long way gives."""

import gc
import zlib

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.draws import FirmDraws, _mix_int
from simulation.experiments.replicate import _run_one, run_replications
from simulation.experiments.seeds import task_seed
from simulation.loader import lever_paths, scenario_hash, with_overrides
from simulation.model import simulate
from simulation.quantity import Quantity

schedules = st.dictionaries(st.integers(2000, 2040), st.integers(-1000, 1000) | st.floats(-1e6, 1e6),
                            min_size=1, max_size=6)


def in_force(schedule: dict, year: int) -> float:
    """The definition: the value of the latest year at or before ``year``, else of the earliest year."""
    earlier = [y for y in schedule if y <= year]
    return float(schedule[max(earlier) if earlier else min(schedule)])


@settings(max_examples=200, deadline=None)
@given(schedules, st.lists(st.integers(1990, 2050), min_size=1, max_size=20))
def test_a_schedule_read_again_gives_its_value_in_force(schedule, years):
    q = Quantity(value=schedule, assume="a test schedule")
    for year in years + years:  # the second pass reads kept values
        assert q.at(year) == in_force(schedule, year)
        assert q.at(np.int64(year)) == in_force(schedule, year)


@settings(max_examples=100, deadline=None)
@given(schedules, schedules, st.lists(st.integers(1990, 2050), min_size=1, max_size=10))
def test_a_copy_with_another_schedule_reads_its_own(first, second, years):
    q = Quantity(value=first, assume="a test schedule")
    for year in years:
        q.at(year)
    copy = q.model_copy(update={"value": second})
    assert [copy.at(y) for y in years] == [in_force(second, y) for y in years]
    assert [q.at(y) for y in years] == [in_force(first, y) for y in years]


def test_values_read_leave_equality_hashing_and_dumps_alone():
    q = Quantity(value={2020: 1, 2023: 2.5}, source="001 Table 1")
    fresh = Quantity(value={2020: 1, 2023: 2.5}, source="001 Table 1")
    dumped, json = q.model_dump(), q.model_dump_json()
    q.at(2021), q.at(2024)
    assert q == fresh and fresh == q
    assert q.model_dump() == dumped and q.model_dump_json() == json
    assert Quantity.model_validate(q.model_dump()) == q


def test_a_changed_scenario_is_not_served_the_old_schedule(small):
    # an amount that doubles validly (a month, 1-13, would not)
    path, value, _ = next((p, v, u) for p, v, u in lever_paths(small) if isinstance(v, dict) and len(v) > 1 and u != "月")
    node = small
    for part in path.split("."):
        node = getattr(node, part)
    years = range(min(value) - 1, max(value) + 2)
    before = [node.at(y) for y in years]
    changed = with_overrides(small, {path: {y: v * 2 + 1 for y, v in value.items()}})
    moved = changed
    for part in path.split("."):
        moved = getattr(moved, part)
    assert [moved.at(y) for y in years] == [2 * b + 1 for b in before]
    assert [node.at(y) for y in years] == before


def test_a_run_leaves_the_scenario_as_it_was(small):
    digest = scenario_hash(small)
    run_replications(small, 2, seed=3)
    assert scenario_hash(small) == digest
    assert with_overrides(small, {}) == small


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**63), st.sampled_from(["growth", "exit", "scale_report", "cert", "remediation_route"]),
       st.integers(0, 10_000))
def test_a_start_is_the_hash_of_replication_event_and_time(entropy, event, time):
    draws = FirmDraws(np.random.SeedSequence(entropy))
    tag = (zlib.crc32(event.encode()) << 32) | (time & 0xFFFFFFFF)
    expected = np.uint64(_mix_int(draws.key ^ _mix_int(tag)))
    assert draws.start(event, time) == expected
    assert draws.start(event, np.int64(time)) == expected  # months as numpy integers: the same start


def test_replications_keep_their_own_starts_for_a_shared_event():
    a, b = FirmDraws(np.random.SeedSequence(1)), FirmDraws(np.random.SeedSequence(2))
    starts = [(a.start("growth", m), b.start("growth", m)) for m in range(1, 13)]
    assert all(x != y for x, y in starts)
    assert starts == [(a.start("growth", m), b.start("growth", m)) for m in range(1, 13)]


def per_replication_tables(scenario, replications: int, seed: int):
    """The tables as built before: a frame per replication, a replication column, one concat."""
    runs = [simulate(scenario, task_seed(seed, 0, r)) for r in range(replications)]
    indicators = pd.concat([run.indicators.assign(replication=r) for r, run in enumerate(runs)], ignore_index=True)
    flows = pd.concat([run.flows.assign(replication=r) for r, run in enumerate(runs)], ignore_index=True)
    return (indicators[["replication", "year", "indicator", "value"]],
            flows[["replication", "year", "source", "target", "count"]])


@pytest.mark.parametrize("replications", [1, 9])  # 9: chunks of two replications
def test_a_batch_builds_the_tables_of_its_replications(small, replications):
    run = run_replications(small, replications, seed=4)
    indicators, flows = per_replication_tables(small, replications, 4)
    for got, expected in ((run.indicators, indicators), (run.flows, flows)):
        pd.testing.assert_frame_equal(got, expected, check_exact=True, check_index_type=True)
        assert list(got.dtypes) == list(expected.dtypes)


def test_a_finished_run_is_freed_at_once(small):
    was_on = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        rows, flows, panel = _run_one(small, task_seed(0, 0, 0), False)
        assert rows and flows and panel is None
        assert gc.collect() == 0  # nothing of the run left for the collector
    finally:
        if was_on:
            gc.enable()


def test_a_batch_leaves_the_collector_as_it_found_it(small):
    run_replications(small, 2, seed=0)
    assert gc.isenabled()
    gc.disable()
    try:
        run_replications(small, 2, seed=0)
        assert not gc.isenabled()
    finally:
        gc.enable()
