"""Engine benchmark: agent-months per second, peak memory, one Ningbo and one Zhenhai replication.

Prints one Ningbo replication (58,500 firms, 3 years: the median and range of seven), one Zhenhai
replication in a batch of 200 (serial ``run_replications``: the median and range of three batches),
and, for populations of 10^3 to 10^6 firms:

- the kernel: the model's own step alone (each January the year's growth draw, every month
  accrual and keyed exit draws), firm-months per second (the median of three), as the model runs
  it (compiled) and in numpy (the bare vectorised kernel, as the engine was before its loops were
  compiled), and in numpy with a population's worth of other columns passing through the cache
  between its months (numpy+: alone, a step of 10^5 firms keeps its few columns in the cache, which
  no whole run of 29 columns can);
- the whole model for five years at that size (Zhenhai scaled up) in a fresh process: the first
  run, which also loads the compiled steps from the disk cache and imports what a run imports at
  first use, then the same run again (the model's own speed: firm-months per second, and its
  share of each kernel's), and the process's peak resident memory;
- a naive baseline measured in the same run: the same monthly step written as one SimPy
  process per firm, as the SimPy tutorial would have it, and the speed-up over it;
- the Python-level calls a Zhenhai replication makes (cProfile's count): its fixed cost as a
  number that does not move with the machine's load;
- a replication's time as a line in its firms (Zhenhai scaled to 3,000-24,000 firms): the part that
  does not grow with them (the calendar's dates, the processes' Python and small-array numpy calls)
  and its share of a Zhenhai replication. Replications stacked along an axis could share only the
  part of it in passes over the population, not the events' bookkeeping (``bench/phases.py`` splits
  the two);
- the one-time cost of the compiled steps (numba): a first Zhenhai replication on them in a fresh
  process, compiling into an empty disk cache and then loading from it, less one on numpy alone.
- what a compiled firm-month saves in whole Ningbo replications, and so after how many firm-months
  in a process compiling them is earned back (beside kernels.COMPILED_AFTER_COLD, the bar a process
  with an empty cache uses). Everything else runs as with the disk cache filled.

The compiled kernel is the step the model runs from 20,000 firms, or once a process has stepped 5
million firm-months (so in this process, after the Zhenhai batch, at every size). The small
whole-model runs (10^3, 10^4 firms) stay on numpy in their fresh processes: compare them with the
numpy kernel.

Run: ``python bench/engine.py [--max-firms 1000000]``. Figures depend on the machine; compare
the ratios, which are measured side by side.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing as mp
import statistics
import time
from pathlib import Path

import numpy as np
import simpy
from measure import as_with_a_filled_cache, firm_months, peak_mb, whole_model

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "zhenhai_2021_2025.yaml"


def vectorised_step(n: int, months: int = 24, *, compiled: bool = True, beside: int = 0) -> float:
    """Firm-months per second of the model's own step: a month of accrual and exit draws, and each
    January the year's growth draw (Laplace shocks, size-dependent volatility, common shocks).
    ``compiled=False``: the numpy version of the same step (the bare vectorised kernel).
    ``beside``: that many other columns of ``n`` values are each written once between months (not
    timed), as the population's columns pass through the cache between the step's months in a whole
    run; alone, a step of 10^5 firms keeps its few columns in the cache."""
    from simulation.draws import FirmDraws
    from simulation.loader import load_scenario
    from simulation.population import Population
    from simulation.processes import kernels
    from simulation.processes.growth import CommonShocks, grow_year, month_step

    params = load_scenario(SCENARIO).parameters
    pop = Population.new(n, alive=True, above=True, revenue=1000.0 * np.exp(np.arange(n) % 7), entry_year=2015)
    pop.hazard_month[:] = 0.004
    draws, shocks = FirmDraws(np.random.SeedSequence(0)), CommonShocks()
    others = [np.zeros(n) for _ in range(beside)]
    spent = 0.0
    # numpy at every size, whatever this process has stepped; else the version the model would take
    with kernels.pinned(False) if not compiled else contextlib.nullcontext():
        month_step(pop, draws, 0)  # warm up
        for month in range(1, months + 1):
            for column in others:
                column += 1.0
            start = time.perf_counter()
            if month % 12 == 1:
                shocks.advance(params, 2021 + month // 12, 4, draws)
                grow_year(pop, params, 2021 + month // 12, draws, shocks)
            exited = month_step(pop, draws, month)
            pop.hazard_month[exited] = 0.0
            spent += time.perf_counter() - start
        return n * months / spent


def _numba_start(compiled: bool, queue) -> None:
    """One Zhenhai replication in a fresh process, on the compiled steps or on numpy alone: the
    compiled run compiles (or loads from the disk cache) every compiled function a run calls, with
    no list of them to keep up to date."""
    from simulation.loader import load_scenario
    from simulation.model import simulate
    from simulation.processes import kernels

    sc = load_scenario(SCENARIO)
    peak_before = peak_mb()
    start = time.perf_counter()
    with kernels.pinned(compiled):  # compiled into an empty cache, whatever a run would earn back
        simulate(sc, 0)
    queue.put((time.perf_counter() - start, peak_mb() - peak_before))


def numba_start() -> tuple[float, float, float, float]:
    """(s compiling into an empty cache, extra peak MB; s loading from it, extra peak MB): the time
    of a compiled first replication in a fresh process less that of a numpy one."""
    import os
    import tempfile

    ctx = mp.get_context("spawn")

    def fresh(compiled: bool) -> tuple[float, float]:
        queue = ctx.Queue()
        proc = ctx.Process(target=_numba_start, args=(compiled, queue))
        proc.start()
        out = queue.get()
        proc.join()
        return out

    before = os.environ.get("NUMBA_CACHE_DIR")
    with tempfile.TemporaryDirectory() as cache:
        os.environ["NUMBA_CACHE_DIR"] = cache
        try:
            numpy_s, numpy_mb = fresh(False)
            empty_s, empty_mb = fresh(True)
            cached_s, cached_mb = fresh(True)
        finally:
            if before is None:
                del os.environ["NUMBA_CACHE_DIR"]
            else:
                os.environ["NUMBA_CACHE_DIR"] = before
    return empty_s - numpy_s, empty_mb - numpy_mb, cached_s - numpy_s, cached_mb - numpy_mb


def naive_simpy(n: int, months: int = 12) -> float:
    """Firm-months per second with one SimPy process per firm (the baseline to beat)."""
    rng = np.random.default_rng(0)
    env = simpy.Environment()

    def firm(revenue):
        for _ in range(months):
            yield env.timeout(1)
            revenue *= np.exp(0.07 / 12 + 0.25 / np.sqrt(12) * rng.standard_normal())
            if rng.random() < 0.004:
                return

    for _ in range(n):
        env.process(firm(1000.0))
    start = time.perf_counter()
    env.run()
    return n * months / (time.perf_counter() - start)


def _full_model(n_firms: int, queue) -> None:
    queue.put(whole_model(n_firms, SCENARIO))


def full_model(n_firms: int) -> tuple[float, float, float, float]:
    """(seconds of the first run, seconds of the same run again, firm-months per second of the
    second, peak MB) of a five-year run in a fresh process. The first run loads the compiled steps
    from the disk cache (from 20,000 firms) and imports what a run imports at first use; the
    second is the model's own speed."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_full_model, args=(n_firms, queue))
    proc.start()
    first, again, months, peak = queue.get()
    proc.join()
    return first, again, months / again, peak


