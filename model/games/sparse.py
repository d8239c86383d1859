"""A batch of finite games on a run axis, stored sparsely: ``SparseGame``.

Each player's payoff tensor is kept only along the players it depends on (a payoff that
ignores player ``k``'s action has no axis for ``k``), so the expected payoffs of the logit
QRE equations and their derivatives cost far less than with the dense array.
``SparseGame.evaluate`` gives those equations' residual and Jacobian for every run at once
(the solvers are in ``model.games.batch``); ``uniqueness_bound`` says where the QRE is
certainly unique.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np

__all__ = ["SparseGame", "uniqueness_bound"]


@dataclass(frozen=True)
class _Plan:
    """How ``SparseGame.evaluate`` computes the expected payoffs and their derivatives for
    one dependency structure, found once.

    The payoff tensors and every partial contraction of them live side by side in one
    buffer ``(runs, width)`` (the tensors flattened first, ``base`` numbers a run). The
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


def _plan(deps: list[tuple[int, ...]], counts: tuple[int, ...]) -> _Plan:
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
    return _Plan(int(sum(sizes[:n])), int(width), tuple(levels), views, value_index,
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
    """``_Plan.shapes``: the Jacobian blocks grouped by shape, with their index arrays."""
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


class SparseGame:
    """A batch of finite games in which each player's payoff ignores some players.

    ``counts`` are the action counts of players ``0..n-1``. Player ``i``'s payoffs are
    ``tensors[i]`` with shape ``(runs, m_i, *[m_k for k in deps[i]])``: its own action
    first, then the actions of the players it depends on (``deps[i]``, increasing, not
    containing ``i``); it does not depend on anyone else.
    """

    def __init__(self, tensors: list[np.ndarray], deps: list[tuple[int, ...]],
                 counts: tuple[int, ...]) -> None:
        self.tensors = tensors
        self.deps = [tuple(d) for d in deps]
        self.counts = tuple(int(m) for m in counts)
        self.n = len(self.counts)
        bounds = np.cumsum([0, *self.counts])
        self.slices = [slice(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:])]
        self.size = int(bounds[-1])
        self._starts = bounds[:-1].astype(np.intp)
        self._repeats = np.asarray(self.counts)
        self._flat: np.ndarray | None = None
        self._flat_runs_last: np.ndarray | None = None
    @property
    def runs(self) -> int:
        return self.tensors[0].shape[0]

    @classmethod
    def from_tensors(cls, tensors: list[np.ndarray], counts) -> SparseGame:
        """Build from broadcastable tensors ``(runs, c_0, ..., c_{n-1})`` with ``c_k`` in
        ``{1, m_k}``, dropping every axis along which the payoff is exactly constant in
        every run of the batch."""
        counts = tuple(int(m) for m in counts)
        n = len(counts)
        out, deps = [], []
        for i, t in enumerate(tensors):
            if t.ndim != n + 1:
                raise ValueError(f"tensor {i} must have {n + 1} axes; got shape {t.shape}")
            t = np.broadcast_to(t, t.shape[:1] + tuple(
                counts[k] if k == i else t.shape[1 + k] for k in range(n)))
            dep = []
            index: list = [slice(None)] * (n + 1)
            for k in range(n):
                if k == i or t.shape[1 + k] == 1:
                    if k != i:
                        index[1 + k] = 0
                    continue
                first = np.take(t, [0], axis=1 + k)
                if np.array_equal(t, np.broadcast_to(first, t.shape)):
                    index[1 + k] = 0
                else:
                    dep.append(k)
            reduced = t[tuple(index)]
            kept = sorted([i, *dep])
            reduced = np.moveaxis(reduced, 1 + kept.index(i), 1)
            out.append(np.ascontiguousarray(reduced, dtype=float))
            deps.append(tuple(dep))
        return cls(out, deps, counts)

    def take(self, rows: np.ndarray) -> SparseGame:
        """The games of the given runs."""
        return SparseGame([t[rows] for t in self.tensors], self.deps, self.counts)

    def uniform(self, runs: int | None = None) -> np.ndarray:
        """Log-probabilities of uniform play ``(runs, size)``."""
        row = np.concatenate([np.full(m, -np.log(m)) for m in self.counts])
        return np.tile(row, (self.runs if runs is None else runs, 1))

    @property
    def plan(self) -> _Plan:
        """The evaluation plan of this game's dependency structure (built once)."""
        key = (tuple(self.deps), self.counts)
        if key not in _PLANS:
            _PLANS[key] = _plan(self.deps, self.counts)
        return _PLANS[key]

    @property
    def flat(self) -> np.ndarray:
        """The payoff tensors side by side, ``(runs, plan.base)``."""
        if self._flat is None:
            self._flat = np.concatenate([t.reshape(self.runs, -1) for t in self.tensors],
                                        axis=1)
        return self._flat

    @property
    def flat_runs_last(self) -> np.ndarray:
        """``flat`` transposed, ``(plan.base, runs)``: how ``evaluate_rows`` reads it."""
        if self._flat_runs_last is None:
            self._flat_runs_last = np.ascontiguousarray(self.flat.T)
        return self._flat_runs_last

    def evaluate(self, x: np.ndarray, lam: np.ndarray, jacobian: bool = True):
        """``H(x)`` (runs, size) and, if asked, ``dH/dx`` (runs, size, size).

        ``H_i = x_i - log softmax(lam v_i)``; ``dH_i/dx_i = I`` and, for ``j`` in
        ``deps[i]``, ``dH_i/dx_j = -lam (I - 1 s_i^T) M_ij diag(p_j)`` with ``s_i`` the
        logit response and ``p_j = exp(x_j)`` (as in ``model.games._LogitSystem``).
        """
        if x.shape != (self.runs, self.size):
            raise ValueError(f"x must have shape {(self.runs, self.size)}; got {x.shape}")
        residual, jac = self.evaluate_rows(None, x, lam, jacobian)
        return residual, None if jac is None else jac.transpose(2, 0, 1)

    def evaluate_rows(self, rows: np.ndarray | None, x: np.ndarray, lam: np.ndarray,
                      jacobian: bool = True, d_lam: bool = False):
        """``evaluate`` for the games of runs ``rows`` (``None``: all), with the
        Jacobian's runs last: ``(size, size, len(rows))``; with ``d_lam`` also
        ``dH/dlam = s_i . v_i - v_i`` (runs, size), the branch's other derivative.

        The work is done with the runs along the last axis (long inner loops however few
        the players' options); every number is computed as in ``plan``'s recursion.
        """
        plan = self.plan
        runs = x.shape[0]
        p_all = np.exp(x)
        strategies = np.ascontiguousarray(p_all.T)  # (size, runs)
        buffer = np.empty((plan.width, runs))
        if rows is None:
            buffer[:plan.base] = self.flat_runs_last
        else:
            np.take(self.flat_runs_last, rows, axis=1, out=buffer[:plan.base])
        if runs >= VIEWS_FROM:
            _contract_by_views(plan, buffer, strategies)
        else:
            _contract_by_gathers(plan, buffer, strategies)
        v = np.ascontiguousarray(buffer[plan.values].T)  # expected payoffs (runs, size)
        z = lam[:, None] * v
        top = np.maximum.reduceat(z, self._starts, axis=1)
        e = np.exp(z - np.repeat(top, self._repeats, axis=1))
        total = np.add.reduceat(e, self._starts, axis=1)
        residual = x - z + np.repeat(top + np.log(total), self._repeats, axis=1)
        if not jacobian:
            return residual, None
        response = e / np.repeat(total, self._repeats, axis=1)
        s = np.ascontiguousarray(response.T)
        g = np.zeros((self.size * self.size, runs))
        g[::self.size + 1] = 1.0
        minus_lam = -lam
        for where, block_rows, cols, flat_index in plan.shapes:  # one shape at once
            m = buffer[where]  # (k, m_i, m_j, runs): the M_ij
            weights = s[block_rows]  # (k, m_i, runs)
            mean = m[:, 0] * weights[:, 0, None]  # s_i^T M_ij: (k, m_j, runs)
            for c in range(1, m.shape[1]):
                mean += m[:, c] * weights[:, c, None]
            block = minus_lam * (m - mean[:, None]) * strategies[cols][:, None]
            g[flat_index] = block.reshape(-1, runs)
        jac = g.reshape(self.size, self.size, runs)
        if not d_lam:
            return residual, jac
        mean = np.add.reduceat(response * v, self._starts, axis=1)
        return residual, jac, np.repeat(mean, self._repeats, axis=1) - v


    def solve(self, jac: np.ndarray, rhs: np.ndarray, schur: np.ndarray | None = None
              ) -> np.ndarray:
        """Solve ``jac y = rhs`` for each run: ``jac`` (size, size, runs) as from
        ``evaluate_rows``, ``rhs`` (runs, size); NaN where a system is singular.
        ``schur`` is ``self.schur(jac)`` if already at hand.

        The unknowns ``E`` of players none of whom depends on another (``plan.eliminated``)
        have the identity as their block, so with ``K`` the others
        ``jac = [[I, A], [B, D]]`` and ``y_K`` solves the Schur complement
        ``(D - B A) y_K = rhs_K - B rhs_E``, then ``y_E = rhs_E - A y_K`` (Russia's ten
        unknowns in the model's game: a 9 x 9 system instead of 19 x 19). The products
        are sums in a fixed order, so a run's bits do not depend on the batch.
        """
        plan = self.plan
        schur = self.schur(jac) if schur is None else schur
        a, b = jac[plan.gone_kept], jac[plan.kept_gone]  # (|E|, |K|, runs), (|K|, |E|, runs)
        r_gone = rhs[:, plan.eliminated].T  # (|E|, runs)
        r_kept = np.ascontiguousarray(rhs[:, plan.kept].T)
        for j in range(len(plan.eliminated)):
            r_kept -= b[:, j] * r_gone[j]
        systems = schur.transpose(2, 0, 1)
        try:
            y_kept = np.linalg.solve(systems, r_kept.T[..., None])[..., 0]
        except np.linalg.LinAlgError:
            y_kept = np.stack([_solve_or_nan(m, v) for m, v in zip(systems, r_kept.T)])
        y = np.empty_like(rhs)
        y[:, plan.kept] = y_kept
        y_gone = r_gone.copy()
        for k in range(len(plan.kept)):
            y_gone -= a[:, k] * y_kept[:, k]
        y[:, plan.eliminated] = y_gone.T
        return y

    def det_sign(self, jac: np.ndarray | None, schur: np.ndarray | None = None
                 ) -> np.ndarray:
        """The sign of ``det(jac)`` per run (``jac`` (size, size, runs); it equals
        ``det(D - B A)``, see ``solve``; pass ``schur`` instead if at hand)."""
        schur = self.schur(jac) if schur is None else schur
        return np.linalg.slogdet(schur.transpose(2, 0, 1))[0]

    def schur(self, jac: np.ndarray) -> np.ndarray:
        """``D - B A`` (|K|, |K|, runs) of ``solve``, adding only the blocks that are not
        zero."""
        schur = jac[self.plan.kept_kept]
        for into, b_block, a_block in self.plan.schur_terms:
            b, a = jac[b_block], jac[a_block]  # (rows, m_e, runs), (m_e, cols, runs)
            product = b[:, 0, None] * a[None, 0]
            for q in range(1, b.shape[1]):
                product += b[:, q, None] * a[None, q]
            schur[into] -= product
        return schur


