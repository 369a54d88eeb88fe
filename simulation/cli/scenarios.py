"""``upgrade-sim targets``: which of a document's targets the model can speak to."""

from __future__ import annotations

from pathlib import Path

import click

from ..loader import load_scenario
from ..targets import coverage
from . import main
from .run import _pad


@main.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--csv", "csv_path", type=click.Path(path_type=Path), default=None, help="Also write the table here.")
def targets(scenario: Path, csv_path: Path | None) -> None:
    """Print SCENARIO's target coverage: N of M modelled, and why the others are not."""
    table = coverage(load_scenario(scenario))
    click.echo(format_coverage(table, str(scenario)))
    if csv_path is not None:
        from ..io import write_csv

        write_csv(csv_path, table)


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
