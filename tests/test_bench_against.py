"""``bench/against.py``: a baseline commit unpacked as it was, and the measurements it runs in a fresh
process on a checkout give consistent figures (time, firm-months, a scaled population)."""

from __future__ import annotations

import importlib
import importlib.util
import subprocess
import types
from pathlib import Path

import pytest

from simulation.memory import may_ask_glibc

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


def test_the_kernel_runs_under_the_allocator_setting_a_replication_makes(against, monkeypatch):
    """Set beside a model that keeps its freed memory, the kernel keeps its own, asked before it is
    timed: in a fresh process without it, each temporary was faulted in afresh and the kernel ran at
    half to two thirds of its speed, which flattered the model's share of it."""
    measure = importlib.import_module("measure")  # bench/ is on the path (the fixture)
    assert Path(measure._memory_module().__file__) == _BENCH.parent / "simulation" / "memory.py"
    calls: list[str] = []

    def step(n, **_):
        calls.append("step")
        return 1.0

    monkeypatch.setattr(measure, "_keep_freed_memory", lambda: calls.append("keep") or True)
    monkeypatch.setattr(measure, "_checkout_engine", lambda: types.SimpleNamespace(vectorised_step=step))
    assert measure.measure("kernel", 1_000) == {"fm_s": 1.0, "memory_kept": True}
    assert calls == ["keep", "step", "step", "step"]


@pytest.mark.parametrize("own", [None, "def keep_freed_memory():\n    return \"the baseline's\"\n"])
def test_a_baseline_runs_its_kernel_under_this_checkouts_allocator_setting(against, tmp_path, own):
    """The setting is this checkout's ``simulation/memory.py``, read by its path, in the fresh process
    against.py starts: a baseline without one (any commit before it) gets it, and a baseline's own
    (here a stand-in that answers otherwise) is not the one asked."""
    if subprocess.run(["git", "-C", str(_BENCH.parent), "rev-parse", "HEAD"], capture_output=True).returncode != 0:
        pytest.skip("not a git checkout")
    against.unpack("HEAD", tmp_path)
    memory = tmp_path / "simulation" / "memory.py"
    if own is None:
        memory.unlink()
    else:
        memory.write_text(own)
    kernel = against.measure(tmp_path, "kernel", 1_000)
    assert kernel["fm_s"] > 0 and kernel["memory_kept"] is may_ask_glibc()  # in the child, of this environment


@pytest.mark.slow
def test_a_checkout_with_an_empty_disk_cache_is_measured_on_its_compiled_steps(against, tmp_path, monkeypatch):
    """An unpacked baseline's numba cache starts empty, where a run keeps to numpy until it has earned
    the compiling back: measured so beside a checkout with a filled cache, the two would differ by
    which steps ran, not by their code."""
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    assert against.measure(against.ROOT, "ningbo", 1)["compiled"]
