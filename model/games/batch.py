"""The logit QRE of many games at once: path following over a run axis.

``logit_qre`` (one game, traced from ``lam = 0``) costs milliseconds per game. An
ensemble solves the same kind of game in every run every month. This module solves a
*batch* of games ``(runs, ...)`` together:

* the games are ``SparseGame``s (``model.games.sparse``): each player's payoffs only
  along the players it depends on;
* ``continuation`` follows each run's principal branch from uniform play at ``lam = 0``
  up to the run's ``lam`` (predictor-corrector continuation in ``lam`` with per-run step
  control), every corrector a guarded Newton solve (``model.games.newton_batch``), all
  runs' solves sharing one evaluation of the equations per Newton iteration, each run at
  its own pace;
* ``solve`` is ``continuation`` with runs of byte-identical inputs solved once; it
  reports, per run, whether the branch was followed, so that the caller can trace the
  rest with ``logit_qre``.

Pure equilibria of a batch are in ``model.games.pure_batch``.

Which QRE: the principal branch. A logit QRE at ``lam`` is a zero of ``H(x) = x - log
softmax(lam v(exp x))`` (per player; ``v`` the expected payoffs). Along the principal
branch, parametrized from ``(uniform, 0)``, the sign of ``det [[dH/dx, dH/dlam], [t^T]]``
is constant (+1 at ``lam = 0``, where ``dH/dx = I``), and that determinant equals
``det(dH/dx) * t_lam * (1 + |dH/dx^{-1} dH/dlam|^2)``. So ``det(dH/dx) > 0`` exactly where
the branch moves forward in ``lam``. ``continuation`` accepts a step only under the path
tracer's three rules (Allgower & Georg 1990, as in ``logit_qre``): Newton's corrections
stay close to the curve and contract (``model.games.newton_batch``), and the branch's
unit tangent turns by at most ``_MAX_TURN`` (about 20 degrees) over the step; and only
with ``det(dH/dx) > 0`` at its end. So it walks only along a part of the branch that is a
graph over ``lam``, from ``lam = 0``, where the branch crosses each ``lam`` once: the
point it reaches is the first crossing that ``logit_qre`` returns. A turning point ahead
makes it refuse steps until the step is too short: the run is reported as failed and
must be traced. What the rules cannot exclude is a step that jumps to another sheet and
looks smooth there; ``benchmarks/check_qre.py`` counts such jumps on random games at far
higher precision than the model's, and along the model's trajectories.

Why not warm starts from last month's QRE. In this model the stage game jumps from one
month to the next (a switching cost moves with every change of the drawn options), and
the QRE moves by a median 2.5 in the log-probabilities: one Newton step from last
month's point is refused for most runs. A homotopy in the game, ``(1 - t) U_last + t
U_now`` at fixed ``lam``, follows the jump in hardly fewer Newton iterations than
continuation from ``lam = 0`` (15.7 against 18.6 a run-month in the baseline, measured
while it was tried), but its end point is on the principal branch only if no turning
point of the branch crosses ``lam`` on the way, which nothing cheap can check: on random
games with jumps, at ``lam`` up to 8, it landed on another sheet in 11 of about 1,800
warm solves. Continuation from ``lam = 0`` has no such gap; its own risk, a step that
jumps across a steep bend, is what its rules bound.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .homotopy import _MAX_TURN
from .newton_batch import _Newtons
from .sparse import SparseGame

__all__ = ["continuation", "solve", "QREBatch", "CONTINUED", "FAILED", "TRACED"]

#: How a run's QRE was found (``QREBatch.method``): by ``continuation``, not at all (the
#: caller must trace it), or by the caller with ``logit_qre``.
CONTINUED, FAILED, TRACED = 1, 2, 3
#: Below this many unfinished runs, each run also starts the solve its next smaller step
#: would need (``_Continuation``): steps are cheap then, and waiting is not.
SPECULATE_BELOW = 64


@dataclass
class QREBatch:
    """Solutions for a batch: log-probabilities ``x`` (runs, size), and per run ``method``
    (``CONTINUED``, or ``FAILED``: the caller must trace those)."""

    x: np.ndarray
    method: np.ndarray

    @property
    def ok(self) -> np.ndarray:
        return self.method != FAILED


def continuation(game: SparseGame, lam, *, first: float = 0.25, min_step: float = 1e-3,
                 max_rounds: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """Follow the principal branch from uniform play at ``lam = 0`` up to each run's ``lam``.

    Predictor-corrector continuation in ``lam`` with per-run step control: each round
    tries, for an unfinished run, a step to ``lam_r + h_r`` (never past the run's ``lam``,
    first ``h_r = first * lam_r``): a Taylor predictor from the current point along the
    branch's slope ``dx/dlam`` and its change over the last step, then a guarded Newton
    corrector at the new ``lam`` (``model.games.newton_batch``). An accepted
    step changes ``h_r`` by the path tracer's rule (grow easy steps, at most 2x; shrink
    hard ones), a refused one halves it. A run whose step falls below ``min_step * lam``
    (a turning point ahead, where ``det(dH/dx)`` changes sign) is reported as failed; so
    is a run still short of its ``lam`` after ``max_rounds`` rounds. Returns ``(x, ok)``.
    """
    game_lam = np.broadcast_to(np.asarray(lam, dtype=float), (game.runs,)).copy()
    result = _Continuation(game, game_lam, first, min_step, max_rounds).run()
    return result.x, result.method == CONTINUED


def solve(game: SparseGame, lam) -> QREBatch:
    """The principal-branch logit QRE of every game of the batch at its ``lam``.

    ``continuation`` for every run; runs it cannot follow are ``FAILED`` (x is 0 there).
    Runs with byte-identical inputs (game and ``lam``; e.g. every run of a scenario
    without parameter distributions in its first month) are solved once: each run's
    arithmetic is independent of the others', so the copies get the same bits.
    """
    runs = game.runs
    lam = np.broadcast_to(np.asarray(lam, dtype=float), (runs,)).copy()
    first, inverse = _distinct_runs(game, lam)
    if len(first) < runs:
        once = _Continuation(game.take(first), lam[first]).run()
        result = QREBatch(once.x[inverse], once.method[inverse])
    else:
        result = _Continuation(game, lam).run()
    result.x[~result.ok] = 0.0
    return result


def _distinct_runs(game: SparseGame, lam: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The first run of each set of runs with byte-identical inputs, and each run's set."""
    runs = game.runs
    words = np.concatenate([game.flat_runs_last, lam[None, :]]).T.copy().view(np.uint64)
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


