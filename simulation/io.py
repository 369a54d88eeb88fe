"""Writing results atomically: a reader sees the old file or the new one, never half of one.

Each writer fills a temporary file in the target's folder, flushes it to disk and renames it over
the target (``os.replace`` is atomic on one filesystem).
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from .errors import InputError
from .limits import LAST_YEAR

try:
    import fcntl
except ImportError:  # not on POSIX: stores are not locked
    fcntl = None  # type: ignore[assignment]

DEPENDENCIES = ("simpy", "numpy", "scipy", "pandas", "matplotlib", "pyyaml", "pydantic", "pyarrow", "SALib", "dask")


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success it replaces ``path`` in one step."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; results are meant to be shared
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text(path: str | Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(path: str | Path, data: Any) -> None:
    write_text(path, json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def write_parquet(path: str | Path, frame: pd.DataFrame) -> None:
    with atomic_path(path) as tmp:
        frame.to_parquet(tmp, index=False)


def write_csv(path: str | Path, frame: pd.DataFrame) -> None:
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False, encoding="utf-8")


def versions() -> dict[str, str]:
    """Python, this package and its main dependencies, for manifests."""
    found = {"python": platform.python_version()}
    for name in ("upgrade-sim",) + DEPENDENCIES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def ensure_out_folder(path: str | Path, kind: str, *, fingerprint: str | None = None) -> None:
    """Refuse an output folder that is a file, or that holds results of another kind (or spec).

    ``kind`` is the manifest's ``kind`` the command writes (``run``, ``sweep``, ``sensitivity``…;
    a stored kind matches when it starts with it, as ``sensitivity-sobol`` does). With
    ``fingerprint``, a folder of the same kind written from another spec is refused too.
    Nothing is written: results already there are never overwritten by a different job.
    """
    if not str(path).strip():
        raise InputError("is empty; give an output folder", field="--out")
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise InputError("exists and is not a folder", file=str(path), field="--out")
    manifest = path / "manifest.json"
    if not manifest.is_file():
        return
    try:
        held = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return  # an unreadable manifest is the writer's to replace
    if not isinstance(held, dict):
        return
    other = str(held.get("kind", ""))
    if other and not other.startswith(kind):
        raise InputError(f"holds {other} results; choose another folder rather than mix {kind} results into it",
                         file=str(path), field="--out")
    if fingerprint is not None and held.get("fingerprint") not in (None, fingerprint):
        raise InputError(f"holds a {kind} of a different spec, scenario or model code; choose another folder "
                         "(or delete this one)",
                         file=str(path), field="--out")


# files a results folder may hold besides its own: clearing a folder with these is refused
_NOT_RESULTS = (".git", "pyproject.toml", "setup.py", "scenarios")


def prepare_out_folder(path: str | Path | None, kind: str, *, overwrite: bool = False,
                       scenario_file: str | Path | Sequence[str | Path] | None = None, clear: bool = True) -> Path:
    """An empty output folder for a one-shot command (``run``, ``compare``): never mixed with old files.

    A folder holding anything is refused unless ``overwrite``, which first clears it; a folder
    that does not look like results (no ``manifest.json``, or a project's files) is never cleared.
    Running a scenario file again replaces its own results: a folder holding an earlier ``kind``
    result of the same ``scenario_file`` (for ``compare``, the same files in the same order), and
    nothing else, is cleared and reused. Results of another
    file (a variant or a calibrated scenario under the same name) and files the tool did not write
    there are kept, and the folder refused. An empty name is refused (it would mean the working folder).
    ``clear=False``: check only; call again once the new results are ready to be written, to check
    the folder again and clear it (an interrupted rerun then keeps the old results).
    """
    if path is None or not str(path).strip():
        raise InputError("is empty; give an output folder", field="--out")
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise InputError("exists and is not a folder", file=str(path), field="--out")
    _check_clearable(path)  # first: a folder --overwrite would not clear either is named as such, not sent to it
    if path.is_dir() and any(not is_ours(child.name) for child in path.iterdir()) and not overwrite:
        ensure_out_folder(path, kind)
        why = _not_a_rerun(path, kind, scenario_file)
        if why is not None:
            raise InputError(f"{why}; choose another folder, or pass --overwrite to clear it first",
                             file=str(path), field="--out")
    if clear:
        clear_folder(path)
    return path


# what a run writes into its folder, and what plot, report and excel add to it
_RESULT_ENTRIES = frozenset({"indicators.parquet", "flows.parquet", "targets.csv", "scenario.yaml", "manifest.json",
                             "firms.parquet", "figures", "report.html", "report.pdf", "excel",
                             "compare_targets.csv", "compare_indicators.parquet", "runs"})


def _not_a_rerun(path: Path, kind: str, scenario_file: str | Path | Sequence[str | Path] | None) -> str | None:
    """Why clearing ``path`` unasked would lose something (None: it holds only this command's own
    earlier ``kind`` result of ``scenario_file``)."""
    held = _manifest(path)
    if held is None or held.get("kind") != kind:
        what = _held_kind(held)
        return f"holds {what} results" if what else "is not empty"
    stored = _held_files(held)
    given = [scenario_file] if isinstance(scenario_file, (str, Path)) else list(scenario_file or [])
    if not given or [Path(f).resolve() for f in given] != [Path(f).resolve() for f in stored]:
        as_given = held.get("scenario_file")  # the path as the user gave it, for the message
        files = as_given if isinstance(as_given, str) else ", ".join(stored) or held.get("scenario") or "not recorded"
        return f"holds {kind} results of {'another scenario file' if len(stored) <= 1 else 'other scenario files'} ({files})"
    others = sorted(child.name for child in path.iterdir() if child.name not in _RESULT_ENTRIES and not is_ours(child.name))
    if others:
        return f"holds files {kind} did not write ({', '.join(others[:3])}{', …' if len(others) > 3 else ''})"
    return None


def _held_files(held: dict) -> list[str]:
    """The scenario files a manifest records: its file's resolved path (a folder written before that
    was recorded has the path as given), or a comparison's files in order."""
    one = held.get("scenario_path") or held.get("scenario_file")
    if isinstance(one, str):
        return [one]
    files = [s.get("file") for s in held.get("scenarios") or [] if isinstance(s, dict)]
    return [f for f in files if isinstance(f, str)] if all(isinstance(f, str) for f in files) else []


