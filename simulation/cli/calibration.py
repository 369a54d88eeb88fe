"""``upgrade-sim calibrate`` and ``upgrade-sim backtest``."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import InputError
from . import main
from .run import FiniteRange, _out_path


def _options(resumes: str, workers_default: str = "every core"):
    """The options calibrate and backtest share; ``resumes`` says what a rerun into the same folder
    does, ``workers_default`` what no --workers means."""
    return lambda fn: _shared_options(fn, resumes, workers_default)


def _shared_options(fn, resumes: str, workers_default: str):
    fn = click.option("--quiet", "-q", is_flag=True, help="No progress bars.")(fn)
    fn = click.option("--method", type=click.Choice(["smm", "abc"]), default=None,
                      help="Override the spec's method.")(fn)
    fn = click.option("--scheduler", default=None, metavar="ADDR",
                      help="Use an existing Dask cluster, e.g. tcp://10.0.0.5:8786 (workers need upgrade-sim).")(fn)
    fn = click.option("--dask-local", type=click.IntRange(min=1), default=None, metavar="N",
                      help="Start a Dask LocalCluster of N worker processes.")(fn)
    fn = click.option("--workers", "-w", type=click.IntRange(min=0), default=None, metavar="N",
                      help=f"Local processes (1: serial; default: {workers_default}). Never changes a number.")(fn)
    fn = click.option("--out", "-o", type=str, required=True, callback=_out_path,
                      help=f"Output folder; {resumes}.")(fn)
    return click.argument("spec", type=click.Path(path_type=Path))(fn)


@main.command()
@_options("rerunning the same command resumes from its cache")
@click.option("--parameters", "parameters_file", type=click.Path(path_type=Path), default=None,
              help="Also write the fitted parameter file here (e.g. calibration/fitted/zhenhai.yaml).")
@click.option("--plots/--no-plots", default=True, show_default=True, help="Draw fit.png.")
def calibrate(spec: Path, out: Path, workers, dask_local, scheduler, method, quiet: bool, parameters_file: Path | None,
              plots: bool) -> None:
    """Fit SPEC's parameters to its observed series; parameters.yaml, loss trace and fit.png in OUT."""
    from ..calibration import calibrate as run_calibrate
    from ..calibration import write_calibration, write_parameters

    if parameters_file is not None:
        _check_writable(parameters_file)
    with _executor(workers, dask_local, scheduler) as pool:
        result = run_calibrate(spec, out, workers=pool, progress=not quiet, method=method)
    write_calibration(result, out, plots=plots)
    if parameters_file is not None:
        write_parameters(result, parameters_file, spec_label=str(spec))
    click.echo(format_estimates(result))
    click.echo(f"\n{result.fit.evaluations} parameter vectors simulated in {result.wall_time:.0f} s → {out}")
    click.echo(f"  estimates: {out / 'estimates.csv'}; scenario at the estimate: {out / 'parameters.yaml'}"
               + (f"; also {parameters_file}" if parameters_file is not None else ""))


def _check_writable(path: Path) -> None:
    """Refuse a --parameters file that could not be written, before the fit rather than after it."""
    import os

    if path.is_dir():
        raise InputError("is a folder; give the parameter file's name", file=str(path), field="--parameters")
    folder = path.parent
    while not folder.exists():  # the nearest folder that exists is where the missing ones would be made
        folder = folder.parent
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"cannot be written: {folder} is not a writable folder", file=str(path), field="--parameters")


@main.command()
@_options("rerunning the same command resumes the fit from its cache (--rolling does not resume: a rerun starts over)",
          "every core for a fit, serial for --rolling")
@click.option("--until", type=int, default=None, metavar="YEAR",
              help="Fit to observations up to YEAR only (with --rolling: the last year to forecast; default: the last observed).")
@click.option("--rolling", is_flag=True,
              help="Rolling-origin back-test of SPEC, a scenario file or a folder of scenarios: skill.csv and figures in OUT "
                   "(serial unless -w, --dask-local or --scheduler is given).")
@click.option("--replications", "-r", type=click.IntRange(min=2), default=100, show_default=True,
              help="With --rolling: replications of each scenario.")
@click.option("--seed", "-s", type=click.IntRange(min=0), default=0, show_default=True, help="With --rolling: root seed.")
@click.option("--rule", type=click.Choice(["stated", "hold", "trend"]), default="stated", show_default=True,
              help="With --rolling: how schedules continue past a scenario's end year.")
@click.option("--refit/--no-refit", default=True, show_default=True,
              help="With --rolling: quick refit per origin on data up to it, with parameter uncertainty "
                   "(simulation.forecast.refit); --no-refit runs each scenario as written.")
