"""What the engine benchmarks measure, in one place: Zhenhai scaled to n firms, a run's firm-months,
the process's peak memory, and one measurement printed as JSON.

Run as ``python bench/measure.py WHAT N`` from the root of any checkout of this repository, with
that root first on ``PYTHONPATH`` (``bench/against.py`` runs an earlier commit so): it measures that
checkout's engine through calls every version has had (``load_scenario``, ``get_path``,
``with_overrides``, ``simulate``, ``run_replications``) and that checkout's own kernel
(``bench/engine.py``'s ``vectorised_step``). WHAT is ``ningbo`` (ms a replication, the mean of N
after a warm-up), ``zhenhai`` (ms a replication in a serial batch of N), ``kernel`` (the numpy
kernel at N firms, firm-months per second, the median of three, under the allocator setting this
checkout's replications make; and whether glibc took it) or ``model`` (five years at N firms: the
second run's seconds and firm-months per second, the first run's peak MB). Every engine measurement
is of the steady speed, as with numba's disk cache filled (:func:`as_with_a_filled_cache`): a
checkout just unpacked has an empty cache, and its run would otherwise stay on numpy.
"""

from __future__ import annotations

import importlib.util
import inspect
import json
import resource
import sys
import time
from pathlib import Path

ZHENHAI = Path("scenarios") / "zhenhai_2021_2025.yaml"  # from a checkout's root
NINGBO = Path("scenarios") / "ningbo_2020_2022.yaml"

# Zhenhai scaled up to n firms: these counts, totals and flows times n over its firms (a path the
# scenario does not give, as births, scales by itself)
SCALED = (
    "population.above_scale.count", "population.above_scale.output", "population.above_scale.land",
    "population.above_scale.employees", "population.above_scale.energy_use", "population.below_scale.count",
    "levers.remediation.firms_per_year", "levers.scattered_weak.firms_per_year", "parameters.entry.births_per_year",
    "parameters.land.free_initial", "levers.land_supply.new_land_per_year", "levers.attraction.projects_per_year",
    "levers.energy.cap",
)


def scaled(n_firms: int, scenario: Path = ZHENHAI):
    """``scenario`` (Zhenhai) with :data:`SCALED` times ``n_firms`` over its firms."""
    from simulation.loader import get_path, load_scenario, with_overrides

    sc = load_scenario(scenario)
    k = n_firms / (sc.population.above_scale.count.at(0) + sc.population.below_scale.count.at(0))
    overrides = {}
    for path in SCALED:
        value = get_path(sc, path)
        if value is not None:
            overrides[path] = {y: x * k for y, x in value.items()} if isinstance(value, dict) else value * k
    return with_overrides(sc, overrides)


def firm_months(indicators) -> float:
    """Firm-months of a run: 规上 and 规下 firms at each simulated year's end, times 12."""
    firms = indicators.query("indicator in ['firms_above_scale', 'firms_below_scale']").groupby("year")["value"].sum()
    return float(firms.iloc[1:].sum() * 12)


def peak_mb() -> float:
    """This process's peak resident memory. VmHWM, not ru_maxrss: a spawned child's ru_maxrss
    starts from the parent's size at the fork before its exec, which would floor small runs."""
    status = Path("/proc/self/status")
    for line in status.read_text().splitlines() if status.exists() else []:
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def as_with_a_filled_cache() -> None:
    """Step as a process does once numba's disk cache holds the compiled steps (the model's steady
    speed; their one-time cost is measured apart), however many firm-months a run would take to
    earn the compiling back were the cache empty (kernels.COMPILED_AFTER_COLD). An engine without
    compiled steps is left as it is."""
    try:
        from simulation.processes import kernels
    except ImportError:
        return
    kernels.COMPILED_AFTER_COLD = 0


def whole_model(n_firms: int, scenario: Path = ZHENHAI) -> tuple[float, float, float, float]:
    """Five years at ``n_firms``, twice in this process: (seconds of the first run, of the second,
    the run's firm-months, peak MB after the first). The first run also loads the compiled steps and
    imports what a run imports at first use; the second is the model's own speed."""
    from simulation.model import simulate

    as_with_a_filled_cache()
    sc = scaled(n_firms, scenario)
    walls, peak = [], 0.0
    for _ in range(2):
        start = time.perf_counter()
        result = simulate(sc, 0)
        walls.append(time.perf_counter() - start)
        peak = peak or peak_mb()
    return walls[0], walls[1], firm_months(result.indicators), peak


def _compiled_ran() -> bool:
    """Whether a step of the run was compiled (numba's module loaded; False for an engine without)."""
    return "simulation.processes.compiled" in sys.modules


def _module_at(path: Path, name: str):
    """The module in the file ``path``, loaded under ``name`` (not put in ``sys.modules``)."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _checkout_engine():
    """The working directory's ``bench/engine.py`` (its own kernel), whatever checkout it is."""
    return _module_at(Path("bench") / "engine.py", "checkout_engine")


def _memory_module():
    """This checkout's ``simulation/memory.py``, read by its path, so that a checkout from before it
    (or one whose own differs) runs the kernel under this checkout's setting."""
    return _module_at(Path(__file__).resolve().parents[1] / "simulation" / "memory.py", "_memory")


def _keep_freed_memory() -> bool:
    """The allocator setting of a replication (this checkout's), made before the kernel is timed;
    whether glibc took it. The kernel is set beside a model that keeps its freed memory: in a fresh
    process without it, each of the kernel's temporaries is faulted in afresh, and at 10^5 firms the
    kernel ran at a half to two thirds of its speed, which flattered the model's share of it."""
    return bool(_memory_module().keep_freed_memory())


def measure(what: str, n: int) -> dict[str, float | bool]:
    """One measurement of the working directory's checkout (see the module's docstring)."""
    if what in ("ningbo", "zhenhai"):
        # the steady speed on either checkout: an unpacked checkout's disk cache starts empty, where
        # a run would otherwise keep to numpy and be set beside the other's compiled steps
        as_with_a_filled_cache()
    if what == "ningbo":
        from simulation.loader import load_scenario
        from simulation.model import simulate

        sc = load_scenario(NINGBO)
        simulate(sc, 0)
        start = time.perf_counter()
        for seed in range(1, n + 1):
            simulate(sc, seed)
        return {"ms": (time.perf_counter() - start) / n * 1e3, "compiled": _compiled_ran()}
    if what == "zhenhai":
        from simulation.experiments.replicate import run_replications
        from simulation.loader import load_scenario

        sc = load_scenario(ZHENHAI)
        run_replications(sc, 2, seed=0, workers=1)
        start = time.perf_counter()
        run_replications(sc, n, seed=0, workers=1)
        return {"ms": (time.perf_counter() - start) / n * 1e3, "compiled": _compiled_ran()}
    if what == "kernel":
        engine = _checkout_engine()
        numpy_only = {"compiled": False} if "compiled" in inspect.signature(engine.vectorised_step).parameters else {}
        kept = _keep_freed_memory()
        return {"fm_s": sorted(engine.vectorised_step(n, **numpy_only) for _ in range(3))[1], "memory_kept": kept}
    _, again, months, peak = whole_model(n)
    return {"s": again, "fm_s": months / again, "peak_mb": peak}


if __name__ == "__main__":
    print(json.dumps(measure(sys.argv[1], int(sys.argv[2]))))
