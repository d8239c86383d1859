"""The logit QRE of many games at once: Newton's method over a run axis.

``logit_qre`` (one game, traced from ``lam = 0``) costs milliseconds per game. An
ensemble solves the same kind of game in every run every month, and each run's game
drifts only a little from one month to the next. This module solves a *batch* of games
``(runs, ...)`` together:

* ``SparseGame`` stores each player's payoff tensor only along the players it depends on
  (a payoff that ignores player ``k``'s action has no axis for ``k``), so the expected
  payoffs and their derivatives cost far less than with the dense array;
* ``newton`` runs Newton's method on the log-probability equations of ``logit_qre``
  for every run at once, each run with its own ``lam``, with a per-run convergence mask
  (converged and failed runs drop out of later iterations), guarded like a step of the
  path tracer;
* ``continuation`` follows the principal branch from uniform play at ``lam = 0`` in
  ``lam`` (natural-parameter continuation with per-run step control), for runs that have
  no warm start;
* ``solve`` combines them: warm start from each run's last solution, else continuation;
  it reports, per run, which method succeeded, so that the caller can trace the rest
  with ``logit_qre``;
* ``pure_equilibria`` marks every pure equilibrium of every game (``(runs, *counts)``),
  and ``equilibrium_candidates`` finds them faster through the largest player's best
  replies when those are unique (runs with ties are flagged for the full mask).

Which QRE: the principal branch. A logit QRE at ``lam`` is a zero of
``H(x) = x - log softmax(lam v(exp x))`` (per player; ``v`` the expected payoffs). Along
the principal branch, parametrized from ``(uniform, 0)``, the sign of
``det [[dH/dx, dH/dlam], [t^T]]`` is constant (+1 at ``lam = 0``, where ``dH/dx = I``), and
that determinant equals ``det(dH/dx) * t_lam * (1 + |dH/dx^{-1} dH/dlam|^2)``. So
``det(dH/dx) > 0`` exactly where the branch moves forward in ``lam``; the first crossing
of a requested ``lam`` (the point ``logit_qre`` returns) is a forward crossing. Every
solution this module accepts must pass that test, and must be reached by a step that
passes the tracer's own step-acceptance rules (the guards of ``newton``):

1. ``continuation`` *is* a path tracer in ``lam`` (without the turning-point machinery):
   its steps are accepted only with ``det(dH/dx) > 0`` at every point, so it can only
   walk along a part of the branch that is a graph over ``lam``, from ``lam = 0``. A
   turning point makes it refuse steps until the step is too short: the run is reported
   as failed and must be traced.
2. A warm start is one continuation step in the *game*: ``U(t) = (1 - t) U_last + t
   U_now`` from ``t = 0``, where last month's solution lies on the principal branch,
   to ``t = 1``. Newton's first correction from last month's point agrees to first
   order with the Euler predictor of that homotopy; the corrections after it must obey
   the tracer's limits
   (distance and contraction), and ``det(dH/dx)`` must stay positive. A month whose
   change folds the branch over the requested ``lam`` (the solution met a turning
   point and vanished, or jumped to another sheet) fails these tests and falls back.
3. Uniqueness: when ``rho(lam/4 K) < 1`` (``uniqueness_bound``), the logit response is
   a contraction, the QRE is unique for every ``lam' <= lam`` and any converged
   solution is the principal one, whatever the route. (In the baseline at ``lam = 4``
   the bound is 1.0-1.4: informative, not a certificate; 1 and 2 carry the argument.)
The remaining gap (documented, not closed): if between two months a new turning-point
pair appears on the branch *before* the requested ``lam`` and reaches past it, the
tracer's "first crossing" jumps while the warm solution moves continuously; the tests
compare with the tracer along the model's trajectories.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["SparseGame", "newton", "continuation", "solve", "QREBatch", "uniqueness_bound",
           "pure_equilibria", "equilibrium_candidates"]

#: Largest Newton correction after the first (Euler) one, in the 2-norm of the
#: log-probabilities: the tracer's ``_MAX_DIST``.
MAX_DIST = 0.05
#: Each later correction must be at most this fraction of the one before.
MAX_CONTRACTION = 0.5
#: Newton iterations allowed per solve.
MAX_ITERATIONS = 12
#: Residual tolerance (absolute, in log-probabilities), plus a rounding floor.
TOL = 1e-12
#: A Newton correction below this (2-norm) ends the iteration.
STEP_TOL = 1e-10
_EPS = np.finfo(float).eps


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
    the recursion adds them, so the bits are the same whatever the grouping.

    ``values`` ``(size,)`` are the buffer positions of the ``v_i``; ``shapes`` the
    Jacobian blocks of one shape ``(m_i, m_j)`` together: the buffer positions of their
    ``M[i, j]`` ``(k, m_i, m_j)``, their rows ``(k, m_i)`` and columns ``(k, m_j)`` of
    the Jacobian, and where their entries go in the flattened Jacobian.
    """

    base: int
    width: int
    levels: tuple[tuple[np.ndarray, np.ndarray, int, int], ...]
    values: np.ndarray
    shapes: tuple[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], ...]


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
    return _Plan(int(sum(sizes[:n])), int(width), tuple(levels), value_index,
                 _block_shapes(blocks, counts, offset))


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

    def evaluate(self, x: np.ndarray, lam: np.ndarray, jacobian: bool = True):
        """``H(x)`` (runs, size) and, if asked, ``dH/dx`` (runs, size, size).

        ``H_i = x_i - log softmax(lam v_i)``; ``dH_i/dx_i = I`` and, for ``j`` in
        ``deps[i]``, ``dH_i/dx_j = -lam (I - 1 s_i^T) M_ij diag(p_j)`` with ``s_i`` the
        logit response and ``p_j = exp(x_j)`` (as in ``model.games._LogitSystem``).
        """
        if x.shape != (self.runs, self.size):
            raise ValueError(f"x must have shape {(self.runs, self.size)}; got {x.shape}")
        return self.evaluate_rows(self.flat, x, lam, jacobian)

    def evaluate_rows(self, flat: np.ndarray, x: np.ndarray, lam: np.ndarray,
                      jacobian: bool = True):
        """``evaluate`` for the games whose tensors are ``flat`` (rows of ``self.flat``).

        The work is done with the runs along the last axis (long inner loops however few
        the players' options); every number is computed as in ``plan``'s recursion.
        """
        plan = self.plan
        runs = x.shape[0]
        p_all = np.exp(x)
        strategies = np.ascontiguousarray(p_all.T)  # (size, runs)
        buffer = np.empty((plan.width, runs))
        buffer[:plan.base] = flat.T
        for sources, weights, lo, hi in plan.levels:
            terms = buffer[sources] * strategies[weights]  # (E, m, runs)
            out = buffer[lo:hi]
            if terms.shape[1] == 1:
                out[...] = terms[:, 0]
                continue
            np.add(terms[:, 0], terms[:, 1], out=out)
            for c in range(2, terms.shape[1]):  # summed in option order
                out += terms[:, c]
        z = lam[:, None] * np.ascontiguousarray(buffer[plan.values].T)
        top = np.maximum.reduceat(z, self._starts, axis=1)
        e = np.exp(z - np.repeat(top, self._repeats, axis=1))
        total = np.add.reduceat(e, self._starts, axis=1)
        residual = x - z + np.repeat(top + np.log(total), self._repeats, axis=1)
        if not jacobian:
            return residual, None
        s = np.ascontiguousarray((e / np.repeat(total, self._repeats, axis=1)).T)
        g = np.zeros((self.size * self.size, runs))
        g[::self.size + 1] = 1.0
        minus_lam = -lam
        for where, rows, cols, flat_index in plan.shapes:  # blocks of one shape at once
            m = buffer[where]  # (k, m_i, m_j, runs): the M_ij
            weights = s[rows]  # (k, m_i, runs)
            mean = m[:, 0] * weights[:, 0, None]  # s_i^T M_ij: (k, m_j, runs)
            for c in range(1, m.shape[1]):
                mean += m[:, c] * weights[:, c, None]
            block = minus_lam * (m - mean[:, None]) * strategies[cols][:, None]
            g[flat_index] = block.reshape(-1, runs)
        return residual, g.reshape(self.size, self.size, runs).transpose(2, 0, 1)


