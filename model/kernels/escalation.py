"""The escalation module: North Korean soldiers for Russian military technology.

Off in the article's world; on with ``escalation = true`` in a scenario. Each month, once
the exchange of the month is decided (its options are known), North Korea decides what
manpower it sends (``north_korea.manpower``: none, labour, combat) and Russia what
military technology it gives (``russia.mil_tech``: none, conventional, strategic), each on
the state at the start of the month and on what the other gave last month; then the
module's stocks move (:func:`advance_escalation`).

Payoffs, per option (manpower intensity ``m``, ``c`` = 1 for combat; technology ``τ``):

* North Korea: ``m × war demand × (manpower_pay + its technology worth × Russia's military
  technology last month)`` — oil, cash and know-how while Russia needs soldiers — minus
  ``m ×`` its sanctions exposure (workers and soldiers abroad break the UN ban as shells
  do; squeezed by a restraining China, eased by an enabling one) and ``m × china_friction``
  while China restrains; plus, for combat, ``war demand × (experience_value × experience
  gap + defence_obligation × signed treaty × attack − casualty_cost)``. Losses are a cost
  per month of fighting, not a stock the payoff remembers: past losses alone end nothing.
* Russia: ``τ × (manpower_value × war demand × troops deployed − mil_tech_cost −
  west_forfeit × relations) − strategic_risk × (1 − treaty_tech_discount × in force) × τ²``:
  technology pays for the soldiers it is getting.

Combat is possible only under a treaty in force or while Russian territory is attacked
(``levers.russia_territory_attacked``); a signed treaty's defence clause is what makes it
worth North Korea's while (``defence_obligation``). Both sides pay their ``switching_cost``
for a change, except a fall back on ``none`` from a course that did no better than none
this month (as ``model.kernels.exits`` does for the exchange), or one no longer possible.

Each side decides by the logit of its payoffs at its ``lam`` (by their maximum under
``best_response``), whatever rule plays the exchange, or plays the option its scenario
pins (``action``, schedules included). The draws are the month's last two uniforms
(``model.core.sampling``), so turning the module off leaves the article's runs untouched.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ..core.actions import (
    CHINA_ENABLES,
    CHINA_RESTRAINS,
    DIMENSION_BY_KEY,
    ESCALATION_DIMENSIONS,
)
from ..core.state import ESCALATION_STATE_COLUMNS, AllianceLevel
from .dynamics import intensity, runs_of, sanctions_bite
from .params import KernelParams
from .switching import previous_key

__all__ = ["escalation_choice", "advance_escalation", "initial_escalation", "draw_option",
           "manpower_payoffs", "mil_tech_payoffs", "combat_possible"]

MANPOWER = DIMENSION_BY_KEY["north_korea.manpower"]
MIL_TECH = DIMENSION_BY_KEY["russia.mil_tech"]
COMBAT = MANPOWER.index("combat")
TREATY = int(AllianceLevel.TREATY)
_SENT = MANPOWER.values()
_FIGHTS = (np.arange(MANPOWER.size) == COMBAT).astype(float)
_GIVEN = MIL_TECH.values()


def _last(S: SimpleNamespace, key: str) -> np.ndarray:
    return getattr(S, previous_key(key))


def combat_possible(S: SimpleNamespace) -> np.ndarray:
    """Where combat is an option this month: a treaty in force, or an attack on Russia."""
    return (S.treaty_in_force > 0) | (S.russia_territory_attacked > 0)


def manpower_payoffs(S: SimpleNamespace, K: KernelParams, choice: dict[str, np.ndarray]
                     ) -> np.ndarray:
    """North Korea's payoff of each manpower option ``(runs, options)``, before switching
    costs, on the state ``S`` (columns) and this month's exchange ``choice``."""
    w = K.north_korea
    china = np.asarray(choice["china.stance"])[:, None]
    restrain = (china == CHINA_RESTRAINS).astype(float)
    enable = (china == CHINA_ENABLES).astype(float)
    pressure = intensity("united_states.pressure",
                         np.asarray(choice["united_states.pressure"]))[:, None]
    tech_worth = K.levers.nk_tech_appetite * (1.0 - S.nk_tech_level)
    given = _GIVEN[_last(S, MIL_TECH.key)]
    pay = S.war_demand * (w.manpower_pay + tech_worth * given)
    squeezed = 1.0 - w.china_shield * enable + w.china_dependence * restrain
    exposure = (w.sanctions_exposure * (K.dynamics.sanctions_base
                                        + sanctions_bite(S.us_designations, pressure))
                * S.sanctions_integrity * squeezed)
    signed = (S.alliance_level == TREATY).astype(float)
    fighting = S.war_demand * (w.experience_value * (1.0 - S.combat_experience)
                               + w.defence_obligation * signed * S.russia_territory_attacked
                               - w.casualty_cost)
    return _SENT * (pay - exposure - w.china_friction * restrain) + _FIGHTS * fighting


