"""alliance-sim: a game-theory scenario simulator of the Russia–North Korea alignment."""

from importlib import import_module, metadata

from .core.actions import ACTION_COLUMNS, DIMENSIONS, Actor
from .core.scenario import Scenario, ScenarioError, available_scenarios, load_scenario
from .ensemble.driver import run_ensemble
from .kernels import STATE_COLUMNS
from .kernels.stage import StageGame, stage_game

__version__ = metadata.version("alliance-sim")

__all__ = [
    "ACTION_COLUMNS", "DIMENSIONS", "Actor", "STATE_COLUMNS", "AllianceModel", "Scenario",
    "ScenarioError", "StageGame", "available_scenarios", "load_scenario", "run_ensemble",
    "stage_game", "__version__",
]


def __getattr__(name: str):
    """``AllianceModel`` on first use: importing mesa costs about a second, and the
    command line and the vectorized driver never need it."""
    if name == "AllianceModel":
        return import_module(".abm.model", __name__).AllianceModel
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
