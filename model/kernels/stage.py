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
from functools import cached_property
from types import SimpleNamespace

import numpy as np

from ..core.actions import DIMENSIONS, Actor, Dimension, dimensions_of
from ..core.schema import Scenario
from ..games.sparse import SparseGame
from .dynamics import MEMORY_KEYS, month_inputs, with_memory
from .exits import with_exits
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


def pin_play(play: dict[str, np.ndarray], pinned: dict[str, int] | None
             ) -> dict[str, np.ndarray]:
    """Play with each pinned dimension (key → option index) at its pinned option in every
    profile: the game restricted to pinned actors and dimensions. A pinned dimension's
    options then all lead to the same play (payoff-equal duplicates), so the solvers'
    other players reply to the pinned option, and the pinned choice itself is set by
    ``decide``."""
    if not pinned:
        return play
    out = dict(play)
    for key, index in pinned.items():
        shape = play[key].shape
        out[key] = np.broadcast_to(np.eye(shape[-1])[index], shape)
    return out


def stage_payoffs(state: dict[str, np.ndarray], params: KernelParams,
                  pinned: dict[str, int] | None = None) -> np.ndarray:
    """Payoffs ``(runs, 4, 36, 3, 3, 3)`` of the stage game at each run's state.

    ``state`` holds ``(runs,)`` arrays; ``params`` per-run values as ``(runs, 1)`` columns
    (``KernelParams.as_columns()``) or scalars; ``pinned`` restricts the game
    (:func:`pin_play`).
    """
    columns = state_columns(state)
    runs = len(next(iter(state.values())))
    out = np.empty((runs, len(PLAYERS), int(np.prod(SHAPE))))
    play = pin_play(PROFILES, pinned)
    for i, actor in enumerate(PLAYERS):
        out[:, i, :] = np.broadcast_to(PAYOFF_FUNCTIONS[actor](play, columns, params),
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
               params: KernelParams | None = None, month: int | None = None,
               pinned: dict[str, int] | None = None) -> StageGame:
    """The stage game of ``scenario`` at ``state`` (default: its month-0 state).

    ``state`` maps state column names to numbers (or one-element arrays), e.g. a row of a
    result table; last month's options (which switching costs read) come from its option
    columns (``russia.arms``: a name or an index) when it has them, else from the
    scenario's posture. ``params`` overrides the scenario's values (needed when the scenario
    has distributions: pass the run's drawn values via ``AllianceModel.stage_game()``).
    With ``month`` the levers are those in force that month (schedules); ``pinned``
    (dimension key → option index) restricts the game to the month's pinned play.
    """
    if params is None:
        if scenario.distributions():
            raise ValueError("the scenario has parameter distributions; build the stage game "
                             "of one run with AllianceModel(...).stage_game()")
        params = kernel_params(scenario)
    if state is None:
        state = initial_state(params, posture_indices(scenario), runs=1)
        month = 0 if month is None else month
    elif not set(MEMORY_KEYS) <= set(state):
        last = posture_indices(scenario)
        for d in DIMENSIONS:
            if d.key in state:
                value = np.asarray(state[d.key]).reshape(-1)[0]
                last[d.key] = np.array([d.index(value) if isinstance(value, str) else int(value)])
        state = with_memory({k: v for k, v in state.items() if k not in last}, last)
    arrays = {k: np.atleast_1d(np.asarray(v, dtype=float)) for k, v in state.items()
              if k not in {d.key for d in DIMENSIONS}}
    if month is not None:
        arrays, params = month_inputs(arrays, params, month)
    columns = params.as_columns()
    return StageGame(stage_payoffs(with_exits(arrays, columns), columns, pinned)[0], month)


# ---------------------------------------------------------------------------------------
# The stage game of a batch of runs as a sparse game (what the nash and qre rules solve)
# ---------------------------------------------------------------------------------------

#: Each dimension's option count, in ``DIMENSIONS`` order.
DIM_SIZES: tuple[int, ...] = tuple(d.size for d in DIMENSIONS)
_ACTOR_OF_DIM = tuple(PLAYERS.index(d.actor) for d in DIMENSIONS)
#: Relative size below which an interaction contrast counts as rounding.
SEPARABILITY_TOL = 1e-9


