"""Pure numpy kernels with a leading run axis: payoffs, decisions and dynamics.

Both drivers call these same functions: the Mesa model with one run, the ensemble
driver with N runs at once.
"""

from ..core.state import STATE_COLUMNS
from .decisions import RULES, ActorPolicy, MonthGame, decide, pinned_options, sample, softmax
from .dynamics import (
    MEMORY_KEYS,
    advance,
    alliance_level,
    month_inputs,
    treaty_gains,
    treaty_step,
    update_beliefs,
    with_memory,
)
from .exits import with_exits
from .game_rules import GameMemory
from .initial import initial_beliefs, initial_state, posture_indices
from .params import KernelParams, kernel_params
from .payoffs import PAYOFF_FUNCTIONS, option_payoffs, state_columns

__all__ = [
    "RULES", "ActorPolicy", "MonthGame", "decide", "sample", "softmax", "STATE_COLUMNS",
    "advance", "alliance_level", "initial_beliefs", "initial_state", "posture_indices",
    "update_beliefs", "KernelParams", "kernel_params", "PAYOFF_FUNCTIONS", "option_payoffs",
    "state_columns", "GameMemory",
    "MEMORY_KEYS", "with_memory", "treaty_gains", "treaty_step",
    "month_inputs", "pinned_options", "with_exits",
]
