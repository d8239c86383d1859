"""Where the repository's data lives: the scenario library beside the package."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SCENARIO_DIR = REPO_ROOT / "experiments" / "scenarios"
