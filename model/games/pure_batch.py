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
    """Player ``i``'s array over (own, *deps) as ``(*all players' axes, runs)`` with size-1
    axes for the players it ignores (runs last: long inner loops when broadcasting)."""
    order = [i, *game.deps[i]]
    kept = sorted(order)
    array = np.moveaxis(array, list(range(1, len(order) + 1)),
                        [1 + kept.index(k) for k in order])
    flat = np.ascontiguousarray(array.reshape(array.shape[0], -1).T)
    shape = [game.counts[k] if k in kept else 1 for k in range(game.n)]
    return flat.reshape(*shape, array.shape[0])


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
            t = game.tensors[i]
            gap = _runs_last(game, i, t.max(axis=1, keepdims=True) - t)
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

    Returns ``(actions, valid, exact)``: ``actions`` one ``(runs, |O|)`` array of action
    indices per player (the candidate profiles), ``valid`` ``(runs, |O|)`` where that
    profile is an equilibrium, ``exact`` ``(runs,)``; ``None`` when a member of ``G``
    depends on another member.
    """
    sizes = [int(np.prod([game.counts[i] for i in g])) for g in groups]
    big = groups[int(np.argmax(sizes))]
    others = [i for i in range(game.n) if i not in big]
    if any(k in big for i in big for k in game.deps[i]):
        return None
    runs = game.runs
    grid = np.indices([game.counts[k] for k in others]).reshape(len(others), -1)  # (|O|, P)
    n_o = grid.shape[1]
    action = {k: np.broadcast_to(grid[pos], (runs, n_o)) for pos, k in enumerate(others)}
    exact = np.ones(runs, dtype=bool)
    for i in big:
        flat = game.tensors[i].reshape(runs, game.counts[i], -1)
        top, best = _max_over_own(flat)  # (runs, P_i): gap 0 at the (first) argmax
        near = (top - flat[:, 0]) <= tol
        for c in range(1, flat.shape[1]):  # options with regret <= tol
            near = near.astype(np.int8) + ((top - flat[:, c]) <= tol)
        exact &= (near == 1).all(axis=1)
        if game.deps[i]:
            dep_index = _flat_index([grid[others.index(k)] for k in game.deps[i]],
                                    [game.counts[k] for k in game.deps[i]])
            action[i] = best[:, dep_index]
        else:
            action[i] = np.broadcast_to(best[:, :1], (runs, n_o))
    valid = np.ones((runs, n_o), dtype=bool)
    for group in groups:
        if group is big:
            continue
        total = None
        for i in group:
            here = _regret_at(game, i, action)
            total = here if total is None else total + here
        valid &= total <= tol
    return [action[k] for k in range(game.n)], valid, exact


def _regret_at(game: SparseGame, i: int, action: dict[int, np.ndarray]) -> np.ndarray:
    """Player ``i``'s regret ``max_b u_i(b, a_-i) - u_i(a)`` at the profiles ``a`` given by
    ``action`` (one ``(runs, k)`` array per player): the best payoff over its own options
    and its payoff at ``a_i``, both picked at the profiles (the same subtraction as over
    the whole tensor, on ``k`` profiles only)."""
    runs, m = game.runs, game.counts[i]
    tensor = game.tensors[i]
    profiles = tensor[0].size // m  # of the players it depends on
    deps = game.deps[i]
    # flat positions of (run, own option 0, the others' profile)
    at = np.arange(runs)[:, None] * tensor[0].size
    if deps:
        at = at + _flat_index([action[k] for k in deps], [game.counts[k] for k in deps])
    values = tensor.reshape(-1)
    top = values[at]
    for c in range(1, m):
        top = np.maximum(top, values[at + c * profiles])
    return top - values[at + action[i] * profiles]


def _max_over_own(flat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Maximum over axis 1 of ``flat`` (runs, m, P) and the first index reaching it, by
    an elementwise pass over the m options (much faster than a middle-axis reduction)."""
    top = flat[:, 0].copy()
    best = np.zeros(top.shape, dtype=np.int64)
    for c in range(1, flat.shape[1]):
        better = flat[:, c] > top
        best[better] = c
        np.maximum(top, flat[:, c], out=top)
    return top, best


def _flat_index(indices: list[np.ndarray], sizes: list[int]) -> np.ndarray:
    """Row-major flat index of multi-indices (no bounds checks: indices are in range)."""
    out = indices[0]
    for index, size in zip(indices[1:], sizes[1:]):
        out = out * size + index
    return out
