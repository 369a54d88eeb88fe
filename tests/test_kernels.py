"""The compiled monthly loops give, bit for bit, what the numpy versions give."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.draws import FirmDraws, uniform_at
from simulation.processes import compiled, kernels

seeds = st.integers(0, 2**32 - 1)
sizes = st.integers(0, 400)


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal as bits (so -0.0 differs from 0.0), a NaN equal to any NaN: a NaN's sign bit depends on
    how numpy's vector loops and a compiled loop reach it (an invalid operation on a NaN input) and
    means nothing in any later result."""
    if a.shape != b.shape:
        return False
    if a.dtype.kind == "f" and b.dtype.kind == "f":
        nan = np.isnan(a)
        if not np.array_equal(nan, np.isnan(b)):
            return False
        a, b = np.where(nan, np.nan, a), np.where(nan, np.nan, b)
    return bool(np.array_equal(a.view(np.uint64), b.view(np.uint64)))


def _columns(seed: int, n: int) -> dict[str, np.ndarray]:
    """Firm columns with the awkward cases: dead rows, zero quota and revenue, quota above use."""
    rng = np.random.default_rng(seed)
    zero = rng.random(n) < 0.2
    return {
        "ytd": np.where(zero, 0.0, rng.lognormal(8, 2, n)),
        "revenue": np.where(rng.random(n) < 0.2, 0.0, rng.lognormal(7, 2, n)),
        "va_rate": rng.uniform(0.05, 0.5, n),
        "intensity": rng.lognormal(-1, 1, n),
        "quota": np.where(rng.random(n) < 0.2, 0.0, rng.lognormal(5, 3, n)),
        "alive": rng.random(n) < 0.8,
    }


@settings(max_examples=60, deadline=None)
@given(seeds, sizes, st.integers(0, 2**40), st.integers(0, 120))
def test_uniforms_are_firm_draws(seed, n, first_id, month):
    draws = FirmDraws(np.random.SeedSequence(seed))
    ids = first_id + np.sort(np.random.default_rng(seed).choice(10 * n + 1, n, replace=False)).astype(np.int64)
    want = uniform_at(draws.start("exit", month), ids)  # the numpy draw
    assert _same(compiled.uniforms(draws.start("exit", month), ids), want)
    assert _same(draws.uniform(ids, "exit", month), want)  # whichever FirmDraws uses at this size


def test_firm_draws_use_the_compiled_uniforms_where_numba_is_in_use(monkeypatch):
    draws = FirmDraws(np.random.SeedSequence(5))
    ids = np.arange(0, 3 * kernels.COMPILED_FROM, 3, dtype=np.int64)
    want = uniform_at(draws.start("growth", 2023), ids)
    called = []
    uniforms = compiled.uniforms
    monkeypatch.setattr(compiled, "uniforms", lambda *args: called.append(1) or uniforms(*args))
    assert _same(draws.uniform(ids, "growth", 2023), want) and called


@settings(max_examples=60, deadline=None)
@given(seeds, sizes, st.integers(0, 120))
def test_accrue_and_exit(seed, n, month):
    rng = np.random.default_rng(seed)
    start = FirmDraws(np.random.SeedSequence(seed)).start("exit", month)
    ids = np.cumsum(rng.integers(1, 5, n)).astype(np.int64)
    ytd, revenue, hazard = rng.lognormal(5, 2, n), rng.lognormal(5, 2, n), rng.uniform(0, 0.3, n)
    ytd_numpy = ytd.copy()
    want = kernels.accrue_and_exit(ytd_numpy, revenue, ids, hazard, start)
    got = compiled.accrue_and_exit(ytd, revenue, ids, hazard, start)
    assert _same(ytd, ytd_numpy) and np.array_equal(got, want) and got.dtype == want.dtype


