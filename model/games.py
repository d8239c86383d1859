"""Equilibria of finite normal-form games, as small pure functions over numpy arrays.

Every function takes a payoff array shaped ``(n_players, *action_counts)``:
``payoffs[i][a_0, ..., a_{n-1}]`` is the payoff to player ``i`` when each player ``k``
plays pure action ``a_k``. A mixed strategy of player ``k`` is a probability vector of
length ``action_counts[k]``; a strategy profile is a sequence of these, one per player.

Contents
--------
- ``validate_payoffs``      check and convert a payoff array.
- ``pure_nash_equilibria``  every pure Nash equilibrium (Nash 1951), vectorized.
- ``best_responses``        each player's pure best responses to a pure profile.
- ``expected_payoffs``      each pure action's expected payoff against mixed play.
- ``regret``                the smallest epsilon making a profile an epsilon-equilibrium.
- ``logit_response``        the logit (softmax) quantal response.
- ``logit_qre``             a logit quantal response equilibrium on the principal branch
                            (McKelvey & Palfrey 1995), traced by pseudo-arclength
                            continuation (Turocy 2005; Allgower & Georg 1990).
- ``qre_branch``            the principal branch at many values of ``lam`` in one trace.
- ``Game``                  a thin nashpy-style wrapper delegating to the functions.

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
import math
import warnings
from collections.abc import Sequence

import numpy as np

__all__ = [
    "Game",
    "best_responses",
    "expected_payoffs",
    "logit_qre",
    "logit_response",
    "pure_nash_equilibria",
    "qre_branch",
    "regret",
    "validate_payoffs",
]

# Path-following constants (Allgower & Georg 1990, ch. 6). They act on payoffs rescaled
# so that the largest payoff range over players is 1; see ``logit_qre``.
_H_START = 0.1  # first arc-length step
_H_MIN = 1e-9  # below this step length the tracer gives up and falls back
_H_BIFURCATION = 1e-3  # a step this short that changes orientation crosses a bifurcation
_MAX_DIST = 0.05  # largest first Newton correction accepted (distance to the branch)
_MAX_CONTRACTION = 0.5  # largest ratio of successive Newton corrections accepted
_MAX_TURN = 0.35  # largest change |t_new - t_old| of the unit tangent in one step (~20 deg)
_MAX_GROWTH = 2.0  # the step grows at most by this factor per accepted step
_CORRECTOR_ITERATIONS = 8  # Newton iterations per predictor-corrector step
_PATH_TOL = 1e-4  # corrector tolerance between requested values of lam
_MAX_STEPS = 100_000  # accepted plus rejected steps before the tracer gives up
_FALLBACK_ITERATIONS = 20_000  # damped fixed-point iterations in the fallback
_STRATEGY_SUM_ATOL = 1e-6  # how far a strategy's sum may be from 1
_ROUNDING = 100 * np.finfo(float).eps  # relative rounding floor of the QRE residual


# ---------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------


def validate_payoffs(payoffs) -> np.ndarray:
    """Check a payoff array and return it as a float array.

    A finite game with players ``0..n-1``, where player ``k`` has ``m_k >= 1`` pure
    actions, is given by payoff functions ``u_i : A_0 x ... x A_{n-1} -> R`` (Nash 1951).
    Here they are stored as one array ``U`` of shape ``(n, m_0, ..., m_{n-1})`` with
    ``U[i][a] = u_i(a)``, so ``U.shape[0] == U.ndim - 1``.

    Parameters
    ----------
    payoffs : array_like
        The payoff array.

    Returns
    -------
    numpy.ndarray
        ``payoffs`` as a float array (not copied when it already is one).

    Raises
    ------
    ValueError
        If the array is not numeric, has fewer than 2 dimensions, its first axis does not
        count its remaining axes, an action count is below 1, or an entry is NaN or inf.

    Examples
    --------
    >>> validate_payoffs([[[1, 0], [0, 1]], [[1, 0], [0, 1]]]).shape
    (2, 2, 2)
    >>> validate_payoffs([[1, 2], [3, 4]])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: payoffs must have shape (n_players, *action_counts) with ...; got shape (2, 2)
    """
    try:
        array = np.asarray(payoffs)
        if np.iscomplexobj(array):
            raise TypeError("complex payoffs")
        array = array.astype(float, copy=False)
    except (TypeError, ValueError) as error:
        raise ValueError(f"payoffs must be a numeric array; could not convert ({error})") from None
    if array.ndim < 2:
        raise ValueError(
            "payoffs must have shape (n_players, *action_counts) with ndim >= 2; "
            f"got shape {array.shape}"
        )
    if array.shape[0] != array.ndim - 1:
        raise ValueError(
            "payoffs must have shape (n_players, *action_counts) with "
            f"shape[0] == ndim - 1 == n_players; got shape {array.shape}"
        )
    if min(array.shape[1:]) < 1:
        raise ValueError(f"every player needs at least one action; got shape {array.shape}")
    if not np.isfinite(array).all():
        where = tuple(int(k) for k in np.argwhere(~np.isfinite(array))[0])
        raise ValueError(
            f"payoffs must be finite; found {array[where]} at index {where} (player, *profile)"
        )
    return array


def _validate_tol(tol) -> float:
    tol = float(tol)
    if not (math.isfinite(tol) and tol >= 0):
        raise ValueError(f"tol must be a finite number >= 0; got {tol}")
    return tol


def _validate_lam(lam) -> float:
    try:
        value = float(lam)
    except (TypeError, ValueError):
        raise ValueError(f"lam must be a finite number >= 0; got {lam!r}") from None
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"lam must be a finite number >= 0; got {lam!r}")
    return value


def _validate_strategies(strategies, action_counts) -> list[np.ndarray]:
    n_players = len(action_counts)
    if len(strategies) != n_players:
        raise ValueError(f"need one strategy per player ({n_players}); got {len(strategies)}")
    out = []
    for i, (sigma, count) in enumerate(zip(strategies, action_counts, strict=True)):
        sigma = np.asarray(sigma, dtype=float)
        if sigma.shape != (count,):
            raise ValueError(
                f"strategy of player {i} must have shape ({count},); got {sigma.shape}"
            )
        if not np.isfinite(sigma).all() or (sigma < 0).any():
            raise ValueError(f"strategy of player {i} must be finite and >= 0; got {sigma}")
        if abs(sigma.sum() - 1.0) > _STRATEGY_SUM_ATOL:
            raise ValueError(f"strategy of player {i} must sum to 1; sums to {sigma.sum()}")
        out.append(sigma)
    return out


# ---------------------------------------------------------------------------------------
# Pure strategies
# ---------------------------------------------------------------------------------------


def pure_nash_equilibria(payoffs, tol: float = 1e-9) -> list[tuple[int, ...]]:
    """Return every pure Nash equilibrium, sorted lexicographically.

    A pure profile ``a`` is a Nash equilibrium (Nash 1951) when no player gains by a
    unilateral deviation. With an explicit tolerance ``tol >= 0`` the test is

        u_i(a) >= max_{b in A_i} u_i(b, a_{-i}) - tol   for every player i,

    so payoff differences within ``tol`` count as ties. The computation is vectorized:
    for each player ``i`` the maximum of ``payoffs[i]`` over axis ``i`` (its own action)
    is compared with ``payoffs[i]``; the boolean arrays are and-ed across players and the
    ``True`` profiles are read off with ``numpy.argwhere`` (row-major, i.e. lexicographic
    order). Cost: O(n * prod(m_k)) time and memory.

    Parameters
    ----------
    payoffs : array_like
        Shape ``(n_players, *action_counts)``; see ``validate_payoffs``.
    tol : float
        Non-negative tolerance for ties.

    Returns
    -------
    list of tuple of int
        The equilibrium profiles; empty when there is none.

    Examples
    --------
    Prisoner's dilemma (action 0 = cooperate, 1 = defect):

    >>> pd = [[[3, 0], [5, 1]], [[3, 5], [0, 1]]]
    >>> pure_nash_equilibria(pd)
    [(1, 1)]
    """
    payoffs = validate_payoffs(payoffs)
    tol = _validate_tol(tol)
    equilibrium = np.ones(payoffs.shape[1:], dtype=bool)
    for i, u in enumerate(payoffs):
        equilibrium &= u >= u.max(axis=i, keepdims=True) - tol
    return [tuple(int(k) for k in row) for row in np.argwhere(equilibrium)]


def best_responses(payoffs, profile: Sequence[int], tol: float = 1e-9) -> list[list[int]]:
    """Return each player's pure best responses to the others' actions in ``profile``.

    For player ``i`` this is ``B_i(a_{-i}) = {b in A_i : u_i(b, a_{-i}) >=
    max_c u_i(c, a_{-i}) - tol}`` (Nash 1951; the tolerance treats near-ties as ties).
    ``profile[i]`` itself plays no part in ``B_i``. A pure profile is a Nash equilibrium
    exactly when ``profile[i] in B_i`` for every ``i``.

    Parameters
    ----------
    payoffs : array_like
        Shape ``(n_players, *action_counts)``.
    profile : sequence of int
        One pure action index per player.
    tol : float
        Non-negative tolerance for ties.

    Returns
    -------
    list of list of int
        ``result[i]`` is the sorted list of player ``i``'s best responses.

    Examples
    --------
    >>> pd = [[[3, 0], [5, 1]], [[3, 5], [0, 1]]]
    >>> best_responses(pd, (0, 0))
    [[1], [1]]
    """
    payoffs = validate_payoffs(payoffs)
    tol = _validate_tol(tol)
    counts = payoffs.shape[1:]
    profile = tuple(profile)
    if len(profile) != len(counts) or not all(
        isinstance(a, (int, np.integer)) and 0 <= a < m
        for a, m in zip(profile, counts, strict=False)
    ):
        raise ValueError(
            f"profile must hold one action index per player within {counts}; got {profile}"
        )
    out = []
    for i, u in enumerate(payoffs):
        index = list(profile)
        index[i] = slice(None)
        row = u[tuple(index)]
        out.append([int(k) for k in np.flatnonzero(row >= row.max() - tol)])
    return out


# ---------------------------------------------------------------------------------------
# Mixed strategies
# ---------------------------------------------------------------------------------------


def _contract_others(u: np.ndarray, i: int, strategies: Sequence[np.ndarray]) -> np.ndarray:
    """Contract every axis of ``u`` except axis ``i`` with the matching strategy."""
    for k in range(u.ndim - 1, -1, -1):  # last axis first, so lower axes keep their index
        if k != i:
            u = np.tensordot(u, strategies[k], axes=([k], [0]))
    return u


def expected_payoffs(payoffs, strategies: Sequence) -> list[np.ndarray]:
    """Return, for each player, the expected payoff of each pure action against the others.

    For player ``i`` and pure action ``b``,

        v_i(b) = sum_{a_{-i}} u_i(b, a_{-i}) * prod_{k != i} sigma_k(a_k),

    the multilinear extension of ``u_i`` (Nash 1951); player ``i``'s own strategy plays
    no part. It is computed by contracting each opponent's axis with ``numpy.tensordot``.
    Player ``i``'s expected payoff from its own mixed strategy is ``sigma_i @ v_i``.

    Parameters
    ----------
    payoffs : array_like
        Shape ``(n_players, *action_counts)``.
    strategies : sequence of array_like
        One probability vector per player (non-negative, summing to 1 within 1e-6).

    Returns
    -------
    list of numpy.ndarray
        ``result[i]`` has shape ``(action_counts[i],)``.

    Examples
    --------
    >>> pennies = [[[1, -1], [-1, 1]], [[-1, 1], [1, -1]]]
    >>> [v.tolist() for v in expected_payoffs(pennies, [[0.5, 0.5], [1.0, 0.0]])]
    [[1.0, -1.0], [0.0, 0.0]]
    """
    payoffs = validate_payoffs(payoffs)
    strategies = _validate_strategies(strategies, payoffs.shape[1:])
    return [_contract_others(u, i, strategies) for i, u in enumerate(payoffs)]


def regret(payoffs, strategies: Sequence) -> float:
    """Return the largest gain any player could make by deviating to a pure action.

        regret(sigma) = max_i [ max_b v_i(b) - sigma_i . v_i ] >= 0,

    with ``v_i`` from ``expected_payoffs``. It is the smallest ``epsilon`` for which
    ``sigma`` is an epsilon-equilibrium (Radner 1980), and it is 0 exactly at a Nash
    equilibrium (Nash 1951): a mixed deviation can never beat the best pure one.

    Parameters
    ----------
    payoffs : array_like
        Shape ``(n_players, *action_counts)``.
    strategies : sequence of array_like
        One probability vector per player.

    Returns
    -------
    float

    Examples
    --------
    >>> pd = [[[3, 0], [5, 1]], [[3, 5], [0, 1]]]
    >>> regret(pd, [[1, 0], [1, 0]])  # both cooperate; each gains 2 by defecting
    2.0
    >>> regret(pd, [[0, 1], [0, 1]])
    0.0
    """
    payoffs = validate_payoffs(payoffs)
    strategies = _validate_strategies(strategies, payoffs.shape[1:])
    gains = [
        float(v.max() - sigma @ v)
        for sigma, v in zip(strategies, expected_payoffs(payoffs, strategies), strict=True)
    ]
    return max(0.0, *gains)


def _softmax(values: np.ndarray) -> np.ndarray:
    shifted = np.exp(values - values.max())
    return shifted / shifted.sum()


def logit_response(payoffs, strategies: Sequence, lam: float) -> list[np.ndarray]:
    """Return each player's logit quantal response to ``strategies``.

        L_i(sigma)(b) = exp(lam * v_i(b)) / sum_c exp(lam * v_i(c)),

    the softmax of ``lam`` times the expected payoffs ``v_i`` of ``expected_payoffs``
    (McKelvey & Palfrey 1995, sec. 3; the smoothed best response of Fudenberg & Levine
    1998, ch. 4). ``lam = 0`` gives uniform play; ``lam -> inf`` approaches a best
    response. Computed stably by subtracting ``max(lam * v_i)`` before exponentiating.
    A profile with ``logit_response(payoffs, sigma, lam) == sigma`` is a logit QRE.

    Parameters
    ----------
    payoffs : array_like
        Shape ``(n_players, *action_counts)``.
    strategies : sequence of array_like
        One probability vector per player.
    lam : float
        Precision (rationality), finite and ``>= 0``.

    Returns
    -------
    list of numpy.ndarray
        One probability vector per player.

    Examples
    --------
    >>> pd = [[[3, 0], [5, 1]], [[3, 5], [0, 1]]]
    >>> [p.round(3).tolist() for p in logit_response(pd, [[0.5, 0.5], [0.5, 0.5]], 1.0)]
    [[0.182, 0.818], [0.182, 0.818]]
    """
    lam = _validate_lam(lam)
    return [_softmax(lam * v) for v in expected_payoffs(payoffs, strategies)]


# ---------------------------------------------------------------------------------------
# Logit quantal response equilibrium: the homotopy system and its path tracer
# ---------------------------------------------------------------------------------------


class _LogitSystem:
    """The logit-QRE equations in log-probability coordinates.

    Unknowns: ``x`` (all players' log-probabilities, stacked) and ``lam``. Equations:

        H_i(x, lam) = x_i - log softmax(lam * v_i(exp x)) = 0      for every player i,

    i.e. ``x_ib - x_ic = lam * (v_ib - v_ic)`` together with ``sum_b exp(x_ib) = 1``.
    Derivatives (``s_i = softmax(lam v_i)``, ``p_j = exp(x_j)``,
    ``M_ij = d v_i / d p_j``, the bilinear contraction of ``u_i`` with all strategies but
    those of ``i`` and ``j``):

        dH_i/dx_i = I,   dH_i/dx_j = -lam (I - 1 s_i^T) M_ij diag(p_j)   (j != i),
        dH_i/dlam = -(v_i - s_i . v_i).

    The blocks ``M_ij`` are stored in one matrix ``G`` (zero diagonal blocks). Since
    ``v_i`` is multilinear, ``M_ij p_j = v_i`` for every ``j != i``, so the stacked
    expected payoffs are ``G p / (n - 1)``.
    """

    def __init__(self, payoffs: np.ndarray):
        self.n_players = payoffs.shape[0]
        self.counts = payoffs.shape[1:]
        self.tensors = [np.ascontiguousarray(u) for u in payoffs]
        bounds = np.cumsum([0, *self.counts])
        self.slices = [slice(int(a), int(b)) for a, b in itertools.pairwise(bounds)]
        self.starts = bounds[:-1]
        self.size = int(bounds[-1])
        self.repeats = np.asarray(self.counts)
        # For each ordered pair i != j: u_i with axes reordered to (i, j, others...), so
        # that M_ij is a chain of matrix-vector products with the others' strategies.
        self.pair_tensors = []
        for i, u in enumerate(self.tensors):
            for j in range(self.n_players):
                if j != i:
                    rest = [k for k in range(self.n_players) if k not in (i, j)]
                    ordered = np.ascontiguousarray(np.transpose(u, [i, j, *rest]))
                    block = (self.slices[i], self.slices[j])
                    self.pair_tensors.append((block, ordered, rest[::-1]))

    def uniform(self) -> np.ndarray:
        return np.concatenate([np.full(m, -math.log(m)) for m in self.counts])

    def coupling(self, p: np.ndarray) -> np.ndarray:
        """The matrix G with blocks G[i, j] = M_ij = d v_i / d p_j (zero when i == j)."""
        g = np.zeros((self.size, self.size))
        for block, m, contract in self.pair_tensors:
            for k in contract:
                m = m @ p[self.slices[k]]
            g[block] = m
        return g

    def evaluate(self, x: np.ndarray, lam: float):
        """Return ``H``, ``dH/dx`` and ``dH/dlam`` at ``(x, lam)``."""
        p = np.exp(x)
        if self.n_players == 1:
            g = np.zeros((self.size, self.size))
            v = self.tensors[0]
        else:
            g = self.coupling(p)
            v = (g @ p) / (self.n_players - 1)
        z = lam * v
        top = np.maximum.reduceat(z, self.starts)
        e = np.exp(z - np.repeat(top, self.repeats))
        total = np.add.reduceat(e, self.starts)
        s = e / np.repeat(total, self.repeats)
        residual = x - z + np.repeat(top + np.log(total), self.repeats)
        d_lam = np.repeat(np.add.reduceat(s * v, self.starts), self.repeats) - v
        # (I - 1 s_i^T) applied to player i's rows, then columns scaled by -lam p.
        g -= np.repeat(np.add.reduceat(s[:, None] * g, self.starts, axis=0), self.repeats, axis=0)
        g *= -lam * p
        g[np.diag_indices(self.size)] += 1.0
        return residual, g, d_lam


def _bordered_solve(d_x, d_lam, tangent, residual):
    """Solve ``[[dH/dx, dH/dlam], [t^T]] [delta, z] = [[-H, 0], [0, 1]]`` (Keller 1977).

    ``delta`` is the pseudo-arclength Newton correction and ``z / |z|`` the unit tangent
    at the point, oriented so that ``t . z > 0``. Returns ``(delta, z / |z|, matrix)``, or
    ``None`` when the matrix is singular.
    """
    size = d_x.shape[0]
    a = np.empty((size + 1, size + 1))
    a[:size, :size] = d_x
    a[:size, size] = d_lam
    a[size] = tangent
    rhs = np.zeros((size + 1, 2))
    rhs[:size, 0] = -residual
    rhs[size, 1] = 1.0
    try:
        solution = np.linalg.solve(a, rhs)
    except np.linalg.LinAlgError:
        return None
    if not np.isfinite(solution).all():
        return None
    z = solution[:, 1]
    return solution[:, 0], z / np.linalg.norm(z), a


def _orientation(matrix: np.ndarray) -> float:
    """Sign of ``det [[dH/dx, dH/dlam], [t^T]]``: constant along a regular branch.

    With ``t . t_new > 0`` the sign is the same for the old and the new tangent, because
    the determinant is linear in the last row and its cofactor vector is parallel to the
    tangent (Allgower & Georg 1990, ch. 2 and 8). A change of sign between two
    points means a bifurcation point lies between them, or the corrector has jumped to
    another branch.
    """
    return float(np.linalg.slogdet(matrix)[0])


def _arclength_step(system: _LogitSystem, y: np.ndarray, tangent: np.ndarray, h: float):
    """One predictor-corrector step along the branch (Allgower & Georg 1990, ch. 6).

    Predictor: ``y + h t``. Corrector: Newton on ``H = 0`` restricted to the hyperplane
    through the predictor orthogonal to ``t`` (pseudo-arclength, Keller 1977). The step
    is refused when the first correction exceeds ``_MAX_DIST``, Newton contracts by less
    than ``_MAX_CONTRACTION`` per iteration, or the unit tangent turns by more than
    ``_MAX_TURN``. Returns ``(y_new, t_new, growth, orientation)`` or ``None``.
    """
    point = y + h * tangent
    first = None
    previous = None
    worst = 0.0
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(_CORRECTOR_ITERATIONS):
            residual, d_x, d_lam = system.evaluate(point[:-1], point[-1])
            if not np.isfinite(residual).all():
                return None
            solved = _bordered_solve(d_x, d_lam, tangent, residual)
            if solved is None:
                return None
            delta, new_tangent, matrix = solved
            dist = float(np.linalg.norm(delta))
            if first is None:
                first = dist
                if dist > _MAX_DIST:
                    return None
                worst = math.sqrt(dist / _MAX_DIST)
            else:
                contraction = dist / (previous + 1e-12)
                if contraction > _MAX_CONTRACTION:
                    return None
                worst = max(worst, math.sqrt(contraction / _MAX_CONTRACTION))
            point = point + delta
            if dist <= _PATH_TOL:
                break
            previous = dist
        else:
            return None
    turn = float(np.linalg.norm(new_tangent - tangent))  # about curvature * h
    if turn > _MAX_TURN:
        return None
    worst = max(worst, turn / _MAX_TURN)
    growth = min(_MAX_GROWTH, max(0.5, 0.7 / max(worst, 1e-12)))
    return point, new_tangent, growth, _orientation(matrix)


def _newton_fixed_lam(system, x, lam, tol, guarded=False, orient=None):
    """Newton's method on ``H(., lam) = 0`` from ``x``.

    Stops when ``max |H| <= max(tol, rounding floor)``; the floor, ``100 eps (1 + lam)``
    on payoffs of range 1, is what the log-domain residual can resolve. When ``guarded``
    the distance and contraction safeguards of the path corrector apply, so that landing
    on a requested ``lam`` cannot jump to another part of the branch. Returns ``(x,
    tangent, orientation)`` (tangent oriented along ``orient``; tangent and orientation
    are None if not asked for or singular) or ``None`` on failure.
    """
    tol = max(tol, _ROUNDING * (1.0 + lam))
    previous = None
    max_iterations = _CORRECTOR_ITERATIONS + 4 if guarded else 100
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(max_iterations):
            residual, d_x, d_lam = system.evaluate(x, lam)
            if not np.isfinite(residual).all():
                return None
            if np.abs(residual).max() <= tol:
                solved = None
                if orient is not None:
                    solved = _bordered_solve(d_x, d_lam, orient, residual)
                if solved is None:
                    return x, None, None
                return x, solved[1], _orientation(solved[2])
            try:
                delta = np.linalg.solve(d_x, -residual)
            except np.linalg.LinAlgError:
                return None
            dist = float(np.linalg.norm(delta))
            if guarded:
                if previous is None and dist > _MAX_DIST:
                    return None
                if previous is not None and dist > _MAX_CONTRACTION * previous:
                    return None
            previous = dist
            x = x + delta
    return None


def _fallback(system: _LogitSystem, x: np.ndarray, lam: float, tol: float):
    """Damped fixed-point iteration p <- (p + L(p)) / 2 at ``lam``, then Newton polish."""
    p = [_softmax(x[s]) for s in system.slices]
    for _ in range(_FALLBACK_ITERATIONS):
        response = [_softmax(lam * _contract_others(u, i, p)) for i, u in enumerate(system.tensors)]
        gap = max(float(np.abs(r - q).max()) for r, q in zip(response, p, strict=True))
        p = [0.5 * (r + q) for r, q in zip(response, p, strict=True)]
        if gap <= 1e-6:
            break
    with np.errstate(divide="ignore"):
        x = np.concatenate([np.log(q) for q in p])
    x = np.maximum(x, -700.0)
    polished = _newton_fixed_lam(system, x, lam, tol)
    if polished is not None:
        return polished[0], True
    return x, _response_gap(system, x, lam) <= max(tol, _ROUNDING * (1.0 + lam))


def _response_gap(system: _LogitSystem, x: np.ndarray, lam: float) -> float:
    """max |p - softmax(lam v(p))| with p = softmax(x_i) per player."""
    p = [_softmax(x[s]) for s in system.slices]
    gaps = [
        np.abs(_softmax(lam * _contract_others(u, i, p)) - p[i]).max()
        for i, u in enumerate(system.tensors)
    ]
    return float(max(gaps))


def _start(system: _LogitSystem) -> tuple[np.ndarray, np.ndarray, float]:
    """The branch's start: uniform play at lam = 0, its tangent and orientation.

    There ``dH/dx = I``, so the tangent is proportional to ``(v - s . v, 1)`` per player
    with ``v`` the expected payoffs against uniform play.
    """
    x = system.uniform()
    residual, d_x, d_lam = system.evaluate(x, 0.0)
    tangent = np.append(-d_lam, 1.0)
    tangent /= np.linalg.norm(tangent)
    _, _, matrix = _bordered_solve(d_x, d_lam, tangent, residual)
    return x, tangent, _orientation(matrix)


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


# ---------------------------------------------------------------------------------------
# Thin wrapper
# ---------------------------------------------------------------------------------------


class Game:
    """A normal-form game: validated payoffs plus methods delegating to this module.

    >>> Game([[[3, 0], [5, 1]], [[3, 5], [0, 1]]]).pure_nash_equilibria()
    [(1, 1)]
    """

    def __init__(self, payoffs):
        self.payoffs = validate_payoffs(payoffs).copy()
        self.payoffs.flags.writeable = False

    @property
    def action_counts(self) -> tuple[int, ...]:
        return self.payoffs.shape[1:]

    def __repr__(self) -> str:
        return f"Game(action_counts={self.action_counts})"

    def pure_nash_equilibria(self, tol: float = 1e-9) -> list[tuple[int, ...]]:
        return pure_nash_equilibria(self.payoffs, tol)

    def best_responses(self, profile: Sequence[int], tol: float = 1e-9) -> list[list[int]]:
        return best_responses(self.payoffs, profile, tol)

    def expected_payoffs(self, strategies: Sequence) -> list[np.ndarray]:
        return expected_payoffs(self.payoffs, strategies)

    def regret(self, strategies: Sequence) -> float:
        return regret(self.payoffs, strategies)

    def logit_qre(self, lam: float, tol: float = 1e-10) -> list[np.ndarray]:
        return logit_qre(self.payoffs, lam, tol)

    def qre_branch(self, lams: Sequence[float], tol: float = 1e-10) -> list[np.ndarray]:
        return qre_branch(self.payoffs, lams, tol)
