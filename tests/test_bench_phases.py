"""``bench/phases.py`` times the calendar's steps by name: every name it lists still names a function,
and the steps it counts as passes over the population are among them."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_PATH = Path(__file__).resolve().parents[1] / "bench" / "phases.py"


def _phases():
    spec = importlib.util.spec_from_file_location("bench_phases", _PATH)
    assert spec is not None and spec.loader is not None
    phases = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(phases)
    return phases


def test_every_timed_step_is_a_function():
    phases = _phases()
    missing = []
    for entry in phases.TIMED:
        try:
            owner, name, _ = phases.resolve(entry)
            if not callable(getattr(owner, name)):
                missing.append(entry)
        except (AttributeError, ImportError):
            missing.append(entry)
    assert not missing, missing


def test_every_pass_is_a_timed_step():
    """The split into passes and bookkeeping names steps the bench times (a renamed step would drop out of it)."""
    phases = _phases()
    labels = {phases.resolve(entry)[2] for entry in phases.TIMED}
    assert phases.PASSES <= labels, sorted(phases.PASSES - labels)