def _awkward(seed: int, n: int) -> dict[str, np.ndarray]:
    """:func:`_columns` with NaN, -0.0 and negative values planted in every float column."""
    c = _columns(seed, n)
    rng = np.random.default_rng(seed + 7)
    for name in ("ytd", "revenue", "va_rate", "intensity", "quota"):
        odd = rng.random(n) < 0.1
        c[name] = np.where(odd, rng.choice([np.nan, -0.0, -1.0, np.inf], n), c[name])
    return c


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # awkward columns hold NaN on purpose
@settings(max_examples=60, deadline=None)
@given(seeds, sizes, st.integers(1, 11), st.booleans())
def test_claims_ahead(seed, n, months_done, awkward):
    c = (_awkward if awkward else _columns)(seed, n)
    args = (c["ytd"], c["revenue"], c["va_rate"], c["intensity"], c["quota"], c["alive"], (12 - months_done) / 12.0)
    asking, asked, claimed, plain = compiled.claims_ahead(*args)
    want_asking, want_asked, want_claimed, want_plain = kernels.claims_ahead(*args)
    claims = kernels.look_ahead(*args)[1]
    assert np.array_equal(asking, want_asking) and asking.dtype == want_asking.dtype
    assert np.array_equal(asking, np.flatnonzero(claims > 0))
    assert _same(asked, want_asked) and _same(asked, claims[asking])
    _same_sum(claimed, want_claimed)
    _same_sum(claimed, claims.sum())
    assert not (plain and np.isnan(claimed))
    assert plain == want_plain
    if plain:  # every claim but the claimants' is 0.0, so the claims are what the claimants give
        full = np.zeros(n)
        full[asking] = asked
        assert _same(full, claims)
    if not awkward:  # the quotas of _columns are plain, and so are the claims made of them
        assert plain


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # awkward columns hold NaN on purpose
@settings(max_examples=60, deadline=None)
@given(seeds, st.one_of(sizes, st.integers(0, 20_000)), st.booleans())
def test_claims_over_rate(seed, n, awkward):
    """有序用电's claims (the rate above the quota's), over one block or many."""
    c = (_awkward if awkward else _columns)(seed, n)
    args = (c["revenue"], c["va_rate"], c["intensity"], c["quota"], c["alive"])
    asking, asked, claimed, plain = compiled.claims_over_rate(*args)
    want_asking, want_asked, want_claimed, want_plain = kernels.claims_over_rate(*args)
    claims = kernels.rate_claims(*args)
    rate = c["revenue"] * (c["va_rate"] * c["intensity"]) * c["alive"]
    assert _same(claims, np.maximum(rate - c["quota"], 0.0) * c["alive"])
    assert np.array_equal(asking, want_asking) and np.array_equal(asking, np.flatnonzero(claims > 0))
    assert _same(asked, want_asked) and _same(asked, claims[asking])
    _same_sum(claimed, want_claimed)
    _same_sum(claimed, claims.sum())
    assert plain == want_plain and (plain or awkward)


@settings(max_examples=30, deadline=None)
@given(seeds, st.integers(0, 20_000), st.integers(1, 11), st.floats(0.0, 1.0))
def test_claims_ahead_over_many_blocks(seed, n, months_done, claimants):
    """Populations of many blocks of the pairwise sum, with few or many claimants."""
    c = _columns(seed, n)
    c["quota"] = np.where(np.random.default_rng(seed).random(n) < claimants, 0.0, np.inf)
    args = (c["ytd"], c["revenue"], c["va_rate"], c["intensity"], c["quota"], c["alive"], (12 - months_done) / 12.0)
    asking, asked, claimed, plain = compiled.claims_ahead(*args)
    want_asking, want_asked, want_claimed, want_plain = kernels.claims_ahead(*args)
    assert np.array_equal(asking, want_asking) and _same(asked, want_asked)
    assert claimed == want_claimed and plain == want_plain


@settings(max_examples=60, deadline=None)
@given(seeds, sizes)
def test_add_claims(seed, n):
    rng = np.random.default_rng(seed)
    quota, asking = rng.lognormal(5, 3, n), np.flatnonzero(rng.random(n) < 0.5)
    asked = rng.lognormal(0, 3, len(asking))
    want = quota.copy()
    kernels.add_claims(want, asking, asked)
    compiled.add_claims(quota, asking, asked)
    assert _same(quota, want)