def replication_times(scenario: Path, repeats: int) -> list[float]:
    """Seconds of each of ``repeats`` replications of ``scenario`` run alone (after one warm-up run)."""
    from simulation.loader import load_scenario
    from simulation.model import simulate

    sc = load_scenario(scenario)
    simulate(sc, 0)
    times = []
    for seed in range(repeats):
        start = time.perf_counter()
        simulate(sc, seed)
        times.append(time.perf_counter() - start)
    return times


def compiled_saving(scenario: Path, replications: int = 5) -> float:
    """Seconds a firm-month the compiled steps save over numpy in whole replications of ``scenario``
    (the fastest of ``replications`` on each, run in turn in this process): what earns their
    compiling back, the basis of kernels.COMPILED_AFTER_COLD."""
    from simulation.loader import load_scenario
    from simulation.model import simulate
    from simulation.processes import kernels

    sc = load_scenario(scenario)
    best = {True: float("inf"), False: float("inf")}
    for seed in range(replications + 1):  # the first of each: a warm-up
        for compiled in (True, False):
            with kernels.pinned(compiled):
                start = time.perf_counter()
                result = simulate(sc, seed)
            if seed:
                best[compiled] = min(best[compiled], time.perf_counter() - start)
    return (best[False] - best[True]) / firm_months(result.indicators)


