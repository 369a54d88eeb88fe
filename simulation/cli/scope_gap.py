"""``upgrade-sim scope-gap``: the 同口径 scope gap of a scenario's 规上 growth indicator."""

from __future__ import annotations

from pathlib import Path

import click

from . import main


@main.command("scope-gap")
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--replications", "-r", default=60, show_default=True, type=click.IntRange(min=2, max=2000), help="Replications a round.")
@click.option("--seed", "-s", default=0, show_default=True, type=click.IntRange(min=0), help="Root seed.")
@click.option("--iterations", default=3, show_default=True, type=click.IntRange(min=1, max=10), help="Rounds of the fixed point.")
@click.option("--workers", "-w", default=1, show_default=True, type=click.IntRange(min=0), help="Processes (0: every core).")
def scope_gap(scenario: Path, replications: int, seed: int, iterations: int, workers: int) -> None:
    """Measure how far SCENARIO's 规上 growth indicator (同口径) runs above continuing firms' growth at
    its own levers, with no energy cap and no common shocks; print the parameters.growth.scope_gap
    that takes it off the trend, so that the indicator's mean is above_scale_mean."""
    from ..calibration.scope_gap import measure_scope_gap
    from ..loader import load_scenario

    sc = load_scenario(scenario)
    table = measure_scope_gap(sc, replications, seed, iterations=iterations, workers=workers)
    click.echo(f"{'year':>6} {'above_scale_mean':>17} {'indicator, no gap':>18} {'gap':>6} {'indicator':>10}")
    for row in table.itertuples():
        click.echo(f"{row.year:>6} {row.schedule:>17.2f} {row.indicator_without:>18.2f} {row.gap:>6.2f} {row.indicator:>10.2f}")
    values = ", ".join(f"{row.year}: {row.gap:.1f}" for row in table.itertuples())
    click.echo(f'scope_gap: {{value: {{{values}}}, unit: "%/年", source: "upgrade-sim scope-gap '
               f'{scenario.as_posix()} -r {replications} -s {seed}"}}')
