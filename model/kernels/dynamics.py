"""The monthly state transition and the public beliefs, over a leading run axis.

Month m → m+1, given the options every actor chose in month m:

* delivered munitions = min(Russia's purchases, North Korea's supply) × (1 − the share
  interdicted); the interdicted share is random with mean ``interdiction × coalition``
  (only a built enforcement coalition stops shipments; designations do not);
* US pressure comes in rounds: each month at ``secondary_sanctions`` or above adds a
  round to the designations' bite, which decays as networks re-route
  (``designation_reroute``); coalition enforcement builds a coalition over months
  (``coalition_build``), which unwinds without it (``coalition_unwind``);
* aid eases the food gap, which otherwise returns to its structural level
  (``nk_food_crisis``), raised by China's restraint and lowered by its enabling
  (``china_food_lever``: North Korea's trade runs mostly through China);
  technology closes part of North Korea's remaining tech gap;
* Russian evasion and Chinese enabling erode the sanctions regime; US pressure repairs it
  while Russia does not evade (its veto blocks repair at the Council), Chinese restraint
  repairs it at the border whatever Russia does;
* circumvention skill grows with the volume actually evaded (trade while evading, more
  with an enabling China) and relaxes back to its starting level as enforcers adapt;
* visible arms buying costs Russia reputation, which recovers slowly;
* isolation drifts toward a target set by international and US pressure, lowered for
  Russia by relations with the West and for North Korea by the alliance itself;
* alliance strength grows with the exchange (trade, aid, technology, evasion) and fades
  without it, more slowly under a treaty (``treaty_anchor``); levels 1–3 follow
  strength through documented thresholds;
* the treaty (level 4) is negotiated: each month both sides must want to take the next
  diplomatic step (:func:`treaty_step`), each step binding them to a larger share of the
  treaty's costs; after the last preparatory step the text is drafted for
  ``treaty_drafting`` months of such mutual will, and the ``treaty_steps``-th step is
  the reciprocal summit that signs it (:func:`treaty_talks`). A side whose value of the
  treaty stays below minus its exit cost for ``treaty_notice`` months denounces it
  (:func:`treaty_denounced`).

The state dict also carries last month's options (:data:`MEMORY_KEYS`), which the
payoffs' switching costs read; they are not result columns (the option columns are).
"""

from __future__ import annotations

import numpy as np

from ..core.actions import (
    CHINA_ENABLES,
    CHINA_RESTRAINS,
    DIMENSION_BY_KEY,
    DIMENSIONS,
    ESCALATION_DIMENSIONS,
)
from ..core.state import ESCALATION_STATE_COLUMNS, STATE_COLUMNS, AllianceLevel
from .params import KernelParams

TREATY = int(AllianceLevel.TREATY)
#: The US option that builds the enforcement coalition (its strongest).
US_COALITION = DIMENSION_BY_KEY["united_states.pressure"].size - 1
#: Carried in the state dict but not recorded: last month's option index per dimension
#: (``last.<actor>.<dimension>``), which switching costs read.
MEMORY_KEYS: tuple[str, ...] = tuple("last." + d.key for d in DIMENSIONS)
#: State columns that are levers in force this month (recorded, read by the payoffs).
LEVER_COLUMNS: tuple[str, ...] = ("war_demand",)
#: The escalation module's lever columns (recorded only with the module on).
ESCALATION_LEVER_COLUMNS: tuple[str, ...] = ("russia_territory_attacked",)


def with_memory(state: dict[str, np.ndarray], choice: dict[str, np.ndarray]
                ) -> dict[str, np.ndarray]:
    """The state's columns (the escalation module's too, where present) plus last month's
    options ``choice`` under :data:`MEMORY_KEYS` (and the escalation module's options, where
    ``choice`` holds them)."""
    escalation = [d for d in ESCALATION_DIMENSIONS if d.key in choice]
    return {**{k: state[k] for k in STATE_COLUMNS},
            **{k: state[k] for k in ESCALATION_STATE_COLUMNS if k in state},
            **{"last." + d.key: np.asarray(choice[d.key]).astype(np.int64)
               for d in (*DIMENSIONS, *escalation)}}


