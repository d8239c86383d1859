"""A thin nashpy-style wrapper: validated payoffs plus methods that delegate to the
functions of ``model.games.pure`` and ``model.games.qre``."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .pure import best_responses, expected_payoffs, pure_nash_equilibria, regret
from .qre import logit_qre, qre_branch
from .validation import validate_payoffs


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
