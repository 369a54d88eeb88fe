"""``upgrade-sim validate`` and ``upgrade-sim run``."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import click

from .. import limits
from ..errors import InputError
from . import main

# Each command imports what it runs when it runs: ``upgrade-sim --help`` and a refused scenario
# need neither pandas nor the model.


def out_option(default_help: str):
    """``--out/-o``: a folder name (an empty one is refused, not read as the working folder)."""
    return click.option("--out", "-o", type=str, default=None, callback=_out_path, help=f"Output folder [default: {default_help}].")


def _out_path(ctx, param, value: str | None) -> Path | None:
    if value is None:
        return None
    if not value.strip():
        raise click.BadParameter("is empty; give an output folder")
    return Path(value)


class FiniteRange(click.FloatRange):
    """click's FloatRange, refusing NaN too (no comparison with a bound refuses it)."""

    def convert(self, value, param, ctx):
        number = super().convert(value, param, ctx)
        if number != number:
            self.fail(f"{value!r} is not a number", param, ctx)
        return number


def default_out(scenario_file: Path, name: str) -> Path:
    """``results/<scenario name>``, or ``results/<name>-<file stem>`` for a file whose stem is not
    its scenario's name (calibration/fitted/zhenhai.yaml, a parameters.yaml), so that running it
    keeps apart from the scenario it extends."""
    stem = Path(scenario_file).stem
    return Path("results") / (name if stem == name else f"{name}-{stem}")


def size_options(fn):
    """``--overwrite`` and ``--allow-large`` for commands writing a fresh output folder."""
    fn = click.option("--allow-large", is_flag=True, callback=_allow_large, expose_value=False, is_eager=True,
                      help=f"Allow more than {limits.MAX_RUNS:,} replications in all (memory permitting).")(fn)
    return click.option("--overwrite", is_flag=True, help="Clear OUT first if it holds earlier results.")(fn)


def _allow_large(ctx, param, value: bool) -> None:
    if value:
        limits.ALLOW_LARGE = True


@main.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--diff", is_flag=True, help="Also list what SCENARIO changes against the scenario it extends.")
def validate(scenario: Path, diff: bool) -> None:
    """Check a scenario file; print a summary, or one error naming the field (exit code 2)."""
    from ..loader import load_scenario, parent_of
    from ..loader import validate as validate_mapping

    sc = load_scenario(scenario)
    modelled = sum(t.modelled for t in sc.targets)
    click.echo(f"{scenario}: valid — {sc.title} ({sc.base_year}→{sc.end_year}), "
               f"{len(sc.targets)} targets ({modelled} modelled)")
    if diff:
        from ..variants import scenario_diff

        raw_parent = parent_of(scenario)
        if raw_parent is None:
            click.echo("no extends: (not a variant); nothing to compare")
            return
        lines = scenario_diff(validate_mapping(raw_parent, file=f"{scenario} (parent)"), sc)
        click.echo(f"changes against its parent ({len(lines)}):" if lines else "no change against its parent")
        for line in lines:
            click.echo(f"  {line}")