def _solve_or_nan(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.solve(a, b)
    except np.linalg.LinAlgError:
        return np.full_like(b, np.nan)

#: From this many runs on, ``evaluate_rows`` contracts through views of its buffer, one
#: numpy call per term; below it, through one gather per level (fewer calls). Same bits.
VIEWS_FROM = 128


def _contract_by_gathers(plan: _Plan, buffer: np.ndarray, strategies: np.ndarray) -> None:
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


def _contract_by_views(plan: _Plan, buffer: np.ndarray, strategies: np.ndarray) -> None:
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


_PLANS: dict[tuple, _Plan] = {}


def uniqueness_bound(game: SparseGame, lam) -> np.ndarray:
    """``rho(lam/4 K)`` per run; below 1 the logit QRE at ``lam`` is unique.

    ``K[i, j]`` bounds how much player ``j``'s action can change player ``i``'s payoff
    differences: the largest, over ``i``'s action pairs ``b, b'`` and the others' actions,
    of the range over ``j``'s action of ``u_i(b, .) - u_i(b', .)``. Changing ``sigma_j``
    by ``d_j`` in the 1-norm changes the range of ``v_i`` by at most
    ``sum_j K_ij d_j / 2``; the logit response moves by at most ``lam/2`` times that
    range (its mean absolute deviation bound), so ``sigma -> L(sigma)`` is a contraction
    in a weighted max-norm when the spectral radius of ``lam K / 4`` is below 1 (Perron).
    The bound grows with ``lam``, so the QRE is then unique for all smaller ``lam`` too:
    the principal branch is the only one, with no turning point.
    """
    runs = game.runs
    lam = np.broadcast_to(np.asarray(lam, dtype=float), (runs,))
    k = np.zeros((runs, game.n, game.n))
    for i, (t, dep) in enumerate(zip(game.tensors, game.deps)):
        for q, j in enumerate(dep):
            a = np.moveaxis(t, 2 + q, -1).reshape(runs, t.shape[1], -1, t.shape[2 + q])
            d = a[:, :, None] - a[:, None, :]
            k[:, i, j] = (d.max(axis=-1) - d.min(axis=-1)).reshape(runs, -1).max(axis=1)
    return np.abs(np.linalg.eigvals(lam[:, None, None] / 4.0 * k)).max(axis=1)
