"""Payoffs: what each actor gets from each option, given the state and others' play.

Every payoff is a sum of incentive terms, each a weight × a state quantity × an action
quantity (DESIGN.md, "Incentive terms"). Play enters as probability vectors over each
dimension's options, so one formula serves three uses:

* decisions: the others' play is the public belief (recent play), and the actor's own
  dimension is set to each option in turn (an identity matrix) → ``(runs, options)``;
* the stage game: every dimension is a one-hot pure option → payoff of each profile;
* mixed equilibria: any product of mixed strategies.

Payoffs are multilinear in the dimensions' probability vectors, so expected payoffs
under independent mixing are exact. Russia's payoff is additively separable across its
own four dimensions, so deciding each dimension on its own equals deciding the joint
option (a logit over a sum factorises into a product of logits).

Sums over options are written as explicit loops in a fixed order rather than ``einsum``
so that a batch of one run and a batch of many give bit-identical numbers.

The exchange (arms for aid): North Korea's supply payoff counts the compensation it
expects from Russia's recent aid and technology (``exchange_share`` of what that is
worth to Pyongyang), and Russia's payment payoff counts the partnership's continuation
— future deliveries, worth more the higher war demand and alliance strength — in
proportion to what the payment is worth to Pyongyang (the shadow of the future).
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ..core.actions import CHINA_ENABLES, CHINA_RESTRAINS, DIMENSION_BY_KEY, Actor, dimensions_of
from .params import KernelParams

ARMS = DIMENSION_BY_KEY["russia.arms"].intensity
AID = DIMENSION_BY_KEY["russia.aid"].intensity
TECH = DIMENSION_BY_KEY["russia.tech"].intensity
EVADE = DIMENSION_BY_KEY["russia.sanctions"].intensity
SUPPLY = DIMENSION_BY_KEY["north_korea.munitions"].intensity
PRESSURE = DIMENSION_BY_KEY["united_states.pressure"].intensity
STANCE = DIMENSION_BY_KEY["china.stance"].intensity


def expect(P: np.ndarray, values) -> np.ndarray:
    """E[x] = Σ_j P[..., j] · values[j] over the last axis (fixed summation order)."""
    out = P[..., 0] * values[0]
    for j in range(1, len(values)):
        out = out + P[..., j] * values[j]
    return out


def expected_min(P_a: np.ndarray, P_b: np.ndarray, a_values, b_values) -> np.ndarray:
    """E[min(a, b)] for independent a ~ P_a, b ~ P_b (delivered = the smaller side)."""
    out = None
    for i, a in enumerate(a_values):
        inner = expect(P_b, [min(a, b) for b in b_values])
        term = P_a[..., i] * inner
        out = term if out is None else out + term
    return out


def _nk_values(S: SimpleNamespace, K: KernelParams):
    """What a unit of food aid and of technology is worth to North Korea now."""
    food = K.north_korea.food_value * S.nk_food_gap
    tech = K.levers.nk_tech_appetite * (1.0 - S.nk_tech_level)
    return food, tech


def russia_payoff(P: dict, S: SimpleNamespace, K: KernelParams) -> np.ndarray:
    """Russia: munitions for the war, minus reputation, payment and sanctions costs."""
    w, lv = K.russia, K.levers
    Pa, Pf, Pt, Pe = P["russia.arms"], P["russia.aid"], P["russia.tech"], P["russia.sanctions"]
    pressure = expect(P["united_states.pressure"], PRESSURE)
    delivered = expected_min(Pa, P["north_korea.munitions"], ARMS, SUPPLY) * (
        1.0 - K.dynamics.interdiction * pressure)
    arms, aid = expect(Pa, ARMS), expect(Pf, AID)
    tech, tech_sq = expect(Pt, TECH), expect(Pt, [x * x for x in TECH])
    evade = expect(Pe, EVADE)
    food_worth, tech_worth = _nk_values(S, K)
    shadow = w.continuation_value * S.war_demand * S.alliance_strength * \
        K.north_korea.exchange_share
    partnership = w.partnership_value * S.isolation_russia
    exposure = w.sanctions_exposure * (K.dynamics.sanctions_base + pressure) * \
        S.sanctions_integrity * (1.0 - S.russia_circumvention)
    return (w.munitions_value * S.war_demand * delivered                     # mba.1
            - lv.russia_reputation_cost * S.russia_reputation * arms         # mba.3
            + (partnership + shadow * food_worth - w.aid_cost) * aid         # nk.1, lt.2
            + (partnership + shadow * tech_worth - w.tech_cost) * tech       # nk.1, lt.2
            - w.proliferation_risk * tech_sq                                 # assumption
            + w.evasion_gain * S.isolation_russia * evade                    # sa.1
            - exposure * (arms + evade))                                     # sa.1, lt.1


def north_korea_payoff(P: dict, S: SimpleNamespace, K: KernelParams) -> np.ndarray:
    """North Korea: aid and technology received, and what it earns by supplying shells."""
    w = K.north_korea
    Ps = P["north_korea.munitions"]
    supply, supply_sq = expect(Ps, SUPPLY), expect(Ps, [x * x for x in SUPPLY])
    aid, tech = expect(P["russia.aid"], AID), expect(P["russia.tech"], TECH)
    pressure = expect(P["united_states.pressure"], PRESSURE)
    shielded = w.china_shield * P["china.stance"][..., CHINA_ENABLES]
    food_worth, tech_worth = _nk_values(S, K)
    received = food_worth * aid + tech_worth * tech                          # nk.1
    exposure = w.sanctions_exposure * (K.dynamics.sanctions_base + pressure) * \
        S.sanctions_integrity * (1.0 - shielded)
    return (received
            + w.exchange_share * S.war_demand * received * supply            # mba.1, exchange
            - w.production_cost * supply_sq                                  # mba.1
            - exposure * supply                                              # intro.1, lt.1
            + w.partnership_value * S.isolation_north_korea * supply)        # intro.1, lt.2


def united_states_payoff(P: dict, S: SimpleNamespace, K: KernelParams) -> np.ndarray:
    """United States: harm from the trade and transfers, minus the costs of pressure."""
    w = K.united_states
    pressure = expect(P["united_states.pressure"], PRESSURE)
    delivered = expected_min(P["russia.arms"], P["north_korea.munitions"], ARMS, SUPPLY)
    tech = expect(P["russia.tech"], TECH)
    return (- w.munitions_harm * delivered * (1.0 - K.dynamics.interdiction * pressure)
            - w.tech_harm * tech                                             # nk.1
            - w.pressure_cost * pressure                                     # assumption
            - w.standing_loss * S.alliance_strength * pressure               # intro.1
            + w.regime_defence * (1.0 - S.sanctions_integrity) * pressure)   # assumption


def china_payoff(P: dict, S: SimpleNamespace, K: KernelParams) -> np.ndarray:
    """China: counter-US gains of enabling against instability and sanctions risk."""
    w = K.china
    Pc = P["china.stance"]
    stance = expect(Pc, STANCE)
    pressure = expect(P["united_states.pressure"], PRESSURE)
    return ((w.rivalry + w.counter_us * pressure) * stance                   # lt.1
            - w.instability_cost * S.nk_tech_level * (1.0 + stance)          # lt.2
            - w.secondary_sanctions_risk * pressure * Pc[..., CHINA_ENABLES]        # assumption
            - w.influence_loss * S.alliance_strength * Pc[..., CHINA_RESTRAINS])    # lt.1


PAYOFF_FUNCTIONS = {
    Actor.RUSSIA: russia_payoff,
    Actor.NORTH_KOREA: north_korea_payoff,
    Actor.UNITED_STATES: united_states_payoff,
    Actor.CHINA: china_payoff,
}


def state_columns(state: dict[str, np.ndarray]) -> SimpleNamespace:
    """The state as ``(runs, 1)`` columns, to broadcast against ``(runs, options)``."""
    return SimpleNamespace(**{k: np.asarray(v)[:, None] for k, v in state.items()})


def option_payoffs(actor: Actor, beliefs: dict[str, np.ndarray], S: SimpleNamespace,
                   K: KernelParams) -> dict[str, np.ndarray]:
    """Payoff of each option of each of ``actor``'s dimensions against the beliefs.

    ``beliefs`` maps every dimension key to ``(runs, options)`` probabilities; ``S`` comes
    from :func:`state_columns`; ``K`` must hold per-run arrays as ``(runs, 1)`` columns.
    Returns, per dimension of the actor, an array ``(runs, options)``.
    """
    payoff = PAYOFF_FUNCTIONS[Actor(actor)]
    others = {key: b[:, None, :] for key, b in beliefs.items()}
    runs = next(iter(beliefs.values())).shape[0]
    result = {}
    for dim in dimensions_of(actor):
        P = dict(others)
        P[dim.key] = np.eye(dim.size)
        result[dim.key] = np.broadcast_to(payoff(P, S, K), (runs, dim.size))
    return result
