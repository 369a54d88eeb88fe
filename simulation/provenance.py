"""What a manifest records about how its results were made: when, by which command, from which commit."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import shlex
import subprocess
import sys
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
# the parts of the package that draw, print or export results and compute none of their numbers
_PRESENTATION = ("cli", "plots", "report.py", "report_sections.py", "excel.py")


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


@functools.cache
def model_code() -> str:
    """A digest of the package's sources but those that only draw, print or export results
    (:data:`_PRESENTATION`): a store or cache begun by other code is not resumed with this code,
    whatever the commit says (an edited checkout, an upgrade in place). Broad on purpose: a source
    left out that did move the numbers would mix two models, one put in costs a rerun. An editor's
    hidden files (``.#model.py``) are not sources."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        relative = path.relative_to(PACKAGE_DIR)
        if relative.parts[0] not in _PRESENTATION and not relative.name.startswith(".") and path.is_file():
            digest.update(relative.as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]