def _spread(values: list[float], scale: float, digits: int) -> str:
    """``median (min-max)`` of ``values`` times ``scale``: single runs move by a fifth on a shared machine."""
    low, mid, high = (scale * v for v in (min(values), statistics.median(values), max(values)))
    return f"{mid:.{digits}f} ({low:.{digits}f}-{high:.{digits}f})"


def zhenhai_batch(replications: int = 200) -> float:
    """Seconds per Zhenhai replication in one serial batch of ``replications`` (tables included)."""
    from simulation.experiments.replicate import run_replications
    from simulation.loader import load_scenario

    sc = load_scenario(SCENARIO)
    run_replications(sc, 2, seed=0, workers=1)
    start = time.perf_counter()
    run_replications(sc, replications, seed=0, workers=1)
    return (time.perf_counter() - start) / replications


def python_calls(replications: int = 20) -> float:
    """Python-level calls per Zhenhai replication (cProfile's count, compiled steps in use): the
    per-replication fixed cost as a count, which does not move with the machine's load."""
    import cProfile
    import pstats

    from simulation.loader import load_scenario
    from simulation.model import run_region
    from simulation.processes import kernels

    sc = load_scenario(SCENARIO)
    kernels.expect(10**12)  # as in a batch: the compiled steps
    run_region(sc, 0)
    profile = cProfile.Profile()
    profile.enable()
    for seed in range(1, replications + 1):
        run_region(sc, seed)
    profile.disable()
    return pstats.Stats(profile).total_calls / replications  # type: ignore[attr-defined]  # set in __init__, not declared