@click.option("--swing-prior-sd", type=FiniteRange(min=0, min_open=True, max=1.0), default=0.5, show_default=True,
              help="With --rolling: s.d. of the half-normal prior on the certification flows' year swing τ "
                   "(log scale; simulation.forecast.overdispersion), for a sensitivity run.")
def backtest(spec: Path, out: Path, workers, dask_local, scheduler, method, quiet: bool, until: int | None, rolling: bool,
             replications: int, seed: int, rule: str, refit: bool, swing_prior_sd: float) -> None:
    """Calibrate SPEC on data up to --until, forecast later years, score against a naive trend.

    With --rolling: forecast every observed point 1-3 years ahead from every origin and score
    the model, a naive random walk with drift and a statistical model (skill.csv). A rolling
    back-test keeps no cache: rerunning it computes every origin again."""
    if rolling:
        _rolling(spec, out, workers, dask_local, scheduler, method, quiet=quiet, until=until, replications=replications,
                 seed=seed, rule=rule, refit=refit, swing_prior_sd=swing_prior_sd)
        return
    if until is None:
        raise InputError("give --until YEAR (or --rolling)", field="--until")
    from .. import io
    from ..calibration import backtest as run_backtest
    from ..calibration import write_calibration
    from ..plots.calibration import save_fit_figure

    with _executor(workers, dask_local, scheduler) as pool:
        result, table, scores = run_backtest(spec, until, out, workers=pool, progress=not quiet, method=method)
    write_calibration(result, out, plots=False)
    io.write_csv(out / "forecast.csv", table)
    io.write_csv(out / "backtest.csv", scores)
    from ..plots.fonts import resolve_lang
    from ..plots.labels import text
    from ..plots.save import stamped

    lang = resolve_lang("zh")
    note = text("stamp_calibrate", lang, scenario=result.cal.scenario.name, replications=result.cal.spec.replications)
    with stamped(note):
        save_fit_figure(result.simulated, observed_rows_all(result.cal, table), out / "backtest",
                        fitted=result.cal.targets, until=until, lang=lang)
    click.echo(format_estimates(result))
    click.echo(f"\nback-test: fitted to years <= {until}; scored on later years (MdAPE in %)")
    click.echo(scores.to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    click.echo(f"\n→ {out} (forecast.csv, backtest.csv, backtest.png)")


def _rolling(spec, out, workers, dask_local, scheduler, method, **options) -> None:
    """The rolling back-test on the executor chosen (serial by default): each origin's quick refit
    is its own estimator, so a calibration --method has no meaning there."""
    from .rolling import rolling_command

    if method is not None:
        raise InputError("--method chooses a calibration's estimator; --rolling refits each origin by its own "
                         "quick method of moments, so drop --method", field="--method")
    serial = workers is None and dask_local is None and scheduler is None
    with _executor(1 if serial else workers, dask_local, scheduler) as pool:
        rolling_command(spec, out, workers=pool, **options)


def _executor(workers, dask_local, scheduler):
    """One executor for the whole fit (the choice of executor never changes a number)."""
    from .experiments import open_executor

    return open_executor(workers, dask_local, scheduler)


def observed_rows_all(cal, table):
    """The fitted rows and the held-out rows, for the back-test figure."""
    import pandas as pd

    from ..calibration.calibrate import observed_rows

    held = table.rename(columns={"observed": "value"})[["indicator", "year", "value"]]
    units = cal.data.drop_duplicates("indicator").set_index("indicator")["unit"]
    held = held.assign(unit=held["indicator"].map(units))
    rows = pd.concat([observed_rows(cal)[["indicator", "year", "value", "unit"]], held], ignore_index=True)
    return rows.drop_duplicates(["indicator", "year"]).sort_values(["indicator", "year"])


def format_estimates(result) -> str:
    """The fitted parameters with their uncertainty, one line each."""
    fit = result.fit
    lines = [f"{fit.method}: loss {fit.loss:.4g}; {fit.evaluations} simulated, {fit.resumed} from cache; {fit.message}"]
    for r in fit.estimates.itertuples():
        value = f"{r.value:.0f}" if float(r.value).is_integer() and abs(r.value) >= 1 else f"{r.value:.4g}"
        if r.identified:
            lines.append(f"  {r.name} = {value}  (s.e. {r.se:.3g}; 95% [{r.lower:.4g}, {r.upper:.4g}])")
        else:
            lines.append(f"  {r.name} = {value}  (not identified: the 95% interval [{r.lower:.4g}, {r.upper:.4g}] "
                         f"spans the search range [{r.low_bound:g}, {r.high_bound:g}])")
    return "\n".join(lines)
