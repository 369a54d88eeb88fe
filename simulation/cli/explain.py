"""``upgrade-sim explain``: the causal chain of one lever on common random numbers."""

from __future__ import annotations

from pathlib import Path

import click

from . import main


@main.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--lever", required=True, help="Dotted path of the lever, e.g. levers.remediation.firms_per_year.")
@click.option("--to", "to", type=float, default=None, help="Set the lever to this value (every year of a schedule).")
@click.option("--scale", type=float, default=None, help="Multiply the lever by this factor (every year of a schedule).")
@click.option("--replications", "-r", default=50, show_default=True, type=click.IntRange(min=2), help="Paired replications.")
@click.option("--seed", "-s", default=0, show_default=True, type=click.IntRange(min=0), help="Root seed, shared by both runs.")
@click.option("--out", "-o", type=click.Path(path_type=Path), default=None, help="Output folder [default: results/explain_<scenario>_<lever>].")
@click.option("--workers", "-w", default=1, show_default=True, type=click.IntRange(min=0), help="Processes (0: every core). Never changes a number.")
@click.option("--plots/--no-plots", default=True, show_default=True, help="Draw the chain figure.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True, help="Figure labels.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar or table.")
def explain(scenario: Path, lever: str, to: float | None, scale: float | None, replications: int, seed: int,
            out: Path | None, workers: int, plots: bool, lang: str, quiet: bool) -> None:
    """What moving one lever of SCENARIO changes first, next, and in the targets (paired differences)."""
    from ..explain import explain as run_explain
    from ..explain import format_explanation, lever_value, write_explanation
    from ..io import ensure_out_folder
    from ..loader import load_scenario

    loaded = load_scenario(scenario)
    lever_value(loaded, lever, to=to, scale=scale, file=str(scenario))  # a bad lever is refused before anything runs
    out = out or Path("results") / f"explain_{loaded.name}_{lever.split('.')[-2] if '.' in lever else lever}"
    ensure_out_folder(out, "explain")
    result = run_explain(loaded, lever, to=to, scale=scale, replications=replications, seed=seed, workers=workers,
                         progress=not quiet)
    write_explanation(result, out, scenario_file=str(scenario))
    if plots:
        from ..plots.figures import draw

        draw(out, lang=lang)
    if not quiet:
        click.echo(format_explanation(result))
    click.echo(f"\n2 × {replications} replications in {result.wall_time:.1f} s → {out}")
