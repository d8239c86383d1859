"""Decision rules that solve the month's stage game: ``nash`` and ``qre``.

Unlike ``logit`` and ``best_response``, which reply to beliefs about last months' play,
these rules look at the whole stage game of the month (``model.stage``):

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

Both need every run's stage game, so they cost far more than the belief-based rules:
a QRE takes 2–30 ms per run and month. Use them for single runs and small ensembles.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np

from ..core.actions import Actor
from ..games import logit_qre
from .choice import sample
from .params import KernelParams
from .stage import OPTIONS, PLAYERS, SHAPE, stage_payoffs

EQUILIBRIUM_TOL = 1e-9


class MonthGame:
    """The stage games of one month for every run, solved lazily and cached."""

    def __init__(self, state: dict[str, np.ndarray], params_view: KernelParams,
                 previous: dict[str, np.ndarray]) -> None:
        self.state = state
        self.params_view = params_view
        self.previous = previous
        self._qre: dict[tuple[int, float], list[np.ndarray]] = {}

    @cached_property
    def payoffs(self) -> np.ndarray:
        """``(runs, 4, 36, 3, 3, 3)``."""
        return stage_payoffs(self.state, self.params_view)

    @cached_property
    def equilibria(self) -> np.ndarray:
        """``(runs, 36, 3, 3, 3)`` True where the profile is a pure Nash equilibrium."""
        u = self.payoffs
        is_eq = np.ones((u.shape[0], *SHAPE), dtype=bool)
        for i in range(len(PLAYERS)):
            best = u[:, i].max(axis=1 + i, keepdims=True)
            is_eq &= u[:, i] >= best - EQUILIBRIUM_TOL
        return is_eq

    @cached_property
    def selected(self) -> np.ndarray:
        """Per run the selected equilibrium's joint option per player ``(runs, 4)``,
        or -1 where the stage game has no pure equilibrium."""
        runs = self.payoffs.shape[0]
        out = np.full((runs, len(PLAYERS)), -1, dtype=np.int64)
        last = np.stack([p.joint_index(self.previous) for p in OPTIONS], axis=1)
        for r in range(runs):
            found = np.argwhere(self.equilibria[r])
            if len(found):
                out[r] = select_equilibrium(found, self.payoffs[r], last[r])
        return out

    def qre(self, run: int, lam: float) -> list[np.ndarray]:
        """The logit QRE of run ``run``'s stage game at ``lam`` (cached)."""
        key = (run, float(lam))
        if key not in self._qre:
            self._qre[key] = logit_qre(self.payoffs[run], float(lam))
        return self._qre[key]


def select_equilibrium(candidates: np.ndarray, payoffs: np.ndarray,
                       last: np.ndarray) -> np.ndarray:
    """Pick one of several pure equilibria (rows of ``candidates``, joint option indices).

    Pareto filter, then fewest dimensions changed from ``last`` (joint indices of last
    month's play), then highest total payoff, then the first (lowest index).
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


def _per_run(lam: float | np.ndarray, run: int) -> float:
    return float(lam[run, 0]) if isinstance(lam, np.ndarray) else float(lam)


def qre_choices(game: MonthGame, actor: Actor, lam, uniforms: dict[str, np.ndarray],
                runs: np.ndarray) -> dict[str, np.ndarray]:
    """Sample each dimension of ``actor`` from its QRE marginal, for the given runs."""
    player = PLAYERS.index(actor)
    options = OPTIONS[player]
    joint = np.array([game.qre(int(r), _per_run(lam, int(r)))[player] for r in runs])
    out = {}
    for j, dim in enumerate(options.dimensions):
        # marginal of dimension j: sum the joint probabilities of the combos playing option o
        marginals = np.stack([joint[:, options.combos[:, j] == o].sum(axis=1)
                              for o in range(dim.size)], axis=1)
        out[dim.key] = sample(marginals, uniforms[dim.key][runs])
    return out


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
    runs = np.arange(game.payoffs.shape[0])
    return qre_choices(game, actor, lam, uniforms, runs)
