"""Month 0 of a run: the posture as option indices, the initial state and the beliefs."""

from __future__ import annotations

import numpy as np

from ..core.actions import DIMENSIONS, ESCALATION_DIMENSIONS
from ..core.schema import Scenario
from .dynamics import alliance_level, flows, runs_of, with_memory
from .escalation import initial_escalation
from .params import KernelParams


def posture_indices(scenario: Scenario, runs: int = 1) -> dict[str, np.ndarray]:
    """The month-0 posture as option indices ``(runs,)`` by dimension key (with the
    escalation module on, its dimensions at ``none``: no troops, no military technology)."""
    posture = scenario.posture
    indices = {d.key: np.full(runs, d.index(getattr(posture, d.actor.value)[d.name]),
                              dtype=np.int64) for d in DIMENSIONS}
    if scenario.escalation:
        indices.update({d.key: np.zeros(runs, dtype=np.int64) for d in ESCALATION_DIMENSIONS})
    return indices


def initial_state(K: KernelParams, posture: dict[str, np.ndarray],
                  runs: int) -> dict[str, np.ndarray]:
    """Month 0: the scenario's initial values and the flows of the initial posture."""
    ini, lv = K.initial, K.levers
    munitions, aid, tech = flows(posture)
    state = {
        "alliance_strength": runs_of(ini.alliance_strength, runs),
        "war_demand": runs_of(K.war_demand(0), runs),
        "munitions_flow": runs_of(munitions, runs),
        "aid_flow": runs_of(aid, runs),
        "tech_flow": runs_of(tech, runs),
        "nk_food_gap": runs_of(lv.nk_food_crisis, runs),
        "nk_tech_level": runs_of(ini.nk_tech_level, runs),
        "sanctions_integrity": runs_of(ini.sanctions_integrity, runs),
        "russia_circumvention": runs_of(ini.russia_circumvention, runs),
        "russia_reputation": runs_of(ini.russia_reputation, runs),
        "isolation_russia": runs_of(ini.isolation_russia, runs),
        "isolation_north_korea": runs_of(ini.isolation_north_korea, runs),
        "treaty_talks": runs_of(0.0, runs),
        "treaty_doubt": runs_of(0.0, runs),
        "us_designations": runs_of(0.0, runs),
        "coalition": runs_of(0.0, runs),
    }
    state["alliance_level"] = alliance_level(state["alliance_strength"], None, K)
    state = with_memory(state, posture)
    return {**state, **initial_escalation(K, runs)} if K.escalation else state


def initial_beliefs(posture: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Beliefs at month 0: everyone expects the posture to continue."""
    return {d.key: np.eye(d.size)[posture[d.key]] for d in DIMENSIONS}
