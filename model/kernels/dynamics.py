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
* Russian evasion blocks the repair of the regime (a permanent Council member that has
  vetoed its monitoring keeps it from being patched): abandoning it is a ratchet;
* alliance strength grows with cooperation (trade, aid, technology, evasion, shared
  isolation) and decays slowly without it, more slowly under a treaty (``treaty_anchor``);
  levels 1–3 follow strength through documented thresholds;
* the treaty (level 4) is a joint decision, never a threshold: each month both Russia
  and North Korea must want it (:func:`treaty_signed`); once signed it holds until
  strength falls below ``treaty_dissolve`` (the exit).

The state dict also carries last month's options (:data:`MEMORY_KEYS`), which the
payoffs' switching costs read; they are not result columns (the option columns are).
"""

from __future__ import annotations

import numpy as np

from ..core.actions import CHINA_ENABLES, CHINA_RESTRAINS, DIMENSION_BY_KEY, DIMENSIONS
from ..core.state import STATE_COLUMNS, AllianceLevel
from .params import KernelParams

TREATY = int(AllianceLevel.TREATY)
#: Carried in the state dict but not recorded: last month's option index per dimension
#: (``last.<actor>.<dimension>``), which switching costs read.
MEMORY_KEYS: tuple[str, ...] = tuple("last." + d.key for d in DIMENSIONS)


def with_memory(state: dict[str, np.ndarray], choice: dict[str, np.ndarray]
                ) -> dict[str, np.ndarray]:
    """The state's columns plus last month's options ``choice`` under :data:`MEMORY_KEYS`."""
    return {**{k: state[k] for k in STATE_COLUMNS},
            **{"last." + d.key: np.asarray(choice[d.key]).astype(np.int64) for d in DIMENSIONS}}


def intensity(key: str, choice: np.ndarray) -> np.ndarray:
    """The intensities of the options ``choice`` (indices) of dimension ``key``."""
    return DIMENSION_BY_KEY[key].values()[choice]


def runs_of(value, runs: int) -> np.ndarray:
    """``value`` (a scalar or per-run array) as a fresh float array of length ``runs``."""
    return np.array(np.broadcast_to(value, (runs,)), dtype=float)


def alliance_level(strength: np.ndarray, previous: np.ndarray | None, K: KernelParams,
                   signed: np.ndarray | None = None) -> np.ndarray:
    """0 distant … 3 tech_transfer by threshold; 4 treaty once signed, until it lapses.

    A treaty is never crossed into: it is signed by the pair's joint decision
    (``signed``, see :func:`treaty_signed`) and lapses when strength falls below
    ``treaty_dissolve`` (the documented exit).
    """
    d = K.dynamics
    level = ((strength >= d.level_diplomatic).astype(np.int64)
             + (strength >= d.level_arms_trade) + (strength >= d.level_tech_transfer))
    treaty = np.zeros(strength.shape, dtype=bool) if signed is None else signed.astype(bool)
    if previous is not None:
        treaty = treaty | (previous == TREATY)
    treaty &= strength >= d.treaty_dissolve
    return np.where(treaty, TREATY, level).astype(np.int64)


def _logistic(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def treaty_gains(state: dict[str, np.ndarray], K: KernelParams):
    """Each side's net gain from signing a treaty now: ``(russia, north_korea)``.

    Russia gains supply locked in for as long as the war needs it (``treaty_value`` × war
    demand × the strength of the relationship it secures) against entrapment and status
    costs (``treaty_cost`` × its standing as a great power, mba.3). North Korea gains
    insurance against abandonment — a commitment that outlasts Russia's current need —
    worth more the deeper the relationship and the more isolated it is
    (``treaty_value`` × strength × isolation), against lost autonomy (``treaty_cost``).
    """
    r, n = K.russia, K.north_korea
    strength = state["alliance_strength"]
    russia = (r.treaty_value * state["war_demand"] * strength
              - r.treaty_cost * state["russia_reputation"])
    north_korea = (n.treaty_value * strength * state["isolation_north_korea"]
                   - n.treaty_cost)
    return russia, north_korea


def treaty_signed(state: dict[str, np.ndarray], K: KernelParams,
                  draw: np.ndarray) -> np.ndarray:
    """Whether the pair signs this month: both must want it (a joint decision).

    Each side wants the treaty with the logit probability of its net gain at its own
    rationality ``lam``; signing needs both, so its probability is the product, compared
    with the run's own uniform ``draw``.
    """
    russia, north_korea = treaty_gains(state, K)
    p = _logistic(K.lam["russia"] * russia) * _logistic(K.lam["north_korea"] * north_korea)
    return draw < p


def flows(choice: dict[str, np.ndarray], interdicted: np.ndarray | float = 0.0):
    """Munitions delivered, aid and technology for the options chosen."""
    purchases = intensity("russia.arms", choice["russia.arms"])
    supply = intensity("north_korea.munitions", choice["north_korea.munitions"])
    munitions = np.minimum(purchases, supply) * (1.0 - interdicted)
    return (munitions, intensity("russia.aid", choice["russia.aid"]),
            intensity("russia.tech", choice["russia.tech"]))


def interdicted_share(draw: np.ndarray, pressure: np.ndarray, K: KernelParams) -> np.ndarray:
    """Share of deliveries interdicted: ``min(1, 2 u × interdiction × pressure)`` for a
    uniform ``u``, so its mean is ``interdiction × pressure``."""
    return np.minimum(1.0, 2.0 * draw * K.dynamics.interdiction * pressure)


def food_gap(gap: np.ndarray, aid: np.ndarray, K: KernelParams) -> np.ndarray:
    """Aid eases the food gap, which otherwise returns to its structural level."""
    d = K.dynamics
    return np.clip(gap + d.food_reversion * (K.levers.nk_food_crisis - gap)
                   - d.aid_relief * aid, 0.0, 1.0)


def tech_level(level: np.ndarray, tech: np.ndarray, K: KernelParams) -> np.ndarray:
    """Transfers close part of North Korea's remaining technology gap."""
    return level + K.dynamics.tech_absorption * tech * (1.0 - level)