def test_claims_ahead_is_not_plain_with_a_nan_claim_or_a_negative_zero():
    c = _columns(1, 50)
    c["alive"][:] = True
    for name, value in (("ytd", np.nan), ("quota", -0.0), ("quota", -2.0)):
        planted = {**c, name: c[name].copy()}
        planted[name][17] = value
        args = tuple(planted[k] for k in ("ytd", "revenue", "va_rate", "intensity", "quota", "alive")) + (0.5,)
        assert not compiled.claims_ahead(*args)[3] and not kernels.claims_ahead(*args)[3], name


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # awkward columns hold NaN on purpose
@settings(max_examples=60, deadline=None)
@given(seeds, sizes, st.integers(1, 11), st.floats(0.0, 1.0), st.booleans())
def test_idle_quota(seed, n, months_done, share, awkward):
    c = (_awkward if awkward else _columns)(seed, n)
    left = (12 - months_done) / 12.0
    args = (c["ytd"], c["revenue"], c["va_rate"], c["intensity"], c["alive"], left, c["quota"], share)
    (idle, total), (want_idle, want_total) = compiled.idle_quota(*args), kernels.idle_quota(*args)
    assert _same(idle, want_idle)
    _same_sum(total, want_total)
    quota, want_quota = c["quota"].copy(), c["quota"].copy()
    factor = float(np.random.default_rng(seed).uniform(0, 1))
    _same_sum(compiled.trade_idle(quota, idle, factor), kernels.trade_idle(want_quota, idle, factor))
    assert _same(quota, want_quota)


def _same_sum(got: float, want: float) -> None:
    """The same sum, bit for bit; a NaN sum any NaN (its sign depends on the order of additions)."""
    if np.isnan(want):
        assert np.isnan(got)
    else:
        assert np.float64(got).tobytes() == np.float64(want).tobytes()


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # awkward columns hold NaN on purpose
@settings(max_examples=60, deadline=None)
@given(seeds, sizes, st.floats(0.0, 1.0), st.booleans())
def test_grant_and_short(seed, n, scale, awkward):
    c = (_awkward if awkward else _columns)(seed, n)
    rng = np.random.default_rng(seed + 1)
    claims = np.where(rng.random(n) < 0.5, 0.0, rng.lognormal(3, 2, n))
    granted = claims * rng.uniform(0, 1, n) * (rng.random(n) < 0.7)
    c["revenue"] = np.where(rng.random(n) < 0.3, rng.uniform(0, 1, n), c["revenue"])  # rates below 1 too
    rate_columns = c["revenue"], c["va_rate"], c["intensity"], c["alive"]
    granted_numpy, quota_numpy, quota = granted.copy(), c["quota"].copy(), c["quota"].copy()
    short_numpy, rows_numpy = kernels.grant_and_short(granted_numpy, scale, quota_numpy, claims, *rate_columns)
    short, rows = compiled.grant_and_short(granted, scale, quota, claims, *rate_columns)
    assert _same(granted, granted_numpy) and _same(quota, quota_numpy) and _same(short, short_numpy)
    assert np.array_equal(rows, rows_numpy)


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # awkward columns hold NaN on purpose
@settings(max_examples=60, deadline=None)
@given(seeds, sizes, st.floats(0.0, 1.0), st.booleans())
def test_grant_and_short_among_the_claimants(seed, n, scale, awkward):
    """Plain claims (0.0 but for the claimants) and plain quotas: visiting the claimants alone
    gives the quotas and the short rows of the pass over every row, in numpy and compiled."""
    c = (_awkward if awkward else _columns)(seed, n)
    rng = np.random.default_rng(seed + 2)
    claims = np.where(rng.random(n) < 0.5, 0.0, rng.lognormal(3, 2, n) * (rng.random(n) < 0.9))
    granted = claims * np.where(rng.random(n) < 0.5, 1.0, rng.uniform(0, 1, n))
    quota = np.abs(np.nan_to_num(c["quota"]))  # plain: no sign bit
    rows = np.flatnonzero(claims > 0)
    rate_columns = c["revenue"], c["va_rate"], c["intensity"], c["alive"]
    want_quota = quota.copy()
    want_short, want_rows = kernels.grant_and_short(granted.copy(), scale, want_quota, claims, *rate_columns)
    for step in (kernels, compiled):
        got_quota = quota.copy()
        short, got_rows = step.grant_and_short_among(rows, granted.copy(), scale, got_quota, claims, *rate_columns)
        assert _same(got_quota, want_quota) and _same(short, want_short) and np.array_equal(got_rows, want_rows)


