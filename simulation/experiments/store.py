"""The columnar store of a sweep: a folder of parquet files that pandas, pyarrow and DuckDB read.

Layout::

    DIR/manifest.json                 spec hash, seed, counts, versions, executor, status, wall time
                                      of the last session, failures (count and the first 20)
    DIR/design.parquet                point, <factor>...
    DIR/indicators/chunk-000000.parquet   point, replication, year, indicator, value (one shard per chunk)
    DIR/attainment.parquet            point, target, indicator, year, p_met, median, p10, p90, mean, n
    DIR/failures.parquet              point, replication, seed, error
    DIR/shards/{attainment,failures}/chunk-*.parquet   per-chunk parts of the two tables above

Every file is written atomically (:func:`simulation.io.write_parquet`). A chunk counts as done
when its indicator shard exists, and that shard is written last, so a process killed at any moment
leaves only whole shards; rerunning skips them. ``pd.read_parquet(DIR / "indicators")`` or DuckDB's
``read_parquet('DIR/indicators/*.parquet')`` reads the indicator table.

One process writes a store at a time: an open store holds an exclusive lock on ``DIR/.lock`` until
it is closed (the operating system drops it with a process that dies). A store records the digest
of the model code that began it (:func:`simulation.provenance.model_code`) and is resumed only by
that code: finished runs of two models are never mixed.
"""

from __future__ import annotations

import json
import os
import warnings
import weakref
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from ..errors import InputError
from ..io import clear_folder, ensure_out_folder, is_ours, lock_folder, parquet_is_whole, write_json, write_parquet
from ..provenance import model_code

# what a store writes through atomic_path, as its temporary files are named: a store opened again
# clears these leftovers, and no other writer's (a report or an Excel copy being written beside it)
_OWN_TEMPORARY = tuple(f".{name}.*.tmp" for name in ("manifest.json", "design.parquet", "attainment.parquet",
                                                      "failures.parquet", "indices.csv", "outputs.csv")) \
    + ("indicators/.*.tmp", "shards/*/.*.tmp")

_HELD: weakref.WeakSet[IO[bytes]] = weakref.WeakSet()  # the lock files this process holds open (a store dropped unclosed lets go)


def _let_go_in_child() -> None:
    """In a child forked while a lock is held (a pool's worker): point the lock's descriptor at
    /dev/null. A flock belongs to the open file, which fork shares, so a worker would otherwise hold
    the store locked for as long as it lives (beyond the store's close, with an executor kept open)."""
    for handle in _HELD:
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, handle.fileno())
        os.close(null)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_let_go_in_child)

INDICATOR_COLUMNS = ["point", "replication", "year", "indicator", "value"]
ATTAINMENT_COLUMNS = ["point", "target", "indicator", "year", "p_met", "median", "p10", "p90", "mean", "n", "measure"]
FAILURE_COLUMNS = ["point", "replication", "seed", "error"]
_PARTS = ("attainment", "failures")


