"""Payoffs: what each actor gets from each option, given the state and others' play.

Every payoff is a sum of named incentive terms (``*_terms``, their sources in
``TERM_SOURCES``), each a weight × a state quantity × an action quantity. Play enters as
probability vectors over each dimension's options, so one formula serves three uses:

* decisions: the others' play is the public belief (recent play), and the actor's own
  dimension is set to each option in turn (an identity matrix) → ``(runs, options)``;
* the stage game: every dimension is a one-hot pure option → payoff of each profile;
* mixed equilibria: any product of mixed strategies.

Payoffs are multilinear in the dimensions' probability vectors, so expected payoffs
under independent mixing are exact. Russia's payoff is additively separable across its
own four dimensions, so deciding each dimension on its own equals deciding the joint
option (a logit over a sum factorises into a product of logits).

Sums over options are written as explicit loops in a fixed order rather than ``einsum``
so that a batch of one run and a batch of many give bit-identical numbers; a payoff is
its terms summed in their listed order (:func:`total`), so a term-by-term account of a
decision adds up exactly to the payoff the decision used.

Each side values the relationship net of its outside option. Russia forfeits something
with the West for each purchase and month of evasion (``west_forfeit`` ×
``levers.russia_west_relations``). North Korea's trade runs through China: an enabling
China shields it from sanctions (``china_shield``), a restraining one adds to its cost of
defying them (``china_dependence``; its food gap moves too, in the dynamics).

The exchange (arms for aid) is conditional. The pair has a deal whose terms each side
counts on in share ``dynamics.reciprocity`` and judges from the other's recent play for
the rest: North Korea's supply payoff counts the compensation it expects per delivery
(``exchange_share`` of the going terms — food aid and dual-use know-how — and of what
Russia recently paid), and its partnership value counts only shells Russia buys; Russia's
purchases count on its orders being filled. Russia values its payments by the supply
they buy (its own ``continuation_value`` × war demand × expected supply) and by what
Pyongyang needs (its food gap, its remaining technology gap): a payment to a partner that
withholds, or in a war that is over, is worth little. The reputation cost is per unit of
visible buying, however much standing is left.

Persistence: every actor pays ``switching_cost`` per dimension whose option differs from
last month's (counted by ``model.kernels.switching``); Russia pays ``reversal_cost`` more to
go back to enforcing sanctions after evading. With no gain, doing nothing wins: a course
that did no better than doing nothing last month can be left for the rest option at no
switching cost (the state's ``exit_free.<actor>.<dimension>``, set each month by
``model.kernels.exits``).
The treaty (``alliance_level`` 4) cuts the risk of strategic transfers by
``treaty_tech_discount``.

US pressure works in rounds: the bite of sanctions is ``1 − exp(−(designations in force +
this month's round))`` (concave), its cost is convex (``pressure_cost`` × pressure²), and
it deters a share ``deterrence`` × bite of the harm of this month's deliveries and
transfers; only a built coalition (state ``coalition``) interdicts shipments. China pays
for enabling in proportion to North Korea's capability and Russia's transfers.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ..core.actions import CHINA_ENABLES, CHINA_RESTRAINS, DIMENSION_BY_KEY, Actor, dimensions_of
from ..core.state import AllianceLevel
from .dynamics import sanctions_bite
from .params import KernelParams
from .switching import previous_key, switches

ARMS = DIMENSION_BY_KEY["russia.arms"].intensity
AID = DIMENSION_BY_KEY["russia.aid"].intensity
TECH = DIMENSION_BY_KEY["russia.tech"].intensity
EVADE = DIMENSION_BY_KEY["russia.sanctions"].intensity
SUPPLY = DIMENSION_BY_KEY["north_korea.munitions"].intensity
PRESSURE = DIMENSION_BY_KEY["united_states.pressure"].intensity
STANCE = DIMENSION_BY_KEY["china.stance"].intensity
TREATY = int(AllianceLevel.TREATY)


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


def _treaty(S: SimpleNamespace) -> np.ndarray:
    return (S.alliance_level == TREATY).astype(float)


def _bite(P: dict, S: SimpleNamespace) -> np.ndarray:
    """Expected bite of sanctions this month: the designations in force plus this month's
    US round, concave in rounds (``dynamics.sanctions_bite``)."""
    return expect(P["united_states.pressure"],
                  [sanctions_bite(S.us_designations, p) for p in PRESSURE])


#: Where each payoff term comes from (article locators, or ``assumption``), by actor and
#: term name: the names the ``*_terms`` functions give their terms, in summation order.
TERM_SOURCES: dict[Actor, dict[str, str]] = {
    Actor.RUSSIA: {
        "munitions_value": "mba.1", "reputation_cost": "mba.3",
        "aid_payment": "nk.1, lt.2", "tech_payment": "nk.1, lt.2",
        "proliferation_risk": "nk.1, assumption", "evasion_gain": "sa.1",
        "sanctions_exposure": "sa.1, lt.1", "west_forfeit": "lt.1, assumption",
        "switching_cost": "assumption", "reversal_cost": "sa.1",
    },
    Actor.NORTH_KOREA: {
        "aid_and_tech_received": "nk.1", "exchange_earnings": "mba.1",
        "production_cost": "mba.1", "sanctions_exposure": "intro.1, lt.1",
        "partnership": "intro.1, lt.2", "switching_cost": "assumption",
    },
    Actor.UNITED_STATES: {
        "flow_harm": "mba.1, nk.1", "standing_loss": "intro.1",
        "pressure_cost": "assumption", "regime_defence": "assumption",
        "switching_cost": "assumption",
    },
    Actor.CHINA: {
        "counter_us": "assumption", "instability_cost": "assumption",
        "secondary_sanctions_risk": "assumption", "influence_loss": "assumption",
        "switching_cost": "assumption",
    },
}


def total(terms: dict[str, np.ndarray]) -> np.ndarray:
    """The payoff: the terms summed in their order (the order fixes the rounding)."""
    values = iter(terms.values())
    out = next(values)
    for value in values:
        out = out + value
    return out


def inertia_terms(actor: Actor, P: dict, S: SimpleNamespace, K: KernelParams
                  ) -> dict[str, np.ndarray]:
    """What changing course costs ``actor``: its ``switching_cost`` per dimension changed (a
    free exit excepted, ``model.kernels.switching``) and, for Russia, ``reversal_cost`` for
    going back to enforcing a regime it has abandoned (vetoed monitoring)."""
    w = getattr(K, actor.value)
    keys = tuple(d.key for d in dimensions_of(actor))
    terms = {"switching_cost": -(w.switching_cost * switches(P, S, keys))}
    if actor is Actor.RUSSIA:
        reversal = P["russia.sanctions"][..., 0] * (getattr(S, previous_key("russia.sanctions"))
                                                    == 1)
        terms["reversal_cost"] = -(w.reversal_cost * reversal)
    return terms


def russia_terms(P: dict, S: SimpleNamespace, K: KernelParams, *, inertia: bool = True
                 ) -> dict[str, np.ndarray]:
    """Russia: munitions for the war, minus reputation, payment, sanctions costs and what it
    forfeits with the West (its outside option), term by term (``TERM_SOURCES``); without
    the cost of changing course if not ``inertia``."""
    w, lv = K.russia, K.levers
    Pa, Pf, Pt, Pe = P["russia.arms"], P["russia.aid"], P["russia.tech"], P["russia.sanctions"]
    # the deal: Russia counts on its orders being filled (and on its payments calling forth
    # full supply) in share ``reciprocity``, and on what North Korea recently sent for the rest
    trust = K.dynamics.reciprocity
    supply = (1.0 - trust) * expect(P["north_korea.munitions"], SUPPLY) + trust
    filled = (1.0 - trust) * expected_min(Pa, P["north_korea.munitions"], ARMS, SUPPLY)
    delivered = (filled + trust * expect(Pa, ARMS)) * (1.0 - K.dynamics.interdiction
                                                       * S.coalition)
    arms, aid = expect(Pa, ARMS), expect(Pf, AID)
    tech, tech_sq = expect(Pt, TECH), expect(Pt, [x * x for x in TECH])
    evade = expect(Pe, EVADE)
    # the payment buys supply: valued against the supply North Korea is expected to send,
    # by what Pyongyang needs (its food gap, its remaining tech gap)
    shadow = w.continuation_value * S.war_demand * supply
    partnership = w.partnership_value * S.isolation_russia
    exposure = w.sanctions_exposure * (K.dynamics.sanctions_base + _bite(P, S)) * \
        S.sanctions_integrity * (1.0 - S.russia_circumvention)
    risk = w.proliferation_risk * (1.0 - K.dynamics.treaty_tech_discount * _treaty(S))
    return {
        "munitions_value": w.munitions_value * S.war_demand * delivered,
        "reputation_cost": -(lv.russia_reputation_cost * arms),
        "aid_payment": (partnership + shadow * S.nk_food_gap - w.aid_cost) * aid,
        "tech_payment": (partnership + shadow * (1.0 - S.nk_tech_level) - w.tech_cost) * tech,
        "proliferation_risk": -(risk * tech_sq),
        "evasion_gain": w.evasion_gain * S.isolation_russia * evade,
        "sanctions_exposure": -(exposure * (arms + evade)),
        "west_forfeit": -(w.west_forfeit * lv.russia_west_relations * (arms + evade)),
        **(inertia_terms(Actor.RUSSIA, P, S, K) if inertia else {}),
    }


def north_korea_terms(P: dict, S: SimpleNamespace, K: KernelParams, *, inertia: bool = True
                      ) -> dict[str, np.ndarray]:
    """North Korea: aid and technology received, and what it earns by selling shells, net of
    its outside option through China (restraint raises its cost of defying the regime)."""
    w = K.north_korea
    Ps = P["north_korea.munitions"]
    supply, supply_sq = expect(Ps, SUPPLY), expect(Ps, [x * x for x in SUPPLY])
    sold = expected_min(P["russia.arms"], Ps, ARMS, SUPPLY)  # shells only count if bought
    aid, tech = expect(P["russia.aid"], AID), expect(P["russia.tech"], TECH)
    china = P["china.stance"]
    squeezed = (1.0 - w.china_shield * china[..., CHINA_ENABLES]
                + w.china_dependence * china[..., CHINA_RESTRAINS])
    food_worth, tech_worth = _nk_values(S, K)
    received = food_worth * aid + tech_worth * tech
    # the going terms: food aid and dual-use technology per delivery, which North Korea
    # counts on in share ``reciprocity`` (the deal), the rest judged from Russia's recent play
    going = food_worth + tech_worth * TECH[1]
    trust = K.dynamics.reciprocity
    expected = (1.0 - trust) * received + trust * going
    exposure = w.sanctions_exposure * (K.dynamics.sanctions_base + _bite(P, S)) * \
        S.sanctions_integrity * squeezed
    return {
        "aid_and_tech_received": received,
        "exchange_earnings": w.exchange_share * S.war_demand * expected * supply,
        "production_cost": -(w.production_cost * supply_sq),
        "sanctions_exposure": -(exposure * supply),
        "partnership": w.partnership_value * S.isolation_north_korea * sold,
        **(inertia_terms(Actor.NORTH_KOREA, P, S, K) if inertia else {}),
    }


def united_states_terms(P: dict, S: SimpleNamespace, K: KernelParams, *,
                        inertia: bool = True) -> dict[str, np.ndarray]:
    """United States: harm from this month's trade and transfers, which sanctions rounds
    deter (concavely) at a convex cost, and the standing it loses to the alliance."""
    w = K.united_states
    Pp = P["united_states.pressure"]
    delivered = expected_min(P["russia.arms"], P["north_korea.munitions"], ARMS, SUPPLY)
    tech = expect(P["russia.tech"], TECH)
    flow_harm = (w.munitions_harm * delivered * (1.0 - K.dynamics.interdiction * S.coalition)
                 + w.tech_harm * tech)
    if K.escalation:  # North Korean soldiers fighting for Russia, deterred alike
        flow_harm = flow_harm + w.troops_harm * S.troops_in_combat
    return {
        "flow_harm": -flow_harm * (1.0 - w.deterrence * _bite(P, S)),
        "standing_loss": -(w.standing_loss * S.alliance_strength),
        "pressure_cost": -(w.pressure_cost * expect(Pp, [p * p for p in PRESSURE])),
        "regime_defence": w.regime_defence * (1.0 - S.sanctions_integrity) * expect(Pp, PRESSURE),
        **(inertia_terms(Actor.UNITED_STATES, P, S, K) if inertia else {}),
    }


def china_terms(P: dict, S: SimpleNamespace, K: KernelParams, *, inertia: bool = True
                ) -> dict[str, np.ndarray]:
    """China: counter-US gains of enabling against instability and sanctions risk."""
    w = K.china
    Pc = P["china.stance"]
    stance = expect(Pc, STANCE)
    pressure = expect(P["united_states.pressure"], PRESSURE)
    capability = S.nk_tech_level + expect(P["russia.tech"], TECH)
    return {
        "counter_us": (w.rivalry + w.counter_us * pressure) * stance,
        "instability_cost": -(w.instability_cost * capability * Pc[..., CHINA_ENABLES]),
        "secondary_sanctions_risk": -(w.secondary_sanctions_risk * pressure
                                      * Pc[..., CHINA_ENABLES]),
        "influence_loss": -(w.influence_loss * S.alliance_strength * Pc[..., CHINA_RESTRAINS]),
        **(inertia_terms(Actor.CHINA, P, S, K) if inertia else {}),
    }


TERM_FUNCTIONS = {
    Actor.RUSSIA: russia_terms,
    Actor.NORTH_KOREA: north_korea_terms,
    Actor.UNITED_STATES: united_states_terms,
    Actor.CHINA: china_terms,
}


def russia_payoff(P: dict, S: SimpleNamespace, K: KernelParams) -> np.ndarray:
    """Russia's payoff: the sum of :func:`russia_terms`."""
    return total(russia_terms(P, S, K))


