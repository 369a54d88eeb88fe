"""The allocator keeps what a step frees for the next (glibc): the same columns are not faulted in again."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
                                reason="glibc's allocator only")

# a year's worth of column-sized temporaries (8 MB each, as at 10^6 firms), made and freed in turns
# Huge pages off in the child (the kernel's and numpy's), so that a fault is a 4 kB page on any host
_CHURN = """
import ctypes, resource, sys
if ctypes.CDLL(None).prctl(41, 1, 0, 0, 0) != 0:  # PR_SET_THP_DISABLE refused: faults would count huge pages
    print("skip 0")
    sys.exit()
import numpy as np
from simulation.memory import keep_freed_memory
kept = keep_freed_memory() if sys.argv[1] == "keep" else None
def churn():
    columns = [np.ones(1_000_000) for _ in range(4)]
    del columns
churn()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(10):
    churn()
print(kept, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _churn(mode: str, **env: str) -> tuple[str, int]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_") and k != "GLIBC_TUNABLES"}
    out = subprocess.run([sys.executable, "-c", _CHURN, mode], capture_output=True, text=True, check=True,
                         env={**clean, "NUMPY_MADVISE_HUGEPAGE": "0", **env},
                         cwd=Path(__file__).resolve().parents[1]).stdout.split()  # this checkout's simulation
    return out[0], int(out[1])


def test_freed_columns_are_reused_without_faulting_them_in_again():
    answer, kept = _churn("keep")
    _, given_back = _churn("default")
    if answer == "skip":
        pytest.skip("the kernel refused to turn huge pages off for the child")
    assert answer == "True"
    # 10 rounds of 32 MB: given back, thousands of pages faulted in again (78,000 on a test machine); kept, none
    assert given_back > 4_000 and kept < given_back / 20, (kept, given_back)


@pytest.mark.parametrize("setting", [{"MALLOC_TRIM_THRESHOLD_": "131072"}, {"MALLOC_MMAP_THRESHOLD_": "131072"},
                                     {"GLIBC_TUNABLES": "glibc.malloc.trim_threshold=131072"}])
def test_the_users_own_glibc_settings_are_left_alone(setting):
    answer, faults = _churn("keep", **setting)
    if answer == "skip":
        pytest.skip("the kernel refused to turn huge pages off for the child")
    assert answer == "False" and faults > 4_000  # freed memory handed back, as the user asked