class _Continuation:
    """The rounds of ``continuation`` for a batch, run by run.

    Each run has two solve slots on a ``_Newtons`` of the batch with every run twice:
    the current step's solve, and (when few runs are left) a spare one started with it at
    the step the run will take next if the current one is refused (half the step, from
    the same point). A refused step then costs no wait; an accepted one cancels the
    spare. Every step a run completes is the one ``continuation`` defines, with the same
    inputs, so the result has the same bits with or without spares, and whatever the
    other runs of the batch.
    """

    def __init__(self, game: SparseGame, lam: np.ndarray, first: float = 0.25,
                 min_step: float = 1e-3, max_rounds: int = 200) -> None:
        runs = game.runs
        self.lam, self.min_step, self.max_rounds = lam, min_step, max_rounds
        self.solves = _Newtons(game.take(np.repeat(np.arange(runs), 2)), slopes=True)
        # payoffs in units of the largest range of a player's payoffs (as the tracer's)
        self.scale = game.payoff_range()
        self.scale[self.scale == 0.0] = 1.0
        self.method = np.full(runs, FAILED, dtype=np.int8)
        self.x = game.uniform()  # the last accepted point, its lam, and the branch's
        self.at = np.zeros(runs)  # unit tangent there (uniform play: dx/dlam = -dH/dlam)
        self.slope = -game.evaluate_rows(None, self.x, np.zeros(runs), d_lam=True)[2]
        self.last_slope = self.slope.copy()  # the slope one step back, and that step
        self.last_step = np.ones(runs)
        self.tangent = self._unit_tangent(np.arange(runs), self.x, self.slope)
        self.h = first * lam
        self.rounds = np.zeros(runs, dtype=np.int64)
        self.finished = lam <= 0.0  # reached lam, failed, or out of rounds
        self.method[self.finished] = CONTINUED  # uniform play
        self.current = 2 * np.arange(runs)  # slot of the current solve
        self.spare = np.full(runs, -1)  # slot of the spare solve, or -1
        self.slot_h = np.zeros(2 * runs)  # the step length of the slot's solve ...
        self.slot_at = np.zeros(2 * runs)  # ... and the lam it solves at
        self.done = np.zeros(2 * runs, dtype=bool)  # the slot's solve has ended ...
        self.ok = np.zeros(2 * runs, dtype=bool)  # ... and was accepted
        self.begin(np.arange(runs))

    def _launch(self, rows: np.ndarray, slots: np.ndarray, step: np.ndarray) -> None:
        """Start the solves of runs ``rows`` in ``slots``: a step of length ``step``."""
        if not len(rows):
            return
        reach = np.minimum(self.at[rows] + step, self.lam[rows])
        self.slot_h[slots] = step
        self.slot_at[slots] = reach
        self.done[slots] = False
        # predictor: a Taylor step along the branch's slope and its change over the last
        # step (Euler's on the first step), then Newton's corrector
        d = (reach - self.at[rows])[:, None]
        bend = (self.slope[rows] - self.last_slope[rows]) / self.last_step[rows, None]
        predicted = self.x[rows] + d * self.slope[rows] + (0.5 * d * d) * bend
        self.solves.start(slots, predicted, reach, on_the_way=reach < self.lam[rows],
                          predicted=True)

    def begin(self, rows: np.ndarray) -> None:
        """Start the next step of the given runs (those unfinished with rounds left)."""
        rows = rows[~self.finished[rows]]
        out = rows[self.rounds[rows] >= self.max_rounds]
        self.finished[out] = True
        rows = rows[self.rounds[rows] < self.max_rounds]
        self.rounds[rows] += 1
        slots = self.current[rows] ^ 1  # the free slot (no spare is running)
        self.current[rows] = slots
        self._launch(rows, slots, self.h[rows])
        self._speculate(rows)

    def _speculate(self, rows: np.ndarray) -> None:
        """Start the spare solve (half the current step) of runs ``rows``, if few are left."""
        if not len(rows) or np.count_nonzero(~self.finished) > SPECULATE_BELOW:
            return
        slots = self.current[rows] ^ 1
        self.spare[rows] = slots
        self._launch(rows, slots, self.slot_h[self.current[rows]] * 0.5)

    def _cancel(self, rows: np.ndarray) -> None:
        slots = self.spare[rows]
        self.solves.running[slots[slots >= 0]] = False
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
            ok = self.ok[self.current[rows]]
            slots = self.current[rows[ok]]
            tangent = self._unit_tangent(rows[ok], self.solves.x[slots], self.solves.slope[slots])
            turn = np.sqrt(((tangent - self.tangent[rows[ok]]) ** 2).sum(axis=1))
            straight = turn <= _MAX_TURN  # a sharper turn: a bend, or another sheet
            ok[np.flatnonzero(ok)[~straight]] = False
            self._accept(rows[ok], tangent[straight], turn[straight])
            rows = self._refuse(rows[~ok])

    def _unit_tangent(self, rows: np.ndarray, x: np.ndarray, slope: np.ndarray) -> np.ndarray:
        """The branch's unit tangent in ``(x, lam)`` at points ``x`` with ``dx/dlam =
        slope``: ``lam`` in units of the payoff range, ``x`` weighted by ``sqrt(p)`` (the
        metric of the Newton guards)."""
        dx = np.sqrt(np.exp(x)) * slope / self.scale[rows, None]
        tangent = np.concatenate([dx, np.ones((len(rows), 1))], axis=1)
        return tangent / np.sqrt((tangent * tangent).sum(axis=1))[:, None]

    def _accept(self, rows: np.ndarray, tangent: np.ndarray, turn: np.ndarray) -> None:
        slots = self.current[rows]
        self.x[rows] = self.solves.x[slots]
        self.last_step[rows] = self.slot_at[slots] - self.at[rows]
        self.at[rows] = self.slot_at[slots]
        self.last_slope[rows] = self.slope[rows]
        self.slope[rows] = self.solves.slope[slots]
        self.tangent[rows] = tangent
        # the path tracer's step control: grow easy steps (at most 2x), shrink hard ones
        worst = np.maximum(np.maximum(self.solves.worst[slots], turn / _MAX_TURN), 1e-12)
        self.h[rows] = self.slot_h[slots] * np.clip(0.7 / worst, 0.5, 2.0)
        reached = rows[self.at[rows] >= self.lam[rows]]
        self.finished[reached] = True
        self.method[reached] = CONTINUED
        self._cancel(rows)
        self.begin(rows)

    def _refuse(self, rows: np.ndarray) -> np.ndarray:
        """Halve the step of runs whose step was refused; fail those whose step is too
        short, promote the spare solves of the others (returned: to be resolved again)
        or start their next step."""
        self.h[rows] = self.slot_h[self.current[rows]] * 0.5
        short = self.h[rows] < self.min_step * self.lam[rows]
        self.finished[rows[short]] = True
        self._cancel(rows[short])
        rows = rows[~short]
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
