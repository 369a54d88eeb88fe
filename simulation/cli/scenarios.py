"""``upgrade-sim targets``: which of a document's targets the model can speak to."""

from __future__ import annotations

from pathlib import Path

import click

from .. import limits
from . import main
from .run import _pad, out_option, size_options


@main.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--csv", "csv_path", type=click.Path(path_type=Path), default=None, help="Also write the table here.")
def targets(scenario: Path, csv_path: Path | None) -> None:
    """Print SCENARIO's target coverage: N of M modelled, and why the others are not."""
    from ..loader import load_scenario
    from ..targets import coverage

    if csv_path is not None:  # a path that cannot take the table is refused before anything is printed
        _check_file_out(csv_path, "--csv")
    table = coverage(load_scenario(scenario))
    click.echo(format_coverage(table, str(scenario)))
    if csv_path is not None:
        from ..io import write_csv

        write_csv(csv_path, table)


def _check_file_out(path: Path, option: str) -> None:
    """Refuse an output file path that is a folder or lies under a file (nothing written)."""
    from ..errors import InputError
    from ..io import refuse_under_a_file

    if path.is_dir():
        raise InputError("is a folder; give a file name for the table", file=str(path), field=option)
    refuse_under_a_file(path, option)


def format_coverage(table, name: str) -> str:
    modelled = table[table["modelled"]]
    lines = [f"{name}: {len(modelled)} of {len(table)} targets modelled"]
    for theme, group in modelled.groupby("theme", sort=False):
        lines.append(f"\n  {theme}")
        for t in group.itertuples():
            measure = "" if t.measure == "level" else f"  ({t.measure} since {int(t.since)})"
            lines.append(f"    {t.year}  {_pad(str(t.name), 34)} {t.op}{t.target:g} {_unit(t)}{measure}  [{t.indicator}]")
    unmodelled = table[~table["modelled"]]
    if len(unmodelled):
        lines.append(f"\n  not modelled ({len(unmodelled)})")
        for t in unmodelled.itertuples():
            goal = f"{t.target:g} {_unit(t)}".strip() if t.target == t.target else ""
            lines.append(f"    {t.year}  {_pad(str(t.name), 24)} {_pad(goal, 12)} {t.reason}")
    return "\n".join(lines)


def _unit(row) -> str:
    return row.unit if isinstance(row.unit, str) else ""


@main.command()
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--replications", "-r", default=100, show_default=True, type=click.IntRange(min=1), help="Replications per scenario.")
@click.option("--seed", "-s", default=0, show_default=True, type=click.IntRange(min=0), help="Root seed, shared by all scenarios.")
@out_option("results/compare_<names>")
@size_options
@click.option("--workers", "-w", default=1, show_default=True, type=click.IntRange(min=0), help="Processes for the runs and the figures (0: every core). Never changes a number.")
@click.option("--plots/--no-plots", default=True, show_default=True, help="Draw the comparison figures.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True, help="Figure labels.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar or table.")
def compare(scenarios: tuple[Path, ...], replications: int, seed: int, out: Path | None, workers: int, plots: bool,
            lang: str, quiet: bool, overwrite: bool) -> None:
    """Run SCENARIOS on common random numbers; the first is the reference."""
    from ..compare import compare as run_compare
    from ..compare import unique_names, write_compare
    from ..errors import InputError
    from ..io import prepare_out_folder
    from ..loader import load_scenario

    if len(scenarios) < 2:
        raise InputError("compare needs at least two scenario files")
    loaded = [load_scenario(path) for path in scenarios]  # every file checked before anything runs
    limits.check_size(replications * len(scenarios), limits.MAX_RUNS, limits.BYTES_PER_RUN,
                      "replications (all scenarios)", field="--replications")
    out = out or Path("results") / ("compare_" + "_vs_".join(unique_names([sc.name for sc in loaded])))
    # checked now, cleared (checked again) once the new results are in hand: an interrupted rerun keeps the old
    prepare_out_folder(out, "compare", overwrite=overwrite, scenario_file=list(scenarios), clear=False)
    result = run_compare(loaded, replications, seed, workers=workers, progress=not quiet)
    prepare_out_folder(out, "compare", overwrite=overwrite, scenario_file=list(scenarios))
    write_compare(result, out, files=[str(p) for p in scenarios])
    if plots:
        from ..plots.figures import draw

        draw(out, lang=lang, workers=workers)
    if not quiet:
        click.echo(format_comparison(result))
    click.echo(f"\n{len(scenarios)} scenarios × {replications} replications in {result.wall_time:.1f} s → {out}")


def format_comparison(result) -> str:
    """The comparison table (see :func:`simulation.compare.format_comparison`)."""
    from ..compare import format_comparison as table

    return table(result)


@main.command()
@click.option("--theme", default=None, help="Only indicators of this theme (tiers, output, efficiency, land, ...).")
def indicators(theme: str | None) -> None:
    """List the indicators targets and outputs can name: name, Chinese label, unit, theme.

    Refer to an indicator in a year as NAME@YEAR (e.g. tax_per_mu@2025) in every command.
    """
    from ..errors import nearest
    from ..indicators import INDICATORS

    themes = sorted({ind.theme for ind in INDICATORS.values()})
    if theme is not None and theme not in themes:
        from ..errors import InputError

        raise InputError(f"unknown theme {theme!r}{nearest(theme, themes)}", field="--theme")
    click.echo(f"{_pad('name', 34)} {_pad('label', 36)} {_pad('unit', 14)} theme")
    for ind in INDICATORS.values():
        if theme is None or ind.theme == theme:
            click.echo(f"{_pad(ind.name, 34)} {_pad(ind.label, 36)} {_pad(ind.unit, 14)} {ind.theme}")


@main.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--all", "everything", is_flag=True, help="Also behavioural parameters and the base-year population.")
def levers(scenario: Path, everything: bool) -> None:
    """List SCENARIO's levers (and with --all, parameters) as dotted paths with current values.

    These paths are what sweeps, sensitivity factors, calibration parameters and set: name.
    """
    from ..loader import lever_paths, load_scenario

    for path, value, unit in lever_paths(load_scenario(scenario)):
        if everything or path.startswith("levers."):
            shown = ", ".join(f"{y}: {v:g}" for y, v in sorted(value.items())) if isinstance(value, dict) else f"{value:g}"
            click.echo(f"{_pad(path, 58)} {shown}" + (f" {unit}" if unit and unit != "1" else ""))
