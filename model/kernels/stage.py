"""The stage game of a month: every actor's payoff at every pure profile.

Russia's four dimensions combine into one joint option per month (3 × 2 × 3 × 2 = 36,
in ``itertools.product`` order of its dimensions: arms, aid, tech, sanctions), so the
stage game has shape ``(4, 36, 3, 3, 3)`` — players Russia, North Korea, the United
States and China. Payoffs come from the same kernel functions the decision rules use
(``model.kernels.payoffs``), evaluated at one-hot (pure) play, so the stage game is the
model's game, not a second copy of it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from ..core.actions import Actor, Dimension, dimensions_of
from ..core.schema import Scenario
from .initial import initial_state, posture_indices
from .params import KernelParams, kernel_params
from .payoffs import PAYOFF_FUNCTIONS, state_columns

PLAYERS: tuple[Actor, ...] = tuple(Actor)


@dataclass(frozen=True)
class PlayerOptions:
    """One player's pure options in the stage game and how they map to dimensions."""

    actor: Actor
    dimensions: tuple[Dimension, ...]
    combos: np.ndarray  # (n_options, n_dimensions) option index per dimension

    @property
    def size(self) -> int:
        return len(self.combos)

    @property
    def labels(self) -> list[str]:
        """Readable option names, e.g. ``large/food/dual_use/evade`` for Russia."""
        return ["/".join(d.options[i] for d, i in zip(self.dimensions, combo))
                for combo in self.combos]

    def joint_index(self, choice: dict[str, np.ndarray]) -> np.ndarray:
        """Joint option index of per-dimension choices ``(runs,)`` by dimension key."""
        sizes = [d.size for d in self.dimensions]
        return np.ravel_multi_index([choice[d.key] for d in self.dimensions], sizes)


def player_options() -> tuple[PlayerOptions, ...]:
    """Each player's joint options, in player order."""
    out = []
    for actor in PLAYERS:
        dims = dimensions_of(actor)
        combos = np.array(list(itertools.product(*[range(d.size) for d in dims])), dtype=int)
        out.append(PlayerOptions(actor, dims, combos))
    return tuple(out)


OPTIONS = player_options()
SHAPE: tuple[int, ...] = tuple(p.size for p in OPTIONS)


def _pure_profiles() -> dict[str, np.ndarray]:
    """One-hot play of every dimension at every pure profile: ``(n_profiles, options)``."""
    grids = np.indices(SHAPE).reshape(len(SHAPE), -1)
    play = {}
    for player, joint in zip(OPTIONS, grids):
        for j, dim in enumerate(player.dimensions):
            play[dim.key] = np.eye(dim.size)[player.combos[joint, j]]
    return play


PROFILES = _pure_profiles()


def stage_payoffs(state: dict[str, np.ndarray], params: KernelParams) -> np.ndarray:
    """Payoffs ``(runs, 4, 36, 3, 3, 3)`` of the stage game at each run's state.

    ``state`` holds ``(runs,)`` arrays; ``params`` per-run values as ``(runs, 1)`` columns
    (``KernelParams.as_columns()``) or scalars.
    """
    columns = state_columns(state)
    runs = len(next(iter(state.values())))
    out = np.empty((runs, len(PLAYERS), int(np.prod(SHAPE))))
    for i, actor in enumerate(PLAYERS):
        out[:, i, :] = np.broadcast_to(PAYOFF_FUNCTIONS[actor](PROFILES, columns, params),
                                       (runs, out.shape[2]))
    return out.reshape(runs, len(PLAYERS), *SHAPE)


@dataclass(frozen=True)
class StageGame:
    """A month's stage game with labelled options."""

    payoffs: np.ndarray  # (4, 36, 3, 3, 3)
    month: int | None = None

    players: tuple[str, ...] = tuple(a.value for a in PLAYERS)

    @property
    def labels(self) -> list[list[str]]:
        """Option labels of each player, in payoff-axis order."""
        return [p.labels for p in OPTIONS]


def stage_game(scenario: Scenario, state: dict[str, float] | None = None, *,
               params: KernelParams | None = None, month: int | None = None) -> StageGame:
    """The stage game of ``scenario`` at ``state`` (default: its month-0 state).

    ``state`` maps state column names to numbers (or one-element arrays), e.g. a row of a
    result table. ``params`` overrides the scenario's values (needed when the scenario
    has distributions: pass the run's drawn values via ``AllianceModel.stage_game()``).
    """
    if params is None:
        if scenario.distributions():
            raise ValueError("the scenario has parameter distributions; build the stage game "
                             "of one run with AllianceModel(...).stage_game()")
        params = kernel_params(scenario)
    if state is None:
        state = initial_state(params, posture_indices(scenario), runs=1)
        month = 0 if month is None else month
    arrays = {k: np.atleast_1d(np.asarray(v, dtype=float)) for k, v in state.items()}
    return StageGame(stage_payoffs(arrays, params.as_columns())[0], month)
