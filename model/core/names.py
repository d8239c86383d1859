"""Names that become folder and file names (scenarios, questions, exported scenarios)."""

from __future__ import annotations

import re
from typing import Any

#: A scenario name is a plain identifier: it names the results folder, so it can never
#: be a path (no separators, no dots, nothing hidden). Letters of any script are fine.
NAME_PATTERN = re.compile(r"[^\W_][\w-]{0,79}")
NAME_RULE = ("letters, digits, '_' and '-', starting with a letter or digit, at most 80 "
             "characters")


def check_name(name: Any) -> str:
    """``name`` if it is a plain identifier (see ``NAME_PATTERN``); ``ValueError`` if not."""
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise ValueError(f"not a plain identifier (got {name!r}); allowed: {NAME_RULE}")
    return name


#: Identifiers of observation rules and forecast questions: lower-case snake case.
ENTRY_ID_PATTERN = re.compile(r"[a-z][a-z0-9_]*")


def entry_id(entry: dict, where: str, error: type[Exception], example: str) -> str:
    """The ``id`` of a TOML table (a rule, a forecast); ``error`` naming ``where``, the
    bad value and what is allowed (like ``example``) if it is not a lower-case name."""
    ident = entry.get("id")
    if not isinstance(ident, str) or not ENTRY_ID_PATTERN.fullmatch(ident):
        raise error(f"{where}: key id: got {ident!r}; allowed: a lower-case name such as "
                    f"{example}")
    return ident
