"""``upgrade-sim pool``: behaviour parameters pooled across the regions' calibrations."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import InputError
from . import main


@main.command()
@click.option("--fitted", type=click.Path(path_type=Path, file_okay=False), default=Path("calibration/fitted"),
              show_default=True, help="Folder of the regions' calibrated parameter files (<region>.yaml).")
@click.option("--scenarios", type=click.Path(path_type=Path, file_okay=False), default=Path("scenarios"),
              show_default=True, help="Folder of the regions' scenarios (<region>_*.yaml).")
@click.option("--out", "-o", type=click.Path(path_type=Path), default=Path("calibration/pooled"), show_default=True,
              help="Output folder.")
def pool(fitted: Path, scenarios: Path, out: Path) -> None:
    """Pool the regions' calibrated behaviour parameters; write pooled.csv and a scenario per region without its own."""
    from ..calibration.pooled import pool_parameters, pooled_scenario, regional_estimates, shock_persistence
    from ..io import write_csv, write_json

    estimates = regional_estimates(fitted)
    table = pool_parameters(estimates)
    if table.empty:
        raise InputError("no behaviour parameter is identified in two or more regions' calibrations", file=str(fitted))
    out.mkdir(parents=True, exist_ok=True)
    write_csv(out / "pooled.csv", table)
    write_json(out / "shock_persistence.json", shock_persistence())
    predictive = table[table["basis"] == "predictive"]
    for region in sorted(predictive["region"].unique()):
        found = sorted(scenarios.glob(f"{region}_*.yaml"))
        if len(found) != 1:
            click.echo(f"    {region}: {len(found)} scenarios in {scenarios}, no pooled scenario written")
            continue
        click.echo(f"    {region}: {pooled_scenario(predictive, region, found[0], out / f'{region}.yaml')}")
    for row in table.itertuples():
        own = f"own {row.own:.3g} ± {row.own_se:.2g}" if row.basis == "shrunk" else "no own estimate"
        click.echo(f"{row.region:<8} {row.path.rsplit('.', 2)[-2]:<15} {row.pooled:.3g} "
                   f"[{row.lower80:.3g}, {row.upper80:.3g}] ({row.basis}; {own})")
    click.echo(f"→ {out}")
