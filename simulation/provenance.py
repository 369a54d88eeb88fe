"""What a manifest records about how its results were made: when, by which command, from which commit."""

from __future__ import annotations

import datetime as dt
import shlex
import subprocess
import sys
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def git_commit(folder: str | Path = PACKAGE_DIR) -> str | None:
    """The commit checked out at ``folder`` (with ``+dirty`` when files differ), or ``None`` outside git."""
    try:
        head = subprocess.run(["git", "-C", str(folder), "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=5, check=True).stdout.strip()
        changed = subprocess.run(["git", "-C", str(folder), "status", "--porcelain", "--untracked-files=no"],
                                 capture_output=True, text=True, timeout=5, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{head}+dirty" if changed else head or None


def command_line(argv: list[str] | None = None) -> str:
    """The command as typed (``upgrade-sim run …``), quoted so it can be pasted back into a shell."""
    argv = list(sys.argv if argv is None else argv)
    if argv and (argv[0].endswith("__main__.py") or Path(argv[0]).name in ("upgrade-sim", "__main__.py")):
        argv[0] = "upgrade-sim"
    elif not argv or argv[0] in ("", "-c", "-m"):  # the Python API from `python -c`, a notebook, a test runner
        argv = [Path(sys.executable).name, *argv]
    return shlex.join(argv)


def timestamp() -> str:
    """Now, in UTC, ISO 8601 to the second."""
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def provenance() -> dict:
    """``git_commit``, ``command`` and ``timestamp`` for a manifest."""
    return {"git_commit": git_commit(), "command": command_line(), "timestamp": timestamp()}
