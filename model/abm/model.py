"""The Mesa driver: one run of the alliance game as a ``mesa.Model``."""

from __future__ import annotations

from pathlib import Path

import mesa
import numpy as np

from ..core.actions import ACTION_COLUMNS, DIMENSION_BY_KEY, Actor
from ..core.sampling import (
    DRAWS_PER_MONTH,
    INTERDICTION_SLOT,
    TREATY_SLOT,
    construction_draws,
    draw_parameters,
)
from ..core.scenario import Scenario, load_scenario
from ..kernels import (
    STATE_COLUMNS,
    ActorPolicy,
    GameMemory,
    MonthGame,
    advance,
    initial_beliefs,
    initial_state,
    kernel_params,
    month_inputs,
    pinned_options,
    posture_indices,
    state_columns,
    update_beliefs,
)
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
        self.params_view = self.params.as_columns()
        self.month_params_view = self.params_view

        self.choice = posture_indices(scenario)
        self.state = initial_state(self.params, self.choice, runs=1)
        self.beliefs = initial_beliefs(self.choice)
        self.state_view = state_columns(self.state)
        self.draws: dict[str, np.ndarray] = {}
        self.game: MonthGame | None = None
        self.game_memory = GameMemory()  # the game-solving rules' layout and counts

        for actor in Actor:
            StateActor(self, actor, ActorPolicy.from_scenario(scenario, actor))

        reporters = {col: (lambda m, c=col: m.state[c][0].item()) for col in STATE_COLUMNS}
        reporters.update({key: (lambda m, k=key: DIMENSION_BY_KEY[k].options[m.choice[k][0]])
                          for key in ACTION_COLUMNS})
        reporters.update({key: (lambda m, k=key: m.drawn[k]) for key in self.drawn})
        self.datacollector = mesa.DataCollector(model_reporters=reporters)
        self.datacollector.collect(self)

    def step(self) -> None:
        """One month: every actor decides on the same state, then the world advances."""
        uniforms = self.rng.random(DRAWS_PER_MONTH)[None, :]
        self.draws = {key: uniforms[:, i] for i, key in enumerate(ACTION_COLUMNS)}
        month = self.month + 1  # the month being decided
        state, params_month = month_inputs(self.state, self.params, month)  # its levers
        self.month_params_view = self.params_view.at(month)
        self.state_view = state_columns(state)
        pinned = pinned_options([agent.policy.at(month) for agent in self.agents])
        self.game = MonthGame(state, self.month_params_view, self.choice,
                              self.game_memory, pinned=pinned)  # solved lazily
        self.agents.do("decide")
        choice = {}
        for agent in self.agents:
            choice.update(agent.choice)
        self.month = month
        self.state = advance(state, choice, uniforms[:, INTERDICTION_SLOT], params_month,
                             self.month, uniforms[:, TREATY_SLOT])
        self.beliefs = update_beliefs(self.beliefs, choice, self.params)
        self.choice = choice
        self.running = self.month < self.alliance_scenario.horizon
        self.datacollector.collect(self)

    def month_game(self) -> MonthGame:
        """Next month's game as its decisions will see it: that month's levers, this run's
        parameter values, the month's pinned actors and dimensions (what ``nash`` and
        ``qre`` solve)."""
        month = self.month + 1
        state, _ = month_inputs(self.state, self.params, month)
        pinned = pinned_options([agent.policy.at(month) for agent in self.agents])
        return MonthGame(state, self.params_view.at(month), self.choice, pinned=pinned)

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
