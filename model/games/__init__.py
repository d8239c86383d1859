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
- ``sparse``                a batch of games on a run axis (``SparseGame``), each payoff
                            stored only along the players it depends on (``plan``: how
                            its equations are evaluated and solved).
- ``newton_batch``          guarded Newton's method on a batch's QRE equations.
- ``pure_batch``            pure equilibria of such a batch, vectorized over runs.
- ``batch``                 the logit QRE of such a batch by batched Newton steps.

References are listed in the module of each algorithm.
"""

from .game import Game
from .pure import best_responses, expected_payoffs, logit_response, pure_nash_equilibria, regret
from .qre import logit_qre, qre_branch
from .validation import validate_payoffs

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
