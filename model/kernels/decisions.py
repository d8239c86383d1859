"""Decision rules: how an actor turns option payoffs into a chosen option.

Rules are small registered objects (the axelrod habit): each declares what it is
(``stochastic``, ``needs_payoffs``: the registry ``model.core.rules`` says, and how to add
a rule) and has one method, ``choose``, that maps a batch of
option payoffs ``(runs, options)`` and one uniform draw per run to option indices.
Sampling uses the inverse CDF of the choice probabilities with the run's own uniform,
so a run's choices depend only on its own random stream, whatever the batch size.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import ClassVar

import numpy as np

from ..core.actions import ACTION_COLUMNS, Actor, dimensions_of, escalation_dimensions_of
from ..core.rules import RULE_INFO
from ..core.schema import FREE
from .choice import sample, softmax
from .game_rules import GameMemory, MonthGame, nash_choices, qre_all
from .params import KernelParams
from .payoffs import option_payoffs

__all__ = ["softmax", "sample", "RULES", "ActorPolicy", "decide", "GameMemory", "MonthGame",
           "pinned_options"]


@dataclass(frozen=True)
class DecisionRule:
    """Base class: a named rule that picks one option per run.

    A subclass sets ``name``; its description and classifiers (``stochastic``,
    ``needs_payoffs``, ``needs_game``) are the registry's (``model.core.rules``).
    """

    name: ClassVar[str] = ""
    stochastic: ClassVar[bool] = False
    needs_payoffs: ClassVar[bool] = True
    needs_game: ClassVar[bool] = False
    description: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        info = RULE_INFO[cls.name]  # a KeyError here: register the rule in core/rules.py
        cls.stochastic, cls.needs_payoffs = info.stochastic, info.needs_payoffs
        cls.needs_game, cls.description = info.needs_game, info.description

    def choose(self, payoffs: np.ndarray | None, uniforms: np.ndarray,
               lam: float | np.ndarray, fixed: int | None = None) -> np.ndarray:
        """Option indices ``(runs,)`` from option payoffs ``(runs, options)`` against the
        beliefs, one uniform per run, rationality ``lam`` and (``fixed``) a pinned index."""
        raise NotImplementedError

    def choose_in_game(self, game: MonthGame, actor: Actor, lam,
                       uniforms: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Option indices by dimension key for ``actor`` from the month's stage games."""
        raise NotImplementedError


@dataclass(frozen=True)
class Logit(DecisionRule):
    """Smoothed fictitious play: softmax of λ × expected payoff against beliefs."""

    name: ClassVar[str] = "logit"

    def choose(self, payoffs, uniforms, lam, fixed=None):
        return sample(softmax(payoffs, lam), uniforms)


@dataclass(frozen=True)
class BestResponse(DecisionRule):
    """The option with the highest expected payoff against beliefs (first on ties)."""

    name: ClassVar[str] = "best_response"

    def choose(self, payoffs, uniforms, lam, fixed=None):
        return np.argmax(payoffs, axis=-1).astype(np.int64)


@dataclass(frozen=True)
class Fixed(DecisionRule):
    """Always the scenario's given option ("what if China restrains?")."""

    name: ClassVar[str] = "fixed"

    def choose(self, payoffs, uniforms, lam, fixed=None):
        if fixed is None:
            raise ValueError("the fixed rule needs an option index")
        return np.full(uniforms.shape, fixed, dtype=np.int64)


@dataclass(frozen=True)
class Nash(DecisionRule):
    """Its part of a selected pure equilibrium of the month's stage game (QRE if none)."""

    name: ClassVar[str] = "nash"

    def choose_in_game(self, game, actor, lam, uniforms):
        return nash_choices(game, actor, lam, uniforms)


@dataclass(frozen=True)
class QRE(DecisionRule):
    """A draw from the month's logit quantal response equilibrium at ``lam``."""

    name: ClassVar[str] = "qre"

    def choose_in_game(self, game, actor, lam, uniforms):
        return qre_all(game, actor, lam, uniforms)


RULES: dict[str, DecisionRule] = {rule.name: rule for rule in
                                  (Logit(), BestResponse(), Fixed(), Nash(), QRE())}