def is_ours(name: str) -> bool:
    """Whether a file name is one of the tool's own leftovers in a results folder: a write cut short
    (``.NAME.XXXX.tmp``, see :func:`atomic_path`) or a store's lock file."""
    return name == LOCK or name.startswith(".") and name.endswith(".tmp")


LOCK = ".lock"  # a store's lock file (see simulation.experiments.store)


def lock_folder(folder: Path) -> IO[bytes] | None:
    """``folder``'s lock file, opened and locked exclusively (the lock holds while it is open), or None
    where locks do not exist (not POSIX). BlockingIOError: another process holds it; another
    OSError: the filesystem cannot lock."""
    if fcntl is None:
        return None
    handle = open(folder / LOCK, "ab")  # noqa: SIM115  # the caller keeps it open as long as it needs the lock
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise
    return handle


def in_use(folder: Path) -> bool:
    """Whether another process holds ``folder``'s store lock (a sweep or sensitivity writing it)."""
    if not (folder / LOCK).is_file():
        return False
    try:
        handle = lock_folder(folder)
    except BlockingIOError:
        return True
    except OSError:  # a filesystem that cannot lock: nobody holds it
        return False
    if handle is not None:
        handle.close()
    return False


WRITING = "writing"  # a run's or comparison's manifest while its files are written (the whole one comes last)


def _check_clearable(path: Path, *, locked: bool = False) -> None:
    """Refuse to clear a folder that is not the tool's results (see :func:`clear_folder`), or a store
    another process is writing (``locked``: the caller holds its lock)."""
    if not path.is_dir():
        return
    held = _manifest(path)
    if (held is None or held.get("kind") not in KINDS) and any(not is_ours(child.name) for child in path.iterdir()):
        raise InputError("holds files but no manifest.json of this tool's results: not a results folder, so it is "
                         "not cleared (choose another folder)", file=str(path), field="--out")
    if not locked and in_use(path):
        raise InputError("is being written by another process; wait for it to finish, or choose another folder",
                         file=str(path), field="--out")
    if any((path / name).exists() for name in _NOT_RESULTS) or path.resolve() in (Path.home().resolve(), Path("/")):
        raise InputError("looks like a project or home folder, not a results folder; not clearing it",
                         file=str(path), field="--out")


def clear_folder(path: str | Path, *, locked: bool = False) -> None:
    """Delete everything inside a results folder (the folder stays; so does a store's lock, which
    its holder keeps using); refuse anything else, or a store another process is writing
    (``locked``: the caller holds its lock). A folder without a manifest is cleared only if it
    holds nothing but the tool's own leftovers (:func:`is_ours`)."""
    path = Path(path)
    if not path.is_dir():
        return
    _check_clearable(path, locked=locked)
    for child in path.iterdir():
        if child.name == LOCK:
            continue
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


def _manifest(path: Path) -> dict | None:
    """A folder's manifest, if it has a readable one."""
    try:
        held = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return held if isinstance(held, dict) else None


