"""Checks of the inputs every game function takes: payoffs, tolerances, precisions and
mixed strategies. See ``model.games`` for the array conventions."""

from __future__ import annotations

import math

import numpy as np

_STRATEGY_SUM_ATOL = 1e-6  # how far a strategy's sum may be from 1


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
