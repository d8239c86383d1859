"""What every scenario parameter means: its range, unit and one-line description.

Values and provenance live in the scenario files (``experiments/scenarios/*.toml``),
next to each other; this table holds what does not change between scenarios — the
allowed range and the meaning — so validation, the ``params`` command and the
sensitivity ranges all read one definition.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Article locators (see docs/source.md): paragraphs of the source article in reading order.
LOCATORS: dict[str, str] = {
    "lede": "opening summary: pressure mounts, both sides seek to fortify the alliance",
    "intro.1": "both leaders reclusive, both states sanctioned and opposed to US dominance",
    "intro.2": "a pragmatic, low-key affinity rather than a theatrical one",
    "mba.1": "Russia's war needs North Korean munitions, shells above all",
    "mba.2": "Shoigu's July 2023 visit and hints of joint exercises",
    "mba.3": "Kozyrev: buying arms from North Korea undermines the 'great power' claim",
    "sa.1": "Russia backed UN sanctions but now questions abiding by them",
    "nk.1": "North Korea could gain food aid and satellite/submarine technology",
    "lt.1": "Russia explores alternative alliances and learns to circumvent sanctions",
    "lt.2": "growing isolation may turn the alliance into long-term cooperation",
}
ASSUMPTION = "assumption"
#: A value fitted to the dated record (experiments/record/) by `python run.py calibrate`.
RECORD = "record"


@dataclass(frozen=True)
class ParamSpec:
    """Allowed range, unit and meaning of one scalar parameter."""

    low: float
    high: float
    unit: str
    meaning: str
    #: the optional module that reads it (``"escalation"``), None for the article's model
    module: str | None = None

    def allowed(self) -> str:
        """The range as users read it in error messages, e.g. ``0 ≤ value ≤ 1``, or
        ``a finite number ≥ 0`` when there is no upper bound (infinity is never allowed)."""
        if self.high == float("inf"):
            return f"a finite number ≥ {self.low:g}"
        return f"{self.low:g} ≤ value ≤ {self.high:g}"


INF = float("inf")
#: The optional module of the alliance past the article (``escalation = true``).
ESCALATION = "escalation"
W = (0.0, 50.0)  # payoff weights: utility units per unit of the state × action product

LEVERS: dict[str, ParamSpec] = {
    "war_demand": ParamSpec(0, 1, "index 0–1",
                            "Russia's need for munitions for the war in Ukraine"),
    "international_pressure": ParamSpec(0, 1, "index 0–1",
                                        "outside pressure and isolation on Russia and North Korea"),
    "nk_food_crisis": ParamSpec(0, 1, "index 0–1",
                                "severity of North Korea's structural food gap (month 0)"),
    "nk_tech_appetite": ParamSpec(0, INF, "utility per unit tech × remaining gap",
                                  "weight North Korea puts on Russian technology"),
    "russia_reputation_cost": ParamSpec(0, INF, "utility per unit arms bought",
                                        "weight of the 'great power' reputational cost"),
    "circumvention_learning": ParamSpec(0, INF, "per unit volume evaded",
                                        "how fast Russia learns to get round sanctions"),
    "russia_west_relations": ParamSpec(0, 1, "index 0–1 (0 hostile, 1 normal)",
                                       "Russia's relations with the West: its outside option"),
    "russia_territory_attacked": ParamSpec(0, 1, "index 0–1 (1 = a foreign ground force "
                                           "on Russian soil)",
                                           "Russian territory under attack: it makes combat "
                                           "deployment possible", module=ESCALATION),
}
#: Every lever may also be a step schedule ``[[month, value], ...]`` (from month 0).

ACTOR_RULE: dict[str, ParamSpec] = {
    "lam": ParamSpec(0, 100, "1 / utility unit",
                     "rationality of the logit choice (0 = uniform random, large = best reply)"),
}

WEIGHTS: dict[str, dict[str, ParamSpec]] = {
    "russia": {
        "munitions_value": ParamSpec(*W, "utility per unit delivered × war demand",
                                     "value of delivered munitions to the war effort"),
        "aid_cost": ParamSpec(*W, "utility per month of food aid", "cost of food and energy aid"),
        "tech_cost": ParamSpec(*W, "utility per unit tech", "cost of transferring technology"),
        "proliferation_risk": ParamSpec(*W, "utility per unit tech²",
                                        "extra risk of strategic (satellite, submarine) transfers"),
        "partnership_value": ParamSpec(*W, "utility per unit payment × isolation (and per "
                                       "unit strength × isolation in the treaty's value)",
                                       "value of the partnership as an alternative alliance"),
        "continuation_value": ParamSpec(*W, "utility per unit payment × war demand × expected "
                                        "supply × North Korea's need (food or tech gap)",
                                        "discounted value of future deliveries paying secures"),
        "evasion_gain": ParamSpec(*W, "utility per month of evasion × isolation",
                                  "value of no longer abiding by the UN sanctions regime"),
        "sanctions_exposure": ParamSpec(*W, "utility per unit violation × pressure × integrity",
                                        "cost of being caught violating sanctions"),
        "switching_cost": ParamSpec(*W, "utility per dimension changed",
                                    "cost of changing a policy from last month's (inertia)"),
        "reversal_cost": ParamSpec(*W, "utility per return to enforcing",
                                   "extra cost of re-joining a sanctions regime once abandoned"),
        "treaty_value": ParamSpec(*W, "utility per unit war demand × strength",
                                  "value of supply locked in by a treaty"),
        "treaty_cost": ParamSpec(*W, "utility per month",
                                 "entrapment and status cost of a formal alliance"),
        "west_forfeit": ParamSpec(*W, "utility per unit (arms + evasion) × West relations",
                                  "what Russia forfeits with the West by buying and evading"),
        # the escalation module (read only with ``escalation = true``)
        "manpower_value": ParamSpec(*W, "utility per unit military technology × war demand × "
                                    "troops deployed",
                                    "value of North Korean soldiers, paid for in military "
                                    "technology", module=ESCALATION),
        "mil_tech_cost": ParamSpec(*W, "utility per unit military technology",
                                   "cost of giving away air defence, EW and missile know-how",
                                   module=ESCALATION),
        "strategic_risk": ParamSpec(*W, "utility per unit military technology²",
                                    "risk of strategic (submarine, nuclear-adjacent) help",
                                    module=ESCALATION),
    },
    "north_korea": {
        "food_value": ParamSpec(*W, "utility per month of aid × food gap",
                                "value of Russian food aid given the food gap"),
        "production_cost": ParamSpec(*W, "utility per unit supply²",
                                     "cost of producing munitions (rising marginal cost)"),
        "exchange_share": ParamSpec(0, 1, "share",
                                    "share of Russia's recent payments North Korea credits to "
                                    "its deliveries"),
        "sanctions_exposure": ParamSpec(*W, "utility per unit supply × pressure × integrity",
                                        "cost of sanctions exposure from arms sales"),
        "china_shield": ParamSpec(0, 1, "share", "share of that exposure China's enabling removes"),
        "china_dependence": ParamSpec(0, 10, "share",
                                      "share added to that exposure when China restrains "
                                      "(North Korea's dependence on Chinese trade)"),
        "partnership_value": ParamSpec(*W, "utility per unit supply × isolation",
                                       "value of the partnership to an isolated North Korea"),
        "switching_cost": ParamSpec(*W, "utility per change",
                                    "cost of changing the supply level from last month's"),
        "treaty_value": ParamSpec(*W, "utility per unit strength × isolation",
                                  "insurance a treaty gives against abandonment"),
        "treaty_cost": ParamSpec(*W, "utility", "autonomy a formal alliance costs"),
        # the escalation module (read only with ``escalation = true``)
        "manpower_pay": ParamSpec(*W, "utility per unit manpower × war demand",
                                  "oil and cash Russia pays for soldiers and workers",
                                  module=ESCALATION),
        "casualty_cost": ParamSpec(*W, "utility per month of combat × war demand",
                                   "cost of losses in combat", module=ESCALATION),
        "experience_value": ParamSpec(*W, "utility per month of combat × war demand × "
                                      "experience gap",
                                      "value of modern combat experience", module=ESCALATION),
        "defence_obligation": ParamSpec(*W, "utility per month of combat × war demand while "
                                        "a treaty ally is attacked",
                                        "value of honouring the treaty's defence clause: its "
                                        "own insurance is only as good as its word",
                                        module=ESCALATION),
        "china_friction": ParamSpec(*W, "utility per unit manpower × China's restraint",
                                    "friction with Beijing from sending soldiers",
                                    module=ESCALATION),
    },
    "united_states": {
        "munitions_harm": ParamSpec(*W, "utility per unit delivered",
                                    "harm of Russia's munitions gains to US interests"),
        "tech_harm": ParamSpec(*W, "utility per unit tech", "harm of North Korea's tech gains"),
        "pressure_cost": ParamSpec(*W, "utility per unit pressure²",
                                   "economic and diplomatic cost (convex: coalitions cost most)"),
        "standing_loss": ParamSpec(*W, "utility per unit strength",
                                   "harm to US standing from a consolidating anti-US bloc"),
        "deterrence": ParamSpec(0, 1, "share",
                                "share of the harm of this month's deliveries and transfers "
                                "that saturated sanctions avert"),
        "regime_defence": ParamSpec(*W, "utility per unit pressure × (1 − integrity)",
                                    "value of shoring up an eroding sanctions regime"),
        "switching_cost": ParamSpec(*W, "utility per change",
                                    "cost of changing the pressure level from last month's"),
        "troops_harm": ParamSpec(*W, "utility per unit troops in combat",
                                 "harm of North Korean soldiers fighting for Russia, which "
                                 "pressure deters like the trade's", module=ESCALATION),
    },
    "china": {
        "rivalry": ParamSpec(*W, "utility per unit stance", "baseline counter-US value of enabling"
                             ),
        "counter_us": ParamSpec(*W, "utility per unit stance × US pressure",
                                "counter-US value of enabling when Washington presses"),
        "instability_cost": ParamSpec(*W, "utility per unit NK capability when enabling",
                                      "instability on the peninsula from a more capable NK"),
        "secondary_sanctions_risk": ParamSpec(*W, "utility per unit US pressure",
                                              "risk to Chinese firms when enabling"),
        "influence_loss": ParamSpec(*W, "utility per unit strength",
                                    "influence over Pyongyang lost by restraining it"),
        "switching_cost": ParamSpec(*W, "utility per change",
                                    "cost of changing its stance from last month's"),
    },
}

RATE = (0.0, 1.0)
DYNAMICS: dict[str, ParamSpec] = {
    "belief_weight": ParamSpec(*RATE, "share per month",
                               "weight of last month's play in public beliefs (fictitious play)"),
    "alliance_growth": ParamSpec(*RATE, "per month", "growth of strength under cooperation"),
    "alliance_decay": ParamSpec(*RATE, "per month", "decay of strength without cooperation"),
    "coop_munitions": ParamSpec(0, 10, "weight", "weight of munitions deliveries in cooperation"),
    "coop_aid": ParamSpec(0, 10, "weight", "weight of food aid in cooperation"),
    "coop_tech": ParamSpec(0, 10, "weight", "weight of technology transfer in cooperation"),
    "coop_evasion": ParamSpec(0, 10, "weight", "weight of Russia's open sanctions evasion"),
    "level_diplomatic": ParamSpec(*RATE, "strength", "strength at which ties are 'diplomatic'"),
    "level_arms_trade": ParamSpec(*RATE, "strength", "strength at which ties are an 'arms trade'"),
    "level_tech_transfer": ParamSpec(*RATE, "strength", "strength of a 'tech transfer' relation"),
    "reciprocity": ParamSpec(*RATE, "share",
                             "share of the deal's terms each side counts on per delivery "
                             "(orders filled, shipments paid), the rest judged from recent play"),
    "treaty_steps": ParamSpec(1, 12, "diplomatic steps",
                              "summits and ministerial visits a treaty takes; the last is the "
                              "reciprocal summit that signs it"),
    "treaty_drafting": ParamSpec(1, 24, "months",
                                 "months of drafting the treaty's text, each needing both "
                                 "sides' will, between the last preparatory step and the "
                                 "summit that signs it"),
    "treaty_exit_cost": ParamSpec(0, 50, "utility per month",
                                  "what denouncing a treaty costs the side that does it"),
    "treaty_notice": ParamSpec(1, 120, "months",
                               "months a side's treaty value must stay below its exit cost "
                               "before it denounces the treaty"),
    "treaty_anchor": ParamSpec(*RATE, "share", "share of the alliance's decay a treaty prevents"),
    "treaty_tech_discount": ParamSpec(*RATE, "share",
                                      "share of the strategic-transfer risk a treaty removes"),
    "food_reversion": ParamSpec(*RATE, "per month",
                                "pull of the food gap back to its structural level"),
    "aid_relief": ParamSpec(*RATE, "gap per month of aid", "food gap closed by a month of aid"),
    "tech_absorption": ParamSpec(*RATE, "share per unit tech",
                                 "share of the remaining tech gap a unit transfer closes"),
    "erosion_by_evasion": ParamSpec(*RATE, "share per month",
                                    "sanctions integrity lost per month of Russian evasion"),
    "erosion_by_china": ParamSpec(*RATE, "share per month",
                                  "sanctions integrity lost per month of Chinese enabling"),
    "repair_by_pressure": ParamSpec(*RATE, "share per unit pressure",
                                    "integrity restored per month of US pressure"),
    "repair_by_china": ParamSpec(*RATE, "share per month",
                                 "integrity restored per month of Chinese restraint"),
    "circumvention_via_china": ParamSpec(0, 10, "relative to a unit of volume evaded",
                                         "learning from evading with an enabling China"),
    "enforcer_adaptation": ParamSpec(*RATE, "per month",
                                     "pull of circumvention skill back to its start as "
                                     "enforcers adapt"),
    "reputation_loss": ParamSpec(*RATE, "per unit delivered",
                                 "reputation lost per month of large visible arms buying"),
    "reputation_recovery": ParamSpec(*RATE, "per month", "recovery of reputation toward 1"),
    "isolation_adjust": ParamSpec(*RATE, "per month", "speed at which isolation tracks pressure"),
    "russia_isolation_base": ParamSpec(*RATE, "index 0–1", "Russia's isolation without pressure"),
    "nk_isolation_base": ParamSpec(*RATE, "index 0–1", "North Korea's isolation without pressure"),
    "isolation_per_pressure": ParamSpec(*RATE, "per unit lever",
                                        "isolation added by international pressure"),
    "isolation_per_us_pressure": ParamSpec(*RATE, "per unit US pressure",
                                           "isolation added by US pressure"),
    "sanctions_base": ParamSpec(0, 10, "pressure units",
                                "bite of the existing sanctions regime when the US holds course"),
    "interdiction": ParamSpec(*RATE, "share at a full coalition",
                              "mean share of deliveries a fully built coalition stops"),
    "designation_reroute": ParamSpec(*RATE, "per month",
                                     "share of designations' bite lost each month as networks "
                                     "re-route"),
    "coalition_build": ParamSpec(*RATE, "per month",
                                 "share of the missing coalition built per month of "
                                 "coalition enforcement"),
    "coalition_unwind": ParamSpec(*RATE, "per month",
                                  "share of the coalition lost per month without it"),
    "china_food_lever": ParamSpec(*RATE, "food gap",
                                  "food gap China's restraint adds (its enabling removes) "
                                  "through North Korea's trade with China"),
    "isolation_relief_by_west": ParamSpec(*RATE, "per unit West relations",
                                          "isolation Russia sheds with normal relations"),
    "isolation_relief_by_partner": ParamSpec(*RATE, "per unit strength",
                                             "isolation North Korea sheds through the alliance"),
    # the escalation module (read only with ``escalation = true``)
    "troop_buildup": ParamSpec(*RATE, "per month",
                               "share of the gap between the troops in Russia and the "
                               "deployment chosen that closes each month (arrivals, "
                               "withdrawals)", module=ESCALATION),
    "troop_attrition": ParamSpec(*RATE, "per month of combat",
                                 "share of a deployment in combat lost each month",
                                 module=ESCALATION),
    "experience_gain": ParamSpec(*RATE, "per month of combat",
                                 "share of the combat-experience gap a month of fighting "
                                 "closes", module=ESCALATION),
    "experience_decay": ParamSpec(*RATE, "per month", "experience lost per month out of combat",
                                  module=ESCALATION),
    "treaty_ratification": ParamSpec(0, 36, "months",
                                     "months from a treaty's signature to its entry into force "
                                     "(ratification by both sides)", module=ESCALATION),
}

INITIAL: dict[str, ParamSpec] = {
    "alliance_strength": ParamSpec(*RATE, "index 0–1", "strength of ties in July 2023"),
    "nk_tech_level": ParamSpec(*RATE, "index 0–1", "North Korea's satellite/submarine tech"),
    "sanctions_integrity": ParamSpec(*RATE, "index 0–1", "integrity of the UN sanctions regime"),
    "russia_circumvention": ParamSpec(*RATE, "index 0–1", "Russia's skill at circumvention"),
    "russia_reputation": ParamSpec(*RATE, "index 0–1", "Russia's standing as a 'great power'"),
    "isolation_russia": ParamSpec(*RATE, "index 0–1", "Russia's isolation"),
    "isolation_north_korea": ParamSpec(*RATE, "index 0–1", "North Korea's isolation"),
}

#: Every scalar parameter by its dotted key, for validation messages and the params table.
SPECS: dict[str, ParamSpec] = {
    **{f"levers.{k}": v for k, v in LEVERS.items()},
    **{f"{actor}.{k}": v for actor in WEIGHTS for k, v in ACTOR_RULE.items()},
    **{f"{actor}.weights.{k}": v for actor, ws in WEIGHTS.items() for k, v in ws.items()},
    **{f"dynamics.{k}": v for k, v in DYNAMICS.items()},
    **{f"initial.{k}": v for k, v in INITIAL.items()},
}


#: The explored range of a parameter: where Sobol', Morris, scenario discovery and the
#: calibration's priors look. Dotted key -> (low, high, why this range). Levers span the
#: plausible worlds the scenario library describes; payoff weights and rates span about
#: ±50% of the baseline value (an order-of-magnitude judgment is the best the article
#: supports for them). To explore a parameter, add it here.
EXPLORED_RANGES: dict[str, tuple[float, float, str]] = {
    "levers.war_demand": (
        0.15, 1.0,
        "from a ceasefire with only stockpile rebuilding (0.15, as in ukraine_ceasefire) to "
        "all-out war; baseline 0.8"),
    "levers.international_pressure": (
        0.2, 1.0,
        "from a partial thaw to total isolation (isolation_rises has 0.85); baseline 0.6"),
    "levers.nk_food_crisis": (
        0.2, 1.0,
        "from a good-harvest gap to outright famine (nk_famine has 0.95); baseline 0.6"),
    "levers.nk_tech_appetite": (
        0.5, 4.0,
        "from a quarter to twice the baseline 2.0: technology worth far less than food aid "
        "to worth twice as much"),
    "levers.russia_reputation_cost": (
        0.0, 2.0,
        "from Moscow ignoring the 'great power' critique to reputation_bites (2.0, four "
        "times the baseline 0.5)"),
    "levers.circumvention_learning": (
        0.0, 0.45,
        "from no learning to three times the baseline 0.15 (per unit of volume evaded)"),
    "levers.russia_west_relations": (
        0.0, 1.0, "from hostile to normal relations with the West (baseline 0.1): Russia's "
        "outside option"),
    "russia.weights.munitions_value": (
        1.5, 4.5, "±50% around the baseline 3.0: the size of the shells' value is judgment"),
    "russia.weights.continuation_value": (
        0.75, 2.25,
        "±50% around the baseline 1.5: the supply Russia's payments buy, which makes it pay"),
    "russia.weights.partnership_value": (
        0.25, 0.75,
        "±50% around the baseline 0.5: value of an alternative alliance to isolated Russia"),
    "north_korea.weights.production_cost": (
        0.15, 0.45, "±50% around the baseline 0.3: the cost of making shells at scale"),
    "north_korea.weights.exchange_share": (
        0.3, 0.9,
        "±50% around the baseline 0.6: how much of Russia's aid and tech Pyongyang reads as "
        "payment for shells"),
    "dynamics.alliance_growth": (
        0.075, 0.225,
        "±50% around the baseline 0.15: monthly growth of ties under full cooperation"),
    # the structure of issue 9 (the decided treaty, the conditional exchange, deterrence)
    # and the weights the calibration fits besides the ones above
    "russia.weights.evasion_gain": (
        0.3, 1.8, "the value of leaving the UN regime (sa.1) is judgment: from half to "
        "three times the baseline 0.6; the veto (R13) informs it"),
    "united_states.weights.munitions_harm": (
        1.0, 4.0, "US harm from Russia's munitions gains is an assumption: half to twice "
        "the baseline 2.0; the designation rounds (R09, R12, R15) inform it"),
    "united_states.weights.deterrence": (
        0.25, 0.75, "±50% around the baseline 0.5: the share of that harm US pressure averts"),
    "russia.weights.treaty_value": (
        1.0, 6.0, "what a treaty's locked-in supply is worth to Moscow is judgment: half "
        "to three times the baseline 2.0; the talks' steps and the treaty month (R02, R19, "
        "R06, R20, R17) inform it"),
    "north_korea.weights.treaty_value": (
        1.0, 6.0, "the insurance a treaty gives Pyongyang is judgment: half to three times "
        "the baseline 2.0; the talks' steps and the treaty month (R02, R19, R06, R20, R17) "
        "inform it"),
    "russia.weights.treaty_cost": (
        0.5, 1.5, "±50% around the baseline 1.0: entrapment and status cost of a treaty "
        "to Moscow (mba.3)"),
    "north_korea.weights.treaty_cost": (
        0.5, 1.5, "±50% around the baseline 1.0: the autonomy a treaty costs Pyongyang"),
    # the outside options, exit and the rounds of pressure (issue "An alliance that
    # answers to its reasons")
    "russia.weights.west_forfeit": (
        0.75, 2.25, "±50% around the baseline 1.5: what buying and evading cost Russia with "
        "the West per unit of relations"),
    "north_korea.weights.china_dependence": (
        0.4, 1.2, "±50% around the baseline 0.8: how much China's restraint adds to "
        "North Korea's cost of defying the regime"),
    "dynamics.china_food_lever": (
        0.05, 0.3, "from a third to twice the baseline 0.15: the food gap China's stance "
        "opens or closes"),
    "dynamics.treaty_exit_cost": (
        0.5, 2.0, "from half to twice the baseline 1.0: what denouncing the treaty costs"),
    "dynamics.designation_reroute": (
        0.1, 0.5, "networks re-route within ten months to within two (baseline 0.25)"),
    "dynamics.coalition_build": (
        0.05, 0.2, "a coalition built in about two years to in about five months (baseline "
        "0.1)"),
    "dynamics.enforcer_adaptation": (
        0.01, 0.06, "from a third to twice the baseline 0.03: how fast enforcers close "
        "Russia's routes"),
    "united_states.weights.pressure_cost": (
        0.4, 1.6, "±100%/−50% around the baseline 0.8: the (convex) cost of pressure"),
    "dynamics.reciprocity": (
        0.25, 0.75, "±50% around the baseline 0.5: the share of the deal's terms each side "
        "counts on rather than judging from the other's recent play"),
    # the escalation module (explored only where a scenario turns it on)
    "levers.russia_territory_attacked": (
        0.0, 1.0, "from no attack on Russia to a foreign force holding Russian soil (the "
        "escalation scenario has 1 from August 2024, R22)"),
    "north_korea.weights.manpower_pay": (
        0.2, 0.6, "±50% around the baseline 0.4: the oil and cash a deployment earns"),
    "north_korea.weights.casualty_cost": (
        0.4, 1.2, "±50% around the baseline 0.8: what losses cost Pyongyang"),
    "north_korea.weights.defence_obligation": (
        0.4, 1.2, "±50% around the baseline 0.8: the value of honouring the defence clause"),
    "north_korea.weights.experience_value": (
        0.3, 0.9, "±50% around the baseline 0.6: the value of combat experience"),
    "north_korea.weights.china_friction": (
        0.15, 0.45, "±50% around the baseline 0.3: the friction with a restraining Beijing "
        "that sending soldiers causes"),
    "russia.weights.manpower_value": (
        1.0, 3.0, "±50% around the baseline 2.0: what a foreign soldier is worth to Moscow"),
    "russia.weights.strategic_risk": (
        0.75, 2.25, "±50% around the baseline 1.5: the risk of strategic military help"),
    "dynamics.troop_buildup": (
        0.2, 0.5, "a deployment built in about five months to in two (baseline 0.35, R28)"),
    "dynamics.treaty_ratification": (
        2.0, 12.0, "a treaty in force within two months of signature to within a year "
        "(baseline 6)"),
}

#: The escalation module's parameters (read only with ``escalation = true``).
ESCALATION_PARAMS: frozenset[str] = frozenset(k for k, spec in SPECS.items()
                                              if spec.module == ESCALATION)


def explored_keys(escalation: bool = False) -> tuple[str, ...]:
    """The parameters with an explored range that a model reads: all of them with the
    escalation module on, the article's without it (the module's would move nothing)."""
    return tuple(k for k in EXPLORED_RANGES if escalation or k not in ESCALATION_PARAMS)

