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

import numpy as np

from ..core.actions import DIMENSIONS, Actor, Dimension, dimensions_of
from ..core.schema import Scenario
from ..games.sparse import SparseGame
from .dynamics import MEMORY_KEYS, with_memory
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
    result table; last month's options (which switching costs read) come from its option
    columns (``russia.arms``: a name or an index) when it has them, else from the
    scenario's posture. ``params`` overrides the scenario's values (needed when the scenario
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
    elif not set(MEMORY_KEYS) <= set(state):
        last = posture_indices(scenario)
        for d in DIMENSIONS:
            if d.key in state:
                value = np.asarray(state[d.key]).reshape(-1)[0]
                last[d.key] = np.array([d.index(value) if isinstance(value, str) else int(value)])
        state = with_memory({k: v for k, v in state.items() if k not in last}, last)
    arrays = {k: np.atleast_1d(np.asarray(v, dtype=float)) for k, v in state.items()
              if k not in {d.key for d in DIMENSIONS}}
    return StageGame(stage_payoffs(arrays, params.as_columns())[0], month)


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

    ``terms[k]`` splits player ``k``'s dependencies into groups that do not interact:
    its payoff is a sum of one term per group, each over its own options and that group
    (North Korea's: aid, technology, and US pressure with China's stance together), so
    it is evaluated on the groups' grids (42 profiles instead of 162) and summed.
    """

    players: tuple[tuple[int, ...], ...]
    deps: tuple[tuple[int, ...], ...]
    terms: tuple[tuple[tuple[int, ...], ...], ...] = ()

    def terms_of(self, k: int) -> tuple[tuple[int, ...], ...]:
        """Player ``k``'s groups of dependencies (one group of all when not split)."""
        return self.terms[k] if self.terms else (self.deps[k],)

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

    @cached_property
    def payoff_count(self) -> int:
        """Payoffs a run has in the solvers' game: each player's options × its deps'."""
        return sum(int(np.prod([self.counts[x] for x in (k, *deps)]))
                   for k, deps in enumerate(self.deps))

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
    terms = tuple(_additive_terms(t, deps) for t, deps in zip(game.tensors, game.deps))
    return GameLayout(layout.players, tuple(game.deps), terms)


def _additive_terms(tensor: np.ndarray, deps: tuple[int, ...]) -> tuple[tuple[int, ...], ...]:
    """Split ``deps`` into the connected groups of the players that interact in ``tensor``
    ``(runs, own, *deps)``: two players interact unless every mixed difference
    ``T(a, b) - T(a, 0) - T(0, b) + T(0, 0)`` over their actions vanishes (within
    ``SEPARABILITY_TOL``). Between groups there is no interaction term of any order (each
    would contain a non-interacting pair), so the tensor is one term per group."""
    group = list(range(len(deps)))

    def root(i: int) -> int:
        while group[i] != i:
            i = group[i]
        return i

    scale = 1.0 + np.abs(tensor).max(initial=0.0)
    for a in range(len(deps)):
        for b in range(a + 1, len(deps)):
            ta, tb = 2 + a, 2 + b
            first = np.take(tensor, [0], axis=ta)
            mixed = tensor - first - np.take(tensor, [0], axis=tb) + np.take(first, [0], axis=tb)
            if np.abs(mixed).max() > SEPARABILITY_TOL * scale:
                group[root(b)] = root(a)
    out: dict[int, list[int]] = {}
    for i, d in enumerate(deps):
        out.setdefault(root(i), []).append(d)
    return tuple(tuple(g) for g in out.values()) or ((),)


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


def _one_hots(layout: GameLayout, grid: list[tuple[int, np.ndarray]]
              ) -> dict[str, np.ndarray]:
    """One-hot play ``(n_profiles, options)`` of every dimension on a grid of profiles.

    ``grid`` lists (solver player, its joint option per profile); dimensions of players
    not on the grid play option 0."""
    n = len(grid[0][1])
    play = {d.key: np.broadcast_to(np.eye(d.size)[0], (n, d.size)) for d in DIMENSIONS}
    for k, options in grid:
        combos = layout.combos(k)[options]
        for j, d in enumerate(layout.players[k]):
            play[DIMENSIONS[d].key] = np.eye(DIM_SIZES[d])[combos[:, j]]
    return play


def sparse_stage_game(state: dict[str, np.ndarray], params: KernelParams,
                      layout: GameLayout):
    """The stage games of a batch of runs as a ``SparseGame`` in ``layout``.

    Each solver player's payoff is evaluated by its actor's payoff kernel
    (``PAYOFF_FUNCTIONS``) only on the grid of its own options × the options of the players
    it depends on (Russia's other dimensions at option 0): about 150 payoffs per run
    instead of the dense 4 × 972, each bit-identical to the dense stage game's entry; a
    player whose payoff is a sum of non-interacting terms gets them summed. The result is
    assembled with the runs last, as ``SparseGame`` stores it (long inner loops).
    """
    columns = state_columns(state)
    runs = len(next(iter(state.values())))
    game = _empty_game(layout, runs)
    terms: list[list[np.ndarray]] = [[] for _ in layout.players]
    for actor, play, parts in _grids(layout):
        values = PAYOFF_FUNCTIONS[actor](play, columns, params)
        values = np.ascontiguousarray(np.broadcast_to(values, (runs, values.shape[-1])).T)
        for k, positions, shape in parts:  # (profiles, runs) rows of each grid
            if len(layout.terms_of(k)) == 1:
                np.take(values, positions, axis=0, out=game.block(k).reshape(-1, runs))
            else:
                terms[k].append(values[positions].reshape(*shape, runs))
    for k, pieces in enumerate(terms):
        if not pieces:
            continue
        out = game.block(k)
        # sum of the terms, each with the other groups at option 0, minus the surplus
        # copies of the all-zero profile they share; each partial sum is only as large as
        # the terms in it, so one pass only is over the whole tensor
        first = pieces[0]
        base = first[(slice(None),) + (slice(0, 1),) * (first.ndim - 2) + (slice(None),)]
        total = first - (len(pieces) - 1) * base
        for piece in pieces[1:-1]:
            total = total + piece
        np.add(total, pieces[-1], out=out)
    return game


def _empty_game(layout: GameLayout, runs: int) -> SparseGame:
    """A ``SparseGame`` of ``runs`` games in ``layout`` with its numbers yet to be set."""
    return SparseGame.from_runs_last(np.empty((layout.payoff_count, runs)),
                                     list(layout.deps), layout.counts)


_GRID_CACHE: dict[GameLayout, list] = {}


def _grids(layout: GameLayout) -> list:
    """Per actor: the one-hot play on the distinct profiles of its solver players' grids
    (the grids share some: every term's grid has the other terms at option 0), and each
    player's (index, positions of its grid's profiles, tensor shape) (cached per layout)."""
    if layout in _GRID_CACHE:
        return _GRID_CACHE[layout]
    counts = layout.counts
    out = []
    for a, actor in enumerate(PLAYERS):
        members = [k for k, owner in enumerate(layout.actors) if owner == a]
        plays, parts, start = [], [], 0
        for k in members:
            for term in layout.terms_of(k):
                axes = [k, *term]
                shape = tuple(counts[x] for x in axes)
                grids = np.indices(shape).reshape(len(axes), -1)
                plays.append(_one_hots(layout, list(zip(axes, grids))))
                full = (counts[k], *[counts[d] if d in term else 1 for d in layout.deps[k]])
                parts.append((k, np.arange(start, start + grids.shape[1]), full))
                start += grids.shape[1]
        play = {key: np.concatenate([q[key] for q in plays]) for key in plays[0]}
        rows = np.concatenate(list(play.values()), axis=1)
        _, first, inverse = np.unique(rows, axis=0, return_index=True, return_inverse=True)
        keep = np.sort(first)  # each distinct profile once, in order of first appearance
        position = np.empty(len(first), dtype=np.intp)
        position[np.argsort(first)] = np.arange(len(first))
        position = position[inverse.reshape(-1)]
        play = {key: np.ascontiguousarray(value[keep]) for key, value in play.items()}
        parts = [(k, position[at], full) for k, at, full in parts]
        out.append((actor, play, parts))
    _GRID_CACHE[layout] = out
    return out


def profile_payoffs(state: dict[str, np.ndarray], params: KernelParams,
                    profiles: np.ndarray) -> np.ndarray:
    """Every actor's payoff at given pure profiles: ``profiles`` ``(runs, k, 4)`` joint
    option indices → ``(runs, k, 4)``, bit-identical to the dense stage game's entries."""
    columns = state_columns(state)
    runs, k = profiles.shape[:2]
    play = {}
    for player, joint in zip(OPTIONS, np.moveaxis(profiles, -1, 0)):
        for j, dim in enumerate(player.dimensions):
            play[dim.key] = np.eye(dim.size)[player.combos[joint, j]]
    out = np.empty((runs, k, len(PLAYERS)))
    for i, actor in enumerate(PLAYERS):
        out[:, :, i] = np.broadcast_to(PAYOFF_FUNCTIONS[actor](play, columns, params), (runs, k))
    return out
