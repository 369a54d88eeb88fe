"""Freed memory kept for the next step, not handed back to the operating system.

A replication allocates and frees columns of every firm many times a year (each numpy temporary is
a fresh array of the population's length). glibc's allocator gives a large freed block back to the
operating system (a block above its mmap threshold at once; the heap's free top beyond its trim
threshold), and the next step faults the same memory in again, a page at a time, zeroed by the
kernel. At 10^5 firms that was 15,000-25,000 page faults a replication; asked to keep what it
frees, some 6,400, and a replication took about 15% less time (Ningbo's too; README, Speed). The
peak memory is the same: what is kept is what the replication had already used.

:func:`keep_freed_memory` asks glibc (``mallopt``) once per process, before the first replication.
It does nothing elsewhere (another C library, another system), nor where the process was started
with glibc's own settings for its allocator (``MALLOC_TRIM_THRESHOLD_``, ``MALLOC_MMAP_THRESHOLD_``,
or ``malloc`` tunables in ``GLIBC_TUNABLES``), which are then the user's: glibc's default trim
threshold, ``MALLOC_TRIM_THRESHOLD_=131072``, hands freed memory back as before. Numbers do not
depend on it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import platform

# mallopt's parameters (glibc's malloc.h)
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3

TRIM_THRESHOLD = 2**31 - 1  # bytes of free heap top kept (an int's largest: in effect, all of it)
# blocks up to this come from the heap: the ceiling of glibc's own adaptive threshold (10^6 firms'
# columns are 8 MB)
MMAP_THRESHOLD = 32 * 2**20
USER_SETTINGS = ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_")

_asked: bool | None = None  # whether glibc took the settings; None: not yet asked


def keep_freed_memory() -> bool:
    """Ask glibc to keep freed memory for reuse (see the module text); whether it now does. Once per
    process: later calls return the first answer."""
    global _asked
    if _asked is None:
        _asked = _ask_glibc()
    return _asked


def may_ask_glibc() -> bool:
    """Whether this process may ask: glibc on Linux, and no allocator setting of the user's in the
    environment (read now; :func:`keep_freed_memory` keeps its first answer)."""
    return (platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"
            and not any(name in os.environ for name in USER_SETTINGS)
            and "malloc." not in os.environ.get("GLIBC_TUNABLES", ""))


def _ask_glibc() -> bool:
    if not may_ask_glibc():
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    # mallopt returns 1 where it took the value
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
