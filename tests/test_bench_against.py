"""``bench/against.py``: a baseline commit unpacked as it was, and the measurements it runs in a fresh
process on a checkout give consistent figures (time, firm-months, a scaled population)."""

from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path

import pytest

_BENCH = Path(__file__).resolve().parents[1] / "bench"


@pytest.fixture(scope="module")
def against():
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(_BENCH))  # beside bench/measure.py, which it runs
        spec = importlib.util.spec_from_file_location("bench_against", _BENCH / "against.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        yield module


def test_a_revision_unpacks_as_committed(against, tmp_path):
    head = subprocess.run(["git", "-C", str(_BENCH.parent), "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True)
    if head.returncode != 0:
        pytest.skip("not a git checkout")
    assert against.unpack("HEAD", tmp_path) == head.stdout.strip()
    committed = subprocess.run(["git", "-C", str(_BENCH.parent), "show", "HEAD:simulation/model.py"],
                               capture_output=True, check=True).stdout
    assert (tmp_path / "simulation" / "model.py").read_bytes() == committed


def test_the_whole_model_is_measured_on_the_scaled_population(against):
    """Firm-months per second times seconds is the run's firm-months: Zhenhai's ~3,000 firms for 60
    months, twice that when scaled to twice the firms."""
    zhenhai = against.measure(against.ROOT, "model", 3_000)
    doubled = against.measure(against.ROOT, "model", 6_000)
    firm_months = zhenhai["fm_s"] * zhenhai["s"]
    assert 0.8 * 3_000 * 60 < firm_months < 1.3 * 3_000 * 60
    assert doubled["fm_s"] * doubled["s"] == pytest.approx(2 * firm_months, rel=0.1)
    assert zhenhai["peak_mb"] > 50  # numpy and pandas alone take more


def test_the_kernel_is_measured(against):
    assert against.measure(against.ROOT, "kernel", 1_000)["fm_s"] > 0


def test_the_kernel_runs_under_the_allocator_setting_a_replication_makes(monkeypatch):
    """Set beside a model that keeps its freed memory, the kernel keeps its own: in a fresh process
    without it, each temporary was faulted in afresh and the kernel ran at half to two thirds of its
    speed, which flattered the model's share of it."""
    spec = importlib.util.spec_from_file_location("bench_measure", _BENCH / "measure.py")
    assert spec is not None and spec.loader is not None
    measure = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(measure)
    from simulation.memory import keep_freed_memory

    assert measure._keep_freed_memory() == keep_freed_memory()  # this checkout's setting, read by its path
    asked = []
    monkeypatch.setattr(measure, "_keep_freed_memory", lambda: asked.append(True))
    monkeypatch.chdir(_BENCH.parent)
    assert measure.measure("kernel", 1_000)["fm_s"] > 0 and asked


@pytest.mark.slow
def test_a_checkout_with_an_empty_disk_cache_is_measured_on_its_compiled_steps(against, tmp_path, monkeypatch):
    """An unpacked baseline's numba cache starts empty, where a run keeps to numpy until it has earned
    the compiling back: measured so beside a checkout with a filled cache, the two would differ by
    which steps ran, not by their code."""
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    assert against.measure(against.ROOT, "ningbo", 1)["compiled"]