@main.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.option("--replications", "-r", default=100, show_default=True, type=click.IntRange(min=1), help="Monte Carlo replications.")
@click.option("--seed", "-s", default=0, show_default=True, type=click.IntRange(min=0), help="Root seed (0 is a seed like any other).")
@out_option("results/<scenario name>; results/<name>-<file name> for a file named otherwise, such as a calibrated scenario")
@size_options
@click.option("--workers", "-w", default=1, show_default=True, type=click.IntRange(min=0), help="Processes for the replications and the figures (0: every core). Never changes a number.")
@click.option("--plots/--no-plots", default=True, show_default=True, help="Draw the figures.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True, help="Figure labels.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar or table.")
@click.option("--firms", is_flag=True, help="Also write the firm panel (firms.parquet: one row per firm and year).")
@click.option("--until", type=int, default=None, metavar="YEAR",
              help="Run past the scenario's end year to YEAR; schedules continue by their stated rule (simulation.forecast.horizon).")
@click.option("--named-lists", is_flag=True,
              help="With --until: national lists past the plan take the sizes named later (calibration/data/national.csv), "
                   "as the back-test does, instead of holding the plan's last.")
def run(scenario: Path, replications: int, seed: int, out: Path | None, workers: int, plots: bool, lang: str, quiet: bool,
        overwrite: bool, firms: bool, until: int | None, named_lists: bool) -> None:
    """Run SCENARIO R times; write indicators, target attainment, manifest and figures to OUT."""
    from ..experiments.replicate import run_replications
    from ..io import prepare_out_folder
    from ..loader import load_scenario
    from ..results import write_run

    sc = load_scenario(scenario)
    if named_lists and until is None:
        raise InputError("--named-lists needs --until: within the plan's years its own lists apply", field="--named-lists")
    if until is not None:
        from ..forecast.rolling import carried

        sc = carried(sc, until, named_lists=named_lists, file=str(scenario))
    limits.check_size(replications, limits.MAX_RUNS, limits.BYTES_PER_RUN, "replications", field="--replications")
    out = out or default_out(scenario, sc.name)
    # checked now, cleared (checked again) once the new results are in hand: an interrupted rerun keeps the old
    prepare_out_folder(out, "run", overwrite=overwrite, scenario_file=scenario, clear=False)
    result = run_replications(sc, replications, seed, workers=workers, progress=not quiet, firms=firms)
    prepare_out_folder(out, "run", overwrite=overwrite, scenario_file=scenario)
    write_run(result, out, scenario_file=str(scenario))  # the firm panel too, when asked for
    if plots:
        from ..plots.figures import draw_run

        draw_run(result, out, lang=lang, workers=workers)
    if not quiet:
        from ..targets import cap_cited

        click.echo(format_targets(result.targets, cap_cited=cap_cited(result.scenario)))
        click.echo(f"\n{replications} replications in {result.wall_time:.1f} s → {out}")


def format_targets(targets, *, cap_cited: bool = False) -> str:
    """The target table as text: one line per target, probability first (CJK-aware columns).
    ``cap_cited``: whether the 能耗双控 cap is cited (else an assumption), for the rationing note."""
    lines = [f"{'P(met)':>7} {'95% CI':>9}  {'year':>4}  {_pad('target', 34)} {'goal':>10} {'median':>10} {'10%–90%':>21}"]
    for t in targets.itertuples():
        goal = f"{t.op}{t.target:g}" if t.target == t.target else ""
        name = _pad(str(t.name), 34)
        if not t.modelled:
            lines.append(f"{'—':>7} {'':>9}  {t.year:>4}  {name} {goal:>10}   not modelled: {t.reason}")
        else:
            ci = f"{t.p_met_lo * 100:.0f}–{t.p_met_hi * 100:.0f}%" if hasattr(t, "p_met_lo") else ""
            line = f"{t.p_met:>7.0%} {ci:>9}  {t.year:>4}  {name} {goal:>10} {t.median:>10.4g} {t.p10:>10.4g}–{t.p90:<10.4g}"
            lines.append(line + _fixed_note(t) + _rationed_note(t))
    lines.append("P(met): share of replications meeting the target; 95% CI: Wilson score interval (Monte Carlo error).")
    if "fixed" in targets and targets["fixed"].eq(True).any():
        lines.append("same in every replication: the target is met or missed by an input, not by chance.")
    if any(_rationed_note(t) for t in targets.itertuples()):
        basis = "cited" if cap_cited else "an assumption"
        lines.append(f"有序用电 in N% of runs: the 能耗双控 cap ({basis}) cut output by the target's year in that "
                     "share of replications (by at least 0.5% of the year's energy use), so P(met) reads the cap; "
                     "`upgrade-sim explain SCENARIO --lever levers.energy.cap --scale 100` gives P(met) with it lifted.")
    return "\n".join(lines)


def _rationed_note(target) -> str:
    """Where the energy cap rationed output in most replications, say in how many."""
    from ..targets import mostly_rationed

    return f"  有序用电 in {target.rationed:.0%} of runs" if mostly_rationed(target) else ""


def _fixed_note(target) -> str:
    """Where the target's measure was the same in every replication, say so and name the input that set it."""
    from ..targets import marked_fixed

    if not marked_fixed(target):
        return ""
    by = getattr(target, "fixed_by", None)
    return "  same in every replication" + (f": set by {by}" if isinstance(by, str) and by else "")


def _pad(text: str, width: int) -> str:
    """Left-justify counting wide (CJK) characters as two columns."""
    shown = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(width - shown, 0)
