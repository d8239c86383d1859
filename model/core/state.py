"""The state variables of a run: names, readable labels, units and ranges, and the
alliance levels. Declared once here; kernels, summaries and plots derive from it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

UNIT_INDEX = "index, 0–1"


class AllianceLevel(IntEnum):
    """The ladder of the alliance, as stored in the ``alliance_level`` column."""

    DISTANT = 0
    DIPLOMATIC = 1
    ARMS_TRADE = 2
    TECH_TRANSFER = 3
    TREATY = 4

    @property
    def label(self) -> str:
        """Lower-case name as shown in tables and legends, e.g. ``arms_trade``."""
        return self.name.lower()


@dataclass(frozen=True)
class StateVariable:
    """One column of the state: what it means, its unit and the range it stays in."""

    name: str
    label: str
    unit: str = UNIT_INDEX
    low: float = 0.0
    high: float = 1.0


STATE_VARIABLES: tuple[StateVariable, ...] = (
    StateVariable("alliance_strength", "Alliance strength"),
    StateVariable("alliance_level", "Alliance level", "level 0–4", 0.0,
                  float(max(AllianceLevel))),
    StateVariable("war_demand", "Russian war demand for munitions"),
    StateVariable("munitions_flow", "Munitions to Russia", "index, 0–1 (1 = large-scale)"),
    StateVariable("aid_flow", "Russian food and energy aid"),
    StateVariable("tech_flow", "Russian technology transfer"),
    StateVariable("nk_food_gap", "North Korean food gap"),
    StateVariable("nk_tech_level", "North Korean tech level"),
    StateVariable("sanctions_integrity", "UN sanctions integrity"),
    StateVariable("russia_circumvention", "Russian circumvention skill"),
    StateVariable("russia_reputation", "Russian reputation"),
    StateVariable("isolation_russia", "Isolation of Russia"),
    StateVariable("isolation_north_korea", "Isolation of North Korea"),
    StateVariable("treaty_talks", "Treaty talks: diplomatic steps taken", "steps", 0.0, 12.0),
    StateVariable("treaty_doubt", "Months a side has valued the treaty below its exit cost",
                  "months", 0.0, 600.0),
    # under pressure every month it tends to 1 / designation_reroute (≤ 10 in the
    # explored range)
    StateVariable("us_designations", "Bite of US designation rounds (decays as networks "
                  "re-route)", "rounds", 0.0, 10.0),
    StateVariable("coalition", "Enforcement coalition built"),
)

#: The escalation module's state (``escalation = true``; absent from the article's world).
ESCALATION_VARIABLES: tuple[StateVariable, ...] = (
    StateVariable("russia_territory_attacked", "Russian territory under attack (lever)"),
    StateVariable("troops_deployed", "North Korean troops in Russia",
                  "index, 0–1 (1 = a combat deployment of about 10,000)"),
    StateVariable("troops_in_combat", "Share of the deployment in combat"),
    StateVariable("troop_losses", "North Korean losses since the first deployment",
                  "deployments (1 = about 10,000)", 0.0, 100.0),
    StateVariable("combat_experience", "North Korean combat experience"),
    StateVariable("mil_tech_flow", "Russian military technology to North Korea"),
    StateVariable("treaty_in_force", "Treaty in force (ratified)", "0 or 1"),
    StateVariable("treaty_age", "Months since the treaty was signed", "months", 0.0, 600.0),
)

STATE_COLUMNS: tuple[str, ...] = tuple(v.name for v in STATE_VARIABLES)
ESCALATION_STATE_COLUMNS: tuple[str, ...] = tuple(v.name for v in ESCALATION_VARIABLES)
STATE_BY_NAME: dict[str, StateVariable] = {v.name: v for v in (*STATE_VARIABLES,
                                                               *ESCALATION_VARIABLES)}


def state_columns(escalation: bool = False) -> tuple[str, ...]:
    """The state columns of a result table: the article's, and the escalation module's
    when it is on."""
    return STATE_COLUMNS + ESCALATION_STATE_COLUMNS if escalation else STATE_COLUMNS