def mil_tech_payoffs(S: SimpleNamespace, K: KernelParams) -> np.ndarray:
    """Russia's payoff of each military-technology option ``(runs, options)``, before
    switching costs: payment for the soldiers it is getting, against its costs and risks."""
    w = K.russia
    risk = w.strategic_risk * (1.0 - K.dynamics.treaty_tech_discount * S.treaty_in_force)
    worth = (w.manpower_value * S.war_demand * S.troops_deployed - w.mil_tech_cost
             - w.west_forfeit * K.levers.russia_west_relations)
    return _GIVEN * worth - risk * _GIVEN * _GIVEN


def _with_switching(worth: np.ndarray, possible: np.ndarray, last: np.ndarray,
                    cost) -> np.ndarray:
    """``worth`` less the switching cost of every option but last month's; falling back on
    ``none`` is free where last month's option did no better than none, or is no longer
    possible."""
    runs, size = worth.shape
    rows = np.arange(runs)
    last = np.asarray(last).reshape(-1).astype(np.int64)
    free = (worth[rows, last] <= worth[:, 0]) | ~possible[rows, last]
    options = np.arange(size)
    change = (options != last[:, None]) & ~((options == 0) & free[:, None])
    return worth - cost * change


def draw_option(worth: np.ndarray, possible: np.ndarray, lam, best: bool,
          uniforms: np.ndarray) -> np.ndarray:
    """An option per run among the possible ones: the logit draw at ``lam`` with the run's
    uniform, or (``best``) the best (first on ties)."""
    if best:
        return np.argmax(np.where(possible, worth, -np.inf), axis=-1).astype(np.int64)
    z = lam * worth
    top = np.max(np.where(possible, z, -np.inf), axis=-1, keepdims=True)
    weight = np.where(possible, np.exp(np.where(possible, z - top, 0.0)), 0.0)
    cumulative = np.cumsum(weight / weight.sum(axis=-1, keepdims=True), axis=-1)
    index = (uniforms[:, None] >= cumulative[:, :-1]).sum(axis=-1)
    # a uniform above a cumulative sum that rounds below 1 must not reach an impossible
    # last option: the highest possible option caps the draw
    highest = possible.shape[-1] - 1 - np.argmax(possible[:, ::-1], axis=-1)
    return np.minimum(index, highest).astype(np.int64)