def _held_kind(held: dict | None) -> str | None:
    """"kind (scenario)" of a folder's manifest, for a message."""
    if held is None:
        return None
    name = held.get("scenario_name") or held.get("scenario") or held.get("name")
    kind = held.get("kind")
    return f"{kind} ({name})" if kind and isinstance(name, str) else (str(kind) if kind else None)


# the kinds of results folder the tool writes (a manifest's ``kind``)
KINDS = ("run", "compare", "explain", "sweep", "sensitivity-sobol", "sensitivity-morris", "calibrate")

# keys a reader of each kind of folder relies on
_MANIFEST_KEYS = {
    "run": ("scenario", "seed", "replications"),
    "sweep": ("spec_hash", "seed", "points", "replications"),
    "sensitivity": ("spec_hash", "seed", "points", "replications"),
}


def check_results_folder(folder: str | Path, *, require_manifest: bool = True) -> dict | None:
    """The manifest of a results folder, after checking the folder is whole.

    A folder whose manifest is unreadable or lacks a key its readers need, whose parquet files
    are truncated, or whose ``scenario.yaml`` does not load, is named as damaged (one line).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError("not found, or not a folder", file=str(folder))
    path = folder / "manifest.json"
    if not path.is_file():
        if not require_manifest:
            return None
        raise InputError("no manifest.json: not a results folder (or not finished)", file=str(folder))
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        raise InputError("damaged results folder: manifest.json is not readable JSON", file=str(folder)) from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("kind"), str):
        raise InputError("damaged results folder: manifest.json has no kind", file=str(folder))
    if manifest.get("status") == WRITING:
        raise InputError("was cut short while its files were written; run the same command again (it replaces them)",
                         file=str(folder))
    if manifest["kind"] not in KINDS:
        raise InputError(f"unknown result kind {manifest['kind']!r} (this version writes {', '.join(KINDS)})",
                         file=str(path), field="kind")
    kind = manifest["kind"].split("-")[0]
    missing = [k for k in _MANIFEST_KEYS.get(kind, ()) if k not in manifest]
    if missing and manifest.get("status") != "running":
        raise InputError(f"damaged results folder: manifest.json has no {', '.join(missing)}", file=str(folder))
    for part in sorted(folder.rglob("*.parquet")):
        if not part.name.startswith(".") and not parquet_is_whole(part):
            raise InputError(f"damaged results folder: {part.relative_to(folder)} is truncated or not parquet",
                             file=str(folder))
    if manifest.get("status") != "running":
        _check_tables(folder, kind, manifest)
    if (folder / "scenario.yaml").is_file():
        from .loader import read_yaml, validate

        try:
            validate(read_yaml(folder / "scenario.yaml"), file=str(folder / "scenario.yaml"))
        except InputError as exc:
            raise InputError(f"damaged results folder: scenario.yaml does not load ({exc})", file=str(folder)) from None
    return manifest


# the tables each kind of folder is read through: the columns their readers index (a folder written
# by another version of the tool, or edited by hand, may lack them), and whether the table must be there
_TABLES: dict[str, dict[str, tuple[tuple[str, ...], bool]]] = {
    "run": {"scenario.yaml": ((), True),
            "indicators.parquet": (("replication", "year", "indicator", "value"), True),
            "flows.parquet": (("replication", "year", "source", "target", "count"), True),
            "targets.csv": (("indicator", "year", "op", "target", "p_met", "median", "p10", "p90", "modelled"), True)},
    "compare": {"compare_targets.csv": (("indicator", "year", "op", "target", "scenario", "p_met"), True),
                "compare_indicators.parquet": (("indicator", "year", "scenario", "median", "p10", "p90"), True)},
    "sweep": {"design.parquet": (("point",), True),
              "attainment.parquet": (("point", "target", "indicator", "year", "p_met", "median", "p10", "p90"), False)},
}
_TABLES["sensitivity"] = {"design.parquet": _TABLES["sweep"]["design.parquet"]}


def _check_tables(folder: Path, kind: str, manifest: dict) -> None:
    """Refuse a finished folder whose tables lack a column their readers index (or a table they
    need): a folder of another version, or edited by hand, named as such rather than failing
    somewhere inside a figure. A design also holds a column per factor its spec names."""
    for name, (columns, required) in _TABLES.get(kind, {}).items():
        path = folder / name
        if not path.is_file():
            if required:
                raise InputError(f"damaged results folder: {name} is missing", file=str(folder))
            continue
        wanted = list(columns)  # none: the file need only be there
        if name == "design.parquet":
            spec = manifest.get("spec")
            factors = spec.get("factors") if isinstance(spec, dict) else None
            wanted += [f["name"] for f in factors or [] if isinstance(f, dict) and isinstance(f.get("name"), str)]
        held = _columns(path) if wanted else []
        missing = [c for c in wanted if c not in held]
        if missing:
            raise InputError(f"damaged results folder (or written by another version): {name} has no column "
                             f"{', '.join(missing)}", file=str(folder))


def _columns(path: Path) -> list[str]:
    """A table's column names, read from its header (CSV) or schema (parquet) only."""
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        return list(pq.read_schema(path).names)
    try:
        return list(pd.read_csv(path, nrows=0).columns)
    except (ValueError, UnicodeDecodeError):  # pandas' ParserError and EmptyDataError are ValueErrors
        raise InputError(f"damaged results folder: {path.name} does not read as CSV", file=str(path.parent)) from None


