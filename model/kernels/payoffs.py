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

The exchange (arms for aid) is conditional. The pair has a deal whose terms each side
counts on in share ``dynamics.reciprocity`` and judges from the other's recent play for
the rest: North Korea's supply payoff counts the compensation it expects per delivery
(``exchange_share`` of the going terms — food aid and dual-use know-how — and of what
Russia recently paid), and Russia's purchases count on its orders being filled. Russia's
payments are valued against the supply they buy (``continuation_value`` × war demand ×
expected supply × what the payment is worth to Pyongyang): a payment to a partner that
withholds is worth little. With both sides gaining from trade, best replies leave the
no-trade posture at once; there is no coordination trap.

Persistence: every actor pays ``switching_cost`` per dimension whose option differs from
last month's (read from the state's memory, ``last.<actor>.<dimension>``, see
``dynamics.with_memory``); Russia pays ``reversal_cost`` more to go back to enforcing
sanctions after evading. The treaty (``alliance_level`` 4) cuts the risk of strategic
transfers by ``treaty_tech_discount``. The United States suffers harm from transfers,
North Korea's capability and the alliance whatever it does, and pressure averts a share
``deterrence`` of it, so pressure responds to the alliance. China pays for enabling in
proportion to North Korea's capability and Russia's transfers.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ..core.actions import CHINA_ENABLES, CHINA_RESTRAINS, DIMENSION_BY_KEY, Actor, dimensions_of
from ..core.state import AllianceLevel
from .dynamics import sanctions_bite
from .params import KernelParams

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


def previous_key(key: str) -> str:
    """State key holding the option index played last month in dimension ``key``."""
    return "last." + key


def _last_option(S: SimpleNamespace, key: str):
    last = getattr(S, previous_key(key), None)
    if last is None:
        raise KeyError(f"the state has no {previous_key(key)!r} (last month's option); build it "
                       "with model.kernels.with_memory(state, choice)")
    return last


_RUNS_FIRST, _RUNS_LAST = "runs first", "runs last"


def _shared_play(play: np.ndarray, last) -> str | None:
    """How ``play`` is the same for every run, if it is, with ``last`` integer: runs first
    (``play`` ``(profiles, options)``, ``last`` ``(runs, 1)``) or runs last (``play``
    ``(*grid, 1, options)``, ``last`` ``(runs,)``). Then each run's terms can be picked
    from a table of every last option."""
    if not np.issubdtype(np.asarray(last).dtype, np.integer):
        return None
    if play.ndim == 2 and np.ndim(last) == 2 and np.shape(last)[1] == 1:
        return _RUNS_FIRST
    if play.ndim >= 2 and play.shape[-2] == 1 and np.ndim(last) == 1:
        return _RUNS_LAST
    return None


def switching(P: dict, S: SimpleNamespace, key: str) -> np.ndarray:
    """Probability of changing dimension ``key``'s option from last month's (0 or 1 if pure)."""
    return switches(P, S, (key,))


def switches(P: dict, S: SimpleNamespace, keys: tuple[str, ...]) -> np.ndarray:
    """Expected number of the dimensions ``keys`` whose option differs from last month's:
    the sum, in the order of ``keys``, of each one's ``1 - P[last option]`` (a count of
    changes if play is pure)."""
    lasts = [_last_option(S, key) for key in keys]
    plays = [P[key] for key in keys]
    shared = {_shared_play(play, last) for play, last in zip(plays, lasts)}
    if shared == {_RUNS_FIRST} or shared == {_RUNS_LAST}:
        # play the same for every run: the sum for every combination of last options (the
        # same numbers as the sum below: one non-zero term per dimension), then each
        # run's entry of it
        table = None
        for play in plays:
            change = 1.0 - (play if _RUNS_FIRST in shared else play[..., 0, :])  # options last
            if table is None:
                table = change
            else:  # every combination so far × this dimension's options, in order
                pairs = table[..., :, None] + change[..., None, :]
                table = pairs.reshape(*pairs.shape[:-2], -1)
        joint = np.asarray(lasts[0]).reshape(-1)
        for play, last in zip(plays[1:], lasts[1:]):
            joint = joint * play.shape[-1] + np.asarray(last).reshape(-1)
        return table.T[joint] if _RUNS_FIRST in shared else table[..., joint]
    total = None
    for play, last in zip(plays, lasts):
        stay = play[..., 0] * (last == 0)
        for j in range(1, play.shape[-1]):
            stay = stay + play[..., j] * (last == j)
        total = 1.0 - stay if total is None else total + (1.0 - stay)
    return total


def _treaty(S: SimpleNamespace) -> np.ndarray:
    return (S.alliance_level == TREATY).astype(float)


