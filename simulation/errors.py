"""Errors a user can act on: bad input is refused with one message, never a traceback."""

import difflib
from collections.abc import Iterable
from typing import Any


class InputError(Exception):
    """A user-supplied file or value is wrong.

    The message names the file and the field path, so the CLI can print it as
    one line and exit with code 2.
    """

    def __init__(self, message: str, *, file: str | None = None, field: str | None = None):
        self.file = file
        self.field = field
        self.reason = message  # the message without the file and field
        where = ": ".join(part for part in (file, field) if part)
        super().__init__(f"{where}: {message}" if where else message)


def nearest(name: str, known: Iterable[Any], n: int = 3) -> str:
    """"; nearest: a, b" naming the closest of ``known`` to a mistyped ``name`` (difflib), or ""."""
    names = [str(k) for k in known if k is not None]
    close = difflib.get_close_matches(str(name), list(dict.fromkeys(names)), n=n, cutoff=0.5)
    return f"; nearest: {', '.join(close)}" if close else ""
