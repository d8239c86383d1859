"""Pure Nash equilibria of a batch of games (``SparseGame``), vectorized over runs.

``pure_equilibria`` marks every pure equilibrium of every game (``(runs, *counts)``);
``equilibrium_candidates`` finds them faster through the largest player's best replies
when those are unique (runs with ties are flagged for the full mask). The one-game
reference is ``model.games.pure_nash_equilibria``.
"""

from __future__ import annotations

import numpy as np

from .sparse import SparseGame

__all__ = ["pure_equilibria", "equilibrium_candidates"]


def _runs_last(game: SparseGame, i: int, array: np.ndarray) -> np.ndarray:
    """Player ``i``'s array over (own, *deps, runs) as ``(*all players' axes, runs)`` with
    size-1 axes for the players it ignores (runs last: long inner loops when broadcasting)."""
    kept = sorted([i, *game.deps[i]])
    array = np.moveaxis(array, 0, kept.index(i))
    shape = [game.counts[k] if k in kept else 1 for k in range(game.n)]
    return array.reshape(*shape, game.runs)


def pure_equilibria(game: SparseGame, groups: list[list[int]] | None = None,
                    tol: float = 1e-9) -> np.ndarray:
    """``(runs, *counts)``: True where the pure profile is a Nash equilibrium.

    Player ``i``'s regret at a profile is ``max_b u_i(b, a_-i) - u_i(a)``. A *group* of
    players stands for one player whose payoff is the sum of theirs and who controls all
    their actions (a separable joint player, e.g. Russia's four dimensions): its regret
    is the sum of its members' regrets. A profile is an equilibrium when every group's
    regret is at most ``tol`` (``pure_nash_equilibria``'s test).
    """
    groups = groups if groups is not None else [[i] for i in range(game.n)]
    mask = None
    for group in groups:
        total = None
        for i in group:
            t = game.block(i)
            gap = _runs_last(game, i, t.max(axis=0, keepdims=True) - t)
            total = gap if total is None else total + gap
        ok = total <= tol
        mask = ok if mask is None else mask & ok
    mask = np.broadcast_to(mask, (*game.counts, game.runs))
    return np.ascontiguousarray(mask.reshape(-1, game.runs).T).reshape(game.runs, *game.counts)


def equilibrium_candidates(game: SparseGame, groups: list[list[int]], tol: float = 1e-9):
    """Pure equilibria found through the largest group's best replies, or ``None``.

    Let ``G`` be the group with the most joint options (Russia's 36) and ``O`` the other
    players. Where each member of ``G`` has a single best reply (every other option's
    regret above ``tol``) to every profile of ``O``, ``G``'s best reply to ``o`` is unique,
    and the equilibria are exactly the profiles ``(BR_G(o), o)`` at which every other group
    best responds: ``|O|`` checks per run instead of ``|G| * |O|``. Runs with ties get
    ``exact = False`` and must be enumerated in full (``pure_equilibria``).

    Returns ``(actions, valid, exact)``, profile-major: ``actions`` one array of action
    indices per player, ``(|O|, runs)``, or ``(|O|, 1)`` where the same in every run (the
    candidate profiles), ``valid`` ``(|O|, runs)`` where that profile is an equilibrium,
    ``exact`` ``(runs,)``; ``None`` when a member of ``G`` depends on another member.
    """
    sizes = [int(np.prod([game.counts[i] for i in g])) for g in groups]
    big = groups[int(np.argmax(sizes))]
    others = [i for i in range(game.n) if i not in big]
    if any(k in big for i in big for k in game.deps[i]):
        return None
    # Profile-major arrays (|O|, runs) throughout: the runs are the long contiguous axis
    # of every operation (run-major, numpy would loop over runs on rows of a few entries)
    runs = game.runs
    grid = np.indices([game.counts[k] for k in others]).reshape(len(others), -1)  # (|O|, P)
    n_o = grid.shape[1]
    action = {k: grid[pos][:, None] for pos, k in enumerate(others)}
    exact = np.ones(runs, dtype=bool)
    for i in big:
        best, unique = _best_replies(game.block(i), tol)  # (P_i, runs)
        exact &= unique
        if game.deps[i]:
            dep_index = _flat_index([grid[others.index(k)] for k in game.deps[i]],
                                    [game.counts[k] for k in game.deps[i]])
            action[i] = best[dep_index]
        else:
            action[i] = np.broadcast_to(best[:1], (n_o, runs))
    valid = np.ones((n_o, runs), dtype=bool)
    for group in groups:
        if group is big:
            continue
        total = None
        for i in group:
            here = _regret_at(game, i, action)
            total = here if total is None else total + here
        valid &= total <= tol
    return [action[k] for k in range(game.n)], valid, exact


def _best_replies(block: np.ndarray, tol: float) -> tuple[np.ndarray, np.ndarray]:
    """A player's first best reply ``(P, runs)`` to each profile of the players it
    depends on (``block`` its payoffs ``(own, *deps, runs)``), and ``(runs,)`` whether
    every one is unique (no other option's regret at most ``tol``), by elementwise passes
    over its options (much faster than reductions over the options axis)."""
    m, runs = block.shape[0], block.shape[-1]
    flat = block.reshape(m, -1, runs)
    top = flat[0].copy()
    best = np.zeros(top.shape, dtype=np.int64)
    for c in range(1, m):
        np.copyto(best, c, where=flat[c] > top)
        np.maximum(top, flat[c], out=top)
    near = np.zeros(top.shape, dtype=np.int8)  # options with regret <= tol
    for c in range(m):
        near += (top - flat[c]) <= tol
    return best, (near == 1).all(axis=0)


def _regret_at(game: SparseGame, i: int, action: dict[int, np.ndarray]) -> np.ndarray:
    """Player ``i``'s regret ``max_b u_i(b, a_-i) - u_i(a)`` at the profiles ``a`` given by
    ``action`` (per player ``(k, runs)``, or ``(k, 1)`` when the same in every run): its
    best payoff against each profile of the players it depends on (a pass over its
    options, as over the whole tensor) and its payoff at ``a_i``, both picked at the
    ``k`` profiles → ``(k, runs)``."""
    runs, m = game.runs, game.counts[i]
    flat = game.block(i).reshape(m, -1, runs)  # (own, profiles of its deps, runs)
    profiles = flat.shape[1]
    top = flat[0].copy()
    for c in range(1, m):
        np.maximum(top, flat[c], out=top)
    at = _positions(game, game.deps[i], action)  # (k, runs) positions in (profiles, runs)
    return top.take(at) - flat.take(action[i] * (profiles * runs) + at)


def _positions(game: SparseGame, deps: tuple[int, ...], action: dict[int, np.ndarray]
               ) -> np.ndarray:
    """Positions ``profile * runs + run`` in a ``(profiles of deps, runs)`` array of the
    profiles ``action`` gives (the actions the same in every run summed first)."""
    strides, stride = [], game.runs
    for k in reversed(deps):
        strides.insert(0, stride)
        stride *= game.counts[k]
    shared = [action[k] * s for k, s in zip(deps, strides) if action[k].shape[-1] == 1]
    at = sum(shared, np.zeros((1, 1), dtype=np.intp)) + np.arange(game.runs)
    for k, stride in zip(deps, strides):
        if action[k].shape[-1] != 1:
            at = at + action[k] * stride
    return at


def _flat_index(indices: list[np.ndarray], sizes: list[int]) -> np.ndarray:
    """Row-major flat index of multi-indices (no bounds checks: indices are in range)."""
    out = indices[0]
    for index, size in zip(indices[1:], sizes[1:]):
        out = out * size + index
    return out
