"""The options actors play at month 0 (``[posture]``) and the option schedules of an actor's
``action`` (``[[month, option or "free"], ...]``), checked against each actor's dimensions
(``model.core.actions``); the scenario schema (``model.core.schema``) uses these checks.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, field_validator

from .actions import Actor, dimensions_of

#: In an option schedule, the months where the actor's rule decides.
FREE = "free"


def option_schedule(dims, name: str, value: list) -> list[tuple[int, str]]:
    """An option schedule ``[[month, option or "free"], ...]``: from each listed month on
    the dimension plays that option (``"free"``: its rule decides), before the first
    listed month its rule decides."""
    names = [d.name for d in dims]
    if name not in names:
        raise ValueError(f"unknown dimension {name!r}; allowed: {', '.join(names)}")
    dim = dims[names.index(name)]
    allowed = ", ".join((*dim.options, FREE))
    shape = f"allowed: [[month, option], ...] with months increasing and options {allowed}"
    if not value:
        raise ValueError(f"schedule for {name!r} is empty; {shape}")
    out = []
    for entry in value:
        if (not isinstance(entry, list | tuple) or len(entry) != 2 or isinstance(entry[0], bool)
                or not isinstance(entry[0], int) or entry[0] < 0):
            raise ValueError(f"schedule entry {entry!r} for {name!r} is not [month, option]; "
                             f"{shape}")
        if entry[1] != FREE and entry[1] not in dim.options:
            raise ValueError(f"unknown option {entry[1]!r} for {name!r} in its schedule; "
                             f"{shape}")
        out.append((int(entry[0]), str(entry[1])))
    months = [m for m, _ in out]
    if any(b <= a for a, b in zip(months, months[1:])):
        raise ValueError(f"schedule for {name!r} has months out of order or repeated "
                         f"(got {value!r}); {shape}")
    return out


def check_posture(dims, options: dict[str, str], partial: bool = False) -> dict[str, str]:
    """Every key a dimension of the actor, every value one of its options.

    ``partial`` allows leaving dimensions out (an ``action`` that pins only some of
    Russia's dimensions while its rule decides the rest).
    """
    if not isinstance(options, dict):
        raise ValueError(f"expected a table of dimension = option, got {options!r}")
    names = [d.name for d in dims]
    for key in options:
        if key not in names:
            raise ValueError(f"unknown dimension {key!r}; allowed: {', '.join(names)}")
    for dim in dims:
        if dim.name not in options:
            if partial:
                continue
            raise ValueError(f"missing dimension {dim.name!r} (options: {', '.join(dim.options)})")
        dim.index(options[dim.name])
    return dict(options)


class Posture(BaseModel):
    """Options being played at month 0, before the first move."""

    model_config = ConfigDict(extra="forbid")
    russia: dict[str, str]
    north_korea: dict[str, str]
    united_states: dict[str, str]
    china: dict[str, str]

    @field_validator("russia", "north_korea", "united_states", "china")
    @classmethod
    def _valid(cls, options: dict[str, str], info) -> dict[str, str]:
        return check_posture(dimensions_of(Actor(info.field_name)), options)
