"""The four state actors as Mesa agents.

Each agent owns its decision rule and, every month, chooses one option per action
dimension by calling the shared kernel (``model.kernels.decide``, through
``model.kernels.month.Month.decide``) on a batch of one run.
The actors move simultaneously: every agent decides on the same state and beliefs, then
the model advances the world (Mesa's "Simultaneous" activation, as in pd_grid).
"""

from __future__ import annotations

import mesa
import numpy as np

from ..core.actions import Actor, dimensions_of
from ..kernels import ActorPolicy


class StateActor(mesa.Agent):
    """One state actor: Russia, North Korea, the United States or China."""

    def __init__(self, model: mesa.Model, actor: Actor, policy: ActorPolicy) -> None:
        super().__init__(model)
        self.actor = Actor(actor)
        self.policy = policy
        self.choice: dict[str, np.ndarray] = {}

    @property
    def rule(self) -> str:
        return self.policy.rule.name

    def decide(self) -> None:
        """Choose this month's options from the month the model is playing (its state,
        public beliefs and draws: ``model.kernels.month.Month``)."""
        self.choice = self.model.this_month.decide(self.policy)

    def options(self) -> dict[str, str]:
        """This month's chosen option names by dimension key."""
        return {d.key: d.options[int(self.choice[d.key][0])] for d in dimensions_of(self.actor)}
