"""Pure and mixed strategies of finite normal-form games: pure Nash equilibria, best
responses, expected payoffs, regret and the logit response.

Every function takes a payoff array shaped ``(n_players, *action_counts)``:
``payoffs[i][a_0, ..., a_{n-1}]`` is the payoff to player ``i`` when each player ``k``
plays pure action ``a_k``.

References
----------
- Fudenberg, D. & Levine, D. K. (1998). *The Theory of Learning in Games*. MIT Press.
- McKelvey, R. D. & Palfrey, T. R. (1995). Quantal response equilibria for normal form
  games. *Games and Economic Behavior* 10(1), 6-38.
- Nash, J. (1951). Non-cooperative games. *Annals of Mathematics* 54(2), 286-295.
- Radner, R. (1980). Collusive behavior in noncooperative epsilon-equilibria of
  oligopolies with long but finite lives. *Journal of Economic Theory* 22(2), 136-154.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .validation import _validate_lam, _validate_strategies, _validate_tol, validate_payoffs


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