_PLANS: dict[tuple, _Plan] = {}


def _tolerance(lam: np.ndarray, scale: np.ndarray) -> np.ndarray:
    return TOL + 100 * _EPS * (1.0 + lam * scale)


class _Newtons:
    """Guarded Newton solves of the runs of a batch that start and end at different times.

    ``start`` begins a solve for some runs (from ``x0`` at their ``lam``); each ``step`` is
    one Newton iteration of every running solve, with a single ``evaluate`` for all of
    them, and returns the solves that ended then and whether each was accepted. A run's
    arithmetic does not depend on which other runs share the step, so a solve gives the
    same bits as ``newton`` on its own; callers chain solves per run (continuation
    rounds, a refused warm start followed by continuation) without waiting for the
    slowest run of the batch at every link.
    """

    def __init__(self, game: SparseGame, guarded: bool = True,
                 max_iterations: int = MAX_ITERATIONS) -> None:
        self.game = game
        self.guarded = guarded
        self.max_iterations = max_iterations
        runs = game.runs
        self.scale = np.zeros(runs)
        for t in game.tensors:
            self.scale = np.maximum(self.scale, np.abs(t).reshape(runs, -1).max(axis=1,
                                                                                 initial=0.0))
        self.x = np.zeros((runs, game.size))
        self.x0 = np.zeros((runs, game.size))
        self.lam = np.zeros(runs)
        self.tol = np.zeros(runs)
        self.iteration = np.zeros(runs, dtype=np.int64)
        self.previous = np.full(runs, np.inf)
        self.running = np.zeros(runs, dtype=bool)

    def start(self, rows: np.ndarray, x0: np.ndarray, lam: np.ndarray) -> None:
        """Begin solving ``H(., lam) = 0`` for runs ``rows`` from ``x0`` (len(rows), size)."""
        self.x[rows] = x0
        self.x0[rows] = x0
        self.lam[rows] = lam
        self.tol[rows] = _tolerance(self.lam[rows], self.scale[rows])
        self.iteration[rows] = 0
        self.previous[rows] = np.inf
        self.running[rows] = True

    def step(self) -> tuple[np.ndarray, np.ndarray]:
        """One iteration of every running solve: ``(ended, accepted)``, the runs whose
        solve ended and whether it converged and passed the guards (``newton``). A run
        whose solve is refused gets its ``x0`` back."""
        rows = np.flatnonzero(self.running)
        flat = self.game.flat if len(rows) == self.game.runs else self.game.flat[rows]
        residual, jac = self.game.evaluate_rows(flat, self.x[rows], self.lam[rows])
        error = np.abs(residual).max(axis=1)
        done = error <= self.tol[rows]
        accepted = np.zeros(len(rows), dtype=bool)
        if done.any():
            accepted[done] = np.linalg.slogdet(jac[done])[0] > 0 if self.guarded else True
        ended = ~np.isfinite(error) | (self.iteration[rows] == self.max_iterations) | done
        go = ~ended
        if go.any():
            self._correct(rows, go, residual, jac, ended, accepted)
        self.iteration[rows] += 1
        stop, good = rows[ended], accepted[ended]
        self.running[stop] = False
        self.x[stop[~good]] = self.x0[stop[~good]]
        return stop, good

    def _correct(self, rows, go, residual, jac, ended, accepted) -> None:
        """The Newton corrections of the runs ``rows[go]``, with the step guards; marks
        in ``ended``/``accepted`` (in place) the runs that stop here."""
        here = rows[go]
        a, b = jac[go], -residual[go]
        try:
            step = np.linalg.solve(a, b[..., None])[..., 0]
        except np.linalg.LinAlgError:
            step = np.stack([_safe_solve(m, v) for m, v in zip(a, b)])
        dist = np.sqrt((step * step).sum(axis=1))
        bad = ~np.isfinite(dist)
        if self.guarded:
            iteration = self.iteration[here]
            bad |= (iteration == 1) & (dist > MAX_DIST)
            bad |= ((iteration >= 2) & (dist > MAX_CONTRACTION * self.previous[here])
                    & (dist > 1e-9))
        moved = here[~bad]
        self.x[moved] += step[~bad]
        self.previous[moved] = dist[~bad]
        # A correction this small leaves a residual of order its square: converged.
        small = ~bad & (dist <= STEP_TOL)
        stop = bad | small
        position = np.flatnonzero(go)
        if small.any():
            accepted[position[small]] = (np.linalg.slogdet(a[small])[0] > 0
                                         if self.guarded else True)
        ended[position[stop]] = True


