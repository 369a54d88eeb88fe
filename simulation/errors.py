"""Errors a user can act on: bad input is refused with one message, never a traceback."""


class InputError(Exception):
    """A user-supplied file or value is wrong.

    The message names the file and the field path, so the CLI can print it as
    one line and exit with code 2.
    """

    def __init__(self, message: str, *, file: str | None = None, field: str | None = None):
        self.file = file
        self.field = field
        where = ": ".join(part for part in (file, field) if part)
        super().__init__(f"{where}: {message}" if where else message)
