"""How a ``SparseGame`` (``model.games.sparse``) evaluates the logit-QRE equations: the
plan of its contractions and of its Newton systems, found once per dependency structure.

``plan(deps, counts)`` (cached) lays the payoff tensors and every partial contraction of
them side by side in one buffer; ``contract_by_gathers`` and ``contract_by_views`` fill
that buffer for a batch of strategies (the same bits either way); the plan also says
which players' unknowns ``SparseGame.solve`` eliminates (a Schur complement).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np

__all__ = ["Plan", "plan", "contract_by_gathers", "contract_by_views", "VIEWS_FROM"]


@dataclass(frozen=True)
class Plan:
    """How ``SparseGame.evaluate`` computes the expected payoffs and their derivatives for
    one dependency structure, found once.

    The payoff tensors and every partial contraction of them live side by side in one
    buffer ``(width, runs)`` (the tensors flattened first, ``base`` numbers a run). The
    contractions are those of the memoized recursion ``M[i, j]`` = player ``i``'s tensor
    contracted with the strategies of its other dependencies, the highest player first,
    partial results shared between the pairs of one player, and ``v_i = M[i, last]
    p_last``. Contractions that depend only on earlier ones (a *level*) and sum over
    the same number of options are done together: ``levels`` holds, per such group, the
    buffer positions ``(E, m)`` of the ``m`` terms of each of its ``E`` results, the
    strategy entries ``(E, m)`` they are weighted by, and the slice ``lo:hi`` of the
    buffer its results fill. Each result is the sum of its terms in option order, as
    the recursion adds them, so the bits are the same whatever the grouping. ``steps``
    holds the same contractions one by one, as views of the buffer: ``(source, k, before,
    m, after, out)``, the source's offset, the first strategy entry of player ``k``, the
    source's shape ``(before, m, after)`` with ``k``'s options in the middle, and the
    result's offset (``evaluate_rows`` uses them for large batches, where the gathers of
    ``levels`` cost more memory traffic than the extra numpy calls).

    ``values`` ``(size,)`` are the buffer positions of the ``v_i``; ``shapes`` the
    Jacobian blocks of one shape ``(m_i, m_j)`` together: the buffer positions of their
    ``M[i, j]`` ``(k, m_i, m_j)``, their rows ``(k, m_i)`` and columns ``(k, m_j)`` of
    the Jacobian, and where their entries go in the flattened Jacobian.

    ``eliminated`` and ``kept`` are the unknowns ``SparseGame.solve`` eliminates (players
    none of whom depends on another) and keeps, ``schur_terms`` the blocks of ``B A`` in
    its Schur complement that are not zero (``_schur_terms``).
    """

    base: int
    width: int
    levels: tuple[tuple[np.ndarray, np.ndarray, int, int], ...]
    steps: tuple[tuple[int, int, int, int, int, int], ...]
    values: np.ndarray
    shapes: tuple[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], ...]
    eliminated: np.ndarray
    kept: np.ndarray
    schur_terms: tuple[tuple[tuple, tuple, tuple], ...]

    @cached_property
    def kept_kept(self) -> tuple:
        return np.ix_(self.kept, self.kept)

    @cached_property
    def gone_kept(self) -> tuple:
        return np.ix_(self.eliminated, self.kept)

    @cached_property
    def kept_gone(self) -> tuple:
        return np.ix_(self.kept, self.eliminated)


def _contractions(deps: list[tuple[int, ...]], counts: tuple[int, ...]):
    """The recursion's contractions in order: ``(source, player, before, m, after)`` for
    each new buffer (buffers ``0..n-1`` are the tensors), the buffer of each ``M[i, j]``
    as ``(i, j, buffer)``, and the buffer of each ``v_i``."""
    steps, blocks, values = [], [], []
    buffers = len(deps)
    for i, own in enumerate(deps):
        memo = {(): i}
        axes = {(): [i, *own]}  # the players along each buffer's axes after the runs
        for j in own:
            key: tuple[int, ...] = ()
            for k in sorted((d for d in own if d != j), reverse=True):
                step = key + (k,)
                if step not in memo:
                    shape = [counts[a] for a in axes[key]]
                    at = axes[key].index(k)
                    steps.append((memo[key], k, math.prod(shape[:at]), shape[at],
                                  math.prod(shape[at + 1:])))
                    memo[step] = buffers
                    axes[step] = [a for a in axes[key] if a != k]
                    buffers += 1
                key = step
            blocks.append((i, j, memo[key]))
        if own:  # v_i = M[i, last] p_last
            last = own[-1]
            steps.append((blocks[-1][2], last, counts[i], counts[last], 1))
            values.append(buffers)
            buffers += 1
        else:
            values.append(i)
    return steps, blocks, values


def _build(deps: list[tuple[int, ...]], counts: tuple[int, ...]) -> Plan:
    """The evaluation plan of a game with these dependencies and action counts."""
    steps, blocks, values = _contractions(deps, counts)
    n = len(deps)
    starts = np.cumsum([0, *counts])
    sizes = [counts[i] * math.prod(counts[k] for k in deps[i]) for i in range(n)]
    sizes += [before * after for _, _, before, _, after in steps]
    level = [0] * n
    for source, *_ in steps:
        level.append(level[source] + 1)
    offset = list(np.cumsum([0, *sizes[:n]])[:-1])
    offset += [0] * len(steps)
    width = sum(sizes[:n])
    groups: dict[tuple[int, int], list[int]] = {}
    for s, (_, _, _, m, _) in enumerate(steps):
        groups.setdefault((level[n + s], m), []).append(s)
    levels = []
    for (_, m), members in sorted(groups.items()):
        lo = width
        sources, weights = [], []
        for s in members:
            source, k, before, _, after = steps[s]
            offset[n + s] = width
            width += before * after
            b, c, a = np.meshgrid(np.arange(before), np.arange(m), np.arange(after),
                                  indexing="ij")  # (before, m, after)
            sources.append((offset[source] + (b * m + c) * after + a)
                           .transpose(0, 2, 1).reshape(-1, m))
            weights.append((starts[k] + c).transpose(0, 2, 1).reshape(-1, m))
        levels.append((np.concatenate(sources), np.concatenate(weights), lo, width))
    value_index = np.concatenate([offset[b] + np.arange(counts[i])
                                  for i, b in enumerate(values)])
    views = tuple((int(offset[source]), int(starts[k]), before, m, after, int(offset[n + s]))
                  for s, (source, k, before, m, after) in enumerate(steps))
    eliminated = _independent_players(deps, counts)
    unknowns = [np.arange(starts[i], starts[i] + counts[i]) for i in range(n)]
    gone = np.concatenate([unknowns[i] for i in eliminated] or [np.zeros(0, int)])
    kept = np.setdiff1d(np.arange(starts[-1]), gone)
    return Plan(int(sum(sizes[:n])), int(width), tuple(levels), views, value_index,
                 _block_shapes(blocks, counts, offset), gone, kept,
                 _schur_terms(deps, eliminated, unknowns, kept))


def _schur_terms(deps, eliminated, unknowns, kept) -> tuple:
    """Per eliminated player ``e``, the nonzero part of ``B A`` it adds (``SparseGame``'s
    Schur complement): rows of the kept players that depend on ``e``, columns of the kept
    players ``e`` depends on. Returns ``(where in the complement, B's block, A's block)``
    as ``np.ix_`` index tuples."""
    position = {int(u): q for q, u in enumerate(kept)}
    terms = []
    for e in eliminated:
        rows = [u for i in range(len(deps)) if e in deps[i] and i not in eliminated
                for u in unknowns[i]]
        cols = [u for i in deps[e] if i not in eliminated for u in unknowns[i]]
        if rows and cols:
            into = np.ix_([position[u] for u in rows], [position[u] for u in cols])
            terms.append((into, np.ix_(rows, unknowns[e]), np.ix_(unknowns[e], cols)))
    return tuple(terms)


def _independent_players(deps: list[tuple[int, ...]], counts: tuple[int, ...]) -> list[int]:
    """Players none of whom depends on another, the most options first (greedy): their
    block of the Jacobian is the identity, so ``SparseGame.solve`` eliminates them."""
    chosen: list[int] = []
    for i in sorted(range(len(deps)), key=lambda i: -counts[i]):
        if all(i not in deps[j] and j not in deps[i] for j in chosen):
            chosen.append(i)
    if len(chosen) == len(deps):  # nobody depends on anybody: keep one to solve for
        chosen.pop()
    return sorted(chosen)


def _block_shapes(blocks: list[tuple[int, int, int]], counts: tuple[int, ...],
                  offset: list[int]) -> tuple:
    """``Plan.shapes``: the Jacobian blocks grouped by shape, with their index arrays."""
    starts = np.cumsum([0, *counts])
    size = int(starts[-1])
    grouped: dict[tuple[int, int], list[tuple[int, int, int]]] = {}
    for i, j, b in blocks:
        grouped.setdefault((counts[i], counts[j]), []).append((i, j, b))
    out = []
    for (mi, mj), members in grouped.items():
        where = np.array([offset[b] + np.arange(mi * mj).reshape(mi, mj)
                          for _, _, b in members])
        rows = np.array([starts[i] + np.arange(mi) for i, _, _ in members])
        cols = np.array([starts[j] + np.arange(mj) for _, j, _ in members])
        flat = (rows[:, :, None] * size + cols[:, None, :]).reshape(-1)
        out.append((where, rows, cols, flat))
    return tuple(out)


#: From this many runs on, ``evaluate_rows`` contracts through views of its buffer, one
#: numpy call per term; below it, through one gather per level (fewer calls). Same bits.
VIEWS_FROM = 128


def contract_by_gathers(plan: Plan, buffer: np.ndarray, strategies: np.ndarray) -> None:
    """Fill ``buffer`` (width, runs) with the plan's contractions, level by level."""
    for sources, weights, lo, hi in plan.levels:
        terms = buffer[sources] * strategies[weights]  # (E, m, runs)
        out = buffer[lo:hi]
        if terms.shape[1] == 1:
            out[...] = terms[:, 0]
            continue
        np.add(terms[:, 0], terms[:, 1], out=out)
        for c in range(2, terms.shape[1]):  # summed in option order
            out += terms[:, c]


def contract_by_views(plan: Plan, buffer: np.ndarray, strategies: np.ndarray) -> None:
    """Fill ``buffer`` (width, runs) with the plan's contractions, one at a time."""
    runs = buffer.shape[1]
    scratch = np.empty((max(before * after for _, _, before, _, after, _ in plan.steps),
                        runs))
    for source, k, before, m, after, at in plan.steps:
        terms = buffer[source:source + before * m * after].reshape(before, m, after, runs)
        out = buffer[at:at + before * after].reshape(before, after, runs)
        np.multiply(terms[:, 0], strategies[k], out=out)
        term = scratch[:before * after].reshape(before, after, runs)
        for c in range(1, m):  # summed in option order, like the gathers
            np.multiply(terms[:, c], strategies[k + c], out=term)
            out += term


_PLANS: dict[tuple, Plan] = {}


def plan(deps: list[tuple[int, ...]], counts: tuple[int, ...]) -> Plan:
    """The evaluation plan of a game with these dependencies and action counts (cached)."""
    key = (tuple(tuple(d) for d in deps), tuple(counts))
    if key not in _PLANS:
        _PLANS[key] = _build(deps, counts)
    return _PLANS[key]