@dataclass(frozen=True)
class GameLayout:
    """How the stage game is handed to the batched solvers.

    ``players[k]`` lists the dimensions (``DIMENSIONS`` indices) that solver player ``k``
    controls jointly; ``actors[k]`` is its actor (``PLAYERS`` index); ``deps[k]`` the
    solver players its payoff depends on; ``groups`` the solver players of each actor.
    When Russia's payoff is additively separable across its dimensions (the model's
    payoffs are), each dimension is its own solver player: its QRE over the 36 joint
    options is the product of the four marginals, and its best reply is the four
    per-dimension best replies. Otherwise Russia is one player with 36 joint options.
    """

    players: tuple[tuple[int, ...], ...]
    deps: tuple[tuple[int, ...], ...]

    @property
    def actors(self) -> tuple[int, ...]:
        return tuple(_ACTOR_OF_DIM[dims[0]] for dims in self.players)

    @property
    def separable(self) -> bool:
        return len(self.players) == len(DIMENSIONS)

    @cached_property
    def counts(self) -> tuple[int, ...]:
        return tuple(int(np.prod([DIM_SIZES[d] for d in dims])) for dims in self.players)

    @cached_property
    def groups(self) -> list[list[int]]:
        return [[k for k, a in enumerate(self.actors) if a == i] for i in range(len(PLAYERS))]

    def combos(self, k: int) -> np.ndarray:
        """Per-dimension option of each of player ``k``'s joint options."""
        sizes = [DIM_SIZES[d] for d in self.players[k]]
        return np.array(list(itertools.product(*[range(m) for m in sizes])), dtype=int)


def _dimension_players(separable: bool) -> tuple[tuple[int, ...], ...]:
    if separable:
        return tuple((d,) for d in range(len(DIMENSIONS)))
    dims = [tuple(d for d in range(len(DIMENSIONS)) if _ACTOR_OF_DIM[d] == i)
            for i in range(len(PLAYERS))]
    return tuple(dims)


def russia_separable(payoffs: np.ndarray) -> bool:
    """Whether Russia's stage payoffs ``(runs, 4, 36, 3, 3, 3)`` are a sum of one term per
    Russian dimension (every interaction contrast below ``SEPARABILITY_TOL`` × range)."""
    runs = payoffs.shape[0]
    sizes = [d.size for d in OPTIONS[0].dimensions]
    u = payoffs[:, 0].reshape(runs, *sizes, -1)
    base = u[:, 0:1, 0:1, 0:1, 0:1]
    fit = -3.0 * base
    for k in range(len(sizes)):
        index = [slice(None)] + [slice(None) if j == k else slice(0, 1)
                                 for j in range(len(sizes))]
        fit = fit + u[tuple(index)]
    scale = 1.0 + np.abs(u).max()
    return bool(np.abs(u - fit).max() <= SEPARABILITY_TOL * scale)


def _dense_tensors(payoffs: np.ndarray, layout: GameLayout) -> list[np.ndarray]:
    """Each solver player's payoffs over all solver players' axes (broadcastable)."""
    runs = payoffs.shape[0]
    counts = layout.counts
    out = []
    for k, dims in enumerate(layout.players):
        u = payoffs[:, _ACTOR_OF_DIM[dims[0]]]
        if layout.separable:
            u = u.reshape(runs, *DIM_SIZES)
            if _ACTOR_OF_DIM[dims[0]] == 0:  # other Russian dimensions at option 0
                index = [slice(None)] + [slice(None) if (j == k or _ACTOR_OF_DIM[j] != 0)
                                         else slice(0, 1) for j in range(len(DIM_SIZES))]
                u = u[tuple(index)]
        else:
            u = u.reshape(runs, *counts)
        out.append(u)
    return out


def layout_of(payoffs: np.ndarray) -> GameLayout:
    """The layout of dense stage games ``(runs, 4, 36, 3, 3, 3)``: Russia split by
    dimension when separable; each player's dependencies where its payoff varies."""
    layout = GameLayout(_dimension_players(russia_separable(payoffs)), ())
    game = SparseGame.from_tensors(_dense_tensors(payoffs, layout), layout.counts)
    return GameLayout(layout.players, tuple(game.deps))


def sparse_from_dense(payoffs: np.ndarray, layout: GameLayout | None = None):
    """The batched solvers' game of dense stage games ``(runs, 4, 36, 3, 3, 3)``."""
    layout = layout_of(payoffs) if layout is None else layout
    counts = layout.counts
    tensors = _dense_tensors(payoffs, layout)
    out = []
    for k, t in enumerate(tensors):
        keep = [k, *layout.deps[k]]
        index = [slice(None)] + [slice(None) if (j in keep and t.shape[1 + j] > 1) else 0
                                 for j in range(len(counts))]
        reduced = t[tuple(index)]
        kept = sorted(keep)
        out.append(np.ascontiguousarray(np.moveaxis(reduced, 1 + kept.index(k), 1)))
    return SparseGame(out, list(layout.deps), counts), layout


