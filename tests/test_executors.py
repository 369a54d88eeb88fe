"""Executors: every one returns the same numbers; map_ordered keeps task order."""

import numpy as np
import pytest

from simulation.experiments.executors import (
    DaskExecutor,
    ProcessExecutor,
    SerialExecutor,
    make_executor,
    map_ordered,
    resolve_workers,
)
from simulation.experiments.seeds import task_seed


def draw(task: tuple[int, int]) -> float:
    """A number that depends only on the task's seed, never on the worker."""
    point, replication = task
    return float(np.random.default_rng(task_seed(7, point, replication)).normal())


TASKS = [(p, r) for p in range(6) for r in range(3)]


def test_map_ordered_keeps_task_order_on_a_process_pool():
    serial = map_ordered(draw, TASKS, workers=1)
    assert serial == [draw(t) for t in TASKS]
    assert map_ordered(draw, TASKS, workers=2) == serial
    assert len(set(serial)) == len(TASKS)  # different seeds, different numbers


@pytest.mark.parametrize("make", [SerialExecutor, lambda: ProcessExecutor(2)])
def test_imap_unordered_yields_every_index_once_with_its_own_result(make):
    with make() as executor:
        got = dict(executor.imap_unordered(draw, TASKS))
    assert sorted(got) == list(range(len(TASKS)))
    assert [got[i] for i in range(len(TASKS))] == [draw(t) for t in TASKS]


@pytest.mark.slow
def test_dask_local_cluster_gives_the_same_numbers():
    with DaskExecutor(local=2) as executor:
        assert executor.workers == 2
        got = dict(executor.imap_unordered(draw, TASKS))
    assert [got[i] for i in range(len(TASKS))] == [draw(t) for t in TASKS]


class Unpickled:
    """A task function that tells how often it had been unpickled in the process that ran a task
    (each copy counts itself as it is rebuilt)."""

    rebuilt = 0  # in this process

    def __init__(self) -> None:
        self.state = "kept"  # some state, so that unpickling calls __setstate__

    def __call__(self, task: tuple[int, int]) -> tuple[int, float]:
        return Unpickled.rebuilt, draw(task)

    def __setstate__(self, state) -> None:
        self.__dict__.update(state)
        Unpickled.rebuilt += 1


def test_a_process_pool_hands_each_worker_the_function_once():
    """A map's function (a fit's holds a whole scenario) is unpickled once in each worker and kept
    for its other tasks, not rebuilt from every task; each task's number is the serial one."""
    fn = Unpickled()
    with ProcessExecutor(2) as executor:
        got = dict(executor.imap_unordered(fn, TASKS))
        again = dict(executor.imap_unordered(fn, TASKS[:4]))  # the same function, a later map: kept
    assert [got[i][1] for i in range(len(TASKS))] == [draw(t) for t in TASKS]
    assert {rebuilt for rebuilt, _ in [*got.values(), *again.values()]} == {1}  # in every worker that ran one


def test_make_executor_choices():
    assert isinstance(make_executor(workers=1), SerialExecutor)
    pool = make_executor(workers=2)
    assert isinstance(pool, ProcessExecutor) and pool.workers == 2
    assert resolve_workers(0) == resolve_workers(None) >= 1
    with pytest.raises(ValueError):
        DaskExecutor()


@pytest.mark.slow
def test_dask_scheduler_address_connects_to_an_existing_cluster():
    from dask.distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, dashboard_address=":0") as cluster:
        with DaskExecutor(scheduler=cluster.scheduler_address) as executor:
            assert executor.describe().startswith(f"dask {cluster.scheduler_address}")
            got = dict(executor.imap_unordered(draw, TASKS))
    assert [got[i] for i in range(len(TASKS))] == [draw(t) for t in TASKS]


@pytest.mark.slow
def test_a_city_replication_on_dask_is_the_serial_one():
    """Dask's workers run BLAS on one thread (distributed's pre-spawn environment sets
    OPENBLAS_NUM_THREADS=1); a city-sized replication (58,500 firms, where numpy hands long
    reductions to BLAS if asked to) must still give the serial run's numbers."""
    from pathlib import Path

    from simulation.experiments.replicate import run_replications
    from simulation.loader import load_scenario

    scenario = load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / "ningbo_2020_2022.yaml")
    serial = run_replications(scenario, 1, seed=3, workers=1)
    with DaskExecutor(local=1) as executor:
        on_dask = run_replications(scenario, 1, seed=3, workers=executor)
    assert serial.indicators.equals(on_dask.indicators)
    assert serial.flows.equals(on_dask.flows)
