"""The one error type for bad user input, from which every module's own errors derive.

A scenario file, an override, a record row, a command-line flag or an output folder that
cannot be used raises a subclass of :class:`UserError` whose message is one line naming
the file or flag, the key, the bad value and what is allowed. The command line catches
``UserError`` once (``model.cli.main``) and prints that line; anything else is a bug and
keeps its traceback.
"""

from __future__ import annotations


class UserError(ValueError):
    """Bad input from a user; the message is one line meant for users.

    Derives from ``ValueError`` so that callers of the Python API that catch
    ``ValueError`` keep working.
    """