def probe_layout(state: dict[str, np.ndarray], params: KernelParams,
                 rows: int = 3, seed: int = 0) -> GameLayout:
    """The layout of the model's stage game, found once per batch on generic states.

    The dense stage game is built for a few runs' parameters (``params`` as columns) at
    random states (floats uniform in [0.1, 0.9], integer columns kept), where no term of
    a payoff vanishes by accident (a flow that is 0 in month 1 would hide a dependence).
    A dependence found at any probe is kept for every run and month; a term that is 0
    for some run only makes that run's tensor constant along an axis, which is exact.
    """
    runs = len(next(iter(state.values())))
    picks = np.unique(np.linspace(0, runs - 1, min(rows, runs)).astype(int))
    rng = np.random.default_rng(seed)
    probe = {}
    for key, value in state.items():
        value = np.asarray(value)[picks]
        if np.issubdtype(value.dtype, np.floating):
            value = rng.uniform(0.1, 0.9, len(picks))
        probe[key] = value
    return layout_of(stage_payoffs(probe, params.take(picks)))


def sparse_stage_game(state: dict[str, np.ndarray], params: KernelParams,
                      layout: GameLayout, pinned: dict[str, int] | None = None):
    """The stage games of a batch of runs as a ``SparseGame`` in ``layout``.

    Each solver player's payoff is its actor's payoff kernel (``PAYOFF_FUNCTIONS``)
    evaluated on the grid of its own options × the options of the players it depends on
    (Russia's other dimensions at option 0), every one of those players on an axis of
    its own and the runs last (``_grid_play``): numpy's broadcasting then computes each
    part of the payoff only over the players it involves (a term in US pressure alone,
    three numbers a run), and the result is the player's tensor as ``SparseGame`` stores
    it. Every entry is the dense stage game's, bit for bit (the same operations on the
    same numbers). ``params`` as ``(runs, 1)`` columns or scalars; ``pinned`` restricts
    the game (:func:`pin_play`; the layout stays the unrestricted game's, a superset of
    the restricted game's dependencies).
    """
    rows = SimpleNamespace(**{k: np.asarray(v) for k, v in state.items()})
    per_run = params.as_rows()
    runs = len(next(iter(state.values())))
    blocks = []
    for k, play in enumerate(_grid_play(layout)):
        play = pin_play(play, pinned)
        values = PAYOFF_FUNCTIONS[PLAYERS[layout.actors[k]]](play, rows, per_run)
        shape = (*[layout.counts[p] for p in (k, *layout.deps[k])], runs)
        blocks.append(np.ascontiguousarray(np.broadcast_to(values, shape), dtype=float))
    return SparseGame.from_blocks(blocks, list(layout.deps), layout.counts)


_GRID_PLAY: dict[GameLayout, list[dict[str, np.ndarray]]] = {}


def _grid_play(layout: GameLayout) -> list[dict[str, np.ndarray]]:
    """Per solver player ``k``: one-hot play of every dimension on ``k``'s grid, shaped
    ``(*grid, 1, options)`` with one grid axis per player in ``(k, *deps[k])`` (the 1 is
    for the runs); dimensions of players off the grid play option 0 (cached per layout)."""
    if layout not in _GRID_PLAY:
        out = []
        for k in range(len(layout.players)):
            axes = (k, *layout.deps[k])
            play = {d.key: np.eye(d.size)[:1].reshape((1,) * (len(axes) + 1) + (d.size,))
                    for d in DIMENSIONS}
            for position, player in enumerate(axes):
                shape = [1] * (len(axes) + 1)
                shape[position] = layout.counts[player]
                for j, dim in enumerate(layout.players[player]):
                    d = DIMENSIONS[dim]
                    options = np.eye(d.size)[layout.combos(player)[:, j]]
                    play[d.key] = options.reshape(*shape, d.size)
            out.append(play)
        _GRID_PLAY[layout] = out
    return _GRID_PLAY[layout]


def profile_payoffs(state: dict[str, np.ndarray], params: KernelParams,
                    profiles: np.ndarray, pinned: dict[str, int] | None = None) -> np.ndarray:
    """Every actor's payoff at given pure profiles: ``profiles`` ``(runs, k, 4)`` joint
    option indices → ``(runs, k, 4)``, bit-identical to the dense stage game's entries
    (of the game restricted by ``pinned``, :func:`pin_play`)."""
    columns = state_columns(state)
    runs, k = profiles.shape[:2]
    play = {}
    for player, joint in zip(OPTIONS, np.moveaxis(profiles, -1, 0)):
        for j, dim in enumerate(player.dimensions):
            play[dim.key] = np.eye(dim.size)[player.combos[joint, j]]
    play = pin_play(play, pinned)
    out = np.empty((runs, k, len(PLAYERS)))
    for i, actor in enumerate(PLAYERS):
        out[:, :, i] = np.broadcast_to(PAYOFF_FUNCTIONS[actor](play, columns, params), (runs, k))
    return out
