"""Switching: how many of a side's dimensions change course this month.

Every actor pays its ``switching_cost`` per dimension whose option differs from last
month's (the state's memory, ``last.<actor>.<dimension>``, see ``dynamics.with_memory``),
except a fall back on the dimension's rest option where the state makes that exit free
(``exit_free.<actor>.<dimension>``, set each month by ``model.kernels.exits``). Play
enters as probability vectors, so the count is an expectation under mixed play.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ..core.actions import DIMENSION_BY_KEY

__all__ = ["exit_key", "previous_key", "switches", "switching"]


def previous_key(key: str) -> str:
    """State key holding the option index played last month in dimension ``key``."""
    return "last." + key


def _last_option(S: SimpleNamespace, key: str):
    last = getattr(S, previous_key(key), None)
    if last is None:
        raise KeyError(f"the state has no {previous_key(key)!r} (last month's option); build it "
                       "with model.kernels.with_memory(state, choice)")
    return last


_RUNS_FIRST, _RUNS_LAST = "runs first", "runs last"


def _shared_play(play: np.ndarray, last) -> str | None:
    """How ``play`` is the same for every run, if it is, with ``last`` integer: runs first
    (``play`` ``(profiles, options)``, ``last`` ``(runs, 1)``) or runs last (``play``
    ``(*grid, 1, options)``, ``last`` ``(runs,)``). Then each run's terms can be picked
    from a table of every last option."""
    if not np.issubdtype(np.asarray(last).dtype, np.integer):
        return None
    if play.ndim == 2 and np.ndim(last) == 2 and np.shape(last)[1] == 1:
        return _RUNS_FIRST
    if play.ndim >= 2 and play.shape[-2] == 1 and np.ndim(last) == 1:
        return _RUNS_LAST
    return None


def exit_key(key: str) -> str:
    """State key saying, per run, that leaving dimension ``key``'s last option for its rest
    option costs no switching (that option did not pay: see ``model.kernels.exits``)."""
    return "exit_free." + key


def _exit_free(S: SimpleNamespace, key: str, last) -> np.ndarray:
    flag = getattr(S, exit_key(key), None)
    return np.zeros_like(last) if flag is None else np.asarray(flag).astype(np.int64)


def switching(P: dict, S: SimpleNamespace, key: str) -> np.ndarray:
    """Probability of changing dimension ``key``'s option from last month's (0 or 1 if pure),
    not counting a free exit to its rest option."""
    return switches(P, S, (key,))


def switches(P: dict, S: SimpleNamespace, keys: tuple[str, ...]) -> np.ndarray:
    """Expected number of the dimensions ``keys`` whose option differs from last month's:
    the sum, in the order of ``keys``, of each one's ``1 - P[last option]`` (a count of
    changes if play is pure), less ``P[rest option]`` where the state makes that exit free
    (:func:`exit_key`)."""
    lasts = [_last_option(S, key) for key in keys]
    frees = [_exit_free(S, key, last) for key, last in zip(keys, lasts)]
    rests = [DIMENSION_BY_KEY[key].rest for key in keys]
    plays = [P[key] for key in keys]
    shared = {_shared_play(play, last) for play, last in zip(plays, lasts)}
    if shared == {_RUNS_FIRST} or shared == {_RUNS_LAST}:
        # play the same for every run: the sum for every combination of last options, each
        # with its exit costly or free (the same numbers as the sum below: one non-zero
        # term per dimension), then each run's entry of it
        table = None
        for play, rest in zip(plays, rests):
            mine = play if _RUNS_FIRST in shared else play[..., 0, :]  # options last
            change = np.concatenate([1.0 - mine, 1.0 - (mine + mine[..., rest:rest + 1])],
                                    axis=-1)
            if table is None:
                table = change
            else:  # every combination so far × this dimension's options, in order
                pairs = table[..., :, None] + change[..., None, :]
                table = pairs.reshape(*pairs.shape[:-2], -1)
        joint = None
        for play, last, free in zip(plays, lasts, frees):
            size = play.shape[-1]
            own = np.asarray(last).reshape(-1) + size * np.asarray(free).reshape(-1)
            joint = own if joint is None else joint * (2 * size) + own
        return table.T[joint] if _RUNS_FIRST in shared else table[..., joint]
    total = None
    for play, last, free, rest in zip(plays, lasts, frees, rests):
        stay = play[..., 0] * (last == 0)
        for j in range(1, play.shape[-1]):
            stay = stay + play[..., j] * (last == j)
        stay = stay + play[..., rest] * free
        total = 1.0 - stay if total is None else total + (1.0 - stay)
    return total
