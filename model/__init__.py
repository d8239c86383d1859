"""alliance-sim: a game-theory scenario simulator of the Russia–North Korea alignment."""

from .actions import ACTION_COLUMNS, DIMENSIONS, Actor
from .ensemble import run_ensemble
from .kernels import STATE_COLUMNS
from .model import AllianceModel
from .scenario import Scenario, ScenarioError, available_scenarios, load_scenario
from .stage import StageGame, stage_game

__version__ = "0.1.0"

__all__ = [
    "ACTION_COLUMNS", "DIMENSIONS", "Actor", "STATE_COLUMNS", "AllianceModel", "Scenario",
    "ScenarioError", "StageGame", "available_scenarios", "load_scenario", "run_ensemble",
    "stage_game", "__version__",
]
