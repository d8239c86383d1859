"""The decision rules a scenario may name: one registry of what each rule is.

Each entry declares a rule's name (the word a scenario file's ``rule = ...`` uses), its
one-line description and its classifiers (the axelrod habit):

- ``stochastic``: its choices depend on the run's uniforms (else a function of payoffs);
- ``needs_payoffs``: it replies to option payoffs against beliefs, dimension by
  dimension (``DecisionRule.choose``);
- ``needs_game``: it solves the month's whole stage game instead
  (``DecisionRule.choose_in_game``);
- ``slow``: a run-month costs far more than ``logit`` (the execution layer cuts runs of
  scenarios using it into small chunks, ``model.execution.plan``).

The scenario schema (``model.core.schema``) accepts exactly these names, the kernels
(``model.kernels.decisions``) take their classifiers from here, and the execution layer
its slow rules.

How to add a rule:

1. add its ``RuleInfo`` to ``RULE_INFO`` below;
2. in ``model/kernels/decisions.py``, subclass ``DecisionRule`` with ``name`` set to the
   same word and ``choose`` (or, with ``needs_game``, ``choose_in_game``) implemented,
   and add an instance to ``RULES`` there;
3. ``tests/test_rules.py`` runs the contract every rule promises (reproducible under a
   seed, valid options, truthful classifiers) over the whole registry; add a test class
   for what is specific to the new rule, and a row to the README's table of rules.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RuleInfo:
    """What a decision rule is (see the module docstring for each field)."""

    name: str
    description: str
    stochastic: bool
    needs_payoffs: bool = True
    needs_game: bool = False
    slow: bool = False


RULE_INFO: dict[str, RuleInfo] = {info.name: info for info in (
    RuleInfo("logit", "smoothed fictitious play: beliefs from past play, softmax with "
             "rationality lam", stochastic=True),
    RuleInfo("best_response", "myopic best reply to beliefs from past play",
             stochastic=False),
    RuleInfo("fixed", "always plays the scenario's 'action'", stochastic=False,
             needs_payoffs=False),
    # stochastic only through its QRE fallback when the stage game has no pure equilibrium
    RuleInfo("nash", "a pure equilibrium of the month's stage game (Pareto, then closest "
             "to last month, then total payoff); QRE if none", stochastic=True,
             needs_payoffs=False, needs_game=True),
    RuleInfo("qre", "a draw from the month's logit QRE at rationality lam", stochastic=True,
             needs_payoffs=False, needs_game=True, slow=True),
)}

#: The names a scenario's ``rule`` may take, in the README's order.
RULE_NAMES: tuple[str, ...] = tuple(RULE_INFO)
#: Rules whose scenarios the execution layer runs in small chunks.
SLOW_RULES: tuple[str, ...] = tuple(name for name, info in RULE_INFO.items() if info.slow)