def north_korea_payoff(P: dict, S: SimpleNamespace, K: KernelParams) -> np.ndarray:
    """North Korea's payoff: the sum of :func:`north_korea_terms`."""
    return total(north_korea_terms(P, S, K))


def united_states_payoff(P: dict, S: SimpleNamespace, K: KernelParams) -> np.ndarray:
    """The United States' payoff: the sum of :func:`united_states_terms`."""
    return total(united_states_terms(P, S, K))


def china_payoff(P: dict, S: SimpleNamespace, K: KernelParams) -> np.ndarray:
    """China's payoff: the sum of :func:`china_terms`."""
    return total(china_terms(P, S, K))


PAYOFF_FUNCTIONS = {
    Actor.RUSSIA: russia_payoff,
    Actor.NORTH_KOREA: north_korea_payoff,
    Actor.UNITED_STATES: united_states_payoff,
    Actor.CHINA: china_payoff,
}


def state_columns(state: dict[str, np.ndarray]) -> SimpleNamespace:
    """The state as ``(runs, 1)`` columns, to broadcast against ``(runs, options)``."""
    return SimpleNamespace(**{k: np.asarray(v)[:, None] for k, v in state.items()})


def _each_own_option(actor: Actor, beliefs: dict[str, np.ndarray]):
    """Per dimension of ``actor``: the play that sets that dimension to each of its options
    in turn (an identity matrix) against the others' beliefs, and the result's shape
    ``(runs, options)``."""
    others = {key: b[:, None, :] for key, b in beliefs.items()}
    runs = next(iter(beliefs.values())).shape[0]
    for dim in dimensions_of(actor):
        yield dim, {**others, dim.key: np.eye(dim.size)}, (runs, dim.size)


