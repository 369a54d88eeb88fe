"""The ``upgrade-sim`` command: a thin layer over the Python API.

Bad input (an :class:`~simulation.errors.InputError`) prints one line naming the file and field
and exits with code 2; it never shows a traceback. Each command group lives in its own module
and registers itself on :data:`main` when imported at the bottom of this file.
"""

from __future__ import annotations

import sys

import click

from ..errors import InputError


class _Group(click.Group):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except InputError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
        except OSError as exc:  # a path the user gave that cannot be read or written (missing, a folder, no access)
            click.echo(f"error: {exc.filename or ''}: {exc.strerror or exc}".removeprefix("error: : "), err=True)
            sys.exit(2)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "terminal_width": 110,
                                           "max_content_width": 110})
@click.version_option(package_name="upgrade-sim")
def main() -> None:
    """Simulate regional industrial upgrading and judge plans against their targets."""


# command modules register themselves on `main`
from . import run as _run  # noqa: E402,F401
from . import figures as _figures  # noqa: E402,F401
from . import experiments as _experiments  # noqa: E402,F401
from . import calibration as _calibration  # noqa: E402,F401
from . import scenarios as _scenarios  # noqa: E402,F401
from . import explain as _explain  # noqa: E402,F401