def fixed_cost(sizes: tuple[int, ...] = (3_000, 6_000, 12_000, 24_000), rounds: int = 3,
               replications: int = 5) -> tuple[float, float, float]:
    """(seconds a replication takes whatever its firms, seconds per firm, R² of the line): a line
    fitted to the median seconds of a replication of Zhenhai scaled to each of ``sizes`` (compiled
    steps; the sizes in turn in each round, so drift in the machine's speed falls on all of them)."""
    from measure import scaled

    from simulation.model import run_region
    from simulation.processes import kernels

    kernels.expect(10**12)  # as in a batch: the compiled steps at every size
    scenarios = {n: scaled(n, SCENARIO) for n in sizes}
    for sc in scenarios.values():
        run_region(sc, 0)  # warm-up
    seconds: dict[int, list[float]] = {n: [] for n in sizes}
    for _ in range(rounds):
        for n, sc in scenarios.items():
            start = time.perf_counter()
            for seed in range(replications):
                run_region(sc, seed)
            seconds[n].append((time.perf_counter() - start) / replications)
    x, y = np.array(sizes, dtype=float), np.array([statistics.median(seconds[n]) for n in sizes])
    per_firm, fixed = np.polyfit(x, y, 1)
    residual = y - (fixed + per_firm * x)
    return float(fixed), float(per_firm), float(1.0 - residual @ residual / np.sum((y - y.mean()) ** 2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-firms", type=int, default=1_000_000)
    args = parser.parse_args()
    sizes = [n for n in (1_000, 10_000, 100_000, 1_000_000) if n <= args.max_firms]
    from simulation.population import COLUMNS
    from simulation.processes import kernels

    bar = kernels.COMPILED_AFTER_COLD  # as a run has it (the bench runs as with the cache filled)
    as_with_a_filled_cache()

    compile_s, mem, cached_s, cached_mem = numba_start()
    print(f"compiled steps (numba), a first replication's extra time: {compile_s:.2f} s compiling into an empty "
          f"cache (+{mem:.0f} MB peak), {cached_s:.2f} s from the disk cache (+{cached_mem:.0f} MB)")
    saving = compiled_saving(ROOT / "scenarios" / "ningbo_2020_2022.yaml")
    earned = (f"compiling is earned back after {compile_s / saving / 1e6:.0f} M firm-months in a process" if saving > 0
              else "no saving this time: the machine's noise exceeded it, so no break-even to print")
    print(f"a compiled firm-month saves {saving * 1e6:.3f} µs (Ningbo, the fastest of 5 replications each way): "
          f"{earned} (kernels.COMPILED_AFTER_COLD: {bar / 1e6:.0f} M)")
    print(f"one Ningbo replication (58,500 firms, 3 years), median (min-max) of 7: "
          f"{_spread(replication_times(ROOT / 'scenarios' / 'ningbo_2020_2022.yaml', 7), 1e3, 0)} ms")
    print(f"one Zhenhai replication (3,000 firms, 5 years): {statistics.mean(replication_times(SCENARIO, 20)) * 1e3:.1f} ms alone, "
          f"{_spread([zhenhai_batch() for _ in range(3)], 1e3, 1)} ms in a batch of 200 (median of 3 batches)")
    print(f"Python-level calls per Zhenhai replication (a count, not a time): {python_calls():,.0f}")
    fixed, per_firm, r2 = fixed_cost()
    print(f"a replication, as a line in its firms (Zhenhai scaled to 3,000-24,000 firms, R² {r2:.3f}): "
          f"{fixed * 1e3:.1f} ms + {per_firm * 1e6:.2f} ms per 1,000 firms; the part that does not grow with "
          f"the firms is {fixed / (fixed + 3_000 * per_firm):.0%} of a Zhenhai replication (bench/phases.py splits "
          "it into passes over the population, which stacked replications could share, and the events' bookkeeping)")
    naive = naive_simpy(10_000)
    print(f"naive SimPy, one process per firm (10^4 firms): {naive / 1e6:.2f} M firm-months/s\n")
    print("kernel: the model's step alone, compiled / numpy (M firm-months/s); numpy+: the numpy step with "
          f"{len(COLUMNS)} other columns of its length (a population's worth) passing through the cache between "
          "its months, as in a whole run; model: five years in a fresh process, first run / the same run again "
          "(s); shares of the kernels from the second run\n")
    print(f"{'firms':>10} {'kernel':>7} {'numpy':>6} {'numpy+':>7} {'x naive':>8} {'model s':>11} {'M fm/s':>7} "
          f"{'of kernel':>10} {'of numpy':>9} {'of numpy+':>10} {'peak MB':>8}")
    for n in sizes:
        # the median of three of each kernel: the shares divide by them
        step = statistics.median(vectorised_step(n) for _ in range(3))
        bare = statistics.median(vectorised_step(n, compiled=False) for _ in range(3))
        crowded = statistics.median(vectorised_step(n, compiled=False, beside=len(COLUMNS)) for _ in range(3))
        first, again, rate, peak = full_model(n)
        print(f"{n:>10,} {step / 1e6:>7.1f} {bare / 1e6:>6.1f} {crowded / 1e6:>7.1f} {step / naive:>8.0f} "
              f"{first:>5.2f}/{again:<5.2f} {rate / 1e6:>7.2f} {rate / step:>10.0%} {rate / bare:>9.0%} "
              f"{rate / crowded:>10.0%} {peak:>8.0f}")


if __name__ == "__main__":
    main()