def option_payoff_terms(actor: Actor, beliefs: dict[str, np.ndarray], S: SimpleNamespace,
                        K: KernelParams) -> dict[str, dict[str, np.ndarray]]:
    """Each term of each option's payoff, as :func:`option_payoffs` sums them: per dimension
    of the actor, per term name (``TERM_SOURCES``), an array ``(runs, options)``."""
    terms_of = TERM_FUNCTIONS[Actor(actor)]
    return {dim.key: {name: np.broadcast_to(value, shape)
                      for name, value in terms_of(P, S, K).items()}
            for dim, P, shape in _each_own_option(actor, beliefs)}


def option_payoffs(actor: Actor, beliefs: dict[str, np.ndarray], S: SimpleNamespace,
                   K: KernelParams) -> dict[str, np.ndarray]:
    """Payoff of each option of each of ``actor``'s dimensions against the beliefs.

    ``beliefs`` maps every dimension key to ``(runs, options)`` probabilities; ``S`` comes
    from :func:`state_columns`; ``K`` must hold per-run arrays as ``(runs, 1)`` columns.
    Returns, per dimension of the actor, an array ``(runs, options)``.
    """
    payoff = PAYOFF_FUNCTIONS[Actor(actor)]
    return {dim.key: np.broadcast_to(payoff(P, S, K), shape)
            for dim, P, shape in _each_own_option(actor, beliefs)}
