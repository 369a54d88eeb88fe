"""Upper bounds on the size of a job, checked before any work starts.

A mistyped ``-r 10^9`` or ``points: 1e9`` would otherwise allocate until the machine swaps. Each
bound can be lifted with ``--allow-large`` (which sets :data:`ALLOW_LARGE`); the refusal says how
much memory the job would need.
"""

from __future__ import annotations

from .errors import InputError

LAST_YEAR = 2100  # the last year a scenario may run to (and an observed series name)

MAX_RUNS = 20_000  # replications held in memory by one run or compare (all scenarios)
MAX_POINTS = 100_000  # design points of a sweep or sensitivity analysis
MAX_SWEEP_RUNS = 1_000_000  # points × replications of a sweep (results stream to disk)

BYTES_PER_RUN = 70_000  # indicators and flows of one replication in memory, with the copies made when gathering
BYTES_PER_POINT = 16_000  # design row and attainment rows (~80 targets) of one design point

ALLOW_LARGE = False


def check_size(count: int, limit: int, bytes_each: int, what: str, *, file: str | None = None,
               field: str | None = None) -> None:
    """Refuse ``count`` ``what`` above ``limit`` unless :data:`ALLOW_LARGE`."""
    if count > limit and not ALLOW_LARGE:
        raise InputError(f"{count:,} {what} would need about {human_bytes(count * bytes_each)} of memory; "
                         f"the limit is {limit:,} (--allow-large lifts it)", file=file, field=field)


def human_bytes(n: float) -> str:
    n = min(float(min(n, 10**30)), 1e30)
    for unit in ("B", "kB", "MB", "GB", "TB", "PB"):
        if n < 1024 or unit == "PB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} PB"
