"""Decision rules that solve the month's stage game: ``nash`` and ``qre``.

Unlike ``logit`` and ``best_response``, which reply to beliefs about last months' play,
these rules look at the whole stage game of the month (``model.kernels.stage``):

* ``nash`` plays its part of a pure Nash equilibrium of the month's stage game. When
  there are several, the selection is, in order: (1) payoff dominance — drop equilibria
  that another equilibrium Pareto-dominates; (2) inertia — the one closest to last
  month's play (fewest of the seven dimensions changed), a focal point; (3) the highest
  total payoff; (4) the lowest index. When there is none it falls back to the ``qre``
  rule at the actor's ``lam``.
* ``qre`` samples its option from the month's logit quantal response equilibrium at the
  actor's ``lam`` (the principal branch, ``model.games.logit_qre``). Russia's payoff is
  separable across its four dimensions, so its QRE over the 36 joint options is the
  product of its per-dimension marginals: each dimension is sampled from its marginal
  with its own uniform draw.

Both are solved for all runs of a batch at once (issue 12), and a batch of one (the
Mesa driver) runs the same code:

* the stage game is built sparsely (``model.kernels.stage.sparse_stage_game``): each
  player's payoff only over the players it depends on, Russia split by dimension;
* pure equilibria come from Russia's unique best reply to each of the others' 27
  profiles (``model.games.pure_batch.equilibrium_candidates``; runs with ties are enumerated
  in full), and the selection rules run on all runs together (``MonthGame._select``);
* the QRE follows every run's branch from ``lam = 0`` at once, each step a guarded
  Newton solve (``model.games.batch``, which explains why the result is the principal
  branch); runs it cannot follow (a turning point) are traced by ``logit_qre``.

The per-run implementation (``select_equilibrium``, ``MonthGame.qre``) stays as the
reference the tests compare with: same selected equilibria, same draws, QRE within 1e-8.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np

from ..core.actions import DIMENSIONS, Actor
from ..games import logit_qre
from ..games.batch import CONTINUED, FAILED, TRACED, solve
from ..games.pure_batch import equilibrium_candidates, pure_equilibria
from .choice import sample
from .params import KernelParams
from .stage import (
    OPTIONS,
    PLAYERS,
    SHAPE,
    GameLayout,
    probe_layout,
    profile_payoffs,
    sparse_from_dense,
    sparse_stage_game,
    stage_payoffs,
)

EQUILIBRIUM_TOL = 1e-9
#: Runs whose stage game has more pure equilibria than this are selected one by one.
MAX_CANDIDATES = 16
#: Runs solved together (bounds the memory of the equilibrium masks: 972 bytes a run).
CHUNK_RUNS = 4096
#: Dimensions changed between two joint options of each player: ``CHANGES[p][a, b]``.
CHANGES = [(p.combos[:, None, :] != p.combos[None, :, :]).sum(axis=2) for p in OPTIONS]
_NONE = np.iinfo(np.int64).max  # padding after a run's last equilibrium


class GameMemory:
    """What the game-solving rules carry from one month to the next for a batch of runs:
    the stage game's layout (found once), and counts of how each QRE was found
    (``stats``: continued by the batch, or traced one run at a time)."""

    def __init__(self) -> None:
        self.layout: GameLayout | None = None
        self.stats = {"continued": 0, "traced": 0}


def _lam_key(lam) -> tuple[object, np.ndarray | float]:
    if isinstance(lam, np.ndarray):
        flat = np.asarray(lam, dtype=float).reshape(-1)
        return flat.tobytes(), flat
    return float(lam), float(lam)


class MonthGame:
    """The stage games of one month for every run, solved lazily and cached.

    ``memory`` (a ``GameMemory`` the driver keeps across months) holds the game's layout
    and counts the QRE methods. ``pinned`` (dimension key → option index) restricts the
    game to the month's pinned actors and dimensions (``model.kernels.stage.pin_play``):
    the solvers' players reply to what pinned actors actually play. ``payoffs`` may give
    the dense stage games directly (``(runs, 4, 36, 3, 3, 3)``, for tests and hand-made
    games) instead of building them from the state.
    """

    def __init__(self, state: dict[str, np.ndarray], params_view: KernelParams,
                 previous: dict[str, np.ndarray], memory: GameMemory | None = None,
                 payoffs: np.ndarray | None = None,
                 pinned: dict[str, int] | None = None) -> None:
        self.state = state
        self.pinned = dict(pinned or {})
        self.params_view = params_view
        self.previous = previous
        self.memory = memory if memory is not None else GameMemory()
        self._dense = payoffs
        self.runs = len(next(iter(state.values()))) if payoffs is None else len(payoffs)
        self._qre: dict[tuple[int, float], list[np.ndarray]] = {}
        self._marginals: dict[object, tuple[list[np.ndarray], np.ndarray]] = {}

    @cached_property
    def payoffs(self) -> np.ndarray:
        """The dense stage games ``(runs, 4, 36, 3, 3, 3)``."""
        if self._dense is not None:
            return self._dense
        return stage_payoffs(self.state, self.params_view, self.pinned)

    @cached_property
    def _game(self):
        """The stage games as a ``SparseGame`` and their layout."""
        if self._dense is not None:
            return sparse_from_dense(self._dense)
        if self.memory.layout is None:
            self.memory.layout = probe_layout(self.state, self.params_view)
        layout = self.memory.layout
        return sparse_stage_game(self.state, self.params_view, layout, self.pinned), layout

    def _payoffs_at(self, rows: np.ndarray, profiles: np.ndarray) -> np.ndarray:
        """Payoffs ``(len(rows), k, 4)`` of the given runs at joint profiles ``(.., k, 4)``."""
        if self._dense is not None:
            n = len(rows)
            index = tuple(profiles[..., p][..., None] for p in range(len(PLAYERS)))
            return self._dense[rows][(np.arange(n)[:, None, None],
                                      np.arange(len(PLAYERS))[None, None, :], *index)]
        state = {k: np.asarray(v)[rows] for k, v in self.state.items()}
        return profile_payoffs(state, self.params_view.take(rows), profiles, self.pinned)

    @cached_property
    def equilibria(self) -> np.ndarray:
        """``(runs, 36, 3, 3, 3)`` True where the profile is a pure Nash equilibrium."""
        game, layout = self._game
        out = np.empty((self.runs, *SHAPE), dtype=bool)
        for start in range(0, self.runs, CHUNK_RUNS):
            rows = np.arange(start, min(start + CHUNK_RUNS, self.runs))
            mask = pure_equilibria(game.take(rows), layout.groups, EQUILIBRIUM_TOL)
            out[rows] = mask.reshape(len(rows), *SHAPE)
        return out

    @cached_property
    def selected(self) -> np.ndarray:
        """Per run the selected equilibrium's joint option per player ``(runs, 4)``,
        or -1 where the stage game has no pure equilibrium.

        The equilibria come from ``equilibrium_candidates`` (Russia's best reply to each
        of the 27 profiles of the others), or the full mask for runs with ties; the
        selection rules are applied to all runs at once (``_select``), and runs with more
        than ``MAX_CANDIDATES`` equilibria go through ``select_equilibrium`` one by one.
        """
        game, layout = self._game
        out = np.full((self.runs, len(PLAYERS)), -1, dtype=np.int64)
        for start in range(0, self.runs, CHUNK_RUNS):
            rows = np.arange(start, min(start + CHUNK_RUNS, self.runs))
            sub = game if len(rows) == self.runs else game.take(rows)
            found = equilibrium_candidates(sub, layout.groups, EQUILIBRIUM_TOL)
            exact = np.zeros(len(rows), dtype=bool) if found is None else found[2]
            if exact.any():
                actions, valid, _ = found  # profile-major
                joint = self._flat_joint(actions, layout)
                joint = np.broadcast_to(joint, valid.shape).T  # (runs, profiles)
                valid = valid.T
                if not exact.all():
                    joint, valid = joint[exact], valid[exact]
                count = valid.sum(axis=1)
                flat = np.full((len(joint), max(int(count.max(initial=0)), 1)), _NONE)
                one = count == 1  # most runs: no order needed
                flat[one, 0] = joint[one, valid[one].argmax(axis=1)]
                several = count > 1  # in increasing order, for the selection's last rule
                flat[several] = np.sort(np.where(valid[several], joint[several], _NONE),
                                        axis=1)[:, :flat.shape[1]]
                out[rows[exact]] = self._choose(rows[exact], flat)
            rest = np.flatnonzero(~exact)
            if len(rest):
                mask = pure_equilibria(sub.take(rest), layout.groups, EQUILIBRIUM_TOL)
                flat = mask.reshape(len(rest), -1)
                k = max(int(flat.sum(axis=1).max(initial=0)), 1)
                order = np.sort(np.where(flat, np.arange(flat.shape[1]), _NONE), axis=1)
                out[rows[rest]] = self._choose(rows[rest], order[:, :k])
        return out

    @staticmethod
    def _flat_joint(actions: list[np.ndarray], layout: GameLayout) -> np.ndarray:
        """Flat index in the dense stage game (``SHAPE``) of solver-player profiles given
        as one action array per solver player (row-major over each actor's members)."""
        flat = None
        for members, size in zip(layout.groups, SHAPE):
            joint = actions[members[0]]
            for k in members[1:]:
                joint = joint * layout.counts[k] + actions[k]
            flat = joint if flat is None else flat * size + joint
        return flat

    def _choose(self, rows: np.ndarray, flat: np.ndarray) -> np.ndarray:
        """The selected equilibrium of each run from its sorted flat profile indices
        ``(n, k)`` (padded with ``_NONE``); -1 where there is none."""
        out = np.full((len(rows), len(PLAYERS)), -1, dtype=np.int64)
        count = (flat != _NONE).sum(axis=1)
        one = np.flatnonzero(count == 1)
        out[one] = np.stack(np.unravel_index(flat[one, 0], SHAPE), axis=1)
        several = np.flatnonzero((count > 1) & (count <= MAX_CANDIDATES))
        if len(several):
            k = int(count[several].max())
            out[several] = self._select(rows[several], flat[several, :k], count[several])
        last = self._last()
        for i in np.flatnonzero(count > MAX_CANDIDATES):
            candidates = np.stack(np.unravel_index(flat[i, :count[i]], SHAPE), axis=1)
            out[i] = select_equilibrium(candidates, self._dense_of(int(rows[i])),
                                        last[rows[i]])
        return out

    def _dense_of(self, run: int) -> np.ndarray:
        if self._dense is not None:
            return self._dense[run]
        state = {k: np.asarray(v)[[run]] for k, v in self.state.items()}
        return stage_payoffs(state, self.params_view.take(np.array([run])), self.pinned)[0]

    def _last(self) -> np.ndarray:
        return np.stack([p.joint_index(self.previous) for p in OPTIONS], axis=1)

    def _select(self, rows: np.ndarray, flat: np.ndarray, count: np.ndarray) -> np.ndarray:
        """``select_equilibrium`` for many runs at once: ``flat`` ``(n, k)`` holds each
        run's equilibria as sorted flat profile indices, padded after ``count``."""
        k = flat.shape[1]
        valid = np.arange(k)[None, :] < count[:, None]
        flat = np.where(valid, flat, flat[:, :1])
        profiles = np.stack(np.unravel_index(flat, SHAPE), axis=-1)  # (n, k, 4)
        values = self._payoffs_at(rows, profiles)  # (n, k, 4)
        ge = (values[:, None, :, :] >= values[:, :, None, :]).all(axis=3)  # [r, a, b]: b >= a
        gt = (values[:, None, :, :] > values[:, :, None, :]).any(axis=3)
        dominated = (ge & gt & valid[:, None, :]).any(axis=2)
        keep = valid & ~dominated
        last = self._last()[rows]
        changes = sum(CHANGES[p][profiles[:, :, p], last[:, p, None]] for p in range(len(OPTIONS)))
        changes = np.where(keep, changes, np.iinfo(np.int64).max)
        keep &= changes == changes.min(axis=1, keepdims=True)
        total = values[..., 0] + values[..., 1] + values[..., 2] + values[..., 3]
        total = np.where(keep, total, -np.inf)
        keep &= total == total.max(axis=1, keepdims=True)
        pick = keep.argmax(axis=1)
        return profiles[np.arange(len(rows)), pick]

    def qre(self, run: int, lam: float) -> list[np.ndarray]:
        """The logit QRE of run ``run``'s stage game at ``lam``, traced from ``lam = 0``
        (``model.games.logit_qre``; the per-run reference of ``marginals``; cached)."""
        key = (run, float(lam))
        if key not in self._qre:
            self._qre[key] = logit_qre(self._dense_of(run), float(lam))
        return self._qre[key]

    def marginals(self, lam, rows: np.ndarray | None = None) -> list[np.ndarray]:
        """Each dimension's QRE marginal ``(len(rows), options)`` in ``DIMENSIONS`` order,
        for the given runs (default all) at ``lam`` (scalar or ``(runs, 1)`` column).

        Batched: continuation from ``lam = 0`` for all runs at once
        (``model.games.batch``, which explains why that is the principal branch), else
        (rarely) the traced branch of ``logit_qre``. Results are cached per ``lam``.
        """
        rows = np.arange(self.runs) if rows is None else np.asarray(rows)
        key, lam_values = _lam_key(lam)
        game, layout = self._game
        cached = self._marginals.get(key)
        if cached is None:
            cached = (np.zeros((self.runs, game.size)), np.zeros(self.runs, dtype=bool))
            self._marginals[key] = cached
        x, have = cached
        todo = rows[~have[rows]]
        if len(todo):
            lam_rows = (lam_values[todo] if isinstance(lam_values, np.ndarray)
                        else np.full(len(todo), lam_values))
            result = solve(game.take(todo), lam_rows)
            for r, i in zip(todo[result.method == FAILED], np.flatnonzero(result.method == FAILED)):
                result.x[i] = self._traced(int(r), float(lam_rows[i]), layout)
                result.method[i] = TRACED
            x[todo] = result.x
            have[todo] = True
            self.memory.stats["continued"] += int((result.method == CONTINUED).sum())
            self.memory.stats["traced"] += int((result.method == TRACED).sum())
        return self._split(x[rows], layout)

    def _traced(self, run: int, lam: float, layout: GameLayout) -> np.ndarray:
        """Run ``run``'s QRE traced from ``lam = 0``, in the solver's coordinates."""
        strategies = self.qre(run, lam)
        if layout.separable:
            joint = strategies[0].reshape([d.size for d in OPTIONS[0].dimensions])
            parts = [joint.sum(axis=tuple(a for a in range(joint.ndim) if a != j))
                     for j in range(joint.ndim)] + list(strategies[1:])
        else:
            parts = list(strategies)
        with np.errstate(divide="ignore"):
            return np.maximum(np.log(np.concatenate(parts)), -745.0)

    @staticmethod
    def _split(x: np.ndarray, layout: GameLayout) -> list[np.ndarray]:
        """Per-dimension marginals from the solver's log-probabilities."""
        out: list[np.ndarray | None] = [None] * len(DIMENSIONS)
        start = 0
        for k, dims in enumerate(layout.players):
            size = layout.counts[k]
            p = np.exp(x[:, start:start + size])
            start += size
            if len(dims) == 1:
                out[dims[0]] = p
                continue
            combos = layout.combos(k)
            for j, d in enumerate(dims):
                out[d] = np.stack([p[:, combos[:, j] == o].sum(axis=1)
                                   for o in range(DIMENSIONS[d].size)], axis=1)
        return out


def select_equilibrium(candidates: np.ndarray, payoffs: np.ndarray,
                       last: np.ndarray) -> np.ndarray:
    """Pick one of several pure equilibria (rows of ``candidates``, joint option indices).

    Pareto filter, then fewest dimensions changed from ``last`` (joint indices of last
    month's play), then highest total payoff, then the first (lowest index). The per-run
    reference of ``MonthGame.selected``, which applies the same rules to many runs.
    """
    values = np.array([payoffs[(slice(None), *c)] for c in candidates])  # (k, 4)
    better_eq = (values[None, :, :] >= values[:, None, :]).all(axis=2)
    strictly = (values[None, :, :] > values[:, None, :]).any(axis=2)
    dominated = (better_eq & strictly).any(axis=1)
    keep = ~dominated
    candidates, values = candidates[keep], values[keep]
    changes = np.array([_dimensions_changed(c, last) for c in candidates])
    order = np.lexsort((-values.sum(axis=1), changes))  # last key is primary
    return candidates[order[0]]


def _dimensions_changed(profile: np.ndarray, last: np.ndarray) -> int:
    changed = 0
    for player, a, b in zip(OPTIONS, profile, last):
        changed += int((player.combos[a] != player.combos[b]).sum())
    return changed


def qre_choices(game: MonthGame, actor: Actor, lam, uniforms: dict[str, np.ndarray],
                runs: np.ndarray) -> dict[str, np.ndarray]:
    """Sample each dimension of ``actor`` from its QRE marginal, for the given runs."""
    marginals = game.marginals(lam, runs)
    return {d.key: sample(marginals[i], uniforms[d.key][runs])
            for i, d in enumerate(DIMENSIONS) if d.actor is Actor(actor)}


def nash_choices(game: MonthGame, actor: Actor, lam, uniforms: dict[str, np.ndarray]
                 ) -> dict[str, np.ndarray]:
    """The actor's part of the selected pure equilibrium; QRE sampling where none."""
    player = PLAYERS.index(actor)
    options = OPTIONS[player]
    joint = game.selected[:, player]
    has_eq = joint >= 0
    out = {d.key: options.combos[np.where(has_eq, joint, 0), j].astype(np.int64)
           for j, d in enumerate(options.dimensions)}
    missing = np.flatnonzero(~has_eq)
    if len(missing):
        fallback = qre_choices(game, actor, lam, uniforms, missing)
        for key, values in fallback.items():
            out[key][missing] = values
    return out


def qre_all(game: MonthGame, actor: Actor, lam, uniforms: dict[str, np.ndarray]
            ) -> dict[str, np.ndarray]:
    """Every run samples from its QRE marginal."""
    return qre_choices(game, actor, lam, uniforms, np.arange(game.runs))
