"""The folder of `equilibria`: the stage-game text, QRE branch and regime map, manifest."""

from __future__ import annotations

import time
from pathlib import Path

from ...core.schema import Scenario
from ...output.results import manifest, output_folder
from ..equilibria import MonthAnalysis, RegimeMap, plot_qre_branch, plot_regime_map
from ..sweep import scenario_value


def write_equilibria(analysis: MonthAnalysis, regimes: RegimeMap, text: str, out: Path,
                     scenario: Scenario, *, seed: int, lam: float, started: float) -> None:
    """The stage-game text, QRE branch and regime map figures, and the manifest."""
    x, y = regimes.x, regimes.y
    marker = (scenario_value(scenario, x.key), scenario_value(scenario, y.key))
    title = f"Scenario '{scenario.name}'"
    with output_folder(out) as folder:
        folder.write_text("equilibria.txt", text + "\n")
        folder.save_figure("qre_branch.png", lambda p: plot_qre_branch(analysis, title, p))
        folder.save_figure("regime_map.png",
                           lambda p: plot_regime_map(regimes, title, marker, p))
        folder.write_json("manifest.json", manifest(
            scenario, command="equilibria", seed=seed, runs=1, months=analysis.game.month,
            wall_time=time.perf_counter() - started, files=[*folder.files, "manifest.json"],
            extra={"lam": lam, "x": x.key, "y": y.key,
                   "equilibria": [list(e) for e in analysis.equilibria]}))