class Store:
    """One sweep's folder. ``open`` it for a spec; a folder of another spec is refused."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self._lock: IO[bytes] | None = None

    # --- opening --------------------------------------------------------------------------

    def open(self, digest: str, manifest: dict, design: pd.DataFrame, *, overwrite: bool = False) -> None:
        """Start or resume: lock the folder, check the spec hash and the model code, write a 'running'
        manifest (first: a folder with one is this store's) and the design. ``overwrite``: clear the
        folder first, under the lock. Close the store when done (a refused open is closed here)."""
        kind = manifest["kind"].split("-")[0]
        if not overwrite:  # (what --overwrite clears may be of any kind, as long as it is results)
            ensure_out_folder(self.root, kind)
        self._take_lock(kind)
        try:
            if overwrite:
                clear_folder(self.root, locked=self._lock is not None)
            self._check(digest)
            for pattern in _OWN_TEMPORARY:  # its writes cut short by a process killed before (nobody writes now)
                for child in self.root.glob(pattern):
                    child.unlink()
            write_json(self.root / "manifest.json", {**manifest, "spec_hash": digest, "model_code": model_code(),
                                                     "status": "running"})
            if not (self.root / "design.parquet").exists():
                write_parquet(self.root / "design.parquet", design)
        except BaseException:
            self.close()
            raise

    def _check(self, digest: str) -> None:
        """Refuse a folder holding a store of another spec or model code, or other files."""
        old = self.manifest()
        if old is None:  # a new store, or one whose start was cut short before its first manifest
            if any(not is_ours(child.name) and child.name != "design.parquet" for child in self.root.iterdir()):
                raise InputError("is not empty and holds no sweep manifest; choose a new --out folder", file=str(self.root))
            (self.root / "design.parquet").unlink(missing_ok=True)  # of a start cut short (an earlier version's order)
            return
        if old.get("spec_hash") != digest:
            raise InputError(
                f"holds a sweep of a different spec or scenario (spec hash {old.get('spec_hash', '?')[:12]}…, "
                f"this spec {digest[:12]}…); use a new --out folder, or start over (--overwrite)", file=str(self.root))
        if old.get("model_code") != model_code():
            raise InputError(
                f"was begun by other model code ({old.get('model_code') or 'a version that did not record it'}, this is "
                f"{model_code()}): its finished runs would mix two models; finish it with that version, or start over "
                "(--overwrite)", file=str(self.root))

    def _take_lock(self, kind: str) -> None:
        """Hold ``DIR/.lock`` exclusively, or refuse: another process is writing this store. Where the
        filesystem cannot lock (some network mounts), a warning, and the store goes on unlocked."""
        self.root.mkdir(parents=True, exist_ok=True)
        if self._lock is not None:
            return
        try:
            handle = lock_folder(self.root)  # held open until close()
        except BlockingIOError:
            raise InputError(f"is being written by another process (a {kind} still running?); wait for it to finish, "
                             "or choose another --out folder", file=str(self.root), field="--out") from None
        except OSError as exc:
            warnings.warn(f"{self.root}: cannot lock the store ({exc.strerror or exc}); nothing stops another process "
                          "from writing into it at the same time", stacklevel=2)
            return
        if handle is not None:
            self._lock = handle
            _HELD.add(handle)

    def close(self) -> None:
        """Release the lock (the store stays as it is)."""
        if self._lock is not None:
            _HELD.discard(self._lock)
            self._lock.close()
            self._lock = None

    def manifest(self) -> dict | None:
        path = self.root / "manifest.json"
        if not path.is_file():
            return None
        try:
            held = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError):
            held = None
        if not isinstance(held, dict):
            raise InputError("damaged store: manifest.json is not readable; use --overwrite to start over",
                             file=str(self.root))
        return held

    # --- shards ---------------------------------------------------------------------------

    def shard(self, table: str, chunk: int) -> Path:
        folder = self.root / ("indicators" if table == "indicators" else f"shards/{table}")
        return folder / f"chunk-{chunk:06d}.parquet"

    def done_chunks(self) -> set[int]:
        """Chunks whose indicator shard (always written last) exists and is whole.

        A zero-byte or torn shard (a disk that filled, a copy cut short) is not finished: its chunk
        runs again and the shard is replaced.
        """
        folder = self.root / "indicators"
        if not folder.is_dir():
            return set()
        done = {int(p.stem.split("-")[1]) for p in folder.glob("chunk-*.parquet") if parquet_is_whole(p)}
        return {c for c in done if all(parquet_is_whole(s) for t in _PARTS if (s := self.shard(t, c)).exists())}

    def write_chunk(self, chunk: int, parts: dict[str, pd.DataFrame]) -> None:
        """Write one finished chunk: attainment and failures first, the indicator shard last."""
        for table in _PARTS:
            if table in parts:
                write_parquet(self.shard(table, chunk), parts[table])
        write_parquet(self.shard("indicators", chunk), parts["indicators"])

    def gather(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Gather the attainment and failure shards into their tables (the store is not complete yet)."""
        attainment = self._gather("attainment", ATTAINMENT_COLUMNS, ["point"])
        failures = self._gather("failures", FAILURE_COLUMNS, ["point", "replication"])
        write_parquet(self.root / "attainment.parquet", attainment)
        write_parquet(self.root / "failures.parquet", failures)
        return attainment, failures

    def complete(self, manifest: dict, failures: pd.DataFrame) -> None:
        """Mark the store complete: the last write, after every table of the whole design."""
        listed = failures.head(20).to_dict("records")  # the first few; failures.parquet has all
        write_json(self.root / "manifest.json", {**(self.manifest() or {}), **manifest, "status": "complete",
                                                 "failures": len(failures), "failures_listed": listed})

    def _gather(self, table: str, columns: list[str], order: list[str]) -> pd.DataFrame:
        folder = self.root / "shards" / table
        files = sorted(folder.glob("chunk-*.parquet")) if folder.is_dir() else []
        frames = [f for f in (pd.read_parquet(p) for p in files) if len(f)]
        if not frames:
            return empty(columns)
        return pd.concat(frames, ignore_index=True).sort_values(order, kind="stable").reset_index(drop=True)

    # --- reading --------------------------------------------------------------------------

    def design(self) -> pd.DataFrame:
        return pd.read_parquet(self.root / "design.parquet")

    def attainment(self) -> pd.DataFrame:
        return pd.read_parquet(self.root / "attainment.parquet")

    def failures(self) -> pd.DataFrame:
        return pd.read_parquet(self.root / "failures.parquet")

    def indicators(self, indicators: list[str] | None = None, years: list[int] | None = None) -> pd.DataFrame:
        """The indicator table (optionally only some indicators and years), sorted."""
        filters: list[tuple[str, str, list]] = []
        if indicators is not None:
            filters.append(("indicator", "in", list(indicators)))
        if years is not None:
            filters.append(("year", "in", [int(y) for y in years]))
        folder = self.root / "indicators"
        if not any(folder.glob("chunk-*.parquet")):
            return empty(INDICATOR_COLUMNS)
        frame = pd.read_parquet(folder, filters=filters or None)
        return frame.sort_values(["point", "replication", "year", "indicator"], kind="stable").reset_index(drop=True)


def empty(columns: list[str]) -> pd.DataFrame:
    """An empty table with the store's column types."""
    types = {"point": np.int64, "replication": np.int64, "year": np.int64, "n": np.int64, "value": float,
             "p_met": float, "median": float, "p10": float, "p90": float, "mean": float}
    return pd.DataFrame({c: pd.Series(dtype=types.get(c, "str")) for c in columns})
