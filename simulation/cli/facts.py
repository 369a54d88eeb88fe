"""``upgrade-sim facts``: the stylized facts of firm dynamics against their published values."""

from __future__ import annotations

from pathlib import Path

import click

from . import main


def _observed_sd(scenario) -> float | None:
    """S.d. of the region's observed yearly 规上 value-added growth, if calibration/data has a series."""
    from ..calibration.shocks import growth_series
    from ..errors import InputError
    from ..facts import observed_growth_sd

    try:
        return observed_growth_sd(growth_series(scenario.name.split("_")[0]))
    except InputError:
        return None


@main.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--replications", "-r", default=20, show_default=True, type=click.IntRange(min=1, max=2000), help="Replications.")
@click.option("--seed", "-s", default=0, show_default=True, type=click.IntRange(min=0), help="Root seed.")
@click.option("--out", "-o", type=click.Path(path_type=Path), default=None, help="Output folder [default: results/<scenario>_facts].")
@click.option("--workers", "-w", default=1, show_default=True, type=click.IntRange(min=0), help="Processes (0: every core).")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True, help="Figure labels.")
def facts(scenario: Path, replications: int, seed: int, out: Path | None, workers: int, lang: str) -> None:
    """Measure the stylized facts of firm dynamics on SCENARIO's firm panel; write facts.csv and facts.png."""
    from ..experiments.replicate import run_replications
    from ..facts import aggregate_growth_spread, facts_table, statistical_lines
    from ..io import ensure_out_folder, write_csv
    from ..loader import load_scenario

    sc = load_scenario(scenario)
    out = out or Path("results") / f"{sc.name}_facts"
    ensure_out_folder(out, "facts")
    result = run_replications(sc, replications, seed, workers=workers, progress=True, firms=True)
    lines = statistical_lines(sc)
    table = facts_table(result.firms, sc.base_year, sc.end_year, lines)
    spread = aggregate_growth_spread(result.indicators, _observed_sd(sc))
    write_csv(out / "facts.csv", table)
    from ..plots.facts import draw_facts

    draw_facts(result.firms, sc.base_year, sc.end_year, out, title=sc.title, scenario_name=sc.name, replications=replications, lang=lang,
               lines=lines)
    for row in table.itertuples():
        mark = {"holds": "ok ", "within error": "~  ", "fails": "NO "}[row.verdict]
        error = f" ± {row.se:.2g}" if row.se == row.se else ""
        click.echo(f"{mark} {row.label:<34} model {row.model:8.3g}{error}   published {row.published}   ({row.source})")
    if (table["verdict"] == "within error").any():
        click.echo("    ~: outside its range by no more than two Monte Carlo standard errors (± one s.e., "
                   "from the spread across replications): more replications would tell")
    observed = (f"observed year-to-year s.d. {spread['observed_sd']:.2f} pp (calibration/data)"
                if spread["observed_sd"] == spread["observed_sd"] else "no observed growth series for the region")
    model = (f"{spread['model_sd']:.2f} pp" if spread["model_sd"] == spread["model_sd"]
             else "not measured (one replication; run two or more)")
    click.echo(f"    规上增加值增速 s.d. across replications {model}; {observed}")
    click.echo(f"    {_below_scale_line(result.indicators)}")
    click.echo(f"→ {out}")


def _below_scale_line(indicators) -> str:
    """The model's 规下 - 规上 growth gap by year beside the gaps derived from published figures."""
    from ..calibration.below_scale import model_gaps, observed_gaps

    model = " ".join(f"{year} {gap:+.1f}" for year, gap in model_gaps(indicators).items())
    seen = observed_gaps()["gap"]
    return (f"规下 - 规上 增加值增速 (pp): model {model}; observed {seen.mean():+.1f} on average "
            f"({seen.min():+.1f} to {seen.max():+.1f}, {len(seen)} published all-industry and 规上 pairs, calibration/data)")
