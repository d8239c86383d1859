"""`scenarios`: the scenario files with their one-line descriptions."""

from __future__ import annotations

import argparse

from ..core.paths import SCENARIO_DIR
from ..core.scenario import available_scenarios, load_scenario
from ..core.schema import ScenarioError

HELP = "list the scenario files"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No arguments."""


def execute(args: argparse.Namespace) -> int:
    """List the scenario files with their one-line descriptions."""
    names = available_scenarios()
    width = max((len(n) for n in names), default=0)
    for name in names:
        try:
            line = load_scenario(name).description
        except ScenarioError as exc:
            line = f"INVALID: {exc}"
        print(f"{name:<{width}}  {line}")
    print(f"\n{len(names)} scenarios in {SCENARIO_DIR}")
    return 0
