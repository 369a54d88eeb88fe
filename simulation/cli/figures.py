"""``upgrade-sim plot`` and ``upgrade-sim report``."""

from __future__ import annotations

from pathlib import Path

import click

from . import main

LANG = click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
                    help="Label language (Chinese needs a CJK font, e.g. Debian's fonts-noto-cjk; else English).")
WORKERS = click.option("--workers", "-w", default=1, show_default=True, type=click.IntRange(min=0),
                       help="Processes drawing the figures of a run, a comparison or a sweep (0: every core). Never changes a file.")


@main.command()
@click.argument("folder", type=click.Path(path_type=Path))
@LANG
@WORKERS
def plot(folder: Path, lang: str, workers: int) -> None:
    """Draw every figure that fits the results in FOLDER (PNG and SVG under FOLDER/figures)."""
    from ..io import check_finished, check_results_folder
    from ..plots.figures import draw

    check_finished(folder, check_results_folder(folder))
    paths = draw(folder, lang=lang, workers=workers)
    for path in paths:
        click.echo(str(path))
    if not paths:
        click.echo(f"no figures for the results in {folder}", err=True)


@main.command()
@click.argument("folder", type=click.Path(path_type=Path))
@LANG
@click.option("--pdf", is_flag=True, help="Also print report.pdf (needs chromium or weasyprint).")
@click.option("--redraw/--no-redraw", default=True, show_default=True, help="Draw the figures afresh, or embed those in FOLDER/figures.")
@WORKERS
def report(folder: Path, lang: str, pdf: bool, redraw: bool, workers: int) -> None:
    """Write FOLDER/report.html: summary, targets, figures, assumptions, sources and provenance in one file."""
    from ..io import check_finished, check_results_folder
    from ..report import write_report

    check_finished(folder, check_results_folder(folder))
    for path in write_report(folder, lang=lang, pdf=pdf, redraw=redraw, workers=workers):
        click.echo(str(path))
