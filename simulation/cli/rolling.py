"""``upgrade-sim backtest --rolling``: the rolling-origin back-test of one scenario or a folder of them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..errors import InputError

if TYPE_CHECKING:
    import pandas as pd


def scenario_files(spec: Path) -> list[Path]:
    """SPEC itself, or the scenarios directly inside a folder (variants and sweeps are not forecasts)."""
    if spec.is_dir():
        files = sorted(spec.glob("*.yaml"))
        if not files:
            raise InputError("no scenario (*.yaml) in this folder", file=str(spec))
        return files
    if not spec.is_file():
        raise InputError("file not found", file=str(spec))
    return [spec]


def _scenario_and_region(file: Path):
    """A scenario file, or a calibration spec (its scenario, unfitted, and its region)."""
    from ..loader import load_scenario, read_yaml

    raw = read_yaml(file)
    if "scenario" in raw and "observed" in raw:
        from ..calibration.spec import load_calibration

        cal = load_calibration(file)
        return cal.scenario, cal.spec.region
    return load_scenario(file), None


def rolling_command(spec: Path, out: Path, *, until, replications, seed, rule, workers, quiet,
                    refit: bool = True, swing_prior_sd: float | None = None) -> pd.DataFrame:
    import pandas as pd

    from ..forecast.overdispersion import SWING_PRIOR_SD
    from ..forecast.refit import QuickRefit
    from ..forecast.rolling import rolling_backtest, write_skill
    from ..forecast.skill import goal_summary, summarise
    from ..io import atomic_path
    files = scenario_files(spec)
    tables: list[pd.DataFrame] = []
    refused: list[str] = []
    log: list[str] = []
    for file in files:
        scenario, region = _scenario_and_region(file)
        try:
            tables.append(rolling_backtest(scenario, region, replications=replications, seed=seed, until=until, rule=rule,
                                           workers=workers, progress=not quiet, log=log,
                                           fit=QuickRefit(seed=seed, swing_prior_sd=swing_prior_sd or SWING_PRIOR_SD) if refit else None))
        except InputError as exc:
            if len(files) == 1:
                raise InputError(str(exc), file=str(file)) from None
            refused.append(f"{file}: {exc}")
    for line in refused:
        click.echo(f"skipped: {line}", err=True)
    if not tables:
        raise InputError("no scenario here has observed data to score against (see the lines above)", file=str(spec))
    skill = pd.concat(tables, ignore_index=True)
    from ..forecast.discrepancy import calibrate

    skill = pd.concat([skill, calibrate(skill)], ignore_index=True)  # labelled model_calibrated; raw rows kept
    write_skill(skill, out)
    if log:  # what each origin's refit set, for the record
        with atomic_path(out / "refit.txt") as tmp:
            tmp.write_text("\n".join(log) + "\n", encoding="utf-8")
    summary = summarise(skill)
    with atomic_path(out / "skill_summary.csv") as tmp:
        summary.to_csv(tmp, index=False, float_format="%.6g")
    with atomic_path(out / "skill_goals.csv") as tmp:
        goal_summary(skill).to_csv(tmp, index=False, float_format="%.6g")
    from ..plots.skill import draw_skill

    draw_skill(skill, out)
    click.echo(format_summary(summarise(skill, by=("region",))))
    click.echo(f"\n{len(skill[skill['method'] == 'model'])} model forecasts scored → {out}/skill.csv")
    return skill


def format_summary(summary: pd.DataFrame) -> str:
    """Coverage and MdAPE per region and method, one line each (interval scores and CRPS are in the
    indicators' own units, so they are compared per indicator in skill_summary.csv, not pooled here)."""
    lines = [f"{'region':<10} {'method':<12} {'n':>4} {'band n':>6} {'cov50':>6} {'cov80':>6} {'cov95':>6} "
             f"{'MdAPE%':>8} {'model MdAPE% (same pts)':>24}"]
    for r in summary.itertuples():
        def f(v, pct=False):
            return "—" if v != v else (f"{100 * v:.0f}%" if pct else f"{v:.4g}")
        lines.append(f"{r.region:<10} {r.method:<12} {r.n:>4} {r.n_interval:>6} {f(r.coverage50, 1):>6} {f(r.coverage80, 1):>6} "
                     f"{f(r.coverage95, 1):>6} {f(r.mdape):>8} {f(r.mdape_model_same_points):>24}")
    return "\n".join(lines)