def sanctions_integrity(integrity: np.ndarray, evade: np.ndarray, enable: np.ndarray,
                        restrain: np.ndarray, pressure: np.ndarray,
                        K: KernelParams) -> np.ndarray:
    """Evasion and Chinese enabling erode the regime; pressure and restraint repair it,
    but not while Russia evades (a ratchet: its veto blocks the repair)."""
    d = K.dynamics
    return np.clip(integrity
                   - (d.erosion_by_evasion * evade + d.erosion_by_china * enable) * integrity
                   + (d.repair_by_pressure * pressure + d.repair_by_china * restrain)
                   * (1.0 - evade) * (1.0 - integrity), 0.0, 1.0)


def circumvention(skill: np.ndarray, evade: np.ndarray, enable: np.ndarray,
                  K: KernelParams) -> np.ndarray:
    """Practice at evading (and with an enabling China) teaches circumvention."""
    d = K.dynamics
    practice = d.circumvention_baseline + evade + d.circumvention_via_china * enable
    return skill + (1.0 - skill) * -np.expm1(-K.levers.circumvention_learning * practice)


def reputation(reputation: np.ndarray, munitions: np.ndarray, K: KernelParams) -> np.ndarray:
    """Visible arms buying costs Russia reputation, which recovers slowly."""
    d = K.dynamics
    return np.clip(reputation - d.reputation_loss * munitions
                   + d.reputation_recovery * (1.0 - reputation), 0.0, 1.0)


def isolation(iso_russia: np.ndarray, iso_nk: np.ndarray, pressure: np.ndarray,
              K: KernelParams) -> tuple[np.ndarray, np.ndarray]:
    """Isolation drifts toward a target set by international and US pressure."""
    d = K.dynamics
    pushed = d.isolation_per_pressure * K.levers.international_pressure + \
        d.isolation_per_us_pressure * pressure
    iso_russia = iso_russia + d.isolation_adjust * (
        np.clip(d.russia_isolation_base + pushed, 0, 1) - iso_russia)
    iso_nk = iso_nk + d.isolation_adjust * (np.clip(d.nk_isolation_base + pushed, 0, 1) - iso_nk)
    return iso_russia, iso_nk


