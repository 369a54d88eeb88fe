"""Calibration as a user meets it: honest identification, whole-number firm counts, one progress bar."""

from __future__ import annotations

import io
import subprocess
import sys

import numpy as np
import pytest

from simulation.calibration import calibrate, load_calibration, objective
from simulation.calibration.objective import expected_runs, integer_mask
from simulation.calibration.smm import spans_bounds

from .test_calibration import write_setup

GROWTH = "parameters.growth.above_scale_mean"
BIRTHS = "parameters.entry.births_per_year"  # unit 家: a count of firms


def planted_task(truth_growth: float, wobble: float):
    """A stand-in for one model run: moments proportional to the growth parameter, almost flat in births.

    ``wobble`` is how much births move the moments (0: not at all); each replication adds its own
    1% noise so that the moments' covariance has full rank.
    """

    def task(scenario, parameters, keys, root, task):
        theta, _point, replication = task
        growth, births = (float(x) for x in objective.as_fitted(scenario, parameters, theta))
        noise = 1 + 0.01 * np.sin(1.7 * replication + 0.3 * np.arange(len(keys)))
        last = np.arange(len(keys)) >= len(keys) - 3  # births move only the last moments (firm counts)
        return 100.0 * (1 + growth / truth_growth) * np.where(last, 1 + wobble * births, 1.0) * noise

    return task


@pytest.fixture
def planted(tmp_path, zhenhai, monkeypatch):
    spec = write_setup(tmp_path, zhenhai, maxiter=6)
    cal = load_calibration(spec)
    # observed moments at growth = 6 and births = 0 effect: the planted task's mean there
    monkeypatch.setattr(objective, "moments_run", planted_task(6.0, 1e-9))
    return spec, cal


def test_a_parameter_the_data_barely_move_is_not_identified(planted, monkeypatch):
    spec, cal = planted
    observed = 200.0  # the planted task's value at growth = truth, whatever births
    cal.targets["value"] = observed
    result = calibrate(cal)
    est = result.fit.estimates.set_index("path")
    assert est.loc[GROWTH, "identified"]
    assert est.loc[GROWTH, "value"] == pytest.approx(6.0, abs=0.6)
    # births move the moments by 1e-7 per firm: the Jacobian is not zero, but the interval is the whole range
    births = est.loc[BIRTHS]
    assert spans_bounds(births["lower"], births["upper"], births["low_bound"], births["high_bound"])
    assert not births["identified"]


def test_firm_counts_are_fitted_and_reported_as_whole_numbers(planted):
    _, cal = planted
    assert list(integer_mask(cal.scenario, cal.spec.parameters)) == [False, True]
    result = calibrate(cal)
    births = result.fit.trace[cal.names[1]]
    assert (births == np.rint(births)).all(), "every vector tried has a whole number of firms"
    value = result.fit.estimates.set_index("path").loc[BIRTHS, "value"]
    assert float(value).is_integer()
    growth = result.fit.trace[cal.names[0]]
    assert not (growth == np.rint(growth)).all(), "a rate stays continuous"


@pytest.mark.parametrize("lower, upper, spans", [
    (0.0, 1.0, True), (0.04, 0.97, True), (0.0, 0.5, False), (0.3, 1.0, False), (0.2, 0.8, False),
])
def test_spans_bounds_rule(lower, upper, spans):
    assert spans_bounds(lower, upper, 0.0, 1.0) is spans


@pytest.mark.slow
def test_one_progress_bar_with_a_total_for_the_whole_fit(planted, monkeypatch):
    _, cal = planted
    bars = []
    real = objective.progress_bar

    def spy(cal, method, *, enabled):
        bar = real(cal, method, enabled=True)
        bar.fp = io.StringIO()
        bars.append(bar)
        return bar

    monkeypatch.setattr(sys.modules["simulation.calibration.calibrate"], "progress_bar", spy)
    calibrate(cal, progress=True)
    assert len(bars) == 1
    bar = bars[0]
    o = cal.spec.optimiser
    assert expected_runs(cal, "smm") >= (o.maxiter + 1) * o.popsize * 2 * cal.spec.replications
    assert bar.n == bar.total > 0, "the bar ends full: its total is the runs actually made"


def test_calibration_does_not_import_plotting():
    code = ("import sys, simulation.calibration, simulation.calibration.calibrate; "
            "bad = [m for m in sys.modules if m.startswith(('matplotlib', 'simulation.plots'))]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
