"""The base year's 高新技术企业 by value added: the bisection over the size weight, with each step
ranking only the firms that can still cross the cut, picks what ranking everyone at every step picks."""

from __future__ import annotations

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from simulation.draws import gumbel
from simulation.processes.certificates_init import high_tech_by_value_added, nth_highest


def _everyone_at_every_step(n_ht, share, value_added, rd, is_above, rng):
    """The bisection with a partition of the whole population at each of its 40 steps."""
    noise = gumbel(rng, len(value_added))
    log_rd, log_va = np.log(rd), np.log(value_added)
    total = value_added[is_above].sum()
    n_ht = int(min(max(n_ht, 0), len(value_added)))

    def pick(weight: float) -> np.ndarray:
        chosen = np.zeros(len(log_rd), dtype=bool)
        if n_ht == 0:
            return chosen
        score = log_rd + weight * log_va + noise
        chosen[np.argpartition(-score, n_ht - 1)[:n_ht]] = True
        return chosen

    low, high = 0.0, 50.0
    for _ in range(40):
        mid = (low + high) / 2
        if value_added[pick(mid) & is_above].sum() / total < share:
            low = mid
        else:
            high = mid
    return pick(high)


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 3000), st.floats(0.0, 1.2), st.floats(0.0, 0.95),
       st.floats(0.1, 4.0), st.sampled_from([0, 1, 2, 50]))
@example(seed=1, n=400, pick_share=0.1, share=0.5, spread=2.0, repeated=2)
def test_ranking_candidates_only_picks_the_same_firms(seed, n, pick_share, share, spread, repeated):
    """Sizes and R&D over several orders of magnitude; some firms repeated exactly (ties in the score
    at every weight, so at the cut too), the count from none to more than everyone."""
    rng = np.random.default_rng(seed)
    value_added = rng.lognormal(5, spread, n)
    rd = rng.lognormal(-3.5, 1.0, n)
    twins = rng.integers(0, n, size=(repeated, 2)) if repeated else np.zeros((0, 2), dtype=int)
    value_added[twins[:, 0]], rd[twins[:, 0]] = value_added[twins[:, 1]], rd[twins[:, 1]]
    is_above = rng.random(n) < 0.4
    is_above[0] = True
    n_ht = int(round(pick_share * n))
    state = rng.bit_generator.state
    want = _everyone_at_every_step(n_ht, share, value_added, rd, is_above, rng)
    rng.bit_generator.state = state
    got = high_tech_by_value_added(n_ht, share, value_added, rd, is_above, rng)
    assert np.array_equal(got, want)


def test_tied_scores_at_the_cut_fall_back_to_the_whole_partition():
    """Identical firms (equal score at every weight, their noise made equal too) straddling the cut."""
    n = 200

    class SameNoise:  # every uniform the same, so every firm's Gumbel noise
        def random(self, size):
            return np.full(size, 0.5)

    value_added = np.full(n, 100.0)
    value_added[:50] = 1000.0
    rd = np.full(n, 0.05)
    is_above = np.ones(n, dtype=bool)
    got = high_tech_by_value_added(80, 0.5, value_added, rd, is_above, SameNoise())
    assert got.sum() == 80 and got[:50].all()
    assert np.array_equal(got, _everyone_at_every_step(80, 0.5, value_added, rd, is_above, SameNoise()))


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 500), st.floats(0.0, 1.0), st.sampled_from([1, 3, 1000]))
def test_nth_highest_with_any_hint_is_the_sorted_value(seed, size, pick_share, levels):
    """Any n distinct positions bound the cut from below, near the top or not: the value is the
    n-th of the sorted values (few levels: many ties at the cut)."""
    rng = np.random.default_rng(seed)
    values = rng.integers(0, levels, size).astype(float)
    n = max(1, round(pick_share * size))
    want = np.sort(values)[size - n]
    assert nth_highest(values, n) == want
    assert nth_highest(values, n, rng.permutation(size)[:n]) == want
    assert nth_highest(values, n, np.argsort(values)[size - n:]) == want


def test_a_city_sized_pick_compiled_or_not_is_everyones():
    """12,000 firms: the narrowed brackets and the last pick's bound above the histogram select's
    threshold, on the compiled steps and on numpy, pick what ranking everyone at every step picks."""
    from simulation.processes import kernels

    for seed in (3, 4):
        rng = np.random.default_rng(seed)
        n = 12_000
        value_added, rd = rng.lognormal(5, 2.0, n), rng.lognormal(-3.5, 1.0, n)
        is_above = rng.random(n) < 0.2
        want = _everyone_at_every_step(450, 0.5, value_added, rd, is_above, np.random.default_rng(seed + 10))
        for compiled in (True, False):
            with kernels.pinned(compiled):
                got = high_tech_by_value_added(450, 0.5, value_added, rd, is_above, np.random.default_rng(seed + 10))
            assert np.array_equal(got, want), (seed, compiled)
