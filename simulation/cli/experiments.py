"""``upgrade-sim sweep``, ``upgrade-sim sensitivity`` and ``upgrade-sim discover``."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import InputError
from . import main
from .run import FiniteRange, _allow_large, _out_path

LANG = click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
                    help="Figure labels (Chinese needs a CJK font; else English).")


def _executor_options(fn):
    fn = click.option("--scheduler", default=None, metavar="ADDR",
                      help="Use an existing Dask cluster, e.g. tcp://10.0.0.5:8786 (workers need upgrade-sim).")(fn)
    fn = click.option("--dask-local", type=click.IntRange(min=1), default=None, metavar="N",
                      help="Start a Dask LocalCluster of N worker processes.")(fn)
    fn = click.option("--workers", "-w", type=click.IntRange(min=0), default=None, metavar="N",
                      help="Local processes (1: serial; default: every core). Never changes a number.")(fn)
    fn = click.option("--quiet", "-q", is_flag=True, help="No progress bar.")(fn)
    fn = click.option("--out", "-o", type=str, required=True, callback=_out_path,
                      help="Store folder; rerunning the same command resumes it.")(fn)
    fn = click.option("--overwrite", is_flag=True, callback=_clear_later, expose_value=False,
                      help="Clear OUT first instead of resuming it.")(fn)
    fn = click.option("--allow-large", is_flag=True, callback=_allow_large, expose_value=False, is_eager=True,
                      help="Allow designs beyond the size limits (memory permitting).")(fn)
    return click.argument("spec", type=click.Path(path_type=Path))(fn)


def _clear_later(ctx, param, value: bool) -> None:
    ctx.meta["overwrite"] = value


def _overwrite() -> bool:
    """Whether --overwrite was given: the store then starts over, cleared under its lock once the
    spec has been checked (a bad spec never costs the old results)."""
    return bool(click.get_current_context().meta.get("overwrite"))


def _executor_kwargs(workers, dask_local, scheduler) -> dict:
    chosen = [name for name, v in (("--workers", workers), ("--dask-local", dask_local), ("--scheduler", scheduler))
              if v is not None]
    if len(chosen) > 1:
        raise InputError(f"choose one executor, not {' and '.join(chosen)}")
    return {"workers": workers, "dask_local": dask_local, "scheduler": scheduler}


def open_executor(workers, dask_local, scheduler):
    """The executor the flags ask for; a Dask cluster's dashboard address is printed (stderr) first."""
    from ..experiments.executors import make_executor

    executor = make_executor(**_executor_kwargs(workers, dask_local, scheduler))
    dashboard = getattr(executor, "dashboard", None)
    if dashboard:
        click.echo(f"Dask dashboard: {dashboard}", err=True)
    elif getattr(executor, "name", "") == "dask":
        click.echo("Dask dashboard: not served (install bokeh: pip install 'bokeh>=3.1')", err=True)
    return executor


@main.command()
@_executor_options
def sweep(spec: Path, out: Path, workers, dask_local, scheduler, quiet: bool) -> None:
    """Run every design point × replication of SPEC into the parquet store OUT (resumable)."""
    from ..experiments.sweep import sweep as run_sweep

    with open_executor(workers, dask_local, scheduler) as executor:
        result = run_sweep(spec, out, progress=not quiet, executor=executor, overwrite=_overwrite())
    if not quiet and not result.attainment.empty:
        click.echo(format_pooled(result.pooled()))
    click.echo(result.summary())


@main.command()
@_executor_options
@click.option("--plots/--no-plots", default=True, show_default=True, help="Draw the index figures.")
@LANG
def sensitivity(spec: Path, out: Path, workers, dask_local, scheduler, quiet: bool, plots: bool, lang: str) -> None:
    """Sobol' or Morris indices of SPEC's outputs; indices.csv and figures in OUT (resumable)."""
    from ..experiments.sensitivity import sensitivity as run_sensitivity

    with open_executor(workers, dask_local, scheduler) as executor:
        result = run_sensitivity(spec, out, progress=not quiet, executor=executor, overwrite=_overwrite())
    if plots:
        from ..plots.figures import draw

        draw(out, lang=lang)
    if not quiet:
        click.echo(format_indices(result.indices))
    click.echo(result.summary())


@main.command()
@click.argument("store", type=click.Path(path_type=Path))
@click.option("--target", "-t", required=True, metavar="NAME@YEAR",
              help="A target of the base scenario by indicator (or target name) and year, e.g. tax_per_mu@2025.")
@click.option("--missed", is_flag=True, help="Explain where the target is missed instead of met.")
@click.option("--threshold", default=0.5, show_default=True, type=FiniteRange(0, 1),
              help="A point counts as a case when P(met) (or P(missed)) is at least this.")
@click.option("--out", "-o", type=str, default=None, callback=_out_path, help="Folder [default: STORE/discovery].")
@click.option("--plots/--no-plots", default=True, show_default=True)
@LANG
def discover(store: Path, target: str, missed: bool, threshold: float, out: Path | None, plots: bool, lang: str) -> None:
    """PRIM boxes and a CART tree: where in the design is TARGET met (or missed)?"""
    from ..experiments.discover import discover as run_discover
    from ..experiments.discover import write_discovery
    from ..io import check_derived_folder, check_finished, check_results_folder

    check_finished(store, check_results_folder(store, require_manifest=False))
    out = check_derived_folder(out or store / "discovery", store)
    result = run_discover(store, target, missed=missed, threshold=threshold)
    write_discovery(result, out)
    if plots:
        from ..plots.discovery import draw_discovery
        from ..plots.figures import folder_stamp, labels_for, read_manifest
        from ..plots.fonts import resolve_lang
        from ..plots.save import stamped

        manifest = read_manifest(store) if (store / "manifest.json").is_file() else {}
        lang = resolve_lang(lang)
        with stamped(folder_stamp(manifest, lang)):
            draw_discovery(result, out / "figures", lang=lang, labels=labels_for(manifest, lang))
    click.echo(result.describe())
    click.echo(f"→ {out}")


def format_pooled(pooled) -> str:
    """Each target's P(met) over the design as text: pooled over every run, then the lowest,
    median and highest of a point."""
    lines = [f"{'pooled':>7}  {'points: lowest / median / highest':>33}  {'year':>4}  target"]
    for t in pooled.itertuples():
        spread = f"{t.p_min:.0%} / {t.p_median:.0%} / {t.p_max:.0%}"
        lines.append(f"{t.p_pooled:>7.0%}  {spread:>33}  {t.year:>4}  {t.target}")
    lines.append("pooled: the share of all the design's runs meeting the target. Over a design sampling uncertain "
                 "parameters from their ranges it is P(met) with them unknown within the ranges; over levers, an "
                 "average of choices.")
    return "\n".join(lines)


def format_indices(indices) -> str:
    """The first- and total-order (or μ*) indices as text, one line per output and factor."""
    lines = []
    for output, rows in indices.groupby("output", sort=False):
        lines.append(output)
        main_rows = rows[rows["index"].isin(["S1", "ST", "mu_star", "sigma"])]
        wide = main_rows.pivot_table(index="factor", columns="index", values="value", sort=False)
        conf = main_rows.pivot_table(index="factor", columns="index", values="conf", sort=False)
        for factor, row in wide.iterrows():
            cells = [f"{k}={row[k]:.3g}" + (f"±{conf.loc[factor, k]:.2g}" if k in conf and conf.loc[factor, k] == conf.loc[factor, k] else "")
                     for k in wide.columns]
            lines.append(f"  {factor:<45} " + "  ".join(cells))
    return "\n".join(lines)