def check_derived_folder(out: str | Path, results: str | Path) -> Path:
    """Refuse an output folder for files derived from the results folder ``results`` (Excel copies,
    a discovery) that would write into other results: ``results`` itself or a folder holding it,
    a folder inside another results folder (one with a manifest), a file, or a path under a file.
    Inside ``results`` (its default place) is fine. Nothing is written."""
    if not str(out).strip():
        raise InputError("is empty; give an output folder", field="--out")
    out, results = Path(out), Path(results).resolve()
    if out.exists() and not out.is_dir():
        raise InputError("exists and is not a folder", file=str(out), field="--out")
    refuse_under_a_file(out, "--out")
    resolved = out.resolve()
    if resolved == results or resolved in results.parents:
        raise InputError(f"is {'the results folder' if resolved == results else 'a folder holding the results folder'} "
                         f"{results}; give a folder of its own (or leave --out out)", file=str(out), field="--out")
    for place in (resolved, *resolved.parents):
        if place == results:
            return out
        held = _manifest(place)
        if held is not None and held.get("kind") in KINDS:  # (a manifest.json of something else is not results)
            what = _held_kind(held) or "other"
            raise InputError(f"{'holds' if place == resolved else f'is inside {place}, which holds'} {what} results; "
                             "choose a folder of its own rather than write into them", file=str(out), field="--out")
    return out


def refuse_under_a_file(path: Path, option: str) -> None:
    """Refuse an output path one of whose folders is a file (nothing could be written there)."""
    for place in path.parents:
        if place.exists() and not place.is_dir():
            raise InputError(f"is under {place}, which is a file, not a folder", file=str(path), field=option)


def check_finished(folder: str | Path, manifest: dict | None) -> None:
    """Refuse a sweep or sensitivity store that is not finished: a report or figures of part of its
    runs would read as the whole design."""
    if manifest is not None and manifest.get("status") == "running":
        kind = str(manifest.get("kind", "sweep")).split("-")[0]
        raise InputError(f"holds an unfinished {kind} (interrupted, or still running); run the same {kind} command "
                         "again to finish it (finished runs are kept)", file=str(folder))


def parquet_is_whole(path: str | Path) -> bool:
    """Whether ``path`` is a complete parquet file (its footer reads; a zero-byte file is not)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        if Path(path).stat().st_size == 0:
            return False
        pq.read_metadata(path)
        return True
    except (OSError, pa.ArrowException):  # a torn footer (ArrowInvalid) or an unreadable file
        return False


YEARS = (1949, LAST_YEAR)  # the years an observed series may name


def read_numeric_table(path: str | Path, columns) -> pd.DataFrame:
    """A CSV of observed data with the given ``columns``, its ``year`` whole and ``value`` finite;
    anything else is one :class:`InputError` naming the file, the column and the line."""
    try:
        frame = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(f"not a readable CSV table ({str(exc).strip().splitlines()[0]})", file=str(path)) from None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}", file=str(path))
    for column in ("year", "value"):
        numbers = pd.to_numeric(frame[column], errors="coerce")
        bad = ~np.isfinite(numbers)
        if bad.any():
            row = int(bad.idxmax())
            raw = frame[column].iloc[row]
            what = "is empty" if pd.isna(raw) else f"{raw!r} is not a number" if isinstance(raw, str) else f"{raw} is not a finite number"
            raise InputError(f"{what} (line {row + 2})", file=str(path), field=column)
        if column == "year":  # a calendar year, whole (a fraction or a stray digit is a typo, never rounded)
            bad = (numbers != np.round(numbers)) | (numbers < YEARS[0]) | (numbers > YEARS[1])
            if bad.any():
                row = int(bad.idxmax())
                raise InputError(f"{frame[column].iloc[row]} is not a year from {YEARS[0]} to {YEARS[1]} (line {row + 2})",
                                 file=str(path), field=column)
        frame[column] = numbers.astype(int) if column == "year" else numbers.astype(float)
    return frame