def _bite(P: dict, S: SimpleNamespace) -> np.ndarray:
    """Expected bite of sanctions this month: the designations in force plus this month's
    US round, concave in rounds (``dynamics.sanctions_bite``)."""
    return expect(P["united_states.pressure"],
                  [sanctions_bite(S.us_designations, p) for p in PRESSURE])


def russia_payoff(P: dict, S: SimpleNamespace, K: KernelParams) -> np.ndarray:
    """Russia: munitions for the war, minus reputation, payment, sanctions costs and what it
    forfeits with the West (its outside option)."""
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
    changes = switches(P, S, ("russia.arms", "russia.aid", "russia.tech", "russia.sanctions"))
    # going back to enforcing a regime it has abandoned (vetoed monitoring) costs extra
    reversal = P["russia.sanctions"][..., 0] * (getattr(S, previous_key("russia.sanctions")) == 1)
    return (w.munitions_value * S.war_demand * delivered                     # mba.1
            - lv.russia_reputation_cost * arms                               # mba.3
            + (partnership + shadow * S.nk_food_gap - w.aid_cost) * aid      # nk.1, lt.2
            + (partnership + shadow * (1.0 - S.nk_tech_level) - w.tech_cost) * tech  # nk.1
            - risk * tech_sq                                                 # assumption
            + w.evasion_gain * S.isolation_russia * evade                    # sa.1
            - exposure * (arms + evade)                                      # sa.1, lt.1
            - w.west_forfeit * lv.russia_west_relations * (arms + evade)     # lt.1, assumption
            - w.switching_cost * changes                                     # assumption
            - w.reversal_cost * reversal)                                    # sa.1


def north_korea_payoff(P: dict, S: SimpleNamespace, K: KernelParams) -> np.ndarray:
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
    received = food_worth * aid + tech_worth * tech                          # nk.1
    # the going terms: food aid and dual-use technology per delivery, which North Korea
    # counts on in share ``reciprocity`` (the deal), the rest judged from Russia's recent play
    terms = food_worth + tech_worth * TECH[1]
    trust = K.dynamics.reciprocity
    expected = (1.0 - trust) * received + trust * terms
    exposure = w.sanctions_exposure * (K.dynamics.sanctions_base + _bite(P, S)) * \
        S.sanctions_integrity * squeezed
    return (received
            + w.exchange_share * S.war_demand * expected * supply            # mba.1, exchange
            - w.production_cost * supply_sq                                  # mba.1
            - exposure * supply                                              # intro.1, lt.1
            + w.partnership_value * S.isolation_north_korea * sold           # intro.1, lt.2
            - w.switching_cost * switching(P, S, "north_korea.munitions"))   # assumption


def united_states_payoff(P: dict, S: SimpleNamespace, K: KernelParams) -> np.ndarray:
    """United States: harm from this month's trade and transfers, which sanctions rounds
    deter (concavely) at a convex cost, and the standing it loses to the alliance."""
    w = K.united_states
    Pp = P["united_states.pressure"]
    delivered = expected_min(P["russia.arms"], P["north_korea.munitions"], ARMS, SUPPLY)
    tech = expect(P["russia.tech"], TECH)
    flow_harm = (w.munitions_harm * delivered * (1.0 - K.dynamics.interdiction * S.coalition)
                 + w.tech_harm * tech)
    return (- flow_harm * (1.0 - w.deterrence * _bite(P, S))                 # mba.1, nk.1
            - w.standing_loss * S.alliance_strength                          # intro.1
            - w.pressure_cost * expect(Pp, [p * p for p in PRESSURE])        # assumption
            + w.regime_defence * (1.0 - S.sanctions_integrity) * expect(Pp, PRESSURE)
            - w.switching_cost * switching(P, S, "united_states.pressure"))  # assumption


def china_payoff(P: dict, S: SimpleNamespace, K: KernelParams) -> np.ndarray:
    """China: counter-US gains of enabling against instability and sanctions risk."""
    w = K.china
    Pc = P["china.stance"]
    stance = expect(Pc, STANCE)
    pressure = expect(P["united_states.pressure"], PRESSURE)
    capability = S.nk_tech_level + expect(P["russia.tech"], TECH)
    return ((w.rivalry + w.counter_us * pressure) * stance                   # assumption
            - w.instability_cost * capability * Pc[..., CHINA_ENABLES]       # assumption
            - w.secondary_sanctions_risk * pressure * Pc[..., CHINA_ENABLES]  # assumption
            - w.influence_loss * S.alliance_strength * Pc[..., CHINA_RESTRAINS]  # assumption
            - w.switching_cost * switching(P, S, "china.stance"))            # assumption


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
