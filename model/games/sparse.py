"""A batch of finite games on a run axis, stored sparsely: ``SparseGame``.

Each player's payoff tensor is kept only along the players it depends on (a payoff that
ignores player ``k``'s action has no axis for ``k``), so the expected payoffs of the logit
QRE equations and their derivatives cost far less than with the dense array.
``SparseGame.evaluate`` gives those equations' residual and Jacobian for every run at once
(by the plan of ``model.games.plan``), ``SparseGame.solve`` their Newton systems (the
solvers are in ``model.games.batch``); ``uniqueness_bound`` says where the QRE is certainly
unique.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np

from .plan import VIEWS_FROM, Plan, contract_by_gathers, contract_by_views, plan

__all__ = ["SparseGame", "uniqueness_bound"]


class SparseGame:
    """A batch of finite games in which each player's payoff ignores some players.

    ``counts`` are the action counts of players ``0..n-1``. Player ``i``'s payoffs are
    ``tensors[i]`` with shape ``(runs, m_i, *[m_k for k in deps[i]])``: its own action
    first, then the actions of the players it depends on (``deps[i]``, increasing, not
    containing ``i``); it does not depend on anyone else.

    The numbers are stored with the runs last: ``block(i)`` is player ``i``'s tensor
    ``(m_i, *deps, runs)``, and ``flat_runs_last`` ``(base, runs)`` the players' tensors
    flattened one after another (made when first asked for, unless the game was built
    from it). The solvers read them that way (long inner loops over runs however few a
    player's options); ``tensors`` are views with the runs first. Build from tensors with
    the runs first (``SparseGame(tensors, ...)``), from the blocks
    (``SparseGame.from_blocks``) or from the flat layout (``SparseGame.from_runs_last``).
    """

    def __init__(self, tensors: list[np.ndarray], deps: list[tuple[int, ...]],
                 counts: tuple[int, ...]) -> None:
        blocks = [np.ascontiguousarray(np.moveaxis(np.asarray(t, dtype=float), 0, -1))
                  for t in tensors]
        self._store(blocks, deps, counts)

    @classmethod
    def from_blocks(cls, blocks: list[np.ndarray], deps: list[tuple[int, ...]],
                    counts: tuple[int, ...]) -> SparseGame:
        """The game of the players' runs-last tensors ``(m_i, *deps[i], runs)`` (float,
        C-contiguous, not copied)."""
        game = cls.__new__(cls)
        game._store(list(blocks), deps, counts)
        return game

    @classmethod
    def from_runs_last(cls, flat_runs_last: np.ndarray, deps: list[tuple[int, ...]],
                       counts: tuple[int, ...]) -> SparseGame:
        """The game whose tensors are stored in ``flat_runs_last`` ``(base, runs)``
        (C-contiguous, not copied): the players' tensors ``(m_i, *deps, runs)`` one after
        another."""
        counts = tuple(int(m) for m in counts)
        shapes = [(counts[i], *[counts[k] for k in dep]) for i, dep in enumerate(deps)]
        ends = np.cumsum([0, *(int(np.prod(shape)) for shape in shapes)])
        if (flat_runs_last.ndim != 2 or flat_runs_last.shape[0] != ends[-1]
                or not flat_runs_last.flags.c_contiguous):
            raise ValueError(f"flat_runs_last must be C-contiguous with {ends[-1]} rows; "
                             f"got shape {flat_runs_last.shape}")
        runs = flat_runs_last.shape[1]
        blocks = [flat_runs_last[lo:hi].reshape(*shape, runs)
                  for lo, hi, shape in zip(ends[:-1], ends[1:], shapes)]
        game = cls.from_blocks(blocks, deps, counts)
        game._flat = flat_runs_last
        return game

    def _store(self, blocks: list[np.ndarray], deps, counts) -> None:
        self.deps = [tuple(d) for d in deps]
        self.counts = tuple(int(m) for m in counts)
        self.n = len(self.counts)
        bounds = np.cumsum([0, *self.counts])
        self.slices = [slice(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:])]
        self.size = int(bounds[-1])
        self._starts = bounds[:-1].astype(np.intp)
        self._repeats = np.asarray(self.counts)
        runs = blocks[0].shape[-1]
        for i, block in enumerate(blocks):
            shape = (self.counts[i], *[self.counts[k] for k in self.deps[i]], runs)
            if block.shape != shape or not block.flags.c_contiguous or block.dtype != float:
                raise ValueError(f"player {i}'s block must be a C-contiguous float array of "
                                 f"shape {shape}; got {block.dtype} {block.shape}")
        self._blocks = blocks
        self._flat: np.ndarray | None = None

    @property
    def runs(self) -> int:
        return self._blocks[0].shape[-1]

    def block(self, i: int) -> np.ndarray:
        """Player ``i``'s payoffs with the runs last, ``(m_i, *deps[i], runs)``."""
        return self._blocks[i]

    @property
    def flat_runs_last(self) -> np.ndarray:
        """The players' tensors flattened one after another, ``(base, runs)``."""
        if self._flat is None:
            self._flat = np.concatenate([b.reshape(-1, self.runs) for b in self._blocks])
        return self._flat

    @property
    def tensors(self) -> list[np.ndarray]:
        """Player ``i``'s payoffs ``(runs, m_i, *deps[i])`` (views of the stored numbers)."""
        return [np.moveaxis(self.block(i), -1, 0) for i in range(self.n)]

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
        if self._flat is not None:
            return SparseGame.from_runs_last(np.take(self._flat, rows, axis=1),
                                             self.deps, self.counts)
        return SparseGame.from_blocks([np.take(b, rows, axis=-1) for b in self._blocks],
                                      self.deps, self.counts)

    def payoff_scale(self) -> np.ndarray:
        """``(runs,)`` the largest absolute payoff of any player."""
        out = np.zeros(self.runs)
        for block in self._blocks:
            out = np.maximum(out, np.abs(block.reshape(-1, self.runs)).max(axis=0, initial=0.0))
        return out

    def payoff_range(self) -> np.ndarray:
        """``(runs,)`` the largest range (max - min) of one player's payoffs."""
        out = np.zeros(self.runs)
        for block in self._blocks:
            rows = block.reshape(-1, self.runs)
            out = np.maximum(out, rows.max(axis=0) - rows.min(axis=0))
        return out

    def uniform(self, runs: int | None = None) -> np.ndarray:
        """Log-probabilities of uniform play ``(runs, size)``."""
        row = np.concatenate([np.full(m, -np.log(m)) for m in self.counts])
        return np.tile(row, (self.runs if runs is None else runs, 1))

    @cached_property
    def plan(self) -> Plan:
        """The evaluation plan of this game's dependency structure (built once)."""
        return plan(self.deps, self.counts)

    def evaluate(self, x: np.ndarray, lam: np.ndarray, jacobian: bool = True):
        """``H(x)`` (runs, size) and, if asked, ``dH/dx`` (runs, size, size).

        ``H_i = x_i - log softmax(lam v_i)``; ``dH_i/dx_i = I`` and, for ``j`` in
        ``deps[i]``, ``dH_i/dx_j = -lam (I - 1 s_i^T) M_ij diag(p_j)`` with ``s_i`` the
        logit response and ``p_j = exp(x_j)`` (as in ``model.games.homotopy._LogitSystem``).
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
            contract_by_views(plan, buffer, strategies)
        else:
            contract_by_gathers(plan, buffer, strategies)
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
        r_kept = _minus_in_order(rhs[:, plan.kept].T, b * r_gone[None])
        systems = schur.transpose(2, 0, 1)
        try:
            y_kept = np.linalg.solve(systems, r_kept.T[..., None])[..., 0]
        except np.linalg.LinAlgError:
            y_kept = np.stack([_solve_or_nan(m, v) for m, v in zip(systems, r_kept.T)])
        y = np.empty_like(rhs)
        y[:, plan.kept] = y_kept
        y[:, plan.eliminated] = _minus_in_order(r_gone, a * y_kept.T[None]).T
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


def _minus_in_order(start: np.ndarray, terms: np.ndarray) -> np.ndarray:
    """``start - terms[:, 0] - terms[:, 1] - ...`` (``start`` (k, runs), ``terms``
    (k, n, runs)), subtracted left to right as a loop would (``subtract`` is not
    reorderable, so its reduction keeps the order): one call instead of 2n."""
    return np.subtract.reduce(np.concatenate([start[:, None], terms], axis=1), axis=1)


def _solve_or_nan(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.solve(a, b)
    except np.linalg.LinAlgError:
        return np.full_like(b, np.nan)


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
