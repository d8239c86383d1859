"""The actors, their action dimensions and the options of each dimension.

Every option has an *intensity* on a 0–1 scale (China's stance on −1…+1). Intensities
define the units the payoff weights are expressed in — "large" purchases are the unit
of munitions, "strategic" transfers the unit of technology — so they are part of the
model's vocabulary, not tunable parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cache, cached_property

import numpy as np


class Actor(StrEnum):
    """The four state actors, in the fixed order used everywhere (tables, arrays)."""

    RUSSIA = "russia"
    NORTH_KOREA = "north_korea"
    UNITED_STATES = "united_states"
    CHINA = "china"


@dataclass(frozen=True)
class Dimension:
    """One action dimension of one actor: its options and their intensities, and ``rest``,
    the index of the option that does nothing (what a side falls back on when a course
    stops paying: no trade, enforcing the regime, the status quo, neutrality)."""

    actor: Actor
    name: str
    options: tuple[str, ...]
    intensity: tuple[float, ...]
    label: str
    rest: int = 0

    @cached_property
    def key(self) -> str:
        """Column name in result tables, e.g. ``russia.sanctions``."""
        return f"{self.actor.value}.{self.name}"

    @cached_property
    def size(self) -> int:
        return len(self.options)

    def index(self, option: str) -> int:
        """Index of ``option``; ``ValueError`` naming the allowed options otherwise."""
        try:
            return self.options.index(option)
        except ValueError:
            allowed = ", ".join(self.options)
            raise ValueError(
                f"unknown option {option!r} for {self.key}; allowed: {allowed}") from None

    def values(self) -> np.ndarray:
        return np.asarray(self.intensity, dtype=float)


DIMENSIONS: tuple[Dimension, ...] = (
    Dimension(Actor.RUSSIA, "arms", ("none", "limited", "large"), (0.0, 0.5, 1.0),
              "Russia — munitions purchases"),
    Dimension(Actor.RUSSIA, "aid", ("none", "food"), (0.0, 1.0),
              "Russia — food and energy aid"),
    Dimension(Actor.RUSSIA, "tech", ("none", "dual_use", "strategic"), (0.0, 0.4, 1.0),
              "Russia — technology transfer"),
    Dimension(Actor.RUSSIA, "sanctions", ("enforce", "evade"), (0.0, 1.0),
              "Russia — stance on UN sanctions"),
    Dimension(Actor.NORTH_KOREA, "munitions", ("withhold", "limited", "large"), (0.0, 0.5, 1.0),
              "North Korea — munitions supply"),
    Dimension(Actor.UNITED_STATES, "pressure",
              ("status_quo", "secondary_sanctions", "coalition_enforcement"), (0.0, 0.5, 1.0),
              "United States — pressure"),
    Dimension(Actor.CHINA, "stance", ("restrain", "neutral", "enable"), (-1.0, 0.0, 1.0),
              "China — stance toward the pair", rest=1),
)

#: The escalation module's dimensions (``escalation = true`` in a scenario; off in the
#: article's world): what the alliance became past the article. Decided each month after
#: the exchange above (``model.kernels.escalation``). A labour deployment is a smaller,
#: safer commitment than a combat one; a combat deployment of about 10,000 soldiers (R28)
#: is the unit of manpower, strategic help the unit of military technology.
ESCALATION_DIMENSIONS: tuple[Dimension, ...] = (
    Dimension(Actor.NORTH_KOREA, "manpower", ("none", "labour", "combat"), (0.0, 0.3, 1.0),
              "North Korea — soldiers and workers sent to Russia"),
    Dimension(Actor.RUSSIA, "mil_tech", ("none", "conventional", "strategic"), (0.0, 0.5, 1.0),
              "Russia — military technology (air defence, EW; submarine, missile help)"),
)

DIMENSION_BY_KEY: dict[str, Dimension] = {d.key: d for d in (*DIMENSIONS,
                                                             *ESCALATION_DIMENSIONS)}
ACTION_COLUMNS: tuple[str, ...] = tuple(d.key for d in DIMENSIONS)
ESCALATION_COLUMNS: tuple[str, ...] = tuple(d.key for d in ESCALATION_DIMENSIONS)


def action_columns(escalation: bool = False) -> tuple[str, ...]:
    """The option columns of a result table: the exchange's, and the escalation module's
    when it is on."""
    return ACTION_COLUMNS + ESCALATION_COLUMNS if escalation else ACTION_COLUMNS


@cache
def dimensions_of(actor: Actor | str) -> tuple[Dimension, ...]:
    """The action dimensions of one actor, in table order."""
    actor = Actor(actor)
    return tuple(d for d in DIMENSIONS if d.actor is actor)


@cache
def escalation_dimensions_of(actor: Actor | str) -> tuple[Dimension, ...]:
    """The escalation module's dimensions of one actor (none for the US and China)."""
    actor = Actor(actor)
    return tuple(d for d in ESCALATION_DIMENSIONS if d.actor is actor)


#: Option indices of China's stance that the payoffs and the dynamics single out.
CHINA_RESTRAINS = DIMENSION_BY_KEY["china.stance"].index("restrain")
CHINA_ENABLES = DIMENSION_BY_KEY["china.stance"].index("enable")
