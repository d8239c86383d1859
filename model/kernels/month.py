"""One month of the game: the step both drivers take.

The Mesa model (``model.abm``, one run) and the ensemble driver (``model.ensemble``, N runs
at once) each call :func:`step_month` once a month; only who decides differs. The ensemble
lets :meth:`Month.decide_all` decide for every actor; the Mesa model hands the
:class:`Month` to its agents (Mesa's "Simultaneous" activation: every agent decides on the
same month, then the world advances). The month's order is fixed here, once:

1. this month's levers (:func:`model.kernels.dynamics.month_inputs`), the courses that can
   be left at no cost (:func:`model.kernels.exits.with_exits`) and the pins in force;
2. every actor decides on the same state, beliefs and draws (:func:`model.kernels.decide`);
3. the world advances (:func:`model.kernels.dynamics.advance`) and the public beliefs
   update (:func:`model.kernels.dynamics.update_beliefs`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import NamedTuple

import numpy as np

from ..core.actions import ACTION_COLUMNS
from ..core.sampling import DRAWS_PER_MONTH, INTERDICTION_SLOT, TREATY_SLOT
from .decisions import ActorPolicy, decide, pinned_options
from .dynamics import advance, month_inputs, update_beliefs
from .escalation import advance_escalation, escalation_choice
from .exits import with_exits
from .game_rules import GameMemory, MonthGame
from .params import KernelParams
from .payoffs import state_columns

__all__ = ["Play", "Setup", "Month", "open_month", "step_month"]


class Play(NamedTuple):
    """The play carried from one month to the next, for a batch of runs: the state after
    the month, the options chosen in it (index arrays by dimension key) and the public
    beliefs about every dimension ``(runs, options)``."""

    state: dict[str, np.ndarray]
    choice: dict[str, np.ndarray]
    beliefs: dict[str, np.ndarray]


@dataclass
class Setup:
    """What a batch of runs keeps through all its months: the parameters (``params``, and
    their column view), each actor's policy, the game-solving rules' memory (layout and
    counts, updated in place) and whether the public beliefs are updated (``False`` only
    where no policy reads them: nash, qre and fixed play)."""

    params: KernelParams
    policies: tuple[ActorPolicy, ...]
    track_beliefs: bool = True
    memory: GameMemory = field(default_factory=GameMemory)

    def __post_init__(self) -> None:
        self.policies = tuple(self.policies)
        self.params_view = self.params.as_columns()


@dataclass(frozen=True)
class Month:
    """What every actor decides on in month ``number`` (the month being decided): the
    state with the month's levers (``view``: as columns), the month's parameters
    (``params``; ``view_params`` as columns), the beliefs, each dimension's uniform draw
    per run, the policies in force and the month's stage games (``game``, solved only if
    a rule needs them)."""

    number: int
    state: dict[str, np.ndarray]
    view: SimpleNamespace
    params: KernelParams
    view_params: KernelParams
    beliefs: dict[str, np.ndarray]
    draws: dict[str, np.ndarray]
    policies: tuple[ActorPolicy, ...]
    game: MonthGame

    def decide(self, policy: ActorPolicy) -> dict[str, np.ndarray]:
        """One actor's options this month (``policy`` as the scenario gives it; its pins
        in force this month apply)."""
        return decide(policy.at(self.number), self.beliefs, self.view, self.view_params,
                      self.draws, self.game)

    def decide_all(self) -> dict[str, np.ndarray]:
        """Every actor's options this month, in the order of the policies."""
        choice: dict[str, np.ndarray] = {}
        for policy in self.policies:
            choice.update(self.decide(policy))
        return choice


def open_month(setup: Setup, play: Play, number: int,
               uniforms: np.ndarray | None = None) -> Month:
    """Month ``number`` (≥ 1) as its deciders see it after ``play``; ``uniforms`` is the
    month's draws ``(runs, DRAWS_PER_MONTH)`` in the layout of ``model.core.sampling``
    (None for a look at the month's game without playing it)."""
    state, params_month = month_inputs(play.state, setup.params, number)
    view_params = setup.params_view.at(number)
    state = with_exits(state, view_params)
    policies = tuple(policy.at(number) for policy in setup.policies)
    draws = ({} if uniforms is None
             else {key: uniforms[:, i] for i, key in enumerate(ACTION_COLUMNS)})
    game = MonthGame(state, view_params, play.choice, setup.memory,
                     pinned=pinned_options(list(policies)))
    return Month(number, state, state_columns(state), params_month, view_params, play.beliefs,
                 draws, policies, game)


def step_month(setup: Setup, play: Play, number: int, uniforms: np.ndarray,
               choose: Callable[[Month], dict[str, np.ndarray]] | None = None) -> Play:
    """Play month ``number`` (≥ 1) after ``play``: every actor decides on the same month
    (``choose(month)``; by default :meth:`Month.decide_all`), then, with the escalation
    module on, its stage (``model.kernels.escalation``); the world advances with the
    month's interdiction and treaty draws and the beliefs update."""
    month = open_month(setup, play, number, uniforms)
    choice = month.decide_all() if choose is None else choose(month)
    if setup.params.escalation:  # the escalation stage, on the month's exchange
        choice = {**choice, **escalation_choice(month.view, month.view_params, choice,
                                                month.policies,
                                                uniforms[:, DRAWS_PER_MONTH:])}
    state = advance(month.state, choice, uniforms[:, INTERDICTION_SLOT], month.params,
                    number, uniforms[:, TREATY_SLOT])
    if setup.params.escalation:
        state = advance_escalation(month.state, state, choice, month.params, number)
    beliefs = (update_beliefs(play.beliefs, choice, setup.params) if setup.track_beliefs
               else play.beliefs)
    return Play(state, choice, beliefs)
