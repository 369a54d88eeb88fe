"""Tables of a result folder as CSV for Excel: UTF-8 with a byte-order mark.

Excel guesses a CSV's encoding and, without a byte-order mark, reads UTF-8 Chinese as garbage
(锟斤拷). The tool's own CSVs stay plain UTF-8 (what pandas, R and DuckDB expect); this export
writes marked copies of every CSV and parquet table under ``<folder>/excel/``, keeping the
folder's layout (``indicators/chunk-0.parquet`` → ``excel/indicators/chunk-0.csv``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .errors import InputError
from .io import atomic_path, check_derived_folder, check_finished, check_results_folder

ENCODING = "utf-8-sig"  # UTF-8 with BOM


def export_for_excel(folder: str | Path, out: str | Path, *, max_rows: int = 1_048_575) -> tuple[list[Path], list[tuple[Path, int]]]:
    """Write every table of ``folder`` as a BOM-marked CSV under ``out``; return (written, skipped)."""
    folder, out = Path(folder), Path(out)
    check_finished(folder, check_results_folder(folder))  # a damaged or unfinished folder is named before anything is written
    check_derived_folder(out, folder)  # never into other results (nor into the folder itself)
    tables = [path for path in sorted(folder.rglob("*")) if path.suffix in (".csv", ".parquet")
              and out not in path.parents and not path.name.startswith(".")]
    csvs = {path: _read_csv(path, folder) for path in tables if path.suffix == ".csv"}  # all read before any is written
    written: list[Path] = []
    skipped: list[tuple[Path, int]] = []
    for path in tables:
        frame = csvs[path] if path in csvs else pd.read_parquet(path)
        if len(frame) > max_rows:
            skipped.append((path, len(frame)))
            continue
        target = out / path.relative_to(folder).with_suffix(".csv")
        target.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(target) as tmp:
            frame.to_csv(tmp, index=False, encoding=ENCODING)
        written.append(target)
    return written, skipped


def _read_csv(path: Path, folder: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path)
    except (ValueError, UnicodeDecodeError) as exc:  # pandas' ParserError and EmptyDataError are ValueErrors
        raise InputError(f"damaged results folder: {path.relative_to(folder)} does not read as CSV ({type(exc).__name__})",
                         file=str(folder)) from None
