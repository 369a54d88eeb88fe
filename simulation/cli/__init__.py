"""The ``upgrade-sim`` command: a thin layer over the Python API.

Bad input (an :class:`~simulation.errors.InputError`) prints one line naming the file and field
and exits with code 2; it never shows a traceback. Each command group lives in its own module
and registers itself on :data:`main` when imported at the bottom of this file.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from ..errors import InputError


class Terminated(KeyboardInterrupt):
    """SIGTERM (``kill``, a job scheduler's stop), raised where the command is, as Ctrl-C is."""


def _terminated(signum, frame) -> None:
    raise Terminated


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Within the block SIGTERM raises :class:`Terminated`, so a stopped command cleans up as Ctrl-C
    does (its workers stopped, its store unlocked); the handler before it is back afterwards. Only
    the main thread can take signals: elsewhere, nothing changes."""
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGTERM) is signal.SIG_IGN:
        yield  # (an ignored SIGTERM stays ignored, as a process started with it ignored expects)
        return
    before = signal.signal(signal.SIGTERM, _terminated)
    try:
        yield
    finally:
        if before is not None:  # None: a handler set from C, which Python cannot put back
            signal.signal(signal.SIGTERM, before)


class _Group(click.Group):
    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True, **extra: Any) -> Any:
        """Usage errors (an unknown option, a bad value) as one line and exit code 2, like bad input."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        with _sigterm_as_interrupt():
            return self._main(args, prog_name, complete_var, **extra)

    def _main(self, args, prog_name, complete_var, **extra: Any) -> Any:
        try:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.Abort as exc:
            click.echo("aborted", err=True)
            # 128 + the signal, as a shell reports an interrupted command (Ctrl-C: SIGINT; kill: SIGTERM)
            stopped = exc.__context__
            sys.exit(143 if isinstance(stopped, Terminated) else 130 if isinstance(stopped, KeyboardInterrupt) else 1)
        except click.exceptions.NoArgsIsHelpError as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            hint = " (see --help)" if isinstance(exc, click.UsageError) else ""
            click.echo(f"error: {' '.join(exc.format_message().split())}{hint}", err=True)
            sys.exit(exc.exit_code)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except InputError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
        except OSError as exc:  # a path the user gave that cannot be read or written (missing, a folder, no access)
            click.echo(f"error: {_os_error(exc)}", err=True)
            sys.exit(2)


# what an OSError that carries no strerror (a library's, raised with a path alone) means
_OS_REASONS = {FileNotFoundError: "not found", IsADirectoryError: "is a folder, not a file",
               NotADirectoryError: "a part of the path is not a folder", PermissionError: "permission denied"}


def _os_error(exc: OSError) -> str:
    """One line for an OSError: the path, then why."""
    if exc.strerror is None:  # a library's, raised with a message alone (often only the path)
        reason = _OS_REASONS.get(type(exc))
        return f"{exc}: {reason}" if reason else str(exc) or type(exc).__name__
    if isinstance(exc, FileExistsError) and exc.filename is not None and Path(exc.filename).is_file():
        return f"{exc.filename}: is a file, not a folder"  # a folder was to be made there
    return f"{exc.filename}: {exc.strerror}" if exc.filename is not None else exc.strerror


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "terminal_width": 110,
                                           "max_content_width": 110})
@click.version_option(package_name="upgrade-sim")
@click.option("--allow-path", "allow_paths", multiple=True, type=click.Path(path_type=Path, file_okay=False),
              metavar="DIR", help="A folder outside the scenario's project that extends:, data: and scenario: may name.")
def main(allow_paths: tuple[Path, ...]) -> None:
    """Simulate regional industrial upgrading and judge plans against their targets."""
    from .. import limits, loader

    loader.ALLOWED_ROOTS[:] = list(allow_paths)
    limits.ALLOW_LARGE = False  # commands set it with their own --allow-large


# command modules register themselves on `main`
from . import calibration as _calibration  # noqa: E402,F401
from . import experiments as _experiments  # noqa: E402,F401
from . import explain as _explain  # noqa: E402,F401
from . import facts as _facts  # noqa: E402,F401
from . import figures as _figures  # noqa: E402,F401
from . import pool as _pool  # noqa: E402,F401
from . import run as _run  # noqa: E402,F401
from . import scenarios as _scenarios  # noqa: E402,F401
from . import scope_gap as _scope_gap  # noqa: E402,F401
from . import tools as _tools  # noqa: E402,F401
