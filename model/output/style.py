"""The look shared by every figure: resolution and colours by actor."""

from __future__ import annotations

from ..core.actions import Actor

#: Resolution of every saved figure, dots per inch.
DPI = 120

#: actor -> sequential colormap; darker shades are the more escalatory options.
ACTOR_COLORMAPS: dict[Actor, str] = {
    Actor.RUSSIA: "Reds",
    Actor.NORTH_KOREA: "Purples",
    Actor.UNITED_STATES: "Blues",
    Actor.CHINA: "Greens",
}
