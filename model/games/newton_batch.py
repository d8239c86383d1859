"""Guarded Newton's method on the logit-QRE equations of a batch of games, run by run.

``newton`` solves ``H(., lam) = 0`` (the log-probability equations of ``logit_qre``) for
every run of a ``SparseGame`` at once, each run with its own ``lam`` and a per-run
convergence mask, guarded like a step of the path tracer (``model.games.homotopy``).
``_Newtons`` is the stepper under it: solves that start and end at different times share
one ``evaluate`` per iteration, which is how ``model.games.batch`` chains its steps.
"""

from __future__ import annotations

import numpy as np

from .sparse import SparseGame

__all__ = ["newton", "MAX_DIST", "MAX_CONTRACTION", "MAX_ITERATIONS", "TOL", "STEP_TOL"]

#: Largest first corrector, the Newton correction from the predictor (a continuation's
#: prediction, or else Newton's own first step): Allgower & Georg's "maximal distance to
#: the curve" (their example and Gambit's logit tracer use 0.4,
#: ``model.games.homotopy`` a cautious 0.05). Corrections ``dx`` of the log-probabilities
#: are measured in a Fisher-type metric, ``sqrt(sum_b max(p_b, p'_b) dx_b^2)`` with ``p``
#: and ``p'`` the strategies before and after (Deuflhard 2004 on scaled norms): a
#: correction to an option played with probability 1e-9 before and after says nothing
#: about where the branch is (its equation is almost linear and it hardly moves anyone
#: else's payoffs), while in the plain norm of ``x`` it would dominate; one that makes a
#: rare option common counts in full. 0.3 rather than 0.4: on 2,400 random games at
#: ``lam`` up to 12 (``benchmarks/check_qre.py``), 0.4 let 2-3 runs jump to another sheet
#: of the QRE correspondence while ``model.games.batch`` predicted with Euler steps and
#: had no turn rule, 0.3 none; with its present predictor and rules neither did in
#: 4,770, and 0.3 keeps the margin at 6% more Newton iterations on the model's games.
MAX_DIST = 0.3
#: Each later correction must be at most this fraction of the one before (Allgower &
#: Georg's "maximal contraction rate"; Gambit's 0.6).
MAX_CONTRACTION = 0.6
#: Newton iterations allowed per solve.
MAX_ITERATIONS = 12
#: Residual tolerance (absolute, in log-probabilities), plus a rounding floor.
TOL = 1e-12
#: A Newton correction below this (2-norm) ends the iteration.
STEP_TOL = 1e-10
#: ... and, at a point that is only a step on the way (``start(..., on_the_way=...)``),
#: this correction or residual (the path tracers' corrector tolerance).
PATH_TOL = 1e-4
_EPS = np.finfo(float).eps


def _tolerance(lam: np.ndarray, scale: np.ndarray) -> np.ndarray:
    return TOL + 100 * _EPS * (1.0 + lam * scale)


