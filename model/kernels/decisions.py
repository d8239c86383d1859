"""Decision rules: how an actor turns option payoffs into a chosen option.

Rules are small registered objects (the axelrod habit): each declares what it is
(``stochastic``, ``needs_payoffs``) and has one method, ``choose``, that maps a batch of
option payoffs ``(runs, options)`` and one uniform draw per run to option indices.
Sampling uses the inverse CDF of the choice probabilities with the run's own uniform,
so a run's choices depend only on its own random stream, whatever the batch size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..actions import Actor, dimensions_of
from .params import KernelParams
from .payoffs import option_payoffs


def softmax(payoffs: np.ndarray, lam: float | np.ndarray) -> np.ndarray:
    """Logit choice probabilities: p_j = exp(λ u_j) / Σ_k exp(λ u_k), per row.

    ``lam`` is a scalar or a ``(runs, 1)`` column. Sums run in a fixed order so that
    a single run and a batch give identical numbers.
    """
    z = lam * payoffs
    top = z[..., 0]
    for j in range(1, z.shape[-1]):  # elementwise, much faster than .max over 2-3 options
        top = np.maximum(top, z[..., j])
    z = z - top[..., None]
    e = np.exp(z)
    total = e[..., 0].copy()
    for j in range(1, e.shape[-1]):
        total += e[..., j]
    return e / total[..., None]


def sample(probabilities: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
    """Index j with P[j-1 cumulative] ≤ u < P[j cumulative]: inverse-CDF sampling per row."""
    k = probabilities.shape[-1]
    cumulative = probabilities[..., 0].copy()
    index = np.zeros(uniforms.shape, dtype=np.int64)
    for j in range(1, k):
        index += uniforms >= cumulative
        cumulative += probabilities[..., j]
    return index


@dataclass(frozen=True)
class DecisionRule:
    """Base class: a named rule that picks one option per run."""

    name: ClassVar[str] = ""
    stochastic: ClassVar[bool] = False
    needs_payoffs: ClassVar[bool] = True
    description: ClassVar[str] = ""

    def choose(self, payoffs: np.ndarray | None, uniforms: np.ndarray,
               lam: float | np.ndarray, fixed: int | None = None) -> np.ndarray:
        raise NotImplementedError


@dataclass(frozen=True)
class Logit(DecisionRule):
    """Smoothed fictitious play: softmax of λ × expected payoff against beliefs."""

    name: ClassVar[str] = "logit"
    stochastic: ClassVar[bool] = True
    description: ClassVar[str] = ("smoothed fictitious play: beliefs from past play, "
                                  "softmax with rationality lam")

    def choose(self, payoffs, uniforms, lam, fixed=None):
        return sample(softmax(payoffs, lam), uniforms)


@dataclass(frozen=True)
class BestResponse(DecisionRule):
    """The option with the highest expected payoff against beliefs (first on ties)."""

    name: ClassVar[str] = "best_response"
    description: ClassVar[str] = "myopic best reply to beliefs from past play"

    def choose(self, payoffs, uniforms, lam, fixed=None):
        return np.argmax(payoffs, axis=-1).astype(np.int64)


@dataclass(frozen=True)
class Fixed(DecisionRule):
    """Always the scenario's given option ("what if China restrains?")."""

    name: ClassVar[str] = "fixed"
    needs_payoffs: ClassVar[bool] = False
    description: ClassVar[str] = "always plays the scenario's 'action'"

    def choose(self, payoffs, uniforms, lam, fixed=None):
        if fixed is None:
            raise ValueError("the fixed rule needs an option index")
        return np.full(uniforms.shape, fixed, dtype=np.int64)


RULES: dict[str, DecisionRule] = {rule.name: rule for rule in (Logit(), BestResponse(), Fixed())}


@dataclass(frozen=True)
class ActorPolicy:
    """An actor's rule and the dimensions pinned to one option (all of them for ``fixed``).

    A scenario's ``action`` may pin only some dimensions (e.g. Russia openly evading
    sanctions while still choosing arms, aid and technology by its rule).
    """

    actor: Actor
    rule: DecisionRule
    fixed: dict[str, int]

    @classmethod
    def from_scenario(cls, scenario, actor: Actor) -> ActorPolicy:
        config = scenario.actor(actor)
        fixed = {}
        if config.action is not None:
            fixed = {d.key: d.index(config.action[d.name]) for d in dimensions_of(actor)
                     if d.name in config.action}
        return cls(Actor(actor), RULES[config.rule], fixed)


def decide(policy: ActorPolicy, beliefs: dict[str, np.ndarray], S, K: KernelParams,
           uniforms: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Choose an option index for each of the actor's dimensions, for every run.

    ``beliefs`` are the public beliefs about every dimension ``(runs, options)``; ``S`` the
    state as columns; ``K`` the parameters as columns; ``uniforms`` one draw per run per
    dimension key. Returns option indices ``(runs,)`` by dimension key.
    """
    lam = K.lam[policy.actor.value]
    dims = dimensions_of(policy.actor)
    free = [d for d in dims if d.key not in policy.fixed]
    payoffs = (option_payoffs(policy.actor, beliefs, S, K)
               if policy.rule.needs_payoffs and free else {})
    fixed = RULES["fixed"]
    return {d.key: (fixed.choose(None, uniforms[d.key], lam, policy.fixed[d.key])
                    if d.key in policy.fixed
                    else policy.rule.choose(payoffs[d.key], uniforms[d.key], lam))
            for d in dims}
