"""The monthly state transition and the public beliefs, over a leading run axis.

Month m → m+1, given the options every actor chose in month m:

* delivered munitions = min(Russia's purchases, North Korea's supply) × (1 − the share
  interdicted); the interdicted share is random with mean ``interdiction × US pressure``;
* aid eases the food gap, which otherwise returns to its structural level
  (``nk_food_crisis``); technology closes part of North Korea's remaining tech gap;
* Russian evasion and Chinese enabling erode the sanctions regime, US pressure and
  Chinese restraint repair it; evasion (and, less, everyday Western-sanctions evasion and
  cooperation with an enabling China) teaches Russia circumvention;
* visible arms buying costs Russia reputation, which recovers slowly;
* isolation drifts toward a target set by international and US pressure;
* alliance strength grows with cooperation (trade, aid, technology, evasion, shared
  isolation) and decays slowly without it; the alliance level follows strength through
  documented thresholds, and a treaty, once signed, holds until strength falls below
  ``treaty_dissolve``.
"""

from __future__ import annotations

import numpy as np

from ..actions import DIMENSION_BY_KEY, DIMENSIONS
from .params import KernelParams

STATE_COLUMNS: tuple[str, ...] = (
    "alliance_strength", "alliance_level", "war_demand", "munitions_flow", "aid_flow",
    "tech_flow", "nk_food_gap", "nk_tech_level", "sanctions_integrity",
    "russia_circumvention", "russia_reputation", "isolation_russia", "isolation_north_korea",
)
TREATY = 4


def _intensity(key: str, choice: np.ndarray) -> np.ndarray:
    return DIMENSION_BY_KEY[key].values()[choice]


def _runs(value, runs: int) -> np.ndarray:
    return np.array(np.broadcast_to(value, (runs,)), dtype=float)


def alliance_level(strength: np.ndarray, previous: np.ndarray | None,
                   K: KernelParams) -> np.ndarray:
    """0 distant … 3 tech_transfer by threshold; 4 treaty once signed, until it lapses."""
    d = K.dynamics
    level = ((strength >= d.level_diplomatic).astype(np.int64)
             + (strength >= d.level_arms_trade) + (strength >= d.level_tech_transfer))
    treaty = strength >= d.level_treaty
    if previous is not None:
        treaty |= (previous == TREATY) & (strength >= d.treaty_dissolve)
    return np.where(treaty, TREATY, level).astype(np.int64)


def flows(choice: dict[str, np.ndarray], interdicted: np.ndarray | float = 0.0):
    """Munitions delivered, aid and technology for the options chosen."""
    purchases = _intensity("russia.arms", choice["russia.arms"])
    supply = _intensity("north_korea.munitions", choice["north_korea.munitions"])
    munitions = np.minimum(purchases, supply) * (1.0 - interdicted)
    return (munitions, _intensity("russia.aid", choice["russia.aid"]),
            _intensity("russia.tech", choice["russia.tech"]))


def initial_state(K: KernelParams, posture: dict[str, np.ndarray],
                  runs: int) -> dict[str, np.ndarray]:
    """Month 0: the scenario's initial values and the flows of the initial posture."""
    ini, lv = K.initial, K.levers
    munitions, aid, tech = flows(posture)
    state = {
        "alliance_strength": _runs(ini.alliance_strength, runs),
        "war_demand": _runs(K.war_demand(0), runs),
        "munitions_flow": _runs(munitions, runs),
        "aid_flow": _runs(aid, runs),
        "tech_flow": _runs(tech, runs),
        "nk_food_gap": _runs(lv.nk_food_crisis, runs),
        "nk_tech_level": _runs(ini.nk_tech_level, runs),
        "sanctions_integrity": _runs(ini.sanctions_integrity, runs),
        "russia_circumvention": _runs(ini.russia_circumvention, runs),
        "russia_reputation": _runs(ini.russia_reputation, runs),
        "isolation_russia": _runs(ini.isolation_russia, runs),
        "isolation_north_korea": _runs(ini.isolation_north_korea, runs),
    }
    state["alliance_level"] = alliance_level(state["alliance_strength"], None, K)
    return {k: state[k] for k in STATE_COLUMNS}


