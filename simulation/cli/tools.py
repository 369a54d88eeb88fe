"""``upgrade-sim schema`` (a JSON Schema for editors) and ``upgrade-sim excel`` (tables for Excel)."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import InputError
from . import main


@main.command()
@click.option("--out", "-o", type=click.Path(path_type=Path), default=Path("scenario.schema.json"), show_default=True,
              help="Where to write the schema ('-': print it).")
def schema(out: Path) -> None:
    """Write a JSON Schema of scenario files (and of variants with extends:) for editors.

    \b
    VS Code (YAML extension): add to a scenario's first line
        # yaml-language-server: $schema=../scenario.schema.json
    or map it in settings.json: "yaml.schemas": {"scenario.schema.json": "scenarios/**/*.yaml"}.
    """
    from .. import io
    from ..schema import schema_text

    text = schema_text()
    if str(out) == "-":
        click.echo(text, nl=False)
        return
    if out.is_dir():
        raise InputError("is a folder; give the schema's file name (say scenario.schema.json)", file=str(out), field="--out")
    io.write_text(out, text)
    click.echo(str(out))


@main.command()
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--out", "-o", type=click.Path(path_type=Path), default=None, help="Folder [default: FOLDER/excel].")
@click.option("--max-rows", default=1_048_575, show_default=True, type=click.IntRange(min=1),
              help="Tables longer than this (Excel's sheet limit) are skipped with a note.")
def excel(folder: Path, out: Path | None, max_rows: int) -> None:
    """Copy every table of a result FOLDER (CSV and parquet) as CSV that Excel opens correctly.

    The tool's own CSVs are UTF-8 without a byte-order mark, which pandas, R and DuckDB read as
    they are but Excel shows as garbled Chinese. These copies carry the mark (UTF-8 with BOM).
    """
    from ..excel import export_for_excel

    out = out or folder / "excel"
    written, skipped = export_for_excel(folder, out, max_rows=max_rows)
    for path in written:
        click.echo(str(path))
    for path, rows in skipped:
        click.echo(f"skipped {path}: {rows:,} rows (more than {max_rows:,}; open it with pandas or DuckDB)", err=True)