@dataclass(frozen=True)
class ActorPolicy:
    """An actor's rule and the dimensions pinned to one option (all of them for ``fixed``).

    A scenario's ``action`` may pin only some dimensions (e.g. Russia openly evading
    sanctions while still choosing arms, aid and technology by its rule), and may pin a
    dimension on a schedule (``schedules``: dimension key → ``((month, option index or
    None), ...)``, None where the rule decides); :meth:`at` gives the month's pins.
    """

    actor: Actor
    rule: DecisionRule
    fixed: dict[str, int]
    schedules: dict[str, tuple[tuple[int, int | None], ...]] = field(default_factory=dict)

    @property
    def reads_beliefs(self) -> bool:
        """Whether ``decide`` uses the beliefs: a rule replying to them (not one solving
        the stage game) with a dimension left free in some month."""
        free = any(d.key not in self.fixed or d.key in self.schedules
                   for d in dimensions_of(self.actor))
        return self.rule.needs_payoffs and not self.rule.needs_game and free

    def at(self, month: int) -> ActorPolicy:
        """The policy in force in ``month``: scheduled dimensions pinned to that month's
        option, or left to the rule (the same object when nothing is scheduled)."""
        if not self.schedules:
            return self
        fixed = dict(self.fixed)
        for key, steps in self.schedules.items():
            option = None
            for start, index in steps:
                if start <= month:
                    option = index
            if option is None:
                fixed.pop(key, None)
            else:
                fixed[key] = option
        return replace(self, fixed=fixed, schedules={})

    @classmethod
    def from_scenario(cls, scenario, actor: Actor) -> ActorPolicy:
        """The actor's rule, pinned options and option schedules as its scenario table
        gives them (the escalation module's dimensions included)."""
        config = scenario.actor(actor)
        fixed, schedules = {}, {}
        for d in dimensions_of(actor) + escalation_dimensions_of(actor):
            value = (config.action or {}).get(d.name)
            if isinstance(value, list):
                schedules[d.key] = tuple((month, None if option == FREE else d.index(option))
                                         for month, option in value)
            elif value is not None:
                fixed[d.key] = d.index(value)
        return cls(Actor(actor), RULES[config.rule], fixed, schedules)


def pinned_options(policies: list[ActorPolicy]) -> dict[str, int]:
    """Every dimension pinned by the month's policies (key → option index): what restricts
    the stage game that ``nash`` and ``qre`` solve."""
    return {key: index for policy in policies for key, index in policy.fixed.items()
            if key in ACTION_COLUMNS}


def decide(policy: ActorPolicy, beliefs: dict[str, np.ndarray], S, K: KernelParams,
           uniforms: dict[str, np.ndarray], game: MonthGame | None = None
           ) -> dict[str, np.ndarray]:
    """Choose an option index for each of the actor's dimensions, for every run.

    ``beliefs`` are the public beliefs about every dimension ``(runs, options)``; ``S`` the
    state as columns; ``K`` the parameters as columns; ``uniforms`` one draw per run per
    dimension key; ``game`` the month's stage games (needed by ``nash`` and ``qre``).
    Returns option indices ``(runs,)`` by dimension key.
    """
    lam = K.lam[policy.actor.value]
    dims = dimensions_of(policy.actor)
    free = [d for d in dims if d.key not in policy.fixed]
    fixed = RULES["fixed"]
    if policy.rule.needs_game and free:
        if game is None:
            raise ValueError(f"rule {policy.rule.name!r} needs the month's stage game")
        chosen = policy.rule.choose_in_game(game, policy.actor, lam, uniforms)
    else:
        payoffs = (option_payoffs(policy.actor, beliefs, S, K)
                   if policy.rule.needs_payoffs and free else {})
        chosen = {d.key: policy.rule.choose(payoffs[d.key], uniforms[d.key], lam)
                  for d in free}
    return {d.key: (fixed.choose(None, uniforms[d.key], lam, policy.fixed[d.key])
                    if d.key in policy.fixed else chosen[d.key])
            for d in dims}
