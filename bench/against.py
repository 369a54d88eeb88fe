"""Before and after: the engine's figures for an earlier commit and for this checkout, in one run.

The earlier commit (any git revision: a hash, a tag, ``HEAD~5``) is unpacked into a temporary folder
with ``git archive``; each measurement then runs in a fresh process on each checkout in turn,
baseline first, for several rounds, so the two meet the same machine load and each pair gives a
ratio. Each checkout runs its own scenarios and its own kernel (``bench/engine.py``'s
``vectorised_step``), through the calls every version has had: ``load_scenario``, ``with_overrides``,
``simulate``, ``run_replications``.

Measured, per checkout:

- one Ningbo replication (58,500 firms, 3 years): the mean of 10 after a warm-up;
- one Zhenhai replication in a serial batch of 200 (``run_replications``, tables included);
- for 10^5 and 10^6 firms, the whole model for five years (Zhenhai scaled up as ``bench/engine.py``
  scales it, by the same rule on both checkouts): the second run in the process (firm-months per
  second) and the process's peak memory;
- the bare vectorised kernel at the same sizes: the checkout's own monthly growth-and-exit step in
  numpy (``vectorised_step``), firm-months per second.

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

from engine import SCALED

ROOT = Path(__file__).resolve().parents[1]
SIZES = (100_000, 1_000_000)

# Run in a fresh process inside a checkout (its root is the working directory and on the path):
# one measurement, printed as JSON. Only calls that every version of the engine has.
_DRIVER = r"""
import inspect, json, sys, time
from pathlib import Path
sys.path.insert(0, "bench")
what, n = sys.argv[1], int(sys.argv[2])
SCALED = __SCALED__  # bench/engine.py's paths on this checkout: the same scaling on both

def peak_mb():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")

if what == "ningbo":
    from simulation.loader import load_scenario
    from simulation.model import simulate
    sc = load_scenario("scenarios/ningbo_2020_2022.yaml")
    simulate(sc, 0)
    start = time.perf_counter()
    for seed in range(1, n + 1):
        simulate(sc, seed)
    out = {"ms": (time.perf_counter() - start) / n * 1e3}
elif what == "zhenhai":
    from simulation.experiments.replicate import run_replications
    from simulation.loader import load_scenario
    sc = load_scenario("scenarios/zhenhai_2021_2025.yaml")
    run_replications(sc, 2, seed=0, workers=1)
    start = time.perf_counter()
    run_replications(sc, n, seed=0, workers=1)
    out = {"ms": (time.perf_counter() - start) / n * 1e3}
elif what == "kernel":
    import engine
    numpy_only = {"compiled": False} if "compiled" in inspect.signature(engine.vectorised_step).parameters else {}
    out = {"fm_s": sorted(engine.vectorised_step(n, **numpy_only) for _ in range(3))[1]}
else:  # "model": five years at n firms, twice; the second run's speed, the first run's peak
    from simulation.loader import get_path, load_scenario, with_overrides
    from simulation.model import simulate
    try:  # the compiled steps as with numba's disk cache filled (bench/engine.py's rule)
        from simulation.processes import kernels
        kernels.COMPILED_AFTER_COLD = 0
    except ImportError:  # an engine without compiled steps
        pass
    sc = load_scenario("scenarios/zhenhai_2021_2025.yaml")
    k = n / (sc.population.above_scale.count.at(0) + sc.population.below_scale.count.at(0))
    overrides = {}
    for path in SCALED:
        value = get_path(sc, path)
        if value is not None:  # not given in the scenario (births: free entry scales by itself)
            overrides[path] = {y: x * k for y, x in value.items()} if isinstance(value, dict) else value * k
    sc = with_overrides(sc, overrides)
    walls = []
    for _ in range(2):
        start = time.perf_counter()
        result = simulate(sc, 0)
        walls.append(time.perf_counter() - start)
        peak = peak_mb() if len(walls) == 1 else peak
    firms = result.indicators.query("indicator in ['firms_above_scale', 'firms_below_scale']")
    firm_months = float(firms.groupby("year")["value"].sum().iloc[1:].sum() * 12)
    out = {"s": walls[1], "fm_s": firm_months / walls[1], "peak_mb": peak}
print(json.dumps(out))
"""



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
    driver = _DRIVER.replace("__SCALED__", repr(SCALED))
    done = subprocess.run([sys.executable, "-c", driver, what, str(n)], cwd=checkout, env=env,
                          capture_output=True, text=True)
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
