"""Partial ranking in linear time, with the ties of a stable sort.

Only a cut of the ranking is ever needed (the top k, or which of a few rank bands a firm falls
in), so a full sort of the population is wasted work. These functions give exactly what
``np.argsort(key, kind="stable")`` would give for those questions: smaller keys rank first, and
among equal keys the earlier position ranks first (the stated tie rule). NaN keys rank last, as
in numpy's sort.
"""

from __future__ import annotations

import numpy as np

from . import kernels

RADIX_FROM = 4096  # values: below this numpy's partition is as quick as the histogram's fixed cost


def kth_smallest(values: np.ndarray, k: int) -> float:
    """``np.partition(values, k)[k]``: the value of rank ``k`` (from 0) in ascending order, NaN last."""
    return kth_smallests(values, [k])[0]


def kth_smallests(values: np.ndarray, ks: list[int]) -> list[float]:
    """``np.partition(values, ks)[ks]`` for ascending ranks ``ks``: the value of each rank.

    Where the compiled steps are in use, from one histogram of the values' leading bits and a
    partition of the bins that hold the ranks (:func:`.compiled.kth_smallests`: at 50,000 values
    spread over a few orders of magnitude, a fifth to a third of a partition of all's time; where
    the ranks' bins hold over a quarter of them, numpy's partition after all). The same values; a zero's sign may
    differ where -0.0 and +0.0 meet at a rank, which only a division by the value could read.
    """
    if (len(values) >= RADIX_FROM and values.ndim == 1 and values.dtype == np.float64 and values.flags.c_contiguous
            and len(ks) and 0 <= ks[0] and ks[-1] < len(values) and all(a <= b for a, b in zip(ks, ks[1:]))):
        compiled = kernels.compiled_for(len(values))
        if compiled is not None:
            found = compiled.kth_smallests(values, np.asarray(ks, dtype=np.int64))
            if found[0] == found[0]:  # else a NaN among the values, or one bin holding most: numpy's
                return found.tolist()
    part = np.partition(values, ks)
    return [part[k] for k in ks]


def _in_top(key: np.ndarray, k: int) -> np.ndarray:
    """Mask of the first ``k`` positions of the stable ascending order of ``key`` (0 <= k <= len)."""
    n = len(key)
    if k <= 0:
        return np.zeros(n, dtype=bool)
    if k >= n:
        return np.ones(n, dtype=bool)
    kth = kth_smallest(key, k - 1)
    if np.isnan(kth):  # the cut falls among NaNs: all numbers, then NaNs by position
        numbers = ~np.isnan(key)
        return numbers | (np.cumsum(~numbers) <= k - int(numbers.sum()))
    below = key < kth
    tied = key == kth
    room = k - int(np.count_nonzero(below))
    if np.count_nonzero(tied) <= room:  # every tie fits (mostly the one key at the cut): no running count
        return below | tied
    return below | (tied & (np.cumsum(tied) <= room))


def smallest(key: np.ndarray, k: int) -> np.ndarray:
    """``np.argsort(key, kind="stable")[:k]``: the positions of the ``k`` smallest keys, in order."""
    key = np.asarray(key)
    k = max(int(k), 0)
    if k >= len(key):
        return np.argsort(key, kind="stable")
    top = _in_top(key, k).nonzero()[0]
    return top[key[top].argsort(kind="stable")]


def rank_bands(key: np.ndarray, bounds) -> np.ndarray:
    """Band of each position: the number of ``bounds`` its stable ascending rank is not below.

    Equals ``np.searchsorted(bounds, rank, side="right")`` with ``rank`` from a stable argsort,
    for non-decreasing ``bounds`` (counts of positions, rounded; clipped to ``0..len``).
    """
    key = np.asarray(key)
    band = np.zeros(len(key), dtype=np.int64)
    for bound in bounds:
        band += ~_in_top(key, int(min(max(bound, 0), len(key))))
    return band