def intensity(key: str, choice: np.ndarray) -> np.ndarray:
    """The intensities of the options ``choice`` (indices) of dimension ``key``."""
    return DIMENSION_BY_KEY[key].values()[choice]


def runs_of(value, runs: int) -> np.ndarray:
    """``value`` (a scalar or per-run array) as a fresh float array of length ``runs``."""
    return np.array(np.broadcast_to(value, (runs,)), dtype=float)


def month_inputs(state: dict[str, np.ndarray], K: KernelParams, month: int):
    """What month ``month``'s decisions read: the parameters in force that month (scheduled
    levers at their month's value) and the state with this month's lever columns.

    Both drivers call this before the actors decide, so a lever changed at month m is
    seen by the decisions of month m. Without schedules it returns its inputs unchanged.
    """
    K_month = K.at(month)
    if K_month is K:
        return state, K
    runs = state["alliance_strength"].shape[0]
    levers = LEVER_COLUMNS + (ESCALATION_LEVER_COLUMNS if K.escalation else ())
    lever_columns = {c: runs_of(K_month.lever(c, month), runs) for c in levers}
    return {**state, **lever_columns}, K_month


def alliance_level(strength: np.ndarray, previous: np.ndarray | None, K: KernelParams,
                   signed: np.ndarray | None = None,
                   denounced: np.ndarray | None = None) -> np.ndarray:
    """0 distant … 3 tech_transfer by threshold; 4 treaty from signature until denounced.

    A treaty is never crossed into: it is signed at the last step of the pair's talks
    (``signed``, see :func:`treaty_step`) and ends only when a side denounces it
    (``denounced``, see :func:`treaty_denounced`); the level then follows strength.
    """
    d = K.dynamics
    level = ((strength >= d.level_diplomatic).astype(np.int64)
             + (strength >= d.level_arms_trade) + (strength >= d.level_tech_transfer))
    treaty = np.zeros(strength.shape, dtype=bool) if signed is None else signed.astype(bool)
    if previous is not None:
        treaty = treaty | (previous == TREATY)
    if denounced is not None:
        treaty &= ~denounced
    return np.where(treaty, TREATY, level).astype(np.int64)