def newton(game: SparseGame, lam: np.ndarray, x0: np.ndarray, *, guarded: bool = True,
           max_iterations: int = MAX_ITERATIONS) -> tuple[np.ndarray, np.ndarray]:
    """Newton's method on ``H(., lam) = 0`` for every run, from ``x0`` ``(runs, size)``.

    Returns ``(x, ok)``: ``ok[r]`` when run ``r`` converged (``max |H| <= TOL`` plus a
    rounding floor) and, if ``guarded``, passed the acceptance rules of a continuation
    step: the first correction is the predictor, every later one is at most ``MAX_DIST``
    (2-norm) and at most ``MAX_CONTRACTION`` times the one before, and ``det(dH/dx) > 0``
    at the solution (a forward point of the branch). Converged and failed runs leave the
    iteration (a per-run mask); failed runs keep ``x0``.
    """
    lam = np.asarray(lam, dtype=float)
    x0 = np.asarray(x0, dtype=float)
    solves = _Newtons(game, guarded, max_iterations)
    solves.start(np.arange(game.runs), x0, lam)
    ok = np.zeros(game.runs, dtype=bool)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        while solves.running.any():
            ended, accepted = solves.step()
            ok[ended[accepted]] = True
    return solves.x.copy(), ok


def _safe_solve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.solve(a, b)
    except np.linalg.LinAlgError:
        return np.full_like(b, np.nan)