@settings(max_examples=60, deadline=None)
@given(seeds, sizes, st.floats(0.0, 1.0))
def test_compact_keeps_the_masked_rows_bit_for_bit(seed, n, keep_share):
    """The 8-byte columns of a population (int64, float64 with -0.0 and NaN payloads), compacted in
    place as bits, equal numpy's boolean selection."""
    rng = np.random.default_rng(seed)
    mask = rng.random(n) < keep_share
    floats = rng.lognormal(0, 3, n) * rng.choice([1.0, -1.0, 0.0, -0.0], n)
    floats[rng.random(n) < 0.1] = np.uint64(0x7FF8_0000_DEAD_BEEF).view(np.float64)  # a NaN with a payload
    columns = rng.integers(-(2**62), 2**62, n), floats
    wants = [column[mask] for column in columns]
    pair = [column.copy() for column in columns]
    for column, want in zip(columns, wants):
        kept = compiled.compact(column.view(np.uint64), mask)
        assert kept == len(want) and column.dtype == want.dtype
        assert np.array_equal(column[:kept].view(np.uint64), want.view(np.uint64))
    kept = compiled.compact_pair(pair[0].view(np.uint64), pair[1].view(np.uint64), mask)  # two at once
    for column, want in zip(pair, wants):
        assert kept == len(want) and np.array_equal(column[:kept].view(np.uint64), want.view(np.uint64))


@settings(max_examples=60, deadline=None)
@given(seeds, sizes, st.floats(0.0, 1.0))
def test_select_is_the_boolean_selection(seed, n, share):
    """The same values (bits: -0.0, NaN payloads) in the same order, so sums over them are the same."""
    rng = np.random.default_rng(seed)
    values = rng.lognormal(0, 3, n) * rng.choice([1.0, -1.0, 0.0, -0.0], n)
    values[rng.random(n) < 0.1] = np.uint64(0x7FF8_0000_DEAD_BEEF).view(np.float64)
    mask = rng.random(n) < share
    got = compiled.select(values, mask)
    assert _same(got, values[mask])
    assert _same(kernels.select(values, mask), values[mask])


def test_keep_is_the_same_with_either_version(monkeypatch):
    from simulation.population import COLUMNS, Population

    pops = []
    for compiled_from in (0, 10**12):
        rng = np.random.default_rng(3)
        monkeypatch.setattr(kernels, "COMPILED_FROM", compiled_from)
        monkeypatch.setattr(kernels, "_stepped", 0)
        pop = Population.new(500, alive=np.random.default_rng(4).random(500) < 0.9,
                             **{name: rng.integers(0, 100, 500) for name in ("cert", "entry_year", "sector")},
                             revenue=np.random.default_rng(5).lognormal(0, 2, 500))
        pop.keep(pop.alive)
        pops.append(pop)
    assert len(pops[0]) == len(pops[1]) == int(np.count_nonzero(np.random.default_rng(4).random(500) < 0.9))
    for name in COLUMNS:
        assert np.array_equal(getattr(pops[0], name), getattr(pops[1], name)), name


def test_large_populations_and_long_runs_use_the_compiled_loops(monkeypatch):
    monkeypatch.setattr(kernels, "_stepped", 0)
    assert kernels.for_size(kernels.COMPILED_FROM - 1) is kernels
    assert kernels.for_size(kernels.COMPILED_FROM) is compiled
    monkeypatch.setattr(kernels, "_stepped", kernels.COMPILED_AFTER)
    assert kernels.for_size(10) is compiled
    monkeypatch.setattr(kernels, "_stepped", 0)
    assert kernels.compiled_for(kernels.COMPILED_FROM - 1) is None and kernels._stepped == 0
    assert kernels.compiled_for(kernels.COMPILED_FROM) is compiled


def test_expecting_to_pass_the_threshold_switches_now(monkeypatch):
    monkeypatch.setattr(kernels, "_stepped", 1000)
    kernels.expect(kernels.COMPILED_AFTER - 1001)  # one step short: numpy still
    assert kernels.for_size(10) is kernels and kernels.numpy_steps() == 1010
    kernels.expect(kernels.COMPILED_AFTER - 1010)  # would reach it: compiled from now on
    assert kernels.for_size(10) is compiled and kernels.numpy_steps() == kernels.COMPILED_AFTER
    monkeypatch.setattr(kernels, "_stepped", kernels.COMPILED_AFTER + 5)
    kernels.expect(0)  # never counts back
    assert kernels.numpy_steps() == kernels.COMPILED_AFTER + 5


