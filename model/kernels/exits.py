"""Exit: a course that did not pay can be left without a switching cost.

Switching costs keep policies stable (a course is not reversed on a month's noise), but
they must never keep a course that no longer pays. At the start of each month, for every
dimension of every actor, the course it held last month is judged against the others'
actual play of last month, at this month's state and levers: if it did no better than
the dimension's rest option (:attr:`model.core.actions.Dimension.rest`: no trade,
enforcing the regime, the status quo, neutrality) — its payoff without the inertia terms
(switching and reversal costs) — falling back on the rest option costs no switching this
month. A purchase in a war that is over, a payment to a partner that withholds, pressure
that costs more than it averts: each can stop at once. A course that pays keeps its
switching cost, so noise alone does not make it flicker.

Both drivers and every view of a month's game (the equilibria command, the regime map,
the what-if account) read the month through :func:`with_exits`, so they decide on the
same flags.
"""

from __future__ import annotations

import numpy as np

from ..core.actions import DIMENSION_BY_KEY, DIMENSIONS, Actor
from .params import KernelParams
from .payoffs import exit_key, option_payoff_terms, previous_key, state_columns, total

__all__ = ["INERTIA_TERMS", "exit_flags", "with_exits"]

#: Payoff terms that are the cost of changing course, not the course's worth.
INERTIA_TERMS = ("switching_cost", "reversal_cost")


def exit_flags(state: dict[str, np.ndarray], K_columns: KernelParams) -> dict[str, np.ndarray]:
    """Per dimension (under :func:`model.kernels.payoffs.exit_key`), per run, 1 where last
    month's option did no better than the rest option against the others' play of last
    month, 0 otherwise (and always 0 where last month's option was the rest option).

    ``state`` holds the month's state with memory (``last.<key>``); ``K_columns`` the
    month's parameters as ``(runs, 1)`` columns."""
    last = {d.key: np.asarray(state[previous_key(d.key)]).astype(np.int64) for d in DIMENSIONS}
    played = {d.key: np.eye(d.size)[last[d.key]] for d in DIMENSIONS}
    view = state_columns(state)
    flags = {}
    for actor in Actor:
        for key, by_term in option_payoff_terms(actor, played, view, K_columns).items():
            worth = total({name: value for name, value in by_term.items()
                           if name not in INERTIA_TERMS})
            rest = DIMENSION_BY_KEY[key].rest
            kept = np.take_along_axis(worth, last[key][:, None], axis=1)[:, 0]
            flags[exit_key(key)] = ((last[key] != rest) & (kept <= worth[:, rest])
                                    ).astype(np.int64)
    return flags


def with_exits(state: dict[str, np.ndarray], K_columns: KernelParams) -> dict[str, np.ndarray]:
    """``state`` plus this month's :func:`exit_flags`."""
    return {**state, **exit_flags(state, K_columns)}
