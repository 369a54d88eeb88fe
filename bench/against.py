"""Before and after: the engine's figures for an earlier commit and for this checkout, in one run.

The earlier commit (any git revision: a hash, a tag, ``HEAD~5``) is unpacked into a temporary folder
with ``git archive``; each measurement then runs in a fresh process on each checkout in turn,
baseline first, for several rounds, so the two meet the same machine load and each pair gives a
ratio. Each measurement is this checkout's ``bench/measure.py`` run inside the checkout measured:
its scenarios, its engine and its own kernel (``bench/engine.py``'s ``vectorised_step``), through
the calls every version has had.

Measured, per checkout:

- one Ningbo replication (58,500 firms, 3 years): the mean of 10 after a warm-up;
- one Zhenhai replication in a serial batch of 200 (``run_replications``, tables included);
- for 10^5 and 10^6 firms, the whole model for five years (Zhenhai scaled up by
  ``measure.scaled``, the same rule on both checkouts): the second run in the process (firm-months per
  second) and the process's peak memory;
- the bare vectorised kernel at the same sizes: the checkout's own monthly growth-and-exit step in
  numpy (``vectorised_step``), firm-months per second, under the allocator setting this checkout's
  replications make (``simulation/memory.py``), whichever checkout runs it: without it, in a fresh
  process, the kernel's temporaries are faulted in afresh and its speed flatters the model's share.
  (A baseline from before that setting, commit 8f52a44, ran its model without it.)

Printed: each figure's median over the rounds for the baseline and this checkout, with the
median (min-max) of the pairwise ratios; then the whole model's share of each kernel (the
baseline's kernel is the one a goal set at that commit was measured against).

Run: ``python bench/against.py REVISION [--rounds 3] [--max-firms 1000000]``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MEASURE = Path(__file__).resolve().parent / "measure.py"  # run inside either checkout
SIZES = (100_000, 1_000_000)

def rows(max_firms: int) -> list[tuple[str, str, int, str, str, float]]:
    """(label, measurement, its size, figure, unit, scale) of each line of the table."""
    out = [("one Ningbo replication", "ningbo", 10, "ms", "ms", 1.0),
           ("one Zhenhai replication, batch of 200", "zhenhai", 200, "ms", "ms", 1.0)]
    for n in (n for n in SIZES if n <= max_firms):
        size = f"10^{len(str(n)) - 1} firms"
        out += [(f"whole model, {size}, 5 years", "model", n, "s", "s", 1.0),
                ("  firm-months per second", "model", n, "fm_s", "M", 1e-6),
                ("  peak memory", "model", n, "peak_mb", "MB", 1.0),
                (f"bare kernel (numpy), {size}", "kernel", n, "fm_s", "M fm/s", 1e-6)]
    return out


def unpack(revision: str, into: Path) -> str:
    """``revision``'s tree unpacked into ``into`` (``git archive``); returns its short hash."""
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", f"{revision}^{{commit}}"],
                            capture_output=True, text=True)
    if commit.returncode != 0:
        sys.exit(f"bench/against.py: no such revision: {revision!r}")
    tar = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", revision], capture_output=True,
                         check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
        archive.extractall(into, filter="data")
    return commit.stdout.strip()


def measure(checkout: Path, what: str, n: int) -> dict[str, float]:
    """One measurement in a fresh process on ``checkout``'s code and scenarios."""
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    done = subprocess.run([sys.executable, str(MEASURE), what, str(n)], cwd=checkout, env=env, capture_output=True,
                          text=True)
    if done.returncode != 0:
        sys.exit(f"bench/against.py: {what} {n} failed in {checkout}:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _spread(values: list[float], digits: int = 2) -> str:
    return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}-{max(values):.{digits}f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("revision", help="the baseline: a git revision of this repository")
    parser.add_argument("--rounds", type=int, default=3, help="measurements of each figure on each checkout")
    parser.add_argument("--max-firms", type=int, default=max(SIZES))
    args = parser.parse_args()
    table = rows(args.max_firms)
    with tempfile.TemporaryDirectory() as folder:
        baseline = Path(folder)
        short = unpack(args.revision, baseline)
        runs: dict[tuple[str, int], list[tuple[dict, dict]]] = {}
        for _, what, n, *_ in table:
            if (what, n) in runs:
                continue
            runs[what, n] = [(measure(baseline, what, n), measure(ROOT, what, n)) for _ in range(args.rounds)]
            print(f"  measured {what} {n:,} ({args.rounds} rounds)", file=sys.stderr)
    print(f"baseline {short} ({args.revision}) against this checkout; medians of {args.rounds} rounds, "
          f"each a fresh process per checkout\n")
    print(f"{'':42} {'baseline':>10} {'now':>10}   {'now / baseline':<22}")
    for label, what, n, figure, unit, scale in table:
        pairs = runs[what, n]
        before = [b[figure] * scale for b, _ in pairs]
        after = [a[figure] * scale for _, a in pairs]
        ratios = [a / b for a, b in zip(after, before, strict=True)]
        print(f"{label:42} {statistics.median(before):>10.3g} {statistics.median(after):>10.3g}   "
              f"{_spread(ratios)} {unit}")
    kernels = [m for (what, _), pairs in runs.items() if what == "kernel" for pair in pairs for m in pair]
    if not all(m["memory_kept"] for m in kernels):
        print("\nnote: glibc did not take the allocator setting for the kernel (another C library, or MALLOC_* or "
              "GLIBC_TUNABLES set): the shares below flatter the model")
    print("\nthe whole model's firm-months per second as a share of the bare kernel's (medians)")
    for n in SIZES:
        if n > args.max_firms:
            continue
        model = [(b["fm_s"], a["fm_s"]) for b, a in runs["model", n]]
        kernel = [(b["fm_s"], a["fm_s"]) for b, a in runs["kernel", n]]
        then_model, now_model = (statistics.median(x) for x in zip(*model, strict=True))
        then_kernel, now_kernel = (statistics.median(x) for x in zip(*kernel, strict=True))
        print(f"  10^{len(str(n)) - 1} firms: baseline model of its kernel {then_model / then_kernel:.0%}; "
              f"this model of the baseline's kernel {now_model / then_kernel:.0%}, of its own {now_model / now_kernel:.0%}")


if __name__ == "__main__":
    main()