def test_steps_that_would_be_compiled_wait_until_a_run_earns_the_compiling(monkeypatch):
    """With numba's disk cache empty, large populations and long runs stay on numpy until the
    process has stepped COMPILED_AFTER_COLD firm-months, or a batch expects to."""
    monkeypatch.setattr(kernels, "_cold", True)
    monkeypatch.setattr(kernels, "_stepped", 0)
    assert kernels.for_size(kernels.COMPILED_FROM) is kernels and kernels.numpy_steps() == kernels.COMPILED_FROM
    assert kernels.compiled_for(10**9) is None
    monkeypatch.setattr(kernels, "_stepped", kernels.COMPILED_AFTER)
    assert kernels.for_size(10) is kernels
    kernels.expect(kernels.COMPILED_AFTER_COLD - kernels.COMPILED_AFTER - 11)  # short of the bar
    assert kernels.for_size(10) is kernels
    kernels.expect(kernels.COMPILED_AFTER_COLD - kernels.COMPILED_AFTER - 20)  # would reach it
    assert kernels.for_size(10) is compiled and kernels.numpy_steps() == kernels.COMPILED_AFTER_COLD
    monkeypatch.setattr(kernels, "_cold", False)  # the cache filled: the size threshold again
    monkeypatch.setattr(kernels, "_stepped", 0)
    assert kernels.for_size(kernels.COMPILED_FROM) is compiled


_CACHE_PROBE = """
import sys
import numpy as np
from simulation.processes import compiled, kernels

print(compiled.cached(), kernels.for_size(kernels.COMPILED_FROM) is compiled)
if sys.argv[1] == "fill":
    compiled.accrue_and_exit(np.zeros(2), np.ones(2), np.arange(2), np.zeros(2), np.uint64(1))
    print(compiled.cached())
"""


def test_an_empty_disk_cache_is_told_from_a_filled_one(tmp_path):
    """numba's own disk cache, in fresh processes: empty, a large population steps on numpy; once a
    process has compiled the month step into it, the next loads it and steps compiled at once."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}

    def probe(mode: str) -> list[str]:
        done = subprocess.run([sys.executable, "-c", _CACHE_PROBE, mode], env=env, capture_output=True,
                              text=True, check=True)
        return done.stdout.split()

    assert probe("fill") == ["False", "False", "True"]
    assert probe("read") == ["True", "True"]


def test_a_batch_switches_after_its_first_replication_when_the_rest_would_pass(monkeypatch):
    """A chunk of replications measures its first and, when the rest would take the process past
    the threshold, runs them compiled: the same tables as every replication on numpy."""
    from pathlib import Path

    from simulation.experiments.replicate import run_replications
    from simulation.loader import load_scenario

    scenario = load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / "zhenhai_2021_2025.yaml")
    monkeypatch.setattr(kernels, "COMPILED_FROM", 10**12)
    monkeypatch.setattr(kernels, "COMPILED_AFTER", 10**18)
    monkeypatch.setattr(kernels, "_stepped", 0)
    numpy_only = run_replications(scenario, 8, seed=5)  # serial: four chunks of two
    monkeypatch.setattr(kernels, "_stepped", 0)
    run_replications(scenario, 1, seed=5)  # the batch's first replication alone
    first = kernels.numpy_steps()
    monkeypatch.setattr(kernels, "COMPILED_AFTER", 2 * first - 1)  # the first chunk's two would pass it
    monkeypatch.setattr(kernels, "_stepped", 0)
    switched = run_replications(scenario, 8, seed=5)
    assert kernels.numpy_steps() == 2 * first - 1  # switched at the expectation: no numpy step counted after
    for table in ("indicators", "flows", "targets"):
        assert getattr(switched, table).equals(getattr(numpy_only, table)), table


def test_a_run_is_the_same_with_either_version(monkeypatch):
    """Whole replications (indicators, flows, ledger) with every step compiled and with none."""
    from pathlib import Path

    from simulation.loader import load_scenario
    from simulation.model import simulate

    scenario = load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / "zhenhai_2021_2025.yaml")
    runs = []
    for compiled_from in (0, 10**12):
        monkeypatch.setattr(kernels, "COMPILED_FROM", compiled_from)
        monkeypatch.setattr(kernels, "COMPILED_AFTER", 10**18)
        monkeypatch.setattr(kernels, "_stepped", 0)
        runs.append(simulate(scenario, 7))
    for table in ("indicators", "flows", "ledger"):
        a, b = getattr(runs[0], table), getattr(runs[1], table)
        assert a.equals(b), table


@settings(max_examples=60, deadline=None)
@given(seeds, st.integers(0, 50), st.integers(0, 300), st.booleans(), st.floats(0.0, 1.0), st.integers(0, 300))
def test_append_is_extending_by_a_new_population(seed, before, n, room, kept, later):
    """Rows appended in place (fresh ids, columns not given zero, grade ungraded, scalars and
    arrays cast as Population.new casts them) equal extending by a population made for them,
    into buffers with room or not, and again after exits have left rows behind (each column
    given by one append and not the other, so a left row read as new would show)."""
    from simulation.population import COLUMNS, Population

    rng = np.random.default_rng(seed)

    def values(n: int, first: bool) -> dict:
        given = dict(alive=True, revenue=rng.lognormal(5, 2, n), entry_year=2023, va_rate=0.25,
                     land=rng.random(n) * 10, quota=np.where(rng.random(n) < 0.5, -0.0, rng.random(n)),
                     lease_end=rng.integers(0, 2030, n), employees=np.maximum(rng.lognormal(2, 1, n), 1.0),
                     cert=rng.integers(0, 3, n).astype(float), sector=2.0, above=np.ones(n), tax_rate=0)
        other = dict(grade=rng.integers(0, 5, n), score=rng.random(n), rd=rng.random(n), drift=-1.5,
                     cert_year=2021, d_streak=rng.integers(0, 3, n), hazard_month=rng.random(n))
        return given if first else other | dict(alive=True)

    first, second = values(n, True), values(later, False)
    mask = rng.random(before + n) < kept
    pops = [Population.new(before, revenue=np.arange(before, dtype=float), alive=True, room=room) for _ in range(2)]
    pops[0].extend(Population.new(n, **first))
    pops[1].append(n, **first)
    for pop in pops:
        pop.keep(mask)
    pops[0].extend(Population.new(later, **second))
    pops[1].append(later, **second)
    assert len(pops[0]) == len(pops[1]) and pops[0].next_id == pops[1].next_id
    for name in COLUMNS:
        a, b = getattr(pops[0], name), getattr(pops[1], name)
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes(), name


def test_each_column_is_its_own_buffers_view_after_growth():
    """Each column's view is set by position (its slot's setter, in COLUMNS' order): after births
    outgrow the buffers, every column is still the leading rows of its own buffer, of its own type;
    buffers taken in another order would give a column another's rows, so they are refused."""
    from simulation.population import COLUMNS, Population

    pop = Population.new(5, alive=True, room=True)
    pop.append(40, alive=True, revenue=np.arange(40.0))  # beyond the room: every buffer grows
    for name, dtype in COLUMNS.items():
        column, buffer = getattr(pop, name), pop._buffers[name]
        assert len(column) == 45 and column.dtype == dtype and np.shares_memory(column, buffer), name
        assert column.__array_interface__["data"][0] == buffer.__array_interface__["data"][0], name
    assert pop.revenue[5:].tolist() == list(np.arange(40.0))
    buffers = {name: np.zeros(3, dtype=dtype) for name, dtype in reversed(COLUMNS.items())}
    with pytest.raises(ValueError, match="COLUMNS' order"):
        Population.__new__(Population)._own(buffers, 3)