class _Newtons:
    """Guarded Newton solves of the runs of a batch that start and end at different times.

    ``start`` begins a solve for some runs (from ``x0`` at their ``lam``); each ``step`` is
    one Newton iteration of every running solve, with a single ``evaluate`` for all of
    them, and returns the solves that ended then and whether each was accepted. A run's
    arithmetic does not depend on which other runs share the step, so a solve gives the
    same bits as ``newton`` on its own; callers chain solves per run (continuation
    rounds) without waiting for the slowest run of the batch at every link. With
    ``slopes``, an accepted solve also leaves ``slope``, the branch's ``dx/dlam`` at its
    end point (``-(dH/dx)^-1 dH/dlam``, from the last Jacobian of the solve).
    """

    def __init__(self, game: SparseGame, guarded: bool = True,
                 max_iterations: int = MAX_ITERATIONS, slopes: bool = False) -> None:
        self.game = game
        self.guarded = guarded
        self.slopes = slopes
        self.max_iterations = max_iterations
        runs = game.runs
        self.scale = game.payoff_scale()
        self.x = np.zeros((runs, game.size))
        self.x0 = np.zeros((runs, game.size))
        self.slope = np.zeros((runs, game.size))
        self.lam = np.zeros(runs)
        self.tol = np.zeros(runs)
        self.step_tol = np.full(runs, STEP_TOL)
        self.iteration = np.zeros(runs, dtype=np.int64)
        self.first_corrector = np.ones(runs, dtype=np.int64)  # the iteration MAX_DIST limits
        self.previous = np.full(runs, np.inf)  # the last correction, in the guards' metric
        self.previous_plain = np.full(runs, np.inf)  # ... and in the plain 2-norm
        self.worst = np.zeros(runs)  # how close the solve came to a guard (``_correct``)
        self.running = np.zeros(runs, dtype=bool)

    def start(self, rows: np.ndarray, x0: np.ndarray, lam: np.ndarray,
              on_the_way: np.ndarray | None = None, predicted: bool = False) -> None:
        """Begin solving ``H(., lam) = 0`` for runs ``rows`` from ``x0`` (len(rows), size).
        Solves marked ``on_the_way`` (a point on a path, not a result) stop at
        ``PATH_TOL``. If ``x0`` is a path tracer's prediction (``predicted``), Newton's
        first correction is already the corrector that ``MAX_DIST`` limits; otherwise it
        is the predictor, and the limit applies to the second."""
        self.first_corrector[rows] = 0 if predicted else 1
        self.x[rows] = x0
        self.x0[rows] = x0
        self.lam[rows] = lam
        self.tol[rows] = _tolerance(self.lam[rows], self.scale[rows])
        self.step_tol[rows] = STEP_TOL
        if on_the_way is not None:
            self.tol[rows[on_the_way]] = np.maximum(self.tol[rows[on_the_way]], PATH_TOL)
            self.step_tol[rows[on_the_way]] = PATH_TOL
        self.iteration[rows] = 0
        self.previous[rows] = np.inf
        self.previous_plain[rows] = np.inf
        self.worst[rows] = 0.0
        self.running[rows] = True

    def step(self) -> tuple[np.ndarray, np.ndarray]:
        """One iteration of every running solve: ``(ended, accepted)``, the runs whose
        solve ended and whether it converged and passed the guards (``newton``). A run
        whose solve is refused gets its ``x0`` back."""
        rows = np.flatnonzero(self.running)
        every = len(rows) == self.game.runs
        residual, jac, *d_lam = self.game.evaluate_rows(
            None if every else rows, self.x[rows], self.lam[rows], d_lam=self.slopes)
        d_lam = d_lam[0] if d_lam else None
        error = np.abs(residual).max(axis=1)
        done = error <= self.tol[rows]
        accepted = np.zeros(len(rows), dtype=bool)
        if done.any():
            ended_jac = jac[..., done]
            schur = self.game.schur(ended_jac)
            accepted[done] = self.game.det_sign(None, schur) > 0 if self.guarded else True
            self._keep_slopes(rows[done], accepted[done], ended_jac, schur, d_lam[done]
                              if d_lam is not None else None)
        ended = ~np.isfinite(error) | (self.iteration[rows] == self.max_iterations) | done
        go = ~ended
        if go.any():
            self._correct(rows, go, residual, jac, ended, accepted, d_lam)
        self.iteration[rows] += 1
        stop, good = rows[ended], accepted[ended]
        self.running[stop] = False
        self.x[stop[~good]] = self.x0[stop[~good]]
        return stop, good

    def _keep_slopes(self, rows, which, jac, schur, d_lam) -> None:
        """``slope`` of the runs ``rows[which]`` from their Jacobians (``jac``, ``schur``:
        one per entry of ``rows``) and ``dH/dlam``."""
        if self.slopes and which.any():
            self.slope[rows[which]] = self.game.solve(jac[..., which], -d_lam[which],
                                                      schur[..., which])

    def _correct(self, rows, go, residual, jac, ended, accepted, d_lam) -> None:
        """The Newton corrections of the runs ``rows[go]``, with the step guards; marks
        in ``ended``/``accepted`` (in place) the runs that stop here."""
        here = rows[go]
        a, b = jac[..., go], -residual[go]
        schur = self.game.schur(a)
        step = self.game.solve(a, b, schur)
        # Guards measure a correction in a Fisher-type metric of the strategies (see
        # MAX_DIST); convergence in the plain 2-norm of the log-probabilities.
        weight = np.exp(self.x[here] + np.maximum(step, 0.0))  # max(p before, p after)
        dist = np.sqrt((weight * step * step).sum(axis=1))
        plain = np.sqrt((step * step).sum(axis=1))
        bad = ~np.isfinite(dist)
        if self.guarded:
            iteration = self.iteration[here] - self.first_corrector[here]  # 0: the first
            bad |= (iteration == 0) & (dist > MAX_DIST)
            bad |= ((iteration >= 1) & (dist > MAX_CONTRACTION * self.previous[here])
                    & (dist > 1e-9))
        moved = here[~bad]
        if self.guarded:  # the path tracer's measure of a step's difficulty (<= 1 passes)
            first = iteration[~bad] == 0
            later = (iteration[~bad] >= 1) & (dist[~bad] > 1e-9)
            ratio = np.where(first, dist[~bad] / MAX_DIST, 0.0)
            ratio[later] = dist[~bad][later] / (self.previous[moved[later]]
                                                  * MAX_CONTRACTION)
            self.worst[moved] = np.maximum(self.worst[moved], np.sqrt(ratio))
        self.x[moved] += step[~bad]
        self.previous[moved] = dist[~bad]
        # Converged: the correction is below the tolerance, or Newton contracts fast and
        # the error it leaves, about (its ratio to the last one) * itself, is.
        ratio = plain / self.previous_plain[here]
        tol = self.step_tol[here]
        small = ~bad & ((plain <= tol) | ((self.iteration[here] >= 1) & (ratio <= 0.5)
                                          & (ratio * plain <= tol)))
        self.previous_plain[moved] = plain[~bad]
        stop = bad | small
        position = np.flatnonzero(go)
        if small.any():
            accepted[position[small]] = (self.game.det_sign(None, schur[..., small]) > 0
                                         if self.guarded else True)
            self._keep_slopes(here, small & accepted[position], a, schur,
                              d_lam[go] if d_lam is not None else None)
        ended[position[stop]] = True


def newton(game: SparseGame, lam: np.ndarray, x0: np.ndarray, *, guarded: bool = True,
           max_iterations: int = MAX_ITERATIONS) -> tuple[np.ndarray, np.ndarray]:
    """Newton's method on ``H(., lam) = 0`` for every run, from ``x0`` ``(runs, size)``.

    Returns ``(x, ok)``: ``ok[r]`` when run ``r`` converged (``max |H| <= TOL`` plus a
    rounding floor, or a correction, or Newton's own estimate of the error left, below
    ``STEP_TOL``) and, if ``guarded``, passed the acceptance rules of a continuation step:
    the first correction is the predictor, the second at most ``MAX_DIST`` (in the metric
    described there), every later one at most ``MAX_CONTRACTION`` times the one before,
    and ``det(dH/dx) > 0`` at the solution (a forward point of the branch). Converged and
    failed runs leave the iteration (a per-run mask); failed runs keep ``x0``.
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