def advance(state: dict[str, np.ndarray], choice: dict[str, np.ndarray],
            interdiction_draw: np.ndarray, K: KernelParams,
            month: int) -> dict[str, np.ndarray]:
    """The state after ``month`` (≥ 1), given the options chosen in that month.

    ``interdiction_draw`` is one uniform per run; the share of deliveries interdicted is
    ``min(1, 2 u × interdiction × pressure)``, whose mean is ``interdiction × pressure``.
    """
    d, lv = K.dynamics, K.levers
    pressure = _intensity("united_states.pressure", choice["united_states.pressure"])
    evade = _intensity("russia.sanctions", choice["russia.sanctions"])
    stance = _intensity("china.stance", choice["china.stance"])
    enable, restrain = (stance > 0).astype(float), (stance < 0).astype(float)

    interdicted = np.minimum(1.0, 2.0 * interdiction_draw * d.interdiction * pressure)
    munitions, aid, tech = flows(choice, interdicted)

    gap = state["nk_food_gap"]
    gap = np.clip(gap + d.food_reversion * (lv.nk_food_crisis - gap) - d.aid_relief * aid,
                  0.0, 1.0)
    tech_level = state["nk_tech_level"]
    tech_level = tech_level + d.tech_absorption * tech * (1.0 - tech_level)

    integrity = state["sanctions_integrity"]
    integrity = np.clip(integrity
                        - (d.erosion_by_evasion * evade + d.erosion_by_china * enable) * integrity
                        + (d.repair_by_pressure * pressure + d.repair_by_china * restrain)
                        * (1.0 - integrity), 0.0, 1.0)
    skill = state["russia_circumvention"]
    practice = d.circumvention_baseline + evade + d.circumvention_via_china * enable
    skill = skill + (1.0 - skill) * -np.expm1(-lv.circumvention_learning * practice)

    reputation = state["russia_reputation"]
    reputation = np.clip(reputation - d.reputation_loss * munitions
                         + d.reputation_recovery * (1.0 - reputation), 0.0, 1.0)

    pushed = d.isolation_per_pressure * lv.international_pressure + \
        d.isolation_per_us_pressure * pressure
    iso_r, iso_n = state["isolation_russia"], state["isolation_north_korea"]
    iso_r = iso_r + d.isolation_adjust * (np.clip(d.russia_isolation_base + pushed, 0, 1) - iso_r)
    iso_n = iso_n + d.isolation_adjust * (np.clip(d.nk_isolation_base + pushed, 0, 1) - iso_n)

    weights = (d.coop_munitions, d.coop_aid, d.coop_tech, d.coop_evasion, d.coop_isolation)
    total = sum(weights)
    cooperation = (d.coop_munitions * munitions + d.coop_aid * aid + d.coop_tech * tech
                   + d.coop_evasion * evade + d.coop_isolation * iso_r * iso_n)
    cooperation = np.where(total > 0, cooperation / np.where(total > 0, total, 1.0), 0.0)
    strength = state["alliance_strength"]
    strength = np.clip(strength + d.alliance_growth * cooperation * (1.0 - strength)
                       - d.alliance_decay * (1.0 - cooperation) * strength, 0.0, 1.0)

    runs = strength.shape[0]
    new = {
        "alliance_strength": strength,
        "alliance_level": alliance_level(strength, state["alliance_level"], K),
        "war_demand": _runs(K.war_demand(month), runs),
        "munitions_flow": munitions,
        "aid_flow": _runs(aid, runs),
        "tech_flow": _runs(tech, runs),
        "nk_food_gap": gap,
        "nk_tech_level": tech_level,
        "sanctions_integrity": integrity,
        "russia_circumvention": skill,
        "russia_reputation": reputation,
        "isolation_russia": iso_r,
        "isolation_north_korea": iso_n,
    }
    return {k: new[k] for k in STATE_COLUMNS}


def initial_beliefs(posture: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Beliefs at month 0: everyone expects the posture to continue."""
    return {d.key: np.eye(d.size)[posture[d.key]] for d in DIMENSIONS}


def update_beliefs(beliefs: dict[str, np.ndarray], choice: dict[str, np.ndarray],
                   K: KernelParams) -> dict[str, np.ndarray]:
    """Exponentially weighted frequencies of past play (smoothed fictitious play)."""
    w = K.dynamics.belief_weight
    w = w[:, None] if isinstance(w, np.ndarray) else w
    return {d.key: (1.0 - w) * beliefs[d.key] + w * _one_hot(choice[d.key], d.size)
            for d in DIMENSIONS}


def _one_hot(index: np.ndarray, size: int) -> np.ndarray:
    return (index[:, None] == np.arange(size)).astype(float)
