"""Sweep throughput: runs per second of a Zhenhai sweep, serial vs 2 processes vs a 2-worker Dask cluster.

Run with ``python bench/sweep.py [--points 128] [--replications 2]``. Prints, per executor, the start-up
time, the wall time of the sweep itself, runs per second, and the overhead per task against serial:
``(wall × workers − serial wall) / tasks`` — CPU time each task costs beyond the serial run (pickling,
scheduling, result transfer, idle tail). Ends with the estimated time of the shipped 11-factor
Sobol' analysis (N = 512, 12,288 runs) on two cores.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulation.experiments.executors import DaskExecutor, ProcessExecutor, SerialExecutor  # noqa: E402
from simulation.experiments.sweep import sweep  # noqa: E402
from simulation.loader import load_scenario  # noqa: E402
from simulation.model import simulate  # noqa: E402

SOBOL_RUNS = 512 * (2 * 11 + 2)


def bench_spec(folder: Path, points: int, replications: int) -> Path:
    levers = yaml.safe_load((ROOT / "scenarios/sweeps/zhenhai_levers.yaml").read_text(encoding="utf-8"))
    levers.update(scenario=str(ROOT / "scenarios/zhenhai_2021_2025.yaml"), points=points, replications=replications)
    path = folder / "bench.yaml"
    path.write_text(yaml.safe_dump(levers, allow_unicode=True), encoding="utf-8")
    return path


def timed(label: str, make, spec: Path, folder: Path) -> dict:
    start = time.perf_counter()
    executor = make()
    startup = time.perf_counter() - start
    with executor:
        begin = time.perf_counter()
        result = sweep(spec, folder / label, executor=executor)
        wall = time.perf_counter() - begin
    return {"label": label, "startup": startup, "wall": wall, "runs": result.manifest["runs"],
            "tasks": result.manifest["chunks"], "workers": executor.workers}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=128)
    parser.add_argument("--replications", type=int, default=2)
    args = parser.parse_args()

    scenario = load_scenario(ROOT / "scenarios/zhenhai_2021_2025.yaml")
    simulate(scenario, 0)
    start = time.perf_counter()
    for seed in range(20):
        simulate(scenario, seed)
    bare = (time.perf_counter() - start) / 20

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        spec = bench_spec(folder, args.points, args.replications)
        rows = [timed("serial", SerialExecutor, spec, folder),
                timed("workers 2", lambda: ProcessExecutor(2), spec, folder),
                timed("dask-local 2", lambda: DaskExecutor(local=2), spec, folder)]

    serial = rows[0]["wall"]
    print(f"one Zhenhai replication, bare simulate(): {bare * 1000:.1f} ms ({1 / bare:.1f} runs/s)")
    print(f"sweep: {rows[0]['runs']} runs in {rows[0]['tasks']} tasks (chunks of {rows[0]['runs'] // rows[0]['tasks']} runs)")
    print(f"{'executor':<14}{'start-up s':>11}{'wall s':>9}{'runs/s':>9}{'speed-up':>10}{'overhead/task ms':>18}")
    for r in rows:
        overhead = (r["wall"] * r["workers"] - serial) / r["tasks"]
        print(f"{r['label']:<14}{r['startup']:>11.2f}{r['wall']:>9.2f}{r['runs'] / r['wall']:>9.1f}"
              f"{serial / r['wall']:>10.2f}{overhead * 1000:>18.1f}")
    per_run = serial / rows[0]["runs"]
    print(f"sweep machinery per run (serial sweep vs bare simulate): {(per_run - bare) * 1000:.1f} ms")
    for r in rows[1:]:
        estimate = r["startup"] + SOBOL_RUNS / (r["runs"] / r["wall"])
        print(f"estimated 11-factor Sobol' N=512 ({SOBOL_RUNS} runs) with {r['label']}: {estimate / 60:.1f} min")


if __name__ == "__main__":
    main()