@settings(max_examples=80, deadline=None)
@given(seeds, sizes, st.floats(0.0, 2.0), st.booleans())
def test_banded_grants(seed, n, cover, awkward):
    """Band by band (A first, ungraded with B), pro rata where the pool runs out: the same bits."""
    from simulation.processes import energy
    from simulation.tiers import GRADE_B, UNGRADED

    rng = np.random.default_rng(seed)
    claims = np.where(rng.random(n) < 0.4, 0.0, rng.lognormal(3, 2, n))
    if awkward:  # negative zeros, equal claims, a tiny one
        claims = np.where(rng.random(n) < 0.2, -0.0, np.where(rng.random(n) < 0.2, 1 / 3, claims))
        claims[: min(n, 1)] = 1e-300
    grade = rng.integers(0, 5, n).astype(np.int8)
    asking = np.flatnonzero(claims > 0)
    left = cover * float(claims[asking].sum())
    want = np.zeros(n)
    band = energy.priority(grade[asking])
    for b in np.unique(band):  # the numpy banding, written out
        rows = asking[band == b]
        asked = float(claims[rows].sum())
        share = min(left / asked, 1.0) if asked > 0 else 0.0
        want[rows] = claims[rows] * share
        left -= asked * share
        if left <= 0:
            break
    got = compiled.banded_grants(claims, grade, asking, cover * float(claims[asking].sum()), np.zeros(n),
                                 UNGRADED, GRADE_B)
    assert _same(got, want)
