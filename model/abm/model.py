"""The Mesa driver: one run of the alliance game as a ``mesa.Model``."""

from __future__ import annotations

from pathlib import Path

import mesa
import numpy as np

from ..core.actions import DIMENSION_BY_KEY, Actor, action_columns
from ..core.sampling import construction_draws, draw_parameters, monthly_draws
from ..core.scenario import Scenario, load_scenario
from ..core.state import state_columns
from ..kernels import (
    ActorPolicy,
    MonthGame,
    initial_beliefs,
    initial_state,
    kernel_params,
    posture_indices,
)
from ..kernels.month import Month, Play, Setup, open_month, step_month
from ..kernels.stage import StageGame
from .agents import StateActor


def fresh_seed() -> int:
    """A seed from OS entropy, recorded so an unseeded run can be replayed."""
    return int(np.random.SeedSequence().generate_state(1, dtype=np.uint64)[0])


class AllianceModel(mesa.Model):
    """Russia, North Korea, the United States and China playing the monthly game.

    Row 0 of the data collector is the initial state and posture; row m is the state
    after month m and the options chosen in month m. All randomness comes from the
    model's own generator (``self.rng``), drawn in the layout of ``model.core.sampling``.
    """

    def __init__(self, scenario: Scenario | str | Path = "baseline",
                 seed: int | None = None) -> None:
        if not isinstance(scenario, Scenario):
            scenario = load_scenario(scenario)
        seed = fresh_seed() if seed is None else int(seed)
        # rng=, not seed=: the same generator, np.random.default_rng(seed), in Mesa 3.3
        # and 3.5 (which deprecates seed=)
        super().__init__(rng=seed)
        # Mesa 3.5 reserves Model.scenario for its own (experimental) Scenario, which its
        # SolaraViz reads; ours has its own name under every Mesa release
        self.alliance_scenario = scenario
        self.seed = seed
        self.month = 0

        n_dists = construction_draws(scenario)
        drawn = draw_parameters(scenario, self.rng.random((1, n_dists))) if n_dists else {}
        self.drawn = {k: float(v[0]) for k, v in drawn.items()}
        self.params = kernel_params(scenario, drawn)

        self.choice = posture_indices(scenario)
        self.state = initial_state(self.params, self.choice, runs=1)
        self.beliefs = initial_beliefs(self.choice)
        policies = [ActorPolicy.from_scenario(scenario, actor) for actor in Actor]
        # the parameters, policies and game memory kept month to month
        self.setup = Setup(self.params, policies)
        self.this_month: Month | None = None  # what the agents decide on, while they do

        for policy in policies:
            StateActor(self, policy.actor, policy)

        reporters = {col: (lambda m, c=col: m.state[c][0].item())
                     for col in state_columns(scenario.escalation)}
        reporters.update({key: (lambda m, k=key: DIMENSION_BY_KEY[k].options[m.choice[k][0]])
                          for key in action_columns(scenario.escalation)})
        reporters.update({key: (lambda m, k=key: m.drawn[k]) for key in self.drawn})
        self.datacollector = mesa.DataCollector(model_reporters=reporters)
        self.datacollector.collect(self)

    def step(self) -> None:
        """One month (``model.kernels.month.step_month``, the ensemble's step too): every
        actor decides on the same state, then the world advances."""
        uniforms = self.rng.random(monthly_draws(self.alliance_scenario.escalation))[None, :]
        play = step_month(self.setup, self.play, self.month + 1, uniforms,
                          choose=self._agents_decide)
        self.month += 1
        self.state, self.choice, self.beliefs = play
        self.running = self.month < self.alliance_scenario.horizon
        self.datacollector.collect(self)

    def _agents_decide(self, month: Month) -> dict[str, np.ndarray]:
        """Mesa's simultaneous activation: every agent decides on the same month, then
        their choices are joined (in the agents' order, the actors')."""
        self.this_month = month
        self.agents.do("decide")
        self.this_month = None
        choice = {}
        for agent in self.agents:
            choice.update(agent.choice)
        return choice

    @property
    def play(self) -> Play:
        """The play after the current month: state, options chosen, public beliefs."""
        return Play(self.state, self.choice, self.beliefs)

    @property
    def params_view(self):
        """This run's parameters as columns (``KernelParams.as_columns``)."""
        return self.setup.params_view

    @property
    def game_memory(self):
        """The game-solving rules' layout and counts, kept month to month."""
        return self.setup.memory

    def month_game(self) -> MonthGame:
        """Next month's game as its decisions will see it: that month's levers, this run's
        parameter values, the month's pinned actors and dimensions (what ``nash`` and
        ``qre`` solve). Its own game memory: solving it leaves the run's untouched."""
        month = open_month(self.setup, self.play, self.month + 1)
        return MonthGame(month.state, month.view_params, self.choice, pinned=month.game.pinned)

    def stage_game(self):
        """The stage game at the current state (``model.kernels.stage.StageGame``), with this run's
        parameter values; its equilibria are what the ``nash`` rule plays next month."""
        return StageGame(self.month_game().payoffs[0], self.month)

    def run(self, months: int | None = None) -> None:
        """Advance ``months`` months (default: the scenario's horizon)."""
        for _ in range(self.alliance_scenario.horizon if months is None else months):
            self.step()

    def table(self):
        """The collected rows as a DataFrame with a ``month`` column (the result format)."""
        frame = self.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        frame.insert(0, "month", np.arange(len(frame)))
        return frame