def escalation_choice(S: SimpleNamespace, K: KernelParams, choice: dict[str, np.ndarray],
                      policies, uniforms: np.ndarray) -> dict[str, np.ndarray]:
    """This month's manpower and military-technology options ``(runs,)`` by key.

    ``S`` is the month's state as columns, ``K`` its parameters as columns, ``choice``
    the month's exchange, ``policies`` the month's actor policies (their pins and rules),
    ``uniforms`` the module's draws ``(runs, ESCALATION_DRAWS)``.
    """
    runs = uniforms.shape[0]
    by_actor = {policy.actor: policy for policy in policies}
    combat = np.broadcast_to(combat_possible(S), (runs, 1))
    possible = {
        MANPOWER.key: np.concatenate([np.ones((runs, COMBAT), dtype=bool), combat], axis=1),
        MIL_TECH.key: np.ones((runs, MIL_TECH.size), dtype=bool),
    }
    worth = {MANPOWER.key: manpower_payoffs(S, K, choice), MIL_TECH.key: mil_tech_payoffs(S, K)}
    out = {}
    for i, dim in enumerate(ESCALATION_DIMENSIONS):
        policy = by_actor[dim.actor]
        if dim.key in policy.fixed:
            out[dim.key] = np.full(runs, policy.fixed[dim.key], dtype=np.int64)
            continue
        w = getattr(K, dim.actor.value)
        value = _with_switching(np.broadcast_to(worth[dim.key], (runs, dim.size)),
                                possible[dim.key], _last(S, dim.key),
                                w.switching_cost)
        out[dim.key] = draw_option(value, possible[dim.key], K.lam[dim.actor.value],
                             policy.rule.name == "best_response", uniforms[:, i])
    return out


def initial_escalation(K: KernelParams, runs: int) -> dict[str, np.ndarray]:
    """Month 0 of the module: no troops, no military technology, no treaty; the attack
    lever at month 0 (last month's options, none, are the posture's memory:
    ``dynamics.with_memory``)."""
    state = {c: runs_of(0.0, runs) for c in ESCALATION_STATE_COLUMNS}
    state["russia_territory_attacked"] = runs_of(K.lever("russia_territory_attacked", 0), runs)
    return state


def advance_escalation(before: dict[str, np.ndarray], after: dict[str, np.ndarray],
                       choice: dict[str, np.ndarray], K: KernelParams,
                       month: int) -> dict[str, np.ndarray]:
    """``after`` (the exchange's state after ``month``, whose memory already holds the
    month's options: ``dynamics.with_memory``) with the module's columns moved on from
    ``before`` (the state the month's decisions read), given ``choice``.

    Troops move toward the deployment chosen the month before (a decision takes a month
    to put soldiers on trains, and a withdrawal to start) by ``troop_buildup`` a month and,
    while the month's choice is combat, fight and lose ``troop_attrition`` of their
    strength; combat teaches what experience is missing (``experience_gain``, scaled by
    the troops fighting) and experience fades
    out of it (``experience_decay``); military technology closes part of North Korea's
    technology gap as transfers do (``tech_absorption``); a treaty enters into force
    ``treaty_ratification`` months after its signature and leaves force with it.
    """
    d = K.dynamics
    # a deployment decided this month starts moving next month (orders, trains, kit): the
    # troops move toward last month's decision
    sent = _SENT[np.asarray(before[previous_key(MANPOWER.key)]).astype(np.int64)]
    fights = (choice[MANPOWER.key] == COMBAT).astype(float)
    given = _GIVEN[choice[MIL_TECH.key]]
    troops = before["troops_deployed"]
    lost = d.troop_attrition * fights * troops
    deployed = np.clip(troops + d.troop_buildup * (sent - troops) - lost, 0.0, 1.0)
    experience = before["combat_experience"]
    experience = np.clip(experience + d.experience_gain * fights * troops * (1.0 - experience)
                         - d.experience_decay * (1.0 - fights) * experience, 0.0, 1.0)
    treaty = after["alliance_level"] == TREATY
    held = treaty & (before["alliance_level"] == TREATY)
    age = np.where(held, before["treaty_age"] + 1.0, 0.0)
    tech = after["nk_tech_level"]
    runs = deployed.shape[0]
    return {
        **after,
        "nk_tech_level": tech + d.tech_absorption * given * (1.0 - tech),
        "russia_territory_attacked": runs_of(K.lever("russia_territory_attacked", month), runs),
        "troops_deployed": deployed,
        "troops_in_combat": deployed * fights,
        "troop_losses": before["troop_losses"] + lost,
        "combat_experience": experience,
        "mil_tech_flow": runs_of(given, runs),
        "treaty_in_force": (treaty & (age >= d.treaty_ratification)).astype(float),
        "treaty_age": age,
    }