#: How a run's QRE was found (``QREBatch.method``).
WARM, CONTINUED, FAILED, TRACED = 0, 1, 2, 3


@dataclass
class QREBatch:
    """Solutions for a batch: log-probabilities ``x`` (runs, size), and per run ``method``
    (``WARM``, ``CONTINUED`` or ``FAILED``: the caller must trace those)."""

    x: np.ndarray
    method: np.ndarray

    @property
    def ok(self) -> np.ndarray:
        return self.method != FAILED


def continuation(game: SparseGame, lam: np.ndarray, *, first: float = 0.25,
                 min_step: float = 1e-3, max_rounds: int = 200
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Follow the principal branch from uniform play at ``lam = 0`` up to each run's ``lam``.

    Natural-parameter continuation with per-run step control: each round tries, for an
    unfinished run, a guarded ``newton`` solve from its current point to ``lam_r + h_r``
    (never past the run's ``lam``); an accepted step doubles ``h_r``, a refused one halves
    it. A run whose step falls below ``min_step * lam`` (a turning point ahead, where
    ``det(dH/dx)`` changes sign) is reported as failed; so is a run still short of its
    ``lam`` after ``max_rounds`` rounds. Each run goes through its rounds at its own pace
    (``_Newtons``). Returns ``(x, ok)``.
    """
    result = _solve(game, np.asarray(lam, dtype=float), None, None, first=first,
                    min_step=min_step, max_rounds=max_rounds)
    return result.x, result.method == CONTINUED


def solve(game: SparseGame, lam, warm: np.ndarray | None = None,
          warm_ok: np.ndarray | None = None) -> QREBatch:
    """The principal-branch logit QRE of every game of the batch at its ``lam``.

    Runs with a warm start (``warm[r]`` where ``warm_ok[r]``: last month's solution of
    the run's previous game) take one guarded ``newton`` solve from it; the others, and
    warm starts that are refused, follow the branch from ``lam = 0`` (``continuation``).

    Runs with byte-identical inputs (game, ``lam`` and warm start; e.g. every run of a
    scenario without parameter distributions in its first month) are solved once: each
    run's arithmetic is independent of the others', so the copies get the same bits.
    """
    runs = game.runs
    lam = np.broadcast_to(np.asarray(lam, dtype=float), (runs,)).copy()
    if warm is not None and warm_ok is None:
        warm_ok = np.ones(runs, dtype=bool)
    first, inverse = _distinct_runs(game, lam, warm, warm_ok)
    if len(first) < runs:
        once = _solve(game.take(first), lam[first], None if warm is None else warm[first],
                      None if warm is None else warm_ok[first])
        result = QREBatch(once.x[inverse], once.method[inverse])
    else:
        result = _solve(game, lam, warm, warm_ok)
    result.x[~result.ok] = 0.0
    return result


def _distinct_runs(game: SparseGame, lam: np.ndarray, warm: np.ndarray | None,
                   warm_ok: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """The first run of each set of runs with byte-identical inputs, and each run's set."""
    runs = game.runs
    parts = [t.reshape(runs, -1) for t in game.tensors] + [lam[:, None]]
    if warm is not None:
        parts += [warm_ok[:, None].astype(float), np.where(warm_ok[:, None], warm, 0.0)]
    words = np.ascontiguousarray(np.concatenate(parts, axis=1)).view(np.uint64)
    # a hash of each run's bytes, then a check that runs with one hash are byte-identical
    _, first, inverse = np.unique(_row_hashes(words), return_index=True, return_inverse=True)
    inverse = inverse.reshape(runs)
    if not np.array_equal(words[first][inverse], words):  # a collision: compare bytes
        rows = words.view(np.dtype((np.void, words.shape[1] * words.itemsize))).reshape(runs)
        _, first, inverse = np.unique(rows, return_index=True, return_inverse=True)
        inverse = inverse.reshape(runs)
    return first, inverse


def _row_hashes(words: np.ndarray) -> np.ndarray:
    """A 64-bit hash of each row of ``words`` (runs, k) ``uint64`` (wrapping arithmetic)."""
    mix = np.random.default_rng(0).integers(1, 2**63, size=words.shape[1], dtype=np.uint64)
    with np.errstate(over="ignore"):
        return (words * (mix | np.uint64(1))).sum(axis=1)


def _solve(game: SparseGame, lam: np.ndarray, warm: np.ndarray | None,
           warm_ok: np.ndarray | None, *, first: float = 0.25, min_step: float = 1e-3,
           max_rounds: int = 200) -> QREBatch:
    """``solve`` without the merging of identical runs: the warm Newton solves and the
    rounds of ``continuation`` of all runs together (``_Continuation``)."""
    machine = _Continuation(game, lam, first, min_step, max_rounds)
    warming = np.zeros(game.runs, dtype=bool) if warm is None else warm_ok
    rows = np.flatnonzero(warming)
    if len(rows):
        machine.warm_start(rows, warm[rows])
    machine.begin(np.flatnonzero(~warming))
    return machine.run()


#: Below this many unfinished runs, continuation also tries each run's next smaller step
#: at once (``_Continuation``): steps are cheap then, and waiting is not.
SPECULATE_BELOW = 64


class _Continuation:
    """The warm solves and continuation rounds of ``_solve`` for a batch, run by run.

    Each run has two solve slots on a ``_Newtons`` of the batch with every run twice: the
    current round's solve, and (when few runs are left) a spare one started with it at the
    step the run will take next if the current one is refused (half the step, from the
    same point: exactly that round's solve). A refused round then costs no wait; an
    accepted one cancels the spare. Every round a run completes is the round
    ``continuation`` defines, with the same inputs, so the result has the same bits.
    """

    def __init__(self, game: SparseGame, lam: np.ndarray, first: float, min_step: float,
                 max_rounds: int) -> None:
        runs = game.runs
        self.lam, self.min_step, self.max_rounds = lam, min_step, max_rounds
        self.solves = _Newtons(game.take(np.repeat(np.arange(runs), 2)))
        self.method = np.full(runs, FAILED, dtype=np.int8)
        self.x = game.uniform()  # the last accepted point
        self.at = np.zeros(runs)
        self.h = first * lam
        self.rounds = np.zeros(runs, dtype=np.int64)
        self.finished = lam <= 0.0  # reached lam, failed, or out of rounds
        self.method[self.finished] = CONTINUED
        self.warming = np.zeros(runs, dtype=bool)
        self.current = 2 * np.arange(runs)  # slot of the current solve
        self.spare = np.full(runs, -1)  # slot of the spare solve, or -1
        self.slot_h = np.zeros(2 * runs)
        self.done = np.zeros(2 * runs, dtype=bool)  # the slot's solve has ended ...
        self.ok = np.zeros(2 * runs, dtype=bool)  # ... and was accepted

    def warm_start(self, rows: np.ndarray, warm: np.ndarray) -> None:
        """Newton solves at each run's ``lam`` from last month's solutions ``warm``."""
        self.warming[rows] = True
        self.finished[rows] = False
        self._start(self.current[rows], warm, self.lam[rows])

    def _start(self, slots: np.ndarray, x0: np.ndarray, lam: np.ndarray) -> None:
        if not len(slots):
            return
        self.done[slots] = False
        self.solves.start(slots, x0, lam)

    def begin(self, rows: np.ndarray) -> None:
        """Start the next round of the given runs (those unfinished with rounds left)."""
        if not len(rows):
            return
        self.finished[rows[self.lam[rows] <= 0.0]] = True  # uniform play (method set)
        rows = rows[~self.finished[rows]]
        out = rows[self.rounds[rows] >= self.max_rounds]
        self.finished[out] = True
        rows = rows[self.rounds[rows] < self.max_rounds]
        self.rounds[rows] += 1
        slots = self.current[rows] ^ 1  # the free slot (no spare is running)
        self.current[rows] = slots
        self.slot_h[slots] = self.h[rows]
        self._start(slots, self.x[rows], np.minimum(self.at[rows] + self.h[rows],
                                                    self.lam[rows]))
        self._speculate(rows)

    def _speculate(self, rows: np.ndarray) -> None:
        """Start the spare solve (half the current step) of runs ``rows``, if few are left."""
        if not len(rows) or np.count_nonzero(~self.finished) > SPECULATE_BELOW:
            return
        slots = self.current[rows] ^ 1
        half = self.slot_h[self.current[rows]] * 0.5
        self.spare[rows] = slots
        self.slot_h[slots] = half
        self._start(slots, self.x[rows], np.minimum(self.at[rows] + half, self.lam[rows]))

    def _cancel(self, rows: np.ndarray) -> None:
        if not len(rows):
            return
        slots = self.spare[rows]
        slots = slots[slots >= 0]
        self.solves.running[slots] = False
        self.spare[rows] = -1

    def run(self) -> QREBatch:
        """Step all solves until every run is finished; the runs' QREs and methods."""
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            while self.solves.running.any():
                ended, accepted = self.solves.step()
                if len(ended):
                    self.done[ended] = True
                    self.ok[ended] = accepted
                    self._resolve(np.unique(ended // 2))
        return QREBatch(self.x, self.method)

    def _resolve(self, rows: np.ndarray) -> None:
        """Act on the runs whose current solve has ended (repeatedly: a promoted spare
        may have ended already)."""
        while len(rows):
            rows = rows[~self.finished[rows] & self.done[self.current[rows]]]
            ok, warm = self.ok[self.current[rows]], self.warming[rows]
            self.warming[rows] = False
            warmed = rows[warm & ok]
            self.method[warmed] = WARM
            self.finished[warmed] = True
            self.x[warmed] = self.solves.x[self.current[warmed]]
            self.begin(rows[warm & ~ok])  # refused warm starts: continuation from lam = 0
            self._accept(rows[~warm & ok])
            rows = self._refuse(rows[~warm & ~ok])

    def _accept(self, rows: np.ndarray) -> None:
        if not len(rows):
            return
        slots = self.current[rows]
        self.x[rows] = self.solves.x[slots]
        self.at[rows] = self.solves.lam[slots]
        self.h[rows] = self.slot_h[slots] * 2.0
        reached = rows[self.at[rows] >= self.lam[rows]]
        self.finished[reached] = True
        self.method[reached] = CONTINUED
        self._cancel(rows)
        self.begin(rows)

    def _refuse(self, rows: np.ndarray) -> np.ndarray:
        """Halve the step of runs whose round was refused; promote their spare solves
        (returned: to be resolved again) or start the next round."""
        if not len(rows):
            return rows
        self.h[rows] = self.slot_h[self.current[rows]] * 0.5
        failed = rows[self.h[rows] < self.min_step * self.lam[rows]]
        self.finished[failed] = True
        self._cancel(failed)
        rows = rows[~self.finished[rows]]
        spared = self.spare[rows] >= 0
        self.begin(rows[~spared])
        rows = rows[spared]
        out = rows[self.rounds[rows] >= self.max_rounds]
        self.finished[out] = True
        self._cancel(out)
        rows = rows[self.rounds[rows] < self.max_rounds]
        self.rounds[rows] += 1
        self.current[rows] = self.spare[rows]
        self.spare[rows] = -1
        self._speculate(rows)
        return rows


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
