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

from ..core.actions import DIMENSIONS, Actor, dimensions_of
from .params import KernelParams
from .payoffs import TERM_FUNCTIONS, state_columns, total
from .switching import exit_key, previous_key

__all__ = ["exit_flags", "with_exits"]

def exit_flags(state: dict[str, np.ndarray], K_columns: KernelParams) -> dict[str, np.ndarray]:
    """Per dimension (under :func:`model.kernels.switching.exit_key`), per run, 1 where last
    month's option did no better than the rest option against the others' play of last
    month, 0 otherwise (and always 0 where last month's option was the rest option).

    ``state`` holds the month's state with memory (``last.<key>``); ``K_columns`` the
    month's parameters as ``(runs, 1)`` columns. One evaluation of each actor's payoff
    terms without the inertia terms, its variants side by side: last month's play, then
    each of its dimensions in turn at the rest option (the rest of the play unchanged)."""
    last = {d.key: np.asarray(state[previous_key(d.key)]).astype(np.int64) for d in DIMENSIONS}
    runs = len(last[DIMENSIONS[0].key])
    played = {d.key: np.eye(d.size)[last[d.key]][:, None, :] for d in DIMENSIONS}
    view = state_columns(state)
    flags = {}
    for actor in Actor:
        own = dimensions_of(actor)
        variants = dict(played)  # the others' play broadcasts over the variants
        for i, d in enumerate(own):
            play = np.repeat(played[d.key], 1 + len(own), axis=1)
            play[:, 1 + i, :] = np.eye(d.size)[d.rest]
            variants[d.key] = play
        worth = np.broadcast_to(total(TERM_FUNCTIONS[actor](variants, view, K_columns,
                                                            inertia=False)),
                                (runs, 1 + len(own)))
        for i, d in enumerate(own):
            flags[exit_key(d.key)] = ((last[d.key] != d.rest) & (worth[:, 0] <= worth[:, 1 + i])
                                      ).astype(np.int64)
    return flags


def with_exits(state: dict[str, np.ndarray], K_columns: KernelParams) -> dict[str, np.ndarray]:
    """``state`` plus this month's :func:`exit_flags`."""
    return {**state, **exit_flags(state, K_columns)}