def alliance_strength(strength: np.ndarray, munitions, aid, tech, evade, iso_russia, iso_nk,
                      K: KernelParams, bound: np.ndarray | float = 0.0) -> np.ndarray:
    """Strength grows with cooperation (a weighted mean of trade, aid, technology, evasion
    and shared isolation) and decays without it; a treaty (``bound`` = 1) cuts the decay
    by the share ``treaty_anchor``."""
    d = K.dynamics
    weights = (d.coop_munitions, d.coop_aid, d.coop_tech, d.coop_evasion, d.coop_isolation)
    total = sum(weights)
    cooperation = (d.coop_munitions * munitions + d.coop_aid * aid + d.coop_tech * tech
                   + d.coop_evasion * evade + d.coop_isolation * iso_russia * iso_nk)
    cooperation = np.where(total > 0, cooperation / np.where(total > 0, total, 1.0), 0.0)
    return np.clip(strength + d.alliance_growth * cooperation * (1.0 - strength)
                   - d.alliance_decay * (1.0 - d.treaty_anchor * bound)
                   * (1.0 - cooperation) * strength, 0.0, 1.0)


def advance(state: dict[str, np.ndarray], choice: dict[str, np.ndarray],
            interdiction_draw: np.ndarray, K: KernelParams,
            month: int, treaty_draw: np.ndarray) -> dict[str, np.ndarray]:
    """The state after ``month`` (≥ 1), given the options chosen in that month.

    ``interdiction_draw`` is one uniform per run (see ``interdicted_share``);
    ``treaty_draw`` one uniform per run for the pair's treaty decision
    (:func:`treaty_signed`), taken on the state at the start of the month. The result
    carries this month's options as next month's memory (:func:`with_memory`).
    """
    pressure = intensity("united_states.pressure", choice["united_states.pressure"])
    evade = intensity("russia.sanctions", choice["russia.sanctions"])
    enable = (choice["china.stance"] == CHINA_ENABLES).astype(float)
    restrain = (choice["china.stance"] == CHINA_RESTRAINS).astype(float)

    munitions, aid, tech = flows(choice, interdicted_share(interdiction_draw, pressure, K))
    iso_r, iso_n = isolation(state["isolation_russia"], state["isolation_north_korea"],
                             pressure, K)
    bound = (state["alliance_level"] == TREATY).astype(float)
    strength = alliance_strength(state["alliance_strength"], munitions, aid, tech, evade,
                                 iso_r, iso_n, K, bound)
    signed = (state["alliance_level"] != TREATY) & treaty_signed(state, K, treaty_draw)
    runs = strength.shape[0]
    new = {
        "alliance_strength": strength,
        "alliance_level": alliance_level(strength, state["alliance_level"], K, signed),
        "war_demand": runs_of(K.war_demand(month), runs),
        "munitions_flow": munitions,
        "aid_flow": runs_of(aid, runs),
        "tech_flow": runs_of(tech, runs),
        "nk_food_gap": food_gap(state["nk_food_gap"], aid, K),
        "nk_tech_level": tech_level(state["nk_tech_level"], tech, K),
        "sanctions_integrity": sanctions_integrity(state["sanctions_integrity"], evade, enable,
                                                   restrain, pressure, K),
        "russia_circumvention": circumvention(state["russia_circumvention"], evade, enable, K),
        "russia_reputation": reputation(state["russia_reputation"], munitions, K),
        "isolation_russia": iso_r,
        "isolation_north_korea": iso_n,
    }
    return with_memory(new, choice)


def update_beliefs(beliefs: dict[str, np.ndarray], choice: dict[str, np.ndarray],
                   K: KernelParams) -> dict[str, np.ndarray]:
    """Exponentially weighted frequencies of past play (smoothed fictitious play)."""
    w = K.dynamics.belief_weight
    w = w[:, None] if isinstance(w, np.ndarray) else w
    return {d.key: (1.0 - w) * beliefs[d.key] + w * _one_hot(choice[d.key], d.size)
            for d in DIMENSIONS}


def _one_hot(index: np.ndarray, size: int) -> np.ndarray:
    return (index[:, None] == np.arange(size)).astype(float)
