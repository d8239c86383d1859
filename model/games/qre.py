"""The logit quantal response equilibrium: the homotopy system and its path tracer.

``logit_qre`` follows the principal branch (McKelvey & Palfrey 1995) from ``lam = 0`` by
pseudo-arclength continuation (Turocy 2005; Allgower & Georg 1990); ``qre_branch``
returns it at many values of ``lam`` in one trace.

References
----------
- Allgower, E. L. & Georg, K. (1990). *Numerical Continuation Methods: An
  Introduction*. Springer. (Predictor-corrector path following, step-length control.)
- Eibelshäuser, S. & Poensgen, D. (2019). Markov quantal response equilibrium and a
  homotopy method for computing and selecting Markov perfect equilibria of dynamic
  stochastic games. Working paper. (The QRE homotopy in log-strategy coordinates.)
- Fudenberg, D. & Levine, D. K. (1998). *The Theory of Learning in Games*. MIT Press.
- Keller, H. B. (1977). Numerical solution of bifurcation and nonlinear eigenvalue
  problems. In P. H. Rabinowitz (ed.), *Applications of Bifurcation Theory*, 359-384.
- McKelvey, R. D. & Palfrey, T. R. (1995). Quantal response equilibria for normal form
  games. *Games and Economic Behavior* 10(1), 6-38.
- Nash, J. (1951). Non-cooperative games. *Annals of Mathematics* 54(2), 286-295.
- Radner, R. (1980). Collusive behavior in noncooperative epsilon-equilibria of
  oligopolies with long but finite lives. *Journal of Economic Theory* 22(2), 136-154.
- Turocy, T. L. (2005). A dynamic homotopy interpretation of the logistic quantal
  response equilibrium correspondence. *Games and Economic Behavior* 51(2), 243-263.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Sequence

import numpy as np

from .homotopy import (
    _H_BIFURCATION,
    _H_MIN,
    _H_START,
    _MAX_STEPS,
    _arclength_step,
    _fallback,
    _LogitSystem,
    _newton_fixed_lam,
    _start,
)
from .pure import _softmax
from .validation import _validate_lam, _validate_tol, validate_payoffs


def _trace(payoffs: np.ndarray, lams: np.ndarray, tol: float, scale: float, depth: int) -> list:
    """Trace the principal branch; return the log-probabilities at each lam in ``lams``.

    ``payoffs`` and ``lams`` are the rescaled ones (see ``_scaled``); ``lams`` is sorted.
    ``scale`` only converts ``lam`` back to the caller's units in warnings, and ``depth``
    is the number of frames between this function and the caller's code.
    """

    def _warn(message: str) -> None:
        warnings.warn("logit_qre: " + message, RuntimeWarning, stacklevel=depth + 2)

    system = _LogitSystem(payoffs)
    x, tangent, orientation = _start(system)
    lam = 0.0
    h = _H_START
    steps = 0
    off_branch = False  # True once the tracer has given up: later targets use the fallback
    warned_bifurcation = False
    out = []
    for target in lams:
        while lam < target:
            if off_branch or h < _H_MIN or steps >= _MAX_STEPS:
                x, converged = _fallback(system, x, target, tol)
                if not off_branch:
                    _warn(
                        f"continuation stalled at lam={lam / scale:.6g} before reaching "
                        f"lam={target / scale:.6g}; used damped fixed-point iteration from "
                        "the last point on the branch, which may land on another branch"
                        + ("" if converged else ", and it did NOT converge")
                    )
                elif not converged:
                    _warn(f"fixed-point iteration did not converge at lam={target / scale:.6g}")
                lam = target
                off_branch = True
                break
            steps += 1
            if tangent[-1] > 0 and lam + h * tangent[-1] >= target:
                # Land on the requested lam: Newton at fixed lam from the tangent prediction.
                reach = (target - lam) / tangent[-1]
                landed = _newton_fixed_lam(
                    system, x + reach * tangent[:-1], target, tol, True, tangent
                )
                flipped = landed is not None and landed[2] not in (None, orientation)
                if landed is None or (flipped and reach > _H_BIFURCATION):
                    h = 0.5 * min(h, reach)
                    continue
                x = landed[0]
                if landed[1] is not None:  # None: singular, i.e. exactly at a bifurcation
                    tangent, orientation = landed[1], landed[2]
                if flipped and not warned_bifurcation:
                    warned_bifurcation = True
                    _warn(f"passed a bifurcation point near lam={target / scale:.6g}")
                lam = target
                break
            step = _arclength_step(system, np.append(x, lam), tangent, h)
            if step is None or step[0][-1] >= target:
                h *= 0.5
                continue
            y, new_tangent, growth, new_orientation = step
            if new_orientation != orientation:
                # A bifurcation point lies in this step, or the corrector jumped to another
                # branch. Shorter steps cure the latter; at a genuine (non-generic)
                # bifurcation the step shrinks to _H_BIFURCATION and the tracer continues
                # straight through it (Gambit's tracer perturbs the equations instead).
                if h > _H_BIFURCATION:
                    h *= 0.5
                    continue
                orientation = new_orientation
                if not warned_bifurcation:
                    warned_bifurcation = True
                    _warn(
                        f"passed a bifurcation point near lam={y[-1] / scale:.6g}; the branch "
                        "beyond it was chosen by continuing straight through"
                    )
                h = _H_START
            else:
                h *= growth
            x, lam, tangent = y[:-1], float(y[-1]), new_tangent
        out.append(x.copy())
    return out


def _scaled(payoffs: np.ndarray) -> tuple[np.ndarray, float]:
    """Shift each player's payoffs to minimum 0 and divide all by the largest range.

    Neither changes the QRE correspondence except for rescaling ``lam``: a per-player
    constant cancels in the softmax, and ``QRE(c U, lam) = QRE(U, c lam)`` for ``c > 0``.
    """
    axes = tuple(range(1, payoffs.ndim))
    shifted = payoffs - payoffs.min(axis=axes, keepdims=True)
    scale = float(shifted.max())
    return (shifted / scale if scale > 0 else shifted), scale


def _qre_path(payoffs, lams, tol: float, depth: int) -> list[np.ndarray]:
    """``qre_branch`` itself; ``depth`` counts frames up to the caller (for warnings)."""
    payoffs = validate_payoffs(payoffs)
    tol = _validate_tol(tol)
    try:
        lams = np.asarray(lams, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"lams must be a sequence of numbers; got {lams!r}") from None
    if lams.ndim != 1:
        raise ValueError(f"lams must be one-dimensional; got shape {lams.shape}")
    for lam in lams:
        _validate_lam(lam)
    if (np.diff(lams) < 0).any():
        raise ValueError("lams must be non-decreasing")
    counts = payoffs.shape[1:]
    scaled, scale = _scaled(payoffs)
    if scale == 0.0 or len(lams) == 0:  # every player indifferent everywhere: uniform play
        return [np.full((len(lams), m), 1.0 / m) for m in counts]
    points = _trace(scaled, lams * scale, tol, scale, depth + 1)
    bounds = np.cumsum([0, *counts])
    return [np.array([_softmax(x[a:b]) for x in points]) for a, b in itertools.pairwise(bounds)]


def qre_branch(payoffs, lams: Sequence[float], tol: float = 1e-10) -> list[np.ndarray]:
    """Return the principal branch of the logit QRE at each value in ``lams``.

    One continuation run from ``lam = 0`` visits the values in order, so the whole
    branch costs about as much as its last point; see ``logit_qre`` for the mathematics,
    the method and what happens at turning points.

    Parameters
    ----------
    payoffs : array_like
        Shape ``(n_players, *action_counts)``.
    lams : sequence of float
        Non-decreasing, finite, ``>= 0``.
    tol : float
        Newton tolerance on the log-probability equations at each returned point.

    Returns
    -------
    list of numpy.ndarray
        One array per player; ``result[i][k]`` (shape ``(action_counts[i],)``) is player
        ``i``'s strategy at ``lams[k]``, so ``result[i]`` has shape
        ``(len(lams), action_counts[i])``.

    Examples
    --------
    >>> pd = [[[3, 0], [5, 1]], [[3, 5], [0, 1]]]
    >>> path = qre_branch(pd, [0.0, 1.0, 10.0])
    >>> path[0].round(4).tolist()
    [[0.5, 0.5], [0.2268, 0.7732], [0.0, 1.0]]
    """
    return _qre_path(payoffs, lams, tol, depth=2)


def logit_qre(payoffs, lam: float, tol: float = 1e-10) -> list[np.ndarray]:
    """Return the logit quantal response equilibrium at ``lam`` on the principal branch.

    A logit QRE (McKelvey & Palfrey 1995) is a profile ``sigma`` with

        sigma_i(b) = exp(lam v_i(b; sigma)) / sum_c exp(lam v_i(c; sigma))   for all i, b,

    where ``v_i(.; sigma)`` are the expected payoffs of ``expected_payoffs``. At
    ``lam = 0`` the unique QRE is uniform play; for almost every game the QRE set
    contains a unique smooth branch starting there, the principal branch, that converges
    to a Nash equilibrium as ``lam -> inf`` (McKelvey & Palfrey 1995; Turocy 2005). This
    function follows that branch.

    Method. Payoffs are shifted per player and divided by the largest payoff range ``c``
    (the QRE at ``lam`` for ``U`` is the one at ``c * lam`` for ``U / c``). The unknowns
    are the log-probabilities ``x_ib = log sigma_i(b)`` (as in Eibelshäuser & Poensgen
    2019) and the equations

        x_i - log softmax(lam v_i(exp x)) = 0   for every player i,

    which say ``x_ib - x_i0 - lam (v_ib - v_i0) = 0`` and ``sum_b sigma_i(b) = 1``. Their
    Jacobian is analytic: ``v`` is multilinear, and ``d v_i / d sigma_j`` is the
    contraction of ``u_i`` with every strategy but those of ``i`` and ``j``. The curve of
    solutions in ``(x, lam)`` space is followed from ``(uniform, 0)`` by pseudo-arclength
    continuation (Keller 1977; Allgower & Georg 1990; as in Gambit's logit solver, Turocy
    2005): a tangent predictor, then Newton's method on the hyperplane through the
    prediction orthogonal to the tangent. A step is halved when Newton's first correction
    exceeds 0.05, Newton fails to halve the correction at each iteration, the unit tangent
    turns by more than about 20 degrees, or the orientation (the sign of the determinant
    of the Jacobian bordered by the tangent) changes; after easy steps it grows, at most
    2x per step. When the next step would pass ``lam``, the tracer lands on ``lam`` with
    Newton's method at fixed ``lam`` from the tangent prediction, iterating until
    ``max |x - log softmax(lam v)| <= tol`` (or the rounding floor ``100 eps (1 + c lam)``).

    Turning points. The principal branch need not be monotone in ``lam``: it can bend back
    and forth (Turocy 2005). Because the curve is parametrized by arc length, not by
    ``lam``, the tracer passes turning points without special treatment. If the branch
    crosses the requested ``lam`` more than once, the first crossing along the branch from
    ``lam = 0`` is returned. A step that would jump across a narrow S-shaped bend onto
    another branch is caught by the distance limit or, failing that, by the change of
    orientation, and is retried with a shorter step.

    Bifurcations. In non-generic games (exact payoff symmetries, e.g. a pure coordination
    game or battle of the sexes with mirrored payoffs) the branch can meet a bifurcation
    point, where the orientation changes for every step that crosses it. Once such a step
    is shorter than 1e-3 (in arc length on the rescaled payoffs) the tracer accepts it,
    continuing straight through, and issues a ``RuntimeWarning``; on symmetric games this
    keeps the symmetric branch. If instead the step length falls below 1e-9, the tracer
    gives up: it runs a damped fixed-point iteration ``sigma <- (sigma + L(sigma)) / 2``
    at ``lam`` from the last point reached, polishes it with Newton's method, and issues a
    ``RuntimeWarning`` (saying also when that did not converge). That result solves the
    QRE equations if it converged, but it may not lie on the principal branch.

    Parameters
    ----------
    payoffs : array_like
        Shape ``(n_players, *action_counts)``.
    lam : float
        Precision, finite and ``>= 0``.
    tol : float
        Newton tolerance on the log-probability equations at the returned point; the
        probabilities then satisfy ``|sigma - L(sigma)| <= tol`` up to rounding.

    Returns
    -------
    list of numpy.ndarray
        One probability vector per player. Every entry is positive in exact arithmetic
        but underflows to 0.0 when ``lam`` times the payoff gap exceeds about 745.

    Examples
    --------
    >>> pennies = [[[1, -1], [-1, 1]], [[-1, 1], [1, -1]]]
    >>> [p.tolist() for p in logit_qre(pennies, 7.0)]
    [[0.5, 0.5], [0.5, 0.5]]
    >>> pd = [[[3, 0], [5, 1]], [[3, 5], [0, 1]]]
    >>> [p.round(4).tolist() for p in logit_qre(pd, 1.0)]
    [[0.2268, 0.7732], [0.2268, 0.7732]]
    """
    lam = _validate_lam(lam)
    return [path[0] for path in _qre_path(payoffs, [lam], tol, depth=2)]