def _logistic(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def treaty_gains(state: dict[str, np.ndarray], K: KernelParams,
                 commitment: np.ndarray | float = 1.0):
    """Each side's net value of the treaty this month: ``(russia, north_korea)``.

    Russia values supply locked in for as long as the war needs it (``treaty_value`` × war
    demand) and an ally while the West shuns it (``partnership_value`` × its isolation),
    both in proportion to the strength of the relationship the treaty secures, against
    entrapment and status costs (``treaty_cost``) and what it forfeits with the West
    (``west_forfeit`` × relations). North Korea gains insurance against abandonment —
    worth more the deeper the relationship and the more isolated it is (``treaty_value`` ×
    strength × isolation) — against lost autonomy (``treaty_cost``). ``commitment`` is the
    share of those costs a side takes on (a step of talks binds less than the treaty).
    """
    r, n = K.russia, K.north_korea
    strength = state["alliance_strength"]
    russia = (strength * (r.treaty_value * state["war_demand"]
                          + r.partnership_value * state["isolation_russia"])
              - commitment * (r.treaty_cost + r.west_forfeit * K.levers.russia_west_relations))
    north_korea = (n.treaty_value * strength * state["isolation_north_korea"]
                   - commitment * n.treaty_cost)
    return russia, north_korea


def treaty_step(state: dict[str, np.ndarray], K: KernelParams,
                draw: np.ndarray) -> np.ndarray:
    """Whether the pair takes the next diplomatic step of treaty talks this month.

    A step (a summit, a ministerial visit, a month of drafting) needs both sides: each
    wants it with the logit probability of its net value of the treaty
    (:func:`treaty_gains`) at its own rationality ``lam``, so a step's probability is the
    product, compared with the run's own uniform ``draw``. The k-th of ``treaty_steps``
    steps commits a side to k/``treaty_steps`` of the treaty's costs: a first summit is
    cheap talk, drafting and signing bind in full. No steps are taken while a treaty holds.
    """
    steps = K.dynamics.treaty_steps
    commitment = np.minimum(np.floor(state["treaty_talks"]) + 1.0, steps) / steps
    russia, north_korea = treaty_gains(state, K, commitment)
    p = _logistic(K.lam["russia"] * russia) * _logistic(K.lam["north_korea"] * north_korea)
    return (draw < p) & (state["alliance_level"] != TREATY)


def treaty_talks(talks: np.ndarray, step: np.ndarray, K: KernelParams) -> np.ndarray:
    """The talks after this month's ``step``, in steps taken.

    Each step before the last preparatory one (``treaty_steps`` − 1) counts 1; past it,
    each month of drafting counts 1/``treaty_drafting``, so the treaty is signed (talks
    reach ``treaty_steps``) at the reciprocal summit that ends ``treaty_drafting`` months
    of drafting (within half a month's share, so that sums of fractions land on it
    exactly).
    """
    d = K.dynamics
    drafting = talks >= d.treaty_steps - 1
    advanced = talks + step * np.where(drafting, 1.0 / d.treaty_drafting, 1.0)
    done = advanced >= d.treaty_steps - 0.5 / d.treaty_drafting
    return np.where(done, d.treaty_steps, advanced).astype(float)


def treaty_doubt(state: dict[str, np.ndarray], K: KernelParams) -> np.ndarray:
    """Months in a row, up to this one, that a side valued the treaty it holds below minus
    its exit cost (0 without a treaty, and whenever both sides value it more)."""
    russia, north_korea = treaty_gains(state, K)
    unwanted = np.minimum(russia, north_korea) < -K.dynamics.treaty_exit_cost
    held = state["alliance_level"] == TREATY
    return np.where(held & unwanted, state["treaty_doubt"] + 1.0, 0.0)


def treaty_denounced(doubt: np.ndarray, K: KernelParams) -> np.ndarray:
    """A side denounces the treaty once it has wanted out for ``treaty_notice`` months."""
    return doubt >= K.dynamics.treaty_notice


def flows(choice: dict[str, np.ndarray], interdicted: np.ndarray | float = 0.0):
    """Munitions delivered, aid and technology for the options chosen."""
    purchases = intensity("russia.arms", choice["russia.arms"])
    supply = intensity("north_korea.munitions", choice["north_korea.munitions"])
    munitions = np.minimum(purchases, supply) * (1.0 - interdicted)
    return (munitions, intensity("russia.aid", choice["russia.aid"]),
            intensity("russia.tech", choice["russia.tech"]))


def interdicted_share(draw: np.ndarray, coalition: np.ndarray, K: KernelParams) -> np.ndarray:
    """Share of deliveries interdicted: ``u ** ((1 − m) / m)`` for a uniform ``u`` and
    mean ``m = interdiction × coalition``, a share in [0, 1] whose mean is exactly ``m`` at
    every level (E[u^a] = 1 / (a + 1)); no coalition, nothing stopped."""
    m = np.asarray(K.dynamics.interdiction * coalition, dtype=float)
    safe = np.where(m > 0, m, 1.0)
    with np.errstate(over="ignore"):  # a vanishing m: the exponent is inf, the share 0
        return np.where(m > 0, draw ** ((1.0 - safe) / safe), 0.0)


def designations(bite: np.ndarray, pressure: np.ndarray, K: KernelParams) -> np.ndarray:
    """Designation rounds: this month's pressure adds to a bite that decays as networks
    re-route (``designation_reroute`` a month)."""
    return (1.0 - K.dynamics.designation_reroute) * bite + pressure


def sanctions_bite(bite, pressure):
    """What the designations in force and this month's round do to the targets: concave
    in the rounds (``1 − exp(−rounds)``), so each further round adds less."""
    return -np.expm1(-(bite + pressure))


def coalition(built: np.ndarray, coalition_now: np.ndarray, K: KernelParams) -> np.ndarray:
    """A month of coalition enforcement builds part of the missing coalition; without it
    the coalition unwinds."""
    d = K.dynamics
    return (built + d.coalition_build * coalition_now * (1.0 - built)
            - d.coalition_unwind * (1.0 - coalition_now) * built)


def food_gap(gap: np.ndarray, aid: np.ndarray, enable: np.ndarray, restrain: np.ndarray,
             K: KernelParams) -> np.ndarray:
    """Aid eases the food gap, which otherwise returns to its structural level, raised by
    China's restraint and lowered by its enabling (North Korea's trade runs through China)."""
    d = K.dynamics
    target = np.clip(K.levers.nk_food_crisis + d.china_food_lever * (restrain - enable),
                     0.0, 1.0)
    return np.clip(gap + d.food_reversion * (target - gap) - d.aid_relief * aid, 0.0, 1.0)


def tech_level(level: np.ndarray, tech: np.ndarray, K: KernelParams) -> np.ndarray:
    """Transfers close part of North Korea's remaining technology gap."""
    return level + K.dynamics.tech_absorption * tech * (1.0 - level)


def sanctions_integrity(integrity: np.ndarray, evade: np.ndarray, enable: np.ndarray,
                        restrain: np.ndarray, pressure: np.ndarray,
                        K: KernelParams) -> np.ndarray:
    """Evasion and Chinese enabling erode the regime; US pressure repairs it, but not while
    Russia evades (its veto blocks repair at the Council); Chinese restraint repairs it at
    the border whatever Russia does."""
    d = K.dynamics
    return np.clip(integrity
                   - (d.erosion_by_evasion * evade + d.erosion_by_china * enable) * integrity
                   + (d.repair_by_pressure * pressure * (1.0 - evade)
                      + d.repair_by_china * restrain) * (1.0 - integrity), 0.0, 1.0)


def circumvention(skill: np.ndarray, evade: np.ndarray, enable: np.ndarray,
                  munitions: np.ndarray, aid: np.ndarray, tech: np.ndarray,
                  K: KernelParams) -> np.ndarray:
    """Circumvention is learnt from the volume actually evaded — the month's trade while
    Russia evades (a mean of munitions, aid and technology), more with an enabling China —
    and relaxes back to its starting level as enforcers adapt."""
    d = K.dynamics
    volume = evade * (munitions + aid + tech) / 3.0 * (1.0 + d.circumvention_via_china * enable)
    learnt = skill + (1.0 - skill) * -np.expm1(-K.levers.circumvention_learning * volume)
    return np.clip(learnt - d.enforcer_adaptation * (learnt - K.initial.russia_circumvention),
                   0.0, 1.0)


def reputation(reputation: np.ndarray, munitions: np.ndarray, K: KernelParams) -> np.ndarray:
    """Visible arms buying costs Russia reputation, which recovers slowly."""
    d = K.dynamics
    return np.clip(reputation - d.reputation_loss * munitions
                   + d.reputation_recovery * (1.0 - reputation), 0.0, 1.0)


def isolation(iso_russia: np.ndarray, iso_nk: np.ndarray, pressure: np.ndarray,
              strength: np.ndarray, K: KernelParams) -> tuple[np.ndarray, np.ndarray]:
    """Isolation drifts toward a target set by international and US pressure; relations
    with the West lower Russia's, the alliance itself lowers North Korea's."""
    d = K.dynamics
    pushed = d.isolation_per_pressure * K.levers.international_pressure + \
        d.isolation_per_us_pressure * pressure
    target_r = d.russia_isolation_base + pushed - \
        d.isolation_relief_by_west * K.levers.russia_west_relations
    target_n = d.nk_isolation_base + pushed - d.isolation_relief_by_partner * strength
    iso_russia = iso_russia + d.isolation_adjust * (np.clip(target_r, 0, 1) - iso_russia)
    iso_nk = iso_nk + d.isolation_adjust * (np.clip(target_n, 0, 1) - iso_nk)
    return iso_russia, iso_nk


def alliance_strength(strength: np.ndarray, munitions, aid, tech, evade,
                      K: KernelParams, bound: np.ndarray | float = 0.0) -> np.ndarray:
    """Strength grows with the exchange (a weighted mean of trade, aid, technology and
    evasion) and fades without it at ``alliance_decay`` a month; a treaty (``bound`` = 1)
    cuts the decay by the share ``treaty_anchor``."""
    d = K.dynamics
    weights = (d.coop_munitions, d.coop_aid, d.coop_tech, d.coop_evasion)
    total = sum(weights)
    cooperation = (d.coop_munitions * munitions + d.coop_aid * aid + d.coop_tech * tech
                   + d.coop_evasion * evade)
    cooperation = np.where(total > 0, cooperation / np.where(total > 0, total, 1.0), 0.0)
    return np.clip(strength + d.alliance_growth * cooperation * (1.0 - strength)
                   - d.alliance_decay * (1.0 - d.treaty_anchor * bound)
                   * (1.0 - cooperation) * strength, 0.0, 1.0)


def advance(state: dict[str, np.ndarray], choice: dict[str, np.ndarray],
            interdiction_draw: np.ndarray, K: KernelParams,
            month: int, treaty_draw: np.ndarray) -> dict[str, np.ndarray]:
    """The state after ``month`` (≥ 1), given the options chosen in that month.

    ``state`` and ``K`` are what the month's decisions read (:func:`month_inputs`).
    ``interdiction_draw`` is one uniform per run (see ``interdicted_share``);
    ``treaty_draw`` one uniform per run for the pair's next step of treaty talks
    (:func:`treaty_step`), taken on the state at the start of the month. The result
    carries this month's options as next month's memory (:func:`with_memory`).
    """
    pressure = intensity("united_states.pressure", choice["united_states.pressure"])
    coalition_now = (choice["united_states.pressure"] == US_COALITION).astype(float)
    evade = intensity("russia.sanctions", choice["russia.sanctions"])
    enable = (choice["china.stance"] == CHINA_ENABLES).astype(float)
    restrain = (choice["china.stance"] == CHINA_RESTRAINS).astype(float)

    munitions, aid, tech = flows(choice, interdicted_share(interdiction_draw,
                                                           state["coalition"], K))
    bound = (state["alliance_level"] == TREATY).astype(float)
    strength = alliance_strength(state["alliance_strength"], munitions, aid, tech, evade,
                                 K, bound)
    iso_r, iso_n = isolation(state["isolation_russia"], state["isolation_north_korea"],
                             pressure, state["alliance_strength"], K)
    step = treaty_step(state, K, treaty_draw)
    talks = treaty_talks(state["treaty_talks"], step, K)
    signed = step & (talks >= K.dynamics.treaty_steps)
    doubt = treaty_doubt(state, K)
    denounced = treaty_denounced(doubt, K)
    runs = strength.shape[0]
    new = {
        "alliance_strength": strength,
        "alliance_level": alliance_level(strength, state["alliance_level"], K, signed,
                                         denounced),
        "war_demand": runs_of(K.war_demand(month), runs),
        "munitions_flow": munitions,
        "aid_flow": runs_of(aid, runs),
        "tech_flow": runs_of(tech, runs),
        "nk_food_gap": food_gap(state["nk_food_gap"], aid, enable, restrain, K),
        "nk_tech_level": tech_level(state["nk_tech_level"], tech, K),
        "sanctions_integrity": sanctions_integrity(state["sanctions_integrity"], evade, enable,
                                                   restrain, pressure, K),
        "russia_circumvention": circumvention(state["russia_circumvention"], evade, enable,
                                              munitions, aid, tech, K),
        "russia_reputation": reputation(state["russia_reputation"], munitions, K),
        "isolation_russia": iso_r,
        "isolation_north_korea": iso_n,
        # a denounced treaty ends its talks too: a new one starts from the first step
        "treaty_talks": np.where(denounced, 0.0, talks).astype(float),
        "treaty_doubt": np.where(denounced, 0.0, doubt),
        "us_designations": designations(state["us_designations"], pressure, K),
        "coalition": coalition(state["coalition"], coalition_now, K),
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
